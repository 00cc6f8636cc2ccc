package linux

// --strace output, in the style of qemu-user's -strace:
//
//	4242 openat(AT_FDCWD,"/etc/hostname",0x0,0) = 3
//	4242 read(3,"host\n",4096) = 5
//	4242 open("/nonexistent",0x0,0) = -1 ENOENT (No such file or directory)
//	4242 exit_group(0) = ?
//
// The line is formatted into a reused buffer and written with one Write,
// only when tracing is on.

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// straceStrMax is how many bytes of a string or buffer argument are shown.
const straceStrMax = 32

// straceLine writes the trace line of call s. before is true for exit
// calls, traced before they run (their result is "?").
func (k *Process) straceLine(s *sysCall, e *sysEntry, r int64, before bool) {
	t := s.t
	b := t.straceBuf[:0]
	b = strconv.AppendInt(b, int64(t.tid), 10)
	b = append(b, ' ')
	b = append(b, sysName(s.abi, s.nr)...)
	b = append(b, '(')
	kinds := "xxxxxx"
	if e != nil && e.args != "*" {
		kinds = e.args
	}
	for i := 0; i < len(kinds) && i < len(s.a); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = k.straceArg(b, s, kinds[i], i, r)
	}
	b = append(b, ") = "...)
	switch {
	case before:
		b = append(b, '?')
	case r < 0 && r >= -4095:
		en := unix.Errno(-r)
		b = append(b, "-1 "...)
		if name := unix.ErrnoName(en); name != "" {
			b = append(b, name...)
		} else {
			b = append(b, "errno="...)
			b = strconv.AppendInt(b, -r, 10)
		}
		b = append(b, " ("...)
		b = append(b, en.Error()...)
		b = append(b, ')')
	case e != nil && e.ret == 'x':
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, uint64(r), 16)
	default:
		b = strconv.AppendInt(b, r, 10)
	}
	b = append(b, '\n')
	t.straceBuf = b
	k.straceMu.Lock()
	k.strace.Write(b)
	k.straceMu.Unlock()
}

// straceArg appends argument i of kind kind (linux_table.go lists the
// kinds).
func (k *Process) straceArg(b []byte, s *sysCall, kind byte, i int, r int64) []byte {
	v := s.a[i]
	switch kind {
	case 'd', 'f':
		return strconv.AppendInt(b, int64(s.int32Arg(i)), 10)
	case 'l':
		return strconv.AppendInt(b, s.longArg(i), 10)
	case 'u':
		return strconv.AppendUint(b, v, 10)
	case 'o':
		if v == 0 {
			return append(b, '0')
		}
		return strconv.AppendUint(append(b, '0'), v, 8)
	case 'a':
		if s.int32Arg(i) == unix.AT_FDCWD {
			return append(b, "AT_FDCWD"...)
		}
		return strconv.AppendInt(b, int64(s.int32Arg(i)), 10)
	case 'S':
		if n := s.int32Arg(i); n > 0 && n < 65 {
			if name := unix.SignalName(unix.Signal(n)); name != "" {
				return append(b, name...)
			}
		}
		return strconv.AppendInt(b, int64(s.int32Arg(i)), 10)
	case 'W', 'C', 'R', 'F', 'A', 'M', 'K', 'E':
		n := s.int32Arg(i)
		if name := straceEnumName(kind, n); name != "" {
			return append(b, name...)
		}
		return strconv.AppendInt(b, int64(n), 10)
	case 'p':
		if v == 0 {
			return append(b, "NULL"...)
		}
	case 's':
		if str, e := k.readString(v, sysPathMax); e == 0 {
			return appendQuoted(b, []byte(str), len(str))
		}
	case 'b', 'r':
		if v == 0 {
			return append(b, "NULL"...)
		}
		n := uint64(0)
		if kind == 'b' && i+1 < len(s.a) {
			n = s.a[i+1]
		} else if kind == 'r' && r > 0 {
			n = uint64(r)
		}
		if kind == 'r' && r < 0 {
			break
		}
		shown := min(n, straceStrMax)
		if rg, e := k.checkUser(v, shown, unix.PROT_READ); e == 0 {
			// A buffer that faults (a file mapping past its end) is
			// shown by its address.
			var out []byte
			if faultSafe(func() { out = appendQuoted(b, userView(rg), int(n)) }) {
				return out
			}
		}
	}
	return strconv.AppendUint(append(b, "0x"...), v, 16)
}

// straceEnums name the values of the enumerated argument kinds.
var straceEnums = map[byte]map[int]string{
	'W': {unix.SEEK_SET: "SEEK_SET", unix.SEEK_CUR: "SEEK_CUR", unix.SEEK_END: "SEEK_END",
		unix.SEEK_DATA: "SEEK_DATA", unix.SEEK_HOLE: "SEEK_HOLE"},
	'C': {unix.CLOCK_REALTIME: "CLOCK_REALTIME", unix.CLOCK_MONOTONIC: "CLOCK_MONOTONIC",
		unix.CLOCK_PROCESS_CPUTIME_ID: "CLOCK_PROCESS_CPUTIME_ID", unix.CLOCK_THREAD_CPUTIME_ID: "CLOCK_THREAD_CPUTIME_ID",
		unix.CLOCK_MONOTONIC_RAW: "CLOCK_MONOTONIC_RAW", unix.CLOCK_REALTIME_COARSE: "CLOCK_REALTIME_COARSE",
		unix.CLOCK_MONOTONIC_COARSE: "CLOCK_MONOTONIC_COARSE", unix.CLOCK_BOOTTIME: "CLOCK_BOOTTIME",
		unix.CLOCK_REALTIME_ALARM: "CLOCK_REALTIME_ALARM", unix.CLOCK_BOOTTIME_ALARM: "CLOCK_BOOTTIME_ALARM",
		unix.CLOCK_TAI: "CLOCK_TAI"},
	'R': {unix.RLIMIT_CPU: "RLIMIT_CPU", unix.RLIMIT_FSIZE: "RLIMIT_FSIZE", unix.RLIMIT_DATA: "RLIMIT_DATA",
		unix.RLIMIT_STACK: "RLIMIT_STACK", unix.RLIMIT_CORE: "RLIMIT_CORE", unix.RLIMIT_RSS: "RLIMIT_RSS",
		unix.RLIMIT_NPROC: "RLIMIT_NPROC", unix.RLIMIT_NOFILE: "RLIMIT_NOFILE", unix.RLIMIT_MEMLOCK: "RLIMIT_MEMLOCK",
		unix.RLIMIT_AS: "RLIMIT_AS", unix.RLIMIT_LOCKS: "RLIMIT_LOCKS", unix.RLIMIT_SIGPENDING: "RLIMIT_SIGPENDING",
		rlimitMsgqueue: "RLIMIT_MSGQUEUE", rlimitNice: "RLIMIT_NICE", rlimitRtprio: "RLIMIT_RTPRIO",
		rlimitRttime: "RLIMIT_RTTIME"},
	'F': {unix.F_DUPFD: "F_DUPFD", unix.F_GETFD: "F_GETFD", unix.F_SETFD: "F_SETFD", unix.F_GETFL: "F_GETFL",
		unix.F_SETFL: "F_SETFL", unix.F_GETLK: "F_GETLK", unix.F_SETLK: "F_SETLK", unix.F_SETLKW: "F_SETLKW",
		unix.F_SETOWN: "F_SETOWN", unix.F_GETOWN: "F_GETOWN", unix.F_SETSIG: "F_SETSIG", unix.F_GETSIG: "F_GETSIG",
		fcntlGetlk64: "F_GETLK64", fcntlSetlk64: "F_SETLK64", fcntlSetlkw64: "F_SETLKW64",
		unix.F_OFD_GETLK: "F_OFD_GETLK", unix.F_OFD_SETLK: "F_OFD_SETLK", unix.F_OFD_SETLKW: "F_OFD_SETLKW",
		unix.F_SETLEASE: "F_SETLEASE", unix.F_GETLEASE: "F_GETLEASE", unix.F_NOTIFY: "F_NOTIFY",
		unix.F_DUPFD_CLOEXEC: "F_DUPFD_CLOEXEC", unix.F_SETPIPE_SZ: "F_SETPIPE_SZ", unix.F_GETPIPE_SZ: "F_GETPIPE_SZ",
		unix.F_ADD_SEALS: "F_ADD_SEALS", unix.F_GET_SEALS: "F_GET_SEALS"},
	'A': {archSetGS: "ARCH_SET_GS", archSetFS: "ARCH_SET_FS", archGetFS: "ARCH_GET_FS", archGetGS: "ARCH_GET_GS"},
	'M': {unix.SIG_BLOCK: "SIG_BLOCK", unix.SIG_UNBLOCK: "SIG_UNBLOCK", unix.SIG_SETMASK: "SIG_SETMASK"},
	'K': {1: "SYS_SOCKET", 2: "SYS_BIND", 3: "SYS_CONNECT", 4: "SYS_LISTEN", 5: "SYS_ACCEPT", 6: "SYS_GETSOCKNAME",
		7: "SYS_GETPEERNAME", 8: "SYS_SOCKETPAIR", 9: "SYS_SEND", 10: "SYS_RECV", 11: "SYS_SENDTO", 12: "SYS_RECVFROM",
		13: "SYS_SHUTDOWN", 14: "SYS_SETSOCKOPT", 15: "SYS_GETSOCKOPT", 16: "SYS_SENDMSG", 17: "SYS_RECVMSG",
		18: "SYS_ACCEPT4", 19: "SYS_RECVMMSG", 20: "SYS_SENDMMSG"},
	'E': {unix.EPOLL_CTL_ADD: "EPOLL_CTL_ADD", unix.EPOLL_CTL_DEL: "EPOLL_CTL_DEL", unix.EPOLL_CTL_MOD: "EPOLL_CTL_MOD"},
}

// straceEnumName names value n of enumerated kind kind, "" when unknown.
func straceEnumName(kind byte, n int) string { return straceEnums[kind][n] }

// appendQuoted appends data as a C string literal; total is the full
// length, and "..." follows when data was cut short of it.
func appendQuoted(b, data []byte, total int) []byte {
	cut := len(data) > straceStrMax
	if cut {
		data = data[:straceStrMax]
	}
	b = append(b, '"')
	for _, c := range data {
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			if c < 0x20 || c >= 0x7f {
				b = append(b, '\\')
				b = append(b, '0'+c>>6, '0'+c>>3&7, '0'+c&7)
			} else {
				b = append(b, c)
			}
		}
	}
	b = append(b, '"')
	if cut || total > len(data) {
		b = append(b, "..."...)
	}
	return b
}

// i386's F_GETLK64, F_SETLK64, F_SETLKW64 (fcntl64's record locks), named
// in --strace's lines.
const (
	fcntlGetlk64  = 12
	fcntlSetlk64  = 13
	fcntlSetlkw64 = 14
)
