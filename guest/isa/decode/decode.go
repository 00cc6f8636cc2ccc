package decode

import (
	"errors"
	"fmt"
	"slices"

	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/mm"
)

// MaxInstLen is the architectural limit of an x86 instruction.
const MaxInstLen = 15

// ThunkLen is the length of a thunk stub: 0F 3F and a SHA-256.
const ThunkLen = 2 + 32

// minemu's own instructions: byte sequences x86asm does not decode, which
// Decode reports with these values in x86asm.Inst.Op. They follow
// x86asm's own ops (from firstOp: x86asm v0.32.0 stops at 1533;
// TestOwnOpsFollowX86asm checks the limit), so one table indexed by
// x86asm.Op, NumOps long, can hold both.
const (
	// OpThunk is a thunk stub: 0F 3F and a 32-byte SHA-256 (ThunkLen
	// bytes).
	OpThunk x86asm.Op = firstOp + iota
	// OpTrap is 0F 3E, the return trap of a host→guest callback.
	OpTrap
	// OpEndbr is ENDBR32/ENDBR64 (F3 0F 1E FB/FA), which x86asm returns
	// as Op 0 with length 1: a NOP of length 4 while CET is off.
	OpEndbr
	// OpRdssp is RDSSPD/RDSSPQ (F3 [REX.W] 0F 1E /1, register form): a
	// NOP while shadow stacks are off, as they always are for a user
	// process here.
	OpRdssp
	// OpAdcx, OpAdox, OpRdseed and OpRdpid are ADCX (66 0F 38 F6), ADOX
	// (F3 0F 38 F6), RDSEED (0F C7 /7) and RDPID (F3 0F C7 /7), which
	// x86asm does not decode (ext.go).
	OpAdcx
	OpAdox
	OpRdseed
	OpRdpid
	// OpSalc is SALC (D6, 32-bit mode): AL = CF ? FF : 00, undocumented
	// by Intel, documented by AMD, run by both.
	OpSalc
	// NumOps is one more than the last op Decode returns: the length of
	// a table indexed by x86asm.Op and minemu's ops.
	NumOps
)

// firstOp is minemu's first op, above every op of x86asm's.
const firstOp = 2048

// DecodeError describes bytes that are not an instruction minemu can run.
type DecodeError struct {
	Addr   uint64
	Bytes  []byte
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("invalid instruction at %#x (bytes % x): %s", e.Addr, e.Bytes, e.Reason)
}

// ErrTruncated means the bytes ran out before the instruction ended.
var ErrTruncated = errors.New("truncated instruction")

// ErrTooLong means the instruction, with its prefixes, is longer than 15
// bytes: the CPU raises #GP (Linux: SIGSEGV) without running it.
var ErrTooLong = errors.New("instruction longer than 15 bytes")

// Decode decodes the instruction at the start of code, located at pc; its
// length is Inst.Len, and minemu's own instructions come back with its
// own ops (OpThunk, ...). code may be shorter than MaxInstLen when the following page
// is not readable; then an instruction that needs more bytes yields
// ErrTruncated.
func Decode(code []byte, pc uint64, mode mm.Mode) (x86asm.Inst, error) {
	if len(code) >= 2 && code[0] == 0x0f && (code[1] == 0x3f || code[1] == 0x3e) {
		if code[1] == 0x3e {
			return x86asm.Inst{Op: OpTrap, Len: 2}, nil
		}
		if len(code) < ThunkLen {
			return x86asm.Inst{}, ErrTruncated
		}
		return x86asm.Inst{Op: OpThunk, Len: ThunkLen}, nil
	}
	if op, n := cetNop(code, mode); n > 0 {
		return x86asm.Inst{Op: op, Len: n}, nil
	}
	if inst, ok, err := decodeExt(code, pc, mode); ok {
		return inst, err
	}
	inst, err := x86asm.Decode(code, int(mode))
	if err != nil {
		if errors.Is(err, x86asm.ErrTruncated) && len(code) < MaxInstLen {
			return inst, ErrTruncated
		}
		if tooLong(code, mode) {
			return inst, ErrTooLong
		}
		return inst, &DecodeError{Addr: pc, Bytes: PrefixBytes(code), Reason: err.Error()}
	}
	if inst.Op == 0 || inst.Len == 0 {
		if tooLong(code, mode) {
			return inst, ErrTooLong
		}
		return inst, &DecodeError{Addr: pc, Bytes: PrefixBytes(code), Reason: "unknown opcode"}
	}
	if inst.AddrSize == 0 {
		inst.AddrSize = addrSize(code, mode) // x86asm leaves it unset for VEX
	}
	for _, p := range inst.Prefix {
		if p == 0 {
			break
		}
		if p&x86asm.PrefixInvalid != 0 {
			// LOCK on an instruction that does not take it, or whose
			// destination is not memory: #UD.
			return inst, &DecodeError{Addr: pc, Bytes: PrefixBytes(code[:inst.Len]), Reason: "LOCK prefix not allowed"}
		}
	}
	return inst, nil
}

// isPrefix reports whether b is a legacy prefix byte, or in 64-bit mode a
// REX prefix.
func isPrefix(b byte, mode mm.Mode) bool {
	switch b {
	case 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65:
		return true
	}
	return mode == mm.Mode64 && b&0xf0 == 0x40
}

// tooLong reports whether code, which x86asm could not decode within its
// 15-byte limit, starts with an instruction that is longer than that. The
// limit counts redundant prefixes too, so the instruction is decoded again
// with each repeated prefix byte kept only once (which changes no
// operand's meaning) and a REX kept only where it counts, right before the
// opcode; its length plus the bytes dropped is the real length.
func tooLong(code []byte, mode mm.Mode) bool {
	if len(code) < MaxInstLen {
		return false
	}
	np := 0
	for np < len(code) && isPrefix(code[np], mode) {
		np++
	}
	if np >= MaxInstLen {
		return true
	}
	if np == 0 {
		return false
	}
	var short []byte
	var seen [256]bool
	for i := np - 1; i >= 0; i-- { // the last of each prefix wins
		b := code[i]
		if seen[b] || mode == mm.Mode64 && b&0xf0 == 0x40 && i != np-1 {
			continue
		}
		seen[b] = true
		short = append(short, b)
	}
	slices.Reverse(short)
	dropped := np - len(short)
	if dropped == 0 {
		return false
	}
	short = append(short, code[np:]...)
	inst, err := x86asm.Decode(short, int(mode))
	return err == nil && inst.Op != 0 && inst.Len+dropped > MaxInstLen
}

// cetNop returns OpEndbr or OpRdssp and the length of ENDBR32/64 or
// RDSSPD/Q at the start of code, or a length of 0.
func cetNop(code []byte, mode mm.Mode) (x86asm.Op, int) {
	if len(code) < 4 || code[0] != 0xf3 {
		return 0, 0
	}
	i := 1
	if mode == mm.Mode64 && code[1]&0xf0 == 0x40 { // REX
		i = 2
		if len(code) < 5 {
			return 0, 0
		}
	}
	if code[i] != 0x0f || code[i+1] != 0x1e {
		return 0, 0
	}
	modrm := code[i+2]
	switch {
	case i == 1 && (modrm == 0xfa || modrm == 0xfb): // ENDBR64, ENDBR32
		return OpEndbr, 4
	case modrm&0xf8 == 0xc8: // RDSSP r32/r64
		return OpRdssp, i + 3
	}
	return 0, 0
}

// PrefixBytes returns up to the first MaxInstLen bytes of code, copied.
func PrefixBytes(code []byte) []byte {
	n := min(len(code), MaxInstLen)
	return append([]byte(nil), code[:n]...)
}
