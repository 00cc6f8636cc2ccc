package thunks

import (
	"errors"
	"strings"
	"testing"
)

func TestFormatSlots(t *testing.T) {
	strs := map[uint64]string{0x1000: "abc", 0x2000: ""}
	str := func(p uint64) (string, error) {
		if s, ok := strs[p]; ok {
			return s, nil
		}
		return "", errFault
	}
	neg := func(v int64) uint64 { return uint64(v) }
	for _, tc := range []struct {
		format string
		slots  []uint64
		want   string
		err    string
	}{
		{"plain", nil, "plain", ""},
		{"", nil, "", ""},
		{"%d|%d|%d", []uint64{0, neg(-1), 0x7fffffff}, "0|-1|2147483647", ""},
		{"%d", []uint64{0xffff_ffff}, "-1", ""},  // i386 slot of -1
		{"%d", []uint64{0x1_0000_0005}, "5", ""}, // only the low 32 bits
		{"%u %x", []uint64{neg(-1), 0xdeadbeef}, "4294967295 deadbeef", ""},
		{"%c%c", []uint64{'o', 0x16b}, "ok", ""}, // low 8 bits
		{"[%s][%s][%s]", []uint64{0x1000, 0x2000, 0}, "[abc][][(null)]", ""},
		{"%p %p", []uint64{0xffffd000, 0}, "0xffffd000 (nil)", ""},
		{"100%%", nil, "100%", ""},
		{"%%d", nil, "%d", ""},
		{"%", nil, "", "lone %"},
		{"%d %d", []uint64{1}, "", "more conversions than arguments"},
		{"%d", []uint64{1, 2}, "", "2 arguments for 1 conversions"},
		{"%ld", []uint64{1}, "", "unsupported conversion %l"},
		{"%5d", []uint64{1}, "", "unsupported conversion %5"},
		{"%s", []uint64{0x3000}, "", "%s argument 1 at 0x3000"},
	} {
		got, err := formatSlots(tc.format, tc.slots, str)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("formatSlots(%q) = %q, %v; want error containing %q", tc.format, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("formatSlots(%q, %#x) = %q, %v; want %q", tc.format, tc.slots, got, err, tc.want)
		}
	}
}

// TestFormatOutputBounded: the output may be MaxString bytes, not one
// more, whether the last byte comes from a conversion or from the literal
// text after the last one.
func TestFormatOutputBounded(t *testing.T) {
	half := strings.Repeat("x", MaxString/2)
	str := func(uint64) (string, error) { return half, nil }
	for _, c := range []struct {
		format string
		ok     bool
	}{
		{"%s%s", true},
		{"%s%sy", false},
		{"y%s%s", false},
		{"%s%s%%", false},
	} {
		out, err := formatSlots(c.format, []uint64{1, 1}, str)
		if c.ok && (err != nil || len(out) != MaxString) {
			t.Errorf("%q: %d bytes, %v; want exactly MaxString bytes", c.format, len(out), err)
		}
		if !c.ok && !errors.Is(err, errTooLong) {
			t.Errorf("%q: %d bytes, %v; want errTooLong", c.format, len(out), err)
		}
	}
}

// FuzzFormat: any format and slots either format or fail cleanly, and a
// success consumed exactly the slots given.
func FuzzFormat(f *testing.F) {
	f.Add("%d %s %p %%", uint64(5), uint64(0x1000), uint64(0))
	f.Add("%", uint64(0), uint64(0), uint64(0))
	f.Add("%c%x%u", uint64(0x41), uint64(1<<40), uint64(7))
	f.Fuzz(func(t *testing.T, format string, a, b, c uint64) {
		str := func(p uint64) (string, error) {
			if p%2 == 0 {
				return "", errors.New("odd")
			}
			return "s", nil
		}
		for n := 0; n <= 3; n++ {
			out, err := formatSlots(format, []uint64{a, b, c}[:n], str)
			if err != nil {
				continue
			}
			if len(out) > maxFormatOutput {
				t.Fatalf("output of %d bytes", len(out))
			}
			convs := strings.Count(strings.ReplaceAll(format, "%%", ""), "%")
			if convs != n {
				t.Fatalf("format %q succeeded with %d slots for %d conversions", format, n, convs)
			}
		}
	})
}
