package engine

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestDifferentialX87 runs x87 snippets on the host FPU and in the
// interpreter from the same 80-bit operands, control word (random
// rounding and precision control) and memory, and compares memory
// (results stored as 80-bit values, then the whole status word: exception
// flags, C0-C3 and TOP), registers and flags exactly. Operands include
// denormals and exponents at both ends of the range, whose results the
// hardware denormalises, overflows or underflows.
func TestDifferentialX87(t *testing.T) {
	// Every snippet starts with: fninit; fldcw [rbx+60]; fld tword [rbx];
	// fld tword [rbx+10] (st0 = b, st1 = a) and ends by storing the
	// values left (n) with fstp tword to [rbx+20], [rbx+30], [rbx+50].
	pre := []byte{0xdb, 0xe3, 0xd9, 0x6b, 0x3c, 0xdb, 0x2b, 0xdb, 0x6b, 0x0a}
	stores := [][]byte{{0xdb, 0x7b, 0x14}, {0xdb, 0x7b, 0x1e}, {0xdb, 0x7b, 0x32}}
	fnstsw := []byte{0xdf, 0xe0, 0x66, 0x25, 0x00, 0x45} // fnstsw ax; and ax, C3|C2|C0
	cases := []struct {
		name string
		op   []byte
		left int
	}{
		{"faddp", []byte{0xde, 0xc1}, 1}, {"fsubp", []byte{0xde, 0xe9}, 1}, {"fsubrp", []byte{0xde, 0xe1}, 1},
		{"fmulp", []byte{0xde, 0xc9}, 1}, {"fdivp", []byte{0xde, 0xf9}, 1}, {"fdivrp", []byte{0xde, 0xf1}, 1},
		{"fadd", []byte{0xd8, 0xc1}, 2}, {"fsub", []byte{0xd8, 0xe1}, 2}, {"fdiv-st1", []byte{0xdc, 0xf9}, 2},
		{"fdivr", []byte{0xd8, 0xf9}, 2}, {"fmul-m64", []byte{0xdc, 0x4b, 0x28}, 2}, {"fadd-m32", []byte{0xd8, 0x43, 0x28}, 2},
		{"fiadd-m32", []byte{0xda, 0x43, 0x28}, 2}, {"fidivr-m32", []byte{0xda, 0x7b, 0x28}, 2},
		{"fsqrt", []byte{0xd9, 0xfa}, 2}, {"frndint", []byte{0xd9, 0xfc}, 2}, {"fchs", []byte{0xd9, 0xe0}, 2},
		{"fabs", []byte{0xd9, 0xe1}, 2}, {"fxch", []byte{0xd9, 0xc9}, 2},
		{"fcom", seq([]byte{0xd8, 0xd1}, fnstsw), 2}, {"fucompp", seq([]byte{0xda, 0xe9}, fnstsw), 0},
		{"ftst", seq([]byte{0xd9, 0xe4}, fnstsw), 2}, {"fcom-m64", seq([]byte{0xdc, 0x53, 0x28}, fnstsw), 2},
		{"fucomip", []byte{0xdf, 0xe9}, 1}, {"fcomi", []byte{0xdb, 0xf1}, 2},
		{"fxam", []byte{0xd9, 0xe5, 0xdf, 0xe0, 0x66, 0x25, 0x00, 0x47}, 2},
		{"fistp-m64", []byte{0xdf, 0x7b, 0x28}, 1}, {"fist-m32", []byte{0xdb, 0x53, 0x28}, 2},
		{"fistp-m16", []byte{0xdf, 0x5b, 0x28}, 1}, {"fisttp-m64", []byte{0xdd, 0x4b, 0x28}, 1},
		{"fst-m64", []byte{0xdd, 0x53, 0x28}, 2}, {"fstp-m32", []byte{0xd9, 0x5b, 0x28}, 1},
		{"fld-m64", []byte{0xdd, 0x43, 0x28}, 3}, {"fld-m32", []byte{0xd9, 0x43, 0x28}, 3},
		{"fild-m64", []byte{0xdf, 0x6b, 0x28}, 3}, {"fild-m16", []byte{0xdf, 0x43, 0x28}, 3},
		{"fldpi", []byte{0xd9, 0xeb}, 3}, {"fldl2e", []byte{0xd9, 0xea}, 3}, {"fldl2t", []byte{0xd9, 0xe9}, 3},
		{"fldlg2", []byte{0xd9, 0xec}, 3}, {"fldln2", []byte{0xd9, 0xed}, 3}, {"fld1", []byte{0xd9, 0xe8}, 3},
		{"fldz", []byte{0xd9, 0xee}, 3}, {"fld-st1", []byte{0xd9, 0xc1}, 3}, {"fstp-st1", []byte{0xdd, 0xd9}, 1},
	}
	state, code := nativeBuffers(t)
	scratch := state + nsScratch
	rng := rand.New(rand.NewPCG(5, 6))
	rand80 := func() f80 {
		switch rng.IntN(10) {
		case 0:
			return f80{Mant: 0, SE: uint16(rng.IntN(2)) << 15}
		case 1:
			return signedInf(rng.IntN(2) == 0)
		case 2:
			return f80{Mant: 1<<63 | 1<<62 | rng.Uint64()>>3, SE: 0x7fff | uint16(rng.IntN(2))<<15} // quiet NaN
		case 3:
			return f80FromFloat64(float64(rng.IntN(2001) - 1000))
		case 4, 5:
			return f80FromFloat64(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10)))
		case 6: // denormal (or pseudo-denormal) and the smallest normals
			return f80{Mant: rng.Uint64() >> rng.IntN(64), SE: uint16(rng.IntN(2)) | uint16(rng.IntN(2))<<15}
		case 7: // near the top and bottom of the exponent range
			return f80{Mant: 1<<63 | rng.Uint64(), SE: uint16([]int{1 + rng.IntN(64), 0x7ffe - rng.IntN(64)}[rng.IntN(2)]) | uint16(rng.IntN(2))<<15}
		}
		return f80{Mant: 1<<63 | rng.Uint64(), SE: uint16(0x3fff+rng.IntN(129)-64) | uint16(rng.IntN(2))<<15}
	}
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		e := newEnv(t, mode)
		for _, tc := range cases {
			prog := seq(pre, tc.op)
			for i := 0; i < tc.left; i++ {
				prog = append(prog, stores[i]...)
			}
			prog = append(prog, 0xdd, 0x7b, 0x3e) // fnstsw [rbx+62]
			h := harness(prog)
			copy(guestBytes(code, uint64(len(h))), h)
			e.load(seq(prog, []byte{0xcc}))
			for it := 0; it < 300; it++ {
				var mem [64]byte
				for i := range mem {
					mem[i] = byte(rng.Uint32())
				}
				a, b := rand80(), rand80()
				binary.LittleEndian.PutUint64(mem[0:], a.Mant)
				binary.LittleEndian.PutUint16(mem[8:], a.SE)
				binary.LittleEndian.PutUint64(mem[10:], b.Mant)
				binary.LittleEndian.PutUint16(mem[18:], b.SE)
				switch rng.IntN(3) {
				case 0:
					binary.LittleEndian.PutUint64(mem[40:], math.Float64bits(rng.NormFloat64()*1e3))
				case 1:
					binary.LittleEndian.PutUint32(mem[40:], math.Float32bits(float32(rng.NormFloat64()*1e3)))
				default:
					binary.LittleEndian.PutUint64(mem[40:], uint64(rng.IntN(20001)-10000))
				}
				fcw := uint16(0x7f) | uint16([]int{0, 2, 3, 3}[rng.IntN(4)])<<8 | uint16(rng.IntN(4))<<10
				binary.LittleEndian.PutUint16(mem[60:], fcw)
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
				copy(st[nsScratch:], mem[:])
				copy(st[nsMxcsr:], le64(0x1f80)[:4])
				copy(st[nsMxcsrGo:], le64(0x1f80)[:4])
				nativeCall(uintptr(code), uintptr(state))
				var want [16]uint64
				for r := range want {
					want[r] = load64(state + uint64(8*r))
				}
				wantFlags := load64(state + nsFlags)
				wantMem := append([]byte(nil), st[nsScratch:nsScratch+64]...)
				copy(st[nsScratch:], mem[:])
				e.c.Regs = regs
				e.c.Regs[cpu.RSP] = e.base + envSize - 64
				e.c.SetRFLAGS(flags)
				e.c.RIP = e.base
				if ex := e.m.Run(e.c); ex.Signal != unix.SIGTRAP {
					t.Fatalf("%s: %+v", tc.name, ex)
				}
				got := e.c.Regs
				got[cpu.RSP], want[cpu.RSP] = 0, 0
				gotMem := guestBytes(scratch, 64)
				if got != want || e.c.RFLAGS()&cpu.StatusFlags != wantFlags&cpu.StatusFlags || string(gotMem) != string(wantMem) {
					t.Fatalf("mode %v %s: a=%#x b=%#x fcw=%#x m40=% x\n got mem % x fsw % x rax %#x flags %#x\nwant mem % x fsw % x rax %#x flags %#x",
						mode, tc.name, a, b, fcw, mem[40:48], gotMem[20:60], gotMem[62:64], got[cpu.RAX], e.c.RFLAGS(), wantMem[20:60], wantMem[62:64], want[cpu.RAX], wantFlags)
				}
			}
		}
	}
}

type f80 = cpu.F80

func signedInf(neg bool) f80 {
	if neg {
		return f80{Mant: 1 << 63, SE: 0xffff}
	}
	return f80{Mant: 1 << 63, SE: 0x7fff}
}

// f80FromFloat64 is the exact 80-bit encoding of a finite double.
func f80FromFloat64(f float64) f80 {
	b := math.Float64bits(f)
	var se uint16
	if b>>63 != 0 {
		se = 0x8000
	}
	exp := int(b >> 52 & 0x7ff)
	frac := b & (1<<52 - 1)
	switch {
	case exp == 0 && frac == 0:
		return f80{SE: se}
	case exp == 0: // subnormal double: normal in 80 bits
		e, m := 1-1023, frac
		for m&(1<<52) == 0 {
			m <<= 1
			e--
		}
		return f80{Mant: m << 11, SE: se | uint16(e+16383)}
	}
	return f80{Mant: 1<<63 | frac<<11, SE: se | uint16(exp-1023+16383)}
}
