package linux

// The sysroot: `minemu run --sysroot DIR` (MINEMU_SYSROOT), qemu-user's -L
// and QEMU_LD_PREFIX. A guest built for another distribution or
// architecture than the host's finds its dynamic linker, its libraries
// and their data under DIR, so an i386 program runs on a host without
// i386 libraries from a sysroot unpacked from Debian's libc6:i386.
//
// Every absolute path the guest opens, stats, checks with access or
// readlinks is looked up under DIR first: DIR/PATH when it exists
// (lstat: a dangling link in DIR still shadows the host's file), else PATH
// on the host, as qemu does. Relative paths and paths relative to a
// directory descriptor are the guest's business and never translated.
// Calls that create, remove or rename (mkdir, unlink, rename, ...) see the
// host's paths: a sysroot is a read-only overlay for the loader, not a
// chroot; a link inside DIR that points to an absolute path leads to the
// host's file, as it does under qemu. /proc/self/exe names the guest
// binary as given (the loader already opened it), whatever DIR holds.

import (
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// sysrootPath is the host path that serves the guest's path p.
func (k *Process) sysrootPath(p string) string {
	if k.sysroot == "" || !strings.HasPrefix(p, "/") {
		return p
	}
	q := filepath.Join(k.sysroot, p)
	var st unix.Stat_t
	if unix.Lstat(q, &st) != nil {
		return p
	}
	return q
}
