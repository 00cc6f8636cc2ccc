package mm

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	regProtR  = unix.PROT_READ
	regProtRW = unix.PROT_READ | unix.PROT_WRITE
	regProtRX = unix.PROT_READ | unix.PROT_EXEC
)

// regionsModel is the reference: the protection of every range a Regions has
// mapped, as sorted, disjoint segments (touching segments of equal
// protection merged).
type regionsModel struct{ segs []regionsSeg }

type regionsSeg struct {
	r    AddrRange
	prot int
}

func (m *regionsModel) clear(r AddrRange) {
	var out []regionsSeg
	for _, s := range m.segs {
		if !s.r.Overlaps(r) {
			out = append(out, s)
			continue
		}
		if s.r.Start < r.Start {
			out = append(out, regionsSeg{AddrRange{Start: s.r.Start, End: r.Start}, s.prot})
		}
		if r.End < s.r.End {
			out = append(out, regionsSeg{AddrRange{Start: r.End, End: s.r.End}, s.prot})
		}
	}
	m.segs = out
}

func (m *regionsModel) set(r AddrRange, prot int) {
	m.clear(r)
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].r.Start >= r.End })
	m.segs = append(m.segs, regionsSeg{})
	copy(m.segs[i+1:], m.segs[i:])
	m.segs[i] = regionsSeg{r, prot}
	m.segs = regionsMergeSegs(m.segs)
}

// regionsMergeSegs merges touching segments of equal protection.
func regionsMergeSegs(in []regionsSeg) []regionsSeg {
	var out []regionsSeg
	for _, s := range in {
		if n := len(out); n > 0 && out[n-1].r.End == s.r.Start && out[n-1].prot == s.prot {
			out[n-1].r.End = s.r.End
			continue
		}
		out = append(out, s)
	}
	return out
}

// bytes is the number of bytes mapped in the model.
func (m *regionsModel) bytes() uint64 {
	var n uint64
	for _, s := range m.segs {
		n += s.r.Length()
	}
	return n
}

// covers reports whether every page of r is mapped in the model.
func (m *regionsModel) covers(r AddrRange) bool {
	if r.Start >= r.End {
		return false
	}
	a := r.Start
	for _, s := range m.segs {
		if s.r.End <= a {
			continue
		}
		if s.r.Start > a {
			return false
		}
		a = s.r.End
		if a >= r.End {
			return true
		}
	}
	return false
}

// overlaps reports whether any page of r is mapped in the model.
func (m *regionsModel) overlaps(r AddrRange) bool {
	for _, s := range m.segs {
		if s.r.Overlaps(r) {
			return true
		}
	}
	return false
}

// regionsKernelSegs returns what /proc/self/maps shows over ar, clipped to it, with
// touching lines of equal protection merged; gaps are returned as
// protection -1. Lines must be private and anonymous.
func regionsKernelSegs(t *testing.T, es []MapsEntry, ar AddrRange) []regionsSeg {
	t.Helper()
	var out []regionsSeg
	a := ar.Start
	i := sort.Search(len(es), func(i int) bool { return es[i].Range.End > ar.Start })
	for _, e := range es[i:] {
		part := e.Range.Intersect(ar)
		if part.Start >= part.End {
			break
		}
		if !e.IsAnonymous() || e.Shared {
			t.Fatalf("maps line %v over owned %v is not private anonymous", e, ar)
		}
		if part.Start > a {
			out = append(out, regionsSeg{AddrRange{Start: a, End: part.Start}, -1})
		}
		out = append(out, regionsSeg{part, e.Prot})
		a = part.End
	}
	if a < ar.End {
		out = append(out, regionsSeg{AddrRange{Start: a, End: ar.End}, -1})
	}
	return regionsMergeSegs(out)
}

// checkRegions compares a Regions with the model and with the kernel:
// Check() (bitmaps recounted against cached counters), Stats against the
// model, and /proc/self/maps: in Mode32 every arena is mapped end to end,
// model ranges with their protection, everything else PROT_NONE (still
// reserved); in Mode64 the Regions owns exactly the model's ranges, each
// mapped with its protection.
func checkRegions(t *testing.T, r *Regions, m *regionsModel) {
	t.Helper()
	if err := r.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	st := r.Stats()
	if want := m.bytes(); st.MappedBytes != want {
		t.Fatalf("Stats.MappedBytes = %d, want %d", st.MappedBytes, want)
	}
	es, err := ReadMaps()
	if err != nil {
		t.Fatalf("ReadMaps: %v", err)
	}
	var owned []AddrRange
	r.OwnedRanges(func(ar AddrRange, c Class) {
		if c != ClassInternal {
			t.Fatalf("OwnedRanges: %v as %v, want internal", ar, c)
		}
		owned = append(owned, ar)
	})
	var inOwned uint64
	for _, ar := range owned {
		if r.mode == Mode32 && ar.Start < Limit32 {
			t.Fatalf("Mode32 arena %v below 4 GiB", ar)
		}
		// What the model says about ar: its segments, PROT_NONE between
		// them in Mode32 (the reservation).
		var want []regionsSeg
		a := ar.Start
		for _, s := range m.segs {
			part := s.r.Intersect(ar)
			if part.Start >= part.End {
				continue
			}
			inOwned += part.Length()
			if part.Start > a {
				want = append(want, regionsSeg{AddrRange{Start: a, End: part.Start}, unix.PROT_NONE})
			}
			want = append(want, regionsSeg{part, s.prot})
			a = part.End
		}
		if a < ar.End {
			if r.mode == Mode64 {
				t.Fatalf("Regions owns %v which the model does not", AddrRange{Start: a, End: ar.End})
			}
			want = append(want, regionsSeg{AddrRange{Start: a, End: ar.End}, unix.PROT_NONE})
		}
		want = regionsMergeSegs(want)
		got := regionsKernelSegs(t, es, ar)
		if !slices.Equal(got, want) {
			t.Fatalf("over %v the kernel has %v, want %v", ar, got, want)
		}
	}
	if inOwned != m.bytes() {
		t.Fatalf("model maps %d bytes, %d of them inside owned ranges", m.bytes(), inOwned)
	}
}

func newTestRegions(t testing.TB, cfg RegionsConfig) *Regions {
	t.Helper()
	r, err := NewRegions(cfg)
	if err != nil {
		t.Fatalf("NewRegions: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// rop is one step of a table test. Regions are labelled: a map stores its
// result under id; unmap and protect address pages [from, to) of region id
// (to == 0 means the whole region).
type rop struct {
	op       string // "map", "unmap", "protect", "unmapRaw"
	id       int
	pages    uint64 // map: length in pages
	align    uint64 // map: alignment in bytes
	prot     int
	from, to uint64
	raw      AddrRange // unmapRaw: an arbitrary range
	wantErr  error
	// map only: the result must start (sameStart) or end (sameEnd) where
	// region sameAs started or ended.
	sameAs             int
	sameStart, sameEnd bool
}

func TestRegionsTable(t *testing.T) {
	const arena2M = 2 << 20
	tests := []struct {
		name  string
		modes []Mode
		cfg   RegionsConfig
		ops   []rop
		// after
		wantArenas int
		wantPages  int
	}{
		{
			name: "map and unmap whole", modes: []Mode{Mode32, Mode64}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops:        []rop{{op: "map", id: 1, pages: 4, prot: regProtRW}, {op: "unmap", id: 1}},
			wantArenas: 1, wantPages: 0,
		},
		{
			name: "hole refilled in place", modes: []Mode{Mode32}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops: []rop{
				{op: "map", id: 1, pages: 4, prot: regProtRW}, {op: "map", id: 2, pages: 4, prot: regProtRW},
				{op: "map", id: 3, pages: 4, prot: regProtRW}, {op: "unmap", id: 2},
				{op: "map", id: 4, pages: 4, prot: regProtR, sameAs: 2, sameStart: true},
			},
			wantArenas: 1, wantPages: 12,
		},
		{
			name: "search runs backward from the freed end", modes: []Mode{Mode32}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops: []rop{
				{op: "map", id: 1, pages: 4, prot: regProtRW}, {op: "map", id: 2, pages: 8, prot: regProtRW},
				{op: "map", id: 3, pages: 4, prot: regProtRW}, {op: "unmap", id: 2},
				{op: "map", id: 4, pages: 2, prot: regProtRW, sameAs: 2, sameEnd: true},
				{op: "map", id: 5, pages: 6, prot: regProtRW, sameAs: 2, sameStart: true},
			},
			wantArenas: 1, wantPages: 16,
		},
		{
			name: "partial unmaps split a region", modes: []Mode{Mode32, Mode64}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops: []rop{
				{op: "map", id: 1, pages: 8, prot: regProtRW},
				{op: "unmap", id: 1, from: 2, to: 4},
				{op: "unmap", id: 1, from: 2, to: 4, wantErr: unix.EINVAL},
				{op: "unmap", id: 1, from: 1, to: 3, wantErr: unix.EINVAL},
				{op: "protect", id: 1, from: 3, to: 5, prot: regProtR, wantErr: unix.EINVAL},
				{op: "unmap", id: 1, from: 0, to: 1},
				{op: "protect", id: 1, from: 5, to: 7, prot: regProtRX},
				{op: "unmap", id: 1, from: 7, to: 8},
			},
			wantArenas: 1, wantPages: 4,
		},
		{
			name: "protect part of a region", modes: []Mode{Mode32, Mode64}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops: []rop{
				{op: "map", id: 1, pages: 8, prot: regProtRW},
				{op: "protect", id: 1, from: 0, to: 2, prot: regProtR},
				{op: "protect", id: 1, from: 6, to: 8, prot: unix.PROT_NONE},
				{op: "protect", id: 1, from: 2, to: 4, prot: 0x40, wantErr: unix.EINVAL},
			},
			wantArenas: 1, wantPages: 8,
		},
		{
			name: "unmap of what it does not own", modes: []Mode{Mode32, Mode64}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops: []rop{
				{op: "map", id: 1, pages: 2, prot: regProtRW},
				{op: "unmapRaw", raw: AddrRange{Start: 0x10000, End: 0x20000}, wantErr: unix.EINVAL},
				{op: "unmapRaw", raw: AddrRange{Start: 0x7000_0000_0000, End: 0x7000_0000_1000}, wantErr: unix.EINVAL},
				{op: "unmapRaw", raw: AddrRange{Start: 0x1000, End: 0x1000}, wantErr: unix.EINVAL},
				{op: "unmap", id: 1, from: 0, to: 3, wantErr: unix.EINVAL},
			},
			wantArenas: 1, wantPages: 2,
		},
		{
			name: "alignments honoured", modes: []Mode{Mode32, Mode64}, cfg: RegionsConfig{ArenaSize: 8 << 20},
			ops: []rop{
				{op: "map", id: 1, pages: 1, prot: regProtRW},
				{op: "map", id: 2, pages: 32, align: 128 << 10, prot: regProtRW},
				{op: "map", id: 3, pages: 1, prot: regProtRW},
				{op: "map", id: 4, pages: 128, align: 512 << 10, prot: regProtRW},
				{op: "map", id: 5, pages: 1, prot: regProtRW},
				{op: "map", id: 6, pages: 512, align: 2 << 20, prot: regProtRW},
			},
			wantArenas: 1, wantPages: 675,
		},
		{
			name: "full arena leads to another", modes: []Mode{Mode32}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops: []rop{
				{op: "map", id: 1, pages: 400, prot: regProtRW},
				{op: "map", id: 2, pages: 200, prot: regProtRW},
				{op: "map", id: 3, pages: 100, prot: regProtRW}, // fits in the first
			},
			wantArenas: 2, wantPages: 700,
		},
		{
			name: "cap gives ENOMEM and changes nothing", modes: []Mode{Mode32}, cfg: RegionsConfig{ArenaSize: arena2M, MaxArenas: 1},
			ops: []rop{
				{op: "map", id: 1, pages: 500, prot: regProtRW},
				{op: "map", id: 2, pages: 13, prot: regProtRW, wantErr: unix.ENOMEM},
				{op: "map", id: 3, pages: 12, prot: regProtRW},
				{op: "map", id: 4, pages: 1, prot: regProtRW, wantErr: unix.ENOMEM},
				{op: "unmap", id: 1, from: 10, to: 11},
				{op: "map", id: 5, pages: 1, prot: regProtRW},
			},
			wantArenas: 1, wantPages: 512,
		},
		{
			name: "a map larger than an arena gets its own", modes: []Mode{Mode32}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops: []rop{
				{op: "map", id: 1, pages: 1, prot: regProtRW},
				{op: "map", id: 2, pages: 1000, prot: regProtRW},
			},
			wantArenas: 2, wantPages: 1001,
		},
		{
			name: "bad arguments", modes: []Mode{Mode32, Mode64}, cfg: RegionsConfig{ArenaSize: arena2M},
			ops: []rop{
				{op: "map", id: 1, pages: 0, prot: regProtRW, wantErr: unix.EINVAL},
				{op: "map", id: 2, pages: 1, align: 3 * PageSize, prot: regProtRW, wantErr: unix.EINVAL},
				{op: "map", id: 3, pages: 1, align: 2 * MaxRegionAlign, prot: regProtRW, wantErr: unix.EINVAL},
				{op: "map", id: 4, pages: 1, align: 512, prot: regProtRW, wantErr: unix.EINVAL},
				{op: "map", id: 5, pages: 1, prot: 0x100, wantErr: unix.EINVAL},
				{op: "map", id: 6, pages: 1 << 48, prot: regProtRW, wantErr: unix.ENOMEM},
				{op: "unmapRaw", raw: AddrRange{Start: 0x10_0000_2000, End: 0x10_0000_1000}, wantErr: unix.EINVAL},
			},
			wantArenas: 0, wantPages: 0,
		},
	}
	for _, tc := range tests {
		for _, mode := range tc.modes {
			t.Run(fmt.Sprintf("%s/mode%v", tc.name, mode), func(t *testing.T) {
				cfg := tc.cfg
				cfg.Mode = mode
				r := newTestRegions(t, cfg)
				m := &regionsModel{}
				// before: nothing reserved, nothing mapped.
				if st := r.Stats(); st.Arenas != 0 || st.MappedBytes != 0 {
					t.Fatalf("fresh Regions: %+v", st)
				}
				regions := map[int]AddrRange{}
				for i, op := range tc.ops {
					var err error
					base := regions[op.id]
					sub := base
					if op.to != 0 {
						sub = AddrRange{Start: base.Start + Addr(op.from*PageSize), End: base.Start + Addr(op.to*PageSize)}
					}
					switch op.op {
					case "map":
						var ar AddrRange
						ar, err = r.Map(op.pages*PageSize, op.align, op.prot)
						if err == nil {
							if ar.Length() != op.pages*PageSize {
								t.Fatalf("op %d: Map returned %v, want %d pages", i, ar, op.pages)
							}
							if op.align != 0 && uint64(ar.Start)%op.align != 0 {
								t.Fatalf("op %d: Map returned %v, not aligned to %#x", i, ar, op.align)
							}
							if mode == Mode32 && ar.Start < Limit32 {
								t.Fatalf("op %d: Mode32 Map returned %v below 4 GiB", i, ar)
							}
							if old, ok := regions[op.sameAs]; ok && op.sameStart && ar.Start != old.Start {
								t.Fatalf("op %d: Map returned %v, want start of %v", i, ar, old)
							}
							if old, ok := regions[op.sameAs]; ok && op.sameEnd && ar.End != old.End {
								t.Fatalf("op %d: Map returned %v, want end of %v", i, ar, old)
							}
							if m.overlaps(ar) {
								t.Fatalf("op %d: Map returned %v over a mapped page", i, ar)
							}
							regions[op.id] = ar
							m.set(ar, op.prot)
						}
					case "unmap":
						err = r.Unmap(sub)
						if err == nil {
							m.clear(sub)
						}
					case "unmapRaw":
						err = r.Unmap(op.raw)
					case "protect":
						err = r.Protect(sub, op.prot)
						if err == nil {
							m.set(sub, op.prot)
						}
					}
					if !errors.Is(err, op.wantErr) || (err == nil) != (op.wantErr == nil) {
						t.Fatalf("op %d (%s): got error %v, want %v", i, op.op, err, op.wantErr)
					}
					checkRegions(t, r, m)
				}
				// after
				st := r.Stats()
				if mode == Mode32 && st.Arenas != tc.wantArenas {
					t.Fatalf("after: %d arenas, want %d", st.Arenas, tc.wantArenas)
				}
				if m.bytes() != uint64(tc.wantPages)*PageSize || st.MappedBytes != m.bytes() {
					t.Fatalf("after: model %d bytes, Stats %d bytes, want %d pages", m.bytes(), st.MappedBytes, tc.wantPages)
				}
			})
		}
	}
}

// TestRegionsUnmapDiscards: memory given back and mapped again reads as
// zero, and a Map after Close fails cleanly.
func TestRegionsUnmapDiscards(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newTestRegions(t, RegionsConfig{Mode: mode, ArenaSize: 2 << 20})
			ar, err := r.Map(4*PageSize, 0, regProtRW)
			if err != nil {
				t.Fatal(err)
			}
			// /proc/self/mem (openMem) reaches the pages without unsafe.
			mem := openMem(t)
			pattern := bytes.Repeat([]byte{0xa5}, 4*PageSize)
			got := make([]byte, len(pattern))
			if _, err := mem.WriteAt(pattern, int64(ar.Start)); err != nil {
				t.Fatalf("write %v: %v", ar, err)
			}
			if _, err := mem.ReadAt(got, int64(ar.Start)); err != nil || !bytes.Equal(got, pattern) {
				t.Fatalf("read back differs from what was written (%v)", err)
			}
			if err := r.Unmap(ar); err != nil {
				t.Fatal(err)
			}
			ar2, err := r.Map(4*PageSize, 0, regProtRW)
			if err != nil {
				t.Fatal(err)
			}
			if mode == Mode32 && ar2 != ar {
				t.Fatalf("remap at %v, want the freed %v", ar2, ar)
			}
			if _, err := mem.ReadAt(got, int64(ar2.Start)); err != nil || !bytes.Equal(got, make([]byte, len(pattern))) {
				t.Fatalf("memory mapped again is not zero (%v)", err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Map(PageSize, 0, regProtRW); err != unix.EINVAL {
				t.Fatalf("Map after Close: %v, want EINVAL", err)
			}
			if err := r.Unmap(ar2); err != unix.EINVAL {
				t.Fatalf("Unmap after Close: %v, want EINVAL", err)
			}
		})
	}
}

// TestRegionsProperty drives Regions with random operations and compares it
// with regionsModel after every step (and with /proc/self/maps).
func TestRegionsProperty(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		for seed := uint64(1); seed <= 2; seed++ {
			t.Run(fmt.Sprintf("mode%v/seed%d", mode, seed), func(t *testing.T) {
				runRegionsProperty(t, mode, seed, 600)
			})
		}
	}
}

func runRegionsProperty(t *testing.T, mode Mode, seed uint64, steps int) {
	const arenaSize, maxArenas = 2 << 20, 3
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	r := newTestRegions(t, RegionsConfig{Mode: mode, ArenaSize: arenaSize, MaxArenas: maxArenas})
	m := &regionsModel{}
	var live []AddrRange // regions handed out (some since partly unmapped)
	aligns := []uint64{0, PageSize, 64 << 10, 128 << 10, 512 << 10, 2 << 20}
	prots := []int{regProtRW, regProtR, regProtRX, unix.PROT_NONE}
	pickRange := func() AddrRange {
		if len(live) == 0 || rng.IntN(20) == 0 {
			// A range nobody mapped (or partly): must be refused.
			s := Addr(64<<30 + rng.Uint64N(1<<20)*PageSize)
			return AddrRange{Start: s, End: s + Addr(1+rng.IntN(4))*PageSize}
		}
		reg := live[rng.IntN(len(live))]
		n := reg.Pages()
		a := rng.Uint64N(n)
		b := a + 1 + rng.Uint64N(n-a)
		if rng.IntN(3) == 0 {
			a, b = 0, n
		}
		if rng.IntN(10) == 0 {
			b++ // one page past the region: refused unless the next page is mapped
		}
		return AddrRange{Start: reg.Start + Addr(a*PageSize), End: reg.Start + Addr(b*PageSize)}
	}
	for step := 0; step < steps; step++ {
		switch k := rng.IntN(10); {
		case k < 4:
			pages := 1 + rng.Uint64N(64)
			if rng.IntN(8) == 0 {
				pages = 1 + rng.Uint64N(600) // sometimes larger than an arena
			}
			align := aligns[rng.IntN(len(aligns))]
			prot := prots[rng.IntN(len(prots))]
			ar, err := r.Map(pages*PageSize, align, prot)
			if err != nil {
				if err != unix.ENOMEM || mode != Mode32 {
					t.Fatalf("step %d: Map(%d pages, %#x): %v", step, pages, align, err)
				}
				// ENOMEM only when the cap is reached and no arena has room.
				if st := r.Stats(); st.Arenas != maxArenas && pages*PageSize <= arenaSize {
					t.Fatalf("step %d: ENOMEM with %d arenas", step, st.Arenas)
				}
				var arenas []AddrRange
				r.OwnedRanges(func(a AddrRange, _ Class) { arenas = append(arenas, a) })
				if fit, ok := regionsModelFit(m, arenas, pages, max(align, PageSize)); ok {
					t.Fatalf("step %d: ENOMEM for %d pages aligned %#x but %v is free", step, pages, align, fit)
				}
				break
			}
			if ar.Pages() != pages || (align != 0 && uint64(ar.Start)%align != 0) {
				t.Fatalf("step %d: Map(%d pages, %#x) = %v", step, pages, align, ar)
			}
			if mode == Mode32 && ar.Start < Limit32 {
				t.Fatalf("step %d: Mode32 region %v below 4 GiB", step, ar)
			}
			if m.overlaps(ar) {
				t.Fatalf("step %d: Map returned %v over mapped memory", step, ar)
			}
			m.set(ar, prot)
			live = append(live, ar)
		case k < 7:
			ar := pickRange()
			want := m.covers(ar)
			err := r.Unmap(ar)
			if (err == nil) != want || (err != nil && err != unix.EINVAL) {
				t.Fatalf("step %d: Unmap(%v) = %v, model says mapped=%v", step, ar, err, want)
			}
			if err == nil {
				m.clear(ar)
				live = regionsSplitLive(live, ar)
			}
		default:
			ar := pickRange()
			prot := prots[rng.IntN(len(prots))]
			want := m.covers(ar)
			err := r.Protect(ar, prot)
			if (err == nil) != want || (err != nil && err != unix.EINVAL) {
				t.Fatalf("step %d: Protect(%v) = %v, model says mapped=%v", step, ar, err, want)
			}
			if err == nil {
				m.set(ar, prot)
			}
		}
		checkRegions(t, r, m)
	}
}

// FuzzRegions runs the property test from fuzzer-chosen seeds, modes and
// lengths.
func FuzzRegions(f *testing.F) {
	f.Add(uint64(1), false, uint8(50))
	f.Add(uint64(42), true, uint8(200))
	f.Fuzz(func(t *testing.T, seed uint64, mode64 bool, steps uint8) {
		mode := Mode32
		if mode64 {
			mode = Mode64
		}
		runRegionsProperty(t, mode, seed, int(steps))
	})
}

// regionsModelFit searches the model at every aligned start for n free pages aligned to
// align inside one of arenas.
func regionsModelFit(m *regionsModel, arenas []AddrRange, n, align uint64) (AddrRange, bool) {
	for _, ar := range arenas {
		for s := ar.Start; s+Addr(n*PageSize) <= ar.End; s += Addr(align) {
			cand := AddrRange{Start: s, End: s + Addr(n*PageSize)}
			if !m.overlaps(cand) {
				return cand, true
			}
		}
	}
	return AddrRange{}, false
}

// regionsSplitLive removes ar from the live regions, keeping what remains.
func regionsSplitLive(live []AddrRange, ar AddrRange) []AddrRange {
	var out []AddrRange
	for _, l := range live {
		if !l.Overlaps(ar) {
			out = append(out, l)
			continue
		}
		if l.Start < ar.Start {
			out = append(out, AddrRange{Start: l.Start, End: ar.Start})
		}
		if ar.End < l.End {
			out = append(out, AddrRange{Start: ar.End, End: l.End})
		}
	}
	return out
}

func countMapsLines(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte{'\n'})
}

// TestRegionsMappingCount: thousands of map/unmap cycles of varying sizes
// and protections do not grow the process's mapping count. Each live
// region can cost at most two /proc/self/maps lines (itself and the
// reservation piece after it); freed ones merge back into the reservation.
func TestRegionsMappingCount(t *testing.T) {
	const cycles, liveMax, slack = 20000, 48, 24
	r := newTestRegions(t, RegionsConfig{Mode: Mode32, ArenaSize: 64 << 20})
	rng := rand.New(rand.NewPCG(7, 7))
	before := countMapsLines(t)
	var live []AddrRange
	maxLines, maxAllowed := 0, 0
	for c := 0; c < cycles; c++ {
		if len(live) >= liveMax || (len(live) > 0 && rng.IntN(2) == 0) {
			i := rng.IntN(len(live))
			l := live[i]
			ar := l
			if rng.IntN(4) == 0 && l.Pages() > 1 {
				ar.End = ar.Start + Addr(rng.Uint64N(l.Pages()-1)+1)*PageSize // a part
			}
			if err := r.Unmap(ar); err != nil {
				t.Fatalf("cycle %d: Unmap(%v): %v", c, ar, err)
			}
			live = regionsSplitLive(live, ar)
		} else {
			prot := regProtRW
			if rng.IntN(3) == 0 {
				prot = regProtR
			}
			ar, err := r.Map((1+rng.Uint64N(32))*PageSize, []uint64{0, 64 << 10}[rng.IntN(2)], prot)
			if err != nil {
				t.Fatalf("cycle %d: Map: %v", c, err)
			}
			live = append(live, ar)
		}
		if c%16 == 0 {
			n := countMapsLines(t)
			allowed := before + 2*len(live) + 2*r.Stats().Arenas + slack
			if n > allowed {
				t.Fatalf("cycle %d: %d maps lines with %d live regions (%d before), allowed %d", c, n, len(live), before, allowed)
			}
			maxLines, maxAllowed = max(maxLines, n), max(maxAllowed, allowed)
		}
	}
	for _, l := range live {
		if err := r.Unmap(l); err != nil {
			t.Fatal(err)
		}
	}
	after := countMapsLines(t)
	if st := r.Stats(); after > before+st.Arenas+slack || st.Arenas != 1 {
		t.Fatalf("after %d cycles: %d maps lines (before %d), %d arenas", cycles, after, before, st.Arenas)
	}
	t.Logf("maps lines: before %d, max %d (bound %d), after %d", before, maxLines, maxAllowed, after)
}

// TestRegionsConcurrent maps and unmaps from several goroutines (run it
// with -race) and checks the bookkeeping afterwards.
func TestRegionsConcurrent(t *testing.T) {
	r := newTestRegions(t, RegionsConfig{Mode: Mode32, ArenaSize: 4 << 20})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var mine []AddrRange
			for i := 0; i < 300; i++ {
				ar, err := r.MapBlock(uint64(1+(i+g)%8)*PageSize, 0)
				if err != nil {
					errs <- err
					return
				}
				mine = append(mine, ar)
				if i%3 == 0 {
					if err := r.UnmapBlock(mine[0]); err != nil {
						errs <- err
						return
					}
					mine = mine[1:]
				}
			}
			for _, ar := range mine {
				if err := r.UnmapBlock(ar); err != nil {
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
	checkRegions(t, r, &regionsModel{})
}

func TestFindArenaGap(t *testing.T) {
	z := arenaZones[0].Start
	ent := func(s, e Addr) MapsEntry { return MapsEntry{Range: AddrRange{Start: s, End: e}} }
	tests := []struct {
		name string
		es   []MapsEntry
		size uint64
		want Addr
		ok   bool
	}{
		{name: "empty", size: 1 << 30, want: z, ok: true},
		{name: "low mappings ignored", es: []MapsEntry{ent(0x400000, 0x2700000)}, size: 1 << 30, want: z, ok: true},
		{name: "step over one", es: []MapsEntry{ent(z+0x1000, z+0x2000)}, size: 1 << 30, want: z + arenaAlign, ok: true},
		{name: "step over two", es: []MapsEntry{ent(z, z+arenaAlign+1), ent(z+2*arenaAlign, z+2*arenaAlign+0x1000)},
			size: 2 << 20, want: z + 3*arenaAlign, ok: true},
		{name: "zone full goes to the next", es: []MapsEntry{ent(z, arenaZones[0].End)}, size: 2 << 20,
			want: arenaZones[1].Start, ok: true},
		{name: "too large", size: arenaZones[1].Length() + 1, ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := findArenaGap(tc.es, tc.size)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("got %v, %v, want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRegionsZeroAllocs(t *testing.T) {
	r := newTestRegions(t, RegionsConfig{Mode: Mode32, ArenaSize: 2 << 20})
	warm, err := r.MapBlock(64<<10, 0)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		ar, err := r.MapBlock(64<<10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.UnmapBlock(ar); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Map+Unmap allocates %v times, want 0", allocs)
	}
	r.UnmapBlock(warm)
}

func BenchmarkRegionsMapUnmap64K(b *testing.B) {
	for _, mode := range []Mode{Mode32, Mode64} {
		b.Run("mode"+mode.String(), func(b *testing.B) {
			r := newTestRegions(b, RegionsConfig{Mode: mode, ArenaSize: 64 << 20})
			b.ReportAllocs()
			for b.Loop() {
				ar, err := r.Map(64<<10, 0, regProtRW)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.Unmap(ar); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRegionsCheckCatches corrupts one piece of the bookkeeping at a time
// and expects Check to notice.
func TestRegionsCheckCatches(t *testing.T) {
	corruptions := []struct {
		name    string
		mode    Mode
		corrupt func(r *Regions)
	}{
		{"bit set past the mapped pages", Mode32, func(r *Regions) { r.arenas[0].pages.setRange(40, 1) }},
		{"bit clear below lowFree", Mode32, func(r *Regions) { r.arenas[0].pages.clearRange(1, 1) }},
		{"used counter", Mode32, func(r *Regions) { r.arenas[0].pages.used++ }},
		{"lowFree above a free page", Mode32, func(r *Regions) { r.arenas[0].lowFree += 2 }},
		{"lowFree below the lowest free page", Mode32, func(r *Regions) { r.arenas[0].lowFree-- }},
		{"hint past the arena", Mode32, func(r *Regions) { r.arenas[0].hint = r.arenas[0].pages.len() + 1 }},
		{"mapped counter", Mode32, func(r *Regions) { r.mapped += PageSize }},
		{"reserved counter", Mode32, func(r *Regions) { r.reserved-- }},
		{"arena below 4 GiB", Mode32, func(r *Regions) { r.arenas[0].r.Start = 0; r.arenas[0].r.End = Addr(r.arenaSize) }},
		{"Mode64 regions touching", Mode64, func(r *Regions) {
			k := r.kmaps[0]
			r.kmaps[0].End = k.Start + PageSize
			r.kmaps = slices.Insert(r.kmaps, 1, AddrRange{Start: k.Start + PageSize, End: k.End})
		}},
		{"Mode64 mapped counter", Mode64, func(r *Regions) { r.mapped-- }},
	}
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			r := newTestRegions(t, RegionsConfig{Mode: c.mode, ArenaSize: 2 << 20})
			if _, err := r.Map(16*PageSize, 0, regProtRW); err != nil {
				t.Fatal(err)
			}
			if err := r.Check(); err != nil {
				t.Fatalf("Check before corruption: %v", err)
			}
			r.mu.Lock()
			arena := r.arenas // Mode32; kept so that Close releases the real reservation
			var reserved AddrRange
			if len(arena) > 0 {
				reserved = arena[0].r
			}
			c.corrupt(r)
			r.mu.Unlock()
			err := r.Check()
			if len(arena) > 0 {
				arena[0].r = reserved
			}
			if err == nil {
				t.Fatalf("Check missed the corruption")
			}
		})
	}
}
