package linux

// Guest buffers that are only partly the guest's.
//
// read(fd, buf, 8192) where only buf's first page is mapped is not an error
// for the kernel: it copies what fits and returns the short count, and
// answers EFAULT only when nothing could be copied. How much "fits"
// depends on the file: a regular file copies byte-exactly up to the fault,
// a pipe copies a pipe buffer whole or not at all (so 100 bytes before the
// hole is EFAULT, and nothing is consumed), getdents64 a record whole,
// getcwd and readlink the whole name or nothing. Only the kernel knows, so
// minemu lets the kernel find the fault itself, in the same place.
//
// kernelBuf prepares such a buffer. The leading run of guest-visible pages
// is passed as it is (the kernel checks their protection, which is the
// guest's own). The first page after it that is not the guest's (unmapped
// for the guest, which in Mode32 includes everything from the window's end
// up) must fault for the kernel but must never be memory of minemu's: it
// gets a PROT_NONE guard mapping, made with MAP_FIXED_NOREPLACE for the
// duration of the call (so it cannot replace anything), and the length
// passed to the kernel ends with the guard. The kernel then copies up to
// the guard and stops there, as it stops at the guest's unmapped page
// natively, and it can never reach past the guard: the length stops it.
// The passed length also reaches at least min(n, one page) past the
// buffer's start (a second guard page if needed), so that checks the
// kernel makes on the length before copying (getcwd's ERANGE, a directory
// record that must fit, readlink's bufsiz) see a length as large as
// anything they could need and give the answer they give natively.
//
// When the page cannot be guarded because something is mapped there (a
// foreign mapping or, in Mode64, minemu's own memory right after a guest
// mapping), the length is cut to the guest-visible prefix instead, and a
// call whose prefix is empty is EFAULT: the kernel's answer for the common
// files, and the only one that keeps the kernel out of minemu's memory.
//
// In Mode32 the window ends at TASK_SIZE (0xffffe000), so a guard lies at
// most at [0xffffe000, 4 GiB), and nothing the kernel is given reaches 4
// GiB, where minemu's own memory begins.

import (
	"runtime/debug"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// userBuf is a guest buffer made ready for a host call by kernelBuf.
type userBuf struct {
	// n is the length to pass: the guest's, or less when the buffer runs
	// into memory that is not the guest's (it then ends with the guards,
	// or with the guest-visible prefix when none could be mapped).
	n uint64
	// partial is set when the buffer runs into memory that is not the
	// guest's: the kernel will fault at its end (or, cut to the prefix,
	// would have faulted right after it).
	partial bool
	// guards are the PROT_NONE pages kernelBuf mapped (0 = none), at most
	// two; release unmaps them.
	guards [2]uint64
}

// kernelBuf checks the guest buffer [addr, addr+n) that a host call will
// read or write directly and returns the length to pass. EFAULT when the
// range wraps or, in Mode64, runs past the user address space (the
// kernel's access_ok), when in Mode32 it starts at or above 4 GiB (which
// only an x86-64-ABI call can name), or when nothing of it is the guest's
// and no guard can stand in for it. The caller must call release after
// the host call.
func (k *Process) kernelBuf(addr, n uint64) (userBuf, unix.Errno) {
	ub := userBuf{n: n}
	if n == 0 {
		return ub, 0 // the kernel touches nothing
	}
	end := addr + n
	if end < addr || (k.mode == mm.Mode64 && end > uint64(mm.UserLimit)) ||
		(k.mode == mm.Mode32 && addr >= uint64(mm.Limit32)) {
		return ub, unix.EFAULT
	}
	r := mm.AddrRange{Start: mm.Addr(addr), End: mm.Addr(end)}
	q := uint64(k.space.MappedPrefix(r, unix.PROT_NONE))
	if q >= end {
		return ub, 0
	}
	// Pages from p to gend must fault for the kernel: guard the ones that
	// are not the guest's.
	ub.partial = true
	p := q &^ mm.PageMask
	gend := p + mm.PageSize
	if need := addr + min(n, mm.PageSize); need > gend {
		gend += mm.PageSize
	}
	if k.mode == mm.Mode32 {
		gend = min(gend, uint64(mm.Limit32))
	}
	ub.n = min(n, gend-addr)
	for i, pg := 0, p; pg < gend; i, pg = i+1, pg+mm.PageSize {
		if i > 0 && k.space.IsMapped(mm.AddrRange{Start: mm.Addr(pg), End: mm.Addr(pg + mm.PageSize)}, unix.PROT_NONE) {
			continue // guest memory: the kernel may touch it
		}
		if err := mapGuard(pg); err != nil {
			if err == unix.EPERM {
				continue // below mmap_min_addr: nothing can ever be mapped there
			}
			// Occupied by what is not the guest's: stop at the prefix.
			k.release(&ub)
			if ub.n = q - addr; q <= addr {
				return ub, unix.EFAULT
			}
			return ub, 0
		}
		ub.guards[i] = pg
	}
	return ub, 0
}

// release unmaps the guards of ub.
func (k *Process) release(ub *userBuf) {
	for i, g := range ub.guards {
		if g != 0 {
			if err := unmapGuard(g); err != nil {
				k.log.Error().Err(err).Uint64("addr", g).Msg("unmapping a guard page")
			}
			ub.guards[i] = 0
		}
	}
}

// mapGuard maps a PROT_NONE page at exactly a, failing rather than
// replacing anything there (MAP_FIXED_NOREPLACE; EEXIST when occupied,
// EPERM below mmap_min_addr). The address stays an integer: nothing of Go's
// ever points at a guard.
func mapGuard(a uint64) error {
	r, _, e := unix.Syscall6(unix.SYS_MMAP, uintptr(a), mm.PageSize, unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uintptr(0), 0)
	if e != 0 {
		return e
	}
	if uint64(r) != a {
		// A kernel older than MAP_FIXED_NOREPLACE treats it as a hint.
		unix.Syscall(unix.SYS_MUNMAP, r, mm.PageSize, 0)
		return unix.EEXIST
	}
	return nil
}

// unmapGuard unmaps a guard page mapGuard mapped.
func unmapGuard(a uint64) error {
	if _, _, e := unix.Syscall(unix.SYS_MUNMAP, uintptr(a), mm.PageSize, 0); e != 0 {
		return e
	}
	return nil
}

// faultSafe runs f, which reads or writes guest memory that checkUser has
// validated, and reports whether it completed. The pages are the guest's,
// with the right protection, and yet touching them can fault: a file
// mapping past the end of its file (SIGBUS). The kernel's copy_to_user
// and copy_from_user answer EFAULT there, and so must minemu's copies,
// rather than end the guest. f must not hold a lock or leave state half
// changed when it faults. Any other panic goes on.
func faultSafe(f func()) (ok bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}
