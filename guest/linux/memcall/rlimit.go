package memcall

// Resource limits and memory locking: getrlimit, ugetrlimit, the old
// getrlimit, setrlimit, prlimit64; mlock, mlock2, munlock, mlockall,
// munlockall. The limits themselves are the Linux layer's (Task.GetRlimit,
// Task.SetRlimit): a handler reads and writes their structures.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
	"github.com/minemu/minemu/mm"
)

// Capabilities (linux/capability.h).
const (
	CapIPCLock     = 14
	CapSysResource = 24
)

// HasCap reports whether the process has capability c in its effective
// set.
func HasCap(c uint) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) != nil {
		return false
	}
	return data[c/32].Effective&(1<<(c%32)) != 0
}

// putRlimit64 writes a struct rlimit64 (also x86-64's struct rlimit).
func putRlimit64(t Task, addr uint64, rl unix.Rlimit) unix.Errno {
	b := (*[sizeofRlimit64]byte)(t.Scratch(sizeofRlimit64))
	v := cRlimit64{Cur: rl.Cur, Max: rl.Max}
	return t.CopyOut(addr, v.encode(b[:]))
}

// getRlimit64 reads a struct rlimit64.
func getRlimit64(t Task, addr uint64) (unix.Rlimit, unix.Errno) {
	b := (*[sizeofRlimit64]byte)(t.Scratch(sizeofRlimit64))
	if e := t.CopyIn(addr, b[:]); e != 0 {
		return unix.Rlimit{}, e
	}
	var v cRlimit64
	v.decode(b[:])
	return unix.Rlimit{Cur: v.Cur, Max: v.Max}, 0
}

// Getrlimit is x86-64's getrlimit (the host's struct rlimit) and
// i386's ugetrlimit (compat_sys_getrlimit: clamped to 32 bits, infinity
// 0xffffffff).
func Getrlimit(t Task, c *hostcall.Call) int64 {
	rl, e := t.GetRlimit(uint32(c.A[0]))
	if e != 0 {
		return -int64(e)
	}
	if c.ABI == cpu.ABIAMD64 {
		return -int64(putRlimit64(t, c.A[1], rl))
	}
	b := (*[sizeofRlimitI386]byte)(t.Scratch(sizeofRlimitI386))
	encodeRlimit32(&rl, compatRlimInf32, b)
	return -int64(t.CopyOut(c.A[1], b[:]))
}

// OldGetrlimit is i386's old getrlimit (number 76): values clamp to
// 0x7fffffff.
func OldGetrlimit(t Task, c *hostcall.Call) int64 {
	rl, e := t.GetRlimit(uint32(c.A[0]))
	if e != 0 {
		return -int64(e)
	}
	b := (*[sizeofRlimitI386]byte)(t.Scratch(sizeofRlimitI386))
	encodeRlimit32(&rl, maxNonLFS, b)
	return -int64(t.CopyOut(c.A[1], b[:]))
}

// Setrlimit is setrlimit(resource, rlim): x86-64's struct rlimit, or
// i386's compat one (0xffffffff meaning infinity). The structure is read
// before the resource is checked, as the kernel does.
func Setrlimit(t Task, c *hostcall.Call) int64 {
	var rl unix.Rlimit
	if c.ABI == cpu.ABIAMD64 {
		var e unix.Errno
		if rl, e = getRlimit64(t, c.A[1]); e != 0 {
			return -int64(e)
		}
	} else {
		b := (*[sizeofRlimitI386]byte)(t.Scratch(sizeofRlimitI386))
		if e := t.CopyIn(c.A[1], b[:]); e != 0 {
			return -int64(e)
		}
		rl = decodeRlimit32(b)
	}
	return -int64(t.SetRlimit(uint32(c.A[0]), rl))
}

// Prlimit64 is prlimit64(pid, resource, new, old): struct rlimit64 is
// the same in both ABIs. This process (pid 0, the guest's pid, or any of
// its threads) gets the guest's limits; another process's are the host's
// business.
func Prlimit64(t Task, c *hostcall.Call) int64 {
	pid := c.Int32(0)
	if pid != 0 && pid != t.Pid() && (pid < 0 || !t.OwnThread(pid)) {
		return hostPrlimit64(t, c)
	}
	res := uint32(c.A[1])
	var newRl unix.Rlimit
	if c.A[2] != 0 {
		var e unix.Errno
		if newRl, e = getRlimit64(t, c.A[2]); e != 0 {
			return -int64(e)
		}
	}
	old, e := t.GetRlimit(res)
	if e != 0 {
		return -int64(e)
	}
	if c.A[2] != 0 {
		if e := t.SetRlimit(res, newRl); e != 0 {
			return -int64(e)
		}
	}
	if c.A[3] != 0 {
		return -int64(putRlimit64(t, c.A[3], old))
	}
	return 0
}

// hostPrlimit64 passes prlimit64 on another process to the host.
func hostPrlimit64(t Task, c *hostcall.Call) int64 {
	var newp, oldp uintptr
	var e unix.Errno
	if c.A[2] != 0 {
		if newp, e = t.PassPtr(c.A[2], sizeofRlimit64); e != 0 {
			return -int64(e)
		}
	}
	if c.A[3] != 0 {
		if oldp, e = t.PassPtr(c.A[3], sizeofRlimit64); e != 0 {
			return -int64(e)
		}
	}
	r, _, e := unix.Syscall6(unix.SYS_PRLIMIT64, uintptr(c.Int32(0)), uintptr(uint32(c.A[1])), newp, oldp, 0, 0)
	if e == 0 && oldp != 0 {
		t.Wrote(c.A[3], sizeofRlimit64)
	}
	return hostRet(r, e)
}

// Memory locking. The kernel checks RLIMIT_MEMLOCK itself for mlock,
// mlock2 and MAP_LOCKED (the guest's soft value is the process's,
// rlimHostSoft); minemu checks that the range is the guest's and does
// mlockall itself, over the guest's mappings only (the kernel's would
// count and lock minemu's memory too).

// canMlock is the kernel's can_do_mlock.
func canMlock(t Task) bool {
	return t.Limit(unix.RLIMIT_MEMLOCK).Cur != 0 || HasCap(CapIPCLock)
}

// lockRange is the page range of an mlock-family call, rounded as the
// kernel's do_mlock does (PAGE_ALIGN wraps a huge length to 0, which locks
// nothing): EINVAL when it wraps the address space, ENOMEM when a page of
// it is not the guest's (for the guest it is unmapped); ok is false when
// there is nothing to do or e is set.
func lockRange(t Task, addr, length uint64) (r mm.AddrRange, ok bool, e unix.Errno) {
	start := addr &^ mm.PageMask
	n := (length + addr&mm.PageMask + mm.PageMask) &^ mm.PageMask
	if start+n < start {
		return r, false, unix.EINVAL
	}
	if n == 0 {
		return r, false, 0
	}
	r, e = t.UserRange(start, n)
	if e != 0 || !t.Space().IsMapped(r, unix.PROT_NONE) {
		return r, false, unix.ENOMEM
	}
	return r, true, 0
}

// mlockFlags are mlock2's flags (MLOCK_ONFAULT).
const mlockOnfault = 1

func mlock(t Task, addr, length uint64, flags int) int64 {
	if flags&^mlockOnfault != 0 {
		return -int64(unix.EINVAL)
	}
	if !canMlock(t) {
		return -int64(unix.EPERM)
	}
	r, ok, e := lockRange(t, addr, length)
	if !ok {
		return -int64(e)
	}
	nr, a2 := uintptr(unix.SYS_MLOCK), uintptr(0)
	if flags != 0 {
		nr, a2 = unix.SYS_MLOCK2, uintptr(flags)
	}
	r0, _, e := unix.Syscall(nr, uintptr(r.Start), uintptr(r.Length()), a2)
	return hostRet(r0, e)
}

func Mlock(t Task, c *hostcall.Call) int64  { return mlock(t, c.A[0], c.A[1], 0) }
func Mlock2(t Task, c *hostcall.Call) int64 { return mlock(t, c.A[0], c.A[1], c.Int32(2)) }

func Munlock(t Task, c *hostcall.Call) int64 {
	r, ok, e := lockRange(t, c.A[0], c.A[1])
	if !ok {
		return -int64(e)
	}
	r0, _, e := unix.Syscall(unix.SYS_MUNLOCK, uintptr(r.Start), uintptr(r.Length()), 0)
	return hostRet(r0, e)
}

// mlockall flags.
const (
	mclCurrent = 1
	mclFuture  = 2
	mclOnfault = 4
)

// Mlockall: with MCL_CURRENT the guest's mapped total must fit its
// limit (the kernel compares total_vm), unless it has CAP_IPC_LOCK.
func Mlockall(t Task, c *hostcall.Call) int64 {
	flags := c.Int32(0)
	if flags == 0 || flags&^(mclCurrent|mclFuture|mclOnfault) != 0 || flags == mclOnfault {
		return -int64(unix.EINVAL)
	}
	if !canMlock(t) {
		return -int64(unix.EPERM)
	}
	if flags&mclCurrent != 0 && t.Space().GuestPages() > t.Limit(unix.RLIMIT_MEMLOCK).Cur>>mm.PageShift && !HasCap(CapIPCLock) {
		return -int64(unix.ENOMEM)
	}
	return errnoOK(t.Space().LockAll(flags&mclCurrent != 0, flags&mclFuture != 0, flags&mclOnfault != 0))
}

func Munlockall(t Task, c *hostcall.Call) int64 { return errnoOK(t.Space().UnlockAll()) }

// errnoOK is 0 for a nil error, else its errno.
func errnoOK(err error) int64 {
	if err == nil {
		return 0
	}
	return errno(err)
}
