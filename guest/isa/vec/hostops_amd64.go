package vec

// hostState is the register image the test helpers load into the host CPU
// before one instruction and read back after it. It exists only so the
// tests can compare this package's functions with the real instructions;
// nothing outside the tests calls hostCall.
//
// Layout (offsets used by hostops_amd64.s): Y at 0 (ymm0..ymm3, 32 bytes
// each), G at 128 (rax, rcx, rdx, rbx, rsi, rdi, r8, r9), Flags at 192,
// MXCSR at 200, Trapped at 204.
type hostState struct {
	Y       [4][4]uint64 // ymm0..ymm3, in and out
	G       [8]uint64    // rax rcx rdx rbx rsi rdi r8 r9, in and out
	Flags   uint64       // rflags: status flags in, rflags out
	MXCSR   uint32       // in and out
	Trapped uint32       // set by the #XM handler when the instruction faulted
}

// hostCall loads s into the registers, calls the instruction bytes at code
// (n bytes of instruction, then RET), and stores the registers back into
// s. It sets trapResume to the RET for the #XM catcher.
//
//go:noescape
func hostCall(code *byte, n uintptr, s *hostState)

// sigaction is the kernel's struct sigaction on amd64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// The #XM catcher: while installed (tests only), a SIGFPE raised by the
// instruction under test records the MXCSR of the faulting context in
// trapMXCSR, sets trapFlag and resumes at trapResume (the RET after the
// instruction) with every exception masked.
var (
	trapMXCSR  uint32
	trapFlag   uint32
	trapResume uintptr
)

// trapHandlerAddr and trapRestorerAddr return the entry points of the
// assembly handler and its rt_sigreturn trampoline.
func trapHandlerAddr() uintptr
func trapRestorerAddr() uintptr

// rtSigaction is the raw rt_sigaction system call.
//
//go:noescape
func rtSigaction(sig uintptr, act, old *sigaction) uintptr
