package thunks

import (
	"errors"

	"github.com/minemu/minemu/mm"
	"github.com/rs/zerolog"
)

// Config is everything New needs to assemble the thunk layer of one guest.
type Config struct {
	// Mode is the guest bitness.
	Mode mm.Mode
	// Space is the guest's address space.
	Space *mm.GuestSpace
	// Heap is the host heap (mm.NewHostHeap on Space).
	Heap *mm.Heap
	// NotHeap lists ranges free_any rejects outright: at least the guest
	// stack (loader's Loaded.Stack) and the image segments. More can be
	// added later with Lib.AddNotHeap.
	NotHeap []NamedRange
	// MaxCallbackDepth bounds callback nesting per guest thread; 0 means
	// DefaultMaxCallbackDepth.
	MaxCallbackDepth int
	// Log receives thunk errors, rejected frees and, at debug level, every
	// cross-boundary free decision.
	Log zerolog.Logger
	// Libraries are the thunk libraries registered besides minemu's own;
	// nil means Included() (those the binary was built with).
	Libraries []*Library
}

// Thunks is the assembled thunk layer: the registry the interpreter calls
// (guest.MachineConfig.Thunker = t.Registry) and minemu's host library
// registered in it.
type Thunks struct {
	Registry *Registry
	Lib      *HostLib
	// heap is kept for the live-bytes figure of Stats; immutable.
	heap *mm.Heap
}

// New builds the registry and registers the host library. Call SetCaller
// with the guest.Machine once it exists, before the guest runs.
func New(cfg Config) (*Thunks, error) {
	if cfg.Space == nil || cfg.Heap == nil {
		return nil, errors.New("thunks: New needs Space and Heap")
	}
	reg, err := NewRegistry(RegistryConfig{Mode: cfg.Mode, Memory: cfg.Space, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	lib, err := NewHostLib(HostLibConfig{
		Mode: cfg.Mode, Memory: cfg.Space, Heap: cfg.Heap, NotHeap: cfg.NotHeap,
		Callbacks: NewCallbacks(cfg.MaxCallbackDepth), Log: cfg.Log,
	})
	if err != nil {
		return nil, err
	}
	if err := lib.Register(reg); err != nil {
		return nil, err
	}
	libs := cfg.Libraries
	if libs == nil {
		libs = Included()
	}
	for _, l := range libs {
		if err := registerLibrary(reg, lib, l); err != nil {
			return nil, err
		}
	}
	return &Thunks{Registry: reg, Lib: lib, heap: cfg.Heap}, nil
}

// SetCaller connects host→guest callbacks to the interpreter
// (*guest.Machine implements GuestCaller).
func (t *Thunks) SetCaller(gc GuestCaller) { t.Lib.Callbacks().SetCaller(gc) }

// Stats is the "thunks" object of --stats, with the host heap's live bytes
// at the time of the call (at exit: what the guest left on the host heap).
func (t *Thunks) Stats() Stats {
	return CollectStats(t.Registry, t.Lib, t.heap.Stats().LiveBytes)
}
