package loader

import (
	"bytes"
	"errors"
	"testing"

	"github.com/minemu/minemu/mm"
)

// fuzzSeeds adds the small committed guests and every malformed case.
func fuzzSeeds(f *testing.F) {
	// The dynamic ones name their interpreters in PT_INTERP: FuzzLoad
	// maps the host's ld.so beside them.
	for _, name := range []string{"hello-i386", "hello-x86_64", "hello-pie-x86_64", "exit-i386", "args-x86_64",
		"dynwrap-glibc-i386", "dynwrap-glibc-x86_64", "libc-dyn-nopie-glibc-i386", "libc-dyn-musl-x86_64"} {
		f.Add(readGuest(f, name))
	}
	for _, tc := range malformed {
		f.Add(tc.mutate(readGuest(f, tc.base)))
	}
}

// checkParsed verifies what Parse promises about a file it accepted.
func checkParsed(t *testing.T, f *File, data []byte) {
	t.Helper()
	wantMode := mm.Mode32
	if data[4] == elfClass64 {
		wantMode = mm.Mode64
	}
	if f.Mode != wantMode {
		t.Fatalf("mode %v for class %d", f.Mode, data[4])
	}
	if f.Type != ETExec && f.Type != ETDyn {
		t.Fatalf("accepted type %d", f.Type)
	}
	lo, hi := f.Span()
	if lo >= hi || hi > f.addrLimit() || lo&mm.PageMask != 0 || hi&mm.PageMask != 0 {
		t.Fatalf("span [%#x, %#x) invalid", lo, hi)
	}
	if _, ok := f.segmentOf(f.Entry); !ok {
		t.Fatalf("entry %#x outside every segment", f.Entry)
	}
	for _, p := range f.Progs {
		if p.Type == PTLoad && (p.Filesz > p.Memsz || p.Off+p.Filesz > uint64(len(data))) {
			t.Fatalf("accepted bad segment %+v", p)
		}
	}
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseBytes("fuzz", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Path != "fuzz" {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		checkParsed(t, file, data)
	})
}

// FuzzLoad maps every file Parse accepts into a real guest space of its
// mode, checks the copied bytes and the stack pointer, and closes the
// space, which unmaps everything.
func FuzzLoad(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseBytes("fuzz", data)
		if err != nil {
			return
		}
		checkParsed(t, file, data)
		space, err := mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: file.Mode})
		if err != nil {
			t.Fatalf("NewGuestSpace: %v", err)
		}
		defer space.Close()
		l, err := LoadFile(space, file, bytes.NewReader(data), []string{"fuzz", "x"}, []string{"E=1"}, Options{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if st := space.Stats(); st.GuestBytes != 0 {
				t.Fatalf("failed Load left %d guest bytes mapped: %v", st.GuestBytes, err)
			}
			return
		}
		if l.SP%16 != 0 || !l.Stack.Contains(mm.Addr(l.SP)) {
			t.Fatalf("sp %#x, stack %v", l.SP, l.Stack)
		}
		if file.Mode == mm.Mode32 && (l.Span.End > mm.Limit32 || l.Stack.End > mm.Limit32) {
			t.Fatalf("32-bit image %v or stack %v above 4 GiB", l.Span, l.Stack)
		}
		if (file.Interp != "") != (l.Interpreter != nil) {
			t.Fatalf("PT_INTERP %q, interpreter loaded: %v", file.Interp, l.Interpreter != nil)
		}
		if in := l.Interpreter; in != nil {
			if file.Mode == mm.Mode32 && in.Span.End > mm.Limit32 {
				t.Fatalf("32-bit interpreter %v above 4 GiB", in.Span)
			}
			if in.Span.Overlaps(l.Span) || l.RIP != in.Entry || l.Auxv[6] != (Aux{AtBase, in.Base}) {
				t.Fatalf("interpreter %v (entry %#x base %#x), image %v, rip %#x, auxv %v", in.Span, in.Entry, in.Base, l.Span, l.RIP, l.Auxv[6])
			}
		}
		for _, s := range l.Segments {
			if s.Prot&0x1 == 0 || s.Filesz == 0 { // PROT_READ
				continue
			}
			if !bytes.Equal(guestBytes(mm.Addr(s.Vaddr), s.Filesz), data[s.Off:s.Off+s.Filesz]) {
				t.Fatalf("segment at %#x: bytes differ", s.Vaddr)
			}
		}
	})
}
