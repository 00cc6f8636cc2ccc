package linux

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// execImageAt writes argv and envp strings into the guest buffer at off,
// as the loader lays them out (argv strings, then envp strings), records
// them with auxv and returns the image.
func (e *sysEnv) execImageAt(off uint64, argv, envp []string, auxv []uint64) ExecImage {
	e.t.Helper()
	a := e.mem + off
	img := ExecImage{ArgStart: a, Auxv: auxv}
	for _, s := range argv {
		e.str(a, s)
		a += uint64(len(s)) + 1
	}
	img.ArgEnd, img.EnvStart = a, a
	for _, s := range envp {
		e.str(a, s)
		a += uint64(len(s)) + 1
	}
	img.EnvEnd = a
	e.k.SetExecImage(img)
	return img
}

// TestProcSelfCmdlineAuxv opens this process's cmdline and auxv as a guest
// would, by every name of its task directories: the content is the
// guest's, read from guest memory when opened (cmdline) or as the loader
// wrote it (auxv), in the guest's word size, at the lowest free number. A
// program that overwrote the NUL after its arguments (setproctitle) gets
// the kernel's answer: the area up to the first NUL, into the environment.
func TestProcSelfCmdlineAuxv(t *testing.T) {
	for _, ac := range abiCases {
		t.Run(ac.name, func(t *testing.T) {
			e := newSysEnv(t, ac.mode, ac.abi)
			auxv := []uint64{6, 4096, 9, 0x8049000, 25, e.mem, 0, 0}
			img := e.execImageAt(1024, []string{"./prog", "one", "two words"}, []string{"A=1", "B=2"}, auxv)
			pid := strconv.Itoa(os.Getpid())
			tids := ownTasks(t)
			wantAuxv := auxvBytes(auxv, ac.mode)
			word := 8
			if ac.mode == mm.Mode32 {
				word = 4
			}
			if len(wantAuxv) != len(auxv)*word {
				t.Fatalf("auxv encodes to %d bytes, want %d", len(wantAuxv), len(auxv)*word)
			}
			tests := []struct {
				path, want string
			}{
				{"/proc/self/cmdline", "./prog\x00one\x00two words\x00"},
				{"/proc/" + pid + "/cmdline", "./prog\x00one\x00two words\x00"},
				{"/proc/thread-self/cmdline", "./prog\x00one\x00two words\x00"},
				{"/proc/self/task/" + tids[len(tids)-1] + "/cmdline", "./prog\x00one\x00two words\x00"},
				{"/proc/self/environ", "A=1\x00B=2\x00"},
				{"/proc/self/auxv", string(wantAuxv)},
				{"/proc/" + pid + "/task/" + pid + "/auxv", string(wantAuxv)},
			}
			for _, tc := range tests {
				want := lowestFree(t)
				fd := e.open(tc.path, unix.O_RDONLY|unix.O_CLOEXEC)
				if fd != int64(want) {
					t.Fatalf("%s: open = %d, want %d", tc.path, fd, want)
				}
				got := e.readGuestFile(fd)
				unix.Close(int(fd))
				if got != tc.want {
					t.Fatalf("%s: got %q, want %q", tc.path, got, tc.want)
				}
			}
			// setproctitle: the NUL after the last argument overwritten.
			copy(e.view(img.ArgEnd-1, 1), "!")
			fd := e.open("/proc/self/cmdline", unix.O_RDONLY)
			got := e.readGuestFile(fd)
			unix.Close(int(fd))
			if want := "./prog"; got != want {
				t.Fatalf("cmdline after the argv NULs changed: got %q, want %q", got, want)
			}
			for i := img.ArgStart; i < img.ArgEnd; i++ {
				if e.view(i, 1)[0] == 0 {
					copy(e.view(i, 1), " ")
				}
			}
			fd = e.open("/proc/self/cmdline", unix.O_RDONLY)
			got = e.readGuestFile(fd)
			unix.Close(int(fd))
			if want := "./prog one two words!A=1"; got != want {
				t.Fatalf("cmdline of a setproctitle: got %q, want %q", got, want)
			}
			// Other files of the task and O_PATH opens are the kernel's.
			fd = e.open("/proc/self/comm", unix.O_RDONLY)
			if got := e.readGuestFile(fd); got == "" || strings.Contains(got, "\x00") {
				t.Fatalf("/proc/self/comm: %q", got)
			}
			unix.Close(int(fd))
			fd = e.open("/proc/self/cmdline", unix.O_PATH)
			if link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd))); err != nil || filepath.Base(link) != "cmdline" {
				t.Fatalf("O_PATH cmdline is %q %v, want the procfs file", link, err)
			}
			unix.Close(int(fd))
		})
	}
}

// TestProcSelfOtherProcess: another process's cmdline is its own.
func TestProcSelfOtherProcess(t *testing.T) {
	e := newSysEnv(t, mm.Mode64, abiCases[1].abi)
	e.execImageAt(1024, []string{"guest"}, nil, []uint64{0, 0})
	pid, _ := startChild(t)
	fd := e.open("/proc/"+strconv.Itoa(pid)+"/cmdline", unix.O_RDONLY)
	got := e.readGuestFile(fd)
	unix.Close(int(fd))
	if want := "sleep\x0060\x00"; got != want {
		t.Fatalf("the child's cmdline reads %q, want its own %q", got, want)
	}
}

func TestCommOf(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"./bin/dynproc-glibc-i386", "dynproc-glibc-i"},
		{"/usr/bin/ls", "ls"},
		{"exactly15chars_", "exactly15chars_"},
	} {
		if got := CommOf(tc.path); got != tc.want {
			t.Fatalf("CommOf(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
