package engine

import (
	"fmt"
	"sort"
	"sync"

	"github.com/minemu/minemu/guest/isa"
)

// Engine runs guest code for one thread at a time over its process's shared
// code cache. Run executes from t.CPU().RIP until something needs the run
// loop and returns why; the details are in t.Context() (the exit record).
// Run must be safe to call concurrently for different threads of the
// process, and must leave the CPU consistent at every return: RIP is where
// execution continues (or, for a fault, the faulting instruction), every
// instruction before it has completed, none after it has started.
//
// Memory faults on guest memory are not returned: the engine lets them
// panic (runtime/debug.SetPanicOnFault is on), with Context.PC naming the
// instruction that faulted, and the run loop turns the panic into the
// signal the kernel would raise.
type Engine interface {
	Run(t *Thread) Reason
}

// Preparer is implemented by an engine that annotates the ops of every
// block the code cache decodes (isa.Op.Exec), once they are in their final
// place and before any thread can run them: the interpreter picks each
// op's specialised handler there, once per decoded block instead of once
// per executed op. Prepare runs under the process's lock and must not keep
// ops.
type Preparer interface {
	Prepare(ops []isa.Op)
}

// Factory makes the engine of a process.
type Factory func(p *Process) (Engine, error)

// DefaultEngine is the engine a Config without one gets: the interpreter,
// the reference engine (package interp registers it).
const DefaultEngine = "interp"

var registry struct {
	sync.Mutex
	m map[string]Factory
}

// Register makes an engine available under name; packages that implement
// an engine call it from init. Registering a name twice panics.
func Register(name string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = map[string]Factory{}
	}
	if _, dup := registry.m[name]; dup || f == nil {
		panic(fmt.Sprintf("engine: Register(%q) called twice or with a nil factory", name))
	}
	registry.m[name] = f
}

// Names lists the registered engines, sorted.
func Names() []string {
	registry.Lock()
	defer registry.Unlock()
	var n []string
	for k := range registry.m {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func lookupEngine(name string) (Factory, bool) {
	registry.Lock()
	defer registry.Unlock()
	f, ok := registry.m[name]
	return f, ok
}

// Reason is why an engine returned to the run loop.
type Reason uint8

const (
	// ReasonNone is never returned; it is what a fresh Context holds.
	ReasonNone Reason = iota
	// ReasonSyscall: a system call instruction (Context.ABI says which).
	// RIP is past it; for `syscall`, RCX and R11 hold RIP and RFLAGS as
	// the instruction leaves them.
	ReasonSyscall
	// ReasonThunk: a thunk stub (0F 3F) with id Context.Arg; RIP is past
	// the stub, Context.Size is the width of the return address the run
	// loop pops afterwards (the near RET).
	ReasonThunk
	// ReasonFault: the instruction at Context.PC raises Context.Fault
	// (with Context.Addr and Context.Arg as the kind says). RIP is the
	// faulting instruction (past it for int3).
	ReasonFault
	// ReasonTrap: the guest reached the callback return trap (0F 3E) at
	// Context.PC, which is also RIP.
	ReasonTrap
	// ReasonInvalidate: the thread's own store dropped blocks while the
	// engine ran one of them (self-modifying code: StopInvalidate); RIP is
	// the first instruction not executed.
	ReasonInvalidate
	// ReasonPreempt: the thread was asked to stop (StopPreempt from
	// Thread.Interrupt, StopQuiesce from reclamation); RIP is where to
	// continue.
	ReasonPreempt
	// ReasonSignal: a signal is pending for the thread (StopSignal); RIP
	// is where to continue. Signal delivery is the Linux personality's;
	// until it exists the run loop continues.
	ReasonSignal
)

var reasonNames = [...]string{"none", "syscall", "thunk", "fault", "trap", "invalidate", "preempt", "signal"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Fault says what an instruction raised (Context.Fault of ReasonFault).
// The run loop turns it into the signal and report Linux gives.
type Fault uint8

const (
	// FaultInvalid: an invalid or unsupported instruction at PC (SIGILL;
	// the code cache keeps the reason).
	FaultInvalid Fault = iota + 1
	// FaultFetch: the instruction bytes at Addr cannot be fetched
	// (SIGSEGV, or SIGBUS past the end of a file mapping).
	FaultFetch
	// FaultUD2: ud2 (SIGILL).
	FaultUD2
	// FaultGP: #GP at CPL 3: a privileged or I/O instruction (Arg is its
	// x86asm.Op) or, Arg 0, one longer than 15 bytes (SIGSEGV).
	FaultGP
	// FaultInto: into with OF set (#OF, SIGSEGV).
	FaultInto
	// FaultBound: bound out of range (#BR, SIGSEGV).
	FaultBound
	// FaultAam: aam with base 0 (#DE, SIGFPE).
	FaultAam
	// FaultDivide: a divide error (#DE, SIGFPE).
	FaultDivide
	// FaultInt3: int3 (SIGTRAP); RIP is past it.
	FaultInt3
	// FaultInt: int n for n other than 3 and 0x80 (#GP, SIGSEGV).
	FaultInt
	// FaultAlignSSE: a misaligned 16-byte SSE memory operand (#GP,
	// SIGSEGV).
	FaultAlignSSE
	// FaultAlign16: cmpxchg16b with its operand at Addr not 16-byte
	// aligned (#GP, SIGSEGV).
	FaultAlign16
	// FaultSelector: loading selector Arg into FS or GS, which the kernel
	// does not know (#GP, SIGSEGV).
	FaultSelector
	// FaultSIMD: an unmasked SIMD floating-point exception (#XM,
	// SIGFPE); MXCSR holds the flags.
	FaultSIMD
	// FaultX87: an unmasked x87 exception pending (FSW.ES) at a waiting
	// x87 or MMX instruction (#MF, SIGFPE); Arg is the si_code Linux
	// gives (FPE_FLTINV, FPE_FLTDIV, ...), FSW holds the flags.
	FaultX87
)
