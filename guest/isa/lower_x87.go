package isa

import (
	"golang.org/x/arch/x86/x86asm"
)

// Lowering of the x87 instructions. Every x87 instruction but fnstcw,
// fldcw, fnstsw, fninit and fnclex (ops of their own) becomes OpX87 with
// the sub-operation in Op.Cond, a stack register operand as KindSt (Reg =
// i for st(i)), the memory operand size in Op.SSize (10 for the 80-bit
// and packed decimal forms, which x86asm reports as 0; 0x80 set for an
// integer operand of the arithmetic and compares), the number of pops
// afterwards in Op.Rep, for arithmetic the operation and for X87Func the
// function in Op.Imm, and for the environment and state images their
// size in bytes in Op.Size (14 or 28, 94 or 108).

// x87 sub-operations.
const (
	X87Ld      uint8 = iota // push src (float memory of ssize 4/8/10, or st(i))
	X87Ild                  // push integer memory (ssize 2/4/8)
	X87LdConst              // push constant number imm
	X87St                   // store st0 to float memory or st(i); pops rep
	X87Ist                  // store st0 as an integer rounded by FCW.RC; pops rep
	X87Istt                 // store st0 as an integer, truncated; pops
	X87Arith                // dst = dst <imm> src; pops rep
	X87Xch                  // exchange st0 and st(i)
	X87Chs
	X87Abs
	X87Sqrt
	X87Rnd
	X87Com  // C3/C2/C0 from st0 ? src; pops rep; imm 1: unordered (fucom)
	X87Comi // ZF/PF/CF from st0 ? st(i); pops rep; imm 1: unordered (fucomi)
	X87Tst
	X87Xam
	X87Free   // tag st(i) empty; pops rep (ffreep)
	X87Func   // st0 = f(st0) or st0 = f(st0, st1), pushes or pops as f says: Imm one of X87Sin...
	X87Bld    // push the packed decimal at the m80 operand
	X87Bstp   // store st0 as packed decimal (rounded by FCW.RC) and pop
	X87Cmov   // st0 = st(i) when condition Imm (the Jcc numbering) holds
	X87Incstp // TOP += Imm (1: fincstp, 7: fdecstp); no tag changes
	X87Wait   // fwait, fnop: only the pending-exception check
	X87Stenv  // fnstenv: the environment (Size 14 or 28 bytes) to memory, then all exceptions masked
	X87Ldenv  // fldenv: the environment (Size 14 or 28) from memory
	X87Save   // fnsave: the environment and the registers (Size 94 or 108), then fninit
	X87Rstor  // frstor: the environment and the registers (Size 94 or 108)
)

// Functions of X87Func (Op.Imm).
const (
	X87Sin    uint64 = iota // st0 = sin st0
	X87Cos                  // st0 = cos st0
	X87F2xm1                // st0 = 2^st0 - 1
	X87Sincos               // st0 = sin st0, then push cos
	X87Ptan                 // st0 = tan st0, then push 1
	X87Xtract               // st0 = exponent, then push the significand
	X87Patan                // st1 = atan(st1/st0), pop
	X87Yl2x                 // st1 = st1 * log2 st0, pop
	X87Yl2xp1               // st1 = st1 * log2(st0+1), pop
	X87Scale                // st0 = st0 * 2^trunc(st1)
	X87Prem                 // st0 = partial remainder of st0 / st1 (truncated quotient)
	X87Prem1                // st0 = IEEE partial remainder of st0 / st1
)

// x87 arithmetic (Op.Imm of X87Arith).
const (
	X87Add uint64 = iota
	X87Sub
	X87Subr
	X87Mul
	X87Div
	X87Divr
)

// x87 table entries: sub is the sub-operation, aux the pops (or, for
// X87Arith, the variant: x87Pop pops once, x87Int takes an integer memory
// operand), size the arithmetic operation or the constant's number.
const (
	x87Pop = 1
	x87Int = 2
)

func initX87() {
	x := func(sub, aux, size uint8, ops ...x86asm.Op) {
		set(lowering{fn: lowerX87, code: OpX87, sub: sub, aux: aux, size: size, fam: famX87}, ops...)
	}
	x(X87Ld, 0, 0, x86asm.FLD)
	x(X87Ild, 0, 0, x86asm.FILD)
	for i, op := range []x86asm.Op{x86asm.FLD1, x86asm.FLDZ, x86asm.FLDPI, x86asm.FLDL2E, x86asm.FLDL2T, x86asm.FLDLG2, x86asm.FLDLN2} {
		x(X87LdConst, 0, uint8(i), op)
	}
	x(X87St, 0, 0, x86asm.FST)
	x(X87St, 1, 0, x86asm.FSTP)
	x(X87Ist, 0, 0, x86asm.FIST)
	x(X87Ist, 1, 0, x86asm.FISTP)
	x(X87Istt, 1, 0, x86asm.FISTTP)
	x(X87Xch, 0, 0, x86asm.FXCH)
	x(X87Chs, 0, 0, x86asm.FCHS)
	x(X87Abs, 0, 0, x86asm.FABS)
	x(X87Sqrt, 0, 0, x86asm.FSQRT)
	x(X87Rnd, 0, 0, x86asm.FRNDINT)
	x(X87Tst, 0, 0, x86asm.FTST)
	x(X87Xam, 0, 0, x86asm.FXAM)
	x(X87Free, 0, 0, x86asm.FFREE)
	x(X87Free, 1, 0, x86asm.FFREEP)
	for i, op := range []x86asm.Op{x86asm.FSIN, x86asm.FCOS, x86asm.F2XM1, x86asm.FSINCOS, x86asm.FPTAN, x86asm.FXTRACT,
		x86asm.FPATAN, x86asm.FYL2X, x86asm.FYL2XP1, x86asm.FSCALE, x86asm.FPREM, x86asm.FPREM1} {
		x(X87Func, 0, uint8(i), op)
	}
	x(X87Bld, 0, 0, x86asm.FBLD)
	x(X87Bstp, 1, 0, x86asm.FBSTP)
	for _, c := range []struct {
		cc uint8
		op x86asm.Op
	}{{2, x86asm.FCMOVB}, {3, x86asm.FCMOVNB}, {4, x86asm.FCMOVE}, {5, x86asm.FCMOVNE}, {6, x86asm.FCMOVBE},
		{7, x86asm.FCMOVNBE}, {10, x86asm.FCMOVU}, {11, x86asm.FCMOVNU}} {
		x(X87Cmov, 0, c.cc, c.op)
	}
	x(X87Incstp, 0, 1, x86asm.FINCSTP)
	x(X87Incstp, 0, 7, x86asm.FDECSTP)
	x(X87Wait, 0, 0, x86asm.FWAIT, x86asm.FNOP)
	x(X87Stenv, 0, 0, x86asm.FNSTENV)
	x(X87Ldenv, 0, 0, x86asm.FLDENV)
	x(X87Save, 0, 0, x86asm.FNSAVE)
	x(X87Rstor, 0, 0, x86asm.FRSTOR)
	x(X87Com, 0, 0, x86asm.FICOM)
	x(X87Com, 1, 0, x86asm.FICOMP)
	// Compares: size 1 marks the unordered (fucom) forms, which signal
	// invalid only for a signalling NaN.
	x(X87Com, 0, 0, x86asm.FCOM)
	x(X87Com, 1, 0, x86asm.FCOMP)
	x(X87Com, 2, 0, x86asm.FCOMPP)
	x(X87Com, 0, 1, x86asm.FUCOM)
	x(X87Com, 1, 1, x86asm.FUCOMP)
	x(X87Com, 2, 1, x86asm.FUCOMPP)
	x(X87Comi, 0, 0, x86asm.FCOMI)
	x(X87Comi, 1, 0, x86asm.FCOMIP)
	x(X87Comi, 0, 1, x86asm.FUCOMI)
	x(X87Comi, 1, 1, x86asm.FUCOMIP)
	for _, a := range []struct {
		op             uint8
		plain, pop, in x86asm.Op
	}{
		{uint8(X87Add), x86asm.FADD, x86asm.FADDP, x86asm.FIADD}, {uint8(X87Sub), x86asm.FSUB, x86asm.FSUBP, x86asm.FISUB},
		{uint8(X87Subr), x86asm.FSUBR, x86asm.FSUBRP, x86asm.FISUBR}, {uint8(X87Mul), x86asm.FMUL, x86asm.FMULP, x86asm.FIMUL},
		{uint8(X87Div), x86asm.FDIV, x86asm.FDIVP, x86asm.FIDIV}, {uint8(X87Divr), x86asm.FDIVR, x86asm.FDIVRP, x86asm.FIDIVR},
	} {
		x(X87Arith, 0, a.op, a.plain)
		x(X87Arith, x87Pop, a.op, a.pop)
		x(X87Arith, x87Int, a.op, a.in)
	}
}

// stArg converts argument i: a stack register or memory.
func (l *lowerer) stArg(o *Op, i int) (Arg, error) {
	switch a := l.inst.Args[i].(type) {
	case nil:
		return Arg{}, nil
	case x86asm.Reg:
		if a >= x86asm.F0 && a <= x86asm.F7 {
			return Arg{Kind: KindSt, Reg: uint8(a - x86asm.F0)}, nil
		}
	case x86asm.Mem:
		m, _, err := l.mem(o, a)
		return m, err
	}
	return Arg{}, unsupported(l.inst)
}

func lowerX87(l *lowerer, o *Op, e *lowering) error {
	inst := l.inst
	o.Code, o.Cond = OpX87, e.sub
	a0, err := l.stArg(o, 0)
	if err != nil {
		return err
	}
	a1, err := l.stArg(o, 1)
	if err != nil {
		return err
	}
	msize := uint8(inst.MemBytes)
	if msize == 0 {
		msize = 10
	}
	mem := a0.Kind == KindMem
	st1 := Arg{Kind: KindSt, Reg: 1}
	switch e.sub {
	case X87Ld:
		o.Src = a0
		if mem {
			o.SSize = msize
		}
	case X87Ild:
		o.Src, o.SSize = a0, msize
	case X87LdConst:
		o.Imm = uint64(e.size)
	case X87St:
		o.Dst, o.Rep = a0, e.aux
		if mem {
			o.SSize = msize
			if e.aux == 0 && msize == 10 {
				return unsupported(inst) // fst m80 does not exist
			}
		}
	case X87Ist, X87Istt:
		o.Dst, o.SSize, o.Rep = a0, msize, e.aux
	case X87Xch:
		o.Src = a0
		if a0.Kind == KindNone {
			o.Src = st1
		}
	case X87Free:
		o.Src, o.Rep = a0, e.aux
	case X87Func, X87Incstp:
		o.Imm = uint64(e.size)
	case X87Bld:
		o.Src, o.SSize = a0, 10
	case X87Bstp:
		o.Dst, o.SSize, o.Rep = a0, 10, 1
	case X87Cmov:
		o.Src, o.Imm = a1, uint64(e.size)
	case X87Stenv, X87Ldenv, X87Save, X87Rstor:
		// The 16-bit forms (operand size 16) store 14 bytes of
		// environment, the others 28; fnsave and frstor add the eight
		// 10-byte registers.
		if !mem {
			return unsupported(inst)
		}
		o.Src, o.Size = a0, 28
		if inst.DataSize == 16 {
			o.Size = 14
		}
		if e.sub == X87Save || e.sub == X87Rstor {
			o.Size += 80
		}
	case X87Com:
		o.Src, o.Rep, o.Imm = a0, e.aux, uint64(e.size)
		if mem {
			o.SSize = msize
			if inst.Op == x86asm.FICOM || inst.Op == x86asm.FICOMP {
				o.SSize |= 0x80
			}
		}
		if a0.Kind == KindNone {
			o.Src = st1
		}
	case X87Comi:
		o.Src, o.Rep, o.Imm = a1, e.aux, uint64(e.size)
	case X87Arith:
		o.Imm = uint64(e.size)
		switch {
		case mem: // st0 op= m32/m64 (float) or m16/m32 (integer, SSize|0x80)
			o.Dst, o.Src, o.SSize = Arg{Kind: KindSt}, a0, msize
			if e.aux == x87Int {
				o.SSize |= 0x80
			}
		case a1.Kind == KindSt:
			o.Dst, o.Src = a0, a1
		default:
			o.Dst, o.Src = st1, Arg{Kind: KindSt}
		}
		if e.aux == x87Pop {
			o.Rep = 1
		}
	}
	return nil
}
