package guest

import "math/bits"

// Lazy flags.
//
// Most instructions that write the status flags (CF, PF, AF, ZF, SF, OF)
// are followed by another that overwrites them before anything reads them.
// So the arithmetic and logic instructions only record what they did — the
// kind of operation, its operand size, both inputs and the result — in
// CPU.lazy, and the flags are derived from that record when a conditional
// jump, setcc, cmovcc, adc/sbb, pushf or lahf asks. A reader that needs one
// flag computes only that one; materialize computes all six into CPU.flags
// and switches the record off (lazyNone). Instructions with unusual flag
// rules (shifts, rotates, multiplies, bit scans) compute their flags
// eagerly and store them with setStatus.

// lazyOp names the operation recorded in lazyFlags.
type lazyOp uint8

const (
	lazyNone  lazyOp = iota // status flags are in CPU.flags
	lazyAdd                 // res = a + b
	lazyAdc                 // res = a + b + cin
	lazySub                 // res = a - b (also cmp, neg with a = 0)
	lazySbb                 // res = a - b - cin
	lazyLogic               // res = a op b; CF = OF = AF = 0
	lazyInc                 // res = a + 1; CF = cin
	lazyDec                 // res = a - 1; CF = cin
)

// lazyFlags is the record of the last flag-setting operation. a, b and res
// are masked to size bytes; cin is 0 or 1.
type lazyFlags struct {
	op   lazyOp
	size uint8
	cin  uint64
	a, b uint64
	res  uint64
}

// sizeMask[n] masks a value to n bytes. The tables have 256 entries so
// that indexing with a uint8 size needs no bounds check.
var sizeMask = [256]uint64{1: 0xff, 2: 0xffff, 4: 0xffffffff, 8: ^uint64(0)}

// signBit[n] is the sign bit of an n-byte value.
var signBit = [256]uint64{1: 0x80, 2: 0x8000, 4: 0x80000000, 8: 1 << 63}

// setLazy records an operation; operands must already be masked.
func (c *CPU) setLazy(op lazyOp, size uint8, a, b, res uint64) {
	l := &c.lazy
	l.op, l.size, l.a, l.b, l.res = op, size, a, b, res
}

// setLazyCin records an operation that consumes a carry in (adc, sbb) or
// preserves the old carry (inc, dec).
func (c *CPU) setLazyCin(op lazyOp, size uint8, a, b, res, cin uint64) {
	l := &c.lazy
	l.op, l.size, l.a, l.b, l.res, l.cin = op, size, a, b, res, cin
}

// setStatus replaces the status flags with those in v.
func (c *CPU) setStatus(v uint64) {
	c.flags = c.flags&^statusFlags | v&statusFlags
	c.lazy.op = lazyNone
}

// carry reports CF.
func (c *CPU) carry() bool {
	l := &c.lazy
	switch l.op {
	case lazyNone:
		return c.flags&FlagCF != 0
	case lazyAdd:
		return l.res < l.a
	case lazyAdc:
		return l.res < l.a || (l.cin != 0 && l.res == l.a)
	case lazySub:
		return l.a < l.b
	case lazySbb:
		return l.a < l.b || (l.cin != 0 && l.a == l.b)
	case lazyLogic:
		return false
	default: // lazyInc, lazyDec
		return l.cin != 0
	}
}

// zero reports ZF.
func (c *CPU) zero() bool {
	if c.lazy.op == lazyNone {
		return c.flags&FlagZF != 0
	}
	return c.lazy.res == 0
}

// sign reports SF.
func (c *CPU) sign() bool {
	if c.lazy.op == lazyNone {
		return c.flags&FlagSF != 0
	}
	return c.lazy.res&signBit[c.lazy.size] != 0
}

// parity reports PF: the low byte of the result has an even number of ones.
func (c *CPU) parity() bool {
	if c.lazy.op == lazyNone {
		return c.flags&FlagPF != 0
	}
	return bits.OnesCount8(uint8(c.lazy.res))&1 == 0
}

// overflow reports OF.
func (c *CPU) overflow() bool {
	l := &c.lazy
	sb := signBit[l.size]
	switch l.op {
	case lazyNone:
		return c.flags&FlagOF != 0
	case lazyAdd, lazyAdc:
		return (l.a^l.res)&(l.b^l.res)&sb != 0
	case lazySub, lazySbb:
		return (l.a^l.b)&(l.a^l.res)&sb != 0
	case lazyInc:
		return l.res == sb
	case lazyDec:
		return l.res == sb-1
	default: // lazyLogic
		return false
	}
}

// adjust reports AF, the carry out of bit 3.
func (c *CPU) adjust() bool {
	l := &c.lazy
	switch l.op {
	case lazyNone:
		return c.flags&FlagAF != 0
	case lazyLogic:
		return false
	default:
		return (l.a^l.b^l.res)&0x10 != 0
	}
}

// materialize computes the status flags into c.flags.
func (c *CPU) materialize() {
	if c.lazy.op == lazyNone {
		return
	}
	var f uint64
	if c.carry() {
		f |= FlagCF
	}
	if c.parity() {
		f |= FlagPF
	}
	if c.adjust() {
		f |= FlagAF
	}
	if c.zero() {
		f |= FlagZF
	}
	if c.sign() {
		f |= FlagSF
	}
	if c.overflow() {
		f |= FlagOF
	}
	c.setStatus(f)
}

// szp returns ZF, SF and PF for res of size bytes, for the instructions that
// compute their flags eagerly.
func szp(res uint64, size uint8) uint64 {
	res &= sizeMask[size]
	var f uint64
	if res == 0 {
		f |= FlagZF
	}
	if res&signBit[size] != 0 {
		f |= FlagSF
	}
	if bits.OnesCount8(uint8(res))&1 == 0 {
		f |= FlagPF
	}
	return f
}

// Condition codes in encoding order (the low nibble of Jcc/SETcc/CMOVcc).
const (
	condO uint8 = iota
	condNO
	condB
	condAE
	condE
	condNE
	condBE
	condA
	condS
	condNS
	condP
	condNP
	condL
	condGE
	condLE
	condG
)

// cond evaluates condition code cc. After a cmp/sub (the common case before
// a conditional jump) it compares the recorded operands directly.
func (c *CPU) cond(cc uint8) bool {
	l := &c.lazy
	if l.op == lazySub {
		switch cc {
		case condB:
			return l.a < l.b
		case condAE:
			return l.a >= l.b
		case condE:
			return l.a == l.b
		case condNE:
			return l.a != l.b
		case condBE:
			return l.a <= l.b
		case condA:
			return l.a > l.b
		case condL, condGE, condLE, condG:
			sh := 64 - 8*uint(l.size)
			a, b := int64(l.a<<sh)>>sh, int64(l.b<<sh)>>sh
			switch cc {
			case condL:
				return a < b
			case condGE:
				return a >= b
			case condLE:
				return a <= b
			default:
				return a > b
			}
		}
	}
	var r bool
	switch cc >> 1 {
	case 0:
		r = c.overflow()
	case 1:
		r = c.carry()
	case 2:
		r = c.zero()
	case 3:
		r = c.carry() || c.zero()
	case 4:
		r = c.sign()
	case 5:
		r = c.parity()
	case 6:
		r = c.sign() != c.overflow()
	default:
		r = c.zero() || c.sign() != c.overflow()
	}
	return r != (cc&1 != 0)
}
