package x87

import (
	"encoding/binary"
	"fmt"
)

func put80(b []byte, x F80) {
	binary.LittleEndian.PutUint64(b, x.Mant)
	binary.LittleEndian.PutUint16(b[8:], x.SE)
}

func get80(b []byte) F80 {
	return F80{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint16(b[8:])}
}

// hostOut is what a host run leaves.
type hostOut struct {
	r0, r1 F80
	sw     uint16 // FSW including TOP
	flags  uint32
	mem    [16]byte
}

// host runs f on the host FPU with control word cw, a = ST(1) and b = ST(0)
// (see hostfpu_amd64.go) and memory operand mem.
func host(f func(*hostState), cw uint16, a, b F80, mem []byte) hostOut {
	return hostSW(f, cw, 0, a, b, mem)
}

// hostSW is host starting from status word sw0 (condition codes only:
// pending exceptions would trap).
func hostSW(f func(*hostState), cw, sw0 uint16, a, b F80, mem []byte) hostOut {
	var s hostState
	binary.LittleEndian.PutUint16(s[hsCW:], cw)
	binary.LittleEndian.PutUint16(s[hsEnv:], cw)
	binary.LittleEndian.PutUint16(s[hsEnv+4:], sw0)
	binary.LittleEndian.PutUint16(s[hsEnv+8:], 0xffff)
	put80(s[hsA:], a)
	put80(s[hsB:], b)
	// Sentinels: a register store that did not happen leaves these.
	put80(s[hsR0:], F80{0x1234, 0x5555})
	put80(s[hsR1:], F80{0x1234, 0x5555})
	copy(s[hsMem:hsMem+16], mem)
	f(&s)
	var o hostOut
	o.r0, o.r1 = get80(s[hsR0:]), get80(s[hsR1:])
	o.sw = binary.LittleEndian.Uint16(s[hsSW:])
	o.flags = binary.LittleEndian.Uint32(s[hsFlags:])
	copy(o.mem[:], s[hsMem:])
	return o
}

func (x F80) String() string { return fmt.Sprintf("%04x:%016x", x.SE, x.Mant) }
