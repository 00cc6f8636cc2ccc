package mm

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The guest's share of the kernel's mapping limit.
//
// The kernel allows a process vm.max_map_count mappings (VMAs; 65,530 by
// default) and refuses the mmap, mprotect, munmap, mremap, brk or madvise
// that would need more. Guest and minemu are one process, so a guest that
// splits its memory into pages would otherwise take the last mappings and
// leave the Go runtime, the Regions arenas and the heaps none: the runtime
// dies ("fatal error: runtime: cannot allocate memory"). GuestSpace
// therefore keeps the guest within a budget of max_map_count minus a
// reserve (DefaultMapReserve) and answers an operation that could go past
// it as the kernel answers one past the limit: ENOMEM (EAGAIN for
// madvise). The guest sees the limit a few thousand mappings early.
//
// The count is an upper bound of the kernel VMAs that lie in (or start
// inside) GuestSpace's records, never below the truth: mapEstimateLocked
// is the number of records plus hidden, where hidden bounds the kernel VMA
// boundaries that fall strictly inside a record. Every kernel VMA that
// overlaps a record starts at a record's start, or strictly inside a
// record, or before a record whose start it covers (a VMA the kernel merged
// across records); each record start serves at most one VMA, so the kernel
// count is at most records + hidden boundaries. The kernel makes a boundary
// inside a record only where GuestSpace dropped one: when it merges two
// records (the kernel may have kept them apart; vmaSet.merges counts the
// merges) and when madvise changes the flags of part of a record (the
// kernel splits there, the records do not). Both add to the estimate. When
// an operation would not fit and the estimate may be inflated (merges or
// such advice since the last count), the boundaries inside records are
// counted exactly from /proc/self/maps (recountLocked) before deciding.
//
// Each operation checks, before it changes anything, that the estimate plus
// the most the operation can add fits the budget: a fresh mapping adds 1,
// each end of the range that falls strictly inside a record (a split) 1,
// the PROT_NONE claims of a MAP_FIXED over guest pages 1 each, for as long
// as they exist. munmap and mremap's shrinking need room only to punch a
// hole in one record (both ends inside it), as the kernel does.

// DefaultMapReserve is how many of vm.max_map_count mappings a GuestSpace
// leaves to the rest of the process (the Go runtime, Regions arenas, the
// primary and dynarec heaps, the image). minemu measured 61 to 70 of its
// own with a trivial and with an allocation-heavy guest, in both modes
// (docs/RATIONALE.md, "Why does the guest get 4,096 mappings fewer than
// the kernel allows?"). A limit below twice the reserve keeps half.
const DefaultMapReserve = 4096

// maxMapCountPath is where the kernel publishes the limit.
const maxMapCountPath = "/proc/sys/vm/max_map_count"

// defaultMaxMapCount is the kernel's default limit, used if the file cannot
// be read.
const defaultMaxMapCount = 65530

// MapCountStats is GuestSpaceStats' account of the mapping budget.
type MapCountStats struct {
	// MapBudget is how many kernel mappings the guest's memory (with the
	// host-heap blocks) may take; MapEstimate is the current upper bound of
	// what it takes.
	MapBudget   int `json:"map_budget"`
	MapEstimate int `json:"map_estimate"`
	// MapRefused counts operations refused for the budget; MapRecounts the
	// exact counts read from /proc/self/maps.
	MapRefused  uint64 `json:"map_refused"`
	MapRecounts uint64 `json:"map_recounts"`
}

// mapAccount is GuestSpace's mapping budget. Guarded by GuestSpace.mu.
type mapAccount struct {
	// budget is fixed by NewGuestSpace: the most kernel mappings guest
	// memory may take.
	budget int
	// hidden is an upper bound of the kernel VMA boundaries strictly inside
	// records that are not in vmaSet.merges-mergeBase: exact after a
	// recount, raised by advice that splits.
	hidden int
	// mergeBase is vmaSet.merges at the last recount; merges since add to
	// the estimate.
	mergeBase uint64
	// advised: hidden grew since the last recount.
	advised bool
	// warned: the first refusal was logged at info level; later ones go to
	// debug. (Not warn: natively the guest gets ENOMEM and no message, and
	// minemu's default level shows warnings.)
	warned bool
	// refused, recounts: MapCountStats counters.
	refused, recounts uint64
}

// mapBudget returns the guest's budget for a GuestSpaceConfig's MapBudget
// (0: read vm.max_map_count and keep DefaultMapReserve).
func mapBudget(configured int) int {
	if configured > 0 {
		return configured
	}
	limit := defaultMaxMapCount
	if n, err := readIntFile(maxMapCountPath); err == nil && n > 0 {
		limit = n
	}
	return limit - min(DefaultMapReserve, limit/2)
}

// readIntFile reads a file holding one decimal integer (a sysctl).
func readIntFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// mapEstimateLocked is the upper bound of the kernel mappings guest memory
// takes (see above).
func (g *GuestSpace) mapEstimateLocked() int {
	return len(g.vmas.v) + g.maps.hidden + int(g.vmas.merges-g.maps.mergeBase)
}

// insideLocked reports whether a lies strictly inside a record.
func (g *GuestSpace) insideLocked(a Addr) bool {
	i, ok := g.vmas.find(a)
	return ok && g.vmas.v[i].r.Start != a
}

// splitsLocked is how many ends of r fall strictly inside a record: the
// splits an operation on r can make.
func (g *GuestSpace) splitsLocked(r AddrRange) int {
	n := 0
	if g.insideLocked(r.Start) {
		n++
	}
	if g.insideLocked(r.End) {
		n++
	}
	return n
}

// holeLocked is 1 if r lies strictly inside one record at both ends
// (unmapping it splits the record in two), else 0.
func (g *GuestSpace) holeLocked(r AddrRange) int {
	i, ok := g.vmas.find(r.Start)
	if ok && g.vmas.v[i].r.Start < r.Start && r.End < g.vmas.v[i].r.End {
		return 1
	}
	return 0
}

// gapsLocked is how many parts of r no record covers (the claims of a
// MAP_FIXED over guest pages).
func (g *GuestSpace) gapsLocked(r AddrRange) int {
	n := 0
	g.forGapsLocked(r, func(AddrRange) bool { n++; return true })
	return n
}

// mapRoomLocked returns nil if an operation that adds at most add kernel
// mappings fits the budget, counting exactly first if the estimate may be
// inflated; else it counts and logs the refusal and returns errno.
func (g *GuestSpace) mapRoomLocked(op string, add int, errno unix.Errno) error {
	if add <= 0 || g.mapEstimateLocked()+add <= g.maps.budget {
		return nil
	}
	if g.maps.advised || g.vmas.merges != g.maps.mergeBase {
		g.recountLocked()
		if g.mapEstimateLocked()+add <= g.maps.budget {
			return nil
		}
	}
	g.maps.refused++
	ev := g.log.Debug()
	if !g.maps.warned {
		g.maps.warned = true
		ev = g.log.Info()
	}
	ev.Str("op", op).Int("estimate", g.mapEstimateLocked()).Int("adds", add).Int("budget", g.maps.budget).
		Msg("guest reached its share of vm.max_map_count; refused as the kernel refuses past the limit")
	return errno
}

// recountLocked counts, from /proc/self/maps, the kernel mappings that
// start strictly inside a record, and makes that the estimate's hidden
// part. If the file cannot be read the estimate stays as it was (an upper
// bound still).
func (g *GuestSpace) recountLocked() {
	n, err := g.countInsideLocked()
	if err != nil {
		g.log.Error().Err(err).Msg("counting mappings in /proc/self/maps")
		return
	}
	g.maps.recounts++
	g.maps.hidden, g.maps.mergeBase, g.maps.advised = n, g.vmas.merges, false
}

// countInsideLocked reads /proc/self/maps and counts the lines whose start
// lies strictly inside a record. Only the start address of each line is
// parsed, so that a count over 65,530 lines costs little.
func (g *GuestSpace) countInsideLocked() (int, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		dash := bytes.IndexByte(line, '-')
		if dash <= 0 {
			continue
		}
		start, err := strconv.ParseUint(string(line[:dash]), 16, 64)
		if err != nil {
			continue
		}
		if g.insideLocked(Addr(start)) {
			n++
		}
	}
	return n, sc.Err()
}

// adviceSplits reports whether madvise advice changes the flags of the
// kernel's areas (and so splits them at the range's ends).
func adviceSplits(advice int) bool {
	switch advice {
	case unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_DONTFORK, unix.MADV_DOFORK,
		unix.MADV_MERGEABLE, unix.MADV_UNMERGEABLE, unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE,
		unix.MADV_DONTDUMP, unix.MADV_DODUMP, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK:
		return true
	}
	return false
}

// noteAdvisedLocked adds the splits that advice on r may have made inside
// records to the estimate.
func (g *GuestSpace) noteAdvisedLocked(r AddrRange, advice int) {
	if s := g.splitsLocked(r); s > 0 && adviceSplits(advice) {
		g.maps.hidden += s
		g.maps.advised = true
	}
}

// mapCountStatsLocked fills MapCountStats.
func (g *GuestSpace) mapCountStatsLocked() MapCountStats {
	return MapCountStats{MapBudget: g.maps.budget, MapEstimate: g.mapEstimateLocked(),
		MapRefused: g.maps.refused, MapRecounts: g.maps.recounts}
}

// protSplitsLocked is how many ends of r fall strictly inside a record
// whose protection differs from prot: the splits an mprotect makes (the
// kernel leaves an area whose protection does not change alone).
func (g *GuestSpace) protSplitsLocked(r AddrRange, prot int) int {
	n := 0
	for _, a := range [2]Addr{r.Start, r.End} {
		if i, ok := g.vmas.find(a); ok && g.vmas.v[i].r.Start != a && g.vmas.v[i].prot != prot {
			n++
		}
	}
	return n
}
