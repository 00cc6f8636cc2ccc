package interp

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/guest/isa/cpuid"
	"github.com/minemu/minemu/mm"
)

// XSAVE, XSAVEOPT, XSAVEC, XRSTOR and XGETBV over the components the CPU
// model enables in XCR0 (x87, SSE and, with AVX, the upper halves of the
// YMM registers), in the layout leaf 0xD reports: the 512-byte legacy
// region of FXSAVE, the 64-byte header (XSTATE_BV, XCOMP_BV) and the AVX
// region at 576. The requested-feature bitmap RFBM is XCR0 & EDX:EAX.
//
// minemu keeps no record of which components are in their initial
// configuration, so every component counts as in use (XINUSE all ones,
// which the SDM allows: a component "may or may not" be in its initial
// configuration when its XINUSE bit is 1). Hence XSAVEOPT, which may skip
// unmodified or initial components, saves everything as XSAVE does, and
// XSAVEC saves every requested component. The last x87 instruction and
// data pointers and opcode are not tracked: saved as zeros, ignored on
// restore.

// xsaveAreaAlign is the alignment the XSAVE area needs (#GP otherwise).
const xsaveAreaAlign = 64

const (
	xsHeader = cpuid.XSaveLegacySize // XSTATE_BV at 512, XCOMP_BV at 520
	xsAVX    = cpuid.XSaveAVXOffset
)

// xsaveRFBM is the requested-feature bitmap, or ok false when XSAVE is
// not reported (the instruction is then an invalid opcode).
func (m *machine) xsaveRFBM(c *cpu.CPU) (rfbm uint64, ok bool) {
	xcr0 := m.model().XCR0()
	if xcr0 == 0 {
		return 0, false
	}
	return xcr0 & (c.Regs[cpu.RDX]<<32 | c.Regs[cpu.RAX]&0xffffffff), true
}

// nXMM is the number of vector registers of the guest's mode.
func (m *machine) nXMM() uint8 {
	if m.mode == mm.Mode64 {
		return 16
	}
	return 8
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
	if rfbm&cpuid.XCR0X87 != 0 {
		m.store(ad, 8, uint64(c.FCW)|uint64(c.FSWord())<<16|uint64(c.FTAG)<<32)
		m.store(ad+8, 8, 0)  // FIP
		m.store(ad+16, 8, 0) // FDP
		for i := uint8(0); i < 8; i++ {
			st := c.STi(i)
			m.store(ad+32+16*uint64(i), 8, st.Mant)
			m.store(ad+40+16*uint64(i), 8, uint64(st.SE))
		}
	}
	// MXCSR goes with SSE or AVX in the standard form, with SSE only in
	// the compacted one (measured).
	if mxBits := uint64(cpuid.XCR0SSE | cpuid.XCR0AVX); compact && rfbm&cpuid.XCR0SSE != 0 || !compact && rfbm&mxBits != 0 {
		m.store(ad+24, 8, uint64(c.MXCSR)|mxcsrMask<<32)
	}
	n := m.nXMM()
	if rfbm&cpuid.XCR0SSE != 0 {
		for i := uint8(0); i < n; i++ {
			m.store(ad+160+16*uint64(i), 8, c.X[i][0])
			m.store(ad+168+16*uint64(i), 8, c.X[i][1])
		}
	}
	if rfbm&cpuid.XCR0AVX != 0 {
		for i := uint8(0); i < n; i++ {
			m.store(ad+xsAVX+16*uint64(i), 8, c.X[i][2])
			m.store(ad+xsAVX+8+16*uint64(i), 8, c.X[i][3])
		}
	}
	if compact {
		m.store(ad+xsHeader, 8, rfbm)
		m.store(ad+xsHeader+8, 8, 1<<63|rfbm)
		return 0
	}
	bv := m.load(ad+xsHeader, 8)
	m.store(ad+xsHeader, 8, bv&^rfbm|rfbm)
	return 0
}

// xrstorOp is xrstor of the standard or (XCOMP_BV bit 63) compacted
// form: each requested component is loaded when its XSTATE_BV bit is
// set and put in its initial configuration otherwise. A header with bits
// outside XCR0 (or, compacted, outside XCOMP_BV), reserved header bytes
// not zero or an MXCSR with reserved bits is #GP, and nothing changes.
func (m *machine) xrstorOp(c *cpu.CPU, o *isa.Op) engine.Fault {
	rfbm, ok := m.xsaveRFBM(c)
	if !ok {
		return engine.FaultInvalid
	}
	ad := m.ea(c, o)
	if ad%xsaveAreaAlign != 0 {
		return engine.FaultAlignSSE
	}
	xcr0 := m.model().XCR0()
	bv, cb := m.load(ad+xsHeader, 8), m.load(ad+xsHeader+8, 8)
	compact := cb>>63 != 0
	if compact {
		if !m.model().Features().Has(cpuid.XSAVEC) || cb&^(1<<63)&^xcr0 != 0 || bv&^cb != 0 {
			return engine.FaultAlignSSE
		}
		for off := uint64(16); off < 64; off += 8 {
			if m.load(ad+xsHeader+off, 8) != 0 {
				return engine.FaultAlignSSE
			}
		}
	} else {
		if bv&^xcr0 != 0 || cb != 0 || m.load(ad+xsHeader+16, 8) != 0 {
			return engine.FaultAlignSSE
		}
	}
	var mx uint32
	loadMX := rfbm&(cpuid.XCR0SSE|cpuid.XCR0AVX) != 0
	if compact {
		// The compacted form loads MXCSR with the SSE component only.
		loadMX = rfbm&cpuid.XCR0SSE != 0 && bv&cpuid.XCR0SSE != 0
	}
	if loadMX {
		mx = uint32(m.load(ad+24, 4))
		if mx&^mxcsrMask != 0 {
			return engine.FaultAlignSSE
		}
	}
	if rfbm&cpuid.XCR0X87 != 0 {
		if bv&cpuid.XCR0X87 != 0 {
			w := m.load(ad, 8)
			c.FCW = uint16(w)
			// ES and B (bits 7 and 15) say whether an unmasked exception
			// is pending; the hardware recomputes them (measured).
			fsw := uint16(w>>16) &^ 0x8080
			if fsw&^c.FCW&0x3f != 0 {
				fsw |= 0x8080
			}
			c.FSW, c.FTOP = fsw&^(7<<11), uint8(fsw>>11&7)
			c.FTAG = uint8(w >> 32)
			for i := uint8(0); i < 8; i++ {
				*c.STi(i) = cpu.F80{Mant: m.load(ad+32+16*uint64(i), 8), SE: uint16(m.load(ad+40+16*uint64(i), 2))}
			}
		} else {
			c.FCW, c.FSW, c.FTOP, c.FTAG = 0x37f, 0, 0, 0
			c.ST = [8]cpu.F80{}
		}
	}
	if loadMX {
		c.MXCSR = mx
	} else if compact && rfbm&cpuid.XCR0SSE != 0 {
		c.MXCSR = 0x1f80
	}
	n := m.nXMM()
	if rfbm&cpuid.XCR0SSE != 0 {
		for i := uint8(0); i < n; i++ {
			if bv&cpuid.XCR0SSE != 0 {
				c.X[i][0], c.X[i][1] = m.load(ad+160+16*uint64(i), 8), m.load(ad+168+16*uint64(i), 8)
			} else {
				c.X[i][0], c.X[i][1] = 0, 0
			}
		}
	}
	if rfbm&cpuid.XCR0AVX != 0 {
		for i := uint8(0); i < n; i++ {
			if bv&cpuid.XCR0AVX != 0 {
				c.X[i][2], c.X[i][3] = m.load(ad+xsAVX+16*uint64(i), 8), m.load(ad+xsAVX+8+16*uint64(i), 8)
			} else {
				c.X[i][2], c.X[i][3] = 0, 0
			}
		}
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
