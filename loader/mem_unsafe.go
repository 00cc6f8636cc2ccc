package loader

// This file is the loader's only use of unsafe. With identity mapping a
// guest address is a host address: after mapping a segment or the stack
// through the guest space, the loader copies the segment's file bytes, the
// argument strings and the initial stack words into that memory directly.
// Go can reach memory it did not allocate only through a pointer made from
// an integer, which needs unsafe. Everything else works on the
// bounds-checked slice returned here.

import (
	"unsafe"

	"github.com/minemu/minemu/mm"
)

// guestBytes returns the n bytes of guest memory at a as a slice. The
// caller has just mapped [a, a+n) read-write through the guest space and
// holds it for as long as it uses the slice.
func guestBytes(a mm.Addr, n uint64) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(a))), n)
}
