package thunks

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/minemu/minemu/guest/cpu"
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
	// Realloc refuses a pointer that does not start a live, unpinned
	// allocation with Free's errors; it fails with unix.ENOMEM (wrapped)
	// when it cannot allocate.
	Realloc(p mm.Addr, n uint64) (mm.Addr, error)
	Free(p mm.Addr) error
	// FreeOwned decides and frees in one call: owned false (nothing
	// changed) when p lies in no block of the heap, else the result of
	// Free. free_any relies on it so that a host-heap interior, stale or
	// pinned pointer is never handed to the guest's free, and so that
	// nothing changes between the decision and the free.
	FreeOwned(p mm.Addr) (owned bool, err error)
	// Pin and FreePinned implement adoption: a pinned allocation is
	// refused by Free, FreeOwned and Realloc (mm.ErrPinned) and released
	// only by FreePinned.
	Pin(p mm.Addr) error
	FreePinned(p mm.Addr) error
	// Owns is true only for the start of a live allocation of this heap
	// and never faults.
	Owns(p mm.Addr) bool
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
	// Log receives refused calls and rejected frees (info: the guest's
	// mistakes, counted in --stats, are not shown at the default level)
	// and every cross-boundary free decision (debug).
	Log zerolog.Logger
}

// guestHeapFns are the guest heap's functions as registered; a value is
// never changed once published.
type guestHeapFns struct{ malloc, free uint64 }

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

	// notHeap are the ranges free_any and adopt reject outright: a slice
	// never changed once published (AddNotHeap publishes a copy, under
	// mu), read without a lock.
	notHeap atomic.Pointer[[]NamedRange]
	// guestHeap holds the guest heap's functions; nil when the guest has
	// not registered (or has unregistered) its heap. Read without a lock.
	guestHeap atomic.Pointer[guestHeapFns]
	// adoptedGuest is the number of guest-heap pointers in adopted, so
	// that a guest free reads adopted (under mu) only when there are any.
	adoptedGuest atomic.Int64

	// mu serialises AddNotHeap and guards adopted.
	mu sync.Mutex
	// adopted holds the pointers the host took ownership of with adopt
	// and has not released yet, each with its heap (FreeHost: pinned on
	// the host heap, which alone refuses every other free of it;
	// FreeGuest: refused by free_any here).
	adopted map[mm.Addr]FreeDecision
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
	h := &HostLib{
		mode:    cfg.Mode,
		mem:     guestMem{m: cfg.Memory, mode: cfg.Mode},
		heap:    cfg.Heap,
		cb:      cb,
		log:     cfg.Log,
		adopted: make(map[mm.Addr]FreeDecision),
	}
	nh := slices.Clone(cfg.NotHeap)
	h.notHeap.Store(&nh)
	return h, nil
}

// Callbacks is the callback runner the library uses.
func (h *HostLib) Callbacks() *Callbacks { return h.cb }

// AddNotHeap adds a range free_any and adopt reject outright.
func (h *HostLib) AddNotHeap(name string, r mm.AddrRange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	next := append(slices.Clone(*h.notHeap.Load()), NamedRange{Name: name, Range: r})
	h.notHeap.Store(&next)
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
			Doc: "Resizes a host-heap allocation (NULL ptr: malloc; size 0: free, returns NULL). A pointer that is not a live host-heap allocation, an adopted one, or one whose chunk header the guest overwrote is rejected: NULL, nothing changes."},
		{Library: HostLibrary, Name: "free", Params: []Param{pPtr("ptr")}, Result: "int", ResultKind: KindInt,
			Doc: "Frees a host-heap allocation: 0, or -EINVAL (rejected, nothing changes) for any pointer the host heap does not own, an adopted one, and one whose chunk header the guest overwrote (its block is quarantined: a later free of the pointer releases it)."},
		{Library: HostLibrary, Name: "strdup", Params: []Param{pStr("s")}, Result: "char *", ResultKind: KindPtr,
			Doc: "Copies a C string to the host heap; NULL on failure and for a string longer than 1,048,576 bytes (the bound, inclusive)."},
		{Library: HostLibrary, Name: "strndup", Params: []Param{pStr("s"), pSize("n")}, Result: "char *", ResultKind: KindPtr,
			Doc: "Copies at most n bytes of a C string to the host heap, NUL-terminated; NULL on failure and when the copy would pass the string bound (never cut short)."},
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
			Doc: "The host takes ownership of p (a heap pointer of either heap): 0, or -EINVAL/-EEXIST. Only minemu_release_adopted frees it: free, realloc and free_any reject it."},
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

func (h *HostLib) hMalloc(c *cpu.CPU, a Args) (uint64, error) {
	p, err := h.alloc(a.Vals[0])
	return uint64(p), err
}

func (h *HostLib) hCalloc(c *cpu.CPU, a Args) (uint64, error) {
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

func (h *HostLib) hRealloc(c *cpu.CPU, a Args) (uint64, error) {
	p, n := a.Addr(0), a.Vals[1]
	if p == 0 {
		return h.hMalloc(c, Args{Vals: [MaxArgs]uint64{n}})
	}
	if n == 0 {
		// realloc(p, 0) frees p: minemu_free's decision and counters.
		h.hostFree(c, "realloc", p)
		return 0, nil
	}
	q, err := h.heap.Realloc(p, n)
	if err != nil {
		if !errors.Is(err, unix.ENOMEM) {
			// Not a live host-heap allocation (or adopted, or its header
			// overwritten): refused, p unchanged.
			h.reject(c, "realloc", p, hostRefusal(err))
		}
		return 0, nil
	}
	return uint64(q), h.checkPlacement(q, n)
}

func (h *HostLib) hFree(c *cpu.CPU, a Args) (uint64, error) {
	if !h.hostFree(c, "free", a.Addr(0)) {
		return negErrno(unix.EINVAL), nil
	}
	return 0, nil
}

// hostFree is minemu_free: NULL is a no-op, a live host-heap allocation is
// freed, anything else is rejected. One heap call decides and frees.
func (h *HostLib) hostFree(c *cpu.CPU, fn string, p mm.Addr) bool {
	if p == 0 {
		h.freesNull.Add(1)
		return true
	}
	owned, err := h.heap.FreeOwned(p)
	switch {
	case owned && err == nil:
		h.freesHost.Add(1)
		return true
	case owned || err != nil:
		h.reject(c, fn, p, hostRefusal(err))
	default:
		h.reject(c, fn, p, "not a host-heap allocation")
	}
	return false
}

// hostRefusal is the reason logged when the host heap refuses p.
func hostRefusal(err error) string {
	switch {
	case errors.Is(err, mm.ErrPinned):
		return "adopted by the host: only minemu_release_adopted frees it"
	case errors.Is(err, mm.ErrInterior), errors.Is(err, mm.ErrDoubleFree):
		return "inside a host-heap block but not a live allocation (interior or already freed)"
	case errors.Is(err, mm.ErrNotOwned):
		return "not a host-heap allocation"
	}
	// mm.ErrCorrupt: the guest overwrote the chunk's header; the heap
	// quarantined the block and kept p live (docs/thunks.md).
	return err.Error()
}

// guestString reads a guest C string argument, logging why it could not.
func (h *HostLib) guestString(fn string, p mm.Addr, max uint64) (string, bool) {
	s, err := h.mem.cstring(p, max)
	if err != nil {
		h.log.Info().Str("function", fn).Stringer("ptr", p).Err(err).Msg("bad string argument")
		return "", false
	}
	return s, true
}

func (h *HostLib) hStrdup(c *cpu.CPU, a Args) (uint64, error) {
	s, ok := h.guestString("strdup", a.Addr(0), maxCString)
	if !ok {
		return 0, nil
	}
	p, err := h.putBytes([]byte(s), true)
	return uint64(p), err
}

func (h *HostLib) hStrndup(c *cpu.CPU, a Args) (uint64, error) {
	p, n := a.Addr(0), a.Vals[1]
	// strndup needs no terminator within n bytes: no NUL among the first
	// n bytes means "take n bytes". The copy is bounded like every other
	// string (MaxString, inclusive): a longer result is refused, never
	// cut short.
	var l uint64
	var err error
	if n <= maxCString {
		var found bool
		if l, found, err = h.mem.scanNUL(p, n); err == nil && !found {
			l = n
		}
	} else {
		l, err = h.mem.strlen(p, maxCString)
	}
	if err != nil {
		h.log.Info().Str("function", "strndup").Stringer("ptr", p).Uint64("n", n).Err(err).Msg("bad string argument")
		return 0, nil
	}
	b, err := h.mem.read(p, l)
	if err != nil {
		return 0, nil
	}
	q, err := h.putBytes(b, true)
	return uint64(q), err
}

// MaxMemdup bounds minemu_memdup's n: larger requests return NULL.
const MaxMemdup = 64 << 20

func (h *HostLib) hMemdup(c *cpu.CPU, a Args) (uint64, error) {
	if a.Vals[1] > MaxMemdup {
		h.log.Info().Str("function", "memdup").Uint64("n", a.Vals[1]).Msg("memdup: larger than MaxMemdup")
		return 0, nil
	}
	b, err := h.mem.read(a.Addr(0), a.Vals[1])
	if err != nil {
		h.log.Info().Str("function", "memdup").Stringer("ptr", a.Addr(0)).Err(err).Msg("bad buffer argument")
		return 0, nil
	}
	p, err := h.putBytes(b, false)
	return uint64(p), err
}

func (h *HostLib) hSplit(c *cpu.CPU, a Args) (uint64, error) {
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

func (h *HostLib) hFormat(c *cpu.CPU, a Args) (uint64, error) {
	f, ok := h.guestString("format", a.Addr(0), maxCString)
	if !ok {
		return 0, nil
	}
	n := a.Vals[2]
	if n > MaxFormatArgs {
		h.log.Info().Uint64("nargs", n).Msg("format: too many arguments")
		return 0, nil
	}
	var slots [MaxFormatArgs]uint64
	w := WordWidth(h.mode)
	arr, ok := mm.NewRange(a.Addr(1), n*w)
	if !ok || !h.mem.ok(arr, protR) {
		h.log.Info().Stringer("args", a.Addr(1)).Msg("format: bad argument array")
		return 0, nil
	}
	for i := range n {
		slots[i] = h.mem.loadWord(arr.Start + mm.Addr(i*w))
	}
	out, err := formatSlots(f, slots[:n], func(p uint64) (string, error) { return h.mem.cstring(mm.Addr(p), maxCString) })
	if err != nil {
		h.log.Info().Int("format_len", len(f)).Err(err).Msg("format refused")
		return 0, nil
	}
	p, err := h.putBytes([]byte(out), true)
	return uint64(p), err
}

func (h *HostLib) hIsHost(c *cpu.CPU, a Args) (uint64, error) {
	if h.heap.Owns(a.Addr(0)) {
		return 1, nil
	}
	return 0, nil
}

func (h *HostLib) hRegisterGuestHeap(c *cpu.CPU, a Args) (uint64, error) {
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
			h.log.Info().Stringer("fn", mm.Addr(fn)).Msg("register_guest_heap: function not in executable guest memory")
			return negErrno(unix.EINVAL), nil
		}
	}
	if m == 0 {
		h.guestHeap.Store(nil)
	} else {
		h.guestHeap.Store(&guestHeapFns{malloc: m, free: f})
	}
	h.log.Debug().Stringer("malloc", mm.Addr(m)).Stringer("free", mm.Addr(f)).Msg("guest heap registered")
	return 0, nil
}

func (h *HostLib) hGuestStrdup(c *cpu.CPU, a Args) (uint64, error) {
	s, ok := h.guestString("guest_strdup", a.Addr(0), maxCString)
	if !ok {
		return 0, nil
	}
	fns := h.guestHeap.Load()
	if fns == nil {
		return 0, nil
	}
	q, err := h.cb.Call(c, fns.malloc, uint64(len(s))+1)
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
		h.log.Info().Stringer("ptr", mm.Addr(q)).Msg("guest malloc returned memory the host cannot write")
		return 0, nil
	}
	return q, nil
}

func (h *HostLib) hAdopt(c *cpu.CPU, a Args) (uint64, error) {
	p := a.Addr(0)
	if p == 0 {
		h.refuseAdopt(p, "null pointer")
		return negErrno(unix.EINVAL), nil
	}
	// A host-heap pointer is pinned: from now on the heap itself refuses
	// every free and realloc of it but release_adopted's.
	switch err := h.heap.Pin(p); {
	case err == nil:
		h.mu.Lock()
		h.adopted[p] = FreeHost
		h.mu.Unlock()
		h.log.Debug().Stringer("ptr", p).Str("heap", "host").Msg("pointer adopted")
		return 0, nil
	case errors.Is(err, mm.ErrPinned):
		return negErrno(unix.EEXIST), nil
	case !errors.Is(err, mm.ErrNotOwned):
		h.refuseAdopt(p, hostRefusal(err))
		return negErrno(unix.EINVAL), nil
	}
	if reason := h.guestRule(p); reason != "" {
		h.refuseAdopt(p, reason)
		return negErrno(unix.EINVAL), nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.adopted[p]; dup {
		return negErrno(unix.EEXIST), nil
	}
	h.adopted[p] = FreeGuest
	h.adoptedGuest.Add(1)
	h.log.Debug().Stringer("ptr", p).Str("heap", "guest").Msg("pointer adopted")
	return 0, nil
}

func (h *HostLib) refuseAdopt(p mm.Addr, reason string) {
	h.log.Info().Str("function", "adopt").Stringer("ptr", p).Str("reason", reason).Msg("adopt refused")
}

func (h *HostLib) hReleaseAdopted(c *cpu.CPU, a Args) (uint64, error) {
	h.mu.Lock()
	ps := make([]mm.Addr, 0, len(h.adopted))
	kinds := make(map[mm.Addr]FreeDecision, len(h.adopted))
	for p, d := range h.adopted {
		ps = append(ps, p)
		kinds[p] = d
	}
	clear(h.adopted)
	h.adoptedGuest.Store(0)
	h.mu.Unlock()
	slices.Sort(ps)
	var freed uint64
	for _, p := range ps {
		if kinds[p] == FreeHost {
			if err := h.heap.FreePinned(p); err != nil {
				// mm.ErrCorrupt: the guest overwrote the header; the
				// allocation stays live, pinned and adopted, and the
				// next release frees it from the quarantined block.
				h.reject(c, "release_adopted", p, hostRefusal(err))
				if h.heap.Owns(p) {
					h.mu.Lock()
					h.adopted[p] = FreeHost
					h.mu.Unlock()
				}
				continue
			}
			h.freesHost.Add(1)
			h.logFreed("release_adopted", p, FreeHost)
			freed++
			continue
		}
		fns := h.guestHeap.Load()
		if fns == nil {
			h.reject(c, "release_adopted", p, "not a host-heap allocation and no guest heap is registered")
			continue
		}
		if _, err := h.cb.Call(c, fns.free, uint64(p)); err != nil {
			return freed, fmt.Errorf("guest free callback for %#x: %w", uint64(p), err)
		}
		h.freesGuest.Add(1)
		h.logFreed("release_adopted", p, FreeGuest)
		freed++
	}
	return freed, nil
}

func (h *HostLib) hFreeAny(c *cpu.CPU, a Args) (uint64, error) {
	d, err := h.freeAny(c, a.Addr(0))
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

// guestRule applies rules 4 to 8 of the decision table (package
// documentation) to a pointer the host heap does not own: "" if it may be
// a guest-heap allocation, else why not. It reads the registration and
// the NotHeap ranges without a lock and checks the mapping once.
func (h *HostLib) guestRule(p mm.Addr) string {
	if m, ok := h.mem.m.(interface {
		ClassOf(mm.Addr) (mm.Class, bool)
	}); ok {
		if c, ok := m.ClassOf(p); ok && c == mm.ClassTrampoline {
			return "minemu's own trampoline page"
		}
	}
	for _, nr := range *h.notHeap.Load() {
		if nr.Range.Contains(p) {
			return nr.Name + " address"
		}
	}
	if uint64(p)%WordWidth(h.mode) != 0 {
		return "misaligned: no allocator returns it"
	}
	if h.guestHeap.Load() == nil {
		return "not a host-heap allocation and no guest heap is registered"
	}
	if r, _ := mm.NewRange(p, 1); !h.mem.ok(r, protRW) {
		return "not in writable guest memory"
	}
	return ""
}

// guestAdopted reports whether p is an adopted guest-heap pointer; it
// takes mu only while such pointers exist.
func (h *HostLib) guestAdopted(p mm.Addr) bool {
	if h.adoptedGuest.Load() == 0 {
		return false
	}
	h.mu.Lock()
	d, ok := h.adopted[p]
	h.mu.Unlock()
	return ok && d == FreeGuest
}

// FreeAny is the cross-boundary free (minemu_free_any) for host code: it
// frees p into the heap that owns it, or rejects it. The error is non-nil
// only when a guest callback failed (which is fatal to the guest); a
// rejection is a decision, not an error.
func (h *HostLib) FreeAny(c *cpu.CPU, p mm.Addr) (FreeDecision, error) {
	return h.freeAny(c, p)
}

func (h *HostLib) freeAny(c *cpu.CPU, p mm.Addr) (FreeDecision, error) {
	if p == 0 {
		h.freesNull.Add(1)
		h.logFreed("free_any", p, FreeNull)
		return FreeNull, nil
	}
	// Rules 2 and 3: one heap call decides and frees.
	owned, err := h.heap.FreeOwned(p)
	if owned || err != nil {
		if err != nil {
			h.reject(c, "free_any", p, hostRefusal(err))
			return FreeRejected, nil
		}
		h.freesHost.Add(1)
		h.logFreed("free_any", p, FreeHost)
		return FreeHost, nil
	}
	reason := h.guestRule(p)
	if reason == "" && h.guestAdopted(p) {
		reason = "adopted by the host: only minemu_release_adopted frees it"
	}
	if reason != "" {
		h.reject(c, "free_any", p, reason)
		return FreeRejected, nil
	}
	// guestRule saw a registered heap; another guest thread may have
	// unregistered it since, so the functions are loaded again.
	fns := h.guestHeap.Load()
	if fns == nil {
		h.reject(c, "free_any", p, "not a host-heap allocation and no guest heap is registered")
		return FreeRejected, nil
	}
	if _, err := h.cb.Call(c, fns.free, uint64(p)); err != nil {
		return FreeGuest, fmt.Errorf("guest free callback for %#x: %w", uint64(p), err)
	}
	h.freesGuest.Add(1)
	h.logFreed("free_any", p, FreeGuest)
	return FreeGuest, nil
}

// logFreed logs a cross-boundary free decision at debug level.
func (h *HostLib) logFreed(fn string, p mm.Addr, d FreeDecision) {
	if e := h.log.Debug(); e.Enabled() {
		e.Str("function", fn).Stringer("ptr", p).Str("heap", d.String()).Str("decision", "freed").Msg("cross-boundary free")
	}
}

// reject logs and counts a refused free; nothing else happens. The log
// line is at info level: a rejection is the guest's mistake, returned to
// it and counted in --stats, and the guest's stderr is the guest's.
func (h *HostLib) reject(c *cpu.CPU, fn string, p mm.Addr, reason string) {
	h.freesRejected.Add(1)
	e := h.log.Info()
	if !e.Enabled() { // no call of callerRIP, which reads guest memory
		return
	}
	e.Str("function", fn).Stringer("ptr", p).Str("heap", "none").Str("decision", "rejected").
		Str("reason", reason).Stringer("guest_rip", mm.Addr(h.callerRIP(c))).Msg("cross-boundary free rejected")
}

// callerRIP is the guest address the thunk will return to (the word at
// the guest stack pointer when the stub runs), or c.RIP if unreadable.
func (h *HostLib) callerRIP(c *cpu.CPU) uint64 {
	if c == nil {
		return 0
	}
	sp := c.Regs[cpu.RSP]
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
