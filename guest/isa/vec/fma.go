package vec

// FMA3: fused multiply-add with a single rounding.

// FMAOp selects the fused operation.
type FMAOp uint8

const (
	FMAdd    FMAOp = iota // a×b + c (vfmadd)
	FMSub                 // a×b - c (vfmsub)
	FNMAdd                // -(a×b) + c (vfnmadd)
	FNMSub                // -(a×b) - c (vfnmsub)
	FMAddSub              // even elements a×b - c, odd a×b + c (vfmaddsub)
	FMSubAdd              // even elements a×b + c, odd a×b - c (vfmsubadd)
)

// The instruction forms map their operands to a, b, c as: 132: a = dst,
// b = src3, c = src2; 213: a = src2, b = dst, c = src3; 231: a = src2,
// b = src3, c = dst (dst is ModRM.reg, src2 VEX.vvvv, src3 ModRM.rm).

func (op FMAOp) signs(i int) (negP, negC bool) {
	switch op {
	case FMSub:
		return false, true
	case FNMAdd:
		return true, false
	case FNMSub:
		return true, true
	case FMAddSub:
		return false, i&1 == 0
	case FMSubAdd:
		return false, i&1 != 0
	}
	return false, false
}

// FMA32 is one single-precision element of op (element index i decides
// the alternating forms).
func FMA32(op FMAOp, i int, a, b, c uint32, mx uint32) (uint32, uint32) {
	np, nc := op.signs(i)
	r, fl := f32.fma(uint64(a), uint64(b), uint64(c), np, nc, mx)
	return uint32(r), mergeFlags(fl, mx)
}

// FMA64 is one double-precision element of op.
func FMA64(op FMAOp, i int, a, b, c uint64, mx uint32) (uint64, uint32) {
	np, nc := op.signs(i)
	r, fl := f64.fma(a, b, c, np, nc, mx)
	return r, mergeFlags(fl, mx)
}

// FMAPS applies op to the single-precision lanes of a, b, c (use per
// 128-bit half for 256 bits, merging the flags with Lanes2F's rule).
func FMAPS(op FMAOp, a, b, c X, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		v, f := FMA32(op, i, a.D(i), b.D(i), c.D(i), mx)
		r.SetD(i, v)
		fl |= f
	}
	return r, mergeFlags(fl, mx)
}

// FMAPD applies op to the double-precision lanes.
func FMAPD(op FMAOp, a, b, c X, mx uint32) (X, uint32) {
	r0, f0 := FMA64(op, 0, a[0], b[0], c[0], mx)
	r1, f1 := FMA64(op, 1, a[1], b[1], c[1], mx)
	return X{r0, r1}, mergeFlags(f0|f1, mx)
}

// FMAPSY and FMAPDY are the 256-bit forms.
func FMAPSY(op FMAOp, a, b, c Y, mx uint32) (Y, uint32) {
	lo, f0 := FMAPS(op, a.Lo(), b.Lo(), c.Lo(), mx)
	hi, f1 := FMAPS(op, a.Hi(), b.Hi(), c.Hi(), mx)
	return YOf(lo, hi), mergeFlags(f0|f1, mx)
}

// FMAPDY is the 256-bit double-precision form.
func FMAPDY(op FMAOp, a, b, c Y, mx uint32) (Y, uint32) {
	lo, f0 := FMAPD(op, a.Lo(), b.Lo(), c.Lo(), mx)
	hi, f1 := FMAPD(op, a.Hi(), b.Hi(), c.Hi(), mx)
	return YOf(lo, hi), mergeFlags(f0|f1, mx)
}
