package linux

// The rest of the surface: credentials, file-system calls without a
// structure of their own (creat, link, symlink, chown, mknod, the utime
// family, statfs, the 64-bit-offset calls i386 splits in two registers,
// xattrs, inotify, fanotify, file handles), memory queries (mincore,
// msync, memfd_create), prctl, scheduling, capabilities, personality, and
// the calls minemu refuses because they would let the guest reach or
// constrain minemu itself.
//
// Credentials are the process's: setuid and its relatives, setgroups and
// capset change them for every thread of the host process, minemu's
// included, as glibc's and musl's wrappers do for every thread of theirs
// (syscall.AllThreadsSyscall, the kernel's per-thread credentials kept
// equal).

import (
	"github.com/minemu/minemu/guest/cpu"

	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// Credentials.

// uid16 widens an i386 16-bit id argument: (old_uid_t)-1 stays "no change"
// (low2highuid).
func uid16(v uint64) uintptr {
	if uint16(v) == 0xffff {
		return ^uintptr(0)
	}
	return uintptr(uint16(v))
}

// uid32 is a 32-bit id argument.
func uid32(v uint64) uintptr { return uintptr(uint32(v)) }

// allThreads runs a credential call on every thread of the host process.
func allThreads(nr, a0, a1, a2 uintptr) int64 {
	r, _, e := syscall.AllThreadsSyscall(nr, a0, a1, a2)
	return hostRet(r, unix.Errno(e))
}

func sysSetuid(k *Process, s *sysCall) int64 { return allThreads(unix.SYS_SETUID, uid32(s.a[0]), 0, 0) }
func sysSetgid(k *Process, s *sysCall) int64 { return allThreads(unix.SYS_SETGID, uid32(s.a[0]), 0, 0) }
func sysSetreuid(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETREUID, uid32(s.a[0]), uid32(s.a[1]), 0)
}
func sysSetregid(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETREGID, uid32(s.a[0]), uid32(s.a[1]), 0)
}
func sysSetresuid(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETRESUID, uid32(s.a[0]), uid32(s.a[1]), uid32(s.a[2]))
}
func sysSetresgid(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETRESGID, uid32(s.a[0]), uid32(s.a[1]), uid32(s.a[2]))
}
func sysSetfsuid(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETFSUID, uid32(s.a[0]), 0, 0)
}
func sysSetfsgid(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETFSGID, uid32(s.a[0]), 0, 0)
}

// The i386 16-bit forms.
func sysSetuid16(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETUID, uid16(s.a[0]), 0, 0)
}
func sysSetgid16(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETGID, uid16(s.a[0]), 0, 0)
}
func sysSetreuid16(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETREUID, uid16(s.a[0]), uid16(s.a[1]), 0)
}
func sysSetregid16(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETREGID, uid16(s.a[0]), uid16(s.a[1]), 0)
}
func sysSetresuid16(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETRESUID, uid16(s.a[0]), uid16(s.a[1]), uid16(s.a[2]))
}
func sysSetresgid16(k *Process, s *sysCall) int64 {
	return allThreads(unix.SYS_SETRESGID, uid16(s.a[0]), uid16(s.a[1]), uid16(s.a[2]))
}

// setfsuid returns the previous fsuid, shown 16 bits wide.
func sysSetfsuid16(k *Process, s *sysCall) int64 {
	return int64(lowUID16(uint32(allThreads(unix.SYS_SETFSUID, uid16(s.a[0]), 0, 0))))
}
func sysSetfsgid16(k *Process, s *sysCall) int64 {
	return int64(lowUID16(uint32(allThreads(unix.SYS_SETFSGID, uid16(s.a[0]), 0, 0))))
}

func sysGetresuid(k *Process, s *sysCall) int64   { return k.getres(s, unix.SYS_GETRESUID, 4) }
func sysGetresgid(k *Process, s *sysCall) int64   { return k.getres(s, unix.SYS_GETRESGID, 4) }
func sysGetresuid16(k *Process, s *sysCall) int64 { return k.getres(s, unix.SYS_GETRESUID, 2) }
func sysGetresgid16(k *Process, s *sysCall) int64 { return k.getres(s, unix.SYS_GETRESGID, 2) }

// getres writes the real, effective and saved ids to the three pointers,
// each width bytes (2: the i386 16-bit forms, overflowuid for a large id).
func (k *Process) getres(s *sysCall, nr uintptr, width int) int64 {
	h := s.t.scratchBuf(12)
	if _, _, e := unix.Syscall(nr, goAddr(h), goAddr(h[4:]), goAddr(h[8:])); e != 0 {
		return -int64(e)
	}
	for i := 0; i < 3; i++ {
		id := le.Uint32(h[4*i:])
		var b [4]byte
		if width == 2 {
			le.PutUint16(b[:], lowUID16(id))
		} else {
			le.PutUint32(b[:], id)
		}
		if e := k.copyOut(s.a[i], b[:width]); e != 0 {
			return -int64(e)
		}
	}
	return 0
}

// ngroupsMax is NGROUPS_MAX.
const ngroupsMax = 65536

func sysGetgroups(k *Process, s *sysCall) int64   { return k.getgroups(s, 4) }
func sysGetgroups16(k *Process, s *sysCall) int64 { return k.getgroups(s, 2) }
func sysSetgroups(k *Process, s *sysCall) int64   { return k.setgroups(s, 4) }
func sysSetgroups16(k *Process, s *sysCall) int64 { return k.setgroups(s, 2) }

// getgroups is getgroups(size, list): the count for size 0, EINVAL for a
// size below it, else the groups written width bytes each.
func (k *Process) getgroups(s *sysCall, width int) int64 {
	size := s.int32Arg(0)
	if size < 0 {
		return -int64(unix.EINVAL)
	}
	h := s.t.scratchBuf(4 * ngroupsMax)
	r, _, e := unix.Syscall(unix.SYS_GETGROUPS, ngroupsMax, goAddr(h), 0)
	if e != 0 {
		return -int64(e)
	}
	n := int(r)
	if size == 0 {
		return int64(n)
	}
	if size < n {
		return -int64(unix.EINVAL)
	}
	out := make([]byte, n*width)
	for i := 0; i < n; i++ {
		id := le.Uint32(h[4*i:])
		if width == 2 {
			le.PutUint16(out[2*i:], lowUID16(id))
		} else {
			le.PutUint32(out[4*i:], id)
		}
	}
	if e := k.copyOut(s.a[1], out); e != 0 {
		return -int64(e)
	}
	return int64(n)
}

// setgroups is setgroups(size, list), for every thread.
func (k *Process) setgroups(s *sysCall, width int) int64 {
	size := s.int32Arg(0)
	if size < 0 || size > ngroupsMax {
		return -int64(unix.EINVAL)
	}
	in := make([]byte, size*width)
	if e := k.copyIn(s.a[1], in); e != 0 {
		return -int64(e)
	}
	h := s.t.scratchBuf(4 * max(size, 1))
	for i := 0; i < size; i++ {
		if width == 2 {
			le.PutUint32(h[4*i:], uint32(uid16(uint64(le.Uint16(in[2*i:])))))
		} else {
			le.PutUint32(h[4*i:], le.Uint32(in[4*i:]))
		}
	}
	return allThreads(unix.SYS_SETGROUPS, uintptr(size), goAddr(h), 0)
}

// Files.

func sysCreat(k *Process, s *sysCall) int64 {
	return k.openat(s, unix.AT_FDCWD, s.a[0], unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, uint32(s.a[1]))
}

func sysLink(k *Process, s *sysCall) int64 {
	return k.twoPaths(unix.SYS_LINKAT, unix.AT_FDCWD, s.a[0], unix.AT_FDCWD, s.a[1], 0)
}

func sysLinkat(k *Process, s *sysCall) int64 {
	return k.twoPaths(unix.SYS_LINKAT, s.int32Arg(0), s.a[1], s.int32Arg(2), s.a[3], uintptr(uint32(s.a[4])))
}

// twoPaths runs nr(olddirfd, old, newdirfd, new, flags) for two guest
// paths (linkat).
func (k *Process) twoPaths(nr uintptr, d1 int, p1 uint64, d2 int, p2 uint64, flags uintptr) int64 {
	d1, a, e := k.dirPath(d1, p1)
	if e != 0 {
		return -int64(e)
	}
	d2, b, e := k.dirPath(d2, p2)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostStringsCall(nr, [6]uintptr{uintptr(d1), 0, uintptr(d2), 0, flags}, []int{1, 3}, []string{k.hostPath(a), b})
	return hostRet(r, e)
}

func sysSymlink(k *Process, s *sysCall) int64 { return k.symlinkat(s.a[0], unix.AT_FDCWD, s.a[1]) }

func sysSymlinkat(k *Process, s *sysCall) int64 { return k.symlinkat(s.a[0], s.int32Arg(1), s.a[2]) }

// symlinkat stores the target as the guest wrote it: it is text, not a
// path minemu resolves.
func (k *Process) symlinkat(target uint64, dirfd int, link uint64) int64 {
	t, e := k.path(target)
	if e != 0 {
		return -int64(e)
	}
	dirfd, p, e := k.dirPath(dirfd, link)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostStringsCall(unix.SYS_SYMLINKAT, [6]uintptr{0, uintptr(dirfd)}, []int{0, 2}, []string{t, p})
	return hostRet(r, e)
}

func sysChown(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_FCHOWNAT, unix.AT_FDCWD, s.a[0], uid32(s.a[1]), uid32(s.a[2]))
}

func sysLchown(k *Process, s *sysCall) int64 {
	return k.chownat(unix.AT_FDCWD, s.a[0], uid32(s.a[1]), uid32(s.a[2]), unix.AT_SYMLINK_NOFOLLOW)
}

func sysChown16(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_FCHOWNAT, unix.AT_FDCWD, s.a[0], uid16(s.a[1]), uid16(s.a[2]))
}

func sysLchown16(k *Process, s *sysCall) int64 {
	return k.chownat(unix.AT_FDCWD, s.a[0], uid16(s.a[1]), uid16(s.a[2]), unix.AT_SYMLINK_NOFOLLOW)
}

func sysFchownat(k *Process, s *sysCall) int64 {
	return k.chownat(s.int32Arg(0), s.a[1], uid32(s.a[2]), uid32(s.a[3]), uintptr(uint32(s.a[4])))
}

func (k *Process) chownat(dirfd int, path uint64, uid, gid, flags uintptr) int64 {
	dirfd, p, e := k.dirPath(dirfd, path)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_FCHOWNAT, [6]uintptr{uintptr(dirfd), 0, uid, gid, flags}, 1, p)
	return hostRet(r, e)
}

func sysFchown(k *Process, s *sysCall) int64 {
	return k.fdCall3(s, unix.SYS_FCHOWN, uid32(s.a[1]), uid32(s.a[2]))
}
func sysFchown16(k *Process, s *sysCall) int64 {
	return k.fdCall3(s, unix.SYS_FCHOWN, uid16(s.a[1]), uid16(s.a[2]))
}

// fdCall3 runs nr(fd, a1, a2) for the guest descriptor in argument 0.
func (k *Process) fdCall3(s *sysCall, nr, a1, a2 uintptr) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(nr, uintptr(fd), a1, a2)
	return hostRet(r, e)
}

func sysMknod(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_MKNODAT, unix.AT_FDCWD, s.a[0], uintptr(uint32(s.a[1])), uintptr(uint32(s.a[2])))
}

func sysMknodat(k *Process, s *sysCall) int64 {
	return k.pathAt(unix.SYS_MKNODAT, s.int32Arg(0), s.a[1], uintptr(uint32(s.a[2])), uintptr(uint32(s.a[3])))
}

// The utime family, all run as utimensat with the times in the host's
// timespec layout (UTIME_NOW and UTIME_OMIT pass as they are).

func sysUtimensat(k *Process, s *sysCall) int64   { return k.utimensat(s, s.abi) }
func sysUtimensat64(k *Process, s *sysCall) int64 { return k.utimensat(s, cpu.ABIAMD64) }

// utimensat is utimensat(dirfd, path, times, flags); a NULL path (futimens)
// names the descriptor itself.
func (k *Process) utimensat(s *sysCall, abi cpu.ABI) int64 {
	var times *[2]unix.Timespec
	if s.a[2] != 0 {
		var v [2]unix.Timespec
		n := sizeofTimespec(abi)
		for i := range v {
			var e unix.Errno
			if v[i], e = k.readTimespecRaw(abi, s.a[2]+uint64(i*n)); e != 0 {
				return -int64(e)
			}
		}
		times = &v
	}
	return k.utimes(s, s.int32Arg(0), s.a[1], times, uintptr(uint32(s.a[3])), s.a[1] == 0)
}

// utimes runs utimensat on the host; nullPath passes a NULL path (the
// descriptor itself).
func (k *Process) utimes(s *sysCall, dirfd int, path uint64, times *[2]unix.Timespec, flags uintptr, nullPath bool) int64 {
	h := s.t.scratchBuf(32)
	var tp uintptr
	if times != nil {
		for i, ts := range times {
			le.PutUint64(h[16*i:], uint64(ts.Sec))
			le.PutUint64(h[16*i+8:], uint64(ts.Nsec))
		}
		tp = goAddr(h)
	}
	if nullPath {
		fd, e := k.dirfd(dirfd)
		if e != 0 {
			return -int64(e)
		}
		r, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, tp, flags, 0, 0)
		return hostRet(r, e)
	}
	dirfd, p, e := k.dirPath(dirfd, path)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_UTIMENSAT, [6]uintptr{uintptr(dirfd), 0, tp, flags}, 1, k.hostPath(p))
	return hostRet(r, e)
}

func sysUtimes(k *Process, s *sysCall) int64    { return k.utimesTv(s, unix.AT_FDCWD, s.a[0], s.a[1]) }
func sysFutimesat(k *Process, s *sysCall) int64 { return k.utimesTv(s, s.int32Arg(0), s.a[1], s.a[2]) }

// utimesTv is utimes and futimesat: two timevals, microseconds checked as
// the kernel's do_futimesat checks them.
func (k *Process) utimesTv(s *sysCall, dirfd int, path, tvp uint64) int64 {
	var times *[2]unix.Timespec
	if tvp != 0 {
		n := sizeofTimeval(s.abi)
		var b [2 * sizeofTimevalMax]byte
		if e := k.copyIn(tvp, b[:2*n]); e != 0 {
			return -int64(e)
		}
		var v [2]unix.Timespec
		for i := range v {
			var tv cTimeval
			tv.decode(s.abi, b[i*n:])
			if tv.Usec < 0 || tv.Usec >= 1e6 {
				return -int64(unix.EINVAL)
			}
			v[i] = unix.Timespec{Sec: tv.Sec, Nsec: tv.Usec * 1000}
		}
		times = &v
	}
	return k.utimes(s, dirfd, path, times, 0, false)
}

// sysUtime is utime(path, times): whole seconds.
func sysUtime(k *Process, s *sysCall) int64 {
	var times *[2]unix.Timespec
	if s.a[1] != 0 {
		n := sizeofUtimbuf(s.abi)
		var b [sizeofUtimbufMax]byte
		if e := k.copyIn(s.a[1], b[:n]); e != 0 {
			return -int64(e)
		}
		var u cUtimbuf
		u.decode(s.abi, b[:n])
		times = &[2]unix.Timespec{{Sec: u.Actime}, {Sec: u.Modtime}}
	}
	return k.utimes(s, unix.AT_FDCWD, s.a[0], times, 0, false)
}

// Statfs.

func sysStatfs(k *Process, s *sysCall) int64 {
	st, e := k.statfsPath(s.a[0])
	if e != 0 {
		return -int64(e)
	}
	return k.statfsOut(s, &st, s.a[1], false)
}

func sysFstatfs(k *Process, s *sysCall) int64 {
	st, e := k.statfsFD(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	return k.statfsOut(s, &st, s.a[1], false)
}

// sysStatfs64 is i386's statfs64(path, size, buf): size must be
// compat_statfs64's.
func sysStatfs64(k *Process, s *sysCall) int64 {
	if s.a[1] != sizeofStatfs64I386 {
		return -int64(unix.EINVAL)
	}
	st, e := k.statfsPath(s.a[0])
	if e != 0 {
		return -int64(e)
	}
	return k.statfsOut(s, &st, s.a[2], true)
}

func sysFstatfs64(k *Process, s *sysCall) int64 {
	if s.a[1] != sizeofStatfs64I386 {
		return -int64(unix.EINVAL)
	}
	st, e := k.statfsFD(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	return k.statfsOut(s, &st, s.a[2], true)
}

func (k *Process) statfsPath(addr uint64) (unix.Statfs_t, unix.Errno) {
	var st unix.Statfs_t
	_, p, e := k.dirPath(unix.AT_FDCWD, addr)
	if e != 0 {
		return st, e
	}
	if err := unix.Statfs(k.hostPath(p), &st); err != nil {
		return st, err.(unix.Errno)
	}
	return st, 0
}

func (k *Process) statfsFD(v int) (unix.Statfs_t, unix.Errno) {
	var st unix.Statfs_t
	fd, e := k.fd(v)
	if e != 0 {
		return st, e
	}
	if err := unix.Fstatfs(fd, &st); err != nil {
		return st, err.(unix.Errno)
	}
	return st, 0
}

// statfsOut writes st to the guest: x86-64's struct statfs, i386's
// compat_statfs (EOVERFLOW for counts over 32 bits, -1 file counts
// excepted, as put_compat_statfs) or compat_statfs64 (wide: EOVERFLOW for
// sizes over 32 bits, as put_compat_statfs64).
func (k *Process) statfsOut(s *sysCall, st *unix.Statfs_t, addr uint64, wide bool) int64 {
	const hi = 0xffffffff00000000
	if s.abi == cpu.ABIi386 {
		if (uint64(st.Bsize)|uint64(st.Frsize))&hi != 0 {
			return -int64(unix.EOVERFLOW)
		}
		if !wide && ((st.Blocks|st.Bfree|st.Bavail)&hi != 0 ||
			st.Files != ^uint64(0) && st.Files&hi != 0 || st.Ffree != ^uint64(0) && st.Ffree&hi != 0) {
			return -int64(unix.EOVERFLOW)
		}
	}
	if wide {
		v := cStatfs64{Type: st.Type, Bsize: st.Bsize, Blocks: st.Blocks, Bfree: st.Bfree, Bavail: st.Bavail,
			Files: st.Files, Ffree: st.Ffree, Fsid: st.Fsid.Val, Namelen: st.Namelen, Frsize: st.Frsize, Flags: st.Flags}
		var b [sizeofStatfs64Max]byte
		return -int64(k.copyOut(addr, v.encode(s.abi, b[:])))
	}
	v := cStatfs{Type: st.Type, Bsize: st.Bsize, Blocks: int64(st.Blocks), Bfree: int64(st.Bfree), Bavail: int64(st.Bavail),
		Files: int64(st.Files), Ffree: int64(st.Ffree), Fsid: st.Fsid.Val, Namelen: st.Namelen, Frsize: st.Frsize, Flags: st.Flags}
	var b [sizeofStatfsMax]byte
	return -int64(k.copyOut(addr, v.encode(s.abi, b[:])))
}

// The 64-bit offsets i386 passes in two registers (low word first).

// off64 is the 64-bit value in i386 arguments lo and lo+1.
func (s *sysCall) off64(lo int) uint64 { return s.a[lo+1]<<32 | s.a[lo]&0xffffffff }

func sysFadvise64(k *Process, s *sysCall) int64 {
	if s.abi == cpu.ABIi386 {
		// fadvise64(fd, off_lo, off_hi, len, advice): a 32-bit length.
		return k.fdCall4(s, unix.SYS_FADVISE64, uintptr(s.off64(1)), uintptr(s.a[3]), uintptr(int32(s.a[4])))
	}
	return k.fdCall4(s, unix.SYS_FADVISE64, uintptr(s.a[1]), uintptr(s.a[2]), uintptr(int32(s.a[3])))
}

// sysFadvise64_64 is i386's fadvise64_64(fd, off_lo, off_hi, len_lo,
// len_hi, advice).
func sysFadvise64_64(k *Process, s *sysCall) int64 {
	return k.fdCall4(s, unix.SYS_FADVISE64, uintptr(s.off64(1)), uintptr(s.off64(3)), uintptr(int32(s.a[5])))
}

func sysReadahead(k *Process, s *sysCall) int64 {
	if s.abi == cpu.ABIi386 {
		return k.fdCall4(s, unix.SYS_READAHEAD, uintptr(s.off64(1)), uintptr(s.a[3]), 0)
	}
	return k.fdCall4(s, unix.SYS_READAHEAD, uintptr(s.a[1]), uintptr(s.a[2]), 0)
}

func sysSyncFileRange(k *Process, s *sysCall) int64 {
	if s.abi == cpu.ABIi386 {
		return k.fdCall4(s, unix.SYS_SYNC_FILE_RANGE, uintptr(s.off64(1)), uintptr(s.off64(3)), uintptr(uint32(s.a[5])))
	}
	return k.fdCall4(s, unix.SYS_SYNC_FILE_RANGE, uintptr(s.a[1]), uintptr(s.a[2]), uintptr(uint32(s.a[3])))
}

// sysFallocate is fallocate(fd, mode, off, len); i386 splits both.
func sysFallocate(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	off, n := s.a[2], s.a[3]
	if s.abi == cpu.ABIi386 {
		off, n = s.off64(2), s.off64(4)
	}
	r, _, e := unix.Syscall6(unix.SYS_FALLOCATE, uintptr(fd), uintptr(uint32(s.a[1])), uintptr(off), uintptr(n), 0, 0)
	return hostRet(r, e)
}

// fdCall4 runs nr(fd, a1, a2, a3) for the guest descriptor in argument 0.
func (k *Process) fdCall4(s *sysCall, nr, a1, a2, a3 uintptr) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(nr, uintptr(fd), a1, a2, a3, 0, 0)
	return hostRet(r, e)
}

// sysTruncate64 is i386's truncate64(path, len_lo, len_hi).
func sysTruncate64(k *Process, s *sysCall) int64 {
	_, p, e := k.dirPath(unix.AT_FDCWD, s.a[0])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_TRUNCATE, [6]uintptr{0, uintptr(s.off64(1))}, 0, k.hostPath(p))
	return hostRet(r, e)
}

func sysSync(k *Process, s *sysCall) int64 {
	unix.Sync()
	return 0
}

func sysSyncfs(k *Process, s *sysCall) int64 { return k.fdCall3(s, unix.SYS_SYNCFS, 0, 0) }

// sysFlock may block (LOCK_EX without LOCK_NB): interruptible.
func sysFlock(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_FLOCK, uintptr(fd), uintptr(uint32(s.a[1])), 0, 0, 0, 0)
	return hostRet(r, e)
}

// Extended attributes.

// xattr limits (linux/limits.h).
const (
	xattrNameMax = 255
	xattrSizeMax = 65536
)

// xattrName reads an attribute name: ERANGE when empty or longer than
// XATTR_NAME_MAX, as the kernel's import_xattr_name.
func (k *Process) xattrName(addr uint64) (string, unix.Errno) {
	n, e := k.readString(addr, xattrNameMax+1)
	if e == unix.ENAMETOOLONG || e == 0 && n == "" {
		return "", unix.ERANGE
	}
	return n, e
}

// xattrTarget is the file of an xattr call: a path (nr's path form) or,
// for the f* calls, the descriptor in argument 0.
type xattrTarget struct {
	fd   int
	path string
	byFD bool
}

func (k *Process) xattrTarget(s *sysCall, byFD bool) (xattrTarget, unix.Errno) {
	if byFD {
		fd, e := k.fd(s.int32Arg(0))
		return xattrTarget{fd: fd, byFD: true}, e
	}
	_, p, e := k.dirPath(unix.AT_FDCWD, s.a[0])
	return xattrTarget{path: k.hostPath(p)}, e
}

// xattrCall runs nr with the target in argument 0 and, when name is set,
// the attribute name in argument 1; rest are the arguments after those.
func xattrCall(nr uintptr, t xattrTarget, name *string, rest ...uintptr) (uintptr, unix.Errno) {
	var a [6]uintptr
	first := 1
	var idx []int
	var strs []string
	if t.byFD {
		a[0] = uintptr(t.fd)
	} else {
		idx, strs = append(idx, 0), append(strs, t.path)
	}
	if name != nil {
		idx, strs = append(idx, 1), append(strs, *name)
		first = 2
	}
	copy(a[first:], rest)
	return hostStringsCall(nr, a, idx, strs)
}

func sysSetxattr(k *Process, s *sysCall) int64  { return k.setxattr(s, unix.SYS_SETXATTR, false) }
func sysLsetxattr(k *Process, s *sysCall) int64 { return k.setxattr(s, unix.SYS_LSETXATTR, false) }
func sysFsetxattr(k *Process, s *sysCall) int64 { return k.setxattr(s, unix.SYS_FSETXATTR, true) }

func (k *Process) setxattr(s *sysCall, nr uintptr, byFD bool) int64 {
	t, e := k.xattrTarget(s, byFD)
	if e != 0 {
		return -int64(e)
	}
	name, e := k.xattrName(s.a[1])
	if e != 0 {
		return -int64(e)
	}
	size := s.a[3]
	if size > xattrSizeMax {
		return -int64(unix.E2BIG)
	}
	v, e := k.passPtr(s.a[2], size)
	if e != 0 {
		return -int64(e)
	}
	r, e := xattrCall(nr, t, &name, v, uintptr(size), uintptr(uint32(s.a[4])))
	return hostRet(r, e)
}

func sysGetxattr(k *Process, s *sysCall) int64 { return k.getxattr(s, unix.SYS_GETXATTR, false, true) }
func sysLgetxattr(k *Process, s *sysCall) int64 {
	return k.getxattr(s, unix.SYS_LGETXATTR, false, true)
}
func sysFgetxattr(k *Process, s *sysCall) int64 { return k.getxattr(s, unix.SYS_FGETXATTR, true, true) }
func sysListxattr(k *Process, s *sysCall) int64 {
	return k.getxattr(s, unix.SYS_LISTXATTR, false, false)
}
func sysLlistxattr(k *Process, s *sysCall) int64 {
	return k.getxattr(s, unix.SYS_LLISTXATTR, false, false)
}
func sysFlistxattr(k *Process, s *sysCall) int64 {
	return k.getxattr(s, unix.SYS_FLISTXATTR, true, false)
}

// getxattr runs the get and list calls: the value goes straight to the
// guest's buffer (prepared by kernelBuf; the kernel copies at most
// XATTR_SIZE_MAX).
func (k *Process) getxattr(s *sysCall, nr uintptr, byFD, named bool) int64 {
	t, e := k.xattrTarget(s, byFD)
	if e != 0 {
		return -int64(e)
	}
	bufArg := 1
	var name *string
	if named {
		n, e := k.xattrName(s.a[1])
		if e != 0 {
			return -int64(e)
		}
		name, bufArg = &n, 2
	}
	buf, size := s.a[bufArg], s.a[bufArg+1]
	ub, e := k.kernelBuf(buf, min(size, xattrSizeMax))
	if e != 0 {
		return -int64(e)
	}
	if ub.partial && ub.guards == [2]uint64{} {
		size = ub.n
	}
	r, e := xattrCall(nr, t, name, uintptr(buf), uintptr(size))
	k.release(&ub)
	if size == 0 {
		return hostRet(r, e) // the size needed; nothing written
	}
	return k.wroteRet(buf, hostRet(r, e))
}

func sysRemovexattr(k *Process, s *sysCall) int64 {
	return k.removexattr(s, unix.SYS_REMOVEXATTR, false)
}
func sysLremovexattr(k *Process, s *sysCall) int64 {
	return k.removexattr(s, unix.SYS_LREMOVEXATTR, false)
}
func sysFremovexattr(k *Process, s *sysCall) int64 {
	return k.removexattr(s, unix.SYS_FREMOVEXATTR, true)
}

func (k *Process) removexattr(s *sysCall, nr uintptr, byFD bool) int64 {
	t, e := k.xattrTarget(s, byFD)
	if e != 0 {
		return -int64(e)
	}
	name, e := k.xattrName(s.a[1])
	if e != 0 {
		return -int64(e)
	}
	r, e := xattrCall(nr, t, &name)
	return hostRet(r, e)
}

// Notification.

func sysInotifyInit(k *Process, s *sysCall) int64 {
	return k.newFDCall(unix.SYS_INOTIFY_INIT1, 0, 0, 0)
}

func sysInotifyInit1(k *Process, s *sysCall) int64 {
	return k.newFDCall(unix.SYS_INOTIFY_INIT1, uintptr(uint32(s.a[0])), 0, 0)
}

func sysInotifyAddWatch(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	_, p, e := k.dirPath(unix.AT_FDCWD, s.a[1])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_INOTIFY_ADD_WATCH, [6]uintptr{uintptr(fd), 0, uintptr(uint32(s.a[2]))}, 1, k.hostPath(p))
	return hostRet(r, e)
}

func sysInotifyRmWatch(k *Process, s *sysCall) int64 {
	return k.fdCall3(s, unix.SYS_INOTIFY_RM_WATCH, uintptr(int32(s.a[1])), 0)
}

func sysFanotifyInit(k *Process, s *sysCall) int64 {
	return k.newFDCall(unix.SYS_FANOTIFY_INIT, uintptr(uint32(s.a[0])), uintptr(uint32(s.a[1])), 0)
}

// sysFanotifyMark is fanotify_mark(fd, flags, mask, dirfd, path); i386
// splits the 64-bit mask. The path may be NULL (the directory descriptor
// itself).
func sysFanotifyMark(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	mask, dirArg := s.a[2], 3
	if s.abi == cpu.ABIi386 {
		mask, dirArg = s.off64(2), 4
	}
	dirfd, e := k.dirfd(s.int32Arg(dirArg))
	if e != 0 {
		return -int64(e)
	}
	a := [6]uintptr{uintptr(fd), uintptr(uint32(s.a[1])), uintptr(mask), uintptr(dirfd)}
	if s.a[dirArg+1] == 0 {
		r, _, e := unix.Syscall6(unix.SYS_FANOTIFY_MARK, a[0], a[1], a[2], a[3], 0, 0)
		return hostRet(r, e)
	}
	_, p, e := k.dirPath(dirfd, s.a[dirArg+1])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_FANOTIFY_MARK, a, 4, k.hostPath(p))
	return hostRet(r, e)
}

// File handles: struct file_handle has one layout in both ABIs (u32
// handle_bytes, int handle_type, the bytes).

// maxHandleSz is MAX_HANDLE_SZ.
const maxHandleSz = 128

// handleRange checks the guest's file_handle at addr: its header, and as
// many bytes after it as handle_bytes says (at most MAX_HANDLE_SZ).
func (k *Process) handleRange(addr uint64) (uintptr, unix.Errno) {
	var b [4]byte
	if e := k.copyIn(addr, b[:]); e != 0 {
		return 0, e
	}
	return k.passPtr(addr, 8+min(uint64(le.Uint32(b[:])), maxHandleSz))
}

func sysNameToHandleAt(k *Process, s *sysCall) int64 {
	dirfd, p, e := k.dirPath(s.int32Arg(0), s.a[1])
	if e != 0 {
		return -int64(e)
	}
	h, e := k.handleRange(s.a[2])
	if e != 0 {
		return -int64(e)
	}
	mnt, e := k.passPtr(s.a[3], 4)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_NAME_TO_HANDLE_AT, [6]uintptr{uintptr(dirfd), 0, h, mnt, uintptr(uint32(s.a[4]))}, 1, k.hostPath(p))
	if e == 0 || e == unix.EOVERFLOW {
		k.wrote(s.a[2], 8+maxHandleSz)
		k.wrote(s.a[3], 4)
	}
	return hostRet(r, e)
}

func sysOpenByHandleAt(k *Process, s *sysCall) int64 {
	mfd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	h, e := k.handleRange(s.a[1])
	if e != 0 {
		return -int64(e)
	}
	if e := k.fdFree(); e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_OPEN_BY_HANDLE_AT, uintptr(mfd), h, uintptr(uint32(s.a[2])))
	if e != 0 {
		return -int64(e)
	}
	return k.fdResult(int(r))
}

// Memory.

// guestMapped checks a page-aligned range of guest memory that a call
// names (mincore, msync): EINVAL for an unaligned start, ENOMEM when any
// of it is not guest memory, as for unmapped memory natively.
func (k *Process) guestMapped(addr, n uint64) (uint64, unix.Errno) {
	if addr&mm.PageMask != 0 {
		return 0, unix.EINVAL
	}
	n = (n + mm.PageMask) &^ uint64(mm.PageMask)
	if n == 0 {
		return 0, 0
	}
	r, e := k.userRange(addr, n)
	if e != 0 || !k.space.IsMapped(r, unix.PROT_NONE) {
		return 0, unix.ENOMEM
	}
	return n, 0
}

// sysMincore is mincore(addr, len, vec): one byte per page of a guest
// range, written by the kernel to the guest's vector.
func sysMincore(k *Process, s *sysCall) int64 {
	n, e := k.guestMapped(s.a[0], s.a[1])
	if e != 0 {
		return -int64(e)
	}
	pages := n / mm.PageSize
	vec, e := k.passPtr(s.a[2], pages)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(s.a[0]), uintptr(s.a[1]), vec)
	if e == 0 {
		k.wrote(s.a[2], pages)
	}
	return hostRet(r, e)
}

func sysMsync(k *Process, s *sysCall) int64 {
	if _, e := k.guestMapped(s.a[0], s.a[1]); e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_MSYNC, uintptr(s.a[0]), uintptr(s.a[1]), uintptr(uint32(s.a[2])))
	return hostRet(r, e)
}

// mfdNameMax is MFD_NAME_MAX_LEN.
const mfdNameMax = 249

func sysMemfdCreate(k *Process, s *sysCall) int64 {
	name, e := k.readString(s.a[0], mfdNameMax+1)
	if e == unix.ENAMETOOLONG {
		return -int64(unix.EINVAL)
	}
	if e != 0 {
		return -int64(e)
	}
	if e := k.fdFree(); e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_MEMFD_CREATE, [6]uintptr{0, uintptr(uint32(s.a[1]))}, 0, name)
	if e != 0 {
		return -int64(e)
	}
	return k.fdResult(int(r))
}

// Process attributes.

// prctl options (linux/prctl.h).
const (
	prSetPdeathsig       = 1
	prGetPdeathsig       = 2
	prGetDumpable        = 3
	prSetDumpable        = 4
	prGetKeepcaps        = 7
	prSetKeepcaps        = 8
	prGetTiming          = 13
	prSetName            = 15
	prGetName            = 16
	prGetSeccomp         = 21
	prSetSeccomp         = 22
	prCapbsetRead        = 23
	prCapbsetDrop        = 24
	prGetTSC             = 25
	prGetSecurebits      = 27
	prSetSecurebits      = 28
	prSetTimerslack      = 29
	prGetTimerslack      = 30
	prTaskPerfDisable    = 31
	prTaskPerfEnable     = 32
	prMCEKill            = 33
	prMCEKillGet         = 34
	prSetChildSubreaper  = 36
	prGetChildSubreaper  = 37
	prSetNoNewPrivs      = 38
	prGetNoNewPrivs      = 39
	prGetTidAddress      = 40
	prSetTHPDisable      = 41
	prGetTHPDisable      = 42
	prCapAmbient         = 47
	prGetSpeculationCtrl = 52
	prSetSpeculationCtrl = 53
	prSetIOFlusher       = 57
	prGetIOFlusher       = 58
	prSetVMA             = 0x53564d41
	prSetPtracer         = 0x59616d61
	taskCommLen          = 16
)

// sysPrctl runs the options a process may use on itself. The name is the
// calling guest thread's, kept by the kernel for its tid (the host thread
// of that id, whichever host thread runs the call: /proc/<pid>/task/<tid>/
// comm, so that the main thread's is /proc/self/comm as natively); the
// per-process flags (dumpable, no_new_privs, the subreaper, the
// capability bounding set ...) are the host process's, which is the
// guest's. Options that would let the guest reach or constrain minemu
// itself are EINVAL, the answer of a kernel without them: seccomp
// (PR_SET_SECCOMP, and PR_GET_SECCOMP with it), the syscall user dispatch,
// PR_SET_MM (minemu's memory map fields), PR_SET_TSC (a faulting rdtsc
// would fault in minemu's clock), PR_GET_AUXV (minemu's auxiliary
// vector), memory-deny-write-execute and shadow stacks (minemu's own
// code); as is any option not listed here.
func sysPrctl(k *Process, s *sysCall) int64 {
	opt := s.int32Arg(0)
	a := [4]uintptr{uintptr(s.a[1]), uintptr(s.a[2]), uintptr(s.a[3]), uintptr(s.a[4])}
	if s.abi == cpu.ABIi386 {
		for i := range a {
			a[i] = uintptr(uint32(a[i]))
		}
	}
	switch opt {
	case prSetName:
		name, e := k.readString(s.a[1], taskCommLen-1)
		if e == unix.ENAMETOOLONG {
			// strncpy_from_user of TASK_COMM_LEN-1 bytes: the name is cut.
			var b [taskCommLen - 1]byte
			if e = k.copyIn(s.a[1], b[:]); e == 0 {
				name = string(b[:])
			}
		}
		if e != 0 {
			return -int64(e)
		}
		if err := os.WriteFile(k.commPath(s.t), []byte(name), 0); err != nil {
			return errno(unwrapErrno(err))
		}
		return 0
	case prGetName:
		c, err := os.ReadFile(k.commPath(s.t))
		if err != nil {
			return errno(unwrapErrno(err))
		}
		var b [taskCommLen]byte
		copy(b[:taskCommLen-1], strings.TrimSuffix(string(c), "\n"))
		return -int64(k.copyOut(s.a[1], b[:]))
	case prGetPdeathsig, prGetTSC, prGetChildSubreaper:
		// The value goes to an int at arg2.
		p, e := k.passPtr(s.a[1], 4)
		if e != 0 {
			return -int64(e)
		}
		r, _, e := unix.Syscall(unix.SYS_PRCTL, uintptr(opt), p, 0)
		if e == 0 {
			k.wrote(s.a[1], 4)
		}
		return hostRet(r, e)
	case prGetTidAddress:
		// clear_child_tid as the kernel stores it: a pointer written with
		// the kernel's width.
		var b [8]byte
		le.PutUint64(b[:], s.t.clearChildTID)
		return -int64(k.copyOut(s.a[1], b[:]))
	case prSetVMA:
		// Naming anonymous memory: only the guest's.
		if a[0] == 0 { // PR_SET_VMA_ANON_NAME
			if _, e := k.guestMapped(s.a[2], s.a[3]); e != 0 {
				return -int64(e)
			}
			var name uintptr
			if s.a[4] != 0 {
				n, e := k.readString(s.a[4], 80)
				if e != 0 {
					return -int64(e)
				}
				r, e := hostPathCall(unix.SYS_PRCTL, [6]uintptr{prSetVMA, 0, a[1], a[2]}, 4, n)
				return hostRet(r, e)
			}
			r, _, e := unix.Syscall6(unix.SYS_PRCTL, prSetVMA, 0, a[1], a[2], name, 0)
			return hostRet(r, e)
		}
		return -int64(unix.EINVAL)
	case prSetPdeathsig, prGetDumpable, prSetDumpable, prGetKeepcaps, prSetKeepcaps, prGetTiming,
		prCapbsetRead, prCapbsetDrop, prGetSecurebits, prSetSecurebits, prSetTimerslack, prGetTimerslack,
		prTaskPerfDisable, prTaskPerfEnable, prMCEKill, prMCEKillGet, prSetChildSubreaper, prSetNoNewPrivs,
		prGetNoNewPrivs, prSetTHPDisable, prGetTHPDisable, prCapAmbient, prGetSpeculationCtrl,
		prSetSpeculationCtrl, prSetIOFlusher, prGetIOFlusher, prSetPtracer:
		r, _, e := unix.Syscall6(unix.SYS_PRCTL, uintptr(opt), a[0], a[1], a[2], a[3], 0)
		return hostRet(r, e)
	}
	return -int64(unix.EINVAL)
}

// sysPersonality passes personality through: the persona is the
// process's (only the query 0xffffffff is common; the flags that change
// mmap's behaviour apply to minemu's mappings as they would to the guest's).
func sysPersonality(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_PERSONALITY, uintptr(uint32(s.a[0])), 0, 0)
	if e != 0 {
		return -int64(e)
	}
	return int64(int32(r))
}

// Capabilities: the header and data layouts are the same in both ABIs.

// capability versions (linux/capability.h).
const (
	capV1 = 0x19980330
	capV2 = 0x20071026
	capV3 = 0x20080522
)

func sysCapget(k *Process, s *sysCall) int64 { return k.capCall(s, unix.SYS_CAPGET) }
func sysCapset(k *Process, s *sysCall) int64 { return k.capCall(s, unix.SYS_CAPSET) }

// capCall passes capget and capset through for the calling thread: the
// header (8 bytes) and as many data structures as its version has (the
// kernel writes the version it prefers back on EINVAL).
func (k *Process) capCall(s *sysCall, nr uintptr) int64 {
	var b [8]byte
	if e := k.copyIn(s.a[0], b[:]); e != 0 {
		return -int64(e)
	}
	n := uint64(12)
	switch le.Uint32(b[:]) {
	case capV2, capV3:
		n = 24
	}
	hdr, e := k.passPtr(s.a[0], 8)
	if e != 0 {
		return -int64(e)
	}
	var data uintptr
	if s.a[1] != 0 {
		if data, e = k.passPtr(s.a[1], n); e != 0 {
			return -int64(e)
		}
	}
	r, _, e := unix.Syscall(nr, hdr, data, 0)
	k.wrote(s.a[0], 8)
	if nr == unix.SYS_CAPGET && e == 0 && data != 0 {
		k.wrote(s.a[1], n)
	}
	return hostRet(r, e)
}

// Scheduling: pids name guest threads (host threads) or other processes;
// sched_param is an int, sched_attr one layout in both ABIs.

func sysSchedSetparam(k *Process, s *sysCall) int64 {
	return k.schedParam(s, unix.SYS_SCHED_SETPARAM, 1, false)
}
func sysSchedGetparam(k *Process, s *sysCall) int64 {
	return k.schedParam(s, unix.SYS_SCHED_GETPARAM, 1, true)
}
func sysSchedSetscheduler(k *Process, s *sysCall) int64 {
	return k.schedParam(s, unix.SYS_SCHED_SETSCHEDULER, 2, false)
}

// schedParam runs nr(pid, [policy,] param) with the param int at argument
// arg.
func (k *Process) schedParam(s *sysCall, nr uintptr, arg int, out bool) int64 {
	p, e := k.passPtr(s.a[arg], 4)
	if e != 0 {
		return -int64(e)
	}
	a := [3]uintptr{uintptr(int32(s.a[0])), p, 0}
	if arg == 2 {
		a = [3]uintptr{uintptr(int32(s.a[0])), uintptr(int32(s.a[1])), p}
	}
	r, _, e := unix.Syscall(nr, a[0], a[1], a[2])
	if out && e == 0 {
		k.wrote(s.a[arg], 4)
	}
	return hostRet(r, e)
}

func sysSchedGetscheduler(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_SCHED_GETSCHEDULER, uintptr(int32(s.a[0])), 0, 0)
	return hostRet(r, e)
}

func sysSchedGetPriorityMax(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_SCHED_GET_PRIORITY_MAX, uintptr(int32(s.a[0])), 0, 0)
	return hostRet(r, e)
}

func sysSchedGetPriorityMin(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_SCHED_GET_PRIORITY_MIN, uintptr(int32(s.a[0])), 0, 0)
	return hostRet(r, e)
}

func sysSchedRrGetInterval(k *Process, s *sysCall) int64   { return k.rrInterval(s, s.abi) }
func sysSchedRrGetInterval64(k *Process, s *sysCall) int64 { return k.rrInterval(s, cpu.ABIAMD64) }

func (k *Process) rrInterval(s *sysCall, abi cpu.ABI) int64 {
	var ts unix.Timespec
	if _, _, e := unix.Syscall(unix.SYS_SCHED_RR_GET_INTERVAL, uintptr(int32(s.a[0])), goAddr(s.t.scratchBuf(16)), 0); e != 0 {
		return -int64(e)
	}
	h := s.t.scratch[:16]
	ts.Sec, ts.Nsec = int64(le.Uint64(h)), int64(le.Uint64(h[8:]))
	return -int64(k.timeOut(abi, s.a[1], ts.Sec, ts.Nsec))
}

func sysSchedSetaffinity(k *Process, s *sysCall) int64 {
	p, e := k.passPtr(s.a[2], uint64(uint32(s.a[1])))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_SCHED_SETAFFINITY, uintptr(int32(s.a[0])), uintptr(uint32(s.a[1])), p)
	return hostRet(r, e)
}

// sched_attr sizes (SCHED_ATTR_SIZE_VER0) and the kernel's upper bound.
const (
	schedAttrVer0 = 48
	schedAttrMax  = mm.PageSize
)

func sysSchedSetattr(k *Process, s *sysCall) int64 {
	var b [4]byte
	if e := k.copyIn(s.a[1], b[:]); e != 0 {
		return -int64(e)
	}
	n := uint64(le.Uint32(b[:]))
	if n == 0 {
		n = schedAttrVer0
	}
	p, e := k.passPtr(s.a[1], min(max(n, schedAttrVer0), schedAttrMax))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_SCHED_SETATTR, uintptr(int32(s.a[0])), p, uintptr(uint32(s.a[2])))
	if e == unix.E2BIG {
		k.wrote(s.a[1], 4) // the kernel's size
	}
	return hostRet(r, e)
}

func sysSchedGetattr(k *Process, s *sysCall) int64 {
	n := uint64(uint32(s.a[2]))
	if n < schedAttrVer0 || n > schedAttrMax {
		return -int64(unix.EINVAL)
	}
	p, e := k.passPtr(s.a[1], n)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(unix.SYS_SCHED_GETATTR, uintptr(int32(s.a[0])), p, uintptr(n), uintptr(uint32(s.a[3])), 0, 0)
	if e == 0 {
		k.wrote(s.a[1], n)
	}
	return hostRet(r, e)
}

func sysGetpriority(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_GETPRIORITY, uintptr(int32(s.a[0])), uintptr(int32(s.a[1])), 0)
	return hostRet(r, e)
}

func sysSetpriority(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_SETPRIORITY, uintptr(int32(s.a[0])), uintptr(int32(s.a[1])), uintptr(int32(s.a[2])))
	return hostRet(r, e)
}

func sysIoprioSet(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, uintptr(int32(s.a[0])), uintptr(int32(s.a[1])), uintptr(int32(s.a[2])))
	return hostRet(r, e)
}

func sysIoprioGet(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_IOPRIO_GET, uintptr(int32(s.a[0])), uintptr(int32(s.a[1])), 0)
	return hostRet(r, e)
}

// sysGetcpu is getcpu(cpu, node, cache): each pointer may be NULL.
func sysGetcpu(k *Process, s *sysCall) int64 {
	var p [2]uintptr
	for i := range p {
		if s.a[i] != 0 {
			var e unix.Errno
			if p[i], e = k.passPtr(s.a[i], 4); e != 0 {
				return -int64(e)
			}
		}
	}
	r, _, e := unix.Syscall(unix.SYS_GETCPU, p[0], p[1], 0)
	if e == 0 {
		k.wrote(s.a[0], 4)
		k.wrote(s.a[1], 4)
	}
	return hostRet(r, e)
}

func sysMembarrier(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_MEMBARRIER, uintptr(int32(s.a[0])), uintptr(uint32(s.a[1])), uintptr(int32(s.a[2])))
	return hostRet(r, e)
}

func sysSetsid(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_SETSID, 0, 0, 0)
	return hostRet(r, e)
}

func sysSetpgid(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_SETPGID, uintptr(int32(s.a[0])), uintptr(int32(s.a[1])), 0)
	return hostRet(r, e)
}

// utsNameLen is __NEW_UTS_LEN.
const utsNameLen = 64

func sysSethostname(k *Process, s *sysCall) int64   { return k.setUTS(s, unix.SYS_SETHOSTNAME) }
func sysSetdomainname(k *Process, s *sysCall) int64 { return k.setUTS(s, unix.SYS_SETDOMAINNAME) }

func (k *Process) setUTS(s *sysCall, nr uintptr) int64 {
	n := s.int32Arg(1)
	if n < 0 || n > utsNameLen {
		return -int64(unix.EINVAL)
	}
	p, e := k.passPtr(s.a[0], uint64(n))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(nr, p, uintptr(n), 0)
	return hostRet(r, e)
}

// The old unames of i386: struct old_utsname (olduname, five 65-byte
// fields) and struct oldold_utsname (oldolduname, five 9-byte fields,
// each cut to 8 characters).
func sysOlduname(k *Process, s *sysCall) int64 {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return errno(err)
	}
	var b [sizeofUtsname]byte
	encodeUtsname(&u, "i686", &b)
	return -int64(k.copyOut(s.a[0], b[:5*65]))
}

func sysOldolduname(k *Process, s *sysCall) int64 {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return errno(err)
	}
	var full [sizeofUtsname]byte
	encodeUtsname(&u, "i686", &full)
	var b [5 * 9]byte
	for i := 0; i < 5; i++ {
		copy(b[9*i:9*i+8], full[65*i:65*i+8])
	}
	return -int64(k.copyOut(s.a[0], b[:]))
}

// Refused: what would let the guest reach or constrain minemu itself
// answers as a kernel without the feature, or one that does not permit
// it, answers (docs/RATIONALE.md, "Why are seccomp, io_uring, aio ...
// refused?").

func sysRefuseEPERM(k *Process, s *sysCall) int64  { return -int64(unix.EPERM) }
func sysRefuseEINVAL(k *Process, s *sysCall) int64 { return -int64(unix.EINVAL) }

// Notes of the refused entries.
const (
	noteSeccomp  = "ENOSYS, as a kernel without CONFIG_SECCOMP: a filter would judge minemu's own system calls"
	noteIOURing  = "ENOSYS, as a kernel without CONFIG_IO_URING: the kernel would read guest-writable 64-bit pointers asynchronously"
	noteAIO      = "ENOSYS, as a kernel without CONFIG_AIO: the kernel would read guest-writable 64-bit pointers asynchronously"
	noteIOPerm   = "EPERM: I/O port access is not the guest's to have"
	notePtrace   = "EPERM: a tracer of minemu, or a guest tracing through it, would see minemu, not the guest"
	noteBPF      = "EPERM, as with unprivileged BPF disabled: a program could observe or alter minemu"
	notePerf     = "ENOSYS, as a kernel without CONFIG_PERF_EVENTS: samples and counters would measure minemu"
	noteUffd     = "EPERM, as with vm.unprivileged_userfaultfd=0: minemu's own accesses to guest memory would block on the guest"
	noteLandlock = "ENOSYS, as a kernel without CONFIG_SECURITY_LANDLOCK: a ruleset would confine minemu's own file accesses"
	notePidfdGet = "EPERM: it would hand out minemu's own descriptors"
	noteProcMadv = "EPERM: advice would reach minemu's memory"
	noteKernel   = "ENOSYS: the 64-bit kernel does not have it for i386 tasks"
	notePrctl    = "the options a process uses on itself; seccomp, PR_SET_MM, PR_SET_TSC, PR_GET_AUXV, syscall user dispatch, MDWE and shadow stacks EINVAL"
	noteTimers   = "ITIMER_REAL and SIGEV_SIGNAL are host signals, delivered as the host signal layer delivers them"
	noteCreds    = "changes the credentials of every thread of the process, minemu's included"
)

// sysNice is i386's nice(inc), which x86-64 does not have: the calling
// thread's nice value moved by inc (clamped to -40..40, the result to
// -20..19, as sys_nice), set with setpriority; EPERM where the kernel's
// can_nice refuses.
func sysNice(k *Process, s *sysCall) int64 {
	inc := min(max(s.int32Arg(0), -40), 40)
	r, _, e := unix.Syscall(unix.SYS_GETPRIORITY, unix.PRIO_PROCESS, 0, 0)
	if e != 0 {
		return -int64(e)
	}
	nice := min(max(20-int(r)+inc, -20), 19)
	if _, _, e := unix.Syscall(unix.SYS_SETPRIORITY, unix.PRIO_PROCESS, 0, uintptr(nice)); e != 0 {
		if e == unix.EACCES {
			e = unix.EPERM
		}
		return -int64(e)
	}
	return 0
}

// commPath is the procfs file holding thread t's name.
func (k *Process) commPath(t *Thread) string {
	return "/proc/" + strconv.Itoa(k.pid) + "/task/" + strconv.Itoa(t.tid) + "/comm"
}

// unwrapErrno returns the errno inside an os error, EIO when none.
func unwrapErrno(err error) error {
	var e syscall.Errno
	if errors.As(err, &e) {
		return unix.Errno(e)
	}
	return unix.EIO
}
