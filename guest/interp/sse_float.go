package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	v "github.com/minemu/minemu/guest/isa/vec"
)

// The SSE float moves and shuffles that need no arithmetic: movss/movsd
// and shufps/shufpd (movmskps/pd and movhlps/movlhps are in sse.go). The
// arithmetic, compares and conversions run through guest/isa/vec (vec.go),
// which honours MXCSR.

// setScalar writes the low size bytes of XMM register r, keeping the rest.
func setScalar(c *cpu.CPU, r uint8, size uint8, v uint64) {
	x := &c.XMM(r)[0]
	*x = *x&^sizeMask[size] | v&sizeMask[size]
}

// scalarMov is movss/movsd: register to register keeps the upper lanes, a
// load zeroes them, a store writes the low size bytes.
func (m *machine) scalarMov(c *cpu.CPU, o *isa.Op) {
	switch {
	case o.Dst.Kind == isa.KindVec && o.Src.Kind == isa.KindVec:
		setScalar(c, o.Dst.Reg, o.Size, c.XMM(o.Src.Reg)[0])
	case o.Dst.Kind == isa.KindVec:
		*c.XMM(o.Dst.Reg) = vec{m.get(c, o, o.Src, o.Size), 0}
	default:
		m.put(c, o, o.Dst, o.Size, c.XMM(o.Src.Reg)[0]&sizeMask[o.Size])
	}
}

// shufF is shufps/shufpd of a (destination) and b (source) by Imm.
func shufF(o *isa.Op, a, b vec) vec {
	if o.SSize == 8 {
		return v.ShufPD(a, b, uint8(o.Imm))
	}
	return v.ShufPS(a, b, uint8(o.Imm))
}
