package x87

import (
	"math"
	"math/bits"
)

// The basic arithmetic: Add, Sub, Mul, Div and Sqrt, rounded to the
// precision FCW.PC selects with FCW.RC. The operands are checked in the
// order the hardware checks them: an unsupported encoding (unnormal,
// pseudo-NaN, pseudo-infinity) is an invalid operation whatever the other
// operand is; then NaNs propagate (an SNaN raises IE); then a denormal
// operand raises DE (the operation is abandoned when DE is unmasked);
// then come the invalid combinations (inf-inf, 0*inf, 0/0, inf/inf,
// sqrt of a negative), the zero divide, and the exact special results.

// Add returns a + b (fadd).
func (e *Env) Add(a, b F80) F80 {
	e.begin()
	return e.add(a, b, false)
}

// Sub returns a - b (fsub; fsubr is Sub(b, a)).
func (e *Env) Sub(a, b F80) F80 {
	e.begin()
	return e.add(a, b, true)
}

// pre2 does the operand checks common to the binary operations: it
// returns the result and true when they decide it.
func (e *Env) pre2(a, b F80) (F80, bool) {
	if a.isUnsupported() || b.isUnsupported() {
		e.raise(IE)
		return Indefinite, true
	}
	if a.IsNaN() || b.IsNaN() {
		return e.nan2(a, b), true
	}
	if a.isDenormal() || b.isDenormal() || e.opDE {
		e.raise(DE)
		if !e.masked(DE) {
			return Indefinite, true
		}
	}
	return F80{}, false
}

// nan2 is the NaN result of an operation with a NaN operand: an SNaN
// raises IE; of two NaNs a QNaN wins over an SNaN, else the larger
// significand wins, and of equal significands the positive one.
func (e *Env) nan2(a, b F80) F80 {
	an, bn := a.IsNaN(), b.IsNaN()
	as, bs := an && a.Mant&qBit == 0, bn && b.Mant&qBit == 0
	if as || bs {
		e.raise(IE)
	}
	e.setC1(false)
	switch {
	case an && bn:
		if as != bs {
			if as {
				return b
			}
			return a
		}
		a, b = a.quiet(), b.quiet()
		if a.Mant != b.Mant {
			if a.Mant > b.Mant {
				return a
			}
			return b
		}
		if a.SE < b.SE {
			return a
		}
		return b
	case an:
		return a.quiet()
	}
	return b.quiet()
}

// invalid raises IE and returns the indefinite.
func (e *Env) invalid() F80 {
	e.raise(IE)
	e.setC1(false)
	return Indefinite
}

func (e *Env) add(a, b F80, sub bool) F80 {
	if r, ok := e.pre2(a, b); ok {
		return r
	}
	if sub {
		b.SE ^= 0x8000
	}
	an, bn := a.Neg(), b.Neg()
	switch {
	case a.isInf() || b.isInf():
		if a.isInf() && b.isInf() && an != bn {
			return e.invalid()
		}
		e.setC1(false)
		if a.isInf() {
			return a
		}
		return b
	case a.isZero() && b.isZero():
		e.setC1(false)
		if an == bn {
			return a
		}
		return zeroOf(e.rc() == 1)
	}
	ma, ea := a.unpack()
	mb, eb := b.unpack()
	// Order by magnitude so that a >= b (unnormalised denormals only meet
	// each other at the same exponent, where the significands order them).
	if ea < eb || ea == eb && ma < mb {
		ma, mb, ea, eb, an, bn = mb, ma, eb, ea, bn, an
	}
	ah, al := ma, uint64(0)
	bh, bl := shr128(mb, 0, uint(min(ea-eb, 200)))
	exp := ea + expBias
	var hi, lo uint64
	if an == bn {
		var c uint64
		lo, c = bits.Add64(al, bl, 0)
		hi, c = bits.Add64(ah, bh, c)
		if c != 0 {
			hi, lo = shr128(hi, lo, 1)
			hi |= intBit
			exp++
		}
	} else {
		var br uint64
		lo, br = bits.Sub64(al, bl, 0)
		hi, _ = bits.Sub64(ah, bh, br)
		if hi|lo == 0 {
			e.setC1(false)
			return zeroOf(e.rc() == 1)
		}
	}
	var n int
	hi, lo, n = norm128(hi, lo)
	return e.round(an, exp-n, hi, lo, e.precBits())
}

// norm returns the significand of a finite non-zero x shifted until its
// integer bit is set and the matching unbiased exponent.
func (x F80) norm() (uint64, int) {
	m, ex := x.unpack()
	n := bits.LeadingZeros64(m)
	return m << n, ex - n
}

// Mul returns a * b (fmul).
func (e *Env) Mul(a, b F80) F80 {
	e.begin()
	if r, ok := e.pre2(a, b); ok {
		return r
	}
	neg := a.Neg() != b.Neg()
	switch {
	case a.isInf() || b.isInf():
		if a.isZero() || b.isZero() {
			return e.invalid()
		}
		e.setC1(false)
		return infOf(neg)
	case a.isZero() || b.isZero():
		e.setC1(false)
		return zeroOf(neg)
	}
	ma, ea := a.norm()
	mb, eb := b.norm()
	hi, lo := bits.Mul64(ma, mb)
	exp := ea + eb + expBias + 1
	if hi&intBit == 0 {
		hi, lo = hi<<1|lo>>63, lo<<1
		exp--
	}
	return e.round(neg, exp, hi, lo, e.precBits())
}

// Div returns a / b (fdiv; fdivr is Div(b, a)).
func (e *Env) Div(a, b F80) F80 {
	e.begin()
	neg := a.Neg() != b.Neg()
	// A zero divisor is seen before a denormal dividend: x/0 raises ZE
	// alone.
	if b.isZero() && !a.isUnsupported() && !a.IsNaN() {
		switch {
		case a.isZero():
			return e.invalid()
		case !a.isInf():
			e.raise(ZE)
		}
		e.setC1(false)
		return infOf(neg)
	}
	if r, ok := e.pre2(a, b); ok {
		return r
	}
	switch {
	case a.isInf() && b.isInf():
		return e.invalid()
	case a.isInf():
		e.setC1(false)
		return infOf(neg)
	case b.isInf() || a.isZero():
		e.setC1(false)
		return zeroOf(neg)
	}
	ma, ea := a.norm()
	mb, eb := b.norm()
	hi, lo, exp := divRound(ma, mb)
	return e.round(neg, exp+ea-eb+expBias, hi, lo, e.precBits())
}

// divRound is div128 with one division instead of two: the 64-bit
// quotient, and below it only what rounding needs, the bit worth one half
// and a sticky bit for the rest of the fraction.
func divRound(ma, mb uint64) (hi, lo uint64, exp int) {
	q, r := bits.Div64(ma>>1, ma<<63, mb) // ma*2^63/mb: in [2^62, 2^64)
	if q&intBit == 0 {
		// One more quotient bit: 2r >= mb.
		q <<= 1
		if r >= mb-r {
			q |= 1
			r -= mb - r
		} else {
			r <<= 1
		}
		exp = -1
	}
	if r >= mb-r { // the fraction r/mb is at least 1/2
		lo = 1 << 63
		r -= mb - r
	} else {
		r <<= 1
	}
	if r != 0 {
		lo |= 1
	}
	return q, lo, exp
}

// div128 divides two normalised significands: q = ma/mb * 2^(127+exp)
// with bit 127 of q set and the remainder jammed into bit 0; exp is 0 or -1.
func div128(ma, mb uint64) (hi, lo uint64, exp int) {
	q1, r := bits.Div64(ma>>1, ma<<63, mb) // ma*2^63/mb: in [2^62, 2^64)
	q0, r := bits.Div64(r, 0, mb)
	if r != 0 {
		q0 |= 1
	}
	if q1&intBit == 0 {
		return q1<<1 | q0>>63, q0 << 1, -1
	}
	return q1, q0, 0
}

// Sqrt returns the square root of x (fsqrt).
func (e *Env) Sqrt(x F80) F80 {
	e.begin()
	switch {
	case x.isUnsupported():
		return e.invalid()
	case x.IsNaN():
		return e.nan2(x, x)
	case x.isZero():
		e.setC1(false)
		return x
	}
	if x.Neg() { // a negative denormal raises IE alone
		return e.invalid()
	}
	if x.isDenormal() {
		e.raise(DE)
		if !e.masked(DE) {
			return Indefinite
		}
	}
	if x.isInf() {
		e.setC1(false)
		return x
	}
	m, ex := x.norm()
	// x = m * 2^k with k = ex-63; take the root of m*2^64 (k even) or
	// m*2^63 (k odd), a 64-bit root with its top bit set.
	k := ex - 63
	var nh, nl uint64
	var j int
	if k&1 == 0 {
		nh, nl, j = m, 0, (k-64)/2
	} else {
		nh, nl, j = m>>1, m<<63, (k-63)/2
	}
	r, above, exact := isqrt128(nh, nl)
	var lo uint64
	switch {
	case exact:
	case above:
		lo = 1<<63 | 1
	default:
		lo = 1
	}
	return e.round(false, j+63+expBias, r, lo, e.precBits())
}

// isqrt128 returns r = floor(sqrt(n)) for n = nh:nl in [2^126, 2^128),
// whether sqrt(n) - r > 1/2, and whether the root is exact.
func isqrt128(nh, nl uint64) (r uint64, above, exact bool) {
	f := math.Sqrt(float64(nh)*0x1p64 + float64(nl))
	if f >= 0x1p64 {
		r = math.MaxUint64
	} else {
		r = uint64(f)
	}
	// One Newton step from the 53-bit estimate: r += (n - r^2) / 2r.
	sh, sl := bits.Mul64(r, r)
	if sh < nh || sh == nh && sl <= nl {
		dl, b := bits.Sub64(nl, sl, 0)
		dh, _ := bits.Sub64(nh, sh, b)
		if dh < r {
			q, _ := bits.Div64(dh, dl, r)
			r += q / 2
		}
	} else {
		dl, b := bits.Sub64(sl, nl, 0)
		dh, _ := bits.Sub64(sh, nh, b)
		if dh < r {
			q, _ := bits.Div64(dh, dl, r)
			r -= (q + 1) / 2
		}
	}
	// Now within one or two of the root: correct exactly.
	for {
		sh, sl = bits.Mul64(r, r)
		if sh > nh || sh == nh && sl > nl {
			r--
			continue
		}
		break
	}
	for r != math.MaxUint64 {
		th, tl := bits.Mul64(r+1, r+1)
		if th > nh || th == nh && tl > nl {
			break
		}
		r++
	}
	sh, sl = bits.Mul64(r, r)
	rl, b := bits.Sub64(nl, sl, 0)
	rh, _ := bits.Sub64(nh, sh, b)
	return r, rh != 0 || rl > r, rh|rl == 0
}
