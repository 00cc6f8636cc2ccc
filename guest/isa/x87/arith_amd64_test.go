package x87

import (
	"testing"
)

type binOp struct {
	name string
	host func(*hostState)
	eng  func(e *Env, a, b F80) F80
}

var binOps = []binOp{
	{"fadd", hostFadd, (*Env).Add},
	{"fsub", hostFsub, (*Env).Sub},
	{"fmul", hostFmul, (*Env).Mul},
	{"fdiv", hostFdiv, (*Env).Div},
}

const topMask = 7 << 11

// checkBinary runs a binary popping operation on the host (ST(1) = a op
// b, pop) and in the engine and reports a difference.
func checkBinary(t *testing.T, op binOp, cw, sw0 uint16, a, b F80) bool {
	t.Helper()
	o := hostSW(op.host, cw, sw0, a, b, nil)
	e := Env{CW: cw, SW: sw0}
	r := op.eng(&e, a, b)
	top := o.sw >> 11 & 7
	want := r
	wantTop := uint16(7)
	if e.Aborted() {
		want, wantTop = b, 6
	}
	if o.r0 != want || o.sw&^topMask != e.SW || top != wantTop {
		t.Errorf("%s cw=%04x sw0=%04x a=%v b=%v: host %v sw=%04x top=%d, engine %v sw=%04x aborted=%v",
			op.name, cw, sw0, a, b, o.r0, o.sw&^topMask, top, r, e.SW, e.Aborted())
		return false
	}
	return true
}

func TestBinaryHost(t *testing.T) {
	for _, op := range binOps {
		t.Run(op.name, func(t *testing.T) {
			g := newGen(*flagSeed)
			bad := 0
			for i := 0; i < *flagIters && bad < 20; i++ {
				a, b := g.pair()
				if !checkBinary(t, op, g.cw(), g.sw0(), a, b) {
					bad++
				}
			}
		})
	}
}

func TestSqrtHost(t *testing.T) {
	g := newGen(*flagSeed + 1)
	bad := 0
	for i := 0; i < *flagIters && bad < 20; i++ {
		x := g.f80()
		if i%3 == 0 { // exact squares and ties
			m := g.r.Uint64() >> uint(32+g.r.IntN(33))
			if m != 0 {
				x = fromU64(m*m, 0)
				x.SE += uint16(g.r.IntN(200)) - 100
			}
		}
		cw := g.cw()
		sw0 := g.sw0()
		o := hostSW(hostFsqrt, cw, sw0, One, x, nil)
		e := Env{CW: cw, SW: sw0}
		r := e.Sqrt(x)
		want := r
		if e.Aborted() {
			want = x
		}
		if o.r0 != want || o.r1 != One || o.sw&^topMask != e.SW {
			t.Errorf("fsqrt cw=%04x x=%v: host %v sw=%04x, engine %v sw=%04x", cw, x, o.r0, o.sw&^topMask, r, e.SW)
			bad++
		}
	}
}
