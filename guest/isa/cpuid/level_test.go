package cpuid

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/describe-*.txt")

func TestParseLevel(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Level
		err  string
	}{
		{"x86-64", Baseline, ""},
		{"x86-64-v1", Baseline, ""},
		{"x86-64-v2", V2, ""},
		{"x86-64-v3", V3, ""},
		{"x86-64-v4", 0, "AVX-512"},
		{"", 0, "unknown"},
		{"v3", 0, "unknown"},
		{"X86-64-V3", 0, "unknown"},
		{"host", 0, "unknown"},
	} {
		got, err := ParseLevel(c.in)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Fatalf("ParseLevel(%q) = %v, %v; want %v, error containing %q", c.in, got, err, c.want, c.err)
		}
		if err == nil {
			if back, _ := ParseLevel(got.String()); back != got {
				t.Fatalf("%v does not round-trip through String", got)
			}
		}
	}
}

// TestLevelsNest checks x86-64 ⊂ x86-64-v2 ⊂ x86-64-v3, for the levels'
// definitions and for what models built at them report.
func TestLevelsNest(t *testing.T) {
	if b, v2, v3 := Baseline.Features(), V2.Features(), V3.Features(); !v2.Has(b) || !v3.Has(v2) || b == v2 || v2 == v3 {
		t.Fatalf("levels do not nest: %v / %v / %v", b, v2, v3)
	}
	for _, want := range []struct {
		l Level
		f Features
	}{
		{Baseline, FPU | CX8 | CMOV | MMX | FXSR | SSE | SSE2 | SYSCALL | LM},
		{V2, CX16 | LAHF | POPCNT | SSE3 | SSSE3 | SSE41 | SSE42},
		{V3, AVX | AVX2 | BMI1 | BMI2 | F16C | FMA | LZCNT | MOVBE | XSAVE | OSXSAVE},
	} {
		if !want.l.Features().Has(want.f) || want.l > Baseline && want.l.Features() != (want.l-1).Features()|want.f {
			t.Fatalf("%v = %v, want the level below plus %v", want.l, want.l.Features(), want.f)
		}
	}
	for hn, h := range hosts(t) {
		for _, mode64 := range []bool{false, true} {
			var prev Features
			for _, l := range []Level{Baseline, V2, V3} {
				m, err := New(h, Config{Level: l, Implemented: All, Mode64: mode64})
				if err != nil {
					t.Fatal(err)
				}
				if !m.Features().Has(prev) {
					t.Fatalf("%s: %v reports %v, loses %v of the level below", hn, l, m.Features(), prev&^m.Features())
				}
				prev = m.Features()
			}
		}
	}
}

func TestHighest(t *testing.T) {
	hs := hosts(t)
	coffeeNoAVX := hs["coffeelake"]
	coffeeNoAVX.XCR0 = XCR0X87 | XCR0SSE // an OS that does not enable AVX state
	for _, c := range []struct {
		name     string
		host     Host
		impl     Features
		mode64   bool
		want     Level
		complete bool
	}{
		{"all", hs["native"], All, true, V3, true},
		{"all-32", hs["native"], All, false, V3, true},
		{"today", hs["native"], interpToday, true, Baseline, false},
		{"v2", hs["genoa"], V2.Features(), true, V2, true},
		{"v2-without-64-bit-only", hs["genoa"], V2.Features() &^ only64, false, V2, true},
		{"v2-without-64-bit-only-in-64", hs["genoa"], V2.Features() &^ only64, true, Baseline, false},
		{"v3-minus-movbe", hs["alderlake"], V3.Features() &^ MOVBE, true, V2, true},
		{"host-os-without-avx", coffeeNoAVX, All, true, V2, true},
		{"baseline-exact", hs["coffeelake"], Baseline.Features(), true, Baseline, true},
		{"none", hs["coffeelake"], 0, true, Baseline, false},
	} {
		l, ok := Highest(c.impl, c.host, c.mode64)
		if l != c.want || ok != c.complete {
			t.Fatalf("%s: Highest = %v, %v; want %v, %v", c.name, l, ok, c.want, c.complete)
		}
		m, err := New(c.host, Config{Implemented: c.impl, Mode64: c.mode64})
		if err != nil {
			t.Fatal(err)
		}
		if m.Level() != c.want || (m.Missing() == 0) != c.complete {
			t.Fatalf("%s: default model at %v missing %v; want %v complete %v", c.name, m.Level(), m.Missing(), c.want, c.complete)
		}
	}
}

// TestMaskedToHost checks a feature the host (or its OS) lacks is never
// reported, however it is implemented.
func TestMaskedToHost(t *testing.T) {
	hs := hosts(t)
	noAVX := hs["coffeelake"]
	noAVX.XCR0 = XCR0X87 | XCR0SSE
	for _, c := range []struct {
		name   string
		host   Host
		absent Features
	}{
		{"coffeelake", hs["coffeelake"], SHA | RDPID | FSRM | MMXEXT},
		{"os-without-avx", noAVX, AVX | AVX2 | FMA | F16C},
	} {
		m, err := New(c.host, Config{Level: V3, Implemented: All, Mode64: true})
		if err != nil {
			t.Fatal(err)
		}
		if m.Features()&c.absent != 0 {
			t.Fatalf("%s: reports %v", c.name, m.Features()&c.absent)
		}
		if c.name == "os-without-avx" && (m.XCR0() != XCR0X87|XCR0SSE || m.XSaveSize() != 576 || m.Missing() != AVX|AVX2|FMA|F16C) {
			t.Fatalf("%s: XCR0 %#x, size %d, missing %v", c.name, m.XCR0(), m.XSaveSize(), m.Missing())
		}
	}
}

// TestMode32 checks what a 32-bit guest sees differently: no long mode,
// no SYSCALL on Intel (as Intel CPUs answer outside 64-bit mode), and the
// compat AT_PLATFORM.
func TestMode32(t *testing.T) {
	hs := hosts(t)
	for _, c := range []struct {
		host    string
		syscall bool
	}{{"coffeelake", false}, {"alderlake", false}, {"genoa", true}} {
		m32, _ := New(hs[c.host], Config{Level: V3, Implemented: All})
		m64, _ := New(hs[c.host], Config{Level: V3, Implemented: All, Mode64: true})
		if m32.Features().Has(LM) || m32.Features().Has(SYSCALL) != c.syscall || !m64.Features().Has(LM|SYSCALL) {
			t.Fatalf("%s: 32-bit %v, 64-bit %v", c.host, m32.Features(), m64.Features())
		}
		if m32.Platform() != "i686" || m64.Platform() != "x86_64" {
			t.Fatalf("%s: AT_PLATFORM %q, %q", c.host, m32.Platform(), m64.Platform())
		}
		if m32.Features()&^(LM|SYSCALL) != m64.Features()&^(LM|SYSCALL) {
			t.Fatalf("%s: modes differ beyond LM and SYSCALL: %v vs %v", c.host, m32.Features(), m64.Features())
		}
	}
}

// TestAuxv checks AT_HWCAP is leaf 1 EDX and AT_HWCAP2 follows FSGSBASE.
func TestAuxv(t *testing.T) {
	forEachModel(t, func(t *testing.T, h Host, m *Model) {
		if m.HWCAP() != uint64(m.Leaf(1, 0).EDX) {
			t.Fatalf("AT_HWCAP %#x, leaf 1 EDX %#x", m.HWCAP(), m.Leaf(1, 0).EDX)
		}
		if want := map[bool]uint64{false: 0, true: HWCAP2FSGSBASE}[m.Features().Has(FSGSBASE)]; m.HWCAP2() != want {
			t.Fatalf("AT_HWCAP2 %#x, want %#x", m.HWCAP2(), want)
		}
	})
}

// TestSignature decodes the recorded CPUs' signatures by their vendors'
// rules.
func TestSignature(t *testing.T) {
	hs := hosts(t)
	for _, c := range []struct {
		host                    string
		family, model, stepping uint32
	}{
		{"coffeelake", 6, 0x9e, 0xa},
		{"alderlake", 6, 0x97, 5},
		{"genoa", 0x19, 0x11, 1},
	} {
		m, _ := New(hs[c.host], Config{Implemented: All, Mode64: true})
		if f, mo, s := m.Signature(); f != c.family || mo != c.model || s != c.stepping {
			t.Fatalf("%s: family %#x model %#x stepping %d, want %#x %#x %d", c.host, f, mo, s, c.family, c.model, c.stepping)
		}
	}
}

// TestDescribeGolden checks `minemu info --cpu`'s text for the recorded
// CPUs (go test -update rewrites the goldens).
func TestDescribeGolden(t *testing.T) {
	hs := hosts(t)
	for _, c := range []struct {
		host   string
		level  Level
		impl   Features
		mode64 bool
	}{
		{"genoa", V3, All, true},
		{"genoa", V2, All, false},
		{"coffeelake", V3, All, true},
		{"alderlake", Baseline, interpToday, true},
	} {
		name := c.host + "-" + c.level.String() + map[bool]string{false: "-32", true: "-64"}[c.mode64]
		t.Run(name, func(t *testing.T) {
			m, err := New(hs[c.host], Config{Level: c.level, Implemented: c.impl, Mode64: c.mode64})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			m.Describe(&out)
			golden := "testdata/describe-" + name + ".txt"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("got:\n%s\nwant:\n%s", out.Bytes(), want)
			}
		})
	}
}

// FuzzLeaf checks that any leaf and subleaf gets an answer, without a
// panic, consistent with CPUID, and zeros beyond the maxima on AMD.
func FuzzLeaf(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint8(0))
	f.Add(uint32(0xd), uint32(2), uint8(1))
	f.Add(uint32(0xb), uint32(0xffffffff), uint8(2))
	f.Add(uint32(0x8000001d), uint32(3), uint8(3))
	f.Add(uint32(0x40000000), uint32(0), uint8(1))
	f.Add(uint32(0xffffffff), uint32(7), uint8(2))
	hs := hosts(f)
	var models []*Model
	for _, n := range []string{"native", "coffeelake", "alderlake", "genoa"} {
		m, err := New(hs[n], Config{Level: V3, Implemented: All, Mode64: true})
		if err != nil {
			f.Fatal(err)
		}
		models = append(models, m)
	}
	f.Fuzz(func(t *testing.T, leaf, sub uint32, which uint8) {
		m := models[int(which)%len(models)]
		r := m.Leaf(leaf, sub)
		if a, b, c, d := m.CPUID(leaf, sub); r != (Regs{a, b, c, d}) {
			t.Fatalf("CPUID and Leaf disagree at %#x.%#x", leaf, sub)
		}
		beyond := leaf > m.maxBasic && (leaf < extBase || leaf > m.maxExt)
		if beyond && m.Vendor() == AMD && r != (Regs{}) {
			t.Fatalf("AMD leaf %#x beyond the maxima answers %+v", leaf, r)
		}
		if beyond && m.Vendor() == Intel && r != m.Leaf(m.maxBasic, sub) {
			t.Fatalf("Intel leaf %#x beyond the maxima answers %+v", leaf, r)
		}
	})
}
