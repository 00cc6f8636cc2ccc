package tests

import (
	"bytes"
	"strings"
	"testing"
)

// TestGuestsV3 runs the libc, SIMD and AVX cases with --cpu x86-64-v3: the
// guest's CPUID then reports AVX, AVX2, FMA, F16C and XSAVE, so glibc's
// IFUNCs pick their AVX2 string and memory functions (and musl's and the
// programs' own code is unchanged); the output must still be the golden,
// recorded natively on a host with those features.
func TestGuestsV3(t *testing.T) {
	for _, c := range readCases(t) {
		if !strings.HasPrefix(c.name, "libc-") && !strings.HasPrefix(c.name, "simd-") && !strings.HasPrefix(c.name, "avx-") {
			continue
		}
		c := c
		t.Run(c.name, func(t *testing.T) {
			if why, ok := disabled[c.name]; ok {
				t.Skip(why)
			}
			wantOut, wantStatus := golden(t, c.name)
			r := runGuest(t, "minemu", c, "--cpu", "x86-64-v3")
			if r.status != wantStatus || !bytes.Equal(r.stdout, wantOut) {
				t.Fatalf("status %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.status, wantStatus, r.stdout, wantOut, r.stderr)
			}
		})
	}
}
