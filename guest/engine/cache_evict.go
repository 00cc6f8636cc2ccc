package engine

// The block cache's budget and eviction.
//
// Every live block counts blockCost bytes against the process's budget:
// its ops as the code arena holds them (rounded up to the arena's 16-byte
// granule, plus the 16-byte header of a dynarec LIST chunk) and a fixed
// blockOverhead for its Go-side metadata (the block record, its index
// entry, its entries in pages, its place in the age list). The sum over
// the live blocks, cacheBytes, never exceeds the budget (unless a single
// block is larger than the whole budget: then it is the only one).
//
// Policy: FIFO over decode order. Live blocks are linked oldest to newest
// (Block.older, Block.newer); before a newly decoded block enters the
// cache, makeRoomLocked evicts the oldest ones until it fits. An evicted
// block is discarded exactly like an invalidated one
// (Process.discardLocked): it is marked dead, which is what the successor
// caches and the direct-mapped tables check, removed from the index, pages
// and the age list, and retired: its arena memory is freed once every
// thread has passed a quiescent point (epoch.go). Unlike an invalidation,
// eviction does not make the threads leave their blocks: the evicted code
// has not changed, and a thread still executing an evicted block keeps its
// ops until it reaches a quiescent point.
//
// What stays of a dead block on the Go side is its record (ops and
// successors cleared), held only by the successor caches of live blocks
// (at most two each) and the threads' direct-mapped tables; so the
// metadata too is bounded by the number of live blocks, which the budget
// bounds, plus the tables' fixed size.

// DefaultBlockCacheBudget is the block cache's budget when
// Config.BlockCacheBudget is 0: 64 MiB, a few hundred thousand
// small blocks; the largest static guests of the tests decode a few
// thousand blocks (well under 1 MiB).
const DefaultBlockCacheBudget = 64 << 20

const (
	// arenaChunkHeader is the header the dynarec heap puts in front of
	// every allocation (a LIST chunk).
	arenaChunkHeader = 16
	// blockOverhead is the Go memory a cached block costs besides its ops:
	// the block record (a 112- or 128-byte size class), its index map
	// entry (16 bytes of key and value and a control byte, in tables 7/16
	// to 7/8 full) and its pointers in pages (slices that grow by
	// doubling).
	// TestBlockOverheadMeasured finds 150 to 161 bytes; the rest is slack.
	blockOverhead = 128 + 48 + 16
)

// blockCost is what a block of nops ops counts against the budget.
func blockCost(nops int) uint64 {
	return (uint64(nops)*opBytes+15)&^15 + arenaChunkHeader + blockOverhead
}

// enqueueLocked makes b, just decoded, the newest block of the age list and
// counts it against the budget.
func (p *Process) enqueueLocked(b *Block) {
	b.older, b.newer = p.newest, nil
	if p.newest != nil {
		p.newest.newer = b
	} else {
		p.oldest = b
	}
	p.newest = b
	p.cacheBytes += blockCost(len(b.Ops))
	p.liveBlocks++
	p.stats.BlockCachePeakBytes = max(p.stats.BlockCachePeakBytes, p.cacheBytes)
}

// dequeueLocked takes b, which is live, off the age list and the budget.
func (p *Process) dequeueLocked(b *Block) {
	if b.older != nil {
		b.older.newer = b.newer
	} else {
		p.oldest = b.newer
	}
	if b.newer != nil {
		b.newer.older = b.older
	} else {
		p.newest = b.older
	}
	b.older, b.newer = nil, nil
	p.cacheBytes -= blockCost(len(b.Ops))
	p.liveBlocks--
}

// makeRoomLocked evicts the oldest blocks until cost more bytes fit in
// the budget, or until the cache is empty; t retires them.
func (p *Process) makeRoomLocked(t *Thread, cost uint64) {
	for p.oldest != nil && p.cacheBytes+cost > p.budget {
		p.stats.BlocksEvicted++
		p.discardLocked(t, p.oldest)
	}
}
