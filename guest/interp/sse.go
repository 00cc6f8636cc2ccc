package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
)

// The SSE2 data-movement and integer subset that x86-64 libc string and
// memory functions use: 128-bit moves, movq/movd, half moves, the bitwise,
// compare, add/subtract, min/max, unpack, shift and shuffle integer ops.
// Floating point, the other SSE2 integer ops and SSE3 through SSE4.2 are
// OpVec (vec.go), executed through guest/isa/vec.
// Vectors are [2]uint64, little-endian lanes.

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

// lane returns lane i of width w bytes.
func lane(v vec, w, i uint) uint64 {
	bit := i * w * 8
	return v[bit/64] >> (bit % 64) & sizeMask[w]
}

func setLane(v *vec, w, i uint, x uint64) {
	bit := i * w * 8
	mask := sizeMask[w] << (bit % 64)
	v[bit/64] = v[bit/64]&^mask | (x<<(bit%64))&mask
}

// lanewise applies f to every lane of width w.
func lanewise(a, b vec, w uint, f func(x, y uint64) uint64) vec {
	var r vec
	for i := uint(0); i < 16/w; i++ {
		setLane(&r, w, i, f(lane(a, w, i), lane(b, w, i)))
	}
	return r
}

func allOnes(t bool) uint64 {
	if t {
		return ^uint64(0)
	}
	return 0
}

// unpack interleaves the low (hi=false) or high halves of a and b lane by
// lane: a0 b0 a1 b1 ...
func unpack(a, b vec, w uint, hi bool) vec {
	var r vec
	n := 8 / w
	base := uint(0)
	if hi {
		base = n
	}
	for i := uint(0); i < n; i++ {
		setLane(&r, w, 2*i, lane(a, w, base+i))
		setLane(&r, w, 2*i+1, lane(b, w, base+i))
	}
	return r
}

// simd computes a <sub> b; count is the shift count for shift sub-ops.
func simd(sub uint8, a, b vec, count uint64) vec {
	switch sub {
	case isa.SimdXor:
		return vec{a[0] ^ b[0], a[1] ^ b[1]}
	case isa.SimdOr:
		return vec{a[0] | b[0], a[1] | b[1]}
	case isa.SimdAnd:
		return vec{a[0] & b[0], a[1] & b[1]}
	case isa.SimdAndn:
		return vec{^a[0] & b[0], ^a[1] & b[1]}
	case isa.SimdCmpeqB, isa.SimdCmpeqW, isa.SimdCmpeqD:
		w := uint(1) << (sub - isa.SimdCmpeqB)
		return lanewise(a, b, w, func(x, y uint64) uint64 { return allOnes(x == y) })
	case isa.SimdCmpgtB, isa.SimdCmpgtW, isa.SimdCmpgtD:
		w := uint(1) << (sub - isa.SimdCmpgtB)
		return lanewise(a, b, w, func(x, y uint64) uint64 { return allOnes(sext(x, uint8(w)) > sext(y, uint8(w))) })
	case isa.SimdAddB, isa.SimdAddW, isa.SimdAddD, isa.SimdAddQ:
		w := uint(1) << (sub - isa.SimdAddB)
		return lanewise(a, b, w, func(x, y uint64) uint64 { return x + y })
	case isa.SimdSubB, isa.SimdSubW, isa.SimdSubD, isa.SimdSubQ:
		w := uint(1) << (sub - isa.SimdSubB)
		return lanewise(a, b, w, func(x, y uint64) uint64 { return x - y })
	case isa.SimdMinUB:
		return lanewise(a, b, 1, func(x, y uint64) uint64 { return min(x, y) })
	case isa.SimdMaxUB:
		return lanewise(a, b, 1, func(x, y uint64) uint64 { return max(x, y) })
	case isa.SimdUnpckLBW, isa.SimdUnpckLWD, isa.SimdUnpckLDQ, isa.SimdUnpckLQDQ:
		return unpack(a, b, uint(1)<<(sub-isa.SimdUnpckLBW), false)
	case isa.SimdUnpckHBW, isa.SimdUnpckHWD, isa.SimdUnpckHDQ, isa.SimdUnpckHQDQ:
		return unpack(a, b, uint(1)<<(sub-isa.SimdUnpckHBW), true)
	case isa.SimdSrlW, isa.SimdSrlD, isa.SimdSrlQ, isa.SimdSllW, isa.SimdSllD, isa.SimdSllQ:
		left := sub >= isa.SimdSllW
		w := uint(2) << (sub - isa.SimdSrlW)
		if left {
			w = uint(2) << (sub - isa.SimdSllW)
		}
		if count >= uint64(w*8) {
			return vec{}
		}
		return lanewise(a, a, w, func(x, _ uint64) uint64 {
			if left {
				return x << count
			}
			return x >> count
		})
	case isa.SimdSraW, isa.SimdSraD:
		w := uint(2) << (sub - isa.SimdSraW)
		count = min(count, uint64(w*8-1))
		return lanewise(a, a, w, func(x, _ uint64) uint64 { return uint64(sext(x, uint8(w)) >> count) })
	case isa.SimdSrlDQ, isa.SimdSllDQ:
		if count > 15 {
			return vec{}
		}
		sh := uint(count) * 8
		if sub == isa.SimdSrlDQ {
			lo, hi := a[0], a[1]
			if sh >= 64 {
				return vec{hi >> (sh - 64), 0}
			}
			if sh == 0 {
				return a
			}
			return vec{lo>>sh | hi<<(64-sh), hi >> sh}
		}
		lo, hi := a[0], a[1]
		if sh >= 64 {
			return vec{0, lo << (sh - 64)}
		}
		if sh == 0 {
			return a
		}
		return vec{lo << sh, hi<<sh | lo>>(64-sh)}
	}
	return a
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
		a := *c.XMM(o.Dst.Reg)
		*c.XMM(o.Dst.Reg) = simd(o.Cond, a, b, b[0])
	case isa.OpSimdImm:
		*c.XMM(o.Dst.Reg) = simd(o.Cond, *c.XMM(o.Dst.Reg), vec{}, o.Imm)
	case isa.OpPmovmskb:
		v := *c.XMM(o.Src.Reg)
		var mask uint64
		for i := uint(0); i < 16; i++ {
			mask |= (lane(v, 1, i) >> 7) << i
		}
		setReg(c, o.Dst.Reg, max(o.Size, 4), mask)
	case isa.OpPshufd:
		s, ok := m.getVec(c, o, o.Src, aligned)
		if !ok {
			return false
		}
		var r vec
		for i := uint(0); i < 4; i++ {
			setLane(&r, 4, i, lane(s, 4, uint(o.Imm>>(2*i))&3))
		}
		*c.XMM(o.Dst.Reg) = r
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
		v := *c.XMM(o.Src.Reg)
		w := uint(o.SSize)
		var mask uint64
		for i := uint(0); i < 16/w; i++ {
			mask |= (lane(v, w, i) >> (8*w - 1)) << i
		}
		setReg(c, o.Dst.Reg, max(o.Size, 4), mask)
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
