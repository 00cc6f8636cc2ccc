// Package hostsig is minemu's host-signal foundation: signal handlers of its
// own in front of the Go runtime's, per-thread context blocks, pending sets
// of guest signals, and an interruptible ("safe") system call. The Linux
// layer builds guest signal delivery on it and the dynarec its fault exits;
// the package itself knows nothing of guests, CPUs or frames, and imports
// only the standard library and golang.org/x/sys/unix.
//
// # Handlers in front of Go's
//
// After the runtime has installed its handlers, Install reads the sigaction
// of each signal it wraps and replaces only the handler, with sigHandler (an
// assembly function in hostsig_amd64.s), keeping Go's flags (SA_SIGINFO,
// SA_ONSTACK, SA_RESTORER, SA_RESTART), mask (every signal) and restorer.
// For a signal Go left at SIG_DFL or SIG_IGN (SIGTSTP, SIGTTIN, SIGTTOU,
// SIGCONT, 32, 34; SIGHUP or SIGINT inherited ignored) it uses the same
// flags, mask and Go's restorer; InitialIgnored reports the inherited
// SIG_IGNs, the dispositions the guest inherits. Wrapped are the fault
// signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP), SIGURG and every
// signal of Config.Guest (DefaultGuestSignals: all but SIGKILL, SIGSTOP and
// SIGPROF). The handler decides without calling Go:
//
//   - A fault signal with si_code > 0 (the kernel's: SEGV_MAPERR, BUS_ADRERR,
//     SI_KERNEL, ...) on a registered thread: the siginfo, the interrupted
//     general registers (with the page-fault error code and trap number) and
//     the PC are copied into the thread's block. If the PC lies in a range
//     registered with RegisterCode the saved RIP becomes the range's fault
//     exit and the handler returns; otherwise it jumps to Go's handler, whose
//     panic-on-fault (runtime/debug.SetPanicOnFault) or crash takes over, and
//     the engine reads the exact record with Thread.TakeFault after its
//     recover. On an unregistered thread a fault goes straight to Go.
//   - SIGQUIT, SIGURG or 33 that this process sent itself (si_code SI_USER or
//     SI_TKILL, si_pid == getpid()): the Go runtime's own (its crash relay,
//     its preemption requests, syscall.AllThreadsSyscall): handed to Go,
//     never recorded. The Linux layer delivers the guest's own signals of
//     those numbers with Inject.
//   - Any other signal of Config.Guest, including a fault signal sent by
//     kill (si_code <= 0): recorded for the guest (below), the thread's
//     pending flag set, and not handed to Go, except SIGURG, SIGPROF and 33,
//     which the runtime needs and tolerates spuriously.
//   - Anything else goes to Go's handler unchanged (SIG_DFL or SIG_IGN
//     there: dropped).
//
// In every non-fault case, a thread interrupted inside the safe system
// call's window is rewound to the window's start (below); SIGURG arriving
// while registered generated code runs also sets the block's exit request.
//
// # What Go keeps
//
// Preemption (SIGURG), the profiler (SIGPROF, not wrapped unless taken for
// the guest), panics on faults in Go code, os/exec (which waits with waitid
// or wait4, not SIGCHLD) and os/signal for signals not taken keep working;
// the tests prove each with real signals. Go reinstalls its own handler
// only for a signal passed to signal.Notify whose handler was not Go's
// (SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT, 32, 34), on fork in the child, and
// when dying; signal.Ignore also replaces it. So minemu must not call
// signal.Notify or signal.Ignore for signals it takes for the guest.
//
// # Threads and the context block
//
// Register, on the goroutine that runs a guest thread, locks it to its OS
// thread and sets the thread's GS base (wrgsbase when AT_HWCAP2 has
// FSGSBASE, else arch_prctl(ARCH_SET_GS)) to a context block of its own:
// mmap'd memory above 4 GiB, outside the Go heap, never unmapped (blocks of
// unregistered threads are reused), so a thread holding a stale GS base may
// read it safely. The runtime never uses GS, but threads it creates inherit
// the creator's GS base, so the handler trusts a block only when gs:[0]
// equals the block's address, the magic word is set and the block's tid is
// gettid(). Layout (layout_amd64.h, checked against the Go struct by
// TestLayout):
//
//	0    self        the block's address (gs:[0])
//	8    magic       "minemuSG" while registered
//	16   tid         int32, the OS thread
//	20   pending     uint32, guest signal recorded / kicked (gs:[20])
//	24   exitReq     uint32, SIGURG while in generated code (gs:[24])
//	28   windowHits  uint32, signals that found the thread in the window
//	32   exitSP      the trampoline's saved stack pointer
//	40   3 words     reserved for the dynarec's trampoline
//	64   faultSeq    bumped after each recorded fault
//	72   faultPC
//	80   faultInfo   128 bytes, the kernel's siginfo
//	208  faultRegs   23 words, the mcontext gregs (REG_R8 ... REG_CR2)
//	512  set         the thread's pending set (74,816 bytes)
//
// # Pending sets
//
// A pending set has one ring of 8 entries per signal (sequence-numbered
// slots, a bounded multi-producer queue the handler fills with a CAS on the
// ring head; consumers hold a mutex) and a mask word with a bit per signal
// with entries. A standard signal (1..31) already pending is not queued
// again, as the kernel does; a ninth pending instance of a real-time signal
// is counted as dropped (the kernel would queue up to RLIMIT_SIGPENDING; a
// guest that relies on more should have the signal blocked on the host,
// where the kernel queues it). Each entry keeps the kernel's siginfo byte
// for byte and the receiving thread's tid.
//
// Thread-directed signals go to the receiving thread's set: si_code
// SI_TKILL (tgkill, tkill), SI_USER from our own pid (the kernel's SIGPIPE
// and SIGXFSZ for a write), and SIGSYS from seccomp. Everything else, and
// anything arriving on an unregistered thread, goes to the process set: kill
// from other processes, SIGCHLD, SIGALRM, SIGIO, and the signals whose
// si_code does not say (SI_QUEUE from rt_tgsigqueueinfo, SI_TIMER from a
// SIGEV_THREAD_ID timer: the Linux layer, which created them, re-routes by
// the recorded tid). A process-directed signal sets the receiving thread's
// pending flag when it is registered, and writes a byte to the wake pipe,
// whose reader makes ProcessNotify fire: the Linux layer's router then picks
// a guest thread that does not block the signal and Kicks it.
// Thread.TakePending dequeues in the kernel's order (own set before the
// process's, synchronous signals first, then the lowest number).
//
// Block, Unblock and SetMask change the host thread's mask with
// rt_sigprocmask, never blocking the fault signals, SIGURG, SIGPROF and 33:
// with a guest thread's blocked signals blocked on its host thread, the
// kernel itself keeps them pending and routes process-directed ones to a
// thread that accepts them.
//
// # The safe system call
//
// SafeSyscall6 (and Thread.Syscall6) is qemu-user's safe_syscall: the
// goroutine enters the system-call state like syscall.Syscall6, then
// assembly loads the registers and, at the start of safeSyscallWindow,
// compares the thread's pending flag with 0 and executes SYSCALL only when
// it is clear. The handler rewinds any thread whose PC lies in [window
// start, SYSCALL instruction] to the window start, so the check runs again.
// Hence:
//
//   - a signal that arrives before the check, or between the check and the
//     SYSCALL instruction, makes the call return ERESTARTSYS without entering
//     the kernel;
//   - a signal that arrives while the call blocks interrupts it; for a call
//     the kernel restarts (the handlers keep SA_RESTART: pipe, terminal and
//     socket reads and writes, wait4, open of a FIFO, ...) the kernel puts the PC back on the SYSCALL
//     instruction before the handler runs, the handler rewinds it, and the
//     call returns ERESTARTSYS; for a call the kernel does not restart after
//     a handler (nanosleep, poll, select, epoll_wait, ...) it returns EINTR.
//
// ERESTARTSYS is the kernel's own internal value 512, never a system call's
// result. The Linux layer turns it into a restart of the guest's call when
// the guest's handler has SA_RESTART (and into EINTR otherwise), and passes
// EINTR on: the host kernel has then applied its per-call rules already.
// Thread.Kick sets a thread's flag and sends it SIGURG (Go's own, forwarded):
// the same restart-and-rewind path makes a blocked call return ERESTARTSYS.
//
// # Async-signal safety
//
// The handler and its helpers are NOSPLIT|NOFRAME assembly. They call no Go
// code, take no lock, allocate nothing and never grow a stack: they use 32
// bytes of the alternate signal stack Go gives every thread, plus return
// addresses of calls between themselves. Their only system calls are
// gettid, arch_prctl(ARCH_GET_GS) (without FSGSBASE) and write (the wake
// pipe). They touch only the kernel's siginfo and ucontext, this package's
// globals (written by Install before any handler is installed, except the
// code ranges and the counters, which are written atomically) and validated
// context blocks. DI, SI and DX are kept intact for the jump to Go's handler,
// which therefore sees exactly the state it would have seen first; all
// other registers are free (the kernel's frame restores them on
// rt_sigreturn, and Go's handler saves what it needs).
//
// # Generated code
//
// RegisterCode declares a range of generated code and its fault exit. A
// fault there is recorded in the block and resumed at the fault exit with
// every register as at the fault except RIP; the exit stub finds the block
// at gs:[0] and unwinds to its trampoline (enterCode and faultExit in the
// assembly are the minimal model the tests use: the trampoline saves its
// stack pointer in exitSP). Generated code polls gs:[20] and gs:[24] at
// block boundaries for pending guest signals and exit requests.
package hostsig
