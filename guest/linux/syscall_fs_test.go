package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFileSystemCalls(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			dir := t.TempDir()
			in := func(name string) string { return filepath.Join(dir, name) }
			p := e.mem // path scratch
			q := e.mem + 1024
			ok := func(what string, r int64) {
				t.Helper()
				if r != 0 {
					t.Fatalf("%s = %d (%v), want 0", what, r, unix.Errno(-r))
				}
			}
			ok("mkdir", e.sys("mkdir", e.str(p, in("d")), 0o750))
			if fi, err := os.Stat(in("d")); err != nil || !fi.IsDir() {
				t.Fatalf("mkdir made no directory: %v", err)
			}
			if r := e.sys("mkdir", e.str(p, in("d")), 0o750); r != errnoRet(unix.EEXIST) {
				t.Fatalf("mkdir twice = %d, want -EEXIST", r)
			}
			dfd, err := unix.Open(in("d"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(dfd)
			ok("mkdirat", e.sys("mkdirat", uint64(dfd), e.str(p, "sub"), 0o700))
			os.WriteFile(in("f"), []byte("0123456789"), 0o644)
			ok("rename", e.sys("rename", e.str(p, in("f")), e.str(q, in("g"))))
			ok("renameat", e.sys("renameat", atFDCWD, e.str(p, in("g")), uint64(dfd), e.str(q, "h")))
			os.WriteFile(in("x"), nil, 0o644)
			if r := e.sys("renameat2", atFDCWD, e.str(p, in("x")), uint64(dfd), e.str(q, "h"), unix.RENAME_NOREPLACE); r != errnoRet(unix.EEXIST) {
				t.Fatalf("renameat2(RENAME_NOREPLACE onto a file) = %d, want -EEXIST", r)
			}
			ok("chmod", e.sys("chmod", e.str(p, in("x")), 0o600))
			ok("fchmodat", e.sys("fchmodat", uint64(dfd), e.str(p, "h"), 0o640))
			if fi, _ := os.Stat(in("x")); fi.Mode().Perm() != 0o600 {
				t.Fatalf("chmod: mode %v", fi.Mode())
			}
			if fi, _ := os.Stat(in("d/h")); fi.Mode().Perm() != 0o640 {
				t.Fatalf("fchmodat: mode %v", fi.Mode())
			}
			// Truncation: the i386 ftruncate64 takes the length in two halves.
			fd := e.sys("open", e.str(p, in("d/h")), unix.O_RDWR|sysOLargefile)
			if fd < 0 {
				t.Fatalf("open = %d", fd)
			}
			defer unix.Close(int(fd))
			ok("ftruncate", e.sys("ftruncate", uint64(fd), 4))
			if e.abi == cpu.ABIi386 {
				ok("ftruncate64", e.sys("ftruncate64", uint64(fd), 6, 1))
				if fi, _ := os.Stat(in("d/h")); fi.Size() != 1<<32+6 {
					t.Fatalf("ftruncate64: size %d, want 2^32+6", fi.Size())
				}
				ok("ftruncate", e.sys("ftruncate", uint64(fd), 4))
			}
			if fi, _ := os.Stat(in("d/h")); fi.Size() != 4 {
				t.Fatalf("ftruncate: size %d, want 4", fi.Size())
			}
			minus1 := ^uint64(0) // -1 as a long; the upper half is ignored for i386
			if r := e.sys("ftruncate", uint64(fd), minus1); r != errnoRet(unix.EINVAL) {
				t.Fatalf("ftruncate(-1) = %d, want -EINVAL", r)
			}
			ok("truncate", e.sys("truncate", e.str(p, in("d/h")), 2))
			ok("fsync", e.sys("fsync", uint64(fd)))
			ok("fdatasync", e.sys("fdatasync", uint64(fd)))
			ok("fchmod", e.sys("fchmod", uint64(fd), 0o644))
			// getdents64 lists what the host lists.
			n := e.sys("getdents64", uint64(dfd), e.mem+4096, 4096)
			if n <= 0 {
				t.Fatalf("getdents64 = %d", n)
			}
			var names []string
			buf := e.view(e.mem+4096, uint64(n))
			for off := 0; off < len(buf); {
				reclen := int(le.Uint16(buf[off+16:]))
				name := buf[off+19 : off+reclen]
				names = append(names, string(name[:bytes.IndexByte(name, 0)]))
				off += reclen
			}
			sort.Strings(names)
			if got := strings.Join(names, " "); got != ". .. h sub" {
				t.Fatalf("getdents64 names %q, want \". .. h sub\"", got)
			}
			// Removal.
			ok("unlinkat(AT_REMOVEDIR)", e.sys("unlinkat", uint64(dfd), e.str(p, "sub"), unix.AT_REMOVEDIR))
			ok("unlinkat", e.sys("unlinkat", uint64(dfd), e.str(p, "h"), 0))
			ok("unlink", e.sys("unlink", e.str(p, in("x"))))
			if r := e.sys("unlink", e.str(p, in("x"))); r != errnoRet(unix.ENOENT) {
				t.Fatalf("unlink twice = %d, want -ENOENT", r)
			}
			if r := e.sys("rmdir", e.str(p, in("x"))); r != errnoRet(unix.ENOENT) {
				t.Fatalf("rmdir(missing) = %d, want -ENOENT", r)
			}
			ok("rmdir", e.sys("rmdir", e.str(p, in("d"))))
			// unlink("/proc/self/exe") is not redirected to the guest binary.
			e.sys("unlink", e.str(p, "/proc/self/exe"))
			if _, err := os.Stat(e.exe); err != nil {
				t.Fatalf("unlink(/proc/self/exe) removed the guest binary")
			}
			// chdir and fchdir move the process's directory; restore it.
			wd, _ := os.Getwd()
			defer os.Chdir(wd)
			ok("chdir", e.sys("chdir", e.str(p, dir)))
			if got, _ := os.Getwd(); got != dir {
				t.Fatalf("after chdir: cwd %q, want %q", got, dir)
			}
			wfd, _ := unix.Open(wd, unix.O_RDONLY|unix.O_DIRECTORY, 0)
			defer unix.Close(wfd)
			ok("fchdir", e.sys("fchdir", uint64(wfd)))
			if got, _ := os.Getwd(); got != wd {
				t.Fatalf("after fchdir: cwd %q, want %q", got, wd)
			}
			old := e.sys("umask", 0o27)
			if r := e.sys("umask", uint64(old)); r != 0o27 {
				t.Fatalf("umask = %#o, want 027", r)
			}
			ok("sched_yield", e.sys("sched_yield"))
			if r := e.sys("sched_getaffinity", 0, 128, e.mem); r <= 0 || e.view(e.mem, 1)[0] == 0 && bytes.Equal(e.view(e.mem, 128), make([]byte, 128)) {
				t.Fatalf("sched_getaffinity = %d, mask % x", r, e.view(e.mem, 8))
			}
			// The length is an unsigned int: upper bits of the register
			// do not count.
			if r := e.sys("sched_getaffinity", 0, 1<<32|128, e.mem); e.abi == cpu.ABIAMD64 && r <= 0 {
				t.Fatalf("sched_getaffinity(length 1<<32|128) = %d, want the mask size", r)
			}
			if r := e.sys("sched_getaffinity", 0, 128, e.unmappedPage()); r != errnoRet(unix.EFAULT) {
				t.Fatalf("sched_getaffinity(unmapped) = %d, want -EFAULT", r)
			}
		})
	}
}

func TestSysinfo(t *testing.T) {
	var host unix.Sysinfo_t
	if err := unix.Sysinfo(&host); err != nil {
		t.Fatal(err)
	}
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			if r := e.sys("sysinfo", e.mem); r != 0 {
				t.Fatalf("sysinfo = %d", r)
			}
			var total uint64
			if e.abi == cpu.ABIi386 {
				total = uint64(le.Uint32(e.view(e.mem+16, 4))) * uint64(le.Uint32(e.view(e.mem+52, 4)))
			} else {
				total = le.Uint64(e.view(e.mem+32, 8)) * uint64(le.Uint32(e.view(e.mem+104, 4)))
			}
			if want := host.Totalram * uint64(host.Unit); total != want {
				t.Fatalf("sysinfo total RAM %d bytes, host says %d", total, want)
			}
		})
	}
}
