package isa

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/guest/isa/vec"
)

// Lowering of the MMX instructions: the MMX set proper (movd, movq, the
// packed integer arithmetic, compares, logic, shifts, packs and unpacks,
// emms), the SSE and SSE2 forms on MMX registers (pavgb/w, pmaxub,
// pminub, pmaxsw, pminsw, pmulhuw, psadbw, pshufw, pinsrw, pextrw,
// pmovmskb, maskmovq, movntq, paddq, psubq, pmuludq, the conversions
// between MMX and XMM registers, movq2dq, movdq2q) and SSSE3 on MMX
// registers. x86asm decodes them as the same ops as their XMM forms; an
// instruction naming an MMX register (or one of the few that exist only
// with one) lowers here, into one OpMmx whose Cond indexes MmxOps.
//
// The semantics are 64-bit functions. Most are the guest/isa/vec XMM
// function on the low lane (lo): every lane-wise operation computes the
// MMX result in the low quadword of an XMM one whose high quadword is
// zero. The packs and horizontal operations read both 64-bit operands as
// one XMM value (pair), the high unpacks the operands' high halves, and
// pshufb indexes a register repeated twice, which is the MMX index modulo
// 8. Register operands are KindMM; the interpreter applies the aliasing
// onto the x87 registers.

// MmxKind is the shape of an OpMmx.
type MmxKind uint8

const (
	MmxNone     MmxKind = iota
	Mmx2                // mm = F2(mm, mm/m64)
	Mmx2I               // mm = F2I(mm, mm/m64, Imm) (palignr)
	Mmx1I               // mm = F1I(mm/m64, Imm) (pshufw; the shifts by an immediate: Src none, Dst read)
	MmxMov              // movd/movq: Dst = Src (Size bytes), zero-extended into an MMX register; movntq
	MmxEmms             // all tags empty
	MmxExtr             // general register (Size) = word Imm&3 of mm (pextrw)
	MmxInsr             // mm = mm with word Imm&3 from the low 16 bits of a register or m16 (pinsrw)
	MmxMovmsk           // general register (Size) = the sign bits of mm's bytes (pmovmskb)
	MmxMaskMov          // maskmovq: the bytes of Dst selected by Src stored at [rDI]
	MmxToX              // movq2dq: xmm = mm zero-extended
	MmxFromX            // movdq2q: mm = the low quadword of xmm
	MmxCvtToX           // xmm, flags = CvtTo(xmm, mm/m64, MXCSR) (cvtpi2ps, cvtpi2pd)
	MmxCvtFromX         // mm, flags = CvtFrom(xmm/m64|m128, MXCSR) (cvtps2pi, cvtpd2pi and truncating forms)
)

// MmxSem is the semantics of one OpMmx sub-operation.
type MmxSem struct {
	Kind    MmxKind
	Name    string
	F2      func(a, b uint64) uint64
	F2I     func(a, b uint64, imm uint8) uint64
	F1I     func(a uint64, imm uint8) uint64
	CvtTo   func(a vec.X, m uint64, mx uint32) (vec.X, uint32)
	CvtFrom func(b vec.X, mx uint32) (uint64, uint32)
}

// MmxOps is indexed by the Cond of an OpMmx (filled by init, read-only
// afterwards). Entry 0 is unused.
var MmxOps = []MmxSem{{}}

// mmxTable maps the x86asm op of an MMX form to its MmxOps index.
var mmxTable = map[x86asm.Op]uint8{}

// mmxOnly are the ops lowered here whatever their operands say.
var mmxOnly = map[x86asm.Op]bool{
	x86asm.EMMS: true, x86asm.MOVQ2DQ: true, x86asm.MOVDQ2Q: true, x86asm.MASKMOVQ: true, x86asm.MOVNTQ: true,
	x86asm.PSHUFW: true, x86asm.CVTPI2PS: true, x86asm.CVTPI2PD: true, x86asm.CVTPS2PI: true,
	x86asm.CVTTPS2PI: true, x86asm.CVTPD2PI: true, x86asm.CVTTPD2PI: true,
}

func mmxReg(s MmxSem, ops ...x86asm.Op) {
	if len(MmxOps) > 255 {
		panic("isa: too many MMX sub-operations")
	}
	sub := uint8(len(MmxOps))
	MmxOps = append(MmxOps, s)
	for _, op := range ops {
		if _, dup := mmxTable[op]; dup {
			panic("isa: MMX form lowered twice: " + op.String())
		}
		mmxTable[op] = sub
	}
}

// isMMX reports whether inst is an MMX form (lowerMMX lowers it).
func isMMX(inst *x86asm.Inst) bool {
	if mmxOnly[inst.Op] {
		return true
	}
	for _, a := range inst.Args {
		if r, ok := a.(x86asm.Reg); ok && r >= x86asm.M0 && r <= x86asm.M7 {
			return true
		}
	}
	return false
}

// lo lifts a lane-wise XMM function to MMX: the low quadword.
func lo(f func(a, b vec.X) vec.X) func(a, b uint64) uint64 {
	return func(a, b uint64) uint64 { return f(vec.X{a}, vec.X{b})[0] }
}

// pair lifts a pack or horizontal function: both operands as one XMM
// value, whose result's low quadword is the MMX one.
func pair(f func(a, b vec.X) vec.X) func(a, b uint64) uint64 {
	return func(a, b uint64) uint64 { return f(vec.X{a, b}, vec.X{})[0] }
}

// high lifts a low unpack into the MMX high unpack.
func high(f func(a, b vec.X) vec.X) func(a, b uint64) uint64 {
	return func(a, b uint64) uint64 { return f(vec.X{a >> 32}, vec.X{b >> 32})[0] }
}

// shiftImm lifts an XMM shift by an immediate.
func shiftImm(f func(a vec.X, n uint8) vec.X) func(a uint64, imm uint8) uint64 {
	return func(a uint64, imm uint8) uint64 { return f(vec.X{a}, imm)[0] }
}

// palignrMM is palignr on MMX registers: the 128-bit dst:src shifted
// right by imm bytes, the low quadword.
func palignrMM(d, s uint64, imm uint8) uint64 {
	switch sh := uint(imm) * 8; {
	case sh == 0:
		return s
	case sh < 64:
		return s>>sh | d<<(64-sh)
	case sh < 128:
		return d >> (sh - 64)
	}
	return 0
}

func init() {
	m2 := func(op x86asm.Op, f func(a, b uint64) uint64) {
		mmxReg(MmxSem{Kind: Mmx2, Name: op.String(), F2: f}, op)
	}
	m2(x86asm.PADDB, lo(vec.PaddB))
	m2(x86asm.PADDW, lo(vec.PaddW))
	m2(x86asm.PADDD, lo(vec.PaddD))
	m2(x86asm.PADDQ, lo(vec.PaddQ))
	m2(x86asm.PADDSB, lo(vec.PaddSB))
	m2(x86asm.PADDSW, lo(vec.PaddSW))
	m2(x86asm.PADDUSB, lo(vec.PaddUSB))
	m2(x86asm.PADDUSW, lo(vec.PaddUSW))
	m2(x86asm.PSUBB, lo(vec.PsubB))
	m2(x86asm.PSUBW, lo(vec.PsubW))
	m2(x86asm.PSUBD, lo(vec.PsubD))
	m2(x86asm.PSUBQ, lo(vec.PsubQ))
	m2(x86asm.PSUBSB, lo(vec.PsubSB))
	m2(x86asm.PSUBSW, lo(vec.PsubSW))
	m2(x86asm.PSUBUSB, lo(vec.PsubUSB))
	m2(x86asm.PSUBUSW, lo(vec.PsubUSW))
	m2(x86asm.PCMPEQB, lo(vec.PcmpeqB))
	m2(x86asm.PCMPEQW, lo(vec.PcmpeqW))
	m2(x86asm.PCMPEQD, lo(vec.PcmpeqD))
	m2(x86asm.PCMPGTB, lo(vec.PcmpgtB))
	m2(x86asm.PCMPGTW, lo(vec.PcmpgtW))
	m2(x86asm.PCMPGTD, lo(vec.PcmpgtD))
	m2(x86asm.PMULLW, lo(vec.PmullW))
	m2(x86asm.PMULHW, lo(vec.PmulhW))
	m2(x86asm.PMULHUW, lo(vec.PmulhUW))
	m2(x86asm.PMULUDQ, lo(vec.PmulUDQ))
	m2(x86asm.PMADDWD, lo(vec.PmaddWD))
	m2(x86asm.PAND, lo(vec.And))
	m2(x86asm.PANDN, lo(vec.AndN))
	m2(x86asm.POR, lo(vec.Or))
	m2(x86asm.PXOR, lo(vec.Xor))
	m2(x86asm.PAVGB, lo(vec.PavgB))
	m2(x86asm.PAVGW, lo(vec.PavgW))
	m2(x86asm.PMAXUB, lo(vec.PmaxUB))
	m2(x86asm.PMINUB, lo(vec.PminUB))
	m2(x86asm.PMAXSW, lo(vec.PmaxSW))
	m2(x86asm.PMINSW, lo(vec.PminSW))
	m2(x86asm.PSADBW, lo(vec.PsadBW))
	m2(x86asm.PACKSSWB, pair(vec.PacksSWB))
	m2(x86asm.PACKSSDW, pair(vec.PacksSDW))
	m2(x86asm.PACKUSWB, pair(vec.PackUSWB))
	m2(x86asm.PUNPCKLBW, lo(vec.PunpcklBW))
	m2(x86asm.PUNPCKLWD, lo(vec.PunpcklWD))
	m2(x86asm.PUNPCKLDQ, lo(vec.PunpcklDQ))
	m2(x86asm.PUNPCKHBW, high(vec.PunpcklBW))
	m2(x86asm.PUNPCKHWD, high(vec.PunpcklWD))
	m2(x86asm.PUNPCKHDQ, high(vec.PunpcklDQ))
	// SSSE3.
	m2(x86asm.PSHUFB, func(a, b uint64) uint64 { return vec.Pshufb(vec.X{a, a}, vec.X{b})[0] })
	m2(x86asm.PHADDW, pair(vec.PhaddW))
	m2(x86asm.PHADDD, pair(vec.PhaddD))
	m2(x86asm.PHADDSW, pair(vec.PhaddSW))
	m2(x86asm.PHSUBW, pair(vec.PhsubW))
	m2(x86asm.PHSUBD, pair(vec.PhsubD))
	m2(x86asm.PHSUBSW, pair(vec.PhsubSW))
	m2(x86asm.PABSB, func(_, b uint64) uint64 { return vec.PabsB(vec.X{b})[0] })
	m2(x86asm.PABSW, func(_, b uint64) uint64 { return vec.PabsW(vec.X{b})[0] })
	m2(x86asm.PABSD, func(_, b uint64) uint64 { return vec.PabsD(vec.X{b})[0] })
	m2(x86asm.PSIGNB, lo(vec.PsignB))
	m2(x86asm.PSIGNW, lo(vec.PsignW))
	m2(x86asm.PSIGND, lo(vec.PsignD))
	m2(x86asm.PMADDUBSW, lo(vec.PmaddUBSW))
	m2(x86asm.PMULHRSW, lo(vec.PmulhRSW))
	mmxReg(MmxSem{Kind: Mmx2I, Name: "PALIGNR", F2I: palignrMM}, x86asm.PALIGNR)

	// The shifts: by a register or m64 count (Mmx2), or by an immediate
	// (the same sub-operation with Src an immediate: F1I).
	sh := func(op x86asm.Op, f func(a, c vec.X) vec.X, fi func(a vec.X, n uint8) vec.X) {
		mmxReg(MmxSem{Kind: Mmx2, Name: op.String(), F2: lo(f), F1I: shiftImm(fi)}, op)
	}
	sh(x86asm.PSLLW, vec.PsllW, vec.PsllWI)
	sh(x86asm.PSLLD, vec.PsllD, vec.PsllDI)
	sh(x86asm.PSLLQ, vec.PsllQ, vec.PsllQI)
	sh(x86asm.PSRLW, vec.PsrlW, vec.PsrlWI)
	sh(x86asm.PSRLD, vec.PsrlD, vec.PsrlDI)
	sh(x86asm.PSRLQ, vec.PsrlQ, vec.PsrlQI)
	sh(x86asm.PSRAW, vec.PsraW, vec.PsraWI)
	sh(x86asm.PSRAD, vec.PsraD, vec.PsraDI)

	mmxReg(MmxSem{Kind: Mmx1I, Name: "PSHUFW", F1I: func(a uint64, imm uint8) uint64 { return vec.Pshuflw(vec.X{a}, imm)[0] }},
		x86asm.PSHUFW)
	mmxReg(MmxSem{Kind: MmxMov, Name: "MOVD"}, x86asm.MOVD)
	mmxReg(MmxSem{Kind: MmxMov, Name: "MOVQ"}, x86asm.MOVQ)
	mmxReg(MmxSem{Kind: MmxMov, Name: "MOVNTQ"}, x86asm.MOVNTQ)
	mmxReg(MmxSem{Kind: MmxEmms, Name: "EMMS"}, x86asm.EMMS)
	mmxReg(MmxSem{Kind: MmxExtr, Name: "PEXTRW"}, x86asm.PEXTRW)
	mmxReg(MmxSem{Kind: MmxInsr, Name: "PINSRW"}, x86asm.PINSRW)
	mmxReg(MmxSem{Kind: MmxMovmsk, Name: "PMOVMSKB"}, x86asm.PMOVMSKB)
	mmxReg(MmxSem{Kind: MmxMaskMov, Name: "MASKMOVQ"}, x86asm.MASKMOVQ)
	mmxReg(MmxSem{Kind: MmxToX, Name: "MOVQ2DQ"}, x86asm.MOVQ2DQ)
	mmxReg(MmxSem{Kind: MmxFromX, Name: "MOVDQ2Q"}, x86asm.MOVDQ2Q)
	mmxReg(MmxSem{Kind: MmxCvtToX, Name: "CVTPI2PS", CvtTo: vec.CvtPI2PS}, x86asm.CVTPI2PS)
	mmxReg(MmxSem{Kind: MmxCvtToX, Name: "CVTPI2PD", CvtTo: func(_ vec.X, m uint64, _ uint32) (vec.X, uint32) {
		return vec.CvtPI2PD(m), 0
	}}, x86asm.CVTPI2PD)
	mmxReg(MmxSem{Kind: MmxCvtFromX, Name: "CVTPS2PI", CvtFrom: vec.CvtPS2PI}, x86asm.CVTPS2PI)
	mmxReg(MmxSem{Kind: MmxCvtFromX, Name: "CVTTPS2PI", CvtFrom: vec.CvttPS2PI}, x86asm.CVTTPS2PI)
	mmxReg(MmxSem{Kind: MmxCvtFromX, Name: "CVTPD2PI", CvtFrom: vec.CvtPD2PI}, x86asm.CVTPD2PI)
	mmxReg(MmxSem{Kind: MmxCvtFromX, Name: "CVTTPD2PI", CvtFrom: vec.CvttPD2PI}, x86asm.CVTTPD2PI)
}

// mmxArg converts argument i: an MMX register (KindMM), an XMM register,
// a general register (size), memory or an immediate.
func (l *lowerer) mmxArg(o *Op, i int) (Arg, uint8, error) {
	if r, ok := l.inst.Args[i].(x86asm.Reg); ok && r >= x86asm.M0 && r <= x86asm.M7 {
		return Arg{Kind: KindMM, Reg: uint8(r - x86asm.M0)}, 8, nil
	}
	return l.vecArg(o, i)
}

// lowerMMX lowers an MMX form into an OpMmx: Dst and Src from the first
// two arguments, an imm8 into Imm, SSize the memory operand's size, Size
// the size of a general-register or memory operand of the moves.
func lowerMMX(l *lowerer, o *Op) error {
	inst := l.inst
	sub, ok := mmxTable[inst.Op]
	if !ok {
		return unsupported(inst)
	}
	s := MmxOps[sub]
	o.Code, o.Cond = OpMmx, sub
	var dsz, ssz uint8
	var err error
	if o.Dst, dsz, err = l.mmxArg(o, 0); err != nil {
		return err
	}
	if o.Src, ssz, err = l.mmxArg(o, 1); err != nil {
		return err
	}
	if len(inst.Args) > 2 && inst.Args[2] != nil {
		if err := l.imm8(o); err != nil {
			return err
		}
	}
	if o.Src.Kind == KindImm {
		o.Imm &= 0xff
	}
	if o.Dst.Kind == KindMem || o.Src.Kind == KindMem {
		o.SSize = uint8(inst.MemBytes)
	}
	mm := func(a Arg) bool { return a.Kind == KindMM }
	mmOrMem := func(a Arg) bool { return a.Kind == KindMM || a.Kind == KindMem }
	bad := false
	switch s.Kind {
	case Mmx2:
		switch {
		case o.Src.Kind == KindImm && s.F1I != nil:
		case mmOrMem(o.Src):
			o.SSize = 8
		default:
			bad = true
		}
		bad = bad || !mm(o.Dst)
	case Mmx2I, Mmx1I:
		bad = !mm(o.Dst) || !mmOrMem(o.Src) || o.Src2.Kind != KindImm
		o.SSize = 8
	case MmxMov:
		// movd mm, r/m32; movd r/m32, mm; movq mm, r/m64 (REX.W) or
		// mm/m64; movq r/m64 or mm/m64, mm; movntq m64, mm.
		o.Size = max(dsz, ssz)
		if !mm(o.Dst) && !mm(o.Src) {
			bad = true
		}
		if o.Dst.Kind == KindVec || o.Src.Kind == KindVec {
			bad = true
		}
		if o.Dst.Kind == KindMem || o.Src.Kind == KindMem {
			o.Size = o.SSize
		}
		if o.Dst.Kind == KindReg || o.Src.Kind == KindReg {
			o.Size = min(dsz, ssz) // the general register's
		}
		if inst.Op == x86asm.MOVD && o.Size != 4 || inst.Op != x86asm.MOVD && o.Size != 8 {
			bad = true
		}
		if inst.Op == x86asm.MOVNTQ && o.Dst.Kind != KindMem {
			bad = true
		}
	case MmxEmms:
	case MmxExtr:
		bad = o.Dst.Kind != KindReg || !mm(o.Src)
		o.Size = dsz
	case MmxInsr:
		bad = !mm(o.Dst) || (o.Src.Kind != KindReg && o.Src.Kind != KindMem)
		o.SSize = 2
	case MmxMovmsk:
		bad = o.Dst.Kind != KindReg || !mm(o.Src)
		o.Size = dsz
	case MmxMaskMov:
		bad = !mm(o.Dst) || !mm(o.Src)
		o.M = Mem{Base: NoReg, Index: NoReg, ASize: uint8(inst.AddrSize / 8)}
		if hasPrefix(inst, x86asm.PrefixFS) {
			o.M.Seg = SegFS
		} else if hasPrefix(inst, x86asm.PrefixGS) {
			o.M.Seg = SegGS
		}
	case MmxToX:
		bad = o.Dst.Kind != KindVec || !mm(o.Src)
	case MmxFromX:
		bad = !mm(o.Dst) || o.Src.Kind != KindVec
	case MmxCvtToX:
		bad = o.Dst.Kind != KindVec || !mmOrMem(o.Src)
		o.SSize = 8
	case MmxCvtFromX:
		bad = !mm(o.Dst) || (o.Src.Kind != KindVec && o.Src.Kind != KindMem)
		if o.Src.Kind == KindMem {
			// cvtpd2pi reads m128, which must be aligned.
			if o.SSize = uint8(inst.MemBytes); o.SSize == 0 || o.SSize == 16 {
				o.SSize = 16
				o.Flags |= FlagAligned
			}
		}
	}
	if bad {
		return unsupported(inst)
	}
	return nil
}
