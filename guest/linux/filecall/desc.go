package filecall

// The calls that make, change and end descriptors: open, close, dup,
// pipe, ioctl and fcntl.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
)

func Open(t Task, c *hostcall.Call) int64 {
	return openat(t, c, unix.AT_FDCWD, c.A[0], c.Int32(1), uint32(c.A[2]))
}

func Creat(t Task, c *hostcall.Call) int64 {
	return openat(t, c, unix.AT_FDCWD, c.A[0], unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, uint32(c.A[1]))
}

func Openat(t Task, c *hostcall.Call) int64 {
	return openat(t, c, c.Int32(0), c.A[1], c.Int32(2), uint32(c.A[3]))
}

// openat opens a guest path. An i386 guest that did not ask for
// O_LARGEFILE cannot open a regular file larger than 2 GiB (EOVERFLOW, as
// generic_file_open says for a compat task). Like the kernel, which takes
// the descriptor number before it looks the path up, it is EMFILE without
// side effects (no O_CREAT, no O_TRUNC) when the guest's RLIMIT_NOFILE
// leaves no free number.
func openat(t Task, c *hostcall.Call, dirfd int, pathAddr uint64, flags int, mode uint32) int64 {
	p, e := t.Path(pathAddr)
	if e != 0 {
		return -int64(e)
	}
	if e := t.FDFree(); e != 0 {
		return -int64(e)
	}
	if dirfd, e = t.Dirfd(dirfd); e != 0 {
		return -int64(e)
	}
	defer t.Judging()()
	fd, e := openBlocking(t, dirfd, t.HostPath(t.HideFDPath(dirfd, p)), flags|unix.O_LARGEFILE, mode)
	if e != 0 {
		return -int64(e)
	}
	if e := t.NewFD(fd); e != 0 {
		return -int64(e)
	}
	if c.ABI == cpu.ABIi386 && flags&oLargefile == 0 {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size > maxNonLFS {
			unix.Close(fd)
			return -int64(unix.EOVERFLOW)
		}
	}
	if e := t.TrackOpen(fd, flags); e != 0 {
		return -int64(e)
	}
	return int64(fd)
}

// oLargefile is the kernel's O_LARGEFILE (0100000 on x86); the x86-64
// userspace constant is 0, so it is spelled out here.
const oLargefile = 0o100000

func Close(t Task, c *hostcall.Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	if e != unix.EBADF {
		t.TrackClose(fd)
	}
	return hostRet(r, e)
}

// ioctlArg describes the argument of a forwarded ioctl request.
type ioctlArg struct {
	// size is the size of the structure the argument points to; 0 when
	// the argument is an integer.
	size uint64
	// out is true when the kernel writes the structure.
	out bool
}

// ioctl requests forwarded to the host. Their layouts are the same in
// both ABIs.
var ioctls = map[uint32]ioctlArg{
	unix.TCGETS:     {sizeofTermios, true},
	unix.TCSETS:     {sizeofTermios, false},
	unix.TCSETSW:    {sizeofTermios, false},
	unix.TCSETSF:    {sizeofTermios, false},
	unix.TIOCGWINSZ: {8, true},
	unix.TIOCSWINSZ: {8, false},
	unix.TIOCGPGRP:  {4, true},
	ioctlFIONREAD:   {4, true},
	ioctlFIONBIO:    {4, false},
	ioctlFIOCLEX:    {0, false},
	ioctlFIONCLEX:   {0, false},
}

// The generic ioctl numbers x/sys/unix does not name (asm-generic/ioctls.h).
const (
	ioctlFIONREAD = 0x541b
	ioctlFIONBIO  = 0x5421
	ioctlFIONCLEX = 0x5450
	ioctlFIOCLEX  = 0x5451
)

// sizeofTermios is sizeof(struct termios) of the kernel's TCGETS: four
// 32-bit flag words, c_line and 19 control characters.
const sizeofTermios = 36

func Ioctl(t Task, c *hostcall.Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	req := uint32(c.A[1])
	ia, ok := ioctls[req]
	if !ok {
		t.Log().Debug().Uint32("request", req).Int("fd", fd).Msg("unsupported guest ioctl; returning ENOTTY")
		return -int64(unix.ENOTTY)
	}
	arg := uintptr(c.A[2])
	if ia.size != 0 {
		if arg, e = t.PassPtr(c.A[2], ia.size); e != 0 {
			return -int64(e)
		}
	}
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), arg)
	if e == 0 && ia.out {
		t.Wrote(c.A[2], ia.size)
	}
	return hostRet(r, e)
}

// fcntl commands whose argument is an integer.
func fcntlIntCmd(cmd int) bool {
	switch cmd {
	case unix.F_GETFD, unix.F_SETFD, unix.F_GETFL, unix.F_SETFL, unix.F_GETOWN, unix.F_SETOWN,
		unix.F_GETSIG, unix.F_SETSIG, unix.F_GETLEASE, unix.F_SETLEASE, unix.F_NOTIFY,
		unix.F_GETPIPE_SZ, unix.F_SETPIPE_SZ, unix.F_ADD_SEALS, unix.F_GET_SEALS:
		return true
	}
	return false
}

// Fcntl is fcntl for both ABIs, Fcntl64 i386's fcntl64, the only one that
// takes the *LK64 commands. Record locks translate i386's struct flock
// (32-bit offsets) and flock64 (packed); x86-64's struct flock is the
// host's.
func Fcntl(t Task, c *hostcall.Call) int64   { return fcntl(t, c, false) }
func Fcntl64(t Task, c *hostcall.Call) int64 { return fcntl(t, c, true) }

func fcntl(t Task, c *hostcall.Call, fcntl64 bool) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	cmd := c.Int32(1)
	switch {
	case cmd == unix.F_DUPFD || cmd == unix.F_DUPFD_CLOEXEC:
		// f_dupfd: a lowest number (an unsigned int) at or above the
		// guest's limit is EINVAL; no free number below it, EMFILE.
		if uint64(uint32(c.A[2])) >= t.Nofile() {
			return -int64(unix.EINVAL)
		}
		defer t.Judging()()
		r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(uint32(c.A[2])))
		if e != 0 {
			return -int64(e)
		}
		res := fdResult(t, int(r))
		if res >= 0 {
			t.TrackDup(fd, int(r))
		}
		return res
	case fcntlIntCmd(cmd):
		r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(c.A[2]))
		return hostRet(r, e)
	}
	var lockCmd int
	is64 := false
	switch cmd {
	case unix.F_GETLK, unix.F_SETLK, unix.F_SETLKW:
		lockCmd = cmd
	case unix.F_OFD_GETLK, unix.F_OFD_SETLK, unix.F_OFD_SETLKW:
		lockCmd, is64 = cmd, true
	case fcntlGetlk64, fcntlSetlk64, fcntlSetlkw64:
		if !fcntl64 {
			return -int64(unix.EINVAL)
		}
		lockCmd, is64 = cmd-fcntlGetlk64+unix.F_GETLK, true
	default:
		t.Log().Debug().Int("cmd", cmd).Msg("unsupported guest fcntl command; returning EINVAL")
		return -int64(unix.EINVAL)
	}
	if c.ABI == cpu.ABIAMD64 {
		p, e := t.PassPtr(c.A[2], uint64(sizeofFlockAMD64))
		if e != 0 {
			return -int64(e)
		}
		r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(lockCmd), p)
		if e == 0 && (lockCmd == unix.F_GETLK || lockCmd == unix.F_OFD_GETLK) {
			t.Wrote(c.A[2], sizeofFlockAMD64)
		}
		return hostRet(r, e)
	}
	// The OFD commands always take struct flock64 on i386.
	n := sizeofFlockI386
	if is64 {
		n = sizeofFlock64I386
	}
	b := t.Scratch(sizeofFlock64I386)
	if e := t.CopyIn(c.A[2], b[:n]); e != 0 {
		return -int64(e)
	}
	fl := decodeFlockI386(b[:n], is64)
	if err := unix.FcntlFlock(uintptr(fd), lockCmd, &fl); err != nil {
		return errno(err)
	}
	if lockCmd == unix.F_GETLK || lockCmd == unix.F_OFD_GETLK {
		if e := encodeFlockI386(&fl, b[:n], is64); e != 0 {
			return -int64(e)
		}
		if e := t.CopyOut(c.A[2], b[:n]); e != 0 {
			return -int64(e)
		}
	}
	return 0
}

// i386's F_GETLK64, F_SETLK64, F_SETLKW64 (fcntl64 only).
const (
	fcntlGetlk64  = 12
	fcntlSetlk64  = 13
	fcntlSetlkw64 = 14
)

func Dup(t Task, c *hostcall.Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	defer t.Judging()()
	r, _, e := unix.Syscall(unix.SYS_DUP, uintptr(fd), 0, 0)
	if e != 0 {
		return -int64(e)
	}
	res := fdResult(t, int(r))
	if res >= 0 {
		t.TrackDup(fd, int(r))
	}
	return res
}

// fdResult is the result of a call that created descriptor fd.
func fdResult(t Task, fd int) int64 {
	if e := t.NewFD(fd); e != 0 {
		return -int64(e)
	}
	return int64(fd)
}

// Dup2: onto itself it only checks that the descriptor is open; a new
// number at or above the guest's RLIMIT_NOFILE (minemu's band included)
// is EBADF (ksys_dup3). The numbers are unsigned ints.
func Dup2(t Task, c *hostcall.Call) int64 {
	oldfd, newfd := uint32(c.A[0]), uint32(c.A[1])
	if oldfd == newfd {
		if _, e := t.FD(int(int32(oldfd))); e != 0 {
			return -int64(e)
		}
		if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(oldfd), unix.F_GETFD, 0); e != 0 {
			return -int64(e)
		}
		return int64(newfd)
	}
	return dup3(t, oldfd, newfd, 0)
}

func Dup3(t Task, c *hostcall.Call) int64 {
	return dup3(t, uint32(c.A[0]), uint32(c.A[1]), int(int32(c.A[2])))
}

// dup3 is ksys_dup3: EINVAL for flags other than O_CLOEXEC or oldfd ==
// newfd, EBADF for newfd at or above the guest's limit, then EBADF for a
// closed oldfd.
func dup3(t Task, oldfd, newfd uint32, flags int) int64 {
	if flags&^unix.O_CLOEXEC != 0 || oldfd == newfd {
		return -int64(unix.EINVAL)
	}
	if uint64(newfd) >= t.Nofile() || t.Owns(int(newfd)) {
		return -int64(unix.EBADF)
	}
	if _, e := t.FD(int(int32(oldfd))); e != 0 {
		return -int64(e)
	}
	defer t.Judging()()
	r, _, e := unix.Syscall(unix.SYS_DUP3, uintptr(oldfd), uintptr(newfd), uintptr(flags))
	if e == 0 {
		t.TrackDup(int(oldfd), int(newfd))
	}
	return hostRet(r, e)
}

func Pipe(t Task, c *hostcall.Call) int64 { return pipe2(t, c.A[0], 0) }

func Pipe2(t Task, c *hostcall.Call) int64 { return pipe2(t, c.A[0], c.Int32(1)) }

// pipe2 creates the pipe into minemu's memory and copies the two numbers
// out, so that, as in the kernel, nothing is written when there are not
// two free numbers below the guest's limit (EMFILE), and the pipe is
// closed again when the copy faults.
func pipe2(t Task, addr uint64, flags int) int64 {
	var p [2]int
	if err := unix.Pipe2(p[:], flags); err != nil {
		return errno(err)
	}
	if uint64(p[0]) >= t.Nofile() || uint64(p[1]) >= t.Nofile() {
		unix.Close(p[0])
		unix.Close(p[1])
		return -int64(unix.EMFILE)
	}
	b := t.Scratch(8)
	le.PutUint32(b[0:], uint32(p[0]))
	le.PutUint32(b[4:], uint32(p[1]))
	if e := t.CopyOut(addr, b); e != 0 {
		unix.Close(p[0])
		unix.Close(p[1])
		return -int64(e)
	}
	return 0
}
