#include "textflag.h"

// See hostfpu_amd64.go. DI holds the state pointer; the x87 instructions
// are written as bytes: fninit (DB E3), fldenv [rdi+88] (D9 67 58), fld tword
// [rdi+d] (DB 6F d), fnstsw [rdi+2] (DD 7F 02), fnclex (DB E2), fstp tword
// [rdi+d] (DB 7F d). The operation is the bytes between the loads and P.

#define PRE MOVQ s+0(FP), DI; BYTE $0xDB; BYTE $0xE3; BYTE $0xD9; BYTE $0x67; BYTE $0x58
#define LDA BYTE $0xDB; BYTE $0x6F; BYTE $0x08
#define LDB BYTE $0xDB; BYTE $0x6F; BYTE $0x18
#define POST BYTE $0xDD; BYTE $0x7F; BYTE $0x02; PUSHFQ; POPQ AX; MOVL AX, 4(DI); BYTE $0xDB; BYTE $0xE2
#define STR0 BYTE $0xDB; BYTE $0x7F; BYTE $0x28
#define STR1 BYTE $0xDB; BYTE $0x7F; BYTE $0x38
#define FIN BYTE $0xDB; BYTE $0xE3; RET

// func hostFadd(s *hostState)
TEXT ·hostFadd(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDE; BYTE $0xC1
	POST
	STR0
	FIN

// func hostFsub(s *hostState)
TEXT ·hostFsub(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDE; BYTE $0xE9
	POST
	STR0
	FIN

// func hostFmul(s *hostState)
TEXT ·hostFmul(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDE; BYTE $0xC9
	POST
	STR0
	FIN

// func hostFdiv(s *hostState)
TEXT ·hostFdiv(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDE; BYTE $0xF9
	POST
	STR0
	FIN

// func hostFpatan(s *hostState)
TEXT ·hostFpatan(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xF3
	POST
	STR0
	FIN

// func hostFyl2x(s *hostState)
TEXT ·hostFyl2x(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xF1
	POST
	STR0
	FIN

// func hostFyl2xp1(s *hostState)
TEXT ·hostFyl2xp1(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xF9
	POST
	STR0
	FIN

// func hostFsqrt(s *hostState)
TEXT ·hostFsqrt(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xFA
	POST
	STR0
	STR1
	FIN

// func hostFrndint(s *hostState)
TEXT ·hostFrndint(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xFC
	POST
	STR0
	STR1
	FIN

// func hostFsin(s *hostState)
TEXT ·hostFsin(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xFE
	POST
	STR0
	STR1
	FIN

// func hostFcos(s *hostState)
TEXT ·hostFcos(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xFF
	POST
	STR0
	STR1
	FIN

// func hostF2xm1(s *hostState)
TEXT ·hostF2xm1(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xF0
	POST
	STR0
	STR1
	FIN

// func hostFabs(s *hostState)
TEXT ·hostFabs(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xE1
	POST
	STR0
	STR1
	FIN

// func hostFchs(s *hostState)
TEXT ·hostFchs(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xE0
	POST
	STR0
	STR1
	FIN

// func hostFscale(s *hostState)
TEXT ·hostFscale(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xFD
	POST
	STR0
	STR1
	FIN

// func hostFprem(s *hostState)
TEXT ·hostFprem(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xF8
	POST
	STR0
	STR1
	FIN

// func hostFprem1(s *hostState)
TEXT ·hostFprem1(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xF5
	POST
	STR0
	STR1
	FIN

// func hostFsincos(s *hostState)
TEXT ·hostFsincos(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xFB
	POST
	STR0
	STR1
	FIN

// func hostFptan(s *hostState)
TEXT ·hostFptan(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xF2
	POST
	STR0
	STR1
	FIN

// func hostFxtract(s *hostState)
TEXT ·hostFxtract(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xF4
	POST
	STR0
	STR1
	FIN

// func hostFcom(s *hostState)
TEXT ·hostFcom(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD8; BYTE $0xD1
	POST
	FIN

// func hostFucom(s *hostState)
TEXT ·hostFucom(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDD; BYTE $0xE1
	POST
	FIN

// func hostFcomi(s *hostState)
TEXT ·hostFcomi(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDB; BYTE $0xF1
	POST
	FIN

// func hostFucomi(s *hostState)
TEXT ·hostFucomi(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDB; BYTE $0xE9
	POST
	FIN

// func hostFtst(s *hostState)
TEXT ·hostFtst(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xE4
	POST
	FIN

// func hostFxam(s *hostState)
TEXT ·hostFxam(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0xE5
	POST
	FIN

// func hostFxamEmpty(s *hostState)
TEXT ·hostFxamEmpty(SB), NOSPLIT, $0-8
	PRE
	LDB
	BYTE $0xDD; BYTE $0xC0
	BYTE $0xD9; BYTE $0xE5
	POST
	FIN

// func hostFstM32(s *hostState)
TEXT ·hostFstM32(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD9; BYTE $0x5F; BYTE $0x48
	POST
	STR0
	FIN

// func hostFstM64(s *hostState)
TEXT ·hostFstM64(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDD; BYTE $0x5F; BYTE $0x48
	POST
	STR0
	FIN

// func hostFistM16(s *hostState)
TEXT ·hostFistM16(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDF; BYTE $0x5F; BYTE $0x48
	POST
	STR0
	FIN

// func hostFistM32(s *hostState)
TEXT ·hostFistM32(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDB; BYTE $0x5F; BYTE $0x48
	POST
	STR0
	FIN

// func hostFistM64(s *hostState)
TEXT ·hostFistM64(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDF; BYTE $0x7F; BYTE $0x48
	POST
	STR0
	FIN

// func hostFisttpM16(s *hostState)
TEXT ·hostFisttpM16(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDF; BYTE $0x4F; BYTE $0x48
	POST
	STR0
	FIN

// func hostFisttpM32(s *hostState)
TEXT ·hostFisttpM32(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDB; BYTE $0x4F; BYTE $0x48
	POST
	STR0
	FIN

// func hostFisttpM64(s *hostState)
TEXT ·hostFisttpM64(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDD; BYTE $0x4F; BYTE $0x48
	POST
	STR0
	FIN

// func hostFbstp(s *hostState)
TEXT ·hostFbstp(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDF; BYTE $0x77; BYTE $0x48
	POST
	STR0
	FIN

// func hostFldM32(s *hostState)
TEXT ·hostFldM32(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xD9; BYTE $0x47; BYTE $0x48
	POST
	STR0
	STR1
	FIN

// func hostFldM64(s *hostState)
TEXT ·hostFldM64(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xDD; BYTE $0x47; BYTE $0x48
	POST
	STR0
	STR1
	FIN

// func hostFbld(s *hostState)
TEXT ·hostFbld(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xDF; BYTE $0x67; BYTE $0x48
	POST
	STR0
	STR1
	FIN

// func hostFildM16(s *hostState)
TEXT ·hostFildM16(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xDF; BYTE $0x47; BYTE $0x48
	POST
	STR0
	STR1
	FIN

// func hostFildM32(s *hostState)
TEXT ·hostFildM32(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xDB; BYTE $0x47; BYTE $0x48
	POST
	STR0
	STR1
	FIN

// func hostFildM64(s *hostState)
TEXT ·hostFildM64(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xDF; BYTE $0x6F; BYTE $0x48
	POST
	STR0
	STR1
	FIN
// func hostFcomp(s *hostState)
TEXT ·hostFcomp(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD8; BYTE $0xD9
	POST
	FIN

// func hostFcomip(s *hostState)
TEXT ·hostFcomip(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDF; BYTE $0xF1
	POST
	FIN

// func hostFldpi(s *hostState)
TEXT ·hostFldpi(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xD9; BYTE $0xEB
	POST
	STR0
	FIN

// func hostFldl2e(s *hostState)
TEXT ·hostFldl2e(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xD9; BYTE $0xEA
	POST
	STR0
	FIN

// func hostFldl2t(s *hostState)
TEXT ·hostFldl2t(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xD9; BYTE $0xE9
	POST
	STR0
	FIN

// func hostFldlg2(s *hostState)
TEXT ·hostFldlg2(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xD9; BYTE $0xEC
	POST
	STR0
	FIN

// func hostFldln2(s *hostState)
TEXT ·hostFldln2(SB), NOSPLIT, $0-8
	PRE
	LDA
	BYTE $0xD9; BYTE $0xED
	POST
	STR0
	FIN

// func hostFaddUnderflow(s *hostState): faddp with ST(1) empty.
TEXT ·hostFaddUnderflow(SB), NOSPLIT, $0-8
	PRE
	LDB
	BYTE $0xDE; BYTE $0xC1
	POST
	STR0
	FIN

// func hostFldOverflow(s *hostState): a ninth push.
TEXT ·hostFldOverflow(SB), NOSPLIT, $0-8
	PRE
	LDB
	LDB
	LDB
	LDB
	LDB
	LDB
	LDB
	LDB
	LDA
	POST
	STR0
	FIN

// func hostFaddM32(s *hostState): fadd dword [rdi+72] (ST(0) = b + m32).
TEXT ·hostFaddM32(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD8; BYTE $0x47; BYTE $0x48
	POST
	STR0
	STR1
	FIN

// func hostFaddM64(s *hostState): fadd qword [rdi+72].
TEXT ·hostFaddM64(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDC; BYTE $0x47; BYTE $0x48
	POST
	STR0
	STR1
	FIN

// func hostFcomM32(s *hostState): fcom dword [rdi+72].
TEXT ·hostFcomM32(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xD8; BYTE $0x57; BYTE $0x48
	POST
	FIN

// func hostFdivrM64(s *hostState): fdivr qword [rdi+72] (ST(0) = m64 / b).
TEXT ·hostFdivrM64(SB), NOSPLIT, $0-8
	PRE
	LDA
	LDB
	BYTE $0xDC; BYTE $0x7F; BYTE $0x48
	POST
	STR0
	STR1
	FIN
