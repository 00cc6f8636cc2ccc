#include "textflag.h"

// func hostCPUID(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·hostCPUID(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func hostXGETBV0() (lo, hi uint32)
TEXT ·hostXGETBV0(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, lo+0(FP)
	MOVL DX, hi+4(FP)
	RET
