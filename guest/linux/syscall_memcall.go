package linux

// The system calls of guest/linux/memcall: the Task there is hostTask
// (syscall_hostcall.go) with the address space and the guest's limits
// (syscall_rlimit.go).

import (
	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
	"github.com/minemu/minemu/guest/linux/memcall"
	"github.com/minemu/minemu/mm"
)

var _ memcall.Task = (*hostTask)(nil)

// sysMemcall runs the memcall handler of the call's entry.
func sysMemcall(k *Process, s *sysCall) int64 {
	e := entryOf(s.abi, s.nr)
	h := &s.t.host
	h.k, h.t = k, s.t
	h.call = hostcall.Call{ABI: s.abi, A: s.a}
	r := e.mfn(h, &h.call)
	h.ReleaseBuf()
	return r
}

func (h *hostTask) Space() *mm.GuestSpace  { return h.k.space }
func (h *hostTask) OwnThread(tid int) bool { return h.k.ownThread(tid) }
func (h *hostTask) Limit(res int) unix.Rlimit {
	return h.k.limit(res)
}

func (h *hostTask) UserRange(addr, n uint64) (mm.AddrRange, unix.Errno) {
	return h.k.userRange(addr, n)
}

func (h *hostTask) GetRlimit(res uint32) (unix.Rlimit, unix.Errno) { return h.k.getRlimit(res) }
func (h *hostTask) SetRlimit(res uint32, rl unix.Rlimit) unix.Errno {
	return h.k.setRlimit(res, rl)
}

func (h *hostTask) OwnMemory(pid int) bool              { return h.k.ownMemory(h.t, pid) }
func (h *hostTask) OtherMinemu(pid int) bool            { return isMinemu(pid) }
func (h *hostTask) VisiblePrefix(addr, n uint64) uint64 { return h.k.visiblePrefix(addr, n) }
