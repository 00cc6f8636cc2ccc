package cpu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/minemu/minemu/mm"
)

// A thread's architectural state in a fixed binary form, for a process that
// continues a guest started elsewhere: the child of a guest fork, a new
// minemu that restores what its parent saved. Everything a guest
// instruction can observe is in it, lazily computed flags materialized.

// stateMagic opens every encoded State; the digit is the layout version.
const stateMagic = "minemuC1"

// state is the encoded layout (little-endian, no padding: encoding/binary
// writes fields back to back).
type state struct {
	Magic          [8]byte
	Mode           uint8
	Regs           [16]uint64
	RIP, RFLAGS    uint64
	FSBase, GSBase uint64
	FS, GS         uint16
	X              [16][VecLanes]uint64
	MXCSR          uint32
	FCW, FSW       uint16
	ST             [8]F80
	FTOP, FTAG     uint8
}

// StateSize is the length of MarshalState's result.
var StateSize = binary.Size(state{})

// MarshalState returns c's state in the fixed binary form UnmarshalState
// reads.
func (c *CPU) MarshalState() []byte {
	s := state{
		Mode: uint8(c.Mode), Regs: c.Regs, RIP: c.RIP, RFLAGS: c.RFLAGS(),
		FSBase: c.FSBase, GSBase: c.GSBase, FS: c.FS, GS: c.GS, X: c.X,
		MXCSR: c.MXCSR, FCW: c.FCW, FSW: c.FSW, ST: c.ST, FTOP: c.FTOP, FTAG: c.FTAG,
	}
	copy(s.Magic[:], stateMagic)
	var b bytes.Buffer
	b.Grow(StateSize)
	_ = binary.Write(&b, binary.LittleEndian, &s) // fixed-size: cannot fail
	return b.Bytes()
}

// UnmarshalState replaces c's state with b, which MarshalState wrote. The
// mode must match c's; every field is checked as the hardware would have
// it (the reserved flag bits, MXCSR's reserved bits, TOP's range), so a
// corrupted or forged state is an error, never a CPU no instruction could
// produce.
func (c *CPU) UnmarshalState(b []byte) error {
	if len(b) != StateSize {
		return fmt.Errorf("cpu: state of %d bytes, want %d", len(b), StateSize)
	}
	var s state
	if err := binary.Read(bytes.NewReader(b), binary.LittleEndian, &s); err != nil {
		return err
	}
	switch {
	case string(s.Magic[:]) != stateMagic:
		return errors.New("cpu: not a CPU state (bad magic)")
	case mm.Mode(s.Mode) != c.Mode:
		return fmt.Errorf("cpu: state of a mode-%d CPU, this one is mode %d", s.Mode, c.Mode)
	case s.MXCSR&^0xffff != 0:
		return fmt.Errorf("cpu: MXCSR %#x has reserved bits set", s.MXCSR)
	case s.FTOP > 7:
		return fmt.Errorf("cpu: x87 TOP %d out of range", s.FTOP)
	case c.Mode == mm.Mode32 && (s.RIP>>32 != 0 || s.FSBase>>32 != 0 || s.GSBase>>32 != 0):
		return errors.New("cpu: a 32-bit CPU state with 64-bit addresses")
	}
	if c.Mode == mm.Mode32 {
		for _, r := range s.Regs {
			if r>>32 != 0 {
				return errors.New("cpu: a 32-bit CPU state with 64-bit register values")
			}
		}
	}
	c.Regs, c.RIP = s.Regs, s.RIP
	c.FSBase, c.GSBase, c.FS, c.GS = s.FSBase, s.GSBase, s.FS, s.GS
	c.X, c.MXCSR, c.FCW, c.FSW, c.ST, c.FTOP, c.FTAG = s.X, s.MXCSR, s.FCW, s.FSW, s.ST, s.FTOP, s.FTAG
	c.SetRFLAGS(s.RFLAGS)
	return nil
}
