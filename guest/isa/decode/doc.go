// Package decode is minemu's decoder: golang.org/x/arch/x86/x86asm with
// its gaps filled, so that what comes out is either an instruction the
// CPU would run, with its real length, or the fault the CPU would raise
// instead. It knows nothing of op records, engines or Linux; the lowering
// (guest/isa) reads its result, and the code cache (guest/engine) calls
// it on the bytes it fetched.
//
// # The wrapper
//
// All decoding goes through Decode, which puts x86asm's gaps right
// before anything else sees an instruction:
//   - 0F 3F and 0F 3E are not x86 opcodes. minemu gives them meaning (a
//     guest→host thunk stub followed by a 32-byte hash, and the return trap
//     of a host→guest callback); they are recognised here, before the
//     decoder, which would reject them.
//   - ENDBR32/ENDBR64 (F3 0F 1E FB/FA) come back from x86asm as Op == 0 with
//     a length of 1; they are NOPs of length 4. RDSSPD/RDSSPQ (F3 [REX.W]
//     0F 1E /1 with a register operand) are NOPs too while shadow stacks are
//     off, which they always are for a user process here.
//   - ADCX/ADOX, RDSEED, RDPID, SALC, the hint NOPs, VEX after segment
//     and address-size prefixes, and EVEX (refused): ext.go.
//   - A LOCK prefix x86asm marks invalid (an instruction that does not take
//     it, or a destination that is not memory) is #UD: a DecodeError.
//   - An instruction longer than 15 bytes (redundant prefixes count) is
//     #GP, not #UD: ErrTooLong, which the code cache makes a #GP op
//     (Linux: SIGSEGV).
//   - Anything the decoder refuses is reported with its address and bytes
//     (DecodeError); bytes that run out before the instruction ends are
//     ErrTruncated, which the caller tells apart because the next page may
//     hold the rest.
//
// Checked and needing nothing special (x86asm v0.32.0): CMPXCHG16B
// (REX.W 0F C7 /1, with or without LOCK) and CMPXCHG8B; POPCNT, LZCNT and
// TZCNT with their mandatory F3 prefix (not BSR/BSF with a stray REP);
// MOVSXD with and without REX.W. One real gap is handled in lowering: a
// 32-bit displacement without a base register (and RIP-relative ones) may
// come back zero-extended and is sign-extended there.
//
// # minemu's ops
//
// What x86asm does not decode comes back as an x86asm.Inst whose Op is
// one of minemu's (OpThunk, OpTrap, OpEndbr, OpRdssp, OpAdcx, OpAdox,
// OpRdseed, OpRdpid, OpSalc), numbered after x86asm's own ops, so the
// lowering keeps one table indexed by x86asm.Op (NumOps entries) for
// both. Operands, sizes and lengths are filled in as x86asm would have
// for a similar instruction (ext.go decodes most of them through such a
// proxy instruction).
package decode
