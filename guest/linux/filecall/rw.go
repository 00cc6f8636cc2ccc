package filecall

// The transfers: read, write, their positioned and vector forms.

import (
	"github.com/minemu/minemu/guest/cpu"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/hostcall"
	"github.com/minemu/minemu/mm"
)

func Read(t Task, c *hostcall.Call) int64     { return bufferCall(t, c, unix.SYS_READ) }
func Write(t Task, c *hostcall.Call) int64    { return bufferCall(t, c, unix.SYS_WRITE) }
func Pread64(t Task, c *hostcall.Call) int64  { return bufferCall(t, c, unix.SYS_PREAD64) }
func Pwrite64(t Task, c *hostcall.Call) int64 { return bufferCall(t, c, unix.SYS_PWRITE64) }

// bufferCall runs read, write, pread64 or pwrite64: a descriptor, a guest
// buffer the host kernel reads or fills directly (prepared by Task.KernelBuf,
// so that a buffer only partly the guest's gets the kernel's short count),
// its length and, for the positioned forms, the offset (two 32-bit halves
// on i386). What read and pread64 filled is reported to the interpreter.
func bufferCall(t Task, c *hostcall.Call, nr uintptr) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	n, _, _, e := t.KernelBuf(c.A[1], c.A[2])
	if e != 0 {
		return -int64(e)
	}
	var off uint64
	positional := nr == unix.SYS_PREAD64 || nr == unix.SYS_PWRITE64
	if positional {
		off = c.A[3]
		if c.ABI == cpu.ABIi386 {
			off = c.A[4]<<32 | c.A[3]
		}
	}
	write := nr == unix.SYS_WRITE || nr == unix.SYS_PWRITE64
	// This process's memory: only the guest's part of it.
	mem, pos, n, e := t.MemCount(fd, write, positional, off, n)
	if e != 0 {
		t.ReleaseBuf()
		return -int64(e)
	}
	r, e := t.BlockingCall(nr, uintptr(fd), uintptr(c.A[1]), uintptr(n), uintptr(off), 0, 0)
	t.ReleaseBuf()
	if !write {
		return wroteRet(t, c.A[1], hostRet(r, e))
	}
	if mem && e == 0 {
		t.Wrote(pos, uint64(r))
	}
	return hostRet(r, e)
}

func Readv(t Task, c *hostcall.Call) int64  { return iovecCall(t, c, unix.SYS_READV) }
func Writev(t Task, c *hostcall.Call) int64 { return iovecCall(t, c, unix.SYS_WRITEV) }

// iovecCall runs readv or writev. The guest's iovec array is checked as a
// whole and copied (i386 entries are two 32-bit words), every length and
// buffer is checked as the kernel's import_iovec does (a negative length is
// EINVAL, a buffer past the user address space EFAULT, before anything is
// transferred), and the host gets a translated array. The kernel stops at
// the first buffer that faults, so the array ends with the first buffer
// that is not wholly the guest's, prepared by Task.KernelBuf.
func iovecCall(t Task, c *hostcall.Call, nr uintptr) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	cnt := c.A[2] // unsigned long vlen
	if cnt > hostcall.IOVMax {
		return -int64(unix.EINVAL)
	}
	esz := uint64(sizeofIovec(c.ABI))
	arr := t.Scratch(int(cnt * esz))
	if e := t.CopyIn(c.A[1], arr); e != 0 {
		return -int64(e)
	}
	v := t.IOVScratch()[:0]
	for raw := arr; len(raw) > 0; raw = raw[esz:] {
		var iov cIovec
		iov.decode(c.ABI, raw)
		v = append(v, iov.Base, iov.Len)
	}
	for i := 0; i < len(v); i += 2 {
		if n := v[i+1]; c.ABI == cpu.ABIi386 && int32(n) < 0 || int64(n) < 0 {
			return -int64(unix.EINVAL)
		}
	}
	for i := 0; i < len(v) && t.Mode() == mm.Mode64; i += 2 {
		if end := v[i] + v[i+1]; end < v[i] || end > uint64(mm.UserLimit) {
			return -int64(unix.EFAULT) // access_ok; a 32-bit guest's sums never fail it
		}
	}
	before := uint64(0) // bytes in the buffers before v[i]
	for i := 0; i < len(v); i += 2 {
		if v[i+1] == 0 {
			continue
		}
		n, partial, _, e := t.KernelBuf(v[i], v[i+1])
		if e != 0 {
			if before == 0 {
				return -int64(e)
			}
			v = v[:i] // the kernel copies the buffers before it, then faults
			break
		}
		if partial {
			v[i+1] = n
			v = v[:i+2] // the kernel faults in it
			break
		}
		before += v[i+1]
	}
	mem, pos, v, e := t.MemIovecs(fd, nr == unix.SYS_WRITEV, v)
	if e != 0 {
		t.ReleaseBuf()
		return -int64(e)
	}
	r, e := iovecBlocking(t, nr, fd, v)
	t.ReleaseBuf()
	if mem && nr == unix.SYS_WRITEV && e == 0 {
		t.Wrote(pos, uint64(r))
	}
	if nr == unix.SYS_READV && e == 0 {
		// The kernel filled the buffers in order, r bytes in all.
		left := uint64(r)
		for i := 0; i+1 < len(v) && left > 0; i += 2 {
			n := min(v[i+1], left)
			t.Wrote(v[i], n)
			left -= n
		}
	}
	return hostRet(r, e)
}
