package vec

// The conversions between floating-point formats and integers.

// Integer indefinite values, returned by an invalid float-to-integer
// conversion.
const (
	IndefiniteInt32 = 0x80000000
	IndefiniteInt64 = 0x8000000000000000
)

// toInt converts x to a signed integer of n bits (32 or 64) in mode rc:
// NaNs, infinities and out-of-range values raise IE and give the integer
// indefinite (whose encoding is also the most negative integer);
// inexact results raise PE. Denormal operands raise nothing.
func (f *format) toInt(x uint64, n uint, rc, mx uint32) (uint64, uint32) {
	a, _ := f.unpack(x, mx)
	indef := uint64(1) << (n - 1)
	switch a.kind {
	case kNaN, kInf:
		return indef, IE
	case kZero:
		return 0, 0
	}
	if a.e > 63 {
		return indef, IE
	}
	q, inexact := roundShift(a.m, uint(63-a.e), rc, a.neg)
	if q > indef || q == indef && !a.neg {
		return indef, IE
	}
	if a.neg {
		q = -q
	}
	q &= indef<<1 - 1
	if inexact {
		return q, PE
	}
	return q, 0
}

// fromInt converts the signed integer v to f in mode rc.
func (f *format) fromInt(v int64, rc, mx uint32) (uint64, uint32) {
	if v == 0 {
		return 0, 0
	}
	mag := uint64(v)
	if v < 0 {
		mag = -mag
	}
	return f.round(v < 0, 127, 0, mag, rc, mx)
}

// convert converts x from format f to format t: a signalling NaN raises IE
// and every NaN is quietened, keeping the payload's top bits.
func (f *format) convert(t *format, x uint64, rc, mx uint32) (uint64, uint32) {
	a, fl := f.unpack(x, mx)
	switch a.kind {
	case kNaN:
		if a.snan {
			fl = IE
		}
		frac := x & f.fracMask()
		if t.p > f.p {
			frac <<= t.p - f.p
		} else {
			frac >>= f.p - t.p
		}
		return t.sign(a.neg) | t.expField() | t.quietBit() | frac, fl
	case kInf:
		return t.inf(a.neg), fl
	case kZero:
		return t.zero(a.neg), fl
	}
	r, fr := t.round(a.neg, a.e, a.m, 0, rc, mx)
	return r, mergeFlags(fl|fr, mx)
}

// CvtDQ2PS is cvtdq2ps: four int32 to float32.
func CvtDQ2PS(a X, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		v, f := f32.fromInt(int64(int32(a.D(i))), rcOf(mx), mx)
		r.SetD(i, uint32(v))
		fl |= f
	}
	return r, fl
}

func ps2dq(a X, rc, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		v, f := f32.toInt(uint64(a.D(i)), 32, rc, mx)
		r.SetD(i, uint32(v))
		fl |= f
	}
	return r, mergeFlags(fl, mx)
}

// CvtPS2DQ is cvtps2dq: four float32 to int32, rounding per MXCSR.
func CvtPS2DQ(a X, mx uint32) (X, uint32) { return ps2dq(a, rcOf(mx), mx) }

// CvttPS2DQ is cvttps2dq: truncating.
func CvttPS2DQ(a X, mx uint32) (X, uint32) { return ps2dq(a, RoundZero, mx) }

func pd2dq(a X, rc, mx uint32) (X, uint32) {
	v0, f0 := f64.toInt(a[0], 32, rc, mx)
	v1, f1 := f64.toInt(a[1], 32, rc, mx)
	return X{v0 | v1<<32, 0}, mergeFlags(f0|f1, mx)
}

// CvtPD2DQ is cvtpd2dq: two float64 to int32 in the low half; the high
// half is zeroed.
func CvtPD2DQ(a X, mx uint32) (X, uint32) { return pd2dq(a, rcOf(mx), mx) }

// CvttPD2DQ is cvttpd2dq.
func CvttPD2DQ(a X, mx uint32) (X, uint32) { return pd2dq(a, RoundZero, mx) }

// CvtDQ2PD is cvtdq2pd: the two low int32 to float64 (exact).
func CvtDQ2PD(a X) X {
	v0, _ := f64.fromInt(int64(int32(a.D(0))), 0, MXCSRDefault)
	v1, _ := f64.fromInt(int64(int32(a.D(1))), 0, MXCSRDefault)
	return X{v0, v1}
}

// CvtPS2PD is cvtps2pd: the two low float32 to float64.
func CvtPS2PD(a X, mx uint32) (X, uint32) {
	v0, f0 := f32.convert(f64, uint64(a.D(0)), rcOf(mx), mx)
	v1, f1 := f32.convert(f64, uint64(a.D(1)), rcOf(mx), mx)
	return X{v0, v1}, f0 | f1
}

// CvtPD2PS is cvtpd2ps: two float64 to float32 in the low half; the high
// half is zeroed.
func CvtPD2PS(a X, mx uint32) (X, uint32) {
	v0, f0 := f64.convert(f32, a[0], rcOf(mx), mx)
	v1, f1 := f64.convert(f32, a[1], rcOf(mx), mx)
	return X{v0 | v1<<32, 0}, mergeFlags(f0|f1, mx)
}

// CvtSS2SD is cvtss2sd: b's low float32 to float64 into a's low lane.
func CvtSS2SD(a, b X, mx uint32) (X, uint32) {
	v, fl := f32.convert(f64, uint64(b.D(0)), rcOf(mx), mx)
	return X{v, a[1]}, fl
}

// CvtSD2SS is cvtsd2ss: b's low float64 to float32 into a's low lane.
func CvtSD2SS(a, b X, mx uint32) (X, uint32) {
	v, fl := f64.convert(f32, b[0], rcOf(mx), mx)
	a.SetD(0, uint32(v))
	return a, fl
}

// signed returns v as a signed integer of 64 bits, or of 32 when !is64.
func signed(v uint64, is64 bool) int64 {
	if is64 {
		return int64(v)
	}
	return int64(int32(v))
}

// CvtSI2SS is cvtsi2ss: the integer v (int64 if is64, else int32) to
// float32 into a's low lane.
func CvtSI2SS(a X, v uint64, is64 bool, mx uint32) (X, uint32) {
	r, fl := f32.fromInt(signed(v, is64), rcOf(mx), mx)
	a.SetD(0, uint32(r))
	return a, fl
}

// CvtSI2SD is cvtsi2sd.
func CvtSI2SD(a X, v uint64, is64 bool, mx uint32) (X, uint32) {
	r, fl := f64.fromInt(signed(v, is64), rcOf(mx), mx)
	return X{r, a[1]}, fl
}

func intBits(is64 bool) uint {
	if is64 {
		return 64
	}
	return 32
}

// CvtSS2SI is cvtss2si: b's low float32 to int64 (is64) or int32
// (zero-extended), rounding per MXCSR.
func CvtSS2SI(b X, is64 bool, mx uint32) (uint64, uint32) {
	return f32.toInt(uint64(b.D(0)), intBits(is64), rcOf(mx), mx)
}

// CvttSS2SI is cvttss2si: truncating.
func CvttSS2SI(b X, is64 bool, mx uint32) (uint64, uint32) {
	return f32.toInt(uint64(b.D(0)), intBits(is64), RoundZero, mx)
}

// CvtSD2SI is cvtsd2si.
func CvtSD2SI(b X, is64 bool, mx uint32) (uint64, uint32) {
	return f64.toInt(b[0], intBits(is64), rcOf(mx), mx)
}

// CvttSD2SI is cvttsd2si.
func CvttSD2SI(b X, is64 bool, mx uint32) (uint64, uint32) {
	return f64.toInt(b[0], intBits(is64), RoundZero, mx)
}

// CvtPI2PS is cvtpi2ps: the two int32 of the MMX value m to float32 into
// a's low half; a's high half is kept.
func CvtPI2PS(a X, m uint64, mx uint32) (X, uint32) {
	r, fl := CvtDQ2PS(X{m, 0}, mx)
	return X{r[0], a[1]}, fl
}

// CvtPS2PI is cvtps2pi: b's two low float32 to an MMX pair of int32.
func CvtPS2PI(b X, mx uint32) (uint64, uint32) {
	r, fl := CvtPS2DQ(X{b[0], 0}, mx)
	return r[0], fl
}

// CvttPS2PI is cvttps2pi.
func CvttPS2PI(b X, mx uint32) (uint64, uint32) {
	r, fl := CvttPS2DQ(X{b[0], 0}, mx)
	return r[0], fl
}

// CvtPI2PD is cvtpi2pd: the two int32 of m to float64 (exact).
func CvtPI2PD(m uint64) X { return CvtDQ2PD(X{m, 0}) }

// CvtPD2PI is cvtpd2pi: two float64 to an MMX pair of int32.
func CvtPD2PI(b X, mx uint32) (uint64, uint32) {
	r, fl := CvtPD2DQ(b, mx)
	return r[0], fl
}

// CvttPD2PI is cvttpd2pi.
func CvttPD2PI(b X, mx uint32) (uint64, uint32) {
	r, fl := CvttPD2DQ(b, mx)
	return r[0], fl
}

// The 256-bit VEX conversions that change the vector width.

// CvtPD2DQY is vcvtpd2dq ymm→xmm.
func CvtPD2DQY(a Y, mx uint32) (X, uint32) {
	lo, f0 := CvtPD2DQ(a.Lo(), mx)
	hi, f1 := CvtPD2DQ(a.Hi(), mx)
	return X{lo[0], hi[0]}, mergeFlags(f0|f1, mx)
}

// CvttPD2DQY is vcvttpd2dq ymm→xmm.
func CvttPD2DQY(a Y, mx uint32) (X, uint32) {
	lo, f0 := CvttPD2DQ(a.Lo(), mx)
	hi, f1 := CvttPD2DQ(a.Hi(), mx)
	return X{lo[0], hi[0]}, mergeFlags(f0|f1, mx)
}

// CvtPD2PSY is vcvtpd2ps ymm→xmm.
func CvtPD2PSY(a Y, mx uint32) (X, uint32) {
	lo, f0 := CvtPD2PS(a.Lo(), mx)
	hi, f1 := CvtPD2PS(a.Hi(), mx)
	return X{lo[0], hi[0]}, mergeFlags(f0|f1, mx)
}

// CvtDQ2PDY is vcvtdq2pd xmm→ymm.
func CvtDQ2PDY(a X) Y { return YOf(CvtDQ2PD(a), CvtDQ2PD(X{a[1], 0})) }

// CvtPS2PDY is vcvtps2pd xmm→ymm.
func CvtPS2PDY(a X, mx uint32) (Y, uint32) {
	lo, f0 := CvtPS2PD(a, mx)
	hi, f1 := CvtPS2PD(X{a[1], 0}, mx)
	return YOf(lo, hi), f0 | f1
}
