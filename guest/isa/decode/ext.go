package decode

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/mm"
)

// The encodings x86asm v0.32.0 gets wrong, decoded before it.
//
//   - ADCX (66 [REX.W] 0F 38 F6 /r) and ADOX (F3 [REX.W] 0F 38 F6 /r)
//     come back as a one-byte `data16` or `rep` with Op 0 and no error.
//     With both prefixes the host runs ADOX on 32 or 64 bits; with F2 it
//     raises #UD.
//     Their ModRM operands are those of `mov r, r/m` (8B /r), so the bytes
//     are decoded as that instruction with the mandatory prefix dropped
//     and the three-byte opcode replaced by the one-byte 8B; the real
//     length is that instruction's plus the bytes taken out.
//   - RDSEED (0F C7 /7, register form; 66 for the 16-bit form, REX.W for
//     the 64-bit one) is unknown to x86asm. It is RDRAND (0F C7 /6) with
//     another ModRM.reg, so it is decoded as RDRAND with reg 6.
//   - RDPID (F3 0F C7 /7, register form) comes back as a one-byte `rep`.
//     Its operand is r32 in 32-bit mode and r64 in 64-bit mode, whatever
//     the operand-size prefixes say.
//   - VEX-encoded instructions come back with AddrSize 0; it is the
//     mode's, or the other one with an address-size prefix (addrSize).
//     After an address-size prefix or a segment override (fs: and gs:
//     reach thread-local data) x86asm does not decode them at all; they
//     are decoded without those prefixes and given their segment and, in
//     64-bit mode, AddrSize 32 (32-bit addressing reads ModRM and SIB as
//     64-bit addressing does). In 32-bit mode 67 selects 16-bit
//     addressing, which VEX code does not use: refused.
//   - The hint NOPs 0F 19..0F 1E /r and 0F 1F /1../7 (the MPX and CET
//     encodings included, which are NOPs on a CPU without MPX and with
//     CET off; ENDBR and RDSSP are recognised before), 0F 18 /4../7 and
//     0F 0D /0, /2../7 (the prefetches x86asm lacks, NOPs to minemu) come
//     back as errors; they are NOP r/m, decoded as 0F 1F /0 with the same
//     operand bytes.
//   - SALC (D6) in 32-bit mode is unknown to x86asm, and CLWB (66 0F AE
//     /6) comes back as XSAVEOPT; CLWB is a NOP here, like CLFLUSHOPT
//     (66 0F AE /7), which x86asm reads as CLFLUSH, lowered as a NOP.
//   - EVEX (62 and three payload bytes) is decoded by x86asm, but minemu
//     does not implement AVX-512 and CPUID does not report it: it is #UD.
//     In 32-bit mode 62 is BOUND unless ModRM.mod would be 11 (BOUND
//     takes a memory operand only); in 64-bit mode 62 is always EVEX.
//
// Each comes back with minemu's own op (OpAdcx, ...), after x86asm's ops.

// extPrefixes is what decodeExt learns from an instruction's prefixes.
type extPrefixes struct {
	n                 int // the number of prefix bytes (REX included)
	rex               byte
	op66, rep, repn   bool
	lock, multipleRep bool
	addr              bool // an address-size prefix (67)
	seg               byte // the last segment override (2E 36 3E 26 64 65), or 0
	others            bool // a prefix other than 67 and the segment overrides
}

// scanPrefixes reads the legacy prefixes at the start of code and, in
// 64-bit mode, a REX prefix right before the opcode (a REX followed by
// another prefix is ignored, as the CPU ignores it).
func scanPrefixes(code []byte, mode mm.Mode) extPrefixes {
	var p extPrefixes
	for p.n < len(code) && p.n < MaxInstLen && isPrefix(code[p.n], mode) {
		b := code[p.n]
		if b&0xf0 == 0x40 {
			p.rex = b
		} else {
			p.rex = 0
		}
		switch b {
		case 0x66:
			p.op66 = true
		case 0xf3:
			p.rep = true
		case 0xf2:
			p.repn = true
		case 0xf0:
			p.lock = true
		case 0x67:
			p.addr = true
		case 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65:
			p.seg = b
		}
		if b != 0x67 && p.seg != b {
			p.others = true
		}
		p.n++
	}
	return p
}

// decodeExt decodes the instructions above; ok is false for anything
// else, which x86asm then decodes.
func decodeExt(code []byte, pc uint64, mode mm.Mode) (inst x86asm.Inst, ok bool, err error) {
	p := scanPrefixes(code, mode)
	i := p.n
	if i >= len(code) || i >= MaxInstLen {
		return inst, false, nil
	}
	invalid := func(reason string) (x86asm.Inst, bool, error) {
		return x86asm.Inst{}, true, &DecodeError{Addr: pc, Bytes: PrefixBytes(code), Reason: reason}
	}
	short := func() (x86asm.Inst, bool, error) { // the bytes end before the ModRM byte
		if len(code) < MaxInstLen {
			return x86asm.Inst{}, true, ErrTruncated
		}
		return inst, false, nil
	}
	if i > 0 && !p.others && (code[i] == 0xc4 || code[i] == 0xc5) && (mode == mm.Mode64 || i+1 < len(code) && code[i+1] >= 0xc0) {
		return decodeVexPrefixed(code, pc, mode, p)
	}
	if code[i] == 0xd6 && mode == mm.Mode32 {
		if p.lock {
			return invalid("LOCK prefix not allowed")
		}
		return x86asm.Inst{Op: OpSalc, Len: i + 1, DataSize: 32, AddrSize: 32}, true, nil
	}
	if code[i] == 0x62 {
		if mode == mm.Mode64 || i+1 < len(code) && code[i+1] >= 0xc0 {
			return invalid("EVEX encoding: AVX-512 is not implemented")
		}
		if i+1 == len(code) {
			return short()
		}
		return inst, false, nil
	}
	if code[i] != 0x0f || i+1 >= len(code) {
		return inst, false, nil
	}
	switch {
	case i+2 == len(code) && (code[i+1] == 0xc7 || code[i+1] == 0x38 || code[i+1] == 0x0d || code[i+1]&0xf8 == 0x18),
		i+3 == len(code) && code[i+1] == 0x38 && code[i+2] == 0xf6:
		return short()
	case i+2 >= len(code):
		return inst, false, nil
	}
	switch {
	case code[i+1] == 0x38 && code[i+2] == 0xf6:
		// ADCX (66) or ADOX (F3, which wins over a 66 the CPU then
		// ignores: the operand stays 32 or 64 bits); F2 is #UD.
		var op x86asm.Op
		switch {
		case p.repn || !p.op66 && !p.rep:
			return inst, false, nil // x86asm refuses it: #UD
		case p.rep:
			op = OpAdox
		default:
			op = OpAdcx
		}
		if p.lock {
			return invalid("LOCK prefix not allowed")
		}
		proxy := make([]byte, 0, len(code))
		for _, b := range code[:i] {
			if b != 0x66 && b != 0xf3 {
				proxy = append(proxy, b)
			}
		}
		dropped := i - len(proxy)
		proxy = append(proxy, 0x8b)
		proxy = append(proxy, code[i+3:]...)
		return decodeProxy(code, proxy, pc, mode, op, dropped+2)
	case code[i+1] >= 0x19 && code[i+1] <= 0x1e, code[i+1] == 0x1f && code[i+2]>>3&7 != 0,
		code[i+1] == 0x18 && code[i+2]>>3&7 >= 4,
		code[i+1] == 0x0d && code[i+2]>>3&7 != 1:
		// Hint NOPs: decoded as NOP r/m (0F 1F /0), which has the same
		// operand bytes.
		proxy := append([]byte(nil), code...)
		proxy[i+1], proxy[i+2] = 0x1f, code[i+2]&^0x38
		return decodeProxy(code, proxy, pc, mode, x86asm.NOP, 0)
	case p.op66 && !p.rep && !p.repn && code[i+1] == 0xae && code[i+2]>>3&7 == 6 && code[i+2]>>6 != 3:
		// CLWB (66 0F AE /6, memory), which x86asm reads as XSAVEOPT:
		// a write-back hint, a NOP to minemu.
		proxy := append([]byte(nil), code...)
		proxy[i+1], proxy[i+2] = 0x1f, code[i+2]&^0x38
		return decodeProxy(code, proxy, pc, mode, x86asm.NOP, 0)
	case code[i+1] == 0xc7 && code[i+2]&0xf8 == 0xf8: // 0F C7 /7, register form
		if p.repn || p.lock {
			return inst, false, nil
		}
		if p.rep { // RDPID
			r := code[i+2] & 7
			if mode == mm.Mode64 {
				if p.rex&1 != 0 { // REX.B
					r += 8
				}
				return x86asm.Inst{Op: OpRdpid, Len: i + 3, DataSize: 64, AddrSize: 64, Args: x86asm.Args{x86asm.RAX + x86asm.Reg(r)}}, true, nil
			}
			return x86asm.Inst{Op: OpRdpid, Len: i + 3, DataSize: 32, AddrSize: 32, Args: x86asm.Args{x86asm.EAX + x86asm.Reg(r)}}, true, nil
		}
		proxy := append([]byte(nil), code...)
		proxy[i+2] = 0xf0 | code[i+2]&7 // RDRAND: 0F C7 /6
		return decodeProxy(code, proxy, pc, mode, OpRdseed, 0)
	}
	return inst, false, nil
}

// decodeVexPrefixed decodes a VEX instruction after segment overrides and
// address-size prefixes, which x86asm refuses: without them, then with
// their segment and address size.
func decodeVexPrefixed(code []byte, pc uint64, mode mm.Mode, p extPrefixes) (x86asm.Inst, bool, error) {
	if p.addr && mode == mm.Mode32 {
		return x86asm.Inst{}, true, &DecodeError{Addr: pc, Bytes: PrefixBytes(code), Reason: "VEX with 16-bit addressing"}
	}
	inst, ok, err := decodeProxy(code, code[p.n:], pc, mode, 0, p.n)
	if err != nil {
		return inst, ok, err
	}
	inst.AddrSize = addrSize(code, mode) // with 67, ModRM and SIB read as in 64-bit addressing
	seg := map[byte]x86asm.Reg{0x64: x86asm.FS, 0x65: x86asm.GS}[p.seg]
	for j, a := range inst.Args {
		if m, isMem := a.(x86asm.Mem); isMem && seg != 0 {
			m.Segment = seg
			inst.Args[j] = m
		}
	}
	return inst, ok, nil
}

// decodeProxy decodes proxy, the bytes of an instruction x86asm knows
// with the operands of the one in code, and returns it as op (0: as
// decoded), extra bytes longer.
// The proxy is padded with zeros, which complete an instruction the bytes
// end inside of (x86asm does not always say it is truncated) and change
// nothing in a whole one; an instruction that then ends past code is
// truncated.
func decodeProxy(code, proxy []byte, pc uint64, mode mm.Mode, op x86asm.Op, extra int) (x86asm.Inst, bool, error) {
	n := len(proxy)
	proxy = append(proxy, make([]byte, MaxInstLen)...)
	inst, err := x86asm.Decode(proxy, int(mode))
	if err != nil || inst.Op == 0 || inst.Len == 0 {
		if tooLong(proxy[:n], mode) {
			return inst, true, ErrTooLong
		}
		return inst, true, &DecodeError{Addr: pc, Bytes: PrefixBytes(code), Reason: "unknown opcode"}
	}
	if op != 0 {
		inst.Op = op
	}
	inst.Len += extra
	if inst.Len > len(code) && len(code) < MaxInstLen {
		return inst, true, ErrTruncated // the bytes end first
	}
	if inst.Len > MaxInstLen {
		return inst, true, ErrTooLong
	}
	return inst, true, nil
}

// addrSize is the address size, in bits, of the instruction at the start
// of code: the mode's, switched by an address-size prefix (67).
func addrSize(code []byte, mode mm.Mode) int {
	p := scanPrefixes(code, mode)
	for _, b := range code[:p.n] {
		if b == 0x67 {
			if mode == mm.Mode64 {
				return 32
			}
			return 16
		}
	}
	if mode == mm.Mode64 {
		return 64
	}
	return 32
}
