// Package hostcall holds the system calls the host kernel serves for the
// guest once minemu has checked and translated what they name: waiting on
// descriptors (poll, select, epoll, eventfd, timerfd), sockets and i386's
// socketcall, timers and accounting, credentials, extended attributes,
// statfs, the utime family, prctl, scheduling, the process's and thread's
// ids, uname, the clocks, umask and sysinfo, the calls i386 gives 64-bit
// values in two registers, and the calls refused because they would reach
// or constrain minemu itself.
//
// The Linux layer (guest/linux) owns the guest's process: its memory
// checks, descriptor band, signal masks and threads. A handler here sees
// them through Task, which that layer implements for the calling thread,
// and its arguments as a Call: the ABI and the six argument registers. So
// a handler reads and writes guest memory only through Task's checked
// copies, passes the kernel a guest pointer only after Task.PassPtr or
// Task.KernelBuf judged it, names a descriptor only after Task.FD (the
// band's are closed for the guest), and blocks only in Task.Blocking (the
// safe system call, which a guest signal interrupts). What a handler hands
// the kernel in minemu's own memory is Task.Scratch, heap memory of the
// thread's that stays put (host_unsafe.go).
//
// Each exported function of type Handler is the handler of the system call
// its name spells (Poll is poll, Sendmmsg sendmmsg, Setuid16 i386's 16-bit
// setuid, TimerfdSettime64 timerfd_settime64); the tables of guest/linux name
// them, one entry per call.
//
// Translation. Each ABI's structures are described once in
// ../linux_structs.txt, whose codecs go generate writes here as in the
// Linux layer (structs_gen.go). i386 gets the compat layer's layouts and
// rules: 32-bit longs and pointers, 4-byte alignment of its control
// messages, its old timeval and timespec, the 16-bit ids of its oldest
// calls, EOVERFLOW where compat code says so. x86-64's layouts are the
// host's, and still every pointer inside a structure is the guest's, so
// structures holding pointers (msghdr, sock_fprog) are rebuilt in scratch
// memory around checked pointers for both ABIs.
//
// Interruption. A call that may block returns, when a signal interrupts
// it, the code the kernel's own call returns (ERestartNoHand for poll and
// select, EINTR for epoll_wait, ERestartSys for the socket calls), which
// the Linux layer's signal delivery turns into EINTR or a restart.
package hostcall

import (
	"github.com/minemu/minemu/guest/cpu"

	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

//go:generate go run ../internal/structgen -in ../linux_structs.txt -out structs_gen.go -layout structs_layout_gen_test.go -abi cpu. -abi-import github.com/minemu/minemu/guest/cpu

// Task is the calling guest thread and its process, as the Linux layer
// gives them to a handler. Its methods answer as the kernel would for the
// guest: EFAULT for memory that is not the guest's, EBADF for minemu's
// descriptors.
type Task interface {
	// Mode is the guest's bitness.
	Mode() mm.Mode
	// Pid is the process's id; Tid the calling thread's.
	Pid() int
	Tid() int
	// ClearChildTID is the address set_tid_address recorded.
	ClearChildTID() uint64

	// CopyIn and CopyOut copy between guest memory and dst or src.
	CopyIn(addr uint64, dst []byte) unix.Errno
	CopyOut(addr uint64, src []byte) unix.Errno
	// ReadString reads a NUL-terminated string of at most max bytes
	// (ENAMETOOLONG when longer); Path reads a path (EFAULT for NULL).
	ReadString(addr uint64, max int) (string, unix.Errno)
	Path(addr uint64) (string, unix.Errno)
	// DirPath checks a directory descriptor (AT_FDCWD allowed) and reads
	// the path of an *at call, one through /proc/self/fd to minemu's
	// descriptors made to name a closed one.
	DirPath(dirfd int, addr uint64) (int, string, unix.Errno)
	// HostPath is the host path that means p for the guest
	// (/proc/self/exe is the guest's binary).
	HostPath(p string) string
	// PassPtr checks a guest range the kernel will access itself and
	// returns it as an argument.
	PassPtr(addr, n uint64) (uintptr, unix.Errno)
	// KernelBuf prepares a guest buffer that may be only partly the
	// guest's (the kernel stops at guard pages after the guest's part):
	// n is the length to pass, partial whether it runs into memory not
	// the guest's, guarded whether guard pages stand there (else n is
	// cut to the guest's part). ReleaseBuf undoes it after the host
	// call; one buffer at a time.
	KernelBuf(addr, n uint64) (passed uint64, partial, guarded bool, e unix.Errno)
	ReleaseBuf()
	// Wrote reports guest memory the kernel wrote (decoded code there
	// is dropped).
	Wrote(addr, n uint64)
	// GuestMapped reports whether every page of [addr, addr+n) is guest
	// memory.
	GuestMapped(addr, n uint64) bool

	// FD checks a descriptor argument; Dirfd one that may be AT_FDCWD.
	FD(v int) (int, unix.Errno)
	Dirfd(v int) (int, unix.Errno)
	// FDFree is EMFILE when the guest's RLIMIT_NOFILE leaves no number
	// free; NewFD closes a new descriptor at or above it (EMFILE).
	FDFree() unix.Errno
	NewFD(fd int) unix.Errno
	// Nofile is the guest's RLIMIT_NOFILE.
	Nofile() uint64
	// Owns reports whether fd is minemu's; BandStart is the first number
	// of minemu's band, above every guest descriptor.
	Owns(fd int) bool
	BandStart() int
	// MemFD reports whether fd is open on this process's memory.
	MemFD(fd int) bool

	// Scratch returns n zeroed bytes of the thread's scratch memory,
	// valid until the next Scratch; IOVScratch room for 2*IOVMax words.
	Scratch(n int) []byte
	IOVScratch() []uint64
	// Blocking runs a host call that may block as the safe system call;
	// intr is what the call returns when a signal interrupts it first.
	Blocking(intr unix.Errno, nr uintptr, a0, a1, a2, a3, a4, a5 uintptr) (uintptr, unix.Errno)
	// WithSigmask runs f with the thread's signal mask replaced by mask.
	WithSigmask(mask uint64, f func())
}

// Handler is a system call of this package.
type Handler func(t Task, c *Call) int64

// Call is one system call's ABI and arguments (zero-extended from 32 bits
// for i386).
type Call struct {
	ABI cpu.ABI
	A   [6]uint64
}

// Int32 is argument i as a C int.
func (c *Call) Int32(i int) int { return int(int32(c.A[i])) }

// Off64 is the 64-bit value i386 passes in arguments lo and lo+1 (low
// word first).
func (c *Call) Off64(lo int) uint64 { return c.A[lo+1]<<32 | c.A[lo]&0xffffffff }

// The kernel's restart codes (include/linux/errno.h): what an interrupted
// call returns for signal delivery to turn into EINTR or a restart.
const (
	ERestartSys    = unix.Errno(512) // restart under SA_RESTART, else EINTR
	ERestartNoHand = unix.Errno(514) // restart when no handler runs, else EINTR
)

// Limits and sizes of the kernel's that the handlers share.
const (
	// IOVMax is UIO_MAXIOV.
	IOVMax = 1024
	// sizeofSigset is the kernel's sigset_t.
	sizeofSigset = 8
	// maxNonLFS is MAX_NON_LFS: the largest offset of a non-LFS i386 call.
	maxNonLFS = 1<<31 - 1
	// overflowUID is what a 16-bit id field shows for a larger id.
	overflowUID = 65534
)

// le writes and reads the scalars the calls pass by pointer.
var le = binary.LittleEndian

// errno turns an error from x/sys/unix into a negative errno result.
func errno(err error) int64 {
	if e, ok := err.(unix.Errno); ok {
		return -int64(e)
	}
	return -int64(unix.EIO)
}

// hostRet turns a raw host syscall result into a guest result.
func hostRet(r uintptr, e unix.Errno) int64 {
	if e != 0 {
		return -int64(e)
	}
	return int64(r)
}

// wroteRet reports a host call that wrote up to its result's worth of
// bytes at addr and passes the result through.
func wroteRet(t Task, addr uint64, ret int64) int64 {
	if ret > 0 {
		t.Wrote(addr, uint64(ret))
	}
	return ret
}

// fdResult is the result of a call that created descriptor fd.
func fdResult(t Task, fd int) int64 {
	if e := t.NewFD(fd); e != 0 {
		return -int64(e)
	}
	return int64(fd)
}

// lowUID16 is an id as a 16-bit field shows it (high2lowuid).
func lowUID16(id uint32) uint16 {
	if id > 0xffff {
		return overflowUID
	}
	return uint16(id)
}

// timeOut writes a timespec in abi's old layout (x86-64's for the
// *_time64 calls, which pass cpu.ABIAMD64).
func timeOut(t Task, abi cpu.ABI, addr uint64, sec, nsec int64) unix.Errno {
	var b [sizeofTimespecMax]byte
	v := cTimespec{Sec: sec, Nsec: nsec}
	return t.CopyOut(addr, v.encode(abi, b[:]))
}

// pathAt runs host call nr(dirfd, path, a2, a3) for a guest path.
func pathAt(t Task, nr uintptr, dirfd int, pathAddr uint64, a2, a3 uintptr) int64 {
	dirfd, p, e := t.DirPath(dirfd, pathAddr)
	if e != 0 {
		return -int64(e)
	}
	r, e := hostStringsCall(nr, [6]uintptr{uintptr(dirfd), 0, a2, a3}, []int{1}, []string{p})
	return hostRet(r, e)
}

// hostPathCall runs nr with the string p as argument i.
func hostPathCall(nr uintptr, a [6]uintptr, i int, p string) (uintptr, unix.Errno) {
	return hostStringsCall(nr, a, []int{i}, []string{p})
}
