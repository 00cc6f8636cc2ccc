package mm

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// Errors returned by Heap methods. Allocation failures wrap unix.ENOMEM, so
// a caller that reports to a guest can hand the errno on unchanged.
var (
	// ErrNotOwned: the pointer lies in no block of this heap (foreign, wild,
	// or a large allocation that was already released).
	ErrNotOwned = errors.New("mm: pointer not owned by this heap")
	// ErrDoubleFree: the pointer is where an allocation of this heap started
	// and that allocation is already free.
	ErrDoubleFree = errors.New("mm: double free")
	// ErrInterior: the pointer lies inside a block of this heap but is not the
	// start of a live allocation.
	ErrInterior = errors.New("mm: pointer is not the start of an allocation")
	// ErrOverflow: the size of a Calloc overflows 64 bits.
	ErrOverflow = errors.New("mm: allocation size overflows")
	// ErrBadAlign: an AlignedAlloc alignment that is not a power of two.
	ErrBadAlign = errors.New("mm: alignment is not a power of two")
	// ErrClosed: the heap was closed.
	ErrClosed = errors.New("mm: heap is closed")
	// ErrCorrupt: an in-block structure (a LIST chunk's marks or bin
	// links, a MAP block's bitmap) disagrees with the heap's own records:
	// someone wrote over it, as a guest can in a guest-visible block. The
	// block is quarantined (see the package documentation, "Corrupted
	// block memory"): Free and Realloc return ErrCorrupt and change
	// nothing else; Alloc serves the request from another block; Check
	// reports it.
	ErrCorrupt = errors.New("mm: heap metadata corrupted")
	// ErrPinned: the allocation is pinned (Pin). Only FreePinned releases
	// it; Free, FreeOwned and Realloc refuse it, count the refusal and
	// change nothing. Pin also returns it for an allocation pinned already.
	ErrPinned = errors.New("mm: allocation is pinned")
	// ErrNotPinned: FreePinned of a live allocation that is not pinned.
	ErrNotPinned = errors.New("mm: allocation is not pinned")
)

// Heap geometry. Every block is aligned to its size, and every size is a
// multiple of heapGranule, so one granule never holds parts of two blocks.
const (
	heapGranuleShift = 17
	heapGranule      = 1 << heapGranuleShift // 128 KiB: the smallest block

	// DefaultListBlockSize is the LIST block size of the primary and host
	// heaps (Box64's 512 KiB blocks).
	DefaultListBlockSize = 512 << 10
	// DynarecBlockSize is the block size of the dynarec heap.
	DynarecBlockSize = 2 << 20
	// MapBlockSize is the size of every MAP block.
	MapBlockSize = 128 << 10

	// smallMax is the largest slice size a MAP kind may have.
	smallMax = 2048

	// maxRequest bounds any single request (well below any overflow of the
	// rounding arithmetic, and above any mapping the address space can hold).
	maxRequest = 1 << 46
)

// DefaultSliceSizes are the MAP kinds of the primary and host heaps: Box64's
// 128-byte slices; 64-byte slices, as Box64 added after measuring (on the
// churn trace they cut peak mapped bytes by a third); and 256-byte slices,
// which keep short-lived 129..256-byte requests out of the LIST blocks'
// coalescing (8% less CPU per op on churn); 16- and 32-byte slices, since
// half of churn's requests are 8..32 bytes: packed densely they touch fewer
// cache lines (churn about 10% faster, peak mapped 1.71x to 1.35x of peak
// live; mixed unchanged at 1.09x). Measurements: docs/memory.md.
var DefaultSliceSizes = [...]uint64{16, 32, 64, 128, 256}

// HeapConfig configures a Heap.
type HeapConfig struct {
	// Name identifies the heap in logs and stats.
	Name string
	// Source maps the heap's blocks; required.
	Source BlockSource
	// ListBlockSize is the size of LIST blocks: a power of two from 128 KiB to
	// 1 GiB (offsets inside a block must fit in 31 bits). 0 means
	// DefaultListBlockSize.
	ListBlockSize uint64
	// SliceSizes are the slice sizes of the MAP kinds, ascending powers of two
	// from 16 to 2048. nil means DefaultSliceSizes.
	SliceSizes []uint64
	// NoMap disables MAP blocks (the dynarec heap serves everything from LIST
	// blocks).
	NoMap bool
	// Exec maps every block twice through the source's MapExecBlock (which
	// it must have: an ExecBlockSource): allocations are written at their
	// address and executed at ExecAddr's.
	Exec bool
	// Log receives block maps and unmaps and rejected frees at debug level.
	// nil means no logging.
	Log *zerolog.Logger
}

// KindStats counts one block kind.
type KindStats struct {
	SliceSize   uint64 `json:"slice_size,omitempty"` // MAP kinds only
	Blocks      uint64 `json:"blocks"`
	MappedBytes uint64 `json:"mapped_bytes"`
	LiveBytes   uint64 `json:"live_bytes"` // usable bytes of live allocations
	LiveAllocs  uint64 `json:"live_allocs"`
}

// HeapStats is a snapshot of a heap's counters.
type HeapStats struct {
	Name             string      `json:"name"`
	List             KindStats   `json:"list"`
	Map              []KindStats `json:"map"`
	Large            KindStats   `json:"large"`
	MappedBytes      uint64      `json:"mapped_bytes"`
	LiveBytes        uint64      `json:"live_bytes"`
	PeakMappedBytes  uint64      `json:"peak_mapped_bytes"`
	Allocs           uint64      `json:"allocs"`
	Frees            uint64      `json:"frees"`
	Reallocs         uint64      `json:"reallocs"`
	ReallocsInPlace  uint64      `json:"reallocs_in_place"`
	RejectedFrees    uint64      `json:"rejected_frees"`
	RejectedNotOwned uint64      `json:"rejected_not_owned"`
	RejectedDouble   uint64      `json:"rejected_double_free"`
	RejectedInterior uint64      `json:"rejected_interior"`
	BlockMaps        uint64      `json:"block_maps"`
	BlockUnmaps      uint64      `json:"block_unmaps"`
	// Corruptions counts blocks found corrupted (each is quarantined
	// once); QuarantinedBlocks is how many of them are still mapped.
	Corruptions       uint64 `json:"corruptions"`
	QuarantinedBlocks uint64 `json:"quarantined_blocks"`
	// RejectedPinned counts frees and reallocs refused because the
	// allocation is pinned; Pinned is the number of pinned allocations.
	RejectedPinned uint64 `json:"rejected_pinned"`
	Pinned         uint64 `json:"pinned"`
}

// blockKind is the type of a block (Box64's BTYPE_*), plus large mappings.
type blockKind uint8

const (
	kindList blockKind = iota + 1
	kindMap
	kindLarge
)

func (k blockKind) String() string {
	switch k {
	case kindList:
		return "list"
	case kindMap:
		return "map"
	case kindLarge:
		return "large"
	}
	return "invalid"
}

// heapBlock is the record of one block: Box64's blocklist_t (block, maxfree,
// size, first, lowest, type) plus what the engine needs to validate pointers
// without trusting block memory. All fields, and the block memory itself,
// are guarded by Heap.mu; heapBlock's methods (and those of fitTree and
// radixIndex) are accessors called only from Heap methods that hold it.
type heapBlock struct {
	// r is the mapping (Box64's block and size); set when the block is
	// mapped, fixed until it is released. r.Start is aligned to r.Length()
	// for LIST and MAP blocks, to heapGranule for large ones.
	r AddrRange
	// exec is the start of the block's read-execute view (HeapConfig.Exec),
	// 0 otherwise; fixed with r.
	exec Addr
	// mem views r (memView); nil once the block is released.
	mem []byte
	// cls is the kind (Box64's type) and geometry the block belongs to.
	cls *heapClass
	// slot is the block's index in Heap.slots (the radix index stores
	// slot+1); cidx its index in cls.blocks and cls.tree.
	slot, cidx int32
	// maxfree: LIST: an upper bound on the largest free payload; exact after
	// every search that fails in the block and never below the truth. MAP:
	// the exact number of free slices. Large: 0.
	maxfree uint64
	// first: LIST: a lower bound of the lowest free chunk: no free chunk's
	// header lies below it (it is where the aligned first-fit walk starts).
	first uint32
	// bins: LIST: the block's size bins (binSet). Other kinds do not use
	// it: nil, or the bins a reused record (Heap.spare) kept, so that a
	// LIST block made from a spare record allocates no Go memory.
	bins *binSet
	// lowest: MAP: no free slice has an index below lowest.
	lowest uint32
	// bmap: MAP: the in-block bitmap, a view of the block's words at
	// cls.bitmapOff (memWords); nil for other kinds.
	bmap []uint64
	// starts is the off-block record of live allocation starts: LIST: bit i
	// is set iff a live payload starts at offset 16*i; MAP: bit i is set iff
	// slice i is live. It lives in Go memory, so guest writes to a
	// guest-visible block cannot forge it; Owns and Free trust only it.
	starts []uint64
	// busy: LIST: bit u is set iff the 16-byte unit u of the block lies in
	// a live chunk (header included); with starts it gives every live
	// chunk's extent without reading block memory (liveExtent), and no
	// allocation is made over a set bit. Other kinds: unused (a reused
	// record keeps the slice). Go memory, like starts.
	busy []uint64
	// corrupt is the first reason found why the block's memory cannot be
	// trusted ("" while none was); the operation that sets it quarantines
	// the block before it returns.
	corrupt string
	// quarantined: the block was found corrupted. Nothing is allocated
	// from it again and its memory is neither read nor written for its
	// live allocations, which Free releases from starts and busy alone; it
	// is released to the source when the last one goes. Its fit tree leaf
	// is 0, its kind's cur and hot ring never name it, and bmap is nil.
	quarantined bool
	// live is the sum of the usable sizes of the block's live allocations;
	// nlive their number.
	live  uint64
	nlive uint64
}

// heapClass is one block kind with its geometry: the LIST kind, one MAP kind
// per slice size, or the large kind. Fields other than the geometry are
// guarded by Heap.mu.
type heapClass struct {
	kind blockKind
	// blockSize is the length of every block (LIST, MAP); 0 for large.
	blockSize uint64
	// slice, nslices, bitmapOff: MAP geometry. Slices start at offset 0;
	// the in-block bitmap (1 = used; bits past nslices are 1) starts at
	// bitmapOff, 8-byte aligned, and ends at or before blockSize.
	slice      uint64
	sliceShift uint // log2(slice)
	nslices    uint32
	bitmapOff  uint32
	// mapPad has the bits of the bitmap's last word past the last slice,
	// which are always 1 in the bitmap and 0 in the starts mirror.
	mapPad uint64
	// cur is the block MAP allocations try first (nil: none; never a
	// released block): the block of the latest free (its slice is still in
	// the cache), else the block of the latest allocation; when it is full
	// the fit tree picks the leftmost block with a free slice.
	cur *heapBlock
	// hot holds the kind's latest freed slices (MAP): a ring of hotN
	// entries ending at hotTop, each a block of this kind and a slice
	// index in it; allocations take them last in, first out, as their
	// lines are likely still cached. They are hints only: an entry is used
	// if both bitmaps still say free and skipped otherwise (the bitmaps,
	// never hot, say what is free); releaseBlockLocked clears the entries
	// of a block it releases, so every block in the ring is live.
	hot          [64]hotSlice
	hotTop, hotN uint32
	// blocks holds the class's blocks by cidx; released blocks leave nil
	// entries whose indexes wait in freeIdx.
	blocks  []*heapBlock
	freeIdx []int32
	// tree is a max-tree over blocks: leaf i is the capacity of blocks[i]
	// (LIST: maxfree; MAP: 1 if it has a free slice, 0 or 1 if it is
	// full: a block that fills keeps its 1 until a search finds it full),
	// so the leftmost block that may serve a request is found in
	// O(log blocks).
	tree fitTree
	// empty counts blocks with no live allocation (LIST, MAP).
	empty int
	// stats: Blocks, MappedBytes, LiveBytes, LiveAllocs kept exact.
	stats KindStats
}

// hotSlice is an entry of heapClass.hot: slice i of block b (b nil: a
// cleared entry).
type hotSlice struct {
	b *heapBlock
	i uint32
}

// Heap is the custommem engine: one instance per purpose (NewPrimaryHeap,
// NewHostHeap, NewDynarecHeap). See the package documentation, "Heap".
//
// Locking: one mutex guards everything, as in Box64; every method takes it
// (Owns included). Methods ending in Locked expect it held.
type Heap struct {
	// name, src: fixed at construction. log: set at construction, changed
	// only by SetLog; guarded by mu.
	name string
	src  BlockSource
	log  zerolog.Logger
	// exec is src as an ExecBlockSource when HeapConfig.Exec (else nil);
	// fixed at construction.
	exec ExecBlockSource

	mu heapMutex
	// list is the LIST kind; maps are the MAP kinds by ascending slice size
	// (none with HeapConfig.NoMap); large the dedicated mappings. The
	// pointers are fixed at construction; what they point to is guarded by
	// mu.
	list  *heapClass
	maps  []*heapClass
	large *heapClass
	// small maps a request of n <= smallMax bytes, by (n+15)/16, to the
	// MAP kind that serves it (nil: none, the request goes to LIST); fixed
	// at construction. It replaces a search of maps on Alloc's fast path.
	small [smallMax/16 + 1]*heapClass
	// slots holds every live block by slot; nil entries wait in freeSlots.
	slots     []*heapBlock
	freeSlots []int32
	// spare holds released block records for reuse, so a large allocation
	// in steady state does not allocate Go memory.
	spare []*heapBlock
	// index maps address>>heapGranuleShift to slot+1 of the block covering
	// that granule (0: none).
	index radixIndex
	// counters (HeapStats), guarded by mu.
	mapped, peakMapped                               uint64
	allocs, frees, reallocs, reallocsInPlace         uint64
	rejNotOwned, rejDouble, rejInterior, corruptions uint64
	rejPinned                                        uint64
	blockMaps, blockUnmaps                           uint64
	// quarantined counts the mapped blocks with heapBlock.quarantined.
	quarantined uint64
	closed      bool
	// pinned holds the starts of the pinned live allocations (Pin): every
	// key starts a live allocation (Check verifies it), and only
	// FreePinned removes one. nil until the first Pin; while it is empty
	// the free fast path does not look at it.
	pinned map[Addr]struct{}
}

// NewHeap builds an empty heap; no block is mapped before the first request.
func NewHeap(cfg HeapConfig) (*Heap, error) {
	if cfg.Source == nil {
		return nil, errors.New("mm: HeapConfig.Source is nil")
	}
	lbs := cfg.ListBlockSize
	if lbs == 0 {
		lbs = DefaultListBlockSize
	}
	if lbs&(lbs-1) != 0 || lbs < heapGranule || lbs > 1<<30 {
		return nil, fmt.Errorf("mm: ListBlockSize %d is not a power of two in [128 KiB, 1 GiB]", lbs)
	}
	h := &Heap{name: cfg.Name, src: cfg.Source, log: zerolog.Nop()}
	if cfg.Exec {
		es, ok := cfg.Source.(ExecBlockSource)
		if !ok {
			return nil, errors.New("mm: HeapConfig.Exec with a source that cannot map executable blocks")
		}
		h.exec = es
	}
	if cfg.Log != nil {
		h.log = *cfg.Log
	}
	if h.name == "" {
		h.name = "heap"
	}
	h.list = &heapClass{kind: kindList, blockSize: lbs}
	h.large = &heapClass{kind: kindLarge}
	if !cfg.NoMap {
		sizes := cfg.SliceSizes
		if sizes == nil {
			sizes = DefaultSliceSizes[:]
		}
		prev := uint64(0)
		for _, s := range sizes {
			if s&(s-1) != 0 || s < 16 || s > 2048 || s <= prev {
				return nil, fmt.Errorf("mm: slice sizes %v: want ascending powers of two in [16, 2048]", sizes)
			}
			prev = s
			h.maps = append(h.maps, newMapClass(s))
		}
	}
	for k := range h.small {
		n := max(uint64(k)*16, 1)
		for _, c := range h.maps {
			if n <= c.slice {
				h.small[k] = c
				break
			}
		}
	}
	return h, nil
}

// newMapClass computes the geometry of a MAP kind: as many slices as fit in
// MapBlockSize together with their bitmap.
func newMapClass(slice uint64) *heapClass {
	n := MapBlockSize * 8 / (8*slice + 1)
	for n*slice+(n+63)/64*8 > MapBlockSize {
		n--
	}
	var pad uint64
	if rem := n % 64; rem != 0 {
		pad = ^uint64(0) << rem
	}
	return &heapClass{kind: kindMap, blockSize: MapBlockSize, slice: slice,
		sliceShift: uint(bits.TrailingZeros64(slice)), nslices: uint32(n), bitmapOff: uint32(n * slice), mapPad: pad}
}

func (h *Heap) String() string { return "heap " + h.name }

func enomem(what string, n uint64) error {
	return fmt.Errorf("mm: %s of %d bytes: %w", what, n, unix.ENOMEM)
}

// Alloc returns the address of n fresh bytes, 16-byte aligned (a request of
// at most a MAP slice is aligned to the slice size). Alloc(0) returns a
// unique minimal allocation, like malloc(0).
//
// The fast path serves a request that fits a MAP slice from its kind's
// current block (one table load picks the kind, mapTakeLocked the slice);
// everything else, and a current block that is full or missing, goes the
// general way (allocLocked).
func (h *Heap) Alloc(n uint64) (Addr, error) {
	h.mu.Lock()
	// The fast path, written out here and in AllocLocked: a call less
	// measurably pays on this path.
	if n <= smallMax {
		if c := h.small[(n+15)/16]; c != nil {
			if p := h.mapAllocFastLocked(c); p != 0 {
				h.mu.Unlock()
				return p, nil
			}
		}
	}
	// Past the fast path the heap reads block memory a guest may have
	// written: the deferred unlock keeps the lock from being left held
	// should anything panic (nothing is meant to).
	defer h.mu.Unlock()
	return h.allocLocked(n, 16)
}

// Calloc returns n*size zeroed bytes; the product is overflow checked.
func (h *Heap) Calloc(n, size uint64) (Addr, error) {
	hi, total := bits.Mul64(n, size)
	if hi != 0 {
		return 0, ErrOverflow
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	p, err := h.allocLocked(total, 16)
	if err != nil {
		return 0, err
	}
	if b := h.blockOf(p); b != nil && b.cls.kind != kindLarge {
		// Blocks are reused; large mappings are fresh from mmap, hence zero.
		clear(memView(p, max(total, 1)))
	}
	return p, nil
}

// AlignedAlloc returns n bytes aligned to align, a power of two.
func (h *Heap) AlignedAlloc(align, n uint64) (Addr, error) {
	if align == 0 || align&(align-1) != 0 {
		return 0, ErrBadAlign
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.allocLocked(n, max(align, 16))
}

// allocLocked serves n bytes aligned to align (a power of two >= 16).
func (h *Heap) allocLocked(n, align uint64) (Addr, error) {
	if h.closed {
		return 0, ErrClosed
	}
	if n > maxRequest || align > maxRequest {
		return 0, enomem("allocation", n)
	}
	n = max(n, 1)
	for _, c := range h.maps {
		if n <= c.slice && align <= c.slice {
			return h.mapAllocLocked(c)
		}
	}
	if align <= PageSize && n <= h.list.listMaxPayload(align) {
		return h.listAllocLocked(n, align)
	}
	return h.largeAllocLocked(n, align)
}

// Free releases the allocation starting at p. Free(0) does nothing, like
// free(NULL). Any other pointer that is not the start of a live allocation
// of this heap is rejected with ErrNotOwned, ErrDoubleFree or ErrInterior,
// counted, and the heap is left unchanged. A live allocation whose block
// memory a guest overwrote is refused with ErrCorrupt: the block is
// quarantined and the allocation stays live (a later Free of it, in the
// quarantined block, releases it from the heap's records).
//
// The fast path frees a live MAP slice (the block from the radix index, the
// slice's bit in the starts mirror); everything else, rejections included,
// goes the general way (FreeLocked). A closed heap has an empty index.
func (h *Heap) Free(p Addr) error {
	if p == 0 {
		return nil
	}
	h.mu.Lock()
	if h.freeMapLocked(p) {
		h.mu.Unlock()
		return nil
	}
	defer h.mu.Unlock() // see Alloc
	return h.freeSlowLocked(p)
}

// FreeOwned is Free for a caller that does not know whether p belongs to
// this heap (the cross-boundary free): one call, one acquisition of the
// lock, decides and frees, so nothing can change between the decision and
// the free. It returns
//
//   - owned false, err nil: p lies in no block of this heap (another
//     heap's pointer, or none); nothing changed and nothing is counted;
//   - owned true, err nil: p started a live allocation, which is freed;
//   - owned true, err non-nil: p lies in a block of this heap and Free
//     refuses it (ErrInterior, ErrDoubleFree, ErrPinned, ErrCorrupt),
//     counted as Free counts it; nothing changed but, for ErrCorrupt, the
//     block's quarantine.
//
// FreeOwned(0) is (false, nil); on a closed heap it is (false, ErrClosed).
func (h *Heap) FreeOwned(p Addr) (owned bool, err error) {
	if p == 0 {
		return false, nil
	}
	h.mu.Lock()
	if h.freeMapLocked(p) {
		h.mu.Unlock()
		return true, nil
	}
	defer h.mu.Unlock() // see Alloc
	if h.closed {
		return false, ErrClosed
	}
	if h.blockOf(p) == nil {
		return false, nil
	}
	return true, h.freeSlowLocked(p)
}

// Pin marks the live allocation at p so that only FreePinned releases it:
// Free, FreeOwned and Realloc refuse it with ErrPinned (counted in
// RejectedPinned) and change nothing. A p that does not start a live
// allocation is refused with Free's error (ErrNotOwned, ErrInterior,
// ErrDoubleFree), not counted as a rejected free; a pinned p with
// ErrPinned. The thunk layer pins the host-heap pointers the host adopts
// (docs/thunks.md), so that no path but the release can free them.
func (h *Heap) Pin(p Addr) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if _, _, err := h.lookupLocked(p); err != nil {
		return err
	}
	if h.isPinnedLocked(p) {
		return ErrPinned
	}
	if h.pinned == nil {
		h.pinned = make(map[Addr]struct{})
	}
	h.pinned[p] = struct{}{}
	return nil
}

// FreePinned frees the pinned allocation at p and drops its pin, under one
// acquisition of the lock. A p that does not start a live allocation is
// refused like Free refuses it (and counted); a live one that is not
// pinned with ErrNotPinned (not counted, nothing changes). ErrCorrupt
// leaves the allocation live and pinned (its block is quarantined; a
// second FreePinned releases it).
func (h *Heap) FreePinned(p Addr) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	b, off, err := h.lookupLocked(p)
	if err != nil {
		return h.rejectLocked(err, p, "free pinned")
	}
	if !h.isPinnedLocked(p) {
		return ErrNotPinned
	}
	if err := h.releaseLocked(b, off); err != nil {
		return err
	}
	delete(h.pinned, p)
	h.frees++
	return nil
}

// isPinnedLocked reports whether p is pinned.
func (h *Heap) isPinnedLocked(p Addr) bool {
	if len(h.pinned) == 0 {
		return false
	}
	_, ok := h.pinned[p]
	return ok
}

// freeMapLocked is the fast path of Free and FreeLocked: it frees p and
// reports true if p is a live MAP slice, else it does nothing. A MAP block
// is exactly one granule, so the radix entry alone names it.
func (h *Heap) freeMapLocked(p Addr) bool {
	s := h.index.get(p)
	if s == 0 || len(h.pinned) != 0 { // a pin may name p: the general path checks
		return false
	}
	b := h.slots[s-1]
	if b.bmap == nil { // not MAP, or a quarantined MAP block
		return false
	}
	c := b.cls
	off := uint64(p - b.r.Start)
	i := off >> c.sliceShift
	if off&(c.slice-1) != 0 || i >= uint64(c.nslices) || b.starts[i/64]&(1<<(i%64)) == 0 {
		return false
	}
	h.frees++
	if b.nlive == 1 || b.maxfree == 0 { // the block empties or stops being full
		h.mapFreeLocked(b, off)
		return true
	}
	// mapFreeLocked without its rare branches.
	w, bit := i/64, uint64(1)<<(i%64)
	b.starts[w] &^= bit
	b.bmap[w] &^= bit
	b.lowest = min(b.lowest, uint32(i))
	c.cur = b
	c.hot[c.hotTop%uint32(len(c.hot))] = hotSlice{b, uint32(i)}
	c.hotTop++
	c.hotN = min(c.hotN+1, uint32(len(c.hot)))
	b.maxfree++
	b.nlive--
	b.live -= c.slice
	c.stats.LiveAllocs--
	c.stats.LiveBytes -= c.slice
	return true
}

// Realloc resizes the allocation at p to n bytes: in place when it shrinks or
// the following free chunk can absorb the growth, else by moving it.
// Realloc(0, n) is Alloc(n); Realloc(p, 0) frees p and returns 0. A bad p is
// rejected like Free does; a failure (ErrCorrupt included) leaves the
// allocation at p as it was, like C's realloc.
func (h *Heap) Realloc(p Addr, n uint64) (Addr, error) {
	h.mu.Lock()
	defer h.mu.Unlock() // see Alloc
	return h.ReallocLocked(p, n)
}

// Lock and Unlock hold the heap's mutex across several calls of the
// *Locked methods, for a goroutine that makes many requests in a row and
// wants to pay for the lock once (the trace replayer's --hold-lock). Other
// goroutines block meanwhile.
func (h *Heap) Lock()   { h.mu.Lock() }
func (h *Heap) Unlock() { h.mu.Unlock() }

// AllocLocked is Alloc with the heap's lock held (Lock).
func (h *Heap) AllocLocked(n uint64) (Addr, error) {
	if n <= smallMax { // Alloc's fast path
		if c := h.small[(n+15)/16]; c != nil {
			if p := h.mapAllocFastLocked(c); p != 0 {
				return p, nil
			}
		}
	}
	return h.allocLocked(n, 16)
}

// FreeLocked is Free with the heap's lock held (Lock).
func (h *Heap) FreeLocked(p Addr) error {
	if p == 0 || h.freeMapLocked(p) {
		return nil
	}
	return h.freeSlowLocked(p)
}

// freeSlowLocked is FreeLocked for every pointer but a live MAP slice.
func (h *Heap) freeSlowLocked(p Addr) error {
	if h.closed {
		return ErrClosed
	}
	b, off, err := h.lookupLocked(p)
	if err == nil && h.isPinnedLocked(p) {
		err = ErrPinned
	}
	if err != nil {
		return h.rejectLocked(err, p, "free")
	}
	if err := h.releaseLocked(b, off); err != nil {
		return err
	}
	h.frees++
	return nil
}

// releaseLocked frees the live allocation at offset off of b. It fails only
// with ErrCorrupt (LIST block memory that does not check): b is then
// quarantined and the allocation still live.
func (h *Heap) releaseLocked(b *heapBlock, off uint64) error {
	switch b.cls.kind {
	case kindMap:
		h.mapFreeLocked(b, off)
	case kindList:
		return h.listFreeLocked(b, off)
	default:
		h.largeFreeLocked(b)
	}
	return nil
}

// forceReleaseLocked frees the live allocation at offset off of b whatever
// its block's memory holds: if the block turns out corrupted, it is
// quarantined and the allocation released from the records.
func (h *Heap) forceReleaseLocked(b *heapBlock, off uint64) {
	if h.releaseLocked(b, off) != nil {
		_ = h.releaseLocked(b, off) // quarantined now: cannot fail
	}
}

// ReallocLocked is Realloc with the heap's lock held (Lock).
func (h *Heap) ReallocLocked(p Addr, n uint64) (Addr, error) {
	if p == 0 {
		return h.allocLocked(n, 16)
	}
	if n == 0 {
		return 0, h.FreeLocked(p)
	}
	if h.closed {
		return 0, ErrClosed
	}
	b, off, err := h.lookupLocked(p)
	if err == nil && h.isPinnedLocked(p) {
		err = ErrPinned
	}
	if err != nil {
		return 0, h.rejectLocked(err, p, "realloc")
	}
	if n > maxRequest {
		return 0, enomem("realloc", n)
	}
	h.reallocs++
	var old uint64
	switch b.cls.kind {
	case kindList:
		if h.listResizeLocked(b, off, n) {
			h.reallocsInPlace++
			return p, nil
		}
		if b.corrupt != "" && !b.quarantined { // found corrupted just now
			return 0, h.quarantineLocked(b)
		}
		old = b.listUsable(off)
	case kindMap:
		if n <= b.cls.slice {
			h.reallocsInPlace++
			return p, nil
		}
		old = b.cls.slice
	default:
		if n <= b.r.Length() {
			h.reallocsInPlace++
			return p, nil
		}
		old = b.r.Length()
	}
	q, err := h.allocLocked(n, 16)
	if err != nil {
		return 0, err
	}
	copy(memView(q, min(old, n)), memView(p, min(old, n)))
	if err := h.releaseLocked(b, off); err != nil {
		// p's block is quarantined and p still live: undo the move.
		qb := h.blockOf(q)
		h.forceReleaseLocked(qb, uint64(q-qb.r.Start))
		h.allocs--
		return 0, err
	}
	h.allocs-- // a move is one realloc, not an alloc and a free
	return q, nil
}

// UsableSize returns how many bytes the allocation at p can hold, from the
// heap's records (block memory is read only to classify a rejected LIST
// pointer).
func (h *Heap) UsableSize(p Addr) (uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, off, err := h.lookupLocked(p)
	if err != nil {
		return 0, err
	}
	switch b.cls.kind {
	case kindList:
		return b.listUsable(off), nil
	case kindMap:
		return b.cls.slice, nil
	}
	return b.r.Length(), nil
}

// Owns reports whether p is the start of a live allocation of this heap
// (FEX's is_known_allocation). It reads only the heap's own Go-side records
// (the radix index and the starts bitmaps), never block memory, so it cannot
// fault and cannot be fooled by bytes written into a block; its cost is
// O(1), independent of the number of blocks.
func (h *Heap) Owns(p Addr) bool {
	h.mu.Lock()
	_, _, err := h.findLocked(p)
	h.mu.Unlock()
	return err == nil
}

// errListNotLive is findLocked's answer for a 16-byte aligned offset of a
// LIST block where no live payload starts; lookupLocked tells a double free
// from an interior pointer by walking the block (listLooksFree).
var errListNotLive = errors.New("mm: not a live LIST payload")

// findLocked finds the block of p and checks that p starts a live
// allocation; off is p's offset in the block. It reads only the radix index
// and the starts bitmaps, never block memory: O(1), whatever the block
// holds. The error says why not, except errListNotLive.
func (h *Heap) findLocked(p Addr) (b *heapBlock, off uint64, err error) {
	b = h.blockOf(p)
	if b == nil {
		return nil, 0, ErrNotOwned
	}
	off = uint64(p - b.r.Start)
	switch b.cls.kind {
	case kindList:
		if off%16 != 0 {
			return nil, 0, ErrInterior
		}
		if !testBit(b.starts, off/16) {
			return b, off, errListNotLive
		}
	case kindMap:
		i := off >> b.cls.sliceShift
		if off&(b.cls.slice-1) != 0 || i >= uint64(b.cls.nslices) {
			return nil, 0, ErrInterior
		}
		if !testBit(b.starts, i) {
			return nil, 0, ErrDoubleFree
		}
	default:
		if off != 0 {
			return nil, 0, ErrInterior
		}
	}
	return b, off, nil
}

// lookupLocked is findLocked with every error classified: a pointer to no
// live LIST payload is a double free if a free chunk's payload starts there,
// else interior (a walk of the block's headers, only on this rejection).
func (h *Heap) lookupLocked(p Addr) (b *heapBlock, off uint64, err error) {
	b, off, err = h.findLocked(p)
	if err == errListNotLive {
		if b.listLooksFree(off) {
			return nil, 0, ErrDoubleFree
		}
		return nil, 0, ErrInterior
	}
	return b, off, err
}

// ExecAddr is the address at which the byte at p, inside an allocation of
// an Exec heap, is executed (its block's read-execute view); ok is false
// for an address no block of the heap covers, or a heap without Exec.
func (h *Heap) ExecAddr(p Addr) (Addr, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.blockOf(p)
	if b == nil || b.exec == 0 {
		return 0, false
	}
	return b.exec + (p - b.r.Start), true
}

// blockOf returns the block covering p, or nil; O(1): two array loads.
func (h *Heap) blockOf(p Addr) *heapBlock {
	s := h.index.get(p)
	if s == 0 {
		return nil
	}
	b := h.slots[s-1]
	if !b.r.Contains(p) { // the tail of a large mapping's last granule
		return nil
	}
	return b
}

func testBit(words []uint64, i uint64) bool { return words[i/64]&(1<<(i%64)) != 0 }
func setBit(words []uint64, i uint64)       { words[i/64] |= 1 << (i % 64) }
func clearBit(words []uint64, i uint64)     { words[i/64] &^= 1 << (i % 64) }

// rejectLocked counts and logs a bad free or realloc and returns err.
func (h *Heap) rejectLocked(err error, p Addr, op string) error {
	switch err {
	case ErrNotOwned:
		h.rejNotOwned++
	case ErrDoubleFree:
		h.rejDouble++
	case ErrPinned:
		h.rejPinned++
	default:
		h.rejInterior++
	}
	if e := h.log.Debug(); e.Enabled() { // no boxing of p unless logging
		e.Str("heap", h.name).Str("op", op).Stringer("ptr", p).Err(err).Msg("rejected")
	}
	return err
}

// quarantineLocked takes b out of service after its memory was found not
// to agree with the heap's records (b.corrupt says why): it is counted and
// logged once, its fit tree leaf set to 0 (no search finds it again), its
// kind's current block and hot ring stop naming it, and a MAP block loses
// its bitmap view, so that its frees take the general path, which touches
// only the records. An empty block is released at once. It returns
// ErrCorrupt, for the caller to hand on.
func (h *Heap) quarantineLocked(b *heapBlock) error {
	if b.quarantined {
		return ErrCorrupt
	}
	b.fail("corrupted")
	b.quarantined = true
	h.corruptions++
	h.quarantined++
	c := b.cls
	h.log.Error().Str("heap", h.name).Stringer("kind", c.kind).Stringer("block", b.r).Str("what", b.corrupt).
		Msg("heap metadata corrupted; block quarantined")
	c.tree.set(int(b.cidx), 0)
	if c.cur == b {
		c.cur = nil
	}
	for k := range c.hot {
		if c.hot[k].b == b {
			c.hot[k].b = nil
		}
	}
	b.bmap = nil
	if b.nlive == 0 {
		c.empty--
		h.releaseBlockLocked(b)
	}
	return ErrCorrupt
}

// newBlockLocked maps a block of class c (length and alignment given for
// large ones) and enters it in the slots and the radix index.
func (h *Heap) newBlockLocked(c *heapClass, length, align uint64) (*heapBlock, error) {
	var r AddrRange
	var exec Addr
	var err error
	if h.exec != nil {
		r, exec, err = h.exec.MapExecBlock(length, align)
	} else {
		r, err = h.src.MapBlock(length, align)
	}
	if err != nil {
		return nil, fmt.Errorf("mm: heap %s: map %s block of %d bytes: %w", h.name, c.kind, length, err)
	}
	// The whole alignment asked for: LIST blocks are aligned to their size
	// (Check verifies it) and an aligned large request returns r.Start; the
	// radix index covers the user address space only.
	if r.Start%Addr(align) != 0 || r.Length() != length || r.End > UserLimit {
		h.src.UnmapBlock(r)
		return nil, fmt.Errorf("mm: heap %s: source returned %v for %d bytes aligned %d: %w", h.name, r, length,
			align, unix.EINVAL)
	}
	var b *heapBlock
	if n := len(h.spare); n > 0 {
		b = h.spare[n-1]
		h.spare = h.spare[:n-1]
	} else {
		b = new(heapBlock)
	}
	*b = heapBlock{r: r, exec: exec, mem: memView(r.Start, length), cls: c, starts: b.starts[:0], busy: b.busy[:0], bins: b.bins}
	switch c.kind {
	case kindList:
		b.starts = growWords(b.starts, length/16)
		b.busy = growWords(b.busy, length/16)
		if b.bins == nil {
			b.bins = new(binSet)
		}
	case kindMap:
		b.starts = growWords(b.starts, uint64(c.nslices))
	}
	if n := len(h.freeSlots); n > 0 {
		b.slot = h.freeSlots[n-1]
		h.freeSlots = h.freeSlots[:n-1]
		h.slots[b.slot] = b
	} else {
		b.slot = int32(len(h.slots))
		h.slots = append(h.slots, b)
	}
	h.index.setRange(r, uint32(b.slot)+1)
	if c.kind != kindLarge {
		if n := len(c.freeIdx); n > 0 {
			b.cidx = c.freeIdx[n-1]
			c.freeIdx = c.freeIdx[:n-1]
			c.blocks[b.cidx] = b
		} else {
			b.cidx = int32(len(c.blocks))
			c.blocks = append(c.blocks, b)
		}
		c.empty++
	}
	c.stats.Blocks++
	c.stats.MappedBytes += length
	h.mapped += length
	h.peakMapped = max(h.peakMapped, h.mapped)
	h.blockMaps++
	if e := h.log.Debug(); e.Enabled() {
		e.Str("heap", h.name).Stringer("kind", c.kind).Stringer("block", r).Msg("block mapped")
	}
	return b, nil
}

// growWords returns w resized to hold n bits, all clear.
func growWords(w []uint64, n uint64) []uint64 {
	nw := int((n + 63) / 64)
	if cap(w) < nw {
		return make([]uint64, nw)
	}
	w = w[:nw]
	clear(w)
	return w
}

// releaseBlockLocked unmaps an empty block and forgets it. If the source
// refuses, the block stays (still empty and usable) and false is returned.
func (h *Heap) releaseBlockLocked(b *heapBlock) bool {
	if err := h.src.UnmapBlock(b.r); err != nil {
		h.log.Error().Str("heap", h.name).Stringer("block", b.r).Err(err).Msg("unmap block")
		return false
	}
	c := b.cls
	h.index.setRange(b.r, 0)
	h.slots[b.slot] = nil
	h.freeSlots = append(h.freeSlots, b.slot)
	if c.cur == b {
		c.cur = nil
	}
	for k := range c.hot {
		if c.hot[k].b == b {
			c.hot[k].b = nil
		}
	}
	if c.kind != kindLarge {
		c.tree.set(int(b.cidx), 0)
		c.blocks[b.cidx] = nil
		c.freeIdx = append(c.freeIdx, b.cidx)
	}
	c.stats.Blocks--
	c.stats.MappedBytes -= b.r.Length()
	h.mapped -= b.r.Length()
	h.blockUnmaps++
	if b.quarantined {
		h.quarantined--
	}
	if e := h.log.Debug(); e.Enabled() {
		e.Str("heap", h.name).Stringer("kind", c.kind).Stringer("block", b.r).Msg("block unmapped")
	}
	b.mem, b.bmap = nil, nil
	h.spare = append(h.spare, b)
	return true
}

// noteAllocLocked and noteFreeLocked keep the per-block and per-kind live
// counters and the empty-block count; a block that becomes empty is
// released when its kind already keeps another empty block, and a
// quarantined one always (it is never counted as empty: it cannot serve).
func (h *Heap) noteAllocLocked(b *heapBlock, usable uint64) {
	if b.nlive == 0 && b.cls.kind != kindLarge {
		b.cls.empty--
	}
	b.nlive++
	b.live += usable
	b.cls.stats.LiveAllocs++
	b.cls.stats.LiveBytes += usable
	h.allocs++
}

func (h *Heap) noteFreeLocked(b *heapBlock, usable uint64) {
	b.nlive--
	b.live -= usable
	b.cls.stats.LiveAllocs--
	b.cls.stats.LiveBytes -= usable
	if b.nlive == 0 && b.cls.kind != kindLarge {
		if b.quarantined {
			h.releaseBlockLocked(b) // if the source refuses, it stays, quarantined
			return
		}
		if b.cls.empty >= 1 && h.releaseBlockLocked(b) {
			return
		}
		b.cls.empty++
	}
}

// largeAllocLocked gives the request a dedicated mapping.
func (h *Heap) largeAllocLocked(n, align uint64) (Addr, error) {
	length, ok := Addr(n).RoundUp()
	if !ok {
		return 0, enomem("allocation", n)
	}
	b, err := h.newBlockLocked(h.large, uint64(length), max(align, heapGranule))
	if err != nil {
		return 0, err
	}
	h.noteAllocLocked(b, b.r.Length())
	return b.r.Start, nil
}

func (h *Heap) largeFreeLocked(b *heapBlock) {
	h.noteFreeLocked(b, b.r.Length())
	if !h.releaseBlockLocked(b) {
		// The mapping stays ours but serves nothing more: forget its
		// record so that the memory is at worst leaked, never reused.
		h.log.Error().Str("heap", h.name).Stringer("block", b.r).Msg("large mapping leaked")
	}
}

// Stats returns a snapshot of the heap's counters.
func (h *Heap) Stats() HeapStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := HeapStats{Name: h.name, List: h.list.stats, Large: h.large.stats, MappedBytes: h.mapped,
		PeakMappedBytes: h.peakMapped, Allocs: h.allocs, Frees: h.frees, Reallocs: h.reallocs,
		ReallocsInPlace: h.reallocsInPlace, RejectedNotOwned: h.rejNotOwned, RejectedDouble: h.rejDouble,
		RejectedInterior: h.rejInterior, BlockMaps: h.blockMaps, BlockUnmaps: h.blockUnmaps,
		Corruptions: h.corruptions, QuarantinedBlocks: h.quarantined, RejectedPinned: h.rejPinned,
		Pinned: uint64(len(h.pinned))}
	s.RejectedFrees = s.RejectedNotOwned + s.RejectedDouble + s.RejectedInterior + s.RejectedPinned
	s.LiveBytes = s.List.LiveBytes + s.Large.LiveBytes
	s.Map = make([]KindStats, 0, len(h.maps))
	for _, c := range h.maps {
		k := c.stats
		k.SliceSize = c.slice
		s.Map = append(s.Map, k)
		s.LiveBytes += k.LiveBytes
	}
	return s
}

// ResetPeak sets the peak mapped figure to the current mapped bytes (the
// replayer calls it before its timed loop).
func (h *Heap) ResetPeak() {
	h.mu.Lock()
	h.peakMapped = h.mapped
	h.mu.Unlock()
}

// Close unmaps every block. Allocations still live are gone with them; the
// heap rejects every later call with ErrClosed. The first unmap error is
// returned; Close is idempotent.
func (h *Heap) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	var first error
	for _, b := range h.slots {
		if b == nil {
			continue
		}
		if err := h.src.UnmapBlock(b.r); err != nil && first == nil {
			first = err
		}
		b.mem, b.bmap = nil, nil
	}
	h.slots, h.freeSlots, h.spare = nil, nil, nil
	h.index = radixIndex{}
	for _, c := range append([]*heapClass{h.list, h.large}, h.maps...) {
		c.blocks, c.freeIdx, c.tree, c.empty, c.cur, c.hotN = nil, nil, fitTree{}, 0, nil, 0
		c.hot = [len(c.hot)]hotSlice{}
		c.stats = KindStats{}
	}
	h.mapped, h.quarantined = 0, 0
	h.pinned = nil
	return first
}

// radixIndex maps an address's granule (address >> 17) to a value: a
// two-level table over the 2^30 granules of the 47-bit user address space,
// 2^15 leaves of 2^15 entries, a leaf allocated when a block first lands in
// its 4 GiB. A lookup is two loads, whatever the number of blocks.
type radixIndex struct {
	dir *[1 << 15]*[1 << 15]uint32 // nil until the first set
	n   uint64                     // number of non-zero entries (Check recounts it)
}

func (x *radixIndex) get(p Addr) uint32 {
	if x.dir == nil || p >= UserLimit {
		return 0
	}
	g := uint64(p) >> heapGranuleShift
	leaf := x.dir[g>>15]
	if leaf == nil {
		return 0
	}
	return leaf[g&(1<<15-1)]
}

// setRange stores v for every granule r touches; r lies below UserLimit.
func (x *radixIndex) setRange(r AddrRange, v uint32) {
	if x.dir == nil {
		x.dir = new([1 << 15]*[1 << 15]uint32)
	}
	for g := uint64(r.Start) >> heapGranuleShift; g <= uint64(r.End-1)>>heapGranuleShift; g++ {
		leaf := x.dir[g>>15]
		if leaf == nil {
			if v == 0 {
				continue
			}
			leaf = new([1 << 15]uint32)
			x.dir[g>>15] = leaf
		}
		e := &leaf[g&(1<<15-1)]
		if *e == 0 && v != 0 {
			x.n++
		} else if *e != 0 && v == 0 {
			x.n--
		}
		*e = v
	}
}

// fitTree is a max-tree over a class's blocks: leaves hold each block's
// capacity, inner nodes the maximum of their children, so find returns the
// leftmost block whose capacity reaches a request in O(log n) steps and set
// updates in O(log n), stopping early when a parent does not change.
type fitTree struct {
	n int      // number of leaves, a power of two (0: empty tree)
	v []uint64 // v[1] is the root; leaf i is v[n+i]
}

func (t *fitTree) set(i int, val uint64) {
	for i >= t.n {
		t.grow()
	}
	j := i + t.n
	if t.v[j] == val {
		return
	}
	t.v[j] = val
	for j > 1 {
		j >>= 1
		m := max(t.v[2*j], t.v[2*j+1])
		if t.v[j] == m {
			return
		}
		t.v[j] = m
	}
}

func (t *fitTree) get(i int) uint64 {
	if i >= t.n {
		return 0
	}
	return t.v[t.n+i]
}

// find returns the leftmost leaf whose value is at least need, or -1.
func (t *fitTree) find(need uint64) int {
	if t.n == 0 || t.v[1] < need {
		return -1
	}
	j := 1
	for j < t.n {
		j *= 2
		if t.v[j] < need {
			j++
		}
	}
	return j - t.n
}

func (t *fitTree) grow() {
	n := max(2*t.n, 8)
	v := make([]uint64, 2*n)
	if t.n > 0 {
		copy(v[n:], t.v[t.n:])
	}
	for j := n - 1; j >= 1; j-- {
		v[j] = max(v[2*j], v[2*j+1])
	}
	t.n, t.v = n, v
}
