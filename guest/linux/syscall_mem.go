package linux

// Memory system calls: all go through mm.GuestSpace, which places guest
// mappings according to minemu's address layout.

import (
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// mmap is the common part of mmap, old_mmap and mmap2.
func (k *Process) mmap(addr, length uint64, prot, flags, fd int, off int64) int64 {
	if flags&unix.MAP_ANONYMOUS == 0 {
		if _, e := k.fd(fd); e != 0 {
			return -int64(e)
		}
	}
	a, err := k.space.Mmap(mm.Addr(addr), length, prot, flags, fd, off)
	if err != nil {
		return errno(err)
	}
	return int64(a)
}

// sysMmap is x86-64's mmap(addr, length, prot, flags, fd, offset).
func sysMmap(k *Process, s *sysCall) int64 {
	return k.mmap(s.a[0], s.a[1], s.int32Arg(2), s.int32Arg(3), s.int32Arg(4), int64(s.a[5]))
}

// sysOldMmap is i386's mmap: EBX points to six 32-bit words (addr,
// length, prot, flags, fd, offset); the offset must be page-aligned.
func sysOldMmap(k *Process, s *sysCall) int64 {
	var b [sizeofMmapArgsI386]byte
	if e := k.copyIn(s.a[0], b[:]); e != 0 {
		return -int64(e)
	}
	var a cMmapArgs
	a.decodeI386(b[:])
	if a.Offset&mm.PageMask != 0 {
		return -int64(unix.EINVAL)
	}
	return k.mmap(uint64(a.Addr), uint64(a.Len), int(int32(a.Prot)), int(int32(a.Flags)), int(int32(a.Fd)), int64(a.Offset))
}

// sysMmap2 is i386's mmap2: the offset is in 4 KiB units.
func sysMmap2(k *Process, s *sysCall) int64 {
	return k.mmap(s.a[0], s.a[1], s.int32Arg(2), s.int32Arg(3), s.int32Arg(4), int64(s.a[5])<<mm.PageShift)
}

func sysMunmap(k *Process, s *sysCall) int64 {
	if err := k.space.Munmap(mm.Addr(s.a[0]), s.a[1]); err != nil {
		return errno(err)
	}
	return 0
}

func sysMprotect(k *Process, s *sysCall) int64 {
	if err := k.space.Mprotect(mm.Addr(s.a[0]), s.a[1], s.int32Arg(2)); err != nil {
		return errno(err)
	}
	return 0
}

func sysMremap(k *Process, s *sysCall) int64 {
	a, err := k.space.Mremap(mm.Addr(s.a[0]), s.a[1], s.a[2], s.int32Arg(3), mm.Addr(s.a[4]))
	if err != nil {
		return errno(err)
	}
	return int64(a)
}

func sysMadvise(k *Process, s *sysCall) int64 {
	if err := k.space.Madvise(mm.Addr(s.a[0]), s.a[1], s.int32Arg(2)); err != nil {
		return errno(err)
	}
	return 0
}

// sysBrk returns the new break, or the current one when the request
// cannot be met (the kernel's brk never fails with an errno).
func sysBrk(k *Process, s *sysCall) int64 {
	return int64(k.space.Brk(mm.Addr(s.a[0])))
}
