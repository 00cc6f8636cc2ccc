package interp

import (
	"math/bits"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/guest/isa/alu"
	"github.com/minemu/minemu/mm"
)

// Instructions with flag rules too irregular for the lazy record: they
// compute every status flag they define at once, through guest/isa/alu,
// whose functions document the choices made for undefined flags.

func sext(v uint64, size uint8) int64 {
	sh := 64 - 8*uint(size)
	return int64(v<<sh) >> sh
}

func b2f(b bool, f uint64) uint64 {
	if b {
		return f
	}
	return 0
}

// mul1 is one-operand mul/imul: rDX:rAX (AX for bytes) = rAX * src.
func (m *machine) mul1(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	src := m.get(c, o, o.Src, s)
	a := c.Regs[cpu.RAX] & sizeMask[s]
	var lo, hi, f uint64
	if o.Code == isa.OpMul {
		lo, hi, f = alu.Mul(a, src, s)
	} else {
		lo, hi, f = alu.Imul(a, src, s)
	}
	if s == 1 {
		setReg(c, uint8(cpu.RAX), 2, hi<<8|lo)
	} else {
		setReg(c, uint8(cpu.RAX), s, lo)
		setReg(c, uint8(cpu.RDX), s, hi)
	}
	c.SetStatus(f)
}

// imul is the two- and three-operand imul: dst = a * b truncated.
func (m *machine) imul(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	var a, b uint64
	if o.Code == isa.OpImul2 {
		a = c.Regs[o.Dst.Reg] & sizeMask[s]
		b = m.get(c, o, o.Src, s)
	} else {
		a = m.get(c, o, o.Src, s)
		b = o.Imm & sizeMask[s]
	}
	r, f := alu.Imul2(a, b, s)
	setReg(c, o.Dst.Reg, s, r)
	c.SetStatus(f)
}

// div is div/idiv; false means a divide error (#DE): zero divisor or a
// quotient that does not fit. Flags are left unchanged (undefined).
func (m *machine) div(c *cpu.CPU, o *isa.Op) bool {
	s := o.Size
	d := m.get(c, o, o.Src, s)
	var q, r uint64
	var ok bool
	if o.Code == isa.OpDiv {
		q, r, ok = alu.Div(c.Regs[cpu.RDX], c.Regs[cpu.RAX], d, s)
	} else {
		q, r, ok = alu.Idiv(c.Regs[cpu.RDX], c.Regs[cpu.RAX], d, s)
	}
	if !ok {
		return false
	}
	if s == 1 {
		setReg(c, uint8(cpu.RAX), 2, r<<8|q)
	} else {
		setReg(c, uint8(cpu.RAX), s, q)
		setReg(c, uint8(cpu.RDX), s, r)
	}
	return true
}

// shiftOperand reads the destination of a shift or rotate and masks its
// count as the CPU does (six bits for 64-bit operands, five otherwise).
// ok is false for a zero count: nothing changes, except that a 32-bit
// register destination is still zero-extended, and the caller is done.
func (m *machine) shiftOperand(c *cpu.CPU, o *isa.Op, cnt uint64) (a, ad, n uint64, ok bool) {
	a, ad = m.getRMW(c, o, o.Dst, o.Size)
	if o.Size == 8 {
		cnt &= 63
	} else {
		cnt &= 31
	}
	if cnt == 0 {
		if o.Dst.Kind == isa.KindReg {
			setReg(c, o.Dst.Reg, o.Size, a)
		}
		return a, ad, 0, false
	}
	return a, ad, cnt, true
}

// shift is shl/shr/sar. A zero count changes nothing (a 32-bit register
// is still zero-extended).
func (m *machine) shift(c *cpu.CPU, o *isa.Op) {
	a, ad, cnt, ok := m.shiftOperand(c, o, m.get(c, o, o.Src, 1))
	if !ok {
		return
	}
	var r, f uint64
	switch o.Code {
	case isa.OpShl:
		r, f = alu.Shl(a, cnt, o.Size)
	case isa.OpShr:
		r, f = alu.Shr(a, cnt, o.Size)
	default:
		r, f = alu.Sar(a, cnt, o.Size)
	}
	m.putRMW(c, o, o.Dst, o.Size, ad, r)
	c.SetStatus(f)
}

// rotate is rol/ror/rcl/rcr; only CF and OF change.
func (m *machine) rotate(c *cpu.CPU, o *isa.Op) {
	a, ad, cnt, ok := m.shiftOperand(c, o, m.get(c, o, o.Src, 1))
	if !ok {
		return
	}
	var r, f uint64
	switch o.Code {
	case isa.OpRol:
		r, f = alu.Rol(a, cnt, o.Size, c.RFLAGS())
	case isa.OpRor:
		r, f = alu.Ror(a, cnt, o.Size, c.RFLAGS())
	case isa.OpRcl:
		r, f = alu.Rcl(a, cnt, o.Size, c.RFLAGS())
	default: // OpRcr
		r, f = alu.Rcr(a, cnt, o.Size, c.RFLAGS())
	}
	m.putRMW(c, o, o.Dst, o.Size, ad, r)
	c.SetStatus(f)
}

// shiftDouble is shld/shrd.
func (m *machine) shiftDouble(c *cpu.CPU, o *isa.Op) {
	cnt := o.Imm
	if o.Src2.Kind == isa.KindReg { // shld/shrd r/m, r, cl
		cnt = c.Regs[cpu.RCX]
	}
	a, ad, cnt, ok := m.shiftOperand(c, o, cnt)
	if !ok {
		return
	}
	r, f := alu.ShiftDouble(a, c.Regs[o.Src.Reg]&sizeMask[o.Size], cnt, o.Size, o.Code == isa.OpShld)
	m.putRMW(c, o, o.Dst, o.Size, ad, r)
	c.SetStatus(f)
}

// bitTest is bt/bts/btr/btc. With a register bit offset and a memory
// operand the offset is signed and may address outside the operand. Only
// CF changes.
func (m *machine) bitTest(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	w := uint64(s) * 8
	off := m.get(c, o, o.Src, s)
	var a, ad uint64
	if o.Dst.Kind == isa.KindMem {
		ad = m.ea(c, o)
		if o.Src.Kind == isa.KindReg {
			so := sext(off, s)
			ad += uint64((so >> bits.TrailingZeros64(w)) * int64(s))
			if m.mode == mm.Mode32 {
				ad &= 0xffffffff
			}
		}
		off &= w - 1
		a = m.load(ad, s)
	} else {
		off &= w - 1
		a = c.Regs[o.Dst.Reg] & sizeMask[s]
	}
	f := c.RFLAGS()
	cf := (a>>off)&1 != 0
	bit := uint64(1) << off
	switch o.Code {
	case isa.OpBts:
		a |= bit
	case isa.OpBtr:
		a &^= bit
	case isa.OpBtc:
		a ^= bit
	}
	if o.Code != isa.OpBt {
		m.putRMW(c, o, o.Dst, s, ad, a)
	}
	c.SetStatus(f&^cpu.FlagCF | b2f(cf, cpu.FlagCF))
}

// bitCount is bsf/bsr/tzcnt/lzcnt/popcnt.
func (m *machine) bitCount(c *cpu.CPU, o *isa.Op) {
	v := m.get(c, o, o.Src, o.Size)
	var r, f uint64
	write := true
	switch o.Code {
	case isa.OpBsf, isa.OpBsr:
		r, f, write = alu.BitScan(v, o.Code == isa.OpBsr)
	case isa.OpTzcnt, isa.OpLzcnt:
		r, f = alu.Count(v, o.Size, o.Code == isa.OpLzcnt, c.RFLAGS())
	default:
		r, f = alu.Popcnt(v)
	}
	if write {
		setReg(c, o.Dst.Reg, o.Size, r)
	}
	c.SetStatus(f)
}
