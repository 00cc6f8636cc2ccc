// Package cpuid describes the CPU a guest sees: one coherent processor,
// built once per process from the host's own CPUID, that reports exactly
// the features the engine implements and the host has, and nothing else.
//
// The interpreter answers the CPUID instruction with [Model.CPUID], XGETBV
// with [Model.XCR0], and the loader takes AT_HWCAP, AT_HWCAP2 and
// AT_PLATFORM from [Model.HWCAP], [Model.HWCAP2] and [Model.Platform], so
// that every way a program can ask about the CPU gets the same answer.
// `minemu info --cpu` prints a model with [Model.Describe].
//
// # For the engine
//
// Build the model once per process, before the guest's first
// instruction, and share it between threads (it is read-only):
//
//	m, err := cpuid.NewHost(cpuid.Config{Level: level, Implemented: implemented, Mode64: mode64})
//
// where level is 0 for the default or what [ParseLevel] made of
// `--cpu`, and implemented is what the engine executes completely in that
// mode. Then CPUID is
//
//	eax, ebx, ecx, edx := m.CPUID(uint32(rax), uint32(rcx))
//
// with the upper halves of RAX, RBX, RCX and RDX cleared in 64-bit mode, as
// the instruction does. XGETBV with ECX=0 returns m.XCR0() in EDX:EAX and
// is an invalid opcode when m.XCR0() is 0; with ECX=1 it returns XCR0 &
// XINUSE (the components not in their initial state) when XGETBV1 is
// reported, and raises #GP otherwise, as it does for any other ECX. An instruction of a group m.Features() lacks is an
// invalid opcode, whatever the engine could do.
//
// # The model
//
// [New] reads the host through a [Host] (on this machine [HostCPU], which
// executes the real CPUID instruction; in tests, recorded CPUs) and keeps:
//
//   - the host's vendor string, and the leaf layout of its vendor ([Vendor]):
//     Intel (GenuineIntel and every vendor not known to follow AMD) or AMD
//     (AuthenticAMD, HygonGenuine);
//   - the host's signature (leaf 1 EAX: family, model, stepping), brand
//     string (leaves 0x80000002-4, unchanged but for a NUL forced into its
//     last byte), cache descriptions (Intel's leaves 2 and 4, less leaf
//     2's pointer to leaf 0x18, AMD's 0x80000005, 0x80000006 and
//     0x8000001D) and address sizes (0x80000008 EAX[15:0]);
//   - a topology of its own: one package of one core of one thread, APIC ID
//     0. Every leaf that describes the topology says so: leaf 1 (EBX[23:16]
//     = 1 logical processor, EBX[31:24] = APIC ID 0, HTT clear), leaf 0xB
//     where the host defines it (a thread level and a core level of one
//     processor each, x2APIC ID 0, further levels invalid), the sharing
//     fields of the cache leaves (each cache shared by one logical
//     processor; on Intel one core per package), and on AMD 0x80000008 ECX
//     (one thread), 0x8000001E (extended APIC ID 0, one thread per core,
//     one node) and CmpLegacy clear;
//   - the features: Config.Implemented ∩ the host's ∩ what the level
//     allows, closed under prerequisites (AVX2 needs AVX, which needs XSAVE
//     and SSE4.2; XSAVEOPT needs XSAVE; ...). The hypervisor bit is clear
//     and leaves 0x40000000 and up are not answered: minemu is not a
//     hypervisor and offers no paravirtual interface;
//   - XSAVE state: XCR0 is x87|SSE, plus AVX when AVX is reported (0x7, as
//     an OS that enables what the CPU reports would set it). Leaf 0xD
//     describes exactly those components in the standard layout: the
//     512-byte legacy region and the 64-byte header (576 bytes), AVX at
//     offset 576 for 256 bytes, 832 in all; subleaf 1 reports XSAVEOPT,
//     XSAVEC and XGETBV1 when implemented (with the compacted size, which
//     for these components equals the standard one) and no supervisor
//     state. Without XSAVE, leaf 0xD is zeros, OSXSAVE is clear and
//     XGETBV is an invalid opcode.
//
// The maxima are the host's, capped at what the model defines: leaf 0 EAX
// is min(host, 0xD); leaf 0x80000000 EAX is min(host, 0x80000008), or
// 0x8000001E on an AMD host with topology extensions. Within them, a leaf
// or subleaf the model does not fill answers zeros, which every vendor
// defines as "no such feature" or "no such cache". Beyond them the model
// behaves as the vendor's CPUs do: AMD returns zeros; Intel returns the
// answer of the highest basic leaf (the Intel SDM: "If a value entered for
// CPUID.EAX is higher than the maximum input value for basic or extended
// function for that processor then the data for the highest basic
// information leaf is returned"), for the subleaf in ECX.
//
// # Features and levels
//
// [Features] is a bitset with one constant per feature the package can
// report; its names are Linux's /proc/cpuinfo names. It covers the user
// instruction groups through AVX2 and a few user-visible properties (NX,
// 1 GiB pages, ERMS, FSRM). Features only a kernel uses (VME, PSE, PAE,
// MSR, APIC, MTRR, PGE, MCA, PAT, SEP, VMX/SVM, x2APIC, PCID, ...) have no
// constant, and neither have AVX-512 and the other groups minemu does not
// implement: they are never reported. Two features are derived rather
// than implemented: OSXSAVE follows XSAVE (minemu is the OS that enables
// XCR0), and AMD's MMXEXT follows MMX and SSE.
//
// A [Level] selects how much of the x86-64 psABI's micro-architecture
// levels the guest sees, as qemu's -cpu does: [Baseline] (x86-64: CMOV,
// CX8, FPU, FXSR, MMX, SSE, SSE2, SYSCALL, LM), [V2] (x86-64-v2: +CX16,
// LAHF-SAHF, POPCNT, SSE3, SSSE3, SSE4.1, SSE4.2) and [V3] (x86-64-v3:
// +AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT, MOVBE, XSAVE/OSXSAVE). A level
// withholds the features of the levels above it; features that belong to
// no level (AES, PCLMULQDQ, SHA, RDRAND, RDSEED, RDTSCP, RDPID, ADX,
// CLFLUSHOPT, PREFETCHW, ...) are reported at every level, since no -march
// level makes a compiler use them unasked. [Highest] picks the default:
// the highest level that is complete. A model of an incomplete level
// reports what it can and says what is missing ([Model.Missing]).
//
// Everything reported is masked to the host: a feature the host CPU lacks
// (or its OS has not enabled: XSAVE needs the host's OSXSAVE, AVX needs
// the host's XCR0 to hold SSE and AVX state) is never reported, whatever
// the engine implements. The differential tests run every reported
// instruction on the host, and a guest that moves to native execution
// (thunks, a future dynarec) must find the features it was promised.
//
// # 32-bit guests
//
// A 32-bit guest sees the same CPU less long mode (minemu refuses the far
// transfers that would enter it) and, on an Intel host, less SYSCALL
// (Intel CPUs clear that bit outside 64-bit mode). The implemented set for
// a 32-bit guest says whether SYSCALL works there on AMD. CMPXCHG16B has
// no 32-bit encoding; its bit is reported as hardware reports it, and a
// 32-bit guest is complete at a level without it. AT_PLATFORM is "i686",
// the kernel's name for compat processes.
//
// # Vendor differences
//
// Intel describes caches in leaf 4 (and the older descriptors of leaf 2)
// and the topology in leaves 0xB and 0x1F; AMD describes caches in
// 0x80000005, 0x80000006 and 0x8000001D and the topology in 0x80000008 ECX
// and 0x8000001E (recent AMD parts define leaf 0xB as well, and the model
// fills it wherever the host defines it). AMD repeats leaf 1's FPU, TSC,
// CX8, CMOV, MMX and FXSR bits in 0x80000001 EDX and the vendor string in
// 0x80000000; Intel leaves them zero. The model follows the host's vendor
// in all of these, because software picks its parsing by vendor: glibc
// sizes its string functions' thresholds from leaf 4 on Intel and from
// AMD's own cache leaves on AMD. Leaf 0x1F is not modelled (the maximum stops at 0xD); leaf
// 0xB says everything it would.
package cpuid
