package vec

import (
	"math/bits"
)

// The software floating-point core. Every floating-point result in this
// package goes through format.round, which rounds an exact value (carried
// as a 128-bit significand whose lowest bit is "jammed": set when any
// nonzero bit was shifted out below it) to the format in the requested
// rounding mode and derives the exception flags, tininess, flush-to-zero
// and overflow responses the way SSE hardware does. The operations
// produce that exact value with integer arithmetic (math/bits), so every
// rounding mode is exact and no host floating point is involved.

// format describes an IEEE binary interchange format.
type format struct {
	p     uint // significand bits, including the integer bit
	ebits uint // exponent field bits
	bias  int
}

var (
	f16 = &format{p: 11, ebits: 5, bias: 15}
	f32 = &format{p: 24, ebits: 8, bias: 127}
	f64 = &format{p: 53, ebits: 11, bias: 1023}
)

func (f *format) signBit() uint64  { return 1 << (f.p - 1 + f.ebits) }
func (f *format) fracMask() uint64 { return 1<<(f.p-1) - 1 }
func (f *format) expField() uint64 { return (1<<f.ebits - 1) << (f.p - 1) }
func (f *format) quietBit() uint64 { return 1 << (f.p - 2) }
func (f *format) width() uint      { return f.p + f.ebits }

// defaultNaN is the "QNaN floating-point indefinite": negative, quiet,
// zero payload.
func (f *format) defaultNaN() uint64 { return f.signBit() | f.expField() | f.quietBit() }

func (f *format) inf(neg bool) uint64 { return f.sign(neg) | f.expField() }
func (f *format) maxFinite(neg bool) uint64 {
	return f.sign(neg) | (f.expField() - 1<<(f.p-1)) | f.fracMask()
}
func (f *format) zero(neg bool) uint64 { return f.sign(neg) }

func (f *format) sign(neg bool) uint64 {
	if neg {
		return f.signBit()
	}
	return 0
}

func (f *format) isNaN(x uint64) bool {
	return x&f.expField() == f.expField() && x&f.fracMask() != 0
}

func (f *format) isSNaN(x uint64) bool { return f.isNaN(x) && x&f.quietBit() == 0 }

// isDenormal reports a nonzero value with a zero exponent field.
func (f *format) isDenormal(x uint64) bool {
	return x&f.expField() == 0 && x&f.fracMask() != 0
}

type kind uint8

const (
	kZero kind = iota
	kFinite
	kInf
	kNaN
)

// num is an unpacked operand.
type num struct {
	kind kind
	neg  bool
	snan bool
	e    int    // kFinite: the value is m × 2^(e-63)
	m    uint64 // kFinite: bit 63 set
	bits uint64 // the encoding (NaN propagation)
}

// unpack decodes x; with MXCSR.DAZ a denormal is a zero of the same sign
// and raises nothing, otherwise it raises DE.
func (f *format) unpack(x uint64, mx uint32) (num, uint32) {
	n := num{neg: x&f.signBit() != 0, bits: x}
	ef := x & f.expField() >> (f.p - 1)
	frac := x & f.fracMask()
	switch {
	case ef == 1<<f.ebits-1:
		if frac == 0 {
			n.kind = kInf
		} else {
			n.kind = kNaN
			n.snan = frac&f.quietBit() == 0
		}
	case ef == 0:
		if frac == 0 {
			n.kind = kZero
			return n, 0
		}
		if mx&DAZ != 0 {
			n.kind = kZero
			return n, 0
		}
		s := uint(bits.LeadingZeros64(frac))
		n.kind = kFinite
		n.m = frac << s
		n.e = 1 - f.bias - int(f.p) + 64 - int(s)
		return n, DE
	default:
		n.kind = kFinite
		n.m = (1<<(f.p-1) | frac) << (64 - f.p)
		n.e = int(ef) - f.bias
	}
	return n, 0
}

// daz returns x, or with MXCSR.DAZ a zero of its sign if it is a denormal.
func (f *format) daz(x uint64, mx uint32) uint64 {
	if mx&DAZ != 0 && f.isDenormal(x) {
		return x & f.signBit()
	}
	return x
}

// quiet returns the NaN x with its quiet bit set.
func (f *format) quiet(x uint64) uint64 { return x | f.quietBit() }

// roundShift shifts m right by sh and rounds the dropped bits in mode rc
// (neg is the sign of the value, for the directed modes). It returns the
// rounded integer and whether anything nonzero was dropped.
func roundShift(m uint64, sh uint, rc uint32, neg bool) (uint64, bool) {
	var q, rem uint64 // rem: the dropped bits as a binary fraction
	switch {
	case sh > 64:
		if m != 0 {
			rem = 1
		}
	case sh == 64:
		rem = m
	default:
		q, rem = m>>sh, m<<(64-sh)
	}
	inexact := rem != 0
	switch rc {
	case RoundNearest:
		if rem > 1<<63 || rem == 1<<63 && q&1 != 0 {
			q++
		}
	case RoundUp:
		if !neg && inexact {
			q++
		}
	case RoundDown:
		if neg && inexact {
			q++
		}
	}
	return q, inexact
}

// tinyBeforeRounding selects the IEEE tininess rule. SSE detects tininess
// after rounding: a result is tiny when, rounded to the full precision
// with an unbounded exponent, it is below the smallest normal.
const tinyBeforeRounding = false

// round rounds (-1)^neg × (hi:lo) × 2^(e-127) to f in mode rc, with the
// FTZ bit and the exception masks of mx. hi:lo must not be zero; its lowest
// bit is jammed (see the file comment).
func (f *format) round(neg bool, e int, hi, lo uint64, rc, mx uint32) (uint64, uint32) {
	if hi == 0 {
		hi, lo, e = lo, 0, e-64
	}
	if s := uint(bits.LeadingZeros64(hi)); s > 0 {
		hi, lo, e = hi<<s|lo>>(64-s), lo<<s, e-int(s)
	}
	m := hi
	if lo != 0 {
		m |= 1
	}
	emin, emax := 1-f.bias, f.bias
	sign := f.sign(neg)
	sh := 64 - f.p
	tiny := false
	if e < emin {
		if tinyBeforeRounding || e < emin-1 {
			tiny = true
		} else {
			q, _ := roundShift(m, sh, rc, neg)
			tiny = q>>f.p == 0
		}
		sh += uint(emin - e)
	}
	q, inexact := roundShift(m, sh, rc, neg)
	var fl uint32
	if inexact {
		fl = PE
	}
	if tiny {
		if mx&(UE<<MaskShift) == 0 {
			// Unmasked: the result is not stored; PE reports whether
			// the exponent-adjusted result, rounded to the full
			// precision, is inexact (measured).
			fl = 0
			if _, inx := roundShift(m, 64-f.p, rc, neg); inx {
				fl = PE
			}
			return sign | q, UE | fl
		}
		if mx&FTZ != 0 {
			return sign, UE | PE
		}
		if inexact {
			fl |= UE
		}
		return sign | q, fl // subnormal, or the smallest normal
	}
	if e < emin {
		return sign | q, fl // rounded up to the smallest normal
	}
	if q>>f.p != 0 {
		q >>= 1
		e++
	}
	if e > emax {
		if mx&(OE<<MaskShift) == 0 {
			return f.inf(neg), OE | fl // unmasked: the result is not stored
		}
		if rc == RoundZero || rc == RoundUp && neg || rc == RoundDown && !neg {
			return f.maxFinite(neg), OE | PE
		}
		return f.inf(neg), OE | PE
	}
	return sign | uint64(e+f.bias)<<(f.p-1) | q&f.fracMask(), fl
}

// pack rounds the finite nonzero n to f (a conversion between formats).
func (f *format) pack(n num, rc, mx uint32) (uint64, uint32) {
	return f.round(n.neg, n.e, n.m, 0, rc, mx)
}

// rc is the rounding mode of mx.
func rcOf(mx uint32) uint32 { return mx >> RCShift & 3 }

// shrJam shifts hi:lo right by n, jamming the dropped bits into bit 0.
func shrJam(hi, lo uint64, n uint) (uint64, uint64) {
	switch {
	case n == 0:
		return hi, lo
	case n < 64:
		st := lo << (64 - n)
		lo = lo>>n | hi<<(64-n)
		hi >>= n
		if st != 0 {
			lo |= 1
		}
	case n < 128:
		st := lo | hi<<(128-n)
		if n == 64 {
			st = lo
		}
		lo = hi >> (n - 64)
		hi = 0
		if st != 0 {
			lo |= 1
		}
	default:
		if hi|lo != 0 {
			return 0, 1
		}
	}
	return hi, lo
}

// sum adds two exact values (-1)^neg × M × 2^(e-127) whose significands
// leave bits 126 and 127 clear and bit 0 clear, and rounds the sum.
func (f *format) sum(negA bool, eA int, aHi, aLo uint64, negB bool, eB int, bHi, bLo uint64, rc, mx uint32) (uint64, uint32) {
	if eA < eB {
		negA, eA, aHi, aLo, negB, eB, bHi, bLo = negB, eB, bHi, bLo, negA, eA, aHi, aLo
	}
	bHi, bLo = shrJam(bHi, bLo, uint(eA-eB))
	var hi, lo uint64
	neg := negA
	if negA == negB {
		var c uint64
		lo, c = bits.Add64(aLo, bLo, 0)
		hi, _ = bits.Add64(aHi, bHi, c)
	} else {
		if aHi < bHi || aHi == bHi && aLo < bLo {
			aHi, aLo, bHi, bLo, neg = bHi, bLo, aHi, aLo, negB
		}
		var c uint64
		lo, c = bits.Sub64(aLo, bLo, 0)
		hi, _ = bits.Sub64(aHi, bHi, c)
		if hi|lo == 0 {
			return f.zero(rc == RoundDown), 0
		}
	}
	return f.round(neg, eA, hi, lo, rc, mx)
}

// nan2 is the result of a two-source operation with a NaN source: the
// first source's NaN, quietened, else the second's; IE for a signalling NaN.
func (f *format) nan2(a, b num) (uint64, uint32) {
	var fl uint32
	if a.snan || b.snan {
		fl = IE
	}
	if a.kind == kNaN {
		return f.quiet(a.bits), fl
	}
	return f.quiet(b.bits), fl
}

// add computes a + b (b negated when sub).
func (f *format) add(x, y uint64, sub bool, mx uint32) (uint64, uint32) {
	if mx&RCMask == 0 {
		if r, fl, ok := fastAdd(f, x, y, sub); ok {
			return r, fl
		}
	}
	return f.addExact(x, y, sub, mx)
}

// addExact is add on the exact integer path.
func (f *format) addExact(x, y uint64, sub bool, mx uint32) (uint64, uint32) {
	a, fa := f.unpack(x, mx)
	b, fb := f.unpack(y, mx)
	fl := fa | fb
	if a.kind == kNaN || b.kind == kNaN {
		return f.nan2(a, b) // a NaN operand outranks a denormal one: no DE
	}
	if sub {
		b.neg = !b.neg
	}
	rc := rcOf(mx)
	switch {
	case a.kind == kInf && b.kind == kInf:
		if a.neg != b.neg {
			return f.defaultNaN(), IE | fl
		}
		return f.inf(a.neg), fl
	case a.kind == kInf:
		return f.inf(a.neg), fl
	case b.kind == kInf:
		return f.inf(b.neg), fl
	case a.kind == kZero && b.kind == kZero:
		if a.neg == b.neg {
			return f.zero(a.neg), fl
		}
		return f.zero(rc == RoundDown), fl
	case a.kind == kZero:
		r, fr := f.pack(b, rc, mx)
		return r, fr | fl
	case b.kind == kZero:
		r, fr := f.pack(a, rc, mx)
		return r, fr | fl
	}
	r, fr := f.sum(a.neg, a.e+2, a.m>>2, a.m<<62, b.neg, b.e+2, b.m>>2, b.m<<62, rc, mx)
	return r, fr | fl
}

// mul computes a × b.
func (f *format) mul(x, y uint64, mx uint32) (uint64, uint32) {
	if mx&RCMask == 0 {
		if r, fl, ok := fastMul(f, x, y); ok {
			return r, fl
		}
	}
	return f.mulExact(x, y, mx)
}

// mulExact is mul on the exact integer path.
func (f *format) mulExact(x, y uint64, mx uint32) (uint64, uint32) {
	a, fa := f.unpack(x, mx)
	b, fb := f.unpack(y, mx)
	fl := fa | fb
	if a.kind == kNaN || b.kind == kNaN {
		return f.nan2(a, b) // a NaN operand outranks a denormal one: no DE
	}
	neg := a.neg != b.neg
	switch {
	case a.kind == kInf && b.kind == kZero || a.kind == kZero && b.kind == kInf:
		return f.defaultNaN(), IE | fl
	case a.kind == kInf || b.kind == kInf:
		return f.inf(neg), fl
	case a.kind == kZero || b.kind == kZero:
		return f.zero(neg), fl
	}
	hi, lo := bits.Mul64(a.m, b.m)
	r, fr := f.round(neg, a.e+b.e+1, hi, lo, rcOf(mx), mx)
	return r, fr | fl
}

// div computes a / b.
func (f *format) div(x, y uint64, mx uint32) (uint64, uint32) {
	if mx&RCMask == 0 {
		if r, fl, ok := fastDiv(f, x, y); ok {
			return r, fl
		}
	}
	return f.divExact(x, y, mx)
}

// divExact is div on the exact integer path.
func (f *format) divExact(x, y uint64, mx uint32) (uint64, uint32) {
	a, fa := f.unpack(x, mx)
	b, fb := f.unpack(y, mx)
	fl := fa | fb
	if a.kind == kNaN || b.kind == kNaN {
		return f.nan2(a, b) // a NaN operand outranks a denormal one: no DE
	}
	neg := a.neg != b.neg
	switch {
	case a.kind == kInf && b.kind == kInf, a.kind == kZero && b.kind == kZero:
		return f.defaultNaN(), IE | fl
	case a.kind == kInf:
		return f.inf(neg), fl
	case b.kind == kInf:
		return f.zero(neg), fl
	case b.kind == kZero:
		return f.inf(neg), ZE // outranks a denormal dividend: no DE
	case a.kind == kZero:
		return f.zero(neg), fl
	}
	e := a.e - b.e - 1
	nh, nl := a.m, uint64(0)
	if a.m >= b.m {
		nh, nl = a.m>>1, a.m<<63
		e++
	}
	q, rem := bits.Div64(nh, nl, b.m)
	var st uint64
	if rem != 0 {
		st = 1
	}
	r, fr := f.round(neg, e, q, st, rcOf(mx), mx)
	return r, fr | fl
}

// sqrt computes the square root of x.
func (f *format) sqrt(x uint64, mx uint32) (uint64, uint32) {
	if mx&RCMask == 0 {
		if r, fl, ok := fastSqrt(f, x); ok {
			return r, fl
		}
	}
	return f.sqrtExact(x, mx)
}

// sqrtExact is sqrt on the exact integer path.
func (f *format) sqrtExact(x uint64, mx uint32) (uint64, uint32) {
	a, fl := f.unpack(x, mx)
	switch {
	case a.kind == kNaN:
		if a.snan {
			fl |= IE
		}
		return f.quiet(a.bits), fl
	case a.kind == kZero:
		return x &^ (f.fracMask()), fl // ±0 (a DAZ denormal keeps its sign)
	case a.neg:
		return f.defaultNaN(), IE // outranks a denormal operand: no DE
	case a.kind == kInf:
		return x, fl
	}
	// a = m × 2^E with E = e-63; N = m << k with E-k even and N's top
	// bit at 125 or 126, so that √N has its top bit at 62 or 63.
	E := a.e - 63
	k := uint(62)
	if (E-62)&1 != 0 {
		k = 63
	}
	nh, nl := a.m>>(64-k), a.m<<k
	r := isqrt128(nh, nl)
	ph, pl := bits.Mul64(r, r)
	var st uint64
	if ph != nh || pl != nl {
		st = 1
	}
	res, fr := f.round(false, 63+(E-int(k))/2, r, st, rcOf(mx), mx)
	return res, fr | fl
}

// isqrt128 is ⌊√(hi:lo)⌋ for hi < 2^63.
func isqrt128(hi, lo uint64) uint64 {
	// A float estimate good to about 2^-52, one Newton step, then a
	// final correction of at most a few units.
	est := sqrtEstimate(hi, lo)
	if est == 0 {
		est = 1
	}
	q, _ := bits.Div64(hi, lo, est) // est > hi, so the quotient fits
	r, c := bits.Add64(est, q, 0)
	r = r>>1 | c<<63
	for {
		ph, pl := bits.Mul64(r, r)
		if ph > hi || ph == hi && pl > lo {
			r--
			continue
		}
		break
	}
	for {
		n := r + 1
		ph, pl := bits.Mul64(n, n)
		if ph < hi || ph == hi && pl <= lo {
			r = n
			continue
		}
		break
	}
	return r
}

// fma computes (±a×b) + (±c) with one rounding: the product negated when
// negP, the addend when negC.
func (f *format) fma(x, y, z uint64, negP, negC bool, mx uint32) (uint64, uint32) {
	a, fa := f.unpack(x, mx)
	b, fb := f.unpack(y, mx)
	c, fc := f.unpack(z, mx)
	if a.kind == kNaN || b.kind == kNaN || c.kind == kNaN {
		return f.nan3(a, b, c)
	}
	fl := fa | fb | fc
	neg := a.neg != b.neg != negP
	c.neg = c.neg != negC
	rc := rcOf(mx)
	switch {
	case a.kind == kInf && b.kind == kZero || a.kind == kZero && b.kind == kInf:
		return f.defaultNaN(), IE // an invalid operation outranks DE
	case a.kind == kInf || b.kind == kInf:
		if c.kind == kInf && c.neg != neg {
			return f.defaultNaN(), IE
		}
		return f.inf(neg), fl
	case c.kind == kInf:
		return f.inf(c.neg), fl
	case a.kind == kZero || b.kind == kZero:
		if c.kind == kZero {
			if c.neg == neg {
				return f.zero(neg), fl
			}
			return f.zero(rc == RoundDown), fl
		}
		r, fr := f.pack(c, rc, mx)
		return r, fr | fl
	}
	ph, pl := bits.Mul64(a.m, b.m)
	ph, pl = ph>>2, pl>>2|ph<<62
	ep := a.e + b.e + 3
	if c.kind == kZero {
		r, fr := f.round(neg, ep, ph, pl, rc, mx)
		return r, fr | fl
	}
	r, fr := f.sum(neg, ep, ph, pl, c.neg, c.e+2, c.m>>2, c.m<<62, rc, mx)
	return r, fr | fl
}

// nan3 is the result of a three-source operation with a NaN source: the
// first NaN of a, b, c, quietened; IE for a signalling NaN.
func (f *format) nan3(a, b, c num) (uint64, uint32) {
	var fl uint32
	if a.snan || b.snan || c.snan {
		fl = IE
	}
	switch {
	case a.kind == kNaN:
		return f.quiet(a.bits), fl
	case b.kind == kNaN:
		return f.quiet(b.bits), fl
	}
	return f.quiet(c.bits), fl
}
