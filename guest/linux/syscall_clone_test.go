package linux

import (
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// cloneRaw is the host's clone(flags, 0, 0, 0, 0) for flags the kernel
// refuses; a child it would create anyway exits at once.
func cloneRaw(nr uintptr, a0, a1 uintptr) unix.Errno {
	r, _, e := unix.RawSyscall6(nr, a0, a1, 0, 0, 0, 0)
	if e == 0 && r == 0 {
		unix.RawSyscall(unix.SYS_EXIT, 0, 0, 0)
	}
	return e
}

// TestCloneFlags: the flag combinations copy_process and kernel_clone
// refuse are EINVAL, checked against the host kernel itself; what is not a
// thread minemu can create is ENOSYS.
func TestCloneFlags(t *testing.T) {
	const thread = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread | cloneSysVSem
	for _, tc := range []struct {
		name  string
		flags uint64
		want  unix.Errno
	}{
		{"thread without sighand", cloneVM | cloneThread, unix.EINVAL},
		{"sighand without vm", cloneSighand, unix.EINVAL},
		{"newns with fs", cloneNewNS | cloneFS, unix.EINVAL},
		{"newuser with fs", cloneNewUser | cloneFS, unix.EINVAL},
		{"thread with newpid", thread | cloneNewPID, unix.EINVAL},
		{"thread with newuser", cloneVM | cloneSighand | cloneThread | cloneNewUser, unix.EINVAL},
		{"pidfd with detached", clonePidfd | cloneDetached | uint64(unix.SIGCHLD), unix.EINVAL},
		{"pidfd with parent_settid", clonePidfd | cloneParentSetTID | uint64(unix.SIGCHLD), unix.EINVAL},
		{"fork", uint64(unix.SIGCHLD), unix.ENOSYS},
		{"vfork", cloneVM | cloneVfork | uint64(unix.SIGCHLD), unix.ENOSYS},
		{"vm without thread", cloneVM | cloneSighand | cloneFS | cloneFiles, unix.ENOSYS},
		{"thread without files", cloneVM | cloneSighand | cloneThread | cloneFS, unix.ENOSYS},
		{"thread with newnet", thread | cloneNewNet, unix.ENOSYS},
		{"thread with pidfd", thread | clonePidfd, unix.ENOSYS},
	} {
		if tc.want == unix.EINVAL {
			if e := cloneRaw(unix.SYS_CLONE, uintptr(tc.flags), 0); e != unix.EINVAL {
				t.Errorf("%s: host clone gives %v, the table says EINVAL", tc.name, e)
			}
		}
		for _, ac := range abiCases {
			e := newSysEnv(t, ac.mode, ac.abi)
			if r := e.sys("clone", tc.flags, 0, 0, 0, 0); r != errnoRet(tc.want) {
				t.Errorf("%s/%s: clone(%#x) = %d, want %d", ac.name, tc.name, tc.flags, r, errnoRet(tc.want))
			}
		}
	}
}

// TestClone3Args: clone3's structure checks, in the kernel's order and
// with its errors (E2BIG for sizes and unknown trailing bytes, EINVAL for
// the rest), each checked against the host kernel.
func TestClone3Args(t *testing.T) {
	const thread = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread
	type args struct{ flags, exitSignal, stack, stackSize, setTID, setTIDSize uint64 }
	for _, tc := range []struct {
		name  string
		a     args
		size  uint64
		extra byte // a non-zero byte at offset 88 (beyond what the kernel knows)
		want  unix.Errno
	}{
		{"too small", args{flags: thread}, 56, 0, unix.EINVAL},
		{"too big", args{flags: thread}, 8192, 0, unix.E2BIG},
		{"unknown trailing byte", args{flags: thread}, 96, 1, unix.E2BIG},
		{"csignal bits", args{flags: thread | uint64(unix.SIGCHLD)}, 88, 0, unix.EINVAL},
		{"unknown flag", args{flags: thread | 1<<40}, 88, 0, unix.EINVAL},
		{"exit signal with thread", args{flags: thread, exitSignal: uint64(unix.SIGCHLD)}, 88, 0, unix.EINVAL},
		{"bad exit signal", args{flags: 0, exitSignal: 65}, 88, 0, unix.EINVAL},
		{"stack without size", args{flags: thread, stack: 0x10000}, 88, 0, unix.EINVAL},
		{"size without stack", args{flags: thread, stackSize: 0x10000}, 88, 0, unix.EINVAL},
		{"set_tid_size too big", args{flags: thread, setTID: 0x10000, setTIDSize: 33}, 88, 0, unix.EINVAL},
		{"set_tid without size", args{flags: thread, setTID: 0x10000}, 88, 0, unix.EINVAL},
		{"sighand and clear_sighand", args{flags: thread | cloneClearSighand}, 88, 0, unix.EINVAL},
		{"thread without sighand", args{flags: cloneVM | cloneThread}, 88, 0, unix.EINVAL},
		{"fork", args{exitSignal: uint64(unix.SIGCHLD)}, 64, 0, unix.ENOSYS},
	} {
		build := func(b []byte) {
			clear(b)
			w := []uint64{tc.a.flags, 0, 0, 0, tc.a.exitSignal, tc.a.stack, tc.a.stackSize, 0, tc.a.setTID, tc.a.setTIDSize, 0}
			for i, v := range w {
				if 8*i+8 <= len(b) {
					le.PutUint64(b[8*i:], v)
				}
			}
			if len(b) > 88 {
				b[88] = tc.extra
			}
		}
		if tc.want != unix.ENOSYS {
			hb := make([]byte, 8192)
			build(hb[:tc.size])
			p := uintptr(unsafePointer(hb))
			if e := cloneRaw(unix.SYS_CLONE3, p, uintptr(tc.size)); e != tc.want {
				t.Errorf("%s: host clone3 gives %v, the table says %v", tc.name, e, tc.want)
			}
			runtime.KeepAlive(hb)
		}
		for _, ac := range abiCases {
			e := newSysEnv(t, ac.mode, ac.abi)
			n := min(tc.size, memSize)
			build(e.view(e.mem, n))
			if r := e.sys("clone3", e.mem, tc.size); r != errnoRet(tc.want) {
				t.Errorf("%s/%s: clone3 = %d, want %d", ac.name, tc.name, r, errnoRet(tc.want))
			}
		}
	}
}

// TestTaskDirListsGuestThreads: /proc/self/task lists the guest's threads
// (the main one, whose tid is the pid, and a registered thread running on
// this test's OS thread), not the Go runtime's other threads.
func TestTaskDirListsGuestThreads(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	me := unix.Gettid()
	if me != e.k.pid {
		th, err := e.k.NewThread(me, e.k.Main())
		if err != nil {
			t.Fatal(err)
		}
		defer th.Exit()
	}
	atFDCWD := int64(unix.AT_FDCWD)
	fd := e.sys("openat", uint64(atFDCWD), e.str(e.mem, "/proc/self/task"), unix.O_RDONLY|unix.O_DIRECTORY)
	if fd < 0 {
		t.Fatalf("openat = %d", fd)
	}
	var names []string
	buf := e.mem + 4096
	for {
		n := e.sys("getdents64", uint64(fd), buf, 4096)
		if n < 0 {
			t.Fatalf("getdents64 = %d", n)
		}
		if n == 0 {
			break
		}
		b := e.view(buf, uint64(n))
		for r := 0; r < len(b); {
			rl := int(le.Uint16(b[r+offDirent64Reclen:]))
			name := b[r+direntNameOff : r+rl]
			names = append(names, string(name[:indexByte(name, 0)]))
			r += rl
		}
	}
	e.sys("close", uint64(fd))
	want := map[string]bool{".": true, "..": true, strconv.Itoa(e.k.pid): true, strconv.Itoa(me): true}
	if len(names) != len(want) {
		t.Fatalf("/proc/self/task lists %v, want exactly %v", names, want)
	}
	for _, n := range names {
		if !want[n] {
			t.Fatalf("/proc/self/task lists %v, want exactly %v", names, want)
		}
	}
}

// TestMemFDWhileJudging: a mem descriptor of this process that the table
// does not know yet (another thread's open made it and has not judged it)
// is judged by the transfer itself while such a call is in flight, and
// only then.
func TestMemFDWhileJudging(t *testing.T) {
	e := newSysEnv(t, mm.Mode64, cpu.ABIAMD64)
	fd, err := unix.Open("/proc/self/mem", unix.O_RDWR|unix.O_CLOEXEC, 0) // behind the table's back
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, ok := e.k.memFD(fd); ok {
		t.Fatalf("memFD of an untracked descriptor with no open in flight: a mem file")
	}
	done := e.k.judging()
	a, ok := e.k.memFD(fd)
	done()
	if !ok || a != memRead|memWrite {
		t.Fatalf("memFD while an open is in flight: %v, %v; want this process's mem, read-write", a, ok)
	}
	other, err := unix.Open("/proc/self/status", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(other)
	done = e.k.judging()
	_, ok = e.k.memFD(other)
	done()
	if ok {
		t.Fatalf("memFD of /proc/self/status while an open is in flight: a mem file")
	}
}
