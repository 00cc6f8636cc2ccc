package loader

import (
	"fmt"
	"strings"

	"github.com/minemu/minemu/mm"
)

// overlapping returns the mappings of this process (minemu's own image,
// heap, runtime, or an earlier guest mapping, as /proc/self/maps shows
// them) that share a byte with r.
func overlapping(r mm.AddrRange) ([]mm.MapsEntry, error) {
	maps, err := mm.ReadMaps()
	if err != nil {
		return nil, fmt.Errorf("reading /proc/self/maps: %w", err)
	}
	var out []mm.MapsEntry
	for _, m := range maps {
		if m.Range.Overlaps(r) {
			out = append(out, m)
		}
	}
	return out, nil
}

// describe joins mappings for an error message: each range with the name
// the kernel shows for it.
func describe(ms []mm.MapsEntry) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		name := m.Path
		if name == "" {
			name = "(anonymous)"
		}
		parts[i] = m.Range.String() + " " + name
	}
	return strings.Join(parts, ", ")
}
