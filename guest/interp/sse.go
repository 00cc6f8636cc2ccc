package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	v "github.com/minemu/minemu/guest/isa/vec"
)

// The SSE2 data-movement and integer subset that x86-64 libc string and
// memory functions use: 128-bit moves, movq/movd, half moves, the bitwise,
// compare, add/subtract, min/max, unpack, shift and shuffle integer ops.
// Floating point, the other SSE2 integer ops and SSE3 through SSE4.2 are
// OpVec (vec.go), executed through guest/isa/vec, whose functions are
// also the integer ops' semantics here (simdOps). Vectors are [2]uint64,
// little-endian lanes.

type vec = [2]uint64

// vecAddr returns the address of a 128-bit memory operand; ok is false
// when the operand must be aligned and is not (#GP).
func (m *machine) vecAddr(c *cpu.CPU, o *isa.Op, a isa.Arg, aligned bool) (uint64, bool) {
	ad := m.ea(c, o)
	return ad, !aligned || ad%16 == 0
}

func (m *machine) getVec(c *cpu.CPU, o *isa.Op, a isa.Arg, aligned bool) (vec, bool) {
	if a.Kind == isa.KindVec {
		return *c.XMM(a.Reg), true
	}
	ad, ok := m.vecAddr(c, o, a, aligned)
	if !ok {
		return vec{}, false
	}
	return vec{m.load(ad, 8), m.load(ad+8, 8)}, true
}

func (m *machine) putVec(c *cpu.CPU, o *isa.Op, a isa.Arg, aligned bool, v vec) bool {
	if a.Kind == isa.KindVec {
		*c.XMM(a.Reg) = v
		return true
	}
	ad, ok := m.vecAddr(c, o, a, aligned)
	if !ok {
		return false
	}
	m.store(ad, 8, v[0])
	m.store(ad+8, 8, v[1])
	return true
}

// simdOps are the guest/isa/vec functions of the SIMD sub-operations
// (OpSimd, and OpSimdImm with the count as the second operand's low
// quadword).
var simdOps = [...]func(a, b v.X) v.X{
	isa.SimdXor: v.Xor, isa.SimdOr: v.Or, isa.SimdAnd: v.And, isa.SimdAndn: v.AndN,
	isa.SimdCmpeqB: v.PcmpeqB, isa.SimdCmpeqW: v.PcmpeqW, isa.SimdCmpeqD: v.PcmpeqD,
	isa.SimdCmpgtB: v.PcmpgtB, isa.SimdCmpgtW: v.PcmpgtW, isa.SimdCmpgtD: v.PcmpgtD,
	isa.SimdAddB: v.PaddB, isa.SimdAddW: v.PaddW, isa.SimdAddD: v.PaddD, isa.SimdAddQ: v.PaddQ,
	isa.SimdSubB: v.PsubB, isa.SimdSubW: v.PsubW, isa.SimdSubD: v.PsubD, isa.SimdSubQ: v.PsubQ,
	isa.SimdMinUB: v.PminUB, isa.SimdMaxUB: v.PmaxUB,
	isa.SimdUnpckLBW: v.PunpcklBW, isa.SimdUnpckLWD: v.PunpcklWD, isa.SimdUnpckLDQ: v.PunpcklDQ, isa.SimdUnpckLQDQ: v.PunpcklQDQ,
	isa.SimdUnpckHBW: v.PunpckhBW, isa.SimdUnpckHWD: v.PunpckhWD, isa.SimdUnpckHDQ: v.PunpckhDQ, isa.SimdUnpckHQDQ: v.PunpckhQDQ,
	isa.SimdSrlW: v.PsrlW, isa.SimdSrlD: v.PsrlD, isa.SimdSrlQ: v.PsrlQ,
	isa.SimdSllW: v.PsllW, isa.SimdSllD: v.PsllD, isa.SimdSllQ: v.PsllQ,
	isa.SimdSraW: v.PsraW, isa.SimdSraD: v.PsraD,
	isa.SimdSrlDQ: func(a, n v.X) v.X { return v.Psrldq(a, uint8(min(n[0], 0xff))) },
	isa.SimdSllDQ: func(a, n v.X) v.X { return v.Pslldq(a, uint8(min(n[0], 0xff))) },
}

// sse executes the SSE ops; false means a general-protection fault on a
// misaligned operand.
func (m *machine) sse(c *cpu.CPU, o *isa.Op) bool {
	aligned := o.Flags&isa.FlagAligned != 0
	switch o.Code {
	case isa.OpSseMov:
		v, ok := m.getVec(c, o, o.Src, aligned)
		return ok && m.putVec(c, o, o.Dst, aligned, v)
	case isa.OpSseMovQ:
		if o.Dst.Kind == isa.KindVec {
			var x uint64
			if o.Src.Kind == isa.KindVec {
				x = c.XMM(o.Src.Reg)[0] & sizeMask[o.Size]
			} else {
				x = m.get(c, o, o.Src, o.Size)
			}
			*c.XMM(o.Dst.Reg) = vec{x, 0}
			return true
		}
		m.put(c, o, o.Dst, o.Size, c.XMM(o.Src.Reg)[0]&sizeMask[o.Size])
	case isa.OpSseHalf:
		h := o.Cond
		if o.Dst.Kind == isa.KindVec {
			c.XMM(o.Dst.Reg)[h] = m.load(m.ea(c, o), 8)
		} else {
			m.store(m.ea(c, o), 8, c.XMM(o.Src.Reg)[h])
		}
	case isa.OpSimd:
		b, ok := m.getVec(c, o, o.Src, aligned)
		if !ok {
			return false
		}
		d := c.XMM(o.Dst.Reg)
		*d = simdOps[o.Cond](*d, b)
	case isa.OpSimdImm:
		d := c.XMM(o.Dst.Reg)
		*d = simdOps[o.Cond](*d, v.X{o.Imm})
	case isa.OpPmovmskb:
		setReg(c, o.Dst.Reg, max(o.Size, 4), uint64(v.Pmovmskb(*c.XMM(o.Src.Reg))))
	case isa.OpPshufd:
		s, ok := m.getVec(c, o, o.Src, aligned)
		if !ok {
			return false
		}
		*c.XMM(o.Dst.Reg) = v.Pshufd(s, uint8(o.Imm))
	case isa.OpStmxcsr:
		m.store(m.ea(c, o), 4, uint64(c.MXCSR))
	case isa.OpSseScalarMov:
		m.scalarMov(c, o)
	case isa.OpShufF:
		b, ok := m.getVec(c, o, o.Src, aligned)
		if !ok {
			return false
		}
		a := c.XMM(o.Dst.Reg)
		*a = shufF(o, *a, b)
	case isa.OpMovmskF:
		mask := v.MovmskPS(*c.XMM(o.Src.Reg))
		if o.SSize == 8 {
			mask = v.MovmskPD(*c.XMM(o.Src.Reg))
		}
		setReg(c, o.Dst.Reg, max(o.Size, 4), uint64(mask))
	case isa.OpMovHLF:
		d, s := c.XMM(o.Dst.Reg), *c.XMM(o.Src.Reg)
		if o.Cond == 0 {
			d[0] = s[1] // movhlps
		} else {
			d[1] = s[0] // movlhps
		}
	case isa.OpLdmxcsr:
		v := m.load(m.ea(c, o), 4)
		if v>>16 != 0 {
			return false // reserved bits set: #GP
		}
		c.MXCSR = uint32(v)
	}
	return true
}
