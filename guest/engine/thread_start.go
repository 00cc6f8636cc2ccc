package engine

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
)

// Guest threads the kernel starts (clone). Each runs on a goroutine of its
// own locked to an OS thread of its own, which is never unlocked: when the
// guest thread ends, the goroutine exits and the Go runtime ends its OS
// thread with it, so the host thread id the guest thread was given (its
// tid, which gettid, tgkill and futex owners name) dies with it, as the
// kernel's task does.
//
// A thread's system calls go to its own kernel (the ThreadKernel setup
// returned), the main thread's to the process's (Config.Kernel). Kill asks
// a thread to end from any goroutine: the exit is recorded, the stop word
// makes the engine return before its next instruction, and the run loop,
// which checks the record each time round, returns it.

var _ cpu.ThreadStarter = (*Process)(nil)
var _ cpu.ThreadHandle = (*Thread)(nil)

// StartThread implements cpu.ThreadStarter.
func (p *Process) StartThread(c *cpu.CPU, setup func(tid int, h cpu.ThreadHandle) (cpu.ThreadKernel, error)) error {
	t, err := p.NewThread(c)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go p.runStarted(t, setup, errc)
	return <-errc
}

// runStarted is the goroutine of a started thread: it locks itself to its
// OS thread for good, runs setup, reports to errc and runs the thread.
// The process's main OS thread is refused: its id is the pid, which is
// the main guest thread's tid (the goroutine that finds itself there
// hands over to a new one and lets the main OS thread go).
func (p *Process) runStarted(t *Thread, setup func(tid int, h cpu.ThreadHandle) (cpu.ThreadKernel, error), errc chan<- error) {
	runtime.LockOSThread() // for good: the OS thread ends with the guest thread
	if unix.Gettid() == unix.Getpid() {
		go p.runStarted(t, setup, errc)
		runtime.UnlockOSThread()
		return
	}
	k, err := setup(unix.Gettid(), t)
	if err == nil && k == nil {
		err = fmt.Errorf("engine: StartThread: setup returned no kernel")
	}
	if err != nil {
		t.Close()
		errc <- err
		return
	}
	t.kernel = k
	if s, ok := k.(cpu.SegmentResolver); ok {
		t.segs = s
	}
	errc <- nil
	e := t.Run()
	t.Close()
	k.Exited(e)
}

// NotifySignal implements cpu.ThreadHandle.
func (t *Thread) NotifySignal() { t.Interrupt(StopSignal) }

// Kill implements cpu.ThreadHandle.
func (t *Thread) Kill(e cpu.Exit) {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	if t.closed {
		return
	}
	ex := e
	if t.killed.CompareAndSwap(nil, &ex) {
		atomic.OrUint32(&t.ctx.Stop, StopPreempt)
	}
}

// SegmentBase resolves a selector the thread loads into FS or GS: through
// the thread's own kernel when it has one (each thread has its own i386
// TLS entries), else the process's.
func (t *Thread) SegmentBase(sel uint16) (uint64, bool) {
	if t.segs != nil {
		return t.segs.SegmentBase(sel)
	}
	return t.p.SegmentBase(sel)
}

// sysKernel is the kernel that runs the thread's system calls.
func (t *Thread) sysKernel() cpu.Kernel {
	if t.kernel != nil {
		return t.kernel
	}
	return t.p.kernel
}
