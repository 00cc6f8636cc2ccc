package linux

// Waiting on descriptors: poll, ppoll, select, pselect6, epoll, eventfd,
// timerfd; and what every call that may block shares.
//
// Blocking. A call that may wait (poll, select, epoll_wait, accept,
// connect, recv*, send*, flock ...) runs through blockingCall, which is
// hostsig.SafeSyscall6 with the thread's pending flag: a guest signal that
// arrives before the call enters the kernel is seen (ERESTARTSYS without
// entering it), one that arrives while it blocks interrupts it. The guest
// then gets the code the kernel's own call returns when a signal interrupts
// it (ERESTARTNOHAND for poll and select, EINTR for epoll_wait, ERESTARTSYS
// for the socket calls), which signal delivery turns into EINTR or a
// restart as the kernel's handle_signal does.
//
// Translation. pollfd and epoll_event have one layout in both ABIs (8
// bytes; 12, packed, for epoll_event), fd_set is a bit array whose bytes
// are the same in both (only the granule the kernel copies differs: 4
// bytes for i386, 8 for x86-64). What needs minemu is the descriptors:
// minemu's own are closed for the guest. So poll's array and select's sets
// are copied into the thread's scratch memory, minemu's descriptors
// answered as the kernel answers closed ones (POLLNVAL, EBADF), and the
// host call made on the copies; epoll's calls name one descriptor each,
// checked as any other.

import (
	"github.com/minemu/minemu/guest/cpu"

	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/hostsig"
)

// The kernel's restart codes (include/linux/errno.h): what an interrupted
// call returns for signal delivery to turn into EINTR or a restart.
const (
	eRestartSys    = unix.Errno(512) // restart under SA_RESTART, else EINTR
	eRestartNoHand = unix.Errno(514) // restart when no handler runs, else EINTR
)

// SetPendingFlag gives the thread the word the host signal handler sets
// when a guest signal is pending for it (hostsig.Thread.PendingFlag):
// blocking calls check it before they enter the kernel. Called once, by
// the goroutine running the thread, before the thread's first call.
func (t *Thread) SetPendingFlag(f *uint32) { t.pendingFlag = f }

// blockingCall runs host call nr, which may block, as hostsig's safe
// system call. intr is the call's code for an interruption before the
// kernel was entered (or one the kernel wanted to restart): what the
// kernel's own call returns when a signal interrupts it.
func (t *Thread) blockingCall(intr unix.Errno, nr uintptr, a0, a1, a2, a3, a4, a5 uintptr) (uintptr, unix.Errno) {
	flag := t.pendingFlag
	if flag == nil {
		flag = &t.noSignal
	}
	r, e := hostsig.SafeSyscall6(nr, a0, a1, a2, a3, a4, a5, flag)
	if e == unix.ERESTART || e == eRestartSys {
		return 0, intr
	}
	return r, unix.Errno(e)
}

// scratchBuf returns n zeroed bytes of the thread's scratch memory
// (Thread.scratch), valid until the next call of scratchBuf.
func (t *Thread) scratchBuf(n int) []byte {
	if cap(t.scratch) < n {
		t.scratch = make([]byte, max(n, 4096))
	}
	b := t.scratch[:n]
	clear(b)
	return b
}

// withSigmask runs f with the thread's signal mask replaced by mask (the
// mask argument of ppoll, pselect6, epoll_pwait), restoring it afterwards,
// as the kernel's set_user_sigmask and restore_saved_sigmask do.
func (t *Thread) withSigmask(mask uint64, f func()) {
	k := t.p
	k.sigMu.Lock()
	old := t.sigMask
	t.sigMask = mask &^ unblockable
	k.sigMu.Unlock()
	f()
	k.sigMu.Lock()
	t.sigMask = old
	k.sigMu.Unlock()
}

// readSigmask reads the sigset_t argument of ppoll, pselect6 and
// epoll_pwait: none when addr is NULL, EINVAL for a size other than 8.
func (k *Process) readSigmask(addr, size uint64) (mask uint64, set bool, e unix.Errno) {
	if addr == 0 {
		return 0, false, 0
	}
	if size != sizeofSigset {
		return 0, false, unix.EINVAL
	}
	var b [sizeofSigset]byte
	if e := k.copyIn(addr, b[:]); e != 0 {
		return 0, false, e
	}
	return le.Uint64(b[:]), true, 0
}

// maybeSigmask runs f under mask when set, else as it is.
func (t *Thread) maybeSigmask(mask uint64, set bool, f func()) {
	if set {
		t.withSigmask(mask, f)
		return
	}
	f()
}

// timeABI is the layout of a timespec argument: the old one of the call's
// ABI, or __kernel_timespec (x86-64's) for i386's *_time64 calls.
func timeABI(s *sysCall, wide bool) cpu.ABI {
	if wide {
		return cpu.ABIAMD64
	}
	return s.abi
}

// readTimespecRaw reads a guest timespec without judging it.
func (k *Process) readTimespecRaw(abi cpu.ABI, addr uint64) (unix.Timespec, unix.Errno) {
	var b [sizeofTimespecMax]byte
	n := sizeofTimespec(abi)
	if e := k.copyIn(addr, b[:n]); e != 0 {
		return unix.Timespec{}, e
	}
	sec, nsec := decodeTimespec(abi, b[:n])
	return unix.Timespec{Sec: sec, Nsec: nsec}, 0
}

// timespecValid is the kernel's timespec64_valid.
func timespecValid(ts unix.Timespec) bool {
	return ts.Sec >= 0 && ts.Nsec >= 0 && ts.Nsec < int64(time.Second)
}

// Poll.

// sizeofPollfd is struct pollfd's size, the same in both ABIs: int fd,
// short events, short revents.
const sizeofPollfd = 8

func sysPoll(k *Process, s *sysCall) int64 {
	var ts *unix.Timespec
	if ms := s.int32Arg(2); ms >= 0 {
		ts = &unix.Timespec{Sec: int64(ms / 1000), Nsec: int64(ms%1000) * 1e6}
	}
	return k.poll(s, s.a[0], s.a[1], ts, 0, false, 0, 0, false)
}

func sysPpoll(k *Process, s *sysCall) int64   { return k.ppoll(s, false) }
func sysPpoll64(k *Process, s *sysCall) int64 { return k.ppoll(s, true) }

// ppoll is ppoll(fds, nfds, tmo, sigmask, sigsetsize); wide for
// ppoll_time64.
func (k *Process) ppoll(s *sysCall, wide bool) int64 {
	var ts *unix.Timespec
	if s.a[2] != 0 {
		v, e := k.readTimespecRaw(timeABI(s, wide), s.a[2])
		if e != 0 {
			return -int64(e)
		}
		if !timespecValid(v) {
			return -int64(unix.EINVAL)
		}
		ts = &v
	}
	return k.poll(s, s.a[0], s.a[1], ts, s.a[2], wide, s.a[3], s.a[4], true)
}

// poll runs poll and ppoll on the guest's array at addr: copied, with
// minemu's descriptors answered POLLNVAL (as closed ones are, which makes
// the call return at once), and the revents written back. ts is the
// timeout (nil: none); tsAddr, for ppoll, where the remaining time goes
// back (in the layout wide selects), as the kernel's poll_select_finish
// writes it; ppoll also has a signal mask (withMask: at sigAddr, of size
// sigsz).
func (k *Process) poll(s *sysCall, addr, nfds uint64, ts *unix.Timespec, tsAddr uint64, wide bool, sigAddr, sigsz uint64, withMask bool) int64 {
	if nfds > k.nofile() || nfds > 1<<28 {
		return -int64(unix.EINVAL)
	}
	var mask uint64
	var masked bool
	var e unix.Errno
	if withMask {
		if mask, masked, e = k.readSigmask(sigAddr, sigsz); e != 0 {
			return -int64(e)
		}
	}
	n := int(nfds) * sizeofPollfd
	buf := s.t.scratchBuf(2*n + 16)
	guest, fds, hts := buf[:n], buf[n:2*n], buf[2*n:]
	if e := k.copyIn(addr, guest); e != 0 {
		return -int64(e)
	}
	copy(fds, guest)
	hidden := 0
	for i := 0; i < n; i += sizeofPollfd {
		if fd := int(int32(le.Uint32(fds[i:]))); fd >= 0 && k.band.Owns(fd) {
			le.PutUint32(fds[i:], ^uint32(0)) // ignored by the host ...
			hidden++
		}
	}
	var tsp uintptr
	if ts != nil {
		t := *ts
		if hidden > 0 {
			t = unix.Timespec{} // ... and POLLNVAL: ready at once
		}
		le.PutUint64(hts[0:], uint64(t.Sec))
		le.PutUint64(hts[8:], uint64(t.Nsec))
		tsp = goAddr(hts)
	} else if hidden > 0 {
		tsp = goAddr(hts) // zero
	}
	var r uintptr
	s.t.maybeSigmask(mask, masked, func() {
		r, e = s.t.blockingCall(eRestartNoHand, unix.SYS_PPOLL, goAddr(fds), uintptr(nfds), tsp, 0, 0, 0)
	})
	if e == 0 {
		for i := 0; i < n; i += sizeofPollfd {
			rev := le.Uint16(fds[i+6:])
			if fd := int(int32(le.Uint32(guest[i:]))); fd >= 0 && k.band.Owns(fd) {
				rev = unix.POLLNVAL
				r++
			}
			le.PutUint16(guest[i+6:], rev)
		}
		if ce := k.copyOut(addr, guest); ce != 0 {
			return -int64(ce)
		}
	}
	if tsAddr != 0 && ts != nil && (ts.Sec != 0 || ts.Nsec != 0) {
		rem := unix.Timespec{Sec: int64(le.Uint64(hts[0:])), Nsec: int64(le.Uint64(hts[8:]))}
		if hidden > 0 {
			rem = *ts // returned at once
		}
		k.timeOut(timeABI(s, wide), tsAddr, rem.Sec, rem.Nsec) // a fault here is ignored, as the kernel does
	}
	if e != 0 {
		return -int64(e)
	}
	return int64(r)
}

// Select.

// selTimeout is how select's timeout is given: a timeval (select,
// _newselect, the old select) or a timespec (pselect6).
type selTimeout uint8

const (
	selTimeval selTimeout = iota
	selTimespec
)

func sysSelect(k *Process, s *sysCall) int64 {
	return k.doSelect(s, s.int32Arg(0), [3]uint64{s.a[1], s.a[2], s.a[3]}, s.a[4], selTimeval, false, 0, false)
}

// sysOldSelect is i386's select (number 82): one pointer to a
// sel_arg_struct with the five arguments.
func sysOldSelect(k *Process, s *sysCall) int64 {
	var b [sizeofSelArgI386]byte
	if e := k.copyIn(s.a[0], b[:]); e != 0 {
		return -int64(e)
	}
	var a cSelArg
	a.decodeI386(b[:])
	return k.doSelect(s, int(int32(a.N)), [3]uint64{uint64(a.Inp), uint64(a.Outp), uint64(a.Exp)}, uint64(a.Tvp), selTimeval, false, 0, false)
}

func sysPselect6(k *Process, s *sysCall) int64   { return k.pselect6(s, false) }
func sysPselect664(k *Process, s *sysCall) int64 { return k.pselect6(s, true) }

// pselect6 is pselect6(n, in, out, ex, tsp, sig), sig pointing to the
// mask's address and size (SigsetArg); wide for pselect6_time64.
func (k *Process) pselect6(s *sysCall, wide bool) int64 {
	var mask uint64
	var masked bool
	if s.a[5] != 0 {
		var b [sizeofSigsetArgMax]byte
		n := sizeofSigsetArg(s.abi)
		if e := k.copyIn(s.a[5], b[:n]); e != 0 {
			return -int64(e)
		}
		var sa cSigsetArg
		sa.decode(s.abi, b[:n])
		var e unix.Errno
		if mask, masked, e = k.readSigmask(sa.Ss, sa.Len); e != 0 {
			return -int64(e)
		}
	}
	return k.doSelect(s, s.int32Arg(0), [3]uint64{s.a[1], s.a[2], s.a[3]}, s.a[4], selTimespec, wide, mask, masked)
}

// doSelect runs the select calls on the guest's sets, copied in (the
// kernel's granule: 4 bytes for i386, 8 for x86-64), with a set bit for one
// of minemu's descriptors EBADF, as for a closed one. n is capped at the
// band's start, above which no descriptor is the guest's (the kernel caps
// it at its table's size). The sets and, for a timeout that was not zero,
// the remaining time are written back as the kernel's
// poll_select_finish does.
func (k *Process) doSelect(s *sysCall, n int, sets [3]uint64, tvp uint64, kind selTimeout, wide bool, mask uint64, masked bool) int64 {
	if n < 0 {
		return -int64(unix.EINVAL)
	}
	n = min(n, k.band.Start())
	gran := 8
	if s.abi == cpu.ABIi386 {
		gran = 4
	}
	gsz := (n + 8*gran - 1) / (8 * gran) * gran // bytes the kernel copies
	hsz := (n + 63) / 64 * 8                    // the host's, in longs
	var ts unix.Timespec
	timed := tvp != 0
	if timed {
		tabi := timeABI(s, wide)
		if kind == selTimeval {
			var b [sizeofTimevalMax]byte
			sz := sizeofTimeval(tabi)
			if e := k.copyIn(tvp, b[:sz]); e != 0 {
				return -int64(e)
			}
			var tv cTimeval
			tv.decode(tabi, b[:sz])
			if tv.Sec < 0 || tv.Usec < 0 {
				return -int64(unix.EINVAL)
			}
			// poll_select_set_timeout normalizes the microseconds.
			ts = unix.Timespec{Sec: tv.Sec + tv.Usec/1e6, Nsec: tv.Usec % 1e6 * 1000}
		} else {
			var e unix.Errno
			if ts, e = k.readTimespecRaw(tabi, tvp); e != 0 {
				return -int64(e)
			}
			if !timespecValid(ts) {
				return -int64(unix.EINVAL)
			}
		}
	}
	buf := s.t.scratchBuf(3*hsz + 16)
	var host [3]uintptr
	for i, a := range sets {
		if a == 0 {
			continue
		}
		set := buf[i*hsz : (i+1)*hsz]
		if e := k.copyIn(a, set[:gsz]); e != 0 {
			return -int64(e)
		}
		if hsz > gsz {
			clear(set[gsz:])
		}
		// Bits past n are not the kernel's business.
		for b := n; b < hsz*8; b++ {
			set[b/8] &^= 1 << (b % 8)
		}
		for fd := 0; fd < n; fd++ {
			if set[fd/8]&(1<<(fd%8)) != 0 && k.band.Owns(fd) {
				return -int64(unix.EBADF)
			}
		}
		host[i] = goAddr(set)
	}
	hts := buf[3*hsz:]
	var tsp uintptr
	if timed {
		le.PutUint64(hts[0:], uint64(ts.Sec))
		le.PutUint64(hts[8:], uint64(ts.Nsec))
		tsp = goAddr(hts)
	}
	var r uintptr
	var e unix.Errno
	s.t.maybeSigmask(mask, masked, func() {
		r, e = s.t.blockingCall(eRestartNoHand, unix.SYS_PSELECT6, uintptr(n), host[0], host[1], host[2], tsp, 0)
	})
	if timed && (ts.Sec != 0 || ts.Nsec != 0) {
		rem := unix.Timespec{Sec: int64(le.Uint64(hts[0:])), Nsec: int64(le.Uint64(hts[8:]))}
		tabi := timeABI(s, wide)
		if kind == selTimeval {
			var b [sizeofTimevalMax]byte
			tv := cTimeval{Sec: rem.Sec, Usec: rem.Nsec / 1000}
			k.copyOut(tvp, tv.encode(tabi, b[:])) // a fault here is ignored, as the kernel does
		} else {
			k.timeOut(tabi, tvp, rem.Sec, rem.Nsec)
		}
	}
	if e != 0 {
		return -int64(e)
	}
	for i, a := range sets {
		if a != 0 {
			if ce := k.copyOut(a, buf[i*hsz:i*hsz+gsz]); ce != 0 {
				return -int64(ce)
			}
		}
	}
	return int64(r)
}

// Epoll.

// sizeofEpollEvent is struct epoll_event's size: packed, 12 bytes, in both
// ABIs (x86-64's is __EPOLL_PACKED; i386's u64 is 4-aligned).
const sizeofEpollEvent = 12

// epMaxEvents is EP_MAX_EVENTS.
const epMaxEvents = (1<<31 - 1) / sizeofEpollEvent

func sysEpollCreate(k *Process, s *sysCall) int64 {
	if s.int32Arg(0) <= 0 {
		return -int64(unix.EINVAL)
	}
	return k.newFDCall(unix.SYS_EPOLL_CREATE1, 0, 0, 0)
}

func sysEpollCreate1(k *Process, s *sysCall) int64 {
	return k.newFDCall(unix.SYS_EPOLL_CREATE1, uintptr(uint32(s.a[0])), 0, 0)
}

// newFDCall runs a host call that returns a new descriptor and takes no
// pointers (epoll_create1, eventfd2, timerfd_create, inotify_init1,
// socket ...): EMFILE first when the guest's limit leaves no number free.
func (k *Process) newFDCall(nr uintptr, a0, a1, a2 uintptr) int64 {
	if e := k.fdFree(); e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(nr, a0, a1, a2)
	if e != 0 {
		return -int64(e)
	}
	return k.fdResult(int(r))
}

func sysEpollCtl(k *Process, s *sysCall) int64 {
	epfd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	fd, e := k.fd(s.int32Arg(2))
	if e != 0 {
		return -int64(e)
	}
	op := s.int32Arg(1)
	var ev uintptr
	if op != unix.EPOLL_CTL_DEL { // DEL ignores the event (since 2.6.9)
		if ev, e = k.passPtr(s.a[3], sizeofEpollEvent); e != 0 {
			return -int64(e)
		}
	}
	r, _, e := unix.Syscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), ev, 0, 0)
	return hostRet(r, e)
}

func sysEpollWait(k *Process, s *sysCall) int64 {
	return k.epollWait(s, int64(s.int32Arg(3)), nil, 0, 0, false)
}

func sysEpollPwait(k *Process, s *sysCall) int64 {
	return k.epollWait(s, int64(s.int32Arg(3)), nil, s.a[4], s.a[5], true)
}

// sysEpollPwait2 is epoll_pwait2(epfd, events, maxevents, timeout, sigmask,
// sigsetsize), its timeout a __kernel_timespec in both ABIs.
func sysEpollPwait2(k *Process, s *sysCall) int64 {
	var ts *unix.Timespec
	if s.a[3] != 0 {
		v, e := k.readTimespecRaw(cpu.ABIAMD64, s.a[3])
		if e != 0 {
			return -int64(e)
		}
		if !timespecValid(v) {
			return -int64(unix.EINVAL)
		}
		ts = &v
	}
	return k.epollWait(s, -1, ts, s.a[4], s.a[5], true)
}

// epollWait runs epoll_wait, epoll_pwait and epoll_pwait2: the events go
// straight to the guest's buffer, prepared by kernelBuf, so that a buffer
// only partly the guest's gets the kernel's answer. ms is the timeout of
// the first two, ts epoll_pwait2's.
func (k *Process) epollWait(s *sysCall, ms int64, ts *unix.Timespec, sigAddr, sigsz uint64, withMask bool) int64 {
	epfd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	maxev := s.int32Arg(2)
	if maxev <= 0 || maxev > epMaxEvents {
		return -int64(unix.EINVAL)
	}
	var mask uint64
	var masked bool
	if withMask {
		if mask, masked, e = k.readSigmask(sigAddr, sigsz); e != 0 {
			return -int64(e)
		}
	}
	ub, e := k.kernelBuf(s.a[1], uint64(maxev)*sizeofEpollEvent)
	if e != 0 {
		return -int64(e)
	}
	if ub.partial && ub.guards == [2]uint64{} {
		// Cut to the guest's prefix: only as many events as fit there.
		if maxev = int(ub.n / sizeofEpollEvent); maxev == 0 {
			return -int64(unix.EFAULT)
		}
	}
	var r uintptr
	s.t.maybeSigmask(mask, masked, func() {
		if ts != nil {
			hts := s.t.scratchBuf(16)
			le.PutUint64(hts[0:], uint64(ts.Sec))
			le.PutUint64(hts[8:], uint64(ts.Nsec))
			r, e = s.t.blockingCall(unix.EINTR, sysEpollPwait2Nr, uintptr(epfd), uintptr(s.a[1]), uintptr(maxev), goAddr(hts), 0, sizeofSigset)
			return
		}
		r, e = s.t.blockingCall(unix.EINTR, unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(s.a[1]), uintptr(maxev), uintptr(ms), 0, sizeofSigset)
	})
	k.release(&ub)
	if e != 0 {
		return -int64(e)
	}
	k.wrote(s.a[1], uint64(r)*sizeofEpollEvent)
	return int64(r)
}

// sysEpollPwait2Nr is epoll_pwait2's number on the host.
const sysEpollPwait2Nr = 441

// Eventfd and timerfd.

func sysEventfd(k *Process, s *sysCall) int64 {
	return k.newFDCall(unix.SYS_EVENTFD2, uintptr(uint32(s.a[0])), 0, 0)
}

func sysEventfd2(k *Process, s *sysCall) int64 {
	return k.newFDCall(unix.SYS_EVENTFD2, uintptr(uint32(s.a[0])), uintptr(uint32(s.a[1])), 0)
}

func sysTimerfdCreate(k *Process, s *sysCall) int64 {
	return k.newFDCall(unix.SYS_TIMERFD_CREATE, uintptr(uint32(s.a[0])), uintptr(uint32(s.a[1])), 0)
}

func sysTimerfdSettime(k *Process, s *sysCall) int64   { return k.timerfdSettime(s, false) }
func sysTimerfdSettime64(k *Process, s *sysCall) int64 { return k.timerfdSettime(s, true) }
func sysTimerfdGettime(k *Process, s *sysCall) int64   { return k.timerfdGettime(s, false) }
func sysTimerfdGettime64(k *Process, s *sysCall) int64 { return k.timerfdGettime(s, true) }

func (k *Process) timerfdSettime(s *sysCall, wide bool) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	return k.settime(s, unix.SYS_TIMERFD_SETTIME, uintptr(fd), timeABI(s, wide))
}

func (k *Process) timerfdGettime(s *sysCall, wide bool) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	return k.gettime(s, unix.SYS_TIMERFD_GETTIME, uintptr(fd), timeABI(s, wide))
}

// settime runs timerfd_settime or timer_settime (nr) for id: the new
// itimerspec (argument 2) is read in abi's layout and given to the host in
// its own, the old one (argument 3, may be NULL) written back likewise
// (the seconds truncated to 32 bits for the old i386 layout, as
// put_old_itimerspec32 does).
func (k *Process) settime(s *sysCall, nr uintptr, id uintptr, abi cpu.ABI) int64 {
	n := sizeofItimerspec(abi)
	var b [sizeofItimerspecMax]byte
	if e := k.copyIn(s.a[2], b[:n]); e != 0 {
		return -int64(e)
	}
	var in cItimerspec
	in.decode(abi, b[:n])
	h := s.t.scratchBuf(2 * sizeofItimerspecAMD64)
	in.encodeAMD64(h)
	var old uintptr
	if s.a[3] != 0 {
		old = goAddr(h[sizeofItimerspecAMD64:])
	}
	r, _, e := unix.Syscall6(nr, id, uintptr(uint32(s.a[1])), goAddr(h), old, 0, 0)
	if e != 0 {
		return -int64(e)
	}
	if s.a[3] != 0 {
		var out cItimerspec
		out.decodeAMD64(h[sizeofItimerspecAMD64:])
		if ce := k.copyOut(s.a[3], out.encode(abi, b[:])); ce != 0 {
			return -int64(ce)
		}
	}
	return int64(r)
}

// gettime runs timerfd_gettime or timer_gettime (nr) for id, the
// itimerspec written to argument 1 in abi's layout.
func (k *Process) gettime(s *sysCall, nr uintptr, id uintptr, abi cpu.ABI) int64 {
	h := s.t.scratchBuf(sizeofItimerspecAMD64)
	r, _, e := unix.Syscall(nr, id, goAddr(h), 0)
	if e != 0 {
		return -int64(e)
	}
	var v cItimerspec
	v.decodeAMD64(h)
	var b [sizeofItimerspecMax]byte
	if ce := k.copyOut(s.a[1], v.encode(abi, b[:])); ce != 0 {
		return -int64(ce)
	}
	return int64(r)
}
