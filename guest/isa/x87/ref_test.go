package x87

import (
	"math/big"
	"sync"
)

// Reference values with math/big, for the tests: exact conversions of
// F80 and the transcendental functions to refPrec bits.

const refPrec = 320

func newF() *big.Float { return new(big.Float).SetPrec(refPrec) }

// toBig is the exact value of a finite x.
func toBig(x F80) *big.Float {
	m, e := x.unpack()
	f := newF().SetUint64(m)
	f.SetMantExp(f, e-63)
	if x.Neg() {
		f.Neg(f)
	}
	return f
}

// fromBig rounds f to 64 bits, to nearest, as an F80 (normal range only;
// zero for 0).
func fromBig(f *big.Float) F80 {
	if f.Sign() == 0 {
		return F80{0, sgn(f.Signbit())}
	}
	g := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven).Set(f)
	mant := new(big.Float)
	e := g.MantExp(mant) // g = mant * 2^e, 0.5 <= |mant| < 1
	mant.SetMantExp(mant.Abs(mant), 64)
	m, _ := mant.Uint64()
	be := e - 1 + expBias
	if be <= 0 || be >= expMax {
		panic("fromBig: out of the normal range")
	}
	return F80{m, sgn(f.Signbit()) | uint16(be)}
}

var (
	refOnce           sync.Once
	refPi, refLn2     *big.Float
	refPiHalf, refPi4 *big.Float
)

func refInit() {
	refOnce.Do(func() {
		// pi = 16 atan(1/5) - 4 atan(1/239)
		a := atanSmall(newF().Quo(newF().SetInt64(1), newF().SetInt64(5)))
		b := atanSmall(newF().Quo(newF().SetInt64(1), newF().SetInt64(239)))
		refPi = newF().Sub(a.Mul(a, newF().SetInt64(16)), b.Mul(b, newF().SetInt64(4)))
		refPiHalf = newF().Quo(refPi, newF().SetInt64(2))
		refPi4 = newF().Quo(refPi, newF().SetInt64(4))
		// ln 2 = 2 atanh(1/3)
		refLn2 = atanhSmall(newF().Quo(newF().SetInt64(1), newF().SetInt64(3)))
		refLn2.Mul(refLn2, newF().SetInt64(2))
	})
}

// eps is 2^-(refPrec+8).
func small(t, s *big.Float) bool {
	if t.Sign() == 0 {
		return true
	}
	return t.MantExp(nil) < s.MantExp(nil)-refPrec-8
}

// atanSmall is the Taylor series of atan, for |x| <= 1/2.
func atanSmall(x *big.Float) *big.Float {
	x2 := newF().Mul(x, x)
	sum := newF().Set(x)
	term := newF().Set(x)
	for k := 1; ; k++ {
		term.Mul(term, x2)
		term.Neg(term)
		t := newF().Quo(term, newF().SetInt64(int64(2*k+1)))
		sum.Add(sum, t)
		if small(t, sum) {
			return sum
		}
	}
}

// atanhSmall is the Taylor series of atanh, for |x| <= 1/2.
func atanhSmall(x *big.Float) *big.Float {
	x2 := newF().Mul(x, x)
	sum := newF().Set(x)
	term := newF().Set(x)
	for k := 1; ; k++ {
		term.Mul(term, x2)
		t := newF().Quo(term, newF().SetInt64(int64(2*k+1)))
		sum.Add(sum, t)
		if small(t, sum) {
			return sum
		}
	}
}

// refSinCos returns sin x and cos x for a finite x, reducing with the
// given pi/2 (refPiHalf for the exact function).
func refSinCos(x, piHalf *big.Float) (s, c *big.Float) {
	refInit()
	// k = round(x / (pi/2)); r = x - k pi/2.
	q := newF().Quo(x, piHalf)
	kf := new(big.Int)
	qa := newF().Add(q, newF().SetFloat64(0.5))
	qa.Int(kf)
	if qa.Sign() < 0 && !qa.IsInt() {
		kf.Sub(kf, big.NewInt(1))
	}
	r := newF().Sub(x, newF().Mul(newF().SetInt(kf), piHalf))
	// Taylor series of sin and cos at r, |r| <= pi/4.
	r2 := newF().Mul(r, r)
	sr, cr := newF().Set(r), newF().SetInt64(1)
	term := newF().Set(r)
	for k := 1; ; k++ {
		term.Mul(term, r2)
		term.Quo(term, newF().SetInt64(int64((2*k)*(2*k+1))))
		term.Neg(term)
		sr.Add(sr, term)
		if small(term, sr) {
			break
		}
	}
	term = newF().SetInt64(1)
	for k := 1; ; k++ {
		term.Mul(term, r2)
		term.Quo(term, newF().SetInt64(int64((2*k-1)*(2*k))))
		term.Neg(term)
		cr.Add(cr, term)
		if small(term, cr) {
			break
		}
	}
	switch new(big.Int).And(kf, big.NewInt(3)).Int64() {
	case 0:
		return sr, cr
	case 1:
		return cr, newF().Neg(sr)
	case 2:
		return newF().Neg(sr), newF().Neg(cr)
	}
	return newF().Neg(cr), sr
}

// refAtan2 is atan2(y, x) for finite non-zero arguments.
func refAtan2(y, x *big.Float) *big.Float {
	refInit()
	t := newF().Quo(y, x)
	neg := t.Sign() < 0
	t.Abs(t)
	inv := t.Cmp(newF().SetInt64(1)) > 0
	if inv {
		t.Quo(newF().SetInt64(1), t)
	}
	// Halve the argument twice: atan t = 2 atan(t / (1 + sqrt(1 + t^2))).
	for i := 0; i < 2; i++ {
		d := newF().Sqrt(newF().Add(newF().SetInt64(1), newF().Mul(t, t)))
		t.Quo(t, d.Add(d, newF().SetInt64(1)))
	}
	a := atanSmall(t)
	a.Mul(a, newF().SetInt64(4))
	if inv {
		a.Sub(refPiHalf, a)
	}
	if neg {
		a.Neg(a)
	}
	if x.Sign() < 0 {
		if y.Sign() < 0 {
			a.Sub(a, refPi)
		} else {
			a.Add(a, refPi)
		}
	}
	return a
}

// refLn is ln x for x > 0.
func refLn(x *big.Float) *big.Float {
	refInit()
	m := newF()
	e := x.MantExp(m) // x = m 2^e, m in [0.5, 1)
	// ln m = 2 atanh((m-1)/(m+1)); (m-1)/(m+1) in (-1/3, 0].
	z := newF().Quo(newF().Sub(m, newF().SetInt64(1)), newF().Add(m, newF().SetInt64(1)))
	l := atanhSmall(z)
	l.Mul(l, newF().SetInt64(2))
	return l.Add(l, newF().Mul(refLn2, newF().SetInt64(int64(e))))
}

// refLog2p1 is log2(1+x) for |x| < 1/2, without forming 1+x.
func refLog2p1(x *big.Float) *big.Float {
	refInit()
	z := newF().Quo(x, newF().Add(x, newF().SetInt64(2)))
	l := atanhSmall(z)
	l.Mul(l, newF().SetInt64(2))
	return l.Quo(l, refLn2)
}

// refLog2 is log2 x for x > 0.
func refLog2(x *big.Float) *big.Float {
	l := refLn(x)
	return l.Quo(l, refLn2)
}

// refExp2m1 is 2^x - 1 for |x| <= 1.
func refExp2m1(x *big.Float) *big.Float {
	refInit()
	// e^y - 1 with y = x ln 2, by the Taylor series of expm1 (|y| < 0.7).
	y := newF().Mul(x, refLn2)
	sum := newF().Set(y)
	term := newF().Set(y)
	for k := 2; ; k++ {
		term.Mul(term, y)
		term.Quo(term, newF().SetInt64(int64(k)))
		sum.Add(sum, term)
		if small(term, sum) {
			return sum
		}
	}
}

// ulpDiff is (got - exact) in units of the last place of a 64-bit
// significand at exact's binade; got finite.
func ulpDiff(got F80, exact *big.Float) float64 {
	d := newF().Sub(toBig(got), exact)
	if exact.Sign() == 0 {
		if d.Sign() == 0 {
			return 0
		}
		return 1e300
	}
	e := exact.MantExp(nil) // exact = m 2^e, |m| in [0.5, 1): ulp = 2^(e-64)
	u := max(e-64, -16445)  // or the denormal unit
	d.SetMantExp(d, -u)
	f, _ := d.Float64()
	return f
}
