package hostcall

// umask, sched_yield, sched_getaffinity and sysinfo.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"
)

func Umask(t Task, c *Call) int64 {
	return int64(unix.Umask(int(c.A[0] & 0o777)))
}

func SchedYield(t Task, c *Call) int64 {
	unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	return 0
}

// SchedGetaffinity: the CPU mask is a byte array in both ABIs, but its
// length (an unsigned int in both) must be a multiple of the guest's long.
func SchedGetaffinity(t Task, c *Call) int64 {
	n := uint64(uint32(c.A[1]))
	if c.ABI == cpu.ABIi386 && n%4 != 0 {
		return -int64(unix.EINVAL)
	}
	p, e := t.PassPtr(c.A[2], n)
	if e != 0 {
		return -int64(e)
	}
	pid := c.Int32(0)
	if pid == t.Tid() {
		pid = 0 // the calling guest thread, not whichever thread runs it
	}
	r, _, e := unix.Syscall(unix.SYS_SCHED_GETAFFINITY, uintptr(pid), uintptr(n), p)
	return wroteRet(t, c.A[2], hostRet(r, e))
}

// Sysinfo writes struct sysinfo; for i386 the memory fields are 32-bit
// and, like the kernel's compat_sysinfo, scaled down through a larger
// mem_unit when they do not fit.
func Sysinfo(t Task, c *Call) int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return errno(err)
	}
	var b [sizeofSysinfoMax]byte
	n := encodeSysinfo(c.ABI, &si, &b)
	return -int64(t.CopyOut(c.A[0], b[:n]))
}

// encodeSysinfo writes si in abi's layout into b and returns its size.
func encodeSysinfo(abi cpu.ABI, si *unix.Sysinfo_t, b *[sizeofSysinfoMax]byte) int {
	v := cSysinfo{
		Uptime: si.Uptime, Loads: si.Loads,
		Totalram: si.Totalram, Freeram: si.Freeram, Sharedram: si.Sharedram, Bufferram: si.Bufferram,
		Totalswap: si.Totalswap, Freeswap: si.Freeswap, Procs: si.Procs,
		Totalhigh: si.Totalhigh, Freehigh: si.Freehigh, MemUnit: si.Unit,
	}
	if abi == cpu.ABIi386 && (si.Totalram>>32 != 0 || si.Totalswap>>32 != 0) {
		shift := 0
		for v.MemUnit < 4096 {
			v.MemUnit <<= 1
			shift++
		}
		for _, p := range [...]*uint64{&v.Totalram, &v.Freeram, &v.Sharedram, &v.Bufferram, &v.Totalswap, &v.Freeswap, &v.Totalhigh, &v.Freehigh} {
			*p >>= shift
		}
	}
	return len(v.encode(abi, b[:]))
}
