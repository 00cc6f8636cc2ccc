package isa

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/guest/isa/vec"
	"github.com/minemu/minemu/mm"
)

// Lowering of the VEX-encoded instructions: AVX, AVX2, FMA3, F16C and the
// VEX forms of SSE through SSE4.2, AES-NI and PCLMULQDQ.
//
// Every VEX instruction lowers to one OpVex whose sub-operation indexes
// VexOps (VexIndex: Cond is the low byte, Rep the high one; there are more
// than 256 forms). The operands keep x86asm's Intel order: Dst is the
// first argument (ModRM.reg, or ModRM.rm for the stores and extracts,
// VEX.vvvv for the shifts by an immediate), Src and Src2 the next two; a
// fourth register operand (the is4 byte of the blendv forms) is Imm[7:4]
// and an imm8 is Imm. VL is the vector length VEX.L selects (16 or 32),
// SSize the size of the memory operand (whichever argument it is), Size
// the width of a general-register destination.
//
// The engine reads the arguments into a VexIn (A from Src, B from Src2,
// C the destination register's old value, D the is4 register; a general
// register or memory argument is zero-extended), calls the semantics,
// and writes the result: a vector destination completely (a 128-bit form
// returns its upper lane zero, as VEX.128 zeroes bits 255:128), a general
// register of Size bytes, or SSize bytes of memory. Only the forms whose
// Kind says so do anything else (flags, rCX, masked and gathered
// accesses). The alignment the legacy SSE forms demand does not apply,
// except to vmovaps, vmovapd, vmovdqa and the non-temporal moves
// (FlagAligned: the operand must be aligned to VL).
//
// Refused here (an invalid opcode): EVEX encodings (AVX-512 is not
// reported), a 64-bit general register in a 32-bit guest (VEX.W1 forms
// that exist only in 64-bit mode), and every VEX instruction VexOps does
// not list (AVX-VNNI, AVX-IFMA, GFNI, SHA512, SM3, SM4, the BF16/FP16
// conversions: not reported). The BMI1/BMI2 instructions, VEX-encoded
// too, are general-register instructions lowered with the integer set.

// VexKind is the shape of an OpVex beyond "compute and write Dst".
type VexKind uint8

const (
	VexWrite      VexKind = iota // Dst = F(in); MXCSR flags in.FL
	VexFlags                     // RFLAGS status = in.RF; MXCSR flags in.FL (vptest, vtestps/pd, vcomiss, ...)
	VexStrI                      // rCX = F(in)[0], RFLAGS status = in.RF (vpcmpXstri; Rep of sub: explicit lengths)
	VexStrM                      // ymm0 = F(in), RFLAGS status = in.RF (vpcmpXstrm)
	VexMaskMov                   // masked load (Dst = the elements of memory Src2 selected by the mask Src) or store (of Src2 to memory Dst)
	VexMaskMovDQU                // vmaskmovdqu: bytes of Dst selected by Src stored at [rDI]
	VexGather                    // Dst gathered from Src (vector index M.Index) under the mask Src2
	VexZeroUpper                 // vzeroupper: bits 255:128 of every register cleared
	VexZeroAll                   // vzeroall
	VexLdmxcsr                   // MXCSR = m32 (#GP on reserved bits)
)

// VexIn is the input and output of one VEX semantic function. The engine
// owns one per thread and fills it for every instruction.
type VexIn struct {
	A, B vec.Y // the second and third arguments (Src, Src2)
	C    vec.Y // the destination register's old value
	D    vec.Y // the fourth register argument (is4: Imm[7:4])
	Imm  uint8
	VL   uint8 // 16 or 32
	// N is the number of source arguments that are not immediates (1
	// or 2), Mem which one is memory (1: Src, 2: Src2, 0: none or Dst).
	N, Mem uint8
	// SSize is the size of a memory or general-register source, DSize
	// of a general-register destination.
	SSize, DSize uint8
	MX           uint32 // MXCSR before the instruction
	FL           uint32 // out: the MXCSR exception flags raised
	RF           uint32 // out: the RFLAGS status flags (VexFlags, VexStrI, VexStrM)
	// G holds rAX and rDX for the explicit-length string compares.
	G [2]int64
}

// VexSem is one entry of VexOps.
type VexSem struct {
	Kind VexKind
	Name string
	F    func(in *VexIn) vec.Y
	// Elem is the element size of the masked moves and gathers; Idx32
	// says a gather's indices are dwords.
	Elem  uint8
	Idx32 bool
	// Aligned: a memory operand must be aligned to the vector length.
	Aligned bool
	// Len64: the explicit lengths of a string compare are rAX and rDX
	// (VEX.W1), else EAX and EDX sign-extended.
	Len64 bool
}

// VexOps is indexed by VexIndex of an OpVex (filled by init, read-only
// afterwards). Entry 0 is unused.
var VexOps = []VexSem{{}}

// VexIndex is the VexOps index of an OpVex.
func VexIndex(o *Op) int { return int(o.Cond) | int(o.Rep)<<8 }

// vexReg enters ops into the lowering table with semantics s.
func vexReg(s VexSem, ops ...x86asm.Op) {
	if len(VexOps) >= 1<<16 {
		panic("isa: too many VEX sub-operations")
	}
	idx := len(VexOps)
	VexOps = append(VexOps, s)
	set(lowering{fn: lowerVex, code: OpVex, sub: uint8(idx), aux: uint8(idx >> 8), fam: famVEX}, ops...)
}

// vexL is the instruction's VEX.L bit, false for EVEX: ok is false when
// the instruction is not VEX-encoded.
func vexL(inst *x86asm.Inst) (l, ok bool) {
	switch inst.Prefix[0] & 0xff {
	case 0xc5:
		return inst.Prefix[1]&4 != 0, true
	case 0xc4:
		return inst.Prefix[2]&4 != 0, true
	}
	return false, false
}

// lowerVex lowers a VEX instruction into an OpVex.
func lowerVex(l *lowerer, o *Op, e *lowering) error {
	inst := l.inst
	L, ok := vexL(inst)
	if !ok {
		return unsupported(inst) // EVEX, or a VEX mnemonic without the prefix
	}
	// x86asm's VEX decoder leaves the address size unset (a VEX prefix
	// is only recognised first, so there is no 67 prefix) and returns a
	// RIP-relative operand as an absolute disp32: both are put right here.
	ic := *inst
	ic.AddrSize = int(l.mode)
	inst, l.inst = &ic, &ic
	vexLen, nimm := 2, 0
	if inst.Prefix[0]&0xff == 0xc4 {
		vexLen = 3
	}
	for i, a := range inst.Args {
		if _, ok := a.(x86asm.Imm); ok || i == 3 && a != nil {
			nimm++
		}
	}
	regMask := uint8(15)
	if l.mode == mm.Mode32 {
		regMask = 7 // VEX.R, X, B and vvvv[3] are ignored outside 64-bit mode
	}
	// VEX.W1 selects a 64-bit general register or integer only in 64-bit
	// mode; elsewhere it is ignored and the instruction is its 32-bit
	// form (vmovq r/m64 is vmovd, vpextrq is vpextrd, ...).
	narrow := false
	if l.mode == mm.Mode32 && vexLen == 3 && inst.Prefix[2]&0x80 != 0 {
		if d, ok := vexW1Narrow[inst.Op]; ok {
			narrow = true
			if d != 0 {
				e = &table[d]
			}
		}
	}
	s := &VexOps[int(e.sub)|int(e.aux)<<8]
	o.Code, o.Cond, o.Rep = OpVex, e.sub, e.aux
	o.VL = 16
	if L {
		o.VL = 32
	}
	// A form without a VEX.vvvv operand needs the field to be 1111 (#UD
	// otherwise): it has at most two register or memory arguments, and is
	// not a shift by an immediate, whose destination vvvv names.
	nregs, hasImm := 0, false
	for i, a := range inst.Args {
		switch a.(type) {
		case nil:
		case x86asm.Imm:
			hasImm = true
		default:
			if i < 3 {
				nregs++
			}
		}
	}
	if nregs < 3 && !(nregs == 2 && hasImm && vexShiftImm[inst.Op]) && vexVVVV(inst)&regMask != 0 {
		return unsupported(inst)
	}
	dst := [3]*Arg{&o.Dst, &o.Src, &o.Src2}
	for i, a := range inst.Args {
		if a == nil {
			break
		}
		switch a := a.(type) {
		case x86asm.Reg:
			var arg Arg
			switch {
			case a >= x86asm.X0 && a <= x86asm.X15:
				arg = Arg{Kind: KindVec, Reg: uint8(a-x86asm.X0) & regMask}
			case a >= x86asm.Y0 && a <= x86asm.Y15:
				arg = Arg{Kind: KindVec, Reg: uint8(a-x86asm.Y0) & regMask}
			default:
				k, r, sz, ok := regOf(a)
				if narrow && sz == 8 {
					sz = 4
				}
				if !ok || k != KindReg || sz < 4 || (sz == 8 && l.mode == mm.Mode32) {
					return unsupported(inst)
				}
				arg = Arg{Kind: KindReg, Reg: r & regMask}
				if i == 0 {
					o.Size = sz
				} else {
					o.SSize = sz
				}
			}
			if i == 3 {
				if arg.Kind != KindVec {
					return unsupported(inst)
				}
				o.Imm = uint64(arg.Reg) << 4 // is4
				continue
			}
			*dst[i] = arg
		case x86asm.Imm:
			o.Imm = uint64(a) & 0xff
			if i < 3 {
				*dst[i] = Arg{Kind: KindImm}
			}
		case x86asm.Mem:
			if i > 2 {
				return unsupported(inst)
			}
			if l.mode == mm.Mode64 && a.Base == 0 && a.Index == 0 && inst.Len == vexLen+2+4+nimm {
				a.Base = x86asm.RIP // ModRM mod 00 r/m 101 without a SIB byte
			}
			vindex := uint8(NoReg)
			if s.Kind == VexGather {
				switch {
				case a.Index >= x86asm.X0 && a.Index <= x86asm.X15:
					vindex = uint8(a.Index-x86asm.X0) & regMask
				case a.Index >= x86asm.Y0 && a.Index <= x86asm.Y15:
					vindex = uint8(a.Index-x86asm.Y0) & regMask
				default:
					return unsupported(inst) // a gather needs VSIB
				}
				a.Index = 0
			}
			arg, _, err := l.mem(o, a)
			if err != nil {
				return err
			}
			if l.mode == mm.Mode32 {
				if o.M.Base != NoReg {
					o.M.Base &= 7
				}
				if o.M.Index != NoReg {
					o.M.Index &= 7
				}
			}
			if s.Kind == VexGather {
				o.M.Index = vindex
				switch a.Scale {
				case 2:
					o.M.Scale = 1
				case 4:
					o.M.Scale = 2
				case 8:
					o.M.Scale = 3
				}
			}
			*dst[i] = arg
			o.SSize = uint8(inst.MemBytes)
			if narrow && o.SSize == 8 && inst.Op != x86asm.VCVTSD2SI && inst.Op != x86asm.VCVTTSD2SI {
				o.SSize = 4 // the integer operand of the 32-bit form
			}
			if s.Aligned {
				o.Flags |= FlagAligned
			}
		default:
			return unsupported(inst)
		}
	}
	switch s.Kind {
	case VexZeroUpper, VexZeroAll:
		// x86asm counts a ModRM byte these instructions do not have.
		o.Len = uint8(vexLen + 1)
	case VexMaskMovDQU:
		o.M = Mem{Base: NoReg, Index: NoReg, ASize: uint8(inst.AddrSize / 8)}
	case VexGather:
		if o.Dst.Kind != KindVec || o.Src.Kind != KindMem || o.Src2.Kind != KindVec {
			return unsupported(inst)
		}
		// The destination, index and mask registers must differ (#UD).
		if o.Dst.Reg == o.Src2.Reg || o.Dst.Reg == o.M.Index || o.Src2.Reg == o.M.Index {
			return unsupported(inst)
		}
	}
	return nil
}

// vexW1Narrow lists the VEX.W1 forms with a 64-bit integer operand; a
// non-zero value is the mnemonic whose semantics the 32-bit form has.
var vexW1Narrow = map[x86asm.Op]x86asm.Op{
	x86asm.VMOVQ: x86asm.VMOVD, x86asm.VPEXTRQ: x86asm.VPEXTRD, x86asm.VPINSRQ: x86asm.VPINSRD,
	x86asm.VCVTSI2SS: 0, x86asm.VCVTSI2SD: 0, x86asm.VCVTSS2SI: 0, x86asm.VCVTSD2SI: 0,
	x86asm.VCVTTSS2SI: 0, x86asm.VCVTTSD2SI: 0,
}

// vexShiftImm are the shifts by an immediate, whose destination is
// VEX.vvvv.
var vexShiftImm = map[x86asm.Op]bool{
	x86asm.VPSLLW: true, x86asm.VPSLLD: true, x86asm.VPSLLQ: true, x86asm.VPSRLW: true, x86asm.VPSRLD: true,
	x86asm.VPSRLQ: true, x86asm.VPSRAW: true, x86asm.VPSRAD: true, x86asm.VPSLLDQ: true, x86asm.VPSRLDQ: true,
}

// vexVVVV is the register VEX.vvvv names (the field inverted).
func vexVVVV(inst *x86asm.Inst) uint8 {
	if inst.Prefix[0]&0xff == 0xc5 {
		return uint8(^inst.Prefix[1]>>3) & 15
	}
	return uint8(^inst.Prefix[2]>>3) & 15
}

// famVEX marks the VEX entries of the lowering table: their operands may
// be YMM registers, and they set VL themselves.
const famVEX uint8 = 3
