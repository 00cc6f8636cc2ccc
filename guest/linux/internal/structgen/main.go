// Command structgen writes the guest-structure codecs of the Linux layer
// from one description of each structure's fields (guest/linux_structs.txt,
// whose header explains the format): for each structure a Go type, its
// sizes and field offsets per ABI as constants, and encode/decode methods
// that write and read the structure at those offsets, little-endian, in
// byte slices; and, for tests, a table of every layout.
//
//	go run ./internal/structgen -in linux_structs.txt -out linux_structs_gen.go -layout linux_structs_layout_gen_test.go
//
// The package name is $GOPACKAGE (set by go generate) or -pkg. -abi is
// the qualifier of the ABI type and its constants (ABI, ABIi386,
// ABIAMD64) in the generated code, empty when they are the package's own.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "", "the structure description")
	out := flag.String("out", "", "the Go file to write")
	layout := flag.String("layout", "", "the Go test file to write the layout table to (none when empty)")
	pkg := flag.String("pkg", os.Getenv("GOPACKAGE"), "the package name")
	abi := flag.String("abi", "", "the qualifier of ABI, ABIi386 and ABIAMD64 (e.g. \"cpu.\")")
	flag.StringVar(&abiImport, "abi-import", "", "the import path of the package -abi names (e.g. github.com/minemu/minemu/guest/cpu)")
	flag.Parse()
	if *in == "" || *out == "" || *pkg == "" {
		fmt.Fprintln(os.Stderr, "usage: structgen -in FILE -out FILE [-layout FILE] [-pkg NAME] [-abi QUALIFIER]")
		os.Exit(2)
	}
	if err := run(*in, *out, *layout, *pkg, *abi); err != nil {
		fmt.Fprintln(os.Stderr, "structgen:", err)
		os.Exit(1)
	}
}

func run(in, out, layout, pkg, abi string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	structs, err := parse(f, in)
	if err != nil {
		return err
	}
	src := inputName(in)
	code, err := generate(structs, pkg, abi, src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, code, 0o644); err != nil {
		return err
	}
	if layout == "" {
		return nil
	}
	table, err := generateLayout(structs, pkg, src)
	if err != nil {
		return err
	}
	return os.WriteFile(layout, table, 0o644)
}

// inputName is the description's file name as the generated header cites
// it (without directories, so that the output does not depend on where
// the generator ran).
func inputName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// abiDesc is one ABI's data model.
type abiDesc struct {
	name   string // as in the description: i386, amd64
	suffix string // of generated names: I386, AMD64
	konst  string // the ABI constant: ABIi386, ABIAMD64
	long   int    // sizeof(long), of pointers too
	maxAln int    // the largest alignment of a scalar inside a structure
}

var abis = []abiDesc{
	{name: "i386", suffix: "I386", konst: "ABIi386", long: 4, maxAln: 4},
	{name: "amd64", suffix: "AMD64", konst: "ABIAMD64", long: 8, maxAln: 8},
}

func abiByName(n string) (int, bool) {
	for i, a := range abis {
		if a.name == n {
			return i, true
		}
	}
	return 0, false
}

// typ is a field's type in one ABI.
type typ struct {
	scalar string // u8 .. s64, long, ulong, ptr; "" for a structure
	st     *strct // the nested structure
	n      int    // array length; -1 when not an array
}

// field is one line of a structure: its type per ABI (nil where the line
// does not apply).
type field struct {
	name  string
	types []*typ // indexed like abis
	line  int
}

type strct struct {
	name   string
	doc    []string
	in     []bool // indexed like abis
	packed bool
	fields []*field

	// Computed by layout: per ABI, the offset of each field (-1 where the
	// field is not in that ABI), the size and the alignment.
	offs  [][]int
	size  []int
	align []int
	// same is set when the structure has one layout in both ABIs.
	same bool
}

// parse reads a description.
func parse(r io.Reader, file string) ([]*strct, error) {
	var out []*strct
	byName := map[string]*strct{}
	var cur *strct
	var doc []string
	sc := bufio.NewScanner(r)
	ln := 0
	errf := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, ln, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		ln++
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" {
			doc = nil
			continue
		}
		if strings.HasPrefix(line, "#") {
			if cur == nil || raw[0] == '#' {
				doc = append(doc, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			}
			continue
		}
		words := strings.Fields(line)
		if raw[0] != ' ' && raw[0] != '\t' {
			if words[0] != "struct" || len(words) < 2 {
				return nil, errf("want \"struct NAME ...\", got %q", line)
			}
			name := words[1]
			if !isIdent(name) || strings.ToUpper(name[:1]) != name[:1] {
				return nil, errf("structure name %q must be a capitalized identifier", name)
			}
			if byName[name] != nil {
				return nil, errf("structure %s described twice", name)
			}
			cur = &strct{name: name, doc: doc, in: make([]bool, len(abis))}
			doc = nil
			any := false
			for _, w := range words[2:] {
				if w == "packed" {
					cur.packed = true
					continue
				}
				i, ok := abiByName(w)
				if !ok {
					return nil, errf("unknown structure attribute %q", w)
				}
				cur.in[i], any = true, true
			}
			if !any {
				for i := range cur.in {
					cur.in[i] = true
				}
			}
			byName[name] = cur
			out = append(out, cur)
			continue
		}
		if cur == nil {
			return nil, errf("field outside a structure")
		}
		doc = nil
		if len(words) < 2 {
			return nil, errf("want \"FIELD TYPE\", got %q", line)
		}
		f := &field{name: words[0], types: make([]*typ, len(abis)), line: ln}
		if f.name != "_" && !isIdent(f.name) {
			return nil, errf("bad field name %q", f.name)
		}
		for _, w := range words[1:] {
			abiName, spec, perABI := strings.Cut(w, "=")
			if !perABI {
				if len(words) != 2 {
					return nil, errf("a field has one TYPE or ABI=TYPE entries: %q", line)
				}
				t, err := parseType(w, byName)
				if err != nil {
					return nil, errf("%v", err)
				}
				for i := range abis {
					if cur.in[i] {
						f.types[i] = t
					}
				}
				continue
			}
			i, ok := abiByName(abiName)
			if !ok || !cur.in[i] {
				return nil, errf("ABI %q is not one of structure %s's", abiName, cur.name)
			}
			if f.types[i] != nil {
				return nil, errf("two types for ABI %s", abiName)
			}
			t, err := parseType(spec, byName)
			if err != nil {
				return nil, errf("%v", err)
			}
			f.types[i] = t
		}
		for i, t := range f.types {
			if t != nil && t.st != nil {
				if !t.st.in[i] {
					return nil, errf("structure %s has no %s layout", t.st.name, abis[i].name)
				}
			}
		}
		if f.name != "_" {
			for _, g := range cur.fields {
				if g.name != f.name {
					continue
				}
				for i := range abis {
					if g.types[i] != nil && f.types[i] != nil {
						return nil, errf("field %s twice in ABI %s", f.name, abis[i].name)
					}
				}
			}
		}
		cur.fields = append(cur.fields, f)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, s := range out {
		if len(s.fields) == 0 {
			return nil, fmt.Errorf("%s: structure %s has no fields", file, s.name)
		}
		if err := s.layout(); err != nil {
			return nil, fmt.Errorf("%s: structure %s: %v", file, s.name, err)
		}
	}
	return out, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

var scalars = map[string]bool{
	"u8": true, "u16": true, "u32": true, "u64": true,
	"s8": true, "s16": true, "s32": true, "s64": true,
	"long": true, "ulong": true, "ptr": true,
}

func parseType(s string, byName map[string]*strct) (*typ, error) {
	t := &typ{n: -1}
	if i := strings.IndexByte(s, '['); i >= 0 {
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("bad array type %q", s)
		}
		n, err := strconv.Atoi(s[i+1 : len(s)-1])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad array length in %q", s)
		}
		t.n, s = n, s[:i]
	}
	if scalars[s] {
		t.scalar = s
		return t, nil
	}
	if st := byName[s]; st != nil {
		t.st = st
		return t, nil
	}
	return nil, fmt.Errorf("unknown type %q", s)
}

// scalarSize is the size of a scalar in ABI a.
func scalarSize(s string, a abiDesc) int {
	switch s {
	case "u8", "s8":
		return 1
	case "u16", "s16":
		return 2
	case "u32", "s32":
		return 4
	case "u64", "s64":
		return 8
	}
	return a.long
}

func signed(s string) bool { return s[0] == 's' || s == "long" }

// elemSize and elemAlign are the size and alignment of one element of t in
// ABI i.
func (t *typ) elemSize(i int) int {
	if t.st != nil {
		return t.st.size[i]
	}
	return scalarSize(t.scalar, abis[i])
}

func (t *typ) elemAlign(i int) int {
	if t.st != nil {
		return t.st.align[i]
	}
	return min(scalarSize(t.scalar, abis[i]), abis[i].maxAln)
}

func (t *typ) size(i int) int {
	if t.n >= 0 {
		return t.n * t.elemSize(i)
	}
	return t.elemSize(i)
}

func (s *strct) layout() error {
	s.offs = make([][]int, len(abis))
	s.size = make([]int, len(abis))
	s.align = make([]int, len(abis))
	for i := range abis {
		s.offs[i] = make([]int, len(s.fields))
		if !s.in[i] {
			continue
		}
		off, aln := 0, 1
		for j, f := range s.fields {
			t := f.types[i]
			if t == nil {
				s.offs[i][j] = -1
				continue
			}
			a := t.elemAlign(i)
			if s.packed {
				a = 1
			}
			off = (off + a - 1) / a * a
			s.offs[i][j] = off
			off += t.size(i)
			aln = max(aln, a)
		}
		s.size[i] = (off + aln - 1) / aln * aln
		s.align[i] = aln
	}
	for _, f := range s.goFields() {
		if _, err := f.goType(); err != nil {
			return err
		}
	}
	s.same = s.in[0] && s.in[1] && s.size[0] == s.size[1]
	for j, f := range s.fields {
		if s.same && !sameLine(f, s.offs[0][j], s.offs[1][j]) {
			s.same = false
		}
	}
	return nil
}

// sameLine reports whether field line f, at offsets o0 and o1 in the two
// ABIs, is encoded identically in both.
func sameLine(f *field, o0, o1 int) bool {
	a, b := f.types[0], f.types[1]
	if a == nil || b == nil || o0 != o1 || a.size(0) != b.size(1) {
		return false
	}
	if f.name == "_" {
		return true
	}
	if a.n != b.n || a.st != b.st {
		return false
	}
	if a.st != nil {
		return a.st.same
	}
	return signed(a.scalar) == signed(b.scalar)
}

// goField is a named field of the Go type: the lines of that name.
type goField struct {
	name  string
	lines []int // indexes into strct.fields
	s     *strct
}

func (s *strct) goFields() []*goField {
	var out []*goField
	idx := map[string]*goField{}
	for j, f := range s.fields {
		if f.name == "_" {
			continue
		}
		g := idx[f.name]
		if g == nil {
			g = &goField{name: f.name, s: s}
			idx[f.name] = g
			out = append(out, g)
		}
		g.lines = append(g.lines, j)
	}
	return out
}

// typeIn is the field's type in ABI i, and its line; nil when absent.
func (g *goField) typeIn(i int) (*typ, int) {
	for _, j := range g.lines {
		if t := g.s.fields[j].types[i]; t != nil {
			return t, j
		}
	}
	return nil, -1
}

// goType is the field's Go type: the widest of its ABIs' types, signed
// only when every one is; "" for a zero-length array (no Go field).
func (g *goField) goType() (string, error) {
	width, sgn, n := 0, true, -2
	var st *strct
	for i := range abis {
		t, _ := g.typeIn(i)
		if t == nil {
			continue
		}
		if n != -2 && t.n != n {
			return "", fmt.Errorf("field %s: array lengths differ between ABIs", g.name)
		}
		n = t.n
		if t.st != nil {
			if st != nil && st != t.st || width != 0 {
				return "", fmt.Errorf("field %s: types differ between ABIs", g.name)
			}
			st = t.st
			continue
		}
		if st != nil {
			return "", fmt.Errorf("field %s: types differ between ABIs", g.name)
		}
		width = max(width, scalarSize(t.scalar, abis[i]))
		sgn = sgn && signed(t.scalar)
	}
	if n == 0 {
		return "", nil
	}
	elem := ""
	if st != nil {
		elem = "c" + st.name
	} else if width == 1 && !sgn {
		elem = "byte"
	} else if sgn {
		elem = "int" + strconv.Itoa(8*width)
	} else {
		elem = "uint" + strconv.Itoa(8*width)
	}
	if n > 0 {
		return "[" + strconv.Itoa(n) + "]" + elem, nil
	}
	return elem, nil
}

// goElem is the element type of goType.
func goElem(t string) string {
	if i := strings.IndexByte(t, ']'); i >= 0 {
		return t[i+1:]
	}
	return t
}

// camel turns a description name into a Go one: entry_number ->
// EntryNumber.
func camel(s string) string {
	var b strings.Builder
	for _, p := range strings.Split(s, "_") {
		if p != "" {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}

// variants are the layouts generated for s: one ABI index per variant,
// with the suffix of its names ("" for a layout both ABIs share).
func (s *strct) variants() (idx []int, suffix []string) {
	if s.same {
		return []int{0}, []string{""}
	}
	for i := range abis {
		if s.in[i] {
			idx = append(idx, i)
			suffix = append(suffix, abis[i].suffix)
		}
	}
	return idx, suffix
}

func (s *strct) sizeConst(suffix string) string { return "sizeof" + s.name + suffix }

func (s *strct) offConst(suffix, f string) string { return "off" + s.name + suffix + camel(f) }

// methodSuffix is the suffix of the encode/decode methods of nested
// structure st in ABI i.
func methodSuffix(st *strct, i int) string {
	if st.same {
		return ""
	}
	return abis[i].suffix
}

// abiImport is the import path of the package the -abi qualifier names;
// empty when ABI is the generated package's own. Set once from the flags.
var abiImport string

type gen struct {
	bytes.Buffer
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(g, format+"\n", args...) }

func generate(structs []*strct, pkg, abiQ, src string) ([]byte, error) {
	var g gen
	g.p("// Code generated by structgen from %s; DO NOT EDIT.", src)
	g.p("")
	g.p("package %s", pkg)
	g.p("")
	if abiImport == "" {
		g.p("import \"encoding/binary\"")
	} else {
		g.p("import (")
		g.p("\t\"encoding/binary\"")
		g.p("")
		g.p("\t%q", abiImport)
		g.p(")")
	}
	for _, s := range structs {
		g.p("")
		for k, d := range s.doc {
			if k == 0 && strings.HasPrefix(d, s.name+" ") {
				d = "c" + d
			}
			if d == "" {
				g.p("//")
			} else {
				g.p("// %s", d)
			}
		}
		g.p("type c%s struct {", s.name)
		for _, f := range s.goFields() {
			t, _ := f.goType()
			if t != "" {
				g.p("\t%s %s", camel(f.name), t)
			}
		}
		g.p("}")
		idx, sfx := s.variants()
		g.p("")
		g.p("// Layout of c%s.", s.name)
		g.p("const (")
		for k, i := range idx {
			g.p("\t%s = %d", s.sizeConst(sfx[k]), s.size[i])
			for _, f := range s.goFields() {
				if _, j := f.typeIn(i); j >= 0 {
					g.p("\t%s = %d", s.offConst(sfx[k], f.name), s.offs[i][j])
				}
			}
		}
		if len(idx) == 2 {
			g.p("\t%s = max(%s, %s)", s.sizeConst("Max"), s.sizeConst(sfx[0]), s.sizeConst(sfx[1]))
		}
		g.p(")")
		for k, i := range idx {
			g.encode(s, i, sfx[k])
			g.decode(s, i, sfx[k])
		}
		if len(idx) == 2 {
			a, b := abis[idx[0]], abis[idx[1]]
			g.p("")
			g.p("// sizeof%s is the size of c%s in abi.", s.name, s.name)
			g.p("func sizeof%s(abi %sABI) int {", s.name, abiQ)
			g.p("\tif abi == %s%s {", abiQ, a.konst)
			g.p("\t\treturn %s", s.sizeConst(a.suffix))
			g.p("\t}")
			g.p("\treturn %s", s.sizeConst(b.suffix))
			g.p("}")
			g.p("")
			g.p("// encode writes v in abi's layout into b and returns the structure's bytes.")
			g.p("func (v *c%s) encode(abi %sABI, b []byte) []byte {", s.name, abiQ)
			g.p("\tif abi == %s%s {", abiQ, a.konst)
			g.p("\t\treturn v.encode%s(b)", a.suffix)
			g.p("\t}")
			g.p("\treturn v.encode%s(b)", b.suffix)
			g.p("}")
			g.p("")
			g.p("// decode reads v from b in abi's layout.")
			g.p("func (v *c%s) decode(abi %sABI, b []byte) {", s.name, abiQ)
			g.p("\tif abi == %s%s {", abiQ, a.konst)
			g.p("\t\tv.decode%s(b)", a.suffix)
			g.p("\t\treturn")
			g.p("\t}")
			g.p("\tv.decode%s(b)", b.suffix)
			g.p("}")
		}
	}
	code, err := format.Source(g.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the generated code: %v", err)
	}
	return code, nil
}

// put is the statement that writes value x of scalar type sc at b[off].
func put(sc string, i int, off, x string) string {
	switch scalarSize(sc, abis[i]) {
	case 1:
		return fmt.Sprintf("b[%s] = byte(%s)", off, x)
	case 2:
		return fmt.Sprintf("binary.LittleEndian.PutUint16(b[%s:], uint16(%s))", off, x)
	case 4:
		return fmt.Sprintf("binary.LittleEndian.PutUint32(b[%s:], uint32(%s))", off, x)
	}
	return fmt.Sprintf("binary.LittleEndian.PutUint64(b[%s:], uint64(%s))", off, x)
}

// get is the expression that reads scalar type sc at b[off] as Go type gt,
// sign-extending a signed one.
func get(sc string, i int, off, gt string) string {
	n := scalarSize(sc, abis[i])
	var raw string
	switch n {
	case 1:
		raw = fmt.Sprintf("b[%s]", off)
	default:
		raw = fmt.Sprintf("binary.LittleEndian.Uint%d(b[%s:])", 8*n, off)
	}
	rt := "uint" + strconv.Itoa(8*n)
	if n == 1 {
		rt = "byte"
	}
	if signed(sc) {
		rt = "int" + strconv.Itoa(8*n)
		raw = fmt.Sprintf("%s(%s)", rt, raw)
	}
	if gt == rt {
		return raw
	}
	return fmt.Sprintf("%s(%s)", gt, raw)
}

func (g *gen) encode(s *strct, i int, sfx string) {
	size := s.sizeConst(sfx)
	g.p("")
	if sfx == "" {
		g.p("// encode writes v into b (both ABIs' layout) and returns the structure's bytes.")
	} else {
		g.p("// encode%s writes v into b in %s's layout and returns the structure's bytes.", sfx, abis[i].name)
	}
	g.p("func (v *c%s) encode%s(b []byte) []byte {", s.name, sfx)
	g.p("\tb = b[:%s]", size)
	g.p("\tclear(b)")
	for _, f := range s.goFields() {
		t, _ := f.typeIn(i)
		gt, _ := f.goType()
		if t == nil || gt == "" {
			continue
		}
		off := s.offConst(sfx, f.name)
		name := "v." + camel(f.name)
		switch {
		case t.st != nil && t.n < 0:
			g.p("\t%s.encode%s(b[%s:])", name, methodSuffix(t.st, i), off)
		case t.st != nil:
			g.p("\tfor i := range %s {", name)
			g.p("\t\t%s[i].encode%s(b[%s+i*%d:])", name, methodSuffix(t.st, i), off, t.elemSize(i))
			g.p("\t}")
		case t.n >= 0 && goElem(gt) == "byte" && scalarSize(t.scalar, abis[i]) == 1:
			g.p("\tcopy(b[%s:%s+%d], %s[:])", off, off, t.n, name)
		case t.n >= 0:
			g.p("\tfor i, x := range %s {", name)
			g.p("\t\t%s", put(t.scalar, i, fmt.Sprintf("%s+i*%d", off, t.elemSize(i)), "x"))
			g.p("\t}")
		default:
			g.p("\t%s", put(t.scalar, i, off, name))
		}
	}
	g.p("\treturn b")
	g.p("}")
}

func (g *gen) decode(s *strct, i int, sfx string) {
	size := s.sizeConst(sfx)
	g.p("")
	if sfx == "" {
		g.p("// decode reads v from b (both ABIs' layout).")
	} else {
		g.p("// decode%s reads v from b in %s's layout.", sfx, abis[i].name)
	}
	g.p("func (v *c%s) decode%s(b []byte) {", s.name, sfx)
	g.p("\tb = b[:%s]", size)
	for _, f := range s.goFields() {
		t, _ := f.typeIn(i)
		gt, _ := f.goType()
		if gt == "" {
			continue
		}
		name := "v." + camel(f.name)
		if t == nil {
			// Not in this ABI: zero, so that a decoded value never
			// carries a field of another layout.
			zero := "0"
			if strings.HasPrefix(gt, "[") || strings.HasPrefix(gt, "c") {
				zero = gt + "{}"
			}
			g.p("\t%s = %s", name, zero)
			continue
		}
		off := s.offConst(sfx, f.name)
		switch {
		case t.st != nil && t.n < 0:
			g.p("\t%s.decode%s(b[%s:])", name, methodSuffix(t.st, i), off)
		case t.st != nil:
			g.p("\tfor i := range %s {", name)
			g.p("\t\t%s[i].decode%s(b[%s+i*%d:])", name, methodSuffix(t.st, i), off, t.elemSize(i))
			g.p("\t}")
		case t.n >= 0 && goElem(gt) == "byte" && scalarSize(t.scalar, abis[i]) == 1:
			g.p("\tcopy(%s[:], b[%s:%s+%d])", name, off, off, t.n)
		case t.n >= 0:
			g.p("\tfor i := range %s {", name)
			g.p("\t\t%s[i] = %s", name, get(t.scalar, i, fmt.Sprintf("%s+i*%d", off, t.elemSize(i)), goElem(gt)))
			g.p("\t}")
		default:
			g.p("\t%s = %s", name, get(t.scalar, i, off, gt))
		}
	}
	g.p("}")
}

// generateLayout writes the test table of every structure's size and
// field offsets and sizes, per ABI, by the generated constants.
func generateLayout(structs []*strct, pkg, src string) ([]byte, error) {
	var g gen
	g.p("// Code generated by structgen from %s; DO NOT EDIT.", src)
	g.p("")
	g.p("package %s", pkg)
	g.p("")
	g.p("// cLayout is a structure's size (Field empty) or a field's offset and")
	g.p("// size in one ABI, as the generated constants give them.")
	g.p("type cLayout struct {")
	g.p("\tStruct, ABI, Field string")
	g.p("\tOff, Size         int")
	g.p("}")
	g.p("")
	g.p("// cLayouts are the layouts of every generated structure.")
	g.p("var cLayouts = []cLayout{")
	for _, s := range structs {
		idx, sfx := s.variants()
		for i := range abis {
			if !s.in[i] {
				continue
			}
			k := 0
			if len(idx) == 2 {
				k = i
			}
			g.p("\t{%q, %q, \"\", 0, %s},", s.name, abis[i].name, s.sizeConst(sfx[k]))
			for _, f := range s.goFields() {
				t, _ := f.typeIn(i)
				if t == nil {
					continue
				}
				g.p("\t{%q, %q, %q, %s, %d},", s.name, abis[i].name, f.name, s.offConst(sfx[k], f.name), t.size(i))
			}
		}
	}
	g.p("}")
	code, err := format.Source(g.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the generated layout table: %v", err)
	}
	return code, nil
}
