package engine

import "github.com/minemu/minemu/mm"

// Context is a thread's block of engine state at a stable address outside
// the Go heap (the primary heap when the process has one): what a
// translated block reaches through a register — the exit record, the
// stop word, the segment bases and scratch space — and what the
// interpreter uses for its exit record and counters. It holds no Go
// pointers.
//
// Owner: the thread's goroutine reads and writes every field but Stop;
// Stop is written by any goroutine (under the process's lock when it is
// not the thread's own) and accessed with atomic operations only.
type Context struct {
	// Reason, Fault, ABI (cpu.ABI) and Size are the exit record's small
	// fields: why the engine returned, the fault kind, the system call
	// convention, and for a thunk the width of the return address.
	Reason Reason
	Fault  Fault
	ABI    uint8
	Size   uint8
	_      uint32
	// PC is the guest address of the instruction the engine is executing;
	// engines keep it current whenever an instruction may fault (the
	// interpreter stores it before each instruction that can: not before
	// register moves and arithmetic), so that a memory fault is reported
	// at it, and at an exit it is the instruction that exited.
	PC uint64
	// Addr and Arg are the exit's parameters: a fault address, a thunk id,
	// a selector, an x86asm.Op (see Reason and Fault).
	Addr, Arg uint64
	// Stop asks the engine to return to the run loop before its next
	// block, or for the thread's own StopInvalidate its next instruction
	// (Stop* bits; StopReason maps them to the reason to
	// return). The thread itself sets StopInvalidate when its own store
	// dropped blocks, so that self-modifying code sees its own writes;
	// other goroutines set the others (Thread.Interrupt, and reclamation
	// asking for a quiescent point). Any goroutine may set bits, with
	// atomic OR; the run loop clears the word (atomic swap) before every
	// engine run; engines read it with atomic loads at least at every
	// block entry (the interpreter also after every instruction that may
	// have stored into decoded code, so that the thread's own
	// StopInvalidate is seen before the next instruction).
	// Another thread that drops blocks does not interrupt this one: a
	// block this thread is running stays valid until its next quiescent
	// point, and the next lookup finds the dropped block dead — x86
	// guarantees cross-modifying code no more than that.
	Stop uint32
	_    uint32
	// Instructions and Blocks count the guest instructions and blocks the
	// thread executed.
	Instructions, Blocks uint64
	// FSBase and GSBase mirror the CPU's segment bases for generated code
	// (refreshed from the CPU before every engine run).
	FSBase, GSBase uint64
	// Scratch is spill space for generated code.
	Scratch [8]uint64
}

// Stop bits (Context.Stop).
const (
	// StopInvalidate: the thread's own store dropped blocks.
	StopInvalidate uint32 = 1 << iota
	// StopPreempt: Thread.Interrupt asked the thread to stop.
	StopPreempt
	// StopSignal: a signal is pending for the thread.
	StopSignal
	// StopQuiesce: reclamation waits for this thread to pass a quiescent
	// point (epoch.go).
	StopQuiesce
)

// StopReason is the reason an engine returns for the Stop bits s (not 0).
func StopReason(s uint32) Reason {
	switch {
	case s&StopSignal != 0:
		return ReasonSignal
	case s&(StopPreempt|StopQuiesce) != 0:
		return ReasonPreempt
	default:
		return ReasonInvalidate
	}
}

// Arena is an allocator of memory outside the Go heap: mm's heaps.
type Arena interface {
	Alloc(n uint64) (mm.Addr, error)
	Free(p mm.Addr) error
}
