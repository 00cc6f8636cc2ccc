// Package x87 is the x87 floating-point arithmetic of minemu's
// interpreter: every computation an x87 instruction does, on 80-bit
// extended values, with the rounding, exception flags, condition codes
// and masked and unmasked responses of the hardware. It is pure Go: no
// allocation, no math/big, and no host x87 code at run time (the host
// FPU is called only by the tests, through hostfpu_amd64.s, which no
// other code references, so the linker leaves it out of minemu).
//
// The package computes; it holds no registers. The interpreter keeps the
// stack (TOP, the tag word, the eight registers), decides which register
// is an operand and what is empty (and calls StackFault when an operand
// register is empty or a push finds a full one), and delivers the #MF
// fault (SIGFPE) that a set ES bit calls for at the next waiting x87
// instruction.
//
// # Representation
//
// F80 is the register encoding: Mant is the 64-bit significand with its
// explicit integer bit, SE the sign and the 15-bit biased exponent. Every
// bit pattern is valid and has a Class, and each class is treated as the
// hardware (the host, an AMD EPYC, was the reference) treats it:
//
//   - zero, normal, infinity: as IEEE 754;
//   - denormal (exponent 0, integer bit 0) and pseudo-denormal (exponent 0,
//     integer bit 1): operands with exponent -16382 that raise DE; a
//     pseudo-denormal result of arithmetic comes back normalised;
//   - QNaN and SNaN (bit 62 set or clear): an SNaN operand raises IE and is
//     quieted; of two NaN operands a QNaN wins over an SNaN, else the
//     larger significand wins, and of equal significands the positive one;
//   - unnormal, pseudo-NaN, pseudo-infinity (integer bit clear with a
//     non-zero exponent): unsupported, an invalid operand whatever the
//     other operand is; the masked response is the QNaN indefinite
//     (Indefinite).
//
// Results are computed exactly or with a sticky bit in 128-bit integer
// arithmetic (math/bits: Mul64 products, Div64 quotients, a 128-bit
// integer square root from a float64 estimate and one Newton step), and
// rounded once.
//
// # Control and status: Env
//
// An Env carries the control word CW and the status word SW (without
// TOP). CW's exception masks, precision control (24, 53 or 64 bits; the
// reserved value reads as 64) and rounding control (nearest-even, down,
// up, toward zero) govern every operation. Each operation ORs the flags
// it raises into SW (IE, DE, ZE, OE, UE, PE and, from StackFault, SF),
// sets ES and B when any raised flag is unmasked, writes C1 (every
// operation does: the round-up indication after a rounded result, the
// quotient bit of fprem, the sign for fxam, 1 for a stack overflow, else
// 0) and the C0 C2 C3 it defines, leaving the others as they were; the
// flags of the last operation alone are in Raised.
//
// Masked exceptions get the IEEE default responses (indefinite, infinity,
// the largest finite value of the precision as RC says, denormals). An
// unmasked IE, DE or ZE abandons the instruction: Aborted is then true and
// the caller must leave its destination and the stack alone. An unmasked
// OE or UE on a register result is not an abort: the result returned is
// the rounded value with its exponent wrapped by 24576, as the hardware
// writes it (or, for fscale beyond even that, infinity or zero); on a
// store to memory (ToFloat32, ToFloat64) it is an abort. A load's denormal
// (FromFloat32, FromFloat64) raises DE but is loaded even unmasked.
//
// # Rounding
//
// Add, Sub, Mul, Div and Sqrt round to the precision PC selects; every
// other operation rounds to 64 bits (PC governs only those five, as the
// manual says). Overflow is judged after rounding. A result is tiny when,
// rounded to the precision with an unbounded exponent, it is below
// 2^-16382 (tininess after rounding: the host raises no UE for
// 2^-16382*(1-2^-64) at 53 bits, which rounds to 2^-16382). A tiny
// result with UE masked is denormalised and rounded at the same bit
// position as a normal one, so denormals keep fewer bits in reduced
// precision, and raises UE only when inexact.
//
// # Operand checks
//
// The order matters for which flags appear and was taken from the host:
// unsupported operand, then NaN, then the operation's own invalid cases
// that involve a zero divisor or a negative operand of a logarithm or
// square root (x/0 raises ZE without DE for a denormal x; sqrt and fyl2x
// of a negative denormal raise IE without DE), then DE, then the rest.
// Compares write their condition codes even when IE or DE is unmasked
// (only the popping forms then do not pop). The memory operand of an
// arithmetic instruction or compare is converted with Operand32 or
// Operand64, which keep an SNaN signalling and make a float denormal
// count as a denormal operand of the operation that follows.
//
// # The other instructions
//
// Conversions round with RC (fisttp toward zero) and answer invalid
// operands with the integer indefinite (the most negative value), the
// float32 and float64 indefinites, or the BCD indefinite. fprem and
// fprem1 are exact; when the exponents differ by 64 or more they reduce
// by N = 32 + D mod 32 bits per step (the host's choice among the 32 to
// 63 the manual allows), set C2 and clear C0 C1 C3. fscale, fxtract and
// frndint are exact apart from overflow, underflow and frndint's
// rounding. The constants of fldpi and the like are rounded with RC,
// raising nothing.
//
// # Transcendentals
//
// fsin, fcos, fsincos, fptan, fpatan, f2xm1, fyl2x and fyl2xp1 are
// computed in double-double arithmetic (dd.go: pairs of float64 summed
// with FMA-based error terms, about 106 bits), with exponents carried
// separately so that the whole 80-bit range works, from tables of atan,
// 2^x and ln values and Taylor series on reduced arguments (tables.go is
// generated from math/big and checked against it by a test). The result
// is then rounded once to 64 bits with RC. Where a result can lie within
// 2^-106 of a rounding boundary because the series' partial sums are
// rational (tan x = x + x^3/3 + ... for x = 3*2^-28), the leading term
// and the correction are summed exactly in 128 bits (roundSum); where a
// correction is below even that (sin x for |x| < 2^-40), its sign is
// passed to the rounding (belowV, aboveV); the quotient of fpatan for
// ratios below 2^-40 is an exact 128-bit integer quotient.
//
// fsin, fcos, fsincos and fptan reduce their argument modulo pi/2 with pi
// rounded to 66 bits, exactly (an integer multiple of 2^-65), because the
// x87 does so: the host's fsin of pi rounded to 64 bits is exactly
// pi64 - pi66 = 2^-64 in magnitude, where the true sine is about
// -5.0e-20; near multiples of pi/2 the x87's results differ from the true
// functions by far more than an ulp, and this package gives the x87's.
// For |x| >= 2^63 they set C2 and leave the operand, raising nothing.
//
// Special values follow the manual's tables and the host: zeros and
// infinities of fpatan by quadrant, fptan pushing 1.0 (or the NaN again),
// fyl2x(y, 1) = +-0, f2xm1(+-0) = +-0, f2xm1(-inf) = -1, zeros and
// infinities of fyl2x and fyl2xp1 with ZE and IE where the manual puts
// them. Beyond the manual, where it says "undefined", the host's answers
// are copied: f2xm1 of |x| > 1 returns x with PE, f2xm1(1) is 1 with C1
// (1 - 2^-64 rounding down) and f2xm1(-1) is -0.5 with PE; fyl2xp1 of
// x <= -1 returns x with PE; fyl2x raises PE even for a power of two
// (where its value is exact).
//
// Accuracy, measured by TestTranscendentalHost against math/big (the
// trigonometric functions with the pi66 reduction) and against the host
// FPU on 200,000 biased cases per instruction in all rounding modes: the
// engine's results are within 0.5 ulp of the exact value in round to
// nearest and within 1 ulp in the directed modes (no case seen beyond),
// that is, correctly rounded; the host's are within 0.53 to 0.64 ulp to
// nearest and 1.14 ulp directed. The engine agrees with the host bit for
// bit (value and status word) in about 99% of the cases for fsin, fcos and
// fsincos, 96-97% for fpatan, f2xm1, fyl2x and fyl2xp1, and 89% for fptan;
// the other cases differ by one ulp in the value or only in C1, and where
// they differ the host's value is the one farther from the exact result
// (it rounds an approximation that is off by up to about 0.1 ulp, and
// fptan of small arguments is biased). One host behaviour is not copied:
// fptan of a denormal, which the host rounds as if tan x were below x
// about half the time.
//
// # Calling it from the interpreter
//
// Keep an Env with the guest's FCW and FSW (TOP apart; fninit is NewEnv,
// fnclex clears Exceptions, SF, ES and B in SW). For each instruction
// read the operands, call the operation, and unless Aborted write the
// result and pop or push; an operand register that is empty, or a push
// onto a full one, is StackFault instead. The calls, with ST(0) as s0 and
// ST(1) as s1:
//
//	fld m32/m64 (push)          FromFloat32, FromFloat64
//	fild, fbld (push)           FromInt, FromBCD
//	fld1, fldpi, ... (push)     Const
//	fst(p) m32/m64              ToFloat32, ToFloat64
//	fist(p), fisttp, fbstp      ToInt(s0, 16|32|64), ToIntTrunc, ToBCD
//	fadd fsub fmul fdiv         Add, Sub, Mul, Div (fsubr, fdivr: operands swapped)
//	  ... m32/m64, fi... m      Operand32, Operand64, FromInt, then the operation
//	fsqrt frndint fabs fchs     Sqrt, Round, Abs, Chs
//	fcom(p)(p) fucom(p)(p)      Compare(s0, src, quiet); ficom: src = FromInt
//	fcomi(p) fucomi(p)          CompareFlags: ZF PF CF into EFLAGS
//	ftst, fxam                  Test(s0), Examine(s0, empty)
//	fprem, fprem1               Prem(s0, s1, ieee)
//	fscale, fxtract             Scale(s0, s1); Extract(s0): s0 = exponent, push significand
//	fsin, fcos                  Sin, Cos (C2 set: out of range, s0 kept)
//	fsincos, fptan              SinCos: s0 = sine, push cosine; Tan: s0 = tangent, push the second
//	                            result; neither pushes when C2 is set
//	fpatan, fyl2x, fyl2xp1      Atan2(s1, s0), Yl2x(s1, s0), Yl2xp1(s1, s0): into s1, pop
//	f2xm1                       F2xm1
//	fnstenv, fnsave tag word    F80.Tag (3 for an empty register)
//
// The rest (fxch, ffree, fincstp, fdecstp, fcmov, the environment and
// state saves) moves registers and words without arithmetic. When SW has
// ES set, the next waiting x87 instruction (all but the fn* control
// instructions) delivers SIGFPE instead of running.
//
// # Speed
//
// On this machine (AMD EPYC, Go 1.26; go test -bench . -count 5, the
// minimum, with other jobs running) Add, Sub and Mul take 15-19 ns, Div
// and Sqrt 22-25 ns, conversions and compares 5-12 ns, fprem and fscale
// 12-20 ns, all with 0 allocations; the transcendentals take 200-400 ns.
// The math/big fadd the interpreter used before this package takes about
// 300 ns and 9 allocations (BenchmarkBigAdd). Through the interpreter
// (guest/engine BenchmarkInterpX87: fadd, fmul, fdiv and fsqrt on
// registers in a loop) an x87 instruction takes 35-41 ns with its share of
// the loop, 0 allocations.
//
// # Tests
//
// The differential tests (x87_amd64_test.go, trans_amd64_test.go) run
// every operation on the host FPU and in the engine from the same
// control word (every precision and rounding mode, exceptions now and
// then unmasked), starting condition codes (loaded with fldenv) and
// operands biased to the edge cases, and compare results, status word and
// TOP. -x87.iters and -x87.transiters set the number of cases, -x87.seed
// the seed; FuzzExact and FuzzTranscendental do the same on fuzzed
// operands with committed corpora in testdata/fuzz; -x87.gen rewrites
// tables.go and the seed corpora. Property tests check correct rounding
// against math/big on every architecture.
package x87
