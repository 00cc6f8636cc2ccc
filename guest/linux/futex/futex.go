// Package futex holds what minemu's Linux layer does with futex words
// itself rather than through the host kernel: the robust-futex cleanup of
// a dying guest thread.
//
// A guest's futex operations go to the host kernel: the guest's futex
// word is host memory (identity mapping), so waits, wakes, requeues and the
// PI operations work on it directly, between the guest's threads and with
// other processes. The robust list is the exception. A thread registers
// the head of a list of the robust mutexes it holds (set_robust_list); when
// it dies, the kernel walks the list and marks every mutex the thread
// still owns FUTEX_OWNER_DIED, waking one waiter, so that the next locker
// gets EOWNERDEAD instead of waiting forever. minemu cannot let the host
// kernel do it: the list is a chain of guest-written pointers, which the
// kernel would follow anywhere in minemu's process (and, for an i386
// guest, with the wrong layout), writing where the guest points. So the
// Linux layer walks it, as kernel/futex/core.c's exit_robust_list and
// handle_futex_death do, through a Memory that checks every access
// against the guest's memory: a pointer that is not guest memory ends the
// walk as a fault ends the kernel's; the walk is bounded by ListLimit
// entries, so a cycle ends too.
package futex

// Futex word bits (linux/futex.h).
const (
	Waiters   = 0x80000000
	OwnerDied = 0x40000000
	TIDMask   = 0x3fffffff
)

// ListLimit bounds the entries of one robust list walk (ROBUST_LIST_LIMIT).
const ListLimit = 2048

// Memory is the guest memory the walk reads and updates. Every method
// checks its address: ok is false when the access would not be to guest
// memory with the needed protection, or faulted.
type Memory interface {
	// LoadWord reads a pointer-sized word (the guest ABI's width).
	LoadWord(a uint64) (v uint64, ok bool)
	// Load32 reads the 32-bit word at a.
	Load32(a uint64) (v uint32, ok bool)
	// CAS32 atomically replaces old with nv at a if a holds old, and
	// returns what a held.
	CAS32(a uint64, old, nv uint32) (cur uint32, ok bool)
	// Wake wakes one waiter of the shared futex at a (what the kernel's
	// futex_wake with FLAGS_SHARED does).
	Wake(a uint64)
}

// Head is a robust list head as the guest laid it out (struct
// robust_list_head): the list's first entry with the PI bit, the offset
// from an entry to its futex word, and the entry being locked or unlocked
// (list_op_pending).
type Head struct {
	Next        uint64
	FutexOffset int64
	Pending     uint64
}

// Walk is one robust list walk of a dying thread.
type Walk struct {
	Mem Memory
	// Addr is the address of the head (the list's end marker: the list is
	// circular through the head).
	Addr uint64
	// PtrMask masks addresses to the guest's pointer width (0xffffffff for
	// i386: the compat walk computes entry + futex_offset in 32 bits).
	PtrMask uint64
	// TID is the dying thread's id, as the guest's futex words name it.
	TID uint32
}

// Exit walks the list whose head h was read at w.Addr, as the kernel's
// exit_robust_list: each entry's futex word still owned by w.TID gets
// OwnerDied (and keeps Waiters), and one waiter is woken for a non-PI
// futex with waiters; the pending entry is handled last, and an unowned
// pending non-PI futex gets a wakeup too (the owner may have died between
// its unlock and the wakeup). It returns the number of entries visited.
func (w *Walk) Exit(h Head) int {
	entry, pi := h.Next&^1&w.PtrMask, h.Next&1 != 0
	pending, pip := h.Pending&^1&w.PtrMask, h.Pending&1 != 0
	n := 0
	for limit := ListLimit; entry != w.Addr&w.PtrMask; {
		next, ok := w.Mem.LoadWord(entry)
		if entry != pending {
			if !w.death(entry, h.FutexOffset, pi, false) {
				return n
			}
		}
		n++
		if !ok {
			return n
		}
		entry, pi = next&^1&w.PtrMask, next&1 != 0
		limit--
		if limit == 0 {
			break
		}
	}
	if pending != 0 {
		w.death(pending, h.FutexOffset, pip, true)
	}
	return n
}

// death is handle_futex_death for the futex word of the entry at entry;
// false means the walk must stop (a misaligned or inaccessible word).
func (w *Walk) death(entry uint64, off int64, pi, pendingOp bool) bool {
	a := (entry + uint64(off)) & w.PtrMask
	if a%4 != 0 {
		return false
	}
	for {
		v, ok := w.Mem.Load32(a)
		if !ok {
			return false
		}
		if pendingOp && !pi && v == 0 {
			w.Mem.Wake(a)
			return true
		}
		if v&TIDMask != w.TID {
			return true
		}
		nv := v&Waiters | OwnerDied
		cur, ok := w.Mem.CAS32(a, v, nv)
		if !ok {
			return false
		}
		if cur != v {
			continue // changed under us: look again
		}
		if !pi && v&Waiters != 0 {
			w.Mem.Wake(a)
		}
		return true
	}
}
