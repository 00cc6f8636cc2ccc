package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// failingArena is a CodeArena that cannot allocate, as the dynarec heap
// when the process is out of memory or of mappings.
type failingArena struct{ allocs int }

func (a *failingArena) Alloc(n uint64) (mm.Addr, error) { a.allocs++; return 0, unix.ENOMEM }
func (a *failingArena) Free(p mm.Addr) error            { return unix.EINVAL }

// TestArenaFailureFallsBack: when the code arena cannot take a decoded
// block, the block lives in Go memory and the guest runs on; every
// fallback is counted, and only the first is logged at warn level (a guest
// that exhausts the mappings used to make each new block log a warning).
func TestArenaFailureFallsBack(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newSpaceEnv(t, mode)
			var logBuf bytes.Buffer
			arena := &failingArena{}
			m, err := newMachine(Config{Mode: mode, Space: e.space, Code: arena,
				Log: zerolog.New(&logBuf).Level(zerolog.DebugLevel)})
			if err != nil {
				t.Fatal(err)
			}
			// Three blocks: mov eax, 1; jae +0 | add eax, 2; jae +0 | add eax, 4; int3
			// (a conditional jump ends a block; a direct jmp would be followed).
			code := []byte{0xb8, 1, 0, 0, 0, 0x73, 0, 0x83, 0xc0, 2, 0x73, 0, 0x83, 0xc0, 4, 0xcc}
			e.c.RIP = e.mapCode(t, code, unix.PROT_READ|unix.PROT_EXEC)
			if ex := m.Run(e.c); ex.Signal != unix.SIGTRAP || e.c.Regs[cpu.RAX] != 7 {
				t.Fatalf("exit %+v, eax %d; want SIGTRAP with eax 7", ex, e.c.Regs[cpu.RAX])
			}
			st := m.Stats()
			if st.BlocksDecoded != 3 || st.ArenaFallbacks != 3 || arena.allocs != 3 {
				t.Fatalf("%d blocks decoded, %d fallbacks, %d arena allocations; want 3 of each", st.BlocksDecoded,
					st.ArenaFallbacks, arena.allocs)
			}
			warns := strings.Count(logBuf.String(), `"level":"warn"`)
			debugs := strings.Count(logBuf.String(), `"level":"debug","error":"cannot allocate memory"`)
			if warns != 1 || debugs != 2 {
				t.Fatalf("%d warn and %d debug lines about the arena, want 1 and 2:\n%s", warns, debugs, logBuf.String())
			}
		})
	}
}
