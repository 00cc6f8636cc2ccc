package cpuid

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Withheld sorts the host's features that a model does not report by the
// reason it does not.
type Withheld struct {
	AboveLevel  Features // implemented, but belong to a higher level
	NeedsPrereq Features // implemented and allowed, but a prerequisite is not reported
	NotInMode   Features // not available to a 32-bit guest (LM; SYSCALL on Intel)
	NotImpl     Features // not implemented by the engine
	HostLacks   Features // implemented, but the host CPU (or its OS) lacks them
}

// Withheld returns the features the model does not report, by reason.
func (m *Model) Withheld() Withheld {
	var w Withheld
	off := m.host &^ m.features
	w.HostLacks = m.implemented &^ m.host
	off &^= derived
	w.NotImpl = off &^ m.implemented
	off &= m.implemented
	w.AboveLevel = off &^ m.level.allows()
	off &= m.level.allows()
	if !m.mode64 {
		w.NotInMode = off & (LM | SYSCALL)
		off &^= w.NotInMode
	}
	w.NeedsPrereq = off
	return w
}

// Describe prints what `minemu info --cpu` shows: the vendor, signature,
// brand, level, the features reported and withheld, the topology, XCR0 and
// the XSAVE area, the auxiliary-vector values and every non-zero leaf.
func (m *Model) Describe(w io.Writer) {
	mode := "64-bit guest (x86-64)"
	if !m.mode64 {
		mode = "32-bit guest (i386)"
	}
	fmt.Fprintf(w, "CPU model:    %s, %s\n", m.level, mode)
	fmt.Fprintf(w, "Vendor:       %s (%s leaf layout; the host's)\n", printable(m.vendorName), m.vendor)
	fam, mod, step := m.Signature()
	fmt.Fprintf(w, "Signature:    family %#x, model %#x, stepping %d (leaf 1 EAX 0x%08x; the host's)\n", fam, mod, step, m.Leaf(1, 0).EAX)
	fmt.Fprintf(w, "Brand:        %s\n", printable(m.Brand()))
	if miss := m.Missing(); miss == 0 {
		fmt.Fprintf(w, "Level:        %s, complete\n", m.level)
	} else {
		fmt.Fprintf(w, "Level:        %s, incomplete: %s not reported\n", m.level, miss)
	}
	fmt.Fprintf(w, "Features:     %s (%d)\n", m.features, m.features.Count())
	wh := m.Withheld()
	for _, r := range []struct {
		f   Features
		why string
	}{
		{wh.AboveLevel, "above " + m.level.String()},
		{wh.NeedsPrereq, "a prerequisite is not reported"},
		{wh.NotInMode, "not for a 32-bit guest"},
		{wh.NotImpl, "not implemented"},
	} {
		if r.f != 0 {
			fmt.Fprintf(w, "Withheld:     %s (%s)\n", r.f, r.why)
		}
	}
	if wh.HostLacks != 0 {
		fmt.Fprintf(w, "Host lacks:   %s (implemented, not reported)\n", wh.HostLacks)
	}
	fmt.Fprintf(w, "Topology:     1 package, 1 core, 1 thread, APIC ID 0 (the host's caches, each shared by that thread)\n")
	if m.xcr0 == 0 {
		fmt.Fprintf(w, "XCR0:         none (XSAVE not reported; XGETBV is an invalid opcode)\n")
	} else {
		var comps []string
		for _, c := range []struct {
			bit  uint64
			name string
		}{{XCR0X87, "x87"}, {XCR0SSE, "sse"}, {XCR0AVX, "avx"}} {
			if m.xcr0&c.bit != 0 {
				comps = append(comps, c.name)
			}
		}
		fmt.Fprintf(w, "XCR0:         %#x (%s); XSAVE area %d bytes\n", m.xcr0, strings.Join(comps, " "), m.XSaveSize())
	}
	fmt.Fprintf(w, "Auxv:         AT_HWCAP %#x, AT_HWCAP2 %#x, AT_PLATFORM %s\n", m.HWCAP(), m.HWCAP2(), m.Platform())
	beyond := "zeros, as on AMD CPUs"
	if m.vendor == Intel {
		beyond = fmt.Sprintf("leaf %#x's answer, as on Intel CPUs", m.maxBasic)
	}
	fmt.Fprintf(w, "Leaves:       up to %#x and %#x; every leaf and subleaf not listed answers zeros, leaves above the maxima %s\n", m.maxBasic, m.maxExt, beyond)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  LEAF\tSUB\tEAX\tEBX\tECX\tEDX")
	for _, l := range m.Leaves() {
		fmt.Fprintf(tw, "  %08x\t%d\t%08x\t%08x\t%08x\t%08x\n", l.Leaf, l.Sub, l.EAX, l.EBX, l.ECX, l.EDX)
	}
	tw.Flush()
}

// printable replaces the bytes of s outside printable ASCII by '?' (a
// vendor or brand string is the host's, not trusted to be text).
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
