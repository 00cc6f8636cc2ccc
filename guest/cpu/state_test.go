package cpu

import (
	"math/rand/v2"
	"testing"

	"github.com/minemu/minemu/mm"
)

// randomCPU is a CPU of mode with every field random (as 32-bit values in
// Mode32) and the flags left lazy from an add.
func randomCPU(r *rand.Rand, mode mm.Mode) *CPU {
	c := NewCPU(mode)
	w := func() uint64 {
		if mode == mm.Mode32 {
			return uint64(r.Uint32())
		}
		return r.Uint64()
	}
	for i := range c.Regs {
		c.Regs[i] = w()
	}
	c.RIP, c.FSBase, c.GSBase = w(), w(), w()
	c.FS, c.GS = uint16(r.Uint32()), uint16(r.Uint32())
	for i := range c.X {
		for j := range c.X[i] {
			c.X[i][j] = r.Uint64()
		}
	}
	c.MXCSR = r.Uint32() & 0xffbf
	c.FCW, c.FSW = uint16(r.Uint32()), uint16(r.Uint32())
	for i := range c.ST {
		c.ST[i] = F80{Mant: r.Uint64(), SE: uint16(r.Uint32())}
	}
	c.FTOP, c.FTAG = uint8(r.IntN(8)), uint8(r.Uint32())
	a, b := w(), w()
	c.SetLazy(LazyAdd, 4, a, b, (a+b)&0xffffffff)
	return c
}

// TestStateRoundTrip: a CPU restored from its encoding is the same CPU,
// the lazily computed flags included.
func TestStateRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		for i := 0; i < 200; i++ {
			c := randomCPU(r, mode)
			b := c.MarshalState()
			if len(b) != StateSize {
				t.Fatalf("encoded %d bytes, want %d", len(b), StateSize)
			}
			d := NewCPU(mode)
			if err := d.UnmarshalState(b); err != nil {
				t.Fatalf("mode %v: %v", mode, err)
			}
			if got, want := d.RFLAGS(), c.RFLAGS(); got != want {
				t.Fatalf("RFLAGS got %#x, want %#x", got, want)
			}
			// Compare everything else through a second encoding.
			if got, want := string(d.MarshalState()), string(b); got != want {
				t.Fatalf("mode %v: restored CPU encodes differently", mode)
			}
			if d.Regs != c.Regs || d.RIP != c.RIP || d.X != c.X || d.ST != c.ST {
				t.Fatalf("mode %v: registers differ after restore", mode)
			}
		}
	}
}

// TestStateRejects: encodings no CPU of the receiving kind could have are
// refused and leave the CPU unchanged.
func TestStateRejects(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	good := randomCPU(r, mm.Mode32).MarshalState()
	off := func(field string) int {
		// Offsets in the little-endian layout of state.
		switch field {
		case "magic":
			return 0
		case "mode":
			return 8
		case "reg0hi":
			return 9 + 4
		}
		panic(field)
	}
	cases := []struct {
		name string
		edit func(b []byte) []byte
		mode mm.Mode
	}{
		{"short", func(b []byte) []byte { return b[:len(b)-1] }, mm.Mode32},
		{"long", func(b []byte) []byte { return append(b, 0) }, mm.Mode32},
		{"magic", func(b []byte) []byte { b[off("magic")] ^= 1; return b }, mm.Mode32},
		{"other mode", func(b []byte) []byte { return b }, mm.Mode64},
		{"mode byte", func(b []byte) []byte { b[off("mode")] = 64; return b }, mm.Mode32},
		{"64-bit value in a 32-bit register", func(b []byte) []byte { b[off("reg0hi")] = 1; return b }, mm.Mode32},
	}
	for _, tc := range cases {
		b := tc.edit(append([]byte(nil), good...))
		c := NewCPU(tc.mode)
		before := c.MarshalState()
		if err := c.UnmarshalState(b); err == nil {
			t.Fatalf("%s: accepted", tc.name)
		}
		if string(c.MarshalState()) != string(before) {
			t.Fatalf("%s: a refused state changed the CPU", tc.name)
		}
	}
}
