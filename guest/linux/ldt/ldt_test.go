package ldt

import "testing"

// TestBase: entries written → what a segment register load of their
// selector finds (any RPL; the TI bit is the caller's).
func TestBase(t *testing.T) {
	var l Table
	for _, w := range []struct {
		entry, base, limit, flags uint32
	}{
		{1, 0x12345678, 0xfffff, Seg32 | LimitInPages},
		{2, 0x1000, 0xffff, NotPresent | Seg32},
		{3, 0x2000, 0xffff, 2<<ContentsShift | ReadExecOnly | Seg32}, // execute-only code
		{4, 0x3000, 0xffff, 2<<ContentsShift | Seg32},                // readable code
	} {
		if e := l.Write(w.entry, w.base, w.limit, w.flags, false); e != 0 {
			t.Fatalf("Write(%+v) = %v", w, e)
		}
	}
	for _, tc := range []struct {
		sel  uint16
		base uint64
		ok   bool
	}{
		{1<<3 | 7, 0x12345678, true}, {1<<3 | 4, 0x12345678, true}, {0<<3 | 7, 0, false},
		{2<<3 | 7, 0, false}, {3<<3 | 7, 0, false}, {4<<3 | 7, 0x3000, true}, {5<<3 | 7, 0, false},
	} {
		if base, ok := l.Base(tc.sel); base != tc.base || ok != tc.ok {
			t.Fatalf("Base(%#x) = %#x, %v; want %#x, %v", tc.sel, base, ok, tc.base, tc.ok)
		}
	}
	if got := len(l.Read(1 << 20)); got != Entries*EntrySize {
		t.Fatalf("Read of more than the table: %d bytes, want %d", got, Entries*EntrySize)
	}
}
