package vec

// SSE3 and SSSE3.

// AddSubPS is addsubps: a - b in the even lanes, a + b in the odd ones.
func AddSubPS(a, b X, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		v, f := f32.add(uint64(a.D(i)), uint64(b.D(i)), i&1 == 0, mx)
		r.SetD(i, uint32(v))
		fl |= f
	}
	return r, mergeFlags(fl, mx)
}

// AddSubPD is addsubpd.
func AddSubPD(a, b X, mx uint32) (X, uint32) {
	r0, f0 := f64.add(a[0], b[0], true, mx)
	r1, f1 := f64.add(a[1], b[1], false, mx)
	return X{r0, r1}, mergeFlags(f0|f1, mx)
}

// HaddPS is haddps: a0+a1, a2+a3, b0+b1, b2+b3.
func HaddPS(a, b X, mx uint32) (X, uint32) { return hps(a, b, false, mx) }

// HsubPS is hsubps: a0-a1, a2-a3, b0-b1, b2-b3.
func HsubPS(a, b X, mx uint32) (X, uint32) { return hps(a, b, true, mx) }

func hps(a, b X, sub bool, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		src := a
		if i >= 2 {
			src = b
		}
		k := 2 * (i & 1)
		v, f := f32.add(uint64(src.D(k)), uint64(src.D(k+1)), sub, mx)
		r.SetD(i, uint32(v))
		fl |= f
	}
	return r, mergeFlags(fl, mx)
}

// HaddPD is haddpd: a0+a1, b0+b1.
func HaddPD(a, b X, mx uint32) (X, uint32) {
	r0, f0 := f64.add(a[0], a[1], false, mx)
	r1, f1 := f64.add(b[0], b[1], false, mx)
	return X{r0, r1}, mergeFlags(f0|f1, mx)
}

// HsubPD is hsubpd: a0-a1, b0-b1.
func HsubPD(a, b X, mx uint32) (X, uint32) {
	r0, f0 := f64.add(a[0], a[1], true, mx)
	r1, f1 := f64.add(b[0], b[1], true, mx)
	return X{r0, r1}, mergeFlags(f0|f1, mx)
}

// MovSLDup is movsldup: the even dwords duplicated.
func MovSLDup(a X) X {
	return X{a[0]&0xffffffff | a[0]<<32, a[1]&0xffffffff | a[1]<<32}
}

// MovSHDup is movshdup: the odd dwords duplicated.
func MovSHDup(a X) X {
	return X{a[0]>>32 | a[0]&^0xffffffff, a[1]>>32 | a[1]&^0xffffffff}
}

// MovDDup is movddup: the low quadword duplicated.
func MovDDup(a X) X { return X{a[0], a[0]} }

// Pshufb is pshufb: byte i is 0 if b's byte i has its top bit set, else
// a's byte (b[i] & 15).
func Pshufb(a, b X) X {
	var r X
	for i := 0; i < 16; i++ {
		c := b.B(i)
		if c&0x80 == 0 {
			r.SetB(i, a.B(int(c&15)))
		}
	}
	return r
}

// PhaddW is phaddw: adjacent word sums of a, then of b.
func PhaddW(a, b X) X {
	return hW(a, b, func(x, y uint16) uint16 { return x + y })
}

// PhaddSW is phaddsw: with signed saturation.
func PhaddSW(a, b X) X {
	return hW(a, b, func(x, y uint16) uint16 { return satS16(int(int16(x)) + int(int16(y))) })
}

// PhsubW is phsubw: adjacent differences (even minus odd).
func PhsubW(a, b X) X {
	return hW(a, b, func(x, y uint16) uint16 { return x - y })
}

// PhsubSW is phsubsw.
func PhsubSW(a, b X) X {
	return hW(a, b, func(x, y uint16) uint16 { return satS16(int(int16(x)) - int(int16(y))) })
}

func hW(a, b X, f func(x, y uint16) uint16) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetW(i, f(a.W(2*i), a.W(2*i+1)))
		r.SetW(4+i, f(b.W(2*i), b.W(2*i+1)))
	}
	return r
}

// PhaddD is phaddd.
func PhaddD(a, b X) X {
	var r X
	r.SetD(0, a.D(0)+a.D(1))
	r.SetD(1, a.D(2)+a.D(3))
	r.SetD(2, b.D(0)+b.D(1))
	r.SetD(3, b.D(2)+b.D(3))
	return r
}

// PhsubD is phsubd.
func PhsubD(a, b X) X {
	var r X
	r.SetD(0, a.D(0)-a.D(1))
	r.SetD(1, a.D(2)-a.D(3))
	r.SetD(2, b.D(0)-b.D(1))
	r.SetD(3, b.D(2)-b.D(3))
	return r
}

// PmaddUBSW is pmaddubsw: unsigned bytes of a times signed bytes of b,
// adjacent products summed with signed saturation.
func PmaddUBSW(a, b X) X {
	var r X
	for i := 0; i < 8; i++ {
		p := int(a.B(2*i))*int(int8(b.B(2*i))) + int(a.B(2*i+1))*int(int8(b.B(2*i+1)))
		r.SetW(i, satS16(p))
	}
	return r
}

// PmulhRSW is pmulhrsw: (a*b + 0x4000) >> 15 per signed word.
func PmulhRSW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 {
		return uint16((int32(int16(x))*int32(int16(y))>>14 + 1) >> 1)
	})
}

// PsignB is psignb: a negated where b < 0, zeroed where b == 0.
func PsignB(a, b X) X {
	return mapB(a, b, func(x, y uint8) uint8 {
		switch {
		case int8(y) < 0:
			return -x
		case y == 0:
			return 0
		}
		return x
	})
}

// PsignW is psignw.
func PsignW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 {
		switch {
		case int16(y) < 0:
			return -x
		case y == 0:
			return 0
		}
		return x
	})
}

// PsignD is psignd.
func PsignD(a, b X) X {
	return mapD(a, b, func(x, y uint32) uint32 {
		switch {
		case int32(y) < 0:
			return -x
		case y == 0:
			return 0
		}
		return x
	})
}

// PabsB is pabsb (0x80 stays 0x80).
func PabsB(a X) X {
	return mapB(a, a, func(x, _ uint8) uint8 {
		if int8(x) < 0 {
			return -x
		}
		return x
	})
}

// PabsW is pabsw.
func PabsW(a X) X {
	return mapW(a, a, func(x, _ uint16) uint16 {
		if int16(x) < 0 {
			return -x
		}
		return x
	})
}

// PabsD is pabsd.
func PabsD(a X) X {
	return mapD(a, a, func(x, _ uint32) uint32 {
		if int32(x) < 0 {
			return -x
		}
		return x
	})
}

// Palignr is palignr: the 32 bytes a:b (a high) shifted right by imm
// bytes, the low 16 kept.
func Palignr(a, b X, imm uint8) X {
	switch {
	case imm >= 32:
		return X{}
	case imm >= 16:
		return Psrldq(a, imm-16)
	case imm == 0:
		return b
	}
	return Or(Psrldq(b, imm), Pslldq(a, 16-imm))
}
