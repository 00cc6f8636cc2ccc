package linux

// Resource limits as the process keeps them for the guest; the calls that
// read and set them (getrlimit, ugetrlimit, the old getrlimit, setrlimit,
// prlimit64) and the memory-locking calls RLIMIT_MEMLOCK governs are
// guest/linux/memcall's.
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
	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/minemu/minemu/guest/linux/memcall"

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
		if rl.Max > k.rlim[res].Max && !memcall.HasCap(memcall.CapSysResource) {
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
		if rl.Max > k.rlim[res].Max && !memcall.HasCap(memcall.CapSysResource) {
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
