package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/memcall"
	"github.com/minemu/minemu/mm"
)

// setrlimit sets a limit through the guest's setrlimit (the i386 compat
// layout for an i386 sysEnv, with values that fit 32 bits).
func (e *sysEnv) setrlimit(res int, cur, max uint64) int64 {
	e.t.Helper()
	b := e.view(e.mem+0x800, 16)
	if e.abi == cpu.ABIi386 {
		le.PutUint32(b[0:], uint32(cur))
		le.PutUint32(b[4:], uint32(max))
	} else {
		le.PutUint64(b[0:], cur)
		le.PutUint64(b[8:], max)
	}
	return e.sys("setrlimit", uint64(res), e.mem+0x800)
}

// limitArg is v as the guest's setrlimit takes it: infinity is
// 0xffffffff for i386.
func (e *sysEnv) limitArg(v uint64) uint64 {
	if e.abi == cpu.ABIi386 {
		return min(v, 0xffffffff)
	}
	return v
}

// getrlimit reads a limit through prlimit64(0, res, NULL, old).
func (e *sysEnv) getrlimit(res int) (cur, max uint64) {
	e.t.Helper()
	if r := e.sys("prlimit64", 0, uint64(res), 0, e.mem+0x900); r != 0 {
		e.t.Fatalf("prlimit64(%d) = %d", res, r)
	}
	return le.Uint64(e.view(e.mem+0x900, 8)), le.Uint64(e.view(e.mem+0x908, 8))
}

// TestNofileEnforced: the guest's RLIMIT_NOFILE bounds its descriptor
// numbers as the kernel's does, although the process's own limit is far
// higher: EMFILE for every call that creates one (without side effects),
// EBADF for dup2 onto a number at or above it, EINVAL for F_DUPFD from
// one.
func TestNofileEnforced(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			lf := uint64(e.k.band.LowestFree())
			if lf+3 >= uint64(e.k.band.Start()) {
				t.Fatalf("lowest free descriptor %d is too close to the band at %d", lf, e.k.band.Start())
			}
			// Two free numbers below the limit.
			if r := e.setrlimit(unix.RLIMIT_NOFILE, lf+2, lf+10); r != 0 {
				t.Fatalf("setrlimit = %d", r)
			}
			var opened []int64
			defer func() {
				for _, fd := range opened {
					unix.Close(int(fd))
				}
			}()
			null := e.str(e.mem, "/dev/null")
			for i := uint64(0); i < 2; i++ {
				fd := e.sys("open", null, unix.O_RDONLY)
				if fd != int64(lf+i) {
					t.Fatalf("open %d = %d, want %d", i, fd, lf+i)
				}
				opened = append(opened, fd)
			}
			created := filepath.Join(t.TempDir(), "created")
			pipeBuf := e.view(e.mem+0x400, 8)
			copy(pipeBuf, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5")
			for _, c := range []struct {
				name string
				call func() int64
				want unix.Errno
			}{
				{"open", func() int64 { return e.sys("open", null, unix.O_RDONLY) }, unix.EMFILE},
				{"open missing", func() int64 { return e.sys("open", e.str(e.mem+0x100, "/nonexistent/x"), 0) }, unix.EMFILE},
				{"open O_CREAT", func() int64 {
					return e.sys("open", e.str(e.mem+0x100, created), unix.O_CREAT|unix.O_WRONLY, 0o600)
				}, unix.EMFILE},
				{"openat bad dirfd", func() int64 { return e.sys("openat", 1<<20, null, 0) }, unix.EMFILE},
				{"pipe2", func() int64 { return e.sys("pipe2", e.mem+0x400, 0) }, unix.EMFILE},
				{"dup", func() int64 { return e.sys("dup", 0) }, unix.EMFILE},
				{"F_DUPFD 0", func() int64 { return e.sys("fcntl", 0, unix.F_DUPFD, 0) }, unix.EMFILE},
				{"F_DUPFD limit", func() int64 { return e.sys("fcntl", 0, unix.F_DUPFD, lf+2) }, unix.EINVAL},
				{"F_DUPFD_CLOEXEC -1", func() int64 { return e.sys("fcntl", 0, unix.F_DUPFD_CLOEXEC, 0xffffffff) }, unix.EINVAL},
				{"dup2 limit", func() int64 { return e.sys("dup2", 0, lf+2) }, unix.EBADF},
				{"dup2 band", func() int64 { return e.sys("dup2", 0, uint64(e.k.band.Start())) }, unix.EBADF},
				{"dup2 -1", func() int64 { return e.sys("dup2", 0, 0xffffffff) }, unix.EBADF},
				{"dup3 flags", func() int64 { return e.sys("dup3", 0, lf+2, 1) }, unix.EINVAL},
				{"dup3 same", func() int64 { return e.sys("dup3", 1, 1, 0) }, unix.EINVAL},
			} {
				if r := c.call(); r != errnoRet(c.want) {
					t.Errorf("%s = %d, want -%v", c.name, r, c.want)
				}
			}
			if _, err := os.Stat(created); !os.IsNotExist(err) {
				t.Errorf("open(O_CREAT) failing with EMFILE created the file: %v", err)
			}
			if string(pipeBuf) != "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5" {
				t.Errorf("pipe2 failing with EMFILE wrote % x", pipeBuf)
			}
			// One free number: still no pipe, but a dup, and dup2 onto it.
			unix.Close(int(opened[1]))
			opened = opened[:1]
			if r := e.sys("pipe2", e.mem+0x400, 0); r != errnoRet(unix.EMFILE) {
				t.Errorf("pipe2 with one free number = %d, want -EMFILE", r)
			}
			if r := e.sys("dup", 0); r != int64(lf+1) {
				t.Errorf("dup = %d, want %d", r, lf+1)
			} else {
				opened = append(opened, r)
			}
			if r := e.sys("dup2", 0, lf+1); r != int64(lf+1) {
				t.Errorf("dup2 onto the last number = %d", r)
			}
			// A lower limit leaves open descriptors usable.
			if r := e.setrlimit(unix.RLIMIT_NOFILE, lf, lf+10); r != 0 {
				t.Fatalf("setrlimit = %d", r)
			}
			if r := e.sys("fcntl", uint64(lf+1), unix.F_GETFD); r < 0 {
				t.Errorf("F_GETFD above the new limit = %d", r)
			}
			if r := e.sys("close", uint64(lf+1)); r != 0 {
				t.Errorf("close above the new limit = %d", r)
			}
			opened = opened[:1]
		})
	}
}

// TestSetrlimit: the guest's limits are validated as the kernel's, kept
// by minemu and read back by every get call, and not applied to the
// process (except where the process's value is the guest's: CPU, and the
// soft FSIZE and MEMLOCK).
func TestSetrlimit(t *testing.T) {
	var procNofile, procAS, procFsize, procMemlock, procCPU, procNproc unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NPROC, &procNproc)
	unix.Getrlimit(unix.RLIMIT_NOFILE, &procNofile)
	unix.Getrlimit(unix.RLIMIT_AS, &procAS)
	unix.Getrlimit(unix.RLIMIT_FSIZE, &procFsize)
	unix.Getrlimit(unix.RLIMIT_MEMLOCK, &procMemlock)
	unix.Getrlimit(unix.RLIMIT_CPU, &procCPU)
	t.Cleanup(func() {
		unix.Setrlimit(unix.RLIMIT_FSIZE, &procFsize)
		unix.Setrlimit(unix.RLIMIT_MEMLOCK, &procMemlock)
		unix.Setrlimit(unix.RLIMIT_CPU, &procCPU)
	})
	raise := errnoRet(unix.EPERM)
	if memcall.HasCap(memcall.CapSysResource) {
		raise = 0
	}
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			start := uint64(e.k.band.Start())
			for _, c := range []struct {
				name     string
				res      int
				cur, max uint64
				want     int64
			}{
				{"NOFILE", unix.RLIMIT_NOFILE, 10, 20, 0},
				{"cur > max", unix.RLIMIT_NOFILE, 21, 20, errnoRet(unix.EINVAL)},
				{"raise hard", unix.RLIMIT_NOFILE, 10, 21, raise},
				{"NOFILE past the band", unix.RLIMIT_NOFILE, 10, start + 1, errnoRet(unix.EPERM)},
				{"unknown resource", rlimNLimits, 1, 1, errnoRet(unix.EINVAL)},
				{"STACK", unix.RLIMIT_STACK, 1 << 20, 1 << 24, 0},
				{"CORE", unix.RLIMIT_CORE, 0, 0, 0},
				{"NPROC", unix.RLIMIT_NPROC, 1, e.limitArg(procNproc.Max), 0},
			} {
				if r := e.setrlimit(c.res, c.cur, c.max); r != c.want {
					t.Errorf("setrlimit(%s, %d, %d) = %d, want %d", c.name, c.cur, c.max, r, c.want)
				}
			}
			if cur, max := e.getrlimit(unix.RLIMIT_NOFILE); cur != 10 || max != 20 {
				t.Errorf("NOFILE = %d/%d, want 10/20", cur, max)
			}
			if cur, max := e.getrlimit(unix.RLIMIT_NPROC); cur != 1 || max != procNproc.Max {
				t.Errorf("NPROC = %d/%d, want 1/%d", cur, max, procNproc.Max)
			}
			for _, name := range []string{"getrlimit", "ugetrlimit"} {
				if e.abi == cpu.ABIAMD64 && name == "ugetrlimit" || e.abi == cpu.ABIi386 && name == "getrlimit" {
					continue
				}
				if r := e.sys(name, unix.RLIMIT_NOFILE, e.mem); r != 0 {
					t.Fatalf("%s = %d", name, r)
				}
				n := uint64(8)
				if e.abi == cpu.ABIi386 {
					n = 4
				}
				b := e.view(e.mem, 2*n)
				cur, max := le.Uint64(append(b[:n:n], make([]byte, 8-n)...)), le.Uint64(append(b[n:2*n:2*n], make([]byte, 8-n)...))
				if cur != 10 || max != 20 {
					t.Errorf("%s(NOFILE) = %d/%d, want 10/20", name, cur, max)
				}
			}
			// prlimit64 on the guest's pid and on any thread of this
			// process is the guest's; the new value is set even when the
			// old one cannot be written.
			b := e.view(e.mem+0xa00, 16)
			le.PutUint64(b[0:], 7)
			le.PutUint64(b[8:], 20)
			if r := e.sys("prlimit64", uint64(e.k.pid), unix.RLIMIT_NOFILE, e.mem+0xa00, e.mem+0xb00); r != 0 ||
				le.Uint64(e.view(e.mem+0xb00, 8)) != 10 {
				t.Errorf("prlimit64(pid) = %d, old %d", r, le.Uint64(e.view(e.mem+0xb00, 8)))
			}
			if r := e.sys("prlimit64", uint64(unix.Gettid()), unix.RLIMIT_NOFILE, 0, e.mem+0xb00); r != 0 ||
				le.Uint64(e.view(e.mem+0xb00, 8)) != 7 {
				t.Errorf("prlimit64(tid) = %d, cur %d", r, le.Uint64(e.view(e.mem+0xb00, 8)))
			}
			le.PutUint64(b[0:], 6)
			if r := e.sys("prlimit64", 0, unix.RLIMIT_NOFILE, e.mem+0xa00, e.unmappedPage()); r != errnoRet(unix.EFAULT) {
				t.Errorf("prlimit64(old unmapped) = %d, want -EFAULT", r)
			}
			if cur, _ := e.getrlimit(unix.RLIMIT_NOFILE); cur != 6 {
				t.Errorf("NOFILE after a faulting prlimit64 = %d, want 6", cur)
			}
			if r := e.sys("prlimit64", 0, unix.RLIMIT_NOFILE, e.unmappedPage(), 0); r != errnoRet(unix.EFAULT) {
				t.Errorf("prlimit64(new unmapped) = %d, want -EFAULT", r)
			}
			if r := e.sys("setrlimit", 99, e.unmappedPage()); r != errnoRet(unix.EFAULT) {
				t.Errorf("setrlimit(99, unmapped) = %d, want -EFAULT (read first)", r)
			}
			// AS: the guest's, not the process's.
			mapped := e.space.GuestPages() << mm.PageShift
			if r := e.setrlimit(unix.RLIMIT_AS, mapped+1<<20, e.limitArg(procAS.Max)); r != 0 {
				t.Fatalf("setrlimit(AS) = %d", r)
			}
			mmap := "mmap"
			if e.abi == cpu.ABIi386 {
				mmap = "mmap2"
			}
			if r := e.sys(mmap, 0, 2<<20, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, e.limitArg(^uint64(0)), 0); r != errnoRet(unix.ENOMEM) {
				t.Errorf("mmap past RLIMIT_AS = %d, want -ENOMEM", r)
			}
			if r := e.sys(mmap, 0, 1<<19, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, e.limitArg(^uint64(0)), 0); r < 0 && r > -4096 {
				t.Errorf("mmap within RLIMIT_AS = %d", r)
			}
			big := make([]byte, 64<<20) // the Go heap is not the guest's
			big[len(big)-1] = 1
			// FSIZE: the soft value is the process's; RestoreHostLimits
			// takes it back.
			if r := e.setrlimit(unix.RLIMIT_FSIZE, 1<<20, e.limitArg(procFsize.Max)); r != 0 {
				t.Fatalf("setrlimit(FSIZE) = %d", r)
			}
			var got unix.Rlimit
			unix.Getrlimit(unix.RLIMIT_FSIZE, &got)
			if got.Cur != 1<<20 || got.Max != procFsize.Max {
				t.Errorf("process FSIZE %d/%d, want %d/%d", got.Cur, got.Max, 1<<20, procFsize.Max)
			}
			e.k.RestoreHostLimits()
			unix.Getrlimit(unix.RLIMIT_FSIZE, &got)
			if got.Cur != got.Max {
				t.Errorf("after RestoreHostLimits, process FSIZE %d/%d", got.Cur, got.Max)
			}
			if cur, _ := e.getrlimit(unix.RLIMIT_FSIZE); cur != 1<<20 {
				t.Errorf("guest FSIZE after RestoreHostLimits = %d, want %d", cur, 1<<20)
			}
			// CPU is the process's.
			if r := e.setrlimit(unix.RLIMIT_CPU, 100000, e.limitArg(procCPU.Max)); r != 0 {
				t.Fatalf("setrlimit(CPU) = %d", r)
			}
			unix.Getrlimit(unix.RLIMIT_CPU, &got)
			if got.Cur != 100000 {
				t.Errorf("process CPU soft %d, want 100000", got.Cur)
			}
		})
	}
	var nofile, as unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile)
	unix.Getrlimit(unix.RLIMIT_AS, &as)
	if nofile != procNofile || as != procAS {
		t.Fatalf("the process's NOFILE %v and AS %v changed (were %v, %v)", nofile, as, procNofile, procAS)
	}
}

// TestSetrlimitCompat: i386's setrlimit reads 0xffffffff as infinity, and
// its two get calls clamp.
func TestSetrlimitCompat(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	if cur, max := e.getrlimit(unix.RLIMIT_STACK); max < 3000000000 {
		t.Fatalf("RLIMIT_STACK hard limit %d too low for the test (cur %d)", max, cur)
	}
	if r := e.setrlimit(unix.RLIMIT_STACK, 3000000000, 3000000000); r != 0 {
		t.Fatalf("setrlimit(3e9) = %d", r)
	}
	if r := e.sysNr(76, unix.RLIMIT_STACK, e.mem); r != 0 || le.Uint32(e.view(e.mem, 4)) != 0x7fffffff {
		t.Fatalf("old getrlimit = %d, % x", r, e.view(e.mem, 8))
	}
	if r := e.sys("ugetrlimit", unix.RLIMIT_STACK, e.mem); r != 0 || le.Uint32(e.view(e.mem, 4)) != 3000000000 {
		t.Fatalf("ugetrlimit = %d, % x", r, e.view(e.mem, 8))
	}
	if r := e.setrlimit(unix.RLIMIT_STACK, 1<<20, 1<<21); r != 0 {
		t.Fatalf("setrlimit = %d", r)
	}
	if cur, max := e.getrlimit(unix.RLIMIT_STACK); cur != 1<<20 || max != 1<<21 {
		t.Fatalf("STACK = %#x/%#x", cur, max)
	}
	if r := e.setrlimit(unix.RLIMIT_STACK, 0xffffffff, 1<<21); r != errnoRet(unix.EINVAL) {
		t.Fatalf("setrlimit(infinity, 2 MiB) = %d, want -EINVAL", r)
	}
}

// TestMlock: mlock and munlock pass the guest's own pages to the kernel
// and refuse any other (for the guest, unmapped: ENOMEM), minemu's memory
// included; the flags and ranges are checked as the kernel's do_mlock.
func TestMlock(t *testing.T) {
	var procMemlock unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_MEMLOCK, &procMemlock)
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_MEMLOCK, &procMemlock) })
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			a := e.mapPages(5, unix.PROT_READ|unix.PROT_WRITE)
			if err := e.space.Munmap(mm.Addr(a+4*mm.PageSize), mm.PageSize); err != nil {
				t.Fatal(err)
			}
			goMem := make([]byte, 2*mm.PageSize)
			host := (uint64(uintptrOf(&goMem[0])) + mm.PageMask) &^ mm.PageMask
			for _, c := range []struct {
				name string
				call func() int64
				want int64
			}{
				{"mlock", func() int64 { return e.sys("mlock", a+1, mm.PageSize) }, 0},
				{"munlock", func() int64 { return e.sys("munlock", a, 2*mm.PageSize) }, 0},
				{"mlock2 onfault", func() int64 { return e.sys("mlock2", a, mm.PageSize, mlockOnfault) }, 0},
				{"mlock2 flags", func() int64 { return e.sys("mlock2", a, mm.PageSize, 2) }, errnoRet(unix.EINVAL)},
				{"mlock length 0", func() int64 { return e.sys("mlock", a, 0) }, 0},
				{"mlock unmapped", func() int64 { return e.sys("mlock", e.unmappedPage(), mm.PageSize) }, errnoRet(unix.ENOMEM)},
				{"mlock past the mapping", func() int64 { return e.sys("mlock", a, 5*mm.PageSize) }, errnoRet(unix.ENOMEM)},
				{"mlock minemu's memory", func() int64 { return e.sys("mlock", host, mm.PageSize) }, errnoRet(unix.ENOMEM)},
				{"munlock minemu's memory", func() int64 { return e.sys("munlock", host, mm.PageSize) }, errnoRet(unix.ENOMEM)},
				{"mlockall 0", func() int64 { return e.sys("mlockall", 0) }, errnoRet(unix.EINVAL)},
				{"mlockall onfault", func() int64 { return e.sys("mlockall", mclOnfault) }, errnoRet(unix.EINVAL)},
				{"mlockall 8", func() int64 { return e.sys("mlockall", 8) }, errnoRet(unix.EINVAL)},
				{"munlockall", func() int64 { return e.sys("munlockall") }, 0},
			} {
				if r := c.call(); r != c.want {
					t.Errorf("%s = %d, want %d", c.name, r, c.want)
				}
			}
			// With RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK, EPERM first.
			if r := e.setrlimit(unix.RLIMIT_MEMLOCK, 0, e.limitArg(procMemlock.Max)); r != 0 {
				t.Fatalf("setrlimit(MEMLOCK) = %d", r)
			}
			want := errnoRet(unix.EPERM)
			if memcall.HasCap(memcall.CapIPCLock) {
				want = errnoRet(unix.ENOMEM) // then the range
			}
			if r := e.sys("mlock", e.unmappedPage(), mm.PageSize); r != want {
				t.Errorf("mlock with RLIMIT_MEMLOCK 0 = %d, want %d", r, want)
			}
		})
	}
}
