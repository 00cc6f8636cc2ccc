package hostcall

// Who and when: the process's and thread's ids, the credentials' ids,
// uname in its three layouts, and the clocks the guest reads.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"
)

func Getpid(t Task, c *Call) int64 { return int64(t.Pid()) }

// Gettid is the calling thread's id: the pid for the main thread (the Go
// thread running the interpreter may be another one).
func Gettid(t Task, c *Call) int64 { return int64(t.Tid()) }

func Getppid(t Task, c *Call) int64 { return int64(unix.Getppid()) }

func Getpgrp(t Task, c *Call) int64 { return int64(unix.Getpgrp()) }

// Getpgid and Getsid ask the host; pid 0 (and the guest's own pid) is
// this process.
func Getpgid(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_GETPGID, uintptr(c.Int32(0)), 0, 0)
	return hostRet(r, e)
}

func Getsid(t Task, c *Call) int64 {
	r, _, e := unix.Syscall(unix.SYS_GETSID, uintptr(c.Int32(0)), 0, 0)
	return hostRet(r, e)
}

func Getuid(t Task, c *Call) int64  { return int64(uint32(unix.Getuid())) }
func Geteuid(t Task, c *Call) int64 { return int64(uint32(unix.Geteuid())) }
func Getgid(t Task, c *Call) int64  { return int64(uint32(unix.Getgid())) }
func Getegid(t Task, c *Call) int64 { return int64(uint32(unix.Getegid())) }

// The i386 16-bit variants (getuid, not getuid32) show a large id as
// overflowuid.
func Getuid16(t Task, c *Call) int64  { return int64(lowUID16(uint32(unix.Getuid()))) }
func Geteuid16(t Task, c *Call) int64 { return int64(lowUID16(uint32(unix.Geteuid()))) }
func Getgid16(t Task, c *Call) int64  { return int64(lowUID16(uint32(unix.Getgid()))) }
func Getegid16(t Task, c *Call) int64 { return int64(lowUID16(uint32(unix.Getegid()))) }

// Uname writes struct utsname, whose machine is what a compat task sees
// under the PER_LINUX32 personality for i386.
func Uname(t Task, c *Call) int64 {
	machine := "x86_64"
	if c.ABI == cpu.ABIi386 {
		machine = "i686"
	}
	return uname(t, c.A[0], machine, 65, sizeofUtsname)
}

// Olduname and Oldolduname are i386's old unames: struct old_utsname (five
// 65-byte fields) and struct oldold_utsname (five 9-byte fields, each cut
// to 8 characters).
func Olduname(t Task, c *Call) int64    { return uname(t, c.A[0], "i686", 65, 5*65) }
func Oldolduname(t Task, c *Call) int64 { return uname(t, c.A[0], "i686", 9, 5*9) }

// uname writes the first n bytes of a utsname whose fields are field bytes
// apart (at most field-1 characters of each, NUL-terminated).
func uname(t Task, addr uint64, machine string, field, n int) int64 {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return errno(err)
	}
	b := (*[sizeofUtsname]byte)(t.Scratch(sizeofUtsname))
	encodeUtsname(&u, machine, b)
	if field != 65 {
		// Each field moves down to its narrower place, cut.
		for i := 0; i < 5; i++ {
			copy(b[field*i:field*i+field-1], b[65*i:65*i+field-1])
			b[field*i+field-1] = 0
		}
	}
	return -int64(t.CopyOut(addr, b[:n]))
}

// encodeUtsname writes struct utsname: six NUL-padded 65-byte fields.
func encodeUtsname(u *unix.Utsname, machine string, b *[sizeofUtsname]byte) {
	var v cUtsname
	copy(v.Sysname[:64], u.Sysname[:64])
	copy(v.Nodename[:64], u.Nodename[:64])
	copy(v.Release[:64], u.Release[:64])
	copy(v.Version[:64], u.Version[:64])
	copy(v.Machine[:64], machine)
	copy(v.Domainname[:64], u.Domainname[:64])
	v.encode(b[:])
}

// scratchTimeOut is timeOut with the structure built in the thread's
// scratch memory, so that reading a clock allocates nothing.
func scratchTimeOut(t Task, abi cpu.ABI, addr uint64, sec, nsec int64) unix.Errno {
	v := cTimespec{Sec: sec, Nsec: nsec}
	return t.CopyOut(addr, v.encode(abi, t.Scratch(sizeofTimespecMax)))
}

func ClockGettime(t Task, c *Call) int64 { return clockGettime(t, c, c.ABI) }

// ClockGettime64 is i386's clock_gettime64: a 64-bit timespec.
func ClockGettime64(t Task, c *Call) int64 { return clockGettime(t, c, cpu.ABIAMD64) }

func clockGettime(t Task, c *Call, abi cpu.ABI) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(int32(c.Int32(0)), &ts); err != nil {
		return errno(err)
	}
	return -int64(scratchTimeOut(t, abi, c.A[1], ts.Sec, ts.Nsec))
}

func ClockGetres(t Task, c *Call) int64 {
	var ts unix.Timespec
	if err := unix.ClockGetres(int32(c.Int32(0)), &ts); err != nil {
		return errno(err)
	}
	if c.A[1] == 0 {
		return 0
	}
	return -int64(scratchTimeOut(t, c.ABI, c.A[1], ts.Sec, ts.Nsec))
}

func Gettimeofday(t Task, c *Call) int64 {
	if c.A[0] != 0 {
		var tv unix.Timeval
		if err := unix.Gettimeofday(&tv); err != nil {
			return errno(err)
		}
		if e := scratchTimeOut(t, c.ABI, c.A[0], tv.Sec, tv.Usec); e != 0 {
			return -int64(e)
		}
	}
	if c.A[1] != 0 {
		// struct timezone is two ints in both ABIs.
		p, e := t.PassPtr(c.A[1], 8)
		if e != 0 {
			return -int64(e)
		}
		r, _, e := unix.Syscall(unix.SYS_GETTIMEOFDAY, 0, p, 0)
		if e == 0 {
			t.Wrote(c.A[1], 8)
		}
		return hostRet(r, e)
	}
	return 0
}

// Time returns the seconds since the epoch (truncated to 32 bits for
// i386, as compat time does) and stores them at the pointer if non-null.
func Time(t Task, c *Call) int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &ts); err != nil {
		return errno(err)
	}
	sec := ts.Sec
	if c.ABI == cpu.ABIi386 {
		sec = int64(int32(sec))
	}
	if c.A[0] != 0 {
		b := t.Scratch(8)
		le.PutUint64(b, uint64(sec))
		n := 8
		if c.ABI == cpu.ABIi386 {
			n = 4
		}
		if e := t.CopyOut(c.A[0], b[:n]); e != 0 {
			return -int64(e)
		}
	}
	return sec
}
