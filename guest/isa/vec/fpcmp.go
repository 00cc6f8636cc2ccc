package vec

import "math"

// Compare predicates (the imm8 of cmpps/pd/ss/sd; the legacy SSE forms
// use only 0-7). Bit 4 flips whether a quiet NaN signals.
const (
	CmpEQ_OQ  = 0
	CmpLT_OS  = 1
	CmpLE_OS  = 2
	CmpUNORD  = 3
	CmpNEQ_UQ = 4
	CmpNLT_US = 5
	CmpNLE_US = 6
	CmpORD_Q  = 7
)

// cmpTrue is, per predicate 0-15, the result for the relations
// less, equal, greater, unordered (bits 0-3).
var cmpTrue = [16]uint8{
	0b0010, 0b0001, 0b0011, 0b1000, 0b1101, 0b1110, 0b1100, 0b0111,
	0b1010, 0b1001, 0b1011, 0b0000, 0b0101, 0b0110, 0b0100, 0b1111,
}

// cmpSignals is, per predicate 0-15, whether a quiet NaN raises IE.
const cmpSignals = 0b0110_0110_0110_0110

// plainCmp reports whether x and y are neither NaNs nor denormals, so
// that they compare as host floats and raise nothing.
func (f *format) plainCmp(x, y uint64) bool {
	return !f.isNaN(x) && !f.isNaN(y) && !f.isDenormal(x) && !f.isDenormal(y)
}

func (f *format) float(x uint64) float64 {
	if f == f32 {
		return float64(math.Float32frombits(uint32(x)))
	}
	return math.Float64frombits(x)
}

// cmpLane evaluates predicate pred (0-31) on x, y.
func (f *format) cmpLane(x, y uint64, pred uint8, mx uint32) (bool, uint32) {
	if f.plainCmp(x, y) {
		a, b := f.float(x), f.float(y)
		rel := 2
		switch {
		case a < b:
			rel = 0
		case a == b:
			rel = 1
		}
		return cmpTrue[pred&15]>>rel&1 != 0, 0
	}
	a, fa := f.unpack(x, mx)
	b, fb := f.unpack(y, mx)
	var rel uint8
	var fl uint32
	if a.kind == kNaN || b.kind == kNaN {
		rel = 3
		signals := cmpSignals>>(pred&15)&1 != 0
		if pred&16 != 0 {
			signals = !signals
		}
		if a.snan || b.snan || signals {
			fl = IE
		}
	} else {
		fl = fa | fb
		switch cmpNum(a, b) {
		case -1:
			rel = 0
		case 0:
			rel = 1
		default:
			rel = 2
		}
	}
	return cmpTrue[pred&15]>>rel&1 != 0, fl
}

func mask64(t bool) uint64 {
	if t {
		return ^uint64(0)
	}
	return 0
}

// CmpPS is cmpps: per lane, all ones when predicate pred (0-31) holds.
func CmpPS(a, b X, pred uint8, mx uint32) (X, uint32) {
	var r X
	var fl uint32
	for i := 0; i < 4; i++ {
		t, f := f32.cmpLane(uint64(a.D(i)), uint64(b.D(i)), pred, mx)
		r.SetD(i, uint32(mask64(t)))
		fl |= f
	}
	return r, fl
}

// CmpPD is cmppd.
func CmpPD(a, b X, pred uint8, mx uint32) (X, uint32) {
	t0, f0 := f64.cmpLane(a[0], b[0], pred, mx)
	t1, f1 := f64.cmpLane(a[1], b[1], pred, mx)
	return X{mask64(t0), mask64(t1)}, f0 | f1
}

// CmpSS is cmpss: the low lane compared, the others a's.
func CmpSS(a, b X, pred uint8, mx uint32) (X, uint32) {
	t, fl := f32.cmpLane(uint64(a.D(0)), uint64(b.D(0)), pred, mx)
	a.SetD(0, uint32(mask64(t)))
	return a, fl
}

// CmpSD is cmpsd (the SSE2 compare).
func CmpSD(a, b X, pred uint8, mx uint32) (X, uint32) {
	t, fl := f64.cmpLane(a[0], b[0], pred, mx)
	return X{mask64(t), a[1]}, fl
}

// comi orders the low lanes for comis/ucomis: ZF PF CF = 111 unordered,
// 000 greater, 001 less, 100 equal; OF, SF and AF are cleared.
func (f *format) comi(x, y uint64, signalQuiet bool, mx uint32) (uint32, uint32) {
	a, fa := f.unpack(x, mx)
	b, fb := f.unpack(y, mx)
	if a.kind == kNaN || b.kind == kNaN {
		var fl uint32
		if a.snan || b.snan || signalQuiet {
			fl = IE
		}
		return ZF | PF | CF, fl
	}
	switch cmpNum(a, b) {
	case -1:
		return CF, fa | fb
	case 0:
		return ZF, fa | fb
	}
	return 0, fa | fb
}

// ComiSS is comiss: the RFLAGS status flags (ZF, PF, CF; the others clear)
// and the MXCSR flags. Any NaN raises IE. With an unmasked exception RFLAGS
// is left unchanged.
func ComiSS(a, b X, mx uint32) (rflags, fl uint32) {
	return f32.comi(uint64(a.D(0)), uint64(b.D(0)), true, mx)
}

// UcomiSS is ucomiss: like ComiSS, but only a signalling NaN raises IE.
func UcomiSS(a, b X, mx uint32) (rflags, fl uint32) {
	return f32.comi(uint64(a.D(0)), uint64(b.D(0)), false, mx)
}

// ComiSD is comisd.
func ComiSD(a, b X, mx uint32) (rflags, fl uint32) { return f64.comi(a[0], b[0], true, mx) }

// UcomiSD is ucomisd.
func UcomiSD(a, b X, mx uint32) (rflags, fl uint32) { return f64.comi(a[0], b[0], false, mx) }
