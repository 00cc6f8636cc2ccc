package mm

import (
	"encoding/binary"
	"errors"
	"testing"
)

// TestHeapFreeOwned: one call decides and frees, for every kind of pointer
// and every block kind: a live start is freed (owned, nil); a pointer in
// no block is not owned and changes and counts nothing; a pointer inside a
// block that Free would refuse is owned and refused with Free's error,
// counted like Free counts it.
func TestHeapFreeOwned(t *testing.T) {
	h, _ := newTestHeap(t, HeapConfig{Name: "owned"})
	other, _ := newTestHeap(t, HeapConfig{Name: "other"})
	alloc := func(hp *Heap, n uint64) Addr {
		t.Helper()
		p, err := hp.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	small, list, large := alloc(h, 24), alloc(h, 1000), alloc(h, 3<<20)
	freedSmall, freedList := alloc(h, 24), alloc(h, 1000)
	for _, p := range []Addr{freedSmall, freedList} {
		if err := h.Free(p); err != nil {
			t.Fatal(err)
		}
	}
	foreign := alloc(other, 24)
	pinned := alloc(h, 48)
	if err := h.Pin(pinned); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		p         Addr
		owned     bool
		err       error
		rejCounts uint64 // rejected frees counted by this call
	}{
		{"null", 0, false, nil, 0},
		{"foreign heap", foreign, false, nil, 0},
		{"wild", 0x1000, false, nil, 0},
		{"map interior", small + 8, true, ErrInterior, 1},
		{"list interior", list + 16, true, ErrInterior, 1},
		{"large interior", large + 4096, true, ErrInterior, 1},
		{"map freed", freedSmall, true, ErrDoubleFree, 1},
		{"list freed", freedList, true, ErrDoubleFree, 1},
		{"pinned", pinned, true, ErrPinned, 1},
		{"map live", small, true, nil, 0},
		{"list live", list, true, nil, 0},
		{"large live", large, true, nil, 0},
		{"map live, freed just now", small, true, ErrDoubleFree, 1},
		{"large, released just now", large, false, nil, 0},
	} {
		before := h.Stats()
		owned, err := h.FreeOwned(c.p)
		after := h.Stats()
		if owned != c.owned || !errors.Is(err, c.err) {
			t.Errorf("%s: FreeOwned(%v) = %v, %v; want %v, %v", c.name, c.p, owned, err, c.owned, c.err)
		}
		if got := after.RejectedFrees - before.RejectedFrees; got != c.rejCounts {
			t.Errorf("%s: %d rejected frees counted, want %d", c.name, got, c.rejCounts)
		}
		wantFrees := before.Frees
		if owned && err == nil {
			wantFrees++
		}
		if after.Frees != wantFrees {
			t.Errorf("%s: frees %d, want %d", c.name, after.Frees, wantFrees)
		}
	}
	if !other.Owns(foreign) {
		t.Fatal("the other heap's allocation was touched")
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
	if err := h.FreePinned(pinned); err != nil {
		t.Fatal(err)
	}
}

// TestHeapFreeOwnedCorrupt: a LIST chunk whose header the guest overwrote
// is owned and refused with ErrCorrupt, quarantined, still live; a second
// FreeOwned releases it.
func TestHeapFreeOwnedCorrupt(t *testing.T) {
	h, _ := newTestHeap(t, HeapConfig{Name: "owned-corrupt"})
	p, err := h.Alloc(1000)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(memView(p-listHeader+4, 4), 0x7ffffff1)
	if owned, err := h.FreeOwned(p); !owned || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("FreeOwned of a corrupted chunk = %v, %v; want true, ErrCorrupt", owned, err)
	}
	if !h.Owns(p) {
		t.Fatal("the refused allocation is no longer live")
	}
	if owned, err := h.FreeOwned(p); !owned || err != nil {
		t.Fatalf("second FreeOwned = %v, %v; want true, nil", owned, err)
	}
	if st := h.Stats(); st.QuarantinedBlocks != 0 || st.Corruptions != 1 {
		t.Fatalf("quarantined %d corruptions %d, want 0 and 1", st.QuarantinedBlocks, st.Corruptions)
	}
}

// TestHeapPin: a pinned allocation is refused by Free, FreeOwned and
// Realloc (growing, shrinking in place, to 0), each counted in
// RejectedPinned and changing nothing; FreePinned releases it; Pin
// refuses what is not a live start and a second pin.
func TestHeapPin(t *testing.T) {
	for _, n := range []uint64{24, 1000, 3 << 20} { // MAP, LIST, large
		h, _ := newTestHeap(t, HeapConfig{Name: "pin"})
		p, err := h.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		memView(p, 1)[0] = 0x5a
		if err := h.Pin(p); err != nil {
			t.Fatalf("n=%d: Pin: %v", n, err)
		}
		if err := h.Pin(p); !errors.Is(err, ErrPinned) {
			t.Fatalf("n=%d: second Pin = %v, want ErrPinned", n, err)
		}
		for _, err := range []error{h.Pin(p + 16), h.Pin(0x1000)} {
			if err == nil || errors.Is(err, ErrPinned) {
				t.Fatalf("n=%d: Pin of no live start = %v, want Free's error", n, err)
			}
		}
		if err := h.Free(p); !errors.Is(err, ErrPinned) {
			t.Fatalf("n=%d: Free = %v, want ErrPinned", n, err)
		}
		if owned, err := h.FreeOwned(p); !owned || !errors.Is(err, ErrPinned) {
			t.Fatalf("n=%d: FreeOwned = %v, %v; want true, ErrPinned", n, owned, err)
		}
		for _, m := range []uint64{n * 4, 1, 0} {
			if q, err := h.Realloc(p, m); q != 0 || !errors.Is(err, ErrPinned) {
				t.Fatalf("n=%d: Realloc(p, %d) = %v, %v; want 0, ErrPinned", n, m, q, err)
			}
		}
		st := h.Stats()
		if st.RejectedPinned != 5 || st.Pinned != 1 || st.Frees != 0 || st.Reallocs != 0 || !h.Owns(p) || memView(p, 1)[0] != 0x5a {
			t.Fatalf("n=%d: after the refusals: %+v, owns %v", n, st, h.Owns(p))
		}
		if err := h.Check(); err != nil {
			t.Fatal(err)
		}
		q, err := h.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.FreePinned(q); !errors.Is(err, ErrNotPinned) || !h.Owns(q) {
			t.Fatalf("n=%d: FreePinned of an unpinned allocation = %v, want ErrNotPinned and nothing changed", n, err)
		}
		if err := h.Free(q); err != nil {
			t.Fatalf("n=%d: Free of an unpinned allocation while another is pinned: %v", n, err)
		}
		if err := h.FreePinned(p); err != nil || h.Owns(p) {
			t.Fatalf("n=%d: FreePinned = %v, owns %v", n, err, h.Owns(p))
		}
		if err := h.FreePinned(p); !errors.Is(err, ErrDoubleFree) && !errors.Is(err, ErrNotOwned) {
			t.Fatalf("n=%d: FreePinned again = %v, want a rejection", n, err)
		}
		if st := h.Stats(); st.Pinned != 0 || st.Frees != 2 {
			t.Fatalf("n=%d: after FreePinned: pinned %d frees %d, want 0 and 2", n, st.Pinned, st.Frees)
		}
		// The address is reused; the new allocation is not pinned.
		r, err := h.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Free(r); err != nil {
			t.Fatalf("n=%d: Free of a reused address: %v", n, err)
		}
		if err := h.Check(); err != nil {
			t.Fatal(err)
		}
	}
}
