package mm

import (
	"errors"

	"github.com/rs/zerolog"
)

// The heap instances of DESIGN.md ("Instances"). They differ only in where
// their blocks come from and which kinds they enable.

// NewPrimaryHeap returns minemu's own off-GC-heap allocator (rpmalloc's
// role in FEX): LIST and MAP blocks and large mappings, all from r, hence at
// or above 4 GiB in Mode32.
func NewPrimaryHeap(r *Regions) (*Heap, error) {
	if r == nil {
		return nil, errors.New("mm: NewPrimaryHeap: nil Regions")
	}
	return NewHeap(HeapConfig{Name: "primary", Source: r})
}

// NewHostHeap returns the heap whose memory host code hands to the guest
// (jemalloc_glibc's role in FEX): blocks from the guest window of g, hence
// below 4 GiB in Mode32, and Owns answers the thunks' cross-boundary frees.
func NewHostHeap(g *GuestSpace) (*Heap, error) {
	if g == nil {
		return nil, errors.New("mm: NewHostHeap: nil GuestSpace")
	}
	return NewHeap(HeapConfig{Name: "host", Source: g})
}

// NewDynarecHeap returns the heap of the code cache: 2 MiB LIST blocks from
// r (Box64's dynarec blocks), no MAP kind, every block mapped twice
// (Regions.MapExec): what is allocated is written at its address and, for
// translated code, executed at ExecAddr's.
func NewDynarecHeap(r *Regions) (*Heap, error) {
	if r == nil {
		return nil, errors.New("mm: NewDynarecHeap: nil Regions")
	}
	return NewHeap(HeapConfig{Name: "dynarec", Source: r, ListBlockSize: DynarecBlockSize, NoMap: true, Exec: true})
}

// SetLog directs the heap's debug logging (block maps and unmaps, rejected
// frees) to l.
func (h *Heap) SetLog(l zerolog.Logger) {
	h.mu.Lock()
	h.log = l
	h.mu.Unlock()
}
