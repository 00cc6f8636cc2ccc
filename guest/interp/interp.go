// Package interp is the interpreter: the reference engine. It runs the ops
// of the shared code cache's blocks through one dense switch over their
// opcode and implements the instruction semantics (interp.go: the general
// integer set; alu.go: multiplies, divides, shifts, rotates, bit scans,
// over guest/isa/alu; int_ext.go: BMI, ADX, far transfers, segment loads, the UMIP and
// i386-only instructions; string.go; sse.go and sse_float.go: the SSE
// subset; vec.go: the vector instructions of guest/isa/vec; vex.go: the
// VEX-encoded AVX, AVX2, FMA3 and F16C instructions; xsave.go: XSAVE,
// XRSTOR and XGETBV over guest/cpu's save areas; x87.go: the x87 subset with exact 80-bit arithmetic)
// and guest memory access
// (mem_unsafe.go). It registers itself with package engine as "interp"
// and returns to the engine's run loop for everything that is not an
// instruction's own work.
package interp

import (
	"math/bits"
	"sync/atomic"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/interp/locked"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// The interpreter.
//
// Run executes blocks until something needs the run loop (a system call, a
// thunk, a fault, the callback trap, a stop request: Context.Stop). The
// common integer forms and the block-ending branches run in a first
// switch over the handler Prepare picked for the op (isa.Op.Exec,
// prepare.go), written out for one form each; every other op takes the
// general path, a dense switch over its opcode whose operands are read and
// written through the small helpers below, which switch on the operand
// kind. No op allocates and none calls through an interface.
//
// The loop walks a block's ops by pointer (nextOp) and reads the stop word
// at the block's entry and after every op that can have stored into
// decoded code: the general path's ops and the handlers' slow stores (a
// handler's store reaches Thread.CodeWrite only through storeSlow). Ops that
// can fault store their address in Context.PC first; register-only
// handlers do not.
//
// Control-flow ops end their block: they set pc and break out of the op
// loop. The next block is found through the current block's successor
// cache, the thread's direct-mapped table, the index, or by decoding
// (engine.Thread.Lookup).

// machine is the interpreter's state for one Run of one thread: what the
// hot loop reads, copied out of the thread and its process once.
type machine struct {
	t *engine.Thread
	p *engine.Process
	c *cpu.CPU
	x *engine.Context
	// filter is the process's code-page filter (engine.FilterSlot).
	filter *[engine.FilterWords]uint64
	mode   mm.Mode
	// b is the block being run (its ops: done).
	b *engine.Block
	// wrapEdge is the lowest address at which an 8-byte access could wrap
	// past the end of the guest's address space (Mode32), else ^0.
	wrapEdge uint64
	// spMask masks the stack pointer: 32 bits in Mode32.
	spMask uint64
	// vx is the VEX operand block of this run (vex.go), taken from
	// vexPool on first use and returned when the run ends.
	vx *isa.VexIn
}

// Engine is the interpreter: the reference engine.
type Engine struct{}

func init() {
	engine.Register("interp", func(*engine.Process) (engine.Engine, error) { return Engine{}, nil })
}

// Run implements engine.Engine.
func (Engine) Run(t *engine.Thread) engine.Reason {
	p := t.Process()
	m := machine{t: t, p: p, c: t.CPU(), x: t.Context(), filter: p.CodeFilter(), mode: p.Mode(), wrapEdge: ^uint64(0), spMask: ^uint64(0)}
	if m.mode == mm.Mode32 {
		m.wrapEdge, m.spMask = 1<<32-8, 0xffffffff
	}
	r := m.run()
	if m.vx != nil {
		vexPool.Put(m.vx)
	}
	return r
}

// fault ends the run at o, the i-th op of its block, with fault f.
func (m *machine) fault(o *isa.Op, i int, f engine.Fault) engine.Reason {
	m.c.RIP = o.PC
	m.x.Instructions += m.done(i)
	m.x.Fault = f
	return engine.ReasonFault
}

// stop ends the run before o, an op of the current block m.b, for the
// stop bits s: execution continues at o afresh.
func (m *machine) stop(o *isa.Op, s uint32) engine.Reason {
	m.c.RIP, m.x.PC = o.PC, o.PC
	m.x.Instructions += m.done(opIndex(m.b.Ops, o))
	return engine.StopReason(s)
}

// done is the number of guest instructions of the current block m.b done
// when its i-th op starts: the ops before it and the direct jumps the
// block decoder followed up to it (isa.FlagJumped).
func (m *machine) done(i int) uint64 {
	n := uint64(i)
	ops := m.b.Ops
	for k := 0; k <= i && k < len(ops); k++ {
		if ops[k].Flags&isa.FlagJumped != 0 {
			n++
		}
	}
	return n
}

func (m *machine) run() engine.Reason {
	c, x := m.c, m.x
	pc := c.RIP
	b := m.t.Lookup(pc)
	m.b = b
	for {
		x.Blocks++
		o := &b.Ops[0]
		// The stop word is read once per block: requests of other
		// goroutines wait at most one block, and this thread's own store
		// into decoded code (storeSlow) is checked right after the op
		// that made it (stored, below).
		if s := atomic.LoadUint32(&x.Stop); s != 0 {
			return m.stop(o, s)
		}
	run:
		for {
			var i int // o's index in b.Ops, on the general path
			// The specialised handlers (prepare.go). Each ends by moving
			// to the next op, or by leaving the block with pc set. The
			// ones that can fault name their instruction in x.PC first.
			switch o.Exec {
			case execMovRR:
				c.Regs[o.Dst.Reg&15] = c.Regs[o.Src.Reg&15] & sizeMask[o.Size]
				o = nextOp(o)
				continue
			case execMovRI:
				c.Regs[o.Dst.Reg&15] = o.Imm & sizeMask[o.Size]
				o = nextOp(o)
				continue
			case execMovRM:
				x.PC = o.PC
				ad := eaFlat(c, o)
				var v uint64
				if ad > m.wrapEdge {
					v = m.loadSlow(ad, o.Size)
				} else if o.Size == 8 {
					v = load64(ad)
				} else {
					v = load32(ad)
				}
				c.Regs[o.Dst.Reg&15] = v
				o = nextOp(o)
				continue
			case execMovMR, execMovMI:
				x.PC = o.PC
				ad := eaFlat(c, o)
				v := o.Imm
				if o.Exec == execMovMR {
					v = c.Regs[o.Src.Reg&15]
				}
				if ad&(mm.PageSize-1) <= mm.PageSize-uint64(o.Size) && m.codeFree(ad) {
					storeN(ad, o.Size, v)
					o = nextOp(o)
					continue
				}
				m.storeSlow(ad, o.Size, v)
				goto stored
			case execMovzxRM:
				x.PC = o.PC
				ad := eaFlat(c, o)
				var v uint64
				if ad > m.wrapEdge {
					v = m.loadSlow(ad, o.SSize)
				} else if o.SSize == 1 {
					v = load8(ad)
				} else {
					v = load16(ad)
				}
				c.Regs[o.Dst.Reg&15] = v
				o = nextOp(o)
				continue
			case execMovsxRM:
				x.PC = o.PC
				ad := eaFlat(c, o)
				var v uint64
				if m.loadOK(ad) {
					v = loadN(ad, o.SSize)
				} else {
					v = m.loadSlow(ad, o.SSize)
				}
				sh := 64 - 8*uint(o.SSize)
				c.Regs[o.Dst.Reg&15] = uint64(int64(v<<sh)>>sh) & sizeMask[o.Size]
				o = nextOp(o)
				continue
			case execLea:
				c.Regs[o.Dst.Reg&15] = eaFlat(c, o) & sizeMask[o.Size]
				o = nextOp(o)
				continue

			case execAddRR, execAddRI:
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				bv := o.Imm & msk
				if o.Exec == execAddRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				r := (a + bv) & msk
				c.Regs[o.Dst.Reg&15] = r
				c.SetLazy(cpu.LazyAdd, o.Size, a, bv, r)
				o = nextOp(o)
				continue
			case execAddRM:
				x.PC = o.PC
				ad := eaFlat(c, o)
				var bv uint64
				if m.loadOK(ad) {
					bv = loadN(ad, o.Size)
				} else {
					bv = m.loadSlow(ad, o.Size)
				}
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				r := (a + bv) & msk
				c.Regs[o.Dst.Reg&15] = r
				c.SetLazy(cpu.LazyAdd, o.Size, a, bv, r)
				o = nextOp(o)
				continue
			case execSubRR, execSubRI:
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				bv := o.Imm & msk
				if o.Exec == execSubRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				r := (a - bv) & msk
				c.Regs[o.Dst.Reg&15] = r
				c.SetLazy(cpu.LazySub, o.Size, a, bv, r)
				o = nextOp(o)
				continue
			case execAndRR, execAndRI:
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				bv := o.Imm & msk
				if o.Exec == execAndRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				r := a & bv
				c.Regs[o.Dst.Reg&15] = r
				c.SetLazy(cpu.LazyLogic, o.Size, a, bv, r)
				o = nextOp(o)
				continue
			case execOrRR, execOrRI:
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				bv := o.Imm & msk
				if o.Exec == execOrRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				r := a | bv
				c.Regs[o.Dst.Reg&15] = r
				c.SetLazy(cpu.LazyLogic, o.Size, a, bv, r)
				o = nextOp(o)
				continue
			case execXorRR, execXorRI:
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				bv := o.Imm & msk
				if o.Exec == execXorRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				r := a ^ bv
				c.Regs[o.Dst.Reg&15] = r
				c.SetLazy(cpu.LazyLogic, o.Size, a, bv, r)
				o = nextOp(o)
				continue
			case execCmpRR, execCmpRI:
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				bv := o.Imm & msk
				if o.Exec == execCmpRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				o = nextOp(o)
				continue
			case execCmpRM, execCmpMR, execCmpMI:
				x.PC = o.PC
				ad := eaFlat(c, o)
				var v uint64
				if m.loadOK(ad) {
					v = loadN(ad, o.Size)
				} else {
					v = m.loadSlow(ad, o.Size)
				}
				msk := sizeMask[o.Size]
				var a, bv uint64
				switch o.Exec {
				case execCmpMI:
					a, bv = v, o.Imm&msk
				case execCmpMR:
					a, bv = v, c.Regs[o.Src.Reg&15]&msk
				default:
					a, bv = c.Regs[o.Dst.Reg&15]&msk, v
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				o = nextOp(o)
				continue
			case execTestRR, execTestRI:
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				bv := o.Imm & msk
				if o.Exec == execTestRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazyLogic, o.Size, a, bv, a&bv)
				o = nextOp(o)
				continue
			case execInc, execDec:
				var cin uint64
				if a, bv, ok := c.SubOperands(); ok {
					if a < bv { // CF of the compare before (inlined)
						cin = 1
					}
				} else if c.Carry() {
					cin = 1
				}
				msk := sizeMask[o.Size]
				a := c.Regs[o.Dst.Reg&15] & msk
				r, lop := (a+1)&msk, cpu.LazyInc
				if o.Exec == execDec {
					r, lop = (a-1)&msk, cpu.LazyDec
				}
				c.Regs[o.Dst.Reg&15] = r
				c.SetLazyCin(lop, o.Size, a, 1, r, cin)
				o = nextOp(o)
				continue
			case execPush:
				// push rsp pushes the old value.
				x.PC = o.PC
				v := c.Regs[o.Src.Reg&15]
				sp := (c.Regs[cpu.RSP] - uint64(o.Size)) & m.spMask
				if sp&(mm.PageSize-1) <= mm.PageSize-uint64(o.Size) && m.codeFree(sp) {
					storeN(sp, o.Size, v)
					c.Regs[cpu.RSP] = sp
					o = nextOp(o)
					continue
				}
				m.storeSlow(sp, o.Size, v)
				c.Regs[cpu.RSP] = sp
				goto stored
			case execPop:
				// pop rsp loads the value popped.
				x.PC = o.PC
				sp := c.Regs[cpu.RSP]
				var v uint64
				if m.loadOK(sp) {
					v = loadN(sp, o.Size)
				} else {
					v = m.loadSlow(sp, o.Size)
				}
				c.Regs[cpu.RSP] = (sp + uint64(o.Size)) & m.spMask
				c.Regs[o.Dst.Reg&15] = v
				o = nextOp(o)
				continue

			case execFallthrough, execJmp:
				pc = o.Imm
				break run
			case execJcc:
				// After a compare the operands decide the common
				// conditions without evaluating the flags.
				var take bool
				if a, bv, ok := c.SubOperands(); ok && o.Cond >= cpu.CondB && o.Cond <= cpu.CondA {
					switch o.Cond {
					case cpu.CondB:
						take = a < bv
					case cpu.CondAE:
						take = a >= bv
					case cpu.CondE:
						take = a == bv
					case cpu.CondNE:
						take = a != bv
					case cpu.CondBE:
						take = a <= bv
					default:
						take = a > bv
					}
				} else {
					take = c.Cond(o.Cond)
				}
				if take {
					pc = o.Imm
				} else {
					pc = o.Next()
				}
				break run
			// The fused compares and tests of the common conditions
			// (signed ones: a < b as signed numbers is a^sign < b^sign
			// unsigned).
			case execCmpJccE:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				pc = o.Next()
				if a == bv {
					pc = o.Disp
				}
				break run
			case execCmpJccNE:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				pc = o.Next()
				if a != bv {
					pc = o.Disp
				}
				break run
			case execCmpJccB:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				pc = o.Next()
				if a < bv {
					pc = o.Disp
				}
				break run
			case execCmpJccAE:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				pc = o.Next()
				if a >= bv {
					pc = o.Disp
				}
				break run
			case execCmpJccBE:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				pc = o.Next()
				if a <= bv {
					pc = o.Disp
				}
				break run
			case execCmpJccA:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				pc = o.Next()
				if a > bv {
					pc = o.Disp
				}
				break run
			case execCmpJccL:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				sg := signBit[o.Size]
				pc = o.Next()
				if a^sg < bv^sg {
					pc = o.Disp
				}
				break run
			case execCmpJccGE:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				sg := signBit[o.Size]
				pc = o.Next()
				if a^sg >= bv^sg {
					pc = o.Disp
				}
				break run
			case execCmpJccLE:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				sg := signBit[o.Size]
				pc = o.Next()
				if a^sg <= bv^sg {
					pc = o.Disp
				}
				break run
			case execCmpJccG:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&msk)
				sg := signBit[o.Size]
				pc = o.Next()
				if a^sg > bv^sg {
					pc = o.Disp
				}
				break run
			case execTestJccE:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazyLogic, o.Size, a, bv, a&bv)
				pc = o.Next()
				if a&bv == 0 {
					pc = o.Disp
				}
				break run
			case execTestJccNE:
				msk := sizeMask[o.Size]
				a, bv := c.Regs[o.Dst.Reg&15]&msk, o.Imm&msk
				if o.Form == isa.FormRR {
					bv = c.Regs[o.Src.Reg&15] & msk
				}
				c.SetLazy(cpu.LazyLogic, o.Size, a, bv, a&bv)
				pc = o.Next()
				if a&bv != 0 {
					pc = o.Disp
				}
				break run
			case execCmpJcc, execTestJcc:
				pc = m.fusedJcc(c, o)
				break run
			case execCall:
				// A store into decoded code is seen at the next block's
				// entry, before its first instruction.
				x.PC = o.PC
				m.push(c, o.Size, o.Next())
				pc = o.Imm
				break run
			case execRet:
				x.PC = o.PC
				pc = m.pop(c, o.Size)
				if o.Imm != 0 {
					setReg(c, uint8(cpu.RSP), m.stackSize(), c.Regs[cpu.RSP]+o.Imm)
				}
				break run
			}

			// The general path. Its cases end with break (or by leaving
			// the block), never continue: the step to the next op and
			// the stop-word check follow the switch.
			x.PC = o.PC
			i = opIndex(b.Ops, o)
			switch o.Code {
			case isa.OpNop:

			case isa.OpMov:
				v := m.get(c, o, o.Src, o.Size)
				if o.Dst.Kind == isa.KindMem {
					m.store(m.ea(c, o), o.Size, v)
					break
				}
				m.put(c, o, o.Dst, o.Size, v)
			case isa.OpMovzx:
				m.put(c, o, o.Dst, o.Size, m.get(c, o, o.Src, o.SSize))
			case isa.OpMovsx:
				v := m.get(c, o, o.Src, o.SSize)
				sh := 64 - 8*uint(o.SSize)
				m.put(c, o, o.Dst, o.Size, uint64(int64(v<<sh)>>sh))
			case isa.OpLea:
				setReg(c, o.Dst.Reg, o.Size, m.eaNoSeg(c, o))
			case isa.OpXchg:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				bv, bd := m.getRMW(c, o, o.Src, o.Size)
				m.putRMW(c, o, o.Src, o.Size, bd, a)
				m.putRMW(c, o, o.Dst, o.Size, ad, bv)
			case isa.OpPush:
				m.push(c, o.Size, m.get(c, o, o.Src, o.Size))
			case isa.OpPop:
				v := m.pop(c, o.Size)
				m.put(c, o, o.Dst, o.Size, v)
			case isa.OpPushf, isa.OpPopf, isa.OpCmov, isa.OpSet, isa.OpBswap, isa.OpCbw, isa.OpCwd, isa.OpLahf, isa.OpSahf,
				isa.OpClc, isa.OpStc, isa.OpCmc, isa.OpCld, isa.OpStd, isa.OpXlat:
				m.flagsAndMoves(c, o)
			case isa.OpMovToSeg:
				sel := uint16(m.get(c, o, o.Src, 2))
				if f := m.loadSeg(c, o.Cond, sel); f != 0 {
					return m.fault(o, i, f)
				}
			case isa.OpMovFromSeg:
				m.put(c, o, o.Dst, o.Size, m.segSelector(c, o.Cond))

			case isa.OpAdd:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				bv := m.get(c, o, o.Src, o.Size)
				r := (a + bv) & sizeMask[o.Size]
				m.putRMW(c, o, o.Dst, o.Size, ad, r)
				c.SetLazy(cpu.LazyAdd, o.Size, a, bv, r)
			case isa.OpSub:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				bv := m.get(c, o, o.Src, o.Size)
				r := (a - bv) & sizeMask[o.Size]
				m.putRMW(c, o, o.Dst, o.Size, ad, r)
				c.SetLazy(cpu.LazySub, o.Size, a, bv, r)
			case isa.OpCmp:
				a := m.get(c, o, o.Dst, o.Size)
				bv := m.get(c, o, o.Src, o.Size)
				c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&sizeMask[o.Size])
			case isa.OpAdc, isa.OpSbb:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				bv := m.get(c, o, o.Src, o.Size)
				var cin uint64
				if c.Carry() {
					cin = 1
				}
				var r uint64
				if o.Code == isa.OpAdc {
					r = (a + bv + cin) & sizeMask[o.Size]
					c.SetLazyCin(cpu.LazyAdc, o.Size, a, bv, r, cin)
				} else {
					r = (a - bv - cin) & sizeMask[o.Size]
					c.SetLazyCin(cpu.LazySbb, o.Size, a, bv, r, cin)
				}
				m.putRMW(c, o, o.Dst, o.Size, ad, r)
			case isa.OpAnd, isa.OpOr, isa.OpXor:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				bv := m.get(c, o, o.Src, o.Size)
				var r uint64
				switch o.Code {
				case isa.OpAnd:
					r = a & bv
				case isa.OpOr:
					r = a | bv
				default:
					r = a ^ bv
				}
				m.putRMW(c, o, o.Dst, o.Size, ad, r)
				c.SetLazy(cpu.LazyLogic, o.Size, a, bv, r)
			case isa.OpTest:
				a := m.get(c, o, o.Dst, o.Size)
				bv := m.get(c, o, o.Src, o.Size)
				c.SetLazy(cpu.LazyLogic, o.Size, a, bv, a&bv)
			case isa.OpInc, isa.OpDec:
				var cin uint64
				if a, bv, ok := c.SubOperands(); ok {
					if a < bv { // CF of the compare before (inlined)
						cin = 1
					}
				} else if c.Carry() {
					cin = 1
				}
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				if o.Code == isa.OpInc {
					r := (a + 1) & sizeMask[o.Size]
					m.putRMW(c, o, o.Dst, o.Size, ad, r)
					c.SetLazyCin(cpu.LazyInc, o.Size, a, 1, r, cin)
				} else {
					r := (a - 1) & sizeMask[o.Size]
					m.putRMW(c, o, o.Dst, o.Size, ad, r)
					c.SetLazyCin(cpu.LazyDec, o.Size, a, 1, r, cin)
				}
			case isa.OpNeg:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				r := -a & sizeMask[o.Size]
				m.putRMW(c, o, o.Dst, o.Size, ad, r)
				c.SetLazy(cpu.LazySub, o.Size, 0, a, r)
			case isa.OpNot:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				m.putRMW(c, o, o.Dst, o.Size, ad, ^a&sizeMask[o.Size])
			case isa.OpMul, isa.OpImul1:
				m.mul1(c, o)
			case isa.OpImul2, isa.OpImul3:
				m.imul(c, o)
			case isa.OpDiv, isa.OpIdiv:
				if !m.div(c, o) {
					return m.fault(o, i, engine.FaultDivide)
				}

			case isa.OpShl, isa.OpShr, isa.OpSar:
				m.shift(c, o)
			case isa.OpRol, isa.OpRor, isa.OpRcl, isa.OpRcr:
				m.rotate(c, o)
			case isa.OpShld, isa.OpShrd:
				m.shiftDouble(c, o)

			case isa.OpBt, isa.OpBts, isa.OpBtr, isa.OpBtc:
				m.bitTest(c, o)
			case isa.OpBsf, isa.OpBsr, isa.OpTzcnt, isa.OpLzcnt, isa.OpPopcnt:
				m.bitCount(c, o)

			case isa.OpJmpInd:
				pc = m.get(c, o, o.Src, o.Size) & m.ipMask()
				break run
			case isa.OpCallInd:
				t := m.get(c, o, o.Src, o.Size)
				m.push(c, o.Size, o.Next())
				pc = t & m.ipMask()
				break run
			case isa.OpLoop:
				cnt := (c.Regs[cpu.RCX] - 1) & sizeMask[o.Size]
				setReg(c, uint8(cpu.RCX), o.Size, cnt)
				take := cnt != 0
				switch o.Cond {
				case isa.LoopE:
					take = take && c.Zero()
				case isa.LoopNE:
					take = take && !c.Zero()
				}
				if take {
					pc = o.Imm
				} else {
					pc = o.Next()
				}
				break run
			case isa.OpJcxz:
				if c.Regs[cpu.RCX]&sizeMask[o.Size] == 0 {
					pc = o.Imm
				} else {
					pc = o.Next()
				}
				break run
			case isa.OpEnter:
				m.enter(c, o)
			case isa.OpLeave:
				setReg(c, uint8(cpu.RSP), m.stackSize(), c.Regs[cpu.RBP])
				setReg(c, uint8(cpu.RBP), o.Size, m.pop(c, o.Size))

			case isa.OpMovs, isa.OpStos, isa.OpLods, isa.OpCmps, isa.OpScas:
				m.str(c, o)

			case isa.OpXadd:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				bv := c.Regs[o.Src.Reg] & sizeMask[o.Size]
				r := (a + bv) & sizeMask[o.Size]
				setReg(c, o.Src.Reg, o.Size, a)
				m.putRMW(c, o, o.Dst, o.Size, ad, r)
				c.SetLazy(cpu.LazyAdd, o.Size, a, bv, r)
			case isa.OpCmpxchg:
				a, ad := m.getRMW(c, o, o.Dst, o.Size)
				acc := c.Regs[cpu.RAX] & sizeMask[o.Size]
				c.SetLazy(cpu.LazySub, o.Size, acc, a, (acc-a)&sizeMask[o.Size])
				if acc == a {
					m.putRMW(c, o, o.Dst, o.Size, ad, m.get(c, o, o.Src, o.Size))
				} else {
					setReg(c, uint8(cpu.RAX), o.Size, a)
				}
			case isa.OpCmpxchg8b:
				ad := m.ea(c, o)
				v := m.load(ad, 8)
				if v == c.Regs[cpu.RDX]<<32|c.Regs[cpu.RAX]&0xffffffff {
					m.store(ad, 8, c.Regs[cpu.RCX]<<32|c.Regs[cpu.RBX]&0xffffffff)
					c.SetStatus(c.RFLAGS() | cpu.FlagZF)
				} else {
					setReg(c, uint8(cpu.RAX), 4, v)
					setReg(c, uint8(cpu.RDX), 4, v>>32)
					c.SetStatus(c.RFLAGS() &^ cpu.FlagZF)
				}
			case isa.OpAtomic:
				if ad := m.ea(c, o); !locked.Exec(c, o, ad, m.mode, m.t, m.filter) {
					x.Addr = ad
					return m.fault(o, i, engine.FaultAlign16)
				}
			case isa.OpCmpxchg16b:
				ad := m.ea(c, o)
				if ad%16 != 0 {
					x.Addr = ad
					return m.fault(o, i, engine.FaultAlign16)
				}
				lo, hi := m.load(ad, 8), m.load(ad+8, 8)
				if lo == c.Regs[cpu.RAX] && hi == c.Regs[cpu.RDX] {
					m.store(ad, 8, c.Regs[cpu.RBX])
					m.store(ad+8, 8, c.Regs[cpu.RCX])
					c.SetStatus(c.RFLAGS() | cpu.FlagZF)
				} else {
					c.Regs[cpu.RAX], c.Regs[cpu.RDX] = lo, hi
					c.SetStatus(c.RFLAGS() &^ cpu.FlagZF)
				}
			case isa.OpInto:
				if c.Cond(0) { // OF
					return m.fault(o, i, engine.FaultInto)
				}
			case isa.OpBound:
				ea := m.ea(c, o)
				sh := 64 - 8*uint(o.Size)
				pair := m.load(ea, 2*o.Size)
				idx := int64(c.Regs[o.Dst.Reg]<<sh) >> sh
				lo, hi := int64(pair<<sh)>>sh, int64(pair>>(8*uint(o.Size))<<sh)>>sh
				if idx < lo || idx > hi {
					return m.fault(o, i, engine.FaultBound)
				}
			case isa.OpAam:
				al, ah := c.Regs[cpu.RAX]&0xff, c.Regs[cpu.RAX]>>8&0xff
				if o.Cond == 0 {
					if o.Imm == 0 {
						return m.fault(o, i, engine.FaultAam)
					}
					al, ah = al%o.Imm, al/o.Imm
				} else {
					al, ah = (al+ah*o.Imm)&0xff, 0
				}
				setReg(c, uint8(cpu.RAX), 2, ah<<8|al)
				// SF, ZF and PF from AL; OF, AF and CF are undefined and
				// left clear.
				c.SetLazy(cpu.LazyLogic, 1, al, al, al)
			case isa.OpCpuid:
				m.cpuidOp(c)
			case isa.OpRdtsc:
				tsc := m.p.TSC()
				c.Regs[cpu.RAX], c.Regs[cpu.RDX] = tsc&0xffffffff, tsc>>32

			case isa.OpSyscall, isa.OpInt80:
				c.RIP = o.Next()
				abi := cpu.ABIi386
				if o.Code == isa.OpSyscall {
					abi = cpu.ABIAMD64
					c.Regs[cpu.RCX] = c.RIP
					c.Regs[cpu.R11] = c.RFLAGS()
				}
				x.Instructions += m.done(i) + 1
				x.ABI = uint8(abi)
				return engine.ReasonSyscall
			case isa.OpThunk:
				c.RIP = o.Next()
				x.Instructions += m.done(i) + 1
				x.Arg, x.Size = o.Imm, o.Size
				return engine.ReasonThunk
			case isa.OpTrap:
				c.RIP = o.PC
				x.Instructions += m.done(i)
				return engine.ReasonTrap

			case isa.OpFnstcw:
				m.store(m.ea(c, o), 2, uint64(c.FCW))
			case isa.OpFldcw:
				if f := m.fldcw(c, o); f != 0 {
					return m.fault(o, i, f)
				}
			case isa.OpFnstsw:
				m.put(c, o, o.Dst, 2, uint64(c.FSWord()))
			case isa.OpFninit:
				if o.Cond == 0 {
					c.FCW, c.FTOP, c.FTAG, c.FSW = 0x37f, 0, 0, 0
				} else {
					c.FSW &= cpu.FSWC0 | cpu.FSWC1 | cpu.FSWC2 | cpu.FSWC3 // fnclex keeps the condition codes
				}
			case isa.OpX87:
				if f := m.x87(c, o); f != 0 {
					return m.fault(o, i, f)
				}
			case isa.OpVec:
				if f := m.vecOp(c, o); f != 0 {
					return m.fault(o, i, f)
				}
			case isa.OpMmx:
				if f := m.mmxOp(c, o); f != 0 {
					return m.fault(o, i, f)
				}
			case isa.OpVex:
				if f := m.vexOp(c, o); f != 0 {
					return m.fault(o, i, f)
				}
			case isa.OpBmi, isa.OpAdx, isa.OpRdpid, isa.OpArpl, isa.OpUmip, isa.OpPushSeg, isa.OpPopSeg, isa.OpLoadFar,
				isa.OpPusha, isa.OpPopa, isa.OpBcd, isa.OpSegInfo, isa.OpFsBase:
				if f := m.intExt(c, o); f != 0 {
					return m.fault(o, i, f)
				}
			case isa.OpFar:
				t, f := m.far(c, o)
				if f != 0 {
					return m.fault(o, i, f)
				}
				pc = t
				break run
			case isa.OpSseMov, isa.OpSseMovQ, isa.OpSseHalf, isa.OpSimd, isa.OpSimdImm, isa.OpPmovmskb, isa.OpPshufd, isa.OpStmxcsr, isa.OpLdmxcsr,
				isa.OpSseScalarMov, isa.OpMovmskF, isa.OpShufF, isa.OpMovHLF:
				if !m.sse(c, o) {
					return m.fault(o, i, engine.FaultAlignSSE)
				}

			default:
				return m.fatal(o, i)
			}
		stored:
			o = nextOp(o)
			if s := atomic.LoadUint32(&x.Stop); s != 0 {
				// This thread's store dropped blocks (self-modifying
				// code), or the thread is asked to stop: continue at the
				// next instruction afresh.
				return m.stop(o, s)
			}
		}
		x.Instructions += b.NInstr
		// A loop that is one block runs it again without a lookup.
		if pc == b.Start && b.Live() {
			continue
		}
		// Find the next block: successor cache, then the full lookup.
		nb := b.Next(pc)
		if nb == nil {
			nb = m.t.Lookup(pc)
			b.SetNext(nb)
		}
		b = nb
		m.b = b
	}
}

// flagsAndMoves runs the ops that neither fault nor branch and are rare
// enough to be kept out of the run loop's function: moves by condition,
// flag moves, byte swaps and sign extensions of the accumulator, xlat.
func (m *machine) flagsAndMoves(c *cpu.CPU, o *isa.Op) {
	switch o.Code {
	case isa.OpPushf:
		m.push(c, o.Size, c.RFLAGS()&^(1<<16|1<<17))
	case isa.OpPopf:
		v := m.pop(c, o.Size)
		if o.Size == 2 {
			v |= c.RFLAGS() &^ 0xffff
		}
		c.SetRFLAGS(v)
	case isa.OpCmov:
		v := m.get(c, o, o.Src, o.Size)
		if !c.Cond(o.Cond) {
			v = c.Regs[o.Dst.Reg]
		}
		setReg(c, o.Dst.Reg, o.Size, v)
	case isa.OpSet:
		var v uint64
		if c.Cond(o.Cond) {
			v = 1
		}
		m.put(c, o, o.Dst, 1, v)
	case isa.OpBswap:
		v := c.Regs[o.Dst.Reg]
		switch o.Size {
		case 8:
			v = bits.ReverseBytes64(v)
		case 4:
			v = uint64(bits.ReverseBytes32(uint32(v)))
		default:
			v = 0
		}
		setReg(c, o.Dst.Reg, o.Size, v)
	case isa.OpCbw:
		half := o.Size / 2
		sh := 64 - 8*uint(half)
		setReg(c, uint8(cpu.RAX), o.Size, uint64(int64(c.Regs[cpu.RAX]<<sh)>>sh))
	case isa.OpCwd:
		var v uint64
		if c.Regs[cpu.RAX]&signBit[o.Size] != 0 {
			v = ^uint64(0)
		}
		setReg(c, uint8(cpu.RDX), o.Size, v)
	case isa.OpLahf:
		f := c.RFLAGS() & 0xd5
		c.Regs[cpu.RAX] = c.Regs[cpu.RAX]&^0xff00 | (f|2)<<8
	case isa.OpSahf:
		f := c.RFLAGS()
		c.SetStatus(f&cpu.FlagOF | (c.Regs[cpu.RAX]>>8)&(cpu.FlagCF|cpu.FlagPF|cpu.FlagAF|cpu.FlagZF|cpu.FlagSF))
	case isa.OpClc, isa.OpStc, isa.OpCmc:
		f := c.RFLAGS()
		switch o.Code {
		case isa.OpClc:
			f &^= cpu.FlagCF
		case isa.OpStc:
			f |= cpu.FlagCF
		default:
			f ^= cpu.FlagCF
		}
		c.SetStatus(f)
	case isa.OpCld:
		c.SetDF(false)
	case isa.OpStd:
		c.SetDF(true)
	case isa.OpXlat:
		a := (c.Regs[cpu.RBX] + c.Regs[cpu.RAX]&0xff) & sizeMask[o.M.ASize]
		a = m.segAddr(c, o.M.Seg, a)
		setReg(c, uint8(cpu.RAX), 1, m.load(a, 1))
	}
}

// fusedJcc runs a fused compare or test and branch (isa.Fuse) whose
// condition has no handler of its own (prepare.go); it returns the next pc.
func (m *machine) fusedJcc(c *cpu.CPU, o *isa.Op) uint64 {
	a := c.Regs[o.Dst.Reg&15] & sizeMask[o.Size]
	bv := o.Imm & sizeMask[o.Size] // FormRI or FormRR (isa.Fuse)
	if o.Form == isa.FormRR {
		bv = c.Regs[o.Src.Reg&15] & sizeMask[o.Size]
	}
	if o.Code == isa.OpCmpJcc {
		c.SetLazy(cpu.LazySub, o.Size, a, bv, (a-bv)&sizeMask[o.Size])
	} else {
		c.SetLazy(cpu.LazyLogic, o.Size, a, bv, a&bv)
	}
	if c.Cond(o.Cond) {
		return o.Disp // the jump's target (isa.Fuse)
	}
	return o.Next()
}

// fatal ends the run at o, the i-th op of its block, an op that always
// faults.
func (m *machine) fatal(o *isa.Op, i int) engine.Reason {
	switch o.Code {
	case isa.OpFetchFault:
		m.x.Addr = o.Imm
		return m.fault(o, i, engine.FaultFetch)
	case isa.OpUd2:
		return m.fault(o, i, engine.FaultUD2)
	case isa.OpGP:
		m.x.Arg = o.Imm
		return m.fault(o, i, engine.FaultGP)
	case isa.OpInt3:
		r := m.fault(o, i, engine.FaultInt3)
		m.c.RIP = o.Next()
		return r
	case isa.OpInt:
		return m.fault(o, i, engine.FaultInt)
	default:
		return m.fault(o, i, engine.FaultInvalid)
	}
}

// setReg writes the low size bytes of v to register r as the CPU does:
// 32-bit writes zero the upper half, 8- and 16-bit writes merge.
//
// Without branches: keepMask[size] is the part of the old value that
// survives.
func setReg(c *cpu.CPU, r uint8, size uint8, v uint64) {
	r &= 15
	c.Regs[r] = c.Regs[r]&keepMask[size] | v&sizeMask[size]
}

// keepMask[n] is what an n-byte register write leaves of the old value.
var keepMask = [256]uint64{0: ^uint64(0xff), 1: ^uint64(0xff), 2: ^uint64(0xffff), 3: ^uint64(0xff), 5: ^uint64(0xff), 6: ^uint64(0xff), 7: ^uint64(0xff)}

// eaNoSeg is the effective address of o's memory operand before the
// segment base, modulo the address size (lea).
func (m *machine) eaNoSeg(c *cpu.CPU, o *isa.Op) uint64 { return isa.EANoSeg(c, o) }

// ea is the linear address of o's memory operand: in Mode32 always below
// 4 GiB, so a 32-bit guest cannot name minemu's memory (isa.EA).
func (m *machine) ea(c *cpu.CPU, o *isa.Op) uint64 {
	ad := eaFlat(c, o)
	if o.M.Seg != isa.SegNone {
		ad = m.segAddr(c, o.M.Seg, ad)
	}
	return ad
}

// eaFlat is isa.EANoSeg written out so that it inlines: the hot op cases
// compute `ad := eaFlat(c, o)` and add a segment base (segAddr) only when
// o.M.Seg says so.
func eaFlat(c *cpu.CPU, o *isa.Op) uint64 {
	ad := o.Disp
	if o.M.Base != isa.NoReg {
		ad += c.Regs[o.M.Base&15]
	}
	if o.M.Index != isa.NoReg {
		ad += c.Regs[o.M.Index&15] << (o.M.Scale & 3)
	}
	return ad & addrMask[o.M.ASize]
}

// addrMask[n] masks an address to n bytes (address sizes 2, 4 and 8).
var addrMask = [256]uint64{2: 0xffff, 4: 0xffffffff, 8: ^uint64(0)}

func (m *machine) segAddr(c *cpu.CPU, seg uint8, ad uint64) uint64 {
	switch seg {
	case isa.SegFS:
		ad += c.FSBase
	case isa.SegGS:
		ad += c.GSBase
	}
	if m.mode == mm.Mode32 {
		ad &= 0xffffffff
	}
	return ad
}

// load reads guest memory. In Mode32 an access that would run past 4 GiB
// wraps to address 0 byte by byte, as the CPU's linear addresses do.
func (m *machine) load(a uint64, size uint8) uint64 {
	if a > m.wrapEdge {
		return m.loadSlow(a, size)
	}
	return loadN(a, size)
}

func (m *machine) loadSlow(a uint64, size uint8) uint64 {
	if a+uint64(size) > 1<<32 {
		return m.loadWrap(a, size)
	}
	return loadN(a, size)
}

func (m *machine) loadWrap(a uint64, size uint8) uint64 {
	var v uint64
	for i := uint8(0); i < size; i++ {
		v |= load8((a+uint64(i))&0xffffffff) << (8 * i)
	}
	return v
}

// store writes guest memory, first dropping decoded code it overwrites.
func (m *machine) store(a uint64, size uint8, v uint64) {
	if m.storeOK(a, size) {
		storeN(a, size, v)
		return
	}
	m.storeSlow(a, size, v)
}

// loadOK reports whether an access of size bytes at a cannot wrap past
// 4 GiB, so that loadN may read it directly (the hot op cases inline
// `if m.loadOK(a, size) { v = loadN(a, size) } else { v = m.loadSlow(a, size) }`).
func (m *machine) loadOK(a uint64) bool { return a <= m.wrapEdge }

// storeOK reports whether storeN may write size bytes at a directly: the
// access stays in one page, and that page holds no decoded code (the
// code-page filter bit is clear; engine.FilterSlot written out). An access
// that stays in one page cannot wrap: in Mode32 a is below 4 GiB, a page
// boundary, and in Mode64 a wrapping end lands in another page.
func (m *machine) storeOK(a uint64, size uint8) bool {
	return a&(mm.PageSize-1) <= mm.PageSize-uint64(size) && m.codeFree(a)
}

// codeFree reports whether the page of a holds no decoded code (its
// code-page filter bit, engine.FilterSlot written out, is clear).
func (m *machine) codeFree(a uint64) bool {
	p := a >> mm.PageShift
	h := (p ^ p>>16) & 0xffff
	return atomic.LoadUint64(&m.filter[h>>6])&(1<<(h&63)) == 0
}

// storeSlow is store for accesses that may wrap, cross a page or hit a
// page of decoded code.
func (m *machine) storeSlow(a uint64, size uint8, v uint64) {
	if a > m.wrapEdge && a+uint64(size) > 1<<32 {
		for i := uint8(0); i < size; i++ {
			m.store((a+uint64(i))&0xffffffff, 1, v>>(8*i)) // never wraps again
		}
		return
	}
	p := a >> mm.PageShift
	if w, bit := engine.FilterSlot(p); atomic.LoadUint64(&m.filter[w])&bit != 0 {
		m.t.CodeWrite(a, uint64(size))
	} else if q := (a + uint64(size) - 1) >> mm.PageShift; q != p {
		if w, bit := engine.FilterSlot(q); atomic.LoadUint64(&m.filter[w])&bit != 0 {
			m.t.CodeWrite(a, uint64(size))
		}
	}
	storeN(a, size, v)
}

// get reads operand a of o; the register case is small enough to inline.
func (m *machine) get(c *cpu.CPU, o *isa.Op, a isa.Arg, size uint8) uint64 {
	if a.Kind == isa.KindReg {
		return c.Regs[a.Reg&15] & sizeMask[size]
	}
	return m.getSlow(o, a, size)
}

func (m *machine) getSlow(o *isa.Op, a isa.Arg, size uint8) uint64 {
	c := m.c
	switch a.Kind {
	case isa.KindImm:
		return o.Imm & sizeMask[size]
	case isa.KindRegHi:
		return c.Regs[a.Reg&15] >> 8 & 0xff
	default:
		return m.load(m.ea(c, o), size)
	}
}

// getRMW reads operand a of o that will be written back, returning its
// address for putRMW.
func (m *machine) getRMW(c *cpu.CPU, o *isa.Op, a isa.Arg, size uint8) (uint64, uint64) {
	switch a.Kind {
	case isa.KindReg:
		return c.Regs[a.Reg&15] & sizeMask[size], 0
	case isa.KindRegHi:
		return c.Regs[a.Reg&15] >> 8 & 0xff, 0
	case isa.KindImm:
		return o.Imm & sizeMask[size], 0
	default:
		ad := m.ea(c, o)
		return m.load(ad, size), ad
	}
}

// put writes operand a of o, computing a memory operand's address.
func (m *machine) put(c *cpu.CPU, o *isa.Op, a isa.Arg, size uint8, v uint64) {
	if a.Kind == isa.KindReg && size >= 4 {
		if size == 8 {
			c.Regs[a.Reg&15] = v
		} else {
			c.Regs[a.Reg&15] = v & 0xffffffff
		}
		return
	}
	m.putSlow(o, a, size, v)
}

func (m *machine) putSlow(o *isa.Op, a isa.Arg, size uint8, v uint64) {
	c := m.c
	switch a.Kind {
	case isa.KindReg:
		setReg(c, a.Reg, size, v)
	case isa.KindRegHi:
		c.Regs[a.Reg&15] = c.Regs[a.Reg&15]&^0xff00 | (v&0xff)<<8
	case isa.KindMem:
		m.store(m.ea(c, o), size, v)
	}
}

// putRMW writes operand a of o read by getRMW.
func (m *machine) putRMW(c *cpu.CPU, o *isa.Op, a isa.Arg, size uint8, ad, v uint64) {
	switch a.Kind {
	case isa.KindReg:
		setReg(c, a.Reg, size, v)
	case isa.KindRegHi:
		c.Regs[a.Reg&15] = c.Regs[a.Reg&15]&^0xff00 | (v&0xff)<<8
	case isa.KindMem:
		m.store(ad, size, v)
	}
}

// push stores v below the stack pointer; cpu.RSP changes only if the store
// succeeds.
func (m *machine) push(c *cpu.CPU, size uint8, v uint64) {
	sp := (c.Regs[cpu.RSP] - uint64(size)) & m.spMask
	m.store(sp, size, v)
	c.Regs[cpu.RSP] = sp
}

func (m *machine) pop(c *cpu.CPU, size uint8) uint64 {
	sp := c.Regs[cpu.RSP]
	v := m.load(sp, size)
	c.Regs[cpu.RSP] = (sp + uint64(size)) & m.spMask
	return v
}

// enter builds a stack frame (level 0..31 as the CPU does).
func (m *machine) enter(c *cpu.CPU, o *isa.Op) {
	sz := o.Size
	level := uint64(o.Cond)
	m.push(c, sz, c.Regs[cpu.RBP])
	frame := c.Regs[cpu.RSP]
	if level > 0 {
		bp := c.Regs[cpu.RBP]
		for i := uint64(1); i < level; i++ {
			bp = (bp - uint64(sz)) & m.spMask
			m.push(c, sz, m.load(bp, sz))
		}
		m.push(c, sz, frame)
	}
	setReg(c, uint8(cpu.RBP), sz, frame)
	setReg(c, uint8(cpu.RSP), m.stackSize(), c.Regs[cpu.RSP]-o.Imm)
}

// loadSeg loads a segment register from a selector; a non-zero result is
// the fault the load raises (with the selector in the exit record).
func (m *machine) loadSeg(c *cpu.CPU, seg uint8, sel uint16) engine.Fault {
	const es, cs, ss, ds, fs, gs = 0, 1, 2, 3, 4, 5
	if seg != fs && seg != gs {
		if seg == cs {
			return engine.FaultInvalid
		}
		return m.flatSegment(seg, sel) // flat data segments (int_ext.go)
	}
	var base uint64
	if sel>>2 != 0 {
		var ok bool
		if base, ok = m.t.SegmentBase(sel); !ok {
			m.x.Arg = uint64(sel)
			return engine.FaultSelector
		}
	}
	if seg == fs {
		c.FS, c.FSBase = sel, base
	} else {
		c.GS, c.GSBase = sel, base
	}
	return 0
}

// segSelector is the value `mov r, sreg` reads: Linux's flat user
// selectors, or what the guest loaded into FS/GS.
func (m *machine) segSelector(c *cpu.CPU, seg uint8) uint64 {
	switch seg {
	case 1: // CS
		if m.mode == mm.Mode64 {
			return 0x33
		}
		return 0x23
	case 4:
		return uint64(c.FS)
	case 5:
		return uint64(c.GS)
	case 0, 3: // ES, DS: null in a 64-bit process
		if m.mode == mm.Mode64 {
			return 0
		}
	}
	return 0x2b
}

// sizeMask[n] masks a value to n bytes. The tables have 256 entries so
// that indexing with a uint8 size needs no bounds check.
var sizeMask = [256]uint64{1: 0xff, 2: 0xffff, 4: 0xffffffff, 8: ^uint64(0)}

// signBit[n] is the sign bit of an n-byte value.
var signBit = [256]uint64{1: 0x80, 2: 0x8000, 4: 0x80000000, 8: 1 << 63}

func (m *machine) ipMask() uint64 {
	if m.mode == mm.Mode32 {
		return 0xffffffff
	}
	return ^uint64(0)
}

func (m *machine) stackSize() uint8 {
	if m.mode == mm.Mode64 {
		return 8
	}
	return 4
}
