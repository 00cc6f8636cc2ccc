package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"encoding/binary"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// fuzzSafe are the syscalls FuzzSyscall may make with arbitrary
// arguments: none of them can write to, seek or reconfigure the test's own
// descriptors (0-2), signal another process, block, sleep, or change
// process-wide limits. Memory
// calls are fuzzed only in Mode32, where GuestSpace confines them to the
// guest window; a 64-bit guest's MAP_FIXED may legitimately replace any
// memory, minemu's included.
var fuzzSafe = []string{
	"getpid", "gettid", "getppid", "getuid", "getgid", "uname", "time", "gettimeofday", "clock_gettime",
	"clock_getres", "stat", "lstat", "fstat", "access", "faccessat", "readlink", "readlinkat", "getcwd",
	"getrandom", "rt_sigaction", "rt_sigprocmask", "sigaltstack", "set_tid_address", "set_robust_list",
	"rseq", "getrlimit", "statx", "exit", "exit_group", "pread64",
	"getrusage", "times", "getitimer", "getgroups", "getresuid", "statfs", "fstatfs", "mincore", "getcpu",
	"sched_getparam", "sched_getscheduler", "sched_getattr", "sched_rr_get_interval", "capget", "getxattr",
	"lgetxattr", "listxattr", "getsockname", "getpeername", "getsockopt", "timerfd_gettime", "timer_gettime",
}

var fuzzSafeI386 = []string{
	"stat64", "lstat64", "fstat64", "fstatat64", "set_thread_area", "get_thread_area", "ugetrlimit",
	"getuid32", "clock_gettime64", "mmap2", "munmap", "mprotect", "mremap",
	"madvise", "brk", "olduname", "oldolduname", "statfs64", "fstatfs64", "getgroups32", "getresuid32",
	"clock_getres_time64", "timerfd_gettime64", "timer_gettime64",
}

var fuzzSafeAMD64 = []string{"newfstatat", "arch_prctl"}

// FuzzSyscall fills the argument registers with values derived from the
// input (raw, pointers into and around the guest buffer, small integers)
// and calls a safe syscall: the call must return without a panic, an i386
// result must be 32 bits wide, and only exit calls and signals may end the
// guest.
func FuzzSyscall(f *testing.F) {
	dir := f.TempDir()
	envs := map[cpu.ABI]*sysEnv{}
	open := func(mode mm.Mode, abi cpu.ABI) *sysEnv {
		e, err := openSysEnv(mode, abi, dir)
		if err != nil {
			panic(err)
		}
		return e
	}
	for _, tc := range abiCases {
		envs[tc.abi] = open(tc.mode, tc.abi)
	}
	f.Cleanup(func() {
		for _, e := range envs {
			e.space.Close()
		}
	})
	seed := func(abi, call byte, args ...uint64) []byte {
		b := []byte{abi, call}
		for _, a := range args {
			b = append(b, byte(a>>56))
			b = binary.LittleEndian.AppendUint64(b, a)
		}
		return b
	}
	f.Add(seed(0, 0))
	f.Add(seed(1, 5, 1<<56|0, 1<<56|64))
	f.Add(seed(0, byte(len(fuzzSafe)+1), 1<<56|100, 1<<56|200))
	f.Add(seed(0, byte(len(fuzzSafe)+9), 0, 1<<56|0x1000, 3, 0x22, 0xffffffff, 0))
	f.Add(seed(1, 2, 3<<56|0x10, 2<<56|5))
	f.Add([]byte{0, 7, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		abi := cpu.ABIi386
		if data[0]&1 == 1 {
			abi = cpu.ABIAMD64
		}
		e := envs[abi]
		// Guest memory piles up over many calls (and pages get touched
		// by later ones): start afresh once it is large.
		if e.space.Stats().GuestBytes > 64<<20 {
			e.space.Close()
			e = open(e.k.mode, abi)
			envs[abi] = e
		}
		names := append(append([]string{}, fuzzSafe...), fuzzSafeI386...)
		if abi == cpu.ABIAMD64 {
			names = append(append([]string{}, fuzzSafe...), fuzzSafeAMD64...)
		}
		nr := uint64(0xfff0 + uint64(data[1])) // unknown numbers too
		if int(data[1]) < len(names) {
			nr = tableNr(abi, names[data[1]])
		}
		var args [6]uint64
		rest := data[2:]
		for i := range args {
			if len(rest) < 9 {
				break
			}
			kind, v := rest[0], binary.LittleEndian.Uint64(rest[1:9])
			rest = rest[9:]
			switch kind % 5 {
			case 0:
				args[i] = v
			case 1:
				args[i] = e.mem + v%memSize
			case 2:
				args[i] = v % 64
			case 3:
				args[i] = e.mem + memSize - v%64
			case 4:
				args[i] = uint64(int64(int8(v)))
			}
		}
		// The remaining input fills the start of the guest buffer
		// (strings, structures), when it is still writable.
		if r, ok := mm.NewRange(mm.Addr(e.mem), uint64(len(rest))); ok && len(rest) < memSize &&
			e.space.IsMapped(r, unix.PROT_WRITE) {
			copy(userView(r), rest)
		}
		// No call may touch more than the guest memory already mapped:
		// populating flags would fault in gigabytes at once.
		switch sysName(abi, nr) {
		case "mmap2":
			args[3] &^= unix.MAP_POPULATE | unix.MAP_LOCKED
		case "madvise":
			if args[2] == unix.MADV_POPULATE_READ || args[2] == unix.MADV_POPULATE_WRITE || args[2] == unix.MADV_WILLNEED {
				return
			}
		}
		e.trace.Reset()
		fuzzSyscall(t, e, nr, args)
	})
}

func fuzzSyscall(t *testing.T, e *sysEnv, nr uint64, args [6]uint64) {
	c := e.c
	c.Regs = [16]uint64{cpu.RAX: nr}
	if e.abi == cpu.ABIi386 {
		for i, r := range []cpu.Reg{cpu.RBX, cpu.RCX, cpu.RDX, cpu.RSI, cpu.RDI, cpu.RBP} {
			c.Regs[r] = args[i] & 0xffffffff
		}
	} else {
		for i, r := range []cpu.Reg{cpu.RDI, cpu.RSI, cpu.RDX, cpu.R10, cpu.R8, cpu.R9} {
			c.Regs[r] = args[i]
		}
	}
	x := e.k.Syscall(c, e.abi)
	if e.abi == cpu.ABIi386 && c.Regs[cpu.RAX]>>32 != 0 {
		t.Fatalf("syscall %d: i386 result %#x wider than 32 bits", nr, c.Regs[cpu.RAX])
	}
	if x != nil {
		name := sysName(e.abi, nr&0xffffffff)
		switch name {
		case "exit", "exit_group":
		default:
			t.Fatalf("%s ended the guest: %+v", name, x)
		}
	}
}

// tableNr is the number of a named syscall in abi.
func tableNr(abi cpu.ABI, name string) uint64 {
	nr, ok := sysNumber(abi, name)
	if !ok {
		panic("no syscall " + name)
	}
	return nr
}

// TestSyscallAllocs: the common calls allocate nothing when tracing is
// off.
func TestSyscallAllocs(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			e.k.strace = nil
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(p[0])
			defer unix.Close(p[1])
			getpid, write, read, clock := e.nr("getpid"), e.nr("write"), e.nr("read"), e.nr("clock_gettime")
			writev, readv := e.nr("writev"), e.nr("readv")
			fstat := e.nr("fstat")
			if e.abi == cpu.ABIi386 {
				fstat = e.nr("fstat64")
			}
			// Two one-byte iovecs at e.mem+512, in the guest's layout.
			iov, ps := e.mem+512, e.ptrSize()
			for i, v := range []uint64{e.mem, 1, e.mem + 1, 1} {
				if ps == 4 {
					le.PutUint32(e.view(iov+uint64(i)*ps, 4), uint32(v))
				} else {
					le.PutUint64(e.view(iov+uint64(i)*ps, 8), v)
				}
			}
			// Every call must succeed: zero allocations on an error path
			// would prove nothing.
			var failed []string
			check := func(name string, r, want int64) {
				if r != want && len(failed) < 5 {
					failed = append(failed, name)
				}
			}
			allocs := testing.AllocsPerRun(200, func() {
				check("getpid", e.sysNr(getpid), int64(os.Getpid()))
				check("write", e.sysNr(write, uint64(p[1]), e.mem, 1), 1)
				check("read", e.sysNr(read, uint64(p[0]), e.mem+8, 1), 1)
				check("writev", e.sysNr(writev, uint64(p[1]), iov, 2), 2)
				check("readv", e.sysNr(readv, uint64(p[0]), iov, 2), 2)
				check("clock_gettime", e.sysNr(clock, unix.CLOCK_MONOTONIC, e.mem+64), 0)
				check("fstat", e.sysNr(fstat, uint64(p[0]), e.mem+256), 0)
			})
			if failed != nil {
				t.Fatalf("calls failed: %v", failed)
			}
			if allocs != 0 {
				t.Fatalf("getpid+write+read+writev+readv+clock_gettime+fstat: %v allocations, want 0", allocs)
			}
		})
	}
}

func BenchmarkSyscall(b *testing.B) {
	for _, tc := range abiCases {
		for _, c := range []struct {
			name string
			args func(e *sysEnv) []uint64
		}{
			{"getpid", func(e *sysEnv) []uint64 { return nil }},
			{"write", func(e *sysEnv) []uint64 {
				// Opened after the Linux, so it is the guest's descriptor.
				devNull, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { devNull.Close() })
				return []uint64{uint64(devNull.Fd()), e.mem, 64}
			}},
			{"clock_gettime", func(e *sysEnv) []uint64 { return []uint64{unix.CLOCK_MONOTONIC, e.mem} }},
		} {
			b.Run(tc.name+"/"+c.name, func(b *testing.B) {
				e := newSysEnv(b, tc.mode, tc.abi)
				e.k.strace = nil
				nr, args := e.nr(c.name), c.args(e)
				if r := e.sysNr(nr, args...); r < 0 {
					b.Fatalf("%s = %d", c.name, r)
				}
				b.ReportAllocs()
				for b.Loop() {
					e.sysNr(nr, args...)
				}
			})
		}
	}
}
