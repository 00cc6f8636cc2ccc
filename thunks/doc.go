// Package thunks connects guest code to host code: guest→host calls through
// stubs, host→guest callbacks, and the cross-boundary free that asks which
// heap owns a pointer before releasing it.
//
// # Why two heaps meet here
//
// minemu identity-maps the guest: a guest address is the host address, so a
// pointer crosses between guest and host code unchanged. Host functions
// that return memory to the guest allocate it from mm's host heap, which
// lives in the guest window (below 4 GiB for a 32-bit guest); guest code
// allocates from its own heap (its libc malloc, or whatever a freestanding
// program uses). Pointers from both end up in the same data structures, and
// whoever frees one must first ask which heap it came from. FEX-Emu answers
// with is_known_allocation of its jemalloc fork; minemu answers with
// mm.Heap.Owns, which is true only for the start of a live host-heap
// allocation and reads nothing but the heap's own records.
//
// # Guest→host calls
//
// A stub is the bytes 0F 3F followed by the 32-byte SHA-256 of
// "library:function" (Hash). The guest calls it like a C function whose only
// argument is a pointer to the packed-argument struct of that function:
//
//	x86-64: RDI = &args      i386: ECX = &args (fastcall)
//
//	struct minemu_args_<name> {       offset
//		uintptr_t <param 0>;          0
//		...
//		uintptr_t <param n-1>;        (n-1)*W
//		uintptr_t ret;                n*W      W = 4 (i386) or 8 (x86-64)
//	};
//
// Every slot has the guest pointer width, so natural alignment adds no
// padding and the C compilers of both ABIs agree with Layout. Integers are
// stored as (uintptr_t)(intptr_t)v and read back as int32; pointers and
// sizes are zero-extended.
//
// The path of one call:
//
//  1. The interpreter decodes a block holding 0F 3F, reads the hash and
//     calls Registry.Resolve once; the id is cached with the decoded block.
//     An unknown hash is an UnknownHashError naming the hash and, when
//     minemu knows it (registered, or noted with KnowName), the name; the
//     interpreter delivers SIGILL.
//  2. When the stub runs, the interpreter calls Registry.Call(id, cpu).
//  3. Call takes the argument pointer from RDI or ECX, checks the whole
//     struct [p, p+(n+1)*W) with mm.NewRange and Memory.IsMapped (read-write),
//     and reads the n argument slots into Args (a value; nothing escapes).
//  4. The host Func runs. Errors the guest should see travel in the result
//     (NULL, -errno); a Go error is fatal to the guest (SIGILL with the
//     text), reserved for broken invariants and failed callbacks.
//  5. Call writes the result slot, counts the call, and returns nil; the
//     interpreter performs the RET.
//
// Resolve and Call take no lock on the hot path: entries is a copy-on-write
// slice behind an atomic pointer and the per-function counter is atomic.
//
// # Host→guest callbacks
//
// Host code calls guest functions through a GuestCaller (the interpreter's
// Machine): it runs the guest function on the same guest thread and stack
// with a return trap (0F 3E) as its return address; i386 arguments are
// pushed on the guest stack, below 4 GiB. Callbacks nest (a guest free
// called back by free_any may itself call a thunk that calls back), and
// Callbacks bounds the nesting per guest thread: DefaultMaxCallbackDepth
// (64) callbacks may be in progress, the next fails with ErrCallbackDepth
// before running anything. Callbacks keeps the depth, per guest thread and
// read without a lock, and counts the callbacks that ran (the guest
// function returned, or the guest ended while it ran), not the ones
// refused before they started.
//
// # The host library
//
// HostLib registers the functions of library "minemu" (HostLibSpecs):
// malloc, calloc, realloc, free, strdup, strndup, memdup, split, format,
// is_host_heap_allocation, register_guest_heap, guest_strdup, adopt,
// release_adopted and free_any. Every pointer it hands out comes from the
// host heap and is checked to be addressable by the guest (below 4 GiB in
// Mode32); a heap that broke that rule would be a fatal error, not a NULL.
// Every string it reads or makes is at most MaxString bytes (inclusive); a
// longer one is refused (NULL) by every function, never cut short.
//
// Adoption pins a host-heap pointer in the heap (mm.Heap.Pin): from then on
// the heap itself refuses every free and realloc of it but
// release_adopted's (FreePinned), so no path can free it behind the
// adoption's back. Adopted guest pointers are refused by free_any here.
//
// # Thunk libraries
//
// A Library is a thunk library a user adds without editing minemu: its C
// declarations with their Go implementations (func(Call) (uint64, error)),
// in one value. WriteLibraryHeader and WriteLibraryStubs generate its guest
// side from it; Include (from the library package's init) makes New
// register it; `minemu thunks build` builds a minemu that imports the
// package. Call gives an implementation its arguments and checked access
// to the guest: memory, function pointers called back (CallGuest, bounded
// and counted like every callback), the host heap. thunks/libs/example and
// thunks/libs/zlib are two such libraries.
//
// # free_any: the decision table
//
// The rules are applied in order; the first that matches decides. Nothing
// changes on any heap unless the decision is "host" or "guest".
//
//  1. p == NULL                                   → no-op, 0       (frees_null)
//  2. p starts a live, unadopted host-heap
//     allocation                                  → host heap frees (frees_host)
//  3. p inside a host-heap block, not that
//     (interior, freed, adopted, header
//     overwritten)                                → reject -EINVAL (frees_rejected)
//  4. p in a range minemu knows holds no heap
//     (guest stack, image segments: NotHeap)      → reject
//  5. p not aligned to the guest pointer width    → reject
//  6. no guest heap registered                    → reject
//  7. p not in writable guest memory (IsMapped)   → reject
//  8. p a guest pointer the host adopted          → reject
//  9. otherwise                                   → guest free(p) called back (frees_guest)
//
// Rules 2 and 3 are one call, HostHeap.FreeOwned, which decides and frees
// under the heap's lock: there is no separate check, so nothing changes
// between the decision and the free. Rule 3 is why a host-heap pointer
// never reaches the guest's free: the heap tells "inside one of my blocks"
// from "not mine" in O(1) from its own index. Rules 4 to 8 read the
// registration and the NotHeap ranges without a lock (atomic pointers to
// values never changed once published). A rejection is logged at info
// level with the pointer, the reason and the caller's guest RIP (the
// return address on the guest stack) — the guest's mistake, answered with
// -EINVAL and counted, is not shown on the guest's stderr at minemu's
// default level — and the guest carries on. With debug logging every
// decision is logged with the pointer and the owning heap. What minemu
// cannot see is the inside of the guest heap: an interior pointer of a
// guest allocation passes rule 9 and the guest's own free judges it.
//
// # Files
//
//	thunks.go     New: the assembled layer for minemu run, its Stats
//	registry.go   Registry (guest.Thunker), Spec, Hash, UnknownHashError
//	abi.go        Layout: the packed-argument struct of both ABIs
//	memory.go     checked guest-memory access (Memory, guestMem)
//	mem_unsafe.go the raw loads and stores, the only unsafe code
//	callback.go   GuestCaller, Callbacks (depth bound, counters)
//	hostlib.go    HostLib: the host functions and free_any
//	format.go     the small printf dialect of minemu_format
//	header.go     WriteHeader: tests/guests/include/minemu.h (go generate);
//	              WriteLibraryHeader, WriteLibraryStubs
//	library.go    Library, Include, Call: thunk libraries users add
//	decl.go       the C prototypes of a Library's declarations
package thunks
