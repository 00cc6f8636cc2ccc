// Package ldt is a process's local descriptor table as Linux keeps it for
// modify_ldt (arch/x86/kernel/ldt.c).
//
// The LDT belongs to the process (the kernel's mm), so every thread sees
// one table; Table is safe for concurrent use. It holds descriptors in the
// CPU's 8-byte format, as read_ldt hands them back, and grows to the
// highest entry written (the kernel's nr_entries). Write is write_ldt's
// checks and fill_ldt's encoding; Base is what a segment register load of
// an LDT selector (TI set) finds: a present entry, for a code segment a
// readable one. Changing an entry reloads no segment register, as the
// kernel's refresh_ldt_segments reloads only DS and ES, whose bases a flat
// guest does not use.
package ldt

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"
)

// Entries is the size of an LDT (LDT_ENTRIES); each entry is EntrySize
// bytes.
const (
	Entries   = 8192
	EntrySize = 8
)

// The bits of struct user_desc's flag word.
const (
	Seg32         = 1 << 0
	ContentsShift = 1 // two bits: 0 data, 1 expand-down data, 2 code, 3 conforming code
	ReadExecOnly  = 1 << 3
	LimitInPages  = 1 << 4
	NotPresent    = 1 << 5
	Useable       = 1 << 6
)

// Table is one process's LDT.
type Table struct {
	mu sync.Mutex
	// entries are the descriptors, nil until the first write. Guarded by
	// mu.
	entries []uint64
}

// Base returns the base of the present, loadable descriptor sel selects.
func (l *Table) Base(sel uint16) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := int(sel >> 3)
	if i >= len(l.entries) {
		return 0, false
	}
	d := l.entries[i]
	present, code, readable := d>>47&1 != 0, d>>43&1 != 0, d>>41&1 != 0
	if !present || code && !readable {
		return 0, false
	}
	return d>>16&0xffffff | d>>56<<24, true
}

// Descriptor is fill_ldt: the descriptor a user_desc describes, DPL 3,
// accessed, with the AVL bit from Useable unless oldmode. user_desc's lm
// bit is ignored, as the host kernel ignores it (L stays clear).
func Descriptor(base, limit, flags uint32, oldmode bool) uint64 {
	d := uint64(limit&0xffff) | uint64(base&0xffffff)<<16 | uint64(base>>24)<<56 | uint64(limit>>16&0xf)<<48
	typ := uint64(flags>>3&1^1)<<1 | uint64(flags>>ContentsShift&3)<<2 | 1
	d |= typ<<40 | 1<<44 | 3<<45
	bit := func(f uint32, at uint) {
		if flags&f != 0 {
			d |= 1 << at
		}
	}
	if flags&NotPresent == 0 {
		d |= 1 << 47
	}
	if !oldmode {
		bit(Useable, 52)
	}
	bit(Seg32, 54)
	bit(LimitInPages, 55)
	return d
}

// Write installs or clears entry as write_ldt does: an errno for an entry
// past the table or a conforming code segment that is present (or, in
// oldmode, any); oldmode clears the entry for base and limit 0, and both
// modes for LDT_empty's descriptor.
func (l *Table) Write(entry, base, limit, flags uint32, oldmode bool) unix.Errno {
	if entry >= Entries {
		return unix.EINVAL
	}
	if flags>>ContentsShift&3 == 3 && (oldmode || flags&NotPresent == 0) {
		return unix.EINVAL
	}
	var d uint64
	if !(oldmode && base == 0 && limit == 0) && !(base == 0 && limit == 0 && flags&0x7f == ReadExecOnly|NotPresent) {
		d = Descriptor(base, limit, flags, oldmode)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := int(entry) + 1; n > len(l.entries) {
		l.entries = append(l.entries, make([]uint64, n-len(l.entries))...)
	}
	l.entries[entry] = d
	return 0
}

// Read is read_ldt: the table's bytes zero-filled to count (at most the
// whole table), or nil when nothing was ever written.
func (l *Table) Read(count uint64) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries == nil {
		return nil
	}
	b := make([]byte, max(uint64(len(l.entries)*EntrySize), min(count, Entries*EntrySize)))
	for i, d := range l.entries {
		binary.LittleEndian.PutUint64(b[i*EntrySize:], d)
	}
	return b[:min(count, Entries*EntrySize)]
}
