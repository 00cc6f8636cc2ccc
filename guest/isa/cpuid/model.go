package cpuid

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// Config selects what a Model reports.
type Config struct {
	// Level is the x86-64 level to model; 0 means the highest level
	// that is complete (Highest), or Baseline when none is.
	Level Level
	// Implemented is every feature the engine executes completely, in
	// the guest's mode (SYSCALL only if SYSCALL works in that mode).
	// OSXSAVE and MMXEXT are derived and ignored here.
	Implemented Features
	// Mode64 is true for a 64-bit guest, false for a 32-bit one.
	Mode64 bool
}

// A Model is the CPU a guest sees: it answers CPUID, and gives XCR0 and the
// auxiliary-vector values of the same CPU. It is built once per process
// and read-only afterwards, so any number of threads may use it at once.
type Model struct {
	vendor     Vendor
	vendorName string // leaf 0's 12 characters
	level      Level  // the level asked for (or chosen by Highest)
	mode64     bool
	// features is what the leaves report: Implemented ∩ host ∩ what
	// level allows, with derived features added and prerequisites
	// closed (closeDeps).
	features    Features
	implemented Features // Config.Implemented without derived features
	host        Features // hostFeatures of the host the model was built from
	maxBasic    uint32   // leaf 0 EAX: ≤ 0xD, ≤ the host's
	maxExt      uint32   // leaf 0x80000000 EAX: ≤ the host's
	topology    bool     // leaf 0xB is defined (the host defines it): invalid subleaves answer ECX[7:0]
	xcr0        uint64   // XCR0X87|XCR0SSE, |XCR0AVX with AVX; 0 without XSAVE
	// leaves holds every non-zero answer within the maxima, keyed by
	// key(leaf, sub), sub 0 for the leaves that ignore ECX. A leaf or
	// subleaf within the maxima that is not here answers zeros.
	leaves map[uint64]Regs
}

func key(leaf, sub uint32) uint64 { return uint64(leaf)<<32 | uint64(sub) }

// indexed reports whether the answer for leaf depends on the subleaf in
// ECX (among the leaves a model defines).
func indexed(leaf uint32) bool {
	switch leaf {
	case 4, 7, 0xb, 0xd, 0x8000001d:
		return true
	}
	return false
}

// Leaf numbers the model fills.
const (
	extBase      = 0x80000000
	maxBasicLeaf = 0xd        // the highest basic leaf a model reports
	maxExtIntel  = 0x80000008 // the highest extended leaf on Intel
	maxExtAMD    = 0x8000001e // on AMD, with topology extensions
	topoExtBit   = 1 << 22    // 0x80000001 ECX: AMD's TopologyExtensions
	invTSCBit    = 1 << 8     // 0x80000007 EDX: invariant TSC
)

// amdMirror is the part of leaf 1 EDX that AMD repeats in 0x80000001 EDX,
// among the features the package names.
const amdMirror = FPU | TSC | CX8 | CMOV | MMX | FXSR

// NewHost builds the model of cfg on the CPU minemu runs on.
func NewHost(cfg Config) (*Model, error) { return New(HostCPU(), cfg) }

// New builds the model of cfg on host h.
func New(h Host, cfg Config) (*Model, error) {
	if cfg.Level == 0 {
		cfg.Level, _ = Highest(cfg.Implemented, h, cfg.Mode64)
	}
	if cfg.Level < Baseline || cfg.Level > MaxLevel {
		return nil, fmt.Errorf("cpuid: no CPU level %d", int(cfg.Level))
	}
	q := h.Query
	r0 := q(0, 0)
	m := &Model{
		vendorName:  vendorString(r0),
		level:       cfg.Level,
		mode64:      cfg.Mode64,
		implemented: cfg.Implemented &^ derived,
		host:        hostFeatures(h),
		leaves:      make(map[uint64]Regs),
	}
	m.vendor = vendorOf(m.vendorName)

	f := m.implemented & m.host & cfg.Level.allows()
	if !cfg.Mode64 {
		// A 32-bit guest cannot enter long mode (minemu refuses far
		// transfers to the 64-bit code selector), and Intel CPUs
		// report SYSCALL only to 64-bit code.
		f &^= LM
		if m.vendor == Intel {
			f &^= SYSCALL
		}
	}
	f |= m.host & derived
	m.features = closeDeps(f)

	m.maxBasic = min(r0.EAX, maxBasicLeaf)
	hostExt := q(extBase, 0).EAX
	if hostExt < extBase || hostExt > extBase+0xffff {
		hostExt = extBase // no extended leaves (or garbage)
	}
	hostE1 := Regs{}
	if hostExt >= extBase+1 {
		hostE1 = q(extBase+1, 0)
	}
	m.maxExt = min(hostExt, maxExtIntel)
	if m.vendor == AMD && hostE1.ECX&topoExtBit != 0 && hostExt >= maxExtAMD {
		m.maxExt = maxExtAMD
	}

	m.basicLeaves(h, r0)
	m.extLeaves(h, hostExt, hostE1)
	for k, r := range m.leaves {
		if r == (Regs{}) {
			delete(m.leaves, k)
		}
	}
	return m, nil
}

// basicLeaves fills leaves 0 to maxBasic.
func (m *Model) basicLeaves(h Host, r0 Regs) {
	q := h.Query
	m.put(0, 0, Regs{m.maxBasic, r0.EBX, r0.ECX, r0.EDX})
	if m.maxBasic < 1 {
		return
	}
	// Leaf 1: the host's signature, brand index and CLFLUSH line size;
	// one logical processor (EBX[23:16] = 1, HTT clear) with APIC ID 0.
	r1 := q(1, 0)
	l1 := Regs{EAX: r1.EAX, EBX: r1.EBX&0xffff | 1<<16}
	setBits(&l1, 1, 0, m.features)
	m.put(1, 0, l1)

	if m.vendor == Intel && m.maxBasic >= 2 {
		// The host's cache and TLB descriptors, less 0xFE ("TLB
		// parameters in leaf 0x18"): the model stops at leaf 0xD.
		m.put(2, 0, dropDescriptor(q(2, 0), 0xfe))
	}
	if m.vendor == Intel && m.maxBasic >= 4 {
		// Deterministic cache parameters: the host's caches, each
		// shared by one logical processor in a one-core package.
		m.caches(h, 4)
	}
	if m.maxBasic >= 7 {
		l7 := Regs{EAX: min(q(7, 0).EAX, 1)}
		setBits(&l7, 7, 0, m.features)
		m.put(7, 0, l7)
		// Subleaf 1 reports nothing the package names: zeros.
	}
	if m.maxBasic >= 0xb && q(0xb, 0).EBX&0xffff != 0 {
		// Extended topology: one thread (level 1, SMT) in one core
		// (level 2), no bits of the x2APIC ID for either, x2APIC ID 0.
		m.topology = true
		m.put(0xb, 0, Regs{0, 1, 1 << 8, 0})
		m.put(0xb, 1, Regs{0, 1, 2<<8 | 1, 0})
	}
	if m.maxBasic >= 0xd && m.features.Has(XSAVE) {
		m.xcr0 = XCR0X87 | XCR0SSE
		if m.features.Has(AVX) {
			m.xcr0 |= XCR0AVX
		}
		size := m.xsaveSize()
		m.put(0xd, 0, Regs{uint32(m.xcr0), size, size, uint32(m.xcr0 >> 32)})
		var s1 Regs
		setBits(&s1, 0xd, 1, m.features)
		if m.features.Has(XSAVEC) {
			// The compacted area of XCR0 (IA32_XSS is 0): the
			// components follow the header unaligned, so with AVX
			// it is as large as the standard one.
			s1.EBX = size
		}
		m.put(0xd, 1, s1)
		if m.xcr0&XCR0AVX != 0 {
			m.put(0xd, 2, Regs{XSaveAVXSize, XSaveAVXOffset, 0, 0})
		}
	}
}

// extLeaves fills leaves 0x80000000 to maxExt.
func (m *Model) extLeaves(h Host, hostExt uint32, hostE1 Regs) {
	q := h.Query
	e0 := Regs{EAX: m.maxExt}
	if hostExt >= extBase {
		r := q(extBase, 0)
		e0.EBX, e0.ECX, e0.EDX = r.EBX, r.ECX, r.EDX // AMD repeats the vendor; Intel has zeros
	}
	m.put(extBase, 0, e0)
	if m.maxExt < extBase+1 {
		return
	}
	e1 := Regs{EAX: hostE1.EAX, EBX: hostE1.EBX}
	setBits(&e1, extBase+1, 0, m.features)
	if m.vendor == AMD {
		var l1 Regs
		setBits(&l1, 1, 0, m.features&amdMirror)
		e1.EDX |= l1.EDX & hostE1.EDX
		if m.maxExt >= maxExtAMD {
			e1.ECX |= topoExtBit // leaves 0x8000001D and 0x8000001E are defined
		}
	}
	m.put(extBase+1, 0, e1)
	if m.maxExt >= extBase+4 {
		// The host's brand string, always NUL-terminated.
		for i := uint32(2); i <= 4; i++ {
			r := q(extBase+i, 0)
			if i == 4 {
				r.EDX &= 0x00ffffff
			}
			m.put(extBase+i, 0, r)
		}
	}
	for i := uint32(5); i <= 6 && m.maxExt >= extBase+i; i++ {
		m.put(extBase+i, 0, q(extBase+i, 0)) // L1, L2, L3 caches and TLBs
	}
	if m.maxExt >= extBase+7 && m.features.Has(TSC) {
		// Invariant TSC, the one bit of 0x80000007 a user program
		// can rely on (minemu's RDTSC counts at a constant rate).
		m.put(extBase+7, 0, Regs{EDX: q(extBase+7, 0).EDX & invTSCBit})
	}
	if m.maxExt >= extBase+8 {
		// Physical and linear address sizes. AMD's ECX (threads in
		// the package, APIC ID size) is 0: one thread, sized by the
		// legacy rule.
		m.put(extBase+8, 0, Regs{EAX: q(extBase+8, 0).EAX & 0xffff})
	}
	if m.maxExt >= maxExtAMD {
		// AMD's cache topology: the host's caches, one logical
		// processor sharing each. 0x8000001E (extended APIC ID 0,
		// core 0 with one thread, node 0 of one) is all zeros.
		m.caches(h, 0x8000001d)
	}
}

// dropDescriptor replaces descriptor d by the null descriptor in a leaf 2
// answer: every byte but AL (the iteration count) of each register whose
// bit 31 is clear (a set bit 31 marks a register without descriptors).
func dropDescriptor(r Regs, d byte) Regs {
	for i := uint8(rEAX); i <= rEDX; i++ {
		p := r.regp(i)
		if *p&(1<<31) != 0 {
			continue
		}
		for b := 0; b < 4; b++ {
			if i == rEAX && b == 0 {
				continue
			}
			if byte(*p>>(8*b)) == d {
				*p &^= 0xff << (8 * b)
			}
		}
	}
	return r
}

// caches copies the deterministic cache parameter leaf (Intel's 4, AMD's
// 0x8000001D) from the host up to its first null subleaf, with the
// sharing fields set to one logical processor (EAX[25:14] = 0) and, on
// Intel, one core per package (EAX[31:26] = 0).
func (m *Model) caches(h Host, leaf uint32) {
	for sub := uint32(0); sub < 64; sub++ {
		r := h.Query(leaf, sub)
		if r.EAX&0x1f == 0 {
			return
		}
		r.EAX &^= 0xfff << 14
		if leaf == 4 {
			r.EAX &^= 0x3f << 26
		}
		m.put(leaf, sub, r)
	}
}

func (m *Model) put(leaf, sub uint32, r Regs) { m.leaves[key(leaf, sub)] = r }

// xsaveSize is the size of the standard XSAVE area of XCR0.
func (m *Model) xsaveSize() uint32 {
	if m.xcr0&XCR0AVX != 0 {
		return XSaveAVXOffset + XSaveAVXSize
	}
	return XSaveLegacySize + XSaveHeaderSize
}

// Leaf answers CPUID with EAX=leaf and ECX=sub, for any values. A leaf
// above the maxima (leaf 0 EAX for the basic range, leaf 0x80000000 EAX
// for the extended one, and every leaf outside both ranges) answers as the
// vendor's CPUs do: zeros on AMD, the highest basic leaf's answer on Intel.
func (m *Model) Leaf(leaf, sub uint32) Regs {
	if leaf > m.maxBasic && (leaf < extBase || leaf > m.maxExt) {
		if m.vendor == AMD {
			return Regs{}
		}
		leaf = m.maxBasic
	}
	if !indexed(leaf) {
		sub = 0
	}
	if r, ok := m.leaves[key(leaf, sub)]; ok {
		return r
	}
	if leaf == 0xb && m.topology {
		return Regs{ECX: sub & 0xff} // an invalid level echoes its number
	}
	return Regs{}
}

// CPUID is Leaf with the registers as the instruction leaves them.
func (m *Model) CPUID(leaf, sub uint32) (eax, ebx, ecx, edx uint32) {
	r := m.Leaf(leaf, sub)
	return r.EAX, r.EBX, r.ECX, r.EDX
}

// LeafAnswer is one row of Leaves.
type LeafAnswer struct {
	Leaf, Sub uint32
	Regs
}

// Leaves returns every non-zero answer within the maxima, in leaf and
// subleaf order; every other leaf and subleaf within them answers zeros
// (but for leaf 0xB's invalid levels, which echo the level number in
// ECX[7:0]).
func (m *Model) Leaves() []LeafAnswer {
	var out []LeafAnswer
	for k, r := range m.leaves {
		out = append(out, LeafAnswer{uint32(k >> 32), uint32(k), r})
	}
	slices.SortFunc(out, func(a, b LeafAnswer) int {
		return cmp.Or(cmp.Compare(a.Leaf, b.Leaf), cmp.Compare(a.Sub, b.Sub))
	})
	return out
}

// Vendor is the layout family of the host's vendor.
func (m *Model) Vendor() Vendor { return m.vendor }

// VendorString is leaf 0's vendor identification, the host's.
func (m *Model) VendorString() string { return m.vendorName }

// Level is the level the model was built for.
func (m *Model) Level() Level { return m.level }

// Mode64 reports whether the model is for a 64-bit guest.
func (m *Model) Mode64() bool { return m.mode64 }

// Features is what the model reports.
func (m *Model) Features() Features { return m.features }

// Missing returns the features the level requires that the model does
// not report (not implemented, or absent on the host); none when the
// level is complete.
func (m *Model) Missing() Features { return m.level.required(m.mode64) &^ m.features }

// Signature returns the family, model and stepping of leaf 1 EAX, decoded
// by the vendor's rule: the extended family is added when the base family
// is 0xF, and the extended model is prepended when the base family is 0xF
// (and, on Intel, 6).
func (m *Model) Signature() (family, model, stepping uint32) {
	a := m.Leaf(1, 0).EAX
	base := a >> 8 & 0xf
	family, model, stepping = base, a>>4&0xf, a&0xf
	if base == 0xf {
		family += a >> 20 & 0xff
	}
	if base == 0xf || base == 6 && m.vendor == Intel {
		model |= a >> 16 & 0xf << 4
	}
	return family, model, stepping
}

// Brand is the processor brand string of leaves 0x80000002-4 (the host's),
// up to its NUL, with leading and trailing spaces removed as Linux does for
// /proc/cpuinfo.
func (m *Model) Brand() string {
	b, _, _ := bytes.Cut(m.brandBytes(), []byte{0})
	return string(bytes.Trim(b, " "))
}

// brandBytes returns the 48 bytes of leaves 0x80000002-4.
func (m *Model) brandBytes() []byte {
	b := make([]byte, 0, 48)
	for i := uint32(2); i <= 4; i++ {
		r := m.Leaf(extBase+i, 0)
		if m.maxExt < extBase+4 {
			r = Regs{}
		}
		for _, w := range [4]uint32{r.EAX, r.EBX, r.ECX, r.EDX} {
			b = append(b, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
		}
	}
	return b
}

// XCR0 is the value XGETBV with ECX=0 returns: x87 and SSE state, and AVX
// state when AVX is reported. It is 0 when XSAVE is not reported, and then
// XGETBV is an invalid opcode.
func (m *Model) XCR0() uint64 { return m.xcr0 }

// XSaveSize is the size of the standard-format XSAVE area for XCR0 (leaf
// 0xD EBX): 576 for x87 and SSE, 832 with AVX; 0 without XSAVE.
func (m *Model) XSaveSize() uint32 {
	if m.xcr0 == 0 {
		return 0
	}
	return m.xsaveSize()
}

// HWCAP is the AT_HWCAP value of the auxiliary vector: Linux puts leaf 1
// EDX there, for 32-bit and 64-bit processes alike.
func (m *Model) HWCAP() uint64 { return uint64(m.Leaf(1, 0).EDX) }

// HWCAP2 bits (Linux's asm/hwcap2.h).
const (
	HWCAP2RING3MWAIT = 1 << 0
	HWCAP2FSGSBASE   = 1 << 1
)

// HWCAP2 is the AT_HWCAP2 value: HWCAP2FSGSBASE when FSGSBASE is reported
// (the kernel sets it when it lets user code use those instructions);
// ring-3 MWAIT is never reported.
func (m *Model) HWCAP2() uint64 {
	if m.features.Has(FSGSBASE) {
		return HWCAP2FSGSBASE
	}
	return 0
}

// Platform is the AT_PLATFORM string: "x86_64" for a 64-bit process,
// "i686" for a 32-bit one (Linux's COMPAT_ELF_PLATFORM).
func (m *Model) Platform() string {
	if m.mode64 {
		return "x86_64"
	}
	return "i686"
}
