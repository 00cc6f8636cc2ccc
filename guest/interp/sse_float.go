package interp

import (
	"math"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
)

// Scalar SSE floating point: movss/movsd, add/sub/mul/div/min/max/sqrt
// ss/sd, (u)comiss/sd and the conversions. Go compiles float32/float64
// arithmetic and math.Sqrt to the same SSE instructions on amd64, so
// results, NaN propagation and the "indefinite" values are the host's.
// Rounding is always to nearest-even (MXCSR.RC is not consulted) and the
// MXCSR exception flags are not accumulated. Lowering now gives the
// arithmetic, compares and conversions to OpVec (vec.go), which does both;
// only movss/movsd, movmskps/pd, shufps/pd and movhlps/movlhps still come
// here.

// scalar reads the low size bytes of an XMM register or memory operand.
func (m *machine) scalar(c *cpu.CPU, o *isa.Op, a isa.Arg, size uint8) uint64 {
	if a.Kind == isa.KindVec {
		return c.XMM(a.Reg)[0] & sizeMask[size]
	}
	return m.get(c, o, a, size)
}

// setScalar writes the low size bytes of XMM register r, keeping the rest.
func setScalar(c *cpu.CPU, r uint8, size uint8, v uint64) {
	x := &c.XMM(r)[0]
	*x = *x&^sizeMask[size] | v&sizeMask[size]
}

// fpArith is the scalar operation sub (FPAdd ... FPSqrt) on one lane.
// A float32 square root computed in float64 and rounded once is the
// correctly rounded float32 result, as sqrtss gives.
func fpArith[F float32 | float64](sub uint8, a, b F) F {
	switch sub {
	case isa.FPAdd:
		return a + b
	case isa.FPSub:
		return a - b
	case isa.FPMul:
		return a * b
	case isa.FPDiv:
		return a / b
	case isa.FPMin:
		if a < b {
			return a
		}
		return b
	case isa.FPMax:
		if a > b {
			return a
		}
		return b
	default:
		return F(math.Sqrt(float64(b)))
	}
}

// sseFloat executes the scalar floating-point ops.
func (m *machine) sseFloat(c *cpu.CPU, o *isa.Op) {
	switch o.Code {
	case isa.OpSseScalarMov:
		switch {
		case o.Dst.Kind == isa.KindVec && o.Src.Kind == isa.KindVec:
			setScalar(c, o.Dst.Reg, o.Size, c.XMM(o.Src.Reg)[0])
		case o.Dst.Kind == isa.KindVec:
			*c.XMM(o.Dst.Reg) = vec{m.get(c, o, o.Src, o.Size), 0}
		default:
			m.put(c, o, o.Dst, o.Size, c.XMM(o.Src.Reg)[0]&sizeMask[o.Size])
		}
	case isa.OpSseArith:
		a, b := c.XMM(o.Dst.Reg)[0], m.scalar(c, o, o.Src, o.Size)
		if o.Size == 8 {
			setScalar(c, o.Dst.Reg, 8, math.Float64bits(fpArith(o.Cond, math.Float64frombits(a), math.Float64frombits(b))))
		} else {
			r := fpArith(o.Cond, math.Float32frombits(uint32(a)), math.Float32frombits(uint32(b)))
			setScalar(c, o.Dst.Reg, 4, uint64(math.Float32bits(r)))
		}
	case isa.OpSseComi:
		var a, b float64
		if o.Size == 8 {
			a, b = math.Float64frombits(c.XMM(o.Dst.Reg)[0]), math.Float64frombits(m.scalar(c, o, o.Src, 8))
		} else {
			a = float64(math.Float32frombits(uint32(c.XMM(o.Dst.Reg)[0])))
			b = float64(math.Float32frombits(uint32(m.scalar(c, o, o.Src, 4))))
		}
		var f uint64
		switch {
		case a != a || b != b:
			f = cpu.FlagZF | cpu.FlagPF | cpu.FlagCF
		case a < b:
			f = cpu.FlagCF
		case a == b:
			f = cpu.FlagZF
		}
		c.SetStatus(f)
	case isa.OpCvtI2F:
		v := sext(m.get(c, o, o.Src, o.SSize), o.SSize)
		if o.Size == 8 {
			setScalar(c, o.Dst.Reg, 8, math.Float64bits(float64(v)))
		} else {
			setScalar(c, o.Dst.Reg, 4, uint64(math.Float32bits(float32(v))))
		}
	case isa.OpCvtF2I:
		var f float64
		if o.SSize == 8 {
			f = math.Float64frombits(m.scalar(c, o, o.Src, 8))
		} else {
			f = float64(math.Float32frombits(uint32(m.scalar(c, o, o.Src, 4))))
		}
		if o.Cond == 0 {
			f = math.RoundToEven(f)
		} else {
			f = math.Trunc(f)
		}
		// Out of range or NaN: the "integer indefinite" value.
		lim := math.Ldexp(1, 8*int(o.Size)-1)
		v := signBit[o.Size]
		if f >= -lim && f < lim {
			v = uint64(int64(f)) & sizeMask[o.Size]
		}
		setReg(c, o.Dst.Reg, o.Size, v)
	case isa.OpCvtF2F:
		if o.Size == 8 {
			f := math.Float32frombits(uint32(m.scalar(c, o, o.Src, 4)))
			setScalar(c, o.Dst.Reg, 8, math.Float64bits(float64(f)))
		} else {
			f := math.Float64frombits(m.scalar(c, o, o.Src, 8))
			setScalar(c, o.Dst.Reg, 4, uint64(math.Float32bits(float32(f))))
		}
	}
}

// fpCompare evaluates SSE compare predicate pred (0 eq, 1 lt, 2 le,
// 3 unord, 4 neq, 5 nlt, 6 nle, 7 ord).
func fpCompare(pred uint64, a, b float64) bool {
	unord := a != a || b != b
	switch pred {
	case 0:
		return a == b
	case 1:
		return a < b
	case 2:
		return a <= b
	case 3:
		return unord
	case 4:
		return a != b
	case 5:
		return !(a < b)
	case 6:
		return !(a <= b)
	default:
		return !unord
	}
}

// packedFloat computes the packed float ops, cmpps/pd/ss/sd and
// shufps/pd on a (destination) and b (source).
func packedFloat(o *isa.Op, a, b vec) vec {
	w := uint(o.SSize)
	n := 16 / w
	r := a
	switch o.Code {
	case isa.OpShufF:
		if w == 8 {
			return vec{a[o.Imm&1], b[(o.Imm>>1)&1]}
		}
		setLane(&r, 4, 0, lane(a, 4, uint(o.Imm)&3))
		setLane(&r, 4, 1, lane(a, 4, uint(o.Imm>>2)&3))
		setLane(&r, 4, 2, lane(b, 4, uint(o.Imm>>4)&3))
		setLane(&r, 4, 3, lane(b, 4, uint(o.Imm>>6)&3))
		return r
	case isa.OpPackedCmp:
		if o.Cond == 1 {
			n = 1 // scalar form: the other lanes pass through
		}
		for i := uint(0); i < n; i++ {
			x, y := lane(a, w, i), lane(b, w, i)
			var fx, fy float64
			if w == 8 {
				fx, fy = math.Float64frombits(x), math.Float64frombits(y)
			} else {
				fx, fy = float64(math.Float32frombits(uint32(x))), float64(math.Float32frombits(uint32(y)))
			}
			setLane(&r, w, i, allOnes(fpCompare(o.Imm, fx, fy)))
		}
		return r
	}
	for i := uint(0); i < n; i++ {
		x, y := lane(a, w, i), lane(b, w, i)
		if w == 8 {
			setLane(&r, 8, i, math.Float64bits(fpArith(o.Cond, math.Float64frombits(x), math.Float64frombits(y))))
		} else {
			f := fpArith(o.Cond, math.Float32frombits(uint32(x)), math.Float32frombits(uint32(y)))
			setLane(&r, 4, i, uint64(math.Float32bits(f)))
		}
	}
	return r
}
