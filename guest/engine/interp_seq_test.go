package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestDifferentialSequences runs random straight-line sequences of
// flag-producing and flag-consuming instructions on the host CPU and in
// the interpreter and compares registers and CF, PF, ZF, SF, OF. It checks
// the lazy-flag machinery across instruction boundaries: inc/dec keeping
// CF, adc/sbb consuming it, setcc/cmovcc reading every condition after
// every kind of producer, partial register writes.
func TestDifferentialSequences(t *testing.T) {
	// Register operands are cpu.RAX, cpu.RCX, cpu.RDX, cpu.RBX, cpu.RSI, cpu.RDI (never cpu.RSP/cpu.RBP).
	// Every entry has only defined flags for the five compared ones.
	type gen func(r *rand.Rand) []byte
	modrm := func(r *rand.Rand) byte {
		regs := []byte{0, 1, 2, 3, 6, 7}
		return 0xc0 | regs[r.IntN(6)]<<3 | regs[r.IntN(6)]
	}
	reg := func(r *rand.Rand) byte { return []byte{0, 1, 2, 3, 6, 7}[r.IntN(6)] }
	prefix := func(r *rand.Rand, long bool) []byte {
		switch r.IntN(4) {
		case 0:
			return []byte{0x66}
		case 1:
			if long {
				return []byte{0x48}
			}
		}
		return nil
	}
	gens := func(long bool) []gen {
		return []gen{
			func(r *rand.Rand) []byte { // add/or/adc/sbb/and/sub/xor/cmp r/m, r (not logic: AF masked anyway)
				return seq(prefix(r, long), []byte{byte(r.IntN(8))<<3 | 1, modrm(r)})
			},
			func(r *rand.Rand) []byte { // byte forms, including AH..BH
				return []byte{byte(r.IntN(8)) << 3, 0xc0 | byte(r.IntN(8))<<3 | byte(r.IntN(8))}
			},
			func(r *rand.Rand) []byte { // op r/m, imm8
				return seq(prefix(r, long), []byte{0x83, 0xc0 | byte(r.IntN(8))<<3 | reg(r), byte(r.Uint32())})
			},
			func(r *rand.Rand) []byte { // inc/dec/neg/not
				ops := [][2]byte{{0xff, 0xc0}, {0xff, 0xc8}, {0xf7, 0xd8}, {0xf7, 0xd0}}
				o := ops[r.IntN(4)]
				return seq(prefix(r, long), []byte{o[0], o[1] | reg(r)})
			},
			func(r *rand.Rand) []byte { // shifts and rotates by 1 (all compared flags defined)
				n := []byte{0, 1, 2, 3, 4, 5, 7}[r.IntN(7)]
				return seq(prefix(r, long), []byte{0xd1, 0xc0 | n<<3 | reg(r)})
			},
			func(r *rand.Rand) []byte { // setcc r8
				return []byte{0x0f, 0x90 | byte(r.IntN(16)), 0xc0 | byte(r.IntN(8))}
			},
			func(r *rand.Rand) []byte { // cmovcc r32/r64
				return seq(prefix(r, long), []byte{0x0f, 0x40 | byte(r.IntN(16)), modrm(r)})
			},
			func(r *rand.Rand) []byte { // test r/m, r
				return seq(prefix(r, long), []byte{0x85, modrm(r)})
			},
			func(r *rand.Rand) []byte { // stc/clc/cmc
				return []byte{[]byte{0xf8, 0xf9, 0xf5}[r.IntN(3)]}
			},
			func(r *rand.Rand) []byte { // mov r, imm32 (breaks dependency chains)
				return []byte{0xb8 | reg(r), byte(r.Uint32()), byte(r.Uint32()), 0, 0x80}
			},
		}
	}
	state, code := nativeBuffers(t)
	const cmpFlags = cpu.FlagCF | cpu.FlagPF | cpu.FlagZF | cpu.FlagSF | cpu.FlagOF
	rng := rand.New(rand.NewPCG(3, 4))
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		e := newEnv(t, mode)
		g := gens(mode == mm.Mode64)
		for n := 0; n < 3000; n++ {
			var prog []byte
			for k := 4 + rng.IntN(12); k > 0; k-- {
				prog = append(prog, g[rng.IntN(len(g))](rng)...)
			}
			h := harness(prog)
			copy(guestBytes(code, uint64(len(h))), h)
			e.load(seq(prog, []byte{0xcc}))
			var regs [16]uint64
			for r := range regs {
				regs[r] = randValue(rng)
				if mode == mm.Mode32 {
					regs[r] &= 0xffffffff
				}
			}
			regs[cpu.RSP] = 0
			flags := cpu.FlagR1 | cpu.FlagIF | rng.Uint64()&cpu.StatusFlags
			st := guestBytes(state, nsSize)
			for r := 0; r < 16; r++ {
				copy(st[8*r:], le64(regs[r]))
			}
			copy(st[nsFlags:], le64(flags))
			copy(st[nsMxcsr:], le64(0x1f80)[:4])
			copy(st[nsMxcsrGo:], le64(0x1f80)[:4])
			nativeCall(uintptr(code), uintptr(state))
			var want [16]uint64
			for r := range want {
				want[r] = load64(state + uint64(8*r))
			}
			wantFlags := load64(state + nsFlags)
			e.c.Regs = regs
			e.c.Regs[cpu.RSP] = e.base + envSize - 64
			e.c.SetRFLAGS(flags)
			e.c.RIP = e.base
			if ex := e.m.Run(e.c); ex.Signal != unix.SIGTRAP {
				t.Fatalf("% x: %+v", prog, ex)
			}
			got := e.c.Regs
			got[cpu.RSP], want[cpu.RSP] = 0, 0
			if gotFlags := e.c.RFLAGS(); got != want || gotFlags&cmpFlags != wantFlags&cmpFlags {
				t.Fatalf("mode %v, % x from regs %#x flags %#x:\n got %#x flags %#x\nwant %#x flags %#x",
					mode, prog, regs, flags, got, gotFlags, want, wantFlags)
			}
		}
		t.Logf("mode %v: %s", mode, fmt.Sprint(e.m.Stats()))
	}
}
