package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// xsysNumbers reads golang.org/x/sys/unix's syscall numbers for file
// (zsysnum_linux_amd64.go, zsysnum_linux_386.go) from the module's source:
// name (lower case, as in the unistd headers) to number.
func xsysNumbers(t *testing.T, file string) map[string]uint64 {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil {
		t.Fatalf("go list golang.org/x/sys: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "unix", file))
	if err != nil {
		t.Fatal(err)
	}
	nums := map[string]uint64{}
	for _, m := range regexp.MustCompile(`(?m)^\s+SYS_(\w+)\s+=\s+(\d+)$`).FindAllStringSubmatch(string(src), -1) {
		n, _ := strconv.ParseUint(m[2], 10, 64)
		nums[strings.ToLower(m[1])] = n
	}
	if len(nums) < 300 {
		t.Fatalf("%s: only %d syscall numbers found", file, len(nums))
	}
	return nums
}

// TestSyscallTables checks every entry of both tables: a unique name at
// the number golang.org/x/sys/unix gives it (and no number of x/sys's
// missing), a support level that agrees with the handler, a note where the
// level needs one, and a --strace format straceArg knows.
func TestSyscallTables(t *testing.T) {
	for _, tc := range []struct {
		abi  cpu.ABI
		file string
	}{
		// x/sys's i386 numbers are asm/unistd_32.h's, the kernel's
		// arch/x86/entry/syscalls/syscall_32.tbl.
		{cpu.ABIi386, "zsysnum_linux_386.go"},
		{cpu.ABIAMD64, "zsysnum_linux_amd64.go"},
	} {
		t.Run(abiName(tc.abi), func(t *testing.T) {
			want := xsysNumbers(t, tc.file)
			table := sysTable(tc.abi)
			seen := map[string]int{}
			for nr, e := range table {
				if e.name == "" {
					if e.fn != nil || e.args != "" {
						t.Errorf("%d: entry without a name", nr)
					}
					continue
				}
				if prev, dup := seen[e.name]; dup {
					t.Errorf("%d: name %q already at %d", nr, e.name, prev)
				}
				seen[e.name] = nr
				if w, ok := want[e.name]; !ok || w != uint64(nr) {
					t.Errorf("%d: %s is number %d (known %v) in x/sys", nr, e.name, w, ok)
				}
				checkEntry(t, nr, &e)
			}
			for name, nr := range want {
				if e := sysLookup(tc.abi, nr); e == nil || e.name != name {
					t.Errorf("x/sys's %s (%d) is not in the table", name, nr)
				}
			}
		})
	}
}

func checkEntry(t *testing.T, nr int, e *sysEntry) {
	t.Helper()
	switch e.support {
	case supNone:
		if e.fn != nil {
			t.Errorf("%d %s: unsupported with a handler", nr, e.name)
		}
	case supFull, supPass, supPartial, supRefused:
		if e.fn == nil {
			t.Errorf("%d %s: %v without a handler", nr, e.name, e.support)
		}
	default:
		t.Errorf("%d %s: support level %d", nr, e.name, e.support)
	}
	if needs := e.support == supPartial || e.support == supRefused; needs != (e.note != "") {
		t.Errorf("%d %s: %v with note %q", nr, e.name, e.support, e.note)
	}
	if e.args != "*" {
		if len(e.args) > 6 {
			t.Errorf("%d %s: %d arguments", nr, e.name, len(e.args))
		}
		for _, k := range []byte(e.args) {
			if !strings.ContainsRune("dfaluoxpsbrSWCRFAMKE", rune(k)) {
				t.Errorf("%d %s: argument kind %q", nr, e.name, k)
			}
		}
		if strings.Contains(e.args, "b") && strings.Index(e.args, "b") == len(e.args)-1 {
			t.Errorf("%d %s: buffer argument without a length after it", nr, e.name)
		}
	}
	if !strings.ContainsRune("dx?", rune(e.ret)) {
		t.Errorf("%d %s: result kind %q", nr, e.name, e.ret)
	}
	if e.exits() != (e.name == "exit" || e.name == "exit_group") {
		t.Errorf("%d %s: traced as not returning: %v", nr, e.name, e.exits())
	}
}

// TestSysFormat checks the format parser.
func TestSysFormat(t *testing.T) {
	for _, c := range []struct {
		in   string
		args string
		ret  byte
	}{
		{"", "", 'd'},
		{"frd", "frd", 'd'},
		{"x=x", "x", 'x'},
		{"d=?", "d", '?'},
		{"*", "*", 'd'},
	} {
		if args, ret := sysFormat(c.in); args != c.args || ret != c.ret {
			t.Errorf("sysFormat(%q) = %q, %q; want %q, %q", c.in, args, ret, c.args, c.ret)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("sysFormat(\"d=xx\") did not panic")
		}
	}()
	sysFormat("d=xx")
}
