package x87

import "math/bits"

// Rounding. An exact (or sticky-jammed) intermediate result is a sign, a
// biased exponent without bounds and a 128-bit significand hi:lo whose
// bit 127 is set: the value is hi:lo * 2^(exp-16383-127). round takes it
// to the destination format as the x87 does:
//
//   - the significand is rounded to the precision PC selects (or 64 bits
//     for the operations PC does not govern), at bit 64-p of hi, with RC;
//   - the result is tiny when, so rounded with an unbounded exponent, it
//     is below 2^-16382 (tininess after rounding, which is what the host
//     FPU shows: 2^-16382*(1-2^-64) at 53 bits raises no underflow);
//   - a tiny result with underflow masked is denormalised first (shifted
//     right to exponent 1, jamming what falls out into a sticky bit) and
//     rounded at the same bit position as a normal one, so a denormal
//     keeps fewer bits; UE is raised only when it is also inexact;
//   - with underflow unmasked, a tiny result raises UE, exact or not, and
//     is the rounded significand with its exponent plus 24576;
//   - a result whose rounded exponent exceeds 0x7ffe overflows: masked,
//     it becomes infinity or the largest finite value of the precision,
//     as RC and the sign say (OE and PE); unmasked, it is the rounded
//     significand with its exponent minus 24576;
//   - (fscale only) when even the wrapped exponent is out of range, the
//     unmasked result is infinity or zero whatever RC says.
//
// PE is raised for every inexact result, and C1 is set when the
// magnitude was rounded up and cleared otherwise.

const wrapBias = 24576

// roundBits rounds hi:lo, dropping the low s bits of hi and all of lo
// (s < 64). It returns the kept bits in place (low s bits clear), whether
// the rounding carried out of bit 63 (r is then 0), whether bits were
// dropped, and whether the magnitude was rounded up.
func roundBits(hi, lo uint64, s uint, rc uint16, neg bool) (r uint64, carry, inexact, up bool) {
	mask := uint64(1)<<s - 1
	dropped := hi&mask | lo
	r = hi &^ mask
	if dropped == 0 {
		return r, false, false, false
	}
	var inc bool
	switch rc {
	case 0:
		var half, rest bool
		if s == 0 {
			half, rest = lo>>63 != 0, lo<<1 != 0
		} else {
			half, rest = hi>>(s-1)&1 != 0, hi&(mask>>1) != 0 || lo != 0
		}
		inc = half && (rest || r>>s&1 != 0)
	case 1:
		inc = neg
	case 2:
		inc = !neg
	}
	if inc {
		var c uint64
		r, c = bits.Add64(r, 1<<s, 0)
		return r, c != 0, true, true
	}
	return r, false, true, false
}

// shr128 shifts hi:lo right by n, ORing the bits shifted out into bit 0.
func shr128(hi, lo uint64, n uint) (uint64, uint64) {
	switch {
	case n == 0:
		return hi, lo
	case n < 64:
		sticky := lo<<(64-n) != 0
		lo = lo>>n | hi<<(64-n)
		hi >>= n
		if sticky {
			lo |= 1
		}
		return hi, lo
	case n < 128:
		sticky := lo != 0 || hi<<(128-n) != 0
		lo = hi >> (n - 64)
		if sticky {
			lo |= 1
		}
		return 0, lo
	}
	if hi|lo != 0 {
		return 0, 1
	}
	return 0, 0
}

// norm128 shifts hi:lo (not 0) left until bit 127 is set and returns the
// shift.
func norm128(hi, lo uint64) (uint64, uint64, int) {
	if hi == 0 {
		n := bits.LeadingZeros64(lo)
		return lo << n, 0, 64 + n
	}
	n := uint(bits.LeadingZeros64(hi))
	if n == 0 {
		return hi, lo, 0
	}
	return hi<<n | lo>>(64-n), lo << n, int(n)
}

// round packs an intermediate result (see above) with precision p bits
// (24, 53 or 64). hi must have bit 63 set.
func (e *Env) round(neg bool, exp int, hi, lo uint64, p int) F80 {
	s := uint(64 - p)
	rc := e.rc()
	r, carry, inexact, up := roundBits(hi, lo, s, rc, neg)
	rexp := exp
	if carry {
		r = intBit
		rexp++
	}
	switch {
	case rexp > 0x7ffe:
		if !e.masked(OE) && rexp-wrapBias > 0x7ffe {
			// Unmasked but out of range even wrapped (fscale only).
			e.raise(OE | PE)
			e.setC1(true)
			return infOf(neg)
		}
		if !e.masked(OE) {
			e.setC1(up)
			f := uint16(OE)
			if inexact {
				f |= PE
			}
			e.raise(f)
			return F80{r, sgn(neg) | uint16(rexp-wrapBias)&expMax}
		}
		e.raise(OE | PE)
		if rc == 0 || rc == 1 && neg || rc == 2 && !neg {
			e.setC1(true)
			return infOf(neg)
		}
		e.setC1(false)
		return F80{^uint64(0) << s, sgn(neg) | 0x7ffe}
	case rexp < 1:
		if !e.masked(UE) && rexp+wrapBias < 1 {
			e.raise(UE | PE)
			e.setC1(false)
			return zeroOf(neg)
		}
		if !e.masked(UE) {
			e.setC1(up)
			f := uint16(UE)
			if inexact {
				f |= PE
			}
			e.raise(f)
			return F80{r, sgn(neg) | uint16(rexp+wrapBias)&expMax}
		}
		// Denormalise and round again at the same position.
		hi, lo = shr128(hi, lo, uint(min(1-exp, 200)))
		// The shift clears bit 63, so this rounding cannot carry out; it
		// may carry into bit 63, which makes the result the smallest
		// normal, exponent 1.
		r, _, inexact, up = roundBits(hi, lo, s, rc, neg)
		e.setC1(up)
		if inexact {
			e.raise(UE | PE)
		}
		se := sgn(neg)
		if r&intBit != 0 {
			se |= 1
		}
		return F80{r, se}
	}
	e.setC1(up)
	if inexact {
		e.raise(PE)
	}
	return F80{r, sgn(neg) | uint16(rexp)}
}
