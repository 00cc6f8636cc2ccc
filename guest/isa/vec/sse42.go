package vec

// SSE4.2: the string compares (pcmpestri/m, pcmpistri/m) and crc32, and
// POPCNT.

// The immediate of the string compares.
const (
	StrUnsignedBytes = 0b00
	StrUnsignedWords = 0b01
	StrSignedBytes   = 0b10
	StrSignedWords   = 0b11

	StrEqualAny     = 0b00 << 2
	StrRanges       = 0b01 << 2
	StrEqualEach    = 0b10 << 2
	StrEqualOrdered = 0b11 << 2

	StrNegative       = 0b01 << 4
	StrMaskedPositive = 0b10 << 4
	StrMaskedNegative = 0b11 << 4

	StrMostSignificant = 1 << 6 // pcmp?stri: the highest set bit's index
	StrUnitMask        = 1 << 6 // pcmp?strm: a byte/word mask, not a bit mask
)

// strElems returns the element count (16 or 8) and element i of x.
func strElem(x X, imm uint8, i int) int {
	switch imm & 3 {
	case StrUnsignedBytes:
		return int(x.B(i))
	case StrUnsignedWords:
		return int(x.W(i))
	case StrSignedBytes:
		return int(int8(x.B(i)))
	}
	return int(int16(x.W(i)))
}

func strN(imm uint8) int {
	if imm&1 != 0 {
		return 8
	}
	return 16
}

// implicitLen is the index of the first zero element (or n).
func implicitLen(x X, imm uint8) int {
	n := strN(imm)
	for i := 0; i < n; i++ {
		if strElem(x, imm, i) == 0 {
			return i
		}
	}
	return n
}

// explicitLen is |v| saturated to n.
func explicitLen(v int64, imm uint8) int {
	n := int64(strN(imm))
	if v < 0 {
		v = -v
	}
	if v < 0 || v > n { // |MinInt64| wraps
		v = n
	}
	return int(v)
}

// pcmpstr computes IntRes2 and the flags of a string compare of a (the
// register operand, length la) and b (the register-or-memory operand,
// length lb).
func pcmpstr(a, b X, la, lb int, imm uint8) (uint16, uint32) {
	n := strN(imm)
	var ea, eb [16]int
	for i := 0; i < n; i++ {
		ea[i], eb[i] = strElem(a, imm, i), strElem(b, imm, i)
	}
	// boolRes(i, j) compares b[i] with a[j], with the overrides for
	// elements past the lengths.
	agg := imm >> 2 & 3
	boolRes := func(i, j int) bool {
		av, bv := j < la, i < lb
		switch agg << 2 {
		case StrEqualAny:
			return av && bv && eb[i] == ea[j]
		case StrRanges:
			if !av || !bv {
				return false
			}
			if j&1 == 0 {
				return eb[i] >= ea[j]
			}
			return eb[i] <= ea[j]
		case StrEqualEach:
			if !av || !bv {
				return !av && !bv
			}
			return eb[i] == ea[j]
		}
		// Equal ordered.
		if !av {
			return true
		}
		if !bv {
			return false
		}
		return eb[i] == ea[j]
	}
	var res1 uint16
	for i := 0; i < n; i++ {
		var t bool
		switch agg << 2 {
		case StrEqualAny:
			for j := 0; j < n && !t; j++ {
				t = boolRes(i, j)
			}
		case StrRanges:
			for j := 0; j+1 < n && !t; j += 2 {
				t = boolRes(i, j) && boolRes(i, j+1)
			}
		case StrEqualEach:
			t = boolRes(i, i)
		default:
			t = true
			for k := 0; i+k < n && t; k++ {
				t = boolRes(i+k, k)
			}
		}
		if t {
			res1 |= 1 << i
		}
	}
	all := uint16(1<<n - 1)
	res2 := res1
	switch imm >> 4 & 3 {
	case 1:
		res2 = ^res1 & all
	case 3:
		res2 = res1 ^ uint16(1<<lb-1)
	}
	var fl uint32
	if res2 != 0 {
		fl |= CF
	}
	if lb < n {
		fl |= ZF
	}
	if la < n {
		fl |= SF
	}
	if res2&1 != 0 {
		fl |= OF
	}
	return res2, fl
}

func strIndex(res uint16, imm uint8) uint32 {
	if res == 0 {
		return uint32(strN(imm))
	}
	if imm&StrMostSignificant != 0 {
		i := 15
		for res>>i == 0 {
			i--
		}
		return uint32(i)
	}
	i := 0
	for res>>i&1 == 0 {
		i++
	}
	return uint32(i)
}

func strMask(res uint16, imm uint8) X {
	if imm&StrUnitMask == 0 {
		return X{uint64(res), 0}
	}
	var r X
	if imm&1 != 0 {
		for i := 0; i < 8; i++ {
			r.SetW(i, maskW(res>>i&1 != 0))
		}
		return r
	}
	for i := 0; i < 16; i++ {
		r.SetB(i, maskB(res>>i&1 != 0))
	}
	return r
}

// PcmpEstrI is pcmpestri: a is the xmm register operand, b the xmm/m128
// one; la and lb are EAX and EDX sign-extended (or RAX and RDX with
// REX.W). It returns ECX and the status flags (CF ZF SF OF; AF PF clear).
func PcmpEstrI(a, b X, la, lb int64, imm uint8) (uint32, uint32) {
	res, fl := pcmpstr(a, b, explicitLen(la, imm), explicitLen(lb, imm), imm)
	return strIndex(res, imm), fl
}

// PcmpEstrM is pcmpestrm: the result mask for XMM0 and the flags.
func PcmpEstrM(a, b X, la, lb int64, imm uint8) (X, uint32) {
	res, fl := pcmpstr(a, b, explicitLen(la, imm), explicitLen(lb, imm), imm)
	return strMask(res, imm), fl
}

// PcmpIstrI is pcmpistri: the lengths end at the first zero element.
func PcmpIstrI(a, b X, imm uint8) (uint32, uint32) {
	res, fl := pcmpstr(a, b, implicitLen(a, imm), implicitLen(b, imm), imm)
	return strIndex(res, imm), fl
}

// PcmpIstrM is pcmpistrm.
func PcmpIstrM(a, b X, imm uint8) (X, uint32) {
	res, fl := pcmpstr(a, b, implicitLen(a, imm), implicitLen(b, imm), imm)
	return strMask(res, imm), fl
}

// crcTable is the byte-at-a-time table of CRC-32C (Castagnoli,
// reflected polynomial 0x82F63B78).
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i)
		for k := 0; k < 8; k++ {
			if c&1 != 0 {
				c = c>>1 ^ 0x82F63B78
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// Crc32 is crc32: the CRC-32C of the size low bytes of v (1, 2, 4 or 8)
// accumulated into crc, without pre- or post-inversion, as the
// instruction computes it. The 64-bit form zero-extends into RAX.
func Crc32(crc uint32, v uint64, size int) uint32 {
	for i := 0; i < size; i++ {
		crc = crc>>8 ^ crcTable[byte(crc)^byte(v)]
		v >>= 8
	}
	return crc
}
