package linux

// The program's own /proc files: cmdline, environ, auxv and comm as the
// guest expects them.
//
// minemu's process is the guest's, so the kernel answers /proc/self with
// minemu's: cmdline would read "minemu run ... GUEST ARGS", auxv would be
// the vector the host kernel gave minemu, comm and the Name of status
// would say "minemu". The guest sees instead what the kernel records at
// execve (mm->arg_start, arg_end, env_start, env_end, mm->saved_auxv,
// the task's comm):
//
//   - cmdline, environ and auxv of a task of this process (judged as the
//     memory files are, procfs.go: a procfs file of that name in a
//     numbered task directory whose mem reads the probe) are replaced
//     before the open
//     returns by a memfd with the guest's content, reopened with the
//     guest's access mode and status flags at the guest's number, like a
//     maps file. cmdline is read from guest memory when the file is
//     opened, as the kernel's get_mm_cmdline reads the process's: the
//     argv strings, or, when the guest overwrote the NUL that ends them
//     (setproctitle), up to the first NUL of the argument and environment
//     area. environ is the environment area as the guest's memory holds
//     it now (environ_read). auxv is the vector the loader wrote, in the
//     guest's words, AT_NULL last.
//   - comm is the host's: SetHostComm gives every thread of minemu the
//     name the kernel gives a new program (the executable's basename, 15
//     bytes at most) before the guest starts, so /proc/self/comm,
//     /proc/thread-self/comm and the Name line of /proc/self/status and
//     of stat agree with a native run; threads created later inherit it.
//     PR_SET_NAME changes the calling thread's comm only, and the guest's
//     host thread need not be the thread group leader whose comm status
//     shows: a PR_SET_NAME of the main guest thread renames the leader
//     too (SetHostComm does both).
//
// /proc/self/exe is the guest binary (hostPath and readlinkat).

import (
	"encoding/binary"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/procfs"
	"github.com/minemu/minemu/mm"
)

// ExecImage is what the kernel records of a program at execve that procfs
// shows: where its argument and environment strings lie in guest memory
// and its auxiliary vector.
type ExecImage struct {
	// ArgStart and ArgEnd bound the argv strings (NULs included) in guest
	// memory, EnvStart and EnvEnd the envp strings: mm->arg_start,
	// arg_end, env_start, env_end.
	ArgStart, ArgEnd, EnvStart, EnvEnd uint64
	// Auxv is the auxiliary vector as key, value pairs, AT_NULL last.
	Auxv []uint64
}

// SetExecImage records the program the guest runs, after the loader built
// its stack and before the guest starts.
func (k *Process) SetExecImage(e ExecImage) {
	k.execMu.Lock()
	defer k.execMu.Unlock()
	k.exec = e
}

// selfFileNames are the files of a task directory serveSelf replaces.
var selfFileNames = map[string]bool{"cmdline": true, "environ": true, "auxv": true}

// selfFile reports which of selfFileNames host descriptor fd is for a task
// of this process ("" for none).
func (k *Process) selfFile(fd int) string {
	var fs unix.Statfs_t
	if unix.Fstatfs(fd, &fs) != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		return ""
	}
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return ""
	}
	dir, name := path.Split(strings.TrimSuffix(link, " (deleted)"))
	if !selfFileNames[name] || !procfs.IsDecimal(path.Base(dir)) {
		return ""
	}
	mfd, err := unix.Open(dir+"mem", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(mfd)
	if !k.readsProbe(mfd) {
		return ""
	}
	return name
}

// serveSelf replaces guest descriptor fd, opened with flags, by the
// guest's content when it is the cmdline, environ or auxv of this process; it does
// nothing when the file is another one, or when no program was recorded.
func (k *Process) serveSelf(fd, flags int) unix.Errno {
	if flags&unix.O_PATH != 0 {
		return 0
	}
	k.execMu.Lock()
	e := k.exec
	k.execMu.Unlock()
	if len(e.Auxv) == 0 {
		return 0
	}
	name := k.selfFile(fd)
	var out []byte
	switch name {
	case "":
		return 0
	case "cmdline":
		out = k.cmdline(e)
	case "environ":
		out = k.guestArea(e.EnvStart, e.EnvEnd)
	case "auxv":
		out = auxvBytes(e.Auxv, k.mode)
	}
	return serveContent(fd, name, flags, out)
}

// cmdline is the content of /proc/self/cmdline as get_mm_cmdline makes
// it: the argument area read from guest memory; when its last byte is no
// longer NUL, the area continued into the environment up to the first
// NUL. An unreadable area reads as empty.
func (k *Process) cmdline(e ExecImage) []byte {
	if e.ArgEnd <= e.ArgStart || e.ArgEnd-e.ArgStart > maxRWCount {
		return nil
	}
	b := make([]byte, e.ArgEnd-e.ArgStart)
	if k.copyIn(e.ArgStart, b) != 0 {
		return nil
	}
	if b[len(b)-1] == 0 {
		return b
	}
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return b[:i]
	}
	if e.EnvStart == e.ArgEnd && e.EnvEnd > e.EnvStart && e.EnvEnd-e.EnvStart <= maxRWCount {
		env := make([]byte, e.EnvEnd-e.EnvStart)
		if k.copyIn(e.EnvStart, env) == 0 {
			if i := strings.IndexByte(string(env), 0); i >= 0 {
				env = env[:i]
			}
			b = append(b, env...)
		}
	}
	return b
}

// guestArea reads guest memory [start, end) for environ, as the kernel's
// environ_read does: nothing when it cannot be read.
func (k *Process) guestArea(start, end uint64) []byte {
	if end <= start || end-start > maxRWCount {
		return nil
	}
	b := make([]byte, end-start)
	if k.copyIn(start, b) != 0 {
		return nil
	}
	return b
}

// auxvBytes encodes the auxiliary vector in the guest's words.
func auxvBytes(auxv []uint64, mode mm.Mode) []byte {
	word := 8
	if mode == mm.Mode32 {
		word = 4
	}
	out := make([]byte, len(auxv)*word)
	for i, v := range auxv {
		if word == 4 {
			binary.LittleEndian.PutUint32(out[i*4:], uint32(v))
		} else {
			binary.LittleEndian.PutUint64(out[i*8:], v)
		}
	}
	return out
}

// serveContent puts at guest descriptor fd, opened with flags, a memfd
// named name holding out: a reopen of it gives a file description of the
// guest's own access mode and status flags, at offset 0, and the guest
// keeps the number it was given.
func serveContent(fd int, name string, flags int, out []byte) unix.Errno {
	mfd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return errnoOf(err)
	}
	defer unix.Close(mfd)
	for b := out; len(b) > 0; {
		n, err := unix.Write(mfd, b)
		if err != nil {
			return errnoOf(err)
		}
		b = b[n:]
	}
	keep := unix.O_ACCMODE | unix.O_NONBLOCK | unix.O_APPEND | unix.O_NOATIME
	rfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(mfd), flags&keep|unix.O_CLOEXEC, 0)
	if err != nil {
		return errnoOf(err)
	}
	defer unix.Close(rfd)
	if err := unix.Dup3(rfd, fd, flags&unix.O_CLOEXEC); err != nil {
		return errnoOf(err)
	}
	return 0
}

// CommOf is the comm the kernel gives a program started from path: its
// basename, cut to TASK_COMM_LEN-1 (15) bytes.
func CommOf(path string) string {
	c := filepath.Base(path)
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

// SetHostComm names every thread of this process comm (/proc/self/task/
// TID/comm), so that the guest's /proc/self/comm, /proc/self/status and
// /proc/self/stat show its program's name, not minemu's. Threads created
// afterwards inherit the name of the thread that creates them.
func SetHostComm(comm string) error {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	var first error
	for _, e := range ents {
		err := os.WriteFile("/proc/self/task/"+e.Name()+"/comm", []byte(comm), 0)
		if err != nil && first == nil && !os.IsNotExist(err) {
			first = err
		}
	}
	return first
}
