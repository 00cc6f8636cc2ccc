// Package mm is minemu's memory subsystem: it decides where every byte of
// the emulated process lives, for the guest and for minemu itself, and it
// proves the result by reading the kernel's own account of the address
// space.
//
// # Identity mapping
//
// minemu runs guest code with guest address == host address. Loads and
// stores need no translation and a pointer crosses between guest code and
// host code (thunks) unchanged. The price is that guest and emulator share
// one address space, so mm must keep them apart by construction: every
// mapping either side makes goes through a component of this package that
// knows where it may go.
//
// The package has four parts:
//
//   - Regions: minemu's own virtual memory (heap blocks, decoded-code
//     caches), a region allocator in the role of FEX-Emu's 64BitAllocator.
//   - GuestSpace: the guest's mmap, munmap, mprotect, mremap and brk, plus
//     the guest-visible host memory carved from the guest window.
//   - Heap: the custommem engine (Box64's role) that carves blocks from a
//     BlockSource (Regions or GuestSpace) into allocations.
//   - The audit: /proc/self/maps parsed (ParseMaps) and every mapping
//     classified by owner, with a verdict on the 4 GiB rule.
//
// Typed addresses (Addr, AddrRange) are used throughout; a range is only
// ever built by NewRange, the one overflow-checked constructor. Errors the
// guest can see are golang.org/x/sys/unix Errno values; details go to the
// zerolog logger each component is configured with.
//
// # Address layout
//
// With a 32-bit guest (Mode32) the address space is split at 4 GiB:
//
//	0        64 KiB                                  4 GiB      64 GiB                 768 GiB
//	| unmapped | guest window                          | (gap)    | Regions arenas, zone 1 |
//	|          | image, brk, mmaps, stack,             |          | (1 GiB-aligned,        |
//	|          | host-heap blocks (guest-visible)      |          |  PROT_NONE reserved)   |
//
//	768 GiB (0xc000000000)      896 GiB                     32 TiB                    128 TiB
//	| Go heap (race detector:   | Regions arenas, zone 2    | race shadow, Go heap    |
//	|  fixed here)              |                           | hints, mmap area, stack |
//
// A 32-bit guest can only form addresses below 4 GiB (the interpreter
// computes effective addresses modulo 2^32), so nothing it does can reach
// minemu's memory (nor through the kernel: the guest package hands the
// kernel only guest memory and clips /proc/self/mem, process_vm_* and the
// maps files to it), and minemu never takes anything from the guest window
// except guest-visible host-heap blocks, which GuestSpace books like guest
// mappings so the two never collide. minemu must be a position-independent
// executable for the window to be whole: a default Go build is linked at
// 0x400000 (test binaries reach about 0x2700000 with their bss) and the
// race runtime grows a C [heap] there too. mm steps around whatever is
// already mapped, and the audit names it.
//
// With a 64-bit guest (Mode64) the guest may use any user address, so mm
// does not place anything: guest mmaps and minemu's own regions go to the
// kernel, which keeps them apart, and mm only keeps the bookkeeping the
// emulator needs.
//
// # Regions
//
// A Regions hands out page-granular regions of private anonymous memory.
// In Mode32 every region lies in an arena above 4 GiB; in Mode64 Map, Unmap
// and Protect pass through to the kernel.
//
// Structures (Mode32). An arena is one reservation of ArenaSize bytes
// (default 16 GiB) made PROT_NONE | MAP_PRIVATE | MAP_ANONYMOUS |
// MAP_NORESERVE, so it costs address space but no memory and no commit
// charge. Its base is aligned to 1 GiB, so that the alignment of a page
// index inside the arena equals the alignment of its address: a 2 MiB
// aligned region is simply a run starting at a page index that is a
// multiple of 512. Each arena has a pageBitmap (1 = mapped by Map), a
// lowFree index (every page below it is mapped) and a hint (the page where
// the next search runs backward from; 0 = none). The arenas are kept
// sorted by address. In Mode64 the regions are a sorted slice of disjoint
// ranges in which touching ranges are merged.
//
// Arena placement. The arena goes to the lowest 1 GiB-aligned gap that
// /proc/self/maps shows free in two zones: [64 GiB, 0xc000000000), between
// the guest's 4 GiB and the Go heap, and [0xe000000000, 32 TiB), between
// the race detector's fixed Go heap and its shadow. The reservation uses
// MAP_FIXED_NOREPLACE, so it can never clobber anything; if another thread
// mapped into the gap in the meantime the kernel says EEXIST and the maps
// are read again. Reading the maps (instead of probing upward step by step)
// finds the gap in one pass and reuses the space of closed Regions.
//
// Map (Mode32):
//
//  1. Check the arguments: length a non-zero multiple of PageSize, align 0
//     (PageSize) or a power of two up to 1 GiB, prot within
//     PROT_READ|PROT_WRITE|PROT_EXEC; else EINVAL.
//  2. For each arena in address order: if it has a hint, search the bitmap
//     backward from the hint for the highest aligned run of free pages that
//     ends at or below it; the hint then moves to the start of what was
//     found. Otherwise (or if that fails, dropping the hint) search upward
//     from lowFree for the lowest aligned run.
//  3. If no arena has room, reserve a new arena (at least as large as the
//     request); at MaxArenas, or with no gap left, return ENOMEM.
//  4. mmap the run MAP_FIXED over the reservation with the requested
//     protection; only then set the bits (a failed mmap changes nothing)
//     and advance lowFree past the run if the run started at it.
//
// Unmap (Mode32) of a whole region or a page-aligned part of one:
//
//  1. The range must lie in one arena with every page's bit set; else
//     EINVAL and nothing changes.
//  2. MADV_DONTNEED returns the pages' memory to the kernel.
//  3. An mmap of PROT_NONE | MAP_NORESERVE | MAP_FIXED over the range makes
//     it a reservation again: no other mapping can land there, and it
//     merges with the reservation around it into one kernel VMA.
//  4. Clear the bits, lower lowFree to the range's start if it was above,
//     and set the hint to the range's end page.
//
// Why backward from the last free: a freed region is usually asked for
// again at the same size (heap blocks are of a few fixed sizes), and the
// backward search puts the new region exactly into the hole, where it
// touches its neighbours. Holes are refilled before fresh space is
// touched, so the mapped part of an arena stays dense. The kernel limits a
// process to 65,530 mappings (vm.max_map_count); since a freed range merges
// back into the reservation, each live region costs at most two
// /proc/self/maps lines (itself and the reservation piece after it) however
// many map/unmap cycles ran — the mapping-count test checks exactly that.
//
// Protect changes the protection of a range that is entirely mapped (else
// EINVAL). Stats returns counters; Check recounts every bitmap and compares
// it with the cached counts and lowFree; OwnedRanges reports the arenas
// (Mode64: the regions) as ClassInternal for the audit; Close releases
// everything. One mutex guards all mutable state; methods that expect it
// held end in Locked.
//
// Regions implements BlockSource (MapBlock/UnmapBlock are Map/Unmap with
// PROT_READ|PROT_WRITE), so the primary and dynarec heaps take their blocks
// from it.
//
// # GuestSpace
//
// A GuestSpace is the guest's address space as its system calls see it:
// mmap, munmap, mprotect, mremap, madvise and brk, plus MapBlock and
// UnmapBlock, through which the host heap takes guest-visible blocks. All
// of it is real memory: the kernel maps each guest page at the address the
// guest uses.
//
// Structures. A sorted slice of vmas {range, prot, flags, kind guest or
// host heap} records everything the GuestSpace mapped; neighbouring private
// anonymous guest vmas with equal protection are merged, so the slice stays
// about as short as the kernel's own list and lookups are binary searches.
// In Mode32 a pageBitmap with one bit per page of [0, window end) (2^20
// bits, 128 KiB, for the full window) marks every page that is used, by a
// vma or by a foreign mapping: one that something else in the process had
// in the window (a non-PIE binary's image, the race runtime's C heap, a
// stray mmap). Foreign ranges are listed as well; they are never used and
// never unmapped. A page is free for placement exactly when its bit is
// clear. Bits are indexed by absolute page number, so an aligned run of
// bits is an aligned address range.
//
// Layout (Mode32, default window), as Linux lays out a 32-bit process on an
// x86-64 kernel without randomization (TASK_SIZE 0xffffe000, mmap_base 128
// MiB below it):
//
//	64 KiB                                0xf7ffe000             0xffffe000  4 GiB
//	| image, brk ->       <- mmaps, blocks | stack gap (StackGap)  |  8 KiB  |
//	                                   mmap base               StackTop
//	                                                           = window end
//
// The loader maps the image low and the stack below StackTop; brk grows up
// from the end of the image; placement grows down from the mmap base. The
// window ends at TASK_SIZE (TaskSize32): the top 8 KiB are never guest
// memory, as the kernel never maps anything of a 32-bit process there, and
// the memory calls refuse them with Linux's errnos (ENOMEM for MAP_FIXED,
// EINVAL for munmap and MREMAP_FIXED).
//
// Placement (mmap without MAP_FIXED, MapBlock, mremap moves) in Mode32:
//
//  1. A hint, rounded down to a page, is taken when its pages are free and
//     inside the window.
//  2. Otherwise the bitmap is searched top-down for the highest free run
//     (aligned, for blocks) that ends at or below the mmap base,
//  3. and failing that bottom-up from the mmap base through the stack gap,
//     like the kernel's fallback; no room is ENOMEM.
//  4. The run is mapped with MAP_FIXED_NOREPLACE. If the kernel answers
//     EEXIST, something was mapped behind GuestSpace's back: it reads
//     /proc/self/maps, marks every unknown mapping in the window foreign,
//     and searches again (a bounded number of times).
//  5. The vma is recorded and its bits set.
//
// Nothing is ever mapped with plain MAP_FIXED over pages the bookkeeping
// does not own. MAP_FIXED (and MREMAP_FIXED) follows these steps:
//
//  1. The range must lie in the window: below 64 KiB is EPERM (Linux's
//     mmap_min_addr), elsewhere outside ENOMEM.
//  2. A host-heap block or a foreign page in the range is refused with
//     ENOMEM (with MAP_FIXED_NOREPLACE any used page is EEXIST), logged and
//     counted: the guest may replace only its own memory.
//  3. If no guest page is in the range, it is mapped with
//     MAP_FIXED_NOREPLACE (a kernel EEXIST marks the foreign mapping and
//     refuses).
//  4. If guest pages are to be replaced, the free parts of the range are
//     claimed first with PROT_NONE MAP_FIXED_NOREPLACE reservations (an
//     EEXIST undoes the claims and refuses); then MAP_FIXED over the whole
//     range replaces only memory of ours. If that fails, the claims are
//     released and the recorded pages are probed again (msync) so the
//     bookkeeping matches what the kernel kept.
//  5. The replaced vmas are forgotten, the new one recorded, and the change
//     hook is told.
//
// Munmap unmaps the guest pages of the range in maximal runs, one syscall
// each. Unmapped and foreign pages are skipped (for the guest they are
// unmapped, and Linux allows munmap of unmapped pages); a range that
// touches a host-heap block is refused with EINVAL and nothing is
// unmapped. Mprotect needs every page to be guest memory, else ENOMEM
// (Linux's answer for unmapped pages; a host-heap block is not the guest's
// mapping) and nothing changes; it is applied one recorded area at a time,
// so a kernel failure part-way (EACCES on a read-only file's shared
// mapping) leaves the bookkeeping exact. Madvise applies to guest pages
// only (ENOMEM if other pages are in the range); advice that discards
// contents (DONTNEED, FREE, REMOVE) tells the change hook.
//
// Mremap needs the old range inside one guest vma (else EFAULT). It shrinks
// in place; it grows in place when the following pages are free; else,
// with MREMAP_MAYMOVE, it places the new size like an mmap, reserves it
// PROT_NONE and moves onto the reservation with MREMAP_FIXED. MREMAP_FIXED
// takes the MAP_FIXED path above; MREMAP_DONTUNMAP works on private
// anonymous memory.
//
// Brk is the kernel's: SetBrkBase(end of image) rounds up to a page;
// Brk(0) returns the break; growth maps [old end, new end) read-write with
// MAP_FIXED_NOREPLACE when those pages and one guard page above them are
// free (the guard page is also probed in the kernel); shrinking unmaps;
// every failure returns the old break.
//
// Limits (guestspace_limits.go). The guest's RLIMIT_AS and RLIMIT_DATA
// are not the process's (minemu's own memory shares it), so GuestSpace
// enforces the values SetLimits gives it on the guest's own mappings, as
// the kernel's may_expand_vm does: a mapping (mmap, what MAP_FIXED or
// mremap adds, brk's new pages) that would take the guest's mapped pages
// past AS, or its data pages (private, writable, not MAP_GROWSDOWN: the
// loader's stack is marked so) past DATA, is ENOMEM; mprotect making
// private pages writable is checked against DATA; brk also applies
// check_data_rlimit with the data segment the loader records
// (SetDataSegment). Host-heap blocks never count. LockAll and UnlockAll
// are mlockall and munlockall over the guest's mappings only; with future
// locking, later guest mappings are mapped MAP_LOCKED.
//
// Mapping budget. The kernel allows a process vm.max_map_count mappings
// (65,530 by default) and refuses whatever would need more; guest and
// minemu share that count, and a guest that took the last mappings would
// leave the Go runtime none ("fatal error: runtime: cannot allocate
// memory"). GuestSpace keeps the guest's memory (host-heap blocks
// included) within the limit less DefaultMapReserve (4,096, read from
// /proc/sys/vm/max_map_count at creation; GuestSpaceConfig.MapBudget sets
// it in tests). Its estimate of the kernel mappings guest memory takes is
// an upper bound: the records plus the kernel boundaries that may lie
// strictly inside a record (one per merge of records, two per flag-changing
// madvise of part of one), recounted exactly from /proc/self/maps when an
// operation would not fit and the estimate may be inflated. Every
// operation that can add mappings checks, before it changes anything, that
// the estimate plus the most it can add (1 for a new mapping, 1 per cut
// record, 1 per claim) fits, and is refused as the kernel refuses past its
// limit otherwise: ENOMEM for mmap, mprotect, mremap, a munmap that punches
// a hole and MapBlock, EAGAIN for madvise, the old break for brk. Stats
// reports the budget, the estimate, the refusals and the recounts
// (guestspace_mapcount.go).
//
// Mode64: mmap without MAP_FIXED goes to the kernel with the hint, which
// then picks the place; MAP_FIXED, MREMAP_FIXED, munmap, mprotect and brk
// follow the same rules with the vma list as the only bookkeeping (there
// is no bitmap, and foreign mappings are known only from the kernel's
// EEXIST), so a 64-bit guest can still neither replace nor unmap minemu's
// own memory. MapBlock over-maps by the alignment and trims.
//
// Queries. Prot and IsMapped (the syscall layer's check of guest pointers)
// binary-search the vma list under the read lock and do not allocate;
// host-heap blocks count as guest-visible read-write memory. The change
// hook runs after the lock is released, once for each range of guest
// memory that was unmapped, replaced, reprotected, moved or discarded, so
// the interpreter can drop decoded code there. OwnedRanges reports the
// vmas to the audit as ClassGuest and ClassHostHeap; Check recounts the
// bitmap against the vmas and foreign ranges and compares every cached
// counter. One RWMutex guards all mutable state; methods that expect it
// held end in Locked.
//
// # The 4 GiB audit
//
// Audit reads /proc/self/maps (ReadMaps, ParseMaps) and classifies every
// byte of the address space into a Class: guest, host heap (guest-visible
// host memory), internal (Regions), Go runtime (anonymous memory nobody
// claims), image (the executable's file mappings and the anonymous bss
// directly after them, found by the inode of /proc/self/exe), host brk
// ("[heap]"), kernel ([vdso], [vvar], [stack], [vsyscall], ...) and
// library (any other file).
//
// The kernel merges adjacent mappings with the same flags into one line, so
// a line can hold a guest mapping next to a host-heap block next to memory
// nobody owns. The audit therefore asks the owners (RangeOwner: Regions,
// GuestSpace) for their ranges first and splits every line by them; only
// the unclaimed rest of a line is classified from the line itself. Lines
// that cross 4 GiB are split there too. Owned ranges the kernel has no
// mapping for are reported as Missing: the owner's bookkeeping is wrong.
//
// Verdict, Mode32: the audit fails if anything that is not guest or host
// heap lies below 4 GiB (the image and host brk are tolerated when
// AuditConfig.TolerateLowImage says so, which only tests do), if
// anything guest or host heap lies at or above 4 GiB, if two owners claim
// the same memory, or if owned memory is missing. Each violation names the
// segment. Mode64: the same report, no verdict.
//
// ImageBelow4G answers the question `minemu mm replay` asks itself at
// start-up: does my own image lie below 4 GiB (was I built without
// -buildmode=pie)? `minemu run` asks more before a 32-bit guest: an audit
// with no owners, before anything is mapped, must find nothing at all
// below 4 GiB.
//
// # Heap
//
// A Heap is the custommem engine of Box64, over memory from a BlockSource:
// minemu's primary heap (Regions, at or above 4 GiB in Mode32), the host
// heap (GuestSpace, guest-visible, below 4 GiB in Mode32) and the dynarec
// heap (Regions, 2 MiB blocks). Addresses go in and out as Addr, so no
// caller needs unsafe; heap_unsafe.go is the one place that turns an
// address into a byte slice.
//
// Structures. A heap owns blocks, each one mapping from its source, aligned
// to its size, tracked by a heapBlock record with Box64's blocklist_t fields
// (block and size as r, maxfree, first, lowest, the type as cls) plus a
// Go-side bitmap of live allocation starts and, for LIST blocks, a Go-side
// bitmap of the 16-byte units that live chunks cover (busy). Blocks are
// grouped by kind:
//
//	LIST   512 KiB (dynarec: 2 MiB). Chunks with a 16-byte header in the
//	       block: prev and next marks of 31 bits of offset and 1 fill bit,
//	       then two 32-bit links of the chunk's size bin while it is free.
//	       Payloads are 16-byte aligned; a sentinel header (next mark 0)
//	       ends the block.
//	       [hdr|payload ...][hdr|payload][hdr| free ....... ][sentinel]
//	MAP    128 KiB of fixed slices (16, 32, 64, 128, 256 bytes) from
//	       offset 0, the slices' bitmap at the block's end (1 = used),
//	       lowest as hint.
//	       [slice 0][slice 1] ... [slice n-1][bitmap]
//	large  a dedicated mapping per request larger than a LIST block can
//	       serve (or aligned above a page), released on free.
//
// Each LIST and MAP kind keeps a max-tree over its blocks (fitTree): leaf i
// is the capacity of block i (LIST: maxfree; MAP: 1 when a slice is free,
// and a block that fills keeps its 1 until a search finds it full),
// so the leftmost block able to serve a request is found in O(log blocks)
// and a block that cannot serve is never walked. A two-level radix index
// maps address>>17 (the 128 KiB granule; no granule holds parts of two
// blocks) to the block: finding a pointer's block is two loads, O(1)
// whatever the number of blocks.
//
// Alloc(n), with the heap's mutex held:
//
//  1. n fits a MAP slice (a table indexed by (n+15)/16 names the kind):
//     take the latest freed slice of the kind that is still free (the
//     kind's hot ring of its last 64 frees, last in, first out: its cache
//     lines are likely still warm), else the lowest free slice of the
//     current MAP block of that size (the block of the latest free or
//     allocation; the fit tree's leftmost block with a free slice when the
//     current one is full; a new block when none has one). The in-block
//     bitmap is scanned from lowest a word at a time; the Go-side starts
//     bitmap must agree (else ErrCorrupt, nothing handed out twice). Ring
//     entries are hints, checked against both bitmaps when taken; a block
//     released while the ring names it is cleared from the ring.
//  2. n fits a LIST block: the fit tree names the leftmost block whose
//     maxfree reaches n rounded to 16. In the block: the head of n's exact
//     bin (below 1 KiB, one bin per 16 bytes), first fit within n's range
//     bin (four per power of two above), or the head of the next non-empty
//     bin (a bitmap of bins finds it in O(1)). The chunk is split when the
//     rest can hold a header and 16 bytes; the rest goes to its bin. If the
//     block cannot serve, its maxfree drops below n and the tree moves on;
//     if no block can, a new one is mapped.
//  3. AlignedAlloc above 16 bytes walks the implicit list from first
//     (Box64's first fit) for a chunk with room for an aligned payload,
//     leaving the gap in front as a free chunk.
//  4. Otherwise the request gets its own mapping.
//
// Free(p): the radix index gives the block; p must be a set bit of its
// starts bitmap (else ErrNotOwned outside every block, ErrDoubleFree where
// a free slice or a free LIST chunk's payload starts, ErrInterior anywhere
// else: counted, logged at debug level, nothing changed; a rejected LIST
// pointer is classified by walking the block's headers from the first, as
// marks right before p may be stale or forged). LIST chunks coalesce with a free
// neighbour on either side and return to their bin; MAP slices clear their
// bit and lower lowest; large mappings are unmapped. A block left empty is
// released to its source when its kind already keeps another empty block,
// so a heap holds at most one idle block per kind.
//
// Realloc grows a LIST chunk in place into a free successor, shrinks it in
// place by splitting off the tail, keeps a MAP slice or a large mapping
// while the new size fits, and otherwise moves (allocate, copy, free).
//
// Owns(p) (FEX's is_known_allocation) reads only Go memory, the radix index
// and the starts bitmap, never block memory: it cannot fault, costs O(1),
// and cannot be fooled by bytes a guest wrote into a host-heap block.
// Free trusts the same records for its decision. FreeOwned is Free for a
// caller that does not know which heap p belongs to (the thunk layer's
// cross-boundary free): one call under one acquisition of the lock says
// "not in my blocks" (nothing changed, nothing counted), frees, or refuses
// like Free, so no other goroutine can change p between the decision and
// the free. Pin marks a live allocation so that Free, FreeOwned and
// Realloc refuse it (ErrPinned, counted in rejected_pinned) until
// FreePinned frees it: the thunk layer pins what the host adopts.
//
// # Corrupted block memory
//
// Block memory is guest-writable: host-heap blocks lie in the guest window,
// and in Mode64 a guest can address every block. Marks, bin links and MAP
// bitmaps are therefore data to check, never to follow. The Go-side
// records (starts, busy, the counters, the trees) are the truth, and every
// value read from a block is checked against them before use:
//
//   - A live LIST chunk's extent comes from the records (its busy units, up
//     to the next live header); Free, Realloc and UsableSize compare its
//     marks with it. A neighbour is free exactly when its units are not
//     busy; its size is read from its mark and checked (16-byte multiple,
//     at least a header and 16 bytes, inside the block, ending at a live
//     chunk or the sentinel, in the bin of its size when taken from one).
//   - Bin links are checked both ways before an unlink (glibc's safe
//     unlinking) and walks of a bin are bounded by the number of chunks a
//     block can hold; the implicit list advances by at least 32 bytes a
//     step. No walk a guest forges can loop.
//   - No allocation is made over a busy unit, so two live allocations never
//     overlap whatever the marks say; and the heap writes a header only
//     where no live payload lies, so it never overwrites a live
//     allocation's bytes.
//   - A MAP bitmap word is compared with its starts mirror wherever it is
//     scanned.
//   - Every read and write of block memory goes through accessors that
//     check the offset, so nothing is indexed outside the block.
//
// A check that fails means the block cannot be trusted: it is
// quarantined. It is counted (HeapStats.Corruptions) and logged once at
// error level, its fit tree leaf becomes 0, its kind's current block and
// hot ring forget it, and from then on nothing is allocated from it and its
// memory is neither read nor written for its live allocations: Free
// releases them from the records alone, Realloc moves them out (or keeps
// them in place if they are large enough), UsableSize and Owns answer as
// before. When its last allocation goes, the block is unmapped
// (HeapStats.QuarantinedBlocks counts the quarantined blocks still
// mapped). The operation that found the corruption changes nothing in the
// records: Free and Realloc return ErrCorrupt and the allocation stays live
// (a later Free of it releases it from the quarantined block); Alloc
// serves the request from another block or a new one. Check verifies the
// records first, and a violation there is a heap bug; it then compares the
// memory of every block in service with the records, and reports a
// disagreement, or any quarantined block, as an error wrapping ErrCorrupt.
// FuzzHeapCorrupt overwrites header words of random blocks between random
// operations and checks all of this after every operation.
//
// No failing path leaves the lock held: nothing under the lock is meant to
// panic, and every method past its fast path unlocks by defer, so that
// even a panic (recovered by the interpreter's fault handler) releases it.
//
// Invariants, verified by Check: busy covers exactly the live LIST chunks
// and agrees with the live counters, marks agree in both directions, stay
// in the block and give every live chunk the extent busy gives it, no free
// chunk covers a busy unit, no two free chunks are neighbours, every free chunk is in the
// bin of its size exactly once, maxfree is at least the largest free
// payload (an upper bound, made exact by every search that fails), first is
// at or below the lowest free chunk, the in-block MAP bitmap equals the
// starts bitmap and maxfree counts its clear bits, lowest is at or below
// the lowest free slice, the fit trees and the radix index agree with the
// blocks, each kind's current block and hot ring name only live blocks of
// the kind (MAP kinds only), every block's cached views (memory, in-block
// bitmap) and Go-side bitmaps match its range and kind, the free slot and
// index lists name free entries once, and every counter equals a recount.
//
// Fast paths. Alloc of at most a slice, the current block or the ring not
// empty, is one table load, the ring or the bitmap word, and the counters;
// Free of a live MAP slice is the radix entry (a MAP block is exactly one
// granule), one bit of the starts bitmap and the counters. Everything else
// takes the general paths above.
//
// Locking: one mutex per heap, as Box64 has one per allocator; every
// method takes it. On x86-64 (without the race detector) it is the heap's
// own lock, taken with one compare-and-swap and released with a plain
// store (heap_lock_unsafe_amd64.go); elsewhere sync.Mutex. A goroutine with
// many requests in a row may hold it (Lock) and call AllocLocked,
// FreeLocked and ReallocLocked.
//
// Costs: Owns O(1); Free, Realloc and UsableSize O(1) for MAP slices and
// large mappings, and for a LIST chunk one bitmap word per KiB of the
// chunk (its extent from busy; classifying a rejected LIST pointer:
// O(chunks of its block); Owns never does); Alloc O(log blocks) for the
// fit tree plus O(1) bin work (a range bin is walked first fit) plus one
// busy word per KiB allocated from a LIST block; aligned requests O(chunks
// of one block); Check O(mapped bytes / 16).
package mm
