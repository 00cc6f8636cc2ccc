package mm

import (
	"golang.org/x/sys/unix"
)

// Raw memory syscalls on typed addresses. golang.org/x/sys/unix's Mmap
// returns a []byte and cannot place a mapping, so mm issues the syscalls
// itself. None of these touch the memory they manage, so no unsafe is needed.

// sysMmap maps length bytes at addr (a hint unless flags say otherwise).
// With MAP_FIXED_NOREPLACE it also guards against kernels that treat the
// flag as a hint: a mapping that lands elsewhere is undone and EEXIST
// returned.
func sysMmap(addr Addr, length uint64, prot, flags, fd int, off int64) (Addr, error) {
	r, _, e := unix.Syscall6(unix.SYS_MMAP, uintptr(addr), uintptr(length), uintptr(prot),
		uintptr(flags), uintptr(fd), uintptr(off))
	if e != 0 {
		return 0, e
	}
	got := Addr(r)
	if flags&unix.MAP_FIXED_NOREPLACE != 0 && got != addr {
		unix.Syscall(unix.SYS_MUNMAP, r, uintptr(length), 0)
		return 0, unix.EEXIST
	}
	return got, nil
}

// sysMmapAligned maps length bytes (a multiple of PageSize) of private
// anonymous memory with protection prot where the kernel chooses, aligned
// to align (a power of two, at least PageSize): it maps align-PageSize
// bytes more and unmaps the unaligned head and the rest of the tail. If a
// trim fails, the whole mapping is unmapped again and the error returned,
// so no memory is left mapped that the caller does not know of.
func sysMmapAligned(length, align uint64, prot int) (AddrRange, error) {
	return sysMmapAlignedFlags(length, align, prot, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
}

// sysMmapAlignedFlags is sysMmapAligned with the mapping flags given
// (anonymous: MAP_PRIVATE or MAP_SHARED).
func sysMmapAlignedFlags(length, align uint64, prot, flags int) (AddrRange, error) {
	total, ok := Addr(length).AddLength(align - PageSize)
	if !ok {
		return AddrRange{}, unix.ENOMEM
	}
	a, err := sysMmap(0, uint64(total), prot, flags, -1, 0)
	if err != nil {
		return AddrRange{}, err
	}
	whole, _ := NewRange(a, uint64(total)) // the kernel mapped it
	start, _ := a.AlignUp(align)           // inside whole
	r, _ := NewRange(start, length)        // inside whole
	for _, trim := range [2]AddrRange{{Start: whole.Start, End: r.Start}, {Start: r.End, End: whole.End}} {
		if trim.Start == trim.End {
			continue
		}
		if err := sysMunmap(trim); err != nil {
			sysMunmap(whole)
			return AddrRange{}, err
		}
	}
	return r, nil
}

func sysMunmap(r AddrRange) error {
	_, _, e := unix.Syscall(unix.SYS_MUNMAP, uintptr(r.Start), uintptr(r.Length()), 0)
	if e != 0 {
		return e
	}
	return nil
}

func sysMprotect(r AddrRange, prot int) error {
	_, _, e := unix.Syscall(unix.SYS_MPROTECT, uintptr(r.Start), uintptr(r.Length()), uintptr(prot))
	if e != 0 {
		return e
	}
	return nil
}

func sysMadvise(r AddrRange, advice int) error {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(r.Start), uintptr(r.Length()), uintptr(advice))
	if e != 0 {
		return e
	}
	return nil
}

func sysMremap(old AddrRange, newLen uint64, flags int, newAddr Addr) (Addr, error) {
	r, _, e := unix.Syscall6(unix.SYS_MREMAP, uintptr(old.Start), uintptr(old.Length()), uintptr(newLen),
		uintptr(flags), uintptr(newAddr), 0)
	if e != 0 {
		return 0, e
	}
	return Addr(r), nil
}

// sysMremapDup makes a second mapping of the length bytes of the shared
// mapping at old (mremap with old_size 0), at newAddr with MREMAP_FIXED,
// else where the kernel chooses.
func sysMremapDup(old Addr, length uint64, flags int, newAddr Addr) (Addr, error) {
	r, _, e := unix.Syscall6(unix.SYS_MREMAP, uintptr(old), 0, uintptr(length), uintptr(flags), uintptr(newAddr), 0)
	if e != 0 {
		return 0, e
	}
	return Addr(r), nil
}
