package guest

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// testEnv is a machine with real guest memory mapped below 2 GiB
// (MAP_32BIT), so the same layout serves Mode32 and Mode64 guests:
// code at base, data at base+dataOff, the stack growing down from
// base+envSize.
type testEnv struct {
	t    testing.TB
	m    *Machine
	c    *CPU
	base uint64
}

const (
	envSize = 1 << 20
	dataOff = 0x80000
)

func newEnv(t testing.TB, mode mm.Mode) *testEnv {
	t.Helper()
	base, err := mapAnonProt(envSize, true, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
	if err != nil {
		t.Fatalf("mapping guest memory: %v", err)
	}
	return newEnvMapped(t, mode, base)
}

// newEnvAt is newEnv with the memory at a fixed address, for programs
// assembled for one (testdata/*.bin are built with org 0x10000000).
func newEnvAt(t testing.TB, mode mm.Mode, base uint64) *testEnv {
	t.Helper()
	if err := mapAnonAt(base, envSize, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC); err != nil {
		t.Skipf("cannot map guest memory at %#x: %v", base, err)
	}
	return newEnvMapped(t, mode, base)
}

func newEnvMapped(t testing.TB, mode mm.Mode, base uint64) *testEnv {
	t.Cleanup(func() {
		if err := unmapAnon(base, envSize); err != nil {
			t.Errorf("unmap: %v", err)
		}
	})
	m, err := NewMachine(MachineConfig{Mode: mode})
	if err != nil {
		t.Fatalf("NewMachine: %v", err)
	}
	e := &testEnv{t: t, m: m, c: NewCPU(mode), base: base}
	e.reset()
	return e
}

// data is the address of the data area.
func (e *testEnv) data() uint64 { return e.base + dataOff }

// reset sets the registers to zero and the stack pointer to the top.
func (e *testEnv) reset() {
	e.c.Regs = [16]uint64{}
	e.c.Regs[RSP] = e.base + envSize - 64
	e.c.RIP = e.base
}

// load copies code to base and drops any decoded copy of the old code.
func (e *testEnv) load(code []byte) {
	e.write(e.base, code)
	e.c.RIP = e.base
}

// write copies bytes into guest memory as a guest store would.
func (e *testEnv) write(a uint64, b []byte) {
	copy(guestBytes(a, uint64(len(b))), b)
	r, _ := mm.NewRange(mm.Addr(a), uint64(len(b)))
	e.m.Invalidate(r)
}

func (e *testEnv) read(a, n uint64) []byte {
	return append([]byte(nil), guestBytes(a, n)...)
}

// runTrap runs until the int3 that ends every test program and fails the
// test on any other exit.
func (e *testEnv) runTrap() {
	e.t.Helper()
	ex := e.m.Run(e.c)
	if ex.Signal != unix.SIGTRAP {
		e.t.Fatalf("guest stopped with %+v, want SIGTRAP from the final int3", ex)
	}
}

// seq concatenates instruction byte strings.
func seq(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
