//go:build linux && amd64

package hostsig

import (
	"os"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A page of generated code, the way the dynarec will have it: written,
// made executable, registered with a fault exit.
type codePage struct {
	base uintptr
	slot int
	off  map[string]uintptr
}

var snippets = []struct {
	name string
	code []byte
}{
	{"identity", []byte{0x48, 0x89, 0xf8, 0xc3}},                                                   // mov rax, rdi; ret
	{"load", []byte{0x48, 0x8b, 0x07, 0xc3}},                                                       // mov rax, [rdi]; ret
	{"store", []byte{0xc6, 0x07, 0x01, 0xc3}},                                                      // mov byte [rdi], 1; ret
	{"ud2", []byte{0x0f, 0x0b}},                                                                    // ud2
	{"int3", []byte{0xcc, 0xc3}},                                                                   // int3; ret
	{"div0", []byte{0x31, 0xc9, 0x48, 0xf7, 0xf1, 0xc3}},                                           // xor ecx, ecx; div rcx; ret
	{"poll", []byte{0x65, 0x83, 0x3c, 0x25, 0x18, 0, 0, 0, 0, 0x74, 0xf5, 0x48, 0x89, 0xf8, 0xc3}}, // l: cmp dword gs:[24], 0; je l; mov rax, rdi; ret
}

func newCodePage(t testing.TB) *codePage {
	t.Helper()
	page := uintptr(os.Getpagesize())
	base := mmap(t, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1)
	mem := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), base)), page)
	cp := &codePage{base: base, off: map[string]uintptr{}}
	o := uintptr(0)
	for _, s := range snippets {
		copy(mem[o:], s.code)
		cp.off[s.name] = o
		o += 64
	}
	if err := unix.Mprotect(mem, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	slot, err := RegisterCode(base, base+page, faultExitAddr())
	if err != nil {
		t.Fatal(err)
	}
	cp.slot = slot
	t.Cleanup(func() { UnregisterCode(slot) })
	return cp
}

func (cp *codePage) entry(name string) uintptr { return cp.base + cp.off[name] }

// TestGeneratedCodeFault: faults in registered generated code come back as
// fault exits with the kernel's siginfo and the generated code's registers;
// Go's handler never sees them (it would crash: the PC is not Go code).
func TestGeneratedCodeFault(t *testing.T) {
	cp := newCodePage(t)
	page := uintptr(os.Getpagesize())
	ro := mmap(t, page, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1)
	cases := []struct {
		name     string
		arg      uintptr
		sig      int
		code     int32
		addr     uintptr
		pcOffset uintptr // PC - entry
	}{
		{"load", 0x20, SIGSEGV, SEGV_MAPERR, 0x20, 0},
		{"store", ro + 8, SIGSEGV, SEGV_ACCERR, ro + 8, 0},
		{"ud2", 0, SIGILL, ILL_ILLOPN, cp.entry("ud2"), 0},
		{"int3", 0, SIGTRAP, SI_KERNEL, 0, 1},
		{"div0", 0, SIGFPE, FPE_INTDIV, cp.entry("div0") + 2, 2},
	}
	before := ReadStats().Redirected
	onThread(t, func(th *Thread) {
		if got := enterCode(th.Block(), cp.entry("identity"), 0x1234); got != 0x1234 {
			t.Fatalf("identity returned %#x", got)
		}
		for _, c := range cases {
			got := enterCode(th.Block(), cp.entry(c.name), c.arg)
			if got != faultExited {
				t.Errorf("%s: returned %#x, want the fault exit", c.name, got)
				continue
			}
			fl, ok := th.TakeFault()
			if !ok {
				t.Fatalf("%s: no fault recorded", c.name)
			}
			if fl.Info.Signo() != c.sig || fl.Info.Code() != c.code || uintptr(fl.Info.Addr()) != c.addr ||
				fl.PC != cp.entry(c.name)+c.pcOffset {
				t.Errorf("%s: signo %d code %d addr %#x pc %#x; want %d %d %#x %#x", c.name,
					fl.Info.Signo(), fl.Info.Code(), fl.Info.Addr(), fl.PC, c.sig, c.code, c.addr, cp.entry(c.name)+c.pcOffset)
			}
			if c.name == "load" && fl.Regs[RegRDI] != uint64(c.arg) {
				t.Errorf("load: RDI %#x, want %#x", fl.Regs[RegRDI], c.arg)
			}
		}
	})
	if got := ReadStats().Redirected - before; got != uint64(len(cases)) {
		t.Fatalf("Stats.Redirected moved by %d, want %d", got, len(cases))
	}
}

// TestGeneratedCodeExitRequest: generated code polls gs:[24]; a SIGURG that
// arrives while it runs (Go's preemption signal, forwarded to Go too) sets
// it, so a loop with no other exit returns.
func TestGeneratedCodeExitRequest(t *testing.T) {
	cp := newCodePage(t)
	onThread(t, func(th *Thread) {
		var done atomic.Bool
		go func() {
			for !done.Load() {
				unix.Tgkill(os.Getpid(), th.Tid(), unix.SIGURG)
				time.Sleep(time.Millisecond)
			}
		}()
		got := enterCode(th.Block(), cp.entry("poll"), 77)
		done.Store(true)
		if got != 77 || !th.ExitRequested() {
			t.Fatalf("poll loop returned %d, exit request %v", got, th.ExitRequested())
		}
	})
}
