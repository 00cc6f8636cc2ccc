package linux

// Process system calls: exit, identities, TLS, uname, time, resource
// limits (signals: syscall_signal*.go).

import (
	"github.com/minemu/minemu/guest/cpu"

	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// arch_prctl codes (asm/prctl.h).
const (
	archSetGS = 0x1001
	archSetFS = 0x1002
	archGetFS = 0x1003
	archGetGS = 0x1004
)

func sysArchPrctl(k *Process, s *sysCall) int64 {
	switch s.a[0] {
	case archSetFS, archSetGS:
		// do_arch_prctl_64: a base at or above TASK_SIZE_MAX is EPERM.
		if s.a[1] >= uint64(mm.UserLimit)-mm.PageSize {
			return -int64(unix.EPERM)
		}
		if s.a[0] == archSetFS {
			s.c.FSBase = s.a[1]
		} else {
			s.c.GSBase = s.a[1]
		}
		return 0
	case archGetFS, archGetGS:
		v := s.c.FSBase
		if s.a[0] == archGetGS {
			v = s.c.GSBase
		}
		var b [8]byte
		le.PutUint64(b[:], v)
		return -int64(k.copyOut(s.a[1], b[:]))
	}
	return -int64(unix.EINVAL)
}

// i386 TLS. Linux gives a compat task three GDT entries for TLS, 12..14;
// the guest loads a selector (entry<<3)|3 into GS (glibc) and the base of
// that entry becomes the GS base.
const (
	tlsEntryMin = 12
	tlsEntries  = 3
)

// tlsDesc is one TLS descriptor as set_thread_area describes it.
type tlsDesc struct {
	// used: the entry holds a segment (not the empty descriptor).
	used  bool
	base  uint32
	limit uint32
	// flags is user_desc's bitfield word (seg_32bit, contents,
	// read_exec_only, limit_in_pages, seg_not_present, useable).
	flags uint32
}

// user_desc flag bits.
const (
	udSeg32         = 1 << 0
	udContentsShift = 1
	udReadExecOnly  = 1 << 3
	udLimitInPages  = 1 << 4
	udNotPresent    = 1 << 5
	udUseable       = 1 << 6
)

// emptyDesc reports whether a user_desc clears its entry (LDT_empty: base
// and limit 0, contents 0, read_exec_only and seg_not_present set, the
// other bits clear; or everything zero).
func emptyDesc(base, limit, flags uint32) bool {
	if base != 0 || limit != 0 {
		return false
	}
	f := flags & 0x7f
	return f == 0 || f == udReadExecOnly|udNotPresent
}

// sysSetThreadArea is i386's set_thread_area(struct user_desc *). An
// entry_number of -1 asks for a free entry, whose number is written back.
func sysSetThreadArea(k *Process, s *sysCall) int64 {
	var b [sizeofUserDesc]byte
	if e := k.copyIn(s.a[0], b[:]); e != 0 {
		return -int64(e)
	}
	var ud cUserDesc
	ud.decode(b[:])
	entry := int32(ud.EntryNumber)
	base, limit, flags := ud.BaseAddr, ud.Limit, ud.Flags
	empty := emptyDesc(base, limit, flags)
	// tls_desc_okay: a TLS segment is a present, 32-bit data segment.
	if !empty && (flags&udSeg32 == 0 || (flags>>udContentsShift)&3 > 1 || flags&udNotPresent != 0) {
		return -int64(unix.EINVAL)
	}
	if entry == -1 {
		for i := range s.t.gdt {
			if !s.t.gdt[i].used {
				entry = int32(tlsEntryMin + i)
				break
			}
		}
		if entry == -1 {
			return -int64(unix.ESRCH)
		}
		ud.EntryNumber = uint32(entry)
		if e := k.copyOut(s.a[0], ud.encode(b[:])[offUserDescEntryNumber:offUserDescBaseAddr]); e != 0 {
			return -int64(e)
		}
	}
	i := int(entry) - tlsEntryMin
	if i < 0 || i >= tlsEntries {
		return -int64(unix.EINVAL)
	}
	if empty {
		s.t.gdt[i] = tlsDesc{}
	} else {
		s.t.gdt[i] = tlsDesc{used: true, base: base, limit: limit, flags: flags & 0x7f}
	}
	// Like the kernel's load_TLS, a change to the entry GS already
	// selects takes effect at once.
	if int(s.c.GS>>3) == int(entry) && s.c.GS&7 == 3 {
		s.c.GSBase = uint64(s.t.gdt[i].base)
	}
	if int(s.c.FS>>3) == int(entry) && s.c.FS&7 == 3 {
		s.c.FSBase = uint64(s.t.gdt[i].base)
	}
	return 0
}

// sysGetThreadArea is i386's get_thread_area(struct user_desc *).
func sysGetThreadArea(k *Process, s *sysCall) int64 {
	var b [sizeofUserDesc]byte
	if e := k.copyIn(s.a[0], b[offUserDescEntryNumber:offUserDescBaseAddr]); e != 0 {
		return -int64(e)
	}
	entry := int32(le.Uint32(b[offUserDescEntryNumber:]))
	i := int(entry) - tlsEntryMin
	if i < 0 || i >= tlsEntries {
		return -int64(unix.EINVAL)
	}
	d := s.t.gdt[i]
	ud := cUserDesc{EntryNumber: uint32(entry), BaseAddr: d.base, Limit: d.limit, Flags: d.flags}
	if !d.used {
		ud.Flags = udReadExecOnly | udNotPresent
	}
	return -int64(k.copyOut(s.a[0], ud.encode(b[:])))
}

func sysSetTidAddress(k *Process, s *sysCall) int64 {
	s.t.clearChildTID = s.a[0]
	return int64(s.t.tid)
}

func sysSetRobustList(k *Process, s *sysCall) int64 {
	if s.a[1] != uint64(sizeofRobustListHead(s.abi)) {
		return -int64(unix.EINVAL)
	}
	s.t.robustList = s.a[0]
	return 0
}

// sysNoSysQuiet answers ENOSYS without a warning: calls such as rseq that
// libc makes at startup and handles ENOSYS for by design.
func sysNoSysQuiet(k *Process, s *sysCall) int64 { return -int64(unix.ENOSYS) }

// timeOut writes a timespec or timeval in the guest's old layout.
func (k *Process) timeOut(abi cpu.ABI, addr uint64, sec, nsec int64) unix.Errno {
	var b [sizeofTimespecMax]byte
	return k.copyOut(addr, encodeTimespec(abi, sec, nsec, &b))
}

// readTimespec reads and validates a guest timespec (old layout for
// i386 unless wide).
func (k *Process) readTimespec(abi cpu.ABI, addr uint64) (time.Duration, unix.Errno) {
	var b [sizeofTimespecMax]byte
	n := sizeofTimespec(abi)
	if e := k.copyIn(addr, b[:n]); e != 0 {
		return 0, e
	}
	sec, nsec := decodeTimespec(abi, b[:n])
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, unix.EINVAL
	}
	if sec > (1<<63-1)/int64(time.Second)-1 {
		sec = (1<<63-1)/int64(time.Second) - 1
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec), 0
}

// sleep sleeps for d (or until abs with TIMER_ABSTIME) on the host,
// interruptibly: it returns EINTR with the time left when a guest signal
// becomes deliverable (the kernel's -ERESTART_RESTARTBLOCK, which a
// handler turns into EINTR); host signals that are not the guest's to
// take now (the Go runtime's) resume the sleep with the time remaining.
func (t *Thread) sleep(clock int, flags int, d time.Duration, abs unix.Timespec) (time.Duration, unix.Errno) {
	for {
		var req unix.Timespec
		if flags&unix.TIMER_ABSTIME != 0 {
			req = abs
		} else {
			req = unix.NsecToTimespec(int64(d))
		}
		rem, e := t.clockNanosleep(clock, flags, &req)
		if e == 0 {
			return 0, 0
		}
		if e != unix.EINTR {
			return 0, e
		}
		if flags&unix.TIMER_ABSTIME == 0 {
			d = rem
		}
		if t.deliverable() {
			return d, unix.EINTR
		}
	}
}

func sysNanosleep(k *Process, s *sysCall) int64 {
	d, e := k.readTimespec(s.abi, s.a[0])
	if e != 0 {
		return -int64(e)
	}
	left, e := s.t.sleep(unix.CLOCK_MONOTONIC, 0, d, unix.Timespec{})
	if e == unix.EINTR && s.a[1] != 0 {
		if e2 := k.timeOut(s.abi, s.a[1], int64(left/time.Second), int64(left%time.Second)); e2 != 0 {
			return -int64(e2)
		}
	}
	return -int64(e)
}

// clockNanosleep is clock_nanosleep(clock, flags, req, rem); abi selects
// the timespec layout (i386's clock_nanosleep_time64 passes the 64-bit
// one).
func (k *Process) clockNanosleep(s *sysCall, abi cpu.ABI) int64 {
	clock, flags := s.int32Arg(0), s.int32Arg(1)
	d, e := k.readTimespec(abi, s.a[2])
	if e != 0 {
		return -int64(e)
	}
	abs := unix.NsecToTimespec(int64(d))
	left, e := s.t.sleep(clock, flags&unix.TIMER_ABSTIME, d, abs)
	if e == unix.EINTR && flags&unix.TIMER_ABSTIME == 0 && s.a[3] != 0 {
		if e2 := k.timeOut(abi, s.a[3], int64(left/time.Second), int64(left%time.Second)); e2 != 0 {
			return -int64(e2)
		}
	}
	return -int64(e)
}

func sysClockNanosleep(k *Process, s *sysCall) int64   { return k.clockNanosleep(s, s.abi) }
func sysClockNanosleep64(k *Process, s *sysCall) int64 { return k.clockNanosleep(s, cpu.ABIAMD64) }
