package locked

// The host's atomic operations on guest memory (locked.go): sync/atomic
// on the guest address turned into a pointer (gptr), and lock cmpxchg16b,
// which sync/atomic lacks, in locked_amd64.s. A fault is a panic the
// engine's run loop recovers, as for any guest access.

import (
	"sync/atomic"
	"unsafe"
)

// gptr turns a guest address into a pointer, as the interpreter's own
// accesses do (guest/interp mem_unsafe.go): unsafe.Add on a nil base,
// and no checkptr, which would reject guest addresses in the first page.
//
//go:nocheckptr
func gptr(a uint64) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), uintptr(a)) }

func load8(a uint64) uint64        { return uint64(*(*uint8)(gptr(a))) }
func store8(a, v uint64)           { *(*uint8)(gptr(a)) = uint8(v) }
func load32Atomic(a uint64) uint32 { return atomic.LoadUint32((*uint32)(gptr(a))) }
func load64Atomic(a uint64) uint64 { return atomic.LoadUint64((*uint64)(gptr(a))) }

func cas32(a uint64, old, nv uint32) bool {
	return atomic.CompareAndSwapUint32((*uint32)(gptr(a)), old, nv)
}

func cas64(a uint64, old, nv uint64) bool {
	return atomic.CompareAndSwapUint64((*uint64)(gptr(a)), old, nv)
}

func add32(a uint64, v uint32) uint32  { return atomic.AddUint32((*uint32)(gptr(a)), v) }
func add64(a uint64, v uint64) uint64  { return atomic.AddUint64((*uint64)(gptr(a)), v) }
func and32(a uint64, v uint32) uint32  { return atomic.AndUint32((*uint32)(gptr(a)), v) }
func and64(a uint64, v uint64) uint64  { return atomic.AndUint64((*uint64)(gptr(a)), v) }
func or32(a uint64, v uint32) uint32   { return atomic.OrUint32((*uint32)(gptr(a)), v) }
func or64(a uint64, v uint64) uint64   { return atomic.OrUint64((*uint64)(gptr(a)), v) }
func swap32(a uint64, v uint32) uint32 { return atomic.SwapUint32((*uint32)(gptr(a)), v) }
func swap64(a uint64, v uint64) uint64 { return atomic.SwapUint64((*uint64)(gptr(a)), v) }

// cas128 is lock cmpxchg16b on the 16-byte-aligned a: if the 16 bytes
// hold oldLo, oldHi, they become newLo, newHi and ok is true; otherwise
// lo, hi are what they hold. It always writes.
//
//go:noescape
func cas128(a, oldLo, oldHi, newLo, newHi uint64) (lo, hi uint64, ok bool)
