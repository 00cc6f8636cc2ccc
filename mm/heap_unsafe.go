package mm

// This file is the heap's only use of unsafe. Heap blocks are mappings
// outside the Go heap, named by their addresses (Addr); the engine keeps its
// in-block headers (LIST marks) and bitmaps (MAP) in that memory, copies and
// clears payloads for Realloc and Calloc, and the trace replayer touches
// payload bytes. The MAP bitmap is read and written as 64-bit words in place
// (memWords), the host's own byte order, as the hot allocation path needs. Go can only reach memory it did not allocate through a
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

// memWords returns the n 64-bit words at a (8-byte aligned) as a slice, under
// the same conditions as memView. The words are in the host's byte order
// (little-endian: minemu runs on x86-64 hosts).
func memWords(a Addr, n uint64) []uint64 {
	if n == 0 || a%8 != 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Add(unsafe.Pointer(nil), uintptr(a))), n)
}
