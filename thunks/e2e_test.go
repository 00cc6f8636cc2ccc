package thunks

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/engine/enginetest"
	"github.com/minemu/minemu/mm"
	"golang.org/x/sys/unix"
)

// asm is a tiny x86 assembler for the instructions the end-to-end test
// needs, in either mode.
type asm struct {
	mode mm.Mode
	base mm.Addr
	b    []byte
}

func (a *asm) pc() mm.Addr    { return a.base + mm.Addr(len(a.b)) }
func (a *asm) raw(bs ...byte) { a.b = append(a.b, bs...) }
func (a *asm) u32(v uint32)   { a.b = binary.LittleEndian.AppendUint32(a.b, v) }
func (a *asm) u64(v uint64)   { a.b = binary.LittleEndian.AppendUint64(a.b, v) }
func (a *asm) ret()           { a.raw(0xc3) }

// word emits an address of the guest's width.
func (a *asm) word(v mm.Addr) {
	if a.mode == mm.Mode32 {
		a.u32(uint32(v))
	} else {
		a.u64(uint64(v))
	}
}

// rex emits REX.W in Mode64 (64-bit operand size), nothing in Mode32.
func (a *asm) rex() {
	if a.mode == mm.Mode64 {
		a.raw(0x48)
	}
}

// call emits call rel32.
func (a *asm) call(to mm.Addr) {
	a.raw(0xe8)
	a.u32(uint32(int32(int64(to) - int64(a.pc()) - 4)))
}

// stub emits a thunk stub of the host library.
func (a *asm) stub(name string) {
	h := Hash(HostLibrary, name)
	a.raw(0x0f, 0x3f)
	a.raw(h[:]...)
}

// loadAcc and storeAcc are mov rax/eax, [moffs] and mov [moffs], rax/eax.
func (a *asm) loadAcc(m mm.Addr)  { a.rex(); a.raw(0xa1); a.word(m) }
func (a *asm) storeAcc(m mm.Addr) { a.rex(); a.raw(0xa3); a.word(m) }

// argPtr loads the packed-argument pointer: mov rdi, imm64 / mov ecx, imm32.
func (a *asm) argPtr(p mm.Addr) {
	if a.mode == mm.Mode64 {
		a.raw(0x48, 0xbf)
		a.u64(uint64(p))
	} else {
		a.raw(0xb9)
		a.u32(uint32(p))
	}
}

// TestEndToEndWithInterpreter runs real guest machine code in the real
// interpreter: the guest registers its heap, takes a host string, frees
// it with free_any, frees a guest block whose free (guest code) itself
// calls free_any on a second guest block — a nested callback — and tries
// a bad free, then halts. Both ABIs.
func TestEndToEndWithInterpreter(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			m, err := enginetest.NewMachine(engine.Config{Mode: mode, Space: e.g, Thunker: e.reg})
			if err != nil {
				t.Fatalf("NewMachine: %v", err)
			}
			e.lib.Callbacks().SetCaller(m)

			w := mm.Addr(WordWidth(mode))
			data := e.mmap(mm.PageSize, unix.PROT_READ|unix.PROT_WRITE)
			D := data.Start
			var (
				argsReg    = D + 0x000 // {malloc_fn, free_fn, ret}
				argsFree1  = D + 0x040 // {G1, ret}
				argsFree2  = D + 0x080 // {G2, ret}: used by the guest free
				argsStrdup = D + 0x0c0 // {str, ret}
				argsFree3  = D + 0x100 // {host string, ret}
				argsBad    = D + 0x140 // {host string again, ret}
				freed      = D + 0x200 // count, then the pointers the guest free saw
				str        = D + 0x300
				g1, g2     = D + 0x400, D + 0x440 // "guest heap" blocks
			)
			_ = e.mem.write(str, []byte("from the guest\x00"))

			codeR := e.mmap(mm.PageSize, unix.PROT_READ|unix.PROT_WRITE)
			a := &asm{mode: mode, base: codeR.Start}
			stubs := map[string]mm.Addr{}
			for _, n := range []string{"register_guest_heap", "strdup", "free_any"} {
				stubs[n] = a.pc()
				a.stub(n)
			}
			gmalloc := a.pc()
			a.rex()
			a.raw(0xb8)
			a.word(g2) // mov rax/eax, g2
			a.ret()

			gfree := a.pc()
			if mode == mm.Mode64 {
				a.raw(0x48, 0xb8)
				a.u64(uint64(freed))             // mov rax, &freed
				a.raw(0x48, 0x8b, 0x08)          // mov rcx, [rax]
				a.raw(0x48, 0x89, 0x7c, 0xc8, 8) // mov [rax+rcx*8+8], rdi
				a.raw(0x48, 0xff, 0x00)          // inc qword [rax]
				a.raw(0x48, 0xb8)
				a.u64(uint64(g1))       // mov rax, g1
				a.raw(0x48, 0x39, 0xc7) // cmp rdi, rax
				a.raw(0x75, 15)         // jne ret
			} else {
				a.raw(0x8b, 0x54, 0x24, 0x04) // mov edx, [esp+4]
				a.raw(0xb8)
				a.u32(uint32(freed))          // mov eax, &freed
				a.raw(0x8b, 0x08)             // mov ecx, [eax]
				a.raw(0x89, 0x54, 0x88, 0x04) // mov [eax+ecx*4+4], edx
				a.raw(0xff, 0x00)             // inc dword [eax]
				a.raw(0x81, 0xfa)
				a.u32(uint32(g1)) // cmp edx, g1
				a.raw(0x75, 10)   // jne ret
			}
			a.argPtr(argsFree2)
			a.call(stubs["free_any"]) // nested: the host calls gfree(g2) back
			a.ret()

			entry := a.pc()
			a.argPtr(argsReg)
			a.call(stubs["register_guest_heap"])
			a.argPtr(argsStrdup)
			a.call(stubs["strdup"])
			a.loadAcc(argsStrdup + w)
			a.storeAcc(argsFree3)
			a.storeAcc(argsBad)
			a.argPtr(argsFree3)
			a.call(stubs["free_any"]) // host heap
			a.argPtr(argsFree1)
			a.call(stubs["free_any"]) // guest heap, nesting
			a.argPtr(argsBad)
			a.call(stubs["free_any"]) // already freed: rejected
			halt := a.pc()
			a.raw(0xf4) // hlt ends the run

			if err := e.mem.write(codeR.Start, a.b); err != nil {
				t.Fatal(err)
			}
			if err := e.g.Mprotect(codeR.Start, mm.PageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
				t.Fatal(err)
			}
			LayoutFor(mode, 2).pack(e.mem, argsReg, []uint64{uint64(gmalloc), uint64(gfree)})
			LayoutFor(mode, 1).pack(e.mem, argsFree1, []uint64{uint64(g1)})
			LayoutFor(mode, 1).pack(e.mem, argsFree2, []uint64{uint64(g2)})
			LayoutFor(mode, 1).pack(e.mem, argsStrdup, []uint64{uint64(str)})

			c := cpu.NewCPU(mode)
			c.RIP = uint64(entry)
			c.Regs[cpu.RSP] = uint64(e.stack.End - 64)
			exit := m.Run(c)
			if exit.Signal != unix.SIGSEGV || !strings.Contains(exit.Detail, "hlt") || !strings.Contains(exit.Detail, halt.String()) {
				t.Fatalf("run ended with %+v, want the hlt at %v", exit, halt)
			}

			hs, _ := e.mem.readWord(argsStrdup + w)
			if hs == 0 || (mode == mm.Mode32 && hs >= uint64(mm.Limit32)) {
				t.Fatalf("strdup handed the guest %#x", hs)
			}
			count, _ := e.mem.readWord(freed)
			f1, _ := e.mem.readWord(freed + w)
			f2, _ := e.mem.readWord(freed + 2*w)
			if count != 2 || f1 != uint64(g1) || f2 != uint64(g2) {
				t.Fatalf("the guest free saw %d pointers %#x %#x, want 2: %v %v", count, f1, f2, g1, g2)
			}
			mask := uint64(1)<<(8*w) - 1
			if w == 8 {
				mask = ^uint64(0)
			}
			for _, tc := range []struct {
				slot mm.Addr
				want uint64
			}{
				{argsReg + 2*w, 0}, {argsFree3 + w, 0}, {argsFree1 + w, 0}, {argsFree2 + w, 0},
				{argsBad + w, negErrno(unix.EINVAL) & mask},
			} {
				if got, _ := e.mem.readWord(tc.slot); got != tc.want {
					t.Errorf("result slot at %v = %#x, want %#x", tc.slot, got, tc.want)
				}
			}
			s := CollectStats(e.reg, e.lib, e.heap.Stats().LiveBytes)
			if s.FreesHost != 1 || s.FreesGuest != 2 || s.FreesRejected != 1 || s.Callbacks != 2 || s.CallbackDepthMax != 2 {
				t.Fatalf("stats %+v, want 1 host, 2 guest, 1 rejected free, 2 callbacks nested 2 deep", s)
			}
			if s.Calls["minemu:free_any"] != 4 || s.Calls["minemu:strdup"] != 1 || s.Calls["minemu:register_guest_heap"] != 1 {
				t.Fatalf("calls %v", s.Calls)
			}
			if s.HostHeapLiveBytes != 0 || e.hostLive() != 0 {
				t.Fatalf("host heap live bytes %d, want 0", s.HostHeapLiveBytes)
			}
			e.audit()
		})
	}
}

// benchEnv is a machine ready to run guest code over the host library.
func benchEnv(b *testing.B, mode mm.Mode) (*env, *enginetest.Machine, *asm) {
	e := newEnvTB(b, mode)
	m, err := enginetest.NewMachine(engine.Config{Mode: mode, Space: e.g, Thunker: e.reg})
	if err != nil {
		b.Fatal(err)
	}
	e.lib.Callbacks().SetCaller(m)
	codeR := e.mmap(mm.PageSize, unix.PROT_READ|unix.PROT_WRITE)
	return e, m, &asm{mode: mode, base: codeR.Start}
}

// install writes the assembled code and makes it executable.
func install(b *testing.B, e *env, a *asm) {
	if err := e.mem.write(a.base, a.b); err != nil {
		b.Fatal(err)
	}
	if err := e.g.Mprotect(a.base, mm.PageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkThunkRoundTrip is one guest→host round trip measured in guest
// code: a loop that packs nothing new, calls the stub of a trivial host
// function (is_host_heap_allocation) and counts down. One op = one loop
// iteration (mov, call stub, host function, ret, dec, jnz).
func BenchmarkThunkRoundTrip(b *testing.B) {
	for _, mode := range modes {
		b.Run(mode.String(), func(b *testing.B) {
			e, m, a := benchEnv(b, mode)
			args := e.scratch.Start
			LayoutFor(mode, 1).pack(e.mem, args, []uint64{0x1000})
			stub := a.pc()
			a.stub("is_host_heap_allocation")
			entry := a.pc()
			loop := a.pc()
			a.argPtr(args)
			a.call(stub)
			a.rex()
			a.raw(0xff, 0xcb) // dec rbx/ebx
			a.raw(0x75, byte(int8(int64(loop)-int64(a.pc())-2)))
			a.raw(0xf4)
			install(b, e, a)
			c := cpu.NewCPU(mode)
			c.RIP = uint64(entry)
			c.Regs[cpu.RSP] = uint64(e.stack.End - 64)
			c.Regs[cpu.RBX] = uint64(b.N)
			b.ReportAllocs()
			b.ResetTimer()
			exit := m.Run(c)
			b.StopTimer()
			if !strings.Contains(exit.Detail, "hlt") {
				b.Fatalf("run ended with %+v", exit)
			}
			if got := e.reg.Stats().Calls["minemu:is_host_heap_allocation"]; got != uint64(b.N) {
				b.Fatalf("%d calls, want %d", got, b.N)
			}
		})
	}
}

// BenchmarkCallback is one host→guest callback through the bounded
// Callbacks runner: the host calls a guest function that returns at once.
func BenchmarkCallback(b *testing.B) {
	for _, mode := range modes {
		b.Run(mode.String(), func(b *testing.B) {
			e, _, a := benchEnv(b, mode)
			fn := a.pc()
			a.rex()
			a.raw(0x31, 0xc0) // xor eax, eax
			a.ret()
			install(b, e, a)
			c := cpu.NewCPU(mode)
			c.Regs[cpu.RSP] = uint64(e.stack.End - 64)
			cb := e.lib.Callbacks()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := cb.Call(c, uint64(fn), 7); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestNewAssemblesTheLayer builds the layer the way minemu run does and
// runs one stub through a real machine.
func TestNewAssemblesTheLayer(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			if _, err := New(Config{Mode: mode, Space: e.g}); err == nil {
				t.Fatalf("New without a heap succeeded")
			}
			th, err := New(Config{Mode: mode, Space: e.g, Heap: e.heap,
				NotHeap: []NamedRange{{Name: "stack", Range: e.stack}}})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			m, err := enginetest.NewMachine(engine.Config{Mode: mode, Space: e.g, Thunker: th.Registry})
			if err != nil {
				t.Fatal(err)
			}
			th.SetCaller(m)
			codeR := e.mmap(mm.PageSize, unix.PROT_READ|unix.PROT_WRITE)
			a := &asm{mode: mode, base: codeR.Start}
			stub := a.pc()
			a.stub("free_any")
			entry := a.pc()
			args := e.scratch.Start
			a.argPtr(args)
			a.call(stub)
			a.raw(0xf4)
			if err := e.mem.write(a.base, a.b); err != nil {
				t.Fatal(err)
			}
			if err := e.g.Mprotect(a.base, mm.PageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
				t.Fatal(err)
			}
			sp := e.stack.End - 64
			LayoutFor(mode, 1).pack(e.mem, args, []uint64{uint64(sp + 32)}) // a stack address
			c := cpu.NewCPU(mode)
			c.RIP, c.Regs[cpu.RSP] = uint64(entry), uint64(sp)
			if exit := m.Run(c); !strings.Contains(exit.Detail, "hlt") {
				t.Fatalf("run ended with %+v", exit)
			}
			s := th.Stats()
			if s.FreesRejected != 1 || s.Calls["minemu:free_any"] != 1 || s.HostHeapLiveBytes != 0 {
				t.Fatalf("stats %+v, want one rejected free_any", s)
			}
		})
	}
}
