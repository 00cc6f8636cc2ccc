package isa

import (
	"golang.org/x/arch/x86/x86asm"
)

// Lowering of the x87 subset (see interp_x87.go). Every x87 instruction
// becomes OpX87 with the sub-operation in op.Cond, a stack register
// operand as ArgSt (reg = i for st(i)), the memory operand size in
// op.SSize, the number of pops afterwards in op.Rep and, for arithmetic,
// the operation in op.Imm.

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
	X87Com  // C3/C2/C0 from st0 ? src; pops rep
	X87Comi // ZF/PF/CF from st0 ? st(i); pops rep
	X87Tst
	X87Xam
	X87Free
)

// x87 arithmetic (op.Imm of X87Arith).
const (
	X87Add uint64 = iota
	X87Sub
	X87Subr
	X87Mul
	X87Div
	X87Divr
)

var x87Arith2 = map[x86asm.Op][2]uint64{
	x86asm.FADD: {X87Add, 0}, x86asm.FADDP: {X87Add, 1}, x86asm.FSUB: {X87Sub, 0}, x86asm.FSUBP: {X87Sub, 1},
	x86asm.FSUBR: {X87Subr, 0}, x86asm.FSUBRP: {X87Subr, 1}, x86asm.FMUL: {X87Mul, 0}, x86asm.FMULP: {X87Mul, 1},
	x86asm.FDIV: {X87Div, 0}, x86asm.FDIVP: {X87Div, 1}, x86asm.FDIVR: {X87Divr, 0}, x86asm.FDIVRP: {X87Divr, 1},
	x86asm.FIADD: {X87Add, 2}, x86asm.FISUB: {X87Sub, 2}, x86asm.FISUBR: {X87Subr, 2}, x86asm.FIMUL: {X87Mul, 2},
	x86asm.FIDIV: {X87Div, 2}, x86asm.FIDIVR: {X87Divr, 2},
}

func isX87(op x86asm.Op) bool {
	if _, ok := x87Arith2[op]; ok {
		return true
	}
	switch op {
	case x86asm.FLD, x86asm.FILD, x86asm.FLD1, x86asm.FLDZ, x86asm.FLDPI, x86asm.FLDL2E, x86asm.FLDL2T,
		x86asm.FLDLG2, x86asm.FLDLN2, x86asm.FST, x86asm.FSTP, x86asm.FIST, x86asm.FISTP, x86asm.FISTTP,
		x86asm.FXCH, x86asm.FCHS, x86asm.FABS, x86asm.FSQRT, x86asm.FRNDINT, x86asm.FCOM, x86asm.FCOMP,
		x86asm.FCOMPP, x86asm.FUCOM, x86asm.FUCOMP, x86asm.FUCOMPP, x86asm.FCOMI, x86asm.FCOMIP,
		x86asm.FUCOMI, x86asm.FUCOMIP, x86asm.FTST, x86asm.FXAM, x86asm.FFREE:
		return true
	}
	return false
}

// stArg converts argument i: a stack register or memory; size is the
// memory size (10 for the 80-bit forms, which x86asm reports as 0).
func (l *lowerer) stArg(i int) (Arg, error) {
	switch a := l.inst.Args[i].(type) {
	case nil:
		return Arg{}, nil
	case x86asm.Reg:
		if a >= x86asm.F0 && a <= x86asm.F7 {
			return Arg{Kind: ArgSt, Reg: uint8(a - x86asm.F0)}, nil
		}
	case x86asm.Mem:
		m, _, err := l.mem(a)
		return m, err
	}
	return Arg{}, unsupported(l.inst)
}

func (l *lowerer) lowerX87(o Op) (Op, error) {
	inst := l.inst
	o.Code = OpX87
	a0, err := l.stArg(0)
	if err != nil {
		return o, err
	}
	a1, err := l.stArg(1)
	if err != nil {
		return o, err
	}
	msize := uint8(inst.MemBytes)
	if msize == 0 {
		msize = 10
	}
	mem := a0.Kind == ArgMem
	switch inst.Op {
	case x86asm.FLD:
		o.Cond, o.Src = X87Ld, a0
		if mem {
			o.SSize = msize
		}
	case x86asm.FILD:
		o.Cond, o.Src, o.SSize = X87Ild, a0, msize
	case x86asm.FLD1, x86asm.FLDZ, x86asm.FLDPI, x86asm.FLDL2E, x86asm.FLDL2T, x86asm.FLDLG2, x86asm.FLDLN2:
		o.Cond = X87LdConst
		o.Imm = map[x86asm.Op]uint64{x86asm.FLD1: 0, x86asm.FLDZ: 1, x86asm.FLDPI: 2, x86asm.FLDL2E: 3,
			x86asm.FLDL2T: 4, x86asm.FLDLG2: 5, x86asm.FLDLN2: 6}[inst.Op]
	case x86asm.FST, x86asm.FSTP:
		o.Cond, o.Dst = X87St, a0
		if mem {
			o.SSize = msize
			if inst.Op == x86asm.FST && msize == 10 {
				return o, unsupported(inst)
			}
		}
		if inst.Op == x86asm.FSTP {
			o.Rep = 1
		}
	case x86asm.FIST, x86asm.FISTP, x86asm.FISTTP:
		o.Cond, o.Dst, o.SSize = X87Ist, a0, msize
		if inst.Op != x86asm.FIST {
			o.Rep = 1
		}
		if inst.Op == x86asm.FISTTP {
			o.Cond = X87Istt
		}
	case x86asm.FXCH:
		o.Cond, o.Src = X87Xch, a0
		if a0.Kind == ArgNone {
			o.Src = Arg{Kind: ArgSt, Reg: 1}
		}
	case x86asm.FCHS:
		o.Cond = X87Chs
	case x86asm.FABS:
		o.Cond = X87Abs
	case x86asm.FSQRT:
		o.Cond = X87Sqrt
	case x86asm.FRNDINT:
		o.Cond = X87Rnd
	case x86asm.FTST:
		o.Cond = X87Tst
	case x86asm.FXAM:
		o.Cond = X87Xam
	case x86asm.FFREE:
		o.Cond, o.Src = X87Free, a0
	case x86asm.FCOM, x86asm.FCOMP, x86asm.FCOMPP, x86asm.FUCOM, x86asm.FUCOMP, x86asm.FUCOMPP:
		o.Cond, o.Src = X87Com, a0
		if mem {
			o.SSize = msize
		}
		if a0.Kind == ArgNone {
			o.Src = Arg{Kind: ArgSt, Reg: 1}
		}
		switch inst.Op {
		case x86asm.FCOMP, x86asm.FUCOMP:
			o.Rep = 1
		case x86asm.FCOMPP, x86asm.FUCOMPP:
			o.Rep = 2
		}
	case x86asm.FCOMI, x86asm.FCOMIP, x86asm.FUCOMI, x86asm.FUCOMIP:
		o.Cond, o.Src = X87Comi, a1
		if inst.Op == x86asm.FCOMIP || inst.Op == x86asm.FUCOMIP {
			o.Rep = 1
		}
	default:
		ar, ok := x87Arith2[inst.Op]
		if !ok {
			return o, unsupported(inst)
		}
		o.Cond, o.Imm = X87Arith, ar[0]
		switch {
		case mem: // st0 op= m32/m64 (float) or m16/m32 (integer, ssize|0x80)
			o.Dst, o.Src, o.SSize = Arg{Kind: ArgSt}, a0, msize
			if ar[1] == 2 {
				o.SSize |= 0x80
			}
		case a1.Kind == ArgSt:
			o.Dst, o.Src = a0, a1
		default:
			o.Dst, o.Src = Arg{Kind: ArgSt, Reg: 1}, Arg{Kind: ArgSt}
		}
		if ar[1] == 1 {
			o.Rep = 1
		}
	}
	return o, nil
}
