package loader

import (
	"os"
	"path/filepath"
	"testing"
)

// TestInterpPath builds a sysroot with the links distribution packages
// hold and resolves interpreter paths in it: before (the tree) →
// InterpPath → after (the file that serves, or the host path when the
// sysroot has none).
func TestInterpPath(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"lib32", "usr/lib/x86_64-linux-gnu", "usr/lib/i386-linux-gnu"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"lib32/ld-linux.so.2", "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "usr/lib/i386-linux-gnu/ld-linux.so.2"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("\x7fELF"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"lib":                   "usr/lib",                      // usrmerge: relative
		"lib64":                 "/usr/lib/x86_64-linux-gnu",    // absolute, re-rooted
		"usr/lib/ld-linux.so.2": "/lib32/ld-linux.so.2",         // libc6-i386's absolute link
		"usr/lib/loop":          "loop",                         // a loop
		"usr/lib/up":            "../../../../../lib32",         // .. stops at the top
		"usr/lib/dangling":      "/nowhere",                     // to nothing
		"usr/lib/ld-musl.so.1":  "i386-linux-gnu/ld-linux.so.2", // relative, into a subdirectory
		"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2.link": "ld-linux-x86-64.so.2",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		sysroot, interp, want string
	}{
		{root, "/lib/ld-linux.so.2", filepath.Join(root, "lib32/ld-linux.so.2")},
		{root, "/lib64/ld-linux-x86-64.so.2", filepath.Join(root, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")},
		{root, "/lib/up/ld-linux.so.2", filepath.Join(root, "lib32/ld-linux.so.2")},
		{root, "/lib/ld-musl.so.1", filepath.Join(root, "usr/lib/i386-linux-gnu/ld-linux.so.2")},
		{root, "/lib//./i386-linux-gnu/../i386-linux-gnu/ld-linux.so.2", filepath.Join(root, "usr/lib/i386-linux-gnu/ld-linux.so.2")},
		{root, "/lib/loop", "/lib/loop"},
		{root, "/lib/dangling", "/lib/dangling"},
		{root, "/lib32/ld-linux.so.2/x", "/lib32/ld-linux.so.2/x"},
		{root, "/lib/ld-linux-x86-64.so.2", "/lib/ld-linux-x86-64.so.2"},
		{"", "/lib/ld-linux.so.2", "/lib/ld-linux.so.2"},
		{root, "relative/ld.so", "relative/ld.so"},
	}
	for _, tc := range tests {
		if got := InterpPath(tc.sysroot, tc.interp); got != tc.want {
			t.Fatalf("InterpPath(%q, %q) = %q, want %q", tc.sysroot, tc.interp, got, tc.want)
		}
	}
}
