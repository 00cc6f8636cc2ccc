package engine

import "golang.org/x/sys/unix"

// The tests' own memory: raw mmap system calls, which need no unsafe.

// mapAnon maps n bytes of anonymous read-write memory; low asks for an
// address below 2 GiB (MAP_32BIT), reachable by a 32-bit guest.
func mapAnon(n uint64, low bool) (uint64, error) {
	return mapAnonProt(n, low, unix.PROT_READ|unix.PROT_WRITE)
}

// mapAnonAt maps n bytes of anonymous memory at exactly a, failing rather
// than replacing anything there (MAP_FIXED_NOREPLACE).
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

func load64(a uint64) uint64 { return loadN(a, 8) }

// sizeMask[n] masks a value to n bytes.
var sizeMask = [256]uint64{1: 0xff, 2: 0xffff, 4: 0xffffffff, 8: ^uint64(0)}

// sext sign-extends the low size bytes of v.
func sext(v uint64, size uint8) int64 {
	sh := 64 - 8*uint(size)
	return int64(v<<sh) >> sh
}

func load16(a uint64) uint64 { return loadN(a, 2) }

func store32(a, v uint64) { storeN(a, 4, v) }
