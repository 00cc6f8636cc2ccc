package engine

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// The x87 state differential: a snippet starts from fninit, a random
// control word (every rounding and precision control, exceptions masked
// or, for the cases that ask, unmasked) and a stack of 0 to 8 random
// values, runs the instruction under test on the host FPU and in the
// interpreter, and stores the whole x87 state with fxsave. The test
// compares the state (FCW, FSW with TOP, the abridged tag word, the eight
// registers), the memory the instruction wrote, the general registers
// and the status flags.

// Scratch layout of the x87 state snippets (offsets from cpu.RBX).
const (
	xsValues = 0x000 // 8 80-bit values, 10 bytes each: the initial stack, deepest first
	xsMem    = 0x060 // memory operands (160 bytes)
	xsFCW    = 0x1fe // the control word loaded before the instruction
	xsFx     = 0x200 // the fxsave image after it
	xsSize   = 0x400
)

// x87StateCase is one instruction under the state differential.
type x87StateCase struct {
	name string
	op   []byte
	// depth is the stack depth before op (-1: random, 0 to 8).
	depth int
	// mem fills the memory operands (nil: random bytes): b is the scratch
	// from xsMem, or from 0 with memAll (after the initial stack values
	// are drawn, which it may overwrite: they are loaded first).
	mem    func(rng *rand.Rand, b []byte)
	memAll bool
	// ulp allows the results to differ from the host's by one unit in
	// the last place (the transcendentals), and C1 with them.
	ulp bool
	// ignore lists scratch ranges [from, to) not compared: the last
	// instruction and operand pointers of a stored environment.
	ignore [][2]int
	// unmask runs some iterations with exceptions unmasked.
	unmask bool
}

// rand80x is a random 80-bit operand: specials, denormals, the ends of
// the exponent range and, mostly, values of moderate magnitude.
func rand80x(rng *rand.Rand) f80 {
	sign := uint16(rng.IntN(2)) << 15
	switch rng.IntN(12) {
	case 0:
		return f80{SE: sign}
	case 1:
		return f80{Mant: 1 << 63, SE: 0x7fff | sign}
	case 2:
		return f80{Mant: 1<<63 | 1<<62 | rng.Uint64()>>3, SE: 0x7fff | sign} // QNaN
	case 3:
		return f80{Mant: 1<<63 | rng.Uint64()>>2 | 1, SE: 0x7fff | sign} // SNaN
	case 4:
		return f80FromFloat64(float64(rng.IntN(2001) - 1000))
	case 5:
		return f80{Mant: rng.Uint64() >> rng.IntN(64), SE: uint16(rng.IntN(2)) | sign} // denormal
	case 6:
		return f80{Mant: 1<<63 | rng.Uint64(), SE: uint16([]int{1 + rng.IntN(64), 0x7ffe - rng.IntN(64)}[rng.IntN(2)]) | sign}
	case 7: // |x| < 1 (f2xm1, fyl2xp1)
		return f80{Mant: 1<<63 | rng.Uint64(), SE: uint16(0x3fff-1-rng.IntN(70)) | sign}
	case 8: // huge arguments of the trigonometric functions
		return f80{Mant: 1<<63 | rng.Uint64(), SE: uint16(0x3fff+50+rng.IntN(20)) | sign}
	}
	return f80{Mant: 1<<63 | rng.Uint64(), SE: uint16(0x3fff+rng.IntN(41)-20) | sign}
}

// x87StateRun runs the cases in both modes (regs64 cases only in Mode64).
func x87StateRun(t *testing.T, cases []x87StateCase, iters int, mode32 bool) {
	state, code := nativeBuffers(t)
	scratch := state + nsScratch
	rng := rand.New(rand.NewPCG(10, 87))
	modes := []mm.Mode{mm.Mode64}
	if mode32 {
		modes = append(modes, mm.Mode32)
	}
	for _, mode := range modes {
		e := newEnv(t, mode)
		for _, tc := range cases {
			for it := 0; it < iters; it++ {
				depth := tc.depth
				if depth < 0 {
					depth = rng.IntN(9)
				}
				// All eight registers are loaded and emptied first, so that
				// the empty ones hold the same values on both sides.
				prog := []byte{0xdb, 0xe3} // fninit
				for j := 7; j >= 0; j-- {
					prog = append(prog, 0xdb, 0x6b, byte(10*j))
				}
				prog = append(prog, 0xdb, 0xe3, 0xd9, 0xab, 0xfe, 0x01, 0x00, 0x00) // fninit; fldcw [rbx+0x1fe]
				for j := 0; j < depth; j++ {
					prog = append(prog, 0xdb, 0x6b, byte(10*j)) // fld tword [rbx+10j]
				}
				prog = seq(prog, tc.op, []byte{0x0f, 0xae, 0x83, 0x00, 0x02, 0x00, 0x00, // fxsave [rbx+0x200]
					0xdb, 0xe3}) // fninit (which leaves the MMX state too)
				h := harness(prog)
				copy(guestBytes(code, uint64(len(h))), h)
				e.load(seq(prog, []byte{0xcc}))

				mem := make([]byte, xsSize)
				for i := range mem[:xsFx] {
					mem[i] = byte(rng.Uint32())
				}
				for j := 0; j < 8; j++ {
					v := rand80x(rng)
					binary.LittleEndian.PutUint64(mem[10*j:], v.Mant)
					binary.LittleEndian.PutUint16(mem[10*j+8:], v.SE)
				}
				switch {
				case tc.mem != nil && tc.memAll:
					tc.mem(rng, mem[:xsFCW])
				case tc.mem != nil:
					tc.mem(rng, mem[xsMem:xsFCW])
				}
				masks := uint16(0x3f)
				if tc.unmask && rng.IntN(3) == 0 {
					masks = uint16(rng.IntN(64))
				}
				fcw := masks | 0x40 | uint16([]int{0, 2, 3, 3}[rng.IntN(4)])<<8 | uint16(rng.IntN(4))<<10
				binary.LittleEndian.PutUint16(mem[xsFCW:], fcw)

				var regs [16]uint64
				for r := range regs {
					regs[r] = rng.Uint64()
					if mode == mm.Mode32 {
						regs[r] &= 0xffffffff
					}
				}
				regs[cpu.RBX] = scratch
				regs[cpu.RSP] = 0
				flags := cpu.FlagR1 | cpu.FlagIF | rng.Uint64()&cpu.StatusFlags
				st := guestBytes(state, nsSize)
				for r := 0; r < 16; r++ {
					copy(st[8*r:], le64(regs[r]))
				}
				copy(st[nsFlags:], le64(flags))
				copy(st[nsScratch:], mem)
				copy(st[nsMxcsr:], le64(0x1f80)[:4])
				copy(st[nsMxcsrGo:], le64(0x1f80)[:4])
				nativeCall(uintptr(code), uintptr(state))
				var want [16]uint64
				for r := range want {
					want[r] = load64(state + uint64(8*r))
				}
				wantFlags := load64(state + nsFlags)
				wantMem := append([]byte(nil), st[nsScratch:nsScratch+xsSize]...)

				copy(st[nsScratch:], mem)
				e.c.Regs = regs
				e.c.Regs[cpu.RSP] = e.base + envSize - 64
				e.c.SetRFLAGS(flags)
				e.c.RIP = e.base
				if ex := e.m.Run(e.c); ex.Signal != unix.SIGTRAP {
					t.Fatalf("mode %v %s: %+v", mode, tc.name, ex)
				}
				got := e.c.Regs
				got[cpu.RSP], want[cpu.RSP] = 0, 0
				gotMem := append([]byte(nil), guestBytes(scratch, xsSize)...)
				if msg := x87StateDiff(tc, gotMem, wantMem); msg != "" || got != want ||
					e.c.RFLAGS()&cpu.StatusFlags != wantFlags&cpu.StatusFlags {
					t.Fatalf("mode %v %s depth %d fcw %#04x stack % x mem % x:\n%s\n got regs %#x flags %#x\nwant regs %#x flags %#x",
						mode, tc.name, depth, fcw, mem[:80], mem[xsMem:xsMem+32], msg, got, e.c.RFLAGS()&cpu.StatusFlags, want, wantFlags&cpu.StatusFlags)
				}
			}
		}
	}
}

// x87StateDiff compares the scratch memory and fxsave state of a run;
// it returns the difference, or "".
func x87StateDiff(tc x87StateCase, got, want []byte) string {
	for _, r := range tc.ignore {
		copy(got[r[0]:r[1]], want[r[0]:r[1]])
	}
	fx := func(b []byte) []byte { return b[xsFx : xsFx+160] }
	g, w := fx(got), fx(want)
	if tc.ulp {
		// C1 may differ with the last bit; registers by one ulp.
		gs, ws := binary.LittleEndian.Uint16(g[2:]), binary.LittleEndian.Uint16(w[2:])
		if gs&^cpu.FSWC1 != ws&^cpu.FSWC1 {
			return diffHex("fsw", g[2:4], w[2:4])
		}
		for i := 0; i < 8; i++ {
			gm, wm := binary.LittleEndian.Uint64(g[32+16*i:]), binary.LittleEndian.Uint64(w[32+16*i:])
			ge, we := binary.LittleEndian.Uint16(g[40+16*i:]), binary.LittleEndian.Uint16(w[40+16*i:])
			d := int64(gm - wm)
			if ge != we || d > 1 || d < -1 {
				return diffHex("st", g[32+16*i:42+16*i], w[32+16*i:42+16*i])
			}
		}
		copy(g[2:4], w[2:4])
		copy(g[32:], w[32:160])
	}
	if string(g[:6]) != string(w[:6]) {
		return diffHex("fcw fsw ftw", g[:6], w[:6])
	}
	if string(g[32:]) != string(w[32:]) {
		return diffHex("registers (stack order)", g[32:], w[32:])
	}
	if string(got[:xsFx]) != string(want[:xsFx]) {
		for i := 0; i < xsFx; i++ {
			if got[i] != want[i] {
				lo := i &^ 15
				return diffHex(fmt.Sprintf("memory from +%#x", lo), got[lo:lo+32], want[lo:lo+32])
			}
		}
	}
	return ""
}

func diffHex(what string, got, want []byte) string {
	return fmt.Sprintf("%s:\n got % x\nwant % x", what, got, want)
}

// bcdMem fills a packed decimal operand at the start of b: random digits,
// sometimes invalid ones, either sign.
func bcdMem(rng *rand.Rand, b []byte) {
	for i := 0; i < 9; i++ {
		if rng.IntN(20) == 0 {
			b[i] = byte(rng.Uint32())
		} else {
			b[i] = byte(rng.IntN(10) | rng.IntN(10)<<4)
		}
	}
	b[9] = byte(rng.IntN(2)) << 7
}

// floatMem fills the start of b with a float32 and a float64 (at +8) that
// are often special: signalling and quiet NaNs, infinities, denormals.
func floatMem(rng *rand.Rand, b []byte) {
	f32 := []uint32{0x7f800001 | rng.Uint32()&0x3fffff, 0xffc00000 | rng.Uint32()&0x3fffff, 0x7f800000, 1 + rng.Uint32()&0x7fffff, rng.Uint32()}
	f64 := []uint64{0x7ff0000000000001 | rng.Uint64()&(1<<51-1), 0xfff8000000000000, 0xfff0000000000000, 1 + rng.Uint64()&(1<<52-1), rng.Uint64()}
	binary.LittleEndian.PutUint32(b, f32[rng.IntN(len(f32))])
	binary.LittleEndian.PutUint64(b[8:], f64[rng.IntN(len(f64))])
}

// TestDifferentialX87State covers every x87 instruction the arithmetic
// test does not, with the stack at every depth: overflow and underflow
// with their masked responses (the indefinite) and, unmasked, the state
// left unchanged.
func TestDifferentialX87State(t *testing.T) {
	envIgnore := [][2]int{{xsMem + 12, xsMem + 26}}  // 28-byte environment: FIP, FCS, FOP, FDP, FDS
	env16Ignore := [][2]int{{xsMem + 6, xsMem + 14}} // 14-byte environment
	envMem := func(rng *rand.Rand, b []byte) {
		// An environment and registers to load: a control word with
		// random masks, a status word with random flags and TOP, a tag
		// word with random empties.
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		binary.LittleEndian.PutUint16(b[0:], uint16(rng.Uint32())&0x1f3f|0x40)
		binary.LittleEndian.PutUint16(b[4:], uint16(rng.Uint32())&^(1<<7|1<<15))
		for i := 0; i < 8; i++ {
			v := rand80x(rng)
			binary.LittleEndian.PutUint64(b[28+10*i:], v.Mant)
			binary.LittleEndian.PutUint16(b[36+10*i:], v.SE)
		}
	}
	env16Mem := func(rng *rand.Rand, b []byte) {
		envMem(rng, b)
		copy(b[2:], b[4:6])
		copy(b[4:], b[8:10])
		copy(b[14:], b[28:108])
	}
	cases := []x87StateCase{
		{name: "fld-st3", op: []byte{0xd9, 0xc3}, depth: -1, unmask: true},
		{name: "fld1", op: []byte{0xd9, 0xe8}, depth: -1, unmask: true},
		{name: "fild-m32", op: []byte{0xdb, 0x43, xsMem}, depth: -1},
		{name: "fld-m32", op: []byte{0xd9, 0x43, xsMem}, depth: -1, mem: floatMem, unmask: true},
		{name: "fld-m64", op: []byte{0xdd, 0x43, xsMem}, depth: -1, mem: floatMem, unmask: true},
		{name: "fadd-m32", op: []byte{0xd8, 0x43, xsMem}, depth: -1, mem: floatMem, unmask: true},
		{name: "fisttp-m32", op: []byte{0xdb, 0x4b, xsMem}, depth: -1, unmask: true},
		{name: "fst-m32", op: []byte{0xd9, 0x53, xsMem}, depth: -1, unmask: true},
		{name: "fsubrp-st3", op: []byte{0xde, 0xe3}, depth: -1, unmask: true},
		{name: "fidiv-m16", op: []byte{0xde, 0x73, xsMem}, depth: -1, unmask: true},
		{name: "fld-m80", op: []byte{0xdb, 0x6b, xsMem}, depth: -1},
		{name: "fstp-st3", op: []byte{0xdd, 0xdb}, depth: -1, unmask: true},
		{name: "fst-m64", op: []byte{0xdd, 0x53, xsMem}, depth: -1, unmask: true},
		{name: "fstp-m80", op: []byte{0xdb, 0x7b, xsMem}, depth: -1},
		{name: "fistp-m16", op: []byte{0xdf, 0x5b, xsMem}, depth: -1, unmask: true},
		{name: "faddp", op: []byte{0xde, 0xc1}, depth: -1, unmask: true},
		{name: "fmul-st2", op: []byte{0xd8, 0xca}, depth: -1, unmask: true},
		{name: "fdiv-m64", op: []byte{0xdc, 0x73, xsMem}, depth: -1, unmask: true},
		{name: "fxch-st2", op: []byte{0xd9, 0xca}, depth: -1, unmask: true},
		{name: "fsqrt", op: []byte{0xd9, 0xfa}, depth: -1, unmask: true},
		{name: "fchs", op: []byte{0xd9, 0xe0}, depth: -1},
		{name: "fcomp", op: []byte{0xd8, 0xd9}, depth: -1, unmask: true},
		{name: "fucompp", op: []byte{0xda, 0xe9}, depth: -1, unmask: true},
		{name: "ficom-m16", op: []byte{0xde, 0x53, xsMem}, depth: -1},
		{name: "ficomp-m32", op: []byte{0xda, 0x5b, xsMem}, depth: -1},
		{name: "ftst", op: []byte{0xd9, 0xe4}, depth: -1},
		{name: "fcomip", op: []byte{0xdf, 0xf1}, depth: -1, unmask: true},
		{name: "fxam", op: []byte{0xd9, 0xe5}, depth: -1},
		{name: "fsin", op: []byte{0xd9, 0xfe}, depth: -1, ulp: true, unmask: true},
		{name: "fcos", op: []byte{0xd9, 0xff}, depth: -1, ulp: true},
		{name: "fsincos", op: []byte{0xd9, 0xfb}, depth: -1, ulp: true, unmask: true},
		{name: "fptan", op: []byte{0xd9, 0xf2}, depth: -1, ulp: true, unmask: true},
		{name: "fpatan", op: []byte{0xd9, 0xf3}, depth: -1, ulp: true, unmask: true},
		{name: "f2xm1", op: []byte{0xd9, 0xf0}, depth: -1, ulp: true},
		{name: "fyl2x", op: []byte{0xd9, 0xf1}, depth: -1, ulp: true, unmask: true},
		{name: "fyl2xp1", op: []byte{0xd9, 0xf9}, depth: -1, ulp: true},
		{name: "fscale", op: []byte{0xd9, 0xfd}, depth: -1, unmask: true},
		{name: "fxtract", op: []byte{0xd9, 0xf4}, depth: -1, unmask: true},
		{name: "fprem", op: []byte{0xd9, 0xf8}, depth: -1, unmask: true},
		{name: "fprem1", op: []byte{0xd9, 0xf5}, depth: -1, unmask: true},
		{name: "frndint", op: []byte{0xd9, 0xfc}, depth: -1},
		{name: "fbld", op: []byte{0xdf, 0x63, xsMem}, depth: -1, mem: bcdMem, unmask: true},
		{name: "fbstp", op: []byte{0xdf, 0x73, xsMem}, depth: -1, unmask: true},
		{name: "fcmovb", op: []byte{0xda, 0xc1}, depth: -1, unmask: true},
		{name: "fcmove", op: []byte{0xda, 0xca}, depth: -1},
		{name: "fcmovbe", op: []byte{0xda, 0xd3}, depth: -1},
		{name: "fcmovu", op: []byte{0xda, 0xdc}, depth: -1},
		{name: "fcmovnb", op: []byte{0xdb, 0xc5}, depth: -1},
		{name: "fcmovne", op: []byte{0xdb, 0xce}, depth: -1},
		{name: "fcmovnbe", op: []byte{0xdb, 0xd7}, depth: -1},
		{name: "fcmovnu", op: []byte{0xdb, 0xd9}, depth: -1},
		{name: "ffree-st2", op: []byte{0xdd, 0xc2}, depth: -1},
		{name: "ffreep-st1", op: []byte{0xdf, 0xc1}, depth: -1},
		{name: "fincstp", op: []byte{0xd9, 0xf7}, depth: -1},
		{name: "fdecstp", op: []byte{0xd9, 0xf6}, depth: -1},
		{name: "fnop", op: []byte{0xd9, 0xd0}, depth: -1},
		{name: "fnstenv", op: []byte{0xd9, 0x73, xsMem}, depth: -1, ignore: envIgnore, unmask: true},
		{name: "fnstenv16", op: []byte{0x66, 0xd9, 0x73, xsMem}, depth: -1, ignore: env16Ignore},
		{name: "fldenv", op: []byte{0xd9, 0x63, xsMem}, depth: -1, mem: envMem},
		{name: "fldenv16", op: []byte{0x66, 0xd9, 0x63, xsMem}, depth: -1, mem: env16Mem},
		{name: "fnsave", op: []byte{0xdd, 0x73, xsMem}, depth: -1, ignore: envIgnore, unmask: true},
		{name: "fnsave16", op: []byte{0x66, 0xdd, 0x73, xsMem}, depth: -1, ignore: env16Ignore},
		{name: "frstor", op: []byte{0xdd, 0x63, xsMem}, depth: -1, mem: envMem},
		{name: "frstor16", op: []byte{0x66, 0xdd, 0x63, xsMem}, depth: -1, mem: env16Mem},
		{name: "fcom-fnclex", op: []byte{0xd8, 0xd1, 0xdb, 0xe2}, depth: -1, unmask: true},
		{name: "fprem-fninit", op: []byte{0xd9, 0xf8, 0xdb, 0xe3}, depth: -1, unmask: true},
		{name: "fnstsw-fldcw", op: []byte{0xdf, 0xe0, 0xd9, 0x6b, xsMem, 0xd9, 0x7b, xsMem + 2}, depth: -1},
	}
	x87StateRun(t, cases, 300, true)
}

// TestX87PendingException: an unmasked exception is reported at the next
// waiting instruction, which does not run (RIP is its address), with the
// si_code Linux gives; the non-waiting instructions between run.
func TestX87PendingException(t *testing.T) {
	// Every program starts with fninit; fldcw [rbx] (the control word
	// below); fldz; fld1 and then raises with the instruction given.
	cases := []struct {
		name   string
		cw     uint16
		raise  []byte
		after  []byte // run before the waiting instruction
		wait   []byte // the instruction that reports it (nil: none does)
		code   string
		fswSet uint16 // flags expected in FSW at the fault
	}{
		{"fdiv-fwait", 0x37b, []byte{0xd8, 0xf1}, nil, []byte{0x9b}, "si_code 3", 0x8084},
		{"fdiv-fnstsw-fadd", 0x37b, []byte{0xd8, 0xf1}, []byte{0xdf, 0xe0, 0xd9, 0x3b, 0x90}, []byte{0xd8, 0xc1}, "si_code 3", 0x8084},
		{"fsqrt-neg-invalid", 0x37e, []byte{0xd9, 0xe0, 0xd9, 0xfa}, nil, []byte{0xd9, 0xc9}, "si_code 7", 0x8081},
		{"stack-overflow", 0x37e, []byte{0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8}, nil, []byte{0xd9, 0xd0}, "si_code 7", 0x80c1},
		{"fldcw-unmasks-pe", 0x37f, []byte{0xd9, 0xeb, 0xd8, 0xf9, 0x66, 0xc7, 0x03, 0x5f, 0x03, 0xd9, 0x2b}, nil, []byte{0x9b}, "si_code 6", 0x80a0},
		{"fnclex-clears", 0x37b, []byte{0xd8, 0xf1, 0xdb, 0xe2}, nil, nil, "", 0},
		{"fnstenv-masks", 0x37b, []byte{0xd8, 0xf1, 0xd9, 0x73, 0x10}, []byte{0x9b, 0xd9, 0xe8}, nil, "", 0},
		{"fnsave-reinit", 0x37b, []byte{0xd8, 0xf1, 0xdd, 0x73, 0x10}, []byte{0x9b, 0xd9, 0xe8}, nil, "", 0},
		{"frstor-pending", 0x37b, []byte{0xd8, 0xf1, 0xdd, 0x73, 0x10, 0xdd, 0x63, 0x10}, nil, []byte{0xd9, 0xe8}, "si_code 3", 0x8084},
		{"emms-waits", 0x37b, []byte{0xd8, 0xf1}, nil, []byte{0x0f, 0x77}, "si_code 3", 0x8084},
		{"paddb-waits", 0x37b, []byte{0xd8, 0xf1}, []byte{0x0f, 0x2a, 0x03}, []byte{0x0f, 0xfc, 0xc1}, "si_code 3", 0x8084},
	}
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		for _, tc := range cases {
			e := newEnv(t, mode)
			data := e.base + dataOff
			pre := []byte{0xdb, 0xe3, 0xd9, 0x2b, 0xd9, 0xee, 0xd9, 0xe8} // fninit; fldcw [rbx]; fldz; fld1
			prog := seq(pre, tc.raise, tc.after)
			at := uint64(len(prog))
			prog = seq(prog, tc.wait, []byte{0xcc})
			e.load(prog)
			binary.LittleEndian.PutUint16(guestBytes(data, 2), tc.cw)
			e.c.Regs[cpu.RBX] = data
			e.c.Regs[cpu.RSP] = e.base + envSize - 64
			ex := e.m.Run(e.c)
			if tc.wait == nil {
				if ex.Signal != unix.SIGTRAP {
					t.Fatalf("mode %v %s: got %+v, want the int3", mode, tc.name, ex)
				}
				continue
			}
			if ex.Signal != unix.SIGFPE || !strings.Contains(ex.Detail, tc.code) {
				t.Fatalf("mode %v %s: got %+v, want SIGFPE with %s", mode, tc.name, ex, tc.code)
			}
			if e.c.RIP != e.base+at {
				t.Fatalf("mode %v %s: got rip %#x, want %#x (the waiting instruction)", mode, tc.name, e.c.RIP-e.base, at)
			}
			if e.c.FSW&tc.fswSet != tc.fswSet {
				t.Fatalf("mode %v %s: got fsw %#x, want %#x set", mode, tc.name, e.c.FSW, tc.fswSet)
			}
		}
	}
}

// BenchmarkInterpX87 runs a loop of fadd, fmul, fdiv and fsqrt (register
// operands) in the interpreter; ns/x87op is the time of one of them with
// its share of the loop's dec and jnz, allocs/op must be 0.
func BenchmarkInterpX87(b *testing.B) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		b.Run(fmt.Sprint(mode), func(b *testing.B) {
			e := newEnv(b, mode)
			e.load([]byte{0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xe8, // fninit; fld1; fld1
				0xd8, 0xc1, 0xd8, 0xc9, 0xd8, 0xf1, 0xd9, 0xfa, // loop: fadd st, st1; fmul st, st1; fdiv st, st1; fsqrt
				0xff, 0xc9, 0x75, 0xf4, 0xcc}) // dec ecx; jnz loop; int3
			run := func(n int) {
				e.reset()
				e.c.Regs[cpu.RCX] = uint64(n)
				e.runTrap()
			}
			run(10) // decode the blocks
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			run(b.N)
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(4*b.N), "ns/x87op")
		})
	}
}

// TestDifferentialX87Sequences runs random sequences of x87 and MMX
// instructions (exceptions masked: an unmasked one would trap on the
// host) from random stacks, so that what one instruction leaves (TOP,
// tags, C0-C3, sticky flags, the MMX state) is what the next one reads.
func TestDifferentialX87Sequences(t *testing.T) {
	// Memory operands: an environment or state image at +0 (over the
	// initial stack values, which the prelude has read) and the other
	// operands at +0x6e..+0x7f (a disp8 is at most 0x7f). Only the 28-byte
	// environment: a 14-byte one read back as 28 bytes would load the
	// host's instruction pointer as the tag word.
	pool := [][]byte{
		{0xd9, 0xe8}, {0xd9, 0xee}, {0xd9, 0xeb}, {0xd9, 0xc2}, {0xdd, 0xd9}, {0xde, 0xc1}, {0xd8, 0xca}, {0xde, 0xf9},
		{0xd9, 0xfa}, {0xd9, 0xfc}, {0xd9, 0xe0}, {0xd9, 0xe1}, {0xd9, 0xc9}, {0xd8, 0xd1}, {0xde, 0xd9}, {0xdf, 0xe9},
		{0xd9, 0xe4}, {0xd9, 0xe5}, {0xd9, 0xf8}, {0xd9, 0xf5}, {0xd9, 0xfd}, {0xd9, 0xf4}, {0xda, 0xc1}, {0xdb, 0xd2},
		{0xdd, 0xc3}, {0xdf, 0xc1}, {0xd9, 0xf7}, {0xd9, 0xf6}, {0xdb, 0xe2}, {0xdf, 0xe0}, {0x9b},
		{0xdb, 0x43, 0x70}, {0xdd, 0x43, 0x74}, {0xdf, 0x5b, 0x7c}, {0xdb, 0x7b, 0x6e}, {0xdf, 0x73, 0x76},
		{0xd9, 0x33}, {0xd9, 0x23}, {0xdd, 0x33}, {0xdd, 0x23}, // fnstenv, fldenv, fnsave, frstor [rbx]
		{0x0f, 0xfc, 0xc1}, {0x0f, 0x6f, 0xd0}, {0x0f, 0x7e, 0xc0}, {0x0f, 0x77}, {0x0f, 0xef, 0xdb},
		{0xd8, 0xda}, {0xdd, 0xe1}, {0xda, 0xe9}, {0xde, 0x53, 0x7c}, {0xd9, 0x43, 0x70}, {0xd9, 0x53, 0x78}, {0xdb, 0xca},
		{0xdb, 0xdb}, {0xda, 0xd1}, {0xdf, 0xf2}, {0xdd, 0xe2}, {0xdc, 0xe9}, {0xdc, 0x4b, 0x74}, {0xde, 0x7b, 0x7c},
		{0xdb, 0xe3}, {0xd9, 0xc8},
	}
	// The image at +0 has every exception masked, as has every control
	// word fnstenv and fnsave store here, so that no exception is ever
	// pending: the host would trap.
	image := func(rng *rand.Rand, b []byte) {
		binary.LittleEndian.PutUint16(b[0:], uint16(0x7f|rng.IntN(16)<<8))
		for i := 0; i < 8; i++ {
			v := rand80x(rng)
			binary.LittleEndian.PutUint64(b[28+10*i:], v.Mant)
			binary.LittleEndian.PutUint16(b[36+10*i:], v.SE)
		}
	}
	rng := rand.New(rand.NewPCG(3, 87))
	var cases []x87StateCase
	for n := 0; n < 1500; n++ {
		var op []byte
		for k := 0; k < 2+rng.IntN(6); k++ {
			op = append(op, pool[rng.IntN(len(pool))]...)
		}
		cases = append(cases, x87StateCase{name: fmt.Sprintf("seq-% x", op), op: op, depth: -1, mem: image, memAll: true,
			ignore: [][2]int{{12, 26}}}) // a stored environment's pointers
	}
	x87StateRun(t, cases, 4, true)
}
