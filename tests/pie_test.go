package tests

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minemu/minemu/guest/engine/enginetest"
)

// TestNonPIERefuses32BitGuests builds minemu the default way, linked at
// 0x400000 inside a 32-bit guest's window, and checks what it runs: every
// 32-bit guest is refused before it starts, naming minemu's image and how
// to build a PIE (with --audit too: the guest never runs, so neither does
// the audit); a 64-bit static PIE, loaded far above, runs and its audit
// lists the low image; a 64-bit guest linked at 0x400000 is refused by the
// loader naming both ranges. The PIE build runs all of them.
func TestNonPIERefuses32BitGuests(t *testing.T) {
	nopie := filepath.Join(t.TempDir(), "minemu-nopie")
	build := exec.Command("go", "build", "-buildmode=exe", "-o", nopie, "github.com/minemu/minemu/cmd/minemu")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building a non-PIE minemu: %v\n%s", err, out)
	}
	f, err := elf.Open(nopie)
	if err != nil {
		t.Fatal(err)
	}
	typ := f.Type
	f.Close()
	if typ != elf.ET_EXEC {
		t.Fatalf("%s is %v, want a non-PIE ET_EXEC", nopie, typ)
	}
	refusal32 := []string{"cannot run a 32-bit guest: minemu's own memory lies below 4 GiB",
		"minemu's image [0x400000, ", nopie, "go build -buildmode=pie ./cmd/minemu"}
	tests := []struct {
		name   string
		minemu string
		bin    string
		args   []string
		flags  []string
		status int
		stderr []string // substrings
	}{
		{name: "i386 refused", minemu: nopie, bin: "hello-i386", status: 1, stderr: refusal32},
		{name: "i386 refused before the audit", minemu: nopie, bin: "sieve-i386", flags: []string{"--audit"}, status: 1, stderr: refusal32},
		{name: "i386 glibc refused", minemu: nopie, bin: "libc-glibc-i386", args: []string{"hello"}, status: 1, stderr: refusal32},
		{name: "x86-64 PIE runs", minemu: nopie, bin: "hello-pie-x86_64", flags: []string{"--audit"},
			stderr: []string{"minemu: 4 GiB audit: ok (mode 64)"}},
		{name: "x86-64 at 0x400000 overlaps", minemu: nopie, bin: "hello-x86_64", status: 1,
			stderr: []string{"bin/hello-x86_64: image [0x400000, 0x403000) overlaps existing mapping [0x400000, ", nopie}},
		{name: "PIE build runs i386", minemu: minemuBin, bin: "hello-i386", flags: []string{"--audit"},
			stderr: []string{"minemu: 4 GiB audit: ok (mode 32)"}},
		{name: "PIE build runs i386 glibc", minemu: minemuBin, bin: "libc-glibc-i386", args: []string{"hello"}},
		{name: "PIE build runs x86-64 at 0x400000", minemu: minemuBin, bin: "hello-x86_64", flags: []string{"--audit"},
			stderr: []string{"minemu: 4 GiB audit: ok (mode 64)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			statsFile := filepath.Join(t.TempDir(), "stats.json")
			flags := append([]string{"--engine", enginetest.Engine(), "--stats", statsFile}, tc.flags...)
			cmd := exec.Command(tc.minemu, append(append(append([]string{"run"}, flags...), "./bin/"+tc.bin), tc.args...)...)
			cmd.Dir = guestDir
			cmd.Env = guestEnv(t)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status {
				t.Fatalf("status %d, want %d\nstderr:\n%s", status, tc.status, stderr.String())
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Fatalf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if strings.Contains(stderr.String(), "goroutine ") {
				t.Fatalf("Go stack trace on stderr:\n%s", stderr.String())
			}
			if tc.status != 0 {
				if stdout.Len() != 0 {
					t.Fatalf("a refused guest printed %q", stdout.String())
				}
				if _, err := os.Stat(statsFile); err == nil {
					t.Fatalf("a refused guest left a --stats file")
				}
				return
			}
			name := tc.bin // the case name in cases.txt
			if len(tc.args) > 0 {
				name += "-" + tc.args[0]
			}
			want, _ := golden(t, name)
			if stdout.String() != string(want) {
				t.Fatalf("stdout %q, want %q", stdout.String(), want)
			}
			if tc.minemu == nopie {
				// A 64-bit guest: the audit does not judge, but it reports
				// the low image.
				b, err := os.ReadFile(statsFile)
				if err != nil {
					t.Fatal(err)
				}
				var st struct {
					MM struct {
						Audit struct {
							Low []struct {
								Class string `json:"class"`
								Path  string `json:"path"`
							} `json:"low"`
						} `json:"audit"`
					} `json:"mm"`
				}
				if err := json.Unmarshal(b, &st); err != nil {
					t.Fatal(err)
				}
				found := false
				for _, s := range st.MM.Audit.Low {
					found = found || s.Class == "image" && s.Path == nopie
				}
				if !found {
					t.Fatalf("mm.audit.low does not list minemu's image: %+v", st.MM.Audit.Low)
				}
			}
		})
	}
}
