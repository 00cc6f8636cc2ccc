package cpu

import (
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// This file holds the contracts between the engines that run guest code
// and the parts that plug into them: the Linux system-call layer (Kernel)
// and the thunk layer (Thunker, implemented in package thunks, which the
// guest packages never import).

// Exit says why a guest stopped running.
type Exit struct {
	// Code is the exit code passed to exit or exit_group (0..255 after
	// truncation, as the kernel does); meaningful when Signal is 0.
	Code int
	// Signal is the signal that killed the guest (SIGSEGV for a memory
	// fault or an instruction refused in user mode, SIGBUS for a file
	// mapping touched past its end, SIGILL for an invalid opcode, SIGFPE
	// for a divide error, or a signal the guest sent itself), 0 for a
	// normal exit.
	Signal unix.Signal
	// Detail is a one-line human description for minemu's own report,
	// e.g. "SIGSEGV at address 0x10 (guest rip 0x401020)". Never shown to
	// the guest.
	Detail string
}

// Status is the process exit status a shell would see: Code for a normal
// exit, 128+signal for a signal death.
func (e Exit) Status() int {
	if e.Signal != 0 {
		return 128 + int(e.Signal)
	}
	return e.Code & 0xff
}

// Kernel executes guest system calls. The run loop calls Syscall with
// RIP already past the instruction (`int 0x80` or `syscall`) and, for
// `syscall`, RCX and R11 already holding RIP and RFLAGS as the instruction
// leaves them; the kernel reads arguments from and writes the result to
// c.Regs. A non-nil result ends the run (exit, exit_group, a fatal
// signal).
type Kernel interface {
	Syscall(c *CPU, abi ABI) *Exit
}

// Thunker resolves and runs guest→host calls. A guest stub is the bytes
// 0F 3F followed by the 32-byte SHA-256 of "library:function".
//
// The code cache calls Resolve once per stub, when it decodes the block
// that holds it, and keeps the id with the decoded instruction. When the
// stub executes the run loop calls Call with that id; the host function
// reads its packed-argument pointer (RDI for x86-64 guests, ECX for i386
// guests) and writes its result back through guest memory. When Call
// returns nil the run loop performs a near RET (pops the return address
// with the guest's pointer width); a non-nil error kills the guest with
// SIGILL and the error text as the Exit detail.
type Thunker interface {
	Resolve(hash [32]byte) (id uint32, err error)
	Call(id uint32, c *CPU) error
}

// SegmentResolver is implemented by a Kernel that keeps segment descriptors
// (i386 TLS through set_thread_area). When the guest loads FS or GS with a
// selector (`mov gs, ax`), the engine asks SegmentBase for the base;
// ok=false makes the load fault (SIGSEGV), as a bad selector does.
type SegmentResolver interface {
	SegmentBase(sel uint16) (base uint64, ok bool)
}

// GuestWriteNotifier is implemented by a Kernel that writes guest memory on
// the guest's behalf (read, pread, readv, getrandom, ...), bypassing the
// engines' stores. The engine's process hands it a function to call with
// every range it wrote, so that decoded code there is dropped as it would
// be after a guest store.
type GuestWriteNotifier interface {
	SetGuestWriteHook(func(r mm.AddrRange))
}

// Guest threads. The Linux layer creates threads (clone) and ends them
// (exit, exit_group, a fatal fault) without knowing how guest code runs:
// the engine's process starts a thread for it (ThreadStarter), hands it
// the thread's handle (ThreadHandle), and tells the thread's kernel when
// the thread's run ended (ThreadKernel).

// ThreadStarter starts guest threads.
type ThreadStarter interface {
	// StartThread runs c as a new guest thread on a goroutine of its own,
	// locked to an OS thread of its own for the thread's whole life (the
	// OS thread ends with it). On that goroutine, before the first
	// instruction, it calls setup with the OS thread's id and the
	// thread's handle; setup may change c and returns the Kernel of the
	// thread's system calls (a SegmentResolver too, for i386 TLS), or an
	// error, which StartThread returns without running anything.
	// StartThread returns once setup has returned. When the thread's run
	// ends, the engine releases the thread and then calls the kernel's
	// Exited on the same goroutine.
	StartThread(c *CPU, setup func(tid int, h ThreadHandle) (ThreadKernel, error)) error
}

// ThreadHandle is what the kernel may do to a running guest thread from
// any goroutine.
type ThreadHandle interface {
	// Kill ends the thread's run with e: at its next instruction
	// boundary, or when the system call it is in returns. The first Kill
	// wins; a Kill of a thread whose run has ended does nothing.
	Kill(e Exit)
	// NotifySignal asks the thread to stop at its next instruction
	// boundary, where the run loop delivers what is pending
	// (SignalDeliverer).
	NotifySignal()
}

// ThreadKernel is the Kernel of one thread started by a ThreadStarter.
type ThreadKernel interface {
	Kernel
	// Exited is told how the thread's run ended, on the thread's
	// goroutine, after the engine released the thread.
	Exited(e Exit)
}

// SignalDeliverer is implemented by a Kernel that delivers guest signals.
// The run loop calls DeliverSignals at the instruction boundary it stops
// at (before every engine run: after system calls, when the engine
// stopped for a signal another goroutine generated); it builds the
// frames of the signals deliverable now, which changes c (the stack, RIP
// at a handler), and returns an Exit when a signal ends the guest. For an
// exception the run loop calls DeliverFault with c at the faulting
// instruction (past it for a trap such as int3) and the fault the kernel
// would report.
type SignalDeliverer interface {
	DeliverSignals(c *CPU) *Exit
	DeliverFault(c *CPU, f Fault) *Exit
}

// Fault is an exception as the kernel reports it to the guest.
type Fault struct {
	// Signal, Code and Addr are si_signo, si_code and si_addr (SIGSEGV
	// SEGV_MAPERR with the address, SIGILL ILL_ILLOPN with the
	// instruction's, SIGTRAP SI_KERNEL for int3, ...).
	Signal int
	Code   int32
	Addr   uint64
	// Trapno and Err are the exception vector and error code the signal
	// frame's sigcontext records (14 and the page-fault error code for a
	// page fault, whose Addr is also cr2).
	Trapno, Err uint64
	// Detail describes the fault for minemu's report when it kills the
	// guest.
	Detail string
}
