package mm

// This file is the heap's only use of unsafe. Heap blocks are mappings
// outside the Go heap, named by their addresses (Addr); the engine keeps its
// in-block headers (LIST marks) and bitmaps (MAP) in that memory, copies and
// clears payloads for Realloc and Calloc, and the trace replayer touches
// payload bytes. Go can only reach memory it did not allocate through a
// pointer made from an integer, which needs unsafe. Everything else works on
// the bounds-checked byte slice returned here, so a wrong offset panics in
// the slice check instead of touching memory outside the block.

import "unsafe"

// memView returns the n bytes at a as a slice. [a, a+n) must be mapped
// read-write for as long as the slice is used; the caller (a heap holding
// the block, or the replayer holding a live allocation) guarantees it. The
// slice refers to memory the garbage collector does not manage, so keeping
// it alive keeps nothing alive.
func memView(a Addr, n uint64) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(a))), n)
}
