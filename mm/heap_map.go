package mm

import "math/bits"

// MAP blocks: MapBlockSize bytes cut into fixed slices from offset 0, with a
// bitmap of the slices at bitmapOff, inside the block as in Box64 (1 = used;
// the bits past the last slice are always 1). lowest is the scan hint: no
// free slice lies below it. maxfree is the exact number of free slices.
// The Go-side starts bitmap mirrors the in-block one; frees and Owns trust
// only the mirror, and an allocation that finds the two disagreeing reports
// ErrCorrupt instead of handing out a live slice twice.

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
	if rem := c.nslices % 64; rem != 0 {
		b.setMapWord(nw-1, ^uint64(0)<<rem)
	}
	b.lowest = 0
	b.maxfree = uint64(c.nslices)
	c.tree.set(int(b.cidx), 1)
}

// mapAllocLocked hands out the lowest free slice of the class's current
// block if it has one (Alloc's fast path does the same), else of the
// leftmost MAP block of class c that has one, mapping a new block when none
// has.
func (h *Heap) mapAllocLocked(c *heapClass) (Addr, error) {
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
				return 0, err
			}
			h.mapInitLocked(b)
		}
		c.cur = b
	}
	if p := h.mapTakeLocked(c, b); p != 0 {
		return p, nil
	}
	for w, v := range b.bmap {
		if v != ^uint64(0) && uint32(w) >= b.lowest/64 {
			return 0, h.corruptLocked(b, "MAP bitmap marks a live slice free")
		}
	}
	return 0, h.corruptLocked(b, "MAP block with free slices has a full bitmap")
}

// mapTakeLocked takes the lowest free slice of b, a block of class c with
// maxfree > 0, and returns its address; 0 if the in-block bitmap has no free
// slice at or above lowest or names a slice the starts mirror says is live
// (the caller reports the corruption). It is the whole MAP allocation once
// the block is chosen: the fast path of Alloc calls it directly.
func (h *Heap) mapTakeLocked(c *heapClass, b *heapBlock) Addr {
	bm, starts := b.bmap, b.starts
	for w := b.lowest / 64; int(w) < len(bm); w++ {
		v := bm[w]
		if v == ^uint64(0) {
			continue
		}
		bit := uint(bits.TrailingZeros64(^v))
		if int(w) >= len(starts) || starts[w]&(1<<bit) != 0 {
			return 0
		}
		bm[w] = v | 1<<bit
		starts[w] |= 1 << bit
		i := w*64 + uint32(bit)
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

// mapFreeLocked frees the live slice at offset off.
func (h *Heap) mapFreeLocked(b *heapBlock, off uint64) {
	c := b.cls
	i := uint32(off >> c.sliceShift)
	clearBit(b.starts, uint64(i))
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
