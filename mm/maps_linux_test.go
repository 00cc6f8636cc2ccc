package mm

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMaps(t *testing.T) {
	const rw, rx, r = unix.PROT_READ | unix.PROT_WRITE, unix.PROT_READ | unix.PROT_EXEC, unix.PROT_READ
	tests := []struct {
		name    string
		in      string
		want    []MapsEntry
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{
			name: "file, anonymous with trailing space, pseudo",
			in: "00400000-0053f000 r-xp 00000000 fe:00 9978535                            /tmp/b001/m.test\n" +
				"006d5000-0270d000 rw-p 00000000 00:00 0 \n" +
				"7ffd366fa000-7ffd3671b000 rw-p 00000000 00:00 0                          [stack]\n" +
				"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n",
			want: []MapsEntry{
				{Range: AddrRange{0x400000, 0x53f000}, Prot: rx, DevMajor: 0xfe, Inode: 9978535, Path: "/tmp/b001/m.test"},
				{Range: AddrRange{0x6d5000, 0x270d000}, Prot: rw},
				{Range: AddrRange{0x7ffd366fa000, 0x7ffd3671b000}, Prot: rw, Path: "[stack]"},
				{Range: AddrRange{0xffffffffff600000, 0xffffffffff601000}, Prot: unix.PROT_EXEC, Path: "[vsyscall]"},
			},
		},
		{
			name: "shared, offset, path with spaces and deleted, no final newline",
			in:   "7f0000000000-7f0000002000 r--s 0001f000 08:11 42 /a b/c (deleted)",
			want: []MapsEntry{{Range: AddrRange{0x7f0000000000, 0x7f0000002000}, Prot: r, Shared: true,
				Offset: 0x1f000, DevMajor: 8, DevMinor: 0x11, Inode: 42, Path: "/a b/c (deleted)"}},
		},
		{name: "reversed range", in: "2000-1000 rw-p 00000000 00:00 0\n", wantErr: "reversed"},
		{name: "empty range", in: "1000-1000 rw-p 00000000 00:00 0\n", wantErr: "empty"},
		{name: "unaligned", in: "1000-1800 rw-p 00000000 00:00 0\n", wantErr: "page-aligned"},
		{name: "bad perms", in: "1000-2000 rwzp 00000000 00:00 0\n", wantErr: "permissions"},
		{name: "bad share flag", in: "1000-2000 rw-q 00000000 00:00 0\n", wantErr: "permissions"},
		{name: "bad hex", in: "1000-2g00 rw-p 00000000 00:00 0\n", wantErr: "range"},
		{name: "17 hex digits", in: "1000-10000000000000000 rw-p 00000000 00:00 0\n", wantErr: "range"},
		{name: "bad device", in: "1000-2000 rw-p 00000000 0000 0\n", wantErr: "device"},
		{name: "signed inode", in: "1000-2000 rw-p 00000000 00:00 +1\n", wantErr: "inode"},
		{name: "missing inode", in: "1000-2000 rw-p 00000000 00:00\n", wantErr: "malformed"},
		{name: "blank line", in: "1000-2000 rw-p 00000000 00:00 0\n\n3000-4000 rw-p 00000000 00:00 0\n", wantErr: "line 2"},
		{name: "overlap", in: "1000-3000 rw-p 00000000 00:00 0\n2000-4000 rw-p 00000000 00:00 0\n", wantErr: "overlaps"},
		{name: "unsorted", in: "3000-4000 rw-p 00000000 00:00 0\n1000-2000 rw-p 00000000 00:00 0\n", wantErr: "line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMaps([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseMaps error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMaps: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			checkMapsRoundTrip(t, got)
		})
	}
}

// checkMapsRoundTrip formats es and parses the text again.
func checkMapsRoundTrip(t *testing.T, es []MapsEntry) {
	t.Helper()
	var sb strings.Builder
	for _, e := range es {
		sb.WriteString(e.String())
		sb.WriteByte('\n')
	}
	again, err := ParseMaps([]byte(sb.String()))
	if err != nil {
		t.Fatalf("reparse of formatted entries: %v\n%s", err, sb.String())
	}
	if len(es) == 0 && len(again) == 0 {
		return
	}
	if !reflect.DeepEqual(again, es) {
		t.Fatalf("round trip: got %+v, want %+v", again, es)
	}
}

// TestReadMapsSelf parses the real file and finds the process's own stack
// and a mapping it plants.
func TestReadMapsSelf(t *testing.T) {
	a, err := sysMmap(0, 3*PageSize, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	r, _ := NewRange(a, 3*PageSize)
	defer sysMunmap(r)
	es, err := ReadMaps()
	if err != nil {
		t.Fatalf("ReadMaps: %v", err)
	}
	var sawStack, sawMine bool
	for _, e := range es {
		sawStack = sawStack || e.Path == "[stack]"
		if e.Range.IsSupersetOf(r) {
			sawMine = e.Prot == unix.PROT_READ && e.IsAnonymous()
		}
	}
	if !sawStack || !sawMine {
		t.Fatalf("[stack] seen %v, planted %v seen read-only anonymous %v", sawStack, r, sawMine)
	}
	checkMapsRoundTrip(t, es)
	raw, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), "\n"); n < len(es)/2 {
		t.Fatalf("parsed %d entries from %d lines", len(es), n)
	}
}

// FuzzParseMaps: ParseMaps never panics, and whatever it accepts survives
// a format/parse round trip unchanged.
func FuzzParseMaps(f *testing.F) {
	f.Add([]byte("00400000-0053f000 r-xp 00000000 fe:00 9978535                            /tmp/m.test\n"))
	f.Add([]byte("006d5000-0270d000 rw-p 00000000 00:00 0 \n7ffd366fa000-7ffd3671b000 rw-p 00000000 00:00 0   [stack]\n"))
	f.Add([]byte("7f0000000000-7f0000002000 r--s 0001f000 08:11 42 /a b/c (deleted)"))
	f.Add([]byte("1000-2000 ---p 0 0:0 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseMaps(data)
		if err != nil {
			return
		}
		for i, e := range es {
			if e.Range.Start >= e.Range.End || !e.Range.IsPageAligned() {
				t.Fatalf("entry %d: accepted bad range %v", i, e.Range)
			}
			if i > 0 && es[i-1].Range.End > e.Range.Start {
				t.Fatalf("entry %d: accepted overlapping %v after %v", i, e.Range, es[i-1].Range)
			}
		}
		checkMapsRoundTrip(t, es)
	})
}
