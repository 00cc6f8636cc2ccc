package mm

import (
	"encoding/binary"
	"errors"
	"runtime/debug"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// mapTotal sums the MAP kinds' counters.
func mapTotal(st HeapStats) KindStats {
	var k KindStats
	for _, m := range st.Map {
		k.Blocks += m.Blocks
		k.MappedBytes += m.MappedBytes
		k.LiveBytes += m.LiveBytes
		k.LiveAllocs += m.LiveAllocs
	}
	return k
}

// heapOp is one step of a table test: an operation on named slots.
type heapOp struct {
	op    string // alloc, calloc, aligned, free, realloc
	slot  int    // slot the result goes to (or is taken from)
	n     uint64 // size (calloc: count)
	arg   uint64 // calloc: element size; aligned: alignment
	err   error  // expected error (nil: success)
	moved bool   // realloc: whether the block must move
}

// heapAfter is the expected state after the operations.
type heapAfter struct {
	list, mapk, large KindStats // Blocks and LiveAllocs only
	inPlace, rejected uint64
}

func runOps(t *testing.T, h *Heap, ops []heapOp) []Addr {
	t.Helper()
	slots := make([]Addr, 8)
	for i, o := range ops {
		var (
			p   Addr
			err error
		)
		switch o.op {
		case "alloc":
			p, err = h.Alloc(o.n)
		case "calloc":
			p, err = h.Calloc(o.n, o.arg)
			if err == nil {
				for j, c := range memView(p, o.n*o.arg) {
					if c != 0 {
						t.Fatalf("op %d: Calloc byte %d is %#x", i, j, c)
					}
				}
			}
		case "aligned":
			p, err = h.AlignedAlloc(o.arg, o.n)
			if err == nil && uint64(p)%o.arg != 0 {
				t.Fatalf("op %d: AlignedAlloc(%d, %d) = %v, misaligned", i, o.arg, o.n, p)
			}
		case "free":
			err = h.Free(slots[o.slot])
		case "realloc":
			p, err = h.Realloc(slots[o.slot], o.n)
			if err == nil && (p != slots[o.slot]) != o.moved {
				t.Fatalf("op %d: Realloc(%v, %d) = %v, want moved=%v", i, slots[o.slot], o.n, p, o.moved)
			}
		default:
			t.Fatalf("op %d: unknown op %q", i, o.op)
		}
		if !errors.Is(err, o.err) {
			t.Fatalf("op %d (%s %d): error %v, want %v", i, o.op, o.n, err, o.err)
		}
		if err == nil && o.op != "free" {
			if p != 0 {
				memView(p, 1)[0] = 0xa5 // writable
			}
			slots[o.slot] = p
		}
		if err := h.Check(); err != nil {
			t.Fatalf("op %d: Check: %v", i, err)
		}
	}
	return slots
}

func TestHeapTable(t *testing.T) {
	big := uint64(600 << 10)
	tests := []struct {
		name  string
		ops   []heapOp
		after heapAfter
	}{
		{"small request takes a MAP slice",
			[]heapOp{{op: "alloc", n: 1}},
			heapAfter{mapk: KindStats{Blocks: 1, LiveAllocs: 1}}},
		{"257 bytes take a LIST chunk",
			[]heapOp{{op: "alloc", n: 257}},
			heapAfter{list: KindStats{Blocks: 1, LiveAllocs: 1}}},
		{"request above a block gets a dedicated mapping",
			[]heapOp{{op: "alloc", n: big}},
			heapAfter{large: KindStats{Blocks: 1, LiveAllocs: 1}}},
		{"freeing a large allocation unmaps it",
			[]heapOp{{op: "alloc", n: big}, {op: "free"}},
			heapAfter{}},
		{"coalescing both neighbours leaves one empty block",
			[]heapOp{{op: "alloc", slot: 0, n: 1000}, {op: "alloc", slot: 1, n: 1000}, {op: "alloc", slot: 2, n: 1000},
				{op: "free", slot: 0}, {op: "free", slot: 2}, {op: "free", slot: 1}},
			heapAfter{list: KindStats{Blocks: 1}}},
		{"realloc grows in place into a free successor",
			[]heapOp{{op: "alloc", slot: 0, n: 300}, {op: "alloc", slot: 1, n: 300}, {op: "free", slot: 1},
				{op: "realloc", slot: 0, n: 4000}},
			heapAfter{list: KindStats{Blocks: 1, LiveAllocs: 1}, inPlace: 1}},
		{"realloc shrinks in place",
			[]heapOp{{op: "alloc", slot: 0, n: 4000}, {op: "alloc", slot: 1, n: 300}, {op: "realloc", slot: 0, n: 300}},
			heapAfter{list: KindStats{Blocks: 1, LiveAllocs: 2}, inPlace: 1}},
		{"realloc moves when the successor is live",
			[]heapOp{{op: "alloc", slot: 0, n: 300}, {op: "alloc", slot: 1, n: 300},
				{op: "realloc", slot: 0, n: 1000, moved: true}},
			heapAfter{list: KindStats{Blocks: 1, LiveAllocs: 2}}},
		{"realloc from a slice to a chunk moves",
			[]heapOp{{op: "alloc", n: 100}, {op: "realloc", n: 1000, moved: true}},
			heapAfter{list: KindStats{Blocks: 1, LiveAllocs: 1}, mapk: KindStats{Blocks: 1}}},
		{"realloc within a slice stays",
			[]heapOp{{op: "alloc", n: 40}, {op: "realloc", n: 64}},
			heapAfter{mapk: KindStats{Blocks: 1, LiveAllocs: 1}, inPlace: 1}},
		{"realloc to 0 frees",
			[]heapOp{{op: "alloc", n: 10}, {op: "realloc", n: 0, moved: true}},
			heapAfter{mapk: KindStats{Blocks: 1}}},
		{"a second empty block is released",
			[]heapOp{{op: "alloc", slot: 0, n: 400 << 10}, {op: "alloc", slot: 1, n: 400 << 10},
				{op: "free", slot: 0}, {op: "free", slot: 1}},
			heapAfter{list: KindStats{Blocks: 1}}},
		{"calloc zeroes reused memory",
			[]heapOp{{op: "alloc", slot: 0, n: 3000}, {op: "free", slot: 0}, {op: "calloc", n: 100, arg: 30}},
			heapAfter{list: KindStats{Blocks: 1, LiveAllocs: 1}}},
		{"calloc overflow changes nothing",
			[]heapOp{{op: "calloc", n: 1 << 33, arg: 1 << 33, err: ErrOverflow}},
			heapAfter{}},
		{"huge request is ENOMEM",
			[]heapOp{{op: "alloc", n: 1 << 62, err: unix.ENOMEM}},
			heapAfter{}},
		{"alignment must be a power of two",
			[]heapOp{{op: "aligned", n: 10, arg: 3, err: ErrBadAlign}},
			heapAfter{}},
		{"page-aligned LIST chunk",
			[]heapOp{{op: "alloc", slot: 0, n: 300}, {op: "aligned", slot: 1, n: 300, arg: 4096}},
			heapAfter{list: KindStats{Blocks: 1, LiveAllocs: 2}}},
		{"64-byte aligned small request is a slice",
			[]heapOp{{op: "aligned", n: 100, arg: 64}},
			heapAfter{mapk: KindStats{Blocks: 1, LiveAllocs: 1}}},
		{"alignment above a page gets a mapping",
			[]heapOp{{op: "aligned", n: 100, arg: 1 << 20}},
			heapAfter{large: KindStats{Blocks: 1, LiveAllocs: 1}}},
		{"free(nil) does nothing",
			[]heapOp{{op: "free"}},
			heapAfter{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestHeap(t, HeapConfig{Name: "table"})
			runOps(t, h, tc.ops)
			st := h.Stats()
			got := heapAfter{
				list:     KindStats{Blocks: st.List.Blocks, LiveAllocs: st.List.LiveAllocs},
				mapk:     KindStats{Blocks: mapTotal(st).Blocks, LiveAllocs: mapTotal(st).LiveAllocs},
				large:    KindStats{Blocks: st.Large.Blocks, LiveAllocs: st.Large.LiveAllocs},
				inPlace:  st.ReallocsInPlace,
				rejected: st.RejectedFrees,
			}
			if got != tc.after {
				t.Fatalf("after: got %+v, want %+v", got, tc.after)
			}
		})
	}
}

// TestHeapBadFrees rejects every kind of bad pointer for every block kind:
// the call fails with the right error, the counter goes up, and nothing else
// changes.
func TestHeapBadFrees(t *testing.T) {
	for _, kind := range []struct {
		name string
		n    uint64
	}{{"map", 100}, {"list", 1000}, {"large", 600 << 10}} {
		t.Run(kind.name, func(t *testing.T) {
			h, _ := newTestHeap(t, HeapConfig{Name: "bad"})
			other, _ := newTestHeap(t, HeapConfig{Name: "other"})
			m := newModel(t, h)
			m.alloc(kind.n, 1)
			m.alloc(kind.n, 2)
			p := m.pick(0)
			foreign, err := other.Alloc(kind.n)
			if err != nil {
				t.Fatal(err)
			}
			m.badFree(foreign, ErrNotOwned)
			m.badFree(p+16, ErrInterior)
			m.badFree(p+1, ErrInterior)
			for _, wild := range []Addr{1, 0xdead0000, UserLimit - 1, UserLimit, 1 << 63, ^Addr(0)} {
				m.badFree(wild, ErrNotOwned)
				if h.Owns(wild) {
					t.Fatalf("Owns(%v) = true", wild)
				}
			}
			if err := h.Free(0); err != nil || h.Owns(0) {
				t.Fatalf("Free(nil) = %v, Owns(nil) = %v; want nil, false", err, h.Owns(0))
			}
			m.check()

			// Double free: still a freed start (LIST, MAP) or an unmapped
			// range (large).
			q := m.pick(1)
			m.free(q)
			want := ErrDoubleFree
			if kind.name == "large" {
				want = ErrNotOwned
			}
			m.badFree(q, want)
			m.check()

			// Freed, then reallocated elsewhere: a larger allocation now
			// covers q, which is interior to it.
			if kind.name == "list" {
				p := m.pick(0)
				m.free(p)
				r, err := h.Alloc(3 * kind.n)
				if err != nil {
					t.Fatal(err)
				}
				m.added(r, 3*kind.n, 3, 16)
				if r >= q || q >= r+Addr(3*kind.n) {
					t.Fatalf("new allocation [%v, +%d) does not cover the freed %v", r, 3*kind.n, q)
				}
				m.badFree(q, ErrInterior)
				m.check()
			}
			if st := h.Stats(); st.RejectedFrees != m.rej || st.RejectedFrees == 0 {
				t.Fatalf("rejected %d, want %d", st.RejectedFrees, m.rej)
			}
			// Realloc and UsableSize reject the same pointers.
			if _, err := h.Realloc(p+16, 10); err == nil {
				t.Fatalf("Realloc of an interior pointer succeeded")
			}
			if _, err := h.UsableSize(foreign); !errors.Is(err, ErrNotOwned) {
				t.Fatalf("UsableSize(foreign) = %v", err)
			}
		})
	}
}

// TestHeapOwnsEveryAddress asks Owns about every byte of a LIST block, a MAP
// block and a large mapping (and the bytes around them): true exactly at the
// live starts.
func TestHeapOwnsEveryAddress(t *testing.T) {
	h, _ := newTestHeap(t, HeapConfig{Name: "owns"})
	live := map[Addr]bool{}
	var freed []Addr
	for i, n := range []uint64{100, 1, 128, 50, 200, 3000, 17, 70000, 600 << 10, 5000} {
		p, err := h.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		live[p] = true
		if i%3 == 1 {
			freed = append(freed, p)
		}
	}
	for _, p := range freed {
		h.Free(p)
		delete(live, p)
	}
	ranges := blockRanges(h)
	if len(ranges) != 7 {
		t.Fatalf("%d blocks, want one of each kind (LIST, MAP 16, 32, 64, 128 and 256, large)", len(ranges))
	}
	for _, r := range ranges {
		for p := r.Start - 64; p < r.End+64; p++ {
			if got := h.Owns(p); got != live[p] {
				t.Fatalf("Owns(%v) = %v, want %v (block %v)", p, got, live[p], r)
			}
		}
	}
}

// blockRanges returns the ranges of h's live blocks.
func blockRanges(h *Heap) []AddrRange {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ranges []AddrRange
	for _, b := range h.slots {
		if b != nil {
			ranges = append(ranges, b.r)
		}
	}
	return ranges
}

// TestHeapConcurrent runs several goroutines that allocate, write, verify
// and free at once (the CI runs it under -race), then checks the heap.
func TestHeapConcurrent(t *testing.T) {
	h, _ := newTestHeap(t, HeapConfig{Name: "race"})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var mine []Addr
			for i := 0; i < 3000; i++ {
				n := uint64(1 + (i*37+g*11)%3000)
				if i%500 == 0 {
					n = 600 << 10
				}
				p, err := h.Alloc(n)
				if err != nil {
					errs <- err
					return
				}
				b := memView(p, n)
				b[0], b[n-1] = byte(g), byte(g)
				mine = append(mine, p)
				if i%2 == 1 {
					j := (i * 7) % len(mine)
					q := mine[j]
					if !h.Owns(q) || memView(q, 1)[0] != byte(g) {
						errs <- errors.New("allocation lost or overwritten")
						return
					}
					if q, err = h.Realloc(q, n/2+1); err != nil {
						errs <- err
						return
					}
					if err := h.Free(q); err != nil {
						errs <- err
						return
					}
					mine = append(mine[:j], mine[j+1:]...)
				}
			}
			for _, p := range mine {
				if err := h.Free(p); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := h.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if st := h.Stats(); st.List.LiveAllocs+mapTotal(st).LiveAllocs+st.Large.LiveAllocs != 0 {
		t.Fatalf("allocations left: %+v", st)
	}
}

// TestHeapZeroAllocs: Alloc and Free of every kind allocate no Go memory in
// steady state (large mappings reuse their block records).
func TestHeapZeroAllocs(t *testing.T) {
	// A Regions source: the test source's bookkeeping map would allocate.
	r, err := NewRegions(RegionsConfig{Mode: Mode64})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := NewPrimaryHeap(r)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, n := range []uint64{24, 200, 3000, 600 << 10} {
		keep, _ := h.Alloc(n) // keep the block mapped
		got := testing.AllocsPerRun(200, func() {
			p, err := h.Alloc(n)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Free(p); err != nil {
				t.Fatal(err)
			}
			if !h.Owns(keep) {
				t.Fatal("lost an allocation")
			}
		})
		if got != 0 {
			t.Fatalf("Alloc/Free(%d): %v Go allocations per run, want 0", n, got)
		}
	}
}

// TestHeapSourceFailure: when the source is out of memory, allocations fail
// with ENOMEM and the heap stays consistent.
func TestHeapSourceFailure(t *testing.T) {
	h, src := newTestHeap(t, HeapConfig{Name: "enomem"})
	src.limit = 2
	m := newModel(t, h)
	m.alloc(100, 1)  // MAP block
	m.alloc(1000, 2) // LIST block
	for _, n := range []uint64{600 << 10, 400 << 10, 400 << 10} {
		p, err := h.Alloc(n)
		if err == nil {
			m.added(p, n, 3, 16) // fitted in the LIST block
			continue
		}
		if !errors.Is(err, unix.ENOMEM) {
			t.Fatalf("Alloc(%d) = %v, want ENOMEM", n, err)
		}
	}
	if st := h.Stats(); st.BlockMaps != 2 {
		t.Fatalf("%d blocks mapped, want the 2 the source allowed", st.BlockMaps)
	}
	m.check()
}

func TestHeapConfigErrors(t *testing.T) {
	for _, cfg := range []HeapConfig{
		{},
		{Source: newMmapSource(), ListBlockSize: 3 << 20},
		{Source: newMmapSource(), ListBlockSize: 64 << 10},
		{Source: newMmapSource(), SliceSizes: []uint64{128, 64}},
		{Source: newMmapSource(), SliceSizes: []uint64{8}},
	} {
		if _, err := NewHeap(cfg); err == nil {
			t.Errorf("NewHeap(%+v) succeeded", cfg)
		}
	}
}

func TestHeapClosed(t *testing.T) {
	src := newMmapSource()
	h, err := NewHeap(HeapConfig{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := h.Alloc(10)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if n := src.liveCount(); n != 0 {
		t.Fatalf("%d blocks left after Close", n)
	}
	if _, err := h.Alloc(10); !errors.Is(err, ErrClosed) {
		t.Fatalf("Alloc after Close: %v", err)
	}
	if err := h.Free(p); !errors.Is(err, ErrClosed) || h.Owns(p) {
		t.Fatalf("Free after Close: %v", err)
	}
}

// TestHeapCorruptedBlockMemory: bytes written over in-block metadata (a
// guest can write into host-heap blocks) are reported, never followed out of
// the block, and Owns keeps answering from the heap's own records. The
// corrupted blocks are quarantined: the allocation that finds the MAP
// bitmap wrong is served from a fresh block, the Free of the LIST chunk
// whose header was cleared is refused with ErrCorrupt, and Check reports
// both blocks.
func TestHeapCorruptedBlockMemory(t *testing.T) {
	h, _ := newTestHeap(t, HeapConfig{Name: "corrupt"})
	p, _ := h.Alloc(100)  // MAP
	q, _ := h.Alloc(1000) // LIST
	// Overwrite the MAP bitmap (claims every slice free) and the LIST
	// chunk's header.
	b := h.blockOf(p)
	clear(b.mem[b.cls.bitmapOff:])
	clear(memView(q-16, 16))
	if !h.Owns(p) || !h.Owns(q) {
		t.Fatal("Owns changed after block memory was overwritten")
	}
	if err := h.Check(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Check: %v, want ErrCorrupt", err)
	}
	r, err := h.Alloc(100)
	if err != nil || b.r.Contains(r) || r == p {
		t.Fatalf("Alloc after the MAP bitmap was cleared: %v, %v; want a slice outside block %v", r, err, b.r)
	}
	if err := h.Free(q); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Free of the LIST chunk with a cleared header: %v, want ErrCorrupt", err)
	}
	if !h.Owns(q) {
		t.Fatal("the refused Free released q")
	}
	if st := h.Stats(); st.Corruptions != 2 || st.QuarantinedBlocks != 2 {
		t.Fatalf("corruptions %d, quarantined %d, want 2 and 2", st.Corruptions, st.QuarantinedBlocks)
	}
	if err := h.Check(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Check: %v, want ErrCorrupt naming the quarantined blocks", err)
	}
	for _, a := range []Addr{p, q, r} {
		if err := h.Free(a); err != nil {
			t.Fatalf("Free(%v): %v", a, err)
		}
	}
	if st := h.Stats(); st.QuarantinedBlocks != 0 {
		t.Fatalf("%d quarantined blocks left after their allocations were freed", st.QuarantinedBlocks)
	}
	if err := h.Check(); err != nil {
		t.Fatalf("Check at the end: %v", err)
	}
}

// TestHeapHotRingForgetsReleasedBlocks: a MAP block released while the hot
// ring still names its slices must leave the ring, or the next allocation
// would hand out a slice of unmapped memory. Before: two 256-byte-slice
// blocks, full and one slice. Operations: free everything, newest first
// (the ring fills with both blocks' slices; the second block to empty is
// released), then allocate again. After: Check passes, every new allocation
// is owned and inside a live block, none repeats.
func TestHeapHotRingForgetsReleasedBlocks(t *testing.T) {
	h, src := newTestHeap(t, HeapConfig{Name: "hot", SliceSizes: []uint64{256}})
	n := int(newMapClass(256).nslices) + 1
	ps := make([]Addr, n)
	for i := range ps {
		p, err := h.Alloc(200)
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = p
	}
	if got := h.Stats().Map[0].Blocks; got != 2 {
		t.Fatalf("got %d blocks before, want 2", got)
	}
	for i := n - 1; i >= 0; i-- {
		if err := h.Free(ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.Stats().Map[0].Blocks; got != 1 {
		t.Fatalf("got %d blocks after freeing, want 1 (one empty block kept)", got)
	}
	if err := h.Check(); err != nil {
		t.Fatalf("Check after the frees: %v", err)
	}
	seen := map[Addr]bool{}
	for i := 0; i < 100; i++ {
		p, err := h.Alloc(200)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] || !h.Owns(p) || !src.covers(p) {
			t.Fatalf("allocation %d at %v: repeated %v, owned %v, mapped %v", i, p, seen[p], h.Owns(p), src.covers(p))
		}
		seen[p] = true
		memView(p, 200)[199] = 1
	}
	if err := h.Check(); err != nil {
		t.Fatalf("Check after the allocations: %v", err)
	}
}

// TestHeapInteriorOverForgedHeaders: a live LIST payload holding a pair of
// chunk headers whose marks agree both ways (stale headers left by chunks
// merged and then allocated over, or bytes a guest wrote into a host-heap
// block) must not make an interior pointer look like a double free. The
// free is rejected as interior and the heap is unchanged. A random model
// run found the stale case; this test forges it directly.
func TestHeapInteriorOverForgedHeaders(t *testing.T) {
	h, _ := newTestHeap(t, HeapConfig{Name: "forged", NoMap: true})
	p, err := h.Alloc(512)
	if err != nil {
		t.Fatal(err)
	}
	mem := memView(p, 512)
	const x, size = 64, 96                            // a forged free chunk header at p+64, next header at p+160
	binary.LittleEndian.PutUint32(mem[x:], markFill)  // prev: a live chunk before it
	binary.LittleEndian.PutUint32(mem[x+4:], size)    // next: free, 96 bytes on
	binary.LittleEndian.PutUint32(mem[x+size:], size) // the next header's prev agrees
	binary.LittleEndian.PutUint32(mem[x+size+4:], 48|markFill)
	before := h.Stats()
	if err := h.Free(p + x + listHeader); err != ErrInterior {
		t.Fatalf("Free(interior over forged headers) = %v, want %v", err, ErrInterior)
	}
	if err := h.Check(); err != nil {
		t.Fatalf("Check after the rejected free: %v", err)
	}
	after := h.Stats()
	if after.List != before.List {
		t.Fatalf("list stats changed: %+v, want %+v", after.List, before.List)
	}
	if err := h.Free(p); err != nil {
		t.Fatalf("Free(p) = %v", err)
	}
}

// TestHeapOwnsReadsNoBlockMemory: Owns answers from the heap's own records
// alone. Before: a LIST block with live and freed chunks, a MAP block with
// live and freed slices. Operation: make both blocks inaccessible
// (PROT_NONE) and ask Owns about every 16-byte aligned address in them, with
// faults turned into panics. After: no fault, and Owns is true exactly at the
// live starts. A freed or interior LIST offset used to be classified by
// walking the block's headers (an O(chunks) read of memory a guest may
// have unmapped or written).
func TestHeapOwnsReadsNoBlockMemory(t *testing.T) {
	h, _ := newTestHeap(t, HeapConfig{Name: "owns-nomem"})
	live := map[Addr]bool{}
	for i, n := range []uint64{1000, 100, 3000, 120, 500, 70, 2000, 90} {
		p, err := h.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		live[p] = true
		if i%4 == 1 || i%4 == 2 { // freed starts in both kinds
			if err := h.Free(p); err != nil {
				t.Fatal(err)
			}
			delete(live, p)
		}
	}
	ranges := blockRanges(h)
	if len(ranges) != 2 {
		t.Fatalf("%d blocks, want a LIST and a MAP block", len(ranges))
	}
	for _, r := range ranges {
		if err := sysMprotect(r, unix.PROT_NONE); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, r := range ranges {
			if err := sysMprotect(r, unix.PROT_READ|unix.PROT_WRITE); err != nil {
				t.Fatal(err)
			}
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	for _, r := range ranges {
		for p := r.Start; p < r.End; p += 16 {
			got, fault := ownsNoFault(h, p)
			if fault != nil {
				t.Fatalf("Owns(%v) read block memory: %v", p, fault)
			}
			if got != live[p] {
				t.Fatalf("Owns(%v) = %v, want %v (block %v)", p, got, live[p], r)
			}
		}
	}
}

// ownsNoFault calls h.Owns(p) and returns the fault it caused, if any (with
// debug.SetPanicOnFault on), releasing the lock the fault left held.
func ownsNoFault(h *Heap, p Addr) (owned bool, fault any) {
	defer func() {
		if fault = recover(); fault != nil {
			h.mu.Unlock()
		}
	}()
	return h.Owns(p), nil
}

// TestHeapCheckCatchesStaleRecords: Check recounts and compares every cached
// record. Before: a heap with a LIST chunk, live and freed MAP slices (so the
// current block and the hot ring are set) and a large mapping, which Check
// accepts. Operation: one record made wrong. After: Check reports it (and
// does not panic).
func TestHeapCheckCatchesStaleRecords(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(h *Heap, list, mapb *heapBlock)
	}{
		{"map maxfree", func(h *Heap, _, m *heapBlock) { m.maxfree++ }},
		{"map lowest above a free slice", func(h *Heap, _, m *heapBlock) { m.lowest = m.cls.nslices }},
		{"map starts mirror", func(h *Heap, _, m *heapBlock) { m.starts[0] ^= 1 }},
		{"map bitmap view", func(h *Heap, _, m *heapBlock) { m.bmap = m.bmap[1:] }},
		{"map bitmap view on a LIST block", func(h *Heap, l, m *heapBlock) { l.bmap = m.bmap }},
		{"starts length", func(h *Heap, l, _ *heapBlock) { l.starts = l.starts[:len(l.starts)-1] }},
		{"memory view", func(h *Heap, l, _ *heapBlock) { l.mem = l.mem[16:] }},
		{"list first above the lowest free chunk", func(h *Heap, l, _ *heapBlock) { l.first = l.sentinel() }},
		{"list maxfree below the truth", func(h *Heap, l, _ *heapBlock) { l.maxfree = 0 }},
		{"list bins missing", func(h *Heap, l, _ *heapBlock) { l.bins = nil }},
		{"fit tree inner node", func(h *Heap, l, _ *heapBlock) { l.cls.tree.v[1]++ }},
		{"fit tree leaf past the blocks", func(h *Heap, l, _ *heapBlock) { l.cls.tree.set(len(l.cls.blocks), 1) }},
		{"current block of another kind", func(h *Heap, l, m *heapBlock) { m.cls.cur = l }},
		{"current block on LIST", func(h *Heap, l, m *heapBlock) { l.cls.cur = l }},
		{"hot ring names another kind's block", func(h *Heap, l, m *heapBlock) { m.cls.hot[5] = hotSlice{l, 0} }},
		{"hot ring count", func(h *Heap, _, m *heapBlock) { m.cls.hotN = uint32(len(m.cls.hot)) + 1 }},
		{"empty counter", func(h *Heap, _, m *heapBlock) { m.cls.empty++ }},
		{"kind live bytes", func(h *Heap, l, _ *heapBlock) { l.cls.stats.LiveBytes++ }},
		{"block live allocations", func(h *Heap, _, m *heapBlock) { m.nlive++ }},
		{"mapped bytes", func(h *Heap, _, _ *heapBlock) { h.mapped++ }},
		{"index count", func(h *Heap, _, _ *heapBlock) { h.index.n++ }},
		{"index entry", func(h *Heap, l, _ *heapBlock) { h.index.setRange(l.r, 0) }},
		{"free slot in use", func(h *Heap, _, _ *heapBlock) { h.freeSlots = append(h.freeSlots, 0) }},
		{"free class index in use", func(h *Heap, l, _ *heapBlock) { l.cls.freeIdx = append(l.cls.freeIdx, l.cidx) }},
		{"large kind with a fit tree", func(h *Heap, _, _ *heapBlock) { h.large.tree.set(0, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newTestHeap(t, HeapConfig{Name: "stale", SliceSizes: []uint64{128}})
			var ps []Addr
			for _, n := range []uint64{1000, 100, 100, 100, 600 << 10} {
				p, err := h.Alloc(n)
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, p)
			}
			if err := h.Free(ps[2]); err != nil { // a free slice below live ones, in the hot ring
				t.Fatal(err)
			}
			if err := h.Check(); err != nil {
				t.Fatalf("Check before: %v", err)
			}
			h.mu.Lock()
			tc.break_(h, h.blockOf(ps[0]), h.blockOf(ps[1]))
			h.mu.Unlock()
			if err := h.Check(); err == nil {
				t.Fatal("Check passed")
			}
		})
	}
}

// skewSource breaks the BlockSource contract: a block asked for with an
// alignment above heapGranule comes back aligned to heapGranule only.
type skewSource struct {
	inner *mmapSource
	outer map[AddrRange]AddrRange // range handed out -> inner range
}

func (s *skewSource) MapBlock(length, align uint64) (AddrRange, error) {
	if align <= heapGranule {
		return s.inner.MapBlock(length, align)
	}
	in, err := s.inner.MapBlock(length+heapGranule, align)
	if err != nil {
		return AddrRange{}, err
	}
	r, _ := NewRange(in.Start+heapGranule, length)
	s.outer[r] = in
	return r, nil
}

func (s *skewSource) UnmapBlock(r AddrRange) error {
	if in, ok := s.outer[r]; ok {
		delete(s.outer, r)
		r = in
	}
	return s.inner.UnmapBlock(r)
}

// TestHeapRefusesMisalignedBlocks: a source that returns a block less
// aligned than asked is refused with EINVAL and the block handed back.
// Before: an empty heap over skewSource. Operations: a MAP allocation (its
// alignment, 128 KiB, is honoured), a LIST allocation and a 1 MiB aligned
// one (both get skewed blocks). After: the MAP allocation succeeded, the
// other two failed with EINVAL, Check passes, only the MAP block is mapped.
// The heap used to check only 128 KiB alignment, keeping a LIST block not
// aligned to its size and returning a misaligned AlignedAlloc.
func TestHeapRefusesMisalignedBlocks(t *testing.T) {
	src := &skewSource{inner: newMmapSource(), outer: map[AddrRange]AddrRange{}}
	h, err := NewHeap(HeapConfig{Name: "skew", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Alloc(100); err != nil {
		t.Fatalf("Alloc(100) from a MAP block: %v", err)
	}
	if p, err := h.Alloc(1000); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("Alloc(1000) from a skewed LIST block = %v, %v; want EINVAL", p, err)
	}
	if p, err := h.AlignedAlloc(1<<20, 100); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("AlignedAlloc(1 MiB, 100) from a skewed mapping = %v, %v; want EINVAL", p, err)
	}
	if err := h.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if n, outer := src.inner.liveCount(), len(src.outer); n != 1 || outer != 0 {
		t.Fatalf("source holds %d blocks (%d skewed), want the MAP block alone", n, outer)
	}
	if err := h.Close(); err != nil || src.inner.liveCount() != 0 {
		t.Fatalf("Close: %v, %d blocks left", err, src.inner.liveCount())
	}
}
