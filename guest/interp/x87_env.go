package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	fpu "github.com/minemu/minemu/guest/isa/x87"
)

// The x87 environment in memory: fnstenv, fldenv, fnsave and frstor.
//
// The environment is 28 bytes (32-bit operand size) or 14 (16-bit): the
// control word, the status word with TOP, the full tag word, then the
// last instruction and operand pointers, which minemu does not track and
// stores as zeros. In the 28-byte form each of the three words is
// followed by two reserved bytes the hardware stores as 0xffff, as is the
// one after the operand selector. fnsave and frstor add the eight
// registers after it, st(0) first, 10 bytes each.
//
// The full tag word has two bits per physical register: 11 empty, 01
// zero, 10 special (NaN, infinity, denormal, unsupported), 00 valid. It
// is computed from the register's value on store; a load keeps only
// empty or not (FTAG), as the hardware does.

// fullTag is the tag word of fnstenv and fnsave.
func fullTag(c *cpu.CPU) uint16 {
	var w uint16
	for r := uint8(0); r < 8; r++ {
		t := uint16(3)
		if c.FTAG&(1<<r) != 0 {
			t = to87(c.ST[r]).Tag()
		}
		w |= t << (2 * r)
	}
	return w
}

// fenvOp runs fnstenv, fldenv, fnsave and frstor (o.Size: the image's
// size in bytes).
func (m *machine) fenvOp(c *cpu.CPU, o *isa.Op) {
	ad := m.ea(c, o)
	short := o.Size == 14 || o.Size == 94
	step := uint64(4)
	if short {
		step = 2
	}
	regs := ad + 7*step
	switch o.Cond {
	case isa.X87Stenv, isa.X87Save:
		words := [7]uint16{c.FCW, c.FSWord(), fullTag(c)}
		for i, w := range words {
			v := uint64(w)
			if !short && (i < 3 || i == 6) {
				v |= 0xffff << 16
			}
			m.store(ad+uint64(i)*step, uint8(step), v)
		}
		if o.Cond == isa.X87Stenv {
			c.FCW |= fpu.Exceptions // which clears ES
			c.FSW = fsummary(c.FSW, c.FCW)
			return
		}
		for i := uint8(0); i < 8; i++ {
			st := c.STi(i)
			m.store(regs+10*uint64(i), 8, st.Mant)
			m.store(regs+10*uint64(i)+8, 2, uint64(st.SE))
		}
		c.FCW, c.FSW, c.FTOP, c.FTAG = fpu.DefaultCW, 0, 0, 0
	case isa.X87Ldenv, isa.X87Rstor:
		cw := uint16(m.load(ad, 2))&0x1f3f | 0x40
		sw := uint16(m.load(ad+step, 2))
		tw := uint16(m.load(ad+2*step, 2))
		var st [8]cpu.F80
		if o.Cond == isa.X87Rstor {
			for i := range st {
				st[i] = cpu.F80{Mant: m.load(regs+10*uint64(i), 8), SE: uint16(m.load(regs+10*uint64(i)+8, 2))}
			}
		}
		c.FCW = cw
		c.FSW, c.FTOP = fsummary(sw, cw)&^(7<<11), uint8(sw>>11&7)
		c.FTAG = 0
		for r := uint8(0); r < 8; r++ {
			if tw>>(2*r)&3 != 3 {
				c.FTAG |= 1 << r
			}
		}
		if o.Cond == isa.X87Rstor {
			for i := uint8(0); i < 8; i++ {
				*c.STi(i) = st[i]
			}
		}
	}
}
