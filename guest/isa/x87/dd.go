package x87

import (
	"math"
	"math/bits"
)

// Double-double arithmetic for the transcendental functions: a value is
// the unevaluated sum hi + lo of two float64s with |lo| <= ulp(hi)/2,
// about 106 bits of significand. Products use math.FMA (one instruction
// on this machine) for the exact error term. Only finite values in the
// float64 range occur: exponents beyond it are carried separately by the
// callers.

type dd struct{ hi, lo float64 }

// twoSum returns s = fl(a+b) and the exact error a+b-s.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return
}

// fastTwoSum is twoSum for |a| >= |b|.
func fastTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return
}

func ddAdd(a, b dd) dd {
	s, e := twoSum(a.hi, b.hi)
	t, f := twoSum(a.lo, b.lo)
	e += t
	s, e = fastTwoSum(s, e)
	e += f
	s, e = fastTwoSum(s, e)
	return dd{s, e}
}

func ddAddF(a dd, b float64) dd {
	s, e := twoSum(a.hi, b)
	e += a.lo
	s, e = fastTwoSum(s, e)
	return dd{s, e}
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

func ddSub(a, b dd) dd { return ddAdd(a, ddNeg(b)) }

func ddMul(a, b dd) dd {
	p := a.hi * b.hi
	e := math.FMA(a.hi, b.hi, -p)
	e += a.hi*b.lo + a.lo*b.hi
	p, e = fastTwoSum(p, e)
	return dd{p, e}
}

func ddMulF(a dd, b float64) dd {
	p := a.hi * b
	e := math.FMA(a.hi, b, -p)
	e += a.lo * b
	p, e = fastTwoSum(p, e)
	return dd{p, e}
}

func ddDiv(a, b dd) dd {
	q1 := a.hi / b.hi
	r := ddSub(a, ddMulF(b, q1))
	q2 := r.hi / b.hi
	r = ddSub(r, ddMulF(b, q2))
	q3 := r.hi / b.hi
	q1, q2 = fastTwoSum(q1, q2)
	return ddAddF(dd{q1, q2}, q3)
}

// ddLdexp multiplies by 2^k (no overflow or underflow in the uses).
func ddLdexp(a dd, k int) dd { return dd{math.Ldexp(a.hi, k), math.Ldexp(a.lo, k)} }

// mantDD is a normalised 64-bit significand m as the value m/2^63 in
// [1, 2), exactly.
func mantDD(m uint64) dd {
	hi := float64(m&^0x7ff) * 0x1p-63
	lo := float64(m&0x7ff) * 0x1p-63
	hi, lo = fastTwoSum(hi, lo)
	return dd{hi, lo}
}

// f80DD returns a finite non-zero x as (v, k): x = v * 2^k, v in
// (-2, -1] or [1, 2), exact.
func f80DD(x F80) (dd, int) {
	m, ex := x.norm()
	v := mantDD(m)
	if x.Neg() {
		v = ddNeg(v)
	}
	return v, ex
}

// How a double-double relates to the true value it stands for.
const (
	inexact = iota // the true value is near, on an unknown side
	exactV         // the double-double is the exact value
	belowV         // the true value is a hair smaller in magnitude
	aboveV         // the true value is a hair larger in magnitude
)

// roundDD rounds the value v * 2^k to the register format with RC (64-bit
// precision), raising PE (and UE, OE as the value requires) and setting
// C1. adj tells where the true value lies: a hair (far below the 64-bit
// rounding point, but not 0) toward zero or away from it, or unknown,
// which counts as away from zero, or exactly there.
func (e *Env) roundDD(v dd, k int, adj int) F80 {
	return e.roundSum(v, dd{}, k, adj)
}

// roundSum is roundDD of the value (x + c) * 2^k, where c is small next
// to x (|c| < |x|/2) and both are double-doubles: the four parts are
// summed exactly in a 128-bit frame (what falls below it jammed into a
// sticky bit), so a result that x alone holds exactly and a correction c
// accurate to its own 106 bits round right even when the sum lies within
// 2^-106 of a rounding boundary (tan x = x + x^3/3 + ... for x = 3*2^-28).
func (e *Env) roundSum(x, c dd, k int, adj int) F80 {
	neg := x.hi < 0
	if neg {
		x, c = ddNeg(x), ddNeg(c)
	}
	if x.hi == 0 {
		return zeroOf(neg)
	}
	fh, eh := math.Frexp(x.hi) // x.hi = fh * 2^eh, fh in [0.5, 1)
	mh := uint64(fh * 0x1p53)  // 53-bit integer: x.hi = mh * 2^(eh-53)
	// The 128-bit frame: mh at bits 125..73 (two bits of headroom for
	// the sum), so the unit is 2^(eh-53-73).
	hi, lo := mh<<9, uint64(0)
	for _, p := range [3]float64{x.lo, c.hi, c.lo} {
		if p == 0 {
			continue
		}
		fl, el := math.Frexp(p)
		if fl < 0 {
			fl = -fl
		}
		ml := uint64(fl * 0x1p53)
		// p = ml * 2^(el-53); in frame units: ml * 2^(el-eh+73), and
		// |p| < |x.hi| keeps the shift at most 73: it fits.
		var ph, pl uint64
		sh := el - eh + 73
		switch {
		case sh >= 64:
			ph = ml << uint(sh-64)
		case sh >= 0:
			ph, pl = ml>>(64-uint(sh)), ml<<uint(sh) // a shift by 64 gives 0
		default: // below the frame: shift right, jamming
			r := uint(-sh)
			pl = 1
			if r < 64 {
				pl = ml >> r
				if ml<<(64-r) != 0 {
					pl |= 1
				}
			}
		}
		var cy uint64
		if p > 0 {
			lo, cy = bits.Add64(lo, pl, 0)
			hi, _ = bits.Add64(hi, ph, cy)
		} else {
			lo, cy = bits.Sub64(lo, pl, 0)
			hi, _ = bits.Sub64(hi, ph, cy)
		}
	}
	switch adj {
	case belowV:
		var b uint64
		lo, b = bits.Sub64(lo, 1, 0)
		hi -= b
	case inexact, aboveV:
		lo |= 1
	}
	hi, lo, n := norm128(hi, lo)
	// Value = hi:lo * 2^(eh-126-n) * 2^k.
	return e.round(neg, eh+1-n+k+expBias, hi, lo, 64)
}
