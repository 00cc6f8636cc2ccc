package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minemu/minemu/guest/engine/enginetest"
)

// limitsBins are the builds of src/limits.c.
var limitsBins = []string{"limits-glibc-i386", "limits-glibc-x86_64", "limits-musl-x86_64"}

// TestLimitsStats runs the limits cases (descriptor numbering, resource
// limits the guest sets) with --stats and --audit: the guest's output is
// still the golden one, and whatever limits the guest set for itself
// (RLIMIT_AS, RLIMIT_DATA, RLIMIT_NOFILE, RLIMIT_FSIZE, RLIMIT_MEMLOCK),
// minemu survives them, passes its audit and writes its statistics,
// which show its descriptors in the band above the guest's.
func TestLimitsStats(t *testing.T) {
	n := 0
	for _, c := range readCases(t) {
		if !strings.HasPrefix(c.name, "limits-") {
			continue
		}
		n++
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			wantOut, wantStatus := golden(t, c.name)
			file := filepath.Join(t.TempDir(), "stats.json")
			r := runGuest(t, "minemu", c, "--stats", file, "--audit")
			if r.status != wantStatus || !bytes.Equal(r.stdout, wantOut) {
				t.Fatalf("status %d (want %d), stdout differs from golden/%s.stdout:\n%s\nstderr:\n%s",
					r.status, wantStatus, c.name, firstDiff(r.stdout, wantOut), r.stderr)
			}
			if !strings.Contains(string(r.stderr), "minemu: 4 GiB audit: ok") {
				t.Fatalf("stderr lacks the audit's ok:\n%s", r.stderr)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no stats file: %v\nstderr:\n%s", err, r.stderr)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("stats are not JSON: %v\n%s", err, b)
			}
			if st, ok := stat(m, "exit.status"); !ok || int(st) != wantStatus {
				t.Fatalf("exit.status = %v, want %d", st, wantStatus)
			}
			start, ok1 := stat(m, "guest.fd_band.start")
			end, ok2 := stat(m, "guest.fd_band.end")
			owned, _ := lookup(m, "guest.fd_band.owned")
			fds, _ := owned.([]any)
			if !ok1 || !ok2 || start < 64 || end <= start || len(fds) < 3 {
				t.Fatalf("fd_band: start %v end %v owned %v, want a band above 64 holding the poller's two and the probe", start, end, owned)
			}
			for _, fd := range fds {
				if f, _ := fd.(float64); f < start || f >= end {
					t.Fatalf("owned descriptor %v outside the band [%v, %v)", fd, start, end)
				}
			}
		})
	}
	if n < 21 {
		t.Fatalf("only %d limits cases in cases.txt", n)
	}
}

// runBoth runs bin with args natively and under minemu with the same
// credentials (nil: the test's own) and extra files (the guest's fd 3 on),
// and returns both results.
func runBoth(t *testing.T, bin string, args []string, cred *syscall.Credential, extra func() []*os.File) (native, emu result) {
	t.Helper()
	run := func(name string, argv ...string) result {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, argv...)
		cmd.Dir = guestDir
		cmd.Env = guestEnv(t)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if extra != nil {
			cmd.ExtraFiles = extra()
			defer func() {
				for _, f := range cmd.ExtraFiles {
					f.Close()
				}
			}()
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := result{stdout: out.Bytes(), stderr: errb.Bytes()}
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			r.status = ee.ExitCode()
			if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
				r.status = 128 + int(ws.Signal())
			}
		default:
			t.Fatalf("running %s: %v", name, err)
		}
		return r
	}
	native = run("./bin/"+bin, args...)
	emu = run(minemuBin, append([]string{"run", "--engine", enginetest.Engine(), "./bin/" + bin}, args...)...)
	return native, emu
}

// sameRun fails unless the two runs printed and exited alike.
func sameRun(t *testing.T, what string, native, emu result) {
	t.Helper()
	if emu.status != native.status || !bytes.Equal(emu.stdout, native.stdout) {
		t.Fatalf("%s: minemu status %d, native %d; stdout:\n%s\nminemu stderr:\n%s",
			what, emu.status, native.status, firstDiff(emu.stdout, native.stdout), emu.stderr)
	}
}

// TestLimitsPrivileges compares the results that depend on the
// capabilities (raising hard limits needs CAP_SYS_RESOURCE, locking
// memory beyond RLIMIT_MEMLOCK CAP_IPC_LOCK) with the native run under
// the same credentials: the test's own and, when the test runs as root,
// nobody's, which has none.
func TestLimitsPrivileges(t *testing.T) {
	creds := []struct {
		name string
		cred *syscall.Credential
	}{{"self", nil}}
	if os.Geteuid() == 0 {
		// minemu's temporary directory must be reachable for nobody.
		if err := os.Chmod(filepath.Dir(minemuBin), 0o755); err != nil {
			t.Fatal(err)
		}
		creds = append(creds, struct {
			name string
			cred *syscall.Credential
		}{"nobody", &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: false}})
	}
	for _, cr := range creds {
		for _, bin := range limitsBins {
			for _, test := range []string{"priv", "memlock", "get", "nofile"} {
				t.Run(cr.name+"/"+bin+"/"+test, func(t *testing.T) {
					native, emu := runBoth(t, bin, []string{test}, cr.cred, nil)
					if native.status != 0 {
						t.Fatalf("native run failed with %d:\n%s%s", native.status, native.stdout, native.stderr)
					}
					sameRun(t, test, native, emu)
				})
			}
		}
	}
}

// TestInheritedDescriptors: descriptors the guest inherits are the
// guest's, at the numbers they have natively; its own start after them.
func TestInheritedDescriptors(t *testing.T) {
	for _, bin := range limitsBins {
		t.Run(bin, func(t *testing.T) {
			extra := func() []*os.File {
				f, err := os.Open(filepath.Join(guestDir, "cases.txt"))
				if err != nil {
					t.Fatal(err)
				}
				return []*os.File{f}
			}
			native, emu := runBoth(t, bin, []string{"fds"}, nil, extra)
			if !bytes.HasPrefix(native.stdout, []byte("first open 4, second 5\n")) {
				t.Fatalf("native run did not inherit fd 3:\n%s", native.stdout)
			}
			sameRun(t, "fds with fd 3 inherited", native, emu)
		})
	}
}
