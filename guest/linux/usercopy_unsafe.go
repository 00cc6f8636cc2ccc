package linux

// Guest memory as seen by the system-call layer.
//
// unsafe is needed here because the syscall layer copies structures to and
// from guest memory, which is not Go memory: by identity mapping a guest
// address is the host address of the byte, and Go reaches memory it did
// not allocate only through a pointer made from an integer. Callers pass
// only ranges that Process.checkUser has confirmed (inside the guest window
// in Mode32, every page mapped with the needed protection), touch them
// only inside faultSafe (a file mapping past the end of its file faults
// even so), and nothing keeps the returned slice beyond the copy.
//
// The host calls that need a pointer to Go memory (the iovec arrays of
// process_vm_readv and process_vm_writev) live here too, because the
// pointer must be converted inside the call expression to stay valid.

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// userView returns the guest bytes of r as a slice. r must have been
// validated by checkUser; the slice must not be kept.
func userView(r mm.AddrRange) []byte {
	if r.Length() == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(r.Start))), r.Length())
}

// probeAddr is the address of a probe buffer: Go heap memory, which does
// not move, kept alive by the Process that owns it.
func probeAddr(p *[probeSize]byte) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

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
