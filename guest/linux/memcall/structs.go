package memcall

// i386's struct rlimit with the compat layer's clamping and infinity. The
// layouts are generated from ../linux_structs.txt (structs_gen.go).

//go:generate go run ../internal/structgen -in ../linux_structs.txt -out structs_gen.go -layout structs_layout_gen_test.go -pkg memcall -abi cpu. -abi-import github.com/minemu/minemu/guest/cpu

import "golang.org/x/sys/unix"

// encodeRlimit32 writes i386's struct rlimit, clamping each value to
// lim: 0xffffffff (COMPAT_RLIM_INFINITY) for ugetrlimit, 0x7fffffff for
// the old getrlimit.
func encodeRlimit32(rl *unix.Rlimit, lim uint64, b *[sizeofRlimitI386]byte) {
	v := cRlimit{Cur: min(rl.Cur, lim), Max: min(rl.Max, lim)}
	v.encodeI386(b[:])
}

// decodeRlimit32 reads i386's struct rlimit (compat_rlimit):
// 0xffffffff (COMPAT_RLIM_INFINITY) means RLIM_INFINITY.
func decodeRlimit32(b *[sizeofRlimitI386]byte) unix.Rlimit {
	var v cRlimit
	v.decodeI386(b[:])
	inf := func(x uint64) uint64 {
		if x == compatRlimInf32 {
			return unix.RLIM_INFINITY
		}
		return x
	}
	return unix.Rlimit{Cur: inf(v.Cur), Max: inf(v.Max)}
}
