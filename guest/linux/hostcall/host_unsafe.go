package hostcall

// Host calls on memory minemu translated into.
//
// A translated call (poll's pollfd array with minemu's descriptors hidden,
// an i386 msghdr rebuilt in the host's layout, the socket address the
// kernel returns) passes the kernel a pointer to Go memory. That memory is
// the thread's scratch memory (Task.Scratch): heap memory, which Go's
// collector does not move, referenced by the thread until its next call,
// so that the address may travel as an integer like a guest address,
// through the safe system call (Task.Blocking), which takes integers only.

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// goAddr returns the address of b's first byte, 0 for an empty b. b
// must be heap memory kept alive until the host call returns (Task.Scratch's).
func goAddr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

// hostStringsCall runs a syscall whose arguments at the indexes idx are
// the strings strs (paths, attribute names), NUL-terminated copies in Go
// memory; the other arguments are passed as they are.
func hostStringsCall(nr uintptr, a [6]uintptr, idx []int, strs []string) (uintptr, unix.Errno) {
	ptrs := make([]*byte, len(strs))
	for i, str := range strs {
		p, err := unix.BytePtrFromString(str)
		if err != nil {
			return 0, unix.EINVAL
		}
		ptrs[i] = p
		a[idx[i]] = uintptr(unsafe.Pointer(p))
	}
	r, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	runtime.KeepAlive(ptrs)
	return r, e
}

// goAddr64 is goAddr for a translated iovec array (Task.IOVScratch:
// base, length pairs in the host's layout).
func goAddr64(v []uint64) uintptr {
	if len(v) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&v[0]))
}
