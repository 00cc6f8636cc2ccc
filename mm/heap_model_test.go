package mm

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// mmapSource is a BlockSource over plain kernel mmap, for testing the
// engine on real memory independently of Regions and GuestSpace. It maps
// length+align bytes and trims both ends to honour the alignment, and
// records every range it handed out so tests can check UnmapBlock.
type mmapSource struct {
	mu     sync.Mutex
	live   map[AddrRange]bool // ranges handed out and not yet returned
	maps   int                // successful MapBlock calls
	unmaps int                // successful UnmapBlock calls
	limit  int                // if > 0, MapBlock fails with ENOMEM once live has this many ranges
}

func newMmapSource() *mmapSource { return &mmapSource{live: make(map[AddrRange]bool)} }

func (s *mmapSource) MapBlock(length, align uint64) (AddrRange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit > 0 && len(s.live) >= s.limit {
		return AddrRange{}, unix.ENOMEM
	}
	a, err := sysMmap(0, length+align, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE, -1, 0)
	if err != nil {
		return AddrRange{}, err
	}
	start, _ := a.AlignUp(align)
	whole, _ := NewRange(a, length+align)
	r, _ := NewRange(start, length)
	if start > a {
		sysMunmap(AddrRange{Start: a, End: start})
	}
	if r.End < whole.End {
		sysMunmap(AddrRange{Start: r.End, End: whole.End})
	}
	s.live[r] = true
	s.maps++
	return r, nil
}

func (s *mmapSource) UnmapBlock(r AddrRange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live[r] {
		return fmt.Errorf("UnmapBlock(%v): not a block of this source", r)
	}
	delete(s.live, r)
	s.unmaps++
	return sysMunmap(r)
}

// covers reports whether p lies in a block the source has mapped and not
// unmapped.
func (s *mmapSource) covers(p Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r := range s.live {
		if r.Contains(p) {
			return true
		}
	}
	return false
}

func (s *mmapSource) liveCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// newTestHeap returns a heap over a fresh mmapSource, closed at the end of
// the test (which also checks that every block went back to the source).
func newTestHeap(t testing.TB, cfg HeapConfig) (*Heap, *mmapSource) {
	t.Helper()
	src := newMmapSource()
	cfg.Source = src
	h, err := NewHeap(cfg)
	if err != nil {
		t.Fatalf("NewHeap: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if n := src.liveCount(); n != 0 {
			t.Errorf("after Close the source still has %d blocks", n)
		}
	})
	return h, src
}

// model is the reference the heap is compared with: the live allocations
// with the size asked for and the byte pattern written into them.
type model struct {
	t    testing.TB
	h    *Heap
	live map[Addr]modelAlloc
	rej  uint64 // rejected frees the heap must have counted
}

type modelAlloc struct {
	n   uint64
	tag byte
}

func newModel(t testing.TB, h *Heap) *model {
	return &model{t: t, h: h, live: make(map[Addr]modelAlloc)}
}

// fill writes the allocation's pattern: every byte of small ones; the
// first and last 32 bytes and every 61st byte in between of larger ones.
func fill(p Addr, n uint64, tag byte) {
	forPattern(p, n, func(b []byte, i uint64) { b[i] = tag ^ byte(i) })
}

func forPattern(p Addr, n uint64, f func(b []byte, i uint64)) {
	b := memView(p, n)

	if n <= 64 {
		for i := range n {
			f(b, i)
		}
		return
	}
	for i := uint64(0); i < 32; i++ {
		f(b, i)
		f(b, n-1-i)
	}
	for i := uint64(32); i < n-32; i += 61 {
		f(b, i)
	}
}

func (m *model) verify(p Addr, a modelAlloc, n uint64) {
	m.t.Helper()
	forPattern(p, a.n, func(b []byte, i uint64) {
		if i < n && b[i] != a.tag^byte(i) {
			m.t.Fatalf("allocation %v (%d bytes): byte %d is %#x, want %#x", p, a.n, i, b[i], a.tag^byte(i))
		}
	})
}

func (m *model) alloc(n uint64, tag byte) {
	m.t.Helper()
	p, err := m.h.Alloc(n)
	if err != nil {
		m.t.Fatalf("Alloc(%d): %v", n, err)
	}
	m.added(p, n, tag, 16)
}

func (m *model) added(p Addr, n uint64, tag byte, align uint64) {
	m.t.Helper()
	if p == 0 || uint64(p)%align != 0 {
		m.t.Fatalf("allocation of %d bytes at %v, want non-nil and aligned to %d", n, p, align)
	}
	if _, dup := m.live[p]; dup {
		m.t.Fatalf("allocation of %d bytes at %v, which is live already", n, p)
	}
	if us, err := m.h.UsableSize(p); err != nil || us < n {
		m.t.Fatalf("UsableSize(%v) = %d, %v, want >= %d", p, us, err, n)
	}
	fill(p, max(n, 1), tag)
	m.live[p] = modelAlloc{n: max(n, 1), tag: tag}
}

func (m *model) free(p Addr) {
	m.t.Helper()
	a := m.live[p]
	m.verify(p, a, a.n)
	if err := m.h.Free(p); err != nil {
		m.t.Fatalf("Free(%v): %v", p, err)
	}
	delete(m.live, p)
}

func (m *model) realloc(p Addr, n uint64, tag byte) {
	m.t.Helper()
	a := m.live[p]
	m.verify(p, a, a.n)
	q, err := m.h.Realloc(p, n)
	if err != nil {
		m.t.Fatalf("Realloc(%v, %d): %v", p, n, err)
	}
	if n == 0 { // realloc(p, 0) frees p
		if q != 0 || m.h.Owns(p) {
			m.t.Fatalf("Realloc(%v, 0) = %v and left p owned, want 0 and p freed", p, q)
		}
		delete(m.live, p)
		return
	}
	m.verify(q, a, n) // the common prefix moved along
	delete(m.live, p)
	m.added(q, n, tag, 16)
}

// badFree frees p, which the model says is not a live start, and checks that
// the heap rejects it with one of wants and changes nothing else.
func (m *model) badFree(p Addr, wants ...error) {
	m.t.Helper()
	before := m.h.Stats()
	err := m.h.Free(p)
	if !slices.ContainsFunc(wants, func(w error) bool { return errors.Is(err, w) }) {
		m.t.Fatalf("Free(%v) = %v, want one of %v", p, err, wants)
	}
	m.rej++
	after := m.h.Stats()
	if after.RejectedFrees != before.RejectedFrees+1 {
		m.t.Fatalf("rejected frees %d -> %d, want +1", before.RejectedFrees, after.RejectedFrees)
	}
	after.RejectedFrees, after.RejectedNotOwned, after.RejectedDouble, after.RejectedInterior =
		before.RejectedFrees, before.RejectedNotOwned, before.RejectedDouble, before.RejectedInterior
	if !statsEqual(before, after) {
		m.t.Fatalf("rejected Free(%v) changed the heap:\n before %+v\n after  %+v", p, before, after)
	}
}

func statsEqual(a, b HeapStats) bool {
	return slices.Equal(a.Map, b.Map) && func() bool { a.Map, b.Map = nil, nil; return true }() &&
		fmt.Sprint(a) == fmt.Sprint(b)
}

// check runs Heap.Check and compares the heap with the model: every live
// allocation is owned and intact, allocations do not overlap, the live
// counters agree.
func (m *model) check() {
	m.t.Helper()
	if err := m.h.Check(); err != nil {
		m.t.Fatalf("Check: %v", err)
	}
	st := m.h.Stats()
	n := st.List.LiveAllocs + st.Large.LiveAllocs
	for _, k := range st.Map {
		n += k.LiveAllocs
	}
	if n != uint64(len(m.live)) {
		m.t.Fatalf("heap has %d live allocations, model %d", n, len(m.live))
	}
	if st.RejectedFrees != m.rej {
		m.t.Fatalf("heap counted %d rejected frees, model %d", st.RejectedFrees, m.rej)
	}
	type span struct{ s, e Addr }
	spans := make([]span, 0, len(m.live))
	for p := range m.live {
		if !m.h.Owns(p) {
			m.t.Fatalf("Owns(%v) = false for a live allocation", p)
		}
		us, _ := m.h.UsableSize(p)
		spans = append(spans, span{p, p + Addr(us)})
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.s < b.s {
			return -1
		}
		return 1
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].s < spans[i-1].e {
			m.t.Fatalf("allocations [%v,%v) and [%v,%v) overlap", spans[i-1].s, spans[i-1].e, spans[i].s, spans[i].e)
		}
	}
}

// pick returns a live allocation chosen by r, or 0.
func (m *model) pick(r uint64) Addr {
	if len(m.live) == 0 {
		return 0
	}
	keys := make([]Addr, 0, len(m.live))
	for p := range m.live {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	return keys[r%uint64(len(keys))]
}

// step decodes one operation from (op, arg) and applies it to the heap and
// the model; it is shared by the property test and FuzzHeap.
func (m *model) step(op byte, arg uint32) {
	m.t.Helper()
	size := func() uint64 {
		switch arg >> 28 {
		case 0, 1, 2, 3, 4:
			return uint64(arg % 129) // MAP
		case 5, 6, 7, 8, 9, 10:
			return uint64(arg % 4097) // small LIST
		case 11, 12, 13:
			return uint64(arg % (64 << 10)) // medium LIST
		case 14:
			return uint64(arg % (DefaultListBlockSize + 1)) // up to a whole block
		}
		return DefaultListBlockSize + uint64(arg%(256<<10)) // large
	}
	tag := byte(arg) | 1
	switch op % 8 {
	case 0, 1, 2:
		m.alloc(size(), tag)
	case 3, 4:
		if p := m.pick(uint64(arg)); p != 0 {
			m.free(p)
		}
	case 5:
		if p := m.pick(uint64(arg)); p != 0 {
			m.realloc(p, size(), tag)
		}
	case 6:
		align := uint64(1) << (arg % 13) // 1 .. 4096
		n := size()
		p, err := m.h.AlignedAlloc(align, n)
		if err != nil {
			m.t.Fatalf("AlignedAlloc(%d, %d): %v", align, n, err)
		}
		m.added(p, n, tag, align)
	case 7:
		p := m.pick(uint64(arg))
		switch {
		case p == 0:
			m.badFree(Addr(0x10000), ErrNotOwned)
		case arg%3 == 0:
			// A double free: reported as such while the freed chunk still
			// starts at p; as interior once it merged into a free chunk
			// before it; as not owned once its block or mapping is gone.
			m.free(p)
			m.badFree(p, ErrDoubleFree, ErrInterior, ErrNotOwned)
		default:
			us, _ := m.h.UsableSize(p)
			if us > 16 {
				m.badFree(p+Addr(16*(1+uint64(arg)%((us-1)/16))), ErrInterior)
			}
		}
	}
}

// TestHeapModel runs long random operation sequences against the model,
// with Check after every step.
func TestHeapModel(t *testing.T) {
	for _, cfg := range []struct {
		name string
		cfg  HeapConfig
	}{
		{"default", HeapConfig{Name: "model"}},
		{"map128", HeapConfig{Name: "model128", SliceSizes: []uint64{128}}},
		{"nomap-2MiB", HeapConfig{Name: "dyn", NoMap: true, ListBlockSize: DynarecBlockSize}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			h, _ := newTestHeap(t, cfg.cfg)
			m := newModel(t, h)
			rng := uint64(0x9e3779b97f4a7c15)
			for i := 0; i < 3000; i++ {
				rng ^= rng << 13
				rng ^= rng >> 7
				rng ^= rng << 17
				op := byte(rng >> 56)
				if len(m.live) > 200 && op%8 < 3 {
					op = 3 // keep the live set bounded
				}
				m.step(op, uint32(rng))
				m.check()
			}
			for p := range m.live {
				m.free(p)
			}
			m.check()
		})
	}
}

// FuzzHeap decodes the input into (op, arg) pairs and runs them like
// TestHeapModel. Crashers found by go test -fuzz land in
// testdata/fuzz/FuzzHeap and are replayed by plain go test.
func FuzzHeap(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 3, 0, 0, 0, 5, 0x50, 0, 0, 0})
	f.Add([]byte{6, 0xff, 0xff, 0xff, 0xe0, 7, 3, 0, 0, 0, 0, 0x20, 0, 0, 1, 4, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 0xf0, 5, 0, 0, 0, 0, 7, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 5*200 {
			data = data[:5*200]
		}
		h, _ := newTestHeap(t, HeapConfig{Name: "fuzz"})
		m := newModel(t, h)
		for i := 0; len(data) >= 5; i++ {
			arg := uint32(data[1]) | uint32(data[2])<<8 | uint32(data[3])<<16 | uint32(data[4])<<24
			m.step(data[0], arg)
			// Heap.Check after every step; the model's own (slower)
			// comparison every 8th.
			if err := h.Check(); err != nil {
				t.Fatalf("step %d: Check: %v", i, err)
			}
			if i%8 == 7 {
				m.check()
			}
			data = data[5:]
		}
		for p := range m.live {
			m.free(p)
		}
		m.check()
	})
}
