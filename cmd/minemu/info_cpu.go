package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/minemu/minemu/guest/interp"
	"github.com/minemu/minemu/guest/isa/cpuid"
)

const infoCPUUsage = `usage: minemu info --cpu [LEVEL] [--mode 32|64]

Prints the CPU a guest sees: vendor, family/model/stepping and brand (the
host's), the x86-64 level and the features reported, those withheld and
why, the topology, XCR0 and the XSAVE area size, the auxiliary-vector
values, and every non-zero CPUID leaf.

LEVEL is x86-64, x86-64-v2 or x86-64-v3, as minemu run --cpu takes it (also
--cpu=LEVEL); without it, the highest level that minemu implements
completely on this host, which is run's default.
`

// isCPUFlag reports whether arg is info's --cpu flag (--cpu, -cpu,
// --cpu=LEVEL, -cpu=LEVEL).
func isCPUFlag(arg string) bool {
	name, _, _ := strings.Cut(arg, "=")
	return name == "--cpu" || name == "-cpu"
}

// infoCPU implements `minemu info --cpu [LEVEL] [--mode 32|64]`; args[0]
// is the --cpu flag. The status is 0 when the model was printed, 2 on a
// usage error.
func infoCPU(args []string, stdout, stderr io.Writer) int {
	level, rest := "", args[1:]
	if _, v, ok := strings.Cut(args[0], "="); ok {
		level = v
	} else if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		level, rest = rest[0], rest[1:]
	}
	fs := flag.NewFlagSet("info --cpu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), infoCPUUsage); fs.PrintDefaults() }
	mode := fs.Int("mode", 64, "the guest's mode: 64 (x86-64) or 32 (i386)")
	for _, a := range rest {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout) // asked for: the usage is the output
		}
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 1 && level == "" {
		level = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "minemu info: --cpu takes one LEVEL, not %q\n", fs.Args())
		return 2
	}
	if *mode != 32 && *mode != 64 {
		fmt.Fprintf(stderr, "minemu info: bad --mode %d (want 32 or 64)\n", *mode)
		return 2
	}
	var l cpuid.Level
	if level != "" {
		var err error
		if l, err = cpuid.ParseLevel(level); err != nil {
			fmt.Fprintf(stderr, "minemu info: %v\n", err)
			return 2
		}
	}
	mode64 := *mode == 64
	m, err := interp.NewModel(l, mode64)
	if err != nil {
		fmt.Fprintf(stderr, "minemu info: %v\n", err)
		return 2
	}
	m.Describe(stdout)
	return 0
}
