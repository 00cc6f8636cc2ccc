package mm

import (
	"fmt"
	"math/bits"
	"sort"
	"sync"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// DefaultArenaSize is the reservation of one Regions arena when the
// configuration does not say otherwise. The reservation is PROT_NONE and
// MAP_NORESERVE, so its size costs address space only; its page bitmap costs
// one bit per page (512 KiB for 16 GiB).
const DefaultArenaSize = 16 << 30

// arenaAlign is the alignment of every arena base. Because it is at least
// as large as any alignment Map accepts, page-index alignment inside an
// arena equals address alignment.
const arenaAlign = 1 << 30

// MaxRegionAlign is the largest alignment Map accepts.
const MaxRegionAlign = arenaAlign

// arenaZones are where Mode32 arenas may be placed, tried in order: above
// the 32-bit guest's 4 GiB (with room for a guest that probes a little past
// it) and below 0xc000000000, where the Go runtime (and the race detector,
// which insists on it) put the Go heap; then between the race detector's
// heap and its shadow memory at 0x200000000000. Other mappings inside a zone
// are stepped over using /proc/self/maps.
var arenaZones = [...]AddrRange{
	{Start: 64 << 30, End: 0xc0 << 32},
	{Start: 0xe0 << 32, End: 0x2000 << 32},
}

// RegionsConfig configures a Regions.
type RegionsConfig struct {
	// Mode32: every region lies in an arena at or above Limit32. Mode64:
	// regions come from the kernel's mmap wherever it puts them.
	Mode Mode
	// ArenaSize is the reservation per arena (Mode32), rounded up to 2 MiB;
	// 0 means DefaultArenaSize. A Map larger than an arena gets an arena
	// of its own size.
	ArenaSize uint64
	// MaxArenas caps the number of arenas (Mode32); 0 means no cap. Past
	// the cap Map returns ENOMEM.
	MaxArenas int
	// Log receives arena reservations (debug) and failures (warn). The
	// zero Logger discards everything.
	Log zerolog.Logger
}

// RegionsStats is a snapshot of a Regions' counters.
type RegionsStats struct {
	Mode          Mode
	Arenas        int    // arenas reserved (0 in Mode64)
	ReservedBytes uint64 // bytes of arena reservations (0 in Mode64)
	MappedBytes   uint64 // bytes currently mapped by Map and not unmapped
	Maps          uint64 // successful Map calls
	Unmaps        uint64 // successful Unmap calls
	Protects      uint64 // successful Protect calls
	Failures      uint64 // calls that returned an error
}

// arena is one Mode32 reservation. Its memory is PROT_NONE except where
// Map remapped it.
type arena struct {
	// r is the reservation; immutable. r.Start is a multiple of
	// arenaAlign and r.Length() a multiple of PageSize.
	r AddrRange
	// pages has one bit per page of r: 1 = mapped by Map (with the
	// protection the caller asked for, or changed by Protect), 0 =
	// PROT_NONE reservation. Guarded by Regions.mu.
	pages *pageBitmap
	// lowFree: every page below it is mapped (it is the lowest free page,
	// or pages.len() when full). Guarded by Regions.mu.
	lowFree uint64
	// hint is where the next search runs backward from: the end page of
	// the last Unmap, then the start of each region placed below it.
	// 0 = no hint (search upward from lowFree). Guarded by Regions.mu.
	hint uint64
}

// Regions is minemu's allocator of its own virtual memory regions (see the
// package documentation). It is safe for concurrent use.
type Regions struct {
	mode      Mode           // immutable
	arenaSize uint64         // immutable; multiple of 2 MiB
	maxArenas int            // immutable; 0 = no cap
	log       zerolog.Logger // immutable

	mu sync.Mutex
	// arenas are the Mode32 reservations, sorted by address, disjoint.
	// Guarded by mu.
	arenas []*arena
	// kmaps are the Mode64 regions: sorted, disjoint, and never adjacent
	// (touching ranges are merged), page-aligned. Guarded by mu.
	kmaps []AddrRange
	// mapped is the number of bytes mapped: the set bits of all arenas
	// times PageSize (Mode32), the total length of kmaps (Mode64).
	// Guarded by mu.
	mapped uint64
	// reserved is the total length of arenas. Guarded by mu.
	reserved uint64
	// nMaps, nUnmaps, nProtects, nFailures count calls. Guarded by mu.
	nMaps, nUnmaps, nProtects, nFailures uint64
	// duals are the regions MapExec made, by the start of their RW view.
	// Guarded by mu.
	duals map[Addr]dualRegion
	// closed is set by Close; afterwards every call fails with EINVAL.
	// Guarded by mu.
	closed bool
}

// NewRegions returns an empty Regions. No memory is reserved until the
// first Map.
func NewRegions(cfg RegionsConfig) (*Regions, error) {
	if cfg.Mode != Mode32 && cfg.Mode != Mode64 {
		return nil, fmt.Errorf("mm: NewRegions: invalid mode %d", cfg.Mode)
	}
	if cfg.MaxArenas < 0 {
		return nil, fmt.Errorf("mm: NewRegions: negative MaxArenas %d", cfg.MaxArenas)
	}
	size := cfg.ArenaSize
	if size == 0 {
		size = DefaultArenaSize
	}
	rs, ok := Addr(size).AlignUp(2 << 20)
	if !ok || uint64(rs) > arenaZones[1].Length() {
		return nil, fmt.Errorf("mm: NewRegions: arena size %#x too large", cfg.ArenaSize)
	}
	return &Regions{mode: cfg.Mode, arenaSize: uint64(rs), maxArenas: cfg.MaxArenas, log: cfg.Log}, nil
}

const protMask = unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC

// Map maps length bytes (a non-zero multiple of PageSize) of private
// anonymous zeroed memory with protection prot, aligned to align (0 means
// PageSize; otherwise a power of two from PageSize to MaxRegionAlign).
// Errors: EINVAL for bad arguments, ENOMEM when no arena can hold the
// region (cap reached or address space exhausted) or the kernel refuses.
func (r *Regions) Map(length, align uint64, prot int) (AddrRange, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ar, err := r.mapLocked(length, align, prot)
	if err != nil {
		r.nFailures++
		r.log.Warn().Err(err).Uint64("length", length).Uint64("align", align).Int("prot", prot).
			Msg("mm: Regions.Map failed")
		return AddrRange{}, err
	}
	r.nMaps++
	r.mapped += ar.Length()
	return ar, nil
}

func (r *Regions) mapLocked(length, align uint64, prot int) (AddrRange, error) {
	if align == 0 {
		align = PageSize
	}
	switch {
	case r.closed:
		return AddrRange{}, unix.EINVAL
	case length == 0 || length%PageSize != 0:
		return AddrRange{}, unix.EINVAL
	case align < PageSize || align > MaxRegionAlign || bits.OnesCount64(align) != 1:
		return AddrRange{}, unix.EINVAL
	case prot&^protMask != 0:
		return AddrRange{}, unix.EINVAL
	}
	if r.mode == Mode64 {
		return r.mapKernelLocked(length, align, prot)
	}
	n, al := length>>PageShift, align>>PageShift
	for _, a := range r.arenas {
		if s, ok := a.findLocked(n, al); ok {
			return r.commitLocked(a, s, n, prot)
		}
	}
	a, err := r.newArenaLocked(length)
	if err != nil {
		return AddrRange{}, err
	}
	s, ok := a.findLocked(n, al)
	if !ok {
		// Unreachable: a fresh arena is aligned to arenaAlign >= align
		// and at least length long.
		return AddrRange{}, unix.ENOMEM
	}
	return r.commitLocked(a, s, n, prot)
}

// findLocked returns the first page of n free pages aligned to al pages:
// first backward from the hint (refilling the hole the last Unmap left),
// then upward from the lowest free page. A successful backward search
// moves the hint to the region found, so a run of Maps keeps filling
// downward.
func (a *arena) findLocked(n, al uint64) (uint64, bool) {
	if a.hint > a.lowFree {
		if s, ok := a.pages.findDown(n, al, a.lowFree, a.hint); ok {
			a.hint = s
			return s, true
		}
		a.hint = 0
	}
	return a.pages.findUp(n, al, a.lowFree, a.pages.len())
}

// commitLocked maps pages [s, s+n) of a over the reservation. On failure
// the bitmap is left as it was.
func (r *Regions) commitLocked(a *arena, s, n uint64, prot int) (AddrRange, error) {
	return r.commitFlagsLocked(a, s, n, prot, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
}

// commitFlagsLocked is commitLocked with the anonymous mapping's flags.
func (r *Regions) commitFlagsLocked(a *arena, s, n uint64, prot, flags int) (AddrRange, error) {
	start := a.r.Start + Addr(s<<PageShift)
	ar, _ := NewRange(start, n<<PageShift) // inside a.r, cannot overflow
	if _, err := sysMmap(ar.Start, ar.Length(), prot, flags|unix.MAP_FIXED, -1, 0); err != nil {
		return AddrRange{}, err
	}
	a.pages.setRange(s, n)
	if a.lowFree >= s && a.lowFree < s+n {
		a.lowFree = a.pages.nextClear(s + n)
	}
	return ar, nil
}

// newArenaLocked reserves an arena of at least minLen bytes in the first
// gap of arenaZones that /proc/self/maps shows free.
func (r *Regions) newArenaLocked(minLen uint64) (*arena, error) {
	if r.maxArenas > 0 && len(r.arenas) >= r.maxArenas {
		return nil, unix.ENOMEM
	}
	size := r.arenaSize
	if minLen > size {
		s, ok := Addr(minLen).AlignUp(2 << 20)
		if !ok {
			return nil, unix.ENOMEM
		}
		size = uint64(s)
	}
	// Another thread (the Go runtime, another Regions) may map into the
	// gap between reading the maps and reserving it; NOREPLACE then
	// fails with EEXIST and the search runs again.
	for try := 0; try < 8; try++ {
		es, err := ReadMaps()
		if err != nil {
			r.log.Warn().Err(err).Msg("mm: Regions cannot read /proc/self/maps")
			return nil, unix.ENOMEM
		}
		base, ok := findArenaGap(es, size)
		if !ok {
			return nil, unix.ENOMEM
		}
		_, err = sysMmap(base, size, unix.PROT_NONE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED_NOREPLACE, -1, 0)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return nil, err
		}
		ar, _ := NewRange(base, size) // findArenaGap checked the end
		a := &arena{r: ar, pages: newPageBitmap(size >> PageShift)}
		i := sort.Search(len(r.arenas), func(i int) bool { return r.arenas[i].r.Start > base })
		r.arenas = append(r.arenas, nil)
		copy(r.arenas[i+1:], r.arenas[i:])
		r.arenas[i] = a
		r.reserved += size
		r.log.Debug().Stringer("arena", ar).Int("arenas", len(r.arenas)).Msg("mm: Regions reserved arena")
		return a, nil
	}
	return nil, unix.ENOMEM
}

// findArenaGap returns the lowest base, a multiple of arenaAlign, such that
// [base, base+size) lies inside one of arenaZones and overlaps none of es
// (sorted, as ParseMaps returns them).
func findArenaGap(es []MapsEntry, size uint64) (Addr, bool) {
	for _, z := range arenaZones {
		cand, _ := z.Start.AlignUp(arenaAlign)
		i := 0
		for {
			want, ok := NewRange(cand, size)
			if !ok || want.End > z.End {
				break
			}
			for i < len(es) && es[i].Range.End <= want.Start {
				i++
			}
			if i == len(es) || !es[i].Range.Overlaps(want) {
				return cand, true
			}
			next, ok := es[i].Range.End.AlignUp(arenaAlign)
			if !ok {
				break
			}
			cand = next
		}
	}
	return 0, false
}

// mapKernelLocked is Map in Mode64: a kernel mmap anywhere, aligned by
// sysMmapAligned.
func (r *Regions) mapKernelLocked(length, align uint64, prot int) (AddrRange, error) {
	ar, err := sysMmapAligned(length, align, prot)
	if err != nil {
		return AddrRange{}, err
	}
	r.insertKernelLocked(ar)
	return ar, nil
}

// insertKernelLocked adds ar (disjoint from every kmaps entry) to kmaps,
// merging it with touching neighbours.
func (r *Regions) insertKernelLocked(ar AddrRange) {
	i := sort.Search(len(r.kmaps), func(i int) bool { return r.kmaps[i].Start >= ar.End })
	// r.kmaps[i-1], if any, is the last entry starting before ar.End; it
	// ends at or before ar.Start.
	if i > 0 && r.kmaps[i-1].End == ar.Start {
		ar.Start = r.kmaps[i-1].Start
		r.kmaps = append(r.kmaps[:i-1], r.kmaps[i:]...)
		i--
	}
	if i < len(r.kmaps) && r.kmaps[i].Start == ar.End {
		ar.End = r.kmaps[i].End
		r.kmaps = append(r.kmaps[:i], r.kmaps[i+1:]...)
	}
	r.kmaps = append(r.kmaps, AddrRange{})
	copy(r.kmaps[i+1:], r.kmaps[i:])
	r.kmaps[i] = ar
}

// kernelIndexLocked returns the index of the kmaps entry that contains ar,
// or -1.
func (r *Regions) kernelIndexLocked(ar AddrRange) int {
	i := sort.Search(len(r.kmaps), func(i int) bool { return r.kmaps[i].End > ar.Start })
	if i < len(r.kmaps) && r.kmaps[i].IsSupersetOf(ar) {
		return i
	}
	return -1
}

// arenaLocked returns the arena that holds ar entirely, with the first
// page index of ar in it, or nil.
func (r *Regions) arenaLocked(ar AddrRange) (*arena, uint64) {
	i := sort.Search(len(r.arenas), func(i int) bool { return r.arenas[i].r.End > ar.Start })
	if i < len(r.arenas) && r.arenas[i].r.IsSupersetOf(ar) {
		a := r.arenas[i]
		return a, uint64(ar.Start-a.r.Start) >> PageShift
	}
	return nil, 0
}

// checkRangeLocked validates an Unmap/Protect range: non-empty,
// page-aligned, and mapped entirely by this Regions.
func (r *Regions) checkRangeLocked(ar AddrRange) error {
	if r.closed || ar.Start >= ar.End || !ar.IsPageAligned() {
		return unix.EINVAL
	}
	if r.mode == Mode64 {
		if r.kernelIndexLocked(ar) < 0 {
			return unix.EINVAL
		}
		return nil
	}
	a, first := r.arenaLocked(ar)
	if a == nil || !a.pages.isSet(first, ar.Pages()) {
		return unix.EINVAL
	}
	return nil
}

// Unmap returns ar, a whole region from Map or a page-aligned part of one
// (or of several adjacent ones), to the Regions. In Mode32 the pages are
// discarded and the range is reserved PROT_NONE again; in Mode64 it is
// unmapped. A range that is not entirely mapped by this Regions fails with
// EINVAL and changes nothing.
func (r *Regions) Unmap(ar AddrRange) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.unmapViewsLocked(ar)
	if err != nil {
		r.nFailures++
		r.log.Warn().Err(err).Stringer("range", ar).Msg("mm: Regions.Unmap failed")
		return err
	}
	r.nUnmaps++
	r.mapped -= n
	return nil
}

func (r *Regions) unmapLocked(ar AddrRange) error {
	if err := r.checkRangeLocked(ar); err != nil {
		return err
	}
	if r.mode == Mode64 {
		if err := sysMunmap(ar); err != nil {
			return err
		}
		i := r.kernelIndexLocked(ar)
		e := r.kmaps[i]
		r.kmaps = append(r.kmaps[:i], r.kmaps[i+1:]...)
		if head := (AddrRange{Start: e.Start, End: ar.Start}); head.Length() > 0 {
			r.insertKernelLocked(head)
		}
		if tail := (AddrRange{Start: ar.End, End: e.End}); tail.Length() > 0 {
			r.insertKernelLocked(tail)
		}
		return nil
	}
	a, first := r.arenaLocked(ar)
	// The caller gives the memory up, so discarding it first is harmless
	// even if the remap below fails (then the range stays mapped, zeroed,
	// and still the caller's).
	if err := sysMadvise(ar, unix.MADV_DONTNEED); err != nil {
		return err
	}
	if _, err := sysMmap(ar.Start, ar.Length(), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED, -1, 0); err != nil {
		return err
	}
	n := ar.Pages()
	a.pages.clearRange(first, n)
	a.lowFree = min(a.lowFree, first)
	a.hint = first + n
	return nil
}

// Protect changes the protection of ar, which must be mapped entirely by
// this Regions (else EINVAL, nothing changed).
func (r *Regions) Protect(ar AddrRange, prot int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.checkRangeLocked(ar)
	if err == nil && (prot&^protMask != 0 || r.dualOverlapLocked(ar)) {
		err = unix.EINVAL
	}
	if err == nil {
		err = sysMprotect(ar, prot)
	}
	if err != nil {
		r.nFailures++
		r.log.Warn().Err(err).Stringer("range", ar).Int("prot", prot).Msg("mm: Regions.Protect failed")
		return err
	}
	r.nProtects++
	return nil
}

// MapBlock implements BlockSource: Map(length, align, PROT_READ|PROT_WRITE).
func (r *Regions) MapBlock(length, align uint64) (AddrRange, error) {
	return r.Map(length, align, unix.PROT_READ|unix.PROT_WRITE)
}

// UnmapBlock implements BlockSource.
func (r *Regions) UnmapBlock(ar AddrRange) error { return r.Unmap(ar) }

// Stats returns a snapshot of the counters.
func (r *Regions) Stats() RegionsStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return RegionsStats{
		Mode:          r.mode,
		Arenas:        len(r.arenas),
		ReservedBytes: r.reserved,
		MappedBytes:   r.mapped,
		Maps:          r.nMaps,
		Unmaps:        r.nUnmaps,
		Protects:      r.nProtects,
		Failures:      r.nFailures,
	}
}

// OwnedRanges reports, for the audit, every arena (Mode32) or region
// (Mode64) as ClassInternal. It calls yield without holding the lock.
func (r *Regions) OwnedRanges(yield func(AddrRange, Class)) {
	r.mu.Lock()
	var rs []AddrRange
	for _, a := range r.arenas {
		rs = append(rs, a.r)
	}
	rs = append(rs, r.kmaps...)
	r.mu.Unlock()
	for _, ar := range rs {
		yield(ar, ClassInternal)
	}
}

// Close unmaps every arena (Mode32) or region (Mode64). Memory handed out
// by Map must not be used afterwards. Later calls of any method fail with
// EINVAL; Close itself may be called again.
func (r *Regions) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	var first error
	for _, a := range r.arenas {
		if err := sysMunmap(a.r); err != nil && first == nil {
			first = err
		}
	}
	for _, ar := range r.kmaps {
		if err := sysMunmap(ar); err != nil && first == nil {
			first = err
		}
	}
	r.arenas, r.kmaps = nil, nil
	r.duals = nil
	r.mapped, r.reserved = 0, 0
	r.closed = true
	return first
}

// Check recounts the bookkeeping and compares it with the cached counters:
// every arena's set bits against its bitmap's count, lowFree against the
// lowest free page, the hint against the arena's bounds, the sum
// against MappedBytes, arenas and Mode64 regions sorted, disjoint and
// aligned. It returns the first disagreement.
func (r *Regions) Check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var mapped, reserved uint64
	for i, a := range r.arenas {
		if a.r.Start%arenaAlign != 0 || !a.r.IsPageAligned() || a.r.Start < Limit32 {
			return fmt.Errorf("arena %d: %v misplaced or misaligned", i, a.r)
		}
		if i > 0 && r.arenas[i-1].r.End > a.r.Start {
			return fmt.Errorf("arena %d: %v overlaps or precedes %v", i, a.r, r.arenas[i-1].r)
		}
		if a.pages.len() != a.r.Pages() {
			return fmt.Errorf("arena %d: bitmap of %d pages for %d", i, a.pages.len(), a.r.Pages())
		}
		var set uint64
		for wi, w := range a.pages.words {
			if tail := a.pages.n - uint64(wi)*64; tail < 64 {
				w &= (1 << tail) - 1
			}
			set += uint64(bits.OnesCount64(w))
		}
		if set != a.pages.used {
			return fmt.Errorf("arena %d: %d pages set, bitmap counts %d", i, set, a.pages.used)
		}
		if a.lowFree > a.pages.len() || !a.pages.isSet(0, a.lowFree) {
			return fmt.Errorf("arena %d: a page below lowFree %d is free", i, a.lowFree)
		}
		if a.lowFree < a.pages.len() && a.pages.test(a.lowFree) {
			return fmt.Errorf("arena %d: lowFree %d is not the lowest free page", i, a.lowFree)
		}
		if a.hint > a.pages.len() {
			return fmt.Errorf("arena %d: hint %d past the arena's %d pages", i, a.hint, a.pages.len())
		}
		mapped += set << PageShift
		reserved += a.r.Length()
	}
	for i, ar := range r.kmaps {
		if ar.Start >= ar.End || !ar.IsPageAligned() {
			return fmt.Errorf("region %d: bad range %v", i, ar)
		}
		if i > 0 && r.kmaps[i-1].End >= ar.Start {
			return fmt.Errorf("region %d: %v overlaps or touches %v", i, ar, r.kmaps[i-1])
		}
		mapped += ar.Length()
	}
	if mapped != r.mapped || reserved != r.reserved {
		return fmt.Errorf("recounted %d bytes mapped, %d reserved; cached %d, %d", mapped, reserved, r.mapped, r.reserved)
	}
	return nil
}
