package linux

// The guest's descriptor numbers and the iovec limit, which the calls of
// guest/linux/filecall and guest/linux/hostcall share through Task.

import "golang.org/x/sys/unix"

// sysIOVMax is IOV_MAX (UIO_MAXIOV).
const sysIOVMax = 1024

// The guest's descriptor numbers. The process's own RLIMIT_NOFILE is far
// above the guest's (syscall_rlimit.go), so the kernel would hand out, or
// let the guest name, numbers the guest's limit forbids; these checks are
// the guest's limit as fs/file.c and fs/fcntl.c apply it.

// fdFree is EMFILE when no number below the guest's RLIMIT_NOFILE is
// free (get_unused_fd_flags), checked before a call with side effects.
func (k *Process) fdFree() unix.Errno {
	if n := k.band.LowestFree(); n < 0 || uint64(n) >= k.nofile() {
		return unix.EMFILE
	}
	return 0
}

// newFD checks a descriptor the kernel just created for the guest: one at
// or above the guest's limit is closed again, EMFILE (the kernel gives the
// lowest free number, so none below the limit was free).
func (k *Process) newFD(fd int) unix.Errno {
	if uint64(fd) >= k.nofile() {
		unix.Close(fd)
		return unix.EMFILE
	}
	return 0
}
