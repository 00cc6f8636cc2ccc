package interp

import (
	"encoding/binary"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/guest/isa/cpuid"
)

// XSAVE, XSAVEOPT, XSAVEC, XRSTOR and XGETBV over the components the CPU
// model enables in XCR0 (x87, SSE and, with AVX, the upper halves of the
// YMM registers), in the layout leaf 0xD reports. The requested-feature
// bitmap RFBM is XCR0 & EDX:EAX. The area's layout and the save and
// restore semantics are guest/cpu's (xsave.go): the interpreter checks
// the alignment, copies the words an instruction reads from guest memory
// into a buffer, runs the cpu function and copies out the words it wrote.

// xsaveAreaAlign is the alignment the XSAVE area needs (#GP otherwise).
const xsaveAreaAlign = 64

// xsaveRFBM is the requested-feature bitmap, or ok false when XSAVE is
// not reported (the instruction is then an invalid opcode).
func (m *machine) xsaveRFBM(c *cpu.CPU) (rfbm uint64, ok bool) {
	xcr0 := m.model().XCR0()
	if xcr0 == 0 {
		return 0, false
	}
	return xcr0 & (c.Regs[cpu.RDX]<<32 | c.Regs[cpu.RAX]&0xffffffff), true
}

// areaIn copies the words w of the save area at ad into b.
func (m *machine) areaIn(b []byte, ad uint64, w cpu.AreaWords) {
	for i := 0; i < len(b)/8; i++ {
		if w.Has(i) {
			binary.LittleEndian.PutUint64(b[8*i:], m.load(ad+8*uint64(i), 8))
		}
	}
}

// areaOut copies the words w of b to the save area at ad.
func (m *machine) areaOut(b []byte, ad uint64, w cpu.AreaWords) {
	for i := 0; i < len(b)/8; i++ {
		if w.Has(i) {
			m.store(ad+8*uint64(i), 8, binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
}

// xsaveOp is xsave/xsaveopt (compact false) and xsavec (compact true).
func (m *machine) xsaveOp(c *cpu.CPU, o *isa.Op, compact bool) engine.Fault {
	rfbm, ok := m.xsaveRFBM(c)
	if !ok {
		return engine.FaultInvalid
	}
	ad := m.ea(c, o)
	if ad%xsaveAreaAlign != 0 {
		return engine.FaultAlignSSE
	}
	var b [cpu.XSaveSize]byte
	m.areaIn(b[:], ad, cpu.XSaveReads(compact))
	m.areaOut(b[:], ad, c.XSave(b[:], rfbm, compact))
	return 0
}

// xrstorOp is xrstor of the standard or compacted form (cpu.XRstor); an
// area it refuses is #GP, and nothing changes.
func (m *machine) xrstorOp(c *cpu.CPU, o *isa.Op) engine.Fault {
	rfbm, ok := m.xsaveRFBM(c)
	if !ok {
		return engine.FaultInvalid
	}
	ad := m.ea(c, o)
	if ad%xsaveAreaAlign != 0 {
		return engine.FaultAlignSSE
	}
	var b [cpu.XSaveSize]byte
	m.areaIn(b[:], ad, cpu.XSaveHeaderWords())
	m.areaIn(b[:], ad, c.XRstorReads(b[:], rfbm))
	if c.XRstor(b[:], rfbm, m.model().XCR0(), m.model().Features().Has(cpuid.XSAVEC)) != nil {
		return engine.FaultAlignSSE // #GP: SIGSEGV
	}
	return 0
}

// xgetbvOp is xgetbv: ECX 0 reads XCR0, ECX 1 (when XGETBV1 is
// reported) XCR0 & XINUSE, which is XCR0 since every component counts as
// in use; any other ECX is #GP; without XSAVE the instruction is invalid.
func (m *machine) xgetbvOp(c *cpu.CPU) engine.Fault {
	xcr0 := m.model().XCR0()
	if xcr0 == 0 {
		return engine.FaultInvalid
	}
	switch uint32(c.Regs[cpu.RCX]) {
	case 0:
	case 1:
		if !m.model().Features().Has(cpuid.XGETBV1) {
			return engine.FaultAlignSSE // #GP, SIGSEGV
		}
	default:
		return engine.FaultAlignSSE
	}
	c.Regs[cpu.RAX], c.Regs[cpu.RDX] = xcr0&0xffffffff, xcr0>>32
	return 0
}
