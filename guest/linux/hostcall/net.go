package hostcall

// Sockets: the socket family of calls, i386's socketcall multiplexer, and
// the translation of what differs between the ABIs.
//
// Addresses (struct sockaddr and its families) have one layout in both
// ABIs. The kernel reads the ones the guest gives (bind, connect, sendto,
// sendmsg) from guest memory, checked first; the ones it returns (accept,
// getsockname, getpeername, recvfrom) go to the thread's scratch memory
// and are copied out as the kernel's move_addr_to_user does, truncated to
// the guest's length, with the full length reported.
//
// struct msghdr is rebuilt in the host's layout for every sendmsg and
// recvmsg, in both ABIs: every pointer in it is the guest's, checked before
// the kernel sees it (the iovec array as readv's, the name and, for
// x86-64, the control buffer, which the kernel then uses in place). For
// i386 the control messages themselves are translated: compat_cmsghdr has
// a 32-bit length and 4-byte alignment, and the timestamps a 32-bit
// timeval or timespec, so the kernel is given a control buffer of the
// host's in scratch memory and the messages are converted on the way in
// (sendmsg) and out (recvmsg), with the compat layer's truncation
// (MSG_CTRUNC, SCM_RIGHTS descriptors that do not fit closed again).
//
// Socket options are passed as they are, except the ones whose value is a
// structure with a pointer or a long for i386 (SO_RCVTIMEO, SO_SNDTIMEO:
// old_timeval32; SO_ATTACH_FILTER: compat_sock_fprog; the multicast group
// requests, packed to 4 bytes), translated; x86-64's sock_fprog has its
// filter pointer checked.

import (
	"github.com/minemu/minemu/guest/cpu"

	"time"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// sockaddrMax is sizeof(struct sockaddr_storage).
const sockaddrMax = 128

func Socket(t Task, c *Call) int64 {
	return newFDCall(t, unix.SYS_SOCKET, uintptr(int32(c.A[0])), uintptr(int32(c.A[1])), uintptr(int32(c.A[2])))
}

// Socketpair creates the pair in minemu's memory and copies the numbers
// out, as pipe2 does.
func Socketpair(t Task, c *Call) int64 {
	fds, err := unix.Socketpair(c.Int32(0), c.Int32(1), c.Int32(2))
	if err != nil {
		return errno(err)
	}
	if uint64(fds[0]) >= t.Nofile() || uint64(fds[1]) >= t.Nofile() {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return -int64(unix.EMFILE)
	}
	var b [8]byte
	le.PutUint32(b[0:], uint32(fds[0]))
	le.PutUint32(b[4:], uint32(fds[1]))
	if e := t.CopyOut(c.A[3], b[:]); e != 0 {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return -int64(e)
	}
	return 0
}

// sockaddrIn checks an address the kernel will read (move_addr_to_kernel:
// EINVAL for a length below 0 or above sockaddr_storage's).
func sockaddrIn(t Task, addr uint64, n int) (uintptr, unix.Errno) {
	if n < 0 || n > sockaddrMax {
		return 0, unix.EINVAL
	}
	if n == 0 {
		return uintptr(addr), 0
	}
	return t.PassPtr(addr, uint64(n))
}

func Bind(t Task, c *Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	a, e := sockaddrIn(t, c.A[1], c.Int32(2))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), a, uintptr(c.Int32(2)))
	return hostRet(r, e)
}

func Connect(t Task, c *Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	a, e := sockaddrIn(t, c.A[1], c.Int32(2))
	if e != 0 {
		return -int64(e)
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_CONNECT, uintptr(fd), a, uintptr(c.Int32(2)), 0, 0, 0)
	return hostRet(r, e)
}

func Listen(t Task, c *Call) int64 {
	return fdCall3(t, c, unix.SYS_LISTEN, uintptr(int32(c.A[1])), 0)
}

func Shutdown(t Task, c *Call) int64 {
	return fdCall3(t, c, unix.SYS_SHUTDOWN, uintptr(int32(c.A[1])), 0)
}

// addrOut is an address the kernel returns: scratch memory for it and its
// length, set to sockaddr_storage's size before the call.
type addrOut struct {
	buf []byte // sockaddrMax bytes, then the 4-byte length
}

func (a *addrOut) init(t Task) {
	a.buf = t.Scratch(sockaddrMax + 4)
	le.PutUint32(a.buf[sockaddrMax:], sockaddrMax)
}

func (a *addrOut) addr() uintptr { return goAddr(a.buf) }
func (a *addrOut) lenp() uintptr { return goAddr(a.buf[sockaddrMax:]) }

// moveAddrOut is the kernel's move_addr_to_user: the guest's length at
// lenAddr is read (EINVAL when negative), min(it, klen) bytes of the
// address written to addr, and klen to lenAddr.
func moveAddrOut(t Task, a *addrOut, addr, lenAddr uint64) unix.Errno {
	klen := int(le.Uint32(a.buf[sockaddrMax:]))
	var b [4]byte
	if e := t.CopyIn(lenAddr, b[:]); e != 0 {
		return e
	}
	ulen := int(int32(le.Uint32(b[:])))
	if ulen < 0 {
		return unix.EINVAL
	}
	if n := min(ulen, klen, sockaddrMax); n > 0 {
		if e := t.CopyOut(addr, a.buf[:n]); e != 0 {
			return e
		}
	}
	le.PutUint32(b[:], uint32(klen))
	return t.CopyOut(lenAddr, b[:])
}

func Accept(t Task, c *Call) int64  { return accept4(t, c, 0) }
func Accept4(t Task, c *Call) int64 { return accept4(t, c, int(int32(c.A[3]))) }

// accept4 takes the number first (EMFILE without taking a connection when
// the guest's limit leaves none free, as get_unused_fd_flags), then the
// connection; a fault writing the address closes it again, as the kernel's
// do_accept drops the file.
func accept4(t Task, c *Call, flags int) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	if e := t.FDFree(); e != 0 {
		return -int64(e)
	}
	var a addrOut
	var pa, pl uintptr
	if c.A[1] != 0 {
		a.init(t)
		pa, pl = a.addr(), a.lenp()
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_ACCEPT4, uintptr(fd), pa, pl, uintptr(flags), 0, 0)
	if e != 0 {
		return -int64(e)
	}
	nfd := int(r)
	if e := t.NewFD(nfd); e != 0 {
		return -int64(e)
	}
	if c.A[1] != 0 {
		if e := moveAddrOut(t, &a, c.A[1], c.A[2]); e != 0 {
			unix.Close(nfd)
			return -int64(e)
		}
	}
	return int64(nfd)
}

func Getsockname(t Task, c *Call) int64 { return sockName(t, c, unix.SYS_GETSOCKNAME) }
func Getpeername(t Task, c *Call) int64 { return sockName(t, c, unix.SYS_GETPEERNAME) }

func sockName(t Task, c *Call, nr uintptr) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	var a addrOut
	a.init(t)
	if _, _, e := unix.Syscall(nr, uintptr(fd), a.addr(), a.lenp()); e != 0 {
		return -int64(e)
	}
	return -int64(moveAddrOut(t, &a, c.A[1], c.A[2]))
}

func Sendto(t Task, c *Call) int64 {
	return sendto(t, c, c.A[1], c.A[2], c.A[3], c.A[4], c.Int32(5))
}

// Send is socketcall's send(fd, buf, len, flags).
func Send(t Task, c *Call) int64 { return sendto(t, c, c.A[1], c.A[2], c.A[3], 0, 0) }

// sendto runs sendto: the data straight from the guest's buffer (prepared
// by Task.KernelBuf, as write's), the address checked.
func sendto(t Task, c *Call, buf, n, flags, addr uint64, alen int) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	var pa uintptr
	if addr != 0 {
		if pa, e = sockaddrIn(t, addr, alen); e != 0 {
			return -int64(e)
		}
	} else {
		alen = 0
	}
	passed, _, _, e := t.KernelBuf(buf, n)
	if e != 0 {
		return -int64(e)
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_SENDTO, uintptr(fd), uintptr(buf), uintptr(passed), uintptr(uint32(flags)), pa, uintptr(alen))
	t.ReleaseBuf()
	return hostRet(r, e)
}

func Recvfrom(t Task, c *Call) int64 {
	return recvfrom(t, c, c.A[1], c.A[2], c.A[3], c.A[4], c.A[5])
}

// Recv is socketcall's recv(fd, buf, len, flags).
func Recv(t Task, c *Call) int64 { return recvfrom(t, c, c.A[1], c.A[2], c.A[3], 0, 0) }

// recvfrom runs recvfrom: the data straight into the guest's buffer
// (prepared by Task.KernelBuf, as read's), the sender's address through
// scratch memory, written after the data as the kernel writes it.
func recvfrom(t Task, c *Call, buf, n, flags, addr, alenAddr uint64) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	passed, _, _, e := t.KernelBuf(buf, n)
	if e != 0 {
		return -int64(e)
	}
	var a addrOut
	var pa, pl uintptr
	if addr != 0 {
		a.init(t)
		pa, pl = a.addr(), a.lenp()
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_RECVFROM, uintptr(fd), uintptr(buf), uintptr(passed), uintptr(uint32(flags)), pa, pl)
	t.ReleaseBuf()
	if e != 0 {
		return -int64(e)
	}
	t.Wrote(buf, uint64(r))
	if addr != 0 {
		if e := moveAddrOut(t, &a, addr, alenAddr); e != 0 {
			return -int64(e)
		}
	}
	return int64(r)
}

// Socket options.

// Option names whose value minemu translates for i386
// (asm-generic/socket.h, linux/in.h).
const (
	soRcvtimeoOld         = 20
	soSndtimeoOld         = 21
	soAttachFilter        = 26
	soAttachReuseportCBPF = 51
	mcastJoinGroup        = 42
	mcastBlockSource      = 43
	mcastUnblockSource    = 44
	mcastLeaveGroup       = 45
	mcastJoinSourceGroup  = 46
	mcastLeaveSourceGroup = 47
	mcastMsfilter         = 48
	sizeofSockFilter      = 8
	bpfMaxInsns           = 4096
)

// isIPLevel reports whether level is SOL_IP or SOL_IPV6, where the
// multicast group requests live.
func isIPLevel(level int) bool { return level == unix.SOL_IP || level == unix.SOL_IPV6 }

// Setsockopt is setsockopt(fd, level, name, val, len).
func Setsockopt(t Task, c *Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	level, name, val, n := c.Int32(1), c.Int32(2), c.A[3], c.Int32(4)
	if n < 0 {
		return -int64(unix.EINVAL)
	}
	hv, hn, e := sockoptIn(t, c, level, name, val, n)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), hv, uintptr(hn), 0)
	return hostRet(r, e)
}

// sockoptIn prepares a setsockopt value for the host: the guest's buffer
// itself, checked, or a translation in scratch memory.
func sockoptIn(t Task, c *Call, level, name int, val uint64, n int) (uintptr, int, unix.Errno) {
	i386 := c.ABI == cpu.ABIi386
	switch {
	case level == unix.SOL_SOCKET && (name == soRcvtimeoOld || name == soSndtimeoOld) && i386:
		if n < sizeofTimevalI386 {
			return 0, 0, unix.EINVAL
		}
		var b [sizeofTimevalI386]byte
		if e := t.CopyIn(val, b[:]); e != 0 {
			return 0, 0, e
		}
		var tv cTimeval
		tv.decodeI386(b[:])
		h := t.Scratch(sizeofTimevalAMD64)
		return goAddr(tv.encodeAMD64(h)), sizeofTimevalAMD64, 0
	case level == unix.SOL_SOCKET && (name == soAttachFilter || name == soAttachReuseportCBPF):
		sz := sizeofSockFprog(c.ABI)
		if n != sz && i386 || n < sz {
			return 0, 0, unix.EINVAL
		}
		var b [sizeofSockFprogMax]byte
		if e := t.CopyIn(val, b[:sz]); e != 0 {
			return 0, 0, e
		}
		var f cSockFprog
		f.decode(c.ABI, b[:sz])
		if f.Len == 0 || f.Len > bpfMaxInsns {
			return 0, 0, unix.EINVAL
		}
		// The kernel copies the program during the call.
		if _, e := t.PassPtr(f.Filter, uint64(f.Len)*sizeofSockFilter); e != 0 {
			return 0, 0, e
		}
		h := t.Scratch(sizeofSockFprogAMD64)
		return goAddr(f.encodeAMD64(h)), sizeofSockFprogAMD64, 0
	case i386 && isIPLevel(level) && (name == mcastJoinGroup || name == mcastLeaveGroup):
		if n < sizeofGroupReqI386 {
			return 0, 0, unix.EINVAL
		}
		var b [sizeofGroupReqI386]byte
		if e := t.CopyIn(val, b[:]); e != 0 {
			return 0, 0, e
		}
		var g cGroupReq
		g.decodeI386(b[:])
		h := t.Scratch(sizeofGroupReqAMD64)
		return goAddr(g.encodeAMD64(h)), sizeofGroupReqAMD64, 0
	case i386 && isIPLevel(level) && name >= mcastBlockSource && name <= mcastLeaveSourceGroup:
		if n < sizeofGroupSourceReqI386 {
			return 0, 0, unix.EINVAL
		}
		var b [sizeofGroupSourceReqI386]byte
		if e := t.CopyIn(val, b[:]); e != 0 {
			return 0, 0, e
		}
		var g cGroupSourceReq
		g.decodeI386(b[:])
		h := t.Scratch(sizeofGroupSourceReqAMD64)
		return goAddr(g.encodeAMD64(h)), sizeofGroupSourceReqAMD64, 0
	case i386 && isIPLevel(level) && name == mcastMsfilter:
		// compat_group_filter: interface, the group at 4, fmode and numsrc
		// at 132, the sources from 140; the host's from 8, 136 and 144.
		const gOff, fOff, sOff = 4, 132, 140
		if n < sOff {
			return 0, 0, unix.EINVAL
		}
		in := make([]byte, n)
		if e := t.CopyIn(val, in); e != 0 {
			return 0, 0, e
		}
		h := t.Scratch(n + 4)
		copy(h[0:4], in[0:4])
		copy(h[8:136], in[gOff:fOff])
		copy(h[136:144], in[fOff:sOff])
		copy(h[144:], in[sOff:])
		return goAddr(h), n + 4, 0
	}
	p, e := t.PassPtr(val, uint64(n))
	return p, n, e
}

// Getsockopt is getsockopt(fd, level, name, val, lenp): the value goes
// to the guest's buffer directly, except i386's timeouts, which are
// translated to old_timeval32 and truncated to the guest's length as
// sk_getsockopt truncates.
func Getsockopt(t Task, c *Call) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	level, name, val, lenAddr := c.Int32(1), c.Int32(2), c.A[3], c.A[4]
	var lb [4]byte
	if e := t.CopyIn(lenAddr, lb[:]); e != 0 {
		return -int64(e)
	}
	ulen := int(int32(le.Uint32(lb[:])))
	if c.ABI == cpu.ABIi386 && level == unix.SOL_SOCKET && (name == soRcvtimeoOld || name == soSndtimeoOld) {
		if ulen < 0 {
			return -int64(unix.EINVAL)
		}
		h := t.Scratch(sizeofTimevalAMD64 + 4)
		le.PutUint32(h[sizeofTimevalAMD64:], sizeofTimevalAMD64)
		if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), goAddr(h), goAddr(h[sizeofTimevalAMD64:]), 0); e != 0 {
			return -int64(e)
		}
		var tv cTimeval
		tv.decodeAMD64(h)
		var b [sizeofTimevalI386]byte
		tv.encodeI386(b[:])
		n := min(ulen, sizeofTimevalI386)
		if e := t.CopyOut(val, b[:n]); e != 0 {
			return -int64(e)
		}
		le.PutUint32(lb[:], uint32(n))
		return -int64(t.CopyOut(lenAddr, lb[:]))
	}
	lp, e := t.PassPtr(lenAddr, 4)
	if e != 0 {
		return -int64(e)
	}
	vp, e := t.PassPtr(val, uint64(max(ulen, 0)))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), vp, lp, 0)
	if e == 0 {
		t.Wrote(val, uint64(max(ulen, 0)))
		t.Wrote(lenAddr, 4)
	}
	return hostRet(r, e)
}

// Messages.

// msgCompat is MSG_CMSG_COMPAT, which the compat entry points add to the
// flags (the guest's own bit is ignored).
const msgCompat = 0x80000000

// Control-message kinds translated for i386 (asm-generic/socket.h).
const (
	soTimestampOld   = 29
	soTimestampnsOld = 35
	soTimestampOld3  = 37 // SO_TIMESTAMPING_OLD: three timespecs
)

// hostMsghdr is the host's struct msghdr, with what the call needs to
// finish: the guest's msghdr and, for i386, the control buffer in the
// host's layout. The last iovec buffer's guards are the Task's until
// ReleaseBuf.
type hostMsghdr struct {
	hdr   []byte // sizeofMsghdrAMD64 bytes
	guest cMsghdr
	// ctl is the host-layout control buffer (i386); nil when the guest's
	// is used in place (x86-64) or there is none.
	ctl []byte
	// iov are the translated iovecs (base, length pairs), in
	// Task.IOVScratch.
	iov []uint64
}

// buildMsg reads the guest's msghdr at addr and builds the host's. send
// selects sendmsg's checks (the name read by the kernel, the control
// messages translated in) from recvmsg's (name and control written).
func buildMsg(t Task, c *Call, addr uint64, send bool) (*hostMsghdr, unix.Errno) {
	n := sizeofMsghdr(c.ABI)
	var b [sizeofMsghdrMax]byte
	if e := t.CopyIn(addr, b[:n]); e != 0 {
		return nil, e
	}
	m := &hostMsghdr{}
	m.guest.decode(c.ABI, b[:n])
	g := &m.guest
	namelen := int(int32(g.Namelen))
	if g.Name == 0 {
		namelen = 0
	}
	if namelen < 0 {
		return nil, unix.EINVAL
	}
	namelen = min(namelen, sockaddrMax)
	var name uintptr
	if g.Name != 0 && namelen > 0 {
		var e unix.Errno
		if name, e = t.PassPtr(g.Name, uint64(namelen)); e != 0 {
			return nil, e
		}
	}
	if g.Iovlen > IOVMax {
		return nil, unix.EMSGSIZE
	}
	iov, e := importIovecs(t, c, g.Iov, g.Iovlen)
	if e != 0 {
		return nil, e
	}
	m.iov = iov
	ctlLen := g.Controllen
	var ctl uintptr
	if c.ABI == cpu.ABIi386 {
		if ctlLen > 0 {
			if send {
				if ctlLen > 1<<20 {
					t.ReleaseBuf()
					return nil, unix.ENOBUFS
				}
				in := make([]byte, ctlLen)
				if e = t.CopyIn(g.Control, in); e == 0 {
					m.ctl, e = cmsgsIn(in)
				}
				if e != 0 {
					t.ReleaseBuf()
					return nil, e
				}
			} else {
				m.ctl = make([]byte, 2*ctlLen+64)
			}
			ctl, ctlLen = goAddr(m.ctl), uint64(len(m.ctl))
		}
	} else if ctlLen > 0 {
		if ctl, e = t.PassPtr(g.Control, ctlLen); e != 0 {
			t.ReleaseBuf()
			return nil, e
		}
	}
	m.hdr = make([]byte, sizeofMsghdrAMD64)
	h := cMsghdr{Name: uint64(name), Namelen: uint32(namelen), Iov: uint64(goAddr64(iov)), Iovlen: uint64(len(iov) / 2),
		Control: uint64(ctl), Controllen: ctlLen, Flags: g.Flags}
	h.encodeAMD64(m.hdr)
	return m, 0
}

// importIovecs reads and checks a guest iovec array as the kernel's
// import_iovec does (a negative length EINVAL, in Mode64 a buffer past the
// user address space EFAULT, before anything moves) and translates it;
// the array ends with the first buffer not wholly the guest's, prepared by
// Task.KernelBuf (the kernel stops at the fault there), which the caller
// releases after the host call. The array is read through scratch memory,
// which the caller must not have in use.
func importIovecs(t Task, c *Call, addr, cnt uint64) ([]uint64, unix.Errno) {
	esz := uint64(sizeofIovec(c.ABI))
	raw := t.Scratch(int(cnt * esz))
	if e := t.CopyIn(addr, raw); e != 0 {
		return nil, e
	}
	v := t.IOVScratch()[:0]
	for ; len(raw) > 0; raw = raw[esz:] {
		var iov cIovec
		iov.decode(c.ABI, raw)
		v = append(v, iov.Base, iov.Len)
	}
	for i := 0; i < len(v); i += 2 {
		if n := v[i+1]; c.ABI == cpu.ABIi386 && int32(n) < 0 || int64(n) < 0 {
			return nil, unix.EINVAL
		}
	}
	for i := 0; i < len(v) && t.Mode() == mm.Mode64; i += 2 {
		if end := v[i] + v[i+1]; end < v[i] || end > uint64(mm.UserLimit) {
			return nil, unix.EFAULT
		}
	}
	before := uint64(0)
	for i := 0; i < len(v); i += 2 {
		if v[i+1] == 0 {
			continue
		}
		n, partial, _, e := t.KernelBuf(v[i], v[i+1])
		if e != 0 {
			if before == 0 {
				return nil, e
			}
			v = v[:i]
			break
		}
		if partial {
			v[i+1] = n
			v = v[:i+2]
			break
		}
		before += v[i+1]
	}
	return v, 0
}

// cmsgAlign4 and cmsgAlign8 are CMSG_COMPAT_ALIGN and CMSG_ALIGN.
func cmsgAlign4(n uint64) uint64 { return (n + 3) &^ 3 }
func cmsgAlign8(n uint64) uint64 { return (n + 7) &^ 7 }

// cmsgsIn translates i386 control messages (the guest's control buffer)
// into the
// host's layout, as the kernel's cmsghdr_from_user_compat_to_kern: each
// message must hold its header and lie inside the buffer (EINVAL), and a
// buffer without a message is EINVAL.
func cmsgsIn(in []byte) ([]byte, unix.Errno) {
	n := uint64(len(in))
	var out []byte
	for off := uint64(0); off+sizeofCmsghdrI386 <= n; {
		var c cCmsghdr
		c.decodeI386(in[off:])
		if c.Len < sizeofCmsghdrI386 || c.Len+off > n {
			return nil, unix.EINVAL
		}
		payload := in[off+sizeofCmsghdrI386 : off+c.Len]
		h := cCmsghdr{Len: sizeofCmsghdrAMD64 + uint64(len(payload)), Level: c.Level, Type: c.Type}
		var hb [sizeofCmsghdrAMD64]byte
		out = append(out, h.encodeAMD64(hb[:])...)
		out = append(out, payload...)
		for uint64(len(out))%8 != 0 {
			out = append(out, 0)
		}
		off += cmsgAlign4(c.Len)
	}
	if len(out) == 0 {
		return nil, unix.EINVAL
	}
	return out, 0
}

// cmsgsOut converts the host's control messages in host (the length the
// kernel reported) into i386's, at most n bytes, as the kernel's
// put_cmsg_compat and scm_detach_fds_compat write them: timestamps to
// their 32-bit forms, a message that does not fit cut (MSG_CTRUNC), and
// descriptors that do not fit, or that lie at or above the guest's
// RLIMIT_NOFILE (nofile), closed again (MSG_CTRUNC). It returns the
// messages and the flags to add.
func cmsgsOut(host []byte, n, nofile uint64) ([]byte, uint32) {
	var out []byte
	var flags uint32
	for off := uint64(0); off+sizeofCmsghdrAMD64 <= uint64(len(host)); {
		var c cCmsghdr
		c.decodeAMD64(host[off:])
		if c.Len < sizeofCmsghdrAMD64 || off+c.Len > uint64(len(host)) {
			break
		}
		payload := host[off+sizeofCmsghdrAMD64 : off+c.Len]
		off += cmsgAlign8(c.Len)
		room := n - min(n, uint64(len(out)))
		if c.Level == unix.SOL_SOCKET {
			switch c.Type {
			case soTimestampOld, soTimestampnsOld, soTimestampOld3:
				payload = compatTimes(payload)
			case unix.SCM_RIGHTS:
				fit := 0
				if room > sizeofCmsghdrI386 {
					fit = int(room-sizeofCmsghdrI386) / 4
				}
				var keep []byte
				for i := 0; i+4 <= len(payload); i += 4 {
					fd := int(int32(le.Uint32(payload[i:])))
					if i/4 < fit && uint64(fd) < nofile && len(keep) == i {
						keep = append(keep, payload[i:i+4]...)
						continue
					}
					unix.Close(fd)
					flags |= unix.MSG_CTRUNC
				}
				if len(keep) == 0 {
					continue
				}
				payload = keep
			}
		}
		if room < sizeofCmsghdrI386 {
			flags |= unix.MSG_CTRUNC
			break
		}
		cl := sizeofCmsghdrI386 + uint64(len(payload))
		if room < cl {
			flags |= unix.MSG_CTRUNC
			cl = room
		}
		h := cCmsghdr{Len: cl, Level: c.Level, Type: c.Type}
		var hb [sizeofCmsghdrI386]byte
		msg := append(h.encodeI386(hb[:]), payload...)[:cl]
		out = append(out, msg...)
		for uint64(len(out))%4 != 0 && uint64(len(out)) < n {
			out = append(out, 0)
		}
	}
	return out, flags
}

// rightsOverLimit applies the guest's RLIMIT_NOFILE to the descriptors an
// x86-64 recvmsg received in place (the host's limit is higher, for the
// band): as the kernel's scm_detach_fds stops at the first descriptor it
// cannot install, the SCM_RIGHTS message is cut before the first at or
// above the limit, the rest closed, MSG_CTRUNC set, and the control length
// ends with that message.
func rightsOverLimit(t Task, addr, n uint64) (uint64, uint32, unix.Errno) {
	ctl := make([]byte, n)
	if e := t.CopyIn(addr, ctl); e != 0 {
		return n, 0, e
	}
	for off := uint64(0); off+sizeofCmsghdrAMD64 <= n; {
		var m cCmsghdr
		m.decodeAMD64(ctl[off:])
		if m.Len < sizeofCmsghdrAMD64 || off+m.Len > n {
			break
		}
		if m.Level == unix.SOL_SOCKET && m.Type == unix.SCM_RIGHTS {
			payload := ctl[off+sizeofCmsghdrAMD64 : off+m.Len]
			cut := -1
			for i := 0; i+4 <= len(payload); i += 4 {
				fd := int(int32(le.Uint32(payload[i:])))
				if cut < 0 && uint64(fd) >= t.Nofile() {
					cut = i
				}
				if cut >= 0 {
					unix.Close(fd)
				}
			}
			if cut >= 0 {
				var b [8]byte
				le.PutUint64(b[:], sizeofCmsghdrAMD64+uint64(cut))
				if e := t.CopyOut(addr+off, b[:]); e != 0 {
					return n, 0, e
				}
				return off + cmsgAlign8(sizeofCmsghdrAMD64+uint64(cut)), unix.MSG_CTRUNC, 0
			}
		}
		off += cmsgAlign8(m.Len)
	}
	return n, 0, 0
}

// compatTimes turns the 64-bit timevals or timespecs of a timestamp
// message into 32-bit ones (the seconds truncated, as the compat layer
// does).
func compatTimes(p []byte) []byte {
	out := make([]byte, 0, len(p)/2)
	for i := 0; i+16 <= len(p); i += 16 {
		out = le.AppendUint32(out, uint32(le.Uint64(p[i:])))
		out = le.AppendUint32(out, uint32(le.Uint64(p[i+8:])))
	}
	return out
}

func Sendmsg(t Task, c *Call) int64 { return sendmsg(t, c, c.A[1], c.A[2]) }
func Recvmsg(t Task, c *Call) int64 { return recvmsg(t, c, c.A[1], c.A[2]) }

// sendmsg runs sendmsg(fd, msg, flags) for the guest's msghdr at addr.
func sendmsg(t Task, c *Call, addr, flags uint64) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	if c.ABI == cpu.ABIi386 {
		flags &^= msgCompat
	}
	m, e := buildMsg(t, c, addr, true)
	if e != 0 {
		return -int64(e)
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_SENDMSG, uintptr(fd), goAddr(m.hdr), uintptr(uint32(flags)), 0, 0, 0)
	t.ReleaseBuf()
	return hostRet(r, e)
}

// recvmsg runs recvmsg(fd, msg, flags): the data into the guest's buffers,
// then msg_namelen, the control messages (translated for i386),
// msg_controllen and msg_flags written back to the guest's msghdr.
func recvmsg(t Task, c *Call, addr, flags uint64) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	if c.ABI == cpu.ABIi386 {
		flags &^= msgCompat
	}
	m, e := buildMsg(t, c, addr, false)
	if e != 0 {
		return -int64(e)
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_RECVMSG, uintptr(fd), goAddr(m.hdr), uintptr(uint32(flags)), 0, 0, 0)
	t.ReleaseBuf()
	if e != 0 {
		return -int64(e)
	}
	left := uint64(r)
	for i := 0; i+1 < len(m.iov) && left > 0; i += 2 {
		n := min(m.iov[i+1], left)
		t.Wrote(m.iov[i], n)
		left -= n
	}
	var h cMsghdr
	h.decodeAMD64(m.hdr)
	if m.guest.Name != 0 && h.Namelen > 0 {
		t.Wrote(m.guest.Name, uint64(h.Namelen))
	}
	ctlLen, ctlFlags := h.Controllen, h.Flags
	if c.ABI == cpu.ABIi386 && m.ctl != nil {
		out, f := cmsgsOut(m.ctl[:min(h.Controllen, uint64(len(m.ctl)))], m.guest.Controllen, t.Nofile())
		if len(out) > 0 {
			if e := t.CopyOut(m.guest.Control, out); e != 0 {
				return -int64(e)
			}
		}
		ctlLen, ctlFlags = uint64(len(out)), ctlFlags|f
	} else if m.guest.Control != 0 && h.Controllen > 0 {
		t.Wrote(m.guest.Control, h.Controllen)
		n, f, e := rightsOverLimit(t, m.guest.Control, h.Controllen)
		if e != 0 {
			return -int64(e)
		}
		ctlLen, ctlFlags = n, ctlFlags|f
	}
	// The three fields the kernel writes back.
	out := m.guest
	out.Namelen, out.Controllen, out.Flags = h.Namelen, ctlLen, ctlFlags
	var b [sizeofMsghdrMax]byte
	enc := out.encode(c.ABI, b[:])
	for _, f := range msghdrOutFields(c.ABI) {
		if e := t.CopyOut(addr+f[0], enc[f[0]:f[0]+f[1]]); e != 0 {
			return -int64(e)
		}
	}
	return int64(r)
}

// msghdrOutFields are the offset and size of msg_namelen, msg_controllen
// and msg_flags in abi's msghdr.
func msghdrOutFields(abi cpu.ABI) [3][2]uint64 {
	if abi == cpu.ABIi386 {
		return [3][2]uint64{{offMsghdrI386Namelen, 4}, {offMsghdrI386Controllen, 4}, {offMsghdrI386Flags, 4}}
	}
	return [3][2]uint64{{offMsghdrAMD64Namelen, 4}, {offMsghdrAMD64Controllen, 8}, {offMsghdrAMD64Flags, 4}}
}

// mmsgLen writes a message's msg_len in the guest's mmsghdr array.
func mmsgLen(t Task, c *Call, vec uint64, i int, n uint32) unix.Errno {
	var b [4]byte
	le.PutUint32(b[:], n)
	off := offMmsghdrAMD64Len
	if c.ABI == cpu.ABIi386 {
		off = offMmsghdrI386Len
	}
	return t.CopyOut(vec+uint64(i*sizeofMmsghdr(c.ABI)+off), b[:])
}

// Sendmmsg is sendmmsg(fd, vec, vlen, flags): sendmsg for each message
// in turn, as the kernel's __sys_sendmmsg: the count sent when any was,
// else the first error.
func Sendmmsg(t Task, c *Call) int64 {
	vec, vlen, flags := c.A[1], min(uint32(c.A[2]), IOVMax), c.A[3]
	sent := 0
	for i := 0; i < int(vlen); i++ {
		r := sendmsg(t, c, vec+uint64(i*sizeofMmsghdr(c.ABI)), flags)
		if r < 0 {
			if sent > 0 {
				break
			}
			return r
		}
		if e := mmsgLen(t, c, vec, i, uint32(r)); e != 0 {
			if sent > 0 {
				break
			}
			return -int64(e)
		}
		sent++
	}
	return int64(sent)
}

func Recvmmsg(t Task, c *Call) int64   { return recvmmsg(t, c, c.ABI) }
func Recvmmsg64(t Task, c *Call) int64 { return recvmmsg(t, c, cpu.ABIAMD64) }

// msgWaitforone is MSG_WAITFORONE.
const msgWaitforone = 0x10000

// recvmmsg is recvmmsg(fd, vec, vlen, flags, timeout) as the kernel's
// __sys_recvmmsg: recvmsg for each message in turn, MSG_DONTWAIT after the
// first under MSG_WAITFORONE, the timeout checked after each message and
// its remainder written back; the count received when any was, else the
// first error.
func recvmmsg(t Task, c *Call, tabi cpu.ABI) int64 {
	vec, vlen, flags := c.A[1], min(uint32(c.A[2]), IOVMax), c.A[3]
	var deadline time.Time
	timed := c.A[4] != 0
	if timed {
		ts, e := readTimespecRaw(t, tabi, c.A[4])
		if e != 0 {
			return -int64(e)
		}
		if !timespecValid(ts) {
			return -int64(unix.EINVAL)
		}
		deadline = time.Now().Add(time.Duration(ts.Nano()))
	}
	got := 0
	var err int64
	for i := 0; i < int(vlen); i++ {
		r := recvmsg(t, c, vec+uint64(i*sizeofMmsghdr(c.ABI)), flags)
		if r < 0 {
			err = r
			break
		}
		if e := mmsgLen(t, c, vec, i, uint32(r)); e != 0 {
			err = -int64(e)
			break
		}
		got++
		if flags&msgWaitforone != 0 {
			flags |= unix.MSG_DONTWAIT
		}
		if timed && !time.Now().Before(deadline) {
			break
		}
	}
	if timed {
		rem := max(time.Until(deadline), 0)
		timeOut(t, tabi, c.A[4], int64(rem/time.Second), int64(rem%time.Second))
	}
	if got == 0 && err != 0 {
		return err
	}
	return int64(got)
}

// The i386 socketcall multiplexer.

// socketcall call numbers (linux/net.h) and how many arguments each takes.
const (
	sockcallMax = 20
)

var socketcallArgs = [sockcallMax + 1]int{0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4}

var socketcallFns = [sockcallMax + 1]Handler{
	1: Socket, 2: Bind, 3: Connect, 4: Listen, 5: Accept, 6: Getsockname,
	7: Getpeername, 8: Socketpair, 9: Send, 10: Recv, 11: Sendto, 12: Recvfrom,
	13: Shutdown, 14: Setsockopt, 15: Getsockopt, 16: Sendmsg, 17: Recvmsg,
	18: Accept4, 19: Recvmmsg, 20: Sendmmsg,
}

// Socketcall is i386's socketcall(call, args): the call's arguments,
// 32-bit words at args, are read and the call run as its own number would
// run it (EINVAL for an unknown call, EFAULT for unreadable arguments).
func Socketcall(t Task, c *Call) int64 {
	call := c.Int32(0)
	if call < 1 || call > sockcallMax {
		return -int64(unix.EINVAL)
	}
	n := socketcallArgs[call]
	var b [6 * 4]byte
	if e := t.CopyIn(c.A[1], b[:4*n]); e != 0 {
		return -int64(e)
	}
	sub := Call{ABI: c.ABI}
	for i := 0; i < n; i++ {
		sub.A[i] = uint64(le.Uint32(b[4*i:]))
	}
	return socketcallFns[call](t, &sub)
}

// Copying between descriptors.

// Sendfile is sendfile(out, in, offset, count) with x86-64's loff_t
// offset (sendfile64 for i386).
func Sendfile(t Task, c *Call) int64 { return sendfile(t, c, 8) }

// Sendfile32 is i386's sendfile: a 32-bit offset, EOVERFLOW past 2 GiB
// as do_sendfile with MAX_NON_LFS.
func Sendfile32(t Task, c *Call) int64 { return sendfile(t, c, 4) }

func sendfile(t Task, c *Call, offSize int) int64 {
	out, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	in, e := t.FD(c.Int32(1))
	if e != 0 {
		return -int64(e)
	}
	if e := notMemFD(t, out, in); e != 0 {
		return -int64(e)
	}
	count := c.A[3]
	if c.ABI == cpu.ABIi386 {
		count = uint64(uint32(count))
	}
	h := t.Scratch(8)
	var offp uintptr
	var pos int64
	if c.A[2] != 0 {
		var b [8]byte
		if e := t.CopyIn(c.A[2], b[:offSize]); e != 0 {
			return -int64(e)
		}
		if offSize == 4 {
			pos = int64(int32(le.Uint32(b[:])))
		} else {
			pos = int64(le.Uint64(b[:]))
		}
		le.PutUint64(h, uint64(pos))
		offp = goAddr(h)
	} else if offSize == 4 {
		p, err := unix.Seek(in, 0, 1)
		if err != nil {
			return errno(err)
		}
		pos = p
	}
	overflow := false
	if offSize == 4 {
		const maxPos = maxNonLFS
		if pos >= maxPos {
			return -int64(unix.EOVERFLOW)
		}
		if uint64(pos)+count > maxPos {
			count, overflow = uint64(maxPos-pos), true
		}
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_SENDFILE, uintptr(out), uintptr(in), offp, uintptr(count), 0, 0)
	if c.A[2] != 0 && e == 0 {
		var b [8]byte
		le.PutUint64(b[:], le.Uint64(h))
		if ce := t.CopyOut(c.A[2], b[:offSize]); ce != 0 {
			return -int64(ce)
		}
	}
	if e == 0 && r == 0 && overflow {
		return -int64(unix.EOVERFLOW)
	}
	return hostRet(r, e)
}

// notMemFD refuses (EINVAL) a copy between descriptors when either is
// open on this process's memory: the kernel would move bytes of minemu's
// memory, which only the clipped read and write paths keep out of reach
// (procfs.go).
func notMemFD(t Task, fds ...int) unix.Errno {
	for _, fd := range fds {
		if t.MemFD(fd) {
			return unix.EINVAL
		}
	}
	return 0
}

// loffArg checks a loff_t pointer the kernel reads and writes in place (8
// bytes in both ABIs); NULL passes.
func loffArg(t Task, addr uint64) (uintptr, unix.Errno) {
	if addr == 0 {
		return 0, 0
	}
	return t.PassPtr(addr, 8)
}

// CopyFileRange is copy_file_range(in, off_in, out, off_out, len,
// flags).
func CopyFileRange(t Task, c *Call) int64 { return spliceCall(t, c, unix.SYS_COPY_FILE_RANGE) }

// Splice is splice(in, off_in, out, off_out, len, flags): it may block
// on a pipe.
func Splice(t Task, c *Call) int64 { return spliceCall(t, c, unix.SYS_SPLICE) }

func spliceCall(t Task, c *Call, nr uintptr) int64 {
	in, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	out, e := t.FD(c.Int32(2))
	if e != 0 {
		return -int64(e)
	}
	if e := notMemFD(t, in, out); e != 0 {
		return -int64(e)
	}
	oi, e := loffArg(t, c.A[1])
	if e != 0 {
		return -int64(e)
	}
	oo, e := loffArg(t, c.A[3])
	if e != 0 {
		return -int64(e)
	}
	n := c.A[4]
	if c.ABI == cpu.ABIi386 {
		n = uint64(uint32(n))
	}
	r, e := t.Blocking(ERestartSys, nr, uintptr(in), oi, uintptr(out), oo, uintptr(n), uintptr(uint32(c.A[5])))
	if e == 0 {
		t.Wrote(c.A[1], 8)
		t.Wrote(c.A[3], 8)
	}
	return hostRet(r, e)
}

// Tee is tee(in, out, len, flags).
func Tee(t Task, c *Call) int64 {
	in, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	out, e := t.FD(c.Int32(1))
	if e != 0 {
		return -int64(e)
	}
	n := c.A[2]
	if c.ABI == cpu.ABIi386 {
		n = uint64(uint32(n))
	}
	r, e := t.Blocking(ERestartSys, unix.SYS_TEE, uintptr(in), uintptr(out), uintptr(n), uintptr(uint32(c.A[3])), 0, 0)
	return hostRet(r, e)
}

// Positioned vector I/O.

func Preadv(t Task, c *Call) int64   { return positionedIovec(t, c, unix.SYS_PREADV2, true, false) }
func Pwritev(t Task, c *Call) int64  { return positionedIovec(t, c, unix.SYS_PWRITEV2, false, false) }
func Preadv2(t Task, c *Call) int64  { return positionedIovec(t, c, unix.SYS_PREADV2, true, true) }
func Pwritev2(t Task, c *Call) int64 { return positionedIovec(t, c, unix.SYS_PWRITEV2, false, true) }

// positionedIovec runs preadv, pwritev and their v2 forms (with flags):
// (fd, iov, vlen, pos_l, pos_h[, flags]); the position is pos_h:pos_l for
// i386, pos_l alone for x86-64 (pos_from_hilo on a 64-bit kernel). The
// iovecs are checked as readv's; a descriptor on the process's memory is
// EINVAL (only read and write clip it to guest memory).
func positionedIovec(t Task, c *Call, nr uintptr, read, v2 bool) int64 {
	fd, e := t.FD(c.Int32(0))
	if e != 0 {
		return -int64(e)
	}
	if t.MemFD(fd) {
		return -int64(unix.EINVAL)
	}
	if c.A[2] > IOVMax {
		return -int64(unix.EINVAL)
	}
	pos := c.A[3]
	if c.ABI == cpu.ABIi386 {
		pos = c.Off64(3)
	}
	var flags uintptr
	if v2 {
		flags = uintptr(uint32(c.A[5]))
	}
	v, e := importIovecs(t, c, c.A[1], c.A[2])
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(nr, uintptr(fd), goAddr64(v), uintptr(len(v)/2), uintptr(pos), 0, flags)
	t.ReleaseBuf()
	if e != 0 {
		return -int64(e)
	}
	if read {
		left := uint64(r)
		for i := 0; i+1 < len(v) && left > 0; i += 2 {
			n := min(v[i+1], left)
			t.Wrote(v[i], n)
			left -= n
		}
	}
	return int64(r)
}
