package thunks

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/minemu/minemu/guest"
)

// GuestCaller runs a guest function on the guest thread of c and returns
// its result (host→guest callback). *guest.Machine provides it: it pushes a
// return trap (0F 3E) as the return address, passes args as the guest ABI
// says (i386: on the guest stack; x86-64: RDI, RSI, RDX, RCX, R8, R9), runs
// the interpreter until the trap and restores the registers the ABI says
// the callee preserves.
type GuestCaller interface {
	CallGuest(c *guest.CPU, fn uint64, args ...uint64) (uint64, error)
}

// DefaultMaxCallbackDepth bounds how deeply host→guest callbacks nest on
// one guest thread.
const DefaultMaxCallbackDepth = 64

// ErrCallbackDepth is returned (wrapped) when a callback would nest deeper
// than the bound.
var ErrCallbackDepth = errors.New("host→guest callbacks nested too deeply")

// ErrNoCaller is returned when a callback is needed but no GuestCaller has
// been set.
var ErrNoCaller = errors.New("no guest caller: host→guest callbacks unavailable")

// Callbacks bounds and counts host→guest callbacks. Nesting happens when a
// guest function called back by the host itself calls a thunk that calls
// back again; the depth is counted per guest thread (per *guest.CPU).
type Callbacks struct {
	// max is the deepest nesting allowed; immutable.
	max int
	// caller runs guest code; set once before the guest runs, read
	// without a lock afterwards (atomic).
	caller atomic.Pointer[GuestCaller]
	// total counts callbacks started; atomic.
	total atomic.Uint64
	// deepest is the deepest nesting reached; atomic.
	deepest atomic.Int64

	// mu guards depth.
	mu sync.Mutex
	// depth maps each guest thread with a callback in progress to the
	// number of callbacks in progress on it; entries are removed at zero.
	depth map[*guest.CPU]int
}

// NewCallbacks returns a Callbacks allowing max nested callbacks per guest
// thread (DefaultMaxCallbackDepth if max <= 0).
func NewCallbacks(max int) *Callbacks {
	if max <= 0 {
		max = DefaultMaxCallbackDepth
	}
	return &Callbacks{max: max, depth: make(map[*guest.CPU]int)}
}

// SetCaller sets the guest runner (the Machine, once it exists).
func (cb *Callbacks) SetCaller(gc GuestCaller) { cb.caller.Store(&gc) }

// Max is the nesting bound.
func (cb *Callbacks) Max() int { return cb.max }

// Depth is the number of callbacks in progress on c.
func (cb *Callbacks) Depth(c *guest.CPU) int {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.depth[c]
}

// Total is the number of callbacks started.
func (cb *Callbacks) Total() uint64 { return cb.total.Load() }

// Deepest is the deepest nesting reached.
func (cb *Callbacks) Deepest() int { return int(cb.deepest.Load()) }

// Call runs guest function fn with args on c's thread. It fails without
// running anything when no caller is set or the nesting bound would be
// exceeded.
func (cb *Callbacks) Call(c *guest.CPU, fn uint64, args ...uint64) (uint64, error) {
	p := cb.caller.Load()
	if p == nil || *p == nil {
		return 0, ErrNoCaller
	}
	cb.mu.Lock()
	d := cb.depth[c]
	if d >= cb.max {
		cb.mu.Unlock()
		return 0, fmt.Errorf("%w: depth %d reached calling guest function %#x", ErrCallbackDepth, cb.max, fn)
	}
	cb.depth[c] = d + 1
	cb.mu.Unlock()
	cb.total.Add(1)
	for {
		old := cb.deepest.Load()
		if int64(d+1) <= old || cb.deepest.CompareAndSwap(old, int64(d+1)) {
			break
		}
	}
	defer func() {
		cb.mu.Lock()
		if cb.depth[c] <= 1 {
			delete(cb.depth, c)
		} else {
			cb.depth[c]--
		}
		cb.mu.Unlock()
	}()
	return (*p).CallGuest(c, fn, args...)
}
