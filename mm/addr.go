package mm

import (
	"fmt"
	"math/bits"
)

// Addr is an address in the process's (and, by identity mapping, the
// guest's) virtual address space.
type Addr uint64

// PageSize is the host and guest page size. minemu runs only on x86-64
// Linux with 4 KiB pages.
const (
	PageShift = 12
	PageSize  = 1 << PageShift
	PageMask  = PageSize - 1
)

// Well-known boundaries of the address layout (see doc.go).
const (
	// Limit32 is the first address a 32-bit guest cannot form.
	Limit32 Addr = 1 << 32
	// GuestWindowStart is the lowest address handed to a 32-bit guest
	// (mmap_min_addr on Linux is 64 KiB).
	GuestWindowStart Addr = 64 << 10
	// UserLimit is the end of the x86-64 user address space with 4-level
	// paging (128 TiB).
	UserLimit Addr = 1 << 47
	// TaskSize32 is TASK_SIZE of a 32-bit process on an x86-64 kernel: the
	// kernel maps nothing of the process at or above it (the top 8 KiB
	// below 4 GiB stay empty), refuses MAP_FIXED there with ENOMEM, and
	// munmap or mremap there with EINVAL. The Mode32 guest window ends
	// here, and the kernel puts a compat process's stack right below it.
	TaskSize32 Addr = 0xffffe000
	// TaskSize64 is TASK_SIZE of a 64-bit process (4-level paging): the
	// last page below UserLimit is never mapped either.
	TaskSize64 Addr = UserLimit - PageSize
)

// IsPageAligned reports whether a is a multiple of PageSize.
func (a Addr) IsPageAligned() bool { return a&PageMask == 0 }

// RoundDown rounds a down to a multiple of PageSize.
func (a Addr) RoundDown() Addr { return a &^ PageMask }

// RoundUp rounds a up to a multiple of PageSize; ok is false on overflow.
func (a Addr) RoundUp() (r Addr, ok bool) {
	r = (a + PageMask) &^ PageMask
	return r, r >= a
}

// AlignUp rounds a up to a multiple of align, which must be a power of two;
// ok is false on overflow.
func (a Addr) AlignUp(align uint64) (r Addr, ok bool) {
	m := Addr(align - 1)
	r = (a + m) &^ m
	return r, r >= a
}

// AddLength returns a+n; ok is false if the sum overflows 64 bits.
func (a Addr) AddLength(n uint64) (Addr, bool) {
	s, carry := bits.Add64(uint64(a), n, 0)
	return Addr(s), carry == 0
}

func (a Addr) String() string { return fmt.Sprintf("%#x", uint64(a)) }

// AddrRange is the half-open range [Start, End). Every AddrRange in mm is
// built by NewRange or derived from one that was, so Start <= End holds.
type AddrRange struct {
	Start Addr
	End   Addr
}

// NewRange returns [start, start+length). It is the one constructor of
// ranges from an address and a length: ok is false when the end would
// overflow, so no caller writes an unchecked a+n.
func NewRange(start Addr, length uint64) (AddrRange, bool) {
	end, ok := start.AddLength(length)
	if !ok {
		return AddrRange{}, false
	}
	return AddrRange{Start: start, End: end}, true
}

// Length is the number of bytes in r.
func (r AddrRange) Length() uint64 { return uint64(r.End - r.Start) }

// Pages is the number of pages r spans; r must be page-aligned.
func (r AddrRange) Pages() uint64 { return r.Length() >> PageShift }

// Contains reports whether a lies in r.
func (r AddrRange) Contains(a Addr) bool { return r.Start <= a && a < r.End }

// IsSupersetOf reports whether o lies entirely within r.
func (r AddrRange) IsSupersetOf(o AddrRange) bool {
	return r.Start <= o.Start && o.End <= r.End
}

// Overlaps reports whether r and o share at least one byte.
func (r AddrRange) Overlaps(o AddrRange) bool {
	return r.Start < o.End && o.Start < r.End
}

// Intersect returns the bytes r and o share (empty when they are disjoint).
func (r AddrRange) Intersect(o AddrRange) AddrRange {
	s, e := max(r.Start, o.Start), min(r.End, o.End)
	if s >= e {
		return AddrRange{Start: s, End: s}
	}
	return AddrRange{Start: s, End: e}
}

// IsPageAligned reports whether both ends of r are page-aligned.
func (r AddrRange) IsPageAligned() bool {
	return r.Start.IsPageAligned() && r.End.IsPageAligned()
}

func (r AddrRange) String() string {
	return fmt.Sprintf("[%#x, %#x)", uint64(r.Start), uint64(r.End))
}
