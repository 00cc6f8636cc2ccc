package engine

import (
	"flag"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// The engine's tests are the conformance suite of every engine: they run
// guest code on the engine -engine names (default: the interpreter, which
// engines_test.go links in; a new engine is added there) and check what
// the guest computes, the faults it takes and what the shared code cache
// does.

var engineFlag = flag.String("engine", DefaultEngine, "the engine the guest-running tests run on")

// machine is what the tests drive: a process with one thread per CPU they
// run, made on first use, and a thread of its own for decoding blocks
// without running them (lookup).
type machine struct {
	*Process
	threads map[*cpu.CPU]*Thread
	idle    *Thread
}

func newMachine(cfg Config) (*machine, error) {
	cfg.Engine = *engineFlag
	p, err := NewProcess(cfg)
	if err != nil {
		return nil, err
	}
	return &machine{Process: p, threads: map[*cpu.CPU]*Thread{}}, nil
}

// thread returns the thread running c, registering it on first use.
func (m *machine) thread(c *cpu.CPU) *Thread {
	t := m.threads[c]
	if t == nil {
		var err error
		if t, err = m.NewThread(c); err != nil {
			panic(err)
		}
		m.threads[c] = t
	}
	return t
}

// Run runs c's thread until the guest exits or dies.
func (m *machine) Run(c *cpu.CPU) cpu.Exit { return m.thread(c).Run() }

// CallGuest calls fn on c's thread.
func (m *machine) CallGuest(c *cpu.CPU, fn uint64, args ...uint64) (uint64, error) {
	return m.thread(c).CallGuest(c, fn, args...)
}

// lookup decodes the block at pc (if it is not cached) without running it.
func (m *machine) lookup(pc uint64) *Block {
	if m.idle == nil {
		m.idle = m.thread(cpu.NewCPU(m.mode))
	}
	b := m.idle.Lookup(pc)
	m.idle.offline() // it runs nothing: it must not hold back reclamation
	return b
}

// releasePending releases what the idle thread retired, as a quiescent
// point does.
func (m *machine) releasePending() {
	if m.idle != nil {
		m.idle.quiesce()
		m.idle.offline()
	}
}

// testEnv is a machine with real guest memory mapped below 2 GiB
// (MAP_32BIT), so the same layout serves Mode32 and Mode64 guests:
// code at base, data at base+dataOff, the stack growing down from
// base+envSize.
type testEnv struct {
	t    testing.TB
	m    *machine
	c    *cpu.CPU
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
	m, err := newMachine(Config{Mode: mode})
	if err != nil {
		t.Fatalf("NewMachine: %v", err)
	}
	e := &testEnv{t: t, m: m, c: cpu.NewCPU(mode), base: base}
	e.reset()
	return e
}

// data is the address of the data area.
func (e *testEnv) data() uint64 { return e.base + dataOff }

// reset sets the registers to zero and the stack pointer to the top.
func (e *testEnv) reset() {
	e.c.Regs = [16]uint64{}
	e.c.Regs[cpu.RSP] = e.base + envSize - 64
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
