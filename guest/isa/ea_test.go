package isa

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestMode32AddressesBelow4G checks the isolation property directly on EA,
// the address computation the engines follow: for random operands,
// segment bases and address sizes, every linear address a Mode32 memory
// operand can form is below 4 GiB.
func TestMode32AddressesBelow4G(t *testing.T) {
	c := cpu.NewCPU(mm.Mode32)
	var x uint64 = 0x9e3779b97f4a7c15
	next := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	for i := 0; i < 20000; i++ {
		for r := range c.Regs {
			c.Regs[r] = next() & 0xffffffff
		}
		c.FSBase, c.GSBase = next()&0xffffffff, next()&0xffffffff
		o := Op{Dst: Arg{Kind: KindMem}, M: Mem{Base: uint8(next() % 8), Index: uint8(next() % 8), Scale: uint8(next() % 4),
			Seg: uint8(next() % 3), ASize: []uint8{2, 4}[next()%2]}, Disp: uint64(int64(int32(next())))}
		if ad := EA(c, &o, mm.Mode32); ad >= 1<<32 {
			t.Fatalf("operand %+v disp %#x formed %#x", o.M, o.Disp, ad)
		}
	}
}
