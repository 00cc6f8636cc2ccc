#include "textflag.h"

// func hostCall(code *byte, n uintptr, s *hostState)
// Loads ymm0-3, rax..r9, the status flags and MXCSR from s, calls code,
// and stores them back. Go's MXCSR is saved and restored around the call.
TEXT ·hostCall(SB), NOSPLIT, $24-24
	MOVQ s+16(FP), R12
	MOVQ code+0(FP), R13
	MOVQ n+8(FP), AX
	ADDQ R13, AX
	MOVQ AX, ·trapResume(SB)
	STMXCSR 0(SP)
	VMOVDQU 0(R12), Y0
	VMOVDQU 32(R12), Y1
	VMOVDQU 64(R12), Y2
	VMOVDQU 96(R12), Y3
	LDMXCSR 200(R12)
	MOVQ 192(R12), AX
	ANDQ $0x8d5, AX
	ORQ $0x202, AX
	MOVQ AX, 8(SP)
	MOVQ 128(R12), AX
	MOVQ 136(R12), CX
	MOVQ 144(R12), DX
	MOVQ 152(R12), BX
	MOVQ 160(R12), SI
	MOVQ 168(R12), DI
	MOVQ 176(R12), R8
	MOVQ 184(R12), R9
	PUSHQ 8(SP)
	POPFQ
	CALL R13
	PUSHFQ
	POPQ 8(SP)
	MOVQ AX, 128(R12)
	MOVQ CX, 136(R12)
	MOVQ DX, 144(R12)
	MOVQ BX, 152(R12)
	MOVQ SI, 160(R12)
	MOVQ DI, 168(R12)
	MOVQ R8, 176(R12)
	MOVQ R9, 184(R12)
	MOVQ 8(SP), AX
	MOVQ AX, 192(R12)
	STMXCSR 200(R12)
	LDMXCSR 0(SP)
	VMOVDQU Y0, 0(R12)
	VMOVDQU Y1, 32(R12)
	VMOVDQU Y2, 64(R12)
	VMOVDQU Y3, 96(R12)
	VZEROUPPER
	RET

// func trapHandlerAddr() uintptr
TEXT ·trapHandlerAddr(SB), NOSPLIT, $0-8
	LEAQ ·trapHandler(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func trapRestorerAddr() uintptr
TEXT ·trapRestorerAddr(SB), NOSPLIT, $0-8
	LEAQ ·trapRestorer(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// The SIGFPE handler: (DI sig, SI info, DX ucontext). The ucontext's
// mcontext starts at 40: gregs[REG_RIP=16] at 168, the fpregs pointer at
// 224; MXCSR is at 24 in the fxsave image.
TEXT ·trapHandler(SB), NOSPLIT|NOFRAME, $0
	MOVQ 224(DX), AX
	MOVL 24(AX), CX
	MOVL CX, ·trapMXCSR(SB)
	ORL $0x1f80, CX
	MOVL CX, 24(AX)
	MOVL $1, ·trapFlag(SB)
	MOVQ ·trapResume(SB), CX
	MOVQ CX, 168(DX)
	RET

TEXT ·trapRestorer(SB), NOSPLIT|NOFRAME, $0
	MOVQ $15, AX // rt_sigreturn
	SYSCALL
	INT $3

// func rtSigaction(sig uintptr, act, old *sigaction) uintptr
TEXT ·rtSigaction(SB), NOSPLIT, $0-32
	MOVQ sig+0(FP), DI
	MOVQ act+8(FP), SI
	MOVQ old+16(FP), DX
	MOVQ $8, R10
	MOVQ $13, AX // rt_sigaction
	SYSCALL
	MOVQ AX, ret+24(FP)
	RET
