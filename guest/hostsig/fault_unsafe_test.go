//go:build linux && amd64

package hostsig

import (
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Guest-memory accessors as minemu's interpreter has them: Go loads and
// stores through an address that is not Go memory.

//go:noinline
//go:nocheckptr
func accLoad64(a uintptr) uint64 { return *(*uint64)(unsafe.Add(unsafe.Pointer(nil), a)) }

//go:noinline
//go:nocheckptr
func accStore8(a uintptr, v byte) { *(*byte)(unsafe.Add(unsafe.Pointer(nil), a)) = v }

// probe runs f under SetPanicOnFault and returns what it panicked with.
func probe(f func()) (p any) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() { p = recover() }()
	f()
	return nil
}

func mmap(t testing.TB, size uintptr, prot int, flags int, fd int) uintptr {
	t.Helper()
	p, _, e := unix.Syscall6(unix.SYS_MMAP, 0, size, uintptr(prot), uintptr(flags), uintptr(fd), 0)
	if e != 0 {
		t.Fatal("mmap:", e)
	}
	t.Cleanup(func() { unix.Syscall(unix.SYS_MUNMAP, p, size, 0) })
	return p
}

// TestFaultInGoAccessor: a fault in a Go accessor on a registered thread is
// recorded with the kernel's siginfo before Go's panic-on-fault takes over,
// including what Go's runtime.Error does not keep (first-page addresses,
// SIGSEGV vs SIGBUS, MAPERR vs ACCERR, read vs write).
func TestFaultInGoAccessor(t *testing.T) {
	page := uintptr(os.Getpagesize())
	anon := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	ro := mmap(t, page, unix.PROT_READ, anon, -1)
	none := mmap(t, page, unix.PROT_NONE, anon, -1)
	// A page mapped and unmapped again, at an address where neither the
	// kernel (top-down from the stack) nor the Go runtime places anything.
	const hole = 0x3_0000_0000
	gone, _, e := unix.Syscall6(unix.SYS_MMAP, hole, page, unix.PROT_READ, uintptr(anon|unix.MAP_FIXED_NOREPLACE), ^uintptr(0), 0)
	if e != 0 || gone != hole {
		t.Fatalf("mmap at %#x: %#x, %v", uintptr(hole), gone, e)
	}
	unix.Syscall(unix.SYS_MUNMAP, gone, page, 0)
	gone -= page
	f, err := os.CreateTemp(t.TempDir(), "short")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 100))
	file := mmap(t, 2*page, unix.PROT_READ, unix.MAP_SHARED, int(f.Fd()))
	f.Close()

	cases := []struct {
		name      string
		f         func()
		sig       int
		code      int32
		addr      uintptr
		write     bool
		goHasAddr bool // Go's panic value carries the address
	}{
		{"first page", func() { accLoad64(0x10) }, SIGSEGV, SEGV_MAPERR, 0x10, false, false},
		{"unmapped", func() { accLoad64(gone + page + 0x238) }, SIGSEGV, SEGV_MAPERR, gone + page + 0x238, false, true},
		{"PROT_NONE", func() { accLoad64(none + 0x123) }, SIGSEGV, SEGV_ACCERR, none + 0x123, false, true},
		{"write read-only", func() { accStore8(ro+0x7ff, 1) }, SIGSEGV, SEGV_ACCERR, ro + 0x7ff, true, true},
		{"file past EOF", func() { accLoad64(file + page + 0x40) }, SIGBUS, BUS_ADRERR, file + page + 0x40, false, true},
	}
	onThread(t, func(th *Thread) {
		if _, ok := th.TakeFault(); ok {
			t.Fatal("fault recorded before any fault")
		}
		for i, c := range cases {
			p := probe(c.f)
			re, ok := p.(runtime.Error)
			if !ok {
				t.Fatalf("%s: panic %v, want a runtime.Error", c.name, p)
			}
			_, hasAddr := p.(interface{ Addr() uintptr })
			if hasAddr != c.goHasAddr {
				t.Errorf("%s: Go's panic has Addr: %v, want %v (%v)", c.name, hasAddr, c.goHasAddr, re)
			}
			fl, ok := th.TakeFault()
			if !ok {
				t.Fatalf("%s: no fault recorded", c.name)
			}
			if fl.Seq != uint64(i+1) || fl.Info.Signo() != c.sig || fl.Info.Code() != c.code || uintptr(fl.Info.Addr()) != c.addr {
				t.Errorf("%s: fault #%d signo %d code %d addr %#x; want #%d %d %d %#x", c.name,
					fl.Seq, fl.Info.Signo(), fl.Info.Code(), fl.Info.Addr(), i+1, c.sig, c.code, c.addr)
			}
			if fn := runtime.FuncForPC(fl.PC); fn == nil || !strings.Contains(fn.Name(), ".acc") {
				t.Errorf("%s: fault PC %#x not in an accessor", c.name, fl.PC)
			}
			if fl.Regs[RegRIP] != uint64(fl.PC) {
				t.Errorf("%s: Regs[RIP] %#x, PC %#x", c.name, fl.Regs[RegRIP], fl.PC)
			}
			if c.sig == SIGSEGV {
				if w := fl.Regs[RegErr]&2 != 0; w != c.write || fl.Regs[RegTrapno] != 14 || fl.Regs[RegCR2] != uint64(c.addr) {
					t.Errorf("%s: err %#x trapno %d cr2 %#x; want write=%v, 14, %#x", c.name,
						fl.Regs[RegErr], fl.Regs[RegTrapno], fl.Regs[RegCR2], c.write, c.addr)
				}
			}
			if _, ok := th.TakeFault(); ok {
				t.Errorf("%s: fault returned twice", c.name)
			}
		}
	})
}

// TestFaultUnregistered: on a thread that is not registered (GS base 0, or
// a stale one inherited), nothing is recorded and Go's recovery works.
func TestFaultUnregistered(t *testing.T) {
	done := make(chan any)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		done <- probe(func() { accLoad64(0x18) })
	}()
	if _, ok := (<-done).(runtime.Error); !ok {
		t.Fatal("no runtime.Error from a fault on an unregistered thread")
	}
}

// TestGoNilDeref: Go's own nil-pointer panic still recovers on a registered
// thread (the handler records, then forwards to Go).
func TestGoNilDeref(t *testing.T) {
	onThread(t, func(th *Thread) {
		var p *[4096]byte
		err := func() (err any) {
			defer func() { err = recover() }()
			return p[100]
		}()
		if re, ok := err.(runtime.Error); !ok || !strings.Contains(re.Error(), "nil pointer") {
			t.Fatalf("recovered %v, want a nil pointer runtime.Error", err)
		}
		// 100, or 0 where the compiler (-race) checks p itself first.
		if fl, ok := th.TakeFault(); !ok || fl.Info.Signo() != SIGSEGV || fl.Info.Addr() != 100 && fl.Info.Addr() != 0 {
			t.Fatalf("fault %v signo %d addr %#x, want SIGSEGV recorded at 100", ok, fl.Info.Signo(), fl.Info.Addr())
		}
	})
}
