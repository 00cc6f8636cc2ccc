package tests

import (
	"strings"
	"testing"
)

// TestPeerMemoryRefused: a guest's child is another minemu, whose memory
// holds minemu's beside its guest's, so the parent guest may read it
// neither through /proc/<pid>/mem nor process_vm_readv (EPERM), where the
// native parent reads its child's memory with both.
func TestPeerMemoryRefused(t *testing.T) {
	for _, bin := range []string{"fork-glibc-i386", "fork-glibc-x86_64", "fork-musl-x86_64"} {
		t.Run(bin, func(t *testing.T) {
			c := guestCase{name: bin + "-peer", bin: bin, args: []string{"peer"}}
			native := runGuest(t, "native", c)
			for _, want := range []string{"open child's mem: ok, read the secret\n", "process_vm_readv of the child: ok\n"} {
				if !strings.Contains(string(native.stdout), want) {
					t.Fatalf("native run: %q lacks %q", native.stdout, want)
				}
			}
			r := runGuest(t, "minemu", c)
			for _, want := range []string{"open child's mem: EPERM\n", "process_vm_readv of the child: EPERM\n", "child: exited 0\n"} {
				if !strings.Contains(string(r.stdout), want) {
					t.Fatalf("under minemu: %q lacks %q\nstderr:\n%s", r.stdout, want, r.stderr)
				}
			}
		})
	}
}
