package mm

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// corruptModel drives a heap whose block memory is overwritten between
// operations, as a guest can overwrite host-heap blocks. It knows the live
// allocations (size asked for, byte pattern) and asserts after every
// operation what must hold whatever was written: no panic (the fuzz engine
// reports one), no hang (every walk is bounded; a hang fails the run's
// timeout), the lock free, the heap's records consistent (Check returns nil
// or ErrCorrupt), every allocation inside a block in service and clear of
// every other live allocation, every live allocation's bytes intact (the
// heap never writes into a payload), and only documented errors.
type corruptModel struct {
	t    *testing.T
	h    *Heap
	live map[Addr]modelAlloc
}

// errOK reports whether err is one a corrupted heap may return for an
// operation on a live allocation.
func corruptErrOK(err error) bool { return err == nil || errors.Is(err, ErrCorrupt) }

// after runs the checks due after every operation.
func (m *corruptModel) after(what string) {
	m.t.Helper()
	if !m.h.mu.lockFree() {
		m.t.Fatalf("%s: heap lock left held", what)
	}
	if err := m.h.Check(); err != nil && !errors.Is(err, ErrCorrupt) {
		m.t.Fatalf("%s: Check: %v (the heap's own records are inconsistent)", what, err)
	}
	st := m.h.Stats()
	n := st.List.LiveAllocs + st.Large.LiveAllocs
	for _, k := range st.Map {
		n += k.LiveAllocs
	}
	if n != uint64(len(m.live)) {
		m.t.Fatalf("%s: heap has %d live allocations, model %d", what, n, len(m.live))
	}
}

// added checks a fresh allocation of n bytes at p and records it. A new
// address must lie in a block in service; inPlace (a Realloc that kept p)
// may be in a quarantined block.
func (m *corruptModel) added(p Addr, n uint64, tag byte, align uint64, inPlace bool) {
	m.t.Helper()
	n = max(n, 1)
	if p == 0 || uint64(p)%align != 0 {
		m.t.Fatalf("allocation of %d bytes at %v, want non-nil and aligned to %d", n, p, align)
	}
	b := m.h.blockOf(p)
	if b == nil || (b.quarantined && !inPlace) || p+Addr(n) > b.r.End {
		m.t.Fatalf("allocation [%v,+%d) is not inside a block in service", p, n)
	}
	for q, a := range m.live {
		if p < q+Addr(a.n) && q < p+Addr(n) {
			m.t.Fatalf("allocation [%v,+%d) overlaps the live [%v,+%d)", p, n, q, a.n)
		}
	}
	if us, err := m.h.UsableSize(p); err != nil || us < n {
		m.t.Fatalf("UsableSize(%v) = %d, %v, want >= %d", p, us, err, n)
	}
	fill(p, n, tag)
	m.live[p] = modelAlloc{n: n, tag: tag}
}

func (m *corruptModel) verify(p Addr) {
	m.t.Helper()
	a := m.live[p]
	forPattern(p, a.n, func(b []byte, i uint64) {
		if b[i] != a.tag^byte(i) {
			m.t.Fatalf("allocation %v (%d bytes): byte %d is %#x, want %#x: the heap wrote into a live payload",
				p, a.n, i, b[i], a.tag^byte(i))
		}
	})
}

// quarantined reports whether p's block is quarantined: then the heap
// serves p from its records, and nothing may fail with ErrCorrupt.
func (m *corruptModel) quarantined(p Addr) bool {
	b := m.h.blockOf(p)
	return b != nil && b.quarantined
}

// free frees a live allocation; ErrCorrupt leaves it live.
func (m *corruptModel) free(p Addr) {
	m.t.Helper()
	m.verify(p)
	q := m.quarantined(p)
	err := m.h.Free(p)
	if !corruptErrOK(err) || (q && err != nil) {
		m.t.Fatalf("Free(%v) of a live allocation (quarantined block: %v): %v", p, q, err)
	}
	if err == nil {
		delete(m.live, p)
	} else if !m.h.Owns(p) {
		m.t.Fatalf("Free(%v) returned %v but released it", p, err)
	}
}

// overwritable reports whether the 4 bytes at a lie inside a block of the
// heap and outside every live payload the model knows of.
func (m *corruptModel) overwritable(a Addr) bool {
	b := m.h.blockOf(a)
	if b == nil || a+4 > b.r.End {
		return false
	}
	for q, l := range m.live {
		if a < q+Addr(l.n) && q < a+4 {
			return false
		}
	}
	return true
}

// corrupt writes a 32-bit value, chosen by sel and arg, at a place chosen
// by sel and arg: a live chunk's header, the header after a live
// allocation, the head of a bin, a MAP bitmap, or anywhere in a block.
func (m *corruptModel) corrupt(sel byte, arg uint32) {
	var blocks []*heapBlock
	for _, b := range m.h.slots {
		if b != nil {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		return
	}
	b := blocks[int(arg>>16)%len(blocks)]
	var a Addr
	switch sel % 5 {
	case 0: // a live allocation's header
		if p := m.pick(uint64(arg)); p != 0 {
			a = p - listHeader + Addr(sel>>3&12)
		}
	case 1: // the header after a live allocation
		if p := m.pick(uint64(arg)); p != 0 {
			us, _ := m.h.UsableSize(p)
			a = p + Addr(us) + Addr(sel>>3&12)
		}
	case 2: // a bin head's header
		if b.cls.kind == kindList {
			for i := range b.bins.head {
				if x := b.bins.head[(i+int(arg))%len(b.bins.head)]; x != noLink {
					a = b.r.Start + Addr(x) + Addr(sel>>3&12)
					break
				}
			}
		}
	case 3: // a MAP bitmap word
		if b.cls.kind == kindMap {
			a = b.r.Start + Addr(b.cls.bitmapOff) + Addr(uint64(arg)%uint64(b.r.Length()-uint64(b.cls.bitmapOff)-3))
		}
	case 4: // anywhere in the block
		a = b.r.Start + Addr(uint64(arg)%(b.r.Length()-3))
	}
	if a == 0 || !m.overwritable(a) {
		return
	}
	var v uint32
	switch sel >> 5 {
	case 0:
		v = 0x7ffffff1 // the reported case: an offset far past the block
	case 1:
		v = 0
	case 2:
		v = ^uint32(0)
	case 3: // a plausible offset, free or allocated
		v = arg & 0xfff0
	case 4:
		v = arg&0xfff0 | markFill
	case 5:
		v = uint32(b.r.Length()) - arg%4096
	default:
		v = arg
	}
	binary.LittleEndian.PutUint32(memView(a, 4), v)
}

func (m *corruptModel) pick(r uint64) Addr {
	mm := model{live: m.live}
	return mm.pick(r)
}

// step applies one operation decoded from (op, arg, sel).
func (m *corruptModel) step(op byte, arg uint32, sel byte) {
	m.t.Helper()
	size := func() uint64 {
		switch arg >> 28 {
		case 0, 1, 2, 3:
			return uint64(arg % 257) // MAP
		case 4, 5, 6, 7, 8, 9, 10:
			return uint64(arg % 4097) // small LIST
		case 11, 12, 13, 14:
			return uint64(arg % (64 << 10)) // medium LIST
		}
		return DefaultListBlockSize + uint64(arg%(64<<10)) // large
	}
	tag := byte(arg) | 1
	switch op % 10 {
	case 0, 1:
		n := size()
		p, err := m.h.Alloc(n)
		if err != nil {
			m.t.Fatalf("Alloc(%d): %v", n, err)
		}
		m.added(p, n, tag, 16, false)
		m.after("Alloc")
	case 2:
		align := uint64(1) << (arg % 13)
		n := size()
		p, err := m.h.AlignedAlloc(align, n)
		if err != nil {
			m.t.Fatalf("AlignedAlloc(%d, %d): %v", align, n, err)
		}
		m.added(p, n, tag, align, false)
		m.after("AlignedAlloc")
	case 3, 4:
		if p := m.pick(uint64(arg)); p != 0 {
			m.free(p)
			m.after("Free")
		}
	case 5:
		p := m.pick(uint64(arg))
		if p == 0 {
			return
		}
		m.verify(p)
		n := size()
		wasQ := m.quarantined(p)
		q, err := m.h.Realloc(p, n)
		switch {
		case errors.Is(err, ErrCorrupt) && wasQ:
			m.t.Fatalf("Realloc(%v, %d) in a quarantined block: %v", p, n, err)
		case errors.Is(err, ErrCorrupt):
			if !m.h.Owns(p) {
				m.t.Fatalf("Realloc(%v) returned %v but released it", p, err)
			}
		case err != nil:
			m.t.Fatalf("Realloc(%v, %d): %v", p, n, err)
		case n == 0:
			delete(m.live, p)
		default:
			a := m.live[p]
			delete(m.live, p)
			forPattern(q, a.n, func(b []byte, i uint64) {
				if i < n && b[i] != a.tag^byte(i) {
					m.t.Fatalf("Realloc(%v, %d) = %v: byte %d not moved along", p, n, q, i)
				}
			})
			m.added(q, n, tag, 16, q == p)
		}
		m.after("Realloc")
	case 6: // a pointer that is no live start
		if p := m.pick(uint64(arg)); p != 0 && m.live[p+16].n == 0 {
			err := m.h.Free(p + 16)
			if err == nil {
				m.t.Fatalf("Free(%v), 16 bytes into a live allocation, succeeded", p+16)
			}
			if !errors.Is(err, ErrInterior) && !errors.Is(err, ErrDoubleFree) && !errors.Is(err, ErrNotOwned) {
				m.t.Fatalf("Free(%v): %v, want a rejection", p+16, err)
			}
			m.after("bad Free")
		}
	default:
		m.corrupt(sel, arg)
		for p := range m.live { // Owns reads no block memory
			if !m.h.Owns(p) {
				m.t.Fatalf("Owns(%v) = false after block memory was overwritten", p)
			}
		}
	}
}

// runCorrupt runs the steps encoded in data (6 bytes each: op, a 32-bit
// argument, and a selector of where and what to write for corrupting
// steps) against a fresh heap, then frees everything (a refused Free is
// repeated: its block is quarantined then, and the second must succeed),
// checks that no quarantined block is left, and closes the heap (the
// cleanup checks that the source got every block back). It returns the
// number of blocks found corrupted.
func runCorrupt(t *testing.T, data []byte) uint64 {
	if len(data) > 6*300 {
		data = data[:6*300]
	}
	h, src := newTestHeap(t, HeapConfig{Name: "fuzz-corrupt"})
	m := &corruptModel{t: t, h: h, live: make(map[Addr]modelAlloc)}
	for ; len(data) >= 6; data = data[6:] {
		m.step(data[0], uint32(data[1])|uint32(data[2])<<8|uint32(data[3])<<16|uint32(data[4])<<24, data[5])
		if len(m.live) > 200 {
			m.free(m.pick(0))
		}
	}
	for p := range m.live {
		if err := h.Free(p); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("final Free(%v): %v", p, err)
			}
			if err := h.Free(p); err != nil {
				t.Fatalf("second Free(%v) in a quarantined block: %v", p, err)
			}
		}
		delete(m.live, p)
	}
	m.after("final frees")
	st := h.Stats()
	if st.QuarantinedBlocks != 0 {
		t.Fatalf("%d quarantined blocks left with nothing live in them", st.QuarantinedBlocks)
	}
	if got := src.liveCount(); got != len(h.slots)-len(h.freeSlots) {
		t.Fatalf("source has %d blocks, heap %d", got, len(h.slots)-len(h.freeSlots))
	}
	return st.Corruptions
}

// FuzzHeapCorrupt runs heap operations with block memory overwritten in
// between (corruptModel, runCorrupt). Its seed corpus is the inputs below
// and testdata/fuzz/FuzzHeapCorrupt (crashers found so far, replayed by
// name in TestHeapCorruptCrashers, and inputs the fuzzer found
// interesting). Run it with -fuzzminimizetime 5s (see docs/memory.md).
func FuzzHeapCorrupt(f *testing.F) {
	f.Add([]byte{1, 0xe8, 3, 0, 0x50, 0, 7, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0xe8, 3, 0, 0x50, 0, 0, 0x10, 0, 0, 0x50, 0, 8, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0x64, 0, 0, 0, 0, 0, 0x64, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0x23, 0, 0x64, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0x20, 0, 0x50, 0, 4, 0, 0, 0, 0, 0, 7, 1, 0, 0, 0, 0x62, 0, 0, 0x30, 0, 0x50, 0,
		2, 5, 0x10, 0, 0x60, 0})
	f.Fuzz(func(t *testing.T, data []byte) { runCorrupt(t, data) })
}

// TestHeapCorruptCrashers replays, by name, the inputs with which
// FuzzHeapCorrupt once failed (testdata/fuzz/FuzzHeapCorrupt).
func TestHeapCorruptCrashers(t *testing.T) {
	for _, tc := range []struct{ file, what string }{
		// A shrinking Realloc found its successor's bin link forged,
		// and went on writing the split-off tail's header into the
		// allocation, which stayed live with that header in its bytes.
		{"shrink-after-bad-bin-link", "a refused Realloc leaves the payload intact"},
		// The model's own bug: a Realloc kept in place in a quarantined
		// block is no allocation from that block.
		{"realloc-in-place-in-quarantined-block", "Realloc in place in a quarantined block"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			runCorrupt(t, readFuzzInput(t, "testdata/fuzz/FuzzHeapCorrupt/"+tc.file))
		})
	}
}

// readFuzzInput reads a corpus file of one []byte argument ("go test fuzz
// v1" encoding).
func readFuzzInput(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(strings.TrimSpace(string(raw)), "\n", 2)
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a fuzz corpus file", path)
	}
	arg, ok := strings.CutPrefix(lines[1], "[]byte(")
	if arg, ok = strings.CutSuffix(arg, ")"); !ok {
		t.Fatalf("%s: not a []byte argument", path)
	}
	s, err := strconv.Unquote(arg)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// TestHeapCorruptRandom runs long random step sequences, a third of them
// corrupting, with the checks of FuzzHeapCorrupt, and asserts that they
// found and quarantined corrupted blocks (so that the checks ran on
// quarantined blocks, not only on clean ones).
func TestHeapCorruptRandom(t *testing.T) {
	var found uint64
	rng := uint64(0x2545f4914f6cdd1d)
	for run := 0; run < 150; run++ {
		data := make([]byte, 6*300)
		for i := range data {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			data[i] = byte(rng >> 32)
		}
		t.Run(strconv.Itoa(run), func(t *testing.T) { found += runCorrupt(t, data) })
	}
	if found == 0 {
		t.Fatal("no run found a corrupted block")
	}
	t.Logf("%d corrupted blocks found and quarantined", found)
}
