package linux

import "unsafe"

// unsafePointer is the address of a mapping a test made itself.
func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }
