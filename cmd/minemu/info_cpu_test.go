package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/minemu/minemu/guest/interp"
	"github.com/minemu/minemu/guest/isa/cpuid"
)

// TestInfoCPU checks `minemu info --cpu` prints the model run would build
// for each way of asking, and refuses bad usage with status 2.
func TestInfoCPU(t *testing.T) {
	describe := func(l cpuid.Level, mode64 bool) string {
		m, err := interp.NewModel(l, mode64)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		m.Describe(&b)
		return b.String()
	}
	for _, c := range []struct {
		args   []string
		status int
		stdout string // "" when none is expected
		stderr string // a substring of stderr
	}{
		{[]string{"--cpu"}, 0, describe(0, true), ""},
		{[]string{"-cpu"}, 0, describe(0, true), ""},
		{[]string{"--cpu", "x86-64"}, 0, describe(cpuid.Baseline, true), ""},
		{[]string{"--cpu", "x86-64-v2"}, 0, describe(cpuid.V2, true), ""},
		{[]string{"--cpu=x86-64-v3"}, 0, describe(cpuid.V3, true), ""},
		{[]string{"--cpu", "x86-64-v3", "--mode", "32"}, 0, describe(cpuid.V3, false), ""},
		{[]string{"--cpu", "--mode", "32", "x86-64-v2"}, 0, describe(cpuid.V2, false), ""},
		{[]string{"--cpu", "--mode=32"}, 0, describe(0, false), ""},
		{[]string{"--cpu", "-h"}, 0, "", ""},
		{[]string{"--cpu", "x86-64-v4"}, 2, "", "AVX-512"},
		{[]string{"--cpu=pentium"}, 2, "", `unknown CPU level "pentium"`},
		{[]string{"--cpu", "x86-64", "x86-64-v2"}, 2, "", "one LEVEL"},
		{[]string{"--cpu", "--mode", "16"}, 2, "", "bad --mode 16"},
		{[]string{"--cpu", "--bogus"}, 2, "", "not defined"},
	} {
		var out, errb bytes.Buffer
		st := infoMain(c.args, &out, &errb)
		if st != c.status || c.stdout != "" && out.String() != c.stdout || !strings.Contains(errb.String(), c.stderr) {
			t.Fatalf("info %q: status %d, stdout:\n%s\nstderr: %q; want status %d, stdout:\n%s\nstderr containing %q",
				c.args, st, out.String(), errb.String(), c.status, c.stdout, c.stderr)
		}
		if c.status == 0 && errb.Len() != 0 {
			t.Fatalf("info %q: stderr %q", c.args, errb.String())
		}
		if c.status != 0 && out.Len() != 0 {
			t.Fatalf("info %q: stdout %q on a usage error", c.args, out.String())
		}
		if c.args[len(c.args)-1] == "-h" && !strings.HasPrefix(out.String(), "usage: minemu info --cpu") {
			t.Fatalf("info --cpu -h printed %q", out.String())
		}
	}
}
