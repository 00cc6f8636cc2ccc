package main

import (
	"strings"
	"testing"
)

func mustParse(t *testing.T, src string) []*strct {
	t.Helper()
	s, err := parse(strings.NewReader(src), "test.txt")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

// TestLayout checks the alignment rules: i386 aligns 8-byte scalars to 4
// inside structures, x86-64 to 8; packed aligns nothing; sizes round up to
// the largest alignment; per-ABI lines place a field differently in each
// ABI; nested structures align as their largest member.
func TestLayout(t *testing.T) {
	ss := mustParse(t, `
# A is a test.
struct A
	a u8
	b u64
	c long
	d i386=u16 amd64=u32
	e u8[0]

struct P i386 packed
	a u8
	b u32

struct N
	x u8
	a A

struct Same
	a u32
	b u64
`)
	a, p, n, same := ss[0], ss[1], ss[2], ss[3]
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"A i386 b", a.offs[0][1], 4}, {"A amd64 b", a.offs[1][1], 8},
		{"A i386 c", a.offs[0][2], 12}, {"A amd64 c", a.offs[1][2], 16},
		{"A i386 d", a.offs[0][3], 16}, {"A amd64 d", a.offs[1][3], 24},
		{"A i386 e", a.offs[0][4], 18}, {"A amd64 e", a.offs[1][4], 28},
		{"A i386 size", a.size[0], 20}, {"A amd64 size", a.size[1], 32},
		{"P i386 b", p.offs[0][1], 1}, {"P i386 size", p.size[0], 5},
		{"N i386 a", n.offs[0][1], 4}, {"N amd64 a", n.offs[1][1], 8},
		{"N amd64 size", n.size[1], 40},
		{"Same i386 b", same.offs[0][1], 4}, {"Same amd64 b", same.offs[1][1], 8},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if a.same || same.same || p.same {
		t.Errorf("same layouts: A %v, Same %v, P %v; want none", a.same, same.same, p.same)
	}
	if a.doc[0] != "A is a test." {
		t.Errorf("doc %q", a.doc)
	}
	ss = mustParse(t, "struct S\n\ta u64\n\tb u32\n\tc s16\n\t_ u8[2]\n")
	if !ss[0].same || ss[0].size[0] != 16 {
		t.Errorf("S: same %v size %d, want one 16-byte layout", ss[0].same, ss[0].size[0])
	}
}

// TestGoTypes checks the merged Go field types.
func TestGoTypes(t *testing.T) {
	ss := mustParse(t, "struct T\n\ta long\n\tb i386=u16 amd64=u32\n\tc i386=ulong amd64=long\n\td s32[2]\n\te u8[3]\n\tf ptr\n")
	want := map[string]string{"a": "int64", "b": "uint32", "c": "uint64", "d": "[2]int32", "e": "[3]byte", "f": "uint64"}
	for _, f := range ss[0].goFields() {
		got, err := f.goType()
		if err != nil || got != want[f.name] {
			t.Errorf("%s: %q, %v; want %q", f.name, got, err, want[f.name])
		}
	}
	ss = mustParse(t, "struct U i386\n\ta ulong\n")
	if got, _ := ss[0].goFields()[0].goType(); got != "uint32" {
		t.Errorf("i386-only ulong is %s, want uint32", got)
	}
}

// TestParseErrors checks that malformed descriptions are refused with
// their line.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"struct a\n\tx u8\n", "capitalized"},
		{"\tx u8\n", "outside a structure"},
		{"struct A\n\tx u9\n", "unknown type"},
		{"struct A\n\tx u8[\n", "bad array"},
		{"struct A\n\tx u8[-1]\n", "bad array length"},
		{"struct A i386\n\tx amd64=u8\n", "not one of"},
		{"struct A\n\tx i386=u8 i386=u16\n", "two types"},
		{"struct A\n\tx u8\n\tx u16\n", "twice"},
		{"struct A\n\tx u8 u16\n", "one TYPE"},
		{"struct A\n\tx u8\nstruct A\n\ty u8\n", "described twice"},
		{"struct A\n", "no fields"},
		{"struct B amd64\n\tx u8\nstruct A\n\tb B\n", "no i386 layout"},
		{"struct A\n\tx i386=u8[2] amd64=u8[3]\n", "array lengths"},
		{"struct A weird\n\tx u8\n", "attribute"},
	} {
		_, err := parse(strings.NewReader(c.src), "t.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parse(%q) = %v, want an error with %q", c.src, err, c.want)
		}
	}
}

// TestGenerate checks that the generated code is valid Go (format.Source
// parses it) and names what the layout says.
func TestGenerate(t *testing.T) {
	ss := mustParse(t, "struct A\n\ta u8\n\tb u64\nstruct B i386\n\tx A[2]\n\ty s16[3]\n")
	code, err := generate(ss, "p", "cpu.", "t.txt")
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(code)), " ")
	for _, want := range []string{
		"sizeofAI386 = 12", "offAAMD64B = 8", "func (v *cA) encode(abi cpu.ABI, b []byte) []byte",
		"if abi == cpu.ABIi386 {", "v.X[i].encodeI386(b[offBI386X+i*12:])", "sizeofBI386 = 32",
		"v.Y[i] = int16(binary.LittleEndian.Uint16(b[offBI386Y+i*2:]))",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("generated code lacks %q:\n%s", want, code)
		}
	}
	if _, err := generateLayout(ss, "p", "t.txt"); err != nil {
		t.Fatal(err)
	}
}
