package linux

// The process's own memory through the kernel: /proc/<tid>/mem,
// process_vm_readv and process_vm_writev, and the memory maps of
// /proc/<tid>/{maps,smaps,smaps_rollup,numa_maps}.
//
// minemu's process is the guest's process, so these name minemu's memory
// as well as the guest's: a 32-bit guest could pread64 /proc/self/mem at
// a Regions arena above 4 GiB, or find the arenas in /proc/self/maps. The
// kernel would give such a guest EIO (mem) and EFAULT (process_vm_*) there,
// because natively nothing is mapped, so minemu does the same: every
// transfer through these paths is clipped to the guest's own memory, the
// guest-visible pages of GuestSpace (guest mappings and host-heap blocks,
// the same test as passPtr's), and in Mode32 the maps files show only the
// guest-visible part of the address space.
//
// Which descriptor is such a file is decided by the opened file, not by
// the path the guest spelled: after every successful open the descriptor
// is judged (procFile) by what it is:
//
//  1. fstatfs says procfs (PROC_SUPER_MAGIC), whatever the mount point;
//  2. readlink of /proc/self/fd/N, the kernel's own path of the file (it
//     resolves symlinks, /proc/self, /proc/thread-self, *at directory
//     descriptors, /proc/self/fd/N reopens), ends in a numbered task
//     directory and one of the names mem, maps, smaps, smaps_rollup,
//     numa_maps;
//  3. the task's memory is this process's: reading the probe (32 random
//     bytes in minemu's own memory, fixed at NewProcess) at its address
//     through the task's mem file gives the probe back. That holds for
//     every thread of the thread group (the Go runtime's threads too, which
//     /proc/self/task lists) and for no other process, whatever pid
//     namespace the procfs mount belongs to. A mem descriptor is probed
//     through itself when it is readable, so the answer is about the very
//     address space it was opened on; otherwise, and for the maps files,
//     through a fresh read-only open of the task's mem.
//
// A mem descriptor of this process is remembered (Process.procMem) with its
// access mode; dup, dup2, dup3 and F_DUPFD copy the entry, close and a dup
// onto the number drop it, and every open judges its number afresh. Every
// way a guest obtains a descriptor is one of minemu's system calls, so the
// table is complete; the descriptors the guest inherited are judged at
// NewProcess. The table is the process's (Process.fdMu guards it). With
// several guest threads a transfer on a number another thread is just
// opening a mem file at could run before the open is judged: while a call
// that creates descriptors is in flight (Process.unjudged), memFD judges
// a number the table lacks itself.
//
// A maps file of this process is, in Mode32, replaced before the open
// returns: its content, read through the guest's descriptor, is
// filtered (procfs.Filter) into a memfd, which is reopened with the guest's
// access mode and status flags and put at the guest's number with dup3, so
// the guest gets the lowest free descriptor as from a plain open.

import (
	"github.com/minemu/minemu/guest/linux/procfs"

	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// memAccess is the access mode of a guest descriptor on this process's
// memory: the kernel refuses a read without memRead and a write without
// memWrite (EBADF) before it looks at the position.
type memAccess uint8

const (
	memRead memAccess = 1 << iota
	memWrite
)

// probeSize is the length of the probe.
const probeSize = 32

// maxRWCount is the kernel's MAX_RW_COUNT (INT_MAX & PAGE_MASK): the most
// a single read or write transfers.
const maxRWCount = 0x7ffff000

// newProbe fills a fresh probe with random bytes.
func newProbe() (*[probeSize]byte, error) {
	p := new([probeSize]byte)
	for n := 0; n < probeSize; {
		r, err := unix.Getrandom(p[n:], 0)
		if err != nil {
			return nil, fmt.Errorf("guest: NewProcess: getrandom: %v", err)
		}
		n += r
	}
	return p, nil
}

// readsProbe reports whether reading the probe's address through fd, a
// readable procfs mem file, gives the probe: fd's address space is this
// process's.
func (k *Process) readsProbe(fd int) bool {
	var b [probeSize]byte
	n, err := unix.Pread(fd, b[:], int64(probeAddr(k.probe)))
	return err == nil && n == probeSize && b == *k.probe
}

// procFile judges host descriptor fd (see the comment at the top).
func (k *Process) procFile(fd int) procfs.Kind {
	var fs unix.Statfs_t
	if unix.Fstatfs(fd, &fs) != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		return procfs.Other
	}
	self := "/proc/self/fd/" + strconv.Itoa(fd)
	link, err := os.Readlink(self)
	if err != nil {
		return procfs.Other
	}
	// A file whose task has died reads " (deleted)"; its address space may
	// still be ours (another thread's), which the probe decides.
	link = strings.TrimSuffix(link, " (deleted)")
	dir, name := path.Split(link)
	kind, ok := procfs.Names[name]
	if !ok || !procfs.IsDecimal(path.Base(dir)) {
		return procfs.Other
	}
	if kind == procfs.Mem && k.fdAccess(fd)&memRead != 0 {
		if k.readsProbe(fd) {
			return kind
		}
		return procfs.Other
	}
	// The task's mem, opened anew: the same file through the descriptor's
	// own link for mem, the task directory's mem for a maps file.
	p := self
	if kind != procfs.Mem {
		p = dir + "mem"
	}
	mfd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procfs.Other
	}
	defer unix.Close(mfd)
	if k.readsProbe(mfd) {
		return kind
	}
	return procfs.Other
}

// fdAccess is the access mode of host descriptor fd (none for O_PATH).
func (k *Process) fdAccess(fd int) memAccess {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_PATH != 0 {
		return 0
	}
	switch fl & unix.O_ACCMODE {
	case unix.O_RDONLY:
		return memRead
	case unix.O_WRONLY:
		return memWrite
	case unix.O_RDWR:
		return memRead | memWrite
	}
	return 0
}

// trackOpen judges guest descriptor fd after open or openat succeeded with
// flags: a mem file of this process is remembered, a maps file of it is
// replaced by its filtered content (Mode32). An errno means the open must
// fail (fd is then closed).
func (k *Process) trackOpen(fd, flags int) unix.Errno {
	k.trackClose(fd)
	switch kind := k.procFile(fd); kind {
	case procfs.Other:
		if k.otherMinemusMem(fd) {
			// Another minemu's memory (a forked child's, a parent's):
			// its guest's mappings lie among minemu's own.
			unix.Close(fd)
			return unix.EPERM
		}
		if k.minemusShmem(fd) {
			// /proc/self/map_files/... of minemu's own shared memory
			// (the dynarec heap's dual-mapped blocks): natively the guest
			// has no such mapping, so no such file.
			unix.Close(fd)
			return unix.ENOENT
		}
		// cmdline, environ and auxv are the guest program's (procself.go).
		if e := k.serveSelf(fd, flags); e != 0 {
			unix.Close(fd)
			return e
		}
	case procfs.Mem:
		a := k.fdAccess(fd)
		k.fdMu.Lock()
		k.procMem[fd] = a
		k.fdMu.Unlock()
	default:
		// An O_PATH descriptor reads nothing; a reopen through it is
		// judged when it happens.
		if k.mode == mm.Mode32 && flags&unix.O_PATH == 0 {
			if e := k.serveMaps(fd, kind, flags); e != 0 {
				unix.Close(fd)
				return e
			}
		}
	}
	return 0
}

// trackDup records that guest descriptor newfd now shares oldfd's open
// file.
func (k *Process) trackDup(oldfd, newfd int) {
	k.sigfdDup(oldfd, newfd)
	k.fdMu.Lock()
	defer k.fdMu.Unlock()
	if a, ok := k.procMem[oldfd]; ok {
		k.procMem[newfd] = a
	} else {
		delete(k.procMem, newfd)
	}
}

// trackClose records that guest descriptor fd was closed.
func (k *Process) trackClose(fd int) {
	k.sigfdClosed(fd)
	k.fdMu.Lock()
	delete(k.procMem, fd)
	k.fdMu.Unlock()
}

// memFD returns the access mode of guest descriptor fd when it is open on
// this process's memory.
func (k *Process) memFD(fd int) (a memAccess, ok bool) {
	inFlight := k.unjudged.Load() != 0 // before the table: see judging
	k.fdMu.Lock()
	a, ok = k.procMem[fd]
	k.fdMu.Unlock()
	if !ok && inFlight && k.procFile(fd) == procfs.Mem {
		// Another thread's open or dup may have just made fd, not yet
		// judged: judge it here.
		return k.fdAccess(fd), true
	}
	return a, ok
}

// judging marks a call that creates a guest descriptor (open, dup) as in
// flight until the function it returns is called, after the descriptor
// was judged. While one is, memFD judges a descriptor the table does not
// know itself: with several threads, a transfer on the new number can
// come between its creation and its entry in the table. memFD reads the
// count before the table, and a call leaves the count only after its
// entry is made, so a transfer that sees neither the entry nor the count
// started before the call (what remains is a guest racing its own close
// and open of one number: see docs/RATIONALE.md).
func (k *Process) judging() func() {
	k.unjudged.Add(1)
	return func() { k.unjudged.Add(-1) }
}

// trackInherited judges the guest's descriptors that were open before it
// ran (the kernel's own /proc/self/mem of this process cannot be among
// them unless it was opened in this very process, but a descriptor's
// history is not ours to assume).
func (k *Process) trackInherited() {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	dirfd := int(d.Fd())
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd == dirfd || k.band.Owns(fd) {
			continue
		}
		if k.procFile(fd) == procfs.Mem {
			a := k.fdAccess(fd)
			k.fdMu.Lock()
			k.procMem[fd] = a
			k.fdMu.Unlock()
		}
	}
	d.Close()
}

// visiblePrefix returns how many of the n bytes at addr are guest memory
// before the first page that is not: what the kernel would transfer
// through /proc/self/mem if the guest's mappings were all the process
// had (mem_rw copies page by page and stops at the first page it cannot
// reach).
func (k *Process) visiblePrefix(addr, n uint64) uint64 {
	limit := uint64(mm.UserLimit)
	if k.mode == mm.Mode32 {
		limit = uint64(mm.Limit32)
	}
	if n == 0 || addr >= limit {
		return 0
	}
	end := addr + min(n, limit-addr)
	visible := func(e uint64) bool {
		r, ok := mm.NewRange(mm.Addr(addr), e-addr)
		return ok && k.space.IsMapped(r, unix.PROT_NONE)
	}
	if visible(end) {
		return end - addr
	}
	// The prefix ends at a page boundary: the last one, b(c) for the
	// largest c, up to which everything is visible.
	first := (addr | mm.PageMask) + 1
	if first >= end || !visible(first) {
		return 0
	}
	b := func(c uint64) uint64 { return min(first+c*mm.PageSize, end) }
	lo, hi := uint64(0), (end-first+mm.PageSize-1)/mm.PageSize
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if visible(b(mid)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return b(lo) - addr
}

// memCount clips a transfer of n bytes through guest descriptor fd, open
// on this process's memory with access a: positional transfers (pread64,
// pwrite64) start at off, the others at the file position. It returns the
// position and the count to hand to the host, or the errno the kernel
// gives when nothing of the guest's is at the position (EIO). Where the
// kernel fails before looking at memory (a descriptor not open for the
// direction: EBADF; a negative pread64 offset: EINVAL; a range that wraps:
// EOVERFLOW), n is returned unchanged and the host says so.
func (k *Process) memCount(fd int, a memAccess, write, positional bool, off, n uint64) (pos, cnt uint64, e unix.Errno) {
	need := memRead
	if write {
		need = memWrite
	}
	if a&need == 0 || n == 0 {
		return off, n, 0
	}
	pos = off
	if positional {
		if int64(pos) < 0 {
			return pos, n, 0
		}
	} else {
		r, _, e := unix.Syscall(unix.SYS_LSEEK, uintptr(fd), 0, unix.SEEK_CUR)
		if e != 0 {
			// mem's lseek returns any position, so the last 4095 read as
			// errors; nothing is mapped there.
			return pos, n, 0
		}
		pos = uint64(r)
		if pos+n < pos || pos+n == 0 {
			return pos, n, 0
		}
	}
	n = min(n, maxRWCount)
	if cnt = k.visiblePrefix(pos, n); cnt == 0 {
		return pos, 0, unix.EIO
	}
	return pos, cnt, 0
}

// memIovecs clips iovec pairs v (base, length) of a readv or writev on a
// mem descriptor to the count memCount allows, in place, and returns the
// position and the shortened slice.
func (k *Process) memIovecs(fd int, a memAccess, write bool, v []uint64) (uint64, []uint64, unix.Errno) {
	var total uint64
	for i := 1; i < len(v); i += 2 {
		total += v[i]
	}
	pos, cnt, e := k.memCount(fd, a, write, false, 0, total)
	if e != 0 || cnt == total {
		return pos, v, e
	}
	for i := 0; i+1 < len(v); i += 2 {
		if v[i+1] >= cnt {
			v[i+1] = cnt
			return pos, v[:i+2], 0
		}
		cnt -= v[i+1]
	}
	return pos, v, 0
}

// ownMemory reports whether pid names a task whose address space is this
// process's: the process itself, a guest thread, or any other thread of
// it. t is the calling thread, whose probeBuf the answer is read into.
func (k *Process) ownMemory(t *Thread, pid int) bool {
	if pid == k.pid || pid > 0 && k.thread(pid) != nil {
		return true
	}
	if pid <= 0 {
		return false
	}
	*t.probeBuf = [probeSize]byte{}
	local := []uint64{probeAddr(t.probeBuf), probeSize}
	remote := []uint64{probeAddr(k.probe), probeSize}
	r, e := hostProcessVMCall(unix.SYS_PROCESS_VM_READV, pid, local, remote)
	return e == 0 && r == probeSize && *t.probeBuf == *k.probe
}

// serveMaps replaces guest descriptor fd, a maps file of this process
// opened with flags, by a memfd holding its content filtered to the
// guest's memory (Mode32).
func (k *Process) serveMaps(fd int, kind procfs.Kind, flags int) unix.Errno {
	// The content, through the guest's descriptor or, when that is not
	// open for reading, a read-only reopen of the same file.
	src := fd
	if k.fdAccess(fd)&memRead == 0 {
		r, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return errnoOf(err)
		}
		defer unix.Close(r)
		src = r
	}
	text, err := readAllFD(src)
	if err != nil {
		return errnoOf(err)
	}
	var smaps []byte
	if kind == procfs.SmapsRollup {
		// The rollup is the sum of the kept smaps entries.
		if smaps, err = os.ReadFile("/proc/self/smaps"); err != nil {
			return errnoOf(err)
		}
	}
	out := procfs.Filter(kind, text, smaps, k.mapsView())
	return serveContent(fd, kind.String(), flags, out)
}

// errnoOf is err's errno, EIO when it has none.
func errnoOf(err error) unix.Errno {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

// readAllFD reads host descriptor fd to its end.
func readAllFD(fd int) ([]byte, error) {
	b := make([]byte, 0, 16<<10)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

// mapsView returns what procfs.Filter needs to know of the guest's address
// space now.
func (k *Process) mapsView() *procfs.View {
	var rs []mm.AddrRange
	k.space.OwnedRanges(func(r mm.AddrRange, _ mm.Class) { rs = append(rs, r) })
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	v := &procfs.View{Limit: uint64(mm.Limit32)}
	for _, r := range rs {
		if n := len(v.Visible); n > 0 && v.Visible[n-1].End >= r.Start {
			v.Visible[n-1].End = max(v.Visible[n-1].End, r.End)
			continue
		}
		v.Visible = append(v.Visible, r)
	}
	st := k.space.Stats()
	v.BrkBase, v.Brk = st.BrkBase, st.Brk
	if top := uint64(k.space.StackTop()); top != 0 {
		v.Stack = top - 1
	}
	return v
}

// minemusShmem reports whether fd is a file with no name (shared anonymous
// memory or a memfd, as a /proc/<tid>/map_files open or a /proc/self/fd
// reopen yields) that backs a mapping of this process which is not guest
// memory: minemu's own shared memory, such as the writable view of the
// dynarec heap's code blocks. Opening it would hand the guest a writable
// descriptor to memory the guest must not reach. Only unnamed files pay
// for the walk of /proc/self/maps.
func (k *Process) minemusShmem(fd int) bool {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 0 {
		return false
	}
	es, err := mm.ReadMaps()
	if err != nil {
		return true // cannot tell: refuse rather than risk it
	}
	for _, e := range es {
		if e.Inode == st.Ino && e.DevMajor == unix.Major(st.Dev) && e.DevMinor == unix.Minor(st.Dev) &&
			!k.space.IsMapped(e.Range, 0) {
			return true
		}
	}
	return false
}

// Other minemu processes — a forked child, the parent that forked this
// one, any guest of the same user — are guests too, and their memory holds
// minemu's beside their guest's: the guest may not read or write it through
// /proc/<pid>/mem or process_vm_readv/writev (EPERM, as for a process it
// may not trace). Their maps files stay readable.

// otherMinemusMem reports whether host descriptor fd (judged not to be
// this process's) is the mem file of a task of another minemu process.
func (k *Process) otherMinemusMem(fd int) bool {
	var fs unix.Statfs_t
	if unix.Fstatfs(fd, &fs) != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		return false
	}
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return false
	}
	dir, name := path.Split(strings.TrimSuffix(link, " (deleted)"))
	if name != "mem" || !procfs.IsDecimal(path.Base(dir)) {
		return false
	}
	return sameFile(dir+"exe", "/proc/self/exe")
}

// isMinemu reports whether process pid runs minemu's executable.
func isMinemu(pid int) bool {
	return pid > 0 && sameFile("/proc/"+strconv.Itoa(pid)+"/exe", "/proc/self/exe")
}

// sameFile reports whether paths a and b name the same file.
func sameFile(a, b string) bool {
	var sa, sb unix.Stat_t
	return unix.Stat(a, &sa) == nil && unix.Stat(b, &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
