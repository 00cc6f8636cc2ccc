// Package engine is the seam between the code that runs guest instructions
// and everything else: the Engine interface, the shared code cache, the
// process and per-thread run state, and the one run loop that handles
// every reason an engine stops.
//
// # The seam
//
// An Engine (the interpreter, package interp; later a translator) runs one
// thread's guest code from its CPU's RIP over the process's code cache and
// returns a Reason: a system call, a thunk, a fault, the callback trap, its
// own store dropping code (invalidation), a request to stop (preemption,
// a pending signal). It writes the details into the thread's Context (the
// exit record) and leaves the CPU consistent. The run loop (Thread.loop)
// handles the reasons in one place:
//
//   - ReasonSyscall: Kernel.Syscall (ENOSYS without a kernel); a non-nil
//     Exit ends the run.
//   - ReasonThunk: Thunker.Call, which may call back into the guest
//     (Thread.CallGuest runs a nested loop on the same thread), then the
//     near RET; an error kills the guest with SIGILL.
//   - ReasonTrap: the end of a CallGuest when the guest returned to the
//     process's trap address, an invalid opcode anywhere else.
//   - ReasonFault: the Exit Linux gives (signal and report) for the Fault
//     kind in the exit record: SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP.
//     Memory faults on guest memory are not returned but panic
//     (runtime/debug.SetPanicOnFault); the outermost Run recovers them and
//     asks the kernel whether the page raises SIGBUS (faultSignal).
//   - ReasonInvalidate, ReasonPreempt, ReasonSignal: continue at RIP.
//
// Engines are registered by name (Register; the interpreter as "interp",
// the DefaultEngine) and a Process runs the one its Config names, so that
// every guest-running test can run on every engine: the tests of this
// package are the engines' conformance suite and take -engine NAME, as do
// those of the Linux personality, thunks and tests/ (through enginetest).
//
// # Process and Thread
//
// A Process is what the threads of a guest share: the mode, the address
// space and the outcalls (Kernel, Thunker), the code cache, the trampoline
// page and the arenas (Config.Code: the dynarec heap, where decoded ops
// live; Config.Data: the primary heap, where the threads' contexts and the
// code filter live). A Thread is one guest thread's run state: its CPU, its
// Context (at a stable address outside the Go heap: the exit record, the
// stop word, the instruction and block counters, the segment bases and
// scratch space a translated block reaches through a register), its
// direct-mapped block table, the CallGuest nesting, the Exit that ended a
// nested run, and the blocks it retired that wait for their grace period.
// A Thread belongs to one goroutine (locked to its OS thread in minemu);
// the Process is safe for concurrent use. The kernel starts threads
// through the Process (StartThread, cpu.ThreadStarter: a goroutine locked
// for good to a new OS thread, whose id the kernel gives the guest thread,
// with the thread's own Kernel) and ends them through their handle
// (Thread.Kill, at the next instruction boundary or when the system call
// in progress returns).
//
// The trampoline page is minemu's own page in the guest window, mapped
// read-execute when the process is made (mm.GuestSpace.MapTrampoline,
// classified mm.ClassTrampoline: the guest cannot change it and the
// thunks' frees refuse it). It holds the CallGuest return trap (0F 3E) at
// its start and has room for signal return trampolines.
//
// # The code cache (cache.go, cache_evict.go)
//
// Blocks are decoded (decode.Decode, isa.Lower) once into ops, kept by entry
// address in an index, found through each block's two successor slots and
// each thread's direct-mapped table before the index. A page map and a
// hashed filter of the pages holding decoded bytes let every guest store
// detect writes to code (the storing thread then leaves its block before
// its next instruction); mapping changes and the kernel's own writes drop
// the blocks they touch (Invalidate, GuestWrote). The live blocks count
// against a budget; the oldest are evicted first. Index, pages, the age
// list and the budget are guarded by the process's lock, and decoding
// happens under it; what threads read without it (a block's liveness and
// successors, the filter) is atomic.
//
// # Releasing dropped blocks (epoch.go)
//
// A block that leaves the cache may still be executing on other threads.
// Its memory is released by quiescent-state-based reclamation: retiring a
// block stamps it with a new global epoch; threads announce quiescent
// points (every exit to the run loop, every miss of their direct-mapped
// table; offline while in a system call or a thunk's host code); a retired
// block is released once every thread has announced an epoch at least its
// stamp. A thread that spins in cached blocks is asked to pass a quiescent
// point through its stop word. TestThreadsShareCache runs four OS threads
// over one cache that evicts and invalidates all the time, with released
// memory poisoned.
package engine
