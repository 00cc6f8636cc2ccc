package thunks

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
	"golang.org/x/sys/unix"
)

func TestParseDecl(t *testing.T) {
	types := map[string]Kind{"uLong": KindSize, "cb_fn": KindPtr, "u32": KindInt}
	for _, c := range []struct {
		decl, name, result string
		kind               Kind
		params             []Param
	}{
		{"int f(void)", "f", "int", KindInt, nil},
		{"void g()", "g", "void", KindVoid, nil},
		{"  char *dup(const char* s) ;", "dup", "char *", KindPtr, []Param{{"s", "const char *", KindPtr}}},
		{"uLong bound(uLong n)", "bound", "uLong", KindSize, []Param{{"n", "uLong", KindSize}}},
		{"long h(unsigned int a, size_t b, char **c, cb_fn d, u32 e, const struct s *f)", "h", "long", KindSize,
			[]Param{{"a", "unsigned int", KindInt}, {"b", "size_t", KindSize}, {"c", "char **", KindPtr},
				{"d", "cb_fn", KindPtr}, {"e", "u32", KindInt}, {"f", "const struct s *", KindPtr}}},
	} {
		name, params, result, kind, err := parseDecl(c.decl, types)
		if err != nil || name != c.name || result != c.result || kind != c.kind || len(params) != len(c.params) {
			t.Fatalf("%q: got %q %v %q %v, %v", c.decl, name, params, result, kind, err)
		}
		for i := range params {
			if params[i] != c.params[i] {
				t.Fatalf("%q: parameter %d = %+v, want %+v", c.decl, i, params[i], c.params[i])
			}
		}
	}
	for _, bad := range []string{
		"int f",                     // no parameter list
		"int f(int (*cb)(int))",     // a function pointer without a typedef
		"double f(int x)",           // floating point
		"int f(long long x)",        // 64 bits on i386
		"int f(uint64_t x)",         // 64 bits on i386
		"int f(void x)",             // void parameter
		"int f(mystery x)",          // unknown typedef
		"int (x)",                   // no name
		"int f(int)",                // no parameter name
		"int 9f(int x)",             // not an identifier
		"int f(int x, int y) extra", // trailing text
		"int f(int a-b)",            // bad type
	} {
		if _, _, _, _, err := parseDecl(bad, types); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// testLib is a library over the env: it exercises Call's accessors.
func testLib(calls *int) *Library {
	return &Library{
		Name:    "tlib",
		Prelude: "typedef int (*tlib_fn)(int);",
		Types:   map[string]Kind{"tlib_fn": KindPtr},
		Funcs: []Function{
			{Decl: "long tlib_neg(long v)", Impl: func(c Call) (uint64, error) { *calls++; return uint64(-c.Signed(0)), nil }},
			{Decl: "int tlib_len(const char *s)", Impl: func(c Call) (uint64, error) {
				s, err := c.CString(c.Ptr(0))
				if err != nil {
					return negErrno(unix.EFAULT), nil
				}
				return uint64(len(s)), nil
			}},
			{Decl: "char *tlib_host(size_t n)", Impl: func(c Call) (uint64, error) {
				p, err := c.Alloc(c.Arg(0))
				return uint64(p), err
			}},
			{Decl: "int tlib_call(tlib_fn fn, int v)", Impl: func(c Call) (uint64, error) {
				return c.CallGuest(c.Arg(0), uint64(c.Int(1)))
			}},
			{Decl: "int tlib_put(unsigned char *p, size_t n)", Impl: func(c Call) (uint64, error) {
				if err := c.Write(c.Ptr(0), bytes.Repeat([]byte{7}, int(c.Arg(1)))); err != nil {
					return negErrno(unix.EFAULT), nil
				}
				return 0, nil
			}},
		},
		NewState: func() any { return new(int) },
	}
}

// TestLibraryRegisteredAndCalled: a Library's functions are registered
// under "name:function", called with their arguments, and reach guest
// memory, the host heap and callbacks only through Call's checks.
func TestLibraryRegisteredAndCalled(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		var calls int
		l := testLib(&calls)
		if err := registerLibrary(e.reg, e.lib, l); err != nil {
			t.Fatal(err)
		}
		call := func(name string, args ...uint64) uint64 {
			t.Helper()
			id, err := e.reg.Resolve(Hash("tlib", name))
			if err != nil {
				t.Fatal(err)
			}
			lay := LayoutFor(e.mode, len(args))
			base := e.scratch.Start + 0x800
			if err := lay.pack(e.mem, base, args); err != nil {
				t.Fatal(err)
			}
			setArgPointer(e, base)
			if err := e.reg.Call(id, e.cpu); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			_, ret, _ := lay.unpack(e.mem, base)
			return ret
		}
		w := WordWidth(e.mode)
		mask := ^uint64(0) >> (64 - 8*w)
		five := int64(5)
		if got := call("tlib_neg", 5&mask); got != uint64(-five)&mask || calls != 1 {
			t.Fatalf("tlib_neg(5) = %#x, calls %d", got, calls)
		}
		if got := call("tlib_len", uint64(e.str("four"))); got != 4 {
			t.Fatalf("tlib_len = %d", got)
		}
		if got := int32(uint32(call("tlib_len", 0x10))); got != -int32(unix.EFAULT) {
			t.Fatalf("tlib_len(unmapped) = %d, want -EFAULT", got)
		}
		p := call("tlib_host", 40)
		if !e.heap.Owns(mm.Addr(p)) {
			t.Fatalf("tlib_host = %#x, not a host-heap allocation", p)
		}
		ro := e.mmap(mm.PageSize, unix.PROT_READ)
		if got := int32(uint32(call("tlib_put", uint64(ro.Start), 4))); got != -int32(unix.EFAULT) {
			t.Fatalf("tlib_put(read-only) = %d, want -EFAULT", got)
		}
		if got := call("tlib_put", p, 4); got != 0 {
			t.Fatalf("tlib_put(host block) = %d", got)
		}
		// A callback to the guest heap's "malloc" (the fake guest
		// function of env) returns a guest block; a data address is
		// refused before anything runs, fatally.
		before := e.lib.Stats().Callbacks
		if got := call("tlib_call", e.gh.malloc, 16); got == 0 || e.lib.Stats().Callbacks != before+1 {
			t.Fatalf("tlib_call = %#x, callbacks %d", got, e.lib.Stats().Callbacks)
		}
		id, _ := e.reg.Resolve(Hash("tlib", "tlib_call"))
		base := e.scratch.Start + 0x800
		_ = LayoutFor(e.mode, 2).pack(e.mem, base, []uint64{uint64(e.scratch.Start), 1})
		setArgPointer(e, base)
		if err := e.reg.Call(id, e.cpu); err == nil || !strings.Contains(err.Error(), "not in executable guest memory") {
			t.Fatalf("tlib_call(data address) = %v, want a fatal error", err)
		}
		if r := e.intResult(e.mustCall("free", p)); r != 0 {
			t.Fatalf("free(library's host block) = %d", r)
		}
	})
}

func setArgPointer(e *env, base mm.Addr) {
	e.cpu.Regs[cpu.RCX], e.cpu.Regs[cpu.RDI] = uint64(base), uint64(base)
}

// TestLibrarySpecsAndHeader: a bad library is refused; a good one's header
// has a wrapper per function and its stubs file defines each function
// under its own name.
func TestLibrarySpecsAndHeader(t *testing.T) {
	var n int
	l := testLib(&n)
	var h, c bytes.Buffer
	if err := WriteLibraryHeader(&h, l); err != nil {
		t.Fatal(err)
	}
	if err := WriteLibraryStubs(&c, l); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"static inline long minemu_tlib_neg(long v)", "typedef int (*tlib_fn)(int);",
		"long tlib_neg(long v);", "#ifndef MINEMU_TLIB_H", "struct minemu_args_tlib_call {"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("header lacks %q", want)
		}
	}
	for _, want := range []string{"#include \"minemu_tlib.h\"", "int tlib_call(tlib_fn fn, int v)\n{\n\treturn minemu_tlib_call(fn, v);\n}"} {
		if !strings.Contains(c.String(), want) {
			t.Errorf("stubs lack %q:\n%s", want, c.String())
		}
	}
	for _, bad := range []*Library{
		{Name: "minemu", Funcs: l.Funcs},
		{Name: "bad name", Funcs: l.Funcs},
		{Name: "dup", Funcs: []Function{l.Funcs[0], l.Funcs[0]}},
		{Name: "noimpl", Funcs: []Function{{Decl: "int f(void)"}}},
		{Name: "many", Funcs: []Function{{Decl: "int f(int a, int b, int c, int d, int e, int f, int g)", Impl: l.Funcs[0].Impl}}},
	} {
		if _, err := bad.Specs(); err == nil {
			t.Errorf("library %q accepted", bad.Name)
		}
	}
	if err := CheckGenerated(l, "/nonexistent.h", "/nonexistent.c"); err == nil || !errors.Is(err, unix.ENOENT) {
		t.Errorf("CheckGenerated of missing files = %v", err)
	}
}
