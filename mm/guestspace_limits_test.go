package mm

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGuestSpaceLimitAS: RLIMIT_AS counts the guest's mapped pages (not
// host-heap blocks): a mapping that would exceed it is ENOMEM, whether
// mmap, MAP_FIXED (only what it adds counts), mremap or brk; unmapping
// makes room again.
func TestGuestSpaceLimitAS(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			var g *GuestSpace
			if mode == Mode32 {
				g, _ = newTestSpace(t, 64<<20)
			} else {
				var err error
				if g, err = NewGuestSpace(GuestSpaceConfig{Mode: Mode64}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { g.Close() })
			}
			if _, err := g.MapBlock(16*gsPage, gsPage); err != nil {
				t.Fatal(err)
			}
			a := mustMmap(t, g, 0, 4*gsPage, gsRW, gsAnon)
			g.SetLimits(GuestLimits{AS: 8 * gsPage, Data: Unlimited, DataMax: Unlimited})
			b := mustMmap(t, g, 0, 4*gsPage, unix.PROT_READ, gsAnon)
			if _, err := g.Mmap(0, gsPage, unix.PROT_NONE, gsAnon, -1, 0); err != unix.ENOMEM {
				t.Fatalf("mmap past RLIMIT_AS = %v, want ENOMEM", err)
			}
			// Replacing two own pages adds nothing; one more does.
			mustMmap(t, g, a, 2*gsPage, gsRW, gsAnon|unix.MAP_FIXED)
			if _, err := g.Mmap(a+3*gsPage, 2*gsPage, gsRW, gsAnon|unix.MAP_FIXED, -1, 0); err != unix.ENOMEM {
				t.Fatalf("MAP_FIXED adding a page past RLIMIT_AS = %v, want ENOMEM", err)
			}
			if _, err := g.Mremap(b, 4*gsPage, 5*gsPage, unix.MREMAP_MAYMOVE, 0); err != unix.ENOMEM {
				t.Fatalf("mremap growing past RLIMIT_AS = %v, want ENOMEM", err)
			}
			if _, err := g.Mremap(b, 4*gsPage, 2*gsPage, 0, 0); err != nil {
				t.Fatalf("mremap shrinking: %v", err)
			}
			if got := g.GuestPages(); got != 6 {
				t.Fatalf("GuestPages = %d, want 6", got)
			}
			mustMmap(t, g, 0, 2*gsPage, gsRW, gsAnon)
			if err := g.Check(); err != nil {
				t.Fatal(err)
			}
			g.SetLimits(GuestLimits{AS: Unlimited, Data: Unlimited, DataMax: Unlimited})
			mustMmap(t, g, 0, 16*gsPage, gsRW, gsAnon)
		})
	}
}

// TestGuestSpaceLimitData: RLIMIT_DATA counts private writable mappings
// that are not stacks (the kernel's is_data_mapping), for mmap and for
// mprotect turning a mapping writable, which stops at the first area that
// does not fit, with the earlier ones changed, as the kernel's per-area
// loop leaves them. A soft limit of 0 lets mappings through up to the hard
// one.
func TestGuestSpaceLimitData(t *testing.T) {
	g, _ := newTestSpace(t, 64<<20)
	mustMmap(t, g, 0, 2*gsPage, gsRW, gsAnon)
	g.SetLimits(GuestLimits{AS: Unlimited, Data: 4 * gsPage, DataMax: Unlimited})
	mustMmap(t, g, 0, 2*gsPage, gsRW, gsAnon)
	for _, c := range []struct {
		name  string
		prot  int
		flags int
		want  error
	}{
		{"private rw", gsRW, gsAnon, unix.ENOMEM},
		{"private read-only", unix.PROT_READ, gsAnon, nil},
		{"shared rw", gsRW, unix.MAP_SHARED | unix.MAP_ANONYMOUS, nil},
		{"stack", gsRW, gsAnon | unix.MAP_GROWSDOWN, nil},
	} {
		a, err := g.Mmap(0, gsPage, c.prot, c.flags, -1, 0)
		if err != c.want {
			t.Fatalf("%s: mmap = %v, want %v", c.name, err, c.want)
		}
		if err == nil {
			if err := g.Munmap(a, gsPage); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Three read-only areas (distinct file-less prots keep them apart):
	// making all writable fits the first only.
	ro := mustMmap(t, g, 0, 3*gsPage, unix.PROT_READ, gsAnon)
	if err := g.Mprotect(ro+gsPage, gsPage, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	if err := g.Mprotect(ro, 3*gsPage, gsRW); err != unix.ENOMEM {
		t.Fatalf("mprotect rw past RLIMIT_DATA = %v, want ENOMEM", err)
	}
	g.SetLimits(GuestLimits{AS: Unlimited, Data: 5 * gsPage, DataMax: Unlimited})
	if err := g.Mprotect(ro, 3*gsPage, gsRW); err != unix.ENOMEM {
		t.Fatalf("mprotect rw of three pages with one to spare = %v, want ENOMEM", err)
	}
	wantPages(t, g, ro, gsRW, unix.PROT_READ|unix.PROT_EXEC, unix.PROT_READ)
	if err := g.Mprotect(ro, gsPage, gsRW); err != nil {
		t.Fatalf("mprotect of an already writable page: %v", err)
	}
	// Soft 0: up to the hard limit (Linux's workaround for Valgrind).
	g.SetLimits(GuestLimits{AS: Unlimited, Data: 0, DataMax: 7 * gsPage})
	mustMmap(t, g, 0, 2*gsPage, gsRW, gsAnon)
	if _, err := g.Mmap(0, gsPage, gsRW, gsAnon, -1, 0); err != unix.ENOMEM {
		t.Fatalf("soft 0, mmap past the hard limit = %v, want ENOMEM", err)
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestGuestSpaceLimitBrk: brk checks the distance of the break from its
// start plus the image's data segment against RLIMIT_DATA (for shrinking
// requests too), then the new pages like a mapping.
func TestGuestSpaceLimitBrk(t *testing.T) {
	g, w := newTestSpace(t, 64<<20)
	base := w.Start + 16*gsPage
	if err := g.SetBrkBase(base); err != nil {
		t.Fatal(err)
	}
	g.SetDataSegment(AddrRange{Start: w.Start, End: w.Start + 2*gsPage})
	g.SetLimits(GuestLimits{AS: Unlimited, Data: 6 * gsPage, DataMax: Unlimited})
	if got := g.Brk(base + 4*gsPage); got != base+4*gsPage {
		t.Fatalf("brk to 4 pages = %v, want %v", got, base+4*gsPage)
	}
	if got := g.Brk(base + 4*gsPage + 1); got != base+4*gsPage {
		t.Fatalf("brk past RLIMIT_DATA = %v, want the old break", got)
	}
	g.SetLimits(GuestLimits{AS: Unlimited, Data: 5 * gsPage, DataMax: Unlimited})
	if got := g.Brk(base + 3*gsPage + 8); got != base+4*gsPage {
		t.Fatalf("shrinking brk still past RLIMIT_DATA = %v, want the old break", got)
	}
	if got := g.Brk(base + 3*gsPage); got != base+3*gsPage {
		t.Fatalf("shrinking brk within RLIMIT_DATA = %v", got)
	}
	// The pages themselves count as data too: with the data segment not
	// counted, a data mapping elsewhere uses up the limit.
	g.SetDataSegment(AddrRange{})
	mustMmap(t, g, 0, 2*gsPage, gsRW, gsAnon)
	if got := g.Brk(base + 4*gsPage); got != base+3*gsPage {
		t.Fatalf("brk past RLIMIT_DATA's pages = %v, want the old break", got)
	}
	g.SetLimits(GuestLimits{AS: Unlimited, Data: Unlimited, DataMax: Unlimited})
	if got := g.Brk(base + 8*gsPage); got != base+8*gsPage {
		t.Fatalf("brk without a limit = %v", got)
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
}

// vmLck is the process's locked memory (VmLck of /proc/self/status).
func vmLck(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmLck:")); ok {
			f := bytes.Fields(v)
			kb, err := strconv.ParseUint(string(f[0]), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmLck")
	return 0
}

// TestGuestSpaceLockAll: LockAll locks the guest's mappings, not the
// host-heap blocks; with future set, later guest mappings are locked too;
// UnlockAll undoes both.
func TestGuestSpaceLockAll(t *testing.T) {
	g, _ := newTestSpace(t, 64<<20)
	if _, err := g.MapBlock(16*gsPage, gsPage); err != nil {
		t.Fatal(err)
	}
	mustMmap(t, g, 0, 4*gsPage, gsRW, gsAnon)
	mustMmap(t, g, 0, 2*gsPage, unix.PROT_NONE, gsAnon)
	before := vmLck(t)
	if err := g.LockAll(true, true, false); err != nil {
		t.Fatalf("LockAll: %v", err)
	}
	if got := vmLck(t) - before; got != 6*gsPage {
		t.Fatalf("LockAll locked %d bytes, want the guest's %d", got, 6*gsPage)
	}
	mustMmap(t, g, 0, 3*gsPage, gsRW, gsAnon)
	if got := vmLck(t) - before; got != 9*gsPage {
		t.Fatalf("with future locking, %d bytes locked, want %d", got, 9*gsPage)
	}
	if err := g.UnlockAll(); err != nil {
		t.Fatal(err)
	}
	mustMmap(t, g, 0, 3*gsPage, gsRW, gsAnon)
	if got := vmLck(t); got != before {
		t.Fatalf("after UnlockAll %d bytes locked, want %d", got, before)
	}
	if err := g.LockAll(false, false, false); err != nil {
		t.Fatal(err)
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
}
