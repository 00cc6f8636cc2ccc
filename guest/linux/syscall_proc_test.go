package linux

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/fdband"

	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

func TestExit(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			for _, c := range []struct {
				name string
				code uint64
				want int
			}{{"exit", 0, 0}, {"exit_group", 3, 3}, {"exit_group", 0x1ff, 0xff}, {"exit", 256, 0}} {
				e.sys(c.name, c.code)
				if e.exit == nil || e.exit.Code != c.want || e.exit.Signal != 0 || e.exit.Status() != c.want {
					t.Fatalf("%s(%d) = %+v, want code %d", c.name, c.code, e.exit, c.want)
				}
			}
			if e.sys("getpid"); e.exit != nil {
				t.Fatalf("getpid returned exit %+v", e.exit)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			pid := int64(os.Getpid())
			want := map[string]int64{
				"getpid": pid, "gettid": pid, "getppid": int64(os.Getppid()),
				"getuid": int64(os.Getuid()), "geteuid": int64(os.Geteuid()),
				"getgid": int64(os.Getgid()), "getegid": int64(os.Getegid()),
			}
			want["getpgrp"] = int64(unix.Getpgrp())
			want["getpgid"] = int64(unix.Getpgrp())
			sid, _ := unix.Getsid(0)
			want["getsid"] = int64(sid)
			if e.abi == cpu.ABIi386 {
				for _, n := range []string{"getuid", "geteuid", "getgid", "getegid"} {
					want[n+"32"] = want[n]
					want[n] = int64(lowUID16(uint32(want[n])))
				}
			}
			for name, w := range want {
				if r := e.sys(name); r != w {
					t.Errorf("%s = %d, want %d", name, r, w)
				}
			}
			if r := e.sys("set_tid_address", e.mem); r != pid {
				t.Errorf("set_tid_address = %d, want the tid %d", r, pid)
			}
			robust := uint64(sizeofRobustListHeadAMD64)
			if e.abi == cpu.ABIi386 {
				robust = sizeofRobustListHeadI386
			}
			if r := e.sys("set_robust_list", e.mem, robust); r != 0 {
				t.Errorf("set_robust_list = %d", r)
			}
			if r := e.sys("set_robust_list", e.mem, robust+1); r != errnoRet(unix.EINVAL) {
				t.Errorf("set_robust_list(bad len) = %d, want -EINVAL", r)
			}
		})
	}
}

func TestLowUID16(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want uint16
	}{{0, 0}, {1000, 1000}, {0xffff, 0xffff}, {0x10000, 65534}, {0xffffffff, 65534}} {
		if got := lowUID16(c.in); got != c.want {
			t.Errorf("lowUID16(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestUname(t *testing.T) {
	var host unix.Utsname
	unix.Uname(&host)
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			if r := e.sys("uname", e.mem); r != 0 {
				t.Fatalf("uname = %d", r)
			}
			field := func(i uint64) string {
				b := e.view(e.mem+i*65, 65)
				return string(b[:bytes.IndexByte(b, 0)])
			}
			wantMachine := "x86_64"
			if e.abi == cpu.ABIi386 {
				wantMachine = "i686"
			}
			if field(0) != "Linux" || field(2) != unix.ByteSliceToString(host.Release[:]) || field(4) != wantMachine ||
				field(1) != unix.ByteSliceToString(host.Nodename[:]) {
				t.Fatalf("uname = %q %q %q %q, want Linux, the host's node and release, %s", field(0), field(1), field(2), field(4), wantMachine)
			}
			if r := e.sys("uname", e.mem+memSize-100); r != errnoRet(unix.EFAULT) {
				t.Fatalf("uname(short buffer) = %d, want -EFAULT", r)
			}
		})
	}
}

// TestOldUnames: i386's olduname writes five 65-byte fields, oldolduname
// five 9-byte ones, each the first 8 characters of the field and a NUL,
// and neither writes past its structure.
func TestOldUnames(t *testing.T) {
	var host unix.Utsname
	unix.Uname(&host)
	want := []string{"Linux", unix.ByteSliceToString(host.Nodename[:]), unix.ByteSliceToString(host.Release[:]),
		unix.ByteSliceToString(host.Version[:]), "i686"}
	for _, tc := range []struct {
		call  string
		field uint64
	}{{"olduname", 65}, {"oldolduname", 9}} {
		t.Run(tc.call, func(t *testing.T) {
			e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
			copy(e.view(e.mem, 5*tc.field+1), bytes.Repeat([]byte{0xaa}, int(5*tc.field+1)))
			if r := e.sys(tc.call, e.mem); r != 0 {
				t.Fatalf("%s = %d, want 0", tc.call, r)
			}
			for i, w := range want {
				if uint64(len(w)) > tc.field-1 {
					w = w[:tc.field-1]
				}
				b := e.view(e.mem+uint64(i)*tc.field, tc.field)
				if got := string(b[:bytes.IndexByte(b, 0)]); got != w {
					t.Fatalf("field %d: got %q, want %q", i, got, w)
				}
			}
			if got := e.view(e.mem+5*tc.field, 1)[0]; got != 0xaa {
				t.Fatalf("byte after the structure: got %#x, want 0xaa", got)
			}
		})
	}
}

func TestArchPrctl(t *testing.T) {
	e := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	if r := e.sys("arch_prctl", archSetFS, 0x7f0000001000); r != 0 || e.c.FSBase != 0x7f0000001000 {
		t.Fatalf("ARCH_SET_FS = %d, FSBase %#x", r, e.c.FSBase)
	}
	if r := e.sys("arch_prctl", archSetGS, 0x1234); r != 0 || e.c.GSBase != 0x1234 {
		t.Fatalf("ARCH_SET_GS = %d, GSBase %#x", r, e.c.GSBase)
	}
	if r := e.sys("arch_prctl", archGetFS, e.mem); r != 0 || le.Uint64(e.view(e.mem, 8)) != 0x7f0000001000 {
		t.Fatalf("ARCH_GET_FS = %d, %#x", r, le.Uint64(e.view(e.mem, 8)))
	}
	if r := e.sys("arch_prctl", archGetGS, e.mem); r != 0 || le.Uint64(e.view(e.mem, 8)) != 0x1234 {
		t.Fatalf("ARCH_GET_GS = %d, %#x", r, le.Uint64(e.view(e.mem, 8)))
	}
	if r := e.sys("arch_prctl", archSetFS, 1<<63); r != errnoRet(unix.EPERM) || e.c.FSBase != 0x7f0000001000 {
		t.Fatalf("ARCH_SET_FS(kernel address) = %d, FSBase %#x", r, e.c.FSBase)
	}
	if r := e.sys("arch_prctl", archGetFS, e.unmappedPage()); r != errnoRet(unix.EFAULT) {
		t.Fatalf("ARCH_GET_FS(unmapped) = %d, want -EFAULT", r)
	}
	if r := e.sys("arch_prctl", 0x1011, 0); r != errnoRet(unix.EINVAL) {
		t.Fatalf("ARCH_GET_CPUID = %d, want -EINVAL", r)
	}
}

// putUserDesc writes a struct user_desc.
func putUserDesc(b []byte, entry int32, base, limit, flags uint32) {
	le.PutUint32(b[0:], uint32(entry))
	le.PutUint32(b[4:], base)
	le.PutUint32(b[8:], limit)
	le.PutUint32(b[12:], flags)
}

func TestSetThreadArea(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	ud := e.view(e.mem, sizeofUserDesc)
	const tlsFlags = udSeg32 | udLimitInPages | udUseable
	// glibc: entry -1, base = TCB, limit 0xfffff in pages.
	for i, base := range []uint32{0x1000_0000, 0x2000_0000, 0x3000_0000} {
		putUserDesc(ud, -1, base, 0xfffff, tlsFlags)
		if r := e.sys("set_thread_area", e.mem); r != 0 {
			t.Fatalf("set_thread_area #%d = %d", i, r)
		}
		entry := le.Uint32(ud[0:])
		if entry != uint32(tlsEntryMin+i) {
			t.Fatalf("set_thread_area #%d chose entry %d, want %d", i, entry, tlsEntryMin+i)
		}
		sel := uint16(entry<<3 | 3)
		if got, ok := e.k.SegmentBase(sel); !ok || got != uint64(base) {
			t.Fatalf("SegmentBase(%#x) = %#x, %v; want %#x", sel, got, ok, base)
		}
	}
	putUserDesc(ud, -1, 0x4000_0000, 0xfffff, tlsFlags)
	if r := e.sys("set_thread_area", e.mem); r != errnoRet(unix.ESRCH) {
		t.Fatalf("set_thread_area with all entries used = %d, want -ESRCH", r)
	}
	// Loading entry 12 into GS, then changing it, changes GSBase at once.
	e.c.GS = 12<<3 | 3
	putUserDesc(ud, 12, 0x5000_0000, 0xfffff, tlsFlags)
	if r := e.sys("set_thread_area", e.mem); r != 0 || e.c.GSBase != 0x5000_0000 {
		t.Fatalf("set_thread_area(12) with GS=12 = %d, GSBase %#x", r, e.c.GSBase)
	}
	// get_thread_area reads it back.
	putUserDesc(ud, 12, 0, 0, 0)
	if r := e.sys("get_thread_area", e.mem); r != 0 || le.Uint32(ud[4:]) != 0x5000_0000 || le.Uint32(ud[12:]) != tlsFlags {
		t.Fatalf("get_thread_area = %d, % x", r, ud)
	}
	// Clearing entry 13 (the empty descriptor) frees it.
	putUserDesc(ud, 13, 0, 0, udReadExecOnly|udNotPresent)
	if r := e.sys("set_thread_area", e.mem); r != 0 {
		t.Fatalf("set_thread_area(clear 13) = %d", r)
	}
	if _, ok := e.k.SegmentBase(13<<3 | 3); ok {
		t.Fatalf("SegmentBase of a cleared entry: ok")
	}
	putUserDesc(ud, -1, 0x6000_0000, 0xfffff, tlsFlags)
	if r := e.sys("set_thread_area", e.mem); r != 0 || le.Uint32(ud[0:]) != 13 {
		t.Fatalf("set_thread_area(-1) after clearing = %d, entry %d, want 13", r, le.Uint32(ud[0:]))
	}
	for _, c := range []struct {
		name  string
		entry int32
		flags uint32
		want  unix.Errno
	}{
		{"entry below TLS", 11, tlsFlags, unix.EINVAL},
		{"entry above TLS", 15, tlsFlags, unix.EINVAL},
		{"conforming code", 12, tlsFlags | 3<<udContentsShift, unix.EINVAL},
		{"code segment", 12, tlsFlags | 2<<udContentsShift, unix.EINVAL},
		{"16-bit segment", 12, udLimitInPages | udUseable, unix.EINVAL},
		{"not present", 12, tlsFlags | udNotPresent, unix.EINVAL},
	} {
		putUserDesc(ud, c.entry, 0x1000, 0xfffff, c.flags)
		if r := e.sys("set_thread_area", e.mem); r != errnoRet(c.want) {
			t.Errorf("set_thread_area(%s) = %d, want %d", c.name, r, errnoRet(c.want))
		}
	}
	if r := e.sys("set_thread_area", e.unmappedPage()); r != errnoRet(unix.EFAULT) {
		t.Fatalf("set_thread_area(unmapped) = %d, want -EFAULT", r)
	}
	for _, c := range []struct {
		sel  uint16
		base uint64
		ok   bool
	}{
		{0, 0, true}, {3, 0, true}, {12 << 3, 0, false}, {12<<3 | 3 | 4, 0, false}, {11<<3 | 3, 0, false},
		{15<<3 | 3, 0, false}, {0x2b, 0, false}, {12<<3 | 3, 0x5000_0000, true}, {14<<3 | 3, 0x3000_0000, true},
	} {
		if base, ok := e.k.SegmentBase(c.sel); base != c.base || ok != c.ok {
			t.Errorf("SegmentBase(%#x) = %#x, %v; want %#x, %v", c.sel, base, ok, c.base, c.ok)
		}
	}
}

func TestClocks(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			now := time.Now().Unix()
			near := func(what string, sec int64) {
				t.Helper()
				if d := sec - now; d < -5 || d > 5 {
					t.Errorf("%s = %d s, host says %d", what, sec, now)
				}
			}
			ts := e.mem
			if r := e.sys("clock_gettime", unix.CLOCK_REALTIME, ts); r != 0 {
				t.Fatalf("clock_gettime = %d", r)
			}
			sec, nsec := decodeTimespec(e.abi, e.view(ts, 16))
			near("clock_gettime", sec)
			if nsec < 0 || nsec >= 1e9 {
				t.Errorf("clock_gettime nsec = %d", nsec)
			}
			if r := e.sys("gettimeofday", ts, ts+64); r != 0 {
				t.Fatalf("gettimeofday = %d", r)
			}
			sec, usec := decodeTimespec(e.abi, e.view(ts, 16))
			near("gettimeofday", sec)
			if usec < 0 || usec >= 1e6 {
				t.Errorf("gettimeofday usec = %d", usec)
			}
			r := e.sys("time", ts)
			near("time", r)
			if e.abi == cpu.ABIi386 && int64(le.Uint32(e.view(ts, 4))) != r || e.abi == cpu.ABIAMD64 && int64(le.Uint64(e.view(ts, 8))) != r {
				t.Errorf("time stored % x, returned %d", e.view(ts, 8), r)
			}
			near("time(NULL)", e.sys("time", 0))
			if r := e.sys("clock_getres", unix.CLOCK_MONOTONIC, ts); r != 0 {
				t.Fatalf("clock_getres = %d", r)
			}
			if sec, nsec := decodeTimespec(e.abi, e.view(ts, 16)); sec != 0 || nsec <= 0 {
				t.Errorf("clock_getres = %d s %d ns", sec, nsec)
			}
			if r := e.sys("clock_gettime", 12345, ts); r != errnoRet(unix.EINVAL) {
				t.Errorf("clock_gettime(bad clock) = %d, want -EINVAL", r)
			}
			if r := e.sys("clock_gettime", unix.CLOCK_REALTIME, e.unmappedPage()); r != errnoRet(unix.EFAULT) {
				t.Errorf("clock_gettime(unmapped) = %d, want -EFAULT", r)
			}
			// nanosleep: 1 ms, then bad arguments.
			var b [16]byte
			copy(e.view(ts, 16), encodeTimespec(e.abi, 0, 1e6, &b))
			start := time.Now()
			if r := e.sys("nanosleep", ts, 0); r != 0 {
				t.Fatalf("nanosleep = %d", r)
			}
			if time.Since(start) < time.Millisecond {
				t.Errorf("nanosleep(1ms) returned early")
			}
			if r := e.sys("clock_nanosleep", unix.CLOCK_MONOTONIC, 0, ts, 0); r != 0 {
				t.Fatalf("clock_nanosleep = %d", r)
			}
			copy(e.view(ts, 16), encodeTimespec(e.abi, 0, 1e9, &b))
			if r := e.sys("nanosleep", ts, 0); r != errnoRet(unix.EINVAL) {
				t.Errorf("nanosleep(nsec 1e9) = %d, want -EINVAL", r)
			}
			copy(e.view(ts, 16), encodeTimespec(e.abi, -1, 0, &b))
			if r := e.sys("nanosleep", ts, 0); r != errnoRet(unix.EINVAL) {
				t.Errorf("nanosleep(-1 s) = %d, want -EINVAL", r)
			}
		})
	}
	// i386's time64 variants use the 64-bit layout.
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	if r := e.sys("clock_gettime64", unix.CLOCK_REALTIME, e.mem); r != 0 {
		t.Fatalf("clock_gettime64 = %d", r)
	}
	if sec := int64(le.Uint64(e.view(e.mem, 8))); sec < time.Now().Unix()-5 || sec > time.Now().Unix()+5 {
		t.Fatalf("clock_gettime64 sec = %d", sec)
	}
}

// TestTimespecTruncation: 32-bit seconds wrap like the kernel's
// put_old_timespec32, they do not saturate or fail.
func TestTimespecTruncation(t *testing.T) {
	var b [16]byte
	got := encodeTimespec(cpu.ABIi386, 1<<32+5, 7, &b)
	if len(got) != 8 || le.Uint32(got[0:]) != 5 || le.Uint32(got[4:]) != 7 {
		t.Fatalf("encodeTimespec(i386, 2^32+5) = % x", got)
	}
	if sec, nsec := decodeTimespec(cpu.ABIi386, []byte{0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0}); sec != -1 || nsec != 1 {
		t.Fatalf("decodeTimespec(i386, -1, 1) = %d, %d", sec, nsec)
	}
}

func TestRlimits(t *testing.T) {
	// The guest's RLIMIT_NOFILE is the process's original one, below the
	// descriptor band.
	band, err := fdband.PrepareHost()
	if err != nil {
		t.Fatal(err)
	}
	nofile := band.Nofile()
	nofile.Cur, nofile.Max = min(nofile.Cur, uint64(band.Start())), min(nofile.Max, uint64(band.Start()))
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			name := "getrlimit"
			if e.abi == cpu.ABIi386 {
				name = "ugetrlimit"
			}
			if r := e.sys(name, unix.RLIMIT_NOFILE, e.mem); r != 0 {
				t.Fatalf("%s = %d", name, r)
			}
			var cur, max uint64
			if e.abi == cpu.ABIi386 {
				cur, max = uint64(le.Uint32(e.view(e.mem, 4))), uint64(le.Uint32(e.view(e.mem+4, 4)))
			} else {
				cur, max = le.Uint64(e.view(e.mem, 8)), le.Uint64(e.view(e.mem+8, 8))
			}
			if cur != min(nofile.Cur, 0xffffffff) || max != min(nofile.Max, 0xffffffff) {
				t.Fatalf("%s(NOFILE) = %d/%d, want %d/%d", name, cur, max, nofile.Cur, nofile.Max)
			}
			if r := e.sys("prlimit64", 0, unix.RLIMIT_NOFILE, 0, e.mem); r != 0 ||
				le.Uint64(e.view(e.mem, 8)) != nofile.Cur || le.Uint64(e.view(e.mem+8, 8)) != nofile.Max {
				t.Fatalf("prlimit64(NOFILE) = %d, % x", r, e.view(e.mem, 16))
			}
			if r := e.sys("prlimit64", 0, unix.RLIMIT_NOFILE, 0, e.unmappedPage()); r != errnoRet(unix.EFAULT) {
				t.Fatalf("prlimit64(unmapped) = %d, want -EFAULT", r)
			}
			if r := e.sys(name, 99, e.mem); r != errnoRet(unix.EINVAL) {
				t.Fatalf("%s(99) = %d, want -EINVAL", name, r)
			}
		})
	}
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	if r := e.sysNr(76, unix.RLIMIT_NOFILE, e.mem); r != 0 || uint64(le.Uint32(e.view(e.mem, 4))) != min(nofile.Cur, 0x7fffffff) {
		t.Fatalf("old getrlimit = %d, % x", r, e.view(e.mem, 8))
	}
}

func TestSignalsRecorded(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			n := uint64(sigactionSize(e.abi))
			act, old := e.mem, e.mem+256
			want := sigAction{handler: 0x401000, flags: 0x04000000 | 0x10000000, restorer: 0x401100, mask: 1<<(unix.SIGKILL-1) | 1<<4}
			encodeSigaction(e.abi, want, e.view(act, n))
			if r := e.sys("rt_sigaction", uint64(unix.SIGUSR1), act, old, 8); r != 0 {
				t.Fatalf("rt_sigaction = %d", r)
			}
			if got := decodeSigaction(e.abi, e.view(old, n)); got != (sigAction{}) {
				t.Fatalf("first oldact = %+v, want SIG_DFL", got)
			}
			if r := e.sys("rt_sigaction", uint64(unix.SIGUSR1), 0, old, 8); r != 0 {
				t.Fatalf("rt_sigaction(query) = %d", r)
			}
			want.mask &^= 1 << (unix.SIGKILL - 1) // SIGKILL is never in a mask
			if got := decodeSigaction(e.abi, e.view(old, n)); got != want {
				t.Fatalf("oldact = %+v, want %+v", got, want)
			}
			for _, c := range []struct {
				name string
				args []uint64
				want unix.Errno
			}{
				{"SIGKILL", []uint64{uint64(unix.SIGKILL), act, 0, 8}, unix.EINVAL},
				{"SIGSTOP", []uint64{uint64(unix.SIGSTOP), act, 0, 8}, unix.EINVAL},
				{"signal 0", []uint64{0, act, 0, 8}, unix.EINVAL},
				{"signal 65", []uint64{65, act, 0, 8}, unix.EINVAL},
				{"sigsetsize 4", []uint64{uint64(unix.SIGUSR1), act, 0, 4}, unix.EINVAL},
				{"unmapped act", []uint64{uint64(unix.SIGUSR1), e.unmappedPage(), 0, 8}, unix.EFAULT},
			} {
				if r := e.sys("rt_sigaction", c.args...); r != errnoRet(c.want) {
					t.Errorf("rt_sigaction(%s) = %d, want %d", c.name, r, errnoRet(c.want))
				}
			}
			if r := e.sys("rt_sigaction", uint64(unix.SIGKILL), 0, old, 8); r != 0 {
				t.Errorf("rt_sigaction(SIGKILL, query) = %d, want 0", r)
			}
			// rt_sigprocmask: block, unblock, setmask; SIGKILL/SIGSTOP stay out.
			set, oset := e.mem+512, e.mem+520
			le.PutUint64(e.view(set, 8), 1<<(unix.SIGINT-1)|1<<(unix.SIGKILL-1))
			if r := e.sys("rt_sigprocmask", unix.SIG_BLOCK, set, oset, 8); r != 0 || le.Uint64(e.view(oset, 8)) != 0 {
				t.Fatalf("SIG_BLOCK = %d, old %#x", r, le.Uint64(e.view(oset, 8)))
			}
			le.PutUint64(e.view(set, 8), 1<<(unix.SIGTERM-1))
			if r := e.sys("rt_sigprocmask", unix.SIG_BLOCK, set, oset, 8); r != 0 || le.Uint64(e.view(oset, 8)) != 1<<(unix.SIGINT-1) {
				t.Fatalf("second SIG_BLOCK = %d, old %#x", r, le.Uint64(e.view(oset, 8)))
			}
			le.PutUint64(e.view(set, 8), 1<<(unix.SIGINT-1))
			if r := e.sys("rt_sigprocmask", unix.SIG_UNBLOCK, set, oset, 8); r != 0 {
				t.Fatalf("SIG_UNBLOCK = %d", r)
			}
			if r := e.sys("rt_sigprocmask", unix.SIG_SETMASK, 0, oset, 8); r != 0 || le.Uint64(e.view(oset, 8)) != 1<<(unix.SIGTERM-1) {
				t.Fatalf("query mask = %d, %#x", r, le.Uint64(e.view(oset, 8)))
			}
			if r := e.sys("rt_sigprocmask", 7, set, 0, 8); r != errnoRet(unix.EINVAL) {
				t.Fatalf("rt_sigprocmask(how 7) = %d, want -EINVAL", r)
			}
			if r := e.sys("rt_sigprocmask", unix.SIG_BLOCK, set, 0, 16); r != errnoRet(unix.EINVAL) {
				t.Fatalf("rt_sigprocmask(size 16) = %d, want -EINVAL", r)
			}
			// sigaltstack: initially disabled; set; read back; too small.
			sn := uint64(stackSize(e.abi))
			ss, oss := e.mem+1024, e.mem+1100
			if r := e.sys("sigaltstack", 0, oss); r != 0 || decodeStack(e.abi, e.view(oss, sn)).flags != ssDisable {
				t.Fatalf("sigaltstack(query) = %d, %+v", r, decodeStack(e.abi, e.view(oss, sn)))
			}
			encodeStack(e.abi, altStack{sp: e.mem + 8192, size: 16384}, e.view(ss, sn))
			if r := e.sys("sigaltstack", ss, 0); r != 0 {
				t.Fatalf("sigaltstack(set) = %d", r)
			}
			if r := e.sys("sigaltstack", 0, oss); r != 0 || decodeStack(e.abi, e.view(oss, sn)) != (altStack{sp: e.mem + 8192, size: 16384}) {
				t.Fatalf("sigaltstack(query) = %d, %+v", r, decodeStack(e.abi, e.view(oss, sn)))
			}
			encodeStack(e.abi, altStack{sp: e.mem, size: 1024}, e.view(ss, sn))
			if r := e.sys("sigaltstack", ss, 0); r != errnoRet(unix.ENOMEM) {
				t.Fatalf("sigaltstack(1 KiB) = %d, want -ENOMEM", r)
			}
			encodeStack(e.abi, altStack{sp: e.mem, size: 16384, flags: 77}, e.view(ss, sn))
			if r := e.sys("sigaltstack", ss, 0); r != errnoRet(unix.EINVAL) {
				t.Fatalf("sigaltstack(flags 77) = %d, want -EINVAL", r)
			}
		})
	}
}

func TestKillSelf(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			pid := uint64(os.Getpid())
			type step struct {
				name string
				args []uint64
			}
			cases := []struct {
				name  string
				setup func(e *sysEnv)
				call  step
				want  unix.Signal // 0: no exit
			}{
				{"kill SIGTERM", nil, step{"kill", []uint64{pid, uint64(unix.SIGTERM)}}, unix.SIGTERM},
				// kill(0, ...) would reach the test's whole process group
				// (go test included); the fork-killpg guests check it in a
				// group of their own.
				{"kill SIGABRT", nil, step{"kill", []uint64{pid, uint64(unix.SIGABRT)}}, unix.SIGABRT},
				{"tgkill SIGSEGV", nil, step{"tgkill", []uint64{pid, pid, uint64(unix.SIGSEGV)}}, unix.SIGSEGV},
				{"tkill SIGKILL", nil, step{"tkill", []uint64{pid, uint64(unix.SIGKILL)}}, unix.SIGKILL},
				{"kill signal 0", nil, step{"kill", []uint64{pid, 0}}, 0},
				{"kill SIGCHLD (default ignore)", nil, step{"kill", []uint64{pid, uint64(unix.SIGCHLD)}}, 0},
				{"kill SIGTSTP (stop, not emulated)", nil, step{"kill", []uint64{pid, uint64(unix.SIGTSTP)}}, 0},
				{"kill ignored SIGTERM", func(e *sysEnv) {
					encodeSigaction(e.abi, sigAction{handler: sigIGN}, e.view(e.mem, 32))
					e.sys("rt_sigaction", uint64(unix.SIGTERM), e.mem, 0, 8)
				}, step{"kill", []uint64{pid, uint64(unix.SIGTERM)}}, 0},
				{"blocked SIGTERM delivered on unblock", func(e *sysEnv) {
					le.PutUint64(e.view(e.mem, 8), 1<<(unix.SIGTERM-1))
					e.sys("rt_sigprocmask", unix.SIG_BLOCK, e.mem, 0, 8)
					if r := e.sys("kill", pid, uint64(unix.SIGTERM)); r != 0 || e.exit != nil {
						t.Fatalf("kill of a blocked signal = %d, %+v", r, e.exit)
					}
				}, step{"rt_sigprocmask", []uint64{unix.SIG_UNBLOCK, 0, 0, 8}}, unix.SIGTERM},
				{"SIGKILL ignores the mask", func(e *sysEnv) {
					le.PutUint64(e.view(e.mem, 8), ^uint64(0))
					e.sys("rt_sigprocmask", unix.SIG_BLOCK, e.mem, 0, 8)
				}, step{"kill", []uint64{pid, uint64(unix.SIGKILL)}}, unix.SIGKILL},
			}
			for _, c := range cases {
				e := newSysEnv(t, tc.mode, tc.abi)
				if c.setup != nil {
					c.setup(e)
				}
				args := c.call.args
				if c.name == "blocked SIGTERM delivered on unblock" {
					le.PutUint64(e.view(e.mem+64, 8), 1<<(unix.SIGTERM-1))
					args = []uint64{unix.SIG_UNBLOCK, e.mem + 64, 0, 8}
				}
				r := e.sys(c.call.name, args...)
				if r != 0 {
					t.Errorf("%s = %d, want 0", c.name, r)
				}
				switch {
				case c.want == 0 && e.exit != nil:
					t.Errorf("%s: exit %+v, want none", c.name, e.exit)
				case c.want != 0 && (e.exit == nil || e.exit.Signal != c.want || e.exit.Status() != 128+int(c.want)):
					t.Errorf("%s: exit %+v, want signal %v", c.name, e.exit, c.want)
				case c.want != 0 && !strings.Contains(e.exit.Detail, unix.SignalName(c.want)):
					t.Errorf("%s: detail %q does not name the signal", c.name, e.exit.Detail)
				}
			}
			e := newSysEnv(t, tc.mode, tc.abi)
			if r := e.sys("kill", pid, 65); r != errnoRet(unix.EINVAL) {
				t.Errorf("kill(sig 65) = %d, want -EINVAL", r)
			}
			if r := e.sys("tgkill", pid, pid+1, 0); r != errnoRet(unix.ESRCH) {
				t.Errorf("tgkill(another thread of ours) = %d, want -ESRCH", r)
			}
			// tkill names a thread without its process: one of minemu's
			// own (a Go runtime thread) must not be reachable either.
			tasks, err := os.ReadDir("/proc/self/task")
			if err != nil {
				t.Fatal(err)
			}
			other := 0
			for _, d := range tasks {
				if tid, _ := strconv.Atoi(d.Name()); tid != 0 && tid != int(pid) {
					other = tid
				}
			}
			if other == 0 {
				t.Fatalf("no thread other than the main one in /proc/self/task")
			}
			if r := e.sys("tkill", uint64(other), 0); r != errnoRet(unix.ESRCH) {
				t.Errorf("tkill(thread %d of ours, 0) = %d, want -ESRCH", other, r)
			}
			if r := e.sys("kill", uint64(uint32(0xffffffff)), 0); r != errnoRet(unix.EPERM) {
				t.Errorf("kill(-1) = %d, want -EPERM", r)
			}
			// Another process gets the real signal (0: existence check).
			if r := e.sys("kill", uint64(os.Getppid()), 0); r != 0 {
				t.Errorf("kill(parent, 0) = %d", r)
			}
		})
	}
}
