package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"bytes"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

func TestMmapI386(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	args := e.mem + 2048
	putArgs := func(addr, length, prot, flags, fd, off uint32) {
		b := e.view(args, 24)
		for i, v := range []uint32{addr, length, prot, flags, fd, off} {
			le.PutUint32(b[4*i:], v)
		}
	}
	// old_mmap: arguments in memory.
	putArgs(0, 3*mm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, 0xffffffff, 0)
	a := e.sysAddr("mmap", args)
	if a == 0 || a&mm.PageMask != 0 || a+3*mm.PageSize > uint64(mm.Limit32) {
		t.Fatalf("old mmap = %#x, want a page-aligned address below 4 GiB", a)
	}
	r, _ := mm.NewRange(mm.Addr(a), 3*mm.PageSize)
	if !e.space.IsMapped(r, unix.PROT_READ|unix.PROT_WRITE) {
		t.Fatalf("old mmap result %v is not mapped read-write in GuestSpace", r)
	}
	copy(e.view(a, 4), "test")
	putArgs(0, mm.PageSize, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, 0xffffffff, 100)
	if r := e.sys("mmap", args); r != errnoRet(unix.EINVAL) {
		t.Fatalf("old mmap with unaligned offset = %d, want -EINVAL", r)
	}
	if r := e.sys("mmap", e.unmappedPage()); r != errnoRet(unix.EFAULT) {
		t.Fatalf("old mmap with unmapped args = %d, want -EFAULT", r)
	}
	// mmap2: the offset is in pages.
	content := bytes.Repeat([]byte("A"), mm.PageSize)
	content = append(content, bytes.Repeat([]byte("B"), mm.PageSize)...)
	p := tempFile(t, string(content))
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := e.sysAddr("mmap2", 0, mm.PageSize, unix.PROT_READ, unix.MAP_PRIVATE, uint64(f.Fd()), 1)
	if m == 0 || m >= uint64(mm.Limit32) {
		t.Fatalf("mmap2(file, pgoff 1) = %#x", m)
	}
	if got := e.view(m, 4); string(got) != "BBBB" {
		t.Fatalf("mmap2 pgoff 1 maps %q, want BBBB", got)
	}
	if r := e.sys("mmap2", 0, mm.PageSize, unix.PROT_READ, unix.MAP_PRIVATE, 9999, 0); r != errnoRet(unix.EBADF) {
		t.Fatalf("mmap2(bad fd) = %d, want -EBADF", r)
	}
	if r := e.sys("mmap2", 0, 0, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, 0xffffffff, 0); r != errnoRet(unix.EINVAL) {
		t.Fatalf("mmap2(length 0) = %d, want -EINVAL", r)
	}
	checkMemOps(t, e, a)
}

// sysAddr calls a syscall that returns an address; an errno result fails
// the test.
func (e *sysEnv) sysAddr(name string, args ...uint64) uint64 {
	e.t.Helper()
	e.sys(name, args...)
	r := e.c.Regs[cpu.RAX]
	if e.abi == cpu.ABIi386 && r >= 0xfffff001 || e.abi == cpu.ABIAMD64 && r >= 1<<64-4095 {
		e.t.Fatalf("%s = -%v", name, unix.Errno(-int64(int32(r))))
	}
	return r
}

func TestMmapAMD64(t *testing.T) {
	e := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	a := e.sysAddr("mmap", 0, 3*mm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, 0xffffffffffffffff, 0)
	if a == 0 || a&mm.PageMask != 0 {
		t.Fatalf("mmap = %#x", a)
	}
	p := tempFile(t, "file contents")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := e.sysAddr("mmap", 0, mm.PageSize, unix.PROT_READ, unix.MAP_PRIVATE, uint64(f.Fd()), 0)
	if m == 0 || string(e.view(m, 13)) != "file contents" {
		t.Fatalf("mmap(file) = %#x", m)
	}
	if r := e.sys("mmap", 0, mm.PageSize, unix.PROT_READ, unix.MAP_PRIVATE, uint64(f.Fd()), 100); r != errnoRet(unix.EINVAL) {
		t.Fatalf("mmap(unaligned offset) = %d, want -EINVAL", r)
	}
	checkMemOps(t, e, a)
}

// checkMemOps runs mprotect, madvise, mremap and munmap on the three
// read-write pages at a.
func checkMemOps(t *testing.T, e *sysEnv, a uint64) {
	t.Helper()
	copy(e.view(a, 4), "data")
	if r := e.sys("mprotect", a, mm.PageSize, unix.PROT_READ); r != 0 {
		t.Fatalf("mprotect = %d", r)
	}
	if prot, ok := e.space.Prot(mm.Addr(a)); !ok || prot != unix.PROT_READ {
		t.Fatalf("after mprotect: Prot = %d, %v", prot, ok)
	}
	// The page is read-only now: a translated write into it is EFAULT.
	if r := e.sys("uname", a); r != errnoRet(unix.EFAULT) {
		t.Fatalf("uname into a read-only page = %d, want -EFAULT", r)
	}
	if r := e.sys("mprotect", a+1, mm.PageSize, unix.PROT_READ); r != errnoRet(unix.EINVAL) {
		t.Fatalf("mprotect(unaligned) = %d, want -EINVAL", r)
	}
	copy(e.view(a+mm.PageSize, 4), "more")
	if r := e.sys("madvise", a+mm.PageSize, mm.PageSize, unix.MADV_DONTNEED); r != 0 {
		t.Fatalf("madvise = %d", r)
	}
	if got := e.view(a+mm.PageSize, 4); !bytes.Equal(got, make([]byte, 4)) {
		t.Fatalf("after MADV_DONTNEED the anonymous page holds %q", got)
	}
	n := e.sysAddr("mremap", a+mm.PageSize, 2*mm.PageSize, 8*mm.PageSize, unix.MREMAP_MAYMOVE, 0)
	if n == 0 || n&mm.PageMask != 0 {
		t.Fatalf("mremap = %#x", n)
	}
	if e.abi == cpu.ABIi386 && n >= uint64(mm.Limit32) {
		t.Fatalf("mremap moved an i386 mapping above 4 GiB: %#x", n)
	}
	r, _ := mm.NewRange(mm.Addr(n), 8*mm.PageSize)
	if !e.space.IsMapped(r, unix.PROT_READ|unix.PROT_WRITE) {
		t.Fatalf("mremap result %v not mapped", r)
	}
	if r := e.sys("munmap", n, 8*mm.PageSize); r != 0 {
		t.Fatalf("munmap = %d", r)
	}
	if e.space.IsMapped(r, unix.PROT_NONE) {
		t.Fatalf("munmap left %v mapped", r)
	}
	if r := e.sys("munmap", a+1, mm.PageSize); r != errnoRet(unix.EINVAL) {
		t.Fatalf("munmap(unaligned) = %d, want -EINVAL", r)
	}
	if r := e.sys("munmap", a, mm.PageSize); r != 0 {
		t.Fatalf("munmap(first page) = %d", r)
	}
}

func TestBrk(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			// A break base like a loader would set: after an image.
			// Room for the break to grow: 64 pages mapped, then freed.
			img := e.mapPages(64, unix.PROT_READ)
			e.space.Munmap(mm.Addr(img), 64*mm.PageSize)
			if err := e.space.SetBrkBase(mm.Addr(img)); err != nil {
				t.Fatalf("SetBrkBase: %v", err)
			}
			base := e.sysAddr("brk", 0)
			if base != img {
				t.Fatalf("brk(0) = %#x, want the base %#x", base, img)
			}
			if r := e.sysAddr("brk", base+0x2345); r != base+0x2345 {
				t.Fatalf("brk(grow) = %#x, want %#x", r, base+0x2345)
			}
			copy(e.view(base+0x2000, 5), "heap!")
			if r := e.sysAddr("brk", base-mm.PageSize); r != base+0x2345 {
				t.Fatalf("brk(below base) = %#x, want the unchanged break %#x", r, base+0x2345)
			}
			if r := e.sysAddr("brk", base+0x1000); r != base+0x1000 {
				t.Fatalf("brk(shrink) = %#x", r)
			}
		})
	}
}
