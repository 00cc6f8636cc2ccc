package memcall

// process_vm_readv and process_vm_writev: the guest's buffers on one side,
// another task's memory on the other, which when it is this process's own
// is only the guest's part of it.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
)

// maxRWCount is the kernel's MAX_RW_COUNT (INT_MAX & PAGE_MASK): the most
// a single transfer moves.
const maxRWCount = 0x7ffff000

func ProcessVMReadv(t Task, c *hostcall.Call) int64  { return processVM(t, c, false) }
func ProcessVMWritev(t Task, c *hostcall.Call) int64 { return processVM(t, c, true) }

// processVM runs process_vm_readv or process_vm_writev(pid, lvec, liovcnt,
// rvec, riovcnt, flags). The local buffers are the guest's (checked like
// readv's); the remote ones are addresses in pid's memory, passed through
// unless pid's memory is this process's, where they are clipped to guest
// memory: the kernel stops at the first remote page it cannot pin and
// returns what it copied, or EFAULT when that is nothing.
func processVM(t Task, c *hostcall.Call, write bool) int64 {
	if c.A[5] != 0 {
		return -int64(unix.EINVAL)
	}
	local, total, e := readIovecs(t, c.ABI, c.A[1], c.A[2], true)
	if e != 0 {
		return -int64(e)
	}
	if total == 0 {
		return 0
	}
	remote, _, e := readIovecs(t, c.ABI, c.A[3], c.A[4], false)
	if e != 0 {
		return -int64(e)
	}
	pid := c.Int32(0)
	own := t.OwnMemory(pid)
	if !own && t.OtherMinemu(pid) {
		return -int64(unix.EPERM)
	}
	cut := false
	if own {
		remote, cut = clipRemote(t, remote, total)
	}
	nr := uintptr(unix.SYS_PROCESS_VM_READV)
	if write {
		nr = unix.SYS_PROCESS_VM_WRITEV
	}
	r, e := hostProcessVMCall(nr, pid, local, remote)
	if e != 0 {
		return -int64(e)
	}
	if cut && r == 0 {
		return -int64(unix.EFAULT)
	}
	switch {
	case !write:
		wroteIovecs(t, local, uint64(r))
	case own:
		wroteIovecs(t, remote, uint64(r))
	}
	return int64(r)
}

// readIovecs reads and checks a guest iovec array of cnt entries at addr
// into base, length pairs, as the kernel's import_iovec does: more than
// IOV_MAX entries or a negative length is EINVAL, an unreadable array
// EFAULT, the total is capped at MAX_RW_COUNT by shortening the lengths.
// Local buffers (the guest's own) must be guest-visible (EFAULT).
func readIovecs(t Task, abi cpu.ABI, addr, cnt uint64, localBufs bool) ([]uint64, uint64, unix.Errno) {
	if cnt > hostcall.IOVMax {
		return nil, 0, unix.EINVAL
	}
	esz := uint64(sizeofIovec(abi))
	arr := make([]byte, cnt*esz)
	if e := t.CopyIn(addr, arr); e != 0 {
		return nil, 0, e
	}
	v := make([]uint64, 0, 2*cnt)
	var total uint64
	for raw := arr; len(raw) > 0; raw = raw[esz:] {
		var iov cIovec
		iov.decode(abi, raw)
		base, n := iov.Base, iov.Len
		if abi == cpu.ABIi386 && int32(n) < 0 || int64(n) < 0 {
			return nil, 0, unix.EINVAL
		}
		if localBufs {
			n = min(n, maxRWCount-total)
			total += n
		}
		v = append(v, base, n)
	}
	if localBufs {
		for i := 0; i < len(v); i += 2 {
			if _, e := t.PassPtr(v[i], v[i+1]); e != 0 {
				return nil, 0, e
			}
		}
	}
	return v, total, 0
}

// clipRemote cuts remote iovec pairs of a process_vm call on this
// process's memory at the first byte, within the total the local side can
// take, that is not guest memory; cut reports whether it did.
func clipRemote(t Task, remote []uint64, total uint64) (out []uint64, cut bool) {
	out = make([]uint64, 0, len(remote))
	for i := 0; i+1 < len(remote) && total > 0; i += 2 {
		base, n := remote[i], remote[i+1]
		m := min(n, total)
		if v := t.VisiblePrefix(base, m); v < m {
			if v > 0 {
				out = append(out, base, v)
			}
			return out, true
		}
		out = append(out, base, n)
		total -= m
	}
	return out, false
}

// wroteIovecs reports the first n bytes of iovec pairs v as written.
func wroteIovecs(t Task, v []uint64, n uint64) {
	for i := 0; i+1 < len(v) && n > 0; i += 2 {
		m := min(v[i+1], n)
		t.Wrote(v[i], m)
		n -= m
	}
}
