package x87

import (
	"math/big"
	"testing"
)

// Properties that hold on every architecture, checked against math/big
// rather than the host FPU: for results in the normal range, Add, Sub,
// Mul, Div and Sqrt are the exact results correctly rounded to the
// precision and in the mode FCW says, with PE exactly when they are
// inexact and C1 exactly when they were rounded up in magnitude.
func TestCorrectRoundingProperty(t *testing.T) {
	modes := [4]big.RoundingMode{big.ToNearestEven, big.ToNegativeInf, big.ToPositiveInf, big.ToZero}
	precs := map[uint16]uint{PC24: 24, PC53: 53, PC64: 64}
	g := newGen(*flagSeed + 100)
	ops := []struct {
		name string
		eng  func(e *Env, a, b F80) F80
		ref  func(z, a, b *big.Float) *big.Float
	}{
		{"add", (*Env).Add, (*big.Float).Add},
		{"sub", (*Env).Sub, (*big.Float).Sub},
		{"mul", (*Env).Mul, (*big.Float).Mul},
		{"div", (*Env).Div, (*big.Float).Quo},
		{"sqrt", func(e *Env, a, b F80) F80 { return e.Sqrt(a.Abs()) }, func(z, a, b *big.Float) *big.Float { return z.Sqrt(a.Abs(a)) }},
	}
	for _, op := range ops {
		checked := 0
		for i := 0; i < *flagIters/4; i++ {
			a := F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(200)-100)}
			b := F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(200)-100)}
			if g.r.IntN(4) == 0 {
				b = g.near(a)
				if b.SE&expMax == 0 {
					continue
				}
			}
			pc := [...]uint16{PC24, PC53, PC64}[g.r.IntN(3)]
			rc := uint16(g.r.IntN(4))
			e := Env{CW: DefaultCW&^0x0300 | pc | rc<<10}
			r := op.eng(&e, a, b)
			exact := op.ref(new(big.Float).SetPrec(400), toBig(a), toBig(b))
			if exact.Sign() == 0 {
				continue
			}
			want := new(big.Float).SetPrec(precs[pc]).SetMode(modes[rc]).Set(exact)
			got := toBig(r)
			inexact := want.Cmp(exact) != 0
			up := new(big.Float).Abs(want).Cmp(new(big.Float).Abs(exact)) > 0
			if got.Cmp(want) != 0 || (e.SW&PE != 0) != inexact || (e.SW&C1 != 0) != up {
				t.Fatalf("%s pc=%d rc=%d %v, %v: got %v (%s) sw=%04x, want %s inexact=%v up=%v",
					op.name, precs[pc], rc, a, b, r, got.Text('p', 0), e.SW, want.Text('p', 0), inexact, up)
			}
			checked++
		}
		if checked < *flagIters/8 {
			t.Fatalf("%s: only %d cases checked", op.name, checked)
		}
	}
}

// TestFloat64RoundTrip checks that every float64 survives FromFloat64 and
// ToFloat64 unchanged (NaNs quieted), with no flag but IE for an SNaN and
// DE for a denormal.
func TestFloat64RoundTrip(t *testing.T) {
	g := newGen(*flagSeed + 101)
	for i := 0; i < *flagIters; i++ {
		m := g.memOperand(8)
		f := uint64(m[0]) | uint64(m[1])<<8 | uint64(m[2])<<16 | uint64(m[3])<<24 | uint64(m[4])<<32 | uint64(m[5])<<40 | uint64(m[6])<<48 | uint64(m[7])<<56
		e := NewEnv()
		x := e.FromFloat64(f)
		snan := f>>52&0x7ff == 0x7ff && f<<12 != 0 && f>>51&1 == 0
		want := f
		if snan {
			want |= 1 << 51
		}
		if back := e.ToFloat64(x); back != want {
			t.Fatalf("%016x -> %v -> %016x", f, x, back)
		}
		if e.SW&^(IE|DE|ES|B) != 0 {
			t.Fatalf("%016x: sw=%04x", f, e.SW)
		}
	}
}

// TestFewBitOperands checks the transcendentals on arguments with few
// significant bits, whose Taylor partial sums are rational and often
// within 2^-106 of a 64-bit number (tan(3*2^-28) = 3*2^-28 + 9*2^-84 +
// 2^-135...): the results must be the correctly rounded ones in every
// rounding mode, C1 included.
func TestFewBitOperands(t *testing.T) {
	refInit()
	modes := [4]big.RoundingMode{big.ToNearestEven, big.ToNegativeInf, big.ToPositiveInf, big.ToZero}
	fns := []struct {
		name string
		eng  func(e *Env, x F80) F80
		ref  func(x *big.Float) *big.Float
	}{
		{"sin", (*Env).Sin, func(x *big.Float) *big.Float { s, _ := refSinCos(x, refPiHalf); return s }},
		{"tan", func(e *Env, x F80) F80 { r, _ := e.Tan(x); return r }, func(x *big.Float) *big.Float {
			s, c := refSinCos(x, refPiHalf)
			return s.Quo(s, c)
		}},
		{"atan", func(e *Env, x F80) F80 { return e.Atan2(x, One) }, func(x *big.Float) *big.Float { return refAtan2(x, newF().SetInt64(1)) }},
	}
	for _, fn := range fns {
		for m := int64(1); m < 64; m += 2 {
			for ex := 8; ex <= 44; ex++ {
				x := fromInt(m, 0)
				x.SE -= uint16(ex)
				exact := fn.ref(toBig(x))
				for rc := uint16(0); rc < 4; rc++ {
					e := Env{CW: DefaultCW | rc<<10}
					r := fn.eng(&e, x)
					want := new(big.Float).SetPrec(64).SetMode(modes[rc]).Set(exact)
					up := new(big.Float).Abs(want).Cmp(new(big.Float).Abs(exact)) > 0
					if toBig(r).Cmp(want) != 0 || (e.SW&C1 != 0) != up {
						t.Errorf("%s(%v) rc=%d: got %v sw=%04x, want %v up=%v", fn.name, x, rc, r, e.SW, fromBig(want), up)
					}
				}
			}
		}
	}
}
