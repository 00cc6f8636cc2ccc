//go:build !race

#include "textflag.h"

// func storeRelease(p *uint32)
// A plain store of 0: on x86-64 no earlier load or store is reordered
// after it (see heap_lock_unsafe_amd64.go).
TEXT ·storeRelease(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), AX
	MOVL $0, (AX)
	RET
