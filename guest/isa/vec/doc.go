// Package vec holds the semantics of the x86 vector and bit-manipulation
// instructions (SSE through AVX2, FMA3, F16C, BMI, AES-NI, PCLMULQDQ, SHA)
// as pure functions over register values. The interpreter decodes an
// instruction, fetches its operands (registers, or memory it has loaded
// and checked), calls one function here, and writes the result back; this
// package touches no memory and keeps no state.
//
// # Representation
//
// An X is a 128-bit XMM value as two little-endian quadwords, X[0] holding
// bits 0-63: the layout of the interpreter's register file ([2]uint64 per
// XMM register), so a register converts with X(r). A Y is a 256-bit YMM
// value, Y[0:2] its low 128-bit lane. Lanes of every width are read and
// written with B/W/D (and indexing for quadwords) and SetB/SetW/SetD.
//
// Most AVX/AVX2 256-bit forms are the 128-bit operation in each lane: the
// interpreter applies the X function to both halves with Lanes2, Lanes2I,
// Lanes1I, LanesC (shifts by an xmm count) or Lanes2F (floating point,
// merging the flags as the hardware does). The forms that cross lanes or
// use their immediate differently per lane have Y functions of their own
// (PermD, PermQ, Perm2x128, the broadcasts, Insert128/Extract128,
// PblendD, BlendPSY, BlendPDY, ShufPDY, PermilPDIY, MpsadBWY, DPPSY,
// PtestY, TestPS, TestPD, PmovmskbY, MovmskPSY/PDY, Widen2 for the
// pmovsx/pmovzx family, and the 256-bit conversions CvtPD2DQY etc.). A
// VEX.128 form zeroes bits 128-255 of its destination and a legacy SSE
// form keeps them; that is the caller's, as is merging the destination of
// a scalar VEX form (whose upper lanes come from VEX.vvvv): the scalar
// functions take that source as their first operand and return the merged
// register.
//
// Scalar instructions on general registers (POPCNT, LZCNT, TZCNT, BMI1,
// BMI2, ADX, MOVBE, CRC32) take the operand size in bytes and return the
// zero-extended result and, where they set flags, all six status flags
// (CF PF AF ZF SF OF bit positions as in RFLAGS).
//
// Memory-shaped instructions return what the interpreter needs to do the
// accesses itself: MaskMovDQU, MaskD and MaskQ give the elements a masked
// store writes (or a masked load reads, MaskedD/MaskedQ zeroing the
// rest); PlanGather gives a gather's element addresses (relative to the
// base register) and mask, GatherDone the registers the completed gather
// leaves.
//
// # Floating point: MXCSR, rounding and flags
//
// Every floating-point function takes MXCSR and returns its result and the
// exception flags (IE DE ZE OE UE PE) it raises. The caller ORs the flags
// into MXCSR; when Unmasked(flags, mxcsr) is not zero the instruction
// raises #XM (SIGFPE for the guest) and the destination must not be
// written. The flags returned for that case are the ones the hardware
// leaves in MXCSR.
//
// The results are computed in software, exactly: the operations form the
// exact value of the result from the operands' integer significands
// (math/bits: 128-bit products, quotients with remainder, integer square
// roots, and for FMA the exact product plus the aligned addend), with the
// bits below the precision "jammed" into a sticky bit, and one routine
// rounds it to the format. That routine implements the four MXCSR
// rounding modes, overflow to infinity or the largest finite value by
// mode, denormal results, tininess detected after rounding (measured: a
// result that rounds up to the smallest normal is not tiny), FTZ (a tiny
// result with UE masked becomes a zero of its sign and raises UE and PE,
// even when exact) and the unmasked responses (UE unmasked: UE, and PE
// when the exponent-adjusted result is inexact; OE unmasked: OE and PE as
// inexact). DAZ turns denormal operands into zeros of their sign without
// DE. Go's own float arithmetic rounds to nearest and exposes no flags, so
// it is used only in fast paths: in round-to-nearest with normal operands
// and a result safely inside the normal range, the host's result is the
// answer and an error-free transformation decides PE (TwoSum for sums,
// the exact float64 product or an FMA residual for products, quotients
// and square roots); all other cases, and all directed rounding, take the
// exact path, and TestFastPaths and FuzzFastPaths hold the two equal.
//
// The x86 rules that the tests pinned down, each measured on the host:
// the NaN result of a two-source operation is the first source's NaN,
// quietened, else the second's (FMA: the first NaN of the multiplicands
// and then the addend, in the order a×b+c of the FMAOp definition);
// min/max return the second source whenever either is a NaN or both are
// zeros, and with DAZ return the flushed zero; the default NaN is the
// negative QNaN indefinite; a NaN operand, an invalid operation and a
// division by zero each outrank a denormal operand (no DE); packed
// instructions report, when an unmasked pre-computation exception (IE DE
// ZE) occurs in any element, only the pre-computation flags of all
// elements (mergeFlags); dpps/dppd round each product and each partial
// sum ((p0+p1)+(p2+p3)), report flags step by step and stop at the first
// step with an unmasked exception; the float-to-integer conversions
// return the integer indefinite and raise IE for NaNs and out-of-range
// values, never DE; round* and vcvtph2ps never raise DE, vcvtph2ps
// ignores DAZ and vcvtps2ph ignores FTZ.
//
// # Implementation-specific results
//
// rcpps/rcpss and rsqrtps/rsqrtss return an approximation the SDM bounds
// (relative error at most 1.5×2^-12) but does not define; Intel and AMD
// differ. These functions return exactly what this project's reference
// host, an AMD EPYC (Zen 4 class), returns: the result depends only on the
// top 12 mantissa bits (rsqrt also on the exponent's parity), so three
// 4096-entry tables measured on the host (rcp_table.go, regenerated with
// go test -run TestGenRcpTables -gen-rcp) reproduce it, with the exponent
// and the special cases computed. Where the SDM leaves flags undefined
// (LZCNT/TZCNT: OF SF PF AF; ANDN, BLSI, BLSMSK, BLSR, BZHI: PF AF;
// BEXTR: SF PF AF) the functions return what the host leaves, noted at
// each function.
//
// # Tests
//
// The tests compare every function with the instruction it models on the
// host CPU: hostops_amd64.s has a helper, used only by the tests, that
// loads a register image (ymm0-3, eight general registers, the status
// flags, MXCSR) into the CPU, calls one instruction placed in an
// executable page, and stores the image back; a SIGFPE handler installed
// for the tests catches #XM so that unmasked exceptions are compared too.
// The test tables give, per instruction form (legacy SSE, VEX.128,
// VEX.256), its encoding in the SDM's notation and its model in terms of
// this package; random register images biased to the deciding cases
// (signed zeros, infinities, quiet and signalling NaNs, denormals, the
// ends of the normal range, short significands for exact and halfway
// results, saturation and sign boundaries, string-compare alphabets) run
// through both under random rounding modes, FTZ, DAZ and exception masks,
// and the whole image must match bit for bit. FuzzFloat and FuzzInt run
// the same tables on fuzzer-chosen images; the benchmarks report
// allocations (none).
//
// # Coverage
//
// Everything below is bit-exact against the host, flags included:
//
//   - SSE/SSE2 floating point: add, sub, mul, div, sqrt, min, max (ps pd
//     ss sd); cmpps/pd/ss/sd with the 8 legacy and 32 VEX predicates;
//     comiss/ucomiss/comisd/ucomisd; and, andn, or, xor; shufps/pd;
//     unpck{l,h}ps/pd; movss/movsd (register forms), movhlps, movlhps;
//     movmskps/pd; rcpps/rcpss/rsqrtps/rsqrtss; cvtdq2ps, cvtps2dq,
//     cvttps2dq, cvtpd2dq, cvttpd2dq, cvtdq2pd, cvtps2pd, cvtpd2ps,
//     cvtss2sd, cvtsd2ss, cvtsi2ss/sd (32/64), cvt(t)ss2si and cvt(t)sd2si
//     (32/64), cvtpi2ps, cvtps2pi, cvttps2pi, cvtpi2pd, cvtpd2pi,
//     cvttpd2pi.
//   - SSE2 integer: padd/psub b w d q, padds/paddus/psubs/psubus b w,
//     pmullw, pmulhw, pmulhuw, pmuludq, pmaddwd, psadbw, pavgb/w,
//     pminub, pmaxub, pminsw, pmaxsw, pcmpeq/pcmpgt b w d, pand, pandn,
//     por, pxor, packsswb, packssdw, packuswb, punpck{l,h}{bw,wd,dq,qdq},
//     pshufd, pshuflw, pshufhw, pslldq, psrldq, psll/psrl/psra w d q by
//     xmm and by immediate, pmovmskb, pinsrw, pextrw, maskmovdqu.
//   - SSE3: addsubps/pd, haddps/pd, hsubps/pd, movsldup, movshdup,
//     movddup (lddqu is a load).
//   - SSSE3: pabsb/w/d, psignb/w/d, palignr, pshufb, pmaddubsw, pmulhrsw,
//     phaddw/d/sw, phsubw/d/sw.
//   - SSE4.1: pmulld, pmuldq, pmin/pmax sb sd uw ud, pblendw, blendps/pd,
//     pblendvb, blendvps/pd, pcmpeqq, packusdw, pmovsx/pmovzx (all six
//     each), ptest, insertps, extractps, pinsrb/d/q, pextrb/w/d/q,
//     roundps/pd/ss/sd, dpps, dppd, mpsadbw, phminposuw.
//   - SSE4.2: pcmpgtq; pcmpestri, pcmpestrm, pcmpistri, pcmpistrm (every
//     immediate, 32- and 64-bit lengths); crc32 b w d q. POPCNT.
//   - AVX/AVX2: the VEX.128 and VEX.256 forms of all of the above that
//     exist; vpermd, vpermps, vpermq, vpermpd, vperm2i128, vperm2f128,
//     vpermilps/pd (vector and immediate), vbroadcastss/sd/f128,
//     vpbroadcastb/w/d/q, vbroadcasti128, vinserti128/f128,
//     vextracti128/f128, vpblendd, vpsllvd/q, vpsrlvd/q, vpsravd,
//     vpmaskmovd/q and vmaskmovps/pd (load and store), vgatherdps/dpd/
//     qps/qpd and vpgatherdd/dq/qd/qq, vtestps/pd.
//   - FMA3: vfmadd, vfmsub, vfnmadd, vfnmsub (132 213 231; ps pd ss sd;
//     128 and 256) and vfmaddsub, vfmsubadd.
//   - F16C: vcvtph2ps, vcvtps2ph (every rounding immediate).
//   - LZCNT, TZCNT (16/32/64); BMI1: andn, bextr, blsi, blsmsk, blsr;
//     BMI2: bzhi, mulx, pdep, pext, rorx, sarx, shlx, shrx; ADX: adcx,
//     adox; MOVBE.
//   - AES-NI: aesenc, aesenclast, aesdec, aesdeclast, aesimc,
//     aeskeygenassist; PCLMULQDQ (every selection); SHA: sha1rnds4,
//     sha1nexte, sha1msg1, sha1msg2, sha256rnds2, sha256msg1, sha256msg2.
//
// Not here: data movement that is only a load or store (movaps, movdqu,
// movq, lddqu, movntdqa, ...), vzeroupper/vzeroall, and the MMX forms of
// the integer instructions, which are the interpreter's; the conversions
// with an MMX operand are here.
package vec
