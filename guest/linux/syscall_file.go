package linux

// File system calls: descriptors, paths, stat, ioctl, fcntl, pipes.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// sysIOVMax is IOV_MAX (UIO_MAXIOV).
const sysIOVMax = 1024

func sysRead(k *Process, s *sysCall) int64     { return k.bufferCall(s, unix.SYS_READ) }
func sysWrite(k *Process, s *sysCall) int64    { return k.bufferCall(s, unix.SYS_WRITE) }
func sysPread64(k *Process, s *sysCall) int64  { return k.bufferCall(s, unix.SYS_PREAD64) }
func sysPwrite64(k *Process, s *sysCall) int64 { return k.bufferCall(s, unix.SYS_PWRITE64) }

// bufferCall runs read, write, pread64 or pwrite64: a descriptor, a guest
// buffer the host kernel reads or fills directly (prepared by kernelBuf,
// so that a buffer only partly the guest's gets the kernel's short count),
// its length and, for the positioned forms, the offset (two 32-bit halves
// on i386). What read and pread64 filled is reported to the interpreter.
func (k *Process) bufferCall(s *sysCall, nr uintptr) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	ub, e := k.kernelBuf(s.a[1], s.a[2])
	if e != 0 {
		return -int64(e)
	}
	var off uint64
	positional := nr == unix.SYS_PREAD64 || nr == unix.SYS_PWRITE64
	if positional {
		off = s.a[3]
		if s.abi == cpu.ABIi386 {
			off = s.a[4]<<32 | s.a[3]
		}
	}
	write := nr == unix.SYS_WRITE || nr == unix.SYS_PWRITE64
	n := ub.n
	a, mem := k.memFD(fd)
	var pos uint64
	if mem {
		// This process's memory: only the guest's part of it.
		if pos, n, e = k.memCount(fd, a, write, positional, off, n); e != 0 {
			k.release(&ub)
			return -int64(e)
		}
	}
	r, e := s.t.blockingCall(nr, uintptr(fd), uintptr(s.a[1]), uintptr(n), uintptr(off), 0, 0)
	k.release(&ub)
	if !write {
		return k.wroteRet(s.a[1], hostRet(r, e))
	}
	if mem && e == 0 {
		k.wrote(pos, uint64(r))
	}
	return hostRet(r, e)
}

func sysReadv(k *Process, s *sysCall) int64  { return k.iovecCall(s, unix.SYS_READV) }
func sysWritev(k *Process, s *sysCall) int64 { return k.iovecCall(s, unix.SYS_WRITEV) }

// iovecCall runs readv or writev. The guest's iovec array is checked as a
// whole and copied (i386 entries are two 32-bit words), every length and
// buffer is checked as the kernel's import_iovec does (a negative length is
// EINVAL, a buffer past the user address space EFAULT, before anything is
// transferred), and the host gets a translated array. The kernel stops at
// the first buffer that faults, so the array ends with the first buffer
// that is not wholly the guest's, prepared by kernelBuf.
func (k *Process) iovecCall(s *sysCall, nr uintptr) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	cnt := s.a[2] // unsigned long vlen
	if cnt > sysIOVMax {
		return -int64(unix.EINVAL)
	}
	esz := uint64(sizeofIovec(s.abi))
	if s.t.iovScratch == nil {
		s.t.iovScratch = make([]uint64, 0, 2*sysIOVMax)
	}
	arr, e := k.checkUser(s.a[1], cnt*esz, unix.PROT_READ)
	if e != 0 {
		return -int64(e)
	}
	v := s.t.iovScratch[:0]
	if !faultSafe(func() {
		for raw := userView(arr); len(raw) > 0; raw = raw[esz:] {
			var iov cIovec
			iov.decode(s.abi, raw)
			v = append(v, iov.Base, iov.Len)
		}
	}) {
		return -int64(unix.EFAULT)
	}
	for i := 0; i < len(v); i += 2 {
		if n := v[i+1]; s.abi == cpu.ABIi386 && int32(n) < 0 || int64(n) < 0 {
			return -int64(unix.EINVAL)
		}
	}
	for i := 0; i < len(v) && k.mode == mm.Mode64; i += 2 {
		if end := v[i] + v[i+1]; end < v[i] || end > uint64(mm.UserLimit) {
			return -int64(unix.EFAULT) // access_ok; a 32-bit guest's sums never fail it
		}
	}
	var ub userBuf
	before := uint64(0) // bytes in the buffers before v[i]
	for i := 0; i < len(v); i += 2 {
		if v[i+1] == 0 {
			continue
		}
		var e unix.Errno
		if ub, e = k.kernelBuf(v[i], v[i+1]); e != 0 {
			if before == 0 {
				return -int64(e)
			}
			v = v[:i] // the kernel copies the buffers before it, then faults
			break
		}
		if ub.partial {
			v[i+1] = ub.n
			v = v[:i+2] // the kernel faults in it
			break
		}
		before += v[i+1]
	}
	a, mem := k.memFD(fd)
	var pos uint64
	if mem {
		if pos, v, e = k.memIovecs(fd, a, nr == unix.SYS_WRITEV, v); e != 0 {
			k.release(&ub)
			return -int64(e)
		}
	}
	r, e := s.t.iovecBlocking(nr, fd, v)
	k.release(&ub)
	if mem && nr == unix.SYS_WRITEV && e == 0 {
		k.wrote(pos, uint64(r))
	}
	if nr == unix.SYS_READV && e == 0 {
		// The kernel filled the buffers in order, r bytes in all.
		left := uint64(r)
		for i := 0; i+1 < len(v) && left > 0; i += 2 {
			n := min(v[i+1], left)
			k.wrote(v[i], n)
			left -= n
		}
	}
	return hostRet(r, e)
}

func sysOpen(k *Process, s *sysCall) int64 {
	return k.openat(s, unix.AT_FDCWD, s.a[0], s.int32Arg(1), uint32(s.a[2]))
}

func sysOpenat(k *Process, s *sysCall) int64 {
	return k.openat(s, s.int32Arg(0), s.a[1], s.int32Arg(2), uint32(s.a[3]))
}

// openat opens a guest path. An i386 guest that did not ask for
// O_LARGEFILE cannot open a regular file larger than 2 GiB (EOVERFLOW, as
// generic_file_open says for a compat task). Like the kernel, which takes
// the descriptor number before it looks the path up, it is EMFILE without
// side effects (no O_CREAT, no O_TRUNC) when the guest's RLIMIT_NOFILE
// leaves no free number.
func (k *Process) openat(s *sysCall, dirfd int, pathAddr uint64, flags int, mode uint32) int64 {
	p, e := k.path(pathAddr)
	if e != 0 {
		return -int64(e)
	}
	if e := k.fdFree(); e != 0 {
		return -int64(e)
	}
	if dirfd, e = k.dirfd(dirfd); e != 0 {
		return -int64(e)
	}
	defer k.judging()()
	fd, err := unix.Openat(dirfd, k.hostPath(k.hideFDPath(dirfd, p)), flags, mode)
	if err != nil {
		return errno(err)
	}
	if e := k.newFD(fd); e != 0 {
		return -int64(e)
	}
	if s.abi == cpu.ABIi386 && flags&sysOLargefile == 0 {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size > sysMaxNonLFS {
			unix.Close(fd)
			return -int64(unix.EOVERFLOW)
		}
	}
	if e := k.trackOpen(fd, flags); e != 0 {
		return -int64(e)
	}
	return int64(fd)
}

// sysOLargefile is the kernel's O_LARGEFILE (0100000 on x86); the x86-64
// userspace constant is 0, so it is spelled out here.
const sysOLargefile = 0o100000

func sysClose(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	if e != unix.EBADF {
		k.trackClose(fd)
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
var sysIoctls = map[uint32]ioctlArg{
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

func sysIoctl(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	req := uint32(s.a[1])
	ia, ok := sysIoctls[req]
	if !ok {
		k.log.Debug().Uint32("request", req).Int("fd", fd).Msg("unsupported guest ioctl; returning ENOTTY")
		return -int64(unix.ENOTTY)
	}
	arg := uintptr(s.a[2])
	if ia.size != 0 {
		if arg, e = k.passPtr(s.a[2], ia.size); e != 0 {
			return -int64(e)
		}
	}
	r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), arg)
	if e == 0 && ia.out {
		k.wrote(s.a[2], ia.size)
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

// sysFcntl is fcntl for both ABIs and i386's fcntl64 (is64 from the
// table). Record locks translate i386's struct flock (32-bit offsets) and
// flock64 (packed); x86-64's struct flock is the host's.
func sysFcntl(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	cmd := s.int32Arg(1)
	switch {
	case cmd == unix.F_DUPFD || cmd == unix.F_DUPFD_CLOEXEC:
		// f_dupfd: a lowest number (an unsigned int) at or above the
		// guest's limit is EINVAL; no free number below it, EMFILE.
		if uint64(uint32(s.a[2])) >= k.nofile() {
			return -int64(unix.EINVAL)
		}
		defer k.judging()()
		r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(uint32(s.a[2])))
		if e != 0 {
			return -int64(e)
		}
		res := k.fdResult(int(r))
		if res >= 0 {
			k.trackDup(fd, int(r))
		}
		return res
	case fcntlIntCmd(cmd):
		r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(s.a[2]))
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
		if s.abi != cpu.ABIi386 || s.nr != i386Fcntl64 {
			return -int64(unix.EINVAL)
		}
		lockCmd, is64 = cmd-fcntlGetlk64+unix.F_GETLK, true
	default:
		k.log.Debug().Int("cmd", cmd).Msg("unsupported guest fcntl command; returning EINVAL")
		return -int64(unix.EINVAL)
	}
	if s.abi == cpu.ABIAMD64 {
		p, e := k.passPtr(s.a[2], uint64(sizeofFlockAMD64))
		if e != 0 {
			return -int64(e)
		}
		r, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), uintptr(lockCmd), p)
		if e == 0 && (lockCmd == unix.F_GETLK || lockCmd == unix.F_OFD_GETLK) {
			k.wrote(s.a[2], sizeofFlockAMD64)
		}
		return hostRet(r, e)
	}
	// The OFD commands always take struct flock64 on i386.
	n := sizeofFlockI386
	if is64 {
		n = sizeofFlock64I386
	}
	var b [sizeofFlock64I386]byte
	if e := k.copyIn(s.a[2], b[:n]); e != 0 {
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
		if e := k.copyOut(s.a[2], b[:n]); e != 0 {
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

// The guest's descriptor numbers. The process's own RLIMIT_NOFILE is far
// above the guest's (syscall_rlimit.go), so the kernel would hand out, or
// let the guest name, numbers the guest's limit forbids; these checks are
// the guest's limit as fs/file.c and fs/fcntl.c apply it.

// fdFree is EMFILE when no number below the guest's RLIMIT_NOFILE is
// free (get_unused_fd_flags), checked before a call with side effects.
func (k *Process) fdFree() unix.Errno {
	if n := k.band.LowestFree(); n < 0 || uint64(n) >= k.nofile() {
		return unix.EMFILE
	}
	return 0
}

// newFD checks a descriptor the kernel just created for the guest: one at
// or above the guest's limit is closed again, EMFILE (the kernel gives the
// lowest free number, so none below the limit was free).
func (k *Process) newFD(fd int) unix.Errno {
	if uint64(fd) >= k.nofile() {
		unix.Close(fd)
		return unix.EMFILE
	}
	return 0
}

func sysDup(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	defer k.judging()()
	r, _, e := unix.Syscall(unix.SYS_DUP, uintptr(fd), 0, 0)
	if e != 0 {
		return -int64(e)
	}
	res := k.fdResult(int(r))
	if res >= 0 {
		k.trackDup(fd, int(r))
	}
	return res
}

// fdResult is the result of a call that created descriptor fd.
func (k *Process) fdResult(fd int) int64 {
	if e := k.newFD(fd); e != 0 {
		return -int64(e)
	}
	return int64(fd)
}

// sysDup2: onto itself it only checks that the descriptor is open; a new
// number at or above the guest's RLIMIT_NOFILE (minemu's band included)
// is EBADF (ksys_dup3). The numbers are unsigned ints.
func sysDup2(k *Process, s *sysCall) int64 {
	oldfd, newfd := uint32(s.a[0]), uint32(s.a[1])
	if oldfd == newfd {
		if _, e := k.fd(int(int32(oldfd))); e != 0 {
			return -int64(e)
		}
		if _, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(oldfd), unix.F_GETFD, 0); e != 0 {
			return -int64(e)
		}
		return int64(newfd)
	}
	return k.dup3(oldfd, newfd, 0)
}

func sysDup3(k *Process, s *sysCall) int64 {
	return k.dup3(uint32(s.a[0]), uint32(s.a[1]), int(int32(s.a[2])))
}

// dup3 is ksys_dup3: EINVAL for flags other than O_CLOEXEC or oldfd ==
// newfd, EBADF for newfd at or above the guest's limit, then EBADF for a
// closed oldfd.
func (k *Process) dup3(oldfd, newfd uint32, flags int) int64 {
	if flags&^unix.O_CLOEXEC != 0 || oldfd == newfd {
		return -int64(unix.EINVAL)
	}
	if uint64(newfd) >= k.nofile() || k.band.Owns(int(newfd)) {
		return -int64(unix.EBADF)
	}
	if _, e := k.fd(int(int32(oldfd))); e != 0 {
		return -int64(e)
	}
	defer k.judging()()
	r, _, e := unix.Syscall(unix.SYS_DUP3, uintptr(oldfd), uintptr(newfd), uintptr(flags))
	if e == 0 {
		k.trackDup(int(oldfd), int(newfd))
	}
	return hostRet(r, e)
}

func sysPipe(k *Process, s *sysCall) int64 { return k.pipe2(s.a[0], 0) }

func sysPipe2(k *Process, s *sysCall) int64 { return k.pipe2(s.a[0], s.int32Arg(1)) }

// pipe2 creates the pipe into minemu's memory and copies the two numbers
// out, so that, as in the kernel, nothing is written when there are not
// two free numbers below the guest's limit (EMFILE), and the pipe is
// closed again when the copy faults.
func (k *Process) pipe2(addr uint64, flags int) int64 {
	var p [2]int
	if err := unix.Pipe2(p[:], flags); err != nil {
		return errno(err)
	}
	if uint64(p[0]) >= k.nofile() || uint64(p[1]) >= k.nofile() {
		unix.Close(p[0])
		unix.Close(p[1])
		return -int64(unix.EMFILE)
	}
	var b [8]byte
	le.PutUint32(b[0:], uint32(p[0]))
	le.PutUint32(b[4:], uint32(p[1]))
	if e := k.copyOut(addr, b[:]); e != 0 {
		unix.Close(p[0])
		unix.Close(p[1])
		return -int64(e)
	}
	return 0
}
