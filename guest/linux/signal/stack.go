package signal

import "github.com/minemu/minemu/guest/cpu"

// Alternate signal stacks and the system-call restart rules.

// MinSigStkSz is MINSIGSTKSZ, the smallest stack sigaltstack accepts.
const MinSigStkSz = 2048

// StackSize is the size of stack_t in the guest's layout.
func StackSize(abi64 bool) int {
	if abi64 {
		return 24
	}
	return 12
}

// DecodeStack reads a stack_t.
func DecodeStack(abi64 bool, b []byte) cpu.AltStack {
	if abi64 {
		return cpu.AltStack{SP: le.Uint64(b[0:]), Flags: le.Uint32(b[8:]), Size: le.Uint64(b[16:])}
	}
	return cpu.AltStack{SP: uint64(le.Uint32(b[0:])), Flags: le.Uint32(b[4:]), Size: uint64(le.Uint32(b[8:]))}
}

// EncodeStack writes a stack_t (StackSize bytes of b).
func EncodeStack(abi64 bool, a cpu.AltStack, b []byte) {
	clear(b[:StackSize(abi64)])
	if abi64 {
		le.PutUint64(b[0:], a.SP)
		le.PutUint32(b[8:], a.Flags)
		le.PutUint64(b[16:], a.Size)
		return
	}
	le.PutUint32(b[0:], uint32(a.SP))
	le.PutUint32(b[4:], a.Flags)
	le.PutUint32(b[8:], uint32(a.Size))
}

// errno values SetAltStack returns (the kernel's).
const (
	EPERM  = 1
	ENOMEM = 12
	EINVAL = 22
)

// SetAltStack is do_sigaltstack's change of cur to ss for a thread at
// stack pointer sp: EPERM while on the current stack, EINVAL for a bad
// mode, ENOMEM below MinSigStkSz; a disabled stack keeps no address or
// size. It returns the new stack, or cur and the errno.
func SetAltStack(cur, ss cpu.AltStack, sp uint64) (cpu.AltStack, int) {
	if cur.OnStack(sp) {
		return cur, EPERM
	}
	mode := ss.Flags &^ cpu.SSAutoDisarm
	if mode != cpu.SSDisable && mode != cpu.SSOnStack && mode != 0 {
		return cur, EINVAL
	}
	if mode == cpu.SSDisable {
		ss.SP, ss.Size = 0, 0
	} else if ss.Size < MinSigStkSz {
		return cur, ENOMEM
	}
	return ss, 0
}

// QueryAltStack is what sigaltstack reports of cur at sp: SS_DISABLE,
// SS_ONSTACK or 0, with SS_AUTODISARM kept.
func QueryAltStack(cur cpu.AltStack, sp uint64) cpu.AltStack {
	cur.Flags = cur.SSFlags(sp) | cur.Flags&cpu.SSAutoDisarm
	return cur
}

// Restart codes a system call returns when a signal interrupts it
// (include/linux/errno.h).
const (
	ERESTARTSYS           = 512
	ERESTARTNOINTR        = 513
	ERESTARTNOHAND        = 514
	ERESTART_RESTARTBLOCK = 516
)

// IsRestart reports a restart code.
func IsRestart(code int64) bool {
	switch code {
	case ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK:
		return true
	}
	return false
}

// Restart is what becomes of a system call that returned a restart code.
type Restart uint8

const (
	// Again: the call runs again (its number back in RAX, RIP at the
	// system-call instruction).
	Again Restart = iota
	// Interrupted: it fails with EINTR.
	Interrupted
	// RestartSyscall: restart_syscall runs in its place
	// (ERESTART_RESTARTBLOCK without a handler).
	RestartSyscall
)

// RestartRule is arch/x86/kernel/signal.c's rule for code: with a
// handler about to run (handler, with saRestart its SA_RESTART), or
// without one.
func RestartRule(code int64, handler, saRestart bool) Restart {
	if !handler {
		if code == ERESTART_RESTARTBLOCK {
			return RestartSyscall
		}
		return Again
	}
	switch code {
	case ERESTARTSYS:
		if saRestart {
			return Again
		}
		return Interrupted
	case ERESTARTNOINTR:
		return Again
	}
	return Interrupted
}
