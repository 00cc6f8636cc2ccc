package thunks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// A Library is a thunk library a user adds to minemu without editing it:
// one declaration of its functions (C prototypes) with their Go
// implementations. From the same value minemu generates the guest side
// (WriteLibraryHeader: the packed structs, the stubs and static inline
// wrappers; WriteLibraryStubs: a C file defining each function under its
// own name, to link instead of the real library) and registers the host
// side (New, for every library passed to Include). The library's Go
// package calls Include from an init function; `minemu thunks build`
// builds a minemu that imports it. docs/thunks.md has a complete example.
type Library struct {
	// Name is a C identifier; the stub of function F hashes "Name:F".
	// "minemu" is minemu's own library.
	Name string
	// Doc is a one-line description for the header.
	Doc string
	// Prelude is C emitted at the top of the header, after <stddef.h>
	// and <stdint.h>: the includes and typedefs the declarations use.
	// Function-pointer parameters need a typedef here.
	Prelude string
	// Types says how each typedef name of the declarations travels
	// (KindPtr, KindSize for pointer-width integers, KindInt for 32-bit
	// ones). Pointers, int, long, size_t and the like need no entry.
	Types map[string]Kind
	// Funcs are the library's functions, in header order.
	Funcs []Function
	// NewState, if set, makes the library's state for one guest when the
	// guest starts; Call.State returns it. nil: no state.
	NewState func() any
}

// Function is one function of a Library.
type Function struct {
	// Decl is its C prototype, e.g. "int compress2(Bytef *dest, uLongf
	// *destLen, const Bytef *source, uLong sourceLen, int level)"; the
	// name is the C name the stubs file defines. At most MaxArgs
	// parameters.
	Decl string
	// Doc is a one-line description, emitted as a C comment.
	Doc string
	// Impl is the host side. Its result goes to the result slot; errors
	// the guest should see travel in it, a non-nil error is fatal to the
	// guest (SIGILL with the text).
	Impl func(c Call) (uint64, error)
}

// Specs returns the functions' specs, parsed from the declarations.
func (l *Library) Specs() ([]Spec, error) {
	if !isCIdent(l.Name) {
		return nil, fmt.Errorf("thunks: library name %q is not a C identifier", l.Name)
	}
	if l.Name == HostLibrary {
		return nil, fmt.Errorf("thunks: library name %q is minemu's own", l.Name)
	}
	specs := make([]Spec, 0, len(l.Funcs))
	seen := map[string]bool{}
	for _, f := range l.Funcs {
		name, params, result, kind, err := parseDecl(f.Decl, l.Types)
		if err != nil {
			return nil, fmt.Errorf("library %s: %w", l.Name, err)
		}
		if seen[name] {
			return nil, fmt.Errorf("thunks: library %s: %s declared twice", l.Name, name)
		}
		seen[name] = true
		if f.Impl == nil {
			return nil, fmt.Errorf("thunks: library %s: %s has no implementation", l.Name, name)
		}
		s := Spec{Library: l.Name, Name: name, Params: params, Result: result, ResultKind: kind, Doc: f.Doc}
		if err := s.validate(); err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return specs, nil
}

var (
	includedMu sync.Mutex
	included   []*Library
)

// Include adds a library to every minemu this binary runs (thunks.New
// registers it). A library package calls it from init; an invalid
// declaration or a second library of the same name panics there, when
// the binary starts, since it is a programming error.
func Include(l *Library) {
	if _, err := l.Specs(); err != nil {
		panic(err)
	}
	includedMu.Lock()
	defer includedMu.Unlock()
	for _, o := range included {
		if o.Name == l.Name {
			panic(fmt.Sprintf("thunks: library %s included twice", l.Name))
		}
	}
	included = append(included, l)
}

// Included returns the included libraries, in name order.
func Included() []*Library {
	includedMu.Lock()
	defer includedMu.Unlock()
	out := slices.Clone(included)
	slices.SortFunc(out, func(a, b *Library) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// libEnv is what the functions of one library see of one guest; it is
// immutable after registerLibrary.
type libEnv struct {
	lib   *Library
	host  *HostLib
	mem   guestMem
	state any
	log   zerolog.Logger
}

// registerLibrary registers l's functions in reg, over the host library
// h of the same guest (its heap, callbacks and memory).
func registerLibrary(reg *Registry, h *HostLib, l *Library) error {
	specs, err := l.Specs()
	if err != nil {
		return err
	}
	env := &libEnv{lib: l, host: h, mem: h.mem, log: h.log.With().Str("library", l.Name).Logger()}
	if l.NewState != nil {
		env.state = l.NewState()
	}
	for i, s := range specs {
		impl := l.Funcs[i].Impl
		fn := func(c *cpu.CPU, a Args) (uint64, error) { return impl(Call{cpu: c, args: a, env: env}) }
		if err := reg.Register(s, fn); err != nil {
			return err
		}
	}
	return nil
}

// ErrFault is what Call's memory accessors return for guest memory that
// is not mapped with the access asked for (or lies past the guest's
// address space).
var ErrFault = unix.EFAULT

// ErrTooLarge is what Call.Read returns for more than MaxBuffer bytes.
var ErrTooLarge = errors.New("thunks: buffer larger than MaxBuffer")

// MaxBuffer bounds one Call.Read, so that a guest length cannot make the
// host copy the whole window at once.
const MaxBuffer = 64 << 20

// Call is one call of a library function: its arguments and checked
// access to the guest that made it. It is a value, valid only during the
// call.
type Call struct {
	cpu  *cpu.CPU
	args Args
	env  *libEnv
}

// Mode is the guest's bitness.
func (c Call) Mode() mm.Mode { return c.env.mem.mode }

// Width is the guest's pointer width in bytes (4 or 8).
func (c Call) Width() uint64 { return WordWidth(c.env.mem.mode) }

// Arg is argument slot i, zero-extended.
func (c Call) Arg(i int) uint64 { return c.args.Vals[i] }

// Ptr is argument i as a guest address.
func (c Call) Ptr(i int) mm.Addr { return c.args.Addr(i) }

// Int is argument i as a C int.
func (c Call) Int(i int) int32 { return c.args.Int(i) }

// Signed is argument i as a signed pointer-width integer (long, ssize_t).
func (c Call) Signed(i int) int64 {
	if c.Mode() == mm.Mode32 {
		return int64(int32(uint32(c.args.Vals[i])))
	}
	return int64(c.args.Vals[i])
}

// State is the library's state for this guest (Library.NewState).
func (c Call) State() any { return c.env.state }

// Log is the library's logger (minemu's, with the library's name).
func (c Call) Log() *zerolog.Logger { return &c.env.log }

// Read copies n bytes of guest memory at p (readable, at most MaxBuffer).
func (c Call) Read(p mm.Addr, n uint64) ([]byte, error) {
	if n > MaxBuffer {
		return nil, ErrTooLarge
	}
	return c.env.mem.read(p, n)
}

// Write copies b to guest memory at p (mapped read-write).
func (c Call) Write(p mm.Addr, b []byte) error { return c.env.mem.write(p, b) }

// CheckRW reports ErrFault unless [p, p+n) is mapped read-write.
func (c Call) CheckRW(p mm.Addr, n uint64) error {
	r, ok := mm.NewRange(p, n)
	if !ok || !c.env.mem.ok(r, protRW) {
		return ErrFault
	}
	return nil
}

// ReadWord reads a guest pointer-width word (a pointer, size_t, long).
func (c Call) ReadWord(p mm.Addr) (uint64, error) { return c.env.mem.readWord(p) }

// WriteWord writes a guest pointer-width word, truncated to the width.
func (c Call) WriteWord(p mm.Addr, v uint64) error { return c.env.mem.writeWord(p, v) }

// ReadU32 reads a 32-bit word (an int, unsigned int).
func (c Call) ReadU32(p mm.Addr) (uint32, error) {
	b, err := c.env.mem.read(p, 4)
	if err != nil {
		return 0, err
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24, nil
}

// WriteU32 writes a 32-bit word.
func (c Call) WriteU32(p mm.Addr, v uint32) error {
	return c.env.mem.write(p, []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

// CString reads the C string at p (at most MaxString bytes, else
// errTooLong; ErrFault if it runs into unmapped memory).
func (c Call) CString(p mm.Addr) (string, error) { return c.env.mem.cstring(p, maxCString) }

// CheckFunc reports ErrFault unless fn is an address in executable guest
// memory: check every function pointer the guest passes before calling it.
func (c Call) CheckFunc(fn uint64) error {
	r, ok := mm.NewRange(mm.Addr(fn), 1)
	if fn == 0 || !ok || !c.env.mem.ok(r, unix.PROT_READ|unix.PROT_EXEC) {
		return ErrFault
	}
	return nil
}

// CallGuest calls the guest function fn (checked with CheckFunc first)
// with args, on the calling guest thread, and returns its result (a C int
// result is the low 32 bits). It counts in --stats' callbacks and nests up
// to the bound; a non-nil error means the guest cannot go on (it died
// during the call, or the bound was reached): return it.
func (c Call) CallGuest(fn uint64, args ...uint64) (uint64, error) {
	if err := c.CheckFunc(fn); err != nil {
		return 0, fmt.Errorf("guest function %#x is not in executable guest memory", fn)
	}
	r, err := c.env.host.cb.Call(c.cpu, fn, args...)
	if c.Mode() == mm.Mode32 {
		r = uint64(uint32(r))
	}
	return r, err
}

// Alloc allocates n bytes on the host heap (guest-visible, below 4 GiB for
// an i386 guest; 16-byte aligned); 0 when the heap cannot. The guest may
// free the block with minemu_free or minemu_free_any.
func (c Call) Alloc(n uint64) (mm.Addr, error) { return c.env.host.alloc(n) }

// Free frees a host-heap allocation (minemu_free's rules and counters):
// false, counted as a rejected free, for anything else.
func (c Call) Free(p mm.Addr) bool { return c.env.host.hostFree(c.cpu, c.env.lib.Name, p) }

// FreeAny is the cross-boundary free (minemu_free_any) of p.
func (c Call) FreeAny(p mm.Addr) (FreeDecision, error) { return c.env.host.freeAny(c.cpu, p) }

// IsHostAllocation reports whether p starts a live host-heap allocation.
func (c Call) IsHostAllocation(p mm.Addr) bool { return c.env.host.heap.Owns(p) }

// CheckGenerated reports an error when the files at headerPath and
// stubsPath differ from what WriteLibraryHeader and WriteLibraryStubs
// write for l today. A library package's test calls it on its committed
// guest side, so that a stale header fails the tests.
func CheckGenerated(l *Library, headerPath, stubsPath string) error {
	for _, f := range []struct {
		path  string
		write func(io.Writer, *Library) error
	}{{headerPath, WriteLibraryHeader}, {stubsPath, WriteLibraryStubs}} {
		committed, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		var want bytes.Buffer
		if err := f.write(&want, l); err != nil {
			return err
		}
		if !bytes.Equal(committed, want.Bytes()) {
			return fmt.Errorf("%s is stale: run go generate in the library's package (committed %d bytes, generated %d)",
				f.path, len(committed), want.Len())
		}
	}
	return nil
}
