// Package enginetest is what tests outside the engine packages need to run
// guest code on every engine: the -engine test flag, a machine (a process
// with one thread per CPU) for the engine it names, and real guest memory.
//
// Importing it links in every engine of the tree (today the interpreter),
// so `go test ./guest/... ./thunks ./tests -engine NAME` runs the whole
// guest-running suite on NAME. Only tests import it.
package enginetest

import (
	"flag"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/engine"
	_ "github.com/minemu/minemu/guest/interp" // registers "interp"
)

var engineFlag = flag.String("engine", engine.DefaultEngine, "the engine guest-running tests run on")

// Engine is the engine the tests run on (-engine).
func Engine() string { return *engineFlag }

// Machine is a process on Engine() with one thread per CPU it runs,
// registered on first use: the shape the tests that run a single guest
// thread want.
type Machine struct {
	*engine.Process
	mu      sync.Mutex
	threads map[*cpu.CPU]*engine.Thread
}

// NewMachine returns a Machine for cfg, with cfg.Engine set to Engine().
func NewMachine(cfg engine.Config) (*Machine, error) {
	cfg.Engine = Engine()
	p, err := engine.NewProcess(cfg)
	if err != nil {
		return nil, err
	}
	return &Machine{Process: p, threads: map[*cpu.CPU]*engine.Thread{}}, nil
}

// Thread returns the thread running c, registering it on first use.
func (m *Machine) Thread(c *cpu.CPU) (*engine.Thread, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.threads[c]; t != nil {
		return t, nil
	}
	t, err := m.NewThread(c)
	if err != nil {
		return nil, err
	}
	m.threads[c] = t
	return t, nil
}

// Run runs c's thread until the guest exits or dies.
func (m *Machine) Run(c *cpu.CPU) cpu.Exit {
	t, err := m.Thread(c)
	if err != nil {
		return cpu.Exit{Signal: unix.SIGABRT, Detail: err.Error()}
	}
	return t.Run()
}

// CallGuest runs guest function fn on c's thread.
func (m *Machine) CallGuest(c *cpu.CPU, fn uint64, args ...uint64) (uint64, error) {
	t, err := m.Thread(c)
	if err != nil {
		return 0, fmt.Errorf("enginetest: %w", err)
	}
	return t.CallGuest(c, fn, args...)
}

// MapAnon maps n bytes of private anonymous memory with protection prot;
// low asks for an address below 2 GiB (MAP_32BIT), reachable by a 32-bit
// guest.
func MapAnon(n uint64, low bool, prot int) (uint64, error) {
	flags := uintptr(unix.MAP_PRIVATE | unix.MAP_ANONYMOUS)
	if low {
		flags |= unix.MAP_32BIT
	}
	p, _, e := unix.Syscall6(unix.SYS_MMAP, 0, uintptr(n), uintptr(prot), flags, ^uintptr(0), 0)
	if e != 0 {
		return 0, e
	}
	return uint64(p), nil
}

// MapAnonAt maps n bytes of private anonymous memory at exactly a, failing
// rather than replacing anything there (MAP_FIXED_NOREPLACE).
func MapAnonAt(a, n uint64, prot int) error {
	p, _, e := unix.Syscall6(unix.SYS_MMAP, uintptr(a), uintptr(n), uintptr(prot),
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uintptr(0), 0)
	if e != 0 {
		return e
	}
	if uint64(p) != a {
		unix.Syscall(unix.SYS_MUNMAP, p, uintptr(n), 0)
		return unix.EEXIST
	}
	return nil
}

// Unmap unmaps n bytes at a.
func Unmap(a, n uint64) error {
	if _, _, e := unix.Syscall(unix.SYS_MUNMAP, uintptr(a), uintptr(n), 0); e != 0 {
		return e
	}
	return nil
}

// Seq concatenates instruction byte strings.
func Seq(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Le32 is v in little-endian order.
func Le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
