package isa

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// EA is the linear address of the memory operand a with c's registers: the
// effective address modulo the address size, plus the FS or GS base, and
// in Mode32 modulo 2^32 (so a 32-bit guest cannot name minemu's memory).
// It is the reference the engines' own address computations follow.
func EA(c *cpu.CPU, a *Arg, mode mm.Mode) uint64 {
	ad := a.Disp
	if a.Reg != NoReg {
		ad += c.Regs[a.Reg&15]
	}
	if a.Index != NoReg {
		ad += c.Regs[a.Index&15] << (a.Scale & 3)
	}
	ad &= addrMask[a.ASize]
	switch a.Seg {
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
