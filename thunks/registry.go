package thunks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
	"github.com/rs/zerolog"
)

// MaxArgs is the most arguments a thunked function takes.
const MaxArgs = 6

// Hash returns the stub hash of "library:function": its SHA-256.
func Hash(library, function string) [32]byte {
	return sha256.Sum256([]byte(library + ":" + function))
}

// Kind says how a C value travels in a pointer-width argument slot.
type Kind uint8

const (
	// KindPtr is a data or function pointer: the slot holds the address,
	// zero-extended in the host.
	KindPtr Kind = iota + 1
	// KindSize is size_t / uintptr_t: zero-extended.
	KindSize
	// KindInt is a C int: the guest stores (uintptr_t)(intptr_t)v, the
	// host reads the low 32 bits as int32.
	KindInt
	// KindVoid is only valid as a result: the result slot is written 0.
	KindVoid
)

// Param is one C parameter of a thunked function.
type Param struct {
	// Name is the C parameter name (also the field of the packed struct).
	Name string
	// CType is the C type as written in the header ("const char *").
	CType string
	// Kind says how the value is packed.
	Kind Kind
}

// Spec describes one thunked function: its identity and its C signature,
// from which the header generator writes the packed struct, the stub and
// the C wrapper.
type Spec struct {
	// Library and Name form the thunk's identity "Library:Name"; the stub
	// hash is Hash(Library, Name).
	Library, Name string
	// Params are the C parameters in order (at most MaxArgs). Argument i
	// lives at offset i*width of the packed struct.
	Params []Param
	// Result is the C result type and ResultKind how it is packed into
	// the result slot at offset len(Params)*width.
	Result     string
	ResultKind Kind
	// CName, if set, names the generated C wrapper instead of
	// "<library>_<name>" (used when a hand-written helper in CHelper
	// provides the friendly name).
	CName string
	// CHelper is extra C emitted after the wrapper (e.g. a variadic front
	// end). It must be valid for both ABIs.
	CHelper string
	// Doc is a one-line description, emitted as a C comment.
	Doc string
}

// FullName is "library:function".
func (s *Spec) FullName() string { return s.Library + ":" + s.Name }

// Args is what a host function receives: the argument slots already read
// from guest memory, zero-extended from the guest's pointer width. It is
// passed by value so a call allocates nothing.
type Args struct {
	// Vals holds the first len(Spec.Params) argument slots.
	Vals [MaxArgs]uint64
	// Ptr is the guest address of the packed struct.
	Ptr mm.Addr
}

// Int returns argument i read as a C int.
func (a *Args) Int(i int) int32 { return int32(uint32(a.Vals[i])) }

// Addr returns argument i as a guest address.
func (a *Args) Addr(i int) mm.Addr { return mm.Addr(a.Vals[i]) }

// Func is the host side of a thunk. It returns the value for the result
// slot. A non-nil error is fatal to the guest (the interpreter delivers
// SIGILL with the error text); errors the guest should see travel in the
// result (NULL, a negative errno) instead.
type Func func(c *cpu.CPU, a Args) (uint64, error)

// entry is one registered function. Immutable after registration except
// calls.
type entry struct {
	spec Spec
	hash [32]byte
	fn   Func
	// calls counts completed calls; atomic.
	calls atomic.Uint64
}

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	// Mode is the guest's bitness: the packed-argument width and the
	// register holding the argument pointer follow from it.
	Mode mm.Mode
	// Memory answers which guest ranges may be read and written.
	Memory Memory
	// Log receives thunk errors.
	Log zerolog.Logger
}

// Registry maps stub hashes to host functions. It implements
// cpu.Thunker. Register may run concurrently with Resolve and Call.
type Registry struct {
	// mem is the checked guest-memory accessor; immutable.
	mem guestMem
	// log is immutable.
	log zerolog.Logger

	// mu serialises writers (Register, KnowName). Readers of entries use
	// the atomic pointer and take no lock; readers of byHash and names
	// take mu.
	mu sync.RWMutex
	// entries[id-1] is the function with that id (ids start at 1, 0 is
	// never valid). The slice is copied on write and never shrinks, so a
	// loaded snapshot stays valid.
	entries atomic.Pointer[[]*entry]
	// byHash maps a stub hash to its id. Guarded by mu.
	byHash map[[32]byte]uint32
	// names maps every hash whose name minemu knows (registered or noted
	// with KnowName) to "library:function". Guarded by mu.
	names map[[32]byte]string
}

// NewRegistry returns an empty registry.
func NewRegistry(cfg RegistryConfig) (*Registry, error) {
	if cfg.Mode != mm.Mode32 && cfg.Mode != mm.Mode64 {
		return nil, fmt.Errorf("thunks: invalid mode %v", cfg.Mode)
	}
	if cfg.Memory == nil {
		return nil, fmt.Errorf("thunks: no guest memory")
	}
	r := &Registry{
		mem:    guestMem{m: cfg.Memory, mode: cfg.Mode},
		log:    cfg.Log,
		byHash: make(map[[32]byte]uint32),
		names:  make(map[[32]byte]string),
	}
	r.entries.Store(new([]*entry))
	return r, nil
}

// Mode is the guest bitness the registry packs arguments for.
func (r *Registry) Mode() mm.Mode { return r.mem.mode }

// Register adds a host function. It fails if the spec is malformed or its
// name is already registered.
func (r *Registry) Register(s Spec, fn Func) error {
	if err := s.validate(); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("thunks: %s: nil function", s.FullName())
	}
	h := Hash(s.Library, s.Name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byHash[h]; dup {
		return fmt.Errorf("thunks: %s registered twice", s.FullName())
	}
	old := *r.entries.Load()
	next := make([]*entry, len(old), len(old)+1)
	copy(next, old)
	next = append(next, &entry{spec: s, hash: h, fn: fn})
	r.entries.Store(&next)
	r.byHash[h] = uint32(len(next))
	r.names[h] = s.FullName()
	return nil
}

// KnowName records "library:function" names that are not registered, so
// that an unknown-hash error can name them (e.g. the names a newer
// header declares, or symbols from the guest's symbol table).
func (r *Registry) KnowName(names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		r.names[sha256.Sum256([]byte(n))] = n
	}
}

// UnknownHashError is the error of Resolve for a hash nothing registered.
type UnknownHashError struct {
	// Hash is the stub's hash.
	Hash [32]byte
	// Name is "library:function" when minemu knows the name, else "".
	Name string
}

func (e *UnknownHashError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("thunks: unknown thunk %s (hash %s): no host library provides it", e.Name, hex.EncodeToString(e.Hash[:]))
	}
	return fmt.Sprintf("thunks: unknown thunk hash %s", hex.EncodeToString(e.Hash[:]))
}

// Resolve returns the id of the function whose stub carries hash. The
// interpreter calls it once per stub and caches the id.
func (r *Registry) Resolve(hash [32]byte) (uint32, error) {
	r.mu.RLock()
	id, ok := r.byHash[hash]
	name := r.names[hash]
	r.mu.RUnlock()
	if !ok {
		err := &UnknownHashError{Hash: hash, Name: name}
		r.log.Error().Str("hash", hex.EncodeToString(hash[:])).Str("name", name).Msg("unknown thunk")
		return 0, err
	}
	return id, nil
}

// Spec returns the spec of a registered id.
func (r *Registry) Spec(id uint32) (Spec, bool) {
	e := r.lookup(id)
	if e == nil {
		return Spec{}, false
	}
	return e.spec, true
}

func (r *Registry) lookup(id uint32) *entry {
	es := *r.entries.Load()
	if id == 0 || uint64(id) > uint64(len(es)) {
		return nil
	}
	return es[id-1]
}

// ArgsPointer returns the packed-argument pointer of a stub call: RDI for
// x86-64 guests, ECX for i386 guests.
func ArgsPointer(mode mm.Mode, c *cpu.CPU) mm.Addr {
	if mode == mm.Mode32 {
		return mm.Addr(uint32(c.Regs[cpu.RCX]))
	}
	return mm.Addr(c.Regs[cpu.RDI])
}

// Call runs the function with the given id for the CPU that executed its
// stub: it reads the packed arguments, runs the host function and writes
// the result slot. The interpreter then performs the RET.
func (r *Registry) Call(id uint32, c *cpu.CPU) error {
	e := r.lookup(id)
	if e == nil {
		return fmt.Errorf("thunks: no thunk with id %d", id)
	}
	lay := LayoutFor(r.mem.mode, len(e.spec.Params))
	a := Args{Ptr: ArgsPointer(r.mem.mode, c)}
	block, ok := mm.NewRange(a.Ptr, lay.Size)
	if !ok || !r.mem.ok(block, protRW) {
		return fmt.Errorf("thunks: %s: argument block %#x (%d bytes) is not mapped read-write", e.spec.FullName(), uint64(a.Ptr), lay.Size)
	}
	for i := range e.spec.Params {
		a.Vals[i] = r.mem.loadWord(lay.Arg(a.Ptr, i))
	}
	ret, err := e.fn(c, a)
	if err != nil {
		return fmt.Errorf("thunks: %s: %w", e.spec.FullName(), err)
	}
	if e.spec.ResultKind == KindVoid {
		ret = 0
	}
	r.mem.storeWord(lay.Result(a.Ptr), ret)
	e.calls.Add(1)
	return nil
}

// RegistryStats are the per-function call counts.
type RegistryStats struct {
	// Calls maps "library:function" to completed calls; functions never
	// called are included with 0.
	Calls map[string]uint64 `json:"calls"`
}

// Stats returns the call counts.
func (r *Registry) Stats() RegistryStats {
	es := *r.entries.Load()
	s := RegistryStats{Calls: make(map[string]uint64, len(es))}
	for _, e := range es {
		s.Calls[e.spec.FullName()] = e.calls.Load()
	}
	return s
}

var _ cpu.Thunker = (*Registry)(nil)

func (s *Spec) validate() error {
	if !isCIdent(s.Library) || !isCIdent(s.Name) {
		return fmt.Errorf("thunks: %q: library and function must be C identifiers", s.FullName())
	}
	if len(s.Params) > MaxArgs {
		return fmt.Errorf("thunks: %s: %d parameters, at most %d", s.FullName(), len(s.Params), MaxArgs)
	}
	seen := map[string]bool{"ret": true}
	for _, p := range s.Params {
		if !isCIdent(p.Name) || seen[p.Name] {
			return fmt.Errorf("thunks: %s: bad or duplicate parameter name %q", s.FullName(), p.Name)
		}
		seen[p.Name] = true
		if p.Kind < KindPtr || p.Kind > KindInt || p.CType == "" {
			return fmt.Errorf("thunks: %s: parameter %s: bad kind or type", s.FullName(), p.Name)
		}
	}
	if s.ResultKind < KindPtr || s.ResultKind > KindVoid || s.Result == "" {
		return fmt.Errorf("thunks: %s: bad result kind or type", s.FullName())
	}
	if s.CName != "" && !isCIdent(s.CName) {
		return fmt.Errorf("thunks: %s: bad C name %q", s.FullName(), s.CName)
	}
	return nil
}

func isCIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
