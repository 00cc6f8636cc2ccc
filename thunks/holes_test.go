package thunks

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/mm"
	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// The holes issue 13 reports, one test each: adoption bypassed by free and
// realloc, the callback counters, the silent truncation of strndup, the
// separate ownership check and free, and rejections on the guest's stderr.

// TestAdoptionCannotBeBypassed: an adopted pointer is released only by
// release_adopted. minemu_free, realloc (moving, in place, to 0) and
// free_any refuse it, each counted as a rejected free, and the block stays
// live and unchanged, so that the address is not handed out again and
// release_adopted frees the adopted block and nothing else. Before the
// fix minemu_free returned 0 and freed it, the next malloc got the address
// back, and release_adopted freed that unrelated block.
func TestAdoptionCannotBeBypassed(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		e.gh.register()
		einval := -int32(unix.EINVAL)
		hp := e.mustCall("malloc", 40)
		_ = e.mem.write(mm.Addr(hp), []byte("adopted"))
		gp := uint64(e.gh.alloc(40))
		for _, p := range []uint64{hp, gp} {
			if r := e.intResult(e.mustCall("adopt", p)); r != 0 {
				t.Fatalf("adopt(%#x) = %d", p, r)
			}
		}
		before := e.lib.Stats()
		for _, c := range []struct {
			what string
			call func() bool
		}{
			{"free(adopted host)", func() bool { return e.intResult(e.mustCall("free", hp)) == einval }},
			{"realloc(adopted host, grow)", func() bool { return e.mustCall("realloc", hp, 4000) == 0 }},
			{"realloc(adopted host, shrink)", func() bool { return e.mustCall("realloc", hp, 8) == 0 }},
			{"realloc(adopted host, 0)", func() bool { return e.mustCall("realloc", hp, 0) == 0 }},
			{"free_any(adopted host)", func() bool { return e.intResult(e.mustCall("free_any", hp)) == einval }},
			{"free_any(adopted guest)", func() bool { return e.intResult(e.mustCall("free_any", gp)) == einval }},
			{"free(adopted guest)", func() bool { return e.intResult(e.mustCall("free", gp)) == einval }},
		} {
			if !c.call() {
				t.Errorf("%s was not refused", c.what)
			}
			if b, _ := e.mem.read(mm.Addr(hp), 7); string(b) != "adopted" || !e.heap.Owns(mm.Addr(hp)) {
				t.Fatalf("after %s the adopted host block is %q, live %v", c.what, b, e.heap.Owns(mm.Addr(hp)))
			}
			if _, live := e.gh.live[mm.Addr(gp)]; !live {
				t.Fatalf("after %s the adopted guest block was freed", c.what)
			}
		}
		s := e.lib.Stats()
		if got := s.FreesRejected - before.FreesRejected; got != 7 || s.FreesHost != before.FreesHost || s.FreesGuest != before.FreesGuest {
			t.Fatalf("stats %+v: %d rejections, want 7 and no frees", s, got)
		}
		// An allocation made now cannot get the adopted address back.
		other := e.mustCall("malloc", 40)
		if other == hp {
			t.Fatalf("malloc returned the adopted address %#x", hp)
		}
		if got := e.mustCall("release_adopted"); got != 2 {
			t.Fatalf("release_adopted = %d, want 2", got)
		}
		if e.heap.Owns(mm.Addr(hp)) || !e.heap.Owns(mm.Addr(other)) {
			t.Fatalf("after release: adopted live %v, other live %v; want false, true",
				e.heap.Owns(mm.Addr(hp)), e.heap.Owns(mm.Addr(other)))
		}
		if _, live := e.gh.live[mm.Addr(gp)]; live {
			t.Fatal("release_adopted did not free the adopted guest block")
		}
		if r := e.intResult(e.mustCall("free", other)); r != 0 {
			t.Fatalf("free(other) = %d", r)
		}
		if s := e.lib.Stats(); s.AdoptedLive != 0 || e.hostLive() != 0 {
			t.Fatalf("adopted live %d, host live %d; want 0, 0", s.AdoptedLive, e.hostLive())
		}
	})
}

// TestAdoptedCorruptStaysAdopted: release_adopted of an adopted host block
// whose header the guest overwrote is refused (counted), the block stays
// live and adopted, and the next release_adopted frees it.
func TestAdoptedCorruptStaysAdopted(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		hp := e.mustCall("malloc", 1000) // a LIST chunk: it has a header
		if r := e.intResult(e.mustCall("adopt", hp)); r != 0 {
			t.Fatalf("adopt = %d", r)
		}
		_ = e.mem.write(mm.Addr(hp)-12, []byte{0xf1, 0xff, 0xff, 0x7f})
		if got := e.mustCall("release_adopted"); got != 0 {
			t.Fatalf("release_adopted of a corrupted block = %d, want 0", got)
		}
		if s := e.lib.Stats(); s.FreesRejected != 1 || s.AdoptedLive != 1 || !e.heap.Owns(mm.Addr(hp)) {
			t.Fatalf("stats %+v, live %v: want 1 rejected, still adopted and live", s, e.heap.Owns(mm.Addr(hp)))
		}
		if got := e.mustCall("release_adopted"); got != 1 {
			t.Fatalf("second release_adopted = %d, want 1", got)
		}
		if s := e.lib.Stats(); s.FreesHost != 1 || s.AdoptedLive != 0 || e.hostLiveCounted() != 0 {
			t.Fatalf("stats %+v after the second release", s)
		}
	})
}

// nestCaller is a GuestCaller whose guest function calls back again
// through the same Callbacks until it reaches want, like a guest free
// that calls free_any; refuseAt makes it refuse a call at that many
// callbacks in progress before running it, as engine.Thread.CallGuest
// refuses one past its own bound (a plain error, not an ExitError).
type nestCaller struct {
	cb         *Callbacks
	want       int
	refuseAt   int
	ran        int
	inProgress int // the callbacks running, counted as engine.Thread does
}

// CallbacksInProgress implements GuestCaller.
func (n *nestCaller) CallbacksInProgress(c *cpu.CPU) int { return n.inProgress }

func (n *nestCaller) CallGuest(c *cpu.CPU, fn uint64, args ...uint64) (uint64, error) {
	if n.refuseAt > 0 && n.inProgress >= n.refuseAt {
		return 0, errors.New("guest: callback nesting deeper than the machine's bound")
	}
	n.inProgress++
	defer func() { n.inProgress-- }()
	n.ran++
	if n.cb.Depth(c) < n.want {
		if _, err := n.cb.Call(c, fn, args...); err != nil {
			// The nested thunk failed: the machine kills the guest and
			// every callback in progress ends with an ExitError.
			return 0, fmt.Errorf("%w: %w", &engine.ExitError{Exit: cpu.Exit{Signal: unix.SIGILL}}, err)
		}
	}
	return 0, nil
}

// TestCallbackBoundAndCounters: the documented bound holds exactly (64
// callbacks nest, the 65th is refused before it runs), and callbacks and
// callback_depth_max count what ran, also when CallGuest refuses a
// callback before running it (before the fix the refused one was counted:
// 64 counted when 63 ran).
func TestCallbackBoundAndCounters(t *testing.T) {
	for _, c := range []struct {
		name                 string
		want, refuseAt       int
		ran, total, deepest  int
		errDepth, errRefused bool
	}{
		{"the bound", DefaultMaxCallbackDepth, 0, 64, 64, 64, false, false},
		{"one past the bound", DefaultMaxCallbackDepth + 1, 0, 64, 64, 64, true, false},
		{"refused by the caller at 63 in progress", DefaultMaxCallbackDepth, 63, 63, 63, 63, false, true},
		{"one deep", 1, 0, 1, 1, 1, false, false},
	} {
		cb := NewCallbacks(0)
		n := &nestCaller{cb: cb, want: c.want, refuseAt: c.refuseAt}
		cb.SetCaller(n)
		cpu := &cpu.CPU{}
		_, err := cb.Call(cpu, 0x1000)
		if got := errors.Is(err, ErrCallbackDepth); got != c.errDepth {
			t.Errorf("%s: err %v, want ErrCallbackDepth %v", c.name, err, c.errDepth)
		}
		if c.errRefused && err == nil {
			t.Errorf("%s: no error from the refused callback", c.name)
		}
		if !c.errDepth && !c.errRefused && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if n.ran != c.ran || cb.Total() != uint64(c.total) || cb.Deepest() != c.deepest || cb.Depth(cpu) != 0 {
			t.Errorf("%s: ran %d, callbacks %d, deepest %d, depth after %d; want %d, %d, %d, 0",
				c.name, n.ran, cb.Total(), cb.Deepest(), cb.Depth(cpu), c.ran, c.total, c.deepest)
		}
	}
}

// TestStringBound: every function refuses a string longer than MaxString
// (NULL) and accepts one of exactly MaxString bytes; strndup with n past
// the bound copies nothing rather than the first MaxString bytes.
func TestStringBound(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		e.gh.register()
		e.gh.arena = e.mmap(8<<20, unix.PROT_READ|unix.PROT_WRITE) // room for guest_strdup
		e.gh.next = e.gh.arena.Start
		big := e.mmap(4<<20, unix.PROT_READ|unix.PROT_WRITE)
		put := func(n int) uint64 { // a string of n 'a's at the start of big
			b := bytes.Repeat([]byte{'a'}, n+1)
			b[n] = 0
			if err := e.mem.write(big.Start, b); err != nil {
				t.Fatal(err)
			}
			return uint64(big.Start)
		}
		comma := uint64(e.str(","))
		fmtS := uint64(e.str("%s"))
		slot := e.scratch.Start + 200<<10
		strlenOf := func(p uint64) int {
			n, err := e.mem.strlen(mm.Addr(p), 4<<20)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		type fn struct {
			name string
			call func(s uint64) uint64
		}
		fns := []fn{
			{"strdup", func(s uint64) uint64 { return e.mustCall("strdup", s) }},
			{"strndup(s, 2 MiB)", func(s uint64) uint64 { return e.mustCall("strndup", s, 2<<20) }},
			{"strndup(s, MaxString+1)", func(s uint64) uint64 { return e.mustCall("strndup", s, MaxString+1) }},
			{"split", func(s uint64) uint64 { return e.mustCall("split", s, comma) }},
			{"format %s", func(s uint64) uint64 {
				_ = e.mem.writeWord(slot, s)
				return e.mustCall("format", fmtS, uint64(slot), 1)
			}},
			{"format", func(s uint64) uint64 { return e.mustCall("format", s, 0, 0) }},
			{"guest_strdup", func(s uint64) uint64 { return e.mustCall("guest_strdup", s) }},
		}
		for _, n := range []int{MaxString, MaxString + 1, 3 << 20} {
			s := put(n)
			for _, f := range fns {
				r := f.call(s)
				if n > MaxString {
					if r != 0 {
						t.Errorf("%s of a %d-byte string = %#x, want NULL", f.name, n, r)
					}
					continue
				}
				if r == 0 {
					t.Errorf("%s of a %d-byte string = NULL, want it accepted", f.name, n)
					continue
				}
				p := r
				if f.name == "split" {
					p = e.mem.loadWord(mm.Addr(r))
				}
				if got := strlenOf(p); got != n {
					t.Errorf("%s of a %d-byte string made %d bytes", f.name, n, got)
				}
			}
		}
		// strndup with n at or below the bound takes n bytes of a longer
		// string: that is what strndup asks for, not a truncation.
		s := put(3 << 20)
		for _, n := range []uint64{MaxString, 5} {
			r := e.mustCall("strndup", s, n)
			if r == 0 || strlenOf(r) != int(n) {
				t.Errorf("strndup(3 MiB string, %d) = %#x, want %d bytes", n, r, n)
			}
		}
	})
}

// TestRejectionsQuietAtDefaultLevel: a program that probes bad frees and
// bad strings gets -EINVAL and NULL, counted, and nothing on stderr at
// minemu's default log level (warn); at info each rejection has a line.
func TestRejectionsQuietAtDefaultLevel(t *testing.T) {
	for _, lvl := range []zerolog.Level{zerolog.WarnLevel, zerolog.InfoLevel} {
		e := newEnv(t, mm.Mode32)
		var out bytes.Buffer
		log := zerolog.New(&out).Level(lvl)
		e.lib.log, e.reg.log = log, log
		p := e.mustCall("malloc", 32)
		e.mustCall("free", p)
		bad := []func(){
			func() { e.mustCall("free", p) },
			func() { e.mustCall("free_any", p) },
			func() { e.mustCall("free_any", uint64(e.stack.Start+64)) },
			func() { e.mustCall("realloc", p, 64) },
			func() { e.mustCall("adopt", 0) },
			func() { e.mustCall("strdup", 0x10) },
			func() { e.mustCall("register_guest_heap", 0x10, 0x20) },
		}
		for _, f := range bad {
			f()
		}
		if s := e.lib.Stats(); s.FreesRejected != 4 {
			t.Fatalf("%v: %d rejections counted, want 4", lvl, s.FreesRejected)
		}
		lines := strings.Count(out.String(), "\n")
		if lvl == zerolog.WarnLevel && lines != 0 {
			t.Errorf("at %v the log has %d lines, want none:\n%s", lvl, lines, out.String())
		}
		if lvl == zerolog.InfoLevel && lines != len(bad) {
			t.Errorf("at %v the log has %d lines, want %d:\n%s", lvl, lines, len(bad), out.String())
		}
	}
}

// countingHeap and countingMemory count the calls the thunk layer makes
// into the host heap and the guest space: each takes that object's lock
// once.
type countingHeap struct {
	HostHeap
	n *atomic.Int64
}

func (h countingHeap) Alloc(n uint64) (mm.Addr, error) { h.n.Add(1); return h.HostHeap.Alloc(n) }
func (h countingHeap) Calloc(n, s uint64) (mm.Addr, error) {
	h.n.Add(1)
	return h.HostHeap.Calloc(n, s)
}
func (h countingHeap) Realloc(p mm.Addr, n uint64) (mm.Addr, error) {
	h.n.Add(1)
	return h.HostHeap.Realloc(p, n)
}
func (h countingHeap) Free(p mm.Addr) error { h.n.Add(1); return h.HostHeap.Free(p) }
func (h countingHeap) FreeOwned(p mm.Addr) (bool, error) {
	h.n.Add(1)
	return h.HostHeap.FreeOwned(p)
}
func (h countingHeap) Pin(p mm.Addr) error        { h.n.Add(1); return h.HostHeap.Pin(p) }
func (h countingHeap) FreePinned(p mm.Addr) error { h.n.Add(1); return h.HostHeap.FreePinned(p) }
func (h countingHeap) Owns(p mm.Addr) bool        { h.n.Add(1); return h.HostHeap.Owns(p) }

type countingMemory struct {
	Memory
	n *atomic.Int64
}

func (m countingMemory) IsMapped(r mm.AddrRange, prot int) bool {
	m.n.Add(1)
	return m.Memory.IsMapped(r, prot)
}

// TestFreeLockAcquisitions: one ownership decision per free. A host free
// (minemu_free or free_any) is one heap call and one guest-space check
// (the argument block); a guest free_any is one heap call and two
// guest-space checks (the argument block, the pointer) before the guest's
// free runs, and takes no lock of the thunk layer (registration, NotHeap
// ranges and callback depth are read without one). Before: 4 acquisitions
// for a host free_any, 9 for a guest one.
func TestFreeLockAcquisitions(t *testing.T) {
	for _, mode := range modes {
		e := newEnv(t, mode)
		var heapCalls, spaceCalls atomic.Int64
		mem := countingMemory{Memory: e.g, n: &spaceCalls}
		reg, err := NewRegistry(RegistryConfig{Mode: mode, Memory: mem})
		if err != nil {
			t.Fatal(err)
		}
		lib, err := NewHostLib(HostLibConfig{Mode: mode, Memory: mem, Heap: countingHeap{HostHeap: e.heap, n: &heapCalls},
			NotHeap: []NamedRange{{Name: "stack", Range: e.stack}}, Callbacks: NewCallbacks(8)})
		if err != nil {
			t.Fatal(err)
		}
		if err := lib.Register(reg); err != nil {
			t.Fatal(err)
		}
		lib.Callbacks().SetCaller(e.gh)
		e.reg, e.lib = reg, lib
		e.gh.register()
		for _, c := range []struct {
			fn          string
			ptr         func() uint64
			heap, space int64
		}{
			{"free", func() uint64 { p, _ := e.heap.Alloc(32); return uint64(p) }, 1, 1},
			{"free_any", func() uint64 { p, _ := e.heap.Alloc(32); return uint64(p) }, 1, 1},
			{"free_any", func() uint64 { return uint64(e.gh.alloc(32)) }, 1, 2},
		} {
			p := c.ptr()
			s := newStubCall(t, e, c.fn, 1)
			heapCalls.Store(0)
			spaceCalls.Store(0)
			if r := s.run(t, p); r != 0 {
				t.Fatalf("%v %s(%#x) = %d", mode, c.fn, p, int32(r))
			}
			if heapCalls.Load() != c.heap || spaceCalls.Load() != c.space {
				t.Errorf("%v %s: %d heap calls, %d guest-space checks; want %d, %d",
					mode, c.fn, heapCalls.Load(), spaceCalls.Load(), c.heap, c.space)
			}
		}
		if s := lib.Stats(); s.FreesHost != 2 || s.FreesGuest != 1 {
			t.Fatalf("%v: stats %+v", mode, s)
		}
	}
}
