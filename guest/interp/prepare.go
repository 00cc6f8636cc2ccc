package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
)

// Specialised handlers.
//
// Most executed instructions are a few integer forms: mov, the ALU ops and
// compares on 32- and 64-bit registers and immediates, loads and stores
// without a segment override, lea, inc/dec, push/pop of a register, and
// the branches that end blocks. When a block is decoded, Prepare gives each
// such op the number of a handler written for exactly that form
// (isa.Op.Exec), and the interpreter's first switch runs it: one dispatch,
// no switch on the operand kinds, no operand helpers, and for the 4- and
// 8-byte forms a register write without the merge a narrow write needs.
// Every other op has Exec 0 and takes the general path, the switch over
// its opcode.
//
// Exec is decided from the op alone and never changes the op's meaning:
// an op the interpreter ran through its general path would give the same
// result. The block-ending branches have no general-path case, so the
// interpreter runs only blocks that Prepare has seen; the code cache calls
// it for every block it decodes (an engine that hands blocks to the
// interpreter must call it as well).

// Exec values (isa.Op.Exec) of the interpreter's specialised handlers.
// "Wide" handlers take operand sizes 4 and 8 only; "plain" memory forms
// have no segment override.
const (
	execGeneral uint16 = iota // the general path: the switch over Op.Code

	execMovRR   // mov r, r (wide)
	execMovRI   // mov r, imm (wide)
	execMovRM   // mov r, [m] (wide, plain)
	execMovMR   // mov [m], r (plain)
	execMovMI   // mov [m], imm (plain)
	execMovzxRM // movzx r, [m] (wide, plain)
	execMovsxRM // movsx/movsxd r, [m] (wide, plain)
	execLea     // lea r, [m] (wide)

	execAddRR // add r, r (wide); likewise the ALU ops below
	execAddRI
	execAddRM // add r, [m] (wide, plain)
	execSubRR
	execSubRI
	execAndRR
	execAndRI
	execOrRR
	execOrRI
	execXorRR
	execXorRI
	execCmpRR
	execCmpRI
	execCmpRM // cmp r, [m] (wide, plain)
	execCmpMR // cmp [m], r (plain)
	execCmpMI // cmp [m], imm (plain)
	execTestRR
	execTestRI
	execInc  // inc r (wide)
	execDec  // dec r (wide)
	execPush // push r (wide)
	execPop  // pop r (wide)

	// The block-ending branches (every one of them has a handler).
	execFallthrough
	execJmp
	execJcc
	execCmpJcc // fused cmp + jcc (isa.Fuse)
	execTestJcc
	execCall
	execRet
	// The fused compares by condition (cpu.CondE...), and the fused tests
	// of ZF.
	execCmpJccE
	execCmpJccNE
	execCmpJccB
	execCmpJccAE
	execCmpJccBE
	execCmpJccA
	execCmpJccL
	execCmpJccGE
	execCmpJccLE
	execCmpJccG
	execTestJccE
	execTestJccNE
)

// cmpJccExec is the handler of the fused compare with condition cc, by cc.
var cmpJccExec = [16]uint16{
	cpu.CondE: execCmpJccE, cpu.CondNE: execCmpJccNE, cpu.CondB: execCmpJccB, cpu.CondAE: execCmpJccAE,
	cpu.CondBE: execCmpJccBE, cpu.CondA: execCmpJccA, cpu.CondL: execCmpJccL, cpu.CondGE: execCmpJccGE,
	cpu.CondLE: execCmpJccLE, cpu.CondG: execCmpJccG,
}

// Prepare implements engine.Preparer: it picks each op's handler.
func (Engine) Prepare(ops []isa.Op) {
	for i := range ops {
		ops[i].Exec = execOf(&ops[i])
	}
}

// execOf is the specialised handler of o, or execGeneral.
func execOf(o *isa.Op) uint16 {
	switch o.Code {
	case isa.OpFallthrough:
		return execFallthrough
	case isa.OpJmp:
		return execJmp
	case isa.OpJcc:
		return execJcc
	case isa.OpCmpJcc:
		if e := cmpJccExec[o.Cond&15]; e != 0 {
			return e
		}
		return execCmpJcc
	case isa.OpTestJcc:
		switch o.Cond {
		case cpu.CondE:
			return execTestJccE
		case cpu.CondNE:
			return execTestJccNE
		}
		return execTestJcc
	case isa.OpCall:
		return execCall
	case isa.OpRet:
		return execRet
	}
	if o.Flags&isa.FlagLock != 0 {
		return execGeneral
	}
	wide := o.Size == 4 || o.Size == 8
	plain := o.M.Seg == isa.SegNone
	switch o.Code {
	case isa.OpMov:
		switch {
		case o.Form == isa.FormRR && wide:
			return execMovRR
		case o.Form == isa.FormRI && wide:
			return execMovRI
		case o.Form == isa.FormRM && wide && plain:
			return execMovRM
		case o.Form == isa.FormMR && plain:
			return execMovMR
		case o.Form == isa.FormMI && plain:
			return execMovMI
		}
	case isa.OpMovzx:
		if o.Form == isa.FormRM && wide && plain && (o.SSize == 1 || o.SSize == 2) {
			return execMovzxRM
		}
	case isa.OpMovsx:
		if o.Form == isa.FormRM && wide && plain && (o.SSize == 1 || o.SSize == 2 || o.SSize == 4) {
			return execMovsxRM
		}
	case isa.OpLea:
		if o.Dst.Kind == isa.KindReg && wide {
			return execLea
		}
	case isa.OpAdd:
		return aluExec(o, wide, plain, execAddRR, execAddRI, execAddRM)
	case isa.OpSub:
		return aluExec(o, wide, plain, execSubRR, execSubRI, execGeneral)
	case isa.OpAnd:
		return aluExec(o, wide, plain, execAndRR, execAndRI, execGeneral)
	case isa.OpOr:
		return aluExec(o, wide, plain, execOrRR, execOrRI, execGeneral)
	case isa.OpXor:
		return aluExec(o, wide, plain, execXorRR, execXorRI, execGeneral)
	case isa.OpTest:
		return aluExec(o, wide, plain, execTestRR, execTestRI, execGeneral)
	case isa.OpCmp:
		switch {
		case o.Form == isa.FormMR && plain:
			return execCmpMR
		case o.Form == isa.FormMI && plain:
			return execCmpMI
		}
		return aluExec(o, wide, plain, execCmpRR, execCmpRI, execCmpRM)
	case isa.OpInc, isa.OpDec:
		if o.Form == isa.FormR && wide {
			if o.Code == isa.OpInc {
				return execInc
			}
			return execDec
		}
	case isa.OpPush:
		if o.Form == isa.FormOf(isa.KindNone, isa.KindReg, isa.KindNone) && wide {
			return execPush
		}
	case isa.OpPop:
		if o.Form == isa.FormR && wide {
			return execPop
		}
	}
	return execGeneral
}

// aluExec picks among the register, immediate and memory-source handlers
// of a two-operand ALU op.
func aluExec(o *isa.Op, wide, plain bool, rr, ri, rm uint16) uint16 {
	switch {
	case !wide:
		return execGeneral
	case o.Form == isa.FormRR:
		return rr
	case o.Form == isa.FormRI:
		return ri
	case o.Form == isa.FormRM && plain:
		return rm
	}
	return execGeneral
}
