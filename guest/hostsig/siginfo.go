//go:build linux && amd64

package hostsig

import "encoding/binary"

// Siginfo is one signal as the kernel delivered it to a host thread.
type Siginfo struct {
	// Raw is the kernel's x86-64 siginfo_t, byte for byte.
	Raw [128]byte
	// Tid is the thread that received it.
	Tid int32
}

func (s *Siginfo) int32At(off int) int32 { return int32(binary.LittleEndian.Uint32(s.Raw[off:])) }
func (s *Siginfo) setInt32(off int, v int32) {
	binary.LittleEndian.PutUint32(s.Raw[off:], uint32(v))
}

// Signo is si_signo.
func (s *Siginfo) Signo() int { return int(s.int32At(0)) }

// Errno is si_errno.
func (s *Siginfo) Errno() int32 { return s.int32At(4) }

// Code is si_code: > 0 from the kernel (SEGV_MAPERR, CLD_EXITED, ...),
// SI_USER for kill, SI_TKILL for tgkill, SI_QUEUE for sigqueue, SI_TIMER,
// SI_KERNEL.
func (s *Siginfo) Code() int32 { return s.int32At(8) }

// Pid is si_pid (kill, tgkill, sigqueue, SIGCHLD).
func (s *Siginfo) Pid() int32 { return s.int32At(16) }

// Uid is si_uid (kill, tgkill, sigqueue, SIGCHLD).
func (s *Siginfo) Uid() uint32 { return uint32(s.int32At(20)) }

// Addr is si_addr (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP faults).
func (s *Siginfo) Addr() uint64 { return binary.LittleEndian.Uint64(s.Raw[16:]) }

// Status is si_status (SIGCHLD: the exit status or the signal).
func (s *Siginfo) Status() int32 { return s.int32At(24) }

// Value is si_value (sigqueue, POSIX timers).
func (s *Siginfo) Value() uint64 { return binary.LittleEndian.Uint64(s.Raw[24:]) }

// Indexes of Fault.Regs: the x86-64 mcontext's gregs (REG_R8 ...).
const (
	RegR8 = iota
	RegR9
	RegR10
	RegR11
	RegR12
	RegR13
	RegR14
	RegR15
	RegRDI
	RegRSI
	RegRBP
	RegRBX
	RegRDX
	RegRAX
	RegRCX
	RegRSP
	RegRIP
	RegEFL
	RegCSGSFS
	RegErr
	RegTrapno
	RegOldmask
	RegCR2
)

// Fault is a synchronous fault the handler recorded on a registered thread.
type Fault struct {
	// Seq numbers the thread's faults from 1.
	Seq uint64
	// PC is the faulting instruction's address (after it for int3).
	PC uintptr
	// Info is the kernel's siginfo: signal, si_code, si_addr.
	Info Siginfo
	// Regs are the interrupted context's general registers; Regs[RegErr]
	// holds the page-fault error code (bit 1: write, bit 4: fetch) and
	// Regs[RegTrapno] the exception vector, which a guest's sigcontext
	// carries too.
	Regs [numGregs]uint64
}
