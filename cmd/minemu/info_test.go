package main

import (
	"bytes"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of `minemu info`")

// infoGuests are the committed guests whose `minemu info` output is
// golden (tests/guests/golden/info-NAME.txt).
var infoGuests = []string{"hello-i386", "hello-x86_64", "hello-pie-x86_64", "libc-glibc-i386", "libc-musl-x86_64", "libc-dyn-glibc-i386"}

func TestInfoGolden(t *testing.T) {
	t.Chdir("../../tests/guests")
	for _, name := range infoGuests {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if st := infoMain([]string{"bin/" + name}, &out, &errb); st != 0 {
				t.Fatalf("status %d, stderr %q", st, errb.String())
			}
			golden := filepath.Join("golden", "info-"+name+".txt")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("got:\n%s\nwant:\n%s", out.Bytes(), want)
			}
		})
	}
}

// TestInfoAgreesWithDebugELF checks every committed guest's program
// headers as printed against the standard library's parser.
func TestInfoAgreesWithDebugELF(t *testing.T) {
	dir := "../../tests/guests/bin"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		var out, errb bytes.Buffer
		if st := infoMain([]string{path}, &out, &errb); st != 0 {
			t.Fatalf("%s: status %d, stderr %q", path, st, errb.String())
		}
		ef, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ef.Progs {
			row := fmt.Sprintf("%#x  %#x  %#x  %#x", p.Off, p.Vaddr, p.Filesz, p.Memsz)
			if !strings.Contains(strings.Join(strings.Fields(out.String()), "  "), row) {
				t.Fatalf("%s: output lacks program header %s:\n%s", path, row, out.String())
			}
		}
		wantEntry := fmt.Sprintf("Entry:        %#x", ef.Entry)
		if !strings.Contains(out.String(), wantEntry) {
			t.Fatalf("%s: output lacks %q", path, wantEntry)
		}
		ef.Close()
	}
}

func TestInfoErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notelf")
	os.WriteFile(bad, []byte("#!/bin/sh\necho hi\n"), 0o755)
	arm := filepath.Join(dir, "arm")
	b, _ := os.ReadFile("../../tests/guests/bin/hello-i386")
	b[18] = 40 // EM_ARM
	os.WriteFile(arm, b, 0o644)
	tests := []struct {
		args   []string
		status int
		stderr string
	}{
		{nil, 2, "usage"},
		{[]string{filepath.Join(dir, "missing")}, 1, "no such file"},
		{[]string{dir}, 1, "not a regular file"},
		{[]string{bad}, 1, bad + ": not an ELF file"},
		{[]string{arm}, 1, arm + ": unsupported machine 40"},
		{[]string{"../../tests/guests/bin/hello-i386", bad}, 1, "not an ELF file"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		st := infoMain(tc.args, &out, &errb)
		if st != tc.status || !strings.Contains(errb.String(), tc.stderr) {
			t.Fatalf("info %q: status %d stderr %q, want %d and %q", tc.args, st, errb.String(), tc.status, tc.stderr)
		}
	}
	var out, errb bytes.Buffer
	if st := infoMain([]string{"-h"}, &out, &errb); st != 0 || !strings.Contains(out.String(), "usage: minemu info") {
		t.Fatalf("-h: status %d out %q", st, out.String())
	}
}
