package filecall

// Host calls that take a path from minemu's memory.

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hostPathCall runs a syscall whose argument pathArg is a path given as a
// Go string, a NUL-terminated copy in Go memory; the other arguments are
// passed as they are.
func hostPathCall(nr uintptr, a [6]uintptr, pathArg int, path string) (uintptr, unix.Errno) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return 0, unix.EINVAL
	}
	a[pathArg] = uintptr(unsafe.Pointer(p))
	r, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	// Keep p alive until the kernel has read the path.
	runtime.KeepAlive(p)
	return r, e
}

// iovecBlocking runs readv or writev (nr) on fd with a translated iovec
// array (base, length pairs in the host's layout) as Task.BlockingCall. v
// must be heap memory (Task.IOVScratch), which does not move while the
// call runs.
func iovecBlocking(t Task, nr uintptr, fd int, v []uint64) (uintptr, unix.Errno) {
	var p uintptr
	if len(v) > 0 {
		p = uintptr(unsafe.Pointer(&v[0]))
	}
	r, e := t.BlockingCall(nr, uintptr(fd), p, uintptr(len(v)/2), 0, 0, 0)
	runtime.KeepAlive(v)
	return r, e
}

// openBlocking is openat as Task.BlockingCall: an open that waits (a FIFO
// without its other end) is interrupted by a guest signal as the kernel's
// (ERESTARTSYS, a restart under SA_RESTART, else EINTR). The path is a
// NUL-terminated copy on the heap, which does not move during the call.
func openBlocking(t Task, dirfd int, path string, flags int, mode uint32) (int, unix.Errno) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return -1, unix.EINVAL
	}
	r, e := t.BlockingCall(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(flags), uintptr(mode), 0, 0)
	runtime.KeepAlive(p)
	if e != 0 {
		return -1, e
	}
	return int(r), 0
}
