package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/guest/isa/alu"
	v "github.com/minemu/minemu/guest/isa/vec"
	"github.com/minemu/minemu/mm"
)

// The integer instructions of isa/lower_int.go: BMI1, BMI2, ADX, RDPID,
// far transfers, segment register pushes, pops and far-pointer loads,
// the i386-only arpl, pusha, popa and BCD adjusts, and the UMIP-protected
// instructions.
//
// Far transfers stay within the guest's own code selector (0x23 for a
// 32-bit guest, 0x33 for a 64-bit one). A transfer to the other mode's
// selector would switch the CPU between 32- and 64-bit code, which Linux
// allows and minemu refuses (a 32-bit guest in 64-bit mode could address
// minemu's memory): SIGSEGV, as for any selector the CPU would refuse
// with #GP (docs/RATIONALE.md).
//
// smsw, sldt, str, sgdt and sidt are UMIP-protected: on a CPU with UMIP,
// which Linux enables, they raise #GP and the kernel emulates them
// (arch/x86/kernel/umip.c) with fixed values, copying as many bytes as
// the operand size to a register (the rest of the register unchanged,
// unlike a hardware write) and two bytes to memory. minemu answers what
// the kernel answers, on any host.

// tscAux is IA32_TSC_AUX as the guest sees it: what Linux puts there is
// (node << 12) | cpu, and a guest runs on CPU 0 of node 0 (what rdtscp
// returns in ECX, too).
const tscAux = 0

// The values Linux's UMIP emulation returns (CR0_STATE and the dummy
// descriptor-table bases of umip.c; str reads the TSS selector, GDT entry
// 8).
const (
	umipCR0     = 0x80050033
	umipTR      = 8 << 3
	umipGDTBase = 0xfffffffffffe0000
	umipIDTBase = 0xffffffffffff0000
)

// intExt executes o, an op of lower_int.go other than OpFar; a non-zero
// result is the fault it raises (the state is then as before it).
func (m *machine) intExt(c *cpu.CPU, o *isa.Op) engine.Fault {
	switch o.Code {
	case isa.OpBmi:
		m.bmi(c, o)
	case isa.OpAdx:
		a := c.Regs[o.Dst.Reg&15] & sizeMask[o.Size]
		b := m.get(c, o, o.Src, o.Size)
		fl := c.RFLAGS()
		bit := cpu.FlagCF
		if o.Cond == 1 {
			bit = cpu.FlagOF
		}
		r, carry := v.Adcx(a, b, fl&bit != 0, int(o.Size))
		setReg(c, o.Dst.Reg, o.Size, r)
		c.SetStatus(fl&^bit | b2f(carry, bit))
	case isa.OpRdpid:
		setReg(c, o.Dst.Reg, o.Size, tscAux)
	case isa.OpArpl:
		d, ad := m.getRMW(c, o, o.Dst, 2)
		s := c.Regs[o.Src.Reg&15]
		fl := c.RFLAGS() &^ cpu.FlagZF
		if d&3 < s&3 {
			m.putRMW(c, o, o.Dst, 2, ad, d&^3|s&3)
			fl |= cpu.FlagZF
		}
		c.SetStatus(fl)
	case isa.OpUmip:
		m.umip(c, o)
	case isa.OpPushSeg:
		m.push(c, o.Size, m.segSelector(c, o.Cond))
	case isa.OpPopSeg:
		sp := c.Regs[cpu.RSP]
		sel := uint16(m.load(sp, o.Size))
		if f := m.loadSeg(c, o.Cond, sel); f != 0 {
			return f
		}
		c.Regs[cpu.RSP] = (sp + uint64(o.Size)) & m.spMask
	case isa.OpLoadFar:
		ea := m.ea(c, o)
		off := m.load(ea, o.Size)
		sel := uint16(m.load(m.eaPlus(o, ea, uint64(o.Size)), 2))
		if f := m.loadSeg(c, o.Cond, sel); f != 0 {
			return f
		}
		setReg(c, o.Dst.Reg, o.Size, off)
	case isa.OpPusha:
		// EAX, ECX, EDX, EBX, the ESP before, EBP, ESI, EDI; the stores
		// first, so that a fault leaves ESP as it was.
		sp, sz := c.Regs[cpu.RSP], uint64(o.Size)
		for r := uint64(0); r < 8; r++ {
			m.store((sp-(r+1)*sz)&0xffffffff, o.Size, c.Regs[r])
		}
		setReg(c, uint8(cpu.RSP), 4, sp-8*sz)
	case isa.OpPopa:
		// EDI, ESI, EBP, (skipped: ESP), EBX, EDX, ECX, EAX.
		sp, sz := c.Regs[cpu.RSP], uint64(o.Size)
		var v [8]uint64
		for r := uint64(0); r < 8; r++ {
			v[7-r] = m.load((sp+r*sz)&0xffffffff, o.Size)
		}
		for r := uint8(0); r < 8; r++ {
			if r != uint8(cpu.RSP) {
				setReg(c, r, o.Size, v[r])
			}
		}
		setReg(c, uint8(cpu.RSP), 4, sp+8*sz)
	case isa.OpBcd:
		m.bcd(c, o)
	case isa.OpSegInfo:
		sel := uint16(m.get(c, o, o.Src, 2))
		d, ok := m.descriptor(sel)
		switch o.Cond {
		case isa.SegInfoLar:
			if ok {
				setReg(c, o.Dst.Reg, o.Size, uint64(d.ar)&sizeMask[o.Size]&0x00ffff00)
			}
		case isa.SegInfoLsl:
			if ok {
				setReg(c, o.Dst.Reg, o.Size, uint64(d.limit))
			}
		case isa.SegInfoVerr:
			ok = ok && d.readable
		case isa.SegInfoVerw:
			ok = ok && d.writable
		}
		c.SetStatus(c.RFLAGS()&^cpu.FlagZF | b2f(ok, cpu.FlagZF))
	case isa.OpFsBase:
		switch o.Cond {
		case isa.FsBaseRdFS:
			setReg(c, o.Dst.Reg, o.Size, c.FSBase)
		case isa.FsBaseRdGS:
			setReg(c, o.Dst.Reg, o.Size, c.GSBase)
		default:
			b := c.Regs[o.Dst.Reg&15] & sizeMask[o.Size]
			if int64(b)<<16>>16 != int64(b) { // not canonical: #GP
				m.x.Arg = o.Imm
				return engine.FaultGP
			}
			if o.Cond == isa.FsBaseWrFS {
				c.FSBase = b
			} else {
				c.GSBase = b
			}
		}
	}
	return 0
}

// segDesc is what lar, lsl, verr and verw see of a descriptor.
type segDesc struct {
	ar, limit          uint32
	readable, writable bool
}

// descriptor returns the descriptor a CPL-3 program may inspect through
// sel: Linux's user code and data segments, its per-CPU segment (the
// limit is TSC_AUX, which the vDSO's getcpu reads with lsl), and the TLS
// and LDT entries the kernel keeps for the guest, whose attributes are
// taken to be those glibc gives them (32-bit, page-granular, limit 4 GiB,
// writable data); the values are those the host's lar and lsl return. ok
// is false for the null selector and the kernel's own descriptors (DPL 0).
func (m *machine) descriptor(sel uint16) (segDesc, bool) {
	switch sel &^ 3 {
	case 0:
		return segDesc{}, false
	case 0x20: // __USER32_CS
		return segDesc{ar: 0xcffb00, limit: 0xffffffff, readable: true}, true
	case 0x28: // __USER_DS
		return segDesc{ar: 0xcff300, limit: 0xffffffff, readable: true, writable: true}, true
	case 0x30: // __USER_CS
		return segDesc{ar: 0xaffb00, limit: 0xffffffff, readable: true}, true
	case 0x78: // __CPUNODE_SEG
		return segDesc{ar: 0x40f500, limit: tscAux, readable: true}, true
	}
	if _, ok := m.p.SegmentBase(sel); ok && sel&3 == 3 {
		return segDesc{ar: 0xdff300, limit: 0xffffffff, readable: true, writable: true}, true
	}
	return segDesc{}, false
}

// bcd executes daa, das, aaa and aas (guest/isa/alu), and salc.
func (m *machine) bcd(c *cpu.CPU, o *isa.Op) {
	if o.Cond == isa.BcdSalc {
		setReg(c, uint8(cpu.RAX), 1, -(b2f(c.Carry(), 1)))
		return
	}
	ax, fl := c.Regs[cpu.RAX], c.RFLAGS()
	var f uint64
	switch o.Cond {
	case isa.BcdDaa:
		ax, f = alu.Daa(ax, fl)
	case isa.BcdDas:
		ax, f = alu.Das(ax, fl)
	case isa.BcdAaa:
		ax, f = alu.Aaa(ax, fl)
	default:
		ax, f = alu.Aas(ax, fl)
	}
	setReg(c, uint8(cpu.RAX), 2, ax)
	c.SetStatus(f)
}

// eaPlus is the address n bytes past ea, the linear address of o's
// memory operand, wrapped as the CPU wraps it (below 4 GiB in Mode32).
func (m *machine) eaPlus(o *isa.Op, ea, n uint64) uint64 {
	if m.mode == mm.Mode32 {
		return (ea + n) & 0xffffffff
	}
	return ea + n
}

// bmi executes the BMI1 and BMI2 sub-operations through guest/isa/vec;
// the operand order is isa's (lower_int.go).
func (m *machine) bmi(c *cpu.CPU, o *isa.Op) {
	sz := o.Size
	src := m.get(c, o, o.Src, sz)
	src2 := c.Regs[o.Src2.Reg&15] & sizeMask[sz]
	var r uint64
	var fl uint32
	flags := true
	switch o.Cond {
	case isa.BmiAndn:
		r, fl = v.Andn(src2, src, int(sz))
	case isa.BmiBextr:
		r, fl = v.Bextr(src, src2, int(sz))
	case isa.BmiBlsi:
		r, fl = v.Blsi(src, int(sz))
	case isa.BmiBlsmsk:
		r, fl = v.Blsmsk(src, int(sz))
	case isa.BmiBlsr:
		r, fl = v.Blsr(src, int(sz))
	case isa.BmiBzhi:
		r, fl = v.Bzhi(src, src2, int(sz))
	case isa.BmiMulx:
		// The low half goes to the vvvv register, then the high half to
		// the destination: when both name one register it holds the
		// high half.
		hi, lo := v.Mulx(c.Regs[cpu.RDX]&sizeMask[sz], src, int(sz))
		setReg(c, o.Src2.Reg, sz, lo)
		setReg(c, o.Dst.Reg, sz, hi)
		return
	case isa.BmiPdep:
		r, flags = v.Pdep(src2, src, int(sz)), false
	case isa.BmiPext:
		r, flags = v.Pext(src2, src, int(sz)), false
	case isa.BmiRorx:
		r, flags = v.Rorx(src, uint8(o.Imm), int(sz)), false
	case isa.BmiSarx:
		r, flags = v.Sarx(src, src2, int(sz)), false
	case isa.BmiShlx:
		r, flags = v.Shlx(src, src2, int(sz)), false
	case isa.BmiShrx:
		r, flags = v.Shrx(src, src2, int(sz)), false
	}
	setReg(c, o.Dst.Reg, sz, r)
	if flags {
		c.SetStatus(uint64(fl))
	}
}

// umip stores what Linux's emulation of smsw, sldt, str, sgdt and sidt
// stores.
func (m *machine) umip(c *cpu.CPU, o *isa.Op) {
	var val uint64
	switch o.Cond {
	case isa.UmipSmsw:
		val = umipCR0
	case isa.UmipStr:
		val = umipTR
	case isa.UmipSgdt, isa.UmipSidt:
		base := uint64(umipGDTBase)
		if o.Cond == isa.UmipSidt {
			base = umipIDTBase
		}
		ea := m.ea(c, o)
		if m.mode == mm.Mode32 {
			base &= 0xffffffff
			m.store(ea, 2, 0)
			m.store(m.eaPlus(o, ea, 2), 4, base)
		} else {
			m.store(ea, 2, 0)
			m.store(ea+2, 8, base)
		}
		return
	}
	if o.Dst.Kind == isa.KindMem {
		m.store(m.ea(c, o), 2, val)
		return
	}
	// The kernel copies Size bytes into the saved register.
	r := o.Dst.Reg & 15
	c.Regs[r] = c.Regs[r]&^sizeMask[o.Size] | val&sizeMask[o.Size]
}

// amd reports whether the guest's CPU model is AMD's (or Hygon's), whose
// far jmp and call through memory ignore REX.W.
func (m *machine) amd() bool {
	_, b, _, _ := m.model().CPUID(0, 0)
	return b == 0x68747541 || b == 0x6f677948 // "Auth", "Hygo"
}

// ownCS is the guest's code selector: Linux's __USER32_CS or __USER_CS.
func (m *machine) ownCS() uint16 {
	if m.mode == mm.Mode64 {
		return 0x33
	}
	return 0x23
}

// far executes a far jmp, call or ret and returns the target; a non-zero
// fault leaves the state as it was.
func (m *machine) far(c *cpu.CPU, o *isa.Op) (uint64, engine.Fault) {
	sz := o.Size
	own := m.ownCS()
	if o.Cond == isa.FarIret {
		return m.iret(c, o)
	}
	if o.Cond == isa.FarRet {
		sp := c.Regs[cpu.RSP]
		off := m.load(sp, sz)
		sel := uint16(m.load((sp+uint64(sz))&m.spMask, sz))
		// The return privilege level is the selector's RPL: anything but
		// 3 (below CPL 3) is #GP.
		if sel != own {
			m.x.Arg = uint64(sel)
			return 0, engine.FaultSelector
		}
		c.Regs[cpu.RSP] = (sp + 2*uint64(sz) + o.Imm) & m.spMask
		return off & sizeMask[sz] & m.ipMask(), 0
	}
	var off uint64
	var sel uint16
	if sz == 8 && m.amd() {
		sz = 4 // AMD ignores REX.W here: m16:32 and 4-byte slots
	}
	if o.Src.Kind == isa.KindImm {
		off, sel = o.Imm&0xffffffff, uint16(o.Imm>>32)
	} else {
		ea := m.ea(c, o)
		off = m.load(ea, sz)
		sel = uint16(m.load(m.eaPlus(o, ea, uint64(sz)), 2))
	}
	// A non-conforming code segment of DPL 3 takes any RPL from CPL 3.
	if sel|3 != own {
		m.x.Arg = uint64(sel)
		return 0, engine.FaultSelector
	}
	if o.Cond == isa.FarCall {
		sp := c.Regs[cpu.RSP]
		m.store((sp-uint64(sz))&m.spMask, sz, uint64(own))
		m.store((sp-2*uint64(sz))&m.spMask, sz, o.Next()&sizeMask[sz])
		c.Regs[cpu.RSP] = (sp - 2*uint64(sz)) & m.spMask
	}
	return off & sizeMask[sz] & m.ipMask(), 0
}

// flatSegment checks a selector loaded into ES, SS or DS, whose base
// minemu keeps at zero: Linux's user data and code segments and the
// descriptors the kernel keeps for the guest (TLS, LDT) with base 0. A
// null selector is allowed in ES and DS, not in SS; SS takes only a
// writable data segment with RPL 3. Anything else is the #GP (SIGSEGV) the
// CPU raises, or, for a descriptor with another base in 32-bit mode, a
// deviation minemu reports the same way.
func (m *machine) flatSegment(seg uint8, sel uint16) engine.Fault {
	const userDS, user32CS, userCS = 0x2b, 0x23, 0x33
	ok := false
	switch {
	case sel&^3 == 0:
		ok = seg != isa.SegRegSS
	case seg == isa.SegRegSS:
		ok = sel == userDS
	case sel|3 == userDS || sel|3 == user32CS || sel|3 == userCS:
		ok = true
	default:
		// In 64-bit mode the CPU ignores the base of ES, SS and DS.
		base, known := m.p.SegmentBase(sel)
		ok = known && (base == 0 || m.mode == mm.Mode64)
	}
	if !ok {
		m.x.Arg = uint64(sel)
		return engine.FaultSelector
	}
	return 0
}

// iret returns to CPL 3 from CPL 3: rIP, CS and rFLAGS from the stack,
// and in 64-bit mode rSP and SS as well (each Size bytes). CS must be the
// guest's code selector and SS Linux's user data selector, both with RPL
// 3; rFLAGS is loaded as popf loads it at CPL 3 (IOPL and IF unchanged).
func (m *machine) iret(c *cpu.CPU, o *isa.Op) (uint64, engine.Fault) {
	sz := uint64(o.Size)
	sp := c.Regs[cpu.RSP]
	at := func(i uint64) uint64 { return m.load((sp+i*sz)&m.spMask, o.Size) }
	ip, cs, fl := at(0), uint16(at(1)), at(2)
	if cs != m.ownCS() {
		m.x.Arg = uint64(cs)
		return 0, engine.FaultSelector
	}
	nsp := (sp + 3*sz) & m.spMask
	if m.mode == mm.Mode64 {
		rsp, ss := at(3), uint16(at(4))
		if ss != 0x2b {
			m.x.Arg = uint64(ss)
			return 0, engine.FaultSelector
		}
		nsp = rsp
		if sz == 4 {
			nsp = rsp & 0xffffffff
		}
	}
	if sz == 2 {
		fl = fl&0xffff | c.RFLAGS()&^0xffff
		nsp = c.Regs[cpu.RSP]&^0xffff | nsp&0xffff
	}
	c.SetRFLAGS(fl)
	c.Regs[cpu.RSP] = nsp
	return ip & sizeMask[o.Size] & m.ipMask(), 0
}
