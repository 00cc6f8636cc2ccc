package linux

// futex and futex_time64, and the robust-futex cleanup of a dying thread.
//
// A futex call goes to the host kernel on the guest's own word (identity
// mapping) after minemu checked every address the command uses to be
// guest memory (inside the guest window in Mode32) and translated the
// guest's timespec: the old 32-bit one for i386's futex, the 64-bit one
// for futex_time64 and x86-64. The kernel then does everything else:
// alignment (EINVAL), protection (EFAULT), the value compare (EAGAIN),
// timeouts, PI ownership. A blocking wait is a plain blocking host system
// call on the thread's own OS thread; while it blocks the thread records
// the word (Thread.futexWait), so that when the process ends (exit_group,
// a fatal fault in another thread) the waiter is woken and its run loop
// sees the end.

import (
	"math"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/futex"
)

// futex commands and flags (linux/futex.h).
const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexLockPI        = 6
	futexUnlockPI      = 7
	futexTrylockPI     = 8
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexWaitRequeuePI = 11
	futexCmpRequeuePI  = 12
	futexLockPI2       = 13

	futexPrivateFlag   = 128
	futexClockRealtime = 256
	futexCmdMask       = ^uint32(futexPrivateFlag | futexClockRealtime)
)

func sysFutex(k *Process, s *sysCall) int64       { return k.futex(s, false) }
func sysFutexTime64(k *Process, s *sysCall) int64 { return k.futex(s, true) }

// futex runs futex(uaddr, op, val, timeout or val2, uaddr2, val3); time64
// is futex_time64 (i386), whose timespec has 64-bit fields.
func (k *Process) futex(s *sysCall, time64 bool) int64 {
	uaddr, op := s.a[0], uint32(s.a[1])
	cmd := op & futexCmdMask
	var ts unix.Timespec
	var tsp *unix.Timespec // the host timeout, when the command has one
	var val2 uintptr
	var blocks, second bool
	switch cmd {
	case futexWait, futexWaitBitset, futexLockPI, futexLockPI2, futexWaitRequeuePI:
		blocks = true
		second = cmd == futexWaitRequeuePI
		if s.a[3] != 0 {
			if e := k.futexTimeout(s, s.a[3], time64, &ts); e != 0 {
				return -int64(e)
			}
			tsp = &ts
		}
	case futexRequeue, futexCmpRequeue, futexWakeOp, futexCmpRequeuePI:
		val2 = uintptr(uint32(s.a[3])) // the kernel keeps 32 bits
		second = true
	case futexWake, futexWakeBitset, futexUnlockPI, futexTrylockPI:
	default:
		// Unknown commands and FUTEX_FD (removed): the kernel's ENOSYS,
		// without looking at the addresses.
		return -int64(unix.ENOSYS)
	}
	if op&futexClockRealtime != 0 && cmd != futexWaitBitset && cmd != futexWaitRequeuePI && cmd != futexLockPI2 {
		return -int64(unix.ENOSYS)
	}
	if e := k.futexAddr(uaddr); e != 0 {
		if e == unix.EFAULT && op&futexPrivateFlag != 0 && (cmd == futexWake || cmd == futexWakeBitset) {
			// A private wake computes its key without touching memory:
			// natively it wakes nobody there, and no guest thread can wait
			// on memory that is not the guest's.
			return 0
		}
		return -int64(e)
	}
	uaddr2 := uintptr(0)
	if second {
		if e := k.futexAddr(s.a[4]); e != 0 {
			return -int64(e)
		}
		uaddr2 = uintptr(s.a[4])
	}
	if blocks {
		s.t.futexWait.Store(uaddr | uint64(op&futexPrivateFlag)>>7)
	}
	var r uintptr
	var e unix.Errno
	if blocks {
		r, e = s.t.futexBlocking(uintptr(uaddr), uintptr(op), uintptr(uint32(s.a[2])), tsp, val2, uaddr2, uintptr(uint32(s.a[5])))
	} else {
		r, e = hostFutex(uintptr(uaddr), uintptr(op), uintptr(uint32(s.a[2])), tsp, val2, uaddr2, uintptr(uint32(s.a[5])))
	}
	if blocks {
		s.t.futexWait.Store(0)
	}
	// The kernel writes the word of the PI operations (the owner's tid,
	// FUTEX_WAITERS) and the second word of wake_op and the PI requeues.
	switch cmd {
	case futexLockPI, futexLockPI2, futexTrylockPI, futexUnlockPI:
		k.wrote(uaddr, 4)
	case futexWakeOp, futexWaitRequeuePI, futexCmpRequeuePI:
		k.wrote(uaddr, 4)
		k.wrote(s.a[4], 4)
	}
	return hostRet(r, e)
}

// futexAddr checks a futex word address: misaligned is the kernel's
// EINVAL (before any access), not guest memory EFAULT.
func (k *Process) futexAddr(a uint64) unix.Errno {
	if a%4 != 0 {
		return unix.EINVAL
	}
	_, e := k.passPtr(a, 4)
	return e
}

// futexTimeout reads the guest's timespec at a into ts: i386's old layout
// (32-bit fields), or the 64-bit one for x86-64 and futex_time64, whose
// nanoseconds a compat task passes in the low 32 bits only.
func (k *Process) futexTimeout(s *sysCall, a uint64, time64 bool, ts *unix.Timespec) unix.Errno {
	layout := s.abi
	if time64 {
		layout = cpu.ABIAMD64
	}
	var b [sizeofTimespecMax]byte
	n := sizeofTimespecAMD64
	if layout == cpu.ABIi386 {
		n = sizeofTimespecI386
	}
	if e := k.copyIn(a, b[:n]); e != 0 {
		return e
	}
	sec, nsec := decodeTimespec(layout, b[:n])
	if time64 && s.abi == cpu.ABIi386 {
		nsec = int64(uint32(nsec))
	}
	if nsec < 0 || nsec >= 1e9 || sec < 0 {
		return unix.EINVAL
	}
	ts.Sec, ts.Nsec = sec, nsec
	return 0
}

// wakeFutexWaiter wakes the thread from the futex wait it blocks in, if
// any: every waiter of its word is woken (the others wake spuriously, which
// futex users tolerate), in the address space's private or shared key as
// the wait used.
func (t *Thread) wakeFutexWaiter() {
	w := t.futexWait.Load()
	if w == 0 {
		return
	}
	op := uintptr(futexWake)
	if w&1 != 0 {
		op |= futexPrivateFlag
	}
	unix.Syscall6(unix.SYS_FUTEX, uintptr(w&^3), op, math.MaxInt32, 0, 0, 0)
}

// Robust lists.

// robustMem is the guest memory a robust list walk reads and updates,
// checked access by access.
type robustMem struct {
	k   *Process
	ptr uint64 // the ABI's pointer size: 4 or 8
}

func (m robustMem) LoadWord(a uint64) (uint64, bool) {
	var b [8]byte
	if m.k.copyIn(a, b[:m.ptr]) != 0 {
		return 0, false
	}
	if m.ptr == 4 {
		return uint64(le.Uint32(b[:])), true
	}
	return le.Uint64(b[:]), true
}

func (m robustMem) Load32(a uint64) (uint32, bool) {
	var b [4]byte
	if m.k.copyIn(a, b[:]) != 0 {
		return 0, false
	}
	return le.Uint32(b[:]), true
}

func (m robustMem) CAS32(a uint64, old, nv uint32) (uint32, bool) {
	if _, e := m.k.checkUser(a, 4, unix.PROT_WRITE); e != 0 {
		return 0, false
	}
	cur, ok := casUser32(a, old, nv)
	m.k.wrote(a, 4)
	return cur, ok
}

func (m robustMem) Wake(a uint64) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(a), futexWake, 1, 0, 0, 0)
}

// exitRobustList is the kernel's exit_robust_list for t, which is dying:
// the robust mutexes it still holds become FUTEX_OWNER_DIED, with a waiter
// woken (package futex). It returns the entries visited.
func (t *Thread) exitRobustList(abi cpu.ABI) int {
	k, head := t.p, t.robustList
	if head == 0 {
		return 0
	}
	m := robustMem{k: k, ptr: 8}
	mask := ^uint64(0)
	n := uint64(sizeofRobustListHeadAMD64)
	if abi == cpu.ABIi386 {
		m.ptr, mask, n = 4, 0xffffffff, sizeofRobustListHeadI386
	}
	var b [sizeofRobustListHeadMax]byte
	if k.copyIn(head, b[:n]) != 0 {
		return 0
	}
	var h cRobustListHead
	if abi == cpu.ABIi386 {
		h.decodeI386(b[:])
	} else {
		h.decodeAMD64(b[:])
	}
	w := futex.Walk{Mem: m, Addr: head, PtrMask: mask, TID: uint32(t.tid)}
	return w.Exit(futex.Head{Next: h.Next, FutexOffset: h.FutexOffset, Pending: h.ListOpPending})
}

// sysGetRobustList is get_robust_list(pid, head_ptr, len_ptr): the head a
// thread of this process registered (pid 0: the caller's), and its size.
func sysGetRobustList(k *Process, s *sysCall) int64 {
	t := s.t
	if pid := s.int32Arg(0); pid != 0 {
		if t = k.thread(pid); t == nil {
			return -int64(unix.ESRCH)
		}
	}
	size := uint64(sizeofRobustListHead(s.abi))
	ptr := uint64(8)
	if s.abi == cpu.ABIi386 {
		ptr = 4
	}
	var b [8]byte
	le.PutUint64(b[:], t.robustList)
	if e := k.copyOut(s.a[1], b[:ptr]); e != 0 {
		return -int64(e)
	}
	le.PutUint64(b[:], size)
	return -int64(k.copyOut(s.a[2], b[:ptr]))
}

// The futex2 calls (futex_wake, futex_wait, futex_waitv, futex_requeue):
// the same passage to the host, with every futex word checked to be guest
// memory of the size its flags give, the struct futex_waitv arrays (one
// layout in both ABIs) copied into minemu's memory and checked entry by
// entry, and the 64-bit __kernel_timespec read as futex_time64's.

// futex2 flags (linux/futex.h) and limits.
const (
	futex2SizeMask  = 0x3
	futex2ValidMask = futex2SizeMask | 0x4 | 0x8 | futexPrivateFlag // sizes, NUMA, MPOL, PRIVATE
	futexWaitvMax   = 128
	sizeofWaitv     = 24 // struct futex_waitv: val, uaddr (u64), flags, __reserved (u32)
)

// futex2Addr checks the futex word at a of the size flags give.
func (k *Process) futex2Addr(a, flags uint64) unix.Errno {
	size := uint64(1) << (flags & futex2SizeMask)
	if a%size != 0 {
		return unix.EINVAL
	}
	_, e := k.passPtr(a, size)
	return e
}

// futex2Timeout reads the optional timeout of futex_wait and futex_waitv.
func (k *Process) futex2Timeout(s *sysCall, a uint64, ts *unix.Timespec) (*unix.Timespec, unix.Errno) {
	if a == 0 {
		return nil, 0
	}
	if e := k.futexTimeout(s, a, true, ts); e != 0 {
		return nil, e
	}
	return ts, 0
}

// sysFutexWake is futex_wake(uaddr, mask, nr, flags).
func sysFutexWake(k *Process, s *sysCall) int64 {
	flags := uint64(uint32(s.a[3]))
	if flags&^futex2ValidMask != 0 {
		return -int64(unix.EINVAL)
	}
	if e := k.futex2Addr(s.a[0], flags); e != 0 {
		return -int64(e)
	}
	r, e := hostFutex2(unix.SYS_FUTEX_WAKE, uintptr(s.a[0]), uintptr(s.a[1]), uintptr(s.int32Arg(2)), uintptr(flags), nil, 0)
	return hostRet(r, e)
}

// sysFutexWait is futex_wait(uaddr, val, mask, flags, timeout, clockid).
func sysFutexWait(k *Process, s *sysCall) int64 {
	flags := uint64(uint32(s.a[3]))
	if flags&^futex2ValidMask != 0 {
		return -int64(unix.EINVAL)
	}
	var ts unix.Timespec
	tsp, e := k.futex2Timeout(s, s.a[4], &ts)
	if e != 0 {
		return -int64(e)
	}
	if e := k.futex2Addr(s.a[0], flags); e != 0 {
		return -int64(e)
	}
	s.t.futexWait.Store(s.a[0] | flags&futexPrivateFlag>>7)
	r, e := hostFutex2(unix.SYS_FUTEX_WAIT, uintptr(s.a[0]), uintptr(s.a[1]), uintptr(s.a[2]), uintptr(flags), tsp, uintptr(s.int32Arg(5)))
	s.t.futexWait.Store(0)
	return hostRet(r, e)
}

// waitv copies n struct futex_waitv from the guest at a into v, checking
// each word's address: EFAULT for the array or a word that is not guest
// memory, EINVAL for a misaligned word (the kernel's own checks of flags
// and values follow when it reads the copy).
func (k *Process) waitv(a uint64, n int, v []byte) unix.Errno {
	if e := k.copyIn(a, v[:n*sizeofWaitv]); e != 0 {
		return e
	}
	for i := 0; i < n; i++ {
		w := v[i*sizeofWaitv:]
		flags := uint64(le.Uint32(w[16:]))
		if flags&^futex2ValidMask != 0 || le.Uint32(w[20:]) != 0 {
			return unix.EINVAL
		}
		if e := k.futex2Addr(le.Uint64(w[8:]), flags); e != 0 {
			return e
		}
	}
	return 0
}

// sysFutexWaitv is futex_waitv(waiters, nr_futexes, flags, timeout,
// clockid).
func sysFutexWaitv(k *Process, s *sysCall) int64 {
	n := int(uint32(s.a[1]))
	if uint32(s.a[2]) != 0 || n == 0 || n > futexWaitvMax || s.a[0] == 0 {
		return -int64(unix.EINVAL)
	}
	var ts unix.Timespec
	tsp, e := k.futex2Timeout(s, s.a[3], &ts)
	if e != 0 {
		return -int64(e)
	}
	v := make([]byte, n*sizeofWaitv)
	if e := k.waitv(s.a[0], n, v); e != 0 {
		return -int64(e)
	}
	if n == 1 {
		s.t.futexWait.Store(le.Uint64(v[8:]) | uint64(le.Uint32(v[16:]))&futexPrivateFlag>>7)
		defer s.t.futexWait.Store(0)
	}
	r, e := hostFutexWaitv(v, uintptr(n), tsp, uintptr(s.int32Arg(4)))
	return hostRet(r, e)
}

// sysFutexRequeue is futex_requeue(waiters[2], flags, nr_wake,
// nr_requeue).
func sysFutexRequeue(k *Process, s *sysCall) int64 {
	if uint32(s.a[1]) != 0 {
		return -int64(unix.EINVAL)
	}
	v := make([]byte, 2*sizeofWaitv)
	if e := k.waitv(s.a[0], 2, v); e != 0 {
		return -int64(e)
	}
	r, e := hostFutexRequeue(v, uintptr(s.int32Arg(2)), uintptr(s.int32Arg(3)))
	return hostRet(r, e)
}
