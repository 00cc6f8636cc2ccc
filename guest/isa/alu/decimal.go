package alu

import "github.com/minemu/minemu/guest/cpu"

// The decimal adjusts of i386 code. ax is AX and flags the flags before
// the instruction; each returns AX and the status flags after it: CF and
// AF as the SDM's pseudo-code sets them, SF ZF PF from AL, and OF clear.
// OF after daa and das, and OF SF ZF PF after aaa and aas, are undefined.

// Daa is daa: AL adjusted after a packed BCD addition.
func Daa(ax, flags uint64) (uint64, uint64) { return packed(ax, flags, true) }

// Das is das: AL adjusted after a packed BCD subtraction.
func Das(ax, flags uint64) (uint64, uint64) { return packed(ax, flags, false) }

// Aaa is aaa: AX adjusted after an unpacked BCD addition.
func Aaa(ax, flags uint64) (uint64, uint64) { return unpacked(ax, flags, true) }

// Aas is aas: AX adjusted after an unpacked BCD subtraction.
func Aas(ax, flags uint64) (uint64, uint64) { return unpacked(ax, flags, false) }

func packed(ax, flags uint64, add bool) (uint64, uint64) {
	al, ah := ax&0xff, ax>>8&0xff
	cf, af := flags&cpu.FlagCF != 0, flags&cpu.FlagAF != 0
	var ncf, naf bool
	old := al
	if al&0xf > 9 || af {
		if add {
			ncf = cf || al+6 > 0xff
			al = (al + 6) & 0xff
		} else {
			ncf = cf || al < 6
			al = (al - 6) & 0xff
		}
		naf = true
	}
	if old > 0x99 || cf {
		if add {
			al = (al + 0x60) & 0xff
		} else {
			al = (al - 0x60) & 0xff
		}
		ncf = true
	} else if add {
		ncf = false
	}
	return ah<<8 | al, cpu.SZP(al, 1) | b2f(ncf, cpu.FlagCF) | b2f(naf, cpu.FlagAF)
}

func unpacked(ax, flags uint64, add bool) (uint64, uint64) {
	ax &= 0xffff
	var adj bool
	if ax&0xf > 9 || flags&cpu.FlagAF != 0 {
		if add {
			ax += 0x106
		} else {
			ax = ax - 6 - 0x100
		}
		adj = true
	}
	ax &= 0xffff
	al, ah := ax&0x0f, ax>>8
	return ah<<8 | al, cpu.SZP(al, 1) | b2f(adj, cpu.FlagCF|cpu.FlagAF)
}
