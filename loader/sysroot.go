package loader

import (
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxLinks bounds the symbolic links InterpPath follows (the kernel's
// MAXSYMLINKS).
const maxLinks = 40

// InterpPath is the file that serves the interpreter path interp (a
// PT_INTERP string): the file interp names inside sysroot when sysroot is
// set and has one, else interp itself on the host, as qemu's -L looks up
// paths.
//
// Inside the sysroot, interp is resolved as in a chroot: a symbolic link
// to an absolute path is followed inside the sysroot too, because a
// sysroot unpacked from distribution packages is full of them (Debian's
// libc6-i386 holds lib/ld-linux.so.2 -> /lib32/ld-linux.so.2), and ".."
// stops at the sysroot's top.
func InterpPath(sysroot, interp string) string {
	if sysroot == "" || !strings.HasPrefix(interp, "/") {
		return interp
	}
	if p, ok := resolveInRoot(sysroot, interp); ok {
		return p
	}
	return interp
}

// resolveInRoot resolves the absolute path p inside root, following
// symbolic links with root as "/". ok is false when p does not exist
// there, passes through a file that is not a directory, or has too many
// links.
func resolveInRoot(root, p string) (string, bool) {
	links := 0
	var done string // resolved so far, relative to root, "" or "/a/b"
	rest := p
	for rest != "" {
		var name string
		name, rest, _ = strings.Cut(strings.TrimLeft(rest, "/"), "/")
		switch name {
		case "", ".":
			continue
		case "..":
			done = path.Dir("/" + done)
			if done == "/" {
				done = ""
			}
			continue
		}
		next := done + "/" + name
		host := filepath.Join(root, next)
		st, err := os.Lstat(host)
		if err != nil {
			return "", false
		}
		if st.Mode()&os.ModeSymlink == 0 {
			if rest != "" && !st.IsDir() {
				return "", false
			}
			done = next
			continue
		}
		if links++; links > maxLinks {
			return "", false
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", false
		}
		if strings.HasPrefix(target, "/") {
			done = ""
		}
		rest = target + "/" + rest
	}
	return filepath.Join(root, done), true
}
