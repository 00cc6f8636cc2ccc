package interp

import (
	"sync/atomic"

	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/mm"
)

// Locked instructions (isa.OpAtomic) are package locked's; the machine is
// the guest memory it sees. NoteWrite, Load and Store implement
// locked.Memory: the slow part of storeSlow (an operand spans at most two
// pages), and the machine's accesses.

func (m *machine) NoteWrite(a uint64, size uint8) {
	last := (a + uint64(size) - 1) >> mm.PageShift
	if m.mode == mm.Mode32 && a+uint64(size) > 1<<32 {
		m.NoteWrite(a, uint8(1<<32-a))
		m.NoteWrite(0, size-uint8(1<<32-a))
	} else if w, bit := engine.FilterSlot(a >> mm.PageShift); atomic.LoadUint64(&m.filter[w])&bit != 0 {
		m.t.CodeWrite(a, uint64(size))
	} else if w, bit := engine.FilterSlot(last); atomic.LoadUint64(&m.filter[w])&bit != 0 {
		m.t.CodeWrite(a, uint64(size))
	}
}

func (m *machine) Load(a uint64, size uint8) uint64     { return m.load(a, size) }
func (m *machine) Store(a uint64, size uint8, v uint64) { m.store(a, size, v) }
