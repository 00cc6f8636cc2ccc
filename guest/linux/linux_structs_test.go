package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStructsGenerated runs the generator into a temporary directory: the
// committed files must be what it writes from linux_structs.txt.
func TestStructsGenerated(t *testing.T) {
	dir := t.TempDir()
	out, layout := filepath.Join(dir, "gen.go"), filepath.Join(dir, "layout_test.go")
	cmd := exec.Command("go", "run", "./internal/structgen", "-in", "linux_structs.txt", "-out", out, "-layout", layout, "-pkg", "linux", "-abi", "cpu.", "-abi-import", "github.com/minemu/minemu/guest/cpu")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("structgen: %v\n%s", err, b)
	}
	for _, c := range [][2]string{{out, "linux_structs_gen.go"}, {layout, "linux_structs_layout_gen_test.go"}} {
		got, err := os.ReadFile(c[0])
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(c[1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what structgen writes from linux_structs.txt: run go generate ./guest/linux", c[1])
		}
	}
}

// TestStructLayouts checks every generated size and offset against the
// kernel's layouts as the C compiler computes them for each ABI
// (testdata/structs/layout.c, with its output committed), and that every
// structure and field the C program measures is generated.
func TestStructLayouts(t *testing.T) {
	for _, abi := range []string{"i386", "amd64"} {
		t.Run(abi, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "structs", "layout_"+abi+".txt"))
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

// TestStructCodecs checks what the layouts alone do not: sign extension,
// truncation, nested structures, padding cleared, arrays.
func TestStructCodecs(t *testing.T) {
	// long is 32 bits on i386: sign-extended in, truncated out.
	var ts cTimespec
	ts.decodeI386([]byte{0xfe, 0xff, 0xff, 0xff, 3, 0, 0, 0})
	if ts.Sec != -2 || ts.Nsec != 3 {
		t.Fatalf("i386 timespec decoded %+v, want -2, 3", ts)
	}
	b := make([]byte, 64)
	for i := range b {
		b[i] = 0xaa
	}
	ts = cTimespec{Sec: 1<<32 + 7, Nsec: -1}
	if got := ts.encodeI386(b); !bytes.Equal(got, []byte{7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}) {
		t.Fatalf("i386 timespec encoded % x", got)
	}
	// ulong is zero-extended.
	var rl cRlimit
	rl.decodeI386([]byte{0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0})
	if rl.Cur != 0xffffffff || rl.Max != 1 {
		t.Fatalf("i386 rlimit decoded %+v", rl)
	}
	// Padding (x86-64 stack_t's four bytes after ss_flags) is zeroed.
	for i := range b {
		b[i] = 0xaa
	}
	st := cStack{Sp: 0x1000, Flags: -1, Size: 0x2000}
	want := []byte{0, 0x10, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0}
	if got := st.encodeAMD64(b); !bytes.Equal(got, want) {
		t.Fatalf("x86-64 stack_t encoded % x, want % x", got, want)
	}
	if b[len(want)] != 0xaa {
		t.Fatalf("encode wrote past the structure")
	}
	// Nested structures and arrays round-trip in both ABIs.
	ru := cRusage{Utime: cTimeval{Sec: 5, Usec: -6}, Stime: cTimeval{Sec: 7, Usec: 8}, Maxrss: -9, Nivcsw: 10}
	si := cSysinfo{Uptime: 11, Loads: [3]uint64{1, 2, 3}, Procs: 12, MemUnit: 13}
	for _, abi := range []cpu.ABI{cpu.ABIi386, cpu.ABIAMD64} {
		var ru2 cRusage
		ru2.decode(abi, ru.encode(abi, make([]byte, sizeofRusageMax)))
		if ru2 != ru {
			t.Errorf("%s rusage round trip: %+v, want %+v", abiName(abi), ru2, ru)
		}
		buf := make([]byte, sizeofSysinfoMax)
		var si2 cSysinfo
		si2.decode(abi, si.encode(abi, buf))
		if si2 != si {
			t.Errorf("%s sysinfo round trip: %+v, want %+v", abiName(abi), si2, si)
		}
	}
	// The i386 old stat's 16-bit fields.
	var stat cStat
	stat.decodeI386(cStat{Mode: 0x1_8124, Nlink: 3, Uid: 0x1_0001}.encodeI386Copy())
	if stat.Mode != 0x8124 || stat.Nlink != 3 || stat.Uid != 1 {
		t.Fatalf("i386 stat 16-bit fields: %+v", stat)
	}
}

// encodeI386Copy encodes v into a fresh buffer.
func (v cStat) encodeI386Copy() []byte { return v.encodeI386(make([]byte, sizeofStatI386)) }

// TestStructGoTypes pins the Go field types the generator chooses: the
// widest of the ABIs' types, signed only when all are.
func TestStructGoTypes(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmt.Sprintf("%T", cStat{}.Size), "uint64"},   // ulong on i386, long on x86-64
		{fmt.Sprintf("%T", cStat{}.Mode), "uint32"},   // u16 on i386, u32 on x86-64
		{fmt.Sprintf("%T", cStat64{}.Uid), "uint32"},  // i386 only: ulong is 32 bits
		{fmt.Sprintf("%T", cTimespec{}.Sec), "int64"}, // long
		{fmt.Sprintf("%T", cStack{}.Flags), "int32"},
		{fmt.Sprintf("%T", cUtsname{}.Machine), "[65]uint8"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	// Both ABIs share linux_dirent64: one layout, no ABI suffix.
	if sizeofDirent64 != offDirent64Name || offDirent64Name != 19 {
		t.Errorf("Dirent64's fixed part is %d bytes, its name at %d; want 19", sizeofDirent64, offDirent64Name)
	}
}
