package engine

import (
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// Signal delivery from the run loop: a Kernel that is a
// cpu.SignalDeliverer is asked to deliver what is pending before every
// engine run, and every exception becomes the fault the kernel would
// report, which it delivers to the guest's handler or turns into the
// guest's death. A memory fault inside the engine run (the panic
// SetPanicOnFault raises) is caught around the run and handled the same
// way, so that a handler can resume the guest (siglongjmp, a handler that
// edits the context).

// FaultMemory: a load or store at Addr faulted (SIGSEGV or SIGBUS).
const FaultMemory Fault = 100

// runEngine runs the engine once; a memory fault on guest memory becomes
// ReasonFault with FaultMemory, c at the faulting instruction.
func (t *Thread) runEngine() (r Reason) {
	defer func() {
		if x := recover(); x != nil {
			re, ok := x.(runtime.Error)
			if !ok {
				panic(x)
			}
			x2 := t.ctx
			x2.Arg = 0
			if fa, ok := re.(interface{ Addr() uintptr }); ok {
				x2.Addr = uint64(fa.Addr())
			} else if strings.Contains(re.Error(), "nil pointer dereference") {
				// The runtime reports faults in the first page without an
				// address; Arg 1 says it is not known.
				a, known := t.p.firstPageFault(t.cpu, x2.PC)
				x2.Addr = a
				if !known {
					x2.Arg = 1
				}
			} else {
				panic(x)
			}
			t.cpu.RIP = x2.PC
			x2.Fault = FaultMemory
			r = ReasonFault
		}
	}()
	return t.p.engine.Run(t)
}

// deliverPending asks the kernel to deliver pending signals.
func (t *Thread) deliverPending() *cpu.Exit {
	if d, ok := t.sysKernel().(cpu.SignalDeliverer); ok {
		return d.DeliverSignals(t.cpu)
	}
	return nil
}

// deliverFault turns the exception the engine returned into the guest's
// signal: delivered to a handler (nil) or the Exit that ends the guest.
func (t *Thread) deliverFault(e cpu.Exit) *cpu.Exit {
	f := t.fault(e)
	d, ok := t.sysKernel().(cpu.SignalDeliverer)
	if !ok {
		return &e
	}
	return d.DeliverFault(t.cpu, f)
}

// fault is the kernel's report of the exception in the exit record, with
// e (the Exit it would cause) giving the signal and the description.
func (t *Thread) fault(e cpu.Exit) cpu.Fault {
	p, x := t.p, t.ctx
	pc := x.PC
	f := cpu.Fault{Signal: int(e.Signal), Detail: e.Detail, Code: 0x80 /* SI_KERNEL */, Trapno: 13}
	switch x.Fault {
	case FaultFetch, FaultMemory:
		f.Addr, f.Trapno = x.Addr, 14
		f.Err = 4 // user
		if x.Fault == FaultFetch {
			f.Err |= 0x10
		}
		prot, mapped := p.guestProt(x.Addr)
		if e.Signal == unix.SIGBUS {
			f.Code = 2 // BUS_ADRERR
		} else if mapped && p.space != nil {
			f.Code, f.Err = 2, f.Err|1 // SEGV_ACCERR: a protection fault
			_ = prot
		} else {
			f.Code = 1 // SEGV_MAPERR
		}
		if p.mode == mm.Mode32 {
			f.Addr &= 0xffffffff
		}
	case FaultUD2, FaultInvalid:
		f.Code, f.Addr, f.Trapno = 2, pc, 6 // ILL_ILLOPN
	case FaultAam, FaultDivide:
		f.Code, f.Addr, f.Trapno = 1, pc, 0 // FPE_INTDIV
	case FaultInt3:
		f.Trapno = 3
	case FaultInto:
		// #OF is a trap: the frame's RIP is past the instruction.
		f.Trapno = 4
		if next, ok := p.nextPC(pc); ok {
			t.cpu.RIP = next
		}
	case FaultBound:
		f.Trapno = 5
	case FaultSelector:
		f.Err = x.Arg &^ 3
	case FaultX87:
		// #MF at the waiting instruction: the si_code the unit chose.
		f.Trapno, f.Addr, f.Code = 16, pc, int32(x.Arg)
	case FaultSIMD:
		f.Trapno, f.Addr = 19, pc
		mx := t.cpu.MXCSR
		err := ^(mx >> 7) & mx
		switch {
		case err&0x001 != 0:
			f.Code = 7 // FPE_FLTINV
		case err&0x004 != 0:
			f.Code = 3 // FPE_FLTDIV
		case err&0x008 != 0:
			f.Code = 4 // FPE_FLTOVF
		case err&0x012 != 0:
			f.Code = 5 // FPE_FLTUND
		case err&0x020 != 0:
			f.Code = 6 // FPE_FLTRES
		default:
			f.Code = 0
		}
	}
	return f
}

// memoryExit is the Exit of an undelivered FaultMemory.
func (t *Thread) memoryExit() cpu.Exit {
	p, x := t.p, t.ctx
	if x.Arg == 1 {
		return sigExit(unix.SIGSEGV, "SIGSEGV at an address below 0x1000 (guest rip %#x)", x.PC)
	}
	sig := p.faultSignal(x.Addr)
	return sigExit(sig, "%s at address %#x (guest rip %#x)", unix.SignalName(sig), x.Addr, x.PC)
}

// nextPC is the address after the decoded instruction at pc (the return
// address of a trap); ok is false when no live block holds it. Only a
// trapping guest pays for the search.
func (p *Process) nextPC(pc uint64) (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.index {
		if !b.live.Load() || pc < b.Lo || pc >= b.End {
			continue
		}
		for i := range b.Ops {
			if o := &b.Ops[i]; o.PC == pc {
				return o.Next() & p.ipMask(), true
			}
		}
	}
	return 0, false
}
