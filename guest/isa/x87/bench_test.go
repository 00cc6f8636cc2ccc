package x87

import (
	"math/big"
	"testing"
)

// Benchmarks of the operations on ordinary operands (64-bit precision,
// round to nearest), each reporting allocations: all must be 0.

var (
	benchA    = F80{0xb8aa3b295c17f0bc, 0x3fff} // 1.44...
	benchB    = F80{0xd49a784bcd1b8afe, 0x4000} // 3.32...
	benchSink F80
)

func benchBinary(b *testing.B, f func(e *Env, x, y F80) F80) {
	e := NewEnv()
	b.ReportAllocs()
	x, y := benchA, benchB
	for i := 0; i < b.N; i++ {
		x = f(&e, x, y)
		x.Mant |= intBit // keep the operand ordinary
		x.SE = 0x3fff
	}
	benchSink = x
}

func benchUnary(b *testing.B, f func(e *Env, x F80) F80) {
	e := NewEnv()
	b.ReportAllocs()
	x := benchA
	for i := 0; i < b.N; i++ {
		r := f(&e, x)
		x.Mant = r.Mant | intBit
	}
	benchSink = x
}

func BenchmarkAdd(b *testing.B)  { benchBinary(b, (*Env).Add) }
func BenchmarkSub(b *testing.B)  { benchBinary(b, (*Env).Sub) }
func BenchmarkMul(b *testing.B)  { benchBinary(b, (*Env).Mul) }
func BenchmarkDiv(b *testing.B)  { benchBinary(b, (*Env).Div) }
func BenchmarkSqrt(b *testing.B) { benchUnary(b, (*Env).Sqrt) }
func BenchmarkAddPC53(b *testing.B) {
	benchBinary(b, func(e *Env, x, y F80) F80 { e.CW = DefaultCW&^0x300 | PC53; return e.Add(x, y) })
}
func BenchmarkRound(b *testing.B) { benchUnary(b, (*Env).Round) }
func BenchmarkCompare(b *testing.B) {
	benchBinary(b, func(e *Env, x, y F80) F80 { e.Compare(x, y, false); return x })
}
func BenchmarkToFloat64(b *testing.B) {
	benchUnary(b, func(e *Env, x F80) F80 { return F80{e.ToFloat64(x), x.SE} })
}
func BenchmarkFromFloat64(b *testing.B) {
	benchUnary(b, func(e *Env, x F80) F80 { return e.FromFloat64(x.Mant >> 2) })
}
func BenchmarkToInt32(b *testing.B) {
	benchUnary(b, func(e *Env, x F80) F80 { return F80{uint64(e.ToInt(x, 32)), x.SE} })
}
func BenchmarkPrem(b *testing.B) {
	benchBinary(b, func(e *Env, x, y F80) F80 { return e.Prem(F80{x.Mant, 0x4010}, y, false) })
}
func BenchmarkScale(b *testing.B) { benchBinary(b, (*Env).Scale) }
func BenchmarkSin(b *testing.B)   { benchUnary(b, (*Env).Sin) }
func BenchmarkCos(b *testing.B)   { benchUnary(b, (*Env).Cos) }
func BenchmarkSinLarge(b *testing.B) {
	benchUnary(b, func(e *Env, x F80) F80 { return e.Sin(F80{x.Mant, 0x4030}) })
}
func BenchmarkSinCos(b *testing.B) {
	benchUnary(b, func(e *Env, x F80) F80 { s, _ := e.SinCos(x); return s })
}
func BenchmarkTan(b *testing.B) {
	benchUnary(b, func(e *Env, x F80) F80 { t, _ := e.Tan(x); return t })
}
func BenchmarkAtan2(b *testing.B) { benchBinary(b, (*Env).Atan2) }
func BenchmarkF2xm1(b *testing.B) {
	benchUnary(b, func(e *Env, x F80) F80 { return e.F2xm1(F80{x.Mant, 0x3ffe}) })
}
func BenchmarkYl2x(b *testing.B) { benchBinary(b, (*Env).Yl2x) }
func BenchmarkYl2xp1(b *testing.B) {
	benchBinary(b, func(e *Env, x, y F80) F80 { return e.Yl2xp1(x, F80{y.Mant, 0x3ffc}) })
}

// BenchmarkBigAdd is fadd the way guest/interp_x87.go does it today, with
// math/big.Float at 64 bits, for comparison with BenchmarkAdd.
func BenchmarkBigAdd(b *testing.B) {
	b.ReportAllocs()
	x, y := benchA, benchB
	for i := 0; i < b.N; i++ {
		z := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven)
		z.Add(toBig64(x), toBig64(y))
		x = fromBig(z)
		x.SE = 0x3fff
	}
	benchSink = x
}

// toBig64 converts like guest's f80.big: a 64-bit big.Float.
func toBig64(f F80) *big.Float {
	x := new(big.Float).SetPrec(64)
	m, e := f.unpack()
	x.SetMantExp(new(big.Float).SetPrec(64).SetUint64(m), e-63)
	if f.Neg() {
		x.Neg(x)
	}
	return x
}
