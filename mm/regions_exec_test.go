package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// mapsPerms returns the permissions /proc/self/maps shows for the page at
// a ("" when unmapped).
func mapsPerms(t testing.TB, a Addr) string {
	t.Helper()
	es, err := ReadMaps()
	if err != nil {
		t.Fatalf("ReadMaps: %v", err)
	}
	for _, e := range es {
		if e.Range.Contains(a) {
			return e.Perms()
		}
	}
	return ""
}

// TestRegionsMapExec: MapExec's two views show the same pages: bytes
// written through the RW view read back through the RX view, which the
// kernel has r-x (shared) and which faults when written; the RW view is
// rw- and aligned; in Mode32 both lie above 4 GiB. Only the RW view's
// whole range unmaps them, both at once.
func TestRegionsMapExec(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			r, err := NewRegions(RegionsConfig{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			const size = 2 << 20
			rw, rx, err := r.MapExec(size, size)
			if err != nil {
				t.Fatalf("MapExec: %v", err)
			}
			rxr, _ := NewRange(rx, size)
			if uint64(rw.Start)%size != 0 || rw.Length() != size || rxr.Overlaps(rw) {
				t.Fatalf("MapExec = %v, %v: misaligned, wrong size or overlapping views", rw, rx)
			}
			if mode == Mode32 && (rw.Start < Limit32 || rx < Limit32) {
				t.Fatalf("Mode32 views %v and %v below 4 GiB", rw, rx)
			}
			code := []byte{0x48, 0x31, 0xc0, 0xc3} // xor rax, rax; ret
			copy(memView(rw.Start+0x1000, 4), code)
			if got := memView(rx+0x1000, 4); string(got) != string(code) {
				t.Fatalf("RX view reads % x, want % x written through the RW view", got, code)
			}
			if p := mapsPerms(t, rx); p != "r-xs" {
				t.Fatalf("RX view is %q in /proc/self/maps, want r-xs", p)
			}
			if p := mapsPerms(t, rw.Start); p != "rw-s" {
				t.Fatalf("RW view is %q in /proc/self/maps, want rw-s", p)
			}
			if !writeFaults(rx + 0x1000) {
				t.Fatalf("writing the RX view did not fault")
			}
			if err := r.Unmap(rxr); err != unix.EINVAL {
				t.Fatalf("Unmap of the RX view: %v, want EINVAL", err)
			}
			half, _ := NewRange(rw.Start, size/2)
			if err := r.Unmap(half); err != unix.EINVAL {
				t.Fatalf("Unmap of half the RW view: %v, want EINVAL", err)
			}
			if err := r.Protect(rw, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC); err != unix.EINVAL {
				t.Fatalf("Protect of the RW view: %v, want EINVAL", err)
			}
			if st := r.Stats(); st.MappedBytes != 2*size {
				t.Fatalf("MappedBytes %d, want %d (two views)", st.MappedBytes, 2*size)
			}
			if err := r.Check(); err != nil {
				t.Fatal(err)
			}
			if err := r.Unmap(rw); err != nil {
				t.Fatalf("Unmap: %v", err)
			}
			for _, a := range []Addr{rw.Start, rx} {
				if p := mapsPerms(t, a); p != "" && p != "---p" {
					t.Fatalf("view at %v still %q after Unmap", a, p)
				}
			}
			if st := r.Stats(); st.MappedBytes != 0 {
				t.Fatalf("MappedBytes %d after Unmap, want 0", st.MappedBytes)
			}
			if err := r.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDynarecHeapExecAddr: the dynarec heap's allocations have an
// executable address: what is written at the allocation reads back at
// ExecAddr, whose page is r-x; an address the heap does not own has none.
func TestDynarecHeapExecAddr(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			r, err := NewRegions(RegionsConfig{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			h, err := NewDynarecHeap(r)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			var ps []Addr
			for i := 0; i < 100; i++ {
				p, err := h.Alloc(uint64(48 * (i + 1)))
				if err != nil {
					t.Fatal(err)
				}
				memView(p, 1)[0] = byte(i)
				ps = append(ps, p)
			}
			for i, p := range ps {
				x, ok := h.ExecAddr(p)
				if !ok || x == p {
					t.Fatalf("ExecAddr(%v) = %v, %v: want the RX view's address", p, x, ok)
				}
				if memView(x, 1)[0] != byte(i) {
					t.Fatalf("ExecAddr(%v) = %v reads %d, want %d", p, x, memView(x, 1)[0], i)
				}
				if mapsPerms(t, x) != "r-xs" {
					t.Fatalf("ExecAddr(%v) = %v is %q, want r-xs", p, x, mapsPerms(t, x))
				}
			}
			if _, ok := h.ExecAddr(Addr(0x1000)); ok {
				t.Fatalf("ExecAddr of an address the heap does not own succeeded")
			}
			if err := h.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
