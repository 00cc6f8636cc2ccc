package thunks

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
	"github.com/rs/zerolog"
)

// freeBatch is how many pointers a free benchmark allocates with the
// timer stopped before freeing them with it running.
const freeBatch = 4096

// stubCall runs the host side of minemu:<name> on an argument block packed
// once at args, as the interpreter does when the stub executes.
type stubCall struct {
	e    *env
	id   uint32
	args mm.Addr
	lay  Layout
}

func newStubCall(tb testing.TB, e *env, name string, nargs int) stubCall {
	tb.Helper()
	id, err := e.reg.Resolve(Hash(HostLibrary, name))
	if err != nil {
		tb.Fatal(err)
	}
	s := stubCall{e: e, id: id, args: e.scratch.Start + 0x100, lay: LayoutFor(e.mode, nargs)}
	if err := s.lay.pack(e.mem, s.args, make([]uint64, nargs)); err != nil {
		tb.Fatal(err)
	}
	e.cpu.Regs[cpu.RDI], e.cpu.Regs[cpu.RCX] = uint64(s.args), uint64(s.args)
	return s
}

// run calls the function with one argument and returns the result slot.
func (s stubCall) run(tb testing.TB, arg uint64) uint64 {
	s.e.mem.storeWord(s.args, arg)
	if err := s.e.reg.Call(s.id, s.e.cpu); err != nil {
		tb.Fatal(err)
	}
	return s.e.mem.loadWord(s.lay.Result(s.args))
}

// quiet turns the env's logging off, as minemu runs at its default level.
func (e *env) quiet() {
	e.lib.log = zerolog.Nop()
	e.reg.log = zerolog.Nop()
}

// BenchmarkHostFree is one minemu_free (or minemu_free_any) of a live
// 32-byte host-heap allocation through Registry.Call: the argument block
// check, the ownership decision and the free.
//
//	go test -run XXX -bench 'HostFree|GuestFree' -count 3 ./thunks
func BenchmarkHostFree(b *testing.B) {
	for _, mode := range modes {
		for _, fn := range []string{"free", "free_any"} {
			b.Run(fn+"-"+mode.String(), func(b *testing.B) {
				e := newEnvTB(b, mode)
				e.quiet()
				s := newStubCall(b, e, fn, 1)
				ps := make([]mm.Addr, freeBatch)
				b.ReportAllocs()
				b.ResetTimer()
				for done := 0; done < b.N; {
					b.StopTimer()
					n := min(freeBatch, b.N-done)
					for i := range n {
						p, err := e.heap.Alloc(32)
						if err != nil {
							b.Fatal(err)
						}
						ps[i] = p
					}
					b.StartTimer()
					for _, p := range ps[:n] {
						if r := s.run(b, uint64(p)); r != 0 {
							b.Fatalf("%s(%#x) = %#x, want 0", fn, uint64(p), r)
						}
					}
					done += n
				}
			})
		}
	}
}

// BenchmarkGuestFree is one minemu_free_any of a guest-heap pointer
// through Registry.Call, with the guest's free a real guest function run
// by the interpreter (it returns at once): the argument block check, the
// decision, the callback.
func BenchmarkGuestFree(b *testing.B) {
	for _, mode := range modes {
		b.Run(mode.String(), func(b *testing.B) {
			e, _, a := benchEnv(b, mode)
			e.quiet()
			fn := a.pc()
			a.ret()
			install(b, e, a)
			e.cpu.Regs[cpu.RSP] = uint64(e.stack.End - 256)
			reg := newStubCall(b, e, "register_guest_heap", 2)
			e.mem.storeWord(reg.args+mm.Addr(WordWidth(mode)), uint64(fn))
			if r := reg.run(b, uint64(fn)); r != 0 {
				b.Fatalf("register_guest_heap = %d", int32(r))
			}
			s := newStubCall(b, e, "free_any", 1)
			p := uint64(e.gh.arena.Start)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if r := s.run(b, p); r != 0 {
					b.Fatalf("free_any = %d", int32(r))
				}
			}
			b.StopTimer()
			if got := e.lib.Stats().FreesGuest; got != uint64(b.N) {
				b.Fatalf("%d guest frees, want %d", got, b.N)
			}
		})
	}
}
