//go:build linux && amd64

package hostsig

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func pipe(t testing.TB) (r, w int) {
	t.Helper()
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// waitInSyscall polls /proc until thread tid sleeps in system call nr with
// first argument a1: then a signal sent to it interrupts the call itself.
func waitInSyscall(tid int, nr, a1 uintptr) {
	want := fmt.Sprintf("%d %#x ", nr, a1)
	path := fmt.Sprintf("/proc/self/task/%d/syscall", tid)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.HasPrefix(string(b), want) {
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " S") {
				return
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// watchdog writes a byte to w unless stop is closed within 10 s: a bound on
// a read that a lost signal would leave blocked (the read then returns the
// byte and the test fails), not a timing assertion.
func watchdog(w int) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			unix.Write(w, []byte{'!'})
		}
	}()
	return func() { close(done) }
}

func read(th *Thread, fd int, buf []byte) (uintptr, syscall.Errno) {
	return th.Syscall6(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
}

// TestSafeSyscallInterruptedRead: a read blocked on an empty pipe, a real
// tgkill of SIGUSR1 from another goroutine. The kernel interrupts the read
// and, the handler having SA_RESTART, restarts it: the PC is back on the
// SYSCALL instruction, the handler rewinds it to the flag check, which sees
// the flag the handler set. The guest signal is recorded with the kernel's
// siginfo.
func TestSafeSyscallInterruptedRead(t *testing.T) {
	r, w := pipe(t)
	rewound := ReadStats().Rewound
	onThread(t, func(th *Thread) {
		tid := th.Tid()
		go func() {
			waitInSyscall(tid, unix.SYS_READ, uintptr(r))
			unix.Tgkill(os.Getpid(), tid, unix.SIGUSR1)
		}()
		buf := make([]byte, 8)
		stop := watchdog(w)
		n, errno := read(th, r, buf)
		stop()
		if errno != ERESTARTSYS {
			t.Errorf("read = %d, %v; want ERESTARTSYS", int(n), errno)
		}
		if th.WindowHits() == 0 {
			t.Errorf("no window hit: the restart did not land on the SYSCALL instruction")
		}
		if got := th.Pending(); got != SigsetOf(SIGUSR1) {
			t.Errorf("Pending = %v, want {SIGUSR1}", got)
		}
		si, ok := th.TakePending(SigsetOf(SIGUSR1))
		if !ok {
			t.Fatal("nothing to take")
		}
		if si.Signo() != SIGUSR1 || si.Code() != SI_TKILL || si.Pid() != int32(os.Getpid()) ||
			si.Uid() != uint32(os.Getuid()) || si.Errno() != 0 || si.Tid != int32(tid) {
			t.Errorf("siginfo signo %d code %d pid %d uid %d errno %d tid %d; want %d %d %d %d 0 %d",
				si.Signo(), si.Code(), si.Pid(), si.Uid(), si.Errno(), si.Tid,
				SIGUSR1, SI_TKILL, os.Getpid(), os.Getuid(), tid)
		}
		if *th.PendingFlag() != 0 {
			t.Errorf("pending flag still set after taking the only signal")
		}
	})
	if ReadStats().Rewound == rewound {
		t.Errorf("Stats.Rewound did not move")
	}
}

// TestSafeSyscallEINTR: nanosleep is not restarted after a handler
// (ERESTART_RESTARTBLOCK): the kernel returns EINTR, the PC is after the
// SYSCALL instruction, no rewind.
func TestSafeSyscallEINTR(t *testing.T) {
	onThread(t, func(th *Thread) {
		tid := th.Tid()
		ts := unix.Timespec{Sec: 30}
		go func() {
			waitInSyscall(tid, unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)))
			unix.Tgkill(os.Getpid(), tid, unix.SIGUSR2)
		}()
		var rem unix.Timespec
		_, errno := th.Syscall6(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&rem)), 0, 0, 0, 0)
		if errno != unix.EINTR {
			t.Errorf("nanosleep: %v, want EINTR", errno)
		}
		if rem.Sec == 0 && rem.Nsec == 0 {
			t.Errorf("remaining time not written")
		}
		if th.WindowHits() != 0 {
			t.Errorf("%d window hits, want 0", th.WindowHits())
		}
		si, ok := th.Take(SIGUSR2)
		if !ok || si.Code() != SI_TKILL {
			t.Errorf("Take(SIGUSR2) = code %d, %v", si.Code(), ok)
		}
	})
}

// TestSafeSyscallFlagBeforeEntry: with the flag already set, the call is not
// made at all: the byte is not written.
func TestSafeSyscallFlagBeforeEntry(t *testing.T) {
	r, w := pipe(t)
	onThread(t, func(th *Thread) {
		*th.PendingFlag() = 1
		b := []byte{'x'}
		_, errno := th.Syscall6(unix.SYS_WRITE, uintptr(w), uintptr(unsafe.Pointer(&b[0])), 1, 0, 0, 0)
		if errno != ERESTARTSYS {
			t.Errorf("write with flag set: %v, want ERESTARTSYS", errno)
		}
		n, err := unix.IoctlGetInt(r, unix.TIOCINQ)
		if err != nil || n != 0 {
			t.Errorf("pipe holds %d bytes (%v), want 0: the call was made", n, err)
		}
		*th.PendingFlag() = 0
		if n, errno := th.Syscall6(unix.SYS_WRITE, uintptr(w), uintptr(unsafe.Pointer(&b[0])), 1, 0, 0, 0); errno != 0 || n != 1 {
			t.Errorf("write with flag clear: %d, %v", n, errno)
		}
		if n, errno := th.Syscall6(unix.SYS_CLOSE, 1<<30, 0, 0, 0, 0, 0); errno != unix.EBADF || n != ^uintptr(0) {
			t.Errorf("close(bad) = %#x, %v; want -1, EBADF", n, errno)
		}
	})
}

// TestKick: Kick interrupts a blocked safe call without any guest signal:
// SIGURG (Go's, forwarded) restarts the read, the rewind sees the flag.
func TestKick(t *testing.T) {
	r, w := pipe(t)
	onThread(t, func(th *Thread) {
		go func() {
			waitInSyscall(th.Tid(), unix.SYS_READ, uintptr(r))
			if err := th.Kick(); err != nil {
				panic(err)
			}
		}()
		buf := make([]byte, 1)
		stop := watchdog(w)
		defer stop()
		if _, errno := read(th, r, buf); errno != ERESTARTSYS {
			t.Errorf("kicked read: %v, want ERESTARTSYS", errno)
		}
		if p := th.Pending(); p != 0 {
			t.Errorf("Pending = %v, want {}", p)
		}
	})
}

// TestSafeSyscallRace sends SIGUSR1 at random moments around a blocking read
// (before the call, in the window, inside the kernel): a sender on its own
// OS thread spins until the reader announces the run, spins a random count
// more, then tgkills the reader, which itself spins a random count before
// its read. Every run must end with ERESTARTSYS and
// SIGUSR1 pending; a run the signal failed to interrupt would block until
// the watchdog writes a byte, and is counted as lost.
func TestSafeSyscallRace(t *testing.T) {
	const runs = 400
	r, w := pipe(t)
	onThread(t, func(th *Thread) {
		tid := th.Tid()
		var run, sent atomic.Int64
		go func() {
			runtime.LockOSThread()
			rng := rand.New(rand.NewSource(1))
			for i := int64(1); i <= runs; i++ {
				for run.Load() != i {
				}
				spin(rng.Intn([]int{1, 100, 400, 3000}[i%4]))
				unix.Tgkill(os.Getpid(), tid, unix.SIGUSR1)
				sent.Store(i)
			}
		}()
		var lost, before, rewound int
		rng := rand.New(rand.NewSource(2))
		buf := make([]byte, 1)
		for i := int64(1); i <= runs; i++ {
			hits := th.WindowHits()
			stop := watchdog(w)
			run.Store(i)
			spin(rng.Intn([]int{1, 300, 3000, 30000}[i%4]))
			_, errno := read(th, r, buf)
			stop()
			switch {
			case errno == 0:
				lost++
			case errno != ERESTARTSYS:
				t.Fatalf("run %d: read: %v", i, errno)
			}
			if th.WindowHits() != hits {
				rewound++
			}
			for sent.Load() != i {
			}
			if _, ok := th.Take(SIGUSR1); !ok {
				t.Fatalf("run %d: SIGUSR1 not pending", i)
			}
			if th.WindowHits() == hits && errno == ERESTARTSYS {
				before++
			}
			*th.PendingFlag() = 0
		}
		t.Logf("%d runs: rewound (window or kernel restart) %d, flag seen at the check %d, lost %d", runs, rewound, before, lost)
		if lost != 0 {
			t.Fatalf("%d of %d signals did not interrupt the read", lost, runs)
		}
	})
}

// spin burns about n nanoseconds.
//
//go:noinline
func spin(n int) (x int) {
	for j := 0; j < n; j++ {
		x += j ^ x
	}
	return x
}

// threadTimer arms a POSIX timer that sends sig to thread tid every period
// (SIGEV_THREAD_ID) and returns its id.
func threadTimer(t testing.TB, tid, sig int, period time.Duration) int {
	t.Helper()
	var sev struct {
		value  uint64
		signo  int32
		notify int32
		tid    int32
		_      [44]byte
	}
	sev.signo, sev.notify, sev.tid = int32(sig), 4 /* SIGEV_THREAD_ID */, int32(tid)
	var id int32
	if _, _, e := unix.RawSyscall(unix.SYS_TIMER_CREATE, unix.CLOCK_MONOTONIC, uintptr(unsafe.Pointer(&sev)), uintptr(unsafe.Pointer(&id))); e != 0 {
		t.Fatal("timer_create:", e)
	}
	ts := unix.NsecToTimespec(int64(period))
	spec := [2]unix.Timespec{ts, ts}
	if _, _, e := unix.RawSyscall6(unix.SYS_TIMER_SETTIME, uintptr(id), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); e != 0 {
		t.Fatal("timer_settime:", e)
	}
	return int(id)
}

func deleteTimer(id int) { unix.RawSyscall(unix.SYS_TIMER_DELETE, uintptr(id), 0, 0) }

// TestSafeSyscallWindowStorm makes signals land in the window itself: a
// timer sends SIGALRM to the thread every 20 µs while it makes safe getppid
// calls back to back. A signal taken in user mode between the check and the
// SYSCALL instruction sets the flag and rewinds; the call must then not be
// made. Without the rewind such a call would return the parent's pid with a
// guest signal pending (for a blocking call: sleep with it pending).
func TestSafeSyscallWindowStorm(t *testing.T) {
	const wantHits, maxCalls = 20, 20_000_000
	onThread(t, func(th *Thread) {
		id := threadTimer(t, th.Tid(), SIGALRM, 20*time.Microsecond)
		defer deleteTimer(id)
		ppid := uintptr(os.Getppid())
		calls, interrupted := 0, 0
		for ; calls < maxCalls && th.WindowHits() < wantHits; calls++ {
			hits := th.WindowHits()
			r, errno := th.Syscall6(unix.SYS_GETPPID, 0, 0, 0, 0, 0, 0)
			if th.WindowHits() != hits && errno != ERESTARTSYS {
				t.Fatalf("call %d: signal in the window, but the call was made: %d, %v", calls, r, errno)
			}
			switch errno {
			case ERESTARTSYS:
				interrupted++
				for {
					if _, ok := th.TakePending(SigsetOf(SIGALRM)); !ok {
						break
					}
				}
			case 0:
				if r != ppid {
					t.Fatalf("getppid = %d, want %d", r, ppid)
				}
			default:
				t.Fatalf("getppid: %v", errno)
			}
		}
		t.Logf("%d calls, %d interrupted, %d window hits", calls, interrupted, th.WindowHits())
		if th.WindowHits() < wantHits {
			t.Fatalf("only %d window hits in %d calls", th.WindowHits(), calls)
		}
	})
}

// TestSIGPIPE: the kernel's SIGPIPE for a write to a pipe without reader is
// sent to the writing thread (SI_USER, our pid): recorded in its own set,
// and the write fails with EPIPE as it does natively.
func TestSIGPIPE(t *testing.T) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(fds[0])
	w := fds[1]
	defer unix.Close(w)
	onThread(t, func(th *Thread) {
		b := []byte{'x'}
		if _, errno := th.Syscall6(unix.SYS_WRITE, uintptr(w), uintptr(unsafe.Pointer(&b[0])), 1, 0, 0, 0); errno != unix.EPIPE {
			t.Errorf("write: %v, want EPIPE", errno)
		}
		si, ok := th.Take(SIGPIPE)
		if !ok || si.Code() != SI_USER || si.Pid() != int32(os.Getpid()) || si.Tid != int32(th.Tid()) {
			t.Fatalf("SIGPIPE in the thread's set: %v code %d pid %d tid %d", ok, si.Code(), si.Pid(), si.Tid)
		}
	})
}
