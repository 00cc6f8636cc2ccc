package isa

// Op records.
//
// Every guest instruction is lowered once, when its block is first
// decoded, into an Op: a fixed-size, pointer-free record holding the
// operation, its sizes, up to three operands, at most one memory operand's
// address parts, an immediate, and the instruction's address and length.
// Engines execute ops and never look at the decoder's representation
// again. Because an Op holds no Go pointers, a block's ops may live in
// memory the garbage collector does not scan (the dynarec heap).
//
// Operand kinds are resolved at lowering: each operand is a Kind and a
// register number, Form packs the three kinds into one value an engine
// can dispatch on once per op (FormRR, FormRI, FormRM, ...), and the one
// memory operand an x86 instruction can have is described once, in M and
// Disp, whichever operand it is. An immediate operand's value is Imm.

// Opcode is the operation of a lowered instruction.
type Opcode uint16

const (
	OpInvalid    Opcode = iota // SIGILL: the decoder or lowering refused the bytes
	OpFetchFault               // SIGSEGV: instruction bytes at Imm are not readable/executable
	OpNop
	OpFallthrough // synthetic: continue at Imm (block split); not a guest instruction

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
	OpMovToSeg   // segment register Cond = Src (16 bits)
	OpMovFromSeg // Dst = segment register Cond

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
	OpImul3 // dst = src * Imm (Src2)
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

	OpJmp    // Imm is the target
	OpJmpInd // target from Src
	OpJcc    // Cond, Imm target
	OpCall
	OpCallInd
	OpRet // Imm: bytes to release after the return address
	OpLoop
	OpJcxz
	OpEnter // Imm: frame size, Cond: nesting level
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
	// OpAtomic is a locked read-modify-write of memory: an instruction
	// with a LOCK prefix, or xchg with a memory operand (locked without
	// one). Cond is the opcode of the same instruction unlocked (OpAdd,
	// OpXadd, OpCmpxchg, ...), whose operands the op keeps; engines make
	// the access one atomic step on the real memory. Keeping it a distinct
	// opcode leaves the unlocked cases of the hot switch unchanged.
	OpAtomic
	OpCpuid
	OpRdtsc
	OpUd2
	OpGP    // #GP in user mode, SIGSEGV: a privileged or I/O instruction (Imm: its x86asm.Op) or, Imm 0, one longer than 15 bytes
	OpInto  // i386: #OF (SIGSEGV) when OF is set
	OpBound // i386: #BR (SIGSEGV) when the signed Dst lies outside the pair of bounds at Src
	OpAam   // i386 aam (Cond 0; Imm 0 is #DE, SIGFPE) and aad (Cond 1) with base Imm
	OpInt3
	OpInt   // any vector other than 3 and 0x80: #GP, SIGSEGV as Linux reports it
	OpInt80 // i386 system call
	OpSyscall
	OpThunk // Imm: thunk id (the code cache resolves the stub's hash), Size: return address width
	OpTrap  // 0F 3E: the return trap of CallGuest

	OpSseMov       // 128-bit move; FlagAligned: memory operand must be 16-byte aligned
	OpSseMovQ      // movq/movd (size 8/4): to an XMM register zero-extended, else the low lane
	OpSseHalf      // movlps/movhps/movlpd/movhpd: cond 0 low, 1 high 64 bits
	OpSimd         // dst = dst <Cond> src (packed integer or bitwise); FlagAligned: aligned memory
	OpSimdImm      // dst = dst <Cond> Imm (shifts by an immediate)
	OpPmovmskb     // dst = byte sign mask of src
	OpPshufd       // dst = dwords of src picked by Imm
	OpStmxcsr      // m32 = MXCSR
	OpLdmxcsr      // MXCSR = m32
	OpSseScalarMov // movss/movsd (size 4/8)
	OpFnstcw       // m16 = x87 control word
	OpFldcw        // x87 control word = m16
	OpFnstsw       // m16 or AX = x87 status word
	OpFninit       // reset the x87 control and status words
	OpCmpJcc       // fused cmp dst, src + jcc (Cond, Disp target); Len spans both
	OpTestJcc      // fused test dst, src + jcc
	OpMovmskF      // movmskps/movmskpd: sign bits of the lanes (size 4/8)
	OpShufF        // shufps/shufpd with Imm
	OpMovHLF       // movhlps (cond 0) / movlhps (cond 1)
	OpX87          // x87 sub-operation cond (lower_x87.go)
	OpVec          // vector op through guest/isa/vec: Cond indexes VecOps (lower_vec.go)
	OpMmx          // MMX op: Cond indexes MmxOps (lower_mmx.go)
	OpVex          // VEX-encoded op: VexIndex (Cond, Rep) indexes VexOps (lower_vex.go)

	// lower_int.go: the integer instructions after the base set.
	OpBmi     // BMI1/BMI2 sub-operation Cond (Bmi*): Dst = f(Src r/m, Src2 vvvv register or Imm); Size 4 or 8
	OpAdx     // adcx (Cond 0: carry in and out CF) / adox (Cond 1: OF): Dst += Src + carry
	OpRdpid   // Dst (Size) = IA32_TSC_AUX, what rdtscp returns in ECX
	OpFar     // far jmp/call/ret (Cond FarJmp, FarCall, FarRet) within the guest's code selector; Size the offset width
	OpArpl    // i386 arpl r/m16, r16: raise the RPL of Dst to Src's; ZF says whether it changed
	OpUmip    // smsw, sldt, str, sgdt, sidt (Cond Umip*): the values Linux's UMIP emulation stores
	OpPushSeg // push segment register Cond (Size the stack slot, the selector zero-extended)
	OpPopSeg  // pop segment register Cond (Size the stack slot)
	OpLoadFar // lds/les/lfs/lgs/lss: Dst (Size) = offset at Src, segment register Cond = the selector after it
	OpPusha   // i386 pusha/pushad (Size 2 or 4)
	OpPopa    // i386 popa/popad (Size 2 or 4)
	OpBcd     // i386 daa, das, aaa, aas, salc (Cond Bcd*)
	OpSegInfo // lar, lsl (Dst, Size), verr, verw (Cond SegInfo*) of the selector in Src: ZF says whether it is visible
	OpFsBase  // rdfsbase, rdgsbase, wrfsbase, wrgsbase (Cond FsBase*) with Dst (Size 4 or 8); 64-bit mode

	NumOpcodes
)

// Kind says what an operand is.
type Kind uint8

const (
	KindNone  Kind = iota
	KindReg        // general register Reg, low Size bytes
	KindRegHi      // AH, CH, DH, BH: bits 8..15 of register Reg
	KindMem        // memory at M and Disp, modulo 2^(8*M.ASize)
	KindImm        // the immediate Op.Imm (sign-extended to 64 bits)
	KindVec        // vector register Reg: XMM (VL 16) or YMM (VL 32)
	KindSt         // x87 stack register st(Reg)
	KindMM         // MMX register mm(Reg): the significand of x87 physical register Reg
	numKinds
)

// Arg is one operand: its kind and, for the register kinds, the register
// number.
type Arg struct {
	Kind Kind
	Reg  uint8
}

// NoReg marks an absent base or index register.
const NoReg = 0xff

// Segment overrides that matter in a flat address space (Mem.Seg).
const (
	SegNone uint8 = iota
	SegFS
	SegGS
)

// Mem is the address of an op's memory operand (the operand of kind
// KindMem; string instructions use ASize and Seg for their implicit
// operands): [Seg: Base + Index<<Scale + Op.Disp], modulo 2^(8*ASize).
type Mem struct {
	Base  uint8 // the base register or NoReg
	Index uint8 // the index register or NoReg
	Scale uint8 // log2 of the index scale
	Seg   uint8 // SegNone, SegFS or SegGS
	ASize uint8 // address size in bytes (2, 4 or 8)
}

// Form packs the kinds of an op's three operands, Dst in bits 0..3, Src in
// 4..7 and Src2 in 8..11, so that an engine can tell the operand forms of
// an op with one comparison.
type Form uint16

// FormOf is the Form of operands of kinds dst, src and src2.
func FormOf(dst, src, src2 Kind) Form { return Form(dst) | Form(src)<<4 | Form(src2)<<8 }

// The common forms (Src2 none): R register, M memory, I immediate, V
// vector register.
const (
	FormNone = Form(KindNone)
	FormR    = Form(KindReg)
	FormM    = Form(KindMem)
	FormRR   = Form(KindReg) | Form(KindReg)<<4
	FormRI   = Form(KindReg) | Form(KindImm)<<4
	FormRM   = Form(KindReg) | Form(KindMem)<<4
	FormMR   = Form(KindMem) | Form(KindReg)<<4
	FormMI   = Form(KindMem) | Form(KindImm)<<4
	FormVV   = Form(KindVec) | Form(KindVec)<<4
	FormVM   = Form(KindVec) | Form(KindMem)<<4
)

// Dst is the kind of the first operand of f.
func (f Form) Dst() Kind { return Kind(f & 0xf) }

// Src is the kind of the second operand of f.
func (f Form) Src() Kind { return Kind(f >> 4 & 0xf) }

// Src2 is the kind of the third operand of f.
func (f Form) Src2() Kind { return Kind(f >> 8 & 0xf) }

// Op flags.
const (
	// FlagLock: the instruction has a LOCK prefix (and takes one).
	FlagLock uint8 = 1 << iota
	// FlagAligned: the legacy-SSE memory operand must be 16-byte aligned
	// (#GP otherwise).
	FlagAligned
	// FlagJumped: the op is the target of a direct jmp that the block
	// decoder followed instead of ending the block there; the jmp, one
	// guest instruction, has no op of its own and is done when this op
	// starts.
	FlagJumped
)

// Op is one lowered instruction.
type Op struct {
	Code Opcode
	// Form is FormOf(Dst.Kind, Src.Kind, Src2.Kind), set by lowering.
	Form  Form
	Size  uint8 // operand size in bytes (1, 2, 4, 8; 16 for cmpxchg16b and vectors)
	SSize uint8 // source size for movzx/movsx/movsxd and conversions; x87 memory size
	Cond  uint8 // condition code of jcc/setcc/cmovcc; the sub-operation of a family op
	Rep   uint8 // RepNone, RepE, RepNE for string instructions; pops for x87
	Len   uint8 // instruction length in bytes
	VL    uint8 // vector length in bytes: 16 (XMM) or 32 (YMM, VEX.L); 0 for other ops
	Flags uint8 // FlagLock, FlagAligned
	// Dst, Src and Src2 are the operands (Src2: the third operand of
	// three-operand forms: imul r, r/m, imm; shld r/m, r, imm|cl; pshufd,
	// shufps, cmpps imm8).
	Dst, Src, Src2 Arg
	// M is the memory operand's address (when an operand is KindMem, and
	// for string instructions).
	M Mem
	// Exec is the engine's own: lowering leaves it 0, and the engine that
	// runs the process may set it when the block is decoded, before any
	// thread runs it (engine.Preparer) — the interpreter names the
	// specialised handler of the op there. It fills padding, so the record
	// keeps its size.
	Exec uint16
	// Disp is the memory operand's displacement (sign-extended; the full
	// 64-bit address of the moffs forms), or the branch target of the
	// fused compare-and-branch ops.
	Disp uint64
	// Imm is the immediate operand, branch target, or other per-op
	// constant (see the opcodes).
	Imm uint64
	// PC is the guest address of the instruction.
	PC uint64
}

// Repeat prefixes of string instructions.
const (
	RepNone uint8 = iota
	RepE          // rep / repe
	RepNE         // repne
)

// Loop kinds (Op.Cond of OpLoop).
const (
	LoopAlways uint8 = iota
	LoopE
	LoopNE
)

// Next is the address of the following instruction.
func (o *Op) Next() uint64 { return o.PC + uint64(o.Len) }

// EndsBlock reports whether control may leave the straight line after o,
// or whether o must be the last of its block for another reason.
func (o *Op) EndsBlock() bool {
	switch o.Code {
	case OpInvalid, OpFetchFault, OpFallthrough, OpJmp, OpJmpInd, OpJcc, OpCmpJcc, OpTestJcc, OpCall, OpCallInd, OpRet,
		OpLoop, OpJcxz, OpUd2, OpGP, OpInt3, OpInt, OpInt80, OpSyscall, OpThunk, OpTrap, OpFar:
		return true
	}
	return false
}
