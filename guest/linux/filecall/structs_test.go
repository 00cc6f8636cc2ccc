package filecall

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStructsGenerated runs the generator into a temporary directory: the
// committed files must be what it writes from ../linux_structs.txt, the
// description the Linux layer's codecs are generated from too.
func TestStructsGenerated(t *testing.T) {
	dir := t.TempDir()
	out, layout := filepath.Join(dir, "gen.go"), filepath.Join(dir, "layout_test.go")
	cmd := exec.Command("go", "run", "../internal/structgen", "-in", "../linux_structs.txt", "-out", out, "-layout", layout, "-pkg", "filecall", "-abi", "cpu.", "-abi-import", "github.com/minemu/minemu/guest/cpu")
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
			t.Errorf("%s is not what structgen writes from ../linux_structs.txt: run go generate ./guest/linux/filecall", c[1])
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
