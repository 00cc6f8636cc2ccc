// Command gen writes the guest side of minemu's thunk libraries: by
// default minemu's own header (tests/guests/include/minemu.h, from the host
// library's specs); with -lib NAME the header and the stubs file of an
// in-tree thunk library (thunks/libs/...). Run it through go generate in
// package thunks and in each library package.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/minemu/minemu/thunks"
	_ "github.com/minemu/minemu/thunks/libs/example"
	_ "github.com/minemu/minemu/thunks/libs/zlib"
)

func main() {
	out := flag.String("o", "", "output `FILE` of the header (default stdout)")
	lib := flag.String("lib", "", "write the guest side of the included thunk library `NAME` instead of minemu.h")
	stubs := flag.String("stubs", "", "with -lib: also write the library's stubs file to `FILE`")
	flag.Parse()
	if *lib == "" {
		write(*out, func(w io.Writer) error { return thunks.WriteHeader(w, thunks.HostLibSpecs()) })
		return
	}
	var l *thunks.Library
	for _, x := range thunks.Included() {
		if x.Name == *lib {
			l = x
		}
	}
	if l == nil {
		fail(fmt.Errorf("no thunk library %q in gen (import its package in thunks/gen)", *lib))
	}
	write(*out, func(w io.Writer) error { return thunks.WriteLibraryHeader(w, l) })
	if *stubs != "" {
		write(*stubs, func(w io.Writer) error { return thunks.WriteLibraryStubs(w, l) })
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}

// write writes what f produces to path (stdout if ""). An unchanged file
// keeps its modification time, so make does not rebuild the committed
// guest binaries after every go generate.
func write(path string, f func(io.Writer) error) {
	var buf bytes.Buffer
	if err := f(&buf); err != nil {
		fail(err)
	}
	if path == "" {
		os.Stdout.Write(buf.Bytes())
		return
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, buf.Bytes()) {
		return
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		fail(err)
	}
}
