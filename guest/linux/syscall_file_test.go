package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// tempFile creates a file with content and returns its path.
func tempFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	return p
}

// hostStat is the host's stat of p (lstat when nofollow).
func hostStat(t *testing.T, p string, nofollow bool) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	var err error
	if nofollow {
		err = unix.Lstat(p, &st)
	} else {
		err = unix.Stat(p, &st)
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// checkStat64 compares an i386 struct stat64 in guest memory with the
// host's stat, field by field.
func checkStat64(t *testing.T, b []byte, st *unix.Stat_t) {
	t.Helper()
	got := []uint64{le.Uint64(b[0:]), uint64(le.Uint32(b[12:])), uint64(le.Uint32(b[16:])), uint64(le.Uint32(b[20:])),
		uint64(le.Uint32(b[24:])), uint64(le.Uint32(b[28:])), le.Uint64(b[32:]), le.Uint64(b[44:]),
		uint64(le.Uint32(b[52:])), le.Uint64(b[56:]), uint64(le.Uint32(b[64:])), uint64(le.Uint32(b[68:])),
		uint64(le.Uint32(b[72:])), uint64(le.Uint32(b[76:])), uint64(le.Uint32(b[80:])), uint64(le.Uint32(b[84:])),
		le.Uint64(b[88:])}
	want := []uint64{st.Dev, st.Ino & 0xffffffff, uint64(st.Mode), st.Nlink, uint64(st.Uid), uint64(st.Gid), st.Rdev,
		uint64(st.Size), uint64(st.Blksize), uint64(st.Blocks), uint64(st.Atim.Sec) & 0xffffffff, uint64(st.Atim.Nsec),
		uint64(st.Mtim.Sec) & 0xffffffff, uint64(st.Mtim.Nsec), uint64(st.Ctim.Sec) & 0xffffffff, uint64(st.Ctim.Nsec), st.Ino}
	fields := []string{"dev", "__ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks",
		"atime", "atime_nsec", "mtime", "mtime_nsec", "ctime", "ctime_nsec", "ino"}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("stat64.%s = %d, want %d", fields[i], got[i], want[i])
		}
	}
}

// checkOldStat compares an i386 struct stat (the old one) with the host's.
func checkOldStat(t *testing.T, b []byte, st *unix.Stat_t) {
	t.Helper()
	got := []uint64{uint64(le.Uint32(b[0:])), uint64(le.Uint32(b[4:])), uint64(le.Uint16(b[8:])), uint64(le.Uint16(b[10:])),
		uint64(le.Uint16(b[12:])), uint64(le.Uint16(b[14:])), uint64(le.Uint32(b[16:])), uint64(le.Uint32(b[20:])),
		uint64(le.Uint32(b[24:])), uint64(le.Uint32(b[28:])), uint64(le.Uint32(b[40:])), uint64(le.Uint32(b[44:]))}
	want := []uint64{st.Dev, st.Ino, uint64(st.Mode), st.Nlink, uint64(lowUID16(st.Uid)), uint64(lowUID16(st.Gid)),
		st.Rdev, uint64(st.Size), uint64(st.Blksize), uint64(st.Blocks), uint64(st.Mtim.Sec) & 0xffffffff, uint64(st.Mtim.Nsec)}
	fields := []string{"dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks", "mtime", "mtime_nsec"}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("stat.%s = %d, want %d", fields[i], got[i], want[i])
		}
	}
}

func TestStatI386(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	p := tempFile(t, "some content")
	link := p + ".link"
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	path, lpath, buf := e.str(e.mem, p), e.str(e.mem+1024, link), e.mem+4096
	// The host's view is taken after each guest call (atime may move).
	var st, lst unix.Stat_t
	for _, c := range []struct {
		name    string
		args    []uint64
		want    *unix.Stat_t
		stat64  bool
		comment string
	}{
		{"stat64", []uint64{path, buf}, &st, true, "file"},
		{"stat64", []uint64{lpath, buf}, &st, true, "follows the link"},
		{"lstat64", []uint64{lpath, buf}, &lst, true, "the link itself"},
		{"fstat64", []uint64{uint64(f.Fd()), buf}, &st, true, ""},
		{"fstatat64", []uint64{atFDCWD, lpath, buf, unix.AT_SYMLINK_NOFOLLOW}, &lst, true, ""},
		{"fstatat64", []uint64{uint64(f.Fd()), e.str(e.mem+2048, ""), buf, unix.AT_EMPTY_PATH}, &st, true, "AT_EMPTY_PATH"},
		{"stat", []uint64{path, buf}, &st, false, ""},
		{"lstat", []uint64{lpath, buf}, &lst, false, ""},
		{"fstat", []uint64{uint64(f.Fd()), buf}, &st, false, ""},
	} {
		clear(e.view(buf, 128))
		if r := e.sys(c.name, c.args...); r != 0 {
			t.Fatalf("%s (%s) = %d, want 0", c.name, c.comment, r)
		}
		st, lst = hostStat(t, p, false), hostStat(t, link, true)
		if c.stat64 {
			checkStat64(t, e.view(buf, sizeofStat64I386), c.want)
		} else {
			checkOldStat(t, e.view(buf, sizeofStatI386), c.want)
		}
		if got := e.view(buf+sizeofStat64I386, 8); !c.stat64 && !bytes.Equal(e.view(buf+sizeofStatI386, 8), make([]byte, 8)) ||
			c.stat64 && !bytes.Equal(got, make([]byte, 8)) {
			t.Errorf("%s wrote beyond its struct", c.name)
		}
	}
	if r := e.sys("stat64", e.str(e.mem, p+".missing"), buf); r != errnoRet(unix.ENOENT) {
		t.Fatalf("stat64(missing) = %d, want -ENOENT", r)
	}
}

// TestLargeFileI386: the 32-bit interfaces report EOVERFLOW for a file
// beyond 2 GiB, the 64-bit ones work.
func TestLargeFileI386(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	p := tempFile(t, "")
	if err := os.Truncate(p, 3<<30); err != nil {
		t.Skipf("cannot make a sparse 3 GiB file: %v", err)
	}
	path, buf := e.str(e.mem, p), e.mem+4096
	if r := e.sys("stat", path, buf); r != errnoRet(unix.EOVERFLOW) {
		t.Fatalf("stat(3 GiB) = %d, want -EOVERFLOW", r)
	}
	if r := e.sys("stat64", path, buf); r != 0 || le.Uint64(e.view(buf+44, 8)) != 3<<30 {
		t.Fatalf("stat64(3 GiB) = %d size %d, want 0 and %d", r, le.Uint64(e.view(buf+44, 8)), 3<<30)
	}
	if r := e.sys("open", path, unix.O_RDONLY); r != errnoRet(unix.EOVERFLOW) {
		t.Fatalf("open without O_LARGEFILE = %d, want -EOVERFLOW", r)
	}
	fd := e.sys("open", path, unix.O_RDONLY|sysOLargefile)
	if fd < 0 {
		t.Fatalf("open with O_LARGEFILE = %d", fd)
	}
	defer unix.Close(int(fd))
	if r := e.sys("lseek", uint64(fd), 0, unix.SEEK_END); r != errnoRet(unix.EOVERFLOW) {
		t.Fatalf("lseek to 3 GiB = %d, want -EOVERFLOW", r)
	}
	// _llseek(fd, hi, lo, &result, whence): 2.5 GiB from the start.
	res := e.mem + 8192
	if r := e.sys("_llseek", uint64(fd), 0, 5<<29, res, unix.SEEK_SET); r != 0 || le.Uint64(e.view(res, 8)) != 5<<29 {
		t.Fatalf("_llseek = %d result %d, want 0 and %d", r, le.Uint64(e.view(res, 8)), 5<<29)
	}
	if r := e.sys("_llseek", uint64(fd), 1, 0, res, unix.SEEK_SET); r != 0 || le.Uint64(e.view(res, 8)) != 1<<32 {
		t.Fatalf("_llseek(hi=1) = %d result %#x, want 0 and 1<<32", r, le.Uint64(e.view(res, 8)))
	}
	if r := e.sys("_llseek", uint64(fd), 0, 0, e.unmappedPage(), unix.SEEK_SET); r != errnoRet(unix.EFAULT) {
		t.Fatalf("_llseek(unmapped result) = %d, want -EFAULT", r)
	}
	// lseek with a negative 32-bit offset is sign-extended.
	if r := e.sys("lseek", uint64(fd), 100, unix.SEEK_SET); r != 100 {
		t.Fatalf("lseek(100) = %d", r)
	}
	if r := e.sys("lseek", uint64(fd), uint64(uint32(0xfffffff6)), unix.SEEK_CUR); r != 90 {
		t.Fatalf("lseek(-10, SEEK_CUR) = %d, want 90", r)
	}
	// pread64 at 3 GiB - 4 (hole: zeros), offset split in two registers.
	if r := e.sys("pread64", uint64(fd), buf, 4, (3<<30-4)&0xffffffff, (3<<30-4)>>32); r != 4 {
		t.Fatalf("pread64 at 3 GiB-4 = %d, want 4", r)
	}
}

// TestStatAMD64MatchesKernel: x86-64's translated struct stat is
// byte-for-byte what the kernel itself writes.
func TestStatAMD64MatchesKernel(t *testing.T) {
	e := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	p := tempFile(t, "abc")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ours, theirs := e.mem, e.mem+1024
	if _, _, en := unix.Syscall(unix.SYS_FSTAT, f.Fd(), uintptr(theirs), 0); en != 0 {
		t.Fatal(en)
	}
	for _, c := range []struct {
		name string
		args []uint64
	}{
		{"fstat", []uint64{uint64(f.Fd()), ours}},
		{"stat", []uint64{e.str(e.mem+4096, p), ours}},
		{"lstat", []uint64{e.str(e.mem+4096, p), ours}},
		{"newfstatat", []uint64{atFDCWD, e.str(e.mem+4096, p), ours, 0}},
	} {
		clear(e.view(ours, sizeofStatAMD64))
		if r := e.sys(c.name, c.args...); r != 0 {
			t.Fatalf("%s = %d", c.name, r)
		}
		if !bytes.Equal(e.view(ours, sizeofStatAMD64), e.view(theirs, sizeofStatAMD64)) {
			t.Fatalf("%s: got % x\nwant % x", c.name, e.view(ours, sizeofStatAMD64), e.view(theirs, sizeofStatAMD64))
		}
	}
}

func TestStatx(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			p := tempFile(t, "twelve bytes")
			buf := e.mem + 4096
			if r := e.sys("statx", atFDCWD, e.str(e.mem, p), 0, unix.STATX_BASIC_STATS, buf); r != 0 {
				t.Fatalf("statx = %d", r)
			}
			var want unix.Statx_t
			if err := unix.Statx(unix.AT_FDCWD, p, 0, unix.STATX_BASIC_STATS, &want); err != nil {
				t.Fatal(err)
			}
			if ino, size := le.Uint64(e.view(buf+32, 8)), le.Uint64(e.view(buf+40, 8)); ino != want.Ino || size != want.Size {
				t.Fatalf("statx ino %d size %d, want %d %d", ino, size, want.Ino, want.Size)
			}
			if r := e.sys("statx", atFDCWD, e.str(e.mem, p), 0, unix.STATX_BASIC_STATS, e.mem+memSize-100); r != errnoRet(unix.EFAULT) {
				t.Fatalf("statx(buffer running off guest memory) = %d, want -EFAULT", r)
			}
		})
	}
}

func TestOpenReadlinkSelfExe(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			buf := e.mem + 4096
			self := e.str(e.mem, "/proc/self/exe")
			if r := e.sys("readlink", self, buf, 4096); r != int64(len(e.exe)) || string(e.view(buf, uint64(r))) != e.exe {
				t.Fatalf("readlink(/proc/self/exe) = %d %q, want %q", r, e.view(buf, uint64(max(r, 0))), e.exe)
			}
			pidExe := e.str(e.mem+512, "/proc/"+itoa(os.Getpid())+"/exe")
			if r := e.sys("readlinkat", atFDCWD, pidExe, buf, 5); r != 5 || string(e.view(buf, 5)) != e.exe[:5] {
				t.Fatalf("readlinkat(/proc/<pid>/exe, 5) = %d %q, want 5 %q", r, e.view(buf, 5), e.exe[:5])
			}
			if r := e.sys("readlink", self, buf, 0); r != errnoRet(unix.EINVAL) {
				t.Fatalf("readlink(size 0) = %d, want -EINVAL", r)
			}
			// An ordinary symlink goes to the host.
			target := tempFile(t, "")
			link := target + ".lnk"
			os.Symlink(target, link)
			if r := e.sys("readlink", e.str(e.mem+1024, link), buf, 4096); r != int64(len(target)) || string(e.view(buf, uint64(r))) != target {
				t.Fatalf("readlink(link) = %d, want %q", r, target)
			}
			if r := e.sys("readlink", e.str(e.mem+1024, target), buf, 4096); r != errnoRet(unix.EINVAL) {
				t.Fatalf("readlink(regular file) = %d, want -EINVAL", r)
			}
			// open("/proc/self/exe") opens the guest binary.
			fd := e.sys("open", self, unix.O_RDONLY)
			if fd < 0 {
				t.Fatalf("open(/proc/self/exe) = %d", fd)
			}
			defer unix.Close(int(fd))
			var got unix.Stat_t
			unix.Fstat(int(fd), &got)
			if want := hostStat(t, e.exe, false); got.Ino != want.Ino || got.Dev != want.Dev {
				t.Fatalf("open(/proc/self/exe) opened inode %d, want the guest's %d", got.Ino, want.Ino)
			}
			if r := e.sys("access", self, unix.X_OK); r != 0 {
				t.Fatalf("access(/proc/self/exe, X_OK) = %d", r)
			}
			if r := e.sys("access", e.str(e.mem+1024, target+".none"), unix.F_OK); r != errnoRet(unix.ENOENT) {
				t.Fatalf("access(missing) = %d, want -ENOENT", r)
			}
			if r := e.sys("faccessat", atFDCWD, e.str(e.mem+1024, target), unix.R_OK); r != 0 {
				t.Fatalf("faccessat(file, R_OK) = %d", r)
			}
		})
	}
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

func TestOpenatCloseDupGetcwd(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			p := tempFile(t, "0123456789")
			dir := filepath.Dir(p)
			dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(dfd)
			fd := e.sys("openat", uint64(dfd), e.str(e.mem, "file"), unix.O_RDONLY|unix.O_CLOEXEC)
			if fd < 0 {
				t.Fatalf("openat(dirfd, file) = %d", fd)
			}
			if r := e.sys("openat", uint64(dfd), e.str(e.mem, "nofile"), unix.O_RDONLY); r != errnoRet(unix.ENOENT) {
				t.Fatalf("openat(missing) = %d, want -ENOENT", r)
			}
			if r := e.sys("lseek", uint64(fd), 4, unix.SEEK_SET); r != 4 {
				t.Fatalf("lseek = %d, want 4", r)
			}
			if r := e.sys("read", uint64(fd), e.mem, 3); r != 3 || string(e.view(e.mem, 3)) != "456" {
				t.Fatalf("read after lseek = %d %q", r, e.view(e.mem, 3))
			}
			d := e.sys("dup", uint64(fd))
			if d < 0 || d == fd {
				t.Fatalf("dup = %d", d)
			}
			if r := e.sys("dup2", uint64(fd), uint64(fd)); r != fd {
				t.Fatalf("dup2(fd, fd) = %d, want %d", r, fd)
			}
			if r := e.sys("dup3", uint64(fd), uint64(fd), 0); r != errnoRet(unix.EINVAL) {
				t.Fatalf("dup3(fd, fd) = %d, want -EINVAL", r)
			}
			d2 := d + 7
			if r := e.sys("dup3", uint64(fd), uint64(d2), unix.O_CLOEXEC); r != d2 {
				t.Fatalf("dup3 = %d, want %d", r, d2)
			}
			if r := e.sys("fcntl", uint64(d2), unix.F_GETFD); r != unix.FD_CLOEXEC {
				t.Fatalf("fcntl(F_GETFD) after dup3(O_CLOEXEC) = %d", r)
			}
			if r := e.sys("dup2", uint64(fd), uint64(d2)); r != d2 {
				t.Fatalf("dup2 = %d, want %d", r, d2)
			}
			if r := e.sys("fcntl", uint64(d2), unix.F_GETFD); r != 0 {
				t.Fatalf("fcntl(F_GETFD) after dup2 = %d, want 0", r)
			}
			for _, x := range []int64{d2, d, fd} {
				if r := e.sys("close", uint64(x)); r != 0 {
					t.Fatalf("close(%d) = %d", x, r)
				}
			}
			if r := e.sys("close", uint64(fd)); r != errnoRet(unix.EBADF) {
				t.Fatalf("close twice = %d, want -EBADF", r)
			}
			wd, _ := os.Getwd()
			if r := e.sys("getcwd", e.mem, 4096); r != int64(len(wd)+1) || string(e.view(e.mem, uint64(len(wd)))) != wd {
				t.Fatalf("getcwd = %d %q, want %q", r, e.view(e.mem, uint64(len(wd))), wd)
			}
			if r := e.sys("getcwd", e.mem, 1); r != errnoRet(unix.ERANGE) {
				t.Fatalf("getcwd(size 1) = %d, want -ERANGE", r)
			}
		})
	}
}

// TestHostFDsInvisible: a descriptor minemu moved into its band is not
// the guest's: the guest can neither use, close nor replace it.
func TestHostFDsInvisible(t *testing.T) {
	hostFile, err := os.CreateTemp(t.TempDir(), "host")
	if err != nil {
		t.Fatal(err)
	}
	defer hostFile.Close()
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	fd, err := unix.Dup(int(hostFile.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	bfd, err := e.k.band.Move(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer e.k.band.Release(bfd)
	hfd := uint64(bfd)
	p := tempFile(t, "x")
	gfd := e.sys("open", e.str(e.mem, p), unix.O_RDONLY)
	if gfd < 0 {
		t.Fatalf("open = %d", gfd)
	}
	defer unix.Close(int(gfd))
	for _, c := range []struct {
		name string
		args []uint64
	}{
		{"write", []uint64{hfd, e.mem, 1}},
		{"read", []uint64{hfd, e.mem, 1}},
		{"close", []uint64{hfd}},
		{"fstat64", []uint64{hfd, e.mem}},
		{"dup", []uint64{hfd}},
		{"dup2", []uint64{uint64(gfd), hfd}},
		{"dup2", []uint64{hfd, hfd}},
		{"dup3", []uint64{uint64(gfd), hfd, 0}},
		{"fcntl64", []uint64{hfd, unix.F_GETFD}},
		{"ioctl", []uint64{hfd, unix.TCGETS, e.mem}},
		{"lseek", []uint64{hfd, 0, 0}},
		{"mmap2", []uint64{0, 4096, unix.PROT_READ, unix.MAP_PRIVATE, hfd, 0}},
		{"openat", []uint64{hfd, e.str(e.mem+100, "x"), 0}},
		{"getdents64", []uint64{hfd, e.mem, 4096}},
		{"fchdir", []uint64{hfd}},
	} {
		if r := e.sys(c.name, c.args...); r != errnoRet(unix.EBADF) {
			t.Errorf("%s on minemu's fd = %d, want -EBADF", c.name, r)
		}
	}
	if _, err := unix.Write(bfd, []byte("still open")); err != nil {
		t.Fatalf("minemu's file was closed: %v", err)
	}
}

func TestIoctl(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			ptm, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY, 0)
			if err != nil {
				t.Skipf("no /dev/ptmx: %v", err)
			}
			defer unix.Close(ptm)
			want, err := unix.IoctlGetTermios(ptm, unix.TCGETS)
			if err != nil {
				t.Skipf("TCGETS on ptmx: %v", err)
			}
			if r := e.sys("ioctl", uint64(ptm), unix.TCGETS, e.mem); r != 0 {
				t.Fatalf("ioctl(TCGETS) = %d", r)
			}
			b := e.view(e.mem, sizeofTermios)
			if le.Uint32(b[0:]) != want.Iflag || le.Uint32(b[8:]) != want.Cflag || le.Uint32(b[12:]) != want.Lflag ||
				!bytes.Equal(b[17:17+19], want.Cc[:19]) {
				t.Fatalf("TCGETS got % x, want %+v", b, want)
			}
			ws := &unix.Winsize{Row: 24, Col: 80}
			if err := unix.IoctlSetWinsize(ptm, unix.TIOCSWINSZ, ws); err != nil {
				t.Fatal(err)
			}
			if r := e.sys("ioctl", uint64(ptm), unix.TIOCGWINSZ, e.mem); r != 0 ||
				le.Uint16(e.view(e.mem, 2)) != 24 || le.Uint16(e.view(e.mem+2, 2)) != 80 {
				t.Fatalf("ioctl(TIOCGWINSZ) = %d, % x", r, e.view(e.mem, 8))
			}
			f, _ := os.Open(tempFile(t, ""))
			defer f.Close()
			if r := e.sys("ioctl", uint64(f.Fd()), unix.TIOCGWINSZ, e.mem); r != errnoRet(unix.ENOTTY) {
				t.Fatalf("ioctl(file, TIOCGWINSZ) = %d, want -ENOTTY", r)
			}
			if r := e.sys("ioctl", uint64(ptm), 0x12345678, e.mem); r != errnoRet(unix.ENOTTY) {
				t.Fatalf("ioctl(unknown) = %d, want -ENOTTY", r)
			}
			if r := e.sys("ioctl", uint64(ptm), unix.TCGETS, e.unmappedPage()); r != errnoRet(unix.EFAULT) {
				t.Fatalf("ioctl(TCGETS, unmapped) = %d, want -EFAULT", r)
			}
		})
	}
}

func TestFcntlLocks(t *testing.T) {
	p := tempFile(t, "0123456789")
	other, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// An open-file-description lock held through another descriptor
	// conflicts with the guest's POSIX locks; F_GETLK reports it (pid -1).
	ofd := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 2, Len: 3}
	if err := unix.FcntlFlock(other.Fd(), unix.F_OFD_SETLK, &ofd); err != nil {
		t.Skipf("OFD locks: %v", err)
	}
	for _, tc := range []struct {
		name string
		abi  cpu.ABI
		mode mm.Mode
		call string
		cmd  uint64
		size int
	}{
		{"i386 fcntl flock", cpu.ABIi386, mm.Mode32, "fcntl", unix.F_GETLK, sizeofFlockI386},
		{"i386 fcntl64 flock", cpu.ABIi386, mm.Mode32, "fcntl64", unix.F_GETLK, sizeofFlockI386},
		{"i386 fcntl64 flock64", cpu.ABIi386, mm.Mode32, "fcntl64", fcntlGetlk64, sizeofFlock64I386},
		{"amd64 fcntl flock", cpu.ABIAMD64, mm.Mode64, "fcntl", unix.F_GETLK, sizeofFlockAMD64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			fd := e.sys("open", e.str(e.mem, p), unix.O_RDWR|sysOLargefile)
			if fd < 0 {
				t.Fatalf("open = %d", fd)
			}
			defer unix.Close(int(fd))
			b := e.view(e.mem+1024, uint64(tc.size))
			clear(b)
			le.PutUint16(b[0:], unix.F_WRLCK)
			var typ uint16
			var start, length int64
			var pid int32
			switch tc.size {
			case sizeofFlockI386:
				le.PutUint32(b[4:], 0)
				le.PutUint32(b[8:], 10)
			case sizeofFlock64I386:
				le.PutUint64(b[12:], 10)
			default:
				le.PutUint64(b[16:], 10)
			}
			if r := e.sys(tc.call, uint64(fd), tc.cmd, e.mem+1024); r != 0 {
				t.Fatalf("%s(F_GETLK) = %d", tc.call, r)
			}
			typ = le.Uint16(b[0:])
			switch tc.size {
			case sizeofFlockI386:
				start, length, pid = int64(int32(le.Uint32(b[4:]))), int64(int32(le.Uint32(b[8:]))), int32(le.Uint32(b[12:]))
			case sizeofFlock64I386:
				start, length, pid = int64(le.Uint64(b[4:])), int64(le.Uint64(b[12:])), int32(le.Uint32(b[20:]))
			default:
				start, length, pid = int64(le.Uint64(b[8:])), int64(le.Uint64(b[16:])), int32(le.Uint32(b[24:]))
			}
			if typ != unix.F_WRLCK || start != 2 || length != 3 || pid != -1 {
				t.Fatalf("F_GETLK = type %d start %d len %d pid %d, want F_WRLCK 2 3 -1", typ, start, length, pid)
			}
			// Setting a conflicting lock fails with EAGAIN, a free one works.
			setCmd := tc.cmd + 1 // F_SETLK / F_SETLK64
			if r := e.sys(tc.call, uint64(fd), setCmd, e.mem+1024); r != errnoRet(unix.EAGAIN) && r != errnoRet(unix.EACCES) {
				t.Fatalf("F_SETLK over the OFD lock = %d, want -EAGAIN", r)
			}
			if r := e.sys(tc.call, uint64(fd), 0x7777, 0); r != errnoRet(unix.EINVAL) {
				t.Fatalf("fcntl(unknown cmd) = %d, want -EINVAL", r)
			}
			if r := e.sys(tc.call, uint64(fd), unix.F_GETFL); r < 0 || r&unix.O_ACCMODE != unix.O_RDWR {
				t.Fatalf("F_GETFL = %#x", r)
			}
		})
	}
	// The *LK64 commands belong to fcntl64 only.
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	if r := e.sys("fcntl", 0, fcntlGetlk64, e.mem); r != errnoRet(unix.EINVAL) {
		t.Fatalf("fcntl(F_GETLK64) = %d, want -EINVAL", r)
	}
}

func TestPwrite64(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			p := tempFile(t, "0123456789")
			fd := e.sys("open", e.str(e.mem, p), unix.O_RDWR|sysOLargefile)
			if fd < 0 {
				t.Fatalf("open = %d", fd)
			}
			defer unix.Close(int(fd))
			// i386 passes the offset in two registers; x86-64 in one.
			off := []uint64{4}
			if e.abi == cpu.ABIi386 {
				off = []uint64{4, 0}
			}
			if r := e.sys("pwrite64", append([]uint64{uint64(fd), e.str(e.mem+100, "AB"), 2}, off...)...); r != 2 {
				t.Fatalf("pwrite64 = %d, want 2", r)
			}
			if got, _ := os.ReadFile(p); string(got) != "0123AB6789" {
				t.Fatalf("file after pwrite64: %q", got)
			}
			if e.abi == cpu.ABIi386 {
				// An offset of 2^32+1: the high half matters.
				if r := e.sys("pwrite64", uint64(fd), e.mem+100, 1, 1, 1); r != 1 {
					t.Fatalf("pwrite64 at 2^32+1 = %d", r)
				}
				if fi, _ := os.Stat(p); fi.Size() != 1<<32+2 {
					t.Fatalf("size after pwrite64 at 2^32+1 = %d", fi.Size())
				}
			}
			if r := e.sys("faccessat2", atFDCWD, e.str(e.mem, p), unix.W_OK, unix.AT_EACCESS); r != 0 {
				t.Fatalf("faccessat2(W_OK, AT_EACCESS) = %d", r)
			}
		})
	}
}

func TestGetrandom(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			if r := e.sys("getrandom", e.mem, 64, 0); r != 64 {
				t.Fatalf("getrandom = %d, want 64", r)
			}
			if bytes.Equal(e.view(e.mem, 64), make([]byte, 64)) {
				t.Fatalf("getrandom left the buffer zero")
			}
			if r := e.sys("getrandom", e.unmappedPage(), 64, 0); r != errnoRet(unix.EFAULT) {
				t.Fatalf("getrandom(unmapped) = %d, want -EFAULT", r)
			}
		})
	}
}

// atFDCWD is AT_FDCWD as a register value (a 32-bit int in both ABIs).
const atFDCWD = uint64(0xffffff9c)
