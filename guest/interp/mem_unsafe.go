// Guest memory access.
//
// unsafe is needed here because guest memory is not Go memory: by identity
// mapping, a guest address IS the host address of the byte, so the
// interpreter turns the address into a pointer and loads or stores through
// it. Nothing in this file keeps such a pointer; the Go garbage collector
// never sees one (guest memory lies outside the Go heap, and the pointers
// live only in registers during one access). A fault on an unmapped or
// protected page is turned into a Go panic by runtime/debug.SetPanicOnFault,
// which the engine's run loop recovers (engine.Thread.Run).

package interp

import (
	"unsafe"

	"github.com/minemu/minemu/guest/isa"
)

// The op walk: the run loop steps from op to op of a block with a pointer
// (nextOp) instead of an index, with no bound check. That is safe because
// a block's last op always ends it (engine.Block.Ops), and every op that
// ends a block leaves the op loop: the walk never steps past the last op.
// opIndex finds the index again when an exit needs it.

// nextOp is the op after o in its block; o must not be the block's last.
func nextOp(o *isa.Op) *isa.Op {
	return (*isa.Op)(unsafe.Add(unsafe.Pointer(o), unsafe.Sizeof(isa.Op{})))
}

// opIndex is the index of o, which points into ops.
func opIndex(ops []isa.Op, o *isa.Op) int {
	return int((uintptr(unsafe.Pointer(o)) - uintptr(unsafe.Pointer(unsafe.SliceData(ops)))) / unsafe.Sizeof(isa.Op{}))
}

// gptr turns a guest address into a pointer. unsafe.Add on a nil base is
// the one conversion go vet accepts for an address that did not come from
// a Go pointer. checkptr (on under -race) would reject guest addresses in
// the first page, which the guest may legitimately try (and fault on).
//
//go:nocheckptr
func gptr(a uint64) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), uintptr(a)) }

func load8(a uint64) uint64  { return uint64(*(*uint8)(gptr(a))) }
func load16(a uint64) uint64 { return uint64(*(*uint16)(gptr(a))) }
func load32(a uint64) uint64 { return uint64(*(*uint32)(gptr(a))) }
func load64(a uint64) uint64 { return *(*uint64)(gptr(a)) }

func store8(a, v uint64)  { *(*uint8)(gptr(a)) = uint8(v) }
func store16(a, v uint64) { *(*uint16)(gptr(a)) = uint16(v) }
func store32(a, v uint64) { *(*uint32)(gptr(a)) = uint32(v) }
func store64(a, v uint64) { *(*uint64)(gptr(a)) = v }

// loadN reads size (1, 2, 4 or 8) bytes at a.
func loadN(a uint64, size uint8) uint64 {
	switch size {
	case 1:
		return load8(a)
	case 2:
		return load16(a)
	case 4:
		return load32(a)
	default:
		return load64(a)
	}
}

// storeN writes the low size (1, 2, 4 or 8) bytes of v at a.
func storeN(a uint64, size uint8, v uint64) {
	switch size {
	case 1:
		store8(a, v)
	case 2:
		store16(a, v)
	case 4:
		store32(a, v)
	default:
		store64(a, v)
	}
}

// guestBytes is the n bytes of guest memory at a, as a Go slice for bulk
// copies (rep movs/stos) and instruction fetch. The caller must not keep it.
func guestBytes(a uint64, n uint64) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(gptr(a)), n)
}
