package thunks

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
	"golang.org/x/sys/unix"
)

func TestHashMatchesSHA256Tool(t *testing.T) {
	// Expected values computed with `printf 'minemu:strdup' | sha256sum`.
	for _, tc := range []struct{ lib, fn, want string }{
		{"minemu", "strdup", "ebf3aae02f57fbea11bde669d7ed853b206dd1ec0c4346967213c67b603729bc"},
		{"minemu", "free_any", "f567f131eecf571f6181125709ef98a81c73842adf582d52bfbfd33eb706356b"},
	} {
		h := Hash(tc.lib, tc.fn)
		if got := hex.EncodeToString(h[:]); got != tc.want {
			t.Fatalf("Hash(%q, %q) = %s, want %s", tc.lib, tc.fn, got, tc.want)
		}
	}
}

// addSpec is a test function: add(a, b, c) = a + b + c, recording what the
// host saw.
var addSpec = Spec{Library: "test", Name: "add", Params: []Param{
	{Name: "a", CType: "size_t", Kind: KindSize},
	{Name: "b", CType: "int", Kind: KindInt},
	{Name: "c", CType: "void *", Kind: KindPtr},
}, Result: "size_t", ResultKind: KindSize}

func TestRegisterAndResolve(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	if err := e.reg.Register(addSpec, func(c *cpu.CPU, a Args) (uint64, error) { return 0, nil }); err != nil {
		t.Fatalf("Register: %v", err)
	}
	specs := append(HostLibSpecs(), addSpec)
	seen := map[uint32]bool{}
	for _, s := range specs {
		id, err := e.reg.Resolve(Hash(s.Library, s.Name))
		if err != nil {
			t.Fatalf("Resolve(%s): %v", s.FullName(), err)
		}
		if id == 0 || seen[id] {
			t.Fatalf("Resolve(%s) = %d: zero or duplicate id", s.FullName(), id)
		}
		seen[id] = true
		got, ok := e.reg.Spec(id)
		if !ok || got.FullName() != s.FullName() {
			t.Fatalf("Spec(%d) = %q, %v, want %q", id, got.FullName(), ok, s.FullName())
		}
	}
	if err := e.reg.Register(addSpec, func(c *cpu.CPU, a Args) (uint64, error) { return 0, nil }); err == nil ||
		!strings.Contains(err.Error(), "test:add registered twice") {
		t.Fatalf("second Register = %v, want a duplicate error", err)
	}
	if _, ok := e.reg.Spec(0); ok {
		t.Fatalf("Spec(0) ok, want no such id")
	}
	if err := e.reg.Call(9999, e.cpu); err == nil || !strings.Contains(err.Error(), "no thunk with id 9999") {
		t.Fatalf("Call(9999) = %v, want an unknown-id error", err)
	}
}

func TestRegisterRejectsMalformedSpecs(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	fn := func(c *cpu.CPU, a Args) (uint64, error) { return 0, nil }
	p := func(n string) Param { return Param{Name: n, CType: "int", Kind: KindInt} }
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"bad library", Spec{Library: "a:b", Name: "f", Result: "int", ResultKind: KindInt}, "C identifiers"},
		{"empty name", Spec{Library: "x", Name: "", Result: "int", ResultKind: KindInt}, "C identifiers"},
		{"digit first", Spec{Library: "x", Name: "1f", Result: "int", ResultKind: KindInt}, "C identifiers"},
		{"too many params", Spec{Library: "x", Name: "f", Params: []Param{p("a"), p("b"), p("c"), p("d"), p("e"), p("f"), p("g")}, Result: "int", ResultKind: KindInt}, "at most 6"},
		{"duplicate param", Spec{Library: "x", Name: "f", Params: []Param{p("a"), p("a")}, Result: "int", ResultKind: KindInt}, "duplicate parameter"},
		{"param named ret", Spec{Library: "x", Name: "f", Params: []Param{p("ret")}, Result: "int", ResultKind: KindInt}, "duplicate parameter"},
		{"void param", Spec{Library: "x", Name: "f", Params: []Param{{Name: "a", CType: "void", Kind: KindVoid}}, Result: "int", ResultKind: KindInt}, "bad kind"},
		{"no result type", Spec{Library: "x", Name: "f", ResultKind: KindInt}, "bad result"},
		{"bad C name", Spec{Library: "x", Name: "f", Result: "int", ResultKind: KindInt, CName: "a b"}, "bad C name"},
	} {
		err := e.reg.Register(tc.spec, fn)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Register = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if err := e.reg.Register(Spec{Library: "x", Name: "f", Result: "int", ResultKind: KindInt}, nil); err == nil {
		t.Errorf("Register(nil func) succeeded")
	}
}

func TestUnknownHashError(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	h := Hash("libfoo", "bar")
	hexh := hex.EncodeToString(h[:])

	_, err := e.reg.Resolve(h)
	var uh *UnknownHashError
	if !errors.As(err, &uh) || uh.Hash != h || uh.Name != "" {
		t.Fatalf("Resolve(unknown) = %v, want *UnknownHashError without a name", err)
	}
	if want := "thunks: unknown thunk hash " + hexh; err.Error() != want {
		t.Fatalf("error text %q, want %q", err.Error(), want)
	}

	e.reg.KnowName("libfoo:bar")
	_, err = e.reg.Resolve(h)
	if want := "thunks: unknown thunk libfoo:bar (hash " + hexh + "): no host library provides it"; err == nil || err.Error() != want {
		t.Fatalf("error text %v, want %q", err, want)
	}
	if !strings.Contains(e.logs.String(), hexh) {
		t.Fatalf("the unknown hash was not logged: %s", e.logs.String())
	}
}

// TestPackingRoundTrip packs arguments as the C wrapper does, into real
// guest memory, runs Call and checks what the host function saw and what
// the guest reads back, for both ABIs.
func TestPackingRoundTrip(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			var saw Args
			if err := e.reg.Register(addSpec, func(c *cpu.CPU, a Args) (uint64, error) {
				saw = a
				return a.Vals[0] + uint64(int64(a.Int(1))) + a.Vals[2], nil
			}); err != nil {
				t.Fatal(err)
			}
			id, err := e.reg.Resolve(Hash("test", "add"))
			if err != nil {
				t.Fatal(err)
			}
			w := WordWidth(mode)
			lay := LayoutFor(mode, 3)
			if lay.Size != 4*w || lay.Width != w {
				t.Fatalf("layout %+v, want 4 slots of %d bytes", lay, w)
			}
			mask := uint64(1)<<(8*w) - 1
			if w == 8 {
				mask = ^uint64(0)
			}
			for _, tc := range []struct {
				a    uint64
				b    int32
				c    uint64
				want uint64
			}{
				{1, 2, 3, 6},
				{0x1000, -5, 0, 0x1000 - 5},
				{mask, 1, 0, 0}, // wraps at the guest width
				{0x7fff_fff0, -0x7fff_fff0, 0x10, 0x10},
			} {
				// A canary slot on both sides of the struct.
				base := e.scratch.Start + 64
				_ = e.mem.writeWord(base-mm.Addr(w), 0x5a5a5a5a5a5a5a5a)
				_ = e.mem.writeWord(base+mm.Addr(lay.Size), 0xa5a5a5a5a5a5a5a5)
				// The guest stores an int as (uintptr_t)(intptr_t)b.
				bslot := uint64(int64(tc.b)) & mask
				if err := lay.pack(e.mem, base, []uint64{tc.a, bslot, tc.c}); err != nil {
					t.Fatal(err)
				}
				if mode == mm.Mode32 {
					e.cpu.Regs[cpu.RCX] = 0xffff_ffff_0000_0000 | uint64(base)
					e.cpu.Regs[cpu.RDI] = 0 // must not be used
				} else {
					e.cpu.Regs[cpu.RDI] = uint64(base)
					e.cpu.Regs[cpu.RCX] = 0
				}
				if err := e.reg.Call(id, e.cpu); err != nil {
					t.Fatalf("Call: %v", err)
				}
				vals, ret, err := lay.unpack(e.mem, base)
				if err != nil {
					t.Fatal(err)
				}
				if saw.Ptr != base || saw.Vals[0] != tc.a&mask || saw.Int(1) != tc.b || saw.Vals[2] != tc.c {
					t.Fatalf("host saw %+v, want ptr %v, a=%#x b=%d c=%#x", saw, base, tc.a&mask, tc.b, tc.c)
				}
				if ret != tc.want&mask || vals[0] != tc.a&mask || vals[1] != bslot || vals[2] != tc.c {
					t.Fatalf("guest reads ret %#x args %#x, want ret %#x", ret, vals, tc.want&mask)
				}
				lo, _ := e.mem.readWord(base - mm.Addr(w))
				hi, _ := e.mem.readWord(base + mm.Addr(lay.Size))
				if lo != 0x5a5a5a5a5a5a5a5a&mask || hi != 0xa5a5a5a5a5a5a5a5&mask {
					t.Fatalf("canaries around the struct changed: %#x %#x", lo, hi)
				}
			}
			if got := e.reg.Stats().Calls["test:add"]; got != 4 {
				t.Fatalf("calls of test:add = %d, want 4", got)
			}
		})
	}
}

func TestCallRejectsBadArgumentBlock(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			ran := false
			if err := e.reg.Register(addSpec, func(c *cpu.CPU, a Args) (uint64, error) { ran = true; return 0, nil }); err != nil {
				t.Fatal(err)
			}
			id, _ := e.reg.Resolve(Hash("test", "add"))
			ro := e.mmap(mm.PageSize, unix.PROT_READ)
			below, hole := e.hole()
			lay := LayoutFor(mode, 3)
			for _, tc := range []struct {
				name string
				ptr  mm.Addr
			}{
				{"null", 0},
				{"read-only page", ro.Start},
				{"straddles the end of the mapping", below.End - mm.Addr(lay.Size) + 1},
				{"unmapped page", hole},
			} {
				if mode == mm.Mode32 {
					e.cpu.Regs[cpu.RCX] = uint64(tc.ptr)
				} else {
					e.cpu.Regs[cpu.RDI] = uint64(tc.ptr)
				}
				err := e.reg.Call(id, e.cpu)
				if err == nil || !strings.Contains(err.Error(), "test:add: argument block") {
					t.Errorf("%s: Call = %v, want an argument-block error", tc.name, err)
				}
			}
			if mode == mm.Mode64 {
				e.cpu.Regs[cpu.RDI] = ^uint64(0) - 8 // the range would wrap
				if err := e.reg.Call(id, e.cpu); err == nil {
					t.Errorf("wrapping argument block accepted")
				}
			}
			if ran {
				t.Fatalf("host function ran on a bad argument block")
			}
			if got := e.reg.Stats().Calls["test:add"]; got != 0 {
				t.Fatalf("calls = %d, want 0", got)
			}
		})
	}
}

func TestCallErrorIsFatalAndNamed(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	boom := errors.New("boom")
	if err := e.reg.Register(Spec{Library: "test", Name: "fail", Result: "int", ResultKind: KindInt},
		func(c *cpu.CPU, a Args) (uint64, error) { return 0, boom }); err != nil {
		t.Fatal(err)
	}
	id, _ := e.reg.Resolve(Hash("test", "fail"))
	e.cpu.Regs[cpu.RDI] = uint64(e.scratch.Start)
	err := e.reg.Call(id, e.cpu)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "test:fail") {
		t.Fatalf("Call = %v, want the function's error with its name", err)
	}
}

func TestCallDoesNotAllocate(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	id, _ := e.reg.Resolve(Hash(HostLibrary, "is_host_heap_allocation"))
	lay := LayoutFor(mm.Mode64, 1)
	base := e.scratch.Start
	e.cpu.Regs[cpu.RDI] = uint64(base)
	_ = lay.pack(e.mem, base, []uint64{0x1234})
	allocs := testing.AllocsPerRun(1000, func() {
		if err := e.reg.Call(id, e.cpu); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Call allocates %v times per run, want 0", allocs)
	}
}

// BenchmarkResolveCall is one thunk round trip of a trivial function as
// the interpreter performs it (Resolve is cached per stub in the
// interpreter; the benchmark includes it anyway, as the brief asks).
func BenchmarkResolveCall(b *testing.B) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		b.Run(mode.String(), func(b *testing.B) {
			g, err := mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: mode})
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close()
			reg, _ := NewRegistry(RegistryConfig{Mode: mode, Memory: g})
			if err := reg.Register(addSpec, func(c *cpu.CPU, a Args) (uint64, error) { return a.Vals[0] + 1, nil }); err != nil {
				b.Fatal(err)
			}
			base, err := g.Mmap(0, mm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
			if err != nil {
				b.Fatal(err)
			}
			c := &cpu.CPU{Mode: mode}
			c.Regs[cpu.RDI], c.Regs[cpu.RCX] = uint64(base), uint64(base)
			h := Hash("test", "add")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				id, err := reg.Resolve(h)
				if err != nil {
					b.Fatal(err)
				}
				if err := reg.Call(id, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
