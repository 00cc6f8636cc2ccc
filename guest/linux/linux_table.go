package linux

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/filecall"
	"github.com/minemu/minemu/guest/linux/hostcall"
	"github.com/minemu/minemu/guest/linux/memcall"
)

// The system-call tables: one per ABI (linux_i386.go, linux_amd64.go),
// indexed by number, one entry per call the ABI has. An entry holds
// everything minemu knows of the call:
//
//   - its name (asm/unistd_32.h, asm/unistd_64.h: what logs, --stats and
//     --strace call it);
//   - its support level and, where that is not "full", a note saying what
//     is missing;
//   - its --strace format: one kind letter per argument and the kind of
//     the result;
//   - its handler, nil for a call minemu does not implement, which the
//     guest gets ENOSYS for (counted in --stats and logged at info level,
//     once per number: the guest's stderr is the guest's).
//
// Entries are written with the constructors full, pass, partial, refused
// and none, one line per call; a test checks every entry against
// golang.org/x/sys/unix's numbers and the format letters against
// straceArg.
//
// Format strings are the argument kinds, optionally followed by '=' and
// the result kind:
//
//	d int (a C int, sign-extended from 32 bits)
//	f file descriptor (shown as an int)
//	a directory descriptor of an *at call (AT_FDCWD by name)
//	l long (signed, the ABI's width)
//	u unsigned (the ABI's width)
//	x hex
//	o octal (a file mode)
//	p pointer (NULL by name)
//	s NUL-terminated string (a path), quoted
//	b buffer the call reads: quoted, its length the next argument
//	r buffer the call fills: quoted, its length the result
//	S signal number (by name)
//	W lseek whence (by name)
//	C clock id (by name)
//	R resource limit (by name)
//	F fcntl command (by name)
//	A arch_prctl code (by name)
//	M rt_sigprocmask how (by name)
//	K socketcall call (by name: SYS_SOCKET ...)
//	E epoll_ctl operation (by name)
//
// Result kinds: d decimal (the default), x hex (addresses), ? the call
// does not return (exit, exit_group: traced before it runs). A format of
// "*" means the arguments are unknown and are shown as six hex values, as
// for a number no table has.

import "strconv"

// sysHandler runs one system call for process k; s is the call, which
// knows its thread (s.t). It returns the result or -errno.
type sysHandler func(k *Process, s *sysCall) int64

// sysSupport is how completely minemu implements a system call.
type sysSupport uint8

const (
	// supNone: no handler; the guest gets ENOSYS, counted in --stats and
	// logged once per number at info level.
	supNone sysSupport = iota
	// supFull: the guest sees what the kernel would show it natively.
	supFull
	// supPass: forwarded to the host kernel, whose answer the guest gets,
	// after minemu checked the descriptors and pointers it names.
	supPass
	// supPartial: implemented with the limits the entry's note names.
	supPartial
	// supRefused: answered with a fixed error by design (the note says
	// why), never logged: libc expects and handles it.
	supRefused
)

// String names a support level.
func (s sysSupport) String() string {
	switch s {
	case supNone:
		return "unsupported"
	case supFull:
		return "full"
	case supPass:
		return "passthrough"
	case supPartial:
		return "partial"
	case supRefused:
		return "refused"
	}
	return "support" + strconv.Itoa(int(s))
}

// sysEntry is one system call of an ABI. An entry with an empty name is a
// number the ABI does not use.
type sysEntry struct {
	// name is the call's name in the ABI's unistd header.
	name string
	// support is how completely the call is implemented; note says what
	// is missing (partial) or why it is refused.
	support sysSupport
	note    string
	// args are the argument kinds for --strace, one letter each, or "*"
	// for six hex values; ret is the result's kind ('d', 'x' or '?').
	args string
	ret  byte
	// fn runs the call; nil for supNone. For a call of
	// guest/linux/hostcall it is sysHostcall, which runs hfn; for one of
	// guest/linux/filecall sysFilecall, which runs ffn; for one of
	// guest/linux/memcall sysMemcall, which runs mfn.
	fn  sysHandler
	hfn hostcall.Handler
	ffn filecall.Handler
	mfn memcall.Handler
}

// exits reports whether the call ends the guest (traced before it runs).
func (e *sysEntry) exits() bool { return e.ret == '?' }

// sysFormat splits a format string into argument kinds and result kind.
func sysFormat(format string) (args string, ret byte) {
	for i := 0; i < len(format); i++ {
		if format[i] == '=' {
			if i+2 != len(format) {
				panic("guest: bad syscall format " + strconv.Quote(format))
			}
			return format[:i], format[i+1]
		}
	}
	return format, 'd'
}

func entry[H handler](name string, sup sysSupport, format string, fn H, note string) sysEntry {
	args, ret := sysFormat(format)
	e := sysEntry{name: name, support: sup, note: note, args: args, ret: ret}
	switch f := any(fn).(type) {
	case func(*Process, *sysCall) int64:
		e.fn = f
	case sysHandler:
		e.fn = f
	case func(hostcall.Task, *hostcall.Call) int64:
		e.fn, e.hfn = sysHostcall, f
	case hostcall.Handler:
		e.fn, e.hfn = sysHostcall, f
	case func(filecall.Task, *hostcall.Call) int64:
		e.fn, e.ffn = sysFilecall, f
	case filecall.Handler:
		e.fn, e.ffn = sysFilecall, f
	case func(memcall.Task, *hostcall.Call) int64:
		e.fn, e.mfn = sysMemcall, f
	case memcall.Handler:
		e.fn, e.mfn = sysMemcall, f
	}
	return e
}

// handler is what the constructors take: a handler of this package's or
// one of guest/linux/hostcall's, guest/linux/filecall's or
// guest/linux/memcall's.
type handler interface {
	~func(*Process, *sysCall) int64 | ~func(hostcall.Task, *hostcall.Call) int64 | ~func(filecall.Task, *hostcall.Call) int64 |
		~func(memcall.Task, *hostcall.Call) int64
}

// full is a call implemented as the kernel does it.
func full[H handler](name, format string, fn H) sysEntry {
	return entry(name, supFull, format, fn, "")
}

// pass is a call forwarded to the host kernel after minemu's checks.
func pass[H handler](name, format string, fn H) sysEntry {
	return entry(name, supPass, format, fn, "")
}

// partial is a call implemented with the limits note names.
func partial[H handler](name, format string, fn H, note string) sysEntry {
	return entry(name, supPartial, format, fn, note)
}

// refused is a call answered by fn with a fixed error, by design.
func refused[H handler](name, format string, fn H, note string) sysEntry {
	return entry(name, supRefused, format, fn, note)
}

// none is a call minemu does not implement: ENOSYS.
func none(name, format string) sysEntry {
	return entry[sysHandler](name, supNone, format, nil, "")
}

// sysTable returns abi's table; nil for an unknown ABI.
func sysTable(abi cpu.ABI) []sysEntry {
	switch abi {
	case cpu.ABIi386:
		return i386Table[:]
	case cpu.ABIAMD64:
		return amd64Table[:]
	}
	return nil
}

// sysLookup returns the entry of number nr in abi's table, nil when the
// ABI has no such number.
func sysLookup(abi cpu.ABI, nr uint64) *sysEntry {
	t := sysTable(abi)
	if nr < uint64(len(t)) && t[nr].name != "" {
		return &t[nr]
	}
	return nil
}

// sysName names syscall nr of abi, or "syscall_<nr>" when unknown.
func sysName(abi cpu.ABI, nr uint64) string {
	if e := sysLookup(abi, nr); e != nil {
		return e.name
	}
	return "syscall_" + strconv.FormatUint(nr, 10)
}

// sysNumber returns the number of the call named name in abi.
func sysNumber(abi cpu.ABI, name string) (uint64, bool) {
	for nr, e := range sysTable(abi) {
		if e.name == name {
			return uint64(nr), true
		}
	}
	return 0, false
}

// Notes of the partial and refused entries.
const (
	noteKill        = "to itself and its process group (pid 0) only itself; kill(-1) refused (EPERM); other processes passed through"
	noteThreadKill  = "to its own threads through minemu's queues; other processes passed through"
	noteSleep       = "never EINTR: no signal reaches the guest, so an interrupted sleep resumes"
	noteIoctl       = "terminal and FIO* requests (TCGETS, TCSETS*, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX); others ENOTTY"
	noteFcntl       = "descriptor and status flags, owner, signal, leases, notify, pipe size, seals, F_DUPFD and record locks; others EINVAL"
	noteArchPrctl   = "ARCH_SET_FS, ARCH_GET_FS, ARCH_SET_GS, ARCH_GET_GS; others EINVAL"
	noteCloneThread = "threads only (CLONE_VM|CLONE_THREAD with FS, FILES, SIGHAND); fork, vfork and namespaces are ENOSYS"
	noteRseq        = "ENOSYS on purpose: glibc and musl run without it"
)

// sysCommonFirst is the first number both ABIs share: from 424
// (pidfd_send_signal) on, the kernel gives every new system call the same
// number in syscall_32.tbl and syscall_64.tbl.
const sysCommonFirst = 424

// sysTableLen is the length of both tables: one past the last number.
const sysTableLen = len(sysCommon)

// sysCommon holds the calls numbered from sysCommonFirst on, one entry per
// call as in the ABI tables, which withCommon gives both of them.
var sysCommon = [...]sysEntry{
	424: none("pidfd_send_signal", "fSpx"),
	425: refused("io_uring_setup", "up", sysNoSysQuiet, noteIOURing),
	426: refused("io_uring_enter", "fuuxpu", sysNoSysQuiet, noteIOURing),
	427: refused("io_uring_register", "fupu", sysNoSysQuiet, noteIOURing),
	428: none("open_tree", "asx"),
	429: none("move_mount", "asasx"),
	430: none("fsopen", "sx"),
	431: none("fsconfig", "fxspd"),
	432: none("fsmount", "fxx"),
	433: none("fspick", "asx"),
	434: pass("pidfd_open", "dx", hostcall.PidfdOpen),
	435: partial("clone3", "pu", sysClone3, noteCloneThread),
	436: full("close_range", "fux", sysCloseRange),
	437: none("openat2", "aspu"),
	438: refused("pidfd_getfd", "ffx", hostcall.RefuseEPERM, notePidfdGet),
	439: pass("faccessat2", "asox", filecall.Faccessat2),
	440: refused("process_madvise", "fpudx", hostcall.RefuseEPERM, noteProcMadv),
	441: full("epoll_pwait2", "fpdppu", hostcall.EpollPwait2),
	442: none("mount_setattr", "asxpu"),
	443: none("quotactl_fd", "fxup"),
	444: refused("landlock_create_ruleset", "pux", sysNoSysQuiet, noteLandlock),
	445: refused("landlock_add_rule", "ddpx", sysNoSysQuiet, noteLandlock),
	446: refused("landlock_restrict_self", "dx", sysNoSysQuiet, noteLandlock),
	447: none("memfd_secret", "x"),
	448: none("process_mrelease", "fx"),
	449: full("futex_waitv", "puxpC", sysFutexWaitv),
	450: none("set_mempolicy_home_node", "xuux"),
	451: none("cachestat", "fppx"),
	452: pass("fchmodat2", "asox", hostcall.Fchmodat2),
	453: none("map_shadow_stack", "xux"),
	454: full("futex_wake", "pxdx", sysFutexWake),
	455: full("futex_wait", "puxxpC", sysFutexWait),
	456: full("futex_requeue", "pxdd", sysFutexRequeue),
	457: none("statmount", "ppux"),
	458: none("listmount", "ppux"),
	459: none("lsm_get_self_attr", "uppx"),
	460: none("lsm_set_self_attr", "upux"),
	461: none("lsm_list_modules", "ppx"),
	462: none("mseal", "xux"),
	463: none("setxattrat", "asxspu"),
	464: none("getxattrat", "asxspu"),
	465: none("listxattrat", "asxpu"),
	466: none("removexattrat", "asxs"),
	467: none("open_tree_attr", "asxpu"),
	468: none("file_getattr", "aspux"),
	469: none("file_setattr", "aspux"),
	470: none("listns", "*"),
	471: none("rseq_slice_yield", "*"),
}

// withCommon returns t with the shared calls from sysCommonFirst on; t must
// not declare any of them itself.
func withCommon(t [sysTableLen]sysEntry) [sysTableLen]sysEntry {
	for nr := sysCommonFirst; nr < sysTableLen; nr++ {
		if t[nr].name != "" {
			panic("linux: " + t[nr].name + " declared in an ABI table and in sysCommon")
		}
		t[nr] = sysCommon[nr]
	}
	return t
}
