// Package isa is the guest instruction set as minemu sees it: the op
// records instructions are lowered into, and the lowering. The decoder
// wrapper over golang.org/x/arch/x86/x86asm is its subpackage isa/decode.
// It knows nothing of Linux or of the engines that execute ops.
//
// # Paths
//
//  1. Decode (guest/isa/decode): bytes at an address become an
//     x86asm.Inst, with x86asm's gaps filled first: minemu's own
//     instructions (decode.OpThunk, the 0F 3F stub with its 32-byte hash;
//     decode.OpTrap, 0F 3E), ENDBR and RDSSP (NOPs while CET is off), a
//     LOCK the instruction does not take (#UD), an instruction longer than
//     15 bytes (#GP: decode.ErrTooLong), bytes that run out
//     (decode.ErrTruncated); ADCX/ADOX, RDSEED, RDPID, SALC, the hint
//     NOPs, VEX after segment and address-size prefixes, and EVEX refused
//     (AVX-512 is not implemented).
//  2. Lower (lower.go, lower_sse.go, lower_x87.go, lower_vec.go,
//     lower_vex.go, lower_int.go): one table indexed by the instruction's
//     x86asm.Op (minemu's instructions after x86asm's: decode.NumOps
//     entries) names the family function and its parameters; the result
//     is an Op. An instruction the table does not list is unsupported. The MMX forms, which x86asm gives
//     the ops of their XMM forms, have their own table (lower_mmx.go). The
//     VEX instructions (AVX, AVX2, FMA3, F16C) are one family, OpVex, whose
//     semantics table VexOps (lower_vex_ops.go) names the guest/isa/vec
//     functions; EVEX encodings are refused. lower_int.go: BMI, ADX, far
//     transfers, segment loads, the UMIP and i386-only instructions.
//  3. Fuse: a block's closing compare-and-branch pair becomes one op.
//
// # Op records (op.go)
//
// An Op is fixed-size (48 bytes) and pointer-free, so blocks of them can
// live outside the Go heap: opcode, sizes, sub-operation or condition,
// three operands (Kind and register number each), the one memory operand
// an x86 instruction can have (Mem and Disp), an immediate, the vector
// length (VEX.L), a lock bit, the instruction's address and length. The
// operand kinds are resolved at lowering and packed into Form, so an
// engine can tell an op's operand forms with one comparison. EA computes
// a memory operand's linear address, modulo 2^32 in Mode32: a 32-bit guest
// cannot form an address of minemu's.
package isa
