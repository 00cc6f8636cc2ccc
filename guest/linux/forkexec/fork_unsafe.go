package forkexec

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// CopyRange is one private area the raw child writes into the image.
type CopyRange struct {
	Addr, Len uint64
	Off       int64
	// Unreadable areas are made readable in the child first (the child's
	// own memory, which it is about to leave).
	Unreadable bool
}

// Spawn is what the raw child does between the fork and the exec of a new
// minemu: everything is prepared by the parent, so that the child runs no
// Go code that could allocate, grow its stack, take a lock or be
// preempted.
type Spawn struct {
	// MemFD is the image's memfd; the child writes Copy into it.
	MemFD int
	Copy  []CopyRange
	// Keep are descriptors (MemFD among them) the child clears
	// close-on-exec on, so that the new minemu inherits them.
	Keep []int
	// Path, Argv and Env are the exec of the new minemu.
	Path       string
	Argv, Env  []string
	IgnoredSig uint64 // signals set to SIG_IGN in the child (bit n-1); every other one to SIG_DFL
	// GuestFDs and CloexecOff: the child clears close-on-exec on the
	// descriptors below GuestFDs and writes which they were, one bit
	// each, into MemFD at CloexecOff.
	GuestFDs   int
	CloexecOff int64
	// NotGuest are descriptors below GuestFDs that are minemu's, left
	// alone (Fork's own pipe is added).
	NotGuest []int
	// Open, when not nil, are the descriptors below GuestFDs open when the
	// parent looked (/proc/self/fd): the child checks only those, not
	// every number. One a concurrent guest thread opens after the look is
	// then not seen, and loses its close-on-exec flag in the child.
	Open []int
	// ExitSignal is the signal the parent gets when the child ends
	// (SIGCHLD for fork; clone may name another, or none).
	ExitSignal int
}

// kernelSigaction is the kernel's struct sigaction for rt_sigaction.
type kernelSigaction struct {
	handler, flags, restorer, mask uint64
}

// childPlan is Spawn lowered to raw pointers and numbers, built before the
// fork so the child only reads it.
type childPlan struct {
	memfd   uintptr
	copies  []CopyRange
	keep    []int
	path    *byte
	argv    []*byte
	env     []*byte
	ignored uint64
	oldMask uint64
	dfl     kernelSigaction
	ign     kernelSigaction
	errw    uintptr // write end of the exec-status pipe
	nfds    int
	cloOff  int64
	cloBits []uint64 // the child's bitmap, built in its copy of this memory
	skip    []uint64 // bitmap of descriptors below nfds that are not the guest's
	open    []int    // the descriptors to check (nil: every number below nfds)
}

// Fork forks the calling process with only raw system calls in the child,
// which copies sp.Copy into the image, execs sp.Path and never returns. It
// returns the child's pid once the child has exec'd; when the child could
// not exec (or failed before), it reaps the child and returns the error.
// The calling goroutine must be locked to its OS thread.
func Fork(sp *Spawn) (pid int, err error) {
	path, err := syscall.BytePtrFromString(sp.Path)
	if err != nil {
		return 0, err
	}
	argv, err := syscall.SlicePtrFromStrings(sp.Argv)
	if err != nil {
		return 0, err
	}
	env, err := syscall.SlicePtrFromStrings(sp.Env)
	if err != nil {
		return 0, err
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, err
	}
	defer unix.Close(p[0])
	plan := &childPlan{
		memfd: uintptr(sp.MemFD), copies: sp.Copy, keep: sp.Keep, path: path, argv: argv, env: env,
		ignored: sp.IgnoredSig, ign: kernelSigaction{handler: 1}, errw: uintptr(p[1]),
		nfds: sp.GuestFDs, cloOff: sp.CloexecOff, cloBits: make([]uint64, (sp.GuestFDs+63)/64),
		skip: make([]uint64, (sp.GuestFDs+63)/64), open: sp.Open,
	}
	for _, fd := range append([]int{p[0], p[1]}, sp.NotGuest...) {
		if fd >= 0 && fd < sp.GuestFDs {
			plan.skip[fd/64] |= 1 << (fd % 64)
		}
	}
	all := ^uint64(0)
	runtime.LockOSThread()
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&plan.oldMask)), 8, 0, 0)
	if e != 0 {
		runtime.UnlockOSThread()
		unix.Close(p[1])
		return 0, e
	}
	pid, e = rawFork(plan, uintptr(sp.ExitSignal))
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&plan.oldMask)), 0, 8, 0, 0)
	runtime.UnlockOSThread()
	unix.Close(p[1])
	runtime.KeepAlive(plan)
	runtime.KeepAlive(sp)
	if e != 0 {
		return 0, e
	}
	var buf [8]byte
	for {
		n, rerr := unix.Read(p[0], buf[:])
		if rerr == unix.EINTR {
			continue
		}
		if n == 0 && rerr == nil {
			return pid, nil // the exec closed the pipe
		}
		var ws unix.WaitStatus
		for {
			if _, werr := unix.Wait4(pid, &ws, 0, nil); werr != unix.EINTR {
				break
			}
		}
		if n == 8 {
			stage, errno := buf[0], unix.Errno(uint32(buf[4])|uint32(buf[5])<<8|uint32(buf[6])<<16|uint32(buf[7])<<24)
			return 0, fmt.Errorf("forkexec: child failed at step %d: %w", stage, errno)
		}
		if rerr != nil {
			return 0, rerr
		}
		return 0, fmt.Errorf("forkexec: child died before exec (%v)", ws)
	}
}

// rawFork is clone(exitSig): in the parent it returns the child's pid; the
// child runs childMain, which never returns. Nothing between the system
// call and childMain may grow the stack or be preempted: both are nosplit,
// and every signal is blocked.
//
//go:nosplit
//go:norace
func rawFork(plan *childPlan, exitSig uintptr) (int, unix.Errno) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, exitSig, 0, 0, 0, 0, 0)
	if e != 0 {
		return 0, unix.Errno(e)
	}
	if r != 0 {
		return int(r), 0
	}
	childMain(plan)
	return 0, 0 // not reached
}

// Steps the child reports when it fails, in the first byte of its
// exec-status word.
const (
	stepCopy = iota + 1
	stepKeep
	stepSignals
	stepExec
)

// childMain runs in the raw child: raw system calls on memory the parent
// prepared, no allocation, no pointer stores.
//
//go:nosplit
//go:norace
func childMain(p *childPlan) {
	for i := 0; i < len(p.copies); i++ {
		c := &p.copies[i]
		addr, n, off := uintptr(c.Addr), uintptr(c.Len), c.Off
		if c.Unreadable {
			syscall.RawSyscall(syscall.SYS_MPROTECT, addr, n, syscall.PROT_READ)
		}
		for n > 0 {
			w, _, e := syscall.RawSyscall6(syscall.SYS_PWRITE64, p.memfd, addr, n, uintptr(off), 0, 0)
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EFAULT:
				// A page that cannot be read (a file mapping past the
				// file's end): its contents in the image stay zero.
				w = 4096
			case e != 0:
				childFail(p, stepCopy, e)
			case w == 0:
				childFail(p, stepCopy, syscall.EIO)
			}
			if w > n {
				w = n
			}
			addr, n, off = addr+w, n-w, off+int64(w)
		}
	}
	n := p.nfds
	if p.open != nil {
		n = len(p.open)
	}
	for i := 0; i < n; i++ {
		fd := i
		if p.open != nil {
			fd = p.open[i]
		}
		if fd < 0 || fd >= p.nfds || p.skip[fd/64]&(1<<(fd%64)) != 0 {
			continue
		}
		fl, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		if e != 0 || fl&syscall.FD_CLOEXEC == 0 {
			continue
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, fl&^syscall.FD_CLOEXEC); e != 0 {
			childFail(p, stepKeep, e)
		}
		p.cloBits[fd/64] |= 1 << (fd % 64)
	}
	if len(p.cloBits) > 0 {
		n := uintptr(len(p.cloBits) * 8)
		if w, _, e := syscall.RawSyscall6(syscall.SYS_PWRITE64, p.memfd, uintptr(unsafe.Pointer(&p.cloBits[0])), n, uintptr(p.cloOff), 0, 0); e != 0 || w != n {
			childFail(p, stepKeep, e)
		}
	}
	for i := 0; i < len(p.keep); i++ {
		if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(p.keep[i]), syscall.F_SETFD, 0); e != 0 {
			childFail(p, stepKeep, e)
		}
	}
	for sig := uintptr(1); sig <= 64; sig++ {
		if sig == uintptr(syscall.SIGKILL) || sig == uintptr(syscall.SIGSTOP) {
			continue
		}
		act := &p.dfl
		if p.ignored&(1<<(sig-1)) != 0 {
			act = &p.ign
		}
		// Numbers the kernel refuses (32 and 33 under some C libraries'
		// conventions are fine for the kernel) are skipped silently.
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(act)), 0, 8, 0, 0)
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&p.oldMask)), 0, 8, 0, 0)
	_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(p.path)),
		uintptr(unsafe.Pointer(&p.argv[0])), uintptr(unsafe.Pointer(&p.env[0])))
	childFail(p, stepExec, e)
}

// childFail reports step and errno through the exec-status pipe and ends
// the child.
//
//go:nosplit
//go:norace
func childFail(p *childPlan, step byte, e syscall.Errno) {
	var w [8]byte
	w[0] = step
	w[4], w[5], w[6], w[7] = byte(e), byte(e>>8), byte(e>>16), byte(e>>24)
	syscall.RawSyscall(syscall.SYS_WRITE, p.errw, uintptr(unsafe.Pointer(&w[0])), 8)
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
	}
}
