package memcall

// The mapping calls: all go through mm.GuestSpace, which places guest
// mappings according to minemu's address layout.

import (
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
	"github.com/minemu/minemu/mm"
)

// mmap is the common part of mmap, old_mmap and mmap2.
func mmap(t Task, addr, length uint64, prot, flags, fd int, off int64) int64 {
	if flags&unix.MAP_ANONYMOUS == 0 {
		if _, e := t.FD(fd); e != 0 {
			return -int64(e)
		}
	}
	a, err := t.Space().Mmap(mm.Addr(addr), length, prot, flags, fd, off)
	if err != nil {
		return errno(err)
	}
	return int64(a)
}

// Mmap is x86-64's mmap(addr, length, prot, flags, fd, offset).
func Mmap(t Task, c *hostcall.Call) int64 {
	return mmap(t, c.A[0], c.A[1], c.Int32(2), c.Int32(3), c.Int32(4), int64(c.A[5]))
}

// OldMmap is i386's mmap: EBX points to six 32-bit words (addr,
// length, prot, flags, fd, offset); the offset must be page-aligned.
func OldMmap(t Task, c *hostcall.Call) int64 {
	b := (*[sizeofMmapArgsI386]byte)(t.Scratch(sizeofMmapArgsI386))
	if e := t.CopyIn(c.A[0], b[:]); e != 0 {
		return -int64(e)
	}
	var a cMmapArgs
	a.decodeI386(b[:])
	if a.Offset&mm.PageMask != 0 {
		return -int64(unix.EINVAL)
	}
	return mmap(t, uint64(a.Addr), uint64(a.Len), int(int32(a.Prot)), int(int32(a.Flags)), int(int32(a.Fd)), int64(a.Offset))
}

// Mmap2 is i386's mmap2: the offset is in 4 KiB units.
func Mmap2(t Task, c *hostcall.Call) int64 {
	return mmap(t, c.A[0], c.A[1], c.Int32(2), c.Int32(3), c.Int32(4), int64(c.A[5])<<mm.PageShift)
}

func Munmap(t Task, c *hostcall.Call) int64 {
	if err := t.Space().Munmap(mm.Addr(c.A[0]), c.A[1]); err != nil {
		return errno(err)
	}
	return 0
}

func Mprotect(t Task, c *hostcall.Call) int64 {
	if err := t.Space().Mprotect(mm.Addr(c.A[0]), c.A[1], c.Int32(2)); err != nil {
		return errno(err)
	}
	return 0
}

func Mremap(t Task, c *hostcall.Call) int64 {
	a, err := t.Space().Mremap(mm.Addr(c.A[0]), c.A[1], c.A[2], c.Int32(3), mm.Addr(c.A[4]))
	if err != nil {
		return errno(err)
	}
	return int64(a)
}

func Madvise(t Task, c *hostcall.Call) int64 {
	if err := t.Space().Madvise(mm.Addr(c.A[0]), c.A[1], c.Int32(2)); err != nil {
		return errno(err)
	}
	return 0
}

// Brk returns the new break, or the current one when the request
// cannot be met (the kernel's brk never fails with an errno).
func Brk(t Task, c *hostcall.Call) int64 {
	return int64(t.Space().Brk(mm.Addr(c.A[0])))
}
