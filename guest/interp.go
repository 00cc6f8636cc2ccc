package guest

import (
	"math/bits"
	"strings"
	"time"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// The interpreter.
//
// loop runs blocks until the guest exits, dies, or (inside CallGuest)
// returns to the callback trap. Each op is executed by one case of a dense
// switch over its opcode; operands are read and written through the small
// helpers below, which switch on the operand kind. No op allocates and
// none calls through an interface except system calls and thunks.
//
// Control-flow ops end their block: they set pc and break out of the op
// loop. The next block is found through the current block's successor
// cache, the direct-mapped table, the index, or by decoding.

// loop is the run loop; trapped is true when the guest returned to the
// CallGuest trap.
func (m *Machine) loop(c *CPU) (exit Exit, trapped bool) {
	m.depth++
	defer func() { m.depth-- }()
	if m.exit != nil {
		return *m.exit, false
	}
	if m.depth == 1 && len(m.pendingFree) > 0 {
		m.releasePending()
	}
	pc := c.RIP
	m.dirty = false
	b := m.lookup(pc)
	for {
		m.stats.BlocksExecuted++
		ops := b.ops
		executed := b.ninstr
	run:
		for i := 0; i < len(ops); i++ {
			o := &ops[i]
			if m.dirty {
				// Blocks were dropped under us (self-modifying code or a
				// mapping change): continue at this instruction afresh.
				m.dirty = false
				pc = o.pc
				executed = uint64(i)
				break run
			}
			m.pc = o.pc
			switch o.code {
			case opNop:
			case opFallthrough:
				pc = o.imm
				break run

			case opMov:
				if o.dst.kind == argReg && o.src.kind == argReg {
					setReg(c, o.dst.reg, o.size, c.Regs[o.src.reg])
					continue
				}
				v := m.get(c, &o.src, o.size)
				if o.dst.kind == argMem {
					m.store(m.ea(c, &o.dst), o.size, v)
					continue
				}
				m.put(c, &o.dst, o.size, v)
			case opMovzx:
				m.put(c, &o.dst, o.size, m.get(c, &o.src, o.ssize))
			case opMovsx:
				v := m.get(c, &o.src, o.ssize)
				sh := 64 - 8*uint(o.ssize)
				m.put(c, &o.dst, o.size, uint64(int64(v<<sh)>>sh))
			case opLea:
				setReg(c, o.dst.reg, o.size, m.eaNoSeg(c, &o.src))
			case opXchg:
				a, ad := m.getRMW(c, &o.dst, o.size)
				bv, bd := m.getRMW(c, &o.src, o.size)
				m.putRMW(c, &o.src, o.size, bd, a)
				m.putRMW(c, &o.dst, o.size, ad, bv)
			case opPush:
				m.push(c, o.size, m.get(c, &o.src, o.size))
			case opPop:
				v := m.pop(c, o.size)
				m.put(c, &o.dst, o.size, v)
			case opPushf:
				m.push(c, o.size, c.RFLAGS()&^(1<<16|1<<17))
			case opPopf:
				v := m.pop(c, o.size)
				if o.size == 2 {
					v |= c.RFLAGS() &^ 0xffff
				}
				c.SetRFLAGS(v)
			case opCmov:
				v := m.get(c, &o.src, o.size)
				if !c.Cond(o.cond) {
					v = c.Regs[o.dst.reg]
				}
				setReg(c, o.dst.reg, o.size, v)
			case opSet:
				var v uint64
				if c.Cond(o.cond) {
					v = 1
				}
				m.put(c, &o.dst, 1, v)
			case opBswap:
				v := c.Regs[o.dst.reg]
				switch o.size {
				case 8:
					v = bits.ReverseBytes64(v)
				case 4:
					v = uint64(bits.ReverseBytes32(uint32(v)))
				default:
					v = 0
				}
				setReg(c, o.dst.reg, o.size, v)
			case opCbw:
				half := o.size / 2
				sh := 64 - 8*uint(half)
				setReg(c, uint8(RAX), o.size, uint64(int64(c.Regs[RAX]<<sh)>>sh))
			case opCwd:
				var v uint64
				if c.Regs[RAX]&signBit[o.size] != 0 {
					v = ^uint64(0)
				}
				setReg(c, uint8(RDX), o.size, v)
			case opLahf:
				f := c.RFLAGS() & 0xd5
				c.Regs[RAX] = c.Regs[RAX]&^0xff00 | (f|2)<<8
			case opSahf:
				f := c.RFLAGS()
				c.SetStatus(f&cpu.FlagOF | (c.Regs[RAX]>>8)&(cpu.FlagCF|cpu.FlagPF|cpu.FlagAF|cpu.FlagZF|cpu.FlagSF))
			case opClc, opStc, opCmc:
				f := c.RFLAGS()
				switch o.code {
				case opClc:
					f &^= cpu.FlagCF
				case opStc:
					f |= cpu.FlagCF
				default:
					f ^= cpu.FlagCF
				}
				c.SetStatus(f)
			case opCld:
				c.SetDF(false)
			case opStd:
				c.SetDF(true)
			case opXlat:
				a := (c.Regs[RBX] + c.Regs[RAX]&0xff) & sizeMask[o.src.asize]
				a = m.segAddr(c, o.src.seg, a)
				setReg(c, uint8(RAX), 1, m.load(a, 1))
			case opMovToSeg:
				sel := uint16(m.get(c, &o.src, 2))
				if ex, bad := m.loadSeg(c, uint8(o.dst.disp), sel); bad {
					return ex, false
				}
			case opMovFromSeg:
				m.put(c, &o.dst, o.size, m.segSelector(c, uint8(o.src.disp)))

			case opAdd:
				if o.dst.kind == argReg && o.src.kind != argMem {
					a := c.Regs[o.dst.reg] & sizeMask[o.size]
					bv := m.get(c, &o.src, o.size)
					r := (a + bv) & sizeMask[o.size]
					setReg(c, o.dst.reg, o.size, r)
					c.SetLazy(cpu.LazyAdd, o.size, a, bv, r)
					continue
				}
				a, ad := m.getRMW(c, &o.dst, o.size)
				bv := m.get(c, &o.src, o.size)
				r := (a + bv) & sizeMask[o.size]
				m.putRMW(c, &o.dst, o.size, ad, r)
				c.SetLazy(cpu.LazyAdd, o.size, a, bv, r)
			case opSub:
				if o.dst.kind == argReg && o.src.kind != argMem {
					a := c.Regs[o.dst.reg] & sizeMask[o.size]
					bv := m.get(c, &o.src, o.size)
					r := (a - bv) & sizeMask[o.size]
					setReg(c, o.dst.reg, o.size, r)
					c.SetLazy(cpu.LazySub, o.size, a, bv, r)
					continue
				}
				a, ad := m.getRMW(c, &o.dst, o.size)
				bv := m.get(c, &o.src, o.size)
				r := (a - bv) & sizeMask[o.size]
				m.putRMW(c, &o.dst, o.size, ad, r)
				c.SetLazy(cpu.LazySub, o.size, a, bv, r)
			case opCmp:
				a := m.get(c, &o.dst, o.size)
				bv := m.get(c, &o.src, o.size)
				c.SetLazy(cpu.LazySub, o.size, a, bv, (a-bv)&sizeMask[o.size])
			case opAdc, opSbb:
				a, ad := m.getRMW(c, &o.dst, o.size)
				bv := m.get(c, &o.src, o.size)
				var cin uint64
				if c.Carry() {
					cin = 1
				}
				var r uint64
				if o.code == opAdc {
					r = (a + bv + cin) & sizeMask[o.size]
					c.SetLazyCin(cpu.LazyAdc, o.size, a, bv, r, cin)
				} else {
					r = (a - bv - cin) & sizeMask[o.size]
					c.SetLazyCin(cpu.LazySbb, o.size, a, bv, r, cin)
				}
				m.putRMW(c, &o.dst, o.size, ad, r)
			case opAnd, opOr, opXor:
				a, ad := m.getRMW(c, &o.dst, o.size)
				bv := m.get(c, &o.src, o.size)
				var r uint64
				switch o.code {
				case opAnd:
					r = a & bv
				case opOr:
					r = a | bv
				default:
					r = a ^ bv
				}
				m.putRMW(c, &o.dst, o.size, ad, r)
				c.SetLazy(cpu.LazyLogic, o.size, a, bv, r)
			case opTest:
				a := m.get(c, &o.dst, o.size)
				bv := m.get(c, &o.src, o.size)
				c.SetLazy(cpu.LazyLogic, o.size, a, bv, a&bv)
			case opInc, opDec:
				a, ad := m.getRMW(c, &o.dst, o.size)
				var cin uint64
				if c.Carry() {
					cin = 1
				}
				if o.code == opInc {
					r := (a + 1) & sizeMask[o.size]
					m.putRMW(c, &o.dst, o.size, ad, r)
					c.SetLazyCin(cpu.LazyInc, o.size, a, 1, r, cin)
				} else {
					r := (a - 1) & sizeMask[o.size]
					m.putRMW(c, &o.dst, o.size, ad, r)
					c.SetLazyCin(cpu.LazyDec, o.size, a, 1, r, cin)
				}
			case opNeg:
				a, ad := m.getRMW(c, &o.dst, o.size)
				r := -a & sizeMask[o.size]
				m.putRMW(c, &o.dst, o.size, ad, r)
				c.SetLazy(cpu.LazySub, o.size, 0, a, r)
			case opNot:
				a, ad := m.getRMW(c, &o.dst, o.size)
				m.putRMW(c, &o.dst, o.size, ad, ^a&sizeMask[o.size])
			case opMul, opImul1:
				m.mul1(c, o)
			case opImul2, opImul3:
				m.imul(c, o)
			case opDiv, opIdiv:
				if !m.div(c, o) {
					c.RIP = o.pc
					m.stats.Instructions += uint64(i)
					return sigExit(unix.SIGFPE, "SIGFPE: divide error (guest rip %#x)", o.pc), false
				}

			case opShl, opShr, opSar:
				m.shift(c, o)
			case opRol, opRor, opRcl, opRcr:
				m.rotate(c, o)
			case opShld, opShrd:
				m.shiftDouble(c, o)

			case opBt, opBts, opBtr, opBtc:
				m.bitTest(c, o)
			case opBsf, opBsr, opTzcnt, opLzcnt, opPopcnt:
				m.bitCount(c, o)

			case opJmp:
				pc = o.imm
				break run
			case opJmpInd:
				pc = m.get(c, &o.src, o.size) & m.ipMask()
				break run
			case opCmpJcc, opTestJcc:
				a := c.Regs[o.dst.reg&15] & sizeMask[o.size]
				bv := m.get(c, &o.src, o.size)
				if o.code == opCmpJcc {
					c.SetLazy(cpu.LazySub, o.size, a, bv, (a-bv)&sizeMask[o.size])
				} else {
					c.SetLazy(cpu.LazyLogic, o.size, a, bv, a&bv)
				}
				if c.Cond(o.cond) {
					pc = o.imm
				} else {
					pc = o.next()
				}
				break run
			case opJcc:
				if c.Cond(o.cond) {
					pc = o.imm
				} else {
					pc = o.next()
				}
				break run
			case opCall:
				m.push(c, o.size, o.next())
				pc = o.imm
				break run
			case opCallInd:
				t := m.get(c, &o.src, o.size)
				m.push(c, o.size, o.next())
				pc = t & m.ipMask()
				break run
			case opRet:
				pc = m.pop(c, o.size)
				if o.imm != 0 {
					setReg(c, uint8(RSP), m.stackSize(), c.Regs[RSP]+o.imm)
				}
				break run
			case opLoop:
				cnt := (c.Regs[RCX] - 1) & sizeMask[o.size]
				setReg(c, uint8(RCX), o.size, cnt)
				take := cnt != 0
				switch o.cond {
				case loopE:
					take = take && c.Zero()
				case loopNE:
					take = take && !c.Zero()
				}
				if take {
					pc = o.imm
				} else {
					pc = o.next()
				}
				break run
			case opJcxz:
				if c.Regs[RCX]&sizeMask[o.size] == 0 {
					pc = o.imm
				} else {
					pc = o.next()
				}
				break run
			case opEnter:
				m.enter(c, o)
			case opLeave:
				setReg(c, uint8(RSP), m.stackSize(), c.Regs[RBP])
				setReg(c, uint8(RBP), o.size, m.pop(c, o.size))

			case opMovs, opStos, opLods, opCmps, opScas:
				m.str(c, o)

			case opXadd:
				a, ad := m.getRMW(c, &o.dst, o.size)
				bv := c.Regs[o.src.reg] & sizeMask[o.size]
				r := (a + bv) & sizeMask[o.size]
				setReg(c, o.src.reg, o.size, a)
				m.putRMW(c, &o.dst, o.size, ad, r)
				c.SetLazy(cpu.LazyAdd, o.size, a, bv, r)
			case opCmpxchg:
				a, ad := m.getRMW(c, &o.dst, o.size)
				acc := c.Regs[RAX] & sizeMask[o.size]
				c.SetLazy(cpu.LazySub, o.size, acc, a, (acc-a)&sizeMask[o.size])
				if acc == a {
					m.putRMW(c, &o.dst, o.size, ad, m.get(c, &o.src, o.size))
				} else {
					setReg(c, uint8(RAX), o.size, a)
				}
			case opCmpxchg8b:
				ad := m.ea(c, &o.dst)
				v := m.load(ad, 8)
				if v == c.Regs[RDX]<<32|c.Regs[RAX]&0xffffffff {
					m.store(ad, 8, c.Regs[RCX]<<32|c.Regs[RBX]&0xffffffff)
					c.SetStatus(c.RFLAGS() | cpu.FlagZF)
				} else {
					setReg(c, uint8(RAX), 4, v)
					setReg(c, uint8(RDX), 4, v>>32)
					c.SetStatus(c.RFLAGS() &^ cpu.FlagZF)
				}
			case opCmpxchg16b:
				ad := m.ea(c, &o.dst)
				if ad%16 != 0 {
					c.RIP = o.pc
					m.stats.Instructions += uint64(i)
					return sigExit(unix.SIGSEGV, "SIGSEGV: general protection (cmpxchg16b operand %#x not 16-byte aligned, guest rip %#x)", ad, o.pc), false
				}
				lo, hi := m.load(ad, 8), m.load(ad+8, 8)
				if lo == c.Regs[RAX] && hi == c.Regs[RDX] {
					m.store(ad, 8, c.Regs[RBX])
					m.store(ad+8, 8, c.Regs[RCX])
					c.SetStatus(c.RFLAGS() | cpu.FlagZF)
				} else {
					c.Regs[RAX], c.Regs[RDX] = lo, hi
					c.SetStatus(c.RFLAGS() &^ cpu.FlagZF)
				}
			case opInto:
				if c.Cond(0) { // OF
					c.RIP = o.pc
					m.stats.Instructions += uint64(i)
					return m.fatal(c, o), false
				}
			case opBound:
				ea := m.ea(c, &o.src)
				sh := 64 - 8*uint(o.size)
				pair := m.load(ea, 2*o.size)
				idx := int64(c.Regs[o.dst.reg]<<sh) >> sh
				lo, hi := int64(pair<<sh)>>sh, int64(pair>>(8*uint(o.size))<<sh)>>sh
				if idx < lo || idx > hi {
					c.RIP = o.pc
					m.stats.Instructions += uint64(i)
					return m.fatal(c, o), false
				}
			case opAam:
				al, ah := c.Regs[RAX]&0xff, c.Regs[RAX]>>8&0xff
				if o.cond == 0 {
					if o.imm == 0 {
						c.RIP = o.pc
						m.stats.Instructions += uint64(i)
						return m.fatal(c, o), false
					}
					al, ah = al%o.imm, al/o.imm
				} else {
					al, ah = (al+ah*o.imm)&0xff, 0
				}
				setReg(c, uint8(RAX), 2, ah<<8|al)
				// SF, ZF and PF from AL; OF, AF and CF are undefined and
				// left clear.
				c.SetLazy(cpu.LazyLogic, 1, al, al, al)
			case opCpuid:
				a, bv, cv, d := cpuid(m.mode, uint32(c.Regs[RAX]), uint32(c.Regs[RCX]))
				c.Regs[RAX], c.Regs[RBX], c.Regs[RCX], c.Regs[RDX] = uint64(a), uint64(bv), uint64(cv), uint64(d)
			case opRdtsc:
				t := uint64(time.Since(m.start).Nanoseconds())
				c.Regs[RAX], c.Regs[RDX] = t&0xffffffff, t>>32

			case opSyscall, opInt80:
				c.RIP = o.next()
				abi := ABIi386
				if o.code == opSyscall {
					abi = ABIAMD64
					c.Regs[RCX] = c.RIP
					c.Regs[R11] = c.RFLAGS()
				}
				m.stats.Instructions += uint64(i + 1)
				if m.kernel == nil {
					enosys := uint64(unix.ENOSYS)
					setReg(c, uint8(RAX), m.stackSize(), -enosys)
				} else if ex := m.kernel.Syscall(c, abi); ex != nil {
					return *ex, false
				}
				executed = 0
				pc = c.RIP
				break run
			case opThunk:
				c.RIP = o.next()
				m.stats.Instructions += uint64(i + 1)
				executed = 0
				if err := m.thunker.Call(uint32(o.imm), c); err != nil {
					if m.exit != nil {
						return *m.exit, false
					}
					c.RIP = o.pc
					return sigExit(unix.SIGILL, "SIGILL: thunk at %#x failed: %v", o.pc, err), false
				}
				if m.exit != nil {
					return *m.exit, false
				}
				pc = m.pop(c, o.size)
				break run
			case opTrap:
				c.RIP = o.pc
				m.stats.Instructions += uint64(i)
				if m.trap == o.pc && m.callbacks > 0 {
					return Exit{}, true
				}
				return m.invalidExit(o.pc), false

			case opFnstcw:
				m.store(m.ea(c, &o.dst), 2, uint64(c.FCW))
			case opFldcw:
				c.FCW = uint16(m.load(m.ea(c, &o.dst), 2))
			case opFnstsw:
				m.put(c, &o.dst, 2, uint64(c.FSWord()))
			case opFninit:
				if o.cond == 0 {
					c.FCW, c.FTOP, c.FTAG = 0x37f, 0, 0
				}
				c.FSW = 0
			case opX87:
				m.x87(c, o)
			case opSseMov, opSseMovQ, opSseHalf, opSimd, opSimdImm, opPmovmskb, opPshufd, opStmxcsr, opLdmxcsr,
				opSseScalarMov, opSseArith, opSseComi, opCvtI2F, opCvtF2I, opCvtF2F,
				opPackedFP, opPackedCmp, opMovmskF, opShufF, opMovHLF:
				if !m.sse(c, o) {
					c.RIP = o.pc
					m.stats.Instructions += uint64(i)
					return sseFault(o), false
				}

			default:
				c.RIP = o.pc
				m.stats.Instructions += uint64(i)
				return m.fatal(c, o), false
			}
		}
		m.stats.Instructions += executed
		// Find the next block: successor cache, then the full lookup.
		var nb *block
		if s := &b.next[0]; s.pc == pc && s.b != nil && s.b.live {
			nb = s.b
		} else if s := &b.next[1]; s.pc == pc && s.b != nil && s.b.live {
			nb = s.b
		} else {
			if m.depth == 1 && len(m.pendingFree) > 0 {
				m.releasePending() // no block is running here
			}
			nb = m.lookup(pc)
			if b.live {
				b.next[b.nextSlot] = succ{pc: pc, b: nb}
				b.nextSlot ^= 1
			}
		}
		b = nb
	}
}

// fatal builds the Exit of the ops that always kill the guest.
func (m *Machine) fatal(c *CPU, o *op) Exit {
	switch o.code {
	case opFetchFault:
		sig := unix.SIGSEGV
		if prot, ok := m.guestProt(o.imm); ok && prot&unix.PROT_EXEC != 0 {
			sig = m.faultSignal(o.imm) // executable, and yet it faulted: past the end of its file?
		}
		return sigExit(sig, "%s at address %#x (instruction fetch, guest rip %#x)", unix.SignalName(sig), o.imm, o.pc)
	case opUd2:
		return sigExit(unix.SIGILL, "SIGILL: ud2 at guest rip %#x", o.pc)
	case opGP:
		if o.imm == 0 {
			return sigExit(unix.SIGSEGV, "SIGSEGV: general protection: instruction longer than 15 bytes (guest rip %#x)", o.pc)
		}
		return sigExit(unix.SIGSEGV, "SIGSEGV: general protection: privileged instruction %s (guest rip %#x)",
			strings.ToLower(x86asm.Op(o.imm).String()), o.pc)
	case opInto:
		return sigExit(unix.SIGSEGV, "SIGSEGV: overflow trap: into with OF set (guest rip %#x)", o.pc)
	case opBound:
		return sigExit(unix.SIGSEGV, "SIGSEGV: bound range exceeded (guest rip %#x)", o.pc)
	case opAam:
		return sigExit(unix.SIGFPE, "SIGFPE: divide error: aam 0 (guest rip %#x)", o.pc)
	case opInt3:
		c.RIP = o.next()
		return sigExit(unix.SIGTRAP, "SIGTRAP: int3 (guest rip %#x)", o.pc)
	case opInt:
		return sigExit(unix.SIGSEGV, "SIGSEGV: general protection on int (guest rip %#x)", o.pc)
	default:
		return m.invalidExit(o.pc)
	}
}

// setReg writes the low size bytes of v to register r as the CPU does:
// 32-bit writes zero the upper half, 8- and 16-bit writes merge.
func setReg(c *CPU, r uint8, size uint8, v uint64) {
	r &= 15
	switch size {
	case 8:
		c.Regs[r] = v
	case 4:
		c.Regs[r] = v & 0xffffffff
	case 2:
		c.Regs[r] = c.Regs[r]&^0xffff | v&0xffff
	default:
		c.Regs[r] = c.Regs[r]&^0xff | v&0xff
	}
}

// eaNoSeg is the effective address of a memory operand before the segment
// base, modulo the address size.
func (m *Machine) eaNoSeg(c *CPU, a *arg) uint64 {
	ad := a.disp
	if a.reg != noReg {
		ad += c.Regs[a.reg&15]
	}
	if a.index != noReg {
		ad += c.Regs[a.index&15] << (a.scale & 3)
	}
	return ad & sizeMask[a.asize]
}

// ea is the linear address of a memory operand: in Mode32 always below
// 4 GiB, so a 32-bit guest cannot name minemu's memory.
func (m *Machine) ea(c *CPU, a *arg) uint64 {
	ad := m.eaNoSeg(c, a)
	if a.seg != segNone {
		ad = m.segAddr(c, a.seg, ad)
	}
	return ad
}

func (m *Machine) segAddr(c *CPU, seg uint8, ad uint64) uint64 {
	switch seg {
	case segFS:
		ad += c.FSBase
	case segGS:
		ad += c.GSBase
	}
	if m.mode == mm.Mode32 {
		ad &= 0xffffffff
	}
	return ad
}

// load reads guest memory. In Mode32 an access that would run past 4 GiB
// wraps to address 0 byte by byte, as the CPU's linear addresses do.
func (m *Machine) load(a uint64, size uint8) uint64 {
	if a > m.wrapEdge && a+uint64(size) > 1<<32 {
		return m.loadWrap(a, size)
	}
	return loadN(a, size)
}

func (m *Machine) loadWrap(a uint64, size uint8) uint64 {
	var v uint64
	for i := uint8(0); i < size; i++ {
		v |= load8((a+uint64(i))&0xffffffff) << (8 * i)
	}
	return v
}

// store writes guest memory, first dropping decoded code it overwrites.
func (m *Machine) store(a uint64, size uint8, v uint64) {
	if a > m.wrapEdge && a+uint64(size) > 1<<32 {
		for i := uint8(0); i < size; i++ {
			m.store((a+uint64(i))&0xffffffff, 1, v>>(8*i)) // never wraps again
		}
		return
	}
	p := a >> mm.PageShift
	if w, bit := filterSlot(p); m.codeFilter[w]&bit != 0 {
		m.codeWrite(a, uint64(size))
	} else if q := (a + uint64(size) - 1) >> mm.PageShift; q != p {
		if w, bit := filterSlot(q); m.codeFilter[w]&bit != 0 {
			m.codeWrite(a, uint64(size))
		}
	}
	storeN(a, size, v)
}

// get reads an operand; the register case is small enough to inline.
func (m *Machine) get(c *CPU, a *arg, size uint8) uint64 {
	if a.kind == argReg {
		return c.Regs[a.reg&15] & sizeMask[size]
	}
	return m.getSlow(c, a, size)
}

func (m *Machine) getSlow(c *CPU, a *arg, size uint8) uint64 {
	switch a.kind {
	case argImm:
		return a.disp & sizeMask[size]
	case argRegHi:
		return c.Regs[a.reg&15] >> 8 & 0xff
	default:
		return m.load(m.ea(c, a), size)
	}
}

// getRMW reads an operand that will be written back, returning its
// address for putRMW.
func (m *Machine) getRMW(c *CPU, a *arg, size uint8) (uint64, uint64) {
	switch a.kind {
	case argReg:
		return c.Regs[a.reg] & sizeMask[size], 0
	case argRegHi:
		return c.Regs[a.reg] >> 8 & 0xff, 0
	case argImm:
		return a.disp & sizeMask[size], 0
	default:
		ad := m.ea(c, a)
		return m.load(ad, size), ad
	}
}

// put writes an operand, computing a memory operand's address.
func (m *Machine) put(c *CPU, a *arg, size uint8, v uint64) {
	if a.kind == argReg && size >= 4 {
		if size == 8 {
			c.Regs[a.reg&15] = v
		} else {
			c.Regs[a.reg&15] = v & 0xffffffff
		}
		return
	}
	m.putSlow(c, a, size, v)
}

func (m *Machine) putSlow(c *CPU, a *arg, size uint8, v uint64) {
	switch a.kind {
	case argReg:
		setReg(c, a.reg, size, v)
	case argRegHi:
		c.Regs[a.reg&15] = c.Regs[a.reg&15]&^0xff00 | (v&0xff)<<8
	case argMem:
		m.store(m.ea(c, a), size, v)
	}
}

// putRMW writes an operand read by getRMW.
func (m *Machine) putRMW(c *CPU, a *arg, size uint8, ad, v uint64) {
	switch a.kind {
	case argReg:
		setReg(c, a.reg, size, v)
	case argRegHi:
		c.Regs[a.reg] = c.Regs[a.reg]&^0xff00 | (v&0xff)<<8
	case argMem:
		m.store(ad, size, v)
	}
}

func (m *Machine) spMask() uint64 {
	if m.mode == mm.Mode32 {
		return 0xffffffff
	}
	return ^uint64(0)
}

// push stores v below the stack pointer; RSP changes only if the store
// succeeds.
func (m *Machine) push(c *CPU, size uint8, v uint64) {
	sp := (c.Regs[RSP] - uint64(size)) & m.spMask()
	m.store(sp, size, v)
	c.Regs[RSP] = sp
}

func (m *Machine) pop(c *CPU, size uint8) uint64 {
	sp := c.Regs[RSP]
	v := m.load(sp, size)
	c.Regs[RSP] = (sp + uint64(size)) & m.spMask()
	return v
}

// enter builds a stack frame (level 0..31 as the CPU does).
func (m *Machine) enter(c *CPU, o *op) {
	sz := o.size
	level := o.src.disp
	m.push(c, sz, c.Regs[RBP])
	frame := c.Regs[RSP]
	if level > 0 {
		bp := c.Regs[RBP]
		for i := uint64(1); i < level; i++ {
			bp = (bp - uint64(sz)) & m.spMask()
			m.push(c, sz, m.load(bp, sz))
		}
		m.push(c, sz, frame)
	}
	setReg(c, uint8(RBP), sz, frame)
	setReg(c, uint8(RSP), m.stackSize(), c.Regs[RSP]-o.imm)
}

// loadSeg loads a segment register from a selector.
func (m *Machine) loadSeg(c *CPU, seg uint8, sel uint16) (Exit, bool) {
	const es, cs, ss, ds, fs, gs = 0, 1, 2, 3, 4, 5
	if seg != fs && seg != gs {
		if seg == cs {
			return m.invalidExit(m.pc), true
		}
		return Exit{}, false // flat data segments: selectors do not matter
	}
	var base uint64
	if sel>>2 != 0 {
		ok := false
		if m.segs != nil {
			base, ok = m.segs.SegmentBase(sel)
		}
		if !ok {
			return sigExit(unix.SIGSEGV, "SIGSEGV: general protection loading selector %#x (guest rip %#x)", sel, m.pc), true
		}
	}
	if seg == fs {
		c.FS, c.FSBase = sel, base
	} else {
		c.GS, c.GSBase = sel, base
	}
	return Exit{}, false
}

// segSelector is the value `mov r, sreg` reads: Linux's flat user
// selectors, or what the guest loaded into FS/GS.
func (m *Machine) segSelector(c *CPU, seg uint8) uint64 {
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
	}
	return 0x2b
}

// sizeMask[n] masks a value to n bytes. The tables have 256 entries so
// that indexing with a uint8 size needs no bounds check.
var sizeMask = [256]uint64{1: 0xff, 2: 0xffff, 4: 0xffffffff, 8: ^uint64(0)}

// signBit[n] is the sign bit of an n-byte value.
var signBit = [256]uint64{1: 0x80, 2: 0x8000, 4: 0x80000000, 8: 1 << 63}
