package linux

// Guest structure layouts. Every structure the layer translates is
// described once, for both ABIs, in linux_structs.txt (the layouts of the
// Linux UAPI headers, arch/x86/include/uapi/asm/stat.h, asm-generic/
// signal.h ..., and for i386 guests on a 64-bit kernel those of the compat
// layer: compat_stat, compat_flock ...); internal/structgen writes from it
// linux_structs_gen.go, a Go type cNAME per structure with its sizes and
// field offsets per ABI as constants and encode/decode methods that write
// and read it at those offsets, and the layout table the tests check
// against the kernel's (testdata/structs). This file holds what the
// description cannot say: how the host's values become the guest's, with
// the compat layer's overflow rules (EOVERFLOW where Linux's compat code
// says so, truncation where it truncates).

//go:generate go run ./internal/structgen -in linux_structs.txt -out linux_structs_gen.go -layout linux_structs_layout_gen_test.go -abi cpu. -abi-import github.com/minemu/minemu/guest/cpu

import (
	"github.com/minemu/minemu/guest/cpu"

	"encoding/binary"
)

// le writes and reads the scalars system calls pass by pointer (time_t,
// loff_t, sigset_t, a pipe's two ints).
var le = binary.LittleEndian

// Sizes and limits that are not structures.
const (
	sizeofSigset   = 8
	sysMaxNonLFS   = 1<<31 - 1 // MAX_NON_LFS: the largest off_t of a non-LFS i386 call
	sysOverflowUID = 65534     // overflowuid: what a 16-bit uid field shows for a larger uid
)

// lowUID16 is a uid or gid as a 16-bit field shows it (high2lowuid).
func lowUID16(id uint32) uint16 {
	if id > 0xffff {
		return sysOverflowUID
	}
	return uint16(id)
}

// encodeTimespec writes a timespec (or timeval: same shape) in the guest's
// old layout into b and returns the used prefix: two 32-bit fields for
// i386 (seconds truncated, as the kernel's put_old_timespec32 does), two
// 64-bit fields for x86-64.
func encodeTimespec(abi cpu.ABI, sec, nsec int64, b *[sizeofTimespecMax]byte) []byte {
	v := cTimespec{Sec: sec, Nsec: nsec}
	return v.encode(abi, b[:])
}

// decodeTimespec reads a timespec of the guest's old layout (32-bit
// fields, sign-extended, for i386).
func decodeTimespec(abi cpu.ABI, b []byte) (sec, nsec int64) {
	var v cTimespec
	v.decode(abi, b)
	return v.Sec, v.Nsec
}

// sigAction is a recorded signal disposition, ABI-neutral.
type sigAction struct {
	handler  uint64
	flags    uint64
	restorer uint64
	mask     uint64
}

// sigactionSize is the size of the guest's struct sigaction (the kernel's
// rt_sigaction layout).
func sigactionSize(abi cpu.ABI) int { return sizeofSigaction(abi) }

func decodeSigaction(abi cpu.ABI, b []byte) sigAction {
	var v cSigaction
	v.decode(abi, b)
	return sigAction{handler: v.Handler, flags: v.Flags, restorer: v.Restorer, mask: v.Mask}
}

func encodeSigaction(abi cpu.ABI, a sigAction, b []byte) {
	v := cSigaction{Handler: a.handler, Flags: a.flags, Restorer: a.restorer, Mask: a.mask}
	v.encode(abi, b)
}

// altStack is a recorded sigaltstack, ABI-neutral.
type altStack struct {
	sp    uint64
	flags uint32
	size  uint64
}

func stackSize(abi cpu.ABI) int { return sizeofStack(abi) }

func decodeStack(abi cpu.ABI, b []byte) altStack {
	var v cStack
	v.decode(abi, b)
	return altStack{sp: v.Sp, flags: uint32(v.Flags), size: v.Size}
}

func encodeStack(abi cpu.ABI, s altStack, b []byte) {
	v := cStack{Sp: s.sp, Flags: int32(s.flags), Size: s.size}
	v.encode(abi, b)
}
