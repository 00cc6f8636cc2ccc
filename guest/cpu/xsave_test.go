package cpu

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/minemu/minemu/mm"
)

// filled is a CPU of mode with every register the save areas hold set to
// distinct values.
func filled(mode mm.Mode) *CPU {
	c := NewCPU(mode)
	for i := range c.X {
		for j := range c.X[i] {
			c.X[i][j] = uint64(i)<<32 | uint64(j)<<8 | 0x11
		}
	}
	for i := range c.ST {
		c.ST[i] = F80{Mant: 1<<63 | uint64(i), SE: 0x3fff + uint16(i)}
	}
	c.FCW, c.FSW, c.FTOP, c.FTAG, c.MXCSR = 0x27f, 0x0020, 5, 0xe0, 0x1fa0
	return c
}

// TestSaveAreaRoundTrip: fxsave → fxrstor and xsave (both forms) →
// xrstor of a zeroed CPU give back the state; the words a save reports
// are those it wrote and nothing else of the area changes.
func TestSaveAreaRoundTrip(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		for _, tc := range []struct {
			name    string
			compact bool
			fx      bool
		}{{"fxsave", false, true}, {"xsave", false, false}, {"xsavec", true, false}} {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				want := filled(mode)
				var b [XSaveSize]byte
				for i := range b {
					b[i] = 0xaa
				}
				if !tc.fx {
					for i := XSaveHeader; i < XSaveAVX; i++ {
						b[i] = 0
					}
				}
				before := b
				var w AreaWords
				if tc.fx {
					w = want.FXSave(b[:])
				} else {
					w = want.XSave(b[:], XStateX87|XStateSSE|XStateAVX, tc.compact)
				}
				for i := 0; i < XSaveSize/8; i++ {
					if !w.Has(i) && [8]byte(b[8*i:]) != [8]byte(before[8*i:]) {
						t.Fatalf("word at %d changed, not reported as written", 8*i)
					}
				}
				got := NewCPU(mode)
				var err error
				if tc.fx {
					err = got.FXRstor(b[:])
				} else {
					err = got.XRstor(b[:], XStateX87|XStateSSE|XStateAVX, XStateX87|XStateSSE|XStateAVX, true)
				}
				if err != nil {
					t.Fatal(err)
				}
				n := 8
				if mode == mm.Mode64 {
					n = 16
				}
				for i := 0; i < n; i++ {
					if tc.fx && *got.XMM(uint8(i)) != *want.XMM(uint8(i)) || !tc.fx && got.X[i] != want.X[i] {
						t.Fatalf("ymm%d: got %#x, want %#x", i, got.X[i], want.X[i])
					}
				}
				if got.ST != want.ST || got.FCW != want.FCW || got.FSWord() != want.FSWord() || got.FTAG != want.FTAG || got.MXCSR != want.MXCSR {
					t.Fatalf("x87/MXCSR: got %+v, want %+v", got, want)
				}
			})
		}
	}
}

// TestXSavePartial: a save of some components writes only their words
// (the standard form keeps the other XSTATE_BV bits), and the restore of
// a component whose XSTATE_BV bit is clear puts it in its initial state.
func TestXSavePartial(t *testing.T) {
	c := filled(mm.Mode64)
	var b [XSaveSize]byte
	binary.LittleEndian.PutUint64(b[XSaveHeader:], 1<<5)
	w := c.XSave(b[:], XStateAVX, false)
	if w.Has(0) || w.Has(160/8) || !w.Has(24/8) || !w.Has(XSaveAVX/8) {
		t.Fatalf("AVX-only standard save wrote %#x", w)
	}
	if bv := binary.LittleEndian.Uint64(b[XSaveHeader:]); bv != 1<<5|XStateAVX {
		t.Fatalf("XSTATE_BV got %#x, want %#x", bv, 1<<5|XStateAVX)
	}
	if r := c.XRstorReads(b[:], XStateX87|XStateSSE); r.Has(0) || r.Has(160/8) || !r.Has(24/8) {
		t.Fatalf("reads %#x: want MXCSR and no x87 or SSE words", r)
	}
	binary.LittleEndian.PutUint64(b[XSaveHeader:], 0)
	if err := c.XRstor(b[:], XStateX87|XStateSSE|XStateAVX, 7, true); err != nil {
		t.Fatal(err)
	}
	if c.X[3] != [4]uint64{} || c.FCW != 0x37f || c.FTAG != 0 {
		t.Fatalf("initial configuration: ymm3 %#x fcw %#x ftag %#x", c.X[3], c.FCW, c.FTAG)
	}
}

// TestSaveAreaRefused: the #GP cases are errors and change nothing.
func TestSaveAreaRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fx     bool
		xsavec bool
		set    func(b []byte)
	}{
		{"fxrstor-mxcsr", true, true, func(b []byte) { b[26] = 1 }},
		{"xrstor-mxcsr", false, true, func(b []byte) { b[26] = 1 }},
		{"bv-beyond-xcr0", false, true, func(b []byte) { b[XSaveHeader] = 8 }},
		{"xcomp-standard", false, true, func(b []byte) { b[XSaveHeader+8] = 1 }},
		{"reserved-header", false, true, func(b []byte) { b[XSaveHeader+18] = 1 }},
		{"compact-bv-not-in-xcomp", false, true, func(b []byte) { b[XSaveHeader], b[XSaveHeader+8], b[XSaveHeader+15] = 6, 2, 0x80 }},
		{"compact-without-xsavec", false, false, func(b []byte) { b[XSaveHeader], b[XSaveHeader+8], b[XSaveHeader+15] = 6, 7, 0x80 }},
		{"compact-reserved", false, true, func(b []byte) { b[XSaveHeader+8], b[XSaveHeader+15], b[XSaveHeader+40] = 7, 0x80, 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b [XSaveSize]byte
			b[24], b[25] = 0x80, 0x1f
			tc.set(b[:])
			c := filled(mm.Mode64)
			want := *c
			var err error
			if tc.fx {
				err = c.FXRstor(b[:])
			} else {
				err = c.XRstor(b[:], 7, 7, tc.xsavec)
			}
			var se *SaveAreaError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a SaveAreaError", err)
			}
			if *c != want {
				t.Fatalf("state changed by a refused restore")
			}
		})
	}
}
