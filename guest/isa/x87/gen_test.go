package x87

import (
	"encoding/binary"
	"flag"
	"math/rand/v2"
)

// gen draws operands biased to the cases that go wrong: zeros,
// infinities, NaNs (quiet and signalling, random payloads), denormals and
// pseudo-denormals, unsupported encodings, exponents at the ends of the
// range and around the ones that make products and quotients overflow or
// underflow, integers, and significands whose low bits sit at the
// rounding positions of 24, 53 and 64 bits.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) sign() uint16 { return uint16(g.r.IntN(2)) << 15 }

// mant is a random significand with the integer bit set and biased low
// bits.
func (g *gen) mant() uint64 {
	m := g.r.Uint64() | intBit
	switch g.r.IntN(8) {
	case 0: // few bits
		m &= ^uint64(0) << (1 + g.r.IntN(63))
	case 1: // at the 24-bit rounding point
		m = m&^(1<<40-1) | [...]uint64{1 << 39, 1<<39 - 1, 1<<39 + 1, 0, 1<<40 - 1}[g.r.IntN(5)]
	case 2: // at the 53-bit rounding point
		m = m&^(1<<11-1) | [...]uint64{1 << 10, 1<<10 - 1, 1<<10 + 1, 0, 1<<11 - 1}[g.r.IntN(5)]
	case 3: // all ones / just the integer bit
		m = [...]uint64{^uint64(0), intBit, intBit | 1, ^uint64(0) - 1}[g.r.IntN(4)]
	}
	return m
}

func (g *gen) exp() uint16 {
	switch g.r.IntN(10) {
	case 0:
		return uint16(1 + g.r.IntN(4))
	case 1:
		return uint16(0x7ffe - g.r.IntN(4))
	case 2: // products and quotients near the ends
		return uint16(0x3fff + 8191 + g.r.IntN(9) - 4)
	case 3:
		return uint16(0x3fff - 8191 + g.r.IntN(9) - 4)
	case 4:
		return uint16(1 + g.r.IntN(0x7ffe))
	}
	return uint16(0x3fff + g.r.IntN(129) - 64)
}

// f80 is a random operand.
func (g *gen) f80() F80 {
	s := g.sign()
	switch g.r.IntN(40) {
	case 0, 1:
		return F80{0, s}
	case 2:
		return F80{intBit, s | expMax}
	case 3: // QNaN
		return F80{intBit | qBit | g.r.Uint64()>>uint(2+g.r.IntN(62)), s | expMax}
	case 4: // SNaN
		return F80{intBit | (g.r.Uint64()>>uint(2+g.r.IntN(62)) | 1), s | expMax}
	case 5, 6, 7: // denormal
		return F80{g.mant() >> uint(1+g.r.IntN(63)), s}
	case 8: // pseudo-denormal
		return F80{g.mant(), s}
	case 9: // unsupported: unnormal, pseudo-NaN, pseudo-infinity
		if g.r.IntN(2) == 0 {
			return F80{g.mant() >> uint(1+g.r.IntN(63)), s | g.exp()}
		}
		return F80{g.r.Uint64() >> 1, s | expMax}
	case 10, 11, 12: // integers
		v := g.r.Int64N(1 << uint(1+g.r.IntN(62)))
		if v == 0 {
			return F80{0, s}
		}
		return fromInt(v, s)
	case 13:
		return Indefinite
	}
	return F80{g.mant(), s | g.exp()}
}

// fromInt is |v| with sign s, exactly (v > 0).
func fromInt(v int64, s uint16) F80 { return fromU64(uint64(v), s) }

// fromU64 is m with sign s, exactly (m > 0).
func fromU64(m uint64, s uint16) F80 {
	n := 0
	for m&intBit == 0 {
		m <<= 1
		n++
	}
	return F80{m, s | uint16(expBias+63-n)}
}

// near is an operand close to x: the same or a neighbouring exponent and
// a significand a few units away, for cancellation and ties.
func (g *gen) near(x F80) F80 {
	m := x.Mant + uint64(g.r.IntN(9)) - 4
	if g.r.IntN(3) == 0 {
		m = x.Mant ^ 1<<uint(g.r.IntN(64))
	}
	e := int(x.SE&expMax) + g.r.IntN(5) - 2
	if e < 0 || e > 0x7ffe {
		e = int(x.SE & expMax)
	}
	if e != 0 {
		m |= intBit
	}
	return F80{m, g.sign() | uint16(e)}
}

// pair is two operands for a binary operation.
func (g *gen) pair() (F80, F80) {
	a := g.f80()
	if g.r.IntN(4) == 0 {
		return a, g.near(a)
	}
	return a, g.f80()
}

// cw is a control word: every precision and rounding mode, and now and
// then some exceptions unmasked.
func (g *gen) cw() uint16 {
	cw := uint16(0x037f&^0x0300) | [...]uint16{PC24, PC53, PC64, 1 << 8}[g.r.IntN(4)] | uint16(g.r.IntN(4))<<10
	if g.r.IntN(4) == 0 {
		cw &^= uint16(g.r.IntN(64))
	}
	return cw
}

var (
	flagIters = flag.Int("x87.iters", 100000, "differential cases per operation")
	flagSeed  = flag.Uint64("x87.seed", 1, "seed of the operand generator")
)

// sw0 is a status word to start from: random condition codes, so that
// the tests see which ones an operation leaves alone.
func (g *gen) sw0() uint16 {
	v := uint16(g.r.IntN(16))
	return (v&7)<<8 | v>>3<<14
}

// sqrtOperand is an operand for fsqrt: general, or an exact square (a
// tie at 24 bits now and then).
func (g *gen) sqrtOperand() F80 {
	if g.r.IntN(3) != 0 {
		return g.f80()
	}
	m := g.r.Uint64() >> uint(32+g.r.IntN(33))
	if m == 0 {
		m = 3
	}
	x := fromU64(m*m, 0)
	x.SE += uint16(g.r.IntN(200)) - 100
	return x
}

// premOperands draws x and y for fprem: exponent differences around 0,
// 63/64 and the partial-remainder steps.
func (g *gen) premOperands() (x, y F80) {
	x, y = g.pair()
	if g.r.IntN(2) == 0 && x.SE&expMax != 0 && x.SE&expMax != expMax {
		d := [...]int{-2, -1, 0, 1, 2, 31, 32, 33, 62, 63, 64, 65, 95, 96, 100, 1000}[g.r.IntN(16)]
		ex := int(x.SE&expMax) - d
		if ex > 0 && ex < 0x7fff {
			y = F80{g.mant(), g.sign() | uint16(ex)}
		}
	}
	return x, y
}

// scaleOperands draws x and the scale y for fscale.
func (g *gen) scaleOperands() (x, y F80) {
	x, y = g.pair()
	switch g.r.IntN(3) {
	case 0:
		y = fromInt(int64(1+g.r.IntN(70000)), g.sign())
	case 1:
		y = F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(20))}
	}
	return x, y
}

// storeOperand draws values for the stores: the general operands, and
// values near the float32 and float64 ranges' ends and the integer
// limits.
func (g *gen) storeOperand() F80 {
	switch g.r.IntN(6) {
	case 0: // float32 / float64 overflow and underflow thresholds
		e := [...]int{127, 128, -126, -127, -149, -150, 1023, 1024, -1022, -1023, -1074, -1075, -1076, -151}[g.r.IntN(14)]
		return F80{g.mant(), g.sign() | uint16(expBias+e+g.r.IntN(3)-1)}
	case 1: // integer limits
		e := [...]int{15, 16, 31, 32, 63, 64, 59, 60}[g.r.IntN(8)]
		return F80{g.mant(), g.sign() | uint16(expBias+e-1-g.r.IntN(2))}
	case 2: // small values: rounding to an integer
		return F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(70)-4)}
	}
	return g.f80()
}

// memOperand draws memory bytes for a load: random bits, with the
// exponent field often all ones or zero.
func (g *gen) memOperand(size int) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, g.r.Uint64()>>uint(g.r.IntN(64)))
	binary.LittleEndian.PutUint64(b[8:], g.r.Uint64())
	v := binary.LittleEndian.Uint64(b)
	switch size {
	case 4:
		switch g.r.IntN(4) {
		case 0:
			v |= 0x7f800000
		case 1:
			v &^= 0x7f800000
		}
		v = v&0x7fffffff | uint64(g.r.IntN(2))<<31
	case 8:
		switch g.r.IntN(4) {
		case 0:
			v |= 0x7ff0000000000000
		case 1:
			v &^= 0x7ff0000000000000
		}
		v = v&^(1<<63) | uint64(g.r.IntN(2))<<63
	case 10:
		for i := 0; i < 9; i++ { // mostly valid digits
			if g.r.IntN(20) != 0 {
				b[i] = byte(g.r.IntN(10))<<4 | byte(g.r.IntN(10))
			}
		}
		b[9] &= 0x80
		return b
	}
	binary.LittleEndian.PutUint64(b, v)
	return b
}
