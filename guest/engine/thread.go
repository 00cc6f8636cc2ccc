package engine

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// maxCallDepth bounds the CallGuest calls in progress on one thread:
// exactly this many may nest.
const maxCallDepth = 64

// Thread is one guest thread's run state: its CPU, its context block, its
// direct-mapped block table, the CallGuest nesting, the exit that ended a
// nested run, and the blocks it retired that wait for their grace period.
//
// A Thread belongs to one goroutine at a time (the guest thread that runs
// it): Run, CallGuest, Lookup, CodeWrite, NoteWrite and Close must be
// called from it. Interrupt may be called from anywhere. The fields are
// owned by that goroutine except where a comment says otherwise.
type Thread struct {
	p   *Process
	cpu *cpu.CPU
	// ctx is the thread's context (stable address; ctxMem is its Data
	// allocation, 0 for Go memory).
	ctx    *Context
	ctxMem mm.Addr
	// fast is the direct-mapped block table; entries may name dead blocks
	// and are checked on use.
	fast [1 << fastBits]fastEntry
	// qs is the epoch of the thread's last quiescent point, offlineQS
	// while it cannot touch any block's ops (epoch.go). Written by the
	// thread, read by every thread; atomic.
	qs atomic.Uint64
	// pending are the blocks this thread retired, waiting for their grace
	// period.
	pending []retired
	// depth is the number of active run loops (Run plus nested CallGuest);
	// callbacks the number of active CallGuest calls.
	depth, callbacks int
	// exit is set when a nested run loop ended the guest; every outer loop
	// stops with it.
	exit *cpu.Exit
	// closed is set by Close (under Process.mu).
	closed bool

	// Threads started by the kernel (thread_start.go).
	//
	// kernel and segs are the thread's own kernel and segment resolver,
	// nil for the process's; set before the thread first runs.
	kernel cpu.Kernel
	segs   cpu.SegmentResolver
	// killed is the exit Kill asked for; the run loop returns it. Set
	// once, from any goroutine.
	killed atomic.Pointer[cpu.Exit]
}

// NewThread registers a thread running c. The CPU must have the process's
// mode and belong to no other thread.
func (p *Process) NewThread(c *cpu.CPU) (*Thread, error) {
	if c == nil || c.Mode != p.mode {
		return nil, fmt.Errorf("engine: NewThread needs a CPU of mode %v", p.mode)
	}
	x, mem, err := newContext(p.data)
	if err != nil {
		return nil, fmt.Errorf("engine: thread context: %w", err)
	}
	t := &Thread{p: p, cpu: c, ctx: x, ctxMem: mem}
	t.qs.Store(offlineQS)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.threads[c] != nil {
		p.freeContext(t)
		return nil, fmt.Errorf("engine: NewThread: process closed, or the CPU already has a thread")
	}
	p.threads[c] = t
	p.publishThreadsLocked()
	return t, nil
}

// publishThreadsLocked updates the lock-free list of threads that
// reclamation scans.
func (p *Process) publishThreadsLocked() {
	ts := make([]*Thread, 0, len(p.threads))
	for _, t := range p.threads {
		ts = append(ts, t)
	}
	p.qsList.Store(&ts)
	p.nthreads.Store(int32(len(ts)))
}

// Close unregisters t: its counters go to the process's, its pending
// blocks to the process's orphans, its context is freed. t must not be
// running.
func (t *Thread) Close() {
	p := t.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	t.qs.Store(offlineQS)
	delete(p.threads, t.cpu)
	p.publishThreadsLocked()
	p.stats.Instructions += t.ctx.Instructions
	p.stats.BlocksExecuted += t.ctx.Blocks
	p.orphans = append(p.orphans, t.pending...)
	t.pending = nil
	p.norphans.Store(int32(len(p.orphans)))
	p.reclaimOrphansLocked()
	p.freeContext(t)
}

func (p *Process) freeContext(t *Thread) {
	if t.ctxMem != 0 {
		if err := p.data.Free(t.ctxMem); err != nil {
			p.log.Error().Err(err).Msg("freeing a thread context")
		}
		t.ctxMem = 0
	}
	t.ctx = new(Context) // keep the counters readable; nothing runs any more
	t.ctx.Instructions, t.ctx.Blocks = 0, 0
}

// CPU is the thread's CPU.
func (t *Thread) CPU() *cpu.CPU { return t.cpu }

// Process is the thread's process.
func (t *Thread) Process() *Process { return t.p }

// Context is the thread's context block.
func (t *Thread) Context() *Context { return t.ctx }

// Interrupt asks t's engine to return to the run loop before its next
// instruction (StopPreempt, StopSignal); safe from any goroutine while t
// is registered.
func (t *Thread) Interrupt(stop uint32) {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	if !t.closed {
		atomic.OrUint32(&t.ctx.Stop, stop)
	}
}

// Run runs the thread's CPU until the guest exits or dies. It never
// panics.
func (t *Thread) Run() cpu.Exit {
	if t.closed {
		return cpu.Exit{Signal: unix.SIGABRT, Detail: "engine: Run of a closed thread"}
	}
	if t.depth == 0 {
		t.exit = nil
	}
	e, _ := t.guarded()
	return e
}

// guarded runs the loop with fault recovery.
func (t *Thread) guarded() (e cpu.Exit, trapped bool) {
	old := debug.SetPanicOnFault(true)
	depth := t.depth
	defer func() {
		debug.SetPanicOnFault(old)
		if depth == 0 {
			t.offline()
		}
		if r := recover(); r != nil {
			t.depth = depth
			t.cpu.RIP = t.ctx.PC
			ex := t.panicExit(r)
			t.exit = &ex
			e, trapped = ex, false
		}
	}()
	return t.loop()
}

// loop is the run loop: it runs the engine and handles every reason it
// returns for. trapped is true when the guest returned to the CallGuest
// trap.
func (t *Thread) loop() (exit cpu.Exit, trapped bool) {
	t.depth++
	defer func() { t.depth-- }()
	if t.exit != nil {
		return *t.exit, false
	}
	p, c, x := t.p, t.cpu, t.ctx
	kernel := t.sysKernel()
	for {
		t.quiesce()
		atomic.StoreUint32(&x.Stop, 0)
		// After clearing the stop word: a Kill records its exit before it
		// sets the word, so one that comes later stops the engine again.
		if k := t.killed.Load(); k != nil {
			return *k, false
		}
		if ex := t.deliverPending(); ex != nil {
			return *ex, false
		}
		x.FSBase, x.GSBase = c.FSBase, c.GSBase
		switch t.runEngine() {
		case ReasonSyscall:
			if kernel == nil {
				enosys := uint64(unix.ENOSYS)
				setReg(c, cpu.RAX, p.stackSize(), -enosys)
				continue
			}
			t.offline()
			ex := kernel.Syscall(c, cpu.ABI(x.ABI))
			if ex != nil {
				return *ex, false
			}
		case ReasonThunk:
			// The exit record is overwritten by any callback the host
			// function makes: keep what the near RET needs.
			id, size, pc := uint32(x.Arg), x.Size, x.PC
			t.offline()
			err := p.thunker.Call(id, c)
			if t.exit != nil {
				return *t.exit, false
			}
			if err != nil {
				c.RIP = pc
				return sigExit(unix.SIGILL, "SIGILL: thunk at %#x failed: %v", pc, err), false
			}
			c.RIP = t.pop(size)
		case ReasonTrap:
			if x.PC == p.trap && t.callbacks > 0 {
				return cpu.Exit{}, true
			}
			x.Fault = FaultInvalid
			if ex := t.deliverFault(p.invalidExit(x.PC)); ex != nil {
				return *ex, false
			}
		case ReasonFault:
			if ex := t.deliverFault(t.faultExit()); ex != nil {
				return *ex, false
			}
		case ReasonInvalidate, ReasonPreempt, ReasonSignal:
			// Continue at RIP: the quiescent point at the top of the
			// loop releases what was dropped.
		default:
			return cpu.Exit{Signal: unix.SIGABRT, Detail: fmt.Sprintf("minemu internal error: engine %s returned no reason (guest rip %#x)", p.engineName, c.RIP)}, false
		}
	}
}

// pop pops a return address of size bytes (the near RET after a thunk).
func (t *Thread) pop(size uint8) uint64 {
	c := t.cpu
	sp := c.Regs[cpu.RSP]
	v := t.load(sp, size)
	c.Regs[cpu.RSP] = (sp + uint64(size)) & t.p.ipMask()
	return v
}

// load reads guest memory; in Mode32 an access that would run past 4 GiB
// wraps to address 0 byte by byte.
func (t *Thread) load(a uint64, size uint8) uint64 {
	if t.p.mode == mm.Mode32 && a+uint64(size) > 1<<32 {
		var v uint64
		for i := uint8(0); i < size; i++ {
			v |= loadN((a+uint64(i))&0xffffffff, 1) << (8 * i)
		}
		return v
	}
	return loadN(a, size)
}

// store writes guest memory, first dropping decoded code it overwrites.
func (t *Thread) store(a uint64, size uint8, v uint64) {
	if t.p.mode == mm.Mode32 && a+uint64(size) > 1<<32 {
		for i := uint8(0); i < size; i++ {
			t.store((a+uint64(i))&0xffffffff, 1, v>>(8*i))
		}
		return
	}
	t.NoteWrite(a, uint64(size))
	storeN(a, size, v)
}

// setReg writes the low size bytes of v to register r as the CPU does.
func setReg(c *cpu.CPU, r cpu.Reg, size uint8, v uint64) {
	switch size {
	case 8:
		c.Regs[r] = v
	case 4:
		c.Regs[r] = v & 0xffffffff
	case 2:
		c.Regs[r] = c.Regs[r]&^0xffff | v&0xffff
	default:
		c.Regs[r] = c.Regs[r]&^0xff | v&0xff
	}
}

func sigExit(sig unix.Signal, format string, args ...any) cpu.Exit {
	return cpu.Exit{Signal: sig, Detail: fmt.Sprintf(format, args...)}
}

// invalidExit describes the FaultInvalid at pc.
func (p *Process) invalidExit(pc uint64) cpu.Exit {
	p.mu.Lock()
	msg := p.invalidMessageLocked(pc)
	p.mu.Unlock()
	return sigExit(unix.SIGILL, "SIGILL: %s (guest rip %#x)", msg, pc)
}

// faultExit builds the Exit of a ReasonFault: the signal and the report
// Linux gives for the fault.
func (t *Thread) faultExit() cpu.Exit {
	p, x := t.p, t.ctx
	pc := x.PC
	switch x.Fault {
	case FaultFetch:
		sig := unix.SIGSEGV
		if prot, ok := p.guestProt(x.Addr); ok && prot&unix.PROT_EXEC != 0 {
			sig = p.faultSignal(x.Addr) // executable, and yet it faulted: past the end of its file?
		}
		return sigExit(sig, "%s at address %#x (instruction fetch, guest rip %#x)", unix.SignalName(sig), x.Addr, pc)
	case FaultUD2:
		return sigExit(unix.SIGILL, "SIGILL: ud2 at guest rip %#x", pc)
	case FaultGP:
		if x.Arg == 0 {
			return sigExit(unix.SIGSEGV, "SIGSEGV: general protection: instruction longer than 15 bytes (guest rip %#x)", pc)
		}
		return sigExit(unix.SIGSEGV, "SIGSEGV: general protection: privileged instruction %s (guest rip %#x)",
			strings.ToLower(x86asm.Op(x.Arg).String()), pc)
	case FaultInto:
		return sigExit(unix.SIGSEGV, "SIGSEGV: overflow trap: into with OF set (guest rip %#x)", pc)
	case FaultBound:
		return sigExit(unix.SIGSEGV, "SIGSEGV: bound range exceeded (guest rip %#x)", pc)
	case FaultAam:
		return sigExit(unix.SIGFPE, "SIGFPE: divide error: aam 0 (guest rip %#x)", pc)
	case FaultDivide:
		return sigExit(unix.SIGFPE, "SIGFPE: divide error (guest rip %#x)", pc)
	case FaultInt3:
		return sigExit(unix.SIGTRAP, "SIGTRAP: int3 (guest rip %#x)", pc)
	case FaultInt:
		return sigExit(unix.SIGSEGV, "SIGSEGV: general protection on int (guest rip %#x)", pc)
	case FaultAlignSSE:
		return sigExit(unix.SIGSEGV, "SIGSEGV: general protection (misaligned SSE operand, guest rip %#x)", pc)
	case FaultAlign16:
		return sigExit(unix.SIGSEGV, "SIGSEGV: general protection (cmpxchg16b operand %#x not 16-byte aligned, guest rip %#x)", x.Addr, pc)
	case FaultSelector:
		return sigExit(unix.SIGSEGV, "SIGSEGV: general protection loading selector %#x (guest rip %#x)", x.Arg, pc)
	case FaultSIMD:
		return sigExit(unix.SIGFPE, "SIGFPE: SIMD floating-point exception (guest rip %#x)", pc)
	case FaultX87:
		return sigExit(unix.SIGFPE, "SIGFPE: x87 floating-point exception, si_code %d (guest rip %#x)", x.Arg, pc)
	case FaultMemory:
		return t.memoryExit()
	default:
		return p.invalidExit(pc)
	}
}

// panicExit turns a recovered panic into the guest's death.
func (t *Thread) panicExit(r any) cpu.Exit {
	p, pc := t.p, t.ctx.PC
	if re, ok := r.(runtime.Error); ok {
		if fa, ok := re.(interface{ Addr() uintptr }); ok {
			sig := p.faultSignal(uint64(fa.Addr()))
			return cpu.Exit{Signal: sig,
				Detail: fmt.Sprintf("%s at address %#x (guest rip %#x)", unix.SignalName(sig), fa.Addr(), pc)}
		}
	}
	if re, ok := r.(runtime.Error); ok && strings.Contains(re.Error(), "nil pointer dereference") {
		// The runtime reports faults in the first page without an address.
		if a, ok := p.firstPageFault(t.cpu, pc); ok {
			return cpu.Exit{Signal: unix.SIGSEGV,
				Detail: fmt.Sprintf("SIGSEGV at address %#x (guest rip %#x)", a, pc)}
		}
		return cpu.Exit{Signal: unix.SIGSEGV,
			Detail: fmt.Sprintf("SIGSEGV at an address below 0x1000 (guest rip %#x)", pc)}
	}
	p.log.Error().Str("panic", fmt.Sprint(r)).Uint64("rip", pc).Msg("internal error in the engine")
	return cpu.Exit{Signal: unix.SIGABRT, Detail: fmt.Sprintf("minemu internal error at guest rip %#x: %v", pc, r)}
}

// faultSignal tells which signal the kernel raised for a fault on guest
// memory at addr. The runtime turns SIGSEGV and SIGBUS alike into the same
// runtime.Error (SetPanicOnFault), so the kind is found again by asking
// the kernel about the page: madvise(MADV_POPULATE_READ) fails with EFAULT
// exactly when reading the page would raise SIGBUS (a file mapping past
// the end of its file, a hole in shared memory; EHWPOISON for poisoned
// memory, BUS_MCEERR_AR natively). A page that is not the guest's, or
// that the guest cannot read, faulted for its protection or for not being
// mapped: SIGSEGV (the probe answers EINVAL for PROT_NONE, ENOMEM for
// unmapped memory). Only a dying guest pays for the probe. Not told
// apart: a store to a read-only file mapping past its end, which Linux
// reports as SIGSEGV and minemu as SIGBUS, and a fault in an exec-only
// file mapping past its end, which cannot be probed (SIGSEGV, Linux
// SIGBUS); kernels before 5.14 (no MADV_POPULATE_READ) get SIGSEGV for
// every fault.
func (p *Process) faultSignal(addr uint64) unix.Signal {
	prot, ok := p.guestProt(addr)
	if !ok || prot&(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC) == 0 {
		return unix.SIGSEGV
	}
	advice := uintptr(unix.MADV_POPULATE_READ)
	if prot&unix.PROT_READ == 0 && prot&unix.PROT_WRITE != 0 {
		advice = unix.MADV_POPULATE_WRITE // a write-only mapping cannot be populated for reading
	}
	_, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(addr&^mm.PageMask), mm.PageSize, advice)
	if e == unix.EFAULT || e == unix.EHWPOISON {
		return unix.SIGBUS
	}
	return unix.SIGSEGV
}

// guestProt is the protection of the guest page at a; without a
// GuestSpace (tests) every page counts as mapped with all permissions.
func (p *Process) guestProt(a uint64) (int, bool) {
	if p.space == nil {
		return unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC, true
	}
	return p.space.Prot(mm.Addr(a))
}

// firstPageFault recomputes the address of a fault the runtime reported
// without one (an access to the first page): it finds the instruction at
// pc among the decoded blocks and evaluates its explicit memory operands
// with c's registers, which an instruction that faults has not yet
// changed. ok is false when no operand lies in the first page (an implicit
// access: string instructions, the stack), and the report stays vague.
// Only a dying guest pays for the search.
func (p *Process) firstPageFault(c *cpu.CPU, pc uint64) (addr uint64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.index {
		if !b.live.Load() || pc < b.Lo || pc >= b.End {
			continue
		}
		for i := range b.Ops {
			o := &b.Ops[i]
			if o.PC != pc {
				continue
			}
			if o.Dst.Kind == isa.KindMem || o.Src.Kind == isa.KindMem {
				if ea := isa.EA(c, o, p.mode); ea < mm.PageSize {
					return ea, true
				}
			}
		}
	}
	return 0, false
}

// ExitError is returned by CallGuest when the guest exited or died during
// the call; the enclosing Run returns the same Exit.
type ExitError struct{ Exit cpu.Exit }

func (e *ExitError) Error() string {
	if e.Exit.Detail != "" {
		return "guest exited during callback: " + e.Exit.Detail
	}
	return fmt.Sprintf("guest exited during callback with status %d", e.Exit.Status())
}

// CallbacksInProgress is the number of CallGuest calls in progress on t
// (c must be t's CPU; 0 otherwise). Only t's goroutine changes it, and host
// code asks from a callback running on that goroutine.
func (t *Thread) CallbacksInProgress(c *cpu.CPU) int {
	if c != t.cpu {
		return 0
	}
	return t.callbacks
}

// CallGuest calls the guest function at fn with args, on c's stack (c must
// be the thread's CPU), and returns its result (RAX; EAX zero-extended for
// i386). i386 arguments are pushed on the guest stack (cdecl), x86-64 ones
// go in RDI, RSI, RDX, RCX, R8, R9. The return address is a trap the
// process placed in guest memory; when the guest returns there, the CPU
// state other than the result is restored to what it was before the call.
func (t *Thread) CallGuest(c *cpu.CPU, fn uint64, args ...uint64) (uint64, error) {
	p := t.p
	if c == nil || c != t.cpu {
		return 0, fmt.Errorf("guest: CallGuest needs the CPU of the thread (mode %v)", p.mode)
	}
	if t.callbacks >= maxCallDepth {
		// maxCallDepth callbacks may be in progress at once (the run
		// loops, one more than the callbacks, are not what is bounded).
		return 0, fmt.Errorf("guest: callback nesting deeper than %d", maxCallDepth)
	}
	if t.exit != nil {
		return 0, &ExitError{Exit: *t.exit}
	}
	trap := p.trap
	saved := *c
	sp := c.Regs[cpu.RSP]
	if p.mode == mm.Mode64 {
		if len(args) > 6 {
			return 0, fmt.Errorf("guest: %d callback arguments, at most 6 supported", len(args))
		}
		regs := [6]cpu.Reg{cpu.RDI, cpu.RSI, cpu.RDX, cpu.RCX, cpu.R8, cpu.R9}
		for i, a := range args {
			c.Regs[regs[i]] = a
		}
		sp = (sp - 128) &^ 15 // step over the red zone, align
		sp -= 8
		if err := t.safeStore(sp, 8, trap); err != nil {
			*c = saved
			return 0, err
		}
	} else {
		sp = (sp - uint64(4*len(args))) &^ 15
		for i, a := range args {
			if err := t.safeStore(sp+uint64(4*i), 4, a); err != nil {
				*c = saved
				return 0, err
			}
		}
		sp -= 4
		if err := t.safeStore(sp, 4, trap); err != nil {
			*c = saved
			return 0, err
		}
		sp &= 0xffffffff
	}
	c.Regs[cpu.RSP] = sp
	c.RIP = fn & p.ipMask()
	var e cpu.Exit
	var trapped bool
	wasOffline := t.qs.Load() == offlineQS
	t.callbacks++
	defer func() {
		t.callbacks--
		if wasOffline {
			t.offline()
		}
	}()
	if t.depth == 0 {
		e, trapped = t.guarded()
	} else {
		e, trapped = t.loop()
	}
	if !trapped {
		if t.exit == nil {
			ex := e // only a dying guest pays for the copy on the heap
			t.exit = &ex
		}
		return 0, &ExitError{Exit: e}
	}
	ret := c.Regs[cpu.RAX]
	if p.mode == mm.Mode32 {
		ret &= 0xffffffff
	}
	*c = saved
	return ret, nil
}

// safeStore writes guest memory from host code, turning a fault into an
// error.
func (t *Thread) safeStore(a uint64, size uint8, v uint64) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = fmt.Errorf("guest: cannot write guest stack at %#x: %v", a, r)
		}
	}()
	t.store(a, size, v)
	return nil
}
