package guest

import (
	"fmt"

	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// checkCache recounts the decoded-block cache from its blocks and compares
// it with the index, the page map and the code filter. Tests call it after
// every step of random sequences; it returns the first inconsistency.
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
func (m *Machine) checkCache() error {
	live := map[*block]bool{}
	for pc, b := range m.index {
		if !b.live || b.start != pc {
			return fmt.Errorf("index[%#x] is block [%#x,%#x) live=%v", pc, b.start, b.end, b.live)
		}
		live[b] = true
	}
	seen := map[*block]int{}
	for p, bs := range m.pages {
		if len(bs) == 0 {
			return fmt.Errorf("page %#x has an empty block list", p)
		}
		if w, bit := filterSlot(p); m.codeFilter[w]&bit == 0 {
			return fmt.Errorf("page %#x holds code but its filter bit is clear", p)
		}
		dup := map[*block]bool{}
		for _, b := range bs {
			if !b.live {
				return fmt.Errorf("page %#x lists dead block at %#x", p, b.start)
			}
			if dup[b] {
				return fmt.Errorf("page %#x lists block %#x twice", p, b.start)
			}
			dup[b] = true
			if p < b.start>>mm.PageShift || p > (b.end-1)>>mm.PageShift {
				return fmt.Errorf("page %#x lists block [%#x,%#x) that does not touch it", p, b.start, b.end)
			}
			seen[b]++
		}
	}
	for b := range live {
		want := int((b.end-1)>>mm.PageShift - b.start>>mm.PageShift + 1)
		if seen[b] != want {
			return fmt.Errorf("block [%#x,%#x) listed on %d pages, spans %d", b.start, b.end, seen[b], want)
		}
		if len(b.ops) == 0 || !b.ops[len(b.ops)-1].EndsBlock() {
			return fmt.Errorf("block %#x does not end with a block-ending op", b.start)
		}
		for i := range b.ops {
			if o := &b.ops[i]; o.Code != isa.OpFallthrough && (o.PC < b.start || o.PC >= b.end) {
				return fmt.Errorf("block [%#x,%#x) holds an op at %#x", b.start, b.end, o.PC)
			}
		}
	}
	var bytes, n uint64
	var prev *block
	for b := m.oldest; b != nil; prev, b = b, b.newer {
		if b.older != prev {
			return fmt.Errorf("age list: block %#x links back to %p, not %p", b.start, b.older, prev)
		}
		if !live[b] {
			return fmt.Errorf("age list holds block %#x (live=%v), not in the index", b.start, b.live)
		}
		bytes += blockCost(len(b.ops))
		if n++; n > uint64(len(live)) {
			return fmt.Errorf("age list longer than the %d live blocks", len(live))
		}
	}
	if m.newest != prev || n != uint64(len(live)) || n != m.liveBlocks {
		return fmt.Errorf("age list: %d blocks ending at %p; index has %d, liveBlocks %d, newest %p", n, prev, len(live), m.liveBlocks, m.newest)
	}
	if bytes != m.cacheBytes || (bytes > m.budget && n > 1) {
		return fmt.Errorf("cache bytes %d counted, %d recorded, budget %d over %d blocks", bytes, m.cacheBytes, m.budget, n)
	}
	for b := range seen {
		if !live[b] {
			// Pages list only live blocks, and every live block is in the
			// index (nothing replaces a block with another of the same
			// start).
			return fmt.Errorf("block %#x is on pages but not in the index", b.start)
		}
	}
	return nil
}
