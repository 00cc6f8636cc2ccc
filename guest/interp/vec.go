package interp

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/isa"
	v "github.com/minemu/minemu/guest/isa/vec"
)

// OpVec: the vector instructions whose semantics are guest/isa/vec
// functions (isa.VecOps). The interpreter fetches the operands, checks a
// legacy 16-byte memory operand's alignment, calls the function, merges
// the floating-point exception flags into MXCSR and writes the result
// back; an unmasked exception raises #XM and leaves the destination and
// the rest of the state as the hardware does.

// vecSrc reads the source operand as an XMM value: a register, or
// o.SSize bytes of memory zero-extended; ok is false for a misaligned
// operand that must be aligned.
func (m *machine) vecSrc(c *cpu.CPU, o *isa.Op) (v.X, bool) {
	switch o.Src.Kind {
	case isa.KindVec:
		return v.X(*c.XMM(o.Src.Reg)), true
	case isa.KindMem:
		ad := m.ea(c, o)
		if o.Flags&isa.FlagAligned != 0 && ad%16 != 0 {
			return v.X{}, false
		}
		switch n := o.SSize; {
		case n >= 16:
			return v.X{m.load(ad, 8), m.load(ad+8, 8)}, true
		default:
			return v.X{m.load(ad, n)}, true
		}
	}
	return v.X{}, true
}

// vecOp executes an OpVec; it returns 0 or the fault the instruction
// raises.
func (m *machine) vecOp(c *cpu.CPU, o *isa.Op) engine.Fault {
	s := &isa.VecOps[o.Cond]
	imm := uint8(o.Imm)
	switch s.Kind {
	case isa.VecExtr:
		m.put(c, o, o.Dst, o.Size, s.Ext(v.X(*c.XMM(o.Src.Reg)), imm))
		return 0
	case isa.VecInsr:
		x := m.get(c, o, o.Src, o.SSize)
		d := c.XMM(o.Dst.Reg)
		*d = s.Ins(v.X(*d), x, imm)
		return 0
	case isa.VecCrc32:
		x := m.get(c, o, o.Src, o.SSize)
		m.put(c, o, o.Dst, o.Size, uint64(v.Crc32(uint32(c.Regs[o.Dst.Reg&15]), x, int(o.SSize))))
		return 0
	case isa.VecRdrand:
		var b [8]byte
		rand.Read(b[:])
		m.put(c, o, o.Dst, o.Size, binary.LittleEndian.Uint64(b[:])&sizeMask[o.Size])
		c.SetStatus(cpu.FlagCF)
		return 0
	case isa.VecMovbe:
		x := m.get(c, o, o.Src, o.Size)
		m.put(c, o, o.Dst, o.Size, bits.ReverseBytes64(x)>>(64-8*uint(o.Size)))
		return 0
	case isa.VecRdtscp:
		tsc := m.p.TSC()
		c.Regs[cpu.RAX], c.Regs[cpu.RDX], c.Regs[cpu.RCX] = tsc&0xffffffff, tsc>>32, 0
		return 0
	case isa.VecFxsave:
		return m.fxsave(c, o)
	case isa.VecFxrstor:
		return m.fxrstor(c, o)
	case isa.VecXsave:
		return m.xsaveOp(c, o, false)
	case isa.VecXsavec:
		return m.xsaveOp(c, o, true)
	case isa.VecXrstor:
		return m.xrstorOp(c, o)
	case isa.VecXgetbv:
		return m.xgetbvOp(c)
	case isa.VecCvtI2F:
		x := m.get(c, o, o.Src, o.SSize)
		d := c.XMM(o.Dst.Reg)
		r, fl := s.CvtI(v.X(*d), x, o.SSize == 8, c.MXCSR)
		c.MXCSR |= fl
		if v.Unmasked(fl, c.MXCSR) != 0 {
			return engine.FaultSIMD
		}
		*d = r
		return 0
	case isa.VecMaskMov:
		data, mask := v.X(*c.XMM(o.Dst.Reg)), v.X(*c.XMM(o.Src.Reg))
		sel := v.MaskMovDQU(mask)
		ad := m.segAddr(c, o.M.Seg, c.Regs[cpu.RDI]&sizeMask[o.M.ASize])
		for i := uint(0); i < 16; i++ {
			if sel>>i&1 != 0 {
				m.store(ad+uint64(i), 1, data[i/8]>>(8*(i%8))&0xff)
			}
		}
		return 0
	}
	b, ok := m.vecSrc(c, o)
	if !ok {
		return engine.FaultAlignSSE
	}
	d := c.XMM(o.Dst.Reg)
	a := v.X(*d)
	var r v.X
	var fl uint32
	switch s.Kind {
	case isa.Vec2:
		r = s.F2(a, b)
	case isa.Vec2I:
		r = s.F2I(a, b, imm)
	case isa.Vec1:
		r = s.F1(b)
	case isa.Vec1I:
		r = s.F1I(b, imm)
	case isa.Vec3X0:
		r = s.F3(a, b, v.X(*c.XMM(0)))
	case isa.VecComi:
		f, fl := s.Comi(a, b, c.MXCSR)
		c.MXCSR |= fl
		if v.Unmasked(fl, c.MXCSR) != 0 {
			return engine.FaultSIMD
		}
		c.SetStatus(uint64(f))
		return 0
	case isa.VecCvtF2I:
		x, fl := s.CvtF(b, o.Size == 8, c.MXCSR)
		c.MXCSR |= fl
		if v.Unmasked(fl, c.MXCSR) != 0 {
			return engine.FaultSIMD
		}
		m.put(c, o, o.Dst, o.Size, x)
		return 0
	case isa.VecPtest:
		c.SetStatus(uint64(s.Flag(a, b)))
		return 0
	case isa.VecStrI, isa.VecStrM:
		la, lb := m.strLens(c, o)
		if s.Kind == isa.VecStrI {
			idx, f := s.StrI(a, b, la, lb, imm)
			c.Regs[cpu.RCX] = uint64(idx)
			c.SetStatus(uint64(f))
		} else {
			mk, f := s.StrM(a, b, la, lb, imm)
			*c.XMM(0) = mk
			c.SetStatus(uint64(f))
		}
		return 0
	default:
		switch s.Kind {
		case isa.VecF2:
			r, fl = s.FF2(a, b, c.MXCSR)
		case isa.VecF1:
			r, fl = s.FF1(b, c.MXCSR)
		case isa.VecF2I:
			r, fl = s.FF2I(a, b, imm, c.MXCSR)
		case isa.VecF1I:
			r, fl = s.FF1I(b, imm, c.MXCSR)
		}
		c.MXCSR |= fl
		if v.Unmasked(fl, c.MXCSR) != 0 {
			return engine.FaultSIMD
		}
	}
	*d = r
	return 0
}

// strLens are the explicit lengths of pcmpestri/pcmpestrm: EAX and EDX,
// or RAX and RDX with REX.W (o.Rep 2).
func (m *machine) strLens(c *cpu.CPU, o *isa.Op) (int64, int64) {
	if o.Rep == 2 {
		return int64(c.Regs[cpu.RAX]), int64(c.Regs[cpu.RDX])
	}
	return int64(int32(c.Regs[cpu.RAX])), int64(int32(c.Regs[cpu.RDX]))
}

// fxsave stores the FXSAVE image (cpu.FXSave) at the 16-byte aligned
// memory operand; bytes 464-511 are the software's.
func (m *machine) fxsave(c *cpu.CPU, o *isa.Op) engine.Fault {
	ad := m.ea(c, o)
	if ad%16 != 0 {
		return engine.FaultAlignSSE
	}
	var b [cpu.FXSaveSize]byte
	m.areaOut(b[:], ad, c.FXSave(b[:]))
	return 0
}

// fxrstor loads the state fxsave stores; an image cpu.FXRstor refuses (an
// MXCSR with reserved bits) raises #GP and changes nothing.
func (m *machine) fxrstor(c *cpu.CPU, o *isa.Op) engine.Fault {
	ad := m.ea(c, o)
	if ad%16 != 0 {
		return engine.FaultAlignSSE
	}
	var b [cpu.FXSaveSize]byte
	m.areaIn(b[:], ad, c.FXRstorReads())
	if c.FXRstor(b[:]) != nil {
		return engine.FaultAlignSSE // #GP: SIGSEGV as for misalignment
	}
	return 0
}
