//go:build linux && amd64

package hostsig

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// bound turns a hang into a failure; the limit is a liveness bound, far
// above the expected time, not a timing assertion.
func bound(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not finish", what)
	}
}

// TestGoPreemption: a goroutine spinning without calls can only be stopped
// by asynchronous preemption (SIGURG, through our handler to Go's); GC's
// stop-the-world needs it.
func TestGoPreemption(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	urg := ReadStats().Seen[SIGURG]
	var stop atomic.Bool
	var n uint64
	go func() {
		for !stop.Load() {
			n++
		}
	}()
	bound(t, "runtime.GC with a spinning goroutine", func() {
		for i := 0; i < 5; i++ {
			runtime.GC()
		}
	})
	stop.Store(true)
	if ReadStats().Seen[SIGURG] == urg {
		t.Fatal("no SIGURG went through the handler")
	}
}

// TestGoNotify: os/signal still works for a signal not taken for the guest,
// and Notify/Stop leave our handlers in place.
func TestGoNotify(t *testing.T) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	bound(t, "SIGINT via signal.Notify", func() { <-c })
	signal.Stop(c)
	for _, sig := range []int{SIGSEGV, SIGUSR1, SIGURG} {
		if cur, _ := getsig(sig); cur.handler != handlerAddr() {
			t.Errorf("signal %d: handler replaced after Notify/Stop", sig)
		}
	}
}

//go:noinline
func spinCPU(d time.Duration) (x uint64) {
	for start := time.Now(); time.Since(start) < d; {
		for i := 0; i < 100000; i++ {
			x += uint64(i) * x
		}
	}
	return x
}

// TestGoProfile: the CPU profiler (SIGPROF, not wrapped by default) still
// samples, and StartCPUProfile/StopCPUProfile leave our handlers in place.
func TestGoProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Fatal(err)
	}
	spinCPU(300 * time.Millisecond) // workload length, not an assertion
	pprof.StopCPUProfile()
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	if !bytes.Contains(raw, []byte("hostsig.spinCPU")) {
		t.Fatal("profile has no sample in spinCPU")
	}
	for _, sig := range []int{SIGSEGV, SIGURG, SIGALRM} {
		if cur, _ := getsig(sig); cur.handler != handlerAddr() {
			t.Errorf("signal %d: handler replaced by the profiler", sig)
		}
	}
}

func drain(sig int) {
	for {
		if _, ok := TakeProcess(sig); !ok {
			return
		}
	}
}

// TestExecSIGCHLD: SIGCHLD taken for the guest does not disturb os/exec
// (which waits with pidfd/wait4, not SIGCHLD), and the guest's copy carries
// the child's pid and status.
func TestExecSIGCHLD(t *testing.T) {
	drain(SIGCHLD)
	cmd := exec.Command("/bin/sh", "-c", "exit 3")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("Run: %v, want exit status 3", err)
	}
	pid := int32(cmd.Process.Pid)
	bound(t, "SIGCHLD recorded", func() {
		for !ProcessPending().Has(SIGCHLD) {
			time.Sleep(time.Millisecond)
		}
	})
	si, _ := TakeProcess(SIGCHLD)
	if si.Pid() != pid || si.Code() != CLD_EXITED || si.Status() != 3 {
		t.Fatalf("SIGCHLD pid %d code %d status %d; want %d %d 3", si.Pid(), si.Code(), si.Status(), pid, CLD_EXITED)
	}
}

// kill sends sig to us from another process, /bin/kill.
func kill(t *testing.T, sig syscall.Signal) int32 {
	t.Helper()
	cmd := exec.Command("/bin/kill", "-s", strconv.Itoa(int(sig)), strconv.Itoa(os.Getpid()))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kill: %v %s", err, out)
	}
	return int32(cmd.Process.Pid)
}

// TestProcessDirected: kill from another process lands in the process set,
// whichever thread the kernel picked, and wakes ProcessNotify.
func TestProcessDirected(t *testing.T) {
	drain(SIGUSR2)
	notify := ProcessNotify()
	pid := kill(t, syscall.SIGUSR2)
	bound(t, "ProcessNotify", func() {
		for !ProcessPending().Has(SIGUSR2) {
			<-notify
		}
	})
	si, ok := TakeProcess(SIGUSR2)
	if !ok || si.Code() != SI_USER || si.Pid() != pid || si.Uid() != uint32(os.Getuid()) {
		t.Fatalf("SIGUSR2 code %d pid %d uid %d; want %d %d %d", si.Code(), si.Pid(), si.Uid(), SI_USER, pid, os.Getuid())
	}
	if ProcessPending().Has(SIGUSR2) {
		t.Fatal("still pending after Take")
	}
}

// TestGoOwnedSelfSignals: a tgkill of SIGURG to ourselves is Go's
// (preemption) and is not recorded; SIGURG from another process is the
// guest's. Both reach Go's handler.
func TestGoOwnedSelfSignals(t *testing.T) {
	drain(SIGURG)
	onThread(t, func(th *Thread) {
		st := ReadStats()
		unix.Tgkill(os.Getpid(), th.Tid(), unix.SIGURG)
		if th.Pending() != 0 || ProcessPending().Has(SIGURG) || ReadStats().GoOwned == st.GoOwned {
			t.Errorf("self SIGURG: pending %v/%v, GoOwned %d -> %d", th.Pending(), ProcessPending(), st.GoOwned, ReadStats().GoOwned)
		}
	})
	st := ReadStats()
	pid := kill(t, syscall.SIGURG)
	bound(t, "SIGURG recorded", func() {
		for !ProcessPending().Has(SIGURG) {
			time.Sleep(time.Millisecond)
		}
	})
	if si, _ := TakeProcess(SIGURG); si.Pid() != pid || si.Code() != SI_USER {
		t.Errorf("outside SIGURG: pid %d code %d, want %d %d", si.Pid(), si.Code(), pid, SI_USER)
	}
	if ReadStats().Forwarded == st.Forwarded {
		t.Errorf("outside SIGURG not forwarded to Go")
	}
}

// TestBlockUnblock: a guest signal blocked on the host thread stays pending
// in the kernel and is recorded once unblocked; the fault signals are never
// blocked.
func TestBlockUnblock(t *testing.T) {
	onThread(t, func(th *Thread) {
		old, err := Block(SigsetOf(SIGUSR1, SIGSEGV, SIGURG))
		if err != nil {
			t.Fatal(err)
		}
		defer SetMask(old)
		m, _ := Mask()
		if !m.Has(SIGUSR1) || m.Has(SIGSEGV) || m.Has(SIGURG) {
			t.Fatalf("mask %v: want SIGUSR1, not SIGSEGV or SIGURG", m)
		}
		unix.Tgkill(os.Getpid(), th.Tid(), unix.SIGUSR1)
		if hp, _ := HostPending(); !hp.Has(SIGUSR1) || th.Pending() != 0 {
			t.Fatalf("blocked: host pending %v, recorded %v", hp, th.Pending())
		}
		Unblock(SigsetOf(SIGUSR1))
		if th.Pending() != SigsetOf(SIGUSR1) {
			t.Fatalf("after Unblock recorded %v, want {SIGUSR1}", th.Pending())
		}
		th.Take(SIGUSR1)
	})
}

// TestQueueing: standard signals coalesce while pending, real-time signals
// queue in order with their values (up to the ring's 8; more are counted as
// dropped). rt_tgsigqueueinfo's SI_QUEUE does not say it was aimed at one
// thread, so those land in the process set, with the receiving thread's tid.
func TestQueueing(t *testing.T) {
	const rt = SIGRTMIN + 4
	onThread(t, func(th *Thread) {
		unix.Tgkill(os.Getpid(), th.Tid(), unix.SIGUSR1)
		unix.Tgkill(os.Getpid(), th.Tid(), unix.SIGUSR1)
		if _, ok := th.Take(SIGUSR1); !ok {
			t.Fatal("SIGUSR1 not recorded")
		}
		if _, ok := th.Take(SIGUSR1); ok {
			t.Fatal("SIGUSR1 recorded twice while pending")
		}
		old, _ := Block(SigsetOf(rt))
		for v := 0; v < 10; v++ {
			var si Siginfo
			si.setInt32(0, rt)
			si.setInt32(8, SI_QUEUE)
			si.setInt32(16, int32(os.Getpid()))
			si.Raw[24] = byte(v)
			if err := rtTgsigqueueinfo(os.Getpid(), th.Tid(), rt, &si.Raw); err != nil {
				t.Fatal(err)
			}
		}
		dropped := ProcessDropped()
		SetMask(old) // the kernel now delivers the 10, in order
		for v := 0; v < ringLen; v++ {
			si, ok := TakeProcess(rt)
			if !ok || si.Value() != uint64(v) || si.Code() != SI_QUEUE || si.Tid != int32(th.Tid()) {
				t.Fatalf("instance %d: %v value %d code %d tid %d", v, ok, si.Value(), si.Code(), si.Tid)
			}
		}
		if _, ok := TakeProcess(rt); ok || ProcessDropped()-dropped != 10-ringLen {
			t.Fatalf("after %d: more queued, or dropped %d, want %d", ringLen, ProcessDropped()-dropped, 10-ringLen)
		}
		if *th.PendingFlag() == 0 {
			t.Fatal("pending flag not set by a process-directed signal on the thread")
		}
	})
}

// TestTakePendingOrder: the kernel's order: thread set before process set,
// synchronous signals first, then the lowest number; only allowed ones.
func TestTakePendingOrder(t *testing.T) {
	for _, sig := range []int{SIGHUP, SIGTERM, SIGRTMIN + 1, SIGSYS} {
		drain(sig)
	}
	onThread(t, func(th *Thread) {
		mk := func(sig int) Siginfo {
			var si Siginfo
			si.setInt32(0, int32(sig))
			si.setInt32(8, SI_TKILL)
			return si
		}
		Inject(nil, mk(SIGHUP))
		for _, sig := range []int{SIGTERM, SIGRTMIN + 1, SIGSYS, SIGUSR2} {
			if !Inject(th, mk(sig)) {
				t.Fatalf("Inject(%d) refused", sig)
			}
		}
		var got []int
		for {
			// Only these: other tests leave process-directed signals behind.
			si, ok := th.TakePending(SigsetOf(SIGHUP, SIGTERM, SIGRTMIN+1, SIGSYS))
			if !ok {
				break
			}
			got = append(got, si.Signo())
		}
		want := []int{SIGSYS, SIGTERM, SIGRTMIN + 1, SIGHUP}
		if len(got) != len(want) {
			t.Fatalf("order %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("order %v, want %v", got, want)
			}
		}
		if *th.PendingFlag() != 0 || th.Pending() != SigsetOf(SIGUSR2) {
			t.Fatalf("flag %d pending %v: want 0, the blocked SIGUSR2", *th.PendingFlag(), th.Pending())
		}
		th.Take(SIGUSR2)
	})
}

// TestFaultSignalFromOutside: SIGSEGV sent by kill (si_code SI_USER) is not a
// fault: it is the guest's, and the process does not die.
func TestFaultSignalFromOutside(t *testing.T) {
	drain(SIGSEGV)
	pid := kill(t, syscall.SIGSEGV)
	bound(t, "SIGSEGV recorded", func() {
		for !ProcessPending().Has(SIGSEGV) {
			time.Sleep(time.Millisecond)
		}
	})
	if si, _ := TakeProcess(SIGSEGV); si.Pid() != pid || si.Code() != SI_USER {
		t.Fatalf("SIGSEGV pid %d code %d, want %d %d", si.Pid(), si.Code(), pid, SI_USER)
	}
}

// TestInheritedGS: a thread whose GS base points at another thread's block
// (what a thread the runtime creates from a registered one inherits) is not
// taken for that thread: nothing is written into the block, a guest signal
// goes to the process set with the real receiver's tid.
func TestInheritedGS(t *testing.T) {
	drain(SIGUSR1)
	onThread(t, func(owner *Thread) {
		seq := owner.b.faultSeq
		done := make(chan int)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			setGS(owner.Block())
			unix.Tgkill(os.Getpid(), unix.Gettid(), unix.SIGUSR1)
			probe(func() { accLoad64(0x28) })
			setGS(0)
			done <- unix.Gettid()
		}()
		tid := <-done
		if owner.Pending() != 0 || owner.b.faultSeq != seq || *owner.PendingFlag() != 0 {
			t.Fatalf("owner's block written: pending %v, faults %d -> %d, flag %d",
				owner.Pending(), seq, owner.b.faultSeq, *owner.PendingFlag())
		}
		si, ok := TakeProcess(SIGUSR1)
		if !ok || si.Tid != int32(tid) || si.Code() != SI_TKILL {
			t.Fatalf("process set: %v tid %d code %d; want tid %d SI_TKILL", ok, si.Tid, si.Code(), tid)
		}
	})
}

// TestWithoutFSGSBASE runs the handler's and Register's other path, the one
// for CPUs or kernels without FSGSBASE: the GS base read and set with
// arch_prctl.
func TestWithoutFSGSBASE(t *testing.T) {
	if atomic.LoadUint32(&haveFSGSBASE) == 0 {
		t.Log("FSGSBASE absent: the arch_prctl path is the one every test uses")
	}
	old := atomic.SwapUint32(&haveFSGSBASE, 0)
	defer atomic.StoreUint32(&haveFSGSBASE, old)
	onThread(t, func(th *Thread) {
		if got := getGS(); got != th.Block() {
			t.Fatalf("GS base %#x, want the block %#x", got, th.Block())
		}
		unix.Tgkill(os.Getpid(), th.Tid(), unix.SIGUSR2)
		if si, ok := th.Take(SIGUSR2); !ok || si.Tid != int32(th.Tid()) {
			t.Fatalf("SIGUSR2 not recorded for the thread")
		}
		probe(func() { accLoad64(0x30) })
		if fl, ok := th.TakeFault(); !ok || fl.Info.Addr() != 0x30 {
			t.Fatalf("fault not recorded: %v %#x", ok, fl.Info.Addr())
		}
	})
}
