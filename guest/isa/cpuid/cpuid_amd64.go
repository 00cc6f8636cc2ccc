package cpuid

// hostCPUID executes the CPUID instruction with EAX=leaf and ECX=sub.
func hostCPUID(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// hostXGETBV0 executes XGETBV with ECX=0. It faults (#UD) unless the host
// OS has enabled XSAVE (CPUID.1:ECX.OSXSAVE).
func hostXGETBV0() (lo, hi uint32)
