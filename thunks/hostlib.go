package thunks

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/minemu/minemu/guest"
	"github.com/minemu/minemu/mm"
	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// HostLibrary is the library name of the functions minemu ships; their
// stubs hash "minemu:<function>".
const HostLibrary = "minemu"

// HostHeap is what the host library needs of mm's guest-visible host heap
// (*mm.Heap from mm.NewHostHeap).
type HostHeap interface {
	Alloc(n uint64) (mm.Addr, error)
	Calloc(n, size uint64) (mm.Addr, error)
	Realloc(p mm.Addr, n uint64) (mm.Addr, error)
	Free(p mm.Addr) error
	// Owns is true only for the start of a live allocation of this heap
	// and never faults.
	Owns(p mm.Addr) bool
	// UsableSize fails with mm.ErrInterior or mm.ErrDoubleFree when p lies
	// inside one of the heap's blocks without starting a live allocation,
	// and with mm.ErrNotOwned when p lies in no block. free_any uses the
	// difference so that a host-heap interior or stale pointer is never
	// handed to the guest's free.
	UsableSize(p mm.Addr) (uint64, error)
}

// NamedRange is a guest range minemu knows holds no heap allocation (the
// guest stack, the image segments), with a name for logs.
type NamedRange struct {
	Name  string
	Range mm.AddrRange
}

// HostLibConfig configures the host library.
type HostLibConfig struct {
	// Mode is the guest bitness.
	Mode mm.Mode
	// Memory is the guest address space.
	Memory Memory
	// Heap is the host heap (guest-visible; below 4 GiB in Mode32).
	Heap HostHeap
	// NotHeap lists ranges that hold no heap allocation; more can be added
	// with AddNotHeap once the loader has placed the stack.
	NotHeap []NamedRange
	// Callbacks runs host→guest calls; nil gives a new one with the
	// default depth bound (set its caller with SetCaller).
	Callbacks *Callbacks
	// Log receives rejected frees (error) and every cross-boundary free
	// decision (debug).
	Log zerolog.Logger
}

// HostLib is minemu's own host library: allocation functions on the host
// heap, string helpers, and the cross-boundary free. See the package
// documentation for the free_any decision table.
type HostLib struct {
	// mode, mem, heap, cb, log are immutable after New.
	mode mm.Mode
	mem  guestMem
	heap HostHeap
	cb   *Callbacks
	log  zerolog.Logger

	// Counters, atomic.
	freesHost, freesGuest, freesRejected, freesNull atomic.Uint64

	// mu guards the fields below.
	mu sync.Mutex
	// notHeap are the ranges free_any rejects outright.
	notHeap []NamedRange
	// guestMalloc and guestFree are the guest heap's functions, both 0
	// when the guest has not registered (or unregistered) its heap.
	guestMalloc, guestFree uint64
	// adopted holds guest-visible pointers the host took ownership of
	// with adopt and has not released yet.
	adopted map[mm.Addr]struct{}
}

// NewHostLib returns the host library over a host heap.
func NewHostLib(cfg HostLibConfig) (*HostLib, error) {
	if cfg.Mode != mm.Mode32 && cfg.Mode != mm.Mode64 {
		return nil, fmt.Errorf("thunks: invalid mode %v", cfg.Mode)
	}
	if cfg.Memory == nil || cfg.Heap == nil {
		return nil, errors.New("thunks: host library needs Memory and Heap")
	}
	cb := cfg.Callbacks
	if cb == nil {
		cb = NewCallbacks(0)
	}
	return &HostLib{
		mode:    cfg.Mode,
		mem:     guestMem{m: cfg.Memory, mode: cfg.Mode},
		heap:    cfg.Heap,
		cb:      cb,
		log:     cfg.Log,
		notHeap: slices.Clone(cfg.NotHeap),
		adopted: make(map[mm.Addr]struct{}),
	}, nil
}

// Callbacks is the callback runner the library uses.
func (h *HostLib) Callbacks() *Callbacks { return h.cb }

// AddNotHeap adds a range free_any and adopt reject outright.
func (h *HostLib) AddNotHeap(name string, r mm.AddrRange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.notHeap = append(h.notHeap, NamedRange{Name: name, Range: r})
}

// Register adds every host-library function to reg.
func (h *HostLib) Register(reg *Registry) error {
	if reg.Mode() != h.mode {
		return fmt.Errorf("thunks: registry mode %v, host library mode %v", reg.Mode(), h.mode)
	}
	impl := h.impls()
	for _, s := range HostLibSpecs() {
		fn, ok := impl[s.Name]
		if !ok {
			return fmt.Errorf("thunks: %s has no implementation", s.FullName())
		}
		if err := reg.Register(s, fn); err != nil {
			return err
		}
	}
	return nil
}

var (
	pPtr  = func(n string) Param { return Param{Name: n, CType: "void *", Kind: KindPtr} }
	pStr  = func(n string) Param { return Param{Name: n, CType: "const char *", Kind: KindPtr} }
	pSize = func(n string) Param { return Param{Name: n, CType: "size_t", Kind: KindSize} }
)

// HostLibSpecs returns the C signatures of the host library, in the order
// the header declares them.
func HostLibSpecs() []Spec {
	return []Spec{
		{Library: HostLibrary, Name: "malloc", Params: []Param{pSize("size")}, Result: "void *", ResultKind: KindPtr,
			Doc: "Allocates size bytes on the host heap; NULL on failure."},
		{Library: HostLibrary, Name: "calloc", Params: []Param{pSize("nmemb"), pSize("size")}, Result: "void *", ResultKind: KindPtr,
			Doc: "Allocates nmemb*size zeroed bytes on the host heap (overflow-checked); NULL on failure."},
		{Library: HostLibrary, Name: "realloc", Params: []Param{pPtr("ptr"), pSize("size")}, Result: "void *", ResultKind: KindPtr,
			Doc: "Resizes a host-heap allocation (NULL ptr: malloc; size 0: free, returns NULL). A pointer the host heap does not own, or whose chunk header the guest overwrote, is rejected: NULL, nothing changes."},
		{Library: HostLibrary, Name: "free", Params: []Param{pPtr("ptr")}, Result: "int", ResultKind: KindInt,
			Doc: "Frees a host-heap allocation: 0, or -EINVAL (rejected, nothing changes) for any pointer the host heap does not own, and for one whose chunk header the guest overwrote (its block is quarantined: a later free of the pointer releases it)."},
		{Library: HostLibrary, Name: "strdup", Params: []Param{pStr("s")}, Result: "char *", ResultKind: KindPtr,
			Doc: "Copies a C string to the host heap; NULL on failure."},
		{Library: HostLibrary, Name: "strndup", Params: []Param{pStr("s"), pSize("n")}, Result: "char *", ResultKind: KindPtr,
			Doc: "Copies at most n bytes of a C string to the host heap, NUL-terminated; NULL on failure."},
		{Library: HostLibrary, Name: "memdup", Params: []Param{Param{Name: "p", CType: "const void *", Kind: KindPtr}, pSize("n")}, Result: "void *", ResultKind: KindPtr,
			Doc: "Copies n bytes to the host heap; NULL on failure (n == 0 gives a unique 1-byte allocation)."},
		{Library: HostLibrary, Name: "split", Params: []Param{pStr("s"), pStr("sep")}, Result: "char **", ResultKind: KindPtr,
			Doc: "Splits s at every sep (non-empty): a host-allocated NULL-terminated array of host-allocated strings; free each string and the array with minemu_free_any."},
		{Library: HostLibrary, Name: "format", CName: "minemu_format_slots",
			Params: []Param{pStr("fmt"), Param{Name: "args", CType: "const uintptr_t *", Kind: KindPtr}, pSize("nargs")},
			Result: "char *", ResultKind: KindPtr,
			Doc:     "Formats %d %u %x %c %s %p %% from pointer-width argument slots into a host-allocated string; NULL on a bad format or argument count. Use the variadic minemu_format.",
			CHelper: formatHelperC},
		{Library: HostLibrary, Name: "is_host_heap_allocation", Params: []Param{Param{Name: "p", CType: "const void *", Kind: KindPtr}}, Result: "int", ResultKind: KindInt,
			Doc: "1 if p is the start of a live host-heap allocation, else 0 (FEX's is_known_allocation)."},
		{Library: HostLibrary, Name: "register_guest_heap",
			Params: []Param{{Name: "malloc_fn", CType: "minemu_malloc_fn", Kind: KindPtr}, {Name: "free_fn", CType: "minemu_free_fn", Kind: KindPtr}},
			Result: "int", ResultKind: KindInt,
			Doc: "Tells the host which functions own the guest heap (both NULL: unregister); 0 or -EINVAL."},
		{Library: HostLibrary, Name: "guest_strdup", Params: []Param{pStr("s")}, Result: "char *", ResultKind: KindPtr,
			Doc: "Copies a C string into the GUEST heap by calling the registered guest malloc back; NULL on failure or with no guest heap."},
		{Library: HostLibrary, Name: "adopt", Params: []Param{pPtr("p")}, Result: "int", ResultKind: KindInt,
			Doc: "The host takes ownership of p (a heap pointer of either heap): 0, or -EINVAL/-EEXIST. The guest must not free it; minemu_release_adopted frees every adopted pointer through the cross-boundary free."},
		{Library: HostLibrary, Name: "release_adopted", Result: "size_t", ResultKind: KindSize,
			Doc: "Frees every adopted pointer through the cross-boundary free; returns how many were freed."},
		{Library: HostLibrary, Name: "free_any", Params: []Param{pPtr("p")}, Result: "int", ResultKind: KindInt,
			Doc: "The cross-boundary free: NULL is a no-op; host-heap pointers are freed by the host heap, guest-heap pointers by the guest's registered free; anything else is rejected with -EINVAL and nothing changes."},
	}
}

// formatHelperC is the variadic front end of minemu_format: it walks the
// format as the host will and packs each argument into a pointer-width
// slot with the C type the conversion names.
const formatHelperC = `/* minemu_format: printf-style (%d %u %x %c %s %p %%) into a host-allocated
 * string; free it with minemu_free_any. At most MINEMU_FORMAT_MAX_ARGS. */
#define MINEMU_FORMAT_MAX_ARGS 16
static inline char *minemu_format(const char *fmt, ...)
{
	uintptr_t slots[MINEMU_FORMAT_MAX_ARGS];
	size_t n = 0;
	const char *f;
	va_list ap;
	va_start(ap, fmt);
	for (f = fmt; *f; f++) {
		uintptr_t v;
		if (*f != '%')
			continue;
		f++;
		switch (*f) {
		case 'd': v = (uintptr_t)(intptr_t)va_arg(ap, int); break;
		case 'u': case 'x': v = (uintptr_t)va_arg(ap, unsigned int); break;
		case 'c': v = (uintptr_t)(unsigned char)va_arg(ap, int); break;
		case 's': v = (uintptr_t)va_arg(ap, const char *); break;
		case 'p': v = (uintptr_t)va_arg(ap, void *); break;
		case '%': continue;
		default: va_end(ap); return (char *)0; /* unsupported: the host would refuse it too */
		}
		if (n == MINEMU_FORMAT_MAX_ARGS) {
			va_end(ap);
			return (char *)0;
		}
		slots[n++] = v;
	}
	va_end(ap);
	return minemu_format_slots(fmt, slots, n);
}
`

func (h *HostLib) impls() map[string]Func {
	return map[string]Func{
		"malloc":                  h.hMalloc,
		"calloc":                  h.hCalloc,
		"realloc":                 h.hRealloc,
		"free":                    h.hFree,
		"strdup":                  h.hStrdup,
		"strndup":                 h.hStrndup,
		"memdup":                  h.hMemdup,
		"split":                   h.hSplit,
		"format":                  h.hFormat,
		"is_host_heap_allocation": h.hIsHost,
		"register_guest_heap":     h.hRegisterGuestHeap,
		"guest_strdup":            h.hGuestStrdup,
		"adopt":                   h.hAdopt,
		"release_adopted":         h.hReleaseAdopted,
		"free_any":                h.hFreeAny,
	}
}

// negErrno is the result-slot encoding of -errno for an int result.
func negErrno(e unix.Errno) uint64 { return uint64(-int64(e)) }

// alloc allocates n bytes (n == 0 allocates 1, so every success is a
// unique freeable pointer) and checks that the block is one a guest of
// this mode can address: a host heap that hands a 32-bit guest memory
// above 4 GiB breaks minemu's layout, which is fatal, not a NULL.
func (h *HostLib) alloc(n uint64) (mm.Addr, error) {
	if n == 0 {
		n = 1
	}
	p, err := h.heap.Alloc(n)
	if err != nil {
		h.log.Debug().Uint64("size", n).Err(err).Msg("host heap allocation failed")
		return 0, nil
	}
	return p, h.checkPlacement(p, n)
}

func (h *HostLib) checkPlacement(p mm.Addr, n uint64) error {
	r, ok := mm.NewRange(p, n)
	if !ok || (h.mode == mm.Mode32 && r.End > mm.Limit32) {
		return fmt.Errorf("host heap returned %#x (+%d bytes), which a 32-bit guest cannot address", uint64(p), n)
	}
	return nil
}

// putBytes copies b plus a NUL (if nul) into a fresh host allocation.
// The heap has just returned [p, p+n) live and read-write, so the copy
// goes straight to memory; mode placement was checked by alloc.
func (h *HostLib) putBytes(b []byte, nul bool) (mm.Addr, error) {
	n := uint64(len(b))
	if nul {
		n++
	}
	p, err := h.alloc(n)
	if p == 0 || err != nil {
		return 0, err
	}
	copyToGuest(p, b)
	if nul {
		store8(p+mm.Addr(len(b)), 0)
	}
	return p, nil
}

func (h *HostLib) hMalloc(c *guest.CPU, a Args) (uint64, error) {
	p, err := h.alloc(a.Vals[0])
	return uint64(p), err
}

func (h *HostLib) hCalloc(c *guest.CPU, a Args) (uint64, error) {
	n, size := a.Vals[0], a.Vals[1]
	if n == 0 || size == 0 {
		n, size = 1, 1
	}
	// The product must fit the guest's size_t, as C's calloc checks.
	if hi, lo := bits.Mul64(n, size); hi != 0 || lo>>(8*WordWidth(h.mode)-1)>>1 != 0 {
		return 0, nil
	}
	p, err := h.heap.Calloc(n, size)
	if err != nil {
		return 0, nil
	}
	return uint64(p), h.checkPlacement(p, n*size)
}

func (h *HostLib) hRealloc(c *guest.CPU, a Args) (uint64, error) {
	p, n := a.Addr(0), a.Vals[1]
	if p == 0 {
		return h.hMalloc(c, Args{Vals: [MaxArgs]uint64{n}})
	}
	if !h.heap.Owns(p) {
		h.reject(c, "realloc", p, "not a live host-heap allocation")
		return 0, nil
	}
	if n == 0 {
		if err := h.heap.Free(p); err != nil {
			h.reject(c, "realloc", p, err.Error())
			return 0, nil
		}
		h.freesHost.Add(1)
		return 0, nil
	}
	q, err := h.heap.Realloc(p, n)
	if err != nil {
		return 0, nil
	}
	return uint64(q), h.checkPlacement(q, n)
}

func (h *HostLib) hFree(c *guest.CPU, a Args) (uint64, error) {
	p := a.Addr(0)
	if p == 0 {
		h.freesNull.Add(1)
		return 0, nil
	}
	if !h.heap.Owns(p) {
		h.reject(c, "free", p, "not a live host-heap allocation")
		return negErrno(unix.EINVAL), nil
	}
	if err := h.heap.Free(p); err != nil {
		// mm.ErrCorrupt: the guest overwrote the chunk's header. The
		// heap quarantined the block and kept p live; the guest gets
		// the rejection of any bad free (docs/thunks.md).
		h.reject(c, "free", p, err.Error())
		return negErrno(unix.EINVAL), nil
	}
	h.freesHost.Add(1)
	return 0, nil
}

// guestString reads a guest C string argument, logging why it could not.
func (h *HostLib) guestString(fn string, p mm.Addr, max uint64) (string, bool) {
	s, err := h.mem.cstring(p, max)
	if err != nil {
		h.log.Warn().Str("function", fn).Stringer("ptr", p).Err(err).Msg("bad string argument")
		return "", false
	}
	return s, true
}

func (h *HostLib) hStrdup(c *guest.CPU, a Args) (uint64, error) {
	s, ok := h.guestString("strdup", a.Addr(0), maxCString)
	if !ok {
		return 0, nil
	}
	p, err := h.putBytes([]byte(s), true)
	return uint64(p), err
}

func (h *HostLib) hStrndup(c *guest.CPU, a Args) (uint64, error) {
	p, n := a.Addr(0), a.Vals[1]
	if n > maxCString {
		n = maxCString
	}
	// strndup needs no terminator within n bytes: no NUL among the first
	// n bytes means "take n bytes".
	l, err := h.mem.strlen(p, n)
	if errors.Is(err, errTooLong) {
		l, err = n, nil
	}
	if err != nil {
		h.log.Warn().Str("function", "strndup").Stringer("ptr", p).Err(err).Msg("bad string argument")
		return 0, nil
	}
	b, err := h.mem.read(p, l)
	if err != nil {
		return 0, nil
	}
	q, err := h.putBytes(b, true)
	return uint64(q), err
}

func (h *HostLib) hMemdup(c *guest.CPU, a Args) (uint64, error) {
	if a.Vals[1] > maxCString*64 {
		return 0, nil
	}
	b, err := h.mem.read(a.Addr(0), a.Vals[1])
	if err != nil {
		h.log.Warn().Str("function", "memdup").Stringer("ptr", a.Addr(0)).Err(err).Msg("bad buffer argument")
		return 0, nil
	}
	p, err := h.putBytes(b, false)
	return uint64(p), err
}

func (h *HostLib) hSplit(c *guest.CPU, a Args) (uint64, error) {
	s, ok := h.guestString("split", a.Addr(0), maxCString)
	if !ok {
		return 0, nil
	}
	sep, ok := h.guestString("split", a.Addr(1), maxCString)
	if !ok || sep == "" {
		return 0, nil
	}
	parts := strings.Split(s, sep)
	w := WordWidth(h.mode)
	arr, err := h.heap.Calloc(uint64(len(parts))+1, w)
	if err != nil {
		return 0, nil
	}
	if err := h.checkPlacement(arr, (uint64(len(parts))+1)*w); err != nil {
		return 0, err
	}
	for i, part := range parts {
		p, err := h.putBytes([]byte(part), true)
		if p == 0 || err != nil {
			// Undo: free the strings made so far and the array.
			for j := range i {
				h.heap.Free(mm.Addr(h.mem.loadWord(arr + mm.Addr(uint64(j)*w))))
			}
			h.heap.Free(arr)
			return 0, err
		}
		h.mem.storeWord(arr+mm.Addr(uint64(i)*w), uint64(p))
	}
	return uint64(arr), nil
}

func (h *HostLib) hFormat(c *guest.CPU, a Args) (uint64, error) {
	f, ok := h.guestString("format", a.Addr(0), maxCString)
	if !ok {
		return 0, nil
	}
	n := a.Vals[2]
	if n > MaxFormatArgs {
		h.log.Warn().Uint64("nargs", n).Msg("format: too many arguments")
		return 0, nil
	}
	var slots [MaxFormatArgs]uint64
	w := WordWidth(h.mode)
	arr, ok := mm.NewRange(a.Addr(1), n*w)
	if !ok || !h.mem.ok(arr, protR) {
		h.log.Warn().Stringer("args", a.Addr(1)).Msg("format: bad argument array")
		return 0, nil
	}
	for i := range n {
		slots[i] = h.mem.loadWord(arr.Start + mm.Addr(i*w))
	}
	out, err := formatSlots(f, slots[:n], func(p uint64) (string, error) { return h.mem.cstring(mm.Addr(p), maxCString) })
	if err != nil {
		h.log.Warn().Str("format", f).Err(err).Msg("format refused")
		return 0, nil
	}
	p, err := h.putBytes([]byte(out), true)
	return uint64(p), err
}

func (h *HostLib) hIsHost(c *guest.CPU, a Args) (uint64, error) {
	if h.heap.Owns(a.Addr(0)) {
		return 1, nil
	}
	return 0, nil
}

func (h *HostLib) hRegisterGuestHeap(c *guest.CPU, a Args) (uint64, error) {
	m, f := a.Vals[0], a.Vals[1]
	if (m == 0) != (f == 0) {
		return negErrno(unix.EINVAL), nil
	}
	for _, fn := range []uint64{m, f} {
		if fn == 0 {
			continue
		}
		r, ok := mm.NewRange(mm.Addr(fn), 1)
		if !ok || !h.mem.ok(r, unix.PROT_READ|unix.PROT_EXEC) {
			h.log.Warn().Stringer("fn", mm.Addr(fn)).Msg("register_guest_heap: function not in executable guest memory")
			return negErrno(unix.EINVAL), nil
		}
	}
	h.mu.Lock()
	h.guestMalloc, h.guestFree = m, f
	h.mu.Unlock()
	h.log.Debug().Stringer("malloc", mm.Addr(m)).Stringer("free", mm.Addr(f)).Msg("guest heap registered")
	return 0, nil
}

func (h *HostLib) hGuestStrdup(c *guest.CPU, a Args) (uint64, error) {
	s, ok := h.guestString("guest_strdup", a.Addr(0), maxCString)
	if !ok {
		return 0, nil
	}
	h.mu.Lock()
	gm := h.guestMalloc
	h.mu.Unlock()
	if gm == 0 {
		return 0, nil
	}
	q, err := h.cb.Call(c, gm, uint64(len(s))+1)
	if err != nil {
		return 0, fmt.Errorf("guest malloc callback: %w", err)
	}
	if h.mode == mm.Mode32 {
		q = uint64(uint32(q))
	}
	if q == 0 {
		return 0, nil
	}
	b := append([]byte(s), 0)
	if err := h.mem.write(mm.Addr(q), b); err != nil {
		h.log.Error().Stringer("ptr", mm.Addr(q)).Msg("guest malloc returned memory the host cannot write")
		return 0, nil
	}
	return q, nil
}

func (h *HostLib) hAdopt(c *guest.CPU, a Args) (uint64, error) {
	p := a.Addr(0)
	d, reason := h.classify(p)
	if d != FreeHost && d != FreeGuest {
		if d == FreeNull {
			reason = "null pointer"
		}
		h.log.Error().Stringer("ptr", p).Str("reason", reason).Msg("adopt rejected")
		return negErrno(unix.EINVAL), nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.adopted[p]; dup {
		return negErrno(unix.EEXIST), nil
	}
	h.adopted[p] = struct{}{}
	h.log.Debug().Stringer("ptr", p).Stringer("heap", d).Msg("pointer adopted")
	return 0, nil
}

func (h *HostLib) hReleaseAdopted(c *guest.CPU, a Args) (uint64, error) {
	h.mu.Lock()
	ps := make([]mm.Addr, 0, len(h.adopted))
	for p := range h.adopted {
		ps = append(ps, p)
	}
	clear(h.adopted)
	h.mu.Unlock()
	slices.Sort(ps)
	var freed uint64
	for _, p := range ps {
		d, err := h.freeAny(c, p, true)
		if err != nil {
			return freed, err
		}
		if d == FreeHost || d == FreeGuest {
			freed++
		}
	}
	return freed, nil
}

func (h *HostLib) hFreeAny(c *guest.CPU, a Args) (uint64, error) {
	d, err := h.freeAny(c, a.Addr(0), false)
	if err != nil {
		return 0, err
	}
	if d == FreeRejected {
		return negErrno(unix.EINVAL), nil
	}
	return 0, nil
}

// FreeDecision is what the cross-boundary free did with a pointer.
type FreeDecision uint8

const (
	// FreeNull: p was NULL; nothing happened.
	FreeNull FreeDecision = iota
	// FreeHost: the host heap owned p and freed it.
	FreeHost
	// FreeGuest: p was handed to the guest's registered free.
	FreeGuest
	// FreeRejected: p belongs to no heap minemu can free it into; nothing
	// changed.
	FreeRejected
)

func (d FreeDecision) String() string {
	switch d {
	case FreeNull:
		return "null"
	case FreeHost:
		return "host"
	case FreeGuest:
		return "guest"
	case FreeRejected:
		return "rejected"
	}
	return "invalid"
}

// classify applies the decision table of the package documentation to p
// without changing anything. For FreeRejected, reason says why.
func (h *HostLib) classify(p mm.Addr) (FreeDecision, string) {
	if p == 0 {
		return FreeNull, ""
	}
	if h.heap.Owns(p) {
		return FreeHost, ""
	}
	if h.inHostBlock(p) {
		// Never reaches the guest's free: the guest heap would corrupt
		// itself on a pointer into host memory.
		return FreeRejected, "inside a host-heap block but not a live allocation (interior or already freed)"
	}
	if m, ok := h.mem.m.(interface {
		ClassOf(mm.Addr) (mm.Class, bool)
	}); ok {
		if c, ok := m.ClassOf(p); ok && c == mm.ClassTrampoline {
			return FreeRejected, "minemu's own trampoline page"
		}
	}
	h.mu.Lock()
	gf := h.guestFree
	for _, nr := range h.notHeap {
		if nr.Range.Contains(p) {
			h.mu.Unlock()
			return FreeRejected, nr.Name + " address"
		}
	}
	h.mu.Unlock()
	if uint64(p)%WordWidth(h.mode) != 0 {
		return FreeRejected, "misaligned: no allocator returns it"
	}
	if gf == 0 {
		return FreeRejected, "not a host-heap allocation and no guest heap is registered"
	}
	r, _ := mm.NewRange(p, 1)
	if !h.mem.ok(r, protRW) {
		return FreeRejected, "not in writable guest memory"
	}
	return FreeGuest, ""
}

// inHostBlock reports whether p lies inside a block of the host heap
// without being the start of a live allocation (an interior pointer, or a
// freed one). O(1): the heap answers from its own index.
func (h *HostLib) inHostBlock(p mm.Addr) bool {
	_, err := h.heap.UsableSize(p)
	return errors.Is(err, mm.ErrInterior) || errors.Is(err, mm.ErrDoubleFree)
}

// FreeAny is the cross-boundary free (minemu_free_any) for host code: it
// frees p into the heap that owns it, or rejects it. The error is non-nil
// only when a guest callback failed (which is fatal to the guest); a
// rejection is a decision, not an error.
func (h *HostLib) FreeAny(c *guest.CPU, p mm.Addr) (FreeDecision, error) {
	return h.freeAny(c, p, false)
}

func (h *HostLib) freeAny(c *guest.CPU, p mm.Addr, releasing bool) (FreeDecision, error) {
	d, reason := h.classify(p)
	if !releasing && d != FreeNull && d != FreeRejected {
		h.mu.Lock()
		_, adopted := h.adopted[p]
		h.mu.Unlock()
		if adopted {
			d, reason = FreeRejected, "adopted by the host: only minemu_release_adopted frees it"
		}
	}
	switch d {
	case FreeNull:
		h.freesNull.Add(1)
	case FreeHost:
		if err := h.heap.Free(p); err != nil {
			// Owns said yes a moment ago: another guest thread won a
			// race for the same pointer, or the guest overwrote the
			// chunk's header (mm.ErrCorrupt: the block is quarantined).
			// The heap refused and changed nothing else.
			d, reason = FreeRejected, err.Error()
			break
		}
		h.freesHost.Add(1)
	case FreeGuest:
		h.mu.Lock()
		gf := h.guestFree
		h.mu.Unlock()
		if gf == 0 {
			// Another guest thread unregistered the heap since classify.
			d, reason = FreeRejected, "not a host-heap allocation and no guest heap is registered"
			break
		}
		if _, err := h.cb.Call(c, gf, uint64(p)); err != nil {
			return d, fmt.Errorf("guest free callback for %#x: %w", uint64(p), err)
		}
		h.freesGuest.Add(1)
	}
	if d == FreeRejected {
		h.reject(c, "free_any", p, reason)
	} else if e := h.log.Debug(); e.Enabled() {
		e.Str("function", "free_any").Stringer("ptr", p).Str("heap", d.String()).Str("decision", "freed").Msg("cross-boundary free")
	}
	return d, nil
}

// reject logs and counts a refused free; nothing else happens.
func (h *HostLib) reject(c *guest.CPU, fn string, p mm.Addr, reason string) {
	h.freesRejected.Add(1)
	h.log.Error().Str("function", fn).Stringer("ptr", p).Str("heap", "none").Str("decision", "rejected").
		Str("reason", reason).Stringer("guest_rip", mm.Addr(h.callerRIP(c))).Msg("cross-boundary free rejected")
}

// callerRIP is the guest address the thunk will return to (the word at
// the guest stack pointer when the stub runs), or c.RIP if unreadable.
func (h *HostLib) callerRIP(c *guest.CPU) uint64 {
	if c == nil {
		return 0
	}
	sp := c.Regs[guest.RSP]
	if h.mode == mm.Mode32 {
		sp = uint64(uint32(sp))
	}
	if v, err := h.mem.readWord(mm.Addr(sp)); err == nil {
		return v
	}
	return c.RIP
}

// HostLibStats are the host library's counters.
type HostLibStats struct {
	// Callbacks is the number of host→guest callbacks started.
	Callbacks uint64 `json:"callbacks"`
	// CallbackDepthMax is the deepest callback nesting reached.
	CallbackDepthMax int `json:"callback_depth_max"`
	// FreesHost counts frees done by the host heap (free, free_any,
	// realloc to 0).
	FreesHost uint64 `json:"frees_host"`
	// FreesGuest counts pointers handed to the guest's free.
	FreesGuest uint64 `json:"frees_guest"`
	// FreesRejected counts refused frees (free, free_any, realloc).
	FreesRejected uint64 `json:"frees_rejected"`
	// FreesNull counts frees of NULL (no-ops).
	FreesNull uint64 `json:"frees_null"`
	// AdoptedLive is the number of adopted pointers not yet released.
	AdoptedLive int `json:"adopted_live"`
}

// Stats returns the counters.
func (h *HostLib) Stats() HostLibStats {
	h.mu.Lock()
	adopted := len(h.adopted)
	h.mu.Unlock()
	return HostLibStats{
		Callbacks:        h.cb.Total(),
		CallbackDepthMax: h.cb.Deepest(),
		FreesHost:        h.freesHost.Load(),
		FreesGuest:       h.freesGuest.Load(),
		FreesRejected:    h.freesRejected.Load(),
		FreesNull:        h.freesNull.Load(),
		AdoptedLive:      adopted,
	}
}

// Stats is the "thunks" object of minemu's --stats output.
type Stats struct {
	// Calls maps "library:function" to completed calls.
	Calls map[string]uint64 `json:"calls"`
	HostLibStats
	// HostHeapLiveBytes is the host heap's live bytes when the stats
	// were taken (at exit: what the guest leaked on the host heap).
	HostHeapLiveBytes uint64 `json:"host_heap_live_bytes"`
}

// CollectStats gathers the --stats object; hostHeapLive is the host
// heap's live byte count (from its own Stats).
func CollectStats(r *Registry, h *HostLib, hostHeapLive uint64) Stats {
	s := Stats{Calls: r.Stats().Calls, HostHeapLiveBytes: hostHeapLive}
	if h != nil {
		s.HostLibStats = h.Stats()
	}
	return s
}
