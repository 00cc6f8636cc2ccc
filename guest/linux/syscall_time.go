package linux

// Timers and accounting: alarm, setitimer, getitimer, the POSIX timers
// (timer_*), clock_getres_time64, clock_settime, getrusage, times.
//
// The timers are the host's: the guest's process is minemu's, so
// ITIMER_REAL and a timer's SIGEV_SIGNAL are a host signal to this
// process (or, with SIGEV_THREAD_ID, to the guest thread, whose tid is a
// host thread's), which the host signal handler records for the guest.
// ITIMER_VIRTUAL and ITIMER_PROF, getrusage and times count the process's
// time, which is minemu's work on the guest's behalf. What needs minemu is
// the i386 layouts: itimerval, itimerspec, sigevent (a 32-bit sigval),
// rusage and tms, translated both ways.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"
)

func sysAlarm(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_ALARM, uintptr(uint32(s.a[0])), 0, 0)
	return hostRet(r, e)
}

// sysSetitimer is setitimer(which, new, old): new may be NULL (the kernel
// then disarms the timer, as it has since 2.6.x for compatibility).
func sysSetitimer(k *Process, s *sysCall) int64 {
	n := sizeofItimerval(s.abi)
	var b [sizeofItimervalMax]byte
	h := s.t.scratchBuf(2 * sizeofItimervalAMD64)
	var in uintptr
	if s.a[1] != 0 {
		if e := k.copyIn(s.a[1], b[:n]); e != 0 {
			return -int64(e)
		}
		var v cItimerval
		v.decode(s.abi, b[:n])
		v.encodeAMD64(h)
		in = goAddr(h)
	}
	var old uintptr
	if s.a[2] != 0 {
		old = goAddr(h[sizeofItimervalAMD64:])
	}
	r, _, e := unix.Syscall(unix.SYS_SETITIMER, uintptr(uint32(s.a[0])), in, old)
	if e != 0 {
		return -int64(e)
	}
	if s.a[2] != 0 {
		var v cItimerval
		v.decodeAMD64(h[sizeofItimervalAMD64:])
		if ce := k.copyOut(s.a[2], v.encode(s.abi, b[:])); ce != 0 {
			return -int64(ce)
		}
	}
	return int64(r)
}

func sysGetitimer(k *Process, s *sysCall) int64 {
	h := s.t.scratchBuf(sizeofItimervalAMD64)
	r, _, e := unix.Syscall(unix.SYS_GETITIMER, uintptr(uint32(s.a[0])), goAddr(h), 0)
	if e != 0 {
		return -int64(e)
	}
	var v cItimerval
	v.decodeAMD64(h)
	var b [sizeofItimervalMax]byte
	if ce := k.copyOut(s.a[1], v.encode(s.abi, b[:])); ce != 0 {
		return -int64(ce)
	}
	return int64(r)
}

// POSIX timers.

// sysTimerCreate is timer_create(clock, sevp, timerid): the guest's
// sigevent (i386: compat_sigevent, a 32-bit sigval) is rebuilt in the
// host's layout; the kernel writes the timer's id, an int, to the guest.
func sysTimerCreate(k *Process, s *sysCall) int64 {
	h := s.t.scratchBuf(sizeofSigeventAMD64)
	var sev uintptr
	if s.a[1] != 0 {
		n := sizeofSigevent(s.abi)
		var b [sizeofSigeventMax]byte
		if e := k.copyIn(s.a[1], b[:n]); e != 0 {
			return -int64(e)
		}
		var v cSigevent
		v.decode(s.abi, b[:n])
		v.encodeAMD64(h)
		sev = goAddr(h)
	}
	id, e := k.passPtr(s.a[2], 4)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_TIMER_CREATE, uintptr(uint32(s.a[0])), sev, id)
	if e == 0 {
		k.wrote(s.a[2], 4)
	}
	return hostRet(r, e)
}

func sysTimerSettime(k *Process, s *sysCall) int64 {
	return k.settime(s, unix.SYS_TIMER_SETTIME, uintptr(int32(s.a[0])), s.abi)
}

func sysTimerSettime64(k *Process, s *sysCall) int64 {
	return k.settime(s, unix.SYS_TIMER_SETTIME, uintptr(int32(s.a[0])), cpu.ABIAMD64)
}

func sysTimerGettime(k *Process, s *sysCall) int64 {
	return k.gettime(s, unix.SYS_TIMER_GETTIME, uintptr(int32(s.a[0])), s.abi)
}

func sysTimerGettime64(k *Process, s *sysCall) int64 {
	return k.gettime(s, unix.SYS_TIMER_GETTIME, uintptr(int32(s.a[0])), cpu.ABIAMD64)
}

func sysTimerGetoverrun(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_TIMER_GETOVERRUN, uintptr(int32(s.a[0])), 0, 0)
	return hostRet(r, e)
}

func sysTimerDelete(k *Process, s *sysCall) int64 {
	r, _, e := unix.Syscall(unix.SYS_TIMER_DELETE, uintptr(int32(s.a[0])), 0, 0)
	return hostRet(r, e)
}

// Clocks.

// sysClockGetres64 is i386's clock_getres_time64: a 64-bit timespec.
func sysClockGetres64(k *Process, s *sysCall) int64 {
	var ts unix.Timespec
	if err := unix.ClockGetres(int32(s.int32Arg(0)), &ts); err != nil {
		return errno(err)
	}
	if s.a[1] == 0 {
		return 0
	}
	return -int64(k.timeOut(cpu.ABIAMD64, s.a[1], ts.Sec, ts.Nsec))
}

func sysClockSettime(k *Process, s *sysCall) int64   { return k.clockSettime(s, s.abi) }
func sysClockSettime64(k *Process, s *sysCall) int64 { return k.clockSettime(s, cpu.ABIAMD64) }

// clockSettime passes clock_settime on with the caller's privileges (EPERM
// for all but root).
func (k *Process) clockSettime(s *sysCall, abi cpu.ABI) int64 {
	ts, e := k.readTimespecRaw(abi, s.a[1])
	if e != 0 {
		return -int64(e)
	}
	h := s.t.scratchBuf(16)
	le.PutUint64(h[0:], uint64(ts.Sec))
	le.PutUint64(h[8:], uint64(ts.Nsec))
	r, _, e := unix.Syscall(unix.SYS_CLOCK_SETTIME, uintptr(int32(s.a[0])), goAddr(h), 0)
	return hostRet(r, e)
}

// Accounting.

// sysGetrusage is getrusage(who, ru), the rusage written in the guest's
// layout (compat_rusage on i386: 32-bit longs, truncated as
// put_compat_rusage truncates).
func sysGetrusage(k *Process, s *sysCall) int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(s.int32Arg(0), &ru); err != nil {
		return errno(err)
	}
	v := rusageFields(&ru)
	var b [sizeofRusageMax]byte
	return -int64(k.copyOut(s.a[1], v.encode(s.abi, b[:])))
}

// rusageFields is the host's rusage as the guest structure holds it.
func rusageFields(ru *unix.Rusage) cRusage {
	return cRusage{
		Utime: cTimeval{Sec: ru.Utime.Sec, Usec: ru.Utime.Usec}, Stime: cTimeval{Sec: ru.Stime.Sec, Usec: ru.Stime.Usec},
		Maxrss: ru.Maxrss, Ixrss: ru.Ixrss, Idrss: ru.Idrss, Isrss: ru.Isrss, Minflt: ru.Minflt, Majflt: ru.Majflt,
		Nswap: ru.Nswap, Inblock: ru.Inblock, Oublock: ru.Oublock, Msgsnd: ru.Msgsnd, Msgrcv: ru.Msgrcv,
		Nsignals: ru.Nsignals, Nvcsw: ru.Nvcsw, Nivcsw: ru.Nivcsw,
	}
}

// sysTimes is times(buf): the clock ticks since boot, truncated to 32 bits
// for i386 as compat_sys_times does, and the tms in the guest's layout
// when buf is not NULL.
func sysTimes(k *Process, s *sysCall) int64 {
	h := s.t.scratchBuf(sizeofTmsAMD64)
	r, _, e := unix.Syscall(unix.SYS_TIMES, goAddr(h), 0, 0)
	if e != 0 {
		return -int64(e)
	}
	if s.a[0] != 0 {
		var v cTms
		v.decodeAMD64(h)
		var b [sizeofTmsMax]byte
		if ce := k.copyOut(s.a[0], v.encode(s.abi, b[:])); ce != 0 {
			return -int64(ce)
		}
	}
	if s.abi == cpu.ABIi386 {
		return int64(int32(r))
	}
	return int64(r)
}
