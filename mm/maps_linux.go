package mm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// MapsEntry is one line of /proc/self/maps: a virtual memory area as the
// kernel sees it. The kernel merges adjacent areas whose flags and backing
// agree, so one entry may hold memory of several owners (see Audit).
type MapsEntry struct {
	// Range is the area, page-aligned and non-empty.
	Range AddrRange
	// Prot is the protection (PROT_READ|PROT_WRITE|PROT_EXEC bits).
	Prot int
	// Shared is true for MAP_SHARED areas ('s'), false for private ('p').
	Shared bool
	// Offset is the file offset of Range.Start (0 for anonymous memory).
	Offset uint64
	// DevMajor and DevMinor identify the device of the backing file.
	DevMajor, DevMinor uint32
	// Inode is the backing file's inode, 0 for anonymous memory.
	Inode uint64
	// Path is the pathname or pseudo-name ("[heap]", "[vdso]",
	// "[anon:...]"), empty for plain anonymous memory. The kernel appends
	// " (deleted)" for unlinked files; it is kept as part of Path.
	Path string
}

// Perms renders the permission column, e.g. "rw-p".
func (e MapsEntry) Perms() string {
	b := []byte("---p")
	if e.Prot&unix.PROT_READ != 0 {
		b[0] = 'r'
	}
	if e.Prot&unix.PROT_WRITE != 0 {
		b[1] = 'w'
	}
	if e.Prot&unix.PROT_EXEC != 0 {
		b[2] = 'x'
	}
	if e.Shared {
		b[3] = 's'
	}
	return string(b)
}

// IsAnonymous reports whether the entry has no backing file: no inode and
// either no name or an anonymous name ("[anon:...]", set with
// PR_SET_VMA_ANON_NAME, which the Go runtime uses on kernels that support it).
func (e MapsEntry) IsAnonymous() bool {
	return e.Inode == 0 && (e.Path == "" || strings.HasPrefix(e.Path, "[anon:"))
}

// String formats e the way the kernel does, so ParseMaps(e.String())
// yields e again.
func (e MapsEntry) String() string {
	s := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d", uint64(e.Range.Start), uint64(e.Range.End),
		e.Perms(), e.Offset, e.DevMajor, e.DevMinor, e.Inode)
	if e.Path != "" {
		if pad := 73 - len(s); pad > 0 {
			s += strings.Repeat(" ", pad)
		} else {
			s += " "
		}
		s += e.Path
	}
	return s
}

// maxMapsLine bounds one line: the fixed columns take under 100 bytes and a
// path at most PATH_MAX (4096) plus " (deleted)".
const maxMapsLine = 8192

// ParseMaps parses the text of a /proc/<pid>/maps file. It accepts exactly
// what the kernel writes: one entry per line, entries sorted by address and
// disjoint, every range page-aligned and non-empty. Anything else is an
// error naming the line; ParseMaps never panics on any input.
func ParseMaps(data []byte) ([]MapsEntry, error) {
	var out []MapsEntry
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		e, err := parseMapsLine(line)
		if err != nil {
			return nil, fmt.Errorf("maps line %d: %w", lineNo, err)
		}
		if n := len(out); n > 0 && out[n-1].Range.End > e.Range.Start {
			return nil, fmt.Errorf("maps line %d: %v overlaps or precedes %v", lineNo, e.Range, out[n-1].Range)
		}
		out = append(out, e)
	}
	return out, nil
}

var errMapsSyntax = errors.New("malformed entry")

func parseMapsLine(line []byte) (MapsEntry, error) {
	var e MapsEntry
	if len(line) > maxMapsLine {
		return e, fmt.Errorf("%w: line longer than %d bytes", errMapsSyntax, maxMapsLine)
	}
	rest := string(line)
	field := func() (string, bool) {
		i := strings.IndexByte(rest, ' ')
		if i <= 0 {
			return "", false
		}
		f := rest[:i]
		rest = rest[i+1:]
		return f, true
	}
	rng, ok1 := field()
	perms, ok2 := field()
	off, ok3 := field()
	dev, ok4 := field()
	if !(ok1 && ok2 && ok3 && ok4) {
		return e, fmt.Errorf("%w: %q", errMapsSyntax, line)
	}
	// The inode is the last fixed column; the path, if any, follows after
	// padding.
	inode := rest
	path := ""
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		inode = rest[:i]
		path = strings.TrimLeft(rest[i:], " ")
	}

	startS, endS, ok := strings.Cut(rng, "-")
	if !ok {
		return e, fmt.Errorf("%w: range %q", errMapsSyntax, rng)
	}
	start, err1 := parseHex(startS)
	end, err2 := parseHex(endS)
	if err1 != nil || err2 != nil {
		return e, fmt.Errorf("%w: range %q", errMapsSyntax, rng)
	}
	r, ok := NewRange(Addr(start), end-start)
	if end <= start || !ok || !r.IsPageAligned() {
		return e, fmt.Errorf("%w: range %q is empty, reversed or not page-aligned", errMapsSyntax, rng)
	}
	e.Range = r

	if len(perms) != 4 {
		return e, fmt.Errorf("%w: permissions %q", errMapsSyntax, perms)
	}
	for i, want := range [3]byte{'r', 'w', 'x'} {
		switch perms[i] {
		case want:
			e.Prot |= [3]int{unix.PROT_READ, unix.PROT_WRITE, unix.PROT_EXEC}[i]
		case '-':
		default:
			return e, fmt.Errorf("%w: permissions %q", errMapsSyntax, perms)
		}
	}
	switch perms[3] {
	case 's':
		e.Shared = true
	case 'p':
	default:
		return e, fmt.Errorf("%w: permissions %q", errMapsSyntax, perms)
	}

	if e.Offset, err1 = parseHex(off); err1 != nil {
		return e, fmt.Errorf("%w: offset %q", errMapsSyntax, off)
	}
	majS, minS, ok := strings.Cut(dev, ":")
	maj, err1 := parseHex(majS)
	mnr, err2 := parseHex(minS)
	if !ok || err1 != nil || err2 != nil || maj > 0xfff || mnr > 0xfffff {
		return e, fmt.Errorf("%w: device %q", errMapsSyntax, dev)
	}
	e.DevMajor, e.DevMinor = uint32(maj), uint32(mnr)
	if inode == "" || inode[0] == '+' || inode[0] == '-' {
		return e, fmt.Errorf("%w: inode %q", errMapsSyntax, inode)
	}
	if e.Inode, err1 = strconv.ParseUint(inode, 10, 64); err1 != nil {
		return e, fmt.Errorf("%w: inode %q", errMapsSyntax, inode)
	}
	e.Path = path
	return e, nil
}

// parseHex parses 1 to 16 hexadecimal digits (no sign, no prefix).
func parseHex(s string) (uint64, error) {
	if len(s) == 0 || len(s) > 16 {
		return 0, errMapsSyntax
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, errMapsSyntax
		}
		v = v<<4 | uint64(d)
	}
	return v, nil
}

// ReadMaps reads and parses /proc/self/maps. The kernel produces the file
// in pieces, so another thread's mmap between two reads can make the text
// inconsistent; ReadMaps then reads it again (a few times at most).
func ReadMaps() ([]MapsEntry, error) {
	var lastErr error
	for try := 0; try < 4; try++ {
		data, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			return nil, err
		}
		es, err := ParseMaps(data)
		if err == nil {
			return es, nil
		}
		lastErr = err
	}
	return nil, lastErr
}
