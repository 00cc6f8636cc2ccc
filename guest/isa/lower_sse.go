package isa

import (
	"golang.org/x/arch/x86/x86asm"
)

// Lowering of the SSE2 integer and data-movement subset (see
// interp_sse.go). Packed-single/double arithmetic is not implemented.

// SIMD sub-operations (op.Cond of OpSimd and OpSimdImm).
const (
	SimdXor uint8 = iota
	SimdOr
	SimdAnd
	SimdAndn
	SimdCmpeqB
	SimdCmpeqW
	SimdCmpeqD
	SimdCmpgtB
	SimdCmpgtW
	SimdCmpgtD
	SimdAddB
	SimdAddW
	SimdAddD
	SimdAddQ
	SimdSubB
	SimdSubW
	SimdSubD
	SimdSubQ
	SimdMinUB
	SimdMaxUB
	SimdUnpckLBW
	SimdUnpckLWD
	SimdUnpckLDQ
	SimdUnpckLQDQ
	SimdUnpckHBW
	SimdUnpckHWD
	SimdUnpckHDQ
	SimdUnpckHQDQ
	SimdSrlW
	SimdSrlD
	SimdSrlQ
	SimdSllW
	SimdSllD
	SimdSllQ
	SimdSraW
	SimdSraD
	SimdSrlDQ // byte shifts: immediate forms only
	SimdSllDQ
)

var simdOps = map[x86asm.Op]uint8{
	x86asm.PXOR: SimdXor, x86asm.XORPS: SimdXor, x86asm.XORPD: SimdXor,
	x86asm.POR: SimdOr, x86asm.ORPS: SimdOr, x86asm.ORPD: SimdOr,
	x86asm.PAND: SimdAnd, x86asm.ANDPS: SimdAnd, x86asm.ANDPD: SimdAnd,
	x86asm.PANDN: SimdAndn, x86asm.ANDNPS: SimdAndn, x86asm.ANDNPD: SimdAndn,
	x86asm.PCMPEQB: SimdCmpeqB, x86asm.PCMPEQW: SimdCmpeqW, x86asm.PCMPEQD: SimdCmpeqD,
	x86asm.PCMPGTB: SimdCmpgtB, x86asm.PCMPGTW: SimdCmpgtW, x86asm.PCMPGTD: SimdCmpgtD,
	x86asm.PADDB: SimdAddB, x86asm.PADDW: SimdAddW, x86asm.PADDD: SimdAddD, x86asm.PADDQ: SimdAddQ,
	x86asm.PSUBB: SimdSubB, x86asm.PSUBW: SimdSubW, x86asm.PSUBD: SimdSubD, x86asm.PSUBQ: SimdSubQ,
	x86asm.PMINUB: SimdMinUB, x86asm.PMAXUB: SimdMaxUB,
	x86asm.PUNPCKLBW: SimdUnpckLBW, x86asm.PUNPCKLWD: SimdUnpckLWD, x86asm.PUNPCKLDQ: SimdUnpckLDQ,
	x86asm.PUNPCKLQDQ: SimdUnpckLQDQ, x86asm.PUNPCKHBW: SimdUnpckHBW, x86asm.PUNPCKHWD: SimdUnpckHWD,
	x86asm.PUNPCKHDQ: SimdUnpckHDQ, x86asm.PUNPCKHQDQ: SimdUnpckHQDQ,
	x86asm.PSRLW: SimdSrlW, x86asm.PSRLD: SimdSrlD, x86asm.PSRLQ: SimdSrlQ,
	x86asm.PSLLW: SimdSllW, x86asm.PSLLD: SimdSllD, x86asm.PSLLQ: SimdSllQ,
	x86asm.PSRAW: SimdSraW, x86asm.PSRAD: SimdSraD,
	x86asm.PSRLDQ: SimdSrlDQ, x86asm.PSLLDQ: SimdSllDQ,
}

// Scalar floating-point sub-operations (op.Cond of OpSseArith).
const (
	FPAdd uint8 = iota
	FPSub
	FPMul
	FPDiv
	FPMin
	FPMax
	FPSqrt
)

// scalarOps maps scalar float instructions to (sub-op, size).
var scalarOps = map[x86asm.Op][2]uint8{
	x86asm.ADDSS: {FPAdd, 4}, x86asm.ADDSD: {FPAdd, 8}, x86asm.SUBSS: {FPSub, 4}, x86asm.SUBSD: {FPSub, 8},
	x86asm.MULSS: {FPMul, 4}, x86asm.MULSD: {FPMul, 8}, x86asm.DIVSS: {FPDiv, 4}, x86asm.DIVSD: {FPDiv, 8},
	x86asm.MINSS: {FPMin, 4}, x86asm.MINSD: {FPMin, 8}, x86asm.MAXSS: {FPMax, 4}, x86asm.MAXSD: {FPMax, 8},
	x86asm.SQRTSS: {FPSqrt, 4}, x86asm.SQRTSD: {FPSqrt, 8},
}

// packedOps maps packed float instructions to (sub-op, lane size).
var packedOps = map[x86asm.Op][2]uint8{
	x86asm.ADDPS: {FPAdd, 4}, x86asm.ADDPD: {FPAdd, 8}, x86asm.SUBPS: {FPSub, 4}, x86asm.SUBPD: {FPSub, 8},
	x86asm.MULPS: {FPMul, 4}, x86asm.MULPD: {FPMul, 8}, x86asm.DIVPS: {FPDiv, 4}, x86asm.DIVPD: {FPDiv, 8},
	x86asm.MINPS: {FPMin, 4}, x86asm.MINPD: {FPMin, 8}, x86asm.MAXPS: {FPMax, 4}, x86asm.MAXPD: {FPMax, 8},
	x86asm.SQRTPS: {FPSqrt, 4}, x86asm.SQRTPD: {FPSqrt, 8},
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
func (l *lowerer) xmmArg(i int) (Arg, uint8, error) {
	if r, ok := l.inst.Args[i].(x86asm.Reg); ok {
		if r >= x86asm.X0 && r <= x86asm.X15 {
			return Arg{Kind: ArgXmm, Reg: uint8(r - x86asm.X0)}, 16, nil
		}
		if r >= x86asm.M0 && r <= x86asm.M7 {
			return Arg{}, 0, unsupported(l.inst) // MMX
		}
	}
	return l.arg(i)
}

// lowerSSE lowers the SSE subset.
func (l *lowerer) lowerSSE(o Op) (Op, error) {
	inst := l.inst
	var err error
	var dsz, ssz uint8
	if o.Dst, dsz, err = l.xmmArg(0); err != nil {
		return o, err
	}
	if o.Src, ssz, err = l.xmmArg(1); err != nil {
		return o, err
	}
	if sub, ok := simdOps[inst.Op]; ok {
		o.Code, o.Cond, o.Size = OpSimd, sub, 16
		if o.Dst.Kind != ArgXmm {
			return o, unsupported(inst)
		}
		if o.Src.Kind == ArgImm {
			o.Code, o.Imm = OpSimdImm, o.Src.Disp&0xff
		} else if sub == SimdSrlDQ || sub == SimdSllDQ {
			return o, unsupported(inst)
		}
		o.Rep = 1 // legacy-SSE packed memory operands must be 16-byte aligned
		return o, nil
	}
	if po, ok := packedOps[inst.Op]; ok {
		o.Code, o.Cond, o.SSize, o.Size, o.Rep = OpPackedFP, po[0], po[1], 16, 1
		if o.Dst.Kind != ArgXmm {
			return o, unsupported(inst)
		}
		return o, nil
	}
	switch inst.Op {
	case x86asm.UNPCKLPS, x86asm.UNPCKHPS, x86asm.UNPCKLPD, x86asm.UNPCKHPD:
		sub := map[x86asm.Op]uint8{x86asm.UNPCKLPS: SimdUnpckLDQ, x86asm.UNPCKHPS: SimdUnpckHDQ,
			x86asm.UNPCKLPD: SimdUnpckLQDQ, x86asm.UNPCKHPD: SimdUnpckHQDQ}[inst.Op]
		o.Code, o.Cond, o.Size, o.Rep = OpSimd, sub, 16, 1
		return o, nil
	case x86asm.MOVMSKPS, x86asm.MOVMSKPD:
		o.Code, o.SSize, o.Size = OpMovmskF, 4, dsz
		if inst.Op == x86asm.MOVMSKPD {
			o.SSize = 8
		}
		if o.Dst.Kind != ArgReg || o.Src.Kind != ArgXmm {
			return o, unsupported(inst)
		}
		return o, nil
	case x86asm.SHUFPS, x86asm.SHUFPD, x86asm.CMPPS, x86asm.CMPPD, x86asm.CMPSS, x86asm.CMPSD_XMM:
		third, _, err := l.arg(2)
		if err != nil || third.Kind != ArgImm {
			return o, unsupported(inst)
		}
		o.Imm, o.Size, o.Rep = third.Disp&0xff, 16, 1
		o.Code, o.SSize = OpShufF, 4
		switch inst.Op {
		case x86asm.SHUFPD:
			o.SSize = 8
		case x86asm.CMPPS, x86asm.CMPPD, x86asm.CMPSS, x86asm.CMPSD_XMM:
			o.Code, o.Imm = OpPackedCmp, o.Imm&7
			if inst.Op == x86asm.CMPPD || inst.Op == x86asm.CMPSD_XMM {
				o.SSize = 8
			}
			if inst.Op == x86asm.CMPSS || inst.Op == x86asm.CMPSD_XMM {
				o.Cond, o.Rep = 1, 0 // scalar: one lane, unaligned memory
			}
		}
		return o, nil
	case x86asm.MOVHLPS, x86asm.MOVLHPS:
		o.Code = OpMovHLF
		if inst.Op == x86asm.MOVLHPS {
			o.Cond = 1
		}
		if o.Dst.Kind != ArgXmm || o.Src.Kind != ArgXmm {
			return o, unsupported(inst)
		}
		return o, nil
	}
	if so, ok := scalarOps[inst.Op]; ok {
		o.Code, o.Cond, o.Size = OpSseArith, so[0], so[1]
		if o.Dst.Kind != ArgXmm {
			return o, unsupported(inst)
		}
		return o, nil
	}
	switch inst.Op {
	case x86asm.MOVSS, x86asm.MOVSD_XMM:
		o.Code, o.Size = OpSseScalarMov, 8
		if inst.Op == x86asm.MOVSS {
			o.Size = 4
		}
		return o, nil
	case x86asm.UCOMISS, x86asm.UCOMISD, x86asm.COMISS, x86asm.COMISD:
		o.Code, o.Size = OpSseComi, 8
		if inst.Op == x86asm.UCOMISS || inst.Op == x86asm.COMISS {
			o.Size = 4
		}
		return o, nil
	case x86asm.CVTSI2SS, x86asm.CVTSI2SD:
		o.Code, o.Size, o.SSize = OpCvtI2F, 8, ssz
		if inst.Op == x86asm.CVTSI2SS {
			o.Size = 4
		}
		if o.SSize == 0 {
			o.SSize = uint8(inst.MemBytes)
		}
		if o.SSize != 4 && o.SSize != 8 {
			return o, unsupported(inst)
		}
		return o, nil
	case x86asm.CVTSS2SI, x86asm.CVTSD2SI, x86asm.CVTTSS2SI, x86asm.CVTTSD2SI:
		o.Code, o.Size, o.SSize = OpCvtF2I, dsz, 8
		if inst.Op == x86asm.CVTSS2SI || inst.Op == x86asm.CVTTSS2SI {
			o.SSize = 4
		}
		if inst.Op == x86asm.CVTTSS2SI || inst.Op == x86asm.CVTTSD2SI {
			o.Cond = 1
		}
		if o.Dst.Kind != ArgReg || (o.Size != 4 && o.Size != 8) {
			return o, unsupported(inst)
		}
		return o, nil
	case x86asm.CVTSS2SD, x86asm.CVTSD2SS:
		o.Code, o.Size, o.SSize = OpCvtF2F, 8, 4
		if inst.Op == x86asm.CVTSD2SS {
			o.Size, o.SSize = 4, 8
		}
		return o, nil
	}
	switch inst.Op {
	case x86asm.MOVDQA, x86asm.MOVAPS, x86asm.MOVAPD, x86asm.MOVNTDQ, x86asm.MOVNTPS, x86asm.MOVNTPD:
		o.Code, o.Size, o.Rep = OpSseMov, 16, 1
	case x86asm.MOVDQU, x86asm.MOVUPS, x86asm.MOVUPD, x86asm.LDDQU:
		o.Code, o.Size = OpSseMov, 16
	case x86asm.MOVQ, x86asm.MOVD:
		o.Code, o.Size = OpSseMovQ, 8
		if inst.Op == x86asm.MOVD {
			o.Size = 4
		}
		if o.Dst.Kind != ArgXmm && o.Src.Kind != ArgXmm {
			return o, unsupported(inst)
		}
	case x86asm.MOVLPS, x86asm.MOVLPD, x86asm.MOVHPS, x86asm.MOVHPD:
		o.Code, o.Size = OpSseHalf, 8
		if inst.Op == x86asm.MOVHPS || inst.Op == x86asm.MOVHPD {
			o.Cond = 1
		}
		if (o.Dst.Kind == ArgXmm) == (o.Src.Kind == ArgXmm) {
			return o, unsupported(inst) // movhlps/movlhps forms
		}
	case x86asm.PMOVMSKB:
		o.Code, o.Size = OpPmovmskb, dsz
		if o.Dst.Kind != ArgReg || o.Src.Kind != ArgXmm {
			return o, unsupported(inst)
		}
	case x86asm.PSHUFD:
		o.Code, o.Size, o.Rep = OpPshufd, 16, 1
		third, _, err := l.arg(2)
		if err != nil || third.Kind != ArgImm {
			return o, unsupported(inst)
		}
		o.Imm = third.Disp & 0xff
	case x86asm.STMXCSR, x86asm.LDMXCSR:
		o.Code, o.Size = OpStmxcsr, 4
		if inst.Op == x86asm.LDMXCSR {
			o.Code = OpLdmxcsr
		}
	case x86asm.MOVNTI:
		o.Code, o.Size = OpMov, l.opSize(ssz)
	default:
		return o, unsupported(inst)
	}
	return o, nil
}
