package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/isa"
	v "github.com/minemu/minemu/guest/isa/vec"
)

// OpMmx: the MMX instructions (isa.MmxOps), aliased onto the x87
// registers as the hardware aliases them. MMX register i is the
// significand of x87 physical register i (not st(i)). Every MMX
// instruction, emms included, first reports a pending x87 exception (it
// waits, as an x87 instruction does); every one but emms then enters the
// MMX state: TOP becomes 0 and every register is tagged valid. Writing an MMX register sets the
// x87 register's sign and exponent, bits 64-79, to all ones. emms tags
// every register empty and, like every MMX instruction, sets TOP to 0
// (SDM vol. 3, 12.2). The conversions from memory to XMM (cvtpi2ps,
// cvtpi2pd with an m64 source) touch no MMX register and do none of
// this.

// mmxSrc reads an MMX source operand: an MMX register or 8 bytes of
// memory.
func (m *machine) mmxSrc(c *cpu.CPU, o *isa.Op, a isa.Arg) uint64 {
	if a.Kind == isa.KindMM {
		return c.MM(a.Reg)
	}
	return m.load(m.ea(c, o), 8)
}

// mmxOp executes an OpMmx; it returns 0 or the fault the instruction
// raises before it changes anything.
func (m *machine) mmxOp(c *cpu.CPU, o *isa.Op) engine.Fault {
	s := &isa.MmxOps[o.Cond]
	if s.Kind == isa.MmxCvtToX && o.Src.Kind == isa.KindMem {
		// An SSE conversion from memory: no MMX register, no transition.
		d := c.XMM(o.Dst.Reg)
		r, fl := s.CvtTo(v.X(*d), m.load(m.ea(c, o), 8), c.MXCSR)
		c.MXCSR |= fl
		if v.Unmasked(fl, c.MXCSR) != 0 {
			return engine.FaultSIMD
		}
		*d = r
		return 0
	}
	if f := m.fpending(c); f != 0 {
		return f
	}
	imm := uint8(o.Imm)
	switch s.Kind {
	case isa.MmxEmms:
		c.FTOP, c.FTAG = 0, 0
		return 0
	case isa.MmxCvtFromX:
		// The source is read (and may fault) before the transition.
		var b v.X
		if o.Src.Kind == isa.KindVec {
			b = v.X(*c.XMM(o.Src.Reg))
		} else {
			ad := m.ea(c, o)
			if o.Flags&isa.FlagAligned != 0 && ad%16 != 0 {
				return engine.FaultAlignSSE
			}
			b[0] = m.load(ad, 8)
			if o.SSize == 16 {
				b[1] = m.load(ad+8, 8)
			}
		}
		r, fl := s.CvtFrom(b, c.MXCSR)
		c.MXCSR |= fl
		if v.Unmasked(fl, c.MXCSR) != 0 {
			return engine.FaultSIMD
		}
		c.EnterMMX()
		c.SetMM(o.Dst.Reg, r)
		return 0
	}
	switch s.Kind {
	case isa.Mmx2:
		a := c.MM(o.Dst.Reg)
		var r uint64
		if o.Src.Kind == isa.KindImm {
			r = s.F1I(a, imm)
		} else {
			r = s.F2(a, m.mmxSrc(c, o, o.Src))
		}
		c.EnterMMX()
		c.SetMM(o.Dst.Reg, r)
	case isa.Mmx2I:
		r := s.F2I(c.MM(o.Dst.Reg), m.mmxSrc(c, o, o.Src), imm)
		c.EnterMMX()
		c.SetMM(o.Dst.Reg, r)
	case isa.Mmx1I:
		r := s.F1I(m.mmxSrc(c, o, o.Src), imm)
		c.EnterMMX()
		c.SetMM(o.Dst.Reg, r)
	case isa.MmxMov:
		var x uint64
		if o.Src.Kind == isa.KindMM {
			x = c.MM(o.Src.Reg) & sizeMask[o.Size]
		} else {
			x = m.get(c, o, o.Src, o.Size)
		}
		if o.Dst.Kind != isa.KindMM {
			m.put(c, o, o.Dst, o.Size, x) // before the transition: it may fault
			c.EnterMMX()
			break
		}
		c.EnterMMX()
		c.SetMM(o.Dst.Reg, x)
	case isa.MmxExtr:
		x := c.MM(o.Src.Reg) >> (16 * (imm & 3)) & 0xffff
		c.EnterMMX()
		m.put(c, o, o.Dst, o.Size, x)
	case isa.MmxInsr:
		x := m.get(c, o, o.Src, 2)
		sh := 16 * uint(imm&3)
		r := c.MM(o.Dst.Reg)&^(0xffff<<sh) | x<<sh
		c.EnterMMX()
		c.SetMM(o.Dst.Reg, r)
	case isa.MmxMovmsk:
		x := uint64(v.Pmovmskb(v.X{c.MM(o.Src.Reg)}) & 0xff)
		c.EnterMMX()
		m.put(c, o, o.Dst, o.Size, x)
	case isa.MmxMaskMov:
		data, mask := c.MM(o.Dst.Reg), c.MM(o.Src.Reg)
		ad := m.segAddr(c, o.M.Seg, c.Regs[cpu.RDI]&sizeMask[o.M.ASize])
		for i := uint(0); i < 8; i++ {
			if mask>>(8*i+7)&1 != 0 {
				m.store(ad+uint64(i), 1, data>>(8*i)&0xff)
			}
		}
		c.EnterMMX()
	case isa.MmxToX:
		x := c.MM(o.Src.Reg)
		c.EnterMMX()
		*c.XMM(o.Dst.Reg) = vec{x, 0}
	case isa.MmxFromX:
		x := c.XMM(o.Src.Reg)[0]
		c.EnterMMX()
		c.SetMM(o.Dst.Reg, x)
	case isa.MmxCvtToX:
		d := c.XMM(o.Dst.Reg)
		r, fl := s.CvtTo(v.X(*d), c.MM(o.Src.Reg), c.MXCSR)
		c.MXCSR |= fl
		if v.Unmasked(fl, c.MXCSR) != 0 {
			return engine.FaultSIMD
		}
		c.EnterMMX()
		*d = r
	}
	return 0
}
