package linux

import "golang.org/x/sys/unix"

// modify_ldt(func, ptr, bytecount) on the process's LDT (guest/linux/ldt).
// The kernel returns its int result as an unsigned 32-bit value, so that
// on x86-64 an error comes back as 0xffffffea, not sign-extended.
func sysModifyLdt(k *Process, s *sysCall) int64 {
	return int64(uint32(modifyLdt(k, s)))
}

func modifyLdt(k *Process, s *sysCall) int32 {
	ptr, count := s.a[1], s.a[2]
	switch int32(s.a[0]) {
	case 0: // read_ldt
		b := k.ldt.Read(count)
		if b == nil {
			return 0
		}
		if e := k.copyOut(ptr, b); e != 0 {
			return -int32(e)
		}
		return int32(len(b))
	case 2: // read_default_ldt: 128 zero bytes on x86-64
		n := min(count, 128)
		if e := k.copyOut(ptr, make([]byte, n)); e != 0 {
			return -int32(e)
		}
		return int32(n)
	case 1, 0x11: // write_ldt, old mode and new
		if count != sizeofUserDesc {
			return -int32(unix.EINVAL)
		}
		var b [sizeofUserDesc]byte
		if e := k.copyIn(ptr, b[:]); e != 0 {
			return -int32(e)
		}
		var ud cUserDesc
		ud.decode(b[:])
		return -int32(k.ldt.Write(ud.EntryNumber, ud.BaseAddr, ud.Limit, ud.Flags, s.a[0] == 1))
	}
	return -int32(unix.ENOSYS)
}
