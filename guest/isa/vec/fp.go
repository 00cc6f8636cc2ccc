package vec

// The SSE/SSE2/AVX floating-point arithmetic instructions. Every
// function takes MXCSR and returns the result and the exception flags the
// instruction raises (see Unmasked for the unmasked case).

type op2 func(f *format, x, y uint64, mx uint32) (uint64, uint32)

func addOp(f *format, x, y uint64, mx uint32) (uint64, uint32)  { return f.add(x, y, false, mx) }
func subOp(f *format, x, y uint64, mx uint32) (uint64, uint32)  { return f.add(x, y, true, mx) }
func mulOp(f *format, x, y uint64, mx uint32) (uint64, uint32)  { return f.mul(x, y, mx) }
func divOp(f *format, x, y uint64, mx uint32) (uint64, uint32)  { return f.div(x, y, mx) }
func sqrtOp(f *format, _, y uint64, mx uint32) (uint64, uint32) { return f.sqrt(y, mx) }
func minOp(f *format, x, y uint64, mx uint32) (uint64, uint32)  { return f.minmax(x, y, false, mx) }
func maxOp(f *format, x, y uint64, mx uint32) (uint64, uint32)  { return f.minmax(x, y, true, mx) }

// ps applies op to the four single-precision lanes.
func ps(op op2, a, b X, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		v, f := op(f32, uint64(a.D(i)), uint64(b.D(i)), mx)
		r.SetD(i, uint32(v))
		fl |= f
	}
	return r, mergeFlags(fl, mx)
}

// pd applies op to the two double-precision lanes.
func pd(op op2, a, b X, mx uint32) (X, uint32) {
	r0, f0 := op(f64, a[0], b[0], mx)
	r1, f1 := op(f64, a[1], b[1], mx)
	return X{r0, r1}, mergeFlags(f0|f1, mx)
}

// ss applies op to the low single-precision lane; the rest is a's.
func ss(op op2, a, b X, mx uint32) (X, uint32) {
	v, fl := op(f32, uint64(a.D(0)), uint64(b.D(0)), mx)
	a.SetD(0, uint32(v))
	return a, mergeFlags(fl, mx)
}

// sd applies op to the low double-precision lane; the high one is a's.
func sd(op op2, a, b X, mx uint32) (X, uint32) {
	v, fl := op(f64, a[0], b[0], mx)
	return X{v, a[1]}, mergeFlags(fl, mx)
}

// AddPS is addps: a + b in four single-precision lanes.
func AddPS(a, b X, mx uint32) (X, uint32) { return ps(addOp, a, b, mx) }

// AddPD is addpd.
func AddPD(a, b X, mx uint32) (X, uint32) { return pd(addOp, a, b, mx) }

// AddSS is addss: the low lane of a + b, the other lanes of a.
func AddSS(a, b X, mx uint32) (X, uint32) { return ss(addOp, a, b, mx) }

// AddSD is addsd.
func AddSD(a, b X, mx uint32) (X, uint32) { return sd(addOp, a, b, mx) }

// SubPS is subps: a - b.
func SubPS(a, b X, mx uint32) (X, uint32) { return ps(subOp, a, b, mx) }

// SubPD is subpd.
func SubPD(a, b X, mx uint32) (X, uint32) { return pd(subOp, a, b, mx) }

// SubSS is subss.
func SubSS(a, b X, mx uint32) (X, uint32) { return ss(subOp, a, b, mx) }

// SubSD is subsd.
func SubSD(a, b X, mx uint32) (X, uint32) { return sd(subOp, a, b, mx) }

// MulPS is mulps.
func MulPS(a, b X, mx uint32) (X, uint32) { return ps(mulOp, a, b, mx) }

// MulPD is mulpd.
func MulPD(a, b X, mx uint32) (X, uint32) { return pd(mulOp, a, b, mx) }

// MulSS is mulss.
func MulSS(a, b X, mx uint32) (X, uint32) { return ss(mulOp, a, b, mx) }

// MulSD is mulsd.
func MulSD(a, b X, mx uint32) (X, uint32) { return sd(mulOp, a, b, mx) }

// DivPS is divps: a / b.
func DivPS(a, b X, mx uint32) (X, uint32) { return ps(divOp, a, b, mx) }

// DivPD is divpd.
func DivPD(a, b X, mx uint32) (X, uint32) { return pd(divOp, a, b, mx) }

// DivSS is divss.
func DivSS(a, b X, mx uint32) (X, uint32) { return ss(divOp, a, b, mx) }

// DivSD is divsd.
func DivSD(a, b X, mx uint32) (X, uint32) { return sd(divOp, a, b, mx) }

// SqrtPS is sqrtps: √b.
func SqrtPS(b X, mx uint32) (X, uint32) { return ps(sqrtOp, b, b, mx) }

// SqrtPD is sqrtpd.
func SqrtPD(b X, mx uint32) (X, uint32) { return pd(sqrtOp, b, b, mx) }

// SqrtSS is sqrtss: √ of b's low lane, the other lanes of a.
func SqrtSS(a, b X, mx uint32) (X, uint32) { return ss(sqrtOp, a, b, mx) }

// SqrtSD is sqrtsd.
func SqrtSD(a, b X, mx uint32) (X, uint32) { return sd(sqrtOp, a, b, mx) }

// MinPS is minps: per lane, a if a < b else b (so b when either is a NaN
// or both are zeros).
func MinPS(a, b X, mx uint32) (X, uint32) { return ps(minOp, a, b, mx) }

// MinPD is minpd.
func MinPD(a, b X, mx uint32) (X, uint32) { return pd(minOp, a, b, mx) }

// MinSS is minss.
func MinSS(a, b X, mx uint32) (X, uint32) { return ss(minOp, a, b, mx) }

// MinSD is minsd.
func MinSD(a, b X, mx uint32) (X, uint32) { return sd(minOp, a, b, mx) }

// MaxPS is maxps: per lane, a if a > b else b.
func MaxPS(a, b X, mx uint32) (X, uint32) { return ps(maxOp, a, b, mx) }

// MaxPD is maxpd.
func MaxPD(a, b X, mx uint32) (X, uint32) { return pd(maxOp, a, b, mx) }

// MaxSS is maxss.
func MaxSS(a, b X, mx uint32) (X, uint32) { return ss(maxOp, a, b, mx) }

// MaxSD is maxsd.
func MaxSD(a, b X, mx uint32) (X, uint32) { return sd(maxOp, a, b, mx) }

// minmax is the x86 min/max rule: the first source when it is strictly
// less (greater), otherwise the second source, unchanged (a NaN second
// source is not quietened). Any NaN raises IE.
func (f *format) minmax(x, y uint64, isMax bool, mx uint32) (uint64, uint32) {
	a, fa := f.unpack(x, mx)
	b, fb := f.unpack(y, mx)
	fl := fa | fb
	x, y = f.daz(x, mx), f.daz(y, mx)
	if a.kind == kNaN || b.kind == kNaN {
		return y, IE
	}
	c := cmpNum(a, b)
	if isMax {
		c = -c
	}
	if c < 0 {
		return x, fl
	}
	return y, fl
}

// cmpNum orders two non-NaN operands: -1, 0 or 1.
func cmpNum(a, b num) int {
	sa, sb := a.signum(), b.signum()
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	// Same sign, both nonzero: compare magnitudes.
	c := cmpMag(a, b)
	if sa < 0 {
		c = -c
	}
	return c
}

func (n num) signum() int {
	if n.kind == kZero {
		return 0
	}
	if n.neg {
		return -1
	}
	return 1
}

func cmpMag(a, b num) int {
	switch {
	case a.kind == kInf && b.kind == kInf:
		return 0
	case a.kind == kInf:
		return 1
	case b.kind == kInf:
		return -1
	case a.e != b.e:
		if a.e < b.e {
			return -1
		}
		return 1
	case a.m != b.m:
		if a.m < b.m {
			return -1
		}
		return 1
	}
	return 0
}
