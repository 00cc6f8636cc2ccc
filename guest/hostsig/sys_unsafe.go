//go:build linux && amd64

// Raw system calls that pass pointers to the kernel, the two runtime
// linknames the safe system call needs, and reading this package's own
// machine code. unsafe is confined to this file and block_unsafe.go.

package hostsig

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sigaction is the kernel's struct sigaction for rt_sigaction on x86-64
// (not glibc's): handler, flags, restorer, then an 8-byte mask.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

func rtSigaction(sig int, act, old *sigaction) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func getsig(sig int) (sigaction, error) {
	var sa sigaction
	err := rtSigaction(sig, nil, &sa)
	return sa, err
}

func rtSigprocmask(how int, set *Sigset, old *Sigset) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, uintptr(how),
		uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func rtSigpending() (Sigset, error) {
	var set Sigset
	_, _, e := unix.RawSyscall(unix.SYS_RT_SIGPENDING, uintptr(unsafe.Pointer(&set)), 8, 0)
	if e != 0 {
		return 0, e
	}
	return set, nil
}

func rtTgsigqueueinfo(tgid, tid, sig int, info *[128]byte) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(tgid), uintptr(tid), uintptr(sig),
		uintptr(unsafe.Pointer(info)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

const (
	archSetGS = 0x1001
	archGetGS = 0x1004
)

// getGS returns the calling thread's GS base.
func getGS() uintptr {
	if haveFSGSBASE != 0 {
		return rdgsbase()
	}
	var v uintptr
	if _, _, e := unix.RawSyscall(unix.SYS_ARCH_PRCTL, archGetGS, uintptr(unsafe.Pointer(&v)), 0); e != 0 {
		return 0
	}
	return v
}

// setGS sets the calling thread's GS base.
func setGS(v uintptr) error {
	if haveFSGSBASE != 0 {
		wrgsbase(v)
		return nil
	}
	if _, _, e := unix.RawSyscall(unix.SYS_ARCH_PRCTL, archSetGS, v, 0); e != 0 {
		return e
	}
	return nil
}

// codeBytes returns n bytes of this package's machine code at addr.
func codeBytes(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), addr)), n)
}

// The runtime marks both as reachable by linkname ("hall of shame"); they are
// what syscall.Syscall6 wraps around RawSyscall6.

//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// SafeSyscall6 makes system call nr unless *flag is nonzero, the way
// syscall.Syscall6 does (the goroutine is in a system call meanwhile, so the
// scheduler and the garbage collector do not wait for a blocking call).
//
// It returns ERESTARTSYS, without entering the kernel, when *flag was
// nonzero at the check or when a signal arrived between the check and the
// SYSCALL instruction (the handler rewinds the thread to the check), or when
// the kernel interrupted the call and wanted to restart it (SA_RESTART
// calls: a restart leaves the PC on the SYSCALL instruction, in the window).
// It returns EINTR when the kernel interrupted the call and does not restart
// it (calls like nanosleep, poll, or any call for a signal whose handler has
// no SA_RESTART). flag must be the pending flag of the calling thread's
// Thread (Thread.PendingFlag), the word the handler sets; memory the
// arguments point to must stay alive without help from this function (guest
// memory is not Go memory).
//
//go:nosplit
func SafeSyscall6(nr, a1, a2, a3, a4, a5, a6 uintptr, flag *uint32) (r1 uintptr, errno syscall.Errno) {
	entersyscall()
	r, e := safeSyscall6(nr, a1, a2, a3, a4, a5, a6, flag)
	exitsyscall()
	return r, syscall.Errno(e)
}
