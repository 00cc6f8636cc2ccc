package alu

import (
	"math/bits"

	"github.com/minemu/minemu/guest/cpu"
)

// The shifts and rotates take the count already masked as the CPU masks
// it (six bits for 64-bit operands, five otherwise) and not zero: with a
// zero count nothing changes, which is the caller's to handle.

// Shl is shl (sal). CF is the last bit shifted out (0 when the count
// exceeds the width); OF is computed with the count-1 rule for every
// count (the CPU defines it only for 1); AF is cleared.
func Shl(a, cnt uint64, size uint8) (r, flags uint64) {
	w := uint64(size) * 8
	r = (a << cnt) & mask(size)
	cf := cnt <= w && (a>>(w-cnt))&1 != 0
	of := (r&signBit(size) != 0) != cf
	return r, cpu.SZP(r, size) | b2f(cf, cpu.FlagCF) | b2f(of, cpu.FlagOF)
}

// Shr is shr; the flags as for Shl (OF is the operand's sign).
func Shr(a, cnt uint64, size uint8) (r, flags uint64) {
	r = a >> cnt
	cf := (a>>(cnt-1))&1 != 0
	of := a&signBit(size) != 0
	return r, cpu.SZP(r, size) | b2f(cf, cpu.FlagCF) | b2f(of, cpu.FlagOF)
}

// Sar is sar; the flags as for Shl (OF is clear).
func Sar(a, cnt uint64, size uint8) (r, flags uint64) {
	sa := sext(a, size)
	r = uint64(sa>>cnt) & mask(size)
	cf := (sa>>(cnt-1))&1 != 0
	return r, cpu.SZP(r, size) | b2f(cf, cpu.FlagCF)
}

// rotFlags is flags with CF and OF replaced.
func rotFlags(flags uint64, cf, of bool) uint64 {
	return flags&^(cpu.FlagCF|cpu.FlagOF) | b2f(cf, cpu.FlagCF) | b2f(of, cpu.FlagOF)
}

// Rol is rol; only CF and OF of flags change (OF by the count-1 rule for
// every count).
func Rol(a, cnt uint64, size uint8, flags uint64) (r, nflags uint64) {
	w := uint64(size) * 8
	n := cnt % w
	r = (a<<n | a>>((w-n)%w)) & mask(size)
	cf := r&1 != 0
	return r, rotFlags(flags, cf, (r&signBit(size) != 0) != cf)
}

// Ror is ror; the flags as for Rol.
func Ror(a, cnt uint64, size uint8, flags uint64) (r, nflags uint64) {
	w := uint64(size) * 8
	sb := signBit(size)
	n := cnt % w
	r = (a>>n | a<<((w-n)%w)) & mask(size)
	return r, rotFlags(flags, r&sb != 0, (r&sb != 0) != (r&(sb>>1) != 0))
}

// Rcl is rcl, rotating through CF; the flags as for Rol.
func Rcl(a, cnt uint64, size uint8, flags uint64) (r, nflags uint64) {
	w := uint64(size) * 8
	sb := signBit(size)
	cf := flags&cpu.FlagCF != 0
	r = a
	for range cnt % (w + 1) {
		out := r&sb != 0
		r = (r<<1 | b2f(cf, 1)) & mask(size)
		cf = out
	}
	return r, rotFlags(flags, cf, (r&sb != 0) != cf)
}

// Rcr is rcr, rotating through CF; the flags as for Rol.
func Rcr(a, cnt uint64, size uint8, flags uint64) (r, nflags uint64) {
	w := uint64(size) * 8
	sb := signBit(size)
	cf := flags&cpu.FlagCF != 0
	r = a
	for range cnt % (w + 1) {
		out := r&1 != 0
		r = r>>1 | b2f(cf, sb)
		cf = out
	}
	return r, rotFlags(flags, cf, (r&sb != 0) != (r&(sb>>1) != 0))
}

// ShiftDouble is shld (left) and shrd: a shifted by cnt with the bits
// coming in from b. For 16-bit operands with a count above 16 (undefined
// on the CPU) the bits come from the 32-bit rotation a:b:a, as Intel
// processors do. AF is cleared.
func ShiftDouble(a, b, cnt uint64, size uint8, left bool) (r, flags uint64) {
	w := uint64(size) * 8
	sb := signBit(size)
	var cf bool
	switch {
	case size == 2:
		// Work on the 48-bit value a:b:a (shld) or a:b:a reversed (shrd).
		x := a<<32 | b<<16 | a
		if left {
			r = (x >> (32 - cnt)) & 0xffff
			cf = (x>>(48-cnt))&1 != 0
		} else {
			r = (x >> cnt) & 0xffff
			cf = (x>>(cnt-1))&1 != 0
		}
	case left:
		r = (a<<cnt | b>>(w-cnt)) & mask(size)
		cf = (a>>(w-cnt))&1 != 0
	default:
		r = (a>>cnt | b<<(w-cnt)) & mask(size)
		cf = (a>>(cnt-1))&1 != 0
	}
	of := (r&sb != 0) != (a&sb != 0)
	return r, cpu.SZP(r, size) | b2f(cf, cpu.FlagCF) | b2f(of, cpu.FlagOF)
}

// BitScan is bsf (reverse false) and bsr of v. With v zero the
// destination is left unchanged (write false) and ZF set; the other
// flags (undefined on the CPU) are cleared.
func BitScan(v uint64, reverse bool) (r, flags uint64, write bool) {
	if v == 0 {
		return 0, cpu.FlagZF, false
	}
	if reverse {
		return 63 - uint64(bits.LeadingZeros64(v)), 0, true
	}
	return uint64(bits.TrailingZeros64(v)), 0, true
}

// Count is tzcnt (leading false) and lzcnt of the size-byte v: CF says v
// is zero and ZF the count is; the other flags stay.
func Count(v uint64, size uint8, leading bool, flags uint64) (r, nflags uint64) {
	w := uint64(size) * 8
	if leading {
		r = uint64(bits.LeadingZeros64(v)) - (64 - w)
	} else {
		r = min(uint64(bits.TrailingZeros64(v)), w)
	}
	return r, flags&^(cpu.FlagCF|cpu.FlagZF) | b2f(v == 0, cpu.FlagCF) | b2f(r == 0, cpu.FlagZF)
}

// Popcnt is popcnt: ZF says v is zero, the other status flags are
// cleared.
func Popcnt(v uint64) (r, flags uint64) {
	return uint64(bits.OnesCount64(v)), b2f(v == 0, cpu.FlagZF)
}
