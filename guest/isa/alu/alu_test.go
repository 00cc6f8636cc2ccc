package alu

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"
)

// TestMulDiv: products, quotients and the divide errors (#DE) at each
// size, signed and not; the instructions run on the host are the engines'
// differential tests.
func TestMulDiv(t *testing.T) {
	const cf, of = cpu.FlagCF, cpu.FlagOF
	for _, tc := range []struct {
		name string
		got  [3]uint64
		want [3]uint64
	}{
		{"mul8", tri(Mul(0xff, 0xff, 1)), [3]uint64{0x01, 0xfe, cf | of}},
		{"mul32-fits", tri(Mul(3, 5, 4)), [3]uint64{15, 0, cpu.FlagPF}},
		{"mul64", tri(Mul(1<<63, 4, 8)), [3]uint64{0, 2, cf | of | cpu.FlagZF | cpu.FlagPF}},
		{"imul16-neg", tri(Imul(0xffff, 2, 2)), [3]uint64{0xfffe, 0xffff, cpu.FlagSF}},
		{"imul64-overflow", tri(Imul(1<<62, 4, 8)), [3]uint64{0, 1, cf | of | cpu.FlagZF | cpu.FlagPF}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
	for _, tc := range []struct {
		name   string
		signed bool
		dx, ax uint64
		d      uint64
		size   uint8
		q, r   uint64
		ok     bool
	}{
		{"div8", false, 0, 0x0107, 2, 1, 0x83, 1, true},
		{"div8-overflow", false, 0, 0x0200, 2, 1, 0, 0, false},
		{"div-zero", false, 0, 5, 0, 4, 0, 0, false},
		{"div64", false, 1, 0, 2, 8, 1 << 63, 0, true},
		{"div64-overflow", false, 2, 0, 2, 8, 0, 0, false},
		{"idiv32-neg", true, 0xffffffff, 0xfffffff9, 2, 4, 0xfffffffd, 0xffffffff, true},
		{"idiv32-min-by-minus1", true, 0xffffffff, 0x80000000, 0xffffffff, 4, 0, 0, false},
		{"idiv64-min-by-minus1", true, ^uint64(0), 1 << 63, ^uint64(0), 8, 0, 0, false},
		{"idiv64", true, ^uint64(0), ^uint64(6), 3, 8, ^uint64(1), ^uint64(0), true},
	} {
		div := Div
		if tc.signed {
			div = Idiv
		}
		q, r, ok := div(tc.dx, tc.ax, tc.d, tc.size)
		if ok != tc.ok || ok && (q != tc.q || r != tc.r) {
			t.Errorf("%s: got q %#x r %#x ok %v, want q %#x r %#x ok %v", tc.name, q, r, ok, tc.q, tc.r, tc.ok)
		}
	}
}

func tri(a, b, c uint64) [3]uint64 { return [3]uint64{a, b, c} }

// TestShiftsAndCounts: results and flags of the shift, rotate and count
// families at their edges (count past the width, through CF, zero input).
func TestShiftsAndCounts(t *testing.T) {
	const cf, of, zf, sf, pf = cpu.FlagCF, cpu.FlagOF, cpu.FlagZF, cpu.FlagSF, cpu.FlagPF
	pair := func(a, b uint64) [2]uint64 { return [2]uint64{a, b} }
	for _, tc := range []struct {
		name      string
		got, want [2]uint64
	}{
		{"shl8-out", pair(Shl(0x81, 1, 1)), [2]uint64{0x02, cf | of}},
		{"shl8-past-width", pair(Shl(0xff, 9, 1)), [2]uint64{0, zf | pf}},
		{"shr32", pair(Shr(0x80000001, 1, 4)), [2]uint64{0x40000000, cf | of | pf}},
		{"sar16", pair(Sar(0x8001, 1, 2)), [2]uint64{0xc000, cf | sf | pf}},
		{"rol8", pair(Rol(0x81, 1, 1, zf)), [2]uint64{0x03, cf | of | zf}},
		{"ror64", pair(Ror(1, 1, 8, 0)), [2]uint64{1 << 63, cf | of}},
		{"rcl8-through-cf", pair(Rcl(0x80, 1, 1, cf)), [2]uint64{0x01, cf | of}},
		{"rcr8-9", pair(Rcr(0x01, 9, 1, 0)), [2]uint64{0x01, 0}},
		{"shld32", pair(ShiftDouble(0x1, 0x80000000, 1, 4, true)), [2]uint64{0x3, pf}},
		{"shrd16-above-16", pair(ShiftDouble(0x1234, 0xabcd, 20, 2, false)), [2]uint64{0x4abc, cf}},
		{"tzcnt-zero", pair(Count(0, 4, false, sf)), [2]uint64{32, cf | sf}},
		{"lzcnt16", pair(Count(0x00f0, 2, true, 0)), [2]uint64{8, 0}},
		{"popcnt-zero", pair(Popcnt(0)), [2]uint64{0, zf}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
	if _, f, w := BitScan(0, true); w || f != zf {
		t.Errorf("bsr 0: got write %v flags %#x, want no write, ZF", w, f)
	}
	if r, f, w := BitScan(0x50, true); !w || r != 6 || f != 0 {
		t.Errorf("bsr 0x50: got %d flags %#x write %v, want 6, 0, true", r, f, w)
	}
}

// TestDecimal: the adjusts after BCD arithmetic, AL and AH and CF AF.
func TestDecimal(t *testing.T) {
	const cf, af = cpu.FlagCF, cpu.FlagAF
	pair := func(a, b uint64) [2]uint64 { return [2]uint64{a, b} }
	for _, tc := range []struct {
		name      string
		got, want [2]uint64
	}{
		{"daa-af", pair(Daa(0x11, af)), [2]uint64{0x17, af | cpu.FlagPF}}, // 09 + 08
		{"daa-carry", pair(Daa(0x9a, 0)), [2]uint64{0x00, cf | af | cpu.FlagZF | cpu.FlagPF}},
		{"das", pair(Das(0x0f, af)), [2]uint64{0x09, af | cpu.FlagPF}}, // 10 - 01
		{"aaa", pair(Aaa(0x000f, 0)), [2]uint64{0x0105, cf | af | cpu.FlagPF}},
		{"aas", pair(Aas(0x02ff, 0)), [2]uint64{0x0109, cf | af | cpu.FlagPF}},
		{"aaa-none", pair(Aaa(0x0305, 0)), [2]uint64{0x0305, cpu.FlagPF}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}
