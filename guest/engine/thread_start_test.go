package engine

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// lockedLoop64 runs RCX rounds of locked increments on memory at RBX,
// then int3:
//
//	loop: mov eax, 1
//	      lock xadd [rbx], eax           ; aligned dword: host atomic add
//	      lock inc qword [rbx+8]         ; aligned qword: CAS
//	      lock add word [rbx+17], 1      ; misaligned, inside a word: CAS of the word
//	      lock add dword [rbx+30], 1     ; crosses an 8-byte boundary: split lock
//	      lock bts dword [rbx+48], 0
//	retry: mov eax, [rbx+40]
//	      lea edx, [rax+1]
//	      lock cmpxchg [rbx+40], edx     ; a CAS loop in the guest
//	      jne retry
//	      dec ecx
//	      jnz loop
//	      int3
var lockedLoop64 = []byte{
	0xb8, 0x01, 0x00, 0x00, 0x00, 0xf0, 0x0f, 0xc1, 0x03, 0xf0, 0x48, 0xff,
	0x43, 0x08, 0xf0, 0x66, 0x83, 0x43, 0x11, 0x01, 0xf0, 0x83, 0x43, 0x1e,
	0x01, 0xf0, 0x0f, 0xba, 0x6b, 0x30, 0x00, 0x8b, 0x43, 0x28, 0x8d, 0x50,
	0x01, 0xf0, 0x0f, 0xb1, 0x53, 0x28, 0x75, 0xf3, 0xff, 0xc9, 0x75, 0xd0,
	0xcc,
}

// lockedLoop32 is lockedLoop64 for a 32-bit guest (inc dword [ebx+8],
// dec ecx in its one-byte form).
var lockedLoop32 = []byte{
	0xb8, 0x01, 0x00, 0x00, 0x00, 0xf0, 0x0f, 0xc1, 0x03, 0xf0, 0xff, 0x43,
	0x08, 0xf0, 0x66, 0x83, 0x43, 0x11, 0x01, 0xf0, 0x83, 0x43, 0x1e, 0x01,
	0xf0, 0x0f, 0xba, 0x6b, 0x30, 0x00, 0x8b, 0x43, 0x28, 0x8d, 0x50, 0x01,
	0xf0, 0x0f, 0xb1, 0x53, 0x28, 0x75, 0xf3, 0x49, 0x75, 0xd2, 0xcc,
}

// TestLockedInstructionsCount: four guest threads, each on its own OS
// thread, run the same locked increments on the same memory; every
// counter ends at exactly threads*rounds (the 16-bit one modulo 2^16), in
// both modes, whichever host operation implements the form. Without
// atomicity the interleavings of two cores lose increments.
func TestLockedInstructionsCount(t *testing.T) {
	const threads, rounds = 4, 50000
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			code := lockedLoop64
			if mode == mm.Mode32 {
				code = lockedLoop32
			}
			e.load(code)
			data := e.base + 0x8000
			var wg sync.WaitGroup
			errs := make(chan string, threads)
			for k := 0; k < threads; k++ {
				c := cpu.NewCPU(mode)
				th, err := e.m.NewThread(c)
				if err != nil {
					t.Fatal(err)
				}
				c.Regs[cpu.RSP] = e.base + envSize - 64 - uint64(k)*4096
				c.Regs[cpu.RBX], c.Regs[cpu.RCX] = data, rounds
				c.RIP = e.base
				wg.Add(1)
				go func() {
					defer wg.Done()
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					if ex := th.Run(); ex.Signal != unix.SIGTRAP {
						errs <- "thread stopped with " + ex.Detail
					}
					th.Close()
				}()
			}
			wg.Wait()
			close(errs)
			for s := range errs {
				t.Fatal(s)
			}
			const n = threads * rounds
			for _, c := range []struct {
				name      string
				off       uint64
				size      uint8
				got, want uint64
			}{
				{"lock xadd dword", 0, 4, 0, n},
				{"lock inc", 8, 8, 0, n},
				{"lock add word (misaligned)", 17, 2, 0, n & 0xffff},
				{"lock add dword (split)", 30, 4, 0, n},
				{"lock cmpxchg loop", 40, 4, 0, n},
				{"lock bts", 48, 4, 0, 1},
			} {
				c.got = loadN(data+c.off, c.size)
				if mode == mm.Mode32 && c.off == 8 {
					c.got &= 0xffffffff
				}
				if c.got != c.want {
					t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
				}
			}
		})
	}
}

// TestLockedCmpxchg16bAlignment: lock cmpxchg16b on an operand that is not
// 16-byte aligned is #GP, SIGSEGV, before it touches memory, as on the
// hardware; aligned, it exchanges.
func TestLockedCmpxchg16bAlignment(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	e.load([]byte{0xf0, 0x48, 0x0f, 0xc7, 0x0b, 0xcc}) // lock cmpxchg16b [rbx]; int3
	for _, tc := range []struct {
		off  uint64
		want unix.Signal
	}{{0, unix.SIGTRAP}, {8, unix.SIGSEGV}, {4, unix.SIGSEGV}} {
		data := e.base + 0x8000 + tc.off
		storeN(data, 8, 11)
		storeN(data+8, 8, 22)
		e.c.Regs = [16]uint64{}
		e.c.Regs[cpu.RSP] = e.base + envSize - 64
		e.c.Regs[cpu.RBX] = data
		e.c.Regs[cpu.RAX], e.c.Regs[cpu.RDX] = 11, 22
		e.c.Regs[cpu.RBX] = data
		e.c.Regs[cpu.RCX] = 44
		e.c.RIP = e.base
		ex := e.m.Run(e.c)
		if ex.Signal != tc.want {
			t.Fatalf("offset %d: got %v (%s), want %v", tc.off, ex.Signal, ex.Detail, tc.want)
		}
		lo, hi := loadN(data, 8), loadN(data+8, 8)
		wantLo, wantHi := uint64(11), uint64(22)
		if tc.want == unix.SIGTRAP {
			wantLo, wantHi = data, 44
		}
		if lo != wantLo || hi != wantHi {
			t.Fatalf("offset %d: memory got %d, %d, want %d, %d", tc.off, lo, hi, wantLo, wantHi)
		}
	}
}

// threadKernel is a kernel for threads StartThread starts: getpid-like
// system call 39 answers the thread's own tag, 60 exits with code RDI;
// Exited reports the end.
type threadKernel struct {
	tag    uint64
	exited chan cpu.Exit
}

func (k *threadKernel) Syscall(c *cpu.CPU, abi cpu.ABI) *cpu.Exit {
	switch c.Regs[cpu.RAX] {
	case 39:
		c.Regs[cpu.RAX] = k.tag
	case 60:
		return &cpu.Exit{Code: int(c.Regs[cpu.RDI])}
	default:
		c.Regs[cpu.RAX] = ^uint64(37) // -ENOSYS
	}
	return nil
}

func (k *threadKernel) Exited(e cpu.Exit) { k.exited <- e }

// TestStartThread: a started thread runs on an OS thread of its own (its
// tid is not the caller's), its system calls go to its own kernel, and its
// end is reported through Exited after the engine released it; Kill stops
// a thread spinning in one block at once, and its instructions stay in the
// process's counters.
func TestStartThread(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	// mov eax, 39; syscall; mov rdi, rax; mov eax, 60; syscall
	e.write(e.base, []byte{0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x48, 0x89, 0xc7, 0xb8, 60, 0, 0, 0, 0x0f, 0x05})
	// spin: inc rcx; jmp spin
	spin := e.base + 0x100
	e.write(spin, []byte{0x48, 0xff, 0xc1, 0xeb, 0xfb})

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	me := unix.Gettid()
	start := func(rip uint64, tag uint64) (*threadKernel, cpu.ThreadHandle, int) {
		c := cpu.NewCPU(mm.Mode64)
		c.RIP = rip
		c.Regs[cpu.RSP] = e.base + envSize - 4096
		k := &threadKernel{tag: tag, exited: make(chan cpu.Exit, 1)}
		var h cpu.ThreadHandle
		var tid int
		err := e.m.StartThread(c, func(id int, th cpu.ThreadHandle) (cpu.ThreadKernel, error) {
			tid, h = id, th
			return k, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return k, h, tid
	}
	k, _, tid := start(e.base, 42)
	if ex := <-k.exited; ex.Code != 42 || ex.Signal != 0 {
		t.Fatalf("thread exit: got %+v, want code 42 from its own kernel", ex)
	}
	if tid == me || tid <= 0 {
		t.Fatalf("thread's tid %d; the caller's is %d: want an OS thread of its own", tid, me)
	}
	before := e.m.Stats().Instructions
	k, h, _ := start(spin, 0)
	time.Sleep(20 * time.Millisecond)
	h.Kill(cpu.Exit{Code: 9})
	select {
	case ex := <-k.exited:
		if ex.Code != 9 {
			t.Fatalf("killed thread: got %+v, want the kill's code 9", ex)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Kill did not stop a spinning thread")
	}
	h.Kill(cpu.Exit{Code: 1}) // after the end: nothing
	if got := e.m.Stats().Instructions - before; got < 1000 {
		t.Fatalf("the process counts %d instructions of the spinning thread, want its work", got)
	}
	// A setup error starts nothing and is StartThread's.
	c := cpu.NewCPU(mm.Mode64)
	want := errors.New("no")
	if err := e.m.StartThread(c, func(int, cpu.ThreadHandle) (cpu.ThreadKernel, error) { return nil, want }); err != want {
		t.Fatalf("StartThread with a failing setup: got %v, want %v", err, want)
	}
}

// TestCrossModifyingCode: one guest thread spins in a one-block loop
// until it sees an immediate of its own code change; another guest thread
// changes it with a guest store (a locked xchg). The store drops the block
// (the code filter), and the spinning thread, which checks its block's
// liveness each time round, decodes the new bytes and leaves the loop.
func TestCrossModifyingCode(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			// spin: mov eax, 1; cmp eax, 2; jne spin; int3
			e.write(e.base, []byte{0xb8, 1, 0, 0, 0, 0x83, 0xf8, 0x02, 0x75, 0xf6, 0xcc})
			// patch: mov al, 2; xchg [rbx], al (locked: the atomic path's
			// code filter check); int3
			patch := e.base + 0x100
			e.write(patch, []byte{0xb0, 0x02, 0x86, 0x03, 0xcc})
			run := func(rip, rbx uint64, sp uint64) chan cpu.Exit {
				c := cpu.NewCPU(mode)
				th, err := e.m.NewThread(c)
				if err != nil {
					t.Fatal(err)
				}
				c.RIP, c.Regs[cpu.RBX], c.Regs[cpu.RSP] = rip, rbx, sp
				done := make(chan cpu.Exit, 1)
				go func() {
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					done <- th.Run()
					th.Close()
				}()
				return done
			}
			spinner := run(e.base, 0, e.base+envSize-64)
			time.Sleep(20 * time.Millisecond) // the loop is decoded and running
			if ex := <-run(patch, e.base+1, e.base+envSize-4096); ex.Signal != unix.SIGTRAP {
				t.Fatalf("patching thread: %+v", ex)
			}
			select {
			case ex := <-spinner:
				if ex.Signal != unix.SIGTRAP {
					t.Fatalf("spinning thread: %+v", ex)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the spinning thread never saw the new code")
			}
		})
	}
}

// BenchmarkLockedAdd: one thread, a loop of RCX rounds of `lock xadd`
// (the host's atomic add), `lock inc` (a CAS), `lock add word` at a
// misaligned address (a CAS of the word) and a plain `add` to memory, so
// that the cost of each form shows against the unlocked one.
func BenchmarkLockedAdd(b *testing.B) {
	for _, bc := range []struct {
		name string
		op   []byte
	}{
		{"add", []byte{0x01, 0x03}},                          // add [rbx], eax
		{"lock-xadd", []byte{0xf0, 0x0f, 0xc1, 0x03}},        // lock xadd [rbx], eax
		{"lock-inc", []byte{0xf0, 0xff, 0x03}},               // lock inc dword [rbx]
		{"lock-add-misaligned", []byte{0xf0, 0x01, 0x43, 3}}, // lock add [rbx+3], eax
		{"lock-add-split", []byte{0xf0, 0x01, 0x43, 6}},      // lock add [rbx+6], eax
	} {
		b.Run(bc.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			e := newEnv(b, mm.Mode64)
			// loop: op; dec ecx; jnz loop; int3
			code := append(append([]byte{}, bc.op...), 0xff, 0xc9, 0x75, byte(-(len(bc.op) + 4)), 0xcc)
			e.load(code)
			const rounds = 1 << 20
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.reset()
				e.c.Regs[cpu.RBX], e.c.Regs[cpu.RCX], e.c.Regs[cpu.RAX] = e.base+0x8000, rounds, 1
				if ex := e.m.Run(e.c); ex.Signal != unix.SIGTRAP {
					b.Fatalf("stopped with %+v", ex)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rounds), "ns/round")
		})
	}
}
