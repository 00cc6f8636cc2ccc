package linux

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/procfs"

	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// pathArea is where the tests below put path strings in the guest
// buffer.
const pathArea = memSize - 4096

// open opens path through the guest's open.
func (e *sysEnv) open(path string, flags int) int64 {
	e.t.Helper()
	return e.sys("open", e.str(e.mem+pathArea, path), uint64(flags))
}

// pread and pwrite are pread64 and pwrite64 with a 64-bit offset in the
// ABI's registers.
func (e *sysEnv) pread(fd int64, buf, n, off uint64) int64 {
	e.t.Helper()
	if e.abi == cpu.ABIi386 {
		return e.sys("pread64", uint64(fd), buf, n, off&0xffffffff, off>>32)
	}
	return e.sys("pread64", uint64(fd), buf, n, off)
}

func (e *sysEnv) pwrite(fd int64, buf, n, off uint64) int64 {
	e.t.Helper()
	if e.abi == cpu.ABIi386 {
		return e.sys("pwrite64", uint64(fd), buf, n, off&0xffffffff, off>>32)
	}
	return e.sys("pwrite64", uint64(fd), buf, n, off)
}

// seek sets fd's position with the guest's 64-bit lseek and returns it.
func (e *sysEnv) seek(fd int64, off uint64, whence int) uint64 {
	e.t.Helper()
	if e.abi == cpu.ABIi386 {
		res := e.mem + pathArea - 16
		if r := e.sys("_llseek", uint64(fd), off>>32, off&0xffffffff, res, uint64(whence)); r != 0 {
			e.t.Fatalf("_llseek(%#x) = %d", off, r)
		}
		return le.Uint64(e.view(res, 8))
	}
	r := e.sys("lseek", uint64(fd), off, uint64(whence))
	if r < 0 && r > -4096 {
		e.t.Fatalf("lseek(%#x) = %d", off, r)
	}
	return uint64(r)
}

// putIovecs writes base, length pairs as the guest's iovec array at a.
func (e *sysEnv) putIovecs(a uint64, v ...uint64) uint64 {
	ps := e.ptrSize()
	for i, x := range v {
		if ps == 4 {
			le.PutUint32(e.view(a+uint64(i)*4, 4), uint32(x))
		} else {
			le.PutUint64(e.view(a+uint64(i)*8, 8), x)
		}
	}
	return a
}

// hostAddr is the address of memory of minemu's own (Go heap), filled
// with a pattern: not guest memory in either mode.
func hostAddr(t *testing.T) (uint64, *[probeSize]byte) {
	b := new([probeSize]byte)
	for i := range b {
		b[i] = byte(i + 1)
	}
	return probeAddr(b), b
}

// foreignAfter maps a host page right after the guest page at a, where
// GuestSpace has nothing: memory of the process that is not the guest's.
func foreignAfter(t *testing.T, e *sysEnv, a uint64) {
	t.Helper()
	if err := e.space.Munmap(mm.Addr(a+mm.PageSize), mm.PageSize); err != nil {
		t.Fatal(err)
	}
	r, _, en := unix.Syscall6(unix.SYS_MMAP, uintptr(a+mm.PageSize), mm.PageSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uintptr(0), 0)
	if en != 0 || uint64(r) != a+mm.PageSize {
		t.Fatalf("mmap foreign page at %#x: %#x %v", a+mm.PageSize, r, en)
	}
	t.Cleanup(func() { unix.Syscall(unix.SYS_MUNMAP, r, mm.PageSize, 0) })
}

func TestProcMemClip(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			var wrote []mm.AddrRange
			e.k.SetGuestWriteHook(func(r mm.AddrRange) { wrote = append(wrote, r) })
			fd := e.open("/proc/self/mem", unix.O_RDWR)
			if fd < 0 {
				t.Fatalf("open = %d", fd)
			}
			defer unix.Close(int(fd))
			host, hb := hostAddr(t)
			buf := e.mem + 4096
			own := e.mem + 8192
			copy(e.view(own, 16), "guest's own data")

			// The guest's own memory reads and writes as natively.
			if r := e.pread(fd, buf, 16, own); r != 16 || string(e.view(buf, 16)) != "guest's own data" {
				t.Fatalf("pread(own) = %d %q, want 16 %q", r, e.view(buf, 16), "guest's own data")
			}
			copy(e.view(buf, 5), "GUEST")
			wrote = nil
			if r := e.pwrite(fd, buf, 5, own); r != 5 || string(e.view(own, 5)) != "GUEST" {
				t.Fatalf("pwrite(own) = %d %q, want 5 GUEST", r, e.view(own, 5))
			}
			if len(wrote) != 1 || wrote[0] != (mm.AddrRange{Start: mm.Addr(own), End: mm.Addr(own + 5)}) {
				t.Fatalf("write hook got %v, want the 5 bytes at %#x", wrote, own)
			}

			// minemu's memory is not there: EIO, nothing transferred.
			before := *hb
			for _, c := range []struct {
				name string
				r    int64
			}{
				{"pread(minemu)", e.pread(fd, buf, 16, host)},
				{"pwrite(minemu)", e.pwrite(fd, buf, 16, host)},
				{"pread(4 GiB)", e.pread(fd, buf, 16, 1<<32)},
				{"pread(top of user space)", e.pread(fd, buf, 16, uint64(mm.UserLimit)-16)},
			} {
				if c.r != errnoRet(unix.EIO) {
					t.Errorf("%s = %d, want -EIO", c.name, c.r)
				}
			}
			if *hb != before {
				t.Fatalf("minemu's memory changed: %v", hb)
			}
			// What the kernel checks before memory keeps its errno: a
			// negative offset, zero bytes, a descriptor not open for
			// writing.
			if r := e.pread(fd, buf, 16, 1<<63); r != errnoRet(unix.EINVAL) {
				t.Errorf("pread(offset 1<<63) = %d, want -EINVAL", r)
			}
			if r := e.pread(fd, buf, 0, host); r != 0 {
				t.Errorf("pread(minemu, 0 bytes) = %d, want 0", r)
			}
			rd := e.open("/proc/self/mem", unix.O_RDONLY)
			defer unix.Close(int(rd))
			if r := e.pwrite(rd, buf, 16, host); r != errnoRet(unix.EBADF) {
				t.Errorf("pwrite(read-only mem, minemu) = %d, want -EBADF", r)
			}

			// A range that runs into memory that is not the guest's is
			// short, up to the first such page, as a range into an
			// unmapped page is natively.
			two := e.mapPages(2, unix.PROT_READ|unix.PROT_WRITE)
			foreignAfter(t, e, two)
			if r := e.pread(fd, buf, 8192, two+100); r != 4096-100 {
				t.Errorf("pread(guest page + foreign page) = %d, want %d", r, 4096-100)
			}
			if r := e.pread(fd, buf, 100, two+4096); r != errnoRet(unix.EIO) {
				t.Errorf("pread(foreign page) = %d, want -EIO", r)
			}
			// PROT_NONE guest memory is the guest's: the kernel forces it.
			none := e.mapPages(1, unix.PROT_NONE)
			if r := e.pread(fd, buf, 4096, none); r != 4096 {
				t.Errorf("pread(PROT_NONE guest page) = %d, want 4096", r)
			}

			// The file position: read, write, readv and writev start
			// there; EIO leaves it, a short transfer advances it.
			e.seek(fd, host, unix.SEEK_SET)
			iov := e.putIovecs(e.mem+2048, buf, 10, buf+100, 20)
			for _, name := range []string{"read", "write"} {
				if r := e.sys(name, uint64(fd), buf, 16); r != errnoRet(unix.EIO) {
					t.Errorf("%s at minemu = %d, want -EIO", name, r)
				}
			}
			for _, name := range []string{"readv", "writev"} {
				if r := e.sys(name, uint64(fd), iov, 2); r != errnoRet(unix.EIO) {
					t.Errorf("%s at minemu = %d, want -EIO", name, r)
				}
			}
			if pos := e.seek(fd, 0, unix.SEEK_CUR); pos != host {
				t.Errorf("position after EIO = %#x, want %#x", pos, host)
			}
			e.seek(fd, two+4096-15, unix.SEEK_SET)
			if r := e.sys("readv", uint64(fd), iov, 2); r != 15 {
				t.Errorf("readv(10+20 bytes, 15 left of the guest's) = %d, want 15", r)
			}
			if pos := e.seek(fd, 0, unix.SEEK_CUR); pos != two+4096 {
				t.Errorf("position after the short readv = %#x, want %#x", pos, two+4096)
			}
			e.seek(fd, own, unix.SEEK_SET)
			wrote = nil
			if r := e.sys("writev", uint64(fd), iov, 2); r != 30 || len(wrote) != 1 || wrote[0].Start != mm.Addr(own) || wrote[0].Length() != 30 {
				t.Errorf("writev(own) = %d, hook %v; want 30 bytes reported at %#x", r, wrote, own)
			}
			if *hb != before {
				t.Fatalf("minemu's memory changed: %v", hb)
			}
		})
	}
}

// ownTasks lists the thread ids of this process.
func ownTasks(t *testing.T) []string {
	t.Helper()
	d, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range d {
		ids = append(ids, x.Name())
	}
	if len(ids) < 2 {
		t.Fatalf("/proc/self/task lists %v: want the Go runtime's threads too", ids)
	}
	return ids
}

// TestProcMemPaths opens this process's memory every way there is and
// checks that each descriptor is clipped.
func TestProcMemPaths(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	host, _ := hostAddr(t)
	pid := strconv.Itoa(os.Getpid())
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink("/proc/self/mem", link); err != nil {
		t.Fatal(err)
	}
	buf := e.mem + 4096
	// clipped checks that fd is tracked and reaches only guest memory.
	clipped := func(what string, fd int64) {
		t.Helper()
		if fd < 0 {
			t.Errorf("%s: open = %d", what, fd)
			return
		}
		copy(e.view(e.mem+8192, 4), "mine")
		if r := e.pread(fd, buf, 8, host); r != errnoRet(unix.EIO) {
			t.Errorf("%s: pread(minemu) = %d, want -EIO", what, r)
		}
		if r := e.pread(fd, buf, 4, e.mem+8192); r != 4 || string(e.view(buf, 4)) != "mine" {
			t.Errorf("%s: pread(own) = %d %q, want 4 mine", what, r, e.view(buf, 4))
		}
	}
	paths := []string{"/proc/self/mem", "/proc/" + pid + "/mem", "/proc/thread-self/mem", link,
		"/proc/self/root/proc/self/mem", "/proc/self/../self/mem", "/proc/" + pid + "/task/" + pid + "/mem"}
	for _, tid := range ownTasks(t) {
		paths = append(paths, "/proc/self/task/"+tid+"/mem", "/proc/"+tid+"/mem")
	}
	for _, p := range paths {
		fd := e.open(p, unix.O_RDWR)
		clipped(p, fd)
		unix.Close(int(fd))
	}
	// Write-only: probed through a reopen.
	wo := e.open("/proc/self/mem", unix.O_WRONLY)
	if r := e.pwrite(wo, buf, 8, host); r != errnoRet(unix.EIO) {
		t.Errorf("O_WRONLY: pwrite(minemu) = %d, want -EIO", r)
	}
	unix.Close(int(wo))
	// openat on /proc directory descriptors.
	proc := e.open("/proc", unix.O_RDONLY|unix.O_DIRECTORY)
	defer unix.Close(int(proc))
	self := e.open("/proc/self/task/"+pid, unix.O_RDONLY|unix.O_DIRECTORY)
	defer unix.Close(int(self))
	for _, c := range []struct {
		dir  int64
		path string
	}{{proc, "self/mem"}, {proc, pid + "/mem"}, {self, "mem"}, {self, "../../mem"}} {
		fd := e.sys("openat", uint64(c.dir), e.str(e.mem+pathArea, c.path), unix.O_RDWR)
		clipped("openat "+c.path, fd)
		unix.Close(int(fd))
	}
	// Reopens through the descriptor's link, and O_PATH.
	fd := e.open("/proc/self/mem", unix.O_RDWR)
	defer unix.Close(int(fd))
	for _, p := range []string{"/proc/self/fd/", "/dev/fd/", "/proc/thread-self/fd/"} {
		r := e.open(p+strconv.Itoa(int(fd)), unix.O_RDWR)
		clipped(p+"N", r)
		unix.Close(int(r))
	}
	op := e.open("/proc/self/mem", unix.O_PATH)
	r := e.open("/proc/self/fd/"+strconv.Itoa(int(op)), unix.O_RDWR)
	clipped("O_PATH reopen", r)
	unix.Close(int(r))
	if r := e.pread(op, buf, 8, host); r != errnoRet(unix.EBADF) {
		t.Errorf("pread(O_PATH) = %d, want -EBADF", r)
	}
	unix.Close(int(op))
	// Duplicates share the file; a number reused for another file is
	// that file.
	dups := map[string]int64{
		"dup":             e.sys("dup", uint64(fd)),
		"dup2":            e.sys("dup2", uint64(fd), 200),
		"dup3":            e.sys("dup3", uint64(fd), 201, unix.O_CLOEXEC),
		"F_DUPFD":         e.sys("fcntl64", uint64(fd), unix.F_DUPFD, 210),
		"F_DUPFD_CLOEXEC": e.sys("fcntl64", uint64(fd), unix.F_DUPFD_CLOEXEC, 220),
	}
	for name, d := range dups {
		clipped(name, d)
	}
	zero := e.open("/dev/zero", unix.O_RDONLY)
	defer unix.Close(int(zero))
	e.sys("dup2", uint64(zero), 200)
	e.sys("close", uint64(dups["dup3"]))
	again := e.open("/dev/zero", unix.O_RDONLY)
	for name, d := range map[string]int64{"dup2 of /dev/zero over mem": 200, "reopened number": again} {
		if r := e.pread(d, buf, 8, host); r != 8 {
			t.Errorf("%s: pread = %d, want 8 (a plain file)", name, r)
		}
		if _, ok := e.k.procMem[int(d)]; ok {
			t.Errorf("%s: still tracked as mem", name)
		}
	}
	for _, d := range dups {
		unix.Close(int(d))
	}
	unix.Close(int(again))
}

// startChild starts a process of ours to look at: other processes' memory
// passes through. It returns the pid and an address the child has mapped,
// where its executable's ELF header is.
func startChild(t *testing.T) (int, uint64) {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	pid := cmd.Process.Pid
	// Wait for the exec: the child's maps name sleep.
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := procfs.ParseHeader(strings.SplitN(string(b), "\n", 2)[0]); ok && strings.HasSuffix(h.Name, "/sleep") {
			return pid, h.Start
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 1e6}, nil)
	}
}

func TestProcMemOtherProcess(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			pid, at := startChild(t)
			fd := e.open("/proc/"+strconv.Itoa(pid)+"/mem", unix.O_RDONLY)
			if fd < 0 {
				t.Fatalf("open child's mem = %d", fd)
			}
			defer unix.Close(int(fd))
			if _, ok := e.k.procMem[int(fd)]; ok {
				t.Fatalf("the child's mem is tracked as this process's")
			}
			buf := e.mem + 4096
			if r := e.pread(fd, buf, 4, at); r != 4 || string(e.view(buf, 4)) != "\x7fELF" {
				t.Fatalf("pread(child's image) = %d %q, want 4 \\x7fELF", r, e.view(buf, 4))
			}
			mfd := e.open("/proc/"+strconv.Itoa(pid)+"/maps", unix.O_RDONLY)
			defer unix.Close(int(mfd))
			var fs unix.Statfs_t
			if err := unix.Fstatfs(int(mfd), &fs); err != nil || fs.Type != unix.PROC_SUPER_MAGIC {
				t.Fatalf("the child's maps is not procfs's file (%v, %#x)", err, fs.Type)
			}
			if e.abi == cpu.ABIi386 {
				return // its remote iovecs cannot name the child's 64-bit addresses
			}
			l := e.putIovecs(e.mem+1024, buf, 4)
			rv := e.putIovecs(e.mem+1056, at, 4)
			copy(e.view(buf, 4), "....")
			if r := e.sys("process_vm_readv", uint64(pid), l, 1, rv, 1, 0); r != 4 || string(e.view(buf, 4)) != "\x7fELF" {
				t.Fatalf("process_vm_readv(child) = %d %q, want 4 \\x7fELF", r, e.view(buf, 4))
			}
		})
	}
}

func TestProcessVM(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			var wrote []mm.AddrRange
			e.k.SetGuestWriteHook(func(r mm.AddrRange) { wrote = append(wrote, r) })
			host, hb := hostAddr(t)
			before := *hb
			pid := uint64(os.Getpid())
			buf, own := e.mem+4096, e.mem+8192
			copy(e.view(own, 16), "guest's own data")
			l := e.mem + 1024
			rv := e.mem + 1280
			call := func(name string, pid uint64, local, remote []uint64) int64 {
				t.Helper()
				e.putIovecs(l, local...)
				e.putIovecs(rv, remote...)
				return e.sys(name, pid, l, uint64(len(local)/2), rv, uint64(len(remote)/2), 0)
			}
			if r := call("process_vm_readv", pid, []uint64{buf, 16}, []uint64{own, 16}); r != 16 || string(e.view(buf, 16)) != "guest's own data" {
				t.Fatalf("readv(own) = %d %q", r, e.view(buf, 16))
			}
			wrote = nil
			copy(e.view(buf, 4), "GUES")
			if r := call("process_vm_writev", pid, []uint64{buf, 4}, []uint64{own, 4}); r != 4 || string(e.view(own, 4)) != "GUES" {
				t.Fatalf("writev(own) = %d %q", r, e.view(own, 4))
			}
			if len(wrote) != 1 || wrote[0] != (mm.AddrRange{Start: mm.Addr(own), End: mm.Addr(own + 4)}) {
				t.Fatalf("write hook got %v, want the 4 bytes at %#x", wrote, own)
			}
			two := e.mapPages(2, unix.PROT_READ|unix.PROT_WRITE)
			foreignAfter(t, e, two)
			tids := []uint64{pid}
			for _, s := range ownTasks(t) {
				tid, _ := strconv.ParseUint(s, 10, 64)
				tids = append(tids, tid)
			}
			for _, tid := range tids {
				for _, c := range []struct {
					name          string
					local, remote []uint64
					want          int64
				}{
					{"process_vm_readv", []uint64{buf, 16}, []uint64{host, 16}, errnoRet(unix.EFAULT)},
					{"process_vm_writev", []uint64{buf, 16}, []uint64{host, 16}, errnoRet(unix.EFAULT)},
					// Up to the first page that is not the guest's.
					{"process_vm_readv", []uint64{buf, 8192}, []uint64{two + 8, 8192}, 4096 - 8},
					{"process_vm_writev", []uint64{buf, 8192}, []uint64{two + 8, 8192}, 4096 - 8},
					// A later remote iovec that is not the guest's.
					{"process_vm_readv", []uint64{buf, 64}, []uint64{own, 16, host, 16, own, 16}, 16},
					// An empty one is never looked at.
					{"process_vm_readv", []uint64{buf, 64}, []uint64{host, 0, own, 16}, 16},
					// Nor one beyond what the local side takes.
					{"process_vm_readv", []uint64{buf, 16}, []uint64{own, 16, host, 16}, 16},
					{"process_vm_readv", []uint64{buf, 0}, []uint64{host, 16}, 0},
				} {
					if r := call(c.name, tid, c.local, c.remote); r != c.want {
						t.Errorf("tid %d: %s(local %#x, remote %#x) = %d, want %d", tid, c.name, c.local, c.remote, r, c.want)
					}
				}
			}
			if *hb != before {
				t.Fatalf("minemu's memory changed: %v", hb)
			}
			// Argument errors, in the kernel's order.
			for _, c := range []struct {
				name string
				r    int64
				want unix.Errno
			}{
				{"pid 0", call("process_vm_readv", 0, []uint64{buf, 16}, []uint64{own, 16}), unix.ESRCH},
				{"flags", e.sys("process_vm_readv", pid, l, 1, rv, 1, 1), unix.EINVAL},
				{"1025 local iovecs", e.sys("process_vm_readv", pid, l, 1025, rv, 1, 0), unix.EINVAL},
				{"1025 remote iovecs", e.sys("process_vm_readv", pid, l, 1, rv, 1025, 0), unix.EINVAL},
				{"local array unmapped", e.sys("process_vm_readv", pid, e.unmappedPage(), 1, rv, 1, 0), unix.EFAULT},
				{"local buffer unmapped", call("process_vm_readv", pid, []uint64{e.unmappedPage(), 16}, []uint64{own, 16}), unix.EFAULT},
				{"negative local length", call("process_vm_readv", pid, []uint64{buf, 1<<(8*e.ptrSize()-1) + 1}, []uint64{own, 16}), unix.EINVAL},
				{"negative remote length", call("process_vm_readv", pid, []uint64{buf, 16}, []uint64{own, 1<<(8*e.ptrSize()-1) + 1}), unix.EINVAL},
			} {
				if c.r != errnoRet(c.want) {
					t.Errorf("%s = %d, want -%v", c.name, c.r, c.want)
				}
			}
			// No local space: 0, the remote array is not read.
			e.putIovecs(l, buf, 0)
			if r := e.sys("process_vm_readv", pid, l, 1, e.unmappedPage(), 1, 0); r != 0 {
				t.Errorf("readv(no local space, unmapped remote array) = %d, want 0", r)
			}
		})
	}
}

// readGuestFile reads guest descriptor fd to its end through the guest's
// read, into the guest buffer.
func (e *sysEnv) readGuestFile(fd int64) string {
	e.t.Helper()
	var out []byte
	buf := e.mem + 16384
	for {
		r := e.sys("read", uint64(fd), buf, 8192)
		if r < 0 {
			e.t.Fatalf("read = %d", r)
		}
		if r == 0 {
			return string(out)
		}
		out = append(out, e.view(buf, uint64(r))...)
	}
}

// lowestFree is the number the kernel gives the next descriptor.
func lowestFree(t *testing.T) int {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	return fd
}

// TestProcMaps reads this process's maps files as a 32-bit guest: only
// guest memory, with the kernel's labels for its break and stack; the
// descriptor is a plain one at the lowest free number. A 64-bit guest
// gets the kernel's file.
func TestProcMaps(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	top := e.space.StackTop()
	if _, err := e.space.Mmap(top-16*mm.PageSize, 16*mm.PageSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, -1, 0); err != nil {
		t.Fatal(err)
	}
	brk := mm.Addr(0x20000000)
	if err := e.space.SetBrkBase(brk); err != nil {
		t.Fatal(err)
	}
	if got := e.space.Brk(brk + 3*mm.PageSize); got != brk+3*mm.PageSize {
		t.Fatalf("Brk = %v", got)
	}
	var visible []mm.AddrRange
	e.space.OwnedRanges(func(r mm.AddrRange, _ mm.Class) { visible = append(visible, r) })
	inGuest := func(s, end uint64) bool {
		r, ok := mm.NewRange(mm.Addr(s), end-s)
		return ok && r.End <= mm.Limit32 && e.space.IsMapped(r, unix.PROT_NONE)
	}
	pid := strconv.Itoa(os.Getpid())
	tids := ownTasks(t)
	for _, p := range []string{"/proc/self/maps", "/proc/" + pid + "/maps", "/proc/thread-self/maps",
		"/proc/self/task/" + tids[len(tids)-1] + "/maps", "/proc/self/smaps"} {
		want := lowestFree(t)
		fd := e.open(p, unix.O_RDONLY|unix.O_CLOEXEC)
		if fd != int64(want) {
			t.Fatalf("%s: open = %d, want the lowest free descriptor %d", p, fd, want)
		}
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_ACCMODE != unix.O_RDONLY {
			t.Errorf("%s: F_GETFL = %#x %v, want O_RDONLY", p, fl, err)
		}
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl != unix.FD_CLOEXEC {
			t.Errorf("%s: F_GETFD = %#x %v, want FD_CLOEXEC", p, fl, err)
		}
		text := e.readGuestFile(fd)
		unix.Close(int(fd))
		labels := map[string]bool{}
		headers, holds := 0, false
		for _, en := range procfs.SplitEntries([]byte(text)) {
			headers++
			h := en.H
			if !inGuest(h.Start, h.End) {
				t.Errorf("%s: line %q is not guest memory", p, en.Line)
			}
			labels[h.Name] = true
			if h.Name == "[stack]" && (h.End != uint64(top) || h.Start != uint64(top)-16*mm.PageSize) {
				t.Errorf("%s: [stack] is %q, want the guest's stack", p, en.Line)
			}
			if h.Name == "[heap]" && (h.Start > uint64(brk) || h.End < uint64(brk)+3*mm.PageSize) {
				t.Errorf("%s: [heap] is %q, want the guest's break", p, en.Line)
			}
			if p == "/proc/self/smaps" {
				if len(en.Body) == 0 {
					t.Fatalf("%s: entry %q has no fields", p, en.Line)
				}
				if name, v, ok := procfs.KBField(en.Body[0]); !ok || name != "Size:" || v != (h.End-h.Start)>>10 {
					t.Errorf("%s: entry %q starts with %q", p, en.Line, en.Body[0])
				}
			}
			holds = holds || h.Start <= e.mem && e.mem < h.End
		}
		if !labels["[stack]"] || !labels["[heap]"] {
			t.Errorf("%s: labels %v, want [stack] and [heap]", p, labels)
		}
		if !holds {
			t.Errorf("%s: no line holds the guest buffer at %#x:\n%s", p, e.mem, text)
		}
		if headers == 0 {
			t.Errorf("%s: no mappings", p)
		}
	}
	// smaps_rollup: one entry over the guest's memory, Rss at most its size.
	fd := e.open("/proc/self/smaps_rollup", unix.O_RDONLY)
	text := e.readGuestFile(fd)
	unix.Close(int(fd))
	en := procfs.SplitEntries([]byte(text))
	if len(en) != 1 || en[0].H.Name != "[rollup]" || !inGuest(en[0].H.Start, en[0].H.Start+1) || en[0].H.End > uint64(mm.Limit32) {
		t.Fatalf("smaps_rollup = %q", text)
	}
	var total uint64
	for _, r := range visible {
		total += r.Length() >> 10
	}
	for _, l := range en[0].Body {
		if name, v, ok := procfs.KBField(l); ok && name == "Rss:" && v > total {
			t.Errorf("smaps_rollup Rss %d kB, more than the guest's %d kB", v, total)
		}
	}
	// numa_maps: every line starts in guest memory.
	fd = e.open("/proc/self/numa_maps", unix.O_RDONLY)
	text = e.readGuestFile(fd)
	unix.Close(int(fd))
	if text == "" {
		t.Fatalf("numa_maps is empty")
	}
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		a, err := strconv.ParseUint(strings.Fields(l)[0], 16, 64)
		if err != nil || !inGuest(a, a+1) {
			t.Errorf("numa_maps line %q is not guest memory", l)
		}
	}

	// O_PATH stays O_PATH; a reopen through it is filtered.
	op := e.open("/proc/self/maps", unix.O_PATH)
	if r := e.sys("read", uint64(op), e.mem+16384, 100); r != errnoRet(unix.EBADF) {
		t.Errorf("read(O_PATH maps) = %d, want -EBADF", r)
	}
	fd = e.open("/proc/self/fd/"+strconv.Itoa(int(op)), unix.O_RDONLY)
	for _, en := range procfs.SplitEntries([]byte(e.readGuestFile(fd))) {
		if !inGuest(en.H.Start, en.H.End) {
			t.Errorf("maps reopened through O_PATH: line %q is not guest memory", en.Line)
		}
	}
	unix.Close(int(fd))
	unix.Close(int(op))

	// A 64-bit guest reads the kernel's file.
	e64 := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	fd = e64.open("/proc/self/maps", unix.O_RDONLY)
	defer unix.Close(int(fd))
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(fd), &fs); err != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		t.Fatalf("Mode64 maps is not procfs's file (%v, %#x)", err, fs.Type)
	}
}

// TestMapFilesOfMinemusShmem opens /proc/self/map_files entries as a guest:
// one of shared anonymous memory outside the guest's (what the dynarec
// heap's writable code views are) must not open — natively the guest has
// no such mapping — while the guest's own shared mapping opens as on the
// kernel. Opening map_files needs CAP_SYS_ADMIN; without it the kernel
// refuses both, and the first assertion holds all the same.
func TestMapFilesOfMinemusShmem(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			// minemu's: shared anonymous memory GuestSpace knows nothing of.
			own, err := unix.Mmap(-1, 0, mm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Munmap(own)
			ownAddr := uint64(uintptr(unsafePointer(own)))
			name := fmt.Sprintf("/proc/self/map_files/%x-%x", ownAddr, ownAddr+mm.PageSize)
			if r := e.sys("openat", atFDCWD, e.str(e.mem, name), unix.O_RDWR, 0); r >= 0 {
				e.sys("close", uint64(r))
				t.Fatalf("openat(%s) = %d: the guest got a descriptor to minemu's shared memory", name, r)
			}
			// The guest's own shared mapping.
			g, err := e.space.Mmap(0, mm.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS, -1, 0)
			if err != nil {
				t.Fatal(err)
			}
			gname := fmt.Sprintf("/proc/self/map_files/%x-%x", uint64(g), uint64(g)+mm.PageSize)
			hostOpens := false
			if fd, err := unix.Open(gname, unix.O_RDWR, 0); err == nil {
				unix.Close(fd)
				hostOpens = true // the kernel lets this process open it: so must minemu
			}
			r := e.sys("openat", atFDCWD, e.str(e.mem, gname), unix.O_RDWR, 0)
			if got := r >= 0; got != hostOpens {
				t.Fatalf("openat(%s) = %d; the kernel opens it: %v", gname, r, hostOpens)
			}
			if r >= 0 {
				e.sys("close", uint64(r))
			}
		})
	}
}
