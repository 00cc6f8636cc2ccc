package thunks

import "github.com/minemu/minemu/mm"

// Layout is the packed-argument struct of one function for one ABI:
//
//	struct minemu_args_<name> {
//		uintptr_t <param 0>;   // offset 0
//		...
//		uintptr_t <param n-1>; // offset (n-1)*Width
//		uintptr_t ret;         // offset n*Width
//	};
//
// Every field is one guest pointer width (4 bytes for i386, 8 for x86-64),
// so natural alignment adds no padding and the C compiler of either ABI
// produces exactly this layout from the generated header.
type Layout struct {
	// Width is the slot width in bytes: 4 (Mode32) or 8 (Mode64).
	Width uint64
	// NArgs is the number of argument slots before the result slot.
	NArgs int
	// Size is (NArgs+1)*Width.
	Size uint64
}

// WordWidth is the guest pointer width of mode in bytes.
func WordWidth(mode mm.Mode) uint64 {
	if mode == mm.Mode32 {
		return 4
	}
	return 8
}

// LayoutFor returns the layout of a function with nargs parameters.
func LayoutFor(mode mm.Mode, nargs int) Layout {
	w := WordWidth(mode)
	return Layout{Width: w, NArgs: nargs, Size: uint64(nargs+1) * w}
}

// Arg is the address of argument slot i in the struct at base. The caller
// has checked [base, base+Size) with NewRange, so the sum cannot wrap.
func (l Layout) Arg(base mm.Addr, i int) mm.Addr { return base + mm.Addr(uint64(i)*l.Width) }

// Result is the address of the result slot in the struct at base.
func (l Layout) Result(base mm.Addr) mm.Addr { return base + mm.Addr(uint64(l.NArgs)*l.Width) }

// pack writes vals into the argument slots of the struct at base and
// zeroes the result slot, as the generated C wrapper does; each value is
// truncated to the slot width. It is the guest side of the ABI, used by
// tests and by host code that prepares argument blocks.
func (l Layout) pack(m guestMem, base mm.Addr, vals []uint64) error {
	r, ok := mm.NewRange(base, l.Size)
	if !ok || len(vals) != l.NArgs || !m.ok(r, protRW) {
		return errFault
	}
	for i, v := range vals {
		m.storeWord(l.Arg(base, i), v)
	}
	m.storeWord(l.Result(base), 0)
	return nil
}

// unpack reads the argument slots and the result slot of the struct at
// base, zero-extended.
func (l Layout) unpack(m guestMem, base mm.Addr) (vals []uint64, ret uint64, err error) {
	r, ok := mm.NewRange(base, l.Size)
	if !ok || !m.ok(r, protR) {
		return nil, 0, errFault
	}
	vals = make([]uint64, l.NArgs)
	for i := range vals {
		vals[i] = m.loadWord(l.Arg(base, i))
	}
	return vals, m.loadWord(l.Result(base)), nil
}
