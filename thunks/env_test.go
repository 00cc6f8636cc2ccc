package thunks

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/mm"
	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// env is a complete thunk setup over real memory: a real GuestSpace, the
// real host heap on it, a registry with the host library, and guest memory
// for argument blocks, strings, a stack and a guest heap.
type env struct {
	t    testing.TB
	mode mm.Mode
	g    *mm.GuestSpace
	heap *mm.Heap
	reg  *Registry
	lib  *HostLib
	cpu  *cpu.CPU
	mem  guestMem
	logs *bytes.Buffer

	// scratch is guest memory for argument blocks (from argTop down) and
	// strings (from strNext up).
	scratch         mm.AddrRange
	argTop, strNext mm.Addr
	// stack is a guest mapping registered as the "stack" NotHeap range;
	// RSP points into it at a fake return address.
	stack mm.AddrRange
	// code is a read-execute guest page whose addresses stand for guest
	// functions.
	code mm.AddrRange
	// gh is the guest heap: guest code written in Go (see guestHeap).
	gh *guestHeap
}

const fakeReturnAddress = 0x8049abc

func newEnv(t *testing.T, mode mm.Mode) *env { return newEnvTB(t, mode) }

// newEnvTB builds an env for a test or a benchmark.
func newEnvTB(tb testing.TB, mode mm.Mode) *env {
	tb.Helper()
	g, err := mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: mode})
	if err != nil {
		tb.Fatalf("NewGuestSpace: %v", err)
	}
	tb.Cleanup(func() { g.Close() })
	heap, err := mm.NewHostHeap(g)
	if err != nil {
		tb.Fatalf("NewHostHeap: %v", err)
	}
	tb.Cleanup(func() { heap.Close() })
	e := &env{t: tb, mode: mode, g: g, heap: heap, cpu: &cpu.CPU{Mode: mode}, logs: new(bytes.Buffer)}
	e.mem = guestMem{m: g, mode: mode}
	log := zerolog.New(zerolog.SyncWriter(e.logs)).Level(zerolog.DebugLevel)

	e.scratch = e.mmap(256<<10, unix.PROT_READ|unix.PROT_WRITE)
	e.argTop, e.strNext = e.scratch.End, e.scratch.Start
	e.stack = e.mmap(64<<10, unix.PROT_READ|unix.PROT_WRITE)
	e.code = e.mmap(mm.PageSize, unix.PROT_READ|unix.PROT_EXEC)
	sp := e.stack.End - 256
	e.cpu.Regs[cpu.RSP] = uint64(sp)
	if err := e.mem.writeWord(sp, fakeReturnAddress); err != nil {
		tb.Fatalf("writing the fake return address: %v", err)
	}

	e.reg, err = NewRegistry(RegistryConfig{Mode: mode, Memory: g, Log: log})
	if err != nil {
		tb.Fatalf("NewRegistry: %v", err)
	}
	e.lib, err = NewHostLib(HostLibConfig{
		Mode: mode, Memory: g, Heap: heap, Log: log,
		NotHeap:   []NamedRange{{Name: "stack", Range: e.stack}},
		Callbacks: NewCallbacks(8),
	})
	if err != nil {
		tb.Fatalf("NewHostLib: %v", err)
	}
	if err := e.lib.Register(e.reg); err != nil {
		tb.Fatalf("Register: %v", err)
	}
	e.gh = newGuestHeap(e)
	e.lib.Callbacks().SetCaller(e.gh)
	return e
}

// mmap maps fresh guest memory.
func (e *env) mmap(n uint64, prot int) mm.AddrRange {
	e.t.Helper()
	a, err := e.g.Mmap(0, n, prot, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	if err != nil {
		e.t.Fatalf("guest mmap: %v", err)
	}
	r, _ := mm.NewRange(a, n)
	if e.mode == mm.Mode32 && r.End > mm.Limit32 {
		e.t.Fatalf("guest mmap in Mode32 returned %v, above 4 GiB", r)
	}
	return r
}

// hole returns the first address of a page that was just unmapped, with
// mapped memory right below it (the last page of the returned range).
func (e *env) hole() (below mm.AddrRange, hole mm.Addr) {
	e.t.Helper()
	r := e.mmap(2*mm.PageSize, unix.PROT_READ|unix.PROT_WRITE)
	if err := e.g.Munmap(r.Start+mm.PageSize, mm.PageSize); err != nil {
		e.t.Fatalf("guest munmap: %v", err)
	}
	below, _ = mm.NewRange(r.Start, mm.PageSize)
	return below, below.End
}

// str writes a C string into scratch memory and returns its address.
func (e *env) str(s string) mm.Addr {
	e.t.Helper()
	p := e.strNext
	if err := e.mem.write(p, append([]byte(s), 0)); err != nil {
		e.t.Fatalf("writing string: %v", err)
	}
	e.strNext += mm.Addr(len(s)+1+15) &^ 15
	return p
}

// cstr reads a C string from guest memory.
func (e *env) cstr(p uint64) string {
	e.t.Helper()
	s, err := e.mem.cstring(mm.Addr(p), maxCString)
	if err != nil {
		e.t.Fatalf("reading string at %#x: %v", p, err)
	}
	return s
}

// call runs minemu:<name> as the generated C wrapper would: pack the
// arguments into a struct in guest memory, point RDI/ECX at it, run the
// stub's host side, read the result slot. Nested calls (from callbacks)
// get their own struct below the caller's.
func (e *env) call(name string, args ...uint64) (uint64, error) {
	e.t.Helper()
	id, err := e.reg.Resolve(Hash(HostLibrary, name))
	if err != nil {
		e.t.Fatalf("Resolve(%s): %v", name, err)
	}
	lay := LayoutFor(e.mode, len(args))
	e.argTop -= mm.Addr(lay.Size+15) &^ 15
	base := e.argTop
	defer func() { e.argTop += mm.Addr(lay.Size+15) &^ 15 }()
	if err := lay.pack(e.mem, base, args); err != nil {
		e.t.Fatalf("pack: %v", err)
	}
	if e.mode == mm.Mode32 {
		// Junk in the upper half of RCX must not matter.
		e.cpu.Regs[cpu.RCX] = 0xdead_beef_0000_0000 | uint64(base)
	} else {
		e.cpu.Regs[cpu.RDI] = uint64(base)
	}
	if err := e.reg.Call(id, e.cpu); err != nil {
		return 0, err
	}
	_, ret, err := lay.unpack(e.mem, base)
	if err != nil {
		e.t.Fatalf("unpack: %v", err)
	}
	return ret, nil
}

// mustCall is call that fails the test on a Go error.
func (e *env) mustCall(name string, args ...uint64) uint64 {
	e.t.Helper()
	r, err := e.call(name, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	return r
}

// intResult reads an int result slot.
func (e *env) intResult(v uint64) int32 { return int32(uint32(v)) }

// hostLive is the host heap's live allocation count, recounted by Check.
func (e *env) hostLive() uint64 {
	e.t.Helper()
	if err := e.heap.Check(); err != nil {
		e.t.Fatalf("host heap Check: %v", err)
	}
	return e.hostLiveCounted()
}

// hostLiveCounted is the host heap's live allocation count from its
// counters, without a Check walk.
func (e *env) hostLiveCounted() uint64 {
	s := e.heap.Stats()
	n := s.List.LiveAllocs + s.Large.LiveAllocs
	for _, k := range s.Map {
		n += k.LiveAllocs
	}
	return n
}

// audit runs the 4 GiB audit over the guest space (Mode32 only): nothing
// but guest mappings and host-heap blocks below 4 GiB, and the space's
// records agree with the kernel. A default-built test binary's own image
// below 4 GiB is tolerated, as the audit documents.
func (e *env) audit() {
	e.t.Helper()
	if e.mode != mm.Mode32 {
		return
	}
	rep, err := mm.Audit(mm.AuditConfig{Mode: mm.Mode32, Owners: []mm.RangeOwner{e.g}, TolerateLowImage: true})
	if err != nil {
		e.t.Fatalf("Audit: %v", err)
	}
	if !rep.OK || len(rep.Missing) != 0 {
		e.t.Fatalf("4 GiB audit failed: violations %q, missing %v", rep.Violations, rep.Missing)
	}
}

// guestHeap is the guest program's own heap, written in Go as the stand-in
// for guest code that the host calls back: a bump allocator over a real
// guest mapping that records every live block, so a bad free reaching it
// is caught. Its malloc and free "live" at addresses in the code page.
type guestHeap struct {
	e      *env
	arena  mm.AddrRange
	next   mm.Addr
	live   map[mm.Addr]uint64
	frees  []mm.Addr
	malloc uint64
	free   uint64
	// onFree runs inside the free callback, before the block is released
	// (guest code that itself calls thunks); nil for none.
	onFree func(p mm.Addr) error
	// bad records frees of pointers that were not live guest blocks.
	bad []mm.Addr
	// inProgress counts the callbacks running, as engine.Thread does.
	inProgress int
}

func newGuestHeap(e *env) *guestHeap {
	h := &guestHeap{e: e, arena: e.mmap(256<<10, unix.PROT_READ|unix.PROT_WRITE), live: map[mm.Addr]uint64{}}
	h.next = h.arena.Start
	h.malloc = uint64(e.code.Start + 0x10)
	h.free = uint64(e.code.Start + 0x40)
	return h
}

func (h *guestHeap) alloc(n uint64) mm.Addr {
	p := h.next
	h.next += mm.Addr(max(n, 1)+15) &^ 15
	if h.next > h.arena.End {
		h.e.t.Fatalf("guest heap arena exhausted")
	}
	h.live[p] = n
	return p
}

// register runs minemu_register_guest_heap(malloc, free).
func (h *guestHeap) register() {
	h.e.t.Helper()
	if r := h.e.intResult(h.e.mustCall("register_guest_heap", h.malloc, h.free)); r != 0 {
		h.e.t.Fatalf("register_guest_heap = %d, want 0", r)
	}
}

// CallbacksInProgress implements GuestCaller.
func (h *guestHeap) CallbacksInProgress(c *cpu.CPU) int { return h.inProgress }

func (h *guestHeap) CallGuest(c *cpu.CPU, fn uint64, args ...uint64) (uint64, error) {
	if c != h.e.cpu {
		h.e.t.Errorf("callback on CPU %p, want the calling CPU %p", c, h.e.cpu)
	}
	h.inProgress++
	defer func() { h.inProgress-- }()
	switch fn {
	case h.malloc:
		return uint64(h.alloc(args[0])), nil
	case h.free:
		p := mm.Addr(args[0])
		if _, ok := h.live[p]; !ok {
			h.bad = append(h.bad, p)
			return 0, nil
		}
		if h.onFree != nil {
			if err := h.onFree(p); err != nil {
				// A thunk error inside guest code kills the guest:
				// the machine's CallGuest then returns an ExitError
				// (wrapped here with the cause, for the tests).
				exit := &engine.ExitError{Exit: cpu.Exit{Signal: unix.SIGILL, Detail: err.Error()}}
				return 0, fmt.Errorf("%w: %w", exit, err)
			}
		}
		delete(h.live, p)
		h.frees = append(h.frees, p)
		return 0, nil
	}
	h.e.t.Errorf("callback to unknown guest function %#x", fn)
	return 0, nil
}
