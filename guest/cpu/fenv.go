package cpu

import "encoding/binary"

// The x87 environment and state images: fnstenv, fldenv, fnsave and
// frstor, and the first part of an i386 signal frame's fpstate.
//
// The environment is 28 bytes (32-bit operand size) or 14 (16-bit): the
// control word, the status word with TOP, the full tag word, then the
// last instruction and operand pointers, which minemu does not track and
// stores as zeros. In the 28-byte form each of the three words is
// followed by two reserved bytes the hardware stores as 0xffff, as is the
// one after the operand selector. The state image (fnsave, frstor) adds
// the eight registers after it, st(0) first, 10 bytes each.
//
// The full tag word has two bits per physical register: 11 empty, 01
// zero, 10 special (NaN, infinity, denormal, unsupported), 00 valid. It
// is computed from the register's value on store; a load keeps only
// empty or not (FTAG), as the hardware does.

// Sizes of the environment and state images, 32-bit and 16-bit forms.
const (
	FEnvSize     = 28
	FEnvSize16   = 14
	FStateSize   = FEnvSize + 80
	FStateSize16 = FEnvSize16 + 80
)

// x87 status word bits the loads recompute: the exception summary and
// busy bits, from the exception flags (bits 0-5) the control word leaves
// unmasked.
const (
	fswES = 1 << 7
	fswB  = 1 << 15
)

// FSummary is sw with ES and B recomputed from its exception flags and
// cw's masks, as the loads of the control word or environment do.
func FSummary(sw, cw uint16) uint16 {
	if sw&^cw&0x3f != 0 {
		return sw | fswES | fswB
	}
	return sw &^ (fswES | fswB)
}

// Tag is f's two-bit tag in the full tag word, for a register in use: 0
// valid, 1 zero, 2 special.
func (f F80) Tag() uint16 {
	switch e := f.Exp(); {
	case e == 0 && f.Mant == 0:
		return 1
	case e != 0 && e != 0x7fff && f.Mant&(1<<63) != 0:
		return 0
	}
	return 2
}

// FullTag is the full tag word of fnstenv and fnsave.
func (c *CPU) FullTag() uint16 {
	var w uint16
	for r := uint8(0); r < 8; r++ {
		t := uint16(3)
		if c.FTAG&(1<<r) != 0 {
			t = c.ST[r].Tag()
		}
		w |= t << (2 * r)
	}
	return w
}

// FStEnv stores the environment image into b (FEnvSize bytes, or
// FEnvSize16 for short, the 16-bit form) and, with regs, the registers
// after it (the state image of fnsave). It changes nothing in c: what
// fnstenv and fnsave do afterwards is the engine's.
func (c *CPU) FStEnv(b []byte, short, regs bool) {
	step := 4
	if short {
		step = 2
	}
	words := [7]uint16{c.FCW, c.FSWord(), c.FullTag()}
	for i, w := range words {
		v := uint32(w)
		if !short && (i < 3 || i == 6) {
			v |= 0xffff << 16
		}
		if short {
			binary.LittleEndian.PutUint16(b[i*step:], uint16(v))
		} else {
			binary.LittleEndian.PutUint32(b[i*step:], v)
		}
	}
	for i := 0; regs && i < 8; i++ {
		st := c.STi(uint8(i))
		binary.LittleEndian.PutUint64(b[7*step+10*i:], st.Mant)
		binary.LittleEndian.PutUint16(b[7*step+10*i+8:], st.SE)
	}
}

// FLdEnv loads the environment image in b (the 16-bit form for short)
// and, with regs, the registers after it (frstor): the control word with
// its reserved bits as the hardware keeps them, the status word with ES
// and B recomputed, and from the tag word only whether each register is
// empty.
func (c *CPU) FLdEnv(b []byte, short, regs bool) {
	step := 4
	if short {
		step = 2
	}
	cw := binary.LittleEndian.Uint16(b)&0x1f3f | 0x40
	sw := binary.LittleEndian.Uint16(b[step:])
	tw := binary.LittleEndian.Uint16(b[2*step:])
	c.FCW = cw
	c.FSW, c.FTOP = FSummary(sw, cw)&^(7<<11), uint8(sw>>11&7)
	c.FTAG = 0
	for r := uint8(0); r < 8; r++ {
		if tw>>(2*r)&3 != 3 {
			c.FTAG |= 1 << r
		}
	}
	for i := 0; regs && i < 8; i++ {
		*c.STi(uint8(i)) = F80{Mant: binary.LittleEndian.Uint64(b[7*step+10*i:]), SE: binary.LittleEndian.Uint16(b[7*step+10*i+8:])}
	}
}
