// Command gen writes minemu's guest header (tests/guests/include/minemu.h)
// from the host library's registry of specs. Run it through go generate in
// package thunks.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/minemu/minemu/thunks"
)

func main() {
	out := flag.String("o", "", "output `FILE` (default stdout)")
	flag.Parse()
	var buf bytes.Buffer
	if err := thunks.WriteHeader(&buf, thunks.HostLibSpecs()); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if *out == "" {
		os.Stdout.Write(buf.Bytes())
		return
	}
	// An unchanged header keeps its modification time, so make does not
	// rebuild the committed guest binaries after every go generate.
	if old, err := os.ReadFile(*out); err == nil && bytes.Equal(old, buf.Bytes()) {
		return
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
