package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestBlockCacheModel runs random sequences of "write a small function",
// "call a function", "invalidate a range" and "store into code" against a
// model that knows what each function must return, and recounts the cache
// (checkCache) after every step. A stale block shows up as a wrong result.
func TestBlockCacheModel(t *testing.T) { blockCacheModel(t, 0) }

// blockCacheModel is TestBlockCacheModel with the block cache's budget
// set to budget (0: the default).
func blockCacheModel(t *testing.T, budget uint64) {
	e := newEnv(t, mm.Mode64)
	if budget != 0 {
		e.m.budget = budget
	}
	const slots = 24
	const slotSize = 0x300 // functions straddle page boundaries
	model := map[int]uint32{}
	rng := rand.New(rand.NewPCG(7, 9))
	write := func(slot int, v uint32) {
		// mov eax, v; nop * k; ret  (k varies the length)
		code := []byte{0xb8, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
		for k := rng.IntN(40); k > 0; k-- {
			code = append(code, 0x90)
		}
		code = append(code, 0xc3)
		copy(guestBytes(e.base+uint64(slot*slotSize), uint64(len(code))), code)
		r, _ := mm.NewRange(mm.Addr(e.base+uint64(slot*slotSize)), uint64(len(code)))
		e.m.Invalidate(r)
		model[slot] = v
	}
	for step := 0; step < 3000; step++ {
		slot := rng.IntN(slots)
		switch k := rng.IntN(10); {
		case k < 3:
			write(slot, rng.Uint32())
		case k < 8:
			if _, ok := model[slot]; !ok {
				write(slot, rng.Uint32())
			}
			got, err := e.m.CallGuest(e.c, e.base+uint64(slot*slotSize))
			if err != nil {
				t.Fatalf("step %d: call slot %d: %v", step, slot, err)
			}
			if uint32(got) != model[slot] {
				t.Fatalf("step %d: slot %d returned %#x, want %#x", step, slot, got, model[slot])
			}
		case k < 9:
			start := e.base + uint64(rng.IntN(slots*slotSize))
			r, _ := mm.NewRange(mm.Addr(start), uint64(rng.IntN(0x2000)+1))
			e.m.Invalidate(r)
		default:
			// The guest patches a function's immediate with a store.
			v := rng.Uint32()
			patch := []byte{0xc7, 0x00, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), 0xcc} // mov dword [rax], v; int3
			at := e.base + uint64(slots*slotSize) + 0x100
			copy(guestBytes(at, uint64(len(patch))), patch)
			r, _ := mm.NewRange(mm.Addr(at), uint64(len(patch)))
			e.m.Invalidate(r)
			if _, ok := model[slot]; !ok {
				write(slot, 0)
			}
			e.c.RIP = at
			e.c.Regs[cpu.RAX] = e.base + uint64(slot*slotSize) + 1
			e.runTrap()
			model[slot] = v
		}
		if err := e.m.Check(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
	}
	if st := e.m.Stats(); st.Invalidations == 0 || st.BlocksDecoded < 100 || budget != 0 && st.BlocksEvicted < 100 {
		t.Fatalf("sequence too tame: %+v", st)
	}
}

// writerKernel is a Kernel that, like read(2), writes guest memory itself:
// on any system call it stores the bytes of `mov eax, 2` at cpu.RSI.
type writerKernel struct{ hook func(mm.AddrRange) }

func (k *writerKernel) SetGuestWriteHook(f func(mm.AddrRange)) { k.hook = f }

func (k *writerKernel) Syscall(c *cpu.CPU, abi cpu.ABI) *cpu.Exit {
	code := []byte{0xb8, 2, 0, 0, 0}
	copy(guestBytes(c.Regs[cpu.RSI], uint64(len(code))), code)
	r, _ := mm.NewRange(mm.Addr(c.Regs[cpu.RSI]), uint64(len(code)))
	k.hook(r)
	return nil
}

// TestKernelWriteInvalidates: code that a system call overwrites is
// decoded again.
func TestKernelWriteInvalidates(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	k := &writerKernel{}
	e.m, _ = newMachine(Config{Mode: mm.Mode64, Kernel: k})
	fn := e.base + 0x100
	e.write(fn, []byte{0xb8, 1, 0, 0, 0, 0xc3}) // mov eax, 1; ret
	// call fn; mov ebx, eax; syscall (rewrites fn); call fn; int3
	e.load([]byte{0xe8, 0xfb, 0x00, 0x00, 0x00, 0x89, 0xc3, 0x0f, 0x05, 0xe8, 0xf2, 0x00, 0x00, 0x00, 0xcc})
	e.c.Regs[cpu.RSI] = fn
	e.runTrap()
	if e.c.Regs[cpu.RBX] != 1 || e.c.Regs[cpu.RAX] != 2 {
		t.Fatalf("ebx %d eax %d, want 1 then 2", e.c.Regs[cpu.RBX], e.c.Regs[cpu.RAX])
	}
}
