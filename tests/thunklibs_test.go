// Thunk libraries a user adds (thunks.Library): a minemu built with the
// example and zlib libraries by `minemu thunks build`, the programs of
// tests/guests written against them (thunkexample.c, thunkzlib.c), and
// zlib's data checked against the real zlib (thunkzlibrt.c, libz.a) in
// both directions.
package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	libsOnce sync.Once
	libsBin  string
	libsErr  error
	libsOut  []byte
)

// thunkLibraryPackages are the libraries of the libs minemu.
var thunkLibraryPackages = []string{"./thunks/libs/example", "./thunks/libs/zlib"}

// libsMinemu builds, once, a minemu with the example and zlib libraries
// the way a user does: `minemu thunks build` in the source tree.
func libsMinemu() string {
	libsOnce.Do(func() {
		dir := filepath.Dir(minemuBin)
		libsBin = filepath.Join(dir, "minemu-libs")
		if os.Getenv("MINEMU_BIN") != "" { // an outside minemu: build next to the tests
			d, err := os.MkdirTemp("", "minemu-libs-")
			if err != nil {
				libsErr = err
				return
			}
			libsBin = filepath.Join(d, "minemu-libs")
		}
		cmd := exec.Command(minemuBin, append([]string{"thunks", "build", "-C", "..", "-o", libsBin}, thunkLibraryPackages...)...)
		libsOut, libsErr = cmd.CombinedOutput()
	})
	if libsErr != nil {
		panic("minemu thunks build: " + libsErr.Error() + "\n" + string(libsOut))
	}
	return libsBin
}

// thunkLibraryCases are the programs of the example and zlib libraries.
func thunkLibraryCases() []thunkCase {
	var cs []thunkCase
	for _, p := range []struct{ variant, arch string }{
		{"glibc-i386", "i386"}, {"glibc-x86_64", "x86_64"}, {"musl-x86_64", "x86_64"},
	} {
		// thunkexample: sums, sorts (the comparator called back,
		// re-entrant: a comparator that sorts), tree walks (a visitor
		// nesting 4 deep, a cycle cut at depth 10000 after 37,501
		// visits, a node in unmapped memory).
		cs = append(cs, thunkCase{
			name: "thunkexample-" + p.variant, bin: "thunkexample-" + p.variant, arch: p.arch, libs: true,
			want: thunkCounters{Callbacks: 37597, CallbackDepthMax: 4},
			calls: map[string]uint64{
				"example:example_sum": 3, "example:example_sort": 14, "example:example_visit": 9,
			},
			tallyKeys: []string{"callbacks", "callback_depth_max"}, quietStderr: true,
		})
		// thunkzlib check: 11 callbacks (5 zallocs, 5 zfrees, a zalloc
		// that returned NULL), one state on the host heap (zalloc NULL)
		// freed by deflateEnd.
		cs = append(cs, thunkCase{
			name: "thunkzlib-" + p.variant + "-check", bin: "thunkzlib-" + p.variant, arch: p.arch, libs: true,
			args: []string{"check"},
			want: thunkCounters{Callbacks: 11, CallbackDepthMax: 1, FreesHost: 1},
			calls: map[string]uint64{
				"zlib:compress": 1, "zlib:compress2": 14, "zlib:compressBound": 14, "zlib:deflateEnd": 4,
				"zlib:deflateInit_": 8, "zlib:inflateEnd": 3, "zlib:inflateInit_": 5, "zlib:uncompress": 16,
			},
			callsFromTally: map[string]string{"zlib:deflate": "deflate", "zlib:inflate": "inflate"},
			quietStderr:    true,
		})
	}
	return cs
}

// TestThunkLibraryBuild: the libs minemu lists the libraries and writes
// their guest side exactly as committed in tests/guests/include (the
// staleness test of `minemu thunks header`); the plain minemu has only its
// own library, writes minemu.h as committed, and refuses a program of a
// library it lacks with SIGILL naming the unknown thunk.
func TestThunkLibraryBuild(t *testing.T) {
	libs := libsMinemu()
	out, err := exec.Command(libs, "thunks", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"example: example_sum example_sort example_visit",
		"zlib: compressBound compress compress2 uncompress deflateInit_ deflate deflateEnd inflateInit_ inflate inflateEnd"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("thunks list:\n%s\nlacks %q", out, want)
		}
	}
	if out, _ := exec.Command(minemuBin, "thunks", "list").Output(); strings.Count(string(out), "\n") != 1 {
		t.Errorf("the plain minemu lists more than its own library:\n%s", out)
	}
	for _, c := range []struct {
		bin  string
		args []string
		file string
	}{
		{minemuBin, []string{"thunks", "header"}, "minemu.h"},
		{libs, []string{"thunks", "header", "zlib"}, "minemu_zlib.h"},
		{libs, []string{"thunks", "stubs", "zlib"}, "minemu_zlib.c"},
		{libs, []string{"thunks", "header", "example"}, "minemu_example.h"},
		{libs, []string{"thunks", "stubs", "example"}, "minemu_example.c"},
	} {
		got, err := exec.Command(c.bin, c.args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		want, err := os.ReadFile(filepath.Join(guestDir, "include", c.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("minemu %s differs from the committed include/%s", strings.Join(c.args, " "), c.file)
		}
	}
	r := runGuest(t, "minemu", guestCase{name: "thunkzlib without the library", bin: "thunkzlib-glibc-x86_64", args: []string{"check"}})
	if r.status != 128+4 || !bytes.Contains(r.stderr, []byte("unknown thunk hash")) {
		t.Errorf("plain minemu running thunkzlib: status %d, stderr %q; want SIGILL naming the unknown thunk", r.status, r.stderr)
	}
}

// TestZlibAgainstRealZlib: what the zlib thunk library compresses, in every
// ABI, the real zlib decompresses, and the reverse; as streams (deflate,
// inflate) and one-shot (compress2, uncompress). The real zlib programs
// (Debian's libz.a linked statically, i386 and x86-64, glibc and musl) run
// as guests under a plain minemu, as the thunk programs run under the
// minemu built with the library.
func TestZlibAgainstRealZlib(t *testing.T) {
	dir := t.TempDir()
	for _, thunk := range []string{"thunkzlib-glibc-i386", "thunkzlib-glibc-x86_64", "thunkzlib-musl-x86_64"} {
		for _, real := range []string{"thunkzlibrt-glibc-i386", "thunkzlibrt-glibc-x86_64", "thunkzlibrt-musl-x86_64"} {
			for _, m := range [][2]string{{"deflate", "inflate"}, {"compress", "uncompress"}} {
				for _, dirn := range []struct{ from, to, fromRun, toRun string }{
					{thunk, real, "minemu-libs", "minemu"},
					{real, thunk, "minemu", "minemu-libs"},
				} {
					f := filepath.Join(dir, dirn.from+"-"+m[0])
					w := runGuest(t, dirn.fromRun, guestCase{name: dirn.from, bin: dirn.from, args: []string{m[0], f}})
					rd := runGuest(t, dirn.toRun, guestCase{name: dirn.to, bin: dirn.to, args: []string{m[1], f}})
					if w.status != 0 || rd.status != 0 || !bytes.HasSuffix(rd.stdout, []byte(m[1]+": ok\n")) {
						t.Errorf("%s %s | %s %s: status %d/%d, stdout %q %q, stderr %q %q", dirn.from, m[0], dirn.to, m[1],
							w.status, rd.status, w.stdout, rd.stdout, w.stderr, rd.stderr)
					}
				}
			}
		}
	}
}
