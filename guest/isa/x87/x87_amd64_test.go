package x87

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// The operations that must be bit-identical to the host FPU, each with
// its operand generator and a check that runs it on the host and in the
// engine from the same control word, starting condition codes and
// operands, and compares results, status word (flags, condition codes,
// ES, B) and stack (TOP) exactly. The host runs load a (ST(1)) then b
// (ST(0)); see hostfpu_amd64.go.

type exactOp struct {
	name string
	gen  func(g *gen) (a, b F80, mem []byte)
	// check returns "" or a description of the difference.
	check func(cw, sw0 uint16, a, b F80, mem []byte) string
}

const topMask = 7 << 11

// sentinel fills the memory operand so that a store that did not happen
// shows.
var sentinel = []byte{0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5}

func le(v uint64, n int) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	return b[:n]
}

// diff formats a difference between the host and the engine.
func diff(name string, cw, sw0 uint16, a, b F80, host, engine string) string {
	return fmt.Sprintf("%s cw=%04x sw0=%04x a=%v b=%v:\n\thost   %s\n\tengine %s", name, cw, sw0, a, b, host, engine)
}

// binaryOp checks a popping binary operation: ST(1) = a op b, pop; an
// aborted operation leaves both registers and TOP.
func binaryOp(name string, h func(*hostState), f func(e *Env, a, b F80) F80, g func(g *gen) (F80, F80)) exactOp {
	return exactOp{name,
		func(gn *gen) (F80, F80, []byte) { a, b := g(gn); return a, b, nil },
		func(cw, sw0 uint16, a, b F80, _ []byte) string {
			o := hostSW(h, cw, sw0, a, b, nil)
			e := Env{CW: cw, SW: sw0}
			r := f(&e, a, b)
			want, top := r, uint16(7)
			if e.Aborted() {
				want, top = b, 6
			}
			if o.r0 != want || o.sw&^topMask != e.SW || o.sw>>11&7 != top {
				return diff(name, cw, sw0, a, b, fmt.Sprintf("%v sw=%04x top=%d", o.r0, o.sw&^topMask, o.sw>>11&7),
					fmt.Sprintf("%v sw=%04x top=%d aborted=%v", r, e.SW, top, e.Aborted()))
			}
			return ""
		}}
}

// unaryOp checks an operation on ST(0) = b that leaves ST(1) = a alone:
// f returns the new ST(0) (b itself when aborted).
func unaryOp(name string, h func(*hostState), f func(e *Env, b F80) F80, g func(g *gen) F80) exactOp {
	return exactOp{name,
		func(gn *gen) (F80, F80, []byte) { return One, g(gn), nil },
		func(cw, sw0 uint16, a, b F80, _ []byte) string {
			o := hostSW(h, cw, sw0, a, b, nil)
			e := Env{CW: cw, SW: sw0}
			r := f(&e, b)
			want := r
			if e.Aborted() {
				want = b
			}
			if o.r0 != want || o.r1 != a || o.sw&^topMask != e.SW || o.sw>>11&7 != 6 {
				return diff(name, cw, sw0, a, b, fmt.Sprintf("%v %v sw=%04x top=%d", o.r0, o.r1, o.sw&^topMask, o.sw>>11&7),
					fmt.Sprintf("%v %v sw=%04x", r, a, e.SW))
			}
			return ""
		}}
}

// binaryKeep checks an operation ST(0) = f(ST(0) = b, ST(1) = a) that
// does not pop (fprem, fprem1, fscale).
func binaryKeep(name string, h func(*hostState), f func(e *Env, x, y F80) F80, g func(g *gen) (x, y F80)) exactOp {
	return exactOp{name,
		func(gn *gen) (F80, F80, []byte) { x, y := g(gn); return y, x, nil },
		func(cw, sw0 uint16, a, b F80, _ []byte) string {
			return unaryOp(name, h, func(e *Env, b F80) F80 { return f(e, b, a) }, nil).check(cw, sw0, a, b, nil)
		}}
}

// storeOp checks a popping store of ST(0) = b to memory.
func storeOp(name string, h func(*hostState), size int, f func(e *Env, x F80) []byte) exactOp {
	return exactOp{name,
		func(g *gen) (F80, F80, []byte) { return One, g.storeOperand(), sentinel },
		func(cw, sw0 uint16, a, b F80, _ []byte) string {
			o := hostSW(h, cw, sw0, a, b, sentinel)
			e := Env{CW: cw, SW: sw0}
			got := f(&e, b)
			want, top := got, uint16(7)
			if e.Aborted() {
				want, top = sentinel[:size], 6
			}
			if string(o.mem[:size]) != string(want) || o.sw&^topMask != e.SW || o.sw>>11&7 != top {
				return diff(name, cw, sw0, a, b, fmt.Sprintf("% x sw=%04x top=%d", o.mem[:size], o.sw&^topMask, o.sw>>11&7),
					fmt.Sprintf("% x sw=%04x aborted=%v", got, e.SW, e.Aborted()))
			}
			return ""
		}}
}

// loadOp checks a push of the memory operand (a stays below it).
func loadOp(name string, h func(*hostState), size int, f func(e *Env, m []byte) F80) exactOp {
	return exactOp{name,
		func(g *gen) (F80, F80, []byte) { return One, F80{}, g.memOperand(size) },
		func(cw, sw0 uint16, a, _ F80, m []byte) string {
			o := hostSW(h, cw, sw0, a, F80{}, m)
			e := Env{CW: cw, SW: sw0}
			r := f(&e, m)
			want, top := r, uint16(6)
			if e.Aborted() {
				want, top = a, 7
			}
			if o.r0 != want || o.sw&^topMask != e.SW || o.sw>>11&7 != top {
				return diff(name, cw, sw0, a, F80{}, fmt.Sprintf("m=% x -> %v sw=%04x top=%d", m[:size], o.r0, o.sw&^topMask, o.sw>>11&7),
					fmt.Sprintf("%v sw=%04x aborted=%v", r, e.SW, e.Aborted()))
			}
			return ""
		}}
}

const flagMask = 0x8d5 // CF PF AF ZF SF OF

// compareOp checks fcom/fucom (pop: fcomp) or fcomi/fucomi (fcomip):
// ST(0) = b against ST(1) = a.
func compareOp(name string, h func(*hostState), quiet, flags, pop bool) exactOp {
	return exactOp{name,
		func(g *gen) (F80, F80, []byte) {
			a, b := g.pair()
			if g.r.IntN(8) == 0 {
				b = a
			}
			return a, b, nil
		},
		func(cw, sw0 uint16, a, b F80, _ []byte) string {
			o := hostSW(h, cw, sw0, a, b, nil)
			e := Env{CW: cw, SW: sw0}
			var f uint32
			ok := true
			if flags {
				f = e.CompareFlags(b, a, quiet)
				ok = o.flags&flagMask == f
			} else {
				e.Compare(b, a, quiet)
			}
			top := uint16(6)
			if pop && !e.Aborted() {
				top = 7
			}
			if !ok || o.sw&^topMask != e.SW || o.sw>>11&7 != top {
				return diff(name, cw, sw0, a, b, fmt.Sprintf("sw=%04x top=%d flags=%03x", o.sw&^topMask, o.sw>>11&7, o.flags&flagMask),
					fmt.Sprintf("sw=%04x top=%d flags=%03x", e.SW, top, f))
			}
			return ""
		}}
}

var exactOps = []exactOp{
	binaryOp("fadd", hostFadd, (*Env).Add, (*gen).pair),
	binaryOp("fsub", hostFsub, (*Env).Sub, (*gen).pair),
	binaryOp("fmul", hostFmul, (*Env).Mul, (*gen).pair),
	binaryOp("fdiv", hostFdiv, (*Env).Div, (*gen).pair),
	unaryOp("fsqrt", hostFsqrt, (*Env).Sqrt, (*gen).sqrtOperand),
	unaryOp("frndint", hostFrndint, (*Env).Round, (*gen).storeOperand),
	unaryOp("fabs", hostFabs, (*Env).Abs, (*gen).f80),
	unaryOp("fchs", hostFchs, (*Env).Chs, (*gen).f80),
	binaryKeep("fprem", hostFprem, func(e *Env, x, y F80) F80 { return e.Prem(x, y, false) }, (*gen).premOperands),
	binaryKeep("fprem1", hostFprem1, func(e *Env, x, y F80) F80 { return e.Prem(x, y, true) }, (*gen).premOperands),
	binaryKeep("fscale", hostFscale, (*Env).Scale, (*gen).scaleOperands),
	storeOp("fstp-m32", hostFstM32, 4, func(e *Env, x F80) []byte { return le(uint64(e.ToFloat32(x)), 4) }),
	storeOp("fstp-m64", hostFstM64, 8, func(e *Env, x F80) []byte { return le(e.ToFloat64(x), 8) }),
	storeOp("fistp-m16", hostFistM16, 2, func(e *Env, x F80) []byte { return le(uint64(e.ToInt(x, 16)), 2) }),
	storeOp("fistp-m32", hostFistM32, 4, func(e *Env, x F80) []byte { return le(uint64(e.ToInt(x, 32)), 4) }),
	storeOp("fistp-m64", hostFistM64, 8, func(e *Env, x F80) []byte { return le(uint64(e.ToInt(x, 64)), 8) }),
	storeOp("fisttp-m16", hostFisttpM16, 2, func(e *Env, x F80) []byte { return le(uint64(e.ToIntTrunc(x, 16)), 2) }),
	storeOp("fisttp-m32", hostFisttpM32, 4, func(e *Env, x F80) []byte { return le(uint64(e.ToIntTrunc(x, 32)), 4) }),
	storeOp("fisttp-m64", hostFisttpM64, 8, func(e *Env, x F80) []byte { return le(uint64(e.ToIntTrunc(x, 64)), 8) }),
	storeOp("fbstp", hostFbstp, 10, func(e *Env, x F80) []byte { b := e.ToBCD(x); return b[:] }),
	loadOp("fld-m32", hostFldM32, 4, func(e *Env, m []byte) F80 { return e.FromFloat32(binary.LittleEndian.Uint32(m)) }),
	loadOp("fld-m64", hostFldM64, 8, func(e *Env, m []byte) F80 { return e.FromFloat64(binary.LittleEndian.Uint64(m)) }),
	loadOp("fild-m16", hostFildM16, 2, func(e *Env, m []byte) F80 { return e.FromInt(int64(int16(binary.LittleEndian.Uint16(m)))) }),
	loadOp("fild-m32", hostFildM32, 4, func(e *Env, m []byte) F80 { return e.FromInt(int64(int32(binary.LittleEndian.Uint32(m)))) }),
	loadOp("fild-m64", hostFildM64, 8, func(e *Env, m []byte) F80 { return e.FromInt(int64(binary.LittleEndian.Uint64(m))) }),
	loadOp("fbld", hostFbld, 10, func(e *Env, m []byte) F80 { return e.FromBCD(BCD(m[:10])) }),
	compareOp("fcom", hostFcom, false, false, false),
	compareOp("fucom", hostFucom, true, false, false),
	compareOp("fcomp", hostFcomp, false, false, true),
	compareOp("fcomi", hostFcomi, false, true, false),
	compareOp("fucomi", hostFucomi, true, true, false),
	compareOp("fcomip", hostFcomip, false, true, true),
	{"ftst",
		func(g *gen) (F80, F80, []byte) { return One, g.f80(), nil },
		func(cw, sw0 uint16, a, b F80, _ []byte) string {
			o := hostSW(hostFtst, cw, sw0, a, b, nil)
			e := Env{CW: cw, SW: sw0}
			e.Test(b)
			if o.sw&^topMask != e.SW {
				return diff("ftst", cw, sw0, a, b, fmt.Sprintf("sw=%04x", o.sw&^topMask), fmt.Sprintf("sw=%04x", e.SW))
			}
			return ""
		}},
	{"fxam",
		func(g *gen) (F80, F80, []byte) { return One, g.f80(), []byte{byte(g.r.IntN(5))} },
		func(cw, sw0 uint16, a, b F80, m []byte) string {
			empty := len(m) > 0 && m[0] == 0
			h := hostFxam
			if empty {
				h = hostFxamEmpty
			}
			o := hostSW(h, cw, sw0, a, b, nil)
			e := Env{CW: cw, SW: sw0}
			e.Examine(b, empty)
			if o.sw&^topMask != e.SW {
				return diff("fxam", cw, sw0, a, b, fmt.Sprintf("empty=%v sw=%04x", empty, o.sw&^topMask), fmt.Sprintf("sw=%04x", e.SW))
			}
			return ""
		}},
	{"fxtract",
		func(g *gen) (F80, F80, []byte) { return One, g.f80(), nil },
		func(cw, sw0 uint16, a, b F80, _ []byte) string {
			o := hostSW(hostFxtract, cw, sw0, a, b, nil)
			e := Env{CW: cw, SW: sw0}
			ex, sig := e.Extract(b)
			w0, w1, top := sig, ex, uint16(5)
			if e.Aborted() {
				w0, w1, top = b, a, 6
			}
			if o.r0 != w0 || o.r1 != w1 || o.sw&^topMask != e.SW || o.sw>>11&7 != top {
				return diff("fxtract", cw, sw0, a, b, fmt.Sprintf("%v %v sw=%04x top=%d", o.r0, o.r1, o.sw&^topMask, o.sw>>11&7),
					fmt.Sprintf("%v %v sw=%04x", sig, ex, e.SW))
			}
			return ""
		}},
	memArith("fadd-m32", hostFaddM32, 4, false, (*Env).Add),
	memArith("fadd-m64", hostFaddM64, 8, false, (*Env).Add),
	memArith("fdivr-m64", hostFdivrM64, 8, false, func(e *Env, b, m F80) F80 { return e.Div(m, b) }),
	memArith("fcom-m32", hostFcomM32, 4, true, func(e *Env, b, m F80) F80 { e.Compare(b, m, false); return b }),
}

// TestExactHost runs every exact operation on -x87.iters generated cases
// per operation, in every precision and rounding mode, with exceptions
// now and then unmasked and random starting condition codes.
func TestExactHost(t *testing.T) {
	for i, op := range exactOps {
		t.Run(op.name, func(t *testing.T) {
			g := newGen(*flagSeed + uint64(i)*1000)
			bad := 0
			for n := 0; n < *flagIters && bad < 10; n++ {
				a, b, m := op.gen(g)
				if d := op.check(g.cw(), g.sw0(), a, b, m); d != "" {
					t.Error(d)
					bad++
				}
			}
		})
	}
}

func TestConstHost(t *testing.T) {
	for _, tc := range []struct {
		c    Constant
		host func(*hostState)
	}{{ConstPi, hostFldpi}, {ConstL2E, hostFldl2e}, {ConstL2T, hostFldl2t}, {ConstLG2, hostFldlg2}, {ConstLN2, hostFldln2}} {
		for rc := uint16(0); rc < 4; rc++ {
			for _, sw0 := range []uint16{0, C1 | C0, C3 | C2} {
				cw := DefaultCW | rc<<10
				o := hostSW(tc.host, cw, sw0, One, One, nil)
				e := Env{CW: cw, SW: sw0}
				r := e.Const(tc.c)
				if o.r0 != r || o.sw&^topMask != e.SW {
					t.Errorf("const %d rc=%d sw0=%04x: host %v sw=%04x, engine %v sw=%04x", tc.c, rc, sw0, o.r0, o.sw&^topMask, r, e.SW)
				}
			}
		}
	}
}

// TestStackFaultHost checks StackFault against a faddp with ST(1) empty
// and a ninth push, masked and unmasked.
func TestStackFaultHost(t *testing.T) {
	for _, cw := range []uint16{DefaultCW, DefaultCW &^ IE} {
		for _, overflow := range []bool{false, true} {
			h := hostFaddUnderflow
			if overflow {
				h = hostFldOverflow
			}
			x := PosInf
			o := hostSW(h, cw, 0, Indefinite, x, nil)
			e := Env{CW: cw}
			r := e.StackFault(overflow)
			want := r
			if e.Aborted() {
				want = x // the register is left as it was
			}
			if o.r0 != want || o.sw&^topMask != e.SW {
				t.Errorf("stack fault overflow=%v cw=%04x: host %v sw=%04x, engine %v sw=%04x", overflow, cw, o.r0, o.sw&^topMask, r, e.SW)
			}
		}
	}
}

// memArith checks an arithmetic instruction or compare with a float
// memory operand: the engine converts it with Operand32 or Operand64 and
// calls the operation.
func memArith(name string, h func(*hostState), size int, compare bool, f func(e *Env, b, m F80) F80) exactOp {
	return exactOp{name,
		func(g *gen) (F80, F80, []byte) {
			b := g.f80()
			if g.r.IntN(3) == 0 {
				b = F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(60)-30)}
			}
			return One, b, g.memOperand(size)
		},
		func(cw, sw0 uint16, a, b F80, m []byte) string {
			o := hostSW(h, cw, sw0, a, b, m)
			e := Env{CW: cw, SW: sw0}
			var x F80
			if size == 4 {
				x = e.Operand32(binary.LittleEndian.Uint32(m))
			} else {
				x = e.Operand64(binary.LittleEndian.Uint64(m))
			}
			r := f(&e, b, x)
			if compare {
				if o.sw&^topMask != e.SW {
					return diff(name, cw, sw0, a, b, fmt.Sprintf("m=% x sw=%04x", m[:size], o.sw&^topMask), fmt.Sprintf("sw=%04x", e.SW))
				}
				return ""
			}
			want := r
			if e.Aborted() {
				want = b
			}
			if o.r0 != want || o.r1 != a || o.sw&^topMask != e.SW {
				return diff(name, cw, sw0, a, b, fmt.Sprintf("m=% x -> %v sw=%04x", m[:size], o.r0, o.sw&^topMask),
					fmt.Sprintf("%v sw=%04x aborted=%v", r, e.SW, e.Aborted()))
			}
			return ""
		}}
}
