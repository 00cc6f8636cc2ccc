package guest

// Guest structure layouts. Each encoder writes a structure exactly as the
// guest's ABI lays it out, field by field at explicit little-endian
// offsets, from the host's (x86-64) value; each decoder reads one. The
// layouts are those of the Linux UAPI headers (arch/x86/include/uapi/asm/
// stat.h, asm-generic/signal.h ...) and, for i386 guests on a 64-bit kernel,
// of the compat layer (compat_stat, compat_flock ...), whose overflow rules
// the encoders follow.

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

var le = binary.LittleEndian

// Sizes of the guest structures.
const (
	sizeofStatAMD64    = 144
	sizeofStatI386     = 64
	sizeofStat64I386   = 96
	sizeofTimespec32   = 8
	sizeofTimespec64   = 16
	sizeofRlimit32     = 8
	sizeofRlimit64     = 16
	sizeofSigactAMD64  = 32
	sizeofSigactI386   = 20
	sizeofStackAMD64   = 24
	sizeofStackI386    = 12
	sizeofFlockI386    = 16
	sizeofFlock64I386  = 24
	sizeofUserDesc     = 16
	sizeofIovecI386    = 8
	sizeofIovecAMD64   = 16
	sizeofUtsname      = 6 * 65
	sizeofRobustAMD64  = 24
	sizeofRobustI386   = 12
	sizeofSigset       = 8
	sysMaxNonLFS       = 1<<31 - 1 // MAX_NON_LFS: the largest off_t of a non-LFS i386 call
	sysOverflowUID     = 65534     // overflowuid: what a 16-bit uid field shows for a larger uid
	sysCompatRlimInf32 = 0xffffffff
)

// encodeStatAMD64 writes x86-64's struct stat (the host's own layout).
func encodeStatAMD64(st *unix.Stat_t, b *[sizeofStatAMD64]byte) {
	*b = [sizeofStatAMD64]byte{}
	le.PutUint64(b[0:], st.Dev)
	le.PutUint64(b[8:], st.Ino)
	le.PutUint64(b[16:], st.Nlink)
	le.PutUint32(b[24:], st.Mode)
	le.PutUint32(b[28:], st.Uid)
	le.PutUint32(b[32:], st.Gid)
	le.PutUint64(b[40:], st.Rdev)
	le.PutUint64(b[48:], uint64(st.Size))
	le.PutUint64(b[56:], uint64(st.Blksize))
	le.PutUint64(b[64:], uint64(st.Blocks))
	le.PutUint64(b[72:], uint64(st.Atim.Sec))
	le.PutUint64(b[80:], uint64(st.Atim.Nsec))
	le.PutUint64(b[88:], uint64(st.Mtim.Sec))
	le.PutUint64(b[96:], uint64(st.Mtim.Nsec))
	le.PutUint64(b[104:], uint64(st.Ctim.Sec))
	le.PutUint64(b[112:], uint64(st.Ctim.Nsec))
}

// lowUID16 is a uid or gid as a 16-bit field shows it (high2lowuid).
func lowUID16(id uint32) uint16 {
	if id > 0xffff {
		return sysOverflowUID
	}
	return uint16(id)
}

// encodeStatI386 writes i386's old struct stat (stat, lstat, fstat), with
// the compat layer's EOVERFLOW for an inode, link count, size or device
// number that does not fit.
func encodeStatI386(st *unix.Stat_t, b *[sizeofStatI386]byte) unix.Errno {
	if st.Ino > 0xffffffff || st.Nlink > 0xffff || st.Size < 0 || st.Size > sysMaxNonLFS ||
		st.Dev > 0xffffffff || st.Rdev > 0xffffffff {
		return unix.EOVERFLOW
	}
	*b = [sizeofStatI386]byte{}
	le.PutUint32(b[0:], uint32(st.Dev))
	le.PutUint32(b[4:], uint32(st.Ino))
	le.PutUint16(b[8:], uint16(st.Mode))
	le.PutUint16(b[10:], uint16(st.Nlink))
	le.PutUint16(b[12:], lowUID16(st.Uid))
	le.PutUint16(b[14:], lowUID16(st.Gid))
	le.PutUint32(b[16:], uint32(st.Rdev))
	le.PutUint32(b[20:], uint32(st.Size))
	le.PutUint32(b[24:], uint32(st.Blksize))
	le.PutUint32(b[28:], uint32(st.Blocks))
	le.PutUint32(b[32:], uint32(st.Atim.Sec))
	le.PutUint32(b[36:], uint32(st.Atim.Nsec))
	le.PutUint32(b[40:], uint32(st.Mtim.Sec))
	le.PutUint32(b[44:], uint32(st.Mtim.Nsec))
	le.PutUint32(b[48:], uint32(st.Ctim.Sec))
	le.PutUint32(b[52:], uint32(st.Ctim.Nsec))
	return 0
}

// encodeStat64I386 writes i386's packed struct stat64 (stat64, lstat64,
// fstat64, fstatat64). Like the kernel's cp_stat64, the 32-bit __st_ino
// and the seconds are truncated; the 64-bit st_ino at the end is exact.
func encodeStat64I386(st *unix.Stat_t, b *[sizeofStat64I386]byte) {
	*b = [sizeofStat64I386]byte{}
	le.PutUint64(b[0:], st.Dev)
	le.PutUint32(b[12:], uint32(st.Ino))
	le.PutUint32(b[16:], st.Mode)
	le.PutUint32(b[20:], uint32(st.Nlink))
	le.PutUint32(b[24:], st.Uid)
	le.PutUint32(b[28:], st.Gid)
	le.PutUint64(b[32:], st.Rdev)
	le.PutUint64(b[44:], uint64(st.Size))
	le.PutUint32(b[52:], uint32(st.Blksize))
	le.PutUint64(b[56:], uint64(st.Blocks))
	le.PutUint32(b[64:], uint32(st.Atim.Sec))
	le.PutUint32(b[68:], uint32(st.Atim.Nsec))
	le.PutUint32(b[72:], uint32(st.Mtim.Sec))
	le.PutUint32(b[76:], uint32(st.Mtim.Nsec))
	le.PutUint32(b[80:], uint32(st.Ctim.Sec))
	le.PutUint32(b[84:], uint32(st.Ctim.Nsec))
	le.PutUint64(b[88:], st.Ino)
}

// encodeTimespec writes a timespec (or timeval: same shape) in the guest's
// layout into b and returns the used prefix: two 32-bit fields for i386
// (seconds truncated, as the kernel's put_old_timespec32 does), two 64-bit
// fields for x86-64.
func encodeTimespec(abi ABI, sec, nsec int64, b *[sizeofTimespec64]byte) []byte {
	if abi == ABIi386 {
		le.PutUint32(b[0:], uint32(sec))
		le.PutUint32(b[4:], uint32(nsec))
		return b[:sizeofTimespec32]
	}
	le.PutUint64(b[0:], uint64(sec))
	le.PutUint64(b[8:], uint64(nsec))
	return b[:sizeofTimespec64]
}

// timespecSize is the size of the guest's old timespec/timeval.
func timespecSize(abi ABI) int {
	if abi == ABIi386 {
		return sizeofTimespec32
	}
	return sizeofTimespec64
}

// decodeTimespec reads a timespec of the guest's layout (32-bit fields,
// sign-extended, for i386).
func decodeTimespec(abi ABI, b []byte) (sec, nsec int64) {
	if abi == ABIi386 {
		return int64(int32(le.Uint32(b[0:]))), int64(int32(le.Uint32(b[4:])))
	}
	return int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:]))
}

// encodeRlimit32 writes i386's struct rlimit, clamping each value to
// lim: 0xffffffff (COMPAT_RLIM_INFINITY) for ugetrlimit, 0x7fffffff for
// the old getrlimit.
func encodeRlimit32(rl *unix.Rlimit, lim uint64, b *[sizeofRlimit32]byte) {
	le.PutUint32(b[0:], uint32(min(rl.Cur, lim)))
	le.PutUint32(b[4:], uint32(min(rl.Max, lim)))
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
func sigactionSize(abi ABI) int {
	if abi == ABIi386 {
		return sizeofSigactI386
	}
	return sizeofSigactAMD64
}

func decodeSigaction(abi ABI, b []byte) sigAction {
	if abi == ABIi386 {
		return sigAction{
			handler:  uint64(le.Uint32(b[0:])),
			flags:    uint64(le.Uint32(b[4:])),
			restorer: uint64(le.Uint32(b[8:])),
			mask:     le.Uint64(b[12:]),
		}
	}
	return sigAction{handler: le.Uint64(b[0:]), flags: le.Uint64(b[8:]), restorer: le.Uint64(b[16:]), mask: le.Uint64(b[24:])}
}

func encodeSigaction(abi ABI, a sigAction, b []byte) {
	if abi == ABIi386 {
		le.PutUint32(b[0:], uint32(a.handler))
		le.PutUint32(b[4:], uint32(a.flags))
		le.PutUint32(b[8:], uint32(a.restorer))
		le.PutUint64(b[12:], a.mask)
		return
	}
	le.PutUint64(b[0:], a.handler)
	le.PutUint64(b[8:], a.flags)
	le.PutUint64(b[16:], a.restorer)
	le.PutUint64(b[24:], a.mask)
}

// altStack is a recorded sigaltstack, ABI-neutral.
type altStack struct {
	sp    uint64
	flags uint32
	size  uint64
}

func stackSize(abi ABI) int {
	if abi == ABIi386 {
		return sizeofStackI386
	}
	return sizeofStackAMD64
}

func decodeStack(abi ABI, b []byte) altStack {
	if abi == ABIi386 {
		return altStack{sp: uint64(le.Uint32(b[0:])), flags: le.Uint32(b[4:]), size: uint64(le.Uint32(b[8:]))}
	}
	return altStack{sp: le.Uint64(b[0:]), flags: le.Uint32(b[8:]), size: le.Uint64(b[16:])}
}

func encodeStack(abi ABI, s altStack, b []byte) {
	if abi == ABIi386 {
		le.PutUint32(b[0:], uint32(s.sp))
		le.PutUint32(b[4:], s.flags)
		le.PutUint32(b[8:], uint32(s.size))
		return
	}
	le.PutUint64(b[0:], s.sp)
	le.PutUint32(b[8:], s.flags)
	le.PutUint32(b[12:], 0)
	le.PutUint64(b[16:], s.size)
}

// decodeFlockI386 reads i386's struct flock (32-bit start and len) or, for
// the *64 commands, its packed struct flock64, into the host's Flock_t.
func decodeFlockI386(b []byte, is64 bool) unix.Flock_t {
	fl := unix.Flock_t{Type: int16(le.Uint16(b[0:])), Whence: int16(le.Uint16(b[2:]))}
	if is64 {
		fl.Start = int64(le.Uint64(b[4:]))
		fl.Len = int64(le.Uint64(b[12:]))
		fl.Pid = int32(le.Uint32(b[20:]))
	} else {
		fl.Start = int64(int32(le.Uint32(b[4:])))
		fl.Len = int64(int32(le.Uint32(b[8:])))
		fl.Pid = int32(le.Uint32(b[12:]))
	}
	return fl
}

// encodeFlockI386 writes a Flock_t back in i386's layout; for the 32-bit
// struct flock, a start or length beyond 2 GiB is EOVERFLOW (as in the
// kernel's put_compat_flock callers).
func encodeFlockI386(fl *unix.Flock_t, b []byte, is64 bool) unix.Errno {
	le.PutUint16(b[0:], uint16(fl.Type))
	le.PutUint16(b[2:], uint16(fl.Whence))
	if is64 {
		le.PutUint64(b[4:], uint64(fl.Start))
		le.PutUint64(b[12:], uint64(fl.Len))
		le.PutUint32(b[20:], uint32(fl.Pid))
		return 0
	}
	if fl.Start != int64(int32(fl.Start)) || fl.Len != int64(int32(fl.Len)) {
		return unix.EOVERFLOW
	}
	le.PutUint32(b[4:], uint32(fl.Start))
	le.PutUint32(b[8:], uint32(fl.Len))
	le.PutUint32(b[12:], uint32(fl.Pid))
	return 0
}

// encodeUtsname writes struct utsname: six NUL-padded 65-byte fields.
func encodeUtsname(u *unix.Utsname, machine string, b *[sizeofUtsname]byte) {
	*b = [sizeofUtsname]byte{}
	copy(b[0:64], u.Sysname[:64])
	copy(b[65:129], u.Nodename[:64])
	copy(b[130:194], u.Release[:64])
	copy(b[195:259], u.Version[:64])
	copy(b[260:324], machine)
	copy(b[325:389], u.Domainname[:64])
}

// decodeRlimit32 reads i386's struct rlimit (compat_rlimit):
// 0xffffffff (COMPAT_RLIM_INFINITY) means RLIM_INFINITY.
func decodeRlimit32(b *[sizeofRlimit32]byte) unix.Rlimit {
	v := func(x uint32) uint64 {
		if x == sysCompatRlimInf32 {
			return unix.RLIM_INFINITY
		}
		return uint64(x)
	}
	return unix.Rlimit{Cur: v(le.Uint32(b[0:])), Max: v(le.Uint32(b[4:]))}
}
