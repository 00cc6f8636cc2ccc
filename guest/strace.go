package guest

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
func (k *Linux) straceLine(s *sysCall, e *sysEntry, r int64, before bool) {
	b := k.straceBuf[:0]
	b = strconv.AppendInt(b, int64(k.pid), 10)
	b = append(b, ' ')
	b = append(b, sysName(s.abi, s.nr)...)
	b = append(b, '(')
	kinds := "xxxxxx"
	if e != nil {
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
	k.straceBuf = b
	k.strace.Write(b)
}

// straceArg appends argument i of kind kind.
func (k *Linux) straceArg(b []byte, s *sysCall, kind byte, i int, r int64) []byte {
	v := s.a[i]
	switch kind {
	case 'd':
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
