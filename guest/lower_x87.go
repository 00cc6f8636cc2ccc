package guest

import (
	"golang.org/x/arch/x86/x86asm"
)

// Lowering of the x87 subset (see interp_x87.go). Every x87 instruction
// becomes opX87 with the sub-operation in op.cond, a stack register
// operand as argSt (reg = i for st(i)), the memory operand size in
// op.ssize, the number of pops afterwards in op.rep and, for arithmetic,
// the operation in op.imm.

// x87 sub-operations.
const (
	x87Ld      uint8 = iota // push src (float memory of ssize 4/8/10, or st(i))
	x87Ild                  // push integer memory (ssize 2/4/8)
	x87LdConst              // push constant number imm
	x87St                   // store st0 to float memory or st(i); pops rep
	x87Ist                  // store st0 as an integer rounded by FCW.RC; pops rep
	x87Istt                 // store st0 as an integer, truncated; pops
	x87Arith                // dst = dst <imm> src; pops rep
	x87Xch                  // exchange st0 and st(i)
	x87Chs
	x87Abs
	x87Sqrt
	x87Rnd
	x87Com  // C3/C2/C0 from st0 ? src; pops rep
	x87Comi // ZF/PF/CF from st0 ? st(i); pops rep
	x87Tst
	x87Xam
	x87Free
)

// x87 arithmetic (op.imm of x87Arith).
const (
	x87Add uint64 = iota
	x87Sub
	x87Subr
	x87Mul
	x87Div
	x87Divr
)

var x87Arith2 = map[x86asm.Op][2]uint64{
	x86asm.FADD: {x87Add, 0}, x86asm.FADDP: {x87Add, 1}, x86asm.FSUB: {x87Sub, 0}, x86asm.FSUBP: {x87Sub, 1},
	x86asm.FSUBR: {x87Subr, 0}, x86asm.FSUBRP: {x87Subr, 1}, x86asm.FMUL: {x87Mul, 0}, x86asm.FMULP: {x87Mul, 1},
	x86asm.FDIV: {x87Div, 0}, x86asm.FDIVP: {x87Div, 1}, x86asm.FDIVR: {x87Divr, 0}, x86asm.FDIVRP: {x87Divr, 1},
	x86asm.FIADD: {x87Add, 2}, x86asm.FISUB: {x87Sub, 2}, x86asm.FISUBR: {x87Subr, 2}, x86asm.FIMUL: {x87Mul, 2},
	x86asm.FIDIV: {x87Div, 2}, x86asm.FIDIVR: {x87Divr, 2},
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
func (l *lowerer) stArg(i int) (arg, error) {
	switch a := l.inst.Args[i].(type) {
	case nil:
		return arg{}, nil
	case x86asm.Reg:
		if a >= x86asm.F0 && a <= x86asm.F7 {
			return arg{kind: argSt, reg: uint8(a - x86asm.F0)}, nil
		}
	case x86asm.Mem:
		m, _, err := l.mem(a)
		return m, err
	}
	return arg{}, unsupported(l.inst)
}

func (l *lowerer) lowerX87(o op) (op, error) {
	inst := l.inst
	o.code = opX87
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
	mem := a0.kind == argMem
	switch inst.Op {
	case x86asm.FLD:
		o.cond, o.src = x87Ld, a0
		if mem {
			o.ssize = msize
		}
	case x86asm.FILD:
		o.cond, o.src, o.ssize = x87Ild, a0, msize
	case x86asm.FLD1, x86asm.FLDZ, x86asm.FLDPI, x86asm.FLDL2E, x86asm.FLDL2T, x86asm.FLDLG2, x86asm.FLDLN2:
		o.cond = x87LdConst
		o.imm = map[x86asm.Op]uint64{x86asm.FLD1: 0, x86asm.FLDZ: 1, x86asm.FLDPI: 2, x86asm.FLDL2E: 3,
			x86asm.FLDL2T: 4, x86asm.FLDLG2: 5, x86asm.FLDLN2: 6}[inst.Op]
	case x86asm.FST, x86asm.FSTP:
		o.cond, o.dst = x87St, a0
		if mem {
			o.ssize = msize
			if inst.Op == x86asm.FST && msize == 10 {
				return o, unsupported(inst)
			}
		}
		if inst.Op == x86asm.FSTP {
			o.rep = 1
		}
	case x86asm.FIST, x86asm.FISTP, x86asm.FISTTP:
		o.cond, o.dst, o.ssize = x87Ist, a0, msize
		if inst.Op != x86asm.FIST {
			o.rep = 1
		}
		if inst.Op == x86asm.FISTTP {
			o.cond = x87Istt
		}
	case x86asm.FXCH:
		o.cond, o.src = x87Xch, a0
		if a0.kind == argNone {
			o.src = arg{kind: argSt, reg: 1}
		}
	case x86asm.FCHS:
		o.cond = x87Chs
	case x86asm.FABS:
		o.cond = x87Abs
	case x86asm.FSQRT:
		o.cond = x87Sqrt
	case x86asm.FRNDINT:
		o.cond = x87Rnd
	case x86asm.FTST:
		o.cond = x87Tst
	case x86asm.FXAM:
		o.cond = x87Xam
	case x86asm.FFREE:
		o.cond, o.src = x87Free, a0
	case x86asm.FCOM, x86asm.FCOMP, x86asm.FCOMPP, x86asm.FUCOM, x86asm.FUCOMP, x86asm.FUCOMPP:
		o.cond, o.src = x87Com, a0
		if mem {
			o.ssize = msize
		}
		if a0.kind == argNone {
			o.src = arg{kind: argSt, reg: 1}
		}
		switch inst.Op {
		case x86asm.FCOMP, x86asm.FUCOMP:
			o.rep = 1
		case x86asm.FCOMPP, x86asm.FUCOMPP:
			o.rep = 2
		}
	case x86asm.FCOMI, x86asm.FCOMIP, x86asm.FUCOMI, x86asm.FUCOMIP:
		o.cond, o.src = x87Comi, a1
		if inst.Op == x86asm.FCOMIP || inst.Op == x86asm.FUCOMIP {
			o.rep = 1
		}
	default:
		ar, ok := x87Arith2[inst.Op]
		if !ok {
			return o, unsupported(inst)
		}
		o.cond, o.imm = x87Arith, ar[0]
		switch {
		case mem: // st0 op= m32/m64 (float) or m16/m32 (integer, ssize|0x80)
			o.dst, o.src, o.ssize = arg{kind: argSt}, a0, msize
			if ar[1] == 2 {
				o.ssize |= 0x80
			}
		case a1.kind == argSt:
			o.dst, o.src = a0, a1
		default:
			o.dst, o.src = arg{kind: argSt, reg: 1}, arg{kind: argSt}
		}
		if ar[1] == 1 {
			o.rep = 1
		}
	}
	return o, nil
}
