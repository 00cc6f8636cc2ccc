package vec

import "math/bits"

// POPCNT, LZCNT, TZCNT, BMI1, BMI2, ADX and MOVBE: scalar operations on
// general registers. Operands are the low size bytes of the values (size
// 2, 4 or 8); results are zero-extended to 64 bits (a 32-bit destination
// clears the upper half of the register, a 16-bit one must be merged by
// the caller). The returned flags replace all six status flags; the
// SDM leaves some of them undefined, and where it does this package
// returns what this project's reference host (AMD EPYC) leaves, noted at
// each function.

func sizeMask(size int) uint64 {
	if size == 8 {
		return ^uint64(0)
	}
	return 1<<(8*size) - 1
}

// Popcnt is popcnt: the number of set bits; ZF when the source is zero,
// the other status flags cleared.
func Popcnt(v uint64, size int) (uint64, uint32) {
	v &= sizeMask(size)
	if v == 0 {
		return 0, ZF
	}
	return uint64(bits.OnesCount64(v)), 0
}

// szf returns SF and ZF of the size-byte result r.
func szf(r uint64, size int) uint32 {
	var f uint32
	if r == 0 {
		f |= ZF
	}
	if r>>(8*size-1)&1 != 0 {
		f |= SF
	}
	return f
}

// keep is the part of the old flags fl that an instruction leaves alone.
func keep(fl, m uint32) uint32 { return fl & m }

// pf is PF of result r: set when its low byte has an even number of ones.
func pf(r uint64) uint32 {
	if bits.OnesCount8(uint8(r))&1 == 0 {
		return PF
	}
	return 0
}

// Lzcnt is lzcnt: the number of leading zero bits (size*8 for zero); CF
// when the source is zero, ZF when the result is zero. Of the flags the
// SDM leaves undefined (OF SF PF AF), the host keeps OF and clears the
// others.
func Lzcnt(v uint64, size int, fl uint32) (uint64, uint32) {
	v &= sizeMask(size)
	n := uint64(bits.LeadingZeros64(v) - (64 - 8*size))
	f := keep(fl, OF)
	if v == 0 {
		f |= CF
	}
	if n == 0 {
		f |= ZF
	}
	return n, f
}

// Tzcnt is tzcnt: the number of trailing zero bits (size*8 for zero);
// flags as Lzcnt.
func Tzcnt(v uint64, size int, fl uint32) (uint64, uint32) {
	v &= sizeMask(size)
	n := uint64(8 * size)
	if v != 0 {
		n = uint64(bits.TrailingZeros64(v))
	}
	f := keep(fl, OF)
	if v == 0 {
		f |= CF
	}
	if n == 0 {
		f |= ZF
	}
	return n, f
}

// Andn is andn: ^a & b; SF ZF from the result, CF OF cleared. (Left
// undefined: the host sets PF from the result and clears AF.)
func Andn(a, b uint64, size int) (uint64, uint32) {
	r := ^a & b & sizeMask(size)
	return r, szf(r, size) | pf(r)
}

// Bextr is bextr: the field of v starting at bit c[7:0], c[15:8] bits
// long; ZF from the result, CF OF cleared. (Left undefined: the host sets
// PF from the result, always sets AF and clears SF.)
func Bextr(v, c uint64, size int) (uint64, uint32) {
	v &= sizeMask(size)
	start, n := uint(c&0xff), uint(c>>8&0xff)
	var r uint64
	if start < uint(8*size) {
		r = v >> start
		if n < 64 {
			r &= 1<<n - 1
		}
	}
	return r, szf(r, size)&ZF | pf(r) | AF
}

// Blsi is blsi: the lowest set bit of v; SF ZF from the result, CF when v
// is not zero, OF cleared. (Left undefined: the host sets PF from the
// result and clears AF; the same for Blsmsk, Blsr and Bzhi.)
func Blsi(v uint64, size int) (uint64, uint32) {
	v &= sizeMask(size)
	r := v & -v
	f := szf(r, size) | pf(r)
	if v != 0 {
		f |= CF
	}
	return r, f
}

// Blsmsk is blsmsk: the mask up to and including the lowest set bit; SF
// from the result, CF when v is zero, ZF OF cleared.
func Blsmsk(v uint64, size int) (uint64, uint32) {
	v &= sizeMask(size)
	r := (v ^ (v - 1)) & sizeMask(size)
	f := szf(r, size)&SF | pf(r)
	if v == 0 {
		f |= CF
	}
	return r, f
}

// Blsr is blsr: v with its lowest set bit cleared; SF ZF from the result,
// CF when v is zero, OF cleared.
func Blsr(v uint64, size int) (uint64, uint32) {
	v &= sizeMask(size)
	r := v & (v - 1)
	f := szf(r, size) | pf(r)
	if v == 0 {
		f |= CF
	}
	return r, f
}

// Bzhi is bzhi: v with the bits from index c[7:0] up cleared; SF ZF from
// the result, CF when the index is at least the operand width, OF cleared.
func Bzhi(v, c uint64, size int) (uint64, uint32) {
	v &= sizeMask(size)
	n := uint(c & 0xff)
	r := v
	var f uint32
	if n < uint(8*size) {
		r = v & (1<<n - 1)
	} else {
		f = CF
	}
	return r, f | szf(r, size) | pf(r)
}

// Mulx is mulx: the unsigned product of a (RDX/EDX) and b, high and low
// halves; no flags.
func Mulx(a, b uint64, size int) (hi, lo uint64) {
	if size == 4 {
		p := uint64(uint32(a)) * uint64(uint32(b))
		return p >> 32, p & 0xffffffff
	}
	return bits.Mul64(a, b)
}

// Pdep is pdep: the low bits of v deposited at the set bits of mask.
func Pdep(v, mask uint64, size int) uint64 {
	mask &= sizeMask(size)
	var r uint64
	for m := mask; m != 0; m &= m - 1 {
		low := m & -m
		if v&1 != 0 {
			r |= low
		}
		v >>= 1
	}
	return r
}

// Pext is pext: the bits of v at the set bits of mask, packed low.
func Pext(v, mask uint64, size int) uint64 {
	mask &= sizeMask(size)
	var r uint64
	k := uint(0)
	for m := mask; m != 0; m &= m - 1 {
		if v&(m&-m) != 0 {
			r |= 1 << k
		}
		k++
	}
	return r
}

// Rorx is rorx: v rotated right by imm (masked to the width); no flags.
func Rorx(v uint64, imm uint8, size int) uint64 {
	if size == 4 {
		return uint64(bits.RotateLeft32(uint32(v), -int(imm&31)))
	}
	return bits.RotateLeft64(v, -int(imm&63))
}

func shiftMask(size int) uint64 { return uint64(8*size - 1) }

// Sarx is sarx: v shifted right arithmetically by c (masked); no flags.
func Sarx(v, c uint64, size int) uint64 {
	if size == 4 {
		return uint64(uint32(int32(v) >> (c & 31)))
	}
	return uint64(int64(v) >> (c & 63))
}

// Shlx is shlx: v shifted left by c (masked); no flags.
func Shlx(v, c uint64, size int) uint64 { return v << (c & shiftMask(size)) & sizeMask(size) }

// Shrx is shrx: v shifted right logically by c (masked); no flags.
func Shrx(v, c uint64, size int) uint64 { return (v & sizeMask(size)) >> (c & shiftMask(size)) }

// Adcx is adcx (and, with OF as the carry, adox): a + b + carry, and the
// carry out.
func Adcx(a, b uint64, carry bool, size int) (uint64, bool) {
	var c uint64
	if carry {
		c = 1
	}
	if size == 4 {
		s := uint64(uint32(a)) + uint64(uint32(b)) + c
		return s & 0xffffffff, s>>32 != 0
	}
	s, co := bits.Add64(a, b, c)
	return s, co != 0
}

// Movbe is movbe: the low size bytes of v byte-reversed.
func Movbe(v uint64, size int) uint64 {
	switch size {
	case 2:
		return uint64(bits.ReverseBytes16(uint16(v)))
	case 4:
		return uint64(bits.ReverseBytes32(uint32(v)))
	}
	return bits.ReverseBytes64(v)
}
