package engine

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestIntExt: the integer instructions whose results the host cannot
// produce in the differential harness (far transfers to code whose
// address differs between the runs, the 32-bit meaning of VEX.W1, values
// only minemu defines: RDPID, RDSEED) and the faults the kernel reports:
// code built around the guest's base → registers, memory or the signal
// afterwards.
func TestIntExt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  mm.Mode
		code  func(base, data uint64) []byte
		setup func(e *testEnv)
		// sig is the signal the program must end with (0: the final int3)
		// and at the offset of the rip it reports (the faulting
		// instruction; past int1 for SIGTRAP); check, when set, says what
		// is wrong afterwards.
		sig   unix.Signal
		at    uint64
		check func(e *testEnv, sp uint64) string
	}{
		{
			// jmp far 0x23:t; int3; t: mov eax,7; int3
			name: "jmpf-direct-32", mode: mm.Mode32,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0xea}, le32(uint32(b+8)), []byte{0x23, 0x00, 0xcc, 0xb8, 7, 0, 0, 0, 0xcc})
			},
			check: func(e *testEnv, sp uint64) string { return want(e.c.Regs[cpu.RAX] == 7, "jmp far did not arrive") },
		},
		{
			// jmp far 0x20:t (RPL 0 names the same DPL-3 segment); ...
			name: "jmpf-rpl0-32", mode: mm.Mode32,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0xea}, le32(uint32(b+8)), []byte{0x20, 0x00, 0xcc, 0xb8, 7, 0, 0, 0, 0xcc})
			},
			check: func(e *testEnv, sp uint64) string { return want(e.c.Regs[cpu.RAX] == 7, "jmp far 0x20 did not arrive") },
		},
		{
			// call far [ebx] (0x23:f); int3; f: mov ecx,[esp+4]; mov edx,[esp]; retf
			name: "callf-m16:32-retf", mode: mm.Mode32,
			code: func(b, _ uint64) []byte {
				return []byte{0xff, 0x1b, 0xcc, 0x8b, 0x4c, 0x24, 0x04, 0x8b, 0x14, 0x24, 0xcb}
			},
			setup: func(e *testEnv) {
				e.write(e.data(), seq(le32(uint32(e.base+3)), []byte{0x23, 0}))
				e.c.Regs[cpu.RBX] = e.data()
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RCX] == 0x23 && e.c.Regs[cpu.RDX] == e.base+2 && e.c.Regs[cpu.RSP] == sp,
					"call far must push CS zero-extended and the return offset; retf pops both")
			},
		},
		{
			// push 0x23; push t; retf 0 .. with retf 8: push 1; push 2; push 0x23; push t; retf 8; t: int3
			name: "retf-imm16-32", mode: mm.Mode32,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0x6a, 1, 0x6a, 2, 0x6a, 0x23, 0x68}, le32(uint32(b+14)), []byte{0xca, 8, 0, 0xcc})
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.RIP == e.base+15 && e.c.Regs[cpu.RSP] == sp, "retf 8 must release 8 bytes past CS")
			},
		},
		{
			// The 64-bit default operand size of call far and retf is 32.
			name: "callf-m16:32-64", mode: mm.Mode64,
			code: func(b, _ uint64) []byte {
				// call far [rbx]; int3; f: mov ecx,[rsp+4]; mov edx,[rsp]; retf (4-byte slots)
				return []byte{0xff, 0x1b, 0xcc, 0x8b, 0x4c, 0x24, 0x04, 0x8b, 0x14, 0x24, 0xcb}
			},
			setup: func(e *testEnv) {
				e.write(e.data(), seq(le32(uint32(e.base+3)), []byte{0x33, 0}))
				e.c.Regs[cpu.RBX] = e.data()
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RCX] == 0x33 && e.c.Regs[cpu.RDX] == e.base+2 && e.c.Regs[cpu.RSP] == sp,
					"64-bit call far m16:32 pushes two 4-byte slots")
			},
		},
		{
			name: "jmpf-to-0x33-from-32", mode: mm.Mode32, sig: unix.SIGSEGV, at: 0,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0xea}, le32(uint32(b+8)), []byte{0x33, 0x00, 0xcc, 0xcc})
			},
		},
		{
			name: "jmpf-to-0x23-from-64", mode: mm.Mode64, sig: unix.SIGSEGV, at: 0,
			code: func(b, _ uint64) []byte { return []byte{0xff, 0x2b, 0xcc} },
			setup: func(e *testEnv) {
				e.write(e.data(), seq(le32(uint32(e.base+2)), []byte{0x23, 0}))
				e.c.Regs[cpu.RBX] = e.data()
			},
		},
		{
			name: "jmpf-data-selector", mode: mm.Mode32, sig: unix.SIGSEGV, at: 0,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0xea}, le32(uint32(b+7)), []byte{0x2b, 0x00, 0xcc})
			},
		},
		{
			name: "jmpf-null", mode: mm.Mode32, sig: unix.SIGSEGV, at: 0,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0xea}, le32(uint32(b+7)), []byte{0x00, 0x00, 0xcc})
			},
		},
		{
			// push 0x20; push t; retf: a return to RPL 0 from CPL 3 is #GP.
			name: "retf-rpl0", mode: mm.Mode32, sig: unix.SIGSEGV, at: 7,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0x6a, 0x20, 0x68}, le32(uint32(b+8)), []byte{0xcb, 0xcc})
			},
		},
		{
			// andn eax, eax, ecx with VEX.W1 in 32-bit mode: 32 bits.
			name: "andn-w1-32", mode: mm.Mode32,
			code: func(b, _ uint64) []byte { return []byte{0xc4, 0xe2, 0xf8, 0xf2, 0xc1, 0xcc} },
			setup: func(e *testEnv) {
				e.c.Regs[cpu.RAX], e.c.Regs[cpu.RCX] = 0x0f0f0f0f, 0xffffffff
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RAX] == 0xf0f0f0f0, "VEX.W1 andn in 32-bit mode must work on 32 bits")
			},
		},
		{
			// shlx eax, ecx, edx with VEX.W1 in 32-bit mode: the count is masked to 5 bits.
			name: "shlx-w1-32", mode: mm.Mode32,
			code: func(b, _ uint64) []byte { return []byte{0xc4, 0xe2, 0xe9, 0xf7, 0xc1, 0xcc} },
			setup: func(e *testEnv) {
				e.c.Regs[cpu.RCX], e.c.Regs[cpu.RDX] = 1, 33
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RAX] == 2, "VEX.W1 shlx in 32-bit mode must mask the count to 5 bits")
			},
		},
		{
			// rdpid rax (F3 0F C7 F8): TSC_AUX, cpu 0 of node 0, in all 64 bits.
			name: "rdpid-64", mode: mm.Mode64,
			code:  func(b, _ uint64) []byte { return []byte{0xf3, 0x0f, 0xc7, 0xf8, 0xf3, 0x41, 0x0f, 0xc7, 0xf9, 0xcc} },
			setup: func(e *testEnv) { e.c.Regs[cpu.RAX], e.c.Regs[cpu.R9] = ^uint64(0), ^uint64(0) },
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RAX] == 0 && e.c.Regs[cpu.R9] == 0, "rdpid must read TSC_AUX (0)")
			},
		},
		{
			// rdseed rax; mov rcx,rax; rdseed rax; setc dl; int3
			name: "rdseed-64", mode: mm.Mode64,
			code: func(b, _ uint64) []byte {
				return []byte{0x48, 0x0f, 0xc7, 0xf8, 0x48, 0x89, 0xc1, 0x48, 0x0f, 0xc7, 0xf8, 0x0f, 0x92, 0xc2, 0xcc}
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RAX] != e.c.Regs[cpu.RCX] && e.c.Regs[cpu.RDX]&0xff == 1, "rdseed must give random bits with CF set")
			},
		},
		{
			// rdseed ax (66 0F C7 F8): 16 bits, the rest of the register kept.
			name: "rdseed-16", mode: mm.Mode32,
			code:  func(b, _ uint64) []byte { return []byte{0x66, 0x0f, 0xc7, 0xf8, 0xcc} },
			setup: func(e *testEnv) { e.c.Regs[cpu.RAX] = 0xabcd0000 },
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RAX]>>16 == 0xabcd && e.c.Carry(), "rdseed ax must keep the upper half")
			},
		},
		{
			// int 0x80 from 64-bit code is the i386 system call.
			name: "int80-64", mode: mm.Mode64,
			code: func(b, _ uint64) []byte {
				return []byte{0xb8, 1, 0, 0, 0, 0xbb, 42, 0, 0, 0, 0xcd, 0x80}
			},
			sig: -1, // checked below: the exit of the i386 exit call
		},
		{
			// sgdt [ebx]; sidt [ebx+8]; smsw [ebx+16]; str ecx; int3 (32-bit images)
			name: "umip-32", mode: mm.Mode32,
			code: func(b, _ uint64) []byte {
				return []byte{0x0f, 0x01, 0x03, 0x0f, 0x01, 0x4b, 0x08, 0x0f, 0x01, 0x63, 0x10, 0x0f, 0x00, 0xc9, 0xcc}
			},
			setup: func(e *testEnv) {
				e.c.Regs[cpu.RBX] = e.data()
				e.write(e.data(), bytes.Repeat([]byte{0x55}, 20))
			},
			check: func(e *testEnv, sp uint64) string {
				m := guestBytes(e.data(), 20)
				img := []byte{0, 0, 0, 0, 0xfe, 0xff, 0x55, 0x55, 0, 0, 0, 0, 0xff, 0xff, 0x55, 0x55, 0x33, 0, 0x55, 0x55}
				return want(bytes.Equal(m, img) &&
					e.c.Regs[cpu.RCX] == 0x40, "the UMIP emulation's images (Linux's umip.c)")
			},
		},
		{
			// push cs; pop eax; push ds; pop ecx; mov ds, [ebx] (0); mov es, cx; int3
			name: "segments-32", mode: mm.Mode32,
			code: func(b, _ uint64) []byte { return []byte{0x0e, 0x58, 0x1e, 0x59, 0x8e, 0x1b, 0x8e, 0xc1, 0xcc} },
			setup: func(e *testEnv) {
				e.c.Regs[cpu.RBX] = e.data()
				e.write(e.data(), []byte{0, 0})
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RAX] == 0x23 && e.c.Regs[cpu.RCX] == 0x2b, "push cs / push ds")
			},
		},
		{
			// lds eax, [ebx] (0x2b:0x12345678); les ecx, [ebx+8] (0:9); int3
			name: "lds-les", mode: mm.Mode32,
			code: func(b, _ uint64) []byte { return []byte{0xc5, 0x03, 0xc4, 0x4b, 0x08, 0xcc} },
			setup: func(e *testEnv) {
				e.c.Regs[cpu.RBX] = e.data()
				e.write(e.data(), []byte{0x78, 0x56, 0x34, 0x12, 0x2b, 0, 0, 0, 9, 0, 0, 0, 0, 0})
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RAX] == 0x12345678 && e.c.Regs[cpu.RCX] == 9, "lds/les load the offset")
			},
		},
		{
			// lss esp, [ebx] with a null selector: #GP.
			name: "lss-null", mode: mm.Mode32, sig: unix.SIGSEGV, at: 0,
			code: func(b, _ uint64) []byte { return []byte{0x0f, 0xb2, 0x23, 0xcc} },
			setup: func(e *testEnv) {
				e.c.Regs[cpu.RBX] = e.data()
				e.write(e.data(), []byte{0, 0x10, 0, 0, 0, 0})
			},
		},
		{
			// mov ds, ax with a kernel selector (0x18, DPL 0): #GP.
			name: "mov-ds-kernel", mode: mm.Mode32, sig: unix.SIGSEGV, at: 4,
			code: func(b, _ uint64) []byte { return []byte{0x66, 0xb8, 0x18, 0x00, 0x8e, 0xd8, 0xcc} },
		},
		{
			// pop ss from a null selector: #GP.
			name: "pop-ss-null", mode: mm.Mode32, sig: unix.SIGSEGV, at: 2,
			code: func(b, _ uint64) []byte { return []byte{0x6a, 0x00, 0x17, 0xcc} },
		},
		{
			// lfs rax, [rbx] (m16:64 with REX.W: 0:0x1122334455667788); int3
			name: "lfs-64", mode: mm.Mode64,
			code: func(b, _ uint64) []byte { return []byte{0x48, 0x0f, 0xb4, 0x03, 0xcc} },
			setup: func(e *testEnv) {
				e.c.Regs[cpu.RBX] = e.data()
				e.write(e.data(), []byte{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0, 0})
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.Regs[cpu.RAX] == 0x1122334455667788 && e.c.FS == 0, "lfs r64, m16:64")
			},
		},
		{
			// wrfsbase rax; rdfsbase rcx; wrgsbase edx (zero-extended); rdgsbase rsi; int3
			name: "fsgsbase", mode: mm.Mode64,
			code: func(b, _ uint64) []byte {
				return []byte{0xf3, 0x48, 0x0f, 0xae, 0xd0, 0xf3, 0x48, 0x0f, 0xae, 0xc1, 0xf3, 0x0f, 0xae, 0xda, 0xf3, 0x48, 0x0f, 0xae, 0xce, 0xcc}
			},
			setup: func(e *testEnv) { e.c.Regs[cpu.RAX], e.c.Regs[cpu.RDX] = 0x7fff12345678, 0xffffffff87654321 },
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.FSBase == 0x7fff12345678 && e.c.Regs[cpu.RCX] == 0x7fff12345678 && e.c.GSBase == 0x87654321 &&
					e.c.Regs[cpu.RSI] == 0x87654321, "rd/wr fs/gs base")
			},
		},
		{
			// wrfsbase rax with a non-canonical base: #GP.
			name: "wrfsbase-noncanonical", mode: mm.Mode64, sig: unix.SIGSEGV, at: 0,
			code:  func(b, _ uint64) []byte { return []byte{0xf3, 0x48, 0x0f, 0xae, 0xd0, 0xcc} },
			setup: func(e *testEnv) { e.c.Regs[cpu.RAX] = 0x0000800000000000 },
		},
		{
			// push 0x202|flags; push 0x23; push t; iretd; t: int3 (same privilege: 3 slots)
			name: "iretd-32", mode: mm.Mode32,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0x68, 0x03, 0x02, 0, 0, 0x6a, 0x23, 0x68}, le32(uint32(b+13)), []byte{0xcf, 0xcc})
			},
			check: func(e *testEnv, sp uint64) string {
				return want(e.c.RIP == e.base+14 && e.c.Regs[cpu.RSP] == sp && e.c.Carry(), "iretd pops EIP, CS, EFLAGS at the same privilege")
			},
		},
		{
			name: "iretd-bad-cs", mode: mm.Mode32, sig: unix.SIGSEGV, at: 12,
			code: func(b, _ uint64) []byte {
				return seq([]byte{0x68, 0x02, 0x02, 0, 0, 0x6a, 0x2b, 0x68}, le32(uint32(b+14)), []byte{0xcf, 0xcc})
			},
		},
		{
			// clflush [rbx]; int1 (icebp): SIGTRAP past it.
			name: "clflush-icebp", mode: mm.Mode64, sig: unix.SIGTRAP, at: 4,
			code:  func(b, _ uint64) []byte { return []byte{0x0f, 0xae, 0x3b, 0xf1, 0x90} },
			setup: func(e *testEnv) { e.c.Regs[cpu.RBX] = e.data() },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mode)
			if tc.sig == -1 {
				k := &segKernel{}
				e.m, _ = newMachine(Config{Mode: tc.mode, Kernel: k})
				e.load(tc.code(e.base, e.data()))
				ex := e.m.Run(e.c)
				if k.last != cpu.ABIi386 || ex.Code != 42 {
					t.Fatalf("got exit %+v with abi %d, want the i386 exit(42)", ex, k.last)
				}
				return
			}
			e.load(tc.code(e.base, e.data()))
			if tc.setup != nil {
				tc.setup(e)
			}
			sp := e.c.Regs[cpu.RSP]
			if tc.sig != 0 {
				ex := e.m.Run(e.c)
				if ex.Signal != tc.sig {
					t.Fatalf("got exit %+v, want signal %v", ex, tc.sig)
				}
				if e.c.RIP != e.base+tc.at {
					t.Fatalf("got rip %#x, want %#x", e.c.RIP, e.base+tc.at)
				}
				return
			}
			e.runTrap()
			if msg := tc.check(e, sp); msg != "" {
				t.Fatalf("%s: regs %#x", msg, e.c.Regs)
			}
		})
	}
}

// want returns msg unless ok.
func want(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}
