package isa

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/guest/isa/vec"
	"github.com/minemu/minemu/mm"
)

// Lowering of the vector instructions executed through guest/isa/vec:
// the SSE2 operations the older OpSimd family does not cover
// (multiplies, saturating arithmetic, packs, averages, word shuffles and
// inserts, packed conversions, rcp/rsqrt) and SSE3, SSSE3, SSE4.1 and
// SSE4.2. Each lowers to one OpVec whose Cond indexes VecOps, the table of
// the instruction's semantics; the engine fetches the operands, calls the
// function and writes the result back. An op record stays pointer-free:
// the functions live in VecOps, not in the op.

// VecKind is the shape of an OpVec's operands and semantic function.
type VecKind uint8

const (
	VecNone    VecKind = iota
	Vec2               // dst = F2(dst, src)
	Vec2I              // dst = F2I(dst, src, Imm)
	Vec1               // dst = F1(src)
	Vec1I              // dst = F1I(src, Imm)
	VecF2              // dst, flags = FF2(dst, src, MXCSR)
	VecF1              // dst, flags = FF1(src, MXCSR)
	VecF2I             // dst, flags = FF2I(dst, src, Imm, MXCSR)
	VecF1I             // dst, flags = FF1I(src, Imm, MXCSR)
	Vec3X0             // dst = F3(dst, src, xmm0) (the blendv forms)
	VecExtr            // general register or memory (Size) = Ext(src, Imm)
	VecInsr            // dst = Ins(dst, src value of SSize bytes, Imm)
	VecPtest           // RFLAGS status = Flags(dst, src)
	VecStrI            // rCX, RFLAGS = StrI(dst, src, Imm) (pcmpXstri; Rep 1: explicit lengths)
	VecStrM            // xmm0, RFLAGS = StrM(dst, src, Imm) (pcmpXstrm; Rep 1: explicit lengths)
	VecMaskMov         // maskmovdqu: bytes of dst selected by src stored at [rDI]
	VecCrc32           // crc32 r32/r64, r/m (SSize bytes)
	VecFxsave          // the 512-byte FXSAVE image at the memory operand
	VecFxrstor         // state from the FXSAVE image at the memory operand
	VecRdrand          // general register (Size) = random bits; CF = 1
	VecRdtscp          // EDX:EAX = time stamp counter, ECX = TSC_AUX (0)
	VecMovbe           // Dst = byte-reversed Src (Size bytes; one of them memory)
	VecComi            // RFLAGS status, flags = Comi(dst, src, MXCSR)
	VecCvtI2F          // dst, flags = CvtI(dst, integer src of SSize bytes, MXCSR)
	VecCvtF2I          // general register (Size), flags = CvtF(src, Size == 8, MXCSR)
	VecXsave           // xsave, xsaveopt: the standard XSAVE image of XCR0 & EDX:EAX at the memory operand
	VecXsavec          // xsavec: the compacted image
	VecXrstor          // xrstor: state from the standard or compacted image
	VecXgetbv          // EDX:EAX = XCR0 (ECX 0)
)

// VecSem is the semantics of one OpVec sub-operation: its kind and the
// one function of that kind's signature.
type VecSem struct {
	Kind VecKind
	Name string
	F2   func(a, b vec.X) vec.X
	F2I  func(a, b vec.X, imm uint8) vec.X
	F1   func(a vec.X) vec.X
	F1I  func(a vec.X, imm uint8) vec.X
	FF2  func(a, b vec.X, mx uint32) (vec.X, uint32)
	FF1  func(a vec.X, mx uint32) (vec.X, uint32)
	FF2I func(a, b vec.X, imm uint8, mx uint32) (vec.X, uint32)
	FF1I func(a vec.X, imm uint8, mx uint32) (vec.X, uint32)
	F3   func(a, b, c vec.X) vec.X
	Ext  func(a vec.X, imm uint8) uint64
	Ins  func(a vec.X, v uint64, imm uint8) vec.X
	StrI func(a, b vec.X, la, lb int64, imm uint8) (uint32, uint32)
	StrM func(a, b vec.X, la, lb int64, imm uint8) (vec.X, uint32)
	Flag func(a, b vec.X) uint32
	Comi func(a, b vec.X, mx uint32) (uint32, uint32)
	CvtI func(a vec.X, v uint64, is64 bool, mx uint32) (vec.X, uint32)
	CvtF func(b vec.X, is64 bool, mx uint32) (uint64, uint32)
}

// VecOps is indexed by the Cond of an OpVec (filled by init, read-only
// afterwards). Entry 0 is unused.
var VecOps = []VecSem{{}}

// vecUnaligned lists the legacy instructions whose 16-byte memory operand
// need not be aligned (SDM vol. 1 12.10.2 and the instructions' pages).
var vecUnaligned = map[x86asm.Op]bool{
	x86asm.PCMPESTRI: true, x86asm.PCMPESTRM: true, x86asm.PCMPISTRI: true, x86asm.PCMPISTRM: true,
	x86asm.MASKMOVDQU: true,
}

func vecReg(s VecSem, ops ...x86asm.Op) {
	if len(VecOps) > 255 {
		panic("isa: too many vector sub-operations")
	}
	sub := uint8(len(VecOps))
	VecOps = append(VecOps, s)
	set(lowering{fn: lowerVec, code: OpVec, sub: sub, fam: famSSE}, ops...)
}

func init() {
	v2 := func(op x86asm.Op, f func(a, b vec.X) vec.X) { vecReg(VecSem{Kind: Vec2, Name: op.String(), F2: f}, op) }
	v2i := func(op x86asm.Op, f func(a, b vec.X, imm uint8) vec.X) {
		vecReg(VecSem{Kind: Vec2I, Name: op.String(), F2I: f}, op)
	}
	v1 := func(op x86asm.Op, f func(a vec.X) vec.X) { vecReg(VecSem{Kind: Vec1, Name: op.String(), F1: f}, op) }
	v1i := func(op x86asm.Op, f func(a vec.X, imm uint8) vec.X) {
		vecReg(VecSem{Kind: Vec1I, Name: op.String(), F1I: f}, op)
	}
	f2 := func(op x86asm.Op, f func(a, b vec.X, mx uint32) (vec.X, uint32)) {
		vecReg(VecSem{Kind: VecF2, Name: op.String(), FF2: f}, op)
	}
	f1 := func(op x86asm.Op, f func(a vec.X, mx uint32) (vec.X, uint32)) {
		vecReg(VecSem{Kind: VecF1, Name: op.String(), FF1: f}, op)
	}
	f2i := func(op x86asm.Op, f func(a, b vec.X, imm uint8, mx uint32) (vec.X, uint32)) {
		vecReg(VecSem{Kind: VecF2I, Name: op.String(), FF2I: f}, op)
	}
	f1i := func(op x86asm.Op, f func(a vec.X, imm uint8, mx uint32) (vec.X, uint32)) {
		vecReg(VecSem{Kind: VecF1I, Name: op.String(), FF1I: f}, op)
	}
	b3 := func(op x86asm.Op, f func(a, b, c vec.X) vec.X) {
		vecReg(VecSem{Kind: Vec3X0, Name: op.String(), F3: f}, op)
	}
	ext := func(op x86asm.Op, f func(a vec.X, imm uint8) uint64) {
		vecReg(VecSem{Kind: VecExtr, Name: op.String(), Ext: f}, op)
	}
	ins := func(op x86asm.Op, f func(a vec.X, v uint64, imm uint8) vec.X) {
		vecReg(VecSem{Kind: VecInsr, Name: op.String(), Ins: f}, op)
	}

	// SSE2 integer.
	v2(x86asm.PMULUDQ, vec.PmulUDQ)
	v2(x86asm.PMADDWD, vec.PmaddWD)
	v2(x86asm.PSADBW, vec.PsadBW)
	v2(x86asm.PACKSSWB, vec.PacksSWB)
	v2(x86asm.PACKSSDW, vec.PacksSDW)
	v2(x86asm.PACKUSWB, vec.PackUSWB)
	v2(x86asm.PADDSB, vec.PaddSB)
	v2(x86asm.PADDSW, vec.PaddSW)
	v2(x86asm.PADDUSB, vec.PaddUSB)
	v2(x86asm.PADDUSW, vec.PaddUSW)
	v2(x86asm.PSUBSB, vec.PsubSB)
	v2(x86asm.PSUBSW, vec.PsubSW)
	v2(x86asm.PSUBUSB, vec.PsubUSB)
	v2(x86asm.PSUBUSW, vec.PsubUSW)
	v2(x86asm.PAVGB, vec.PavgB)
	v2(x86asm.PAVGW, vec.PavgW)
	v2(x86asm.PMULLW, vec.PmullW)
	v2(x86asm.PMULHW, vec.PmulhW)
	v2(x86asm.PMULHUW, vec.PmulhUW)
	v2(x86asm.PMINSW, vec.PminSW)
	v2(x86asm.PMAXSW, vec.PmaxSW)
	v1i(x86asm.PSHUFLW, vec.Pshuflw)
	v1i(x86asm.PSHUFHW, vec.Pshufhw)
	ins(x86asm.PINSRW, func(a vec.X, v uint64, imm uint8) vec.X { return vec.Pinsrw(a, uint16(v), imm) })
	ext(x86asm.PEXTRW, func(a vec.X, imm uint8) uint64 { return uint64(vec.Pextrw(a, imm)) })
	vecReg(VecSem{Kind: VecMaskMov, Name: "MASKMOVDQU"}, x86asm.MASKMOVDQU)

	vecReg(VecSem{Kind: VecFxsave, Name: "FXSAVE"}, x86asm.FXSAVE, x86asm.FXSAVE64)
	vecReg(VecSem{Kind: VecFxrstor, Name: "FXRSTOR"}, x86asm.FXRSTOR, x86asm.FXRSTOR64)
	vecReg(VecSem{Kind: VecXsave, Name: "XSAVE"}, x86asm.XSAVE, x86asm.XSAVE64, x86asm.XSAVEOPT, x86asm.XSAVEOPT64)
	vecReg(VecSem{Kind: VecXsavec, Name: "XSAVEC"}, x86asm.XSAVEC, x86asm.XSAVEC64)
	vecReg(VecSem{Kind: VecXrstor, Name: "XRSTOR"}, x86asm.XRSTOR, x86asm.XRSTOR64)
	vecReg(VecSem{Kind: VecXgetbv, Name: "XGETBV"}, x86asm.XGETBV)

	// SSE/SSE2 floating point.
	f2(x86asm.ADDPS, vec.AddPS)
	f2(x86asm.ADDPD, vec.AddPD)
	f2(x86asm.ADDSS, vec.AddSS)
	f2(x86asm.ADDSD, vec.AddSD)
	f2(x86asm.SUBPS, vec.SubPS)
	f2(x86asm.SUBPD, vec.SubPD)
	f2(x86asm.SUBSS, vec.SubSS)
	f2(x86asm.SUBSD, vec.SubSD)
	f2(x86asm.MULPS, vec.MulPS)
	f2(x86asm.MULPD, vec.MulPD)
	f2(x86asm.MULSS, vec.MulSS)
	f2(x86asm.MULSD, vec.MulSD)
	f2(x86asm.DIVPS, vec.DivPS)
	f2(x86asm.DIVPD, vec.DivPD)
	f2(x86asm.DIVSS, vec.DivSS)
	f2(x86asm.DIVSD, vec.DivSD)
	f2(x86asm.MINPS, vec.MinPS)
	f2(x86asm.MINPD, vec.MinPD)
	f2(x86asm.MINSS, vec.MinSS)
	f2(x86asm.MINSD, vec.MinSD)
	f2(x86asm.MAXPS, vec.MaxPS)
	f2(x86asm.MAXPD, vec.MaxPD)
	f2(x86asm.MAXSS, vec.MaxSS)
	f2(x86asm.MAXSD, vec.MaxSD)
	f1(x86asm.SQRTPS, vec.SqrtPS)
	f1(x86asm.SQRTPD, vec.SqrtPD)
	f2(x86asm.SQRTSS, vec.SqrtSS)
	f2(x86asm.SQRTSD, vec.SqrtSD)
	// The legacy compares take predicates 0-7 (imm8[2:0]).
	cmp := func(f func(a, b vec.X, pred uint8, mx uint32) (vec.X, uint32)) func(a, b vec.X, imm uint8, mx uint32) (vec.X, uint32) {
		return func(a, b vec.X, imm uint8, mx uint32) (vec.X, uint32) { return f(a, b, imm&7, mx) }
	}
	f2i(x86asm.CMPPS, cmp(vec.CmpPS))
	f2i(x86asm.CMPPD, cmp(vec.CmpPD))
	f2i(x86asm.CMPSS, cmp(vec.CmpSS))
	f2i(x86asm.CMPSD_XMM, cmp(vec.CmpSD))
	comi := func(op x86asm.Op, f func(a, b vec.X, mx uint32) (uint32, uint32)) {
		vecReg(VecSem{Kind: VecComi, Name: op.String(), Comi: f}, op)
	}
	comi(x86asm.COMISS, vec.ComiSS)
	comi(x86asm.UCOMISS, vec.UcomiSS)
	comi(x86asm.COMISD, vec.ComiSD)
	comi(x86asm.UCOMISD, vec.UcomiSD)
	vecReg(VecSem{Kind: VecCvtI2F, Name: "CVTSI2SS", CvtI: vec.CvtSI2SS}, x86asm.CVTSI2SS)
	vecReg(VecSem{Kind: VecCvtI2F, Name: "CVTSI2SD", CvtI: vec.CvtSI2SD}, x86asm.CVTSI2SD)
	vecReg(VecSem{Kind: VecCvtF2I, Name: "CVTSS2SI", CvtF: vec.CvtSS2SI}, x86asm.CVTSS2SI)
	vecReg(VecSem{Kind: VecCvtF2I, Name: "CVTSD2SI", CvtF: vec.CvtSD2SI}, x86asm.CVTSD2SI)
	vecReg(VecSem{Kind: VecCvtF2I, Name: "CVTTSS2SI", CvtF: vec.CvttSS2SI}, x86asm.CVTTSS2SI)
	vecReg(VecSem{Kind: VecCvtF2I, Name: "CVTTSD2SI", CvtF: vec.CvttSD2SI}, x86asm.CVTTSD2SI)
	f2(x86asm.CVTSS2SD, vec.CvtSS2SD)
	f2(x86asm.CVTSD2SS, vec.CvtSD2SS)
	f2(x86asm.CVTDQ2PS, func(_, b vec.X, mx uint32) (vec.X, uint32) { return vec.CvtDQ2PS(b, mx) })
	f1(x86asm.CVTPS2DQ, vec.CvtPS2DQ)
	f1(x86asm.CVTTPS2DQ, vec.CvttPS2DQ)
	f1(x86asm.CVTPD2DQ, vec.CvtPD2DQ)
	f1(x86asm.CVTTPD2DQ, vec.CvttPD2DQ)
	v1(x86asm.CVTDQ2PD, vec.CvtDQ2PD)
	f1(x86asm.CVTPS2PD, vec.CvtPS2PD)
	f1(x86asm.CVTPD2PS, vec.CvtPD2PS)
	v1(x86asm.RCPPS, vec.RcpPS)
	v2(x86asm.RCPSS, vec.RcpSS)
	v1(x86asm.RSQRTPS, vec.RsqrtPS)
	v2(x86asm.RSQRTSS, vec.RsqrtSS)

	// SSE3.
	f2(x86asm.ADDSUBPS, vec.AddSubPS)
	f2(x86asm.ADDSUBPD, vec.AddSubPD)
	f2(x86asm.HADDPS, vec.HaddPS)
	f2(x86asm.HADDPD, vec.HaddPD)
	f2(x86asm.HSUBPS, vec.HsubPS)
	f2(x86asm.HSUBPD, vec.HsubPD)
	v1(x86asm.MOVSLDUP, vec.MovSLDup)
	v1(x86asm.MOVSHDUP, vec.MovSHDup)
	v1(x86asm.MOVDDUP, vec.MovDDup)

	// SSSE3.
	v1(x86asm.PABSB, vec.PabsB)
	v1(x86asm.PABSW, vec.PabsW)
	v1(x86asm.PABSD, vec.PabsD)
	v2(x86asm.PSIGNB, vec.PsignB)
	v2(x86asm.PSIGNW, vec.PsignW)
	v2(x86asm.PSIGND, vec.PsignD)
	v2i(x86asm.PALIGNR, vec.Palignr)
	v2(x86asm.PSHUFB, vec.Pshufb)
	v2(x86asm.PMADDUBSW, vec.PmaddUBSW)
	v2(x86asm.PMULHRSW, vec.PmulhRSW)
	v2(x86asm.PHADDW, vec.PhaddW)
	v2(x86asm.PHADDD, vec.PhaddD)
	v2(x86asm.PHADDSW, vec.PhaddSW)
	v2(x86asm.PHSUBW, vec.PhsubW)
	v2(x86asm.PHSUBD, vec.PhsubD)
	v2(x86asm.PHSUBSW, vec.PhsubSW)

	// SSE4.1.
	v2(x86asm.PMULLD, vec.PmullD)
	v2(x86asm.PMULDQ, vec.PmulDQ)
	v2(x86asm.PMINSB, vec.PminSB)
	v2(x86asm.PMINSD, vec.PminSD)
	v2(x86asm.PMINUW, vec.PminUW)
	v2(x86asm.PMINUD, vec.PminUD)
	v2(x86asm.PMAXSB, vec.PmaxSB)
	v2(x86asm.PMAXSD, vec.PmaxSD)
	v2(x86asm.PMAXUW, vec.PmaxUW)
	v2(x86asm.PMAXUD, vec.PmaxUD)
	v2i(x86asm.PBLENDW, vec.Pblendw)
	v2i(x86asm.BLENDPS, vec.BlendPS)
	v2i(x86asm.BLENDPD, vec.BlendPD)
	b3(x86asm.PBLENDVB, vec.PblendvB)
	b3(x86asm.BLENDVPS, vec.BlendvPS)
	b3(x86asm.BLENDVPD, vec.BlendvPD)
	v2(x86asm.PCMPEQQ, vec.PcmpeqQ)
	v2(x86asm.PACKUSDW, vec.PackUSDW)
	v1(x86asm.PMOVSXBW, vec.PmovsxBW)
	v1(x86asm.PMOVSXBD, vec.PmovsxBD)
	v1(x86asm.PMOVSXBQ, vec.PmovsxBQ)
	v1(x86asm.PMOVSXWD, vec.PmovsxWD)
	v1(x86asm.PMOVSXWQ, vec.PmovsxWQ)
	v1(x86asm.PMOVSXDQ, vec.PmovsxDQ)
	v1(x86asm.PMOVZXBW, vec.PmovzxBW)
	v1(x86asm.PMOVZXBD, vec.PmovzxBD)
	v1(x86asm.PMOVZXBQ, vec.PmovzxBQ)
	v1(x86asm.PMOVZXWD, vec.PmovzxWD)
	v1(x86asm.PMOVZXWQ, vec.PmovzxWQ)
	v1(x86asm.PMOVZXDQ, vec.PmovzxDQ)
	vecReg(VecSem{Kind: VecPtest, Name: "PTEST", Flag: vec.Ptest}, x86asm.PTEST)
	v2i(x86asm.INSERTPS, vec.InsertPS)
	ext(x86asm.EXTRACTPS, func(a vec.X, imm uint8) uint64 { return uint64(uint32(a[imm>>1&1] >> (32 * (imm & 1)))) })
	ins(x86asm.PINSRB, func(a vec.X, v uint64, imm uint8) vec.X { return vec.Pinsrb(a, uint8(v), imm) })
	ins(x86asm.PINSRD, func(a vec.X, v uint64, imm uint8) vec.X { return vec.Pinsrd(a, uint32(v), imm) })
	ins(x86asm.PINSRQ, vec.Pinsrq)
	ext(x86asm.PEXTRB, func(a vec.X, imm uint8) uint64 { return uint64(vec.Pextrb(a, imm)) })
	ext(x86asm.PEXTRD, func(a vec.X, imm uint8) uint64 { return uint64(vec.Pextrd(a, imm)) })
	ext(x86asm.PEXTRQ, vec.Pextrq)
	f1i(x86asm.ROUNDPS, vec.RoundPS)
	f1i(x86asm.ROUNDPD, vec.RoundPD)
	f2i(x86asm.ROUNDSS, vec.RoundSS)
	f2i(x86asm.ROUNDSD, vec.RoundSD)
	f2i(x86asm.DPPS, vec.DPPS)
	f2i(x86asm.DPPD, vec.DPPD)
	v2i(x86asm.MPSADBW, vec.MpsadBW)
	v1(x86asm.PHMINPOSUW, vec.PhminposUW)
	v1(x86asm.MOVNTDQA, func(a vec.X) vec.X { return a })

	// SSE4.2.
	v2(x86asm.PCMPGTQ, vec.PcmpgtQ)
	strI := func(a, b vec.X, la, lb int64, imm uint8) (uint32, uint32) { return vec.PcmpEstrI(a, b, la, lb, imm) }
	strM := func(a, b vec.X, la, lb int64, imm uint8) (vec.X, uint32) { return vec.PcmpEstrM(a, b, la, lb, imm) }
	vecReg(VecSem{Kind: VecStrI, Name: "PCMPESTRI", StrI: strI}, x86asm.PCMPESTRI)
	vecReg(VecSem{Kind: VecStrM, Name: "PCMPESTRM", StrM: strM}, x86asm.PCMPESTRM)
	vecReg(VecSem{Kind: VecStrI, Name: "PCMPISTRI", StrI: func(a, b vec.X, _, _ int64, imm uint8) (uint32, uint32) {
		return vec.PcmpIstrI(a, b, imm)
	}}, x86asm.PCMPISTRI)
	vecReg(VecSem{Kind: VecStrM, Name: "PCMPISTRM", StrM: func(a, b vec.X, _, _ int64, imm uint8) (vec.X, uint32) {
		return vec.PcmpIstrM(a, b, imm)
	}}, x86asm.PCMPISTRM)
	vecReg(VecSem{Kind: VecCrc32, Name: "CRC32"}, x86asm.CRC32)

	vecReg(VecSem{Kind: VecMovbe, Name: "MOVBE"}, x86asm.MOVBE)
	vecReg(VecSem{Kind: VecRdrand, Name: "RDRAND"}, x86asm.RDRAND)
	vecReg(VecSem{Kind: VecRdtscp, Name: "RDTSCP"}, x86asm.RDTSCP)

	// AES-NI, PCLMULQDQ and SHA.
	v2(x86asm.AESENC, vec.AesEnc)
	v2(x86asm.AESENCLAST, vec.AesEncLast)
	v2(x86asm.AESDEC, vec.AesDec)
	v2(x86asm.AESDECLAST, vec.AesDecLast)
	v1(x86asm.AESIMC, vec.AesImc)
	v1i(x86asm.AESKEYGENASSIST, vec.AesKeygenAssist)
	v2i(x86asm.PCLMULQDQ, vec.Pclmulqdq)
	v2(x86asm.SHA1MSG1, vec.Sha1Msg1)
	v2(x86asm.SHA1MSG2, vec.Sha1Msg2)
	v2(x86asm.SHA1NEXTE, vec.Sha1Nexte)
	v2i(x86asm.SHA1RNDS4, vec.Sha1Rnds4)
	v2(x86asm.SHA256MSG1, vec.Sha256Msg1)
	v2(x86asm.SHA256MSG2, vec.Sha256Msg2)
	b3(x86asm.SHA256RNDS2, vec.Sha256Rnds2)
}

// lowerVec lowers an OpVec: Dst and Src from the first two arguments
// (XMM registers, general registers or memory), an imm8 third argument
// into Imm, SSize the size of the memory operand or general register
// source, FlagAligned for a 16-byte legacy memory operand that must be
// aligned.
func lowerVec(l *lowerer, o *Op, e *lowering) error {
	dsz, ssz, err := l.vecArgs(o)
	if err != nil {
		return err
	}
	s := VecOps[e.sub]
	o.Code, o.Cond, o.Size, o.VL = OpVec, e.sub, 16, 16
	if len(l.inst.Args) > 2 && l.inst.Args[2] != nil {
		if r, ok := l.inst.Args[2].(x86asm.Reg); ok && r == x86asm.X0 && s.Kind == Vec3X0 {
			// the implicit xmm0 of blendv and sha256rnds2
		} else if err := l.imm8(o); err != nil {
			return err
		}
	}
	if o.Dst.Kind == KindMem || o.Src.Kind == KindMem {
		o.SSize = uint8(l.inst.MemBytes)
		if o.SSize == 0 {
			o.SSize = 16
		}
		if o.SSize == 16 && !vecUnaligned[l.inst.Op] {
			o.Flags |= FlagAligned
		}
	} else if o.Src.Kind == KindReg || o.Src.Kind == KindRegHi {
		o.SSize = ssz
	}
	switch s.Kind {
	case VecExtr:
		// Dst a general register (its size) or memory; Src an XMM register.
		if o.Src.Kind != KindVec || o.Dst.Kind == KindVec {
			return unsupported(l.inst)
		}
		o.Size = dsz
		if o.Dst.Kind == KindMem {
			o.Size = o.SSize
		}
	case VecInsr:
		if o.Dst.Kind != KindVec || o.Src.Kind == KindVec {
			return unsupported(l.inst)
		}
	case VecRdrand:
		if o.Dst.Kind == KindNone && l.mode == mm.Mode64 && l.rexW() {
			// x86asm drops the operand of rdrand r64; it is ModRM.rm
			// (the third opcode byte it keeps) extended by REX.B.
			o.Dst, dsz = Arg{Kind: KindReg, Reg: uint8(l.inst.Opcode>>8&7) | l.rexB()<<3}, 8
		}
		if o.Dst.Kind != KindReg {
			return unsupported(l.inst)
		}
		o.Size, o.VL = dsz, 0
		return nil
	case VecRdtscp:
		o.VL = 0
		return nil
	case VecMovbe:
		if (o.Dst.Kind == KindMem) == (o.Src.Kind == KindMem) || o.Dst.Kind == KindVec || o.Src.Kind == KindVec {
			return unsupported(l.inst)
		}
		o.Size, o.VL = l.opSize(max(dsz, ssz)), 0
		return nil
	case VecMaskMov:
		// The implicit destination [rDI] of the address size.
		if o.Dst.Kind != KindVec || o.Src.Kind != KindVec {
			return unsupported(l.inst)
		}
		o.M = Mem{Base: NoReg, Index: NoReg, ASize: uint8(l.inst.AddrSize / 8)}
		return nil
	case VecFxsave, VecFxrstor, VecXsave, VecXsavec, VecXrstor:
		if o.Dst.Kind != KindMem {
			return unsupported(l.inst)
		}
		o.Flags &^= FlagAligned // the instructions check their own alignment
	case VecXgetbv:
		o.VL = 0
		return nil
	case VecCvtI2F:
		if o.Dst.Kind != KindVec || o.Src.Kind == KindVec {
			return unsupported(l.inst)
		}
		if o.Src.Kind == KindReg {
			o.SSize = ssz
		}
		if o.SSize != 4 && o.SSize != 8 {
			return unsupported(l.inst)
		}
	case VecCvtF2I:
		if o.Dst.Kind != KindReg || (dsz != 4 && dsz != 8) {
			return unsupported(l.inst)
		}
		o.Size = dsz
	case VecCrc32:
		if o.Dst.Kind != KindReg || o.Src.Kind == KindVec {
			return unsupported(l.inst)
		}
		o.Size = dsz
		o.VL = 0
		if o.Src.Kind == KindReg {
			o.SSize = ssz
		}
	case VecStrI, VecStrM:
		if l.inst.Op == x86asm.PCMPESTRI || l.inst.Op == x86asm.PCMPESTRM {
			o.Rep = 1
			if l.rexW() {
				o.Rep = 2 // 64-bit lengths
			}
		}
		fallthrough
	default:
		if o.Dst.Kind != KindVec || o.Src.Kind == KindReg || o.Src.Kind == KindImm {
			return unsupported(l.inst)
		}
	}
	return nil
}

// rexB is the instruction's REX.B bit.
func (l *lowerer) rexB() uint8 {
	for _, p := range l.inst.Prefix {
		if p == 0 {
			break
		}
		if p.IsREX() && p&x86asm.PrefixREXB != 0 {
			return 1
		}
	}
	return 0
}

// rexW reports whether the instruction has REX.W.
func (l *lowerer) rexW() bool {
	for _, p := range l.inst.Prefix {
		if p == 0 {
			break
		}
		if p.IsREX() && p&x86asm.PrefixREXW != 0 {
			return true
		}
	}
	return false
}
