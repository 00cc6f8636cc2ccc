package linux

// Guest threads. A Thread is what the kernel keeps per task of a thread
// group; the Process (linux.go) is what the group shares. NewProcess
// creates the main one; clone creates the others with NewThread
// (syscall_clone.go), and each runs its system calls through its own
// Thread.Syscall, on its own goroutine and OS thread.

import (
	"fmt"
	"sync/atomic"

	"github.com/minemu/minemu/guest/linux/signal"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
)

// Thread is one guest thread. Its fields are owned by the goroutine
// running the thread (no lock), except where a comment names a lock.
type Thread struct {
	// p and tid are fixed at creation.
	p   *Process
	tid int

	// cur is the call in flight, reused across calls so that a system
	// call allocates nothing.
	cur sysCall
	// iovScratch holds translated iovec arrays (readv, writev) as base,
	// length pairs; its capacity is 2*sysIOVMax, allocated on first use.
	iovScratch []uint64
	// straceBuf is the --strace line being formatted.
	straceBuf []byte
	// probeBuf is where ownMemory reads the process's probe back to.
	probeBuf *[probeSize]byte

	// sigMask is the blocked set (bit sig-1; never SIGKILL or SIGSTOP).
	// Guarded by p.sigMu: written by the thread itself, read by whoever
	// sends it a signal.
	sigMask uint64
	// sig is the rest of the thread's signal state: its queue, alternate
	// stack, the host thread and the restart in progress
	// (syscall_signal.go).
	sig threadSignals

	// gdt holds the i386 TLS descriptors (GDT entries 12..14) that
	// set_thread_area installed; the engine running this thread reads
	// them through SegmentBase, on the same goroutine.
	gdt [tlsEntries]tlsDesc

	// clearChildTID and robustList are what set_tid_address and
	// set_robust_list recorded (clear_child_tid and the robust-futex list
	// head), used when the thread exits once threads exist.
	clearChildTID uint64
	robustList    uint64

	// Thread lifecycle (syscall_clone.go).
	//
	// handle is the engine's handle of the running thread (Kill), nil
	// until the engine gave it and after the run ended; guarded by
	// p.groupMu. ended is set, under p.groupMu, when the run has ended.
	handle cpu.ThreadHandle
	ended  bool
	// selfExit is set by exit (the thread ends, not the process), and
	// cleaned when the robust list and clear_child_tid have been handled;
	// the thread's own goroutine only.
	selfExit, cleaned bool
	// futexWait is the futex word a wait of the thread blocks on, with bit
	// 0 set for a private futex; 0 when it waits for none. Written by the
	// thread, read by the one ending the process (atomic).
	futexWait atomic.Uint64
	// futexTS is the timeout of the thread's futex wait in flight, and
	// waitBuf the status and rusage of its wait4 (heap memory the host
	// kernel reads and writes); the thread's own goroutine only.
	futexTS unix.Timespec
	waitBuf struct {
		status int32
		ru     unix.Rusage
	}

	// Translated system calls (syscall_poll.go, syscall_net.go ...).
	//
	// scratch is heap memory the host kernel reads and writes for calls
	// whose guest structures minemu translates (pollfd arrays, fd_sets,
	// msghdrs and their control data, socket addresses); grown on
	// demand by scratchBuf, never shrunk. Go's heap does not move, and
	// the Thread keeps it alive across the host call.
	scratch []byte
	// host is the thread as guest/linux/hostcall's handlers see it,
	// set up for each of their calls (sysHostcall).
	host hostTask
}

// NewThread registers guest thread tid of the process. With a parent (the
// thread calling clone), the new thread starts as the kernel's
// copy_process starts a CLONE_VM|CLONE_THREAD child: the parent's signal
// mask and TLS entries, no alternate stack, nothing pending, no
// clear_child_tid or robust list (clone's flags set those afterwards).
// Without one it starts with nothing blocked. tid must be positive and not
// a live thread's.
func (k *Process) NewThread(tid int, parent *Thread) (*Thread, error) {
	if tid <= 0 {
		return nil, fmt.Errorf("guest: NewThread: tid %d", tid)
	}
	t := &Thread{p: k, tid: tid, probeBuf: new([probeSize]byte)}
	t.sig.init()
	if parent != nil {
		t.gdt = parent.gdt
		k.sigMu.Lock()
		t.sigMask = parent.sigMask
		k.sigMu.Unlock()
	}
	k.threadsMu.Lock()
	defer k.threadsMu.Unlock()
	if k.threads[tid] != nil {
		return nil, fmt.Errorf("guest: NewThread: tid %d is already a thread", tid)
	}
	k.threads[tid] = t
	return t, nil
}

// Exit removes the thread from its process: its tid names no thread
// afterwards, and signals still pending for it are dropped, as for a task
// that has died. The main thread stays registered (the process's pid
// keeps naming the group).
func (t *Thread) Exit() {
	k := t.p
	if t == k.main {
		return
	}
	k.threadsMu.Lock()
	if k.threads[t.tid] == t {
		delete(k.threads, t.tid)
	}
	k.threadsMu.Unlock()
	k.sigMu.Lock()
	t.sig.queue = signal.Queue{}
	k.sigMu.Unlock()
}

// Main returns the thread NewProcess created, whose tid is the pid.
func (k *Process) Main() *Thread { return k.main }

// thread returns the live guest thread tid, nil when there is none.
func (k *Process) thread(tid int) *Thread {
	k.threadsMu.Lock()
	defer k.threadsMu.Unlock()
	return k.threads[tid]
}

// TID is the thread's id.
func (t *Thread) TID() int { return t.tid }

// SegmentBase implements SegmentResolver for the main thread.
func (k *Process) SegmentBase(sel uint16) (base uint64, ok bool) { return k.main.SegmentBase(sel) }

// SegmentBase returns the base of the segment an i386 guest thread selects
// with sel (a GS or FS selector value): the base set_thread_area installed
// in the selector's GDT entry, which is the thread's own, or the base of
// the process's LDT entry modify_ldt wrote. ok is false for
// a selector that names no installed TLS entry (the engine raises SIGSEGV,
// as a general protection fault would). The null selector has base 0. It
// is called only by the goroutine running the thread.
func (t *Thread) SegmentBase(sel uint16) (base uint64, ok bool) {
	if sel&^3 == 0 {
		return 0, true
	}
	if sel&4 != 0 {
		return t.p.ldt.Base(sel) // the LDT modify_ldt wrote (any RPL: its entries are DPL 3)
	}
	if sel&3 != 3 {
		return 0, false // kernel privilege levels
	}
	i := int(sel>>3) - tlsEntryMin
	if i < 0 || i >= tlsEntries {
		return 0, false
	}
	d := t.gdt[i]
	if !d.used || d.flags&udNotPresent != 0 {
		return 0, false
	}
	return uint64(d.base), true
}

// blocked reports whether sig is in the thread's mask. Called with
// p.sigMu held.
func (t *Thread) blocked(sig int) bool { return t.sigMask&(1<<(sig-1)) != 0 }

// unblockable is SIGKILL and SIGSTOP: never in a mask.
const unblockable = 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)
