package engine

import (
	"math"
	"sync/atomic"

	"github.com/minemu/minemu/mm"
)

// Releasing dropped blocks: quiescent-state-based reclamation.
//
// A block that leaves the cache (invalidated or evicted) may still be
// executing on other threads: they checked that it was live a moment ago
// and are now running its ops. Its ops memory (a code arena allocation)
// can only be freed once no thread can be using it. The scheme:
//
//  1. A global epoch counter (Process.epoch) starts at 1. Retiring a block
//     (retireLocked) marks it dead first, then increments the epoch and
//     stamps the block with the new value e.
//  2. Every registered thread announces quiescent points by storing the
//     current epoch in its Thread.qs (quiesce): a quiescent point is a
//     place where the thread holds no reference to any block's ops. They
//     are: every exit of the engine to the run loop (the engine has
//     returned) and a miss in the thread's direct-mapped table (Lookup:
//     the engine is between blocks). A thread that cannot touch ops at
//     all — in a system call, in a thunk's host code, outside Run — is
//     offline: its qs is offlineQS, which no epoch reaches. A thread that
//     runs without passing one (a loop of cached blocks) is asked to:
//     reclamation that finds retired blocks waiting for it sets
//     StopQuiesce in its Context.Stop, and the engine returns to the run
//     loop before its next instruction.
//  3. A retired block may be released once every registered thread's qs
//     is at least its stamp e: each of them has passed a quiescent point
//     after the retirement (or is offline), so none still holds the block
//     from before it died, and none can pick it up again — every way to a
//     block (index, successor caches, direct-mapped tables) checks
//     liveness first, and liveness was cleared before the epoch moved.
//  4. Releasing clears the block's ops and successors and frees its arena
//     memory. Who releases: the thread that retired a block keeps it in
//     its own pending list and frees it at one of its quiescent points
//     once the grace period is over; blocks retired by no thread
//     (Invalidate and GuestWrote come from the address space and the
//     kernel) and those of threads that closed wait in the process's
//     orphans, released by any thread's quiescent point or by the next
//     invalidation.
//
// Every step uses sequentially consistent atomics (the epoch, qs, the
// liveness flag), so the argument holds for the Go memory model too: a
// thread whose qs the releaser reads as ≥ e stored it after loading an
// epoch ≥ e, which came after the block's liveness was cleared, so that
// thread sees it dead; a thread read as offline announces again before it
// looks up any block, and then sees it dead too.
//
// The cost on the hot path is nothing per instruction beyond the Stop
// check engines make anyway: qs is stored on table misses and by the run
// loop on every exit. The cost of a retirement is one atomic increment; of
// a quiescent point with pending memory, a scan of the registered threads
// (and, while some are held up, asking them to stop under the process's
// lock).

// offlineQS is the qs of a thread that cannot be using any block's ops.
const offlineQS = math.MaxUint64

// retired is a block waiting for its grace period.
type retired struct {
	b *Block
	// mem is the block's code arena allocation, 0 for Go memory.
	mem mm.Addr
	// epoch is the global epoch the retirement moved to: the block may be
	// released once every thread has announced an epoch ≥ it.
	epoch uint64
}

// retireLocked retires b, just discarded, on behalf of t (nil: no thread).
func (p *Process) retireLocked(t *Thread, b *Block) {
	r := retired{b: b, mem: b.arena, epoch: p.epoch.Add(1)}
	b.arena = 0
	if t != nil && !t.closed {
		t.pending = append(t.pending, r)
		return
	}
	p.orphans = append(p.orphans, r)
	p.norphans.Store(int32(len(p.orphans)))
}

// safeEpoch is the oldest epoch a registered thread may still be using:
// blocks retired at an epoch ≤ it can be released. With no thread online
// it is offlineQS.
func (p *Process) safeEpoch() uint64 {
	min := uint64(offlineQS)
	if ts := p.qsList.Load(); ts != nil {
		for _, t := range *ts {
			if q := t.qs.Load(); q < min {
				min = q
			}
		}
	}
	return min
}

// release frees a retired block whose grace period is over.
func (p *Process) release(r retired) {
	r.b.Ops = nil
	r.b.next[0].Store(nil)
	r.b.next[1].Store(nil)
	if r.mem != 0 {
		if err := p.code.Free(r.mem); err != nil {
			p.log.Error().Err(err).Msg("freeing a decoded block")
		}
	}
}

// freeRetiredLocked releases the entries of rs retired at an epoch ≤ safe
// and returns the rest (reusing rs's storage).
func (p *Process) freeRetired(rs []retired, safe uint64) []retired {
	n := 0
	for _, r := range rs {
		if r.epoch <= safe {
			p.release(r)
		} else {
			rs[n] = r
			n++
		}
	}
	clear(rs[n:])
	return rs[:n]
}

// freeRetiredLocked is freeRetired for the caller that holds mu (the
// orphans are guarded by it).
func (p *Process) freeRetiredLocked(rs []retired, safe uint64) []retired {
	return p.freeRetired(rs, safe)
}

// reclaimOrphansLocked releases the orphans whose grace period is over
// and asks the threads that hold up the rest to pass a quiescent point.
func (p *Process) reclaimOrphansLocked() {
	if len(p.orphans) == 0 {
		return
	}
	p.orphans = p.freeRetiredLocked(p.orphans, p.safeEpoch())
	p.norphans.Store(int32(len(p.orphans)))
	p.askQuiesceLocked(oldestEpoch(p.orphans))
}

// oldestEpoch is the smallest epoch of rs (offlineQS for none).
func oldestEpoch(rs []retired) uint64 {
	e := uint64(offlineQS)
	for _, r := range rs {
		e = min(e, r.epoch)
	}
	return e
}

// quiesce announces a quiescent point of t (see above) and releases what
// t, or the process, retired whose grace period is over. Only t's
// goroutine calls it.
func (t *Thread) quiesce() {
	t.qs.Store(t.p.epoch.Load())
	if len(t.pending) > 0 || t.p.norphans.Load() > 0 {
		t.reclaim()
	}
}

// offline marks t as unable to touch any block's ops until its next
// quiesce.
func (t *Thread) offline() { t.qs.Store(offlineQS) }

func (t *Thread) reclaim() {
	p := t.p
	safe := p.safeEpoch()
	if len(t.pending) > 0 {
		t.pending = p.freeRetired(t.pending, safe)
	}
	if p.norphans.Load() == 0 && len(t.pending) == 0 {
		return
	}
	p.mu.Lock()
	p.reclaimOrphansLocked()
	p.askQuiesceLocked(oldestEpoch(t.pending))
	p.mu.Unlock()
}

// askQuiesceLocked asks every online thread that has not announced epoch
// e yet to pass a quiescent point soon (StopQuiesce).
func (p *Process) askQuiesceLocked(e uint64) {
	if e == offlineQS {
		return
	}
	for _, th := range p.threads {
		if q := th.qs.Load(); q < e {
			atomic.OrUint32(&th.ctx.Stop, StopQuiesce)
		}
	}
}
