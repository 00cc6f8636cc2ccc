package linux

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestModifyLdtLikeHost: modify_ldt calls → their results and the table
// read_ldt gives back, compared with the host kernel answering the same
// calls for this (64-bit) test process, whose LDT nothing else uses.
func TestModifyLdtLikeHost(t *testing.T) {
	type call struct {
		fn          uint64
		entry       uint32
		base, limit uint32
		flags       uint32
		count       uint64 // bytecount; 0: sizeof(struct user_desc)
	}
	const data32 = udSeg32 | udLimitInPages | udUseable
	calls := []call{
		{fn: 2, count: 200}, // read_default_ldt: 128 zero bytes
		{fn: 0, count: 64},  // no LDT yet: 0
		{fn: 0x11, entry: 1, base: 0x12345678, limit: 0xfffff, flags: data32},
		{fn: 1, entry: 3, base: 0xabcdef00, limit: 0x1234, flags: data32 | udReadExecOnly},
		{fn: 0x11, entry: 4, base: 0x1000, limit: 0xffff, flags: 2<<udContentsShift | udSeg32},              // code
		{fn: 0x11, entry: 5, base: 0x2000, limit: 0xff, flags: udNotPresent},                                // 16-bit, not present
		{fn: 0x11, entry: 6, base: 0, limit: 0, flags: udReadExecOnly | udNotPresent},                       // LDT_empty
		{fn: 1, entry: 3, base: 0, limit: 0, flags: data32},                                                 // oldmode clear
		{fn: 0x11, entry: 7, base: 0x3000, limit: 0x10, flags: 3<<udContentsShift | udSeg32},                // conforming code, present: EINVAL
		{fn: 0x11, entry: 7, base: 0x3000, limit: 0x10, flags: 3<<udContentsShift | udSeg32 | udNotPresent}, // allowed not present
		{fn: 1, entry: 8, base: 0x3000, limit: 0x10, flags: 3<<udContentsShift | udNotPresent},              // oldmode: EINVAL
		{fn: 0x11, entry: 8192, base: 0x1000, limit: 1, flags: data32},                                      // EINVAL
		{fn: 0x11, entry: 2, base: 0x1000, limit: 1, flags: data32, count: 15},                              // EINVAL
		{fn: 0x11, entry: 9, base: 0x4000, limit: 0xfffff, flags: data32 | 1<<7},                            // lm: ignored
		{fn: 7}, // ENOSYS
		{fn: 0, count: 128},
		{fn: 0, count: 20}, // a partial entry
	}
	e := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	buf := e.mem
	for i, c := range calls {
		count := c.count
		var ud [sizeofUserDesc]byte
		if c.fn == 1 || c.fn == 0x11 {
			putUserDesc(ud[:], int32(c.entry), c.base, c.limit, c.flags)
			if count == 0 {
				count = sizeofUserDesc
			}
		}
		hostBuf := make([]byte, 256)
		for j := range hostBuf {
			hostBuf[j] = 0x5a
		}
		ptr := unsafe.Pointer(&hostBuf[0])
		if c.fn == 1 || c.fn == 0x11 {
			ptr = unsafe.Pointer(&ud[0])
		}
		want, _, _ := unix.Syscall(unix.SYS_MODIFY_LDT, uintptr(c.fn), uintptr(ptr), uintptr(count))

		g := e.view(buf, 256)
		for j := range g {
			g[j] = 0x5a
		}
		if c.fn == 1 || c.fn == 0x11 {
			copy(g, ud[:])
		}
		got := e.sys("modify_ldt", c.fn, buf, count)
		if uint64(got) != uint64(want) {
			t.Fatalf("call %d %+v: got %#x, want %#x (the host's)", i, c, uint64(got), uint64(want))
		}
		if c.fn == 0 || c.fn == 2 {
			if !bytes.Equal(g, hostBuf) {
				t.Fatalf("call %d %+v: read\n got % x\nwant % x", i, c, g[:count], hostBuf[:count])
			}
		}
	}
}

// TestMachineLDT: a guest installs an LDT entry with modify_ldt, loads FS
// with its selector (entry 1, TI, RPL 3: 0xf) and reads through it (the
// i386 guest at fs:0, whose base is the entry's; the x86-64 one, whose
// memory lies above the 32-bit bases a descriptor holds, with base 0);
// the i386 guest then loads a selector of an entry it did not write,
// which is SIGSEGV.
func TestMachineLDT(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			code := e.mapPages(1, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
			seg, desc := e.mem+0x1000, e.mem+0x2000
			le.PutUint32(e.view(seg, 4), 42)
			base := uint32(seg)
			if tc.abi == cpu.ABIAMD64 {
				base = 0 // a descriptor's base is 32 bits; e.mem is above 4 GiB
			}
			putUserDesc(e.view(desc, sizeofUserDesc), 1, base, 0xfffff, udSeg32|udLimitInPages)
			var prog []byte
			if tc.abi == cpu.ABIi386 {
				prog = seq(
					[]byte{0xb8}, le32(123), // mov eax, modify_ldt
					[]byte{0xbb}, le32(0x11), // mov ebx, 0x11
					[]byte{0xb9}, le32(uint32(desc)), // mov ecx, desc
					[]byte{0xba}, le32(sizeofUserDesc), // mov edx, 16
					[]byte{0xcd, 0x80},             // int 0x80
					[]byte{0x66, 0xb8, 0x0f, 0x00}, // mov ax, 0xf
					[]byte{0x8e, 0xe0},             // mov fs, ax
					[]byte{0x64, 0xa1}, le32(0),    // mov eax, fs:[0]
					[]byte{0x89, 0xc3},             // mov ebx, eax
					[]byte{0x66, 0xb8, 0x17, 0x00}, // mov ax, 0x17 (entry 2: not written)
					[]byte{0x8e, 0xe0},             // mov fs, ax
					[]byte{0xb8}, le32(252),        // mov eax, exit_group
					[]byte{0xcd, 0x80}, // int 0x80
				)
			} else {
				prog = seq(
					[]byte{0xb8}, le32(154), // mov eax, modify_ldt
					[]byte{0xbf}, le32(0x11), // mov edi, 0x11
					[]byte{0x48, 0xbe}, le.AppendUint64(nil, desc), // mov rsi, desc
					[]byte{0xba}, le32(sizeofUserDesc), // mov edx, 16
					[]byte{0x0f, 0x05},                            // syscall
					[]byte{0x66, 0xb8, 0x0f, 0x00},                // mov ax, 0xf
					[]byte{0x8e, 0xe0},                            // mov fs, ax
					[]byte{0x48, 0xb8}, le.AppendUint64(nil, seg), // mov rax, seg
					[]byte{0x64, 0x8b, 0x38}, // mov edi, fs:[rax]
					[]byte{0xb8}, le32(231),  // mov eax, exit_group
					[]byte{0x0f, 0x05}, // syscall
				)
			}
			copy(e.view(code, uint64(len(prog))), prog)
			m, err := NewMachine(MachineConfig{Mode: tc.mode, Space: e.space, Kernel: e.k})
			if err != nil {
				t.Fatalf("NewMachine: %v", err)
			}
			c := cpu.NewCPU(tc.mode)
			c.RIP = code
			x := m.Run(c)
			if tc.abi == cpu.ABIi386 {
				// The second load faults before exit_group.
				if x.Signal != unix.SIGSEGV || c.FSBase != seg || c.Regs[cpu.RBX] != 42 {
					t.Fatalf("guest exit %+v, fs base %#x, ebx %d; want SIGSEGV after reading 42 through the LDT\nstrace:\n%s", x, c.FSBase, c.Regs[cpu.RBX], e.trace)
				}
				return
			}
			if x.Signal != 0 || x.Code != 42 {
				t.Fatalf("guest exit %+v, want code 42\nstrace:\n%s", x, e.trace)
			}
		})
	}
}

// TestInt80From64: a 64-bit process's int 0x80 is served with the i386
// table, its number and arguments cut to 32 bits, and its result comes
// back sign-extended to 64 bits, as the host kernel gives it (an unknown
// number: -ENOSYS in all of RAX; write from an address past 4 GiB cut to
// 0: -EFAULT).
func TestInt80From64(t *testing.T) {
	e := newSysEnv(t, mm.Mode64, cpu.ABIi386)
	for _, tc := range []struct {
		regs [4]uint64 // rax, rbx, rcx, rdx
		want uint64
	}{
		{[4]uint64{999}, 0xffffffffffffffda},
		{[4]uint64{1<<32 | 4, 1, 1 << 32, 1}, 0xfffffffffffffff2},
		{[4]uint64{1<<32 | 20}, uint64(unix.Getpid())},
	} {
		e.c.Regs = [16]uint64{}
		e.c.Regs[cpu.RAX], e.c.Regs[cpu.RBX], e.c.Regs[cpu.RCX], e.c.Regs[cpu.RDX] = tc.regs[0], tc.regs[1], tc.regs[2], tc.regs[3]
		e.k.Syscall(e.c, cpu.ABIi386)
		if e.c.Regs[cpu.RAX] != tc.want {
			t.Fatalf("int 0x80 with %#x: got rax %#x, want %#x", tc.regs, e.c.Regs[cpu.RAX], tc.want)
		}
	}
}
