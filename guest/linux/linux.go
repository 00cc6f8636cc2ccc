// Package linux is minemu's Linux personality: the system calls of both
// ABIs, the Process and its Threads, the descriptor band, the procfs
// views and the --strace output. It sees CPU state (guest/cpu) and guest
// memory (mm) only, never how guest code is executed.
//
// The guest runs as a user process of the host kernel, so most system calls
// are forwarded to the host: minemu's own process is the guest's process.
// This layer does the four things forwarding alone cannot do.
//
//  1. Decode. Each ABI has its own numbers and registers: i386 (`int 0x80`)
//     takes the number in EAX and up to six arguments in EBX, ECX, EDX, ESI,
//     EDI, EBP, all 32 bits wide; x86-64 (`syscall`) takes the number in RAX
//     and arguments in RDI, RSI, RDX, R10, R8, R9. Syscall reads them into
//     a sysCall (one per Process, reused, so a call allocates nothing),
//     looks the number up in the ABI's table (linux_i386.go,
//     linux_amd64.go: one entry per call with its name, support level,
//     --strace format and handler; linux_table.go) and runs the handler. The result, a value or -errno, goes back to RAX
//     (zero-extended EAX for i386).
//
//  2. Check guest pointers. By identity mapping a guest pointer is a host
//     pointer. Where the host kernel can take it directly (read and write
//     buffers, getcwd, getrandom ...), it does, and checks the protection
//     itself (EFAULT). Before that, passPtr makes sure the range is the
//     guest's at all: it must not wrap, in Mode32 it must lie inside the
//     guest window [64 KiB, 4 GiB) (a 32-bit guest passes 32-bit
//     pointers), and every page must be guest-visible in GuestSpace, so
//     that no call makes the kernel write into memory of minemu's own
//     that happens to be mapped (a default-built binary's image inside the
//     window, the Go heap for a 64-bit guest). A buffer with a length
//     (read, write and their positioned and vector forms, getdents64,
//     getcwd, readlink, getrandom) may also be only partly the guest's:
//     kernelBuf (userbuf.go) then passes the guest's part and a guard page
//     after it, so that the kernel returns the short count or EFAULT it
//     returns natively and never reaches what is not the guest's. Where
//     minemu itself reads or writes guest memory (structures it
//     translates, paths it reads), usercopy_unsafe.go copies only after
//     GuestSpace.IsMapped confirmed every page with the needed protection,
//     and through faultSafe, since a file mapping past its file's end
//     faults all the same: a bad pointer is EFAULT for the guest, never a
//     fault in minemu.
//
//  3. Translate. i386 structures have their own layouts (struct stat,
//     stat64, timespec, iovec, rlimit, sigaction, stack_t, flock,
//     user_desc, sysinfo ...), described once for both ABIs in
//     linux_structs.txt, from which go generate writes the codecs here
//     and in each family's package (linux_structs_gen.go; linux_structs.go
//     and the families' structs.go turn host values into them). A value that does not fit the guest's field is EOVERFLOW
//     where Linux's compat layer says so (inode and size in the old stat,
//     lseek beyond 2 GiB) and truncated where Linux truncates (32-bit
//     seconds in timespec and time).
//
//  4. Emulate what belongs to the guest rather than to the host process:
//     memory (mmap, munmap, mprotect, mremap, madvise, brk through
//     mm.GuestSpace, so placement follows minemu's address layout), TLS
//     (arch_prctl sets CPU.FSBase/GSBase; set_thread_area keeps a
//     three-entry GDT per thread, see Thread.SegmentBase), signals
//     (dispositions, masks, alternate stacks, pending queues and delivery
//     on frames of the kernel's layout, syscall_signal.go), threads (clone
//     makes each guest thread a host thread of minemu's process, whose id
//     is its tid, the main thread's being the pid; futex words are the
//     guest's own, passed to the host; the robust lists are walked by
//     minemu and the process's end stops every thread: syscall_clone.go,
//     syscall_futex.go), uname's
//     machine ("i686" for i386 guests), /proc/self/exe (the guest's path,
//     not minemu's), the process's memory as the kernel shows it
//     (/proc/<tid>/mem and process_vm_readv/writev reach only guest
//     memory, and in Mode32 the maps files list only it: procfs.go,
//     guest/linux/procfs), minemu's own file descriptors, which live in a band
//     above the guest's numbers (guest/linux/fdband) and which the guest can
//     neither use, close, dup onto nor list in /proc/self/fd, and the
//     resource limits (syscall_rlimit.go), which are the guest's, not
//     the process's.
//
// The handlers live by family. This package keeps the calls that are the
// process's own state (signals, clone, fork and execve, futexes, the TLS
// and LDT descriptors, nanosleep); the others are packages of their own
// that see the calling thread through a Task this package implements on
// one adapter, set up per call in the Thread (syscall_hostcall.go,
// syscall_filecall.go, syscall_memcall.go): guest/linux/hostcall (what the
// host serves once checked and translated: poll, sockets, timers, ids,
// clocks ...), guest/linux/filecall (transfers, open, dup, fcntl, stat,
// paths, getdents64) and guest/linux/memcall (mappings, resource limits,
// memory locking). The tables name each call's handler wherever it lives.
//
// Anything else is -ENOSYS, counted for --stats and logged once per ABI
// and number at info level (below minemu's default level: the guest's
// stderr is the guest's).
//
// A Process is the guest process: what its threads share (the address
// space, descriptors and their tracking, signal dispositions, resource
// limits, counters). A Thread (linux_thread.go) is one guest thread: its
// tid, signal mask and alternate stack, i386 TLS entries, the addresses
// set_tid_address and set_robust_list gave, and the system call it has in
// flight. A system call runs for a thread (Thread.Syscall); the Kernel
// method Process.Syscall runs it for the main thread, and each thread clone
// creates is its own Kernel (syscall_clone.go). Each thread's calls come
// from one goroutine at a time; different threads' calls run concurrently.
// Stats may be called from any goroutine at any time.
//
// Locks, in the order they nest (an outer lock may be held while taking an
// inner one, never the reverse); each guards only what its field comment
// says, and none is held across a blocking host call:
//
//	Process.groupMu    the thread group's end and the threads' engine handles
//	                   (taken alone; held across the engine's Thread.Kill)
//	Process.threadsMu  the thread registry
//	Process.sigMu      dispositions, pending signals, every Thread's mask
//	Process.limMu      the resource limits (held across GuestSpace.SetLimits)
//	Process.fdMu       the /proc/<tid>/mem descriptor table
//	Process.enosysMu   the ENOSYS counts
//	Process.straceMu   one --strace line at a time
//	mm.GuestSpace's own lock, innermost
//
// Per-thread state needs no lock: only its own thread's goroutine touches
// it. Counters are atomic. What is fixed at creation is read freely.
package linux

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/minemu/minemu/guest/linux/ldt"
	"github.com/minemu/minemu/guest/linux/signal"

	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// ProcessConfig configures NewProcess.
type ProcessConfig struct {
	// Mode is the guest's bitness; Mode32 confines every guest pointer to
	// the guest window.
	Mode mm.Mode
	// Space is the guest address space: mmap, munmap, mprotect, mremap,
	// madvise and brk go through it, and it answers whether a guest
	// pointer names guest-visible memory.
	Space *mm.GuestSpace
	// ExePath is what /proc/self/exe means for the guest (readlink, open,
	// stat): the path of the guest binary, made absolute by NewProcess as
	// the kernel's link is.
	ExePath string
	// Strace, when non-nil, receives one line per system call in the style
	// of qemu-user's -strace: `pid name(args) = result`.
	Strace io.Writer
	// Log receives warnings (unknown syscalls, once per number) and debug
	// details of refused calls.
	Log zerolog.Logger
	// FDBand is the process's descriptor band (PrepareHost); nil means
	// NewProcess calls PrepareHost itself.
	FDBand *fdband.Band
	// Spawn says how fork and execve start a new minemu.
	Spawn SpawnConfig

	// Sysroot, when set, is searched first for the absolute paths the
	// guest opens (sysroot.go).
	Sysroot string

	// Frames describes the FPU state signal frames carry: the features
	// of the guest's CPU model (the zero value: an FXSAVE image only).
	Frames cpu.FrameConfig
	// JobControl makes the stop signals' default action stop the host
	// process (minemu run); off, they are ignored.
	JobControl bool
}

// Process is the guest process as its Linux kernel sees it. It implements
// Kernel for its main thread.
type Process struct {
	// mode, space, exePath, strace, log, pid, band and probe are fixed at
	// creation.
	mode    mm.Mode
	space   *mm.GuestSpace
	exePath string
	strace  io.Writer
	log     zerolog.Logger
	// pid is the host process id, which is also the guest's pid and its
	// main thread's tid.
	pid int
	// band says which descriptors are minemu's; the guest sees them as
	// closed.
	band *fdband.Band
	// probe is random bytes in minemu's own memory: a task whose memory
	// gives back the probe at its address is this process (procfs.go).
	probe *[probeSize]byte

	// spawn is how fork and execve start a new minemu. Fixed.
	spawn SpawnConfig
	// vfork is set in a vfork child until it releases its parent
	// (ReleaseVfork).
	vfork atomic.Pointer[vforkChild]
	// sysroot is ProcessConfig.Sysroot made absolute ("" for none).
	// Fixed at creation.
	sysroot string
	// execMu guards exec, the program the guest runs as procfs shows it
	// (procself.go); SetExecImage sets it before the guest starts.
	execMu sync.Mutex
	exec   ExecImage

	// main is the thread NewProcess creates (tid == pid). Fixed.
	main *Thread

	// ldt is the local descriptor table modify_ldt writes (syscall_ldt.go).
	ldt ldt.Table

	// threadsMu guards threads.
	threadsMu sync.Mutex
	// threads maps the tid of every guest thread to it, main included;
	// NewThread adds, Thread.Exit removes.
	threads map[int]*Thread

	// sigMu guards sigActions and sigShared, and the sigMask and signal
	// queue of every Thread (syscall_signal.go).
	sigMu sync.Mutex
	// sigActions[sig-1] is the disposition of signal sig (1..64).
	sigActions [64]signal.Action
	// sigShared holds the process-directed signals pending (kill, timers,
	// host signals sent to the process).
	sigShared signal.Queue
	// sigfds are the guest's signalfds by descriptor (syscall_signalfd.go);
	// guarded by sigMu, nsigfds their number (atomic), read without it.
	sigfds  map[int]*sigFD
	nsigfds atomic.Int64

	// Signal delivery, fixed at creation: frames says what a signal frame
	// holds (the guest CPU's features), jobControl whether the stop
	// signals stop the host process. tramp is the i386 sigreturn
	// trampoline page, mapped once on first use (trampOnce).
	frames     cpu.FrameConfig
	jobControl bool
	trampOnce  sync.Once
	tramp      uint64

	// limMu guards rlim.
	limMu sync.Mutex
	// rlim are the guest's resource limits (syscall_rlimit.go), for the
	// resources whose limit is not simply the host's.
	rlim [rlimNLimits]unix.Rlimit

	// fdMu guards procMem.
	fdMu sync.Mutex
	// unjudged counts the calls creating guest descriptors that are in
	// flight (procfs.go, judging); atomic.
	unjudged atomic.Int32
	// procMem maps each guest descriptor open on a mem file of this
	// process to its access mode; every transfer through one is clipped
	// to guest memory (procfs.go). Kept by the open, dup and close
	// handlers. It is complete while descriptors are created by one
	// thread at a time (see procfs.go on threads).
	procMem map[int]memAccess

	// counts[abi][nr] counts calls of known numbers (nr < sysMaxNr);
	// updated atomically, read by Stats.
	counts [2][sysMaxNr]atomic.Uint64

	// enosysMu guards enosys.
	enosysMu sync.Mutex
	// enosys counts calls of numbers answered with ENOSYS because no
	// handler exists; the first call of each key is logged.
	enosys map[enosysKey]uint64

	// straceMu serializes writes to strace, so that the lines of
	// concurrent threads do not interleave.
	straceMu sync.Mutex

	// Thread group (syscall_clone.go).
	//
	// starter starts the threads clone creates; nil makes clone ENOSYS.
	// Set once before the guest runs.
	starter cpu.ThreadStarter
	// groupMu guards live, end, endBy (the thread that decided it),
	// mainCode and every Thread's handle and ended.
	groupMu sync.Mutex
	// live counts the threads whose run has not ended, main included.
	live int
	// end is how the process ends, once decided: by exit_group, a fatal
	// fault or signal of any thread, or the last thread's exit (with the
	// main thread's code, as the kernel reports the group leader's);
	// ended is closed when it is set.
	end      *cpu.Exit
	ended    chan struct{}
	endBy    *Thread
	mainCode int

	// writeHook, set once by the engine before any thread runs, is told of
	// every guest range the kernel wrote on the guest's behalf (see
	// wrote); nil when no engine listens.
	writeHook func(mm.AddrRange)
}

// Process is the Kernel of a Machine, resolves i386 TLS selectors for it and
// tells it which guest memory system calls wrote.
var (
	_ cpu.Kernel             = (*Process)(nil)
	_ cpu.SegmentResolver    = (*Process)(nil)
	_ cpu.GuestWriteNotifier = (*Process)(nil)
)

// SetGuestWriteHook implements GuestWriteNotifier: f is called with every
// guest range a system call wrote, whether the host kernel wrote it (read,
// pread64, readv, getrandom, getcwd, readlink, getdents64, statx, pipe2,
// the ioctls that return a structure, F_GETLK, gettimeofday's timezone,
// getrlimit, prlimit64, sched_getaffinity) or minemu copied it out, so
// that decoded code there is dropped as after a guest store.
func (k *Process) SetGuestWriteHook(f func(mm.AddrRange)) { k.writeHook = f }

// wrote reports that the kernel wrote n bytes of guest memory at addr.
func (k *Process) wrote(addr, n uint64) {
	if k.writeHook == nil || n == 0 {
		return
	}
	if r, ok := mm.NewRange(mm.Addr(addr), n); ok {
		k.writeHook(r)
	}
}

// wroteRet reports a host call that wrote up to its result's worth of
// bytes at addr (read, pread64, getrandom, readlink, getdents64) and
// passes the result through.
func (k *Process) wroteRet(addr uint64, ret int64) int64 {
	if ret > 0 {
		k.wrote(addr, uint64(ret))
	}
	return ret
}

// sysMaxNr bounds the syscall numbers counted per ABI; both tables end
// well below it.
const sysMaxNr = 512

// enosysKey identifies an unimplemented syscall.
type enosysKey struct {
	abi cpu.ABI
	nr  uint64
}

// sysCall is one system call in flight.
type sysCall struct {
	// t is the calling thread.
	t *Thread
	// c is the calling thread's CPU state.
	c *cpu.CPU
	// abi is the calling convention (and thereby the struct layouts).
	abi cpu.ABI
	// nr is the syscall number as the guest passed it.
	nr uint64
	// a are the six arguments; for ABIi386 each is zero-extended from 32
	// bits.
	a [6]uint64
	// exit is set by a handler that ends the guest.
	exit *cpu.Exit
	// sigreturn is set by rt_sigreturn and sigreturn, whose result is the
	// restored RAX, never a restart code.
	sigreturn bool
}

// NewProcess returns the Process of one guest.
func NewProcess(cfg ProcessConfig) (*Process, error) {
	if cfg.Mode != mm.Mode32 && cfg.Mode != mm.Mode64 {
		return nil, fmt.Errorf("guest: NewProcess: invalid mode %d", cfg.Mode)
	}
	if cfg.Space == nil {
		return nil, fmt.Errorf("guest: NewProcess: no guest address space")
	}
	// The kernel's /proc/self/exe link is always absolute (glibc asserts
	// it in _dl_get_origin).
	exe := cfg.ExePath
	if exe != "" {
		abs, err := filepath.Abs(exe)
		if err != nil {
			return nil, fmt.Errorf("guest: NewProcess: executable path: %v", err)
		}
		exe = abs
	}
	sysroot := cfg.Sysroot
	if sysroot != "" {
		abs, err := filepath.Abs(sysroot)
		if err != nil {
			return nil, fmt.Errorf("guest: NewProcess: sysroot: %v", err)
		}
		sysroot = abs
	}
	band := cfg.FDBand
	if band == nil {
		var err error
		if band, err = fdband.PrepareHost(); err != nil {
			return nil, err
		}
	}
	probe, err := newProbe()
	if err != nil {
		return nil, err
	}
	k := &Process{
		mode:    cfg.Mode,
		space:   cfg.Space,
		exePath: exe,
		strace:  cfg.Strace,
		log:     cfg.Log,
		pid:     os.Getpid(),
		band:    band,
		probe:   probe,
		spawn:   cfg.Spawn,
		sysroot: sysroot,
		threads: make(map[int]*Thread),
		procMem: make(map[int]memAccess),
		enosys:  make(map[enosysKey]uint64),
		live:    1,
		ended:   make(chan struct{}),
		frames:  cfg.Frames,

		jobControl: cfg.JobControl,
	}
	if k.frames.MXCSRMask == 0 {
		k.frames.MXCSRMask = 0xffff
	}
	if k.main, err = k.NewThread(k.pid, nil); err != nil {
		return nil, err
	}
	k.initRlimits()
	k.trackInherited()
	return k, nil
}

// FDBand returns the descriptor band the Process hides from the guest.
func (k *Process) FDBand() *fdband.Band { return k.band }

// Syscall implements Kernel: it runs the system call c asks for on the
// main thread (Thread.Syscall).
func (k *Process) Syscall(c *cpu.CPU, abi cpu.ABI) *cpu.Exit { return k.main.Syscall(c, abi) }

// Syscall runs the system call that CPU state c, the thread's, asks for in
// abi's convention: the number and arguments come from c.Regs, the result
// (a value or -errno) goes back to RAX. A non-nil Exit ends the guest.
func (t *Thread) Syscall(c *cpu.CPU, abi cpu.ABI) *cpu.Exit {
	k := t.p
	s := &t.cur
	s.t, s.c, s.abi, s.exit = t, c, abi, nil
	switch abi {
	case cpu.ABIi386:
		s.nr = c.Regs[cpu.RAX] & 0xffffffff
		s.a = [6]uint64{
			c.Regs[cpu.RBX] & 0xffffffff, c.Regs[cpu.RCX] & 0xffffffff, c.Regs[cpu.RDX] & 0xffffffff,
			c.Regs[cpu.RSI] & 0xffffffff, c.Regs[cpu.RDI] & 0xffffffff, c.Regs[cpu.RBP] & 0xffffffff,
		}
	case cpu.ABIAMD64:
		s.nr = c.Regs[cpu.RAX]
		s.a = [6]uint64{c.Regs[cpu.RDI], c.Regs[cpu.RSI], c.Regs[cpu.RDX], c.Regs[cpu.R10], c.Regs[cpu.R8], c.Regs[cpu.R9]}
	default:
		return &cpu.Exit{Signal: unix.SIGSYS, Detail: fmt.Sprintf("invalid syscall ABI %d", abi)}
	}
	e := sysLookup(abi, s.nr)
	if s.nr < sysMaxNr {
		k.counts[abi-cpu.ABIi386][s.nr].Add(1)
	}
	exits := e != nil && e.exits()
	if exits && k.strace != nil {
		k.straceLine(s, e, 0, true)
	}
	var r int64
	if e == nil || e.fn == nil {
		r = k.noSys(s)
	} else {
		r = e.fn(k, s)
	}
	if k.strace != nil && !exits {
		k.straceLine(s, e, r, false)
	}
	if abi == cpu.ABIi386 && k.mode == mm.Mode32 {
		c.Regs[cpu.RAX] = uint64(uint32(r))
	} else { // int 0x80 from 64-bit code gets the result sign-extended, as from the kernel
		c.Regs[cpu.RAX] = uint64(r)
	}
	return t.afterSyscall(c, s, r)
}

// noSys answers a number without a handler: -ENOSYS, counted for --stats
// and logged at info level the first time (the guest's stderr is the
// guest's: minemu's default level does not show it).
func (k *Process) noSys(s *sysCall) int64 {
	key := enosysKey{s.abi, s.nr}
	k.enosysMu.Lock()
	n := k.enosys[key]
	k.enosys[key] = n + 1
	k.enosysMu.Unlock()
	if n == 0 {
		k.log.Info().Str("abi", abiName(s.abi)).Uint64("nr", s.nr).Str("name", sysName(s.abi, s.nr)).
			Msg("unimplemented guest syscall; returning ENOSYS")
	}
	return -int64(unix.ENOSYS)
}

// abiName names an ABI for logs and statistics.
func abiName(a cpu.ABI) string {
	switch a {
	case cpu.ABIi386:
		return "i386"
	case cpu.ABIAMD64:
		return "x86_64"
	}
	return "abi" + strconv.Itoa(int(a))
}

// SyscallStats summarizes the guest's system calls.
type SyscallStats struct {
	// Calls counts calls by syscall name (both ABIs together).
	Calls map[string]uint64 `json:"calls"`
	// Total is the sum of Calls.
	Total uint64 `json:"total"`
	// ENOSYS lists the numbers that had no handler, sorted by ABI and
	// number.
	ENOSYS []ENOSYSCount `json:"enosys"`
}

// ENOSYSCount is one unimplemented syscall the guest asked for.
type ENOSYSCount struct {
	ABI    string `json:"abi"`
	Number uint64 `json:"number"`
	Name   string `json:"name"`
	Count  uint64 `json:"count"`
}

// Stats returns the call counts so far.
func (k *Process) Stats() SyscallStats {
	st := SyscallStats{Calls: make(map[string]uint64), ENOSYS: []ENOSYSCount{}}
	for ai, abi := range []cpu.ABI{cpu.ABIi386, cpu.ABIAMD64} {
		for nr := range k.counts[ai] {
			if n := k.counts[ai][nr].Load(); n != 0 {
				st.Calls[sysName(abi, uint64(nr))] += n
				st.Total += n
			}
		}
	}
	k.enosysMu.Lock()
	for key, n := range k.enosys {
		st.ENOSYS = append(st.ENOSYS, ENOSYSCount{ABI: abiName(key.abi), Number: key.nr, Name: sysName(key.abi, key.nr), Count: n})
		if key.nr >= sysMaxNr {
			st.Calls[sysName(key.abi, key.nr)] += n
			st.Total += n
		}
	}
	k.enosysMu.Unlock()
	sort.Slice(st.ENOSYS, func(i, j int) bool {
		a, b := st.ENOSYS[i], st.ENOSYS[j]
		if a.ABI != b.ABI {
			return a.ABI < b.ABI
		}
		return a.Number < b.Number
	})
	return st
}

// Argument accessors. C `int` arguments are 32 bits in both ABIs; `long`
// and pointers are 32 bits for i386 (already zero-extended) and 64 bits for
// x86-64.

// int32Arg is argument i as a C int.
func (s *sysCall) int32Arg(i int) int { return int(int32(s.a[i])) }

// longArg is argument i as a C long (sign-extended on i386).
func (s *sysCall) longArg(i int) int64 {
	if s.abi == cpu.ABIi386 {
		return int64(int32(s.a[i]))
	}
	return int64(s.a[i])
}

// errno turns an error from mm.GuestSpace or x/sys/unix into a negative
// errno result.
func errno(err error) int64 {
	if e, ok := err.(unix.Errno); ok {
		return -int64(e)
	}
	return -int64(unix.EIO)
}

// hostRet turns a raw host syscall result into a guest result.
func hostRet(r uintptr, e unix.Errno) int64 {
	if e != 0 {
		return -int64(e)
	}
	return int64(r)
}

// userRange validates the guest range [addr, addr+n): it must not wrap,
// and in Mode32 it must lie inside the guest window. An empty range is
// always valid (the kernel never touches it).
func (k *Process) userRange(addr, n uint64) (mm.AddrRange, unix.Errno) {
	r, ok := mm.NewRange(mm.Addr(addr), n)
	if !ok || r.End > mm.UserLimit {
		return mm.AddrRange{}, unix.EFAULT
	}
	if n == 0 {
		return r, 0
	}
	if k.mode == mm.Mode32 && (r.Start < mm.GuestWindowStart || r.End > mm.Limit32) {
		return mm.AddrRange{}, unix.EFAULT
	}
	return r, 0
}

// passPtr validates a guest buffer the host kernel will access directly
// and returns it as a syscall argument: every page must be guest-visible;
// the kernel checks the protection.
func (k *Process) passPtr(addr, n uint64) (uintptr, unix.Errno) {
	if _, e := k.checkUser(addr, n, unix.PROT_NONE); e != 0 {
		return 0, e
	}
	return uintptr(addr), 0
}

// checkUser validates a guest range minemu itself will access with prot
// (PROT_READ to copy in, PROT_WRITE to copy out).
func (k *Process) checkUser(addr, n uint64, prot int) (mm.AddrRange, unix.Errno) {
	r, e := k.userRange(addr, n)
	if e != 0 {
		return r, e
	}
	if n != 0 && !k.space.IsMapped(r, prot) {
		return r, unix.EFAULT
	}
	return r, 0
}

// copyIn fills dst from guest memory at addr.
func (k *Process) copyIn(addr uint64, dst []byte) unix.Errno {
	r, e := k.checkUser(addr, uint64(len(dst)), unix.PROT_READ)
	if e != 0 {
		return e
	}
	if !faultSafe(func() { copy(dst, userView(r)) }) {
		return unix.EFAULT
	}
	return 0
}

// copyOut writes src to guest memory at addr.
func (k *Process) copyOut(addr uint64, src []byte) unix.Errno {
	r, e := k.checkUser(addr, uint64(len(src)), unix.PROT_WRITE)
	if e != 0 {
		return e
	}
	ok := faultSafe(func() { copy(userView(r), src) })
	k.wrote(addr, uint64(len(src))) // even a faulting copy may have written some
	if !ok {
		return unix.EFAULT
	}
	return 0
}

// sysPathMax is PATH_MAX: the longest path, NUL included.
const sysPathMax = 4096

// readString reads a NUL-terminated guest string of at most max bytes
// (NUL included). ENAMETOOLONG when no NUL is found within max bytes,
// EFAULT when the string runs into an unreadable page.
func (k *Process) readString(addr uint64, max int) (string, unix.Errno) {
	var b strings.Builder
	for b.Len() < max {
		// Up to the end of the page holding addr.
		n := uint64(mm.PageSize) - addr&mm.PageMask
		if rem := uint64(max - b.Len()); n > rem {
			n = rem
		}
		r, e := k.checkUser(addr, n, unix.PROT_READ)
		if e != 0 {
			return "", e
		}
		nul := -1
		if !faultSafe(func() {
			chunk := userView(r)
			if nul = bytes.IndexByte(chunk, 0); nul >= 0 {
				chunk = chunk[:nul]
			}
			b.Write(chunk)
		}) {
			return "", unix.EFAULT
		}
		if nul >= 0 {
			return b.String(), 0
		}
		addr += n
	}
	return "", unix.ENAMETOOLONG
}

// path reads a path argument.
func (k *Process) path(addr uint64) (string, unix.Errno) {
	if addr == 0 {
		return "", unix.EFAULT
	}
	return k.readString(addr, sysPathMax)
}

// isSelfExe reports whether p names the running program's executable.
func (k *Process) isSelfExe(p string) bool {
	switch p {
	case "/proc/self/exe", "/proc/thread-self/exe", "/proc/" + strconv.Itoa(k.pid) + "/exe":
		return true
	}
	return false
}

// hostPath maps a guest path to the host path that means the same file
// for the guest: /proc/self/exe is the guest binary, and an absolute path
// is looked up in the sysroot first (sysroot.go).
func (k *Process) hostPath(p string) string {
	if k.exePath != "" && k.isSelfExe(p) {
		return k.exePath
	}
	return k.sysrootPath(p)
}

// fd validates a file descriptor argument: minemu's own descriptors do not
// exist for the guest.
func (k *Process) fd(v int) (int, unix.Errno) {
	if k.band.Owns(v) {
		return 0, unix.EBADF
	}
	return v, 0
}

// dirfd validates a directory descriptor argument (AT_FDCWD allowed).
func (k *Process) dirfd(v int) (int, unix.Errno) {
	if v == unix.AT_FDCWD {
		return v, 0
	}
	return k.fd(v)
}

// dirPath validates the directory descriptor and reads the path of an *at
// call; a path through /proc/self/fd to one of minemu's descriptors comes
// back naming a closed one (hideFDPath).
func (k *Process) dirPath(dirfd int, pathAddr uint64) (int, string, unix.Errno) {
	dirfd, e := k.dirfd(dirfd)
	if e != 0 {
		return 0, "", e
	}
	p, e := k.path(pathAddr)
	if e != 0 {
		return dirfd, p, e
	}
	return dirfd, k.hideFDPath(dirfd, p), 0
}
