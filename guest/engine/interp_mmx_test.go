package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// The MMX differential: mm0-mm7 are loaded from random values (some of
// them small, to be shift counts; some float pairs, for the conversions),
// the instruction runs on the host CPU and in the interpreter, and the
// x87 state (fxsave: FCW, FSW with TOP, the abridged tags, the registers
// with their exponent bits), the memory, the general registers, xmm0 and
// xmm1, MXCSR and the status flags must agree.

type mmxCase struct {
	name   string
	op     []byte
	regs64 bool // exists only in 64-bit mode (REX.W)
}

// Scratch layout of the MMX snippets (offsets from cpu.RBX).
const (
	mxRegs = 0x00  // mm0-mm7 initial values
	mxMem  = 0x40  // the memory operand (16 bytes; maskmovq's [rdi])
	mxFx   = 0x200 // the fxsave image after the instruction
	mxSize = 0x400
)

func mmxCases() []mmxCase {
	var cs []mmxCase
	two := func(name string, opc ...byte) {
		cs = append(cs, mmxCase{name: name, op: append(append([]byte{}, opc...), 0xc1)},
			mmxCase{name: name + "-m64", op: append(append([]byte{}, opc...), 0x43, mxMem)})
	}
	for _, o := range []struct {
		name string
		opc  byte
	}{
		{"punpcklbw", 0x60}, {"punpcklwd", 0x61}, {"punpckldq", 0x62}, {"packsswb", 0x63}, {"pcmpgtb", 0x64},
		{"pcmpgtw", 0x65}, {"pcmpgtd", 0x66}, {"packuswb", 0x67}, {"punpckhbw", 0x68}, {"punpckhwd", 0x69},
		{"punpckhdq", 0x6a}, {"packssdw", 0x6b}, {"movq", 0x6f}, {"pcmpeqb", 0x74}, {"pcmpeqw", 0x75}, {"pcmpeqd", 0x76},
		{"psrlw", 0xd1}, {"psrld", 0xd2}, {"psrlq", 0xd3}, {"paddq", 0xd4}, {"pmullw", 0xd5}, {"psubusb", 0xd8},
		{"psubusw", 0xd9}, {"pminub", 0xda}, {"pand", 0xdb}, {"paddusb", 0xdc}, {"paddusw", 0xdd}, {"pmaxub", 0xde},
		{"pandn", 0xdf}, {"pavgb", 0xe0}, {"psraw", 0xe1}, {"psrad", 0xe2}, {"pavgw", 0xe3}, {"pmulhuw", 0xe4},
		{"pmulhw", 0xe5}, {"psubsb", 0xe8}, {"psubsw", 0xe9}, {"pminsw", 0xea}, {"por", 0xeb}, {"paddsb", 0xec},
		{"paddsw", 0xed}, {"pmaxsw", 0xee}, {"pxor", 0xef}, {"psllw", 0xf1}, {"pslld", 0xf2}, {"psllq", 0xf3},
		{"pmuludq", 0xf4}, {"pmaddwd", 0xf5}, {"psadbw", 0xf6}, {"psubb", 0xf8}, {"psubw", 0xf9}, {"psubd", 0xfa},
		{"psubq", 0xfb}, {"paddb", 0xfc}, {"paddw", 0xfd}, {"paddd", 0xfe},
	} {
		two(o.name, 0x0f, o.opc)
	}
	for _, o := range []struct {
		name string
		opc  byte
	}{
		{"pshufb", 0x00}, {"phaddw", 0x01}, {"phaddd", 0x02}, {"phaddsw", 0x03}, {"pmaddubsw", 0x04}, {"phsubw", 0x05},
		{"phsubd", 0x06}, {"phsubsw", 0x07}, {"psignb", 0x08}, {"psignw", 0x09}, {"psignd", 0x0a}, {"pmulhrsw", 0x0b},
		{"pabsb", 0x1c}, {"pabsw", 0x1d}, {"pabsd", 0x1e},
	} {
		two(o.name, 0x0f, 0x38, o.opc)
	}
	for _, imm := range []byte{0, 3, 8, 13, 16, 40} {
		cs = append(cs, mmxCase{name: fmt.Sprintf("palignr-%d", imm), op: []byte{0x0f, 0x3a, 0x0f, 0xc1, imm}},
			mmxCase{name: fmt.Sprintf("palignr-m64-%d", imm), op: []byte{0x0f, 0x3a, 0x0f, 0x43, mxMem, imm}})
	}
	for _, imm := range []byte{0x1b, 0xe4, 0x00, 0x9c} {
		cs = append(cs, mmxCase{name: fmt.Sprintf("pshufw-%#x", imm), op: []byte{0x0f, 0x70, 0xc1, imm}},
			mmxCase{name: fmt.Sprintf("pshufw-m64-%#x", imm), op: []byte{0x0f, 0x70, 0x43, mxMem, imm}})
	}
	for _, sh := range []struct {
		name     string
		opc, reg byte
	}{
		{"psrlw", 0x71, 2}, {"psraw", 0x71, 4}, {"psllw", 0x71, 6}, {"psrld", 0x72, 2}, {"psrad", 0x72, 4},
		{"pslld", 0x72, 6}, {"psrlq", 0x73, 2}, {"psllq", 0x73, 6},
	} {
		for _, imm := range []byte{0, 1, 7, 15, 16, 31, 33, 63, 64, 200} {
			cs = append(cs, mmxCase{name: fmt.Sprintf("%s-imm%d", sh.name, imm), op: []byte{0x0f, sh.opc, 0xc0 | sh.reg<<3 | 2, imm}})
		}
	}
	cs = append(cs,
		mmxCase{name: "movd-mm-eax", op: []byte{0x0f, 0x6e, 0xc0}},
		mmxCase{name: "movd-mm-m32", op: []byte{0x0f, 0x6e, 0x4b, mxMem}},
		mmxCase{name: "movd-eax-mm", op: []byte{0x0f, 0x7e, 0xc8}},
		mmxCase{name: "movd-m32-mm", op: []byte{0x0f, 0x7e, 0x4b, mxMem}},
		mmxCase{name: "movq-mm-rax", op: []byte{0x48, 0x0f, 0x6e, 0xc0}, regs64: true},
		mmxCase{name: "movq-rax-mm", op: []byte{0x48, 0x0f, 0x7e, 0xc8}, regs64: true},
		mmxCase{name: "movq-m64-mm", op: []byte{0x0f, 0x7f, 0x4b, mxMem}},
		mmxCase{name: "movq-mm-mm-store-form", op: []byte{0x0f, 0x7f, 0xca}},
		mmxCase{name: "movntq", op: []byte{0x0f, 0xe7, 0x53, mxMem}},
		mmxCase{name: "emms", op: []byte{0x0f, 0x77}},
		mmxCase{name: "pinsrw-eax-2", op: []byte{0x0f, 0xc4, 0xc0, 0x02}},
		mmxCase{name: "pinsrw-m16-7", op: []byte{0x0f, 0xc4, 0x43, mxMem, 0x07}},
		mmxCase{name: "pextrw-1", op: []byte{0x0f, 0xc5, 0xc1, 0x01}},
		mmxCase{name: "pextrw-6", op: []byte{0x0f, 0xc5, 0xc2, 0x06}},
		mmxCase{name: "pmovmskb", op: []byte{0x0f, 0xd7, 0xc1}},
		mmxCase{name: "maskmovq", op: []byte{0x0f, 0xf7, 0xd1}},
		mmxCase{name: "movq2dq", op: []byte{0xf3, 0x0f, 0xd6, 0xc2}},
		mmxCase{name: "movdq2q", op: []byte{0xf2, 0x0f, 0xd6, 0xd9}},
		mmxCase{name: "cvtpi2ps-mm", op: []byte{0x0f, 0x2a, 0xc1}},
		mmxCase{name: "cvtpi2ps-m64", op: []byte{0x0f, 0x2a, 0x43, mxMem}},
		mmxCase{name: "cvtpi2pd-mm", op: []byte{0x66, 0x0f, 0x2a, 0xc1}},
		mmxCase{name: "cvtpi2pd-m64", op: []byte{0x66, 0x0f, 0x2a, 0x43, mxMem}},
		mmxCase{name: "cvtps2pi", op: []byte{0x0f, 0x2d, 0xc1}},
		mmxCase{name: "cvtps2pi-m64", op: []byte{0x0f, 0x2d, 0x43, mxMem}},
		mmxCase{name: "cvttps2pi", op: []byte{0x0f, 0x2c, 0xd1}},
		mmxCase{name: "cvtpd2pi", op: []byte{0x66, 0x0f, 0x2d, 0xc1}},
		mmxCase{name: "cvtpd2pi-m128", op: []byte{0x66, 0x0f, 0x2d, 0x43, mxMem}},
		mmxCase{name: "cvttpd2pi", op: []byte{0x66, 0x0f, 0x2c, 0xd0}},
		// The aliasing with the x87 state: entering MMX from an x87
		// stack, x87 after MMX (a push onto a valid register is an
		// overflow), emms, and the SSE conversion that does not enter.
		mmxCase{name: "fld-then-movq", op: []byte{0xd9, 0xe8, 0xd9, 0xeb, 0x0f, 0x6f, 0xd1}},
		mmxCase{name: "fld-then-movd-eax", op: []byte{0xdb, 0xe3, 0xd9, 0xe8, 0x0f, 0x7e, 0xd8}},
		mmxCase{name: "mmx-then-fld", op: []byte{0x0f, 0xfc, 0xc1, 0xd9, 0xe8}},
		mmxCase{name: "emms-then-fld", op: []byte{0x0f, 0x77, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xc1}},
		mmxCase{name: "fld-then-cvtpi2ps-m64", op: []byte{0xdb, 0xe3, 0xd9, 0xe8, 0x0f, 0x2a, 0x43, mxMem}},
		mmxCase{name: "fld-then-cvtpi2ps-mm", op: []byte{0xdb, 0xe3, 0xd9, 0xe8, 0x0f, 0x2a, 0xc1}},
		mmxCase{name: "fld-then-fxch-mm", op: []byte{0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee, 0x0f, 0xdb, 0xc0, 0xd9, 0xc9}},
	)
	return cs
}

// TestDifferentialMMX runs every MMX form against the host CPU in both
// modes.
func TestDifferentialMMX(t *testing.T) {
	state, code := nativeBuffers(t)
	scratch := state + nsScratch
	rng := rand.New(rand.NewPCG(77, 10))
	randMM := func() uint64 {
		switch rng.IntN(6) {
		case 0:
			return uint64(rng.IntN(70)) // a shift count
		case 1: // two floats
			f := func() uint64 { return uint64(math.Float32bits(float32(rng.NormFloat64() * 1e4))) }
			return f() | f()<<32
		case 2: // small lanes, for saturation and signs
			var x uint64
			for i := 0; i < 8; i++ {
				x |= uint64([]byte{0, 1, 0x7f, 0x80, 0xff, 0xfe}[rng.IntN(6)]) << (8 * i)
			}
			return x
		}
		return rng.Uint64()
	}
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		e := newEnv(t, mode)
		for _, tc := range mmxCases() {
			if tc.regs64 && mode == mm.Mode32 {
				continue
			}
			prog := []byte{0xdb, 0xe3} // fninit; movq mm0-mm7, [rbx+8i]
			for i := byte(0); i < 8; i++ {
				prog = append(prog, 0x0f, 0x6f, 0x43|i<<3, mxRegs+8*i)
			}
			prog = seq(prog, tc.op, []byte{0x0f, 0xae, 0x83, 0x00, 0x02, 0x00, 0x00, 0xdb, 0xe3}) // fxsave [rbx+0x200]; fninit
			h := harness(prog)
			copy(guestBytes(code, uint64(len(h))), h)
			e.load(seq(prog, []byte{0xcc}))
			for it := 0; it < 100; it++ {
				mem := make([]byte, mxSize)
				for i := range mem[:mxFx] {
					mem[i] = byte(rng.Uint32())
				}
				for i := 0; i < 8; i++ {
					binary.LittleEndian.PutUint64(mem[mxRegs+8*i:], randMM())
				}
				binary.LittleEndian.PutUint64(mem[mxMem:], randMM())
				if rng.IntN(2) == 0 { // doubles for cvtpd2pi m128
					binary.LittleEndian.PutUint64(mem[mxMem:], math.Float64bits(rng.NormFloat64()*1e6))
					binary.LittleEndian.PutUint64(mem[mxMem+8:], math.Float64bits(rng.NormFloat64()*1e10))
				}
				var xmm [2][2]uint64
				for i := range xmm {
					switch rng.IntN(3) {
					case 0:
						xmm[i] = [2]uint64{rng.Uint64(), rng.Uint64()}
					case 1:
						f := func() uint64 { return uint64(math.Float32bits(float32(rng.NormFloat64() * 1e5))) }
						xmm[i] = [2]uint64{f() | f()<<32, f() | f()<<32}
					default:
						xmm[i] = [2]uint64{math.Float64bits(rng.NormFloat64() * 1e5), math.Float64bits(rng.NormFloat64() * 1e12)}
					}
				}
				mx := uint32(0x1f80) | uint32(rng.IntN(4))<<13
				var regs [16]uint64
				for r := range regs {
					regs[r] = rng.Uint64()
					if mode == mm.Mode32 {
						regs[r] &= 0xffffffff
					}
				}
				regs[cpu.RBX] = scratch
				regs[cpu.RDI] = scratch + mxMem
				regs[cpu.RSP] = 0
				flags := cpu.FlagR1 | cpu.FlagIF | rng.Uint64()&cpu.StatusFlags
				st := guestBytes(state, nsSize)
				for r := 0; r < 16; r++ {
					copy(st[8*r:], le64(regs[r]))
				}
				copy(st[nsFlags:], le64(flags))
				for i := range xmm {
					copy(st[nsXmm+16*i:], le64(xmm[i][0]))
					copy(st[nsXmm+16*i+8:], le64(xmm[i][1]))
				}
				copy(st[nsScratch:], mem)
				copy(st[nsMxcsr:], le64(uint64(mx))[:4])
				copy(st[nsMxcsrGo:], le64(0x1f80)[:4])
				nativeCall(uintptr(code), uintptr(state))
				var want [16]uint64
				for r := range want {
					want[r] = load64(state + uint64(8*r))
				}
				wantFlags := load64(state + nsFlags)
				wantMem := append([]byte(nil), st[nsScratch:nsScratch+mxSize]...)
				var wantXmm [2][2]uint64
				for i := range wantXmm {
					wantXmm[i] = [2]uint64{load64(state + nsXmm + 16*uint64(i)), load64(state + nsXmm + 16*uint64(i) + 8)}
				}
				wantMx := uint32(load64(state + nsMxcsr))

				copy(st[nsScratch:], mem)
				e.c.Regs = regs
				e.c.Regs[cpu.RSP] = e.base + envSize - 64
				e.c.SetRFLAGS(flags)
				*e.c.XMM(0), *e.c.XMM(1) = xmm[0], xmm[1]
				e.c.MXCSR = mx
				e.c.RIP = e.base
				if ex := e.m.Run(e.c); ex.Signal != unix.SIGTRAP {
					t.Fatalf("mode %v %s: %+v", mode, tc.name, ex)
				}
				got := e.c.Regs
				got[cpu.RSP], want[cpu.RSP] = 0, 0
				gotMem := guestBytes(scratch, mxSize)
				gotXmm := [2][2]uint64{*e.c.XMM(0), *e.c.XMM(1)}
				fx := func(b []byte) string { return string(b[mxFx:mxFx+6]) + string(b[mxFx+32:mxFx+160]) }
				if got != want || e.c.RFLAGS()&cpu.StatusFlags != wantFlags&cpu.StatusFlags || gotXmm != wantXmm ||
					e.c.MXCSR != wantMx || string(gotMem[:mxFx]) != string(wantMem[:mxFx]) || fx(gotMem) != fx(wantMem) {
					t.Fatalf("mode %v %s: mm0-7 % x mem % x xmm %#x mxcsr %#x\n got regs %#x\nwant regs %#x\n got xmm %#x mxcsr %#x\nwant xmm %#x mxcsr %#x\n got mem % x\nwant mem % x\n got x87 % x\nwant x87 % x",
						mode, tc.name, mem[:64], mem[mxMem:mxMem+16], xmm, mx, got, want, gotXmm, e.c.MXCSR, wantXmm, wantMx,
						gotMem[:0x60], wantMem[:0x60], []byte(fx(gotMem)), []byte(fx(wantMem)))
				}
			}
		}
	}
}
