package linux

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSysrootPaths gives the process a sysroot and looks files up through
// the guest's open, access and readlink: an absolute path the sysroot has
// is the sysroot's (a dangling link there too), one it lacks is the
// host's, a relative path is never translated, and /proc/self/exe stays
// the guest binary.
func TestSysrootPaths(t *testing.T) {
	for _, ac := range abiCases {
		t.Run(ac.name, func(t *testing.T) {
			e := newSysEnv(t, ac.mode, ac.abi)
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "etc/minemu-sysroot"), []byte("from the sysroot"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/nowhere", filepath.Join(root, "etc/dangling")); err != nil {
				t.Fatal(err)
			}
			hostDir := t.TempDir()
			host, shadowed := filepath.Join(hostDir, "host-only"), filepath.Join(hostDir, "shadowed")
			for _, p := range []string{host, shadowed} {
				if err := os.WriteFile(p, []byte("from the host"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The sysroot's dangling link hides the host's file.
			if err := os.MkdirAll(filepath.Join(root, hostDir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/nowhere", filepath.Join(root, shadowed)); err != nil {
				t.Fatal(err)
			}
			e.k.sysroot = root
			read := func(p string) (string, int64) {
				fd := e.open(p, unix.O_RDONLY)
				if fd < 0 {
					return "", fd
				}
				defer unix.Close(int(fd))
				return e.readGuestFile(fd), 0
			}
			tests := []struct {
				path, want string
				errno      int64
			}{
				{"/etc/minemu-sysroot", "from the sysroot", 0},
				{"/etc//minemu-sysroot", "from the sysroot", 0},
				{host, "from the host", 0},
				{"/etc/dangling", "", -int64(unix.ENOENT)},
				{shadowed, "", -int64(unix.ENOENT)},
				{"etc/minemu-sysroot", "", -int64(unix.ENOENT)}, // relative: the cwd's
			}
			for _, tc := range tests {
				got, errno := read(tc.path)
				if got != tc.want || errno != tc.errno {
					t.Fatalf("open %s: got %q, %d; want %q, %d", tc.path, got, errno, tc.want, tc.errno)
				}
			}
			if r := e.sys("access", e.str(e.mem+pathArea, "/etc/minemu-sysroot"), unix.R_OK); r != 0 {
				t.Fatalf("access of the sysroot's file = %d, want 0", r)
			}
			buf := e.mem + 8192
			if r := e.sys("readlink", e.str(e.mem+pathArea, "/etc/dangling"), buf, 64); r != int64(len("/nowhere")) || string(e.view(buf, uint64(r))) != "/nowhere" {
				t.Fatalf("readlink of the sysroot's link = %d", r)
			}
			if r := e.sys("readlink", e.str(e.mem+pathArea, "/proc/self/exe"), buf, 4096); r != int64(len(e.exe)) || string(e.view(buf, uint64(r))) != e.exe {
				t.Fatalf("readlink /proc/self/exe = %d %q, want %q", r, e.view(buf, uint64(max(r, 0))), e.exe)
			}
		})
	}
}
