package mm

// The guest's resource limits on its address space.
//
// The guest's RLIMIT_AS and RLIMIT_DATA are not the process's: minemu's
// own memory (its regions, the Go heap) shares the process with the
// guest's and must not count against them. GuestSpace enforces them on
// the guest's own mappings as the kernel's may_expand_vm does: a mapping
// that would make the guest's mapped total exceed AS, or its data (private
// writable mappings that are not stacks) exceed DATA, is ENOMEM, and brk
// also applies check_data_rlimit. GuestSpace knows no resource numbers:
// the Linux personality passes the values (SetLimits).

import (
	"golang.org/x/sys/unix"
)

// Unlimited is RLIM_INFINITY: no limit.
const Unlimited = ^uint64(0)

// GuestLimits are the guest's limits that GuestSpace enforces, in bytes
// (Unlimited for none).
type GuestLimits struct {
	// AS is RLIMIT_AS's soft value: the most bytes the guest may have
	// mapped.
	AS uint64
	// Data is RLIMIT_DATA's soft value: the most bytes of private
	// writable non-stack mappings, and the most the break may exceed
	// its start by together with the image's data segment.
	Data uint64
	// DataMax is RLIMIT_DATA's hard value: like the kernel, a Data of 0
	// lets mappings through up to DataMax (a workaround Linux keeps for
	// Valgrind).
	DataMax uint64
}

// guestLimits is GuestSpace's limit state; the zero value enforces
// nothing. Guarded by GuestSpace.mu.
type guestLimits struct {
	// set is true once SetLimits was called; until then nothing is
	// enforced.
	set bool
	GuestLimits
	// data is the image's data segment [start_data, end_data) as the
	// kernel's load_elf_binary computes it (SetDataSegment).
	data AddrRange
	// lockFuture is set by LockAll with future: every new guest mapping
	// is mapped MAP_LOCKED, as the kernel's mm->def_flags VM_LOCKED does.
	lockFuture bool
}

// SetLimits sets the limits enforced on later mappings; mappings that
// already exceed them stay.
func (g *GuestSpace) SetLimits(l GuestLimits) {
	g.mu.Lock()
	g.lim.set = true
	g.lim.GuestLimits = l
	g.mu.Unlock()
}

// SetDataSegment records the image's data segment for brk's limit check:
// start is the highest p_vaddr of the PT_LOAD segments and end the highest
// p_vaddr+p_filesz, as Linux's mm->start_data and mm->end_data.
func (g *GuestSpace) SetDataSegment(r AddrRange) {
	g.mu.Lock()
	g.lim.data = r
	g.mu.Unlock()
}

// GuestPages returns how many pages of guest mappings GuestSpace holds
// (what Linux counts as the process's total_vm; host-heap blocks are not
// the guest's).
func (g *GuestSpace) GuestPages() uint64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.vmas.pages[vmaGuest]
}

// isData reports whether a mapping with prot and flags is data in the
// kernel's sense (is_data_mapping: writable, private, not a stack).
func isData(prot, flags int) bool {
	return prot&unix.PROT_WRITE != 0 && flags&unix.MAP_SHARED == 0 && flags&unix.MAP_GROWSDOWN == 0
}

// dataPagesLocked counts the guest's data pages (Linux's data_vm).
func (g *GuestSpace) dataPagesLocked() uint64 {
	var n uint64
	for _, v := range g.vmas.v {
		if v.kind == vmaGuest && isData(v.prot, v.flags) {
			n += v.r.Pages()
		}
	}
	return n
}

// guestPagesInLocked counts the guest pages inside r.
func (g *GuestSpace) guestPagesInLocked(r AddrRange) uint64 {
	var n uint64
	i, j := g.vmas.span(r)
	for k := i; k < j; k++ {
		if v := g.vmas.v[k]; v.kind == vmaGuest {
			n += v.r.Intersect(r).Pages()
		}
	}
	return n
}

// mayExpandLocked is the kernel's may_expand_vm: whether the guest may map
// npages more pages, data ones when data is set.
func (g *GuestSpace) mayExpandLocked(data bool, npages uint64) bool {
	if !g.lim.set || npages == 0 {
		return true
	}
	if g.lim.AS != Unlimited && g.vmas.pages[vmaGuest]+npages > g.lim.AS>>PageShift {
		return false
	}
	if data && g.lim.Data != Unlimited {
		d := g.dataPagesLocked() + npages
		if d > g.lim.Data>>PageShift && !(g.lim.Data == 0 && d <= g.lim.DataMax>>PageShift) {
			return false
		}
	}
	return true
}

// mayProtectLocked is mprotect's data check for part p of vma v becoming
// prot, when grown pages of the same call already turned into data: a
// private mapping that becomes writable adds to the data pages.
func (g *GuestSpace) mayProtectLocked(v vma, prot int, p AddrRange, grown uint64) bool {
	if !g.lim.set || g.lim.Data == Unlimited || isData(v.prot, v.flags) || !isData(prot, v.flags) {
		return true
	}
	d := g.dataPagesLocked() + grown + p.Pages()
	return d <= g.lim.Data>>PageShift || g.lim.Data == 0 && d <= g.lim.DataMax>>PageShift
}

// brkAllowedLocked is the kernel's check_data_rlimit for a break request:
// the break's distance from its start plus the image's data segment may
// not exceed the data limit (checked for every request, shrinking ones
// too, as Linux does).
func (g *GuestSpace) brkAllowedLocked(req Addr) bool {
	if !g.lim.set || g.lim.Data == Unlimited {
		return true
	}
	return uint64(req-g.brkBase)+g.lim.data.Length() <= g.lim.Data
}

// lockFlagLocked is MAP_LOCKED while future mappings are to be locked.
func (g *GuestSpace) lockFlagLocked() int {
	if g.lim.lockFuture {
		return unix.MAP_LOCKED
	}
	return 0
}

// LockAll implements the part of mlockall(2) that is GuestSpace's: with
// current, every guest mapping is locked (mlock2, MLOCK_ONFAULT with
// onFault); with future, every later guest mapping is mapped MAP_LOCKED.
// Without future, later mappings are no longer locked. The caller checks
// RLIMIT_MEMLOCK. Like the kernel's apply_mlockall_flags, it ignores what
// locking one mapping reports (a PROT_NONE mapping is locked but cannot be
// populated, which mlock2 reports as ENOMEM).
func (g *GuestSpace) LockAll(current, future, onFault bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errClosed
	}
	g.lim.lockFuture = future
	if !current {
		return nil
	}
	flags := 0
	if onFault {
		flags = unix.MLOCK_ONFAULT
	}
	for _, v := range g.vmas.v {
		if v.kind != vmaGuest {
			continue
		}
		unix.Syscall(unix.SYS_MLOCK2, uintptr(v.r.Start), uintptr(v.r.Length()), uintptr(flags))
	}
	return nil
}

// UnlockAll implements munlockall(2) for the guest: every guest mapping is
// unlocked and later ones are no longer locked (errors ignored, as the
// kernel's are).
func (g *GuestSpace) UnlockAll() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errClosed
	}
	g.lim.lockFuture = false
	for _, v := range g.vmas.v {
		if v.kind != vmaGuest {
			continue
		}
		unix.Syscall(unix.SYS_MUNLOCK, uintptr(v.r.Start), uintptr(v.r.Length()), 0)
	}
	return nil
}
