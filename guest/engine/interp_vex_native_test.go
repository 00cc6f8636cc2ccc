package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// The VEX differential tests: every AVX, AVX2, FMA3 and F16C form (and the
// VEX forms of the SSE families) runs on the host CPU and in the
// interpreter from the same ymm0-3, general registers, flags, MXCSR and
// 256 bytes of scratch memory at [rbx], in both modes, and everything must
// come out identical. The encodings name ModRM.reg = 0, VEX.vvvv = 1 and
// ModRM.rm = 2 (or [rbx]), and ymm3 for a fourth register operand.

const (
	nvYmm     = 0x180 // ymm0-3, 32 bytes each
	nvScratch = 0x800 // 256 bytes at cpu.RBX
)

const nvScratchLen = 256

// vexHarness is harness with ymm0-3 loaded and stored whole.
func vexHarness(inst []byte) []byte {
	var b []byte
	emit := func(x ...byte) { b = append(b, x...) }
	emit(0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x57)
	emit(0x48, 0x8b, 0x87)
	emit(le32(nsFlags)...)
	emit(0x50, 0x9d)
	for i := 0; i < 4; i++ { // vmovdqu ymm_i, [rdi+slot]
		emit(0xc5, 0xfe, 0x6f, 0x87|byte(i)<<3)
		emit(le32(uint32(nvYmm + 32*i))...)
	}
	emit(0x0f, 0xae, 0x97)
	emit(le32(nsMxcsr)...)
	movReg := func(opc byte, r int) {
		rex := byte(0x48)
		if r >= 8 {
			rex |= 4
		}
		emit(rex, opc, 0x80|byte(r&7)<<3|7)
		emit(le32(uint32(8 * r))...)
	}
	for r := 0; r < 16; r++ {
		if r != int(cpu.RSP) && r != int(cpu.RDI) {
			movReg(0x8b, r)
		}
	}
	movReg(0x8b, int(cpu.RDI))
	emit(inst...)
	emit(0x48, 0x87, 0x3c, 0x24)
	for r := 0; r < 16; r++ {
		if r != int(cpu.RSP) && r != int(cpu.RDI) {
			movReg(0x89, r)
		}
	}
	emit(0x0f, 0xae, 0x9f)
	emit(le32(nsMxcsr)...)
	emit(0x0f, 0xae, 0x97)
	emit(le32(nsMxcsrGo)...)
	for i := 0; i < 4; i++ { // vmovdqu [rdi+slot], ymm_i
		emit(0xc5, 0xfe, 0x7f, 0x87|byte(i)<<3)
		emit(le32(uint32(nvYmm + 32*i))...)
	}
	emit(0xc5, 0xf8, 0x77) // vzeroupper
	emit(0x58)
	emit(0x48, 0x89, 0x47, 0x38)
	emit(0x9c, 0x58)
	emit(0x48, 0x89, 0x87)
	emit(le32(nsFlags)...)
	emit(0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3)
	return b
}

// vexEnc is a three-byte VEX encoding: map 1 (0F), 2 (0F38) or 3 (0F3A),
// pp 0 (none), 1 (66), 2 (F3), 3 (F2), W, L, the register VEX.vvvv names,
// the opcode, the ModRM byte and what follows it.
func vexEnc(mmap, pp, w, l byte, vvvv int, op, modrm byte, tail ...byte) []byte {
	b := []byte{0xc4, 0xe0 | mmap, w<<7 | byte(^vvvv&15)<<3 | l<<2 | pp, op, modrm}
	return append(b, tail...)
}

type vexCase struct {
	name   string
	bytes  []byte
	regs64 bool // exists only in 64-bit mode
	fp     bool // vary MXCSR
	prep   func(r *rand.Rand, y *[4][4]uint64, mem []byte, regs *[16]uint64)
}

// vexCases lists the forms. Shapes: nds = reg 0, vvvv 1, rm 2 or [rbx];
// two = reg 0, rm 1 or [rbx] (vvvv unused); each for the vector lengths
// given.
func vexCases(host map[string]bool) []vexCase {
	var cs []vexCase
	add := func(c vexCase) { cs = append(cs, c) }
	type op struct {
		name      string
		mmap, pp  byte
		w         byte
		opc       byte
		ls        []byte // vector lengths (0: 128, 1: 256)
		imms      []byte // nil: no immediate
		fp        bool
		noReg     bool // memory form only
		noMem     bool // register form only
		modrmReg  byte // ModRM.reg of the register and memory forms
		rmReg     byte // ModRM.rm of the register form
		vvvv      int
		memModrm  byte
		tail      []byte
		customReg bool
	}
	both := []byte{0, 1}
	l128 := []byte{0}
	l256 := []byte{1}
	gen := func(o op) {
		imms := o.imms
		if imms == nil {
			imms = []byte{0xff} // marker: none
		}
		for _, l := range o.ls {
			for _, imm := range imms {
				var tail []byte
				suffix := ""
				if o.imms != nil {
					tail = []byte{imm}
					suffix = fmt.Sprintf("-%#x", imm)
				}
				lname := "128"
				if l == 1 {
					lname = "256"
				}
				if !o.noReg {
					modrm := 0xc0 | o.modrmReg<<3 | o.rmReg
					add(vexCase{name: fmt.Sprintf("%s/%s%s", o.name, lname, suffix), fp: o.fp,
						bytes: vexEnc(o.mmap, o.pp, o.w, l, o.vvvv, o.opc, modrm, tail...)})
				}
				if !o.noMem {
					add(vexCase{name: fmt.Sprintf("%s/%s-mem%s", o.name, lname, suffix), fp: o.fp,
						bytes: vexEnc(o.mmap, o.pp, o.w, l, o.vvvv, o.opc, o.modrmReg<<3|3, tail...)})
				}
			}
		}
	}
	nds := func(name string, mmap, pp, w, opc byte, ls []byte, fp bool, imms ...byte) {
		o := op{name: name, mmap: mmap, pp: pp, w: w, opc: opc, ls: ls, fp: fp, rmReg: 2, vvvv: 1}
		if len(imms) > 0 {
			o.imms = imms
		}
		gen(o)
	}
	two := func(name string, mmap, pp, w, opc byte, ls []byte, fp bool, imms ...byte) {
		o := op{name: name, mmap: mmap, pp: pp, w: w, opc: opc, ls: ls, fp: fp, rmReg: 1, vvvv: 0}
		if len(imms) > 0 {
			o.imms = imms
		}
		gen(o)
	}

	// Moves (loads, stores, register forms).
	for _, m := range []struct {
		name     string
		pp, opc  byte
		aligned  bool
		storeOpc byte
	}{
		{"vmovups", 0, 0x10, false, 0x11}, {"vmovupd", 1, 0x10, false, 0x11}, {"vmovaps", 0, 0x28, true, 0x29},
		{"vmovapd", 1, 0x28, true, 0x29}, {"vmovdqu", 2, 0x6f, false, 0x7f}, {"vmovdqa", 1, 0x6f, true, 0x7f},
	} {
		two(m.name, 1, m.pp, 0, m.opc, both, false)
		two(m.name+"-st", 1, m.pp, 0, m.storeOpc, both, false)
	}
	for _, l := range both {
		add(vexCase{name: fmt.Sprintf("vmovntps/%d", l), bytes: vexEnc(1, 0, 0, l, 0, 0x2b, 0x03)})
		add(vexCase{name: fmt.Sprintf("vmovntdq/%d", l), bytes: vexEnc(1, 1, 0, l, 0, 0xe7, 0x03)})
		add(vexCase{name: fmt.Sprintf("vlddqu/%d", l), bytes: vexEnc(1, 3, 0, l, 0, 0xf0, 0x43, 0x05)})
		add(vexCase{name: fmt.Sprintf("vmovups-unaligned/%d", l), bytes: vexEnc(1, 0, 0, l, 0, 0x10, 0x43, 0x07)})
	}
	if host["avx2"] {
		add(vexCase{name: "vmovntdqa/256", bytes: vexEnc(2, 1, 0, 1, 0, 0x2a, 0x03)})
	}
	add(vexCase{name: "vmovntdqa/128", bytes: vexEnc(2, 1, 0, 0, 0, 0x2a, 0x03)})
	for _, s := range []struct {
		name string
		pp   byte
	}{{"vmovss", 2}, {"vmovsd", 3}} {
		nds(s.name, 1, s.pp, 0, 0x10, l128, false)
		cs = cs[:len(cs)-1] // the memory form has no vvvv
		add(vexCase{name: s.name + "-load", bytes: vexEnc(1, s.pp, 0, 0, 0, 0x10, 0x03)})
		add(vexCase{name: s.name + "-store", bytes: vexEnc(1, s.pp, 0, 0, 0, 0x11, 0x0b)})
		add(vexCase{name: s.name + "-11", bytes: vexEnc(1, s.pp, 0, 0, 1, 0x11, 0xd0)})
	}
	add(vexCase{name: "vmovd-to", bytes: vexEnc(1, 1, 0, 0, 0, 0x6e, 0xc1)})
	add(vexCase{name: "vmovd-load", bytes: vexEnc(1, 1, 0, 0, 0, 0x6e, 0x03)})
	add(vexCase{name: "vmovd-from", bytes: vexEnc(1, 1, 0, 0, 0, 0x7e, 0xc1)})
	add(vexCase{name: "vmovd-store", bytes: vexEnc(1, 1, 0, 0, 0, 0x7e, 0x0b)})
	add(vexCase{name: "vmovq-to", bytes: vexEnc(1, 1, 1, 0, 0, 0x6e, 0xc1), regs64: true})
	add(vexCase{name: "vmovq-from", bytes: vexEnc(1, 1, 1, 0, 0, 0x7e, 0xc1), regs64: true})
	add(vexCase{name: "vmovq-xx", bytes: vexEnc(1, 2, 0, 0, 0, 0x7e, 0xc1)})
	add(vexCase{name: "vmovq-load", bytes: vexEnc(1, 2, 0, 0, 0, 0x7e, 0x03)})
	add(vexCase{name: "vmovq-d6", bytes: vexEnc(1, 1, 0, 0, 0, 0xd6, 0xc1)})
	add(vexCase{name: "vmovq-store", bytes: vexEnc(1, 1, 0, 0, 0, 0xd6, 0x0b)})
	for _, h := range []struct {
		name    string
		pp, opc byte
	}{{"vmovlps", 0, 0x12}, {"vmovlpd", 1, 0x12}, {"vmovhps", 0, 0x16}, {"vmovhpd", 1, 0x16}} {
		add(vexCase{name: h.name + "-load", bytes: vexEnc(1, h.pp, 0, 0, 1, h.opc, 0x03)})
		add(vexCase{name: h.name + "-store", bytes: vexEnc(1, h.pp, 0, 0, 0, h.opc+1, 0x0b)})
	}
	add(vexCase{name: "vmovhlps", bytes: vexEnc(1, 0, 0, 0, 1, 0x12, 0xc2)})
	add(vexCase{name: "vmovlhps", bytes: vexEnc(1, 0, 0, 0, 1, 0x16, 0xc2)})
	two("vmovsldup", 1, 2, 0, 0x12, both, false)
	two("vmovshdup", 1, 2, 0, 0x16, both, false)
	two("vmovddup", 1, 3, 0, 0x12, both, false)
	add(vexCase{name: "vstmxcsr", bytes: vexEnc(1, 0, 0, 0, 0, 0xae, 0x1b), fp: true})
	add(vexCase{name: "vldmxcsr", bytes: vexEnc(1, 0, 0, 0, 0, 0xae, 0x13), prep: func(r *rand.Rand, _ *[4][4]uint64, mem []byte, _ *[16]uint64) {
		mx := uint32(0x1f80) | r.Uint32()&(0x6000|0x8000|0x40|0x3f)
		mem[0], mem[1], mem[2], mem[3] = byte(mx), byte(mx>>8), 0, 0
	}})
	add(vexCase{name: "vzeroupper", bytes: []byte{0xc5, 0xf8, 0x77}})
	add(vexCase{name: "vzeroall", bytes: []byte{0xc5, 0xfc, 0x77}})

	// Integer and bitwise ops (map 0F, pp 66), AVX and AVX2 lengths.
	intLs := l128
	if host["avx2"] {
		intLs = both
	}
	for name, opc := range map[string]byte{
		"vpand": 0xdb, "vpandn": 0xdf, "vpor": 0xeb, "vpxor": 0xef, "vpaddb": 0xfc, "vpaddw": 0xfd, "vpaddd": 0xfe,
		"vpaddq": 0xd4, "vpsubb": 0xf8, "vpsubw": 0xf9, "vpsubd": 0xfa, "vpsubq": 0xfb, "vpaddsb": 0xec,
		"vpaddsw": 0xed, "vpaddusb": 0xdc, "vpaddusw": 0xdd, "vpsubsb": 0xe8, "vpsubsw": 0xe9, "vpsubusb": 0xd8,
		"vpsubusw": 0xd9, "vpavgb": 0xe0, "vpavgw": 0xe3, "vpmullw": 0xd5, "vpmulhw": 0xe5, "vpmulhuw": 0xe4,
		"vpmuludq": 0xf4, "vpmaddwd": 0xf5, "vpsadbw": 0xf6, "vpacksswb": 0x63, "vpackssdw": 0x6b,
		"vpackuswb": 0x67, "vpcmpeqb": 0x74, "vpcmpeqw": 0x75, "vpcmpeqd": 0x76, "vpcmpgtb": 0x64,
		"vpcmpgtw": 0x65, "vpcmpgtd": 0x66, "vpminub": 0xda, "vpmaxub": 0xde, "vpminsw": 0xea, "vpmaxsw": 0xee,
		"vpunpcklbw": 0x60, "vpunpcklwd": 0x61, "vpunpckldq": 0x62, "vpunpcklqdq": 0x6c, "vpunpckhbw": 0x68,
		"vpunpckhwd": 0x69, "vpunpckhdq": 0x6a, "vpunpckhqdq": 0x6d, "vpsrlw": 0xd1, "vpsrld": 0xd2,
		"vpsrlq": 0xd3, "vpsraw": 0xe1, "vpsrad": 0xe2, "vpsllw": 0xf1, "vpslld": 0xf2, "vpsllq": 0xf3,
	} {
		nds(name, 1, 1, 0, opc, intLs, false)
	}
	for name, opc := range map[string]byte{
		"vpshufb": 0x00, "vphaddw": 0x01, "vphaddd": 0x02, "vphaddsw": 0x03, "vpmaddubsw": 0x04, "vphsubw": 0x05,
		"vphsubd": 0x06, "vphsubsw": 0x07, "vpsignb": 0x08, "vpsignw": 0x09, "vpsignd": 0x0a, "vpmulhrsw": 0x0b,
		"vpmuldq": 0x28, "vpcmpeqq": 0x29, "vpackusdw": 0x2b, "vpcmpgtq": 0x37, "vpminsb": 0x38, "vpminsd": 0x39,
		"vpminuw": 0x3a, "vpminud": 0x3b, "vpmaxsb": 0x3c, "vpmaxsd": 0x3d, "vpmaxuw": 0x3e, "vpmaxud": 0x3f,
		"vpmulld": 0x40,
	} {
		nds(name, 2, 1, 0, opc, intLs, false)
	}
	for name, opc := range map[string]byte{
		"vpabsb": 0x1c, "vpabsw": 0x1d, "vpabsd": 0x1e, "vpmovsxbw": 0x20, "vpmovsxbd": 0x21, "vpmovsxbq": 0x22,
		"vpmovsxwd": 0x23, "vpmovsxwq": 0x24, "vpmovsxdq": 0x25, "vpmovzxbw": 0x30, "vpmovzxbd": 0x31,
		"vpmovzxbq": 0x32, "vpmovzxwd": 0x33, "vpmovzxwq": 0x34, "vpmovzxdq": 0x35,
	} {
		two(name, 2, 1, 0, opc, intLs, false)
	}
	two("vphminposuw", 2, 1, 0, 0x41, l128, false)
	two("vptest", 2, 1, 0, 0x17, both, false)
	two("vtestps", 2, 1, 0, 0x0e, both, false)
	two("vtestpd", 2, 1, 0, 0x0f, both, false)
	two("vpshufd", 1, 1, 0, 0x70, intLs, false, 0x1b, 0xe4, 0x4e)
	two("vpshufhw", 1, 2, 0, 0x70, intLs, false, 0x1b, 0x4e)
	two("vpshuflw", 1, 3, 0, 0x70, intLs, false, 0x1b, 0xb1)
	nds("vpalignr", 3, 1, 0, 0x0f, intLs, false, 0, 3, 8, 17)
	nds("vpblendw", 3, 1, 0, 0x0e, intLs, false, 0x5a, 0xc3)
	nds("vmpsadbw", 3, 1, 0, 0x42, intLs, false, 0, 5, 0x2b, 0x3f)
	// Shifts by an immediate: VEX.vvvv is the destination, ModRM.reg the
	// operation.
	for _, s := range []struct {
		name       string
		opc, digit byte
		imms       []byte
	}{
		{"vpsrlw-imm", 0x71, 2, []byte{3, 17}}, {"vpsraw-imm", 0x71, 4, []byte{5, 16}}, {"vpsllw-imm", 0x71, 6, []byte{1, 15}},
		{"vpsrld-imm", 0x72, 2, []byte{3, 33}}, {"vpsrad-imm", 0x72, 4, []byte{31, 40}}, {"vpslld-imm", 0x72, 6, []byte{7, 32}},
		{"vpsrlq-imm", 0x73, 2, []byte{1, 63}}, {"vpsrldq", 0x73, 3, []byte{5, 16}}, {"vpsllq-imm", 0x73, 6, []byte{33, 64}},
		{"vpslldq", 0x73, 7, []byte{3, 15}},
	} {
		for _, l := range intLs {
			for _, imm := range s.imms {
				add(vexCase{name: fmt.Sprintf("%s/%d-%d", s.name, l, imm), bytes: vexEnc(1, 1, 0, l, 0, s.opc, 0xc0|s.digit<<3|2, imm)})
			}
		}
	}
	nds("vpblendvb", 3, 1, 0, 0x4c, intLs, false, 0x30)
	nds("vblendvps", 3, 1, 0, 0x4a, both, false, 0x30)
	nds("vblendvpd", 3, 1, 0, 0x4b, both, false, 0x30)
	nds("vblendps", 3, 1, 0, 0x0c, both, false, 0x5a, 0xa5)
	nds("vblendpd", 3, 1, 0, 0x0d, both, false, 0x5, 0xa)
	nds("vshufps", 1, 0, 0, 0xc6, both, false, 0x1b, 0x9c)
	nds("vshufpd", 1, 1, 0, 0xc6, both, false, 0x5, 0xa)
	for name, p := range map[string][2]byte{
		"vandps": {0, 0x54}, "vandpd": {1, 0x54}, "vandnps": {0, 0x55}, "vandnpd": {1, 0x55}, "vorps": {0, 0x56},
		"vorpd": {1, 0x56}, "vxorps": {0, 0x57}, "vxorpd": {1, 0x57}, "vunpcklps": {0, 0x14}, "vunpckhps": {0, 0x15},
		"vunpcklpd": {1, 0x14}, "vunpckhpd": {1, 0x15},
	} {
		nds(name, 1, p[0], 0, p[1], both, false)
	}
	for _, l := range both {
		add(vexCase{name: fmt.Sprintf("vmovmskps/%d", l), bytes: vexEnc(1, 0, 0, l, 0, 0x50, 0xc1)})
		add(vexCase{name: fmt.Sprintf("vmovmskpd/%d", l), bytes: vexEnc(1, 1, 0, l, 0, 0x50, 0xc1)})
	}
	for _, l := range intLs {
		add(vexCase{name: fmt.Sprintf("vpmovmskb/%d", l), bytes: vexEnc(1, 1, 0, l, 0, 0xd7, 0xc1)})
	}

	// Floating point.
	for name, opc := range map[string]byte{"add": 0x58, "mul": 0x59, "sub": 0x5c, "min": 0x5d, "div": 0x5e, "max": 0x5f} {
		nds("v"+name+"ps", 1, 0, 0, opc, both, true)
		nds("v"+name+"pd", 1, 1, 0, opc, both, true)
		nds("v"+name+"ss", 1, 2, 0, opc, l128, true)
		nds("v"+name+"sd", 1, 3, 0, opc, l128, true)
	}
	two("vsqrtps", 1, 0, 0, 0x51, both, true)
	two("vsqrtpd", 1, 1, 0, 0x51, both, true)
	nds("vsqrtss", 1, 2, 0, 0x51, l128, true)
	nds("vsqrtsd", 1, 3, 0, 0x51, l128, true)
	two("vrcpps", 1, 0, 0, 0x53, both, true)
	two("vrsqrtps", 1, 0, 0, 0x52, both, true)
	nds("vrcpss", 1, 2, 0, 0x53, l128, true)
	nds("vrsqrtss", 1, 2, 0, 0x52, l128, true)
	nds("vaddsubps", 1, 3, 0, 0xd0, both, true)
	nds("vaddsubpd", 1, 1, 0, 0xd0, both, true)
	nds("vhaddps", 1, 3, 0, 0x7c, both, true)
	nds("vhaddpd", 1, 1, 0, 0x7c, both, true)
	nds("vhsubps", 1, 3, 0, 0x7d, both, true)
	nds("vhsubpd", 1, 1, 0, 0x7d, both, true)
	nds("vcmpps", 1, 0, 0, 0xc2, both, true, 0, 1, 4, 7, 0x0d, 0x11, 0x1e)
	nds("vcmppd", 1, 1, 0, 0xc2, both, true, 2, 3, 0x0c, 0x18)
	nds("vcmpss", 1, 2, 0, 0xc2, l128, true, 0, 5, 0x13)
	nds("vcmpsd", 1, 3, 0, 0xc2, l128, true, 6, 0x1f)
	two("vroundps", 3, 1, 0, 0x08, both, true, 0, 1, 2, 3, 4, 9)
	two("vroundpd", 3, 1, 0, 0x09, both, true, 0, 3, 0xc)
	nds("vroundss", 3, 1, 0, 0x0a, l128, true, 1, 4)
	nds("vroundsd", 3, 1, 0, 0x0b, l128, true, 2, 0xb)
	nds("vdpps", 3, 1, 0, 0x40, both, true, 0xf1, 0x7f, 0x33)
	nds("vdppd", 3, 1, 0, 0x41, l128, true, 0x31, 0xf3)
	two("vcomiss", 1, 0, 0, 0x2f, l128, true)
	two("vucomiss", 1, 0, 0, 0x2e, l128, true)
	two("vcomisd", 1, 1, 0, 0x2f, l128, true)
	two("vucomisd", 1, 1, 0, 0x2e, l128, true)
	two("vcvtdq2ps", 1, 0, 0, 0x5b, both, true)
	two("vcvtps2dq", 1, 1, 0, 0x5b, both, true)
	two("vcvttps2dq", 1, 2, 0, 0x5b, both, true)
	two("vcvtdq2pd", 1, 2, 0, 0xe6, both, true)
	two("vcvtpd2dq", 1, 3, 0, 0xe6, both, true)
	two("vcvttpd2dq", 1, 1, 0, 0xe6, both, true)
	two("vcvtps2pd", 1, 0, 0, 0x5a, both, true)
	two("vcvtpd2ps", 1, 1, 0, 0x5a, both, true)
	nds("vcvtss2sd", 1, 2, 0, 0x5a, l128, true)
	nds("vcvtsd2ss", 1, 3, 0, 0x5a, l128, true)
	for _, c := range []struct {
		name string
		pp   byte
	}{{"vcvtsi2ss", 2}, {"vcvtsi2sd", 3}} {
		add(vexCase{name: c.name + "-32", bytes: vexEnc(1, c.pp, 0, 0, 1, 0x2a, 0xc1), fp: true})
		add(vexCase{name: c.name + "-mem", bytes: vexEnc(1, c.pp, 0, 0, 1, 0x2a, 0x03), fp: true})
		add(vexCase{name: c.name + "-64", bytes: vexEnc(1, c.pp, 1, 0, 1, 0x2a, 0xc1), fp: true, regs64: true})
	}
	for _, c := range []struct {
		name    string
		pp, opc byte
	}{{"vcvtss2si", 2, 0x2d}, {"vcvttss2si", 2, 0x2c}, {"vcvtsd2si", 3, 0x2d}, {"vcvttsd2si", 3, 0x2c}} {
		add(vexCase{name: c.name + "-32", bytes: vexEnc(1, c.pp, 0, 0, 0, c.opc, 0xc1), fp: true})
		add(vexCase{name: c.name + "-mem", bytes: vexEnc(1, c.pp, 0, 0, 0, c.opc, 0x03), fp: true})
		add(vexCase{name: c.name + "-64", bytes: vexEnc(1, c.pp, 1, 0, 0, c.opc, 0xc1), fp: true, regs64: true})
	}

	// Inserts and extracts with general registers and memory.
	add(vexCase{name: "vpextrb", bytes: vexEnc(3, 1, 0, 0, 0, 0x14, 0xc1, 9)})
	add(vexCase{name: "vpextrb-mem", bytes: vexEnc(3, 1, 0, 0, 0, 0x14, 0x03, 3)})
	add(vexCase{name: "vpextrw", bytes: vexEnc(1, 1, 0, 0, 0, 0xc5, 0xc1, 5)})
	add(vexCase{name: "vpextrw-3a", bytes: vexEnc(3, 1, 0, 0, 0, 0x15, 0xc1, 6)})
	add(vexCase{name: "vpextrd", bytes: vexEnc(3, 1, 0, 0, 0, 0x16, 0xc1, 3)})
	add(vexCase{name: "vpextrd-mem", bytes: vexEnc(3, 1, 0, 0, 0, 0x16, 0x03, 1)})
	add(vexCase{name: "vpextrq", bytes: vexEnc(3, 1, 1, 0, 0, 0x16, 0xc1, 1), regs64: true})
	add(vexCase{name: "vextractps", bytes: vexEnc(3, 1, 0, 0, 0, 0x17, 0xc1, 2)})
	add(vexCase{name: "vpinsrb", bytes: vexEnc(3, 1, 0, 0, 1, 0x20, 0xc1, 13)})
	add(vexCase{name: "vpinsrb-mem", bytes: vexEnc(3, 1, 0, 0, 1, 0x20, 0x03, 2)})
	add(vexCase{name: "vpinsrw", bytes: vexEnc(1, 1, 0, 0, 1, 0xc4, 0xc1, 6)})
	add(vexCase{name: "vpinsrd", bytes: vexEnc(3, 1, 0, 0, 1, 0x22, 0xc1, 2)})
	add(vexCase{name: "vpinsrq", bytes: vexEnc(3, 1, 1, 0, 1, 0x22, 0xc1, 1), regs64: true})
	nds("vinsertps", 3, 1, 0, 0x21, l128, false, 0x1c, 0xd5, 0x40)

	// AVX-only and AVX2 cross-lane forms.
	add(vexCase{name: "vbroadcastss-mem/128", bytes: vexEnc(2, 1, 0, 0, 0, 0x18, 0x03)})
	add(vexCase{name: "vbroadcastss-mem/256", bytes: vexEnc(2, 1, 0, 1, 0, 0x18, 0x03)})
	add(vexCase{name: "vbroadcastsd-mem", bytes: vexEnc(2, 1, 0, 1, 0, 0x19, 0x03)})
	add(vexCase{name: "vbroadcastf128", bytes: vexEnc(2, 1, 0, 1, 0, 0x1a, 0x03)})
	nds("vinsertf128", 3, 1, 0, 0x18, l256, false, 0, 1)
	add(vexCase{name: "vextractf128", bytes: vexEnc(3, 1, 0, 1, 0, 0x19, 0xc1, 1)})
	add(vexCase{name: "vextractf128-mem", bytes: vexEnc(3, 1, 0, 1, 0, 0x19, 0x03, 1)})
	nds("vperm2f128", 3, 1, 0, 0x06, l256, false, 0x20, 0x31, 0x08, 0x83)
	nds("vpermilps", 2, 1, 0, 0x0c, both, false)
	nds("vpermilpd", 2, 1, 0, 0x0d, both, false)
	two("vpermilps-imm", 3, 1, 0, 0x04, both, false, 0x1b, 0xe4)
	two("vpermilpd-imm", 3, 1, 0, 0x05, both, false, 0x5, 0xa)
	for _, l := range both {
		for _, m := range []struct {
			name    string
			w, opc  byte
			storeOp byte
		}{{"vmaskmovps", 0, 0x2c, 0x2e}, {"vmaskmovpd", 0, 0x2d, 0x2f}} {
			add(vexCase{name: fmt.Sprintf("%s-load/%d", m.name, l), bytes: vexEnc(2, 1, m.w, l, 1, m.opc, 0x03)})
			add(vexCase{name: fmt.Sprintf("%s-store/%d", m.name, l), bytes: vexEnc(2, 1, m.w, l, 1, m.storeOp, 0x03)})
		}
	}
	add(vexCase{name: "vmaskmovdqu", bytes: seq([]byte{0x89, 0xdf}, vexEnc(1, 1, 0, 0, 0, 0xf7, 0xc1))})
	if host["avx2"] {
		for name, b := range map[string][2]byte{"vpbroadcastb": {0x78, 0}, "vpbroadcastw": {0x79, 0}, "vpbroadcastd": {0x58, 0},
			"vpbroadcastq": {0x59, 0}, "vbroadcastss": {0x18, 0}, "vbroadcastsd": {0x19, 1}} {
			for _, l := range both {
				if b[1] == 1 && l == 0 {
					continue
				}
				add(vexCase{name: fmt.Sprintf("%s/%d", name, l), bytes: vexEnc(2, 1, 0, l, 0, b[0], 0xc1)})
				add(vexCase{name: fmt.Sprintf("%s-mem/%d", name, l), bytes: vexEnc(2, 1, 0, l, 0, b[0], 0x03)})
			}
		}
		add(vexCase{name: "vbroadcasti128", bytes: vexEnc(2, 1, 0, 1, 0, 0x5a, 0x03)})
		nds("vinserti128", 3, 1, 0, 0x38, l256, false, 0, 1)
		add(vexCase{name: "vextracti128", bytes: vexEnc(3, 1, 0, 1, 0, 0x39, 0xc1, 1)})
		add(vexCase{name: "vextracti128-mem", bytes: vexEnc(3, 1, 0, 1, 0, 0x39, 0x03, 0)})
		nds("vperm2i128", 3, 1, 0, 0x46, l256, false, 0x20, 0x31, 0x08, 0x83)
		nds("vpermd", 2, 1, 0, 0x36, l256, false)
		nds("vpermps", 2, 1, 0, 0x16, l256, false)
		two("vpermq", 3, 1, 1, 0x00, l256, false, 0x1b, 0xe4, 0x4e)
		two("vpermpd", 3, 1, 1, 0x01, l256, false, 0x1b, 0x93)
		nds("vpblendd", 3, 1, 0, 0x02, both, false, 0x5a, 0xc3)
		nds("vpsllvd", 2, 1, 0, 0x47, both, false)
		nds("vpsllvq", 2, 1, 1, 0x47, both, false)
		nds("vpsrlvd", 2, 1, 0, 0x45, both, false)
		nds("vpsrlvq", 2, 1, 1, 0x45, both, false)
		nds("vpsravd", 2, 1, 0, 0x46, both, false)
		for _, l := range both {
			add(vexCase{name: fmt.Sprintf("vpmaskmovd-load/%d", l), bytes: vexEnc(2, 1, 0, l, 1, 0x8c, 0x03)})
			add(vexCase{name: fmt.Sprintf("vpmaskmovq-load/%d", l), bytes: vexEnc(2, 1, 1, l, 1, 0x8c, 0x03)})
			add(vexCase{name: fmt.Sprintf("vpmaskmovd-store/%d", l), bytes: vexEnc(2, 1, 0, l, 1, 0x8e, 0x03)})
			add(vexCase{name: fmt.Sprintf("vpmaskmovq-store/%d", l), bytes: vexEnc(2, 1, 1, l, 1, 0x8e, 0x03)})
		}
		// Gathers: vgather ymm0, [rbx + ymm2*s + 64], ymm1 (ModRM 01 000
		// 100, SIB ss 010 011, disp8 64), indices small enough to stay
		// in the scratch memory.
		idxPrep := func(r *rand.Rand, y *[4][4]uint64, idx32 bool) {
			for i := 0; i < 4; i++ {
				lo, hi := uint64(r.IntN(12)), uint64(r.IntN(12))
				if idx32 && r.IntN(2) == 0 {
					y[2][i] = lo | hi<<32 // dword indices
				} else {
					y[2][i] = uint64(int64(r.IntN(20) - 8)) // qword indices, some negative
				}
			}
		}
		for _, g := range []struct {
			name  string
			w, op byte
		}{
			{"vgatherdps", 0, 0x92}, {"vgatherdpd", 1, 0x92}, {"vgatherqps", 0, 0x93}, {"vgatherqpd", 1, 0x93},
			{"vpgatherdd", 0, 0x90}, {"vpgatherdq", 1, 0x90}, {"vpgatherqd", 0, 0x91}, {"vpgatherqq", 1, 0x91},
		} {
			for _, l := range both {
				for _, sc := range []byte{0, 2, 3} {
					idx32 := g.op&1 == 0
					add(vexCase{name: fmt.Sprintf("%s/%d-s%d", g.name, l, 1<<sc), prep: func(r *rand.Rand, y *[4][4]uint64, _ []byte, _ *[16]uint64) {
						idxPrep(r, y, idx32)
						if sc == 3 {
							for i := 0; i < 4; i++ {
								y[2][i] &= 0x0000000700000007 // stay inside for scale 8
								if !idx32 {
									y[2][i] &= 7
								}
							}
						}
					}, bytes: vexEnc(2, 1, g.w, l, 1, g.op, 0x44, sc<<6|2<<3|3, 64)})
				}
			}
		}
	}

	// FMA3: vfmadd/vfmsub/vfnmadd/vfnmsub 132/213/231 ps pd ss sd and
	// vfmaddsub/vfmsubadd.
	if host["fma"] {
		for _, base := range []struct {
			name   string
			packed byte
			scalar byte
		}{{"vfmadd", 0x98, 0x99}, {"vfmsub", 0x9a, 0x9b}, {"vfnmadd", 0x9c, 0x9d}, {"vfnmsub", 0x9e, 0x9f},
			{"vfmaddsub", 0x96, 0}, {"vfmsubadd", 0x97, 0}} {
			for k, form := range []string{"132", "213", "231"} {
				off := byte(0x10 * k)
				nds(base.name+form+"ps", 2, 1, 0, base.packed+off, both, true)
				nds(base.name+form+"pd", 2, 1, 1, base.packed+off, both, true)
				if base.scalar != 0 {
					nds(base.name+form+"ss", 2, 1, 0, base.scalar+off, l128, true)
					nds(base.name+form+"sd", 2, 1, 1, base.scalar+off, l128, true)
				}
			}
		}
	}
	// F16C.
	if host["f16c"] {
		two("vcvtph2ps", 2, 1, 0, 0x13, both, true)
		for _, l := range both {
			for _, imm := range []byte{0, 1, 2, 3, 4} {
				add(vexCase{name: fmt.Sprintf("vcvtps2ph/%d-%d", l, imm), bytes: vexEnc(3, 1, 0, l, 0, 0x1d, 0xc8, imm), fp: true})
				add(vexCase{name: fmt.Sprintf("vcvtps2ph-mem/%d-%d", l, imm), bytes: vexEnc(3, 1, 0, l, 0, 0x1d, 0x0b, imm), fp: true})
			}
		}
	}
	// SSE4.2 string compares, AES-NI and PCLMULQDQ (VEX.128).
	for _, imm := range []byte{0x00, 0x0c, 0x18, 0x44, 0x3a, 0x01, 0x70} {
		for name, opc := range map[string]byte{"vpcmpestrm": 0x60, "vpcmpestri": 0x61, "vpcmpistrm": 0x62, "vpcmpistri": 0x63} {
			add(vexCase{name: fmt.Sprintf("%s-%#x", name, imm), bytes: vexEnc(3, 1, 0, 0, 0, opc, 0xc1, imm)})
		}
	}
	add(vexCase{name: "vpcmpestri-64", bytes: vexEnc(3, 1, 1, 0, 0, 0x61, 0xc1, 0x0c), regs64: true})
	add(vexCase{name: "vpcmpistri-mem", bytes: vexEnc(3, 1, 0, 0, 0, 0x63, 0x43, 0x01, 0x0c)})
	if host["aes"] {
		for name, opc := range map[string]byte{"vaesenc": 0xdc, "vaesenclast": 0xdd, "vaesdec": 0xde, "vaesdeclast": 0xdf} {
			nds(name, 2, 1, 0, opc, l128, false)
		}
		two("vaesimc", 2, 1, 0, 0xdb, l128, false)
		two("vaeskeygenassist", 3, 1, 0, 0xdf, l128, false, 0, 0x1b)
	}
	if host["pclmulqdq"] {
		nds("vpclmulqdq", 3, 1, 0, 0x44, l128, false, 0, 1, 0x10, 0x11)
	}
	// Registers 8-15 (VEX.R, VEX.X, VEX.B and vvvv[3]): copy ymm1 and
	// ymm2 up, operate there, copy the result back to ymm0.
	hi := func(name string, op ...byte) {
		b := []byte{0xc5, 0x7d, 0x6f, 0xc9}   // vmovdqa ymm9, ymm1
		b = append(b, 0xc5, 0x7d, 0x6f, 0xe2) // vmovdqa ymm12, ymm2
		b = append(b, 0xc5, 0x7d, 0x6f, 0xc3) // vmovdqa ymm8, ymm3
		b = append(b, op...)
		b = append(b, 0xc4, 0xc1, 0x7d, 0x6f, 0xc0) // vmovdqa ymm0, ymm8
		add(vexCase{name: "hi-" + name, bytes: b, regs64: true, fp: true})
	}
	hi("vpaddd", 0xc4, 0x41, 0x35, 0xfe, 0xc4)          // vpaddd ymm8, ymm9, ymm12
	hi("vaddps", 0xc4, 0x41, 0x34, 0x58, 0xc4)          // vaddps ymm8, ymm9, ymm12
	hi("vfmadd231ps", 0xc4, 0x42, 0x35, 0xb8, 0xc4)     // vfmadd231ps ymm8, ymm9, ymm12
	hi("vpermd", 0xc4, 0x42, 0x35, 0x36, 0xc4)          // vpermd ymm8, ymm9, ymm12
	hi("vblendvps", 0xc4, 0x43, 0x35, 0x4a, 0xc4, 0xc0) // vblendvps ymm8, ymm9, ymm12, ymm12
	hi("vpsrld-imm", 0xc4, 0xc1, 0x3d, 0x72, 0xd1, 3)   // vpsrld ymm8, ymm9, 3
	hi("vmovups-mem", 0xc4, 0x61, 0x7c, 0x10, 0x03)     // vmovups ymm8, [rbx]
	return cs
}

// TestDifferentialVex compares the interpreter with the host CPU on the
// VEX forms.
func TestDifferentialVex(t *testing.T) {
	host := hostFeatures()
	if !host["avx"] {
		t.Fatal("the host has no AVX: the VEX forms cannot be compared")
	}
	cases := vexCases(host)
	state, code := nativeBuffers(t)
	scratch := state + nvScratch
	const iters = 300
	rng := rand.New(rand.NewPCG(3, 4))
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		e := newEnv(t, mode)
		for _, tc := range cases {
			if mode == mm.Mode32 && tc.regs64 {
				continue
			}
			t.Run(fmt.Sprintf("%v/%s", mode, tc.name), func(t *testing.T) {
				h := vexHarness(tc.bytes)
				copy(guestBytes(code, uint64(len(h))), h)
				e.load(seq(tc.bytes, []byte{0xcc}))
				fails := 0
				for it := 0; it < iters && fails < 3; it++ {
					var regs [16]uint64
					for r := range regs {
						regs[r] = randValue(rng)
						if mode == mm.Mode32 {
							regs[r] &= 0xffffffff
						}
					}
					regs[cpu.RBX] = scratch
					regs[cpu.RSP] = 0
					flags := cpu.FlagR1 | cpu.FlagIF | rng.Uint64()&cpu.StatusFlags
					mem := make([]byte, nvScratchLen)
					for i := range mem {
						mem[i] = byte(rng.Uint32())
					}
					var y [4][4]uint64
					for i := range y {
						for j := range y[i] {
							y[i][j] = randValue(rng)
							switch (it + j) % 4 {
							case 1:
								y[i][j] = math.Float64bits(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20)))
							case 2:
								y[i][j] = uint64(math.Float32bits(float32(rng.NormFloat64()*1e3))) | uint64(math.Float32bits(float32(rng.NormFloat64())))<<32
							}
						}
						if it%5 == 0 {
							y[i][1] = y[0][1]
						}
					}
					if it%3 == 0 { // float-ish memory
						for k := 0; k < nvScratchLen/8; k++ {
							copy(mem[8*k:], le64(math.Float64bits(rng.NormFloat64())))
						}
					}
					if tc.prep != nil {
						tc.prep(rng, &y, mem, &regs)
					}
					mx := uint32(0x1f80)
					if tc.fp && it%2 == 1 {
						mx |= rng.Uint32() & (0x6000 | 0x8000 | 0x40)
					}
					st := guestBytes(state, nsSize)
					for r := 0; r < 16; r++ {
						copy(st[8*r:], le64(regs[r]))
					}
					copy(st[nsFlags:], le64(flags))
					copy(st[nvScratch:], mem)
					for i := range y {
						for j := range y[i] {
							copy(st[nvYmm+32*i+8*j:], le64(y[i][j]))
						}
					}
					copy(st[nsMxcsr:], le64(uint64(mx))[:4])
					copy(st[nsMxcsrGo:], le64(0x1f80)[:4])
					nativeCall(uintptr(code), uintptr(state))
					wantMx := uint32(load64(state + nsMxcsr))
					var wantY [4][4]uint64
					for i := range wantY {
						for j := range wantY[i] {
							wantY[i][j] = load64(state + nvYmm + uint64(32*i+8*j))
						}
					}
					var want [16]uint64
					for r := 0; r < 16; r++ {
						want[r] = load64(state + uint64(8*r))
					}
					wantFlags := load64(state + nsFlags)
					wantMem := append([]byte(nil), st[nvScratch:nvScratch+nvScratchLen]...)
					// Interpreted run.
					copy(st[nvScratch:], mem)
					e.c.Regs = regs
					e.c.Regs[cpu.RSP] = e.base + envSize - 64
					e.c.SetRFLAGS(flags)
					for i := range e.c.X {
						e.c.X[i] = [4]uint64{}
					}
					for i := range y {
						e.c.X[i] = y[i]
					}
					e.c.RIP = e.base
					e.c.MXCSR = mx
					ex := e.m.Run(e.c)
					if ex.Signal != unix.SIGTRAP {
						t.Fatalf("% x: interpreter stopped with %+v", tc.bytes, ex)
					}
					got := e.c.Regs
					got[cpu.RSP], want[cpu.RSP] = 0, 0
					gotFlags := e.c.RFLAGS()
					gotMem := guestBytes(scratch, nvScratchLen)
					var gotY [4][4]uint64
					copy(gotY[:], e.c.X[:4])
					bad := false
					if got != want || gotFlags&cpu.StatusFlags != wantFlags&cpu.StatusFlags {
						bad = true
						t.Errorf("% x: regs from %#x flags %#x:\n got %#x flags %#x\nwant %#x flags %#x", tc.bytes, regs, flags, got, gotFlags, want, wantFlags)
					}
					if e.c.MXCSR != wantMx {
						bad = true
						t.Errorf("% x: mxcsr from %#x: got %#x, want %#x", tc.bytes, mx, e.c.MXCSR, wantMx)
					}
					if gotY != wantY {
						bad = true
						t.Errorf("% x: ymm0-3 from %#x (mxcsr %#x):\n got %#x\nwant %#x", tc.bytes, y, mx, gotY, wantY)
					}
					if string(gotMem) != string(wantMem) {
						bad = true
						t.Errorf("% x: memory:\n got % x\nwant % x", tc.bytes, gotMem[:64], wantMem[:64])
					}
					if bad {
						fails++
					}
				}
			})
		}
	}
}
