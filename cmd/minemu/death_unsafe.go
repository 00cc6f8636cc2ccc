package main

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// guestSignal is the signal that killed the guest, set by runGuest; main
// then ends minemu by the same signal, so that minemu's parent (a shell, a
// guest's waitpid) sees the death the guest would have had natively, not an
// exit status of 128+signal.
var guestSignal unix.Signal

// dieBy ends the process by sig with the signal's default action. The
// core-file limit is set to zero first: the core would be minemu's memory,
// not the guest's, so the status reports no core dump (WCOREDUMP clear).
// It returns only when sig's default action does not end the process.
func dieBy(sig unix.Signal) {
	runtime.LockOSThread()
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	var dfl [4]uint64 // struct sigaction: SIG_DFL, no flags, no restorer, empty mask
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	set := uint64(1) << (sig - 1)
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
}
