//go:build !race

package mm

// This file and heap_lock_unsafe_amd64.s are the heap's lock on x86-64: a
// lock acquired with one compare-and-swap and released with a plain store.
// The release is written in assembly because Go has no release-only store:
// sync/atomic's Store is an XCHG, a locked instruction as costly as the
// compare-and-swap (measured: docs/RATIONALE.md, "Why does the heap have
// its own lock on x86-64?"). A plain MOV is a correct release on x86-64,
// whose memory model (TSO) never lets an earlier load or store pass a later
// store; the call to an assembly function is opaque to the Go compiler, so
// it keeps every access of the critical section before the call. The race
// detector cannot see this release, so a -race build uses sync.Mutex
// (heap_lock.go).

import (
	"runtime"
	"sync/atomic"
	"time"
)

// heapMutex is a spin lock: state is 1 while held, 0 when free. Lock spins
// briefly on a held lock, then yields the processor between attempts, and
// after a thousand attempts sleeps between them, so a holder that was
// descheduled gets to run and a waiter does not burn a CPU meanwhile. The
// heap's critical sections are short (the longest map or unmap one block),
// so a waiter rarely yields more than a few times. A sleeping waiter cannot
// be woken by Unlock (a plain store cannot tell whether anyone waits
// without a fence), so it polls: time.Sleep(time.Microsecond) lasts as
// long as the runtime's timers take, measured 0.37-0.43 ms on the project
// machine, and a waiter that got that far may take that long to notice the
// release.
type heapMutex struct {
	state uint32 // 0 free, 1 held; written by CAS (Lock) and storeRelease (Unlock)
}

// Lock acquires m.
func (m *heapMutex) Lock() {
	if atomic.CompareAndSwapUint32(&m.state, 0, 1) {
		return
	}
	m.lockSlow()
}

func (m *heapMutex) lockSlow() {
	for i := 0; ; i++ {
		if atomic.LoadUint32(&m.state) == 0 && atomic.CompareAndSwapUint32(&m.state, 0, 1) {
			return
		}
		switch {
		case i < 64: // spin: the holder is likely running
		case i < 1024:
			runtime.Gosched()
		default: // the holder's thread is not running: stop burning a CPU
			time.Sleep(time.Microsecond)
		}
	}
}

// Unlock releases m, which the caller holds.
func (m *heapMutex) Unlock() { storeRelease(&m.state) }

// storeRelease stores 0 to *p with a plain MOV (heap_lock_unsafe_amd64.s).
//
//go:noescape
func storeRelease(p *uint32)
