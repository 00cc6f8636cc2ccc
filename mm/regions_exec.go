package mm

import (
	"golang.org/x/sys/unix"
)

// Executable memory: one set of pages seen through two views.
//
// Code minemu generates is written through a read-write view and run
// through a read-execute view of the same pages; no view is ever writable
// and executable at once, so a guest that reaches minemu's memory (a
// 64-bit guest can name any address) finds nothing it can both write and
// run. The pages are a shared anonymous mapping (the RW view) that mremap
// with an old size of 0 duplicates (the RX view): shmem pages like a
// memfd's, without a file descriptor, so nothing appears in the guest's
// descriptor space. In Mode32 both views lie in the arenas above 4 GiB;
// in Mode64 the kernel places them.

// dualRegion is a MapExec region: its RW view and its RX view.
type dualRegion struct{ rw, rx AddrRange }

// MapExec maps length bytes (a non-zero multiple of PageSize) of zeroed
// memory twice: rw, read-write and aligned to align (0 means PageSize; a
// power of two up to MaxRegionAlign), and at rx, read-execute, the same
// pages. Unmap of the whole rw range unmaps both views; any other Unmap or
// Protect touching either view fails with EINVAL.
func (r *Regions) MapExec(length, align uint64) (rw AddrRange, rx Addr, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, err := r.mapExecLocked(length, align)
	if err != nil {
		r.nFailures++
		r.log.Warn().Err(err).Uint64("length", length).Uint64("align", align).Msg("mm: Regions.MapExec failed")
		return AddrRange{}, 0, err
	}
	if r.duals == nil {
		r.duals = map[Addr]dualRegion{}
	}
	r.duals[d.rw.Start] = d
	r.nMaps++
	r.mapped += d.rw.Length() + d.rx.Length()
	return d.rw, d.rx.Start, nil
}

// MapExecBlock implements ExecBlockSource: MapExec.
func (r *Regions) MapExecBlock(length, align uint64) (AddrRange, Addr, error) {
	return r.MapExec(length, align)
}

func (r *Regions) mapExecLocked(length, align uint64) (dualRegion, error) {
	const rwProt, rxProt = unix.PROT_READ | unix.PROT_WRITE, unix.PROT_READ | unix.PROT_EXEC
	const shared = unix.MAP_SHARED | unix.MAP_ANONYMOUS
	if align == 0 {
		align = PageSize
	}
	if r.closed || length == 0 || length%PageSize != 0 || align < PageSize || align > MaxRegionAlign || align&(align-1) != 0 {
		return dualRegion{}, unix.EINVAL
	}
	if r.mode == Mode64 {
		rw, err := sysMmapAlignedFlags(length, align, rwProt, shared)
		if err != nil {
			return dualRegion{}, err
		}
		a, err := sysMremapDup(rw.Start, length, unix.MREMAP_MAYMOVE, 0)
		if err != nil {
			sysMunmap(rw)
			return dualRegion{}, err
		}
		rx, _ := NewRange(a, length) // the kernel mapped it
		if err := sysMprotect(rx, rxProt); err != nil {
			sysMunmap(rx)
			sysMunmap(rw)
			return dualRegion{}, err
		}
		r.insertKernelLocked(rw)
		r.insertKernelLocked(rx)
		return dualRegion{rw: rw, rx: rx}, nil
	}
	n := length >> PageShift
	rw, err := r.placeLocked(n, align>>PageShift, func(a *arena, s uint64) (AddrRange, error) {
		return r.commitFlagsLocked(a, s, n, rwProt, shared)
	})
	if err != nil {
		return dualRegion{}, err
	}
	rx, err := r.placeLocked(n, 1, func(a *arena, s uint64) (AddrRange, error) {
		at := a.r.Start + Addr(s<<PageShift)
		if _, err := sysMremapDup(rw.Start, length, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, at); err != nil {
			return AddrRange{}, err
		}
		v, _ := NewRange(at, length) // inside a.r
		if err := sysMprotect(v, rxProt); err != nil {
			r.unmapArenaRangeLocked(v) // back to the reservation
			return AddrRange{}, err
		}
		a.pages.setRange(s, n)
		if a.lowFree >= s && a.lowFree < s+n {
			a.lowFree = a.pages.nextClear(s + n)
		}
		return v, nil
	})
	if err != nil {
		r.unmapArenaRangeLocked(rw)
		return dualRegion{}, err
	}
	return dualRegion{rw: rw, rx: rx}, nil
}

// placeLocked finds n free pages aligned to al pages in an arena (making a
// new arena when none has room) and calls commit with them (Mode32).
func (r *Regions) placeLocked(n, al uint64, commit func(a *arena, s uint64) (AddrRange, error)) (AddrRange, error) {
	for _, a := range r.arenas {
		if s, ok := a.findLocked(n, al); ok {
			return commit(a, s)
		}
	}
	a, err := r.newArenaLocked(n << PageShift)
	if err != nil {
		return AddrRange{}, err
	}
	s, ok := a.findLocked(n, al)
	if !ok {
		return AddrRange{}, unix.ENOMEM // unreachable, as in mapLocked
	}
	return commit(a, s)
}

// unmapArenaRangeLocked returns a Mode32 range that is mapped (bits set or
// not) to the reservation and clears its bits.
func (r *Regions) unmapArenaRangeLocked(v AddrRange) {
	a, first := r.arenaLocked(v)
	if a == nil {
		return
	}
	sysMmap(v.Start, v.Length(), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED, -1, 0)
	a.pages.clearRange(first, v.Pages())
	a.lowFree = min(a.lowFree, first)
}

// dualOverlapLocked reports whether ar touches a view of a MapExec region.
func (r *Regions) dualOverlapLocked(ar AddrRange) bool {
	for _, d := range r.duals {
		if d.rw.Overlaps(ar) || d.rx.Overlaps(ar) {
			return true
		}
	}
	return false
}

// unmapViewsLocked unmaps ar and, when ar is the RW view of a MapExec
// region, its RX view; it returns the bytes unmapped. A range that touches
// a view otherwise fails with EINVAL.
func (r *Regions) unmapViewsLocked(ar AddrRange) (uint64, error) {
	d, dual := r.duals[ar.Start]
	if dual && d.rw != ar || !dual && r.dualOverlapLocked(ar) {
		return 0, unix.EINVAL
	}
	if err := r.unmapLocked(ar); err != nil {
		return 0, err
	}
	if !dual {
		return ar.Length(), nil
	}
	delete(r.duals, ar.Start)
	if err := r.unmapLocked(d.rx); err != nil {
		return ar.Length(), err
	}
	return ar.Length() + d.rx.Length(), nil
}

// ExecBlockSource is a BlockSource that can also map executable blocks
// (MapExec's two views): Regions.
type ExecBlockSource interface {
	BlockSource
	// MapExecBlock maps length bytes read-write at rw, aligned to align,
	// and the same pages read-execute at rx; UnmapBlock(rw) unmaps both.
	MapExecBlock(length, align uint64) (rw AddrRange, rx Addr, err error)
}
