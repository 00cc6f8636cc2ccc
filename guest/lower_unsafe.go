// Placing decoded blocks in the code arena.
//
// unsafe is needed here because a block's ops may live in memory that is
// not Go's: the dynarec heap's blocks, mapped by mm outside the Go heap.
// An op holds no pointers, so the garbage collector has nothing to find in
// that memory, and the slice header that refers to it is an ordinary Go
// value in the block record.

package guest

import (
	"unsafe"

	"github.com/minemu/minemu/guest/isa"
)

// opBytes is the size of one op in the arena.
const opBytes = uint64(unsafe.Sizeof(isa.Op{}))

// placeOps returns ops in their final home: a CodeArena allocation (noted
// in b.arena) when the machine has an arena and the allocation succeeds,
// else a right-sized Go slice. A failing arena (the dynarec heap out of
// memory, or out of mappings) costs nothing but the fallback: it is
// counted, and logged once at warn level (then at debug), since a guest
// that exhausts memory would otherwise make every new block log a line.
func (m *Machine) placeOps(b *block, ops []isa.Op) []isa.Op {
	if m.arena != nil {
		p, err := m.arena.Alloc(uint64(len(ops)) * opBytes)
		if err == nil && uint64(p)%uint64(unsafe.Alignof(isa.Op{})) == 0 {
			dst := unsafe.Slice((*isa.Op)(gptr(uint64(p))), len(ops))
			copy(dst, ops)
			b.arena = p
			return dst
		}
		if err == nil {
			_ = m.arena.Free(p)
		}
		m.stats.ArenaFallbacks++
		ev := m.log.Debug()
		if m.stats.ArenaFallbacks == 1 {
			ev = m.log.Warn()
		}
		ev.Err(err).Uint64("fallbacks", m.stats.ArenaFallbacks).
			Msg("code arena allocation failed; keeping the block in Go memory (logged once; later ones at debug level)")
	}
	return append([]isa.Op(nil), ops...)
}
