package thunks

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/minemu/minemu/mm"
	"golang.org/x/sys/unix"
)

// freeModel is the reference model of the cross-boundary free: which
// pointers are live on which heap, whether the guest heap is registered,
// and what the counters must be.
type freeModel struct {
	host, guest                map[mm.Addr]uint64 // live pointer → size
	freedHost                  []mm.Addr
	registered                 bool
	frees, guestFrees, rejects uint64
	nulls                      uint64
}

// runFreeOps decodes ops from data and applies each to e and to the
// model, checking after every step that the two agree: the decision, the
// counters, both heaps' live counts (the host heap's recounted by Check
// after every step when checkEach, else from its counters and by Check
// once at the end).
func runFreeOps(t *testing.T, e *env, data []byte, checkEach bool) HostLibStats {
	m := &freeModel{host: map[mm.Addr]uint64{}, guest: map[mm.Addr]uint64{}}
	einval := -int32(unix.EINVAL)
	pick := func(set map[mm.Addr]uint64, sel byte) (mm.Addr, uint64, bool) {
		if len(set) == 0 {
			return 0, 0, false
		}
		keys := make([]mm.Addr, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		k := keys[int(sel)%len(keys)]
		return k, set[k], true
	}
	// expect is the model's decision for p.
	expect := func(p mm.Addr) FreeDecision {
		switch {
		case p == 0:
			return FreeNull
		case hasKey(m.host, p):
			return FreeHost
		case hasKey(m.guest, p) && m.registered:
			return FreeGuest
		}
		return FreeRejected
	}
	freeAny := func(p mm.Addr) {
		t.Helper()
		want := expect(p)
		r := e.intResult(e.mustCall("free_any", uint64(p)))
		switch want {
		case FreeNull:
			m.nulls++
		case FreeHost:
			m.frees++
			delete(m.host, p)
			m.freedHost = append(m.freedHost, p)
		case FreeGuest:
			m.guestFrees++
			delete(m.guest, p)
		case FreeRejected:
			m.rejects++
		}
		if (want == FreeRejected) != (r == einval) || (r != 0 && r != einval) {
			t.Fatalf("free_any(%#x) = %d, model decision %v", p, r, want)
		}
	}
	for i := 0; i+2 < len(data); i += 3 {
		op, a, b := data[i]%11, data[i+1], data[i+2]
		size := uint64(a)<<uint(b%12) | 1
		switch op {
		case 0: // host malloc
			if p := mm.Addr(e.mustCall("malloc", size)); p != 0 {
				m.host[p] = size
			}
		case 1: // guest malloc
			m.guest[e.gh.alloc(uint64(a)+1)] = uint64(a) + 1
		case 2: // free a live host pointer
			if p, _, ok := pick(m.host, a); ok {
				freeAny(p)
			}
		case 3: // free a live guest pointer
			if p, _, ok := pick(m.guest, a); ok {
				freeAny(p)
			}
		case 4: // host interior pointer
			if p, n, ok := pick(m.host, a); ok && n > 1 {
				freeAny(p + mm.Addr(1+uint64(b)%(n-1)))
			}
		case 5: // a freed host pointer (stale, possibly reused)
			if len(m.freedHost) > 0 {
				freeAny(m.freedHost[int(a)%len(m.freedHost)])
			}
		case 6: // toggle the guest heap registration
			if m.registered {
				e.mustCall("register_guest_heap", 0, 0)
			} else {
				e.gh.register()
			}
			m.registered = !m.registered
		case 7: // stack, null, code page, interior guest pointer
			switch b % 4 {
			case 0:
				freeAny(e.stack.Start + mm.Addr(a)*8)
			case 1:
				freeAny(0)
			case 2:
				freeAny(e.code.Start + mm.Addr(a)&^7)
			case 3:
				if p, _, ok := pick(m.guest, a); ok {
					freeAny(p + 1)
				}
			}
		case 8: // strdup: a host string
			p := mm.Addr(e.mustCall("strdup", uint64(e.str("abcdefgh"[:a%9]))))
			m.host[p] = uint64(a%9) + 1
			e.strNext = e.scratch.Start // reuse the string area
		case 9: // realloc a live host pointer
			if p, _, ok := pick(m.host, a); ok {
				q := mm.Addr(e.mustCall("realloc", uint64(p), size))
				if q != 0 {
					delete(m.host, p)
					if q != p {
						m.freedHost = append(m.freedHost, p)
					}
					m.host[q] = size
				}
			}
		case 10: // is_host_heap_allocation agrees with the model
			p, _, ok := pick(m.host, a)
			if b%2 == 1 || !ok {
				p, _, ok = pick(m.guest, a)
			}
			if ok {
				got := e.mustCall("is_host_heap_allocation", uint64(p))
				if want := hasKey(m.host, p); (got == 1) != want {
					t.Fatalf("is_host_heap_allocation(%#x) = %d, model %v", p, got, want)
				}
			}
		}
		// After every step: the model and the truth agree.
		live := e.hostLiveCounted
		if checkEach {
			live = e.hostLive
		}
		if got := live(); got != uint64(len(m.host)) {
			t.Fatalf("step %d (op %d): host heap live %d, model %d", i/3, op, got, len(m.host))
		}
		if len(e.gh.live) != len(m.guest) || len(e.gh.bad) != 0 {
			t.Fatalf("step %d: guest heap live %d, model %d; bad frees %#x", i/3, len(e.gh.live), len(m.guest), e.gh.bad)
		}
		s := e.lib.Stats()
		if s.FreesHost != m.frees || s.FreesGuest != m.guestFrees || s.FreesRejected != m.rejects || s.FreesNull != m.nulls {
			t.Fatalf("step %d: counters %+v, model host %d guest %d rejected %d null %d", i/3, s, m.frees, m.guestFrees, m.rejects, m.nulls)
		}
	}
	if got := e.hostLive(); got != uint64(len(m.host)) {
		t.Fatalf("at the end: host heap live %d, model %d", got, len(m.host))
	}
	return e.lib.Stats()
}

func hasKey(m map[mm.Addr]uint64, k mm.Addr) bool { _, ok := m[k]; return ok }

// TestFreeAnyModel runs long random operation sequences against the model
// in both modes.
func TestFreeAnyModel(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				// One subtest per seed, so each env is closed before the
				// next one's audit.
				t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
					e := newEnv(t, mode)
					r := rand.New(rand.NewPCG(seed, 0x7417))
					data := make([]byte, 3*1500)
					for i := range data {
						data[i] = byte(r.Uint32())
					}
					s := runFreeOps(t, e, data, true)
					if s.FreesHost == 0 || s.FreesGuest == 0 || s.FreesRejected == 0 || s.FreesNull == 0 {
						t.Fatalf("seed %d reached only %+v: every decision must be exercised", seed, s)
					}
					e.audit()
				})
			}
		})
	}
}

// FuzzFreeAny decodes the fuzzer's bytes into the same operations. The
// full heap Check runs once per input rather than after every step (the
// property test above does that), which keeps executions fast.
func FuzzFreeAny(f *testing.F) {
	f.Add([]byte{0, 10, 3, 2, 0, 0, 4, 0, 5})
	f.Add([]byte{6, 0, 0, 1, 20, 0, 3, 0, 0, 5, 0, 0, 7, 3, 3})
	f.Add([]byte{0, 200, 11, 9, 0, 11, 5, 0, 0, 2, 0, 0, 5, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 3*150 {
			data = data[:3*150]
		}
		runFreeOps(t, newEnv(t, mm.Mode32), data, false)
	})
}
