package cpu

import (
	"encoding/binary"
	"testing"

	"github.com/minemu/minemu/mm"
)

// TestFEnvImages: fnsave's image in both forms loads back into the same
// registers, TOP and emptiness; the full tag word classifies each
// register; the 28-byte form has its reserved halves set; the load
// recomputes ES from the flags its control word unmasks.
func TestFEnvImages(t *testing.T) {
	for _, short := range []bool{false, true} {
		c := NewCPU(mm.Mode32)
		c.FTOP, c.FTAG, c.FCW, c.FSW = 6, 0xf3, 0x37f, 0x0001
		c.ST[0] = F80{Mant: 1 << 63, SE: 0x3fff} // valid
		c.ST[1] = F80{}                          // zero
		c.ST[4] = F80{Mant: 1 << 63, SE: 0x7fff} // infinity: special
		c.ST[5] = F80{Mant: 1, SE: 0}            // denormal: special
		c.ST[6] = F80{Mant: 3 << 62, SE: 0x4000} // valid
		c.ST[7] = F80{Mant: 1 << 62, SE: 0x4000} // unsupported: special
		var b [FStateSize]byte
		c.FStEnv(b[:], short, true)
		step := 4
		if !short {
			if hi := binary.LittleEndian.Uint16(b[2:]); hi != 0xffff {
				t.Fatalf("reserved half of the control word %#x, want 0xffff", hi)
			}
		} else {
			step = 2
		}
		// r7 r6 r5 r4 special valid special special, r3 r2 empty, r1 zero, r0 valid.
		if tw, want := binary.LittleEndian.Uint16(b[2*step:]), uint16(2<<14|0<<12|2<<10|2<<8|3<<6|3<<4|1<<2|0); tw != want {
			t.Fatalf("short %v: tag word %#x, want %#x", short, tw, want)
		}
		got := NewCPU(mm.Mode32)
		got.FLdEnv(b[:], short, true)
		if got.ST != c.ST || got.FTOP != c.FTOP || got.FTAG != c.FTAG || got.FCW != c.FCW {
			t.Fatalf("short %v: got %+v, want %+v", short, got, c)
		}
		// Unmasking the invalid flag the status word holds makes it pending.
		binary.LittleEndian.PutUint16(b[:], 0x37e)
		got.FLdEnv(b[:], short, false)
		if got.FSW != FSummary(0x0001, 0x37e) || got.FSW&(fswES|fswB) != fswES|fswB {
			t.Fatalf("short %v: FSW %#x, want ES and B set", short, got.FSW)
		}
	}
}

// TestMMXAliasing: an MMX write lands in the significand of the physical
// x87 register with the exponent bits all ones; entering the MMX state
// makes TOP 0 and every register valid.
func TestMMXAliasing(t *testing.T) {
	c := NewCPU(mm.Mode64)
	c.FTOP, c.FTAG = 3, 0
	c.EnterMMX()
	c.SetMM(9, 0x1234) // register numbers wrap at 8
	if c.FTOP != 0 || c.FTAG != 0xff || c.ST[1] != (F80{Mant: 0x1234, SE: 0xffff}) || c.MM(1) != 0x1234 {
		t.Fatalf("got TOP %d tags %#x st1 %+v, want 0, 0xff, {0x1234 0xffff}", c.FTOP, c.FTAG, c.ST[1])
	}
	if c.FEmpty(1) || !NewCPU(mm.Mode64).FEmpty(0) {
		t.Fatalf("FEmpty: got %v for a valid register or false for an empty one", c.FEmpty(1))
	}
}
