package fdband

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
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
		if tg := Target(fd); tg == "anon_inode:[eventpoll]" || tg == "anon_inode:[eventfd]" {
			pollers++
		}
	}
	for _, fd := range st.Hidden {
		if tg := Target(fd); tg == "anon_inode:[eventpoll]" || tg == "anon_inode:[eventfd]" {
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
func countInherited(b *Band) int {
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
	if got := binary.LittleEndian.Uint64(out[8:]); got != rl.Max {
		t.Fatalf("probe's hard limit %d, want %d", got, rl.Max)
	}
}
