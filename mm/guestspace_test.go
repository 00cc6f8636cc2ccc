package mm

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

const gsPage = PageSize

const (
	gsAnon = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	gsRW   = unix.PROT_READ | unix.PROT_WRITE
)

// newTestSpace returns a Mode32 GuestSpace over a free window of size
// bytes with a 4 MiB stack gap (a quarter of the window when smaller),
// closed when the test ends.
func newTestSpace(t testing.TB, size uint64) (*GuestSpace, AddrRange) {
	t.Helper()
	w := freeTestWindow(t, size)
	g, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode32, Window: w, StackGap: min(4<<20, size/4)})
	if err != nil {
		t.Fatalf("NewGuestSpace(%v): %v", w, err)
	}
	t.Cleanup(func() { g.Close() })
	return g, w
}

// kernelProt returns the protection the kernel has for the page at a, or
// -1 when it is unmapped.
func kernelProt(t testing.TB, a Addr) int {
	t.Helper()
	es, err := ReadMaps()
	if err != nil {
		t.Fatalf("ReadMaps: %v", err)
	}
	for _, e := range es {
		if e.Range.Contains(a) {
			return e.Prot
		}
	}
	return -1
}

// wantPages checks Prot, the kernel's protection and GuestSpace.Check for
// consecutive pages from a; -1 means unmapped.
func wantPages(t testing.TB, g *GuestSpace, a Addr, prots ...int) {
	t.Helper()
	if err := g.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	for i, want := range prots {
		p := a + Addr(i*gsPage)
		got, ok := g.Prot(p)
		if !ok {
			got = -1
		}
		if got != want {
			t.Fatalf("Prot(%v) = %d, want %d", p, got, want)
		}
		if k := kernelProt(t, p); k != want {
			t.Fatalf("kernel prot of %v = %d, want %d", p, k, want)
		}
	}
}

func mustMmap(t testing.TB, g *GuestSpace, addr Addr, length uint64, prot, flags int) Addr {
	t.Helper()
	a, err := g.Mmap(addr, length, prot, flags, -1, 0)
	if err != nil {
		t.Fatalf("Mmap(%v, %#x, %d, %#x): %v", addr, length, prot, flags, err)
	}
	return a
}

func TestGuestSpaceConfig(t *testing.T) {
	g, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode32})
	if err != nil {
		t.Fatalf("default Mode32: %v", err)
	}
	defer g.Close()
	if w := g.Window(); w != (AddrRange{Start: GuestWindowStart, End: 0xffffe000}) {
		t.Fatalf("default window %v, want [%v, 0xffffe000): a 32-bit process's TASK_SIZE", w, GuestWindowStart)
	}
	if g.StackTop() != 0xffffe000 || g.MmapBase() != 0xffffe000-128<<20 {
		t.Fatalf("stack top %v, mmap base %v; want 0xffffe000, 0xf7ffe000", g.StackTop(), g.MmapBase())
	}
	w := AddrRange{Start: 0x40000000, End: 0x40100000}
	bad := []GuestSpaceConfig{
		{Mode: 0},
		{Mode: Mode32, Window: AddrRange{Start: 0x1000, End: 0x100000}},             // below mmap_min_addr
		{Mode: Mode32, Window: AddrRange{Start: 0x40000000, End: Limit32 + gsPage}}, // past 4 GiB
		{Mode: Mode32, Window: AddrRange{Start: 0x40000000, End: Limit32}},          // past TASK_SIZE
		{Mode: Mode32, Window: AddrRange{Start: 0x40000001, End: 0x40100000}},       // unaligned
		{Mode: Mode32, Window: AddrRange{Start: 0x40100000, End: 0x40100000}},       // empty
		{Mode: Mode32, Window: w, StackTop: w.End + gsPage},                         // stack outside
		{Mode: Mode32, Window: w, StackGap: 123},                                    // unaligned gap
		{Mode: Mode32, Window: w, StackGap: uint64(w.Length())},                     // gap eats the window
		{Mode: Mode64, Window: w},                                                   // Mode64 has no window
		{Mode: Mode64, StackTop: 0x7fff00000001},                                    // unaligned
		{Mode: Mode64, StackTop: UserLimit + gsPage},                                // not a user address
	}
	for _, c := range bad {
		if g, err := NewGuestSpace(c); err == nil {
			g.Close()
			t.Errorf("NewGuestSpace(%+v) succeeded, want an error", c)
		}
	}
	g2, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode32, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	if g2.StackTop() != w.End || g2.MmapBase() != g2.StackTop()-Addr(w.Length()/4) {
		t.Fatalf("small window: stack top %v, mmap base %v", g2.StackTop(), g2.MmapBase())
	}
}

// TestGuestSpaceTaskSize: nothing is ever mapped at or above TASK_SIZE
// (0xffffe000 for a 32-bit process, 0x7ffffffff000 for a 64-bit one) in a
// space with the default window, and each call refuses the top with
// Linux's errno (tests/guests/src/tasksize.c checks the same natively).
func TestGuestSpaceTaskSize(t *testing.T) {
	for _, mode := range []Mode{Mode32, Mode64} {
		t.Run(mode.String(), func(t *testing.T) {
			g, err := NewGuestSpace(GuestSpaceConfig{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			top := TaskSize32
			if mode == Mode64 {
				top = TaskSize64
			}
			if g.Window().End != top {
				t.Fatalf("window %v, want it to end at %v", g.Window(), top)
			}
			a := mustMmap(t, g, 0, gsPage, gsRW, gsAnon)
			mmapAt := func(addr Addr, n uint64, flags int) error {
				_, err := g.Mmap(addr, n, gsRW, gsAnon|flags, -1, 0)
				return err
			}
			remapTo := func(addr Addr, n uint64) error {
				_, err := g.Mremap(a, gsPage, n, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, addr)
				return err
			}
			for _, tc := range []struct {
				name  string
				err   error
				errno unix.Errno
			}{
				{"mmap fixed at top", mmapAt(top, gsPage, unix.MAP_FIXED), unix.ENOMEM},
				{"mmap fixed_noreplace at top", mmapAt(top, gsPage, unix.MAP_FIXED_NOREPLACE), unix.ENOMEM},
				{"mmap fixed across top", mmapAt(top-gsPage, 2*gsPage, unix.MAP_FIXED), unix.ENOMEM},
				{"mmap fixed_noreplace across top", mmapAt(top-gsPage, 2*gsPage, unix.MAP_FIXED_NOREPLACE), unix.ENOMEM},
				{"munmap at top", g.Munmap(top, gsPage), unix.EINVAL},
				{"munmap across top", g.Munmap(top-gsPage, 2*gsPage), unix.EINVAL},
				{"mprotect at top", g.Mprotect(top, gsPage, unix.PROT_READ), unix.ENOMEM},
				{"madvise at top", g.Madvise(top, gsPage, unix.MADV_DONTNEED), unix.ENOMEM},
				{"mremap to top", remapTo(top, gsPage), unix.EINVAL},
				{"mremap across top", remapTo(top-gsPage, 2*gsPage), unix.EINVAL},
			} {
				if errnoOf(tc.err) != tc.errno {
					t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.errno)
				}
			}
			for _, n := range []uint64{gsPage, 2 * gsPage} {
				h := mustMmap(t, g, top-Addr(n)+gsPage, n, gsRW, gsAnon)
				if h+Addr(n) > top {
					t.Fatalf("mmap of %#x with a hint across the top placed at %v", n, h)
				}
			}
			if k := kernelProt(t, top); k != -1 {
				t.Fatalf("%v is mapped (prot %d)", top, k)
			}
			if err := g.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestGuestSpacePlacement: before → mmap → where it lands and what is mapped after.
func TestGuestSpacePlacement(t *testing.T) {
	type env struct {
		g    *GuestSpace
		w    AddrRange
		base Addr
		mem  *os.File
		blk  *AddrRange // set by before when it maps a host-heap block
	}
	tests := []struct {
		name   string
		before func(t *testing.T, e env)
		mmap   func(e env) (Addr, error)
		want   func(e env) Addr
		errno  unix.Errno
		after  func(t *testing.T, e env)
	}{{
		name: "addr 0 goes top-down below the mmap base",
		mmap: func(e env) (Addr, error) { return e.g.Mmap(0, 3*gsPage, unix.PROT_READ, gsAnon, -1, 0) },
		want: func(e env) Addr { return e.base - 3*gsPage },
		after: func(t *testing.T, e env) {
			a := mustMmap(t, e.g, 0, 1, gsRW, gsAnon)
			if a != e.base-4*gsPage {
				t.Fatalf("next mmap at %v, want %v", a, e.base-4*gsPage)
			}
			wantPages(t, e.g, e.base-5*gsPage, -1, gsRW, unix.PROT_READ, unix.PROT_READ, unix.PROT_READ, -1)
		},
	}, {
		name: "a free hint is honoured",
		mmap: func(e env) (Addr, error) { return e.g.Mmap(e.w.Start+0x100000, 2*gsPage, gsRW, gsAnon, -1, 0) },
		want: func(e env) Addr { return e.w.Start + 0x100000 },
	}, {
		name: "an unaligned hint is rounded down",
		mmap: func(e env) (Addr, error) { return e.g.Mmap(e.w.Start+0x100123, gsPage, gsRW, gsAnon, -1, 0) },
		want: func(e env) Addr { return e.w.Start + 0x100000 },
	}, {
		name: "a taken hint goes top-down",
		before: func(t *testing.T, e env) {
			mustMmap(t, e.g, e.w.Start+0x100000, gsPage, gsRW, gsAnon|unix.MAP_FIXED)
		},
		mmap: func(e env) (Addr, error) { return e.g.Mmap(e.w.Start+0x100000, 2*gsPage, gsRW, gsAnon, -1, 0) },
		want: func(e env) Addr { return e.base - 2*gsPage },
	}, {
		name: "a hint outside the window goes top-down",
		mmap: func(e env) (Addr, error) { return e.g.Mmap(0x180000000, gsPage, gsRW, gsAnon, -1, 0) },
		want: func(e env) Addr { return e.base - gsPage },
	}, {
		name: "MAP_FIXED replaces the middle of a mapping",
		before: func(t *testing.T, e env) {
			a := mustMmap(t, e.g, e.w.Start+0x200000, 6*gsPage, gsRW, gsAnon|unix.MAP_FIXED)
			for i := 0; i < 6; i++ {
				poke(t, e.mem, a+Addr(i*gsPage), byte(10+i))
			}
		},
		mmap: func(e env) (Addr, error) {
			return e.g.Mmap(e.w.Start+0x202000, 2*gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED, -1, 0)
		},
		want: func(e env) Addr { return e.w.Start + 0x202000 },
		after: func(t *testing.T, e env) {
			a := e.w.Start + 0x200000
			r := unix.PROT_READ
			wantPages(t, e.g, a, gsRW, gsRW, r, r, gsRW, gsRW)
			for i, want := range []byte{10, 11, 0, 0, 14, 15} {
				if got := peek(t, e.mem, a+Addr(i*gsPage)); got != want {
					t.Fatalf("page %d holds %d, want %d", i, got, want)
				}
			}
		},
	}, {
		name: "MAP_FIXED over guest memory and free pages",
		before: func(t *testing.T, e env) {
			mustMmap(t, e.g, e.w.Start+0x202000, gsPage, gsRW, gsAnon|unix.MAP_FIXED)
		},
		mmap: func(e env) (Addr, error) {
			return e.g.Mmap(e.w.Start+0x200000, 5*gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED, -1, 0)
		},
		want: func(e env) Addr { return e.w.Start + 0x200000 },
		after: func(t *testing.T, e env) {
			r := unix.PROT_READ
			wantPages(t, e.g, e.w.Start+0x200000-gsPage, -1, r, r, r, r, r, -1)
		},
	}, {
		name: "MAP_FIXED_NOREPLACE over guest memory is EEXIST",
		before: func(t *testing.T, e env) {
			mustMmap(t, e.g, e.w.Start+0x202000, gsPage, gsRW, gsAnon|unix.MAP_FIXED)
		},
		mmap: func(e env) (Addr, error) {
			return e.g.Mmap(e.w.Start+0x200000, 4*gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0)
		},
		errno: unix.EEXIST,
		after: func(t *testing.T, e env) { wantPages(t, e.g, e.w.Start+0x200000, -1, -1, gsRW, -1) },
	}, {
		name: "MAP_FIXED_NOREPLACE on free pages",
		mmap: func(e env) (Addr, error) {
			return e.g.Mmap(e.w.Start+0x200000, 4*gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0)
		},
		want: func(e env) Addr { return e.w.Start + 0x200000 },
	}, {
		name: "MAP_FIXED over a host-heap block is refused",
		before: func(t *testing.T, e env) {
			r, err := e.g.MapBlock(16*gsPage, 16*gsPage)
			if err != nil {
				t.Fatal(err)
			}
			poke(t, e.mem, r.Start+gsPage, 77)
			*e.blk = r
		},
		mmap: func(e env) (Addr, error) {
			return e.g.Mmap(e.blk.Start-gsPage, 4*gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED, -1, 0)
		},
		errno: unix.ENOMEM,
		after: func(t *testing.T, e env) {
			blk := e.blk.Start
			wantPages(t, e.g, blk-gsPage, -1, gsRW, gsRW, gsRW)
			if got := peek(t, e.mem, blk+gsPage); got != 77 {
				t.Fatalf("host-heap block lost its contents: %d", got)
			}
			if e.g.Stats().Refused != 1 {
				t.Fatalf("refusal not counted")
			}
		},
	}, {
		name: "MAP_FIXED_NOREPLACE over a host-heap block is EEXIST",
		before: func(t *testing.T, e env) {
			r, err := e.g.MapBlock(16*gsPage, 16*gsPage)
			if err != nil {
				t.Fatal(err)
			}
			*e.blk = r
		},
		mmap: func(e env) (Addr, error) {
			return e.g.Mmap(e.blk.End-gsPage, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0)
		},
		errno: unix.EEXIST,
	}, {
		name: "MAP_FIXED across the window's end",
		mmap: func(e env) (Addr, error) {
			return e.g.Mmap(e.w.End-gsPage, 2*gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED, -1, 0)
		},
		errno: unix.ENOMEM,
	}, {
		name: "when below the mmap base is full, the stack gap is used bottom-up",
		before: func(t *testing.T, e env) {
			mustMmap(t, e.g, e.w.Start, uint64(e.base-e.w.Start), unix.PROT_NONE, gsAnon|unix.MAP_FIXED)
		},
		mmap: func(e env) (Addr, error) { return e.g.Mmap(0, 2*gsPage, gsRW, gsAnon, -1, 0) },
		want: func(e env) Addr { return e.base },
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, w := newTestSpace(t, 16<<20)
			e := env{g: g, w: w, base: g.MmapBase(), mem: openMem(t), blk: new(AddrRange)}
			if tc.before != nil {
				tc.before(t, e)
			}
			got, err := tc.mmap(e)
			if errnoOf(err) != tc.errno {
				t.Fatalf("mmap = %v, %v; want errno %v", got, err, tc.errno)
			}
			if tc.errno == 0 {
				if want := tc.want(e); got != want {
					t.Fatalf("mmap = %v, want %v", got, want)
				}
				if p, ok := g.Prot(got); !ok || kernelProt(t, got) != p {
					t.Fatalf("mapping at %v: Prot %d %v, kernel %d", got, p, ok, kernelProt(t, got))
				}
			}
			if tc.after != nil {
				tc.after(t, e)
			}
			if err := g.Check(); err != nil {
				t.Fatalf("Check: %v", err)
			}
		})
	}
}

func TestGuestSpaceMmapErrors(t *testing.T) {
	g, w := newTestSpace(t, 1<<20)
	tests := []struct {
		name   string
		addr   Addr
		length uint64
		prot   int
		flags  int
		fd     int
		off    int64
		errno  unix.Errno
	}{
		{"zero length", 0, 0, gsRW, gsAnon, -1, 0, unix.EINVAL},
		{"unknown prot bit", 0, gsPage, 0x8, gsAnon, -1, 0, unix.EINVAL},
		{"neither shared nor private", 0, gsPage, gsRW, unix.MAP_ANONYMOUS, -1, 0, unix.EINVAL},
		{"bad map type", 0, gsPage, gsRW, 0x4 | unix.MAP_ANONYMOUS, -1, 0, unix.EINVAL},
		{"unknown flag", 0, gsPage, gsRW, gsAnon | 0x800000, -1, 0, unix.EINVAL},
		{"unknown flag, validated", 0, gsPage, gsRW, unix.MAP_SHARED_VALIDATE | unix.MAP_ANONYMOUS | 0x800000, -1, 0, unix.EOPNOTSUPP},
		{"hugetlb", 0, gsPage, gsRW, gsAnon | unix.MAP_HUGETLB, -1, 0, unix.EINVAL},
		{"unaligned offset", 0, gsPage, gsRW, unix.MAP_PRIVATE, 0, 100, unix.EINVAL},
		{"unaligned fixed", w.Start + 1, gsPage, gsRW, gsAnon | unix.MAP_FIXED, -1, 0, unix.EINVAL},
		{"fixed below mmap_min_addr", 0x1000, gsPage, gsRW, gsAnon | unix.MAP_FIXED, -1, 0, unix.EPERM},
		{"fixed past 4 GiB", Limit32 - gsPage, 2 * gsPage, gsRW, gsAnon | unix.MAP_FIXED, -1, 0, unix.ENOMEM},
		{"fixed at TASK_SIZE", TaskSize32, gsPage, gsRW, gsAnon | unix.MAP_FIXED, -1, 0, unix.ENOMEM},
		{"fixed across TASK_SIZE", TaskSize32 - gsPage, 2 * gsPage, gsRW, gsAnon | unix.MAP_FIXED, -1, 0, unix.ENOMEM},
		{"noreplace at TASK_SIZE", TaskSize32, gsPage, gsRW, gsAnon | unix.MAP_FIXED_NOREPLACE, -1, 0, unix.ENOMEM},
		{"fixed in the last page", Limit32 - gsPage, gsPage, gsRW, gsAnon | unix.MAP_FIXED, -1, 0, unix.ENOMEM},
		{"fixed outside the window", w.End, gsPage, gsRW, gsAnon | unix.MAP_FIXED, -1, 0, unix.ENOMEM},
		{"fixed, length overflows", w.Start, ^uint64(0) - 2*gsPage, gsRW, gsAnon | unix.MAP_FIXED, -1, 0, unix.ENOMEM},
		{"length rounds past 2^64", 0, ^uint64(0), gsRW, gsAnon, -1, 0, unix.ENOMEM},
		{"larger than the window", 0, uint64(w.Length()) + gsPage, gsRW, gsAnon, -1, 0, unix.ENOMEM},
		{"bad file descriptor", 0, gsPage, unix.PROT_READ, unix.MAP_PRIVATE, 1 << 20, 0, unix.EBADF},
	}
	for _, tc := range tests {
		got, err := g.Mmap(tc.addr, tc.length, tc.prot, tc.flags, tc.fd, tc.off)
		if errnoOf(err) != tc.errno {
			t.Errorf("%s: Mmap = %v, %v; want %v", tc.name, got, err, tc.errno)
		}
	}
	// Nothing was mapped by any of them.
	if st := g.Stats(); st.GuestBytes != 0 || st.VMAs != 0 {
		t.Fatalf("after failed mmaps: %+v", st)
	}
	for a := w.Start; a < w.End; a += 64 * gsPage {
		if k := kernelProt(t, a); k != -1 {
			t.Fatalf("%v mapped in the kernel after failed mmaps", a)
		}
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestGuestSpaceMunmapMprotect(t *testing.T) {
	g, w := newTestSpace(t, 1<<20)
	mem := openMem(t)
	a := mustMmap(t, g, w.Start+16*gsPage, 4*gsPage, gsRW, gsAnon|unix.MAP_FIXED)
	blk, err := g.MapBlock(4*gsPage, gsPage)
	if err != nil {
		t.Fatal(err)
	}
	poke(t, mem, blk.Start, 5)
	errTests := []struct {
		name  string
		err   error
		errno unix.Errno
	}{
		{"munmap unaligned", g.Munmap(a+1, gsPage), unix.EINVAL},
		{"munmap zero length", g.Munmap(a, 0), unix.EINVAL},
		{"munmap overflowing", g.Munmap(a, ^uint64(0)-gsPage), unix.EINVAL},
		{"munmap past 4 GiB", g.Munmap(Limit32-gsPage, 2*gsPage), unix.EINVAL},
		{"munmap at TASK_SIZE", g.Munmap(TaskSize32, gsPage), unix.EINVAL},
		{"munmap across TASK_SIZE", g.Munmap(TaskSize32-gsPage, 2*gsPage), unix.EINVAL},
		{"mprotect at TASK_SIZE", g.Mprotect(TaskSize32, gsPage, unix.PROT_READ), unix.ENOMEM},
		{"madvise at TASK_SIZE", g.Madvise(TaskSize32, gsPage, unix.MADV_DONTNEED), unix.ENOMEM},
		{"munmap of unmapped pages", g.Munmap(w.Start, 4*gsPage), 0},
		{"munmap over a host-heap block", g.Munmap(blk.Start-gsPage, 2*gsPage), unix.EINVAL},
		{"mprotect unaligned", g.Mprotect(a+1, gsPage, unix.PROT_READ), unix.EINVAL},
		{"mprotect bad prot", g.Mprotect(a, gsPage, 0x10), unix.EINVAL},
		{"mprotect growsdown", g.Mprotect(a, gsPage, unix.PROT_READ|unix.PROT_GROWSDOWN), unix.EINVAL},
		{"mprotect zero length", g.Mprotect(a, 0, unix.PROT_READ), 0},
		{"mprotect of unmapped pages", g.Mprotect(a-gsPage, 2*gsPage, unix.PROT_READ), unix.ENOMEM},
		{"mprotect past the mapping", g.Mprotect(a+3*gsPage, 2*gsPage, unix.PROT_READ), unix.ENOMEM},
		{"mprotect of a host-heap block", g.Mprotect(blk.Start, gsPage, unix.PROT_READ), unix.ENOMEM},
		{"madvise unaligned", g.Madvise(a+1, gsPage, unix.MADV_DONTNEED), unix.EINVAL},
		{"madvise unknown advice", g.Madvise(a, gsPage, 12345), unix.EINVAL},
		{"madvise hwpoison", g.Madvise(a, gsPage, unix.MADV_HWPOISON), unix.EINVAL},
		{"madvise over a host-heap block", g.Madvise(blk.Start, gsPage, unix.MADV_DONTNEED), unix.ENOMEM},
	}
	for _, tc := range errTests {
		if errnoOf(tc.err) != tc.errno {
			t.Errorf("%s: %v, want errno %v", tc.name, tc.err, tc.errno)
		}
	}
	wantPages(t, g, a, gsRW, gsRW, gsRW, gsRW)
	wantPages(t, g, blk.Start, gsRW, gsRW, gsRW, gsRW)
	if got := peek(t, mem, blk.Start); got != 5 {
		t.Fatalf("host-heap block lost its contents: %d", got)
	}

	// mprotect of the middle splits; restoring merges again.
	if err := g.Mprotect(a+gsPage, 2*gsPage, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	wantPages(t, g, a, gsRW, unix.PROT_READ, unix.PROT_READ, gsRW)
	if n := g.Stats().VMAs; n != 4 {
		t.Fatalf("%d vmas after a split, want 4 (3 + block)", n)
	}
	if err := g.Mprotect(a, 4*gsPage, gsRW); err != nil {
		t.Fatal(err)
	}
	if n := g.Stats().VMAs; n != 2 {
		t.Fatalf("%d vmas after restoring, want 2", n)
	}
	// A partial munmap splits; munmap across mapped and unmapped pages is fine.
	if err := g.Munmap(a+gsPage, gsPage); err != nil {
		t.Fatal(err)
	}
	wantPages(t, g, a, gsRW, -1, gsRW, gsRW)
	if err := g.Munmap(a-4*gsPage, 12*gsPage); err != nil {
		t.Fatal(err)
	}
	wantPages(t, g, a, -1, -1, -1, -1)
	wantPages(t, g, blk.Start, gsRW)
}

func TestGuestSpaceFileMappings(t *testing.T) {
	g, _ := newTestSpace(t, 1<<20)
	mem := openMem(t)
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, 3*gsPage)
	data[0], data[gsPage], data[2*gsPage] = 'a', 'b', 'c'
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	// A private mapping of the second and third pages.
	a, err := g.Mmap(0, 2*gsPage, unix.PROT_READ, unix.MAP_PRIVATE, int(ro.Fd()), gsPage)
	if err != nil {
		t.Fatal(err)
	}
	if peek(t, mem, a) != 'b' || peek(t, mem, a+gsPage) != 'c' {
		t.Fatalf("private file mapping does not show the file")
	}
	// A shared mapping of a read-only file cannot become writable: the
	// kernel says EACCES and nothing changes.
	s, err := g.Mmap(0, gsPage, unix.PROT_READ, unix.MAP_SHARED, int(ro.Fd()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Mprotect(s, gsPage, gsRW); errnoOf(err) != unix.EACCES {
		t.Fatalf("mprotect RW of a read-only shared file mapping: %v, want EACCES", err)
	}
	wantPages(t, g, s, unix.PROT_READ)
	// A writable shared mapping writes through to the file.
	rw, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	s2, err := g.Mmap(0, gsPage, gsRW, unix.MAP_SHARED, int(rw.Fd()), 0)
	if err != nil {
		t.Fatal(err)
	}
	poke(t, mem, s2, 'z')
	var b [1]byte
	if _, err := rw.ReadAt(b[:], 0); err != nil || b[0] != 'z' {
		t.Fatalf("file holds %q, %v; want 'z'", b[0], err)
	}
	// Shared and file mappings are never merged with each other.
	if n := g.Stats().VMAs; n != 3 {
		t.Fatalf("%d vmas, want 3", n)
	}
	if err := g.Munmap(a, 2*gsPage); err != nil {
		t.Fatal(err)
	}
	wantPages(t, g, a, -1, -1)
}

func TestGuestSpaceBrk(t *testing.T) {
	g, w := newTestSpace(t, 16<<20)
	mem := openMem(t)
	if got := g.Brk(0); got != 0 {
		t.Fatalf("brk before SetBrkBase = %v, want 0", got)
	}
	if err := g.SetBrkBase(w.End + gsPage); errnoOf(err) != unix.EINVAL {
		t.Fatalf("SetBrkBase outside the window: %v", err)
	}
	base := w.Start + 0x100000
	if err := g.SetBrkBase(base - 0x123); err != nil {
		t.Fatal(err)
	}
	// A mapping 4 pages above the base limits the break (one guard page).
	mustMmap(t, g, base+4*gsPage, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED)
	steps := []struct {
		req   Addr
		want  Addr
		pages []int // protections from base on, after the call
	}{
		{0, base, []int{-1}},
		{base - gsPage, base, []int{-1}},      // below the base: unchanged
		{base + 1, base + 1, []int{gsRW, -1}}, // grows a page
		{base + 100, base + 100, []int{gsRW, -1}},
		{base + 2*gsPage + 5, base + 2*gsPage + 5, []int{gsRW, gsRW, gsRW, -1}},
		{base + 3*gsPage, base + 3*gsPage, []int{gsRW, gsRW, gsRW, -1, unix.PROT_READ}}, // guard page free
		{base + 3*gsPage + 1, base + 3*gsPage, []int{gsRW, gsRW, gsRW, -1}},             // would touch the mapping
		{base + 5*gsPage, base + 3*gsPage, []int{gsRW, gsRW, gsRW, -1}},                 // would run over it
		{base + gsPage, base + gsPage, []int{gsRW, -1, -1, -1, unix.PROT_READ}},         // shrinks
		{base, base, []int{-1, -1}},
		{w.End + gsPage, base, []int{-1}}, // past the window
		{^Addr(0), base, []int{-1}},       // rounds past 2^64
	}
	for i, s := range steps {
		if got := g.Brk(s.req); got != s.want {
			t.Fatalf("step %d: brk(%v) = %v, want %v", i, s.req, got, s.want)
		}
		wantPages(t, g, base, s.pages...)
	}
	// Grown pages are zero, also after shrinking and growing again.
	g.Brk(base + gsPage)
	poke(t, mem, base, 9)
	g.Brk(base)
	g.Brk(base + gsPage)
	if got := peek(t, mem, base); got != 0 {
		t.Fatalf("regrown break page holds %d, want 0", got)
	}
	if err := g.SetBrkBase(base + 16*gsPage); errnoOf(err) != unix.EINVAL {
		t.Fatalf("SetBrkBase after growth: %v, want EINVAL", err)
	}
	// The break may grow up to the window's end (no guard page needed there).
	g2, w2 := newTestSpace(t, 1<<20)
	if err := g2.SetBrkBase(w2.End - 2*gsPage); err != nil {
		t.Fatal(err)
	}
	if got := g2.Brk(w2.End); got != w2.End {
		t.Fatalf("brk to the window's end = %v, want %v", got, w2.End)
	}
}

func TestGuestSpaceMremap(t *testing.T) {
	type env struct {
		g    *GuestSpace
		w    AddrRange
		a    Addr // a 4-page RW mapping, pages tagged 1..4
		base Addr
		mem  *os.File
	}
	tests := []struct {
		name    string
		before  func(t *testing.T, e env)
		oldOff  int64
		oldLen  uint64
		newLen  uint64
		flags   int
		newAddr func(e env) Addr
		want    func(e env) Addr
		errno   unix.Errno
		after   func(t *testing.T, e env, got Addr)
	}{{
		name: "shrink in place", oldLen: 4 * gsPage, newLen: 2 * gsPage,
		want:  func(e env) Addr { return e.a },
		after: func(t *testing.T, e env, got Addr) { wantPages(t, e.g, e.a, gsRW, gsRW, -1, -1) },
	}, {
		name: "grow in place", oldLen: 4 * gsPage, newLen: 6 * gsPage,
		want: func(e env) Addr { return e.a },
		after: func(t *testing.T, e env, got Addr) {
			wantPages(t, e.g, e.a, gsRW, gsRW, gsRW, gsRW, gsRW, gsRW, -1)
		},
	}, {
		name: "grow blocked, no MREMAP_MAYMOVE", oldLen: 4 * gsPage, newLen: 6 * gsPage,
		before: func(t *testing.T, e env) {
			mustMmap(t, e.g, e.a+5*gsPage, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED)
		},
		errno: unix.ENOMEM,
	}, {
		name: "grow blocked, moves top-down", oldLen: 4 * gsPage, newLen: 6 * gsPage, flags: unix.MREMAP_MAYMOVE,
		before: func(t *testing.T, e env) {
			mustMmap(t, e.g, e.a+5*gsPage, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED)
		},
		want: func(e env) Addr { return e.base - 6*gsPage },
		after: func(t *testing.T, e env, got Addr) {
			wantPages(t, e.g, e.a, -1, -1, -1, -1)
			wantPages(t, e.g, got, gsRW, gsRW, gsRW, gsRW, gsRW, gsRW)
		},
	}, {
		name: "grow of a part moves that part", oldOff: gsPage, oldLen: 2 * gsPage, newLen: 3 * gsPage, flags: unix.MREMAP_MAYMOVE,
		want: func(e env) Addr { return e.base - 3*gsPage },
		after: func(t *testing.T, e env, got Addr) {
			wantPages(t, e.g, e.a, gsRW, -1, -1, gsRW)
			if peek(t, e.mem, got) != 2 || peek(t, e.mem, got+gsPage) != 3 {
				t.Fatalf("moved pages lost their contents")
			}
		},
	}, {
		name: "MREMAP_FIXED replaces guest memory", oldLen: 4 * gsPage, newLen: 4 * gsPage,
		flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED,
		before: func(t *testing.T, e env) {
			mustMmap(t, e.g, e.a+16*gsPage, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED)
		},
		newAddr: func(e env) Addr { return e.a + 14*gsPage },
		want:    func(e env) Addr { return e.a + 14*gsPage },
		after: func(t *testing.T, e env, got Addr) {
			wantPages(t, e.g, got-gsPage, -1, gsRW, gsRW, gsRW, gsRW, -1)
			wantPages(t, e.g, e.a, -1)
		},
	}, {
		name: "MREMAP_FIXED over a host-heap block", oldLen: 4 * gsPage, newLen: 4 * gsPage,
		flags:   unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED,
		newAddr: func(e env) Addr { return e.base - 2*gsPage },
		before: func(t *testing.T, e env) {
			if _, err := e.g.MapBlock(gsPage, gsPage); err != nil {
				t.Fatal(err)
			}
		},
		errno: unix.ENOMEM,
		after: func(t *testing.T, e env, got Addr) {
			wantPages(t, e.g, e.a, gsRW, gsRW, gsRW, gsRW)
			wantPages(t, e.g, e.base-gsPage, gsRW)
		},
	}, {
		name: "MREMAP_FIXED onto itself", oldLen: 4 * gsPage, newLen: 4 * gsPage,
		flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: func(e env) Addr { return e.a + 2*gsPage },
		errno: unix.EINVAL,
	}, {
		name: "MREMAP_FIXED outside the window", oldLen: 4 * gsPage, newLen: 4 * gsPage,
		flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: func(e env) Addr { return e.w.End },
		errno: unix.ENOMEM,
	}, {
		name: "MREMAP_FIXED past 4 GiB", oldLen: 4 * gsPage, newLen: 4 * gsPage,
		flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: func(e env) Addr { return Limit32 - gsPage },
		errno: unix.EINVAL,
	}, {
		name: "MREMAP_FIXED at TASK_SIZE", oldLen: gsPage, newLen: gsPage,
		flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: func(e env) Addr { return TaskSize32 },
		errno: unix.EINVAL,
	}, {
		name: "MREMAP_FIXED across TASK_SIZE", oldLen: gsPage, newLen: 2 * gsPage,
		flags: unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, newAddr: func(e env) Addr { return TaskSize32 - gsPage },
		errno: unix.EINVAL,
	}, {
		name: "MREMAP_DONTUNMAP", oldLen: 2 * gsPage, newLen: 2 * gsPage, flags: unix.MREMAP_MAYMOVE | unix.MREMAP_DONTUNMAP,
		want: func(e env) Addr { return e.base - 2*gsPage },
		after: func(t *testing.T, e env, got Addr) {
			wantPages(t, e.g, e.a, gsRW, gsRW, gsRW, gsRW)
			if peek(t, e.mem, got) != 1 || peek(t, e.mem, e.a) != 0 {
				t.Fatalf("DONTUNMAP: new page holds %d, old %d; want 1, 0", peek(t, e.mem, got), peek(t, e.mem, e.a))
			}
		},
	},
		{name: "MREMAP_FIXED without MAYMOVE", oldLen: 4 * gsPage, newLen: 4 * gsPage, flags: unix.MREMAP_FIXED, errno: unix.EINVAL},
		{name: "DONTUNMAP with another size", oldLen: 2 * gsPage, newLen: 3 * gsPage, flags: unix.MREMAP_MAYMOVE | unix.MREMAP_DONTUNMAP, errno: unix.EINVAL},
		{name: "unknown flag", oldLen: 4 * gsPage, newLen: 4 * gsPage, flags: 0x40, errno: unix.EINVAL},
		{name: "unaligned old address", oldOff: 1, oldLen: gsPage, newLen: gsPage, errno: unix.EINVAL},
		{name: "new length 0", oldLen: 4 * gsPage, newLen: 0, errno: unix.EINVAL},
		{name: "old length 0", oldLen: 0, newLen: gsPage, errno: unix.EINVAL},
		{name: "old range past the mapping", oldLen: 5 * gsPage, newLen: 6 * gsPage, flags: unix.MREMAP_MAYMOVE, errno: unix.EFAULT},
		{name: "unmapped old range", oldOff: -gsPage, oldLen: gsPage, newLen: 2 * gsPage, flags: unix.MREMAP_MAYMOVE, errno: unix.EFAULT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, w := newTestSpace(t, 16<<20)
			mem := openMem(t)
			a := mustMmap(t, g, w.Start+0x100000, 4*gsPage, gsRW, gsAnon|unix.MAP_FIXED)
			for i := 0; i < 4; i++ {
				poke(t, mem, a+Addr(i*gsPage), byte(i+1))
			}
			e := env{g: g, w: w, a: a, base: g.MmapBase(), mem: mem}
			if tc.before != nil {
				tc.before(t, e)
			}
			var na Addr
			if tc.newAddr != nil {
				na = tc.newAddr(e)
			}
			got, err := g.Mremap(a+Addr(tc.oldOff), tc.oldLen, tc.newLen, tc.flags, na)
			if errnoOf(err) != tc.errno {
				t.Fatalf("Mremap = %v, %v; want errno %v", got, err, tc.errno)
			}
			if tc.errno == 0 {
				if want := tc.want(e); got != want {
					t.Fatalf("Mremap = %v, want %v", got, want)
				}
				if tc.flags&unix.MREMAP_DONTUNMAP == 0 && tc.oldOff == 0 {
					for i := uint64(0); i < min(tc.oldLen, tc.newLen)/gsPage; i++ {
						if v := peek(t, mem, got+Addr(i*gsPage)); v != byte(i+1) {
							t.Fatalf("page %d after mremap holds %d, want %d", i, v, i+1)
						}
					}
				}
			} else {
				wantPages(t, g, a, gsRW, gsRW, gsRW, gsRW)
			}
			if tc.after != nil {
				tc.after(t, e, got)
			}
			if err := g.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGuestSpaceHostBlocks(t *testing.T) {
	g, w := newTestSpace(t, 64<<20)
	mem := openMem(t)
	guest := mustMmap(t, g, 0, 8*gsPage, gsRW, gsAnon)
	var blocks []AddrRange
	for _, c := range []struct{ length, align uint64 }{
		{2 << 20, 2 << 20}, {512 << 10, 512 << 10}, {128 << 10, 128 << 10}, {gsPage, gsPage}, {3 * gsPage, 64 << 10},
	} {
		r, err := g.MapBlock(c.length, c.align)
		if err != nil {
			t.Fatalf("MapBlock(%#x, %#x): %v", c.length, c.align, err)
		}
		if uint64(r.Start)%c.align != 0 || r.Length() != c.length || !w.IsSupersetOf(r) {
			t.Fatalf("MapBlock(%#x, %#x) = %v: misaligned, wrong size or outside %v", c.length, c.align, r, w)
		}
		if r.Overlaps(AddrRange{Start: guest, End: guest + 8*gsPage}) {
			t.Fatalf("block %v overlaps the guest mapping at %v", r, guest)
		}
		for _, b := range blocks {
			if b.Overlaps(r) {
				t.Fatalf("blocks %v and %v overlap", b, r)
			}
		}
		if !g.IsMapped(r, gsRW) {
			t.Fatalf("block %v not guest-visible", r)
		}
		poke(t, mem, r.Start, 42)
		blocks = append(blocks, r)
	}
	// Guest mappings never land on blocks.
	for i := 0; i < 50; i++ {
		a := mustMmap(t, g, 0, 16*gsPage, unix.PROT_READ, gsAnon)
		for _, b := range blocks {
			if b.Overlaps(AddrRange{Start: a, End: a + 16*gsPage}) {
				t.Fatalf("guest mmap %v lands on block %v", a, b)
			}
		}
	}
	b := blocks[0]
	if _, err := g.Mremap(b.Start, gsPage, 2*gsPage, unix.MREMAP_MAYMOVE, 0); errnoOf(err) != unix.EFAULT {
		t.Fatalf("mremap of a block: %v, want EFAULT", err)
	}
	if err := g.Madvise(b.Start, gsPage, unix.MADV_DONTNEED); errnoOf(err) != unix.ENOMEM {
		t.Fatalf("madvise of a block: %v, want ENOMEM", err)
	}
	if peek(t, mem, b.Start) != 42 {
		t.Fatalf("block lost its contents")
	}
	for _, bad := range []struct{ length, align uint64 }{{0, gsPage}, {gsPage + 1, gsPage}, {gsPage, 100}, {gsPage, gsPage / 2}} {
		if _, err := g.MapBlock(bad.length, bad.align); errnoOf(err) != unix.EINVAL {
			t.Fatalf("MapBlock(%#x, %#x): %v, want EINVAL", bad.length, bad.align, err)
		}
	}
	for _, bad := range []AddrRange{{Start: b.Start, End: b.End - gsPage}, {Start: b.Start + gsPage, End: b.End},
		{Start: guest, End: guest + 8*gsPage}, {Start: w.Start, End: w.Start + gsPage}} {
		if err := g.UnmapBlock(bad); errnoOf(err) != unix.EINVAL {
			t.Fatalf("UnmapBlock(%v): %v, want EINVAL", bad, err)
		}
	}
	classes := map[Class]int{}
	g.OwnedRanges(func(r AddrRange, c Class) {
		classes[c]++
		if c == ClassHostHeap && !slices.Contains(blocks, r) {
			t.Fatalf("OwnedRanges: %v as host heap is not a block", r)
		}
	})
	if classes[ClassHostHeap] != len(blocks) || classes[ClassGuest] == 0 {
		t.Fatalf("OwnedRanges classes %v", classes)
	}
	for _, b := range blocks {
		if err := g.UnmapBlock(b); err != nil {
			t.Fatal(err)
		}
		if k := kernelProt(t, b.Start); k != -1 {
			t.Fatalf("block %v still mapped after UnmapBlock", b)
		}
	}
	if st := g.Stats(); st.HostHeapBytes != 0 || st.BlockMaps != 5 || st.BlockUnmaps != 5 {
		t.Fatalf("stats after unmapping the blocks: %+v", st)
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestGuestSpaceForeign: mappings that are not ours inside the window, made
// before the GuestSpace existed or behind its back, are stepped over and
// never unmapped, replaced or changed.
func TestGuestSpaceForeign(t *testing.T) {
	mem := openMem(t)
	foreignAt := func(t *testing.T, a Addr, n uint64) AddrRange {
		t.Helper()
		if _, err := sysMmap(a, n*gsPage, unix.PROT_READ|unix.PROT_WRITE, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0); err != nil {
			t.Fatalf("foreign mmap at %v: %v", a, err)
		}
		r := AddrRange{Start: a, End: a + Addr(n*gsPage)}
		t.Cleanup(func() { sysMunmap(r) })
		poke(t, mem, a, 99)
		return r
	}
	intact := func(t *testing.T, g *GuestSpace, f AddrRange) {
		t.Helper()
		if k := kernelProt(t, f.Start); k != gsRW || peek(t, mem, f.Start) != 99 {
			t.Fatalf("foreign mapping %v changed: prot %d", f, k)
		}
		if g.IsMapped(f, unix.PROT_READ) {
			t.Fatalf("foreign mapping %v is guest-visible", f)
		}
		if err := g.Check(); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("present at creation", func(t *testing.T) {
		w := freeTestWindow(t, 16<<20)
		base := w.End - 4<<20 // the mmap base: the stack top (the window end) less the gap
		f := foreignAt(t, base-2*gsPage, 2)
		g, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode32, Window: w, StackGap: 4 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		if st := g.Stats(); st.ForeignBytes != 2*gsPage {
			t.Fatalf("foreign bytes %d, want %d", st.ForeignBytes, 2*gsPage)
		}
		if a := mustMmap(t, g, 0, gsPage, gsRW, gsAnon); a != f.Start-gsPage {
			t.Fatalf("mmap at %v, want %v (below the foreign mapping)", a, f.Start-gsPage)
		}
		if _, err := g.Mmap(f.Start, gsPage, gsRW, gsAnon|unix.MAP_FIXED, -1, 0); errnoOf(err) != unix.ENOMEM {
			t.Fatalf("MAP_FIXED over it: %v, want ENOMEM", err)
		}
		if _, err := g.Mmap(f.Start-gsPage, 2*gsPage, gsRW, gsAnon|unix.MAP_FIXED, -1, 0); errnoOf(err) != unix.ENOMEM {
			t.Fatalf("MAP_FIXED over guest and it: %v, want ENOMEM", err)
		}
		if _, err := g.Mmap(f.Start, gsPage, gsRW, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0); errnoOf(err) != unix.EEXIST {
			t.Fatalf("MAP_FIXED_NOREPLACE over it: %v, want EEXIST", err)
		}
		if err := g.Mprotect(f.Start, gsPage, unix.PROT_READ); errnoOf(err) != unix.ENOMEM {
			t.Fatalf("mprotect of it: %v, want ENOMEM", err)
		}
		if err := g.Munmap(f.Start-gsPage, 4*gsPage); err != nil {
			t.Fatalf("munmap across it: %v", err)
		}
		intact(t, g, f)
		wantPages(t, g, f.Start-gsPage, -1)
	})

	t.Run("appears later at the top-down spot", func(t *testing.T) {
		g, _ := newTestSpace(t, 16<<20)
		f := foreignAt(t, g.MmapBase()-gsPage, 1)
		if a := mustMmap(t, g, 0, gsPage, gsRW, gsAnon); a != f.Start-gsPage {
			t.Fatalf("mmap at %v, want %v", a, f.Start-gsPage)
		}
		if st := g.Stats(); st.Collisions != 1 || st.ForeignBytes != gsPage {
			t.Fatalf("collisions %d, foreign bytes %d; want 1, %d", st.Collisions, st.ForeignBytes, gsPage)
		}
		intact(t, g, f)
	})

	t.Run("appears later at the hint", func(t *testing.T) {
		g, w := newTestSpace(t, 16<<20)
		f := foreignAt(t, w.Start+0x100000, 1)
		if a := mustMmap(t, g, f.Start, gsPage, gsRW, gsAnon); a != g.MmapBase()-gsPage {
			t.Fatalf("mmap at %v, want %v", a, g.MmapBase()-gsPage)
		}
		intact(t, g, f)
	})

	t.Run("appears later where MAP_FIXED replaces", func(t *testing.T) {
		g, w := newTestSpace(t, 16<<20)
		a := mustMmap(t, g, w.Start+0x100000, gsPage, gsRW, gsAnon|unix.MAP_FIXED)
		poke(t, mem, a, 7)
		f := foreignAt(t, a+gsPage, 1)
		if _, err := g.Mmap(a, 2*gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED, -1, 0); errnoOf(err) != unix.ENOMEM {
			t.Fatalf("MAP_FIXED over guest + foreign: %v, want ENOMEM", err)
		}
		if _, err := g.Mmap(f.Start, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED, -1, 0); errnoOf(err) != unix.ENOMEM {
			t.Fatalf("MAP_FIXED over foreign: %v, want ENOMEM", err)
		}
		wantPages(t, g, a, gsRW)
		if peek(t, mem, a) != 7 {
			t.Fatalf("guest page was replaced")
		}
		intact(t, g, f)
	})

	t.Run("appears later where mremap and brk would grow", func(t *testing.T) {
		g, w := newTestSpace(t, 16<<20)
		a := mustMmap(t, g, w.Start+0x100000, gsPage, gsRW, gsAnon|unix.MAP_FIXED)
		f := foreignAt(t, a+gsPage, 1)
		if _, err := g.Mremap(a, gsPage, 2*gsPage, 0, 0); errnoOf(err) != unix.ENOMEM {
			t.Fatalf("mremap grow into foreign: %v, want ENOMEM", err)
		}
		got, err := g.Mremap(a, gsPage, 2*gsPage, unix.MREMAP_MAYMOVE, 0)
		if err != nil || got == a {
			t.Fatalf("mremap with MAYMOVE: %v, %v; want a move", got, err)
		}
		intact(t, g, f)
		base := w.Start + 0x200000
		if err := g.SetBrkBase(base); err != nil {
			t.Fatal(err)
		}
		f2 := foreignAt(t, base+2*gsPage, 1)
		if got := g.Brk(base + 2*gsPage); got != base {
			t.Fatalf("brk into foreign = %v, want %v", got, base)
		}
		if got := g.Brk(base + gsPage); got != base+gsPage {
			t.Fatalf("brk below the guard page = %v, want %v", got, base+gsPage)
		}
		intact(t, g, f2)
	})
}

// TestGuestSpaceExhaustion fills a small window: the next request is
// ENOMEM, and nothing outside the window was touched.
func TestGuestSpaceExhaustion(t *testing.T) {
	outside := func(w AddrRange) []MapsEntry {
		es, err := ReadMaps()
		if err != nil {
			t.Fatal(err)
		}
		var out []MapsEntry
		for _, e := range es {
			// Below 4 GiB and outside the window; the race runtime's C heap
			// may grow meanwhile.
			if e.Range.End <= Limit32 && !e.Range.Overlaps(w) && e.Path != "[heap]" {
				out = append(out, e)
			}
		}
		return out
	}
	g, w := newTestSpace(t, 1<<20)
	before := outside(w)
	var maps []Addr
	for {
		a, err := g.Mmap(0, 16*gsPage, gsRW, gsAnon, -1, 0)
		if err != nil {
			if errnoOf(err) != unix.ENOMEM {
				t.Fatalf("mmap: %v, want ENOMEM when full", err)
			}
			break
		}
		if !w.IsSupersetOf(AddrRange{Start: a, End: a + 16*gsPage}) {
			t.Fatalf("mmap at %v outside %v", a, w)
		}
		maps = append(maps, a)
	}
	// What the 16-page mappings leave between them takes single pages.
	for {
		a, err := g.Mmap(0, gsPage, gsRW, gsAnon, -1, 0)
		if err != nil {
			if errnoOf(err) != unix.ENOMEM {
				t.Fatalf("mmap: %v, want ENOMEM when full", err)
			}
			break
		}
		if !w.Contains(a) {
			t.Fatalf("mmap at %v outside %v", a, w)
		}
	}
	if st := g.Stats(); st.GuestBytes != w.Length() {
		t.Fatalf("guest bytes %d when full, want the whole window %d", st.GuestBytes, w.Length())
	}
	if _, err := g.MapBlock(gsPage, gsPage); errnoOf(err) != unix.ENOMEM {
		t.Fatalf("MapBlock when full: %v", err)
	}
	if _, err := g.Mremap(maps[0], 16*gsPage, 17*gsPage, unix.MREMAP_MAYMOVE, 0); errnoOf(err) != unix.ENOMEM {
		t.Fatalf("mremap grow when full: %v", err)
	}
	if err := g.SetBrkBase(w.Start); err != nil {
		t.Fatal(err)
	}
	if got := g.Brk(w.Start + gsPage); got != w.Start {
		t.Fatalf("brk when full = %v, want %v", got, w.Start)
	}
	if after := outside(w); !slices.Equal(before, after) {
		t.Fatalf("mappings outside the window changed:\nbefore %v\nafter  %v", before, after)
	}
	// Freeing one makes room at exactly that place.
	if err := g.Munmap(maps[3], 16*gsPage); err != nil {
		t.Fatal(err)
	}
	if a := mustMmap(t, g, 0, 16*gsPage, gsRW, gsAnon); a != maps[3] {
		t.Fatalf("refill at %v, want %v", a, maps[3])
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestGuestSpaceChangeHook(t *testing.T) {
	g, w := newTestSpace(t, 16<<20)
	var got []AddrRange
	g.SetChangeHook(func(r AddrRange) {
		got = append(got, r)
		g.Prot(r.Start) // the hook may call back in
	})
	a := w.Start + 0x100000
	rng := func(off, n int) AddrRange {
		return AddrRange{Start: a + Addr(off*gsPage), End: a + Addr((off+n)*gsPage)}
	}
	steps := []struct {
		name string
		op   func() error
		want []AddrRange
	}{
		{"fresh mmap", func() error { _, err := g.Mmap(a, 8*gsPage, gsRW, gsAnon|unix.MAP_FIXED, -1, 0); return err }, nil},
		{"mprotect", func() error { return g.Mprotect(a+gsPage, gsPage, unix.PROT_READ) }, []AddrRange{rng(1, 1)}},
		{"MAP_FIXED replacing", func() error {
			_, err := g.Mmap(a+2*gsPage, 2*gsPage, gsRW, gsAnon|unix.MAP_FIXED, -1, 0)
			return err
		}, []AddrRange{rng(2, 2)}},
		{"munmap", func() error { return g.Munmap(a+4*gsPage, gsPage) }, []AddrRange{rng(4, 1)}},
		{"madvise DONTNEED", func() error { return g.Madvise(a+5*gsPage, gsPage, unix.MADV_DONTNEED) }, []AddrRange{rng(5, 1)}},
		{"madvise WILLNEED", func() error { return g.Madvise(a+5*gsPage, gsPage, unix.MADV_WILLNEED) }, nil},
		{"mremap shrink", func() error { _, err := g.Mremap(a+5*gsPage, 3*gsPage, gsPage, 0, 0); return err }, []AddrRange{rng(6, 2)}},
		{"mremap move", func() error {
			_, err := g.Mremap(a+5*gsPage, gsPage, gsPage, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, a+20*gsPage)
			return err
		}, []AddrRange{rng(5, 1)}},
		{"munmap of nothing", func() error { return g.Munmap(a+30*gsPage, gsPage) }, nil},
	}
	for _, s := range steps {
		got = nil
		if err := s.op(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !slices.Equal(got, s.want) {
			t.Fatalf("%s: hook saw %v, want %v", s.name, got, s.want)
		}
	}
	if err := g.SetBrkBase(a + 0x100000); err != nil {
		t.Fatal(err)
	}
	g.Brk(a + 0x100000 + 3*gsPage)
	got = nil
	g.Brk(a + 0x100000 + gsPage)
	if want := []AddrRange{{Start: a + 0x100000 + gsPage, End: a + 0x100000 + 3*gsPage}}; !slices.Equal(got, want) {
		t.Fatalf("brk shrink: hook saw %v, want %v", got, want)
	}
}

// TestGuestSpaceMappedPrefix: where a range stops being guest-visible.
func TestGuestSpaceMappedPrefix(t *testing.T) {
	g, w := newTestSpace(t, 1<<20)
	a := w.Start + 16*gsPage
	mustMmap(t, g, a, 2*gsPage, gsRW, gsAnon|unix.MAP_FIXED)
	mustMmap(t, g, a+2*gsPage, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED)
	mustMmap(t, g, a+3*gsPage, gsPage, unix.PROT_NONE, gsAnon|unix.MAP_FIXED)
	// a+4 pages is unmapped; a host-heap block counts as guest-visible.
	blk, err := g.MapBlock(gsPage, gsPage)
	if err != nil {
		t.Fatal(err)
	}
	r := func(off, n Addr) AddrRange { return AddrRange{Start: a + off, End: a + off + n} }
	tests := []struct {
		r    AddrRange
		prot int
		want Addr
	}{
		{r(0, 0), gsRW, a},
		{r(10, 100), gsRW, a + 110},
		{r(10, 5*gsPage), gsRW, a + 2*gsPage},
		{r(10, 5*gsPage), unix.PROT_READ, a + 3*gsPage},
		{r(10, 5*gsPage), unix.PROT_NONE, a + 4*gsPage},
		{r(4*gsPage+8, 10), unix.PROT_NONE, a + 4*gsPage + 8},
		{r(3*gsPage+8, 10), unix.PROT_READ, a + 3*gsPage + 8},
		{AddrRange{Start: a - 1, End: a + 1}, unix.PROT_READ, a - 1},
		{AddrRange{Start: blk.Start + 5, End: blk.End + gsPage}, gsRW, blk.End},
	}
	for _, tc := range tests {
		if got := g.MappedPrefix(tc.r, tc.prot); got != tc.want {
			t.Errorf("MappedPrefix(%v, %d) = %v, want %v", tc.r, tc.prot, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { g.MappedPrefix(r(0, 5*gsPage), unix.PROT_READ) }); n != 0 {
		t.Fatalf("MappedPrefix allocates %v times", n)
	}
}

func TestGuestSpaceIsMapped(t *testing.T) {
	g, w := newTestSpace(t, 1<<20)
	a := w.Start + 16*gsPage
	mustMmap(t, g, a, 2*gsPage, gsRW, gsAnon|unix.MAP_FIXED)
	mustMmap(t, g, a+2*gsPage, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED)
	r := func(off, n Addr) AddrRange { return AddrRange{Start: a + off, End: a + off + n} }
	tests := []struct {
		r    AddrRange
		prot int
		want bool
	}{
		{r(0, 0), gsRW, true},
		{r(0, 1), gsRW, true},
		{r(10, 2*gsPage-10), gsRW, true},
		{r(0, 3*gsPage), unix.PROT_READ, true},
		{r(0, 3*gsPage), gsRW, false},
		{r(0, 3*gsPage+1), unix.PROT_READ, false},
		{r(gsPage*3-1, 2), unix.PROT_READ, false},
		{r(0, 2*gsPage), unix.PROT_EXEC, false},
		{r(Addr(^uint64(0)-uint64(a)), 0), unix.PROT_READ, true},
		{AddrRange{Start: a - 1, End: a + 1}, unix.PROT_READ, false},
	}
	for _, tc := range tests {
		if got := g.IsMapped(tc.r, tc.prot); got != tc.want {
			t.Errorf("IsMapped(%v, %d) = %v, want %v", tc.r, tc.prot, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { g.IsMapped(r(0, 3*gsPage), unix.PROT_READ); g.Prot(a) }); n != 0 {
		t.Fatalf("IsMapped+Prot allocate %v times", n)
	}
	// The steady state of mmap and munmap allocates nothing either.
	if n := testing.AllocsPerRun(100, func() {
		b, err := g.Mmap(0, 16*gsPage, gsRW, gsAnon, -1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Munmap(b, 16*gsPage); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("mmap+munmap allocate %v times", n)
	}
}

func TestGuestSpaceMode64(t *testing.T) {
	g, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode64})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	mem := openMem(t)
	a := mustMmap(t, g, 0, 4*gsPage, gsRW, gsAnon)
	wantPages(t, g, a, gsRW, gsRW, gsRW, gsRW)
	// A free hint far from everything is honoured; MAP_FIXED too.
	hint := Addr(0x3a0000000000)
	if got := mustMmap(t, g, hint, gsPage, unix.PROT_READ, gsAnon); got != hint {
		t.Fatalf("hint %v not honoured: %v", hint, got)
	}
	if got := mustMmap(t, g, hint+gsPage, gsPage, gsRW, gsAnon|unix.MAP_FIXED); got != hint+gsPage {
		t.Fatalf("MAP_FIXED at %v: %v", hint+gsPage, got)
	}
	// A mapping that is not the guest's is never replaced or unmapped.
	f := hint + 0x10000000
	if _, err := sysMmap(f, gsPage, gsRW, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0); err != nil {
		t.Fatal(err)
	}
	defer sysMunmap(AddrRange{Start: f, End: f + gsPage})
	poke(t, mem, f, 99)
	if _, err := g.Mmap(f, gsPage, gsRW, gsAnon|unix.MAP_FIXED, -1, 0); errnoOf(err) != unix.ENOMEM {
		t.Fatalf("MAP_FIXED over a foreign mapping: %v, want ENOMEM", err)
	}
	mustMmap(t, g, f-gsPage, gsPage, gsRW, gsAnon|unix.MAP_FIXED)
	if _, err := g.Mmap(f-gsPage, 2*gsPage, gsRW, gsAnon|unix.MAP_FIXED, -1, 0); errnoOf(err) != unix.ENOMEM {
		t.Fatalf("MAP_FIXED over guest + foreign: %v, want ENOMEM", err)
	}
	if _, err := g.Mmap(f, gsPage, gsRW, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0); errnoOf(err) != unix.EEXIST {
		t.Fatalf("MAP_FIXED_NOREPLACE over a foreign mapping: %v, want EEXIST", err)
	}
	if err := g.Munmap(f-gsPage, 3*gsPage); err != nil {
		t.Fatal(err)
	}
	if err := g.Mprotect(f, gsPage, unix.PROT_READ); errnoOf(err) != unix.ENOMEM {
		t.Fatalf("mprotect of a foreign mapping: %v, want ENOMEM", err)
	}
	if kernelProt(t, f) != gsRW || peek(t, mem, f) != 99 {
		t.Fatalf("foreign mapping changed")
	}
	wantPages(t, g, f-gsPage, -1)
	// MapBlock aligns by trimming.
	b, err := g.MapBlock(2<<20, 2<<20)
	if err != nil || b.Start%(2<<20) != 0 || b.Length() != 2<<20 {
		t.Fatalf("MapBlock = %v, %v", b, err)
	}
	wantPages(t, g, b.Start, gsRW)
	if err := g.Munmap(b.Start, gsPage); errnoOf(err) != unix.EINVAL {
		t.Fatalf("munmap of a block: %v, want EINVAL", err)
	}
	// mremap grows and moves where the kernel likes.
	poke(t, mem, a, 5)
	got, err := g.Mremap(a, 4*gsPage, 64*gsPage, unix.MREMAP_MAYMOVE, 0)
	if err != nil || peek(t, mem, got) != 5 {
		t.Fatalf("mremap: %v, %v", got, err)
	}
	wantPages(t, g, got+63*gsPage, gsRW)
	// brk at a free high address.
	base := Addr(0x3b0000000000)
	if err := g.SetBrkBase(base); err != nil {
		t.Fatal(err)
	}
	if got := g.Brk(base + 10*gsPage); got != base+10*gsPage {
		t.Fatalf("brk grow = %v", got)
	}
	if got := g.Brk(base + 2*gsPage); got != base+2*gsPage {
		t.Fatalf("brk shrink = %v", got)
	}
	wantPages(t, g, base, gsRW, gsRW, -1)
	g2 := Addr(0x3c0000000000)
	if _, err := sysMmap(g2+3*gsPage, gsPage, gsRW, gsAnon|unix.MAP_FIXED_NOREPLACE, -1, 0); err != nil {
		t.Fatal(err)
	}
	defer sysMunmap(AddrRange{Start: g2 + 3*gsPage, End: g2 + 4*gsPage})
	g3, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode64})
	if err != nil {
		t.Fatal(err)
	}
	defer g3.Close()
	if err := g3.SetBrkBase(g2); err != nil {
		t.Fatal(err)
	}
	if got := g3.Brk(g2 + 3*gsPage); got != g2 {
		t.Fatalf("brk up to a foreign mapping (no guard page) = %v, want %v", got, g2)
	}
	if got := g3.Brk(g2 + 2*gsPage); got != g2+2*gsPage {
		t.Fatalf("brk below the guard page = %v, want %v", got, g2+2*gsPage)
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestGuestSpaceDefaultWindow uses the whole [64 KiB, 4 GiB) window of this
// (non-PIE) test binary: its image is foreign, placement goes below
// 0xf7ffe000, and the 4 GiB audit passes with the GuestSpace as an owner.
func TestGuestSpaceDefaultWindow(t *testing.T) {
	g, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode32})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	es, err := ReadMaps()
	if err != nil {
		t.Fatal(err)
	}
	var low []MapsEntry
	for _, e := range es {
		if e.Range.Start < Limit32 {
			low = append(low, e)
		}
	}
	// The first free page below the mmap base, as the kernel sees it.
	want := g.MmapBase() - gsPage
	for i := len(low) - 1; i >= 0; i-- {
		if low[i].Range.Contains(want) {
			want = low[i].Range.Start - gsPage
		}
	}
	a := mustMmap(t, g, 0, gsPage, gsRW, gsAnon)
	if a != want {
		t.Fatalf("mmap(0) = %v, want %v", a, want)
	}
	blk, err := g.MapBlock(512<<10, 512<<10)
	if err != nil || blk.End > Limit32 {
		t.Fatalf("MapBlock = %v, %v", blk, err)
	}
	// Whatever this process has below 4 GiB is foreign: never replaced.
	for _, e := range low {
		if e.Range.Start < GuestWindowStart {
			continue
		}
		if _, err := g.Mmap(e.Range.Start, gsPage, gsRW, gsAnon|unix.MAP_FIXED, -1, 0); errnoOf(err) != unix.ENOMEM {
			t.Fatalf("MAP_FIXED over %v: %v, want ENOMEM", e, err)
		}
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
	rep, err := Audit(AuditConfig{Mode: Mode32, Owners: []RangeOwner{g}, TolerateLowImage: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Missing) != 0 {
		t.Fatalf("audit: ok=%v violations %v missing %v", rep.OK, rep.Violations, rep.Missing)
	}
	if rep.Classes[ClassGuest].Bytes < gsPage || rep.Classes[ClassHostHeap].Bytes != 512<<10 {
		t.Fatalf("audit classes %v", rep.Classes)
	}
}

func TestGuestSpaceClose(t *testing.T) {
	g, w := newTestSpace(t, 1<<20)
	mustMmap(t, g, 0, 4*gsPage, gsRW, gsAnon)
	if _, err := g.MapBlock(gsPage, gsPage); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	es, err := ReadMaps()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Range.Overlaps(w) {
			t.Fatalf("%v still mapped after Close", e)
		}
	}
	if _, err := g.Mmap(0, gsPage, gsRW, gsAnon, -1, 0); err == nil {
		t.Fatal("Mmap after Close succeeded")
	}
	if _, err := g.MapBlock(gsPage, gsPage); err == nil {
		t.Fatal("MapBlock after Close succeeded")
	}
	if g.IsMapped(AddrRange{Start: w.Start, End: w.End}, 0) {
		t.Fatal("IsMapped after Close")
	}
	if err := g.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestGuestSpaceConcurrent runs guest threads' memory calls in parallel
// (meaningful under -race) and checks that no two results overlap.
func TestGuestSpaceConcurrent(t *testing.T) {
	g, w := newTestSpace(t, 16<<20)
	var wg sync.WaitGroup
	var mu sync.Mutex
	live := map[Addr]bool{}
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var mine []Addr
			for k := 0; k < 200; k++ {
				a, err := g.Mmap(0, 4*gsPage, gsRW, gsAnon, -1, 0)
				if err != nil {
					t.Errorf("mmap: %v", err)
					return
				}
				if r, _ := NewRange(a, 4*gsPage); !w.IsSupersetOf(r) {
					t.Errorf("mapping %v outside the window %v", r, w)
					return
				}
				mu.Lock()
				for j := Addr(0); j < 4; j++ {
					if live[a+j*gsPage] {
						t.Errorf("page %v handed out twice", a+j*gsPage)
					}
					live[a+j*gsPage] = true
				}
				mu.Unlock()
				if !g.IsMapped(AddrRange{Start: a, End: a + 4*gsPage}, gsRW) {
					t.Errorf("fresh mapping %v not mapped", a)
				}
				mine = append(mine, a)
				if k%3 == 2 {
					b := mine[0]
					mine = mine[1:]
					mu.Lock()
					for j := Addr(0); j < 4; j++ {
						delete(live, b+j*gsPage)
					}
					mu.Unlock()
					if err := g.Munmap(b, 4*gsPage); err != nil {
						t.Errorf("munmap: %v", err)
					}
				}
			}
		}(i)
	}
	wg.Wait()
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
	if st := g.Stats(); st.GuestBytes != uint64(len(live))*gsPage {
		t.Fatalf("guest bytes %d, live pages %d", st.GuestBytes, len(live))
	}
}

func BenchmarkGuestSpaceMmapMunmap(b *testing.B) {
	for _, mode := range []Mode{Mode32, Mode64} {
		b.Run(mode.String(), func(b *testing.B) {
			var g *GuestSpace
			if mode == Mode32 {
				g, _ = newTestSpace(b, 64<<20)
			} else {
				var err error
				if g, err = NewGuestSpace(GuestSpaceConfig{Mode: Mode64}); err != nil {
					b.Fatal(err)
				}
				defer g.Close()
			}
			// Some live mappings around, as in a running guest.
			for i := 0; i < 100; i++ {
				mustMmap(b, g, 0, uint64(1+i%7)*gsPage, gsRW, gsAnon)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a, err := g.Mmap(0, 64<<10, gsRW, gsAnon, -1, 0)
				if err != nil {
					b.Fatal(err)
				}
				if err := g.Munmap(a, 64<<10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGuestSpaceIsMapped(b *testing.B) {
	g, _ := newTestSpace(b, 64<<20)
	var addrs []Addr
	for i := 0; i < 1000; i++ {
		prot := gsRW
		if i%2 == 1 {
			prot = unix.PROT_READ // keep the areas apart
		}
		addrs = append(addrs, mustMmap(b, g, 0, gsPage, prot, gsAnon))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := addrs[i%len(addrs)]
		if !g.IsMapped(AddrRange{Start: a, End: a + 64}, unix.PROT_READ) {
			b.Fatal("not mapped")
		}
	}
}

// TestGuestSpaceCheckCatches breaks each invariant Check guards and expects
// Check to notice.
func TestGuestSpaceCheckCatches(t *testing.T) {
	corruptions := []struct {
		name    string
		corrupt func(g *GuestSpace, a Addr)
	}{
		{"bit set on a free page", func(g *GuestSpace, a Addr) { g.bits.setRange(page(a)+6, 1) }},
		{"bit clear on a mapped page", func(g *GuestSpace, a Addr) { g.bits.clearRange(page(a)+1, 1) }},
		{"bit set below the window", func(g *GuestSpace, a Addr) { g.bits.setRange(page(g.window.Start)-1, 1) }},
		{"page counter", func(g *GuestSpace, a Addr) { g.vmas.pages[vmaGuest]++ }},
		{"used counter", func(g *GuestSpace, a Addr) { g.bits.used++ }},
		{"unmerged neighbours", func(g *GuestSpace, a Addr) {
			v := g.vmas.v[0]
			g.vmas.v[0].r.End = v.r.Start + gsPage
			v.r.Start += gsPage
			g.vmas.v = slices.Insert(g.vmas.v, 1, v)
		}},
		{"overlapping vmas", func(g *GuestSpace, a Addr) { g.vmas.v[0].r.End = g.vmas.v[1].r.Start + gsPage }},
		{"foreign over a vma", func(g *GuestSpace, a Addr) { g.foreign = append(g.foreign, g.vmas.v[0].r) }},
		{"break below its base", func(g *GuestSpace, a Addr) { g.brk = g.brkBase - 1 }},
	}
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			g, w := newTestSpace(t, 1<<20)
			a := mustMmap(t, g, w.Start+16*gsPage, 4*gsPage, gsRW, gsAnon|unix.MAP_FIXED)
			mustMmap(t, g, a+8*gsPage, gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED)
			if err := g.SetBrkBase(w.Start + 64*gsPage); err != nil {
				t.Fatal(err)
			}
			if err := g.Check(); err != nil {
				t.Fatalf("Check before corruption: %v", err)
			}
			g.mu.Lock()
			c.corrupt(g, a)
			g.mu.Unlock()
			if err := g.Check(); err == nil {
				t.Fatalf("Check missed the corruption")
			}
		})
	}
}

// TestGuestSpaceMremapAcrossUnmergedAreas: GuestSpace merges neighbouring
// private anonymous areas with equal protection, the kernel does not
// always (a moved area keeps its page offset, so it does not merge with its
// new neighbour). An mremap across such a seam is the kernel's EFAULT, and
// nothing changes. (Found by TestGuestSpaceAgainstModel.)
func TestGuestSpaceMremapAcrossUnmergedAreas(t *testing.T) {
	g, w := newTestSpace(t, 16<<20)
	mem := openMem(t)
	x := mustMmap(t, g, w.Start+0x100000, gsPage, gsRW, gsAnon|unix.MAP_FIXED)
	y := mustMmap(t, g, w.Start+0x200000, gsPage, gsRW, gsAnon|unix.MAP_FIXED)
	poke(t, mem, x, 1)
	poke(t, mem, y, 2)
	if got, err := g.Mremap(x, gsPage, gsPage, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, y+gsPage); err != nil || got != y+gsPage {
		t.Fatalf("move next to y: %v, %v", got, err)
	}
	if n := g.Stats().VMAs; n != 1 {
		t.Fatalf("%d recorded areas, want 1 (merged)", n)
	}
	if _, err := g.Mremap(y, 2*gsPage, 3*gsPage, unix.MREMAP_MAYMOVE, 0); errnoOf(err) != unix.EFAULT {
		t.Fatalf("mremap across the seam: %v, want EFAULT", err)
	}
	wantPages(t, g, y, gsRW, gsRW)
	if peek(t, mem, y) != 2 || peek(t, mem, y+gsPage) != 1 {
		t.Fatalf("contents changed")
	}
	// Each side alone still grows (in place: the page after it is free).
	got, err := g.Mremap(y+gsPage, gsPage, 2*gsPage, unix.MREMAP_MAYMOVE, 0)
	if err != nil || got != y+gsPage || peek(t, mem, got) != 1 {
		t.Fatalf("mremap of one side: %v, %v", got, err)
	}
	wantPages(t, g, y, gsRW, gsRW, gsRW, -1)
}

// TestGuestSpaceFailedFixedReplace: a MAP_FIXED over guest pages and free
// pages that the kernel refuses (a bad file descriptor) leaves everything
// as it was: the guest pages keep their contents and protection, the
// reservations over the free pages are released, and the change hook hears
// of nothing.
func TestGuestSpaceFailedFixedReplace(t *testing.T) {
	g, w := newTestSpace(t, 16<<20)
	mem := openMem(t)
	var hooked []AddrRange
	g.SetChangeHook(func(r AddrRange) { hooked = append(hooked, r) })
	a := mustMmap(t, g, w.Start+0x100000, 64*gsPage, gsRW, gsAnon|unix.MAP_FIXED)
	mustMmap(t, g, a+64*gsPage+2*gsPage, 4*gsPage, unix.PROT_READ, gsAnon|unix.MAP_FIXED)
	poke(t, mem, a, 7)
	poke(t, mem, a+63*gsPage, 8)
	if _, err := g.Mmap(a, 72*gsPage, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_FIXED, 1<<20, 0); errnoOf(err) != unix.EBADF {
		t.Fatalf("MAP_FIXED with a bad descriptor: %v, want EBADF", err)
	}
	want := make([]int, 72)
	for i := range want {
		switch {
		case i < 64:
			want[i] = gsRW
		case i >= 66 && i < 70:
			want[i] = unix.PROT_READ
		default:
			want[i] = -1 // free before, and the reservation is gone
		}
	}
	wantPages(t, g, a, want...)
	if peek(t, mem, a) != 7 || peek(t, mem, a+63*gsPage) != 8 {
		t.Fatalf("guest memory lost its contents")
	}
	if len(hooked) != 0 {
		t.Fatalf("change hook called for %v after a refused mmap", hooked)
	}
}
