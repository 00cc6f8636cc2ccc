package vec

// The SSE2 integer instructions (and their SSSE3/SSE4 relatives where they
// share a helper). All are lane-wise within 128 bits, so the AVX2 forms are
// Lanes2 of these (shifts by an xmm count: LanesC).

// LanesC applies a shift-by-xmm-count operation to both halves of a with
// the same count c, as the AVX2 forms do.
func LanesC(f func(a, c X) X, a Y, c X) Y { return YOf(f(a.Lo(), c), f(a.Hi(), c)) }

const (
	lo7 = 0x7f7f7f7f7f7f7f7f
	hi8 = 0x8080808080808080
	loF = 0x7fff7fff7fff7fff
	hiW = 0x8000800080008000
	loD = 0x7fffffff7fffffff
	hiD = 0x8000000080000000
)

func addLanes(a, b, low, high uint64) uint64 { return (a&low + b&low) ^ (a^b)&high }
func subLanes(a, b, low, high uint64) uint64 { return (a | high - b&low) ^ (a^^b)&high }

// PaddB is paddb: byte-wise a + b, wrapping.
func PaddB(a, b X) X { return X{addLanes(a[0], b[0], lo7, hi8), addLanes(a[1], b[1], lo7, hi8)} }

// PaddW is paddw.
func PaddW(a, b X) X { return X{addLanes(a[0], b[0], loF, hiW), addLanes(a[1], b[1], loF, hiW)} }

// PaddD is paddd.
func PaddD(a, b X) X { return X{addLanes(a[0], b[0], loD, hiD), addLanes(a[1], b[1], loD, hiD)} }

// PaddQ is paddq.
func PaddQ(a, b X) X { return X{a[0] + b[0], a[1] + b[1]} }

// PsubB is psubb: byte-wise a - b, wrapping.
func PsubB(a, b X) X { return X{subLanes(a[0], b[0], lo7, hi8), subLanes(a[1], b[1], lo7, hi8)} }

// PsubW is psubw.
func PsubW(a, b X) X { return X{subLanes(a[0], b[0], loF, hiW), subLanes(a[1], b[1], loF, hiW)} }

// PsubD is psubd.
func PsubD(a, b X) X { return X{subLanes(a[0], b[0], loD, hiD), subLanes(a[1], b[1], loD, hiD)} }

// PsubQ is psubq.
func PsubQ(a, b X) X { return X{a[0] - b[0], a[1] - b[1]} }

func satS8(v int) uint8 {
	return uint8(int8(max(-128, min(127, v))))
}

func satU8(v int) uint8 { return uint8(max(0, min(255, v))) }

func satS16(v int) uint16 { return uint16(int16(max(-32768, min(32767, v)))) }

func satU16(v int) uint16 { return uint16(max(0, min(65535, v))) }

func mapB(a, b X, f func(x, y uint8) uint8) X {
	var r X
	for i := 0; i < 16; i++ {
		r.SetB(i, f(a.B(i), b.B(i)))
	}
	return r
}

func mapW(a, b X, f func(x, y uint16) uint16) X {
	var r X
	for i := 0; i < 8; i++ {
		r.SetW(i, f(a.W(i), b.W(i)))
	}
	return r
}

func mapD(a, b X, f func(x, y uint32) uint32) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetD(i, f(a.D(i), b.D(i)))
	}
	return r
}

// PaddSB is paddsb: signed saturating byte add.
func PaddSB(a, b X) X {
	return mapB(a, b, func(x, y uint8) uint8 { return satS8(int(int8(x)) + int(int8(y))) })
}

// PaddSW is paddsw.
func PaddSW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return satS16(int(int16(x)) + int(int16(y))) })
}

// PaddUSB is paddusb: unsigned saturating byte add.
func PaddUSB(a, b X) X { return mapB(a, b, func(x, y uint8) uint8 { return satU8(int(x) + int(y)) }) }

// PaddUSW is paddusw.
func PaddUSW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return satU16(int(x) + int(y)) })
}

// PsubSB is psubsb.
func PsubSB(a, b X) X {
	return mapB(a, b, func(x, y uint8) uint8 { return satS8(int(int8(x)) - int(int8(y))) })
}

// PsubSW is psubsw.
func PsubSW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return satS16(int(int16(x)) - int(int16(y))) })
}

// PsubUSB is psubusb.
func PsubUSB(a, b X) X { return mapB(a, b, func(x, y uint8) uint8 { return satU8(int(x) - int(y)) }) }

// PsubUSW is psubusw.
func PsubUSW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return satU16(int(x) - int(y)) })
}

// PmullW is pmullw: the low 16 bits of the signed word products.
func PmullW(a, b X) X { return mapW(a, b, func(x, y uint16) uint16 { return x * y }) }

// PmulhW is pmulhw: the high 16 bits of the signed word products.
func PmulhW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return uint16(int32(int16(x)) * int32(int16(y)) >> 16) })
}

// PmulhUW is pmulhuw: the high 16 bits of the unsigned word products.
func PmulhUW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return uint16(uint32(x) * uint32(y) >> 16) })
}

// PmulUDQ is pmuludq: the unsigned 64-bit products of dwords 0 and 2.
func PmulUDQ(a, b X) X {
	return X{uint64(uint32(a[0])) * uint64(uint32(b[0])), uint64(uint32(a[1])) * uint64(uint32(b[1]))}
}

// PmaddWD is pmaddwd: adjacent signed word products summed into dwords
// (0x8000*0x8000*2 wraps to 0x80000000).
func PmaddWD(a, b X) X {
	var r X
	for i := 0; i < 4; i++ {
		p := int32(int16(a.W(2*i)))*int32(int16(b.W(2*i))) + int32(int16(a.W(2*i+1)))*int32(int16(b.W(2*i+1)))
		r.SetD(i, uint32(p))
	}
	return r
}

// PsadBW is psadbw: per quadword, the sum of absolute byte differences in
// the low word.
func PsadBW(a, b X) X {
	var r X
	for q := 0; q < 2; q++ {
		var s uint64
		for i := 0; i < 8; i++ {
			x, y := int(a.B(8*q+i)), int(b.B(8*q+i))
			s += uint64(max(x-y, y-x))
		}
		r[q] = s
	}
	return r
}

// PavgB is pavgb: (a + b + 1) >> 1 per unsigned byte.
func PavgB(a, b X) X {
	return mapB(a, b, func(x, y uint8) uint8 { return uint8((uint(x) + uint(y) + 1) >> 1) })
}

// PavgW is pavgw.
func PavgW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return uint16((uint(x) + uint(y) + 1) >> 1) })
}

// PminUB is pminub.
func PminUB(a, b X) X { return mapB(a, b, func(x, y uint8) uint8 { return min(x, y) }) }

// PmaxUB is pmaxub.
func PmaxUB(a, b X) X { return mapB(a, b, func(x, y uint8) uint8 { return max(x, y) }) }

// PminSW is pminsw.
func PminSW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return uint16(min(int16(x), int16(y))) })
}

// PmaxSW is pmaxsw.
func PmaxSW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return uint16(max(int16(x), int16(y))) })
}

func maskB(t bool) uint8 {
	if t {
		return 0xff
	}
	return 0
}

func maskW(t bool) uint16 {
	if t {
		return 0xffff
	}
	return 0
}

func maskD(t bool) uint32 {
	if t {
		return 0xffffffff
	}
	return 0
}

// PcmpeqB is pcmpeqb: all ones in each byte where a == b.
func PcmpeqB(a, b X) X { return mapB(a, b, func(x, y uint8) uint8 { return maskB(x == y) }) }

// PcmpeqW is pcmpeqw.
func PcmpeqW(a, b X) X { return mapW(a, b, func(x, y uint16) uint16 { return maskW(x == y) }) }

// PcmpeqD is pcmpeqd.
func PcmpeqD(a, b X) X { return mapD(a, b, func(x, y uint32) uint32 { return maskD(x == y) }) }

// PcmpgtB is pcmpgtb: signed a > b.
func PcmpgtB(a, b X) X { return mapB(a, b, func(x, y uint8) uint8 { return maskB(int8(x) > int8(y)) }) }

// PcmpgtW is pcmpgtw.
func PcmpgtW(a, b X) X {
	return mapW(a, b, func(x, y uint16) uint16 { return maskW(int16(x) > int16(y)) })
}

// PcmpgtD is pcmpgtd.
func PcmpgtD(a, b X) X {
	return mapD(a, b, func(x, y uint32) uint32 { return maskD(int32(x) > int32(y)) })
}

// And is pand, andps, andpd.
func And(a, b X) X { return X{a[0] & b[0], a[1] & b[1]} }

// AndN is pandn, andnps, andnpd: ^a & b.
func AndN(a, b X) X { return X{^a[0] & b[0], ^a[1] & b[1]} }

// Or is por, orps, orpd.
func Or(a, b X) X { return X{a[0] | b[0], a[1] | b[1]} }

// Xor is pxor, xorps, xorpd.
func Xor(a, b X) X { return X{a[0] ^ b[0], a[1] ^ b[1]} }

// PacksSWB is packsswb: the words of a then b, saturated to signed bytes.
func PacksSWB(a, b X) X {
	var r X
	for i := 0; i < 8; i++ {
		r.SetB(i, satS8(int(int16(a.W(i)))))
		r.SetB(8+i, satS8(int(int16(b.W(i)))))
	}
	return r
}

// PacksSDW is packssdw: the dwords of a then b, saturated to signed words.
func PacksSDW(a, b X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetW(i, satS16(int(int32(a.D(i)))))
		r.SetW(4+i, satS16(int(int32(b.D(i)))))
	}
	return r
}

// PackUSWB is packuswb: signed words saturated to unsigned bytes.
func PackUSWB(a, b X) X {
	var r X
	for i := 0; i < 8; i++ {
		r.SetB(i, satU8(int(int16(a.W(i)))))
		r.SetB(8+i, satU8(int(int16(b.W(i)))))
	}
	return r
}

// PackUSDW is packusdw (SSE4.1): signed dwords saturated to unsigned words.
func PackUSDW(a, b X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetW(i, satU16(int(int32(a.D(i)))))
		r.SetW(4+i, satU16(int(int32(b.D(i)))))
	}
	return r
}

// PunpcklBW is punpcklbw: a0 b0 a1 b1 ... from the low bytes.
func PunpcklBW(a, b X) X {
	var r X
	for i := 0; i < 8; i++ {
		r.SetB(2*i, a.B(i))
		r.SetB(2*i+1, b.B(i))
	}
	return r
}

// PunpckhBW is punpckhbw: from the high bytes.
func PunpckhBW(a, b X) X {
	var r X
	for i := 0; i < 8; i++ {
		r.SetB(2*i, a.B(8+i))
		r.SetB(2*i+1, b.B(8+i))
	}
	return r
}

// PunpcklWD is punpcklwd.
func PunpcklWD(a, b X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetW(2*i, a.W(i))
		r.SetW(2*i+1, b.W(i))
	}
	return r
}

// PunpckhWD is punpckhwd.
func PunpckhWD(a, b X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetW(2*i, a.W(4+i))
		r.SetW(2*i+1, b.W(4+i))
	}
	return r
}

// PunpcklDQ is punpckldq and unpcklps.
func PunpcklDQ(a, b X) X { return X{a[0]&0xffffffff | b[0]<<32, a[0]>>32 | b[0]&^0xffffffff} }

// PunpckhDQ is punpckhdq and unpckhps.
func PunpckhDQ(a, b X) X { return X{a[1]&0xffffffff | b[1]<<32, a[1]>>32 | b[1]&^0xffffffff} }

// PunpcklQDQ is punpcklqdq, unpcklpd and movlhps.
func PunpcklQDQ(a, b X) X { return X{a[0], b[0]} }

// PunpckhQDQ is punpckhqdq and unpckhpd.
func PunpckhQDQ(a, b X) X { return X{a[1], b[1]} }

// Pshufd is pshufd: dword i of the result is dword imm[2i+1:2i] of a.
func Pshufd(a X, imm uint8) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetD(i, a.D(int(imm>>(2*i)&3)))
	}
	return r
}

// Pshuflw is pshuflw: the low four words shuffled, the high quadword kept.
func Pshuflw(a X, imm uint8) X {
	r := a
	for i := 0; i < 4; i++ {
		r.SetW(i, a.W(int(imm>>(2*i)&3)))
	}
	return r
}

// Pshufhw is pshufhw: the high four words shuffled.
func Pshufhw(a X, imm uint8) X {
	r := a
	for i := 0; i < 4; i++ {
		r.SetW(4+i, a.W(4+int(imm>>(2*i)&3)))
	}
	return r
}

// Pslldq is pslldq: a shifted left by n bytes (zero when n > 15).
func Pslldq(a X, n uint8) X {
	if n > 15 {
		return X{}
	}
	sh := uint(n) * 8
	switch {
	case sh == 0:
		return a
	case sh >= 64:
		return X{0, a[0] << (sh - 64)}
	}
	return X{a[0] << sh, a[1]<<sh | a[0]>>(64-sh)}
}

// Psrldq is psrldq: a shifted right by n bytes.
func Psrldq(a X, n uint8) X {
	if n > 15 {
		return X{}
	}
	sh := uint(n) * 8
	switch {
	case sh == 0:
		return a
	case sh >= 64:
		return X{a[1] >> (sh - 64), 0}
	}
	return X{a[0]>>sh | a[1]<<(64-sh), a[1] >> sh}
}

// shiftCount is the count operand of the shifts by xmm: its low quadword.
func shiftCount(c X) uint64 { return c[0] }

// PsllW is psllw by an xmm count: counts above 15 give zero.
func PsllW(a, c X) X { return psllW(a, shiftCount(c)) }

// PsllD is pslld by an xmm count.
func PsllD(a, c X) X { return psllD(a, shiftCount(c)) }

// PsllQ is psllq by an xmm count.
func PsllQ(a, c X) X { return psllQ(a, shiftCount(c)) }

// PsrlW is psrlw by an xmm count.
func PsrlW(a, c X) X { return psrlW(a, shiftCount(c)) }

// PsrlD is psrld by an xmm count.
func PsrlD(a, c X) X { return psrlD(a, shiftCount(c)) }

// PsrlQ is psrlq by an xmm count.
func PsrlQ(a, c X) X { return psrlQ(a, shiftCount(c)) }

// PsraW is psraw by an xmm count: counts above 15 shift in sign bits.
func PsraW(a, c X) X { return psraW(a, shiftCount(c)) }

// PsraD is psrad by an xmm count.
func PsraD(a, c X) X { return psraD(a, shiftCount(c)) }

// PsllWI is psllw by an immediate.
func PsllWI(a X, n uint8) X { return psllW(a, uint64(n)) }

// PsllDI is pslld by an immediate.
func PsllDI(a X, n uint8) X { return psllD(a, uint64(n)) }

// PsllQI is psllq by an immediate.
func PsllQI(a X, n uint8) X { return psllQ(a, uint64(n)) }

// PsrlWI is psrlw by an immediate.
func PsrlWI(a X, n uint8) X { return psrlW(a, uint64(n)) }

// PsrlDI is psrld by an immediate.
func PsrlDI(a X, n uint8) X { return psrlD(a, uint64(n)) }

// PsrlQI is psrlq by an immediate.
func PsrlQI(a X, n uint8) X { return psrlQ(a, uint64(n)) }

// PsraWI is psraw by an immediate.
func PsraWI(a X, n uint8) X { return psraW(a, uint64(n)) }

// PsraDI is psrad by an immediate.
func PsraDI(a X, n uint8) X { return psraD(a, uint64(n)) }

func psllW(a X, n uint64) X {
	if n > 15 {
		return X{}
	}
	m := uint64(0xffff<<n&0xffff) * 0x0001000100010001
	return X{a[0] << n & m, a[1] << n & m}
}

func psllD(a X, n uint64) X {
	if n > 31 {
		return X{}
	}
	m := uint64(0xffffffff<<n&0xffffffff) * 0x0000000100000001
	return X{a[0] << n & m, a[1] << n & m}
}

func psllQ(a X, n uint64) X {
	if n > 63 {
		return X{}
	}
	return X{a[0] << n, a[1] << n}
}

func psrlW(a X, n uint64) X {
	if n > 15 {
		return X{}
	}
	m := uint64(0xffff>>n) * 0x0001000100010001
	return X{a[0] >> n & m, a[1] >> n & m}
}

func psrlD(a X, n uint64) X {
	if n > 31 {
		return X{}
	}
	m := uint64(0xffffffff>>n) * 0x0000000100000001
	return X{a[0] >> n & m, a[1] >> n & m}
}

func psrlQ(a X, n uint64) X {
	if n > 63 {
		return X{}
	}
	return X{a[0] >> n, a[1] >> n}
}

func psraW(a X, n uint64) X {
	n = min(n, 15)
	var r X
	for i := 0; i < 8; i++ {
		r.SetW(i, uint16(int16(a.W(i))>>n))
	}
	return r
}

func psraD(a X, n uint64) X {
	n = min(n, 31)
	var r X
	for i := 0; i < 4; i++ {
		r.SetD(i, uint32(int32(a.D(i))>>n))
	}
	return r
}

// Pmovmskb is pmovmskb: the top bit of each byte.
func Pmovmskb(a X) uint32 {
	const m = 0x8080808080808080
	const mul = 0x0002040810204081
	lo := (a[0] & m) * mul >> 56
	hi := (a[1] & m) * mul >> 56
	return uint32(lo | hi<<8)
}

// PmovmskbY is vpmovmskb with a 256-bit source.
func PmovmskbY(a Y) uint32 { return Pmovmskb(a.Lo()) | Pmovmskb(a.Hi())<<16 }

// MaskMovDQU is the byte mask of maskmovdqu (and movmskb): bit i set means
// byte i of the data is stored at [rDI+i]; the other bytes are not
// accessed.
func MaskMovDQU(mask X) uint16 { return uint16(Pmovmskb(mask)) }

// Pinsrw is pinsrw: word imm&7 of a replaced by v.
func Pinsrw(a X, v uint16, imm uint8) X {
	a.SetW(int(imm&7), v)
	return a
}

// Pextrw is pextrw: word imm&7 of a, zero-extended.
func Pextrw(a X, imm uint8) uint32 { return uint32(a.W(int(imm & 7))) }

// MovmskPS is movmskps: the sign bits of the four dwords.
func MovmskPS(a X) uint32 {
	return uint32(a[0]>>31&1 | a[0]>>62&2 | a[1]>>29&4 | a[1]>>60&8)
}

// MovmskPD is movmskpd: the sign bits of the two quadwords.
func MovmskPD(a X) uint32 { return uint32(a[0]>>63 | a[1]>>63<<1) }

// MovmskPSY is vmovmskps with a 256-bit source.
func MovmskPSY(a Y) uint32 { return MovmskPS(a.Lo()) | MovmskPS(a.Hi())<<4 }

// MovmskPDY is vmovmskpd with a 256-bit source.
func MovmskPDY(a Y) uint32 { return MovmskPD(a.Lo()) | MovmskPD(a.Hi())<<2 }

// ShufPS is shufps: two dwords of a (imm[1:0], imm[3:2]) then two of b.
func ShufPS(a, b X, imm uint8) X {
	var r X
	r.SetD(0, a.D(int(imm&3)))
	r.SetD(1, a.D(int(imm>>2&3)))
	r.SetD(2, b.D(int(imm>>4&3)))
	r.SetD(3, b.D(int(imm>>6&3)))
	return r
}

// ShufPD is shufpd: a's quadword imm[0], b's quadword imm[1].
func ShufPD(a, b X, imm uint8) X { return X{a[imm&1], b[imm>>1&1]} }

// ShufPDY is vshufpd with 256-bit operands: imm[3:2] select in the high lane.
func ShufPDY(a, b Y, imm uint8) Y {
	return YOf(ShufPD(a.Lo(), b.Lo(), imm), ShufPD(a.Hi(), b.Hi(), imm>>2))
}

// MovSS is movss between registers: b's low dword into a.
func MovSS(a, b X) X {
	a.SetD(0, b.D(0))
	return a
}

// MovSD is movsd between registers: b's low quadword into a.
func MovSD(a, b X) X { return X{b[0], a[1]} }

// MovHLPS is movhlps: b's high quadword into a's low one.
func MovHLPS(a, b X) X { return X{b[1], a[1]} }

// MovLHPS is movlhps: b's low quadword into a's high one.
func MovLHPS(a, b X) X { return X{a[0], b[0]} }
