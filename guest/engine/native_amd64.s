#include "textflag.h"

// func nativeCall(code, arg uintptr)
TEXT ·nativeCall(SB), NOSPLIT, $0-16
	MOVQ code+0(FP), AX
	MOVQ arg+8(FP), DI
	PUSHQ BP
	CALL AX
	POPQ BP
	RET
