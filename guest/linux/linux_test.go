package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// sysEnv is a Linux over a real GuestSpace with a mapped guest buffer, and
// a CPU to call it with.
type sysEnv struct {
	t     testing.TB
	k     *Linux
	space *mm.GuestSpace
	c     *cpu.CPU
	abi   cpu.ABI
	// mem is a read-write guest buffer of memSize bytes.
	mem   uint64
	log   *bytes.Buffer
	trace *bytes.Buffer
	// exit is what the last call returned.
	exit *cpu.Exit
	// exe is the LinuxConfig.ExePath.
	exe string
}

const memSize = 64 << 10

// abiCases are the mode and ABI combinations every table test runs in.
var abiCases = []struct {
	name string
	mode mm.Mode
	abi  cpu.ABI
}{
	{"i386", mm.Mode32, cpu.ABIi386},
	{"amd64", mm.Mode64, cpu.ABIAMD64},
}

func newSysEnv(t testing.TB, mode mm.Mode, abi cpu.ABI) *sysEnv {
	t.Helper()
	e, err := openSysEnv(mode, abi, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e.t = t
	t.Cleanup(func() { e.space.Close() })
	return e
}

// openSysEnv builds a sysEnv whose guest binary lives in dir; the caller
// closes e.space.
func openSysEnv(mode mm.Mode, abi cpu.ABI, dir string) (*sysEnv, error) {
	space, err := mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: mode})
	if err != nil {
		return nil, fmt.Errorf("NewGuestSpace: %v", err)
	}
	e := &sysEnv{space: space, c: cpu.NewCPU(mode), abi: abi, log: new(bytes.Buffer), trace: new(bytes.Buffer)}
	e.exe = filepath.Join(dir, "guest-binary")
	if err := os.WriteFile(e.exe, []byte("\x7fELF not really"), 0o755); err != nil {
		space.Close()
		return nil, err
	}
	e.k, err = NewLinux(LinuxConfig{
		Mode: mode, Space: space, ExePath: e.exe, Strace: e.trace,
		Log: zerolog.New(e.log).Level(zerolog.DebugLevel),
	})
	if err != nil {
		space.Close()
		return nil, fmt.Errorf("NewLinux: %v", err)
	}
	a, err := space.Mmap(0, memSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	if err != nil {
		space.Close()
		return nil, fmt.Errorf("Mmap: %v", err)
	}
	if mode == mm.Mode32 && uint64(a)+memSize > uint64(mm.Limit32) {
		space.Close()
		return nil, fmt.Errorf("Mode32 guest buffer at %v is above 4 GiB", a)
	}
	e.mem = uint64(a)
	return e, nil
}

// nr returns the number of the named syscall in e's ABI.
func (e *sysEnv) nr(name string) uint64 {
	e.t.Helper()
	nr, ok := sysNumber(e.abi, name)
	if !ok {
		e.t.Fatalf("no syscall %q in ABI %s", name, abiName(e.abi))
	}
	return nr
}

// sys calls the named syscall with args and returns its result,
// sign-extended from 32 bits for i386.
func (e *sysEnv) sys(name string, args ...uint64) int64 {
	e.t.Helper()
	return e.sysNr(e.nr(name), args...)
}

func (e *sysEnv) sysNr(nr uint64, args ...uint64) int64 {
	var a [6]uint64
	copy(a[:], args)
	e.c.Regs = [16]uint64{}
	e.c.Regs[cpu.RAX] = nr
	if e.abi == cpu.ABIi386 {
		e.c.Regs[cpu.RBX], e.c.Regs[cpu.RCX], e.c.Regs[cpu.RDX] = a[0], a[1], a[2]
		e.c.Regs[cpu.RSI], e.c.Regs[cpu.RDI], e.c.Regs[cpu.RBP] = a[3], a[4], a[5]
	} else {
		e.c.Regs[cpu.RDI], e.c.Regs[cpu.RSI], e.c.Regs[cpu.RDX] = a[0], a[1], a[2]
		e.c.Regs[cpu.R10], e.c.Regs[cpu.R8], e.c.Regs[cpu.R9] = a[3], a[4], a[5]
	}
	e.exit = e.k.Syscall(e.c, e.abi)
	r := e.c.Regs[cpu.RAX]
	if e.abi == cpu.ABIi386 {
		if r>>32 != 0 {
			e.t.Fatalf("i386 result %#x has upper bits set", r)
		}
		return int64(int32(r))
	}
	return int64(r)
}

// view is the guest memory [a, a+n).
func (e *sysEnv) view(a, n uint64) []byte {
	r, ok := mm.NewRange(mm.Addr(a), n)
	if !ok {
		e.t.Fatalf("bad range %#x+%d", a, n)
	}
	return userView(r)
}

// str writes a NUL-terminated string at a and returns a.
func (e *sysEnv) str(a uint64, s string) uint64 {
	copy(e.view(a, uint64(len(s)+1)), s+"\x00")
	return a
}

// mapPage maps one guest page with prot and returns its address.
func (e *sysEnv) mapPages(n uint64, prot int) uint64 {
	e.t.Helper()
	a, err := e.space.Mmap(0, n*mm.PageSize, prot, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
	if err != nil {
		e.t.Fatalf("Mmap: %v", err)
	}
	return uint64(a)
}

// ptrSize is the guest's pointer size.
func (e *sysEnv) ptrSize() uint64 {
	if e.abi == cpu.ABIi386 {
		return 4
	}
	return 8
}

func errnoRet(en unix.Errno) int64 { return -int64(en) }

// unmappedPage returns a guest-window address with nothing mapped.
func (e *sysEnv) unmappedPage() uint64 {
	a := e.mapPages(1, unix.PROT_READ)
	if err := e.space.Munmap(mm.Addr(a), mm.PageSize); err != nil {
		e.t.Fatalf("Munmap: %v", err)
	}
	return a
}

func TestNewLinuxErrors(t *testing.T) {
	if _, err := NewLinux(LinuxConfig{Mode: mm.Mode32}); err == nil {
		t.Fatalf("NewLinux without Space: got nil error")
	}
	space, err := mm.NewGuestSpace(mm.GuestSpaceConfig{Mode: mm.Mode64})
	if err != nil {
		t.Fatal(err)
	}
	defer space.Close()
	if _, err := NewLinux(LinuxConfig{Mode: 7, Space: space}); err == nil {
		t.Fatalf("NewLinux with mode 7: got nil error")
	}
}

func TestWriteReadPipe(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			fds := e.mem
			if r := e.sys("pipe2", fds, unix.O_CLOEXEC); r != 0 {
				t.Fatalf("pipe2 = %d, want 0", r)
			}
			rfd, wfd := uint64(le.Uint32(e.view(fds, 4))), uint64(le.Uint32(e.view(fds+4, 4)))
			defer unix.Close(int(rfd))
			defer unix.Close(int(wfd))
			msg := e.str(e.mem+64, "hello, guest")
			if r := e.sys("write", wfd, msg, 12); r != 12 {
				t.Fatalf("write = %d, want 12", r)
			}
			buf := e.mem + 256
			if r := e.sys("read", rfd, buf, 100); r != 12 {
				t.Fatalf("read = %d, want 12", r)
			}
			if got := string(e.view(buf, 12)); got != "hello, guest" {
				t.Fatalf("read %q, want %q", got, "hello, guest")
			}
			// readv/writev with two iovecs each, in the guest's layout.
			iov := e.mem + 1024
			ps := e.ptrSize()
			put := func(at, v uint64) {
				if ps == 4 {
					le.PutUint32(e.view(at, 4), uint32(v))
				} else {
					le.PutUint64(e.view(at, 8), v)
				}
			}
			put(iov, msg)
			put(iov+ps, 5)
			put(iov+2*ps, msg+7)
			put(iov+3*ps, 5)
			if r := e.sys("writev", wfd, iov, 2); r != 10 {
				t.Fatalf("writev = %d, want 10", r)
			}
			put(iov, buf)
			put(iov+ps, 3)
			put(iov+2*ps, buf+100)
			put(iov+3*ps, 7)
			if r := e.sys("readv", rfd, iov, 2); r != 10 {
				t.Fatalf("readv = %d, want 10", r)
			}
			if got := string(e.view(buf, 3)) + string(e.view(buf+100, 7)); got != "helloguest" {
				t.Fatalf("readv got %q, want %q", got, "helloguest")
			}
			// Bad iovec counts and buffers.
			if r := e.sys("writev", wfd, iov, 1025); r != errnoRet(unix.EINVAL) {
				t.Fatalf("writev(1025 iovecs) = %d, want -EINVAL", r)
			}
			// The count is an unsigned long: upper bits make it too large.
			if r := e.sys("writev", wfd, iov, 1<<32|2); e.abi == cpu.ABIAMD64 && r != errnoRet(unix.EINVAL) {
				t.Fatalf("writev(1<<32|2 iovecs) = %d, want -EINVAL", r)
			}
			if r := e.sys("writev", wfd, iov, 0xffffffff); r != errnoRet(unix.EINVAL) {
				t.Fatalf("writev(0xffffffff iovecs) = %d, want -EINVAL", r)
			}
			put(iov, e.unmappedPage())
			if r := e.sys("writev", wfd, iov, 2); r != errnoRet(unix.EFAULT) {
				t.Fatalf("writev(unmapped base) = %d, want -EFAULT", r)
			}
			if r := e.sys("readv", rfd, e.unmappedPage(), 1); r != errnoRet(unix.EFAULT) {
				t.Fatalf("readv(unmapped iovec array) = %d, want -EFAULT", r)
			}
			// An array whose first entry is valid but whose second runs
			// past the end of the guest buffer (nothing is mapped there).
			last := e.mem + memSize - 2*ps
			e.space.Munmap(mm.Addr(e.mem+memSize), mm.PageSize) // stays unmapped
			put(last, msg)
			put(last+ps, 5)
			if r := e.sys("writev", wfd, last, 2); r != errnoRet(unix.EFAULT) {
				t.Fatalf("writev(iovec array running off the buffer) = %d, want -EFAULT", r)
			}
			if r := e.sys("writev", wfd, 0, 0); r != 0 {
				t.Fatalf("writev(NULL, 0) = %d, want 0", r)
			}
		})
	}
}

// TestPointerChecks: pointers outside the guest window, into unmapped or
// foreign memory, or with the wrong protection are EFAULT, never a crash.
func TestPointerChecks(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			f, err := os.CreateTemp(t.TempDir(), "x")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// Reads must find data: at the end of the file the kernel
			// returns 0 without touching the buffer.
			if _, err := f.Write(make([]byte, 2*mm.PageSize)); err != nil {
				t.Fatal(err)
			}
			fd := uint64(f.Fd())
			ro := e.mapPages(1, unix.PROT_READ)
			unmapped := e.unmappedPage()
			// A Go heap object: mapped on the host, not the guest's.
			goHeap := uint64(uintptrOf(e.k))
			// A mapping below 2 GiB that GuestSpace did not make: inside
			// the 32-bit window, like a default-built binary's image.
			foreign, err := mapAnon(mm.PageSize, true)
			if err != nil {
				t.Fatal(err)
			}
			defer unmapAnon(foreign, mm.PageSize)
			statName := "fstat"
			if e.abi == cpu.ABIi386 {
				statName = "fstat64"
			}
			cases := []struct {
				name string
				call func() int64
				want unix.Errno
			}{
				{"fstat to read-only page", func() int64 { return e.sys(statName, fd, ro) }, unix.EFAULT},
				{"fstat to unmapped page", func() int64 { return e.sys(statName, fd, unmapped) }, unix.EFAULT},
				{"fstat to NULL", func() int64 { return e.sys(statName, fd, 0) }, unix.EFAULT},
				{"fstat to host memory", func() int64 { return e.sys(statName, fd, goHeap) }, unix.EFAULT},
				{"read into unmapped page", func() int64 { return e.sys("pread64", fd, unmapped, 16, 0, 0) }, unix.EFAULT},
				{"read into host memory", func() int64 { return e.sys("pread64", fd, goHeap, 16, 0, 0) }, unix.EFAULT},
				{"read into a foreign mapping in the window", func() int64 { return e.sys("pread64", fd, foreign, 16, 0, 0) }, unix.EFAULT},
				{"fstat to a foreign mapping in the window", func() int64 { return e.sys(statName, fd, foreign) }, unix.EFAULT},
				{"getrandom into a foreign mapping in the window", func() int64 { return e.sys("getrandom", foreign, 16, 0) }, unix.EFAULT},
				{"read into read-only page (kernel check)", func() int64 {
					f.WriteAt([]byte("data"), 0)
					return e.sys("pread64", fd, ro, 4, 0, 0)
				}, unix.EFAULT},
				{"open path unmapped", func() int64 { return e.sys("open", unmapped, 0, 0) }, unix.EFAULT},
				{"open path running into unmapped page", func() int64 {
					// A path that ends exactly at the end of the buffer, no NUL.
					end := e.mem + memSize
					for i := uint64(1); i <= 10; i++ {
						e.view(end-i, 1)[0] = 'a'
					}
					e.space.Munmap(mm.Addr(end), mm.PageSize) // nothing there; stays unmapped
					return e.sys("open", end-10, 0, 0)
				}, unix.EFAULT},
				{"wrapping range", func() int64 { return e.sys("write", fd, ^uint64(0)-2, 100) }, unix.EFAULT},
			}
			if e.abi == cpu.ABIi386 {
				cases = append(cases, struct {
					name string
					call func() int64
					want unix.Errno
				}{"below the window", func() int64 { return e.sys("write", fd, 0x1000, 16) }, unix.EFAULT},
					struct {
						name string
						call func() int64
						want unix.Errno
					}{"beyond 4 GiB", func() int64 { return e.sys("write", fd, 0xfffffff0, 0x100) }, unix.EFAULT})
			}
			for _, c := range cases {
				if got := c.call(); got != errnoRet(c.want) {
					t.Errorf("%s: got %d, want %d (%v)", c.name, got, errnoRet(c.want), c.want)
				}
			}
			// A buffer running off the guest's memory: the kernel copies
			// what fits and returns the short count.
			if got := e.sys("pread64", fd, e.mem+memSize-8, 4096, 0, 0); got != 8 {
				t.Errorf("read running off the buffer: got %d, want 8", got)
			}
		})
	}
}

// TestMode32AMD64PointerAbove4G: an x86-64-ABI call in Mode32 cannot name
// memory above 4 GiB either.
func TestMode32AMD64PointerAbove4G(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIAMD64)
	if r := e.sys("write", 1, 1<<32+0x1000, 1); r != errnoRet(unix.EFAULT) {
		t.Fatalf("write(ptr above 4 GiB) = %d, want -EFAULT", r)
	}
	// Memory of minemu's above 4 GiB, mapped on the host: never passed.
	devNull, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if r := e.sys("write", uint64(devNull.Fd()), uint64(uintptrOf(e.k)), 8); r != errnoRet(unix.EFAULT) {
		t.Fatalf("write(host pointer above 4 GiB) = %d, want -EFAULT", r)
	}
	if r := e.sys("uname", uint64(uintptrOf(e.k))); r != errnoRet(unix.EFAULT) {
		t.Fatalf("uname(host pointer) = %d, want -EFAULT", r)
	}
}

func TestENOSYSLoggedOnce(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			// 450 is set_mempolicy_home_node in both ABIs; big has no
			// name (an i386 number is 32 bits wide).
			const unknown = 450
			big := uint64(1 << 40)
			if e.abi == cpu.ABIi386 {
				big = 0x7fff0000
			}
			for i := 0; i < 3; i++ {
				if r := e.sysNr(unknown); r != errnoRet(unix.ENOSYS) {
					t.Fatalf("syscall %d = %d, want -ENOSYS", unknown, r)
				}
				if r := e.sysNr(big); r != errnoRet(unix.ENOSYS) {
					t.Fatalf("syscall %#x = %d, want -ENOSYS", big, r)
				}
			}
			// Logged at info level, below minemu's default (warn): the
			// guest's stderr is the guest's.
			var warns []map[string]any
			for _, line := range strings.Split(strings.TrimSpace(e.log.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				switch m["level"] {
				case "info":
					warns = append(warns, m)
				case "warn", "error":
					t.Fatalf("ENOSYS logged at level %v: %s", m["level"], line)
				}
			}
			if len(warns) != 2 {
				t.Fatalf("got %d info lines, want 2 (one per number): %s", len(warns), e.log)
			}
			if warns[0]["nr"] != float64(unknown) || warns[0]["name"] != sysName(e.abi, unknown) || warns[0]["abi"] != abiName(e.abi) {
				t.Fatalf("warning %v does not name abi, number and name", warns[0])
			}
			st := e.k.Stats()
			if len(st.ENOSYS) != 2 || st.ENOSYS[0].Number != unknown || st.ENOSYS[0].Count != 3 ||
				st.ENOSYS[0].Name != "set_mempolicy_home_node" ||
				st.ENOSYS[1].Number != big || st.ENOSYS[1].Count != 3 {
				t.Fatalf("Stats().ENOSYS = %+v, want %d and %#x three times each", st.ENOSYS, unknown, big)
			}
			if st.Calls[sysName(e.abi, big)] != 3 {
				t.Fatalf("Stats().Calls = %v, want %s counted 3 times", st.Calls, sysName(e.abi, big))
			}
			// rseq is ENOSYS by design, without a warning.
			e.log.Reset()
			if r := e.sys("rseq", 0, 0, 0, 0); r != errnoRet(unix.ENOSYS) {
				t.Fatalf("rseq = %d, want -ENOSYS", r)
			}
			if e.log.Len() != 0 {
				t.Fatalf("rseq logged %q", e.log)
			}
		})
	}
}

func TestStats(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	for i := 0; i < 3; i++ {
		e.sys("getpid")
	}
	e.sys("getuid32")
	e.sysNr(9999)
	st := e.k.Stats()
	if st.Calls["getpid"] != 3 || st.Calls["getuid32"] != 1 || st.Calls["syscall_9999"] != 1 || st.Total != 5 {
		t.Fatalf("Stats = %+v, want getpid 3, getuid32 1, syscall_9999 1, total 5", st)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"calls"`, `"total"`, `"enosys"`, `"number":9999`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Fatalf("JSON %s lacks %s", b, key)
		}
	}
}

// TestTablesMatchNames checks that every table entry sits at the number of
// the syscall its handler implements: sysFooBar implements foo_bar (or
// foobar), unless want says otherwise.
func TestTablesMatchNames(t *testing.T) {
	want := map[string][]string{

		"sysRtSigaction":   {"rt_sigaction"},
		"sysRtSigprocmask": {"rt_sigprocmask"},

		"sysNanosleep": {"nanosleep"}, "sysExitThread": {"exit"}, "sysExitGroup": {"exit_group"},
		"sysCloneThread": {"clone"}, "sysClone3": {"clone3"}, "sysFutex": {"futex"}, "sysFutexTime64": {"futex_time64"},
		"sysGetRobustList": {"get_robust_list"}, "sysFutexWake": {"futex_wake"}, "sysFutexWait": {"futex_wait"},
		"sysFutexWaitv": {"futex_waitv"}, "sysFutexRequeue": {"futex_requeue"}, "sysKill": {"kill"},

		"sysSigaltstack": {"sigaltstack"}, "sysArchPrctl": {"arch_prctl"},
		"sysTkill": {"tkill"}, "sysSetTidAddress": {"set_tid_address"},

		"sysClockNanosleep": {"clock_nanosleep"}, "sysTgkill": {"tgkill"},
		"sysSetRobustList": {"set_robust_list"},

		"sysNoSysQuiet":    {"rseq"},
		"sysSetThreadArea": {"set_thread_area"}, "sysGetThreadArea": {"get_thread_area"}, "sysModifyLdt": {"modify_ldt"},
		"sysClockNanosleep64": {"clock_nanosleep_time64"},
	}
	for fn, names := range signalHandlerNames {
		want[fn] = append(want[fn], names...)
	}
	for fn, names := range handlerNames {
		want[fn] = append(want[fn], names...)
	}
	check := func(abi cpu.ABI, table []sysEntry) {
		for nr, ent := range table {
			if ent.fn == nil {
				continue
			}
			fn := funcName(ent.fn)
			if ent.hfn != nil {
				fn = funcName(ent.hfn)
			}
			if ent.ffn != nil {
				fn = funcName(ent.ffn)
			}
			if ent.mfn != nil {
				fn = funcName(ent.mfn)
			}
			names, ok := want[fn]
			if !ok && strings.HasPrefix(fn, "sys") {
				// By the naming rule: sysFooBar implements foo_bar.
				names, ok = []string{strings.ToLower(fn[3:])}, true
			}
			if !ok {
				t.Errorf("%s %d: handler %s not in the expectation table", abiName(abi), nr, fn)
				continue
			}
			name := sysName(abi, uint64(nr))
			found := false
			for _, n := range names {
				found = found || n == name || n == strings.ReplaceAll(name, "_", "")
			}
			if !found {
				t.Errorf("%s %d is %s, but its handler is %s", abiName(abi), nr, name, fn)
			}
		}
	}
	check(cpu.ABIi386, i386Table[:])
	check(cpu.ABIAMD64, amd64Table[:])
	// The 16-bit id calls and the old getrlimit are i386's low numbers.
	if funcName(i386Table[24].hfn) != "Getuid16" || funcName(i386Table[199].hfn) != "Getuid" ||
		funcName(i386Table[76].mfn) != "OldGetrlimit" || funcName(i386Table[90].mfn) != "OldMmap" {
		t.Fatalf("i386 16-bit/old variants are not where they belong")
	}
}

// uintptrOf is the address of a Go object: host memory no guest may name.
func uintptrOf(p any) uintptr { return reflect.ValueOf(p).Pointer() }

// funcName is the unqualified name of a function value.
func funcName(f any) string {
	n := runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
	return n[strings.LastIndex(n, ".")+1:]
}

// TestKernelWritesReported: every guest byte a system call changes lies in
// a range reported to the write hook (so that decoded code there is
// dropped), whether the host kernel wrote it or minemu copied it out.
func TestKernelWritesReported(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			var reported []mm.AddrRange
			e.k.SetGuestWriteHook(func(r mm.AddrRange) { reported = append(reported, r) })
			var fds [2]int
			if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			defer unix.Close(fds[1])
			if _, err := unix.Write(fds[1], []byte("abc")); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(tempFile(t, "0123456789"), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fd := uint64(f.Fd())
			rlimit, fcntl := "getrlimit", "fcntl"
			if e.abi == cpu.ABIi386 {
				rlimit, fcntl = "ugetrlimit", "fcntl64"
			}
			buf := e.mem + 0x100
			cases := []struct {
				name string
				prep func()
				call func() int64
			}{
				{"read", nil, func() int64 { return e.sys("read", fd, buf, 8) }},
				{"getrandom", nil, func() int64 { return e.sys("getrandom", buf, 16, 0) }},
				{"getcwd", nil, func() int64 { return e.sys("getcwd", buf, 4096) }},
				{"uname", nil, func() int64 { return e.sys("uname", buf) }},
				{"pipe2", nil, func() int64 {
					r := e.sys("pipe2", buf, unix.O_CLOEXEC)
					if r == 0 {
						unix.Close(int(le.Uint32(e.view(buf, 4))))
						unix.Close(int(le.Uint32(e.view(buf+4, 4))))
					}
					return r
				}},
				{"ioctl FIONREAD", nil, func() int64 { return e.sys("ioctl", uint64(fds[0]), ioctlFIONREAD, buf) }},
				{"gettimeofday timezone", nil, func() int64 { return e.sys("gettimeofday", buf, buf+0x100) }},
				{rlimit, nil, func() int64 { return e.sys(rlimit, unix.RLIMIT_NOFILE, buf) }},
				{"prlimit64 old", nil, func() int64 { return e.sys("prlimit64", 0, unix.RLIMIT_NOFILE, 0, buf) }},
				{"sched_getaffinity", nil, func() int64 { return e.sys("sched_getaffinity", 0, 128, buf) }},
				{fcntl + " F_GETLK", func() {
					b := e.view(buf, 32)
					clear(b)
					le.PutUint16(b, unix.F_WRLCK)
				}, func() int64 { return e.sys(fcntl, fd, unix.F_GETLK, buf) }},
			}
			for _, c := range cases {
				mem := e.view(e.mem, memSize)
				for i := range mem {
					mem[i] = 0xa5
				}
				if c.prep != nil {
					c.prep()
				}
				before := append([]byte(nil), mem...)
				reported = reported[:0]
				if r := c.call(); r < 0 {
					t.Errorf("%s = %d", c.name, r)
					continue
				}
				changed := 0
				for i := range mem {
					if mem[i] == before[i] {
						continue
					}
					changed++
					a := mm.Addr(e.mem + uint64(i))
					covered := false
					for _, r := range reported {
						covered = covered || r.Start <= a && a < r.End
					}
					if !covered {
						t.Errorf("%s changed guest byte %v, reported %v", c.name, a, reported)
						break
					}
				}
				if changed == 0 {
					t.Errorf("%s changed no guest byte; the check proves nothing", c.name)
				}
			}
		})
	}
}
