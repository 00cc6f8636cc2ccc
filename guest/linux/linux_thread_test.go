package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// threadSys runs the named system call on thread t with CPU state c, as
// sysEnv.sys does for the main thread.
func (e *sysEnv) threadSys(t *Thread, c *cpu.CPU, name string, args ...uint64) int64 {
	e.t.Helper()
	var a [6]uint64
	copy(a[:], args)
	c.Regs = [16]uint64{}
	c.Regs[cpu.RAX] = e.nr(name)
	if e.abi == cpu.ABIi386 {
		c.Regs[cpu.RBX], c.Regs[cpu.RCX], c.Regs[cpu.RDX], c.Regs[cpu.RSI], c.Regs[cpu.RDI], c.Regs[cpu.RBP] = a[0], a[1], a[2], a[3], a[4], a[5]
	} else {
		c.Regs[cpu.RDI], c.Regs[cpu.RSI], c.Regs[cpu.RDX], c.Regs[cpu.R10], c.Regs[cpu.R8], c.Regs[cpu.R9] = a[0], a[1], a[2], a[3], a[4], a[5]
	}
	if x := t.Syscall(c, e.abi); x != nil {
		e.t.Fatalf("%s ended the guest: %+v", name, x)
	}
	if e.abi == cpu.ABIi386 {
		return int64(int32(c.Regs[cpu.RAX]))
	}
	return int64(c.Regs[cpu.RAX])
}

func TestNewThread(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	main := e.k.Main()
	if main.TID() != e.k.pid {
		t.Fatalf("main thread tid %d, want the pid %d", main.TID(), e.k.pid)
	}
	for _, tid := range []int{0, -1, e.k.pid} {
		if _, err := e.k.NewThread(tid, nil); err == nil {
			t.Errorf("NewThread(%d): nil error", tid)
		}
	}
	// The child starts with the parent's mask and TLS entries, and no
	// alternate stack.
	mask := uint64(1<<(unix.SIGUSR1-1) | 1<<(unix.SIGTERM-1))
	le.PutUint64(e.view(e.mem, 8), mask)
	if r := e.sys("rt_sigprocmask", unix.SIG_SETMASK, e.mem, 0, 8); r != 0 {
		t.Fatalf("rt_sigprocmask = %d", r)
	}
	putUserDesc(e.view(e.mem+64, sizeofUserDesc), -1, 0x1234_0000, 0xfffff, udSeg32|udLimitInPages|udUseable)
	if r := e.sys("set_thread_area", e.mem+64); r != 0 {
		t.Fatalf("set_thread_area = %d", r)
	}
	ss := cStack{Sp: e.mem + 0x1000, Size: 0x4000}
	ss.encodeI386(e.view(e.mem+128, sizeofStackI386))
	if r := e.sys("sigaltstack", e.mem+128, 0); r != 0 {
		t.Fatalf("sigaltstack = %d", r)
	}
	child, err := e.k.NewThread(e.k.pid+100000, main)
	if err != nil {
		t.Fatal(err)
	}
	if child.sigMask != mask {
		t.Errorf("child mask %#x, want the parent's %#x", child.sigMask, mask)
	}
	if base, ok := child.SegmentBase(12<<3 | 3); !ok || base != 0x1234_0000 {
		t.Errorf("child's TLS entry 12: %#x, %v; want the parent's", base, ok)
	}
	if child.sig.alt.Flags != ssDisable {
		t.Errorf("child alternate stack %+v, want disabled", child.sig.alt)
	}
	if _, err := e.k.NewThread(child.TID(), nil); err == nil {
		t.Errorf("NewThread of a live tid: nil error")
	}
	child.Exit()
	if e.k.thread(child.TID()) != nil {
		t.Errorf("an exited thread is still registered")
	}
	main.Exit()
	if e.k.thread(e.k.pid) != main {
		t.Errorf("the main thread left the registry")
	}
}

// TestThreadState: what a thread owns (tid, mask, alternate stack, TLS
// entries, clear_child_tid) is its own; what the process shares (signal
// dispositions, limits) is seen by every thread.
func TestThreadState(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			main := e.k.Main()
			tid := e.k.pid + 100000
			t2, err := e.k.NewThread(tid, main)
			if err != nil {
				t.Fatal(err)
			}
			c2 := cpu.NewCPU(tc.mode)
			if r := e.threadSys(t2, c2, "gettid"); r != int64(tid) {
				t.Errorf("gettid on the second thread = %d, want %d", r, tid)
			}
			if r := e.sys("gettid"); r != int64(e.k.pid) {
				t.Errorf("gettid on the main thread = %d, want %d", r, e.k.pid)
			}
			if r := e.threadSys(t2, c2, "set_tid_address", e.mem+8); r != int64(tid) || t2.clearChildTID != e.mem+8 || main.clearChildTID != 0 {
				t.Errorf("set_tid_address on the second thread = %d (recorded %#x, main %#x)", r, t2.clearChildTID, main.clearChildTID)
			}
			// A mask set on one thread is not the other's.
			le.PutUint64(e.view(e.mem, 8), 1<<(unix.SIGUSR2-1))
			if r := e.threadSys(t2, c2, "rt_sigprocmask", unix.SIG_BLOCK, e.mem, 0, 8); r != 0 {
				t.Fatalf("rt_sigprocmask = %d", r)
			}
			if r := e.sys("rt_sigprocmask", unix.SIG_BLOCK, 0, e.mem+16, 8); r != 0 || le.Uint64(e.view(e.mem+16, 8)) != 0 {
				t.Errorf("main thread's mask %#x after the second blocked SIGUSR2, want 0", le.Uint64(e.view(e.mem+16, 8)))
			}
			// A disposition set on one is every thread's.
			n := uint64(sigactionSize(e.abi))
			encodeSigaction(e.abi, sigAction{handler: sigIGN}, e.view(e.mem+64, n))
			if r := e.threadSys(t2, c2, "rt_sigaction", uint64(unix.SIGUSR1), e.mem+64, 0, 8); r != 0 {
				t.Fatalf("rt_sigaction = %d", r)
			}
			if r := e.sys("rt_sigaction", uint64(unix.SIGUSR1), 0, e.mem+128, 8); r != 0 || decodeSigaction(e.abi, e.view(e.mem+128, n)).handler != sigIGN {
				t.Errorf("main thread sees SIGUSR1's disposition %+v, want SIG_IGN", decodeSigaction(e.abi, e.view(e.mem+128, n)))
			}
			// A signal sent to a thread that blocks it waits in that
			// thread; tgkill finds registered threads only.
			if r := e.sys("tgkill", uint64(e.k.pid), uint64(tid), uint64(unix.SIGUSR2)); r != 0 || e.exit != nil {
				t.Fatalf("tgkill(second thread, SIGUSR2) = %d, exit %+v", r, e.exit)
			}
			if t2.sig.queue.Pending() != 1<<(unix.SIGUSR2-1) || main.sig.queue.Pending() != 0 || e.k.sigShared.Pending() != 0 {
				t.Errorf("pending: second %#x, main %#x, process %#x; want SIGUSR2 in the second thread only",
					t2.sig.queue.Pending(), main.sig.queue.Pending(), e.k.sigShared.Pending())
			}
			t2.Exit()
			if r := e.sys("tgkill", uint64(e.k.pid), uint64(tid), 0); r != errnoRet(unix.ESRCH) {
				t.Errorf("tgkill of an exited thread = %d, want -ESRCH", r)
			}
			// The limits are the process's.
			t3, err := e.k.NewThread(tid+1, main)
			if err != nil {
				t.Fatal(err)
			}
			cur := e.k.nofile()
			if r := e.threadSys(t3, c2, "prlimit64", 0, unix.RLIMIT_NOFILE, 0, e.mem+256); r != 0 || le.Uint64(e.view(e.mem+256, 8)) != cur {
				t.Errorf("prlimit64 on a thread = %d, soft %d; want the process's %d", r, le.Uint64(e.view(e.mem+256, 8)), cur)
			}
		})
	}
}

// TestThreadTLS: set_thread_area installs the calling thread's entry; the
// other thread's selector keeps its own base.
func TestThreadTLS(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	main := e.k.Main()
	t2, err := e.k.NewThread(e.k.pid+100000, main)
	if err != nil {
		t.Fatal(err)
	}
	c2 := cpu.NewCPU(mm.Mode32)
	const flags = udSeg32 | udLimitInPages | udUseable
	for _, c := range []struct {
		t    *Thread
		base uint32
	}{{main, 0x1000_0000}, {t2, 0x2000_0000}} {
		putUserDesc(e.view(e.mem, sizeofUserDesc), 12, c.base, 0xfffff, flags)
		var r int64
		if c.t == main {
			r = e.sys("set_thread_area", e.mem)
		} else {
			r = e.threadSys(t2, c2, "set_thread_area", e.mem)
		}
		if r != 0 {
			t.Fatalf("set_thread_area = %d", r)
		}
	}
	if base, ok := e.k.SegmentBase(12<<3 | 3); !ok || base != 0x1000_0000 {
		t.Errorf("main thread's entry 12: %#x, %v; want 0x10000000", base, ok)
	}
	if base, ok := t2.SegmentBase(12<<3 | 3); !ok || base != 0x2000_0000 {
		t.Errorf("second thread's entry 12: %#x, %v; want 0x20000000", base, ok)
	}
}

// TestThreadsConcurrent runs system calls on several threads at once:
// under -race it checks that what they share is guarded.
func TestThreadsConcurrent(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(p[0])
			defer unix.Close(p[1])
			const threads, calls = 4, 200
			var wg sync.WaitGroup
			for i := 0; i < threads; i++ {
				th, err := e.k.NewThread(e.k.pid+100000+i, e.k.Main())
				if err != nil {
					t.Fatal(err)
				}
				// Each thread its own guest buffer.
				buf := e.mem + uint64(i)*1024
				n := uint64(sigactionSize(e.abi))
				encodeSigaction(e.abi, sigAction{handler: sigIGN}, e.view(buf, n))
				sigaction, sigprocmask, write, read := e.nr("rt_sigaction"), e.nr("rt_sigprocmask"), e.nr("write"), e.nr("read")
				prlimit, gettid := e.nr("prlimit64"), e.nr("gettid")
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := cpu.NewCPU(tc.mode)
					call := func(nr uint64, args ...uint64) int64 {
						var a [6]uint64
						copy(a[:], args)
						c.Regs = [16]uint64{cpu.RAX: nr}
						if tc.abi == cpu.ABIi386 {
							c.Regs[cpu.RBX], c.Regs[cpu.RCX], c.Regs[cpu.RDX], c.Regs[cpu.RSI] = a[0], a[1], a[2], a[3]
						} else {
							c.Regs[cpu.RDI], c.Regs[cpu.RSI], c.Regs[cpu.RDX], c.Regs[cpu.R10] = a[0], a[1], a[2], a[3]
						}
						th.Syscall(c, tc.abi)
						return int64(int32(c.Regs[cpu.RAX]))
					}
					for j := 0; j < calls; j++ {
						call(sigaction, uint64(unix.SIGUSR1), buf, buf+64, 8)
						call(sigprocmask, unix.SIG_BLOCK, buf+128, buf+192, 8)
						call(write, uint64(p[1]), buf, 1)
						call(read, uint64(p[0]), buf+256, 1)
						call(prlimit, 0, unix.RLIMIT_STACK, 0, buf+512)
						call(prlimit, 0, unix.RLIMIT_CORE, buf+768, buf+800) // sets {0, 0}
						call(gettid)
						call(9999)
					}
				}()
			}
			wg.Wait()
			st := e.k.Stats()
			if st.Calls["gettid"] != threads*calls {
				t.Errorf("gettid counted %d times, want %d", st.Calls["gettid"], threads*calls)
			}
		})
	}
}
