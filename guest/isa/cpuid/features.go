package cpuid

import (
	"math/bits"
	"strings"
)

// Features is a set of CPU features, one bit per named constant. It names
// only features a user-mode program can observe: instruction groups, the
// state XSAVE manages, and a few properties of the machine (NX, 1 GiB pages,
// fast string moves). System features that only a kernel can use (paging
// extensions, the APIC, MSRs, machine checks, virtualization) have no
// constant and are never reported.
type Features uint64

// The features, in the order Describe lists them (leaf 1 EDX, leaf 1 ECX,
// leaf 7, leaf 0xD subleaf 1, leaf 0x80000001).
const (
	FPU        Features = 1 << iota // x87 FPU on chip (leaf 1 EDX 0)
	TSC                             // RDTSC (leaf 1 EDX 4)
	CX8                             // CMPXCHG8B (leaf 1 EDX 8)
	CMOV                            // CMOVcc, FCMOVcc, FCOMI (leaf 1 EDX 15)
	CLFSH                           // CLFLUSH (leaf 1 EDX 19)
	MMX                             // MMX (leaf 1 EDX 23)
	FXSR                            // FXSAVE, FXRSTOR (leaf 1 EDX 24)
	SSE                             // SSE (leaf 1 EDX 25)
	SSE2                            // SSE2 (leaf 1 EDX 26)
	SSE3                            // SSE3 (leaf 1 ECX 0)
	PCLMULQDQ                       // PCLMULQDQ (leaf 1 ECX 1)
	SSSE3                           // SSSE3 (leaf 1 ECX 9)
	FMA                             // FMA3 (leaf 1 ECX 12)
	CX16                            // CMPXCHG16B (leaf 1 ECX 13)
	SSE41                           // SSE4.1 (leaf 1 ECX 19)
	SSE42                           // SSE4.2, CRC32 (leaf 1 ECX 20)
	MOVBE                           // MOVBE (leaf 1 ECX 22)
	POPCNT                          // POPCNT (leaf 1 ECX 23)
	AES                             // AES-NI (leaf 1 ECX 25)
	XSAVE                           // XSAVE, XRSTOR, XGETBV, XSETBV (leaf 1 ECX 26)
	OSXSAVE                         // XCR0 enabled by the OS (leaf 1 ECX 27); derived from XSAVE
	AVX                             // AVX (leaf 1 ECX 28)
	F16C                            // VCVTPH2PS, VCVTPS2PH (leaf 1 ECX 29)
	RDRAND                          // RDRAND (leaf 1 ECX 30)
	FSGSBASE                        // RDFSBASE and friends (leaf 7 EBX 0)
	BMI1                            // ANDN, BEXTR, BLSI, BLSMSK, BLSR, TZCNT (leaf 7 EBX 3)
	AVX2                            // AVX2 (leaf 7 EBX 5)
	BMI2                            // BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX (leaf 7 EBX 8)
	ERMS                            // enhanced REP MOVSB/STOSB (leaf 7 EBX 9)
	RDSEED                          // RDSEED (leaf 7 EBX 18)
	ADX                             // ADCX, ADOX (leaf 7 EBX 19)
	CLFLUSHOPT                      // CLFLUSHOPT (leaf 7 EBX 23)
	CLWB                            // CLWB (leaf 7 EBX 24)
	SHA                             // SHA extensions (leaf 7 EBX 29)
	RDPID                           // RDPID (leaf 7 ECX 22)
	FSRM                            // fast short REP MOVSB (leaf 7 EDX 4)
	XSAVEOPT                        // XSAVEOPT (leaf 0xD.1 EAX 0)
	XSAVEC                          // XSAVEC (leaf 0xD.1 EAX 1)
	XGETBV1                         // XGETBV with ECX=1 (leaf 0xD.1 EAX 2)
	LAHF                            // LAHF, SAHF in 64-bit mode (leaf 0x80000001 ECX 0)
	LZCNT                           // LZCNT (AMD's ABM) (leaf 0x80000001 ECX 5)
	PREFETCHW                       // PREFETCHW (leaf 0x80000001 ECX 8)
	SYSCALL                         // SYSCALL, SYSRET (leaf 0x80000001 EDX 11)
	NX                              // execute-disable pages (leaf 0x80000001 EDX 20)
	MMXEXT                          // AMD's MMX extensions (leaf 0x80000001 EDX 22); derived from MMX and SSE
	PAGE1GB                         // 1 GiB pages (leaf 0x80000001 EDX 26)
	RDTSCP                          // RDTSCP (leaf 0x80000001 EDX 27)
	LM                              // long mode (leaf 0x80000001 EDX 29)

	numFeatures = iota
)

// Registers of a CPUID answer, as indexes.
const (
	rEAX = iota
	rEBX
	rECX
	rEDX
)

// featureBit says where a feature lives in the CPUID leaves.
type featureBit struct {
	leaf, sub uint32
	reg       uint8 // rEAX..rEDX
	bit       uint8
	name      string // as Linux names it in /proc/cpuinfo
	amdOnly   bool   // the bit is defined by AMD only (reserved on Intel)
}

// featureBits is indexed by the feature's bit number.
var featureBits = [numFeatures]featureBit{
	{1, 0, rEDX, 0, "fpu", false},
	{1, 0, rEDX, 4, "tsc", false},
	{1, 0, rEDX, 8, "cx8", false},
	{1, 0, rEDX, 15, "cmov", false},
	{1, 0, rEDX, 19, "clflush", false},
	{1, 0, rEDX, 23, "mmx", false},
	{1, 0, rEDX, 24, "fxsr", false},
	{1, 0, rEDX, 25, "sse", false},
	{1, 0, rEDX, 26, "sse2", false},
	{1, 0, rECX, 0, "pni", false},
	{1, 0, rECX, 1, "pclmulqdq", false},
	{1, 0, rECX, 9, "ssse3", false},
	{1, 0, rECX, 12, "fma", false},
	{1, 0, rECX, 13, "cx16", false},
	{1, 0, rECX, 19, "sse4_1", false},
	{1, 0, rECX, 20, "sse4_2", false},
	{1, 0, rECX, 22, "movbe", false},
	{1, 0, rECX, 23, "popcnt", false},
	{1, 0, rECX, 25, "aes", false},
	{1, 0, rECX, 26, "xsave", false},
	{1, 0, rECX, 27, "osxsave", false},
	{1, 0, rECX, 28, "avx", false},
	{1, 0, rECX, 29, "f16c", false},
	{1, 0, rECX, 30, "rdrand", false},
	{7, 0, rEBX, 0, "fsgsbase", false},
	{7, 0, rEBX, 3, "bmi1", false},
	{7, 0, rEBX, 5, "avx2", false},
	{7, 0, rEBX, 8, "bmi2", false},
	{7, 0, rEBX, 9, "erms", false},
	{7, 0, rEBX, 18, "rdseed", false},
	{7, 0, rEBX, 19, "adx", false},
	{7, 0, rEBX, 23, "clflushopt", false},
	{7, 0, rEBX, 24, "clwb", false},
	{7, 0, rEBX, 29, "sha_ni", false},
	{7, 0, rECX, 22, "rdpid", false},
	{7, 0, rEDX, 4, "fsrm", false},
	{0xd, 1, rEAX, 0, "xsaveopt", false},
	{0xd, 1, rEAX, 1, "xsavec", false},
	{0xd, 1, rEAX, 2, "xgetbv1", false},
	{0x80000001, 0, rECX, 0, "lahf_lm", false},
	{0x80000001, 0, rECX, 5, "abm", false},
	{0x80000001, 0, rECX, 8, "3dnowprefetch", false},
	{0x80000001, 0, rEDX, 11, "syscall", false},
	{0x80000001, 0, rEDX, 20, "nx", false},
	{0x80000001, 0, rEDX, 22, "mmxext", true},
	{0x80000001, 0, rEDX, 26, "pdpe1gb", false},
	{0x80000001, 0, rEDX, 27, "rdtscp", false},
	{0x80000001, 0, rEDX, 29, "lm", false},
}

// All is every feature the package can name.
const All Features = 1<<numFeatures - 1

// derived are the features the model sets itself, whatever the
// implemented set says: OSXSAVE with XSAVE (the "operating system" that
// enables XCR0 is minemu, and it enables it whenever XSAVE is reported),
// MMXEXT with MMX and SSE (AMD's MMX extensions are the SSE instructions
// on MMX registers, plus SFENCE and PREFETCHh, which SSE includes).
const derived = OSXSAVE | MMXEXT

// requires lists each feature's prerequisites: a feature is reported only
// when all of its prerequisites are, as on every real CPU (and as Linux's
// cpuid-deps clears them).
var requires = map[Features]Features{
	SSE:        FXSR,
	SSE2:       SSE,
	SSE3:       SSE2,
	SSSE3:      SSE3,
	SSE41:      SSSE3,
	SSE42:      SSE41,
	PCLMULQDQ:  SSE2,
	AES:        SSE2,
	SHA:        SSE2,
	MMXEXT:     MMX | SSE,
	XSAVE:      FXSR,
	OSXSAVE:    XSAVE,
	XSAVEOPT:   XSAVE,
	XSAVEC:     XSAVE,
	XGETBV1:    XSAVE,
	AVX:        XSAVE | SSE42,
	AVX2:       AVX,
	FMA:        AVX,
	F16C:       AVX,
	RDTSCP:     TSC,
	CLFLUSHOPT: CLFSH,
}

// closeDeps removes from f every feature whose prerequisites are not all
// in f, repeatedly, until nothing changes.
func closeDeps(f Features) Features {
	for {
		g := f
		for feat, req := range requires {
			if g&feat != 0 && g&req != req {
				g &^= feat
			}
		}
		if g == f {
			return f
		}
		f = g
	}
}

// Has reports whether every feature of g is in f.
func (f Features) Has(g Features) bool { return f&g == g }

// Count is the number of features in f.
func (f Features) Count() int { return bits.OnesCount64(uint64(f)) }

// Names returns the Linux /proc/cpuinfo names of the features in f, in
// the order of the constants.
func (f Features) Names() []string {
	var names []string
	for i := range numFeatures {
		if f&(1<<i) != 0 {
			names = append(names, featureBits[i].name)
		}
	}
	return names
}

// String is Names joined by spaces, or "none".
func (f Features) String() string {
	if f == 0 {
		return "none"
	}
	return strings.Join(f.Names(), " ")
}

// FeatureByName returns the feature Linux names name in /proc/cpuinfo
// ("pni" is SSE3, "abm" is LZCNT, "sha_ni" is SHA).
func FeatureByName(name string) (Features, bool) {
	for i := range numFeatures {
		if featureBits[i].name == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// ofRegs returns the features whose bits are set in the given register of
// leaf.sub.
func ofRegs(leaf, sub uint32, r Regs) Features {
	var f Features
	for i := range numFeatures {
		fb := &featureBits[i]
		if fb.leaf == leaf && fb.sub == sub && r.reg(fb.reg)&(1<<fb.bit) != 0 {
			f |= 1 << i
		}
	}
	return f
}

// setBits sets in r the bits of the features of f that live in leaf.sub.
func setBits(r *Regs, leaf, sub uint32, f Features) {
	for i := range numFeatures {
		fb := &featureBits[i]
		if f&(1<<i) != 0 && fb.leaf == leaf && fb.sub == sub {
			*r.regp(fb.reg) |= 1 << fb.bit
		}
	}
}
