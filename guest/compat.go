package guest

import (
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
)

// The Linux personality's names for the CPU vocabulary of package cpu.
//
// The Linux files (linux*.go, syscall_*.go and the rest of this package)
// were written when CPU state, the engines and the system calls were one
// package; these aliases keep them compiling unchanged. This file goes when
// the Linux personality moves to guest/linux and uses package cpu directly.

type (
	CPU                = cpu.CPU
	Reg                = cpu.Reg
	ABI                = cpu.ABI
	Exit               = cpu.Exit
	Kernel             = cpu.Kernel
	Thunker            = cpu.Thunker
	SegmentResolver    = cpu.SegmentResolver
	GuestWriteNotifier = cpu.GuestWriteNotifier
)

const (
	RAX = cpu.RAX
	RCX = cpu.RCX
	RDX = cpu.RDX
	RBX = cpu.RBX
	RSP = cpu.RSP
	RBP = cpu.RBP
	RSI = cpu.RSI
	RDI = cpu.RDI
	R8  = cpu.R8
	R9  = cpu.R9
	R10 = cpu.R10
	R11 = cpu.R11
	R12 = cpu.R12
	R13 = cpu.R13
	R14 = cpu.R14
	R15 = cpu.R15

	ABIi386  = cpu.ABIi386
	ABIAMD64 = cpu.ABIAMD64
)

// NewCPU is cpu.NewCPU.
var NewCPU = cpu.NewCPU

// mapAnonAt maps n bytes of private anonymous memory at exactly a with
// protection prot, failing rather than replacing anything there
// (MAP_FIXED_NOREPLACE; EEXIST from a kernel that ignores the flag and
// places the mapping elsewhere).
func mapAnonAt(a, n uint64, prot int) error {
	p, _, e := unix.Syscall6(unix.SYS_MMAP, uintptr(a), uintptr(n), uintptr(prot),
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uintptr(0), 0)
	if e != 0 {
		return e
	}
	if uint64(p) != a {
		unix.Syscall(unix.SYS_MUNMAP, p, uintptr(n), 0)
		return unix.EEXIST
	}
	return nil
}

// unmapAnon unmaps n bytes at a.
func unmapAnon(a, n uint64) error {
	if _, _, e := unix.Syscall(unix.SYS_MUNMAP, uintptr(a), uintptr(n), 0); e != 0 {
		return e
	}
	return nil
}
