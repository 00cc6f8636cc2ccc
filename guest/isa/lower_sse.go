package isa

import (
	"golang.org/x/arch/x86/x86asm"
)

// Lowering of the SSE subset: the SSE2 integer and data-movement
// instructions, scalar and packed single and double floating point, and
// their moves and conversions (the engines' semantics say which).

// SIMD sub-operations (Op.Cond of OpSimd and OpSimdImm).
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

func initSSE() {
	simd := func(sub uint8, ops ...x86asm.Op) {
		set(lowering{fn: lowerSimd, code: OpSimd, sub: sub, fam: famSSE}, ops...)
	}
	simd(SimdXor, x86asm.PXOR, x86asm.XORPS, x86asm.XORPD)
	simd(SimdOr, x86asm.POR, x86asm.ORPS, x86asm.ORPD)
	simd(SimdAnd, x86asm.PAND, x86asm.ANDPS, x86asm.ANDPD)
	simd(SimdAndn, x86asm.PANDN, x86asm.ANDNPS, x86asm.ANDNPD)
	simd(SimdCmpeqB, x86asm.PCMPEQB)
	simd(SimdCmpeqW, x86asm.PCMPEQW)
	simd(SimdCmpeqD, x86asm.PCMPEQD)
	simd(SimdCmpgtB, x86asm.PCMPGTB)
	simd(SimdCmpgtW, x86asm.PCMPGTW)
	simd(SimdCmpgtD, x86asm.PCMPGTD)
	simd(SimdAddB, x86asm.PADDB)
	simd(SimdAddW, x86asm.PADDW)
	simd(SimdAddD, x86asm.PADDD)
	simd(SimdAddQ, x86asm.PADDQ)
	simd(SimdSubB, x86asm.PSUBB)
	simd(SimdSubW, x86asm.PSUBW)
	simd(SimdSubD, x86asm.PSUBD)
	simd(SimdSubQ, x86asm.PSUBQ)
	simd(SimdMinUB, x86asm.PMINUB)
	simd(SimdMaxUB, x86asm.PMAXUB)
	simd(SimdUnpckLBW, x86asm.PUNPCKLBW)
	simd(SimdUnpckLWD, x86asm.PUNPCKLWD)
	simd(SimdUnpckLDQ, x86asm.PUNPCKLDQ)
	simd(SimdUnpckLQDQ, x86asm.PUNPCKLQDQ)
	simd(SimdUnpckHBW, x86asm.PUNPCKHBW)
	simd(SimdUnpckHWD, x86asm.PUNPCKHWD)
	simd(SimdUnpckHDQ, x86asm.PUNPCKHDQ)
	simd(SimdUnpckHQDQ, x86asm.PUNPCKHQDQ)
	simd(SimdSrlW, x86asm.PSRLW)
	simd(SimdSrlD, x86asm.PSRLD)
	simd(SimdSrlQ, x86asm.PSRLQ)
	simd(SimdSllW, x86asm.PSLLW)
	simd(SimdSllD, x86asm.PSLLD)
	simd(SimdSllQ, x86asm.PSLLQ)
	simd(SimdSraW, x86asm.PSRAW)
	simd(SimdSraD, x86asm.PSRAD)
	simd(SimdSrlDQ, x86asm.PSRLDQ)
	simd(SimdSllDQ, x86asm.PSLLDQ)
	// The float unpacks are the integer ones of the lane width.
	unpck := func(sub uint8, op x86asm.Op) { set(lowering{fn: lowerUnpckF, code: OpSimd, sub: sub, fam: famSSE}, op) }
	unpck(SimdUnpckLDQ, x86asm.UNPCKLPS)
	unpck(SimdUnpckHDQ, x86asm.UNPCKHPS)
	unpck(SimdUnpckLQDQ, x86asm.UNPCKLPD)
	unpck(SimdUnpckHQDQ, x86asm.UNPCKHPD)
	// The floating-point arithmetic, compares and conversions are OpVec
	// (lower_vec.go).
	sse := func(fn func(*lowerer, *Op, *lowering) error, code Opcode, size, aux uint8, ops ...x86asm.Op) {
		set(lowering{fn: fn, code: code, size: size, aux: aux, fam: famSSE}, ops...)
	}
	sse(lowerMovmskF, OpMovmskF, 4, 0, x86asm.MOVMSKPS)
	sse(lowerMovmskF, OpMovmskF, 8, 0, x86asm.MOVMSKPD)
	sse(lowerShufCmp, OpShufF, 4, 0, x86asm.SHUFPS)
	sse(lowerShufCmp, OpShufF, 8, 0, x86asm.SHUFPD)
	set(lowering{fn: lowerMovHLF, code: OpMovHLF, sub: 0, fam: famSSE}, x86asm.MOVHLPS)
	set(lowering{fn: lowerMovHLF, code: OpMovHLF, sub: 1, fam: famSSE}, x86asm.MOVLHPS)
	sse(lowerScalarMov, OpSseScalarMov, 4, 0, x86asm.MOVSS)
	sse(lowerScalarMov, OpSseScalarMov, 8, 0, x86asm.MOVSD_XMM)
	sse(lowerSseMov, OpSseMov, 16, 1, x86asm.MOVDQA, x86asm.MOVAPS, x86asm.MOVAPD, x86asm.MOVNTDQ, x86asm.MOVNTPS, x86asm.MOVNTPD) // aux 1: aligned
	sse(lowerSseMov, OpSseMov, 16, 0, x86asm.MOVDQU, x86asm.MOVUPS, x86asm.MOVUPD, x86asm.LDDQU)
	sse(lowerMovQ, OpSseMovQ, 8, 0, x86asm.MOVQ)
	sse(lowerMovQ, OpSseMovQ, 4, 0, x86asm.MOVD)
	set(lowering{fn: lowerHalf, code: OpSseHalf, sub: 0, fam: famSSE}, x86asm.MOVLPS, x86asm.MOVLPD)
	set(lowering{fn: lowerHalf, code: OpSseHalf, sub: 1, fam: famSSE}, x86asm.MOVHPS, x86asm.MOVHPD)
	sse(lowerPmovmskb, OpPmovmskb, 0, 0, x86asm.PMOVMSKB)
	sse(lowerPshufd, OpPshufd, 16, 0, x86asm.PSHUFD)
	sse(lowerMxcsr, OpStmxcsr, 4, 0, x86asm.STMXCSR)
	sse(lowerMxcsr, OpLdmxcsr, 4, 0, x86asm.LDMXCSR)
	set(lowering{fn: lowerMovnti, code: OpMov}, x86asm.MOVNTI)
}

// vecArg converts argument i allowing XMM registers (KindVec); MMX
// registers are not supported.
func (l *lowerer) vecArg(o *Op, i int) (Arg, uint8, error) {
	if r, ok := l.inst.Args[i].(x86asm.Reg); ok {
		if r >= x86asm.X0 && r <= x86asm.X15 {
			return Arg{Kind: KindVec, Reg: uint8(r - x86asm.X0)}, 16, nil
		}
		if r >= x86asm.M0 && r <= x86asm.M7 {
			return Arg{}, 0, unsupported(l.inst) // MMX
		}
	}
	return l.arg(o, i)
}

// vecArgs converts the first two arguments with vecArg.
func (l *lowerer) vecArgs(o *Op) (dsz, ssz uint8, err error) {
	if o.Dst, dsz, err = l.vecArg(o, 0); err != nil {
		return 0, 0, err
	}
	o.Src, ssz, err = l.vecArg(o, 1)
	return dsz, ssz, err
}

// imm8 converts the third argument, an imm8 (the shuffle or predicate).
func (l *lowerer) imm8(o *Op) error {
	third, _, err := l.arg(o, 2)
	if err != nil || third.Kind != KindImm {
		return unsupported(l.inst)
	}
	o.Src2 = third
	o.Imm &= 0xff
	return nil
}

// lowerSimd: packed integer and bitwise ops, xmm, xmm/m128 or (shifts)
// xmm, imm8 (OpSimdImm).
func lowerSimd(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Cond, o.Size = OpSimd, e.sub, 16
	if o.Dst.Kind != KindVec {
		return unsupported(l.inst)
	}
	if o.Src.Kind == KindImm {
		o.Code = OpSimdImm
		o.Imm &= 0xff
	} else if e.sub == SimdSrlDQ || e.sub == SimdSllDQ {
		return unsupported(l.inst)
	}
	o.Flags |= FlagAligned // legacy-SSE packed memory operands must be 16-byte aligned
	return nil
}

// lowerUnpckF: unpcklps/pd, unpckhps/pd as the integer unpacks.
func lowerUnpckF(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Cond, o.Size = OpSimd, e.sub, 16
	o.Flags |= FlagAligned
	return nil
}

// lowerMovmskF: movmskps/pd r, xmm; SSize is the lane width.
func lowerMovmskF(l *lowerer, o *Op, e *lowering) error {
	dsz, _, err := l.vecArgs(o)
	if err != nil {
		return err
	}
	o.Code, o.SSize, o.Size = OpMovmskF, e.size, dsz
	if o.Dst.Kind != KindReg || o.Src.Kind != KindVec {
		return unsupported(l.inst)
	}
	return nil
}

// lowerShufCmp: shufps/pd and cmpps/pd/ss/sd with their imm8; SSize is
// the lane width, Cond 1 the scalar compares.
func lowerShufCmp(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	if err := l.imm8(o); err != nil {
		return err
	}
	o.Code, o.SSize, o.Size = e.code, e.size, 16
	o.Flags |= FlagAligned
	return nil
}

// lowerMovHLF: movhlps (Cond 0), movlhps (Cond 1).
func lowerMovHLF(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Cond = OpMovHLF, e.sub
	if o.Dst.Kind != KindVec || o.Src.Kind != KindVec {
		return unsupported(l.inst)
	}
	return nil
}

// lowerScalarMov: movss/movsd (OpSseScalarMov) and the compares that set
// EFLAGS, of size 4 or 8.
func lowerScalarMov(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Size = e.code, e.size
	return nil
}

// lowerSseMov: the 128-bit moves; aux 1 requires alignment.
func lowerSseMov(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Size = OpSseMov, 16
	if e.aux == 1 {
		o.Flags |= FlagAligned
	}
	return nil
}

// lowerMovQ: movq (size 8) and movd (size 4) with an XMM register on one
// side.
func lowerMovQ(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Size = OpSseMovQ, e.size
	if o.Dst.Kind != KindVec && o.Src.Kind != KindVec {
		return unsupported(l.inst)
	}
	return nil
}

// lowerHalf: movlps/pd (Cond 0), movhps/pd (Cond 1) between an XMM
// register and memory.
func lowerHalf(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Size, o.Cond = OpSseHalf, 8, e.sub
	if (o.Dst.Kind == KindVec) == (o.Src.Kind == KindVec) {
		return unsupported(l.inst) // movhlps/movlhps forms
	}
	return nil
}

// lowerPmovmskb: pmovmskb r, xmm.
func lowerPmovmskb(l *lowerer, o *Op, e *lowering) error {
	dsz, _, err := l.vecArgs(o)
	if err != nil {
		return err
	}
	o.Code, o.Size = OpPmovmskb, dsz
	if o.Dst.Kind != KindReg || o.Src.Kind != KindVec {
		return unsupported(l.inst)
	}
	return nil
}

// lowerPshufd: pshufd xmm, xmm/m128, imm8.
func lowerPshufd(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Size = OpPshufd, 16
	o.Flags |= FlagAligned
	return l.imm8(o)
}

// lowerMxcsr: stmxcsr m32, ldmxcsr m32.
func lowerMxcsr(l *lowerer, o *Op, e *lowering) error {
	if _, _, err := l.vecArgs(o); err != nil {
		return err
	}
	o.Code, o.Size = e.code, 4
	return nil
}

// lowerMovnti: movnti m, r is a plain store.
func lowerMovnti(l *lowerer, o *Op, e *lowering) error {
	_, ssz, err := l.args(o, 2)
	if err != nil {
		return err
	}
	o.Code, o.Size = OpMov, l.opSize(ssz)
	return nil
}
