package tests

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestShellScenario runs a shell script of pipelines, command
// substitution, subshells, a background job with wait, a trap and
// redirections with the host's /bin/sh (Debian's dash, a dynamically linked
// x86-64 program) natively and under minemu: the output and status must be
// the same. Every external command it starts (tr, sed, cat, sleep, sh) runs
// under minemu too, through the guest's fork and execve.
func TestShellScenario(t *testing.T) {
	script, err := filepath.Abs(filepath.Join(guestDir, "shell", "scenario.sh"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) ([]byte, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		status := 0
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.Bytes(), status
	}
	want, wantStatus := run("/bin/sh", script)
	if !bytes.Contains(want, []byte("trapped USR1")) || !bytes.HasSuffix(want, []byte("end\n")) {
		t.Fatalf("the native run did not run the whole scenario:\n%s", want)
	}
	got, status := run(minemuBin, "run", "/bin/sh", script)
	if status != wantStatus || !bytes.Equal(got, want) {
		t.Fatalf("under minemu: status %d, output:\n%s\nwant status %d, output:\n%s", status, got, wantStatus, want)
	}
}
