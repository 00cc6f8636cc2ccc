package linux

// The futex system call with a timespec of minemu's, and the one atomic
// update minemu makes to guest memory itself: the compare-and-swap of a
// robust futex word when its owner dies (syscall_futex.go). The address
// has been checked to be writable guest memory; the word is turned into a
// pointer only for the CAS.

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hostFutex is the host's futex system call with timeout ts (nil: none)
// or, for the commands without one, val2 in its place. It blocks the OS
// thread as a wait does.
func hostFutex(uaddr, op, val uintptr, ts *unix.Timespec, val2, uaddr2, val3 uintptr) (uintptr, unix.Errno) {
	if ts != nil {
		r, _, e := unix.Syscall6(unix.SYS_FUTEX, uaddr, op, val, uintptr(unsafe.Pointer(ts)), uaddr2, val3)
		return r, e
	}
	r, _, e := unix.Syscall6(unix.SYS_FUTEX, uaddr, op, val, val2, uaddr2, val3)
	return r, e
}

// casUser32 is the CAS of the aligned guest word at a, which
// checkUser(a, 4, PROT_WRITE) accepted; ok is false when it faulted.
func casUser32(a uint64, old, nv uint32) (cur uint32, ok bool) {
	p := (*uint32)(unsafe.Add(unsafe.Pointer(nil), uintptr(a)))
	ok = faultSafe(func() {
		if atomic.CompareAndSwapUint32(p, old, nv) {
			cur = old
		} else {
			cur = atomic.LoadUint32(p)
		}
	})
	return cur, ok
}
