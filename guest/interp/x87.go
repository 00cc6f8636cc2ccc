package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	fpu "github.com/minemu/minemu/guest/isa/x87"
)

// The x87 subset: loads and stores (32-, 64- and 80-bit floats, 16-, 32-
// and 64-bit integers), constants, exchange, sign and absolute value,
// square root, rounding, the arithmetic group with its reversed, integer
// and popping forms, compares (fcom/fucom family setting C0/C2/C3, fcomi
// family setting EFLAGS), ftst and fxam.
//
// Registers hold the exact 80-bit extended values. Every operation goes
// through guest/isa/x87, which computes what the host FPU computes bit for
// bit in every precision (FCW.PC) and rounding mode (FCW.RC), denormal
// operands and results included, without allocating: it reads the
// exception masks of FCW, accumulates the exception flags in FSW, sets C1
// as the round-up indication and C0 C2 C3 where the instruction defines
// them. An operation whose unmasked exception the hardware reports before
// computing (x87.Env.Aborted) writes nothing and pops nothing. Not yet:
// SIGFPE for an unmasked exception (ES stays set in FSW), stack overflow
// and underflow detection (the stack wraps), and the instructions the
// package implements but lowering does not reach yet (fsin, fprem, ...).

// f80 is an 80-bit extended value (cpu.F80).
type f80 = cpu.F80

// x87Consts maps the lowering's constant numbers (fld1, fldz, fldpi,
// fldl2e, fldl2t, fldlg2, fldln2) to the package's.
var x87Consts = [...]fpu.Constant{fpu.ConstOne, fpu.ConstZero, fpu.ConstPi, fpu.ConstL2E,
	fpu.ConstL2T, fpu.ConstLG2, fpu.ConstLN2}

// fswMask are the bits of FSW the package's Env holds: everything but TOP.
const fswMask = ^uint16(7 << 11)

// fenv returns the Env of c's FCW and FSW.
func fenv(c *cpu.CPU) fpu.Env {
	e := fpu.NewEnv()
	e.CW, e.SW = c.FCW, c.FSW&fswMask
	return e
}

// fsync writes e's status word back into c.
func fsync(c *cpu.CPU, e *fpu.Env) { c.FSW = c.FSW&^fswMask | e.SW&fswMask }

func to87(v f80) fpu.F80   { return fpu.F80{Mant: v.Mant, SE: v.SE} }
func from87(v fpu.F80) f80 { return f80{Mant: v.Mant, SE: v.SE} }

// fload reads an x87 source: st(i), or memory holding a float (size 4, 8
// or 10) or an integer (size 2, 4 or 8 with 0x80 set). operand says the
// value is an arithmetic operand (fadd m32 ...), whose conversion raises
// the exceptions of an operand (a signalling NaN stays signalling for the
// operation to report) rather than those of a load.
func (m *machine) fload(c *cpu.CPU, e *fpu.Env, o *isa.Op, a isa.Arg, sz uint8, operand bool) fpu.F80 {
	if a.Kind == isa.KindSt {
		return to87(*c.STi(a.Reg))
	}
	ad := m.ea(c, o)
	switch sz {
	case 4:
		if operand {
			return e.Operand32(uint32(m.load(ad, 4)))
		}
		return e.FromFloat32(uint32(m.load(ad, 4)))
	case 8:
		if operand {
			return e.Operand64(m.load(ad, 8))
		}
		return e.FromFloat64(m.load(ad, 8))
	case 10:
		return fpu.F80{Mant: m.load(ad, 8), SE: uint16(m.load(ad+8, 2))}
	}
	isz := sz &^ 0x80
	return e.FromInt(int64(sext(m.load(ad, isz), isz)))
}

func (m *machine) x87(c *cpu.CPU, o *isa.Op) {
	e := fenv(c)
	defer fsync(c, &e)
	switch o.Cond {
	case isa.X87Ld:
		e.SW &^= cpu.FSWC1 // no rounding, no stack fault (80-bit and st(i) loads)
		v := m.fload(c, &e, o, o.Src, o.SSize, false)
		if e.Aborted() {
			return
		}
		c.FPush(from87(v))
	case isa.X87Ild:
		c.FPush(from87(m.fload(c, &e, o, o.Src, o.SSize|0x80, false)))
	case isa.X87LdConst:
		c.FPush(from87(e.Const(x87Consts[o.Imm%uint64(len(x87Consts))])))
	case isa.X87St:
		e.SW &^= cpu.FSWC1 // the 80-bit and st(i) forms round nothing
		v := to87(*c.STi(0))
		if o.Dst.Kind == isa.KindSt {
			*c.STi(o.Dst.Reg) = from87(v)
			c.FTAG |= 1 << ((c.FTOP + o.Dst.Reg) & 7)
			break
		}
		ad := m.ea(c, o)
		switch o.SSize {
		case 4:
			r := e.ToFloat32(v)
			if e.Aborted() {
				return
			}
			m.store(ad, 4, uint64(r))
		case 8:
			r := e.ToFloat64(v)
			if e.Aborted() {
				return
			}
			m.store(ad, 8, r)
		default:
			m.store(ad, 8, v.Mant)
			m.store(ad+8, 2, uint64(v.SE))
		}
	case isa.X87Ist, isa.X87Istt:
		v := to87(*c.STi(0))
		var r int64
		if o.Cond == isa.X87Istt {
			r = e.ToIntTrunc(v, 8*int(o.SSize))
		} else {
			r = e.ToInt(v, 8*int(o.SSize))
		}
		if e.Aborted() {
			return
		}
		m.store(m.ea(c, o), o.SSize, uint64(r))
	case isa.X87Arith:
		d := c.STi(0)
		if o.Dst.Kind == isa.KindSt {
			d = c.STi(o.Dst.Reg)
		}
		b := m.fload(c, &e, o, o.Src, o.SSize, true)
		a := to87(*d)
		var r fpu.F80
		switch o.Imm {
		case isa.X87Add:
			r = e.Add(a, b)
		case isa.X87Sub:
			r = e.Sub(a, b)
		case isa.X87Subr:
			r = e.Sub(b, a)
		case isa.X87Mul:
			r = e.Mul(a, b)
		case isa.X87Div:
			r = e.Div(a, b)
		case isa.X87Divr:
			r = e.Div(b, a)
		}
		if e.Aborted() {
			return
		}
		*d = from87(r)
	case isa.X87Xch:
		e.SW &^= cpu.FSWC1
		a, b := c.STi(0), c.STi(o.Src.Reg)
		*a, *b = *b, *a
	case isa.X87Chs:
		*c.STi(0) = from87(e.Chs(to87(*c.STi(0))))
	case isa.X87Abs:
		*c.STi(0) = from87(e.Abs(to87(*c.STi(0))))
	case isa.X87Sqrt:
		r := e.Sqrt(to87(*c.STi(0)))
		if e.Aborted() {
			return
		}
		*c.STi(0) = from87(r)
	case isa.X87Rnd:
		r := e.Round(to87(*c.STi(0)))
		if e.Aborted() {
			return
		}
		*c.STi(0) = from87(r)
	case isa.X87Com:
		// fcom/fcomp/fcompp signal invalid on any NaN, fucom* only on
		// a signalling one (Imm 1 marks the unordered forms).
		e.Compare(to87(*c.STi(0)), m.fload(c, &e, o, o.Src, o.SSize, true), o.Imm == 1)
	case isa.X87Tst:
		e.Test(to87(*c.STi(0)))
	case isa.X87Comi:
		f := e.CompareFlags(to87(*c.STi(0)), to87(*c.STi(o.Src.Reg)), o.Imm == 1)
		c.SetStatus(uint64(f))
	case isa.X87Xam:
		e.Examine(to87(*c.STi(0)), c.FTAG&(1<<c.FTOP) == 0)
	case isa.X87Free:
		c.FTAG &^= 1 << ((c.FTOP + o.Src.Reg) & 7)
	}
	for range o.Rep {
		c.FPop()
	}
}
