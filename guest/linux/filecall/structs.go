package filecall

// The host's struct stat as each guest layout holds it, with the compat
// layer's overflow rules (EOVERFLOW where Linux's compat code says so,
// truncation where it truncates). The layouts are generated from
// ../linux_structs.txt (structs_gen.go).

//go:generate go run ../internal/structgen -in ../linux_structs.txt -out structs_gen.go -layout structs_layout_gen_test.go -pkg filecall -abi cpu. -abi-import github.com/minemu/minemu/guest/cpu

import "golang.org/x/sys/unix"

// statFields is the host's stat as the guest structures' fields hold it.
func statFields(st *unix.Stat_t) cStat {
	return cStat{
		Dev: st.Dev, Ino: st.Ino, Nlink: st.Nlink, Mode: st.Mode, Uid: st.Uid, Gid: st.Gid, Rdev: st.Rdev,
		Size: uint64(st.Size), Blksize: uint64(st.Blksize), Blocks: uint64(st.Blocks),
		Atime: uint64(st.Atim.Sec), AtimeNsec: uint64(st.Atim.Nsec),
		Mtime: uint64(st.Mtim.Sec), MtimeNsec: uint64(st.Mtim.Nsec),
		Ctime: uint64(st.Ctim.Sec), CtimeNsec: uint64(st.Ctim.Nsec),
	}
}

// encodeStatAMD64 writes x86-64's struct stat (the host's own layout).
func encodeStatAMD64(st *unix.Stat_t, b *[sizeofStatAMD64]byte) {
	v := statFields(st)
	v.encodeAMD64(b[:])
}

// encodeStatI386 writes i386's old struct stat (stat, lstat, fstat), with
// the compat layer's EOVERFLOW for an inode, link count, size or device
// number that does not fit.
func encodeStatI386(st *unix.Stat_t, b *[sizeofStatI386]byte) unix.Errno {
	if st.Ino > 0xffffffff || st.Nlink > 0xffff || st.Size < 0 || st.Size > maxNonLFS ||
		st.Dev > 0xffffffff || st.Rdev > 0xffffffff {
		return unix.EOVERFLOW
	}
	v := statFields(st)
	v.Uid, v.Gid = uint32(lowUID16(st.Uid)), uint32(lowUID16(st.Gid))
	v.encodeI386(b[:])
	return 0
}

// encodeStat64I386 writes i386's packed struct stat64 (stat64, lstat64,
// fstat64, fstatat64). Like the kernel's cp_stat64, the 32-bit __st_ino
// and the seconds are truncated; the 64-bit st_ino at the end is exact.
func encodeStat64I386(st *unix.Stat_t, b *[sizeofStat64I386]byte) {
	v := cStat64{
		Dev: st.Dev, Ino32: uint32(st.Ino), Mode: st.Mode, Nlink: uint32(st.Nlink), Uid: st.Uid, Gid: st.Gid,
		Rdev: st.Rdev, Size: st.Size, Blksize: uint32(st.Blksize), Blocks: uint64(st.Blocks),
		Atime: uint32(st.Atim.Sec), AtimeNsec: uint32(st.Atim.Nsec),
		Mtime: uint32(st.Mtim.Sec), MtimeNsec: uint32(st.Mtim.Nsec),
		Ctime: uint32(st.Ctim.Sec), CtimeNsec: uint32(st.Ctim.Nsec),
		Ino: st.Ino,
	}
	v.encodeI386(b[:])
}

// decodeFlockI386 reads i386's struct flock (32-bit start and len) or, for
// the *64 commands, its packed struct flock64, into the host's Flock_t.
func decodeFlockI386(b []byte, is64 bool) unix.Flock_t {
	if is64 {
		var v cFlock64
		v.decodeI386(b)
		return unix.Flock_t{Type: v.Type, Whence: v.Whence, Start: v.Start, Len: v.Len, Pid: v.Pid}
	}
	var v cFlock
	v.decodeI386(b)
	return unix.Flock_t{Type: v.Type, Whence: v.Whence, Start: v.Start, Len: v.Len, Pid: v.Pid}
}

// encodeFlockI386 writes a Flock_t back in i386's layout; for the 32-bit
// struct flock, a start or length beyond 2 GiB is EOVERFLOW (as in the
// kernel's put_compat_flock callers).
func encodeFlockI386(fl *unix.Flock_t, b []byte, is64 bool) unix.Errno {
	if is64 {
		v := cFlock64{Type: fl.Type, Whence: fl.Whence, Start: fl.Start, Len: fl.Len, Pid: fl.Pid}
		v.encodeI386(b)
		return 0
	}
	if fl.Start != int64(int32(fl.Start)) || fl.Len != int64(int32(fl.Len)) {
		return unix.EOVERFLOW
	}
	v := cFlock{Type: fl.Type, Whence: fl.Whence, Start: fl.Start, Len: fl.Len, Pid: fl.Pid}
	v.encodeI386(b)
	return 0
}

// lowUID16 is a uid or gid as a 16-bit field shows it (high2lowuid).
func lowUID16(id uint32) uint16 {
	if id > 0xffff {
		return overflowUID
	}
	return uint16(id)
}

// overflowUID is overflowuid: what a 16-bit id field shows for a larger id.
const overflowUID = 65534
