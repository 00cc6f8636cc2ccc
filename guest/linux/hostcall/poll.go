package hostcall

// Waiting on descriptors: poll, ppoll, select, pselect6, epoll, eventfd,
// timerfd.
//
// pollfd and epoll_event have one layout in both ABIs (8
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
)

// readSigmask reads the sigset_t argument of ppoll, pselect6 and
// epoll_pwait: none when addr is NULL, EINVAL for a size other than 8.
func readSigmask(t Task, addr, size uint64) (mask uint64, set bool, e unix.Errno) {
	if addr == 0 {
		return 0, false, 0
	}
	if size != sizeofSigset {
		return 0, false, unix.EINVAL
	}
	var b [sizeofSigset]byte
	if e := t.CopyIn(addr, b[:]); e != 0 {
		return 0, false, e
	}
	return le.Uint64(b[:]), true, 0
}

// maybeSigmask runs f under mask when set, else as it is.
func maybeSigmask(t Task, mask uint64, set bool, f func()) {
	if set {
		t.WithSigmask(mask, f)
		return
	}
	f()
}

// timeABI is the layout of a timespec argument: the old one of the call's
// ABI, or __kernel_timespec (x86-64's) for i386's *_time64 calls.
func timeABI(c *Call, wide bool) cpu.ABI {
	if wide {
		return cpu.ABIAMD64
	}
	return c.ABI
}

// readTimespecRaw reads a guest timespec without judging it.
func readTimespecRaw(t Task, abi cpu.ABI, addr uint64) (unix.Timespec, unix.Errno) {
	var b [sizeofTimespecMax]byte
	n := sizeofTimespec(abi)
	if e := t.CopyIn(addr, b[:n]); e != 0 {
		return unix.Timespec{}, e
	}
	var v cTimespec
	v.decode(abi, b[:n])
	return unix.Timespec{Sec: v.Sec, Nsec: v.Nsec}, 0
}

// timespecValid is the kernel's timespec64_valid.
func timespecValid(ts unix.Timespec) bool {
	return ts.Sec >= 0 && ts.Nsec >= 0 && ts.Nsec < int64(time.Second)
}

// Poll.

// sizeofPollfd is struct pollfd's size, the same in both ABIs: int fd,
// short events, short revents.
const sizeofPollfd = 8

func Poll(t Task, c *Call) int64 {
	var ts *unix.Timespec
	if ms := c.Int32(2); ms >= 0 {
		ts = &unix.Timespec{Sec: int64(ms / 1000), Nsec: int64(ms%1000) * 1e6}
	}
	return poll(t, c, c.A[0], c.A[1], ts, 0, false, 0, 0, false)
}

func Ppoll(t Task, c *Call) int64   { return ppoll(t, c, false) }
func Ppoll64(t Task, c *Call) int64 { return ppoll(t, c, true) }

// ppoll is ppoll(fds, nfds, tmo, sigmask, sigsetsize); wide for
// ppoll_time64.
func ppoll(t Task, c *Call, wide bool) int64 {
	var ts *unix.Timespec
	if c.A[2] != 0 {
		v, e := readTimespecRaw(t, timeABI(c, wide), c.A[2])
		if e != 0 {
			return -int64(e)
		}
		if !timespecValid(v) {
			return -int64(unix.EINVAL)
		}
		ts = &v
	}
	return poll(t, c, c.A[0], c.A[1], ts, c.A[2], wide, c.A[3], c.A[4], true)
}

// poll runs poll and ppoll on the guest's array at addr: copied, with
// minemu's descriptors answered POLLNVAL (as closed ones are, which makes
// the call return at once), and the revents written back. ts is the
// timeout (nil: none); tsAddr, for ppoll, where the remaining time goes
// back (in the layout wide selects), as the kernel's poll_select_finish
// writes it; ppoll also has a signal mask (withMask: at sigAddr, of size
// sigsz).
func poll(t Task, c *Call, addr, nfds uint64, ts *unix.Timespec, tsAddr uint64, wide bool, sigAddr, sigsz uint64, withMask bool) int64 {
	if nfds > t.Nofile() || nfds > 1<<28 {
		return -int64(unix.EINVAL)
	}
	var mask uint64
	var masked bool
	var e unix.Errno
	if withMask {
		if mask, masked, e = readSigmask(t, sigAddr, sigsz); e != 0 {
			return -int64(e)
		}
	}
	n := int(nfds) * sizeofPollfd
	buf := t.Scratch(2*n + 16)
	guest, fds, hts := buf[:n], buf[n:2*n], buf[2*n:]
	if e := t.CopyIn(addr, guest); e != 0 {
		return -int64(e)
	}
	copy(fds, guest)
	hidden := 0
	for i := 0; i < n; i += sizeofPollfd {
		if fd := int(int32(le.Uint32(fds[i:]))); fd >= 0 && t.Owns(fd) {
			le.PutUint32(fds[i:], ^uint32(0)) // ignored by the host ...
			hidden++
		}
	}
	var tsp uintptr
	if ts != nil {
		v := *ts
		if hidden > 0 {
			v = unix.Timespec{} // ... and POLLNVAL: ready at once
		}
		le.PutUint64(hts[0:], uint64(v.Sec))
		le.PutUint64(hts[8:], uint64(v.Nsec))
		tsp = goAddr(hts)
	} else if hidden > 0 {
		tsp = goAddr(hts) // zero
	}
	var r uintptr
	maybeSigmask(t, mask, masked, func() {
		r, e = t.Blocking(ERestartNoHand, unix.SYS_PPOLL, goAddr(fds), uintptr(nfds), tsp, 0, 0, 0)
	})
	if e == 0 {
		for i := 0; i < n; i += sizeofPollfd {
			rev := le.Uint16(fds[i+6:])
			if fd := int(int32(le.Uint32(guest[i:]))); fd >= 0 && t.Owns(fd) {
				rev = unix.POLLNVAL
				r++
			}
			le.PutUint16(guest[i+6:], rev)
		}
		if ce := t.CopyOut(addr, guest); ce != 0 {
			return -int64(ce)
		}
	}
	if tsAddr != 0 && ts != nil && (ts.Sec != 0 || ts.Nsec != 0) {
		rem := unix.Timespec{Sec: int64(le.Uint64(hts[0:])), Nsec: int64(le.Uint64(hts[8:]))}
		if hidden > 0 {
			rem = *ts // returned at once
		}
		timeOut(t, timeABI(c, wide), tsAddr, rem.Sec, rem.Nsec) // a fault here is ignored, as the kernel does
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

func Select(t Task, c *Call) int64 {
	return doSelect(t, c, c.Int32(0), [3]uint64{c.A[1], c.A[2], c.A[3]}, c.A[4], selTimeval, false, 0, false)
}

// OldSelect is i386's select (number 82): one pointer to a
// sel_arg_struct with the five arguments.
func OldSelect(t Task, c *Call) int64 {
	var b [sizeofSelArgI386]byte
	if e := t.CopyIn(c.A[0], b[:]); e != 0 {
		return -int64(e)
	}
	var a cSelArg
	a.decodeI386(b[:])
	return doSelect(t, c, int(int32(a.N)), [3]uint64{uint64(a.Inp), uint64(a.Outp), uint64(a.Exp)}, uint64(a.Tvp), selTimeval, false, 0, false)
}

func Pselect6(t Task, c *Call) int64   { return pselect6(t, c, false) }
func Pselect664(t Task, c *Call) int64 { return pselect6(t, c, true) }

// pselect6 is pselect6(n, in, out, ex, tsp, sig), sig pointing to the
// mask's address and size (SigsetArg); wide for pselect6_time64.
func pselect6(t Task, c *Call, wide bool) int64 {
	var mask uint64
	var masked bool
	if c.A[5] != 0 {
		var b [sizeofSigsetArgMax]byte
		n := sizeofSigsetArg(c.ABI)
		if e := t.CopyIn(c.A[5], b[:n]); e != 0 {
			return -int64(e)
		}
		var sa cSigsetArg
		sa.decode(c.ABI, b[:n])
		var e unix.Errno
		if mask, masked, e = readSigmask(t, sa.Ss, sa.Len); e != 0 {
			return -int64(e)
		}
	}
	return doSelect(t, c, c.Int32(0), [3]uint64{c.A[1], c.A[2], c.A[3]}, c.A[4], selTimespec, wide, mask, masked)
}

// doSelect runs the select calls on the guest's sets, copied in (the
// kernel's granule: 4 bytes for i386, 8 for x86-64), with a set bit for one
// of minemu's descriptors EBADF, as for a closed one. n is capped at the
// band's start, above which no descriptor is the guest's (the kernel caps
// it at its table's size). The sets and, for a timeout that was not zero,
// the remaining time are written back as the kernel's
// poll_select_finish does.
func doSelect(t Task, c *Call, n int, sets [3]uint64, tvp uint64, kind selTimeout, wide bool, mask uint64, masked bool) int64 {
	if n < 0 {
		return -int64(unix.EINVAL)
	}
	n = min(n, t.BandStart())
	gran := 8
	if c.ABI == cpu.ABIi386 {
		gran = 4
	}
	gsz := (n + 8*gran - 1) / (8 * gran) * gran // bytes the kernel copies
	hsz := (n + 63) / 64 * 8                    // the host's, in longs
	var ts unix.Timespec
	timed := tvp != 0
	if timed {
		tabi := timeABI(c, wide)
		if kind == selTimeval {
			var b [sizeofTimevalMax]byte
			sz := sizeofTimeval(tabi)
			if e := t.CopyIn(tvp, b[:sz]); e != 0 {
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
			if ts, e = readTimespecRaw(t, tabi, tvp); e != 0 {
				return -int64(e)
			}
			if !timespecValid(ts) {
				return -int64(unix.EINVAL)
			}
		}
	}
	buf := t.Scratch(3*hsz + 16)
	var host [3]uintptr
	for i, a := range sets {
		if a == 0 {
			continue
		}
		set := buf[i*hsz : (i+1)*hsz]
		if e := t.CopyIn(a, set[:gsz]); e != 0 {
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
			if set[fd/8]&(1<<(fd%8)) != 0 && t.Owns(fd) {
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
	maybeSigmask(t, mask, masked, func() {
		r, e = t.Blocking(ERestartNoHand, unix.SYS_PSELECT6, uintptr(n), host[0], host[1], host[2], tsp, 0)
	})
	if timed && (ts.Sec != 0 || ts.Nsec != 0) {
		rem := unix.Timespec{Sec: int64(le.Uint64(hts[0:])), Nsec: int64(le.Uint64(hts[8:]))}
		tabi := timeABI(c, wide)
		if kind == selTimeval {
			var b [sizeofTimevalMax]byte
			tv := cTimeval{Sec: rem.Sec, Usec: rem.Nsec / 1000}
			t.CopyOut(tvp, tv.encode(tabi, b[:])) // a fault here is ignored, as the kernel does
		} else {
			timeOut(t, tabi, tvp, rem.Sec, rem.Nsec)
		}
	}
	if e != 0 {
		return -int64(e)
	}
	for i, a := range sets {
		if a != 0 {
			if ce := t.CopyOut(a, buf[i*hsz:i*hsz+gsz]); ce != 0 {
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

func EpollCreate(t Task, c *Call) int64 {
	if c.Int32(0) <= 0 {
		return -int64(unix.EINVAL)
	}
	return newFDCall(t, unix.SYS_EPOLL_CREATE1, 0, 0, 0)
}

func EpollCreate1(t Task, c *Call) int64 {
	return newFDCall(t, unix.SYS_EPOLL_CREATE1, uintptr(uint32(c.A[0])), 0, 0)
}

// newFDCall runs a host call that returns a new descriptor and takes no
// pointers (epoll_create1, eventfd2, timerfd_create, inotify_init1,
// socket ...): EMFILE first when the guest's limit leaves no number free.
func newFDCall(t Task, nr uintptr, a0, a1, a2 uintptr) int64 {
	if e := t.FDFree(); e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(nr, a0, a1, a2)
	if e != 0 {
		return -int64(e)
	}
	return fdResult(t, int(r))
}

func EpollCtl(t Task, c *Call) int64 {
	op := c.Int32(1)
	var ev uintptr
	var e unix.Errno
	if op != unix.EPOLL_CTL_DEL { // DEL ignores the event (since 2.6.9); the kernel reads it first
		if ev, e = t.PassPtr(c.A[3], sizeofEpollEvent); e != 0 {
			return -int64(e)
		}
	}
	epfd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	fd, e := t.FD(c.Int32(2))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), ev, 0, 0)
	return hostRet(r, e)
}

func EpollWait(t Task, c *Call) int64 {
	return epollWait(t, c, int64(c.Int32(3)), nil, 0, 0, false)
}

func EpollPwait(t Task, c *Call) int64 {
	return epollWait(t, c, int64(c.Int32(3)), nil, c.A[4], c.A[5], true)
}

// EpollPwait2 is epoll_pwait2(epfd, events, maxevents, timeout, sigmask,
// sigsetsize), its timeout a __kernel_timespec in both ABIs.
func EpollPwait2(t Task, c *Call) int64 {
	var ts *unix.Timespec
	if c.A[3] != 0 {
		v, e := readTimespecRaw(t, cpu.ABIAMD64, c.A[3])
		if e != 0 {
			return -int64(e)
		}
		if !timespecValid(v) {
			return -int64(unix.EINVAL)
		}
		ts = &v
	}
	return epollWait(t, c, -1, ts, c.A[4], c.A[5], true)
}

// epollWait runs epoll_wait, epoll_pwait and epoll_pwait2: the events go
// straight to the guest's buffer, prepared by Task.KernelBuf, so that a buffer
// only partly the guest's gets the kernel's answer. ms is the timeout of
// the first two, ts epoll_pwait2's.
func epollWait(t Task, c *Call, ms int64, ts *unix.Timespec, sigAddr, sigsz uint64, withMask bool) int64 {
	epfd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	maxev := c.Int32(2)
	if maxev <= 0 || maxev > epMaxEvents {
		return -int64(unix.EINVAL)
	}
	var mask uint64
	var masked bool
	if withMask {
		if mask, masked, e = readSigmask(t, sigAddr, sigsz); e != 0 {
			return -int64(e)
		}
	}
	n, partial, guarded, e := t.KernelBuf(c.A[1], uint64(maxev)*sizeofEpollEvent)
	if e != 0 {
		return -int64(e)
	}
	if partial && !guarded {
		// Cut to the guest's prefix: only as many events as fit there.
		if maxev = int(n / sizeofEpollEvent); maxev == 0 {
			return -int64(unix.EFAULT)
		}
	}
	var r uintptr
	maybeSigmask(t, mask, masked, func() {
		if ts != nil {
			hts := t.Scratch(16)
			le.PutUint64(hts[0:], uint64(ts.Sec))
			le.PutUint64(hts[8:], uint64(ts.Nsec))
			r, e = t.Blocking(unix.EINTR, epollPwait2Nr, uintptr(epfd), uintptr(c.A[1]), uintptr(maxev), goAddr(hts), 0, sizeofSigset)
			return
		}
		r, e = t.Blocking(unix.EINTR, unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(c.A[1]), uintptr(maxev), uintptr(ms), 0, sizeofSigset)
	})
	t.ReleaseBuf()
	if e != 0 {
		return -int64(e)
	}
	t.Wrote(c.A[1], uint64(r)*sizeofEpollEvent)
	return int64(r)
}

// epollPwait2Nr is epoll_pwait2's number on the host.
const epollPwait2Nr = 441

// Eventfd and timerfd.

func Eventfd(t Task, c *Call) int64 {
	return newFDCall(t, unix.SYS_EVENTFD2, uintptr(uint32(c.A[0])), 0, 0)
}

func Eventfd2(t Task, c *Call) int64 {
	return newFDCall(t, unix.SYS_EVENTFD2, uintptr(uint32(c.A[0])), uintptr(uint32(c.A[1])), 0)
}

func TimerfdCreate(t Task, c *Call) int64 {
	return newFDCall(t, unix.SYS_TIMERFD_CREATE, uintptr(uint32(c.A[0])), uintptr(uint32(c.A[1])), 0)
}

func TimerfdSettime(t Task, c *Call) int64   { return timerfdSettime(t, c, false) }
func TimerfdSettime64(t Task, c *Call) int64 { return timerfdSettime(t, c, true) }
func TimerfdGettime(t Task, c *Call) int64   { return timerfdGettime(t, c, false) }
func TimerfdGettime64(t Task, c *Call) int64 { return timerfdGettime(t, c, true) }

func timerfdSettime(t Task, c *Call, wide bool) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	return settime(t, c, unix.SYS_TIMERFD_SETTIME, uintptr(fd), timeABI(c, wide))
}

func timerfdGettime(t Task, c *Call, wide bool) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	return gettime(t, c, unix.SYS_TIMERFD_GETTIME, uintptr(fd), timeABI(c, wide))
}

// settime runs timerfd_settime or timer_settime (nr) for id: the new
// itimerspec (argument 2) is read in abi's layout and given to the host in
// its own, the old one (argument 3, may be NULL) written back likewise
// (the seconds truncated to 32 bits for the old i386 layout, as
// put_old_itimerspec32 does).
func settime(t Task, c *Call, nr uintptr, id uintptr, abi cpu.ABI) int64 {
	n := sizeofItimerspec(abi)
	var b [sizeofItimerspecMax]byte
	if e := t.CopyIn(c.A[2], b[:n]); e != 0 {
		return -int64(e)
	}
	var in cItimerspec
	in.decode(abi, b[:n])
	h := t.Scratch(2 * sizeofItimerspecAMD64)
	in.encodeAMD64(h)
	var old uintptr
	if c.A[3] != 0 {
		old = goAddr(h[sizeofItimerspecAMD64:])
	}
	r, _, e := unix.Syscall6(nr, id, uintptr(uint32(c.A[1])), goAddr(h), old, 0, 0)
	if e != 0 {
		return -int64(e)
	}
	if c.A[3] != 0 {
		var out cItimerspec
		out.decodeAMD64(h[sizeofItimerspecAMD64:])
		if ce := t.CopyOut(c.A[3], out.encode(abi, b[:])); ce != 0 {
			return -int64(ce)
		}
	}
	return int64(r)
}

// gettime runs timerfd_gettime or timer_gettime (nr) for id, the
// itimerspec written to argument 1 in abi's layout.
func gettime(t Task, c *Call, nr uintptr, id uintptr, abi cpu.ABI) int64 {
	h := t.Scratch(sizeofItimerspecAMD64)
	r, _, e := unix.Syscall(nr, id, goAddr(h), 0)
	if e != 0 {
		return -int64(e)
	}
	var v cItimerspec
	v.decodeAMD64(h)
	var b [sizeofItimerspecMax]byte
	if ce := t.CopyOut(c.A[1], v.encode(abi, b[:])); ce != 0 {
		return -int64(ce)
	}
	return int64(r)
}
