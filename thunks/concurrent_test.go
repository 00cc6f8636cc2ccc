package thunks

import (
	"fmt"
	"sync"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestConcurrentGuestThreads runs host-library calls from several guest
// threads at once (each its own CPU and argument block) while another
// goroutine registers new functions; the counters must add up exactly and
// the host heap must end empty. Run with -race to check the locking.
func TestConcurrentGuestThreads(t *testing.T) {
	const threads, rounds = 4, 300
	e := newEnv(t, mm.Mode32)
	idMalloc, _ := e.reg.Resolve(Hash(HostLibrary, "malloc"))
	idFree, _ := e.reg.Resolve(Hash(HostLibrary, "free_any"))
	lay := LayoutFor(e.mode, 1)
	var wg sync.WaitGroup
	errs := make(chan error, threads+1)
	for th := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &cpu.CPU{Mode: e.mode}
			c.Regs[cpu.RSP] = e.cpu.Regs[cpu.RSP]
			args := e.scratch.Start + 64<<10 + mm.Addr(th*64)
			c.Regs[cpu.RCX] = uint64(args)
			call := func(id uint32, v uint64) (uint64, error) {
				if err := lay.pack(e.mem, args, []uint64{v}); err != nil {
					return 0, err
				}
				if err := e.reg.Call(id, c); err != nil {
					return 0, err
				}
				_, ret, err := lay.unpack(e.mem, args)
				return ret, err
			}
			for i := range rounds {
				p, err := call(idMalloc, uint64(16+i%200))
				if err != nil || p == 0 {
					errs <- fmt.Errorf("thread %d: malloc = %#x, %v", th, p, err)
					return
				}
				for _, q := range []uint64{p, p, p + 8} { // free, double free, interior
					if _, err := call(idFree, q); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			s := Spec{Library: "extra", Name: fmt.Sprintf("f%d", i), Result: "int", ResultKind: KindInt}
			if err := e.reg.Register(s, func(*cpu.CPU, Args) (uint64, error) { return 0, nil }); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := e.lib.Stats()
	if s.FreesHost != threads*rounds || s.FreesRejected != 2*threads*rounds {
		t.Fatalf("stats %+v, want %d host and %d rejected frees", s, threads*rounds, 2*threads*rounds)
	}
	calls := e.reg.Stats().Calls
	if calls["minemu:malloc"] != threads*rounds || calls["minemu:free_any"] != 3*threads*rounds || len(calls) != len(HostLibSpecs())+50 {
		t.Fatalf("calls %v", calls)
	}
	if e.hostLive() != 0 {
		t.Fatalf("host heap not empty")
	}
}
