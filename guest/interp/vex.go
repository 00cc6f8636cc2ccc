package interp

import (
	"sync"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/isa"
	v "github.com/minemu/minemu/guest/isa/vec"
	"github.com/minemu/minemu/mm"
)

// OpVex: the VEX-encoded instructions (isa.VexOps). The interpreter reads
// the arguments into an isa.VexIn, calls the semantics and writes the
// result back: a vector register all 256 bits (a VEX.128 form's result has
// its upper lane zero), a general register, or the memory operand's
// SSize bytes. Floating-point flags are merged into MXCSR; an unmasked
// exception raises #XM and leaves the destination alone. Masked moves,
// gathers and vzeroupper/vzeroall do their own accesses.
//
// The VexIn a run uses comes from vexPool on the first VEX instruction
// and goes back at the end of the run, so that executing an op never
// allocates and the machine stays on the stack.

var vexPool = sync.Pool{New: func() any { return new(isa.VexIn) }}

// vexArg reads argument a of o as a 256-bit value: a vector register, a
// general register (SSize bytes) or memory (SSize bytes, zero-extended);
// ok is false for a memory operand that must be aligned and is not.
func (m *machine) vexArg(c *cpu.CPU, o *isa.Op, a isa.Arg) (v.Y, bool) {
	switch a.Kind {
	case isa.KindVec:
		return v.Y(c.X[a.Reg&15]), true
	case isa.KindReg:
		return v.Y{c.Regs[a.Reg&15] & sizeMask[o.SSize]}, true
	case isa.KindMem:
		ad := m.ea(c, o)
		if o.Flags&isa.FlagAligned != 0 && ad%uint64(o.VL) != 0 {
			return v.Y{}, false
		}
		return m.loadY(ad, o.SSize), true
	}
	return v.Y{}, true
}

// loadY reads n bytes (1, 2, 4, 8, 16 or 32) at ad, zero-extended.
func (m *machine) loadY(ad uint64, n uint8) v.Y {
	if n <= 8 {
		return v.Y{m.load(ad, n)}
	}
	var y v.Y
	for i := uint8(0); i < n/8; i++ {
		y[i] = m.load(ad+8*uint64(i), 8)
	}
	return y
}

// storeY writes the low n bytes of y at ad. The instruction's store is
// all or nothing, and a 16- or 32-byte operand spans at most two pages:
// the first byte is read and the last quadword written before the rest,
// so that an unmapped page on either side faults before anything is
// written. (A read-only first page before a writable second one still
// sees the last quadword written.)
func (m *machine) storeY(ad uint64, n uint8, y v.Y) {
	if n <= 8 {
		m.store(ad, n, y[0])
		return
	}
	last := n/8 - 1
	m.load(ad, 1)
	m.store(ad+8*uint64(last), 8, y[last])
	for i := uint8(0); i < last; i++ {
		m.store(ad+8*uint64(i), 8, y[i])
	}
}

// vexOp executes an OpVex; it returns 0 or the fault the instruction
// raises.
func (m *machine) vexOp(c *cpu.CPU, o *isa.Op) engine.Fault {
	s := &isa.VexOps[isa.VexIndex(o)]
	switch s.Kind {
	case isa.VexZeroUpper, isa.VexZeroAll:
		n := 16
		if m.mode == mm.Mode32 {
			n = 8 // ymm8-15 do not exist outside 64-bit mode
		}
		for i := 0; i < n; i++ {
			if s.Kind == isa.VexZeroAll {
				c.X[i] = [cpu.VecLanes]uint64{}
			} else {
				c.X[i][2], c.X[i][3] = 0, 0
			}
		}
		return 0
	case isa.VexLdmxcsr:
		x := m.load(m.ea(c, o), 4)
		if x>>16 != 0 {
			return engine.FaultAlignSSE // reserved bits: #GP, SIGSEGV
		}
		c.MXCSR = uint32(x)
		return 0
	case isa.VexMaskMov:
		return m.vexMaskMov(c, o, s)
	case isa.VexMaskMovDQU:
		data, mask := v.X(*c.XMM(o.Dst.Reg)), v.X(*c.XMM(o.Src.Reg))
		sel := v.MaskMovDQU(mask)
		ad := m.segAddr(c, o.M.Seg, c.Regs[cpu.RDI]&sizeMask[o.M.ASize])
		for i := uint(0); i < 16; i++ {
			if sel>>i&1 != 0 {
				m.store(ad+uint64(i), 1, data[i/8]>>(8*(i%8))&0xff)
			}
		}
		return 0
	case isa.VexGather:
		m.vexGather(c, o, s)
		return 0
	}
	if m.vx == nil {
		m.vx = vexPool.Get().(*isa.VexIn)
	}
	in := m.vx
	*in = isa.VexIn{VL: o.VL, Imm: uint8(o.Imm), MX: c.MXCSR, SSize: o.SSize, DSize: o.Size}
	ok := true
	if k := o.Src.Kind; k != isa.KindNone && k != isa.KindImm {
		in.A, ok = m.vexArg(c, o, o.Src)
		in.N++
		if k == isa.KindMem {
			in.Mem = 1
		}
	}
	if k := o.Src2.Kind; ok && k != isa.KindNone && k != isa.KindImm {
		in.B, ok = m.vexArg(c, o, o.Src2)
		in.N++
		if k == isa.KindMem {
			in.Mem = 2
		}
	}
	if !ok {
		return engine.FaultAlignSSE
	}
	if o.Dst.Kind == isa.KindVec {
		in.C = v.Y(c.X[o.Dst.Reg&15])
	}
	in.D = v.Y(c.X[o.Imm>>4&15])
	if s.Kind == isa.VexStrI || s.Kind == isa.VexStrM {
		if s.Len64 {
			in.G = [2]int64{int64(c.Regs[cpu.RAX]), int64(c.Regs[cpu.RDX])}
		} else {
			in.G = [2]int64{int64(int32(c.Regs[cpu.RAX])), int64(int32(c.Regs[cpu.RDX]))}
		}
	}
	r := s.F(in)
	c.MXCSR |= in.FL
	if v.Unmasked(in.FL, c.MXCSR) != 0 {
		return engine.FaultSIMD
	}
	switch s.Kind {
	case isa.VexFlags:
		c.SetStatus(uint64(in.RF))
	case isa.VexStrI:
		c.Regs[cpu.RCX] = r[0]
		c.SetStatus(uint64(in.RF))
	case isa.VexStrM:
		c.X[0] = r
		c.SetStatus(uint64(in.RF))
	default:
		switch o.Dst.Kind {
		case isa.KindVec:
			c.X[o.Dst.Reg&15] = r
		case isa.KindReg:
			m.put(c, o, o.Dst, o.Size, r[0])
		case isa.KindMem:
			ad := m.ea(c, o)
			if o.Flags&isa.FlagAligned != 0 && ad%uint64(o.VL) != 0 {
				return engine.FaultAlignSSE
			}
			m.storeY(ad, o.SSize, r)
		}
	}
	return 0
}

// elemSigns are the mask elements (sign bits) of a masked move or gather
// of element size e over n elements.
func elemSign(mask v.Y, e uint8, i int) bool {
	if e == 4 {
		return int32(mask.D(i)) < 0
	}
	return int64(mask[i]) < 0
}

// vexMaskMov is vmaskmovps/pd and vpmaskmovd/q: a load (Dst a register,
// Src the mask, Src2 memory) reads only the selected elements and zeroes
// the others; a store (Dst memory, Src the mask, Src2 the data) writes
// only the selected elements. Elements not selected never fault.
func (m *machine) vexMaskMov(c *cpu.CPU, o *isa.Op, s *isa.VexSem) engine.Fault {
	mask := v.Y(c.X[o.Src.Reg&15])
	n := int(o.VL / s.Elem)
	ad := m.ea(c, o)
	if o.Dst.Kind == isa.KindVec {
		var r v.Y
		for i := 0; i < n; i++ {
			if !elemSign(mask, s.Elem, i) {
				continue
			}
			x := m.load(ad+uint64(i)*uint64(s.Elem), s.Elem)
			if s.Elem == 4 {
				r.SetD(i, uint32(x))
			} else {
				r[i] = x
			}
		}
		c.X[o.Dst.Reg&15] = r
		return 0
	}
	data := v.Y(c.X[o.Src2.Reg&15])
	for i := 0; i < n; i++ {
		if !elemSign(mask, s.Elem, i) {
			continue
		}
		var x uint64
		if s.Elem == 4 {
			x = uint64(data.D(i))
		} else {
			x = data[i]
		}
		m.store(ad+uint64(i)*uint64(s.Elem), s.Elem, x)
	}
	return 0
}

// vexGather is vgather* and vpgather*: the selected elements are loaded
// in order, each one written to the destination and its mask element
// cleared before the next, so that a fault leaves the progress the
// hardware leaves; the completed instruction zeroes the mask and the
// destination's elements past the last.
func (m *machine) vexGather(c *cpu.CPU, o *isa.Op, s *isa.VexSem) {
	d, k := o.Dst.Reg&15, o.Src2.Reg&15
	g := v.PlanGather(v.Y(c.X[o.M.Index&15]), v.Y(c.X[k]), s.Idx32, int(s.Elem), int(o.VL), 1<<o.M.Scale, int64(o.Disp))
	base := uint64(0)
	if o.M.Base != isa.NoReg {
		base = c.Regs[o.M.Base&15]
	}
	for i := 0; i < g.N; i++ {
		if g.Load>>i&1 == 0 {
			continue
		}
		ad := m.segAddr(c, o.M.Seg, (base+uint64(g.Addr[i]))&addrMask[o.M.ASize])
		x := m.load(ad, s.Elem)
		g.Vals[i] = x
		dst, mask := v.Y(c.X[d]), v.Y(c.X[k])
		if s.Elem == 4 {
			dst.SetD(i, uint32(x))
			mask.SetD(i, 0)
		} else {
			dst[i], mask[i] = x, 0
		}
		c.X[d], c.X[k] = dst, mask
	}
	dst, mask := v.GatherDone(v.Y(c.X[d]), &g)
	c.X[d], c.X[k] = dst, mask
}
