package vec

// F16C: conversions between half and single precision.

// CvtPH2PS is vcvtph2ps: the four low halves of a to single precision
// (exact; a signalling NaN raises IE and is quietened). Denormal halves
// are converted, never flushed by DAZ, and raise no DE (measured).
func CvtPH2PS(a X, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		v, f := f16.convert(f32, uint64(a.W(i)), RoundNearest, mx&^DAZ)
		r.SetD(i, uint32(v))
		fl |= f &^ DE
	}
	return r, mergeFlags(fl, mx)
}

// CvtPH2PSY is the 256-bit form: eight halves.
func CvtPH2PSY(a X, mx uint32) (Y, uint32) {
	lo, f0 := CvtPH2PS(a, mx)
	hi, f1 := CvtPH2PS(X{a[1], 0}, mx)
	return YOf(lo, hi), mergeFlags(f0|f1, mx)
}

// CvtPS2PH is vcvtps2ph: four singles to halves (the low 64 bits of the
// result; an xmm destination's other bits are zeroed), rounding per
// imm[1:0], or MXCSR.RC when imm[2] is set. MXCSR.FTZ does not apply.
func CvtPS2PH(a X, imm uint8, mx uint32) (uint64, uint32) {
	rc := uint32(imm & 3)
	if imm&4 != 0 {
		rc = rcOf(mx)
	}
	var r uint64
	var fl uint32
	for i := 0; i < 4; i++ {
		v, f := f32.convert(f16, uint64(a.D(i)), rc, mx&^FTZ)
		r |= v << (16 * uint(i))
		fl |= f
	}
	return r, mergeFlags(fl, mx)
}

// CvtPS2PHY is the 256-bit form: eight singles to an xmm of halves.
func CvtPS2PHY(a Y, imm uint8, mx uint32) (X, uint32) {
	lo, f0 := CvtPS2PH(a.Lo(), imm, mx)
	hi, f1 := CvtPS2PH(a.Hi(), imm, mx)
	return X{lo, hi}, mergeFlags(f0|f1, mx)
}
