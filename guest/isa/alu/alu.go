package alu

import (
	"math/bits"

	"github.com/minemu/minemu/guest/cpu"
)

// mask is the all-ones value of size bytes.
func mask(size uint8) uint64 { return ^uint64(0) >> (64 - 8*uint(size)) }

// signBit is the sign bit of a size-byte value.
func signBit(size uint8) uint64 { return 1 << (8*uint(size) - 1) }

// sext sign-extends the size-byte value v.
func sext(v uint64, size uint8) int64 {
	sh := 64 - 8*uint(size)
	return int64(v<<sh) >> sh
}

func b2f(b bool, f uint64) uint64 {
	if b {
		return f
	}
	return 0
}

// Mul is one-operand mul: the double-width product of a and b as its low
// and high halves. CF = OF = the high half is not zero; SF, ZF, PF follow
// the low half and AF is cleared (undefined on the CPU).
func Mul(a, b uint64, size uint8) (lo, hi, flags uint64) {
	if size == 8 {
		hi, lo = bits.Mul64(a, b)
	} else {
		p := a * b
		lo, hi = p&mask(size), p>>(8*size)
	}
	return lo, hi, cpu.SZP(lo, size) | b2f(hi != 0, cpu.FlagCF|cpu.FlagOF)
}

// Imul is one-operand imul: the signed double-width product. CF = OF =
// the high half is significant; the other flags as for Mul.
func Imul(a, b uint64, size uint8) (lo, hi, flags uint64) {
	if size == 8 {
		hi, lo = mulSigned(int64(a), int64(b))
	} else {
		p := uint64(sext(a, size) * sext(b, size))
		lo, hi = p&mask(size), (p>>(8*size))&mask(size)
	}
	over := uint64(sext(lo, size)>>63)&mask(size) != hi
	return lo, hi, cpu.SZP(lo, size) | b2f(over, cpu.FlagCF|cpu.FlagOF)
}

// Imul2 is the two- and three-operand imul: a * b truncated; CF = OF =
// the product did not fit. The other flags as for Mul.
func Imul2(a, b uint64, size uint8) (r, flags uint64) {
	var over bool
	if size == 8 {
		hi, lo := mulSigned(int64(a), int64(b))
		r = lo
		over = uint64(int64(lo)>>63) != hi
	} else {
		p := sext(a, size) * sext(b, size)
		r = uint64(p) & mask(size)
		over = sext(r, size) != p
	}
	return r, cpu.SZP(r, size) | b2f(over, cpu.FlagCF|cpu.FlagOF)
}

// mulSigned returns the 128-bit product of two signed 64-bit values.
func mulSigned(a, b int64) (hi, lo uint64) {
	hi, lo = bits.Mul64(uint64(a), uint64(b))
	if a < 0 {
		hi -= uint64(b)
	}
	if b < 0 {
		hi -= uint64(a)
	}
	return hi, lo
}

// Div is div: the dividend rDX:rAX (AX for bytes; dx and ax are the
// registers' whole values) divided by the size-byte d. ok is false for a
// divide error (#DE): a zero divisor or a quotient that does not fit.
// The flags are left unchanged (undefined).
func Div(dx, ax, d uint64, size uint8) (q, r uint64, ok bool) {
	if d == 0 {
		return 0, 0, false
	}
	m := mask(size)
	switch size {
	case 1:
		n := ax & 0xffff
		q, r = n/d, n%d
	case 8:
		if dx >= d {
			return 0, 0, false
		}
		q, r = bits.Div64(dx, ax, d)
	default:
		n := (dx&m)<<(8*size) | ax&m
		q, r = n/d, n%d
	}
	return q, r, q <= m
}

// Idiv is idiv, with Div's operands taken as signed.
func Idiv(dx, ax, d uint64, size uint8) (q, r uint64, ok bool) {
	if d == 0 {
		return 0, 0, false
	}
	m := mask(size)
	sd := sext(d, size)
	if size == 8 {
		return idiv128(dx, ax, sd)
	}
	var n int64
	if size == 1 {
		n = sext(ax&0xffff, 2)
	} else {
		n = int64((dx&m)<<(8*size) | ax&m)
		if size == 2 {
			n = sext(uint64(n), 4)
		}
	}
	if n == -1<<63 && sd == -1 {
		return 0, 0, false
	}
	sq, sr := n/sd, n%sd
	if sext(uint64(sq)&m, size) != sq {
		return 0, 0, false
	}
	return uint64(sq) & m, uint64(sr) & m, true
}

// idiv128 divides the signed 128-bit hi:lo by d; ok is false when the
// quotient does not fit in 64 signed bits.
func idiv128(hi, lo uint64, d int64) (q, r uint64, ok bool) {
	neg := int64(hi) < 0
	if neg {
		lo = -lo
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	ud := uint64(d)
	if d < 0 {
		ud = -ud
	}
	if hi >= ud {
		return 0, 0, false
	}
	uq, ur := bits.Div64(hi, lo, ud)
	qneg := neg != (d < 0)
	if qneg {
		if uq > 1<<63 {
			return 0, 0, false
		}
		q = -uq
	} else {
		if uq >= 1<<63 {
			return 0, 0, false
		}
		q = uq
	}
	r = ur
	if neg {
		r = -ur
	}
	return q, r, true
}
