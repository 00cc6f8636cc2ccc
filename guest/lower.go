package guest

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

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

// opcode is the operation of a lowered instruction.
type opcode uint8

const (
	opInvalid    opcode = iota // SIGILL: the decoder or lowering refused the bytes
	opFetchFault               // SIGSEGV: instruction bytes at imm are not readable/executable
	opNop
	opFallthrough // synthetic: continue at imm (block split); not a guest instruction

	opMov
	opMovzx
	opMovsx
	opLea
	opXchg
	opPush
	opPop
	opPushf
	opPopf
	opCmov
	opSet
	opBswap
	opCbw // sign-extend the low half of the accumulator into all of it (cbw/cwde/cdqe)
	opCwd // sign-extend the accumulator into rDX (cwd/cdq/cqo)
	opLahf
	opSahf
	opClc
	opStc
	opCmc
	opCld
	opStd
	opXlat
	opMovToSeg
	opMovFromSeg

	opAdd
	opOr
	opAdc
	opSbb
	opAnd
	opSub
	opXor
	opCmp
	opTest
	opInc
	opDec
	opNeg
	opNot
	opMul
	opImul1 // rDX:rAX = rAX * src
	opImul2 // dst = dst * src
	opImul3 // dst = src * imm
	opDiv
	opIdiv

	opShl
	opShr
	opSar
	opRol
	opRor
	opRcl
	opRcr
	opShld
	opShrd

	opBt
	opBts
	opBtr
	opBtc
	opBsf
	opBsr
	opTzcnt
	opLzcnt
	opPopcnt

	opJmp    // imm is the target
	opJmpInd // target from src
	opJcc    // cond, imm target
	opCall
	opCallInd
	opRet // imm: bytes to release after the return address
	opLoop
	opJcxz
	opEnter // imm: frame size, src.disp: nesting level
	opLeave

	opMovs
	opStos
	opLods
	opCmps
	opScas

	opXadd
	opCmpxchg
	opCmpxchg8b
	opCmpxchg16b
	opCpuid
	opRdtsc
	opUd2
	opGP    // #GP in user mode, SIGSEGV: a privileged or I/O instruction (imm: its x86asm.Op) or, imm 0, one longer than 15 bytes
	opInto  // i386: #OF (SIGSEGV) when OF is set
	opBound // i386: #BR (SIGSEGV) when the signed dst lies outside the pair of bounds at src
	opAam   // i386 aam (cond 0; imm 0 is #DE, SIGFPE) and aad (cond 1) with base imm
	opInt3
	opInt   // any vector other than 3 and 0x80: #GP, SIGSEGV as Linux reports it
	opInt80 // i386 system call
	opSyscall
	opThunk // imm: thunk id
	opTrap  // 0F 3E: the return trap of CallGuest

	opSseMov       // 128-bit move; rep=1: memory operand must be 16-byte aligned
	opSseMovQ      // movq/movd (size 8/4): to an XMM register zero-extended, else the low lane
	opSseHalf      // movlps/movhps/movlpd/movhpd: cond 0 low, 1 high 64 bits
	opSimd         // dst = dst <cond> src (packed integer or bitwise); rep=1: aligned memory
	opSimdImm      // dst = dst <cond> imm (shifts by an immediate)
	opPmovmskb     // dst = byte sign mask of src
	opPshufd       // dst = dwords of src picked by imm
	opStmxcsr      // m32 = MXCSR
	opLdmxcsr      // MXCSR = m32
	opSseScalarMov // movss/movsd (size 4/8)
	opSseArith     // scalar float dst = dst <cond> src (size 4/8)
	opSseComi      // ucomiss/ucomisd/comiss/comisd: flags from dst ? src
	opCvtI2F       // cvtsi2ss/sd: float (size) from integer (ssize)
	opCvtF2I       // cvt(t)ss/sd2si: integer (size) from float (ssize); cond 1 truncates
	opCvtF2F       // cvtss2sd/cvtsd2ss: float (size) from float (ssize)
	opFnstcw       // m16 = x87 control word
	opFldcw        // x87 control word = m16
	opFnstsw       // m16 or AX = x87 status word
	opFninit       // reset the x87 control and status words
	opCmpJcc       // fused cmp dst, src + jcc (cond, imm target); len spans both
	opTestJcc      // fused test dst, src + jcc
	opPackedFP     // packed float dst = dst <cond> src; size 4 (ps) or 8 (pd)
	opPackedCmp    // cmpps/cmppd/cmpss/cmpsd: lanes of all ones where predicate imm holds; ssize 1: scalar
	opMovmskF      // movmskps/movmskpd: sign bits of the lanes (size 4/8)
	opShufF        // shufps/shufpd with imm
	opMovHLF       // movhlps (cond 0) / movlhps (cond 1)
	opX87          // x87 sub-operation cond (lower_x87.go)

	numOpcodes
)

// argKind says what an operand is.
type argKind uint8

const (
	argNone  argKind = iota
	argReg           // general register reg, low size bytes
	argRegHi         // AH, CH, DH, BH: bits 8..15 of register reg
	argMem           // memory at [seg: base + index<<scale + disp], modulo 2^(8*asize)
	argImm           // the immediate disp (sign-extended to 64 bits)
	argXmm           // XMM register reg (SSE ops only)
	argSt            // x87 stack register st(reg)
)

// noReg marks an absent base or index register.
const noReg = 0xff

// Segment overrides that matter in a flat address space.
const (
	segNone uint8 = iota
	segFS
	segGS
)

// arg is one operand. It is pointer-free.
type arg struct {
	kind  argKind
	reg   uint8 // argReg/argRegHi: the register; argMem: the base or noReg
	index uint8 // argMem: the index register or noReg
	scale uint8 // argMem: log2 of the index scale
	seg   uint8 // argMem: segNone, segFS or segGS
	asize uint8 // argMem: address size in bytes (2, 4 or 8)
	disp  uint64
}

// op is one lowered instruction.
type op struct {
	code  opcode
	size  uint8 // operand size in bytes (1, 2, 4, 8; 16 for cmpxchg16b)
	ssize uint8 // source size for movzx/movsx/movsxd
	cond  uint8 // condition code for jcc/setcc/cmovcc; loop kind for opLoop
	rep   uint8 // repNone, repE, repNE for string instructions
	len   uint8 // instruction length in bytes
	dst   arg
	src   arg
	imm   uint64 // third operand, branch target, or other per-op constant
	pc    uint64 // guest address of the instruction
}

// Repeat prefixes of string instructions.
const (
	repNone uint8 = iota
	repE          // rep / repe
	repNE         // repne
)

// Loop kinds (op.cond of opLoop).
const (
	loopAlways uint8 = iota
	loopE
	loopNE
)

// next is the address of the following instruction.
func (o *op) next() uint64 { return o.pc + uint64(o.len) }

// endsBlock reports whether control may leave the straight line after o,
// or whether o must be the last of its block for another reason.
func (o *op) endsBlock() bool {
	switch o.code {
	case opInvalid, opFetchFault, opFallthrough, opJmp, opJmpInd, opJcc, opCmpJcc, opTestJcc, opCall, opCallInd, opRet,
		opLoop, opJcxz, opUd2, opGP, opInt3, opInt, opInt80, opSyscall, opThunk, opTrap:
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
func regOf(r x86asm.Reg) (argKind, uint8, uint8, bool) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return argReg, uint8(r - x86asm.AL), 1, true
	case r >= x86asm.AH && r <= x86asm.BH:
		return argRegHi, uint8(r - x86asm.AH), 1, true
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return argReg, uint8(r-x86asm.SPB) + 4, 1, true
	case r >= x86asm.AX && r <= x86asm.R15W:
		return argReg, uint8(r - x86asm.AX), 2, true
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return argReg, uint8(r - x86asm.EAX), 4, true
	case r >= x86asm.RAX && r <= x86asm.R15:
		return argReg, uint8(r - x86asm.RAX), 8, true
	}
	return argNone, 0, 0, false
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
func (l *lowerer) arg(i int) (arg, uint8, error) {
	switch a := l.inst.Args[i].(type) {
	case nil:
		return arg{}, 0, nil
	case x86asm.Reg:
		k, r, sz, ok := regOf(a)
		if !ok {
			return arg{}, 0, unsupported(l.inst)
		}
		return arg{kind: k, reg: r}, sz, nil
	case x86asm.Imm:
		return arg{kind: argImm, disp: uint64(int64(a))}, 0, nil
	case x86asm.Mem:
		return l.mem(a)
	case x86asm.Rel:
		return arg{kind: argImm, disp: (l.pc + uint64(l.inst.Len) + uint64(int64(a))) & l.ipMask()}, 0, nil
	}
	return arg{}, 0, unsupported(l.inst)
}

func (l *lowerer) mem(m x86asm.Mem) (arg, uint8, error) {
	a := arg{kind: argMem, reg: noReg, index: noReg, asize: uint8(l.inst.AddrSize / 8), disp: uint64(m.Disp)}
	if op := l.inst.Opcode >> 24; a.asize == 8 && (op < 0xa0 || op > 0xa3) {
		// A displacement is at most 32 bits, sign-extended; x86asm
		// returns some (no base register) zero-extended. Only the moffs
		// forms of mov (A0..A3) carry a full 64-bit address.
		a.disp = uint64(int64(int32(m.Disp)))
	}
	switch m.Segment {
	case x86asm.FS:
		a.seg = segFS
	case x86asm.GS:
		a.seg = segGS
	}
	switch {
	case m.Base == 0:
	case m.Base == x86asm.RIP || m.Base == x86asm.EIP || m.Base == x86asm.IP:
		a.disp = (l.pc + uint64(l.inst.Len) + a.disp) & sizeMask[a.asize]
	default:
		k, r, _, ok := regOf(m.Base)
		if !ok || k != argReg {
			return arg{}, 0, unsupported(l.inst)
		}
		a.reg = r
	}
	if m.Index != 0 {
		k, r, _, ok := regOf(m.Index)
		if !ok || k != argReg {
			return arg{}, 0, unsupported(l.inst)
		}
		a.index = r
		switch m.Scale {
		case 1:
		case 2:
			a.scale = 1
		case 4:
			a.scale = 2
		case 8:
			a.scale = 3
		default:
			return arg{}, 0, unsupported(l.inst)
		}
	}
	if a.asize != 2 && a.asize != 4 && a.asize != 8 {
		return arg{}, 0, unsupported(l.inst)
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
		condOps[n[0]] = [3]uint8{uint8(opJcc), uint8(cc)}
		condOps[n[1]] = [3]uint8{uint8(opSet), uint8(cc)}
		condOps[n[2]] = [3]uint8{uint8(opCmov), uint8(cc)}
	}
}

var simpleOps = map[x86asm.Op]opcode{
	x86asm.ADD: opAdd, x86asm.OR: opOr, x86asm.ADC: opAdc, x86asm.SBB: opSbb, x86asm.AND: opAnd,
	x86asm.SUB: opSub, x86asm.XOR: opXor, x86asm.CMP: opCmp, x86asm.TEST: opTest,
	x86asm.INC: opInc, x86asm.DEC: opDec, x86asm.NEG: opNeg, x86asm.NOT: opNot,
	x86asm.MUL: opMul, x86asm.DIV: opDiv, x86asm.IDIV: opIdiv,
	x86asm.SHL: opShl, x86asm.SHR: opShr, x86asm.SAR: opSar, x86asm.ROL: opRol, x86asm.ROR: opRor,
	x86asm.RCL: opRcl, x86asm.RCR: opRcr, x86asm.SHLD: opShld, x86asm.SHRD: opShrd,
	x86asm.BT: opBt, x86asm.BTS: opBts, x86asm.BTR: opBtr, x86asm.BTC: opBtc,
	x86asm.BSF: opBsf, x86asm.BSR: opBsr, x86asm.TZCNT: opTzcnt, x86asm.LZCNT: opLzcnt, x86asm.POPCNT: opPopcnt,
	x86asm.MOV: opMov, x86asm.MOVZX: opMovzx, x86asm.MOVSX: opMovsx, x86asm.MOVSXD: opMovsx,
	x86asm.LEA: opLea, x86asm.XCHG: opXchg, x86asm.BSWAP: opBswap, x86asm.XADD: opXadd, x86asm.CMPXCHG: opCmpxchg,
}

// lower converts inst at pc into an op.
func lower(inst *x86asm.Inst, pc uint64, mode mm.Mode) (op, error) {
	l := &lowerer{inst: inst, pc: pc, mode: mode}
	o := op{pc: pc, len: uint8(inst.Len)}
	if isSSE(inst.Op) {
		return l.lowerSSE(o)
	}
	if isX87(inst.Op) {
		return l.lowerX87(o)
	}
	if inst.Op == x86asm.MOV {
		for _, a := range inst.Args {
			if r, ok := a.(x86asm.Reg); ok && (r >= x86asm.CR0 && r <= x86asm.CR15 || r >= x86asm.DR0 && r <= x86asm.DR15) {
				o.code, o.imm = opGP, uint64(inst.Op) // a control or debug register: privileged
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
		o.code, o.cond = opcode(cc[0]), cc[1]
		var err error
		switch o.code {
		case opJcc:
			o.dst, _, err = l.arg(0)
			o.imm = o.dst.disp
		case opSet:
			o.size = 1
			o.dst, _, err = l.arg(0)
		case opCmov:
			var sz uint8
			o.dst, sz, err = l.arg(0)
			if err == nil {
				o.size = sz
				o.src, _, err = l.arg(1)
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
func (l *lowerer) simple(o op, code opcode) (op, error) {
	inst := l.inst
	o.code = code
	var sz, ssz uint8
	var err error
	if code == opMov {
		if r, ok := inst.Args[0].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
			o.code, o.dst, o.size = opMovToSeg, arg{kind: argImm, disp: uint64(r - x86asm.ES)}, 2
			o.src, _, err = l.arg(1)
			return o, err
		}
		if r, ok := inst.Args[1].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
			o.code, o.src = opMovFromSeg, arg{kind: argImm, disp: uint64(r - x86asm.ES)}
			o.dst, sz, err = l.arg(0)
			o.size = l.opSize(sz)
			if o.dst.kind == argMem {
				o.size = 2 // a selector store is always 16 bits
			}
			return o, err
		}
	}
	if o.dst, sz, err = l.arg(0); err != nil {
		return o, err
	}
	if o.src, ssz, err = l.arg(1); err != nil {
		return o, err
	}
	o.size = l.opSize(sz)
	if o.dst.kind == argNone {
		return o, unsupported(inst)
	}
	switch code {
	case opMovzx, opMovsx:
		if ssz == 0 {
			ssz = uint8(inst.MemBytes)
		}
		o.ssize = ssz
		if o.ssize != 1 && o.ssize != 2 && o.ssize != 4 {
			return o, unsupported(inst)
		}
	case opLea:
		if o.src.kind != argMem {
			return o, unsupported(inst)
		}
	case opShld, opShrd:
		third, _, err := l.arg(2)
		if err != nil {
			return o, err
		}
		o.imm = third.disp
		if third.kind == argReg { // count in CL
			o.rep = 1
		} else if third.kind != argImm {
			return o, unsupported(inst)
		}
	case opMul, opDiv, opIdiv, opNeg, opNot, opInc, opDec, opBswap:
		if o.src.kind != argNone {
			return o, unsupported(inst)
		}
		if code == opMul || code == opDiv || code == opIdiv {
			o.src, o.dst = o.dst, arg{kind: argReg, reg: uint8(RAX)} // the operand is the source
		}
	}
	if o.size != 1 && o.size != 2 && o.size != 4 && o.size != 8 {
		return o, unsupported(inst)
	}
	return o, nil
}

// special lowers everything that is not a plain dst/src instruction.
func (l *lowerer) special(o op) (op, error) {
	inst := l.inst
	var err error
	switch inst.Op {
	case x86asm.NOP, x86asm.PAUSE, x86asm.MFENCE, x86asm.LFENCE, x86asm.SFENCE,
		x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2, x86asm.PREFETCHW:
		o.code = opNop
	case x86asm.IMUL:
		var sz uint8
		if o.dst, sz, err = l.arg(0); err != nil {
			return o, err
		}
		o.size = l.opSize(sz)
		switch {
		case inst.Args[1] == nil:
			o.code, o.src, o.dst = opImul1, o.dst, arg{}
		case inst.Args[2] == nil:
			o.code = opImul2
			o.src, _, err = l.arg(1)
		default:
			o.code = opImul3
			o.src, _, err = l.arg(1)
			if err == nil {
				var third arg
				third, _, err = l.arg(2)
				o.imm = third.disp
			}
		}
	case x86asm.PUSH:
		o.code, o.size = opPush, l.stackSize()
		if r, ok := inst.Args[0].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
			return o, unsupported(inst)
		}
		o.src, _, err = l.arg(0)
	case x86asm.POP:
		o.code, o.size = opPop, l.stackSize()
		if r, ok := inst.Args[0].(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
			return o, unsupported(inst)
		}
		o.dst, _, err = l.arg(0)
	case x86asm.PUSHF, x86asm.PUSHFD, x86asm.PUSHFQ:
		o.code, o.size = opPushf, l.stackSize()
	case x86asm.POPF, x86asm.POPFD, x86asm.POPFQ:
		o.code, o.size = opPopf, l.stackSize()
	case x86asm.CBW, x86asm.CWDE, x86asm.CDQE:
		o.code, o.size = opCbw, uint8(inst.DataSize/8)
	case x86asm.CWD, x86asm.CDQ, x86asm.CQO:
		o.code, o.size = opCwd, uint8(inst.DataSize/8)
	case x86asm.LAHF:
		o.code = opLahf
	case x86asm.SAHF:
		o.code = opSahf
	case x86asm.CLC:
		o.code = opClc
	case x86asm.STC:
		o.code = opStc
	case x86asm.CMC:
		o.code = opCmc
	case x86asm.CLD:
		o.code = opCld
	case x86asm.STD:
		o.code = opStd
	case x86asm.XLATB:
		o.code, o.size = opXlat, 1
		o.src, _, err = l.arg(0)
	case x86asm.JMP, x86asm.CALL:
		o.code = opJmp
		if inst.Op == x86asm.CALL {
			o.code = opCall
		}
		o.size = l.stackSize()
		if _, ok := inst.Args[0].(x86asm.Rel); ok {
			o.dst, _, err = l.arg(0)
			o.imm = o.dst.disp
			if inst.DataSize == 16 {
				o.imm &= 0xffff
			}
			break
		}
		o.code++ // opJmpInd, opCallInd
		if _, isMem := inst.Args[0].(x86asm.Mem); isMem && inst.MemBytes != int(o.size) {
			return o, unsupported(inst) // far jumps and calls
		}
		o.src, _, err = l.arg(0)
	case x86asm.RET:
		o.code, o.size = opRet, l.stackSize()
		if imm, ok := inst.Args[0].(x86asm.Imm); ok {
			o.imm = uint64(imm) & 0xffff
		}
	case x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE, x86asm.JCXZ, x86asm.JECXZ, x86asm.JRCXZ:
		o.code = opLoop
		switch inst.Op {
		case x86asm.LOOPE:
			o.cond = loopE
		case x86asm.LOOPNE:
			o.cond = loopNE
		case x86asm.JCXZ, x86asm.JECXZ, x86asm.JRCXZ:
			o.code = opJcxz
		}
		o.size = uint8(inst.AddrSize / 8) // counter width
		o.dst, _, err = l.arg(0)
		o.imm = o.dst.disp
	case x86asm.ENTER:
		o.code, o.size = opEnter, l.stackSize()
		a0, _ := inst.Args[0].(x86asm.Imm)
		a1, _ := inst.Args[1].(x86asm.Imm)
		o.imm = uint64(a0) & 0xffff
		o.src = arg{kind: argImm, disp: uint64(a1) & 31}
	case x86asm.LEAVE:
		o.code, o.size = opLeave, l.stackSize()
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ,
		x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ,
		x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ,
		x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ,
		x86asm.SCASB, x86asm.SCASW, x86asm.SCASD, x86asm.SCASQ:
		return l.str(o)
	case x86asm.CMPXCHG8B, x86asm.CMPXCHG16B:
		o.code, o.size = opCmpxchg8b, 8
		if inst.Op == x86asm.CMPXCHG16B {
			o.code, o.size = opCmpxchg16b, 16
		}
		o.dst, _, err = l.arg(0)
		if err == nil && o.dst.kind != argMem {
			return o, unsupported(inst)
		}
	case x86asm.FNSTCW, x86asm.FLDCW, x86asm.FNSTSW:
		o.code, o.size = opFnstcw, 2
		if inst.Op == x86asm.FLDCW {
			o.code = opFldcw
		} else if inst.Op == x86asm.FNSTSW {
			o.code = opFnstsw
		}
		if r, ok := inst.Args[0].(x86asm.Reg); ok && r == x86asm.AX {
			o.dst = arg{kind: argReg, reg: uint8(RAX)}
		} else {
			o.dst, _, err = l.arg(0)
			if err == nil && o.dst.kind != argMem {
				return o, unsupported(inst)
			}
		}
	case x86asm.FNINIT, x86asm.FNCLEX:
		o.code = opFninit
		if inst.Op == x86asm.FNCLEX {
			o.code, o.cond = opFninit, 1
		}
	case x86asm.FWAIT:
		o.code = opNop
	case x86asm.CPUID:
		o.code = opCpuid
	case x86asm.RDTSC:
		o.code = opRdtsc
	case x86asm.UD2, x86asm.UD1, x86asm.UD0:
		o.code = opUd2
	case x86asm.HLT, x86asm.CLI, x86asm.STI, x86asm.IN, x86asm.OUT, x86asm.INSB, x86asm.INSW, x86asm.INSD,
		x86asm.OUTSB, x86asm.OUTSW, x86asm.OUTSD, x86asm.RDMSR, x86asm.WRMSR, x86asm.RDPMC, x86asm.CLTS,
		x86asm.INVD, x86asm.WBINVD, x86asm.INVLPG, x86asm.LGDT, x86asm.LIDT, x86asm.LLDT, x86asm.LTR,
		x86asm.LMSW, x86asm.SWAPGS, x86asm.SYSRET, x86asm.SYSEXIT:
		// Privileged, or I/O with IOPL 0 and no I/O permission bitmap:
		// #GP at CPL 3, which Linux reports as SIGSEGV.
		o.code, o.imm = opGP, uint64(inst.Op)
	case x86asm.INTO:
		o.code = opInto
	case x86asm.BOUND:
		var sz uint8
		o.code = opBound
		if o.dst, sz, err = l.arg(0); err != nil {
			return o, err
		}
		o.size = sz
		if o.src, _, err = l.arg(1); err == nil && (o.dst.kind != argReg || o.src.kind != argMem) {
			return o, unsupported(inst)
		}
	case x86asm.AAM, x86asm.AAD:
		imm, _ := inst.Args[0].(x86asm.Imm)
		o.code, o.imm = opAam, uint64(imm)&0xff
		if inst.Op == x86asm.AAD {
			o.cond = 1
		}
	case x86asm.INT:
		imm, _ := inst.Args[0].(x86asm.Imm)
		switch {
		case imm == 3:
			o.code = opInt3
		case imm == 0x80 && l.mode == mm.Mode32:
			o.code = opInt80
		default:
			o.code = opInt
		}
	case x86asm.SYSCALL:
		if l.mode != mm.Mode64 {
			return o, unsupported(inst)
		}
		o.code = opSyscall
	default:
		return o, unsupported(inst)
	}
	return o, err
}

// str lowers the string instructions: dst.asize is the address size (the
// width of rSI, rDI and rCX), src.seg the source segment override.
func (l *lowerer) str(o op) (op, error) {
	inst := l.inst
	switch inst.Op {
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ:
		o.code = opMovs
	case x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ:
		o.code = opStos
	case x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ:
		o.code = opLods
	case x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ:
		o.code = opCmps
	default:
		o.code = opScas
	}
	switch inst.Op {
	case x86asm.MOVSB, x86asm.STOSB, x86asm.LODSB, x86asm.CMPSB, x86asm.SCASB:
		o.size = 1
	case x86asm.MOVSW, x86asm.STOSW, x86asm.LODSW, x86asm.CMPSW, x86asm.SCASW:
		o.size = 2
	case x86asm.MOVSD, x86asm.STOSD, x86asm.LODSD, x86asm.CMPSD, x86asm.SCASD:
		o.size = 4
	default:
		o.size = 8
	}
	o.dst = arg{kind: argMem, asize: uint8(inst.AddrSize / 8)}
	for _, a := range inst.Args {
		if m, ok := a.(x86asm.Mem); ok {
			switch m.Segment {
			case x86asm.FS:
				o.src.seg = segFS
			case x86asm.GS:
				o.src.seg = segGS
			}
		}
	}
	if hasPrefix(inst, x86asm.PrefixREP) {
		o.rep = repE
	} else if hasPrefix(inst, x86asm.PrefixREPN) {
		o.rep = repNE
	}
	if o.rep == repNE && (o.code == opMovs || o.code == opStos || o.code == opLods) {
		o.rep = repE // F2 acts as rep on the non-comparing string instructions
	}
	return o, nil
}

// fuse merges a block-ending conditional jump with the compare or test
// right before it (register and immediate operands only, so the pair can
// neither fault nor be split by a fault) into one op: one dispatch
// instead of two for the most common loop tail. It returns the new op
// count.
func fuse(ops []op) int {
	n := len(ops)
	if n < 2 || ops[n-1].code != opJcc {
		return n
	}
	p := &ops[n-2]
	if (p.code != opCmp && p.code != opTest) || p.dst.kind != argReg || (p.src.kind != argReg && p.src.kind != argImm) {
		return n
	}
	j := ops[n-1]
	if p.next() != j.pc {
		return n
	}
	if p.code == opCmp {
		p.code = opCmpJcc
	} else {
		p.code = opTestJcc
	}
	p.cond, p.imm, p.len = j.cond, j.imm, p.len+j.len
	return n - 1
}
