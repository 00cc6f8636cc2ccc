package vec

import (
	"math/rand/v2"
)

type elemKind uint8

const (
	eInt elemKind = iota // integer lanes: bytes, words, dwords biased to boundaries
	eF32
	eF64
	eF16
)

// randFloat returns an encoding in f biased towards the cases that decide
// rounding and exceptions: zeros, infinities, quiet and signalling NaNs,
// denormals, the normal range's ends, short significands (exact and
// halfway products and quotients) and nearby exponents (cancellation).
func randFloat(r *rand.Rand, f *format) uint64 {
	sign := f.sign(r.IntN(2) == 0)
	frac := r.Uint64() & f.fracMask()
	emax := uint64(1)<<f.ebits - 1
	exp := func(e uint64) uint64 { return e << (f.p - 1) }
	short := func() uint64 { // a significand with few bits set
		n := 1 + r.IntN(int(f.p/2))
		return (r.Uint64() & (1<<n - 1)) << (f.p - 1 - uint(n))
	}
	switch r.IntN(20) {
	case 0:
		return sign
	case 1:
		return sign | exp(emax)
	case 2: // quiet NaN
		return sign | exp(emax) | f.quietBit() | frac
	case 3: // signalling NaN
		if frac&^f.quietBit() == 0 {
			frac = 1
		}
		return sign | exp(emax) | frac&^f.quietBit()
	case 4: // denormal
		if r.IntN(2) == 0 {
			frac &= 1<<r.IntN(int(f.p)) - 1
		}
		return sign | frac
	case 5: // smallest normals
		return sign | exp(uint64(1+r.IntN(3))) | frac
	case 6: // largest normals
		return sign | exp(emax-1-uint64(r.IntN(2))) | frac
	case 7:
		return sign | exp(emax-1) | f.fracMask()
	case 8, 9, 10: // near 1, short significand
		return sign | exp(uint64(f.bias-4+r.IntN(9))) | short()
	case 11, 12: // near the underflow threshold, short significand
		return sign | exp(uint64(1+r.IntN(int(f.p)))) | short()
	case 13: // near the overflow threshold
		return sign | exp(emax-1-uint64(r.IntN(3))) | short()
	case 14, 15, 16: // near 1
		return sign | exp(uint64(f.bias-int(f.p)+r.IntN(2*int(f.p)))) | frac
	case 17: // integers and halves (rounding to integral)
		return sign | exp(uint64(f.bias-2+r.IntN(int(f.p)+4))) | short()
	default:
		return r.Uint64() & (1<<f.width() - 1)
	}
}

// randInt returns a value of w bytes biased to the saturation and sign
// boundaries.
func randInt(r *rand.Rand, w uint) uint64 {
	bitsN := w * 8
	mask := uint64(1)<<bitsN - 1
	if bitsN == 64 {
		mask = ^uint64(0)
	}
	switch r.IntN(10) {
	case 0:
		return 0
	case 1:
		return mask
	case 2:
		return 1 << (bitsN - 1)
	case 3:
		return 1<<(bitsN-1) - 1
	case 4:
		return uint64(r.IntN(5))
	case 5:
		return (uint64(0) - uint64(1+r.IntN(4))) & mask
	case 6:
		return (1<<(bitsN-1) + uint64(r.IntN(3)) - 1) & mask
	default:
		return r.Uint64() & mask
	}
}

// randLanes fills a 256-bit register with lanes of kind k.
func randLanes(r *rand.Rand, k elemKind) [4]uint64 {
	var y [4]uint64
	switch k {
	case eF32, eF16:
		f := f32
		if k == eF16 && r.IntN(2) == 0 {
			f = f16
		}
		for i := 0; i < 8; i++ {
			v := randFloat(r, f)
			if f == f16 {
				v |= randFloat(r, f16) << 16
			}
			y[i/2] |= v << (32 * uint(i%2))
		}
	case eF64:
		for i := range y {
			y[i] = randFloat(r, f64)
		}
	default:
		w := uint(1) << r.IntN(4)
		for i := 0; i < 32/int(w); i++ {
			bit := uint(i) * w * 8
			y[bit/64] |= randInt(r, w) << (bit % 64)
		}
		if r.IntN(8) == 0 { // equal lanes in two registers happen in tests of compares
			return y
		}
	}
	return y
}

// randMXCSR is MXCSR with a random rounding mode, random FTZ and DAZ and,
// a quarter of the time, some exceptions unmasked.
func randMXCSR(r *rand.Rand) uint32 {
	mx := uint32(Masks) | uint32(r.IntN(4))<<RCShift
	if r.IntN(3) == 0 {
		mx |= FTZ
	}
	if r.IntN(3) == 0 {
		mx |= DAZ
	}
	if r.IntN(4) == 0 { // some exceptions unmasked: #XM
		mx &^= uint32(r.IntN(64)) << MaskShift
	}
	return mx
}
