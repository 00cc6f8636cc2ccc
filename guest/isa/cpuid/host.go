package cpuid

import "sync"

// Regs is one CPUID answer.
type Regs struct{ EAX, EBX, ECX, EDX uint32 }

func (r Regs) reg(i uint8) uint32 {
	switch i {
	case rEAX:
		return r.EAX
	case rEBX:
		return r.EBX
	case rECX:
		return r.ECX
	}
	return r.EDX
}

func (r *Regs) regp(i uint8) *uint32 {
	switch i {
	case rEAX:
		return &r.EAX
	case rEBX:
		return &r.EBX
	case rECX:
		return &r.ECX
	}
	return &r.EDX
}

// Host is the CPU a model is built from: the machine minemu runs on
// (HostCPU), or a recorded one in tests.
type Host struct {
	// Query answers CPUID for leaf and subleaf as the host CPU does.
	Query func(leaf, sub uint32) Regs
	// XCR0 is the host's XCR0 (XGETBV with ECX=0); 0 when the host OS
	// has not enabled XSAVE (CPUID.1:ECX.OSXSAVE clear).
	XCR0 uint64
}

// HostCPU returns the CPU minemu runs on, answering with the real CPUID
// instruction. The host's XCR0 is read once.
func HostCPU() Host { return hostOnce() }

var hostOnce = sync.OnceValue(func() Host {
	h := Host{Query: func(leaf, sub uint32) Regs {
		a, b, c, d := hostCPUID(leaf, sub)
		return Regs{a, b, c, d}
	}}
	if max := h.Query(0, 0).EAX; max >= 1 && h.Query(1, 0).ECX&(1<<27) != 0 {
		lo, hi := hostXGETBV0()
		h.XCR0 = uint64(hi)<<32 | uint64(lo)
	}
	return h
})

// Vendor is the family of CPUID layouts a vendor uses.
type Vendor int

const (
	// Intel: GenuineIntel and every vendor that follows Intel's leaf
	// definitions (Zhaoxin, VIA, and any vendor not known to be AMD's).
	// Cache and topology in leaves 2, 4 and 0xB; a leaf above the
	// maximum returns the highest basic leaf's data.
	Intel Vendor = iota
	// AMD: AuthenticAMD and HygonGenuine. Cache and topology in
	// 0x8000001D and 0x8000001E (and 0xB on recent parts); leaf
	// 0x80000001 EDX repeats leaf 1's x87, TSC, CX8, CMOV, MMX and FXSR
	// bits; a leaf above the maximum returns zeros.
	AMD
)

func (v Vendor) String() string {
	if v == AMD {
		return "AMD"
	}
	return "Intel"
}

// vendorString decodes leaf 0's EBX, EDX, ECX.
func vendorString(r Regs) string {
	var b [12]byte
	for i, w := range [3]uint32{r.EBX, r.EDX, r.ECX} {
		for j := range 4 {
			b[4*i+j] = byte(w >> (8 * j))
		}
	}
	return string(b[:])
}

func vendorOf(s string) Vendor {
	switch s {
	case "AuthenticAMD", "HygonGenuine":
		return AMD
	}
	return Intel
}

// XCR0 components.
const (
	XCR0X87 = 1 << 0 // x87 state
	XCR0SSE = 1 << 1 // XMM0-15 and MXCSR
	XCR0AVX = 1 << 2 // the upper halves of YMM0-15
)

// The standard (non-compacted) XSAVE layout: the 512-byte legacy region
// (the FXSAVE image), the 64-byte XSAVE header, then each component at its
// architectural offset; AVX's is 576 on every CPU that has it.
const (
	XSaveLegacySize = 512
	XSaveHeaderSize = 64
	XSaveAVXOffset  = XSaveLegacySize + XSaveHeaderSize
	XSaveAVXSize    = 256
)

// hostFeatures returns the features h has and its OS has enabled: XSAVE
// only with the host's OSXSAVE, AVX only with XCR0 holding SSE and AVX
// state.
func hostFeatures(h Host) Features {
	max := h.Query(0, 0).EAX
	var f Features
	if max >= 1 {
		f |= ofRegs(1, 0, h.Query(1, 0))
	}
	if max >= 7 {
		f |= ofRegs(7, 0, h.Query(7, 0))
	}
	if max >= 0xd {
		f |= ofRegs(0xd, 1, h.Query(0xd, 1))
	}
	if h.Query(0x80000000, 0).EAX >= 0x80000001 {
		e := ofRegs(0x80000001, 0, h.Query(0x80000001, 0))
		if vendorOf(vendorString(h.Query(0, 0))) != AMD {
			e &^= amdOnlyFeatures()
			// Intel CPUs clear SYSCALL when CPUID runs outside
			// 64-bit mode (as in dumps recorded by 32-bit tools);
			// every Intel 64 CPU has SYSCALL in 64-bit mode.
			if e.Has(LM) {
				e |= SYSCALL
			}
		}
		f |= e
	}
	if !f.Has(OSXSAVE) {
		f &^= XSAVE
	}
	if h.XCR0&(XCR0SSE|XCR0AVX) != XCR0SSE|XCR0AVX {
		f &^= AVX
	}
	return closeDeps(f)
}

func amdOnlyFeatures() Features {
	var f Features
	for i := range numFeatures {
		if featureBits[i].amdOnly {
			f |= 1 << i
		}
	}
	return f
}
