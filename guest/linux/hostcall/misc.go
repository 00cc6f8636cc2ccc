package hostcall

// The rest of the surface: credentials, file-system calls without a
// structure of their own (link, symlink, chown, mknod, the utime
// family, statfs, the 64-bit-offset calls i386 splits in two registers,
// xattrs, inotify, fanotify, file handles), memory queries (mincore,
// msync, memfd_create), prctl, scheduling, capabilities, personality, and
// the calls minemu refuses because they would let the guest reach or
// constrain minemu itself.
//
// Credentials are the process's: setuid and its relatives and setgroups
// change them for every thread of the host process, minemu's included, as
// glibc's and musl's wrappers do for every thread of theirs
// (syscall.AllThreadsSyscall, the kernel's per-thread credentials kept
// equal); capset stays the calling thread's, as natively.

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

func Setuid(t Task, c *Call) int64 { return allThreads(unix.SYS_SETUID, uid32(c.A[0]), 0, 0) }
func Setgid(t Task, c *Call) int64 { return allThreads(unix.SYS_SETGID, uid32(c.A[0]), 0, 0) }
func Setreuid(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETREUID, uid32(c.A[0]), uid32(c.A[1]), 0)
}
func Setregid(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETREGID, uid32(c.A[0]), uid32(c.A[1]), 0)
}
func Setresuid(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETRESUID, uid32(c.A[0]), uid32(c.A[1]), uid32(c.A[2]))
}
func Setresgid(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETRESGID, uid32(c.A[0]), uid32(c.A[1]), uid32(c.A[2]))
}
func Setfsuid(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETFSUID, uid32(c.A[0]), 0, 0)
}
func Setfsgid(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETFSGID, uid32(c.A[0]), 0, 0)
}

// The i386 16-bit forms.
func Setuid16(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETUID, uid16(c.A[0]), 0, 0)
}
func Setgid16(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETGID, uid16(c.A[0]), 0, 0)
}
func Setreuid16(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETREUID, uid16(c.A[0]), uid16(c.A[1]), 0)
}
func Setregid16(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETREGID, uid16(c.A[0]), uid16(c.A[1]), 0)
}
func Setresuid16(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETRESUID, uid16(c.A[0]), uid16(c.A[1]), uid16(c.A[2]))
}
func Setresgid16(t Task, c *Call) int64 {
	return allThreads(unix.SYS_SETRESGID, uid16(c.A[0]), uid16(c.A[1]), uid16(c.A[2]))
}

// setfsuid returns the previous fsuid, shown 16 bits wide.
func Setfsuid16(t Task, c *Call) int64 {
	return int64(lowUID16(uint32(allThreads(unix.SYS_SETFSUID, uid16(c.A[0]), 0, 0))))
}
func Setfsgid16(t Task, c *Call) int64 {
	return int64(lowUID16(uint32(allThreads(unix.SYS_SETFSGID, uid16(c.A[0]), 0, 0))))
}

func Getresuid(t Task, c *Call) int64   { return getres(t, c, unix.SYS_GETRESUID, 4) }
func Getresgid(t Task, c *Call) int64   { return getres(t, c, unix.SYS_GETRESGID, 4) }
func Getresuid16(t Task, c *Call) int64 { return getres(t, c, unix.SYS_GETRESUID, 2) }
func Getresgid16(t Task, c *Call) int64 { return getres(t, c, unix.SYS_GETRESGID, 2) }

// getres writes the real, effective and saved ids to the three pointers,
// each width bytes (2: the i386 16-bit forms, overflowuid for a large id).
func getres(t Task, c *Call, nr uintptr, width int) int64 {
	h := t.Scratch(12)
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
		if e := t.CopyOut(c.A[i], b[:width]); e != 0 {
			return -int64(e)
		}
	}
	return 0
}

// ngroupsMax is NGROUPS_MAX.
const ngroupsMax = 65536

func Getgroups(t Task, c *Call) int64   { return getgroups(t, c, 4) }
func Getgroups16(t Task, c *Call) int64 { return getgroups(t, c, 2) }
func Setgroups(t Task, c *Call) int64   { return setgroups(t, c, 4) }
func Setgroups16(t Task, c *Call) int64 { return setgroups(t, c, 2) }

// getgroups is getgroups(size, list): the count for size 0, EINVAL for a
// size below it, else the groups written width bytes each.
func getgroups(t Task, c *Call, width int) int64 {
	size := c.Int32(0)
	if size < 0 {
		return -int64(unix.EINVAL)
	}
	h := t.Scratch(4 * ngroupsMax)
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
	if e := t.CopyOut(c.A[1], out); e != 0 {
		return -int64(e)
	}
	return int64(n)
}

// setgroups is setgroups(size, list), for every thread.
func setgroups(t Task, c *Call, width int) int64 {
	size := c.Int32(0)
	if size < 0 || size > ngroupsMax {
		return -int64(unix.EINVAL)
	}
	in := make([]byte, size*width)
	if e := t.CopyIn(c.A[1], in); e != 0 {
		return -int64(e)
	}
	h := t.Scratch(4 * max(size, 1))
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

func Link(t Task, c *Call) int64 {
	return twoPaths(t, unix.SYS_LINKAT, unix.AT_FDCWD, c.A[0], unix.AT_FDCWD, c.A[1], 0)
}

func Linkat(t Task, c *Call) int64 {
	return twoPaths(t, unix.SYS_LINKAT, c.Int32(0), c.A[1], c.Int32(2), c.A[3], uintptr(uint32(c.A[4])))
}

// twoPaths runs nr(olddirfd, old, newdirfd, new, flags) for two guest
// paths (linkat).
func twoPaths(t Task, nr uintptr, d1 int, p1 uint64, d2 int, p2 uint64, flags uintptr) int64 {
	d1, a, e := t.DirPath(d1, p1)
	if e != 0 {
		return -int64(e)
	}
	d2, b, e := t.DirPath(d2, p2)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostStringsCall(nr, [6]uintptr{uintptr(d1), 0, uintptr(d2), 0, flags}, []int{1, 3}, []string{t.HostPath(a), b})
	return hostRet(r, e)
}

func Symlink(t Task, c *Call) int64 { return symlinkat(t, c.A[0], unix.AT_FDCWD, c.A[1]) }

func Symlinkat(t Task, c *Call) int64 { return symlinkat(t, c.A[0], c.Int32(1), c.A[2]) }

// symlinkat stores the target as the guest wrote it: it is text, not a
// path minemu resolves.
func symlinkat(t Task, target uint64, dirfd int, link uint64) int64 {
	tg, e := t.Path(target)
	if e != 0 {
		return -int64(e)
	}
	dirfd, p, e := t.DirPath(dirfd, link)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostStringsCall(unix.SYS_SYMLINKAT, [6]uintptr{0, uintptr(dirfd)}, []int{0, 2}, []string{tg, p})
	return hostRet(r, e)
}

func Chown(t Task, c *Call) int64 {
	return pathAt(t, unix.SYS_FCHOWNAT, unix.AT_FDCWD, c.A[0], uid32(c.A[1]), uid32(c.A[2]))
}

func Lchown(t Task, c *Call) int64 {
	return chownat(t, unix.AT_FDCWD, c.A[0], uid32(c.A[1]), uid32(c.A[2]), unix.AT_SYMLINK_NOFOLLOW)
}

func Chown16(t Task, c *Call) int64 {
	return pathAt(t, unix.SYS_FCHOWNAT, unix.AT_FDCWD, c.A[0], uid16(c.A[1]), uid16(c.A[2]))
}

func Lchown16(t Task, c *Call) int64 {
	return chownat(t, unix.AT_FDCWD, c.A[0], uid16(c.A[1]), uid16(c.A[2]), unix.AT_SYMLINK_NOFOLLOW)
}

func Fchownat(t Task, c *Call) int64 {
	return chownat(t, c.Int32(0), c.A[1], uid32(c.A[2]), uid32(c.A[3]), uintptr(uint32(c.A[4])))
}

func chownat(t Task, dirfd int, path uint64, uid, gid, flags uintptr) int64 {
	dirfd, p, e := t.DirPath(dirfd, path)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_FCHOWNAT, [6]uintptr{uintptr(dirfd), 0, uid, gid, flags}, 1, p)
	return hostRet(r, e)
}

func Fchown(t Task, c *Call) int64 {
	return fdCall3(t, c, unix.SYS_FCHOWN, uid32(c.A[1]), uid32(c.A[2]))
}
func Fchown16(t Task, c *Call) int64 {
	return fdCall3(t, c, unix.SYS_FCHOWN, uid16(c.A[1]), uid16(c.A[2]))
}

// fdCall3 runs nr(fd, a1, a2) for the guest descriptor in argument 0.
func fdCall3(t Task, c *Call, nr, a1, a2 uintptr) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(nr, uintptr(fd), a1, a2)
	return hostRet(r, e)
}

func Mknod(t Task, c *Call) int64 {
	return pathAt(t, unix.SYS_MKNODAT, unix.AT_FDCWD, c.A[0], uintptr(uint32(c.A[1])), uintptr(uint32(c.A[2])))
}

func Mknodat(t Task, c *Call) int64 {
	return pathAt(t, unix.SYS_MKNODAT, c.Int32(0), c.A[1], uintptr(uint32(c.A[2])), uintptr(uint32(c.A[3])))
}

// The utime family, all run as utimensat with the times in the host's
// timespec layout (UTIME_NOW and UTIME_OMIT pass as they are).

func Utimensat(t Task, c *Call) int64   { return utimensat(t, c, c.ABI) }
func Utimensat64(t Task, c *Call) int64 { return utimensat(t, c, cpu.ABIAMD64) }

// utimensat is utimensat(dirfd, path, times, flags); a NULL path (futimens)
// names the descriptor itself.
func utimensat(t Task, c *Call, abi cpu.ABI) int64 {
	var times *[2]unix.Timespec
	if c.A[2] != 0 {
		var v [2]unix.Timespec
		n := sizeofTimespec(abi)
		for i := range v {
			var e unix.Errno
			if v[i], e = readTimespecRaw(t, abi, c.A[2]+uint64(i*n)); e != 0 {
				return -int64(e)
			}
		}
		times = &v
	}
	return utimes(t, c, c.Int32(0), c.A[1], times, uintptr(uint32(c.A[3])), c.A[1] == 0)
}

// utimes runs utimensat on the host; nullPath passes a NULL path (the
// descriptor itself).
func utimes(t Task, c *Call, dirfd int, path uint64, times *[2]unix.Timespec, flags uintptr, nullPath bool) int64 {
	h := t.Scratch(32)
	var tp uintptr
	if times != nil {
		for i, ts := range times {
			le.PutUint64(h[16*i:], uint64(ts.Sec))
			le.PutUint64(h[16*i+8:], uint64(ts.Nsec))
		}
		tp = goAddr(h)
	}
	if nullPath {
		fd, e := t.Dirfd(dirfd)
		if e != 0 {
			return -int64(e)
		}
		r, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, tp, flags, 0, 0)
		return hostRet(r, e)
	}
	dirfd, p, e := t.DirPath(dirfd, path)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_UTIMENSAT, [6]uintptr{uintptr(dirfd), 0, tp, flags}, 1, t.HostPath(p))
	return hostRet(r, e)
}

func Utimes(t Task, c *Call) int64    { return utimesTv(t, c, unix.AT_FDCWD, c.A[0], c.A[1]) }
func Futimesat(t Task, c *Call) int64 { return utimesTv(t, c, c.Int32(0), c.A[1], c.A[2]) }

// utimesTv is utimes and futimesat: two timevals, microseconds checked as
// the kernel's do_futimesat checks them.
func utimesTv(t Task, c *Call, dirfd int, path, tvp uint64) int64 {
	var times *[2]unix.Timespec
	if tvp != 0 {
		n := sizeofTimeval(c.ABI)
		var b [2 * sizeofTimevalMax]byte
		if e := t.CopyIn(tvp, b[:2*n]); e != 0 {
			return -int64(e)
		}
		var v [2]unix.Timespec
		for i := range v {
			var tv cTimeval
			tv.decode(c.ABI, b[i*n:])
			if tv.Usec < 0 || tv.Usec >= 1e6 {
				return -int64(unix.EINVAL)
			}
			v[i] = unix.Timespec{Sec: tv.Sec, Nsec: tv.Usec * 1000}
		}
		times = &v
	}
	return utimes(t, c, dirfd, path, times, 0, false)
}

// Utime is utime(path, times): whole seconds.
func Utime(t Task, c *Call) int64 {
	var times *[2]unix.Timespec
	if c.A[1] != 0 {
		n := sizeofUtimbuf(c.ABI)
		var b [sizeofUtimbufMax]byte
		if e := t.CopyIn(c.A[1], b[:n]); e != 0 {
			return -int64(e)
		}
		var u cUtimbuf
		u.decode(c.ABI, b[:n])
		times = &[2]unix.Timespec{{Sec: u.Actime}, {Sec: u.Modtime}}
	}
	return utimes(t, c, unix.AT_FDCWD, c.A[0], times, 0, false)
}

// Statfs.

func Statfs(t Task, c *Call) int64 {
	st, e := statfsPath(t, c.A[0])
	if e != 0 {
		return -int64(e)
	}
	return statfsOut(t, c, &st, c.A[1], false)
}

func Fstatfs(t Task, c *Call) int64 {
	st, e := statfsFD(t, c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	return statfsOut(t, c, &st, c.A[1], false)
}

// Statfs64 is i386's statfs64(path, size, buf): size must be
// compat_statfs64's.
func Statfs64(t Task, c *Call) int64 {
	if c.A[1] != sizeofStatfs64I386 {
		return -int64(unix.EINVAL)
	}
	st, e := statfsPath(t, c.A[0])
	if e != 0 {
		return -int64(e)
	}
	return statfsOut(t, c, &st, c.A[2], true)
}

func Fstatfs64(t Task, c *Call) int64 {
	if c.A[1] != sizeofStatfs64I386 {
		return -int64(unix.EINVAL)
	}
	st, e := statfsFD(t, c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	return statfsOut(t, c, &st, c.A[2], true)
}

func statfsPath(t Task, addr uint64) (unix.Statfs_t, unix.Errno) {
	var st unix.Statfs_t
	_, p, e := t.DirPath(unix.AT_FDCWD, addr)
	if e != 0 {
		return st, e
	}
	if err := unix.Statfs(t.HostPath(p), &st); err != nil {
		return st, err.(unix.Errno)
	}
	return st, 0
}

func statfsFD(t Task, v int) (unix.Statfs_t, unix.Errno) {
	var st unix.Statfs_t
	fd, e := t.FD(v)
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
func statfsOut(t Task, c *Call, st *unix.Statfs_t, addr uint64, wide bool) int64 {
	const hi = 0xffffffff00000000
	if c.ABI == cpu.ABIi386 {
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
		return -int64(t.CopyOut(addr, v.encode(c.ABI, b[:])))
	}
	v := cStatfs{Type: st.Type, Bsize: st.Bsize, Blocks: int64(st.Blocks), Bfree: int64(st.Bfree), Bavail: int64(st.Bavail),
		Files: int64(st.Files), Ffree: int64(st.Ffree), Fsid: st.Fsid.Val, Namelen: st.Namelen, Frsize: st.Frsize, Flags: st.Flags}
	var b [sizeofStatfsMax]byte
	return -int64(t.CopyOut(addr, v.encode(c.ABI, b[:])))
}

// The 64-bit offsets i386 passes in two registers (low word first).

func Fadvise64(t Task, c *Call) int64 {
	if c.ABI == cpu.ABIi386 {
		// fadvise64(fd, off_lo, off_hi, len, advice): a 32-bit length.
		return fdCall4(t, c, unix.SYS_FADVISE64, uintptr(c.Off64(1)), uintptr(c.A[3]), uintptr(int32(c.A[4])))
	}
	return fdCall4(t, c, unix.SYS_FADVISE64, uintptr(c.A[1]), uintptr(c.A[2]), uintptr(int32(c.A[3])))
}

// Fadvise64_64 is i386's fadvise64_64(fd, off_lo, off_hi, len_lo,
// len_hi, advice).
func Fadvise64_64(t Task, c *Call) int64 {
	return fdCall4(t, c, unix.SYS_FADVISE64, uintptr(c.Off64(1)), uintptr(c.Off64(3)), uintptr(int32(c.A[5])))
}

func Readahead(t Task, c *Call) int64 {
	if c.ABI == cpu.ABIi386 {
		return fdCall4(t, c, unix.SYS_READAHEAD, uintptr(c.Off64(1)), uintptr(c.A[3]), 0)
	}
	return fdCall4(t, c, unix.SYS_READAHEAD, uintptr(c.A[1]), uintptr(c.A[2]), 0)
}

func SyncFileRange(t Task, c *Call) int64 {
	if c.ABI == cpu.ABIi386 {
		return fdCall4(t, c, unix.SYS_SYNC_FILE_RANGE, uintptr(c.Off64(1)), uintptr(c.Off64(3)), uintptr(uint32(c.A[5])))
	}
	return fdCall4(t, c, unix.SYS_SYNC_FILE_RANGE, uintptr(c.A[1]), uintptr(c.A[2]), uintptr(uint32(c.A[3])))
}

// Fallocate is fallocate(fd, mode, off, len); i386 splits both.
func Fallocate(t Task, c *Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	off, n := c.A[2], c.A[3]
	if c.ABI == cpu.ABIi386 {
		off, n = c.Off64(2), c.Off64(4)
	}
	r, _, e := unix.Syscall6(unix.SYS_FALLOCATE, uintptr(fd), uintptr(uint32(c.A[1])), uintptr(off), uintptr(n), 0, 0)
	return hostRet(r, e)
}

// fdCall4 runs nr(fd, a1, a2, a3) for the guest descriptor in argument 0.
func fdCall4(t Task, c *Call, nr, a1, a2, a3 uintptr) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(nr, uintptr(fd), a1, a2, a3, 0, 0)
	return hostRet(r, e)
}

// Truncate64 is i386's truncate64(path, len_lo, len_hi).
func Truncate64(t Task, c *Call) int64 {
	_, p, e := t.DirPath(unix.AT_FDCWD, c.A[0])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_TRUNCATE, [6]uintptr{0, uintptr(c.Off64(1))}, 0, t.HostPath(p))
	return hostRet(r, e)
}

func Sync(t Task, c *Call) int64 {
	unix.Sync()
	return 0
}

func Syncfs(t Task, c *Call) int64 { return fdCall3(t, c, unix.SYS_SYNCFS, 0, 0) }

// Flock may block (LOCK_EX without LOCK_NB): interruptible.
func Flock(t Task, c *Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_FLOCK, uintptr(fd), uintptr(uint32(c.A[1])), 0, 0, 0, 0)
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
func xattrName(t Task, addr uint64) (string, unix.Errno) {
	n, e := t.ReadString(addr, xattrNameMax+1)
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

func getXattrTarget(t Task, c *Call, byFD bool) (xattrTarget, unix.Errno) {
	if byFD {
		fd, e := t.FD(c.Int32(0))
		return xattrTarget{fd: fd, byFD: true}, e
	}
	_, p, e := t.DirPath(unix.AT_FDCWD, c.A[0])
	return xattrTarget{path: t.HostPath(p)}, e
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

func Setxattr(t Task, c *Call) int64  { return setxattr(t, c, unix.SYS_SETXATTR, false) }
func Lsetxattr(t Task, c *Call) int64 { return setxattr(t, c, unix.SYS_LSETXATTR, false) }
func Fsetxattr(t Task, c *Call) int64 { return setxattr(t, c, unix.SYS_FSETXATTR, true) }

func setxattr(t Task, c *Call, nr uintptr, byFD bool) int64 {
	xt, e := getXattrTarget(t, c, byFD)
	if e != 0 {
		return -int64(e)
	}
	name, e := xattrName(t, c.A[1])
	if e != 0 {
		return -int64(e)
	}
	size := c.A[3]
	if size > xattrSizeMax {
		return -int64(unix.E2BIG)
	}
	v, e := t.PassPtr(c.A[2], size)
	if e != 0 {
		return -int64(e)
	}
	r, e := xattrCall(nr, xt, &name, v, uintptr(size), uintptr(uint32(c.A[4])))
	return hostRet(r, e)
}

func Getxattr(t Task, c *Call) int64 { return getxattr(t, c, unix.SYS_GETXATTR, false, true) }
func Lgetxattr(t Task, c *Call) int64 {
	return getxattr(t, c, unix.SYS_LGETXATTR, false, true)
}
func Fgetxattr(t Task, c *Call) int64 { return getxattr(t, c, unix.SYS_FGETXATTR, true, true) }
func Listxattr(t Task, c *Call) int64 {
	return getxattr(t, c, unix.SYS_LISTXATTR, false, false)
}
func Llistxattr(t Task, c *Call) int64 {
	return getxattr(t, c, unix.SYS_LLISTXATTR, false, false)
}
func Flistxattr(t Task, c *Call) int64 {
	return getxattr(t, c, unix.SYS_FLISTXATTR, true, false)
}

// getxattr runs the get and list calls: the value goes straight to the
// guest's buffer (prepared by Task.KernelBuf; the kernel copies at most
// XATTR_SIZE_MAX).
func getxattr(t Task, c *Call, nr uintptr, byFD, named bool) int64 {
	xt, e := getXattrTarget(t, c, byFD)
	if e != 0 {
		return -int64(e)
	}
	bufArg := 1
	var name *string
	if named {
		n, e := xattrName(t, c.A[1])
		if e != 0 {
			return -int64(e)
		}
		name, bufArg = &n, 2
	}
	buf, size := c.A[bufArg], c.A[bufArg+1]
	n, partial, guarded, e := t.KernelBuf(buf, min(size, xattrSizeMax))
	if e != 0 {
		return -int64(e)
	}
	if partial && !guarded {
		size = n
	}
	r, e := xattrCall(nr, xt, name, uintptr(buf), uintptr(size))
	t.ReleaseBuf()
	if size == 0 {
		return hostRet(r, e) // the size needed; nothing written
	}
	return wroteRet(t, buf, hostRet(r, e))
}

func Removexattr(t Task, c *Call) int64 {
	return removexattr(t, c, unix.SYS_REMOVEXATTR, false)
}
func Lremovexattr(t Task, c *Call) int64 {
	return removexattr(t, c, unix.SYS_LREMOVEXATTR, false)
}
func Fremovexattr(t Task, c *Call) int64 {
	return removexattr(t, c, unix.SYS_FREMOVEXATTR, true)
}

func removexattr(t Task, c *Call, nr uintptr, byFD bool) int64 {
	xt, e := getXattrTarget(t, c, byFD)
	if e != 0 {
		return -int64(e)
	}
	name, e := xattrName(t, c.A[1])
	if e != 0 {
		return -int64(e)
	}
	r, e := xattrCall(nr, xt, &name)
	return hostRet(r, e)
}

// Notification.

func InotifyInit(t Task, c *Call) int64 {
	return newFDCall(t, unix.SYS_INOTIFY_INIT1, 0, 0, 0)
}

func InotifyInit1(t Task, c *Call) int64 {
	return newFDCall(t, unix.SYS_INOTIFY_INIT1, uintptr(uint32(c.A[0])), 0, 0)
}

func InotifyAddWatch(t Task, c *Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	_, p, e := t.DirPath(unix.AT_FDCWD, c.A[1])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_INOTIFY_ADD_WATCH, [6]uintptr{uintptr(fd), 0, uintptr(uint32(c.A[2]))}, 1, t.HostPath(p))
	return hostRet(r, e)
}

func InotifyRmWatch(t Task, c *Call) int64 {
	return fdCall3(t, c, unix.SYS_INOTIFY_RM_WATCH, uintptr(int32(c.A[1])), 0)
}

func FanotifyInit(t Task, c *Call) int64 {
	return newFDCall(t, unix.SYS_FANOTIFY_INIT, uintptr(uint32(c.A[0])), uintptr(uint32(c.A[1])), 0)
}

// FanotifyMark is fanotify_mark(fd, flags, mask, dirfd, path); i386
// splits the 64-bit mask. The path may be NULL (the directory descriptor
// itself).
func FanotifyMark(t Task, c *Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	mask, dirArg := c.A[2], 3
	if c.ABI == cpu.ABIi386 {
		mask, dirArg = c.Off64(2), 4
	}
	dirfd, e := t.Dirfd(c.Int32(dirArg))
	if e != 0 {
		return -int64(e)
	}
	a := [6]uintptr{uintptr(fd), uintptr(uint32(c.A[1])), uintptr(mask), uintptr(dirfd)}
	if c.A[dirArg+1] == 0 {
		r, _, e := unix.Syscall6(unix.SYS_FANOTIFY_MARK, a[0], a[1], a[2], a[3], 0, 0)
		return hostRet(r, e)
	}
	_, p, e := t.DirPath(dirfd, c.A[dirArg+1])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_FANOTIFY_MARK, a, 4, t.HostPath(p))
	return hostRet(r, e)
}

// File handles: struct file_handle has one layout in both ABIs (u32
// handle_bytes, int handle_type, the bytes).

// maxHandleSz is MAX_HANDLE_SZ.
const maxHandleSz = 128

// handleRange checks the guest's file_handle at addr: its header, and as
// many bytes after it as handle_bytes says (at most MAX_HANDLE_SZ).
func handleRange(t Task, addr uint64) (uintptr, unix.Errno) {
	var b [4]byte
	if e := t.CopyIn(addr, b[:]); e != 0 {
		return 0, e
	}
	return t.PassPtr(addr, 8+min(uint64(le.Uint32(b[:])), maxHandleSz))
}

func NameToHandleAt(t Task, c *Call) int64 {
	dirfd, p, e := t.DirPath(c.Int32(0), c.A[1])
	if e != 0 {
		return -int64(e)
	}
	h, e := handleRange(t, c.A[2])
	if e != 0 {
		return -int64(e)
	}
	mnt, e := t.PassPtr(c.A[3], 4)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_NAME_TO_HANDLE_AT, [6]uintptr{uintptr(dirfd), 0, h, mnt, uintptr(uint32(c.A[4]))}, 1, t.HostPath(p))
	if e == 0 || e == unix.EOVERFLOW {
		t.Wrote(c.A[2], 8+maxHandleSz)
		t.Wrote(c.A[3], 4)
	}
	return hostRet(r, e)
}

func OpenByHandleAt(t Task, c *Call) int64 {
	mfd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	h, e := handleRange(t, c.A[1])
	if e != 0 {
		return -int64(e)
	}
	if e := t.FDFree(); e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_OPEN_BY_HANDLE_AT, uintptr(mfd), h, uintptr(uint32(c.A[2])))
	if e != 0 {
		return -int64(e)
	}
	return fdResult(t, int(r))
}

// Memory.

// guestMapped checks a page-aligned range of guest memory that a call
// names (mincore, msync): EINVAL for an unaligned start, ENOMEM when any
// of it is not guest memory, as for unmapped memory natively.
func guestMapped(t Task, addr, n uint64) (uint64, unix.Errno) {
	if addr&mm.PageMask != 0 {
		return 0, unix.EINVAL
	}
	n = (n + mm.PageMask) &^ uint64(mm.PageMask)
	if n == 0 {
		return 0, 0
	}
	if !t.GuestMapped(addr, n) {
		return 0, unix.ENOMEM
	}
	return n, 0
}

// Mincore is mincore(addr, len, vec): one byte per page of a guest
// range, written by the kernel to the guest's vector.
func Mincore(t Task, c *Call) int64 {
	n, e := guestMapped(t, c.A[0], c.A[1])
	if e != 0 {
		return -int64(e)
	}
	pages := n / mm.PageSize
	vec, e := t.PassPtr(c.A[2], pages)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(c.A[0]), uintptr(c.A[1]), vec)
	if e == 0 {
		t.Wrote(c.A[2], pages)
	}
	return hostRet(r, e)
}

func Msync(t Task, c *Call) int64 {
	if _, e := guestMapped(t, c.A[0], c.A[1]); e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_MSYNC, uintptr(c.A[0]), uintptr(c.A[1]), uintptr(uint32(c.A[2])))
	return hostRet(r, e)
}

// mfdNameMax is MFD_NAME_MAX_LEN.
const mfdNameMax = 249

func MemfdCreate(t Task, c *Call) int64 {
	name, e := t.ReadString(c.A[0], mfdNameMax+1)
	if e == unix.ENAMETOOLONG {
		return -int64(unix.EINVAL)
	}
	if e != 0 {
		return -int64(e)
	}
	if e := t.FDFree(); e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_MEMFD_CREATE, [6]uintptr{0, uintptr(uint32(c.A[1]))}, 0, name)
	if e != 0 {
		return -int64(e)
	}
	return fdResult(t, int(r))
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

// Prctl runs the options a process may use on itself. The name is the
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
func Prctl(t Task, c *Call) int64 {
	opt := c.Int32(0)
	a := [4]uintptr{uintptr(c.A[1]), uintptr(c.A[2]), uintptr(c.A[3]), uintptr(c.A[4])}
	if c.ABI == cpu.ABIi386 {
		for i := range a {
			a[i] = uintptr(uint32(a[i]))
		}
	}
	switch opt {
	case prSetName:
		name, e := t.ReadString(c.A[1], taskCommLen-1)
		if e == unix.ENAMETOOLONG {
			// strncpy_from_user of TASK_COMM_LEN-1 bytes: the name is cut.
			var b [taskCommLen - 1]byte
			if e = t.CopyIn(c.A[1], b[:]); e == 0 {
				name = string(b[:])
			}
		}
		if e != 0 {
			return -int64(e)
		}
		if err := os.WriteFile(commPath(t), []byte(name), 0); err != nil {
			return errno(unwrapErrno(err))
		}
		return 0
	case prGetName:
		name, err := os.ReadFile(commPath(t))
		if err != nil {
			return errno(unwrapErrno(err))
		}
		var b [taskCommLen]byte
		copy(b[:taskCommLen-1], strings.TrimSuffix(string(name), "\n"))
		return -int64(t.CopyOut(c.A[1], b[:]))
	case prGetPdeathsig, prGetTSC, prGetChildSubreaper:
		// The value goes to an int at arg2.
		p, e := t.PassPtr(c.A[1], 4)
		if e != 0 {
			return -int64(e)
		}
		r, _, e := unix.Syscall(unix.SYS_PRCTL, uintptr(opt), p, 0)
		if e == 0 {
			t.Wrote(c.A[1], 4)
		}
		return hostRet(r, e)
	case prGetTidAddress:
		// clear_child_tid as the kernel stores it: a pointer written with
		// the kernel's width.
		var b [8]byte
		le.PutUint64(b[:], t.ClearChildTID())
		return -int64(t.CopyOut(c.A[1], b[:]))
	case prSetVMA:
		// Naming anonymous memory: only the guest's.
		if a[0] == 0 { // PR_SET_VMA_ANON_NAME
			if _, e := guestMapped(t, c.A[2], c.A[3]); e != 0 {
				return -int64(e)
			}
			var name uintptr
			if c.A[4] != 0 {
				n, e := t.ReadString(c.A[4], 80)
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

// Personality passes personality through: the persona is the
// process's (only the query 0xffffffff is common; the flags that change
// mmap's behaviour apply to minemu's mappings as they would to the guest's).
func Personality(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_PERSONALITY, uintptr(uint32(c.A[0])), 0, 0)
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

func Capget(t Task, c *Call) int64 { return capCall(t, c, unix.SYS_CAPGET) }
func Capset(t Task, c *Call) int64 { return capCall(t, c, unix.SYS_CAPSET) }

// capCall passes capget and capset through for the calling thread: the
// header (8 bytes) and as many data structures as its version has (the
// kernel writes the version it prefers back on EINVAL).
func capCall(t Task, c *Call, nr uintptr) int64 {
	var b [8]byte
	if e := t.CopyIn(c.A[0], b[:]); e != 0 {
		return -int64(e)
	}
	n := uint64(12)
	switch le.Uint32(b[:]) {
	case capV2, capV3:
		n = 24
	}
	hdr, e := t.PassPtr(c.A[0], 8)
	if e != 0 {
		return -int64(e)
	}
	var data uintptr
	if c.A[1] != 0 {
		if data, e = t.PassPtr(c.A[1], n); e != 0 {
			return -int64(e)
		}
	}
	r, _, e := unix.Syscall(nr, hdr, data, 0)
	t.Wrote(c.A[0], 8)
	if nr == unix.SYS_CAPGET && e == 0 && data != 0 {
		t.Wrote(c.A[1], n)
	}
	return hostRet(r, e)
}

// Scheduling: pids name guest threads (host threads) or other processes;
// sched_param is an int, sched_attr one layout in both ABIs.

func SchedSetparam(t Task, c *Call) int64 {
	return schedParam(t, c, unix.SYS_SCHED_SETPARAM, 1, false)
}
func SchedGetparam(t Task, c *Call) int64 {
	return schedParam(t, c, unix.SYS_SCHED_GETPARAM, 1, true)
}
func SchedSetscheduler(t Task, c *Call) int64 {
	return schedParam(t, c, unix.SYS_SCHED_SETSCHEDULER, 2, false)
}

// schedParam runs nr(pid, [policy,] param) with the param int at argument
// arg.
func schedParam(t Task, c *Call, nr uintptr, arg int, out bool) int64 {
	p, e := t.PassPtr(c.A[arg], 4)
	if e != 0 {
		return -int64(e)
	}
	a := [3]uintptr{uintptr(int32(c.A[0])), p, 0}
	if arg == 2 {
		a = [3]uintptr{uintptr(int32(c.A[0])), uintptr(int32(c.A[1])), p}
	}
	r, _, e := unix.Syscall(nr, a[0], a[1], a[2])
	if out && e == 0 {
		t.Wrote(c.A[arg], 4)
	}
	return hostRet(r, e)
}

func SchedGetscheduler(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_SCHED_GETSCHEDULER, uintptr(int32(c.A[0])), 0, 0)
	return hostRet(r, e)
}

func SchedGetPriorityMax(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_SCHED_GET_PRIORITY_MAX, uintptr(int32(c.A[0])), 0, 0)
	return hostRet(r, e)
}

func SchedGetPriorityMin(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_SCHED_GET_PRIORITY_MIN, uintptr(int32(c.A[0])), 0, 0)
	return hostRet(r, e)
}

func SchedRrGetInterval(t Task, c *Call) int64   { return rrInterval(t, c, c.ABI) }
func SchedRrGetInterval64(t Task, c *Call) int64 { return rrInterval(t, c, cpu.ABIAMD64) }

func rrInterval(t Task, c *Call, abi cpu.ABI) int64 {
	h := t.Scratch(16)
	if _, _, e := unix.Syscall(unix.SYS_SCHED_RR_GET_INTERVAL, uintptr(int32(c.A[0])), goAddr(h), 0); e != 0 {
		return -int64(e)
	}
	return -int64(timeOut(t, abi, c.A[1], int64(le.Uint64(h)), int64(le.Uint64(h[8:]))))
}

func SchedSetaffinity(t Task, c *Call) int64 {
	p, e := t.PassPtr(c.A[2], uint64(uint32(c.A[1])))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_SCHED_SETAFFINITY, uintptr(int32(c.A[0])), uintptr(uint32(c.A[1])), p)
	return hostRet(r, e)
}

// sched_attr sizes (SCHED_ATTR_SIZE_VER0) and the kernel's upper bound.
const (
	schedAttrVer0 = 48
	schedAttrMax  = mm.PageSize
)

func SchedSetattr(t Task, c *Call) int64 {
	var b [4]byte
	if e := t.CopyIn(c.A[1], b[:]); e != 0 {
		return -int64(e)
	}
	n := uint64(le.Uint32(b[:]))
	if n == 0 {
		n = schedAttrVer0
	}
	p, e := t.PassPtr(c.A[1], min(max(n, schedAttrVer0), schedAttrMax))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_SCHED_SETATTR, uintptr(int32(c.A[0])), p, uintptr(uint32(c.A[2])))
	if e == unix.E2BIG {
		t.Wrote(c.A[1], 4) // the kernel's size
	}
	return hostRet(r, e)
}

func SchedGetattr(t Task, c *Call) int64 {
	n := uint64(uint32(c.A[2]))
	if n < schedAttrVer0 || n > schedAttrMax {
		return -int64(unix.EINVAL)
	}
	p, e := t.PassPtr(c.A[1], n)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(unix.SYS_SCHED_GETATTR, uintptr(int32(c.A[0])), p, uintptr(n), uintptr(uint32(c.A[3])), 0, 0)
	if e == 0 {
		t.Wrote(c.A[1], n)
	}
	return hostRet(r, e)
}

func Getpriority(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_GETPRIORITY, uintptr(int32(c.A[0])), uintptr(int32(c.A[1])), 0)
	return hostRet(r, e)
}

func Setpriority(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_SETPRIORITY, uintptr(int32(c.A[0])), uintptr(int32(c.A[1])), uintptr(int32(c.A[2])))
	return hostRet(r, e)
}

func IoprioSet(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, uintptr(int32(c.A[0])), uintptr(int32(c.A[1])), uintptr(int32(c.A[2])))
	return hostRet(r, e)
}

func IoprioGet(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_IOPRIO_GET, uintptr(int32(c.A[0])), uintptr(int32(c.A[1])), 0)
	return hostRet(r, e)
}

// Getcpu is getcpu(cpu, node, cache): each pointer may be NULL.
func Getcpu(t Task, c *Call) int64 {
	var p [2]uintptr
	for i := range p {
		if c.A[i] != 0 {
			var e unix.Errno
			if p[i], e = t.PassPtr(c.A[i], 4); e != 0 {
				return -int64(e)
			}
		}
	}
	r, _, e := unix.Syscall(unix.SYS_GETCPU, p[0], p[1], 0)
	if e == 0 {
		t.Wrote(c.A[0], 4)
		t.Wrote(c.A[1], 4)
	}
	return hostRet(r, e)
}

func Membarrier(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_MEMBARRIER, uintptr(int32(c.A[0])), uintptr(uint32(c.A[1])), uintptr(int32(c.A[2])))
	return hostRet(r, e)
}

// utsNameLen is __NEW_UTS_LEN.
const utsNameLen = 64

func Sethostname(t Task, c *Call) int64   { return setUTS(t, c, unix.SYS_SETHOSTNAME) }
func Setdomainname(t Task, c *Call) int64 { return setUTS(t, c, unix.SYS_SETDOMAINNAME) }

func setUTS(t Task, c *Call, nr uintptr) int64 {
	n := c.Int32(1)
	if n < 0 || n > utsNameLen {
		return -int64(unix.EINVAL)
	}
	p, e := t.PassPtr(c.A[0], uint64(n))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(nr, p, uintptr(n), 0)
	return hostRet(r, e)
}

// Refused: what would let the guest reach or constrain minemu itself
// answers as a kernel without the feature, or one that does not permit
// it, answers (docs/RATIONALE.md, "Why are seccomp, io_uring, aio ...
// refused?").

func RefuseEPERM(t Task, c *Call) int64  { return -int64(unix.EPERM) }
func RefuseEINVAL(t Task, c *Call) int64 { return -int64(unix.EINVAL) }

// Nice is i386's nice(inc), which x86-64 does not have: the calling
// thread's nice value moved by inc (clamped to -40..40, the result to
// -20..19, as sys_nice), set with setpriority; EPERM where the kernel's
// can_nice refuses.
func Nice(t Task, c *Call) int64 {
	inc := min(max(c.Int32(0), -40), 40)
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

// commPath is the procfs file holding the calling thread's name.
func commPath(t Task) string {
	return "/proc/" + strconv.Itoa(t.Pid()) + "/task/" + strconv.Itoa(t.Tid()) + "/comm"
}

// unwrapErrno returns the errno inside an os error, EIO when none.
func unwrapErrno(err error) error {
	var e syscall.Errno
	if errors.As(err, &e) {
		return unix.Errno(e)
	}
	return unix.EIO
}

// Fchmodat2 is fchmodat2(dirfd, path, mode, flags).
func Fchmodat2(t Task, c *Call) int64 {
	return pathAt(t, sysFchmodat2, c.Int32(0), c.A[1], uintptr(uint32(c.A[2])), uintptr(uint32(c.A[3])))
}

// sysFchmodat2 is fchmodat2's number, the same in both ABIs.
const sysFchmodat2 = 452

// PidfdOpen is pidfd_open(pid, flags): a new descriptor.
func PidfdOpen(t Task, c *Call) int64 {
	if e := t.FDFree(); e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_PIDFD_OPEN, uintptr(int32(c.A[0])), uintptr(uint32(c.A[1])), 0)
	if e != 0 {
		return -int64(e)
	}
	return fdResult(t, int(r))
}
