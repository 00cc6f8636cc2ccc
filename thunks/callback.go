package thunks

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
)

// GuestCaller runs a guest function on the guest thread of c and returns
// its result (host→guest callback). *engine.Thread provides it: it pushes a
// return trap (0F 3E) as the return address, passes args as the guest ABI
// says (i386: on the guest stack; x86-64: RDI, RSI, RDX, RCX, R8, R9), runs
// the interpreter until the trap and restores the registers the ABI says
// the callee preserves.
type GuestCaller interface {
	CallGuest(c *cpu.CPU, fn uint64, args ...uint64) (uint64, error)
	// CallbacksInProgress is the number of CallGuest calls in progress
	// on the guest thread of c: the one count of callback nesting, kept
	// by whatever runs the guest (engine.Thread), which the thunk layer
	// reads for its bound and its counters.
	CallbacksInProgress(c *cpu.CPU) int
}

// DefaultMaxCallbackDepth bounds how deeply host→guest callbacks nest on
// one guest thread: 64 callbacks may be in progress on a thread at once,
// the 65th is refused.
const DefaultMaxCallbackDepth = 64

// ErrCallbackDepth is returned (wrapped) when a callback would nest deeper
// than the bound.
var ErrCallbackDepth = errors.New("host→guest callbacks nested too deeply")

// ErrNoCaller is returned when a callback is needed but no GuestCaller has
// been set.
var ErrNoCaller = errors.New("no guest caller: host→guest callbacks unavailable")

// Callbacks bounds and counts host→guest callbacks. Nesting happens when a
// guest function called back by the host itself calls a thunk that calls
// back again; the depth is the GuestCaller's count of callbacks in
// progress on the guest thread (GuestCaller.CallbacksInProgress), kept in
// that one place.
//
// The counters count callbacks that ran: Call counts one when the guest
// function returned, or when the guest ended while it ran (CallGuest
// returned a *engine.ExitError: the guest exited, or died of a signal or of
// a fatal thunk error inside the callback, such as a nested callback
// refused); a callback refused before the guest function started (the
// bound, no caller, a CallGuest that could not set the call up) is not
// counted.
type Callbacks struct {
	// max is the deepest nesting allowed; immutable.
	max int
	// caller runs guest code; set once before the guest runs, read
	// without a lock afterwards (atomic).
	caller atomic.Pointer[GuestCaller]
	// total counts callbacks that ran; atomic.
	total atomic.Uint64
	// deepest is the deepest nesting at which a callback ran; atomic.
	deepest atomic.Int64
}

// NewCallbacks returns a Callbacks allowing max nested callbacks per guest
// thread (DefaultMaxCallbackDepth if max <= 0).
func NewCallbacks(max int) *Callbacks {
	if max <= 0 {
		max = DefaultMaxCallbackDepth
	}
	return &Callbacks{max: max}
}

// SetCaller sets the guest runner (the Machine, once it exists).
func (cb *Callbacks) SetCaller(gc GuestCaller) { cb.caller.Store(&gc) }

// Max is the nesting bound.
func (cb *Callbacks) Max() int { return cb.max }

// Depth is the number of callbacks in progress on c (0 before a caller is
// set).
func (cb *Callbacks) Depth(c *cpu.CPU) int {
	if p := cb.caller.Load(); p != nil && *p != nil {
		return (*p).CallbacksInProgress(c)
	}
	return 0
}

// Total is the number of callbacks that ran.
func (cb *Callbacks) Total() uint64 { return cb.total.Load() }

// Deepest is the deepest nesting at which a callback ran.
func (cb *Callbacks) Deepest() int { return int(cb.deepest.Load()) }

// Call runs guest function fn with args on c's thread. It fails without
// running anything when no caller is set or the callback would be the
// (Max+1)th in progress on c.
func (cb *Callbacks) Call(c *cpu.CPU, fn uint64, args ...uint64) (uint64, error) {
	p := cb.caller.Load()
	if p == nil || *p == nil {
		return 0, ErrNoCaller
	}
	d := (*p).CallbacksInProgress(c) + 1 // the depth this callback runs at
	if d > cb.max {
		return 0, fmt.Errorf("%w: %d callbacks in progress, the bound, calling guest function %#x", ErrCallbackDepth, cb.max, fn)
	}
	ret, err := (*p).CallGuest(c, fn, args...)
	if err == nil || endedInGuest(err) {
		cb.total.Add(1)
		for {
			old := cb.deepest.Load()
			if int64(d) <= old || cb.deepest.CompareAndSwap(old, int64(d)) {
				break
			}
		}
	}
	return ret, err
}

// endedInGuest reports whether a CallGuest error says the guest function
// ran and the guest ended during it. (A function of its own, so that the
// target of errors.As escapes only on this path.)
func endedInGuest(err error) bool {
	var exit *engine.ExitError
	return errors.As(err, &exit)
}
