package engine

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/guest/isa/decode"
	"github.com/minemu/minemu/mm"
)

// The shared code cache.
//
//  1. Blocks. A block is the straight-line run of guest instructions from
//     an entry address up to and including the first instruction that can
//     change control flow (or maxBlockOps instructions, then a synthetic
//     fall-through); a direct jmp within a page of the entry is followed
//     instead (up to maxFollows, never back into the block): it gets no op
//     and its target's op carries isa.FlagJumped, and the block's bytes
//     [Lo, End) cover the jumps too. It is decoded and lowered once (decodeBlockLocked)
//     into a slice of ops; the slice lives in the code arena when one is
//     configured (the dynarec heap's 2 MiB blocks) and in Go memory
//     otherwise.
//  2. Lookup. index maps an entry address to its live block. In front of
//     it sit two cheaper caches: every block remembers up to two
//     successors (checked by entry address and liveness), and each thread
//     has a direct-mapped table (Thread.fast) that catches indirect targets
//     such as return addresses. Both may name dead blocks; every use checks
//     Live first.
//  3. Code pages. pages maps every page that holds decoded bytes to the
//     blocks on it; the filter is a hashed one-bit-per-bucket summary of
//     the same pages that every guest store consults. A store that hits a
//     set bit takes the slow path (Thread.CodeWrite): blocks overlapping
//     the written bytes are dropped and the storing thread leaves the
//     block it runs before its next instruction (StopInvalidate in Context.Stop), so
//     self-modifying code sees its own writes. Filter bits are only
//     cleared by a rebuild after many false hits.
//  4. Invalidation. Invalidate(r) drops every block overlapping r; the
//     GuestSpace change hook calls it on munmap, mprotect, mremap and
//     MAP_FIXED replacement. A dropped block is marked dead (so successor
//     and direct-mapped references to it miss), removed from index and
//     pages, and retired: its ops stay readable until every thread has
//     passed a quiescent point (epoch.go), then its arena memory is freed.
//  5. Budget. The live blocks' ops and metadata count against a budget
//     (Config.BlockCacheBudget); when a new block does not fit, the oldest
//     blocks are evicted, first decoded first out, through the same
//     discard and retire path as a dropped block (cache_evict.go).
//
// Concurrency: the index, pages, the age list, badInst and the budget are
// guarded by Process.mu; decoding happens under it. What the threads read
// without the lock is atomic: a block's liveness and successors, and the
// filter's words.

// maxBlockOps bounds the length of a block.
const maxBlockOps = 128

// Block is one decoded basic block. Engines read Start, End, Ops and
// NInstr; everything else is the cache's.
type Block struct {
	// Start is the block's entry address. Lo and End delimit the guest
	// bytes it was decoded from (Lo < Start when it follows a jump
	// backwards); all immutable.
	Start, Lo, End uint64
	// Ops are the lowered instructions; the last one ends the block.
	// Immutable; an engine reads them only after Live said true, and they
	// are cleared once the block, dead, has passed its grace period.
	Ops []isa.Op
	// NInstr is the number of guest instructions in Ops (OpFallthrough is
	// not one); immutable.
	NInstr uint64
	// live is false once the block has been discarded; it never becomes
	// true again.
	live atomic.Bool
	// next is the successor cache, most recently stored first: nextPC[i]
	// is the entry address next[i] was stored for. The two are written
	// apart (any thread may store), so a hit also checks the block's own
	// Start.
	nextPC [2]atomic.Uint64
	next   [2]atomic.Pointer[Block]
	// arena is the code arena allocation holding Ops, 0 for Go memory or
	// once retired; guarded by Process.mu.
	arena mm.Addr
	// older and newer link the live blocks in decode order
	// (Process.oldest to Process.newest); both nil once the block is dead.
	// Guarded by Process.mu.
	older, newer *Block
}

// Live reports whether b is still in the cache.
func (b *Block) Live() bool { return b.live.Load() }

// Next returns the successor of b that starts at pc, if b's successor
// cache holds a live one.
func (b *Block) Next(pc uint64) *Block {
	if b.nextPC[0].Load() == pc {
		if s := b.next[0].Load(); s != nil && s.Start == pc && s.live.Load() {
			return s
		}
	}
	if b.nextPC[1].Load() == pc {
		if s := b.next[1].Load(); s != nil && s.Start == pc && s.live.Load() {
			return s
		}
	}
	return nil
}

// SetNext remembers nb as the most recent successor of b (the older one
// moves to the second slot). Only a live b remembers anything: a dead one
// must not keep a chain of blocks alive.
func (b *Block) SetNext(nb *Block) {
	if b.live.Load() {
		b.nextPC[1].Store(b.nextPC[0].Load())
		b.next[1].Store(b.next[0].Load())
		b.nextPC[0].Store(nb.Start)
		b.next[0].Store(nb)
	}
}

// fastEntry is a slot of a thread's direct-mapped block table.
type fastEntry struct {
	pc uint64
	b  *Block
}

const (
	fastBits   = 12
	filterBits = 16 // 64 Ki one-bit buckets of pages
	// FilterWords is the size of the code-page filter in 64-bit words.
	FilterWords = 1 << filterBits / 64
)

// FilterSlot is the word and bit of the code-page filter for page (an
// address >> mm.PageShift).
func FilterSlot(page uint64) (int, uint64) {
	h := (page ^ page>>filterBits) & (1<<filterBits - 1)
	return int(h >> 6), 1 << (h & 63)
}

// CodeFilter is the process's code-page filter: a store to page p must
// call Thread.CodeWrite when the bit FilterSlot(p) is set (read the word
// with an atomic load; it changes under other threads).
func (p *Process) CodeFilter() *[FilterWords]uint64 { return p.filter }

// Lookup returns the live block at pc, decoding it if needed. A miss in
// the thread's direct-mapped table is a quiescent point: the caller must
// not touch the ops of any block it obtained before the call.
func (t *Thread) Lookup(pc uint64) *Block {
	e := &t.fast[(pc^pc>>fastBits)&(1<<fastBits-1)]
	if e.pc == pc && e.b != nil && e.b.live.Load() {
		return e.b
	}
	t.quiesce()
	p := t.p
	p.mu.Lock()
	b := p.index[pc]
	if b == nil {
		b = p.decodeBlockLocked(t, pc)
	}
	p.mu.Unlock()
	e.pc, e.b = pc, b
	return b
}

// Invalidate drops every decoded block with bytes in r.
func (p *Process) Invalidate(r mm.AddrRange) {
	if r.Start >= r.End {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	first, last := uint64(r.Start)>>mm.PageShift, uint64(r.End-1)>>mm.PageShift
	if last-first+1 > uint64(len(p.pages)) {
		for pg, bs := range p.pages {
			if pg >= first && pg <= last {
				p.dropOverlappingLocked(nil, bs, uint64(r.Start), uint64(r.End))
			}
		}
	} else {
		for pg := first; pg <= last; pg++ {
			if bs, ok := p.pages[pg]; ok {
				p.dropOverlappingLocked(nil, bs, uint64(r.Start), uint64(r.End))
			}
		}
	}
	p.reclaimOrphansLocked()
}

// dropOverlappingLocked drops the blocks of bs that overlap [start, end);
// t is the thread that caused it, nil for none.
func (p *Process) dropOverlappingLocked(t *Thread, bs []*Block, start, end uint64) {
	var victims []*Block
	for _, b := range bs {
		if b.live.Load() && b.Lo < end && start < b.End {
			victims = append(victims, b)
		}
	}
	for _, b := range victims {
		p.dropLocked(t, b)
	}
}

// dropLocked invalidates b, whose code or mapping changed; t, the thread
// whose store changed it (nil for none), leaves the block it runs before
// its next instruction (StopInvalidate).
func (p *Process) dropLocked(t *Thread, b *Block) {
	if t != nil {
		atomic.OrUint32(&t.ctx.Stop, StopInvalidate)
	}
	p.stats.Invalidations++
	p.discardLocked(t, b)
}

// discardLocked takes the live block b out of the cache, invalidated
// (dropLocked) or evicted (makeRoomLocked): it is marked dead, which the
// successor caches and the direct-mapped tables check, removed from the
// index, pages and the age list, and retired (epoch.go) by t, or by the
// process when t is nil.
func (p *Process) discardLocked(t *Thread, b *Block) {
	p.dequeueLocked(b)
	b.live.Store(false)
	if p.index[b.Start] == b {
		delete(p.index, b.Start)
	}
	for pg := b.Lo >> mm.PageShift; pg <= (b.End-1)>>mm.PageShift; pg++ {
		bs := p.pages[pg]
		for i, x := range bs {
			if x == b {
				bs[i] = bs[len(bs)-1]
				bs = bs[:len(bs)-1]
				break
			}
		}
		if len(bs) == 0 {
			delete(p.pages, pg)
		} else {
			p.pages[pg] = bs
		}
	}
	for i := range b.Ops {
		if b.Ops[i].Code == isa.OpInvalid {
			delete(p.badInst, b.Ops[i].PC)
		}
	}
	p.retireLocked(t, b)
}

// GuestWrote drops decoded code in r, which something other than an
// engine (a system call) has written.
func (p *Process) GuestWrote(r mm.AddrRange) {
	if r.Start < r.End {
		p.noteWrite(nil, uint64(r.Start), r.Length())
	}
}

// NoteWrite drops decoded code in [a, a+n) before a bulk write by t's
// engine (rep movs, rep stos); n > 0 and the range does not wrap.
func (t *Thread) NoteWrite(a, n uint64) { t.p.noteWrite(t, a, n) }

func (p *Process) noteWrite(t *Thread, a, n uint64) {
	for pg := a >> mm.PageShift; pg <= (a+n-1)>>mm.PageShift; pg++ {
		if w, bit := FilterSlot(pg); atomic.LoadUint64(&p.filter[w])&bit != 0 {
			p.codeWrite(t, a, n)
			return
		}
	}
}

// CodeWrite is the slow path of a store by t's engine to [a, a+n) that hit
// the code filter: blocks overlapping the bytes are dropped.
func (t *Thread) CodeWrite(a, n uint64) { t.p.codeWrite(t, a, n) }

func (p *Process) codeWrite(t *Thread, a, n uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	end := a + n
	hit := false
	for pg := a >> mm.PageShift; pg <= (end-1)>>mm.PageShift; pg++ {
		if bs, ok := p.pages[pg]; ok {
			hit = true
			p.dropOverlappingLocked(t, bs, a, end)
		}
	}
	if !hit {
		p.filterMisses++
		if p.filterMisses > 4096 {
			p.rebuildFilterLocked()
		}
	}
	if t == nil {
		p.reclaimOrphansLocked()
	}
}

func (p *Process) rebuildFilterLocked() {
	var f [FilterWords]uint64
	for pg := range p.pages {
		w, bit := FilterSlot(pg)
		f[w] |= bit
	}
	for i := range f {
		atomic.StoreUint64(&p.filter[i], f[i])
	}
	p.filterMisses = 0
}

// decodeBlockLocked decodes and lowers the block at pc for t and enters it
// in the cache. Undecodable or unreadable bytes become ops that kill the
// guest when (and only if) they are reached.
func (p *Process) decodeBlockLocked(t *Thread, pc uint64) *Block {
	ops := make([]isa.Op, 0, 16)
	cur := pc
	var ninstr uint64
	follows, jumped := 0, false
	// jlo and jend cover the followed jmps' own bytes (a store to them
	// must drop the block too).
	jlo, jend := pc, pc
	for len(ops) < maxBlockOps {
		o := p.decodeOneLocked(cur)
		ninstr++
		if o.Code == isa.OpJmp && p.followable(pc, ops, o.Imm) && follows < maxFollows {
			// Go on decoding at the target: the jmp gets no op, the
			// target's op carries FlagJumped.
			follows++
			jlo, jend = min(jlo, o.PC), max(jend, o.PC+uint64(o.Len))
			jumped, cur = true, o.Imm
			continue
		}
		if jumped {
			o.Flags |= isa.FlagJumped
			jumped = false
		}
		ops = append(ops, o)
		cur = (cur + uint64(o.Len)) & p.ipMask()
		if o.EndsBlock() {
			break
		}
	}
	if last := &ops[len(ops)-1]; !last.EndsBlock() {
		ops = append(ops, isa.Op{Code: isa.OpFallthrough, PC: cur, Imm: cur})
	}
	ops = ops[:isa.Fuse(ops)]
	end, lo := jend, jlo
	for i := range ops {
		if e := ops[i].PC + uint64(ops[i].Len); e > end {
			end = e
		}
		if ops[i].Code != isa.OpFallthrough && ops[i].PC < lo {
			lo = ops[i].PC
		}
	}
	if end == pc {
		end = pc + 1 // a fault op still occupies its first byte
	}
	// Evicting may delete badInst messages of this block's instructions
	// that an evicted block shared; invalidExit decodes them again.
	p.makeRoomLocked(t, blockCost(len(ops)))
	b := &Block{Start: pc, Lo: lo, End: end, NInstr: ninstr}
	b.live.Store(true)
	b.Ops = p.placeOpsLocked(b, ops)
	if pr, ok := p.engine.(Preparer); ok {
		// On the placed ops, before any thread can see the block (the
		// decoding buffer stays on the stack).
		pr.Prepare(b.Ops)
	}
	p.enqueueLocked(b)
	p.index[pc] = b
	for pg := lo >> mm.PageShift; pg <= (end-1)>>mm.PageShift; pg++ {
		p.pages[pg] = append(p.pages[pg], b)
		w, bit := FilterSlot(pg)
		atomic.OrUint64(&p.filter[w], bit)
	}
	p.stats.BlocksDecoded++
	return b
}

// maxFollows bounds the direct jumps one block follows.
const maxFollows = 4

// followable reports whether the block decoder, decoding the block at
// start whose ops so far are ops, follows a direct jmp to target: one that
// stays within a page of start (so that the block's byte range, which
// invalidation and the page lists use, stays small) and does not lead back
// into the block (a loop stays a loop of blocks).
func (p *Process) followable(start uint64, ops []isa.Op, target uint64) bool {
	if target+mm.PageSize < start || target > start+mm.PageSize {
		return false
	}
	if target == start {
		return false
	}
	for i := range ops {
		if ops[i].PC == target {
			return false
		}
	}
	return true
}

// decodeOneLocked lowers the instruction at pc.
func (p *Process) decodeOneLocked(pc uint64) isa.Op {
	if p.trap != 0 && pc == p.trap {
		return isa.Op{Code: isa.OpTrap, PC: pc, Len: 2}
	}
	var buf [decode.ThunkLen]byte
	n := p.fetch(pc, buf[:])
	if n == 0 {
		return isa.Op{Code: isa.OpFetchFault, PC: pc, Imm: pc}
	}
	inst, err := decode.Decode(buf[:n], pc, p.mode)
	switch {
	case errors.Is(err, decode.ErrTruncated):
		return isa.Op{Code: isa.OpFetchFault, PC: pc, Imm: pc + uint64(n)}
	case errors.Is(err, decode.ErrTooLong):
		return isa.Op{Code: isa.OpGP, PC: pc}
	case err != nil:
		p.badInst[pc] = err.Error()
		p.log.Debug().Err(err).Msg("undecodable guest instruction")
		return isa.Op{Code: isa.OpInvalid, PC: pc}
	}
	o, err := isa.Lower(&inst, pc, p.mode)
	if err != nil {
		p.badInst[pc] = (&decode.DecodeError{Addr: pc, Bytes: decode.PrefixBytes(buf[:inst.Len]), Reason: err.Error()}).Error()
		p.log.Debug().Str("detail", p.badInst[pc]).Msg("unsupported guest instruction")
		return isa.Op{Code: isa.OpInvalid, PC: pc}
	}
	if o.Code == isa.OpThunk {
		if p.thunker == nil {
			p.badInst[pc] = fmt.Sprintf("invalid instruction at %#x (bytes % x): thunk stub without a thunk layer", pc, buf[:2])
			return isa.Op{Code: isa.OpInvalid, PC: pc}
		}
		var h [32]byte
		copy(h[:], buf[2:decode.ThunkLen])
		id, err := p.thunker.Resolve(h)
		if err != nil {
			p.badInst[pc] = fmt.Sprintf("thunk stub at %#x: %v", pc, err)
			return isa.Op{Code: isa.OpInvalid, PC: pc}
		}
		o.Imm = uint64(id)
	}
	return o
}

// fetch copies the instruction bytes at pc into buf, stopping at the first
// byte that is not mapped executable; it returns the count.
func (p *Process) fetch(pc uint64, buf []byte) int {
	n := 0
	for n < len(buf) {
		a := pc + uint64(n)
		if p.mode == mm.Mode32 && a >= 1<<32 {
			break
		}
		chunk := min(uint64(len(buf)-n), (a|mm.PageMask)+1-a)
		if p.space != nil {
			prot, ok := p.space.Prot(mm.Addr(a))
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

// invalidExitLocked describes the FaultInvalid at pc.
func (p *Process) invalidMessageLocked(pc uint64) string {
	msg, ok := p.badInst[pc]
	if !ok {
		// Dropped with another block that held the same instruction:
		// decode it again for the message.
		p.decodeOneLocked(pc)
		if msg, ok = p.badInst[pc]; !ok {
			msg = fmt.Sprintf("invalid instruction at %#x", pc)
		}
	}
	return msg
}
