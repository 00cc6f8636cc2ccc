// Command minemu runs 32-bit and 64-bit x86 Linux programs.
//
//	minemu run [flags] GUEST [ARGS...]   run a guest; the exit status is the guest's
//	minemu info GUEST                    describe an ELF file
//	minemu info --cpu [LEVEL]            describe the CPU a guest sees
//	minemu mm replay [flags] TRACE       replay an allocation trace through a heap
//	minemu thunks list|header|stubs|build  thunk libraries: list them, write their
//	                                     guest side, build a minemu that includes some
//	minemu --version
//
// minemu must be built as a position-independent executable
// (go build -buildmode=pie) so that its own image lies above 4 GiB and the
// low 4 GiB are free for 32-bit guests. `minemu run` refuses a 32-bit guest
// while anything of its own lies below 4 GiB; a 64-bit guest runs unless a
// segment of it would overlap minemu, which the loader refuses.
//
// The Go runtime must not keep descriptors of its own at numbers the guest
// would get (see fdband.PrepareHost): with containermaxprocs it would keep
// its cgroup CPU limit files open for good, so that is off.

//go:debug containermaxprocs=0
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/rs/zerolog"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  minemu run [flags] GUEST [ARGS...]   run a guest program (minemu run -h for flags)
  minemu info GUEST                    describe an ELF file
  minemu info --cpu [LEVEL]            describe the CPU a guest sees (LEVEL: x86-64, x86-64-v2, x86-64-v3)
  minemu mm replay [flags] TRACE       replay an allocation trace through a heap
  minemu thunks list|header|stubs|build
                                       thunk libraries (minemu thunks -h)
  minemu --version                     print the version
`

// dispatch runs one command line and returns the process exit status.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, "minemu", version)
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "run":
		// Before anything opens a file: minemu's descriptors go above
		// the guest's numbers.
		band, err := fdband.PrepareHost()
		if err != nil {
			fmt.Fprintln(stderr, "minemu:", err)
			return 1
		}
		return runGuest(args[1:], stdout, stderr, band)
	case "info":
		return runInfo(args[1:])
	case "thunks":
		return runThunks(args[1:], stdout, stderr)
	case "mm":
		if len(args) >= 2 && args[1] == "replay" {
			warnIfImageLow(stderr)
			return runMMReplay(args[2:])
		}
		fmt.Fprint(stderr, "usage: minemu mm replay [--heap primary|host] [--mode 32|64] TRACE\n")
		return 2
	}
	fmt.Fprintf(stderr, "minemu: unknown command %q\n%s", args[0], usage)
	return 2
}

// newLogger builds the zerolog logger the flags ask for. Logging goes to
// stderr; the default level (warn) keeps it off the hot path.
func newLogger(w io.Writer, level, format string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("bad --log-level %q (want trace, debug, info, warn, error or disabled)", level)
	}
	switch format {
	case "console":
		w = zerolog.ConsoleWriter{Out: w, NoColor: true, TimeFormat: "15:04:05.000"}
	case "json":
	default:
		return zerolog.Nop(), fmt.Errorf("bad --log-format %q (want console or json)", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}
