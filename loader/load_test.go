package loader

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// fixedRandom is the AT_RANDOM source of the tests.
var fixedRandom = bytes.Repeat([]byte{0xa5, 0x5a, 0x11, 0xee}, 4)

// newSpace returns a real guest space of the given mode, closed at the
// end of the test.
func newSpace(t *testing.T, mode mm.Mode) *mm.GuestSpace {
	t.Helper()
	s, err := mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: mode})
	if err != nil {
		t.Fatalf("NewGuestSpace: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func modeOf(name string) mm.Mode {
	if strings.HasSuffix(name, "-i386") {
		return mm.Mode32
	}
	return mm.Mode64
}

// mapsAt returns the /proc/self/maps entries overlapping r.
func mapsAt(t *testing.T, r mm.AddrRange) []mm.MapsEntry {
	t.Helper()
	ms, err := overlapping(r)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// kernelPerms renders prot as /proc/self/maps does ("r-xp").
func kernelPerms(prot int) string {
	return protString(prot) + "p"
}

// TestLoadGuests loads every committed guest into a real guest space and
// checks the result against the file and against the kernel's view.
func TestLoadGuests(t *testing.T) {
	for _, name := range guestNames(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(guestDir, name)
			f, err := Inspect(path)
			if err != nil {
				t.Fatal(err)
			}
			mode := modeOf(name)
			space := newSpace(t, mode)
			argv := []string{path, "first", "", "third arg"}
			envp := []string{"A=1", "EMPTY=", "LONGER=some value"}
			lo, hi := f.Span()
			want, _ := mm.NewRange(mm.Addr(lo), hi-lo)
			var before []mm.MapsEntry
			if f.Type == ETExec {
				before = mapsAt(t, want)
			}
			l, err := Load(space, path, argv, envp, Options{Mode: mode, Random: bytes.NewReader(fixedRandom)})
			if len(before) > 0 {
				// The linked address is taken (a default-built test binary
				// sits at 0x400000): the refusal must name both ranges.
				if err == nil {
					t.Fatalf("Load succeeded over existing mapping %s", describe(before))
				}
				for _, s := range []string{want.String(), before[0].Range.String(), "overlaps"} {
					if !strings.Contains(err.Error(), s) {
						t.Fatalf("error %q does not mention %q", err, s)
					}
				}
				if st := space.Stats(); st.GuestBytes != 0 {
					t.Fatalf("failed Load left %d guest bytes mapped", st.GuestBytes)
				}
				t.Logf("refused as expected: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			checkImage(t, f, l)
			checkStack(t, l, argv, envp)
			if got := space.Brk(0); uint64(got) != l.BrkStart {
				t.Fatalf("brk base %#x, want %#x", got, l.BrkStart)
			}
		})
	}
}

// checkImage compares the mapped segments with the file: bytes, zeroed
// bss, protections as the kernel reports them, unmapped gaps.
func checkImage(t *testing.T, f *File, l *Loaded) {
	t.Helper()
	raw := readGuest(t, filepath.Base(l.Path))
	if f.Type == ETExec && l.Base != 0 {
		t.Fatalf("ET_EXEC loaded with bias %#x", l.Base)
	}
	if f.Type == ETDyn {
		wantBase := uint64(DynBase64)
		if f.Mode == mm.Mode32 {
			wantBase = DynBase32
		}
		lo, _ := f.Span()
		if l.Base+lo != wantBase {
			if f.Mode == mm.Mode32 {
				// Nothing of the host lives at 0x56555000 in the window.
				t.Fatalf("i386 static PIE placed at %#x, want %#x", l.Base+lo, wantBase)
			}
			t.Logf("static PIE placed at %#x instead of %#x (base taken)", l.Base+lo, wantBase)
		}
	}
	wantRIP := l.Entry
	if f.Interp != "" {
		checkInterp(t, f, l)
		wantRIP = l.Interpreter.Entry
	} else if l.Interpreter != nil {
		t.Fatalf("static executable loaded with interpreter %s", l.Interpreter.Path)
	}
	if l.Entry != f.Entry+l.Base || l.RIP != wantRIP {
		t.Fatalf("entry %#x rip %#x, want %#x and %#x", l.Entry, l.RIP, f.Entry+l.Base, wantRIP)
	}
	if l.BrkStart != uint64(l.Span.End) {
		t.Fatalf("brk start %#x, want the end of the image %#x", l.BrkStart, l.Span.End)
	}
	checkSegments(t, raw, l.Segments)
}

// checkInterp compares the interpreter Load mapped for f with its file:
// placed where the space puts a mapping without a hint (in Mode32 below
// the mmap base, above the program), relocated by its own bias, its
// segments the file's bytes.
func checkInterp(t *testing.T, f *File, l *Loaded) {
	t.Helper()
	in := l.Interpreter
	if in == nil {
		t.Fatalf("PT_INTERP %s: no interpreter loaded", f.Interp)
	}
	if in.Path != f.Interp || l.Interp != f.Interp {
		t.Fatalf("interpreter %s (program's Interp %q), want %s", in.Path, l.Interp, f.Interp)
	}
	fi, err := Inspect(in.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Type != ETDyn || fi.Interp != "" || fi.Mode != f.Mode {
		t.Fatalf("interpreter %s: type %d interp %q mode %v", in.Path, fi.Type, fi.Interp, fi.Mode)
	}
	lo, _ := fi.Span()
	if in.Base+lo != uint64(in.Span.Start) || in.Entry != fi.Entry+in.Base {
		t.Fatalf("interpreter at %v base %#x entry %#x, file's first page %#x entry %#x", in.Span, in.Base, in.Entry, lo, fi.Entry)
	}
	if in.Span.Overlaps(l.Span) || in.Span.Overlaps(l.Stack) {
		t.Fatalf("interpreter %v overlaps the image %v or the stack %v", in.Span, l.Span, l.Stack)
	}
	if f.Mode == mm.Mode32 && (in.Span.End > StackTop32-128<<20 || in.Span.Start < l.Span.End) {
		t.Fatalf("i386 interpreter at %v, want top-down below the mmap base %#x", in.Span, StackTop32-128<<20)
	}
	raw, err := os.ReadFile(in.Path)
	if err != nil {
		t.Fatal(err)
	}
	checkSegments(t, raw, in.Segments)
}

// checkSegments compares mapped segments with the file's bytes raw: file
// bytes, zeroed bss, protections as the kernel reports them, unmapped
// gaps.
func checkSegments(t *testing.T, raw []byte, segs []Segment) {
	t.Helper()
	l := struct{ Segments []Segment }{segs}
	if len(l.Segments) == 0 {
		t.Fatal("no segments")
	}
	for i, s := range l.Segments {
		mem := guestBytes(mm.Addr(s.Vaddr), s.Memsz)
		if !bytes.Equal(mem[:s.Filesz], raw[s.Off:s.Off+s.Filesz]) {
			t.Fatalf("segment %d: file bytes differ in memory", i)
		}
		// bss, including the tail of the last file page; a segment
		// without bss keeps the file's following bytes there, as on the
		// kernel (its page is the file's page).
		tail := guestBytes(mm.Addr(s.Vaddr+s.Filesz), uint64(s.Pages.End)-(s.Vaddr+s.Filesz))
		want := make([]byte, len(tail))
		if s.Memsz == s.Filesz && s.Off+s.Filesz < uint64(len(raw)) {
			copy(want, raw[s.Off+s.Filesz:])
		}
		shared := i+1 < len(l.Segments) && l.Segments[i+1].Pages.Start < s.Pages.End
		if s.Prot&unix.PROT_READ != 0 && !shared && !bytes.Equal(tail, want) {
			t.Fatalf("segment %d: the tail of its last page (bss %v) is not %s", i, s.Memsz > s.Filesz,
				map[bool]string{true: "zero", false: "the file's"}[s.Memsz > s.Filesz])
		}
		// The file's pages are mapped from the file.
		if s.Filesz > 0 {
			fileEnd, _ := mm.Addr(s.Vaddr + s.Filesz).RoundUp()
			for _, m := range mapsAt(t, mm.AddrRange{Start: s.Pages.Start, End: fileEnd}) {
				if m.Path == "" || m.Offset != s.Off+uint64(m.Range.Start)-s.Vaddr {
					t.Fatalf("segment %d: %v is %q at offset %#x, want the file at its offset", i, m.Range, m.Path, m.Offset)
				}
			}
		}
		// Protections as the kernel sees them, page by page, except a
		// page shared with the next segment (which takes its protection).
		r := s.Pages
		if i+1 < len(l.Segments) && l.Segments[i+1].Pages.Start < r.End {
			r.End = l.Segments[i+1].Pages.Start
		}
		if i > 0 && l.Segments[i-1].Pages.End > r.Start {
			r.Start = l.Segments[i-1].Pages.End
		}
		if r.Start >= r.End {
			continue
		}
		ms := mapsAt(t, r)
		covered := uint64(0)
		for _, m := range ms {
			if m.Perms() != kernelPerms(s.Prot) {
				t.Fatalf("segment %d %v: kernel shows %s for %v, want %s", i, r, m.Perms(), m.Range, kernelPerms(s.Prot))
			}
			covered += m.Range.Intersect(r).Length()
		}
		if covered != r.Length() {
			t.Fatalf("segment %d %v: only %#x bytes mapped", i, r, covered)
		}
		// The gap before the next segment is unmapped.
		if i+1 < len(l.Segments) && l.Segments[i+1].Pages.Start > s.Pages.End {
			gap := mm.AddrRange{Start: s.Pages.End, End: l.Segments[i+1].Pages.Start}
			if ms := mapsAt(t, gap); len(ms) != 0 {
				t.Fatalf("gap %v between segments is mapped: %s", gap, describe(ms))
			}
		}
	}
}

// stackReader reads guest words of the loaded image's width.
type stackReader struct {
	word uint64
}

func (r stackReader) at(a uint64) uint64 {
	b := guestBytes(mm.Addr(a), r.word)
	if r.word == 4 {
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

func cstring(a uint64) string {
	var sb strings.Builder
	for {
		c := guestBytes(mm.Addr(a), 1)[0]
		if c == 0 {
			return sb.String()
		}
		sb.WriteByte(c)
		a++
	}
}

// checkStack reads the initial stack word by word, as the guest's _start
// would, and compares it with what create_elf_tables writes.
func checkStack(t *testing.T, l *Loaded, argv, envp []string) {
	t.Helper()
	r := stackReader{word: 8}
	platform := "x86_64"
	if l.Mode == mm.Mode32 {
		r.word, platform = 4, "i686"
		if l.Stack.End != StackTop32 {
			t.Fatalf("i386 stack ends at %#x, want %#x", l.Stack.End, StackTop32)
		}
		if l.Stack.End > mm.Limit32 {
			t.Fatalf("stack %v beyond 4 GiB", l.Stack)
		}
	}
	if l.Stack.Length() != DefaultStackSize {
		t.Fatalf("stack %v, want %#x bytes", l.Stack, DefaultStackSize)
	}
	if ms := mapsAt(t, l.Stack); len(ms) != 1 || ms[0].Perms() != "rw-p" || ms[0].Range.Intersect(l.Stack) != l.Stack {
		t.Fatalf("stack %v: kernel shows %s", l.Stack, describe(ms))
	}
	sp := l.SP
	if sp%16 != 0 {
		t.Fatalf("sp %#x not 16-byte aligned", sp)
	}
	if !l.Stack.Contains(mm.Addr(sp)) {
		t.Fatalf("sp %#x outside the stack %v", sp, l.Stack)
	}
	if got := r.at(sp); got != uint64(len(argv)) {
		t.Fatalf("argc %d, want %d", got, len(argv))
	}
	a := sp + r.word
	if a != l.Argv {
		t.Fatalf("argv at %#x, Loaded says %#x", a, l.Argv)
	}
	var strs []uint64
	for i, want := range argv {
		p := r.at(a)
		strs = append(strs, p)
		if got := cstring(p); got != want {
			t.Fatalf("argv[%d] = %q, want %q", i, got, want)
		}
		a += r.word
	}
	if r.at(a) != 0 {
		t.Fatalf("argv not NULL-terminated")
	}
	a += r.word
	if a != l.Envp {
		t.Fatalf("envp at %#x, Loaded says %#x", a, l.Envp)
	}
	for i, want := range envp {
		p := r.at(a)
		strs = append(strs, p)
		if got := cstring(p); got != want {
			t.Fatalf("envp[%d] = %q, want %q", i, got, want)
		}
		a += r.word
	}
	if r.at(a) != 0 {
		t.Fatalf("envp not NULL-terminated")
	}
	a += r.word
	// Strings: argv then envp then execfn, contiguous, at the top.
	all := append(append([]string{}, argv...), envp...)
	for i := 0; i+1 < len(strs); i++ {
		if strs[i]+uint64(len(all[i]))+1 != strs[i+1] {
			t.Fatalf("string %d at %#x is not followed by string %d at %#x", i, strs[i], i+1, strs[i+1])
		}
	}
	last := strs[len(strs)-1] + uint64(len(all[len(all)-1])) + 1
	if len(argv) > 0 && len(envp) > 0 && (l.ArgStart != strs[0] || l.ArgEnd != strs[len(argv)] || l.EnvStart != l.ArgEnd || l.EnvEnd != last) {
		t.Fatalf("arg area [%#x, %#x) env area [%#x, %#x), want [%#x, %#x) [%#x, %#x)", l.ArgStart, l.ArgEnd, l.EnvStart, l.EnvEnd,
			strs[0], strs[len(argv)], strs[len(argv)], last)
	}
	if last != l.ExecFn {
		t.Fatalf("execfn at %#x, want right after the strings at %#x", l.ExecFn, last)
	}
	if got := cstring(l.ExecFn); got != l.Path {
		t.Fatalf("execfn %q, want %q", got, l.Path)
	}
	if end := l.ExecFn + uint64(len(l.Path)) + 1; end != uint64(l.Stack.End)-8 {
		t.Fatalf("strings end at %#x, want %#x (one reserved word below the top)", end, uint64(l.Stack.End)-8)
	}
	// auxv, in the kernel's order.
	if a != l.AuxvAddr {
		t.Fatalf("auxv at %#x, Loaded says %#x", a, l.AuxvAddr)
	}
	wantKeys := []uint64{AtHwcap, AtPagesz, AtClktck, AtPhdr, AtPhent, AtPhnum, AtBase, AtFlags, AtEntry,
		AtUID, AtEUID, AtGID, AtEGID, AtSecure, AtRandom, AtHwcap2, AtExecfn, AtPlatform, AtNull}
	var atBase uint64
	if l.Interpreter != nil {
		atBase = l.Interpreter.Base
	}
	wantVals := map[uint64]uint64{
		AtHwcap: DefaultHWCap, AtPagesz: 4096, AtClktck: 100, AtPhdr: l.Phdr, AtPhent: l.PhEnt,
		AtPhnum: l.PhNum, AtBase: atBase, AtFlags: 0, AtEntry: l.Entry, AtHwcap2: 0,
		AtUID: uint64(unix.Getuid()), AtEUID: uint64(unix.Geteuid()), AtGID: uint64(unix.Getgid()),
		AtEGID: uint64(unix.Getegid()), AtSecure: 0, AtRandom: l.Random, AtExecfn: l.ExecFn,
		AtPlatform: l.Platform, AtNull: 0,
	}
	for i, k := range wantKeys {
		gk, gv := r.at(a), r.at(a+r.word)
		if gk != k || gv != wantVals[k] {
			t.Fatalf("auxv[%d] = (%d, %#x), want (%d, %#x)", i, gk, gv, k, wantVals[k])
		}
		a += 2 * r.word
	}
	if a > uint64(l.Random) {
		t.Fatalf("auxv ends at %#x, above AT_RANDOM %#x", a, l.Random)
	}
	if got := guestBytes(mm.Addr(l.Random), 16); !bytes.Equal(got, fixedRandom) {
		t.Fatalf("AT_RANDOM bytes % x, want % x", got, fixedRandom)
	}
	if got := cstring(l.Platform); got != platform {
		t.Fatalf("AT_PLATFORM %q, want %q", got, platform)
	}
	// AT_PHDR points at the file's program header table.
	raw := readGuest(t, filepath.Base(l.Path))
	f, _ := parseBytes(l.Path, raw)
	if l.Phdr == 0 || l.PhEnt != f.PhEnt || l.PhNum != f.PhNum {
		t.Fatalf("phdr %#x phent %d phnum %d, file has %d %d", l.Phdr, l.PhEnt, l.PhNum, f.PhEnt, f.PhNum)
	}
	table := raw[f.PhOff : f.PhOff+f.PhNum*f.PhEnt]
	if !bytes.Equal(guestBytes(mm.Addr(l.Phdr), uint64(len(table))), table) {
		t.Fatalf("AT_PHDR %#x does not point at the program headers", l.Phdr)
	}
}

// TestLoadOverlapsForeign puts a foreign mapping where an i386 guest is
// linked: Load must refuse, name both ranges, and leave nothing mapped.
func TestLoadOverlapsForeign(t *testing.T) {
	const at = 0x08049000 // hello-i386's text page
	if _, _, errno := unix.Syscall6(unix.SYS_MMAP, at, mm.PageSize, unix.PROT_READ,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uintptr(0), 0); errno != 0 {
		t.Skipf("cannot place the foreign mapping: %v", errno)
	}
	defer unix.Syscall(unix.SYS_MUNMAP, at, mm.PageSize, 0)
	space := newSpace(t, mm.Mode32)
	path := filepath.Join(guestDir, "hello-i386")
	_, err := Load(space, path, []string{path}, nil, Options{})
	if err == nil {
		t.Fatal("Load succeeded over a foreign mapping")
	}
	for _, s := range []string{path, "[0x8048000, 0x804b000)", "[0x8049000, 0x804a000)", "overlaps"} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not mention %q", err, s)
		}
	}
	if st := space.Stats(); st.GuestBytes != 0 {
		t.Fatalf("failed Load left %d guest bytes mapped", st.GuestBytes)
	}
}

// TestLoadStackTaken makes the stack placement fail after the image was
// mapped: the image must be unmapped again.
func TestLoadStackTaken(t *testing.T) {
	space := newSpace(t, mm.Mode32)
	top := uint64(space.StackTop())
	if _, err := space.Mmap(mm.Addr(top-mm.PageSize), mm.PageSize, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, -1, 0); err != nil {
		t.Fatalf("Mmap: %v", err)
	}
	path := filepath.Join(guestDir, "hello-i386")
	_, err := Load(space, path, []string{path}, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "stack") {
		t.Fatalf("got %v, want a stack placement error", err)
	}
	if ms := mapsAt(t, mm.AddrRange{Start: 0x08048000, End: 0x0804b000}); len(ms) != 0 {
		t.Fatalf("image left mapped after the failure: %s", describe(ms))
	}
	if st := space.Stats(); st.GuestBytes != mm.PageSize {
		t.Fatalf("guest bytes %d after the failed Load, want only the blocking page", st.GuestBytes)
	}
}

func TestLoadRefusals(t *testing.T) {
	hello32 := filepath.Join(guestDir, "hello-i386")
	hello64 := filepath.Join(guestDir, "hello-pie-x86_64")
	tests := []struct {
		name string
		mode mm.Mode
		path string
		argv []string
		opt  Options
		want string
	}{
		{"wrong-mode", mm.Mode32, hello64, nil, Options{Mode: mm.Mode32}, "cannot run in a 32-bit guest space"},
		{"missing", mm.Mode32, filepath.Join(guestDir, "no-such-guest"), nil, Options{}, "no such file"},
		{"directory", mm.Mode32, guestDir, nil, Options{}, "not a regular file"},
		{"bad-stack-size", mm.Mode32, hello32, nil, Options{StackSize: 1000}, "stack size"},
		{"bad-stack-top", mm.Mode32, hello32, nil, Options{StackTop: 0x12345}, "stack top"},
		{"huge-argv", mm.Mode32, hello32, []string{strings.Repeat("x", 3<<20)}, Options{}, "too large"},
		{"base-taken", mm.Mode64, hello64, nil, Options{Base: 0x555555554000, Mode: mm.Mode64}, ""},
		{"below-window", mm.Mode32, lowImage(t), nil, Options{}, "lies outside the guest address window [0x10000, 0xffffe000)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			space := newSpace(t, tc.mode)
			if tc.name == "base-taken" {
				// Occupy the requested base: an explicit Base is not moved.
				if _, err := space.Mmap(mm.Addr(tc.opt.Base), mm.PageSize, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, -1, 0); err != nil {
					t.Skipf("cannot occupy the base: %v", err)
				}
				tc.want = "overlaps"
			}
			_, err := Load(space, tc.path, tc.argv, nil, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestLoadDynFallback occupies the default static-PIE base: the image goes
// elsewhere, as the kernel does.
func TestLoadDynFallback(t *testing.T) {
	space := newSpace(t, mm.Mode64)
	if _, err := space.Mmap(DynBase64, mm.PageSize, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, -1, 0); err != nil {
		t.Skipf("cannot occupy the base: %v", err)
	}
	path := filepath.Join(guestDir, "hello-pie-x86_64")
	l, err := Load(space, path, []string{path}, nil, Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if l.Span.Contains(DynBase64) {
		t.Fatalf("image %v placed over the occupied base", l.Span)
	}
	if l.Base == 0 || l.Entry != l.Base+0x1000 {
		t.Fatalf("base %#x entry %#x", l.Base, l.Entry)
	}
}

// TestLoadGuestsPIE reruns TestLoadGuests in a test binary built with
// -buildmode=pie when this one is not: a default-built test binary sits at
// 0x400000, where the non-PIE x86-64 guests are linked, so here those
// loads can only check the refusal. The PIE run checks their layout.
func TestLoadGuestsPIE(t *testing.T) {
	if os.Getenv("MINEMU_LOADER_PIE_CHILD") != "" {
		t.Skip("already the PIE child")
	}
	if ms := mapsAt(t, mm.AddrRange{Start: 0x400000, End: 0x401000}); len(ms) == 0 {
		t.Skip("this test binary leaves 0x400000 free; TestLoadGuests loaded the x86-64 guests itself")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the PIE test binary")
	}
	cmd := exec.Command(goBin, "test", "-buildmode=pie", "-count=1", "-v", "-run", "^TestLoadGuests$", ".")
	cmd.Env = append(os.Environ(), "MINEMU_LOADER_PIE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("PIE run failed: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("refused as expected")) {
		t.Fatalf("the PIE run still found 0x400000 taken:\n%s", out)
	}
	for _, name := range []string{"hello-x86_64", "libc-glibc-x86_64", "libc-musl-x86_64"} {
		if !bytes.Contains(out, []byte("--- PASS: TestLoadGuests/"+name)) {
			t.Fatalf("the PIE run did not pass %s:\n%s", name, out)
		}
	}
}

// BenchmarkLoad measures Load of the static glibc i386 guest (about
// 700 KB) into a fresh 32-bit guest space, and the space's Close.
func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(guestDir, "libc-glibc-i386")
	argv := []string{path, "hello"}
	envp := []string{"A=1", "B=2"}
	b.ReportAllocs()
	for b.Loop() {
		space, err := mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: mm.Mode32})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Load(space, path, argv, envp, Options{Random: bytes.NewReader(fixedRandom)}); err != nil {
			b.Fatal(err)
		}
		if err := space.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// lowImage writes a copy of hello-i386 relinked (by editing its program
// headers) to start at 0x1000, below the 64 KiB guest window.
func lowImage(t *testing.T) string {
	b := readGuest(t, "hello-i386")
	for i := 0; i < 3; i++ {
		off := phdr(b, i) + p32Vaddr
		v := binary.LittleEndian.Uint32(b[off:])
		binary.LittleEndian.PutUint32(b[off:], v-0x08047000)
	}
	binary.LittleEndian.PutUint32(b[e32Entry:], binary.LittleEndian.Uint32(b[e32Entry:])-0x08047000)
	path := filepath.Join(t.TempDir(), "low")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// withInterp returns a copy of the ELF32 file raw whose PT_INTERP names
// interp: the string appended to the file, the program header pointed at
// it.
func withInterp(t *testing.T, raw []byte, interp string) []byte {
	t.Helper()
	b := append(append([]byte(nil), raw...), interp+"\x00"...)
	n := int(binary.LittleEndian.Uint16(b[e32Phnum:]))
	for i := 0; i < n; i++ {
		ph := phdr(b, i)
		if binary.LittleEndian.Uint32(b[ph+p32Type:]) == PTInterp {
			put32(b, ph+p32Offset, uint32(len(raw)))
			put32(b, ph+p32Filesz, uint32(len(interp)+1))
			return b
		}
	}
	t.Fatal("no PT_INTERP to rewrite")
	return nil
}

// TestLoadInterpRefusals loads copies of a dynamically linked i386 guest
// whose PT_INTERP names what cannot serve: each refusal names the
// interpreter and the problem, and nothing stays mapped.
func TestLoadInterpRefusals(t *testing.T) {
	dir := t.TempDir()
	raw := readGuest(t, "libc-dyn-glibc-i386")
	notELF := filepath.Join(dir, "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"+strings.Repeat("echo not an ELF file\n", 8)), 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, interp, sysroot, want string
	}{
		{"missing", "/no/such/ld.so", "", "interpreter /no/such/ld.so not found (install"},
		{"missing-in-sysroot-and-host", "/no/such/ld.so", dir, "interpreter /no/such/ld.so not found (neither"},
		{"not-elf", notELF, "", "interpreter " + notELF + ": not an ELF file"},
		{"wrong-class", "/lib64/ld-linux-x86-64.so.2", "", "is a 64-bit ELF, the program a 32-bit one"},
		{"directory", dir, "", "not a regular file"},
		{"fifo", fifo, "", "not a regular file"},
		{"nul-cut", "/no/such/ld.so\x00/lib/ld-linux.so.2", "", "interpreter /no/such/ld.so not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "guest-"+tc.name)
			if err := os.WriteFile(p, withInterp(t, raw, tc.interp), 0o755); err != nil {
				t.Fatal(err)
			}
			space := newSpace(t, mm.Mode32)
			_, err := Load(space, p, []string{p}, nil, Options{Sysroot: tc.sysroot})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if st := space.Stats(); st.GuestBytes != 0 {
				t.Fatalf("failed Load left %d guest bytes mapped", st.GuestBytes)
			}
		})
	}
	// The same file with a loader that exists loads.
	p := filepath.Join(dir, "guest-ok")
	if err := os.WriteFile(p, withInterp(t, raw, "/lib/ld-linux.so.2"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := Load(newSpace(t, mm.Mode32), p, []string{p}, nil, Options{})
	if err != nil || l.Interpreter == nil || l.RIP != l.Interpreter.Entry {
		t.Fatalf("Load with a rewritten PT_INTERP: %v", err)
	}
}

// TestLoadDynAlign raises the p_align of every PT_LOAD of a PIE to 2 MiB:
// the image goes to the kernel's base aligned down to it, as
// load_elf_binary does (0x555555400000 for x86-64).
func TestLoadDynAlign(t *testing.T) {
	b := readGuest(t, "libc-dyn-glibc-x86_64")
	n := int(binary.LittleEndian.Uint16(b[e64Phnum:]))
	for i := 0; i < n; i++ {
		ph := phdr(b, i)
		if binary.LittleEndian.Uint32(b[ph+p64Type:]) == PTLoad {
			put64(b, ph+p64Align, 2<<20)
		}
	}
	p := filepath.Join(t.TempDir(), "aligned")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	space := newSpace(t, mm.Mode64)
	l, err := Load(space, p, []string{p}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(DynBase64) &^ (2<<20 - 1); l.Base != want && mapsAt(t, mm.AddrRange{Start: mm.Addr(want), End: mm.Addr(want + 1<<20)}) == nil {
		t.Fatalf("base %#x, want %#x", l.Base, want)
	}
}
