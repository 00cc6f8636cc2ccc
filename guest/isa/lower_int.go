package isa

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/guest/isa/decode"
	"github.com/minemu/minemu/mm"
)

// Lowering of the integer instructions beyond the base set: BMI1 and
// BMI2 (VEX-encoded, general registers only); ADX, RDSEED and RDPID
// (decoded by guest/isa/decode); far jmp, call, ret and iret; segment
// register pushes, pops and far-pointer loads; lar, lsl, verr, verw;
// rd/wr fs/gs base; the i386-only arpl, pusha, popa, BCD adjusts and
// salc; the instructions UMIP protects (smsw, sldt, str, sgdt, sidt),
// which Linux emulates; and clflush, int1 and invpcid.
//
// BMI operands are normalised so that an engine reads them the same way
// for every sub-operation: Dst the destination register (for mulx the
// high half), Src the ModRM r/m operand (a register or the memory
// operand), Src2 the VEX.vvvv register (for mulx the low half's
// destination; for andn, pdep and pext the first source) or, for rorx,
// the immediate. The operand size is 4 or 8: VEX.W selects 64 bits in
// 64-bit mode only and is ignored elsewhere.

// BMI sub-operations (Op.Cond of OpBmi).
const (
	BmiAndn uint8 = iota + 1
	BmiBextr
	BmiBlsi
	BmiBlsmsk
	BmiBlsr
	BmiBzhi
	BmiMulx
	BmiPdep
	BmiPext
	BmiRorx
	BmiSarx
	BmiShlx
	BmiShrx
)

// Far transfers (Op.Cond of OpFar).
const (
	FarJmp uint8 = iota
	FarCall
	FarRet
	FarIret // iret at CPL 3: rIP, CS, rFLAGS (and in 64-bit mode rSP, SS)
)

// UMIP-protected instructions (Op.Cond of OpUmip).
const (
	UmipSmsw uint8 = iota
	UmipSldt
	UmipStr
	UmipSgdt
	UmipSidt
)

// BCD adjusts and salc, the i386-only AL adjustments (Op.Cond of OpBcd).
const (
	BcdDaa uint8 = iota
	BcdDas
	BcdAaa
	BcdAas
	BcdSalc // AL = CF ? 0xff : 0, flags unchanged
)

// Selector inspection (Op.Cond of OpSegInfo).
const (
	SegInfoLar uint8 = iota
	SegInfoLsl
	SegInfoVerr
	SegInfoVerw
)

// FS and GS base access (Op.Cond of OpFsBase).
const (
	FsBaseRdFS uint8 = iota
	FsBaseRdGS
	FsBaseWrFS
	FsBaseWrGS
)

// Segment registers in encoding order (Op.Cond of the segment ops).
const (
	SegRegES uint8 = iota
	SegRegCS
	SegRegSS
	SegRegDS
	SegRegFS
	SegRegGS
)

func init() {
	for op, sub := range map[x86asm.Op]uint8{
		x86asm.ANDN: BmiAndn, x86asm.BEXTR: BmiBextr, x86asm.BLSI: BmiBlsi, x86asm.BLSMSK: BmiBlsmsk,
		x86asm.BLSR: BmiBlsr, x86asm.BZHI: BmiBzhi, x86asm.MULX: BmiMulx, x86asm.PDEP: BmiPdep,
		x86asm.PEXT: BmiPext, x86asm.RORX: BmiRorx, x86asm.SARX: BmiSarx, x86asm.SHLX: BmiShlx,
		x86asm.SHRX: BmiShrx,
	} {
		set(lowering{fn: lowerBmi, code: OpBmi, sub: sub}, op)
	}
	set(lowering{fn: lowerAdx, code: OpAdx, sub: 0}, decode.OpAdcx)
	set(lowering{fn: lowerAdx, code: OpAdx, sub: 1}, decode.OpAdox)
	set(lowering{fn: lowerRdpid, code: OpRdpid}, decode.OpRdpid)
	// RDSEED is RDRAND with another source: the same op.
	vecReg(VecSem{Kind: VecRdrand, Name: "RDSEED"}, decode.OpRdseed)
	set(lowering{fn: lowerFar, code: OpFar, sub: FarJmp}, x86asm.LJMP)
	set(lowering{fn: lowerFar, code: OpFar, sub: FarCall}, x86asm.LCALL)
	set(lowering{fn: lowerFar, code: OpFar, sub: FarRet}, x86asm.LRET)
	set(lowering{fn: lowerArpl, code: OpArpl}, x86asm.ARPL)
	set(lowering{fn: lowerUmip, code: OpUmip, sub: UmipSmsw}, x86asm.SMSW)
	set(lowering{fn: lowerUmip, code: OpUmip, sub: UmipSldt}, x86asm.SLDT)
	set(lowering{fn: lowerUmip, code: OpUmip, sub: UmipStr}, x86asm.STR)
	set(lowering{fn: lowerUmip, code: OpUmip, sub: UmipSgdt}, x86asm.SGDT)
	set(lowering{fn: lowerUmip, code: OpUmip, sub: UmipSidt}, x86asm.SIDT)
	set(lowering{fn: lowerLoadFar, code: OpLoadFar, sub: SegRegES}, x86asm.LES)
	set(lowering{fn: lowerLoadFar, code: OpLoadFar, sub: SegRegSS}, x86asm.LSS)
	set(lowering{fn: lowerLoadFar, code: OpLoadFar, sub: SegRegDS}, x86asm.LDS)
	set(lowering{fn: lowerLoadFar, code: OpLoadFar, sub: SegRegFS}, x86asm.LFS)
	set(lowering{fn: lowerLoadFar, code: OpLoadFar, sub: SegRegGS}, x86asm.LGS)
	set(lowering{fn: lowerStackFixed, code: OpPusha}, x86asm.PUSHA, x86asm.PUSHAD)
	set(lowering{fn: lowerStackFixed, code: OpPopa}, x86asm.POPA, x86asm.POPAD)
	set(lowering{fn: lowerFixed, code: OpBcd, sub: BcdDaa}, x86asm.DAA)
	set(lowering{fn: lowerFixed, code: OpBcd, sub: BcdDas}, x86asm.DAS)
	set(lowering{fn: lowerFixed, code: OpBcd, sub: BcdAaa}, x86asm.AAA)
	set(lowering{fn: lowerFixed, code: OpBcd, sub: BcdAas}, x86asm.AAS)
	set(lowering{fn: lowerFixed, code: OpBcd, sub: BcdSalc}, decode.OpSalc)
	set(lowering{fn: lowerSegInfo, code: OpSegInfo, sub: SegInfoLar}, x86asm.LAR)
	set(lowering{fn: lowerSegInfo, code: OpSegInfo, sub: SegInfoLsl}, x86asm.LSL)
	set(lowering{fn: lowerSegInfo, code: OpSegInfo, sub: SegInfoVerr}, x86asm.VERR)
	set(lowering{fn: lowerSegInfo, code: OpSegInfo, sub: SegInfoVerw}, x86asm.VERW)
	set(lowering{fn: lowerFsBase, code: OpFsBase, sub: FsBaseRdFS}, x86asm.RDFSBASE)
	set(lowering{fn: lowerFsBase, code: OpFsBase, sub: FsBaseRdGS}, x86asm.RDGSBASE)
	set(lowering{fn: lowerFsBase, code: OpFsBase, sub: FsBaseWrFS}, x86asm.WRFSBASE)
	set(lowering{fn: lowerFsBase, code: OpFsBase, sub: FsBaseWrGS}, x86asm.WRGSBASE)
	set(lowering{fn: lowerFar, code: OpFar, sub: FarIret}, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ)
	// clflush keeps no cache state minemu models: a no-op. int1 (icebp)
	// traps like int3 (SIGTRAP past it). invpcid is privileged.
	set(lowering{fn: lowerFixed, code: OpNop}, x86asm.CLFLUSH)
	set(lowering{fn: lowerFixed, code: OpInt3}, x86asm.ICEBP)
	set(lowering{fn: lowerGP, code: OpGP}, x86asm.INVPCID)
}

// gpr converts argument i, which must be a general register, and returns
// its number.
func (l *lowerer) gpr(o *Op, i int) (Arg, error) {
	a, _, err := l.arg(o, i)
	if err == nil && a.Kind != KindReg {
		err = unsupported(l.inst)
	}
	return a, err
}

// lowerBmi lowers the VEX-encoded BMI1 and BMI2 instructions into the
// operand order of the package comment.
func lowerBmi(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = OpBmi, e.sub
	src, src2 := 1, 2 // x86asm's argument order: r, r/m, vvvv|imm
	switch e.sub {
	case BmiAndn, BmiPdep, BmiPext, BmiMulx: // r, vvvv, r/m
		src, src2 = 2, 1
	case BmiBlsi, BmiBlsmsk, BmiBlsr: // vvvv, r/m
		src2 = -1
	}
	var err error
	if o.Dst, err = l.gpr(o, 0); err != nil {
		return err
	}
	if o.Src, _, err = l.arg(o, src); err != nil {
		return err
	}
	if o.Src.Kind != KindReg && o.Src.Kind != KindMem {
		return unsupported(l.inst)
	}
	if src2 >= 0 {
		if e.sub == BmiRorx {
			if o.Src2, _, err = l.arg(o, src2); err != nil || o.Src2.Kind != KindImm {
				return unsupported(l.inst)
			}
			o.Imm &= 0xff
		} else if o.Src2, err = l.gpr(o, src2); err != nil {
			return err
		}
	}
	o.Size = 4
	if l.mode == mm.Mode64 && l.inst.DataSize == 64 {
		o.Size = 8
	}
	return nil
}

// lowerAdx: adcx and adox r32/r64, r/m.
func lowerAdx(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = OpAdx, e.sub
	sz, _, err := l.args(o, 2)
	if err != nil {
		return err
	}
	if o.Dst.Kind != KindReg || (sz != 4 && sz != 8) || (o.Src.Kind != KindReg && o.Src.Kind != KindMem) {
		return unsupported(l.inst)
	}
	o.Size = sz
	return nil
}

// lowerRdpid: rdpid r32 (32-bit mode) or r64 (64-bit mode).
func lowerRdpid(l *lowerer, o *Op, e *lowering) error {
	o.Code = OpRdpid
	var err error
	o.Dst, err = l.gpr(o, 0)
	o.Size = modeStack(l.mode)
	return err
}

// lowerFar: far jmp and call, direct (ptr16:16/32: Src KindImm, Imm the
// offset in its low 32 bits and the selector in bits 32..47) or through
// memory (m16:16/32/64: Src the memory operand), and far ret (Imm the
// bytes to release). Size is the operand size: the offset's width and,
// for call and ret, the width of both stack slots.
func lowerFar(l *lowerer, o *Op, e *lowering) error {
	inst := l.inst
	o.Code, o.Cond = OpFar, e.sub
	o.Size = uint8(inst.DataSize / 8)
	if o.Size != 2 && o.Size != 4 && o.Size != 8 {
		return unsupported(inst)
	}
	if e.sub == FarIret {
		return nil
	}
	if e.sub == FarRet {
		if imm, ok := inst.Args[0].(x86asm.Imm); ok {
			o.Imm = uint64(imm) & 0xffff
		}
		return nil
	}
	if sel, ok := inst.Args[0].(x86asm.Imm); ok {
		off, ok := inst.Args[1].(x86asm.Imm)
		if !ok || l.mode == mm.Mode64 {
			return unsupported(inst)
		}
		o.Src = Arg{Kind: KindImm}
		o.Imm = uint64(off)&sizeMaskOf(o.Size) | (uint64(sel)&0xffff)<<32
		return nil
	}
	var err error
	o.Src, _, err = l.arg(o, 0)
	if err == nil && o.Src.Kind != KindMem {
		return unsupported(inst) // the register form is #UD
	}
	return err
}

// sizeMaskOf masks a value to n bytes (n 1, 2, 4 or 8).
func sizeMaskOf(n uint8) uint64 {
	if n >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*n) - 1
}

// lowerArpl: arpl r/m16, r16 (x86asm decodes 63 as arpl in 32-bit mode
// only; in 64-bit mode it is movsxd).
func lowerArpl(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = OpArpl, 2
	if _, _, err := l.args(o, 2); err != nil {
		return err
	}
	if l.mode != mm.Mode32 || (o.Dst.Kind != KindReg && o.Dst.Kind != KindMem) || o.Src.Kind != KindReg {
		return unsupported(l.inst)
	}
	return nil
}

// lowerUmip: smsw, sldt and str to a register (Size the operand size) or
// to memory (Size 2), sgdt and sidt to memory (Size 10 in 64-bit mode,
// else 6: the limit and the base).
func lowerUmip(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = OpUmip, e.sub
	a, sz, err := l.arg(o, 0)
	if err != nil {
		return err
	}
	o.Dst = a
	switch {
	case e.sub == UmipSgdt || e.sub == UmipSidt:
		if a.Kind != KindMem {
			return unsupported(l.inst)
		}
		o.Size = 6
		if l.mode == mm.Mode64 {
			o.Size = 10
		}
	case a.Kind == KindMem:
		o.Size = 2
	case a.Kind == KindReg:
		o.Size = sz
	default:
		return unsupported(l.inst)
	}
	return nil
}

// lowerPushSeg: push es, cs, ss, ds (32-bit mode), fs, gs.
func lowerPushSeg(l *lowerer, o *Op) error {
	r := l.inst.Args[0].(x86asm.Reg)
	o.Code, o.Cond, o.Size = OpPushSeg, uint8(r-x86asm.ES), l.stackSize()
	return nil
}

// lowerPopSeg: pop es, ss, ds (32-bit mode), fs, gs.
func lowerPopSeg(l *lowerer, o *Op) error {
	r := l.inst.Args[0].(x86asm.Reg)
	o.Code, o.Cond, o.Size = OpPopSeg, uint8(r-x86asm.ES), l.stackSize()
	if o.Cond == SegRegCS {
		return unsupported(l.inst)
	}
	return nil
}

// lowerLoadFar: lds, les (32-bit mode), lfs, lgs, lss r, m16:16/32/64.
func lowerLoadFar(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = OpLoadFar, e.sub
	sz, _, err := l.args(o, 2)
	if err != nil {
		return err
	}
	if o.Dst.Kind != KindReg || o.Src.Kind != KindMem || (sz != 2 && sz != 4 && sz != 8) {
		return unsupported(l.inst)
	}
	o.Size = sz
	return nil
}

// lowerSegInfo: lar and lsl r, r/m16; verr and verw r/m16 (Src the
// selector, Size the destination's).
func lowerSegInfo(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = OpSegInfo, e.sub
	i := 0
	if e.sub == SegInfoLar || e.sub == SegInfoLsl {
		var err error
		if o.Dst, err = l.gpr(o, 0); err != nil {
			return err
		}
		_, sz, _ := l.arg(o, 0)
		o.Size = sz
		i = 1
	}
	var err error
	if o.Src, _, err = l.arg(o, i); err != nil {
		return err
	}
	if o.Src.Kind != KindReg && o.Src.Kind != KindMem {
		return unsupported(l.inst)
	}
	return nil
}

// lowerFsBase: rdfsbase, rdgsbase, wrfsbase, wrgsbase r32/r64 (64-bit
// mode only; elsewhere the encoding is #UD). Imm is the x86asm op, which
// the #GP of a non-canonical base names.
func lowerFsBase(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = OpFsBase, e.sub
	if l.mode != mm.Mode64 {
		return unsupported(l.inst)
	}
	var err error
	o.Dst, err = l.gpr(o, 0)
	_, o.Size, _ = l.arg(o, 0)
	o.Imm = uint64(l.inst.Op) // names the instruction in a #GP report
	if err == nil && o.Size != 4 && o.Size != 8 {
		return unsupported(l.inst)
	}
	return err
}
