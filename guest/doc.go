// Package guest is the root of the emulated guest: its packages, what each
// owns, and the rules between them (docs/architecture.md tells one guest
// instruction's and one system call's path through them).
//
//   - guest/cpu: one thread's CPU state (registers, flags computed lazily,
//     vector and x87 state, the FXSAVE, XSAVE and x87 environment images)
//     and the contracts between the engines and what
//     they call out to (Exit, Kernel, Thunker, SegmentResolver,
//     GuestWriteNotifier).
//   - guest/isa: op records and lowering; its subpackages are the
//     decoder (isa/decode: x86asm with its gaps filled and minemu's own
//     instructions) and the semantics and descriptions engines share:
//     isa/vec (SSE through AVX2, bit manipulation, crypto), isa/x87 (80-bit
//     arithmetic), isa/alu (the integer instructions with irregular
//     flags), isa/cpuid (the CPU a guest is shown).
//   - guest/engine: the Engine seam, the shared code cache, the process
//     and thread run state and the run loop that handles every exit.
//   - guest/interp: the interpreter, the reference engine; interp/locked
//     runs its locked instructions atomically on the real memory.
//   - guest/linux: the Linux personality: system calls of both ABIs,
//     Process and Thread, descriptors; its subpackages hold what needs no
//     Process: linux/fdband (minemu's descriptors in a band above the
//     guest's), linux/procfs (the guest's view of the maps files),
//     linux/ldt (the local descriptor table modify_ldt keeps),
//     linux/forkexec (a guest carried into a new minemu by fork and
//     execve), linux/futex (the robust-futex walk of a dying thread),
//     linux/signal (signal sets, dispositions, siginfo layouts, pending
//     queues), linux/hostcall (the calls the host serves once minemu has
//     checked and translated them: poll, select, epoll, sockets, timers,
//     xattrs ..., each seeing its thread through the Task the Linux layer
//     gives), linux/filecall (the file system calls: transfers, open,
//     dup, fcntl, stat, renames ..., through a Task that is hostcall's
//     and the descriptor tracking of the process), linux/memcall (mmap
//     and the mapping calls, resource limits, memory locking, through a
//     Task that is hostcall's and the address space and limits).
//   - guest/hostsig: host signal handlers in front of the Go runtime's,
//     per-thread context blocks, the safe system call.
//
// Imports point one way: cpu imports nothing of the project but mm; isa
// imports cpu, isa/decode (whose result it lowers) and isa/vec (whose
// functions its vector table names); the isa subpackages import nothing
// of the project but mm (isa/alu: and cpu, for the flags); engine imports cpu, isa
// (and its subpackages) and mm; interp imports engine; linux imports cpu,
// hostsig, mm and its own subpackages, which import nothing of the
// project but mm (hostcall and signal: cpu too; filecall and memcall:
// cpu and hostcall, whose Task and Call they extend), and knows nothing of
// how guest code runs. A test
// (deps_test.go) enforces the rules with `go list -deps`.
package guest
