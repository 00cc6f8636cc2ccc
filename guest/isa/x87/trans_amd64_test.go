package x87

import (
	"flag"
	"fmt"
	"math"
	"math/big"
	"testing"
)

var flagTransIters = flag.Int("x87.transiters", 20000, "differential cases per transcendental")

// transOp is a transcendental: how to run it on the host and in the
// engine, its operands, and its exact value (nil where the reference does
// not define one).
type transOp struct {
	name string
	host func(*hostState)
	// two results (fsincos, fptan) or one; binary: a is ST(1)
	two, binary bool
	eng         func(e *Env, a, b F80) (r0, r1 F80)
	operands    func(g *gen) (a, b F80)
	exact       func(a, b F80) *big.Float // of r0 (r1 for the two-result ops: the sine, the tangent)
}

// trigOperand is an argument for the trigonometric functions.
func (g *gen) trigOperand() F80 {
	refInit()
	s := g.sign()
	switch g.r.IntN(12) {
	case 0: // tiny
		return F80{g.mant(), s | uint16(expBias-20-g.r.IntN(400))}
	case 1: // up to 2^63 and a bit beyond
		return F80{g.mant(), s | uint16(expBias+g.r.IntN(66))}
	case 2, 3: // near a multiple of pi/2 (pi64 or pi66 based)
		k := int64(1 + g.r.IntN(1<<uint(g.r.IntN(40))))
		v := newF().Mul(newF().SetInt64(k), refPiHalf)
		x := fromBig(v)
		x.Mant += uint64(g.r.IntN(9)) - 4
		x.Mant |= intBit
		return F80{x.Mant, x.SE | s}
	case 4:
		return g.f80()
	}
	return F80{g.mant(), s | uint16(expBias-3+g.r.IntN(8))}
}

func (g *gen) smallOperand(maxExp int) F80 {
	switch g.r.IntN(10) {
	case 0:
		return g.f80()
	case 1:
		return F80{g.mant(), g.sign() | uint16(expBias+maxExp-20-g.r.IntN(500))}
	}
	return F80{g.mant(), g.sign() | uint16(expBias+maxExp-g.r.IntN(20))}
}

func (g *gen) positive() F80 {
	switch g.r.IntN(8) {
	case 0:
		return g.f80()
	case 1: // near 1
		return F80{intBit + uint64(g.r.Int64N(1<<uint(g.r.IntN(40)))), expBias}
	case 2:
		return F80{^uint64(0) - uint64(g.r.Int64N(1<<uint(g.r.IntN(40)))), expBias - 1}
	case 3: // powers of two
		return F80{intBit, uint16(1 + g.r.IntN(0x7ffd))}
	}
	return F80{g.mant(), g.exp()}
}

var pi66Half = func() *big.Float {
	refInit()
	p := new(big.Float).SetPrec(66).SetMode(big.ToNearestEven).Set(refPi)
	return newF().Quo(p, newF().SetInt64(2))
}()

func finite(x F80) bool {
	return x.Class() == Normal || x.Class() == Denormal || x.Class() == PseudoDenormal
}

var transOps = []transOp{
	{name: "fsin", host: hostFsin, eng: func(e *Env, a, b F80) (F80, F80) { return e.Sin(b), a },
		operands: func(g *gen) (F80, F80) { return One, g.trigOperand() },
		exact: func(a, b F80) *big.Float {
			s, _ := refSinCos(toBig(b), pi66Half)
			return s
		}},
	{name: "fcos", host: hostFcos, eng: func(e *Env, a, b F80) (F80, F80) { return e.Cos(b), a },
		operands: func(g *gen) (F80, F80) { return One, g.trigOperand() },
		exact: func(a, b F80) *big.Float {
			_, c := refSinCos(toBig(b), pi66Half)
			return c
		}},
	{name: "fsincos", host: hostFsincos, two: true, eng: func(e *Env, a, b F80) (F80, F80) {
		s, c := e.SinCos(b)
		if e.SW&C2 != 0 {
			return b, a
		}
		return c, s
	},
		operands: func(g *gen) (F80, F80) { return One, g.trigOperand() },
		exact: func(a, b F80) *big.Float {
			s, _ := refSinCos(toBig(b), pi66Half)
			return s
		}},
	{name: "fptan", host: hostFptan, two: true, eng: func(e *Env, a, b F80) (F80, F80) {
		t, p := e.Tan(b)
		if e.SW&C2 != 0 {
			return b, a
		}
		return p, t
	},
		operands: func(g *gen) (F80, F80) { return One, g.trigOperand() },
		exact: func(a, b F80) *big.Float {
			s, c := refSinCos(toBig(b), pi66Half)
			return s.Quo(s, c)
		}},
	{name: "fpatan", host: hostFpatan, binary: true, eng: func(e *Env, a, b F80) (F80, F80) { return e.Atan2(a, b), F80{} },
		operands: func(g *gen) (F80, F80) {
			a, b := g.pair()
			if g.r.IntN(2) == 0 {
				b = F80{g.mant(), g.sign() | uint16(int(a.SE&expMax)+g.r.IntN(140)-70)&expMax}
			}
			return a, b
		},
		exact: func(a, b F80) *big.Float { return refAtan2(toBig(a), toBig(b)) }},
	{name: "f2xm1", host: hostF2xm1, eng: func(e *Env, a, b F80) (F80, F80) { return e.F2xm1(b), a },
		operands: func(g *gen) (F80, F80) { return One, g.smallOperand(-1) },
		exact: func(a, b F80) *big.Float {
			if b.SE&expMax >= expBias {
				return nil
			}
			return refExp2m1(toBig(b))
		}},
	{name: "fyl2x", host: hostFyl2x, binary: true, eng: func(e *Env, a, b F80) (F80, F80) { return e.Yl2x(a, b), F80{} },
		operands: func(g *gen) (F80, F80) {
			y := g.f80()
			if g.r.IntN(3) != 0 {
				y = F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(40)-20)}
			}
			return y, g.positive()
		},
		exact: func(a, b F80) *big.Float {
			if b.Neg() {
				return nil
			}
			l := refLog2(toBig(b))
			return l.Mul(l, toBig(a))
		}},
	{name: "fyl2xp1", host: hostFyl2xp1, binary: true, eng: func(e *Env, a, b F80) (F80, F80) { return e.Yl2xp1(a, b), F80{} },
		operands: func(g *gen) (F80, F80) {
			y := g.f80()
			if g.r.IntN(3) != 0 {
				y = F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(40)-20)}
			}
			x := g.smallOperand(-2)
			return y, x
		},
		exact: func(a, b F80) *big.Float {
			xb := toBig(b)
			if xb.Cmp(newF().SetFloat64(-0.29)) < 0 || xb.Cmp(newF().SetFloat64(0.29)) > 0 {
				return nil
			}
			l := refLog2p1(xb)
			return l.Mul(l, toBig(a))
		}},
}

// transResult is the comparison of one transcendental case.
type transResult struct {
	identical, sameValue bool    // to the host: everything; the values
	hostUlp              float64 // |engine - host| in ulps (0 when identical)
	exactUlp, hostExact  float64 // |engine - exact|, |host - exact|; -1 when not measured
	msg                  string  // the failure, or ""
}

// checkTrans runs one case: special values, exact cases, flags other
// than C1, and the stack must match exactly; finite results must be
// within 1 ulp of the host's and within 1 ulp of the exact value
// (math/big, with the pi66 reduction for the trigonometric functions).
func checkTrans(op transOp, cw, sw0 uint16, a, b F80) transResult {
	res := transResult{exactUlp: -1, hostExact: -1}
	o := hostSW(op.host, cw, sw0, a, b, nil)
	e := Env{CW: cw, SW: sw0}
	r0, r1 := op.eng(&e, a, b)
	wantTop := uint16(6)
	if op.binary {
		wantTop = 7
		r1 = o.r1 // not stored
	}
	if op.two && e.SW&C2 == 0 {
		wantTop = 5
	}
	if e.Aborted() {
		wantTop = 6
		r0, r1 = b, a
	}
	hv, ev := o.r0, r0
	if op.two {
		hv, ev = o.r1, r1
	}
	fail := func(d float64, why string) {
		res.msg = fmt.Sprintf("%s cw=%04x sw0=%04x a=%v b=%v: %s\n\thost   %v %v sw=%04x top=%d\n\tengine %v %v sw=%04x top=%d (%.3g ulp)",
			op.name, cw, sw0, a, b, why, o.r0, o.r1, o.sw&^topMask, o.sw>>11&7, r0, r1, e.SW, wantTop, d)
	}
	if o.r0 == r0 && o.r1 == r1 && o.sw&^topMask == e.SW && o.sw>>11&7 == wantTop {
		res.identical, res.sameValue = true, true
	} else {
		ok := o.sw>>11&7 == wantTop && o.sw&^(topMask|C1) == e.SW&^C1
		d := 0.0
		switch {
		case !ok:
		case finite(hv) && finite(ev) && hv.Neg() == ev.Neg():
			d = math.Abs(ulpDiff(hv, toBig(ev)))
			ok = d <= 1
			if op.two && o.r0 != r0 { // fsincos: the cosine too
				d0 := 1e300
				if finite(o.r0) && finite(r0) && o.r0.Neg() == r0.Neg() {
					d0 = math.Abs(ulpDiff(o.r0, toBig(r0)))
				}
				ok = ok && d0 <= 1
				d = max(d, d0)
			}
		default:
			ok = hv == ev && (!op.two || o.r0 == r0)
		}
		res.sameValue = hv == ev && (!op.two || o.r0 == r0)
		res.hostUlp = d
		if !ok {
			fail(d, "differs from the host")
			return res
		}
	}
	over := e.Raised&(OE|UE) != 0 // wrapped or out of the range
	if op.exact != nil && finite(ev) && finite(a) && finite(b) && !e.Aborted() && !over && e.SW&C2 == 0 && ev.SE&expMax != 0 {
		if x := op.exact(a, b); x != nil && x.Sign() != 0 {
			res.exactUlp = math.Abs(ulpDiff(ev, x))
			if finite(hv) {
				res.hostExact = math.Abs(ulpDiff(hv, x))
			}
			if res.exactUlp > 1 {
				fail(res.exactUlp, "more than 1 ulp from the exact value")
			}
		}
	}
	return res
}

// TestTranscendentalHost runs checkTrans on -x87.transiters cases per
// transcendental and logs the share of results identical to the host's
// and the largest errors seen, in all rounding modes and to nearest.
func TestTranscendentalHost(t *testing.T) {
	for i, op := range transOps {
		t.Run(op.name, func(t *testing.T) {
			g := newGen(*flagSeed + 9 + uint64(i)*1000)
			var n, same, valSame, n0, same0 int
			var maxHost, maxExact, maxHostExact, maxExact0, maxHostExact0 float64
			bad := 0
			for i := 0; i < *flagTransIters && bad < 10; i++ {
				a, b := op.operands(g)
				cw, sw0 := g.cw(), g.sw0()
				r := checkTrans(op, cw, sw0, a, b)
				if r.msg != "" {
					t.Error(r.msg)
					bad++
				}
				nearest := cw&(3<<10) == RoundNearest
				n++
				if nearest {
					n0++
				}
				if r.identical {
					same++
					if nearest {
						same0++
					}
				}
				if r.sameValue {
					valSame++
				}
				maxHost = max(maxHost, r.hostUlp)
				maxExact, maxHostExact = max(maxExact, r.exactUlp), max(maxHostExact, r.hostExact)
				if nearest {
					maxExact0, maxHostExact0 = max(maxExact0, r.exactUlp), max(maxHostExact0, r.hostExact)
				}
			}
			t.Logf("%s: %d cases, %.2f%% identical to the host (values and status word), %.2f%% same value; max |engine-host| %.3g ulp, max |engine-exact| %.3g ulp, max |host-exact| %.3g ulp",
				op.name, n, 100*float64(same)/float64(n), 100*float64(valSame)/float64(n), maxHost, maxExact, maxHostExact)
			t.Logf("%s, round to nearest: %d cases, %.2f%% identical to the host; max |engine-exact| %.3g ulp, max |host-exact| %.3g ulp",
				op.name, n0, 100*float64(same0)/float64(max(n0, 1)), maxExact0, maxHostExact0)
		})
	}
}
