// Placing decoded blocks in the code arena, and minemu's own data in the
// data arena.
//
// unsafe is needed here because a block's ops may live in memory that is
// not Go's: the dynarec heap's blocks, mapped by mm outside the Go heap.
// An op holds no pointers, so the garbage collector has nothing to find in
// that memory, and the slice header that refers to it is an ordinary Go
// value in the block record. The same holds for the threads' contexts and
// the code-page filter in the primary heap: pointer-free values at stable
// addresses, reached through typed pointers the collector ignores.

package engine

import (
	"unsafe"

	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// opBytes is the size of one op in the arena.
const opBytes = uint64(unsafe.Sizeof(isa.Op{}))

// placeOpsLocked returns ops in their final home: a code arena allocation
// (noted in b.arena) when the process has one and the allocation
// succeeds, else a right-sized Go slice. A failing arena (the dynarec heap
// out of memory, or out of mappings) costs nothing but the fallback: it is
// counted, and logged once at warn level (then at debug), since a guest
// that exhausts memory would otherwise make every new block log a line.
func (p *Process) placeOpsLocked(b *Block, ops []isa.Op) []isa.Op {
	if p.code != nil {
		a, err := p.code.Alloc(uint64(len(ops)) * opBytes)
		if err == nil && uint64(a)%uint64(unsafe.Alignof(isa.Op{})) == 0 {
			dst := unsafe.Slice((*isa.Op)(gptr(uint64(a))), len(ops))
			copy(dst, ops)
			b.arena = a
			return dst
		}
		if err == nil {
			_ = p.code.Free(a)
		}
		p.stats.ArenaFallbacks++
		ev := p.log.Debug()
		if p.stats.ArenaFallbacks == 1 {
			ev = p.log.Warn()
		}
		ev.Err(err).Uint64("fallbacks", p.stats.ArenaFallbacks).
			Msg("code arena allocation failed; keeping the block in Go memory (logged once; later ones at debug level)")
	}
	return append([]isa.Op(nil), ops...)
}

// newContext allocates a thread's context in data (zeroed), or in Go
// memory without one (mem 0).
func newContext(data Arena) (x *Context, mem mm.Addr, err error) {
	if data == nil {
		return new(Context), 0, nil
	}
	a, err := data.Alloc(uint64(unsafe.Sizeof(Context{})))
	if err != nil {
		return nil, 0, err
	}
	if uint64(a)%uint64(unsafe.Alignof(Context{})) != 0 {
		_ = data.Free(a)
		return nil, 0, errMisaligned
	}
	x = (*Context)(gptr(uint64(a)))
	*x = Context{}
	return x, a, nil
}

// newFilter allocates the code-page filter in data (zeroed), or in Go
// memory without one (mem 0).
func newFilter(data Arena) (f *[FilterWords]uint64, mem mm.Addr, err error) {
	if data == nil {
		return new([FilterWords]uint64), 0, nil
	}
	a, err := data.Alloc(uint64(unsafe.Sizeof([FilterWords]uint64{})))
	if err != nil {
		return nil, 0, err
	}
	if a%8 != 0 {
		_ = data.Free(a)
		return nil, 0, errMisaligned
	}
	f = (*[FilterWords]uint64)(gptr(uint64(a)))
	*f = [FilterWords]uint64{}
	return f, a, nil
}
