package engine

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// spaceEnv is a machine wired as minemu wires it: a real GuestSpace for
// guest memory (Mode32, a small window) and the dynarec heap, from a real
// Regions arena above 4 GiB, as the code arena.
type spaceEnv struct {
	m     *machine
	c     *cpu.CPU
	space *mm.GuestSpace
	heap  *mm.Heap
}

func newSpaceEnv(t *testing.T, mode mm.Mode) *spaceEnv {
	t.Helper()
	cfg := mm.GuestSpaceConfig{Mode: mode}
	if mode == mm.Mode32 {
		cfg.Window = mm.AddrRange{Start: 0x30000000, End: 0x34000000}
	}
	space, err := mm.NewGuestSpace(cfg)
	if err != nil {
		t.Fatalf("NewGuestSpace: %v", err)
	}
	t.Cleanup(func() { space.Close() })
	regions, err := mm.NewRegions(mm.RegionsConfig{Mode: mode})
	if err != nil {
		t.Fatalf("NewRegions: %v", err)
	}
	t.Cleanup(func() { regions.Close() })
	heap, err := mm.NewDynarecHeap(regions)
	if err != nil {
		t.Fatalf("NewDynarecHeap: %v", err)
	}
	t.Cleanup(func() { heap.Close() })
	m, err := newMachine(Config{Mode: mode, Space: space, Code: heap})
	if err != nil {
		t.Fatal(err)
	}
	return &spaceEnv{m: m, c: cpu.NewCPU(mode), space: space, heap: heap}
}

// mapCode maps code into a fresh guest mapping with protection prot.
func (e *spaceEnv) mapCode(t *testing.T, code []byte, prot int) uint64 {
	t.Helper()
	a, err := e.space.Mmap(0, mm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	if err != nil {
		t.Fatalf("Mmap: %v", err)
	}
	copy(guestBytes(uint64(a), uint64(len(code))), code)
	if err := e.space.Mprotect(a, mm.PageSize, prot); err != nil {
		t.Fatalf("Mprotect: %v", err)
	}
	return uint64(a)
}

func (e *spaceEnv) stack(t *testing.T) {
	t.Helper()
	a, err := e.space.Mmap(0, 16*mm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	if err != nil {
		t.Fatalf("Mmap stack: %v", err)
	}
	e.c.Regs[cpu.RSP] = uint64(a) + 16*mm.PageSize - 16
}

func TestSpaceExecutePermission(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newSpaceEnv(t, mode)
			code := []byte{0xb8, 7, 0, 0, 0, 0xcc} // mov eax, 7; int3
			x := e.mapCode(t, code, unix.PROT_READ|unix.PROT_EXEC)
			e.c.RIP = x
			if ex := e.m.Run(e.c); ex.Signal != unix.SIGTRAP || e.c.Regs[cpu.RAX] != 7 {
				t.Fatalf("exit %+v rax %d", ex, e.c.Regs[cpu.RAX])
			}
			if st := e.heap.Stats(); st.LiveBytes == 0 {
				t.Fatalf("decoded block not in the dynarec heap: %+v", st)
			}
			nx := e.mapCode(t, code, unix.PROT_READ)
			e.c.RIP = nx
			ex := e.m.Run(e.c)
			if ex.Status() != 139 || !strings.Contains(ex.Detail, "instruction fetch") {
				t.Fatalf("executing a non-exec page: %+v", ex)
			}
		})
	}
}

// TestSpaceUnmapInvalidates: munmap through GuestSpace reaches the
// machine's change hook, which drops the decoded blocks (and, later, their
// dynarec memory); code mapped again at the same address is decoded anew.
func TestSpaceUnmapInvalidates(t *testing.T) {
	e := newSpaceEnv(t, mm.Mode32)
	x := e.mapCode(t, []byte{0xb8, 1, 0, 0, 0, 0xcc}, unix.PROT_READ|unix.PROT_EXEC)
	e.c.RIP = x
	e.m.Run(e.c)
	live := e.heap.Stats().LiveBytes
	if err := e.space.Munmap(mm.Addr(x), mm.PageSize); err != nil {
		t.Fatal(err)
	}
	if e.m.Stats().Invalidations != 1 {
		t.Fatalf("stats %+v after munmap, want 1 invalidation", e.m.Stats())
	}
	y := e.mapCode(t, []byte{0xb8, 2, 0, 0, 0, 0xcc}, unix.PROT_READ|unix.PROT_EXEC)
	e.c.RIP = y
	if ex := e.m.Run(e.c); ex.Signal != unix.SIGTRAP || e.c.Regs[cpu.RAX] != 2 {
		t.Fatalf("exit %+v rax %d (mapped at %#x, old %#x)", ex, e.c.Regs[cpu.RAX], y, x)
	}
	if got := e.heap.Stats().LiveBytes; got != live {
		t.Fatalf("dynarec live bytes %d, want %d: the dropped block was not freed", got, live)
	}
}

func TestSpaceCallGuest32(t *testing.T) {
	e := newSpaceEnv(t, mm.Mode32)
	e.stack(t)
	// mov eax,[esp+4]; add eax,[esp+8]; ret
	fn := e.mapCode(t, []byte{0x8b, 0x44, 0x24, 0x04, 0x03, 0x44, 0x24, 0x08, 0xc3}, unix.PROT_READ|unix.PROT_EXEC)
	got, err := e.m.CallGuest(e.c, fn, 40, 2)
	if err != nil || got != 42 {
		t.Fatalf("CallGuest = %d, %v", got, err)
	}
	if e.m.trap < 0x30000000 || e.m.trap >= 0x34000000 {
		t.Fatalf("trap at %#x, outside the guest window", e.m.trap)
	}
}
