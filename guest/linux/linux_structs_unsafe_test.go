package linux

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestStructLayoutsXSys checks the generated x86-64 layouts against
// golang.org/x/sys/unix's types, which are the host's own (cgo -godefs of
// the kernel's and libc's headers).
func TestStructLayoutsXSys(t *testing.T) {
	var (
		st  unix.Stat_t
		ts  unix.Timespec
		tv  unix.Timeval
		rl  unix.Rlimit
		iov unix.Iovec
		fl  unix.Flock_t
		si  unix.Sysinfo_t
		ut  unix.Utsname
		ru  unix.Rusage
		sf  unix.Statfs_t
		it  unix.Itimerval
		is  unix.ItimerSpec
		de  unix.Dirent
	)
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"stat", sizeofStatAMD64, unsafe.Sizeof(st)},
		{"stat.ino", offStatAMD64Ino, unsafe.Offsetof(st.Ino)},
		{"stat.nlink", offStatAMD64Nlink, unsafe.Offsetof(st.Nlink)},
		{"stat.mode", offStatAMD64Mode, unsafe.Offsetof(st.Mode)},
		{"stat.uid", offStatAMD64Uid, unsafe.Offsetof(st.Uid)},
		{"stat.gid", offStatAMD64Gid, unsafe.Offsetof(st.Gid)},
		{"stat.rdev", offStatAMD64Rdev, unsafe.Offsetof(st.Rdev)},
		{"stat.size", offStatAMD64Size, unsafe.Offsetof(st.Size)},
		{"stat.blksize", offStatAMD64Blksize, unsafe.Offsetof(st.Blksize)},
		{"stat.blocks", offStatAMD64Blocks, unsafe.Offsetof(st.Blocks)},
		{"stat.atime", offStatAMD64Atime, unsafe.Offsetof(st.Atim)},
		{"stat.mtime", offStatAMD64Mtime, unsafe.Offsetof(st.Mtim)},
		{"stat.ctime", offStatAMD64Ctime, unsafe.Offsetof(st.Ctim)},
		{"stat.ctime_nsec", offStatAMD64CtimeNsec, unsafe.Offsetof(st.Ctim) + unsafe.Offsetof(ts.Nsec)},
		{"timespec", sizeofTimespecAMD64, unsafe.Sizeof(ts)},
		{"timespec.nsec", offTimespecAMD64Nsec, unsafe.Offsetof(ts.Nsec)},
		{"timespec64", sizeofTimespec64, unsafe.Sizeof(ts)},
		{"timeval", sizeofTimevalAMD64, unsafe.Sizeof(tv)},
		{"timeval.usec", offTimevalAMD64Usec, unsafe.Offsetof(tv.Usec)},
		{"itimerval", sizeofItimervalAMD64, unsafe.Sizeof(it)},
		{"itimerval.value", offItimervalAMD64Value, unsafe.Offsetof(it.Value)},
		{"itimerspec", sizeofItimerspecAMD64, unsafe.Sizeof(is)},
		{"itimerspec.value", offItimerspecAMD64Value, unsafe.Offsetof(is.Value)},
		{"rlimit", sizeofRlimitAMD64, unsafe.Sizeof(rl)},
		{"rlimit.max", offRlimitAMD64Max, unsafe.Offsetof(rl.Max)},
		{"rlimit64", sizeofRlimit64, unsafe.Sizeof(rl)},
		{"iovec", sizeofIovecAMD64, unsafe.Sizeof(iov)},
		{"iovec.len", offIovecAMD64Len, unsafe.Offsetof(iov.Len)},
		{"flock", sizeofFlockAMD64, unsafe.Sizeof(fl)},
		{"flock.whence", offFlockAMD64Whence, unsafe.Offsetof(fl.Whence)},
		{"flock.start", offFlockAMD64Start, unsafe.Offsetof(fl.Start)},
		{"flock.len", offFlockAMD64Len, unsafe.Offsetof(fl.Len)},
		{"flock.pid", offFlockAMD64Pid, unsafe.Offsetof(fl.Pid)},
		{"sysinfo", sizeofSysinfoAMD64, unsafe.Sizeof(si)},
		{"sysinfo.loads", offSysinfoAMD64Loads, unsafe.Offsetof(si.Loads)},
		{"sysinfo.totalram", offSysinfoAMD64Totalram, unsafe.Offsetof(si.Totalram)},
		{"sysinfo.freeswap", offSysinfoAMD64Freeswap, unsafe.Offsetof(si.Freeswap)},
		{"sysinfo.procs", offSysinfoAMD64Procs, unsafe.Offsetof(si.Procs)},
		{"sysinfo.totalhigh", offSysinfoAMD64Totalhigh, unsafe.Offsetof(si.Totalhigh)},
		{"sysinfo.freehigh", offSysinfoAMD64Freehigh, unsafe.Offsetof(si.Freehigh)},
		{"sysinfo.mem_unit", offSysinfoAMD64MemUnit, unsafe.Offsetof(si.Unit)},
		{"utsname", sizeofUtsname, unsafe.Sizeof(ut)},
		{"utsname.nodename", offUtsnameNodename, unsafe.Offsetof(ut.Nodename)},
		{"utsname.machine", offUtsnameMachine, unsafe.Offsetof(ut.Machine)},
		{"utsname.domainname", offUtsnameDomainname, unsafe.Offsetof(ut.Domainname)},
		{"rusage", sizeofRusageAMD64, unsafe.Sizeof(ru)},
		{"rusage.stime", offRusageAMD64Stime, unsafe.Offsetof(ru.Stime)},
		{"rusage.maxrss", offRusageAMD64Maxrss, unsafe.Offsetof(ru.Maxrss)},
		{"rusage.nivcsw", offRusageAMD64Nivcsw, unsafe.Offsetof(ru.Nivcsw)},
		{"statfs64", sizeofStatfs64AMD64, unsafe.Sizeof(sf)},
		{"statfs64.blocks", offStatfs64AMD64Blocks, unsafe.Offsetof(sf.Blocks)},
		{"statfs64.fsid", offStatfs64AMD64Fsid, unsafe.Offsetof(sf.Fsid)},
		{"statfs64.namelen", offStatfs64AMD64Namelen, unsafe.Offsetof(sf.Namelen)},
		{"statfs64.flags", offStatfs64AMD64Flags, unsafe.Offsetof(sf.Flags)},
		{"statfs", sizeofStatfsAMD64, unsafe.Sizeof(sf)},
		{"dirent64.off", offDirent64Off, unsafe.Offsetof(de.Off)},
		{"dirent64.reclen", offDirent64Reclen, unsafe.Offsetof(de.Reclen)},
		{"dirent64.type", offDirent64Type, unsafe.Offsetof(de.Type)},
		{"dirent64.name", offDirent64Name, unsafe.Offsetof(de.Name)},
	} {
		if c.got != c.want {
			t.Errorf("%s: generated %d, x/sys %d", c.name, c.got, c.want)
		}
	}
}
