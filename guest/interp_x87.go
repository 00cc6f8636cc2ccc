package guest

import (
	"math"
	"math/big"
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

// f80 is an 80-bit extended value: the 64-bit significand with its
// explicit integer bit, and sign (bit 15) and biased exponent in se.
type f80 struct {
	mant uint64
	se   uint16
}

var (
	f80Indefinite = f80{0xc000000000000000, 0xffff}
	f80One        = f80{1 << 63, 0x3fff}
)

func (f f80) exp() int      { return int(f.se & 0x7fff) }
func (f f80) neg() bool     { return f.se&0x8000 != 0 }
func (f f80) isNaN() bool   { return f.exp() == 0x7fff && f.mant<<1 != 0 }
func (f f80) isInf() bool   { return f.exp() == 0x7fff && f.mant<<1 == 0 }
func (f f80) isZero() bool  { return f.mant == 0 && f.exp() != 0x7fff }
func (f f80) flip() f80     { return f80{f.mant, f.se ^ 0x8000} }
func (f f80) quiet() f80    { return f80{f.mant | 1<<62, f.se} }
func (f f80) abs() f80      { return f80{f.mant, f.se & 0x7fff} }
func signedZero(n bool) f80 { return f80{0, b2se(n)} }
func signedInf(n bool) f80  { return f80{1 << 63, b2se(n) | 0x7fff} }
func b2se(n bool) uint16 {
	if n {
		return 0x8000
	}
	return 0
}

// big converts a finite f to an exact big.Float.
func (f f80) big() *big.Float {
	x := new(big.Float).SetPrec(64)
	if f.mant == 0 {
		if f.neg() {
			x.Neg(x)
		}
		return x
	}
	e := f.exp()
	if e == 0 {
		e = 1 // denormal
	}
	x.SetMantExp(new(big.Float).SetPrec(64).SetUint64(f.mant), e-16383-63)
	if f.neg() {
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
	return f80{mant, b2se(x.Signbit()) | uint16(be)}
}

func f80FromFloat64(f float64) f80 {
	mant, se := f64to80(f)
	return f80{mant, se}
}

// float rounds f to a float of size 4 or 8 bytes with rounding mode rc
// and returns its bits.
func (f f80) float(size uint8, rc uint16) uint64 {
	switch {
	case f.isNaN():
		if size == 4 {
			return f.neg2(31) | 0x7fc00000 | (f.mant<<1)>>41
		}
		return f.neg2(63) | 0x7ff8000000000000 | (f.mant<<1)>>12
	case f.isInf():
		if size == 4 {
			return f.neg2(31) | 0x7f800000
		}
		return f.neg2(63) | 0x7ff0000000000000
	}
	x := f.big()
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

func (f f80) neg2(bit uint) uint64 {
	if f.neg() {
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
	if a.isNaN() || b.isNaN() {
		switch {
		case a.isNaN() && b.isNaN():
			if b.mant<<1 > a.mant<<1 {
				return b.quiet()
			}
			return a.quiet()
		case a.isNaN():
			return a.quiet()
		}
		return b.quiet()
	}
	if op == x87Subr || op == x87Divr {
		a, b = b, a
		op--
	}
	switch op {
	case x87Add, x87Sub:
		if op == x87Sub {
			b = b.flip()
		}
		if a.isInf() || b.isInf() {
			if a.isInf() && b.isInf() && a.neg() != b.neg() {
				return f80Indefinite
			}
			if a.isInf() {
				return a
			}
			return b
		}
		if a.isZero() && b.isZero() {
			if a.neg() == b.neg() {
				return a
			}
			return signedZero(fcw>>10&3 == 1) // -0 only when rounding down
		}
	case x87Mul:
		n := a.neg() != b.neg()
		if a.isInf() || b.isInf() {
			if a.isZero() || b.isZero() {
				return f80Indefinite
			}
			return signedInf(n)
		}
		if a.isZero() || b.isZero() {
			return signedZero(n)
		}
	case x87Div:
		n := a.neg() != b.neg()
		switch {
		case a.isInf() && b.isInf(), a.isZero() && b.isZero():
			return f80Indefinite
		case a.isInf():
			return signedInf(n)
		case b.isInf(), a.isZero():
			return signedZero(n)
		case b.isZero():
			return signedInf(n)
		}
	}
	z := new(big.Float).SetPrec(fcwPrec(fcw)).SetMode(bigMode(fcw >> 10))
	switch op {
	case x87Add, x87Sub:
		z.Add(a.big(), b.big())
		if z.Sign() == 0 { // exact cancellation: +0, or -0 when rounding down
			return signedZero(fcw>>10&3 == 1)
		}
	case x87Mul:
		z.Mul(a.big(), b.big())
	default:
		z.Quo(a.big(), b.big())
	}
	return fromBig(z)
}

// f80Round rounds to an integer value with FCW.RC (or truncation).
func f80Round(f f80, rc uint16) f80 {
	if f.isNaN() || f.isInf() || f.isZero() {
		return f
	}
	x := f.big()
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
		return signedZero(f.neg())
	}
	return fromBig(new(big.Float).SetPrec(64).SetInt(t))
}

// f80Compare returns C3/C2/C0 for a ? b.
func f80Compare(a, b f80) uint16 {
	if a.isNaN() || b.isNaN() {
		return fswC3 | fswC2 | fswC0
	}
	var c int
	switch {
	case a.isInf() || b.isInf():
		ai, bi := 0, 0
		if a.isInf() {
			ai = 1 - 2*int(a.se>>15)
		}
		if b.isInf() {
			bi = 1 - 2*int(b.se>>15)
		}
		if ai != bi {
			c = 1
			if ai < bi {
				c = -1
			}
		} else if ai == 0 {
			c = a.big().Cmp(b.big())
		}
	default:
		c = a.big().Cmp(b.big())
	}
	switch {
	case c < 0:
		return fswC0
	case c == 0:
		return fswC3
	}
	return 0
}

// st returns a pointer to st(i).
func (c *CPU) st(i uint8) *f80 { return &c.ST[(c.FTOP+i)&7] }

func (c *CPU) fpush(v f80) {
	c.FTOP = (c.FTOP - 1) & 7
	c.ST[c.FTOP] = v
	c.FTAG |= 1 << c.FTOP
}

func (c *CPU) fpop() {
	c.FTAG &^= 1 << c.FTOP
	c.FTOP = (c.FTOP + 1) & 7
}

// fsw is the status word with TOP in bits 11..13.
func (c *CPU) fsw() uint16 { return c.FSW&^(7<<11) | uint16(c.FTOP)<<11 }

const (
	fswC0 = 1 << 8
	fswC1 = 1 << 9
	fswC2 = 1 << 10
	fswC3 = 1 << 14
)

func (c *CPU) setCC(cc uint16) { c.FSW = c.FSW&^(fswC0|fswC1|fswC2|fswC3) | cc }

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
			if k[0].mant == ^uint64(0) {
				return f80{1 << 63, k[0].se + 1}
			}
			return f80{k[0].mant + 1, k[0].se}
		}
	}
	return k[0]
}

// fload reads an x87 source: st(i), or memory holding a float (size 4, 8
// or 10) or an integer (size 2, 4 or 8 with 0x80 set).
func (m *Machine) fload(c *CPU, a *arg, sz uint8) f80 {
	if a.kind == argSt {
		return *c.st(a.reg)
	}
	ad := m.ea(c, a)
	switch sz {
	case 4:
		return f80FromFloat64(float64(math.Float32frombits(uint32(m.load(ad, 4)))))
	case 8:
		v := m.load(ad, 8)
		if f := math.Float64frombits(v); f != f { // keep the NaN payload
			return f80{1<<63 | (v&(1<<52-1))<<11, uint16(v>>48)&0x8000 | 0x7fff}
		}
		return f80FromFloat64(math.Float64frombits(v))
	case 10:
		return f80{m.load(ad, 8), uint16(m.load(ad+8, 2))}
	}
	isz := sz &^ 0x80
	v := sext(m.load(ad, isz), isz)
	if v == 0 {
		return f80{}
	}
	return fromBig(new(big.Float).SetPrec(64).SetInt64(v))
}

func (m *Machine) x87(c *CPU, o *op) {
	switch o.cond {
	case x87Ld:
		c.fpush(m.fload(c, &o.src, o.ssize))
	case x87Ild:
		c.fpush(m.fload(c, &o.src, o.ssize|0x80))
	case x87LdConst:
		c.fpush(x87Const(o.imm, c.FCW>>10))
	case x87St:
		v := *c.st(0)
		if o.dst.kind == argSt {
			*c.st(o.dst.reg) = v
			c.FTAG |= 1 << ((c.FTOP + o.dst.reg) & 7)
			break
		}
		ad := m.ea(c, &o.dst)
		switch o.ssize {
		case 4, 8:
			m.store(ad, o.ssize, v.float(o.ssize, c.FCW>>10))
		default:
			m.store(ad, 8, v.mant)
			m.store(ad+8, 2, uint64(v.se))
		}
	case x87Ist, x87Istt:
		v := *c.st(0)
		rc := c.FCW >> 10
		if o.cond == x87Istt {
			rc = 3
		}
		r := signBit[o.ssize] // integer indefinite
		if !v.isNaN() && !v.isInf() {
			t, _ := f80Round(v, rc).big().Int(nil)
			lim := new(big.Int).Lsh(big.NewInt(1), uint(8*o.ssize-1))
			if t.Cmp(lim) < 0 && t.Cmp(new(big.Int).Neg(lim)) >= 0 {
				r = uint64(t.Int64())
			}
		}
		m.store(m.ea(c, &o.dst), o.ssize, r)
	case x87Arith:
		d := c.st(0)
		if o.dst.kind == argSt {
			d = c.st(o.dst.reg)
		}
		*d = f80Arith(o.imm, *d, m.fload(c, &o.src, o.ssize), c.FCW)
	case x87Xch:
		a, b := c.st(0), c.st(o.src.reg)
		*a, *b = *b, *a
	case x87Chs:
		*c.st(0) = c.st(0).flip()
	case x87Abs:
		*c.st(0) = c.st(0).abs()
	case x87Sqrt:
		v := *c.st(0)
		switch {
		case v.isNaN():
			*c.st(0) = v.quiet()
		case v.isZero() || (v.isInf() && !v.neg()):
		case v.neg():
			*c.st(0) = f80Indefinite
		default:
			*c.st(0) = fromBig(sqrtRounded(v.big(), fcwPrec(c.FCW), bigMode(c.FCW>>10)))
		}
	case x87Rnd:
		*c.st(0) = f80Round(*c.st(0), c.FCW>>10)
	case x87Com:
		c.setCC(f80Compare(*c.st(0), m.fload(c, &o.src, o.ssize)))
	case x87Tst:
		c.setCC(f80Compare(*c.st(0), f80{}))
	case x87Comi:
		var f uint64
		switch cc := f80Compare(*c.st(0), *c.st(o.src.reg)); cc {
		case fswC3 | fswC2 | fswC0:
			f = FlagZF | FlagPF | FlagCF
		case fswC0:
			f = FlagCF
		case fswC3:
			f = FlagZF
		}
		c.setStatus(f)
	case x87Xam:
		v := *c.st(0)
		var cc uint16
		switch {
		case c.FTAG&(1<<c.FTOP) == 0:
			cc = fswC3 | fswC0
		case v.isNaN():
			cc = fswC0
		case v.isInf():
			cc = fswC2 | fswC0
		case v.isZero():
			cc = fswC3
		case v.exp() == 0:
			cc = fswC3 | fswC2 // denormal
		default:
			cc = fswC2
		}
		if v.neg() {
			cc |= fswC1
		}
		c.setCC(cc)
	case x87Free:
		c.FTAG &^= 1 << ((c.FTOP + o.src.reg) & 7)
	}
	for range o.rep {
		c.fpop()
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
