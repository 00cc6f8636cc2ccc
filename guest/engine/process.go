package engine

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa/cpuid"
	"github.com/minemu/minemu/mm"
)

// Config configures NewProcess.
type Config struct {
	Mode mm.Mode
	// Space is the guest's address space. The process checks execute
	// permission through it, maps the callback trap in it and registers
	// its change hook. May be nil in tests that map memory themselves.
	Space *mm.GuestSpace
	// Kernel runs system calls; nil makes every system call fail with
	// ENOSYS.
	Kernel cpu.Kernel
	// Thunker runs guest→host calls; nil makes 0F 3F an invalid opcode.
	Thunker cpu.Thunker
	// Code holds decoded blocks (mm's dynarec heap); nil keeps them in Go
	// memory.
	Code Arena
	// Data holds minemu's own off-GC data: the threads' contexts and the
	// code-page filter (mm's primary heap); nil keeps them in Go memory.
	Data Arena
	// BlockCacheBudget bounds the bytes the live decoded blocks count
	// (blockCost: ops and metadata); 0 means DefaultBlockCacheBudget.
	BlockCacheBudget uint64
	// Engine names the registered engine that runs the guest; "" means
	// DefaultEngine.
	Engine string
	// CPU is the processor the guest sees (CPUID, XGETBV); nil lets the
	// engine use its own default model.
	CPU *cpuid.Model
	Log zerolog.Logger
}

// Stats counts the process's work. Instructions and BlocksExecuted include
// the threads still registered as of their last exit to the run loop.
type Stats struct {
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
	// code arena could not take them (out of memory or mappings); the
	// first is logged at warn level, the rest at debug.
	ArenaFallbacks uint64 `json:"code_arena_fallbacks"`
}

// Process is what the threads of one guest share: the code cache (block
// index, code pages and filter, budget and age list, invalidation), the
// callback trap, the mode, the address space and the outcalls.
//
// mode through engine are set by NewProcess and never change. Every other
// field is guarded by mu unless its comment says otherwise.
type Process struct {
	mode       mm.Mode
	space      *mm.GuestSpace
	kernel     cpu.Kernel
	segs       cpu.SegmentResolver
	thunker    cpu.Thunker
	code, data Arena
	log        zerolog.Logger
	cpu        *cpuid.Model // Config.CPU (read-only)
	engine     Engine
	engineName string
	// start is the time rdtsc counts from.
	start time.Time

	// filter is the code-page filter (cache.go): one bit per hashed page,
	// set for every page that holds decoded bytes. Stores read it without
	// the lock (atomic loads); bits are set under mu (atomic OR) and
	// cleared only by a rebuild under mu. It lives in Data when there is
	// one (filterMem is the allocation, 0 for Go memory).
	filter    *[FilterWords]uint64
	filterMem mm.Addr

	// epoch is the global epoch of the quiescent-state scheme (epoch.go);
	// atomic.
	epoch atomic.Uint64
	// qsList is a snapshot of the registered threads for reclamation to
	// scan without the lock; replaced (copy on write) under mu.
	qsList atomic.Pointer[[]*Thread]
	// nthreads is the number of registered threads; atomic.
	nthreads atomic.Int32
	// norphans is len(orphans); atomic, so that a quiescent point can skip
	// the lock when there are none.
	norphans atomic.Int32

	mu sync.Mutex
	// index maps a block's entry address to the live block.
	index map[uint64]*Block
	// pages maps a page number to the blocks (live ones) with bytes on it.
	pages map[uint64][]*Block
	// filterMisses counts stores that hit the filter but no page; a
	// rebuild resets it.
	filterMisses int
	// badInst explains FaultInvalid ops by guest address.
	badInst map[uint64]string
	// budget bounds cacheBytes, the sum of blockCost over the live blocks
	// (liveBlocks of them); oldest and newest are the ends of their age
	// list. Maintained by enqueue and dequeue (cache_evict.go).
	budget, cacheBytes, liveBlocks uint64
	oldest, newest                 *Block
	// threads are the registered threads, by CPU.
	threads map[*cpu.CPU]*Thread
	// orphans are retired blocks whose retirer was no thread (Invalidate,
	// GuestWrote) or a thread that closed before their grace period ended.
	orphans []retired
	// trampoline is minemu's own page in the guest window, mapped by
	// NewProcess before the guest runs (read and execute only): the
	// CallGuest return trap at its start (trap), room for signal return
	// trampolines after it. Immutable until Close.
	trampoline mm.AddrRange
	trap       uint64
	// stats holds the process counters; Instructions and BlocksExecuted
	// are those of closed threads.
	stats Stats
	// closed is set by Close.
	closed bool
}

// NewProcess returns a Process for cfg.
func NewProcess(cfg Config) (*Process, error) {
	if cfg.Mode != mm.Mode32 && cfg.Mode != mm.Mode64 {
		return nil, fmt.Errorf("engine: invalid mode %v", cfg.Mode)
	}
	name := cfg.Engine
	if name == "" {
		name = DefaultEngine
	}
	f, ok := lookupEngine(name)
	if !ok {
		return nil, fmt.Errorf("engine: no engine %q (registered: %v)", name, Names())
	}
	p := &Process{
		mode:       cfg.Mode,
		space:      cfg.Space,
		kernel:     cfg.Kernel,
		thunker:    cfg.Thunker,
		code:       cfg.Code,
		data:       cfg.Data,
		log:        cfg.Log,
		cpu:        cfg.CPU,
		engineName: name,
		start:      time.Now(),
		index:      make(map[uint64]*Block),
		pages:      make(map[uint64][]*Block),
		badInst:    make(map[uint64]string),
		threads:    make(map[*cpu.CPU]*Thread),
		budget:     cfg.BlockCacheBudget,
	}
	p.epoch.Store(1)
	if p.budget == 0 {
		p.budget = DefaultBlockCacheBudget
	}
	if s, ok := cfg.Kernel.(cpu.SegmentResolver); ok {
		p.segs = s
	}
	var err error
	if p.filter, p.filterMem, err = newFilter(p.data); err != nil {
		return nil, fmt.Errorf("engine: code filter: %w", err)
	}
	if err := p.mapTrampoline(); err != nil {
		p.freeFilter()
		return nil, err
	}
	if p.engine, err = f(p); err != nil {
		p.freeFilter()
		p.unmapTrampoline()
		return nil, fmt.Errorf("engine %q: %w", name, err)
	}
	if n, ok := cfg.Kernel.(cpu.GuestWriteNotifier); ok {
		n.SetGuestWriteHook(p.GuestWrote)
	}
	if cfg.Space != nil {
		cfg.Space.SetChangeHook(p.Invalidate)
	}
	return p, nil
}

// Close releases what the process holds outside the Go heap once no thread
// runs: the retired blocks and the code filter. Threads still registered
// are closed.
func (p *Process) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	var ts []*Thread
	for _, t := range p.threads {
		ts = append(ts, t)
	}
	p.mu.Unlock()
	for _, t := range ts {
		t.Close()
	}
	p.mu.Lock()
	p.freeRetiredLocked(p.orphans, offlineQS)
	p.orphans = nil
	p.norphans.Store(0)
	p.freeFilter()
	p.unmapTrampoline()
	p.mu.Unlock()
}

// freeFilter returns the code filter's memory to the data arena; the
// process keeps a zero filter in Go memory.
func (p *Process) freeFilter() {
	if p.filterMem != 0 {
		if err := p.data.Free(p.filterMem); err != nil {
			p.log.Error().Err(err).Msg("freeing the code filter")
		}
		p.filterMem = 0
	}
	p.filter = new([FilterWords]uint64)
}

// Mode is the guest's bitness.
func (p *Process) Mode() mm.Mode { return p.mode }

// CPU is the processor model the guest sees, Config.CPU (nil: the
// engine's default).
func (p *Process) CPU() *cpuid.Model { return p.cpu }

// EngineName is the name of the engine running the process's threads.
func (p *Process) EngineName() string { return p.engineName }

// Log is the process's logger.
func (p *Process) Log() *zerolog.Logger { return &p.log }

// SegmentBase resolves a selector loaded into FS or GS through the kernel
// (i386 TLS); ok=false when the kernel keeps no descriptors or does not
// know sel.
func (p *Process) SegmentBase(sel uint16) (uint64, bool) {
	if p.segs == nil {
		return 0, false
	}
	return p.segs.SegmentBase(sel)
}

// TSC is what rdtsc reads: nanoseconds since the process started.
func (p *Process) TSC() uint64 { return uint64(time.Since(p.start).Nanoseconds()) }

// Stats returns the process's counters.
func (p *Process) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.stats
	for _, t := range p.threads {
		st.Instructions += t.ctx.Instructions
		st.BlocksExecuted += t.ctx.Blocks
	}
	st.BlocksLive, st.BlockCacheBytes, st.BlockCacheBudget = p.liveBlocks, p.cacheBytes, p.budget
	return st
}

// CallGuest runs guest function fn with args on the thread whose CPU is c
// (see Thread.CallGuest). It lets the process stand for all its threads
// where host code holds only a CPU (the thunks' callbacks).
func (p *Process) CallGuest(c *cpu.CPU, fn uint64, args ...uint64) (uint64, error) {
	p.mu.Lock()
	t := p.threads[c]
	p.mu.Unlock()
	if t == nil {
		return 0, fmt.Errorf("engine: CallGuest on a CPU that belongs to no thread of the process")
	}
	return t.CallGuest(c, fn, args...)
}

// CallbacksInProgress is the number of CallGuest calls in progress on the
// thread whose CPU is c (0 for a CPU of no thread).
func (p *Process) CallbacksInProgress(c *cpu.CPU) int {
	p.mu.Lock()
	t := p.threads[c]
	p.mu.Unlock()
	if t == nil {
		return 0
	}
	return t.CallbacksInProgress(c)
}

// trapCode is the callback return trap: the bytes 0F 3E, which decode as
// OpTrap anywhere and end a CallGuest only at the process's trap address.
var trapCode = []byte{0x0f, 0x3e}

// mapTrampoline maps the process's trampoline page with the callback trap
// at its start: through Space (mm.ClassTrampoline, refused by the guest's
// munmap and mprotect and by the thunks' frees), or, without one (tests),
// an anonymous page reachable by a 32-bit guest.
func (p *Process) mapTrampoline() error {
	if p.space != nil {
		r, err := p.space.MapTrampoline(trapCode)
		if err != nil {
			return fmt.Errorf("engine: mapping the trampoline page: %w", err)
		}
		p.trampoline = r
	} else {
		a, err := mapAnonProt(mm.PageSize, p.mode == mm.Mode32, unix.PROT_READ|unix.PROT_WRITE)
		if err != nil {
			return fmt.Errorf("engine: mapping the trampoline page: %w", err)
		}
		copy(guestBytes(a, uint64(len(trapCode))), trapCode)
		p.trampoline, _ = mm.NewRange(mm.Addr(a), mm.PageSize)
		if _, _, e := unix.Syscall(unix.SYS_MPROTECT, uintptr(a), mm.PageSize, unix.PROT_READ|unix.PROT_EXEC); e != 0 {
			p.unmapTrampoline()
			return fmt.Errorf("engine: protecting the trampoline page: %w", e)
		}
	}
	p.trap = uint64(p.trampoline.Start)
	return nil
}

func (p *Process) unmapTrampoline() {
	if p.trampoline.Start == 0 {
		return
	}
	if p.space != nil {
		_ = p.space.UnmapTrampoline(p.trampoline) // fails only once the space is closed: then it is gone
	} else {
		unix.Syscall(unix.SYS_MUNMAP, uintptr(p.trampoline.Start), uintptr(p.trampoline.Length()), 0)
	}
	p.trampoline = mm.AddrRange{}
}

// Trampoline is minemu's own page in the guest window: the callback
// return trap at its start; the rest is reserved for signal return
// trampolines.
func (p *Process) Trampoline() mm.AddrRange { return p.trampoline }

func (p *Process) ipMask() uint64 {
	if p.mode == mm.Mode32 {
		return 0xffffffff
	}
	return ^uint64(0)
}

func (p *Process) stackSize() uint8 {
	if p.mode == mm.Mode64 {
		return 8
	}
	return 4
}
