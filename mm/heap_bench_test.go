package mm

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// benchRand is a small xorshift generator, so benchmarks do not allocate.
type benchRand uint64

func (r *benchRand) next() uint64 {
	*r ^= *r << 13
	*r ^= *r >> 7
	*r ^= *r << 17
	return uint64(*r)
}

// BenchmarkHeapChurn: the churn trace's pattern: bursts of 1..64
// allocations of 8..256 bytes, freed in reverse order. One op is an Alloc
// or a Free.
func BenchmarkHeapChurn(b *testing.B) {
	h, _ := newTestHeap(b, HeapConfig{Name: "churn"})
	var ps [64]Addr
	r := benchRand(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		n := int(r.next()%64) + 1
		for j := 0; j < n; j++ {
			p, err := h.Alloc(8 + r.next()%249)
			if err != nil {
				b.Fatal(err)
			}
			ps[j] = p
		}
		for j := n - 1; j >= 0; j-- {
			h.Free(ps[j])
		}
		i += 2 * n
	}
}

// BenchmarkHeapMixed: log-scale sizes from 16 B to 64 KiB over a live set
// of 4096 allocations, each replaced at random. One op is a Free and an
// Alloc.
func BenchmarkHeapMixed(b *testing.B) {
	h, _ := newTestHeap(b, HeapConfig{Name: "mixed"})
	const live = 4096
	var ps [live]Addr
	r := benchRand(2)
	size := func() uint64 { return 16 << (r.next() % 13) >> (r.next() % 2) }
	for i := range ps {
		ps[i], _ = h.Alloc(size())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := r.next() % live
		h.Free(ps[j])
		p, err := h.Alloc(size())
		if err != nil {
			b.Fatal(err)
		}
		ps[j] = p
	}
}

// BenchmarkHeapReallocGrowth: vectors grown by doubling from 16 bytes to
// 64 KiB, side by side, then freed. One op is a Realloc.
func BenchmarkHeapReallocGrowth(b *testing.B) {
	h, _ := newTestHeap(b, HeapConfig{Name: "realloc"})
	var vs [64]Addr
	var sz [64]uint64
	r := benchRand(3)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := r.next() % 64
		if sz[j] >= 64<<10 {
			h.Free(vs[j])
			vs[j], sz[j] = 0, 0
		}
		n := max(2*sz[j], 16)
		p, err := h.Realloc(vs[j], n)
		if err != nil {
			b.Fatal(err)
		}
		vs[j], sz[j] = p, n
	}
}

// bumpSource hands out aligned blocks from one big MAP_NORESERVE mapping,
// without a syscall per block, so a heap can hold 100,000 blocks without
// hitting the kernel's mapping limit. Blocks are never reused.
type bumpSource struct {
	r    AddrRange
	next Addr
}

func newBumpSource(tb testing.TB, size uint64) *bumpSource {
	a, err := sysMmap(0, size, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE, -1, 0)
	if err != nil {
		tb.Skipf("cannot reserve %d bytes: %v", size, err)
	}
	r, _ := NewRange(a, size)
	tb.Cleanup(func() { sysMunmap(r) })
	return &bumpSource{r: r, next: a}
}

func (s *bumpSource) MapBlock(length, align uint64) (AddrRange, error) {
	start, _ := s.next.AlignUp(align)
	r, ok := NewRange(start, length)
	if !ok || r.End > s.r.End {
		return AddrRange{}, unix.ENOMEM
	}
	s.next = r.End
	return r, nil
}

func (s *bumpSource) UnmapBlock(r AddrRange) error { return sysMadvise(r, unix.MADV_DONTNEED) }

// BenchmarkHeapOwns asks Owns about live starts, interior pointers and
// foreign addresses spread over heaps of 10, 1,000 and 100,000 blocks; the
// cost must not grow with the block count. The blocks are one-page large
// allocations (aligned to 128 KiB, the index granule), which the heap does
// not touch, plus one LIST and one MAP block.
func BenchmarkHeapOwns(b *testing.B) {
	for _, nblocks := range []int{10, 1000, 100000} {
		b.Run(fmt.Sprintf("blocks=%d", nblocks), func(b *testing.B) {
			src := newBumpSource(b, uint64(nblocks+8)*heapGranule)
			h, err := NewHeap(HeapConfig{Name: "owns", Source: src})
			if err != nil {
				b.Fatal(err)
			}
			probes := make([]Addr, 0, 4096)
			for i := 0; i < nblocks-2; i++ {
				p, err := h.AlignedAlloc(heapGranule, 16)
				if err != nil {
					b.Fatal(err)
				}
				if i%(max(nblocks/1000, 1)) == 0 {
					probes = append(probes, p, p+16)
				}
			}
			for i := 0; i < 100; i++ {
				p, _ := h.Alloc(100)
				q, _ := h.Alloc(1000)
				probes = append(probes, p, q, q+32)
			}
			probes = append(probes, 0, 0xdead0000, src.r.End+1<<30)
			if st := h.Stats(); st.List.Blocks+mapTotal(st).Blocks+st.Large.Blocks != uint64(nblocks) {
				b.Fatalf("%d blocks, want %d", st.List.Blocks+mapTotal(st).Blocks+st.Large.Blocks, nblocks)
			}
			r := benchRand(4)
			owned := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if h.Owns(probes[r.next()%uint64(len(probes))]) {
					owned++
				}
			}
			b.StopTimer()
			if owned == 0 || owned == b.N && b.N > 100 {
				b.Fatalf("%d of %d probes owned", owned, b.N)
			}
			h.Close()
		})
	}
}

// BenchmarkHeapReplay replays the ALLOCTR1 trace named by $MINEMU_TRACE
// (skipped when unset) through a fresh heap per iteration, each call
// locking ($MINEMU_HOLD_LOCK non-empty: the lock held around the loop, as
// `minemu mm replay --hold-lock`). It reports the replay's own ns per op and
// peak mapped / peak live; with -cpuprofile it shows where a trace's time
// goes (docs/memory.md).
func BenchmarkHeapReplay(b *testing.B) {
	path := os.Getenv("MINEMU_TRACE")
	if path == "" {
		b.Skip("MINEMU_TRACE not set")
	}
	tr, err := LoadTrace(path)
	if err != nil {
		b.Fatal(err)
	}
	opt := ReplayOptions{HoldLock: os.Getenv("MINEMU_HOLD_LOCK") != ""}
	for i := 0; i < b.N; i++ {
		h, _ := newTestHeap(b, HeapConfig{Name: "replay"})
		res, err := ReplayTrace(h, tr, opt)
		if err != nil || res.VerifyErrors != 0 || res.Check != "ok" {
			b.Fatalf("replay: %v, %d verify errors, check %s", err, res.VerifyErrors, res.Check)
		}
		b.ReportMetric(res.NsPerOp, "ns/traceop")
		b.ReportMetric(float64(res.PeakMappedBytes)/float64(max(res.PeakLiveBytes, 1)), "mapped/live")
	}
}
