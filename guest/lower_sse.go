package guest

import (
	"golang.org/x/arch/x86/x86asm"
)

// Lowering of the SSE2 integer and data-movement subset (see
// interp_sse.go). Packed-single/double arithmetic is not implemented.

// SIMD sub-operations (op.cond of opSimd and opSimdImm).
const (
	simdXor uint8 = iota
	simdOr
	simdAnd
	simdAndn
	simdCmpeqB
	simdCmpeqW
	simdCmpeqD
	simdCmpgtB
	simdCmpgtW
	simdCmpgtD
	simdAddB
	simdAddW
	simdAddD
	simdAddQ
	simdSubB
	simdSubW
	simdSubD
	simdSubQ
	simdMinUB
	simdMaxUB
	simdUnpckLBW
	simdUnpckLWD
	simdUnpckLDQ
	simdUnpckLQDQ
	simdUnpckHBW
	simdUnpckHWD
	simdUnpckHDQ
	simdUnpckHQDQ
	simdSrlW
	simdSrlD
	simdSrlQ
	simdSllW
	simdSllD
	simdSllQ
	simdSraW
	simdSraD
	simdSrlDQ // byte shifts: immediate forms only
	simdSllDQ
)

var simdOps = map[x86asm.Op]uint8{
	x86asm.PXOR: simdXor, x86asm.XORPS: simdXor, x86asm.XORPD: simdXor,
	x86asm.POR: simdOr, x86asm.ORPS: simdOr, x86asm.ORPD: simdOr,
	x86asm.PAND: simdAnd, x86asm.ANDPS: simdAnd, x86asm.ANDPD: simdAnd,
	x86asm.PANDN: simdAndn, x86asm.ANDNPS: simdAndn, x86asm.ANDNPD: simdAndn,
	x86asm.PCMPEQB: simdCmpeqB, x86asm.PCMPEQW: simdCmpeqW, x86asm.PCMPEQD: simdCmpeqD,
	x86asm.PCMPGTB: simdCmpgtB, x86asm.PCMPGTW: simdCmpgtW, x86asm.PCMPGTD: simdCmpgtD,
	x86asm.PADDB: simdAddB, x86asm.PADDW: simdAddW, x86asm.PADDD: simdAddD, x86asm.PADDQ: simdAddQ,
	x86asm.PSUBB: simdSubB, x86asm.PSUBW: simdSubW, x86asm.PSUBD: simdSubD, x86asm.PSUBQ: simdSubQ,
	x86asm.PMINUB: simdMinUB, x86asm.PMAXUB: simdMaxUB,
	x86asm.PUNPCKLBW: simdUnpckLBW, x86asm.PUNPCKLWD: simdUnpckLWD, x86asm.PUNPCKLDQ: simdUnpckLDQ,
	x86asm.PUNPCKLQDQ: simdUnpckLQDQ, x86asm.PUNPCKHBW: simdUnpckHBW, x86asm.PUNPCKHWD: simdUnpckHWD,
	x86asm.PUNPCKHDQ: simdUnpckHDQ, x86asm.PUNPCKHQDQ: simdUnpckHQDQ,
	x86asm.PSRLW: simdSrlW, x86asm.PSRLD: simdSrlD, x86asm.PSRLQ: simdSrlQ,
	x86asm.PSLLW: simdSllW, x86asm.PSLLD: simdSllD, x86asm.PSLLQ: simdSllQ,
	x86asm.PSRAW: simdSraW, x86asm.PSRAD: simdSraD,
	x86asm.PSRLDQ: simdSrlDQ, x86asm.PSLLDQ: simdSllDQ,
}

// Scalar floating-point sub-operations (op.cond of opSseArith).
const (
	fpAdd uint8 = iota
	fpSub
	fpMul
	fpDiv
	fpMin
	fpMax
	fpSqrt
)

// scalarOps maps scalar float instructions to (sub-op, size).
var scalarOps = map[x86asm.Op][2]uint8{
	x86asm.ADDSS: {fpAdd, 4}, x86asm.ADDSD: {fpAdd, 8}, x86asm.SUBSS: {fpSub, 4}, x86asm.SUBSD: {fpSub, 8},
	x86asm.MULSS: {fpMul, 4}, x86asm.MULSD: {fpMul, 8}, x86asm.DIVSS: {fpDiv, 4}, x86asm.DIVSD: {fpDiv, 8},
	x86asm.MINSS: {fpMin, 4}, x86asm.MINSD: {fpMin, 8}, x86asm.MAXSS: {fpMax, 4}, x86asm.MAXSD: {fpMax, 8},
	x86asm.SQRTSS: {fpSqrt, 4}, x86asm.SQRTSD: {fpSqrt, 8},
}

// packedOps maps packed float instructions to (sub-op, lane size).
var packedOps = map[x86asm.Op][2]uint8{
	x86asm.ADDPS: {fpAdd, 4}, x86asm.ADDPD: {fpAdd, 8}, x86asm.SUBPS: {fpSub, 4}, x86asm.SUBPD: {fpSub, 8},
	x86asm.MULPS: {fpMul, 4}, x86asm.MULPD: {fpMul, 8}, x86asm.DIVPS: {fpDiv, 4}, x86asm.DIVPD: {fpDiv, 8},
	x86asm.MINPS: {fpMin, 4}, x86asm.MINPD: {fpMin, 8}, x86asm.MAXPS: {fpMax, 4}, x86asm.MAXPD: {fpMax, 8},
	x86asm.SQRTPS: {fpSqrt, 4}, x86asm.SQRTPD: {fpSqrt, 8},
}

// isSSE reports whether inst is one of the SSE instructions lowerSSE
// handles.
func isSSE(op x86asm.Op) bool {
	if _, ok := packedOps[op]; ok {
		return true
	}
	switch op {
	case x86asm.UNPCKLPS, x86asm.UNPCKHPS, x86asm.UNPCKLPD, x86asm.UNPCKHPD, x86asm.MOVMSKPS, x86asm.MOVMSKPD,
		x86asm.SHUFPS, x86asm.SHUFPD, x86asm.MOVHLPS, x86asm.MOVLHPS, x86asm.CMPPS, x86asm.CMPPD, x86asm.CMPSS,
		x86asm.CMPSD_XMM:
		return true
	}
	if _, ok := simdOps[op]; ok {
		return true
	}
	if _, ok := scalarOps[op]; ok {
		return true
	}
	switch op {
	case x86asm.MOVSS, x86asm.MOVSD_XMM, x86asm.UCOMISS, x86asm.UCOMISD, x86asm.COMISS, x86asm.COMISD,
		x86asm.CVTSI2SS, x86asm.CVTSI2SD, x86asm.CVTSS2SI, x86asm.CVTSD2SI, x86asm.CVTTSS2SI, x86asm.CVTTSD2SI,
		x86asm.CVTSS2SD, x86asm.CVTSD2SS:
		return true
	}
	switch op {
	case x86asm.MOVDQA, x86asm.MOVDQU, x86asm.MOVAPS, x86asm.MOVUPS, x86asm.MOVAPD, x86asm.MOVUPD,
		x86asm.MOVNTDQ, x86asm.MOVNTPS, x86asm.MOVNTPD, x86asm.LDDQU,
		x86asm.MOVQ, x86asm.MOVD, x86asm.MOVHPS, x86asm.MOVLPS, x86asm.MOVHPD, x86asm.MOVLPD,
		x86asm.PMOVMSKB, x86asm.PSHUFD, x86asm.STMXCSR, x86asm.LDMXCSR, x86asm.MOVNTI:
		return true
	}
	return false
}

// xmmArg converts argument i allowing XMM registers.
func (l *lowerer) xmmArg(i int) (arg, uint8, error) {
	if r, ok := l.inst.Args[i].(x86asm.Reg); ok {
		if r >= x86asm.X0 && r <= x86asm.X15 {
			return arg{kind: argXmm, reg: uint8(r - x86asm.X0)}, 16, nil
		}
		if r >= x86asm.M0 && r <= x86asm.M7 {
			return arg{}, 0, unsupported(l.inst) // MMX
		}
	}
	return l.arg(i)
}

// lowerSSE lowers the SSE subset.
func (l *lowerer) lowerSSE(o op) (op, error) {
	inst := l.inst
	var err error
	var dsz, ssz uint8
	if o.dst, dsz, err = l.xmmArg(0); err != nil {
		return o, err
	}
	if o.src, ssz, err = l.xmmArg(1); err != nil {
		return o, err
	}
	if sub, ok := simdOps[inst.Op]; ok {
		o.code, o.cond, o.size = opSimd, sub, 16
		if o.dst.kind != argXmm {
			return o, unsupported(inst)
		}
		if o.src.kind == argImm {
			o.code, o.imm = opSimdImm, o.src.disp&0xff
		} else if sub == simdSrlDQ || sub == simdSllDQ {
			return o, unsupported(inst)
		}
		o.rep = 1 // legacy-SSE packed memory operands must be 16-byte aligned
		return o, nil
	}
	if po, ok := packedOps[inst.Op]; ok {
		o.code, o.cond, o.ssize, o.size, o.rep = opPackedFP, po[0], po[1], 16, 1
		if o.dst.kind != argXmm {
			return o, unsupported(inst)
		}
		return o, nil
	}
	switch inst.Op {
	case x86asm.UNPCKLPS, x86asm.UNPCKHPS, x86asm.UNPCKLPD, x86asm.UNPCKHPD:
		sub := map[x86asm.Op]uint8{x86asm.UNPCKLPS: simdUnpckLDQ, x86asm.UNPCKHPS: simdUnpckHDQ,
			x86asm.UNPCKLPD: simdUnpckLQDQ, x86asm.UNPCKHPD: simdUnpckHQDQ}[inst.Op]
		o.code, o.cond, o.size, o.rep = opSimd, sub, 16, 1
		return o, nil
	case x86asm.MOVMSKPS, x86asm.MOVMSKPD:
		o.code, o.ssize, o.size = opMovmskF, 4, dsz
		if inst.Op == x86asm.MOVMSKPD {
			o.ssize = 8
		}
		if o.dst.kind != argReg || o.src.kind != argXmm {
			return o, unsupported(inst)
		}
		return o, nil
	case x86asm.SHUFPS, x86asm.SHUFPD, x86asm.CMPPS, x86asm.CMPPD, x86asm.CMPSS, x86asm.CMPSD_XMM:
		third, _, err := l.arg(2)
		if err != nil || third.kind != argImm {
			return o, unsupported(inst)
		}
		o.imm, o.size, o.rep = third.disp&0xff, 16, 1
		o.code, o.ssize = opShufF, 4
		switch inst.Op {
		case x86asm.SHUFPD:
			o.ssize = 8
		case x86asm.CMPPS, x86asm.CMPPD, x86asm.CMPSS, x86asm.CMPSD_XMM:
			o.code, o.imm = opPackedCmp, o.imm&7
			if inst.Op == x86asm.CMPPD || inst.Op == x86asm.CMPSD_XMM {
				o.ssize = 8
			}
			if inst.Op == x86asm.CMPSS || inst.Op == x86asm.CMPSD_XMM {
				o.cond, o.rep = 1, 0 // scalar: one lane, unaligned memory
			}
		}
		return o, nil
	case x86asm.MOVHLPS, x86asm.MOVLHPS:
		o.code = opMovHLF
		if inst.Op == x86asm.MOVLHPS {
			o.cond = 1
		}
		if o.dst.kind != argXmm || o.src.kind != argXmm {
			return o, unsupported(inst)
		}
		return o, nil
	}
	if so, ok := scalarOps[inst.Op]; ok {
		o.code, o.cond, o.size = opSseArith, so[0], so[1]
		if o.dst.kind != argXmm {
			return o, unsupported(inst)
		}
		return o, nil
	}
	switch inst.Op {
	case x86asm.MOVSS, x86asm.MOVSD_XMM:
		o.code, o.size = opSseScalarMov, 8
		if inst.Op == x86asm.MOVSS {
			o.size = 4
		}
		return o, nil
	case x86asm.UCOMISS, x86asm.UCOMISD, x86asm.COMISS, x86asm.COMISD:
		o.code, o.size = opSseComi, 8
		if inst.Op == x86asm.UCOMISS || inst.Op == x86asm.COMISS {
			o.size = 4
		}
		return o, nil
	case x86asm.CVTSI2SS, x86asm.CVTSI2SD:
		o.code, o.size, o.ssize = opCvtI2F, 8, ssz
		if inst.Op == x86asm.CVTSI2SS {
			o.size = 4
		}
		if o.ssize == 0 {
			o.ssize = uint8(inst.MemBytes)
		}
		if o.ssize != 4 && o.ssize != 8 {
			return o, unsupported(inst)
		}
		return o, nil
	case x86asm.CVTSS2SI, x86asm.CVTSD2SI, x86asm.CVTTSS2SI, x86asm.CVTTSD2SI:
		o.code, o.size, o.ssize = opCvtF2I, dsz, 8
		if inst.Op == x86asm.CVTSS2SI || inst.Op == x86asm.CVTTSS2SI {
			o.ssize = 4
		}
		if inst.Op == x86asm.CVTTSS2SI || inst.Op == x86asm.CVTTSD2SI {
			o.cond = 1
		}
		if o.dst.kind != argReg || (o.size != 4 && o.size != 8) {
			return o, unsupported(inst)
		}
		return o, nil
	case x86asm.CVTSS2SD, x86asm.CVTSD2SS:
		o.code, o.size, o.ssize = opCvtF2F, 8, 4
		if inst.Op == x86asm.CVTSD2SS {
			o.size, o.ssize = 4, 8
		}
		return o, nil
	}
	switch inst.Op {
	case x86asm.MOVDQA, x86asm.MOVAPS, x86asm.MOVAPD, x86asm.MOVNTDQ, x86asm.MOVNTPS, x86asm.MOVNTPD:
		o.code, o.size, o.rep = opSseMov, 16, 1
	case x86asm.MOVDQU, x86asm.MOVUPS, x86asm.MOVUPD, x86asm.LDDQU:
		o.code, o.size = opSseMov, 16
	case x86asm.MOVQ, x86asm.MOVD:
		o.code, o.size = opSseMovQ, 8
		if inst.Op == x86asm.MOVD {
			o.size = 4
		}
		if o.dst.kind != argXmm && o.src.kind != argXmm {
			return o, unsupported(inst)
		}
	case x86asm.MOVLPS, x86asm.MOVLPD, x86asm.MOVHPS, x86asm.MOVHPD:
		o.code, o.size = opSseHalf, 8
		if inst.Op == x86asm.MOVHPS || inst.Op == x86asm.MOVHPD {
			o.cond = 1
		}
		if (o.dst.kind == argXmm) == (o.src.kind == argXmm) {
			return o, unsupported(inst) // movhlps/movlhps forms
		}
	case x86asm.PMOVMSKB:
		o.code, o.size = opPmovmskb, dsz
		if o.dst.kind != argReg || o.src.kind != argXmm {
			return o, unsupported(inst)
		}
	case x86asm.PSHUFD:
		o.code, o.size, o.rep = opPshufd, 16, 1
		third, _, err := l.arg(2)
		if err != nil || third.kind != argImm {
			return o, unsupported(inst)
		}
		o.imm = third.disp & 0xff
	case x86asm.STMXCSR, x86asm.LDMXCSR:
		o.code, o.size = opStmxcsr, 4
		if inst.Op == x86asm.LDMXCSR {
			o.code = opLdmxcsr
		}
	case x86asm.MOVNTI:
		o.code, o.size = opMov, l.opSize(ssz)
	default:
		return o, unsupported(inst)
	}
	return o, nil
}
