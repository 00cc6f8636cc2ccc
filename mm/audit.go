package mm

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Class says who a piece of the address space belongs to.
type Class uint8

// The classes of the audit. Owners (RangeOwner) claim the first three and
// ClassTrampoline; the audit infers the others from /proc/self/maps.
const (
	// ClassGuest is memory the guest mapped (GuestSpace).
	ClassGuest Class = iota + 1
	// ClassHostHeap is guest-visible host memory (host-heap blocks carved
	// from the guest window).
	ClassHostHeap
	// ClassInternal is minemu's own memory from Regions.
	ClassInternal
	// ClassGoRuntime is anonymous memory no owner claims: the Go heap,
	// goroutine stacks, the runtime's metadata (and, under the race
	// detector, its shadow).
	ClassGoRuntime
	// ClassImage is the executable's own file mappings and the anonymous
	// bss that directly follows them.
	ClassImage
	// ClassHostBrk is the host's program break ("[heap]"), grown by C code
	// such as the race runtime.
	ClassHostBrk
	// ClassKernel is what the kernel maps: [vdso], [vvar], [stack],
	// [vsyscall] and other bracketed names.
	ClassKernel
	// ClassLibrary is any other file mapping (shared libraries, files).
	ClassLibrary
	// ClassTrampoline is minemu's own code in the guest window
	// (GuestSpace.MapTrampoline): the callback return trap and, later,
	// signal return trampolines. The guest may read and execute it, never
	// write, unmap or replace it.
	ClassTrampoline
	numClasses
)

var classNames = [numClasses]string{"invalid", "guest", "host-heap", "internal", "go-runtime", "image",
	"host-brk", "kernel", "library", "trampoline"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// MarshalText makes Class a readable JSON value and map key.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText is the inverse of MarshalText.
func (c *Class) UnmarshalText(b []byte) error {
	for i, n := range classNames {
		if i > 0 && n == string(b) {
			*c = Class(i)
			return nil
		}
	}
	return fmt.Errorf("mm: unknown class %q", b)
}

// guestVisible reports whether a 32-bit guest may see memory of class c.
func (c Class) guestVisible() bool {
	return c == ClassGuest || c == ClassHostHeap || c == ClassTrampoline
}

// RangeOwner is anything that knows which ranges of the address space it
// owns: Regions (ClassInternal), GuestSpace (ClassGuest, ClassHostHeap).
// OwnedRanges calls yield once per range; ranges are page-aligned.
type RangeOwner interface {
	OwnedRanges(yield func(AddrRange, Class))
}

// AuditConfig says what the audit checks against.
type AuditConfig struct {
	// Mode32 judges the layout; Mode64 only reports it.
	Mode Mode
	// Owners claim ranges; whatever they do not claim is classified from
	// the maps line itself.
	Owners []RangeOwner
	// TolerateLowImage accepts ClassImage and ClassHostBrk below 4 GiB.
	// Only tests set it: a test binary built the default way (and every
	// `go test -race` binary, which cannot be a PIE) is linked at
	// 0x400000, and the race runtime grows a C heap there; the exception
	// lets 32-bit guests run in such tests. The segments are still listed
	// in AuditReport.Low. minemu itself never sets it: it refuses to run a
	// 32-bit guest while anything of its own lies below 4 GiB, and its
	// audit judges the layout without exceptions.
	TolerateLowImage bool
}

// AuditSegment is a piece of one /proc/self/maps line with one owner.
type AuditSegment struct {
	Range AddrRange `json:"range"`
	Class Class     `json:"class"`
	Perms string    `json:"perms"`
	Path  string    `json:"path,omitempty"`
}

func (s AuditSegment) String() string {
	str := fmt.Sprintf("%v %s %s", s.Range, s.Perms, s.Class)
	if s.Path != "" {
		str += " " + s.Path
	}
	return str
}

// ClassTotal sums the segments of one class.
type ClassTotal struct {
	Bytes    uint64 `json:"bytes"`
	Segments int    `json:"segments"`
}

// AuditReport is the result of Audit; it marshals to readable JSON.
type AuditReport struct {
	Mode Mode `json:"mode"`
	// OK is false when Mode32 found a violation; always true in Mode64.
	OK bool `json:"ok"`
	// Violations names each offending segment (Mode32 only).
	Violations []string `json:"violations,omitempty"`
	// Classes totals the segments per class.
	Classes map[Class]ClassTotal `json:"classes"`
	// Low lists every segment below 4 GiB that is neither guest nor host
	// heap, tolerated or not.
	Low []AuditSegment `json:"low,omitempty"`
	// Missing lists owned ranges that are not (entirely) mapped: the
	// owner's bookkeeping disagrees with the kernel.
	Missing []AuditSegment `json:"missing,omitempty"`
	// Segments is the whole classified address space, sorted.
	Segments []AuditSegment `json:"segments"`
}

// ownedRange is a range an owner claims; it lives for one audit.
type ownedRange struct {
	r       AddrRange // non-empty, page-aligned as the owner reported it
	class   Class     // what the owner says r is
	covered uint64    // bytes of r the maps show mapped; at most r.Length()
}

// Audit reads /proc/self/maps and classifies every mapping (see the
// package documentation, "The 4 GiB audit"). Owners should not change
// their mappings while it runs; the Go runtime may, and its mappings are
// classified as the snapshot shows them.
func Audit(cfg AuditConfig) (AuditReport, error) {
	if cfg.Mode != Mode32 && cfg.Mode != Mode64 {
		return AuditReport{}, fmt.Errorf("mm: Audit: invalid mode %d", cfg.Mode)
	}
	var owned []ownedRange
	for _, o := range cfg.Owners {
		o.OwnedRanges(func(r AddrRange, c Class) {
			if r.Start < r.End {
				owned = append(owned, ownedRange{r: r, class: c})
			}
		})
	}
	es, err := ReadMaps()
	if err != nil {
		return AuditReport{}, err
	}
	exe := currentExe()
	return auditEntries(cfg, es, owned, exe), nil
}

// exeID identifies the executable's file in maps lines, by device and
// inode when /proc/self/exe could be stat'ed (ok), else by path.
type exeID struct {
	path       string // target of /proc/self/exe; "" if unreadable
	ino        uint64 // valid when ok
	major, min uint32 // device of the file; valid when ok
	ok         bool
}

func currentExe() exeID {
	var id exeID
	if p, err := os.Readlink("/proc/self/exe"); err == nil {
		id.path = p
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err == nil {
		id.ino = st.Ino
		id.major, id.min = unix.Major(st.Dev), unix.Minor(st.Dev)
		id.ok = true
	}
	return id
}

func (id exeID) matches(e MapsEntry) bool {
	if e.Inode == 0 {
		return false
	}
	if id.ok && e.Inode == id.ino && e.DevMajor == id.major && e.DevMinor == id.min {
		return true
	}
	return id.path != "" && (e.Path == id.path || e.Path == id.path+" (deleted)")
}

// baseClassifier classifies maps entries that no owner claims, fed in
// address order. It remembers where the last file mapping of the image
// ended: an anonymous entry starting there is the image's bss (only that
// one line; anything after it is not).
type baseClassifier struct {
	exe exeID
	// imageEnd is the end of the previous entry if it was a file mapping
	// of the image, else 0.
	imageEnd Addr
}

// class returns e's class; e must follow the previous entry in address
// order.
func (b *baseClassifier) class(e MapsEntry) Class {
	afterImage := b.imageEnd != 0 && b.imageEnd == e.Range.Start
	b.imageEnd = 0
	switch {
	case b.exe.matches(e):
		b.imageEnd = e.Range.End
		return ClassImage
	case e.Path == "" && e.Inode == 0 && afterImage:
		return ClassImage // the executable's bss
	case e.Path == "[heap]":
		return ClassHostBrk
	case e.IsAnonymous() || strings.HasPrefix(e.Path, "[anon"):
		return ClassGoRuntime
	case strings.HasPrefix(e.Path, "["):
		return ClassKernel
	}
	return ClassLibrary
}

// auditEntries is Audit on a given snapshot.
func auditEntries(cfg AuditConfig, es []MapsEntry, owned []ownedRange, exe exeID) AuditReport {
	rep := AuditReport{Mode: cfg.Mode, OK: true, Classes: map[Class]ClassTotal{}}
	sort.Slice(owned, func(i, j int) bool { return owned[i].r.Start < owned[j].r.Start })
	// Each claim is compared with the earlier one reaching furthest: a
	// claim can overlap one that is not its direct predecessor (one large
	// claim holding two small ones). reach[i] is the furthest end of
	// owned[:i+1]; unlike the ends themselves it is sorted even when claims
	// nest, so it can be binary-searched.
	reach := make([]Addr, len(owned))
	for i, far := 0, 0; i < len(owned); i++ {
		if i > 0 && owned[far].r.Overlaps(owned[i].r) && cfg.Mode == Mode32 {
			rep.Violations = append(rep.Violations, fmt.Sprintf("owners both claim %v (%s) and %v (%s)",
				owned[far].r, owned[far].class, owned[i].r, owned[i].class))
		}
		if owned[i].r.End > owned[far].r.End {
			far = i
		}
		reach[i] = owned[far].r.End
	}

	emit := func(r AddrRange, c Class, e MapsEntry) {
		// Split at 4 GiB so each side is judged on its own.
		if r.Start < Limit32 && r.End > Limit32 {
			emitOne(&rep, cfg, AddrRange{Start: r.Start, End: Limit32}, c, e)
			r.Start = Limit32
		}
		emitOne(&rep, cfg, r, c, e)
	}
	bc := baseClassifier{exe: exe}
	for _, e := range es {
		base := bc.class(e)
		cursor := e.Range.Start
		i := sort.Search(len(reach), func(i int) bool { return reach[i] > e.Range.Start })
		for ; i < len(owned) && owned[i].r.Start < e.Range.End; i++ {
			part := owned[i].r.Intersect(e.Range)
			owned[i].covered += part.Length()
			if part.End <= cursor {
				continue // overlapping owners: reported above
			}
			part.Start = max(part.Start, cursor)
			if cursor < part.Start {
				emit(AddrRange{Start: cursor, End: part.Start}, base, e)
			}
			emit(part, owned[i].class, e)
			cursor = part.End
		}
		if cursor < e.Range.End {
			emit(AddrRange{Start: cursor, End: e.Range.End}, base, e)
		}
	}
	for _, o := range owned {
		if o.covered < o.r.Length() {
			seg := AuditSegment{Range: o.r, Class: o.class}
			rep.Missing = append(rep.Missing, seg)
			if cfg.Mode == Mode32 {
				rep.Violations = append(rep.Violations, fmt.Sprintf("%v claimed as %s but %d of its %d bytes are not mapped",
					o.r, o.class, o.r.Length()-o.covered, o.r.Length()))
			}
		}
	}
	if cfg.Mode == Mode32 && len(rep.Violations) > 0 {
		rep.OK = false
	}
	return rep
}

func emitOne(rep *AuditReport, cfg AuditConfig, r AddrRange, c Class, e MapsEntry) {
	seg := AuditSegment{Range: r, Class: c, Perms: e.Perms(), Path: e.Path}
	rep.Segments = append(rep.Segments, seg)
	t := rep.Classes[c]
	t.Bytes += r.Length()
	t.Segments++
	rep.Classes[c] = t
	low := r.Start < Limit32
	if low && !c.guestVisible() {
		rep.Low = append(rep.Low, seg)
	}
	if cfg.Mode != Mode32 {
		return
	}
	tolerated := cfg.TolerateLowImage && (c == ClassImage || c == ClassHostBrk)
	switch {
	case low && !c.guestVisible() && !tolerated:
		rep.Violations = append(rep.Violations, fmt.Sprintf("%v below 4 GiB is not guest-visible", seg))
	case !low && c.guestVisible():
		rep.Violations = append(rep.Violations, fmt.Sprintf("%v is guest-visible but above 4 GiB", seg))
	}
}

// ImageBelow4G reports whether the running executable's image (its file
// mappings and the bss after them) starts below 4 GiB, where it would take
// room from a 32-bit guest; image is the span from its lowest to its
// highest byte.
func ImageBelow4G() (low bool, image AddrRange, err error) {
	es, err := ReadMaps()
	if err != nil {
		return false, AddrRange{}, err
	}
	bc := baseClassifier{exe: currentExe()}
	found := false
	for _, e := range es {
		if bc.class(e) != ClassImage {
			continue
		}
		if !found {
			image, found = e.Range, true
		}
		image.End = e.Range.End
	}
	if !found {
		return false, AddrRange{}, fmt.Errorf("mm: the executable's mappings are not in /proc/self/maps")
	}
	return image.Start < Limit32, image, nil
}
