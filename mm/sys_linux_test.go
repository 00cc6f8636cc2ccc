package mm

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// vmSize returns the process's virtual memory size from /proc/self/status.
func vmSize(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(b, []byte{'\n'}) {
		if rest, ok := bytes.CutPrefix(l, []byte("VmSize:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
			if err != nil {
				t.Fatalf("VmSize line %q: %v", l, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmSize in /proc/self/status")
	return 0
}

// TestSysMmapAligned: the result is aligned, exactly as long as asked and
// mapped, and the over-mapping is trimmed (a 1 GiB alignment would
// otherwise leave about 1 GiB of address space behind).
func TestSysMmapAligned(t *testing.T) {
	for _, align := range []uint64{PageSize, 64 << 10, 2 << 20, 1 << 30} {
		before := vmSize(t)
		r, err := sysMmapAligned(3*PageSize, align, unix.PROT_READ)
		if err != nil {
			t.Fatalf("align %#x: %v", align, err)
		}
		grown := vmSize(t) - before
		if uint64(r.Start)%align != 0 || r.Length() != 3*PageSize || !sysProbeMapped(r) {
			t.Fatalf("align %#x: got %v, mapped %v", align, r, sysProbeMapped(r))
		}
		if err := sysMunmap(r); err != nil {
			t.Fatal(err)
		}
		if grown >= 256<<20 {
			t.Fatalf("align %#x: address space grew by %#x bytes for a 3-page mapping", align, grown)
		}
	}
	if _, err := sysMmapAligned(PageSize, 1<<63, unix.PROT_READ); err != unix.ENOMEM {
		t.Fatalf("overflowing alignment: %v, want ENOMEM", err)
	}
}
