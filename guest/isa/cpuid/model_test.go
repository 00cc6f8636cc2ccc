package cpuid

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// interpToday is what the interpreter reported before the model (TSC, CX8,
// CMOV, POPCNT, CMPXCHG16B, LAHF, LZCNT, SYSCALL, LM): a partial set.
const interpToday = TSC | CX8 | CMOV | POPCNT | CX16 | LAHF | LZCNT | SYSCALL | LM

// implementedSets are the engine capabilities the tests model.
var implementedSets = map[string]Features{
	"all":      All,
	"today":    interpToday,
	"v2-exact": V2.Features(),
	"none":     0,
}

// forEachModel calls f with a model for every host, level, mode and
// implemented set.
func forEachModel(t *testing.T, f func(t *testing.T, h Host, m *Model)) {
	for hn, h := range hosts(t) {
		for in, impl := range implementedSets {
			for _, l := range []Level{Baseline, V2, V3} {
				for _, mode64 := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/%s/%d", hn, in, l, map[bool]int{false: 32, true: 64}[mode64])
					t.Run(name, func(t *testing.T) {
						m, err := New(h, Config{Level: l, Implemented: impl, Mode64: mode64})
						if err != nil {
							t.Fatal(err)
						}
						f(t, h, m)
					})
				}
			}
		}
	}
}

// featureLeaves are the registers that carry feature bits.
var featureLeaves = []struct {
	leaf, sub uint32
	reg       uint8
}{
	{1, 0, rECX}, {1, 0, rEDX}, {7, 0, rEBX}, {7, 0, rECX}, {7, 0, rEDX},
	{7, 1, rEAX}, {7, 1, rEBX}, {7, 1, rECX}, {7, 1, rEDX},
	{0xd, 1, rEAX}, {0x80000001, 0, rECX}, {0x80000001, 0, rEDX},
}

// TestFeatureBitsExact checks that the feature registers hold exactly the
// reported features' bits (plus, on AMD, leaf 1's x87/TSC/CX8/CMOV/MMX/FXSR
// repeated in 0x80000001 EDX, and TopologyExtensions): no hypervisor bit,
// no HTT, no AVX-512, nothing the package does not name.
func TestFeatureBitsExact(t *testing.T) {
	forEachModel(t, func(t *testing.T, h Host, m *Model) {
		for _, fl := range featureLeaves {
			r := m.Leaf(fl.leaf, fl.sub)
			var want Regs
			setBits(&want, fl.leaf, fl.sub, m.Features())
			if fl.leaf == 0x80000001 && m.Vendor() == AMD {
				var l1 Regs
				setBits(&l1, 1, 0, m.Features()&amdMirror)
				want.EDX |= l1.EDX
				if m.maxExt >= 0x8000001e {
					want.ECX |= topoExtBit
				}
			}
			if got, w := r.reg(fl.reg), want.reg(fl.reg); got != w {
				t.Fatalf("leaf %#x.%d reg %d = %#x, want %#x (features %v)", fl.leaf, fl.sub, fl.reg, got, w, m.Features())
			}
		}
		// Decoding the leaves gives back the feature set.
		var dec Features
		for _, fl := range featureLeaves {
			dec |= ofRegs(fl.leaf, fl.sub, m.Leaf(fl.leaf, fl.sub))
		}
		if dec != m.Features() {
			t.Fatalf("leaves decode to %v, model says %v", dec, m.Features())
		}
	})
}

// TestFeaturesWithinHostAndImplemented checks that nothing is reported
// that the host lacks or the engine does not implement, and that the
// level's own features above it are withheld.
func TestFeaturesWithinHostAndImplemented(t *testing.T) {
	forEachModel(t, func(t *testing.T, h Host, m *Model) {
		f := m.Features()
		if hf := hostFeatures(h); f&^hf != 0 {
			t.Fatalf("reported %v that the host lacks", f&^hf)
		}
		if extra := f &^ derived &^ m.implemented; extra != 0 {
			t.Fatalf("reported %v that is not implemented", extra)
		}
		if above := f & levelFeatures &^ m.Level().Features(); above != 0 {
			t.Fatalf("reported %v above %v", above, m.Level())
		}
		if closeDeps(f) != f {
			t.Fatalf("reported %v without their prerequisites", f&^closeDeps(f))
		}
		if f.Has(OSXSAVE) != f.Has(XSAVE) {
			t.Fatalf("OSXSAVE and XSAVE disagree: %v", f)
		}
		if !m.Mode64() && f.Has(LM) {
			t.Fatalf("a 32-bit guest sees long mode")
		}
		if !m.Mode64() && m.Vendor() == Intel && f.Has(SYSCALL) {
			t.Fatalf("Intel reports SYSCALL to 32-bit code")
		}
		// What is withheld and what is reported partition the host's
		// features (the derived ones aside).
		w := m.Withheld()
		parts := []Features{w.AboveLevel, w.NeedsPrereq, w.NotInMode, w.NotImpl, f}
		var union Features
		for i, p := range parts {
			if union&p != 0 {
				t.Fatalf("withheld part %d %v overlaps the others", i, p)
			}
			union |= p
		}
		if hf := hostFeatures(h) &^ derived; union&^derived != hf {
			t.Fatalf("reported ∪ withheld = %v, host has %v", union&^derived, hf)
		}
	})
}

// TestMaxLeaves checks the maxima, the vendor string and the answer to
// leaves beyond them.
func TestMaxLeaves(t *testing.T) {
	forEachModel(t, func(t *testing.T, h Host, m *Model) {
		r0, h0 := m.Leaf(0, 0), h.Query(0, 0)
		if r0.EAX != min(h0.EAX, 0xd) {
			t.Fatalf("max basic leaf %#x, host's %#x", r0.EAX, h0.EAX)
		}
		if r0.EBX != h0.EBX || r0.EDX != h0.EDX || r0.ECX != h0.ECX || vendorString(r0) != m.VendorString() {
			t.Fatalf("vendor %q, host's %q", vendorString(r0), vendorString(h0))
		}
		e0, he0 := m.Leaf(0x80000000, 0), h.Query(0x80000000, 0)
		if e0.EAX < 0x80000008 || e0.EAX > he0.EAX {
			t.Fatalf("max extended leaf %#x, host's %#x", e0.EAX, he0.EAX)
		}
		if m.Vendor() == AMD && vendorString(e0) != m.VendorString() {
			t.Fatalf("AMD's 0x80000000 vendor %q, want %q", vendorString(e0), m.VendorString())
		}
		highest := func(sub uint32) Regs {
			if m.Vendor() == AMD {
				return Regs{}
			}
			return m.Leaf(r0.EAX, sub)
		}
		for _, leaf := range []uint32{r0.EAX + 1, 0x14, 0x1f, 0x20, 0x40000000, 0x40000001, 0x7fffffff, e0.EAX + 1, 0x80000021, 0x8fffffff, 0xc0000000, 0xffffffff} {
			if leaf <= r0.EAX || leaf >= 0x80000000 && leaf <= e0.EAX {
				continue
			}
			for _, sub := range []uint32{0, 1, 2, 3, 0xffffffff} {
				if got, want := m.Leaf(leaf, sub), highest(sub); got != want {
					t.Fatalf("leaf %#x.%d = %+v, want %+v", leaf, sub, got, want)
				}
			}
		}
		// Every Leaves row is what Leaf answers, and non-zero.
		for _, l := range m.Leaves() {
			if l.Regs == (Regs{}) || m.Leaf(l.Leaf, l.Sub) != l.Regs {
				t.Fatalf("Leaves row %+v, Leaf answers %+v", l, m.Leaf(l.Leaf, l.Sub))
			}
		}
	})
}

// TestXSaveLeaf checks leaf 0xD against XCR0 and the standard layout.
func TestXSaveLeaf(t *testing.T) {
	forEachModel(t, func(t *testing.T, h Host, m *Model) {
		f, xcr0 := m.Features(), m.XCR0()
		if !f.Has(XSAVE) {
			for sub := uint32(0); sub < 64; sub++ {
				if r := m.Leaf(0xd, sub); r != (Regs{}) {
					t.Fatalf("no XSAVE, but leaf 0xd.%d = %+v", sub, r)
				}
			}
			if xcr0 != 0 || m.XSaveSize() != 0 || f.Has(AVX) {
				t.Fatalf("no XSAVE, but XCR0 %#x, size %d, features %v", xcr0, m.XSaveSize(), f)
			}
			return
		}
		want := uint64(XCR0X87 | XCR0SSE)
		if f.Has(AVX) {
			want |= XCR0AVX
		}
		if xcr0 != want {
			t.Fatalf("XCR0 %#x, want %#x", xcr0, want)
		}
		s0 := m.Leaf(0xd, 0)
		if uint64(s0.EDX)<<32|uint64(s0.EAX) != xcr0 {
			t.Fatalf("leaf 0xd.0 components %#x:%#x, XCR0 %#x", s0.EDX, s0.EAX, xcr0)
		}
		// The area ends where the last enabled component ends.
		size := uint32(XSaveLegacySize + XSaveHeaderSize)
		for i := uint32(2); i < 63; i++ {
			c := m.Leaf(0xd, i)
			if xcr0&(1<<i) == 0 {
				if c != (Regs{}) {
					t.Fatalf("component %d not in XCR0 but leaf 0xd.%d = %+v", i, i, c)
				}
				continue
			}
			if c.ECX&1 != 0 {
				t.Fatalf("component %d is a supervisor state", i)
			}
			size = max(size, c.EBX+c.EAX)
		}
		if s0.EBX != size || s0.ECX != size || m.XSaveSize() != size {
			t.Fatalf("leaf 0xd.0 sizes %d/%d, XSaveSize %d, components end at %d", s0.EBX, s0.ECX, m.XSaveSize(), size)
		}
		if want := map[bool]uint32{false: 576, true: 832}[f.Has(AVX)]; size != want {
			t.Fatalf("XSAVE area %d bytes, want %d", size, want)
		}
		if f.Has(AVX) {
			if c, hc := m.Leaf(0xd, 2), h.Query(0xd, 2); c.EAX != 256 || c.EBX != 576 || c != hc {
				t.Fatalf("AVX component %+v, host's %+v, want size 256 at 576", c, hc)
			}
		}
		s1 := m.Leaf(0xd, 1)
		if f.Has(XSAVEC) != (s1.EBX != 0) || f.Has(XSAVEC) && s1.EBX != size {
			t.Fatalf("leaf 0xd.1 EBX %d with XSAVEC %v, size %d", s1.EBX, f.Has(XSAVEC), size)
		}
		if s1.ECX != 0 || s1.EDX != 0 {
			t.Fatalf("leaf 0xd.1 reports supervisor states %#x:%#x", s1.EDX, s1.ECX)
		}
	})
}

// TestTopology checks that every leaf describing the topology describes
// the same one: one package, one core, one thread with APIC ID 0.
func TestTopology(t *testing.T) {
	forEachModel(t, func(t *testing.T, h Host, m *Model) {
		l1 := m.Leaf(1, 0)
		if apic, n, htt := l1.EBX>>24, l1.EBX>>16&0xff, l1.EDX>>28&1; apic != 0 || n != 1 || htt != 0 {
			t.Fatalf("leaf 1: APIC ID %d, %d logical processors, HTT %d", apic, n, htt)
		}
		if h.Query(0, 0).EAX >= 0xb && h.Query(0xb, 0).EBX != 0 {
			for sub, want := range []Regs{{0, 1, 0x100, 0}, {0, 1, 0x201, 0}, {0, 0, 2, 0}, {0, 0, 3, 0}} {
				if got := m.Leaf(0xb, uint32(sub)); got != want {
					t.Fatalf("leaf 0xb.%d = %+v, want %+v", sub, got, want)
				}
			}
			if got := m.Leaf(0xb, 0x1234); got != (Regs{ECX: 0x34}) {
				t.Fatalf("leaf 0xb.0x1234 = %+v", got)
			}
		}
		cacheLeaf := uint32(4)
		if m.Vendor() == AMD {
			cacheLeaf = 0x8000001d
			if m.Leaf(0x80000001, 0).ECX&(1<<1) != 0 {
				t.Fatalf("CmpLegacy set")
			}
			if e8 := m.Leaf(0x80000008, 0); e8.ECX != 0 {
				t.Fatalf("0x80000008 ECX %#x: more than one thread", e8.ECX)
			}
			hasTopo := m.Leaf(0x80000001, 0).ECX&topoExtBit != 0
			if hasTopo != (m.Leaf(0x80000000, 0).EAX >= 0x8000001e) {
				t.Fatalf("TopologyExtensions %v with max extended leaf %#x", hasTopo, m.Leaf(0x80000000, 0).EAX)
			}
			if !hasTopo {
				return
			}
			if e := m.Leaf(0x8000001e, 0); e != (Regs{}) {
				t.Fatalf("0x8000001e = %+v, want APIC ID 0, core 0 of one thread, node 0 of one", e)
			}
		}
		n := 0
		for sub := uint32(0); sub < 64; sub++ {
			r, hr := m.Leaf(cacheLeaf, sub), h.Query(cacheLeaf, sub)
			if hr.EAX&0x1f == 0 {
				if r != (Regs{}) {
					t.Fatalf("leaf %#x.%d = %+v past the host's last cache", cacheLeaf, sub, r)
				}
				break
			}
			n++
			mask := uint32(0xfff << 14)
			if cacheLeaf == 4 {
				mask |= 0x3f << 26
			}
			if r.EAX&mask != 0 || r.EAX != hr.EAX&^mask || r.EBX != hr.EBX || r.ECX != hr.ECX || r.EDX != hr.EDX {
				t.Fatalf("cache leaf %#x.%d = %+v, host's %+v", cacheLeaf, sub, r, hr)
			}
		}
		if n == 0 {
			t.Fatalf("no cache leaves")
		}
	})
}

// TestBrand checks the brand string is the host's, 48 bytes with a NUL
// at the end.
func TestBrand(t *testing.T) {
	forEachModel(t, func(t *testing.T, h Host, m *Model) {
		b := m.brandBytes()
		if len(b) != 48 || b[47] != 0 {
			t.Fatalf("brand %q: not 48 NUL-terminated bytes", b)
		}
		var hb []byte
		for i := uint32(2); i <= 4; i++ {
			r := h.Query(0x80000000+i, 0)
			for _, w := range [4]uint32{r.EAX, r.EBX, r.ECX, r.EDX} {
				hb = append(hb, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
			}
		}
		if string(b[:47]) != string(hb[:47]) {
			t.Fatalf("brand %q, host's %q", b, hb)
		}
		if m.Brand() == "" || strings.ContainsRune(m.Brand(), 0) {
			t.Fatalf("Brand() = %q", m.Brand())
		}
	})
}

// TestNativeAgrees compares the model on this machine with what the CPUID
// instruction and the kernel say: same vendor, signature, brand, caches
// and address sizes, and every reported feature among the flags the
// kernel lists in /proc/cpuinfo.
func TestNativeAgrees(t *testing.T) {
	m, err := NewHost(Config{Level: V3, Implemented: All, Mode64: true})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c, d := hostCPUID(0, 0)
	if got := m.Leaf(0, 0); got.EBX != b || got.ECX != c || got.EDX != d || a < got.EAX {
		t.Fatalf("leaf 0 = %+v, CPUID %#x %#x %#x %#x", got, a, b, c, d)
	}
	if a, _, _, _ := hostCPUID(1, 0); m.Leaf(1, 0).EAX != a {
		t.Fatalf("signature %#x, CPUID %#x", m.Leaf(1, 0).EAX, a)
	}
	for _, leaf := range []uint32{0x80000002, 0x80000003, 0x80000005, 0x80000006} {
		a, b, c, d := hostCPUID(leaf, 0)
		if got := m.Leaf(leaf, 0); got != (Regs{a, b, c, d}) {
			t.Fatalf("leaf %#x = %+v, CPUID %#x %#x %#x %#x", leaf, got, a, b, c, d)
		}
	}
	if a, _, _, _ := hostCPUID(0x80000008, 0); m.Leaf(0x80000008, 0).EAX != a&0xffff {
		t.Fatalf("address sizes %#x, CPUID %#x", m.Leaf(0x80000008, 0).EAX, a)
	}
	cacheLeaf := uint32(4)
	if m.Vendor() == AMD {
		cacheLeaf = 0x8000001d
	}
	for sub := uint32(0); sub < 8; sub++ {
		a, b, c, d := hostCPUID(cacheLeaf, sub)
		got := m.Leaf(cacheLeaf, sub)
		if got.EBX != b || got.ECX != c || got.EDX != d || got.EAX>>14 != 0 && cacheLeaf == 4 || got.EAX&0x3fff != a&0x3fff {
			t.Fatalf("cache leaf %#x.%d = %+v, CPUID %#x %#x %#x %#x", cacheLeaf, sub, got, a, b, c, d)
		}
	}
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	var flags map[string]bool
	var model string
	for line := range strings.Lines(string(cpuinfo)) {
		k, v, _ := strings.Cut(line, ":")
		switch strings.TrimSpace(k) {
		case "flags":
			if flags == nil {
				flags = map[string]bool{}
				for _, f := range strings.Fields(v) {
					flags[f] = true
				}
			}
		case "model name":
			if model == "" {
				model = strings.TrimSpace(v)
			}
		}
	}
	for _, name := range m.Features().Names() {
		if name != "osxsave" && !flags[name] { // Linux does not list osxsave
			t.Fatalf("reported %s, which /proc/cpuinfo does not list", name)
		}
	}
	if m.Brand() != model {
		t.Fatalf("brand %q, /proc/cpuinfo says %q", m.Brand(), model)
	}
	if fam, mod, step := m.Signature(); fmt.Sprint(fam, mod, step) != cpuinfoSig(cpuinfo) {
		t.Fatalf("signature %d %d %d, /proc/cpuinfo %s", fam, mod, step, cpuinfoSig(cpuinfo))
	}
}

// cpuinfoSig returns the first processor's "cpu family", "model" and
// "stepping" of /proc/cpuinfo, space-separated.
func cpuinfoSig(cpuinfo []byte) string {
	var v [3]string
	for line := range strings.Lines(string(cpuinfo)) {
		k, val, _ := strings.Cut(line, ":")
		for i, want := range []string{"cpu family", "model", "stepping"} {
			if strings.TrimSpace(k) == want && v[i] == "" {
				v[i] = strings.TrimSpace(val)
			}
		}
	}
	return strings.Join(v[:], " ")
}

// TestIntelLeaf2 checks leaf 2 keeps the host's descriptors but for 0xFE,
// which points at leaf 0x18, beyond the model's maximum.
func TestIntelLeaf2(t *testing.T) {
	hs := hosts(t)
	for _, c := range []struct {
		host string
		want Regs
	}{
		{"coffeelake", Regs{0x76036301, 0x00f0b5ff, 0x00000000, 0x00c30000}},
		{"alderlake", Regs{0x0000ff01, 0x000000f0, 0x00000000, 0x00000000}}, // host's 00FEFF01
		{"genoa", Regs{}}, // AMD: reserved
	} {
		m, _ := New(hs[c.host], Config{Implemented: All, Mode64: true})
		if got := m.Leaf(2, 0); got != c.want {
			t.Fatalf("%s: leaf 2 = %+v, want %+v", c.host, got, c.want)
		}
	}
	if got := dropDescriptor(Regs{0x7efe01fe, 0xfe, 0xfefe0000, 0x0100fe00}, 0xfe); got != (Regs{0x7e0001fe, 0, 0xfefe0000, 0x01000000}) {
		t.Fatalf("dropDescriptor = %+v", got)
	}
}
