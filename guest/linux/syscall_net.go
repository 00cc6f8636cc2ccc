package linux

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

func sysSocket(k *Process, s *sysCall) int64 {
	return k.newFDCall(unix.SYS_SOCKET, uintptr(int32(s.a[0])), uintptr(int32(s.a[1])), uintptr(int32(s.a[2])))
}

// sysSocketpair creates the pair in minemu's memory and copies the numbers
// out, as pipe2 does.
func sysSocketpair(k *Process, s *sysCall) int64 {
	fds, err := unix.Socketpair(s.int32Arg(0), s.int32Arg(1), s.int32Arg(2))
	if err != nil {
		return errno(err)
	}
	if uint64(fds[0]) >= k.nofile() || uint64(fds[1]) >= k.nofile() {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return -int64(unix.EMFILE)
	}
	var b [8]byte
	le.PutUint32(b[0:], uint32(fds[0]))
	le.PutUint32(b[4:], uint32(fds[1]))
	if e := k.copyOut(s.a[3], b[:]); e != 0 {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return -int64(e)
	}
	return 0
}

// sockaddrIn checks an address the kernel will read (move_addr_to_kernel:
// EINVAL for a length below 0 or above sockaddr_storage's).
func (k *Process) sockaddrIn(addr uint64, n int) (uintptr, unix.Errno) {
	if n < 0 || n > sockaddrMax {
		return 0, unix.EINVAL
	}
	if n == 0 {
		return uintptr(addr), 0
	}
	return k.passPtr(addr, uint64(n))
}

func sysBind(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	a, e := k.sockaddrIn(s.a[1], s.int32Arg(2))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), a, uintptr(s.int32Arg(2)))
	return hostRet(r, e)
}

func sysConnect(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	a, e := k.sockaddrIn(s.a[1], s.int32Arg(2))
	if e != 0 {
		return -int64(e)
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_CONNECT, uintptr(fd), a, uintptr(s.int32Arg(2)), 0, 0, 0)
	return hostRet(r, e)
}

func sysListen(k *Process, s *sysCall) int64 {
	return k.fdCall3(s, unix.SYS_LISTEN, uintptr(int32(s.a[1])), 0)
}

func sysShutdown(k *Process, s *sysCall) int64 {
	return k.fdCall3(s, unix.SYS_SHUTDOWN, uintptr(int32(s.a[1])), 0)
}

// addrOut is an address the kernel returns: scratch memory for it and its
// length, set to sockaddr_storage's size before the call.
type addrOut struct {
	buf []byte // sockaddrMax bytes, then the 4-byte length
}

func (a *addrOut) init(t *Thread) {
	a.buf = t.scratchBuf(sockaddrMax + 4)
	le.PutUint32(a.buf[sockaddrMax:], sockaddrMax)
}

func (a *addrOut) addr() uintptr { return goAddr(a.buf) }
func (a *addrOut) lenp() uintptr { return goAddr(a.buf[sockaddrMax:]) }

// moveAddrOut is the kernel's move_addr_to_user: the guest's length at
// lenAddr is read (EINVAL when negative), min(it, klen) bytes of the
// address written to addr, and klen to lenAddr.
func (k *Process) moveAddrOut(a *addrOut, addr, lenAddr uint64) unix.Errno {
	klen := int(le.Uint32(a.buf[sockaddrMax:]))
	var b [4]byte
	if e := k.copyIn(lenAddr, b[:]); e != 0 {
		return e
	}
	ulen := int(int32(le.Uint32(b[:])))
	if ulen < 0 {
		return unix.EINVAL
	}
	if n := min(ulen, klen, sockaddrMax); n > 0 {
		if e := k.copyOut(addr, a.buf[:n]); e != 0 {
			return e
		}
	}
	le.PutUint32(b[:], uint32(klen))
	return k.copyOut(lenAddr, b[:])
}

func sysAccept(k *Process, s *sysCall) int64  { return k.accept4(s, 0) }
func sysAccept4(k *Process, s *sysCall) int64 { return k.accept4(s, int(int32(s.a[3]))) }

// accept4 takes the number first (EMFILE without taking a connection when
// the guest's limit leaves none free, as get_unused_fd_flags), then the
// connection; a fault writing the address closes it again, as the kernel's
// do_accept drops the file.
func (k *Process) accept4(s *sysCall, flags int) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	if e := k.fdFree(); e != 0 {
		return -int64(e)
	}
	var a addrOut
	var pa, pl uintptr
	if s.a[1] != 0 {
		a.init(s.t)
		pa, pl = a.addr(), a.lenp()
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_ACCEPT4, uintptr(fd), pa, pl, uintptr(flags), 0, 0)
	if e != 0 {
		return -int64(e)
	}
	nfd := int(r)
	if e := k.newFD(nfd); e != 0 {
		return -int64(e)
	}
	if s.a[1] != 0 {
		if e := k.moveAddrOut(&a, s.a[1], s.a[2]); e != 0 {
			unix.Close(nfd)
			return -int64(e)
		}
	}
	return int64(nfd)
}

func sysGetsockname(k *Process, s *sysCall) int64 { return k.sockName(s, unix.SYS_GETSOCKNAME) }
func sysGetpeername(k *Process, s *sysCall) int64 { return k.sockName(s, unix.SYS_GETPEERNAME) }

func (k *Process) sockName(s *sysCall, nr uintptr) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	var a addrOut
	a.init(s.t)
	if _, _, e := unix.Syscall(nr, uintptr(fd), a.addr(), a.lenp()); e != 0 {
		return -int64(e)
	}
	return -int64(k.moveAddrOut(&a, s.a[1], s.a[2]))
}

func sysSendto(k *Process, s *sysCall) int64 {
	return k.sendto(s, s.a[1], s.a[2], s.a[3], s.a[4], s.int32Arg(5))
}

// sysSend is socketcall's send(fd, buf, len, flags).
func sysSend(k *Process, s *sysCall) int64 { return k.sendto(s, s.a[1], s.a[2], s.a[3], 0, 0) }

// sendto runs sendto: the data straight from the guest's buffer (prepared
// by kernelBuf, as write's), the address checked.
func (k *Process) sendto(s *sysCall, buf, n, flags, addr uint64, alen int) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	var pa uintptr
	if addr != 0 {
		if pa, e = k.sockaddrIn(addr, alen); e != 0 {
			return -int64(e)
		}
	} else {
		alen = 0
	}
	ub, e := k.kernelBuf(buf, n)
	if e != 0 {
		return -int64(e)
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_SENDTO, uintptr(fd), uintptr(buf), uintptr(ub.n), uintptr(uint32(flags)), pa, uintptr(alen))
	k.release(&ub)
	return hostRet(r, e)
}

func sysRecvfrom(k *Process, s *sysCall) int64 {
	return k.recvfrom(s, s.a[1], s.a[2], s.a[3], s.a[4], s.a[5])
}

// sysRecv is socketcall's recv(fd, buf, len, flags).
func sysRecv(k *Process, s *sysCall) int64 { return k.recvfrom(s, s.a[1], s.a[2], s.a[3], 0, 0) }

// recvfrom runs recvfrom: the data straight into the guest's buffer
// (prepared by kernelBuf, as read's), the sender's address through
// scratch memory, written after the data as the kernel writes it.
func (k *Process) recvfrom(s *sysCall, buf, n, flags, addr, alenAddr uint64) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	ub, e := k.kernelBuf(buf, n)
	if e != 0 {
		return -int64(e)
	}
	var a addrOut
	var pa, pl uintptr
	if addr != 0 {
		a.init(s.t)
		pa, pl = a.addr(), a.lenp()
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_RECVFROM, uintptr(fd), uintptr(buf), uintptr(ub.n), uintptr(uint32(flags)), pa, pl)
	k.release(&ub)
	if e != 0 {
		return -int64(e)
	}
	k.wrote(buf, uint64(r))
	if addr != 0 {
		if e := k.moveAddrOut(&a, addr, alenAddr); e != 0 {
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

// sysSetsockopt is setsockopt(fd, level, name, val, len).
func sysSetsockopt(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	level, name, val, n := s.int32Arg(1), s.int32Arg(2), s.a[3], s.int32Arg(4)
	if n < 0 {
		return -int64(unix.EINVAL)
	}
	hv, hn, e := k.sockoptIn(s, level, name, val, n)
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), hv, uintptr(hn), 0)
	return hostRet(r, e)
}

// sockoptIn prepares a setsockopt value for the host: the guest's buffer
// itself, checked, or a translation in scratch memory.
func (k *Process) sockoptIn(s *sysCall, level, name int, val uint64, n int) (uintptr, int, unix.Errno) {
	i386 := s.abi == cpu.ABIi386
	switch {
	case level == unix.SOL_SOCKET && (name == soRcvtimeoOld || name == soSndtimeoOld) && i386:
		if n < sizeofTimevalI386 {
			return 0, 0, unix.EINVAL
		}
		var b [sizeofTimevalI386]byte
		if e := k.copyIn(val, b[:]); e != 0 {
			return 0, 0, e
		}
		var tv cTimeval
		tv.decodeI386(b[:])
		h := s.t.scratchBuf(sizeofTimevalAMD64)
		return goAddr(tv.encodeAMD64(h)), sizeofTimevalAMD64, 0
	case level == unix.SOL_SOCKET && (name == soAttachFilter || name == soAttachReuseportCBPF):
		sz := sizeofSockFprog(s.abi)
		if n != sz && i386 || n < sz {
			return 0, 0, unix.EINVAL
		}
		var b [sizeofSockFprogMax]byte
		if e := k.copyIn(val, b[:sz]); e != 0 {
			return 0, 0, e
		}
		var f cSockFprog
		f.decode(s.abi, b[:sz])
		if f.Len == 0 || f.Len > bpfMaxInsns {
			return 0, 0, unix.EINVAL
		}
		// The kernel copies the program during the call.
		if _, e := k.passPtr(f.Filter, uint64(f.Len)*sizeofSockFilter); e != 0 {
			return 0, 0, e
		}
		h := s.t.scratchBuf(sizeofSockFprogAMD64)
		return goAddr(f.encodeAMD64(h)), sizeofSockFprogAMD64, 0
	case i386 && isIPLevel(level) && (name == mcastJoinGroup || name == mcastLeaveGroup):
		if n < sizeofGroupReqI386 {
			return 0, 0, unix.EINVAL
		}
		var b [sizeofGroupReqI386]byte
		if e := k.copyIn(val, b[:]); e != 0 {
			return 0, 0, e
		}
		var g cGroupReq
		g.decodeI386(b[:])
		h := s.t.scratchBuf(sizeofGroupReqAMD64)
		return goAddr(g.encodeAMD64(h)), sizeofGroupReqAMD64, 0
	case i386 && isIPLevel(level) && name >= mcastBlockSource && name <= mcastLeaveSourceGroup:
		if n < sizeofGroupSourceReqI386 {
			return 0, 0, unix.EINVAL
		}
		var b [sizeofGroupSourceReqI386]byte
		if e := k.copyIn(val, b[:]); e != 0 {
			return 0, 0, e
		}
		var g cGroupSourceReq
		g.decodeI386(b[:])
		h := s.t.scratchBuf(sizeofGroupSourceReqAMD64)
		return goAddr(g.encodeAMD64(h)), sizeofGroupSourceReqAMD64, 0
	case i386 && isIPLevel(level) && name == mcastMsfilter:
		// compat_group_filter: interface, the group at 4, fmode and numsrc
		// at 132, the sources from 140; the host's from 8, 136 and 144.
		const gOff, fOff, sOff = 4, 132, 140
		if n < sOff {
			return 0, 0, unix.EINVAL
		}
		in := make([]byte, n)
		if e := k.copyIn(val, in); e != 0 {
			return 0, 0, e
		}
		h := s.t.scratchBuf(n + 4)
		copy(h[0:4], in[0:4])
		copy(h[8:136], in[gOff:fOff])
		copy(h[136:144], in[fOff:sOff])
		copy(h[144:], in[sOff:])
		return goAddr(h), n + 4, 0
	}
	p, e := k.passPtr(val, uint64(n))
	return p, n, e
}

// sysGetsockopt is getsockopt(fd, level, name, val, lenp): the value goes
// to the guest's buffer directly, except i386's timeouts, which are
// translated to old_timeval32 and truncated to the guest's length as
// sk_getsockopt truncates.
func sysGetsockopt(k *Process, s *sysCall) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	level, name, val, lenAddr := s.int32Arg(1), s.int32Arg(2), s.a[3], s.a[4]
	var lb [4]byte
	if e := k.copyIn(lenAddr, lb[:]); e != 0 {
		return -int64(e)
	}
	ulen := int(int32(le.Uint32(lb[:])))
	if s.abi == cpu.ABIi386 && level == unix.SOL_SOCKET && (name == soRcvtimeoOld || name == soSndtimeoOld) {
		if ulen < 0 {
			return -int64(unix.EINVAL)
		}
		h := s.t.scratchBuf(sizeofTimevalAMD64 + 4)
		le.PutUint32(h[sizeofTimevalAMD64:], sizeofTimevalAMD64)
		if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), goAddr(h), goAddr(h[sizeofTimevalAMD64:]), 0); e != 0 {
			return -int64(e)
		}
		var tv cTimeval
		tv.decodeAMD64(h)
		var b [sizeofTimevalI386]byte
		tv.encodeI386(b[:])
		n := min(ulen, sizeofTimevalI386)
		if e := k.copyOut(val, b[:n]); e != 0 {
			return -int64(e)
		}
		le.PutUint32(lb[:], uint32(n))
		return -int64(k.copyOut(lenAddr, lb[:]))
	}
	lp, e := k.passPtr(lenAddr, 4)
	if e != 0 {
		return -int64(e)
	}
	vp, e := k.passPtr(val, uint64(max(ulen, 0)))
	if e != 0 {
		return -int64(e)
	}
	r, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), vp, lp, 0)
	if e == 0 {
		k.wrote(val, uint64(max(ulen, 0)))
		k.wrote(lenAddr, 4)
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

// hostMsghdr is the host's struct msghdr in scratch memory, with what the
// call needs to finish: the guest's msghdr, the guards of its last iovec
// buffer, and, for i386, the control buffer in the host's layout.
type hostMsghdr struct {
	hdr   []byte // sizeofMsghdrAMD64 bytes
	guest cMsghdr
	ub    userBuf
	// ctl is the host-layout control buffer (i386); nil when the guest's
	// is used in place (x86-64) or there is none.
	ctl []byte
	// iov are the translated iovecs (base, length pairs), in
	// Thread.iovScratch.
	iov []uint64
}

// buildMsg reads the guest's msghdr at addr and builds the host's. send
// selects sendmsg's checks (the name read by the kernel, the control
// messages translated in) from recvmsg's (name and control written).
func (k *Process) buildMsg(s *sysCall, addr uint64, send bool) (*hostMsghdr, unix.Errno) {
	n := sizeofMsghdr(s.abi)
	var b [sizeofMsghdrMax]byte
	if e := k.copyIn(addr, b[:n]); e != 0 {
		return nil, e
	}
	m := &hostMsghdr{}
	m.guest.decode(s.abi, b[:n])
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
		if name, e = k.passPtr(g.Name, uint64(namelen)); e != 0 {
			return nil, e
		}
	}
	if g.Iovlen > sysIOVMax {
		return nil, unix.EMSGSIZE
	}
	iov, ub, e := k.importIovecs(s, g.Iov, g.Iovlen)
	if e != 0 {
		return nil, e
	}
	m.iov, m.ub = iov, ub
	ctlLen := g.Controllen
	var ctl uintptr
	if s.abi == cpu.ABIi386 {
		if ctlLen > 0 {
			if send {
				if m.ctl, e = k.cmsgsIn(g.Control, ctlLen); e != 0 {
					k.release(&m.ub)
					return nil, e
				}
			} else {
				m.ctl = make([]byte, 2*ctlLen+64)
			}
			ctl, ctlLen = goAddr(m.ctl), uint64(len(m.ctl))
		}
	} else if ctlLen > 0 {
		if ctl, e = k.passPtr(g.Control, ctlLen); e != 0 {
			k.release(&m.ub)
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
// kernelBuf (the kernel stops at the fault there), whose guards the
// caller releases.
func (k *Process) importIovecs(s *sysCall, addr, cnt uint64) ([]uint64, userBuf, unix.Errno) {
	var ub userBuf
	esz := uint64(sizeofIovec(s.abi))
	if s.t.iovScratch == nil {
		s.t.iovScratch = make([]uint64, 0, 2*sysIOVMax)
	}
	arr, e := k.checkUser(addr, cnt*esz, unix.PROT_READ)
	if e != 0 {
		return nil, ub, e
	}
	v := s.t.iovScratch[:0]
	if !faultSafe(func() {
		for raw := userView(arr); len(raw) > 0; raw = raw[esz:] {
			var iov cIovec
			iov.decode(s.abi, raw)
			v = append(v, iov.Base, iov.Len)
		}
	}) {
		return nil, ub, unix.EFAULT
	}
	for i := 0; i < len(v); i += 2 {
		if n := v[i+1]; s.abi == cpu.ABIi386 && int32(n) < 0 || int64(n) < 0 {
			return nil, ub, unix.EINVAL
		}
	}
	for i := 0; i < len(v) && k.mode == mm.Mode64; i += 2 {
		if end := v[i] + v[i+1]; end < v[i] || end > uint64(mm.UserLimit) {
			return nil, ub, unix.EFAULT
		}
	}
	before := uint64(0)
	for i := 0; i < len(v); i += 2 {
		if v[i+1] == 0 {
			continue
		}
		var e unix.Errno
		if ub, e = k.kernelBuf(v[i], v[i+1]); e != 0 {
			if before == 0 {
				return nil, ub, e
			}
			v = v[:i]
			break
		}
		if ub.partial {
			v[i+1] = ub.n
			v = v[:i+2]
			break
		}
		before += v[i+1]
	}
	return v, ub, 0
}

// cmsgAlign4 and cmsgAlign8 are CMSG_COMPAT_ALIGN and CMSG_ALIGN.
func cmsgAlign4(n uint64) uint64 { return (n + 3) &^ 3 }
func cmsgAlign8(n uint64) uint64 { return (n + 7) &^ 7 }

// cmsgsIn translates i386 control messages at addr (controllen n) into the
// host's layout, as the kernel's cmsghdr_from_user_compat_to_kern: each
// message must hold its header and lie inside the buffer (EINVAL), and a
// buffer without a message is EINVAL.
func (k *Process) cmsgsIn(addr, n uint64) ([]byte, unix.Errno) {
	if n > 1<<20 {
		return nil, unix.ENOBUFS
	}
	in := make([]byte, n)
	if e := k.copyIn(addr, in); e != 0 {
		return nil, e
	}
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
// kernel reported) into i386's at addr, at most n bytes, as the kernel's
// put_cmsg_compat and scm_detach_fds_compat write them: timestamps to
// their 32-bit forms, a message that does not fit cut (MSG_CTRUNC), and
// descriptors that do not fit, or that lie at or above the guest's
// RLIMIT_NOFILE, closed again (MSG_CTRUNC). It returns the length written
// and the flags to add.
func (k *Process) cmsgsOut(host []byte, addr, n uint64) (uint64, uint32, unix.Errno) {
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
					if i/4 < fit && uint64(fd) < k.nofile() && len(keep) == i {
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
	if len(out) > 0 {
		if e := k.copyOut(addr, out); e != 0 {
			return 0, 0, e
		}
	}
	return uint64(len(out)), flags, 0
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

func sysSendmsg(k *Process, s *sysCall) int64 { return k.sendmsg(s, s.a[1], s.a[2]) }
func sysRecvmsg(k *Process, s *sysCall) int64 { return k.recvmsg(s, s.a[1], s.a[2]) }

// sendmsg runs sendmsg(fd, msg, flags) for the guest's msghdr at addr.
func (k *Process) sendmsg(s *sysCall, addr, flags uint64) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	if s.abi == cpu.ABIi386 {
		flags &^= msgCompat
	}
	m, e := k.buildMsg(s, addr, true)
	if e != 0 {
		return -int64(e)
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_SENDMSG, uintptr(fd), goAddr(m.hdr), uintptr(uint32(flags)), 0, 0, 0)
	k.release(&m.ub)
	return hostRet(r, e)
}

// recvmsg runs recvmsg(fd, msg, flags): the data into the guest's buffers,
// then msg_namelen, the control messages (translated for i386),
// msg_controllen and msg_flags written back to the guest's msghdr.
func (k *Process) recvmsg(s *sysCall, addr, flags uint64) int64 {
	fd, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	if s.abi == cpu.ABIi386 {
		flags &^= msgCompat
	}
	m, e := k.buildMsg(s, addr, false)
	if e != 0 {
		return -int64(e)
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_RECVMSG, uintptr(fd), goAddr(m.hdr), uintptr(uint32(flags)), 0, 0, 0)
	k.release(&m.ub)
	if e != 0 {
		return -int64(e)
	}
	left := uint64(r)
	for i := 0; i+1 < len(m.iov) && left > 0; i += 2 {
		n := min(m.iov[i+1], left)
		k.wrote(m.iov[i], n)
		left -= n
	}
	var h cMsghdr
	h.decodeAMD64(m.hdr)
	if m.guest.Name != 0 && h.Namelen > 0 {
		k.wrote(m.guest.Name, uint64(h.Namelen))
	}
	ctlLen, ctlFlags := h.Controllen, h.Flags
	if s.abi == cpu.ABIi386 && m.ctl != nil {
		n, f, e := k.cmsgsOut(m.ctl[:min(h.Controllen, uint64(len(m.ctl)))], m.guest.Control, m.guest.Controllen)
		if e != 0 {
			return -int64(e)
		}
		ctlLen, ctlFlags = n, ctlFlags|f
	} else if m.guest.Control != 0 {
		k.wrote(m.guest.Control, h.Controllen)
	}
	// The three fields the kernel writes back.
	out := m.guest
	out.Namelen, out.Controllen, out.Flags = h.Namelen, ctlLen, ctlFlags
	var b [sizeofMsghdrMax]byte
	enc := out.encode(s.abi, b[:])
	for _, f := range msghdrOutFields(s.abi) {
		if e := k.copyOut(addr+f[0], enc[f[0]:f[0]+f[1]]); e != 0 {
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
func (k *Process) mmsgLen(s *sysCall, vec uint64, i int, n uint32) unix.Errno {
	var b [4]byte
	le.PutUint32(b[:], n)
	off := offMmsghdrAMD64Len
	if s.abi == cpu.ABIi386 {
		off = offMmsghdrI386Len
	}
	return k.copyOut(vec+uint64(i*sizeofMmsghdr(s.abi)+off), b[:])
}

// sysSendmmsg is sendmmsg(fd, vec, vlen, flags): sendmsg for each message
// in turn, as the kernel's __sys_sendmmsg: the count sent when any was,
// else the first error.
func sysSendmmsg(k *Process, s *sysCall) int64 {
	vec, vlen, flags := s.a[1], min(uint32(s.a[2]), sysIOVMax), s.a[3]
	sent := 0
	for i := 0; i < int(vlen); i++ {
		r := k.sendmsg(s, vec+uint64(i*sizeofMmsghdr(s.abi)), flags)
		if r < 0 {
			if sent > 0 {
				break
			}
			return r
		}
		if e := k.mmsgLen(s, vec, i, uint32(r)); e != 0 {
			if sent > 0 {
				break
			}
			return -int64(e)
		}
		sent++
	}
	return int64(sent)
}

func sysRecvmmsg(k *Process, s *sysCall) int64   { return k.recvmmsg(s, s.abi) }
func sysRecvmmsg64(k *Process, s *sysCall) int64 { return k.recvmmsg(s, cpu.ABIAMD64) }

// msgWaitforone is MSG_WAITFORONE.
const msgWaitforone = 0x10000

// recvmmsg is recvmmsg(fd, vec, vlen, flags, timeout) as the kernel's
// __sys_recvmmsg: recvmsg for each message in turn, MSG_DONTWAIT after the
// first under MSG_WAITFORONE, the timeout checked after each message and
// its remainder written back; the count received when any was, else the
// first error.
func (k *Process) recvmmsg(s *sysCall, tabi cpu.ABI) int64 {
	vec, vlen, flags := s.a[1], min(uint32(s.a[2]), sysIOVMax), s.a[3]
	var deadline time.Time
	timed := s.a[4] != 0
	if timed {
		ts, e := k.readTimespecRaw(tabi, s.a[4])
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
		r := k.recvmsg(s, vec+uint64(i*sizeofMmsghdr(s.abi)), flags)
		if r < 0 {
			err = r
			break
		}
		if e := k.mmsgLen(s, vec, i, uint32(r)); e != 0 {
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
		k.timeOut(tabi, s.a[4], int64(rem/time.Second), int64(rem%time.Second))
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

var socketcallFns = [sockcallMax + 1]sysHandler{
	1: sysSocket, 2: sysBind, 3: sysConnect, 4: sysListen, 5: sysAccept, 6: sysGetsockname,
	7: sysGetpeername, 8: sysSocketpair, 9: sysSend, 10: sysRecv, 11: sysSendto, 12: sysRecvfrom,
	13: sysShutdown, 14: sysSetsockopt, 15: sysGetsockopt, 16: sysSendmsg, 17: sysRecvmsg,
	18: sysAccept4, 19: sysRecvmmsg, 20: sysSendmmsg,
}

// sysSocketcall is i386's socketcall(call, args): the call's arguments,
// 32-bit words at args, are read and the call run as its own number would
// run it (EINVAL for an unknown call, EFAULT for unreadable arguments).
func sysSocketcall(k *Process, s *sysCall) int64 {
	call := s.int32Arg(0)
	if call < 1 || call > sockcallMax {
		return -int64(unix.EINVAL)
	}
	n := socketcallArgs[call]
	var b [6 * 4]byte
	if e := k.copyIn(s.a[1], b[:4*n]); e != 0 {
		return -int64(e)
	}
	sub := *s
	sub.a = [6]uint64{}
	for i := 0; i < n; i++ {
		sub.a[i] = uint64(le.Uint32(b[4*i:]))
	}
	r := socketcallFns[call](k, &sub)
	s.exit = sub.exit
	return r
}

// Copying between descriptors.

// sysSendfile is sendfile(out, in, offset, count) with x86-64's loff_t
// offset (sendfile64 for i386).
func sysSendfile(k *Process, s *sysCall) int64 { return k.sendfile(s, 8) }

// sysSendfile32 is i386's sendfile: a 32-bit offset, EOVERFLOW past 2 GiB
// as do_sendfile with MAX_NON_LFS.
func sysSendfile32(k *Process, s *sysCall) int64 { return k.sendfile(s, 4) }

func (k *Process) sendfile(s *sysCall, offSize int) int64 {
	out, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	in, e := k.fd(s.int32Arg(1))
	if e != 0 {
		return -int64(e)
	}
	if e := k.notMemFD(out, in); e != 0 {
		return -int64(e)
	}
	count := s.a[3]
	if s.abi == cpu.ABIi386 {
		count = uint64(uint32(count))
	}
	h := s.t.scratchBuf(8)
	var offp uintptr
	var pos int64
	if s.a[2] != 0 {
		var b [8]byte
		if e := k.copyIn(s.a[2], b[:offSize]); e != 0 {
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
		const maxPos = sysMaxNonLFS
		if pos >= maxPos {
			return -int64(unix.EOVERFLOW)
		}
		if uint64(pos)+count > maxPos {
			count, overflow = uint64(maxPos-pos), true
		}
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_SENDFILE, uintptr(out), uintptr(in), offp, uintptr(count), 0, 0)
	if s.a[2] != 0 && e == 0 {
		var b [8]byte
		le.PutUint64(b[:], le.Uint64(h))
		if ce := k.copyOut(s.a[2], b[:offSize]); ce != 0 {
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
func (k *Process) notMemFD(fds ...int) unix.Errno {
	for _, fd := range fds {
		if _, mem := k.memFD(fd); mem {
			return unix.EINVAL
		}
	}
	return 0
}

// loffArg checks a loff_t pointer the kernel reads and writes in place (8
// bytes in both ABIs); NULL passes.
func (k *Process) loffArg(addr uint64) (uintptr, unix.Errno) {
	if addr == 0 {
		return 0, 0
	}
	return k.passPtr(addr, 8)
}

// sysCopyFileRange is copy_file_range(in, off_in, out, off_out, len,
// flags).
func sysCopyFileRange(k *Process, s *sysCall) int64 { return k.spliceCall(s, unix.SYS_COPY_FILE_RANGE) }

// sysSplice is splice(in, off_in, out, off_out, len, flags): it may block
// on a pipe.
func sysSplice(k *Process, s *sysCall) int64 { return k.spliceCall(s, unix.SYS_SPLICE) }

func (k *Process) spliceCall(s *sysCall, nr uintptr) int64 {
	in, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	out, e := k.fd(s.int32Arg(2))
	if e != 0 {
		return -int64(e)
	}
	if e := k.notMemFD(in, out); e != 0 {
		return -int64(e)
	}
	oi, e := k.loffArg(s.a[1])
	if e != 0 {
		return -int64(e)
	}
	oo, e := k.loffArg(s.a[3])
	if e != 0 {
		return -int64(e)
	}
	n := s.a[4]
	if s.abi == cpu.ABIi386 {
		n = uint64(uint32(n))
	}
	r, e := s.t.blockingCall(eRestartSys, nr, uintptr(in), oi, uintptr(out), oo, uintptr(n), uintptr(uint32(s.a[5])))
	if e == 0 {
		k.wrote(s.a[1], 8)
		k.wrote(s.a[3], 8)
	}
	return hostRet(r, e)
}

// sysTee is tee(in, out, len, flags).
func sysTee(k *Process, s *sysCall) int64 {
	in, e := k.fd(s.int32Arg(0))
	if e != 0 {
		return -int64(e)
	}
	out, e := k.fd(s.int32Arg(1))
	if e != 0 {
		return -int64(e)
	}
	n := s.a[2]
	if s.abi == cpu.ABIi386 {
		n = uint64(uint32(n))
	}
	r, e := s.t.blockingCall(eRestartSys, unix.SYS_TEE, uintptr(in), uintptr(out), uintptr(n), uintptr(uint32(s.a[3])), 0, 0)
	return hostRet(r, e)
}
