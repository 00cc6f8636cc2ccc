package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/minemu/minemu/mm"
)

// kline is a maps line as show_map_vma prints it (TestMapsFormat checks
// the rule against the kernel).
func kline(prefix, name string) string {
	if name == "" {
		return prefix + " \n"
	}
	return prefix + " " + strings.Repeat(" ", max(0, mapsNameColumn-len(prefix)-1)) + " " + name + "\n"
}

// kb is an smaps count line as the kernel prints it.
func kb(name string, v uint64) string { return fmt.Sprintf("%-16s%8d kB\n", name, v) }

// testView: guest memory at 64 KiB (8 KiB), 128 KiB (64 KiB, the break in
// its middle) and the stack below 0xffffe000.
var testView = View{
	Visible: []mm.AddrRange{{Start: 0x10000, End: 0x12000}, {Start: 0x20000, End: 0x30000}, {Start: 0xff000000, End: 0xffffe000}},
	Limit:   1 << 32, BrkBase: 0x28000, Brk: 0x2a000, Stack: 0xffffdfff,
}

func TestFilterMaps(t *testing.T) {
	for _, c := range []struct {
		name      string
		kind      Kind
		in, smaps string
		want      string
	}{
		{"maps", Maps,
			kline("00010000-00012000 r-xp 00000000 fe:00 123", "/bin/g") +
				kline("00012000-00013000 rw-p 00002000 fe:00 123", "/bin/g") +
				kline("0001f000-00024000 r--p 00010000 fe:00 77", "/lib/with  spaces ") +
				kline("00024000-00030000 rw-p 00000000 00:00 0", "") +
				kline("ff000000-ffffe000 rw-p 00000000 00:00 0", "") +
				"not a maps line\n" +
				kline("fffff000-100001000 rw-p 00000000 00:00 0", "") +
				kline("1000000000-1400000000 ---p 00000000 00:00 0", "") +
				kline("7ffd1e5f5000-7ffd1e616000 rw-p 00000000 00:00 0", "[stack]"),
			"",
			kline("00010000-00012000 r-xp 00000000 fe:00 123", "/bin/g") +
				kline("00020000-00024000 r--p 00011000 fe:00 77", "/lib/with  spaces ") +
				kline("00024000-00030000 rw-p 00000000 00:00 0", "[heap]") +
				kline("ff000000-ffffe000 rw-p 00000000 00:00 0", "[stack]")},
		{"maps split by a foreign neighbour", Maps,
			kline("0000e000-00014000 rw-p 00000000 00:00 0", "") +
				kline("00011000-00022000 rw-s 00003000 00:01 9", "/dev/zero (deleted)"),
			"",
			kline("00010000-00012000 rw-p 00000000 00:00 0", "") +
				kline("00011000-00012000 rw-s 00003000 00:01 9", "/dev/zero (deleted)") +
				kline("00020000-00022000 rw-s 00012000 00:01 9", "/dev/zero (deleted)")},
		{"smaps", Smaps,
			kline("00010000-00012000 r-xp 00000000 fe:00 123", "/bin/g") + kb("Size:", 8) + kb("Rss:", 8) + "VmFlags: rd ex mr mw me \n" +
				kline("0001f000-00024000 r--p 00010000 fe:00 77", "/lib/l") + kb("Size:", 20) + kb("Rss:", 12) +
				kb("Private_Dirty:", 20) + kb("KernelPageSize:", 4) + "THPeligible:           0\n" +
				kline("1000000000-1400000000 ---p 00000000 00:00 0", "") + kb("Size:", 16777216) + kb("Rss:", 123456789),
			"",
			kline("00010000-00012000 r-xp 00000000 fe:00 123", "/bin/g") + kb("Size:", 8) + kb("Rss:", 8) + "VmFlags: rd ex mr mw me \n" +
				kline("00020000-00024000 r--p 00011000 fe:00 77", "/lib/l") + kb("Size:", 16) + kb("Rss:", 12) +
				kb("Private_Dirty:", 16) + kb("KernelPageSize:", 4) + "THPeligible:           0\n"},
		{"smaps_rollup", SmapsRollup,
			kline("00400000-7ffd1e616000 ---p 00000000 00:00 0", "[rollup]") + kb("Rss:", 9999) + kb("Pss:", 9999) +
				kb("Pss_Anon:", 9999) + kb("Pss_File:", 9999) + kb("Pss_Shmem:", 9999) + kb("Anonymous:", 9999) + kb("Swap:", 1),
			kline("00010000-00012000 rw-p 00000000 00:00 0", "") + kb("Size:", 8) + kb("Rss:", 8) + kb("Pss:", 8) + kb("Anonymous:", 8) +
				kline("00020000-00022000 r--p 00000000 fe:00 5", "/lib/l") + kb("Size:", 8) + kb("Rss:", 8) + kb("Pss:", 4) + kb("Anonymous:", 0) +
				kline("00022000-00024000 rw-s 00000000 00:01 6", "/dev/zero (deleted)") + kb("Size:", 8) + kb("Rss:", 4) + kb("Pss:", 2) + kb("Anonymous:", 0) +
				kline("1000000000-1400000000 rw-p 00000000 00:00 0", "") + kb("Size:", 16777216) + kb("Rss:", 1000) + kb("Pss:", 1000) + kb("Anonymous:", 1000),
			kline("00010000-00024000 ---p 00000000 00:00 0", "[rollup]") + kb("Rss:", 20) + kb("Pss:", 14) +
				kb("Pss_Anon:", 8) + kb("Pss_File:", 4) + kb("Pss_Shmem:", 2) + kb("Anonymous:", 8) + kb("Swap:", 0)},
		{"numa_maps", NumaMaps,
			"00010000 default file=/bin/g mapped=2 N0=2 kernelpagesize_kB=4\n" +
				"00012000 default anon=1 dirty=1 N0=1 kernelpagesize_kB=4\n" +
				"ff000000 default stack anon=2 dirty=2 N0=2 kernelpagesize_kB=4\n" +
				"1000000000 default anon=3 dirty=3 N0=3 kernelpagesize_kB=4\n" +
				"garbage\n",
			"",
			"00010000 default file=/bin/g mapped=2 N0=2 kernelpagesize_kB=4\n" +
				"ff000000 default stack anon=2 dirty=2 N0=2 kernelpagesize_kB=4\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := testView
			if got := string(Filter(c.kind, []byte(c.in), []byte(c.smaps), &v)); got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// FuzzFilterMaps: any text (file names in maps are the guest's to choose)
// is filtered without a panic into lines that lie in guest memory.
func FuzzFilterMaps(f *testing.F) {
	f.Add(uint8(Maps), []byte(kline("00010000-00012000 r-xp 00000000 fe:00 123", "/bin/g")+kline("00024000-00030000 rw-p 00000000 00:00 0", "")))
	f.Add(uint8(Smaps), []byte(kline("0001f000-00024000 r--p 00010000 fe:00 77", "/lib/l")+kb("Size:", 20)+kb("Rss:", 12)))
	f.Add(uint8(NumaMaps), []byte("00010000 default anon=1\nff000000 default stack anon=2\n"))
	f.Add(uint8(SmapsRollup), []byte(kline("00400000-7ffd1e616000 ---p 00000000 00:00 0", "[rollup]")+kb("Rss:", 9)))
	f.Fuzz(func(t *testing.T, kind uint8, text []byte) {
		k := Kind(kind%4) + Maps
		v := testView
		out := Filter(k, text, text, &v)
		if k != Maps && k != Smaps {
			return
		}
		for _, en := range SplitEntries(out) {
			if len(v.Pieces(en.H.Start, en.H.End)) != 1 || v.Pieces(en.H.Start, en.H.End)[0] != [2]uint64{en.H.Start, en.H.End} {
				t.Fatalf("line %q is not inside guest memory", en.Line)
			}
		}
	})
}

// TestMapsFormat checks the line printer against the kernel: every line
// of this process's maps and smaps, parsed and printed again, is the
// kernel's line.
func TestMapsFormat(t *testing.T) {
	for _, p := range []string{"/proc/self/maps", "/proc/self/smaps"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, en := range SplitEntries(b) {
			var out bytes.Buffer
			en.H.Format(&out, en.H.Start, en.H.End, en.H.Name)
			if got := strings.TrimSuffix(out.String(), "\n"); got != en.Line {
				t.Errorf("%s: printed %q, kernel %q", p, got, en.Line)
			}
			for _, l := range en.Body {
				if _, v, ok := KBField(l); ok {
					out.Reset()
					writeKB(&out, l, v)
					if out.String() != l {
						t.Errorf("%s: printed %q, kernel %q", p, out.String(), l)
					}
				}
			}
			n++
		}
		if n < 5 {
			t.Fatalf("%s: only %d entries", p, n)
		}
	}
}
