package cpu

// The x87 register file's values and stack.
//
// Registers hold exact 80-bit extended values (F80). The arithmetic on
// them belongs to the engines; this file has the representation, its
// classification and the stack discipline (TOP, tags) that both the
// engines and the kernel's signal frames (fsave/fxsave layouts) see.

// F80 is an 80-bit extended value: the 64-bit significand with its
// explicit integer bit (Mant), and sign (bit 15) and biased exponent
// (bits 0..14) in SE. It is the layout of an x87 register in memory
// (fstp m80, fsave).
type F80 struct {
	Mant uint64
	SE   uint16
}

// Exp is the biased exponent.
func (f F80) Exp() int { return int(f.SE & 0x7fff) }

// Neg reports the sign bit.
func (f F80) Neg() bool { return f.SE&0x8000 != 0 }

// IsNaN reports a NaN (maximum exponent, non-zero fraction).
func (f F80) IsNaN() bool { return f.Exp() == 0x7fff && f.Mant<<1 != 0 }

// IsInf reports an infinity.
func (f F80) IsInf() bool { return f.Exp() == 0x7fff && f.Mant<<1 == 0 }

// IsZero reports a zero of either sign.
func (f F80) IsZero() bool { return f.Mant == 0 && f.Exp() != 0x7fff }

// Flip is f with its sign inverted (fchs).
func (f F80) Flip() F80 { return F80{f.Mant, f.SE ^ 0x8000} }

// Quiet is f with the quiet bit of a NaN set.
func (f F80) Quiet() F80 { return F80{f.Mant | 1<<62, f.SE} }

// Abs is f with its sign cleared (fabs).
func (f F80) Abs() F80 { return F80{f.Mant, f.SE & 0x7fff} }

// x87 status word condition bits.
const (
	FSWC0 = 1 << 8
	FSWC1 = 1 << 9
	FSWC2 = 1 << 10
	FSWC3 = 1 << 14
)

// STi returns a pointer to st(i), the register i places below the top.
func (c *CPU) STi(i uint8) *F80 { return &c.ST[(c.FTOP+i)&7] }

// FPush pushes v onto the x87 stack (the stack wraps: overflow is not
// detected).
func (c *CPU) FPush(v F80) {
	c.FTOP = (c.FTOP - 1) & 7
	c.ST[c.FTOP] = v
	c.FTAG |= 1 << c.FTOP
}

// FPop pops the x87 stack (its value is left in the register, tagged
// empty).
func (c *CPU) FPop() {
	c.FTAG &^= 1 << c.FTOP
	c.FTOP = (c.FTOP + 1) & 7
}

// FSWord is the status word with TOP in bits 11..13 (fnstsw).
func (c *CPU) FSWord() uint16 { return c.FSW&^(7<<11) | uint16(c.FTOP)<<11 }

// SetCC replaces the condition bits C0..C3 of FSW with those of cc.
func (c *CPU) SetCC(cc uint16) { c.FSW = c.FSW&^(FSWC0|FSWC1|FSWC2|FSWC3) | cc }

// FEmpty reports whether st(i) is empty.
func (c *CPU) FEmpty(i uint8) bool { return c.FTAG&(1<<((c.FTOP+i)&7)) == 0 }

// FSet writes st(i) and tags it valid.
func (c *CPU) FSet(i uint8, v F80) {
	r := (c.FTOP + i) & 7
	c.ST[r] = v
	c.FTAG |= 1 << r
}

// The MMX registers alias the x87 registers: MMX register i is the
// significand of x87 physical register i (not st(i)), and writing it sets
// the sign and exponent, bits 64-79, to all ones. Entering the MMX state
// sets TOP to 0 and tags every register valid.

// MM reads MMX register r.
func (c *CPU) MM(r uint8) uint64 { return c.ST[r&7].Mant }

// SetMM writes MMX register r.
func (c *CPU) SetMM(r uint8, x uint64) { c.ST[r&7] = F80{Mant: x, SE: 0xffff} }

// EnterMMX is the x87-to-MMX transition.
func (c *CPU) EnterMMX() { c.FTOP, c.FTAG = 0, 0xff }
