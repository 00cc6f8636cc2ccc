package guest

import "golang.org/x/sys/unix"

// The SSE2 subset: 128-bit moves, movq/movd, half moves, the bitwise,
// compare, add/subtract, min/max, unpack, shift and shuffle integer ops
// that x86-64 libc string and memory functions use (scalar floating point
// and packed floating point are in interp_sse_float.go). Packed
// conversions (cvtdq2ps, cvtps2pd, ...), SSE3 and later are not
// implemented and stay invalid opcodes.
// Vectors are [2]uint64, little-endian lanes.

type vec = [2]uint64

// vecAddr returns the address of a 128-bit memory operand; ok is false
// when the operand must be aligned and is not (#GP).
func (m *Machine) vecAddr(c *CPU, a *arg, aligned bool) (uint64, bool) {
	ad := m.ea(c, a)
	return ad, !aligned || ad%16 == 0
}

func (m *Machine) getVec(c *CPU, a *arg, aligned bool) (vec, bool) {
	if a.kind == argXmm {
		return *c.XMM(a.reg), true
	}
	ad, ok := m.vecAddr(c, a, aligned)
	if !ok {
		return vec{}, false
	}
	return vec{m.load(ad, 8), m.load(ad+8, 8)}, true
}

func (m *Machine) putVec(c *CPU, a *arg, aligned bool, v vec) bool {
	if a.kind == argXmm {
		*c.XMM(a.reg) = v
		return true
	}
	ad, ok := m.vecAddr(c, a, aligned)
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
	case simdXor:
		return vec{a[0] ^ b[0], a[1] ^ b[1]}
	case simdOr:
		return vec{a[0] | b[0], a[1] | b[1]}
	case simdAnd:
		return vec{a[0] & b[0], a[1] & b[1]}
	case simdAndn:
		return vec{^a[0] & b[0], ^a[1] & b[1]}
	case simdCmpeqB, simdCmpeqW, simdCmpeqD:
		w := uint(1) << (sub - simdCmpeqB)
		return lanewise(a, b, w, func(x, y uint64) uint64 { return allOnes(x == y) })
	case simdCmpgtB, simdCmpgtW, simdCmpgtD:
		w := uint(1) << (sub - simdCmpgtB)
		return lanewise(a, b, w, func(x, y uint64) uint64 { return allOnes(sext(x, uint8(w)) > sext(y, uint8(w))) })
	case simdAddB, simdAddW, simdAddD, simdAddQ:
		w := uint(1) << (sub - simdAddB)
		return lanewise(a, b, w, func(x, y uint64) uint64 { return x + y })
	case simdSubB, simdSubW, simdSubD, simdSubQ:
		w := uint(1) << (sub - simdSubB)
		return lanewise(a, b, w, func(x, y uint64) uint64 { return x - y })
	case simdMinUB:
		return lanewise(a, b, 1, func(x, y uint64) uint64 { return min(x, y) })
	case simdMaxUB:
		return lanewise(a, b, 1, func(x, y uint64) uint64 { return max(x, y) })
	case simdUnpckLBW, simdUnpckLWD, simdUnpckLDQ, simdUnpckLQDQ:
		return unpack(a, b, uint(1)<<(sub-simdUnpckLBW), false)
	case simdUnpckHBW, simdUnpckHWD, simdUnpckHDQ, simdUnpckHQDQ:
		return unpack(a, b, uint(1)<<(sub-simdUnpckHBW), true)
	case simdSrlW, simdSrlD, simdSrlQ, simdSllW, simdSllD, simdSllQ:
		left := sub >= simdSllW
		w := uint(2) << (sub - simdSrlW)
		if left {
			w = uint(2) << (sub - simdSllW)
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
	case simdSraW, simdSraD:
		w := uint(2) << (sub - simdSraW)
		count = min(count, uint64(w*8-1))
		return lanewise(a, a, w, func(x, _ uint64) uint64 { return uint64(sext(x, uint8(w)) >> count) })
	case simdSrlDQ, simdSllDQ:
		if count > 15 {
			return vec{}
		}
		sh := uint(count) * 8
		if sub == simdSrlDQ {
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
func (m *Machine) sse(c *CPU, o *op) bool {
	aligned := o.rep != 0
	switch o.code {
	case opSseMov:
		v, ok := m.getVec(c, &o.src, aligned)
		return ok && m.putVec(c, &o.dst, aligned, v)
	case opSseMovQ:
		if o.dst.kind == argXmm {
			var x uint64
			if o.src.kind == argXmm {
				x = c.XMM(o.src.reg)[0] & sizeMask[o.size]
			} else {
				x = m.get(c, &o.src, o.size)
			}
			*c.XMM(o.dst.reg) = vec{x, 0}
			return true
		}
		m.put(c, &o.dst, o.size, c.XMM(o.src.reg)[0]&sizeMask[o.size])
	case opSseHalf:
		h := o.cond
		if o.dst.kind == argXmm {
			c.XMM(o.dst.reg)[h] = m.load(m.ea(c, &o.src), 8)
		} else {
			m.store(m.ea(c, &o.dst), 8, c.XMM(o.src.reg)[h])
		}
	case opSimd:
		b, ok := m.getVec(c, &o.src, aligned)
		if !ok {
			return false
		}
		a := *c.XMM(o.dst.reg)
		*c.XMM(o.dst.reg) = simd(o.cond, a, b, b[0])
	case opSimdImm:
		*c.XMM(o.dst.reg) = simd(o.cond, *c.XMM(o.dst.reg), vec{}, o.imm)
	case opPmovmskb:
		v := *c.XMM(o.src.reg)
		var mask uint64
		for i := uint(0); i < 16; i++ {
			mask |= (lane(v, 1, i) >> 7) << i
		}
		setReg(c, o.dst.reg, max(o.size, 4), mask)
	case opPshufd:
		s, ok := m.getVec(c, &o.src, aligned)
		if !ok {
			return false
		}
		var r vec
		for i := uint(0); i < 4; i++ {
			setLane(&r, 4, i, lane(s, 4, uint(o.imm>>(2*i))&3))
		}
		*c.XMM(o.dst.reg) = r
	case opStmxcsr:
		m.store(m.ea(c, &o.dst), 4, uint64(c.MXCSR))
	case opSseScalarMov, opSseArith, opSseComi, opCvtI2F, opCvtF2I, opCvtF2F:
		m.sseFloat(c, o)
	case opPackedFP, opPackedCmp, opShufF:
		b, ok := m.getVec(c, &o.src, aligned)
		if !ok {
			return false
		}
		a := c.XMM(o.dst.reg)
		*a = packedFloat(o, *a, b)
	case opMovmskF:
		v := *c.XMM(o.src.reg)
		w := uint(o.ssize)
		var mask uint64
		for i := uint(0); i < 16/w; i++ {
			mask |= (lane(v, w, i) >> (8*w - 1)) << i
		}
		setReg(c, o.dst.reg, max(o.size, 4), mask)
	case opMovHLF:
		d, s := c.XMM(o.dst.reg), *c.XMM(o.src.reg)
		if o.cond == 0 {
			d[0] = s[1] // movhlps
		} else {
			d[1] = s[0] // movlhps
		}
	case opLdmxcsr:
		v := m.load(m.ea(c, &o.dst), 4)
		if v>>16 != 0 {
			return false // reserved bits set: #GP
		}
		c.MXCSR = uint32(v)
	}
	return true
}

// sseFault is the exit for a misaligned SSE operand.
func sseFault(o *op) Exit {
	return sigExit(unix.SIGSEGV, "SIGSEGV: general protection (misaligned SSE operand, guest rip %#x)", o.pc)
}
