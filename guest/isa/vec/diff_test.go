package vec

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The differential tests: every case is an instruction encoding and the
// model of it in terms of this package's functions, both applied to the
// same random register image; the whole image (ymm0-3, eight GPRs, the
// status flags, MXCSR) must come out identical.
//
// Register conventions of the encodings: legacy SSE forms use ModRM.reg =
// 0 (xmm0 or rax) and ModRM.rm = 1 (xmm1 or rcx); VEX forms use reg = 0,
// vvvv = 1, rm = 2 and, for a fourth register operand, imm8[7:4] = 3.

type immKind uint8

const (
	noImm   immKind = iota
	imm8            // a random immediate byte
	is4Imm          // imm8 = 3<<4 (xmm3/ymm3 as the fourth operand)
	imm8Lo4         // a random immediate below 16 (reserved bits clear)
)

type icase struct {
	name    string
	enc     string
	reg     int // ModRM.reg, vvvv and ModRM.rm; -1 means the convention
	vvvv    int
	rm      int
	imm     immKind
	elem    elemKind
	float   bool // vary MXCSR
	iters   int  // random images; 0: 20000 for float, 5000 for integer forms
	model   func(s *hostState, imm uint8)
	prepare func(r *randT, s *hostState) // extra input constraints
}

func (c *icase) code(imm uint8) []byte {
	e := parseEncoding(c.enc)
	reg, vvvv, rm := 0, 0, 1
	if e.vex {
		vvvv, rm = 1, 2
	}
	if c.reg >= 0 {
		reg = c.reg
	}
	if c.vvvv >= 0 {
		vvvv = c.vvvv
	}
	if c.rm >= 0 {
		rm = c.rm
	}
	switch c.imm {
	case imm8, imm8Lo4:
		return e.encode(reg, vvvv, rm, imm)
	case is4Imm:
		return e.encode(reg, vvvv, rm, 3<<4)
	}
	return e.encode(reg, vvvv, rm)
}

// cs builds a case with the conventional registers.
func cs(name, enc string, elem elemKind, model func(s *hostState, imm uint8)) icase {
	return icase{name: name, enc: enc, reg: -1, vvvv: -1, rm: -1, elem: elem, float: elem != eInt, model: model}
}

func (c icase) withImm(k immKind) icase { c.imm = k; return c }
func (c icase) regs(reg, vvvv, rm int) icase {
	c.reg, c.vvvv, c.rm = reg, vvvv, rm
	return c
}
func (c icase) prep(p func(r *randT, s *hostState)) icase { c.prepare = p; return c }
func (c icase) n(iters int) icase                         { c.iters = iters; return c }
func (c icase) intMX() icase                              { c.float = false; return c }

func randState(r *rand.Rand, c *icase) hostState {
	var s hostState
	for i := range s.Y {
		s.Y[i] = randLanes(r, c.elem)
	}
	if r.IntN(4) == 0 { // equal sources
		s.Y[1] = s.Y[0]
		if r.IntN(2) == 0 {
			s.Y[2] = s.Y[1]
		}
	}
	for i := range s.G {
		s.G[i] = randInt(r, 8)
		if r.IntN(3) == 0 {
			s.G[i] = randInt(r, 4)
		}
	}
	s.Flags = r.Uint64() & StatusFlags
	s.MXCSR = MXCSRDefault
	if c.float {
		s.MXCSR = randMXCSR(r)
	}
	if c.prepare != nil {
		c.prepare(r, &s)
	}
	return s
}

func runCases(t *testing.T, cases []icase) {
	t.Helper()
	j := newJIT(t)
	catchXM(t)
	for i := range cases {
		c := &cases[i]
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 0x5eed))
			n := c.iters
			if n == 0 {
				n = 5000 // integer forms
				if c.float {
					n = 20000 // rounding modes × FTZ × DAZ × masks
				}
			}
			fails := 0
			for k := 0; k < n; k++ {
				imm := uint8(r.Uint32())
				if c.imm == imm8Lo4 {
					imm &= 15
				}
				in := randState(r, c)
				host, model := in, in
				j.run(c.code(imm), &host)
				host.Flags &= StatusFlags
				c.model(&model, imm)
				if host != model {
					t.Errorf("imm %#x\n in    %v\n%s", imm, &in, stateDiff(&host, &model))
					if fails++; fails > 3 {
						t.FailNow()
					}
				}
			}
		})
	}
}

// Register-image accessors for the models.

func xr(s *hostState, i int) X { return X{s.Y[i][0], s.Y[i][1]} }
func yr(s *hostState, i int) Y { return Y(s.Y[i]) }

// setX writes a legacy-SSE destination: the upper half is kept.
func setX(s *hostState, i int, v X) { s.Y[i][0], s.Y[i][1] = v[0], v[1] }

// setXZ writes a VEX.128 destination: the upper half is zeroed.
func setXZ(s *hostState, i int, v X) { s.Y[i] = [4]uint64{v[0], v[1], 0, 0} }

func setY(s *hostState, i int, v Y) { s.Y[i] = v }

// fpResult stores a floating-point result unless an unmasked exception
// traps, and accumulates the flags.
func fpResult(s *hostState, fl uint32, store func()) {
	s.MXCSR |= fl
	if Unmasked(fl, s.MXCSR) != 0 {
		s.Trapped = 1
		return
	}
	store()
}

type f2 = func(a, b X, mx uint32) (X, uint32)

// Float adapters: the legacy two-operand form (xmm0 op= xmm1), the VEX.128
// and VEX.256 three-operand forms (xmm0 = xmm1 op xmm2).
func legF(f f2) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) {
		r, fl := f(xr(s, 0), xr(s, 1), s.MXCSR)
		fpResult(s, fl, func() { setX(s, 0, r) })
	}
}

func vexF(f f2) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) {
		r, fl := f(xr(s, 1), xr(s, 2), s.MXCSR)
		fpResult(s, fl, func() { setXZ(s, 0, r) })
	}
}

func vex256F(f f2) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) {
		r, fl := Lanes2F(f, yr(s, 1), yr(s, 2), s.MXCSR)
		fpResult(s, fl, func() { setY(s, 0, r) })
	}
}

// fcases returns the legacy, VEX.128 and (unless scalar) VEX.256 cases of
// a floating-point instruction with the legacy encoding leg (prefix and
// 0F opcode).
func fcases(name string, pp string, op string, elem elemKind, f f2, scalar bool) []icase {
	leg := op
	if pp != "" {
		leg = pp + " " + op
	}
	vpp := pp
	if vpp != "" {
		vpp += "."
	}
	out := []icase{
		cs(name, leg, elem, legF(f)),
		cs("v"+name, "VEX.128."+vpp+"0F.WIG "+op[3:], elem, vexF(f)),
	}
	if !scalar {
		out = append(out, cs("v"+name+"/256", "VEX.256."+vpp+"0F.WIG "+op[3:], elem, vex256F(f)))
	}
	return out
}

func floatArithCases() []icase {
	var cases []icase
	add := func(name, op string, p, pd, s, sd f2) {
		cases = append(cases, fcases(name+"ps", "", "0F "+op, eF32, p, false)...)
		cases = append(cases, fcases(name+"pd", "66", "0F "+op, eF64, pd, false)...)
		cases = append(cases, fcases(name+"ss", "F3", "0F "+op, eF32, s, true)...)
		cases = append(cases, fcases(name+"sd", "F2", "0F "+op, eF64, sd, true)...)
	}
	add("add", "58", AddPS, AddPD, AddSS, AddSD)
	add("mul", "59", MulPS, MulPD, MulSS, MulSD)
	add("sub", "5C", SubPS, SubPD, SubSS, SubSD)
	add("min", "5D", MinPS, MinPD, MinSS, MinSD)
	add("div", "5E", DivPS, DivPD, DivSS, DivSD)
	add("max", "5F", MaxPS, MaxPD, MaxSS, MaxSD)
	return cases
}

func TestFloatArith(t *testing.T) { runCases(t, floatArithCases()) }

func stateDiff(h, m *hostState) string {
	var b strings.Builder
	for i := range h.Y {
		if h.Y[i] != m.Y[i] {
			fmt.Fprintf(&b, " ymm%d host  %016x_%016x_%016x_%016x\n      model %016x_%016x_%016x_%016x\n", i,
				h.Y[i][3], h.Y[i][2], h.Y[i][1], h.Y[i][0], m.Y[i][3], m.Y[i][2], m.Y[i][1], m.Y[i][0])
		}
	}
	for i := range h.G {
		if h.G[i] != m.G[i] {
			fmt.Fprintf(&b, " gpr%d host %#x model %#x\n", i, h.G[i], m.G[i])
		}
	}
	if h.Flags != m.Flags {
		fmt.Fprintf(&b, " flags host %#x model %#x\n", h.Flags, m.Flags)
	}
	if h.MXCSR != m.MXCSR {
		fmt.Fprintf(&b, " mxcsr host %#x model %#x\n", h.MXCSR, m.MXCSR)
	}
	if h.Trapped != m.Trapped {
		fmt.Fprintf(&b, " trapped host %d model %d\n", h.Trapped, m.Trapped)
	}
	return b.String()
}

type randT = rand.Rand

// runCode runs c with fixed instruction bytes instead of an encoding.
func runCode(t *testing.T, c *icase, code []byte) {
	t.Helper()
	j := newJIT(t)
	r := rand.New(rand.NewPCG(7, 0x5eed))
	for k := 0; k < 20000; k++ {
		in := randState(r, c)
		host, model := in, in
		j.run(code, &host)
		host.Flags &= StatusFlags
		c.model(&model, 0)
		if host != model {
			t.Fatalf("%s\n in    %v\n%s", c.name, &in, stateDiff(&host, &model))
		}
	}
}

func newRand(seed uint64) *randT { return rand.New(rand.NewPCG(seed, 0x5eed)) }
