package engine

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// Differential tests: every instruction below runs on the host CPU and in
// the interpreter from the same registers, flags and memory, and the
// results must agree except in flags the architecture leaves undefined.
// The host is x86-64; forms without REX run in Mode32 too, where they
// mean the same thing.

// nativeState is the layout the generated harness reads and writes: the
// registers in encoding order (the cpu.RSP slot is unused) and RFLAGS.
const (
	nsFlags   = 16 * 8
	nsXmm     = 0x100 // xmm0 and xmm1, 16 bytes each
	nsMxcsr   = 0x140 // MXCSR for the instruction, and after it
	nsMxcsrGo = 0x144 // 0x1f80, reloaded for Go before returning
	nsScratch = 0x800 // 64 bytes of memory the instruction may use via cpu.RBX
	nsSize    = 0x1000
)

// nativeBuffers maps the state the harness reads and writes (below
// 2 GiB, where a Mode32 instruction can address its scratch memory) and an
// executable page for the harness; both are unmapped when the test ends.
func nativeBuffers(t *testing.T) (state, code uint64) {
	t.Helper()
	state, err := mapAnon(nsSize, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmapAnon(state, nsSize) })
	code, err = mapAnonProt(mm.PageSize, false, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmapAnon(code, mm.PageSize) })
	return state, code
}

// harness returns host code that loads every register but cpu.RSP and the
// flags from the state at cpu.RDI, runs inst, stores them back and returns,
// preserving the registers Go relies on.
func harness(inst []byte) []byte {
	var b []byte
	emit := func(x ...byte) { b = append(b, x...) }
	// push rbx, rbp, r12..r15; push rdi
	emit(0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x57)
	emit(0x48, 0x8b, 0x87) // mov rax, [rdi+flags]
	emit(le32(nsFlags)...)
	emit(0x50, 0x9d)             // push rax; popfq
	emit(0xf3, 0x0f, 0x6f, 0x87) // movdqu xmm0, [rdi+xmm0 slot]
	emit(le32(nsXmm)...)
	emit(0xf3, 0x0f, 0x6f, 0x8f) // movdqu xmm1, [rdi+xmm1 slot]
	emit(le32(nsXmm + 16)...)
	emit(0x0f, 0xae, 0x97) // ldmxcsr [rdi+mxcsr slot]
	emit(le32(nsMxcsr)...)
	movReg := func(opc byte, r int) { // mov r64, [rdi+8r] / mov [rdi+8r], r64
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
	emit(0x48, 0x87, 0x3c, 0x24) // xchg rdi, [rsp]
	for r := 0; r < 16; r++ {
		if r != int(cpu.RSP) && r != int(cpu.RDI) {
			movReg(0x89, r)
		}
	}
	emit(0x0f, 0xae, 0x9f) // stmxcsr [rdi+mxcsr slot]
	emit(le32(nsMxcsr)...)
	emit(0x0f, 0xae, 0x97) // ldmxcsr [rdi+Go's mxcsr slot]
	emit(le32(nsMxcsrGo)...)
	emit(0xf3, 0x0f, 0x7f, 0x87) // movdqu [rdi+xmm0 slot], xmm0
	emit(le32(nsXmm)...)
	emit(0xf3, 0x0f, 0x7f, 0x8f) // movdqu [rdi+xmm1 slot], xmm1
	emit(le32(nsXmm + 16)...)
	emit(0x58)                   // pop rax (guest rdi)
	emit(0x48, 0x89, 0x47, 0x38) // mov [rdi+56], rax
	emit(0x9c, 0x58)             // pushfq; pop rax
	emit(0x48, 0x89, 0x87)       // mov [rdi+flags], rax
	emit(le32(nsFlags)...)
	emit(0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3)
	return b
}

// diffCase is one instruction under differential test.
type diffCase struct {
	name  string
	bytes []byte
	// undef returns the flags left undefined for these inputs; skip
	// reports inputs whose result is undefined or that would fault.
	undef func(r *[16]uint64) uint64
	skip  func(r *[16]uint64) bool
	// regs64 marks REX forms that exist only in Mode64.
	regs64 bool
	// mxcsr: run under random rounding modes, FTZ and DAZ (exceptions
	// masked) and compare MXCSR too.
	mxcsr bool
}

func undefNone(*[16]uint64) uint64 { return 0 }

func constUndef(f uint64) func(*[16]uint64) uint64 {
	return func(*[16]uint64) uint64 { return f }
}

// shiftUndef: AF always (for a nonzero count), OF unless the count is 1.
func shiftUndef(size int, countFromCL bool, imm uint64, af bool) func(r *[16]uint64) uint64 {
	return func(r *[16]uint64) uint64 {
		cnt := imm
		if countFromCL {
			cnt = r[cpu.RCX] & 0xff
		}
		if size == 8 {
			cnt &= 63
		} else {
			cnt &= 31
		}
		if cnt == 0 {
			return 0
		}
		var u uint64
		if af {
			u |= cpu.FlagAF
		}
		if cnt != 1 {
			u |= cpu.FlagOF
		}
		return u
	}
}

// sizeForms returns the byte, word, dword and qword forms of an
// instruction whose byte form uses opcode b and the others opcode w.
type form struct {
	size   int
	prefix []byte
	opc    byte
}

func forms(b, w byte) []form {
	return []form{{1, nil, b}, {2, []byte{0x66}, w}, {4, nil, w}, {8, []byte{0x48}, w}}
}

func diffCases(host map[string]bool) []diffCase {
	var cs []diffCase
	add := func(name string, size int, bytes []byte, undef func(*[16]uint64) uint64, skip func(*[16]uint64) bool) {
		if undef == nil {
			undef = undefNone
		}
		cs = append(cs, diffCase{name: fmt.Sprintf("%s/%d", name, size*8), bytes: bytes, undef: undef, skip: skip,
			regs64: size == 8 || (len(bytes) > 0 && bytes[0]&0xf0 == 0x40)})
	}
	// Binary ALU, op r/m, reg (eax/al, ecx/cl) and a memory destination.
	alu := []struct {
		name  string
		b     byte
		logic bool
	}{{"add", 0x00, false}, {"or", 0x08, true}, {"adc", 0x10, false}, {"sbb", 0x18, false},
		{"and", 0x20, true}, {"sub", 0x28, false}, {"xor", 0x30, true}, {"cmp", 0x38, false}, {"test", 0x84, true}}
	for _, a := range alu {
		var u func(*[16]uint64) uint64
		if a.logic {
			u = constUndef(cpu.FlagAF)
		}
		for _, f := range forms(a.b, a.b+1) {
			add(a.name, f.size, seq(f.prefix, []byte{f.opc, 0xc8}), u, nil)
			add(a.name+"-mem", f.size, seq(f.prefix, []byte{f.opc, 0x0b}), u, nil)
		}
		add(a.name+"-ah", 1, []byte{a.b, 0xe0}, u, nil)
		if a.b != 0x84 {
			// op r/m, imm8 sign-extended (83 /n) and op al, imm8 (80 /n).
			n := a.b >> 3
			add(a.name+"-imm8", 4, []byte{0x83, 0xc0 | n<<3, 0x85}, u, nil)
			add(a.name+"-imm8", 8, []byte{0x48, 0x83, 0xc0 | n<<3, 0x7f}, u, nil)
			add(a.name+"-imm", 1, []byte{0x80, 0xc0 | n<<3, 0xf0}, u, nil)
			add(a.name+"-imm32", 8, []byte{0x48, 0x81, 0xc1 | n<<3, 0x00, 0x00, 0x00, 0x80}, u, nil)
		}
	}
	// Unary group 3 and inc/dec.
	for _, f := range forms(0xf6, 0xf7) {
		add("not", f.size, seq(f.prefix, []byte{f.opc, 0xd1}), nil, nil)
		add("neg", f.size, seq(f.prefix, []byte{f.opc, 0xd9}), nil, nil)
		add("mul", f.size, seq(f.prefix, []byte{f.opc, 0xe1}), constUndef(cpu.FlagSF|cpu.FlagZF|cpu.FlagAF|cpu.FlagPF), nil)
		add("imul1", f.size, seq(f.prefix, []byte{f.opc, 0xe9}), constUndef(cpu.FlagSF|cpu.FlagZF|cpu.FlagAF|cpu.FlagPF), nil)
		add("div", f.size, seq(f.prefix, []byte{f.opc, 0xf1}), constUndef(cpu.StatusFlags), divSkip(f.size, false))
		add("idiv", f.size, seq(f.prefix, []byte{f.opc, 0xf9}), constUndef(cpu.StatusFlags), divSkip(f.size, true))
	}
	for _, f := range forms(0xfe, 0xff) {
		add("inc", f.size, seq(f.prefix, []byte{f.opc, 0xc0}), nil, nil)
		add("dec", f.size, seq(f.prefix, []byte{f.opc, 0xc8}), nil, nil)
		add("inc-mem", f.size, seq(f.prefix, []byte{f.opc, 0x03}), nil, nil)
	}
	// Shifts and rotates by CL, by 1 and by an immediate.
	shifts := []struct {
		name string
		n    byte
		af   bool
	}{{"rol", 0, false}, {"ror", 1, false}, {"rcl", 2, false}, {"rcr", 3, false}, {"shl", 4, true}, {"shr", 5, true}, {"sar", 7, true}}
	for _, s := range shifts {
		for _, f := range forms(0xd2, 0xd3) {
			add(s.name+"-cl", f.size, seq(f.prefix, []byte{f.opc, 0xc0 | s.n<<3}), shiftUndef(f.size, true, 0, s.af), nil)
		}
		for _, f := range forms(0xd0, 0xd1) {
			add(s.name+"-1", f.size, seq(f.prefix, []byte{f.opc, 0xc0 | s.n<<3}), shiftUndef(f.size, false, 1, s.af), nil)
		}
		for _, f := range forms(0xc0, 0xc1) {
			add(s.name+"-imm", f.size, seq(f.prefix, []byte{f.opc, 0xc0 | s.n<<3, 7}), shiftUndef(f.size, false, 7, s.af), nil)
		}
	}
	// shld/shrd by CL and by an immediate.
	for _, sz := range []int{2, 4, 8} {
		p := map[int][]byte{2: {0x66}, 4: nil, 8: {0x48}}[sz]
		skip16 := func(r *[16]uint64) bool { return sz == 2 && r[cpu.RCX]&31 > 16 }
		add("shld-cl", sz, seq(p, []byte{0x0f, 0xa5, 0xc8}), shiftUndef(sz, true, 0, true), skip16)
		add("shrd-cl", sz, seq(p, []byte{0x0f, 0xad, 0xc8}), shiftUndef(sz, true, 0, true), skip16)
		add("shld-imm", sz, seq(p, []byte{0x0f, 0xa4, 0xc8, 5}), shiftUndef(sz, false, 5, true), nil)
		add("shrd-imm", sz, seq(p, []byte{0x0f, 0xac, 0xc8, 1}), shiftUndef(sz, false, 1, true), nil)
		btU := constUndef(cpu.FlagOF | cpu.FlagSF | cpu.FlagAF | cpu.FlagPF)
		for i, name := range []string{"bt", "bts", "btr", "btc"} {
			add(name, sz, seq(p, []byte{0x0f, 0xa3 + byte(i)*8, 0xc8}), btU, nil)
			add(name+"-imm", sz, seq(p, []byte{0x0f, 0xba, 0xe0 | byte(4+i)<<3&0x18 | byte(i)<<3, 13}), btU, nil)
			add(name+"-mem", sz, seq(p, []byte{0x0f, 0xa3 + byte(i)*8, 0x0b}), btU, btMemSkip(sz))
		}
		add("bsf", sz, seq(p, []byte{0x0f, 0xbc, 0xc1}), constUndef(cpu.FlagCF|cpu.FlagOF|cpu.FlagSF|cpu.FlagAF|cpu.FlagPF), nil)
		add("bsr", sz, seq(p, []byte{0x0f, 0xbd, 0xc1}), constUndef(cpu.FlagCF|cpu.FlagOF|cpu.FlagSF|cpu.FlagAF|cpu.FlagPF), nil)
		if host["bmi1"] {
			add("tzcnt", sz, seq([]byte{0xf3}, p, []byte{0x0f, 0xbc, 0xc1}), constUndef(cpu.FlagOF|cpu.FlagSF|cpu.FlagAF|cpu.FlagPF), nil)
		}
		if host["abm"] {
			add("lzcnt", sz, seq([]byte{0xf3}, p, []byte{0x0f, 0xbd, 0xc1}), constUndef(cpu.FlagOF|cpu.FlagSF|cpu.FlagAF|cpu.FlagPF), nil)
		}
		if host["popcnt"] {
			add("popcnt", sz, seq([]byte{0xf3}, p, []byte{0x0f, 0xb8, 0xc1}), nil, nil)
		}
		mulU := constUndef(cpu.FlagSF | cpu.FlagZF | cpu.FlagAF | cpu.FlagPF)
		add("imul2", sz, seq(p, []byte{0x0f, 0xaf, 0xc1}), mulU, nil)
		add("imul3-imm8", sz, seq(p, []byte{0x6b, 0xc1, 0x85}), mulU, nil)
		imm := []byte{0x69, 0xc1, 0x34, 0x12}
		if sz != 2 {
			imm = append(imm, 0x78, 0x86)
		}
		add("imul3", sz, seq(p, imm), mulU, nil)
		add("cmov-l", sz, seq(p, []byte{0x0f, 0x4c, 0xc1}), nil, nil)
		add("cmov-a", sz, seq(p, []byte{0x0f, 0x47, 0xc1}), nil, nil)
		add("cmov-ne-mem", sz, seq(p, []byte{0x0f, 0x45, 0x03}), nil, nil)
		add("movzx8", sz, seq(p, []byte{0x0f, 0xb6, 0xc1}), nil, nil)
		add("movsx8", sz, seq(p, []byte{0x0f, 0xbe, 0xc1}), nil, nil)
		if sz != 2 {
			add("movzx16", sz, seq(p, []byte{0x0f, 0xb7, 0xc1}), nil, nil)
			add("movsx16", sz, seq(p, []byte{0x0f, 0xbf, 0xc1}), nil, nil)
			add("bswap", sz, seq(p, []byte{0x0f, 0xc9}), nil, nil)
		}
		add("cbw", sz, seq(p, []byte{0x98}), nil, nil)
		add("cwd", sz, seq(p, []byte{0x99}), nil, nil)
		add("lea-sib", sz, seq(p, []byte{0x8d, 0x44, 0x8a, 0x7c}), nil, nil)
	}
	for _, f := range forms(0x86, 0x87) {
		add("xchg", f.size, seq(f.prefix, []byte{f.opc, 0xc8}), nil, nil)
		add("xchg-mem", f.size, seq(f.prefix, []byte{f.opc, 0x0b}), nil, nil)
	}
	for _, f := range forms(0xc0, 0xc1) {
		add("xadd", f.size, seq(f.prefix, []byte{0x0f, f.opc, 0xc8}), nil, nil)
		add("xadd-mem", f.size, seq(f.prefix, []byte{0x0f, f.opc, 0x0b}), nil, nil)
	}
	for _, f := range forms(0xb0, 0xb1) {
		add("cmpxchg", f.size, seq(f.prefix, []byte{0x0f, f.opc, 0xca}), nil, nil)
		add("cmpxchg-mem", f.size, seq([]byte{0xf0}, f.prefix, []byte{0x0f, f.opc, 0x0b}), nil, nil)
	}
	add("cmpxchg8b", 8, []byte{0x0f, 0xc7, 0x0b}, nil, nil)
	cs[len(cs)-1].regs64 = false
	add("cmpxchg16b", 16, []byte{0x48, 0x0f, 0xc7, 0x0b}, nil, nil)
	add("lock-cmpxchg8b", 8, []byte{0xf0, 0x0f, 0xc7, 0x0b}, nil, nil)
	cs[len(cs)-1].regs64 = false
	add("lock-cmpxchg8b-split", 8, []byte{0xf0, 0x0f, 0xc7, 0x4b, 0x04}, nil, nil)
	cs[len(cs)-1].regs64 = false
	add("lock-cmpxchg16b", 16, []byte{0xf0, 0x48, 0x0f, 0xc7, 0x0b}, nil, nil)
	cs[len(cs)-1].regs64 = true
	cs = append(cs, lockedDiffCases()...)
	add("movsxd", 8, []byte{0x48, 0x63, 0xc1}, nil, nil)
	for cc := byte(0); cc < 16; cc++ {
		add(fmt.Sprintf("set%d", cc), 1, []byte{0x0f, 0x90 + cc, 0xc0}, nil, nil)
	}
	add("setcc-ah", 1, []byte{0x0f, 0x94, 0xc4}, nil, nil)
	// Conditional jumps after cmp/test (fused into one op) and after
	// other producers: jcc +5 skips `mov edx, 1`.
	skip := []byte{0xba, 1, 0, 0, 0}
	for cc := byte(0); cc < 16; cc++ {
		add(fmt.Sprintf("cmp-j%d", cc), 4, seq([]byte{0x39, 0xc8, 0x70 | cc, 0x05}, skip), nil, nil)
		add(fmt.Sprintf("cmp8-imm-j%d", cc), 1, seq([]byte{0x80, 0xf9, 0x80, 0x70 | cc, 0x05}, skip), nil, nil)
		add(fmt.Sprintf("test-j%d", cc), 2, seq([]byte{0x66, 0x85, 0xc8, 0x70 | cc, 0x05}, skip), constUndef(cpu.FlagAF), nil)
		add(fmt.Sprintf("cmp-j%d", cc), 8, seq([]byte{0x48, 0x39, 0xc8, 0x0f, 0x80 | cc, 0x05, 0, 0, 0}, skip), nil, nil)
		add(fmt.Sprintf("dec-j%d", cc), 4, seq([]byte{0xff, 0xc9, 0x70 | cc, 0x05}, skip), nil, nil)
		add(fmt.Sprintf("sbb-j%d", cc), 4, seq([]byte{0x19, 0xc8, 0x70 | cc, 0x05}, skip), nil, nil)
	}
	add("lahf", 1, []byte{0x9f}, nil, nil)
	add("sahf", 1, []byte{0x9e}, nil, nil)
	add("clc", 1, []byte{0xf8}, nil, nil)
	add("stc", 1, []byte{0xf9}, nil, nil)
	add("cmc", 1, []byte{0xf5}, nil, nil)
	// Displacements with no base register: x86asm returns them
	// zero-extended, the CPU sign-extends them.
	add("lea-nobase", 8, []byte{0x48, 0x8d, 0x04, 0xcd, 0xf8, 0xff, 0xff, 0xff}, nil, nil)
	add("lea-nobase", 4, []byte{0x8d, 0x04, 0x4d, 0xf0, 0xff, 0xff, 0xff}, nil, nil)
	add("mov-ah", 1, []byte{0x88, 0xe1}, nil, nil)
	// The SSE2 integer subset, on xmm0/xmm1 and the scratch memory.
	sse := map[string][]byte{
		"pxor": {0x66, 0x0f, 0xef, 0xc1}, "por": {0x66, 0x0f, 0xeb, 0xc1}, "pand": {0x66, 0x0f, 0xdb, 0xc1},
		"pandn": {0x66, 0x0f, 0xdf, 0xc1}, "xorps": {0x0f, 0x57, 0xc1}, "andps": {0x0f, 0x54, 0xc1},
		"pcmpeqb": {0x66, 0x0f, 0x74, 0xc1}, "pcmpeqw": {0x66, 0x0f, 0x75, 0xc1}, "pcmpeqd": {0x66, 0x0f, 0x76, 0xc1},
		"pcmpgtb": {0x66, 0x0f, 0x64, 0xc1}, "pcmpgtw": {0x66, 0x0f, 0x65, 0xc1}, "pcmpgtd": {0x66, 0x0f, 0x66, 0xc1},
		"paddb": {0x66, 0x0f, 0xfc, 0xc1}, "paddw": {0x66, 0x0f, 0xfd, 0xc1}, "paddd": {0x66, 0x0f, 0xfe, 0xc1},
		"paddq": {0x66, 0x0f, 0xd4, 0xc1}, "psubb": {0x66, 0x0f, 0xf8, 0xc1}, "psubw": {0x66, 0x0f, 0xf9, 0xc1},
		"psubd": {0x66, 0x0f, 0xfa, 0xc1}, "psubq": {0x66, 0x0f, 0xfb, 0xc1}, "pminub": {0x66, 0x0f, 0xda, 0xc1},
		"pmaxub": {0x66, 0x0f, 0xde, 0xc1}, "punpcklbw": {0x66, 0x0f, 0x60, 0xc1}, "punpcklwd": {0x66, 0x0f, 0x61, 0xc1},
		"punpckldq": {0x66, 0x0f, 0x62, 0xc1}, "punpcklqdq": {0x66, 0x0f, 0x6c, 0xc1}, "punpckhbw": {0x66, 0x0f, 0x68, 0xc1},
		"punpckhwd": {0x66, 0x0f, 0x69, 0xc1}, "punpckhdq": {0x66, 0x0f, 0x6a, 0xc1}, "punpckhqdq": {0x66, 0x0f, 0x6d, 0xc1},
		"pmovmskb": {0x66, 0x0f, 0xd7, 0xc0}, "pshufd": {0x66, 0x0f, 0x70, 0xc1, 0x1b},
		"psrldq": {0x66, 0x0f, 0x73, 0xd8, 0x05}, "pslldq": {0x66, 0x0f, 0x73, 0xf8, 0x03},
		"psrlq-imm": {0x66, 0x0f, 0x73, 0xd0, 0x07}, "psllq-imm": {0x66, 0x0f, 0x73, 0xf0, 0x21},
		"psrld-imm": {0x66, 0x0f, 0x72, 0xd0, 0x03}, "psrad-imm": {0x66, 0x0f, 0x72, 0xe0, 0x03},
		"psrlw-imm": {0x66, 0x0f, 0x71, 0xd0, 0x03}, "psraw-imm": {0x66, 0x0f, 0x71, 0xe0, 0x0f},
		"psllw-imm": {0x66, 0x0f, 0x71, 0xf0, 0x11}, "psrlq": {0x66, 0x0f, 0xd3, 0xc1}, "psllq": {0x66, 0x0f, 0xf3, 0xc1},
		"movd-to": {0x66, 0x0f, 0x6e, 0xc1}, "movd-from": {0x66, 0x0f, 0x7e, 0xc1}, "movq-xx": {0xf3, 0x0f, 0x7e, 0xc1},
		"movdqa": {0x66, 0x0f, 0x6f, 0xc1}, "movdqu-load": {0xf3, 0x0f, 0x6f, 0x03}, "movdqu-store": {0xf3, 0x0f, 0x7f, 0x03},
		"movdqa-load": {0x66, 0x0f, 0x6f, 0x03}, "movaps-store": {0x0f, 0x29, 0x03}, "movups-load": {0x0f, 0x10, 0x43, 0x03},
		"movhps-store": {0x0f, 0x17, 0x03}, "movhps-load": {0x0f, 0x16, 0x03}, "movlps-load": {0x0f, 0x12, 0x03},
		"movq-store": {0x66, 0x0f, 0xd6, 0x03}, "movq-load": {0xf3, 0x0f, 0x7e, 0x03}, "pcmpeqb-mem": {0x66, 0x0f, 0x74, 0x03},
	}
	for name, b := range sse {
		add(name, 16, b, nil, nil)
		cs[len(cs)-1].regs64 = false
	}
	// Scalar floating point.
	fp := map[string][]byte{
		"addsd": {0xf2, 0x0f, 0x58, 0xc1}, "subsd": {0xf2, 0x0f, 0x5c, 0xc1}, "mulsd": {0xf2, 0x0f, 0x59, 0xc1},
		"divsd": {0xf2, 0x0f, 0x5e, 0xc1}, "minsd": {0xf2, 0x0f, 0x5d, 0xc1}, "maxsd": {0xf2, 0x0f, 0x5f, 0xc1},
		"sqrtsd": {0xf2, 0x0f, 0x51, 0xc1}, "addss": {0xf3, 0x0f, 0x58, 0xc1}, "subss": {0xf3, 0x0f, 0x5c, 0xc1},
		"mulss": {0xf3, 0x0f, 0x59, 0xc1}, "divss": {0xf3, 0x0f, 0x5e, 0xc1}, "minss": {0xf3, 0x0f, 0x5d, 0xc1},
		"maxss": {0xf3, 0x0f, 0x5f, 0xc1}, "sqrtss": {0xf3, 0x0f, 0x51, 0xc1}, "addsd-mem": {0xf2, 0x0f, 0x58, 0x03},
		"ucomisd": {0x66, 0x0f, 0x2e, 0xc1}, "comisd": {0x66, 0x0f, 0x2f, 0xc1}, "ucomiss": {0x0f, 0x2e, 0xc1},
		"cvtsi2sd": {0xf2, 0x0f, 0x2a, 0xc1}, "cvtsi2ss": {0xf3, 0x0f, 0x2a, 0xc1}, "cvttsd2si": {0xf2, 0x0f, 0x2c, 0xc1},
		"cvtsd2si": {0xf2, 0x0f, 0x2d, 0xc1}, "cvttss2si": {0xf3, 0x0f, 0x2c, 0xc1}, "cvtss2si": {0xf3, 0x0f, 0x2d, 0xc1},
		"cvtss2sd": {0xf3, 0x0f, 0x5a, 0xc1}, "cvtsd2ss": {0xf2, 0x0f, 0x5a, 0xc1},
		"movsd-xx": {0xf2, 0x0f, 0x10, 0xc1}, "movsd-load": {0xf2, 0x0f, 0x10, 0x03}, "movsd-store": {0xf2, 0x0f, 0x11, 0x03},
		"movss-xx": {0xf3, 0x0f, 0x10, 0xc1}, "movss-load": {0xf3, 0x0f, 0x10, 0x03}, "movss-store": {0xf3, 0x0f, 0x11, 0x03},
	}
	for name, b := range fp {
		add(name, 16, b, nil, nil)
		cs[len(cs)-1].regs64 = false
		cs[len(cs)-1].mxcsr = true
	}
	packed := map[string][]byte{
		"addps": {0x0f, 0x58, 0xc1}, "addpd": {0x66, 0x0f, 0x58, 0xc1}, "subps": {0x0f, 0x5c, 0xc1},
		"subpd": {0x66, 0x0f, 0x5c, 0xc1}, "mulps": {0x0f, 0x59, 0xc1}, "mulpd": {0x66, 0x0f, 0x59, 0xc1},
		"divps": {0x0f, 0x5e, 0xc1}, "divpd": {0x66, 0x0f, 0x5e, 0xc1}, "minps": {0x0f, 0x5d, 0xc1},
		"minpd": {0x66, 0x0f, 0x5d, 0xc1}, "maxps": {0x0f, 0x5f, 0xc1}, "maxpd": {0x66, 0x0f, 0x5f, 0xc1},
		"sqrtps": {0x0f, 0x51, 0xc1}, "sqrtpd": {0x66, 0x0f, 0x51, 0xc1}, "addps-mem": {0x0f, 0x58, 0x03},
		"unpcklps": {0x0f, 0x14, 0xc1}, "unpckhps": {0x0f, 0x15, 0xc1}, "unpcklpd": {0x66, 0x0f, 0x14, 0xc1},
		"unpckhpd": {0x66, 0x0f, 0x15, 0xc1}, "movmskps": {0x0f, 0x50, 0xc1}, "movmskpd": {0x66, 0x0f, 0x50, 0xc1},
		"shufps": {0x0f, 0xc6, 0xc1, 0x9c}, "shufpd": {0x66, 0x0f, 0xc6, 0xc1, 0x02}, "movhlps": {0x0f, 0x12, 0xc1},
		"movlhps": {0x0f, 0x16, 0xc1},
	}
	for pred := byte(0); pred < 8; pred++ {
		packed[fmt.Sprintf("cmpps-%d", pred)] = []byte{0x0f, 0xc2, 0xc1, pred}
		packed[fmt.Sprintf("cmppd-%d", pred)] = []byte{0x66, 0x0f, 0xc2, 0xc1, pred}
		packed[fmt.Sprintf("cmpss-%d", pred)] = []byte{0xf3, 0x0f, 0xc2, 0xc1, pred}
		packed[fmt.Sprintf("cmpsd-%d", pred)] = []byte{0xf2, 0x0f, 0xc2, 0xc1, pred}
	}
	for name, b := range packed {
		add(name, 16, b, nil, nil)
		cs[len(cs)-1].regs64 = false
		cs[len(cs)-1].mxcsr = true
	}
	add("cvtsi2sd-64", 8, []byte{0xf2, 0x48, 0x0f, 0x2a, 0xc1}, nil, nil)
	add("cvtsi2ss-64", 8, []byte{0xf3, 0x48, 0x0f, 0x2a, 0xc1}, nil, nil)
	add("cvttsd2si-64", 8, []byte{0xf2, 0x48, 0x0f, 0x2c, 0xc1}, nil, nil)
	add("cvtsd2si-64", 8, []byte{0xf2, 0x48, 0x0f, 0x2d, 0xc1}, nil, nil)
	for i := 1; i <= 4; i++ {
		cs[len(cs)-i].mxcsr = true
	}
	add("movq-to", 8, []byte{0x66, 0x48, 0x0f, 0x6e, 0xc1}, nil, nil)
	add("movq-from", 8, []byte{0x66, 0x48, 0x0f, 0x7e, 0xc1}, nil, nil)
	add("mov-mem", 4, []byte{0x8b, 0x43, 0x04}, nil, nil)
	add("mov-store", 2, []byte{0x66, 0x89, 0x4b, 0x06}, nil, nil)
	return cs
}

// divSkip skips divisions that would raise #DE on the host: a zero
// divisor, or a quotient that does not fit the operand size (computed
// with math/big, independently of the engines).
func divSkip(size int, signed bool) func(r *[16]uint64) bool {
	return func(r *[16]uint64) bool {
		d := r[cpu.RCX] & sizeMask[size]
		if d == 0 {
			return true
		}
		bits := uint(8 * size)
		n := new(big.Int)
		if size == 1 {
			n.SetUint64(r[cpu.RAX] & 0xffff)
		} else {
			n.SetUint64(r[cpu.RDX] & sizeMask[size])
			n.Lsh(n, bits)
			n.Or(n, new(big.Int).SetUint64(r[cpu.RAX]&sizeMask[size]))
		}
		dv := new(big.Int).SetUint64(d)
		if signed {
			if n.Bit(int(2*bits-1)) == 1 {
				n.Sub(n, new(big.Int).Lsh(big.NewInt(1), 2*bits))
			}
			if d&(1<<(bits-1)) != 0 {
				dv.Sub(dv, new(big.Int).Lsh(big.NewInt(1), bits))
			}
		}
		q := new(big.Int).Quo(n, dv)
		lo, hi := big.NewInt(0), new(big.Int).Lsh(big.NewInt(1), bits) // unsigned: [0, 2^bits)
		if signed {
			lo = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
			hi = new(big.Int).Lsh(big.NewInt(1), bits-1)
		}
		return q.Cmp(lo) < 0 || q.Cmp(hi) >= 0
	}
}

// btMemSkip keeps a bit-string offset inside the 64-byte scratch area.
// lockedDiffCases are the locked read-modify-write forms (isa.OpAtomic)
// on [rbx], and at displacements that leave the operand inside an aligned
// 8-byte word but misaligned (+1, +3) or make it cross one (+6: the split
// case).
func lockedDiffCases() []diffCase {
	var cs []diffCase
	add := func(name string, size int, bytes []byte, undef func(*[16]uint64) uint64, skip func(*[16]uint64) bool) {
		if undef == nil {
			undef = undefNone
		}
		cs = append(cs, diffCase{name: fmt.Sprintf("%s/%d", name, size*8), bytes: bytes, undef: undef, skip: skip,
			regs64: size == 8})
	}
	// mem is the ModRM byte with reg field r and [rbx+disp] (disp 0: [rbx]).
	mem := func(r byte, disp byte) []byte {
		if disp == 0 {
			return []byte{r<<3 | 3}
		}
		return []byte{0x40 | r<<3 | 3, disp}
	}
	logicU := constUndef(cpu.FlagAF)
	btU := constUndef(cpu.FlagOF | cpu.FlagSF | cpu.FlagAF | cpu.FlagPF)
	for _, disp := range []byte{0, 1, 3, 6} {
		sfx := fmt.Sprintf("+%d", disp)
		for _, f := range forms(0, 1) {
			for i, name := range []string{"add", "or", "adc", "sbb", "and", "sub", "xor"} {
				var u func(*[16]uint64) uint64
				if name == "or" || name == "and" || name == "xor" {
					u = logicU
				}
				opc := byte(i*8) + f.opc
				add("lock-"+name+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{opc}, mem(1, disp)), u, nil)
				// op r/m, imm8 sign-extended (83 /n) or imm8 (80 /n).
				imm := []byte{0x83}
				if f.size == 1 {
					imm = []byte{0x80}
				}
				add("lock-"+name+"-imm"+sfx, f.size, seq([]byte{0xf0}, f.prefix, imm, mem(byte(i), disp), []byte{0x85}), u, nil)
			}
		}
		for _, f := range forms(0xfe, 0xff) {
			add("lock-inc"+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{f.opc}, mem(0, disp)), nil, nil)
			add("lock-dec"+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{f.opc}, mem(1, disp)), nil, nil)
		}
		for _, f := range forms(0xf6, 0xf7) {
			add("lock-not"+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{f.opc}, mem(2, disp)), nil, nil)
			add("lock-neg"+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{f.opc}, mem(3, disp)), nil, nil)
		}
		for _, f := range forms(0x86, 0x87) {
			add("xchg-mem"+sfx, f.size, seq(f.prefix, []byte{f.opc}, mem(1, disp)), nil, nil)
		}
		for _, f := range forms(0xc0, 0xc1) {
			add("lock-xadd"+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{0x0f, f.opc}, mem(1, disp)), nil, nil)
		}
		for _, f := range forms(0xb0, 0xb1) {
			add("lock-cmpxchg"+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{0x0f, f.opc}, mem(2, disp)), nil, nil)
		}
		for _, f := range forms(0, 0)[1:] {
			for i, name := range []string{"bts", "btr", "btc"} {
				add("lock-"+name+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{0x0f, 0xab + byte(i)*8}, mem(1, disp)), btU, btMemSkip(f.size))
				add("lock-"+name+"-imm"+sfx, f.size, seq([]byte{0xf0}, f.prefix, []byte{0x0f, 0xba}, mem(byte(5+i), disp), []byte{13}), btU, nil)
			}
		}
	}
	// The high-byte registers.
	add("lock-xadd-ah", 1, []byte{0xf0, 0x0f, 0xc0, 0x23}, nil, nil)
	add("xchg-mem-ah", 1, []byte{0x86, 0x23}, nil, nil)
	add("lock-add-ah", 1, []byte{0xf0, 0x00, 0x23}, nil, nil)
	return cs
}

func btMemSkip(size int) func(r *[16]uint64) bool {
	return func(r *[16]uint64) bool {
		off := sext(r[cpu.RCX]&sizeMask[size], uint8(size))
		return off < 0 || off >= 8*32
	}
}

func hostFeatures() map[string]bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return nil
	}
	f := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			for _, w := range strings.Fields(line) {
				f[w] = true
			}
			break
		}
	}
	return f
}

var interesting = []uint64{0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
	0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0x1f, 0x20, 0x3f, 0x40, 0x41}

func randValue(rng *rand.Rand) uint64 {
	switch rng.IntN(4) {
	case 0:
		return interesting[rng.IntN(len(interesting))]
	case 1:
		return rng.Uint64() & 0xff
	default:
		return rng.Uint64()
	}
}

// TestDifferentialNative compares the interpreter with the host CPU.
func TestDifferentialNative(t *testing.T) {
	host := hostFeatures()
	cases := append(append(append(diffCases(host), vecDiffCases(host)...), cryptoDiffCases(host)...), hotDiffCases()...)
	cases = append(cases, intExtDiffCases(host)...)
	state, code := nativeBuffers(t)
	scratch := state + nsScratch
	const iters = 400
	rng := rand.New(rand.NewPCG(1, 2))
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		e := newEnv(t, mode)
		for _, tc := range cases {
			if mode == mm.Mode32 && tc.regs64 {
				continue
			}
			t.Run(fmt.Sprintf("%v/%s", mode, tc.name), func(t *testing.T) {
				h := harness(tc.bytes)
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
					if it%2 == 0 {
						regs[cpu.RCX] &= 0x3f // shift counts and bit offsets in range more often
					}
					regs[cpu.RSP] = 0
					if tc.skip != nil && tc.skip(&regs) {
						continue
					}
					flags := cpu.FlagR1 | cpu.FlagIF | rng.Uint64()&cpu.StatusFlags
					var mem [64]byte
					for i := range mem {
						mem[i] = byte(rng.Uint32())
					}
					if it%3 == 0 { // make compare-and-exchange succeed sometimes
						copy(mem[:8], le64(regs[cpu.RAX]))
						copy(mem[8:16], le64(regs[cpu.RDX]))
					}
					// Native run.
					st := guestBytes(state, nsSize)
					for r := 0; r < 16; r++ {
						copy(st[8*r:], le64(regs[r]))
					}
					copy(st[nsFlags:], le64(flags))
					copy(st[nsScratch:], mem[:])
					var xmm [2][2]uint64
					for i := range xmm {
						xmm[i] = [2]uint64{randValue(rng), randValue(rng)}
						switch it % 3 {
						case 1: // ordinary doubles
							xmm[i][0] = math.Float64bits(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20)))
						case 2: // ordinary singles in the low lane
							xmm[i][0] = xmm[i][0]&^0xffffffff | uint64(math.Float32bits(float32(rng.NormFloat64()*1e4)))
						}
						if it%6 == 1 { // ordinary values in the other lanes too
							xmm[i][1] = math.Float64bits(rng.NormFloat64())
						} else if it%6 == 2 {
							xmm[i][0] = xmm[i][0]&0xffffffff | uint64(math.Float32bits(float32(rng.NormFloat64())))<<32
							xmm[i][1] = uint64(math.Float32bits(float32(rng.NormFloat64()))) | uint64(math.Float32bits(float32(rng.NormFloat64())))<<32
						}
						if it%4 == 0 {
							xmm[i][1] = xmm[0][1] // equal lanes for the compares
						}
						copy(st[nsXmm+16*i:], le64(xmm[i][0]))
						copy(st[nsXmm+16*i+8:], le64(xmm[i][1]))
					}
					mx := uint32(0x1f80)
					if tc.mxcsr && it%2 == 1 {
						mx |= rng.Uint32() & (0x6000 | 0x8000 | 0x40)
					}
					copy(st[nsMxcsr:], le64(uint64(mx))[:4])
					copy(st[nsMxcsrGo:], le64(0x1f80)[:4])
					nativeCall(uintptr(code), uintptr(state))
					wantMx := uint32(load64(state + nsMxcsr))
					wantX := [2][2]uint64{{load64(state + nsXmm), load64(state + nsXmm + 8)}, {load64(state + nsXmm + 16), load64(state + nsXmm + 24)}}
					var want [16]uint64
					for r := 0; r < 16; r++ {
						want[r] = load64(state + uint64(8*r))
					}
					wantFlags := load64(state + nsFlags)
					wantMem := append([]byte(nil), st[nsScratch:nsScratch+64]...)
					// Interpreted run.
					copy(st[nsScratch:], mem[:])
					e.c.Regs = regs
					e.c.Regs[cpu.RSP] = e.base + envSize - 64
					e.c.SetRFLAGS(flags)
					*e.c.XMM(0), *e.c.XMM(1) = xmm[0], xmm[1]
					e.c.RIP = e.base
					e.c.MXCSR = mx
					ex := e.m.Run(e.c)
					if ex.Signal != unix.SIGTRAP {
						t.Fatalf("interpreter stopped with %+v", ex)
					}
					got := e.c.Regs
					got[cpu.RSP], want[cpu.RSP] = 0, 0
					gotFlags := e.c.RFLAGS()
					mask := cpu.StatusFlags &^ tc.undef(&regs)
					gotMem := guestBytes(scratch, 64)
					gotX := [2][2]uint64{*e.c.XMM(0), *e.c.XMM(1)}
					bad := got != want || gotFlags&mask != wantFlags&mask || string(gotMem) != string(wantMem) || gotX != wantX
					if tc.mxcsr && e.c.MXCSR != wantMx {
						bad = true
						t.Errorf("% x: mxcsr from %#x: got %#x, want %#x", tc.bytes, mx, e.c.MXCSR, wantMx)
					}
					if gotX != wantX {
						t.Errorf("% x: xmm0/1 from %#x: got %#x, want %#x", tc.bytes, xmm, gotX, wantX)
					}
					if bad {
						fails++
						t.Errorf("% x with regs %#x flags %#x:\n got regs %#x flags %#x\nwant regs %#x flags %#x (compared %#x)\n got mem % x\nwant mem % x",
							tc.bytes, regs, flags, got, gotFlags, want, wantFlags, mask, gotMem[:16], wantMem[:16])
					}
				}
			})
		}
	}
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}
