package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// String instructions: movs, stos, lods, cmps, scas, with rep/repe/repne.
// The address size (Op.M.ASize) sets the width of rSI, rDI and rCX; the
// source may take an FS/GS override (Op.M.Seg), the destination is
// always ES (flat). Repeated forms update rSI, rDI and rCX after every
// element, so a fault leaves them where the CPU would. Forward rep movs and
// rep stos over non-overlapping, non-wrapping ranges are done in bulk.

func (m *machine) str(c *cpu.CPU, o *isa.Op) {
	as := o.M.ASize
	amask := sizeMask[as]
	step := uint64(o.Size)
	if c.DF() {
		step = -step
	}
	if o.Rep == isa.RepNone {
		m.strOne(c, o, amask, step)
		return
	}
	if step == uint64(o.Size) && (o.Code == isa.OpMovs || o.Code == isa.OpStos) && m.strBulk(c, o, amask) {
		return
	}
	for {
		cnt := c.Regs[cpu.RCX] & amask
		if cnt == 0 {
			return
		}
		m.strOne(c, o, amask, step)
		setReg(c, uint8(cpu.RCX), as, cnt-1)
		if o.Code == isa.OpCmps || o.Code == isa.OpScas {
			if (o.Rep == isa.RepE) != c.Zero() {
				return
			}
		}
	}
}

// strOne runs one element.
func (m *machine) strOne(c *cpu.CPU, o *isa.Op, amask, step uint64) {
	as := o.M.ASize
	s := o.Size
	si := c.Regs[cpu.RSI] & amask
	di := c.Regs[cpu.RDI] & amask
	switch o.Code {
	case isa.OpMovs:
		m.store(di, s, m.load(m.segAddr(c, o.M.Seg, si), s))
		setReg(c, uint8(cpu.RSI), as, si+step)
		setReg(c, uint8(cpu.RDI), as, di+step)
	case isa.OpStos:
		m.store(di, s, c.Regs[cpu.RAX])
		setReg(c, uint8(cpu.RDI), as, di+step)
	case isa.OpLods:
		setReg(c, uint8(cpu.RAX), s, m.load(m.segAddr(c, o.M.Seg, si), s))
		setReg(c, uint8(cpu.RSI), as, si+step)
	case isa.OpCmps:
		a := m.load(m.segAddr(c, o.M.Seg, si), s)
		b := m.load(di, s)
		c.SetLazy(cpu.LazySub, s, a, b, (a-b)&sizeMask[s])
		setReg(c, uint8(cpu.RSI), as, si+step)
		setReg(c, uint8(cpu.RDI), as, di+step)
	default: // OpScas
		a := c.Regs[cpu.RAX] & sizeMask[s]
		b := m.load(di, s)
		c.SetLazy(cpu.LazySub, s, a, b, (a-b)&sizeMask[s])
		setReg(c, uint8(cpu.RDI), as, di+step)
	}
}

// strBulk does a forward rep movs/stos in one go when that is provably the
// same as element by element; false means take the slow path.
func (m *machine) strBulk(c *cpu.CPU, o *isa.Op, amask uint64) bool {
	cnt := c.Regs[cpu.RCX] & amask
	if cnt < 16 || o.M.ASize == 2 {
		return false
	}
	n := cnt * uint64(o.Size)
	if n/uint64(o.Size) != cnt {
		return false
	}
	limit := amask // the last address the registers can name
	di := c.Regs[cpu.RDI] & amask
	dr, ok := mm.NewRange(mm.Addr(di), n)
	if !ok || uint64(dr.End)-1 > limit {
		return false
	}
	if o.Code == isa.OpMovs {
		si := m.segAddr(c, o.M.Seg, c.Regs[cpu.RSI]&amask)
		sr, ok := mm.NewRange(mm.Addr(si), n)
		if !ok || uint64(sr.End)-1 > limit || sr.Overlaps(dr) { // overlap: element order matters
			return false
		}
		m.t.NoteWrite(di, n)
		copy(guestBytes(di, n), guestBytes(si, n))
		setReg(c, uint8(cpu.RSI), o.M.ASize, (c.Regs[cpu.RSI]&amask)+n)
	} else {
		m.t.NoteWrite(di, n)
		d := guestBytes(di, n)
		v := c.Regs[cpu.RAX]
		for i := uint8(0); i < o.Size; i++ {
			d[i] = byte(v >> (8 * i))
		}
		for filled := uint64(o.Size); filled < n; filled *= 2 {
			copy(d[filled:], d[:filled])
		}
	}
	setReg(c, uint8(cpu.RDI), o.M.ASize, di+n)
	setReg(c, uint8(cpu.RCX), o.M.ASize, 0)
	return true
}
