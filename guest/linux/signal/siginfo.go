package signal

// si_code values (uapi/asm-generic/siginfo.h).
const (
	SI_USER    = 0
	SI_KERNEL  = 0x80
	SI_QUEUE   = -1
	SI_TIMER   = -2
	SI_MESGQ   = -3
	SI_ASYNCIO = -4
	SI_SIGIO   = -5
	SI_TKILL   = -6

	ILL_ILLOPN  = 2
	FPE_INTDIV  = 1
	FPE_FLTDIV  = 3
	FPE_FLTOVF  = 4
	FPE_FLTUND  = 5
	FPE_FLTRES  = 6
	FPE_FLTINV  = 7
	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	BUS_ADRERR  = 2
	TRAP_BRKPT  = 1
)

// InfoSize is the size of siginfo_t in both ABIs.
const InfoSize = 128

// Info is a siginfo_t in the x86-64 layout.
type Info [InfoSize]byte

func (i *Info) i32(off int) int32       { return int32(le.Uint32(i[off:])) }
func (i *Info) put32(off int, v int32)  { le.PutUint32(i[off:], uint32(v)) }
func (i *Info) put64(off int, v uint64) { le.PutUint64(i[off:], v) }

// Signo is si_signo.
func (i *Info) Signo() int { return int(i.i32(0)) }

// Code is si_code.
func (i *Info) Code() int32 { return i.i32(8) }

// Addr is si_addr of a fault.
func (i *Info) Addr() uint64 { return le.Uint64(i[16:]) }

// KillInfo is the siginfo of kill (SI_USER), tkill and tgkill (SI_TKILL)
// or a signal the kernel sends (SI_KERNEL, pid and uid 0).
func KillInfo(sig int, code int32, pid int, uid uint32) Info {
	var i Info
	i.put32(0, int32(sig))
	i.put32(8, code)
	i.put32(16, int32(pid))
	i.put32(20, int32(uid))
	return i
}

// QueueInfo is the siginfo of sigqueue: pid, uid and the value.
func QueueInfo(sig int, code int32, pid int, uid uint32, value uint64) Info {
	i := KillInfo(sig, code, pid, uid)
	i.put64(24, value)
	return i
}

// FaultInfo is the siginfo of a fault: si_code and si_addr.
func FaultInfo(sig int, code int32, addr uint64) Info {
	var i Info
	i.put32(0, int32(sig))
	i.put32(8, code)
	i.put64(16, addr)
	return i
}

// layout is the kernel's siginfo_layout.
type layout uint8

const (
	silKill layout = iota
	silTimer
	silPoll
	silFault
	silChld
	silRT
	silSys
)

// sigSicodes is the kernel's sig_sicodes: the highest si_code of each
// signal that has codes of its own, and the layout they use.
var sigSicodes = map[int]struct {
	n int32
	l layout
}{SIGILL: {11, silFault}, SIGFPE: {15, silFault}, SIGSEGV: {9, silFault}, SIGBUS: {5, silFault},
	SIGTRAP: {6, silFault}, SIGCHLD: {6, silChld}, SIGIO: {6, silPoll}, SIGSYS: {2, silSys}}

func siginfoLayout(sig int, code int32) layout {
	if code > SI_USER && code < SI_KERNEL {
		if x, ok := sigSicodes[sig]; ok && code <= x.n {
			return x.l
		}
		if code <= 6 {
			return silPoll
		}
		return silKill
	}
	switch {
	case code == SI_TIMER:
		return silTimer
	case code == SI_SIGIO:
		return silPoll
	case code < 0:
		return silRT
	}
	return silKill
}

// Compat is i in the i386 compat layout (copy_siginfo_to_external32):
// the union starts at offset 12 and pointers, longs and sigval are 32
// bits.
func (i *Info) Compat() [InfoSize]byte {
	var o [InfoSize]byte
	copy(o[:12], i[:12])
	switch siginfoLayout(i.Signo(), i.Code()) {
	case silKill:
		copy(o[12:20], i[16:24])
	case silTimer:
		copy(o[12:20], i[16:24]) // tid, overrun
		copy(o[20:24], i[24:28]) // sigval
	case silPoll:
		copy(o[12:16], i[16:20]) // band (low half)
		copy(o[16:20], i[24:28]) // fd
	case silFault:
		copy(o[12:16], i[16:20]) // addr
		copy(o[16:18], i[24:26]) // addr_lsb
	case silChld:
		copy(o[12:24], i[16:28])                        // pid, uid, status
		le.PutUint32(o[24:], uint32(le.Uint64(i[32:]))) // utime
		le.PutUint32(o[28:], uint32(le.Uint64(i[40:]))) // stime
	case silRT:
		copy(o[12:20], i[16:24])
		copy(o[20:24], i[24:28])
	case silSys:
		copy(o[12:16], i[16:20]) // call_addr
		copy(o[16:24], i[24:32]) // syscall, arch
	}
	return o
}

// FromCompat reads an i386 siginfo (rt_sigqueueinfo from a 32-bit guest)
// into the x86-64 layout, as copy_siginfo_from_user32 does.
func FromCompat(b []byte) Info {
	var i Info
	copy(i[:12], b[:12])
	switch siginfoLayout(i.Signo(), i.Code()) {
	case silKill:
		copy(i[16:24], b[12:20])
	case silTimer, silRT:
		copy(i[16:24], b[12:20])
		copy(i[24:28], b[20:24]) // compat sigval into sival_int

	case silPoll:
		le.PutUint64(i[16:], uint64(int64(int32(le.Uint32(b[12:])))))
		copy(i[24:28], b[16:20])
	case silFault:
		le.PutUint64(i[16:], uint64(le.Uint32(b[12:])))
		copy(i[24:26], b[16:18])
	case silChld:
		copy(i[16:28], b[12:24])
		le.PutUint64(i[32:], uint64(int64(int32(le.Uint32(b[24:])))))
		le.PutUint64(i[40:], uint64(int64(int32(le.Uint32(b[28:])))))
	case silSys:
		le.PutUint64(i[16:], uint64(le.Uint32(b[12:])))
		copy(i[24:32], b[16:24])
	}
	return i
}
