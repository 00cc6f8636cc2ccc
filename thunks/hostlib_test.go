package thunks

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
	"golang.org/x/sys/unix"
)

var modes = []mm.Mode{mm.Mode32, mm.Mode64}

func forModes(t *testing.T, f func(t *testing.T, e *env)) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) { f(t, newEnv(t, mode)) })
	}
}

// checkHostPointer fails unless p starts a live host-heap allocation that
// a guest of e's mode can address.
func (e *env) checkHostPointer(what string, p uint64) {
	e.t.Helper()
	if p == 0 || !e.heap.Owns(mm.Addr(p)) {
		e.t.Fatalf("%s = %#x: not a live host-heap allocation", what, p)
	}
	if e.mode == mm.Mode32 && p >= uint64(mm.Limit32) {
		e.t.Fatalf("%s = %#x: above 4 GiB for a 32-bit guest", what, p)
	}
}

func TestAllocationFunctions(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		p := e.mustCall("malloc", 100)
		e.checkHostPointer("malloc(100)", p)
		if err := e.mem.write(mm.Addr(p), []byte(strings.Repeat("x", 100))); err != nil {
			t.Fatalf("guest cannot write its malloc'd memory: %v", err)
		}
		z := e.mustCall("malloc", 0)
		e.checkHostPointer("malloc(0)", z)

		c := e.mustCall("calloc", 10, 30)
		e.checkHostPointer("calloc(10, 30)", c)
		b, _ := e.mem.read(mm.Addr(c), 300)
		for i, v := range b {
			if v != 0 {
				t.Fatalf("calloc byte %d = %d, want 0", i, v)
			}
		}
		big := uint64(1) << (4 * WordWidth(e.mode)) // big*big overflows the guest's size_t
		if r := e.mustCall("calloc", big, big); r != 0 {
			t.Fatalf("overflowing calloc = %#x, want NULL", r)
		}

		q := e.mustCall("realloc", p, 5000)
		e.checkHostPointer("realloc(p, 5000)", q)
		b, _ = e.mem.read(mm.Addr(q), 100)
		if string(b) != strings.Repeat("x", 100) {
			t.Fatalf("realloc lost the contents")
		}
		n := e.mustCall("realloc", 0, 8)
		e.checkHostPointer("realloc(NULL, 8)", n)
		if r := e.mustCall("realloc", n, 0); r != 0 || e.heap.Owns(mm.Addr(n)) {
			t.Fatalf("realloc(p, 0) = %#x and p still live, want NULL and freed", r)
		}
		if r := e.mustCall("realloc", uint64(e.str("not heap")), 10); r != 0 {
			t.Fatalf("realloc of a foreign pointer = %#x, want NULL", r)
		}

		for _, x := range []uint64{q, z, c} {
			if r := e.intResult(e.mustCall("free", x)); r != 0 {
				t.Fatalf("free(%#x) = %d, want 0", x, r)
			}
		}
		if r := e.intResult(e.mustCall("free", q)); r != -int32(unix.EINVAL) {
			t.Fatalf("double free = %d, want -EINVAL", r)
		}
		if r := e.intResult(e.mustCall("free", 0)); r != 0 {
			t.Fatalf("free(NULL) = %d, want 0", r)
		}
		if live := e.hostLive(); live != 0 {
			t.Fatalf("host heap live allocations = %d, want 0", live)
		}
		s := e.lib.Stats()
		// Host frees: realloc(n, 0) and three frees. Rejected: the foreign
		// realloc and the double free. Null: free(NULL).
		if s.FreesHost != 4 || s.FreesRejected != 2 || s.FreesNull != 1 || s.FreesGuest != 0 {
			t.Fatalf("stats %+v, want 4 host, 2 rejected, 1 null, 0 guest frees", s)
		}
	})
}

func TestStringFunctions(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		var ptrs []uint64
		keep := func(what string, p uint64) uint64 {
			e.checkHostPointer(what, p)
			ptrs = append(ptrs, p)
			return p
		}
		if got := e.cstr(keep("strdup", e.mustCall("strdup", uint64(e.str("hello, host"))))); got != "hello, host" {
			t.Fatalf("strdup = %q", got)
		}
		if got := e.cstr(keep("strdup empty", e.mustCall("strdup", uint64(e.str(""))))); got != "" {
			t.Fatalf("strdup(\"\") = %q", got)
		}
		if got := e.cstr(keep("strndup", e.mustCall("strndup", uint64(e.str("abcdef")), 3))); got != "abc" {
			t.Fatalf("strndup(abcdef, 3) = %q", got)
		}
		if got := e.cstr(keep("strndup long n", e.mustCall("strndup", uint64(e.str("ab")), 100))); got != "ab" {
			t.Fatalf("strndup(ab, 100) = %q", got)
		}
		// strndup needs no terminator within n: the last 4 bytes of the
		// scratch mapping, no NUL, n = 4.
		below, _ := e.hole()
		tail := below.End - 4
		_ = e.mem.write(tail, []byte("wxyz"))
		if got := e.cstr(keep("strndup unterminated", e.mustCall("strndup", uint64(tail), 4))); got != "wxyz" {
			t.Fatalf("strndup(unterminated, 4) = %q", got)
		}
		if r := e.mustCall("strdup", uint64(tail)); r != 0 {
			t.Fatalf("strdup running off the mapping = %#x, want NULL", r)
		}
		src := e.str("\x01\x02\x00\x03")
		m := keep("memdup", e.mustCall("memdup", uint64(src), 4))
		if b, _ := e.mem.read(mm.Addr(m), 4); string(b) != "\x01\x02\x00\x03" {
			t.Fatalf("memdup = %q", b)
		}
		if r := e.mustCall("strdup", 0); r != 0 {
			t.Fatalf("strdup(NULL) = %#x, want NULL", r)
		}
		if r := e.mustCall("memdup", 8, 4); r != 0 {
			t.Fatalf("memdup(wild) = %#x, want NULL", r)
		}

		// split: a NULL-terminated array of host strings.
		w := mm.Addr(WordWidth(e.mode))
		for _, tc := range []struct {
			s, sep string
			want   []string
		}{
			{"a,b,,c", ",", []string{"a", "b", "", "c"}},
			{"one", ",", []string{"one"}},
			{"", ",", []string{""}},
			{"x::y::", "::", []string{"x", "y", ""}},
		} {
			arr := keep("split", e.mustCall("split", uint64(e.str(tc.s)), uint64(e.str(tc.sep))))
			var got []string
			for i := mm.Addr(0); ; i++ {
				p, err := e.mem.readWord(mm.Addr(arr) + i*w)
				if err != nil {
					t.Fatal(err)
				}
				if p == 0 {
					break
				}
				got = append(got, e.cstr(keep("split element", p)))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("split(%q, %q) = %q, want %q", tc.s, tc.sep, got, tc.want)
			}
		}
		if r := e.mustCall("split", uint64(e.str("a")), uint64(e.str(""))); r != 0 {
			t.Fatalf("split with an empty separator = %#x, want NULL", r)
		}

		// format, through the slots the C front end packs.
		slots := e.scratch.Start + 128<<10
		hi := e.str("hi")
		minus42 := int64(-42)
		vals := []uint64{uint64(minus42), 42, 0xbeef, 'Z', uint64(hi), 0x1000}
		for i, v := range vals {
			_ = e.mem.writeWord(slots+mm.Addr(i)*w, v)
		}
		f := keep("format", e.mustCall("format", uint64(e.str("%d %u %x %c %s %p 100%%")), uint64(slots), uint64(len(vals))))
		if got, want := e.cstr(f), "-42 42 beef Z hi 0x1000 100%"; got != want {
			t.Fatalf("format = %q, want %q", got, want)
		}
		if r := e.mustCall("format", uint64(e.str("%d %d")), uint64(slots), 1); r != 0 {
			t.Fatalf("format with too few arguments = %#x, want NULL", r)
		}
		if r := e.mustCall("format", uint64(e.str("%d")), uint64(slots), 17); r != 0 {
			t.Fatalf("format with 17 arguments = %#x, want NULL", r)
		}
		// An argument array that is unmapped, or whose end wraps past the
		// top of the guest's address space, is refused as a whole.
		top := uint64(0xfffffffc)
		if e.mode == mm.Mode64 {
			top = 0xfffffffffffffff8
		}
		for _, arr := range []uint64{0, top} {
			if r := e.mustCall("format", uint64(e.str("%d %d")), arr, 2); r != 0 {
				t.Fatalf("format with its arguments at %#x = %#x, want NULL", arr, r)
			}
		}

		// Every pointer is a host-heap pointer; free_any frees each.
		for _, p := range ptrs {
			if r := e.intResult(e.mustCall("free_any", p)); r != 0 {
				t.Fatalf("free_any(%#x) = %d", p, r)
			}
		}
		if live := e.hostLive(); live != 0 {
			t.Fatalf("host heap live allocations = %d, want 0", live)
		}
		if s := e.lib.Stats(); s.FreesHost != uint64(len(ptrs)) || s.FreesRejected != 0 {
			t.Fatalf("stats %+v, want %d host frees, none rejected", s, len(ptrs))
		}
	})
}

func TestIsHostHeapAllocation(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		p := e.mustCall("malloc", 64)
		g := e.gh.alloc(64)
		for _, tc := range []struct {
			p    uint64
			want uint64
		}{
			{p, 1}, {p + 16, 0}, {uint64(g), 0}, {0, 0}, {uint64(e.stack.Start), 0},
		} {
			if got := e.mustCall("is_host_heap_allocation", tc.p); got != tc.want {
				t.Fatalf("is_host_heap_allocation(%#x) = %d, want %d", tc.p, got, tc.want)
			}
		}
		e.mustCall("free", p)
		if got := e.mustCall("is_host_heap_allocation", p); got != 0 {
			t.Fatalf("is_host_heap_allocation(freed) = %d, want 0", got)
		}
	})
}

func TestRegisterGuestHeapValidates(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		data := uint64(e.scratch.Start)
		for _, tc := range []struct {
			name         string
			malloc, free uint64
			want         int32
		}{
			{"only malloc", e.gh.malloc, 0, -int32(unix.EINVAL)},
			{"only free", 0, e.gh.free, -int32(unix.EINVAL)},
			{"free in data, not code", e.gh.malloc, data, -int32(unix.EINVAL)},
			{"unmapped", e.gh.malloc, 0x10, -int32(unix.EINVAL)},
			{"valid", e.gh.malloc, e.gh.free, 0},
			{"unregister", 0, 0, 0},
		} {
			if got := e.intResult(e.mustCall("register_guest_heap", tc.malloc, tc.free)); got != tc.want {
				t.Errorf("%s: register_guest_heap = %d, want %d", tc.name, got, tc.want)
			}
		}
	})
}

// TestFreeAnyDecisionTable runs every rule of the decision table over the
// real host heap and a guest heap, checking the result, the counters and
// both heaps' live counts exactly after each step.
func TestFreeAnyDecisionTable(t *testing.T) {
	type want struct {
		ret                          int32
		host, guest, rejected, null  uint64 // counter deltas
		hostLiveDelta, guestLiveDiff int
		logs                         string
	}
	einval := -int32(unix.EINVAL)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			ro := e.mmap(mm.PageSize, unix.PROT_READ)
			_, hole := e.hole()
			cases := []struct {
				name     string
				register bool
				ptr      func() uint64
				want     want
			}{
				{"null", false, func() uint64 { return 0 }, want{ret: 0, null: 1}},
				{"host live", false, func() uint64 { return e.mustCall("malloc", 40) },
					want{host: 1, hostLiveDelta: 0, logs: `"heap":"host","decision":"freed"`}},
				{"host large live", false, func() uint64 { return e.mustCall("malloc", 3<<20) }, want{host: 1}},
				{"host interior", true, func() uint64 { return e.mustCall("malloc", 64) + 16 },
					want{ret: einval, rejected: 1, hostLiveDelta: 1, logs: "interior or already freed"}},
				{"host misaligned interior", true, func() uint64 { return e.mustCall("malloc", 64) + 3 },
					want{ret: einval, rejected: 1, hostLiveDelta: 1, logs: "interior or already freed"}},
				{"host already freed", true, func() uint64 {
					p := e.mustCall("malloc", 24)
					e.mustCall("free", p)
					return p
				}, want{ret: einval, rejected: 1, host: 1, logs: "interior or already freed"}},
				{"stack address", true, func() uint64 { return uint64(e.stack.Start + 512) },
					want{ret: einval, rejected: 1, logs: "stack address"}},
				{"guest heap, not registered", false, func() uint64 { return uint64(e.gh.alloc(32)) },
					want{ret: einval, rejected: 1, guestLiveDiff: 1, logs: "no guest heap is registered"}},
				{"guest heap, registered", true, func() uint64 { return uint64(e.gh.alloc(32)) },
					want{guest: 1, logs: `"heap":"guest","decision":"freed"`}},
				{"guest misaligned", true, func() uint64 { return uint64(e.gh.alloc(32)) + 1 },
					want{ret: einval, rejected: 1, guestLiveDiff: 1, logs: "misaligned"}},
				{"unmapped wild pointer", true, func() uint64 { return uint64(hole) },
					want{ret: einval, rejected: 1, logs: "not in writable guest memory"}},
				{"read-only mapping", true, func() uint64 { return uint64(ro.Start) },
					want{ret: einval, rejected: 1, logs: "not in writable guest memory"}},
			}
			for _, tc := range cases {
				if tc.register {
					e.gh.register()
				} else {
					e.mustCall("register_guest_heap", 0, 0)
				}
				before := e.lib.Stats()
				hostBefore := e.hostLive()
				p := tc.ptr() // may allocate on either heap
				hostMid, guestMid := e.hostLive(), len(e.gh.live)
				e.logs.Reset()
				ret := e.intResult(e.mustCall("free_any", p))
				after := e.lib.Stats()
				if ret != tc.want.ret {
					t.Errorf("%s: free_any(%#x) = %d, want %d", tc.name, p, ret, tc.want.ret)
				}
				d := [4]uint64{after.FreesHost - before.FreesHost, after.FreesGuest - before.FreesGuest,
					after.FreesRejected - before.FreesRejected, after.FreesNull - before.FreesNull}
				if d != [4]uint64{tc.want.host, tc.want.guest, tc.want.rejected, tc.want.null} {
					t.Errorf("%s: counter deltas host/guest/rejected/null = %v, want %v", tc.name, d,
						[4]uint64{tc.want.host, tc.want.guest, tc.want.rejected, tc.want.null})
				}
				if got := int(e.hostLive()) - int(hostBefore); got != tc.want.hostLiveDelta {
					t.Errorf("%s: host live allocations changed by %d over the case, want %d", tc.name, got, tc.want.hostLiveDelta)
				}
				if tc.want.rejected > 0 && e.hostLive() != hostMid {
					t.Errorf("%s: a rejected free changed the host heap", tc.name)
				}
				if got := len(e.gh.live) - guestMid; tc.want.guest == 1 && got != -1 || tc.want.guest == 0 && got != 0 {
					t.Errorf("%s: guest heap live changed by %d", tc.name, got)
				}
				if len(e.gh.bad) != 0 {
					t.Fatalf("%s: the guest's free received pointers it never allocated: %#x", tc.name, e.gh.bad)
				}
				logs := e.logs.String()
				if !strings.Contains(logs, tc.want.logs) {
					t.Errorf("%s: log %q lacks %q", tc.name, logs, tc.want.logs)
				}
				if tc.want.rejected > 0 && !strings.Contains(logs, `"guest_rip":"0x8049abc"`) {
					t.Errorf("%s: rejection log %q lacks the caller's guest RIP %#x", tc.name, logs, fakeReturnAddress)
				}
			}
		})
	}
}

func TestAdopt(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		e.gh.register()
		hp := e.mustCall("malloc", 48)
		gp := uint64(e.gh.alloc(48))
		einval := -int32(unix.EINVAL)
		for _, tc := range []struct {
			p    uint64
			want int32
		}{
			{hp, 0}, {gp, 0}, {hp, -int32(unix.EEXIST)}, {0, einval}, {hp + 16, einval}, {uint64(e.stack.Start), einval},
		} {
			if got := e.intResult(e.mustCall("adopt", tc.p)); got != tc.want {
				t.Fatalf("adopt(%#x) = %d, want %d", tc.p, got, tc.want)
			}
		}
		// The guest gave them away: its own free_any of them is refused.
		for _, p := range []uint64{hp, gp} {
			if got := e.intResult(e.mustCall("free_any", p)); got != einval {
				t.Fatalf("free_any(adopted %#x) = %d, want -EINVAL", p, got)
			}
		}
		if s := e.lib.Stats(); s.AdoptedLive != 2 {
			t.Fatalf("adopted live = %d, want 2", s.AdoptedLive)
		}
		if got := e.mustCall("release_adopted"); got != 2 {
			t.Fatalf("release_adopted = %d, want 2", got)
		}
		s := e.lib.Stats()
		if s.AdoptedLive != 0 || s.FreesHost != 1 || s.FreesGuest != 1 || s.FreesRejected != 2 {
			t.Fatalf("stats %+v, want 0 adopted, 1 host, 1 guest, 2 rejected frees", s)
		}
		if e.hostLive() != 0 || len(e.gh.live) != 0 {
			t.Fatalf("live host %d, guest %d; want both 0", e.hostLive(), len(e.gh.live))
		}
		if got := e.mustCall("release_adopted"); got != 0 {
			t.Fatalf("second release_adopted = %d, want 0", got)
		}
	})
}

// TestTrampolineRefused: minemu's own page in the guest window (the
// callback trap, mm.ClassTrampoline) is no heap's: free_any and adopt
// refuse a pointer into it, saying why, and nothing reaches the guest's
// free.
func TestTrampolineRefused(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		e.gh.register()
		tr, err := e.g.MapTrampoline([]byte{0x0f, 0x3e})
		if err != nil {
			t.Fatal(err)
		}
		before := e.lib.Stats()
		einval := -int32(unix.EINVAL)
		e.logs.Reset()
		if got := e.intResult(e.mustCall("free_any", uint64(tr.Start))); got != einval {
			t.Fatalf("free_any(trampoline) = %d, want -EINVAL", got)
		}
		if got := e.intResult(e.mustCall("adopt", uint64(tr.Start+16))); got != einval {
			t.Fatalf("adopt(trampoline) = %d, want -EINVAL", got)
		}
		if s := e.lib.Stats(); s.FreesRejected != before.FreesRejected+1 || s.FreesGuest != before.FreesGuest {
			t.Fatalf("stats %+v, want one more rejected free and no guest free", s)
		}
		if logs := e.logs.String(); strings.Count(logs, "minemu's own trampoline page") != 2 {
			t.Fatalf("logs %q: want both refusals to name the trampoline page", logs)
		}
		if len(e.gh.bad) != 0 || len(e.gh.live) != 0 {
			t.Fatalf("the guest's free saw %#x", e.gh.bad)
		}
	})
}

func TestGuestStrdupCallsBack(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		if r := e.mustCall("guest_strdup", uint64(e.str("x"))); r != 0 {
			t.Fatalf("guest_strdup without a guest heap = %#x, want NULL", r)
		}
		e.gh.register()
		p := e.mustCall("guest_strdup", uint64(e.str("to the guest")))
		if _, ok := e.gh.live[mm.Addr(p)]; !ok {
			t.Fatalf("guest_strdup = %#x, not a guest-heap block", p)
		}
		if got := e.cstr(p); got != "to the guest" {
			t.Fatalf("guest_strdup copy = %q", got)
		}
		if e.mustCall("is_host_heap_allocation", p) != 0 {
			t.Fatalf("a guest-heap pointer reported as host")
		}
		e.mustCall("free_any", p)
		s := e.lib.Stats()
		if s.Callbacks != 2 || s.FreesGuest != 1 || len(e.gh.live) != 0 {
			t.Fatalf("stats %+v, guest live %d; want 2 callbacks, 1 guest free, 0 live", s, len(e.gh.live))
		}
	})
}

// TestNestedCallbacks: the guest's free itself calls free_any on the next
// pointer of a chain (guest code calling a thunk that calls back again),
// so freeing the head of a chain of n guest blocks nests n callbacks.
func TestNestedCallbacks(t *testing.T) {
	forModes(t, func(t *testing.T, e *env) {
		e.gh.register()
		maxDepth := e.lib.Callbacks().Max()
		chain := func(n int) []mm.Addr {
			ps := make([]mm.Addr, n)
			for i := range ps {
				ps[i] = e.gh.alloc(16)
			}
			return ps
		}
		next := map[mm.Addr]mm.Addr{}
		e.gh.onFree = func(p mm.Addr) error {
			if q, ok := next[p]; ok {
				if d := e.lib.Callbacks().Depth(e.cpu); d < 1 {
					t.Errorf("inside a callback, depth = %d", d)
				}
				_, err := e.call("free_any", uint64(q))
				return err
			}
			return nil
		}
		link := func(ps []mm.Addr) {
			clear(next)
			for i := 0; i+1 < len(ps); i++ {
				next[ps[i]] = ps[i+1]
			}
		}

		// Exactly the bound: every block freed, depth back to 0.
		ps := chain(maxDepth)
		link(ps)
		if r := e.intResult(e.mustCall("free_any", uint64(ps[0]))); r != 0 {
			t.Fatalf("free_any(chain head) = %d", r)
		}
		s := e.lib.Stats()
		if s.FreesGuest != uint64(maxDepth) || s.Callbacks != uint64(maxDepth) || s.CallbackDepthMax != maxDepth {
			t.Fatalf("stats %+v, want %d guest frees, callbacks and depth", s, maxDepth)
		}
		if len(e.gh.live) != 0 || e.lib.Callbacks().Depth(e.cpu) != 0 {
			t.Fatalf("after the chain: %d live guest blocks, depth %d; want 0, 0", len(e.gh.live), e.lib.Callbacks().Depth(e.cpu))
		}

		// One deeper: the innermost callback is refused before it runs,
		// the error reaches the outermost Call, nothing more is freed.
		ps = chain(maxDepth + 1)
		link(ps)
		_, err := e.call("free_any", uint64(ps[0]))
		if !errors.Is(err, ErrCallbackDepth) {
			t.Fatalf("free_any(chain of %d) = %v, want ErrCallbackDepth", maxDepth+1, err)
		}
		if !strings.Contains(err.Error(), "minemu:free_any") {
			t.Fatalf("error %q does not name the thunk", err)
		}
		if d := e.lib.Callbacks().Depth(e.cpu); d != 0 {
			t.Fatalf("depth after overflow = %d, want 0", d)
		}
		if len(e.gh.live) != maxDepth+1 {
			t.Fatalf("guest blocks live after overflow = %d, want %d (the guest frees never completed)", len(e.gh.live), maxDepth+1)
		}
		if got := e.lib.Stats().Callbacks; got != uint64(2*maxDepth) {
			t.Fatalf("callbacks = %d, want %d (the refused one not counted)", got, 2*maxDepth)
		}
	})
}

func TestCallbacksWithoutCaller(t *testing.T) {
	cb := NewCallbacks(0)
	if cb.Max() != DefaultMaxCallbackDepth {
		t.Fatalf("Max = %d, want %d", cb.Max(), DefaultMaxCallbackDepth)
	}
	if _, err := cb.Call(&cpu.CPU{}, 0x1000); !errors.Is(err, ErrNoCaller) {
		t.Fatalf("Call without a caller = %v, want ErrNoCaller", err)
	}
}

func TestStatsJSON(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	p := e.mustCall("malloc", 10)
	e.mustCall("free_any", p)
	e.mustCall("free_any", p)
	e.mustCall("malloc", 10)
	b, err := json.Marshal(CollectStats(e.reg, e.lib, e.heap.Stats().LiveBytes))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	calls := got["calls"].(map[string]any)
	if calls["minemu:malloc"] != 2.0 || calls["minemu:free_any"] != 2.0 || calls["minemu:strdup"] != 0.0 {
		t.Fatalf("calls %v", calls)
	}
	for k, v := range map[string]float64{"frees_host": 1, "frees_guest": 0, "frees_rejected": 1, "callbacks": 0} {
		if got[k] != v {
			t.Fatalf("%s = %v, want %v (%s)", k, got[k], v, b)
		}
	}
	if live, _ := got["host_heap_live_bytes"].(float64); live < 10 {
		t.Fatalf("host_heap_live_bytes = %v, want >= 10", got["host_heap_live_bytes"])
	}
}
