// Package signal is the guest's signal state as the Linux kernel keeps it,
// without the threads and memory it applies to: signal sets, dispositions
// (struct sigaction in both ABIs' layouts and the legacy i386 one), the
// default action of each signal, siginfo (the x86-64 layout and the
// conversion to and from the i386 compat layout), pending queues, the
// alternate stack's rules (stack_t, sigaltstack's checks) and the
// system-call restart rules of arch/x86/kernel/signal.c. The frames
// themselves are guest/cpu's (sigframe*.go); the Linux layer
// (syscall_signal*.go) ties these to threads, guest memory and the host.
//
// # Queues
//
// The kernel keeps one queue per thread (tkill, tgkill, faults) and one per
// thread group (kill, timers, SIGCHLD). A standard signal (1..31) is pending
// at most once: generating it again while it is pending changes nothing. A
// real-time signal (32..64) is queued once per generation, with its siginfo,
// up to a bound (the kernel's RLIMIT_SIGPENDING, here MaxQueued per
// signal), and is dequeued in order. Dequeue takes synchronous signals
// (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS) first, then the lowest
// number, as the kernel's dequeue_signal does.
//
// A Queue is not safe for concurrent use: the Linux layer guards each with
// its process's signal lock.
package signal

import (
	"encoding/binary"
	"math/bits"
)

// Signal numbers the package names.
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
	NSIG      = 64
)

// Set is a signal set, bit n-1 for signal n: the kernel's sigset_t.
type Set uint64

// SetOf returns the set of the given signals.
func SetOf(sigs ...int) Set {
	var s Set
	for _, sig := range sigs {
		s = s.Add(sig)
	}
	return s
}

// Has reports whether sig is in s.
func (s Set) Has(sig int) bool { return sig >= 1 && sig <= NSIG && s&(1<<(sig-1)) != 0 }

// Add returns s with sig.
func (s Set) Add(sig int) Set {
	if sig < 1 || sig > NSIG {
		return s
	}
	return s | 1<<(sig-1)
}

// Del returns s without sig.
func (s Set) Del(sig int) Set {
	if sig < 1 || sig > NSIG {
		return s
	}
	return s &^ (1 << (sig - 1))
}

// Lowest is the lowest signal in s, 0 for the empty set.
func (s Set) Lowest() int {
	if s == 0 {
		return 0
	}
	return bits.TrailingZeros64(uint64(s)) + 1
}

var (
	// Unblockable are SIGKILL and SIGSTOP: never blocked, caught or
	// ignored.
	Unblockable = SetOf(SIGKILL, SIGSTOP)
	// Synchronous are dequeued first (the kernel's SYNCHRONOUS_MASK).
	Synchronous = SetOf(SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS)
)

// Disposition values of a handler.
const (
	SIG_DFL = 0
	SIG_IGN = 1
)

// sa_flags bits (asm-generic/signal-defs.h, asm/signal.h).
const (
	SA_NOCLDSTOP      = 0x00000001
	SA_NOCLDWAIT      = 0x00000002
	SA_SIGINFO        = 0x00000004
	SA_UNSUPPORTED    = 0x00000400
	SA_EXPOSE_TAGBITS = 0x00000800
	SA_RESTORER       = 0x04000000
	SA_ONSTACK        = 0x08000000
	SA_RESTART        = 0x10000000
	SA_NODEFER        = 0x40000000
	SA_RESETHAND      = 0x80000000
)

// Action is a disposition.
type Action struct {
	Handler, Flags, Restorer uint64
	Mask                     Set
}

// ActionSize is the size of struct sigaction as rt_sigaction takes it
// (the kernel's layout: handler, flags, restorer, mask).
func ActionSize(abi64 bool) int {
	if abi64 {
		return 32
	}
	return 20
}

var le = binary.LittleEndian

// DecodeAction reads rt_sigaction's struct sigaction.
func DecodeAction(abi64 bool, b []byte) Action {
	if abi64 {
		return Action{Handler: le.Uint64(b[0:]), Flags: le.Uint64(b[8:]), Restorer: le.Uint64(b[16:]), Mask: Set(le.Uint64(b[24:]))}
	}
	return Action{Handler: uint64(le.Uint32(b[0:])), Flags: uint64(le.Uint32(b[4:])), Restorer: uint64(le.Uint32(b[8:])), Mask: Set(le.Uint64(b[12:]))}
}

// EncodeAction writes a into b (ActionSize bytes).
func EncodeAction(abi64 bool, a Action, b []byte) {
	if abi64 {
		le.PutUint64(b[0:], a.Handler)
		le.PutUint64(b[8:], a.Flags)
		le.PutUint64(b[16:], a.Restorer)
		le.PutUint64(b[24:], uint64(a.Mask))
		return
	}
	le.PutUint32(b[0:], uint32(a.Handler))
	le.PutUint32(b[4:], uint32(a.Flags))
	le.PutUint32(b[8:], uint32(a.Restorer))
	le.PutUint64(b[12:], uint64(a.Mask))
}

// OldActionSize is the size of the i386 sigaction(2)'s struct
// old_sigaction: handler, a 32-bit mask, flags, restorer.
const OldActionSize = 16

// DecodeOldAction reads struct old_sigaction.
func DecodeOldAction(b []byte) Action {
	return Action{Handler: uint64(le.Uint32(b[0:])), Mask: Set(le.Uint32(b[4:])), Flags: uint64(le.Uint32(b[8:])), Restorer: uint64(le.Uint32(b[12:]))}
}

// EncodeOldAction writes struct old_sigaction (the mask's low 32 bits).
func EncodeOldAction(a Action, b []byte) {
	le.PutUint32(b[0:], uint32(a.Handler))
	le.PutUint32(b[4:], uint32(a.Mask))
	le.PutUint32(b[8:], uint32(a.Flags))
	le.PutUint32(b[12:], uint32(a.Restorer))
}

// Default is a signal's default action.
type Default uint8

const (
	Terminate Default = iota
	Core
	Ignore
	Stop
	Continue
)

// DefaultAction is sig's default action (signal(7)); real-time signals
// terminate.
func DefaultAction(sig int) Default {
	switch sig {
	case SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS:
		return Core
	case SIGCHLD, SIGURG, SIGWINCH:
		return Ignore
	case SIGCONT:
		return Continue
	case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU:
		return Stop
	}
	return Terminate
}

// Ignored reports whether a signal generated with disposition a is
// discarded at once (SIG_IGN, or SIG_DFL with a default action of
// ignoring), as the kernel's sig_task_ignored: only when the receiver does
// not block it. SIGCONT's default action continues, and is not ignored.
func (a Action) Ignored(sig int) bool {
	if sig == SIGKILL || sig == SIGSTOP {
		return false
	}
	return a.Handler == SIG_IGN || a.Handler == SIG_DFL && DefaultAction(sig) == Ignore
}
