package linux

// The system calls of guest/linux/hostcall: the Task the handlers there
// see (the calling thread, its process's memory checks, descriptor band
// and signal mask), the blocking call they make, and the few handlers
// that need more of the process than Task gives.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/hostsig"
	"github.com/minemu/minemu/guest/linux/hostcall"
	"github.com/minemu/minemu/mm"
)

// hostTask is a thread as hostcall's handlers see it (hostcall.Task). It
// lives in the Thread (Thread.host), set up by sysHostcall for each call,
// so that making a call allocates nothing.
type hostTask struct {
	k *Process
	t *Thread
	// ub is the buffer KernelBuf prepared, until ReleaseBuf.
	ub userBuf
	// call is the call in flight in hostcall's form.
	call hostcall.Call
}

var _ hostcall.Task = (*hostTask)(nil)

// entryOf is sysLookup, set by init: the tables name sysHostcall, which
// therefore cannot name them statically.
var entryOf func(cpu.ABI, uint64) *sysEntry

func init() { entryOf = sysLookup }

// sysHostcall runs the hostcall handler of the call's entry.
func sysHostcall(k *Process, s *sysCall) int64 {
	e := entryOf(s.abi, s.nr)
	h := &s.t.host
	h.k, h.t = k, s.t
	h.call = hostcall.Call{ABI: s.abi, A: s.a}
	r := e.hfn(h, &h.call)
	h.ReleaseBuf()
	return r
}

func (h *hostTask) Mode() mm.Mode            { return h.k.mode }
func (h *hostTask) Pid() int                 { return h.k.pid }
func (h *hostTask) Tid() int                 { return h.t.tid }
func (h *hostTask) ClearChildTID() uint64    { return h.t.clearChildTID }
func (h *hostTask) HostPath(p string) string { return h.k.hostPath(p) }
func (h *hostTask) Wrote(addr, n uint64)     { h.k.wrote(addr, n) }
func (h *hostTask) FDFree() unix.Errno       { return h.k.fdFree() }
func (h *hostTask) NewFD(fd int) unix.Errno  { return h.k.newFD(fd) }
func (h *hostTask) Nofile() uint64           { return h.k.nofile() }
func (h *hostTask) Owns(fd int) bool         { return h.k.band.Owns(fd) }
func (h *hostTask) BandStart() int           { return h.k.band.Start() }

func (h *hostTask) CopyIn(addr uint64, dst []byte) unix.Errno  { return h.k.copyIn(addr, dst) }
func (h *hostTask) CopyOut(addr uint64, src []byte) unix.Errno { return h.k.copyOut(addr, src) }
func (h *hostTask) ReadString(addr uint64, max int) (string, unix.Errno) {
	return h.k.readString(addr, max)
}
func (h *hostTask) Path(addr uint64) (string, unix.Errno) { return h.k.path(addr) }
func (h *hostTask) DirPath(dirfd int, addr uint64) (int, string, unix.Errno) {
	return h.k.dirPath(dirfd, addr)
}
func (h *hostTask) PassPtr(addr, n uint64) (uintptr, unix.Errno) { return h.k.passPtr(addr, n) }
func (h *hostTask) FD(v int) (int, unix.Errno)                   { return h.k.fd(v) }
func (h *hostTask) Dirfd(v int) (int, unix.Errno)                { return h.k.dirfd(v) }

func (h *hostTask) KernelBuf(addr, n uint64) (uint64, bool, bool, unix.Errno) {
	h.ReleaseBuf()
	ub, e := h.k.kernelBuf(addr, n)
	if e != 0 {
		return 0, false, false, e
	}
	h.ub = ub
	return ub.n, ub.partial, ub.guards != [2]uint64{}, 0
}

func (h *hostTask) ReleaseBuf() { h.k.release(&h.ub) }

func (h *hostTask) GuestMapped(addr, n uint64) bool {
	r, e := h.k.userRange(addr, n)
	return e == 0 && (n == 0 || h.k.space.IsMapped(r, unix.PROT_NONE))
}

func (h *hostTask) MemFD(fd int) bool {
	_, mem := h.k.memFD(fd)
	return mem
}

// Scratch returns n zeroed bytes of the thread's scratch memory
// (Thread.scratch), valid until the next call of Scratch.
func (h *hostTask) Scratch(n int) []byte {
	t := h.t
	if cap(t.scratch) < n {
		t.scratch = make([]byte, max(n, 4096))
	}
	b := t.scratch[:n]
	clear(b)
	return b
}

func (h *hostTask) IOVScratch() []uint64 {
	if h.t.iovScratch == nil {
		h.t.iovScratch = make([]uint64, 0, 2*sysIOVMax)
	}
	return h.t.iovScratch
}

// Blocking runs host call nr, which may block, as hostsig's safe system
// call with the thread's pending flag: a guest signal that arrives before
// the call enters the kernel is seen, one that arrives while it blocks
// interrupts it. intr is the call's code for an interruption before the
// kernel was entered (or one the kernel wanted to restart).
func (h *hostTask) Blocking(intr unix.Errno, nr uintptr, a0, a1, a2, a3, a4, a5 uintptr) (uintptr, unix.Errno) {
	r, e := h.t.blockingCall(nr, a0, a1, a2, a3, a4, a5)
	if e == hostsig.ERESTARTSYS || e == unix.EINTR {
		// A guest signal is deliverable: the call's own restart code,
		// which the return path turns into a restart or EINTR.
		return 0, intr
	}
	return r, e
}

// WithSigmask runs f with the thread's signal mask replaced by mask (the
// mask argument of ppoll, pselect6, epoll_pwait), as the kernel's
// set_user_sigmask and restore_saved_sigmask_unless do: when f ended
// because a signal is deliverable, the old mask comes back only after its
// handler has run (the frame saves it; rt_sigsuspend's path), so that the
// signal the temporary mask let in is delivered; otherwise at once.
func (h *hostTask) WithSigmask(mask uint64, f func()) {
	t := h.t
	old := t.mask()
	t.setMask(mask)
	f()
	if t.deliverable() {
		t.sig.savedMask, t.sig.restoreMask = old, true
		return
	}
	t.setMask(old)
}

// sysCloseRange is close_range(first, last, flags) over the guest's
// descriptors only: minemu's, in the band above them and the few below,
// are skipped (for the guest they are closed already), the range split
// around them. CLOSE_RANGE_UNSHARE is EINVAL, as an unknown flag: a
// private descriptor table for one thread would part it from minemu's
// other threads, which serve its calls.
func sysCloseRange(k *Process, s *sysCall) int64 {
	first, last, flags := uint32(s.a[0]), uint32(s.a[1]), uintptr(uint32(s.a[2]))
	if first > last || flags&^unix.CLOSE_RANGE_CLOEXEC != 0 {
		return -int64(unix.EINVAL)
	}
	top := uint32(k.band.Start() - 1)
	if first > top {
		return 0
	}
	call := func(a, b uint32) unix.Errno {
		_, _, e := unix.Syscall(unix.SYS_CLOSE_RANGE, uintptr(a), uintptr(b), flags)
		if e == 0 && flags&unix.CLOSE_RANGE_CLOEXEC == 0 {
			for fd := a; fd <= b; fd++ {
				k.trackClose(int(fd))
			}
		}
		return e
	}
	last = min(last, top)
	from := first
	for fd := first; ; fd++ {
		if k.band.Owns(int(fd)) {
			if fd > from {
				if e := call(from, fd-1); e != 0 {
					return -int64(e)
				}
			}
			from = fd + 1
		}
		if fd == last {
			break
		}
	}
	if from <= last {
		if e := call(from, last); e != 0 {
			return -int64(e)
		}
	}
	return 0
}

// Notes of the refused entries.
const (
	noteSeccomp  = "ENOSYS, as a kernel without CONFIG_SECCOMP: a filter would judge minemu's own system calls"
	noteIOURing  = "ENOSYS, as a kernel without CONFIG_IO_URING: the kernel would read guest-writable 64-bit pointers asynchronously"
	noteAIO      = "ENOSYS, as a kernel without CONFIG_AIO: the kernel would read guest-writable 64-bit pointers asynchronously"
	noteIOPerm   = "EPERM: I/O port access is not the guest's to have"
	notePtrace   = "EPERM: a tracer of minemu, or a guest tracing through it, would see minemu, not the guest"
	noteBPF      = "EPERM, as with unprivileged BPF disabled: a program could observe or alter minemu"
	notePerf     = "ENOSYS, as a kernel without CONFIG_PERF_EVENTS: samples and counters would measure minemu"
	noteUffd     = "EPERM, as with vm.unprivileged_userfaultfd=0: minemu's own accesses to guest memory would block on the guest"
	noteLandlock = "ENOSYS, as a kernel without CONFIG_SECURITY_LANDLOCK: a ruleset would confine minemu's own file accesses"
	notePidfdGet = "EPERM: it would hand out minemu's own descriptors"
	noteProcMadv = "EPERM: advice would reach minemu's memory"
	notePrctl    = "the options a process uses on itself; seccomp, PR_SET_MM, PR_SET_TSC, PR_GET_AUXV, syscall user dispatch, MDWE and shadow stacks EINVAL"
	noteTimers   = "ITIMER_REAL and SIGEV_SIGNAL are host signals, delivered as the host signal layer delivers them"
	noteCreds    = "changes the credentials of every thread of the process, minemu's included"
)
