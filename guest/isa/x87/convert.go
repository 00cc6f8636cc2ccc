package x87

import "math/bits"

// Conversions between the register format and the memory formats: 32-
// and 64-bit floats (fld, fst), 16-, 32- and 64-bit integers (fild,
// fist, fisttp), 18-digit packed BCD (fbld, fbstp), and rounding to an
// integer value in place (frndint).

// FromFloat32 converts the float32 with bits f (fld m32). The conversion
// is exact; an SNaN raises IE and is quieted, a denormal raises DE.
func (e *Env) FromFloat32(f uint32) F80 {
	e.begin()
	return e.fromIEEE(uint64(f), 23, 8)
}

// FromFloat64 converts the float64 with bits f (fld m64).
func (e *Env) FromFloat64(f uint64) F80 {
	e.begin()
	return e.fromIEEE(f, 52, 11)
}

// fromIEEE converts a binary float with fb fraction bits and eb exponent
// bits.
func (e *Env) fromIEEE(f uint64, fb, eb uint) F80 {
	e.abort = IE // an unmasked DE still loads the value
	neg := f>>(fb+eb)&1 != 0
	emax := uint64(1)<<eb - 1
	bias := int(emax >> 1)
	ex := f >> fb & emax
	frac := f & (1<<fb - 1)
	e.setC1(false)
	switch {
	case ex == emax:
		m := intBit | frac<<(63-fb)
		if frac != 0 && frac>>(fb-1) == 0 {
			e.raise(IE) // SNaN
			m |= qBit
		}
		return F80{m, sgn(neg) | expMax}
	case ex == 0 && frac == 0:
		return zeroOf(neg)
	case ex == 0:
		e.raise(DE)
		n := bits.LeadingZeros64(frac)
		return F80{frac << n, sgn(neg) | uint16(expBias-bias+64-int(fb)-n)}
	}
	return F80{intBit | frac<<(63-fb), sgn(neg) | uint16(int(ex)-bias+expBias)}
}

// Operand32 and Operand64 convert the float32 or float64 memory operand
// of an arithmetic instruction or a compare (fadd m32, fdivr m64, fcom
// m32, ...) for the operation called next with it. Unlike a load, the
// conversion raises nothing itself: the hardware treats the operand as
// the operation's own, so an SNaN stays an SNaN (a QNaN in the register
// wins over it, and IE comes from the operation), and a denormal counts
// as a denormal operand of the operation (DE, and an abandoned operation
// when DE is unmasked) although it is normal in the register format.
func (e *Env) Operand32(f uint32) F80 { return e.operand(uint64(f), 23, 8) }

// Operand64 is Operand32 for a float64.
func (e *Env) Operand64(f uint64) F80 { return e.operand(f, 52, 11) }

func (e *Env) operand(f uint64, fb, eb uint) F80 {
	emax := uint64(1)<<eb - 1
	ex := f >> fb & emax
	frac := f & (1<<fb - 1)
	if ex == emax && frac != 0 {
		// Widen the NaN as it is, signalling or quiet.
		return F80{intBit | frac<<(63-fb), sgn(f>>(fb+eb)&1 != 0) | expMax}
	}
	var t Env
	x := t.fromIEEE(f, fb, eb)
	e.memDE = ex == 0 && frac != 0
	return x
}

// ToFloat32 rounds x to a float32 with RC (fst m32) and returns its bits.
// PC does not apply. Out-of-range results overflow or underflow with the
// float32 exponent range; an unsupported operand or an SNaN raises IE
// (the masked responses are the float32 indefinite and the quieted NaN,
// its payload truncated).
func (e *Env) ToFloat32(x F80) uint32 {
	e.begin()
	e.abort |= OE | UE
	return uint32(e.toIEEE(x, 23, 8))
}

// ToFloat64 rounds x to a float64 with RC (fst m64).
func (e *Env) ToFloat64(x F80) uint64 {
	e.begin()
	e.abort |= OE | UE
	return e.toIEEE(x, 52, 11)
}

func (e *Env) toIEEE(x F80, fb, eb uint) uint64 {
	neg := x.Neg()
	s := uint64(0)
	if neg {
		s = 1 << (fb + eb)
	}
	emaxf := uint64(1)<<eb - 1
	bias := int(emaxf >> 1)
	infBits := s | emaxf<<fb
	e.setC1(false)
	switch {
	case x.isUnsupported():
		e.raise(IE)
		return 1<<(fb+eb) | emaxf<<fb | 1<<(fb-1)
	case x.IsNaN():
		if x.Mant&qBit == 0 {
			e.raise(IE)
		}
		return infBits | 1<<(fb-1) | x.Mant<<1>>(64-fb)
	case x.isInf():
		return infBits
	case x.isZero():
		return s
	}
	// A denormal raises no DE here: it underflows.
	m, ex := x.norm()
	p := fb + 1
	sh := 64 - p
	rc := e.rc()
	r, carry, inexact, up := roundBits(m, 0, sh, rc, neg)
	rex := ex
	if carry {
		r = intBit
		rex++
	}
	switch {
	case rex > bias:
		if !e.masked(OE) {
			e.raise(OE)
			return 0
		}
		e.raise(OE | PE)
		if rc == 0 || rc == 1 && neg || rc == 2 && !neg {
			e.setC1(true)
			return infBits
		}
		return s | (emaxf-1)<<fb | 1<<fb - 1
	case rex < 1-bias:
		if !e.masked(UE) {
			e.raise(UE)
			return 0
		}
		hi, lo := shr128(m, 0, uint(min(1-bias-ex, 200)))
		r, _, inexact, up = roundBits(hi, lo, sh, rc, neg)
		e.setC1(up)
		if inexact {
			e.raise(UE | PE)
		}
		// r>>sh has the integer bit where the result became the smallest
		// normal: it then carries into the exponent field.
		return s | r>>sh
	}
	e.setC1(up)
	if inexact {
		e.raise(PE)
	}
	return s | uint64(rex+bias)<<fb | r<<1>>(sh+1)
}

// FromInt converts an integer (fild m16, m32, m64): exact, no exceptions.
func (e *Env) FromInt(v int64) F80 {
	e.begin()
	e.setC1(false)
	if v == 0 {
		return PosZero
	}
	m := uint64(v)
	neg := v < 0
	if neg {
		m = -m
	}
	n := bits.LeadingZeros64(m)
	return F80{m << n, sgn(neg) | uint16(expBias+63-n)}
}

// toInt rounds x to an integer with rc: its magnitude and sign, or ok
// false when x is not finite or its magnitude reaches 2^64. It raises DE
// for a denormal and sets inexact and up.
func toInt(x F80, rc uint16) (v uint64, neg, ok, inexact, up bool) {
	neg = x.Neg()
	switch {
	case x.isUnsupported() || x.SE&expMax == expMax:
		return 0, neg, false, false, false
	case x.isZero():
		return 0, neg, true, false, false
	}
	m, ex := x.unpack()
	switch {
	case ex >= 64:
		return 0, neg, false, false, false
	case ex == 63:
		return m, neg, true, false, false
	}
	hi, lo := shr128(m, 0, uint(min(63-ex, 200)))
	v, carry, inexact, up := roundBits(hi, lo, 0, rc, neg)
	return v, neg, !carry, inexact, up
}

// ToInt rounds x to a signed integer of size bits (16, 32 or 64) with RC
// (fist, fistp) and returns it sign-extended. A NaN, an infinity, an
// unsupported encoding or a value out of range raises IE; the masked
// response is the integer indefinite, the most negative value.
func (e *Env) ToInt(x F80, size int) int64 {
	e.begin()
	return e.toInt(x, size, e.rc())
}

// ToIntTrunc is ToInt rounding toward zero whatever RC says (fisttp).
func (e *Env) ToIntTrunc(x F80, size int) int64 {
	e.begin()
	return e.toInt(x, size, 3)
}

func (e *Env) toInt(x F80, size int, rc uint16) int64 {
	indef := int64(-1) << (size - 1)
	e.setC1(false)
	if x.IsNaN() || x.isUnsupported() {
		e.raise(IE)
		return indef
	}
	v, neg, ok, inexact, up := toInt(x, rc)
	lim := uint64(1) << (size - 1)
	if !ok || v > lim || v == lim && !neg {
		e.raise(IE)
		return indef
	}
	e.setC1(up)
	if inexact {
		e.raise(PE)
	}
	if neg {
		return -int64(v)
	}
	return int64(v)
}

// Round rounds x to an integer value with RC (frndint); PC does not
// apply.
func (e *Env) Round(x F80) F80 {
	e.begin()
	switch {
	case x.isUnsupported():
		return e.invalid()
	case x.IsNaN():
		return e.nan2(x, x)
	case x.isZero() || x.isInf():
		e.setC1(false)
		return x
	}
	if x.isDenormal() {
		e.raise(DE)
		if !e.masked(DE) {
			return Indefinite
		}
	}
	m, ex := x.unpack()
	if ex >= 63 {
		e.setC1(false)
		return x
	}
	v, neg, _, inexact, up := toInt(x, e.rc())
	e.setC1(up)
	if inexact {
		e.raise(PE)
	}
	if v == 0 {
		return zeroOf(neg)
	}
	_ = m
	n := bits.LeadingZeros64(v)
	return F80{v << n, sgn(neg) | uint16(expBias+63-n)}
}

// BCD is an 18-digit packed decimal integer in its memory layout: bytes
// 0-8 hold two digits each, least significant first (low nibble first),
// bit 7 of byte 9 is the sign.
type BCD [10]byte

// BCDIndefinite is the masked response of ToBCD to an invalid operand.
var BCDIndefinite = BCD{7: 0xc0, 8: 0xff, 9: 0xff}

// FromBCD converts a packed decimal (fbld): exact, no exceptions. Digits
// above 9 are undefined in the manual; they count at their binary value,
// as a plain positional sum.
func (e *Env) FromBCD(b BCD) F80 {
	e.begin()
	e.setC1(false)
	var v uint64
	for i := 8; i >= 0; i-- {
		v = v*100 + uint64(b[i]>>4)*10 + uint64(b[i]&15)
	}
	neg := b[9]&0x80 != 0
	if v == 0 {
		return zeroOf(neg)
	}
	n := bits.LeadingZeros64(v)
	return F80{v << n, sgn(neg) | uint16(expBias+63-n)}
}

// ToBCD rounds x to an integer with RC and converts it to packed decimal
// (fbstp). A NaN, an infinity, an unsupported encoding or a magnitude
// above 10^18-1 raises IE (masked response BCDIndefinite).
func (e *Env) ToBCD(x F80) BCD {
	e.begin()
	e.setC1(false)
	if x.IsNaN() || x.isUnsupported() {
		e.raise(IE)
		return BCDIndefinite
	}
	v, neg, ok, inexact, up := toInt(x, e.rc())
	if !ok || v > 999999999999999999 {
		e.raise(IE)
		return BCDIndefinite
	}
	e.setC1(up)
	if inexact {
		e.raise(PE)
	}
	var b BCD
	for i := 0; i < 9; i++ {
		d := v % 100
		v /= 100
		b[i] = byte(d/10)<<4 | byte(d%10)
	}
	if neg {
		b[9] = 0x80
	}
	return b
}
