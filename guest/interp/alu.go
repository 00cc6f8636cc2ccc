package interp

import (
	"math/bits"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// Instructions with flag rules too irregular for the lazy record: they
// compute every status flag they define at once. Flags the manuals call
// undefined get a fixed, documented choice (see each function).

func sext(v uint64, size uint8) int64 {
	sh := 64 - 8*uint(size)
	return int64(v<<sh) >> sh
}

func b2f(b bool, f uint64) uint64 {
	if b {
		return f
	}
	return 0
}

// mul1 is one-operand mul/imul: rDX:rAX (AX for bytes) = rAX * src.
// CF = OF = the upper half is significant; SF, ZF, PF follow the low half
// and AF is cleared (undefined on the CPU).
func (m *machine) mul1(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	src := m.get(c, o, o.Src, s)
	a := c.Regs[cpu.RAX] & sizeMask[s]
	var lo, hi uint64
	var over bool
	if o.Code == isa.OpMul {
		if s == 8 {
			hi, lo = bits.Mul64(a, src)
		} else {
			p := a * src
			lo, hi = p&sizeMask[s], p>>(8*s)
		}
		over = hi != 0
	} else {
		if s == 8 {
			hi, lo = mulSigned(int64(a), int64(src))
		} else {
			p := uint64(sext(a, s) * sext(src, s))
			lo, hi = p&sizeMask[s], (p>>(8*s))&sizeMask[s]
		}
		over = uint64(sext(lo, s)>>63)&sizeMask[s] != hi
	}
	if s == 1 {
		setReg(c, uint8(cpu.RAX), 2, hi<<8|lo)
	} else {
		setReg(c, uint8(cpu.RAX), s, lo)
		setReg(c, uint8(cpu.RDX), s, hi)
	}
	c.SetStatus(cpu.SZP(lo, s) | b2f(over, cpu.FlagCF|cpu.FlagOF))
}

// mulSigned returns the 128-bit product of two signed 64-bit values.
func mulSigned(a, b int64) (hi, lo uint64) {
	hi, lo = bits.Mul64(uint64(a), uint64(b))
	if a < 0 {
		hi -= uint64(b)
	}
	if b < 0 {
		hi -= uint64(a)
	}
	return hi, lo
}

// imul is the two- and three-operand imul: dst = a * b truncated; CF = OF
// = the product did not fit. Flags other than CF/OF as for mul1.
func (m *machine) imul(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	var a, b uint64
	if o.Code == isa.OpImul2 {
		a = c.Regs[o.Dst.Reg] & sizeMask[s]
		b = m.get(c, o, o.Src, s)
	} else {
		a = m.get(c, o, o.Src, s)
		b = o.Imm & sizeMask[s]
	}
	var r uint64
	var over bool
	if s == 8 {
		hi, lo := mulSigned(int64(a), int64(b))
		r = lo
		over = uint64(int64(lo)>>63) != hi
	} else {
		p := sext(a, s) * sext(b, s)
		r = uint64(p) & sizeMask[s]
		over = sext(r, s) != p
	}
	setReg(c, o.Dst.Reg, s, r)
	c.SetStatus(cpu.SZP(r, s) | b2f(over, cpu.FlagCF|cpu.FlagOF))
}

// div is div/idiv; false means a divide error (#DE): zero divisor or a
// quotient that does not fit. Flags are left unchanged (undefined).
func (m *machine) div(c *cpu.CPU, o *isa.Op) bool {
	s := o.Size
	d := m.get(c, o, o.Src, s)
	if d == 0 {
		return false
	}
	mask := sizeMask[s]
	var q, r uint64
	if o.Code == isa.OpDiv {
		switch s {
		case 1:
			n := c.Regs[cpu.RAX] & 0xffff
			q, r = n/d, n%d
		case 8:
			hi := c.Regs[cpu.RDX]
			if hi >= d {
				return false
			}
			q, r = bits.Div64(hi, c.Regs[cpu.RAX], d)
		default:
			n := (c.Regs[cpu.RDX]&mask)<<(8*s) | c.Regs[cpu.RAX]&mask
			q, r = n/d, n%d
		}
		if q > mask {
			return false
		}
	} else {
		sd := sext(d, s)
		switch s {
		case 8:
			var ok bool
			q, r, ok = idiv128(c.Regs[cpu.RDX], c.Regs[cpu.RAX], sd)
			if !ok {
				return false
			}
		default:
			var n int64
			if s == 1 {
				n = sext(c.Regs[cpu.RAX]&0xffff, 2)
			} else {
				n = int64((c.Regs[cpu.RDX]&mask)<<(8*s) | c.Regs[cpu.RAX]&mask)
				if s == 2 {
					n = sext(uint64(n), 4)
				}
			}
			if n == -1<<63 && sd == -1 {
				return false
			}
			sq, sr := n/sd, n%sd
			if sext(uint64(sq)&mask, s) != sq {
				return false
			}
			q, r = uint64(sq)&mask, uint64(sr)&mask
		}
	}
	if s == 1 {
		setReg(c, uint8(cpu.RAX), 2, r<<8|q)
	} else {
		setReg(c, uint8(cpu.RAX), s, q)
		setReg(c, uint8(cpu.RDX), s, r)
	}
	return true
}

// idiv128 divides the signed 128-bit hi:lo by d; ok is false when the
// quotient does not fit in 64 signed bits.
func idiv128(hi, lo uint64, d int64) (q, r uint64, ok bool) {
	neg := int64(hi) < 0
	if neg {
		lo = -lo
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	ud := uint64(d)
	if d < 0 {
		ud = -ud
	}
	if hi >= ud {
		return 0, 0, false
	}
	uq, ur := bits.Div64(hi, lo, ud)
	qneg := neg != (d < 0)
	if qneg {
		if uq > 1<<63 {
			return 0, 0, false
		}
		q = -uq
	} else {
		if uq >= 1<<63 {
			return 0, 0, false
		}
		q = uq
	}
	r = ur
	if neg {
		r = -ur
	}
	return q, r, true
}

// shiftOperand reads the destination of a shift or rotate and masks its
// count as the CPU does (six bits for 64-bit operands, five otherwise).
// ok is false for a zero count: nothing changes, except that a 32-bit
// register destination is still zero-extended, and the caller is done.
func (m *machine) shiftOperand(c *cpu.CPU, o *isa.Op, cnt uint64) (a, ad, n uint64, ok bool) {
	a, ad = m.getRMW(c, o, o.Dst, o.Size)
	if o.Size == 8 {
		cnt &= 63
	} else {
		cnt &= 31
	}
	if cnt == 0 {
		if o.Dst.Kind == isa.KindReg {
			setReg(c, o.Dst.Reg, o.Size, a)
		}
		return a, ad, 0, false
	}
	return a, ad, cnt, true
}

// shift is shl/shr/sar. A zero count changes nothing (a 32-bit register
// is still zero-extended). CF is the last bit shifted out (0 when the
// count exceeds the width); OF is computed with the count-1 rule for every
// count (the CPU defines it only for 1); AF is cleared.
func (m *machine) shift(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	a, ad, cnt, ok := m.shiftOperand(c, o, m.get(c, o, o.Src, 1))
	if !ok {
		return
	}
	w := uint64(s) * 8
	sb := signBit[s]
	var r uint64
	var cf, of bool
	switch o.Code {
	case isa.OpShl:
		r = (a << cnt) & sizeMask[s]
		cf = cnt <= w && (a>>(w-cnt))&1 != 0
		of = (r&sb != 0) != cf
	case isa.OpShr:
		r = a >> cnt
		cf = (a>>(cnt-1))&1 != 0
		of = a&sb != 0
	default:
		sa := sext(a, s)
		r = uint64(sa>>cnt) & sizeMask[s]
		cf = (sa>>(cnt-1))&1 != 0
	}
	m.putRMW(c, o, o.Dst, s, ad, r)
	c.SetStatus(cpu.SZP(r, s) | b2f(cf, cpu.FlagCF) | b2f(of, cpu.FlagOF))
}

// rotate is rol/ror/rcl/rcr; only CF and OF change (OF by the count-1
// rule for every count).
func (m *machine) rotate(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	a, ad, cnt, ok := m.shiftOperand(c, o, m.get(c, o, o.Src, 1))
	if !ok {
		return
	}
	w := uint64(s) * 8
	mask := sizeMask[s]
	sb := signBit[s]
	f := c.RFLAGS()
	cf := f&cpu.FlagCF != 0
	var r uint64
	var of bool
	switch o.Code {
	case isa.OpRol:
		n := cnt % w
		r = (a<<n | a>>((w-n)%w)) & mask
		cf = r&1 != 0
		of = (r&sb != 0) != cf
	case isa.OpRor:
		n := cnt % w
		r = (a>>n | a<<((w-n)%w)) & mask
		cf = r&sb != 0
		of = (r&sb != 0) != (r&(sb>>1) != 0)
	case isa.OpRcl:
		n := cnt % (w + 1)
		r = a
		for range n {
			out := r&sb != 0
			r = (r<<1 | uint64(b2f(cf, 1))) & mask
			cf = out
		}
		of = (r&sb != 0) != cf
	default: // OpRcr
		n := cnt % (w + 1)
		r = a
		for range n {
			out := r&1 != 0
			r = r>>1 | b2f(cf, sb)
			cf = out
		}
		of = (r&sb != 0) != (r&(sb>>1) != 0)
	}
	m.putRMW(c, o, o.Dst, s, ad, r)
	c.SetStatus(f&^(cpu.FlagCF|cpu.FlagOF) | b2f(cf, cpu.FlagCF) | b2f(of, cpu.FlagOF))
}

// shiftDouble is shld/shrd. For 16-bit operands with a count above 16
// (undefined on the CPU) the bits come from the 32-bit rotation
// dst:src:dst, as Intel processors do. AF is cleared.
func (m *machine) shiftDouble(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	cnt := o.Imm
	if o.Src2.Kind == isa.KindReg { // shld/shrd r/m, r, cl
		cnt = c.Regs[cpu.RCX]
	}
	a, ad, cnt, ok := m.shiftOperand(c, o, cnt)
	if !ok {
		return
	}
	b := c.Regs[o.Src.Reg] & sizeMask[s]
	w := uint64(s) * 8
	sb := signBit[s]
	var r uint64
	var cf bool
	if s == 2 {
		// Work on the 48-bit value a:b:a (shld) or a:b:a reversed (shrd).
		if o.Code == isa.OpShld {
			x := a<<32 | b<<16 | a
			r = (x >> (32 - cnt)) & 0xffff
			cf = (x>>(48-cnt))&1 != 0
		} else {
			x := a<<32 | b<<16 | a
			r = (x >> cnt) & 0xffff
			cf = (x>>(cnt-1))&1 != 0
		}
	} else if o.Code == isa.OpShld {
		r = (a<<cnt | b>>(w-cnt)) & sizeMask[s]
		cf = (a>>(w-cnt))&1 != 0
	} else {
		r = (a>>cnt | b<<(w-cnt)) & sizeMask[s]
		cf = (a>>(cnt-1))&1 != 0
	}
	of := (r&sb != 0) != (a&sb != 0)
	m.putRMW(c, o, o.Dst, s, ad, r)
	c.SetStatus(cpu.SZP(r, s) | b2f(cf, cpu.FlagCF) | b2f(of, cpu.FlagOF))
}

// bitTest is bt/bts/btr/btc. With a register bit offset and a memory
// operand the offset is signed and may address outside the operand. Only
// CF changes.
func (m *machine) bitTest(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	w := uint64(s) * 8
	off := m.get(c, o, o.Src, s)
	var a, ad uint64
	if o.Dst.Kind == isa.KindMem {
		ad = m.ea(c, o)
		if o.Src.Kind == isa.KindReg {
			so := sext(off, s)
			ad += uint64((so >> bits.TrailingZeros64(w)) * int64(s))
			if m.mode == mm.Mode32 {
				ad &= 0xffffffff
			}
		}
		off &= w - 1
		a = m.load(ad, s)
	} else {
		off &= w - 1
		a = c.Regs[o.Dst.Reg] & sizeMask[s]
	}
	f := c.RFLAGS()
	cf := (a>>off)&1 != 0
	bit := uint64(1) << off
	switch o.Code {
	case isa.OpBts:
		a |= bit
	case isa.OpBtr:
		a &^= bit
	case isa.OpBtc:
		a ^= bit
	}
	if o.Code != isa.OpBt {
		m.putRMW(c, o, o.Dst, s, ad, a)
	}
	c.SetStatus(f&^cpu.FlagCF | b2f(cf, cpu.FlagCF))
}

// bitCount is bsf/bsr/tzcnt/lzcnt/popcnt. bsf/bsr with a zero source
// leave the destination unchanged and set ZF; their other flags (undefined
// on the CPU) are cleared, as are popcnt's.
func (m *machine) bitCount(c *cpu.CPU, o *isa.Op) {
	s := o.Size
	w := uint64(s) * 8
	v := m.get(c, o, o.Src, s)
	switch o.Code {
	case isa.OpBsf, isa.OpBsr:
		if v == 0 {
			c.SetStatus(cpu.FlagZF)
			return
		}
		r := uint64(bits.TrailingZeros64(v))
		if o.Code == isa.OpBsr {
			r = 63 - uint64(bits.LeadingZeros64(v))
		}
		setReg(c, o.Dst.Reg, s, r)
		c.SetStatus(0)
	case isa.OpTzcnt, isa.OpLzcnt:
		var r uint64
		if o.Code == isa.OpTzcnt {
			r = min(uint64(bits.TrailingZeros64(v)), w)
		} else {
			r = uint64(bits.LeadingZeros64(v)) - (64 - w)
		}
		setReg(c, o.Dst.Reg, s, r)
		f := c.RFLAGS() &^ (cpu.FlagCF | cpu.FlagZF)
		c.SetStatus(f | b2f(v == 0, cpu.FlagCF) | b2f(r == 0, cpu.FlagZF))
	default:
		r := uint64(bits.OnesCount64(v))
		setReg(c, o.Dst.Reg, s, r)
		c.SetStatus(b2f(v == 0, cpu.FlagZF))
	}
}
