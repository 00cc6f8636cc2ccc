package linux

// Threads: clone and clone3 for new threads, exit and exit_group, and how
// the thread group ends.
//
// A guest thread is a thread of minemu's own process: clone with
// CLONE_VM|CLONE_THREAD (what glibc's and musl's pthread_create pass, with
// CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_SYSVSEM and the tid and TLS
// flags) asks the engine to start one (cpu.ThreadStarter) with a copy of
// the caller's CPU, RAX 0 and the new stack, on a goroutine locked to an
// OS thread of its own, whose host thread id becomes the guest thread's
// tid. Before the child runs its first instruction the setup on its
// goroutine registers it (NewThread), installs its TLS (CLONE_SETTLS: for
// i386 a user_desc into the child's own GDT entries, as set_thread_area;
// for x86-64 the FS base) and writes its tid where CLONE_PARENT_SETTID and
// CLONE_CHILD_SETTID ask. Anything that is not such a thread (fork: no
// CLONE_VM; vfork; a CLONE_VM child of its own thread group; a thread with
// its own descriptor table or filesystem context) is ENOSYS; flag
// combinations the kernel refuses are EINVAL, checked in the order of
// kernel/fork.c (cloneCheck).
//
// A thread ends with exit: its robust list is walked (syscall_futex.go)
// and clear_child_tid cleared and woken, as the kernel's exit_mm does, and
// only that thread's run ends. exit_group, a fatal fault and a fatal
// signal end the process: the first of them decides the process's end
// (Process.end), every other thread is killed through its handle (at its
// next instruction boundary, or when the system call it is in returns; a
// futex wait is woken for that), and the end's Exit is the process's
// status. When the last thread ends by exit, the process ends with the
// main thread's exit code, which is what the kernel reports for the group
// leader.

import (
	"errors"

	"github.com/minemu/minemu/guest/hostsig"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// clone flags (linux/sched.h).
const (
	cloneCSignal        = 0x000000ff
	cloneVM             = 0x00000100
	cloneFS             = 0x00000200
	cloneFiles          = 0x00000400
	cloneSighand        = 0x00000800
	clonePidfd          = 0x00001000
	clonePtrace         = 0x00002000
	cloneVfork          = 0x00004000
	cloneParent         = 0x00008000
	cloneThread         = 0x00010000
	cloneNewNS          = 0x00020000
	cloneSysVSem        = 0x00040000
	cloneSetTLS         = 0x00080000
	cloneParentSetTID   = 0x00100000
	cloneChildClearTID  = 0x00200000
	cloneDetached       = 0x00400000
	cloneUntraced       = 0x00800000
	cloneChildSetTID    = 0x01000000
	cloneNewCgroup      = 0x02000000
	cloneNewUTS         = 0x04000000
	cloneNewIPC         = 0x08000000
	cloneNewUser        = 0x10000000
	cloneNewPID         = 0x20000000
	cloneNewNet         = 0x40000000
	cloneIO             = 0x80000000
	cloneNewTime        = 0x00000080 // clone3 only, in the CSIGNAL bits
	cloneClearSighand   = 0x100000000
	cloneIntoCgroup     = 0x200000000
	cloneLegacyFlags    = 0xffffffff
	cloneArgsSizeVer0   = 64
	cloneArgsSizeVer2   = 88
	maxPidNSLevel       = 32
	cloneThreadRequired = cloneVM | cloneThread | cloneSighand | cloneFS | cloneFiles
	// cloneThreadIgnored are the flags a thread may have that change
	// nothing minemu emulates: semaphore undo is the process's, the child
	// is traced by nobody, the I/O context and the parent are the group's.
	cloneThreadIgnored = cloneSysVSem | cloneDetached | cloneUntraced | clonePtrace | cloneIO | cloneParent
)

// cloneArgs is a clone request: clone's registers or clone3's struct
// clone_args.
type cloneArgs struct {
	flags      uint64
	exitSignal uint64
	// stack is the child's stack pointer (clone3: stack + stack_size), 0
	// for the parent's.
	stack                     uint64
	parentTID, childTID, tls  uint64
	pidfd, setTID, setTIDSize uint64
	cgroup                    uint64
}

// sysCloneThread is clone(flags, newsp, parent_tid, child_tid, tls) on
// x86-64 and clone(flags, newsp, parent_tid, tls, child_tid) on i386, for
// the clones that are threads (a clone of a process is ENOSYS here).
func sysCloneThread(k *Process, s *sysCall) int64 {
	f := s.a[0] & 0xffffffff // the kernel takes the low 32 bits
	a := cloneArgs{flags: f &^ cloneCSignal, exitSignal: f & cloneCSignal, stack: s.a[1], parentTID: s.a[2]}
	if s.abi == cpu.ABIi386 {
		a.tls, a.childTID = s.a[3], s.a[4]
	} else {
		a.childTID, a.tls = s.a[3], s.a[4]
	}
	// The legacy call returns the pidfd through parent_tid.
	a.pidfd = a.parentTID
	if a.flags&clonePidfd != 0 && a.flags&cloneParentSetTID != 0 {
		return -int64(unix.EINVAL)
	}
	return k.clone(s, a)
}

// sysClone3 is clone3(struct clone_args *, size).
func sysClone3(k *Process, s *sysCall) int64 {
	size := s.a[1]
	if size > 4096 {
		return -int64(unix.E2BIG)
	}
	if size < cloneArgsSizeVer0 {
		return -int64(unix.EINVAL)
	}
	b := make([]byte, size)
	if e := k.copyIn(s.a[0], b); e != 0 {
		return -int64(e)
	}
	// copy_struct_from_user: bytes the kernel does not know must be zero.
	const known = cloneArgsSizeVer2
	for _, x := range b[min(uint64(known), size):] {
		if x != 0 {
			return -int64(unix.E2BIG)
		}
	}
	var w [11]uint64
	for i := range w {
		if off := 8 * i; off+8 <= len(b) {
			w[i] = le.Uint64(b[off:])
		}
	}
	a := cloneArgs{flags: w[0], pidfd: w[1], childTID: w[2], parentTID: w[3], exitSignal: w[4],
		tls: w[7], setTID: w[8], setTIDSize: w[9], cgroup: w[10]}
	stack, stackSize := w[5], w[6]
	switch {
	case a.setTIDSize > maxPidNSLevel,
		a.setTID == 0 && a.setTIDSize > 0,
		a.setTID != 0 && a.setTIDSize == 0,
		a.exitSignal&^cloneCSignal != 0 || a.exitSignal > 64,
		a.flags&cloneIntoCgroup != 0 && (a.cgroup > 1<<31-1 || size < cloneArgsSizeVer2):
		return -int64(unix.EINVAL)
	}
	// clone3_args_valid.
	switch {
	case a.flags&^(cloneLegacyFlags|cloneClearSighand|cloneIntoCgroup) != 0,
		a.flags&(cloneDetached|cloneCSignal&^cloneNewTime) != 0,
		a.flags&(cloneSighand|cloneClearSighand) == cloneSighand|cloneClearSighand,
		a.flags&(cloneThread|cloneParent) != 0 && a.exitSignal != 0,
		stack == 0 && stackSize != 0,
		stack != 0 && stackSize == 0:
		return -int64(unix.EINVAL)
	}
	if stack != 0 {
		if _, e := k.userRange(stack, stackSize); e != 0 {
			return -int64(unix.EINVAL) // access_ok fails: not a valid stack
		}
		a.stack = stack + stackSize
	}
	return k.clone(s, a)
}

// cloneCheck is copy_process's validation of the flags: the combinations
// the kernel refuses with EINVAL, in its order.
func cloneCheck(f uint64) unix.Errno {
	switch {
	case f&(cloneNewNS|cloneFS) == cloneNewNS|cloneFS,
		f&(cloneNewUser|cloneFS) == cloneNewUser|cloneFS,
		f&cloneThread != 0 && f&cloneSighand == 0,
		f&cloneSighand != 0 && f&cloneVM == 0,
		f&cloneThread != 0 && f&(cloneNewUser|cloneNewPID) != 0,
		f&clonePidfd != 0 && f&cloneDetached != 0:
		return unix.EINVAL
	}
	return 0
}

// isThreadClone reports whether the flags ask for a thread minemu can
// create: one of this thread group sharing everything a host thread
// shares, with nothing more than the tid and TLS flags and those it may
// ignore.
func isThreadClone(f uint64) bool {
	return f&cloneThreadRequired == cloneThreadRequired &&
		f&^(cloneThreadRequired|cloneThreadIgnored|cloneSetTLS|cloneParentSetTID|cloneChildSetTID|cloneChildClearTID) == 0
}

// errGroupEnding refuses a thread to a process that is ending.
var errGroupEnding = errors.New("linux: the thread group is ending")

// clone creates the thread a asks for.
func (k *Process) clone(s *sysCall, a cloneArgs) int64 {
	if e := cloneCheck(a.flags); e != 0 {
		return -int64(e)
	}
	if !isThreadClone(a.flags) || a.setTID != 0 || k.starter == nil {
		// Counted in --stats as any call; logged at info level only (the
		// guest's stderr is the guest's), since libc handles ENOSYS.
		k.log.Info().Uint64("flags", a.flags).Msg("clone of something other than a thread: ENOSYS")
		return -int64(unix.ENOSYS)
	}
	// The i386 TLS descriptor is read and checked in the parent, as
	// copy_thread does before the child exists.
	var tls tlsDesc
	tlsEntry := -1
	if a.flags&cloneSetTLS != 0 {
		if s.abi == cpu.ABIi386 {
			var e unix.Errno
			if tlsEntry, tls, e = k.cloneTLS(a.tls); e != 0 {
				return -int64(e)
			}
		} else if a.tls >= 1<<47-4096 {
			return -int64(unix.EPERM) // do_arch_prctl_64: beyond TASK_SIZE_MAX
		}
	}
	parent := s.t
	child := *s.c
	child.Regs[cpu.RAX] = 0
	if a.stack != 0 {
		child.Regs[cpu.RSP] = a.stack
		if s.abi == cpu.ABIi386 {
			child.Regs[cpu.RSP] &= 0xffffffff
		}
	}
	var tid int
	err := k.starter.StartThread(&child, func(htid int, h cpu.ThreadHandle) (cpu.ThreadKernel, error) {
		t, err := k.NewThread(htid, parent)
		if err != nil {
			return nil, err
		}
		c := &child
		if a.flags&cloneSetTLS != 0 {
			if tlsEntry >= 0 {
				t.gdt[tlsEntry-tlsEntryMin] = tls
				// The child's selectors are the parent's; the entry they
				// name is now the child's own.
				if base, ok := t.SegmentBase(c.GS); ok {
					c.GSBase = base
				}
				if base, ok := t.SegmentBase(c.FS); ok {
					c.FSBase = base
				}
			} else {
				c.FSBase = a.tls
			}
		}
		if a.flags&cloneChildClearTID != 0 {
			t.clearChildTID = a.childTID
		}
		var b [4]byte
		le.PutUint32(b[:], uint32(htid))
		// Both before the child runs; a bad pointer is not an error of
		// clone's (the kernel ignores put_user's failure here).
		if a.flags&cloneParentSetTID != 0 {
			k.copyOut(a.parentTID, b[:])
		}
		if a.flags&cloneChildSetTID != 0 {
			k.copyOut(a.childTID, b[:])
		}
		k.groupMu.Lock()
		defer k.groupMu.Unlock()
		if k.end != nil {
			t.Exit()
			return nil, errGroupEnding
		}
		t.handle = h
		// The host signals the new OS thread gets are its guest thread's.
		if hostsig.Installed() {
			if hs, err := hostsig.Register(); err == nil {
				t.SetHost(hs, h.NotifySignal)
			} else {
				k.log.Info().Err(err).Msg("clone: the new thread takes no host signals")
			}
		}
		k.live++
		tid = htid
		return t, nil
	})
	if err != nil {
		k.log.Debug().Err(err).Msg("clone: no thread started")
		if err == errGroupEnding {
			return -int64(unix.EINTR)
		}
		return -int64(unix.EAGAIN)
	}
	return int64(tid)
}

// cloneTLS reads and checks the user_desc of an i386 CLONE_SETTLS, as
// do_set_thread_area does for a new thread (no entry is allocated: -1 is
// EINVAL).
func (k *Process) cloneTLS(addr uint64) (int, tlsDesc, unix.Errno) {
	var b [sizeofUserDesc]byte
	if e := k.copyIn(addr, b[:]); e != 0 {
		return 0, tlsDesc{}, e
	}
	var ud cUserDesc
	ud.decode(b[:])
	empty := emptyDesc(ud.BaseAddr, ud.Limit, ud.Flags)
	if !empty && (ud.Flags&udSeg32 == 0 || (ud.Flags>>udContentsShift)&3 > 1 || ud.Flags&udNotPresent != 0) {
		return 0, tlsDesc{}, unix.EINVAL
	}
	entry := int(int32(ud.EntryNumber))
	if entry < tlsEntryMin || entry >= tlsEntryMin+tlsEntries {
		return 0, tlsDesc{}, unix.EINVAL
	}
	if empty {
		return entry, tlsDesc{}, 0
	}
	return entry, tlsDesc{used: true, base: ud.BaseAddr, limit: ud.Limit, flags: ud.Flags & 0x7f}, 0
}

// sysExitThread is exit: the calling thread ends (its robust list and
// clear_child_tid handled now, as the kernel does before the task goes);
// the process ends when it was the last.
func sysExitThread(k *Process, s *sysCall) int64 {
	s.t.selfExit = true
	s.t.exitCleanup(s.abi)
	s.exit = &cpu.Exit{Code: int(s.a[0] & 0xff)}
	return 0
}

// sysExitGroup is exit_group: the process ends with the code; every other
// thread is stopped.
func sysExitGroup(k *Process, s *sysCall) int64 {
	e := cpu.Exit{Code: int(s.a[0] & 0xff)}
	k.groupMu.Lock()
	k.endLocked(e, s.t)
	k.groupMu.Unlock()
	s.exit = &e
	return 0
}

// exitCleanup is what the kernel does for a dying thread: the robust list
// is walked, the thread unregistered, then clear_child_tid is cleared and
// its futex woken. Once per thread.
func (t *Thread) exitCleanup(abi cpu.ABI) {
	if t.cleaned {
		return
	}
	t.cleaned = true
	t.exitRobustList(abi)
	// The thread leaves the registry (its tid names no guest thread any
	// more, in tgkill or /proc/self/task) before the join it wakes can
	// return, as the kernel's task is dead for its joiner.
	t.Exit()
	if a := t.clearChildTID; a != 0 {
		t.clearChildTID = 0
		var zero [4]byte
		if t.p.copyOut(a, zero[:]) == 0 {
			robustMem{k: t.p}.Wake(a)
		}
	}
}

// Exited implements cpu.ThreadKernel: the thread's run ended with e. A
// thread that called exit leaves the group (the last one ends the
// process); any other end (exit_group, a fault, a fatal signal, a kill
// because another thread ended the process) is the process's end unless
// one was decided already.
func (t *Thread) Exited(e cpu.Exit) {
	k := t.p
	abi := cpu.ABIAMD64 // after exit: done already, with the call's ABI
	if k.mode == mm.Mode32 {
		abi = cpu.ABIi386
	}
	if !t.selfExit {
		// The process ends (exit_group, a fatal signal or fault): stop
		// the other threads before this one's exit is seen — its
		// clear_child_tid wakes a pthread_join, which must not return
		// into guest code — as the kernel's group exit kills them all
		// at once.
		k.groupMu.Lock()
		k.endLocked(e, t)
		k.groupMu.Unlock()
	}
	t.exitCleanup(abi)
	if hs := t.sig.hs; hs != nil && t != k.main {
		hs.Unregister()
	}
	t.Exit()
	k.groupMu.Lock()
	defer k.groupMu.Unlock()
	if !t.ended {
		t.ended = true
		k.live--
	}
	t.handle = nil
	if !t.selfExit {
		k.endLocked(e, t)
		return
	}
	if t == k.main {
		k.mainCode = e.Code
	}
	if k.live == 0 {
		k.endLocked(cpu.Exit{Code: k.mainCode}, t)
	}
}

// endLocked decides the process's end, if it is not decided yet, as by
// thread by, and stops every thread still running. k.groupMu is held.
func (k *Process) endLocked(e cpu.Exit, by *Thread) {
	if k.end != nil {
		return
	}
	k.end, k.endBy = &e, by
	close(k.ended)
	k.threadsMu.Lock()
	ts := make([]*Thread, 0, len(k.threads))
	for _, t := range k.threads {
		ts = append(ts, t)
	}
	k.threadsMu.Unlock()
	for _, t := range ts {
		if t.handle != nil && !t.ended {
			t.handle.Kill(e)
			t.wakeFutexWaiter()
		}
	}
}

// SetThreadStarter gives the process the engine that starts the threads
// clone creates; without one clone is ENOSYS. Called before the guest
// runs.
func (k *Process) SetThreadStarter(s cpu.ThreadStarter) { k.starter = s }

// SetHandle gives the thread (the main one: clone's threads get theirs
// from the engine) its engine handle, through which the process's end
// stops it. Called before the thread runs.
func (t *Thread) SetHandle(h cpu.ThreadHandle) {
	t.p.groupMu.Lock()
	t.handle = h
	t.p.groupMu.Unlock()
}

// Wait blocks until the process's end is decided and returns it: the
// first exit_group, fatal fault or fatal signal of any thread, or, when
// every thread ended with exit, the main thread's exit code. The main
// thread's Exited must have been called, or another thread's end must
// decide it.
func (k *Process) Wait() cpu.Exit {
	<-k.ended
	k.groupMu.Lock()
	defer k.groupMu.Unlock()
	return *k.end
}

// Ended is closed once the process's end is decided (Wait returns it).
func (k *Process) Ended() <-chan struct{} { return k.ended }

// EndedByMain reports whether the main thread decided the process's end
// (its exit_group, fault or fatal signal, or its exit as the last thread):
// the main thread's CPU then shows where the guest ended.
func (k *Process) EndedByMain() bool {
	k.groupMu.Lock()
	defer k.groupMu.Unlock()
	return k.endBy == k.main
}

// Running is the number of threads whose run has not ended.
func (k *Process) Running() int {
	k.groupMu.Lock()
	defer k.groupMu.Unlock()
	return k.live
}
