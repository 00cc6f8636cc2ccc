package vec

// X is a 128-bit XMM value: X[0] holds bits 0-63 (lanes 0.. of every
// width), X[1] bits 64-127. It is the same layout as the interpreter's
// [2]uint64 register file, so a register converts with a plain X(r).
type X [2]uint64

// Y is a 256-bit YMM value: Y[0], Y[1] are the low 128-bit lane (an X),
// Y[2], Y[3] the high one.
type Y [4]uint64

// YOf joins two 128-bit lanes.
func YOf(lo, hi X) Y { return Y{lo[0], lo[1], hi[0], hi[1]} }

// Lo is the low 128-bit lane of y.
func (y Y) Lo() X { return X{y[0], y[1]} }

// Hi is the high 128-bit lane of y.
func (y Y) Hi() X { return X{y[2], y[3]} }

// Lanes2 applies a lane-wise 128-bit operation to both halves of a and b,
// the way every AVX2 form that is "the SSE form in each 128-bit lane" works.
func Lanes2(f func(a, b X) X, a, b Y) Y { return YOf(f(a.Lo(), b.Lo()), f(a.Hi(), b.Hi())) }

// Lanes2I is Lanes2 for operations with an immediate.
func Lanes2I(f func(a, b X, imm uint8) X, a, b Y, imm uint8) Y {
	return YOf(f(a.Lo(), b.Lo(), imm), f(a.Hi(), b.Hi(), imm))
}

// Lanes1I is Lanes2 for one-source operations with an immediate.
func Lanes1I(f func(a X, imm uint8) X, a Y, imm uint8) Y { return YOf(f(a.Lo(), imm), f(a.Hi(), imm)) }

// Lanes2F is Lanes2 for floating-point operations: the flags of both
// halves are combined.
func Lanes2F(f func(a, b X, mx uint32) (X, uint32), a, b Y, mx uint32) (Y, uint32) {
	lo, f1 := f(a.Lo(), b.Lo(), mx)
	hi, f2 := f(a.Hi(), b.Hi(), mx)
	return YOf(lo, hi), mergeFlags(f1|f2, mx)
}

// B returns byte lane i (0-15).
func (x X) B(i int) uint8 { return uint8(x[i>>3&1] >> (uint(i&7) * 8)) }

// W returns word lane i (0-7).
func (x X) W(i int) uint16 { return uint16(x[i>>2&1] >> (uint(i&3) * 16)) }

// D returns dword lane i (0-3).
func (x X) D(i int) uint32 { return uint32(x[i>>1&1] >> (uint(i&1) * 32)) }

// SetB sets byte lane i.
func (x *X) SetB(i int, v uint8) {
	sh := uint(i&7) * 8
	x[i>>3&1] = x[i>>3&1]&^(0xff<<sh) | uint64(v)<<sh
}

// SetW sets word lane i.
func (x *X) SetW(i int, v uint16) {
	sh := uint(i&3) * 16
	x[i>>2&1] = x[i>>2&1]&^(0xffff<<sh) | uint64(v)<<sh
}

// SetD sets dword lane i.
func (x *X) SetD(i int, v uint32) {
	sh := uint(i&1) * 32
	x[i>>1&1] = x[i>>1&1]&^(0xffffffff<<sh) | uint64(v)<<sh
}

// B returns byte lane i (0-31) of y.
func (y Y) B(i int) uint8 { return uint8(y[i>>3&3] >> (uint(i&7) * 8)) }

// W returns word lane i (0-15) of y.
func (y Y) W(i int) uint16 { return uint16(y[i>>2&3] >> (uint(i&3) * 16)) }

// D returns dword lane i (0-7) of y.
func (y Y) D(i int) uint32 { return uint32(y[i>>1&3] >> (uint(i&1) * 32)) }

// SetB sets byte lane i of y.
func (y *Y) SetB(i int, v uint8) {
	sh := uint(i&7) * 8
	y[i>>3&3] = y[i>>3&3]&^(0xff<<sh) | uint64(v)<<sh
}

// SetW sets word lane i of y.
func (y *Y) SetW(i int, v uint16) {
	sh := uint(i&3) * 16
	y[i>>2&3] = y[i>>2&3]&^(0xffff<<sh) | uint64(v)<<sh
}

// SetD sets dword lane i of y.
func (y *Y) SetD(i int, v uint32) {
	sh := uint(i&1) * 32
	y[i>>1&3] = y[i>>1&3]&^(0xffffffff<<sh) | uint64(v)<<sh
}

// RFLAGS status-flag bits, as returned by the instructions that set flags.
const (
	CF = 1 << 0
	PF = 1 << 2
	AF = 1 << 4
	ZF = 1 << 6
	SF = 1 << 7
	OF = 1 << 11

	// StatusFlags are the six arithmetic flags.
	StatusFlags = CF | PF | AF | ZF | SF | OF
)

// MXCSR bits.
const (
	IE  = 1 << 0 // invalid operation
	DE  = 1 << 1 // denormal operand
	ZE  = 1 << 2 // divide by zero
	OE  = 1 << 3 // overflow
	UE  = 1 << 4 // underflow
	PE  = 1 << 5 // precision (inexact)
	DAZ = 1 << 6 // denormal inputs are zeros

	// ExceptionFlags are the six sticky flags; the masks are these shifted
	// left by MaskShift.
	ExceptionFlags = IE | DE | ZE | OE | UE | PE
	MaskShift      = 7
	Masks          = ExceptionFlags << MaskShift

	RCShift = 13      // rounding control, bits 13-14
	RCMask  = 3 << 13 //
	FTZ     = 1 << 15 // flush tiny results to zero (with UE masked)

	// MXCSRDefault is the power-up value: all exceptions masked, round to
	// nearest.
	MXCSRDefault = 0x1f80
)

// Rounding-control values (MXCSR.RC and the immediate of roundps).
const (
	RoundNearest = 0
	RoundDown    = 1
	RoundUp      = 2
	RoundZero    = 3
)

// Unmasked reports the exception flags in fl that are unmasked in mx:
// when it is not zero the instruction raises #XM (SIGFPE for the guest),
// the flags fl are still set in MXCSR and the destination is not written.
func Unmasked(fl, mx uint32) uint32 { return fl &^ (mx >> MaskShift) & ExceptionFlags }

const preFlags = IE | DE | ZE

// mergeFlags combines the flags of several elements of one instruction the
// way the hardware reports them: when an unmasked pre-computation
// exception (IE, DE, ZE) occurred in any element, only the
// pre-computation flags are reported.
func mergeFlags(fl, mx uint32) uint32 {
	if Unmasked(fl&preFlags, mx) != 0 {
		return fl & preFlags
	}
	return fl
}
