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

// Block memory is untrusted. Every header offset and mark read from it may
// have been written by a guest (host-heap blocks lie in the guest window;
// in Mode64 a guest can reach any block), possibly while the heap reads it.
// The heap's trust rests on two Go-side bitmaps per LIST block: starts (bit
// i: a live payload starts at 16*i) and busy (bit u: the 16-byte unit u
// lies in a live chunk, header included). From them alone the heap knows
// every live chunk's extent (liveExtent), so Free, Realloc and UsableSize
// take a live chunk's size from its records and only compare it with the
// marks. Block memory is read and written through the accessors below,
// which never index outside the block, and under three rules:
//
//   - An offset read from memory is checked before it is used (freeChunk,
//     unlink), and each mark is read once and the read value used.
//   - No allocation is handed out over a busy unit (listTakeLocked,
//     listResizeLocked check the live chunk they make against busy), so a
//     forged mark can never make two live allocations overlap.
//   - The heap writes a header only where no live payload lies: at a unit
//     that is not busy or at a live chunk's own header (writable).
//
// A violation records its reason in b.corrupt and makes the access a no-op
// (reads return 0). The operation then ends by quarantining the block
// (Heap.quarantineLocked) and, if it was a Free or Realloc, returning
// ErrCorrupt without changing the heap's records. Walks of the implicit
// list advance by at least listMinChunk per step and walks of a bin are
// bounded by the number of chunks a block can hold, so no loop a guest
// forges can hang the heap.

// fail records the first reason why block memory cannot be trusted.
func (b *heapBlock) fail(why string) {
	if b.corrupt == "" {
		b.corrupt = why
	}
}

// hdrOK reports whether a 16-byte header at x is inside the block and
// aligned.
func (b *heapBlock) hdrOK(x uint32) bool {
	return x%listHeader == 0 && uint64(x)+listHeader <= uint64(len(b.mem))
}

// get reads the 32-bit field at byte f (0, 4, 8, 12) of the header at x;
// 0 (and a recorded failure) if x is not a header offset of the block.
func (b *heapBlock) get(x, f uint32) uint32 {
	if !b.hdrOK(x) {
		b.fail("header offset out of the block")
		return 0
	}
	return binary.LittleEndian.Uint32(b.mem[x+f:])
}

// put writes the field at byte f of the header at x if the heap may write
// there (writable); else it records the failure and writes nothing. After
// a failure nothing more is written: the operation is abandoned.
func (b *heapBlock) put(x, f, v uint32) {
	if b.corrupt != "" {
		return
	}
	if !b.hdrOK(x) || !b.writable(x) {
		b.fail("header write into a live allocation")
		return
	}
	binary.LittleEndian.PutUint32(b.mem[x+f:], v)
}

// writable reports whether the header at x (hdrOK) holds no live payload
// byte: its unit is not in a live chunk, or it is a live chunk's header.
func (b *heapBlock) writable(x uint32) bool {
	return !testBit(b.busy, uint64(x)/listHeader) || b.liveHead(x)
}

// liveHead reports whether a live chunk's header is at x (x <= sentinel).
func (b *heapBlock) liveHead(x uint32) bool {
	i := uint64(x)/listHeader + 1
	return i < uint64(len(b.starts))*64 && testBit(b.starts, i)
}

func (b *heapBlock) prevMark(x uint32) uint32 { return b.get(x, 0) }
func (b *heapBlock) nextMark(x uint32) uint32 { return b.get(x, 4) }
func (b *heapBlock) binPrev(x uint32) uint32  { return b.get(x, 8) }
func (b *heapBlock) binNext(x uint32) uint32  { return b.get(x, 12) }
func (b *heapBlock) setPrev(x, m uint32)      { b.put(x, 0, m) }
func (b *heapBlock) setNext(x, m uint32)      { b.put(x, 4, m) }
func (b *heapBlock) setBinPrev(x, v uint32)   { b.put(x, 8, v) }
func (b *heapBlock) setBinNext(x, v uint32)   { b.put(x, 12, v) }

// sentinel is the offset of the block's end header.
func (b *heapBlock) sentinel() uint32 { return uint32(b.r.Length()) - listHeader }

// maxChunks bounds the chunks of the block: a walk of more steps loops.
func (b *heapBlock) maxChunks() int { return len(b.mem) / listMinChunk }

// liveExtent returns the size, header included, of the live chunk whose
// header is at x (liveHead(x)), from the Go-side records alone: its units
// run until a unit that is not busy or is the next live chunk's header.
// The sentinel's unit is never busy, so the run ends inside the block. It
// costs one word per 64 units of the chunk.
func (b *heapBlock) liveExtent(x uint32) uint32 {
	busy, starts := b.busy, b.starts
	u := uint64(x)/listHeader + 1
	for w := u / 64; w < uint64(len(busy)); w++ {
		heads := starts[w] >> 1 // bit j: a live header at unit 64w+j
		if w+1 < uint64(len(starts)) {
			heads |= starts[w+1] << 63
		}
		stop := ^busy[w] | heads
		if w == u/64 {
			stop &= ^uint64(0) << (u % 64)
		}
		if stop != 0 {
			return uint32((w*64+uint64(bits.TrailingZeros64(stop)))*listHeader) - x
		}
	}
	return uint32(len(b.mem)) - x // unreachable: the sentinel's unit is not busy
}

// anyBusy reports whether a unit of [lo, hi) (byte offsets, multiples of
// 16) lies in a live chunk.
func (b *heapBlock) anyBusy(lo, hi uint32) bool {
	return anyBits(b.busy, uint64(lo)/listHeader, uint64(hi)/listHeader)
}

// freeChunk checks the free chunk whose header is at x and returns its
// size, or 0 (and a recorded failure) if the header does not describe a
// free chunk the heap could have made: x a header offset outside every
// live chunk, the mark free, its size a multiple of 16 of at least
// listMinChunk, ending at the sentinel or at a live chunk's header (no two
// free chunks are neighbours), and in bin i if i >= 0. The mark is read
// once; the returned size is the value checked.
func (b *heapBlock) freeChunk(x uint32, i int) uint32 {
	end := b.sentinel()
	if !b.hdrOK(x) || x >= end || testBit(b.busy, uint64(x)/listHeader) {
		b.fail("free chunk offset out of range or inside a live allocation")
		return 0
	}
	m := b.nextMark(x)
	offs := m & markOffs
	if m&markFill != 0 || offs < listMinChunk || offs%listHeader != 0 || offs > end-x {
		b.fail("free chunk's mark out of range")
		return 0
	}
	if n := x + offs; n != end && !b.liveHead(n) {
		b.fail("free chunk does not end at a live chunk or the sentinel")
		return 0
	}
	if i >= 0 && binOf(offs-listHeader) != i {
		b.fail("bin holds a chunk of another size")
		return 0
	}
	return offs
}

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

// unlink removes the free chunk at x (total size size) from its bin. Its
// links are checked first, as glibc's safe unlinking does: a neighbour must
// link back to x (and a chunk without a predecessor must be its bin's
// head), else the failure is recorded and nothing is written.
func (b *heapBlock) unlink(x, size uint32) {
	if !b.canUnlink(x, size) {
		return
	}
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

// canUnlink reports whether unlink(x, size) will succeed: the links of x
// link back and name headers the heap may write. On false the failure is
// recorded.
func (b *heapBlock) canUnlink(x, size uint32) bool {
	i := binOf(size - listHeader)
	p, n := b.binPrev(x), b.binNext(x)
	if (p == noLink && b.bins.head[i] != x) || (p != noLink && b.binNext(p) != x) ||
		(n != noLink && b.binPrev(n) != x) || b.corrupt != "" {
		b.fail("bin links do not link back")
		return false
	}
	if (p != noLink && !b.writable(p)) || (n != noLink && !b.writable(n)) {
		b.fail("bin link into a live allocation")
		return false
	}
	return true
}

// canLink reports whether link(x, size) can write the head of size's bin
// (x itself is the caller's to check). On false the failure is recorded.
func (b *heapBlock) canLink(size uint32) bool {
	if head := b.bins.head[binOf(size-listHeader)]; head != noLink && (!b.hdrOK(head) || !b.writable(head)) {
		b.fail("bin head inside a live allocation")
		return false
	}
	return true
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

// listFreshTries bounds how many fresh blocks one allocation maps when each
// is found corrupted before it serves (another guest thread writing into
// every new block as it appears).
const listFreshTries = 4

// listAllocLocked serves n bytes aligned to align (<= PageSize) from the
// leftmost LIST block that can: the fit tree names a block whose maxfree is
// large enough; a block that turns out unable to serve gets a maxfree below
// the request, which moves the tree past it; a block found corrupted is
// quarantined (its leaf becomes 0) and the search goes on. Each turn of the
// loop returns, quarantines a block or lowers a leaf below the request, so
// the loop ends.
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
		if p, ok := h.listServeLocked(b, need, align); ok {
			return p, nil
		}
		if b.corrupt != "" {
			h.quarantineLocked(b)
			continue
		}
		c.tree.set(i, b.maxfree)
	}
	for range listFreshTries {
		b, err := h.newBlockLocked(c, c.blockSize, c.blockSize)
		if err != nil {
			return 0, err
		}
		h.listInitLocked(b)
		if p, ok := h.listServeLocked(b, need, align); ok {
			return p, nil
		}
		b.fail("fresh block cannot serve a request")
		h.quarantineLocked(b)
	}
	return 0, ErrCorrupt
}

// listServeLocked allocates need bytes aligned to align from b if it can.
// On false, either b.corrupt says why b's memory cannot be trusted, or no
// free chunk of b fits and b.maxfree is below the request.
func (h *Heap) listServeLocked(b *heapBlock, need uint32, align uint64) (Addr, bool) {
	x, p, offs := h.listFitLocked(b, need, align)
	if p == 0 || !h.listTakeLocked(b, x, p, offs, need) {
		return 0, false
	}
	return b.r.Start + Addr(p), true
}

// listFitLocked finds a free chunk of b that can hold need bytes at a
// payload offset p aligned to align and returns its header x, p and its
// size offs (checked by freeChunk). If there is none it lowers b.maxfree
// below the request and returns p == 0; p == 0 with b.corrupt set means a
// header or link did not check.
func (h *Heap) listFitLocked(b *heapBlock, need uint32, align uint64) (x, p, offs uint32) {
	if align > 16 {
		return h.listFitAlignedLocked(b, need, align)
	}
	i := binOf(need)
	var best uint32
	if x = b.bins.head[i]; x != noLink {
		if i < 64 { // exact bin: every chunk has payload need
			if offs = b.freeChunk(x, i); offs == 0 {
				return 0, 0, 0
			}
			return x, x + listHeader, offs
		}
		for steps := 0; x != noLink; x = b.binNext(x) { // first fit in the range bin
			if steps++; steps > b.maxChunks() {
				b.fail("bin list loops")
				return 0, 0, 0
			}
			if offs = b.freeChunk(x, i); offs == 0 {
				return 0, 0, 0
			}
			if size := offs - listHeader; size >= need {
				return x, x + listHeader, offs
			} else {
				best = max(best, size)
			}
		}
		if b.corrupt != "" { // the last link read was out of the block
			return 0, 0, 0
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
			if offs = b.freeChunk(x, j); offs == 0 {
				return 0, 0, 0
			}
			return x, x + listHeader, offs
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
	return 0, 0, 0
}

// listFitAlignedLocked walks b's chunks first-fit from first (Box64's walk)
// for a free chunk that can hold need bytes at an aligned payload. Every
// step advances by a checked offset of at least listMinChunk, so the walk
// ends at the sentinel or at the first bad mark.
func (h *Heap) listFitAlignedLocked(b *heapBlock, need uint32, align uint64) (x, p, offs uint32) {
	end := b.sentinel()
	var best uint32
	for x = b.first; x != end; x += offs {
		m := b.nextMark(x)
		offs = m & markOffs
		if b.corrupt != "" || x > end || offs < listMinChunk || offs%listHeader != 0 || offs > end-x {
			b.fail("LIST mark out of range")
			return 0, 0, 0
		}
		if m&markFill == 0 {
			best = max(best, offs-listHeader)
			if q := alignedPayload(b.r.Start, x, uint32(align)); uint64(q)+uint64(need) <= uint64(x+offs) {
				if b.freeChunk(x, -1) != offs {
					return 0, 0, 0
				}
				return x, q, offs
			}
		}
	}
	// Every free chunk is below need+align+listMinChunk, which is all the
	// tree needs to move on; best is exact (no free chunk lies below first).
	b.maxfree = uint64(best)
	return 0, 0, 0
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
// at x of size offs (listFitLocked's answer): a gap in front stays a free
// chunk of its own, a tail worth a header is split off free. It first
// checks that the chunk it makes live overlaps no live chunk. On false
// (b.corrupt says why) the heap's records are unchanged.
func (h *Heap) listTakeLocked(b *heapBlock, x, p, offs, need uint32) bool {
	chunkEnd := x + offs
	a := p - listHeader
	used := need + listHeader
	size := used // the live chunk's size, as markLive will decide it
	if chunkEnd-a-used < listMinChunk {
		size = chunkEnd - a
	}
	if b.anyBusy(a, a+size) {
		b.fail("free chunk overlaps a live allocation")
		return false
	}
	b.unlink(x, offs)
	if a != x { // front gap: x stays a free chunk ending at a
		gap := a - x
		b.setNext(x, gap)
		b.setPrev(a, gap) // the chunk before a (the gap) is free
		b.link(x, gap)
	}
	b.markLive(a, chunkEnd-a, used)
	if b.corrupt != "" {
		return false
	}
	setBits(b.busy, uint64(a)/listHeader, uint64(a+size)/listHeader)
	if a == b.first {
		b.first = a + size // still no free chunk below first
	}
	setBit(b.starts, uint64(p)/16)
	h.noteAllocLocked(b, uint64(size)-listHeader)
	return true
}

// markLive makes the chunk at x (total bytes, out of every bin) live with
// used bytes, header included: a tail worth a header is split off as a free
// chunk and binned, else the whole chunk stays live. It returns the live
// chunk's size. Only block memory changes; the caller updates busy.
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

// listUsable is the usable size of the live payload at offset off, from
// the heap's records (no block memory is read).
func (b *heapBlock) listUsable(off uint64) uint64 {
	return uint64(b.liveExtent(uint32(off)-listHeader)) - listHeader
}

// checkLiveMarks compares the marks around the live chunk at x with its
// size from the records: its own next mark and the next header's prev
// mark must be size|markFill, as the heap wrote them.
func (b *heapBlock) checkLiveMarks(x, size uint32) {
	if b.nextMark(x) != size|markFill || b.prevMark(x+size) != size|markFill {
		b.fail("live chunk's marks overwritten")
	}
}

// listFreeLocked frees the live payload at off and coalesces the chunk with
// a free neighbour on either side. The neighbours are told by the records
// (busy, liveHead), their sizes read from memory and checked (freeChunk).
// If block memory does not check, the block is quarantined, ErrCorrupt
// returned and the allocation stays live; in a quarantined block the
// allocation is released from the records alone.
func (h *Heap) listFreeLocked(b *heapBlock, off uint64) error {
	x := uint32(off) - listHeader
	size := b.liveExtent(x)
	if b.quarantined {
		h.listForgetLocked(b, x, size)
		return nil
	}
	end := b.sentinel()
	after := x + size
	b.checkLiveMarks(x, size)
	var ao, po uint32
	if b.corrupt == "" && after != end && !b.liveHead(after) {
		ao = b.freeChunk(after, -1)
	}
	if b.corrupt == "" && x != 0 && !testBit(b.busy, uint64(x)/listHeader-1) {
		// The unit before x is in no live chunk: a free chunk ends at x.
		pm := b.prevMark(x)
		po = pm & markOffs
		if pm&markFill != 0 || po < listMinChunk || po > x || b.freeChunk(x-po, -1) != po {
			b.fail("free predecessor's marks out of range")
		}
	}
	if b.corrupt != "" {
		return h.quarantineLocked(b)
	}
	start, total := x, size
	if ao != 0 {
		b.unlink(after, ao)
		total += ao
	}
	if po != 0 {
		start = x - po
		b.unlink(start, po)
		total += po
	}
	b.setNext(start, total)
	b.setPrev(start+total, total)
	b.link(start, total)
	if b.corrupt != "" {
		return h.quarantineLocked(b)
	}
	b.first = min(b.first, start)
	if s := uint64(total) - listHeader; s > b.maxfree {
		b.maxfree = s
		b.cls.tree.set(int(b.cidx), s)
	}
	h.listForgetLocked(b, x, size)
	return nil
}

// listForgetLocked removes the live chunk at x of size size from the
// records (starts, busy, counters).
func (h *Heap) listForgetLocked(b *heapBlock, x, size uint32) {
	clearBit(b.starts, uint64(x)/listHeader+1)
	clearBits(b.busy, uint64(x)/listHeader, uint64(x+size)/listHeader)
	h.noteFreeLocked(b, uint64(size)-listHeader)
}

// listResizeLocked resizes the live payload at off to n bytes in place if it
// can: shrinking splits off a free tail (coalesced with a free successor),
// growing absorbs the free successor when it is large enough. It reports
// whether it did; false with b.corrupt set means block memory did not
// check (the records are unchanged). A quarantined block's chunk is kept
// if it is large enough, never split or grown.
func (h *Heap) listResizeLocked(b *heapBlock, off, n uint64) bool {
	if n > b.cls.listMaxPayload(16) {
		return false
	}
	need := uint32((n + 15) &^ 15)
	x := uint32(off) - listHeader
	size := b.liveExtent(x)
	used := need + listHeader
	if b.quarantined {
		return used <= size
	}
	if used <= size && size-used < listMinChunk {
		return true
	}
	end := b.sentinel()
	after := x + size
	b.checkLiveMarks(x, size)
	var ao uint32
	if b.corrupt == "" && after != end && !b.liveHead(after) {
		ao = b.freeChunk(after, -1)
	}
	if b.corrupt != "" {
		return false
	}
	var newSize uint32
	if used <= size {
		tail := x + used
		tsize := size - used
		// The tail header goes into the allocation's own bytes, which
		// must stay as they were if anything fails: check every link
		// first, so that no write below can be refused.
		if ao != 0 {
			if !b.canUnlink(after, ao) {
				return false
			}
			b.unlink(after, ao)
			tsize += ao
		}
		if !b.canLink(tsize) {
			return false
		}
		// The tail leaves the live chunk before its header is written.
		clearBits(b.busy, uint64(tail)/listHeader, uint64(after)/listHeader)
		b.setNext(x, used|markFill)
		b.setPrev(tail, used|markFill)
		b.setNext(tail, tsize)
		b.setPrev(tail+tsize, tsize)
		b.link(tail, tsize)
		if b.corrupt != "" {
			setBits(b.busy, uint64(tail)/listHeader, uint64(after)/listHeader)
			return false
		}
		b.first = min(b.first, tail)
		if s := uint64(tsize) - listHeader; s > b.maxfree {
			b.maxfree = s
			b.cls.tree.set(int(b.cidx), s)
		}
		newSize = used
	} else {
		if ao == 0 || size+ao < used {
			return false
		}
		newSize = used
		if size+ao-used < listMinChunk {
			newSize = size + ao
		}
		if b.anyBusy(after, x+newSize) {
			b.fail("free successor overlaps a live allocation")
			return false
		}
		b.unlink(after, ao)
		b.markLive(x, size+ao, used)
		if b.corrupt != "" {
			return false
		}
		setBits(b.busy, uint64(after)/listHeader, uint64(x+newSize)/listHeader)
		if b.first == after {
			b.first = x + newSize
		}
	}
	delta := uint64(newSize) - uint64(size) // two's complement: a shrink subtracts
	b.live += delta
	b.cls.stats.LiveBytes += delta
	return true
}

// listLooksFree reports whether off is the payload of a free chunk: it
// walks the chain of headers from the block's first one until it reaches
// or passes the header off would have. Marks right before off are not
// enough: a live payload can hold a stale pair of headers, left by chunks
// that were merged and then allocated over, whose marks still agree both
// ways; an offset inside a live chunk (busy) is interior without a walk.
// The walk is O(chunks in the block), but it only classifies a pointer
// already rejected (double free or interior), never a hot path; it stops
// at a mark that does not advance and never reads outside the block,
// whatever a guest wrote into it.
func (b *heapBlock) listLooksFree(off uint64) bool {
	end := b.sentinel()
	if off < listHeader || off > uint64(end) || testBit(b.busy, off/listHeader-1) {
		return false
	}
	want := uint32(off) - listHeader
	corrupt := b.corrupt // the walk's reads must not mark the block
	defer func() { b.corrupt = corrupt }()
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

// setBits, clearBits and anyBits work on the bits [lo, hi) of w: the
// partial words at either end by mask, the whole words between by plain
// loops (clear is a memclr).
func rangeMasks(lo, hi uint64) (wlo, whi uint64, mlo, mhi uint64) {
	wlo, whi = lo/64, (hi-1)/64
	mlo = ^uint64(0) << (lo % 64)
	mhi = ^uint64(0) >> (63 - (hi-1)%64)
	return
}

func setBits(w []uint64, lo, hi uint64) {
	if lo >= hi {
		return
	}
	wlo, whi, mlo, mhi := rangeMasks(lo, hi)
	if wlo == whi {
		w[wlo] |= mlo & mhi
		return
	}
	w[wlo] |= mlo
	mid := w[wlo+1 : whi]
	for i := range mid {
		mid[i] = ^uint64(0)
	}
	w[whi] |= mhi
}

func clearBits(w []uint64, lo, hi uint64) {
	if lo >= hi {
		return
	}
	wlo, whi, mlo, mhi := rangeMasks(lo, hi)
	if wlo == whi {
		w[wlo] &^= mlo & mhi
		return
	}
	w[wlo] &^= mlo
	clear(w[wlo+1 : whi])
	w[whi] &^= mhi
}

func anyBits(w []uint64, lo, hi uint64) bool {
	if lo >= hi {
		return false
	}
	wlo, whi, mlo, mhi := rangeMasks(lo, hi)
	if wlo == whi {
		return w[wlo]&mlo&mhi != 0
	}
	acc := w[wlo]&mlo | w[whi]&mhi
	for _, v := range w[wlo+1 : whi] {
		acc |= v
	}
	return acc != 0
}
