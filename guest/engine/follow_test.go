package engine

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestFollowedJumps: the block decoder follows direct jmps (backwards
// too) into one block; the jumps still count as executed instructions,
// and a store to a followed jmp's own bytes drops the block.
func TestFollowedJumps(t *testing.T) {
	// 0: jmp 8 | 2: add eax, 2 | 5: int3 | 6: nop; nop | 8: mov eax, 1 |
	// 13: jmp 2 | 15: add eax, 16 | 18: int3
	code := []byte{0xeb, 0x06, 0x83, 0xc0, 0x02, 0xcc, 0x90, 0x90, 0xb8, 1, 0, 0, 0, 0xeb, 0xf3, 0x83, 0xc0, 0x10, 0xcc}
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		e := newEnv(t, mode)
		e.load(code)
		tests := []struct {
			patch    []byte // written at offset 14 (the rel8 of the second jmp) before the run
			eax      uint64
			decoded  uint64 // blocks decoded by the run
			executed uint64 // instructions before the int3
		}{
			{nil, 3, 1, 4},
			{[]byte{0x00}, 17, 1, 4}, // jmp 15: the block must be decoded afresh
			{nil, 17, 0, 4},
		}
		for i, tc := range tests {
			if tc.patch != nil {
				e.write(e.base+14, tc.patch)
			}
			before := e.m.Stats()
			e.reset()
			e.runTrap()
			st := e.m.Stats()
			if got := e.c.Regs[cpu.RAX]; got != tc.eax {
				t.Fatalf("mode %v run %d: eax %d, want %d", mode, i, got, tc.eax)
			}
			if got := st.BlocksDecoded - before.BlocksDecoded; got != tc.decoded {
				t.Fatalf("mode %v run %d: %d blocks decoded, want %d", mode, i, got, tc.decoded)
			}
			if got := st.Instructions - before.Instructions; got != tc.executed {
				t.Fatalf("mode %v run %d: %d instructions, want %d", mode, i, got, tc.executed)
			}
		}
	}
}
