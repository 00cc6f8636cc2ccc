package filecall

// The calls that change the file system: directory entries, renames,
// removal, permissions, truncation, syncing, the working directory, and
// directory listings. Paths are read from guest memory and handed to the
// host's *at calls; a path that names /proc/self/exe is not redirected
// here, since these calls change the file system rather than look at the
// program.

import (
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
)

// pathAt runs host call nr(dirfd, path, a2, a3) for a guest path.
func pathAt(t Task, nr uintptr, dirfd int, pathAddr uint64, a2, a3 uintptr) int64 {
	dirfd, p, e := t.DirPath(dirfd, pathAddr)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(nr, [6]uintptr{uintptr(dirfd), 0, a2, a3}, 1, p)
	return hostRet(r, e)
}

func Unlink(t Task, c *hostcall.Call) int64 {
	return pathAt(t, unix.SYS_UNLINKAT, unix.AT_FDCWD, c.A[0], 0, 0)
}

func Unlinkat(t Task, c *hostcall.Call) int64 {
	return pathAt(t, unix.SYS_UNLINKAT, c.Int32(0), c.A[1], uintptr(uint32(c.A[2])), 0)
}

func Rmdir(t Task, c *hostcall.Call) int64 {
	return pathAt(t, unix.SYS_UNLINKAT, unix.AT_FDCWD, c.A[0], unix.AT_REMOVEDIR, 0)
}

func Mkdir(t Task, c *hostcall.Call) int64 {
	return pathAt(t, unix.SYS_MKDIRAT, unix.AT_FDCWD, c.A[0], uintptr(uint32(c.A[1])), 0)
}

func Mkdirat(t Task, c *hostcall.Call) int64 {
	return pathAt(t, unix.SYS_MKDIRAT, c.Int32(0), c.A[1], uintptr(uint32(c.A[2])), 0)
}

func Chmod(t Task, c *hostcall.Call) int64 {
	return pathAt(t, unix.SYS_FCHMODAT, unix.AT_FDCWD, c.A[0], uintptr(uint32(c.A[1])), 0)
}

func Fchmodat(t Task, c *hostcall.Call) int64 {
	return pathAt(t, unix.SYS_FCHMODAT, c.Int32(0), c.A[1], uintptr(uint32(c.A[2])), 0)
}

func Chdir(t Task, c *hostcall.Call) int64 {
	_, p, e := t.DirPath(unix.AT_FDCWD, c.A[0])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_CHDIR, [6]uintptr{}, 0, p)
	return hostRet(r, e)
}

// Truncate is truncate(path, length); i386's length is a signed long.
func Truncate(t Task, c *hostcall.Call) int64 {
	_, p, e := t.DirPath(unix.AT_FDCWD, c.A[0])
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_TRUNCATE, [6]uintptr{0, uintptr(long(c, 1))}, 0, p)
	return hostRet(r, e)
}

// renameat2 is the common part of rename, renameat and renameat2: both
// directories are checked before either path is read, as the kernel does.
func renameat2(t Task, olddir int, oldAddr uint64, newdir int, newAddr uint64, flags uint32) int64 {
	olddir, e := t.Dirfd(olddir)
	if e != 0 {
		return -int64(e)
	}
	newdir, e = t.Dirfd(newdir)
	if e != 0 {
		return -int64(e)
	}
	oldp, e := t.Path(oldAddr)
	if e != 0 {
		return -int64(e)
	}
	newp, e := t.Path(newAddr)
	if e != 0 {
		return -int64(e)
	}
	oldp, newp = t.HideFDPath(olddir, oldp), t.HideFDPath(newdir, newp)
	if err := unix.Renameat2(olddir, oldp, newdir, newp, uint(flags)); err != nil {
		return errno(err)
	}
	return 0
}

func Rename(t Task, c *hostcall.Call) int64 {
	return renameat2(t, unix.AT_FDCWD, c.A[0], unix.AT_FDCWD, c.A[1], 0)
}

func Renameat(t Task, c *hostcall.Call) int64 {
	return renameat2(t, c.Int32(0), c.A[1], c.Int32(2), c.A[3], 0)
}

func Renameat2(t Task, c *hostcall.Call) int64 {
	return renameat2(t, c.Int32(0), c.A[1], c.Int32(2), c.A[3], uint32(c.A[4]))
}

// fdCall runs host call nr(fd, a1, a2) for a guest descriptor.
func fdCall(t Task, nr uintptr, fd int, a1, a2 uintptr) int64 {
	fd, e := t.FD(fd)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(nr, uintptr(fd), a1, a2)
	return hostRet(r, e)
}

func Fchdir(t Task, c *hostcall.Call) int64 { return fdCall(t, unix.SYS_FCHDIR, c.Int32(0), 0, 0) }
func Fsync(t Task, c *hostcall.Call) int64  { return fdCall(t, unix.SYS_FSYNC, c.Int32(0), 0, 0) }
func Fdatasync(t Task, c *hostcall.Call) int64 {
	return fdCall(t, unix.SYS_FDATASYNC, c.Int32(0), 0, 0)
}

func Fchmod(t Task, c *hostcall.Call) int64 {
	return fdCall(t, unix.SYS_FCHMOD, c.Int32(0), uintptr(uint32(c.A[1])), 0)
}

// Ftruncate is ftruncate(fd, length); i386's length is a signed long.
func Ftruncate(t Task, c *hostcall.Call) int64 {
	return fdCall(t, unix.SYS_FTRUNCATE, c.Int32(0), uintptr(long(c, 1)), 0)
}

// Ftruncate64 is i386's ftruncate64(fd, length_lo, length_hi).
func Ftruncate64(t Task, c *hostcall.Call) int64 {
	return fdCall(t, unix.SYS_FTRUNCATE, c.Int32(0), uintptr(c.Off64(1)), 0)
}

// Getdents64: struct linux_dirent64 is the same in both ABIs. In a
// directory listing this process's descriptors, the entries of minemu's
// own are dropped (Task.Getdents); a buffer that held only those is
// refilled, so that an empty result still means the end.
func Getdents64(t Task, c *hostcall.Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	n, _, _, e := t.KernelBuf(c.A[1], uint64(uint32(c.A[2])))
	if e != 0 {
		return -int64(e)
	}
	r := t.Getdents(fd, c.A[1], n)
	t.ReleaseBuf()
	return r
}
