package engine

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestControlAndStack: small programs (bytes assembled with nasm, source in
// each comment) → registers afterwards.
func TestControlAndStack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  mm.Mode
		code  []byte
		setup func(e *testEnv)
		check func(e *testEnv, sp uint64) string
	}{
		{
			// push 5; push 7; call f; mov ebx, esp; int3
			// f: mov eax,[esp+4]; add eax,[esp+8]; ret 8
			name: "ret-imm", mode: mm.Mode32,
			code: []byte{0x6a, 0x05, 0x6a, 0x07, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x89, 0xe3, 0xcc, 0x8b, 0x44, 0x24, 0x04, 0x03, 0x44, 0x24, 0x08, 0xc2, 0x08, 0x00},
			check: func(e *testEnv, sp uint64) string {
				if e.c.Regs[cpu.RAX] != 12 || e.c.Regs[cpu.RBX] != sp {
					return "ret 8 did not release the arguments"
				}
				return ""
			},
		},
		{
			// mov ecx,10; xor eax,eax; l: inc eax; cmp eax,eax; loope l; int3
			name: "loope", mode: mm.Mode64,
			code: []byte{0xb9, 0x0a, 0x00, 0x00, 0x00, 0x31, 0xc0, 0xff, 0xc0, 0x39, 0xc0, 0xe1, 0xfa, 0xcc},
			check: func(e *testEnv, sp uint64) string {
				if e.c.Regs[cpu.RAX] != 10 || e.c.Regs[cpu.RCX] != 0 {
					return "loope did not run to the count"
				}
				return ""
			},
		},
		{
			// mov ecx,0x10000; a16 jcxz t; mov eax,1; int3; t: mov eax,2; int3
			name: "jcxz-16", mode: mm.Mode32,
			code: []byte{0xb9, 0x00, 0x00, 0x01, 0x00, 0x67, 0xe3, 0x06, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc, 0xb8, 0x02, 0x00, 0x00, 0x00, 0xcc},
			check: func(e *testEnv, sp uint64) string {
				if e.c.Regs[cpu.RAX] != 2 {
					return "jcxz with 16-bit address size must test CX only"
				}
				return ""
			},
		},
		{
			// rdtsc; mov r8d,eax; mov r9d,edx; mov ecx,1000; l: loop l; rdtsc; int3
			name: "rdtsc-monotonic", mode: mm.Mode64,
			code: []byte{0x0f, 0x31, 0x41, 0x89, 0xc0, 0x41, 0x89, 0xd1, 0xb9, 0xe8, 0x03, 0x00, 0x00, 0xe2, 0xfe, 0x0f, 0x31, 0xcc},
			check: func(e *testEnv, sp uint64) string {
				t0 := e.c.Regs[cpu.R9]<<32 | e.c.Regs[cpu.R8]
				t1 := e.c.Regs[cpu.RDX]<<32 | e.c.Regs[cpu.RAX]
				if t1 <= t0 {
					return "rdtsc went backwards"
				}
				return ""
			},
		},
		{
			// push qword [rsp-8]; pop qword [rsp-16]; push 0x1234;
			// pop qword [rsp+8]; mov rax,[rsp+8]; int3
			name: "push-pop-memory", mode: mm.Mode64,
			code: []byte{0xff, 0x74, 0x24, 0xf8, 0x8f, 0x44, 0x24, 0xf0, 0x68, 0x34, 0x12, 0x00, 0x00, 0x8f, 0x44, 0x24, 0x08, 0x48, 0x8b, 0x44, 0x24, 0x08, 0xcc},
			check: func(e *testEnv, sp uint64) string {
				if e.c.Regs[cpu.RAX] != 0x1234 || e.c.Regs[cpu.RSP] != sp {
					return "pop to memory must address with the incremented RSP"
				}
				return ""
			},
		},
		{
			// mov eax,esp; push esp; pop ebx; sub eax,ebx; int3
			name: "push-esp-old-value", mode: mm.Mode32,
			code: []byte{0x89, 0xe0, 0x54, 0x5b, 0x29, 0xd8, 0xcc},
			check: func(e *testEnv, sp uint64) string {
				if e.c.Regs[cpu.RAX] != 0 {
					return "push esp must push the value before the decrement"
				}
				return ""
			},
		},
		{
			// call [ebx]; int3; f: mov eax,9; ret
			name: "call-indirect-memory", mode: mm.Mode32,
			code: []byte{0xff, 0x13, 0xcc, 0xb8, 0x09, 0x00, 0x00, 0x00, 0xc3},
			setup: func(e *testEnv) {
				store32(e.data(), e.base+3)
				e.c.Regs[cpu.RBX] = e.data()
			},
			check: func(e *testEnv, sp uint64) string {
				if e.c.Regs[cpu.RAX] != 9 || e.c.Regs[cpu.RSP] != sp {
					return "call through memory"
				}
				return ""
			},
		},
		{
			// fnstcw [rbx]; mov word [rbx+2],0x27f; fldcw [rbx+2];
			// fnstcw [rbx+4]; fnstsw ax; fninit; fnstcw [rbx+6]; int3
			name: "x87-control-word", mode: mm.Mode64,
			code: []byte{0xd9, 0x3b, 0x66, 0xc7, 0x43, 0x02, 0x7f, 0x02, 0xd9, 0x6b, 0x02, 0xd9, 0x7b, 0x04, 0xdf, 0xe0, 0xdb, 0xe3, 0xd9, 0x7b, 0x06, 0xcc},
			setup: func(e *testEnv) {
				e.c.Regs[cpu.RBX] = e.data()
				e.c.Regs[cpu.RAX] = 0xffff
			},
			check: func(e *testEnv, sp uint64) string {
				d := e.data()
				if load16(d) != 0x37f || load16(d+4) != 0x27f || load16(d+6) != 0x37f || e.c.Regs[cpu.RAX] != 0 {
					return "x87 control/status word round trip"
				}
				return ""
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mode)
			e.load(tc.code)
			if tc.setup != nil {
				tc.setup(e)
			}
			sp := e.c.Regs[cpu.RSP]
			e.runTrap()
			if msg := tc.check(e, sp); msg != "" {
				t.Fatalf("%s: regs %#x", msg, e.c.Regs)
			}
		})
	}
}
