package loader

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/minemu/minemu/mm"
)

// ELF constants the loader needs. They are spelled out here rather than
// taken from debug/elf so that the whole header parse is this file's own
// bounds-checked code (see the package comment).
const (
	elfClass32  = 1
	elfClass64  = 2
	elfData2LSB = 1
	evCurrent   = 1

	// ET_EXEC and ET_DYN are the two object types minemu runs.
	ETExec = 2
	ETDyn  = 3

	// EM_386 and EM_X86_64 are the two machines minemu runs.
	EM386   = 3
	EMX8664 = 62

	// Program header types.
	PTNull    = 0
	PTLoad    = 1
	PTDynamic = 2
	PTInterp  = 3
	PTNote    = 4
	PTPhdr    = 6
	PTTLS     = 7

	// Segment permission flags.
	PFX = 1
	PFW = 2
	PFR = 4

	ehdr32Size = 52
	ehdr64Size = 64
	phdr32Size = 32
	phdr64Size = 56

	// maxPhdrTable bounds the program header table like the kernel's
	// load_elf_phdrs (at most 64 KiB).
	maxPhdrTable = 64 << 10
	// maxInterpLen bounds a PT_INTERP string (the kernel uses PATH_MAX).
	maxInterpLen = 4096
)

// File is the validated header view of an ELF executable: everything
// `minemu info` shows and everything Load needs to map it. A *File is only
// ever returned by Parse after every check in the package comment passed.
type File struct {
	// Path names the file in every error and in `info` output.
	Path string
	// Size is the file's length in bytes.
	Size int64
	// Mode is Mode32 for ELFCLASS32/EM_386, Mode64 for ELFCLASS64/EM_X86_64.
	Mode mm.Mode
	// Machine is e_machine (EM386 or EMX8664).
	Machine uint16
	// Type is e_type (ETExec or ETDyn).
	Type uint16
	// Entry is e_entry, unrelocated (for ETDyn, relative to the load base).
	Entry uint64
	// PhOff, PhEnt and PhNum locate the program header table in the file.
	PhOff uint64
	PhEnt uint64
	PhNum uint64
	// Progs holds every program header in file order.
	Progs []Prog
	// Interp is the PT_INTERP path without its NUL, "" for a static file:
	// the file's bytes as they are, to be printed through Printable.
	Interp string
}

// Prog is one program header, widened to 64 bits.
type Prog struct {
	Type   uint32
	Flags  uint32
	Off    uint64
	Vaddr  uint64
	Filesz uint64
	Memsz  uint64
	Align  uint64
}

// Error is the error every Parse and Load failure returns: the file and
// what is wrong with it.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }

func errorf(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// TypeName returns "EXEC (executable)" style names for `info`.
func (f *File) TypeName() string {
	switch f.Type {
	case ETExec:
		return "EXEC (static executable)"
	case ETDyn:
		if f.Interp != "" {
			return "DYN (position-independent, dynamically linked)"
		}
		return "DYN (static position-independent executable)"
	}
	return fmt.Sprintf("unknown (%d)", f.Type)
}

// MachineName returns "Intel 80386" or "AMD x86-64".
func (f *File) MachineName() string {
	switch f.Machine {
	case EM386:
		return "Intel 80386"
	case EMX8664:
		return "AMD x86-64"
	}
	return fmt.Sprintf("unknown (%d)", f.Machine)
}

// ProgTypeName names a program header type for `info`.
func ProgTypeName(t uint32) string {
	switch t {
	case PTNull:
		return "NULL"
	case PTLoad:
		return "LOAD"
	case PTDynamic:
		return "DYNAMIC"
	case PTInterp:
		return "INTERP"
	case PTNote:
		return "NOTE"
	case PTPhdr:
		return "PHDR"
	case PTTLS:
		return "TLS"
	case 0x6474e550:
		return "GNU_EH_FRAME"
	case 0x6474e551:
		return "GNU_STACK"
	case 0x6474e552:
		return "GNU_RELRO"
	case 0x6474e553:
		return "GNU_PROPERTY"
	}
	return fmt.Sprintf("%#x", t)
}

// FlagString renders p_flags as "R-X".
func FlagString(f uint32) string {
	b := []byte("---")
	if f&PFR != 0 {
		b[0] = 'R'
	}
	if f&PFW != 0 {
		b[1] = 'W'
	}
	if f&PFX != 0 {
		b[2] = 'X'
	}
	return string(b)
}

// addEnd returns a+n or ok=false on 64-bit overflow.
func addEnd(a, n uint64) (uint64, bool) {
	s, c := bits.Add64(a, n, 0)
	return s, c == 0
}

// readAt reads exactly len(b) bytes at off, naming the file on failure.
func readAt(path string, r io.ReaderAt, b []byte, off uint64, what string) error {
	if off > 1<<62 {
		return errorf(path, "%s at offset %#x is beyond the file", what, off)
	}
	n, err := r.ReadAt(b, int64(off))
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		return errorf(path, "%s at offset %#x is truncated (%d of %d bytes)", what, off, n, len(b))
	}
	return errorf(path, "reading %s: %v", what, err)
}

// Parse reads and validates the ELF headers of r (size bytes, named path).
// It maps nothing. Every way the file can be wrong comes back as an *Error
// naming the file and the problem; it never panics.
func Parse(path string, r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, errorf(path, "negative file size")
	}
	var ident [16]byte
	if size < int64(len(ident)) {
		return nil, errorf(path, "file too short for an ELF header (%d bytes)", size)
	}
	if err := readAt(path, r, ident[:], 0, "ELF identification"); err != nil {
		return nil, err
	}
	if string(ident[:4]) != "\x7fELF" {
		return nil, errorf(path, "not an ELF file (bad magic % x)", ident[:4])
	}
	f := &File{Path: path, Size: size}
	var ehsize, phsize uint64
	switch ident[4] {
	case elfClass32:
		f.Mode, ehsize, phsize = mm.Mode32, ehdr32Size, phdr32Size
	case elfClass64:
		f.Mode, ehsize, phsize = mm.Mode64, ehdr64Size, phdr64Size
	default:
		return nil, errorf(path, "unsupported ELF class %d (want 1 = ELFCLASS32 or 2 = ELFCLASS64)", ident[4])
	}
	if ident[5] != elfData2LSB {
		return nil, errorf(path, "unsupported data encoding %d (x86 is little-endian, ELFDATA2LSB)", ident[5])
	}
	if ident[6] != evCurrent {
		return nil, errorf(path, "unsupported ELF version %d", ident[6])
	}
	if uint64(size) < ehsize {
		return nil, errorf(path, "ELF header truncated: file has %d bytes, the header needs %d", size, ehsize)
	}
	eh := make([]byte, ehsize)
	if err := readAt(path, r, eh, 0, "ELF header"); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	f.Type = le.Uint16(eh[16:])
	f.Machine = le.Uint16(eh[18:])
	if v := le.Uint32(eh[20:]); v != evCurrent {
		return nil, errorf(path, "unsupported ELF version %d in e_version", v)
	}
	var ehsizeField uint16
	if f.Mode == mm.Mode32 {
		f.Entry = uint64(le.Uint32(eh[24:]))
		f.PhOff = uint64(le.Uint32(eh[28:]))
		ehsizeField = le.Uint16(eh[40:])
		f.PhEnt = uint64(le.Uint16(eh[42:]))
		f.PhNum = uint64(le.Uint16(eh[44:]))
	} else {
		f.Entry = le.Uint64(eh[24:])
		f.PhOff = le.Uint64(eh[32:])
		ehsizeField = le.Uint16(eh[52:])
		f.PhEnt = uint64(le.Uint16(eh[54:]))
		f.PhNum = uint64(le.Uint16(eh[56:]))
	}
	switch {
	case f.Mode == mm.Mode32 && f.Machine == EM386, f.Mode == mm.Mode64 && f.Machine == EMX8664:
	case f.Machine == EM386 || f.Machine == EMX8664:
		return nil, errorf(path, "ELF class %d does not match machine %s (want ELFCLASS32 with EM_386 or ELFCLASS64 with EM_X86_64)", ident[4], f.MachineName())
	default:
		return nil, errorf(path, "unsupported machine %d (minemu runs EM_386 and EM_X86_64 only)", f.Machine)
	}
	switch f.Type {
	case ETExec, ETDyn:
	case 1:
		return nil, errorf(path, "relocatable object (ET_REL), not an executable")
	case 4:
		return nil, errorf(path, "core dump (ET_CORE), not an executable")
	default:
		return nil, errorf(path, "unsupported ELF type %d (want ET_EXEC or ET_DYN)", f.Type)
	}
	if uint64(ehsizeField) != ehsize {
		return nil, errorf(path, "e_ehsize is %d, want %d", ehsizeField, ehsize)
	}
	if f.PhEnt != phsize {
		return nil, errorf(path, "e_phentsize is %d, want %d", f.PhEnt, phsize)
	}
	if f.PhNum == 0 {
		return nil, errorf(path, "no program headers")
	}
	if f.PhNum == 0xffff {
		return nil, errorf(path, "extended program header count (PN_XNUM) is not supported")
	}
	tableLen := f.PhNum * f.PhEnt // both < 2^16: no overflow
	if tableLen > maxPhdrTable {
		return nil, errorf(path, "program header table of %d bytes is too large (limit %d)", tableLen, maxPhdrTable)
	}
	tableEnd, ok := addEnd(f.PhOff, tableLen)
	if !ok || tableEnd > uint64(size) {
		return nil, errorf(path, "program header table [%#x, +%#x) extends beyond the file (%d bytes)", f.PhOff, tableLen, size)
	}
	if f.PhOff < ehsize {
		return nil, errorf(path, "program header table at offset %#x overlaps the ELF header (%d bytes)", f.PhOff, ehsize)
	}
	table := make([]byte, tableLen)
	if err := readAt(path, r, table, f.PhOff, "program header table"); err != nil {
		return nil, err
	}
	f.Progs = make([]Prog, f.PhNum)
	for i := range f.Progs {
		b := table[uint64(i)*f.PhEnt:]
		p := &f.Progs[i]
		p.Type = le.Uint32(b[0:])
		if f.Mode == mm.Mode32 {
			p.Off = uint64(le.Uint32(b[4:]))
			p.Vaddr = uint64(le.Uint32(b[8:]))
			p.Filesz = uint64(le.Uint32(b[16:]))
			p.Memsz = uint64(le.Uint32(b[20:]))
			p.Flags = le.Uint32(b[24:])
			p.Align = uint64(le.Uint32(b[28:]))
		} else {
			p.Flags = le.Uint32(b[4:])
			p.Off = le.Uint64(b[8:])
			p.Vaddr = le.Uint64(b[16:])
			p.Filesz = le.Uint64(b[32:])
			p.Memsz = le.Uint64(b[40:])
			p.Align = le.Uint64(b[48:])
		}
	}
	if err := f.validateSegments(r); err != nil {
		return nil, err
	}
	return f, nil
}

// addrLimit is the first address the file's mode cannot use.
func (f *File) addrLimit() uint64 {
	if f.Mode == mm.Mode32 {
		return uint64(mm.Limit32)
	}
	return uint64(mm.UserLimit)
}

// validateSegments checks every program header against the file and
// against each other, and reads PT_INTERP.
func (f *File) validateSegments(r io.ReaderAt) error {
	path := f.Path
	var loads int
	var prevEnd uint64
	sawInterp := false
	for i, p := range f.Progs {
		switch p.Type {
		case PTInterp:
			if sawInterp {
				return errorf(path, "program header %d: more than one PT_INTERP", i)
			}
			sawInterp = true
			end, ok := addEnd(p.Off, p.Filesz)
			if !ok || end > uint64(f.Size) {
				return errorf(path, "program header %d: PT_INTERP [%#x, +%#x) extends beyond the file (%d bytes)", i, p.Off, p.Filesz, f.Size)
			}
			if p.Filesz < 2 || p.Filesz > maxInterpLen {
				return errorf(path, "program header %d: PT_INTERP length %d is invalid", i, p.Filesz)
			}
			b := make([]byte, p.Filesz)
			if err := readAt(path, r, b, p.Off, "PT_INTERP"); err != nil {
				return err
			}
			if b[len(b)-1] != 0 {
				return errorf(path, "program header %d: PT_INTERP is not NUL-terminated", i)
			}
			f.Interp = string(b[:len(b)-1])
		case PTLoad:
			if p.Filesz > p.Memsz {
				return errorf(path, "program header %d: p_filesz %#x exceeds p_memsz %#x", i, p.Filesz, p.Memsz)
			}
			fend, ok := addEnd(p.Off, p.Filesz)
			if !ok || fend > uint64(f.Size) {
				return errorf(path, "program header %d: segment file bytes [%#x, +%#x) extend beyond the file (%d bytes)", i, p.Off, p.Filesz, f.Size)
			}
			vend, ok := addEnd(p.Vaddr, p.Memsz)
			if !ok || vend > f.addrLimit() {
				return errorf(path, "program header %d: segment [%#x, +%#x) overflows the %s-bit address space", i, p.Vaddr, p.Memsz, f.Mode)
			}
			if p.Align > 1 && p.Align&(p.Align-1) != 0 {
				return errorf(path, "program header %d: p_align %#x is not a power of two", i, p.Align)
			}
			if (p.Vaddr-p.Off)&mm.PageMask != 0 {
				return errorf(path, "program header %d: p_offset %#x and p_vaddr %#x differ modulo the page size", i, p.Off, p.Vaddr)
			}
			if p.Memsz == 0 {
				continue
			}
			if loads > 0 && p.Vaddr < prevEnd {
				return errorf(path, "program header %d: PT_LOAD at %#x overlaps or precedes the previous one (ending at %#x); PT_LOAD segments must ascend", i, p.Vaddr, prevEnd)
			}
			loads++
			prevEnd = vend
		}
	}
	if loads == 0 {
		return errorf(path, "no loadable (PT_LOAD) segment")
	}
	if _, ok := f.segmentOf(f.Entry); !ok {
		return errorf(path, "entry point %#x lies outside every loadable segment", f.Entry)
	}
	return nil
}

// segmentOf returns the PT_LOAD whose memory image holds the unrelocated
// address a.
func (f *File) segmentOf(a uint64) (Prog, bool) {
	for _, p := range f.Progs {
		if p.Type == PTLoad && p.Memsz > 0 && p.Vaddr <= a && a-p.Vaddr < p.Memsz {
			return p, true
		}
	}
	return Prog{}, false
}

// phdrVaddr returns the unrelocated address at which the program header
// table is visible in memory, as the kernel computes AT_PHDR: the PT_LOAD
// whose file bytes contain e_phoff. ok is false when no segment maps it.
func (f *File) phdrVaddr() (uint64, bool) {
	for _, p := range f.Progs {
		if p.Type == PTLoad && p.Off <= f.PhOff && f.PhOff-p.Off < p.Filesz {
			tableLen := f.PhNum * f.PhEnt
			if f.PhOff-p.Off+tableLen <= p.Filesz {
				return p.Vaddr + (f.PhOff - p.Off), true
			}
		}
	}
	return 0, false
}

// Span returns the page-aligned range [first PT_LOAD page, end of the last
// one), unrelocated. Parse guarantees at least one PT_LOAD and no overflow.
func (f *File) Span() (lo, hi uint64) {
	first := true
	for _, p := range f.Progs {
		if p.Type != PTLoad || p.Memsz == 0 {
			continue
		}
		s := p.Vaddr &^ mm.PageMask
		e := (p.Vaddr + p.Memsz + mm.PageMask) &^ mm.PageMask
		if first || s < lo {
			lo = s
		}
		if first || e > hi {
			hi = e
		}
		first = false
	}
	return lo, hi
}
