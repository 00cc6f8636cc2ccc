package memcall

// Host calls on iovec arrays in minemu's memory.

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hostProcessVMCall runs process_vm_readv or process_vm_writev (nr) for
// pid with translated local and remote iovec arrays (base, length pairs,
// the host's struct iovec layout) and no flags.
func hostProcessVMCall(nr uintptr, pid int, local, remote []uint64) (uintptr, unix.Errno) {
	var lp, rp unsafe.Pointer
	if len(local) > 0 {
		lp = unsafe.Pointer(&local[0])
	}
	if len(remote) > 0 {
		rp = unsafe.Pointer(&remote[0])
	}
	r, _, e := unix.Syscall6(nr, uintptr(pid), uintptr(lp), uintptr(len(local)/2), uintptr(rp), uintptr(len(remote)/2), 0)
	return r, e
}
