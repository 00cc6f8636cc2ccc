package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// waitidRaw is the host's waitid with a 128-byte siginfo buffer and an
// optional rusage (0 for none).
func waitidRaw(idtype, id int, info *[128]byte, options int, ru uintptr) (int, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_WAITID, uintptr(idtype), uintptr(id), uintptr(unsafe.Pointer(info)), uintptr(options), ru, 0)
	return int(r), e
}

// rusagePtr is the address of a host rusage for a raw system call.
func rusagePtr(ru *unix.Rusage) uintptr { return uintptr(unsafe.Pointer(ru)) }
