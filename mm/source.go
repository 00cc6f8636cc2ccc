package mm

// Mode says who owns the low 4 GiB of the address space.
type Mode uint8

const (
	// Mode32: a 32-bit guest owns [GuestWindowStart, Limit32); everything of
	// minemu's own lives at or above Limit32.
	Mode32 Mode = 32
	// Mode64: a 64-bit guest may use any user address; minemu's own memory
	// comes from the kernel as it pleases.
	Mode64 Mode = 64
)

func (m Mode) String() string {
	switch m {
	case Mode32:
		return "32"
	case Mode64:
		return "64"
	}
	return "invalid"
}

// BlockSource hands out the mappings a Heap carves into blocks. Regions is
// the source of minemu-internal heaps (primary, dynarec); GuestSpace is the
// source of the guest-visible host heap.
type BlockSource interface {
	// MapBlock maps length bytes (a multiple of PageSize), read-write,
	// aligned to align (a power of two, at least PageSize).
	MapBlock(length, align uint64) (AddrRange, error)
	// UnmapBlock returns a range obtained from MapBlock, whole.
	UnmapBlock(r AddrRange) error
}
