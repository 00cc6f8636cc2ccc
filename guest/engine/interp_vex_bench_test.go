package engine

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// BenchmarkVexLoop runs b.N iterations of a loop of four VEX instructions
// (vpaddd, vfmadd231ps and a 32-byte load and store) and the loop's dec
// and jnz; ns/op is one iteration, six guest instructions.
func BenchmarkVexLoop(b *testing.B) {
	e := newEnv(b, mm.Mode64)
	loop := []byte{
		0xc5, 0xfd, 0xfe, 0xc1, // vpaddd ymm0, ymm0, ymm1
		0xc4, 0xe2, 0x75, 0xb8, 0xd3, // vfmadd231ps ymm2, ymm1, ymm3
		0xc5, 0xfc, 0x10, 0x23, // vmovups ymm4, [rbx]
		0xc5, 0xfc, 0x11, 0x43, 0x20, // vmovups [rbx+32], ymm0
		0xff, 0xc9, // dec ecx
	}
	code := append(append([]byte(nil), loop...), 0x75, byte(-(len(loop) + 2)), 0xcc) // jnz loop; int3
	e.load(code)
	e.c.Regs[cpu.RBX] = e.data()
	e.c.Regs[cpu.RCX] = 1
	e.runTrap() // decode the block once
	b.ReportAllocs()
	b.ResetTimer()
	e.c.RIP = e.base
	e.c.Regs[cpu.RCX] = uint64(b.N)
	e.runTrap()
}
