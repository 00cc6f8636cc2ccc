package cpu

import (
	"encoding/binary"

	"github.com/minemu/minemu/mm"
)

// Save areas: the FXSAVE image and the XSAVE area.
//
// The layouts are the CPU's, and more than one part of minemu needs them:
// the engines run FXSAVE, FXRSTOR, XSAVE, XSAVEC and XRSTOR, and the
// kernel's signal frames hold the same fpstate encoding. So they are
// pure functions here, over an area held in a buffer: a caller whose
// area lives in guest memory copies in what a restore reads and copies
// out what a save wrote (AreaWords says which 8-byte words those are, so
// that no byte the instruction does not touch is read or rewritten).
//
// The FXSAVE image (also the XSAVE area's legacy region): FCW, FSW with
// TOP, the abridged tags, FOP, the last instruction and operand pointers
// (not tracked: stored as zeros), MXCSR and MXCSR_MASK at 24, st(0)-st(7)
// at 32 in 16-byte slots, XMM0-7 (XMM0-15 in 64-bit mode) at 160; bytes
// 464-511 are the software's. The XSAVE area adds the 64-byte header at
// 512 (XSTATE_BV, XCOMP_BV, reserved bytes that must be zero) and the AVX
// component (the upper halves of YMM0-15) at 576.
//
// Every component counts as in use (XINUSE all ones, which the SDM
// allows), so XSAVEOPT saves what XSAVE saves and XSAVEC every requested
// component.

// Save area layout.
const (
	// FXSaveSize is the size of the FXSAVE image and of the XSAVE area's
	// legacy region.
	FXSaveSize = 512
	// XSaveHeader is the offset of the XSAVE header: XSTATE_BV, then
	// XCOMP_BV (bit 63: the compacted form), then 48 reserved bytes.
	XSaveHeader = 512
	// XSaveAVX is the offset of the AVX component (256 bytes), in the
	// standard form and, being the first extended component, in the
	// compacted one.
	XSaveAVX = 576
	// XSaveSize is the size of an XSAVE area holding x87, SSE and AVX
	// state.
	XSaveSize = XSaveAVX + 256
	// MXCSRMask is the MXCSR_MASK FXSAVE stores, the host's (bits 0-15
	// and AMD's misaligned-exception mask, bit 17); a restore of an MXCSR
	// with other bits is #GP.
	MXCSRMask = 0x2ffff
)

// XSAVE state components: bits of XCR0, of the requested-feature bitmap
// (RFBM) and of XSTATE_BV.
const (
	XStateX87 uint64 = 1 << 0
	XStateSSE uint64 = 1 << 1 // XMM0-15 and MXCSR
	XStateAVX uint64 = 1 << 2 // the upper halves of YMM0-15
)

// AreaWords is a set of the 8-byte words of a save area, bit i standing
// for bytes 8i to 8i+7: the words a save writes or a restore reads.
type AreaWords [2]uint64

// Has reports whether the word at byte offset 8i is in the set.
func (w AreaWords) Has(i int) bool { return w[i/64]>>(i%64)&1 != 0 }

// add puts the words of bytes off to off+n (multiples of 8) in the set.
func (w *AreaWords) add(off, n int) {
	for i := off / 8; i < (off+n)/8; i++ {
		w[i/64] |= 1 << (i % 64)
	}
}

// A SaveAreaError is a save area a restore refuses, as the CPU refuses it
// with #GP (Linux: SIGSEGV); the state is left as it was.
type SaveAreaError struct{ Reason string }

func (e *SaveAreaError) Error() string { return "cpu: save area refused: " + e.Reason }

// nXMM is the number of vector registers of c's mode.
func (c *CPU) nXMM() int {
	if c.Mode == mm.Mode64 {
		return 16
	}
	return 8
}

func get64(b []byte, off int) uint64    { return binary.LittleEndian.Uint64(b[off:]) }
func put64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// putX87 stores the x87 part of the legacy region: the control, status
// and abridged tag words, zero pointers, and the registers in stack order.
func (c *CPU) putX87(b []byte) {
	put64(b, 0, uint64(c.FCW)|uint64(c.FSWord())<<16|uint64(c.FTAG)<<32)
	put64(b, 8, 0)  // FIP
	put64(b, 16, 0) // FDP
	for i := 0; i < 8; i++ {
		st := c.STi(uint8(i))
		put64(b, 32+16*i, st.Mant)
		put64(b, 40+16*i, uint64(st.SE))
	}
}

// getX87 loads the x87 part of the legacy region; fsw is the status word
// to set (the image's, or with ES and B recomputed).
func (c *CPU) getX87(b []byte, fsw uint16) {
	w := get64(b, 0)
	c.FCW = uint16(w)
	c.FSW, c.FTOP = fsw&^(7<<11), uint8(fsw>>11&7)
	c.FTAG = uint8(w >> 32)
	for i := 0; i < 8; i++ {
		*c.STi(uint8(i)) = F80{Mant: get64(b, 32+16*i), SE: uint16(get64(b, 40+16*i))}
	}
}

// FXSave stores the FXSAVE image of c into b (at least FXSaveSize bytes)
// and returns the words it wrote: bytes 0-287, or 0-463 in 64-bit mode
// (the reserved bytes after XMM15 as zeros).
func (c *CPU) FXSave(b []byte) AreaWords {
	c.putX87(b)
	put64(b, 24, uint64(c.MXCSR)|MXCSRMask<<32)
	n, end := c.nXMM(), 288
	if c.Mode == mm.Mode64 {
		end = 464
	}
	for i := 0; i < n; i++ {
		put64(b, 160+16*i, c.X[i][0])
		put64(b, 168+16*i, c.X[i][1])
	}
	for off := 160 + 16*n; off < end; off += 8 {
		put64(b, off, 0)
	}
	var w AreaWords
	w.add(0, end)
	return w
}

// FXRstorReads is the set of words FXRstor reads.
func (c *CPU) FXRstorReads() AreaWords {
	var w AreaWords
	w.add(0, 160+16*c.nXMM())
	return w
}

// FXRstor loads the state FXSave stores from b; an MXCSR with bits
// outside MXCSRMask is refused.
func (c *CPU) FXRstor(b []byte) error {
	mx := uint32(get64(b, 24))
	if mx&^MXCSRMask != 0 {
		return &SaveAreaError{"MXCSR reserved bits set"}
	}
	c.getX87(b, uint16(get64(b, 0)>>16))
	c.MXCSR = mx
	for i := 0; i < c.nXMM(); i++ {
		*c.XMM(uint8(i)) = [2]uint64{get64(b, 160+16*i), get64(b, 168+16*i)}
	}
	return nil
}

// XSaveReads is the set of words XSave reads: the standard form keeps
// the XSTATE_BV bits of the components not requested.
func XSaveReads(compact bool) AreaWords {
	var w AreaWords
	if !compact {
		w.add(XSaveHeader, 8)
	}
	return w
}

// XSave stores the components rfbm requests into b (at least XSaveSize
// bytes) in the standard form (XSAVE, XSAVEOPT) or the compacted one
// (XSAVEC), and returns the words it wrote. In the standard form b holds
// the area's XSTATE_BV (XSaveReads) on entry. MXCSR goes with SSE or AVX
// in the standard form, with SSE only in the compacted one (measured).
func (c *CPU) XSave(b []byte, rfbm uint64, compact bool) AreaWords {
	var w AreaWords
	if rfbm&XStateX87 != 0 {
		c.putX87(b)
		w.add(0, 24)
		w.add(32, 128)
	}
	if compact && rfbm&XStateSSE != 0 || !compact && rfbm&(XStateSSE|XStateAVX) != 0 {
		put64(b, 24, uint64(c.MXCSR)|MXCSRMask<<32)
		w.add(24, 8)
	}
	n := c.nXMM()
	if rfbm&XStateSSE != 0 {
		for i := 0; i < n; i++ {
			put64(b, 160+16*i, c.X[i][0])
			put64(b, 168+16*i, c.X[i][1])
		}
		w.add(160, 16*n)
	}
	if rfbm&XStateAVX != 0 {
		for i := 0; i < n; i++ {
			put64(b, XSaveAVX+16*i, c.X[i][2])
			put64(b, XSaveAVX+8+16*i, c.X[i][3])
		}
		w.add(XSaveAVX, 16*n)
	}
	if compact {
		put64(b, XSaveHeader, rfbm)
		put64(b, XSaveHeader+8, 1<<63|rfbm)
		w.add(XSaveHeader, 16)
		return w
	}
	put64(b, XSaveHeader, get64(b, XSaveHeader)|rfbm)
	w.add(XSaveHeader, 8)
	return w
}

// XSaveHeaderWords is the set of the header's words, which XRstorReads
// needs in b.
func XSaveHeaderWords() AreaWords {
	var w AreaWords
	w.add(XSaveHeader, 64)
	return w
}

// XRstorReads is the set of words XRstor reads, given the header in b
// (which it always reads): the components rfbm requests whose XSTATE_BV
// bit is set, and MXCSR where XRstor loads it. It does not depend on
// whether XRstor then refuses the area.
func (c *CPU) XRstorReads(b []byte, rfbm uint64) AreaWords {
	w := XSaveHeaderWords()
	bv, compact := get64(b, XSaveHeader), get64(b, XSaveHeader+8)>>63 != 0
	if xrstorLoadsMXCSR(rfbm, bv, compact) {
		w.add(24, 8)
	}
	n, in := c.nXMM(), rfbm&bv
	if in&XStateX87 != 0 {
		w.add(0, 8)
		w.add(32, 128)
	}
	if in&XStateSSE != 0 {
		w.add(160, 16*n)
	}
	if in&XStateAVX != 0 {
		w.add(XSaveAVX, 16*n)
	}
	return w
}

// xrstorLoadsMXCSR reports whether XRSTOR loads MXCSR: with SSE or AVX
// requested in the standard form, with SSE requested and saved in the
// compacted one.
func xrstorLoadsMXCSR(rfbm, bv uint64, compact bool) bool {
	if compact {
		return rfbm&XStateSSE != 0 && bv&XStateSSE != 0
	}
	return rfbm&(XStateSSE|XStateAVX) != 0
}

// XRstor loads the components rfbm requests from the standard or
// (XCOMP_BV bit 63) compacted area in b: each from b when its XSTATE_BV
// bit is set, in its initial configuration otherwise. xcr0 is XCR0 and
// xsavec says whether the compacted form exists. A header with bits
// outside XCR0 (or, compacted, outside XCOMP_BV), reserved header bytes
// not zero or an MXCSR with reserved bits is refused.
func (c *CPU) XRstor(b []byte, rfbm, xcr0 uint64, xsavec bool) error {
	bv, cb := get64(b, XSaveHeader), get64(b, XSaveHeader+8)
	compact := cb>>63 != 0
	if compact {
		if !xsavec || cb&^(1<<63)&^xcr0 != 0 || bv&^cb != 0 {
			return &SaveAreaError{"compacted header not valid"}
		}
		for off := 16; off < 64; off += 8 {
			if get64(b, XSaveHeader+off) != 0 {
				return &SaveAreaError{"reserved header bytes set"}
			}
		}
	} else if bv&^xcr0 != 0 || cb != 0 || get64(b, XSaveHeader+16) != 0 {
		return &SaveAreaError{"header not valid"}
	}
	loadMX := xrstorLoadsMXCSR(rfbm, bv, compact)
	var mx uint32
	if loadMX {
		mx = uint32(get64(b, 24))
		if mx&^MXCSRMask != 0 {
			return &SaveAreaError{"MXCSR reserved bits set"}
		}
	}
	if rfbm&XStateX87 != 0 {
		if bv&XStateX87 != 0 {
			// ES and B (bits 7 and 15) say whether an unmasked exception
			// is pending; the hardware recomputes them (measured).
			fcw, fsw := uint16(get64(b, 0)), uint16(get64(b, 0)>>16)&^0x8080
			if fsw&^fcw&0x3f != 0 {
				fsw |= 0x8080
			}
			c.getX87(b, fsw)
		} else {
			c.FCW, c.FSW, c.FTOP, c.FTAG = 0x37f, 0, 0, 0
			c.ST = [8]F80{}
		}
	}
	if loadMX {
		c.MXCSR = mx
	} else if compact && rfbm&XStateSSE != 0 {
		c.MXCSR = 0x1f80
	}
	n := c.nXMM()
	for i := 0; i < n && rfbm&XStateSSE != 0; i++ {
		if bv&XStateSSE != 0 {
			c.X[i][0], c.X[i][1] = get64(b, 160+16*i), get64(b, 168+16*i)
		} else {
			c.X[i][0], c.X[i][1] = 0, 0
		}
	}
	for i := 0; i < n && rfbm&XStateAVX != 0; i++ {
		if bv&XStateAVX != 0 {
			c.X[i][2], c.X[i][3] = get64(b, XSaveAVX+16*i), get64(b, XSaveAVX+8+16*i)
		} else {
			c.X[i][2], c.X[i][3] = 0, 0
		}
	}
	return nil
}
