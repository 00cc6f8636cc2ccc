package linux

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestParseShebang follows binfmt_script: the interpreter is the first
// word, the rest of the line (trimmed) one argument.
func TestParseShebang(t *testing.T) {
	long := "#!/bin/" + strings.Repeat("x", 300)
	cases := []struct {
		in          string
		interp, arg string
		ok          bool
	}{
		{"#!/bin/sh\n", "/bin/sh", "", true},
		{"#! /bin/sh -e\necho", "/bin/sh", "-e", true},
		{"#!/usr/bin/env python3  -u  \n", "/usr/bin/env", "python3  -u", true},
		{"#!\t/bin/sh\t-x\n", "/bin/sh", "-x", true},
		{"#!/bin/sh", "/bin/sh", "", true},
		{"#!\n", "", "", false},
		{"#!   \n", "", "", false},
		{long[:256], "", "", false},
	}
	for _, c := range cases {
		interp, arg, ok := parseShebang([]byte(c.in))
		if interp != c.interp || arg != c.arg || ok != c.ok {
			t.Errorf("parseShebang(%q) = %q, %q, %v; want %q, %q, %v", c.in, interp, arg, ok, c.interp, c.arg, c.ok)
		}
	}
}

// TestResolveExec checks the errors execve reports before its point of no
// return, and the argv a script's interpreter gets.
func TestResolveExec(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	elf := "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 9) + "\x02\x00\x3e\x00" + strings.Repeat("\x00", 40)
	arm := "\x7fELF\x01\x01\x01" + strings.Repeat("\x00", 9) + "\x02\x00\x28\x00" + strings.Repeat("\x00", 40)
	prog := write("prog", elf, 0o755)
	script := write("script", "#!"+prog+" -a\n", 0o755)
	loop := write("loop", "", 0o755)
	write("loop", "#!"+loop+"\n", 0o755)
	cases := []struct {
		name  string
		path  string
		want  unix.Errno
		argv0 string
	}{
		{"x86-64 ELF", prog, 0, "prog"},
		{"missing", filepath.Join(dir, "none"), unix.ENOENT, ""},
		{"not executable", write("noexec", elf, 0o644), unix.EACCES, ""},
		{"directory", dir, unix.EACCES, ""},
		{"text", write("text", "hello\n", 0o755), unix.ENOEXEC, ""},
		{"empty", write("empty", "", 0o755), unix.ENOEXEC, ""},
		{"ARM ELF", write("arm", arm, 0o755), unix.ENOEXEC, ""},
		{"script", script, 0, prog},
		{"script with a missing interpreter", write("badscript", "#!/nonexistent/sh\n", 0o755), unix.ENOENT, ""},
		{"script loop", loop, unix.ELOOP, ""},
		{"the test binary", self, 0, "x"},
	}
	for _, c := range cases {
		got, argv, e := resolveExec(c.path, []string{"x", "y"})
		if e != c.want {
			t.Errorf("%s: errno %v, want %v", c.name, e, c.want)
			continue
		}
		if e != 0 && (got != "" || argv != nil) {
			t.Errorf("%s: failed but returned %q %q", c.name, got, argv)
		}
	}
	got, argv, e := resolveExec(script, []string{"x", "y"})
	if want := []string{prog, "-a", script, "y"}; e != 0 || got != prog || strings.Join(argv, "|") != strings.Join(want, "|") {
		t.Fatalf("script: %q %q %v, want %q %q", got, argv, e, prog, want)
	}
}
