//go:build linux && amd64

package hostsig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Scenarios that end or kill the process run in a child: the test binary
// re-executed with childEnv naming the scenario.
const childEnv = "HOSTSIG_TEST_CHILD"

func runChild(name string) int {
	cfg := Config{Guest: DefaultGuestSignals}
	if name == "quit-from-outside" {
		// The wake pipe moved to a descriptor band, as minemu does.
		cfg.PlaceFD = func(fd int) (int, error) {
			nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 500)
			unix.Close(fd)
			return nfd, err
		}
	}
	if err := Install(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	switch name {
	case "quit-from-outside":
		// The parent sends SIGQUIT: the guest's, recorded; Go never sees it.
		if wakeFD < 500 {
			fmt.Fprintln(os.Stderr, "wake pipe not placed:", wakeFD)
			return 1
		}
		fmt.Println("ready")
		for ProcessPending()&SigsetOf(SIGQUIT) == 0 {
			<-ProcessNotify()
		}
		si, _ := TakeProcess(SIGQUIT)
		if si.Pid() != int32(os.Getppid()) || si.Code() != SI_USER {
			fmt.Fprintf(os.Stderr, "SIGQUIT pid %d code %d, want %d %d\n", si.Pid(), si.Code(), os.Getppid(), SI_USER)
			return 1
		}
		return 0
	case "quit-self-raw":
		// kill(getpid(), SIGQUIT): what Go's crash relay sends;
		// Go's handler gets it (goroutine dump, exit 2).
		syscall.Kill(os.Getpid(), syscall.SIGQUIT)
		time.Sleep(5 * time.Second)
		return 0
	case "raise-usr1":
		runtime.LockOSThread()
		err := RaiseDefault(SIGUSR1)
		fmt.Fprintln(os.Stderr, "survived SIGUSR1:", err)
		return 1
	case "raise-chld":
		runtime.LockOSThread()
		if err := RaiseDefault(SIGCHLD); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if cur, _ := getsig(SIGCHLD); cur.handler != handlerAddr() {
			fmt.Fprintln(os.Stderr, "handler not restored")
			return 1
		}
		return 0
	case "go-crash":
		// GOTRACEBACK=crash: Go's fatal path relays SIGQUIT to its other
		// threads with kill(getpid()), then dies by SIGABRT.
		var m map[int]int
		go func() { m[0] = 1 }()
		time.Sleep(5 * time.Second)
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown scenario", name)
	return 1
}

func startChild(t *testing.T, name string, env ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+name), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

func waitStatus(cmd *exec.Cmd) syscall.WaitStatus {
	cmd.Wait()
	return cmd.ProcessState.Sys().(syscall.WaitStatus)
}

func TestChildQuitFromOutside(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=quit-from-outside")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("child said %q", line)
	}
	cmd.Process.Signal(syscall.SIGQUIT)
	if ws := waitStatus(cmd); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("child: %v, stderr %q; want exit 0", ws, stderr.String())
	}
	if strings.Contains(stderr.String(), "goroutine") {
		t.Fatalf("Go trace printed: %q", stderr.String())
	}
}

func TestChildQuitSelf(t *testing.T) {
	cmd, _, stderr := startChild(t, "quit-self-raw")
	if ws := waitStatus(cmd); !ws.Exited() || ws.ExitStatus() != 2 || !strings.Contains(stderr.String(), "SIGQUIT: quit") {
		t.Fatalf("self-sent SIGQUIT: %v, stderr %.200q; want Go's dump and exit 2", ws, stderr)
	}
}

func TestChildRaiseDefault(t *testing.T) {
	cmd, _, stderr := startChild(t, "raise-usr1")
	if ws := waitStatus(cmd); !ws.Signaled() || ws.Signal() != syscall.SIGUSR1 {
		t.Fatalf("RaiseDefault(SIGUSR1): %v, stderr %q; want killed by SIGUSR1", ws, stderr)
	}
	cmd, _, stderr = startChild(t, "raise-chld")
	if ws := waitStatus(cmd); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("RaiseDefault(SIGCHLD): %v, stderr %q; want exit 0", ws, stderr)
	}
}

func TestChildGoCrash(t *testing.T) {
	cmd, _, stderr := startChild(t, "go-crash", "GOTRACEBACK=crash")
	ws := waitStatus(cmd)
	if !ws.Signaled() || ws.Signal() != syscall.SIGABRT || !strings.Contains(stderr.String(), "concurrent map writes") &&
		!strings.Contains(stderr.String(), "assignment to entry in nil map") {
		t.Fatalf("Go crash: %v, stderr %.300q; want Go's report and death by SIGABRT", ws, stderr)
	}
}
