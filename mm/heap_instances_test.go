package mm

import (
	"testing"
)

// TestHeapPlacement proves the instances' placement in Mode32: every block
// of the primary and dynarec heaps lies at or above 4 GiB, every block of
// the host heap below, and the 4 GiB audit passes, after thousands of
// allocations of every size (MAP slices, LIST chunks, large mappings).
func TestHeapPlacement(t *testing.T) {
	r, err := NewRegions(RegionsConfig{Mode: Mode32})
	if err != nil {
		t.Fatalf("NewRegions: %v", err)
	}
	defer r.Close()
	g, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode32})
	if err != nil {
		t.Fatalf("NewGuestSpace: %v", err)
	}
	defer g.Close()
	primary, err := NewPrimaryHeap(r)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	dynarec, err := NewDynarecHeap(r)
	if err != nil {
		t.Fatal(err)
	}
	defer dynarec.Close()
	host, err := NewHostHeap(g)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()

	heaps := []struct {
		h   *Heap
		low bool // blocks below 4 GiB
	}{{primary, false}, {dynarec, false}, {host, true}}
	sizes := []uint64{1, 16, 56, 64, 100, 128, 129, 500, 4096, 40 << 10, 300 << 10, 600 << 10, 3 << 20}
	for _, hp := range heaps {
		var live []Addr
		for i := 0; i < 3000; i++ {
			n := sizes[i%len(sizes)]
			if n > 1<<20 && i%50 != 0 {
				n = 2000 // only a few of the largest
			}
			p, err := hp.h.Alloc(n)
			if err != nil {
				t.Fatalf("%s: Alloc(%d): %v", hp.h.name, n, err)
			}
			if (p < Limit32) != hp.low {
				t.Fatalf("%s: Alloc(%d) = %v on the wrong side of 4 GiB", hp.h.name, n, p)
			}
			memView(p, n)[n-1] = 1 // the memory is really there
			live = append(live, p)
			if i%3 == 2 { // free some, so blocks get reused and released
				if err := hp.h.Free(live[i/2]); err != nil {
					t.Fatalf("%s: Free: %v", hp.h.name, err)
				}
				live[i/2] = 0
			}
		}
		hp.h.mu.Lock()
		for _, b := range hp.h.slots {
			if b == nil {
				continue
			}
			if below := b.r.End <= Limit32; below != hp.low || (!hp.low && b.r.Start < Limit32) {
				hp.h.mu.Unlock()
				t.Fatalf("%s: %s block %v on the wrong side of 4 GiB", hp.h.name, b.cls.kind, b.r)
			}
		}
		hp.h.mu.Unlock()
		st := hp.h.Stats()
		if st.List.Blocks == 0 || st.Large.Blocks == 0 || (hp.h != dynarec && st.Map[0].Blocks == 0) {
			t.Fatalf("%s: not every kind was used: %+v", hp.h.name, st)
		}
		if err := hp.h.Check(); err != nil {
			t.Fatalf("%s: Check: %v", hp.h.name, err)
		}
	}
	// A test binary is not PIE: its image and (under -race) C heap sit
	// below 4 GiB and are tolerated; everything else is judged.
	rep, err := Audit(AuditConfig{Mode: Mode32, Owners: []RangeOwner{r, g}, TolerateLowImage: true})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !rep.OK {
		t.Fatalf("audit failed: %q", rep.Violations)
	}
	if rep.Classes[ClassHostHeap].Bytes == 0 {
		t.Fatalf("audit found no host-heap bytes: %+v", rep.Classes)
	}
}
