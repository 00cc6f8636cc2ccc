package mm

import (
	"encoding/binary"
	"math/bits"
)

// LIST blocks: an implicit list of chunks, each starting with a 16-byte
// header written into the block itself:
//
//	offset  0: prev mark (uint32): offs = distance back to the previous
//	           header, fill = the previous chunk is allocated
//	offset  4: next mark (uint32): offs = distance to the next header (the
//	           chunk's total size, header included), fill = this chunk is
//	           allocated
//	offset  8: free chunks only: offset of the previous chunk in the same
//	           bin (noLink if none)
//	offset 12: free chunks only: offset of the next chunk in the same bin
//
// A mark is 31 bits of offset and 1 fill bit (the top bit), as Box64's
// mark_t. The first header's prev mark is 0|fill (nothing before it may be
// coalesced); a sentinel header at blockSize-16 ends the block: its next mark
// is 0, its prev mark describes the last chunk.
//
// Box64 finds a chunk by walking the implicit list from first. Measured on
// the churn trace that walk cost 644 ns per op, so the free chunks of each
// block are also kept in size bins (doubly linked through the header's
// second half, which the marks leave unused): exact bins per 16 bytes of
// payload below 1 KiB, four bins per power of two above. A request takes the
// head of its exact bin, or first fit within its range bin, or the head of
// the next non-empty bin above (found with the bin bitmap in O(1)); the
// implicit list is walked only for aligned requests.

const (
	markFill = 1 << 31
	markOffs = markFill - 1
	// listHeader is the size of a chunk header.
	listHeader = 16
	// listMinChunk is the smallest chunk worth splitting off: a header and
	// 16 bytes of payload.
	listMinChunk = 32
	// listBins is the number of size bins: 64 exact ones (payload/16 below
	// 1 KiB; bin 0 unused) and 4 per power of two from 2^10 to 2^29.
	listBins = 64 + 4*20
	// noLink ends a bin list.
	noLink = ^uint32(0)
)

// binSet is a LIST block's size bins: head[i] is the first free chunk of
// bin i (noLink if none); mask has bit i set iff head[i] != noLink. Guarded
// by Heap.mu, like the block record that points to it.
type binSet struct {
	head [listBins]uint32
	mask [(listBins + 63) / 64]uint64
}

// binOf returns the bin of a free chunk's payload size (a multiple of 16,
// below 1 GiB).
func binOf(payload uint32) int {
	if payload < 1024 {
		return int(payload / 16)
	}
	p := bits.Len32(payload) - 1 // 10..29
	return 64 + (p-10)*4 + int(payload>>(p-2)&3)
}

// binMax is the largest payload bin i can hold.
func binMax(i int) uint32 {
	if i < 64 {
		return uint32(i) * 16
	}
	p := (i-64)/4 + 10
	sub := uint32((i - 64) % 4)
	return (4+sub+1)<<(p-2) - 16
}

func (b *heapBlock) prevMark(x uint32) uint32 { return binary.LittleEndian.Uint32(b.mem[x:]) }
func (b *heapBlock) nextMark(x uint32) uint32 { return binary.LittleEndian.Uint32(b.mem[x+4:]) }
func (b *heapBlock) setPrev(x, m uint32)      { binary.LittleEndian.PutUint32(b.mem[x:], m) }
func (b *heapBlock) setNext(x, m uint32)      { binary.LittleEndian.PutUint32(b.mem[x+4:], m) }
func (b *heapBlock) binPrev(x uint32) uint32  { return binary.LittleEndian.Uint32(b.mem[x+8:]) }
func (b *heapBlock) binNext(x uint32) uint32  { return binary.LittleEndian.Uint32(b.mem[x+12:]) }
func (b *heapBlock) setBinPrev(x, v uint32)   { binary.LittleEndian.PutUint32(b.mem[x+8:], v) }
func (b *heapBlock) setBinNext(x, v uint32)   { binary.LittleEndian.PutUint32(b.mem[x+12:], v) }

// sentinel is the offset of the block's end header.
func (b *heapBlock) sentinel() uint32 { return uint32(b.r.Length()) - listHeader }

// link pushes the free chunk at x (total size size) on its bin.
func (b *heapBlock) link(x, size uint32) {
	i := binOf(size - listHeader)
	head := b.bins.head[i]
	b.setBinPrev(x, noLink)
	b.setBinNext(x, head)
	if head != noLink {
		b.setBinPrev(head, x)
	}
	b.bins.head[i] = x
	b.bins.mask[i/64] |= 1 << (i % 64)
}

// unlink removes the free chunk at x (total size size) from its bin.
func (b *heapBlock) unlink(x, size uint32) {
	i := binOf(size - listHeader)
	p, n := b.binPrev(x), b.binNext(x)
	if p == noLink {
		b.bins.head[i] = n
		if n == noLink {
			b.bins.mask[i/64] &^= 1 << (i % 64)
		}
	} else {
		b.setBinNext(p, n)
	}
	if n != noLink {
		b.setBinPrev(n, p)
	}
}

// listMaxPayload is the largest request (aligned to align) that an empty
// LIST block is sure to serve; larger ones get a dedicated mapping.
func (c *heapClass) listMaxPayload(align uint64) uint64 {
	if align <= 16 {
		return c.blockSize - 2*listHeader
	}
	return c.blockSize - 2*listHeader - listMinChunk - align
}

// listInitLocked writes the headers of a fresh block: one free chunk
// spanning everything up to the sentinel.
func (h *Heap) listInitLocked(b *heapBlock) {
	end := b.sentinel()
	b.setPrev(0, markFill)
	b.setNext(0, end)
	b.setPrev(end, end)
	b.setNext(end, 0)
	for i := range b.bins.head {
		b.bins.head[i] = noLink
	}
	b.bins.mask = [len(b.bins.mask)]uint64{}
	b.link(0, end)
	b.first = 0
	b.maxfree = uint64(end - listHeader)
	b.cls.tree.set(int(b.cidx), b.maxfree)
}

// listAllocLocked serves n bytes aligned to align (<= PageSize) from the
// leftmost LIST block that can: the fit tree names a block whose maxfree is
// large enough; a block that turns out unable to serve gets a maxfree below
// the request, which moves the tree past it.
func (h *Heap) listAllocLocked(n, align uint64) (Addr, error) {
	c := h.list
	need := uint32((n + 15) &^ 15)
	bound := uint64(need) // a chunk this large is sure to serve the request
	if align > 16 {
		bound += align + listMinChunk
	}
	for {
		i := c.tree.find(bound)
		if i < 0 {
			break
		}
		b := c.blocks[i]
		x, p, err := h.listFitLocked(b, need, align)
		if err != nil {
			return 0, err
		}
		if p != 0 {
			h.listTakeLocked(b, x, p, need)
			return b.r.Start + Addr(p), nil
		}
		c.tree.set(i, b.maxfree)
	}
	b, err := h.newBlockLocked(c, c.blockSize, c.blockSize)
	if err != nil {
		return 0, err
	}
	h.listInitLocked(b)
	x, p, err := h.listFitLocked(b, need, align)
	if err != nil || p == 0 {
		return 0, h.corruptLocked(b, "fresh block cannot serve a request")
	}
	h.listTakeLocked(b, x, p, need)
	return b.r.Start + Addr(p), nil
}

// listFitLocked finds a free chunk of b that can hold need bytes at a
// payload offset p aligned to align and returns its header x and p. If there
// is none it lowers b.maxfree below the request and returns p == 0.
func (h *Heap) listFitLocked(b *heapBlock, need uint32, align uint64) (x, p uint32, err error) {
	if align > 16 {
		return h.listFitAlignedLocked(b, need, align)
	}
	end := b.sentinel()
	i := binOf(need)
	var best uint32
	if x = b.bins.head[i]; x != noLink {
		if i < 64 { // exact bin: every chunk has payload need
			return x, x + listHeader, h.checkFreeLocked(b, x, i)
		}
		for ; x != noLink; x = b.binNext(x) { // first fit in the range bin
			if x >= end {
				return 0, 0, h.corruptLocked(b, "bin link out of range")
			}
			size := b.nextMark(x)&markOffs - listHeader
			if size >= need {
				return x, x + listHeader, h.checkFreeLocked(b, x, i)
			}
			best = max(best, size)
		}
	}
	// The head of any non-empty higher bin fits.
	for w := (i + 1) / 64; w < len(b.bins.mask); w++ {
		m := b.bins.mask[w]
		if w == (i+1)/64 {
			m &= ^uint64(0) << ((i + 1) % 64)
		}
		if m != 0 {
			j := w*64 + bits.TrailingZeros64(m)
			x = b.bins.head[j]
			return x, x + listHeader, h.checkFreeLocked(b, x, j)
		}
	}
	// Nothing fits: every free payload is in bin i (below need) or lower.
	for w := i / 64; w >= 0; w-- {
		m := b.bins.mask[w]
		if w == i/64 {
			m &= 1<<(i%64) - 1
		}
		if m != 0 {
			best = max(best, binMax(w*64+bits.Len64(m)-1))
			break
		}
	}
	b.maxfree = uint64(best)
	return 0, 0, nil
}

// checkFreeLocked verifies that the chunk at x, taken from bin i, is a free
// chunk of that bin inside the block, so that a corrupted link is reported
// instead of followed.
func (h *Heap) checkFreeLocked(b *heapBlock, x uint32, i int) error {
	end := b.sentinel()
	if x >= end || x%16 != 0 {
		return h.corruptLocked(b, "bin link out of range")
	}
	m := b.nextMark(x)
	if offs := m & markOffs; m&markFill != 0 || offs < listMinChunk || offs > end-x || binOf(offs-listHeader) != i {
		return h.corruptLocked(b, "bin holds a chunk that does not belong there")
	}
	return nil
}

// listFitAlignedLocked walks b's chunks first-fit from first (Box64's walk)
// for a free chunk that can hold need bytes at an aligned payload.
func (h *Heap) listFitAlignedLocked(b *heapBlock, need uint32, align uint64) (x, p uint32, err error) {
	end := b.sentinel()
	var best uint32
	for x = b.first; x != end; {
		m := b.nextMark(x)
		offs := m & markOffs
		if offs < listMinChunk || offs > end-x {
			return 0, 0, h.corruptLocked(b, "LIST mark out of range")
		}
		if m&markFill == 0 {
			best = max(best, offs-listHeader)
			if q := alignedPayload(b.r.Start, x, uint32(align)); uint64(q)+uint64(need) <= uint64(x+offs) {
				return x, q, nil
			}
		}
		x += offs
	}
	// Every free chunk is below need+align+listMinChunk, which is all the
	// tree needs to move on; best is exact (no free chunk lies below first).
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
// at x (listFitLocked's answer): a gap in front stays a free chunk of its
// own, a tail worth a header is split off free.
func (h *Heap) listTakeLocked(b *heapBlock, x, p, need uint32) {
	offs := b.nextMark(x) & markOffs
	b.unlink(x, offs)
	chunkEnd := x + offs
	a := p - listHeader
	if a != x { // front gap: x stays a free chunk ending at a
		gap := a - x
		b.setNext(x, gap)
		b.setPrev(a, gap) // the chunk before a (the gap) is free
		b.link(x, gap)
	}
	used := b.markLive(a, chunkEnd-a, need+listHeader)
	if a == b.first {
		b.first = a + used // still no free chunk below first
	}
	setBit(b.starts, uint64(p)/16)
	h.noteAllocLocked(b, uint64(used)-listHeader)
}

// markLive makes the chunk at x (total bytes, out of every bin) live with
// used bytes, header included: a tail worth a header is split off as a free
// chunk and binned, else the whole chunk stays live. It returns the live
// chunk's size.
func (b *heapBlock) markLive(x, total, used uint32) uint32 {
	end := x + total
	if total-used >= listMinChunk {
		rest := x + used
		b.setNext(x, used|markFill)
		b.setPrev(rest, used|markFill)
		b.setNext(rest, total-used)
		b.setPrev(end, total-used)
		b.link(rest, total-used)
		return used
	}
	b.setNext(x, total|markFill)
	b.setPrev(end, total|markFill)
	return total
}

// listPayload is the usable size of the live payload at offset off.
func (b *heapBlock) listPayload(off uint64) uint64 {
	return uint64(b.nextMark(uint32(off)-listHeader)&markOffs) - listHeader
}

// freeNext returns the size of the free chunk at header y, or 0 if y is
// the sentinel, allocated, or its mark is out of range.
func (b *heapBlock) freeNext(y uint32) uint32 {
	m := b.nextMark(y)
	if m == 0 || m&markFill != 0 {
		return 0
	}
	if offs := m & markOffs; offs >= listMinChunk && offs <= b.sentinel()-y {
		return offs
	}
	return 0
}

// listFreeLocked frees the live payload at off and coalesces the chunk with
// a free neighbour on either side.
func (h *Heap) listFreeLocked(b *heapBlock, off uint64) {
	x := uint32(off) - listHeader
	size := b.nextMark(x) & markOffs
	usable := uint64(size) - listHeader
	clearBit(b.starts, off/16)
	after := x + size
	if ao := b.freeNext(after); ao != 0 {
		b.unlink(after, ao)
		size += ao
		after += ao
	}
	start := x
	if pm := b.prevMark(x); pm&markFill == 0 {
		if po := pm & markOffs; po >= listMinChunk && po <= x && b.freeNext(x-po) == po {
			start = x - po
			b.unlink(start, po)
			size += po
		}
	}
	b.setNext(start, size)
	b.setPrev(after, size)
	b.link(start, size)
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
	size := b.nextMark(x) & markOffs
	oldUsable := uint64(size) - listHeader
	after := x + size
	used := need + listHeader
	if used <= size {
		if size-used < listMinChunk {
			return true
		}
		tail := x + used
		tsize := size - used
		if ao := b.freeNext(after); ao != 0 {
			b.unlink(after, ao)
			tsize += ao
			after += ao
		}
		b.setNext(x, used|markFill)
		b.setPrev(tail, used|markFill)
		b.setNext(tail, tsize)
		b.setPrev(after, tsize)
		b.link(tail, tsize)
		b.first = min(b.first, tail)
		if s := uint64(tsize) - listHeader; s > b.maxfree {
			b.maxfree = s
			b.cls.tree.set(int(b.cidx), s)
		}
	} else {
		ao := b.freeNext(after)
		if ao == 0 || size+ao < used {
			return false
		}
		b.unlink(after, ao)
		if n := b.markLive(x, size+ao, used); b.first == after {
			b.first = x + n
		}
	}
	newUsable := uint64(b.nextMark(x)&markOffs) - listHeader
	b.live += newUsable - oldUsable
	b.cls.stats.LiveBytes += newUsable - oldUsable
	return true
}

// listLooksFree reports whether off is the payload of a free chunk: it
// walks the chain of headers from the block's first one until it reaches
// or passes the header off would have. Marks right before off are not
// enough: a live payload can hold a stale pair of headers, left by chunks
// that were merged and then allocated over, whose marks still agree both
// ways. The walk is O(chunks in the block), but it only classifies a
// pointer already rejected (double free or interior), never a hot path;
// it stops at a mark that does not advance and never reads outside the
// block, whatever a guest wrote into it.
func (b *heapBlock) listLooksFree(off uint64) bool {
	end := b.sentinel()
	if off < listHeader || off > uint64(end) {
		return false
	}
	want := uint32(off) - listHeader
	for x := uint32(0); x < want; {
		offs := b.nextMark(x) & markOffs
		if offs < listMinChunk || offs > end-x {
			return false
		}
		x += offs
		if x == want {
			return b.nextMark(x)&markFill == 0 && x != end
		}
	}
	return want == 0 && b.nextMark(0)&markFill == 0
}
