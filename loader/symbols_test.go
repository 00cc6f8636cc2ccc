package loader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSymbols looks up addresses of the unstripped thunkunknown guests
// (their symbol table is cross-checked by name against debug/elf through
// ReadSymbols itself, so the test pins values that do not depend on it:
// the entry point is _start, and the stub is where minemu reports it).
func TestSymbols(t *testing.T) {
	for _, bin := range []string{"thunkunknown-i386", "thunkunknown-x86_64"} {
		path := filepath.Join("..", "tests", "guests", "bin", bin)
		f, err := Inspect(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ReadSymbols(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		if name, off, ok := s.Lookup(f.Entry); !ok || name != "_start" || off != 0 {
			t.Fatalf("%s: Lookup(entry %#x) = %q+%#x %v, want _start+0", bin, f.Entry, name, off, ok)
		}
		stub := uint64(0)
		for _, e := range s.syms {
			if e.name == "nolib_stub_frobnicate" {
				stub = e.addr
			}
		}
		if stub == 0 {
			t.Fatalf("%s: no nolib_stub_frobnicate symbol", bin)
		}
		if name, off, ok := s.Lookup(stub + 2); !ok || name != "nolib_stub_frobnicate" || off != 2 {
			t.Fatalf("%s: Lookup(stub+2) = %q+%#x %v", bin, name, off, ok)
		}
		if _, _, ok := s.Lookup(0x10); ok {
			t.Fatalf("%s: Lookup(0x10) found a symbol", bin)
		}
		// A bias moves every symbol.
		b, err := ReadSymbols(path, 0x1000000)
		if err != nil {
			t.Fatal(err)
		}
		if name, _, ok := b.Lookup(stub + 0x1000000); !ok || name != "nolib_stub_frobnicate" {
			t.Fatalf("%s: biased Lookup = %q %v", bin, name, ok)
		}
	}
}

// TestSymbolsStripped: a stripped executable has an empty table, no error.
func TestSymbolsStripped(t *testing.T) {
	s, err := ReadSymbols(filepath.Join("..", "tests", "guests", "bin", "hello-x86_64"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.syms) != 0 {
		t.Fatalf("stripped binary: %d symbols, want 0", len(s.syms))
	}
}

// TestSymbolsErrors: a missing or non-ELF file is an error naming the file.
func TestSymbolsErrors(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(junk, []byte("not an ELF file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{junk, filepath.Join(t.TempDir(), "missing")} {
		if _, err := ReadSymbols(p, 0); err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("ReadSymbols(%s) = %v, want an error naming the file", p, err)
		}
	}
}
