package isa

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// EA is the linear address of o's memory operand with c's registers: the
// effective address modulo the address size, plus the FS or GS base, and
// in Mode32 modulo 2^32 (so a 32-bit guest cannot name minemu's memory).
func EA(c *cpu.CPU, o *Op, mode mm.Mode) uint64 {
	ad := EANoSeg(c, o)
	switch o.M.Seg {
	case SegFS:
		ad += c.FSBase
	case SegGS:
		ad += c.GSBase
	default:
		return ad
	}
	if mode == mm.Mode32 {
		ad &= 0xffffffff
	}
	return ad
}

// EANoSeg is the effective address of o's memory operand before the
// segment base (what lea computes), modulo the address size.
func EANoSeg(c *cpu.CPU, o *Op) uint64 {
	ad := o.Disp
	if o.M.Base != NoReg {
		ad += c.Regs[o.M.Base&15]
	}
	if o.M.Index != NoReg {
		ad += c.Regs[o.M.Index&15] << (o.M.Scale & 3)
	}
	return ad & addrMask[o.M.ASize]
}
