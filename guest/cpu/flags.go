package cpu

import "math/bits"

// Lazy flags.
//
// Most instructions that write the status flags (CF, PF, AF, ZF, SF, OF)
// are followed by another that overwrites them before anything reads them.
// So the arithmetic and logic instructions only record what they did — the
// kind of operation, its operand size, both inputs and the result — in
// CPU.lazy (SetLazy, SetLazyCin), and the flags are derived from that
// record when a conditional jump, setcc, cmovcc, adc/sbb, pushf or lahf
// asks (Cond, Carry, Zero, ...). A reader that needs one flag computes only
// that one; materialize computes all six into CPU.flags and switches the
// record off (LazyNone). Instructions with unusual flag rules (shifts,
// rotates, multiplies, bit scans) compute their flags eagerly and store
// them with SetStatus.

// LazyOp names the operation recorded in the lazy flags.
type LazyOp uint8

const (
	LazyNone  LazyOp = iota // status flags are in CPU.flags
	LazyAdd                 // res = a + b
	LazyAdc                 // res = a + b + cin
	LazySub                 // res = a - b (also cmp, neg with a = 0)
	LazySbb                 // res = a - b - cin
	LazyLogic               // res = a op b; CF = OF = AF = 0
	LazyInc                 // res = a + 1; CF = cin
	LazyDec                 // res = a - 1; CF = cin
)

// lazyFlags is the record of the last flag-setting operation. a, b and res
// are masked to size bytes; cin is 0 or 1.
type lazyFlags struct {
	op   LazyOp
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

// SetLazy records an operation; operands must already be masked.
func (c *CPU) SetLazy(op LazyOp, size uint8, a, b, res uint64) {
	l := &c.lazy
	l.op, l.size, l.a, l.b, l.res = op, size, a, b, res
}

// SetLazyCin records an operation that consumes a carry in (adc, sbb) or
// preserves the old carry (inc, dec).
func (c *CPU) SetLazyCin(op LazyOp, size uint8, a, b, res, cin uint64) {
	l := &c.lazy
	l.op, l.size, l.a, l.b, l.res, l.cin = op, size, a, b, res, cin
}

// SetStatus replaces the status flags with those in v.
func (c *CPU) SetStatus(v uint64) {
	c.flags = c.flags&^StatusFlags | v&StatusFlags
	c.lazy.op = LazyNone
}

// SubOperands returns the operands of the last flag-setting operation
// when it was a subtraction or compare (LazySub): the unsigned
// conditions follow from them directly. Small enough to inline.
func (c *CPU) SubOperands() (a, b uint64, ok bool) {
	if c.lazy.op == LazySub {
		return c.lazy.a, c.lazy.b, true
	}
	return 0, 0, false
}

// Carry reports CF. An add's record (the commonest before an inc or dec,
// which read CF to preserve it) is tested first, in a body small enough
// to inline.
func (c *CPU) Carry() bool {
	if c.lazy.op == LazyAdd {
		return c.lazy.res < c.lazy.a
	}
	return c.carrySlow()
}

func (c *CPU) carrySlow() bool {
	l := &c.lazy
	switch l.op {
	case LazyNone:
		return c.flags&FlagCF != 0
	case LazyAdd:
		return l.res < l.a
	case LazyAdc:
		return l.res < l.a || (l.cin != 0 && l.res == l.a)
	case LazySub:
		return l.a < l.b
	case LazySbb:
		return l.a < l.b || (l.cin != 0 && l.a == l.b)
	case LazyLogic:
		return false
	default: // LazyInc, LazyDec
		return l.cin != 0
	}
}

// Zero reports ZF.
func (c *CPU) Zero() bool {
	if c.lazy.op == LazyNone {
		return c.flags&FlagZF != 0
	}
	return c.lazy.res == 0
}

// Sign reports SF.
func (c *CPU) Sign() bool {
	if c.lazy.op == LazyNone {
		return c.flags&FlagSF != 0
	}
	return c.lazy.res&signBit[c.lazy.size] != 0
}

// Parity reports PF: the low byte of the result has an even number of ones.
func (c *CPU) Parity() bool {
	if c.lazy.op == LazyNone {
		return c.flags&FlagPF != 0
	}
	return bits.OnesCount8(uint8(c.lazy.res))&1 == 0
}

// Overflow reports OF.
func (c *CPU) Overflow() bool {
	l := &c.lazy
	sb := signBit[l.size]
	switch l.op {
	case LazyNone:
		return c.flags&FlagOF != 0
	case LazyAdd, LazyAdc:
		return (l.a^l.res)&(l.b^l.res)&sb != 0
	case LazySub, LazySbb:
		return (l.a^l.b)&(l.a^l.res)&sb != 0
	case LazyInc:
		return l.res == sb
	case LazyDec:
		return l.res == sb-1
	default: // LazyLogic
		return false
	}
}

// Adjust reports AF, the carry out of bit 3.
func (c *CPU) Adjust() bool {
	l := &c.lazy
	switch l.op {
	case LazyNone:
		return c.flags&FlagAF != 0
	case LazyLogic:
		return false
	default:
		return (l.a^l.b^l.res)&0x10 != 0
	}
}

// materialize computes the status flags into c.flags.
func (c *CPU) materialize() {
	if c.lazy.op == LazyNone {
		return
	}
	var f uint64
	if c.Carry() {
		f |= FlagCF
	}
	if c.Parity() {
		f |= FlagPF
	}
	if c.Adjust() {
		f |= FlagAF
	}
	if c.Zero() {
		f |= FlagZF
	}
	if c.Sign() {
		f |= FlagSF
	}
	if c.Overflow() {
		f |= FlagOF
	}
	c.SetStatus(f)
}

// SZP returns ZF, SF and PF for res of size bytes, for the instructions that
// compute their flags eagerly.
func SZP(res uint64, size uint8) uint64 {
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
	CondO uint8 = iota
	CondNO
	CondB
	CondAE
	CondE
	CondNE
	CondBE
	CondA
	CondS
	CondNS
	CondP
	CondNP
	CondL
	CondGE
	CondLE
	CondG
)

// Cond evaluates condition code cc. After a cmp/sub (the common case before
// a conditional jump) it compares the recorded operands directly.
func (c *CPU) Cond(cc uint8) bool {
	l := &c.lazy
	if l.op == LazySub {
		switch cc {
		case CondB:
			return l.a < l.b
		case CondAE:
			return l.a >= l.b
		case CondE:
			return l.a == l.b
		case CondNE:
			return l.a != l.b
		case CondBE:
			return l.a <= l.b
		case CondA:
			return l.a > l.b
		case CondL, CondGE, CondLE, CondG:
			sh := 64 - 8*uint(l.size)
			a, b := int64(l.a<<sh)>>sh, int64(l.b<<sh)>>sh
			switch cc {
			case CondL:
				return a < b
			case CondGE:
				return a >= b
			case CondLE:
				return a <= b
			default:
				return a > b
			}
		}
	}
	var r bool
	switch cc >> 1 {
	case 0:
		r = c.Overflow()
	case 1:
		r = c.Carry()
	case 2:
		r = c.Zero()
	case 3:
		r = c.Carry() || c.Zero()
	case 4:
		r = c.Sign()
	case 5:
		r = c.Parity()
	case 6:
		r = c.Sign() != c.Overflow()
	default:
		r = c.Zero() || c.Sign() != c.Overflow()
	}
	return r != (cc&1 != 0)
}
