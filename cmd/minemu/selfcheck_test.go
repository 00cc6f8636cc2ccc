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
