package engine

import (
	"fmt"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestSelfModifyingStores: a store into the block being run makes the
// thread leave it before the next instruction, whichever store makes it:
// the interpreter's specialised handlers (mov [m], r; push r) and its
// general path (push imm; add [m], imm) check the stop word after the
// store. Each program patches the immediate of `mov cl, 7` at patch to 42
// (or the whole instruction) before it runs; an interpreter that ran the
// old decoded ops leaves 7 in cl.
func TestSelfModifyingStores(t *testing.T) {
	oldCode := []byte{0xb1, 0x07, 0xcc, 0x90} // patch: mov cl, 7; int3; nop
	newCode := []byte{0xb1, 0x2a, 0xcc, 0x90} // mov cl, 42; int3; nop
	// addr is the operand of a disp32 memory operand (modrm 05) naming a:
	// absolute in Mode32, relative to next (the end of the instruction)
	// in Mode64.
	addr := func(mode mm.Mode, a, next uint64) []byte {
		if mode == mm.Mode64 {
			return le32(uint32(a - next))
		}
		return le32(uint32(a))
	}
	width := func(mode mm.Mode) uint64 {
		if mode == mm.Mode64 {
			return 8
		}
		return 4
	}
	// pad is what the push of a 4-byte value writes after it in Mode64.
	pad := func(mode mm.Mode, b byte) []byte {
		if mode == mm.Mode64 {
			return []byte{b, b, b, b}
		}
		return nil
	}
	for _, tc := range []struct {
		name string
		// code is the program at base; it patches the code at its end.
		code func(mode mm.Mode, base uint64) []byte
	}{
		{"mov-mr", func(mode mm.Mode, base uint64) []byte {
			// mov dl, 42; mov [patch+1], dl; patch:
			const patch = 2 + 6
			return seq([]byte{0xb2, 0x2a, 0x88, 0x15}, addr(mode, base+patch+1, base+patch), oldCode)
		}},
		{"push-reg", func(mode mm.Mode, base uint64) []byte {
			// mov esp, patch+width; mov eax, new; push rax; patch:
			const patch = 5 + 5 + 1
			return seq([]byte{0xbc}, le32(uint32(base+patch+width(mode))), []byte{0xb8}, newCode, []byte{0x50},
				oldCode, pad(mode, 0))
		}},
		{"push-imm", func(mode mm.Mode, base uint64) []byte {
			// mov esp, patch+width; push new (sign-extended); patch:
			const patch = 5 + 5
			return seq([]byte{0xbc}, le32(uint32(base+patch+width(mode))), []byte{0x68}, newCode, oldCode, pad(mode, 0xff))
		}},
		{"add-mi", func(mode mm.Mode, base uint64) []byte {
			// add byte [patch+1], 0x23; patch:
			const patch = 7
			return seq([]byte{0x80, 0x05}, addr(mode, base+patch+1, base+patch), []byte{0x23}, oldCode)
		}},
	} {
		for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, mode), func(t *testing.T) {
				e := newEnv(t, mode)
				e.load(tc.code(mode, e.base))
				e.runTrap()
				if got := e.c.Regs[cpu.RCX]; got != 42 {
					t.Fatalf("got rcx %d, want 42 (the patched instruction)", got)
				}
				if e.m.Stats().Invalidations == 0 {
					t.Fatalf("got no invalidation, want one")
				}
			})
		}
	}
}

// hotDiffCases are the memory forms of the interpreter's specialised
// handlers (the register forms are among diffCases), on the scratch memory
// at [rbx+8].
func hotDiffCases() []diffCase {
	var cs []diffCase
	add := func(name string, size int, bytes ...byte) {
		cs = append(cs, diffCase{name: fmt.Sprintf("hot-%s/%d", name, size*8), bytes: bytes, undef: undefNone,
			regs64: size == 8 || bytes[0]&0xf0 == 0x40 || (bytes[0] == 0x66 && bytes[1]&0xf0 == 0x40)})
	}
	for _, f := range forms(0x8a, 0x8b) {
		add("mov-rm", f.size, seq(f.prefix, []byte{f.opc, 0x4b, 0x08})...)
		add("mov-mr", f.size, seq(f.prefix, []byte{f.opc - 2, 0x4b, 0x08})...)
	}
	add("mov-mi", 1, 0xc6, 0x43, 0x08, 0x9c)
	add("mov-mi", 2, 0x66, 0xc7, 0x43, 0x08, 0x34, 0x92)
	add("mov-mi", 4, 0xc7, 0x43, 0x08, 0x78, 0x56, 0x34, 0x92)
	add("mov-mi", 8, 0x48, 0xc7, 0x43, 0x08, 0x78, 0x56, 0x34, 0x92)
	add("mov-ri", 8, 0x48, 0xb9, 1, 2, 3, 4, 5, 6, 7, 0x88)
	add("mov-ri", 4, 0xb9, 1, 2, 3, 0x84)
	for _, f := range forms(0x02, 0x03) {
		add("add-rm", f.size, seq(f.prefix, []byte{f.opc, 0x4b, 0x08})...)
		add("cmp-rm", f.size, seq(f.prefix, []byte{f.opc + 0x38, 0x4b, 0x08})...)
		add("cmp-mr", f.size, seq(f.prefix, []byte{f.opc + 0x36, 0x4b, 0x08})...)
	}
	add("cmp-mi", 1, 0x80, 0x7b, 0x08, 0x80)
	add("cmp-mi", 4, 0x83, 0x7b, 0x08, 0xf0)
	add("cmp-mi", 8, 0x48, 0x83, 0x7b, 0x08, 0x7f)
	add("cmp-mi", 2, 0x66, 0x81, 0x7b, 0x08, 0x00, 0x80)
	add("test-ri", 4, 0xa9, 0x00, 0x00, 0x00, 0x80)
	add("test-ri", 8, 0x48, 0xf7, 0xc1, 0xff, 0x00, 0x00, 0x80)
	add("movzx8-rm", 4, 0x0f, 0xb6, 0x4b, 0x08)
	add("movzx16-rm", 8, 0x48, 0x0f, 0xb7, 0x4b, 0x08)
	add("movzx8-rm", 2, 0x66, 0x0f, 0xb6, 0x4b, 0x08)
	add("movsx8-rm", 4, 0x0f, 0xbe, 0x4b, 0x08)
	add("movsx16-rm", 8, 0x48, 0x0f, 0xbf, 0x4b, 0x08)
	add("movsxd-rm", 8, 0x48, 0x63, 0x4b, 0x08)
	add("lea", 4, 0x8d, 0x4c, 0x93, 0x08)
	add("lea", 8, 0x48, 0x8d, 0x4c, 0x93, 0xf8)
	add("lea-a32", 8, 0x67, 0x48, 0x8d, 0x4c, 0x93, 0x08)
	add("lea-a32", 4, 0x67, 0x8d, 0x4c, 0x93, 0x08)
	cs[len(cs)-1].regs64 = true // 16-bit addressing in Mode32
	return cs
}
