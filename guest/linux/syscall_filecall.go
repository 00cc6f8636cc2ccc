package linux

// The system calls of guest/linux/filecall: the Task there is hostTask
// (syscall_hostcall.go) with the hiding of minemu's descriptors in paths
// and listings (fdband_proc.go, proc_task.go).

import (
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/filecall"
	"github.com/minemu/minemu/guest/linux/hostcall"

	"github.com/rs/zerolog"
)

var _ filecall.Task = (*hostTask)(nil)

// sysFilecall runs the filecall handler of the call's entry.
func sysFilecall(k *Process, s *sysCall) int64 {
	e := entryOf(s.abi, s.nr)
	if e.name == "read" {
		if r, ok := k.sigfdRead(s); ok {
			return r
		}
	}
	h := &s.t.host
	h.k, h.t = k, s.t
	h.call = hostcall.Call{ABI: s.abi, A: s.a}
	r := e.ffn(h, &h.call)
	h.ReleaseBuf()
	return r
}

func (h *hostTask) HideFDPath(dirfd int, p string) string { return h.k.hideFDPath(dirfd, p) }
func (h *hostTask) Getdents(fd int, addr, n uint64) int64 { return h.k.getdents(fd, addr, n) }
func (h *hostTask) SysrootPath(p string) string           { return h.k.sysrootPath(p) }

func (h *hostTask) Judging() func()                    { return h.k.judging() }
func (h *hostTask) TrackOpen(fd, flags int) unix.Errno { return h.k.trackOpen(fd, flags) }
func (h *hostTask) TrackDup(oldfd, newfd int)          { h.k.trackDup(oldfd, newfd) }
func (h *hostTask) TrackClose(fd int)                  { h.k.trackClose(fd) }
func (h *hostTask) Log() *zerolog.Logger               { return &h.k.log }

func (h *hostTask) BlockingCall(nr uintptr, a0, a1, a2, a3, a4, a5 uintptr) (uintptr, unix.Errno) {
	return h.t.blockingCall(nr, a0, a1, a2, a3, a4, a5)
}

func (h *hostTask) MemCount(fd int, write, positional bool, off, n uint64) (bool, uint64, uint64, unix.Errno) {
	a, mem := h.k.memFD(fd)
	if !mem {
		return false, 0, n, 0
	}
	pos, n, e := h.k.memCount(fd, a, write, positional, off, n)
	return true, pos, n, e
}

func (h *hostTask) MemIovecs(fd int, write bool, v []uint64) (bool, uint64, []uint64, unix.Errno) {
	a, mem := h.k.memFD(fd)
	if !mem {
		return false, 0, v, 0
	}
	pos, v, e := h.k.memIovecs(fd, a, write, v)
	return true, pos, v, e
}

func (h *hostTask) CheckWrite(addr, n uint64) unix.Errno {
	_, e := h.k.checkUser(addr, n, unix.PROT_WRITE)
	return e
}

func (h *hostTask) SelfExe(p string) (string, bool) {
	k := h.k
	if k.exePath != "" && k.isSelfExe(p) {
		return k.exePath, true
	}
	return "", false
}

// getdents runs getdents64 into the guest buffer at addr, n bytes of it
// prepared by kernelBuf. A listing of one of the process's fd or fdinfo
// directories loses minemu's band entries, one of its task directory the
// Go runtime's threads; a chunk holding nothing else is replaced by the
// next one.
func (k *Process) getdents(fd int, addr, n uint64) int64 {
	var drop func(string) bool
	if k.isOwnFDDir(fd) {
		drop = k.ownedNumber
	} else if k.isOwnTaskDir(fd) {
		drop = k.notGuestTask // the Go runtime's threads (proc_task.go)
	}
	for {
		r, _, e := unix.Syscall(unix.SYS_GETDENTS64, uintptr(fd), uintptr(addr), uintptr(n))
		ret := k.wroteRet(addr, hostRet(r, e))
		if ret <= 0 || drop == nil {
			return ret
		}
		buf, e := k.checkUser(addr, uint64(ret), unix.PROT_READ|unix.PROT_WRITE)
		if e != 0 {
			return ret
		}
		if m := filterDirents(userView(buf), drop); m > 0 {
			return int64(m)
		}
	}
}
