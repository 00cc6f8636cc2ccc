package mm

import (
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// kernelMapsIn counts the lines of /proc/self/maps (the kernel's VMAs) that
// overlap a record of g: what the guest's memory costs of vm.max_map_count.
func kernelMapsIn(t testing.TB, g *GuestSpace) int {
	t.Helper()
	es, err := ReadMaps()
	if err != nil {
		t.Fatal(err)
	}
	g.mu.RLock()
	recs := slices.Clone(g.vmas.v)
	g.mu.RUnlock()
	n := 0
	for _, e := range es {
		i, _ := slices.BinarySearchFunc(recs, e.Range.Start, func(v vma, a Addr) int {
			if v.r.End <= a {
				return -1
			}
			return 1
		})
		if i < len(recs) && recs[i].r.Start < e.Range.End {
			n++
		}
	}
	return n
}

// newBudgetSpace returns a GuestSpace of the mode with the given mapping
// budget (Mode32: a fresh 64 MiB window).
func newBudgetSpace(t *testing.T, mode Mode, budget int) *GuestSpace {
	t.Helper()
	cfg := GuestSpaceConfig{Mode: mode, MapBudget: budget}
	if mode == Mode32 {
		cfg.Window = freeTestWindow(t, 64<<20)
		cfg.StackGap = 4 << 20
	}
	g, err := NewGuestSpace(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// TestGuestSpaceMapCountModel runs random mmap, mprotect, munmap, madvise,
// mremap and MAP_FIXED sequences against a small budget and checks after
// every step that the kernel's real number of mappings in guest memory
// (the /proc/self/maps lines over the records) never exceeds the estimate,
// and the estimate never exceeds the budget. The sequences keep running
// into the budget (refusals), and merges and advice make the estimate
// inflate until it is recounted.
func TestGuestSpaceMapCountModel(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			const budget = 120
			g := newBudgetSpace(t, mode, budget)
			rng := rand.New(rand.NewPCG(1, uint64(mode)))
			prots := []int{unix.PROT_READ, unix.PROT_READ | unix.PROT_WRITE, unix.PROT_NONE}
			// pick returns a random page-aligned subrange of a random guest
			// record, or false if there is none.
			pick := func() (AddrRange, bool) {
				g.mu.RLock()
				defer g.mu.RUnlock()
				if len(g.vmas.v) == 0 {
					return AddrRange{}, false
				}
				v := g.vmas.v[rng.IntN(len(g.vmas.v))]
				n := int(v.r.Pages())
				i := rng.IntN(n)
				m := 1 + rng.IntN(n-i)
				return AddrRange{Start: v.r.Start + Addr(i)<<PageShift, End: v.r.Start + Addr(i+m)<<PageShift}, true
			}
			for step := 0; step < 3000; step++ {
				var what string
				var err error
				op := rng.IntN(10)
				if g.Stats().MapEstimate < budget/2 && op > 6 {
					op = 0 // keep the sequence near the budget
				}
				switch op {
				case 0, 1:
					what = "mmap"
					_, err = g.Mmap(0, uint64(1+rng.IntN(16))<<PageShift, prots[rng.IntN(2)],
						unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
				case 2, 3:
					if r, ok := pick(); ok {
						what = "mprotect " + r.String()
						err = g.Mprotect(r.Start, r.Length(), prots[rng.IntN(len(prots))])
					}
				case 4:
					if r, ok := pick(); ok {
						what = "madvise " + r.String()
						advice := []int{unix.MADV_RANDOM, unix.MADV_NORMAL, unix.MADV_DONTNEED, unix.MADV_SEQUENTIAL}
						err = g.Madvise(r.Start, r.Length(), advice[rng.IntN(4)])
					}
				case 5:
					if r, ok := pick(); ok {
						what = "mmap fixed " + r.String()
						_, err = g.Mmap(r.Start, r.Length(), prots[rng.IntN(2)],
							unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0)
					}
				case 6:
					if r, ok := pick(); ok {
						what = "mremap " + r.String()
						n := uint64(1+rng.IntN(int(r.Pages())+4)) << PageShift
						_, err = g.Mremap(r.Start, r.Length(), n, unix.MREMAP_MAYMOVE, 0)
					}
				default:
					if r, ok := pick(); ok {
						what = "munmap " + r.String()
						err = g.Munmap(r.Start, r.Length())
					}
				}
				if err != nil && err != unix.ENOMEM && err != unix.EAGAIN && err != unix.EFAULT {
					t.Fatalf("step %d %s: %v", step, what, err)
				}
				st := g.Stats()
				if k := kernelMapsIn(t, g); k > st.MapEstimate {
					t.Fatalf("step %d %s: the kernel has %d mappings in guest memory, the estimate %d",
						step, what, k, st.MapEstimate)
				}
				if st.MapEstimate > budget {
					t.Fatalf("step %d %s: estimate %d past the budget %d", step, what, st.MapEstimate, budget)
				}
				if err := g.Check(); err != nil {
					t.Fatalf("step %d %s: Check: %v", step, what, err)
				}
			}
			st := g.Stats()
			if st.MapRefused == 0 || st.MapRecounts == 0 {
				t.Fatalf("%d refusals, %d recounts: the sequence never ran into the budget", st.MapRefused,
					st.MapRecounts)
			}
		})
	}
}

// TestGuestSpaceMapCountRecount: mprotect back and forth on one page
// splits and merges the same record, which the estimate counts as
// possible kernel splits; the kernel merges the pieces back, and so the
// recount at the budget finds room and nothing is refused.
func TestGuestSpaceMapCountRecount(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			g := newBudgetSpace(t, mode, 20)
			a := mustMmap(t, g, 0, 16*gsPage, gsRW, gsAnon)
			for i := 0; i < 500; i++ {
				for _, prot := range []int{unix.PROT_READ, gsRW} {
					if err := g.Mprotect(a+5*gsPage, gsPage, prot); err != nil {
						t.Fatalf("round %d: mprotect %d: %v", i, prot, err)
					}
				}
			}
			if st := g.Stats(); st.MapRecounts == 0 || st.MapRefused != 0 {
				t.Fatalf("%d recounts, %d refusals; want some recounts and no refusal", st.MapRecounts, st.MapRefused)
			}
		})
	}
}

// TestGuestSpaceMapBudgetErrnos fills the budget by cutting a mapping into
// pages of alternating protection, then checks what each operation
// answers, as measured natively at the kernel's own limit: whatever needs
// a new mapping fails (mmap, an mprotect or MAP_FIXED that cuts, a munmap
// or mremap shrink that punches a hole: ENOMEM; advice that cuts: EAGAIN;
// brk keeps the old break; a host-heap block: ENOMEM), whatever does not
// succeeds (unmapping an end, advice that changes no flags, mprotect to the
// same protection). Unmapping the cut mapping gives the room back.
func TestGuestSpaceMapBudgetErrnos(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			const budget = 64
			g := newBudgetSpace(t, mode, budget)
			if mode == Mode32 {
				if err := g.SetBrkBase(g.Window().Start + 0x100000); err != nil {
					t.Fatal(err)
				}
			}
			q := mustMmap(t, g, 0, 64*gsPage, gsRW, gsAnon)
			big := mustMmap(t, g, 0, 256*gsPage, gsRW, gsAnon)
			i := 0
			for ; i < 256; i += 2 {
				if err := g.Mprotect(big+Addr(i)*gsPage, gsPage, unix.PROT_READ); err != nil {
					if err != unix.ENOMEM {
						t.Fatalf("mprotect of page %d: %v, want ENOMEM", i, err)
					}
					break
				}
			}
			if i >= 256 {
				t.Fatal("the budget was never reached")
			}
			// Fill the last slots with single pages.
			for g.Stats().MapEstimate < budget {
				if _, err := g.Mmap(0, gsPage, unix.PROT_READ, gsAnon, -1, 0); err != nil {
					t.Fatalf("mmap below the budget: %v", err)
				}
			}
			if k := kernelMapsIn(t, g); k > budget {
				t.Fatalf("the kernel has %d mappings in guest memory, past the budget %d", k, budget)
			}
			page := func(n int) Addr { return q + Addr(n)*gsPage }
			for _, tc := range []struct {
				name string
				do   func() error
				want error
			}{
				{"mmap", func() error { _, err := g.Mmap(0, gsPage, gsRW, gsAnon, -1, 0); return err }, unix.ENOMEM},
				{"mprotect cutting", func() error { return g.Mprotect(page(12), gsPage, unix.PROT_READ) }, unix.ENOMEM},
				{"mprotect to the same protection", func() error { return g.Mprotect(page(12), gsPage, gsRW) }, nil},
				{"MAP_FIXED cutting", func() error {
					_, err := g.Mmap(page(20), gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED, -1, 0)
					return err
				}, unix.ENOMEM},
				{"madvise cutting", func() error { return g.Madvise(page(4), gsPage, unix.MADV_RANDOM) }, unix.EAGAIN},
				{"madvise DONTNEED", func() error { return g.Madvise(page(4), gsPage, unix.MADV_DONTNEED) }, nil},
				{"munmap a hole", func() error { return g.Munmap(page(8), gsPage) }, unix.ENOMEM},
				{"munmap the end", func() error { return g.Munmap(page(60), 4*gsPage) }, nil},
				{"mremap shrink punching a hole", func() error {
					_, err := g.Mremap(page(16), 8*gsPage, 4*gsPage, 0, 0)
					return err
				}, unix.ENOMEM},
				{"MapBlock", func() error { _, err := g.MapBlock(heapGranule, heapGranule); return err }, unix.ENOMEM},
			} {
				if err := tc.do(); err != tc.want {
					t.Errorf("%s at the budget: %v, want %v", tc.name, err, tc.want)
				}
			}
			if mode == Mode32 {
				old := g.Brk(0)
				if got := g.Brk(old + 2*gsPage); got != old {
					t.Errorf("brk growth at the budget: %v, want the old break %v", got, old)
				}
			}
			if err := g.Munmap(big, 256*gsPage); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Mmap(0, gsPage, gsRW, gsAnon, -1, 0); err != nil {
				t.Fatalf("mmap after the cut mapping was unmapped: %v", err)
			}
			if err := g.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMapBudgetDefault: with no budget configured the guest gets
// vm.max_map_count less the reserve.
func TestMapBudgetDefault(t *testing.T) {
	limit := defaultMaxMapCount
	if n, err := readIntFile(maxMapCountPath); err == nil {
		limit = n
	}
	if got, want := mapBudget(0), limit-min(DefaultMapReserve, limit/2); got != want {
		t.Fatalf("mapBudget(0) = %d, want %d (limit %d)", got, want, limit)
	}
	if got := mapBudget(77); got != 77 {
		t.Fatalf("mapBudget(77) = %d", got)
	}
}
