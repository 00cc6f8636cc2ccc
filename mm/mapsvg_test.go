package mm

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func seg(start, end uint64, c Class, path string) AuditSegment {
	return AuditSegment{Range: AddrRange{Start: Addr(start), End: Addr(end)}, Class: c, Perms: "rw-p", Path: path}
}

func TestMapClusters(t *testing.T) {
	segs := []AuditSegment{
		// Deliberately unsorted.
		seg(0xffffd000, 0xffffe000, ClassGuest, "[stack]"),
		seg(0x8048000, 0x8049000, ClassGuest, "/bin/x"),
		seg(0x8049000, 0x804b000, ClassGuest, "/bin/x"),
		seg(0x804b000, 0x804c000, ClassHostHeap, ""),
		seg(0x1000000000, 0x1400000000, ClassInternal, ""),
		seg(0xffff0000, 0xffffc000, ClassGuest, ""), // 4 KiB gap to the stack: same cluster
	}
	cs := mapClusters(segs)
	type want struct {
		span AddrRange
		runs int
	}
	wants := []want{
		{AddrRange{0x8048000, 0x804c000}, 2}, // two guest segments merged, then host heap
		{AddrRange{0xffff0000, 0xffffe000}, 2},
		{AddrRange{0x1000000000, 0x1400000000}, 1},
	}
	if len(cs) != len(wants) {
		t.Fatalf("got %d clusters, want %d: %+v", len(cs), len(wants), cs)
	}
	for i, w := range wants {
		if cs[i].span != w.span || len(cs[i].runs) != w.runs {
			t.Fatalf("cluster %d: got span %v with %d runs, want %v with %d", i, cs[i].span, len(cs[i].runs), w.span, w.runs)
		}
	}
	if r := cs[0].runs[0]; r.n != 2 || r.r != (AddrRange{0x8048000, 0x804b000}) {
		t.Fatalf("merged run: got %+v, want 2 segments over 0x8048000-0x804b000", r)
	}
}

// svgShapes parses an SVG document and returns its rect titles (the
// segment runs), the texts and the number of dashed red lines (4 GiB).
func svgShapes(t *testing.T, doc []byte) (titles, texts []string, redLines int) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var inTitle, inText bool
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			switch tk.Name.Local {
			case "title":
				inTitle = true
			case "text":
				inText = true
			case "line":
				for _, a := range tk.Attr {
					if a.Name.Local == "stroke" && a.Value == "#d00" {
						redLines++
					}
				}
			}
		case xml.EndElement:
			inTitle, inText = false, false
		case xml.CharData:
			if inTitle {
				titles = append(titles, string(tk))
			}
			if inText {
				texts = append(texts, string(tk))
			}
		}
	}
	return titles, texts, redLines
}

func TestWriteMapSVG(t *testing.T) {
	rep := AuditReport{Mode: Mode32, OK: true, Segments: []AuditSegment{
		seg(0x8048000, 0x8049000, ClassGuest, "/bin/<x>"),
		seg(0xf7ee0000, 0xf7fe0000, ClassHostHeap, ""),
		seg(0x1000000000, 0x1400000000, ClassInternal, ""),
		seg(0xc000000000, 0xc004000000, ClassGoRuntime, ""),
	}, Classes: map[Class]ClassTotal{
		ClassGuest: {4096, 1}, ClassHostHeap: {1 << 20, 1}, ClassInternal: {16 << 30, 1}, ClassGoRuntime: {64 << 20, 1},
	}}
	var b bytes.Buffer
	if err := WriteMapSVG(&b, rep, "a <test>"); err != nil {
		t.Fatal(err)
	}
	titles, texts, red := svgShapes(t, b.Bytes())
	if len(titles) != 4 {
		t.Fatalf("got %d segment rects, want 4: %q", len(titles), titles)
	}
	// High addresses first.
	for i, want := range []string{"go-runtime", "internal", "host-heap", "guest"} {
		if !strings.Contains(titles[i], want) {
			t.Fatalf("rect %d: got %q, want class %s", i, titles[i], want)
		}
	}
	// The 4 GiB line falls in the gap between the host heap and the
	// arena: drawn once there, once in the legend.
	if red != 2 {
		t.Fatalf("got %d red lines, want 2 (legend and the gap)", red)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"a <test>", "60.1 GiB unmapped", "guest 4 KiB /bin/<x>", "host-heap 1 MiB"} {
		if !strings.Contains(all, want) {
			t.Fatalf("texts lack %q:\n%s", want, all)
		}
	}
	rep.Mode = Mode64
	b.Reset()
	if err := WriteMapSVG(&b, rep, "64"); err != nil {
		t.Fatal(err)
	}
	if _, _, red := svgShapes(t, b.Bytes()); red != 0 {
		t.Fatalf("Mode64: got %d red lines, want none", red)
	}
}

// TestWriteMapSVGAudit draws this process's real address space with a
// guest mapping and checks every audited segment is in the picture.
func TestWriteMapSVGAudit(t *testing.T) {
	g, _ := newTestSpace(t, 64<<20)
	a, err := g.Mmap(0, 64<<10, gsRW, gsAnon, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Audit(AuditConfig{Mode: Mode32, Owners: []RangeOwner{g}, TolerateLowImage: true})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteMapSVG(&b, rep, "self"); err != nil {
		t.Fatal(err)
	}
	titles, _, _ := svgShapes(t, b.Bytes())
	found := false
	for _, ti := range titles {
		if strings.HasPrefix(ti, AddrRange{Start: a, End: a + 64<<10}.String()+" guest") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the guest mapping at %v is not drawn; rects: %q", a, titles)
	}
	segs := 0
	for _, c := range mapClusters(rep.Segments) {
		for _, r := range c.runs {
			segs += r.n
		}
	}
	if segs != len(rep.Segments) {
		t.Fatalf("runs hold %d segments, want all %d", segs, len(rep.Segments))
	}
}
