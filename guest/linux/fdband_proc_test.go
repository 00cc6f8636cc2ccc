package linux

import (
	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/fdband"

	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

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
			host, err := fdband.OpenFDs()
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
	owned := strconv.Itoa(e.k.band.Probe())
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
	b, err := fdband.PrepareHost()
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
