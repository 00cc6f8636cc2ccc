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

// futexBlocking is hostFutex for a wait of thread t, interruptible by a
// guest signal (blockingCall: ERESTARTSYS, which the signal layer turns
// into a restart or EINTR). The timeout is copied into the thread, heap
// memory that does not move while the call runs.
func (t *Thread) futexBlocking(uaddr, op, val uintptr, ts *unix.Timespec, val2, uaddr2, val3 uintptr) (uintptr, unix.Errno) {
	a3 := val2
	if ts != nil {
		t.futexTS = *ts
		a3 = uintptr(unsafe.Pointer(&t.futexTS))
	}
	return t.blockingCall(unix.SYS_FUTEX, uaddr, op, val, a3, uaddr2, val3)
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

// hostFutex2 is futex_wake or futex_wait (nr) with timeout ts (nil: none).
func hostFutex2(nr, uaddr, a1, a2, flags uintptr, ts *unix.Timespec, clock uintptr) (uintptr, unix.Errno) {
	if nr == unix.SYS_FUTEX_WAKE {
		r, _, e := unix.Syscall6(nr, uaddr, a1, a2, flags, 0, 0)
		return r, e
	}
	r, _, e := unix.Syscall6(nr, uaddr, a1, a2, flags, uintptr(unsafe.Pointer(ts)), clock)
	return r, e
}

// hostFutexWaitv is futex_waitv on n checked entries in minemu's memory.
func hostFutexWaitv(v []byte, n uintptr, ts *unix.Timespec, clock uintptr) (uintptr, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_FUTEX_WAITV, uintptr(unsafe.Pointer(&v[0])), n, 0, uintptr(unsafe.Pointer(ts)), clock, 0)
	return r, e
}

// hostFutexRequeue is futex_requeue on two checked entries in minemu's
// memory.
func hostFutexRequeue(v []byte, nrWake, nrRequeue uintptr) (uintptr, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_FUTEX_REQUEUE, uintptr(unsafe.Pointer(&v[0])), 0, nrWake, nrRequeue, 0, 0)
	return r, e
}
