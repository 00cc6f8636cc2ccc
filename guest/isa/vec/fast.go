package vec

import "math"

// Fast paths for the common case: round to nearest, normal operands and a
// result far from the underflow and overflow thresholds. The host's own
// float32/float64 arithmetic (SSE on amd64, which rounds to nearest)
// gives the result, and an error-free transformation tells whether it is
// exact (PE): TwoSum for sums, an exact product or an FMA residual for
// products, quotients and square roots. Everything else takes the exact
// integer path in soft.go; the differential tests cover both.

// fastExp reports whether the exponent field of x (format f) is in
// [lo, hi].
func fastExp(f *format, x uint64, lo, hi uint64) bool {
	e := x & f.expField() >> (f.p - 1)
	return e >= lo && e <= hi
}

// Operands: any normal number. Results: exponent field from 2 (twice the
// smallest normal, so tininess is impossible) to the largest finite.
func normal32(x uint64) bool   { return fastExp(f32, x, 1, 254) }
func okResult32(x uint32) bool { return fastExp(f32, uint64(x), 2, 254) }

// For double precision the FMA residuals must not underflow: operands and
// results within 2^±900.
func mid64(x uint64) bool { return fastExp(f64, x, 1023-900, 1023+900) }

func pe(inexact bool) uint32 {
	if inexact {
		return PE
	}
	return 0
}

func fastAdd(f *format, x, y uint64, sub bool) (uint64, uint32, bool) {
	if f == f32 {
		if !normal32(x) || !normal32(y) {
			return 0, 0, false
		}
		a, b := math.Float32frombits(uint32(x)), math.Float32frombits(uint32(y))
		if sub {
			b = -b
		}
		s := a + b
		if !okResult32(math.Float32bits(s)) {
			return 0, 0, false
		}
		bb := s - a
		err := (a - (s - bb)) + (b - bb)
		return uint64(math.Float32bits(s)), pe(err != 0), true
	}
	if f != f64 || !mid64(x) || !mid64(y) {
		return 0, 0, false
	}
	a, b := math.Float64frombits(x), math.Float64frombits(y)
	if sub {
		b = -b
	}
	s := a + b
	if !mid64(math.Float64bits(s)) {
		return 0, 0, false
	}
	bb := s - a
	err := (a - (s - bb)) + (b - bb)
	return math.Float64bits(s), pe(err != 0), true
}

func fastMul(f *format, x, y uint64) (uint64, uint32, bool) {
	if f == f32 {
		if !normal32(x) || !normal32(y) {
			return 0, 0, false
		}
		a, b := math.Float32frombits(uint32(x)), math.Float32frombits(uint32(y))
		p := a * b
		if !okResult32(math.Float32bits(p)) {
			return 0, 0, false
		}
		exact := float64(float64(a)*float64(b)) == float64(p) // 48-bit product: exact in float64
		return uint64(math.Float32bits(p)), pe(!exact), true
	}
	if f != f64 || !mid64(x) || !mid64(y) {
		return 0, 0, false
	}
	a, b := math.Float64frombits(x), math.Float64frombits(y)
	p := a * b
	if !mid64(math.Float64bits(p)) {
		return 0, 0, false
	}
	return math.Float64bits(p), pe(math.FMA(a, b, -p) != 0), true
}

func fastDiv(f *format, x, y uint64) (uint64, uint32, bool) {
	if f == f32 {
		if !normal32(x) || !normal32(y) {
			return 0, 0, false
		}
		a, b := math.Float32frombits(uint32(x)), math.Float32frombits(uint32(y))
		q := a / b
		if !okResult32(math.Float32bits(q)) {
			return 0, 0, false
		}
		exact := float64(float64(q)*float64(b)) == float64(a)
		return uint64(math.Float32bits(q)), pe(!exact), true
	}
	if f != f64 || !mid64(x) || !mid64(y) {
		return 0, 0, false
	}
	a, b := math.Float64frombits(x), math.Float64frombits(y)
	q := a / b
	if !mid64(math.Float64bits(q)) {
		return 0, 0, false
	}
	return math.Float64bits(q), pe(math.FMA(q, b, -a) != 0), true
}

func fastSqrt(f *format, x uint64) (uint64, uint32, bool) {
	if f == f32 {
		if !normal32(x) || x>>31 != 0 {
			return 0, 0, false
		}
		a := float64(math.Float32frombits(uint32(x)))
		s := float32(math.Sqrt(a)) // 53 ≥ 2·24+2: rounding twice is exact
		exact := float64(float64(s)*float64(s)) == a
		return uint64(math.Float32bits(s)), pe(!exact), true
	}
	if f != f64 || !mid64(x) || x>>63 != 0 {
		return 0, 0, false
	}
	a := math.Float64frombits(x)
	s := math.Sqrt(a)
	return math.Float64bits(s), pe(math.FMA(s, s, -a) != 0), true
}
