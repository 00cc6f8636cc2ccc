package loader

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minemu/minemu/mm"
)

// guestDir holds the committed guest binaries (tests/guests/bin).
const guestDir = "../tests/guests/bin"

func readGuest(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(guestDir, name))
	if err != nil {
		t.Fatalf("reading guest binary: %v", err)
	}
	return b
}

func guestNames(t testing.TB) []string {
	t.Helper()
	ents, err := os.ReadDir(guestDir)
	if err != nil {
		t.Fatalf("listing guests: %v", err)
	}
	var names []string
	for _, e := range ents {
		// Shared libraries (the dynamic guests' dlopen and LD_PRELOAD
		// cases) are not executables.
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".so") {
			names = append(names, e.Name())
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d guest binaries in %s", len(names), guestDir)
	}
	return names
}

// isDynamic reports whether the committed guest name is dynamically
// linked (tests/guests/dynamic.mk).
func isDynamic(name string) bool {
	return strings.HasPrefix(name, "dyn") || strings.Contains(name, "-dyn-")
}

// wantInterp is the PT_INTERP of the committed guest name: "" for a
// static one, else the dynamic linker of its C library and class.
func wantInterp(name string) string {
	switch {
	case !isDynamic(name):
		return ""
	case strings.Contains(name, "musl"):
		return "/lib/ld-musl-x86_64.so.1"
	case strings.HasSuffix(name, "-i386"):
		return "/lib/ld-linux.so.2"
	}
	return "/lib64/ld-linux-x86-64.so.2"
}

func parseBytes(name string, b []byte) (*File, error) {
	return Parse(name, bytes.NewReader(b), int64(len(b)))
}

func TestParseGuests(t *testing.T) {
	for _, name := range guestNames(t) {
		t.Run(name, func(t *testing.T) {
			f, err := parseBytes(name, readGuest(t, name))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			wantMode, wantMachine := mm.Mode64, uint16(EMX8664)
			if strings.HasSuffix(name, "-i386") {
				wantMode, wantMachine = mm.Mode32, EM386
			}
			if f.Mode != wantMode || f.Machine != wantMachine {
				t.Fatalf("mode %v machine %d, want %v %d", f.Mode, f.Machine, wantMode, wantMachine)
			}
			wantType := uint16(ETExec)
			if strings.Contains(name, "-pie-") || isDynamic(name) && !strings.Contains(name, "-nopie-") {
				wantType = ETDyn
			}
			if f.Type != wantType {
				t.Fatalf("type %d, want %d", f.Type, wantType)
			}
			if want := wantInterp(name); f.Interp != want {
				t.Fatalf("interpreter %q, want %q", f.Interp, want)
			}
			if _, ok := f.segmentOf(f.Entry); !ok {
				t.Fatalf("entry %#x outside every segment", f.Entry)
			}
			if _, ok := f.phdrVaddr(); !ok {
				t.Fatalf("program headers not inside any segment")
			}
			lo, hi := f.Span()
			if lo >= hi || lo&mm.PageMask != 0 || hi&mm.PageMask != 0 || hi > f.addrLimit() {
				t.Fatalf("span [%#x, %#x) is not a page-aligned range inside the address space", lo, hi)
			}
		})
	}
}

// Field offsets used to corrupt headers.
const (
	e32Entry, e32Phoff, e32Ehsize, e32Phentsize, e32Phnum = 24, 28, 40, 42, 44
	e64Entry, e64Phoff, e64Ehsize, e64Phentsize, e64Phnum = 24, 32, 52, 54, 56
	// Program header fields, ELF32.
	p32Type, p32Offset, p32Vaddr, p32Filesz, p32Memsz, p32Align = 0, 4, 8, 16, 20, 28
	// Program header fields, ELF64.
	p64Type, p64Offset, p64Vaddr, p64Filesz, p64Memsz, p64Align = 0, 8, 16, 32, 40, 48
)

// phdr returns the file offset of program header i.
func phdr(b []byte, i int) int {
	if b[4] == elfClass32 {
		return int(binary.LittleEndian.Uint32(b[e32Phoff:])) + 32*i
	}
	return int(binary.LittleEndian.Uint64(b[e64Phoff:])) + 56*i
}

func put16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func put64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// malformed is the table of corruptions: each starts from a valid guest
// (hello-i386 or hello-x86_64), changes it, and names the text the error
// must contain. They double as the fuzz targets' seeds.
var malformed = []struct {
	name   string
	base   string
	mutate func(b []byte) []byte
	want   string
}{
	{"empty", "hello-i386", func(b []byte) []byte { return nil }, "too short"},
	{"ident-only", "hello-i386", func(b []byte) []byte { return b[:16] }, "ELF header truncated"},
	{"bad-magic", "hello-i386", func(b []byte) []byte { b[1] = 'X'; return b }, "not an ELF file"},
	{"class-3", "hello-i386", func(b []byte) []byte { b[4] = 3; return b }, "unsupported ELF class 3"},
	{"big-endian", "hello-x86_64", func(b []byte) []byte { b[5] = 2; return b }, "little-endian"},
	{"ident-version", "hello-x86_64", func(b []byte) []byte { b[6] = 0; return b }, "ELF version"},
	{"class32-x86_64", "hello-i386", func(b []byte) []byte { put16(b, 18, EMX8664); return b }, "does not match machine"},
	{"class64-i386", "hello-x86_64", func(b []byte) []byte { put16(b, 18, EM386); return b }, "does not match machine"},
	{"machine-arm", "hello-i386", func(b []byte) []byte { put16(b, 18, 40); return b }, "unsupported machine 40"},
	{"type-rel", "hello-x86_64", func(b []byte) []byte { put16(b, 16, 1); return b }, "ET_REL"},
	{"type-core", "hello-x86_64", func(b []byte) []byte { put16(b, 16, 4); return b }, "ET_CORE"},
	{"type-unknown", "hello-i386", func(b []byte) []byte { put16(b, 16, 0xfe00); return b }, "unsupported ELF type"},
	{"ehsize", "hello-i386", func(b []byte) []byte { put16(b, e32Ehsize, 40); return b }, "e_ehsize"},
	{"phentsize", "hello-x86_64", func(b []byte) []byte { put16(b, e64Phentsize, 32); return b }, "e_phentsize"},
	{"phnum-0", "hello-i386", func(b []byte) []byte { put16(b, e32Phnum, 0); return b }, "no program headers"},
	{"phnum-xnum", "hello-x86_64", func(b []byte) []byte { put16(b, e64Phnum, 0xffff); return b }, "PN_XNUM"},
	{"phnum-huge", "hello-x86_64", func(b []byte) []byte { put16(b, e64Phnum, 0xfff0); return b }, "too large"},
	{"phoff-beyond", "hello-i386", func(b []byte) []byte { put32(b, e32Phoff, uint32(len(b))); return b }, "beyond the file"},
	{"phoff-overflow", "hello-x86_64", func(b []byte) []byte { put64(b, e64Phoff, 1<<64-8); return b }, "beyond the file"},
	{"phoff-in-header", "hello-x86_64", func(b []byte) []byte { put64(b, e64Phoff, 8); return b }, "overlaps the ELF header"},
	{"truncated-file", "hello-x86_64", func(b []byte) []byte { return b[:0x1010] }, "beyond the file"},
	{"segment-beyond-file", "hello-i386", func(b []byte) []byte {
		put32(b, phdr(b, 2)+p32Filesz, uint32(len(b)))
		put32(b, phdr(b, 2)+p32Memsz, uint32(len(b)))
		return b
	}, "extend beyond the file"},
	{"segment-offset-overflow", "hello-x86_64", func(b []byte) []byte {
		put64(b, phdr(b, 2)+p64Offset, 1<<64-0x1000+0x000)
		return b
	}, "beyond the file"},
	{"filesz-gt-memsz", "hello-x86_64", func(b []byte) []byte { put64(b, phdr(b, 1)+p64Memsz, 1); return b }, "exceeds p_memsz"},
	{"vaddr-overflow-32", "hello-i386", func(b []byte) []byte {
		put32(b, phdr(b, 2)+p32Memsz, 0xfffff000)
		return b
	}, "overflows the 32-bit address space"},
	{"vaddr-overflow-64", "hello-x86_64", func(b []byte) []byte {
		put64(b, phdr(b, 2)+p64Vaddr, 1<<64-0x1000)
		put64(b, phdr(b, 2)+p64Memsz, 0x2000)
		return b
	}, "overflows the 64-bit address space"},
	{"beyond-user-space-64", "hello-x86_64", func(b []byte) []byte {
		put64(b, phdr(b, 2)+p64Vaddr, 1<<47)
		return b
	}, "overflows the 64-bit address space"},
	{"misaligned-offset", "hello-i386", func(b []byte) []byte { put32(b, phdr(b, 1)+p32Vaddr, 0x08049010); return b }, "differ modulo the page size"},
	{"align-not-pow2", "hello-x86_64", func(b []byte) []byte { put64(b, phdr(b, 1)+p64Align, 0x3000); return b }, "not a power of two"},
	{"overlapping-loads", "hello-i386", func(b []byte) []byte { put32(b, phdr(b, 2)+p32Vaddr, 0x08049000); return b }, "overlaps or precedes"},
	{"descending-loads", "hello-x86_64", func(b []byte) []byte { put64(b, phdr(b, 2)+p64Vaddr, 0x300000); return b }, "overlaps or precedes"},
	{"no-load", "hello-i386", func(b []byte) []byte {
		for i := 0; i < 3; i++ {
			put32(b, phdr(b, i)+p32Type, PTNote)
		}
		return b
	}, "no loadable"},
	{"entry-outside", "hello-x86_64", func(b []byte) []byte { put64(b, e64Entry, 0x1000); return b }, "entry point 0x1000 lies outside"},
	{"interp-beyond-file", "hello-i386", func(b []byte) []byte {
		put32(b, phdr(b, 0)+p32Type, PTInterp)
		put32(b, phdr(b, 0)+p32Filesz, uint32(len(b)))
		return b
	}, "PT_INTERP"},
	{"interp-unterminated", "hello-x86_64", func(b []byte) []byte {
		// Turn the read-only data segment (the message) into PT_INTERP.
		put32(b, phdr(b, 2)+p64Type, PTInterp)
		return b
	}, "not NUL-terminated"},
}

func TestParseMalformed(t *testing.T) {
	for _, tc := range malformed {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(readGuest(t, tc.base))
			f, err := parseBytes(tc.name, b)
			if err == nil {
				t.Fatalf("Parse accepted the file (%+v), want an error containing %q", f, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Path != tc.name {
				t.Fatalf("error %v (%T) does not name the file %q", err, err, tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestParseInterp parses the committed dynamically linked guests: Parse
// reports the interpreter PT_INTERP names, the same string the file holds.
func TestParseInterp(t *testing.T) {
	for name, want := range map[string]string{
		"libc-dyn-glibc-i386":   "/lib/ld-linux.so.2",
		"libc-dyn-glibc-x86_64": "/lib64/ld-linux-x86-64.so.2",
		"libc-dyn-musl-x86_64":  "/lib/ld-musl-x86_64.so.1",
	} {
		f, err := Inspect(filepath.Join(guestDir, name))
		if err != nil {
			t.Fatalf("Inspect(%s): %v", name, err)
		}
		if f.Interp != want || f.Type != ETDyn {
			t.Fatalf("%s: interpreter %q type %d, want %q and ET_DYN", name, f.Interp, f.Type, want)
		}
	}
}

// TestParseReaderErrors checks that a short read from the underlying file
// is an error, not a panic or a silent success.
func TestParseReaderErrors(t *testing.T) {
	b := readGuest(t, "hello-x86_64")
	// Claim a larger size than the reader holds.
	_, err := Parse("short-reader", bytes.NewReader(b[:100]), int64(len(b)))
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("got %v, want a truncation error", err)
	}
	if _, err := Parse("negative", bytes.NewReader(b), -1); err == nil {
		t.Fatalf("negative size accepted")
	}
}
