package engine

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// stubLoop calls n stubs of 8 bytes at cpu.RSI (count in cpu.RDX), adding their
// EAX results into EBX, then stops at int3 (assembled with nasm):
//
//	xor ecx,ecx; xor ebx,ebx; L: lea rax,[rsi+rcx*8]; call rax
//	add ebx,eax; inc rcx; cmp rcx,rdx; jb L; int3
var (
	stubLoop64 = []byte{0x31, 0xc9, 0x31, 0xdb, 0x48, 0x8d, 0x04, 0xce, 0xff, 0xd0, 0x01, 0xc3,
		0x48, 0xff, 0xc1, 0x48, 0x39, 0xd1, 0x72, 0xf0, 0xcc}
	stubLoop32 = []byte{0x31, 0xc9, 0x31, 0xdb, 0x8d, 0x04, 0xce, 0xff, 0xd0, 0x01, 0xc3, 0x41,
		0x39, 0xd1, 0x72, 0xf4, 0xcc}
)

// stubs is a region of n distinct functions "mov eax, value(i); ret", 8
// bytes apart, each a block of its own (below 2 GiB: both modes reach it).
type stubs struct {
	base uint64
	n    int
	gen  uint32 // mixed into the values: rewriting with another gen changes them all
}

func newStubs(t testing.TB, n int) *stubs {
	t.Helper()
	size := (uint64(n)*8 + mm.PageMask) &^ mm.PageMask
	base, err := mapAnonProt(size, true, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
	if err != nil {
		t.Fatalf("mapping stubs: %v", err)
	}
	t.Cleanup(func() { unmapAnon(base, size) })
	s := &stubs{base: base, n: n}
	s.write(0)
	return s
}

func (s *stubs) value(i int) uint32 { return uint32(i)*2654435761 ^ 0x5bd1e995 ^ s.gen*0x9e3779b9 }

// write rewrites every stub behind the machine's back (no invalidation).
func (s *stubs) write(gen uint32) {
	s.gen = gen
	b := guestBytes(s.base, uint64(s.n)*8)
	for i := 0; i < s.n; i++ {
		v := s.value(i)
		copy(b[i*8:], []byte{0xb8, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), 0xc3, 0xcc, 0xcc})
	}
}

func (s *stubs) sum() uint32 {
	var sum uint32
	for i := 0; i < s.n; i++ {
		sum += s.value(i)
	}
	return sum
}

// poisonArena is a code arena over a real dynarec heap that overwrites
// every allocation with 0xff bytes when it is freed, so that a block
// executed from released memory runs garbage, and that reports every free
// to onFree. It may be used by several threads; mu guards the fields below
// it.
type poisonArena struct {
	h      *mm.Heap
	mu     sync.Mutex
	sizes  map[mm.Addr]uint64 // live allocations
	frees  []mm.Addr
	onFree func(mm.Addr)
	// bad counts frees of addresses that were not live allocations.
	bad int
}

func newPoisonArena(t testing.TB) *poisonArena {
	t.Helper()
	regions, err := mm.NewRegions(mm.RegionsConfig{Mode: mm.Mode64})
	if err != nil {
		t.Fatalf("NewRegions: %v", err)
	}
	t.Cleanup(func() { regions.Close() })
	h, err := mm.NewDynarecHeap(regions)
	if err != nil {
		t.Fatalf("NewDynarecHeap: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return &poisonArena{h: h, sizes: map[mm.Addr]uint64{}}
}

func (a *poisonArena) Alloc(n uint64) (mm.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, err := a.h.Alloc(n)
	if err == nil {
		a.sizes[p] = n
	}
	return p, err
}

func (a *poisonArena) Free(p mm.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, ok := a.sizes[p]
	if !ok {
		a.bad++
		return errors.New("poisonArena: free of an address it did not hand out")
	}
	if a.onFree != nil {
		a.onFree(p)
	}
	b := guestBytes(uint64(p), n)
	for i := range b {
		b[i] = 0xff
	}
	delete(a.sizes, p)
	a.frees = append(a.frees, p)
	return a.h.Free(p)
}

func (a *poisonArena) liveBytes() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var n uint64
	for _, s := range a.sizes {
		n += s
	}
	return n
}

// TestEvictionBounds runs 20,000 distinct blocks through a cache with room
// for about a thousand, twice, then once more after rewriting every stub:
// every result is right (evicted blocks are decoded again from the current
// bytes), blocks were evicted, the cache and the arena stayed within the
// budget, and the cache's bookkeeping is consistent.
func TestEvictionBounds(t *testing.T) {
	const n = 20000
	const budget = 256 << 10
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			arena := newPoisonArena(t)
			m, err := newMachine(Config{Mode: mode, Code: arena, BlockCacheBudget: budget})
			if err != nil {
				t.Fatal(err)
			}
			e.m = m
			s := newStubs(t, n)
			loop := stubLoop64
			if mode == mm.Mode32 {
				loop = stubLoop32
			}
			e.load(loop)
			for pass := 0; pass < 3; pass++ {
				if pass == 2 {
					// The bytes change under evicted blocks only: every
					// block of the first stubs is long gone, and the last
					// ones are invalidated the ordinary way.
					s.write(1)
					r, _ := mm.NewRange(mm.Addr(s.base), n*8)
					m.Invalidate(r)
				}
				e.reset()
				e.c.Regs[cpu.RSI], e.c.Regs[cpu.RDX] = s.base, n
				e.runTrap()
				if got, want := uint32(e.c.Regs[cpu.RBX]), s.sum(); got != want {
					t.Fatalf("pass %d: sum %#x, want %#x", pass, got, want)
				}
				if err := m.Check(); err != nil {
					t.Fatalf("pass %d: %v", pass, err)
				}
			}
			st := m.Stats()
			if st.BlocksEvicted < 2*n-budget/blockCost(2) || st.BlocksDecoded < 3*n {
				t.Fatalf("evicted %d, decoded %d of 3x%d distinct blocks: want nearly all evicted and decoded again", st.BlocksEvicted, st.BlocksDecoded, n)
			}
			if st.BlockCachePeakBytes > budget || st.BlockCacheBytes > budget || st.BlockCacheBudget != budget {
				t.Fatalf("cache bytes %d, peak %d, budget %d: want both within %d", st.BlockCacheBytes, st.BlockCachePeakBytes, st.BlockCacheBudget, budget)
			}
			if st.BlocksLive != uint64(len(m.index)) || st.BlocksLive > budget/blockCost(1) {
				t.Fatalf("%d live blocks (index %d), want at most %d", st.BlocksLive, len(m.index), budget/blockCost(1))
			}
			if live := arena.liveBytes(); live > budget {
				t.Fatalf("arena holds %d bytes of ops, want at most the budget %d", live, budget)
			}
		})
	}
}

// TestEvictedSuccessorNotStale: block A's successor cache points at block
// B; B is evicted and its bytes change behind the machine's back (nothing
// invalidates them). Running A again must decode B afresh: a stale link, a
// stale direct-mapped entry or a stale index entry would run B's old ops
// (from poisoned, released memory).
func TestEvictedSuccessorNotStale(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	arena := newPoisonArena(t)
	m, _ := newMachine(Config{Mode: mm.Mode64, Code: arena})
	e.m = m
	b := e.base + 0x400
	e.write(b, []byte{0xb8, 1, 0, 0, 0, 0xc3})                     // B: mov eax, 1; ret
	e.load([]byte{0xe8, 0xfb, 0x03, 0x00, 0x00, 0x89, 0xc3, 0xcc}) // A: call B; mov ebx, eax; int3
	// B is decoded first, so it is the oldest block.
	if got, err := m.CallGuest(e.c, b); err != nil || got != 1 {
		t.Fatalf("CallGuest(B) = %d, %v", got, err)
	}
	e.runTrap()
	blkA, blkB := m.index[e.base], m.index[b]
	if blkA == nil || blkB == nil || blkA.next[0].Load() != blkB && blkA.next[1].Load() != blkB {
		t.Fatalf("A's successor cache does not point at B: A %+v", blkA)
	}
	if e.c.Regs[cpu.RBX] != 1 {
		t.Fatalf("first run: ebx %d, want 1", e.c.Regs[cpu.RBX])
	}
	// Fill the cache exactly, then decode one more block of B's size:
	// exactly the oldest, B, is evicted.
	m.budget = m.cacheBytes
	s := newStubs(t, 1)
	if got, err := m.CallGuest(e.c, s.base); err != nil || uint32(got) != s.value(0) {
		t.Fatalf("CallGuest(stub) = %#x, %v", got, err)
	}
	if blkB.live.Load() || !blkA.live.Load() || m.Stats().BlocksEvicted != 1 {
		t.Fatalf("B live %v, A live %v, %d evicted: want exactly B evicted", blkB.Live(), blkA.Live(), m.Stats().BlocksEvicted)
	}
	copy(guestBytes(b+1, 1), []byte{2}) // B: mov eax, 2; ret, unannounced
	m.budget = DefaultBlockCacheBudget
	e.reset()
	e.runTrap()
	if e.c.Regs[cpu.RBX] != 2 {
		t.Fatalf("after B's eviction: ebx %d, want 2 (B decoded again)", e.c.Regs[cpu.RBX])
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
}

// evictThunker's host function calls every stub back with CallGuest, so
// that the cache evicts everything older, including the block running
// the thunk; its result is the stubs' sum.
type evictThunker struct {
	m      *machine
	s      *stubs
	inCall bool
}

func (th *evictThunker) Resolve(h [32]byte) (uint32, error) { return 9, nil }

func (th *evictThunker) Call(id uint32, c *cpu.CPU) error {
	th.inCall = true
	defer func() { th.inCall = false }()
	var sum uint32
	for i := 0; i < th.s.n; i++ {
		r, err := th.m.CallGuest(c, th.s.base+uint64(8*i))
		if err != nil {
			return err
		}
		sum += uint32(r)
	}
	c.Regs[cpu.RAX] = uint64(sum)
	return nil
}

// TestEvictionDuringCallback: a thunk whose callbacks decode thousands of
// blocks through a small cache evicts the block executing the thunk (and
// the caller's). The engine has left the thunk's block before the host
// function runs (the thunk is an exit to the run loop, which keeps what
// the near RET needs), so evicted blocks are released during the callback
// already — a callback that runs for long does not pile up dead blocks —
// and released memory is poisoned: the guest's result is right only if
// nothing executes a released block. The thunk's block is freed, and
// nothing is freed that is not a live allocation (released memory is
// reused, so the thunk's address may be freed again for a later block).
func TestEvictionDuringCallback(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	arena := newPoisonArena(t)
	s := newStubs(t, 5000)
	th := &evictThunker{s: s}
	m, _ := newMachine(Config{Mode: mm.Mode64, Code: arena, Thunker: th, BlockCacheBudget: 64 << 10})
	th.m, e.m = m, m
	var early []mm.Addr // freed while the callback ran: evicted blocks, released at quiescent points
	arena.onFree = func(p mm.Addr) {
		if th.inCall {
			early = append(early, p)
		}
	}
	// main: call stub; mov ebx, eax; int3; stub: 0F 3F + hash
	main := []byte{0xe8, 0x03, 0x00, 0x00, 0x00, 0x89, 0xc3, 0xcc, 0x0f, 0x3f}
	main = append(main, make([]byte, 32)...)
	e.load(main)
	// Decode the stub block without running it, to learn its arena memory.
	stub := m.lookup(e.base + 8)
	if stub.arena == 0 || stub.Ops[0].Code != isa.OpThunk {
		t.Fatalf("stub block: arena %#x, first op %v", stub.arena, stub.Ops[0].Code)
	}
	stubMem := stub.arena
	ex := m.Run(e.c)
	if len(early) < 4000 {
		t.Fatalf("%d blocks' memory freed during the callback, want nearly all of the evicted ones", len(early))
	}
	if ex.Signal != unix.SIGTRAP {
		t.Fatalf("guest stopped with %+v, want SIGTRAP from the final int3", ex)
	}
	if got, want := uint32(e.c.Regs[cpu.RBX]), s.sum(); got != want {
		t.Fatalf("ebx %#x, want the stubs' sum %#x", got, want)
	}
	if stub.live.Load() || m.Stats().BlocksEvicted < 4000 {
		t.Fatalf("stub block live %v after %d evictions: want it evicted", stub.Live(), m.Stats().BlocksEvicted)
	}
	freed := 0
	for _, p := range arena.frees {
		if p == stubMem {
			freed++
		}
	}
	if freed == 0 || arena.bad != 0 {
		t.Fatalf("the thunk's block memory was freed %d times, %d frees of memory not allocated; want it freed, and every free of a live allocation", freed, arena.bad)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestBlockCacheModelEvicting is TestBlockCacheModel's random sequence of
// writes, calls, invalidations and code patches with a cache that holds
// about four blocks, so eviction interleaves with all of them.
func TestBlockCacheModelEvicting(t *testing.T) {
	blockCacheModel(t, 4*blockCost(4))
}

// TestBlockOverheadMeasured: blockOverhead covers the Go memory a cached
// block really costs (its ops live in the arena): the heap grown by
// decoding n blocks, divided by n, stays within it, at several sizes of
// the index map.
func TestBlockOverheadMeasured(t *testing.T) {
	for _, n := range []int{3000, 12000, 50000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			arena := newBumpArena(t, uint64(n)*blockCost(2))
			m, _ := newMachine(Config{Mode: mm.Mode64, Code: arena})
			s := newStubs(t, n)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := 0; i < n; i++ {
				m.lookup(s.base + uint64(8*i))
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			per := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
			t.Logf("%d blocks: %.1f bytes of Go heap each (blockOverhead %d)", n, per, blockOverhead)
			if per > blockOverhead {
				t.Fatalf("%.1f bytes of Go heap per block, more than blockOverhead %d", per, blockOverhead)
			}
			runtime.KeepAlive(m)
		})
	}
}

// bumpArena hands out memory from one mapping and never reuses it: a
// CodeArena with no Go-side bookkeeping, for measuring the machine's own.
type bumpArena struct{ next, end uint64 }

func newBumpArena(t testing.TB, size uint64) *bumpArena {
	t.Helper()
	size = (size + mm.PageMask) &^ mm.PageMask
	base, err := mapAnon(size, false)
	if err != nil {
		t.Fatalf("mapping the arena: %v", err)
	}
	t.Cleanup(func() { unmapAnon(base, size) })
	return &bumpArena{next: base, end: base + size}
}

func (a *bumpArena) Alloc(n uint64) (mm.Addr, error) {
	n = (n + 15) &^ 15
	if a.end-a.next < n {
		return 0, errors.New("bumpArena: full")
	}
	p := a.next
	a.next += n
	return mm.Addr(p), nil
}

func (a *bumpArena) Free(mm.Addr) error { return nil }

// BenchmarkDecodeStubs measures what a decoded block costs with and
// without eviction: "fits" decodes 50,000 stubs into a fresh cache that
// holds them all, "evicting" runs them through a cache of 1 MiB (about
// 3,400 blocks), so every block is decoded again and one evicted per
// decode. ns/block is the cost of one call of a stub, decode included.
func BenchmarkDecodeStubs(b *testing.B) {
	const n = 50000
	for _, bc := range []struct {
		name   string
		budget uint64
		fresh  bool
	}{{"fits", 0, true}, {"evicting", 1 << 20, false}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, mm.Mode64)
			s := newStubs(b, n)
			arena := newPoisonArena(b).h // the plain dynarec heap, no poisoning
			newM := func() {
				e.m, _ = newMachine(Config{Mode: mm.Mode64, Code: arena, BlockCacheBudget: bc.budget})
			}
			newM()
			e.load(stubLoop64)
			run := func() {
				e.reset()
				e.c.Regs[cpu.RSI], e.c.Regs[cpu.RDX] = s.base, n
				e.runTrap()
			}
			run()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if bc.fresh {
					b.StopTimer()
					e.m.Invalidate(mm.AddrRange{Start: mm.Addr(s.base), End: mm.Addr(s.base + n*8)})
					e.m.releasePending()
					newM()
					b.StartTimer()
				}
				run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/block")
			b.ReportMetric(float64(e.m.Stats().BlocksEvicted)/float64(b.N+1)/n, "evictions/block")
		})
	}
}
