package engine

import (
	"fmt"
	"sync/atomic"

	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// Check recounts the decoded-block cache from its blocks and compares it
// with the index, the page map and the code filter. Tests call it after
// every step of random sequences; it returns the first inconsistency. It
// takes the process's lock.
//
// Invariants:
//  1. Every index entry is a live block starting at its key.
//  2. Every live block on a page is listed in pages for every page it
//     spans, exactly once; pages lists no dead block and no empty slice.
//  3. The filter bit of every page in pages is set.
//  4. Every block's ops are non-empty, end with an op that ends the
//     block, and lie inside [start, end).
//  5. The age list holds exactly the live blocks of the index, linked both
//     ways; cacheBytes and liveBlocks are their blockCost sum and count,
//     and cacheBytes is within the budget unless one block alone exceeds
//     it.
func (p *Process) Check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	live := map[*Block]bool{}
	for pc, b := range p.index {
		if !b.live.Load() || b.Start != pc {
			return fmt.Errorf("index[%#x] is block [%#x,%#x) live=%v", pc, b.Start, b.End, b.live.Load())
		}
		live[b] = true
	}
	seen := map[*Block]int{}
	for pg, bs := range p.pages {
		if len(bs) == 0 {
			return fmt.Errorf("page %#x has an empty block list", pg)
		}
		if w, bit := FilterSlot(pg); atomic.LoadUint64(&p.filter[w])&bit == 0 {
			return fmt.Errorf("page %#x holds code but its filter bit is clear", pg)
		}
		dup := map[*Block]bool{}
		for _, b := range bs {
			if !b.live.Load() {
				return fmt.Errorf("page %#x lists dead block at %#x", pg, b.Start)
			}
			if dup[b] {
				return fmt.Errorf("page %#x lists block %#x twice", pg, b.Start)
			}
			dup[b] = true
			if pg < b.Lo>>mm.PageShift || pg > (b.End-1)>>mm.PageShift {
				return fmt.Errorf("page %#x lists block [%#x,%#x) that does not touch it", pg, b.Start, b.End)
			}
			seen[b]++
		}
	}
	for b := range live {
		want := int((b.End-1)>>mm.PageShift - b.Lo>>mm.PageShift + 1)
		if seen[b] != want {
			return fmt.Errorf("block [%#x,%#x) listed on %d pages, spans %d", b.Start, b.End, seen[b], want)
		}
		if len(b.Ops) == 0 || !b.Ops[len(b.Ops)-1].EndsBlock() {
			return fmt.Errorf("block %#x does not end with a block-ending op", b.Start)
		}
		for i := range b.Ops {
			if o := &b.Ops[i]; o.Code != isa.OpFallthrough && (o.PC < b.Lo || o.PC >= b.End) {
				return fmt.Errorf("block [%#x,%#x) holds an op at %#x", b.Start, b.End, o.PC)
			}
		}
	}
	var bytes, n uint64
	var prev *Block
	for b := p.oldest; b != nil; prev, b = b, b.newer {
		if b.older != prev {
			return fmt.Errorf("age list: block %#x links back to %p, not %p", b.Start, b.older, prev)
		}
		if !live[b] {
			return fmt.Errorf("age list holds block %#x (live=%v), not in the index", b.Start, b.live.Load())
		}
		bytes += blockCost(len(b.Ops))
		if n++; n > uint64(len(live)) {
			return fmt.Errorf("age list longer than the %d live blocks", len(live))
		}
	}
	if p.newest != prev || n != uint64(len(live)) || n != p.liveBlocks {
		return fmt.Errorf("age list: %d blocks ending at %p; index has %d, liveBlocks %d, newest %p", n, prev, len(live), p.liveBlocks, p.newest)
	}
	if bytes != p.cacheBytes || (bytes > p.budget && n > 1) {
		return fmt.Errorf("cache bytes %d counted, %d recorded, budget %d over %d blocks", bytes, p.cacheBytes, p.budget, n)
	}
	for b := range seen {
		if !live[b] {
			// Pages list only live blocks, and every live block is in the
			// index (nothing replaces a block with another of the same
			// start).
			return fmt.Errorf("block %#x is on pages but not in the index", b.Start)
		}
	}
	return nil
}
