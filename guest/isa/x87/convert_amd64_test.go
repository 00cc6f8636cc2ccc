package x87

import (
	"encoding/binary"
	"testing"
)

// sentinel fills the memory operand so that a store that did not happen
// shows.
var sentinel = []byte{0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5}

type storeOp struct {
	name string
	host func(*hostState)
	size int // bytes stored
	eng  func(e *Env, x F80) []byte
}

func le(v uint64, n int) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	return b[:n]
}

var storeOps = []storeOp{
	{"fstp-m32", hostFstM32, 4, func(e *Env, x F80) []byte { return le(uint64(e.ToFloat32(x)), 4) }},
	{"fstp-m64", hostFstM64, 8, func(e *Env, x F80) []byte { return le(e.ToFloat64(x), 8) }},
	{"fistp-m16", hostFistM16, 2, func(e *Env, x F80) []byte { return le(uint64(e.ToInt(x, 16)), 2) }},
	{"fistp-m32", hostFistM32, 4, func(e *Env, x F80) []byte { return le(uint64(e.ToInt(x, 32)), 4) }},
	{"fistp-m64", hostFistM64, 8, func(e *Env, x F80) []byte { return le(uint64(e.ToInt(x, 64)), 8) }},
	{"fisttp-m16", hostFisttpM16, 2, func(e *Env, x F80) []byte { return le(uint64(e.ToIntTrunc(x, 16)), 2) }},
	{"fisttp-m32", hostFisttpM32, 4, func(e *Env, x F80) []byte { return le(uint64(e.ToIntTrunc(x, 32)), 4) }},
	{"fisttp-m64", hostFisttpM64, 8, func(e *Env, x F80) []byte { return le(uint64(e.ToIntTrunc(x, 64)), 8) }},
	{"fbstp", hostFbstp, 10, func(e *Env, x F80) []byte { b := e.ToBCD(x); return b[:] }},
}

// storeOperand draws values for the stores: the general operands, and
// values near the float32 and float64 ranges' ends and the integer
// limits.
func (g *gen) storeOperand() F80 {
	switch g.r.IntN(6) {
	case 0: // float32 / float64 overflow and underflow thresholds
		e := [...]int{127, 128, -126, -127, -149, -150, 1023, 1024, -1022, -1023, -1074, -1075, -1076, -151}[g.r.IntN(14)]
		return F80{g.mant(), g.sign() | uint16(expBias+e+g.r.IntN(3)-1)}
	case 1: // integer limits
		e := [...]int{15, 16, 31, 32, 63, 64, 59, 60}[g.r.IntN(8)]
		return F80{g.mant(), g.sign() | uint16(expBias+e-1-g.r.IntN(2))}
	case 2: // small values: rounding to an integer
		return F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(70)-4)}
	}
	return g.f80()
}

func TestStoreHost(t *testing.T) {
	for _, op := range storeOps {
		t.Run(op.name, func(t *testing.T) {
			g := newGen(*flagSeed + 2)
			bad := 0
			for i := 0; i < *flagIters && bad < 20; i++ {
				x := g.storeOperand()
				cw := g.cw()
				sw0 := g.sw0()
				o := hostSW(op.host, cw, sw0, One, x, sentinel)
				e := Env{CW: cw, SW: sw0}
				got := op.eng(&e, x)
				want := append([]byte(nil), got...)
				wantTop := uint16(7) // popped
				if e.Aborted() {
					want, wantTop = sentinel[:op.size], 6
				}
				if string(o.mem[:op.size]) != string(want) || o.sw&^topMask != e.SW || o.sw>>11&7 != wantTop {
					t.Errorf("%s cw=%04x x=%v: host % x sw=%04x top=%d, engine % x sw=%04x aborted=%v",
						op.name, cw, x, o.mem[:op.size], o.sw&^topMask, o.sw>>11&7, got, e.SW, e.Aborted())
					bad++
				}
			}
		})
	}
}

type loadOp struct {
	name string
	host func(*hostState)
	size int
	eng  func(e *Env, m []byte) F80
}

var loadOps = []loadOp{
	{"fld-m32", hostFldM32, 4, func(e *Env, m []byte) F80 { return e.FromFloat32(binary.LittleEndian.Uint32(m)) }},
	{"fld-m64", hostFldM64, 8, func(e *Env, m []byte) F80 { return e.FromFloat64(binary.LittleEndian.Uint64(m)) }},
	{"fild-m16", hostFildM16, 2, func(e *Env, m []byte) F80 { return e.FromInt(int64(int16(binary.LittleEndian.Uint16(m)))) }},
	{"fild-m32", hostFildM32, 4, func(e *Env, m []byte) F80 { return e.FromInt(int64(int32(binary.LittleEndian.Uint32(m)))) }},
	{"fild-m64", hostFildM64, 8, func(e *Env, m []byte) F80 { return e.FromInt(int64(binary.LittleEndian.Uint64(m))) }},
	{"fbld", hostFbld, 10, func(e *Env, m []byte) F80 { return e.FromBCD(BCD(m[:10])) }},
}

// memOperand draws memory bytes for a load: random bits, with the
// exponent field often all ones or zero.
func (g *gen) memOperand(size int) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, g.r.Uint64()>>uint(g.r.IntN(64)))
	binary.LittleEndian.PutUint64(b[8:], g.r.Uint64())
	v := binary.LittleEndian.Uint64(b)
	switch size {
	case 4:
		switch g.r.IntN(4) {
		case 0:
			v |= 0x7f800000
		case 1:
			v &^= 0x7f800000
		}
		v = v&0x7fffffff | uint64(g.r.IntN(2))<<31
	case 8:
		switch g.r.IntN(4) {
		case 0:
			v |= 0x7ff0000000000000
		case 1:
			v &^= 0x7ff0000000000000
		}
		v = v&^(1<<63) | uint64(g.r.IntN(2))<<63
	case 10:
		for i := 0; i < 9; i++ { // mostly valid digits
			if g.r.IntN(20) != 0 {
				b[i] = byte(g.r.IntN(10))<<4 | byte(g.r.IntN(10))
			}
		}
		b[9] &= 0x80
		return b
	}
	binary.LittleEndian.PutUint64(b, v)
	return b
}

func TestLoadHost(t *testing.T) {
	for _, op := range loadOps {
		t.Run(op.name, func(t *testing.T) {
			g := newGen(*flagSeed + 3)
			bad := 0
			for i := 0; i < *flagIters && bad < 20; i++ {
				m := g.memOperand(op.size)
				cw := g.cw()
				sw0 := g.sw0()
				o := hostSW(op.host, cw, sw0, One, F80{}, m)
				e := Env{CW: cw, SW: sw0}
				r := op.eng(&e, m)
				want, wantTop := r, uint16(6)
				if e.Aborted() {
					want, wantTop = One, 7
				}
				if o.r0 != want || o.sw&^topMask != e.SW || o.sw>>11&7 != wantTop {
					t.Errorf("%s cw=%04x m=% x: host %v sw=%04x top=%d, engine %v sw=%04x aborted=%v",
						op.name, cw, m[:op.size], o.r0, o.sw&^topMask, o.sw>>11&7, r, e.SW, e.Aborted())
					bad++
				}
			}
		})
	}
}
