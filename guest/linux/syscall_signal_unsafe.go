package linux

import (
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/hostsig"
	"github.com/minemu/minemu/guest/linux/signal"
)

// waitHost blocks the host thread in a safe system call until a signal
// arrives or the thread is kicked, or d passes (d < 0: no limit): ppoll
// with no descriptors. It returns false on the timeout.
func waitHost(hs *hostsig.Thread, d time.Duration) bool {
	var ts *unix.Timespec
	if d >= 0 {
		t := unix.NsecToTimespec(int64(d))
		ts = &t
	}
	r, e := hs.Syscall6(unix.SYS_PPOLL, 0, 0, uintptr(unsafe.Pointer(ts)), 0, 8, 0)
	runtime.KeepAlive(ts)
	return !(e == 0 && r == 0)
}

// hostSigqueue passes rt_sigqueueinfo or rt_tgsigqueueinfo (info last)
// for another process to the host.
func hostSigqueue(nr, a1, a2, a3 uintptr, info *signal.Info) int64 {
	p := uintptr(unsafe.Pointer(info))
	var r uintptr
	var e unix.Errno
	if nr == unix.SYS_RT_SIGQUEUEINFO {
		r, _, e = unix.Syscall(nr, a1, a2, p)
	} else {
		r, _, e = unix.Syscall6(nr, a1, a2, a3, p, 0, 0)
	}
	return hostRet(r, e)
}
