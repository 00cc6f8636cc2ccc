package linux

import (
	"github.com/minemu/minemu/guest/cpu"

	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

func TestStrace(t *testing.T) {
	e := newSysEnv(t, mm.Mode32, cpu.ABIi386)
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := uint64(f.Fd())
	pid := strconv.Itoa(os.Getpid()) + " "
	e.trace.Reset()
	e.sys("write", fd, e.str(e.mem, "hi\n\"x\"\t\x01"), 8)
	e.sys("open", e.str(e.mem, "/nonexistent/file"), unix.O_RDONLY, 0)
	e.sys("openat", atFDCWD, e.str(e.mem, "/nonexistent/file"), unix.O_RDONLY, 0o644)
	e.sys("mmap2", 0, 4096, 3, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, 0xffffffff, 0)
	long := strings.Repeat("y", 40)
	e.sys("write", fd, e.str(e.mem, long), 40)
	e.sys("read", fd, 0, 0)
	e.sysNr(9999, 1, 2)
	e.sys("exit_group", 3)
	lines := strings.Split(strings.TrimSuffix(e.trace.String(), "\n"), "\n")
	want := []string{
		pid + `write(` + strconv.Itoa(int(fd)) + `,"hi\n\"x\"\t\001",8) = 8`,
		pid + `open("/nonexistent/file",0x0,0) = -1 ENOENT (no such file or directory)`,
		pid + `openat(AT_FDCWD,"/nonexistent/file",0x0,0644) = -1 ENOENT (no such file or directory)`,
		"", // mmap2: checked by prefix below
		pid + `write(` + strconv.Itoa(int(fd)) + `,"` + strings.Repeat("y", 32) + `"...,40) = 40`,
		pid + `read(` + strconv.Itoa(int(fd)) + `,NULL,0) = 0`,
		pid + `syscall_9999(0x1,0x2,0x0,0x0,0x0,0x0) = -1 ENOSYS (function not implemented)`,
		pid + `exit_group(3) = ?`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), e.trace)
	}
	for i := range want {
		if want[i] == "" {
			if !strings.HasPrefix(lines[i], pid+"mmap2(0x0,4096,0x3,0x22,-1,0x0) = 0x") {
				t.Errorf("line %d = %q, want an mmap2 line with a hex result", i, lines[i])
			}
			continue
		}
		if lines[i] != want[i] {
			t.Errorf("line %d = %q\nwant      %q", i, lines[i], want[i])
		}
	}
}

func TestAppendQuoted(t *testing.T) {
	for _, c := range []struct {
		in    string
		total int
		want  string
	}{
		{"", 0, `""`},
		{"abc", 3, `"abc"`},
		{"abc", 10, `"abc"...`},
		{"\x00\xff\\", 3, `"\000\377\\"`},
		{strings.Repeat("z", 33), 33, `"` + strings.Repeat("z", 32) + `"...`},
	} {
		if got := string(appendQuoted(nil, []byte(c.in), c.total)); got != c.want {
			t.Errorf("appendQuoted(%q, %d) = %s, want %s", c.in, c.total, got, c.want)
		}
	}
}

// TestStraceKinds checks the argument kinds that name values (signals,
// whence, clocks, resources, fcntl commands, sigprocmask's how) and a
// call minemu does not implement, traced with its own arguments.
func TestStraceKinds(t *testing.T) {
	for _, tc := range abiCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t, tc.mode, tc.abi)
			f, err := os.CreateTemp(t.TempDir(), "out")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("12345"); err != nil {
				t.Fatal(err)
			}
			fd := strconv.Itoa(int(f.Fd()))
			pid := strconv.Itoa(os.Getpid())
			getrlimit := "getrlimit"
			if tc.abi == cpu.ABIi386 {
				getrlimit = "ugetrlimit"
			}
			e.trace.Reset()
			e.sys("lseek", uint64(f.Fd()), 0, unix.SEEK_END)
			e.sys("kill", uint64(os.Getpid()), 0)
			e.sys("clock_gettime", unix.CLOCK_MONOTONIC, 0)
			e.sys(getrlimit, unix.RLIMIT_NOFILE, 0)
			e.sys("fcntl", uint64(f.Fd()), unix.F_GETFL)
			e.sys("rt_sigprocmask", unix.SIG_BLOCK, 0, 0, 8)
			e.sys("syslog", 0, 0, 5)
			got := strings.Split(strings.TrimSuffix(e.trace.String(), "\n"), "\n")
			want := []string{
				pid + ` lseek(` + fd + `,0,SEEK_END) = 5`,
				pid + ` kill(` + pid + `,0) = 0`,
				pid + ` clock_gettime(CLOCK_MONOTONIC,NULL) = -1 EFAULT (bad address)`,
				pid + ` ` + getrlimit + `(RLIMIT_NOFILE,NULL) = -1 EFAULT (bad address)`,
				pid + ` fcntl(` + fd + `,F_GETFL,0x0) = 32770`,
				pid + ` rt_sigprocmask(SIG_BLOCK,NULL,NULL,8) = 0`,
				pid + ` syslog(0,NULL,5) = -1 ENOSYS (function not implemented)`,
			}
			if len(got) != len(want) {
				t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), e.trace)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("line %d = %q\nwant      %q", i, got[i], want[i])
				}
			}
		})
	}
}
