package guest

// The block cache's budget and eviction.
//
// Every live block counts blockCost bytes against the machine's budget:
// its ops as the code arena holds them (rounded up to the arena's 16-byte
// granule, plus the 16-byte header of a dynarec LIST chunk) and a fixed
// blockOverhead for its Go-side metadata (the block record, its index
// entry, its entries in pages, its place in the age list). The sum over
// the live blocks, cacheBytes, never exceeds the budget (unless a single
// block is larger than the whole budget: then it is the only one).
//
// Policy: FIFO over decode order. Live blocks are linked oldest to newest
// (block.older, block.newer); before a newly decoded block enters the
// cache, makeRoom evicts the oldest ones until it fits. An evicted block
// is discarded exactly like an invalidated one (Machine.discard): it is
// marked dead, which is what the successor caches check, and removed from
// the index, the direct-mapped table, pages and the age list; its arena
// memory joins pendingFree and is released by releasePending where no run
// loop can be executing it. Unlike an invalidation, eviction does not set
// dirty: the evicted code has not changed, and a block an outer run loop
// is still executing (a nested CallGuest evicted it) keeps its ops, whose
// memory is not released before that loop has left the block.
//
// What stays of a dead block on the Go side is its record (ops and
// successors cleared), held only by the successor caches of live blocks
// (at most two each) and by the pc of a run loop; so the metadata too is
// bounded by the number of live blocks, which the budget bounds.

// DefaultBlockCacheBudget is the block cache's budget when
// MachineConfig.BlockCacheBudget is 0: 64 MiB, a few hundred thousand
// small blocks; the largest static guests of the tests decode a few
// thousand blocks (well under 1 MiB).
const DefaultBlockCacheBudget = 64 << 20

const (
	// arenaChunkHeader is the header the dynarec heap puts in front of
	// every allocation (a LIST chunk).
	arenaChunkHeader = 16
	// blockOverhead is the Go memory a cached block costs besides its ops:
	// the block record (a 128-byte size class), its index map entry (16
	// bytes of key and value and a control byte, in tables 7/16 to 7/8
	// full) and its pointers in pages (slices that grow by doubling).
	// TestBlockOverheadMeasured finds 150 to 161 bytes; the rest is slack.
	blockOverhead = 128 + 48 + 16
)

// blockCost is what a block of nops ops counts against the budget.
func blockCost(nops int) uint64 {
	return (uint64(nops)*opBytes+15)&^15 + arenaChunkHeader + blockOverhead
}

// enqueue makes b, just decoded, the newest block of the age list and
// counts it against the budget.
func (m *Machine) enqueue(b *block) {
	b.older, b.newer = m.newest, nil
	if m.newest != nil {
		m.newest.newer = b
	} else {
		m.oldest = b
	}
	m.newest = b
	m.cacheBytes += blockCost(len(b.ops))
	m.liveBlocks++
	m.stats.BlockCachePeakBytes = max(m.stats.BlockCachePeakBytes, m.cacheBytes)
}

// dequeue takes b, which is live, off the age list and the budget.
func (m *Machine) dequeue(b *block) {
	if b.older != nil {
		b.older.newer = b.newer
	} else {
		m.oldest = b.newer
	}
	if b.newer != nil {
		b.newer.older = b.older
	} else {
		m.newest = b.older
	}
	b.older, b.newer = nil, nil
	m.cacheBytes -= blockCost(len(b.ops))
	m.liveBlocks--
}

// makeRoom evicts the oldest blocks until cost more bytes fit in the
// budget, or until the cache is empty.
func (m *Machine) makeRoom(cost uint64) {
	for m.oldest != nil && m.cacheBytes+cost > m.budget {
		m.stats.BlocksEvicted++
		m.discard(m.oldest)
	}
}
