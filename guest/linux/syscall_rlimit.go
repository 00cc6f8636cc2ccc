package linux

// Resource limits: getrlimit, ugetrlimit, the old getrlimit, setrlimit,
// prlimit64; and the memory-locking calls RLIMIT_MEMLOCK governs.
//
// The guest's limits are not the process's: a guest that sets RLIMIT_AS,
// RLIMIT_DATA or RLIMIT_NOFILE must not starve minemu's own memory and
// descriptors, and a limit the guest sets must hold for what the guest
// does. So each resource is kept one of three ways (rlimKinds; the table
// with the reasons is in docs/RATIONALE.md, "Why are the guest's resource
// limits minemu's?"):
//
//   - rlimGuest: the value lives in Process.rlim only. minemu enforces it
//     where the kernel would: RLIMIT_NOFILE on the guest's descriptor
//     numbers (EMFILE, EBADF, EINVAL as fs/file.c and fs/fcntl.c),
//     RLIMIT_AS and RLIMIT_DATA on the guest's mappings (mm.GuestSpace:
//     ENOMEM, brk failing). The others (STACK, CORE, RSS, NPROC, LOCKS,
//     SIGPENDING) are recorded and reported only.
//   - rlimHost: the process's own limit; the kernel enforces it on the
//     process, whose use of the resource is the guest's (CPU time,
//     message queues, nice and real-time priority).
//   - rlimHostSoft: the guest's soft value is also the process's, so the
//     kernel enforces it on the guest's calls (FSIZE on writes, MEMLOCK on
//     mlock and MAP_LOCKED), while the guest's hard value is kept here and
//     the process keeps its own: minemu can raise the soft value again for
//     itself (RestoreHostLimits, before --stats is written).
//
// Setting a limit is validated as the kernel's do_prlimit does: EINVAL
// for an unknown resource or cur > max, EPERM for raising the hard value
// without CAP_SYS_RESOURCE (the real capability, read with capget), EPERM
// for an RLIMIT_NOFILE hard value above the descriptor band's start (in
// place of fs.nr_open). prlimit64 on another process passes through.

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/fdband"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// rlimNLimits is RLIM_NLIMITS: the number of resources.
const rlimNLimits = fdband.NLimits

// Resource numbers x/sys/unix does not name on every architecture.
const (
	rlimitMsgqueue = 12
	rlimitNice     = 13
	rlimitRtprio   = 14
	rlimitRttime   = 15
)

// rlimKind says where a resource's limit lives (see the file comment).
type rlimKind uint8

const (
	rlimGuest rlimKind = iota
	rlimHost
	rlimHostSoft
)

var rlimKinds = [rlimNLimits]rlimKind{
	unix.RLIMIT_CPU:     rlimHost,
	unix.RLIMIT_FSIZE:   rlimHostSoft,
	unix.RLIMIT_MEMLOCK: rlimHostSoft,
	rlimitMsgqueue:      rlimHost,
	rlimitNice:          rlimHost,
	rlimitRtprio:        rlimHost,
	rlimitRttime:        rlimHost,
}

// Capabilities (linux/capability.h).
const (
	capIPCLock     = 14
	capSysResource = 24
)

// hasCap reports whether the process has capability c in its effective
// set.
func hasCap(c uint) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) != nil {
		return false
	}
	return data[c/32].Effective&(1<<(c%32)) != 0
}

// initRlimits fills the guest's limits from the process's starting ones:
// RLIMIT_NOFILE as it was before Go raised it, capped by the band. It runs
// before the Process is shared.
func (k *Process) initRlimits() {
	k.rlim = k.band.Limits()
	nf := &k.rlim[unix.RLIMIT_NOFILE]
	start := uint64(k.band.Start())
	nf.Cur, nf.Max = min(nf.Cur, start), min(nf.Max, start)
	k.space.SetLimits(k.spaceLimits())
}

// spaceLimits are the limits GuestSpace enforces. Called with limMu held
// (or before the Process is shared).
func (k *Process) spaceLimits() mm.GuestLimits {
	as, data := k.rlim[unix.RLIMIT_AS], k.rlim[unix.RLIMIT_DATA]
	return mm.GuestLimits{AS: as.Cur, Data: data.Cur, DataMax: data.Max}
}

// nofile is the guest's RLIMIT_NOFILE soft value: the first descriptor
// number it may not get.
func (k *Process) nofile() uint64 { return k.limit(unix.RLIMIT_NOFILE).Cur }

// limit is the guest's limit of resource res (< rlimNLimits) as kept in
// rlim.
func (k *Process) limit(res int) unix.Rlimit {
	k.limMu.Lock()
	defer k.limMu.Unlock()
	return k.rlim[res]
}

// getRlimit is do_prlimit's read.
func (k *Process) getRlimit(res uint32) (unix.Rlimit, unix.Errno) {
	if res >= rlimNLimits {
		return unix.Rlimit{}, unix.EINVAL
	}
	if rlimKinds[res] == rlimHost {
		var rl unix.Rlimit
		if err := unix.Prlimit(0, int(res), nil, &rl); err != nil {
			return rl, err.(unix.Errno)
		}
		return rl, 0
	}
	return k.limit(int(res)), 0
}

// setRlimit is do_prlimit's write.
func (k *Process) setRlimit(res uint32, rl unix.Rlimit) unix.Errno {
	if res >= rlimNLimits || rl.Cur > rl.Max {
		return unix.EINVAL
	}
	if res == unix.RLIMIT_NOFILE && rl.Max > uint64(k.band.Start()) {
		return unix.EPERM
	}
	// The check against the hard value and the update are one step.
	k.limMu.Lock()
	defer k.limMu.Unlock()
	switch rlimKinds[res] {
	case rlimHost:
		if err := unix.Prlimit(0, int(res), &rl, nil); err != nil {
			return err.(unix.Errno)
		}
		return 0
	case rlimHostSoft:
		if rl.Max > k.rlim[res].Max && !hasCap(capSysResource) {
			return unix.EPERM
		}
		var host unix.Rlimit
		if err := unix.Prlimit(0, int(res), nil, &host); err != nil {
			return err.(unix.Errno)
		}
		host.Cur, host.Max = rl.Cur, max(host.Max, rl.Max)
		if err := unix.Prlimit(0, int(res), &host, nil); err != nil {
			return err.(unix.Errno)
		}
	default:
		if rl.Max > k.rlim[res].Max && !hasCap(capSysResource) {
			return unix.EPERM
		}
	}
	k.rlim[res] = rl
	if res == unix.RLIMIT_AS || res == unix.RLIMIT_DATA {
		k.space.SetLimits(k.spaceLimits())
	}
	return 0
}

// RestoreHostLimits gives minemu back the limits the guest set for the
// process on the guest's behalf, once the guest has ended: the soft
// RLIMIT_FSIZE goes back to the process's hard value, so that minemu's own
// writes (--stats) are not cut short by the guest's file-size limit.
func (k *Process) RestoreHostLimits() {
	var rl unix.Rlimit
	if unix.Prlimit(0, unix.RLIMIT_FSIZE, nil, &rl) == nil && rl.Cur != rl.Max {
		rl.Cur = rl.Max
		unix.Prlimit(0, unix.RLIMIT_FSIZE, &rl, nil)
	}
}

// putRlimit64 writes a struct rlimit64 (also x86-64's struct rlimit).
func (k *Process) putRlimit64(addr uint64, rl unix.Rlimit) unix.Errno {
	var b [sizeofRlimit64]byte
	v := cRlimit64{Cur: rl.Cur, Max: rl.Max}
	return k.copyOut(addr, v.encode(b[:]))
}

// getRlimit64 reads a struct rlimit64.
func (k *Process) getRlimit64(addr uint64) (unix.Rlimit, unix.Errno) {
	var b [sizeofRlimit64]byte
	if e := k.copyIn(addr, b[:]); e != 0 {
		return unix.Rlimit{}, e
	}
	var v cRlimit64
	v.decode(b[:])
	return unix.Rlimit{Cur: v.Cur, Max: v.Max}, 0
}

// sysGetrlimit is x86-64's getrlimit (the host's struct rlimit) and
// i386's ugetrlimit (compat_sys_getrlimit: clamped to 32 bits, infinity
// 0xffffffff).
func sysGetrlimit(k *Process, s *sysCall) int64 {
	rl, e := k.getRlimit(uint32(s.a[0]))
	if e != 0 {
		return -int64(e)
	}
	if s.abi == cpu.ABIAMD64 {
		return -int64(k.putRlimit64(s.a[1], rl))
	}
	var b [sizeofRlimitI386]byte
	encodeRlimit32(&rl, sysCompatRlimInf32, &b)
	return -int64(k.copyOut(s.a[1], b[:]))
}

// sysOldGetrlimit is i386's old getrlimit (number 76): values clamp to
// 0x7fffffff.
func sysOldGetrlimit(k *Process, s *sysCall) int64 {
	rl, e := k.getRlimit(uint32(s.a[0]))
	if e != 0 {
		return -int64(e)
	}
	var b [sizeofRlimitI386]byte
	encodeRlimit32(&rl, sysMaxNonLFS, &b)
	return -int64(k.copyOut(s.a[1], b[:]))
}

// sysSetrlimit is setrlimit(resource, rlim): x86-64's struct rlimit, or
// i386's compat one (0xffffffff meaning infinity). The structure is read
// before the resource is checked, as the kernel does.
func sysSetrlimit(k *Process, s *sysCall) int64 {
	var rl unix.Rlimit
	if s.abi == cpu.ABIAMD64 {
		var e unix.Errno
		if rl, e = k.getRlimit64(s.a[1]); e != 0 {
			return -int64(e)
		}
	} else {
		var b [sizeofRlimitI386]byte
		if e := k.copyIn(s.a[1], b[:]); e != 0 {
			return -int64(e)
		}
		rl = decodeRlimit32(&b)
	}
	return -int64(k.setRlimit(uint32(s.a[0]), rl))
}

// sysPrlimit64 is prlimit64(pid, resource, new, old): struct rlimit64 is
// the same in both ABIs. This process (pid 0, the guest's pid, or any of
// its threads) gets the guest's limits; another process's are the host's
// business.
func sysPrlimit64(k *Process, s *sysCall) int64 {
	pid := s.int32Arg(0)
	if pid != 0 && pid != k.pid && (pid < 0 || !k.ownThread(pid)) {
		return k.hostPrlimit64(s)
	}
	res := uint32(s.a[1])
	var newRl unix.Rlimit
	if s.a[2] != 0 {
		var e unix.Errno
		if newRl, e = k.getRlimit64(s.a[2]); e != 0 {
			return -int64(e)
		}
	}
	old, e := k.getRlimit(res)
	if e != 0 {
		return -int64(e)
	}
	if s.a[2] != 0 {
		if e := k.setRlimit(res, newRl); e != 0 {
			return -int64(e)
		}
	}
	if s.a[3] != 0 {
		return -int64(k.putRlimit64(s.a[3], old))
	}
	return 0
}

// hostPrlimit64 passes prlimit64 on another process to the host.
func (k *Process) hostPrlimit64(s *sysCall) int64 {
	var newp, oldp uintptr
	var e unix.Errno
	if s.a[2] != 0 {
		if newp, e = k.passPtr(s.a[2], sizeofRlimit64); e != 0 {
			return -int64(e)
		}
	}
	if s.a[3] != 0 {
		if oldp, e = k.passPtr(s.a[3], sizeofRlimit64); e != 0 {
			return -int64(e)
		}
	}
	r, _, e := unix.Syscall6(unix.SYS_PRLIMIT64, uintptr(s.int32Arg(0)), uintptr(uint32(s.a[1])), newp, oldp, 0, 0)
	if e == 0 && oldp != 0 {
		k.wrote(s.a[3], sizeofRlimit64)
	}
	return hostRet(r, e)
}

// Memory locking. The kernel checks RLIMIT_MEMLOCK itself for mlock,
// mlock2 and MAP_LOCKED (the guest's soft value is the process's,
// rlimHostSoft); minemu checks that the range is the guest's and does
// mlockall itself, over the guest's mappings only (the kernel's would
// count and lock minemu's memory too).

// canMlock is the kernel's can_do_mlock.
func (k *Process) canMlock() bool {
	return k.limit(unix.RLIMIT_MEMLOCK).Cur != 0 || hasCap(capIPCLock)
}

// lockRange is the page range of an mlock-family call, rounded as the
// kernel's do_mlock does (PAGE_ALIGN wraps a huge length to 0, which locks
// nothing): EINVAL when it wraps the address space, ENOMEM when a page of
// it is not the guest's (for the guest it is unmapped); ok is false when
// there is nothing to do or e is set.
func (k *Process) lockRange(addr, length uint64) (r mm.AddrRange, ok bool, e unix.Errno) {
	start := addr &^ mm.PageMask
	n := (length + addr&mm.PageMask + mm.PageMask) &^ mm.PageMask
	if start+n < start {
		return r, false, unix.EINVAL
	}
	if n == 0 {
		return r, false, 0
	}
	r, e = k.userRange(start, n)
	if e != 0 || !k.space.IsMapped(r, unix.PROT_NONE) {
		return r, false, unix.ENOMEM
	}
	return r, true, 0
}

// mlockFlags are mlock2's flags (MLOCK_ONFAULT).
const mlockOnfault = 1

func (k *Process) mlock(addr, length uint64, flags int) int64 {
	if flags&^mlockOnfault != 0 {
		return -int64(unix.EINVAL)
	}
	if !k.canMlock() {
		return -int64(unix.EPERM)
	}
	r, ok, e := k.lockRange(addr, length)
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

func sysMlock(k *Process, s *sysCall) int64  { return k.mlock(s.a[0], s.a[1], 0) }
func sysMlock2(k *Process, s *sysCall) int64 { return k.mlock(s.a[0], s.a[1], s.int32Arg(2)) }

func sysMunlock(k *Process, s *sysCall) int64 {
	r, ok, e := k.lockRange(s.a[0], s.a[1])
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

// sysMlockall: with MCL_CURRENT the guest's mapped total must fit its
// limit (the kernel compares total_vm), unless it has CAP_IPC_LOCK.
func sysMlockall(k *Process, s *sysCall) int64 {
	flags := s.int32Arg(0)
	if flags == 0 || flags&^(mclCurrent|mclFuture|mclOnfault) != 0 || flags == mclOnfault {
		return -int64(unix.EINVAL)
	}
	if !k.canMlock() {
		return -int64(unix.EPERM)
	}
	if flags&mclCurrent != 0 && k.space.GuestPages() > k.limit(unix.RLIMIT_MEMLOCK).Cur>>mm.PageShift && !hasCap(capIPCLock) {
		return -int64(unix.ENOMEM)
	}
	return errnoOK(k.space.LockAll(flags&mclCurrent != 0, flags&mclFuture != 0, flags&mclOnfault != 0))
}

func sysMunlockall(k *Process, s *sysCall) int64 { return errnoOK(k.space.UnlockAll()) }

// errnoOK is 0 for a nil error, else its errno.
func errnoOK(err error) int64 {
	if err == nil {
		return 0
	}
	return errno(err)
}
