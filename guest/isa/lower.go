package isa

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa/decode"
	"github.com/minemu/minemu/mm"
)

// Lowering.
//
// One table, indexed by the decoded instruction's x86asm.Op (minemu's own
// instructions follow x86asm's ops, see decode.OpThunk), says how every
// supported instruction becomes an Op: the family function that reads the
// operands, and the parameters the family needs (the opcode, a
// sub-operation or condition code, a fixed size, a detail). An op the
// table does not list is unsupported: the lowering error names the
// instruction and the engine makes it an invalid-opcode op, which kills
// the guest with SIGILL only if it is reached. After the family, Lower
// sets what every op has: Form, the lock flag, the vector length.

// lowering is a table entry.
type lowering struct {
	// fn lowers the instruction into o; nil means unsupported.
	fn func(l *lowerer, o *Op, e *lowering) error
	// code is the opcode most families give the op.
	code Opcode
	// sub is the sub-operation or condition code (Op.Cond), size a size
	// the mnemonic fixes (string element, scalar or lane width), aux a
	// family detail (see each family).
	sub, size, aux uint8
	// fam says which register files the instruction's operands may name:
	// famInt ones only general registers (anything else is unsupported).
	fam uint8
}

const (
	famInt uint8 = iota
	famSSE
	famX87
)

// table is the lowering table (filled by init, read-only afterwards).
var table [decode.NumOps]lowering

// set enters ops into the table with entry e.
func set(e lowering, ops ...x86asm.Op) {
	for _, op := range ops {
		if table[op].fn != nil {
			panic(fmt.Sprintf("isa: %v lowered twice", op))
		}
		table[op] = e
	}
}

// lowerError is why an instruction could not be lowered.
type lowerError struct{ msg string }

func (e *lowerError) Error() string { return e.msg }

func unsupported(inst *x86asm.Inst) error {
	return &lowerError{msg: fmt.Sprintf("unsupported instruction %q", x86asm.IntelSyntax(*inst, 0, nil))}
}

// regOf maps a decoder register to (kind, number, size).
func regOf(r x86asm.Reg) (Kind, uint8, uint8, bool) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return KindReg, uint8(r - x86asm.AL), 1, true
	case r >= x86asm.AH && r <= x86asm.BH:
		return KindRegHi, uint8(r - x86asm.AH), 1, true
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return KindReg, uint8(r-x86asm.SPB) + 4, 1, true
	case r >= x86asm.AX && r <= x86asm.R15W:
		return KindReg, uint8(r - x86asm.AX), 2, true
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return KindReg, uint8(r - x86asm.EAX), 4, true
	case r >= x86asm.RAX && r <= x86asm.R15:
		return KindReg, uint8(r - x86asm.RAX), 8, true
	}
	return KindNone, 0, 0, false
}

// lowerer converts one decoded instruction.
type lowerer struct {
	inst *x86asm.Inst
	pc   uint64
	mode mm.Mode
}

// ipMask masks instruction addresses: 32 bits in Mode32.
func (l *lowerer) ipMask() uint64 {
	if l.mode == mm.Mode32 {
		return 0xffffffff
	}
	return ^uint64(0)
}

// arg converts argument i into o's operand form: a register, an immediate
// (its value to o.Imm) or the memory operand (its address to o.M and
// o.Disp). size is the register size (0 for none, immediates and memory).
func (l *lowerer) arg(o *Op, i int) (Arg, uint8, error) {
	switch a := l.inst.Args[i].(type) {
	case nil:
		return Arg{}, 0, nil
	case x86asm.Reg:
		k, r, sz, ok := regOf(a)
		if !ok {
			return Arg{}, 0, unsupported(l.inst)
		}
		return Arg{Kind: k, Reg: r}, sz, nil
	case x86asm.Imm:
		o.Imm = uint64(int64(a))
		return Arg{Kind: KindImm}, 0, nil
	case x86asm.Mem:
		return l.mem(o, a)
	case x86asm.Rel:
		o.Imm = (l.pc + uint64(l.inst.Len) + uint64(int64(a))) & l.ipMask()
		return Arg{Kind: KindImm}, 0, nil
	}
	return Arg{}, 0, unsupported(l.inst)
}

// mem puts the address of memory operand m into o.M and o.Disp.
func (l *lowerer) mem(o *Op, m x86asm.Mem) (Arg, uint8, error) {
	o.M = Mem{Base: NoReg, Index: NoReg, ASize: uint8(l.inst.AddrSize / 8)}
	o.Disp = uint64(m.Disp)
	if op := l.inst.Opcode >> 24; o.M.ASize == 8 && (op < 0xa0 || op > 0xa3) {
		// A displacement is at most 32 bits, sign-extended; x86asm
		// returns some (no base register) zero-extended. Only the moffs
		// forms of mov (A0..A3) carry a full 64-bit address.
		o.Disp = uint64(int64(int32(m.Disp)))
	}
	switch m.Segment {
	case x86asm.FS:
		o.M.Seg = SegFS
	case x86asm.GS:
		o.M.Seg = SegGS
	}
	switch {
	case m.Base == 0:
	case m.Base == x86asm.RIP || m.Base == x86asm.EIP || m.Base == x86asm.IP:
		o.Disp = (l.pc + uint64(l.inst.Len) + o.Disp) & addrMask[o.M.ASize]
	default:
		k, r, _, ok := regOf(m.Base)
		if !ok || k != KindReg {
			return Arg{}, 0, unsupported(l.inst)
		}
		o.M.Base = r
	}
	if m.Index != 0 {
		k, r, _, ok := regOf(m.Index)
		if !ok || k != KindReg {
			return Arg{}, 0, unsupported(l.inst)
		}
		o.M.Index = r
		switch m.Scale {
		case 1:
		case 2:
			o.M.Scale = 1
		case 4:
			o.M.Scale = 2
		case 8:
			o.M.Scale = 3
		default:
			return Arg{}, 0, unsupported(l.inst)
		}
	}
	if o.M.ASize != 2 && o.M.ASize != 4 && o.M.ASize != 8 {
		return Arg{}, 0, unsupported(l.inst)
	}
	return Arg{Kind: KindMem}, 0, nil
}

// args converts the first n arguments into Dst, Src and Src2 and returns
// the register size of the first two (0 where not a register).
func (l *lowerer) args(o *Op, n int) (dsz, ssz uint8, err error) {
	dst := [3]*Arg{&o.Dst, &o.Src, &o.Src2}
	var sz [3]uint8
	for i := 0; i < n; i++ {
		if *dst[i], sz[i], err = l.arg(o, i); err != nil {
			return 0, 0, err
		}
	}
	return sz[0], sz[1], nil
}

// opSize is the operand size: the register size of the first register
// operand, else the memory operand size, else the data size.
func (l *lowerer) opSize(sz uint8) uint8 {
	if sz != 0 {
		return sz
	}
	switch l.inst.MemBytes {
	case 1, 2, 4, 8:
		return uint8(l.inst.MemBytes)
	}
	return uint8(l.inst.DataSize / 8)
}

// stackSize is the size of a push/pop/call/ret slot.
func (l *lowerer) stackSize() uint8 {
	if l.inst.DataSize == 16 {
		return 2
	}
	return modeStack(l.mode)
}

func modeStack(mode mm.Mode) uint8 {
	if mode == mm.Mode64 {
		return 8
	}
	return 4
}

func hasPrefix(inst *x86asm.Inst, p x86asm.Prefix) bool {
	for _, q := range inst.Prefix {
		if q == 0 {
			break
		}
		if q&0xff == p&0xff {
			return true
		}
	}
	return false
}

// Lower converts inst at pc into an op.
func Lower(inst *x86asm.Inst, pc uint64, mode mm.Mode) (Op, error) {
	o := Op{PC: pc, Len: uint8(inst.Len)}
	for _, a := range inst.Args {
		if r, ok := a.(x86asm.Reg); ok && r >= x86asm.Y0 && r <= x86asm.Y15 {
			o.VL = 32 // VEX.L: 256-bit vectors
		}
	}
	if isMMX(inst) {
		if err := lowerMMX(&lowerer{inst: inst, pc: pc, mode: mode}, &o); err != nil {
			return o, err
		}
		o.Form = FormOf(o.Dst.Kind, o.Src.Kind, o.Src2.Kind)
		if o.Dst.Kind == KindVec || o.Src.Kind == KindVec {
			o.VL = 16
		}
		return o, nil
	}
	if uint(inst.Op) >= uint(len(table)) || table[inst.Op].fn == nil {
		return o, unsupported(inst)
	}
	e := &table[inst.Op]
	if o.VL == 32 && e.fam != famVEX {
		return o, unsupported(inst)
	}
	l := &lowerer{inst: inst, pc: pc, mode: mode}
	for _, a := range inst.Args {
		if r, ok := a.(x86asm.Reg); ok && e.fam == famInt && r >= x86asm.F0 && r < x86asm.ES {
			return o, unsupported(inst) // x87, MMX, SSE and AVX registers in an integer instruction
		}
	}
	if err := e.fn(l, &o, e); err != nil {
		return o, err
	}
	o.Form = FormOf(o.Dst.Kind, o.Src.Kind, o.Src2.Kind)
	if (o.Dst.Kind == KindVec || o.Src.Kind == KindVec) && e.fam != famVEX {
		o.VL = 16
	}
	if hasPrefix(inst, x86asm.PrefixLOCK) {
		o.Flags |= FlagLock
	}
	if atomicOps[o.Code] && (o.Flags&FlagLock != 0 || o.Code == OpXchg) && (o.Dst.Kind == KindMem || o.Src.Kind == KindMem) {
		o.Cond, o.Code = uint8(o.Code), OpAtomic
	}
	return o, nil
}

// atomicOps are the opcodes that become OpAtomic with a memory operand
// when locked: those the LOCK prefix is allowed on (the decoder refuses
// it elsewhere), and xchg, which is locked without one. Each is below 256,
// so that OpAtomic's Cond can name it (checked in init).
var atomicOps = [NumOpcodes]bool{
	OpAdd: true, OpOr: true, OpAdc: true, OpSbb: true, OpAnd: true, OpSub: true, OpXor: true,
	OpInc: true, OpDec: true, OpNeg: true, OpNot: true, OpBts: true, OpBtr: true, OpBtc: true,
	OpXchg: true, OpXadd: true, OpCmpxchg: true, OpCmpxchg8b: true, OpCmpxchg16b: true,
}

func init() {
	for code, ok := range atomicOps {
		if ok && code > 0xff {
			panic(fmt.Sprintf("isa: opcode %d does not fit OpAtomic's Cond", code))
		}
	}
}

func init() {
	// Condition-code families: jcc, setcc, cmovcc with the condition in
	// encoding order.
	cc := [16][3]x86asm.Op{
		{x86asm.JO, x86asm.SETO, x86asm.CMOVO}, {x86asm.JNO, x86asm.SETNO, x86asm.CMOVNO},
		{x86asm.JB, x86asm.SETB, x86asm.CMOVB}, {x86asm.JAE, x86asm.SETAE, x86asm.CMOVAE},
		{x86asm.JE, x86asm.SETE, x86asm.CMOVE}, {x86asm.JNE, x86asm.SETNE, x86asm.CMOVNE},
		{x86asm.JBE, x86asm.SETBE, x86asm.CMOVBE}, {x86asm.JA, x86asm.SETA, x86asm.CMOVA},
		{x86asm.JS, x86asm.SETS, x86asm.CMOVS}, {x86asm.JNS, x86asm.SETNS, x86asm.CMOVNS},
		{x86asm.JP, x86asm.SETP, x86asm.CMOVP}, {x86asm.JNP, x86asm.SETNP, x86asm.CMOVNP},
		{x86asm.JL, x86asm.SETL, x86asm.CMOVL}, {x86asm.JGE, x86asm.SETGE, x86asm.CMOVGE},
		{x86asm.JLE, x86asm.SETLE, x86asm.CMOVLE}, {x86asm.JG, x86asm.SETG, x86asm.CMOVG},
	}
	for c, n := range cc {
		set(lowering{fn: lowerJcc, code: OpJcc, sub: uint8(c)}, n[0])
		set(lowering{fn: lowerSetcc, code: OpSet, sub: uint8(c)}, n[1])
		set(lowering{fn: lowerCmov, code: OpCmov, sub: uint8(c)}, n[2])
	}
	for op, code := range map[x86asm.Op]Opcode{
		x86asm.ADD: OpAdd, x86asm.OR: OpOr, x86asm.ADC: OpAdc, x86asm.SBB: OpSbb, x86asm.AND: OpAnd,
		x86asm.SUB: OpSub, x86asm.XOR: OpXor, x86asm.CMP: OpCmp, x86asm.TEST: OpTest,
		x86asm.INC: OpInc, x86asm.DEC: OpDec, x86asm.NEG: OpNeg, x86asm.NOT: OpNot,
		x86asm.MUL: OpMul, x86asm.DIV: OpDiv, x86asm.IDIV: OpIdiv,
		x86asm.SHL: OpShl, x86asm.SHR: OpShr, x86asm.SAR: OpSar, x86asm.ROL: OpRol, x86asm.ROR: OpRor,
		x86asm.RCL: OpRcl, x86asm.RCR: OpRcr, x86asm.SHLD: OpShld, x86asm.SHRD: OpShrd,
		x86asm.BT: OpBt, x86asm.BTS: OpBts, x86asm.BTR: OpBtr, x86asm.BTC: OpBtc,
		x86asm.BSF: OpBsf, x86asm.BSR: OpBsr, x86asm.TZCNT: OpTzcnt, x86asm.LZCNT: OpLzcnt, x86asm.POPCNT: OpPopcnt,
		x86asm.MOVZX: OpMovzx, x86asm.MOVSX: OpMovsx, x86asm.MOVSXD: OpMovsx,
		x86asm.LEA: OpLea, x86asm.XCHG: OpXchg, x86asm.BSWAP: OpBswap, x86asm.XADD: OpXadd, x86asm.CMPXCHG: OpCmpxchg,
	} {
		set(lowering{fn: lowerSimple, code: code}, op)
	}
	set(lowering{fn: lowerMov, code: OpMov}, x86asm.MOV)
	// Instructions without operands the op needs.
	for op, code := range map[x86asm.Op]Opcode{
		x86asm.NOP: OpNop, x86asm.PAUSE: OpNop, x86asm.MFENCE: OpNop, x86asm.LFENCE: OpNop, x86asm.SFENCE: OpNop,
		x86asm.PREFETCHNTA: OpNop, x86asm.PREFETCHT0: OpNop, x86asm.PREFETCHT1: OpNop, x86asm.PREFETCHT2: OpNop,
		x86asm.PREFETCHW: OpNop, decode.OpEndbr: OpNop, decode.OpRdssp: OpNop,
		x86asm.LAHF: OpLahf, x86asm.SAHF: OpSahf, x86asm.CLC: OpClc, x86asm.STC: OpStc, x86asm.CMC: OpCmc,
		x86asm.CLD: OpCld, x86asm.STD: OpStd, x86asm.CPUID: OpCpuid, x86asm.RDTSC: OpRdtsc,
		x86asm.UD2: OpUd2, x86asm.UD1: OpUd2, x86asm.UD0: OpUd2, x86asm.INTO: OpInto, decode.OpTrap: OpTrap,
	} {
		set(lowering{fn: lowerFixed, code: code}, op)
	}
	set(lowering{fn: lowerFixed, code: OpFninit}, x86asm.FNINIT)
	set(lowering{fn: lowerFixed, code: OpFninit, sub: 1}, x86asm.FNCLEX)
	set(lowering{fn: lowerThunk, code: OpThunk}, decode.OpThunk)
	// Privileged, or I/O with IOPL 0 and no I/O permission bitmap: #GP
	// at CPL 3, which Linux reports as SIGSEGV (XSETBV too: XSAVE is
	// reported; XSAVES and XRSTORS are not, so they are invalid opcodes).
	set(lowering{fn: lowerGP, code: OpGP},
		x86asm.HLT, x86asm.CLI, x86asm.STI, x86asm.IN, x86asm.OUT, x86asm.INSB, x86asm.INSW, x86asm.INSD,
		x86asm.OUTSB, x86asm.OUTSW, x86asm.OUTSD, x86asm.RDMSR, x86asm.WRMSR, x86asm.RDPMC, x86asm.CLTS,
		x86asm.INVD, x86asm.WBINVD, x86asm.INVLPG, x86asm.LGDT, x86asm.LIDT, x86asm.LLDT, x86asm.LTR,
		x86asm.LMSW, x86asm.SWAPGS, x86asm.SYSRET, x86asm.SYSEXIT, x86asm.XSETBV)
	set(lowering{fn: lowerImul}, x86asm.IMUL)
	set(lowering{fn: lowerPush, code: OpPush}, x86asm.PUSH)
	set(lowering{fn: lowerPop, code: OpPop}, x86asm.POP)
	set(lowering{fn: lowerStackFixed, code: OpPushf}, x86asm.PUSHF, x86asm.PUSHFD, x86asm.PUSHFQ)
	set(lowering{fn: lowerStackFixed, code: OpPopf}, x86asm.POPF, x86asm.POPFD, x86asm.POPFQ)
	set(lowering{fn: lowerDataSized, code: OpCbw}, x86asm.CBW, x86asm.CWDE, x86asm.CDQE)
	set(lowering{fn: lowerDataSized, code: OpCwd}, x86asm.CWD, x86asm.CDQ, x86asm.CQO)
	set(lowering{fn: lowerXlat, code: OpXlat}, x86asm.XLATB)
	set(lowering{fn: lowerJmpCall, code: OpJmp}, x86asm.JMP)
	set(lowering{fn: lowerJmpCall, code: OpCall}, x86asm.CALL)
	set(lowering{fn: lowerRet, code: OpRet}, x86asm.RET)
	set(lowering{fn: lowerLoop, code: OpLoop, sub: LoopAlways}, x86asm.LOOP)
	set(lowering{fn: lowerLoop, code: OpLoop, sub: LoopE}, x86asm.LOOPE)
	set(lowering{fn: lowerLoop, code: OpLoop, sub: LoopNE}, x86asm.LOOPNE)
	set(lowering{fn: lowerLoop, code: OpJcxz}, x86asm.JCXZ, x86asm.JECXZ, x86asm.JRCXZ)
	set(lowering{fn: lowerEnter, code: OpEnter}, x86asm.ENTER)
	set(lowering{fn: lowerStackFixed, code: OpLeave}, x86asm.LEAVE)
	for code, ops := range map[Opcode][4]x86asm.Op{
		OpMovs: {x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ},
		OpStos: {x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ},
		OpLods: {x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ},
		OpCmps: {x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ},
		OpScas: {x86asm.SCASB, x86asm.SCASW, x86asm.SCASD, x86asm.SCASQ},
	} {
		for i, op := range ops {
			set(lowering{fn: lowerString, code: code, size: 1 << i}, op)
		}
	}
	set(lowering{fn: lowerCmpxchgWide, code: OpCmpxchg8b, size: 8}, x86asm.CMPXCHG8B)
	set(lowering{fn: lowerCmpxchgWide, code: OpCmpxchg16b, size: 16}, x86asm.CMPXCHG16B)
	set(lowering{fn: lowerFPUWord, code: OpFnstcw}, x86asm.FNSTCW)
	set(lowering{fn: lowerFPUWord, code: OpFldcw}, x86asm.FLDCW)
	set(lowering{fn: lowerFPUWord, code: OpFnstsw}, x86asm.FNSTSW)
	set(lowering{fn: lowerBound, code: OpBound}, x86asm.BOUND)
	set(lowering{fn: lowerAam, code: OpAam}, x86asm.AAM)
	set(lowering{fn: lowerAam, code: OpAam, sub: 1}, x86asm.AAD)
	set(lowering{fn: lowerInt}, x86asm.INT)
	set(lowering{fn: lowerSyscall, code: OpSyscall}, x86asm.SYSCALL)
	initSSE()
	initX87()
}

// lowerJcc: jcc rel; Imm is the target.
func lowerJcc(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = e.code, e.sub
	_, _, err := l.args(o, 1)
	return err
}

// lowerSetcc: setcc r/m8.
func lowerSetcc(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond, o.Size = e.code, e.sub, 1
	_, _, err := l.args(o, 1)
	return err
}

// lowerCmov: cmovcc r, r/m.
func lowerCmov(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = e.code, e.sub
	sz, _, err := l.args(o, 2)
	o.Size = sz
	return err
}

// lowerMov: mov, including the forms with segment registers and the
// privileged ones with control and debug registers.
func lowerMov(l *lowerer, o *Op, e *lowering) error {
	inst := l.inst
	for _, a := range inst.Args {
		if r, ok := a.(x86asm.Reg); ok && (r >= x86asm.CR0 && r <= x86asm.CR15 || r >= x86asm.DR0 && r <= x86asm.DR15) {
			o.Code, o.Imm = OpGP, uint64(inst.Op) // a control or debug register: privileged
			return nil
		}
	}
	if r, ok := inst.Args[0].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
		o.Code, o.Cond, o.Size = OpMovToSeg, uint8(r-x86asm.ES), 2
		var err error
		o.Src, _, err = l.arg(o, 1)
		return err
	}
	if r, ok := inst.Args[1].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
		o.Code, o.Cond = OpMovFromSeg, uint8(r-x86asm.ES)
		var sz uint8
		var err error
		o.Dst, sz, err = l.arg(o, 0)
		o.Size = l.opSize(sz)
		if o.Dst.Kind == KindMem {
			o.Size = 2 // a selector store is always 16 bits
		}
		return err
	}
	return lowerSimple(l, o, e)
}

// lowerSimple lowers the instructions of the form op dst[, src[, third]].
func lowerSimple(l *lowerer, o *Op, e *lowering) error {
	inst := l.inst
	code := e.code
	o.Code = code
	sz, ssz, err := l.args(o, 2)
	if err != nil {
		return err
	}
	o.Size = l.opSize(sz)
	if o.Dst.Kind == KindNone {
		return unsupported(inst)
	}
	switch code {
	case OpMovzx, OpMovsx:
		if ssz == 0 {
			ssz = uint8(inst.MemBytes)
		}
		o.SSize = ssz
		if o.SSize != 1 && o.SSize != 2 && o.SSize != 4 {
			return unsupported(inst)
		}
	case OpLea:
		if o.Src.Kind != KindMem {
			return unsupported(inst)
		}
	case OpShld, OpShrd:
		third, _, err := l.arg(o, 2)
		if err != nil {
			return err
		}
		if third.Kind == KindReg { // count in CL
			third.Reg = uint8(cpu.RCX)
		} else if third.Kind != KindImm {
			return unsupported(inst)
		}
		o.Src2 = third
	case OpMul, OpDiv, OpIdiv, OpNeg, OpNot, OpInc, OpDec, OpBswap:
		if o.Src.Kind != KindNone {
			return unsupported(inst)
		}
		if code == OpMul || code == OpDiv || code == OpIdiv {
			o.Src, o.Dst = o.Dst, Arg{Kind: KindReg, Reg: uint8(cpu.RAX)} // the operand is the source
		}
	}
	if o.Size != 1 && o.Size != 2 && o.Size != 4 && o.Size != 8 {
		return unsupported(inst)
	}
	return nil
}

// lowerFixed: instructions whose op needs nothing but the opcode (and the
// sub-operation).
func lowerFixed(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = e.code, e.sub
	return nil
}

// lowerThunk: the thunk stub. The code cache resolves the hash into Imm.
func lowerThunk(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = OpThunk, modeStack(l.mode)
	return nil
}

// lowerGP: an instruction user mode may not execute; Imm names it.
func lowerGP(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Imm = OpGP, uint64(l.inst.Op)
	return nil
}

// lowerImul: the one-, two- and three-operand forms.
func lowerImul(l *lowerer, o *Op, e *lowering) error {
	inst := l.inst
	sz, _, err := l.args(o, 1)
	if err != nil {
		return err
	}
	o.Size = l.opSize(sz)
	switch {
	case inst.Args[1] == nil:
		o.Code, o.Src, o.Dst = OpImul1, o.Dst, Arg{}
	case inst.Args[2] == nil:
		o.Code = OpImul2
		o.Src, _, err = l.arg(o, 1)
	default:
		o.Code = OpImul3
		if o.Src, _, err = l.arg(o, 1); err == nil {
			o.Src2, _, err = l.arg(o, 2)
		}
	}
	return err
}

func isSegReg(a x86asm.Arg) bool {
	r, ok := a.(x86asm.Reg)
	return ok && r >= x86asm.ES && r <= x86asm.GS
}

// lowerPush: push r/m/imm; segment registers in lower_int.go.
func lowerPush(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = OpPush, l.stackSize()
	if isSegReg(l.inst.Args[0]) {
		return lowerPushSeg(l, o)
	}
	var err error
	o.Src, _, err = l.arg(o, 0)
	return err
}

// lowerPop: pop r/m; segment registers in lower_int.go.
func lowerPop(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = OpPop, l.stackSize()
	if isSegReg(l.inst.Args[0]) {
		return lowerPopSeg(l, o)
	}
	var err error
	o.Dst, _, err = l.arg(o, 0)
	return err
}

// lowerStackFixed: pushf, popf, leave: the stack slot size only.
func lowerStackFixed(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = e.code, l.stackSize()
	return nil
}

// lowerDataSized: cbw/cwde/cdqe, cwd/cdq/cqo: the data size only.
func lowerDataSized(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = e.code, uint8(l.inst.DataSize/8)
	return nil
}

// lowerXlat: xlat [rBX + AL] with its address size and segment.
func lowerXlat(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = OpXlat, 1
	var err error
	o.Src, _, err = l.arg(o, 0)
	return err
}

// lowerJmpCall: jmp and call, relative (Imm the target) or indirect
// (OpJmpInd, OpCallInd: the target from Src).
func lowerJmpCall(l *lowerer, o *Op, e *lowering) error {
	inst := l.inst
	o.Code, o.Size = e.code, l.stackSize()
	var err error
	if _, ok := inst.Args[0].(x86asm.Rel); ok {
		o.Dst, _, err = l.arg(o, 0)
		if inst.DataSize == 16 {
			o.Imm &= 0xffff
		}
		return err
	}
	o.Code++ // OpJmpInd, OpCallInd
	if _, isMem := inst.Args[0].(x86asm.Mem); isMem && inst.MemBytes != int(o.Size) {
		return unsupported(inst) // far jumps and calls
	}
	o.Src, _, err = l.arg(o, 0)
	return err
}

// lowerRet: ret [imm16]; Imm is what to release after the return address.
func lowerRet(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = OpRet, l.stackSize()
	if imm, ok := l.inst.Args[0].(x86asm.Imm); ok {
		o.Imm = uint64(imm) & 0xffff
	}
	return nil
}

// lowerLoop: loop, loope, loopne (Cond the kind) and jcxz; Size is the
// counter width, Imm the target.
func lowerLoop(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Cond = e.code, e.sub
	o.Size = uint8(l.inst.AddrSize / 8)
	_, _, err := l.args(o, 1)
	return err
}

// lowerEnter: enter imm16, imm8; Imm is the frame size, Cond the level.
func lowerEnter(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = OpEnter, l.stackSize()
	a0, _ := l.inst.Args[0].(x86asm.Imm)
	a1, _ := l.inst.Args[1].(x86asm.Imm)
	o.Imm = uint64(a0) & 0xffff
	o.Cond = uint8(a1) & 31
	return nil
}

// lowerString lowers the string instructions: M.ASize is the address size
// (the width of rSI, rDI and rCX), M.Seg the source segment override, the
// element size is the entry's.
func lowerString(l *lowerer, o *Op, e *lowering) error {
	inst := l.inst
	o.Code, o.Size = e.code, e.size
	o.Dst = Arg{Kind: KindMem}
	o.M = Mem{Base: NoReg, Index: NoReg, ASize: uint8(inst.AddrSize / 8)}
	for _, a := range inst.Args {
		if m, ok := a.(x86asm.Mem); ok {
			switch m.Segment {
			case x86asm.FS:
				o.M.Seg = SegFS
			case x86asm.GS:
				o.M.Seg = SegGS
			}
		}
	}
	if hasPrefix(inst, x86asm.PrefixREP) {
		o.Rep = RepE
	} else if hasPrefix(inst, x86asm.PrefixREPN) {
		o.Rep = RepNE
	}
	if o.Rep == RepNE && (o.Code == OpMovs || o.Code == OpStos || o.Code == OpLods) {
		o.Rep = RepE // F2 acts as rep on the non-comparing string instructions
	}
	return nil
}

// lowerCmpxchgWide: cmpxchg8b and cmpxchg16b m.
func lowerCmpxchgWide(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = e.code, e.size
	var err error
	o.Dst, _, err = l.arg(o, 0)
	if err == nil && o.Dst.Kind != KindMem {
		return unsupported(l.inst)
	}
	return err
}

// lowerFPUWord: fnstcw m16, fldcw m16, fnstsw m16|ax.
func lowerFPUWord(l *lowerer, o *Op, e *lowering) error {
	o.Code, o.Size = e.code, 2
	if r, ok := l.inst.Args[0].(x86asm.Reg); ok && r == x86asm.AX {
		o.Dst = Arg{Kind: KindReg, Reg: uint8(cpu.RAX)}
		return nil
	}
	var err error
	o.Dst, _, err = l.arg(o, 0)
	if err == nil && o.Dst.Kind != KindMem {
		return unsupported(l.inst)
	}
	return err
}

// lowerBound: bound r, m (a pair of signed bounds).
func lowerBound(l *lowerer, o *Op, e *lowering) error {
	o.Code = OpBound
	sz, _, err := l.args(o, 2)
	if err != nil {
		return err
	}
	o.Size = sz
	if o.Dst.Kind != KindReg || o.Src.Kind != KindMem {
		return unsupported(l.inst)
	}
	return nil
}

// lowerAam: aam and aad with their base in Imm.
func lowerAam(l *lowerer, o *Op, e *lowering) error {
	imm, _ := l.inst.Args[0].(x86asm.Imm)
	o.Code, o.Cond, o.Imm = OpAam, e.sub, uint64(imm)&0xff
	return nil
}

// lowerInt: int3, the i386 system call int 0x80 (from 64-bit code too,
// which Linux serves with the i386 table), and any other vector.
func lowerInt(l *lowerer, o *Op, e *lowering) error {
	imm, _ := l.inst.Args[0].(x86asm.Imm)
	switch {
	case imm == 3:
		o.Code = OpInt3
	case imm == 0x80:
		o.Code = OpInt80
	default:
		o.Code = OpInt
	}
	return nil
}

// lowerSyscall: syscall, a 64-bit guest's system call.
func lowerSyscall(l *lowerer, o *Op, e *lowering) error {
	if l.mode != mm.Mode64 {
		return unsupported(l.inst)
	}
	o.Code = OpSyscall
	return nil
}

// Fuse merges a block-ending conditional jump with the compare or test
// right before it (register and immediate operands only, so the pair can
// neither fault nor be split by a fault) into one op, OpCmpJcc or
// OpTestJcc with the jump's condition and its target in Disp: one dispatch
// instead of two for the most common loop tail. It returns the new op
// count.
func Fuse(ops []Op) int {
	n := len(ops)
	if n < 2 || ops[n-1].Code != OpJcc {
		return n
	}
	p := &ops[n-2]
	if (p.Code != OpCmp && p.Code != OpTest) || p.Dst.Kind != KindReg || (p.Src.Kind != KindReg && p.Src.Kind != KindImm) {
		return n
	}
	j := ops[n-1]
	if p.Next() != j.PC {
		return n
	}
	if p.Code == OpCmp {
		p.Code = OpCmpJcc
	} else {
		p.Code = OpTestJcc
	}
	p.Cond, p.Disp, p.Len = j.Cond, j.Imm, p.Len+j.Len
	return n - 1
}

// addrMask[n] masks an address to n bytes (address sizes 2, 4 and 8).
var addrMask = [256]uint64{2: 0xffff, 4: 0xffffffff, 8: ^uint64(0)}
