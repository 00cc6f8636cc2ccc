package memcall

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStructsGenerated runs the generator into a temporary directory: the
// committed files must be what it writes from ../linux_structs.txt, the
// description the Linux layer's codecs are generated from too.
func TestStructsGenerated(t *testing.T) {
	dir := t.TempDir()
	out, layout := filepath.Join(dir, "gen.go"), filepath.Join(dir, "layout_test.go")
	cmd := exec.Command("go", "run", "../internal/structgen", "-in", "../linux_structs.txt", "-out", out, "-layout", layout, "-pkg", "memcall", "-abi", "cpu.", "-abi-import", "github.com/minemu/minemu/guest/cpu")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("structgen: %v\n%s", err, b)
	}
	for _, c := range [][2]string{{out, "structs_gen.go"}, {layout, "structs_layout_gen_test.go"}} {
		got, err := os.ReadFile(c[0])
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(c[1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what structgen writes from ../linux_structs.txt: run go generate ./guest/linux/memcall", c[1])
		}
	}
}

// TestStructLayouts checks every generated size and offset against the
// kernel's layouts as the C compiler computes them for each ABI
// (../testdata/structs/layout.c, with its output committed), and that every
// structure and field the C program measures is generated.
func TestStructLayouts(t *testing.T) {
	for _, abi := range []string{"i386", "amd64"} {
		t.Run(abi, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "testdata", "structs", "layout_"+abi+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			want := map[string][2]int{}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var st, fld string
				var off, size int
				if _, err := fmt.Sscan(sc.Text(), &st, &fld, &off, &size); err != nil {
					t.Fatalf("line %q: %v", sc.Text(), err)
				}
				if fld == "-" {
					fld = ""
				}
				want[st+"."+fld] = [2]int{off, size}
			}
			if len(want) < 100 {
				t.Fatalf("only %d layout lines", len(want))
			}
			for _, l := range cLayouts {
				if l.ABI != abi {
					continue
				}
				key := l.Struct + "." + l.Field
				w, ok := want[key]
				switch {
				case !ok:
					t.Errorf("%s: not measured by layout.c", key)
				case l.Off != w[0] || l.Size != w[1]:
					t.Errorf("%s: offset %d size %d, kernel's %d size %d", key, l.Off, l.Size, w[0], w[1])
				}
				delete(want, key)
			}
			for key := range want {
				t.Errorf("%s: measured by layout.c but not generated", key)
			}
		})
	}
}

// TestRlimit32: i386's two getrlimit calls clamp to their own infinities,
// and setrlimit's COMPAT_RLIM_INFINITY is RLIM_INFINITY.
func TestRlimit32(t *testing.T) {
	// The clamping of i386's two getrlimit calls.
	rl := unix.Rlimit{Cur: 1 << 40, Max: unix.RLIM_INFINITY}
	var b [8]byte
	encodeRlimit32(&rl, compatRlimInf32, &b)
	if le.Uint32(b[0:]) != 0xffffffff || le.Uint32(b[4:]) != 0xffffffff {
		t.Fatalf("ugetrlimit clamp: % x", b)
	}
	encodeRlimit32(&rl, maxNonLFS, &b)
	if le.Uint32(b[0:]) != 0x7fffffff || le.Uint32(b[4:]) != 0x7fffffff {
		t.Fatalf("old getrlimit clamp: % x", b)
	}
	b = [8]byte{}
	le.PutUint32(b[0:], 0xffffffff)
	le.PutUint32(b[4:], 5)
	if rl := decodeRlimit32(&b); rl.Cur != unix.RLIM_INFINITY || rl.Max != 5 {
		t.Fatalf("decodeRlimit32 = %+v", rl)
	}
}
