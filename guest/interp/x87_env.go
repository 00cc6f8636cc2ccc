package interp

import (
	"encoding/binary"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	fpu "github.com/minemu/minemu/guest/isa/x87"
)

// The x87 environment in memory: fnstenv, fldenv, fnsave and frstor. The
// images are guest/cpu's (fenv.go); the interpreter copies them between
// guest memory and a buffer and does what the instructions do besides:
// fnstenv masks every exception, fnsave reinitialises the unit.

// fenvOp runs fnstenv, fldenv, fnsave and frstor (o.Size: the image's
// size in bytes).
func (m *machine) fenvOp(c *cpu.CPU, o *isa.Op) {
	ad := m.ea(c, o)
	short := o.Size == cpu.FEnvSize16 || o.Size == cpu.FStateSize16
	var b [cpu.FStateSize]byte
	switch o.Cond {
	case isa.X87Stenv, isa.X87Save:
		c.FStEnv(b[:], short, o.Cond == isa.X87Save)
		m.storeBytes(ad, b[:o.Size])
		if o.Cond == isa.X87Stenv {
			c.FCW |= fpu.Exceptions // which clears ES
			c.FSW = cpu.FSummary(c.FSW, c.FCW)
			return
		}
		c.FCW, c.FSW, c.FTOP, c.FTAG = fpu.DefaultCW, 0, 0, 0
	case isa.X87Ldenv, isa.X87Rstor:
		n := int(o.Size)
		if o.Cond == isa.X87Ldenv { // the control, status and tag words
			n = 10
			if short {
				n = 6
			}
		}
		m.loadBytes(ad, b[:n])
		c.FLdEnv(b[:], short, o.Cond == isa.X87Rstor)
	}
}

// storeBytes stores b at guest address ad, in increasing order.
func (m *machine) storeBytes(ad uint64, b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		m.store(ad+uint64(i), 8, binary.LittleEndian.Uint64(b[i:]))
	}
	for ; i < len(b); i++ {
		m.store(ad+uint64(i), 1, uint64(b[i]))
	}
}

// loadBytes fills b from guest address ad, in increasing order.
func (m *machine) loadBytes(ad uint64, b []byte) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], m.load(ad+uint64(i), 8))
	}
	for ; i < len(b); i++ {
		b[i] = byte(m.load(ad+uint64(i), 1))
	}
}
