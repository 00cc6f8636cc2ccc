package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/minemu/minemu/thunks"
)

const thunksUsage = `usage:
  minemu thunks list                   the thunk libraries of this minemu and their functions
  minemu thunks header [-o FILE] [LIB] the guest header of LIB (default: minemu.h, minemu's own)
  minemu thunks stubs [-o FILE] LIB    the C file defining LIB's functions under their own names
  minemu thunks build [-C DIR] [-o OUT] PACKAGE...
                                       build a minemu (PIE) that includes the thunk libraries of the
                                       Go packages, from the minemu source tree DIR (default .)
`

// runThunks implements `minemu thunks ...`.
func runThunks(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, thunksUsage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, thunksUsage)
		return 0
	case "list":
		fmt.Fprintf(stdout, "%s (minemu's own): %d functions\n", thunks.HostLibrary, len(thunks.HostLibSpecs()))
		for _, l := range thunks.Included() {
			specs, _ := l.Specs() // Include checked them
			names := make([]string, len(specs))
			for i, s := range specs {
				names[i] = s.Name
			}
			fmt.Fprintf(stdout, "%s: %s\n", l.Name, strings.Join(names, " "))
		}
		return 0
	case "header", "stubs":
		return thunksWrite(args[0], args[1:], stdout, stderr)
	case "build":
		return thunksBuild(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "minemu thunks: unknown command %q\n%s", args[0], thunksUsage)
	return 2
}

// thunksWrite writes a library's header or stubs file.
func thunksWrite(what string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("minemu thunks "+what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write to `FILE` instead of stdout")
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 || what == "stubs" && fs.NArg() != 1 {
		fmt.Fprint(stderr, thunksUsage)
		return 2
	}
	name := fs.Arg(0)
	var buf bytes.Buffer
	var err error
	if name == "" || name == thunks.HostLibrary {
		if what == "stubs" {
			fmt.Fprintln(stderr, "minemu thunks stubs: minemu's own library is header-only")
			return 2
		}
		err = thunks.WriteHeader(&buf, thunks.HostLibSpecs())
	} else {
		var lib *thunks.Library
		for _, l := range thunks.Included() {
			if l.Name == name {
				lib = l
			}
		}
		if lib == nil {
			fmt.Fprintf(stderr, "minemu thunks %s: no thunk library %q in this minemu (minemu thunks list; minemu thunks build adds one)\n", what, name)
			return 1
		}
		if what == "header" {
			err = thunks.WriteLibraryHeader(&buf, lib)
		} else {
			err = thunks.WriteLibraryStubs(&buf, lib)
		}
	}
	if err == nil {
		if *out == "" {
			_, err = stdout.Write(buf.Bytes())
		} else {
			err = os.WriteFile(*out, buf.Bytes(), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "minemu thunks %s: %v\n", what, err)
		return 1
	}
	return 0
}

// thunksBuild builds cmd/minemu of the source tree with one more file,
// given to the go command as an overlay (the tree is not modified): blank
// imports of the library packages, whose init functions call
// thunks.Include.
func thunksBuild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("minemu thunks build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("C", ".", "the minemu source tree (the module github.com/minemu/minemu)")
	out := fs.String("o", "minemu", "the `FILE` to write")
	goCmd := fs.String("go", "go", "the go command")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		fmt.Fprint(stderr, thunksUsage)
		return 2
	}
	if err := buildWithLibraries(*goCmd, *dir, *out, fs.Args(), stderr); err != nil {
		fmt.Fprintln(stderr, "minemu thunks build:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: minemu with thunk libraries %s\n", *out, strings.Join(fs.Args(), " "))
	return 0
}

func buildWithLibraries(goCmd, dir, out string, pkgs []string, stderr io.Writer) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	// The packages, resolved by the go command in the source tree: import
	// paths of packages that exist (a relative directory is resolved too).
	list := exec.Command(goCmd, append([]string{"list", "-f", "{{.ImportPath}} {{.Name}}", "--"}, pkgs...)...)
	list.Dir = dir
	list.Stderr = stderr
	b, err := list.Output()
	if err != nil {
		return fmt.Errorf("go list %s: %w", strings.Join(pkgs, " "), err)
	}
	var imports []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		path, name, _ := strings.Cut(line, " ")
		if name == "main" {
			return fmt.Errorf("%s is a command, not a thunk library package", path)
		}
		imports = append(imports, path)
	}
	mod := exec.Command(goCmd, "list", "-m")
	mod.Dir = dir
	if b, err := mod.Output(); err != nil || strings.TrimSpace(string(b)) != "github.com/minemu/minemu" {
		return errors.New(dir + " is not the minemu source tree (module github.com/minemu/minemu)")
	}
	tmp, err := os.MkdirTemp("", "minemu-thunks-build")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var src strings.Builder
	src.WriteString("// Code generated by minemu thunks build; DO NOT EDIT.\n\npackage main\n\nimport (\n")
	for _, p := range imports {
		fmt.Fprintf(&src, "\t_ %q\n", p)
	}
	src.WriteString(")\n")
	gen := filepath.Join(tmp, "thunk_libraries.go")
	if err := os.WriteFile(gen, []byte(src.String()), 0o644); err != nil {
		return err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(dir, "cmd", "minemu", "zz_thunk_libraries.go"): gen},
	})
	ov := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		return err
	}
	build := exec.Command(goCmd, "build", "-buildmode=pie", "-overlay", ov, "-o", out, "./cmd/minemu")
	build.Dir = dir
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}
