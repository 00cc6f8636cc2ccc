package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMachineTLS runs small guest programs on the interpreter with Linux
// as its kernel: an i386 program installs a TLS segment with
// set_thread_area, loads GS with the returned selector and exits with the
// word at gs:0; an x86-64 program does the same through arch_prctl and FS.
func TestMachineTLS(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			code := e.mapPages(1, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
			tls, desc := e.mem+0x1000, e.mem+0x2000
			le.PutUint32(e.view(tls, 4), 42)
			var prog []byte
			if tc.abi == cpu.ABIi386 {
				putUserDesc(e.view(desc, sizeofUserDesc), -1, uint32(tls), 0xfffff, udSeg32|udLimitInPages|udUseable)
				prog = seq(
					[]byte{0xb8}, le32(243), // mov eax, set_thread_area
					[]byte{0xbb}, le32(uint32(desc)), // mov ebx, desc
					[]byte{0xcd, 0x80},          // int 0x80
					[]byte{0x8b, 0x03},          // mov eax, [ebx] (entry number)
					[]byte{0xc1, 0xe0, 0x03},    // shl eax, 3
					[]byte{0x83, 0xc8, 0x03},    // or eax, 3
					[]byte{0x8e, 0xe8},          // mov gs, ax
					[]byte{0x65, 0xa1}, le32(0), // mov eax, gs:[0]
					[]byte{0x89, 0xc3},      // mov ebx, eax
					[]byte{0xb8}, le32(252), // mov eax, exit_group
					[]byte{0xcd, 0x80}, // int 0x80
				)
			} else {
				prog = seq(
					[]byte{0xb8}, le32(158), // mov eax, arch_prctl
					[]byte{0xbf}, le32(archSetFS), // mov edi, ARCH_SET_FS
					[]byte{0x48, 0xbe}, le.AppendUint64(nil, tls), // mov rsi, tls
					[]byte{0x0f, 0x05},                            // syscall
					[]byte{0x64, 0x48, 0x8b, 0x04, 0x25}, le32(0), // mov rax, fs:[0]
					[]byte{0x48, 0x89, 0xc7}, // mov rdi, rax
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
			if x.Signal != 0 || x.Code != 42 {
				t.Fatalf("guest exit %+v, want code 42\nstrace:\n%s", x, e.trace)
			}
			if tc.abi == cpu.ABIi386 && (c.GS != 12<<3|3 || c.GSBase != tls) {
				t.Fatalf("GS = %#x base %#x, want selector 0x63 base %#x", c.GS, c.GSBase, tls)
			}
			if tc.abi == cpu.ABIAMD64 && c.FSBase != tls {
				t.Fatalf("FSBase = %#x, want %#x", c.FSBase, tls)
			}
			if !strings.Contains(e.trace.String(), "exit_group(42) = ?") {
				t.Fatalf("strace lacks the exit:\n%s", e.trace)
			}
		})
	}
}

// TestMachineReadIntoCode checks that code the kernel writes on the guest's
// behalf is re-decoded: the guest calls a function (which returns 1), reads
// new bytes for it from a pipe with read(2) (a function returning 2), calls
// it again and exits with what it returned. A stale decoded block would
// make the exit code 1.
func TestMachineReadIntoCode(t *testing.T) {
	rel := func(from, to uint64) []byte { return le32(uint32(to - from)) }
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			code := e.mapPages(2, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
			fn := code + 0x1000
			var fds [2]int
			if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			defer unix.Close(fds[1])
			newBody := []byte{0xb8, 2, 0, 0, 0, 0xc3} // mov eax, 2; ret
			if _, err := unix.Write(fds[1], newBody); err != nil {
				t.Fatal(err)
			}
			copy(e.view(fn, 6), []byte{0xb8, 1, 0, 0, 0, 0xc3}) // mov eax, 1; ret

			var prog []byte
			call := func() { prog = seq(prog, []byte{0xe8}, rel(code+uint64(len(prog))+5, fn)) }
			call()
			if tc.abi == cpu.ABIi386 {
				prog = seq(prog,
					[]byte{0xbb}, le32(uint32(fds[0])), // mov ebx, fd
					[]byte{0xb9}, le32(uint32(fn)), // mov ecx, fn
					[]byte{0xba}, le32(6), // mov edx, 6
					[]byte{0xb8}, le32(3), // mov eax, read
					[]byte{0xcd, 0x80}, // int 0x80
				)
				call()
				prog = seq(prog,
					[]byte{0x89, 0xc3},      // mov ebx, eax
					[]byte{0xb8}, le32(252), // mov eax, exit_group
					[]byte{0xcd, 0x80},
				)
			} else {
				prog = seq(prog,
					[]byte{0xbf}, le32(uint32(fds[0])), // mov edi, fd
					[]byte{0x48, 0xbe}, le.AppendUint64(nil, fn), // mov rsi, fn
					[]byte{0xba}, le32(6), // mov edx, 6
					[]byte{0xb8}, le32(0), // mov eax, read
					[]byte{0x0f, 0x05}, // syscall
				)
				call()
				prog = seq(prog,
					[]byte{0x89, 0xc7},      // mov edi, eax
					[]byte{0xb8}, le32(231), // mov eax, exit_group
					[]byte{0x0f, 0x05},
				)
			}
			copy(e.view(code, uint64(len(prog))), prog)
			m, err := NewMachine(MachineConfig{Mode: tc.mode, Space: e.space, Kernel: e.k})
			if err != nil {
				t.Fatalf("NewMachine: %v", err)
			}
			c := cpu.NewCPU(tc.mode)
			c.RIP = code
			c.Regs[cpu.RSP] = e.mem + memSize - 64
			x := m.Run(c)
			if x.Signal != 0 || x.Code != 2 {
				t.Fatalf("guest exit %+v, want code 2 (the function re-read from the pipe)\nstrace:\n%s", x, e.trace)
			}
			if st := m.Stats(); st.Invalidations == 0 {
				t.Fatalf("Invalidations = 0 after read(2) over decoded code, want > 0")
			}
		})
	}
}
