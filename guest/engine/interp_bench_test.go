package engine

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// Sieve of Eratosthenes over n bytes at cpu.RDI/EDI (n in cpu.RSI/ESI); leaves the
// number of primes below n in EAX and stops at int3. Assembled with nasm
// from the source in the comment of sieve64.
var (
	// mov rcx,rsi; push rdi; mov al,1; rep stosb; pop rdi; mov byte [rdi],0;
	// mov byte [rdi+1],0; mov rbx,2; outer: mov rax,rbx; imul rax,rbx;
	// cmp rax,rsi; jae count; cmp byte [rdi+rbx],0; je next; inner:
	// mov byte [rdi+rax],0; add rax,rbx; cmp rax,rsi; jb inner; next:
	// inc rbx; jmp outer; count: xor eax,eax; xor ecx,ecx; cloop:
	// movzx edx,byte [rdi+rcx]; add eax,edx; inc rcx; cmp rcx,rsi;
	// jne cloop; int3
	sieve64 = []byte{0x48, 0x89, 0xf1, 0x57, 0xb0, 0x01, 0xf3, 0xaa, 0x5f, 0xc6, 0x07, 0x00, 0xc6, 0x47, 0x01, 0x00, 0xbb, 0x02, 0x00, 0x00, 0x00, 0x48, 0x89, 0xd8, 0x48, 0x0f, 0xaf, 0xc3, 0x48, 0x39, 0xf0, 0x73, 0x17, 0x80, 0x3c, 0x1f, 0x00, 0x74, 0x0c, 0xc6, 0x04, 0x07, 0x00, 0x48, 0x01, 0xd8, 0x48, 0x39, 0xf0, 0x72, 0xf4, 0x48, 0xff, 0xc3, 0xeb, 0xdd, 0x31, 0xc0, 0x31, 0xc9, 0x0f, 0xb6, 0x14, 0x0f, 0x01, 0xd0, 0x48, 0xff, 0xc1, 0x48, 0x39, 0xf1, 0x75, 0xf2, 0xcc}
	// The same with 32-bit registers.
	sieve32 = []byte{0x89, 0xf1, 0x57, 0xb0, 0x01, 0xf3, 0xaa, 0x5f, 0xc6, 0x07, 0x00, 0xc6, 0x47, 0x01, 0x00, 0xbb, 0x02, 0x00, 0x00, 0x00, 0x89, 0xd8, 0x0f, 0xaf, 0xc3, 0x39, 0xf0, 0x73, 0x13, 0x80, 0x3c, 0x1f, 0x00, 0x74, 0x0a, 0xc6, 0x04, 0x07, 0x00, 0x01, 0xd8, 0x39, 0xf0, 0x72, 0xf6, 0x43, 0xeb, 0xe4, 0x31, 0xc0, 0x31, 0xc9, 0x0f, 0xb6, 0x14, 0x0f, 0x01, 0xd0, 0x41, 0x39, 0xf1, 0x75, 0xf5, 0xcc}
)

// exitKernel ends the guest on any system call without allocating.
type exitKernel struct{ e cpu.Exit }

func (k *exitKernel) Syscall(c *cpu.CPU, abi cpu.ABI) *cpu.Exit { return &k.e }

func sieveEnv(t testing.TB, mode mm.Mode) *testEnv {
	e := newEnv(t, mode)
	if mode == mm.Mode32 {
		e.load(sieve32)
	} else {
		e.load(sieve64)
	}
	return e
}

func (e *testEnv) runSieve(n uint64) uint64 {
	e.reset()
	e.c.Regs[cpu.RDI] = e.data()
	e.c.Regs[cpu.RSI] = n
	e.runTrap()
	return e.c.Regs[cpu.RAX]
}

func TestSieve(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		e := sieveEnv(t, mode)
		// pi(10^5) = 9592 primes below 100000.
		if got := e.runSieve(100000); got != 9592 {
			t.Fatalf("mode %v: %d primes below 100000, want 9592", mode, got)
		}
		st := e.m.Stats()
		if st.BlocksDecoded > 20 || st.BlocksExecuted < 100000 {
			t.Fatalf("mode %v: block cache not doing its job: %+v", mode, st)
		}
	}
}

// TestHotLoopZeroAlloc: once its blocks are decoded, running guest code
// allocates nothing.
func TestHotLoopZeroAlloc(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		e := newEnv(t, mode)
		k := &exitKernel{}
		e.m, _ = newMachine(Config{Mode: mode, Kernel: k})
		// The sieve with a system call instead of the final int3.
		code := append([]byte(nil), sieve64...)
		if mode == mm.Mode32 {
			code = append([]byte(nil), sieve32...)
			code = append(code[:len(code)-1], 0xcd, 0x80)
		} else {
			code = append(code[:len(code)-1], 0x0f, 0x05)
		}
		e.load(code)
		run := func() {
			e.reset()
			e.c.Regs[cpu.RDI], e.c.Regs[cpu.RSI] = e.data(), 2000
			if ex := e.m.Run(e.c); ex.Signal != 0 {
				t.Fatalf("exit %+v", ex)
			}
			// pi(2000) = 303: the loop really ran.
			if got := uint32(e.c.Regs[cpu.RAX]); got != 303 {
				t.Fatalf("mode %v: %d primes below 2000, want 303", mode, got)
			}
		}
		run()
		if a := testing.AllocsPerRun(20, run); a != 0 {
			t.Fatalf("mode %v: %v allocations per run, want 0", mode, a)
		}
	}
}

func BenchmarkSieve(b *testing.B) {
	for _, mode := range []mm.Mode{mm.Mode32, mm.Mode64} {
		b.Run(fmt.Sprintf("mode%v", mode), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			e := sieveEnv(b, mode)
			e.runSieve(1000)
			before := e.m.Stats()
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), threadCPU()
			for i := 0; i < b.N; i++ {
				e.runSieve(1 << 18)
			}
			el, cpu := time.Since(start), threadCPU()-cpu0
			st := e.m.Stats()
			n := float64(st.Instructions - before.Instructions)
			b.ReportMetric(n/el.Seconds(), "instr/s")
			// Per CPU second of this thread: robust when other processes
			// compete for the cores.
			b.ReportMetric(n/cpu.Seconds(), "instr/cpu-s")
			b.ReportMetric(float64(st.BlocksDecoded), "blocks-decoded")
			b.ReportMetric(float64(st.BlocksExecuted-before.BlocksExecuted)/float64(b.N), "blocks-executed/op")
		})
	}
}

// threadCPU is the CPU time consumed by the calling thread.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
