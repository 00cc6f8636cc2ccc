package filecall

// The calls that look at files: stat and its layouts, statx, access,
// readlink, getcwd, lseek, and getrandom.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
)

func Lseek(t Task, c *hostcall.Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	off, err := unix.Seek(fd, long(c, 1), c.Int32(2))
	if err != nil {
		return errno(err)
	}
	if c.ABI == cpu.ABIi386 && off > maxNonLFS {
		return -int64(unix.EOVERFLOW)
	}
	return off
}

// Llseek is i386's _llseek(fd, offset_high, offset_low, loff_t *result,
// whence).
func Llseek(t Task, c *hostcall.Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	if e := t.CheckWrite(c.A[3], 8); e != 0 {
		return -int64(e)
	}
	off, err := unix.Seek(fd, int64(c.A[1]<<32|c.A[2]), c.Int32(4))
	if err != nil {
		return errno(err)
	}
	b := t.Scratch(8)
	le.PutUint64(b, uint64(off))
	if e := t.CopyOut(c.A[3], b); e != 0 {
		return -int64(e)
	}
	return 0
}

// Stat family. The host fills a unix.Stat_t; statOut writes it in the
// layout the syscall's guest expects.

// statLayout selects the guest structure a stat call writes.
type statLayout uint8

const (
	statNative statLayout = iota // x86-64 struct stat
	statOld                      // i386 struct stat
	stat64                       // i386 struct stat64
)

func statOut(t Task, st *unix.Stat_t, layout statLayout, addr uint64) int64 {
	// The structure is built in the thread's scratch memory: a local
	// array handed to Task.CopyOut would escape to the heap.
	switch layout {
	case statOld:
		b := (*[sizeofStatI386]byte)(t.Scratch(sizeofStatI386))
		if e := encodeStatI386(st, b); e != 0 {
			return -int64(e)
		}
		return -int64(t.CopyOut(addr, b[:]))
	case stat64:
		b := (*[sizeofStat64I386]byte)(t.Scratch(sizeofStat64I386))
		encodeStat64I386(st, b)
		return -int64(t.CopyOut(addr, b[:]))
	default:
		b := (*[sizeofStatAMD64]byte)(t.Scratch(sizeofStatAMD64))
		encodeStatAMD64(st, b)
		return -int64(t.CopyOut(addr, b[:]))
	}
}

// statAt is fstatat(dirfd, path, buf, flags) for every layout.
func statAt(t Task, dirfd int, pathAddr, buf uint64, flags int, layout statLayout) int64 {
	dirfd, p, e := t.DirPath(dirfd, pathAddr)
	if e != 0 {
		return -int64(e)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, t.HostPath(p), &st, flags); err != nil {
		return errno(err)
	}
	return statOut(t, &st, layout, buf)
}

func fstat(t Task, fd int, buf uint64, layout statLayout) int64 {
	fd, e := t.FD(fd)
	if e != 0 {
		return -int64(e)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return errno(err)
	}
	return statOut(t, &st, layout, buf)
}

func Stat(t Task, c *hostcall.Call) int64 {
	return statAt(t, unix.AT_FDCWD, c.A[0], c.A[1], 0, abiStat(c))
}

func Lstat(t Task, c *hostcall.Call) int64 {
	return statAt(t, unix.AT_FDCWD, c.A[0], c.A[1], unix.AT_SYMLINK_NOFOLLOW, abiStat(c))
}

func Fstat(t Task, c *hostcall.Call) int64 { return fstat(t, c.Int32(0), c.A[1], abiStat(c)) }

func Stat64(t Task, c *hostcall.Call) int64 {
	return statAt(t, unix.AT_FDCWD, c.A[0], c.A[1], 0, stat64)
}

func Lstat64(t Task, c *hostcall.Call) int64 {
	return statAt(t, unix.AT_FDCWD, c.A[0], c.A[1], unix.AT_SYMLINK_NOFOLLOW, stat64)
}

func Fstat64(t Task, c *hostcall.Call) int64 { return fstat(t, c.Int32(0), c.A[1], stat64) }

// Newfstatat is x86-64's newfstatat and i386's fstatat64.
func Newfstatat(t Task, c *hostcall.Call) int64 {
	layout := statNative
	if c.ABI == cpu.ABIi386 {
		layout = stat64
	}
	return statAt(t, c.Int32(0), c.A[1], c.A[2], c.Int32(3), layout)
}

// abiStat is the layout of stat, lstat and fstat for the caller's ABI.
func abiStat(c *hostcall.Call) statLayout {
	if c.ABI == cpu.ABIi386 {
		return statOld
	}
	return statNative
}

// Statx is statx(dirfd, path, flags, mask, buf); struct statx is the
// same in both ABIs, so the kernel writes the guest's buffer.
func Statx(t Task, c *hostcall.Call) int64 {
	dirfd, p, e := t.DirPath(c.Int32(0), c.A[1])
	if e != 0 {
		return -int64(e)
	}
	buf, e := t.PassPtr(c.A[4], sizeofStatx)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_STATX, [6]uintptr{uintptr(dirfd), 0, uintptr(uint32(c.A[2])), uintptr(uint32(c.A[3])), buf}, 1, t.HostPath(p))
	if e == 0 {
		t.Wrote(c.A[4], sizeofStatx)
	}
	return hostRet(r, e)
}

// sizeofStatx is sizeof(struct statx).
const sizeofStatx = 256

func Access(t Task, c *hostcall.Call) int64 {
	return faccessat(t, unix.AT_FDCWD, c.A[0], c.Int32(1), 0)
}

func Faccessat(t Task, c *hostcall.Call) int64 {
	return faccessat(t, c.Int32(0), c.A[1], c.Int32(2), 0)
}

func Faccessat2(t Task, c *hostcall.Call) int64 {
	return faccessat(t, c.Int32(0), c.A[1], c.Int32(2), c.Int32(3))
}

func faccessat(t Task, dirfd int, pathAddr uint64, mode, flags int) int64 {
	dirfd, p, e := t.DirPath(dirfd, pathAddr)
	if e != 0 {
		return -int64(e)
	}
	// Plain faccessat when there are no flags: faccessat2 is Linux 5.8+.
	nr := uintptr(unix.SYS_FACCESSAT)
	if flags != 0 {
		nr = unix.SYS_FACCESSAT2
	}
	r, e := hostPathCall(nr, [6]uintptr{uintptr(dirfd), 0, uintptr(mode), uintptr(flags)}, 1, t.HostPath(p))
	return hostRet(r, e)
}

func Getcwd(t Task, c *hostcall.Call) int64 {
	n, _, _, e := t.KernelBuf(c.A[0], c.A[1])
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_GETCWD, uintptr(c.A[0]), uintptr(n), 0)
	t.ReleaseBuf()
	return wroteRet(t, c.A[0], hostRet(r, e))
}

func Readlink(t Task, c *hostcall.Call) int64 {
	return readlinkat(t, unix.AT_FDCWD, c.A[0], c.A[1], c.Int32(2))
}

func Readlinkat(t Task, c *hostcall.Call) int64 {
	return readlinkat(t, c.Int32(0), c.A[1], c.A[2], c.Int32(3))
}

// readlinkat answers /proc/self/exe with the guest's path and forwards
// everything else.
func readlinkat(t Task, dirfd int, pathAddr, buf uint64, size int) int64 {
	dirfd, p, e := t.DirPath(dirfd, pathAddr)
	if e != 0 {
		return -int64(e)
	}
	if size <= 0 {
		return -int64(unix.EINVAL)
	}
	if exe, ok := t.SelfExe(p); ok {
		n := min(size, len(exe))
		b := t.Scratch(n)
		copy(b, exe)
		if e := t.CopyOut(buf, b); e != 0 {
			return -int64(e)
		}
		return int64(n)
	}
	n, _, _, e := t.KernelBuf(buf, uint64(size))
	if e != 0 {
		return -int64(e)
	}
	r, e := hostPathCall(unix.SYS_READLINKAT, [6]uintptr{uintptr(dirfd), 0, uintptr(buf), uintptr(n)}, 1, t.SysrootPath(p))
	t.ReleaseBuf()
	return wroteRet(t, buf, hostRet(r, e))
}

func Getrandom(t Task, c *hostcall.Call) int64 {
	n, _, _, e := t.KernelBuf(c.A[0], c.A[1])
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_GETRANDOM, uintptr(c.A[0]), uintptr(n), uintptr(uint32(c.A[2])))
	t.ReleaseBuf()
	return wroteRet(t, c.A[0], hostRet(r, e))
}
