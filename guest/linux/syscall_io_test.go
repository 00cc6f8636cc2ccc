package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// put32s writes 32-bit words at a.
func (e *sysEnv) put32s(a uint64, v ...uint32) uint64 {
	for i, x := range v {
		le.PutUint32(e.view(a+uint64(4*i), 4), x)
	}
	return a
}

// putPtrs writes pointer-sized values at a in e's ABI.
func (e *sysEnv) putPtrs(a uint64, v ...uint64) uint64 {
	for i, x := range v {
		if e.abi == cpu.ABIi386 {
			le.PutUint32(e.view(a+uint64(4*i), 4), uint32(x))
		} else {
			le.PutUint64(e.view(a+uint64(8*i), 8), x)
		}
	}
	return a
}

// pipe returns a fresh pipe of the test's, closed at the end.
func pipe(t *testing.T) [2]int {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p
}

// bandFD returns a descriptor of minemu's (in the band).
func bandFD(t *testing.T, e *sysEnv) int {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	bfd, err := e.k.band.Move(fd)
	if err != nil {
		t.Fatalf("Move: %v", err)
	}
	t.Cleanup(func() { e.k.band.Release(bfd) })
	return bfd
}

// TestPollHidesBand: poll answers minemu's descriptors POLLNVAL, as for
// closed ones, at once, and passes the guest's through.
func TestPollHidesBand(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			p := pipe(t)
			unix.Write(p[1], []byte("x"))
			bfd := bandFD(t, e)
			fds := e.mem
			e.put32s(fds, uint32(p[0]), unix.POLLIN, uint32(bfd), unix.POLLIN, ^uint32(0), unix.POLLIN)
			if r := e.sys("poll", fds, 3, 10000); r != 2 {
				t.Fatalf("poll = %d, want 2", r)
			}
			got := []uint16{le.Uint16(e.view(fds+6, 2)), le.Uint16(e.view(fds+14, 2)), le.Uint16(e.view(fds+22, 2))}
			want := []uint16{unix.POLLIN, unix.POLLNVAL, 0}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("revents %v, want %v", got, want)
				}
			}
			// The guest's fd field is left as it was.
			if fd := le.Uint32(e.view(fds+8, 4)); fd != uint32(bfd) {
				t.Fatalf("fd field rewritten to %d", fd)
			}
			if r := e.sys("poll", fds, 1<<30, 0); r != errnoRet(unix.EINVAL) {
				t.Fatalf("poll(nfds > RLIMIT_NOFILE) = %d, want -EINVAL", r)
			}
		})
	}
}

// TestSelectGranule: the kernel copies fd_sets in longs, 4 bytes for i386
// and 8 for x86-64, so a set that ends 12 bytes before an unmapped page
// holds 65 descriptors for i386 but not for x86-64.
func TestSelectGranule(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			a := e.mapPages(1, unix.PROT_READ|unix.PROT_WRITE)
			set := a + mm.PageSize - 12
			clear(e.view(set, 12))
			tv := e.putPtrs(e.mem, 0, 0)
			name := "select"
			if tc.abi == cpu.ABIi386 {
				name = "_newselect"
			}
			r := e.sys(name, 65, set, 0, 0, tv)
			want := int64(0)
			if tc.abi == cpu.ABIAMD64 {
				want = errnoRet(unix.EFAULT)
			}
			if r != want {
				t.Fatalf("%s(65, set 12 bytes before a hole) = %d, want %d", name, r, want)
			}
			// A descriptor of minemu's in the set: EBADF, as a closed one.
			bfd := bandFD(t, e)
			if bfd < 1024 {
				big := e.mem + 1024
				clear(e.view(big, 128))
				e.view(big+uint64(bfd/8), 1)[0] |= 1 << (bfd % 8)
				if r := e.sys(name, uint64(bfd+1), big, 0, 0, tv); r != errnoRet(unix.EBADF) {
					t.Fatalf("select on a band descriptor = %d, want -EBADF", r)
				}
			}
		})
	}
}

// TestOldSelectI386: i386's select (82) takes its five arguments in a
// sel_arg_struct; the remaining time goes back to the 8-byte timeval.
func TestOldSelectI386(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	p := pipe(t)
	set := e.mem + 256
	clear(e.view(set, 8))
	e.view(set, 8)[p[1]/8] |= 1 << (p[1] % 8)
	tv := e.put32s(e.mem+512, 5, 0)
	args := e.put32s(e.mem, uint32(p[1]+1), 0, uint32(set), 0, uint32(tv))
	if r := e.sys("select", args); r != 1 {
		t.Fatalf("select = %d, want 1", r)
	}
	if sec := le.Uint32(e.view(tv, 4)); sec > 5 {
		t.Fatalf("remaining %d s, want <= 5", sec)
	}
	if r := e.sys("select", e.unmappedPage()); r != errnoRet(unix.EFAULT) {
		t.Fatalf("select(bad args) = %d, want -EFAULT", r)
	}
}

// TestSocketcallI386: socketcall runs the call its number names with the
// arguments read from guest memory.
func TestSocketcallI386(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	sv := e.mem + 1024
	args := e.put32s(e.mem, unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0, uint32(sv))
	if r := e.sys("socketcall", 8, args); r != 0 {
		t.Fatalf("socketcall(SOCKETPAIR) = %d", r)
	}
	a, b := le.Uint32(e.view(sv, 4)), le.Uint32(e.view(sv+4, 4))
	defer unix.Close(int(a))
	defer unix.Close(int(b))
	msg := e.str(e.mem+2048, "hi")
	e.put32s(args, a, uint32(msg), 2, 0)
	if r := e.sys("socketcall", 9, args); r != 2 { // SEND
		t.Fatalf("socketcall(SEND) = %d", r)
	}
	buf := e.mem + 4096
	e.put32s(args, b, uint32(buf), 16, 0)
	if r := e.sys("socketcall", 10, args); r != 2 || string(e.view(buf, 2)) != "hi" { // RECV
		t.Fatalf("socketcall(RECV) = %d, %q", r, e.view(buf, 2))
	}
	for _, c := range []struct {
		call uint64
		args uint64
		want int64
	}{
		{0, args, errnoRet(unix.EINVAL)},
		{21, args, errnoRet(unix.EINVAL)},
		{1, e.unmappedPage(), errnoRet(unix.EFAULT)},
	} {
		if r := e.sys("socketcall", c.call, c.args); r != c.want {
			t.Errorf("socketcall(%d) = %d, want %d", c.call, r, c.want)
		}
	}
}

// TestMsghdrChecks: every pointer of a msghdr is the guest's before the
// kernel sees it: a name, iovec array or control buffer in minemu's memory
// is EFAULT; an iovlen above UIO_MAXIOV EMSGSIZE; a negative namelen
// EINVAL.
func TestMsghdrChecks(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			defer unix.Close(fds[1])
			host, _ := hostAddr(t)
			data, iov, msg := e.str(e.mem+4096, "data"), e.mem+1024, e.mem
			e.putPtrs(iov, data, 4)
			build := func(name uint64, namelen uint32, iov, iovlen, ctl, ctllen uint64) {
				clear(e.view(msg, 64))
				if tc.abi == cpu.ABIi386 {
					e.put32s(msg, uint32(name), namelen, uint32(iov), uint32(iovlen), uint32(ctl), uint32(ctllen), 0)
				} else {
					e.putPtrs(msg, name)
					e.put32s(msg+8, namelen)
					e.putPtrs(msg+16, iov, iovlen, ctl, ctllen)
				}
			}
			hostIov := e.mem + 2048
			e.putPtrs(hostIov, host, 4)
			for _, c := range []struct {
				name                     string
				nm                       uint64
				nmlen                    uint32
				iov, iovlen, ctl, ctllen uint64
				wantSend, wantRecv       int64
			}{
				{"plain", 0, 0, iov, 1, 0, 0, 4, 4},
				{"iov in minemu", 0, 0, hostIov, 1, 0, 0, errnoRet(unix.EFAULT), errnoRet(unix.EFAULT)},
				{"iov array in minemu", 0, 0, host, 1, 0, 0, errnoRet(unix.EFAULT), errnoRet(unix.EFAULT)},
				{"name in minemu", host, 16, iov, 1, 0, 0, errnoRet(unix.EFAULT), errnoRet(unix.EFAULT)},
				{"control in minemu", 0, 0, iov, 1, host, 64, errnoRet(unix.EFAULT), errnoRet(unix.EFAULT)},
				{"negative namelen", e.mem + 512, 0x80000000, iov, 1, 0, 0, errnoRet(unix.EINVAL), errnoRet(unix.EINVAL)},
				{"too many iovecs", 0, 0, iov, 1025, 0, 0, errnoRet(unix.EMSGSIZE), errnoRet(unix.EMSGSIZE)},
			} {
				if tc.abi == cpu.ABIi386 && (c.nm == host || c.ctl == host) {
					continue // a 32-bit field cannot name minemu's memory above 4 GiB
				}
				build(c.nm, c.nmlen, c.iov, c.iovlen, c.ctl, c.ctllen)
				if r := e.sys("sendmsg", uint64(fds[0]), msg, unix.MSG_DONTWAIT); r != c.wantSend {
					t.Errorf("%s: sendmsg = %d, want %d", c.name, r, c.wantSend)
				}
				if c.wantSend < 0 {
					unix.Write(fds[0], []byte("data"))
				}
				build(c.nm, c.nmlen, c.iov, c.iovlen, c.ctl, c.ctllen)
				r := e.sys("recvmsg", uint64(fds[1]), msg, unix.MSG_DONTWAIT)
				if r != c.wantRecv {
					t.Errorf("%s: recvmsg = %d, want %d", c.name, r, c.wantRecv)
				}
				if r < 0 {
					var b [16]byte
					unix.Recvfrom(fds[1], b[:], unix.MSG_DONTWAIT)
				}
			}
		})
	}
}

// TestSockoptTimeoutI386: SO_RCVTIMEO is an old_timeval32 for i386, both
// ways; getsockopt truncates to the guest's length.
func TestSockoptTimeoutI386(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(s)
	tv := e.put32s(e.mem, 2, 500000) // whole jiffies for any HZ
	if r := e.sys("setsockopt", uint64(s), unix.SOL_SOCKET, unix.SO_RCVTIMEO, tv, 8); r != 0 {
		t.Fatalf("setsockopt = %d", r)
	}
	host, err := unix.GetsockoptTimeval(s, unix.SOL_SOCKET, unix.SO_RCVTIMEO)
	if err != nil || host.Sec != 2 || host.Usec != 500000 {
		t.Fatalf("host sees %+v, %v; want 2.500000", host, err)
	}
	if r := e.sys("setsockopt", uint64(s), unix.SOL_SOCKET, unix.SO_RCVTIMEO, tv, 7); r != errnoRet(unix.EINVAL) {
		t.Fatalf("setsockopt(len 7) = %d, want -EINVAL", r)
	}
	for _, c := range []struct {
		ulen, wantLen uint32
		want          []uint32
	}{{8, 8, []uint32{2, 500000}}, {16, 8, []uint32{2, 500000}}, {4, 4, []uint32{2, 0xaaaaaaaa}}} {
		out, lenp := e.mem+256, e.put32s(e.mem+512, c.ulen)
		e.put32s(out, 0xaaaaaaaa, 0xaaaaaaaa, 0xaaaaaaaa)
		if r := e.sys("getsockopt", uint64(s), unix.SOL_SOCKET, unix.SO_RCVTIMEO, out, lenp); r != 0 {
			t.Fatalf("getsockopt = %d", r)
		}
		got := []uint32{le.Uint32(e.view(out, 4)), le.Uint32(e.view(out+4, 4))}
		if l := le.Uint32(e.view(lenp, 4)); l != c.wantLen || got[0] != c.want[0] || got[1] != c.want[1] ||
			le.Uint32(e.view(out+8, 4)) != 0xaaaaaaaa {
			t.Errorf("getsockopt(len %d) wrote %v len %d, want %v len %d", c.ulen, got, l, c.want, c.wantLen)
		}
	}
}

// TestTimerfdLayouts: timerfd_settime reads and writes the old
// itimerspec (16 bytes on i386), timerfd_settime64 the 64-bit one.
func TestTimerfdLayouts(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			fd := e.sys("timerfd_create", unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC)
			if fd < 0 {
				t.Fatalf("timerfd_create = %d", fd)
			}
			defer unix.Close(int(fd))
			its := e.putPtrs(e.mem, 7, 0, 100, 0) // interval 7 s, value 100 s
			if r := e.sys("timerfd_settime", uint64(fd), 0, its, 0); r != 0 {
				t.Fatalf("timerfd_settime = %d", r)
			}
			cur := e.mem + 256
			if r := e.sys("timerfd_gettime", uint64(fd), cur); r != 0 {
				t.Fatalf("timerfd_gettime = %d", r)
			}
			w := e.ptrSize()
			get := func(i uint64) uint64 {
				if w == 4 {
					return uint64(le.Uint32(e.view(cur+i*4, 4)))
				}
				return le.Uint64(e.view(cur+i*8, 8))
			}
			if get(0) != 7 || get(2) > 100 || get(2) < 98 {
				t.Fatalf("timerfd_gettime = interval %d value %d", get(0), get(2))
			}
			if tc.abi != cpu.ABIi386 {
				return
			}
			wide := e.mem + 1024
			for i, v := range []uint64{3, 0, 50, 0} {
				le.PutUint64(e.view(wide+uint64(8*i), 8), v)
			}
			old := e.mem + 2048
			if r := e.sys("timerfd_settime64", uint64(fd), 0, wide, old); r != 0 {
				t.Fatalf("timerfd_settime64 = %d", r)
			}
			if iv := le.Uint64(e.view(old, 8)); iv != 7 {
				t.Fatalf("old interval (64-bit layout) = %d, want 7", iv)
			}
		})
	}
}

// TestGetrusageLayout: i386's rusage is 72 bytes of 32-bit fields; nothing
// past it is written.
func TestGetrusageLayout(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			size := uint64(map[cpu.ABI]int{cpu.ABIi386: 72, cpu.ABIAMD64: 144}[tc.abi])
			for i := range e.view(e.mem, 256) {
				e.view(e.mem, 256)[i] = 0xaa
			}
			if r := e.sys("getrusage", unix.RUSAGE_SELF, e.mem); r != 0 {
				t.Fatalf("getrusage = %d", r)
			}
			if e.view(e.mem+size, 1)[0] != 0xaa {
				t.Fatalf("getrusage wrote past its %d bytes", size)
			}
			var ru cRusage
			ru.decode(tc.abi, e.view(e.mem, size))
			if ru.Maxrss <= 0 || ru.Utime.Usec < 0 || ru.Utime.Usec >= 1e6 {
				t.Fatalf("getrusage decoded %+v", ru)
			}
			if r := e.sys("getrusage", 99, e.mem); r != errnoRet(unix.EINVAL) {
				t.Fatalf("getrusage(99) = %d, want -EINVAL", r)
			}
		})
	}
}

// TestGetgroupsWidths: i386's getgroups writes 16-bit ids, getgroups32
// and x86-64's 32-bit ones; a size below the count is EINVAL.
func TestGetgroupsWidths(t *testing.T) {
	groups, err := unix.Getgroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		abi   cpu.ABI
		mode  mm.Mode
		name  string
		width int
	}{{cpu.ABIi386, mm.Mode32, "getgroups", 2}, {cpu.ABIi386, mm.Mode32, "getgroups32", 4}, {cpu.ABIAMD64, mm.Mode64, "getgroups", 4}} {
		e := newSysEnv(t, c.mode, c.abi)
		if r := e.sys(c.name, 0, 0); r != int64(len(groups)) {
			t.Fatalf("%s(0) = %d, want %d", c.name, r, len(groups))
		}
		if r := e.sys(c.name, uint64(len(groups)), e.mem); r != int64(len(groups)) {
			t.Fatalf("%s = %d", c.name, r)
		}
		for i, g := range groups {
			var got uint32
			if c.width == 2 {
				got = uint32(le.Uint16(e.view(e.mem+uint64(2*i), 2)))
				g = int(lowUID16(uint32(g)))
			} else {
				got = le.Uint32(e.view(e.mem+uint64(4*i), 4))
			}
			if got != uint32(g) {
				t.Fatalf("%s[%d] = %d, want %d", c.name, i, got, g)
			}
		}
		if len(groups) > 1 {
			if r := e.sys(c.name, uint64(len(groups)-1), e.mem); r != errnoRet(unix.EINVAL) {
				t.Fatalf("%s(count-1) = %d, want -EINVAL", c.name, r)
			}
		}
		if r := e.sys(c.name, 0xffffffff, e.mem); r != errnoRet(unix.EINVAL) {
			t.Fatalf("%s(-1) = %d, want -EINVAL", c.name, r)
		}
	}
}

// TestStatfsLayouts: statfs writes the ABI's struct statfs; i386's
// statfs64 wants compat_statfs64's size.
func TestStatfsLayouts(t *testing.T) {
	var host unix.Statfs_t
	if err := unix.Statfs("/", &host); err != nil {
		t.Fatal(err)
	}
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			root := e.str(e.mem+2048, "/")
			if r := e.sys("statfs", root, e.mem); r != 0 {
				if tc.abi == cpu.ABIi386 && r == errnoRet(unix.EOVERFLOW) {
					return // a file system larger than compat_statfs holds
				}
				t.Fatalf("statfs = %d", r)
			}
			var v cStatfs
			v.decode(tc.abi, e.view(e.mem, uint64(sizeofStatfs(tc.abi))))
			if v.Type != host.Type || v.Bsize != host.Bsize || v.Namelen != host.Namelen {
				t.Fatalf("statfs = %+v, host %+v", v, host)
			}
			if tc.abi != cpu.ABIi386 {
				return
			}
			if r := e.sys("statfs64", root, sizeofStatfs64I386, e.mem); r != 0 {
				t.Fatalf("statfs64 = %d", r)
			}
			var w cStatfs64
			w.decodeI386(e.view(e.mem, sizeofStatfs64I386))
			if w.Blocks != host.Blocks || w.Type != host.Type {
				t.Fatalf("statfs64 = %+v, host %+v", w, host)
			}
			if r := e.sys("statfs64", root, 88, e.mem); r != errnoRet(unix.EINVAL) {
				t.Fatalf("statfs64(size 88) = %d, want -EINVAL", r)
			}
		})
	}
}

// TestRefusedCalls: the calls that would let the guest reach or constrain
// minemu answer as a kernel without them (or one that does not permit
// them), without a log line.
func TestRefusedCalls(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			for _, c := range []struct {
				name string
				args []uint64
				want unix.Errno
			}{
				{"seccomp", []uint64{1, 0, e.mem}, unix.ENOSYS},
				{"io_uring_setup", []uint64{8, e.mem}, unix.ENOSYS},
				{"io_setup", []uint64{8, e.mem}, unix.ENOSYS},
				{"iopl", []uint64{3}, unix.EPERM},
				{"ioperm", []uint64{0x80, 1, 1}, unix.EPERM},
				{"ptrace", []uint64{unix.PTRACE_TRACEME}, unix.EPERM},
				{"bpf", []uint64{0, e.mem, 48}, unix.EPERM},
				{"perf_event_open", []uint64{e.mem, 0, 0xffffffff, 0xffffffff, 0}, unix.ENOSYS},
				{"userfaultfd", []uint64{0}, unix.EPERM},
				{"pidfd_getfd", []uint64{3, 0, 0}, unix.EPERM},
				{"prctl", []uint64{22, 2, e.mem}, unix.EINVAL},
				{"prctl", []uint64{21}, unix.EINVAL},
				{"prctl", []uint64{26, 2}, unix.EINVAL},         // PR_SET_TSC
				{"prctl", []uint64{35, 1, 0x1000}, unix.EINVAL}, // PR_SET_MM
			} {
				if r := e.sys(c.name, c.args...); r != errnoRet(c.want) {
					t.Errorf("%s%v = %d, want -%v", c.name, c.args, r, c.want)
				}
			}
			if e.log.Len() != 0 {
				t.Fatalf("refused calls logged %q", e.log)
			}
			if st := e.k.Stats(); len(st.ENOSYS) != 0 {
				t.Fatalf("refused calls counted as unimplemented: %+v", st.ENOSYS)
			}
		})
	}
}

// TestPrctlName: PR_SET_NAME names the calling guest thread (cut to 15
// bytes), PR_GET_NAME reads it back with its NUL.
func TestPrctlName(t *testing.T) {
	comm := "/proc/self/task/" + strconv.Itoa(os.Getpid()) + "/comm"
	saved, err := os.ReadFile(comm)
	if err != nil {
		t.Fatal(err)
	}
	defer os.WriteFile(comm, bytes.TrimSuffix(saved, []byte("\n")), 0)
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			name := e.str(e.mem, "a-much-longer-name-than-fits")
			if r := e.sys("prctl", unix.PR_SET_NAME, name); r != 0 {
				t.Fatalf("PR_SET_NAME = %d", r)
			}
			out := e.mem + 256
			copy(e.view(out, 16), strings.Repeat("\xaa", 16))
			if r := e.sys("prctl", unix.PR_GET_NAME, out); r != 0 {
				t.Fatalf("PR_GET_NAME = %d", r)
			}
			if got, want := string(e.view(out, 16)), "a-much-longer-n\x00"; got != want {
				t.Fatalf("PR_GET_NAME wrote %q, want %q", got, want)
			}
			if r := e.sys("prctl", unix.PR_SET_NAME, e.unmappedPage()); r != errnoRet(unix.EFAULT) {
				t.Fatalf("PR_SET_NAME(bad) = %d, want -EFAULT", r)
			}
		})
	}
}

// TestMincoreRange: mincore is answered for guest memory only: a range
// that is not the guest's is ENOMEM, as unmapped memory natively.
func TestMincoreRange(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			a := e.mapPages(2, unix.PROT_READ|unix.PROT_WRITE)
			e.view(a, 1)[0] = 1
			vec := e.mem
			if r := e.sys("mincore", a, 2*mm.PageSize, vec); r != 0 || e.view(vec, 1)[0]&1 != 1 {
				t.Fatalf("mincore = %d, vec % x", r, e.view(vec, 2))
			}
			host, _ := hostAddr(t)
			for _, c := range []struct {
				addr, n uint64
				want    unix.Errno
			}{
				{a + 1, mm.PageSize, unix.EINVAL},
				{e.unmappedPage(), mm.PageSize, unix.ENOMEM},
				{host &^ mm.PageMask, mm.PageSize, unix.ENOMEM},
			} {
				if r := e.sys("mincore", c.addr, c.n, vec); r != errnoRet(c.want) {
					t.Errorf("mincore(%#x, %d) = %d, want -%v", c.addr, c.n, r, c.want)
				}
			}
		})
	}
}

// TestStraceNet: the new calls are traced with their argument kinds.
func TestStraceNet(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	pid := strconv.Itoa(os.Getpid())
	e.trace.Reset()
	e.sys("socketcall", 99, 0)
	e.sys("socketcall", 1, 0)
	e.sys("epoll_ctl", 0xffffffff, unix.EPOLL_CTL_MOD, 0xffffffff, 0)
	e.sys("setitimer", 0, 0, 0)
	e.sys("epoll_create1", 0x80000)
	got := strings.Split(strings.TrimSuffix(e.trace.String(), "\n"), "\n")
	if len(got) != 5 {
		t.Fatalf("trace %q", e.trace)
	}
	want := []string{
		pid + " socketcall(99,NULL) = -1 EINVAL (invalid argument)",
		pid + " socketcall(SYS_SOCKET,NULL) = -1 EFAULT (bad address)",
		pid + " epoll_ctl(-1,EPOLL_CTL_MOD,-1,NULL) = -1 EFAULT (bad address)", // the event is read first
		pid + " setitimer(0,NULL,NULL) = 0",
		pid + " epoll_create1(0x80000) = ",
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d = %q, want %q...", i, got[i], want[i])
		}
	}
	if fd, err := strconv.Atoi(strings.TrimPrefix(got[4], want[4])); err == nil {
		unix.Close(fd)
	}
}

// TestCloseRangeSkipsBand: close_range closes the guest's descriptors in
// the range and leaves minemu's open; CLOSE_RANGE_UNSHARE is refused.
func TestCloseRangeSkipsBand(t *testing.T) {
	e := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	bfd := bandFD(t, e)
	var fds []int
	for i := 0; i < 3; i++ {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	open := func(fd int) bool {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		return err == nil
	}
	if r := e.sys("close_range", uint64(fds[0]), uint64(fds[0]), unix.CLOSE_RANGE_UNSHARE); r != errnoRet(unix.EINVAL) {
		t.Fatalf("close_range(UNSHARE) = %d, want -EINVAL", r)
	}
	if r := e.sys("close_range", uint64(fds[0]), 0xffffffff, 0); r != 0 {
		t.Fatalf("close_range = %d", r)
	}
	for _, fd := range fds {
		if open(fd) {
			t.Errorf("guest descriptor %d still open", fd)
			unix.Close(fd)
		}
	}
	if !open(bfd) {
		t.Fatalf("minemu's descriptor %d was closed", bfd)
	}
}

// TestPreadvPosition: i386's preadv gives the position in two words;
// a descriptor on the process's memory is refused.
func TestPreadvPosition(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			f, err := os.CreateTemp(t.TempDir(), "pv")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.WriteString("0123456789")
			buf, iov := e.mem+4096, e.mem+1024
			e.putPtrs(iov, buf, 3)
			r := e.sys("preadv", uint64(f.Fd()), iov, 1, 4, 0)
			if r != 3 || string(e.view(buf, 3)) != "456" {
				t.Fatalf("preadv = %d %q, want 3 \"456\"", r, e.view(buf, 3))
			}
			mem, err := os.Open("/proc/self/mem")
			if err != nil {
				t.Fatal(err)
			}
			defer mem.Close()
			e.k.trackOpen(int(mem.Fd()), unix.O_RDONLY)
			if r := e.sys("preadv", uint64(mem.Fd()), iov, 1, uint64(e.mem), 0); r != errnoRet(unix.EINVAL) {
				t.Fatalf("preadv(/proc/self/mem) = %d, want -EINVAL", r)
			}
		})
	}
}

// TestRightsOverLimit: descriptors received at or above the guest's
// RLIMIT_NOFILE are closed and the message cut with MSG_CTRUNC, in both
// ABIs, as the kernel that cannot install them does.
func TestRightsOverLimit(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			sv, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(sv[0])
			defer unix.Close(sv[1])
			p := pipe(t)
			if err := unix.Sendmsg(sv[0], []byte("x"), unix.UnixRights(p[0]), nil, 0); err != nil {
				t.Fatal(err)
			}
			// Every number the kernel can give now is at or above the limit.
			low := e.k.band.LowestFree()
			if r := e.setrlimit(unix.RLIMIT_NOFILE, uint64(low), uint64(low)); r != 0 {
				t.Fatalf("setrlimit = %d", r)
			}
			data, iov, ctl, msg := e.mem+4096, e.mem+1024, e.mem+2048, e.mem
			e.putPtrs(iov, data, 16)
			clear(e.view(msg, 64))
			if tc.abi == cpu.ABIi386 {
				e.put32s(msg, 0, 0, uint32(iov), 1, uint32(ctl), 64, 0)
			} else {
				e.putPtrs(msg+16, iov, 1, ctl, 64)
			}
			if r := e.sys("recvmsg", uint64(sv[1]), msg, 0); r != 1 {
				t.Fatalf("recvmsg = %d", r)
			}
			flags := le.Uint32(e.view(msg+uint64(map[cpu.ABI]int{cpu.ABIi386: 24, cpu.ABIAMD64: 48}[tc.abi]), 4))
			if flags&unix.MSG_CTRUNC == 0 {
				t.Fatalf("msg_flags %#x, want MSG_CTRUNC", flags)
			}
			if _, err := unix.FcntlInt(uintptr(low), unix.F_GETFD, 0); err != unix.EBADF {
				t.Fatalf("descriptor %d above the limit left open", low)
			}
		})
	}
}
