package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// Several guest threads over one code cache. Each runs on its own OS
// thread (runtime.LockOSThread), as minemu's guest threads do.

// TestThreadsShareCache: four threads call 3,000 distinct stubs through a
// cache that holds a few hundred blocks, again and again, while another
// goroutine keeps invalidating the stubs. Blocks are evicted and dropped
// all the time, by all of them, while the others run them; released ops
// are poisoned (0xff), so a block freed while a thread still executes it
// would make that thread compute a wrong sum or die of an invalid opcode.
// Every sum is right, memory was released while the threads ran, and no
// free is of memory not allocated.
func TestThreadsShareCache(t *testing.T) {
	const (
		threads = 4
		rounds  = 20
		n       = 3000
	)
	arena := newPoisonArena(t)
	var freedWhileRunning atomic.Int64
	var running atomic.Int32
	arena.onFree = func(mm.Addr) {
		if running.Load() > 0 {
			freedWhileRunning.Add(1)
		}
	}
	m, err := newMachine(Config{Mode: mm.Mode64, Code: arena, BlockCacheBudget: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := newStubs(t, n)
	code, err := mapAnonProt(mm.PageSize, true, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unmapAnon(code, mm.PageSize)
	copy(guestBytes(code, uint64(len(stubLoop64))), stubLoop64)

	var wg sync.WaitGroup
	errs := make(chan string, threads*rounds)
	stop := make(chan struct{})
	running.Store(threads)
	for k := 0; k < threads; k++ {
		c := cpu.NewCPU(mm.Mode64)
		th, err := m.NewThread(c)
		if err != nil {
			t.Fatal(err)
		}
		stack, err := mapAnon(64<<10, true)
		if err != nil {
			t.Fatal(err)
		}
		defer unmapAnon(stack, 64<<10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer running.Add(-1)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for r := 0; r < rounds; r++ {
				c.Regs = [16]uint64{}
				c.Regs[cpu.RSP] = stack + 64<<10 - 64
				c.Regs[cpu.RSI], c.Regs[cpu.RDX] = s.base, n
				c.RIP = code
				ex := th.Run()
				if ex.Signal != unix.SIGTRAP {
					errs <- "thread stopped with " + ex.Detail
					return
				}
				if got := uint32(c.Regs[cpu.RBX]); got != s.sum() {
					errs <- "wrong sum"
					return
				}
			}
		}()
	}
	invalidated := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		r, _ := mm.NewRange(mm.Addr(s.base), n*8)
		for {
			select {
			case <-stop:
				return
			default:
			}
			m.Invalidate(r)
			invalidated++
			runtime.Gosched()
		}
	}()
	for running.Load() > 0 {
		runtime.Gosched()
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	st := m.Stats()
	t.Logf("%d invalidation sweeps, %d blocks decoded, %d evicted, %d invalidated, %d frees while running",
		invalidated, st.BlocksDecoded, st.BlocksEvicted, st.Invalidations, freedWhileRunning.Load())
	if st.BlocksEvicted == 0 || st.Invalidations == 0 || freedWhileRunning.Load() == 0 {
		t.Fatalf("evicted %d, invalidated %d, freed %d while running: the test did not exercise reclamation",
			st.BlocksEvicted, st.Invalidations, freedWhileRunning.Load())
	}
	if arena.bad != 0 {
		t.Fatalf("%d frees of memory that was not allocated", arena.bad)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestQuiescentRequest: a thread that spins in one cached block passes no
// quiescent point of its own, so a block dropped meanwhile could never be
// released; reclamation asks it to stop (StopQuiesce), it passes one, and
// the block is released while the thread still spins.
func TestQuiescentRequest(t *testing.T) {
	arena := newPoisonArena(t)
	m, err := newMachine(Config{Mode: mm.Mode64, Code: arena})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	mem, err := mapAnonProt(2*mm.PageSize, true, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unmapAnon(mem, 2*mm.PageSize)
	flag := mem + mm.PageSize
	// spin: cmp byte [rbx], 0; je spin; int3
	copy(guestBytes(mem, 7), []byte{0x80, 0x3b, 0x00, 0x74, 0xfb, 0xcc, 0x90})
	other := mem + 0x100
	copy(guestBytes(other, 1), []byte{0xcc}) // a block to drop
	c := cpu.NewCPU(mm.Mode64)
	th, err := m.NewThread(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Regs[cpu.RBX], c.Regs[cpu.RSP], c.RIP = flag, flag+mm.PageSize-64, mem
	done := make(chan cpu.Exit)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		done <- th.Run()
	}()
	// Wait until the spinner runs (it is online once its run loop started).
	for th.qs.Load() == offlineQS {
		runtime.Gosched()
	}
	blk := m.lookup(other)
	mem0 := blk.arena
	var freed atomic.Bool
	arena.mu.Lock()
	arena.onFree = func(p mm.Addr) {
		if p == mem0 {
			freed.Store(true)
		}
	}
	arena.mu.Unlock()
	r, _ := mm.NewRange(mm.Addr(other), 1)
	m.Invalidate(r)
	// Without the request the spinner would hold the block back for as
	// long as it spins: give up after a bounded amount of waiting.
	for i := 0; !freed.Load(); i++ {
		if i > 10_000_000 {
			t.Fatalf("the dropped block was not released while a thread spun")
		}
		runtime.Gosched()
	}
	guestBytes(flag, 1)[0] = 1
	if ex := <-done; ex.Signal != unix.SIGTRAP {
		t.Fatalf("spinner stopped with %+v, want SIGTRAP", ex)
	}
}
