package vec

// SSE4.1 (and the SSE4.2 pcmpgtq, and AVX's vtestps/pd).

// PmullD is pmulld: the low 32 bits of the dword products.
func PmullD(a, b X) X { return mapD(a, b, func(x, y uint32) uint32 { return x * y }) }

// PmulDQ is pmuldq: the signed 64-bit products of dwords 0 and 2.
func PmulDQ(a, b X) X {
	return X{uint64(int64(int32(a[0])) * int64(int32(b[0]))), uint64(int64(int32(a[1])) * int64(int32(b[1])))}
}

// PminSB is pminsb.
func PminSB(a, b X) X {
	return mapB(a, b, func(x, y uint8) uint8 { return uint8(min(int8(x), int8(y))) })
}

// PmaxSB is pmaxsb.
func PmaxSB(a, b X) X {
	return mapB(a, b, func(x, y uint8) uint8 { return uint8(max(int8(x), int8(y))) })
}

// PminUW is pminuw.
func PminUW(a, b X) X { return mapW(a, b, func(x, y uint16) uint16 { return min(x, y) }) }

// PmaxUW is pmaxuw.
func PmaxUW(a, b X) X { return mapW(a, b, func(x, y uint16) uint16 { return max(x, y) }) }

// PminSD is pminsd.
func PminSD(a, b X) X {
	return mapD(a, b, func(x, y uint32) uint32 { return uint32(min(int32(x), int32(y))) })
}

// PmaxSD is pmaxsd.
func PmaxSD(a, b X) X {
	return mapD(a, b, func(x, y uint32) uint32 { return uint32(max(int32(x), int32(y))) })
}

// PminUD is pminud.
func PminUD(a, b X) X { return mapD(a, b, func(x, y uint32) uint32 { return min(x, y) }) }

// PmaxUD is pmaxud.
func PmaxUD(a, b X) X { return mapD(a, b, func(x, y uint32) uint32 { return max(x, y) }) }

// PcmpeqQ is pcmpeqq.
func PcmpeqQ(a, b X) X { return X{mask64(a[0] == b[0]), mask64(a[1] == b[1])} }

// PcmpgtQ is pcmpgtq (SSE4.2): signed.
func PcmpgtQ(a, b X) X {
	return X{mask64(int64(a[0]) > int64(b[0])), mask64(int64(a[1]) > int64(b[1]))}
}

// Pblendw is pblendw: word i from b where imm bit i is set.
func Pblendw(a, b X, imm uint8) X {
	r := a
	for i := 0; i < 8; i++ {
		if imm>>i&1 != 0 {
			r.SetW(i, b.W(i))
		}
	}
	return r
}

// BlendPS is blendps: dword i from b where imm bit i is set.
func BlendPS(a, b X, imm uint8) X {
	r := a
	for i := 0; i < 4; i++ {
		if imm>>i&1 != 0 {
			r.SetD(i, b.D(i))
		}
	}
	return r
}

// BlendPSY is vblendps with 256-bit operands: imm[7:4] select in the
// high lane.
func BlendPSY(a, b Y, imm uint8) Y {
	return YOf(BlendPS(a.Lo(), b.Lo(), imm), BlendPS(a.Hi(), b.Hi(), imm>>4))
}

// BlendPDY is vblendpd with 256-bit operands: imm[3:2] select in the high
// lane.
func BlendPDY(a, b Y, imm uint8) Y {
	return YOf(BlendPD(a.Lo(), b.Lo(), imm), BlendPD(a.Hi(), b.Hi(), imm>>2))
}

// BlendPD is blendpd.
func BlendPD(a, b X, imm uint8) X {
	r := a
	for i := 0; i < 2; i++ {
		if imm>>i&1 != 0 {
			r[i] = b[i]
		}
	}
	return r
}

// PblendvB is pblendvb: byte i from b where m's byte i has its top bit
// set (the legacy form's m is xmm0).
func PblendvB(a, b, m X) X {
	var r X
	for q := 0; q < 2; q++ {
		sel := (m[q] & 0x8080808080808080 >> 7) * 0xff
		r[q] = a[q]&^sel | b[q]&sel
	}
	return r
}

// BlendvPS is blendvps: dword lanes selected by m's sign bits.
func BlendvPS(a, b, m X) X {
	var r X
	for q := 0; q < 2; q++ {
		sel := (m[q] & 0x8000000080000000 >> 31) * 0xffffffff
		r[q] = a[q]&^sel | b[q]&sel
	}
	return r
}

// BlendvPD is blendvpd.
func BlendvPD(a, b, m X) X {
	var r X
	for q := 0; q < 2; q++ {
		sel := uint64(int64(m[q]) >> 63)
		r[q] = a[q]&^sel | b[q]&sel
	}
	return r
}

// Ptest is ptest: ZF when a&b is zero, CF when ^a&b is zero; the other
// status flags are cleared.
func Ptest(a, b X) uint32 {
	var f uint32
	if a[0]&b[0]|a[1]&b[1] == 0 {
		f |= ZF
	}
	if ^a[0]&b[0]|^a[1]&b[1] == 0 {
		f |= CF
	}
	return f
}

// PtestY is vptest with 256-bit operands.
func PtestY(a, b Y) uint32 {
	z := a[0]&b[0] | a[1]&b[1] | a[2]&b[2] | a[3]&b[3]
	c := ^a[0]&b[0] | ^a[1]&b[1] | ^a[2]&b[2] | ^a[3]&b[3]
	return flagsZC(z, c)
}

func flagsZC(z, c uint64) uint32 {
	var f uint32
	if z == 0 {
		f |= ZF
	}
	if c == 0 {
		f |= CF
	}
	return f
}

// TestPS is vtestps: ptest on the dword sign bits only.
func TestPS(a, b Y) uint32 {
	const m = 0x8000000080000000
	return flagsZC((a[0]&b[0]|a[1]&b[1]|a[2]&b[2]|a[3]&b[3])&m, (^a[0]&b[0]|^a[1]&b[1]|^a[2]&b[2]|^a[3]&b[3])&m)
}

// TestPD is vtestpd: ptest on the quadword sign bits only.
func TestPD(a, b Y) uint32 {
	const m = 0x8000000000000000
	return flagsZC((a[0]&b[0]|a[1]&b[1]|a[2]&b[2]|a[3]&b[3])&m, (^a[0]&b[0]|^a[1]&b[1]|^a[2]&b[2]|^a[3]&b[3])&m)
}

// The sign and zero extensions read the low bytes of a (for a memory
// source: 8, 4 or 2 bytes; 16 for the 256-bit forms).

// PmovsxBW is pmovsxbw.
func PmovsxBW(a X) X {
	var r X
	for i := 0; i < 8; i++ {
		r.SetW(i, uint16(int8(a.B(i))))
	}
	return r
}

// PmovsxBD is pmovsxbd.
func PmovsxBD(a X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetD(i, uint32(int8(a.B(i))))
	}
	return r
}

// PmovsxBQ is pmovsxbq.
func PmovsxBQ(a X) X { return X{uint64(int8(a.B(0))), uint64(int8(a.B(1)))} }

// PmovsxWD is pmovsxwd.
func PmovsxWD(a X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetD(i, uint32(int16(a.W(i))))
	}
	return r
}

// PmovsxWQ is pmovsxwq.
func PmovsxWQ(a X) X { return X{uint64(int16(a.W(0))), uint64(int16(a.W(1)))} }

// PmovsxDQ is pmovsxdq.
func PmovsxDQ(a X) X { return X{uint64(int32(a.D(0))), uint64(int32(a.D(1)))} }

// PmovzxBW is pmovzxbw.
func PmovzxBW(a X) X {
	var r X
	for i := 0; i < 8; i++ {
		r.SetW(i, uint16(a.B(i)))
	}
	return r
}

// PmovzxBD is pmovzxbd.
func PmovzxBD(a X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetD(i, uint32(a.B(i)))
	}
	return r
}

// PmovzxBQ is pmovzxbq.
func PmovzxBQ(a X) X { return X{uint64(a.B(0)), uint64(a.B(1))} }

// PmovzxWD is pmovzxwd.
func PmovzxWD(a X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetD(i, uint32(a.W(i)))
	}
	return r
}

// PmovzxWQ is pmovzxwq.
func PmovzxWQ(a X) X { return X{uint64(a.W(0)), uint64(a.W(1))} }

// PmovzxDQ is pmovzxdq.
func PmovzxDQ(a X) X { return X{uint64(a.D(0)), uint64(a.D(1))} }

// Widen2 is the 256-bit form of a pmovsx/pmovzx whose 128-bit form f
// reads n bytes (8, 4 or 2): the next n bytes of a give the high half.
func Widen2(f func(X) X, a X, n uint) Y {
	return YOf(f(a), f(Psrldq(a, uint8(n))))
}

// Pextrb is pextrb: byte imm&15, zero-extended.
func Pextrb(a X, imm uint8) uint32 { return uint32(a.B(int(imm & 15))) }

// Pextrd is pextrd (and extractps): dword imm&3.
func Pextrd(a X, imm uint8) uint32 { return a.D(int(imm & 3)) }

// Pextrq is pextrq: quadword imm&1.
func Pextrq(a X, imm uint8) uint64 { return a[imm&1] }

// Pinsrb is pinsrb: byte imm&15 of a replaced by v.
func Pinsrb(a X, v uint8, imm uint8) X {
	a.SetB(int(imm&15), v)
	return a
}

// Pinsrd is pinsrd.
func Pinsrd(a X, v uint32, imm uint8) X {
	a.SetD(int(imm&3), v)
	return a
}

// Pinsrq is pinsrq.
func Pinsrq(a X, v uint64, imm uint8) X {
	a[imm&1] = v
	return a
}

// InsertPS is insertps with a register source: b's dword imm[7:6] into
// a's dword imm[5:4], then the dwords in imm[3:0] zeroed. For a memory
// source pass the loaded dword as b's dword 0 and clear imm[7:6].
func InsertPS(a, b X, imm uint8) X {
	a.SetD(int(imm>>4&3), b.D(int(imm>>6)))
	for i := 0; i < 4; i++ {
		if imm>>i&1 != 0 {
			a.SetD(i, 0)
		}
	}
	return a
}

// MpsadBW is mpsadbw: eight sums of absolute differences of four bytes,
// a's bytes at offset imm[2]*4+i, b's block imm[1:0].
func MpsadBW(a, b X, imm uint8) X {
	var r X
	ao := int(imm>>2&1) * 4
	bo := int(imm&3) * 4
	for i := 0; i < 8; i++ {
		var s int
		for k := 0; k < 4; k++ {
			x, y := int(a.B(ao+i+k)), int(b.B(bo+k))
			s += max(x-y, y-x)
		}
		r.SetW(i, uint16(s))
	}
	return r
}

// MpsadBWY is vmpsadbw with 256-bit operands: imm[2:0] for the low lane,
// imm[5:3] for the high one.
func MpsadBWY(a, b Y, imm uint8) Y {
	return YOf(MpsadBW(a.Lo(), b.Lo(), imm), MpsadBW(a.Hi(), b.Hi(), imm>>3))
}

// PhminposUW is phminposuw: the smallest unsigned word and its (lowest)
// index; the rest zeroed.
func PhminposUW(a X) X {
	m, idx := a.W(0), 0
	for i := 1; i < 8; i++ {
		if w := a.W(i); w < m {
			m, idx = w, i
		}
	}
	return X{uint64(m) | uint64(idx)<<16, 0}
}

// RoundPS is roundps: each lane rounded to an integral value, in mode
// imm[1:0] or, when imm[2] is set, MXCSR's; imm[3] suppresses PE.
func RoundPS(a X, imm uint8, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		v, f := f32.roundIntegral(uint64(a.D(i)), imm, mx)
		r.SetD(i, uint32(v))
		fl |= f
	}
	return r, mergeFlags(fl, mx)
}

// RoundPD is roundpd.
func RoundPD(a X, imm uint8, mx uint32) (X, uint32) {
	r0, f0 := f64.roundIntegral(a[0], imm, mx)
	r1, f1 := f64.roundIntegral(a[1], imm, mx)
	return X{r0, r1}, mergeFlags(f0|f1, mx)
}

// RoundSS is roundss: b's low lane rounded into a.
func RoundSS(a, b X, imm uint8, mx uint32) (X, uint32) {
	v, fl := f32.roundIntegral(uint64(b.D(0)), imm, mx)
	a.SetD(0, uint32(v))
	return a, mergeFlags(fl, mx)
}

// RoundSD is roundsd.
func RoundSD(a, b X, imm uint8, mx uint32) (X, uint32) {
	v, fl := f64.roundIntegral(b[0], imm, mx)
	return X{v, a[1]}, mergeFlags(fl, mx)
}

// roundIntegral rounds x to an integral value (roundps's immediate imm).
func (f *format) roundIntegral(x uint64, imm uint8, mx uint32) (uint64, uint32) {
	rc := uint32(imm & 3)
	if imm&4 != 0 {
		rc = rcOf(mx)
	}
	a, _ := f.unpack(x, mx) // a denormal operand raises nothing (measured)
	var fl uint32
	switch a.kind {
	case kNaN:
		if a.snan {
			return f.quiet(x), IE
		}
		return x, 0
	case kInf:
		return x, 0
	case kZero:
		return f.zero(a.neg), 0
	}
	if a.e >= int(f.p)-1 {
		return x, 0
	}
	q, inexact := roundShift(a.m, uint(63-a.e), rc, a.neg)
	if inexact && imm&8 == 0 {
		fl |= PE
	}
	if q == 0 {
		return f.zero(a.neg), fl
	}
	r, _ := f.round(a.neg, 127, 0, q, RoundNearest, mx)
	return r, fl
}

// DPPS is dpps: the products of the lanes selected by imm[7:4] (the others
// are +0), summed as (p0+p1)+(p2+p3) with each step rounded, stored in
// the lanes selected by imm[3:0] (the others zeroed). The steps report
// flags in order, and an unmasked exception in one ends the instruction
// with the flags so far (measured); a denormal intermediate raises DE.
func DPPS(a, b X, imm uint8, mx uint32) (X, uint32) {
	r, fl := dpps(Y{a[0], a[1]}, Y{b[0], b[1]}, 1, imm, mx)
	return r.Lo(), fl
}

// DPPSY is vdpps with 256-bit operands: DPPS in each 128-bit lane, the
// steps of both lanes together.
func DPPSY(a, b Y, imm uint8, mx uint32) (Y, uint32) { return dpps(a, b, 2, imm, mx) }

func dpps(a, b Y, lanes int, imm uint8, mx uint32) (Y, uint32) {
	var p [8]uint64
	var fl uint32
	for i := 0; i < 4*lanes; i++ {
		if imm>>(4+i%4)&1 != 0 {
			v, f := f32.mul(uint64(a.D(i)), uint64(b.D(i)), mx)
			p[i] = v
			fl |= f
		}
	}
	if fl = mergeFlags(fl, mx); Unmasked(fl, mx) != 0 {
		return Y{}, fl
	}
	var s [4]uint64
	var f1 uint32
	for k := range 2 * lanes {
		v, f := f32.add(p[2*k], p[2*k+1], false, mx)
		s[k] = v
		f1 |= f
	}
	if fl |= mergeFlags(f1, mx); Unmasked(fl, mx) != 0 {
		return Y{}, fl
	}
	var r Y
	var f2 uint32
	for l := range lanes {
		v, f := f32.add(s[2*l], s[2*l+1], false, mx)
		f2 |= f
		for i := 0; i < 4; i++ {
			if imm>>i&1 != 0 {
				r.SetD(4*l+i, uint32(v))
			}
		}
	}
	return r, fl | mergeFlags(f2, mx)
}

// DPPD is dppd: as DPPS with two lanes (imm[5:4] and imm[1:0]).
func DPPD(a, b X, imm uint8, mx uint32) (X, uint32) {
	var p [2]uint64
	var fl uint32
	for i := 0; i < 2; i++ {
		if imm>>(4+i)&1 != 0 {
			v, f := f64.mul(a[i], b[i], mx)
			p[i] = v
			fl |= f
		}
	}
	if fl = mergeFlags(fl, mx); Unmasked(fl, mx) != 0 {
		return X{}, fl
	}
	s, f := f64.add(p[0], p[1], false, mx)
	fl |= f
	var r X
	for i := 0; i < 2; i++ {
		if imm>>i&1 != 0 {
			r[i] = s
		}
	}
	return r, fl
}
