package linux

// The guest's threads in /proc: /proc/<pid>/task of this process (also
// reached as /proc/self/task, or through a descriptor) lists the host
// tasks of minemu's process, which are the guest's threads (each runs on
// a host thread whose id is its tid, syscall_clone.go) and the Go
// runtime's own threads. A listing drops the runtime's: getdents64 keeps
// only the entries that name a guest thread (and "." and ".."), as a
// native process with the same threads shows. Looking a runtime thread's
// directory up by number still works.

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/minemu/minemu/guest/linux/procfs"
)

// isOwnTaskDir reports whether the directory open at fd is this process's
// task directory.
func (k *Process) isOwnTaskDir(fd int) bool {
	var st unix.Statfs_t
	if unix.Fstatfs(fd, &st) != nil || st.Type != unix.PROC_SUPER_MAGIC {
		return false
	}
	c := strings.Split(strings.Trim(fdband.Target(fd), "/"), "/")
	n := len(c)
	return n >= 2 && c[n-1] == "task" && c[n-2] == strconv.Itoa(k.pid)
}

// notGuestTask reports whether a task directory entry names a task that
// is no guest thread.
func (k *Process) notGuestTask(name string) bool {
	if !procfs.IsDecimal(name) {
		return false
	}
	tid, err := strconv.Atoi(name)
	return err == nil && k.thread(tid) == nil
}

// filterDirents removes from the getdents64 records in b those whose name
// drop reports, moving the rest down, and returns the new length. Records
// are checked before use: a malformed one ends the walk and is kept as the
// kernel wrote it.
func filterDirents(b []byte, drop func(name string) bool) int {
	w := 0
	for r := 0; r < len(b); {
		if len(b)-r < direntNameOff {
			w += copy(b[w:], b[r:])
			break
		}
		rl := int(le.Uint16(b[r+offDirent64Reclen:]))
		if rl < direntNameOff || rl > len(b)-r {
			w += copy(b[w:], b[r:])
			break
		}
		name := b[r+direntNameOff : r+rl]
		if i := indexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if !drop(string(name)) {
			w += copy(b[w:], b[r:r+rl])
		}
		r += rl
	}
	return w
}
