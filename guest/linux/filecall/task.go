// Package filecall holds the file system calls of the guest: the
// transfers (read, write, their positioned and vector forms), the calls
// that make and end descriptors (open, creat, close, dup, pipe) or change
// them (ioctl, fcntl and its record locks), the calls that look at files
// (the stat family in each ABI's layouts, statx, access, readlink, getcwd,
// lseek), those that change the file system (unlink, mkdir, chmod,
// rename, truncate and their *at forms, chdir, the syncs) and
// getdents64.
//
// They are the Linux layer's (guest/linux) as hostcall's are: a handler
// sees the calling thread and its process through Task, which that layer
// implements, and its arguments as a hostcall.Call. Task is hostcall.Task
// and what the file calls need more of the process: the hiding of
// minemu's descriptors in paths through /proc/self/fd (a path naming one
// names a closed descriptor for the guest) and in the listings of such
// directories, the tracking of descriptors open on the process's own
// memory (a transfer through one reaches only the guest's part of it, and
// a descriptor is judged when it is made), /proc/self/exe, and the
// blocking call as the safe system call gives its result. So, as in
// hostcall, a handler reads guest memory only through Task's checked
// copies, names a descriptor only after Task.FD or Task.Dirfd, passes the
// kernel a guest buffer only after Task.KernelBuf or Task.PassPtr judged
// it, and blocks only in Task.BlockingCall. What it builds for the kernel
// or the guest in minemu's memory is Task.Scratch, so that a call
// allocates nothing.
//
// Each exported function of type Handler is the handler of the system call
// its name spells (Unlinkat is unlinkat, Ftruncate64 i386's ftruncate64);
// the tables of guest/linux name them, one entry per call.
//
// Translation. Each ABI's structures are described once in
// ../linux_structs.txt, whose codecs go generate writes here as in the
// Linux layer (structs_gen.go); structs.go holds the compat layer's rules
// for stat and flock (EOVERFLOW where its code says so).
package filecall

import (
	"github.com/minemu/minemu/guest/cpu"

	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"

	"github.com/rs/zerolog"
)

// Task is the calling guest thread and its process as the file calls see
// them.
type Task interface {
	hostcall.Task
	// HideFDPath is p, a path relative to dirfd, with every component
	// that names one of minemu's descriptors in a /proc fd directory
	// of this process replaced by a name no descriptor has.
	HideFDPath(dirfd int, p string) string
	// Getdents runs getdents64(fd) into the guest buffer at addr, n
	// bytes of it prepared by KernelBuf, dropping from a listing of this
	// process's fd, fdinfo or task directories the entries that are
	// minemu's.
	Getdents(fd int, addr, n uint64) int64
	// CheckWrite is EFAULT unless [addr, addr+n) is guest memory the
	// guest may write.
	CheckWrite(addr, n uint64) unix.Errno
	// SelfExe is the guest's binary as /proc/self/exe shows it, when p
	// names that link of this process.
	SelfExe(p string) (exe string, ok bool)
	// SysrootPath is p looked up in the sysroot (an absolute path found
	// there), without the redirection of /proc/self/exe.
	SysrootPath(p string) string

	// BlockingCall runs a host call that may block as the safe system
	// call and returns its result as it is: with a guest signal
	// deliverable, ERESTARTSYS or the host's EINTR.
	BlockingCall(nr uintptr, a0, a1, a2, a3, a4, a5 uintptr) (uintptr, unix.Errno)
	// MemCount is, when fd is open on this process's memory (mem), the
	// position and count of a transfer of n bytes at off (the
	// descriptor's position unless positional) cut to the guest's part
	// of that memory; otherwise n unchanged.
	MemCount(fd int, write, positional bool, off, n uint64) (mem bool, pos, cnt uint64, e unix.Errno)
	// MemIovecs is MemCount for the translated iovec array v: the
	// array cut to the guest's part.
	MemIovecs(fd int, write bool, v []uint64) (mem bool, pos uint64, out []uint64, e unix.Errno)

	// Judging marks a call that creates a guest descriptor as in flight
	// until the function it returns is called, after TrackOpen or
	// TrackDup judged the new descriptor. TrackClose forgets one.
	Judging() func()
	TrackOpen(fd, flags int) unix.Errno
	TrackDup(oldfd, newfd int)
	TrackClose(fd int)

	// Log is the process's logger, for diagnostics at debug level.
	Log() *zerolog.Logger
}

// le writes and reads the scalars the calls pass by pointer.
var le = binary.LittleEndian

// maxNonLFS is MAX_NON_LFS: the largest offset of a non-LFS i386 call.
const maxNonLFS = 1<<31 - 1

// Handler is a system call of this package.
type Handler func(t Task, c *hostcall.Call) int64

// long is argument i as a C long of the caller's ABI.
func long(c *hostcall.Call, i int) int64 {
	if c.ABI == cpu.ABIi386 {
		return int64(int32(c.A[i]))
	}
	return int64(c.A[i])
}

// errno turns an error from x/sys/unix into a negative errno result.
func errno(err error) int64 {
	if e, ok := err.(unix.Errno); ok {
		return -int64(e)
	}
	return -int64(unix.EIO)
}

// wroteRet reports a host call that wrote up to its result's worth of
// bytes at addr and passes the result through.
func wroteRet(t Task, addr uint64, ret int64) int64 {
	if ret > 0 {
		t.Wrote(addr, uint64(ret))
	}
	return ret
}

// hostRet turns a raw host syscall result into a guest result.
func hostRet(r uintptr, e unix.Errno) int64 {
	if e != 0 {
		return -int64(e)
	}
	return int64(r)
}
