package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/minemu/minemu/mm"
)

func TestImageWarning(t *testing.T) {
	img := mm.AddrRange{Start: 0x400000, End: 0x2700000}
	tests := []struct {
		name string
		low  bool
		err  error
		want []string // substrings; none means no warning
	}{
		{name: "high image", low: false},
		{name: "low image", low: true, want: []string{"[0x400000, 0x2700000)", "below 4 GiB", "-buildmode=pie"}},
		{name: "unreadable maps", err: errors.New("no /proc"), want: []string{"cannot check", "no /proc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := imageWarning(tc.low, img, tc.err)
			if len(tc.want) == 0 && got != "" {
				t.Fatalf("got warning %q, want none", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Fatalf("warning %q lacks %q", got, w)
				}
			}
		})
	}
}

// TestWarnIfImageLowSelf: the test binary warns exactly when it is not a
// PIE (go test builds non-PIE binaries unless given -buildmode=pie).
func TestWarnIfImageLowSelf(t *testing.T) {
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	pie := f.Type == elf.ET_DYN
	f.Close()
	var buf bytes.Buffer
	warnIfImageLow(&buf)
	if warned := strings.Contains(buf.String(), "below 4 GiB"); warned == pie {
		t.Fatalf("PIE=%v, warning %q", pie, buf.String())
	}
}

// TestCheckWindowFreeSelf: the test binary passes the 32-bit guest's check
// exactly when it is a PIE; otherwise the refusal names its image at
// 0x400000 and says how to build minemu.
func TestCheckWindowFreeSelf(t *testing.T) {
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	pie := f.Type == elf.ET_DYN
	f.Close()
	err = checkWindowFree("guest")
	if pie {
		if err != nil {
			t.Fatalf("PIE test binary refused: %v", err)
		}
		return
	}
	var wt *windowTakenError
	if !errors.As(err, &wt) {
		t.Fatalf("non-PIE test binary: got %v, want a windowTakenError", err)
	}
	msg := err.Error()
	for _, want := range []string{"guest: cannot run a 32-bit guest", "minemu's image [0x400000, ", p, "go build -buildmode=pie ./cmd/minemu"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("refusal %q lacks %q", msg, want)
		}
	}
}

func TestWindowTakenMessage(t *testing.T) {
	seg := func(s, e mm.Addr, c mm.Class, path string) mm.AuditSegment {
		return mm.AuditSegment{Range: mm.AddrRange{Start: s, End: e}, Class: c, Path: path}
	}
	low := []mm.AuditSegment{
		seg(0x400000, 0x5b9000, mm.ClassImage, "/bin/minemu"),
		seg(0x5b9000, 0x7a9000, mm.ClassImage, "/bin/minemu"),
		seg(0x7a9000, 0x2849000, mm.ClassImage, ""), // bss
		seg(0x30000000, 0x30021000, mm.ClassHostBrk, "[heap]"),
		seg(0x30021000, 0x30022000, mm.ClassGoRuntime, ""),
	}
	got := (&windowTakenError{path: "g", low: mergeSegments(low)}).Error()
	want := "g: cannot run a 32-bit guest: minemu's own memory lies below 4 GiB, inside the guest's address space:\n" +
		"minemu:   minemu's image [0x400000, 0x2849000) /bin/minemu\n" +
		"minemu:   minemu's C heap (program break) [0x30000000, 0x30021000) [heap]\n" +
		"minemu:   go-runtime [0x30021000, 0x30022000)\n" +
		"minemu: the guest could read and overwrite it. minemu was built without -buildmode=pie; build it as a\n" +
		"minemu: position-independent executable, which the kernel places above 4 GiB:\n" +
		"minemu:   go build -buildmode=pie ./cmd/minemu"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
