package loader

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/minemu/minemu/mm"
)

// hostMapping is one line of /proc/self/maps: a range already mapped in
// this process (minemu's own image, heap, runtime, or an earlier guest
// mapping) and the name the kernel shows for it.
type hostMapping struct {
	r     mm.AddrRange
	perms string // "r-xp" as the kernel prints it
	name  string
}

func (m hostMapping) String() string {
	if m.name == "" {
		return m.r.String() + " (anonymous)"
	}
	return m.r.String() + " " + m.name
}

// readMaps returns the process's current mappings.
func readMaps() ([]hostMapping, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []hostMapping
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m, ok := parseMapsLine(sc.Text())
		if ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// parseMapsLine parses "start-end perms offset dev inode  name".
func parseMapsLine(line string) (hostMapping, bool) {
	fields := strings.Fields(line)
	if len(fields) < 5 {
		return hostMapping{}, false
	}
	lo, hi, ok := strings.Cut(fields[0], "-")
	if !ok {
		return hostMapping{}, false
	}
	s, err1 := strconv.ParseUint(lo, 16, 64)
	e, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || e < s {
		return hostMapping{}, false
	}
	m := hostMapping{r: mm.AddrRange{Start: mm.Addr(s), End: mm.Addr(e)}, perms: fields[1]}
	if len(fields) >= 6 {
		m.name = strings.Join(fields[5:], " ")
	}
	return m, true
}

// overlapping returns the existing mappings that share a byte with r.
func overlapping(r mm.AddrRange) ([]hostMapping, error) {
	maps, err := readMaps()
	if err != nil {
		return nil, fmt.Errorf("reading /proc/self/maps: %w", err)
	}
	var out []hostMapping
	for _, m := range maps {
		if m.r.Overlaps(r) {
			out = append(out, m)
		}
	}
	return out, nil
}

// describe joins mappings for an error message.
func describe(ms []hostMapping) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, ", ")
}
