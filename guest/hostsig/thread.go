//go:build linux && amd64

package hostsig

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Thread is a registered OS thread: its GS base is its context block, so the
// handler running on it finds where to record faults and guest signals.
type Thread struct {
	b   *block // set by Register, never changed; owned until Unregister, then back in the pool
	tid int
	// live is true from Register until Unregister.
	live atomic.Bool
	// mu serialises consumers of b.set (Take, TakePending).
	mu sync.Mutex
	// lastFault is the Seq of the fault TakeFault last returned; owning
	// thread only.
	lastFault uint64
}

// procMu serialises consumers of procSet.
var procMu sync.Mutex

var (
	// ErrWrongThread is returned by Unregister called on another OS thread.
	ErrWrongThread = errors.New("hostsig: not the registered OS thread")
	// ErrUnregistered is returned by Kick on a Thread already unregistered.
	ErrUnregistered = errors.New("hostsig: thread unregistered")
)

// Register makes the calling goroutine's OS thread a guest thread: it locks
// the goroutine to the thread (runtime.LockOSThread, undone by Unregister),
// gives the thread a context block and sets the thread's GS base to it.
// Threads the runtime creates from this one inherit the GS base; the
// handler trusts a block only when its tid is the running thread's.
func Register() (*Thread, error) {
	if !Installed() {
		return nil, errors.New("hostsig: Register before Install")
	}
	runtime.LockOSThread()
	tid := unix.Gettid()
	if cur := getGS(); cur != 0 {
		for _, b := range registered.list() {
			if b.addr() == cur && atomic.LoadUint64(&b.magic) == blockMagic && b.tid == int32(tid) {
				runtime.UnlockOSThread()
				return nil, errors.New("hostsig: thread already registered")
			}
		}
	}
	b, err := allocBlock()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	b.reset(int32(tid))
	atomic.StoreUint64(&b.magic, blockMagic)
	if err := setGS(b.addr()); err != nil {
		atomic.StoreUint64(&b.magic, 0)
		freeBlock(b)
		runtime.UnlockOSThread()
		return nil, err
	}
	registered.add(b)
	t := &Thread{b: b, tid: tid}
	t.live.Store(true)
	return t, nil
}

// registered lists the blocks in use (for Register's double-registration
// check).
var registered blockList

type blockList struct {
	mu sync.Mutex
	m  map[*block]struct{}
}

func (l *blockList) add(b *block) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[*block]struct{})
	}
	l.m[b] = struct{}{}
	l.mu.Unlock()
}

func (l *blockList) remove(b *block) {
	l.mu.Lock()
	delete(l.m, b)
	l.mu.Unlock()
}

func (l *blockList) list() []*block {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*block, 0, len(l.m))
	for b := range l.m {
		out = append(out, b)
	}
	return out
}

// Unregister ends the registration on the same OS thread: GS base back to 0,
// the block returned to the pool (signals still pending in it are lost),
// the goroutine unlocked from the thread.
func (t *Thread) Unregister() error {
	if unix.Gettid() != t.tid {
		return ErrWrongThread
	}
	if err := setGS(0); err != nil {
		return err
	}
	t.live.Store(false)
	atomic.StoreUint64(&t.b.magic, 0)
	registered.remove(t.b)
	freeBlock(t.b)
	runtime.UnlockOSThread()
	return nil
}

// Tid returns the OS thread's id.
func (t *Thread) Tid() int { return t.tid }

// Block returns the context block's address: the thread's GS base, where
// generated code finds the pending flag at gs:[20] and the exit request at
// gs:[24].
func (t *Thread) Block() uintptr { return t.b.addr() }

// PendingFlag returns the thread's pending flag, nonzero once a guest
// signal was recorded for the thread (or for the process, when it arrived on
// this thread) or the thread was kicked. TakePending clears it; so may the
// engine, before it looks at the pending sets.
func (t *Thread) PendingFlag() *uint32 { return &t.b.pending }

// ExitRequested reports and clears the exit request the handler sets when
// SIGURG arrives while the thread runs registered generated code.
func (t *Thread) ExitRequested() bool { return atomic.SwapUint32(&t.b.exitReq, 0) != 0 }

// WindowHits counts the signals that found the thread between the check
// and the SYSCALL instruction of a safe system call.
func (t *Thread) WindowHits() uint32 { return atomic.LoadUint32(&t.b.windowHits) }

// Syscall6 is SafeSyscall6 with the thread's pending flag. Call it on the
// thread itself.
//
//go:nosplit
func (t *Thread) Syscall6(nr, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, syscall.Errno) {
	return SafeSyscall6(nr, a1, a2, a3, a4, a5, a6, &t.b.pending)
}

// Pending returns the thread-directed guest signals pending for the thread.
func (t *Thread) Pending() Sigset { return t.b.set.pending() }

// Dropped counts the real-time signals for the thread lost to a full ring.
func (t *Thread) Dropped() uint64 { return atomic.LoadUint64(&t.b.set.dropped) }

// Take removes the oldest pending instance of sig from the thread's set.
func (t *Thread) Take(sig int) (Siginfo, bool) {
	if sig < 1 || sig > 64 {
		return Siginfo{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.set.take(sig)
}

// TakePending clears the pending flag and takes the signal the kernel would
// deliver next among allowed: from the thread's own set before the
// process's, synchronous signals (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE,
// SIGSYS) first, then the lowest number. It sets the flag again when more of
// allowed remain pending.
func (t *Thread) TakePending(allowed Sigset) (Siginfo, bool) {
	atomic.StoreUint32(&t.b.pending, 0)
	si, ok := t.takeFrom(allowed)
	if (t.Pending()|ProcessPending())&allowed != 0 {
		atomic.StoreUint32(&t.b.pending, 1)
	}
	return si, ok
}

func (t *Thread) takeFrom(allowed Sigset) (Siginfo, bool) {
	if si, ok := takeSet(&t.mu, &t.b.set, allowed); ok {
		return si, true
	}
	return takeSet(&procMu, &procSet, allowed)
}

func takeSet(mu *sync.Mutex, s *pendingSet, allowed Sigset) (Siginfo, bool) {
	mu.Lock()
	defer mu.Unlock()
	p := s.pending() & allowed
	for p != 0 {
		next := p & syncSignals
		if next == 0 {
			next = p
		}
		sig := next.Lowest()
		if si, ok := s.take(sig); ok {
			return si, true
		}
		p &^= Sigset(sigbit(sig)) // claimed but not yet published: later
	}
	return Siginfo{}, false
}

// TakeFault returns the fault the handler recorded on this thread since the
// last call, if any. Call it on the thread itself, after the fault (for a
// Go accessor: in the recover of its panic).
func (t *Thread) TakeFault() (Fault, bool) {
	f := t.b.faultRecord()
	if f.Seq == t.lastFault {
		return Fault{}, false
	}
	t.lastFault = f.Seq
	return f, true
}

// Kick sets the thread's pending flag and sends it SIGURG, so that a safe
// system call it is blocked in returns ERESTARTSYS (the runtime's SA_RESTART
// brings the PC back to the SYSCALL instruction, which the handler rewinds
// to the flag check). Go takes the SIGURG for a preemption request, which
// it tolerates at any time.
func (t *Thread) Kick() error {
	if !t.live.Load() {
		return ErrUnregistered
	}
	atomic.StoreUint32(&t.b.pending, 1)
	return unix.Tgkill(int(ourPid), t.tid, syscall.SIGURG)
}

// ProcessPending returns the process-directed guest signals pending.
func ProcessPending() Sigset { return procSet.pending() }

// ProcessDropped counts real-time process-directed signals lost to a full
// ring.
func ProcessDropped() uint64 { return atomic.LoadUint64(&procSet.dropped) }

// TakeProcess removes the oldest pending instance of sig from the process
// set.
func TakeProcess(sig int) (Siginfo, bool) {
	if sig < 1 || sig > 64 {
		return Siginfo{}, false
	}
	procMu.Lock()
	defer procMu.Unlock()
	return procSet.take(sig)
}

// Inject records a signal from Go: in t's set (and sets t's pending flag),
// or with t nil in the process set (and notifies ProcessNotify). The Linux
// layer uses it for signals it generates itself; a blocked target still
// needs Kick. It reports false when the signal was not queued (a standard
// signal already pending, or a full real-time ring, as the kernel would
// drop or refuse it; or t unregistered).
func Inject(t *Thread, info Siginfo) bool {
	sig := info.Signo()
	if sig < 1 || sig > 64 {
		return false
	}
	if t != nil {
		if !t.live.Load() {
			return false
		}
		ok := t.b.set.enqueue(sig, &info.Raw, info.Tid)
		atomic.StoreUint32(&t.b.pending, 1)
		return ok
	}
	ok := procSet.enqueue(sig, &info.Raw, info.Tid)
	install.Lock()
	ch := install.notify
	install.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return ok
}
