package engine

import (
	"sync/atomic"

	"github.com/minemu/minemu/mm"
)

// Context is a thread's block of engine state at a stable address outside
// the Go heap (the primary heap when the process has one): what a
// translated block reaches through a register — the exit record, the
// exit-request word, the segment bases and scratch space — and what the
// interpreter uses for its exit record and counters. It holds no Go
// pointers.
//
// Owner: the thread's goroutine writes every field but Request; Request is
// written by any goroutine and read with atomic operations only.
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
	// engines keep it current so that a memory fault is reported at it,
	// and at an exit it is the instruction that exited.
	PC uint64
	// Addr and Arg are the exit's parameters: a fault address, a thunk id,
	// a selector, an x86asm.Op (see Reason and Fault).
	Addr, Arg uint64
	// Request is the exit-request word (RequestPreempt, RequestSignal),
	// set by Thread.Interrupt and cleared by the run loop; an engine polls
	// it at least every pollBlocks blocks.
	Request uint32
	_       uint32
	// Instructions and Blocks count the guest instructions and blocks the
	// thread executed.
	Instructions, Blocks uint64
	// FSBase and GSBase mirror the CPU's segment bases for generated code
	// (refreshed from the CPU before every engine run).
	FSBase, GSBase uint64
	// Scratch is spill space for generated code.
	Scratch [8]uint64
}

// Exit-request bits (Context.Request).
const (
	RequestPreempt uint32 = 1 << iota
	RequestSignal
)

// pollBlocks: an engine polls the request word and announces a quiescent
// point at least once every pollBlocks blocks (a power of two).
const pollBlocks = 256

// PollMask is pollBlocks-1: an engine polls when Blocks&PollMask == 0.
const PollMask = pollBlocks - 1

func (x *Context) request() uint32 { return atomic.LoadUint32(&x.Request) }

// Arena is an allocator of memory outside the Go heap: mm's heaps.
type Arena interface {
	Alloc(n uint64) (mm.Addr, error)
	Free(p mm.Addr) error
}
