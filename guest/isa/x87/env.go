package x87

// FSW and FCW bits.
const (
	IE = 1 << 0 // invalid operation
	DE = 1 << 1 // denormal operand
	ZE = 1 << 2 // zero divide
	OE = 1 << 3 // overflow
	UE = 1 << 4 // underflow
	PE = 1 << 5 // precision (inexact)
	SF = 1 << 6 // stack fault (FSW only)
	ES = 1 << 7 // exception summary (FSW only)
	C0 = 1 << 8
	C1 = 1 << 9
	C2 = 1 << 10
	C3 = 1 << 14
	B  = 1 << 15 // busy, a copy of ES

	// Exceptions is the set of exception flags (and FCW masks).
	Exceptions = IE | DE | ZE | OE | UE | PE
	// CC is the set of condition-code bits.
	CC = C0 | C1 | C2 | C3
)

// Precision control (FCW bits 8-9) and rounding control (FCW bits 10-11).
const (
	PC24 = 0 << 8
	PC53 = 2 << 8
	PC64 = 3 << 8

	RoundNearest = 0 << 10
	RoundDown    = 1 << 10
	RoundUp      = 2 << 10
	RoundZero    = 3 << 10

	// DefaultCW is the control word after fninit: all exceptions masked,
	// 64-bit precision, round to nearest.
	DefaultCW = 0x037f
)

// Env is the x87 control and status context the operations run in.
//
// CW is the control word; the operations read its exception masks (bits
// 0-5), precision control (PC, bits 8-9: 0 = 24 bits, 2 = 53, 3 = 64; 1 is
// reserved and reads as 64) and rounding control (RC, bits 10-11).
//
// SW is the status word without TOP (bits 11-13 are never touched). Every
// operation ORs the exception flags it raises into SW (they are sticky
// until the program clears them), sets ES and B when one of them is
// unmasked, and writes the condition codes it defines: C1 is the
// round-up indication after a rounded result (set when the magnitude was
// rounded up, clear otherwise), C0 C2 C3 come from compares, fxam and
// fprem. Condition codes an instruction leaves undefined are written as
// the host FPU writes them where that was determined, else left alone.
//
// Raised holds the exception flags raised by the most recent operation
// only. Aborted reports, from Raised and CW, whether that operation's
// result must be discarded (an unmasked pre-computation exception).
type Env struct {
	CW     uint16
	SW     uint16
	Raised uint16
	// abort is the set of exceptions that, unmasked, abandon the current
	// operation: IE, DE and ZE, less DE for loads, plus OE and UE for
	// stores to memory. Set by every operation.
	abort uint16
	// memDE is set by Operand32 and Operand64 for a denormal memory
	// operand and moved by the next operation into opDE, which the operand
	// checks read as "an operand is denormal".
	memDE, opDE bool
}

// begin starts an operation. Every operation writes C1; it is clear
// unless the operation sets it (round-up, quotient bit, sign).
func (e *Env) begin() {
	e.SW &^= C1
	e.Raised = 0
	e.abort = IE | DE | ZE
	e.opDE, e.memDE = e.memDE, false
}

// NewEnv returns an Env in the state fninit leaves.
func NewEnv() Env { return Env{CW: DefaultCW} }

// Aborted reports whether the last operation raised an unmasked invalid
// operation, denormal operand or zero divide exception. The hardware then
// leaves its destination and the stack unchanged (no store, no pop), and
// so must the caller. An unmasked overflow or underflow on a store to
// memory (ToFloat32, ToFloat64) also aborts it, and an unmasked denormal
// operand of a load (FromFloat32, FromFloat64) does not. Unmasked overflow and
// underflow on register results are not aborts: the result returned is
// then the one the hardware writes, with its exponent wrapped by 24576.
func (e *Env) Aborted() bool {
	return e.Raised&^e.CW&e.abort != 0
}

// raise records exception flags.
func (e *Env) raise(f uint16) {
	e.Raised |= f
	e.SW |= f
	if e.SW&^e.CW&Exceptions != 0 || e.SW&SF != 0 && e.SW&^e.CW&IE != 0 {
		e.SW |= ES | B
	}
}

func (e *Env) setC1(on bool) {
	if on {
		e.SW |= C1
	} else {
		e.SW &^= C1
	}
}

func (e *Env) setCC(cc uint16) { e.SW = e.SW&^(C0|C2|C3) | cc }

// StackFault records a stack overflow (push onto a full register) or
// underflow (read of an empty register): IE and SF, C1 = overflow. The
// masked response is the indefinite, which it returns; when IE is
// unmasked the caller leaves the registers unchanged (Aborted is true).
func (e *Env) StackFault(overflow bool) F80 {
	e.begin()
	e.raise(IE | SF)
	e.setC1(overflow)
	return Indefinite
}

func (e *Env) rc() uint16 { return e.CW >> 10 & 3 }

// precBits is the significand precision PC selects.
func (e *Env) precBits() int {
	switch e.CW >> 8 & 3 {
	case 0:
		return 24
	case 2:
		return 53
	}
	return 64
}

func (e *Env) masked(f uint16) bool { return e.CW&f != 0 }
