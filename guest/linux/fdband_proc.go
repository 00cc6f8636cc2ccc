package linux

// minemu's descriptors in /proc: the directories that list this process's
// descriptors (/proc/<pid>/fd and fdinfo, the same under
// /proc/<pid>/task/<tid>/ for any of its threads, whatever name the guest
// reached them by: /proc/self, /proc/thread-self, /dev/fd, a relative path)
// must not show minemu's numbers, and looking one of them up must fail as
// for a closed descriptor.
//
// Listing: getdents64 on such a directory drops the entries of minemu's
// numbers from what the kernel wrote (filterFDDirents). Lookup: a path
// component that is one of minemu's numbers, inside such a directory, is
// replaced by a number no descriptor has (hideFDPath), so that the kernel
// answers every call (open, stat, readlink, access, mkdir, ...) exactly as
// it does for a closed descriptor. Whether a directory is one of them is
// asked of the kernel: it is on procfs, and its path (readlink of
// /proc/self/fd/N) ends in <pid>/fd, <pid>/fdinfo, <pid>/task/<tid>/fd or
// <pid>/task/<tid>/fdinfo with this process's pid.

import (
	"strconv"
	"strings"

	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/minemu/minemu/guest/linux/procfs"
	"golang.org/x/sys/unix"
)

// isOwnFDDir reports whether the directory open at fd lists this
// process's descriptors.
func (k *Process) isOwnFDDir(fd int) bool {
	var st unix.Statfs_t
	if unix.Fstatfs(fd, &st) != nil || st.Type != unix.PROC_SUPER_MAGIC {
		return false
	}
	return k.isOwnFDDirPath(fdband.Target(fd))
}

// isOwnFDDirPath reports whether p, a procfs path, names a descriptor
// directory of this process.
func (k *Process) isOwnFDDirPath(p string) bool {
	c := strings.Split(strings.Trim(p, "/"), "/")
	n := len(c)
	if n < 2 || (c[n-1] != "fd" && c[n-1] != "fdinfo") {
		return false
	}
	pid := strconv.Itoa(k.pid)
	if c[n-2] == pid {
		return true
	}
	return n >= 4 && c[n-3] == "task" && c[n-4] == pid && procfs.IsDecimal(c[n-2])
}

// ownedNumber reports whether the path component c names one of minemu's
// descriptors (as procfs reads it: decimal, no sign; leading zeros are
// not a descriptor name there).
func (k *Process) ownedNumber(c string) bool {
	if !procfs.IsDecimal(c) || len(c) > 10 || (len(c) > 1 && c[0] == '0') {
		return false
	}
	n, err := strconv.Atoi(c)
	return err == nil && k.band.Owns(n)
}

// hideFDPath returns p, relative to dirfd, with every component that names
// one of minemu's descriptors inside one of this process's descriptor
// directories replaced by the name of a closed descriptor of the same
// length. Paths without a component that is one of minemu's numbers (all
// but a few) are returned at once.
func (k *Process) hideFDPath(dirfd int, p string) string {
	out := p
	start := 0
	for start < len(p) {
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += start
		}
		if c := p[start:end]; k.ownedNumber(c) && k.isOwnFDDirAt(dirfd, p[:start]) {
			out = out[:start] + k.closedName(len(c)) + out[end:]
		}
		start = end + 1
	}
	return out
}

// isOwnFDDirAt reports whether dir (relative to dirfd; "" is dirfd or the
// working directory itself) is one of this process's descriptor
// directories.
func (k *Process) isOwnFDDirAt(dirfd int, dir string) bool {
	if dir == "" {
		dir = "."
	}
	fd, err := unix.Openat(dirfd, dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return k.isOwnFDDir(fd)
}

// closedName returns a descriptor number of n digits that is not open.
func (k *Process) closedName(n int) string {
	top := 1
	for i := 0; i < n; i++ {
		top *= 10
	}
	for v := top - 1; v >= top/10 && v >= 0; v-- {
		if k.band.Owns(v) {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(v), unix.F_GETFD, 0); err == unix.EBADF {
			return strconv.Itoa(v)
		}
	}
	return strings.Repeat("9", n) // every n-digit number open: cannot happen below the band
}

// direntNameOff is where a linux_dirent64 record's name begins.
const direntNameOff = offDirent64Name

// filterFDDirents removes from the getdents64 records in b the entries
// that name minemu's descriptors, moving the rest down, and returns the
// new length. Records are checked before use: a malformed one ends the
// walk and is kept as the kernel wrote it.
func (k *Process) filterFDDirents(b []byte) int {
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
		if !k.ownedNumber(string(name)) {
			w += copy(b[w:], b[r:r+rl])
		}
		r += rl
	}
	return w
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
