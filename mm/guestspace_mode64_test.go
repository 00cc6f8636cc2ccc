package mm

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGuestSpaceMode64AgainstModel drives a Mode64 GuestSpace with random
// operations. The kernel chooses where unhinted mappings go, so the model
// (one entry per page the GuestSpace owns) learns placements from the
// results and checks that they never overlap anything it holds; every
// other outcome it predicts. After each step GuestSpace.Check runs, every
// owned page must be mapped in /proc/self/maps with the model's
// protection, and every page the step released must be unmapped there.
func TestGuestSpaceMode64AgainstModel(t *testing.T) {
	g, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode64})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	r := rand.New(rand.NewPCG(64, 1))
	type page struct {
		prot int8
		host bool
	}
	model := map[Addr]page{}
	// released and stillMapped are allocated once: between an operation
	// and the probe of the pages it released the test must not allocate,
	// or the Go runtime may take fresh memory from the kernel and the
	// kernel may put it exactly where a page was just released.
	released := make([]Addr, 0, 1024)
	stillMapped := make([]bool, 0, 1024)
	// The kernel may hand a released page to another thread of the process
	// (the Go runtime maps memory at any time, top-down, where a Mode64
	// GuestSpace's mappings also go). To tell such a page from one the
	// GuestSpace failed to unmap, every read-write page of the model holds
	// a canary, its own address, in its first word: a released page that
	// is still mapped is a leak only if it still holds its canary. The
	// canary word is read at once, with the probe.
	canary := make([]bool, 0, 1024)
	mem := openMem(t)
	word := make([]byte, 8)
	// readWord reads the word at a through /proc/self/mem, which answers
	// EIO instead of faulting on an unreadable page (then 0).
	readWord := func(a Addr) uint64 {
		if n, err := unix.Pread(int(mem.Fd()), word, int64(a)); n != 8 || err != nil {
			return 0
		}
		return binary.LittleEndian.Uint64(word)
	}
	var blocks []AddrRange
	owned := func(a Addr, n int, host bool) bool {
		for i := 0; i < n; i++ {
			if p, ok := model[a+Addr(i*PageSize)]; !ok || p.host != host {
				return false
			}
		}
		return true
	}
	anyHost := func(a Addr, n int) bool {
		for i := 0; i < n; i++ {
			if p, ok := model[a+Addr(i*PageSize)]; ok && p.host {
				return true
			}
		}
		return false
	}
	add := func(a Addr, n int, prot int, host bool) {
		for i := 0; i < n; i++ {
			p := a + Addr(i*PageSize)
			model[p] = page{prot: int8(prot), host: host}
			if prot == gsRW {
				memWords(p, 1)[0] = uint64(p)
			}
		}
	}
	drop := func(a Addr, n int) {
		for i := 0; i < n; i++ {
			p := a + Addr(i*PageSize)
			if q, ok := model[p]; ok && !q.host {
				delete(model, p)
				released = append(released, p)
			}
		}
	}
	// randomGuest returns a random guest page of the model (sorted for
	// determinism), or 0.
	randomGuest := func() Addr {
		var ps []Addr
		for a, p := range model {
			if !p.host {
				ps = append(ps, a)
			}
		}
		if len(ps) == 0 {
			return 0
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		return ps[r.IntN(len(ps))]
	}
	prots := []int{unix.PROT_NONE, unix.PROT_READ, gsRW}
	for step := 0; step < 1500; step++ {
		released = released[:0]
		var desc string
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("step %d (%s): %s", step, desc, fmt.Sprintf(format, args...))
		}
		n := 1 + r.IntN(8)
		prot := prots[r.IntN(len(prots))]
		switch op := r.IntN(8); op {
		case 0: // mmap where the kernel likes
			desc = fmt.Sprintf("mmap(0, %d pages, %d)", n, prot)
			a, err := g.Mmap(0, uint64(n)*PageSize, prot, gsAnon, -1, 0)
			if err != nil {
				fail("%v", err)
			}
			for i := 0; i < n; i++ {
				if _, ok := model[a+Addr(i*PageSize)]; ok {
					fail("kernel placed %v over a page the model holds", a)
				}
			}
			add(a, n, prot, false)
		case 1, 2: // MAP_FIXED over guest pages, or munmap of some
			a := randomGuest()
			if a == 0 {
				break
			}
			a -= Addr(r.IntN(2) * PageSize)
			if op == 1 {
				// Pages the model does not hold are free in the kernel
				// (then they are claimed) or someone else's (refused).
				foreign := false
				if es, err := ReadMaps(); err == nil {
					for i := 0; i < n; i++ {
						p := a + Addr(i*PageSize)
						if _, ok := model[p]; ok {
							continue
						}
						for _, e := range es {
							foreign = foreign || e.Range.Contains(p)
						}
					}
				}
				desc = fmt.Sprintf("mmap(%v, %d pages, %d, MAP_FIXED)", a, n, prot)
				_, err := g.Mmap(a, uint64(n)*PageSize, prot, gsAnon|unix.MAP_FIXED, -1, 0)
				if anyHost(a, n) || foreign {
					if errnoOf(err) != unix.ENOMEM {
						fail("got %v, want ENOMEM", err)
					}
					break
				}
				if err != nil {
					fail("got %v", err)
				}
				drop(a, n)
				released = released[:0] // replaced, not released
				add(a, n, prot, false)
				break
			}
			desc = fmt.Sprintf("munmap(%v, %d pages)", a, n)
			err := g.Munmap(a, uint64(n)*PageSize)
			if anyHost(a, n) {
				if errnoOf(err) != unix.EINVAL {
					fail("got %v, want EINVAL", err)
				}
				break
			}
			if err != nil {
				fail("got %v", err)
			}
			drop(a, n)
		case 3: // mprotect
			a := randomGuest()
			if a == 0 {
				break
			}
			desc = fmt.Sprintf("mprotect(%v, %d pages, %d)", a, n, prot)
			err := g.Mprotect(a, uint64(n)*PageSize, prot)
			if !owned(a, n, false) {
				if errnoOf(err) != unix.ENOMEM {
					fail("got %v, want ENOMEM", err)
				}
				break
			}
			if err != nil {
				fail("got %v", err)
			}
			add(a, n, prot, false)
		case 4: // mremap grow or move
			a := randomGuest()
			if a == 0 || !owned(a, 1, false) {
				break
			}
			p := model[a]
			desc = fmt.Sprintf("mremap(%v, 1 page, %d pages, MAYMOVE)", a, n)
			got, err := g.Mremap(a, PageSize, uint64(n)*PageSize, unix.MREMAP_MAYMOVE, 0)
			if err != nil {
				if errnoOf(err) == unix.EFAULT {
					break // the kernel keeps the page in an area it did not merge
				}
				fail("got %v", err)
			}
			drop(a, 1)
			for i := 0; i < n; i++ {
				if q, ok := model[got+Addr(i*PageSize)]; ok && (got != a || i > 0) {
					fail("moved onto %v, which the model holds (%v)", got, q)
				}
			}
			add(got, n, int(p.prot), false)
		case 5: // MapBlock
			align := uint64(PageSize) << r.IntN(10)
			desc = fmt.Sprintf("MapBlock(%d pages, align %#x)", n, align)
			b, err := g.MapBlock(uint64(n)*PageSize, align)
			if err != nil || uint64(b.Start)%align != 0 {
				fail("got %v, %v", b, err)
			}
			for a := b.Start; a < b.End; a += PageSize {
				if _, ok := model[a]; ok {
					fail("block %v over a page the model holds", b)
				}
			}
			add(b.Start, n, gsRW, true)
			blocks = append(blocks, b)
		case 6: // UnmapBlock
			if len(blocks) == 0 {
				break
			}
			k := r.IntN(len(blocks))
			b := blocks[k]
			desc = fmt.Sprintf("UnmapBlock(%v)", b)
			if err := g.UnmapBlock(b); err != nil {
				fail("got %v", err)
			}
			for a := b.Start; a < b.End; a += PageSize {
				delete(model, a)
				released = append(released, a)
			}
			blocks = append(blocks[:k], blocks[k+1:]...)
		case 7: // MAP_FIXED_NOREPLACE over guest pages
			a := randomGuest()
			if a == 0 {
				break
			}
			desc = fmt.Sprintf("mmap(%v, %d pages, NOREPLACE)", a, n)
			if _, err := g.Mmap(a, uint64(n)*PageSize, prot, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0); errnoOf(err) != unix.EEXIST {
				fail("got %v, want EEXIST", err)
			}
		}
		// Probe the released pages at once, before anything allocates.
		stillMapped, canary = stillMapped[:0], canary[:0]
		for _, a := range released {
			pg, _ := NewRange(a, PageSize)
			mapped := sysProbeMapped(pg)
			stillMapped = append(stillMapped, mapped)
			canary = append(canary, mapped && readWord(a) == uint64(a))
		}
		if err := g.Check(); err != nil {
			fail("Check: %v", err)
		}
		es, err := ReadMaps()
		if err != nil {
			t.Fatal(err)
		}
		kprot := func(a Addr) int {
			i := sort.Search(len(es), func(i int) bool { return es[i].Range.End > a })
			if i < len(es) && es[i].Range.Contains(a) {
				return es[i].Prot
			}
			return -1
		}
		for a, p := range model {
			if k := kprot(a); k != int(p.prot) {
				fail("page %v: kernel prot %d, model %d", a, k, p.prot)
			}
			if gp, ok := g.Prot(a); !ok || gp != int(p.prot) {
				fail("page %v: Prot %d %v, model %d", a, gp, ok, p.prot)
			}
		}
		for i, a := range released {
			if _, ok := model[a]; ok {
				continue
			}
			if stillMapped[i] && canary[i] {
				fail("released page %v still mapped with its contents (prot now %d)", a, kprot(a))
			}
			if _, ok := g.Prot(a); ok {
				fail("released page %v still recorded", a)
			}
		}
	}
	st := g.Stats()
	t.Logf("stats: %+v", st)
	var guest, host uint64
	for _, p := range model {
		if p.host {
			host += PageSize
		} else {
			guest += PageSize
		}
	}
	if st.GuestBytes != guest || st.HostHeapBytes != host {
		t.Fatalf("stats guest %d host %d, model %d %d", st.GuestBytes, st.HostHeapBytes, guest, host)
	}
}
