package linux

// Processes: fork, vfork, execve, wait4, waitid, waitpid, process groups.
//
// A guest's fork and execve continue in a new minemu (guest/linux/forkexec
// says why and how): fork raw-forks this process, whose child copies the
// guest's private memory into an image and execs minemu to restore it;
// execve execs minemu on the new program. Either way the guest's process
// is a real host process: its pid, its parent, its children, its process
// group and session are the kernel's, and wait4 and friends are the
// host's calls, translated.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/fdband"
	"github.com/minemu/minemu/guest/linux/forkexec"
	"github.com/minemu/minemu/mm"
)

// SpawnConfig says how a guest continues in a new minemu (fork, execve).
type SpawnConfig struct {
	// Exe is minemu's own executable; "" makes fork and execve ENOSYS.
	Exe string
	// Args are the `minemu run` options the new minemu repeats, before
	// the ones fork and execve add.
	Args []string
}

// Limits of execve's arguments, as the kernel's: one string at most
// MAX_ARG_STRLEN bytes, at most MAX_ARG_STRINGS of them, and all of them
// together within a quarter of the stack limit (at least 32 pages,
// bprm_stack_limits); E2BIG beyond.
const (
	maxArgStrlen  = 32 * mm.PageSize
	maxArgStrings = 0x7fffffff
	minArgSpace   = 32 * mm.PageSize
)

// sysFork is fork(2) (and clone without CLONE_VM with the exit signal
// SIGCHLD): the child is a new process continuing the guest.
func sysFork(k *Process, s *sysCall) int64 { return k.fork(s, forkOpts{exitSig: int(unix.SIGCHLD)}) }

// sysVfork is vfork(2): fork, and the parent waits until the child has
// exec'd or exited.
func sysVfork(k *Process, s *sysCall) int64 {
	return k.fork(s, forkOpts{exitSig: int(unix.SIGCHLD), vfork: true})
}

// forkOpts are the clone flags a process-making clone may carry.
type forkOpts struct {
	// exitSig is the signal the parent gets when the child ends.
	exitSig int
	// vfork suspends the parent until the child execs or exits.
	vfork bool
	// newSP is the child's stack pointer (0: the parent's).
	newSP uint64
	// childSetTID and childClearTID are CLONE_CHILD_SETTID's and
	// CLONE_CHILD_CLEARTID's address in the child (0: none); parentSetTID
	// CLONE_PARENT_SETTID's in the parent.
	childSetTID, childClearTID, parentSetTID uint64
}

// cloneProcessFlags are the flags a clone without CLONE_VM may carry (with
// CLONE_VM only together with CLONE_VFORK: posix_spawn's child, which is
// then run as vfork's); CLONE_PTRACE, CLONE_UNTRACED, CLONE_IO and
// CLONE_SYSVSEM change nothing minemu emulates.
const cloneProcessFlags = unix.CLONE_CHILD_SETTID | unix.CLONE_CHILD_CLEARTID | unix.CLONE_PARENT_SETTID |
	unix.CLONE_VFORK | unix.CLONE_PTRACE | unix.CLONE_UNTRACED | unix.CLONE_IO | unix.CLONE_SYSVSEM | 0xff

// cloneProcess is clone(2) making a process (no CLONE_VM, or CLONE_VM with
// CLONE_VFORK). The argument order is the ABI's: x86-64 (flags, stack,
// parent_tid, child_tid, tls), i386 (flags, stack, parent_tid, tls,
// child_tid).
func (k *Process) cloneProcess(s *sysCall) int64 {
	flags := s.a[0]
	ctid := s.a[3]
	if s.abi == cpu.ABIi386 {
		ctid = s.a[4]
	}
	vm := flags&unix.CLONE_VM != 0
	if flags&^(cloneProcessFlags|unix.CLONE_VM|unix.CLONE_FS) != 0 || vm && flags&unix.CLONE_VFORK == 0 {
		k.log.Info().Uint64("flags", flags).Msg("clone: flags minemu cannot give a new process")
		return -int64(unix.EINVAL)
	}
	o := forkOpts{exitSig: int(flags & 0xff), vfork: flags&unix.CLONE_VFORK != 0, newSP: s.a[1]}
	if o.exitSig > 64 {
		return -int64(unix.EINVAL)
	}
	if flags&unix.CLONE_CHILD_SETTID != 0 {
		o.childSetTID = ctid
	}
	if flags&unix.CLONE_CHILD_CLEARTID != 0 {
		o.childClearTID = ctid
	}
	if flags&unix.CLONE_PARENT_SETTID != 0 {
		o.parentSetTID = s.a[2]
	}
	return k.fork(s, o)
}

// forkCount numbers the images this process made, for their memfd names.
var forkCount atomic.Uint64

// fork makes the child process. Its result is the child's pid, or -errno
// (EAGAIN when the host cannot fork, ENOMEM when the image cannot be made,
// ENOSYS when minemu was not told its own executable).
func (k *Process) fork(s *sysCall, o forkOpts) int64 {
	vfork := o.vfork
	if k.spawn.Exe == "" {
		return -int64(unix.ENOSYS)
	}
	img := forkexec.Image{Kind: forkexec.KindFork, Mode: k.mode, CPU: s.c.MarshalState(), ExePath: k.exePath,
		NewSP: o.newSP, ChildSetTID: o.childSetTID, ChildClearTID: o.childClearTID}
	k.sigMu.Lock()
	for i, a := range k.sigActions {
		img.Actions[i] = forkexec.SigAction{Handler: a.Handler, Flags: a.Flags, Restorer: a.Restorer, Mask: uint64(a.Mask)}
	}
	img.SigMask = s.t.sigMask
	k.sigMu.Unlock()
	alt := s.t.sig.alt
	img.AltSP, img.AltSize, img.AltFlags = alt.SP, alt.Size, int32(alt.Flags)
	for i, d := range s.t.gdt {
		img.GDT[i] = forkexec.TLS{Used: d.used, Base: d.base, Limit: d.limit, Flags: d.flags}
	}
	k.limMu.Lock()
	copy(img.Rlimits[:], k.rlim[:])
	k.limMu.Unlock()
	k.execMu.Lock()
	img.ArgStart, img.ArgEnd, img.EnvStart, img.EnvEnd = k.exec.ArgStart, k.exec.ArgEnd, k.exec.EnvStart, k.exec.EnvEnd
	img.Auxv = append([]uint64(nil), k.exec.Auxv...)
	k.execMu.Unlock()
	if b, err := os.ReadFile("/proc/thread-self/comm"); err == nil {
		img.Comm = strings.TrimSuffix(string(b), "\n")
	}

	// What the child inherits beyond its copy of memory: the image and
	// every shared mapping's object, in minemu's band.
	var keep []int
	defer func() {
		for _, fd := range keep {
			k.band.Release(fd)
		}
	}()
	fi := k.space.ForkImage()
	img.BrkBase, img.Brk = uint64(fi.BrkBase), uint64(fi.Brk)
	var maps []mm.MapsEntry
	for _, a := range fi.Areas {
		ar := forkexec.Area{ForkArea: a, FD: -1}
		if a.Shared() {
			if maps == nil {
				var err error
				if maps, err = mm.ReadMaps(); err != nil {
					return -int64(unix.ENOMEM)
				}
			}
			fd, off, errno := k.sharedObject(a, maps)
			if errno != 0 {
				k.log.Info().Stringer("range", a.Range).Str("errno", errno.Error()).Msg("fork: a shared mapping cannot be given to the child")
				return -int64(unix.ENOMEM)
			}
			keep = append(keep, fd)
			ar.FD, ar.Off = fd, off
		}
		img.Areas = append(img.Areas, ar)
	}
	var vforkR int
	if vfork {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return errno(err)
		}
		r, err1 := k.band.Move(p[0])
		w, err2 := k.band.Move(p[1])
		if err1 != nil || err2 != nil {
			unix.Close(r)
			unix.Close(w)
			return -int64(unix.EMFILE)
		}
		vforkR = r
		defer k.band.Release(vforkR)
		keep = append(keep, w)
		img.Vfork, img.VforkFD = true, w
	}

	mfd, err := unix.MemfdCreate("minemu-fork-"+strconv.FormatUint(forkCount.Add(1), 10), unix.MFD_CLOEXEC)
	if err != nil {
		return -int64(unix.ENOMEM)
	}
	if mfd, err = k.band.Move(mfd); err != nil {
		unix.Close(mfd)
		return -int64(unix.EMFILE)
	}
	keep = append(keep, mfd)
	img.GuestFDs = k.band.Start()
	hdr, total, err := img.Build()
	if err != nil {
		return -int64(unix.ENOMEM)
	}
	if err := unix.Ftruncate(mfd, total); err != nil {
		return -int64(unix.ENOMEM)
	}
	if n, err := unix.Pwrite(mfd, hdr, 0); err != nil || n != len(hdr) {
		return -int64(unix.ENOMEM)
	}
	sp := forkexec.Spawn{MemFD: mfd, Keep: keep, Path: k.spawn.Exe, Env: minemuEnv(), IgnoredSig: k.ignoredSet(), ExitSignal: o.exitSig,
		GuestFDs: img.GuestFDs, CloexecOff: img.CloexecOff, NotGuest: k.band.Hidden()}
	if fds, err := fdband.OpenFDs(); err == nil {
		sp.Open = fds
	}
	for _, a := range img.Areas {
		if !a.Shared() {
			sp.Copy = append(sp.Copy, forkexec.CopyRange{Addr: uint64(a.Range.Start), Len: a.Range.Length(), Off: a.Off, Unreadable: a.Prot&unix.PROT_READ == 0})
		}
	}
	sp.Argv = append(append([]string{k.spawn.Exe, "run"}, k.spawn.Args...), "--restore", strconv.Itoa(mfd))
	pid, err := forkexec.Fork(&sp)
	if err != nil {
		k.log.Info().Err(err).Msg("fork failed")
		return -int64(unix.EAGAIN)
	}
	if o.parentSetTID != 0 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(pid))
		k.copyOut(o.parentSetTID, b[:]) // the kernel ignores a bad address here too
	}
	if vfork {
		// The child closes its end when it execs or exits; ours must be
		// the only other one.
		k.band.Release(img.VforkFD)
		keep = slices.DeleteFunc(keep, func(fd int) bool { return fd == img.VforkFD })
		k.vforkWait(vforkR)
	}
	return int64(pid)
}

// vforkWait suspends a vfork's parent until its child execs or exits,
// writing into the parent's memory the pages the child changed before
// that (records of an 8-byte address, an 8-byte length and the bytes),
// which natively the two share.
func (k *Process) vforkWait(fd int) {
	r := bufio.NewReader(rawFD(fd))
	var hdr [16]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		addr, n := binary.LittleEndian.Uint64(hdr[:]), binary.LittleEndian.Uint64(hdr[8:])
		if n > 1<<30 {
			break
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			break
		}
		if _, e := k.checkUser(addr, n, unix.PROT_WRITE); e == 0 {
			k.copyOut(addr, b)
		}
	}
}

// rawFD reads and writes a descriptor minemu keeps in its band, without
// an os.File (whose finalizer would close the number behind the band's
// back), retrying on EINTR.
type rawFD int

func (fd rawFD) Read(b []byte) (int, error) {
	for {
		n, err := unix.Read(int(fd), b)
		if err == unix.EINTR {
			continue
		}
		if n == 0 && err == nil && len(b) > 0 {
			return 0, io.EOF
		}
		return max(n, 0), err
	}
}

func (fd rawFD) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Write(int(fd), b[done:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

// vforkChild is a vfork child's side of its parent's wait.
type vforkChild struct {
	// fd is the band descriptor the parent reads; img the image the
	// child started from, against which its writes are found.
	fd  int
	img *forkexec.Restored
}

// ReleaseVfork ends a vfork parent's wait, if this process is a vfork
// child that has not released it yet: the pages the child changed go to
// the parent, then the descriptor is closed. Called when the guest execs
// and when it ends.
func (k *Process) ReleaseVfork() {
	v := k.vfork.Swap(nil)
	if v == nil {
		return
	}
	w := bufio.NewWriterSize(rawFD(v.fd), 1<<16)
	var hdr [16]byte
	v.img.Changed(func(r mm.AddrRange) bool { return k.space.IsMapped(r, unix.PROT_READ) }, func(addr uint64, b []byte) error {
		binary.LittleEndian.PutUint64(hdr[:], addr)
		binary.LittleEndian.PutUint64(hdr[8:], uint64(len(b)))
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		_, err := w.Write(b)
		return err
	})
	w.Flush()
	k.band.Release(v.fd)
	v.img.Close()
}

// sharedObject opens the object behind the guest's shared mapping a (a
// file, or the shared memory of MAP_SHARED|MAP_ANONYMOUS) through
// /proc/self/map_files, for the child to map again, and returns the band
// descriptor and the object offset of a's start. Opening map_files needs
// CAP_CHECKPOINT_RESTORE (or CAP_SYS_ADMIN); without it a file mapping is
// reopened by the name /proc/self/maps gives, checked to be the same
// file, and anonymous shared memory cannot be passed on (EPERM).
func (k *Process) sharedObject(a mm.ForkArea, maps []mm.MapsEntry) (int, int64, unix.Errno) {
	var e *mm.MapsEntry
	for i := range maps {
		if maps[i].Range.Start <= a.Range.Start && a.Range.Start < maps[i].Range.End {
			e = &maps[i]
			break
		}
	}
	if e == nil {
		return -1, 0, unix.EFAULT
	}
	off := int64(e.Offset + uint64(a.Range.Start-e.Range.Start))
	mode := unix.O_RDONLY
	if a.Prot&unix.PROT_WRITE != 0 {
		mode = unix.O_RDWR
	}
	name := fmt.Sprintf("/proc/self/map_files/%x-%x", uint64(e.Range.Start), uint64(e.Range.End))
	fd, err := unix.Open(name, mode|unix.O_CLOEXEC, 0)
	if err != nil && a.Flags&unix.MAP_ANONYMOUS == 0 && strings.HasPrefix(e.Path, "/") {
		fd, err = unix.Open(e.Path, mode|unix.O_CLOEXEC, 0)
		var st unix.Stat_t
		if err == nil && (unix.Fstat(fd, &st) != nil || st.Ino != e.Inode ||
			unix.Major(st.Dev) != e.DevMajor || unix.Minor(st.Dev) != e.DevMinor) {
			unix.Close(fd)
			err = unix.ENOENT
		}
	}
	if err != nil {
		return -1, 0, err.(unix.Errno)
	}
	nfd, err := k.band.Move(fd)
	if err != nil {
		unix.Close(fd)
		return -1, 0, unix.EMFILE
	}
	return nfd, off, 0
}

// ignoredSet is the set of signals the guest ignores (bit n-1).
func (k *Process) ignoredSet() uint64 {
	k.sigMu.Lock()
	defer k.sigMu.Unlock()
	var set uint64
	for i, a := range k.sigActions {
		if a.Handler == sigIgn {
			set |= 1 << i
		}
	}
	return set
}

// sigIgn is SIG_IGN as a handler value.
const sigIgn = 1

// sysExecve is execve(2): the program at the path runs in place of the
// guest, under a new minemu with the same options, in this process (the
// pid stays; the kernel closes the close-on-exec descriptors, resets
// caught signals and keeps ignored ones and the mask, which the image
// carries to the new minemu). Everything that can fail is checked first,
// so a failed execve returns to the guest as the kernel's does.
func sysExecve(k *Process, s *sysCall) int64 {
	if k.spawn.Exe == "" {
		return -int64(unix.ENOSYS)
	}
	path, e := k.path(s.a[0])
	if e != 0 {
		return -int64(e)
	}
	argv, e := k.readStrings(s.abi, s.a[1])
	if e != 0 {
		return -int64(e)
	}
	envp, e := k.readStrings(s.abi, s.a[2])
	if e != 0 {
		return -int64(e)
	}
	if e := k.argSpace(path, argv, envp); e != 0 {
		return -int64(e)
	}
	prog, progArgs, e := resolveExec(k.hostPath(path), argv)
	if e != 0 {
		return -int64(e)
	}
	argv0 := ""
	if len(argv) > 0 {
		argv0 = argv[0]
	}
	img := forkexec.Image{Kind: forkexec.KindExec, Mode: k.mode, Argv0: argv0, ExecFn: path, Ignored: k.ignoredSet(), Env: envp}
	k.sigMu.Lock()
	img.SigMask = s.t.sigMask
	k.sigMu.Unlock()
	k.limMu.Lock()
	copy(img.Rlimits[:], k.rlim[:])
	k.limMu.Unlock()
	if prog != path {
		// A script: argv[0] is the interpreter's, as binfmt_script gives.
		img.Argv0 = progArgs[0]
	}
	hdr, _, err := img.Encode()
	if err != nil {
		return -int64(unix.ENOMEM)
	}
	mfd, err := unix.MemfdCreate("minemu-exec", 0)
	if err != nil {
		return -int64(unix.ENOMEM)
	}
	if n, err := unix.Pwrite(mfd, hdr, 0); err != nil || n != len(hdr) {
		unix.Close(mfd)
		return -int64(unix.ENOMEM)
	}
	args := append(append([]string{k.spawn.Exe, "run"}, k.spawn.Args...), "--restore", strconv.Itoa(mfd), "--", prog)
	args = append(args, progArgs[1:]...)
	k.ReleaseVfork()
	err = syscall.Exec(k.spawn.Exe, args, minemuEnv())
	unix.Close(mfd)
	return errno(err)
}

// readStrings reads a NULL-terminated array of guest string pointers (the
// ABI's pointer width) as execve does; a NULL array is empty.
func (k *Process) readStrings(abi cpu.ABI, addr uint64) ([]string, unix.Errno) {
	if addr == 0 {
		return nil, 0
	}
	w := uint64(8)
	if abi == cpu.ABIi386 {
		w = 4
	}
	var out []string
	var b [8]byte
	for i := uint64(0); ; i++ {
		if i >= 1<<20 {
			return nil, unix.E2BIG
		}
		if e := k.copyIn(addr+i*w, b[:w]); e != 0 {
			return nil, e
		}
		p := binary.LittleEndian.Uint64(b[:])
		if w == 4 {
			p = uint64(binary.LittleEndian.Uint32(b[:4]))
		}
		if p == 0 {
			return out, 0
		}
		str, e := k.readString(p, maxArgStrlen)
		if e != 0 {
			if e == unix.ENAMETOOLONG {
				e = unix.E2BIG
			}
			return nil, e
		}
		out = append(out, str)
	}
}

// argSpace checks execve's arguments against the kernel's limits.
func (k *Process) argSpace(path string, argv, envp []string) unix.Errno {
	limit := uint64(minArgSpace)
	k.limMu.Lock()
	if st := k.rlim[unix.RLIMIT_STACK].Cur; st/4 > limit {
		limit = st / 4
	}
	k.limMu.Unlock()
	n := uint64(len(path) + 1)
	for _, l := range [][]string{argv, envp} {
		for _, a := range l {
			n += uint64(len(a)) + 1 + 8 // the string and its pointer
		}
	}
	if n > limit || len(argv)+len(envp) > maxArgStrings {
		return unix.E2BIG
	}
	return 0
}

// maxScriptDepth is how many #! interpreters may follow each other
// (binfmt_script through search_binary_handler's recursion limit).
const maxScriptDepth = 4

// resolveExec checks the program at path as the kernel's execve would
// before the point of no return: it must be a regular executable file
// (EACCES otherwise, ENOENT and the like from the lookup), an ELF minemu
// can run or a #! script whose interpreter is one (ENOEXEC otherwise). It
// returns the program minemu is to load and its argv.
func resolveExec(path string, argv []string) (string, []string, unix.Errno) {
	if len(argv) == 0 {
		argv = []string{""}
	}
	for depth := 0; ; depth++ {
		if depth > maxScriptDepth {
			return "", nil, unix.ELOOP
		}
		head, e := execHead(path)
		if e != 0 {
			return "", nil, e
		}
		if !bytes.HasPrefix(head, []byte("#!")) {
			if !isRunnableELF(head) {
				return "", nil, unix.ENOEXEC
			}
			return path, argv, 0
		}
		interp, arg, ok := parseShebang(head)
		if !ok {
			return "", nil, unix.ENOEXEC
		}
		next := []string{interp}
		if arg != "" {
			next = append(next, arg)
		}
		argv = append(append(next, path), argv[1:]...)
		path = interp
	}
}

// execHead opens path as execve does (a regular file with execute
// permission) and returns its first bytes.
func execHead(path string) ([]byte, unix.Errno) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err.(unix.Errno)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err.(unix.Errno)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, unix.EACCES
	}
	if err := unix.Faccessat(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS); err != nil {
		return nil, err.(unix.Errno)
	}
	b := make([]byte, 256) // BINPRM_BUF_SIZE
	n, err := unix.Pread(fd, b, 0)
	if err != nil {
		return nil, err.(unix.Errno)
	}
	return b[:n], 0
}

// isRunnableELF reports whether head starts an x86 ELF executable of
// either class.
func isRunnableELF(head []byte) bool {
	if len(head) < 20 || string(head[:4]) != "\x7fELF" || head[5] != 1 {
		return false
	}
	typ, mach := binary.LittleEndian.Uint16(head[16:]), binary.LittleEndian.Uint16(head[18:])
	if typ != 2 && typ != 3 { // ET_EXEC, ET_DYN
		return false
	}
	switch head[4] {
	case 1:
		return mach == 3 // EM_386
	case 2:
		return mach == 62 // EM_X86_64
	}
	return false
}

// parseShebang parses a #! line as binfmt_script does: the interpreter is
// the first word after #! (blanks skipped), the optional argument is the
// rest of the line with surrounding blanks removed; the line ends at a
// newline or the end of the buffer.
func parseShebang(head []byte) (interp, arg string, ok bool) {
	line := head[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if len(head) == 256 {
		// The interpreter must end inside the buffer.
		trimmed := bytes.TrimLeft(line, " \t")
		if bytes.IndexAny(trimmed, " \t") < 0 {
			return "", "", false
		}
	}
	line = bytes.Trim(line, " \t")
	if len(line) == 0 {
		return "", "", false
	}
	i := bytes.IndexAny(line, " \t")
	if i < 0 {
		return string(line), "", true
	}
	return string(line[:i]), string(bytes.Trim(line[i:], " \t")), true
}

// sysWait4 is wait4(2) on the host, with the status and the i386 rusage
// written back.
func sysWait4(k *Process, s *sysCall) int64 {
	return k.wait4(s, s.int32Arg(0), s.a[1], s.int32Arg(2), s.a[3])
}

// sysWaitpid is the i386 waitpid(2): wait4 without rusage.
func sysWaitpid(k *Process, s *sysCall) int64 {
	return k.wait4(s, s.int32Arg(0), s.a[1], s.int32Arg(2), 0)
}

// wait4Options are the options wait4 accepts (kernel_wait4).
const wait4Options = unix.WNOHANG | unix.WUNTRACED | unix.WCONTINUED | unix.WALL | unix.WCLONE | unix.WNOTHREAD

func (k *Process) wait4(s *sysCall, pid int, statusAddr uint64, options int, ruAddr uint64) int64 {
	if options&^wait4Options != 0 {
		return -int64(unix.EINVAL)
	}
	if statusAddr != 0 {
		if _, e := k.checkUser(statusAddr, 4, unix.PROT_WRITE); e != 0 {
			return -int64(e)
		}
	}
	if ruAddr != 0 {
		if _, e := k.checkUser(ruAddr, uint64(sizeofRusage(s.abi)), unix.PROT_WRITE); e != 0 {
			return -int64(e)
		}
	}
	r, e := s.t.wait4Blocking(pid, options, ruAddr != 0)
	if e != 0 {
		return -int64(e)
	}
	ws, ru := unix.WaitStatus(s.t.waitBuf.status), s.t.waitBuf.ru
	if r > 0 && statusAddr != 0 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(ws))
		if e := k.copyOut(statusAddr, b[:]); e != 0 {
			return -int64(e)
		}
	}
	if r > 0 && ruAddr != 0 {
		if e := k.copyOut(ruAddr, rusageOut(s.abi, &ru)); e != 0 {
			return -int64(e)
		}
	}
	return int64(r)
}

// rusageOut encodes a host rusage in the guest's layout.
func rusageOut(abi cpu.ABI, ru *unix.Rusage) []byte {
	v := cRusage{
		Utime: cTimeval{Sec: ru.Utime.Sec, Usec: ru.Utime.Usec}, Stime: cTimeval{Sec: ru.Stime.Sec, Usec: ru.Stime.Usec},
		Maxrss: ru.Maxrss, Ixrss: ru.Ixrss, Idrss: ru.Idrss, Isrss: ru.Isrss, Minflt: ru.Minflt, Majflt: ru.Majflt,
		Nswap: ru.Nswap, Inblock: ru.Inblock, Oublock: ru.Oublock, Msgsnd: ru.Msgsnd, Msgrcv: ru.Msgrcv,
		Nsignals: ru.Nsignals, Nvcsw: ru.Nvcsw, Nivcsw: ru.Nivcsw,
	}
	return v.encode(abi, make([]byte, sizeofRusage(abi)))
}

// sysWaitid is waitid(2) on the host: the siginfo (SIGCHLD's fields) and
// the rusage written back in the guest's layouts.
func sysWaitid(k *Process, s *sysCall) int64 {
	idtype, id, infoAddr, options, ruAddr := s.int32Arg(0), s.int32Arg(1), s.a[2], s.int32Arg(3), s.a[4]
	if infoAddr != 0 {
		if _, e := k.checkUser(infoAddr, 128, unix.PROT_WRITE); e != 0 {
			return -int64(e)
		}
	}
	if ruAddr != 0 {
		if _, e := k.checkUser(ruAddr, uint64(sizeofRusage(s.abi)), unix.PROT_WRITE); e != 0 {
			return -int64(e)
		}
	}
	var info [128]byte
	var ru unix.Rusage
	var rup uintptr
	if ruAddr != 0 {
		rup = rusagePtr(&ru)
	}
	r, e := waitidRaw(idtype, id, &info, options, rup)
	if e != 0 {
		return -int64(e)
	}
	if infoAddr != 0 {
		out := info[:]
		if s.abi == cpu.ABIi386 {
			out = siginfoChldI386(&info)
		}
		if e := k.copyOut(infoAddr, out); e != 0 {
			return -int64(e)
		}
	}
	if ruAddr != 0 {
		if e := k.copyOut(ruAddr, rusageOut(s.abi, &ru)); e != 0 {
			return -int64(e)
		}
	}
	return int64(r)
}

// siginfoChldI386 turns the host's SIGCHLD siginfo into compat_siginfo:
// signo, errno, code, then pid, uid, status and the 32-bit utime and
// stime (the x86-64 union starts at 16, the i386 one at 12).
func siginfoChldI386(h *[128]byte) []byte {
	var g [128]byte
	copy(g[0:12], h[0:12])
	le := binary.LittleEndian
	le.PutUint32(g[12:], le.Uint32(h[16:])) // pid
	le.PutUint32(g[16:], le.Uint32(h[20:])) // uid
	le.PutUint32(g[20:], le.Uint32(h[24:])) // status
	le.PutUint32(g[24:], uint32(le.Uint64(h[32:])))
	le.PutUint32(g[28:], uint32(le.Uint64(h[40:])))
	return g[:]
}

// sysSetpgid and sysSetsid are the host's: the guest's process is minemu's.
func sysSetpgid(k *Process, s *sysCall) int64 {
	r, _, e := unix.RawSyscall(unix.SYS_SETPGID, uintptr(s.int32Arg(0)), uintptr(s.int32Arg(1)), 0)
	return hostRet(r, e)
}

func sysSetsid(k *Process, s *sysCall) int64 {
	r, _, e := unix.RawSyscall(unix.SYS_SETSID, 0, 0, 0)
	return hostRet(r, e)
}

// Notes of the process entries.
const (
	noteFork   = "the child is a new minemu restoring the guest; MAP_SHARED|MAP_ANONYMOUS memory is shared with it only when /proc/self/map_files can be opened (CAP_CHECKPOINT_RESTORE), else ENOMEM"
	noteVfork  = "fork, the parent waiting until the child execs or exits; the child's writes to memory do not reach the parent"
	noteClone  = "threads (CLONE_VM|CLONE_THREAD) on OS threads of their own; processes (no CLONE_VM, or CLONE_VM|CLONE_VFORK, run as vfork) in a new minemu"
	noteExecve = "the program runs under a new minemu with the same options; x86 ELF executables and #! scripts, others ENOEXEC"
)

// sysClone is clone(2): a clone that makes a process (no CLONE_VM, or
// CLONE_VM with CLONE_VFORK) is cloneProcess's, one that makes a thread
// sysCloneThread's.
func sysClone(k *Process, s *sysCall) int64 {
	if s.a[0]&unix.CLONE_VM == 0 || s.a[0]&unix.CLONE_VFORK != 0 {
		return k.cloneProcess(s)
	}
	return sysCloneThread(k, s)
}

// minemuEnv is the environment a new minemu starts with: this one's,
// without the variables the host's dynamic loader acts on (a PIE minemu is
// started by it), which may be the guest's.
func minemuEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "LD_") {
			env = append(env, e)
		}
	}
	return env
}
