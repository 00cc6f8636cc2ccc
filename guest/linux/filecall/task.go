// Package filecall holds the file system calls of the guest: the calls on
// paths (unlink, mkdir, chmod, rename, truncate and their *at forms, chdir)
// and on descriptors (fchdir, fsync, fchmod, ftruncate, getdents64).
//
// They are the Linux layer's (guest/linux) as hostcall's are: a handler
// sees the calling thread and its process through Task, which that layer
// implements, and its arguments as a hostcall.Call. Task is hostcall.Task
// and the little more the file calls need of the process: the hiding of
// minemu's descriptors in paths through /proc/self/fd (a path naming one
// names a closed descriptor for the guest) and in the listings of such
// directories. So, as in hostcall, a handler reads guest memory only
// through Task's checked copies, names a descriptor only after Task.FD or
// Task.Dirfd, and passes the kernel a guest buffer only after
// Task.KernelBuf judged it.
//
// Each exported function of type Handler is the handler of the system call
// its name spells (Unlinkat is unlinkat, Ftruncate64 i386's ftruncate64);
// the tables of guest/linux name them, one entry per call.
package filecall

import (
	"github.com/minemu/minemu/guest/cpu"

	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
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
