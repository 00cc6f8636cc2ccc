package linux

// File-system system calls beyond the core set: directory entries,
// renames, removal, permissions, truncation, syncing, and sysinfo. Paths
// are read from guest memory and handed to the host's *at calls; a path
// that names /proc/self/exe is not redirected here, since these calls
// change the file system rather than look at the program.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"
)

// pathAt runs host call nr(dirfd, path, a2, a3) for a guest path.
func (k *Process) pathAt(nr uintptr, dirfd int, pathAddr uint64, a2, a3 uintptr) int64 {
	dirfd, p, e := k.dirPath(dirfd, pathAddr)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(nr, [6]uintptr{uintptr(dirfd), 0, a2, a3}, 1, p)
	return hostRet(r, e)
}

func sysUnlink(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_UNLINKAT, unix.AT_FDCWD, s.a[0], 0, 0)
}

func sysUnlinkat(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_UNLINKAT, s.int32Arg(0), s.a[1], uintptr(uint32(s.a[2])), 0)
}

func sysRmdir(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_UNLINKAT, unix.AT_FDCWD, s.a[0], unix.AT_REMOVEDIR, 0)
}

func sysMkdir(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_MKDIRAT, unix.AT_FDCWD, s.a[0], uintptr(uint32(s.a[1])), 0)
}

func sysMkdirat(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_MKDIRAT, s.int32Arg(0), s.a[1], uintptr(uint32(s.a[2])), 0)
}

func sysChmod(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_FCHMODAT, unix.AT_FDCWD, s.a[0], uintptr(uint32(s.a[1])), 0)
}

func sysFchmodat(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_FCHMODAT, s.int32Arg(0), s.a[1], uintptr(uint32(s.a[2])), 0)
}

func sysChdir(k *Process, s *sysCall) int64 {
	_, p, e := k.dirPath(unix.AT_FDCWD, s.a[0])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_CHDIR, [6]uintptr{}, 0, p)
	return hostRet(r, e)
}

// sysTruncate is truncate(path, length); i386's length is a signed long.
func sysTruncate(k *Process, s *sysCall) int64 {
	_, p, e := k.dirPath(unix.AT_FDCWD, s.a[0])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_TRUNCATE, [6]uintptr{0, uintptr(s.longArg(1))}, 0, p)
	return hostRet(r, e)
}

// renameat2 is the common part of rename, renameat and renameat2.
func (k *Process) renameat2(olddir int, oldAddr uint64, newdir int, newAddr uint64, flags uint32) int64 {
	olddir, e := k.dirfd(olddir)
	if e != 0 {
		return -int64(e)
	}
	newdir, e = k.dirfd(newdir)
	if e != 0 {
		return -int64(e)
	}
	oldp, e := k.path(oldAddr)
	if e != 0 {
		return -int64(e)
	}
	newp, e := k.path(newAddr)
	if e != 0 {
		return -int64(e)
	}
	oldp, newp = k.hideFDPath(olddir, oldp), k.hideFDPath(newdir, newp)
	if err := unix.Renameat2(olddir, oldp, newdir, newp, uint(flags)); err != nil {
		return errno(err)
	}
	return 0
}

func sysRename(k *Process, s *sysCall) int64 {
	return k.renameat2(unix.AT_FDCWD, s.a[0], unix.AT_FDCWD, s.a[1], 0)
}

func sysRenameat(k *Process, s *sysCall) int64 {
	return k.renameat2(s.int32Arg(0), s.a[1], s.int32Arg(2), s.a[3], 0)
}

func sysRenameat2(k *Process, s *sysCall) int64 {
	return k.renameat2(s.int32Arg(0), s.a[1], s.int32Arg(2), s.a[3], uint32(s.a[4]))
}

// fdCall runs host call nr(fd, a1, a2) for a guest descriptor.
func (k *Process) fdCall(nr uintptr, fd int, a1, a2 uintptr) int64 {
	fd, e := k.fd(fd)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(nr, uintptr(fd), a1, a2)
	return hostRet(r, e)
}

func sysFchdir(k *Process, s *sysCall) int64 { return k.fdCall(unix.SYS_FCHDIR, s.int32Arg(0), 0, 0) }
func sysFsync(k *Process, s *sysCall) int64  { return k.fdCall(unix.SYS_FSYNC, s.int32Arg(0), 0, 0) }
func sysFdatasync(k *Process, s *sysCall) int64 {
	return k.fdCall(unix.SYS_FDATASYNC, s.int32Arg(0), 0, 0)
}

func sysFchmod(k *Process, s *sysCall) int64 {
	return k.fdCall(unix.SYS_FCHMOD, s.int32Arg(0), uintptr(uint32(s.a[1])), 0)
}

// sysFtruncate is ftruncate(fd, length); i386's length is a signed long.
func sysFtruncate(k *Process, s *sysCall) int64 {
	return k.fdCall(unix.SYS_FTRUNCATE, s.int32Arg(0), uintptr(s.longArg(1)), 0)
}

// sysFtruncate64 is i386's ftruncate64(fd, length_lo, length_hi).
func sysFtruncate64(k *Process, s *sysCall) int64 {
	return k.fdCall(unix.SYS_FTRUNCATE, s.int32Arg(0), uintptr(s.a[2]<<32|s.a[1]), 0)
}

// sysGetdents64: struct linux_dirent64 is the same in both ABIs. In a
// directory listing this process's descriptors, the entries of minemu's
// own are dropped (fdband_proc.go); a buffer that held only those is
// refilled, so that an empty result still means the end.
func sysGetdents64(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	ub, e := k.kernelBuf(s.a[1], uint64(uint32(s.a[2])))
	if e != 0 {
		return -int64(e)
	}
	r := k.getdents(fd, s.a[1], ub.n)
	k.release(&ub)
	return r
}

// getdents runs getdents64 into the guest buffer at addr, n bytes of it
// prepared by kernelBuf. A listing of one of the process's fd or fdinfo
// directories loses minemu's band entries, one of its task directory the
// Go runtime's threads; a chunk holding nothing else is replaced by the
// next one.
func (k *Process) getdents(fd int, addr, n uint64) int64 {
	var drop func(string) bool
	if k.isOwnFDDir(fd) {
		drop = k.ownedNumber
	} else if k.isOwnTaskDir(fd) {
		drop = k.notGuestTask // the Go runtime's threads (proc_task.go)
	}
	for {
		r, _, e := unix.Syscall(unix.SYS_GETDENTS64, uintptr(fd), uintptr(addr), uintptr(n))
		ret := k.wroteRet(addr, hostRet(r, e))
		if ret <= 0 || drop == nil {
			return ret
		}
		buf, e := k.checkUser(addr, uint64(ret), unix.PROT_READ|unix.PROT_WRITE)
		if e != 0 {
			return ret
		}
		if m := filterDirents(userView(buf), drop); m > 0 {
			return int64(m)
		}
	}
}

func sysUmask(k *Process, s *sysCall) int64 {
	return int64(unix.Umask(int(s.a[0] & 0o777)))
}

func sysSchedYield(k *Process, s *sysCall) int64 {
	unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	return 0
}

// sysSchedGetaffinity: the CPU mask is a byte array in both ABIs, but its
// length (an unsigned int in both) must be a multiple of the guest's long.
func sysSchedGetaffinity(k *Process, s *sysCall) int64 {
	n := uint64(uint32(s.a[1]))
	if s.abi == cpu.ABIi386 && n%4 != 0 {
		return -int64(unix.EINVAL)
	}
	p, e := k.passPtr(s.a[2], n)
	if e != 0 {
		return -int64(e)
	}
	pid := s.int32Arg(0)
	if pid == s.t.tid {
		pid = 0 // the calling guest thread, not whichever thread runs it
	}
	r, _, e := unix.Syscall(unix.SYS_SCHED_GETAFFINITY, uintptr(pid), uintptr(n), p)
	return k.wroteRet(s.a[2], hostRet(r, e))
}

// sysSysinfo writes struct sysinfo; for i386 the memory fields are
// 32-bit and, like the kernel's compat_sysinfo, scaled down through a
// larger mem_unit when they do not fit.
func sysSysinfo(k *Process, s *sysCall) int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return errno(err)
	}
	var b [sizeofSysinfoMax]byte
	n := encodeSysinfo(s.abi, &si, &b)
	return -int64(k.copyOut(s.a[0], b[:n]))
}

// encodeSysinfo writes si in abi's layout into b and returns its size.
func encodeSysinfo(abi cpu.ABI, si *unix.Sysinfo_t, b *[sizeofSysinfoMax]byte) int {
	v := cSysinfo{
		Uptime: si.Uptime, Loads: si.Loads,
		Totalram: si.Totalram, Freeram: si.Freeram, Sharedram: si.Sharedram, Bufferram: si.Bufferram,
		Totalswap: si.Totalswap, Freeswap: si.Freeswap, Procs: si.Procs,
		Totalhigh: si.Totalhigh, Freehigh: si.Freehigh, MemUnit: si.Unit,
	}
	if abi == cpu.ABIi386 && (si.Totalram>>32 != 0 || si.Totalswap>>32 != 0) {
		shift := 0
		for v.MemUnit < 4096 {
			v.MemUnit <<= 1
			shift++
		}
		for _, p := range [...]*uint64{&v.Totalram, &v.Freeram, &v.Sharedram, &v.Bufferram, &v.Totalswap, &v.Freeswap, &v.Totalhigh, &v.Freehigh} {
			*p >>= shift
		}
	}
	return len(v.encode(abi, b[:]))
}
