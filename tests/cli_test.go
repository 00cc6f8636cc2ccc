package tests

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunStats runs guests of both modes with --stats and --audit and
// checks what the stats file promises: the guest's work, the block cache
// (blocks decoded once, executed many times, living in the dynarec heap),
// the heaps in use — the primary heap (the engine's thread context and
// code filter) and the dynarec heap in every run, the host heap only when
// the guest used thunks — and the 4 GiB audit's verdict with counts by
// class, minemu's trampoline page among them.
func TestRunStats(t *testing.T) {
	for _, c := range []struct {
		bin      string
		args     []string
		mode     string
		minInsns float64
		heaps    []string // in use: named, with live bytes
		absent   []string // not in the stats
	}{
		{"sieve-i386", []string{"1"}, "32", 1e6, []string{"primary", "dynarec"}, []string{"host"}},
		{"sieve-x86_64", []string{"1"}, "64", 1e6, []string{"primary", "dynarec"}, []string{"host"}},
		{"libc-glibc-i386", []string{"printf"}, "32", 1e3, []string{"primary", "dynarec"}, []string{"host"}},
		{"thunk-i386", nil, "32", 1e3, []string{"primary", "dynarec", "host"}, nil},
		// 8 threads run 8,000,000 locked increments (24M instructions
		// and more) besides the rest: every thread's work is counted.
		{"threads-glibc-i386", nil, "32", 3e7, []string{"primary", "dynarec"}, []string{"host"}},
		{"threads-glibc-x86_64", nil, "64", 3e7, []string{"primary", "dynarec"}, []string{"host"}},
	} {
		t.Run(c.bin, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "stats.json")
			r := runGuest(t, "minemu", guestCase{name: c.bin, bin: c.bin, args: c.args}, "--stats", file, "--audit")
			if r.status != 0 {
				t.Fatalf("status %d, want 0\nstderr:\n%s", r.status, r.stderr)
			}
			if !strings.Contains(string(r.stderr), "minemu: 4 GiB audit: ok (mode "+c.mode+")") {
				t.Fatalf("stderr lacks the audit verdict:\n%s", r.stderr)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("stats are not JSON: %v\n%s", err, b)
			}
			num := func(key string) float64 {
				t.Helper()
				v, ok := stat(m, key)
				if !ok {
					t.Fatalf("stats lack %s:\n%s", key, b)
				}
				return v
			}
			if mode, _ := lookup(m, "guest.mode"); mode != c.mode {
				t.Fatalf("guest.mode = %v, want %s", mode, c.mode)
			}
			if n := num("guest.instructions"); n < c.minInsns {
				t.Fatalf("guest.instructions = %v, want at least %v", n, c.minInsns)
			}
			dec, exe := num("guest.blocks_decoded"), num("guest.blocks_executed")
			if dec < 1 || dec >= exe {
				t.Fatalf("blocks decoded %v, executed %v: want each block decoded once and run more often", dec, exe)
			}
			if n := num("mm.dynarec.list.mapped_bytes"); n == 0 {
				t.Fatalf("mm.dynarec.list.mapped_bytes = 0: decoded blocks do not live in the dynarec heap")
			}
			for _, h := range c.heaps {
				if name, _ := lookup(m, "mm."+h+".name"); name != h {
					t.Fatalf("mm.%s.name = %v, want %s", h, name, h)
				}
				if h != "host" && num("mm."+h+".live_bytes") == 0 {
					t.Fatalf("mm.%s.live_bytes = 0: the heap has no user", h)
				}
			}
			for _, h := range c.absent {
				if v, ok := lookup(m, "mm."+h); ok {
					t.Fatalf("mm.%s = %v: a heap with no user in this run is reported", h, v)
				}
			}
			if ok, _ := lookup(m, "mm.audit.ok"); ok != true {
				t.Fatalf("mm.audit.ok = %v, want true:\n%s", ok, b)
			}
			if n := num("exit.status"); n != 0 {
				t.Fatalf("exit.status = %v, want 0", n)
			}
			classes, _ := lookup(m, "mm.audit.classes")
			cm, _ := classes.(map[string]any)
			for _, class := range []string{"guest", "internal", "trampoline"} {
				if _, ok := cm[class]; !ok {
					t.Fatalf("mm.audit.classes lacks %q: %v", class, classes)
				}
			}
		})
	}
}

// TestRunStrace checks --strace: one line per system call, decoded, with
// the result, on stderr; the guest's stdout is untouched.
func TestRunStrace(t *testing.T) {
	r := runGuest(t, "minemu", guestCase{name: "strace", bin: "hello-x86_64"}, "--strace")
	if r.status != 0 {
		t.Fatalf("status %d, want 0\nstderr:\n%s", r.status, r.stderr)
	}
	if string(r.stdout) != "hello from an x86-64 guest\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(string(r.stderr)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], " write(1,") || !strings.HasSuffix(lines[0], ") = 27") ||
		!strings.HasSuffix(lines[1], " exit_group(0) = ?") {
		t.Fatalf("strace output:\n%s\nwant a write(1, ...) = 27 line and an exit_group(0) = ? line", r.stderr)
	}
}

// TestRunUsage checks the command line's refusals: each is a clear message
// on stderr and status 2, or 1 for a guest that cannot be started.
func TestRunUsage(t *testing.T) {
	for _, c := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"run"}, 2, "usage: minemu run"},
		{[]string{"run", "--log-level", "loud", "bin/hello-i386"}, 2, "bad --log-level"},
		{[]string{"run", "--log-format", "xml", "bin/hello-i386"}, 2, "bad --log-format"},
		{[]string{"run", "--no-such-flag", "bin/hello-i386"}, 2, "flag provided but not defined"},
		{[]string{"run", "--block-cache-mib", "0", "bin/hello-i386"}, 2, "bad --block-cache-mib 0"},
		{[]string{"run", "bin/no-such-guest"}, 1, "no such file"},
		{[]string{"run", "cases.txt"}, 1, "not an ELF file"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"mm"}, 2, "usage: minemu mm replay"},
	} {
		cmd := exec.Command(minemuBin, c.args...)
		cmd.Dir = guestDir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		status := 0
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if status != c.status || !strings.Contains(stderr.String(), c.want) {
			t.Fatalf("minemu %v: status %d, stderr %q; want status %d and %q", c.args, status, stderr.String(), c.status, c.want)
		}
		if strings.Contains(stderr.String(), "goroutine ") {
			t.Fatalf("minemu %v printed a Go stack trace:\n%s", c.args, stderr.String())
		}
	}
	out, err := exec.Command(minemuBin, "run", "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "minemu ") {
		t.Fatalf("minemu run --version: %q, %v", out, err)
	}
}

// lookup follows a dotted key through nested JSON objects.
func lookup(m map[string]any, key string) (any, bool) {
	var v any = m
	for _, k := range strings.Split(key, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = o[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// TestRunUnknownThunk runs a guest that calls a stub no host library
// provides: the guest dies of SIGILL (status 132) after what it printed,
// and minemu's report names the hash and, from the guest's symbol table,
// the stub.
func TestRunUnknownThunk(t *testing.T) {
	const hash = "ff9cd55d117893791bde71f13fb0e3b31d51ee5ee2bd43ace5f05548333ee637" // sha256("nolib:frobnicate")
	for _, bin := range []string{"thunkunknown-i386", "thunkunknown-x86_64"} {
		r := runGuest(t, "minemu", guestCase{name: bin, bin: bin})
		if r.status != 132 || string(r.stdout) != "calling nolib:frobnicate\n" {
			t.Fatalf("%s: status %d, stdout %q; want 132 and the line before the call\nstderr:\n%s", bin, r.status, r.stdout, r.stderr)
		}
		for _, want := range []string{"killed by SIGILL", "unknown thunk hash " + hash, " in nolib_stub_frobnicate+0x0"} {
			if !strings.Contains(string(r.stderr), want) {
				t.Fatalf("%s: stderr lacks %q:\n%s", bin, want, r.stderr)
			}
		}
	}
}

// TestRunMap draws the address space of a 32-bit and a 64-bit thunk guest
// (both have host-heap blocks) with --map and checks the picture: it is
// SVG, it names the guest's image, the host heap and minemu's regions, and
// only the 32-bit picture has the 4 GiB line.
func TestRunMap(t *testing.T) {
	for _, c := range []struct {
		bin  string
		want []string
		red  bool
	}{
		{"thunk-i386", []string{"guest", "host-heap", "internal", "go-runtime", ">4 GiB<"}, true},
		{"thunk-x86_64", []string{"guest", "host-heap", "go-runtime"}, false},
	} {
		t.Run(c.bin, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "map.svg")
			r := runGuest(t, "minemu", guestCase{name: c.bin, bin: c.bin}, "--map", file)
			if r.status != 0 {
				t.Fatalf("status %d, want 0\nstderr:\n%s", r.status, r.stderr)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("<svg ")) || !bytes.HasSuffix(b, []byte("</svg>\n")) {
				t.Fatalf("not an SVG document:\n%.300s", b)
			}
			for _, w := range c.want {
				if !bytes.Contains(b, []byte(w)) {
					t.Fatalf("the map lacks %q", w)
				}
			}
			if got := bytes.Contains(b, []byte(`stroke="#d00"`)); got != c.red {
				t.Fatalf("4 GiB line drawn: got %v, want %v", got, c.red)
			}
		})
	}
}

// TestELFStringsQuoted runs minemu on crafted executables whose strings
// carry terminal escapes and a newline: a dynamically linked one (the
// PT_INTERP path, printed by `minemu run` when it is missing and by
// `minemu info`) and one whose symbol table names the function it dies in
// (minemu's death report). minemu must print them escaped, never the raw bytes.
func TestELFStringsQuoted(t *testing.T) {
	dir := t.TempDir()
	const evilInterp = "/lib/\x1b[31mevil\nld.so"
	const quotedInterp = `"/lib/\x1b[31mevil\nld.so"`

	// A static i386 executable with its PT_NOTE turned into a PT_INTERP
	// naming evilInterp, written over the note's bytes.
	b, err := os.ReadFile(filepath.Join(guestDir, "bin", "libc-glibc-i386"))
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	phoff := binary.LittleEndian.Uint32(b[28:])
	patched := false
	for i, p := range ef.Progs {
		if p.Type != elf.PT_NOTE || p.Filesz < uint64(len(evilInterp)+1) {
			continue
		}
		ph := b[phoff+uint32(i)*32:]
		binary.LittleEndian.PutUint32(ph[0:], uint32(elf.PT_INTERP))
		binary.LittleEndian.PutUint32(ph[16:], uint32(len(evilInterp)+1)) // p_filesz
		binary.LittleEndian.PutUint32(ph[20:], uint32(len(evilInterp)+1)) // p_memsz
		copy(b[p.Off:], evilInterp+"\x00")
		patched = true
		break
	}
	if !patched {
		t.Fatal("libc-glibc-i386 has no PT_NOTE to patch")
	}
	dyn := filepath.Join(dir, "dyn")
	if err := os.WriteFile(dyn, b, 0o755); err != nil {
		t.Fatal(err)
	}

	// The unknown-thunk guest with the name of the stub it dies in
	// replaced in its string table (same length).
	b, err = os.ReadFile(filepath.Join(guestDir, "bin", "thunkunknown-i386"))
	if err != nil {
		t.Fatal(err)
	}
	const stubName, evilName = "nolib_stub_frobnicate", "\x1b[31mevil\nstub_frobic"
	if n := bytes.Count(b, []byte(stubName)); n != 1 || len(evilName) != len(stubName) {
		t.Fatalf("thunkunknown-i386 holds %q %d times, want once", stubName, n)
	}
	sym := filepath.Join(dir, "sym")
	if err := os.WriteFile(sym, bytes.Replace(b, []byte(stubName), []byte(evilName), 1), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", dyn}, "interpreter " + quotedInterp + " not found"},
		{[]string{"info", dyn}, "Interpreter:  " + quotedInterp + "\n"},
		{[]string{"run", sym}, ` in "\x1b[31mevil\nstub_frobic"+0x0` + "\n"},
	} {
		cmd := exec.Command(minemuBin, tc.args...)
		cmd.Dir = guestDir
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), tc.want) {
			t.Fatalf("minemu %s printed %q, want it to contain %q", tc.args[0], out, tc.want)
		}
		if bytes.IndexByte(out, 0x1b) >= 0 {
			t.Fatalf("minemu %s printed a raw ESC byte: %q", tc.args[0], out)
		}
	}
}
