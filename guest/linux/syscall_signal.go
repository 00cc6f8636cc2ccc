package linux

// Signals: generation (kill, tkill, tgkill, rt_sigqueueinfo,
// rt_tgsigqueueinfo, faults, host signals hostsig recorded), the
// dispositions (rt_sigaction; i386 sigaction and signal), each thread's
// mask (rt_sigprocmask; i386 sigprocmask), alternate stack (sigaltstack),
// the waits (pause, rt_sigsuspend, rt_sigtimedwait, rt_sigpending), and
// delivery on the way back to guest code: the kernel's get_signal and
// handle_signal, with the frames of guest/cpu and the system-call restart
// rules of arch/x86/kernel/signal.c.
//
// Delivery points are the end of every system call (Thread.Syscall), the
// run loop's DeliverSignals (when the engine stopped for a signal another
// goroutine generated) and DeliverFault (an exception). Pending signals
// live in the Process's shared queue and each Thread's own
// (guest/linux/signal), guarded by Process.sigMu; host signals hostsig
// recorded are moved there first.

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/hostsig"
	"github.com/minemu/minemu/guest/linux/signal"
	"github.com/minemu/minemu/mm"
)

// threadSignals is a thread's signal state besides its mask
// (Thread.sigMask).
type threadSignals struct {
	// queue holds the signals sent to the thread (tkill, tgkill, faults).
	// Guarded by Process.sigMu.
	queue signal.Queue
	// alt is the alternate signal stack; owner only.
	alt cpu.AltStack
	// hint is set whenever a signal may have become deliverable to the
	// thread (generated for it or its process, a mask change); the
	// delivery points look further only when it or the host thread's
	// pending flag is set.
	hint atomic.Bool
	// savedMask is the mask rt_sigsuspend replaced, restoreMask whether
	// it is to be restored (the kernel's saved_sigmask and
	// TIF_RESTORE_SIGMASK); owner only.
	savedMask   uint64
	restoreMask bool
	// restart is the restart code the last system call returned (0
	// none), nr its number; owner only.
	restart int64
	nr      uint64
	// trapno, errCode and cr2 are the thread's last exception, which
	// every frame records (the kernel's thread.trap_nr, error_code, cr2).
	trapno, errCode, cr2 uint64
	// fault is the exception being delivered (DeliverFault), nil
	// otherwise: its description for the Exit if it kills, and whether
	// its frame saves RF.
	fault *cpu.Fault
	// hs is the registered host thread running this guest thread (nil
	// when hostsig is not in use) and interrupt asks the engine running
	// it to stop at its next instruction; both set once by SetHost before
	// the thread runs.
	hs        *hostsig.Thread
	interrupt func()
	// wake is poked when a signal is generated for a thread without a host
	// thread waiting in pause and friends.
	wake chan struct{}
}

func (ts *threadSignals) init() {
	ts.alt = cpu.AltStack{Flags: cpu.SSDisable}
	ts.wake = make(chan struct{}, 1)
}

// SetHost ties the thread to the registered host thread running it and
// the engine's interrupt, so that host signals recorded for it are
// delivered, blocking calls are interruptible and signals generated
// elsewhere stop its guest code. Call it before the thread runs.
func (t *Thread) SetHost(hs *hostsig.Thread, interrupt func()) {
	t.sig.hs, t.sig.interrupt = hs, interrupt
}

// notify tells t that a signal may be deliverable: the engine is asked to
// stop, a wait is woken.
func (t *Thread) notify(from *Thread) {
	t.sig.hint.Store(true)
	if t == from {
		return
	}
	if t.sig.interrupt != nil {
		t.sig.interrupt()
	}
	if t.sig.hs != nil {
		_ = t.sig.hs.Kick()
	}
	select {
	case t.sig.wake <- struct{}{}:
	default:
	}
}

// DeliverSignals implements cpu.SignalDeliverer for the main thread.
func (k *Process) DeliverSignals(c *cpu.CPU) *cpu.Exit { return k.main.DeliverSignals(c) }

// DeliverFault implements cpu.SignalDeliverer for the main thread.
func (k *Process) DeliverFault(c *cpu.CPU, f cpu.Fault) *cpu.Exit { return k.main.DeliverFault(c, f) }

// DeliverSignals delivers what is pending for the thread at an instruction
// boundary of its CPU c.
func (t *Thread) DeliverSignals(c *cpu.CPU) *cpu.Exit {
	if !t.sig.hint.Load() && (t.sig.hs == nil || atomic.LoadUint32(t.sig.hs.PendingFlag()) == 0) {
		return nil
	}
	return t.deliver(c)
}

// DeliverFault raises the synchronous signal of exception f at c (the
// faulting instruction; past it for a trap) with force_sig_fault's
// semantics: blocked or ignored, it is unblocked and reset to its default
// action first, so that it kills.
func (t *Thread) DeliverFault(c *cpu.CPU, f cpu.Fault) *cpu.Exit {
	k := t.p
	if hs := t.sig.hs; hs != nil && f.Trapno == 14 {
		// A load or store the host kernel faulted: hostsig recorded its
		// exact report (the page-fault error code tells reads from
		// writes, and SIGBUS from SIGSEGV).
		if hf, ok := hs.TakeFault(); ok && hf.Info.Addr() == f.Addr {
			f.Signal, f.Code, f.Err = hf.Info.Signo(), hf.Info.Code(), hf.Regs[hostsig.RegErr]
		}
	}
	sig := f.Signal
	if sig < 1 || sig > signal.NSIG {
		return &cpu.Exit{Signal: unix.Signal(sig), Detail: f.Detail}
	}
	k.sigMu.Lock()
	t.forceLocked(sig)
	t.sig.queue.Enqueue(signal.FaultInfo(sig, f.Code, f.Addr))
	k.sigMu.Unlock()
	t.sig.trapno, t.sig.errCode = f.Trapno, f.Err
	if f.Trapno == 14 {
		t.sig.cr2 = f.Addr
	}
	t.sig.fault = &f
	defer func() { t.sig.fault = nil }()
	return t.deliver(c)
}

// forceLocked makes sig deliverable to t and its default action the one
// taken when it was blocked or ignored (force_sig_info_to_task).
func (t *Thread) forceLocked(sig int) {
	k := t.p
	a := &k.sigActions[sig-1]
	if a.Handler == signal.SIG_IGN || t.sigMask&(1<<(sig-1)) != 0 {
		a.Handler = signal.SIG_DFL
		t.sigMask &^= 1 << (sig - 1)
	}
}

// afterSyscall is the return to user mode of a system call that ended with
// r: the restart code is kept for delivery, and what is pending is
// delivered.
func (t *Thread) afterSyscall(c *cpu.CPU, s *sysCall, r int64) *cpu.Exit {
	if s.exit != nil {
		return s.exit
	}
	if signal.IsRestart(-r) && !s.sigreturn {
		t.sig.restart, t.sig.nr = -r, s.nr
		t.sig.hint.Store(true)
	}
	s.sigreturn = false
	return t.DeliverSignals(c)
}

// drainHost moves the signals hostsig recorded for the thread (and for the
// process) into the guest's queues.
func (t *Thread) drainHost() {
	hs := t.sig.hs
	if hs == nil {
		return
	}
	k := t.p
	for {
		si, ok := hs.TakePending(hostsig.DefaultGuestSignals)
		if !ok {
			return
		}
		info := signal.Info(si.Raw)
		if info.Code() == signal.SI_TKILL || int(si.Tid) == t.tid && info.Signo() == signal.SIGPIPE {
			k.sendThread(t, info, t)
		} else {
			k.sendProcess(info, t)
		}
	}
}

// deliver is get_signal and handle_signal in a loop: every deliverable
// signal is taken in the kernel's order; an ignored one is dropped, a
// fatal one ends the guest, a handled one gets a frame, each on top of the
// one before (the last handler runs first). Then a system call that was
// interrupted without a handler running is restarted, and a mask
// rt_sigsuspend saved is restored.
func (t *Thread) deliver(c *cpu.CPU) *cpu.Exit {
	k := t.p
	t.sig.hint.Store(false)
	t.drainHost()
	handled := false
	for {
		k.sigMu.Lock()
		allowed := ^signal.Set(t.sigMask)
		info, ok := t.sig.queue.Dequeue(allowed)
		if !ok {
			info, ok = k.sigShared.Dequeue(allowed)
		}
		if !ok {
			k.sigMu.Unlock()
			break
		}
		sig := info.Signo()
		act := k.sigActions[sig-1]
		if act.Handler == signal.SIG_IGN {
			k.sigMu.Unlock()
			continue
		}
		if k.strace != nil {
			k.straceSignal(t, &info)
		}
		if act.Handler == signal.SIG_DFL || sig == signal.SIGKILL || sig == signal.SIGSTOP {
			k.sigMu.Unlock()
			switch signal.DefaultAction(sig) {
			case signal.Ignore, signal.Continue:
				continue
			case signal.Stop:
				k.stop(sig)
				continue
			}
			return t.fatal(sig, &info)
		}
		if act.Flags&signal.SA_RESETHAND != 0 {
			k.sigActions[sig-1].Handler = signal.SIG_DFL
		}
		k.sigMu.Unlock()
		if !handled {
			t.restartWithHandler(c, act)
		}
		handled = true
		if !t.setupFrame(c, sig, &info, act) {
			// force_sigsegv: a frame that cannot be written.
			k.sigMu.Lock()
			if sig == signal.SIGSEGV {
				k.sigActions[sig-1].Handler = signal.SIG_DFL
			}
			t.forceLocked(signal.SIGSEGV)
			t.sig.queue.Enqueue(signal.KillInfo(signal.SIGSEGV, signal.SI_KERNEL, 0, 0))
			k.sigMu.Unlock()
			continue
		}
	}
	if !handled {
		t.restartWithoutHandler(c)
		if t.sig.restoreMask {
			t.sig.restoreMask = false
			k.sigMu.Lock()
			t.sigMask = t.sig.savedMask
			k.sigMu.Unlock()
			t.sig.hint.Store(true)
			if t.pendingUnblocked() {
				return t.deliver(c)
			}
		}
	}
	t.sig.restart = 0
	return nil
}

// pendingUnblocked reports whether a signal the thread does not block is
// pending for it or its process.
func (t *Thread) pendingUnblocked() bool {
	k := t.p
	k.sigMu.Lock()
	defer k.sigMu.Unlock()
	return (t.sig.queue.Pending()|k.sigShared.Pending())&^signal.Set(t.sigMask) != 0
}

// fatal is the Exit of a signal whose default action ends the process.
func (t *Thread) fatal(sig int, info *signal.Info) *cpu.Exit {
	detail := ""
	if f := t.sig.fault; f != nil && f.Signal == sig {
		detail = f.Detail
	}
	if detail == "" || info.Code() <= 0 {
		detail = fmt.Sprintf("%s (si_code %d)", unix.SignalName(unix.Signal(sig)), info.Code())
		if info.Code() == signal.SI_USER || info.Code() == signal.SI_TKILL {
			detail = fmt.Sprintf("%s sent by process %d", unix.SignalName(unix.Signal(sig)), int32(le.Uint32(info[16:])))
		}
	}
	return &cpu.Exit{Signal: unix.Signal(sig), Detail: detail}
}

// stop is the default action of the stop signals: the host process stops
// by the same signal (its parent sees that signal stop it), as the guest
// would; SIGCONT from outside continues it. Without job control (tests)
// nothing happens.
func (k *Process) stop(sig int) {
	if !k.jobControl {
		k.log.Info().Int("signal", sig).Msg("guest stop signal ignored: job control is off")
		return
	}
	if err := hostsig.RaiseDefault(sig); err != nil {
		_ = unix.Kill(k.pid, unix.SIGSTOP)
	}
}

// restartWithHandler applies the restart rules for a system call
// interrupted by a signal whose handler runs (handle_signal).
func (t *Thread) restartWithHandler(c *cpu.CPU, act signal.Action) {
	if t.sig.restart != 0 {
		t.applyRestart(c, signal.RestartRule(t.sig.restart, true, act.Flags&signal.SA_RESTART != 0))
	}
}

// restartWithoutHandler restarts an interrupted call when no handler ran.
func (t *Thread) restartWithoutHandler(c *cpu.CPU) {
	if t.sig.restart != 0 {
		t.applyRestart(c, signal.RestartRule(t.sig.restart, false, false))
	}
}

func (t *Thread) applyRestart(c *cpu.CPU, r signal.Restart) {
	switch r {
	case signal.Interrupted:
		t.setResult(c, -int64(unix.EINTR))
	case signal.Again:
		t.setResult(c, int64(t.sig.nr))
		c.RIP -= 2
	case signal.RestartSyscall:
		nr := int64(219) // restart_syscall
		if t.p.mode == mm.Mode32 {
			nr = 0
		}
		t.setResult(c, nr)
		c.RIP -= 2
	}
	t.sig.restart = 0
}

func (t *Thread) setResult(c *cpu.CPU, v int64) {
	if t.p.mode == mm.Mode32 {
		c.Regs[cpu.RAX] = uint64(uint32(v))
	} else {
		c.Regs[cpu.RAX] = uint64(v)
	}
}

// setupFrame builds the frame of sig's handler act on the thread's stack
// (or alternate stack) and points c at the handler; false when the frame
// cannot be placed or written.
func (t *Thread) setupFrame(c *cpu.CPU, sig int, info *signal.Info, act signal.Action) bool {
	k := t.p
	f := cpu.Frame{
		Sig: sig, RT: k.mode == mm.Mode64 || act.Flags&signal.SA_SIGINFO != 0,
		WithInfo: act.Flags&signal.SA_SIGINFO != 0,
		OnStack:  act.Flags&signal.SA_ONSTACK != 0, Alt: t.sig.alt,
		Restorer: act.Restorer,
		Trapno:   t.sig.trapno, Err: t.sig.errCode, CR2: t.sig.cr2,
	}
	if ft := t.sig.fault; ft != nil && ft.Signal == sig && info.Code() > 0 {
		f.Resume = ft.Trapno != 3 && ft.Trapno != 4 // a fault, not a trap
	}
	if k.mode == mm.Mode64 {
		if act.Flags&signal.SA_RESTORER == 0 {
			return false // x64_setup_rt_frame: -EFAULT
		}
		f.Info = *info
	} else {
		f.Info = info.Compat()
		if act.Flags&signal.SA_RESTORER == 0 {
			tr, ok := k.sigTrampoline()
			if !ok {
				return false
			}
			f.Restorer = tr
			if !f.RT {
				f.Restorer += 8
			}
		}
	}
	k.sigMu.Lock()
	f.Mask = t.sigMask
	if t.sig.restoreMask {
		f.Mask = t.sig.savedMask
	}
	k.sigMu.Unlock()
	p, ok := k.frames.Place(c, &f)
	if !ok {
		return false
	}
	img, infoOff := k.frames.BuildFrame(c, &f, p)
	if f.WithInfo || infoOff < 0 {
		if k.copyOut(p.Addr, img) != 0 {
			return false
		}
	} else if k.copyOut(p.Addr, img[:infoOff]) != 0 || k.copyOut(p.Addr+uint64(infoOff)+signal.InfoSize, img[infoOff+signal.InfoSize:]) != 0 {
		return false
	}
	k.frames.EnterHandler(c, &f, p, act.Handler)
	// signal_delivered: the handler's mask, the alternate stack disarmed.
	t.sig.restoreMask = false
	k.sigMu.Lock()
	m := t.sigMask | uint64(act.Mask)
	if act.Flags&signal.SA_NODEFER == 0 {
		m |= 1 << (sig - 1)
	}
	t.sigMask = m &^ uint64(signal.Unblockable)
	k.sigMu.Unlock()
	if t.sig.alt.Flags&cpu.SSAutoDisarm != 0 {
		t.sig.alt = cpu.AltStack{Flags: cpu.SSDisable}
	}
	return true
}

// sigTrampoline is the guest page holding the i386 sigreturn sequences
// (rt_sigreturn at its start, sigreturn 8 bytes on) for handlers
// installed without SA_RESTORER: what the vDSO's __kernel_rt_sigreturn
// and __kernel_sigreturn provide natively.
func (k *Process) sigTrampoline() (uint64, bool) {
	k.trampOnce.Do(func() {
		code := append(cpu.RtRetcode32[:], cpu.SigRetcode32[:]...)
		if r, err := k.space.MapTrampoline(code); err == nil {
			k.tramp = uint64(r.Start)
		}
	})
	return k.tramp, k.tramp != 0
}

// Generation.

// sendProcess generates a process-directed signal (complete_signal): it is
// dropped when ignored, queued in the process's queue, and a thread that
// does not block it (the main thread first) is told.
func (k *Process) sendProcess(info signal.Info, from *Thread) bool {
	sig := info.Signo()
	k.threadsMu.Lock()
	k.sigMu.Lock()
	target := k.main
	if target.blocked(sig) {
		for _, t := range k.threads {
			if !t.blocked(sig) {
				target = t
				break
			}
		}
	}
	ignored := k.sigActions[sig-1].Ignored(sig) && !target.blocked(sig)
	ok := true
	if !ignored {
		k.stopContLocked(sig)
		ok = k.sigShared.Enqueue(info)
	}
	k.sigMu.Unlock()
	k.threadsMu.Unlock()
	if !ignored {
		k.sigfdNotify()
		target.notify(from)
	}
	return ok
}

// sendThread generates a signal for thread t.
func (k *Process) sendThread(t *Thread, info signal.Info, from *Thread) bool {
	sig := info.Signo()
	k.threadsMu.Lock()
	k.sigMu.Lock()
	ignored := k.sigActions[sig-1].Ignored(sig) && !t.blocked(sig)
	ok := true
	if !ignored {
		k.stopContLocked(sig)
		ok = t.sig.queue.Enqueue(info)
	}
	k.sigMu.Unlock()
	k.threadsMu.Unlock()
	if !ignored {
		k.sigfdNotify()
		t.notify(from)
	}
	return ok
}

// stopContLocked is prepare_signal's mutual discarding: a stop signal
// drops pending SIGCONTs, SIGCONT drops pending stop signals. Called with
// threadsMu and sigMu held.
func (k *Process) stopContLocked(sig int) {
	var drop signal.Set
	switch signal.DefaultAction(sig) {
	case signal.Stop:
		drop = signal.SetOf(signal.SIGCONT)
	case signal.Continue:
		drop = signal.SetOf(signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)
	default:
		return
	}
	k.sigShared.Flush(drop)
	for _, t := range k.threads {
		t.sig.queue.Flush(drop)
	}
}

// RouteHostSignals moves process-directed host signals hostsig recorded
// into the guest's process queue as they arrive and tells a thread; it
// returns when done is closed. Run it on a goroutine of its own.
func (k *Process) RouteHostSignals(done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-hostsig.ProcessNotify():
		}
		for p := hostsig.ProcessPending(); p != 0; p = hostsig.ProcessPending() {
			si, ok := hostsig.TakeProcess(p.Lowest())
			if !ok {
				continue
			}
			k.sendProcess(signal.Info(si.Raw), nil)
		}
	}
}

// blockingCall runs a host system call that may block (read, write on
// pipes, terminals and sockets) so that a guest signal interrupts it: with
// a signal deliverable to the guest it returns ERESTARTSYS (restarted
// under SA_RESTART, EINTR otherwise, by the delivery) or the host's EINTR;
// a host signal that is not the guest's to take now leaves the call
// running.
func (t *Thread) blockingCall(nr, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, unix.Errno) {
	hs := t.sig.hs
	if hs == nil {
		r, _, e := unix.Syscall6(nr, a1, a2, a3, a4, a5, a6)
		return r, e
	}
	for {
		r, e := hs.Syscall6(nr, a1, a2, a3, a4, a5, a6)
		if e != hostsig.ERESTARTSYS && e != unix.EINTR {
			return r, e
		}
		if t.deliverable() {
			return r, e
		}
	}
}

// straceSignal writes the --strace line of a signal being delivered, as
// strace shows it: `tid --- SIGSEGV {si_signo=SIGSEGV, si_code=1,
// si_addr=0x10} ---`.
func (k *Process) straceSignal(t *Thread, info *signal.Info) {
	name := unix.SignalName(unix.Signal(info.Signo()))
	if name == "" {
		name = fmt.Sprintf("SIG%d", info.Signo())
	}
	line := fmt.Sprintf("%d --- %s {si_signo=%s, si_code=%d", t.tid, name, name, info.Code())
	if info.Code() > 0 && signal.Synchronous.Has(info.Signo()) {
		line += fmt.Sprintf(", si_addr=%#x", info.Addr())
	} else if info.Code() <= 0 {
		line += fmt.Sprintf(", si_pid=%d, si_uid=%d", int32(le.Uint32(info[16:])), le.Uint32(info[20:]))
	}
	k.straceMu.Lock()
	fmt.Fprintln(k.strace, line+"} ---")
	k.straceMu.Unlock()
}
