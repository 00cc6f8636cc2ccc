// Package cpu is the architectural state of one guest thread and the
// contracts between the code that runs guest instructions (the engines)
// and the code that stands in for the kernel and for host libraries.
//
// It knows nothing of how instructions are decoded or executed and nothing
// of Linux: it is the vocabulary the other guest packages share.
//
// # State
//
//   - CPU: the general registers in encoding order, RIP, the FS and GS
//     selectors and bases (TLS), the vector registers (YMM0–15, 256 bits
//     each; XMMn is the low half of YMMn) with MXCSR, the x87 registers as
//     exact 80-bit values (F80) with FCW, FSW, TOP and the tag bits, and
//     RFLAGS.
//   - The status flags (CF, PF, AF, ZF, SF, OF) are lazy (flags.go): an
//     arithmetic instruction records its operation, operand size, inputs and
//     result (SetLazy), and a reader derives only the flag it asks for
//     (Carry, Zero, Cond, ...); RFLAGS computes all of them.
//   - The save areas (xsave.go, fenv.go): the FXSAVE image, the XSAVE
//     area and the x87 environment and state images, stored and loaded
//     by pure functions over a buffer (FXSave, XSave, XRstor, FStEnv,
//     FLdEnv, ...) that the engines and the signal frames share.
//
// # Contracts (contracts.go)
//
//   - Exit: why a guest stopped (exit code or fatal signal) and the status
//     a shell sees.
//   - Kernel: runs a system call on a CPU (the Linux personality).
//   - Thunker: resolves and runs guest→host calls (package thunks).
//   - SegmentResolver, GuestWriteNotifier: optional Kernel extensions for
//     i386 TLS selectors and for writes the kernel makes to guest memory.
package cpu

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

// RFLAGS bits.
const (
	FlagCF uint64 = 1 << 0
	FlagR1 uint64 = 1 << 1 // reserved, always 1
	FlagPF uint64 = 1 << 2
	FlagAF uint64 = 1 << 4
	FlagZF uint64 = 1 << 6
	FlagSF uint64 = 1 << 7
	FlagTF uint64 = 1 << 8
	FlagIF uint64 = 1 << 9
	FlagDF uint64 = 1 << 10
	FlagOF uint64 = 1 << 11
	FlagRF uint64 = 1 << 16
	FlagAC uint64 = 1 << 18
	FlagID uint64 = 1 << 21

	// StatusFlags are the six arithmetic flags the lazy evaluator owns.
	StatusFlags = FlagCF | FlagPF | FlagAF | FlagZF | FlagSF | FlagOF
	// userFlags are the bits popf may change in user mode (TF is left
	// out: single-step traps are not emulated).
	userFlags = StatusFlags | FlagDF | FlagAC | FlagID
)

// VecLanes is the number of 64-bit lanes of a vector register (256 bits:
// YMM; the low two lanes are the XMM register).
const VecLanes = 4

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
	// FS and GS are the selectors last loaded into FS and GS (0 until the
	// guest loads one); their bases are FSBase and GSBase.
	FS, GS uint16

	// X holds the vector registers YMM0–15, lowest 64-bit lane first;
	// XMMn is X[n][0:2] (see XMM). Legacy SSE instructions leave lanes 2
	// and 3 alone, as the CPU does.
	X [16][VecLanes]uint64
	// MXCSR is the SSE control and status register (0x1f80 at start).
	MXCSR uint32
	// FCW and FSW are the x87 control and status words (0x37f and 0 at
	// start); FSW's TOP field lives in FTOP.
	FCW, FSW uint16
	// ST holds the x87 registers by physical number; st(i) is
	// ST[(FTOP+i)&7] (STi). FTAG has bit n set while ST[n] holds a value.
	// FTOP is always in 0..7.
	ST   [8]F80
	FTOP uint8
	FTAG uint8

	// flags holds RFLAGS except the status flags while lazy.op is not
	// LazyNone; when lazy.op is LazyNone the status flags are here too.
	// Always has FlagR1 and FlagIF set.
	flags uint64
	// lazy describes the last flag-setting operation whose status flags
	// have not been computed yet (see flags.go).
	lazy lazyFlags
}

// NewCPU returns a CPU in the state the kernel gives a new process:
// registers zero, IF set, DF clear.
func NewCPU(mode mm.Mode) *CPU {
	return &CPU{Mode: mode, flags: FlagR1 | FlagIF, MXCSR: 0x1f80, FCW: 0x37f}
}

// RFLAGS returns the architectural flags register (EFLAGS in Mode32).
func (c *CPU) RFLAGS() uint64 {
	c.materialize()
	return c.flags
}

// SetRFLAGS sets the flags a user-mode program may change (CF, PF, AF, ZF,
// SF, DF, OF, AC, ID); IF stays set and reserved bits keep their values.
func (c *CPU) SetRFLAGS(v uint64) {
	c.materialize()
	c.flags = c.flags&^userFlags | v&userFlags | FlagR1 | FlagIF
}

// DF reports the direction flag.
func (c *CPU) DF() bool { return c.flags&FlagDF != 0 }

// SetDF sets or clears the direction flag (cld, std).
func (c *CPU) SetDF(on bool) {
	if on {
		c.flags |= FlagDF
	} else {
		c.flags &^= FlagDF
	}
}

// XMM is register XMMn (n taken modulo 16): the low 128 bits of YMMn.
func (c *CPU) XMM(n uint8) *[2]uint64 { return (*[2]uint64)(c.X[n&15][:2]) }

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
