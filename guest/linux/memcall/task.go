// Package memcall holds the guest's memory system calls: the mappings
// (mmap in its three forms, munmap, mprotect, mremap, madvise, brk), the
// resource limits (getrlimit, ugetrlimit, the old getrlimit, setrlimit,
// prlimit64), memory locking (mlock, mlock2, munlock, mlockall,
// munlockall) and the transfers between processes' memories
// (process_vm_readv, process_vm_writev).
//
// They are the Linux layer's (guest/linux) as hostcall's are: a handler
// sees the calling thread and its process through Task, which that layer
// implements, and its arguments as a hostcall.Call. Task is hostcall.Task
// and what the memory calls need more of the process: its mm.GuestSpace,
// which places, checks and accounts every guest mapping itself (and drops
// decoded code where a mapping changes), and the guest's resource limits,
// which the Linux layer keeps because they are not the process's (see
// guest/linux's syscall_rlimit.go for where each lives and why). So a
// handler changes guest memory only through the GuestSpace, reads and
// writes guest structures only through Task's checked copies, and passes
// the kernel a guest range only after Task.PassPtr or Task.UserRange
// judged it.
//
// Each exported function of type Handler is the handler of the system call
// its name spells (Mmap2 is mmap2, OldMmap i386's old mmap, OldGetrlimit
// i386's old getrlimit); the tables of guest/linux name them, one entry
// per call.
//
// Translation. Each ABI's structures are described once in
// ../linux_structs.txt, whose codecs go generate writes here as in the
// Linux layer (structs_gen.go); structs.go holds the compat layer's
// clamping of i386's struct rlimit.
package memcall

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
	"github.com/minemu/minemu/mm"
)

// Task is the calling guest thread and its process as the memory calls
// see them.
type Task interface {
	hostcall.Task
	// Space is the guest's address space.
	Space() *mm.GuestSpace
	// UserRange is [addr, addr+n) as a range, EFAULT when it wraps or
	// leaves the user address space.
	UserRange(addr, n uint64) (mm.AddrRange, unix.Errno)
	// OwnThread reports whether tid is a thread of this process.
	OwnThread(tid int) bool
	// OwnMemory reports whether pid names a task whose address space is
	// this process's; OtherMinemu whether it is another minemu process
	// (a forked child, the parent), whose memory is not the guest's to
	// reach.
	OwnMemory(pid int) bool
	OtherMinemu(pid int) bool
	// VisiblePrefix is how many of the n bytes at addr, from the first,
	// are guest memory.
	VisiblePrefix(addr, n uint64) uint64

	// GetRlimit and SetRlimit are do_prlimit's read and write of the
	// guest's limit of resource res (EINVAL for an unknown one; EPERM
	// for a hard value the guest may not raise). Limit is the kept
	// value of a known resource.
	GetRlimit(res uint32) (unix.Rlimit, unix.Errno)
	SetRlimit(res uint32, rl unix.Rlimit) unix.Errno
	Limit(res int) unix.Rlimit
}

// Handler is a system call of this package.
type Handler func(t Task, c *hostcall.Call) int64

// le writes and reads the scalars the calls pass by pointer.
var le = binary.LittleEndian

const (
	// maxNonLFS is MAX_NON_LFS: the old getrlimit's clamp.
	maxNonLFS = 1<<31 - 1
	// compatRlimInf32 is COMPAT_RLIM_INFINITY.
	compatRlimInf32 = 0xffffffff
)

// errno turns an error from mm.GuestSpace or x/sys/unix into a negative
// errno result.
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
