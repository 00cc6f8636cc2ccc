package mm

import (
	"fmt"
	"slices"
	"sync"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// GuestSpaceConfig configures a GuestSpace.
type GuestSpaceConfig struct {
	// Mode is Mode32 (the guest owns Window, placement is minemu's) or
	// Mode64 (placement is the kernel's).
	Mode Mode
	// Window is the part of the address space the guest owns in Mode32:
	// page-aligned, inside [GuestWindowStart, TaskSize32). The zero value
	// means the whole [GuestWindowStart, TaskSize32), what a 32-bit
	// process may map on an x86-64 kernel; tests use smaller windows. It
	// must be zero in Mode64, where the guest may use any user address.
	Window AddrRange
	// StackTop is the top of the guest's stack area. Mode32 default:
	// Window.End, which for the default window is TaskSize32 (0xffffe000):
	// the kernel puts a compat process's stack right below it. Mode64
	// default: 0, the kernel chooses the stack's place like any other
	// mapping.
	StackTop Addr
	// StackGap is the room kept below StackTop for the stack to grow in
	// before the mmap base, where top-down placement starts (Linux keeps at
	// least 128 MiB). Mode32 default: 128 MiB, or a quarter of the window
	// when that is smaller. Unused in Mode64.
	StackGap uint64
	// Log receives refusals at warn level and every operation at debug
	// level. The zero Logger logs nothing.
	Log zerolog.Logger
	// MapBudget is how many kernel mappings guest memory (host-heap blocks
	// included) may take; 0 means vm.max_map_count less DefaultMapReserve
	// (guestspace_mapcount.go).
	MapBudget int
}

// DefaultStackGap is the Mode32 StackGap when none is configured: Linux's
// minimum gap between the stack top and the mmap base.
const DefaultStackGap = 128 << 20

// GuestSpaceStats is a snapshot of a GuestSpace's state and counters.
type GuestSpaceStats struct {
	Mode        string `json:"mode"`
	WindowStart uint64 `json:"window_start"`
	WindowEnd   uint64 `json:"window_end"`
	StackTop    uint64 `json:"stack_top"`
	MmapBase    uint64 `json:"mmap_base"`
	BrkBase     uint64 `json:"brk_base"`
	Brk         uint64 `json:"brk"`

	VMAs          int    `json:"vmas"`            // recorded areas (guest and host heap)
	GuestBytes    uint64 `json:"guest_bytes"`     // bytes of guest mappings
	HostHeapBytes uint64 `json:"host_heap_bytes"` // bytes of host-heap blocks
	// TrampolineBytes is the bytes of minemu's own code pages in the guest
	// space (MapTrampoline).
	TrampolineBytes uint64 `json:"trampoline_bytes"`
	ForeignBytes    uint64 `json:"foreign_bytes"` // Mode32: window bytes mapped by others, never used

	Mmaps       uint64 `json:"mmaps"`
	Munmaps     uint64 `json:"munmaps"`
	Mprotects   uint64 `json:"mprotects"`
	Mremaps     uint64 `json:"mremaps"`
	Madvises    uint64 `json:"madvises"`
	Brks        uint64 `json:"brks"`
	BlockMaps   uint64 `json:"block_maps"`
	BlockUnmaps uint64 `json:"block_unmaps"`
	// Refused counts requests refused because they would have unmapped,
	// replaced or changed a host-heap block or a foreign mapping.
	Refused uint64 `json:"refused"`
	// Collisions counts the kernel's EEXIST on pages the bookkeeping had
	// as free: a mapping made behind GuestSpace's back. In Mode32 it is
	// then looked up in /proc/self/maps, marked foreign and stepped over.
	Collisions uint64 `json:"collisions"`
	MapCountStats
}

// GuestSpace is the guest's address space: its mmap, munmap, mprotect,
// mremap, madvise and brk, and the guest-visible host memory (host-heap
// blocks) that shares it. See the package documentation ("GuestSpace") for
// the design. It is safe for concurrent use.
type GuestSpace struct {
	// Immutable after NewGuestSpace.
	mode Mode
	// window is where guest memory may lie: Mode32 the configured window,
	// Mode64 [GuestWindowStart, TaskSize64).
	window AddrRange
	// stackTop and mmapBase (Mode32): top-down placement searches
	// [window.Start, mmapBase) first, then [mmapBase, window.End)
	// bottom-up; window.Start < mmapBase <= stackTop <= window.End.
	stackTop Addr
	mmapBase Addr
	log      zerolog.Logger

	mu sync.RWMutex

	// bits (Mode32 only, nil in Mode64) has one bit per page of
	// [0, window.End), indexed by absolute page number so that page-index
	// alignment is address alignment. Inside the window a bit is set
	// exactly when the page belongs to a vma or to foreign; bits below
	// window.Start are always clear and never searched. Guarded by mu.
	bits *pageBitmap
	// vmas records every mapping this GuestSpace made and still holds.
	// Every page of a vma is mapped by the kernel with the vma's prot.
	// Guarded by mu.
	vmas vmaSet
	// foreign (Mode32) is the sorted, coalesced list of window ranges that
	// someone else had mapped when we looked (at creation, or when the
	// kernel refused a placement with EEXIST). Disjoint from vmas; their
	// bits are set, so they are never used, even if later unmapped.
	// Guarded by mu.
	foreign []AddrRange
	// scratch is reused by operations that collect ranges (munmap runs,
	// claimed gaps) so that steady-state operations do not allocate.
	// Empty between operations. Guarded by mu.
	scratch []AddrRange
	// brkBase is the page-aligned start of the program break area (0 until
	// SetBrkBase); brk is the break the guest set last (brkBase <= brk).
	// The pages [brkBase, roundUp(brk)) were mapped by Brk, though the
	// guest may have unmapped some since. Guarded by mu.
	brkBase, brk Addr
	// hook is called, without mu held, after pages of guest memory were
	// unmapped, replaced, reprotected, moved or discarded. Guarded by mu.
	hook func(AddrRange)
	// closed is set by Close; every later operation fails. Guarded by mu.
	closed bool
	// stats holds the counters of GuestSpaceStats (the state fields are
	// filled in by Stats). Guarded by mu.
	stats GuestSpaceStats
	// lim is the guest's resource limits and future-lock state
	// (guestspace_limits.go). Guarded by mu.
	lim guestLimits
	// maps is the guest's share of vm.max_map_count
	// (guestspace_mapcount.go). Guarded by mu.
	maps mapAccount
}

// protRWX are the protection bits a guest may ask for.
const protRWX = unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC

// mmapPassFlags are the mmap flags passed to the kernel as the guest gave
// them; mmapIgnoredFlags are accepted and dropped (the kernel ignores
// them too, or, for MAP_GROWSDOWN, minemu places the stack itself; see
// the package documentation).
const (
	mmapPassFlags = unix.MAP_ANONYMOUS | unix.MAP_NORESERVE | unix.MAP_POPULATE | unix.MAP_NONBLOCK |
		unix.MAP_STACK | unix.MAP_LOCKED | unix.MAP_SYNC
	mmapIgnoredFlags = unix.MAP_DENYWRITE | unix.MAP_EXECUTABLE | unix.MAP_GROWSDOWN
	mmapPlaceFlags   = unix.MAP_FIXED | unix.MAP_FIXED_NOREPLACE
)

// maxPlaceTries bounds how often one placement steps over foreign
// mappings that the kernel reports; each try marks what it found, so
// reaching the bound means mappings come and go faster than we can look.
const maxPlaceTries = 64

// NewGuestSpace returns an empty guest address space. In Mode32 every
// mapping already present in the window (the test binary's image, a C
// heap, anything) is read from /proc/self/maps and marked used.
func NewGuestSpace(cfg GuestSpaceConfig) (*GuestSpace, error) {
	g := &GuestSpace{mode: cfg.Mode, log: cfg.Log}
	g.maps.budget = mapBudget(cfg.MapBudget)
	switch cfg.Mode {
	case Mode32:
		w := cfg.Window
		if w == (AddrRange{}) {
			w = AddrRange{Start: GuestWindowStart, End: TaskSize32}
		}
		if !w.IsPageAligned() || w.Start < GuestWindowStart || w.End > TaskSize32 || w.Start >= w.End {
			return nil, fmt.Errorf("mm: guest window %v must be page-aligned, non-empty and inside [%v, %v)",
				w, GuestWindowStart, TaskSize32)
		}
		g.window = w
		g.stackTop = cfg.StackTop
		if g.stackTop == 0 {
			g.stackTop = w.End
		}
		gap := cfg.StackGap
		if gap == 0 {
			gap = min(uint64(DefaultStackGap), (w.Length()/4)&^PageMask)
		}
		if !g.stackTop.IsPageAligned() || g.stackTop <= w.Start || g.stackTop > w.End ||
			gap&PageMask != 0 || gap >= uint64(g.stackTop-w.Start) {
			return nil, fmt.Errorf("mm: stack top %v with gap %#x does not fit the guest window %v",
				g.stackTop, gap, w)
		}
		g.mmapBase = g.stackTop - Addr(gap)
		g.bits = newPageBitmap(uint64(w.End) >> PageShift)
		if _, err := g.discoverForeignLocked(); err != nil {
			return nil, fmt.Errorf("mm: reading the host's mappings: %w", err)
		}
	case Mode64:
		if cfg.Window != (AddrRange{}) {
			return nil, fmt.Errorf("mm: a Mode64 guest space has no window (got %v)", cfg.Window)
		}
		g.window = AddrRange{Start: GuestWindowStart, End: TaskSize64}
		g.stackTop = cfg.StackTop
		if !g.stackTop.IsPageAligned() || g.stackTop > UserLimit {
			return nil, fmt.Errorf("mm: stack top %v is not a page-aligned user address", g.stackTop)
		}
	default:
		return nil, fmt.Errorf("mm: invalid mode %v", cfg.Mode)
	}
	g.log.Debug().Stringer("mode", g.mode).Stringer("window", g.window).Stringer("mmap_base", g.mmapBase).
		Int("foreign_ranges", len(g.foreign)).Msg("guest space created")
	return g, nil
}

// Window returns the range guest memory may occupy.
func (g *GuestSpace) Window() AddrRange { return g.window }

// StackTop returns the top of the guest's stack area (0 in Mode64 unless
// configured: let the kernel choose).
func (g *GuestSpace) StackTop() Addr { return g.stackTop }

// MmapBase returns where Mode32 top-down placement starts (0 in Mode64).
func (g *GuestSpace) MmapBase() Addr { return g.mmapBase }

// SetChangeHook sets the function called after guest pages of r were
// unmapped, replaced (MAP_FIXED, MREMAP_FIXED), reprotected, moved away by
// mremap, or discarded by madvise. It is called without GuestSpace's lock
// held, so it may call back into GuestSpace.
func (g *GuestSpace) SetChangeHook(f func(r AddrRange)) {
	g.mu.Lock()
	g.hook = f
	g.mu.Unlock()
}

// changeSet collects the ranges an operation changed, to be passed to the
// change hook after the lock is released. It lives on the caller's stack.
type changeSet struct {
	r [3]AddrRange // r[:n] are the ranges to report, in order
	n int          // 0 <= n <= len(r); a fourth range widens the last one
}

func (c *changeSet) add(r AddrRange) {
	if r.Start >= r.End {
		return
	}
	if c.n < len(c.r) {
		c.r[c.n] = r
		c.n++
		return
	}
	// More ranges than slots (no operation produces that today): widen the
	// last one; reporting too much is safe, too little is not.
	last := &c.r[len(c.r)-1]
	last.Start, last.End = min(last.Start, r.Start), max(last.End, r.End)
}

func (c *changeSet) fire(hook func(AddrRange)) {
	if hook == nil {
		return
	}
	for i := 0; i < c.n; i++ {
		hook(c.r[i])
	}
}

// errClosed is what every operation returns after Close.
var errClosed = unix.EINVAL

// page returns the absolute page number of a.
func page(a Addr) uint64 { return uint64(a) >> PageShift }

// pageRange returns [addr, addr+length) with length rounded up to whole
// pages, as the memory system calls take it; ok is false on overflow.
func pageRange(addr Addr, length uint64) (AddrRange, bool) {
	plen, ok := Addr(length).RoundUp()
	if !ok {
		return AddrRange{}, false
	}
	return NewRange(addr, uint64(plen))
}

// limit is the TASK_SIZE of a process of this mode: the first address
// nothing may be mapped at. Ranges reaching past it are refused with the
// errno Linux gives for them (see checkFixed, munmapLocked), while ranges
// below it but outside a smaller test window are merely unavailable.
func (g *GuestSpace) limit() Addr {
	if g.mode == Mode32 {
		return TaskSize32
	}
	return TaskSize64
}

// refuseLocked logs and counts a request refused because it touches memory
// that is not the guest's to change.
func (g *GuestSpace) refuseLocked(op string, r AddrRange, why string, errno unix.Errno) error {
	g.stats.Refused++
	g.log.Info().Str("op", op).Stringer("range", r).Str("reason", why).Str("errno", errno.Error()).
		Msg("guest memory request refused")
	return errno
}

// checkFixed validates a range the guest names exactly (MAP_FIXED,
// MREMAP_FIXED): below mmap_min_addr is EPERM as on Linux, past TASK_SIZE
// (limit) is beyond (mmap: ENOMEM, mremap: EINVAL, as Linux checks it),
// elsewhere outside the window ENOMEM.
func (g *GuestSpace) checkFixed(r AddrRange, beyond unix.Errno) error {
	switch {
	case r.Start < GuestWindowStart:
		return unix.EPERM
	case r.End > g.limit():
		return beyond
	case !g.window.IsSupersetOf(r):
		return unix.ENOMEM
	}
	return nil
}

// recordLocked records v and marks its pages used.
func (g *GuestSpace) recordLocked(v vma) {
	g.vmas.insert(v)
	if g.bits != nil {
		g.bits.setRange(page(v.r.Start), v.r.Pages())
	}
}

// unrecordLocked forgets the recorded pages of r and marks them free;
// pages of r that no vma holds (foreign ones included) are left alone.
func (g *GuestSpace) unrecordLocked(r AddrRange) {
	if g.bits != nil {
		i, j := g.vmas.span(r)
		for k := i; k < j; k++ {
			p := g.vmas.v[k].r.Intersect(r)
			g.bits.clearRange(page(p.Start), p.Pages())
		}
	}
	g.vmas.remove(r)
}

// forGapsLocked calls f for each maximal part of r that no vma covers, in
// ascending order, until f returns false; it reports whether f always
// returned true.
func (g *GuestSpace) forGapsLocked(r AddrRange, f func(gap AddrRange) bool) bool {
	cur := r.Start
	i, j := g.vmas.span(r)
	for k := i; k < j; k++ {
		v := g.vmas.v[k].r
		if v.Start > cur && !f(AddrRange{Start: cur, End: v.Start}) {
			return false
		}
		cur = max(cur, v.End)
	}
	if cur < r.End {
		return f(AddrRange{Start: cur, End: r.End})
	}
	return true
}

// gapsFreeLocked reports whether no foreign page lies in the parts of r
// that no vma covers (always true in Mode64, where foreign mappings are
// only known from the kernel's answers).
func (g *GuestSpace) gapsFreeLocked(r AddrRange) bool {
	if g.bits == nil {
		return true
	}
	return g.forGapsLocked(r.Intersect(g.window), func(gap AddrRange) bool {
		return g.bits.isClear(page(gap.Start), gap.Pages())
	})
}

// knownFreeLocked reports whether, as far as this GuestSpace knows, no page
// of r (inside the window) is mapped.
func (g *GuestSpace) knownFreeLocked(r AddrRange) bool {
	if g.bits != nil {
		return g.bits.isClear(page(r.Start), r.Pages())
	}
	i, j := g.vmas.span(r)
	return i == j
}

// discoverForeignLocked (Mode32) reads /proc/self/maps and marks every
// page of the window that the kernel has mapped but no vma holds as
// foreign. It returns the number of newly marked pages.
func (g *GuestSpace) discoverForeignLocked() (uint64, error) {
	if g.bits == nil {
		return 0, nil
	}
	es, err := ReadMaps()
	if err != nil {
		g.log.Error().Err(err).Msg("reading /proc/self/maps")
		return 0, err
	}
	var found uint64
	for _, e := range es {
		r := e.Range.Intersect(g.window)
		if r.Start >= r.End {
			continue
		}
		g.forGapsLocked(r, func(gap AddrRange) bool {
			if n := g.bits.setRange(page(gap.Start), gap.Pages()); n > 0 {
				found += n
				g.foreign = append(g.foreign, gap)
				g.log.Info().Stringer("range", gap).Str("path", e.Path).Msg("foreign mapping in the guest window")
			}
			return true
		})
	}
	if found > 0 {
		g.foreign = coalesceRanges(g.foreign)
	}
	return found, nil
}

// coalesceRanges sorts rs and merges overlapping or adjacent ranges.
func coalesceRanges(rs []AddrRange) []AddrRange {
	slices.SortFunc(rs, func(a, b AddrRange) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].End >= r.Start {
			out[n-1].End = max(out[n-1].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// collideLocked handles the kernel's EEXIST at a place the bookkeeping
// had as free: count it and mark what is there.
func (g *GuestSpace) collideLocked(r AddrRange) {
	g.stats.Collisions++
	n, _ := g.discoverForeignLocked()
	g.log.Info().Stringer("range", r).Uint64("new_foreign_pages", n).Msg("kernel reported a mapping at a free place")
}

// placeLocked (Mode32) finds room for length bytes aligned to align (a
// power of two >= PageSize), calls mapAt there and returns the range
// mapAt mapped; mapAt must map with
// MAP_FIXED_NOREPLACE. The hint is tried first when it is free and aligned,
// then the window is searched top-down below the mmap base, then bottom-up
// above it (the stack gap), like the kernel's fallback. A kernel EEXIST
// marks the foreign mapping and searches again.
func (g *GuestSpace) placeLocked(length, align uint64, hint Addr, mapAt func(at Addr) error) (AddrRange, error) {
	n := length >> PageShift
	alignPages := align >> PageShift
	lo, base, hi := page(g.window.Start), page(g.mmapBase), page(g.window.End)
	for try := 0; try < maxPlaceTries; try++ {
		var s uint64
		ok := false
		if hint != 0 && uint64(hint)&(align-1) == 0 {
			if r, rok := NewRange(hint, length); rok && g.window.IsSupersetOf(r) && g.knownFreeLocked(r) {
				s, ok = page(hint), true
			}
		}
		if !ok {
			s, ok = g.bits.findDown(n, alignPages, lo, base)
		}
		if !ok {
			s, ok = g.bits.findUp(n, alignPages, base, hi)
		}
		if !ok {
			return AddrRange{}, unix.ENOMEM
		}
		r, _ := NewRange(Addr(s<<PageShift), length) // inside the window
		err := mapAt(r.Start)
		if err == nil {
			return r, nil
		}
		if err != unix.EEXIST {
			return AddrRange{}, err
		}
		g.collideLocked(r)
	}
	g.log.Error().Uint64("length", length).Msg("placement keeps colliding with foreign mappings")
	return AddrRange{}, unix.ENOMEM
}

// claimGapsLocked maps PROT_NONE reservations over the parts of r no vma
// covers, with MAP_FIXED_NOREPLACE, so that a following MAP_FIXED (or
// MREMAP_FIXED) over r replaces only memory of ours. The reservations are
// left in g.scratch; on failure those made are undone and scratch is empty.
func (g *GuestSpace) claimGapsLocked(r AddrRange) error {
	g.scratch = g.scratch[:0]
	var err error
	g.forGapsLocked(r, func(gap AddrRange) bool {
		_, err = sysMmap(gap.Start, gap.Length(), unix.PROT_NONE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED_NOREPLACE, -1, 0)
		if err != nil {
			return false
		}
		g.scratch = append(g.scratch, gap)
		return true
	})
	if err != nil {
		g.releaseClaimsLocked()
	}
	return err
}

// releaseClaimsLocked unmaps the reservations claimGapsLocked left in
// scratch (after the operation they were for failed).
func (g *GuestSpace) releaseClaimsLocked() {
	for _, c := range g.scratch {
		if err := sysMunmap(c); err != nil {
			g.log.Error().Err(err).Stringer("range", c).Msg("releasing a reservation")
		}
	}
	g.scratch = g.scratch[:0]
}

// resyncLocked re-reads from the kernel which recorded guest pages of r are
// still mapped (after a MAP_FIXED or mremap that failed part-way) and
// forgets those that are not. Most failures change nothing (the kernel
// checks its arguments before it unmaps), so each recorded area is probed
// whole first and only one the kernel no longer maps entirely is walked
// page by page. scratch must be empty; it is empty again afterwards.
func (g *GuestSpace) resyncLocked(r AddrRange, ch *changeSet) {
	damaged := g.scratch[:0]
	i, j := g.vmas.span(r)
	for k := i; k < j; k++ {
		if v := g.vmas.v[k]; v.kind == vmaGuest {
			if p := v.r.Intersect(r); !sysProbeMapped(p) {
				damaged = append(damaged, p)
			}
		}
	}
	for _, d := range damaged {
		for a := d.Start; a < d.End; a += PageSize {
			p := AddrRange{Start: a, End: a + PageSize} // inside d
			if !sysProbeMapped(p) {
				g.unrecordLocked(p)
				ch.add(p)
			}
		}
	}
	g.scratch = damaged[:0]
}

// sysProbeMapped reports whether every page of r is mapped: msync with
// MS_ASYNC does nothing on modern kernels but fails with ENOMEM when part
// of the range is unmapped.
func sysProbeMapped(r AddrRange) bool {
	_, _, e := unix.Syscall(unix.SYS_MSYNC, uintptr(r.Start), uintptr(r.Length()), unix.MS_ASYNC)
	return e == 0
}

// Mmap implements mmap(2) for the guest. addr is a hint unless flags hold
// MAP_FIXED or MAP_FIXED_NOREPLACE; errors are unix.Errno values.
func (g *GuestSpace) Mmap(addr Addr, length uint64, prot, flags, fd int, off int64) (Addr, error) {
	var ch changeSet
	g.mu.Lock()
	a, err := g.mmapLocked(addr, length, prot, flags, fd, off, &ch)
	hook := g.hook
	g.mu.Unlock()
	ch.fire(hook)
	return a, err
}

func (g *GuestSpace) mmapLocked(addr Addr, length uint64, prot, flags, fd int, off int64, ch *changeSet) (Addr, error) {
	if g.closed {
		return 0, errClosed
	}
	g.stats.Mmaps++
	typ := flags & unix.MAP_TYPE
	if length == 0 || prot&^protRWX != 0 || off&PageMask != 0 ||
		(typ != unix.MAP_SHARED && typ != unix.MAP_PRIVATE && typ != unix.MAP_SHARED_VALIDATE) {
		return 0, unix.EINVAL
	}
	if rest := flags &^ (unix.MAP_TYPE | mmapPassFlags | mmapIgnoredFlags | mmapPlaceFlags | unix.MAP_32BIT); rest != 0 ||
		flags&unix.MAP_HUGETLB != 0 {
		g.log.Info().Int("flags", flags).Msg("mmap: unsupported flags")
		if typ == unix.MAP_SHARED_VALIDATE {
			return 0, unix.EOPNOTSUPP
		}
		return 0, unix.EINVAL
	}
	plen, ok := Addr(length).RoundUp()
	if !ok {
		return 0, unix.ENOMEM
	}
	length = uint64(plen)
	kflags := typ | flags&mmapPassFlags | g.lockFlagLocked()
	if g.mode == Mode64 {
		kflags |= flags & unix.MAP_32BIT
	}
	v := vma{prot: prot, flags: typ, kind: vmaGuest}
	if typ == unix.MAP_SHARED_VALIDATE {
		v.flags = unix.MAP_SHARED
	}
	if flags&unix.MAP_ANONYMOUS != 0 {
		fd, off = -1, 0
		v.flags |= unix.MAP_ANONYMOUS
	}
	// A stack (MAP_GROWSDOWN, which minemu does not pass on) is not data
	// for RLIMIT_DATA.
	v.flags |= flags & unix.MAP_GROWSDOWN
	doMap := func(at Addr, place int) error {
		_, err := sysMmap(at, length, prot, kflags|place, fd, off)
		return err
	}

	if flags&mmapPlaceFlags != 0 {
		if !addr.IsPageAligned() {
			return 0, unix.EINVAL
		}
		r, ok := NewRange(addr, length)
		if !ok {
			return 0, unix.ENOMEM
		}
		if err := g.checkFixed(r, unix.ENOMEM); err != nil {
			return 0, err
		}
		if !g.mayExpandLocked(isData(prot, v.flags), r.Pages()-g.guestPagesInLocked(r)) {
			return 0, unix.ENOMEM
		}
		v.r = r
		noreplace := flags&unix.MAP_FIXED_NOREPLACE != 0
		if err := g.mapFixedLocked("mmap", v, noreplace, func(place int) error { return doMap(r.Start, place) }, ch); err != nil {
			return 0, err
		}
		if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
			ev.Stringer("range", r).Int("prot", prot).Int("flags", flags).Msg("mmap fixed")
		}
		return r.Start, nil
	}

	if err := g.mapRoomLocked("mmap", 1, unix.ENOMEM); err != nil {
		return 0, err
	}
	if !g.mayExpandLocked(isData(prot, v.flags), length>>PageShift) {
		return 0, unix.ENOMEM
	}
	hint := addr.RoundDown()
	if hint >= g.limit() {
		hint = 0 // a hint past 47 bits would let the kernel use 5-level addresses
	}
	if g.mode == Mode64 {
		a, err := sysMmap(hint, length, prot, kflags, fd, off)
		if err != nil {
			return 0, err
		}
		v.r, _ = NewRange(a, length) // the kernel mapped it
	} else {
		r, err := g.placeLocked(length, PageSize, hint, func(at Addr) error {
			return doMap(at, unix.MAP_FIXED_NOREPLACE)
		})
		if err != nil {
			return 0, err
		}
		v.r = r
	}
	g.recordLocked(v)
	if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
		ev.Stringer("range", v.r).Int("prot", prot).Int("flags", flags).Msg("mmap")
	}
	return v.r.Start, nil
}

// mapFixedLocked maps v.r exactly, by calling do with MAP_FIXED_NOREPLACE
// when nothing of ours is there or with MAP_FIXED after claiming the free
// parts when guest pages are to be replaced. It refuses (ENOMEM, or EEXIST
// with noreplace) when a host-heap block or a foreign mapping is in the
// way: neither may ever be replaced by guest memory.
func (g *GuestSpace) mapFixedLocked(op string, v vma, noreplace bool, do func(place int) error, ch *changeSet) error {
	r := v.r
	i, j := g.vmas.span(r)
	if noreplace && (i < j || !g.knownFreeLocked(r)) {
		return unix.EEXIST
	}
	for k := i; k < j; k++ {
		if g.vmas.v[k].kind != vmaGuest {
			return g.refuseLocked(op, r, "would replace a host-heap block", unix.ENOMEM)
		}
	}
	if !g.gapsFreeLocked(r) {
		return g.refuseLocked(op, r, "would replace a foreign mapping", unix.ENOMEM)
	}
	add := 1 + g.splitsLocked(r) // the mapping, and the records it cuts
	if i < j {
		add += g.gapsLocked(r) // the claims, while they last
	}
	if err := g.mapRoomLocked(op, add, unix.ENOMEM); err != nil {
		return err
	}
	if i == j {
		if err := do(unix.MAP_FIXED_NOREPLACE); err != nil {
			if err != unix.EEXIST {
				return err
			}
			g.collideLocked(r)
			if noreplace {
				return unix.EEXIST
			}
			return g.refuseLocked(op, r, "would replace a foreign mapping", unix.ENOMEM)
		}
	} else {
		if err := g.claimGapsLocked(r); err != nil {
			if err != unix.EEXIST {
				return err
			}
			g.collideLocked(r)
			return g.refuseLocked(op, r, "would replace a foreign mapping", unix.ENOMEM)
		}
		if err := do(unix.MAP_FIXED); err != nil {
			g.releaseClaimsLocked()
			g.resyncLocked(r, ch)
			return err
		}
		g.scratch = g.scratch[:0]
		g.unrecordLocked(r)
		ch.add(r)
	}
	g.recordLocked(v)
	return nil
}

// Munmap implements munmap(2) for the guest. Pages the guest does not have
// mapped are skipped, as on Linux (foreign pages in the window are, for the
// guest, unmapped). A range that touches a host-heap block is refused with
// EINVAL and nothing is unmapped.
func (g *GuestSpace) Munmap(addr Addr, length uint64) error {
	var ch changeSet
	g.mu.Lock()
	err := g.munmapLocked("munmap", addr, length, &ch)
	hook := g.hook
	g.mu.Unlock()
	ch.fire(hook)
	return err
}

func (g *GuestSpace) munmapLocked(op string, addr Addr, length uint64, ch *changeSet) error {
	if g.closed {
		return errClosed
	}
	g.stats.Munmaps++
	if !addr.IsPageAligned() || length == 0 {
		return unix.EINVAL
	}
	r, ok := pageRange(addr, length)
	if !ok || r.End > g.limit() {
		return unix.EINVAL
	}
	return g.unmapGuestLocked(op, r, ch)
}

// unmapGuestLocked unmaps every guest page of r, or nothing (EINVAL) when r
// touches a host-heap block.
func (g *GuestSpace) unmapGuestLocked(op string, r AddrRange, ch *changeSet) error {
	i, j := g.vmas.span(r)
	for k := i; k < j; k++ {
		if g.vmas.v[k].kind != vmaGuest {
			return g.refuseLocked(op, r, "would unmap a host-heap block", unix.EINVAL)
		}
	}
	if err := g.mapRoomLocked(op, g.holeLocked(r), unix.ENOMEM); err != nil {
		return err
	}
	// Unmap maximal runs of adjacent guest pages, one syscall each.
	runs := g.scratch[:0]
	for k := i; k < j; k++ {
		p := g.vmas.v[k].r.Intersect(r)
		if n := len(runs); n > 0 && runs[n-1].End == p.Start {
			runs[n-1].End = p.End
		} else {
			runs = append(runs, p)
		}
	}
	var err error
	done := 0
	for _, run := range runs {
		if err = sysMunmap(run); err != nil {
			break
		}
		done++
	}
	for _, run := range runs[:done] {
		g.unrecordLocked(run)
	}
	if done > 0 {
		ch.add(AddrRange{Start: runs[0].Start, End: runs[done-1].End})
	}
	g.scratch = runs[:0]
	if err != nil {
		g.log.Error().Err(err).Stringer("range", r).Msg("munmap failed part-way")
	} else {
		if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
			ev.Stringer("range", r).Msg(op)
		}
	}
	return err
}

// Mprotect implements mprotect(2) for the guest: every page of the range
// must be guest memory, else ENOMEM (as for unmapped pages on Linux; a
// host-heap block is, for the guest, not its mapping) and nothing changes.
func (g *GuestSpace) Mprotect(addr Addr, length uint64, prot int) error {
	var ch changeSet
	g.mu.Lock()
	err := g.mprotectLocked(addr, length, prot, &ch)
	hook := g.hook
	g.mu.Unlock()
	ch.fire(hook)
	return err
}

func (g *GuestSpace) mprotectLocked(addr Addr, length uint64, prot int, ch *changeSet) error {
	if g.closed {
		return errClosed
	}
	g.stats.Mprotects++
	if !addr.IsPageAligned() || prot&^protRWX != 0 {
		return unix.EINVAL
	}
	if length == 0 {
		return nil
	}
	r, ok := pageRange(addr, length)
	if !ok {
		return unix.ENOMEM
	}
	i, j := g.vmas.span(r)
	cur := r.Start
	for k := i; k < j; k++ {
		v := g.vmas.v[k]
		if v.r.Start > cur {
			return unix.ENOMEM
		}
		if v.kind != vmaGuest {
			return g.refuseLocked("mprotect", r, "would change a host-heap block", unix.ENOMEM)
		}
		cur = v.r.End
	}
	if cur < r.End {
		return unix.ENOMEM
	}
	if err := g.mapRoomLocked("mprotect", g.protSplitsLocked(r, prot), unix.ENOMEM); err != nil {
		return err
	}
	// One syscall per recorded area, in order, so that a failure part-way
	// (EACCES on a read-only file's shared mapping) leaves the bookkeeping
	// exact: the kernel too stops at the first area it cannot change.
	var grown uint64 // pages that became data (RLIMIT_DATA)
	for k := i; k < j; k++ {
		v := g.vmas.v[k]
		p := v.r.Intersect(r)
		err := error(unix.ENOMEM)
		if g.mayProtectLocked(v, prot, p, grown) {
			err = sysMprotect(p, prot)
		}
		if err != nil {
			done := AddrRange{Start: r.Start, End: p.Start}
			if done.Start < done.End {
				g.vmas.setProt(done, prot)
				ch.add(done)
			}
			return err
		}
		if !isData(v.prot, v.flags) && isData(prot, v.flags) {
			grown += p.Pages()
		}
	}
	g.vmas.setProt(r, prot)
	ch.add(r)
	if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
		ev.Stringer("range", r).Int("prot", prot).Msg("mprotect")
	}
	return nil
}

// madviseAllowed are the advice values passed to the kernel; others are
// EINVAL (MADV_HWPOISON and the like have no business in a guest).
var madviseAllowed = [...]int{
	unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED, unix.MADV_DONTNEED,
	unix.MADV_FREE, unix.MADV_REMOVE, unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_MERGEABLE,
	unix.MADV_UNMERGEABLE, unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE, unix.MADV_DONTDUMP, unix.MADV_DODUMP,
	unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK, unix.MADV_COLD, unix.MADV_PAGEOUT,
	unix.MADV_POPULATE_READ, unix.MADV_POPULATE_WRITE,
}

// Madvise implements madvise(2) for the guest. The advice is applied to the
// guest pages of the range only; if the range also holds pages that are not
// the guest's (unmapped, or a host-heap block, which is never advised), the
// result is ENOMEM, as Linux reports unmapped pages. Advice that discards
// contents (DONTNEED, FREE, REMOVE) calls the change hook.
func (g *GuestSpace) Madvise(addr Addr, length uint64, advice int) error {
	var ch changeSet
	g.mu.Lock()
	err := g.madviseLocked(addr, length, advice, &ch)
	hook := g.hook
	g.mu.Unlock()
	ch.fire(hook)
	return err
}

func (g *GuestSpace) madviseLocked(addr Addr, length uint64, advice int, ch *changeSet) error {
	if g.closed {
		return errClosed
	}
	g.stats.Madvises++
	if !addr.IsPageAligned() || !slices.Contains(madviseAllowed[:], advice) {
		return unix.EINVAL
	}
	if length == 0 {
		return nil
	}
	r, ok := pageRange(addr, length)
	if !ok {
		return unix.EINVAL
	}
	if adviceSplits(advice) {
		// The kernel answers EAGAIN when it cannot split for advice.
		if err := g.mapRoomLocked("madvise", g.splitsLocked(r), unix.EAGAIN); err != nil {
			return err
		}
		g.noteAdvisedLocked(r, advice)
	}
	discards := advice == unix.MADV_DONTNEED || advice == unix.MADV_FREE || advice == unix.MADV_REMOVE
	i, j := g.vmas.span(r)
	cur := r.Start
	var result error
	for k := i; k < j; k++ {
		v := g.vmas.v[k]
		p := v.r.Intersect(r)
		if p.Start > cur {
			result = unix.ENOMEM
		}
		cur = p.End
		if v.kind != vmaGuest {
			result = unix.ENOMEM
			continue
		}
		if err := sysMadvise(p, advice); err != nil {
			return err
		}
		if discards {
			ch.add(p)
		}
	}
	if cur < r.End {
		result = unix.ENOMEM
	}
	return result
}

// Mremap implements mremap(2) for the guest (flags MREMAP_MAYMOVE,
// MREMAP_FIXED, MREMAP_DONTUNMAP). The old range must lie in one guest
// mapping (else EFAULT). In Mode32 a move goes to a place found in the
// bitmap, reserved first and then taken with MREMAP_FIXED.
func (g *GuestSpace) Mremap(old Addr, oldLen, newLen uint64, flags int, newAddr Addr) (Addr, error) {
	var ch changeSet
	g.mu.Lock()
	a, err := g.mremapLocked(old, oldLen, newLen, flags, newAddr, &ch)
	hook := g.hook
	g.mu.Unlock()
	ch.fire(hook)
	return a, err
}

func (g *GuestSpace) mremapLocked(old Addr, oldLen, newLen uint64, flags int, newAddr Addr, ch *changeSet) (Addr, error) {
	if g.closed {
		return 0, errClosed
	}
	g.stats.Mremaps++
	const known = unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED | unix.MREMAP_DONTUNMAP
	mayMove := flags&unix.MREMAP_MAYMOVE != 0
	fixed := flags&unix.MREMAP_FIXED != 0
	dontUnmap := flags&unix.MREMAP_DONTUNMAP != 0
	if flags&^known != 0 || (fixed || dontUnmap) && !mayMove || !old.IsPageAligned() {
		return 0, unix.EINVAL
	}
	po, ok1 := Addr(oldLen).RoundUp()
	pn, ok2 := Addr(newLen).RoundUp()
	if !ok1 || !ok2 || pn == 0 {
		return 0, unix.EINVAL
	}
	if po == 0 {
		// Linux duplicates shared mappings for old_len 0; minemu does not.
		g.log.Info().Stringer("addr", old).Msg("mremap with old_len 0 is not supported")
		return 0, unix.EINVAL
	}
	oldLen, newLen = uint64(po), uint64(pn)
	if dontUnmap && oldLen != newLen {
		return 0, unix.EINVAL
	}
	oldR, ok := NewRange(old, oldLen)
	if !ok {
		return 0, unix.EINVAL
	}
	i, found := g.vmas.find(old)
	if !found || !g.vmas.v[i].r.IsSupersetOf(oldR) {
		return 0, unix.EFAULT
	}
	src := g.vmas.v[i]
	if src.kind != vmaGuest {
		return 0, g.refuseLocked("mremap", oldR, "would move a host-heap block", unix.EFAULT)
	}
	if dontUnmap && src.flags != unix.MAP_PRIVATE|unix.MAP_ANONYMOUS {
		return 0, unix.EINVAL
	}
	// RLIMIT_AS and RLIMIT_DATA on what the call adds (the kernel unmaps
	// an MREMAP_FIXED target first); DONTUNMAP keeps the old pages too.
	mayGrow := func(target AddrRange) bool {
		grow := uint64(0)
		if newLen > oldLen {
			grow = (newLen - oldLen) >> PageShift
		}
		if dontUnmap {
			grow += oldLen >> PageShift
		}
		grow -= min(grow, g.guestPagesInLocked(target))
		return g.mayExpandLocked(isData(src.prot, src.flags), grow)
	}

	if fixed {
		if !newAddr.IsPageAligned() {
			return 0, unix.EINVAL
		}
		newR, ok := NewRange(newAddr, newLen)
		if !ok {
			return 0, unix.EINVAL
		}
		if newR.Overlaps(oldR) {
			return 0, unix.EINVAL
		}
		if err := g.checkFixed(newR, unix.EINVAL); err != nil {
			return 0, err
		}
		// The new mapping, the records it cuts and its claims, and the
		// cuts at the old range.
		add := 1 + g.splitsLocked(newR) + g.gapsLocked(newR) + g.splitsLocked(oldR)
		if err := g.mapRoomLocked("mremap", add, unix.ENOMEM); err != nil {
			return 0, err
		}
		if !mayGrow(newR) {
			return 0, unix.ENOMEM
		}
		if err := g.moveLocked(src, oldR, newR, flags, ch); err != nil {
			return 0, err
		}
		return newR.Start, nil
	}

	if !mayGrow(AddrRange{}) {
		return 0, unix.ENOMEM
	}
	if dontUnmap {
		if err := g.mapRoomLocked("mremap", 1+g.splitsLocked(oldR), unix.ENOMEM); err != nil {
			return 0, err
		}
		return g.moveAnywhereLocked(src, oldR, newLen, flags, ch)
	}

	if newLen <= oldLen {
		tail := AddrRange{Start: old + Addr(newLen), End: oldR.End}
		if err := g.mapRoomLocked("mremap", g.holeLocked(tail), unix.ENOMEM); err != nil {
			return 0, err
		}
		if _, err := sysMremap(oldR, newLen, 0, 0); err != nil {
			return 0, err
		}
		if tail.Start < tail.End {
			g.unrecordLocked(tail)
			ch.add(tail)
		}
		return old, nil
	}

	// Grow in place when the pages after the old range are free; a move
	// is a new mapping and a cut at the old range.
	if err := g.mapRoomLocked("mremap", 1+g.splitsLocked(oldR), unix.ENOMEM); err != nil {
		return 0, err
	}
	ext, ok := NewRange(oldR.End, newLen-oldLen)
	if ok && g.window.IsSupersetOf(ext) && g.knownFreeLocked(ext) {
		_, err := sysMremap(oldR, newLen, 0, 0)
		if err == nil {
			nv := src
			nv.r = ext
			g.recordLocked(nv)
			return old, nil
		}
		if err != unix.ENOMEM {
			return 0, err
		}
		if g.bits != nil {
			g.collideLocked(ext) // the bitmap had ext as free: look what is there
		}
	}
	if !mayMove {
		return 0, unix.ENOMEM
	}
	return g.moveAnywhereLocked(src, oldR, newLen, flags, ch)
}

// moveAnywhereLocked moves oldR (part of src) to a new place of newLen
// bytes: in Mode64 where the kernel likes, in Mode32 at a place found like
// an mmap's and reserved first.
func (g *GuestSpace) moveAnywhereLocked(src vma, oldR AddrRange, newLen uint64, flags int, ch *changeSet) (Addr, error) {
	if g.mode == Mode64 {
		a, err := sysMremap(oldR, newLen, flags, 0)
		if err != nil {
			return 0, err
		}
		newR, _ := NewRange(a, newLen) // the kernel mapped it
		g.finishMoveLocked(src, oldR, newR, flags, ch)
		return a, nil
	}
	newR, err := g.placeLocked(newLen, PageSize, 0, func(at Addr) error {
		_, err := sysMmap(at, newLen, unix.PROT_NONE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED_NOREPLACE, -1, 0)
		return err
	})
	if err != nil {
		return 0, err
	}
	if _, err := sysMremap(oldR, newLen, flags|unix.MREMAP_FIXED, newR.Start); err != nil {
		if uerr := sysMunmap(newR); uerr != nil {
			g.log.Error().Err(uerr).Stringer("range", newR).Msg("releasing a reservation")
		}
		g.resyncLocked(oldR, ch)
		return 0, err
	}
	g.finishMoveLocked(src, oldR, newR, flags, ch)
	return newR.Start, nil
}

// moveLocked implements MREMAP_FIXED: newR may replace guest pages, never a
// host-heap block or a foreign mapping (ENOMEM).
func (g *GuestSpace) moveLocked(src vma, oldR, newR AddrRange, flags int, ch *changeSet) error {
	i, j := g.vmas.span(newR)
	for k := i; k < j; k++ {
		if g.vmas.v[k].kind != vmaGuest {
			return g.refuseLocked("mremap", newR, "would replace a host-heap block", unix.ENOMEM)
		}
	}
	if !g.gapsFreeLocked(newR) {
		return g.refuseLocked("mremap", newR, "would replace a foreign mapping", unix.ENOMEM)
	}
	if err := g.claimGapsLocked(newR); err != nil {
		if err != unix.EEXIST {
			return err
		}
		g.collideLocked(newR)
		return g.refuseLocked("mremap", newR, "would replace a foreign mapping", unix.ENOMEM)
	}
	if _, err := sysMremap(oldR, newR.Length(), flags, newR.Start); err != nil {
		g.releaseClaimsLocked()
		g.resyncLocked(newR, ch)
		g.resyncLocked(oldR, ch)
		return err
	}
	g.scratch = g.scratch[:0]
	if i < j {
		g.unrecordLocked(newR)
		ch.add(newR)
	}
	g.finishMoveLocked(src, oldR, newR, flags, ch)
	return nil
}

// finishMoveLocked records a completed move of oldR to newR.
func (g *GuestSpace) finishMoveLocked(src vma, oldR, newR AddrRange, flags int, ch *changeSet) {
	if flags&unix.MREMAP_DONTUNMAP == 0 {
		g.unrecordLocked(oldR)
	}
	ch.add(oldR) // moved away, or (DONTUNMAP) left empty
	nv := src
	nv.r = newR
	g.recordLocked(nv)
	if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
		ev.Stringer("from", oldR).Stringer("to", newR).Msg("mremap moved")
	}
}

// SetBrkBase sets the start of the program break area (the loader calls it
// with the end of the image); it is rounded up to a page like the kernel's
// start_brk. It fails with EINVAL outside the window or once the break has
// grown.
func (g *GuestSpace) SetBrkBase(start Addr) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errClosed
	}
	base, ok := start.RoundUp()
	if !ok || base < g.window.Start || base >= g.window.End {
		return unix.EINVAL
	}
	if g.brkBase != 0 {
		if end, _ := g.brk.RoundUp(); end != g.brkBase {
			return unix.EINVAL
		}
	}
	g.brkBase, g.brk = base, base
	if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
		ev.Stringer("base", base).Msg("brk base")
	}
	return nil
}

// Brk implements brk(2) with the kernel's semantics: it returns the new
// break, or the current one when req is below the base, would run into
// another mapping (keeping a guard page), leaves the window, or cannot be
// mapped. Before SetBrkBase it always returns 0.
func (g *GuestSpace) Brk(req Addr) Addr {
	var ch changeSet
	g.mu.Lock()
	b := g.brkLocked(req, &ch)
	hook := g.hook
	g.mu.Unlock()
	ch.fire(hook)
	return b
}

func (g *GuestSpace) brkLocked(req Addr, ch *changeSet) Addr {
	if g.closed {
		return 0
	}
	g.stats.Brks++
	cur := g.brk
	if g.brkBase == 0 || req < g.brkBase || !g.brkAllowedLocked(req) {
		return cur
	}
	newEnd, ok := req.RoundUp()
	if !ok {
		return cur
	}
	oldEnd, _ := cur.RoundUp()
	switch {
	case newEnd == oldEnd:
	case newEnd < oldEnd:
		r := AddrRange{Start: newEnd, End: oldEnd}
		if err := g.unmapGuestLocked("brk", r, ch); err != nil {
			return cur
		}
	default:
		r := AddrRange{Start: oldEnd, End: newEnd}
		guard, ok := NewRange(newEnd, PageSize)
		if !ok || !g.window.IsSupersetOf(r) {
			return cur
		}
		if g.window.IsSupersetOf(guard) {
			if !g.knownFreeLocked(guard) {
				return cur
			}
			if sysProbeMapped(guard) {
				// A mapping we did not know of right above: keep
				// Linux's guard page from it too.
				if g.bits != nil {
					g.collideLocked(guard)
				}
				return cur
			}
		}
		if !g.knownFreeLocked(r) || !g.mayExpandLocked(true, r.Pages()) || g.mapRoomLocked("brk", 1, unix.ENOMEM) != nil {
			return cur
		}
		_, err := sysMmap(r.Start, r.Length(), unix.PROT_READ|unix.PROT_WRITE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE|g.lockFlagLocked(), -1, 0)
		if err != nil {
			if err == unix.EEXIST && g.bits != nil {
				g.collideLocked(r)
			}
			return cur
		}
		g.recordLocked(vma{r: r, prot: unix.PROT_READ | unix.PROT_WRITE,
			flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, kind: vmaGuest})
	}
	g.brk = req
	return req
}

// MapBlock implements BlockSource: it maps length bytes read-write,
// aligned to align, as guest-visible host memory (a host-heap block). In
// Mode32 the block comes from the guest window through the same bitmap as
// guest mappings, so the two never collide.
func (g *GuestSpace) MapBlock(length, align uint64) (AddrRange, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return AddrRange{}, errClosed
	}
	if length == 0 || length&PageMask != 0 || align < PageSize || align&(align-1) != 0 {
		return AddrRange{}, unix.EINVAL
	}
	g.stats.BlockMaps++
	if err := g.mapRoomLocked("map block", 1, unix.ENOMEM); err != nil {
		return AddrRange{}, err
	}
	const flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	const prot = unix.PROT_READ | unix.PROT_WRITE
	var r AddrRange
	var err error
	if g.mode == Mode32 {
		r, err = g.placeLocked(length, align, 0, func(at Addr) error {
			_, err := sysMmap(at, length, prot, flags|unix.MAP_FIXED_NOREPLACE, -1, 0)
			return err
		})
	} else {
		r, err = sysMmapAligned(length, align, prot)
	}
	if err != nil {
		return AddrRange{}, err
	}
	g.recordLocked(vma{r: r, prot: prot, flags: flags, kind: vmaHostHeap})
	if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
		ev.Stringer("range", r).Msg("host-heap block mapped")
	}
	return r, nil
}

// UnmapBlock implements BlockSource: r must be exactly a block MapBlock
// returned, else EINVAL and nothing changes.
func (g *GuestSpace) UnmapBlock(r AddrRange) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errClosed
	}
	i, ok := g.vmas.find(r.Start)
	if !ok || g.vmas.v[i].r != r || g.vmas.v[i].kind != vmaHostHeap {
		g.log.Warn().Stringer("range", r).Msg("UnmapBlock of a range that is not a host-heap block")
		return unix.EINVAL
	}
	if err := sysMunmap(r); err != nil {
		return err
	}
	g.stats.BlockUnmaps++
	g.unrecordLocked(r)
	if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
		ev.Stringer("range", r).Msg("host-heap block unmapped")
	}
	return nil
}

// Prot returns the protection of the page holding a, and ok=false when the
// guest cannot see a mapping there. Host-heap blocks are guest-visible and
// read-write.
func (g *GuestSpace) Prot(a Addr) (prot int, ok bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	i, ok := g.vmas.find(a)
	if !ok {
		return 0, false
	}
	return g.vmas.v[i].prot, true
}

// IsMapped reports whether every page of r is guest-visible (guest memory
// or a host-heap block) with at least the protection bits of prot. An
// empty r is mapped. It is the check behind guest pointers passed to
// system calls, and does not allocate.
func (g *GuestSpace) IsMapped(r AddrRange, prot int) bool {
	if r.Start >= r.End {
		return true
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	cur := r.Start
	for i := g.vmas.lowerBound(cur); i < len(g.vmas.v); i++ {
		v := &g.vmas.v[i]
		if v.r.Start > cur || v.prot&prot != prot {
			return false
		}
		cur = v.r.End
		if cur >= r.End {
			return true
		}
	}
	return false
}

// MappedPrefix returns the end of the longest prefix of r whose pages are
// all guest-visible (as IsMapped counts them) with at least the protection
// bits of prot: r.End when every page is, r.Start when the first is not,
// else the start of the first page that is not. The syscall layer uses it
// to find where a guest buffer stops being the guest's. It does not
// allocate.
func (g *GuestSpace) MappedPrefix(r AddrRange, prot int) Addr {
	if r.Start >= r.End {
		return r.End
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	cur := r.Start
	for i := g.vmas.lowerBound(cur); i < len(g.vmas.v); i++ {
		v := &g.vmas.v[i]
		if v.r.Start > cur || v.prot&prot != prot {
			break
		}
		cur = v.r.End
		if cur >= r.End {
			return r.End
		}
	}
	return cur
}

// OwnedRanges yields every recorded range for the 4 GiB audit: guest
// mappings as ClassGuest, host-heap blocks as ClassHostHeap, minemu's code
// pages as ClassTrampoline.
func (g *GuestSpace) OwnedRanges(yield func(AddrRange, Class)) {
	g.mu.RLock()
	vs := slices.Clone(g.vmas.v)
	g.mu.RUnlock()
	for _, v := range vs {
		yield(v.r, v.kind.class())
	}
}

// ClassOf says whose the recorded page holding a is: ClassGuest,
// ClassHostHeap or ClassTrampoline; ok is false where GuestSpace recorded
// nothing. The thunks layer asks it to refuse minemu's own pages.
func (g *GuestSpace) ClassOf(a Addr) (c Class, ok bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	i, ok := g.vmas.find(a)
	if !ok {
		return 0, false
	}
	return g.vmas.v[i].kind.class(), true
}

// MapTrampoline maps code, at most one page of it, as minemu's own
// guest-visible code: a page the guest can read and execute but never
// write, unmap, protect or replace (the callback return trap, signal
// return trampolines). The bytes are written before the page becomes
// read-execute, so no view of it is ever writable and executable at once.
// In Mode32 the page comes from the guest window like a host-heap block;
// the audit classifies it ClassTrampoline.
func (g *GuestSpace) MapTrampoline(code []byte) (AddrRange, error) {
	if len(code) == 0 || len(code) > PageSize {
		return AddrRange{}, unix.EINVAL
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return AddrRange{}, errClosed
	}
	if err := g.mapRoomLocked("map trampoline", 1, unix.ENOMEM); err != nil {
		return AddrRange{}, err
	}
	const flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	const rw = unix.PROT_READ | unix.PROT_WRITE
	var r AddrRange
	var err error
	if g.mode == Mode32 {
		r, err = g.placeLocked(PageSize, PageSize, 0, func(at Addr) error {
			_, err := sysMmap(at, PageSize, rw, flags|unix.MAP_FIXED_NOREPLACE, -1, 0)
			return err
		})
	} else {
		r, err = sysMmapAligned(PageSize, PageSize, rw)
	}
	if err != nil {
		return AddrRange{}, err
	}
	copy(memView(r.Start, PageSize), code)
	if err := sysMprotect(r, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		sysMunmap(r)
		return AddrRange{}, err
	}
	g.recordLocked(vma{r: r, prot: unix.PROT_READ | unix.PROT_EXEC, flags: flags, kind: vmaTrampoline})
	if ev := g.log.Debug(); ev != nil { // no boxing of arguments when off
		ev.Stringer("range", r).Msg("trampoline page mapped")
	}
	return r, nil
}

// UnmapTrampoline returns a page MapTrampoline mapped, whole; anything
// else fails with EINVAL and changes nothing.
func (g *GuestSpace) UnmapTrampoline(r AddrRange) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errClosed
	}
	i, ok := g.vmas.find(r.Start)
	if !ok || g.vmas.v[i].r != r || g.vmas.v[i].kind != vmaTrampoline {
		return unix.EINVAL
	}
	if err := sysMunmap(r); err != nil {
		return err
	}
	g.unrecordLocked(r)
	return nil
}

// Stats returns a snapshot of the state and counters.
func (g *GuestSpace) Stats() GuestSpaceStats {
	g.mu.RLock()
	defer g.mu.RUnlock()
	s := g.stats
	s.Mode = g.mode.String()
	s.WindowStart, s.WindowEnd = uint64(g.window.Start), uint64(g.window.End)
	s.StackTop, s.MmapBase = uint64(g.stackTop), uint64(g.mmapBase)
	s.BrkBase, s.Brk = uint64(g.brkBase), uint64(g.brk)
	s.VMAs = len(g.vmas.v)
	s.GuestBytes = g.vmas.pages[vmaGuest] << PageShift
	s.HostHeapBytes = g.vmas.pages[vmaHostHeap] << PageShift
	s.TrampolineBytes = g.vmas.pages[vmaTrampoline] << PageShift
	for _, f := range g.foreign {
		s.ForeignBytes += f.Length()
	}
	s.MapCountStats = g.mapCountStatsLocked()
	return s
}

// Close unmaps every mapping the GuestSpace made (guest memory and
// host-heap blocks). Every later operation fails.
func (g *GuestSpace) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	var first error
	for _, v := range g.vmas.v {
		if err := sysMunmap(v.r); err != nil && first == nil {
			first = err
		}
	}
	g.vmas = vmaSet{}
	g.maps.hidden, g.maps.mergeBase = 0, 0
	g.bits = nil
	g.foreign = nil
	g.closed = true
	return first
}

// Check verifies GuestSpace's invariants by recounting: the vma set is
// sorted, disjoint, inside the window and merged; its page counters match;
// in Mode32 the bitmap holds exactly the vmas and the foreign ranges, its
// used counter matches, and no page below the window is marked; the break
// lies in the window. It returns the first violation found.
func (g *GuestSpace) Check() error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil
	}
	var pages [numVMAKinds]uint64
	for k, v := range g.vmas.v {
		if v.r.Start >= v.r.End || !v.r.IsPageAligned() || !g.window.IsSupersetOf(v.r) {
			return fmt.Errorf("vma %d %v: empty, unaligned or outside the window %v", k, v.r, g.window)
		}
		if v.kind != vmaGuest && v.kind != vmaHostHeap && v.kind != vmaTrampoline {
			return fmt.Errorf("vma %d %v: invalid kind %d", k, v.r, v.kind)
		}
		if k > 0 {
			p := g.vmas.v[k-1]
			if p.r.End > v.r.Start {
				return fmt.Errorf("vmas %v and %v overlap or are unsorted", p.r, v.r)
			}
			if p.mergeable(v) {
				return fmt.Errorf("vmas %v and %v should have been merged", p.r, v.r)
			}
		}
		pages[v.kind] += v.r.Pages()
	}
	if pages != g.vmas.pages {
		return fmt.Errorf("page counters %v, recount %v", g.vmas.pages, pages)
	}
	if g.brkBase != 0 && (g.brk < g.brkBase || g.brk > g.window.End) {
		return fmt.Errorf("break %v outside [%v, %v]", g.brk, g.brkBase, g.window.End)
	}
	if g.bits == nil {
		return nil
	}
	for k, f := range g.foreign {
		if f.Start >= f.End || !g.window.IsSupersetOf(f) || k > 0 && g.foreign[k-1].End >= f.Start {
			return fmt.Errorf("foreign range %d %v: empty, outside the window or not coalesced", k, f)
		}
		if i, j := g.vmas.span(f); i < j {
			return fmt.Errorf("foreign range %v overlaps vma %v", f, g.vmas.v[i].r)
		}
	}
	// Walk the union of the two sorted lists: every range in it must be
	// set in the bitmap, every gap clear, and the used counter must equal
	// the recounted total.
	if p := g.bits.nextSet(0); p < page(g.window.Start) {
		return fmt.Errorf("bitmap page %v below the window is set", Addr(p<<PageShift))
	}
	var used uint64
	cur := g.window.Start
	vi, fi := 0, 0
	for vi < len(g.vmas.v) || fi < len(g.foreign) {
		var r AddrRange
		if fi >= len(g.foreign) || vi < len(g.vmas.v) && g.vmas.v[vi].r.Start < g.foreign[fi].Start {
			r = g.vmas.v[vi].r
			vi++
		} else {
			r = g.foreign[fi]
			fi++
		}
		if gap := (AddrRange{Start: cur, End: r.Start}); gap.Start < gap.End && !g.bits.isClear(page(gap.Start), gap.Pages()) {
			return fmt.Errorf("bitmap has pages of %v set that nothing holds", gap)
		}
		if !g.bits.isSet(page(r.Start), r.Pages()) {
			return fmt.Errorf("bitmap has pages of %v clear", r)
		}
		used += r.Pages()
		cur = r.End
	}
	if gap := (AddrRange{Start: cur, End: g.window.End}); gap.Start < gap.End && !g.bits.isClear(page(gap.Start), gap.Pages()) {
		return fmt.Errorf("bitmap has pages of %v set that nothing holds", gap)
	}
	if used != g.bits.used {
		return fmt.Errorf("bitmap used counter %d, recount %d", g.bits.used, used)
	}
	return nil
}
