package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// waitidRaw is the host's waitid with a 128-byte siginfo buffer and an
// optional rusage (0 for none).
func waitidRaw(idtype, id int, info *[128]byte, options int, ru uintptr) (int, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_WAITID, uintptr(idtype), uintptr(id), uintptr(unsafe.Pointer(info)), uintptr(options), ru, 0)
	return int(r), e
}

// rusagePtr is the address of a host rusage for a raw system call.
func rusagePtr(ru *unix.Rusage) uintptr { return uintptr(unsafe.Pointer(ru)) }

// wait4Blocking is the host's wait4 for thread t into t.waitBuf (heap
// memory), interruptible by a guest signal (blockingCall).
func (t *Thread) wait4Blocking(pid, options int, withRusage bool) (int, unix.Errno) {
	var ru uintptr
	if withRusage {
		ru = uintptr(unsafe.Pointer(&t.waitBuf.ru))
	}
	r, e := t.blockingCall(unix.SYS_WAIT4, uintptr(pid), uintptr(unsafe.Pointer(&t.waitBuf.status)), uintptr(options), ru, 0, 0)
	return int(r), e
}
