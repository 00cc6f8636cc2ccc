// Guest memory access from the engine package: the run loop's own loads and
// stores (the arguments CallGuest pushes, the return address a thunk's
// near RET pops), instruction fetch, and the memory of tests.
//
// unsafe is needed here because guest memory is not Go memory: by identity
// mapping, a guest address IS the host address of the byte, so it is turned
// into a pointer to load or store through it. Nothing in this file keeps
// such a pointer; the Go garbage collector never sees one (guest memory
// lies outside the Go heap, and the pointers live only in registers during
// one access). A fault on an unmapped or protected page is turned into a
// Go panic by runtime/debug.SetPanicOnFault, which the callers recover.

package engine

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"
)

var errMisaligned = errors.New("allocation misaligned")

// gptr turns a guest address into a pointer. unsafe.Add on a nil base is
// the one conversion go vet accepts for an address that did not come from
// a Go pointer. checkptr (on under -race) would reject guest addresses in
// the first page, which the guest may legitimately try (and fault on).
//
//go:nocheckptr
func gptr(a uint64) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), uintptr(a)) }

// loadN reads size (1, 2, 4 or 8) bytes at a.
func loadN(a uint64, size uint8) uint64 {
	switch size {
	case 1:
		return uint64(*(*uint8)(gptr(a)))
	case 2:
		return uint64(*(*uint16)(gptr(a)))
	case 4:
		return uint64(*(*uint32)(gptr(a)))
	default:
		return *(*uint64)(gptr(a))
	}
}

// storeN writes the low size (1, 2, 4 or 8) bytes of v at a.
func storeN(a uint64, size uint8, v uint64) {
	switch size {
	case 1:
		*(*uint8)(gptr(a)) = uint8(v)
	case 2:
		*(*uint16)(gptr(a)) = uint16(v)
	case 4:
		*(*uint32)(gptr(a)) = uint32(v)
	default:
		*(*uint64)(gptr(a)) = v
	}
}

// guestBytes is the n bytes of guest memory at a, as a Go slice for bulk
// copies and instruction fetch. The caller must not keep it.
func guestBytes(a uint64, n uint64) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(gptr(a)), n)
}

// mapAnonProt maps n bytes of anonymous memory with protection prot for
// the process's own guest-visible use when there is no GuestSpace (tests);
// low asks for an address below 2 GiB (MAP_32BIT), reachable by a 32-bit
// guest.
func mapAnonProt(n uint64, low bool, prot int) (uint64, error) {
	flags := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	if low {
		flags |= unix.MAP_32BIT
	}
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(n), prot, flags)
	if err != nil {
		return 0, err
	}
	return uint64(uintptr(p)), nil
}
