package mm

import (
	"debug/elf"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// ownerFunc adapts a list of claims to RangeOwner.
type ownerFunc []ownedRange

func (o ownerFunc) OwnedRanges(yield func(AddrRange, Class)) {
	for _, c := range o {
		yield(c.r, c.class)
	}
}

func TestAuditEntries(t *testing.T) {
	exe := exeID{path: "/bin/minemu", ino: 77, major: 8, min: 1, ok: true}
	line := func(s, e Addr, prot int, ino uint64, path string) MapsEntry {
		me := MapsEntry{Range: AddrRange{Start: s, End: e}, Prot: prot, Inode: ino, Path: path}
		if ino != 0 {
			me.DevMajor, me.DevMinor = 8, 1
		}
		return me
	}
	image := []MapsEntry{
		line(0x400000, 0x500000, regProtRX, 77, "/bin/minemu"),
		line(0x500000, 0x600000, regProtRW, 77, "/bin/minemu"),
		line(0x600000, 0x2700000, regProtRW, 0, ""), // bss
	}
	high := []MapsEntry{
		line(0x10_0000_0000, 0x10_4000_0000, unix.PROT_NONE, 0, ""), // an arena
		line(0xc000000000, 0xc004000000, regProtRW, 0, ""),          // Go heap
		line(0x7f0000000000, 0x7f0000100000, regProtRX, 99, "/usr/lib/libc.so.6"),
		line(0x7ffd00000000, 0x7ffd00021000, regProtRW, 0, "[stack]"),
		line(0x7ffd00100000, 0x7ffd00102000, regProtRX, 0, "[vdso]"),
		line(0xffffffffff600000, 0xffffffffff601000, unix.PROT_EXEC, 0, "[vsyscall]"),
	}
	arena := ownedRange{r: AddrRange{Start: 0x10_0000_0000, End: 0x10_4000_0000}, class: ClassInternal}
	cat := func(parts ...[]MapsEntry) []MapsEntry {
		var out []MapsEntry
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name      string
		cfg       AuditConfig
		es        []MapsEntry
		owned     []ownedRange
		wantOK    bool
		wantViol  []string // substrings, one per violation, in order
		wantClass map[Class]uint64
		wantLow   int
	}{
		{
			name: "PIE layout with guest memory", cfg: AuditConfig{Mode: Mode32},
			es: cat([]MapsEntry{
				line(0x8048000, 0x804a000, regProtRX, 0, ""),
				line(0xf7f00000, 0xf7f80000, regProtRW, 0, ""),
			}, high[:5], []MapsEntry{line(0x7fff00000000, 0x7fff00100000, regProtRX, 77, "/bin/minemu")}, high[5:]),
			owned: []ownedRange{
				{r: AddrRange{Start: 0x8048000, End: 0x804a000}, class: ClassGuest},
				{r: AddrRange{Start: 0xf7f00000, End: 0xf7f80000}, class: ClassHostHeap},
				arena,
			},
			wantOK: true,
			wantClass: map[Class]uint64{ClassGuest: 0x2000, ClassHostHeap: 0x80000, ClassInternal: 0x4000_0000,
				ClassGoRuntime: 0x4000000, ClassLibrary: 0x100000, ClassKernel: 0x21000 + 0x2000 + 0x1000, ClassImage: 0x100000},
		},
		{
			name: "low image refused unless tolerated", cfg: AuditConfig{Mode: Mode32},
			es: cat(image, high), owned: []ownedRange{arena},
			wantViol: []string{"[0x400000, 0x500000) r-xp image", "[0x500000, 0x600000) rw-p image", "[0x600000, 0x2700000) rw-p image"},
			wantLow:  3,
		},
		{
			// The same layout as "low image and brk tolerated" below: only
			// the option turns the verdict.
			name: "low image and brk refused without the test binaries' tolerance", cfg: AuditConfig{Mode: Mode32},
			es: cat(image, []MapsEntry{line(0x3000000, 0x3021000, regProtRW, 0, "[heap]")}, high), owned: []ownedRange{arena},
			wantViol: []string{"[0x400000, 0x500000) r-xp image /bin/minemu below 4 GiB", "[0x500000, 0x600000) rw-p image", "[0x600000, 0x2700000) rw-p image below 4 GiB",
				"[0x3000000, 0x3021000) rw-p host-brk [heap] below 4 GiB"},
			wantLow:   4,
			wantClass: map[Class]uint64{ClassImage: 0x2300000, ClassHostBrk: 0x21000},
		},
		{
			name: "anonymous memory after the bss is not image", cfg: AuditConfig{Mode: Mode32, TolerateLowImage: true},
			es: cat(image, []MapsEntry{line(0x2700000, 0x2701000, regProtR, 0, "")}, high), owned: []ownedRange{arena},
			wantViol: []string{"[0x2700000, 0x2701000) r--p go-runtime below 4 GiB"}, wantLow: 4,
			wantClass: map[Class]uint64{ClassImage: 0x2300000},
		},
		{
			name: "low image and brk tolerated", cfg: AuditConfig{Mode: Mode32, TolerateLowImage: true},
			es: cat(image, []MapsEntry{line(0x3000000, 0x3021000, regProtRW, 0, "[heap]")}, high), owned: []ownedRange{arena},
			wantOK: true, wantLow: 4,
			wantClass: map[Class]uint64{ClassImage: 0x2300000, ClassHostBrk: 0x21000},
		},
		{
			name: "merged line split by owners; the unclaimed rest is named", cfg: AuditConfig{Mode: Mode32},
			es: cat([]MapsEntry{line(0x10000000, 0x10003000, regProtRW, 0, "")}, high),
			owned: []ownedRange{
				{r: AddrRange{Start: 0x10000000, End: 0x10001000}, class: ClassGuest},
				{r: AddrRange{Start: 0x10001000, End: 0x10002000}, class: ClassHostHeap},
				arena,
			},
			wantViol:  []string{"[0x10002000, 0x10003000) rw-p go-runtime below 4 GiB"},
			wantClass: map[Class]uint64{ClassGuest: 0x1000, ClassHostHeap: 0x1000},
			wantLow:   1,
		},
		{
			name: "guest-visible memory above 4 GiB and a line across it", cfg: AuditConfig{Mode: Mode32},
			es: []MapsEntry{line(0xfffff000, 0x100001000, regProtRW, 0, ""), line(0x20_0000_0000, 0x20_0000_1000, regProtRW, 0, "")},
			owned: []ownedRange{
				{r: AddrRange{Start: 0xfffff000, End: 0x100001000}, class: ClassGuest},
				{r: AddrRange{Start: 0x20_0000_0000, End: 0x20_0000_1000}, class: ClassHostHeap},
			},
			wantViol: []string{"[0x100000000, 0x100001000) rw-p guest is guest-visible but above 4 GiB",
				"[0x2000000000, 0x2000001000) rw-p host-heap is guest-visible but above 4 GiB"},
			wantClass: map[Class]uint64{ClassGuest: 0x2000},
		},
		{
			name: "overlapping owners and missing memory", cfg: AuditConfig{Mode: Mode32},
			es: []MapsEntry{line(0x10000000, 0x10002000, regProtRW, 0, "")},
			owned: []ownedRange{
				{r: AddrRange{Start: 0x10000000, End: 0x10002000}, class: ClassGuest},
				{r: AddrRange{Start: 0x10001000, End: 0x10004000}, class: ClassHostHeap},
			},
			wantViol: []string{"owners both claim", "[0x10001000, 0x10004000) claimed as host-heap but 8192 of its 12288 bytes"},
		},
		{
			// The third claim overlaps the first but not the second, its
			// direct predecessor in address order.
			name: "a claim inside an earlier one that is not its predecessor", cfg: AuditConfig{Mode: Mode32},
			es: []MapsEntry{line(0x10000000, 0x10008000, regProtRW, 0, "")},
			owned: []ownedRange{
				{r: AddrRange{Start: 0x10000000, End: 0x10008000}, class: ClassGuest},
				{r: AddrRange{Start: 0x10001000, End: 0x10002000}, class: ClassHostHeap},
				{r: AddrRange{Start: 0x10004000, End: 0x10005000}, class: ClassHostHeap},
			},
			wantViol: []string{"owners both claim [0x10000000, 0x10008000) (guest) and [0x10001000, 0x10002000)",
				"owners both claim [0x10000000, 0x10008000) (guest) and [0x10004000, 0x10005000)"},
			wantClass: map[Class]uint64{ClassGuest: 0x8000},
		},
		{
			// The second line starts past the small claim's end: the
			// large claim must still be found for it (its bytes are
			// mapped, and they are guest memory).
			name: "a claim holding another, over two lines", cfg: AuditConfig{Mode: Mode32},
			es: []MapsEntry{line(0x10000000, 0x10004000, regProtRW, 0, ""), line(0x10004000, 0x10008000, regProtR, 0, "")},
			owned: []ownedRange{
				{r: AddrRange{Start: 0x10000000, End: 0x10008000}, class: ClassGuest},
				{r: AddrRange{Start: 0x10001000, End: 0x10002000}, class: ClassHostHeap},
			},
			wantViol:  []string{"owners both claim [0x10000000, 0x10008000) (guest) and [0x10001000, 0x10002000)"},
			wantClass: map[Class]uint64{ClassGuest: 0x8000, ClassGoRuntime: 0},
		},
		{
			name: "Mode64 reports only", cfg: AuditConfig{Mode: Mode64},
			es:     cat(image, []MapsEntry{line(0x10000000, 0x10001000, regProtRW, 0, "[anon: Go: heap]")}, high),
			owned:  []ownedRange{{r: AddrRange{Start: 0x20000000, End: 0x20001000}, class: ClassGuest}},
			wantOK: true, wantLow: 4,
			wantClass: map[Class]uint64{ClassImage: 0x2300000, ClassGoRuntime: 0x4000000 + 0x1000 + 0x4000_0000},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			owned := append([]ownedRange(nil), tc.owned...)
			rep := auditEntries(tc.cfg, tc.es, owned, exe)
			if rep.OK != tc.wantOK {
				t.Fatalf("OK = %v, want %v; violations %q", rep.OK, tc.wantOK, rep.Violations)
			}
			if len(rep.Violations) != len(tc.wantViol) {
				t.Fatalf("violations %q, want %d matching %q", rep.Violations, len(tc.wantViol), tc.wantViol)
			}
			for i, v := range tc.wantViol {
				if !strings.Contains(rep.Violations[i], v) {
					t.Fatalf("violation %d = %q, want it to contain %q", i, rep.Violations[i], v)
				}
			}
			for c, want := range tc.wantClass {
				if got := rep.Classes[c].Bytes; got != want {
					t.Fatalf("class %v: %#x bytes, want %#x", c, got, want)
				}
			}
			if len(rep.Low) != tc.wantLow {
				t.Fatalf("Low = %v, want %d entries", rep.Low, tc.wantLow)
			}
			// Segments tile exactly the maps.
			var segBytes, mapBytes uint64
			for i, s := range rep.Segments {
				segBytes += s.Range.Length()
				if i > 0 && rep.Segments[i-1].Range.End > s.Range.Start {
					t.Fatalf("segments %v and %v overlap", rep.Segments[i-1], s)
				}
			}
			for _, e := range tc.es {
				mapBytes += e.Range.Length()
			}
			if segBytes != mapBytes {
				t.Fatalf("segments cover %#x bytes, maps %#x", segBytes, mapBytes)
			}
		})
	}
}

// testBinaryIsPIE reports whether the running test binary is
// position-independent (`go test -buildmode=pie`).
func testBinaryIsPIE(t *testing.T) bool {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Type == elf.ET_DYN
}

// TestAuditSelf audits this very process with a Mode32 Regions in use: its
// arenas are all internal and above 4 GiB, and the verdict is OK (a non-PIE
// test binary's low image tolerated).
func TestAuditSelf(t *testing.T) {
	r := newTestRegions(t, RegionsConfig{Mode: Mode32, ArenaSize: 2 << 20})
	for _, n := range []uint64{1, 16, 600} {
		if _, err := r.Map(n*PageSize, 0, regProtRW); err != nil {
			t.Fatal(err)
		}
	}
	pie := testBinaryIsPIE(t)
	rep, err := Audit(AuditConfig{Mode: Mode32, Owners: []RangeOwner{r}, TolerateLowImage: !pie})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("audit failed: %q", rep.Violations)
	}
	var internal uint64
	for _, s := range rep.Segments {
		if s.Class == ClassInternal {
			internal += s.Range.Length()
			if s.Range.Start < Limit32 {
				t.Fatalf("internal segment %v below 4 GiB", s)
			}
		}
	}
	if want := r.Stats().ReservedBytes; internal != want || rep.Classes[ClassInternal].Bytes != want {
		t.Fatalf("internal bytes %d (classes say %d), want the %d reserved", internal, rep.Classes[ClassInternal].Bytes, want)
	}
	if rep.Classes[ClassKernel].Bytes == 0 || rep.Classes[ClassGoRuntime].Bytes == 0 {
		t.Fatalf("no kernel or Go runtime memory found: %v", rep.Classes)
	}
	if !pie && rep.Classes[ClassImage].Bytes == 0 {
		t.Fatalf("non-PIE test binary but no image found")
	}
	if pie && len(rep.Low) != 0 {
		t.Fatalf("PIE test binary with memory below 4 GiB: %v", rep.Low)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back AuditReport
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("report does not round-trip through JSON: %v", err)
	}
	if back.Classes[ClassInternal] != rep.Classes[ClassInternal] || !strings.Contains(string(js), `"internal":`) {
		t.Fatalf("JSON classes lost: %s", js)
	}
}

// TestAuditPlantedLowMapping plants an anonymous mapping below 4 GiB that
// no owner claims: the audit fails and names it; claimed as guest memory it
// passes again.
func TestAuditPlantedLowMapping(t *testing.T) {
	var planted AddrRange
	for a := Addr(0x10000000); a < Limit32; a += 0x1000000 {
		if _, err := sysMmap(a, 4*PageSize, regProtRW, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, -1, 0); err == nil {
			planted, _ = NewRange(a, 4*PageSize)
			break
		}
	}
	if planted.Length() == 0 {
		t.Fatal("no free place below 4 GiB")
	}
	defer sysMunmap(planted)
	cfg := AuditConfig{Mode: Mode32, TolerateLowImage: !testBinaryIsPIE(t)}
	rep, err := Audit(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(rep.Violations) != 1 || !strings.Contains(rep.Violations[0], planted.String()) {
		t.Fatalf("audit with %v planted: OK=%v violations %q, want exactly one naming it", planted, rep.OK, rep.Violations)
	}
	cfg.Owners = []RangeOwner{ownerFunc{{r: planted, class: ClassGuest}}}
	if rep, err = Audit(cfg); err != nil || !rep.OK {
		t.Fatalf("audit with %v claimed as guest: %v %q", planted, err, rep.Violations)
	}
	// In Mode64 the same layout is reported, not judged.
	rep, err = Audit(AuditConfig{Mode: Mode64})
	if err != nil || !rep.OK || len(rep.Violations) != 0 {
		t.Fatalf("Mode64 audit: %v OK=%v %q", err, rep.OK, rep.Violations)
	}
}

func TestImageBelow4G(t *testing.T) {
	low, image, err := ImageBelow4G()
	if err != nil {
		t.Fatal(err)
	}
	pie := testBinaryIsPIE(t)
	if low == pie {
		t.Fatalf("ImageBelow4G = %v (%v) for a binary with PIE=%v", low, image, pie)
	}
	if !pie && !image.Contains(0x400000) {
		t.Fatalf("non-PIE image %v does not hold 0x400000", image)
	}
}

func TestClassText(t *testing.T) {
	for c := ClassGuest; c < numClasses; c++ {
		b, _ := c.MarshalText()
		var back Class
		if err := back.UnmarshalText(b); err != nil || back != c {
			t.Fatalf("class %d -> %q -> %v, %v", c, b, back, err)
		}
	}
	var c Class
	if err := c.UnmarshalText([]byte("invalid")); err == nil {
		t.Fatalf("UnmarshalText accepted %q", "invalid")
	}
}
