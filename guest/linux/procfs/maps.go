// Package procfs is the guest's view of the process files of procfs that
// describe memory. It knows nothing of the process it filters for: the
// caller says what is the guest's (View) and hands over the kernel's text.
//
// The memory maps a 32-bit guest reads in /proc/<tid>/maps, smaps,
// smaps_rollup and numa_maps: the kernel's text for the process, cut to
// the guest-visible part of the address space.
//
// The lines are the kernel's own. A line that lies inside guest memory is
// kept byte for byte; one that lies partly inside (the kernel merged a
// guest mapping with a neighbour of the same flags that is not the
// guest's) is cut to the guest's pieces, each printed as the kernel
// prints a mapping (show_map_vma: addresses of at least 8 hex digits, the
// file offset advanced by the cut for a file mapping, the name padded to
// column 73); lines outside are dropped. The guest's break and initial
// stack are anonymous memory of minemu's GuestSpace, which the host kernel
// does not know as the process's heap and stack, so an unnamed anonymous
// line gets the kernel's "[heap]" (it overlaps [start_brk, brk)) or
// "[stack]" (it holds the start of the stack) label.
//
// smaps entries follow their header line: a cut entry gets its Size and
// every other kB count capped at the piece's size (the kernel's counts are
// per mapping; the share of a piece is not known). smaps_rollup is summed
// from the kept smaps entries, its Pss_Anon, Pss_File and Pss_Shmem
// estimated per entry from Pss and Anonymous. numa_maps names only the
// start of each mapping: a line is kept when that start is guest memory.

package procfs

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/minemu/minemu/mm"
)

// View is the guest's part of the address space, as Filter needs
// it.
type View struct {
	// visible are the guest-visible ranges, sorted, disjoint and not
	// touching.
	Visible []mm.AddrRange
	// limit is the first address the guest cannot form (4 GiB).
	Limit uint64
	// brkBase and brk are the program break's start and end (the kernel's
	// start_brk and brk).
	BrkBase, Brk uint64
	// stack is an address inside the initial stack (the kernel's
	// start_stack); 0 when there is none.
	Stack uint64
}

// pieces returns the parts of [start, end) that are guest-visible and
// below the limit.
func (v *View) Pieces(start, end uint64) [][2]uint64 {
	end = min(end, v.Limit)
	var out [][2]uint64
	for _, r := range v.Visible {
		s, e := max(start, uint64(r.Start)), min(end, uint64(r.End))
		if s < e {
			out = append(out, [2]uint64{s, e})
		}
	}
	return out
}

// label is the kernel's name for an anonymous mapping [start, end) of
// the guest: "[heap]", "[stack]" or none (vma_is_initial_heap and
// vma_is_initial_stack).
func (v *View) label(start, end uint64) string {
	switch {
	case start < v.Brk && end > v.BrkBase:
		return "[heap]"
	case v.Stack != 0 && start <= v.Stack && v.Stack <= end:
		return "[stack]"
	}
	return ""
}

// mapsNameColumn is where show_map_vma starts the name: it pads the line
// to 25 + 6*sizeof(void *) - 1 characters, then writes a space.
const mapsNameColumn = 25 + 6*8 - 1

// Header is one parsed mapping line of maps or smaps.
type Header struct {
	Start, End uint64
	perms      string
	offset     uint64
	dev, ino   string
	Name       string
}

// ParseHeader parses "start-end perms offset dev inode [name]".
func ParseHeader(line string) (h Header, ok bool) {
	f := make([]string, 0, 5)
	rest := line
	for len(f) < 5 {
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			if len(f) != 4 {
				return h, false
			}
			f, rest = append(f, rest), ""
			break
		}
		f, rest = append(f, rest[:i]), rest[i+1:]
	}
	se := strings.SplitN(f[0], "-", 2)
	if len(se) != 2 {
		return h, false
	}
	var err1, err2, err3 error
	h.Start, err1 = strconv.ParseUint(se[0], 16, 64)
	h.End, err2 = strconv.ParseUint(se[1], 16, 64)
	h.offset, err3 = strconv.ParseUint(f[2], 16, 64)
	if err1 != nil || err2 != nil || err3 != nil || h.Start > h.End || len(f[1]) != 4 || !IsDecimal(f[4]) {
		return h, false
	}
	h.perms, h.dev, h.ino = f[1], f[3], f[4]
	// The name starts at the padded column, or right after the prefix and
	// one space when the prefix is longer.
	prefix := len(line) - len(rest)
	col := max(mapsNameColumn, prefix) + 1
	if len(line) >= col && strings.TrimLeft(line[prefix:col], " ") == "" {
		h.Name = line[col:]
	} else {
		h.Name = strings.TrimLeft(rest, " ")
	}
	return h, true
}

// format prints the piece [start, end) of h with name as the kernel
// prints a mapping.
func (h *Header) Format(b *bytes.Buffer, start, end uint64, name string) {
	off := h.offset
	if h.ino != "0" {
		off += start - h.Start
	}
	n := b.Len()
	b.WriteString(hex8(start))
	b.WriteByte('-')
	b.WriteString(hex8(end))
	b.WriteByte(' ')
	b.WriteString(h.perms)
	b.WriteByte(' ')
	b.WriteString(hex8(off))
	b.WriteByte(' ')
	b.WriteString(h.dev)
	b.WriteByte(' ')
	b.WriteString(h.ino)
	b.WriteByte(' ')
	if name != "" {
		for b.Len()-n < mapsNameColumn {
			b.WriteByte(' ')
		}
		b.WriteByte(' ')
		b.WriteString(name)
	}
	b.WriteByte('\n')
}

// hex8 is v in lowercase hex, at least 8 digits.
func hex8(v uint64) string {
	s := strconv.FormatUint(v, 16)
	if len(s) < 8 {
		s = strings.Repeat("0", 8-len(s)) + s
	}
	return s
}

// Entry is a header line with the lines that follow it (smaps).
type Entry struct {
	Line string
	H    Header
	Body []string
}

// SplitEntries splits maps or smaps text into entries; lines before the
// first header are dropped.
func SplitEntries(text []byte) []Entry {
	var out []Entry
	for _, line := range strings.SplitAfter(string(text), "\n") {
		l := strings.TrimSuffix(line, "\n")
		if l == "" {
			continue
		}
		if h, ok := ParseHeader(l); ok {
			out = append(out, Entry{Line: l, H: h})
		} else if n := len(out); n > 0 {
			out[n-1].Body = append(out[n-1].Body, l)
		}
	}
	return out
}

// Filter returns the guest's view of text, the content of a maps file
// of kind; smaps is the process's smaps (for smaps_rollup only).
func Filter(kind Kind, text, smaps []byte, v *View) []byte {
	var b bytes.Buffer
	switch kind {
	case Maps, Smaps:
		for _, e := range SplitEntries(text) {
			if kind == Maps {
				// maps has no field lines (the kernel escapes a newline
				// in a name).
				e.Body = nil
			}
			writeEntry(&b, &e, v)
		}
	case SmapsRollup:
		writeRollup(&b, text, smaps, v)
	case NumaMaps:
		for _, line := range strings.SplitAfter(string(text), "\n") {
			sp := strings.IndexByte(line, ' ')
			if sp <= 0 {
				continue
			}
			a, err := strconv.ParseUint(line[:sp], 16, 64)
			if err == nil && len(v.Pieces(a, a+1)) == 1 {
				b.WriteString(line)
			}
		}
	}
	return b.Bytes()
}

// writeEntry writes the guest's pieces of one maps or smaps entry.
func writeEntry(b *bytes.Buffer, e *Entry, v *View) {
	h := &e.H
	for _, p := range v.Pieces(h.Start, h.End) {
		name := h.Name
		if name == "" && h.ino == "0" {
			name = v.label(p[0], p[1])
		}
		whole := p[0] == h.Start && p[1] == h.End
		if whole && name == h.Name {
			b.WriteString(e.Line)
			b.WriteByte('\n')
		} else {
			h.Format(b, p[0], p[1], name)
		}
		sizeKB := (p[1] - p[0]) >> 10
		for _, l := range e.Body {
			if whole {
				b.WriteString(l)
			} else if label, val, ok := KBField(l); ok {
				if label == "Size:" {
					val = sizeKB
				}
				writeKB(b, l, min(val, sizeKB))
			} else {
				b.WriteString(l)
			}
			b.WriteByte('\n')
		}
	}
}

// KBField parses an smaps line "Name:   value kB".
func KBField(l string) (name string, val uint64, ok bool) {
	if !strings.HasSuffix(l, " kB") {
		return "", 0, false
	}
	f := strings.Fields(l)
	if len(f) != 3 {
		return "", 0, false
	}
	val, err := strconv.ParseUint(f[1], 10, 64)
	return f[0], val, err == nil
}

// writeKB writes template line l ("Name:   value kB") with val, right
// aligned in at least 8 columns as the kernel prints it.
func writeKB(b *bytes.Buffer, l string, val uint64) {
	body := strings.TrimSuffix(l, " kB")
	// The label ends where the value's digits and the spaces that pad it
	// to 8 columns begin.
	start := len(strings.TrimRight(body, "0123456789"))
	for start > 0 && len(body)-start < 8 && body[start-1] == ' ' {
		start--
	}
	label := body[:start]
	s := strconv.FormatUint(val, 10)
	b.WriteString(label)
	if len(s) < 8 {
		b.WriteString(strings.Repeat(" ", 8-len(s)))
	}
	b.WriteString(s)
	b.WriteString(" kB")
}

// writeRollup writes smaps_rollup: the real file's lines (the template)
// with the sums over the guest's smaps entries.
func writeRollup(b *bytes.Buffer, text, smaps []byte, v *View) {
	var kept bytes.Buffer
	for _, e := range SplitEntries(smaps) {
		writeEntry(&kept, &e, v)
	}
	sums := map[string]uint64{}
	var first, last uint64
	entries := SplitEntries(kept.Bytes())
	for i, e := range entries {
		if i == 0 {
			first = e.H.Start
		}
		last = e.H.End
		f := map[string]uint64{}
		for _, l := range e.Body {
			if name, val, ok := KBField(l); ok {
				f[name] = val
				sums[name] += val
			}
		}
		// The rollup splits Pss by the kind of page; per mapping only
		// the anonymous part is known.
		anon := min(f["Pss:"], f["Anonymous:"])
		rest := f["Pss:"] - anon
		sums["Pss_Anon:"] += anon
		if isShmemName(e.H.Name) {
			sums["Pss_Shmem:"] += rest
		} else {
			sums["Pss_File:"] += rest
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			h, ok := ParseHeader(l)
			if !ok {
				return
			}
			h.Format(b, first, last, h.Name)
			continue
		}
		if name, _, ok := KBField(l); ok {
			writeKB(b, l, sums[name])
		} else {
			b.WriteString(l)
		}
		b.WriteByte('\n')
	}
}

// isShmemName reports whether a mapping's name is shared memory.
func isShmemName(name string) bool {
	for _, p := range []string{"/dev/zero", "/SYSV", "/memfd:", "/dev/shm/", "[anon_shmem"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// IsDecimal reports whether s is a non-empty string of decimal digits.
func IsDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Kind is what a descriptor is as far as the process's own memory is
// concerned.
type Kind uint8

const (
	// Other is every other file.
	Other Kind = iota
	// Mem is /proc/<tid>/mem of a task of this process.
	Mem
	// The memory maps of a task of this process.
	Maps
	Smaps
	SmapsRollup
	NumaMaps
)

// Names are the procfs file names of each Kind but Other.
var Names = map[string]Kind{
	"mem": Mem, "maps": Maps, "smaps": Smaps,
	"smaps_rollup": SmapsRollup, "numa_maps": NumaMaps,
}

// String is the procfs name of a kind ("proc" for Other).
func (k Kind) String() string {
	for n, kk := range Names {
		if kk == k {
			return n
		}
	}
	return "proc"
}
