package linux

// The signal system calls (delivery: syscall_signal.go).

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/signal"
	"github.com/minemu/minemu/mm"
)

// uapiSAFlags are the sa_flags bits rt_sigaction keeps (UAPI_SA_FLAGS);
// others are cleared, so that a guest can detect what is not supported.
const uapiSAFlags = signal.SA_NOCLDSTOP | signal.SA_NOCLDWAIT | signal.SA_SIGINFO | signal.SA_ONSTACK |
	signal.SA_RESTART | signal.SA_NODEFER | signal.SA_RESETHAND | signal.SA_EXPOSE_TAGBITS | signal.SA_RESTORER

// sigaction is do_sigaction: the old disposition, and the new one set
// (flushing pending instances of a signal now ignored).
func (k *Process) sigaction(sig int, act *signal.Action) (signal.Action, unix.Errno) {
	if sig < 1 || sig > signal.NSIG || act != nil && signal.Unblockable.Has(sig) {
		return signal.Action{}, unix.EINVAL
	}
	k.threadsMu.Lock()
	defer k.threadsMu.Unlock()
	k.sigMu.Lock()
	defer k.sigMu.Unlock()
	old := k.sigActions[sig-1]
	if act != nil {
		a := *act
		a.Flags &= uapiSAFlags
		a.Mask &^= signal.Unblockable
		k.sigActions[sig-1] = a
		if a.Ignored(sig) {
			k.sigShared.Flush(signal.SetOf(sig))
			for _, t := range k.threads {
				t.sig.queue.Flush(signal.SetOf(sig))
			}
		}
	}
	return old, 0
}

func sysRtSigaction(k *Process, s *sysCall) int64 {
	if s.a[3] != 8 {
		return -int64(unix.EINVAL)
	}
	abi64 := s.abi == cpu.ABIAMD64
	n := signal.ActionSize(abi64)
	var b [32]byte
	var act *signal.Action
	if s.a[1] != 0 {
		if e := k.copyIn(s.a[1], b[:n]); e != 0 {
			return -int64(e)
		}
		a := signal.DecodeAction(abi64, b[:n])
		act = &a
	}
	old, e := k.sigaction(s.int32Arg(0), act)
	if e != 0 {
		return -int64(e)
	}
	if s.a[2] != 0 {
		signal.EncodeAction(abi64, old, b[:n])
		return -int64(k.copyOut(s.a[2], b[:n]))
	}
	return 0
}

// sysSigaction is i386's sigaction(2) with struct old_sigaction.
func sysSigaction(k *Process, s *sysCall) int64 {
	var b [signal.OldActionSize]byte
	var act *signal.Action
	if s.a[1] != 0 {
		if e := k.copyIn(s.a[1], b[:]); e != 0 {
			return -int64(e)
		}
		a := signal.DecodeOldAction(b[:])
		act = &a
	}
	old, e := k.sigaction(s.int32Arg(0), act)
	if e != 0 {
		return -int64(e)
	}
	if s.a[2] != 0 {
		signal.EncodeOldAction(old, b[:])
		return -int64(k.copyOut(s.a[2], b[:]))
	}
	return 0
}

// sysSignal is i386's signal(2): a one-shot handler that does not block
// its signal; the result is the old handler.
func sysSignal(k *Process, s *sysCall) int64 {
	old, e := k.sigaction(s.int32Arg(0), &signal.Action{Handler: s.a[1], Flags: signal.SA_RESETHAND | signal.SA_NODEFER})
	if e != 0 {
		return -int64(e)
	}
	return int64(uint32(old.Handler))
}

// setMask is set_current_blocked: SIGKILL and SIGSTOP never blocked; a
// signal unblocked may be deliverable now.
func (t *Thread) setMask(m uint64) {
	t.p.sigMu.Lock()
	t.sigMask = m &^ uint64(signal.Unblockable)
	t.p.sigMu.Unlock()
	t.sig.hint.Store(true)
}

func (t *Thread) mask() uint64 {
	t.p.sigMu.Lock()
	defer t.p.sigMu.Unlock()
	return t.sigMask
}

func sysRtSigprocmask(k *Process, s *sysCall) int64 {
	if s.a[3] != 8 {
		return -int64(unix.EINVAL)
	}
	t := s.t
	old := t.mask()
	if s.a[1] != 0 {
		var b [8]byte
		if e := k.copyIn(s.a[1], b[:]); e != 0 {
			return -int64(e)
		}
		set := le.Uint64(b[:])
		switch s.int32Arg(0) {
		case unix.SIG_BLOCK:
			t.setMask(old | set)
		case unix.SIG_UNBLOCK:
			t.setMask(old &^ set)
		case unix.SIG_SETMASK:
			t.setMask(set)
		default:
			return -int64(unix.EINVAL)
		}
	}
	if s.a[2] != 0 {
		var b [8]byte
		le.PutUint64(b[:], old)
		return -int64(k.copyOut(s.a[2], b[:]))
	}
	return 0
}

// sysSigprocmask is i386's sigprocmask(2) on the low 32 signals.
func sysSigprocmask(k *Process, s *sysCall) int64 {
	t := s.t
	old := t.mask()
	if s.a[1] != 0 {
		var b [4]byte
		if e := k.copyIn(s.a[1], b[:]); e != 0 {
			return -int64(e)
		}
		set := uint64(le.Uint32(b[:]))
		switch s.int32Arg(0) {
		case unix.SIG_BLOCK:
			t.setMask(old | set)
		case unix.SIG_UNBLOCK:
			t.setMask(old &^ set)
		case unix.SIG_SETMASK:
			t.setMask(old&^0xffffffff | set)
		default:
			return -int64(unix.EINVAL)
		}
	}
	if s.a[2] != 0 {
		var b [4]byte
		le.PutUint32(b[:], uint32(old))
		return -int64(k.copyOut(s.a[2], b[:]))
	}
	return 0
}

// sigaltstack is do_sigaltstack for the thread at stack pointer sp.
func (t *Thread) sigaltstack(ss *cpu.AltStack, sp uint64) unix.Errno {
	n, e := signal.SetAltStack(t.sig.alt, *ss, sp)
	t.sig.alt = n
	return unix.Errno(e)
}

func sysSigaltstack(k *Process, s *sysCall) int64 {
	abi64 := s.abi == cpu.ABIAMD64
	n := signal.StackSize(abi64)
	var b [24]byte
	t, sp := s.t, s.c.Regs[cpu.RSP]
	old := signal.QueryAltStack(t.sig.alt, sp)
	if s.a[0] != 0 {
		if e := k.copyIn(s.a[0], b[:n]); e != 0 {
			return -int64(e)
		}
		ss := signal.DecodeStack(abi64, b[:n])
		if e := t.sigaltstack(&ss, sp); e != 0 {
			return -int64(e)
		}
	}
	if s.a[1] != 0 {
		signal.EncodeStack(abi64, old, b[:n])
		return -int64(k.copyOut(s.a[1], b[:n]))
	}
	return 0
}

// sigreturn restores the state a handler's frame saved; a bad frame kills
// with SIGSEGV. The result is the restored RAX.
func (k *Process) sigreturn(s *sysCall, rt bool) int64 {
	t, c := s.t, s.c
	s.sigreturn = true
	t.sig.restart = 0
	read := func(addr uint64, b []byte) bool { return k.copyIn(addr, b) == 0 }
	r, ok := k.frames.Sigreturn(c, rt, read, t.SegmentBase)
	if !ok {
		// badframe: force_sig(SIGSEGV), which a handler may still catch.
		k.sigMu.Lock()
		t.forceLocked(signal.SIGSEGV)
		t.sig.queue.Enqueue(signal.KillInfo(signal.SIGSEGV, signal.SI_KERNEL, 0, 0))
		k.sigMu.Unlock()
		t.sig.hint.Store(true)
		return int64(c.Regs[cpu.RAX])
	}
	t.setMask(r.Mask)
	if r.HasAlt {
		_ = t.sigaltstack(&r.Alt, c.Regs[cpu.RSP]) // restore_altstack ignores errors
	}
	v := int64(c.Regs[cpu.RAX])
	if k.mode == mm.Mode32 {
		v = int64(int32(v))
	}
	return v
}

func sysRtSigreturn(k *Process, s *sysCall) int64 { return k.sigreturn(s, true) }
func sysSigreturn(k *Process, s *sysCall) int64   { return k.sigreturn(s, false) }

// deliverable reports whether a signal the thread does not block is
// pending for it, after moving host signals in.
func (t *Thread) deliverable() bool {
	t.drainHost()
	return t.pendingUnblocked()
}

// waitSignal blocks until a signal may have arrived for the thread, or
// until d passes (d < 0: no limit). It returns false on the timeout.
func (t *Thread) waitSignal(d time.Duration) bool {
	if hs := t.sig.hs; hs != nil {
		return waitHost(hs, d)
	}
	var timeout <-chan time.Time
	if d >= 0 {
		tm := time.NewTimer(d)
		defer tm.Stop()
		timeout = tm.C
	}
	select {
	case <-t.sig.wake:
		return true
	case <-timeout:
		return false
	}
}

// suspend waits until a signal the thread does not block is pending.
func (t *Thread) suspend() {
	for !t.deliverable() {
		t.waitSignal(-1)
	}
}

func sysPause(k *Process, s *sysCall) int64 {
	s.t.suspend()
	return -signal.ERESTARTNOHAND
}

// sigsuspend replaces the mask until a signal is delivered; the old one is
// restored after the handler (or at once when none runs).
func (t *Thread) sigsuspend(m uint64) int64 {
	t.sig.savedMask = t.mask()
	t.setMask(m)
	t.suspend()
	t.sig.restoreMask = true
	return -signal.ERESTARTNOHAND
}

func sysRtSigsuspend(k *Process, s *sysCall) int64 {
	if s.a[1] != 8 {
		return -int64(unix.EINVAL)
	}
	var b [8]byte
	if e := k.copyIn(s.a[0], b[:]); e != 0 {
		return -int64(e)
	}
	return s.t.sigsuspend(le.Uint64(b[:]))
}

// sysSigsuspend is i386's sigsuspend(int, int, old_sigset_t).
func sysSigsuspend(k *Process, s *sysCall) int64 { return s.t.sigsuspend(s.a[2] & 0xffffffff) }

func (t *Thread) pendingSet() uint64 {
	k := t.p
	k.sigMu.Lock()
	defer k.sigMu.Unlock()
	return uint64((t.sig.queue.Pending() | k.sigShared.Pending()) & signal.Set(t.sigMask))
}

func sysRtSigpending(k *Process, s *sysCall) int64 {
	if s.a[1] > 8 {
		return -int64(unix.EINVAL)
	}
	s.t.drainHost()
	var b [8]byte
	le.PutUint64(b[:], s.t.pendingSet())
	return -int64(k.copyOut(s.a[0], b[:s.a[1]]))
}

func sysSigpending(k *Process, s *sysCall) int64 {
	s.t.drainHost()
	var b [4]byte
	le.PutUint32(b[:], uint32(s.t.pendingSet()))
	return -int64(k.copyOut(s.a[0], b[:]))
}

// infoOut writes a siginfo in the guest's layout.
func (k *Process) infoOut(abi cpu.ABI, addr uint64, info *signal.Info) unix.Errno {
	if abi == cpu.ABIi386 {
		b := info.Compat()
		return k.copyOut(addr, b[:])
	}
	return k.copyOut(addr, info[:])
}

// sigtimedwait is do_sigtimedwait: the first of these pending, waiting
// up to d (d < 0: forever); EAGAIN on the timeout, EINTR when another
// signal interrupts the wait.
func (k *Process) sigtimedwait(s *sysCall, these uint64, d time.Duration) int64 {
	t := s.t
	want := signal.Set(these) &^ signal.Unblockable
	deadline := time.Now().Add(d)
	for {
		t.drainHost()
		k.sigMu.Lock()
		info, ok := t.sig.queue.Dequeue(want)
		if !ok {
			info, ok = k.sigShared.Dequeue(want)
		}
		k.sigMu.Unlock()
		if ok {
			if s.a[1] != 0 {
				if e := k.infoOut(s.abi, s.a[1], &info); e != 0 {
					return -int64(e)
				}
			}
			return int64(info.Signo())
		}
		if t.pendingUnblocked() {
			return -int64(unix.EINTR)
		}
		left := time.Until(deadline)
		if d >= 0 && left <= 0 {
			return -int64(unix.EAGAIN)
		}
		if d < 0 {
			left = -1
		}
		t.waitSignal(left)
	}
}

func (k *Process) rtSigtimedwait(s *sysCall, abi cpu.ABI) int64 {
	if s.a[3] != 8 {
		return -int64(unix.EINVAL)
	}
	var b [8]byte
	if e := k.copyIn(s.a[0], b[:]); e != 0 {
		return -int64(e)
	}
	d := time.Duration(-1)
	if s.a[2] != 0 {
		var e unix.Errno
		if d, e = k.readTimespec(abi, s.a[2]); e != 0 {
			return -int64(e)
		}
	}
	return k.sigtimedwait(s, le.Uint64(b[:]), d)
}

func sysRtSigtimedwait(k *Process, s *sysCall) int64   { return k.rtSigtimedwait(s, s.abi) }
func sysRtSigtimedwait64(k *Process, s *sysCall) int64 { return k.rtSigtimedwait(s, cpu.ABIAMD64) }

// Sending.

// validSig is a signal number kill accepts (0 checks only).
func validSig(sig int) bool { return sig >= 0 && sig <= signal.NSIG }

func (k *Process) uid() uint32 { return uint32(unix.Getuid()) }

func sysKill(k *Process, s *sysCall) int64 {
	pid, sig := s.int32Arg(0), s.int32Arg(1)
	if !validSig(sig) {
		return -int64(unix.EINVAL)
	}
	if pid == k.pid {
		if sig != 0 {
			k.sendProcess(signal.KillInfo(sig, signal.SI_USER, k.pid, k.uid()), s.t)
		}
		return 0
	}
	if pgrp := unix.Getpgrp(); pid == 0 || pid == -pgrp {
		// The guest's own process group: the guest itself through
		// minemu's queues (at once, as the kernel's kill signals the
		// caller before it returns), every other member on the host.
		if sig != 0 {
			k.sendProcess(signal.KillInfo(sig, signal.SI_USER, k.pid, k.uid()), s.t)
		}
		killGroupOthers(pgrp, k.pid, sig)
		return 0
	}
	if pid == -1 {
		// Every process the user may signal: never on behalf of a guest.
		k.log.Info().Int("signal", sig).Msg("guest kill(-1) refused")
		return -int64(unix.EPERM)
	}
	r, _, e := unix.Syscall(unix.SYS_KILL, uintptr(pid), uintptr(sig), 0)
	return hostRet(r, e)
}

// sysTkill forwards only to threads of other processes: a thread of this
// process that is not a guest thread is minemu's, and ESRCH as for tgkill.
func sysTkill(k *Process, s *sysCall) int64 {
	tid, sig := s.int32Arg(0), s.int32Arg(1)
	if !validSig(sig) || tid <= 0 || k.thread(tid) != nil || k.ownThread(tid) {
		return k.threadKill(s, k.pid, tid, sig)
	}
	r, _, e := unix.Syscall(unix.SYS_TKILL, uintptr(tid), uintptr(sig), 0)
	return hostRet(r, e)
}

// ownThread reports whether tid is a thread of this process: tgkill with
// signal 0 checks that without sending anything.
func (k *Process) ownThread(tid int) bool {
	_, _, e := unix.Syscall(unix.SYS_TGKILL, uintptr(k.pid), uintptr(tid), 0)
	return e == 0
}

func sysTgkill(k *Process, s *sysCall) int64 {
	return k.threadKill(s, s.int32Arg(0), s.int32Arg(1), s.int32Arg(2))
}

// threadKill is tgkill (tkill with tgid = own pid). The guest's threads
// are the registered ones; any other thread of this process is minemu's.
func (k *Process) threadKill(s *sysCall, tgid, tid, sig int) int64 {
	if !validSig(sig) || tgid <= 0 || tid <= 0 {
		return -int64(unix.EINVAL)
	}
	if tgid == k.pid {
		t := k.thread(tid)
		if t == nil {
			return -int64(unix.ESRCH)
		}
		if sig != 0 {
			k.sendThread(t, signal.KillInfo(sig, signal.SI_TKILL, k.pid, k.uid()), s.t)
		}
		return 0
	}
	r, _, e := unix.Syscall(unix.SYS_TGKILL, uintptr(tgid), uintptr(tid), uintptr(sig))
	return hostRet(r, e)
}

// infoIn reads a guest siginfo for rt_sigqueueinfo; si_signo becomes sig.
func (k *Process) infoIn(s *sysCall, addr uint64, sig int) (signal.Info, unix.Errno) {
	var b [signal.InfoSize]byte
	if e := k.copyIn(addr, b[:]); e != 0 {
		return signal.Info{}, e
	}
	var info signal.Info
	if s.abi == cpu.ABIi386 {
		info = signal.FromCompat(b[:])
	} else {
		info = signal.Info(b)
	}
	le.PutUint32(info[0:], uint32(sig))
	return info, 0
}

// queueCodeOK is the check of do_rt_sigqueueinfo: a positive si_code
// (the kernel's own) or SI_TKILL may be sent only to oneself.
func queueCodeOK(info *signal.Info, self bool) bool {
	c := info.Code()
	return self || c < 0 && c != signal.SI_TKILL
}

func sysRtSigqueueinfo(k *Process, s *sysCall) int64 {
	pid, sig := s.int32Arg(0), s.int32Arg(1)
	info, e := k.infoIn(s, s.a[2], sig)
	if e != 0 {
		return -int64(e)
	}
	if !queueCodeOK(&info, pid == k.pid) {
		return -int64(unix.EPERM)
	}
	if !validSig(sig) {
		return -int64(unix.EINVAL)
	}
	if pid == k.pid {
		if sig != 0 && !k.sendProcess(info, s.t) {
			return -int64(unix.EAGAIN)
		}
		return 0
	}
	return hostSigqueue(unix.SYS_RT_SIGQUEUEINFO, uintptr(pid), uintptr(sig), 0, &info)
}

func sysRtTgsigqueueinfo(k *Process, s *sysCall) int64 {
	tgid, tid, sig := s.int32Arg(0), s.int32Arg(1), s.int32Arg(2)
	if tgid <= 0 || tid <= 0 {
		return -int64(unix.EINVAL)
	}
	info, e := k.infoIn(s, s.a[3], sig)
	if e != 0 {
		return -int64(e)
	}
	if !queueCodeOK(&info, tid == s.t.tid) {
		return -int64(unix.EPERM)
	}
	if !validSig(sig) {
		return -int64(unix.EINVAL)
	}
	if tgid == k.pid {
		t := k.thread(tid)
		if t == nil {
			return -int64(unix.ESRCH)
		}
		if sig != 0 && !k.sendThread(t, info, s.t) {
			return -int64(unix.EAGAIN)
		}
		return 0
	}
	return hostSigqueue(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(tgid), uintptr(tid), uintptr(sig), &info)
}

// killGroupOthers sends sig to every process of process group pgrp but
// self, as the kernel's kill(0, sig) reaches them (those this user may not
// signal are skipped; the call succeeded by signalling the caller).
func killGroupOthers(pgrp, self, sig int) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces and ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgrp) {
			unix.Kill(pid, unix.Signal(sig))
		}
	}
}
