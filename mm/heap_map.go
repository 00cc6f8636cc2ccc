package mm

import (
	"encoding/binary"
	"math/bits"
)

// MAP blocks: MapBlockSize bytes cut into fixed slices from offset 0, with a
// bitmap of the slices at bitmapOff, inside the block as in Box64 (1 = used;
// the bits past the last slice are always 1). lowest is the scan hint: no
// free slice lies below it. maxfree is the exact number of free slices.
// The Go-side starts bitmap mirrors the in-block one; frees and Owns trust
// only the mirror, and an allocation that finds the two disagreeing reports
// ErrCorrupt instead of handing out a live slice twice.

func (b *heapBlock) mapWord(w uint32) uint64 {
	return binary.LittleEndian.Uint64(b.mem[b.cls.bitmapOff+8*w:])
}

func (b *heapBlock) setMapWord(w uint32, v uint64) {
	binary.LittleEndian.PutUint64(b.mem[b.cls.bitmapOff+8*w:], v)
}

// mapWords is the number of 64-bit words of a MAP kind's bitmap.
func (c *heapClass) mapWords() uint32 { return (c.nslices + 63) / 64 }

func (h *Heap) mapInitLocked(b *heapBlock) {
	c := b.cls
	nw := c.mapWords()
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

// mapAllocLocked hands out the lowest free slice of the leftmost MAP block
// of class c that has one, mapping a new block when none has.
func (h *Heap) mapAllocLocked(c *heapClass) (Addr, error) {
	var b *heapBlock
	if c.cur >= 0 && c.cur < len(c.blocks) && c.blocks[c.cur] != nil && c.blocks[c.cur].maxfree > 0 {
		b = c.blocks[c.cur]
	} else if i := c.tree.find(1); i >= 0 {
		b = c.blocks[i]
		c.cur = i
	} else {
		var err error
		if b, err = h.newBlockLocked(c, MapBlockSize, MapBlockSize); err != nil {
			return 0, err
		}
		h.mapInitLocked(b)
		c.cur = int(b.cidx)
	}
	nw := c.mapWords()
	for w := b.lowest / 64; w < nw; w++ {
		v := b.mapWord(w)
		if v == ^uint64(0) {
			continue
		}
		bit := uint32(bits.TrailingZeros64(^v))
		i := w*64 + bit
		if testBit(b.starts, uint64(i)) {
			return 0, h.corruptLocked(b, "MAP bitmap marks a live slice free")
		}
		b.setMapWord(w, v|1<<bit)
		setBit(b.starts, uint64(i))
		b.lowest = i + 1
		b.maxfree--
		if b.maxfree == 0 {
			c.tree.set(int(b.cidx), 0)
		}
		h.noteAllocLocked(b, c.slice)
		return b.r.Start + Addr(uint64(i)<<c.sliceShift), nil
	}
	return 0, h.corruptLocked(b, "MAP block with free slices has a full bitmap")
}

// mapFreeLocked frees the live slice at offset off.
func (h *Heap) mapFreeLocked(b *heapBlock, off uint64) {
	c := b.cls
	i := uint32(off >> c.sliceShift)
	clearBit(b.starts, uint64(i))
	b.setMapWord(i/64, b.mapWord(i/64)&^(1<<(i%64)))
	b.lowest = min(b.lowest, i)
	c.cur = int(b.cidx) // the next allocation reuses this slice while it is hot
	if b.maxfree == 0 {
		c.tree.set(int(b.cidx), 1)
	}
	b.maxfree++
	h.noteFreeLocked(b, c.slice)
}
