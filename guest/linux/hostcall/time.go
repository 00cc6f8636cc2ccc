package hostcall

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

func Alarm(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_ALARM, uintptr(uint32(c.A[0])), 0, 0)
	return hostRet(r, e)
}

// Setitimer is setitimer(which, new, old): new may be NULL (the kernel
// then disarms the timer, as it has since 2.6.x for compatibility).
func Setitimer(t Task, c *Call) int64 {
	n := sizeofItimerval(c.ABI)
	var b [sizeofItimervalMax]byte
	h := t.Scratch(2 * sizeofItimervalAMD64)
	var in uintptr
	if c.A[1] != 0 {
		if e := t.CopyIn(c.A[1], b[:n]); e != 0 {
			return -int64(e)
		}
		var v cItimerval
		v.decode(c.ABI, b[:n])
		v.encodeAMD64(h)
		in = goAddr(h)
	}
	var old uintptr
	if c.A[2] != 0 {
		old = goAddr(h[sizeofItimervalAMD64:])
	}
	r, _, e := unix.Syscall(unix.SYS_SETITIMER, uintptr(uint32(c.A[0])), in, old)
	if e != 0 {
		return -int64(e)
	}
	if c.A[2] != 0 {
		var v cItimerval
		v.decodeAMD64(h[sizeofItimervalAMD64:])
		if ce := t.CopyOut(c.A[2], v.encode(c.ABI, b[:])); ce != 0 {
			return -int64(ce)
		}
	}
	return int64(r)
}

func Getitimer(t Task, c *Call) int64 {
	h := t.Scratch(sizeofItimervalAMD64)
	r, _, e := unix.Syscall(unix.SYS_GETITIMER, uintptr(uint32(c.A[0])), goAddr(h), 0)
	if e != 0 {
		return -int64(e)
	}
	var v cItimerval
	v.decodeAMD64(h)
	var b [sizeofItimervalMax]byte
	if ce := t.CopyOut(c.A[1], v.encode(c.ABI, b[:])); ce != 0 {
		return -int64(ce)
	}
	return int64(r)
}

// POSIX timers.

// TimerCreate is timer_create(clock, sevp, timerid): the guest's
// sigevent (i386: compat_sigevent, a 32-bit sigval) is rebuilt in the
// host's layout; the kernel writes the timer's id, an int, to the guest.
func TimerCreate(t Task, c *Call) int64 {
	h := t.Scratch(sizeofSigeventAMD64)
	var sev uintptr
	if c.A[1] != 0 {
		n := sizeofSigevent(c.ABI)
		var b [sizeofSigeventMax]byte
		if e := t.CopyIn(c.A[1], b[:n]); e != 0 {
			return -int64(e)
		}
		var v cSigevent
		v.decode(c.ABI, b[:n])
		v.encodeAMD64(h)
		sev = goAddr(h)
	}
	id, e := t.PassPtr(c.A[2], 4)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_TIMER_CREATE, uintptr(uint32(c.A[0])), sev, id)
	if e == 0 {
		t.Wrote(c.A[2], 4)
	}
	return hostRet(r, e)
}

func TimerSettime(t Task, c *Call) int64 {
	return settime(t, c, unix.SYS_TIMER_SETTIME, uintptr(int32(c.A[0])), c.ABI)
}

func TimerSettime64(t Task, c *Call) int64 {
	return settime(t, c, unix.SYS_TIMER_SETTIME, uintptr(int32(c.A[0])), cpu.ABIAMD64)
}

func TimerGettime(t Task, c *Call) int64 {
	return gettime(t, c, unix.SYS_TIMER_GETTIME, uintptr(int32(c.A[0])), c.ABI)
}

func TimerGettime64(t Task, c *Call) int64 {
	return gettime(t, c, unix.SYS_TIMER_GETTIME, uintptr(int32(c.A[0])), cpu.ABIAMD64)
}

func TimerGetoverrun(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_TIMER_GETOVERRUN, uintptr(int32(c.A[0])), 0, 0)
	return hostRet(r, e)
}

func TimerDelete(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_TIMER_DELETE, uintptr(int32(c.A[0])), 0, 0)
	return hostRet(r, e)
}

// Clocks.

// ClockGetres64 is i386's clock_getres_time64: a 64-bit timespec.
func ClockGetres64(t Task, c *Call) int64 {
	var ts unix.Timespec
	if err := unix.ClockGetres(int32(c.Int32(0)), &ts); err != nil {
		return errno(err)
	}
	if c.A[1] == 0 {
		return 0
	}
	return -int64(timeOut(t, cpu.ABIAMD64, c.A[1], ts.Sec, ts.Nsec))
}

func ClockSettime(t Task, c *Call) int64   { return clockSettime(t, c, c.ABI) }
func ClockSettime64(t Task, c *Call) int64 { return clockSettime(t, c, cpu.ABIAMD64) }

// clockSettime passes clock_settime on with the caller's privileges (EPERM
// for all but root).
func clockSettime(t Task, c *Call, abi cpu.ABI) int64 {
	ts, e := readTimespecRaw(t, abi, c.A[1])
	if e != 0 {
		return -int64(e)
	}
	h := t.Scratch(16)
	le.PutUint64(h[0:], uint64(ts.Sec))
	le.PutUint64(h[8:], uint64(ts.Nsec))
	r, _, e := unix.Syscall(unix.SYS_CLOCK_SETTIME, uintptr(int32(c.A[0])), goAddr(h), 0)
	return hostRet(r, e)
}

// Accounting.

// Getrusage is getrusage(who, ru), the rusage written in the guest's
// layout (compat_rusage on i386: 32-bit longs, truncated as
// put_compat_rusage truncates).
func Getrusage(t Task, c *Call) int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(c.Int32(0), &ru); err != nil {
		return errno(err)
	}
	v := rusageFields(&ru)
	var b [sizeofRusageMax]byte
	return -int64(t.CopyOut(c.A[1], v.encode(c.ABI, b[:])))
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

// Times is times(buf): the clock ticks since boot, truncated to 32 bits
// for i386 as compat_sys_times does, and the tms in the guest's layout
// when buf is not NULL.
func Times(t Task, c *Call) int64 {
	h := t.Scratch(sizeofTmsAMD64)
	r, _, e := unix.Syscall(unix.SYS_TIMES, goAddr(h), 0, 0)
	if e != 0 {
		return -int64(e)
	}
	if c.A[0] != 0 {
		var v cTms
		v.decodeAMD64(h)
		var b [sizeofTmsMax]byte
		if ce := t.CopyOut(c.A[0], v.encode(c.ABI, b[:])); ce != 0 {
			return -int64(ce)
		}
	}
	if c.ABI == cpu.ABIi386 {
		return int64(int32(r))
	}
	return int64(r)
}
