// Package loader puts an x86 Linux executable (i386 or x86-64, static or
// dynamically linked) into a guest address space, with its program
// interpreter when it names one, and builds the stack its first
// instruction sees, the work fs/binfmt_elf.c does in the kernel.
//
// # Parsing and validation
//
// Parse reads the ELF and program headers itself with encoding/binary
// rather than through debug/elf: the headers are small, every field the
// loader uses is checked once, in one place, and a crafted file cannot
// reach code that panics or allocates by an attacker-chosen size. A file is
// accepted only when
//
//  1. the identification says ELFCLASS32 with EM_386 or ELFCLASS64 with
//     EM_X86_64, little-endian, version 1;
//  2. e_type is ET_EXEC or ET_DYN (a static PIE);
//  3. e_ehsize and e_phentsize are the class's sizes, the program header
//     table is non-empty, at most 64 KiB, inside the file and clear of the
//     ELF header;
//  4. every PT_LOAD has p_filesz <= p_memsz, its file bytes inside the
//     file, its memory image inside the mode's address space (4 GiB or
//     128 TiB, every sum overflow-checked), p_offset and p_vaddr congruent
//     modulo the page size, a power-of-two p_align; PT_LOAD segments ascend
//     without overlapping, at least one exists, and e_entry lies in one;
//  5. PT_INTERP, if present, is inside the file and NUL-terminated.
//
// Every refusal is an *Error naming the file and the problem. FuzzParse
// and FuzzLoad check that no input panics.
//
// # Mapping
//
// The program and, when it has PT_INTERP, its interpreter are mapped the
// same way:
//
//  1. The image span — the first PT_LOAD's page to the last one's end — is
//     mapped anonymous read-write through the guest space with
//     MAP_FIXED_NOREPLACE at the linked address (ET_EXEC) or at the
//     kernel's ET_DYN base with randomisation off (DynBase32 = 0x56555000,
//     DynBase64 = 0x555555554000, aligned down to the largest p_align of
//     its PT_LOADs; if that is taken, wherever the space puts it). An
//     ET_DYN interpreter goes wherever the space puts a
//     mapping without a hint, as load_elf_interp's mmap does: top-down
//     below the mmap base (0xf7ffe000 for an i386 guest). If something is
//     already at a fixed address, the error names the requested range and
//     every overlapping mapping from /proc/self/maps.
//  2. Each segment's file pages are mapped from the file over the
//     reservation, MAP_PRIVATE|MAP_FIXED, as the kernel's elf_map does
//     (so /proc/self/maps names the program and its interpreter, and
//     their pages are the page cache's until written); when the segment
//     has bss, the rest of its last file page is zeroed (padzero) and the
//     pages after it are the reservation's zero. Bytes that do not come
//     from a file on disk (the fuzzers' buffers) are copied into the
//     reservation instead.
//  3. Pages between segments are unmapped, and each segment's pages get
//     the protection of its p_flags, in program-header order.
//  4. The program break starts at the page after the program's image
//     (GuestSpace.SetBrkBase), never after the interpreter's.
//  5. The stack is mapped read-write, 8 MiB (the default RLIMIT_STACK,
//     untouched pages cost nothing), ending at the space's StackTop: for
//     an i386 guest 0xffffe000 with the default window, the top of a
//     compat process; for an x86-64 guest the space places it like any
//     other mapping unless a top is configured. The stack is never
//     executable, whatever PT_GNU_STACK says.
//
// Mapping the file rather than copying it is what the kernel does, and
// what a dynamically linked guest expects: its ld.so and the program show
// in /proc/self/maps with their paths and offsets, the data page of the
// program is not merged into [heap], and a large program starts without
// reading every byte. The kernel also refuses writes to a running
// executable (ETXTBSY), which minemu cannot: a program rewritten in place
// while it runs (not replaced by a rename, as package managers do)
// changes under the guest, as under qemu.
//
// # The interpreter
//
// PT_INTERP names the dynamic linker by its absolute path. With
// Options.Sysroot set, SYSROOT/INTERP serves when it exists (qemu's -L;
// resolved as in a chroot, so the absolute links of unpacked packages
// stay inside the sysroot: InterpPath), else INTERP on the host: /lib/ld-linux.so.2 (Debian's libc6-i386) and
// /lib64/ld-linux-x86-64.so.2. The interpreter must be of the program's
// class. The guest starts at its entry; AT_BASE is its load bias and
// AT_PHDR, AT_PHENT, AT_PHNUM and AT_ENTRY describe the program, which the
// interpreter then relocates and whose libraries it maps itself through
// the guest's mmap. A missing interpreter is an error naming it (the
// kernel's execve gives ENOENT).
//
// # The initial stack
//
// Written exactly as create_elf_tables lays it out, from the top of the
// stack mapping down:
//
//	[top - 8, top)            reserved word
//	execfn\0                  AT_EXECFN
//	envp strings              last first
//	argv strings              argv[0] lowest
//	                          (aligned down to 16)
//	"i686\0" or "x86_64\0"    AT_PLATFORM
//	16 random bytes           AT_RANDOM
//	auxv pairs, AT_NULL last  HWCAP PAGESZ CLKTCK PHDR PHENT PHNUM BASE FLAGS
//	                          ENTRY UID EUID GID EGID SECURE RANDOM HWCAP2
//	                          EXECFN PLATFORM
//	NULL, envp[]
//	NULL, argv[]
//	argc                      <- SP, 16-byte aligned
//
// with words of the guest's pointer width (4 bytes for i386, 8 for x86-64).
package loader
