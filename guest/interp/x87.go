package interp

import (
	"math"
	"math/big"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
)

// The x87 subset: loads and stores (32-, 64- and 80-bit floats, 16-, 32-
// and 64-bit integers), constants, exchange, sign and absolute value,
// square root, rounding, the arithmetic group with its reversed, integer
// and popping forms, compares (fcom/fucom family setting C0/C2/C3, fcomi
// family setting EFLAGS), ftst and fxam.
//
// Registers hold the exact 80-bit extended values. Arithmetic goes
// through math/big.Float with the precision FCW.PC selects (24, 53 or 64
// bits) and the rounding FCW.RC selects, so every finite result is the
// correctly rounded one the hardware produces; NaN, infinity and the
// invalid cases follow the x87 rules. Results too small for the 15-bit
// exponent are flushed to zero (real hardware denormalises them), the
// exception flags in FSW are not accumulated, and stack overflow or
// underflow is not detected (the stack wraps). x87 code is rare next to
// SSE in current binaries, so each operation may allocate.

// f80 is an 80-bit extended value (cpu.F80).
type f80 = cpu.F80

var (
	f80Indefinite = f80{Mant: 0xc000000000000000, SE: 0xffff}
	f80One        = f80{Mant: 1 << 63, SE: 0x3fff}
)

func signedZero(n bool) f80 { return f80{Mant: 0, SE: b2se(n)} }
func signedInf(n bool) f80  { return f80{Mant: 1 << 63, SE: b2se(n) | 0x7fff} }
func b2se(n bool) uint16 {
	if n {
		return 0x8000
	}
	return 0
}

// toBig converts a finite f to an exact big.Float.
func toBig(f f80) *big.Float {
	x := new(big.Float).SetPrec(64)
	if f.Mant == 0 {
		if f.Neg() {
			x.Neg(x)
		}
		return x
	}
	e := f.Exp()
	if e == 0 {
		e = 1 // denormal
	}
	x.SetMantExp(new(big.Float).SetPrec(64).SetUint64(f.Mant), e-16383-63)
	if f.Neg() {
		x.Neg(x)
	}
	return x
}

// fromBig converts x (already rounded to at most 64 bits) to f80.
func fromBig(x *big.Float) f80 {
	if x.IsInf() {
		return signedInf(x.Signbit())
	}
	if x.Sign() == 0 {
		return signedZero(x.Signbit())
	}
	e := x.MantExp(nil) // |x| = m * 2^e, 0.5 <= m < 1
	m := new(big.Float).SetMantExp(new(big.Float).Abs(x), 64-e)
	mant, _ := m.Uint64()
	be := e - 1 + 16383
	switch {
	case be >= 0x7fff:
		return signedInf(x.Signbit())
	case be <= 0:
		return signedZero(x.Signbit())
	}
	return f80{Mant: mant, SE: b2se(x.Signbit()) | uint16(be)}
}

func f80FromFloat64(f float64) f80 {
	mant, se := f64to80(f)
	return f80{Mant: mant, SE: se}
}

// f80Float rounds f to a float of size 4 or 8 bytes with rounding mode rc
// and returns its bits.
func f80Float(f f80, size uint8, rc uint16) uint64 {
	switch {
	case f.IsNaN():
		if size == 4 {
			return negBit(f, 31) | 0x7fc00000 | (f.Mant<<1)>>41
		}
		return negBit(f, 63) | 0x7ff8000000000000 | (f.Mant<<1)>>12
	case f.IsInf():
		if size == 4 {
			return negBit(f, 31) | 0x7f800000
		}
		return negBit(f, 63) | 0x7ff0000000000000
	}
	x := toBig(f)
	prec := uint(53)
	if size == 4 {
		prec = 24
	}
	x.SetMode(bigMode(rc)).SetPrec(prec)
	if size == 4 {
		v, _ := x.Float32()
		return uint64(math.Float32bits(v))
	}
	v, _ := x.Float64()
	return math.Float64bits(v)
}

func negBit(f f80, bit uint) uint64 {
	if f.Neg() {
		return 1 << bit
	}
	return 0
}

func bigMode(rc uint16) big.RoundingMode {
	return [4]big.RoundingMode{big.ToNearestEven, big.ToNegativeInf, big.ToPositiveInf, big.ToZero}[rc&3]
}

// fcwPrec is the significand precision FCW.PC selects.
func fcwPrec(fcw uint16) uint {
	switch fcw >> 8 & 3 {
	case 0:
		return 24
	case 2:
		return 53
	}
	return 64
}

// f80Arith computes a <op> b as the x87 does.
func f80Arith(op uint64, a, b f80, fcw uint16) f80 {
	if a.IsNaN() || b.IsNaN() {
		switch {
		case a.IsNaN() && b.IsNaN():
			if b.Mant<<1 > a.Mant<<1 {
				return b.Quiet()
			}
			return a.Quiet()
		case a.IsNaN():
			return a.Quiet()
		}
		return b.Quiet()
	}
	if op == isa.X87Subr || op == isa.X87Divr {
		a, b = b, a
		op--
	}
	switch op {
	case isa.X87Add, isa.X87Sub:
		if op == isa.X87Sub {
			b = b.Flip()
		}
		if a.IsInf() || b.IsInf() {
			if a.IsInf() && b.IsInf() && a.Neg() != b.Neg() {
				return f80Indefinite
			}
			if a.IsInf() {
				return a
			}
			return b
		}
		if a.IsZero() && b.IsZero() {
			if a.Neg() == b.Neg() {
				return a
			}
			return signedZero(fcw>>10&3 == 1) // -0 only when rounding down
		}
	case isa.X87Mul:
		n := a.Neg() != b.Neg()
		if a.IsInf() || b.IsInf() {
			if a.IsZero() || b.IsZero() {
				return f80Indefinite
			}
			return signedInf(n)
		}
		if a.IsZero() || b.IsZero() {
			return signedZero(n)
		}
	case isa.X87Div:
		n := a.Neg() != b.Neg()
		switch {
		case a.IsInf() && b.IsInf(), a.IsZero() && b.IsZero():
			return f80Indefinite
		case a.IsInf():
			return signedInf(n)
		case b.IsInf(), a.IsZero():
			return signedZero(n)
		case b.IsZero():
			return signedInf(n)
		}
	}
	z := new(big.Float).SetPrec(fcwPrec(fcw)).SetMode(bigMode(fcw >> 10))
	switch op {
	case isa.X87Add, isa.X87Sub:
		z.Add(toBig(a), toBig(b))
		if z.Sign() == 0 { // exact cancellation: +0, or -0 when rounding down
			return signedZero(fcw>>10&3 == 1)
		}
	case isa.X87Mul:
		z.Mul(toBig(a), toBig(b))
	default:
		z.Quo(toBig(a), toBig(b))
	}
	return fromBig(z)
}

// f80Round rounds to an integer value with FCW.RC (or truncation).
func f80Round(f f80, rc uint16) f80 {
	if f.IsNaN() || f.IsInf() || f.IsZero() {
		return f
	}
	x := toBig(f)
	t, _ := x.Int(nil) // toward zero
	tf := new(big.Float).SetPrec(64).SetInt(t)
	frac := new(big.Float).Sub(x, tf)
	adj := 0
	switch rc & 3 {
	case 0:
		half := new(big.Float).Abs(frac).Cmp(big.NewFloat(0.5))
		if half > 0 || (half == 0 && t.Bit(0) == 1) {
			adj = frac.Sign()
		}
	case 1:
		if frac.Sign() < 0 {
			adj = -1
		}
	case 2:
		if frac.Sign() > 0 {
			adj = 1
		}
	}
	t.Add(t, big.NewInt(int64(adj)))
	if t.Sign() == 0 {
		return signedZero(f.Neg())
	}
	return fromBig(new(big.Float).SetPrec(64).SetInt(t))
}

// f80Compare returns C3/C2/C0 for a ? b.
func f80Compare(a, b f80) uint16 {
	if a.IsNaN() || b.IsNaN() {
		return cpu.FSWC3 | cpu.FSWC2 | cpu.FSWC0
	}
	var c int
	switch {
	case a.IsInf() || b.IsInf():
		ai, bi := 0, 0
		if a.IsInf() {
			ai = 1 - 2*int(a.SE>>15)
		}
		if b.IsInf() {
			bi = 1 - 2*int(b.SE>>15)
		}
		if ai != bi {
			c = 1
			if ai < bi {
				c = -1
			}
		} else if ai == 0 {
			c = toBig(a).Cmp(toBig(b))
		}
	default:
		c = toBig(a).Cmp(toBig(b))
	}
	switch {
	case c < 0:
		return cpu.FSWC0
	case c == 0:
		return cpu.FSWC3
	}
	return 0
}

// f64to80 is the exact 80-bit encoding of a double.
func f64to80(f float64) (mant uint64, se uint16) {
	b := math.Float64bits(f)
	if b>>63 != 0 {
		se = 0x8000
	}
	exp := int(b >> 52 & 0x7ff)
	frac := b & (1<<52 - 1)
	switch {
	case exp == 0x7ff:
		return 1<<63 | frac<<11, se | 0x7fff
	case exp == 0 && frac == 0:
		return 0, se
	case exp == 0: // subnormal double: normal in 80 bits
		e, m := 1-1023, frac
		for m&(1<<52) == 0 {
			m <<= 1
			e--
		}
		return m << 11, se | uint16(e+16383)
	}
	return 1<<63 | frac<<11, se | uint16(exp-1023+16383)
}

// x87Consts holds, for fld1, fldz, fldpi, fldl2e, fldl2t, fldlg2 and
// fldln2, the value rounded toward zero and rounded to nearest; fldpi and
// friends round their (irrational) constants as FCW.RC says, so up is
// toward-zero plus one ulp.
var x87Consts [7][2]f80

func init() {
	const (
		pi   = "3.14159265358979323846264338327950288419716939937510582097494459"
		ln2  = "0.693147180559945309417232121458176568075500134360255254120680009"
		ln10 = "2.30258509299404568401799145468436420760110148862877297603332790"
	)
	parse := func(s string) *big.Float {
		f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
		if err != nil {
			panic(err)
		}
		return f
	}
	q := func(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(256).Quo(a, b) }
	one := new(big.Float).SetPrec(256).SetInt64(1)
	vals := []*big.Float{one, new(big.Float), parse(pi), q(one, parse(ln2)), q(parse(ln10), parse(ln2)),
		q(parse(ln2), parse(ln10)), parse(ln2)}
	for i, v := range vals {
		for j, mode := range []big.RoundingMode{big.ToZero, big.ToNearestEven} {
			x87Consts[i][j] = fromBig(new(big.Float).SetPrec(64).SetMode(mode).Set(v))
		}
	}
}

// x87Const returns constant i rounded as rc says.
func x87Const(i uint64, rc uint16) f80 {
	k := x87Consts[i%uint64(len(x87Consts))]
	switch rc & 3 {
	case 0:
		return k[1]
	case 2:
		if k[0] != k[1] || i >= 2 { // irrational: up is one ulp above toward-zero
			if k[0].Mant == ^uint64(0) {
				return f80{Mant: 1 << 63, SE: k[0].SE + 1}
			}
			return f80{Mant: k[0].Mant + 1, SE: k[0].SE}
		}
	}
	return k[0]
}

// fload reads an x87 source: st(i), or memory holding a float (size 4, 8
// or 10) or an integer (size 2, 4 or 8 with 0x80 set).
func (m *machine) fload(c *cpu.CPU, o *isa.Op, a isa.Arg, sz uint8) f80 {
	if a.Kind == isa.KindSt {
		return *c.STi(a.Reg)
	}
	ad := m.ea(c, o)
	switch sz {
	case 4:
		return f80FromFloat64(float64(math.Float32frombits(uint32(m.load(ad, 4)))))
	case 8:
		v := m.load(ad, 8)
		if f := math.Float64frombits(v); f != f { // keep the NaN payload
			return f80{Mant: 1<<63 | (v&(1<<52-1))<<11, SE: uint16(v>>48)&0x8000 | 0x7fff}
		}
		return f80FromFloat64(math.Float64frombits(v))
	case 10:
		return f80{Mant: m.load(ad, 8), SE: uint16(m.load(ad+8, 2))}
	}
	isz := sz &^ 0x80
	v := sext(m.load(ad, isz), isz)
	if v == 0 {
		return f80{}
	}
	return fromBig(new(big.Float).SetPrec(64).SetInt64(v))
}

func (m *machine) x87(c *cpu.CPU, o *isa.Op) {
	switch o.Cond {
	case isa.X87Ld:
		c.FPush(m.fload(c, o, o.Src, o.SSize))
	case isa.X87Ild:
		c.FPush(m.fload(c, o, o.Src, o.SSize|0x80))
	case isa.X87LdConst:
		c.FPush(x87Const(o.Imm, c.FCW>>10))
	case isa.X87St:
		v := *c.STi(0)
		if o.Dst.Kind == isa.KindSt {
			*c.STi(o.Dst.Reg) = v
			c.FTAG |= 1 << ((c.FTOP + o.Dst.Reg) & 7)
			break
		}
		ad := m.ea(c, o)
		switch o.SSize {
		case 4, 8:
			m.store(ad, o.SSize, f80Float(v, o.SSize, c.FCW>>10))
		default:
			m.store(ad, 8, v.Mant)
			m.store(ad+8, 2, uint64(v.SE))
		}
	case isa.X87Ist, isa.X87Istt:
		v := *c.STi(0)
		rc := c.FCW >> 10
		if o.Cond == isa.X87Istt {
			rc = 3
		}
		r := signBit[o.SSize] // integer indefinite
		if !v.IsNaN() && !v.IsInf() {
			t, _ := toBig(f80Round(v, rc)).Int(nil)
			lim := new(big.Int).Lsh(big.NewInt(1), uint(8*o.SSize-1))
			if t.Cmp(lim) < 0 && t.Cmp(new(big.Int).Neg(lim)) >= 0 {
				r = uint64(t.Int64())
			}
		}
		m.store(m.ea(c, o), o.SSize, r)
	case isa.X87Arith:
		d := c.STi(0)
		if o.Dst.Kind == isa.KindSt {
			d = c.STi(o.Dst.Reg)
		}
		*d = f80Arith(o.Imm, *d, m.fload(c, o, o.Src, o.SSize), c.FCW)
	case isa.X87Xch:
		a, b := c.STi(0), c.STi(o.Src.Reg)
		*a, *b = *b, *a
	case isa.X87Chs:
		*c.STi(0) = c.STi(0).Flip()
	case isa.X87Abs:
		*c.STi(0) = c.STi(0).Abs()
	case isa.X87Sqrt:
		v := *c.STi(0)
		switch {
		case v.IsNaN():
			*c.STi(0) = v.Quiet()
		case v.IsZero() || (v.IsInf() && !v.Neg()):
		case v.Neg():
			*c.STi(0) = f80Indefinite
		default:
			*c.STi(0) = fromBig(sqrtRounded(toBig(v), fcwPrec(c.FCW), bigMode(c.FCW>>10)))
		}
	case isa.X87Rnd:
		*c.STi(0) = f80Round(*c.STi(0), c.FCW>>10)
	case isa.X87Com:
		c.SetCC(f80Compare(*c.STi(0), m.fload(c, o, o.Src, o.SSize)))
	case isa.X87Tst:
		c.SetCC(f80Compare(*c.STi(0), f80{}))
	case isa.X87Comi:
		var f uint64
		switch cc := f80Compare(*c.STi(0), *c.STi(o.Src.Reg)); cc {
		case cpu.FSWC3 | cpu.FSWC2 | cpu.FSWC0:
			f = cpu.FlagZF | cpu.FlagPF | cpu.FlagCF
		case cpu.FSWC0:
			f = cpu.FlagCF
		case cpu.FSWC3:
			f = cpu.FlagZF
		}
		c.SetStatus(f)
	case isa.X87Xam:
		v := *c.STi(0)
		var cc uint16
		switch {
		case c.FTAG&(1<<c.FTOP) == 0:
			cc = cpu.FSWC3 | cpu.FSWC0
		case v.IsNaN():
			cc = cpu.FSWC0
		case v.IsInf():
			cc = cpu.FSWC2 | cpu.FSWC0
		case v.IsZero():
			cc = cpu.FSWC3
		case v.Exp() == 0:
			cc = cpu.FSWC3 | cpu.FSWC2 // denormal
		default:
			cc = cpu.FSWC2
		}
		if v.Neg() {
			cc |= cpu.FSWC1
		}
		c.SetCC(cc)
	case isa.X87Free:
		c.FTAG &^= 1 << ((c.FTOP + o.Src.Reg) & 7)
	}
	for range o.Rep {
		c.FPop()
	}
}

// sqrtRounded is the square root of x correctly rounded to prec bits with
// mode. big.Float.Sqrt does not promise a correctly rounded result in the
// directed modes, so the root is taken with 192 bits (truncated), nudged
// strictly upward when it is inexact (a sticky bit), and rounded once.
func sqrtRounded(x *big.Float, prec uint, mode big.RoundingMode) *big.Float {
	r := new(big.Float).SetPrec(192).SetMode(big.ToZero).Sqrt(x)
	if sq := new(big.Float).SetPrec(400).Mul(r, r); sq.Cmp(x) != 0 {
		tiny := new(big.Float).SetMantExp(big.NewFloat(1), r.MantExp(nil)-300)
		r = new(big.Float).SetPrec(400).Add(r, tiny)
	}
	return new(big.Float).SetPrec(prec).SetMode(mode).Set(r)
}
