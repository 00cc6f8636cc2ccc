package x87

// The host FPU, for the tests only. Each host* function runs one x87
// instruction on the machine's own FPU: it initialises the FPU (fninit),
// loads the 28-byte environment at s[88:116] (control word, status word
// with the condition codes the test starts from, tag word all empty),
// pushes the 80-bit values at s[8:18]
// (a, which becomes ST(1)) and s[24:34] (b, ST(0)), runs the instruction,
// stores FSW at s[2:4] and the low 32 bits of RFLAGS at s[4:8], clears the
// exception flags (fnclex, so that the stores that follow cannot trap),
// and stores what is left on the stack with fstp: ST(0) at s[40:50] and
// ST(1) at s[56:66]. Memory operands are at s[72:88]. The engine never
// calls these functions; the linker drops them from every binary but the
// tests'.

type hostState [128]byte

const (
	hsCW    = 0
	hsSW    = 2
	hsFlags = 4
	hsA     = 8
	hsB     = 24
	hsR0    = 40
	hsR1    = 56
	hsMem   = 72
	hsEnv   = 88
)

// Binary operations leave one value: ST(0) = a op b.
//
//go:noescape
func hostFadd(s *hostState) // faddp: a + b

//go:noescape
func hostFsub(s *hostState) // fsubp: a - b

//go:noescape
func hostFmul(s *hostState) // fmulp: a * b

//go:noescape
func hostFdiv(s *hostState) // fdivp: a / b

//go:noescape
func hostFpatan(s *hostState) // fpatan: atan2(a, b)

//go:noescape
func hostFyl2x(s *hostState) // fyl2x: a * log2(b)

//go:noescape
func hostFyl2xp1(s *hostState) // fyl2xp1: a * log2(b + 1)

// Operations on ST(0) = b that leave two values (ST(1) = a untouched
// unless noted).
//
//go:noescape
func hostFsqrt(s *hostState)

//go:noescape
func hostFrndint(s *hostState)

//go:noescape
func hostFsin(s *hostState)

//go:noescape
func hostFcos(s *hostState)

//go:noescape
func hostF2xm1(s *hostState)

//go:noescape
func hostFabs(s *hostState)

//go:noescape
func hostFchs(s *hostState)

//go:noescape
func hostFscale(s *hostState) // b * 2^trunc(a)

//go:noescape
func hostFprem(s *hostState) // b rem a

//go:noescape
func hostFprem1(s *hostState) // b rem a

// Operations that leave two values computed from b: ST(0), ST(1) after
// the instruction (ST(2) = a is dropped).
//
//go:noescape
func hostFsincos(s *hostState) // ST(0) = cos b, ST(1) = sin b

//go:noescape
func hostFptan(s *hostState) // ST(0) = 1.0, ST(1) = tan b

//go:noescape
func hostFxtract(s *hostState) // ST(0) = significand, ST(1) = exponent

// Compares of ST(0) = b with ST(1) = a: FSW (C0 C2 C3) or RFLAGS.
//
//go:noescape
func hostFcom(s *hostState)

//go:noescape
func hostFucom(s *hostState)

//go:noescape
func hostFcomi(s *hostState)

//go:noescape
func hostFucomi(s *hostState)

//go:noescape
func hostFtst(s *hostState) // b with 0

//go:noescape
func hostFxam(s *hostState) // b

//go:noescape
func hostFxamEmpty(s *hostState) // ST(0) = b freed (ffree) first

// Stores of ST(0) = b to the memory operand (fst/fist/fisttp/fbstp; b is
// popped, the value left is a).
//
//go:noescape
func hostFstM32(s *hostState)

//go:noescape
func hostFstM64(s *hostState)

//go:noescape
func hostFistM16(s *hostState)

//go:noescape
func hostFistM32(s *hostState)

//go:noescape
func hostFistM64(s *hostState)

//go:noescape
func hostFisttpM16(s *hostState)

//go:noescape
func hostFisttpM32(s *hostState)

//go:noescape
func hostFisttpM64(s *hostState)

//go:noescape
func hostFbstp(s *hostState)

// Loads of the memory operand (a is loaded first as always; the loaded
// value is ST(0), a is ST(1)).
//
//go:noescape
func hostFldM32(s *hostState)

//go:noescape
func hostFldM64(s *hostState)

//go:noescape
func hostFbld(s *hostState)

//go:noescape
func hostFildM16(s *hostState)

//go:noescape
func hostFildM32(s *hostState)

//go:noescape
func hostFildM64(s *hostState)

// The popping compares (fcomp, fcomip): TOP in FSW shows the pop.
//
//go:noescape
func hostFcomp(s *hostState)

//go:noescape
func hostFcomip(s *hostState)

// The constant loads (ST(0) = the constant, ST(1) = a is not stored).
//
//go:noescape
func hostFldpi(s *hostState)

//go:noescape
func hostFldl2e(s *hostState)

//go:noescape
func hostFldl2t(s *hostState)

//go:noescape
func hostFldlg2(s *hostState)

//go:noescape
func hostFldln2(s *hostState)

// Stack faults: faddp with ST(1) empty (ST(0) = the result), and a ninth
// push (ST(0) = what it left).
//
//go:noescape
func hostFaddUnderflow(s *hostState)

//go:noescape
func hostFldOverflow(s *hostState)

// Arithmetic and compares with a memory operand: ST(0) = b op m.
//
//go:noescape
func hostFaddM32(s *hostState)

//go:noescape
func hostFaddM64(s *hostState)

//go:noescape
func hostFcomM32(s *hostState)

//go:noescape
func hostFdivrM64(s *hostState)
