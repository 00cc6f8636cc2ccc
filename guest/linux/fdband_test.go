package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

func TestFDBandPlace(t *testing.T) {
	for _, c := range []struct {
		orig, avail uint64
		start       int
		ok          bool
	}{
		{1024, 524287, fdBandMinStart, true},
		{256, 1 << 20, fdBandMinStart, true},
		{5000, 1 << 20, 5000, true},
		{1 << 20, 1<<20 - 1, fdBandMaxStart, true},
		{20000, 20000, fdBandMaxStart, true},
		{1024, 1024, 1024 - fdBandSize, true},
		{100, 100, 100 - fdBandSize, true},
		{fdBandSize + fdBandMinGuest, fdBandSize + fdBandMinGuest, fdBandMinGuest, true},
		{79, 79, 0, false},
		{10, 10, 0, false},
	} {
		start, ok := fdBandPlace(c.orig, c.avail)
		if start != c.start || ok != c.ok {
			t.Errorf("fdBandPlace(%d, %d) = %d, %v, want %d, %v", c.orig, c.avail, start, ok, c.start, c.ok)
		}
	}
}

// TestPrepareHost: the band lies below the process's limit, holds the
// probe descriptor (and the runtime's poller, unless the test binary's
// runtime had started it before, in which case its two descriptors are
// hidden), and LowestFree is what the kernel gives next.
func TestPrepareHost(t *testing.T) {
	b, err := PrepareHost()
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := PrepareHost(); b2 != b {
		t.Fatal("PrepareHost set up a second band")
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if b.start < fdBandMinGuest || uint64(b.end) > rl.Cur || b.end-b.start != fdBandSize {
		t.Fatalf("band [%d, %d) with RLIMIT_NOFILE %d", b.start, b.end, rl.Cur)
	}
	if !b.Owns(b.probe) || b.Owns(b.start-1) && !slices.Contains(b.hidden, b.start-1) || b.Owns(-1) || b.Owns(b.end) {
		t.Fatalf("Owns: probe %d, hidden %v", b.probe, b.hidden)
	}
	st := b.Stats()
	pollers := 0
	for _, fd := range st.Owned {
		if tg := fdTarget(fd); tg == "anon_inode:[eventpoll]" || tg == "anon_inode:[eventfd]" {
			pollers++
		}
	}
	for _, fd := range st.Hidden {
		if tg := fdTarget(fd); tg == "anon_inode:[eventpoll]" || tg == "anon_inode:[eventfd]" {
			pollers++
		} else if !isRuntimeCgroupFile(fd) {
			t.Fatalf("hidden descriptor %d is %s, not the runtime's", fd, tg)
		}
	}
	if pollers != 2 {
		t.Fatalf("found %d of the poller's two descriptors among %v and %v", pollers, st.Owned, st.Hidden)
	}
	n := b.LowestFree()
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	if fd != n {
		t.Fatalf("LowestFree = %d, the next open got %d", n, fd)
	}
}

// TestFDBandMove: Move puts a descriptor into the band and closes the
// original; the band is full after fdBandSize numbers; Release closes.
func TestFDBandMove(t *testing.T) {
	b, err := PrepareHost()
	if err != nil {
		t.Fatal(err)
	}
	var moved []int
	defer func() {
		for _, fd := range moved {
			b.Release(fd)
		}
	}()
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		n, err := b.Move(fd)
		if err == unix.EMFILE {
			if n != fd {
				t.Fatalf("Move of a full band returned %d for %d", n, fd)
			}
			unix.Close(fd)
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n < b.start || n >= b.end || !b.Owns(n) {
			t.Fatalf("Move gave %d, outside the band [%d, %d) or not owned", n, b.start, b.end)
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
			t.Fatalf("Move left the original %d open", fd)
		}
		moved = append(moved, n)
	}
	if len(moved) == 0 || len(b.Stats().Owned) != fdBandSize-countInherited(b) {
		t.Fatalf("moved %d descriptors into a band with %d owned", len(moved), len(b.Stats().Owned))
	}
	last := moved[len(moved)-1]
	if err := b.Release(last); err != nil || b.Owns(last) {
		t.Fatalf("Release(%d) = %v, owned %v", last, err, b.Owns(last))
	}
	moved = moved[:len(moved)-1]
	if _, err := unix.FcntlInt(uintptr(last), unix.F_GETFD, 0); err != unix.EBADF {
		t.Fatalf("Release left %d open", last)
	}
	if err := b.Release(last); err != unix.EBADF {
		t.Fatalf("second Release = %v, want EBADF", err)
	}
	if err := b.Release(b.probe); err != unix.EBADF {
		t.Fatalf("Release of the probe = %v, want EBADF", err)
	}
}

// countInherited counts band numbers open but not minemu's.
func countInherited(b *FDBand) int {
	n := 0
	for fd := b.start; fd < b.end; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && !b.Owns(fd) {
			n++
		}
	}
	return n
}

// TestNofileProbe: probeNofile reports the soft limit the process started
// with although Go raised it. The test starts itself with a soft limit
// of 777: Go's Setrlimit makes the child inherit that one.
func TestNofileProbe(t *testing.T) {
	if os.Getenv("MINEMU_TEST_NOFILE_PROBE") == "1" {
		var cur unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_NOFILE, &cur)
		rl, err := probeNofile()
		fmt.Printf("probe %d %d %v now %d\n", rl.Cur, rl.Max, err, cur.Cur)
		os.Exit(0)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if old.Max < 1000 {
		t.Fatalf("RLIMIT_NOFILE hard limit %d too low for the test", old.Max)
	}
	low := old
	low.Cur = 777
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNofileProbe$")
	cmd.Env = append(os.Environ(), "MINEMU_TEST_NOFILE_PROBE=1")
	out, err := cmd.CombinedOutput()
	if rerr := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := fmt.Sprintf("probe 777 %d <nil> now %d\n", old.Max, old.Max-1)
	if !strings.HasPrefix(string(out), want) {
		t.Fatalf("child printed %q, want %q", out, want)
	}
}

// TestNofileProbeELF: the probe program is a valid executable whose only
// segment covers the file.
func TestNofileProbeELF(t *testing.T) {
	b := nofileProbeELF()
	p := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(p).Output()
	if err != nil || len(out) != 16 {
		t.Fatalf("probe: %v, %d bytes", err, len(out))
	}
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	if got := le.Uint64(out[8:]); got != rl.Max {
		t.Fatalf("probe's hard limit %d, want %d", got, rl.Max)
	}
}

// guestNames lists a directory through the guest's open and getdents64,
// with a buffer of bufSize bytes.
func (e *sysEnv) guestNames(path string, bufSize uint64) []string {
	e.t.Helper()
	fd := e.sys("open", e.str(e.mem, path), unix.O_RDONLY|unix.O_DIRECTORY)
	if fd < 0 {
		e.t.Fatalf("open(%s) = %d", path, fd)
	}
	defer e.sys("close", uint64(fd))
	var names []string
	buf := e.mem + 0x1000
	for {
		n := e.sys("getdents64", uint64(fd), buf, bufSize)
		if n < 0 {
			e.t.Fatalf("getdents64(%s) = %d", path, n)
		}
		if n == 0 {
			return names
		}
		b := e.view(buf, uint64(n))
		for len(b) > 0 {
			rl := int(le.Uint16(b[16:]))
			name := b[direntNameOff:rl]
			if i := indexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if s := string(name); s != "." && s != ".." {
				names = append(names, s)
			}
			b = b[rl:]
		}
	}
}

// TestProcFDHidden: minemu's descriptors are not listed in this process's
// descriptor directories, by whatever name, and looking one up fails as
// for a closed descriptor; other entries and other directories with such
// names are left alone.
func TestProcFDHidden(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			band := e.k.band
			fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			bfd, err := band.Move(fd)
			if err != nil {
				t.Fatal(err)
			}
			defer band.Release(bfd)
			host, err := listOpenFDs()
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, fd := range host {
				if !band.Owns(fd) {
					want = append(want, strconv.Itoa(fd))
				}
			}
			self := strconv.Itoa(e.k.pid)
			tid := strconv.Itoa(unix.Gettid())
			for _, dir := range []string{"/proc/self/fd", "/proc/self/fdinfo", "/proc/thread-self/fd", "/dev/fd/",
				"/proc/" + self + "/fd", "/proc/" + self + "/task/" + tid + "/fdinfo"} {
				for _, size := range []uint64{4096, 32} {
					got := e.guestNames(dir, size)
					// The guest's own directory descriptor is listed too.
					if len(got) != len(want)+1 || slices.Contains(got, strconv.Itoa(bfd)) || !slices.Contains(got, "0") {
						t.Fatalf("%s (buffer %d) lists %v, want %v and the directory's own", dir, size, got, want)
					}
				}
			}
			n := strconv.Itoa(bfd)
			for _, p := range []string{"/proc/self/fd/" + n, "/proc/self/fdinfo/" + n, "/dev/fd/" + n,
				"/proc/" + self + "/task/" + tid + "/fd/" + n, "/proc/self/fd/./" + n, "/proc/self/fd/" + n + "/"} {
				if r := e.sys("readlink", e.str(e.mem, p), e.mem+0x100, 256); r != errnoRet(unix.ENOENT) && !strings.Contains(p, "fdinfo") {
					t.Errorf("readlink(%s) = %d, want -ENOENT", p, r)
				}
				if r := e.sys("access", e.str(e.mem, p), unix.F_OK); r != errnoRet(unix.ENOENT) {
					t.Errorf("access(%s) = %d, want -ENOENT", p, r)
				}
				if r := e.sys("open", e.str(e.mem, p), unix.O_RDONLY); r != errnoRet(unix.ENOENT) {
					t.Errorf("open(%s) = %d, want -ENOENT", p, r)
				}
			}
			// Relative to a directory descriptor of /proc/self/fd.
			dfd := e.sys("open", e.str(e.mem, "/proc/self/fd"), unix.O_RDONLY|unix.O_DIRECTORY)
			if r := e.sys("readlinkat", uint64(dfd), e.str(e.mem, n), e.mem+0x100, 256); r != errnoRet(unix.ENOENT) {
				t.Errorf("readlinkat(/proc/self/fd, %s) = %d, want -ENOENT", n, r)
			}
			if r := e.sys("readlinkat", uint64(dfd), e.str(e.mem, "0"), e.mem+0x100, 256); r <= 0 {
				t.Errorf("readlinkat(/proc/self/fd, 0) = %d", r)
			}
			e.sys("close", uint64(dfd))
			// Elsewhere a name like it is just a name.
			other := filepath.Join(t.TempDir(), n)
			if err := os.WriteFile(other, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if r := e.sys("access", e.str(e.mem, other), unix.F_OK); r != 0 {
				t.Errorf("access(%s) = %d", other, r)
			}
		})
	}
}

// TestFilterFDDirents: entries of minemu's numbers are dropped, others kept
// in order; malformed records are kept as they are.
func TestFilterFDDirents(t *testing.T) {
	e := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	owned := strconv.Itoa(e.k.band.probe)
	rec := func(name string) []byte {
		n := (direntNameOff + len(name) + 1 + 7) &^ 7
		b := make([]byte, n)
		le.PutUint16(b[16:], uint16(n))
		copy(b[direntNameOff:], name)
		return b
	}
	cat := func(rs ...[]byte) []byte { return slices.Concat(rs...) }
	for _, c := range []struct {
		name    string
		in, out []byte
	}{
		{"drop", cat(rec("0"), rec(owned), rec("1")), cat(rec("0"), rec("1"))},
		{"only owned", rec(owned), nil},
		{"leading zero is not a number", rec("0" + owned), rec("0" + owned)},
		{"short tail kept", cat(rec(owned), []byte{1, 2, 3}), []byte{1, 2, 3}},
		{"reclen 0 kept", cat(rec("2"), make([]byte, 24)), cat(rec("2"), make([]byte, 24))},
		{"reclen past the end kept", func() []byte { b := rec(owned); le.PutUint16(b[16:], 200); return b }(),
			func() []byte { b := rec(owned); le.PutUint16(b[16:], 200); return b }()},
	} {
		b := slices.Clone(c.in)
		n := e.k.filterFDDirents(b)
		if string(b[:n]) != string(c.out) {
			t.Errorf("%s: got % x, want % x", c.name, b[:n], c.out)
		}
	}
}

// FuzzFilterFDDirents: whatever the buffer holds, filtering neither panics
// nor grows it, and filtering twice changes nothing more.
func FuzzFilterFDDirents(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 24))
	b, err := PrepareHost()
	if err != nil {
		f.Fatal(err)
	}
	k := &Linux{band: b}
	f.Fuzz(func(t *testing.T, in []byte) {
		buf := slices.Clone(in)
		n := k.filterFDDirents(buf)
		if n < 0 || n > len(in) {
			t.Fatalf("filter returned %d for %d bytes", n, len(in))
		}
		again := slices.Clone(buf[:n])
		if m := k.filterFDDirents(again); m != n {
			t.Fatalf("second filter returned %d, first %d", m, n)
		}
	})
}
