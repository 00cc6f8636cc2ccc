//go:build linux && amd64

#include "textflag.h"
#include "layout_amd64.h"

// Everything in this file that runs inside a signal handler (sigHandler<> and
// the <> helpers it calls) obeys the async-signal-safety rules of the package
// essay: no Go calls, no stack growth (NOSPLIT|NOFRAME, only a few bytes of
// the signal stack), no allocation, no locks; only raw system calls (gettid,
// arch_prctl, write), memory of the kernel's signal frame, this package's
// globals and registered context blocks, which are never unmapped.

#define SYS_write 1
#define SYS_arch_prctl 158
#define SYS_gettid 186
#define ARCH_GET_GS 0x1004

// ucontext_t and siginfo_t on linux/amd64.
#define UC_GREGS 40
#define UC_RIP 168
#define SI_CODE 8
#define SI_PID 16
#define SI_USER 0
#define SI_TKILL -6
#define SYS_SECCOMP 1

#define SIGURG 23
#define SIGSYS 31

// Signal sets, bit n-1 for signal n.
// Synchronous fault signals: SIGILL 4, SIGTRAP 5, SIGBUS 7, SIGFPE 8, SIGSEGV 11.
#define FAULT_MASK $0x4d8
// Signals the Go runtime sends to its own process: SIGQUIT 3 (the crash relay),
// SIGURG 23 (preemption), 33 (sigPerThreadSyscall).
#define GOSELF_MASK $0x100400004
// Signals always handed on to Go's handler: SIGURG, SIGPROF 27, 33.
#define ALWAYSFWD_MASK $0x104400000

// rdgsbase rax / wrgsbase rax.
#define RDGSBASE_AX BYTE $0xf3; BYTE $0x48; BYTE $0x0f; BYTE $0xae; BYTE $0xc8
#define WRGSBASE_AX BYTE $0xf3; BYTE $0x48; BYTE $0x0f; BYTE $0xae; BYTE $0xd8
// mov r8, gs:[0]
#define GS0_R8 BYTE $0x65; BYTE $0x4c; BYTE $0x8b; BYTE $0x04; BYTE $0x25; LONG $0

#define FAULTINFO(off) MOVQ off(SI), AX; MOVQ AX, (BLK_FAULTINFO+off)(R8)
#define FAULTREG(i) MOVQ (UC_GREGS+8*i)(DX), AX; MOVQ AX, (BLK_FAULTREGS+8*i)(R8)
#define ENTRYINFO(off) MOVQ off(SI), AX; MOVQ AX, (ENTRY_INFO+off)(R11)

// sigHandler<> is installed with rt_sigaction in front of Go's handler for
// every signal the package wraps. The kernel calls it with the C ABI:
// DI = signal, SI = *siginfo, DX = *ucontext, on the thread's alternate signal
// stack (SA_ONSTACK) with every signal blocked (Go's sa_mask, kept).
//
// Registers live across the whole handler:
//	DI, SI, DX  the kernel's arguments, intact when jumping to Go's handler
//	BX          1 << (signal-1)
//	R8          the thread's context block, or 0 when GS does not hold a
//	            block registered by this very thread
//	R12         gettid(), or 0 when not yet known
//	R13         si_code (sign-extended)
//	R10         1 when the signal is the Go runtime's own (see GOSELF_MASK)
// Stack: 32 bytes below the entry SP; SP is restored before RET (to the
// sa_restorer, which calls rt_sigreturn) and before the jump to Go's handler.
TEXT sigHandler<>(SB), NOSPLIT|NOFRAME, $0
	SUBQ $32, SP
	MOVLQZX DI, DI
	LEAQ ·sigSeen(SB), AX
	LOCK
	INCQ (AX)(DI*8)
	MOVL DI, CX
	DECL CX
	MOVL $1, BX
	SHLQ CX, BX
	XORL R8, R8
	XORL R12, R12
	MOVLQSX SI_CODE(SI), R13
	XORL R10, R10

	// Find the context block: GS base, validated.
	CMPL ·haveFSGSBASE(SB), $0
	JEQ gsslow
	RDGSBASE_AX
	JMP gsgot

gsslow:
	MOVQ DI, 8(SP)
	MOVQ SI, 16(SP)
	MOVQ $0, 0(SP)
	MOVL $ARCH_GET_GS, DI
	MOVQ SP, SI
	MOVL $SYS_arch_prctl, AX
	SYSCALL
	MOVQ 8(SP), DI
	MOVQ 16(SP), SI
	MOVQ 0(SP), AX

gsgot:
	TESTQ AX, AX
	JZ classify
	CMPQ BLK_SELF(AX), AX
	JNE classify
	MOVQ BLK_MAGIC_VALUE, CX
	CMPQ BLK_MAGIC(AX), CX
	JNE classify
	MOVQ AX, R9
	MOVL $SYS_gettid, AX
	SYSCALL
	MOVL AX, R12
	CMPL BLK_TID(R9), R12
	JNE classify
	MOVQ R9, R8

classify:
	TESTQ FAULT_MASK, BX
	JZ async
	CMPQ R13, $0
	JLE async

	// A synchronous fault (si_code > 0): record it for the thread, then
	// resume at the fault exit when the PC is in generated code, or hand it
	// to Go (whose panic-on-fault or crash takes over).
	TESTQ R8, R8
	JZ forward
	CALL recordFault<>(SB)
	MOVQ UC_RIP(DX), AX
	CALL findCode<>(SB)
	TESTQ CX, CX
	JZ forward
	MOVQ CX, UC_RIP(DX)
	LOCK
	INCQ ·stats+STAT_REDIRECT(SB)
	ADDQ $32, SP
	RET

async:
	// Go's own: a signal of GOSELF_MASK this process sent itself (kill or
	// tgkill, si_pid == our pid). The Linux layer delivers the guest's own
	// signals of those numbers with Inject, never through the kernel.
	MOVQ GOSELF_MASK, AX
	TESTQ AX, BX
	JZ notgoself
	CMPQ R13, $SI_USER
	JEQ selfpid
	CMPQ R13, $SI_TKILL
	JNE notgoself

selfpid:
	MOVL SI_PID(SI), AX
	CMPL AX, ·ourPid(SB)
	JNE notgoself
	MOVL $1, R10
	LOCK
	INCQ ·stats+STAT_GOOWNED(SB)

notgoself:
	// SIGURG while generated code runs: ask it to exit to the engine.
	CMPQ DI, $SIGURG
	JNE noturg
	TESTQ R8, R8
	JZ noturg
	MOVQ UC_RIP(DX), AX
	CALL findCode<>(SB)
	TESTQ CX, CX
	JZ noturg
	MOVL $1, BLK_EXITREQ(R8)

noturg:
	TESTQ R10, R10
	JNZ rewind
	MOVQ ·guestMask(SB), AX
	TESTQ AX, BX
	JZ rewind
	CALL recordAsync<>(SB)

rewind:
	// Interrupted between the pending-flag check of the safe system call and
	// its SYSCALL instruction (inclusive; the kernel also leaves the PC on
	// the instruction when it restarts an interrupted call): resume at the
	// check, which now sees the flag if this signal set it.
	MOVQ UC_RIP(DX), AX
	CMPQ AX, ·safeStart(SB)
	JCS norewind
	CMPQ AX, ·safeInsn(SB)
	JHI norewind
	MOVQ ·safeStart(SB), AX
	MOVQ AX, UC_RIP(DX)
	LOCK
	INCQ ·stats+STAT_REWIND(SB)
	TESTQ R8, R8
	JZ norewind
	INCL BLK_WINDOWHITS(R8)

norewind:
	TESTQ R10, R10
	JNZ forward
	MOVQ ALWAYSFWD_MASK, AX
	TESTQ AX, BX
	JNZ forward
	MOVQ ·guestMask(SB), AX
	TESTQ AX, BX
	JZ forward
	ADDQ $32, SP
	RET

forward:
	LOCK
	INCQ ·stats+STAT_FORWARDED(SB)
	ADDQ $32, SP
	LEAQ ·fwdHandler(SB), AX
	MOVQ (AX)(DI*8), AX
	CMPQ AX, $1
	JLS drop // SIG_DFL or SIG_IGN before Install: nothing to hand on to
	JMP AX

drop:
	RET

// recordFault<> copies the kernel's siginfo, the general registers of the
// interrupted context and the PC into the block in R8, then bumps the fault
// sequence number. Clobbers AX.
TEXT recordFault<>(SB), NOSPLIT|NOFRAME, $0
	FAULTINFO(0)
	FAULTINFO(8)
	FAULTINFO(16)
	FAULTINFO(24)
	FAULTINFO(32)
	FAULTINFO(40)
	FAULTINFO(48)
	FAULTINFO(56)
	FAULTINFO(64)
	FAULTINFO(72)
	FAULTINFO(80)
	FAULTINFO(88)
	FAULTINFO(96)
	FAULTINFO(104)
	FAULTINFO(112)
	FAULTINFO(120)
	FAULTREG(0)
	FAULTREG(1)
	FAULTREG(2)
	FAULTREG(3)
	FAULTREG(4)
	FAULTREG(5)
	FAULTREG(6)
	FAULTREG(7)
	FAULTREG(8)
	FAULTREG(9)
	FAULTREG(10)
	FAULTREG(11)
	FAULTREG(12)
	FAULTREG(13)
	FAULTREG(14)
	FAULTREG(15)
	FAULTREG(16)
	FAULTREG(17)
	FAULTREG(18)
	FAULTREG(19)
	FAULTREG(20)
	FAULTREG(21)
	FAULTREG(22)
	MOVQ UC_RIP(DX), AX
	MOVQ AX, BLK_FAULTPC(R8)
	INCQ BLK_FAULTSEQ(R8)
	RET

// findCode<> looks the PC in AX up in the registered generated-code ranges:
// CX = the range's fault exit, or 0. Clobbers R9, R11.
TEXT findCode<>(SB), NOSPLIT|NOFRAME, $0
	LEAQ ·codeRanges(SB), R9
	MOVQ $MAX_RANGES, R11

findloop:
	MOVQ 0(R9), CX
	CMPQ AX, CX
	JCS findnext
	MOVQ 8(R9), CX
	CMPQ AX, CX
	JCC findnext
	MOVQ 16(R9), CX
	RET

findnext:
	ADDQ $RANGE_SIZE, R9
	DECQ R11
	JNZ findloop
	XORL CX, CX
	RET

// recordAsync<> records an asynchronous guest signal: in the thread's own set
// when it is thread-directed and the thread is registered, else in the
// process set (and then wakes the router through the wake pipe). Sets the
// thread's pending flag when the thread is registered. Clobbers AX, CX, R9,
// R11, R14 and sets R12.
TEXT recordAsync<>(SB), NOSPLIT|NOFRAME, $0
	TESTL R12, R12
	JNZ havetid
	MOVL $SYS_gettid, AX
	SYSCALL
	MOVL AX, R12

havetid:
	LOCK
	INCQ ·stats+STAT_RECORDED(SB)
	TESTQ R8, R8
	JZ toproc
	CMPQ R13, $SI_TKILL
	JEQ tothread
	CMPQ R13, $SI_USER
	JNE notuser

	// SI_USER from our own pid is the kernel's send_sig to the current
	// thread (SIGPIPE, SIGXFSZ from a write; kill(getpid()) of the guest's
	// goes through Inject).
	MOVL SI_PID(SI), AX
	CMPL AX, ·ourPid(SB)
	JNE toproc
	JMP tothread

notuser:
	CMPQ DI, $SIGSYS
	JNE toproc
	CMPQ R13, $SYS_SECCOMP
	JNE toproc

tothread:
	LEAQ BLK_SET(R8), R9
	CALL enqueue<>(SB)
	MOVL $1, BLK_PENDING(R8)
	RET

toproc:
	LEAQ ·procSet(SB), R9
	CALL enqueue<>(SB)
	TESTQ R8, R8
	JZ wake
	MOVL $1, BLK_PENDING(R8)

wake:
	MOVL ·wakeFD(SB), AX
	CMPL AX, $0
	JLT wakedone
	SUBQ $32, SP
	MOVQ DI, 8(SP)
	MOVQ SI, 16(SP)
	MOVQ DX, 24(SP)
	MOVB DI, 0(SP)
	MOVLQSX AX, DI
	MOVQ SP, SI
	MOVL $1, DX
	MOVL $SYS_write, AX
	SYSCALL // EAGAIN when the pipe is full: the router is awake anyway
	MOVQ 8(SP), DI
	MOVQ 16(SP), SI
	MOVQ 24(SP), DX
	ADDQ $32, SP

wakedone:
	RET

// enqueue<> appends the siginfo at SI to the ring of signal DI in the set at
// R9 (a bounded multi-producer queue: each entry's sequence number says
// whether it is free for position pos (seq == pos) or holds the entry of
// position pos (seq == pos+1)). A standard signal (< 32) already pending is
// not queued again, as in the kernel; a real-time signal whose ring is full
// is counted in the set's dropped counter. Publishes the entry, then sets the
// signal's bit in the set's mask. Clobbers AX, CX, R11, R14.
TEXT enqueue<>(SB), NOSPLIT|NOFRAME, $0
	MOVQ DI, AX
	DECQ AX
	IMULQ $RING_SIZE, AX
	LEAQ SET_RINGS(R9)(AX*1), R14

enqretry:
	MOVQ RING_HEAD(R14), AX
	CMPQ DI, $32
	JCC enqslot
	CMPQ AX, RING_TAIL(R14)
	JEQ enqslot
	LOCK
	INCQ SET_COALESCED(R9)
	RET

enqslot:
	MOVQ AX, CX
	ANDQ $(RING_LEN-1), CX
	IMULQ $ENTRY_SIZE, CX
	LEAQ RING_ENTRIES(R14)(CX*1), R11
	MOVQ ENTRY_SEQ(R11), CX
	CMPQ CX, AX
	JEQ enqclaim
	SUBQ AX, CX
	JLT enqfull // the slot still holds an entry not yet taken
	JMP enqretry // another producer took position pos

enqclaim:
	LEAQ 1(AX), CX
	LOCK
	CMPXCHGQ CX, RING_HEAD(R14)
	JNE enqretry
	MOVL R12, ENTRY_TID(R11)
	ENTRYINFO(0)
	ENTRYINFO(8)
	ENTRYINFO(16)
	ENTRYINFO(24)
	ENTRYINFO(32)
	ENTRYINFO(40)
	ENTRYINFO(48)
	ENTRYINFO(56)
	ENTRYINFO(64)
	ENTRYINFO(72)
	ENTRYINFO(80)
	ENTRYINFO(88)
	ENTRYINFO(96)
	ENTRYINFO(104)
	ENTRYINFO(112)
	ENTRYINFO(120)
	MOVQ CX, ENTRY_SEQ(R11) // publish (x86 keeps stores in order)
	LOCK
	ORQ BX, SET_MASK(R9)
	RET

enqfull:
	LOCK
	INCQ SET_DROPPED(R9)
	RET

// func safeSyscall6(nr, a1, a2, a3, a4, a5, a6 uintptr, flag *uint32) (r1, errno uintptr)
//
// Loads the system call's registers, then continues in safeSyscallWindow,
// whose first instruction is the start of the window the handler rewinds to.
// R12 holds the flag pointer: SYSCALL clobbers only AX, CX and R11, and a
// restarted call comes back with AX = the call number again.
TEXT ·safeSyscall6(SB), NOSPLIT, $0-80
	MOVQ flag+56(FP), R12
	MOVQ a1+8(FP), DI
	MOVQ a2+16(FP), SI
	MOVQ a3+24(FP), DX
	MOVQ a4+32(FP), R10
	MOVQ a5+40(FP), R8
	MOVQ a6+48(FP), R9
	MOVQ nr+0(FP), AX
	JMP ·safeSyscallWindow(SB)

// func safeSyscallWindow(nr, a1, a2, a3, a4, a5, a6 uintptr, flag *uint32) (r1, errno uintptr)
//
// Entered only by the jump from safeSyscall6 (same frame, same arguments).
// [safeSyscallWindow, the SYSCALL instruction] is the window: Install decodes
// the two instructions before SYSCALL to find its address (safeInsn). With
// the pending flag set the call is not made and errno is ERESTARTSYS.
TEXT ·safeSyscallWindow(SB), NOSPLIT|NOFRAME, $0-80
	CMPL (R12), $0
	JNE interrupted
	SYSCALL
	CMPQ AX, $0xfffffffffffff001
	JCC failed
	MOVQ AX, r1+64(FP)
	MOVQ $0, errno+72(FP)
	RET

failed:
	NEGQ AX
	MOVQ AX, errno+72(FP)
	MOVQ $-1, r1+64(FP)
	RET

interrupted:
	MOVQ $-1, r1+64(FP)
	MOVQ $512, errno+72(FP)
	RET

// func handlerAddr() uintptr
TEXT ·handlerAddr(SB), NOSPLIT, $0-8
	MOVQ $sigHandler<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func windowAddr() uintptr
TEXT ·windowAddr(SB), NOSPLIT, $0-8
	MOVQ $·safeSyscallWindow(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func rdgsbase() uintptr
TEXT ·rdgsbase(SB), NOSPLIT, $0-8
	RDGSBASE_AX
	MOVQ AX, ret+0(FP)
	RET

// func wrgsbase(v uintptr)
TEXT ·wrgsbase(SB), NOSPLIT, $0-8
	MOVQ v+0(FP), AX
	WRGSBASE_AX
	RET

// func enterCode(blk, code, arg uintptr) uintptr
//
// The minimal model of a dynarec trampoline, used by the tests: saves BP and
// the stack pointer in the block (BLK_EXITSP), calls code with DI = arg, and
// returns its AX. faultExit<> comes back here after a redirected fault.
TEXT ·enterCode(SB), NOSPLIT, $0-32
	MOVQ blk+0(FP), R8
	MOVQ code+8(FP), AX
	MOVQ arg+16(FP), DI
	PUSHQ BP
	MOVQ SP, BLK_EXITSP(R8)
	CALL AX
	POPQ BP
	MOVQ AX, ret+24(FP)
	RET

// faultExit<> is where the handler resumes a fault in generated code: it
// finds the block through GS, unwinds to enterCode's frame and returns
// FaultExited (-2) from the call.
TEXT faultExit<>(SB), NOSPLIT|NOFRAME, $0
	GS0_R8
	MOVQ BLK_EXITSP(R8), SP
	SUBQ $8, SP
	CLD
	MOVQ $-2, AX
	RET

// func faultExitAddr() uintptr
TEXT ·faultExitAddr(SB), NOSPLIT, $0-8
	MOVQ $faultExit<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func asmLayout(out *[25]uintptr)
TEXT ·asmLayout(SB), NOSPLIT, $0-8
	MOVQ out+0(FP), AX
	MOVQ $BLK_SELF, 0(AX)
	MOVQ $BLK_MAGIC, 8(AX)
	MOVQ $BLK_TID, 16(AX)
	MOVQ $BLK_PENDING, 24(AX)
	MOVQ $BLK_EXITREQ, 32(AX)
	MOVQ $BLK_WINDOWHITS, 40(AX)
	MOVQ $BLK_EXITSP, 48(AX)
	MOVQ $BLK_FAULTSEQ, 56(AX)
	MOVQ $BLK_FAULTPC, 64(AX)
	MOVQ $BLK_FAULTINFO, 72(AX)
	MOVQ $BLK_FAULTREGS, 80(AX)
	MOVQ $BLK_SET, 88(AX)
	MOVQ $SET_MASK, 96(AX)
	MOVQ $SET_DROPPED, 104(AX)
	MOVQ $SET_COALESCED, 112(AX)
	MOVQ $SET_RINGS, 120(AX)
	MOVQ $RING_HEAD, 128(AX)
	MOVQ $RING_TAIL, 136(AX)
	MOVQ $RING_ENTRIES, 144(AX)
	MOVQ $RING_SIZE, 152(AX)
	MOVQ $ENTRY_SEQ, 160(AX)
	MOVQ $ENTRY_TID, 168(AX)
	MOVQ $ENTRY_INFO, 176(AX)
	MOVQ $ENTRY_SIZE, 184(AX)
	MOVQ BLK_MAGIC_VALUE, CX
	MOVQ CX, 192(AX)
	RET
