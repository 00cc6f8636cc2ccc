package tests

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalsFromOutside sends signals to a running minemu, as a shell or
// a terminal would, while its guest blocks reading a pipe: a guest handler
// runs (the read fails with EINTR, or is restarted under SA_RESTART), or
// the signal's default action ends the guest with the status a shell sees
// natively. The same program runs natively first; the two must agree,
// and minemu must never print a Go trace.
func TestSignalsFromOutside(t *testing.T) {
	for _, c := range []struct {
		mode string
		sig  syscall.Signal
	}{
		{"eintr", syscall.SIGINT}, {"eintr", syscall.SIGTERM}, {"eintr", syscall.SIGHUP}, {"eintr", syscall.SIGQUIT},
		{"restart", syscall.SIGUSR1}, {"sleep", syscall.SIGUSR1},
		{"default", syscall.SIGTERM}, {"default", syscall.SIGQUIT}, {"default", syscall.SIGHUP}, {"default", syscall.SIGUSR1},
		{"default", syscall.SIGPIPE}, {"default", syscall.SIGSYS}, {"default", syscall.SIGSTKFLT}, {"default", syscall.SIGXCPU},
	} {
		for _, bin := range []string{"signals-glibc-i386", "signals-glibc-x86_64", "signals-musl-x86_64"} {
			name := bin + "/" + c.mode + "/" + c.sig.String()
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				path := filepath.Join("guests", "bin", bin)
				nOut, nStatus, _ := runSignalled(t, exec.Command(path, "wait", c.mode), c.sig)
				mOut, mStatus, mErr := runSignalled(t, exec.Command(minemuBin, "run", path, "wait", c.mode), c.sig)
				if mStatus != nStatus || mOut != nOut {
					t.Errorf("minemu: status %d, stdout %q; native: status %d, stdout %q\nstderr:\n%s", mStatus, mOut, nStatus, nOut, mErr)
				}
				if strings.Contains(mErr, "goroutine ") || strings.Contains(mErr, "SIGQUIT: quit") {
					t.Errorf("minemu printed a Go trace:\n%s", mErr)
				}
			})
		}
	}
}

// runSignalled starts cmd, waits for its "ready" line, sends it sig and
// returns its stdout, exit status (128+n for a signal death, as a shell
// shows it) and stderr.
func runSignalled(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) (string, int, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("%v: first line %q (%v), stderr:\n%s", cmd.Args, line, err, stderr.String())
	}
	waitBlockedInRead(cmd.Process.Pid)
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	timer := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	var rest bytes.Buffer
	go func() {
		_, _ = rest.ReadFrom(r)
		close(done)
	}()
	<-done
	err = cmd.Wait()
	status := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			status = 128 + int(ws.Signal())
		} else {
			status = ws.ExitStatus()
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return line + rest.String(), status, stderr.String()
}

var blockingNr = map[string]bool{"0": true, "3": true, "230": true, "267": true, "407": true, "35": true, "162": true}

// waitBlockedInRead waits (up to 10 s) until a thread of process pid
// blocks in read (number 0 for x86-64, 3 for an i386 task in
// /proc/PID/task/TID/syscall), so that a signal sent then interrupts the
// read rather than arriving before it.
func waitBlockedInRead(pid int) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/syscall")
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			// read (0, i386 3), clock_nanosleep (230, i386 267 and 407),
			// nanosleep (35, i386 162).
			if fs := strings.Fields(string(b)); len(fs) > 1 && blockingNr[fs[0]] {
				time.Sleep(20 * time.Millisecond)
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStopContinueFromOutside: SIGTSTP stops a guest without a handler
// (minemu's process stops, as the native one does), SIGCONT continues it,
// and SIGTERM then ends it with the native status.
func TestStopContinueFromOutside(t *testing.T) {
	for _, bin := range []string{"signals-glibc-i386", "signals-glibc-x86_64"} {
		t.Run(bin, func(t *testing.T) {
			path := filepath.Join("guests", "bin", bin)
			for _, args := range [][]string{{path}, {minemuBin, "run", path}} {
				cmd := exec.Command(args[0], append(args[1:], "wait", "default")...)
				// A process group of its own whose parent (this test) is in
				// another group of the session: not orphaned, so the kernel
				// does not discard SIGTSTP, wherever the tests run.
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
					t.Fatalf("%v: %q", args, line)
				}
				waitBlockedInRead(cmd.Process.Pid)
				_ = cmd.Process.Signal(syscall.SIGTSTP)
				if s := waitState(cmd.Process.Pid, 'T'); s != 'T' {
					t.Errorf("%v: state %c after SIGTSTP, want T (stopped)", args, s)
				}
				_ = cmd.Process.Signal(syscall.SIGCONT)
				if s := waitState(cmd.Process.Pid, 'S'); s != 'S' {
					t.Errorf("%v: state %c after SIGCONT, want S", args, s)
				}
				_ = cmd.Process.Signal(syscall.SIGTERM)
				err = cmd.Wait()
				var ee *exec.ExitError
				status := 0
				if errors.As(err, &ee) {
					ws := ee.Sys().(syscall.WaitStatus)
					status = ws.ExitStatus()
					if ws.Signaled() {
						status = 128 + int(ws.Signal())
					}
				}
				if status != 143 {
					t.Errorf("%v: status %d after SIGTERM, want 143", args, status)
				}
			}
		})
	}
}

// waitState waits (up to 5 s) for process pid's state (/proc/PID/stat)
// to become want and returns the last state seen.
func waitState(pid int, want byte) byte {
	var s byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
			s = b[i+2]
		}
		if s == want {
			break
		}
	}
	return s
}
