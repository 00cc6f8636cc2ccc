package guest

import "github.com/minemu/minemu/mm"

// Reg names a general-purpose register by its x86 encoding number.
type Reg uint8

const (
	RAX Reg = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

// CPU is the architectural state of one guest thread.
type CPU struct {
	// Regs holds the general registers in encoding order. In Mode32 the
	// upper 32 bits of every register are zero between instructions.
	Regs [16]uint64
	// RIP is the address of the next instruction (EIP in Mode32).
	RIP uint64
	// FSBase and GSBase are the segment bases used for TLS. In Mode32,
	// GSBase is set through set_thread_area and the GS selector.
	FSBase, GSBase uint64
	// Mode is the guest's bitness; it never changes after creation.
	Mode mm.Mode
}

// ABI says which system-call convention an instruction uses.
type ABI uint8

const (
	// ABIi386 is `int 0x80`: number in EAX, arguments in EBX, ECX, EDX,
	// ESI, EDI, EBP, result in EAX.
	ABIi386 ABI = iota + 1
	// ABIAMD64 is `syscall`: number in RAX, arguments in RDI, RSI, RDX,
	// R10, R8, R9, result in RAX; RCX and R11 are clobbered.
	ABIAMD64
)
