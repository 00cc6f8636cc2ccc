package linux

// signalfd and signalfd4. The host's signalfd cannot serve the guest: the
// signals sent to it are taken by minemu's handlers (guest/hostsig) and
// queued in minemu's own queues, which the host kernel does not see. So a
// guest signalfd is minemu's: the descriptor is a host eventfd at the
// number the kernel would have given, whose counter is nonzero exactly
// while a signal of the descriptor's mask is pending (poll, select and
// epoll see it readable then), and a read of it dequeues those signals
// from the calling thread's queue and the process's as the kernel's
// signalfd_dequeue does, writing struct signalfd_siginfo records (the same
// 128 bytes in both ABIs).

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/linux/signal"
)

// sigFD is one guest signalfd. Guarded by Process.sigMu.
type sigFD struct {
	// mask is the set the descriptor reads (never SIGKILL or SIGSTOP).
	mask signal.Set
	// ready mirrors the eventfd's counter (nonzero while true).
	ready bool
}

const (
	sfdCloexec  = unix.O_CLOEXEC
	sfdNonblock = unix.O_NONBLOCK
	// sizeofSignalfdSiginfo is struct signalfd_siginfo's size.
	sizeofSignalfdSiginfo = 128
)

func sysSignalfd(k *Process, s *sysCall) int64 {
	return k.signalfd(s, s.int32Arg(0), s.a[1], s.a[2], 0)
}

func sysSignalfd4(k *Process, s *sysCall) int64 {
	return k.signalfd(s, s.int32Arg(0), s.a[1], s.a[2], s.int32Arg(3))
}

// signalfd is do_signalfd4: a new descriptor (fd -1) or a new mask for an
// existing one.
func (k *Process) signalfd(s *sysCall, fd int, maskAddr, size uint64, flags int) int64 {
	if flags&^(sfdCloexec|sfdNonblock) != 0 || size != 8 {
		return -int64(unix.EINVAL)
	}
	var b [8]byte
	if e := k.copyIn(maskAddr, b[:]); e != 0 {
		return -int64(e)
	}
	mask := signal.Set(binary.LittleEndian.Uint64(b[:])) &^ signal.Unblockable
	if fd != -1 {
		if _, e := k.fd(fd); e != 0 {
			return -int64(e)
		}
		k.threadsMu.Lock()
		k.sigMu.Lock()
		sf := k.sigfds[fd]
		if sf != nil {
			sf.mask = mask
			k.sigfdUpdateLocked(fd, sf)
		}
		k.sigMu.Unlock()
		k.threadsMu.Unlock()
		if sf == nil {
			return -int64(unix.EINVAL)
		}
		return int64(fd)
	}
	// The eventfd's own O_NONBLOCK is the descriptor's, which fcntl may
	// change later; minemu never blocks on it (it reads it only while
	// its counter is nonzero).
	efl := 0
	if flags&sfdNonblock != 0 {
		efl |= unix.EFD_NONBLOCK
	}
	if flags&sfdCloexec != 0 {
		efl |= unix.EFD_CLOEXEC
	}
	nfd, err := unix.Eventfd(0, efl)
	if err != nil {
		return errno(err)
	}
	if uint64(nfd) >= k.nofile() {
		unix.Close(nfd)
		return -int64(unix.EMFILE)
	}
	sf := &sigFD{mask: mask}
	k.threadsMu.Lock()
	k.sigMu.Lock()
	if k.sigfds == nil {
		k.sigfds = map[int]*sigFD{}
	}
	k.sigfds[nfd] = sf
	k.nsigfds.Add(1)
	k.sigfdUpdateLocked(nfd, sf)
	k.sigMu.Unlock()
	k.threadsMu.Unlock()
	return int64(nfd)
}

// sigfdPendingLocked is the set of signals pending for the process or any
// of its threads. Called with threadsMu and sigMu held.
func (k *Process) sigfdPendingLocked() signal.Set {
	set := k.sigShared.Pending()
	for _, t := range k.threads {
		set |= t.sig.queue.Pending()
	}
	return set
}

// sigfdUpdateLocked makes descriptor fd's eventfd readable exactly while a
// signal of its mask is pending. Called with threadsMu and sigMu held.
func (k *Process) sigfdUpdateLocked(fd int, sf *sigFD) {
	want := k.sigfdPendingLocked()&sf.mask != 0
	switch {
	case want && !sf.ready:
		var one [8]byte
		binary.LittleEndian.PutUint64(one[:], 1)
		unix.Write(fd, one[:])
	case !want && sf.ready:
		var v [8]byte
		unix.Read(fd, v[:])
	}
	sf.ready = want
}

// sigfdNotify brings every signalfd's readiness up to date after a signal
// was queued or taken.
func (k *Process) sigfdNotify() {
	if k.nsigfds.Load() == 0 {
		return
	}
	k.threadsMu.Lock()
	k.sigMu.Lock()
	for fd, sf := range k.sigfds {
		k.sigfdUpdateLocked(fd, sf)
	}
	k.sigMu.Unlock()
	k.threadsMu.Unlock()
}

// sigfdClosed forgets a closed descriptor, sigfdDup gives a duplicate the
// same signalfd.
func (k *Process) sigfdClosed(fd int) {
	if k.nsigfds.Load() == 0 {
		return
	}
	k.sigMu.Lock()
	if k.sigfds[fd] != nil {
		delete(k.sigfds, fd)
		k.nsigfds.Add(-1)
	}
	k.sigMu.Unlock()
}

func (k *Process) sigfdDup(oldfd, newfd int) {
	if k.nsigfds.Load() == 0 {
		return
	}
	k.sigMu.Lock()
	if k.sigfds[newfd] != nil {
		delete(k.sigfds, newfd)
		k.nsigfds.Add(-1)
	}
	if sf := k.sigfds[oldfd]; sf != nil {
		k.sigfds[newfd] = sf
		k.nsigfds.Add(1)
	}
	k.sigMu.Unlock()
}

// sigfdRead serves read(2) on a guest signalfd; ok is false when fd is
// not one.
func (k *Process) sigfdRead(s *sysCall) (r int64, ok bool) {
	if k.nsigfds.Load() == 0 {
		return 0, false
	}
	fd := s.int32Arg(0)
	k.sigMu.Lock()
	sf := k.sigfds[fd]
	k.sigMu.Unlock()
	if sf == nil {
		return 0, false
	}
	n := s.a[2] / sizeofSignalfdSiginfo
	if n == 0 {
		return -int64(unix.EINVAL), true
	}
	t := s.t
	var got uint64
	for got < n {
		t.drainHost()
		k.sigMu.Lock()
		info, ok := t.sig.queue.Dequeue(sf.mask)
		if !ok {
			info, ok = k.sigShared.Dequeue(sf.mask)
		}
		k.sigMu.Unlock()
		if ok {
			rec := signalfdSiginfo(&info)
			if e := k.copyOut(s.a[1]+got*sizeofSignalfdSiginfo, rec[:]); e != 0 {
				k.sigfdNotify()
				if got > 0 {
					return int64(got * sizeofSignalfdSiginfo), true
				}
				return -int64(e), true
			}
			got++
			continue
		}
		if got > 0 {
			break
		}
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil && fl&unix.O_NONBLOCK != 0 {
			k.sigfdNotify()
			return -int64(unix.EAGAIN), true
		}
		if t.deliverable() {
			return -signal.ERESTARTSYS, true
		}
		t.waitSignal(-1)
	}
	k.sigfdNotify()
	return int64(got * sizeofSignalfdSiginfo), true
}

// signalfdSiginfo is struct signalfd_siginfo of info, the fields filled as
// signalfd_copyinfo fills them for the siginfo's layout.
func signalfdSiginfo(info *signal.Info) [sizeofSignalfdSiginfo]byte {
	var r [sizeofSignalfdSiginfo]byte
	le := binary.LittleEndian
	le.PutUint32(r[0:], uint32(info.Signo()))
	le.PutUint32(r[4:], le.Uint32(info[4:]))
	le.PutUint32(r[8:], uint32(info.Code()))
	sig, code := info.Signo(), info.Code()
	switch {
	case code > 0 && signal.Synchronous.Has(sig):
		le.PutUint64(r[72:], info.Addr()) // ssi_addr
	case sig == signal.SIGCHLD && code > 0:
		le.PutUint32(r[12:], le.Uint32(info[16:])) // ssi_pid
		le.PutUint32(r[16:], le.Uint32(info[20:])) // ssi_uid
		le.PutUint32(r[40:], le.Uint32(info[24:])) // ssi_status
		le.PutUint64(r[56:], le.Uint64(info[32:])) // ssi_utime
		le.PutUint64(r[64:], le.Uint64(info[40:])) // ssi_stime
	default:
		le.PutUint32(r[12:], le.Uint32(info[16:])) // ssi_pid
		le.PutUint32(r[16:], le.Uint32(info[20:])) // ssi_uid
		le.PutUint32(r[44:], le.Uint32(info[24:])) // ssi_int
		le.PutUint64(r[48:], le.Uint64(info[24:])) // ssi_ptr
	}
	return r
}
