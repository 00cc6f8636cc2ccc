//go:build linux && amd64

package hostsig

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Signal numbers the package names (x86-64 Linux).
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPWR    = 30
	SIGSYS    = 31
	SIGRTMIN  = 32
	SIGRTMAX  = 64

	// sigPerThreadSyscall is the signal the Go runtime (without cgo) sends
	// to each of its threads for syscall.AllThreadsSyscall and the
	// set*id calls, glibc's SIGSETXID.
	sigPerThreadSyscall = 33
)

// si_code values (include/uapi/asm-generic/siginfo.h).
const (
	SI_USER     = 0
	SI_KERNEL   = 0x80
	SI_QUEUE    = -1
	SI_TIMER    = -2
	SI_TKILL    = -6
	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	BUS_ADRALN  = 1
	BUS_ADRERR  = 2
	ILL_ILLOPN  = 2
	FPE_INTDIV  = 1
	CLD_EXITED  = 1
)

// ERESTARTSYS is SafeSyscall6's errno when the call was not made, or was
// interrupted and the kernel wanted to restart it, because of a pending
// signal. It is the kernel's own internal value (512), which no system call
// returns to user space, so it cannot be confused with a real result.
const ERESTARTSYS = syscall.Errno(512)

// FaultExited is what the test trampoline enterCode returns after a fault
// in generated code was redirected to the fault exit.
const faultExited = ^uintptr(1) // -2

// Sigset is a set of signals, bit n-1 for signal n, as in the kernel's
// sigset_t (the layout rt_sigprocmask takes).
type Sigset uint64

// SigsetOf returns the set of the given signals (1..64; others are ignored).
func SigsetOf(sigs ...int) Sigset {
	var s Sigset
	for _, sig := range sigs {
		if sig >= 1 && sig <= 64 {
			s |= Sigset(sigbit(sig))
		}
	}
	return s
}

// Has reports whether sig is in s.
func (s Sigset) Has(sig int) bool { return sig >= 1 && sig <= 64 && s&Sigset(sigbit(sig)) != 0 }

// Lowest returns the lowest signal in s, or 0 when s is empty.
func (s Sigset) Lowest() int {
	if s == 0 {
		return 0
	}
	return bits.TrailingZeros64(uint64(s)) + 1
}

func (s Sigset) String() string {
	var b bytes.Buffer
	b.WriteByte('{')
	for x := s; x != 0; x &= x - 1 {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, bits.TrailingZeros64(uint64(x))+1)
	}
	b.WriteByte('}')
	return b.String()
}

var (
	// FaultSignals are the synchronous fault signals: with si_code > 0 they
	// are faults, recorded and handed to Go or to a fault exit.
	FaultSignals = SigsetOf(SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV)
	// goSelf are the signals the Go runtime sends its own process (the
	// crash relay, preemption, per-thread syscalls): when self-sent (kill
	// or tgkill from our pid) they are Go's, never the guest's.
	goSelf = SigsetOf(SIGQUIT, SIGURG, sigPerThreadSyscall)
	// alwaysForward are handed on to Go's handler even when recorded for
	// the guest: the runtime needs to see them (a stray one is harmless).
	alwaysForward = SigsetOf(SIGURG, SIGPROF, sigPerThreadSyscall)
	// neverBlock are never blocked on a host thread by Block or SetMask.
	neverBlock = FaultSignals | SigsetOf(SIGKILL, SIGSTOP, SIGURG, SIGPROF, sigPerThreadSyscall)
	// syncSignals are dequeued first by TakePending, as the kernel does.
	syncSignals = FaultSignals | SigsetOf(SIGSYS)
)

// DefaultGuestSignals is every signal a guest may receive: all but SIGKILL
// and SIGSTOP, which no handler can take, and SIGPROF, which the Go runtime's
// CPU profiler uses (a guest's profiling timer needs the Linux layer's own
// timer, not the host's).
const DefaultGuestSignals = Sigset(^uint64(0)) &^ (1<<(SIGKILL-1) | 1<<(SIGSTOP-1) | 1<<(SIGPROF-1))

// Read by the handler (hostsig_amd64.s). Written only by Install, before
// any handler is installed, except codeRanges (RegisterCode) and the
// counters.
var (
	fwdHandler   [65]uintptr      // Go's handler (or SIG_DFL/SIG_IGN) of each wrapped signal
	guestMask    uint64           // Config.Guest
	haveFSGSBASE uint32           // 1: rdgsbase/wrgsbase usable (AT_HWCAP2 has FSGSBASE)
	ourPid       int32            // getpid()
	wakeFD       int32       = -1 // write end of the wake pipe
	safeStart    uintptr          // first instruction of the safe-syscall window
	safeInsn     uintptr          // its SYSCALL instruction
	procSet      pendingSet       // process-directed guest signals
	sigSeen      [65]uint64       // signals entering the handler, by number
	stats        handlerStats
	codeRanges   [16]codeRange
)

type handlerStats struct {
	redirect  uint64 // faults in generated code resumed at the fault exit
	rewind    uint64 // signals that found a thread in the safe-syscall window
	recorded  uint64 // guest signals recorded
	forwarded uint64 // signals handed on to Go's handler
	goOwned   uint64 // self-sent signals recognised as the Go runtime's own
}

// codeRange is a registered range of generated code; a slot is free when
// start == end == 0. Written under codeMu, end last when adding and first
// when removing, so the handler never sees a torn range that covers a PC
// it should not.
type codeRange struct {
	start, end, faultExit uintptr
}

// Implemented in hostsig_amd64.s.
func handlerAddr() uintptr
func windowAddr() uintptr
func faultExitAddr() uintptr
func rdgsbase() uintptr
func wrgsbase(v uintptr)
func safeSyscall6(nr, a1, a2, a3, a4, a5, a6 uintptr, flag *uint32) (r1, errno uintptr)
func safeSyscallWindow(nr, a1, a2, a3, a4, a5, a6 uintptr, flag *uint32) (r1, errno uintptr)
func enterCode(blk, code, arg uintptr) uintptr
func asmLayout(out *[25]uintptr)

// Config says which signals Install takes for the guest.
type Config struct {
	// Guest is the set of signals recorded for the guest and, apart from
	// SIGURG, SIGPROF and 33, not handed to Go's handlers. SIGKILL and
	// SIGSTOP are dropped from it.
	Guest Sigset
	// PlaceFD, if set, moves each descriptor Install creates (the wake
	// pipe) to where minemu keeps its own (the descriptor band) and
	// returns the new number; it owns closing the old one.
	PlaceFD func(fd int) (int, error)
}

var install struct {
	sync.Mutex
	done     bool
	wrapped  Sigset
	old      [65]sigaction
	ignored  Sigset
	notify   chan struct{}
	wakeRead *os.File
}

// Install puts the package's handler in front of the Go runtime's for the
// fault signals, SIGURG and every signal of cfg.Guest. Call it once, after
// the runtime has installed its handlers (any time after package
// initialisation) and before any guest thread runs.
func Install(cfg Config) error {
	install.Lock()
	defer install.Unlock()
	if install.done {
		return errors.New("hostsig: Install called twice")
	}
	guest := cfg.Guest &^ SigsetOf(SIGKILL, SIGSTOP)

	start := windowAddr()
	insn, err := findSyscallInsn(start)
	if err != nil {
		return err
	}
	goRestorer, err := getsig(SIGSEGV)
	if err != nil {
		return fmt.Errorf("hostsig: read SIGSEGV action: %w", err)
	}
	if goRestorer.handler <= 1 || goRestorer.restorer == 0 {
		return errors.New("hostsig: the Go runtime has no SIGSEGV handler installed")
	}

	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return fmt.Errorf("hostsig: wake pipe: %w", err)
	}
	if cfg.PlaceFD != nil {
		for i := range fds {
			if fds[i], err = cfg.PlaceFD(fds[i]); err != nil {
				return fmt.Errorf("hostsig: place wake pipe: %w", err)
			}
		}
	}

	safeStart, safeInsn = start, insn
	haveFSGSBASE = 0
	if hasFSGSBASE() {
		haveFSGSBASE = 1
	}
	ourPid = int32(unix.Getpid())
	procSet.reset()
	guestMask = uint64(guest)
	wakeFD = int32(fds[1])
	install.notify = make(chan struct{}, 1)
	install.wakeRead = os.NewFile(uintptr(fds[0]), "hostsig-wake")
	go wakeLoop(install.wakeRead, install.notify)

	wrap := FaultSignals | SigsetOf(SIGURG) | guest
	for x := wrap; x != 0; x &= x - 1 {
		sig := Sigset(x).Lowest()
		old, err := getsig(sig)
		if err != nil {
			return fmt.Errorf("hostsig: read action of signal %d: %w", sig, err)
		}
		if old.handler == handlerAddr() {
			// Installed by an earlier call that failed later on: keep what
			// that call saved.
			install.wrapped |= Sigset(sigbit(sig))
			continue
		}
		install.old[sig] = old
		if old.handler == sigIGN {
			install.ignored |= Sigset(sigbit(sig))
		}
		act := old
		act.handler = handlerAddr()
		if old.handler <= 1 {
			// SIG_DFL or SIG_IGN before us (Go leaves SIGTSTP, SIGTTIN,
			// SIGTTOU, SIGCONT, 32 and 34 alone; SIGHUP and SIGINT when
			// inherited ignored): flags and mask like Go's own handlers.
			act.flags = saSiginfo | saOnstack | saRestorer | saRestart
			act.mask = ^uint64(0)
			act.restorer = goRestorer.restorer
		}
		act.flags |= saSiginfo | saOnstack | saRestorer
		if act.restorer == 0 {
			act.restorer = goRestorer.restorer
		}
		atomic.StoreUintptr(&fwdHandler[sig], old.handler)
		if err := rtSigaction(sig, &act, nil); err != nil {
			return fmt.Errorf("hostsig: install handler for signal %d: %w", sig, err)
		}
		install.wrapped |= Sigset(sigbit(sig))
	}
	install.done = true
	return nil
}

const (
	sigDFL     = 0
	sigIGN     = 1
	saSiginfo  = 0x4
	saOnstack  = 0x08000000
	saRestart  = 0x10000000
	saRestorer = 0x04000000
)

// Installed reports whether Install has run.
func Installed() bool {
	install.Lock()
	defer install.Unlock()
	return install.done
}

// GuestSignals returns the signals taken for the guest.
func GuestSignals() Sigset { return Sigset(atomic.LoadUint64(&guestMask)) }

// InitialIgnored returns the signals taken for the guest whose disposition
// was SIG_IGN before Install: the disposition the guest inherited (nohup's
// SIGHUP, a background job's SIGINT and SIGQUIT).
func InitialIgnored() Sigset {
	install.Lock()
	defer install.Unlock()
	return install.ignored
}

func wakeLoop(f *os.File, notify chan struct{}) {
	var buf [64]byte
	for {
		if _, err := f.Read(buf[:]); err != nil {
			return
		}
		select {
		case notify <- struct{}{}:
		default:
		}
	}
}

// ProcessNotify returns a channel that receives after process-directed
// guest signals were recorded (by the handler, through the wake pipe, or by
// Inject). The router of the Linux layer waits on it, picks a guest thread
// that does not block the signal and Kicks it. One receive may stand for
// several signals. Nil before Install.
func ProcessNotify() <-chan struct{} {
	install.Lock()
	defer install.Unlock()
	return install.notify
}

// findSyscallInsn decodes the start of safeSyscallWindow: cmpl $0,(%r12),
// then jne (rel8 or rel32), then syscall. Anything else means the
// assembler laid the window out differently and the rewind would be wrong.
func findSyscallInsn(start uintptr) (uintptr, error) {
	code := codeBytes(start, 16)
	if !bytes.HasPrefix(code, []byte{0x41, 0x83, 0x3c, 0x24, 0x00}) {
		return 0, fmt.Errorf("hostsig: unexpected safe-syscall window % x", code)
	}
	off := 5
	switch {
	case code[off] == 0x75:
		off += 2
	case code[off] == 0x0f && code[off+1] == 0x85:
		off += 6
	default:
		return 0, fmt.Errorf("hostsig: unexpected safe-syscall window % x", code)
	}
	if code[off] != 0x0f || code[off+1] != 0x05 {
		return 0, fmt.Errorf("hostsig: unexpected safe-syscall window % x", code)
	}
	return start + uintptr(off), nil
}

func hasFSGSBASE() bool {
	const atHWCAP2, hwcap2FSGSBASE = 26, 1 << 1
	auxv, err := unix.Auxv()
	if err != nil {
		return false
	}
	for _, kv := range auxv {
		if kv[0] == atHWCAP2 {
			return kv[1]&hwcap2FSGSBASE != 0
		}
	}
	return false
}

// Stats are the handler's counters since Install.
type Stats struct {
	Redirected uint64 // faults in generated code resumed at their fault exit
	Rewound    uint64 // signals that found a thread in the safe-syscall window
	Recorded   uint64 // guest signals recorded by the handler
	Forwarded  uint64 // signals handed on to Go's handler
	GoOwned    uint64 // self-sent signals recognised as the Go runtime's
	Dropped    uint64 // real-time guest signals lost to a full process ring
	Seen       [65]uint64
}

// ReadStats returns the handler's counters.
func ReadStats() Stats {
	s := Stats{
		Redirected: atomic.LoadUint64(&stats.redirect),
		Rewound:    atomic.LoadUint64(&stats.rewind),
		Recorded:   atomic.LoadUint64(&stats.recorded),
		Forwarded:  atomic.LoadUint64(&stats.forwarded),
		GoOwned:    atomic.LoadUint64(&stats.goOwned),
		Dropped:    atomic.LoadUint64(&procSet.dropped),
	}
	for i := range s.Seen {
		s.Seen[i] = atomic.LoadUint64(&sigSeen[i])
	}
	return s
}

var codeMu sync.Mutex

// RegisterCode registers [start, end) as generated code: a synchronous
// fault there on a registered thread is recorded in the thread's block and
// resumed at faultExit (with the thread's GS base still the block), and a
// SIGURG there sets the block's exit request. It returns the slot to pass
// to UnregisterCode.
func RegisterCode(start, end, faultExit uintptr) (int, error) {
	if start >= end || faultExit == 0 {
		return 0, fmt.Errorf("hostsig: bad code range [%#x, %#x) exit %#x", start, end, faultExit)
	}
	codeMu.Lock()
	defer codeMu.Unlock()
	for i := range codeRanges {
		r := &codeRanges[i]
		if atomic.LoadUintptr(&r.end) == 0 {
			atomic.StoreUintptr(&r.faultExit, faultExit)
			atomic.StoreUintptr(&r.start, start)
			atomic.StoreUintptr(&r.end, end)
			return i, nil
		}
	}
	return 0, errors.New("hostsig: no free code range slot")
}

// UnregisterCode removes a range registered by RegisterCode.
func UnregisterCode(slot int) {
	codeMu.Lock()
	defer codeMu.Unlock()
	r := &codeRanges[slot]
	atomic.StoreUintptr(&r.end, 0)
	atomic.StoreUintptr(&r.start, 0)
	atomic.StoreUintptr(&r.faultExit, 0)
}

// Block adds set (less the signals the host thread must keep receiving:
// the fault signals, SIGURG, SIGPROF, 33) to the calling OS thread's mask
// and returns the old mask. A signal blocked on the host stays pending in
// the kernel (queued, for real-time signals) until unblocked, and the
// kernel routes a process-directed one to another thread that does not
// block it. Call it on a locked thread.
func Block(set Sigset) (Sigset, error) {
	set &^= neverBlock
	var old Sigset
	err := rtSigprocmask(unix.SIG_BLOCK, &set, &old)
	return old, err
}

// Unblock removes set from the calling OS thread's mask and returns the
// old mask.
func Unblock(set Sigset) (Sigset, error) {
	var old Sigset
	err := rtSigprocmask(unix.SIG_UNBLOCK, &set, &old)
	return old, err
}

// SetMask sets the calling OS thread's mask to set (less the signals that
// are never blocked) and returns the old mask.
func SetMask(set Sigset) (Sigset, error) {
	set &^= neverBlock
	var old Sigset
	err := rtSigprocmask(unix.SIG_SETMASK, &set, &old)
	return old, err
}

// Mask returns the calling OS thread's signal mask.
func Mask() (Sigset, error) {
	var old Sigset
	err := rtSigprocmask(unix.SIG_BLOCK, nil, &old)
	return old, err
}

// HostPending returns the signals pending in the kernel for the calling
// thread or the process (rt_sigpending): blocked ones not yet delivered.
func HostPending() (Sigset, error) { return rtSigpending() }

// RaiseDefault performs sig's default action on the process, as the kernel
// does for a guest that has no handler: it sets SIG_DFL, unblocks sig and
// sends it to the calling thread. For the terminating signals it does not
// return (the process ends with that signal, with a core dump where the
// kernel makes one); for the stop signals it returns once the process is
// continued; then, and for the signals whose default is to be ignored, it
// puts the previous action back. Call it on a locked thread.
func RaiseDefault(sig int) error {
	if sig < 1 || sig > 64 || sig == SIGKILL || sig == SIGSTOP {
		if sig == SIGKILL || sig == SIGSTOP {
			return unix.Tgkill(unix.Getpid(), unix.Gettid(), syscall.Signal(sig))
		}
		return unix.EINVAL
	}
	old, err := getsig(sig)
	if err != nil {
		return err
	}
	dfl := sigaction{handler: sigDFL}
	if err := rtSigaction(sig, &dfl, nil); err != nil {
		return err
	}
	set := Sigset(sigbit(sig))
	oldMask, err := Unblock(set)
	if err == nil {
		err = unix.Tgkill(unix.Getpid(), unix.Gettid(), syscall.Signal(sig))
		if oldMask.Has(sig) {
			Block(set)
		}
	}
	if e := rtSigaction(sig, &old, nil); err == nil {
		err = e
	}
	return err
}
