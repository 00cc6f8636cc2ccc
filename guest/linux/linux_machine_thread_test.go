package linux

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// cloneProg64 and cloneProg32 clone a thread with the registers the test
// sets and wait for its clear_child_tid word to be cleared (a futex wait,
// as pthread_join); the child stores its gettid and the word at its TLS
// base, then exits with exit.
//
// x86-64: rdi flags, rsi stack, rdx ptid, r10 ctid, r8 tls; r12 ctid,
// rbx data (child: [rbx+16] tid, [rbx+24] fs:[0]).
var cloneProg64 = []byte{
	0xb8, 0x38, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x74, 0x1a,
	0x41, 0x8b, 0x14, 0x24, 0x85, 0xd2, 0x74, 0x11, 0x4c, 0x89, 0xe7, 0x31,
	0xf6, 0x4d, 0x31, 0xd2, 0xb8, 0xca, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb,
	0xe7, 0xcc, 0xb8, 0xba, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x89, 0x43, 0x10,
	0x64, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0x43,
	0x18, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05,
}

// i386: ebx flags, ecx stack, edx ptid, esi user_desc, edi ctid; ebp data
// with the ctid word at [ebp+8] (child: [ebp+16] tid, [ebp+24] gs:[0]).
var cloneProg32 = []byte{
	0xb8, 0x78, 0x00, 0x00, 0x00, 0xcd, 0x80, 0x85, 0xc0, 0x74, 0x18, 0x8b,
	0x55, 0x08, 0x85, 0xd2, 0x74, 0x10, 0x8d, 0x5d, 0x08, 0x31, 0xc9, 0x31,
	0xf6, 0xb8, 0xf0, 0x00, 0x00, 0x00, 0xcd, 0x80, 0xeb, 0xe9, 0xcc, 0xb8,
	0xe0, 0x00, 0x00, 0x00, 0xcd, 0x80, 0x89, 0x45, 0x10, 0x65, 0xa1, 0x00,
	0x00, 0x00, 0x00, 0x89, 0x45, 0x18, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x31,
	0xdb, 0xcd, 0x80,
}

// TestMachineCloneThread: clone with glibc's flags on the engine: the
// child runs on its own host thread with the tid the parent and the child
// were told (CLONE_PARENT_SETTID, CLONE_CHILD_SETTID, gettid), its own
// stack and TLS (a GDT entry of its own for i386, the FS base for x86-64),
// and its exit clears clear_child_tid and wakes the parent's futex wait;
// the thread is gone from the registry afterwards.
func TestMachineCloneThread(t *testing.T) {
	const flags = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread | cloneSysVSem |
		cloneSetTLS | cloneParentSetTID | cloneChildSetTID | cloneChildClearTID
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			code := e.mapPages(1, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
			d := e.mem
			ptid, ctid, tlsBase, desc, stack := d, d+8, d+0x200, d+0x300, d+0x8000
			le.PutUint32(e.view(tlsBase, 4), 0x7e57)
			m, err := NewMachine(MachineConfig{Mode: tc.mode, Space: e.space, Kernel: e.k})
			if err != nil {
				t.Fatalf("NewMachine: %v", err)
			}
			e.k.SetThreadStarter(m.Process)
			c := cpu.NewCPU(tc.mode)
			c.RIP = code
			if tc.abi == cpu.ABIi386 {
				copy(e.view(code, uint64(len(cloneProg32))), cloneProg32)
				putUserDesc(e.view(desc, sizeofUserDesc), 12, uint32(tlsBase), 0xfffff, udSeg32|udLimitInPages|udUseable)
				c.Regs[cpu.RBX], c.Regs[cpu.RCX], c.Regs[cpu.RDX], c.Regs[cpu.RSI], c.Regs[cpu.RDI] = flags, stack, ptid, desc, ctid
				c.Regs[cpu.RBP] = d
				c.GS = 12<<3 | 3 // the parent's selector; the entry is the child's
			} else {
				copy(e.view(code, uint64(len(cloneProg64))), cloneProg64)
				c.Regs[cpu.RDI], c.Regs[cpu.RSI], c.Regs[cpu.RDX], c.Regs[cpu.R10], c.Regs[cpu.R8] = flags, stack, ptid, ctid, tlsBase
				c.Regs[cpu.R12], c.Regs[cpu.RBX] = ctid, d
			}
			if x := m.Run(c); x.Signal != unix.SIGTRAP {
				t.Fatalf("parent ended with %+v, want its int3\nstrace:\n%s", x, e.trace)
			}
			tid := le.Uint32(e.view(ptid, 4))
			if tid == 0 || int(tid) == e.k.pid {
				t.Fatalf("parent_tid %d: want a tid of its own (pid %d)\nstrace:\n%s", tid, e.k.pid, e.trace)
			}
			if got := le.Uint32(e.view(d+16, 4)); got != tid {
				t.Errorf("the child's gettid %d, the parent was told %d", got, tid)
			}
			if got := le.Uint32(e.view(ctid, 4)); got != 0 {
				t.Errorf("clear_child_tid word %d after the child's exit, want 0", got)
			}
			if got := le.Uint32(e.view(d+24, 4)); got != 0x7e57 {
				t.Errorf("the child's TLS word %#x, want 0x7e57", got)
			}
			if e.k.thread(int(tid)) != nil {
				t.Errorf("thread %d still registered after its exit", tid)
			}
			// The child's run ends just after it woke the parent.
			for deadline := time.Now().Add(5 * time.Second); e.k.Running() != 1; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d threads running, want the main one", e.k.Running())
				}
			}
			if !strings.Contains(e.trace.String(), "clone") {
				t.Errorf("strace lacks the clone:\n%s", e.trace)
			}
			if tc.mode == mm.Mode32 && c.GSBase == uint64(tlsBase) {
				t.Errorf("the parent's GS base became the child's TLS")
			}
		})
	}
}
