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

// clockNanosleep is the host's clock_nanosleep, through the safe system
// call when the thread has a host thread (a guest signal arriving before
// or during it makes it return EINTR), and the time remaining of a
// relative sleep.
func (t *Thread) clockNanosleep(clock, flags int, req *unix.Timespec) (time.Duration, unix.Errno) {
	var rem unix.Timespec
	var e unix.Errno
	if hs := t.sig.hs; hs != nil {
		_, e = hs.Syscall6(unix.SYS_CLOCK_NANOSLEEP, uintptr(clock), uintptr(flags), uintptr(unsafe.Pointer(req)), uintptr(unsafe.Pointer(&rem)), 0, 0)
		if e == hostsig.ERESTARTSYS {
			e, rem = unix.EINTR, *req // not entered: all of it remains
			if flags&unix.TIMER_ABSTIME != 0 {
				rem = unix.Timespec{}
			}
		}
	} else {
		_, _, e = unix.Syscall6(unix.SYS_CLOCK_NANOSLEEP, uintptr(clock), uintptr(flags), uintptr(unsafe.Pointer(req)), uintptr(unsafe.Pointer(&rem)), 0, 0)
	}
	runtime.KeepAlive(req)
	return time.Duration(rem.Nano()), e
}
