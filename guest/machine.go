// Package guest is the emulated x86 CPU: its state (CPU), the decoder
// wrapper and lowering (decode.go, lower.go), the interpreter (interp*.go),
// the decoded-block cache and run loop (machine.go), and the Linux system
// call layer (linux*.go) that the interpreter reaches through the Kernel
// interface.
//
// # Structures
//
//   - CPU: one guest thread's registers in encoding order, RIP, FS/GS
//     selectors and bases, the XMM registers and MXCSR, the x87 registers
//     (exact 80-bit values) with FCW/FSW/TOP, and the flags. The status flags are lazy
//     (flags.go): arithmetic records its operands and result, readers
//     derive only the flag they need.
//   - op: one lowered instruction, fixed-size and pointer-free: opcode,
//     operand size, up to two operands (register, high-byte register,
//     memory [seg: base + index<<scale + disp] with its address size, or
//     immediate), a third constant (imm), its address and length.
//   - block: the ops of one basic block, its guest byte range, a two-entry
//     successor cache and, when a CodeArena is configured, the arena
//     allocation holding the ops (the dynarec heap's 2 MiB blocks).
//   - Machine: the block index (entry address → block), a direct-mapped
//     table in front of it, the code-page map and its hashed filter, the
//     age list of live blocks with the bytes they count against the block
//     cache's budget, the callback trap and the counters.
//
// # Paths
//
//  1. Decode: lookup misses → decodeBlock fetches up to 34 bytes per
//     instruction (stopping at the first page that is unmapped or, with a
//     GuestSpace, not executable), Decode handles the bytes x86asm
//     does not (0F 3F thunk stubs, the 0F 3E trap, ENDBR, RDSSP), lower
//     turns the instruction into an op. Bytes that cannot be fetched or
//     decoded become ops that kill the guest only if reached. The block
//     ends after the first control-flow op or 128 ops. Before it enters
//     the cache, the oldest blocks are evicted until it fits the cache's
//     budget (cache_evict.go).
//  2. Execute: loop runs a block's ops through one switch (the general
//     integer set in interp.go and interp_alu.go, string instructions in
//     interp_string.go, the SSE2 integer subset in interp_sse.go, SSE
//     floating point in interp_sse_float.go, x87 in interp_x87.go); branches set
//     the next address and leave the block; the next block comes from the
//     successor cache, then the direct-mapped table, then the index.
//  3. Store: every guest store checks the code filter; on a hit the blocks
//     overlapping the written bytes are dropped and the current block
//     stops before its next instruction.
//  4. Invalidate: GuestSpace calls Invalidate after munmap, mprotect,
//     mremap and MAP_FIXED replacement; blocks overlapping the range are
//     dropped and their arena memory freed once no block runs.
//  5. Fault: the run loop runs with SetPanicOnFault; a fault on guest
//     memory ends the guest with SIGSEGV (status 139) naming the address
//     and guest RIP, or with SIGBUS (135) where the kernel raises it (a
//     file mapping past the end of its file; faultSignal asks the kernel);
//     invalid opcodes and a LOCK prefix where none is allowed end it with
//     SIGILL (132) and the bytes, divide errors (and aam 0) with SIGFPE
//     (136), and what the CPU refuses at CPL 3 with #GP, #OF or #BR
//     (privileged and I/O instructions, instructions longer than 15 bytes,
//     into with OF set, bound out of range) with SIGSEGV, as Linux does.
//  6. Call out and back: system calls go to Kernel.Syscall; 0F 3F stubs to
//     Thunker.Call, which may re-enter the guest with CallGuest: the
//     return address is a trap page (0F 3E) in the guest window, and the
//     nested run loop returns when the guest executes it.
//
// # Addresses
//
// Guest address == host address. In Mode32 every linear address is
// reduced modulo 2^32 (16-bit address-size forms modulo 2^16 before the
// segment base), and an access that would cross 4 GiB wraps to address 0
// byte by byte, so a 32-bit guest can name nothing of minemu's, which
// lives at or above 4 GiB. In Mode64 the guest may use any user address.
package guest

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// The machine: decoded-block cache and run loop.
//
// A Machine runs guest code for the CPUs handed to Run. Its parts:
//
//  1. Blocks. A block is the straight-line run of guest instructions from
//     an entry address up to and including the first instruction that can
//     change control flow (or maxBlockOps instructions, then a synthetic
//     fall-through). It is decoded and lowered once (decodeBlock) into a
//     slice of ops; the slice lives in the CodeArena when one is configured
//     (the dynarec heap's 2 MiB blocks) and in Go memory otherwise.
//  2. Lookup. index maps an entry address to its live block. In front of it
//     sit two cheaper caches: every block remembers up to two successors
//     (the taken and fall-through targets, checked by address and liveness),
//     and a direct-mapped table (fast) catches indirect targets such as
//     return addresses.
//  3. Code pages. pages maps every page that holds decoded bytes to the
//     blocks on it; codeFilter is a hashed one-bit-per-bucket summary of
//     the same pages that every guest store consults. A store that hits a
//     set bit takes the slow path (codeWrite): blocks overlapping the
//     written bytes are dropped and the current block stops after the
//     storing instruction, so self-modifying code sees its own writes.
//     Filter bits are only cleared by a rebuild after many false hits.
//  4. Invalidation. Invalidate(r) drops every block overlapping r; the
//     GuestSpace change hook calls it on munmap, mprotect, mremap and
//     MAP_FIXED replacement. A dropped block is marked dead (so successor
//     and fast-table references to it miss), removed from index and pages,
//     and its arena memory is released when no run loop can be executing
//     it (between blocks at nesting depth zero).
//  5. Budget. The live blocks' ops and metadata count against a budget
//     (MachineConfig.BlockCacheBudget); when a new block does not fit, the
//     oldest blocks are evicted, first decoded first out, through the
//     same discard and release path as a dropped block (cache_evict.go).
//  6. Faults. Run enables runtime/debug.SetPanicOnFault and recovers once
//     at its boundary: a fault on guest memory becomes Exit{SIGSEGV} (or
//     SIGBUS, see faultSignal) with the faulting address and the guest RIP
//     of the instruction; any other
//     panic (a bug in minemu) becomes Exit{SIGABRT} with the panic text,
//     never a Go stack trace on the user's terminal.
//
// A Machine belongs to one goroutine at a time (the guest thread that
// runs it); none of its methods may be called concurrently.

// maxBlockOps bounds the length of a block.
const maxBlockOps = 128

// maxCallDepth bounds nested CallGuest calls.
const maxCallDepth = 64

// CodeArena is where decoded blocks live: mm's dynarec heap in minemu.
type CodeArena interface {
	Alloc(n uint64) (mm.Addr, error)
	Free(p mm.Addr) error
}

// MachineConfig configures NewMachine.
type MachineConfig struct {
	Mode mm.Mode
	// Space is the guest's address space. The machine checks execute
	// permission through it, maps the CallGuest return trap in it and
	// registers its change hook. May be nil in tests that map memory
	// themselves.
	Space *mm.GuestSpace
	// Kernel runs system calls; nil makes every system call fail with
	// ENOSYS.
	Kernel Kernel
	// Thunker runs guest→host calls; nil makes 0F 3F an invalid opcode.
	Thunker Thunker
	// Code holds decoded blocks; nil keeps them in Go memory.
	Code CodeArena
	// BlockCacheBudget bounds the bytes the live decoded blocks count
	// (blockCost: ops and metadata); 0 means DefaultBlockCacheBudget.
	BlockCacheBudget uint64
	Log              zerolog.Logger
}

// MachineStats counts the machine's work.
type MachineStats struct {
	Instructions   uint64 `json:"instructions"`
	BlocksDecoded  uint64 `json:"blocks_decoded"`
	BlocksExecuted uint64 `json:"blocks_executed"`
	Invalidations  uint64 `json:"invalidations"`
	// BlocksEvicted counts blocks dropped to keep the cache within its
	// budget (Invalidations counts those dropped because their code or
	// its mapping changed).
	BlocksEvicted uint64 `json:"blocks_evicted"`
	// BlocksLive is the number of blocks in the cache.
	BlocksLive uint64 `json:"blocks_live"`
	// BlockCacheBytes is what the live blocks count against
	// BlockCacheBudget; BlockCachePeakBytes is its highest value so far.
	BlockCacheBytes     uint64 `json:"block_cache_bytes"`
	BlockCachePeakBytes uint64 `json:"block_cache_peak_bytes"`
	BlockCacheBudget    uint64 `json:"block_cache_budget"`
	// ArenaFallbacks counts decoded blocks kept in Go memory because the
	// CodeArena could not take them (out of memory or mappings); the
	// first is logged at warn level, the rest at debug.
	ArenaFallbacks uint64 `json:"code_arena_fallbacks"`
}

// succ is a remembered successor of a block.
type succ struct {
	pc uint64
	b  *block
}

// block is one decoded basic block.
type block struct {
	// start and end delimit the guest bytes the block was decoded from.
	start, end uint64
	// ops are the lowered instructions; the last one ends the block.
	ops []isa.Op
	// ninstr is the number of guest instructions in ops (OpFallthrough is
	// not one).
	ninstr uint64
	// live is false once the block has been invalidated; it never becomes
	// true again.
	live bool
	// next is the successor cache, replaced round-robin by nextSlot.
	next     [2]succ
	nextSlot uint8
	// arena is the CodeArena allocation holding ops, 0 for Go memory.
	arena mm.Addr
	// older and newer link the live blocks in decode order
	// (Machine.oldest to Machine.newest); both nil once the block is dead.
	older, newer *block
}

// fastEntry is a slot of the direct-mapped block table.
type fastEntry struct {
	pc uint64
	b  *block
}

const (
	fastBits   = 12
	filterBits = 16 // 64 Ki one-bit buckets of pages
)

// Machine runs guest code. See the comment at the top of the file.
//
// Every field is owned by the goroutine running the machine (see above);
// none needs a lock. mode through log are set by NewMachine and never
// change.
type Machine struct {
	mode    mm.Mode
	space   *mm.GuestSpace
	kernel  Kernel
	segs    SegmentResolver
	thunker Thunker
	arena   CodeArena
	log     zerolog.Logger

	// index maps a block's entry address to the live block.
	index map[uint64]*block
	// fast is a direct-mapped cache in front of index; entries may be
	// stale (dead blocks) and are checked on use.
	fast [1 << fastBits]fastEntry
	// pages maps a page number to the blocks (live ones) with bytes on it.
	pages map[uint64][]*block
	// codeFilter has the bit of every page in pages set (and possibly
	// others, until filterMisses triggers a rebuild).
	codeFilter   [1 << filterBits / 64]uint64
	filterMisses int
	// badInst explains OpInvalid ops by guest address.
	badInst map[uint64]string
	// dirty is set when blocks were dropped while a block runs; the run
	// loop then leaves the current block before its next instruction.
	dirty bool
	// pendingFree holds arena memory of dropped blocks until no run loop
	// can be executing it.
	pendingFree []mm.Addr
	// budget bounds cacheBytes, the sum of blockCost over the live blocks
	// (liveBlocks of them); oldest and newest are the ends of their age
	// list. Maintained by enqueue and dequeue (cache_evict.go).
	budget, cacheBytes, liveBlocks uint64
	oldest, newest                 *block
	// pc is the guest address of the executing instruction, for fault
	// reports.
	pc uint64
	// wrapEdge is the lowest address at which an 8-byte access could wrap
	// past the end of the guest's address space (Mode32), else ^0.
	wrapEdge uint64
	// depth is the number of active run loops (Run plus nested CallGuest).
	depth int
	// trap is the guest address of the CallGuest return trap, 0 until
	// first needed.
	trap uint64
	// callbacks is the number of active CallGuest calls.
	callbacks int
	// exit is set when a nested run loop ended the guest; every outer
	// loop stops with it.
	exit *Exit
	// start is the time rdtsc counts from.
	start time.Time

	stats MachineStats
}

// NewMachine returns a Machine for cfg.
func NewMachine(cfg MachineConfig) (*Machine, error) {
	if cfg.Mode != mm.Mode32 && cfg.Mode != mm.Mode64 {
		return nil, fmt.Errorf("guest: invalid mode %v", cfg.Mode)
	}
	m := &Machine{
		mode:     cfg.Mode,
		space:    cfg.Space,
		kernel:   cfg.Kernel,
		thunker:  cfg.Thunker,
		arena:    cfg.Code,
		log:      cfg.Log,
		index:    make(map[uint64]*block),
		pages:    make(map[uint64][]*block),
		badInst:  make(map[uint64]string),
		wrapEdge: ^uint64(0),
		start:    time.Now(),
		budget:   cfg.BlockCacheBudget,
	}
	if m.budget == 0 {
		m.budget = DefaultBlockCacheBudget
	}
	if cfg.Mode == mm.Mode32 {
		m.wrapEdge = 1<<32 - 8
	}
	if s, ok := cfg.Kernel.(SegmentResolver); ok {
		m.segs = s
	}
	if n, ok := cfg.Kernel.(GuestWriteNotifier); ok {
		n.SetGuestWriteHook(m.GuestWrote)
	}
	if cfg.Space != nil {
		cfg.Space.SetChangeHook(m.Invalidate)
	}
	return m, nil
}

// Stats returns the machine's counters.
func (m *Machine) Stats() MachineStats {
	st := m.stats
	st.BlocksLive, st.BlockCacheBytes, st.BlockCacheBudget = m.liveBlocks, m.cacheBytes, m.budget
	return st
}

// Run runs c until the guest exits or dies. It never panics.
func (m *Machine) Run(c *CPU) Exit {
	if c == nil {
		return Exit{Signal: unix.SIGABRT, Detail: "guest: Run with a nil CPU"}
	}
	if c.Mode != m.mode {
		return Exit{Signal: unix.SIGILL, Detail: fmt.Sprintf("CPU mode %v does not match machine mode %v", c.Mode, m.mode)}
	}
	if m.depth == 0 {
		m.exit = nil
	}
	e, _ := m.guarded(c)
	return e
}

// guarded runs the loop with fault recovery.
func (m *Machine) guarded(c *CPU) (e Exit, trapped bool) {
	old := debug.SetPanicOnFault(true)
	depth := m.depth
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			m.depth = depth
			c.RIP = m.pc
			ex := m.panicExit(r, c)
			m.exit = &ex
			e, trapped = ex, false
		}
	}()
	return m.loop(c)
}

// panicExit turns a recovered panic into the guest's death.
func (m *Machine) panicExit(r any, c *CPU) Exit {
	if re, ok := r.(runtime.Error); ok {
		if fa, ok := re.(interface{ Addr() uintptr }); ok {
			sig := m.faultSignal(uint64(fa.Addr()))
			return Exit{Signal: sig,
				Detail: fmt.Sprintf("%s at address %#x (guest rip %#x)", unix.SignalName(sig), fa.Addr(), m.pc)}
		}
	}
	if re, ok := r.(runtime.Error); ok && strings.Contains(re.Error(), "nil pointer dereference") {
		// The runtime reports faults in the first page without an address.
		if a, ok := m.firstPageFault(c); ok {
			return Exit{Signal: unix.SIGSEGV,
				Detail: fmt.Sprintf("SIGSEGV at address %#x (guest rip %#x)", a, m.pc)}
		}
		return Exit{Signal: unix.SIGSEGV,
			Detail: fmt.Sprintf("SIGSEGV at an address below 0x1000 (guest rip %#x)", m.pc)}
	}
	m.log.Error().Str("panic", fmt.Sprint(r)).Uint64("rip", m.pc).Msg("internal error in the interpreter")
	return Exit{Signal: unix.SIGABRT, Detail: fmt.Sprintf("minemu internal error at guest rip %#x: %v", m.pc, r)}
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
func (m *Machine) faultSignal(addr uint64) unix.Signal {
	prot, ok := m.guestProt(addr)
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
func (m *Machine) guestProt(a uint64) (int, bool) {
	if m.space == nil {
		return unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC, true
	}
	return m.space.Prot(mm.Addr(a))
}

// firstPageFault recomputes the address of a fault the runtime reported
// without one (an access to the first page): it finds the instruction at
// m.pc among the decoded blocks and evaluates its explicit memory operands
// with c's registers, which an instruction that faults has not yet
// changed. ok is false when no operand lies in the first page (an implicit
// access: string instructions, the stack), and the report stays vague.
// Only a dying guest pays for the search.
func (m *Machine) firstPageFault(c *CPU) (addr uint64, ok bool) {
	for _, b := range m.index {
		if !b.live || m.pc < b.start || m.pc >= b.end {
			continue
		}
		for i := range b.ops {
			o := &b.ops[i]
			if o.PC != m.pc {
				continue
			}
			for _, a := range [...]*isa.Arg{&o.Dst, &o.Src} {
				if a.Kind == isa.ArgMem {
					if ea := m.ea(c, a); ea < mm.PageSize {
						return ea, true
					}
				}
			}
		}
	}
	return 0, false
}

func sigExit(sig unix.Signal, format string, args ...any) Exit {
	return Exit{Signal: sig, Detail: fmt.Sprintf(format, args...)}
}

// ExitError is returned by CallGuest when the guest exited or died during
// the call; the enclosing Run returns the same Exit.
type ExitError struct{ Exit Exit }

func (e *ExitError) Error() string {
	if e.Exit.Detail != "" {
		return "guest exited during callback: " + e.Exit.Detail
	}
	return fmt.Sprintf("guest exited during callback with status %d", e.Exit.Status())
}

// CallGuest calls the guest function at fn with args, on c's stack, and
// returns its result (RAX; EAX zero-extended for i386). i386 arguments are
// pushed on the guest stack (cdecl), x86-64 ones go in RDI, RSI, RDX, RCX,
// R8, R9. The return address is a trap the machine placed in guest memory;
// when the guest returns there, the CPU state other than the result is
// restored to what it was before the call.
func (m *Machine) CallGuest(c *CPU, fn uint64, args ...uint64) (uint64, error) {
	if c == nil || c.Mode != m.mode {
		return 0, fmt.Errorf("guest: CallGuest needs a CPU of mode %v", m.mode)
	}
	if m.depth >= maxCallDepth {
		return 0, fmt.Errorf("guest: callback nesting deeper than %d", maxCallDepth)
	}
	if m.exit != nil {
		return 0, &ExitError{Exit: *m.exit}
	}
	trap, err := m.trapAddr()
	if err != nil {
		return 0, err
	}
	saved := *c
	sp := c.Regs[RSP]
	if m.mode == mm.Mode64 {
		if len(args) > 6 {
			return 0, fmt.Errorf("guest: %d callback arguments, at most 6 supported", len(args))
		}
		regs := [6]Reg{RDI, RSI, RDX, RCX, R8, R9}
		for i, a := range args {
			c.Regs[regs[i]] = a
		}
		sp = (sp - 128) &^ 15 // step over the red zone, align
		sp -= 8
		if err := m.safeStore(sp, 8, trap); err != nil {
			*c = saved
			return 0, err
		}
	} else {
		sp = (sp - uint64(4*len(args))) &^ 15
		for i, a := range args {
			if err := m.safeStore(sp+uint64(4*i), 4, a); err != nil {
				*c = saved
				return 0, err
			}
		}
		sp -= 4
		if err := m.safeStore(sp, 4, trap); err != nil {
			*c = saved
			return 0, err
		}
		sp &= 0xffffffff
	}
	c.Regs[RSP] = sp
	c.RIP = fn & m.ipMask()
	var e Exit
	var trapped bool
	m.callbacks++
	defer func() { m.callbacks-- }()
	if m.depth == 0 {
		e, trapped = m.guarded(c)
	} else {
		e, trapped = m.loop(c)
	}
	if !trapped {
		if m.exit == nil {
			ex := e // only a dying guest pays for the copy on the heap
			m.exit = &ex
		}
		return 0, &ExitError{Exit: e}
	}
	ret := c.Regs[RAX]
	if m.mode == mm.Mode32 {
		ret &= 0xffffffff
	}
	*c = saved
	return ret, nil
}

// safeStore writes guest memory from host code, turning a fault into an
// error.
func (m *Machine) safeStore(a uint64, size uint8, v uint64) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = fmt.Errorf("guest: cannot write guest stack at %#x: %v", a, r)
		}
	}()
	m.store(a, size, v)
	return nil
}

// trapAddr returns the address of the CallGuest return trap, mapping it on
// first use: a page in the guest's window (through Space when there is
// one) holding 0F 3E. Decoding recognises the address itself, so the page
// needs no execute permission.
func (m *Machine) trapAddr() (uint64, error) {
	if m.trap != 0 {
		return m.trap, nil
	}
	var a uint64
	if m.space != nil {
		r, err := m.space.MapBlock(mm.PageSize, mm.PageSize)
		if err != nil {
			return 0, fmt.Errorf("guest: mapping the callback trap: %w", err)
		}
		a = uint64(r.Start)
	} else {
		var err error
		if a, err = mapAnon(mm.PageSize, m.mode == mm.Mode32); err != nil {
			return 0, fmt.Errorf("guest: mapping the callback trap: %w", err)
		}
	}
	copy(guestBytes(a, 2), []byte{0x0f, 0x3e})
	m.trap = a
	return a, nil
}

func (m *Machine) ipMask() uint64 {
	if m.mode == mm.Mode32 {
		return 0xffffffff
	}
	return ^uint64(0)
}

// Invalidate drops every decoded block with bytes in r.
func (m *Machine) Invalidate(r mm.AddrRange) {
	if r.Start >= r.End {
		return
	}
	first, last := uint64(r.Start)>>mm.PageShift, uint64(r.End-1)>>mm.PageShift
	if last-first+1 > uint64(len(m.pages)) {
		for p, bs := range m.pages {
			if p >= first && p <= last {
				m.dropOverlapping(bs, uint64(r.Start), uint64(r.End))
			}
		}
		return
	}
	for p := first; p <= last; p++ {
		if bs, ok := m.pages[p]; ok {
			m.dropOverlapping(bs, uint64(r.Start), uint64(r.End))
		}
	}
}

// dropOverlapping drops the blocks of bs that overlap [start, end).
func (m *Machine) dropOverlapping(bs []*block, start, end uint64) {
	var victims []*block
	for _, b := range bs {
		if b.live && b.start < end && start < b.end {
			victims = append(victims, b)
		}
	}
	for _, b := range victims {
		m.drop(b)
	}
}

// drop invalidates b, whose code or mapping changed: a run loop executing
// it leaves it before its next instruction.
func (m *Machine) drop(b *block) {
	m.dirty = true
	m.stats.Invalidations++
	m.discard(b)
}

// discard takes the live block b out of the cache, invalidated (drop) or
// evicted (makeRoom): it is marked dead, which the successor caches check,
// and removed from the index, the direct-mapped table, pages and the age
// list; its arena memory goes to pendingFree. A run loop executing b
// keeps its own copy of the slice.
func (m *Machine) discard(b *block) {
	m.dequeue(b)
	b.live = false
	if m.index[b.start] == b {
		delete(m.index, b.start)
	}
	if e := m.fastSlot(b.start); e.b == b {
		*e = fastEntry{}
	}
	for p := b.start >> mm.PageShift; p <= (b.end-1)>>mm.PageShift; p++ {
		bs := m.pages[p]
		for i, x := range bs {
			if x == b {
				bs[i] = bs[len(bs)-1]
				bs = bs[:len(bs)-1]
				break
			}
		}
		if len(bs) == 0 {
			delete(m.pages, p)
		} else {
			m.pages[p] = bs
		}
	}
	for i := range b.ops {
		if b.ops[i].Code == isa.OpInvalid {
			delete(m.badInst, b.ops[i].PC)
		}
	}
	if b.arena != 0 {
		m.pendingFree = append(m.pendingFree, b.arena)
		b.arena = 0
	}
	// Keep no chain of dead blocks alive: a dead block is held only by
	// the successor caches of live ones.
	b.ops, b.next = nil, [2]succ{}
}

// releasePending frees the arena memory of dropped blocks; only called
// where no block is executing.
func (m *Machine) releasePending() {
	for _, a := range m.pendingFree {
		if err := m.arena.Free(a); err != nil {
			m.log.Error().Err(err).Msg("freeing a decoded block")
		}
	}
	m.pendingFree = m.pendingFree[:0]
}

func filterSlot(page uint64) (int, uint64) {
	h := (page ^ page>>filterBits) & (1<<filterBits - 1)
	return int(h >> 6), 1 << (h & 63)
}

// GuestWrote drops decoded code in r, which something other than the
// interpreter (a system call) has written.
func (m *Machine) GuestWrote(r mm.AddrRange) {
	if r.Start < r.End {
		m.noteWrite(uint64(r.Start), r.Length())
	}
}

// noteWrite drops decoded code in [a, a+n) before a bulk write; n > 0
// and the range does not wrap.
func (m *Machine) noteWrite(a, n uint64) {
	for p := a >> mm.PageShift; p <= (a+n-1)>>mm.PageShift; p++ {
		if w, bit := filterSlot(p); m.codeFilter[w]&bit != 0 {
			m.codeWrite(a, n)
			return
		}
	}
}

// codeWrite is the slow path of a store that hit the code filter.
func (m *Machine) codeWrite(a, n uint64) {
	end := a + n
	hit := false
	for p := a >> mm.PageShift; p <= (end-1)>>mm.PageShift; p++ {
		if bs, ok := m.pages[p]; ok {
			hit = true
			m.dropOverlapping(bs, a, end)
		}
	}
	if !hit {
		m.filterMisses++
		if m.filterMisses > 4096 {
			m.rebuildFilter()
		}
	}
}

func (m *Machine) rebuildFilter() {
	m.codeFilter = [len(m.codeFilter)]uint64{}
	for p := range m.pages {
		w, bit := filterSlot(p)
		m.codeFilter[w] |= bit
	}
	m.filterMisses = 0
}

// fastSlot is pc's slot of the direct-mapped table.
func (m *Machine) fastSlot(pc uint64) *fastEntry {
	return &m.fast[(pc^pc>>fastBits)&(1<<fastBits-1)]
}

// lookup returns the live block at pc, decoding it if needed.
func (m *Machine) lookup(pc uint64) *block {
	e := m.fastSlot(pc)
	if e.pc == pc && e.b != nil && e.b.live {
		return e.b
	}
	b := m.index[pc]
	if b == nil {
		b = m.decodeBlock(pc)
	}
	e.pc, e.b = pc, b
	return b
}

// decodeBlock decodes and lowers the block at pc and enters it in the
// caches. Undecodable or unreadable bytes become ops that kill the guest
// when (and only if) they are reached.
func (m *Machine) decodeBlock(pc uint64) *block {
	ops := make([]isa.Op, 0, 16)
	cur := pc
	var ninstr uint64
	for len(ops) < maxBlockOps {
		o := m.decodeOne(cur)
		ops = append(ops, o)
		ninstr++
		cur = (cur + uint64(o.Len)) & m.ipMask()
		if o.EndsBlock() {
			break
		}
	}
	if last := &ops[len(ops)-1]; !last.EndsBlock() {
		ops = append(ops, isa.Op{Code: isa.OpFallthrough, PC: cur, Imm: cur})
	}
	ops = ops[:isa.Fuse(ops)]
	end := pc
	for i := range ops {
		if e := ops[i].PC + uint64(ops[i].Len); e > end {
			end = e
		}
	}
	if end == pc {
		end = pc + 1 // a fault op still occupies its first byte
	}
	// Evicting may delete badInst messages of this block's instructions
	// that an evicted block shared; invalidExit decodes them again.
	m.makeRoom(blockCost(len(ops)))
	b := &block{start: pc, end: end, ninstr: ninstr, live: true}
	b.ops = m.placeOps(b, ops)
	m.enqueue(b)
	m.index[pc] = b
	for p := pc >> mm.PageShift; p <= (end-1)>>mm.PageShift; p++ {
		m.pages[p] = append(m.pages[p], b)
		w, bit := filterSlot(p)
		m.codeFilter[w] |= bit
	}
	m.stats.BlocksDecoded++
	return b
}

// decodeOne lowers the instruction at pc.
func (m *Machine) decodeOne(pc uint64) isa.Op {
	if m.trap != 0 && pc == m.trap {
		return isa.Op{Code: isa.OpTrap, PC: pc, Len: 2}
	}
	var buf [isa.ThunkLen]byte
	n := m.fetch(pc, buf[:])
	if n == 0 {
		return isa.Op{Code: isa.OpFetchFault, PC: pc, Imm: pc}
	}
	inst, kind, ilen, err := isa.Decode(buf[:n], pc, m.mode)
	switch {
	case errors.Is(err, isa.ErrTruncated):
		return isa.Op{Code: isa.OpFetchFault, PC: pc, Imm: pc + uint64(n)}
	case errors.Is(err, isa.ErrTooLong):
		return isa.Op{Code: isa.OpGP, PC: pc}
	case err != nil:
		m.badInst[pc] = err.Error()
		m.log.Debug().Err(err).Msg("undecodable guest instruction")
		return isa.Op{Code: isa.OpInvalid, PC: pc}
	case kind == isa.InstNop:
		return isa.Op{Code: isa.OpNop, PC: pc, Len: uint8(ilen)}
	case kind == isa.InstTrap:
		return isa.Op{Code: isa.OpTrap, PC: pc, Len: 2}
	case kind == isa.InstThunk:
		if m.thunker == nil {
			m.badInst[pc] = fmt.Sprintf("invalid instruction at %#x (bytes % x): thunk stub without a thunk layer", pc, buf[:2])
			return isa.Op{Code: isa.OpInvalid, PC: pc}
		}
		var h [32]byte
		copy(h[:], buf[2:isa.ThunkLen])
		id, err := m.thunker.Resolve(h)
		if err != nil {
			m.badInst[pc] = fmt.Sprintf("thunk stub at %#x: %v", pc, err)
			return isa.Op{Code: isa.OpInvalid, PC: pc}
		}
		return isa.Op{Code: isa.OpThunk, PC: pc, Len: isa.ThunkLen, Imm: uint64(id), Size: m.stackSize()}
	}
	o, err := isa.Lower(&inst, pc, m.mode)
	if err != nil {
		m.badInst[pc] = (&isa.DecodeError{Addr: pc, Bytes: isa.PrefixBytes(buf[:ilen]), Reason: err.Error()}).Error()
		m.log.Debug().Str("detail", m.badInst[pc]).Msg("unsupported guest instruction")
		return isa.Op{Code: isa.OpInvalid, PC: pc}
	}
	return o
}

func (m *Machine) stackSize() uint8 {
	if m.mode == mm.Mode64 {
		return 8
	}
	return 4
}

// fetch copies the instruction bytes at pc into buf, stopping at the first
// byte that is not mapped executable; it returns the count.
func (m *Machine) fetch(pc uint64, buf []byte) int {
	n := 0
	for n < len(buf) {
		a := pc + uint64(n)
		if m.mode == mm.Mode32 && a >= 1<<32 {
			break
		}
		chunk := min(uint64(len(buf)-n), (a|mm.PageMask)+1-a)
		if m.space != nil {
			prot, ok := m.space.Prot(mm.Addr(a))
			if !ok || prot&unix.PROT_EXEC == 0 {
				break
			}
		}
		if !copyFromGuest(buf[n:n+int(chunk)], a) {
			break
		}
		n += int(chunk)
	}
	return n
}

// copyFromGuest copies guest memory at a into dst; false if it faults.
func copyFromGuest(dst []byte, a uint64) (ok bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if recover() != nil {
			ok = false
		}
	}()
	copy(dst, guestBytes(a, uint64(len(dst))))
	return true
}

// invalidExit describes the OpInvalid at pc.
func (m *Machine) invalidExit(pc uint64) Exit {
	msg, ok := m.badInst[pc]
	if !ok {
		// Dropped with another block that held the same instruction:
		// decode it again for the message.
		m.decodeOne(pc)
		if msg, ok = m.badInst[pc]; !ok {
			msg = fmt.Sprintf("invalid instruction at %#x", pc)
		}
	}
	return sigExit(unix.SIGILL, "SIGILL: %s (guest rip %#x)", msg, pc)
}
