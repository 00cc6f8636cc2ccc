package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa/cpuid"
	"github.com/minemu/minemu/mm"
)

// progBase is where testdata/prog*.bin are assembled to run (org).
const progBase = 0x10000000

// TestProgramHash runs testdata/prog32.bin and prog64.bin, functions that
// exercise control flow, the stack, string instructions, flags and wide
// arithmetic, through CallGuest. The expected hashes are what the same
// sources print when built as native programs and run on the host
// (`make -C guest/testdata` rebuilds both and prints them).
func TestProgramHash(t *testing.T) {
	for _, tc := range []struct {
		mode mm.Mode
		file string
		want uint64
	}{
		{mm.Mode32, "testdata/prog32.bin", 0x41dec26a},
		{mm.Mode64, "testdata/prog64.bin", 0xc6cb1afaa465ec2a},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			code, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnvAt(t, tc.mode, progBase)
			e.load(code)
			before := *e.c
			got, err := e.m.CallGuest(e.c, progBase, e.data())
			if err != nil {
				t.Fatalf("CallGuest: %v", err)
			}
			if got != tc.want {
				t.Fatalf("hash %#x, want %#x (native)", got, tc.want)
			}
			if e.c.Regs != before.Regs || e.c.RIP != before.RIP {
				t.Fatalf("CallGuest did not restore the CPU: regs %#x rip %#x, want %#x %#x", e.c.Regs, e.c.RIP, before.Regs, before.RIP)
			}
			st := e.m.Stats()
			if st.Instructions == 0 || st.BlocksDecoded == 0 || st.BlocksExecuted < st.BlocksDecoded {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// hole returns the address of an inaccessible page (PROT_NONE), reserved
// for the test so that nothing else can be mapped there meanwhile.
func hole(t *testing.T) uint64 {
	a, err := mapAnonProt(mm.PageSize, true, unix.PROT_NONE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmapAnon(a, mm.PageSize) })
	return a
}

// busPage returns the address of a page that is mapped but past the end of
// its file: touching it raises SIGBUS. It lies below 2 GiB, for Mode32.
func busPage(t *testing.T) uint64 {
	f, err := os.CreateTemp(t.TempDir(), "short")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	r, _, e := unix.Syscall6(unix.SYS_MMAP, 0, 2*mm.PageSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_SHARED|unix.MAP_32BIT, f.Fd(), 0)
	if e != 0 {
		t.Fatal(e)
	}
	t.Cleanup(func() { unmapAnon(uint64(r), 2*mm.PageSize) })
	return uint64(r) + mm.PageSize
}

func TestFaults(t *testing.T) {
	h := hole(t)
	bus := busPage(t)
	long := func(prefixes int, tail ...byte) []byte {
		return append(bytes.Repeat([]byte{0x66}, prefixes), tail...)
	}
	for _, tc := range []struct {
		name   string
		mode   mm.Mode
		code   []byte
		regs   map[cpu.Reg]uint64
		status int
		detail []string // substrings of cpu.Exit.Detail; "$HOLE" is the unmapped address
	}{
		{"load-unmapped", mm.Mode64, []byte{0x48, 0x8b, 0x03, 0xcc}, map[cpu.Reg]uint64{cpu.RBX: h + 8}, 139, []string{"SIGSEGV at address $HOLE8", "guest rip"}},
		{"load-unmapped", mm.Mode32, []byte{0x8b, 0x03, 0xcc}, map[cpu.Reg]uint64{cpu.RBX: h + 8}, 139, []string{"SIGSEGV at address $HOLE8"}},
		{"load-null", mm.Mode64, []byte{0x48, 0x8b, 0x03, 0xcc}, map[cpu.Reg]uint64{cpu.RBX: 16}, 139, []string{"SIGSEGV at address 0x10 (guest rip"}},
		{"store-null-disp", mm.Mode32, []byte{0x89, 0x43, 0x24, 0xcc}, map[cpu.Reg]uint64{cpu.RBX: 0x100}, 139, []string{"SIGSEGV at address 0x124 (guest rip"}},
		{"push-null-stack", mm.Mode32, []byte{0x50, 0xcc}, map[cpu.Reg]uint64{cpu.RSP: 0x20}, 139, []string{"SIGSEGV at an address below 0x1000"}},
		{"jmp-unmapped", mm.Mode64, []byte{0xff, 0xe0}, map[cpu.Reg]uint64{cpu.RAX: h}, 139, []string{"SIGSEGV at address $HOLE", "instruction fetch"}},
		{"ud2", mm.Mode64, []byte{0x90, 0x0f, 0x0b}, nil, 132, []string{"SIGILL", "ud2"}},
		{"invalid-opcode", mm.Mode64, []byte{0x90, 0x06, 0xcc}, nil, 132, []string{"SIGILL", "bytes 06 cc"}},
		{"invalid-opcode", mm.Mode32, []byte{0x0f, 0x04, 0xcc}, nil, 132, []string{"SIGILL", "bytes 0f 04"}}, // (d6 is salc)
		{"avx512-unsupported", mm.Mode64, []byte{0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc1}, nil, 132, []string{"SIGILL", "62 f1 7c 48 58 c1", "AVX-512 is not implemented"}},
		{"sse-misaligned", mm.Mode64, []byte{0x66, 0x0f, 0x6f, 0x03, 0xcc}, map[cpu.Reg]uint64{cpu.RBX: 0x1008}, 139, []string{"SIGSEGV", "misaligned"}},
		{"div-zero", mm.Mode64, []byte{0x48, 0xf7, 0xf1, 0xcc}, nil, 136, []string{"SIGFPE", "divide error"}},
		{"div-overflow", mm.Mode32, []byte{0xf7, 0xf1, 0xcc}, map[cpu.Reg]uint64{cpu.RDX: 5, cpu.RCX: 5}, 136, []string{"SIGFPE"}},
		{"idiv-min", mm.Mode32, []byte{0xf7, 0xf9, 0xcc}, map[cpu.Reg]uint64{cpu.RAX: 0x80000000, cpu.RDX: 0xffffffff, cpu.RCX: 0xffffffff}, 136, []string{"SIGFPE"}},
		{"hlt", mm.Mode64, []byte{0xf4}, nil, 139, []string{"SIGSEGV", "hlt"}},
		{"xsetbv", mm.Mode64, []byte{0x0f, 0x01, 0xd1}, nil, 139, []string{"SIGSEGV", "xsetbv"}},
		{"xsaves-unreported", mm.Mode64, []byte{0x0f, 0xc7, 0x2b}, nil, 132, []string{"SIGILL"}},
		{"cli", mm.Mode32, []byte{0xfa}, nil, 139, []string{"SIGSEGV: general protection: privileged instruction cli"}},
		{"in", mm.Mode64, []byte{0xe4, 0x80}, nil, 139, []string{"privileged instruction in"}},
		{"outsb", mm.Mode32, []byte{0xf3, 0x6e}, nil, 139, []string{"privileged instruction outsb"}},
		{"rdmsr", mm.Mode64, []byte{0x0f, 0x32}, nil, 139, []string{"privileged instruction rdmsr"}},
		{"mov-from-cr0", mm.Mode32, []byte{0x0f, 0x20, 0xc0}, nil, 139, []string{"privileged instruction mov"}},
		{"mov-to-dr7", mm.Mode64, []byte{0x0f, 0x23, 0xf8}, nil, 139, []string{"privileged instruction mov"}},
		{"lock-register", mm.Mode32, []byte{0xf0, 0x01, 0xd8}, nil, 132, []string{"SIGILL", "LOCK prefix not allowed"}},
		{"lock-mov", mm.Mode64, []byte{0xf0, 0x89, 0x03}, nil, 132, []string{"SIGILL", "bytes f0 89 03", "LOCK"}},
		{"lock-xchg-registers", mm.Mode64, []byte{0xf0, 0x87, 0xd8}, nil, 132, []string{"LOCK"}},
		{"15-bytes", mm.Mode32, long(14, 0x90, 0xcc), nil, 133, []string{"SIGTRAP"}},
		{"16-bytes", mm.Mode32, long(15, 0x90, 0xcc), nil, 139, []string{"SIGSEGV", "longer than 15 bytes"}},
		{"16-bytes-add", mm.Mode64, long(14, 0x01, 0xd8, 0xcc), nil, 139, []string{"longer than 15 bytes"}},
		{"15-bytes-add", mm.Mode64, long(13, 0x01, 0xd8, 0xcc), nil, 133, []string{"SIGTRAP"}},
		{"16-bytes-rex", mm.Mode64, append(bytes.Repeat([]byte{0x48}, 15), 0x90, 0xcc), nil, 139, []string{"longer than 15 bytes"}},
		{"mixed-prefixes-16", mm.Mode64, append(bytes.Repeat([]byte{0x66, 0x2e, 0x67, 0x48}, 3), 0x66, 0x2e, 0x48, 0x8b, 0x03, 0xcc), nil, 139, []string{"longer than 15 bytes"}},
		{"aam-0", mm.Mode32, []byte{0xd4, 0x00}, nil, 136, []string{"SIGFPE", "aam 0"}},
		{"aam-64-bit", mm.Mode64, []byte{0xd4, 0x0a}, nil, 132, []string{"SIGILL"}},
		{"into-overflow", mm.Mode32, []byte{0xb8, 0xff, 0xff, 0xff, 0x7f, 0x40, 0xce, 0xcc}, nil, 139, []string{"SIGSEGV", "into"}},
		{"into-no-overflow", mm.Mode32, []byte{0x31, 0xc0, 0xce, 0xcc}, nil, 133, []string{"SIGTRAP"}},
		{"load-past-eof", mm.Mode32, []byte{0x8b, 0x43, 0x08, 0xcc}, map[cpu.Reg]uint64{cpu.RBX: bus}, 135, []string{"SIGBUS at address $BUS8"}},
		{"store-past-eof", mm.Mode64, []byte{0x89, 0x43, 0x08, 0xcc}, map[cpu.Reg]uint64{cpu.RBX: bus}, 135, []string{"SIGBUS at address $BUS8"}},
		{"exec-past-eof", mm.Mode64, []byte{0xff, 0xe3}, map[cpu.Reg]uint64{cpu.RBX: bus}, 135, []string{"SIGBUS at address $BUS", "instruction fetch"}},
		{"movs-past-eof", mm.Mode64, []byte{0xf3, 0xa4, 0xcc}, map[cpu.Reg]uint64{cpu.RSI: bus, cpu.RCX: 16}, 135, []string{"SIGBUS"}},
		{"int3", mm.Mode32, []byte{0xcc}, nil, 133, []string{"SIGTRAP"}},
		{"int-other", mm.Mode64, []byte{0xcd, 0x21}, nil, 139, []string{"SIGSEGV"}},
		{"thunk-without-layer", mm.Mode64, append([]byte{0x0f, 0x3f}, make([]byte, 32)...), nil, 132, []string{"SIGILL", "thunk"}},
		{"trap-outside-callback", mm.Mode64, []byte{0x0f, 0x3e}, nil, 132, []string{"SIGILL"}},
		{"cmpxchg16b-misaligned", mm.Mode64, []byte{0x48, 0x0f, 0xc7, 0x0b, 0xcc}, map[cpu.Reg]uint64{cpu.RBX: 8}, 139, []string{"SIGSEGV", "aligned"}},
		{"bad-selector", mm.Mode32, []byte{0x8e, 0xe8, 0xcc}, map[cpu.Reg]uint64{cpu.RAX: 0x63}, 139, []string{"SIGSEGV", "selector"}},
	} {
		t.Run(tc.mode.String()+"/"+tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mode)
			e.load(tc.code)
			for r, v := range tc.regs {
				e.c.Regs[r] = v
			}
			if tc.name == "cmpxchg16b-misaligned" {
				e.c.Regs[cpu.RBX] += e.data()
			}
			if tc.name == "movs-past-eof" {
				e.c.Regs[cpu.RDI] = e.data()
			}
			ex := e.m.Run(e.c)
			if ex.Status() != tc.status {
				t.Fatalf("status %d (%+v), want %d", ex.Status(), ex, tc.status)
			}
			for _, s := range tc.detail {
				s = strings.ReplaceAll(s, "$HOLE8", hex(h+8))
				s = strings.ReplaceAll(s, "$BUS8", hex(bus+8))
				s = strings.ReplaceAll(s, "$BUS", hex(bus))
				s = strings.ReplaceAll(s, "$HOLE", hex(h))
				if !strings.Contains(ex.Detail, s) {
					t.Errorf("detail %q does not contain %q", ex.Detail, s)
				}
			}
		})
	}
}

func hex(v uint64) string {
	return "0x" + strings.TrimLeft(strings.ToLower(strings.TrimPrefix(fmtHex(v), "0x")), "")
}

func fmtHex(v uint64) string {
	const digits = "0123456789abcdef"
	if v == 0 {
		return "0x0"
	}
	var b []byte
	for ; v != 0; v >>= 4 {
		b = append([]byte{digits[v&15]}, b...)
	}
	return "0x" + string(b)
}

// TestMode32Wrap: in Mode32 effective addresses wrap at 4 GiB, so base +
// index beyond 4 GiB reads low memory, and a store straddling the top of
// the address space wraps to address 0 instead of touching the first bytes
// above 4 GiB, where minemu's own memory may live.
func TestMode32Wrap(t *testing.T) {
	e := newEnv(t, mm.Mode32)
	binary.LittleEndian.PutUint32(guestBytes(e.data(), 4), 0xcafef00d)
	e.load([]byte{0x8b, 0x04, 0x0b, 0xcc}) // mov eax, [ebx+ecx]
	e.c.Regs[cpu.RBX] = 0xfffffff0
	e.c.Regs[cpu.RCX] = e.data() + 0x10
	e.runTrap()
	if e.c.Regs[cpu.RAX] != 0xcafef00d {
		t.Fatalf("eax %#x, want 0xcafef00d", e.c.Regs[cpu.RAX])
	}
	e.reset()
	e.load([]byte{0x89, 0x03, 0xcc}) // mov [ebx], eax
	e.c.Regs[cpu.RBX] = 0xfffffffe
	ex := e.m.Run(e.c)
	if ex.Signal != unix.SIGSEGV || !strings.Contains(ex.Detail, "0xfffffffe") {
		t.Fatalf("exit %+v, want SIGSEGV at 0xfffffffe", ex)
	}
}

func TestSelfModifyingCode(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	// lea rax,[rel patch]; mov byte [rax],0x90; mov byte [rax+1],0x90;
	// patch: jmp short skip; mov ecx,42; skip: int3
	e.load([]byte{0x48, 0x8d, 0x05, 0x07, 0x00, 0x00, 0x00, 0xc6, 0x00, 0x90, 0xc6, 0x40, 0x01, 0x90, 0xeb, 0x05, 0xb9, 0x2a, 0x00, 0x00, 0x00, 0xcc})
	e.runTrap()
	if e.c.Regs[cpu.RCX] != 42 {
		t.Fatalf("rcx %d: the patched jump was not seen", e.c.Regs[cpu.RCX])
	}
	if e.m.Stats().Invalidations == 0 {
		t.Fatalf("no invalidation counted")
	}
}

func TestInvalidateRedecodes(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	e.load([]byte{0xb8, 1, 0, 0, 0, 0xcc}) // mov eax, 1; int3
	e.runTrap()
	copy(guestBytes(e.base+1, 1), []byte{2}) // behind the machine's back
	r, _ := mm.NewRange(mm.Addr(e.base), 1)
	e.m.Invalidate(r)
	e.c.RIP = e.base
	e.runTrap()
	if e.c.Regs[cpu.RAX] != 2 {
		t.Fatalf("rax %d after invalidation, want 2", e.c.Regs[cpu.RAX])
	}
	if st := e.m.Stats(); st.BlocksDecoded != 2 || st.Invalidations != 1 {
		t.Fatalf("stats %+v, want 2 blocks decoded, 1 invalidation", st)
	}
}

// segKernel is a Kernel with one GDT-style descriptor, like the Linux
// layer's set_thread_area table.
type segKernel struct {
	sel  uint16
	base uint64
	last cpu.ABI
	n    int
}

func (k *segKernel) Syscall(c *cpu.CPU, abi cpu.ABI) *cpu.Exit {
	k.last, k.n = abi, k.n+1
	if c.Regs[cpu.RAX] == 60 || (abi == cpu.ABIi386 && c.Regs[cpu.RAX] == 1) {
		return &cpu.Exit{Code: int(c.Regs[cpu.RBX] & 0xff)}
	}
	c.Regs[cpu.RAX] = 4242
	return nil
}

func (k *segKernel) SegmentBase(sel uint16) (uint64, bool) {
	return k.base, sel == k.sel
}

func TestSegments(t *testing.T) {
	t.Run("fs64", func(t *testing.T) {
		e := newEnv(t, mm.Mode64)
		binary.LittleEndian.PutUint64(guestBytes(e.data()+8, 8), 0x1122334455667788)
		e.c.FSBase = e.data()
		e.load([]byte{0x64, 0x48, 0x8b, 0x04, 0x25, 0x08, 0x00, 0x00, 0x00, 0x64, 0x48, 0x89, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00, 0xcc})
		e.runTrap()
		if got := binary.LittleEndian.Uint64(guestBytes(e.data()+16, 8)); got != 0x1122334455667788 {
			t.Fatalf("fs:16 holds %#x", got)
		}
	})
	t.Run("gs32", func(t *testing.T) {
		e := newEnv(t, mm.Mode32)
		k := &segKernel{sel: 0x63, base: e.data()}
		m, err := newMachine(Config{Mode: mm.Mode32, Kernel: k})
		if err != nil {
			t.Fatal(err)
		}
		e.m = m
		binary.LittleEndian.PutUint32(guestBytes(e.data()+4, 4), 0xabcd1234)
		// mov ax,0x63; mov gs,ax; mov eax,[gs:4]; mov ecx,gs; int3
		e.load([]byte{0x66, 0xb8, 0x63, 0x00, 0x8e, 0xe8, 0x65, 0xa1, 0x04, 0x00, 0x00, 0x00, 0x8c, 0xe9, 0xcc})
		e.runTrap()
		if e.c.Regs[cpu.RAX] != 0xabcd1234 || e.c.Regs[cpu.RCX] != 0x63 || e.c.GSBase != e.data() {
			t.Fatalf("eax %#x ecx %#x gsbase %#x", e.c.Regs[cpu.RAX], e.c.Regs[cpu.RCX], e.c.GSBase)
		}
	})
}

func TestSyscalls(t *testing.T) {
	t.Run("nil-kernel", func(t *testing.T) {
		e := newEnv(t, mm.Mode64)
		e.load([]byte{0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xcc}) // mov eax,39; syscall; int3
		e.runTrap()
		if int64(e.c.Regs[cpu.RAX]) != -int64(unix.ENOSYS) {
			t.Fatalf("rax %d, want -ENOSYS", int64(e.c.Regs[cpu.RAX]))
		}
	})
	t.Run("amd64", func(t *testing.T) {
		e := newEnv(t, mm.Mode64)
		k := &segKernel{}
		e.m, _ = newMachine(Config{Mode: mm.Mode64, Kernel: k})
		e.load([]byte{0xf9, 0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xcc}) // stc; mov eax,39; syscall; int3
		e.runTrap()
		if k.last != cpu.ABIAMD64 || e.c.Regs[cpu.RAX] != 4242 || e.c.Regs[cpu.RCX] != e.base+8 || e.c.Regs[cpu.R11]&cpu.FlagCF == 0 {
			t.Fatalf("abi %d rax %d rcx %#x r11 %#x", k.last, e.c.Regs[cpu.RAX], e.c.Regs[cpu.RCX], e.c.Regs[cpu.R11])
		}
	})
	t.Run("i386-exit", func(t *testing.T) {
		e := newEnv(t, mm.Mode32)
		k := &segKernel{}
		e.m, _ = newMachine(Config{Mode: mm.Mode32, Kernel: k})
		// mov eax,20; int 0x80; mov ebx,eax; mov eax,1; int 0x80
		e.load([]byte{0xb8, 0x14, 0x00, 0x00, 0x00, 0xcd, 0x80, 0x89, 0xc3, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xcd, 0x80})
		ex := e.m.Run(e.c)
		if k.last != cpu.ABIi386 || k.n != 2 || ex.Signal != 0 || ex.Code != 4242&0xff {
			t.Fatalf("exit %+v after %d calls with abi %d", ex, k.n, k.last)
		}
	})
}

// callbackThunker is a Thunker whose one host function calls back into
// the guest function fn with the argument the stub received in cpu.RDI, and
// returns its result plus one in cpu.RAX.
type callbackThunker struct {
	m      *machine
	fn     uint64
	depth  int
	maxErr error
}

func (th *callbackThunker) Resolve(h [32]byte) (uint32, error) {
	if h[0] != 0xab {
		return 0, errors.New("unknown thunk")
	}
	return 7, nil
}

func (th *callbackThunker) Call(id uint32, c *cpu.CPU) error {
	if id != 7 {
		return errors.New("bad id")
	}
	th.depth++
	r, err := th.m.CallGuest(c, th.fn, c.Regs[cpu.RDI], 10, 100)
	if err != nil {
		th.maxErr = err
		return err
	}
	c.Regs[cpu.RAX] = r + 1
	return nil
}

func TestThunkCallback(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	th := &callbackThunker{}
	m, err := newMachine(Config{Mode: mm.Mode64, Thunker: th})
	if err != nil {
		t.Fatal(err)
	}
	th.m, e.m = m, m
	// main: mov edi,7; call stub; int3; stub: 0F 3F + hash
	main := []byte{0xbf, 0x07, 0x00, 0x00, 0x00, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xcc, 0x0f, 0x3f}
	for i := 0; i < 32; i++ {
		main = append(main, 0xab)
	}
	callee := []byte{0x48, 0x8d, 0x04, 0x77, 0x48, 0x01, 0xd0, 0xc3} // lea rax,[rdi+rsi*2]; add rax,rdx; ret
	e.load(main)
	e.write(e.base+0x100, callee)
	th.fn = e.base + 0x100
	sp := e.c.Regs[cpu.RSP]
	e.runTrap()
	if e.c.Regs[cpu.RAX] != 7+20+100+1 || e.c.Regs[cpu.RSP] != sp || e.c.RIP != e.base+11 {
		t.Fatalf("rax %d rsp %#x rip %#x", e.c.Regs[cpu.RAX], e.c.Regs[cpu.RSP], e.c.RIP)
	}
}

func TestCallGuestDepthLimit(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	th := &callbackThunker{}
	m, _ := newMachine(Config{Mode: mm.Mode64, Thunker: th})
	th.m, e.m = m, m
	// The callee is the stub itself: every call recurses.
	stub := append([]byte{0x0f, 0x3f}, make([]byte, 32)...)
	for i := 2; i < len(stub); i++ {
		stub[i] = 0xab
	}
	e.load(stub)
	th.fn = e.base
	ex := e.m.Run(e.c)
	if ex.Signal != unix.SIGILL || !strings.Contains(ex.Detail, "nesting") {
		t.Fatalf("exit %+v, want SIGILL about nesting", ex)
	}
}

func TestCallGuest32(t *testing.T) {
	e := newEnv(t, mm.Mode32)
	// mov eax,[esp+4]; mov ecx,[esp+8]; lea eax,[eax+ecx*2]; add eax,[esp+12]; ret
	e.load([]byte{0x8b, 0x44, 0x24, 0x04, 0x8b, 0x4c, 0x24, 0x08, 0x8d, 0x04, 0x48, 0x03, 0x44, 0x24, 0x0c, 0xc3})
	e.c.Regs[cpu.RBX] = 77
	got, err := e.m.CallGuest(e.c, e.base, 1, 2, 0xfffffff0)
	if err != nil {
		t.Fatal(err)
	}
	if got != (1+4+0xfffffff0)&0xffffffff || e.c.Regs[cpu.RBX] != 77 {
		t.Fatalf("got %#x, ebx %d", got, e.c.Regs[cpu.RBX])
	}
	if e.m.trap >= 1<<32 {
		t.Fatalf("trap at %#x, not reachable by a 32-bit guest", e.m.trap)
	}
}

func TestStackAndFlagsInstructions(t *testing.T) {
	t.Run("push-pop-16", func(t *testing.T) {
		e := newEnv(t, mm.Mode32)
		sp := e.c.Regs[cpu.RSP]
		e.load([]byte{0x66, 0x68, 0x34, 0x12, 0x66, 0x59, 0x54, 0x5a, 0xcc}) // push word 0x1234; pop cx; push esp; pop edx
		e.runTrap()
		if e.c.Regs[cpu.RCX] != 0x1234 || e.c.Regs[cpu.RDX] != sp || e.c.Regs[cpu.RSP] != sp {
			t.Fatalf("cx %#x edx %#x esp %#x (sp %#x)", e.c.Regs[cpu.RCX], e.c.Regs[cpu.RDX], e.c.Regs[cpu.RSP], sp)
		}
	})
	t.Run("xlat", func(t *testing.T) {
		e := newEnv(t, mm.Mode32)
		copy(guestBytes(e.data(), 4), []byte{10, 11, 12, 13})
		e.c.Regs[cpu.RBX] = e.data()
		e.load([]byte{0xb0, 0x03, 0xd7, 0xcc})
		e.runTrap()
		if e.c.Regs[cpu.RAX] != 13 {
			t.Fatalf("al %d", e.c.Regs[cpu.RAX])
		}
	})
	t.Run("pushf-popf", func(t *testing.T) {
		e := newEnv(t, mm.Mode64)
		// std; pushfq; pop rax; cld; or rax,1; push rax; popfq; setc bl; int3
		e.load([]byte{0xfd, 0x9c, 0x58, 0xfc, 0x48, 0x83, 0xc8, 0x01, 0x50, 0x9d, 0x0f, 0x92, 0xc3, 0xcc})
		e.runTrap()
		f := e.c.RFLAGS()
		if e.c.Regs[cpu.RAX]&cpu.FlagDF == 0 || f&cpu.FlagDF == 0 || f&cpu.FlagCF == 0 || e.c.Regs[cpu.RBX] != 1 || f&cpu.FlagIF == 0 {
			t.Fatalf("rax %#x flags %#x bl %d", e.c.Regs[cpu.RAX], f, e.c.Regs[cpu.RBX])
		}
	})
	t.Run("endbr-rdssp", func(t *testing.T) {
		e := newEnv(t, mm.Mode64)
		// endbr64; rdsspq rax; endbr32; mov eax, 5; int3
		e.load([]byte{0xf3, 0x0f, 0x1e, 0xfa, 0xf3, 0x48, 0x0f, 0x1e, 0xc8, 0xf3, 0x0f, 0x1e, 0xfb, 0xb8, 5, 0, 0, 0, 0xcc})
		e.runTrap()
		if e.c.Regs[cpu.RAX] != 5 {
			t.Fatalf("rax %d", e.c.Regs[cpu.RAX])
		}
	})
	t.Run("cpuid", func(t *testing.T) {
		e := newEnv(t, mm.Mode64)
		e.load([]byte{0x0f, 0xa2, 0xcc})
		e.runTrap()
		var v [12]byte
		binary.LittleEndian.PutUint32(v[0:], uint32(e.c.Regs[cpu.RBX]))
		binary.LittleEndian.PutUint32(v[4:], uint32(e.c.Regs[cpu.RDX]))
		binary.LittleEndian.PutUint32(v[8:], uint32(e.c.Regs[cpu.RCX]))
		// The model (guest/isa/cpuid) keeps the host's vendor and caps
		// the maximum basic leaf at 0xd.
		h := cpuid.HostCPU().Query(0, 0)
		var hv [12]byte
		binary.LittleEndian.PutUint32(hv[0:], h.EBX)
		binary.LittleEndian.PutUint32(hv[4:], h.EDX)
		binary.LittleEndian.PutUint32(hv[8:], h.ECX)
		if v != hv || e.c.Regs[cpu.RAX] != uint64(min(h.EAX, 0xd)) {
			t.Fatalf("vendor %q max leaf %d, want %q %d", v, e.c.Regs[cpu.RAX], hv, min(h.EAX, 0xd))
		}
		// Leaf 1: FPU, MMX, SSE, SSE2, FXSR and SSE3-SSE4.2 are
		// implemented, and minemu is no hypervisor.
		e.load([]byte{0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xcc})
		e.runTrap()
		c, d := e.c.Regs[cpu.RCX], e.c.Regs[cpu.RDX]
		const edxWant, ecxWant = 1<<0 | 1<<23 | 1<<24 | 1<<25 | 1<<26, 1<<0 | 1<<9 | 1<<19 | 1<<20
		if d&edxWant != edxWant || c&ecxWant != ecxWant || c&(1<<31) != 0 {
			t.Fatalf("leaf 1 ecx %#x edx %#x", c, d)
		}
	})
}

// TestRIPRelative checks RIP-relative operands with negative
// displacements, which x86asm reports zero-extended.
func TestRIPRelative(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	binary.LittleEndian.PutUint64(guestBytes(e.base+0x100, 8), 0x0123456789abcdef)
	// nop x256 to put code after the data; then at base+0x200:
	// lea rax,[rip-16]; mov rcx,[rip-0x10e] (reads base+0x100); int3
	code := make([]byte, 0x200)
	for i := range code {
		code[i] = 0x90
	}
	binary.LittleEndian.PutUint64(code[0x100:], 0x0123456789abcdef)
	code = append(code, 0x48, 0x8d, 0x05, 0xf0, 0xff, 0xff, 0xff) // lea rax,[rip-16]
	code = append(code, 0x48, 0x8b, 0x0d, 0xf2, 0xfe, 0xff, 0xff) // mov rcx,[rip-0x10e]
	code = append(code, 0xcc)
	e.load(code)
	e.c.RIP = e.base + 0x200
	e.runTrap()
	if want := e.base + 0x207 - 16; e.c.Regs[cpu.RAX] != want {
		t.Fatalf("lea: rax %#x, want %#x", e.c.Regs[cpu.RAX], want)
	}
	if e.c.Regs[cpu.RCX] != 0x0123456789abcdef {
		t.Fatalf("load: rcx %#x", e.c.Regs[cpu.RCX])
	}
}

// TestExitDuringCallback: a guest that exits inside a host→guest callback
// ends the whole run with that exit, and CallGuest reports it.
func TestExitDuringCallback(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	th := &callbackThunker{}
	m, _ := newMachine(Config{Mode: mm.Mode64, Thunker: th, Kernel: &segKernel{}})
	th.m, e.m = m, m
	main := []byte{0xbf, 0x07, 0x00, 0x00, 0x00, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xcc, 0x0f, 0x3f}
	for i := 0; i < 32; i++ {
		main = append(main, 0xab)
	}
	// mov eax,60; mov ebx,7; syscall
	e.load(main)
	e.write(e.base+0x100, []byte{0xb8, 0x3c, 0x00, 0x00, 0x00, 0xbb, 0x07, 0x00, 0x00, 0x00, 0x0f, 0x05})
	th.fn = e.base + 0x100
	ex := e.m.Run(e.c)
	if ex.Signal != 0 || ex.Code != 7 {
		t.Fatalf("exit %+v, want code 7", ex)
	}
	var ee *ExitError
	if !errors.As(th.maxErr, &ee) || ee.Exit.Code != 7 {
		t.Fatalf("CallGuest error %v, want an ExitError with code 7", th.maxErr)
	}
}
