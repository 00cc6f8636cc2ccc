package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/guest/isa/cpuid"
	fpu "github.com/minemu/minemu/guest/isa/x87"
)

// The x87 unit: loads and stores (32-, 64- and 80-bit floats, 16-, 32-
// and 64-bit integers, 18-digit packed decimals), constants, exchange,
// conditional moves, sign and absolute value, square root, rounding, the
// arithmetic group with its reversed, integer and popping forms, compares
// (fcom/fucom/ficom setting C0/C2/C3, fcomi/fucomi setting EFLAGS), ftst,
// fxam, the transcendentals, fprem/fprem1, fscale, fxtract, the stack
// and tag operations (ffree, ffreep, fincstp, fdecstp), fnop and fwait,
// and the environment and state images (x87_env.go). fnstcw, fldcw,
// fnstsw, fninit and fnclex are ops of their own (interp.go), fxsave and
// fxrstor OpVec ones (vec.go).
//
// Registers hold the exact 80-bit extended values. Every operation goes
// through guest/isa/x87, which computes what the host FPU computes bit for
// bit in every precision (FCW.PC) and rounding mode (FCW.RC), denormal
// operands and results included, without allocating: it reads the
// exception masks of FCW, accumulates the exception flags in FSW, sets C1
// as the round-up indication and C0 C2 C3 where the instruction defines
// them. An operation whose unmasked exception the hardware reports before
// computing (x87.Env.Aborted) writes nothing and pops nothing.
//
// The stack is checked as the hardware checks it: reading an empty
// register is a stack underflow, pushing onto a full one (st7 in use) an
// overflow, both IE and SF with C1 telling which. Masked, the destination
// receives the QNaN indefinite in place of the result (a compare reports
// unordered, a store to memory stores the indefinite of its format) and
// the instruction completes, pops included; unmasked, it changes nothing
// but the status word.
//
// An unmasked exception sets ES in FSW and is reported as the hardware
// reports it, at the next waiting x87 instruction (every one but fninit,
// fnclex, fnstsw, fnstcw, fnstenv, fnsave, fxsave and fxrstor; MMX
// instructions and emms included): that instruction does not execute and
// the thread stops with FaultX87, its Arg the si_code Linux derives from
// the unmasked flags (x87SigCode). fldcw, fldenv and frstor recompute ES
// from the flags and masks they load, so that unmasking a raised flag
// makes the exception pending.

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

// fpending reports an x87 exception pending (FSW.ES): the waiting
// instruction about to run stops with FaultX87 instead, Arg the si_code.
func (m *machine) fpending(c *cpu.CPU) engine.Fault {
	if c.FSW&fpu.ES == 0 {
		return 0
	}
	m.x.Arg = x87SigCode(c.FSW, c.FCW)
	return engine.FaultX87
}

// x87SigCode is the si_code Linux gives the SIGFPE of an x87 exception
// (arch/x86/kernel/traps.c: the first unmasked flag by priority: invalid,
// zero divide, overflow, denormal or underflow, precision).
func x87SigCode(sw, cw uint16) uint64 {
	err := sw &^ cw & 0x3f
	switch {
	case err&fpu.IE != 0:
		return 7 // FPE_FLTINV
	case err&fpu.ZE != 0:
		return 3 // FPE_FLTDIV
	case err&fpu.OE != 0:
		return 4 // FPE_FLTOVF
	case err&(fpu.DE|fpu.UE) != 0:
		return 5 // FPE_FLTUND
	case err&fpu.PE != 0:
		return 6 // FPE_FLTRES
	}
	return 0
}

// fpush pushes v, or, onto a full stack, records the overflow and pushes
// its masked response; false means the overflow is unmasked and nothing
// may change.
func fpush(c *cpu.CPU, e *fpu.Env, v fpu.F80) bool {
	if !c.FEmpty(7) {
		v = e.StackFault(true)
		if e.Aborted() {
			return false
		}
	}
	c.FPush(from87(v))
	return true
}

// funder records a stack underflow when one of st(i), st(j) is empty:
// under reports it, ok whether the instruction goes on (masked) with the
// indefinite as its result.
func funder(c *cpu.CPU, e *fpu.Env, i, j uint8) (under, ok bool) {
	if !c.FEmpty(i) && !c.FEmpty(j) {
		return false, true
	}
	e.StackFault(false)
	return true, !e.Aborted()
}

// x87 runs one OpX87; a non-zero Fault stops the thread before it.
func (m *machine) x87(c *cpu.CPU, o *isa.Op) engine.Fault {
	if o.Cond != isa.X87Stenv && o.Cond != isa.X87Save {
		if f := m.fpending(c); f != 0 {
			return f
		}
	}
	switch o.Cond {
	case isa.X87Stenv, isa.X87Ldenv, isa.X87Save, isa.X87Rstor:
		m.fenvOp(c, o)
		return 0
	case isa.X87Incstp:
		c.FTOP = (c.FTOP + uint8(o.Imm)) & 7
		c.FSW &^= cpu.FSWC1
		return 0
	case isa.X87Wait:
		return 0
	}
	e := fenv(c)
	m.x87Op(c, o, &e)
	fsync(c, &e)
	return 0
}

func (m *machine) x87Op(c *cpu.CPU, o *isa.Op, e *fpu.Env) {
	rep := o.Rep
	switch o.Cond {
	case isa.X87Ld:
		e.SW &^= cpu.FSWC1 // no rounding (80-bit and st(i) loads)
		if o.Src.Kind == isa.KindSt && c.FEmpty(o.Src.Reg) {
			// An underflow; a full stack is not reported on top of it
			// (measured: the indefinite is pushed over st7).
			if v := e.StackFault(false); !e.Aborted() {
				c.FPush(from87(v))
			}
			return
		}
		if !c.FEmpty(7) { // the stack is checked before the operand is read
			fpush(c, e, fpu.Indefinite)
			return
		}
		v := m.fload(c, e, o, o.Src, o.SSize, false)
		if e.Aborted() {
			return
		}
		fpush(c, e, v)
	case isa.X87Ild:
		fpush(c, e, m.fload(c, e, o, o.Src, o.SSize|0x80, false))
	case isa.X87LdConst:
		fpush(c, e, e.Const(x87Consts[o.Imm%uint64(len(x87Consts))]))
	case isa.X87Bld:
		var b fpu.BCD
		ad := m.ea(c, o)
		for i := range b {
			b[i] = byte(m.load(ad+uint64(i), 1))
		}
		fpush(c, e, e.FromBCD(b))
	case isa.X87St:
		e.SW &^= cpu.FSWC1 // the 80-bit and st(i) forms round nothing
		v := to87(*c.STi(0))
		if c.FEmpty(0) {
			if v = e.StackFault(false); e.Aborted() {
				return
			}
		}
		if o.Dst.Kind == isa.KindSt {
			c.FSet(o.Dst.Reg, from87(v))
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
		var r int64
		if c.FEmpty(0) {
			if e.StackFault(false); e.Aborted() {
				return
			}
			r = -1 << (8*o.SSize - 1) // the integer indefinite
		} else {
			v := to87(*c.STi(0))
			if o.Cond == isa.X87Istt {
				r = e.ToIntTrunc(v, 8*int(o.SSize))
			} else {
				r = e.ToInt(v, 8*int(o.SSize))
			}
			if e.Aborted() {
				return
			}
		}
		m.store(m.ea(c, o), o.SSize, uint64(r))
	case isa.X87Bstp:
		b := fpu.BCDIndefinite
		if c.FEmpty(0) {
			if e.StackFault(false); e.Aborted() {
				return
			}
		} else if b = e.ToBCD(to87(*c.STi(0))); e.Aborted() {
			return
		}
		ad := m.ea(c, o)
		for i := range b {
			m.store(ad+uint64(i), 1, uint64(b[i]))
		}
	case isa.X87Arith:
		di := uint8(0)
		if o.Dst.Kind == isa.KindSt {
			di = o.Dst.Reg
		}
		si := di
		if o.Src.Kind == isa.KindSt {
			si = o.Src.Reg
		}
		if under, ok := funder(c, e, di, si); under {
			if !ok {
				return
			}
			c.FSet(di, from87(fpu.Indefinite))
			break
		}
		b := m.fload(c, e, o, o.Src, o.SSize, true)
		a := to87(*c.STi(di))
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
		*c.STi(di) = from87(r)
	case isa.X87Xch:
		e.SW &^= cpu.FSWC1
		i := o.Src.Reg
		if under, ok := funder(c, e, 0, i); under {
			if !ok {
				return
			}
			for _, r := range [2]uint8{0, i} {
				if c.FEmpty(r) {
					c.FSet(r, from87(fpu.Indefinite))
				}
			}
		}
		a, b := c.STi(0), c.STi(i)
		*a, *b = *b, *a
	case isa.X87Chs, isa.X87Abs, isa.X87Sqrt, isa.X87Rnd:
		if under, ok := funder(c, e, 0, 0); under {
			if ok {
				c.FSet(0, from87(fpu.Indefinite))
			}
			return
		}
		x := to87(*c.STi(0))
		var r fpu.F80
		switch o.Cond {
		case isa.X87Chs:
			r = e.Chs(x)
		case isa.X87Abs:
			r = e.Abs(x)
		case isa.X87Sqrt:
			r = e.Sqrt(x)
		default:
			r = e.Round(x)
		}
		if e.Aborted() {
			return
		}
		*c.STi(0) = from87(r)
	case isa.X87Func:
		if !m.x87Func(c, o, e) {
			return
		}
	case isa.X87Cmov:
		if under, ok := funder(c, e, 0, o.Src.Reg); under {
			if ok {
				c.FSet(0, from87(fpu.Indefinite))
			}
			return
		}
		if c.Cond(uint8(o.Imm)) { // C1 is left alone (measured)
			*c.STi(0) = *c.STi(o.Src.Reg)
		}
	case isa.X87Com:
		// fcom/fcomp/fcompp signal invalid on any NaN, fucom* only on
		// a signalling one (Imm 1 marks the unordered forms).
		si := uint8(0)
		if o.Src.Kind == isa.KindSt {
			si = o.Src.Reg
		}
		if under, _ := funder(c, e, 0, si); under {
			e.SW |= cpu.FSWC0 | cpu.FSWC2 | cpu.FSWC3 // unordered, masked or not
			break
		}
		e.Compare(to87(*c.STi(0)), m.fload(c, e, o, o.Src, o.SSize, true), o.Imm == 1)
	case isa.X87Tst:
		if under, _ := funder(c, e, 0, 0); under {
			e.SW |= cpu.FSWC0 | cpu.FSWC2 | cpu.FSWC3
			break
		}
		e.Test(to87(*c.STi(0)))
	case isa.X87Comi:
		if under, _ := funder(c, e, 0, o.Src.Reg); under {
			c.SetStatus(fpu.FlagZF | fpu.FlagPF | fpu.FlagCF)
			break
		}
		c1 := e.SW & fpu.C1
		f := e.CompareFlags(to87(*c.STi(0)), to87(*c.STi(o.Src.Reg)), o.Imm == 1)
		if m.model().Vendor() == cpuid.AMD {
			e.SW |= c1 // AMD's fcomi leaves C1 (measured on Zen 3); Intel's clears it, as the SDM says
		}
		c.SetStatus(uint64(f))
	case isa.X87Xam:
		e.Examine(to87(*c.STi(0)), c.FEmpty(0))
	case isa.X87Free:
		e.SW &^= cpu.FSWC1 // undefined in the SDM; cleared as measured
		c.FTAG &^= 1 << ((c.FTOP + o.Src.Reg) & 7)
	}
	if e.Aborted() {
		return
	}
	for range rep {
		c.FPop()
	}
}

// x87Func runs the X87Func functions; false means an unmasked exception
// left everything unchanged.
func (m *machine) x87Func(c *cpu.CPU, o *isa.Op, e *fpu.Env) bool {
	switch o.Imm {
	case isa.X87Sin, isa.X87Cos, isa.X87F2xm1:
		if under, ok := funder(c, e, 0, 0); under {
			if o.Imm != isa.X87F2xm1 {
				e.SW &^= fpu.C2 // the range indication is cleared (measured)
			}
			if ok {
				c.FSet(0, from87(fpu.Indefinite))
			}
			return ok
		}
		x := to87(*c.STi(0))
		var r fpu.F80
		switch o.Imm {
		case isa.X87Sin:
			r = e.Sin(x)
		case isa.X87Cos:
			r = e.Cos(x)
		default:
			r = e.F2xm1(x)
		}
		if e.Aborted() {
			return false
		}
		*c.STi(0) = from87(r)
	case isa.X87Sincos, isa.X87Ptan, isa.X87Xtract:
		// Two results: st0 is replaced and one more is pushed. An empty
		// st0 or a full stack gives the indefinite twice.
		under, full := c.FEmpty(0), !c.FEmpty(7)
		if under || full {
			if e.StackFault(full && !under); o.Imm != isa.X87Xtract {
				e.SW &^= fpu.C2 // the range indication is cleared (measured)
			}
			if e.Aborted() {
				return false
			}
			c.FSet(0, from87(fpu.Indefinite))
			c.FPush(from87(fpu.Indefinite))
			return true
		}
		x := to87(*c.STi(0))
		var r, push fpu.F80
		switch o.Imm {
		case isa.X87Sincos:
			r, push = e.SinCos(x)
		case isa.X87Ptan:
			r, push = e.Tan(x)
		default:
			r, push = e.Extract(x)
		}
		if e.Aborted() {
			return false
		}
		if o.Imm != isa.X87Xtract && e.SW&fpu.C2 != 0 {
			return true // out of range: st0 left, nothing pushed
		}
		*c.STi(0) = from87(r)
		c.FPush(from87(push))
	case isa.X87Patan, isa.X87Yl2x, isa.X87Yl2xp1:
		// st1 = f(st1, st0), then pop.
		if under, ok := funder(c, e, 0, 1); under {
			if ok {
				c.FSet(1, from87(fpu.Indefinite))
				c.FPop()
			}
			return ok
		}
		y, x := to87(*c.STi(1)), to87(*c.STi(0))
		var r fpu.F80
		switch o.Imm {
		case isa.X87Patan:
			r = e.Atan2(y, x)
		case isa.X87Yl2x:
			r = e.Yl2x(y, x)
		default:
			r = e.Yl2xp1(y, x)
		}
		if e.Aborted() {
			return false
		}
		*c.STi(1) = from87(r)
		c.FPop()
	case isa.X87Scale, isa.X87Prem, isa.X87Prem1:
		if under, ok := funder(c, e, 0, 1); under {
			if o.Imm != isa.X87Scale {
				e.SW &^= fpu.C2 // "reduction complete" (measured)
			}
			if ok {
				c.FSet(0, from87(fpu.Indefinite))
			}
			return ok
		}
		x, y := to87(*c.STi(0)), to87(*c.STi(1))
		var r fpu.F80
		switch o.Imm {
		case isa.X87Scale:
			r = e.Scale(x, y)
		default:
			r = e.Prem(x, y, o.Imm == isa.X87Prem1)
		}
		if e.Aborted() {
			return false
		}
		*c.STi(0) = from87(r)
	}
	return true
}

// fldcw loads the control word: reserved bits 7 and 13-15 read as 0 and
// bit 6 as 1, and ES follows the flags the new masks leave unmasked.
func (m *machine) fldcw(c *cpu.CPU, o *isa.Op) engine.Fault {
	if f := m.fpending(c); f != 0 {
		return f
	}
	c.FCW = uint16(m.load(m.ea(c, o), 2))&0x1f3f | 0x40
	c.FSW = cpu.FSummary(c.FSW, c.FCW)
	return 0
}
