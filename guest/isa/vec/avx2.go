package vec

// The AVX/AVX2 operations that cross 128-bit lanes or have no SSE
// counterpart: permutes, broadcasts, 128-bit inserts and extracts,
// per-element variable shifts, dword blends, masked moves and gathers.

// PermD is vpermd (and vpermps): dword i of the result is v's dword
// idx[i] & 7.
func PermD(idx, v Y) Y {
	var r Y
	for i := 0; i < 8; i++ {
		r.SetD(i, v.D(int(idx.D(i)&7)))
	}
	return r
}

// PermQ is vpermq (and vpermpd): quadword i is v's quadword imm[2i+1:2i].
func PermQ(v Y, imm uint8) Y {
	return Y{v[imm&3], v[imm>>2&3], v[imm>>4&3], v[imm>>6&3]}
}

// Perm2x128 is vperm2i128 (and vperm2f128): each half of the result is
// chosen by imm[1:0] (low) and imm[5:4] (high) from a.lo, a.hi, b.lo,
// b.hi, or zeroed by imm[3] (imm[7]).
func Perm2x128(a, b Y, imm uint8) Y {
	pick := func(sel uint8) X {
		if sel&8 != 0 {
			return X{}
		}
		switch sel & 3 {
		case 0:
			return a.Lo()
		case 1:
			return a.Hi()
		case 2:
			return b.Lo()
		}
		return b.Hi()
	}
	return YOf(pick(imm&15), pick(imm>>4))
}

// PermilPS is vpermilps with a vector control: dword i is a's dword
// ctl[i] & 3 within its 128-bit lane (apply per lane for 256 bits).
func PermilPS(a, ctl X) X {
	var r X
	for i := 0; i < 4; i++ {
		r.SetD(i, a.D(int(ctl.D(i)&3)))
	}
	return r
}

// PermilPD is vpermilpd with a vector control: quadword i is a's
// quadword bit 1 of ctl's quadword i.
func PermilPD(a, ctl X) X { return X{a[ctl[0]>>1&1], a[ctl[1]>>1&1]} }

// PermilPDI is vpermilpd with an immediate, 128 bits: imm[0], imm[1].
func PermilPDI(a X, imm uint8) X { return X{a[imm&1], a[imm>>1&1]} }

// PermilPDIY is vpermilpd with an immediate, 256 bits: imm[3:2] for the
// high lane. (vpermilps with an immediate is Pshufd per lane.)
func PermilPDIY(a Y, imm uint8) Y { return YOf(PermilPDI(a.Lo(), imm), PermilPDI(a.Hi(), imm>>2)) }

// Broadcast8 is vpbroadcastb: the byte everywhere (take Lo for xmm).
func Broadcast8(v uint8) Y {
	q := uint64(v) * 0x0101010101010101
	return Y{q, q, q, q}
}

// Broadcast16 is vpbroadcastw.
func Broadcast16(v uint16) Y {
	q := uint64(v) * 0x0001000100010001
	return Y{q, q, q, q}
}

// Broadcast32 is vpbroadcastd and vbroadcastss.
func Broadcast32(v uint32) Y {
	q := uint64(v) * 0x0000000100000001
	return Y{q, q, q, q}
}

// Broadcast64 is vpbroadcastq and vbroadcastsd.
func Broadcast64(v uint64) Y { return Y{v, v, v, v} }

// Broadcast128 is vbroadcasti128 and vbroadcastf128.
func Broadcast128(v X) Y { return YOf(v, v) }

// Insert128 is vinserti128 (and vinsertf128): a with the half imm[0]
// replaced by b.
func Insert128(a Y, b X, imm uint8) Y {
	if imm&1 != 0 {
		return YOf(a.Lo(), b)
	}
	return YOf(b, a.Hi())
}

// Extract128 is vextracti128 (and vextractf128): the half imm[0] of a.
func Extract128(a Y, imm uint8) X {
	if imm&1 != 0 {
		return a.Hi()
	}
	return a.Lo()
}

// PblendD is vpblendd: dword i from b where imm bit i is set (for 128
// bits only imm[3:0] matter).
func PblendD(a, b Y, imm uint8) Y {
	r := a
	for i := 0; i < 8; i++ {
		if imm>>i&1 != 0 {
			r.SetD(i, b.D(i))
		}
	}
	return r
}

// PsllvD is vpsllvd: each dword shifted left by the matching dword of c
// (32 or more gives zero). 128-bit; use Lanes2 for 256.
func PsllvD(a, c X) X {
	return mapD(a, c, func(x, n uint32) uint32 {
		if n > 31 {
			return 0
		}
		return x << n
	})
}

// PsrlvD is vpsrlvd.
func PsrlvD(a, c X) X {
	return mapD(a, c, func(x, n uint32) uint32 {
		if n > 31 {
			return 0
		}
		return x >> n
	})
}

// PsravD is vpsravd: counts of 32 or more fill with the sign bit.
func PsravD(a, c X) X {
	return mapD(a, c, func(x, n uint32) uint32 { return uint32(int32(x) >> min(n, 31)) })
}

// PsllvQ is vpsllvq.
func PsllvQ(a, c X) X {
	f := func(x, n uint64) uint64 {
		if n > 63 {
			return 0
		}
		return x << n
	}
	return X{f(a[0], c[0]), f(a[1], c[1])}
}

// PsrlvQ is vpsrlvq.
func PsrlvQ(a, c X) X {
	f := func(x, n uint64) uint64 {
		if n > 63 {
			return 0
		}
		return x >> n
	}
	return X{f(a[0], c[0]), f(a[1], c[1])}
}

// MaskD is the element mask of vpmaskmovd and vmaskmovps: bit i set when
// dword i of m has its sign bit set. A masked load reads (and may fault
// on) only those elements and zeroes the others (MaskedD); a masked store
// writes only those.
func MaskD(m Y) uint8 { return uint8(MovmskPSY(m)) }

// MaskQ is MaskD for quadword elements (vpmaskmovq, vmaskmovpd).
func MaskQ(m Y) uint8 { return uint8(MovmskPDY(m)) }

// MaskedD keeps the dwords of v selected by MaskD(m) and zeroes the rest.
func MaskedD(v, m Y) Y {
	var r Y
	for i := range r {
		sel := (m[i] & 0x8000000080000000 >> 31) * 0xffffffff
		r[i] = v[i] & sel
	}
	return r
}

// MaskedQ keeps the quadwords of v selected by MaskQ(m).
func MaskedQ(v, m Y) Y {
	var r Y
	for i := range r {
		r[i] = v[i] & uint64(int64(m[i])>>63)
	}
	return r
}

// A GatherPlan is the element-by-element work of a vgather: for each i
// below N with bit i of Load set, the ElemSize bytes at Addr[i] go into
// element i of the destination. The caller adds the base register to
// Addr (and wraps to the address size), performs the loads in element
// order (on a fault, the elements already loaded stay loaded and their
// mask elements cleared, as the hardware leaves them), then calls
// GatherDone.
type GatherPlan struct {
	N        int       // elements
	ElemSize int       // 4 or 8
	Load     uint8     // elements to load (the mask's sign bits)
	Addr     [8]int64  // index*scale + disp, before the base is added
	Vals     [8]uint64 // filled in by the caller for the elements loaded
}

// PlanGather computes the plan of a gather with the given index register
// (dword indices when idx32, else qword, sign-extended), mask register,
// element size, scale and displacement; vlen is 16 or 32, the width of the
// index register for qword indices and of the destination otherwise.
func PlanGather(index, mask Y, idx32 bool, elemSize int, vlen int, scale uint8, disp int64) GatherPlan {
	var g GatherPlan
	g.ElemSize = elemSize
	if idx32 {
		g.N = vlen / elemSize
	} else {
		g.N = vlen / 8
	}
	for i := 0; i < g.N; i++ {
		var ix int64
		if idx32 {
			ix = int64(int32(index.D(i)))
		} else {
			ix = int64(index[i])
		}
		g.Addr[i] = ix*int64(scale) + disp
		var sign bool
		if elemSize == 4 {
			sign = int32(mask.D(i)) < 0
		} else {
			sign = int64(mask[i]) < 0
		}
		if sign {
			g.Load |= 1 << i
		}
	}
	return g
}

// GatherDone merges the loaded elements into dst and returns the
// destination and mask registers as the completed instruction leaves
// them: the elements past N (and, for a 128-bit destination, the upper
// half) zeroed, and the mask zeroed.
func GatherDone(dst Y, g *GatherPlan) (Y, Y) {
	var r Y
	for i := 0; i < g.N; i++ {
		var v uint64
		if g.ElemSize == 4 {
			v = uint64(dst.D(i))
		} else {
			v = dst[i]
		}
		if g.Load>>i&1 != 0 {
			v = g.Vals[i]
		}
		if g.ElemSize == 4 {
			r.SetD(i, uint32(v))
		} else {
			r[i] = v
		}
	}
	return r, Y{}
}
