package mm

import "math/bits"

// MAP blocks: MapBlockSize bytes cut into fixed slices from offset 0, with a
// bitmap of the slices at bitmapOff, inside the block as in Box64 (1 = used;
// the bits past the last slice are always 1). lowest is the scan hint: no
// free slice lies below it. maxfree is the exact number of free slices.
// The Go-side starts bitmap mirrors the in-block one; frees and Owns trust
// only the mirror, and an allocation that finds the two disagreeing
// quarantines the block (Heap.quarantineLocked) instead of handing out a
// live slice twice, and takes its slice from another block. The bitmap
// lies after the last slice, so no write to it touches a live slice.

func (b *heapBlock) mapWord(w uint32) uint64       { return b.bmap[w] }
func (b *heapBlock) setMapWord(w uint32, v uint64) { b.bmap[w] = v }

// mapWords is the number of 64-bit words of a MAP kind's bitmap.
func (c *heapClass) mapWords() uint32 { return (c.nslices + 63) / 64 }

func (h *Heap) mapInitLocked(b *heapBlock) {
	c := b.cls
	nw := c.mapWords()
	b.bmap = memWords(b.r.Start+Addr(c.bitmapOff), uint64(nw))
	for w := uint32(0); w < nw; w++ {
		b.setMapWord(w, 0)
	}
	b.setMapWord(nw-1, c.mapPad)
	b.lowest = 0
	b.maxfree = uint64(c.nslices)
	c.tree.set(int(b.cidx), 1)
}

// mapAllocLocked hands out the lowest free slice of the class's current
// block if it has one (Alloc's fast path does the same), else of the
// leftmost MAP block of class c that has one, mapping a new block when none
// has. A block whose bitmap disagrees with its mirror is quarantined and
// the search goes on; each turn quarantines a block (its leaf becomes 0)
// or returns, and a fresh block can only disagree if another thread wrote
// into it meanwhile, so the turns are bounded.
func (h *Heap) mapAllocLocked(c *heapClass) (Addr, error) {
	for range listFreshTries + len(c.blocks) {
		b, err := h.mapPickLocked(c)
		if err != nil {
			return 0, err
		}
		if p := h.mapTakeLocked(c, b); p != 0 {
			return p, nil
		}
		b.fail("MAP bitmap disagrees with its mirror")
		h.quarantineLocked(b)
	}
	return 0, ErrCorrupt
}

// mapPickLocked returns the block of class c the next slice comes from:
// the current block if it has a free slice, else the leftmost one that
// has, else a new block. It becomes the current block.
func (h *Heap) mapPickLocked(c *heapClass) (*heapBlock, error) {
	b := c.cur
	if b == nil || b.maxfree == 0 {
		// The tree's leaf of a MAP block is 0 if the block is full and 1
		// if it had a free slice when last looked at: a block that fills
		// keeps its 1 until a search finds it full (so a block that fills
		// and then frees a slice, as churn does, costs no tree update).
		b = nil
		for i := c.tree.find(1); i >= 0; i = c.tree.find(1) {
			if b = c.blocks[i]; b.maxfree != 0 {
				break
			}
			c.tree.set(i, 0)
			b = nil
		}
		if b == nil {
			var err error
			if b, err = h.newBlockLocked(c, MapBlockSize, MapBlockSize); err != nil {
				return nil, err
			}
			h.mapInitLocked(b)
		}
		c.cur = b
	}
	return b, nil
}

// mapTakeLocked takes the lowest free slice of b, a block of class c with
// maxfree > 0, and returns its address; 0 if the in-block bitmap has no free
// slice at or above lowest, or if a word it scans differs from the starts
// mirror (bits past the last slice set), so that a forged word is never
// followed (the caller reports the corruption). It is the whole MAP
// allocation once the block is chosen: the fast path of Alloc calls it
// directly.
func (h *Heap) mapTakeLocked(c *heapClass, b *heapBlock) Addr {
	bm, starts := b.bmap, b.starts
	last := len(bm) - 1
	for w := int(b.lowest / 64); w <= last && w < len(starts); w++ {
		v, want := bm[w], starts[w]
		if w == last {
			want |= c.mapPad
		}
		if v != want {
			return 0
		}
		if v == ^uint64(0) {
			continue
		}
		bit := uint(bits.TrailingZeros64(^v))
		i := uint32(w)*64 + uint32(bit)
		bm[w] = v | 1<<bit
		starts[w] |= 1 << bit
		b.lowest = i + 1
		b.maxfree-- // a block that fills keeps its tree leaf; see mapAllocLocked
		h.noteAllocLocked(b, c.slice)
		return b.r.Start + Addr(uint64(i)<<c.sliceShift)
	}
	return 0
}

// mapAllocFastLocked is the fast path of MAP allocation: the latest freed
// slice of kind c still free (c.hot), else the lowest free slice of the
// current block; 0 if neither applies (mapAllocLocked then decides).
func (h *Heap) mapAllocFastLocked(c *heapClass) Addr {
	for c.hotN > 0 {
		c.hotN--
		c.hotTop--
		e := c.hot[c.hotTop%uint32(len(c.hot))]
		b := e.b
		if b == nil {
			continue
		}
		w, bit := e.i/64, uint64(1)<<(e.i%64)
		if b.starts[w]&bit != 0 || b.bmap[w]&bit != 0 {
			continue
		}
		b.starts[w] |= bit
		b.bmap[w] |= bit
		b.maxfree--
		h.noteAllocLocked(b, c.slice)
		return b.r.Start + Addr(uint64(e.i)<<c.sliceShift)
	}
	if b := c.cur; b != nil && b.maxfree != 0 {
		return h.mapTakeLocked(c, b)
	}
	return 0
}

// mapFreeLocked frees the live slice at offset off; in a quarantined block
// only the records change.
func (h *Heap) mapFreeLocked(b *heapBlock, off uint64) {
	c := b.cls
	i := uint32(off >> c.sliceShift)
	clearBit(b.starts, uint64(i))
	if b.quarantined {
		b.lowest = min(b.lowest, i)
		b.maxfree++
		h.noteFreeLocked(b, c.slice)
		return
	}
	b.setMapWord(i/64, b.mapWord(i/64)&^(1<<(i%64)))
	b.lowest = min(b.lowest, i)
	c.cur = b // the next allocation reuses this slice while it is hot
	c.hot[c.hotTop%uint32(len(c.hot))] = hotSlice{b, i}
	c.hotTop++
	c.hotN = min(c.hotN+1, uint32(len(c.hot)))
	if b.maxfree == 0 {
		c.tree.set(int(b.cidx), 1)
	}
	b.maxfree++
	h.noteFreeLocked(b, c.slice)
}
