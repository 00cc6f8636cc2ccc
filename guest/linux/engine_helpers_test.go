package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/engine/enginetest"
	"github.com/minemu/minemu/mm"
)

// What the Linux tests, written when the engine was part of this package,
// use of it; they now get it from the engine packages (enginetest runs
// them on the engine -engine names). These helpers go once the tests build machines through enginetest directly.

// MachineConfig is the part of engine.Config the Linux tests set.
type MachineConfig struct {
	Mode    mm.Mode
	Space   *mm.GuestSpace
	Kernel  cpu.Kernel
	Thunker cpu.Thunker
}

// NewMachine returns a machine on the tests' engine.
func NewMachine(cfg MachineConfig) (*enginetest.Machine, error) {
	return enginetest.NewMachine(engine.Config{Mode: cfg.Mode, Space: cfg.Space, Kernel: cfg.Kernel, Thunker: cfg.Thunker})
}

func seq(parts ...[]byte) []byte { return enginetest.Seq(parts...) }

func le32(v uint32) []byte { return enginetest.Le32(v) }

func guestBytes(a, n uint64) []byte { return enginetest.GuestBytes(a, n) }

func mapAnon(n uint64, low bool) (uint64, error) {
	return enginetest.MapAnon(n, low, unix.PROT_READ|unix.PROT_WRITE)
}

// mapAnonAt maps n bytes of anonymous memory at exactly a (a test's
// foreign mapping or hole filler); EEXIST when something is there.
func mapAnonAt(a, n uint64, prot int) error {
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

// unmapAnon unmaps what mapAnonAt mapped.
func unmapAnon(a, n uint64) error {
	if _, _, e := unix.Syscall(unix.SYS_MUNMAP, uintptr(a), uintptr(n), 0); e != 0 {
		return e
	}
	return nil
}
