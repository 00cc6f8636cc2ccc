package x87

import (
	"math"
	"math/bits"
)

// The transcendental instructions. Each computes its result in
// double-double arithmetic (dd.go) to about 100 bits, with exponents
// carried apart from the float64s so that the whole 80-bit range works,
// and rounds it once to 64 bits with RC (roundDD). See the package
// documentation for the methods and the accuracy measured against the
// host FPU and against math/big.

// Range of the ln table.
const (
	lnLo = -20
	lnHi = 28
)

// Indexes into ddConsts.
const (
	cPi = iota
	cPiHalf
	cPi4
	c3Pi4
	cLn2
	cLog2e
	cInvPiHalf66
	cLog2of10
	cLog10of2
)

// The x87 reduces the arguments of fsin, fcos, fsincos and fptan modulo
// pi/2 with pi rounded to 66 bits, pi66 = p66 * 2^-64: the host's results
// near multiples of pi/2 show it (its fsin of pi rounded to 64 bits is
// -(pi64 - pi66) = -2^-64 exactly, where the true sine is -5.0e-20), and
// so does this package, exactly: pi66/2 = p66 * 2^-65.
const (
	p66Hi = 0x3
	p66Lo = 0x243f6a8885a308d3
)

// tinyExp is the exponent below which a reduced argument r is treated
// as tiny: sin r = r(1 - r^2/6) and the like, with corrections below
// 2^-80 relative, are then r with a direction (belowV, aboveV) for the
// rounding. r has at most 66 significant bits, so it lies either on a
// 64-bit rounding boundary or at least 2^-66 (relative) away from one:
// the correction can only matter through its sign.
const tinyExp = -40

// u128DD converts the 128-bit h:l (not 0; its top 106 significant bits
// are kept) to (v, k) with h:l = v * 2^k, v in [1, 2).
func u128DD(h, l uint64) (dd, int) {
	h, l, n := norm128(h, l)
	a := float64(h&^0x7ff) * 0x1p-63
	b := float64(h&0x7ff<<42|l>>22) * 0x1p-105
	a, b = fastTwoSum(a, b)
	return dd{a, b}, 127 - n
}

// poly evaluates sum c[i]*(-1)^i*z^i (or without the signs, alt false)
// by Horner's rule for i = 0..n-1, where c[i] = tab[first+step*i]. The
// terms from index fl on are small enough (below 2^-53 relative to the
// sum) to be evaluated in float64.
func poly(z dd, tab []dd, first, step, n, fl int, alt bool) dd {
	coef := func(i int) dd {
		c := tab[first+step*i]
		if alt && i&1 != 0 {
			c = ddNeg(c)
		}
		return c
	}
	i := n - 1
	t := coef(i).hi
	for i--; i >= fl; i-- {
		t = t*z.hi + coef(i).hi
	}
	p := dd{t, 0}
	if fl < n {
		p = ddAdd(ddMulF(z, t), coef(i)) // the first double-double term
		i--
	}
	for ; i >= 0; i-- {
		p = ddAdd(ddMul(p, z), coef(i))
	}
	return p
}

// sum is the value x + c, c small next to x (|c| < |x|/2), both
// double-doubles: roundSum rounds it exactly enough for a sum that lands
// within 2^-106 of a rounding boundary.
type sum struct{ x, c dd }

func (s sum) neg() sum { return sum{ddNeg(s.x), ddNeg(s.c)} }

// sinSum and cosSum are sin r = r + r^3 S(r^2) and cos r = 1 + r^2 C(r^2)
// for |r| <= about pi/4, S and C the Taylor series less their first term
// (the first omitted term is below 2^-106 of the correction).
func sinSum(r dd) sum {
	z := ddMul(r, r)
	return sum{r, ddMul(ddMul(z, r), ddNeg(poly(z, invFact[:], 3, 2, 13, 8, true)))}
}

func cosSum(r dd) sum {
	z := ddMul(r, r)
	return sum{dd{1, 0}, ddMul(z, ddNeg(poly(z, invFact[:], 2, 2, 14, 8, true)))}
}

// trigArg is a reduced argument: |x| = q*pi66/2 + r*2^k.
type trigArg struct {
	r dd
	k int
	q uint64
}

// reduceTrig reduces |x| for a finite non-zero x below 2^63 in
// magnitude: exactly, as an integer multiple of 2^-65 when a reduction is
// needed.
func reduceTrig(x F80) trigArg {
	m, ex := x.norm()
	if ex < -1 || ex == -1 && m <= 0xc90fdaa22168c234 { // |x| <= pi/4
		return trigArg{mantDD(m), ex, 0}
	}
	// q = round(|x| / (pi66/2)) from a double-double quotient: wrong by
	// one only when |x|/(pi66/2) is within 2^-40 of a half-integer, and
	// then the remainder is still within pi/4 (plus a hair).
	qd := ddMul(ddLdexp(mantDD(m), ex), ddConsts[cInvPiHalf66])
	qh := math.Round(qd.hi)
	q := uint64(int64(qh) + int64(math.Round(qd.hi-qh+qd.lo)))
	// r*2^65 = m*2^(ex+2) - q*p66, in 128-bit two's complement (|r| is
	// below pi66/4, so the wrap-around is harmless).
	s := uint(ex + 2) // 1..64
	xh, xl := m>>(64-s), m<<s
	if s == 64 {
		xh, xl = m, 0
	}
	ph, pl := bits.Mul64(q, p66Lo)
	ph += q * p66Hi
	rl, b := bits.Sub64(xl, pl, 0)
	rh, _ := bits.Sub64(xh, ph, b)
	neg := int64(rh) < 0
	if neg {
		rl, b = bits.Sub64(0, rl, 0)
		rh, _ = bits.Sub64(0, rh, b)
	}
	v, k := u128DD(rh, rl) // not 0: p66 times anything has 66 significant bits
	if neg {
		v = ddNeg(v)
	}
	return trigArg{v, k - 65, q}
}

// sinCosArg returns sin and cos of the reduced argument r*2^k: the sine
// as a sum and its exponent, the cosine as a sum, and how both relate to
// the true values. need says which to compute (bit 0 the sine, bit 1 the
// cosine).
func sinCosArg(a trigArg, need int) (s sum, sk int, c sum, adj int) {
	if a.k < tinyExp {
		// sin r = r(1 - r^2/6), cos r = 1 - r^2/2.
		return sum{x: a.r}, a.k, sum{x: dd{1, 0}}, belowV
	}
	r := ddLdexp(a.r, a.k)
	if need&1 != 0 {
		s = sinSum(r)
	}
	if need&2 != 0 {
		c = cosSum(r)
	}
	return s, 0, c, inexact
}

// needFor says which of sin r and cos r the quadrant q takes.
func needFor(q uint64) int {
	if q&1 == 0 {
		return 1
	}
	return 2
}

// quadrant picks sin(r + q*pi/2), negated when neg, from sin r = s*2^sk
// and cos r = c, as (value, exponent).
func quadrant(s sum, sk int, c sum, q uint64, neg bool) (sum, int) {
	var v sum
	k := 0
	switch q & 3 {
	case 0:
		v, k = s, sk
	case 1:
		v = c
	case 2:
		v, k = s.neg(), sk
	default:
		v = c.neg()
	}
	if neg {
		v = v.neg()
	}
	return v, k
}

// trigPre does the checks common to fsin, fcos, fsincos and fptan. It
// returns the result and true when they decide it; out of range (|x| >=
// 2^63) sets C2 and returns x.
func (e *Env) trigPre(x F80) (F80, bool) {
	e.SW &^= C2
	switch {
	case x.isUnsupported() || x.isInf():
		return e.invalid(), true
	case x.IsNaN():
		return e.nan2(x, x), true
	case x.isZero():
		return x, true
	case x.SE&expMax >= expBias+63:
		e.SW |= C2
		return x, true
	}
	if x.isDenormal() {
		e.raise(DE)
		if !e.masked(DE) {
			return x, true
		}
	}
	return F80{}, false
}

// Sin returns sin x (fsin). C2 is set, and x returned unchanged, when |x|
// >= 2^63; C0 and C3 are left alone.
func (e *Env) Sin(x F80) F80 {
	e.begin()
	if r, ok := e.trigPre(x); ok {
		return r
	}
	a := reduceTrig(x)
	s, sk, c, adj := sinCosArg(a, needFor(a.q))
	v, k := quadrant(s, sk, c, a.q, x.Neg())
	return e.roundSum(v.x, v.c, k, adj)
}

// Cos returns cos x (fcos), with the range rule of Sin.
func (e *Env) Cos(x F80) F80 {
	e.begin()
	if r, ok := e.trigPre(x); ok {
		if x.isZero() {
			return One
		}
		return r
	}
	a := reduceTrig(x)
	s, sk, c, adj := sinCosArg(a, needFor(a.q+1))
	// cos x = sin(|x| + pi/2): the quadrant one further.
	v, k := quadrant(s, sk, c, a.q+1, false)
	return e.roundSum(v.x, v.c, k, adj)
}

// SinCos returns sin x and cos x (fsincos: ST(0) becomes the sine, then
// the cosine is pushed). When C2 is set (|x| >= 2^63) nothing is pushed
// and x is left; a NaN or invalid operand gives the same NaN for both.
// C1 and PE report the rounding of the sine.
func (e *Env) SinCos(x F80) (sin, cos F80) {
	e.begin()
	if r, ok := e.trigPre(x); ok {
		if x.isZero() {
			return x, One
		}
		return r, r
	}
	a := reduceTrig(x)
	s, sk, c, adj := sinCosArg(a, 3)
	v, k := quadrant(s, sk, c, a.q+1, false)
	co := e.roundSum(v.x, v.c, k, adj)
	v, k = quadrant(s, sk, c, a.q, x.Neg())
	return e.roundSum(v.x, v.c, k, adj), co
}

// Tan returns tan x and the value fptan pushes after it: 1.0, or the NaN
// result again for a NaN or invalid operand. When C2 is set nothing is
// pushed and x is left.
func (e *Env) Tan(x F80) (tan, push F80) {
	e.begin()
	if r, ok := e.trigPre(x); ok {
		if x.isZero() {
			return x, One
		}
		return r, r
	}
	a := reduceTrig(x)
	var v sum
	k := 0
	adj := inexact
	switch {
	case a.k < tinyExp && a.q&1 == 0:
		v, k, adj = sum{x: a.r}, a.k, aboveV // tan r = r(1 + r^2/3)
	case a.q&1 == 0:
		// tan r = r + (cs - r cc)/(1 + cc) for sin r = r + cs, cos r =
		// 1 + cc.
		r := ddLdexp(a.r, a.k)
		s, c := sinSum(r), cosSum(r)
		v = sum{r, ddDiv(ddSub(s.c, ddMul(r, c.c)), ddAddF(c.c, 1))}
	default: // -1/tan r
		r := ddLdexp(a.r, a.k)
		s, c := sinSum(r), cosSum(r)
		v = sum{x: ddNeg(ddDiv(ddAddF(c.c, 1), ddAdd(s.x, s.c)))}
	}
	if x.Neg() {
		v = v.neg()
	}
	return e.roundSum(v.x, v.c, k, adj), One
}

// atanSum is atan t for t in [0, 1]: atan(c) from the table, c = i/32
// nearest t, plus atan u with u = (t-c)/(1+tc), |u| <= 1/64, by its
// Taylor series; for c = 0, u + u^3 A(u^2) as a sum.
func atanSum(t dd) sum {
	i := int(t.hi*32 + 0.5)
	if i == 0 {
		z := ddMul(t, t)
		return sum{t, ddMul(ddMul(z, t), ddNeg(poly(z, invOdd[:], 1, 1, 10, 4, true)))}
	}
	c := float64(i) / 32
	u := ddDiv(ddAddF(t, -c), ddAddF(ddMulF(t, c), 1))
	return sum{atanTab[i], ddMul(poly(ddMul(u, u), invOdd[:], 0, 1, 11, 5, true), u)}
}

// Atan2 returns atan(y/x) in (-pi, pi], the quadrant given by the signs
// of y and x (fpatan: y is ST(1), x is ST(0); the result replaces ST(1)
// and the stack is popped).
func (e *Env) Atan2(y, x F80) F80 {
	e.begin()
	if r, ok := e.pre2(y, x); ok {
		return r
	}
	yn, xn := y.Neg(), x.Neg()
	sign := func(v dd) dd {
		if yn {
			return ddNeg(v)
		}
		return v
	}
	switch {
	case y.isZero():
		if xn {
			return e.roundDD(sign(ddConsts[cPi]), 0, inexact)
		}
		return y
	case x.isZero():
		return e.roundDD(sign(ddConsts[cPiHalf]), 0, inexact)
	case y.isInf():
		switch {
		case !x.isInf():
			return e.roundDD(sign(ddConsts[cPiHalf]), 0, inexact)
		case xn:
			return e.roundDD(sign(ddConsts[c3Pi4]), 0, inexact)
		}
		return e.roundDD(sign(ddConsts[cPi4]), 0, inexact)
	case x.isInf():
		if xn {
			return e.roundDD(sign(ddConsts[cPi]), 0, inexact)
		}
		return zeroOf(yn)
	}
	my, ey := y.norm()
	mx, ex := x.norm()
	swap := cmpMag(y, x) > 0 // |y| > |x|: atan = pi/2 - atan(|x|/|y|)
	if !swap && !xn && ey-ex < tinyExp {
		return e.atanTiny(yn, my, ey, mx, ex)
	}
	var t dd
	var tk int
	if swap {
		t, tk = ddDiv(mantDD(mx), mantDD(my)), ex-ey
	} else {
		t, tk = ddDiv(mantDD(my), mantDD(mx)), ey-ex
	}
	var a dd // atan(|small/large|), then the result
	k := 0
	if tk < -300 {
		a, k = t, tk // atan t = t(1 - t^2/3): pi/2 or pi absorbs it below
	} else {
		as := atanSum(ddLdexp(t, tk))
		if !swap && !xn {
			if yn {
				as = as.neg()
			}
			return e.roundSum(as.x, as.c, 0, inexact)
		}
		a = ddAdd(as.x, as.c)
	}
	switch {
	case swap && xn: // pi/2 + atan
		a = ddAdd(ddConsts[cPiHalf], ddLdexp(a, max(k, -1000)))
		k = 0
	case swap:
		a = ddSub(ddConsts[cPiHalf], ddLdexp(a, max(k, -1000)))
		k = 0
	case xn:
		a = ddSub(ddConsts[cPi], ddLdexp(a, max(k, -1000)))
		k = 0
	}
	return e.roundDD(sign(a), k, inexact)
}

// atanTiny is atan(y/x) = t(1 - t^2/3 + ...) for t = |y/x| below
// 2^tinyExp and x > 0. The quotient of two 64-bit numbers is often
// nearly exact (y = 1, x = 2^k(1 + 2^-60)), so that atan t lies within
// 2^-100 of a 64-bit number, too close for a double-double: the quotient
// is taken exactly to 128 bits with the integer division and the
// correction t^3/3 subtracted from it.
func (e *Env) atanTiny(neg bool, my uint64, ey int, mx uint64, ex int) F80 {
	qh, ql, dexp := div128(my, mx) // my/mx = q * 2^(dexp-127), bit 0 sticky
	k := ey - ex + dexp            // t = q * 2^(k-127)
	tf := math.Ldexp(float64(qh), k-63)
	// q*t^2/3 in units of q's bit 0: below 2^47; at least 1 (it is not 0).
	d := uint64(tf*tf/3*float64(qh)*0x1p64) | 1
	var b uint64
	ql, b = bits.Sub64(ql, d, 0)
	qh -= b
	hi, lo, n := norm128(qh, ql|1)
	return e.round(neg, k+expBias-n, hi, lo, 64)
}

// F2xm1 returns 2^x - 1 (f2xm1). The manual defines it for -1 <= x <= 1;
// beyond, the host returns x itself with PE, and so does this.
func (e *Env) F2xm1(x F80) F80 {
	e.begin()
	switch {
	case x.isUnsupported():
		return e.invalid()
	case x.IsNaN():
		return e.nan2(x, x)
	case x.isZero():
		return x
	case x.isInf():
		if x.Neg() {
			return F80{intBit, 0x8000 | expBias} // -1
		}
		return x
	}
	if x.isDenormal() {
		e.raise(DE)
		if !e.masked(DE) {
			return x
		}
	}
	m, ex := x.norm()
	if ex >= 0 {
		switch {
		case ex == 0 && m == intBit && !x.Neg():
			// 2^1 - 1 = 1, but the host's value is a hair below 1: 1 to
			// nearest and up (C1), 1 - 2^-64 down and toward zero.
			return e.roundDD(dd{1, 0}, 0, belowV)
		case ex == 0 && m == intBit:
			// 2^-1 - 1 = -0.5 in every mode, with PE.
			e.raise(PE)
			return F80{intBit, 0x8000 | (expBias - 1)}
		}
		e.raise(PE)
		return x
	}
	v := mantDD(m)
	if x.Neg() {
		v = ddNeg(v)
	}
	if ex < -300 {
		// 2^x - 1 = x ln2 (1 + x ln2/2 + ...), the correction below the
		// error of the double-double ln 2.
		return e.roundDD(ddMul(v, ddConsts[cLn2]), ex, inexact)
	}
	xv := ddLdexp(v, ex)
	j := int(math.Round(xv.hi * 32))
	f := ddAddF(xv, -float64(j)/32) // exact, |f| <= 1/64
	y := ddMul(f, ddConsts[cLn2])
	// expm1 y = y + y^2/2! + ... + y^14/14!
	em1 := ddMul(poly(y, invFact[:], 1, 1, 14, 8, false), y)
	if j == 0 {
		return e.roundDD(em1, 0, inexact)
	}
	t := exp2Tab[j+32]
	return e.roundDD(ddAdd(ddAddF(t, -1), ddMul(t, em1)), 0, inexact)
}

// lnOnePlus is ln(1+v) for v in [-0.3, 0.42]: ln(1 + i/64) from the table
// plus ln(1+u), u = (v - i/64)/(1 + i/64), as 2 atanh(u/(2+u)).
func lnOnePlus(v dd) dd {
	i := int(math.Round(v.hi * 64))
	c := float64(i) / 64
	u := ddDiv(ddAddF(v, -c), dd{1 + c, 0})
	s := ddDiv(u, ddAddF(u, 2))
	at := ddMul(poly(ddMul(s, s), invOdd[:], 0, 1, 10, 4, false), s)
	return ddAdd(lnTab[i-lnLo], ddMulF(at, 2))
}

// log2F80 is log2 of a positive finite x as (v, k), v*2^k, and whether it
// is exact (x a power of two).
func log2F80(x F80) (dd, int, bool) {
	m, ex := x.norm()
	v := mantDD(m)
	if m > 0xb400000000000000 { // m/2^63 > 1.40625: use m/2 in [0.7, 1)
		v = ddLdexp(v, -1)
		ex++
	}
	if m == intBit {
		return dd{float64(ex), 0}, 0, true
	}
	l := ddMul(lnOnePlus(ddAddF(v, -1)), ddConsts[cLog2e])
	if ex != 0 {
		l = ddAddF(l, float64(ex))
	}
	return l, 0, false
}

// Yl2x returns y * log2 x (fyl2x: y is ST(1), x is ST(0); the result
// replaces ST(1) and the stack is popped).
func (e *Env) Yl2x(y, x F80) F80 {
	e.begin()
	xn, yn := x.Neg(), y.Neg()
	if xn && !x.isZero() && !x.IsNaN() && !y.IsNaN() && !y.isUnsupported() {
		return e.invalid() // log of a negative number, before DE
	}
	if x.isZero() && !y.IsNaN() && !y.isUnsupported() {
		// log2 0 = -inf: y * -inf, a zero divide for finite y, seen
		// before a denormal y.
		if y.isZero() {
			return e.invalid()
		}
		if !y.isInf() {
			e.raise(ZE)
		}
		return infOf(!yn)
	}
	if r, ok := e.pre2(y, x); ok {
		return r
	}
	switch {
	case x.isInf():
		if y.isZero() {
			return e.invalid()
		}
		return infOf(yn)
	case x == One:
		if y.isInf() {
			return e.invalid()
		}
		return zeroOf(yn)
	case y.isInf():
		return infOf(yn != (x.SE&expMax < expBias)) // log2 x < 0 below 1
	case y.isZero():
		return zeroOf(yn != (x.SE&expMax < expBias))
	}
	l, lk, exact := log2F80(x)
	yv, yk := f80DD(y)
	if exact {
		// x is a power of two: y*log2 x is rounded exactly, but the host
		// raises PE all the same, and UE for a tiny result.
		r := e.roundDD(ddMul(yv, l), yk+lk, exactV)
		f := uint16(PE)
		if r.SE&expMax == 0 {
			f |= UE
		}
		e.raise(f)
		return r
	}
	return e.roundDD(ddMul(yv, l), yk+lk, inexact)
}

// Yl2xp1 returns y * log2(x + 1) (fyl2xp1), defined by the manual for
// |x| < 1 - sqrt(2)/2.
func (e *Env) Yl2xp1(y, x F80) F80 {
	e.begin()
	if x == NegInf && !y.IsNaN() && !y.isUnsupported() {
		return e.invalid() // before DE
	}
	if r, ok := e.pre2(y, x); ok {
		return r
	}
	xn, yn := x.Neg(), y.Neg()
	switch {
	case x.isZero():
		if y.isInf() {
			return e.invalid()
		}
		return zeroOf(xn != yn)
	case y.isZero():
		if x.isInf() {
			return e.invalid()
		}
		return zeroOf(xn != yn)
	case x.isInf():
		if xn {
			return e.invalid()
		}
		return infOf(yn)
	case y.isInf():
		return infOf(xn != yn)
	}
	yv, yk := f80DD(y)
	xv, xk := f80DD(x)
	switch {
	case xn && xk >= 0:
		// x <= -1, beyond the domain: the host returns x, with PE.
		e.raise(PE)
		return x
	case xk >= 64:
		// log2(1+x) = log2 x + log2(1 + 1/x), the second term below
		// 2^-64 relative.
		l, _, _ := log2F80(x)
		return e.roundDD(ddMul(yv, l), yk, inexact)
	}
	if xk < -300 {
		// log2(1+x) = x log2e (1 - x/2 + ...), the correction below the
		// error of the double-double log2 e.
		return e.roundDD(ddMul(yv, ddMul(xv, ddConsts[cLog2e])), yk+xk, inexact)
	}
	xd := ddLdexp(xv, xk)
	var l dd
	if xd.hi >= -0.29 && xd.hi <= 0.41 {
		l = ddMul(lnOnePlus(xd), ddConsts[cLog2e])
	} else {
		w := ddAddF(xd, 1)        // exact for -1 < x < 0: Sterbenz
		_, we := math.Frexp(w.hi) // w.hi in [2^(we-1), 2^we)
		w = ddLdexp(w, 1-we)      // [1, 2)
		we--
		if w.hi > 1.40625 {
			w = ddLdexp(w, -1)
			we++
		}
		l = ddAddF(ddMul(lnOnePlus(ddAddF(w, -1)), ddConsts[cLog2e]), float64(we))
	}
	return e.roundDD(ddMul(yv, l), yk, inexact)
}
