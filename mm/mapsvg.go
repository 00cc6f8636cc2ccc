package mm

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"math/bits"
	"sort"
)

// The address-space map: an audit report drawn as an SVG picture.
//
// An x86-64 address space is 128 TiB wide and mostly empty, so a picture to
// one scale shows nothing. WriteMapSVG draws it as a vertical strip, high
// addresses at the top, in clusters: mappings closer together than
// mapClusterGap form one cluster, drawn to a linear scale of its own, and
// every gap between clusters is cut out and replaced by a short break that
// names its size. A cluster's height grows with the logarithm of its span,
// so a 4 KiB page and a 4 GiB guest window are both legible. The 4 GiB line
// of a 32-bit guest is drawn where it falls: inside a cluster to scale, or
// across the break it falls in.

// mapClusterGap is the largest gap drawn to scale inside a cluster.
const mapClusterGap = 64 << 20

// Geometry of the picture, in SVG user units.
const (
	mapWidth     = 980
	mapBarX      = 150
	mapBarW      = 260
	mapLabelX    = mapBarX + mapBarW + 14
	mapTop       = 96
	mapBreakH    = 30
	mapMinSegH   = 1.5
	mapLabelMinH = 13
)

// mapColors are the fill colours of the classes.
var mapColors = [numClasses]string{
	"#000000", // invalid
	"#4e79a7", // guest
	"#59a14f", // host-heap
	"#f28e2b", // internal
	"#e15759", // go-runtime
	"#b07aa1", // image
	"#9c755f", // host-brk
	"#bab0ac", // kernel
	"#76b7b2", // library
}

// mapRun is a maximal run of adjacent segments of one class.
type mapRun struct {
	r     AddrRange
	class Class
	n     int    // segments merged
	path  string // the first segment's path
}

// mapCluster is a set of runs drawn to one linear scale.
type mapCluster struct {
	span AddrRange
	runs []mapRun
	y, h float64 // top and height in the picture
}

// clusterHeight is the height of a cluster spanning n bytes.
func clusterHeight(n uint64) float64 {
	pages := n >> PageShift
	if pages == 0 {
		pages = 1
	}
	return 26 + 15*float64(bits.Len64(pages)-1)
}

// mapClusters groups the report's segments (sorted by address) into runs
// and clusters.
func mapClusters(segs []AuditSegment) []mapCluster {
	sorted := append([]AuditSegment(nil), segs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Range.Start < sorted[j].Range.Start })
	var cs []mapCluster
	for _, s := range sorted {
		if s.Range.Start >= s.Range.End {
			continue
		}
		if n := len(cs); n > 0 && s.Range.Start >= cs[n-1].span.End &&
			uint64(s.Range.Start-cs[n-1].span.End) <= mapClusterGap {
			c := &cs[n-1]
			last := &c.runs[len(c.runs)-1]
			if last.class == s.Class && last.r.End == s.Range.Start {
				last.r.End = s.Range.End
				last.n++
			} else {
				c.runs = append(c.runs, mapRun{r: s.Range, class: s.Class, n: 1, path: s.Path})
			}
			c.span.End = max(c.span.End, s.Range.End)
			continue
		}
		cs = append(cs, mapCluster{span: s.Range, runs: []mapRun{{r: s.Range, class: s.Class, n: 1, path: s.Path}}})
	}
	return cs
}

// sizeString writes n bytes the way a person reads them.
func sizeString(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 || v >= 100 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %s", v, units[u])
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// WriteMapSVG draws rep (a whole classified address space, as Audit
// returns it) as an SVG picture: minemu's, the guest's and the Go runtime's
// mappings, the host-heap blocks and the 4 GiB line, with a legend. title
// heads the picture.
func WriteMapSVG(w io.Writer, rep AuditReport, title string) error {
	cs := mapClusters(rep.Segments)
	// Lay out from the top: the highest cluster first.
	y := float64(mapTop)
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i].h = clusterHeight(cs[i].span.Length())
		cs[i].y = y
		y += cs[i].h
		if i > 0 {
			y += mapBreakH
		}
	}
	// The body goes first into a buffer: the picture's height depends on
	// how many lines the legend takes.
	var body bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&body, format, a...) }
	p(`<text x="10" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	p(`<text x="10" y="40" fill="#555">mode %v · %d segments · high addresses at the top · clusters to scale, gaps cut</text>`+"\n",
		rep.Mode, len(rep.Segments))
	// Legend: the classes present, in class order.
	lx, ly := 10.0, 54.0
	for c := Class(1); c < numClasses; c++ {
		t, ok := rep.Classes[c]
		if !ok || t.Segments == 0 {
			continue
		}
		label := fmt.Sprintf("%v %s", c, sizeString(t.Bytes))
		if w := 16 + 7*float64(len(label)); lx+w > mapWidth-10 {
			lx, ly = 10, ly+18
		}
		p(`<rect x="%.0f" y="%.0f" width="12" height="12" fill="%s" stroke="#333" stroke-width="0.5"/>`, lx, ly, mapColors[c])
		p(`<text x="%.0f" y="%.0f">%s</text>`+"\n", lx+16, ly+10, html.EscapeString(label))
		lx += 16 + 7*float64(len(label)) + 14
	}
	if rep.Mode == Mode32 {
		if lx+70 > mapWidth-10 {
			lx, ly = 10, ly+18
		}
		p(`<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#d00" stroke-width="2" stroke-dasharray="6,3"/>`, lx, ly+6, lx+24, ly+6)
		p(`<text x="%.0f" y="%.0f" fill="#d00">4 GiB</text>`+"\n", lx+28, ly+10)
	}
	top := ly + 42
	line4g := func(y float64) {
		p(`<line x1="10" y1="%.1f" x2="%d" y2="%.1f" stroke="#d00" stroke-width="2" stroke-dasharray="6,3"/>`,
			y, mapWidth-10, y)
		p(`<text x="10" y="%.1f" fill="#d00">4 GiB</text>`+"\n", y-3)
	}
	for i := range cs {
		cs[i].y += top - mapTop
	}
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		scale := c.h / float64(c.span.Length())
		yOf := func(a Addr) float64 { return c.y + float64(c.span.End-a)*scale }
		p(`<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="#f4f4f4" stroke="#999" stroke-width="0.5"/>`+"\n",
			mapBarX, c.y, mapBarW, c.h)
		p(`<text x="%d" y="%.1f" text-anchor="end">%#x</text>`+"\n", mapBarX-6, c.y+9, uint64(c.span.End))
		p(`<text x="%d" y="%.1f" text-anchor="end">%#x</text>`+"\n", mapBarX-6, c.y+c.h-2, uint64(c.span.Start))
		lastLabel := math.Inf(-1)
		for j := len(c.runs) - 1; j >= 0; j-- {
			r := c.runs[j]
			top, bot := yOf(r.r.End), yOf(r.r.Start)
			h := max(bot-top, mapMinSegH)
			p(`<rect x="%d" y="%.2f" width="%d" height="%.2f" fill="%s"><title>%v %v %s (%d segments) %s</title></rect>`+"\n",
				mapBarX, top, mapBarW, h, mapColors[r.class], r.r, r.class, sizeString(r.r.Length()), r.n, html.EscapeString(r.path))
			if h >= mapLabelMinH || top-lastLabel >= mapLabelMinH {
				ly := top + min(h, mapLabelMinH) - 2
				if ly-lastLabel < mapLabelMinH-2 {
					continue
				}
				label := fmt.Sprintf("%v %s", r.class, sizeString(r.r.Length()))
				if r.path != "" {
					label += " " + r.path
				}
				if len(label) > 70 {
					label = label[:67] + "..."
				}
				p(`<text x="%d" y="%.1f">%s</text>`+"\n", mapLabelX, ly, html.EscapeString(label))
				lastLabel = ly
			}
		}
		if rep.Mode == Mode32 && c.span.Start < Limit32 && Limit32 < c.span.End {
			line4g(yOf(Limit32))
		}
		if i > 0 {
			prev := cs[i-1]
			gap := uint64(c.span.Start - prev.span.End)
			by := c.y + c.h
			mid := by + mapBreakH/2
			p(`<path d="M%d %.1f l10 -5 l10 10 l10 -10 l10 10 l10 -5" fill="none" stroke="#777"/>`, mapBarX+mapBarW/2-25, mid)
			p(`<text x="%d" y="%.1f" fill="#777">%s unmapped</text>`+"\n", mapLabelX, mid+1, sizeString(gap))
			if rep.Mode == Mode32 && prev.span.End <= Limit32 && Limit32 <= c.span.Start {
				line4g(mid + 9)
			}
		}
	}
	height := y + top - mapTop + 40
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="monospace" font-size="11">`+"\n",
		mapWidth, height, mapWidth, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	bw.Write(body.Bytes())
	bw.WriteString("</svg>\n")
	return bw.Flush()
}
