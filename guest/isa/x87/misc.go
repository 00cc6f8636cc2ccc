package x87

import "math/bits"

// Partial remainder, scale and extract.

// Prem returns the partial remainder of x (ST(0)) by y (ST(1)): fprem
// when ieee is false (the quotient truncated toward zero, so the
// remainder has the sign of x), fprem1 when it is true (the quotient
// rounded to nearest, ties to even: the IEEE remainder). When the
// exponents of x and y differ by less than 64 the remainder is complete
// and exact: C2 is cleared and C0, C3, C1 receive the quotient's bits 2,
// 1 and 0. Otherwise x is reduced by y*2^(D-N) where D is the exponent
// difference and N = 32 + D mod 32, with the quotient truncated in both
// forms, C2 is set and C0 C1 C3 cleared: the program loops until C2 is
// clear. An infinite x or a zero y is invalid; an infinite y leaves x.
func (e *Env) Prem(x, y F80, ieee bool) F80 {
	e.begin()
	// Without a remainder (NaN, invalid, abandoned), C2 is cleared and C0
	// C3 are left alone.
	e.SW &^= C2
	switch {
	case x.isUnsupported() || y.isUnsupported():
		return e.invalid()
	case x.IsNaN() || y.IsNaN():
		return e.nan2(x, y)
	case x.isInf() || y.isZero():
		return e.invalid()
	}
	if x.isDenormal() || y.isDenormal() {
		e.raise(DE)
		if !e.masked(DE) {
			return Indefinite
		}
	}
	if y.isInf() || x.isZero() {
		e.setCC(0)
		e.setC1(false)
		return e.exact(x)
	}
	mx, ex := x.norm()
	my, ey := y.norm()
	neg := x.Neg()
	d := ex - ey
	if d >= 64 {
		n := d&31 | 32
		// The divisor y*2^(d-n) has exponent ex-n: reduce x by it with a
		// truncated quotient (n < 64, so the integer remainder below is
		// exact).
		r, _ := remTrunc(mx, my, n)
		e.setCC(C2)
		e.setC1(false)
		return e.pack(neg, ex-n, r)
	}
	if d < 0 {
		if !ieee || d < -1 || mx <= my {
			// |x| < |y|/2, or a tie with quotient 0 (even): x itself.
			e.setCC(0)
			e.setC1(false)
			return e.exact(x)
		}
		// d = -1 and |x| > |y|/2: quotient 1, remainder |y| - |x| with
		// the sign of -x, at x's exponent: (2*my - mx) * 2^(ex-63).
		hi, lo := uint64(0), my
		lo, c := bits.Add64(lo, my, 0)
		hi += c
		lo, c = bits.Sub64(lo, mx, 0)
		hi -= c
		e.setCC(0)
		e.setC1(true)
		return e.pack128(!neg, ex+64, hi, lo)
	}
	r, q := remTrunc(mx, my, d)
	if ieee {
		// Round the quotient to nearest: compare 2r with my.
		twice := r<<1 | 0
		over := r>>63 != 0 || twice > my
		tie := r>>63 == 0 && twice == my
		if over || tie && q&1 != 0 {
			q++
			r = my - r
			neg = !neg
		}
	}
	var cc uint16
	if q&4 != 0 {
		cc |= C0
	}
	if q&2 != 0 {
		cc |= C3
	}
	e.setCC(cc)
	e.setC1(q&1 != 0)
	return e.pack(neg, ey, r)
}

// remTrunc divides mx*2^d by my (0 <= d < 64, both normalised) and
// returns the remainder and the low 64 bits of the quotient.
func remTrunc(mx, my uint64, d int) (r, q uint64) {
	hi, lo := uint64(0), mx
	if d > 0 {
		hi, lo = mx>>(64-uint(d)), mx<<uint(d)
	}
	q, r = bits.Div64(hi, lo, my)
	return r, q
}

// pack returns the exact value m * 2^(ex-63) (m may be 0 or unnormalised),
// through round so that tiny results underflow as the hardware does.
func (e *Env) pack(neg bool, ex int, m uint64) F80 {
	return e.pack128(neg, ex+64, 0, m)
}

// pack128 returns the exact value hi:lo * 2^(ex-127).
func (e *Env) pack128(neg bool, ex int, hi, lo uint64) F80 {
	if hi|lo == 0 {
		return zeroOf(neg)
	}
	hi, lo, n := norm128(hi, lo)
	c1 := e.SW & C1
	r := e.round(neg, ex-n+expBias, hi, lo, 64)
	e.SW = e.SW&^C1 | c1 // exact: round leaves C1 to the caller
	return r
}

// exact returns x itself, normalised when it is a denormal whose value is
// representable (a pseudo-denormal), as the arithmetic does.
func (e *Env) exact(x F80) F80 {
	if x.isZero() || x.SE&expMax != 0 {
		return x
	}
	m, ex := x.norm()
	return e.pack(x.Neg(), ex, m)
}

// Scale returns x * 2^trunc(y) (fscale; x is ST(0), y is ST(1)), rounded
// with RC only when it overflows or underflows (PC does not apply).
func (e *Env) Scale(x, y F80) F80 {
	e.begin()
	if r, ok := e.pre2(x, y); ok {
		return r
	}
	e.setC1(false)
	switch {
	case y.isInf():
		switch {
		case x.isInf() && y.Neg(), x.isZero() && !y.Neg():
			return e.invalid()
		case x.isZero() || x.isInf():
			return x
		case y.Neg():
			return zeroOf(x.Neg())
		}
		return infOf(x.Neg())
	case x.isZero() || x.isInf():
		return x
	}
	mx, ex := x.norm()
	// trunc(y), clamped: beyond +-2^17 every finite x over- or underflows.
	var k int
	if !y.isZero() {
		my, ey := y.norm()
		switch {
		case ey >= 17:
			k = 1 << 17
		case ey >= 0:
			k = int(my >> (63 - uint(ey)))
		}
		if y.Neg() {
			k = -k
		}
	}
	hi := mx
	r := e.round(x.Neg(), ex+k+expBias, hi, 0, 64)
	return r
}

// Extract splits x into its exponent and significand (fxtract): it
// returns the unbiased exponent as a value (ST(1) after the instruction)
// and the significand with exponent 0, the sign of x (ST(0)). A zero
// raises ZE and gives -infinity and the zero; an infinity gives +infinity
// and itself; a NaN gives itself twice; denormals are normalised (DE).
func (e *Env) Extract(x F80) (exp, sig F80) {
	e.begin()
	e.setC1(false)
	switch {
	case x.isUnsupported():
		e.raise(IE)
		return Indefinite, Indefinite
	case x.IsNaN():
		q := e.nan2(x, x)
		return q, q
	case x.isZero():
		e.raise(ZE)
		return NegInf, x
	case x.isInf():
		return PosInf, x
	}
	if x.isDenormal() {
		e.raise(DE)
		if !e.masked(DE) {
			return Indefinite, Indefinite
		}
	}
	m, ex := x.norm()
	var ev F80
	if ex != 0 {
		v := uint64(ex)
		if ex < 0 {
			v = uint64(-ex)
		}
		n := bits.LeadingZeros64(v)
		ev = F80{v << n, sgn(ex < 0) | uint16(expBias+63-n)}
	}
	return ev, F80{m, sgn(x.Neg()) | expBias}
}

// Constant names a value the constant loads push.
type Constant uint8

const (
	ConstOne  Constant = iota // fld1
	ConstL2T                  // fldl2t: log2 10
	ConstL2E                  // fldl2e: log2 e
	ConstPi                   // fldpi
	ConstLG2                  // fldlg2: log10 2
	ConstLN2                  // fldln2: ln 2
	ConstZero                 // fldz
)

// Const returns a constant rounded to 64 bits as RC says (fld1, fldl2t,
// fldl2e, fldpi, fldlg2, fldln2, fldz). It raises nothing (not even PE)
// and clears C1.
func (e *Env) Const(c Constant) F80 {
	e.begin()
	var v dd
	switch c {
	case ConstOne:
		return One
	case ConstZero:
		return PosZero
	case ConstL2T:
		v = ddConsts[cLog2of10]
	case ConstL2E:
		v = ddConsts[cLog2e]
	case ConstPi:
		v = ddConsts[cPi]
	case ConstLG2:
		v = ddConsts[cLog10of2]
	default:
		v = ddConsts[cLn2]
	}
	t := Env{CW: e.CW}
	return t.roundDD(v, 0, inexact)
}

// Tag is the two-bit tag of a register that holds x, as fnstenv and
// fnsave write it: 0 valid, 1 zero, 2 special (NaN, infinity, denormal,
// pseudo-denormal, unsupported); 3, empty, is the caller's to know.
func (x F80) Tag() uint16 {
	switch x.Class() {
	case Normal:
		return 0
	case Zero:
		return 1
	}
	return 2
}
