package engine

import (
	"fmt"

	"github.com/minemu/minemu/guest/cpu"
)

// Differential cases for the integer instructions beyond the base set:
// BMI1, BMI2 and ADX in every operand size with register and memory
// sources, the UMIP-protected instructions the host kernel emulates,
// segment register reads and pushes, and far transfers within the 64-bit
// code selector.

// vex3 encodes a three-byte VEX prefix and opcode for registers below 8:
// map 2 (0F38) or 3 (0F3A), VEX.W, the vvvv register, L 0 and pp (0 none,
// 1 66, 2 F3, 3 F2).
func vex3(mapSel byte, w bool, vvvv byte, pp byte, rest ...byte) []byte {
	b2 := (^vvvv&15)<<3 | pp
	if w {
		b2 |= 0x80
	}
	return append([]byte{0xc4, 0xe0 | mapSel, b2}, rest...)
}

func intExtDiffCases(host map[string]bool) []diffCase {
	var cs []diffCase
	add := func(name string, size int, bytes []byte, undef uint64, regs64 bool) {
		cs = append(cs, diffCase{name: name + map[int]string{2: "/16", 4: "/32", 8: "/64"}[size], bytes: bytes,
			undef: constUndef(undef), regs64: regs64 || size == 8})
	}
	const afpf = cpu.FlagAF | cpu.FlagPF
	// eax is the destination, ecx or [rbx] the r/m operand, edx the vvvv
	// register.
	type bmi struct {
		name       string
		feature    string
		mapSel, pp byte
		opc, reg   byte // reg: ModRM.reg for the group forms (the destination is vvvv)
		group      bool
		imm        []byte
		undef      uint64
	}
	for _, b := range []bmi{
		{name: "andn", feature: "bmi1", mapSel: 2, opc: 0xf2, undef: afpf},
		{name: "bextr", feature: "bmi1", mapSel: 2, opc: 0xf7, undef: afpf | cpu.FlagSF},
		{name: "blsi", feature: "bmi1", mapSel: 2, opc: 0xf3, reg: 3, group: true, undef: afpf},
		{name: "blsmsk", feature: "bmi1", mapSel: 2, opc: 0xf3, reg: 2, group: true, undef: afpf},
		{name: "blsr", feature: "bmi1", mapSel: 2, opc: 0xf3, reg: 1, group: true, undef: afpf},
		{name: "bzhi", feature: "bmi2", mapSel: 2, opc: 0xf5, undef: afpf},
		{name: "mulx", feature: "bmi2", mapSel: 2, pp: 3, opc: 0xf6},
		{name: "pdep", feature: "bmi2", mapSel: 2, pp: 3, opc: 0xf5},
		{name: "pext", feature: "bmi2", mapSel: 2, pp: 2, opc: 0xf5},
		{name: "rorx", feature: "bmi2", mapSel: 3, pp: 3, opc: 0xf0, imm: []byte{13}},
		{name: "rorx-big", feature: "bmi2", mapSel: 3, pp: 3, opc: 0xf0, imm: []byte{0xc7}},
		{name: "sarx", feature: "bmi2", mapSel: 2, pp: 2, opc: 0xf7},
		{name: "shlx", feature: "bmi2", mapSel: 2, pp: 1, opc: 0xf7},
		{name: "shrx", feature: "bmi2", mapSel: 2, pp: 3, opc: 0xf7},
	} {
		if !host[b.feature] {
			continue
		}
		for _, w := range []bool{false, true} {
			size := 4
			if w {
				size = 8
			}
			vvvv := byte(2)
			if b.name == "rorx" || b.name == "rorx-big" {
				vvvv = 0
			}
			modrm := byte(0xc1) | b.reg<<3
			add(b.name, size, vex3(b.mapSel, w, vvvv, b.pp, seq([]byte{b.opc, modrm}, b.imm)...), b.undef, false)
			add(b.name+"-mem", size, vex3(b.mapSel, w, vvvv, b.pp, seq([]byte{b.opc, 0x03 | b.reg<<3}, b.imm)...), b.undef, false)
			if b.name == "andn" || b.name == "shrx" {
				// 32-bit addressing (67): [ebx]; ebx holds the scratch address, below 4 GiB.
				add(b.name+"-a32", size, seq([]byte{0x67}, vex3(b.mapSel, w, vvvv, b.pp, b.opc, 0x03)), b.undef, true)
				// A segment override (gs, whose base is 0 in both runs).
				add(b.name+"-gs", size, seq([]byte{0x65}, vex3(b.mapSel, w, vvvv, b.pp, b.opc, 0x03)), b.undef, false)
			}
			if b.name == "mulx" { // the same register for both halves: it gets the high half
				add("mulx-same", size, vex3(2, w, 0, 3, 0xf6, 0xc1), 0, false)
			}
			if b.name == "andn" || b.name == "bextr" {
				// r8d..r15d through VEX.R, .B and vvvv[3] (64-bit mode only).
				// andn r8, r10, r9 / bextr r8, r9, r10.
				add(b.name+"-hi", size, []byte{0xc4, 0x42, 0x28 | byte(btoi(w))<<7, b.opc, 0xc1}, b.undef, true)
			}
		}
	}
	if host["adx"] {
		for _, p := range []struct {
			name string
			pfx  byte
		}{{"adcx", 0x66}, {"adox", 0xf3}} {
			add(p.name, 4, []byte{p.pfx, 0x0f, 0x38, 0xf6, 0xc1}, 0, false)
			add(p.name, 8, []byte{p.pfx, 0x48, 0x0f, 0x38, 0xf6, 0xc1}, 0, false)
			add(p.name+"-mem", 4, []byte{p.pfx, 0x0f, 0x38, 0xf6, 0x03}, 0, false)
			add(p.name+"-mem", 8, []byte{p.pfx, 0x48, 0x0f, 0x38, 0xf6, 0x03}, 0, false)
			add(p.name+"-r9", 8, []byte{p.pfx, 0x4d, 0x0f, 0x38, 0xf6, 0xc9}, 0, false)
		}
		// With both 66 and F3 the host runs adox (the 66 ignored).
		add("adox-66", 4, []byte{0x66, 0xf3, 0x0f, 0x38, 0xf6, 0xc1}, 0, false)
		add("adox-66", 8, []byte{0xf3, 0x66, 0x48, 0x0f, 0x38, 0xf6, 0x03}, 0, false)
		// The two carry chains interleaved, as multi-precision code does.
		add("adcx-adox-chain", 8, []byte{0x66, 0x48, 0x0f, 0x38, 0xf6, 0xc1, 0xf3, 0x48, 0x0f, 0x38, 0xf6, 0xd6,
			0x66, 0x48, 0x0f, 0x38, 0xf6, 0xc6}, 0, false)
	}
	if host["umip"] {
		// The kernel's emulation: a register gets operand-size bytes
		// (the rest unchanged), memory two bytes.
		add("smsw", 4, []byte{0x0f, 0x01, 0xe0}, 0, false)
		add("smsw", 2, []byte{0x66, 0x0f, 0x01, 0xe0}, 0, false)
		add("smsw", 8, []byte{0x48, 0x0f, 0x01, 0xe0}, 0, false)
		add("smsw-mem", 2, []byte{0x0f, 0x01, 0x23}, 0, false)
		add("sldt", 4, []byte{0x0f, 0x00, 0xc1}, 0, false)
		add("str", 4, []byte{0x0f, 0x00, 0xca}, 0, false)
		add("str-mem", 2, []byte{0x0f, 0x00, 0x0b}, 0, false)
		// 64-bit mode: a 10-byte image (the 32-bit one is 6 bytes).
		add("sgdt", 8, []byte{0x0f, 0x01, 0x03}, 0, true)
		add("sidt", 8, []byte{0x0f, 0x01, 0x4b, 0x08}, 0, true)
	}
	// Segment registers as a 64-bit process sees them.
	add("mov-from-cs", 4, []byte{0x8c, 0xc8}, 0, true)
	add("mov-from-ss", 4, []byte{0x8c, 0xd0}, 0, true)
	add("mov-from-fs", 4, []byte{0x8c, 0xe0}, 0, true)
	add("mov-from-ds", 4, []byte{0x8c, 0xd8}, 0, true)
	add("mov-from-es", 2, []byte{0x66, 0x8c, 0xc0}, 0, true)
	add("push-fs-pop", 8, []byte{0x0f, 0xa0, 0x58}, 0, true)
	add("push-gs-pop", 8, []byte{0x0f, 0xa8, 0x58}, 0, true)
	add("pushw-fs-pop", 2, []byte{0x66, 0x0f, 0xa0, 0x66, 0x58}, 0, true)
	add("pop-gs", 8, []byte{0x6a, 0x00, 0x0f, 0xa9}, 0, true)
	// A far return to 0x33 from 64-bit code (retfq to a pushed 0x33:rip;
	// rcx, which holds an address that differs between the runs, is
	// cleared). The far jumps and calls through memory need a pointer to
	// the code, whose address differs too: interp_int_test.go.
	add("retfq", 8, []byte{0x48, 0x8d, 0x0d, 0x05, 0, 0, 0, 0x6a, 0x33, 0x51, 0x48, 0xcb, 0x31, 0xc9}, 0, true)
	// The descriptors user mode may inspect: selector → lar, lsl, verr,
	// verw as the host kernel's GDT answers (the per-CPU segment's limit
	// is the host CPU's number, so lsl of 0x7b is left out).
	for _, sel := range []uint16{0, 3, 0x10, 0x18, 0x20, 0x23, 0x2b, 0x29, 0x33, 0x40, 0x63, 0x7b, 0x80, 0xfff7} {
		mov := []byte{0x66, 0xb9, byte(sel), byte(sel >> 8)} // mov cx, sel
		name := fmt.Sprintf("-%#x", sel)
		add("lar"+name, 4, seq(mov, []byte{0x0f, 0x02, 0xc1}), 0, false)
		add("lar"+name, 8, seq(mov, []byte{0x48, 0x0f, 0x02, 0xc1}), 0, false)
		add("lar"+name, 2, seq(mov, []byte{0x66, 0x0f, 0x02, 0xc1}), 0, false)
		if sel&^3 != 0x78 {
			add("lsl"+name, 4, seq(mov, []byte{0x0f, 0x03, 0xc1}), 0, false)
			add("lsl"+name, 2, seq(mov, []byte{0x66, 0x0f, 0x03, 0xc1}), 0, false)
			add("lsl-mem"+name, 4, seq([]byte{0x66, 0xc7, 0x03, byte(sel), byte(sel >> 8)}, []byte{0x0f, 0x03, 0x03}), 0, false)
		}
		add("verr"+name, 2, seq(mov, []byte{0x0f, 0x00, 0xe1}), 0, false)
		add("verw"+name, 2, seq(mov, []byte{0x0f, 0x00, 0xe9}), 0, false)
	}
	// ret imm16 in 64-bit code: mov rcx, rsp; push 7; push 9; call f;
	// jmp done; f: mov rax, [rsp]; ret 16; done: xor eax, eax;
	// sub rcx, rsp (0 when the stack is balanced)
	add("ret-imm16", 8, []byte{0x48, 0x89, 0xe1, 0x6a, 0x07, 0x6a, 0x09, 0xe8, 0x02, 0, 0, 0, 0xeb, 0x07,
		0x48, 0x8b, 0x04, 0x24, 0xc2, 0x10, 0x00, 0x31, 0xc0, 0x48, 0x29, 0xe1}, 0, true)
	// Hint NOPs and prefetches the host runs as no-ops.
	add("hint-nop-19", 4, []byte{0x0f, 0x19, 0x44, 0x8b, 0x10}, 0, false)
	add("hint-nop-1a", 4, []byte{0xf3, 0x0f, 0x1a, 0xc1}, 0, false)
	add("hint-nop-1c", 4, []byte{0x0f, 0x1c, 0x03}, 0, false)
	add("hint-nop-1e", 4, []byte{0x0f, 0x1e, 0xc1}, 0, false)
	add("hint-nop-1f-7", 4, []byte{0x0f, 0x1f, 0x3b}, 0, false)
	add("prefetch-18-4", 4, []byte{0x0f, 0x18, 0x23}, 0, false)
	add("prefetch-0d-0", 4, []byte{0x0f, 0x0d, 0x03}, 0, false)
	add("clflush", 4, []byte{0x0f, 0xae, 0x3b}, 0, false)
	if host["clflushopt"] {
		add("clflushopt", 4, []byte{0x66, 0x0f, 0xae, 0x3b}, 0, false)
	}
	if host["clwb"] {
		add("clwb", 4, []byte{0x66, 0x0f, 0xae, 0x33}, 0, false)
	}
	// iretq to 0x33:rip with the same rsp, ss and flags (rcx, which
	// holds an address that differs between the runs, is cleared).
	add("iretq", 8, []byte{0x48, 0x89, 0xe0, 0x6a, 0x2b, 0x50, 0x9c, 0x6a, 0x33, 0x48, 0x8d, 0x0d, 0x03, 0, 0, 0, 0x51, 0x48, 0xcf,
		0x31, 0xc9, 0x31, 0xc0}, 0, true)
	return cs
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
