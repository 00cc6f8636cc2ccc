// Guest memory as the tests see it.
//
// unsafe is needed here because guest memory is not Go memory: by identity
// mapping a guest address is the host address of the byte, and a test that
// prepares or checks guest memory needs it as a slice. Nothing keeps the
// slice beyond the test's use; the garbage collector never sees the
// memory.

package enginetest

import "unsafe"

// GuestBytes is the n bytes of guest memory at a. The caller must not
// keep the slice past the mapping's life.
//
//go:nocheckptr
func GuestBytes(a, n uint64) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(a))), n)
}
