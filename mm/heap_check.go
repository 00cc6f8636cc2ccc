package mm

import (
	"fmt"
	"math/bits"
)

// Check walks every block and verifies every invariant of the heap,
// recounting what the counters cache. It returns the first violation found,
// or nil. It costs O(mapped bytes / 16) for LIST blocks and O(slices) for
// MAP blocks: a test and debugging tool, not for hot paths.
//
// The heap's own records (Go memory) are verified first, every block's
// included; a violation there is a bug of the heap. Then the memory of each
// block not quarantined is compared with the records: a disagreement there
// means someone wrote into a block, and is returned wrapping ErrCorrupt,
// as is the presence of quarantined blocks. Whatever a guest writes into
// block memory, Check returns nil or an error wrapping ErrCorrupt. It
// reads block memory and never changes anything.
func (h *Heap) Check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	if err := h.checkRecordsLocked(); err != nil {
		return err
	}
	for p := range h.pinned {
		if _, _, err := h.findLocked(p); err != nil {
			return fmt.Errorf("pinned %v is not a live allocation: %v", p, err)
		}
	}
	var quarantined []*heapBlock
	for _, c := range append([]*heapClass{h.list}, h.maps...) {
		for _, b := range c.blocks {
			if b == nil {
				continue
			}
			if b.quarantined {
				quarantined = append(quarantined, b)
				continue
			}
			corrupt := b.corrupt
			var err error
			switch c.kind {
			case kindList:
				err = h.checkListLocked(b)
			case kindMap:
				err = h.checkMapLocked(b)
			}
			b.corrupt = corrupt // Check's reads do not mark the block
			if err != nil {
				return fmt.Errorf("%w: %s block %v: %v", ErrCorrupt, c.kind, b.r, err)
			}
		}
	}
	if len(quarantined) > 0 {
		b := quarantined[0]
		return fmt.Errorf("%w: %d blocks quarantined, the first %s block %v (%s)", ErrCorrupt, len(quarantined),
			b.cls.kind, b.r, b.corrupt)
	}
	return nil
}

// checkRecordsLocked verifies everything Check verifies that lives in Go
// memory: nothing a guest can write.
func (h *Heap) checkRecordsLocked() error {
	var mapped, granules, quarantined uint64
	nslots := 0
	for s, b := range h.slots {
		if b == nil {
			continue
		}
		nslots++
		if b.quarantined {
			quarantined++
			if b.corrupt == "" {
				return fmt.Errorf("block %v quarantined without a reason", b.r)
			}
		} else if b.corrupt != "" {
			return fmt.Errorf("block %v found corrupted (%s) but not quarantined", b.r, b.corrupt)
		}
		if b.slot != int32(s) {
			return fmt.Errorf("block %v: slot %d recorded as %d", b.r, s, b.slot)
		}
		if err := checkViews(b); err != nil {
			return fmt.Errorf("%s block %v: %w", b.cls.kind, b.r, err)
		}
		mapped += b.r.Length()
		for g := b.r.Start &^ (heapGranule - 1); g < b.r.End; g += heapGranule {
			if v := h.index.get(g); v != uint32(s)+1 {
				return fmt.Errorf("block %v: index at %v holds %d, want %d", b.r, g, v, s+1)
			}
			granules++
		}
	}
	if err := checkFreeList(h.freeSlots, len(h.slots), func(i int32) bool { return h.slots[i] == nil }); err != nil {
		return fmt.Errorf("free slots: %w", err)
	}
	if nslots+len(h.freeSlots) != len(h.slots) {
		return fmt.Errorf("%d live slots + %d free != %d", nslots, len(h.freeSlots), len(h.slots))
	}
	// Every block's granules name it; with the count equal, no entry names
	// anything else.
	if granules != h.index.n {
		return fmt.Errorf("index has %d entries, blocks cover %d granules", h.index.n, granules)
	}
	if mapped != h.mapped {
		return fmt.Errorf("mapped bytes: recount %d, counter %d", mapped, h.mapped)
	}
	if quarantined != h.quarantined {
		return fmt.Errorf("quarantined blocks: recount %d, counter %d", quarantined, h.quarantined)
	}
	if h.peakMapped < h.mapped {
		return fmt.Errorf("peak mapped %d below mapped %d", h.peakMapped, h.mapped)
	}
	for _, c := range append([]*heapClass{h.list, h.large}, h.maps...) {
		var st KindStats
		empty := 0
		if c.cur != nil && (c.cur.cls != c || c.cur.slot < 0 || int(c.cur.slot) >= len(h.slots) ||
			h.slots[c.cur.slot] != c.cur) {
			return fmt.Errorf("%s: current block %v is not a live block of the kind", c.kind, c.cur.r)
		}
		if c.cur != nil && c.cur.quarantined {
			return fmt.Errorf("%s: current block %v is quarantined", c.kind, c.cur.r)
		}
		if c.kind != kindMap && (c.cur != nil || c.hotN != 0) {
			return fmt.Errorf("%s: current block or hot ring set on a kind other than MAP", c.kind)
		}
		if c.kind == kindLarge && len(c.blocks)+len(c.freeIdx)+c.tree.n != 0 {
			return fmt.Errorf("large: %d blocks, %d free indexes, %d tree leaves, want none", len(c.blocks),
				len(c.freeIdx), c.tree.n)
		}
		if err := checkFreeList(c.freeIdx, len(c.blocks), func(i int32) bool { return c.blocks[i] == nil }); err != nil {
			return fmt.Errorf("%s free indexes: %w", c.kind, err)
		}
		// find must never name a leaf past the blocks.
		for i := len(c.blocks); i < c.tree.n; i++ {
			if v := c.tree.get(i); v != 0 {
				return fmt.Errorf("%s: fit tree leaf %d past the %d blocks holds %d", c.kind, i, len(c.blocks), v)
			}
		}
		if c.hotN > uint32(len(c.hot)) {
			return fmt.Errorf("%s: hot ring holds %d entries, more than %d", c.kind, c.hotN, len(c.hot))
		}
		for _, e := range c.hot {
			if e.b != nil && (e.b.cls != c || e.b.slot < 0 || int(e.b.slot) >= len(h.slots) ||
				h.slots[e.b.slot] != e.b || e.i >= c.nslices || e.b.quarantined) {
				return fmt.Errorf("%s: hot ring names slice %d of %v, not a live block of the kind in service",
					c.kind, e.i, e.b.r)
			}
		}
		for i, b := range c.blocks {
			if b == nil {
				if c.tree.get(i) != 0 {
					return fmt.Errorf("%s: free block index %d has tree value %d", c.kind, i, c.tree.get(i))
				}
				continue
			}
			if b.cidx != int32(i) || b.cls != c || h.slots[b.slot] != b {
				return fmt.Errorf("%s block %v: index %d/%d or slot %d inconsistent", c.kind, b.r, b.cidx, i, b.slot)
			}
			if b.r.Start%Addr(c.blockSize) != 0 || b.r.Length() != c.blockSize {
				return fmt.Errorf("%s block %v: not aligned to its size %d", c.kind, b.r, c.blockSize)
			}
			var err error
			switch c.kind {
			case kindList:
				err = b.checkListRecords()
			case kindMap:
				err = b.checkMapRecords()
			}
			if err != nil {
				return fmt.Errorf("%s block %v: %w", c.kind, b.r, err)
			}
			if v := c.tree.get(i); b.quarantined && v != 0 {
				return fmt.Errorf("%s block %v: quarantined, fit tree holds %d", c.kind, b.r, v)
			}
			if b.nlive == 0 && !b.quarantined {
				empty++
			}
			st.Blocks++
			st.MappedBytes += b.r.Length()
			st.LiveBytes += b.live
			st.LiveAllocs += b.nlive
		}
		if c.kind == kindLarge {
			for _, b := range h.slots {
				if b != nil && b.cls == c {
					if b.nlive != 1 || b.live != b.r.Length() {
						return fmt.Errorf("large %v: %d live allocations of %d bytes", b.r, b.nlive, b.live)
					}
					st.Blocks++
					st.MappedBytes += b.r.Length()
					st.LiveBytes += b.live
					st.LiveAllocs += b.nlive
				}
			}
		}
		if err := c.tree.check(); err != nil {
			return fmt.Errorf("%s fit tree: %w", c.kind, err)
		}
		want := c.stats
		want.SliceSize = 0
		if st != want {
			return fmt.Errorf("%s counters %+v, recount %+v", c.kind, c.stats, st)
		}
		if empty != c.empty {
			return fmt.Errorf("%s: %d empty blocks, counter %d", c.kind, empty, c.empty)
		}
		if empty > 1 {
			return fmt.Errorf("%s: %d empty blocks kept, at most 1 allowed", c.kind, empty)
		}
	}
	return nil
}

// checkListRecords verifies a LIST block's records: the live chunks that
// starts and busy describe (every live header busy, every run of busy
// units starting at a live header, the sentinel's unit free) add up to the
// block's live counters; first is a header offset; the fit tree holds
// maxfree unless the block is quarantined (then 0, checked by the caller).
func (b *heapBlock) checkListRecords() error {
	end := b.sentinel()
	units := uint64(len(b.mem)) / listHeader
	if uint64(len(b.busy)) != (units+63)/64 {
		return fmt.Errorf("busy bitmap has %d words, want %d", len(b.busy), (units+63)/64)
	}
	if testBit(b.starts, 0) {
		return fmt.Errorf("a live payload starts at offset 0")
	}
	if testBit(b.busy, uint64(end)/listHeader) {
		return fmt.Errorf("the sentinel's unit is busy")
	}
	for w := range b.busy {
		heads := b.starts[w] >> 1
		if w+1 < len(b.starts) {
			heads |= b.starts[w+1] << 63
		}
		var before uint64 // bit j: unit 64w+j-1 is busy
		if w > 0 {
			before = b.busy[w-1] >> 63
		}
		before |= b.busy[w] << 1
		if x := heads &^ b.busy[w]; x != 0 {
			return fmt.Errorf("live chunk at %#x is not busy", (w*64+bits.TrailingZeros64(x))*listHeader)
		}
		if x := b.busy[w] &^ before &^ heads; x != 0 {
			return fmt.Errorf("busy unit at %#x follows a free one but is no live chunk's header",
				(w*64+bits.TrailingZeros64(x))*listHeader)
		}
	}
	nlive := popcount(b.starts)
	if live := popcount(b.busy)*listHeader - nlive*listHeader; nlive != b.nlive || live != b.live {
		return fmt.Errorf("records hold %d live bytes in %d chunks, counters %d in %d", live, nlive, b.live, b.nlive)
	}
	if b.first > end || b.first%listHeader != 0 {
		return fmt.Errorf("first %#x is not a header offset", b.first)
	}
	if v := b.cls.tree.get(int(b.cidx)); !b.quarantined && v != b.maxfree {
		return fmt.Errorf("fit tree holds %d, maxfree is %d", v, b.maxfree)
	}
	return nil
}

// checkListLocked walks a LIST block's memory: marks agree both ways,
// offsets stay inside the block, every live chunk's size is the one the
// records give and no free chunk holds a busy unit, no two free chunks are
// neighbours, first is the lowest free chunk, maxfree bounds the largest
// free payload, the starts bitmap has exactly the live payloads, and the
// live counters match.
func (h *Heap) checkListLocked(b *heapBlock) error {
	end := b.sentinel()
	if pm := b.prevMark(0); pm != markFill {
		return fmt.Errorf("first header's prev mark %#x, want %#x", pm, uint32(markFill))
	}
	if b.nextMark(end) != 0 {
		return fmt.Errorf("sentinel at %#x has next mark %#x, want 0", end, b.nextMark(end))
	}
	var (
		x         uint32
		prevFree  bool
		firstFree = end
		maxFree   uint32
		live      uint64
		nlive     uint64
		nfree     int
	)
	prevFill := uint32(markFill)
	for x != end {
		m := b.nextMark(x)
		offs := m & markOffs
		if offs < listMinChunk || offs%16 != 0 || offs > end-x {
			return fmt.Errorf("chunk at %#x: next offset %#x out of range", x, offs)
		}
		if pf := b.prevMark(x) & markFill; pf != prevFill {
			return fmt.Errorf("chunk at %#x: prev fill %d disagrees with the previous chunk", x, pf>>31)
		}
		nx := x + offs
		if pm := b.prevMark(nx); pm&markOffs != offs || pm&markFill != m&markFill {
			return fmt.Errorf("chunk at %#x: next header %#x has prev mark %#x, want %#x", x, nx, pm,
				m&markFill|offs)
		}
		payload := uint64(x) + listHeader
		if m&markFill == 0 {
			if prevFree {
				return fmt.Errorf("chunks before %#x and at %#x are both free", x, x)
			}
			if firstFree == end {
				firstFree = x
			}
			maxFree = max(maxFree, offs-listHeader)
			nfree++
			if testBit(b.starts, payload/16) {
				return fmt.Errorf("free chunk at %#x has its start bit set", x)
			}
			if b.anyBusy(x, nx) {
				return fmt.Errorf("free chunk at %#x overlaps a live chunk", x)
			}
		} else {
			if !testBit(b.starts, payload/16) {
				return fmt.Errorf("live chunk at %#x has no start bit", x)
			}
			if e := b.liveExtent(x); e != offs {
				return fmt.Errorf("live chunk at %#x has size %#x, the records %#x", x, offs, e)
			}
			live += uint64(offs) - listHeader
			nlive++
		}
		prevFree = m&markFill == 0
		prevFill = m & markFill
		x = nx
	}
	if pf := b.prevMark(end) & markFill; pf != prevFill {
		return fmt.Errorf("sentinel's prev fill %d disagrees with the last chunk", pf>>31)
	}
	if b.first > firstFree {
		return fmt.Errorf("first is %#x, above the lowest free chunk %#x", b.first, firstFree)
	}
	if err := b.checkBins(nfree); err != nil {
		return err
	}
	if b.maxfree < uint64(maxFree) {
		return fmt.Errorf("maxfree %d below the largest free payload %d", b.maxfree, maxFree)
	}
	if n := popcount(b.starts); n != nlive {
		return fmt.Errorf("%d start bits set, %d live chunks", n, nlive)
	}
	if live != b.live || nlive != b.nlive {
		return fmt.Errorf("recount %d live bytes in %d chunks, counters %d in %d", live, nlive, b.live, b.nlive)
	}
	return nil
}

// checkMapRecords verifies a MAP block's records: no start bit past the
// last slice, maxfree counts the free slices, no free slice lies below
// lowest, the fit tree's leaf is 1 if a slice is free (0 or 1 if none is;
// 0 if the block is quarantined, checked by the caller), and the live
// counters match.
func (b *heapBlock) checkMapRecords() error {
	c := b.cls
	var used uint64
	lowestFree := c.nslices
	for w := uint32(0); w < c.mapWords(); w++ {
		valid := ^uint64(0)
		if rem := c.nslices - w*64; rem < 64 {
			valid = 1<<rem - 1
		}
		v := b.starts[w]
		if v&^valid != 0 {
			return fmt.Errorf("starts word %d has bits past the last slice (%#x)", w, v)
		}
		used += uint64(bits.OnesCount64(v))
		if free := ^v & valid; free != 0 && lowestFree == c.nslices {
			lowestFree = w*64 + uint32(bits.TrailingZeros64(free))
		}
	}
	if b.maxfree != uint64(c.nslices)-used {
		return fmt.Errorf("maxfree %d, %d slices free", b.maxfree, uint64(c.nslices)-used)
	}
	if b.lowest > lowestFree {
		return fmt.Errorf("lowest %d above the lowest free slice %d", b.lowest, lowestFree)
	}
	// A block that filled may keep its leaf of 1 until a search finds it
	// full; a block with a free slice must have 1.
	if v := c.tree.get(int(b.cidx)); !b.quarantined && (v > 1 || (b.maxfree > 0 && v != 1)) {
		return fmt.Errorf("fit tree holds %d, %d slices free", v, b.maxfree)
	}
	if used != b.nlive || b.live != used*c.slice {
		return fmt.Errorf("%d slices used, counters %d allocations of %d bytes", used, b.nlive, b.live)
	}
	return nil
}

// checkMapLocked verifies a MAP block's memory: the in-block bitmap equals
// the starts mirror and the bits past the last slice are set.
func (h *Heap) checkMapLocked(b *heapBlock) error {
	c := b.cls
	for w := uint32(0); w < c.mapWords(); w++ {
		v := b.mapWord(w)
		var valid uint64 = ^uint64(0)
		if rem := c.nslices - w*64; rem < 64 {
			valid = 1<<rem - 1
			if v&^valid != ^valid {
				return fmt.Errorf("bitmap word %d: bits past the last slice not set (%#x)", w, v)
			}
		}
		if v&valid != b.starts[w] {
			return fmt.Errorf("bitmap word %d is %#x, starts mirror %#x", w, v&valid, b.starts[w])
		}
	}
	return nil
}

// checkBins verifies the bin lists: every listed chunk is free, inside the
// block, in the bin of its size, linked back to its predecessor; the lists
// hold nfree chunks in all (every free chunk, as the caller counted them);
// the bin mask has exactly the non-empty bins.
func (b *heapBlock) checkBins(nfree int) error {
	end := b.sentinel()
	n := 0
	for i, head := range b.bins.head {
		if (head != noLink) != (b.bins.mask[i/64]&(1<<(i%64)) != 0) {
			return fmt.Errorf("bin %d: head %#x disagrees with the bin mask", i, head)
		}
		prev := noLink
		for x := head; x != noLink; x = b.binNext(x) {
			if x >= end || x%16 != 0 {
				return fmt.Errorf("bin %d: link %#x out of range", i, x)
			}
			m := b.nextMark(x)
			if m&markFill != 0 || m == 0 || binOf(m&markOffs-listHeader) != i {
				return fmt.Errorf("bin %d: chunk %#x (mark %#x) does not belong there", i, x, m)
			}
			if b.binPrev(x) != prev {
				return fmt.Errorf("bin %d: chunk %#x links back to %#x, want %#x", i, x, b.binPrev(x), prev)
			}
			prev = x
			if n++; n > nfree {
				return fmt.Errorf("bins hold more chunks than the %d free ones", nfree)
			}
		}
	}
	if n != nfree {
		return fmt.Errorf("bins hold %d chunks, %d are free", n, nfree)
	}
	return nil
}

// checkViews verifies a live block's cached views and Go-side records
// against its kind: mem views exactly r; bmap (MAP blocks in service only:
// the fast free path takes a non-nil bmap to mean such a block) views the
// in-block bitmap; starts has
// one bit per 16 bytes (LIST) or per slice (MAP); a LIST block has bins.
func checkViews(b *heapBlock) error {
	c := b.cls
	if v := memView(b.r.Start, b.r.Length()); len(b.mem) != len(v) || &b.mem[0] != &v[0] {
		return fmt.Errorf("block memory view is not the block")
	}
	var bmap []uint64
	var nstarts uint64
	switch c.kind {
	case kindList:
		nstarts = b.r.Length() / 16
	case kindMap:
		if !b.quarantined {
			bmap = memWords(b.r.Start+Addr(c.bitmapOff), uint64(c.mapWords()))
		}
		nstarts = uint64(c.nslices)
	}
	if len(b.bmap) != len(bmap) || (bmap != nil && &b.bmap[0] != &bmap[0]) {
		return fmt.Errorf("bitmap view of %d words is not the in-block bitmap of %d", len(b.bmap), len(bmap))
	}
	if uint64(len(b.starts)) != (nstarts+63)/64 {
		return fmt.Errorf("starts bitmap has %d words, want %d", len(b.starts), (nstarts+63)/64)
	}
	if c.kind == kindList && b.bins == nil {
		return fmt.Errorf("LIST block without bins")
	}
	return nil
}

// checkFreeList verifies a list of free indexes: each below n, naming a free
// entry (isFree), none twice.
func checkFreeList(free []int32, n int, isFree func(int32) bool) error {
	seen := make(map[int32]bool, len(free))
	for _, i := range free {
		if i < 0 || int(i) >= n || !isFree(i) || seen[i] {
			return fmt.Errorf("index %d out of range, in use or listed twice", i)
		}
		seen[i] = true
	}
	return nil
}

func popcount(w []uint64) uint64 {
	var n int
	for _, v := range w {
		n += bits.OnesCount64(v)
	}
	return uint64(n)
}

// check verifies that every inner node is the maximum of its children.
func (t *fitTree) check() error {
	for j := 1; j < t.n; j++ {
		if t.v[j] != max(t.v[2*j], t.v[2*j+1]) {
			return fmt.Errorf("node %d holds %d, children %d and %d", j, t.v[j], t.v[2*j], t.v[2*j+1])
		}
	}
	return nil
}
