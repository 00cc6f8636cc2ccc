package guest

import (
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/engine"
	"github.com/minemu/minemu/guest/engine/enginetest"
	"github.com/minemu/minemu/mm"
)

// What the Linux tests, written when the engine was part of this package,
// use of it; they now get it from the engine packages (enginetest runs
// them on the engine -engine names). This file goes with compat.go.

// MachineConfig is the part of engine.Config the Linux tests set.
type MachineConfig struct {
	Mode    mm.Mode
	Space   *mm.GuestSpace
	Kernel  Kernel
	Thunker Thunker
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
