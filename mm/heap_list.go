package mm

import "encoding/binary"

// LIST blocks: an implicit list of chunks, each starting with a 16-byte
// header written into the block itself:
//
//	offset 0: prev mark (uint32): offs = distance back to the previous
//	          header, fill = the previous chunk is allocated
//	offset 4: next mark (uint32): offs = distance to the next header (the
//	          chunk's total size, header included), fill = this chunk is
//	          allocated
//	offset 8: unused (keeps payloads 16-byte aligned)
//
// A mark is 31 bits of offset and 1 fill bit (the top bit), as Box64's
// mark_t. The first header's prev mark is 0|fill (there is no chunk before
// it, and it must never be coalesced backward); a sentinel header at
// blockSize-16 ends the block: its next mark is 0, its prev mark describes
// the last chunk.

const (
	markFill = 1 << 31
	markOffs = markFill - 1
	// listHeader is the size of a chunk header.
	listHeader = 16
	// listMinChunk is the smallest chunk worth splitting off: a header and
	// 16 bytes of payload.
	listMinChunk = 32
)

func (b *heapBlock) prevMark(h uint32) uint32 { return binary.LittleEndian.Uint32(b.mem[h:]) }
func (b *heapBlock) nextMark(h uint32) uint32 { return binary.LittleEndian.Uint32(b.mem[h+4:]) }
func (b *heapBlock) setPrev(h, m uint32)      { binary.LittleEndian.PutUint32(b.mem[h:], m) }
func (b *heapBlock) setNext(h, m uint32)      { binary.LittleEndian.PutUint32(b.mem[h+4:], m) }

// sentinel is the offset of the block's end header.
func (b *heapBlock) sentinel() uint32 { return uint32(b.r.Length()) - listHeader }

// listMaxPayload is the largest request (aligned to align) that an empty
// LIST block is sure to serve; larger ones get a dedicated mapping.
func (c *heapClass) listMaxPayload(align uint64) uint64 {
	if align <= 16 {
		return c.blockSize - 2*listHeader
	}
	return c.blockSize - 2*listHeader - listMinChunk - align
}

// listInit writes the headers of a fresh block: one free chunk spanning
// everything up to the sentinel.
func (h *Heap) listInitLocked(b *heapBlock) {
	end := b.sentinel()
	b.setPrev(0, markFill)
	b.setNext(0, end)
	b.setPrev(end, end)
	b.setNext(end, 0)
	b.first = 0
	b.maxfree = uint64(end - listHeader)
	b.cls.tree.set(int(b.cidx), b.maxfree)
}

// listAllocLocked serves n bytes aligned to align (<= PageSize) from the
// leftmost LIST block that can: the fit tree names a block whose maxfree is
// large enough, the block is walked first-fit from first; a walk that fails
// makes maxfree exact, which moves the tree past the block.
func (h *Heap) listAllocLocked(n, align uint64) (Addr, error) {
	c := h.list
	need := (n + 15) &^ 15
	bound := need // a chunk this large is sure to serve the request
	if align > 16 {
		bound = need + align + listMinChunk
	}
	for {
		i := c.tree.find(bound)
		if i < 0 {
			break
		}
		b := c.blocks[i]
		hdr, p, err := h.listFitLocked(b, need, align)
		if err != nil {
			return 0, err
		}
		if p != 0 {
			h.listTakeLocked(b, hdr, p, need)
			return b.r.Start + Addr(p), nil
		}
		c.tree.set(i, b.maxfree)
	}
	b, err := h.newBlockLocked(c, c.blockSize, c.blockSize)
	if err != nil {
		return 0, err
	}
	h.listInitLocked(b)
	hdr, p, err := h.listFitLocked(b, need, align)
	if err != nil || p == 0 {
		return 0, h.corruptLocked(b, "fresh block cannot serve a request")
	}
	h.listTakeLocked(b, hdr, p, need)
	return b.r.Start + Addr(p), nil
}

// listFitLocked walks b's chunks from first and returns the header of the
// first free chunk that can hold need bytes at a payload offset p aligned to
// align. If none can, it sets b.maxfree to the largest free payload it saw
// (exact: no free chunk lies below first) and returns p == 0.
func (h *Heap) listFitLocked(b *heapBlock, need, align uint64) (hdr, p uint32, err error) {
	end := b.sentinel()
	var best uint32
	for x := b.first; x != end; {
		m := b.nextMark(x)
		offs := m & markOffs
		if offs < listMinChunk || offs > end-x {
			return 0, 0, h.corruptLocked(b, "LIST mark out of range")
		}
		if m&markFill == 0 {
			size := offs - listHeader
			best = max(best, size)
			if uint64(size) >= need {
				q := x + listHeader
				if align > 16 {
					q = alignedPayload(b.r.Start, x, uint32(align))
				}
				if uint64(q)+need <= uint64(x+offs) {
					return x, q, nil
				}
			}
		}
		x += offs
	}
	b.maxfree = uint64(best)
	return 0, 0, nil
}

// alignedPayload returns the lowest payload offset in the free chunk at x
// whose address is aligned to align and leaves either no gap or a gap that
// can hold a free chunk in front.
func alignedPayload(base Addr, x, align uint32) uint32 {
	q := x + listHeader
	a := uint32((uint64(base)+uint64(q)+uint64(align)-1)&^(uint64(align)-1) - uint64(base))
	if a != q && a-q < listMinChunk {
		a = uint32((uint64(base)+uint64(q)+listMinChunk+uint64(align)-1)&^(uint64(align)-1) - uint64(base))
	}
	return a
}

// listTakeLocked allocates need bytes at payload offset p of the free chunk
// at hdr (listFitLocked's answer): a gap in front becomes a free chunk of
// its own, a tail worth a header is split off free.
func (h *Heap) listTakeLocked(b *heapBlock, hdr, p uint32, need uint64) {
	offs := b.nextMark(hdr) & markOffs
	chunkEnd := hdr + offs
	x := p - listHeader
	if x != hdr { // front gap: hdr stays a free chunk ending at x
		gap := x - hdr
		b.setNext(hdr, gap)
		b.setPrev(x, gap) // previous chunk (the gap) is free
	}
	total := chunkEnd - x
	used := uint32(need) + listHeader
	if total-used >= listMinChunk {
		rest := x + used
		b.setNext(x, used|markFill)
		b.setPrev(rest, used|markFill)
		b.setNext(rest, total-used)
		b.setPrev(chunkEnd, total-used)
		if hdr == b.first && x == hdr {
			b.first = rest
		}
	} else {
		b.setNext(x, total|markFill)
		b.setPrev(chunkEnd, total|markFill)
		if hdr == b.first && x == hdr {
			b.first = b.nextFree(chunkEnd)
		}
	}
	setBit(b.starts, uint64(p)/16)
	h.noteAllocLocked(b, uint64(b.nextMark(x)&markOffs)-listHeader)
}

// nextFree returns the first free chunk at or after header x (the sentinel
// if none).
func (b *heapBlock) nextFree(x uint32) uint32 {
	end := b.sentinel()
	for x < end {
		m := b.nextMark(x)
		if m&markFill == 0 {
			return x
		}
		offs := m & markOffs
		if offs < listMinChunk || offs > end-x { // corrupt: stop at the sentinel
			return end
		}
		x += offs
	}
	return end
}

// listPayload is the usable size of the live payload at offset off.
func (b *heapBlock) listPayload(off uint64) uint64 {
	return uint64(b.nextMark(uint32(off)-listHeader)&markOffs) - listHeader
}

// listFreeLocked frees the live payload at off and coalesces the chunk with
// a free neighbour on either side.
func (h *Heap) listFreeLocked(b *heapBlock, off uint64) {
	x := uint32(off) - listHeader
	end := b.sentinel()
	size := b.nextMark(x) & markOffs
	usable := uint64(size) - listHeader
	clearBit(b.starts, off/16)
	after := x + size
	if am := b.nextMark(after); am != 0 && am&markFill == 0 {
		if ao := am & markOffs; ao >= listMinChunk && ao <= end-after {
			size += ao
			after += ao
		}
	}
	start := x
	if pm := b.prevMark(x); pm&markFill == 0 {
		if po := pm & markOffs; po >= listMinChunk && po <= x {
			start = x - po
			size += po
		}
	}
	b.setNext(start, size)
	b.setPrev(after, size)
	b.first = min(b.first, start)
	if s := uint64(size) - listHeader; s > b.maxfree {
		b.maxfree = s
		b.cls.tree.set(int(b.cidx), s)
	}
	h.noteFreeLocked(b, usable)
}

// listResizeLocked resizes the live payload at off to n bytes in place if it
// can: shrinking splits off a free tail (coalesced with a free successor),
// growing absorbs the free successor when it is large enough. It reports
// whether it did.
func (h *Heap) listResizeLocked(b *heapBlock, off, n uint64) bool {
	if n > b.cls.listMaxPayload(16) {
		return false
	}
	need := uint32((n + 15) &^ 15)
	x := uint32(off) - listHeader
	end := b.sentinel()
	size := b.nextMark(x) & markOffs
	oldUsable := uint64(size) - listHeader
	after := x + size
	used := need + listHeader
	switch {
	case used <= size:
		if size-used < listMinChunk {
			return true
		}
		tail := x + used
		tsize := size - used
		if am := b.nextMark(after); am != 0 && am&markFill == 0 {
			if ao := am & markOffs; ao >= listMinChunk && ao <= end-after {
				tsize += ao
				after += ao
			}
		}
		b.setNext(x, used|markFill)
		b.setPrev(tail, used|markFill)
		b.setNext(tail, tsize)
		b.setPrev(after, tsize)
		b.first = min(b.first, tail)
		if s := uint64(tsize) - listHeader; s > b.maxfree {
			b.maxfree = s
			b.cls.tree.set(int(b.cidx), s)
		}
	default:
		am := b.nextMark(after)
		if am == 0 || am&markFill != 0 {
			return false
		}
		ao := am & markOffs
		if ao < listMinChunk || ao > end-after || size+ao < used {
			return false
		}
		total := size + ao
		chunkEnd := x + total
		wasFirst := after == b.first
		if total-used >= listMinChunk {
			rest := x + used
			b.setNext(x, used|markFill)
			b.setPrev(rest, used|markFill)
			b.setNext(rest, total-used)
			b.setPrev(chunkEnd, total-used)
			if wasFirst {
				b.first = rest
			}
		} else {
			b.setNext(x, total|markFill)
			b.setPrev(chunkEnd, total|markFill)
			if wasFirst {
				b.first = b.nextFree(chunkEnd)
			}
		}
	}
	newUsable := uint64(b.nextMark(x)&markOffs) - listHeader
	b.live += newUsable - oldUsable
	b.cls.stats.LiveBytes += newUsable - oldUsable
	return true
}

// listLooksFree reports whether a free chunk's header sits right before
// off, with marks that agree both ways. It only classifies a rejected
// pointer (double free or interior), so it may trust block bytes; it never
// reads outside the block.
func (b *heapBlock) listLooksFree(off uint64) bool {
	end := uint64(b.sentinel())
	if off < listHeader || off > end {
		return false
	}
	x := uint32(off) - listHeader
	m := b.nextMark(x)
	offs := uint64(m & markOffs)
	if m == 0 || m&markFill != 0 || offs < listMinChunk || offs%16 != 0 || uint64(x)+offs > end {
		return false
	}
	return b.prevMark(x+uint32(offs))&markOffs == uint32(offs)
}
