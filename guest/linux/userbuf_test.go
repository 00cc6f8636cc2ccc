package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// hostMapped reports whether the host has anything mapped at page a.
func hostMapped(a uint64) bool {
	_, _, e := unix.Syscall(unix.SYS_MSYNC, uintptr(a), mm.PageSize, unix.MS_ASYNC)
	return e != unix.ENOMEM
}

// dataFile returns a descriptor of a file holding n bytes of 'x'.
func dataFile(t *testing.T, n int) uint64 {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "data")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write([]byte(strings.Repeat("x", n))); err != nil {
		t.Fatal(err)
	}
	return uint64(f.Fd())
}

// TestPartialBuffers: a buffer that runs from guest memory into memory
// that is not the guest's gets the kernel's short count, the kernel never
// touches what lies past the guest's part, and no guard page stays
// mapped (tests/guests/src/userbuf.c checks the answers against native
// runs).
func TestPartialBuffers(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			fd := dataFile(t, 4*mm.PageSize)
			buf := e.mapPages(2, unix.PROT_READ|unix.PROT_WRITE)
			hole := buf + mm.PageSize
			if err := e.space.Munmap(mm.Addr(hole), mm.PageSize); err != nil {
				t.Fatal(err)
			}
			// Unmapped for the guest and the host: the kernel stops there.
			if got := e.sys("pread64", fd, buf, 2*mm.PageSize, 0, 0); got != mm.PageSize {
				t.Errorf("read with the tail unmapped = %d, want %d", got, mm.PageSize)
			}
			if got := e.sys("pread64", fd, hole-100, 2*mm.PageSize, 0, 0); got != 100 {
				t.Errorf("read 100 bytes before the hole = %d, want 100", got)
			}
			if got := e.sys("pread64", fd, hole, 10, 0, 0); got != errnoRet(unix.EFAULT) {
				t.Errorf("read into the hole = %d, want EFAULT", got)
			}
			if hostMapped(hole) {
				t.Fatalf("a guard page stayed mapped at %#x", hole)
			}
			// Mapped on the host but not the guest's (a foreign mapping,
			// minemu's memory): never touched; the call stops before it.
			if err := mapAnonAt(hole, mm.PageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
				t.Fatal(err)
			}
			defer unmapAnon(hole, mm.PageSize)
			copy(guestBytes(hole, 4), "mine")
			if got := e.sys("pread64", fd, hole-100, 2*mm.PageSize, 0, 0); got != 100 {
				t.Errorf("read 100 bytes before foreign memory = %d, want 100", got)
			}
			if got := e.sys("pread64", fd, hole, 10, 0, 0); got != errnoRet(unix.EFAULT) {
				t.Errorf("read into foreign memory = %d, want EFAULT", got)
			}
			v := make([]byte, 0, 32)
			for _, p := range []uint64{buf, 100, hole - 50, 200} {
				if e.abi == cpu.ABIi386 {
					v = le.AppendUint32(v, uint32(p))
				} else {
					v = le.AppendUint64(v, p)
				}
			}
			copy(guestBytes(buf+512, uint64(len(v))), v)
			if _, err := unix.Seek(int(fd), 0, 0); err != nil {
				t.Fatal(err)
			}
			if got := e.sys("readv", fd, buf+512, 2); got != 150 {
				t.Errorf("readv with the second buffer half in foreign memory = %d, want 150", got)
			}
			if string(guestBytes(hole, 4)) != "mine" {
				t.Fatalf("the kernel wrote foreign memory: %q", guestBytes(hole, 4))
			}
		})
	}
}

// TestPastEOFBuffers: a file mapping's pages past the end of the file are
// mapped with the guest's protection, yet touching them is SIGBUS. A
// system call given such a buffer is EFAULT, whether the kernel or minemu
// copies (a structure out, a path or an iovec array in), and --strace
// shows such a buffer by its address: minemu must not die of the fault.
func TestPastEOFBuffers(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			fd := dataFile(t, 100)
			m, err := e.space.Mmap(0, 2*mm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, int(fd), 0)
			if err != nil {
				t.Fatal(err)
			}
			past := uint64(m) + mm.PageSize
			fstat := "fstat"
			if e.abi == cpu.ABIi386 {
				fstat = "fstat64"
			}
			for _, c := range []struct {
				name string
				call func() int64
			}{
				{"fstat (minemu copies out)", func() int64 { return e.sys(fstat, fd, past) }},
				{"clock_gettime (minemu copies out)", func() int64 { return e.sys("clock_gettime", unix.CLOCK_MONOTONIC, past) }},
				{"open (minemu reads the path)", func() int64 { return e.sys("open", past, 0, 0) }},
				{"writev (minemu reads the iovec array)", func() int64 { return e.sys("writev", fd, past, 1) }},
				{"nanosleep (minemu reads the timespec)", func() int64 { return e.sys("nanosleep", past, 0) }},
				{"write (the kernel reads)", func() int64 { return e.sys("write", fd, past, 10) }},
			} {
				if got := c.call(); got != errnoRet(unix.EFAULT) {
					t.Errorf("%s: got %d, want EFAULT", c.name, got)
				}
			}
			line := ""
			for _, l := range strings.Split(e.trace.String(), "\n") {
				if strings.Contains(l, " write(") {
					line = l
				}
			}
			if !strings.Contains(line, ",0x") || !strings.Contains(line, "EFAULT") {
				t.Errorf("--strace of the write: %q, want the buffer shown by its address", line)
			}
		})
	}
}
