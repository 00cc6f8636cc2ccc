// Package locked executes the interpreter's locked instructions: every
// locked read-modify-write of memory (a LOCK prefix, or xchg with a memory
// operand, which is locked without one) as one atomic step on the real
// memory.
//
// Lowering turns each such instruction into isa.OpAtomic with the unlocked
// opcode in Cond, so the unlocked cases of the interpreter's hot switch
// stay as they are; the interpreter computes the operand's address and
// hands the op to Exec with its thread and the process's code filter.
//
// Every such instruction is one compare-and-swap loop on the real memory
// (the guest's memory is host memory, identity mapped): read the old
// value, compute the new one and the instruction's other effects from it
// exactly as the unlocked instruction would, and store it with a CAS that
// fails if another thread changed the memory in between; only the
// successful round's effects on registers and flags are kept. Hence a
// locked instruction is one indivisible step for every other guest thread,
// whatever they run: other locked instructions, plain loads and stores
// (x86 stores of up to 8 aligned bytes are single accesses in the
// interpreter too), or the host kernel's futex operations on the same
// word.
//
//   - An operand of 4 or 8 bytes at an address aligned to its size uses
//     the host's CAS of that width on the operand itself, or a direct form
//     where the host has one: atomic add for xadd, add, sub, inc and dec,
//     atomic and and or, swap for xchg.
//   - A smaller or misaligned operand that lies inside one aligned 8-byte
//     word uses a CAS of that whole word, changing only the operand's
//     bytes: the host's lock is on the word, which is as good (the other
//     bytes are written back as they were read, and a concurrent change
//     to them fails the CAS and retries).
//   - cmpxchg16b needs its operand 16-byte aligned (#GP, SIGSEGV,
//     otherwise, as on hardware, checked first) and uses the host's
//     lock cmpxchg16b (cas128).
//   - An operand that crosses an 8-byte boundary (a split lock when it
//     crosses a cache line: hardware takes a bus lock, or raises #AC when
//     split-lock detection is enforced), or that wraps past 4 GiB in a
//     32-bit guest, is done under one process-wide mutex, splitMu, with
//     ordinary loads and stores. Such instructions are atomic with respect
//     to each other; an aligned locked instruction of another thread on
//     part of the same bytes does not take the mutex and may interleave
//     with it. Real programs do not mix the two (docs/RATIONALE.md, "Why
//     are misaligned locked instructions done under one mutex?").
//
// A locked instruction always writes: on hardware lock cmpxchg writes the
// old value back when the comparison fails, so a read-only page faults
// either way, and the CAS here does the same. Before the first access a
// page holding decoded code has its blocks dropped (noteWrite), as for
// any store.
package locked

import (
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/mm"
)

// splitMu serializes the locked instructions whose operand no host CAS
// covers (see above).
var splitMu sync.Mutex

// Exec executes o, an isa.OpAtomic whose memory operand is at ad (the
// linear address, segment base applied), on c and the real memory, for
// thread t of a process whose code filter is filter (engine.CodeFilter).
// It returns false, having done nothing, for a cmpxchg16b operand that is
// not 16-byte aligned (#GP).
func Exec(c *cpu.CPU, o *isa.Op, ad uint64, mode mm.Mode, t *engine.Thread, filter *[engine.FilterWords]uint64) bool {
	code := isa.Opcode(o.Cond)
	size := o.Size
	switch code {
	case isa.OpCmpxchg16b:
		if ad%16 != 0 {
			return false
		}
		noteWrite(t, filter, mode, ad, 16)
		cmpxchg16b(c, ad)
		return true
	case isa.OpCmpxchg8b:
		size = 8
	case isa.OpBts, isa.OpBtr, isa.OpBtc:
		if o.Src.Kind == isa.KindReg {
			// A register bit offset reaches beyond the operand, as bitTest
			// computes it.
			w := uint64(size) * 8
			so := sext(c.Regs[o.Src.Reg&15]&sizeMask[size], size)
			ad += uint64((so >> bits.TrailingZeros64(w)) * int64(size))
			if mode == mm.Mode32 {
				ad &= 0xffffffff
			}
		}
	}
	noteWrite(t, filter, mode, ad, size)
	// The fast paths: aligned operands with a direct host operation.
	if ad%uint64(size) == 0 && (size == 4 || size == 8) {
		switch code {
		case isa.OpXadd:
			bv := getReg(c, o.Src, size)
			a := atomicAdd(ad, size, bv)
			r := (a + bv) & sizeMask[size]
			putReg(c, o.Src, size, a)
			c.SetLazy(cpu.LazyAdd, size, a, bv, r)
			return true
		case isa.OpXchg:
			reg := atomicReg(o)
			putReg(c, reg, size, atomicSwap(ad, size, getReg(c, reg, size)))
			return true
		case isa.OpAdd, isa.OpSub, isa.OpInc, isa.OpDec:
			var d uint64
			switch code {
			case isa.OpAdd:
				d = atomicSrc(c, o, size)
			case isa.OpSub:
				d = -atomicSrc(c, o, size)
			case isa.OpInc:
				d = 1
			default:
				d = ^uint64(0)
			}
			a := atomicAdd(ad, size, d&sizeMask[size])
			commit(c, o, code, size, a, (a+d)&sizeMask[size])
			return true
		case isa.OpAnd, isa.OpOr:
			bv := atomicSrc(c, o, size)
			a := atomicLogic(ad, size, code == isa.OpAnd, bv)
			r := a | bv
			if code == isa.OpAnd {
				r = a & bv
			}
			commit(c, o, code, size, a, r)
			return true
		}
	}
	if ad%8+uint64(size) > 8 {
		split(c, o, code, ad, size, mode)
		return true
	}
	for {
		old := atomicLoad(ad, size)
		nv := newValue(c, o, code, size, old)
		if atomicCAS(ad, size, old, nv) {
			commit(c, o, code, size, old, nv)
			return true
		}
	}
}

// split runs a locked instruction on an operand no host CAS covers, under
// splitMu, with ordinary loads and stores, which in a 32-bit guest wrap
// past 4 GiB to address 0 byte by byte, as the CPU's linear addresses do
// (the code filter was consulted for every byte before). A fault unlocks
// the mutex on its way to the run loop.
func split(c *cpu.CPU, o *isa.Op, code isa.Opcode, ad uint64, size uint8, mode mm.Mode) {
	splitMu.Lock()
	defer splitMu.Unlock()
	wrap := mode == mm.Mode32 && ad+uint64(size) > 1<<32
	var old uint64
	for i := uint8(0); i < size; i++ {
		a := ad + uint64(i)
		if wrap {
			a &= 0xffffffff
		}
		old |= load8(a) << (8 * i)
	}
	nv := newValue(c, o, code, size, old)
	for i := uint8(0); i < size; i++ {
		a := ad + uint64(i)
		if wrap {
			a &= 0xffffffff
		}
		store8(a, nv>>(8*i))
	}
	commit(c, o, code, size, old, nv)
}

// noteWrite drops the decoded code in the size bytes at ad (at most two
// pages, or two pieces wrapping past 4 GiB) before a locked instruction
// writes them: a store's slow path (engine.Thread.CodeWrite) where the
// filter's bit for a page is set.
func noteWrite(t *engine.Thread, filter *[engine.FilterWords]uint64, mode mm.Mode, ad uint64, size uint8) {
	if mode == mm.Mode32 && ad+uint64(size) > 1<<32 {
		n := uint8(1<<32 - ad)
		noteWrite(t, filter, mode, ad, n)
		noteWrite(t, filter, mode, 0, size-n)
		return
	}
	for pg := ad >> mm.PageShift; pg <= (ad+uint64(size)-1)>>mm.PageShift; pg++ {
		if w, bit := engine.FilterSlot(pg); atomic.LoadUint64(&filter[w])&bit != 0 {
			t.CodeWrite(ad, uint64(size))
			return
		}
	}
}

// newValue computes what the locked instruction code stores when the
// memory holds old. It changes nothing: commit applies the
// instruction's effects on registers and flags for the round whose store
// succeeded (both depend only on old and registers the loop does not
// change).
func newValue(c *cpu.CPU, o *isa.Op, code isa.Opcode, size uint8, old uint64) uint64 {
	mask := sizeMask[size]
	switch code {
	case isa.OpAdd:
		return (old + atomicSrc(c, o, size)) & mask
	case isa.OpSub:
		return (old - atomicSrc(c, o, size)) & mask
	case isa.OpAnd:
		return old & atomicSrc(c, o, size)
	case isa.OpOr:
		return old | atomicSrc(c, o, size)
	case isa.OpXor:
		return old ^ atomicSrc(c, o, size)
	case isa.OpAdc:
		return (old + atomicSrc(c, o, size) + carryIn(c)) & mask
	case isa.OpSbb:
		return (old - atomicSrc(c, o, size) - carryIn(c)) & mask
	case isa.OpInc:
		return (old + 1) & mask
	case isa.OpDec:
		return (old - 1) & mask
	case isa.OpNeg:
		return -old & mask
	case isa.OpNot:
		return ^old & mask
	case isa.OpBts:
		return old | atomicBit(c, o, size)
	case isa.OpBtr:
		return old &^ atomicBit(c, o, size)
	case isa.OpBtc:
		return old ^ atomicBit(c, o, size)
	case isa.OpXchg:
		return getReg(c, atomicReg(o), size)
	case isa.OpXadd:
		return (old + atomicSrc(c, o, size)) & mask
	case isa.OpCmpxchg:
		if c.Regs[cpu.RAX]&mask == old {
			return atomicSrc(c, o, size)
		}
		return old // written back unchanged when the comparison fails
	case isa.OpCmpxchg8b:
		if old == c.Regs[cpu.RDX]<<32|c.Regs[cpu.RAX]&0xffffffff {
			return c.Regs[cpu.RCX]<<32 | c.Regs[cpu.RBX]&0xffffffff
		}
		return old
	}
	panic("locked: OpAtomic of an opcode lowering never makes atomic")
}

// commit applies the effects of the locked instruction code on
// registers and flags, once its store of r over old succeeded.
func commit(c *cpu.CPU, o *isa.Op, code isa.Opcode, size uint8, old, r uint64) {
	mask := sizeMask[size]
	switch code {
	case isa.OpAdd, isa.OpXadd:
		c.SetLazy(cpu.LazyAdd, size, old, atomicSrc(c, o, size), r)
		if code == isa.OpXadd {
			putReg(c, o.Src, size, old)
		}
	case isa.OpSub:
		c.SetLazy(cpu.LazySub, size, old, atomicSrc(c, o, size), r)
	case isa.OpAnd, isa.OpOr, isa.OpXor:
		c.SetLazy(cpu.LazyLogic, size, old, atomicSrc(c, o, size), r)
	case isa.OpAdc:
		c.SetLazyCin(cpu.LazyAdc, size, old, atomicSrc(c, o, size), r, carryIn(c))
	case isa.OpSbb:
		c.SetLazyCin(cpu.LazySbb, size, old, atomicSrc(c, o, size), r, carryIn(c))
	case isa.OpInc:
		c.SetLazyCin(cpu.LazyInc, size, old, 1, r, carryIn(c))
	case isa.OpDec:
		c.SetLazyCin(cpu.LazyDec, size, old, 1, r, carryIn(c))
	case isa.OpNeg:
		c.SetLazy(cpu.LazySub, size, 0, old, r)
	case isa.OpBts, isa.OpBtr, isa.OpBtc:
		c.SetStatus(c.RFLAGS()&^cpu.FlagCF | b2f(old&atomicBit(c, o, size) != 0, cpu.FlagCF))
	case isa.OpXchg:
		putReg(c, atomicReg(o), size, old)
	case isa.OpCmpxchg:
		acc := c.Regs[cpu.RAX] & mask
		c.SetLazy(cpu.LazySub, size, acc, old, (acc-old)&mask)
		if acc != old {
			setReg(c, uint8(cpu.RAX), size, old)
		}
	case isa.OpCmpxchg8b:
		if old == c.Regs[cpu.RDX]<<32|c.Regs[cpu.RAX]&0xffffffff {
			c.SetStatus(c.RFLAGS() | cpu.FlagZF)
			return
		}
		setReg(c, uint8(cpu.RAX), 4, old)
		setReg(c, uint8(cpu.RDX), 4, old>>32)
		c.SetStatus(c.RFLAGS() &^ cpu.FlagZF)
	}
}

// atomicSrc is the source operand of a locked instruction: a register or
// an immediate.
func atomicSrc(c *cpu.CPU, o *isa.Op, size uint8) uint64 {
	if o.Src.Kind == isa.KindImm {
		return o.Imm & sizeMask[size]
	}
	return getReg(c, o.Src, size)
}

// atomicBit is the bit bts, btr and btc address within the operand.
func atomicBit(c *cpu.CPU, o *isa.Op, size uint8) uint64 {
	return 1 << (atomicSrc(c, o, size) & (uint64(size)*8 - 1))
}

// atomicReg is xchg's register operand (the other one is memory).
func atomicReg(o *isa.Op) isa.Arg {
	if o.Src.Kind == isa.KindMem {
		return o.Dst
	}
	return o.Src
}

// getReg and putReg read and write a register operand (KindReg or
// KindRegHi) of size bytes.
func getReg(c *cpu.CPU, a isa.Arg, size uint8) uint64 {
	if a.Kind == isa.KindRegHi {
		return c.Regs[a.Reg&15] >> 8 & 0xff
	}
	return c.Regs[a.Reg&15] & sizeMask[size]
}

func putReg(c *cpu.CPU, a isa.Arg, size uint8, v uint64) {
	if a.Kind == isa.KindRegHi {
		c.Regs[a.Reg&15] = c.Regs[a.Reg&15]&^0xff00 | (v&0xff)<<8
		return
	}
	setReg(c, a.Reg, size, v)
}

func carryIn(c *cpu.CPU) uint64 {
	if c.Carry() {
		return 1
	}
	return 0
}

// cmpxchg16b is lock cmpxchg16b at ad (16-byte aligned).
func cmpxchg16b(c *cpu.CPU, ad uint64) {
	lo, hi, ok := cas128(ad, c.Regs[cpu.RAX], c.Regs[cpu.RDX], c.Regs[cpu.RBX], c.Regs[cpu.RCX])
	if ok {
		c.SetStatus(c.RFLAGS() | cpu.FlagZF)
		return
	}
	c.Regs[cpu.RAX], c.Regs[cpu.RDX] = lo, hi
	c.SetStatus(c.RFLAGS() &^ cpu.FlagZF)
}

// atomicLoad reads the size bytes at ad, which lie inside one aligned
// 8-byte word, in one access.
func atomicLoad(ad uint64, size uint8) uint64 {
	switch {
	case size == 8:
		return load64Atomic(ad)
	case size == 4 && ad%4 == 0:
		return uint64(load32Atomic(ad))
	}
	w := ad &^ 7
	return load64Atomic(w) >> (8 * (ad - w)) & sizeMask[size]
}

// atomicCAS stores nv in the size bytes at ad if they still hold old
// (see atomicLoad), in one access that always writes.
func atomicCAS(ad uint64, size uint8, old, nv uint64) bool {
	switch {
	case size == 8:
		return cas64(ad, old, nv)
	case size == 4 && ad%4 == 0:
		return cas32(ad, uint32(old), uint32(nv))
	}
	w := ad &^ 7
	sh := 8 * (ad - w)
	mask := sizeMask[size] << sh
	cur := load64Atomic(w)
	if (cur&mask)>>sh != old {
		// Changed since atomicLoad: the caller retries. (A failing CAS
		// would write too; retrying gets to the write.)
		return false
	}
	return cas64(w, cur, cur&^mask|nv<<sh&mask)
}

// atomicAdd adds v to the aligned 4- or 8-byte value at ad and returns
// the old value.
func atomicAdd(ad uint64, size uint8, v uint64) uint64 {
	if size == 8 {
		return add64(ad, v) - v
	}
	return uint64(add32(ad, uint32(v)) - uint32(v))
}

// atomicLogic ands (and true) or ors v into the aligned 4- or 8-byte value
// at ad and returns the old value.
func atomicLogic(ad uint64, size uint8, and bool, v uint64) uint64 {
	switch {
	case size == 8 && and:
		return and64(ad, v)
	case size == 8:
		return or64(ad, v)
	case and:
		return uint64(and32(ad, uint32(v)))
	}
	return uint64(or32(ad, uint32(v)))
}

// atomicSwap stores v in the aligned 4- or 8-byte value at ad and returns
// the old value.
func atomicSwap(ad uint64, size uint8, v uint64) uint64 {
	if size == 8 {
		return swap64(ad, v)
	}
	return uint64(swap32(ad, uint32(v)))
}

// setReg writes the low size bytes of v to register r as the CPU does.
func setReg(c *cpu.CPU, r uint8, size uint8, v uint64) {
	r &= 15
	switch size {
	case 8:
		c.Regs[r] = v
	case 4:
		c.Regs[r] = v & 0xffffffff
	default:
		c.Regs[r] = c.Regs[r]&^sizeMask[size] | v&sizeMask[size]
	}
}

// sizeMask[n] masks a value to n bytes.
var sizeMask = [256]uint64{1: 0xff, 2: 0xffff, 4: 0xffffffff, 8: ^uint64(0)}

func sext(v uint64, size uint8) int64 {
	sh := 64 - 8*uint(size)
	return int64(v<<sh) >> sh
}

func b2f(b bool, f uint64) uint64 {
	if b {
		return f
	}
	return 0
}
