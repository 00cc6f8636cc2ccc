package loader

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// Space is the part of mm.GuestSpace the loader uses; *mm.GuestSpace
// implements it. Every mapping the loader makes goes through it, so the
// guest space's bookkeeping (bitmap, VMAs, audit) sees the image and the
// stack like any other guest mapping.
type Space interface {
	Mmap(addr mm.Addr, length uint64, prot, flags, fd int, off int64) (mm.Addr, error)
	Munmap(addr mm.Addr, length uint64) error
	Mprotect(addr mm.Addr, length uint64, prot int) error
	SetBrkBase(start mm.Addr) error
}

// Default placement and sizes (see the package comment and
// docs/RATIONALE.md).
const (
	// DynBase32 and DynBase64 are where an ET_DYN (static-PIE) image is
	// placed, the addresses Linux uses with address-space randomisation
	// off: 0x56555000 for an i386 process, 2/3 of the 47-bit user space
	// (0x555555554000) for an x86-64 one.
	DynBase32 = 0x56555000
	DynBase64 = 0x555555554000
	// StackTop32 is the top of an i386 guest's stack: the end of a
	// compat process's address space (TASK_SIZE of a 32-bit process on a
	// 64-bit kernel), one page below 4 GiB.
	StackTop32 = 0xffffe000
	// DefaultStackSize is the size of the stack mapping: the default
	// RLIMIT_STACK (8 MiB), mapped whole (untouched pages cost nothing).
	DefaultStackSize = 8 << 20
	// StackGuardGap is the inaccessible gap below a stack placed like any
	// other mapping (the kernel's stack_guard_gap, 256 pages).
	StackGuardGap = 1 << 20
	// DefaultHWCap is AT_HWCAP when Options.HWCap is 0: TSC, CX8, CMOV.
	// The kernel reports CPUID.1:EDX there; minemu run passes the EDX of
	// the guest's CPU model (cpuid.Model.HWCAP) instead.
	DefaultHWCap = 1<<4 | 1<<8 | 1<<15
)

// DynBase is where Load places an ET_DYN image of mode by default:
// DynBase32 or DynBase64.
func DynBase(mode mm.Mode) uint64 {
	if mode == mm.Mode32 {
		return DynBase32
	}
	return DynBase64
}

// Auxiliary vector keys (include/uapi/linux/auxvec.h).
const (
	AtNull     = 0
	AtPhdr     = 3
	AtPhent    = 4
	AtPhnum    = 5
	AtPagesz   = 6
	AtBase     = 7
	AtFlags    = 8
	AtEntry    = 9
	AtUID      = 11
	AtEUID     = 12
	AtGID      = 13
	AtEGID     = 14
	AtPlatform = 15
	AtHwcap    = 16
	AtClktck   = 17
	AtSecure   = 23
	AtRandom   = 25
	AtHwcap2   = 26
	AtExecfn   = 31

	AtMinsigstksz = 51
)

// Options tune Load. The zero value loads like Linux with randomisation
// off.
type Options struct {
	// Mode, when set, is the mode of the guest space; a file of the other
	// class is refused.
	Mode mm.Mode
	// ExecFn is the path the guest sees as AT_EXECFN; "" means the path
	// given to Load.
	ExecFn string
	// Base overrides the load address of an ET_DYN image (0: DynBase32 or
	// DynBase64, falling back to any free place).
	Base uint64
	// StackTop is the stack's end. 0 means the space's StackTop() when it
	// has one (mm.GuestSpace: 0xffffe000 for the default Mode32 window, 0
	// in Mode64), else StackTop32 in Mode32; in Mode64 a zero top lets the
	// space place the stack like any other mapping.
	StackTop uint64
	// StackSize is the stack mapping's size (0: DefaultStackSize).
	StackSize uint64
	// HWCap is AT_HWCAP (0: DefaultHWCap).
	HWCap uint64
	// MinSigStkSz is AT_MINSIGSTKSZ, the largest signal frame the guest's
	// CPU features give (0: no entry).
	MinSigStkSz uint64
	// Random supplies the 16 AT_RANDOM bytes (nil: crypto/rand).
	Random io.Reader
	// HWCap2 is AT_HWCAP2 (the kernel's elf_hwcap2: on x86 the bits
	// RING3MWAIT and FSGSBASE, both 0 for a CPU without them).
	HWCap2 uint64
	// Sysroot, when set, is searched first for the PT_INTERP path (the
	// interpreter DIR/INTERP if it exists, else INTERP itself): qemu's -L.
	Sysroot string
}

// Segment is one PT_LOAD as mapped.
type Segment struct {
	// Vaddr, Memsz, Filesz and Off are the program header's values, Vaddr
	// relocated by the load bias.
	Vaddr, Memsz, Filesz, Off uint64
	// Prot is the PROT_* protection derived from p_flags.
	Prot int
	// Pages is the page-aligned range the segment occupies.
	Pages mm.AddrRange
}

// Image describes a loaded executable. All addresses are relocated. An
// Image (like a Loaded) is a value filled in once by Load and never changed
// afterwards, so it needs no lock; the memory it describes belongs to the
// guest space.
type Image struct {
	// Path is the file as given to Load.
	Path string
	// Mode is the file's class: Mode32 (ELFCLASS32, EM_386) or Mode64.
	Mode mm.Mode
	// Entry is the guest's first instruction (e_entry + Base).
	Entry uint64
	// Phdr is where the program headers are visible in memory (AT_PHDR),
	// 0 if no segment maps them; PhNum and PhEnt are e_phnum and
	// e_phentsize (AT_PHNUM, AT_PHENT).
	Phdr, PhNum, PhEnt uint64
	// Base is the load bias: 0 for ET_EXEC, the chosen base minus the
	// first segment's page for ET_DYN.
	Base uint64
	// BrkStart is the page after the image: the program break's start.
	BrkStart uint64
	// Span is the page range from the first segment's page to the end of
	// the last; gaps between segments inside it are unmapped.
	Span mm.AddrRange
	// Segments are the PT_LOAD segments with a nonzero p_memsz, in
	// ascending address order (Parse guarantees it).
	Segments []Segment
	// Interp is the PT_INTERP path as the file names it ("" for a static
	// executable and for an interpreter).
	Interp string
}

// Aux is one auxiliary vector entry.
type Aux struct {
	Key, Val uint64
}

// Loaded is the result of Load: the image, the stack and the registers the
// guest starts with.
type Loaded struct {
	Image
	// Interpreter is the program interpreter (the dynamic linker) that
	// PT_INTERP named, mapped beside the image, nil for a static
	// executable. Its Path is the file opened (under Options.Sysroot when
	// the sysroot has it); RIP is its entry and AT_BASE its load bias.
	Interpreter *Image
	// RIP is the entry point, SP the initial stack pointer (16-byte
	// aligned, pointing at argc).
	RIP, SP uint64
	// Stack is the stack mapping.
	Stack mm.AddrRange
	// Auxv is the auxiliary vector as written, AT_NULL last.
	Auxv []Aux
	// Argc and the addresses of the argv, envp and auxv arrays on the
	// stack; ExecFn, Random and Platform are the addresses AT_EXECFN,
	// AT_RANDOM and AT_PLATFORM point to.
	Argc                     int
	Argv, Envp, AuxvAddr     uint64
	ExecFn, Random, Platform uint64
	// ArgStart and ArgEnd bound the argv strings, EnvStart and EnvEnd the
	// envp strings that follow them (the kernel's mm->arg_start, arg_end,
	// env_start, env_end: what /proc/self/cmdline and environ read).
	ArgStart, ArgEnd, EnvStart, EnvEnd uint64
}

// open opens and parses path without mapping anything. The caller closes
// the returned file, whose bytes LoadFile maps.
//
// O_NONBLOCK keeps the open of a FIFO (which the kernel refuses to
// execute, EACCES) from waiting for a writer; the file is then refused as
// not regular. It changes nothing for a regular file.
func open(path string) (*File, *os.File, error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := fh.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = errorf(path, "not a regular file")
	}
	var f *File
	if err == nil {
		f, err = Parse(path, fh, st.Size())
	}
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	return f, fh, nil
}

// Inspect opens and parses path without mapping anything: the guest's mode
// before a guest space exists, and `minemu info`.
func Inspect(path string) (*File, error) {
	f, fh, err := open(path)
	if err != nil {
		return nil, err
	}
	fh.Close()
	return f, nil
}

// Load maps the executable at path into space and builds its initial stack
// with argv and envp. On failure nothing stays mapped.
func Load(space Space, path string, argv, envp []string, opt Options) (*Loaded, error) {
	f, fh, err := open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return LoadFile(space, f, fh, argv, envp, opt)
}

// LoadFile is Load for an already parsed file whose bytes r provides.
// A file with PT_INTERP is loaded as load_elf_binary loads it: the
// program first (an ET_DYN one at the kernel's PIE base), then the
// interpreter wherever the space places a mapping without a hint (the
// kernel's load_elf_interp: top-down below the mmap base), and the guest
// starts at the interpreter's entry with AT_BASE its bias and AT_PHDR,
// AT_PHNUM and AT_ENTRY the program's.
func LoadFile(space Space, f *File, r io.ReaderAt, argv, envp []string, opt Options) (*Loaded, error) {
	path := f.Path
	if opt.Mode != 0 && opt.Mode != f.Mode {
		return nil, errorf(path, "a %s-bit executable cannot run in a %s-bit guest space", f.Mode, opt.Mode)
	}
	if f.Interp != "" {
		// The kernel opens the C string: up to the first NUL.
		name, _, _ := strings.Cut(f.Interp, "\x00")
		ipath := InterpPath(opt.Sysroot, name)
		fi, fh, err := open(ipath)
		if err != nil {
			return nil, interpError(path, f.Mode, name, ipath, opt.Sysroot, err)
		}
		defer fh.Close()
		if fi.Mode != f.Mode {
			return nil, errorf(path, "interpreter %s is a %s-bit ELF, the program a %s-bit one", Printable(ipath), fi.Mode, f.Mode)
		}
		return loadDynamic(space, f, r, fi, fh, argv, envp, opt)
	}
	return loadDynamic(space, f, r, nil, nil, argv, envp, opt)
}

// loadDynamic maps f (and the interpreter fi whose bytes ri provides,
// when fi is not nil), sets the program break after f and builds the
// stack. On failure nothing stays mapped.
func loadDynamic(space Space, f *File, r io.ReaderAt, fi *File, ri io.ReaderAt, argv, envp []string, opt Options) (*Loaded, error) {
	path := f.Path
	var undo []mm.AddrRange
	ok := false
	defer func() {
		if !ok {
			for _, u := range undo {
				_ = space.Munmap(u.Start, u.Length())
			}
		}
	}()

	img, err := mapImage(space, f, r, opt.Base, false, &undo)
	if err != nil {
		return nil, err
	}
	img.Interp = f.Interp
	if err := space.SetBrkBase(mm.Addr(img.BrkStart)); err != nil {
		return nil, errorf(path, "setting the program break at %#x: %v", img.BrkStart, err)
	}
	if ds, ok := space.(interface{ SetDataSegment(mm.AddrRange) }); ok {
		ds.SetDataSegment(dataSegment(f, img.Base))
	}
	var iimg *Image
	if fi != nil {
		if iimg, err = mapImage(space, fi, ri, 0, true, &undo); err != nil {
			return nil, err
		}
	}
	l, err := buildStack(space, img, iimg, f, argv, envp, opt, &undo)
	if err != nil {
		return nil, err
	}
	ok = true
	return l, nil
}

// interpError explains a missing or unusable interpreter: the kernel's
// execve gives ENOENT for a missing one, which a shell reports as the
// program itself not being found; minemu names the interpreter and where
// to get it.
func interpError(path string, mode mm.Mode, name, ipath, sysroot string, err error) error {
	var le *Error
	if errors.As(err, &le) {
		return errorf(path, "interpreter %s: %s", Printable(ipath), le.Msg)
	}
	hint := "install the guest's C library (Debian: libc6-i386 for i386 programs) or give --sysroot DIR"
	if mode == mm.Mode64 {
		hint = "give --sysroot DIR with the guest's C library"
	}
	if sysroot != "" {
		hint = fmt.Sprintf("neither %s nor the host has it", Printable(sysroot))
	}
	if errors.Is(err, os.ErrNotExist) {
		return errorf(path, "interpreter %s not found (%s)", Printable(name), hint)
	}
	return errorf(path, "interpreter %s: %v", Printable(ipath), err)
}

// protOf converts p_flags to PROT_* bits.
func protOf(flags uint32) int {
	p := 0
	if flags&PFR != 0 {
		p |= unix.PROT_READ
	}
	if flags&PFW != 0 {
		p |= unix.PROT_WRITE
	}
	if flags&PFX != 0 {
		p |= unix.PROT_EXEC
	}
	return p
}

// mapImage places the image: one anonymous read-write reservation of the
// whole span, each segment's file pages mapped over it from the file (or
// its bytes copied in when r is not a file; bss stays the zero the kernel
// gave the fresh mapping), the gaps between segments unmapped, then each
// segment's pages set to its protection in program-header order (a page
// two segments share ends with the later one's, as with the kernel's
// successive mmaps).
//
// An ET_EXEC file goes to its linked address. An ET_DYN one goes to base
// (0: DynBase32 or DynBase64, falling back to any free place) unless
// anywhere is set; then, like every ET_DYN interpreter of the kernel's
// load_elf_interp, it goes wherever the space puts a mapping without a
// hint.
func mapImage(space Space, f *File, r io.ReaderAt, base uint64, anywhere bool, undo *[]mm.AddrRange) (*Image, error) {
	path := f.Path
	lo, hi := f.Span()
	length := hi - lo
	const anon = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	rw := unix.PROT_READ | unix.PROT_WRITE

	var bias uint64
	var at mm.Addr
	switch f.Type {
	case ETExec:
		want, ok := mm.NewRange(mm.Addr(lo), length)
		if !ok {
			return nil, errorf(path, "image span overflows")
		}
		if w, ok := space.(interface{ Window() mm.AddrRange }); ok && !w.Window().IsSupersetOf(want) {
			return nil, errorf(path, "image %v lies outside the guest address window %v", want, w.Window())
		}
		a, err := space.Mmap(want.Start, length, rw, anon|unix.MAP_FIXED_NOREPLACE, -1, 0)
		if err != nil {
			return nil, placementError(path, want, err)
		}
		at = a
	case ETDyn:
		explicit := base != 0
		if base == 0 {
			// The kernel's ELF_ET_DYN_BASE, aligned down to the largest
			// p_align of the PT_LOADs (load_elf_binary's
			// maximum_alignment).
			base = DynBase(f.Mode) &^ (f.maxAlign() - 1)
		}
		var a mm.Addr
		var err error
		if anywhere {
			err = unix.EEXIST
		} else if want, ok := mm.NewRange(mm.Addr(base), length); ok && base&mm.PageMask == 0 && uint64(want.End) <= f.addrLimit() {
			a, err = space.Mmap(want.Start, length, rw, anon|unix.MAP_FIXED_NOREPLACE, -1, 0)
		} else {
			err = unix.EINVAL
		}
		if err != nil {
			if explicit && !anywhere {
				want, _ := mm.NewRange(mm.Addr(base), length)
				return nil, placementError(path, want, err)
			}
			// The preferred base is taken: let the space choose, as
			// the kernel does for a static PIE it cannot place there.
			a, err = space.Mmap(0, length, rw, anon, -1, 0)
			if err != nil {
				return nil, errorf(path, "no room for the %#x-byte image: %v", length, err)
			}
		}
		at = a
		bias = uint64(a) - lo
	}
	span, _ := mm.NewRange(at, length)
	*undo = append(*undo, span)
	if uint64(span.End) > f.addrLimit() {
		return nil, errorf(path, "image placed at %v, beyond the %s-bit address space", span, f.Mode)
	}

	// A file on disk is mapped, as the kernel's elf_map does; bytes from
	// anything else (the fuzzers' buffers) are copied.
	fd := -1
	if fh, ok := r.(*os.File); ok {
		fd = int(fh.Fd())
	}
	img := &Image{
		Path:     path,
		Mode:     f.Mode,
		Entry:    f.Entry + bias,
		PhNum:    f.PhNum,
		PhEnt:    f.PhEnt,
		Base:     bias,
		BrkStart: uint64(span.End),
		Span:     span,
	}
	if ph, ok := f.phdrVaddr(); ok {
		img.Phdr = ph + bias
	}
	for _, p := range f.Progs {
		if p.Type != PTLoad || p.Memsz == 0 {
			continue
		}
		v := p.Vaddr + bias
		start := mm.Addr(v).RoundDown()
		end, _ := mm.Addr(v + p.Memsz).RoundUp()
		seg := Segment{Vaddr: v, Memsz: p.Memsz, Filesz: p.Filesz, Off: p.Off, Prot: protOf(p.Flags),
			Pages: mm.AddrRange{Start: start, End: end}}
		if p.Filesz > 0 && fd >= 0 {
			if err := mapSegmentFile(space, path, fd, v, p); err != nil {
				return nil, err
			}
		} else if p.Filesz > 0 {
			if err := readAt(path, r, guestBytes(mm.Addr(v), p.Filesz), p.Off, "segment"); err != nil {
				return nil, err
			}
		}
		img.Segments = append(img.Segments, seg)
	}
	// Unmap the gaps between segments' pages.
	cur := span.Start
	for _, s := range img.Segments {
		if s.Pages.Start > cur {
			if err := space.Munmap(cur, uint64(s.Pages.Start-cur)); err != nil {
				return nil, errorf(path, "unmapping the gap %v: %v", mm.AddrRange{Start: cur, End: s.Pages.Start}, err)
			}
		}
		cur = max(cur, s.Pages.End)
	}
	for _, s := range img.Segments {
		if err := space.Mprotect(s.Pages.Start, s.Pages.Length(), s.Prot); err != nil {
			return nil, errorf(path, "setting protection %s on %v: %v", protString(s.Prot), s.Pages, err)
		}
	}
	return img, nil
}

// mapSegmentFile maps the file pages of segment p, relocated to v, from
// host descriptor fd: MAP_PRIVATE|MAP_FIXED read-write over the
// reservation, from the page holding v to the page holding its last file
// byte. When the segment has bss, the rest of that last page is zeroed
// (the kernel's padzero); the bss pages beyond it are the reservation's
// zero. Without bss the page keeps the file's following bytes, as on the
// kernel.
func mapSegmentFile(space Space, path string, fd int, v uint64, p Prog) error {
	start := mm.Addr(v).RoundDown()
	end, _ := mm.Addr(v + p.Filesz).RoundUp()
	off := p.Off - (v - uint64(start))
	if _, err := space.Mmap(start, uint64(end-start), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED, fd, int64(off)); err != nil {
		return errorf(path, "mapping the segment's file pages at %v from offset %#x: %v", mm.AddrRange{Start: start, End: end}, off, err)
	}
	if p.Memsz > p.Filesz {
		clear(guestBytes(mm.Addr(v+p.Filesz), uint64(end)-(v+p.Filesz)))
	}
	return nil
}

// maxAlign is the largest p_align of f's PT_LOAD segments, at least the
// page size (Parse refused any that is not a power of two).
func (f *File) maxAlign() uint64 {
	a := uint64(mm.PageSize)
	for _, p := range f.Progs {
		if p.Type == PTLoad && p.Align > a && p.Align <= 1<<30 {
			a = p.Align
		}
	}
	return a
}

// placementError explains why want could not be mapped, naming what is
// already there when something is.
func placementError(path string, want mm.AddrRange, err error) error {
	if ms, merr := overlapping(want); merr == nil && len(ms) > 0 {
		return errorf(path, "image %v overlaps existing mapping %s (minemu's own or an earlier mapping; build minemu with -buildmode=pie)", want, describe(ms))
	}
	if errors.Is(err, unix.EEXIST) {
		return errorf(path, "image %v overlaps an existing mapping", want)
	}
	return errorf(path, "cannot map image at %v: %v", want, err)
}

func protString(p int) string {
	b := []byte("---")
	if p&unix.PROT_READ != 0 {
		b[0] = 'r'
	}
	if p&unix.PROT_WRITE != 0 {
		b[1] = 'w'
	}
	if p&unix.PROT_EXEC != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// stackWriter writes the initial stack downward from the top of the
// stack mapping.
type stackWriter struct {
	mem  []byte // the whole stack mapping
	base uint64 // guest address of mem[0]
	p    uint64 // current position (guest address), only decreases
	word uint64 // pointer size: 4 or 8
}

// pushBytes copies b below p and returns its address.
func (w *stackWriter) pushBytes(b []byte) uint64 {
	w.p -= uint64(len(b))
	copy(w.mem[w.p-w.base:], b)
	return w.p
}

// pushString copies s and its NUL below p.
func (w *stackWriter) pushString(s string) uint64 {
	w.p--
	w.mem[w.p-w.base] = 0
	return w.pushBytes([]byte(s))
}

// putWord writes v at guest address a with the guest's pointer width.
func (w *stackWriter) putWord(a, v uint64) {
	b := w.mem[a-w.base:]
	if w.word == 4 {
		binary.LittleEndian.PutUint32(b, uint32(v))
	} else {
		binary.LittleEndian.PutUint64(b, v)
	}
}

// putArray writes ptrs and a NULL word at guest address a and returns
// the address after them.
func (w *stackWriter) putArray(a uint64, ptrs []uint64) uint64 {
	for _, p := range ptrs {
		w.putWord(a, p)
		a += w.word
	}
	w.putWord(a, 0)
	return a + w.word
}

// dataSegment is the image's data segment as Linux's load_elf_binary
// computes mm->start_data and mm->end_data for RLIMIT_DATA's brk check:
// from the highest p_vaddr of the PT_LOAD segments to the highest
// p_vaddr+p_filesz, relocated by bias.
func dataSegment(f *File, bias uint64) mm.AddrRange {
	var start, end uint64
	for _, p := range f.Progs {
		if p.Type == PTLoad {
			start, end = max(start, p.Vaddr), max(end, p.Vaddr+p.Filesz)
		}
	}
	if end < start {
		end = start
	}
	return mm.AddrRange{Start: mm.Addr(start + bias), End: mm.Addr(end + bias)}
}

// buildStack maps the stack and writes what create_elf_tables writes.
// From the top down: one reserved word, the AT_EXECFN string, the envp
// strings, the argv strings (argv[0] lowest); alignment to 16; the
// AT_PLATFORM string; the 16 AT_RANDOM bytes; then, 16-byte aligned at
// the final SP: argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL.
//
// interp is the mapped interpreter or nil: the guest then starts at its
// entry, and AT_BASE is its bias.
func buildStack(space Space, img, interp *Image, f *File, argv, envp []string, opt Options, undo *[]mm.AddrRange) (*Loaded, error) {
	path := img.Path
	size := opt.StackSize
	if size == 0 {
		size = DefaultStackSize
	}
	if size&mm.PageMask != 0 || size < 4*mm.PageSize {
		return nil, errorf(path, "stack size %#x must be a multiple of the page size and at least 16 KiB", size)
	}
	// MAP_GROWSDOWN marks the mapping as the stack, which the kernel's
	// RLIMIT_DATA does not count (the guest space does not pass it on).
	const anon = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_GROWSDOWN
	rw := unix.PROT_READ | unix.PROT_WRITE
	top := opt.StackTop
	if st, ok := space.(interface{ StackTop() mm.Addr }); ok && top == 0 {
		top = uint64(st.StackTop())
	}
	if top == 0 && f.Mode == mm.Mode32 {
		top = StackTop32
	}
	var stack mm.AddrRange
	if top != 0 {
		if top&mm.PageMask != 0 || top < size || top > f.addrLimit() {
			return nil, errorf(path, "stack top %#x is not a page-aligned address with room for %#x bytes", top, size)
		}
		want, _ := mm.NewRange(mm.Addr(top-size), size)
		a, err := space.Mmap(want.Start, size, rw, anon|unix.MAP_FIXED_NOREPLACE, -1, 0)
		if err != nil {
			ms, _ := overlapping(want)
			if len(ms) > 0 {
				return nil, errorf(path, "stack %v overlaps existing mapping %s", want, describe(ms))
			}
			return nil, errorf(path, "cannot map the stack at %v: %v", want, err)
		}
		stack, _ = mm.NewRange(a, size)
	} else {
		// A stack placed like any other mapping gets the kernel's guard
		// gap below it, inaccessible: a guest that overflows its stack
		// faults there (SIGSEGV, which a handler on an alternate stack
		// may catch) instead of writing whatever mapping lies below,
		// which may be minemu's own.
		a, err := space.Mmap(0, StackGuardGap+size, rw, anon, -1, 0)
		if err != nil {
			return nil, errorf(path, "cannot map a %#x-byte stack: %v", size, err)
		}
		all, _ := mm.NewRange(a, StackGuardGap+size)
		*undo = append(*undo, all)
		if err := space.Mprotect(a, StackGuardGap, unix.PROT_NONE); err != nil {
			return nil, errorf(path, "cannot protect the stack's guard gap: %v", err)
		}
		stack, _ = mm.NewRange(a+StackGuardGap, size)
	}
	if top != 0 {
		*undo = append(*undo, stack)
	}

	word := uint64(8)
	platform := "x86_64"
	if f.Mode == mm.Mode32 {
		word, platform = 4, "i686"
	}
	execfn := opt.ExecFn
	if execfn == "" {
		execfn = path
	}
	// The strings may use at most a quarter of the stack, as the kernel
	// allows a quarter of RLIMIT_STACK for them.
	var strBytes uint64
	for _, s := range argv {
		strBytes += uint64(len(s)) + 1
	}
	for _, s := range envp {
		strBytes += uint64(len(s)) + 1
	}
	strBytes += uint64(len(execfn)) + 1
	ptrBytes := (uint64(len(argv)) + uint64(len(envp)) + 3 + 2*20) * word
	if strBytes > size/4 || ptrBytes > size/4 {
		return nil, errorf(path, "arguments and environment too large (%d bytes of strings, %d pointers) for a %#x-byte stack", strBytes, len(argv)+len(envp), size)
	}

	w := &stackWriter{mem: guestBytes(stack.Start, size), base: uint64(stack.Start), p: uint64(stack.End), word: word}
	w.p -= 8 // reserved word at the very top, as the kernel leaves it
	l := &Loaded{Image: *img, Interpreter: interp, RIP: img.Entry, Stack: stack, Argc: len(argv)}
	var atBase uint64
	if interp != nil {
		l.RIP, atBase = interp.Entry, interp.Base
	}
	l.ExecFn = w.pushString(execfn)
	envAddr := make([]uint64, len(envp))
	for i := len(envp) - 1; i >= 0; i-- {
		envAddr[i] = w.pushString(envp[i])
	}
	argAddr := make([]uint64, len(argv))
	for i := len(argv) - 1; i >= 0; i-- {
		argAddr[i] = w.pushString(argv[i])
	}
	l.ArgStart, l.EnvEnd = w.p, l.ExecFn
	l.ArgEnd = l.ExecFn
	if len(envp) > 0 {
		l.ArgEnd = envAddr[0]
	}
	l.EnvStart = l.ArgEnd
	w.p &^= 15
	l.Platform = w.pushString(platform)
	var rnd [16]byte
	src := opt.Random
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, rnd[:]); err != nil {
		return nil, errorf(path, "reading AT_RANDOM bytes: %v", err)
	}
	l.Random = w.pushBytes(rnd[:])

	hwcap := opt.HWCap
	if hwcap == 0 {
		hwcap = DefaultHWCap
	}
	// The kernel's order (fs/binfmt_elf.c create_elf_tables); x86's
	// ARCH_DLINFO entries (AT_SYSINFO, AT_SYSINFO_EHDR: the vDSO;
	// AT_MINSIGSTKSZ) are absent because minemu maps no vDSO and its
	// signal frames are not the kernel's xsave size, and so are
	// AT_RSEQ_FEATURE_SIZE and AT_RSEQ_ALIGN (6.3 and later: minemu has
	// no rseq), as on an older kernel.
	l.Auxv = []Aux{
		{AtHwcap, hwcap},
		{AtPagesz, mm.PageSize},
		{AtClktck, 100},
		{AtPhdr, img.Phdr},
		{AtPhent, img.PhEnt},
		{AtPhnum, img.PhNum},
		{AtBase, atBase},
		{AtFlags, 0},
		{AtEntry, img.Entry},
		{AtUID, uint64(os.Getuid())},
		{AtEUID, uint64(os.Geteuid())},
		{AtGID, uint64(os.Getgid())},
		{AtEGID, uint64(os.Getegid())},
		{AtSecure, 0},
		{AtRandom, l.Random},
		{AtHwcap2, opt.HWCap2},
		{AtExecfn, l.ExecFn},
		{AtPlatform, l.Platform},
		{AtNull, 0},
	}
	if opt.MinSigStkSz != 0 {
		// x86's ARCH_DLINFO, which the kernel puts first.
		l.Auxv = append([]Aux{{AtMinsigstksz, opt.MinSigStkSz}}, l.Auxv...)
	}
	words := uint64(1+len(argv)+1+len(envp)+1) + 2*uint64(len(l.Auxv))
	sp := (w.p - words*word) &^ 15
	l.SP = sp
	w.putWord(sp, uint64(len(argv)))
	l.Argv = sp + word
	l.Envp = w.putArray(l.Argv, argAddr)
	l.AuxvAddr = w.putArray(l.Envp, envAddr)
	a := l.AuxvAddr
	for _, x := range l.Auxv {
		w.putWord(a, x.Key)
		w.putWord(a+word, x.Val)
		a += 2 * word
	}
	return l, nil
}

// String summarises l for logs.
func (l *Loaded) String() string {
	s := fmt.Sprintf("%s: %s-bit image %v entry %#x sp %#x stack %v brk %#x", l.Path, l.Mode, l.Span, l.RIP, l.SP, l.Stack, l.BrkStart)
	if l.Interpreter != nil {
		s += fmt.Sprintf(" interpreter %s at %v", Printable(l.Interpreter.Path), l.Interpreter.Span)
	}
	return s
}
