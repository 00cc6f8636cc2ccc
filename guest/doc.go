// Package guest is minemu's Linux personality: the system calls of both
// ABIs (Linux, the Kernel the engines call), the descriptor band, the
// procfs filters and the strace output.
//
// How guest code is executed is not this package's: the guest packages
// below it are
//
//   - guest/cpu: the CPU state of a thread and the contracts (Exit,
//     Kernel, Thunker, SegmentResolver, GuestWriteNotifier);
//   - guest/isa: decoding (x86asm), op records and lowering;
//   - guest/engine: the Engine seam, the shared code cache, the process and
//     thread run state and the run loop that handles every exit;
//   - guest/interp: the interpreter, the reference engine.
//
// This package sees CPU state and guest memory only. Its files still use
// the names they had when everything was one package; compat.go maps them
// to package cpu until the personality moves to guest/linux.
package guest
