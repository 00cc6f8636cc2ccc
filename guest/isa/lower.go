package isa

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// Lowered instructions.
//
// Every guest instruction is lowered once, when its block is first
// decoded, into an op: a fixed-size, pointer-free record holding the
// operation, its operand size, its operands (register numbers, memory
// operand parts, immediates) and its address and length. The interpreter
// (interp.go) executes ops with one dense switch and never looks at the
// decoder's representation again. Because an op holds no Go pointers, a
// block's ops may live in memory the garbage collector does not scan.

// Opcode is the operation of a lowered instruction.
type Opcode uint8

const (
	OpInvalid    Opcode = iota // SIGILL: the decoder or lowering refused the bytes
	OpFetchFault               // SIGSEGV: instruction bytes at imm are not readable/executable
	OpNop
	OpFallthrough // synthetic: continue at imm (block split); not a guest instruction

	OpMov
	OpMovzx
	OpMovsx
	OpLea
	OpXchg
	OpPush
	OpPop
	OpPushf
	OpPopf
	OpCmov
	OpSet
	OpBswap
	OpCbw // sign-extend the low half of the accumulator into all of it (cbw/cwde/cdqe)
	OpCwd // sign-extend the accumulator into rDX (cwd/cdq/cqo)
	OpLahf
	OpSahf
	OpClc
	OpStc
	OpCmc
	OpCld
	OpStd
	OpXlat
	OpMovToSeg
	OpMovFromSeg

	OpAdd
	OpOr
	OpAdc
	OpSbb
	OpAnd
	OpSub
	OpXor
	OpCmp
	OpTest
	OpInc
	OpDec
	OpNeg
	OpNot
	OpMul
	OpImul1 // rDX:rAX = rAX * src
	OpImul2 // dst = dst * src
	OpImul3 // dst = src * imm
	OpDiv
	OpIdiv

	OpShl
	OpShr
	OpSar
	OpRol
	OpRor
	OpRcl
	OpRcr
	OpShld
	OpShrd

	OpBt
	OpBts
	OpBtr
	OpBtc
	OpBsf
	OpBsr
	OpTzcnt
	OpLzcnt
	OpPopcnt

	OpJmp    // imm is the target
	OpJmpInd // target from src
	OpJcc    // cond, imm target
	OpCall
	OpCallInd
	OpRet // imm: bytes to release after the return address
	OpLoop
	OpJcxz
	OpEnter // imm: frame size, src.Disp: nesting level
	OpLeave

	OpMovs
	OpStos
	OpLods
	OpCmps
	OpScas

	OpXadd
	OpCmpxchg
	OpCmpxchg8b
	OpCmpxchg16b
	OpCpuid
	OpRdtsc
	OpUd2
	OpGP    // #GP in user mode, SIGSEGV: a privileged or I/O instruction (imm: its x86asm.Op) or, imm 0, one longer than 15 bytes
	OpInto  // i386: #OF (SIGSEGV) when OF is set
	OpBound // i386: #BR (SIGSEGV) when the signed dst lies outside the pair of bounds at src
	OpAam   // i386 aam (cond 0; imm 0 is #DE, SIGFPE) and aad (cond 1) with base imm
	OpInt3
	OpInt   // any vector other than 3 and 0x80: #GP, SIGSEGV as Linux reports it
	OpInt80 // i386 system call
	OpSyscall
	OpThunk // imm: thunk id
	OpTrap  // 0F 3E: the return trap of CallGuest

	OpSseMov       // 128-bit move; rep=1: memory operand must be 16-byte aligned
	OpSseMovQ      // movq/movd (size 8/4): to an XMM register zero-extended, else the low lane
	OpSseHalf      // movlps/movhps/movlpd/movhpd: cond 0 low, 1 high 64 bits
	OpSimd         // dst = dst <cond> src (packed integer or bitwise); rep=1: aligned memory
	OpSimdImm      // dst = dst <cond> imm (shifts by an immediate)
	OpPmovmskb     // dst = byte sign mask of src
	OpPshufd       // dst = dwords of src picked by imm
	OpStmxcsr      // m32 = MXCSR
	OpLdmxcsr      // MXCSR = m32
	OpSseScalarMov // movss/movsd (size 4/8)
	OpSseArith     // scalar float dst = dst <cond> src (size 4/8)
	OpSseComi      // ucomiss/ucomisd/comiss/comisd: flags from dst ? src
	OpCvtI2F       // cvtsi2ss/sd: float (size) from integer (ssize)
	OpCvtF2I       // cvt(t)ss/sd2si: integer (size) from float (ssize); cond 1 truncates
	OpCvtF2F       // cvtss2sd/cvtsd2ss: float (size) from float (ssize)
	OpFnstcw       // m16 = x87 control word
	OpFldcw        // x87 control word = m16
	OpFnstsw       // m16 or AX = x87 status word
	OpFninit       // reset the x87 control and status words
	OpCmpJcc       // fused cmp dst, src + jcc (cond, imm target); len spans both
	OpTestJcc      // fused test dst, src + jcc
	OpPackedFP     // packed float dst = dst <cond> src; size 4 (ps) or 8 (pd)
	OpPackedCmp    // cmpps/cmppd/cmpss/cmpsd: lanes of all ones where predicate imm holds; ssize 1: scalar
	OpMovmskF      // movmskps/movmskpd: sign bits of the lanes (size 4/8)
	OpShufF        // shufps/shufpd with imm
	OpMovHLF       // movhlps (cond 0) / movlhps (cond 1)
	OpX87          // x87 sub-operation cond (lower_x87.go)

	NumOpcodes
)

// ArgKind says what an operand is.
type ArgKind uint8

const (
	ArgNone  ArgKind = iota
	ArgReg           // general register reg, low size bytes
	ArgRegHi         // AH, CH, DH, BH: bits 8..15 of register reg
	ArgMem           // memory at [seg: base + index<<scale + disp], modulo 2^(8*asize)
	ArgImm           // the immediate disp (sign-extended to 64 bits)
	ArgXmm           // XMM register reg (SSE ops only)
	ArgSt            // x87 stack register st(reg)
)

// NoReg marks an absent base or index register.
const NoReg = 0xff

// Segment overrides that matter in a flat address space.
const (
	SegNone uint8 = iota
	SegFS
	SegGS
)

// arg is one operand. It is pointer-free.
type Arg struct {
	Kind  ArgKind
	Reg   uint8 // ArgReg/ArgRegHi: the register; ArgMem: the base or NoReg
	Index uint8 // ArgMem: the index register or NoReg
	Scale uint8 // ArgMem: log2 of the index scale
	Seg   uint8 // ArgMem: SegNone, SegFS or SegGS
	ASize uint8 // ArgMem: address size in bytes (2, 4 or 8)
	Disp  uint64
}

// op is one lowered instruction.
type Op struct {
	Code  Opcode
	Size  uint8 // operand size in bytes (1, 2, 4, 8; 16 for cmpxchg16b)
	SSize uint8 // source size for movzx/movsx/movsxd
	Cond  uint8 // condition code for jcc/setcc/cmovcc; loop kind for OpLoop
	Rep   uint8 // RepNone, RepE, RepNE for string instructions
	Len   uint8 // instruction length in bytes
	Dst   Arg
	Src   Arg
	Imm   uint64 // third operand, branch target, or other per-op constant
	PC    uint64 // guest address of the instruction
}

// Repeat prefixes of string instructions.
const (
	RepNone uint8 = iota
	RepE          // rep / repe
	RepNE         // repne
)

// Loop kinds (op.Cond of OpLoop).
const (
	LoopAlways uint8 = iota
	LoopE
	LoopNE
)

// next is the address of the following instruction.
func (o *Op) Next() uint64 { return o.PC + uint64(o.Len) }

// endsBlock reports whether control may leave the straight line after o,
// or whether o must be the last of its block for another reason.
func (o *Op) EndsBlock() bool {
	switch o.Code {
	case OpInvalid, OpFetchFault, OpFallthrough, OpJmp, OpJmpInd, OpJcc, OpCmpJcc, OpTestJcc, OpCall, OpCallInd, OpRet,
		OpLoop, OpJcxz, OpUd2, OpGP, OpInt3, OpInt, OpInt80, OpSyscall, OpThunk, OpTrap:
		return true
	}
	return false
}

// lowerError is why an instruction could not be lowered.
type lowerError struct{ msg string }

func (e *lowerError) Error() string { return e.msg }

func unsupported(inst *x86asm.Inst) error {
	return &lowerError{msg: fmt.Sprintf("unsupported instruction %q", x86asm.IntelSyntax(*inst, 0, nil))}
}

// regOf maps a decoder register to (kind, number, size).
func regOf(r x86asm.Reg) (ArgKind, uint8, uint8, bool) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return ArgReg, uint8(r - x86asm.AL), 1, true
	case r >= x86asm.AH && r <= x86asm.BH:
		return ArgRegHi, uint8(r - x86asm.AH), 1, true
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return ArgReg, uint8(r-x86asm.SPB) + 4, 1, true
	case r >= x86asm.AX && r <= x86asm.R15W:
		return ArgReg, uint8(r - x86asm.AX), 2, true
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return ArgReg, uint8(r - x86asm.EAX), 4, true
	case r >= x86asm.RAX && r <= x86asm.R15:
		return ArgReg, uint8(r - x86asm.RAX), 8, true
	}
	return ArgNone, 0, 0, false
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

// arg converts argument i; size is the register size (0 for none/imm/mem).
func (l *lowerer) arg(i int) (Arg, uint8, error) {
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
		return Arg{Kind: ArgImm, Disp: uint64(int64(a))}, 0, nil
	case x86asm.Mem:
		return l.mem(a)
	case x86asm.Rel:
		return Arg{Kind: ArgImm, Disp: (l.pc + uint64(l.inst.Len) + uint64(int64(a))) & l.ipMask()}, 0, nil
	}
	return Arg{}, 0, unsupported(l.inst)
}

func (l *lowerer) mem(m x86asm.Mem) (Arg, uint8, error) {
	a := Arg{Kind: ArgMem, Reg: NoReg, Index: NoReg, ASize: uint8(l.inst.AddrSize / 8), Disp: uint64(m.Disp)}
	if op := l.inst.Opcode >> 24; a.ASize == 8 && (op < 0xa0 || op > 0xa3) {
		// A displacement is at most 32 bits, sign-extended; x86asm
		// returns some (no base register) zero-extended. Only the moffs
		// forms of mov (A0..A3) carry a full 64-bit address.
		a.Disp = uint64(int64(int32(m.Disp)))
	}
	switch m.Segment {
	case x86asm.FS:
		a.Seg = SegFS
	case x86asm.GS:
		a.Seg = SegGS
	}
	switch {
	case m.Base == 0:
	case m.Base == x86asm.RIP || m.Base == x86asm.EIP || m.Base == x86asm.IP:
		a.Disp = (l.pc + uint64(l.inst.Len) + a.Disp) & addrMask[a.ASize]
	default:
		k, r, _, ok := regOf(m.Base)
		if !ok || k != ArgReg {
			return Arg{}, 0, unsupported(l.inst)
		}
		a.Reg = r
	}
	if m.Index != 0 {
		k, r, _, ok := regOf(m.Index)
		if !ok || k != ArgReg {
			return Arg{}, 0, unsupported(l.inst)
		}
		a.Index = r
		switch m.Scale {
		case 1:
		case 2:
			a.Scale = 1
		case 4:
			a.Scale = 2
		case 8:
			a.Scale = 3
		default:
			return Arg{}, 0, unsupported(l.inst)
		}
	}
	if a.ASize != 2 && a.ASize != 4 && a.ASize != 8 {
		return Arg{}, 0, unsupported(l.inst)
	}
	return a, 0, nil
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
	if l.mode == mm.Mode64 {
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

var condOps = map[x86asm.Op][3]uint8{}

func init() {
	names := [16][3]x86asm.Op{
		{x86asm.JO, x86asm.SETO, x86asm.CMOVO}, {x86asm.JNO, x86asm.SETNO, x86asm.CMOVNO},
		{x86asm.JB, x86asm.SETB, x86asm.CMOVB}, {x86asm.JAE, x86asm.SETAE, x86asm.CMOVAE},
		{x86asm.JE, x86asm.SETE, x86asm.CMOVE}, {x86asm.JNE, x86asm.SETNE, x86asm.CMOVNE},
		{x86asm.JBE, x86asm.SETBE, x86asm.CMOVBE}, {x86asm.JA, x86asm.SETA, x86asm.CMOVA},
		{x86asm.JS, x86asm.SETS, x86asm.CMOVS}, {x86asm.JNS, x86asm.SETNS, x86asm.CMOVNS},
		{x86asm.JP, x86asm.SETP, x86asm.CMOVP}, {x86asm.JNP, x86asm.SETNP, x86asm.CMOVNP},
		{x86asm.JL, x86asm.SETL, x86asm.CMOVL}, {x86asm.JGE, x86asm.SETGE, x86asm.CMOVGE},
		{x86asm.JLE, x86asm.SETLE, x86asm.CMOVLE}, {x86asm.JG, x86asm.SETG, x86asm.CMOVG},
	}
	for cc, n := range names {
		condOps[n[0]] = [3]uint8{uint8(OpJcc), uint8(cc)}
		condOps[n[1]] = [3]uint8{uint8(OpSet), uint8(cc)}
		condOps[n[2]] = [3]uint8{uint8(OpCmov), uint8(cc)}
	}
}

var simpleOps = map[x86asm.Op]Opcode{
	x86asm.ADD: OpAdd, x86asm.OR: OpOr, x86asm.ADC: OpAdc, x86asm.SBB: OpSbb, x86asm.AND: OpAnd,
	x86asm.SUB: OpSub, x86asm.XOR: OpXor, x86asm.CMP: OpCmp, x86asm.TEST: OpTest,
	x86asm.INC: OpInc, x86asm.DEC: OpDec, x86asm.NEG: OpNeg, x86asm.NOT: OpNot,
	x86asm.MUL: OpMul, x86asm.DIV: OpDiv, x86asm.IDIV: OpIdiv,
	x86asm.SHL: OpShl, x86asm.SHR: OpShr, x86asm.SAR: OpSar, x86asm.ROL: OpRol, x86asm.ROR: OpRor,
	x86asm.RCL: OpRcl, x86asm.RCR: OpRcr, x86asm.SHLD: OpShld, x86asm.SHRD: OpShrd,
	x86asm.BT: OpBt, x86asm.BTS: OpBts, x86asm.BTR: OpBtr, x86asm.BTC: OpBtc,
	x86asm.BSF: OpBsf, x86asm.BSR: OpBsr, x86asm.TZCNT: OpTzcnt, x86asm.LZCNT: OpLzcnt, x86asm.POPCNT: OpPopcnt,
	x86asm.MOV: OpMov, x86asm.MOVZX: OpMovzx, x86asm.MOVSX: OpMovsx, x86asm.MOVSXD: OpMovsx,
	x86asm.LEA: OpLea, x86asm.XCHG: OpXchg, x86asm.BSWAP: OpBswap, x86asm.XADD: OpXadd, x86asm.CMPXCHG: OpCmpxchg,
}

// lower converts inst at pc into an op.
func Lower(inst *x86asm.Inst, pc uint64, mode mm.Mode) (Op, error) {
	l := &lowerer{inst: inst, pc: pc, mode: mode}
	o := Op{PC: pc, Len: uint8(inst.Len)}
	if isSSE(inst.Op) {
		return l.lowerSSE(o)
	}
	if isX87(inst.Op) {
		return l.lowerX87(o)
	}
	if inst.Op == x86asm.MOV {
		for _, a := range inst.Args {
			if r, ok := a.(x86asm.Reg); ok && (r >= x86asm.CR0 && r <= x86asm.CR15 || r >= x86asm.DR0 && r <= x86asm.DR15) {
				o.Code, o.Imm = OpGP, uint64(inst.Op) // a control or debug register: privileged
				return o, nil
			}
		}
	}
	for _, a := range inst.Args {
		if r, ok := a.(x86asm.Reg); ok && r >= x86asm.F0 && r < x86asm.ES {
			return o, unsupported(inst) // x87, MMX, other SSE and AVX
		}
	}
	if cc, ok := condOps[inst.Op]; ok {
		o.Code, o.Cond = Opcode(cc[0]), cc[1]
		var err error
		switch o.Code {
		case OpJcc:
			o.Dst, _, err = l.arg(0)
			o.Imm = o.Dst.Disp
		case OpSet:
			o.Size = 1
			o.Dst, _, err = l.arg(0)
		case OpCmov:
			var sz uint8
			o.Dst, sz, err = l.arg(0)
			if err == nil {
				o.Size = sz
				o.Src, _, err = l.arg(1)
			}
		}
		return o, err
	}
	if code, ok := simpleOps[inst.Op]; ok {
		return l.simple(o, code)
	}
	return l.special(o)
}

// simple lowers instructions of the form op dst[, src[, third]].
func (l *lowerer) simple(o Op, code Opcode) (Op, error) {
	inst := l.inst
	o.Code = code
	var sz, ssz uint8
	var err error
	if code == OpMov {
		if r, ok := inst.Args[0].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
			o.Code, o.Dst, o.Size = OpMovToSeg, Arg{Kind: ArgImm, Disp: uint64(r - x86asm.ES)}, 2
			o.Src, _, err = l.arg(1)
			return o, err
		}
		if r, ok := inst.Args[1].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
			o.Code, o.Src = OpMovFromSeg, Arg{Kind: ArgImm, Disp: uint64(r - x86asm.ES)}
			o.Dst, sz, err = l.arg(0)
			o.Size = l.opSize(sz)
			if o.Dst.Kind == ArgMem {
				o.Size = 2 // a selector store is always 16 bits
			}
			return o, err
		}
	}
	if o.Dst, sz, err = l.arg(0); err != nil {
		return o, err
	}
	if o.Src, ssz, err = l.arg(1); err != nil {
		return o, err
	}
	o.Size = l.opSize(sz)
	if o.Dst.Kind == ArgNone {
		return o, unsupported(inst)
	}
	switch code {
	case OpMovzx, OpMovsx:
		if ssz == 0 {
			ssz = uint8(inst.MemBytes)
		}
		o.SSize = ssz
		if o.SSize != 1 && o.SSize != 2 && o.SSize != 4 {
			return o, unsupported(inst)
		}
	case OpLea:
		if o.Src.Kind != ArgMem {
			return o, unsupported(inst)
		}
	case OpShld, OpShrd:
		third, _, err := l.arg(2)
		if err != nil {
			return o, err
		}
		o.Imm = third.Disp
		if third.Kind == ArgReg { // count in CL
			o.Rep = 1
		} else if third.Kind != ArgImm {
			return o, unsupported(inst)
		}
	case OpMul, OpDiv, OpIdiv, OpNeg, OpNot, OpInc, OpDec, OpBswap:
		if o.Src.Kind != ArgNone {
			return o, unsupported(inst)
		}
		if code == OpMul || code == OpDiv || code == OpIdiv {
			o.Src, o.Dst = o.Dst, Arg{Kind: ArgReg, Reg: uint8(cpu.RAX)} // the operand is the source
		}
	}
	if o.Size != 1 && o.Size != 2 && o.Size != 4 && o.Size != 8 {
		return o, unsupported(inst)
	}
	return o, nil
}

// special lowers everything that is not a plain dst/src instruction.
func (l *lowerer) special(o Op) (Op, error) {
	inst := l.inst
	var err error
	switch inst.Op {
	case x86asm.NOP, x86asm.PAUSE, x86asm.MFENCE, x86asm.LFENCE, x86asm.SFENCE,
		x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2, x86asm.PREFETCHW:
		o.Code = OpNop
	case x86asm.IMUL:
		var sz uint8
		if o.Dst, sz, err = l.arg(0); err != nil {
			return o, err
		}
		o.Size = l.opSize(sz)
		switch {
		case inst.Args[1] == nil:
			o.Code, o.Src, o.Dst = OpImul1, o.Dst, Arg{}
		case inst.Args[2] == nil:
			o.Code = OpImul2
			o.Src, _, err = l.arg(1)
		default:
			o.Code = OpImul3
			o.Src, _, err = l.arg(1)
			if err == nil {
				var third Arg
				third, _, err = l.arg(2)
				o.Imm = third.Disp
			}
		}
	case x86asm.PUSH:
		o.Code, o.Size = OpPush, l.stackSize()
		if r, ok := inst.Args[0].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
			return o, unsupported(inst)
		}
		o.Src, _, err = l.arg(0)
	case x86asm.POP:
		o.Code, o.Size = OpPop, l.stackSize()
		if r, ok := inst.Args[0].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
			return o, unsupported(inst)
		}
		o.Dst, _, err = l.arg(0)
	case x86asm.PUSHF, x86asm.PUSHFD, x86asm.PUSHFQ:
		o.Code, o.Size = OpPushf, l.stackSize()
	case x86asm.POPF, x86asm.POPFD, x86asm.POPFQ:
		o.Code, o.Size = OpPopf, l.stackSize()
	case x86asm.CBW, x86asm.CWDE, x86asm.CDQE:
		o.Code, o.Size = OpCbw, uint8(inst.DataSize/8)
	case x86asm.CWD, x86asm.CDQ, x86asm.CQO:
		o.Code, o.Size = OpCwd, uint8(inst.DataSize/8)
	case x86asm.LAHF:
		o.Code = OpLahf
	case x86asm.SAHF:
		o.Code = OpSahf
	case x86asm.CLC:
		o.Code = OpClc
	case x86asm.STC:
		o.Code = OpStc
	case x86asm.CMC:
		o.Code = OpCmc
	case x86asm.CLD:
		o.Code = OpCld
	case x86asm.STD:
		o.Code = OpStd
	case x86asm.XLATB:
		o.Code, o.Size = OpXlat, 1
		o.Src, _, err = l.arg(0)
	case x86asm.JMP, x86asm.CALL:
		o.Code = OpJmp
		if inst.Op == x86asm.CALL {
			o.Code = OpCall
		}
		o.Size = l.stackSize()
		if _, ok := inst.Args[0].(x86asm.Rel); ok {
			o.Dst, _, err = l.arg(0)
			o.Imm = o.Dst.Disp
			if inst.DataSize == 16 {
				o.Imm &= 0xffff
			}
			break
		}
		o.Code++ // OpJmpInd, OpCallInd
		if _, isMem := inst.Args[0].(x86asm.Mem); isMem && inst.MemBytes != int(o.Size) {
			return o, unsupported(inst) // far jumps and calls
		}
		o.Src, _, err = l.arg(0)
	case x86asm.RET:
		o.Code, o.Size = OpRet, l.stackSize()
		if imm, ok := inst.Args[0].(x86asm.Imm); ok {
			o.Imm = uint64(imm) & 0xffff
		}
	case x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE, x86asm.JCXZ, x86asm.JECXZ, x86asm.JRCXZ:
		o.Code = OpLoop
		switch inst.Op {
		case x86asm.LOOPE:
			o.Cond = LoopE
		case x86asm.LOOPNE:
			o.Cond = LoopNE
		case x86asm.JCXZ, x86asm.JECXZ, x86asm.JRCXZ:
			o.Code = OpJcxz
		}
		o.Size = uint8(inst.AddrSize / 8) // counter width
		o.Dst, _, err = l.arg(0)
		o.Imm = o.Dst.Disp
	case x86asm.ENTER:
		o.Code, o.Size = OpEnter, l.stackSize()
		a0, _ := inst.Args[0].(x86asm.Imm)
		a1, _ := inst.Args[1].(x86asm.Imm)
		o.Imm = uint64(a0) & 0xffff
		o.Src = Arg{Kind: ArgImm, Disp: uint64(a1) & 31}
	case x86asm.LEAVE:
		o.Code, o.Size = OpLeave, l.stackSize()
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ,
		x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ,
		x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ,
		x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ,
		x86asm.SCASB, x86asm.SCASW, x86asm.SCASD, x86asm.SCASQ:
		return l.str(o)
	case x86asm.CMPXCHG8B, x86asm.CMPXCHG16B:
		o.Code, o.Size = OpCmpxchg8b, 8
		if inst.Op == x86asm.CMPXCHG16B {
			o.Code, o.Size = OpCmpxchg16b, 16
		}
		o.Dst, _, err = l.arg(0)
		if err == nil && o.Dst.Kind != ArgMem {
			return o, unsupported(inst)
		}
	case x86asm.FNSTCW, x86asm.FLDCW, x86asm.FNSTSW:
		o.Code, o.Size = OpFnstcw, 2
		if inst.Op == x86asm.FLDCW {
			o.Code = OpFldcw
		} else if inst.Op == x86asm.FNSTSW {
			o.Code = OpFnstsw
		}
		if r, ok := inst.Args[0].(x86asm.Reg); ok && r == x86asm.AX {
			o.Dst = Arg{Kind: ArgReg, Reg: uint8(cpu.RAX)}
		} else {
			o.Dst, _, err = l.arg(0)
			if err == nil && o.Dst.Kind != ArgMem {
				return o, unsupported(inst)
			}
		}
	case x86asm.FNINIT, x86asm.FNCLEX:
		o.Code = OpFninit
		if inst.Op == x86asm.FNCLEX {
			o.Code, o.Cond = OpFninit, 1
		}
	case x86asm.FWAIT:
		o.Code = OpNop
	case x86asm.CPUID:
		o.Code = OpCpuid
	case x86asm.RDTSC:
		o.Code = OpRdtsc
	case x86asm.UD2, x86asm.UD1, x86asm.UD0:
		o.Code = OpUd2
	case x86asm.HLT, x86asm.CLI, x86asm.STI, x86asm.IN, x86asm.OUT, x86asm.INSB, x86asm.INSW, x86asm.INSD,
		x86asm.OUTSB, x86asm.OUTSW, x86asm.OUTSD, x86asm.RDMSR, x86asm.WRMSR, x86asm.RDPMC, x86asm.CLTS,
		x86asm.INVD, x86asm.WBINVD, x86asm.INVLPG, x86asm.LGDT, x86asm.LIDT, x86asm.LLDT, x86asm.LTR,
		x86asm.LMSW, x86asm.SWAPGS, x86asm.SYSRET, x86asm.SYSEXIT:
		// Privileged, or I/O with IOPL 0 and no I/O permission bitmap:
		// #GP at CPL 3, which Linux reports as SIGSEGV.
		o.Code, o.Imm = OpGP, uint64(inst.Op)
	case x86asm.INTO:
		o.Code = OpInto
	case x86asm.BOUND:
		var sz uint8
		o.Code = OpBound
		if o.Dst, sz, err = l.arg(0); err != nil {
			return o, err
		}
		o.Size = sz
		if o.Src, _, err = l.arg(1); err == nil && (o.Dst.Kind != ArgReg || o.Src.Kind != ArgMem) {
			return o, unsupported(inst)
		}
	case x86asm.AAM, x86asm.AAD:
		imm, _ := inst.Args[0].(x86asm.Imm)
		o.Code, o.Imm = OpAam, uint64(imm)&0xff
		if inst.Op == x86asm.AAD {
			o.Cond = 1
		}
	case x86asm.INT:
		imm, _ := inst.Args[0].(x86asm.Imm)
		switch {
		case imm == 3:
			o.Code = OpInt3
		case imm == 0x80 && l.mode == mm.Mode32:
			o.Code = OpInt80
		default:
			o.Code = OpInt
		}
	case x86asm.SYSCALL:
		if l.mode != mm.Mode64 {
			return o, unsupported(inst)
		}
		o.Code = OpSyscall
	default:
		return o, unsupported(inst)
	}
	return o, err
}

// str lowers the string instructions: dst.ASize is the address size (the
// width of rSI, rDI and rCX), src.Seg the source segment override.
func (l *lowerer) str(o Op) (Op, error) {
	inst := l.inst
	switch inst.Op {
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ:
		o.Code = OpMovs
	case x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ:
		o.Code = OpStos
	case x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ:
		o.Code = OpLods
	case x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ:
		o.Code = OpCmps
	default:
		o.Code = OpScas
	}
	switch inst.Op {
	case x86asm.MOVSB, x86asm.STOSB, x86asm.LODSB, x86asm.CMPSB, x86asm.SCASB:
		o.Size = 1
	case x86asm.MOVSW, x86asm.STOSW, x86asm.LODSW, x86asm.CMPSW, x86asm.SCASW:
		o.Size = 2
	case x86asm.MOVSD, x86asm.STOSD, x86asm.LODSD, x86asm.CMPSD, x86asm.SCASD:
		o.Size = 4
	default:
		o.Size = 8
	}
	o.Dst = Arg{Kind: ArgMem, ASize: uint8(inst.AddrSize / 8)}
	for _, a := range inst.Args {
		if m, ok := a.(x86asm.Mem); ok {
			switch m.Segment {
			case x86asm.FS:
				o.Src.Seg = SegFS
			case x86asm.GS:
				o.Src.Seg = SegGS
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
	return o, nil
}

// fuse merges a block-ending conditional jump with the compare or test
// right before it (register and immediate operands only, so the pair can
// neither fault nor be split by a fault) into one op: one dispatch
// instead of two for the most common loop tail. It returns the new op
// count.
func Fuse(ops []Op) int {
	n := len(ops)
	if n < 2 || ops[n-1].Code != OpJcc {
		return n
	}
	p := &ops[n-2]
	if (p.Code != OpCmp && p.Code != OpTest) || p.Dst.Kind != ArgReg || (p.Src.Kind != ArgReg && p.Src.Kind != ArgImm) {
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
	p.Cond, p.Imm, p.Len = j.Cond, j.Imm, p.Len+j.Len
	return n - 1
}

// addrMask[n] masks an address to n bytes (address sizes 2, 4 and 8).
var addrMask = [256]uint64{2: 0xffff, 4: 0xffffffff, 8: ^uint64(0)}
