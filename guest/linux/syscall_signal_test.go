package linux

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/signal"
	"github.com/minemu/minemu/mm"
)

// TestRestartRules: a system call that ended with a restart code while a
// signal was pending, and the state the guest sees: the handler's frame
// saves RAX and RIP as the kernel's handle_signal leaves them (restarted
// at the instruction, or -EINTR), and rt_sigreturn puts them back;
// without a handler to run the call restarts at once
// (restart_syscall for ERESTART_RESTARTBLOCK).
func TestRestartRules(t *testing.T) {
	const handler, restorer, rip, nr = 0x5000, 0x6000, 0x7002, 0 // nr 0: read on x86-64, restart_syscall on i386
	for _, tc := range abiCases {
		for _, c := range []struct {
			name    string
			code    int64
			flags   uint64 // of the handler; ^0: no handler (the signal is ignored)
			wantRAX int64
			wantRIP uint64
		}{
			{"ERESTARTSYS, SA_RESTART", signal.ERESTARTSYS, signal.SA_RESTART, nr, rip - 2},
			{"ERESTARTSYS", signal.ERESTARTSYS, 0, -int64(unix.EINTR), rip},
			{"ERESTARTNOHAND, SA_RESTART", signal.ERESTARTNOHAND, signal.SA_RESTART, -int64(unix.EINTR), rip},
			{"ERESTARTNOINTR", signal.ERESTARTNOINTR, 0, nr, rip - 2},
			{"ERESTART_RESTARTBLOCK", signal.ERESTART_RESTARTBLOCK, signal.SA_RESTART, -int64(unix.EINTR), rip},
			{"ERESTARTSYS, no handler", signal.ERESTARTSYS, ^uint64(0), nr, rip - 2},
			{"ERESTART_RESTARTBLOCK, no handler", signal.ERESTART_RESTARTBLOCK, ^uint64(0), -1, rip - 2},
		} {
			t.Run(tc.name+"/"+c.name, func(t *testing.T) {
				e := newSysEnv(t, tc.mode, tc.abi)
				k, th := e.k, e.k.Main()
				act := signal.Action{Handler: handler, Flags: c.flags | signal.SA_RESTORER | signal.SA_SIGINFO, Restorer: restorer}
				if c.flags == ^uint64(0) {
					act = signal.Action{Handler: signal.SIG_IGN}
				}
				if _, errno := k.sigaction(signal.SIGUSR1, &act); errno != 0 {
					t.Fatal(errno)
				}
				// Blocked while generated, so that it is queued even when
				// ignored; the call's end unblocks it, as sigsuspend would.
				th.setMask(1 << (signal.SIGUSR1 - 1))
				k.sendThread(th, signal.KillInfo(signal.SIGUSR1, signal.SI_TKILL, k.pid, 0), th)
				th.setMask(0)
				c0 := e.c
				*c0 = *cpu.NewCPU(tc.mode)
				c0.RIP, c0.Regs[cpu.RSP] = rip, e.mem+memSize-256
				s := &th.cur
				s.t, s.c, s.abi, s.nr = th, c0, tc.abi, nr
				th.setResult(c0, -c.code)
				if ex := th.afterSyscall(c0, s, -c.code); ex != nil {
					t.Fatalf("exit %+v", ex)
				}
				want := c.wantRAX
				if want == -1 { // restart_syscall
					want = 219
					if tc.abi == cpu.ABIi386 {
						want = 0
					}
				}
				if c.flags == ^uint64(0) {
					if got := e.ret(); got != want || c0.RIP != c.wantRIP {
						t.Fatalf("rax %d rip %#x, want %d %#x", got, c0.RIP, want, c.wantRIP)
					}
					return
				}
				if c0.RIP != handler {
					t.Fatalf("rip %#x, want the handler %#x", c0.RIP, handler)
				}
				// The handler returns to the restorer: rt_sigreturn.
				if tc.abi == cpu.ABIi386 {
					c0.Regs[cpu.RSP] += 4
				} else {
					c0.Regs[cpu.RSP] += 8
				}
				r := k.sigreturn(s, true)
				th.setResult(c0, r)
				if got := e.ret(); got != want || c0.RIP != c.wantRIP || c0.Regs[cpu.RSP] != e.mem+memSize-256 {
					t.Fatalf("after rt_sigreturn: rax %d rip %#x sp %#x, want %d %#x %#x", got, c0.RIP, c0.Regs[cpu.RSP], want, c.wantRIP, e.mem+memSize-256)
				}
				if th.mask() != 0 {
					t.Fatalf("mask after rt_sigreturn %#x, want 0", th.mask())
				}
			})
		}
	}
}

// TestForcedFault: a fault whose signal is blocked or ignored is
// unblocked and reset to its default action, and kills; one with a
// handler gets a frame.
func TestForcedFault(t *testing.T) {
	for _, tc := range abiCases {
		for _, c := range []struct {
			name  string
			setup func(k *Linux, th *Thread)
			dies  bool
		}{
			{"handled", func(k *Linux, th *Thread) {
				k.sigaction(signal.SIGSEGV, &signal.Action{Handler: 0x5000, Flags: signal.SA_SIGINFO | signal.SA_RESTORER, Restorer: 0x6000})
			}, false},
			{"blocked", func(k *Linux, th *Thread) {
				k.sigaction(signal.SIGSEGV, &signal.Action{Handler: 0x5000, Flags: signal.SA_SIGINFO | signal.SA_RESTORER, Restorer: 0x6000})
				th.setMask(1 << (signal.SIGSEGV - 1))
			}, true},
			{"ignored", func(k *Linux, th *Thread) { k.sigaction(signal.SIGSEGV, &signal.Action{Handler: signal.SIG_IGN}) }, true},
			{"default", func(k *Linux, th *Thread) {}, true},
		} {
			t.Run(tc.name+"/"+c.name, func(t *testing.T) {
				e := newSysEnv(t, tc.mode, tc.abi)
				th := e.k.Main()
				c.setup(e.k, th)
				*e.c = *cpu.NewCPU(tc.mode)
				e.c.RIP, e.c.Regs[cpu.RSP] = 0x7000, e.mem+memSize-256
				ex := th.DeliverFault(e.c, cpu.Fault{Signal: signal.SIGSEGV, Code: signal.SEGV_MAPERR, Addr: 0x10, Trapno: 14, Err: 4, Detail: "SIGSEGV at address 0x10"})
				if c.dies {
					if ex == nil || ex.Signal != unix.SIGSEGV || ex.Detail != "SIGSEGV at address 0x10" {
						t.Fatalf("exit %+v, want SIGSEGV with the fault's detail", ex)
					}
					return
				}
				if ex != nil || e.c.RIP != 0x5000 || e.c.Regs[cpu.RDX] == 0 {
					t.Fatalf("exit %+v rip %#x, want the handler", ex, e.c.RIP)
				}
			})
		}
	}
}

// ret is RAX as the guest's result: sign-extended from 32 bits for i386.
func (e *sysEnv) ret() int64 {
	if e.abi == cpu.ABIi386 {
		return int64(int32(e.c.Regs[cpu.RAX]))
	}
	return int64(e.c.Regs[cpu.RAX])
}

// TestI386Trampoline: an i386 handler installed without SA_RESTORER
// returns through minemu's sigreturn page (rt_sigreturn for SA_SIGINFO,
// sigreturn for the legacy frame), which holds the kernel's retcode
// sequences and which the guest cannot write.
func TestI386Trampoline(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags uint64
		code  [8]byte
	}{{"rt", signal.SA_SIGINFO, cpu.RtRetcode32}, {"legacy", 0, cpu.SigRetcode32}} {
		t.Run(c.name, func(t *testing.T) {
			e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
			th := e.k.Main()
			e.k.sigaction(signal.SIGUSR1, &signal.Action{Handler: 0x5000, Flags: c.flags})
			*e.c = *cpu.NewCPU(mm.Mode32)
			e.c.RIP, e.c.Regs[cpu.RSP] = 0x7000, e.mem+memSize-256
			e.k.sendThread(th, signal.KillInfo(signal.SIGUSR1, signal.SI_TKILL, e.k.pid, 0), th)
			if ex := th.DeliverSignals(e.c); ex != nil || e.c.RIP != 0x5000 {
				t.Fatalf("exit %+v rip %#x, want the handler", ex, e.c.RIP)
			}
			var ret [4]byte
			if errno := e.k.copyIn(e.c.Regs[cpu.RSP], ret[:]); errno != 0 {
				t.Fatal(errno)
			}
			pc := uint64(le.Uint32(ret[:]))
			var code [8]byte
			if errno := e.k.copyIn(pc, code[:]); errno != 0 || code != c.code {
				t.Fatalf("return address %#x holds % x (%v), want % x", pc, code, errno, c.code)
			}
			if e.k.copyOut(pc, code[:]) == 0 {
				t.Fatalf("the trampoline at %#x is writable", pc)
			}
		})
	}
}

// TestSigqueueinfoChecks: a positive si_code (the kernel's own) or
// SI_TKILL may be queued only to oneself; SI_QUEUE to oneself is queued
// with its value; rt_sigtimedwait takes it, and times out with EAGAIN.
func TestSigqueueinfoChecks(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			pid := uint64(e.k.pid)
			put := func(code int32, value uint32) {
				b := e.view(e.mem, signal.InfoSize)
				clear(b)
				le.PutUint32(b[8:], uint32(code))
				off := 24
				if tc.abi == cpu.ABIi386 {
					off = 20
				}
				le.PutUint32(b[off:], value)
			}
			put(signal.SI_USER, 0)
			if r := e.sys("rt_sigqueueinfo", uint64(unix.Getppid()), uint64(unix.SIGUSR1), e.mem); r != errnoRet(unix.EPERM) {
				t.Fatalf("rt_sigqueueinfo(parent, SI_USER) = %d, want -EPERM", r)
			}
			put(signal.SI_TKILL, 0)
			if r := e.sys("rt_tgsigqueueinfo", uint64(unix.Getppid()), uint64(unix.Getppid()), uint64(unix.SIGUSR1), e.mem); r != errnoRet(unix.EPERM) {
				t.Fatalf("rt_tgsigqueueinfo(parent, SI_TKILL) = %d, want -EPERM", r)
			}
			le.PutUint64(e.view(e.mem+256, 8), 1<<(unix.SIGUSR2-1))
			if r := e.sys("rt_sigprocmask", unix.SIG_BLOCK, e.mem+256, 0, 8); r != 0 {
				t.Fatal(r)
			}
			put(signal.SI_QUEUE, 42)
			if r := e.sys("rt_sigqueueinfo", pid, uint64(unix.SIGUSR2), e.mem); r != 0 {
				t.Fatalf("rt_sigqueueinfo(self) = %d", r)
			}
			ts := e.mem + 512
			clear(e.view(ts, 16))
			info := e.mem + 1024
			if r := e.sys("rt_sigtimedwait", e.mem+256, info, ts, 8); r != int64(unix.SIGUSR2) {
				t.Fatalf("rt_sigtimedwait = %d, want SIGUSR2", r)
			}
			off := 24
			if tc.abi == cpu.ABIi386 {
				off = 20
			}
			if v, code := le.Uint32(e.view(info+uint64(off), 4)), int32(le.Uint32(e.view(info+8, 4))); v != 42 || code != signal.SI_QUEUE {
				t.Fatalf("siginfo value %d code %d, want 42 SI_QUEUE", v, code)
			}
			if r := e.sys("rt_sigtimedwait", e.mem+256, info, ts, 8); r != errnoRet(unix.EAGAIN) {
				t.Fatalf("second rt_sigtimedwait = %d, want -EAGAIN", r)
			}
		})
	}
}
