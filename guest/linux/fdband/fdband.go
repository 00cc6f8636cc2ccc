// Package fdband keeps minemu's own file descriptors out of the guest's
// sight.
//
// The guest and minemu share one descriptor table (the guest's fd N is
// the host's fd N, so descriptors pass to the kernel unchanged), and the
// kernel numbers every new descriptor lowest-free. minemu's own
// descriptors must therefore not sit at low numbers: a guest whose first
// open returns 5 instead of 3, or that sees two unknown entries in
// /proc/self/fd, is not running as it would natively. They live in a band
// of fdBandSize numbers above everything the guest may use: the guest's
// RLIMIT_NOFILE (soft and hard) is at most the band's start (see
// docs/RATIONALE.md, "Why a descriptor band above the guest's limit?").
//
// PrepareHost sets the band up once per process, before anything of
// minemu opens a file:
//
//  1. It lists the descriptors already open. Those are the guest's
//     (inherited from the parent, like a shell's `3<file`), except the
//     Go runtime's own: the cgroup limit files it keeps open when
//     GODEBUG=containermaxprocs=1 (cmd/minemu turns that off), and its
//     network poller's epoll and eventfd descriptors if something
//     initialized the poller before PrepareHost (a non-blocking stdout
//     does, in package os's init). Those cannot be moved (the runtime
//     keeps their numbers), so they stay where they are, hidden from the
//     guest.
//  2. It learns the RLIMIT_NOFILE soft limit the process was started
//     with, which Go's syscall package raised before main
//     (probeNofile).
//  3. It places the band (fdBandPlace), grows the descriptor table to
//     hold it with one dup to the band's last number (the kernel then
//     never has to grow the table again for the guest's numbers),
//     occupies every free number below the band with placeholders, and
//     makes the Go runtime initialize its poller, which therefore gets
//     the band's first free numbers, then takes one more band number for
//     its own probe descriptor, and closes the placeholders.
//
// Afterwards the guest can neither name, close, dup onto nor see a band
// descriptor (the Linux layer's descriptor checks, the dup family, getdents64 of /proc/self/fd,
// paths through /proc/self/fd), and its numbering is the kernel's.
// minemu's later transient opens (the ELF loader, /proc/self/maps, the
// --stats file) take the lowest free number for as long as they are open,
// which is invisible to the guest because the guest is stopped meanwhile;
// a descriptor minemu keeps must be moved into the band (Band.Move).

package fdband

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"path"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fdBandSize is the number of descriptor numbers reserved for minemu.
// It needs two for the Go runtime's poller and one for the probe
// descriptor; the rest is room for descriptors minemu will keep (threads,
// signals, child processes). Owned numbers are tracked in one 64-bit mask.
const fdBandSize = 64

// The band starts at the original soft limit, but at least at
// fdBandMinStart, so that a guest may raise its soft limit a little (the
// kernel's default soft limit is 1024, its hard limit usually far
// higher), and at most at fdBandMaxStart: every number below the band is
// briefly occupied by a placeholder at startup (about 0.35 us each), and
// the kernel's table holds a pointer per number.
const (
	fdBandMinStart = 4096
	fdBandMaxStart = 8192
	// fdBandMinGuest is the fewest descriptor numbers a guest gets: a
	// hard limit that leaves fewer below the band is an error.
	fdBandMinGuest = 16
)

// Band is the process's reserved range of descriptor numbers and the
// descriptor facts learned at startup. It is created once by PrepareHost
// and never changes except for which band numbers are owned.
type Band struct {
	// start and end delimit the band [start, end); end-start ==
	// fdBandSize. Fixed.
	start, end int
	// owned has bit n-start set while band number n is minemu's (the
	// poller's, the probe's, a moved one). Updated atomically; a number
	// of the band that is not owned may be a descriptor the guest
	// inherited there.
	owned atomic.Uint64
	// hidden are minemu's descriptors below the band that could not be
	// moved (the runtime's, see the file comment); sorted, fixed.
	hidden []int
	// probe is a band descriptor (O_PATH of "/") that LowestFree
	// duplicates. Fixed.
	probe int
	// nofile is the RLIMIT_NOFILE the process was started with, its
	// soft value as before Go raised it. Fixed.
	nofile unix.Rlimit
	// limits are all resource limits as the process started (nofile
	// for RLIMIT_NOFILE). Fixed.
	limits [NLimits]unix.Rlimit
	// setup is how long PrepareHost took; notes are what it could not do
	// as designed, for the log. Fixed.
	setup time.Duration
	notes []string
}

var (
	hostOnce sync.Once
	hostBand *Band
	hostErr  error
)

// PrepareHost sets up the descriptor band and records the process's
// starting resource limits (the guest's: see the Linux layer's resource limits), raising
// minemu's own soft RLIMIT_AS and RLIMIT_DATA to the hard values; it runs
// its work once per process and returns the same band to every caller.
// cmd/minemu calls it first thing, before anything opens a file; NewProcess
// calls it for tests.
func PrepareHost() (*Band, error) {
	hostOnce.Do(func() { hostBand, hostErr = prepareHost() })
	return hostBand, hostErr
}

func prepareHost() (*Band, error) {
	t0 := time.Now()
	b := &Band{probe: -1}
	before, err := OpenFDs()
	if err != nil {
		return nil, fmt.Errorf("guest: listing open descriptors: %w", err)
	}
	for r := range b.limits {
		if err := unix.Getrlimit(r, &b.limits[r]); err != nil {
			b.limits[r] = unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
		}
	}
	cur := b.limits[unix.RLIMIT_NOFILE]
	b.nofile = cur
	// Go raises the soft limit to hard-1 when it was lower; only then is
	// the original unknown here.
	if cur.Max > 1 && cur.Cur == cur.Max-1 {
		if orig, err := probeNofile(); err == nil && orig.Max == cur.Max && orig.Cur <= cur.Cur {
			b.nofile = orig
		} else {
			b.note("original RLIMIT_NOFILE soft limit unknown (%v); the guest gets %d", err, cur.Cur)
		}
	}
	b.limits[unix.RLIMIT_NOFILE] = b.nofile
	// The soft AS and DATA limits the process started with are the
	// guest's (GuestSpace enforces them on its mappings); minemu's own
	// memory may use the hard ones.
	for _, r := range []int{unix.RLIMIT_AS, unix.RLIMIT_DATA} {
		if l := b.limits[r]; l.Cur < l.Max {
			l.Cur = l.Max
			if err := unix.Setrlimit(r, &l); err != nil {
				b.note("raising minemu's own soft limit %d: %v", r, err)
			}
		}
	}
	start, ok := fdBandPlace(b.nofile.Cur, cur.Cur)
	if !ok {
		return nil, fmt.Errorf("guest: RLIMIT_NOFILE %d leaves fewer than %d descriptors for the guest below minemu's %d", cur.Cur, fdBandMinGuest, fdBandSize)
	}
	b.start, b.end = start, start+fdBandSize

	// The runtime's unmovable descriptors among those open before.
	for _, fd := range before {
		if fd > 2 && isRuntimeCgroupFile(fd) {
			b.hide(fd)
		}
	}

	src, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("guest: fd band: %w", err)
	}
	var placeholders []int
	closeAll := func() {
		closeFDs(placeholders)
		placeholders = placeholders[:0]
	}
	// Grow the table once, to the band's end.
	top, err := unix.FcntlInt(uintptr(src), unix.F_DUPFD_CLOEXEC, b.end-1)
	if err != nil {
		unix.Close(src)
		return nil, fmt.Errorf("guest: fd band: growing the descriptor table to %d: %w", b.end, err)
	}
	placeholders = append(placeholders, top)
	// Occupy every free number below the band.
	for {
		r, _, e := unix.RawSyscall(unix.SYS_FCNTL, uintptr(src), unix.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			closeAll()
			unix.Close(src)
			return nil, fmt.Errorf("guest: fd band: placeholders: %w", e)
		}
		n := int(r)
		if n >= b.start {
			unix.Close(n)
			break
		}
		placeholders = append(placeholders, n)
	}
	// The poller's descriptors now can only be band numbers. A timer
	// makes the runtime initialize it (time.go: addHeap).
	time.AfterFunc(time.Hour, func() {}).Stop()
	if b.probe, err = unix.FcntlInt(uintptr(src), unix.F_DUPFD_CLOEXEC, b.start); err != nil || b.probe >= b.end {
		if err == nil {
			unix.Close(b.probe)
			err = fmt.Errorf("no free number in [%d, %d)", b.start, b.end)
		}
		closeAll()
		unix.Close(src)
		return nil, fmt.Errorf("guest: fd band: probe descriptor: %w", err)
	}
	closeAll()
	unix.Close(src)

	after, err := OpenFDs()
	if err != nil {
		return nil, fmt.Errorf("guest: listing open descriptors: %w", err)
	}
	newPoller := false
	for _, fd := range after {
		if fd >= b.start && fd < b.end && !slices.Contains(before, fd) {
			b.owned.Or(1 << (fd - b.start))
			if fd != b.probe {
				newPoller = true
			}
		}
	}
	if !newPoller {
		// The poller existed before: its two descriptors are among the
		// old ones.
		for _, fd := range before {
			if t := Target(fd); fd > 2 && (t == "anon_inode:[eventpoll]" || t == "anon_inode:[eventfd]") {
				b.hide(fd)
			}
		}
		b.note("the Go runtime's poller was initialized before the descriptor band; its descriptors %v stay below it", b.hidden)
	}
	b.setup = time.Since(t0)
	return b, nil
}

// fdBandPlace returns where the band starts for an original soft limit
// orig when the process may use numbers below avail (the current soft
// limit); ok is false when that leaves the guest too few numbers.
func fdBandPlace(orig, avail uint64) (start int, ok bool) {
	s := min(max(orig, fdBandMinStart), fdBandMaxStart)
	if avail < fdBandSize || s > avail-fdBandSize {
		if avail < fdBandSize+fdBandMinGuest {
			return 0, false
		}
		s = avail - fdBandSize
	}
	return int(s), true
}

func (b *Band) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// hide records fd as minemu's although it lies below the band.
func (b *Band) hide(fd int) {
	if i, found := slices.BinarySearch(b.hidden, fd); !found {
		b.hidden = slices.Insert(b.hidden, i, fd)
	}
}

// Owns reports whether fd is one of minemu's descriptors (in the band, or
// one of the runtime's that could not be moved there). It does not
// allocate and is safe for concurrent use.
func (b *Band) Owns(fd int) bool {
	if fd >= b.start && fd < b.end {
		return b.owned.Load()&(1<<(fd-b.start)) != 0
	}
	if len(b.hidden) == 0 || fd < 0 {
		return false
	}
	_, found := slices.BinarySearch(b.hidden, fd)
	return found
}

// Start is the band's first number: the guest's RLIMIT_NOFILE never
// exceeds it.
func (b *Band) Start() int { return b.start }

// Probe is the band descriptor LowestFree probes with.
func (b *Band) Probe() int { return b.probe }

// Limits are every resource limit as the process started (RLIMIT_NOFILE
// as it was before Go's syscall package raised it).
func (b *Band) Limits() [NLimits]unix.Rlimit { return b.limits }

// NLimits is RLIM_NLIMITS: the number of resources.
const NLimits = 16

// Nofile is the RLIMIT_NOFILE the process was started with.
func (b *Band) Nofile() unix.Rlimit { return b.nofile }

// Notes are the things PrepareHost could not do as designed, for the log.
func (b *Band) Notes() []string { return b.notes }

// Move moves fd, a descriptor minemu keeps, into the band: it is
// duplicated (close-on-exec) to the lowest free band number, which is
// returned, and fd is closed. When the band is full, fd stays as it is
// and the error is EMFILE.
func (b *Band) Move(fd int) (int, error) {
	n, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, b.start)
	if err != nil {
		return fd, err
	}
	if n >= b.end {
		unix.Close(n)
		return fd, unix.EMFILE
	}
	b.owned.Or(1 << (n - b.start))
	unix.Close(fd)
	return n, nil
}

// Release closes a band descriptor minemu obtained with Move.
func (b *Band) Release(fd int) error {
	if fd < b.start || fd >= b.end || fd == b.probe || b.owned.Load()&(1<<(fd-b.start)) == 0 {
		return unix.EBADF
	}
	b.owned.And(^uint64(1 << (fd - b.start)))
	return unix.Close(fd)
}

// LowestFree returns the number the kernel would give the next new
// descriptor, or -1 when it cannot tell. The number is taken and freed
// again at once, so the caller must be the only one creating descriptors
// meanwhile (the guest's thread, with the guest stopped).
func (b *Band) LowestFree() int {
	n, err := unix.FcntlInt(uintptr(b.probe), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	unix.Close(n)
	return n
}

// Stats describes the band for --stats.
type Stats struct {
	Start int `json:"start"`
	End   int `json:"end"`
	// Owned are the band numbers minemu holds; Hidden its descriptors
	// below the band.
	Owned  []int `json:"owned"`
	Hidden []int `json:"hidden"`
	// NofileSoft and NofileHard are the RLIMIT_NOFILE the process was
	// started with.
	NofileSoft uint64 `json:"nofile_soft"`
	NofileHard uint64 `json:"nofile_hard"`
	SetupNs    int64  `json:"setup_ns"`
}

// Stats returns the band's state.
func (b *Band) Stats() Stats {
	st := Stats{Start: b.start, End: b.end, Hidden: append([]int{}, b.hidden...), Owned: []int{},
		NofileSoft: b.nofile.Cur, NofileHard: b.nofile.Max, SetupNs: int64(b.setup)}
	m := b.owned.Load()
	for i := 0; i < fdBandSize; i++ {
		if m&(1<<i) != 0 {
			st.Owned = append(st.Owned, b.start+i)
		}
	}
	return st
}

// closeFDs closes every descriptor of fds, in runs with close_range where
// the kernel has it.
func closeFDs(fds []int) {
	slices.Sort(fds)
	for i := 0; i < len(fds); {
		j := i + 1
		for j < len(fds) && fds[j] == fds[j-1]+1 {
			j++
		}
		if j-i > 1 {
			if _, _, e := unix.Syscall(unix.SYS_CLOSE_RANGE, uintptr(fds[i]), uintptr(fds[j-1]), 0); e == 0 {
				i = j
				continue
			}
		}
		for _, fd := range fds[i:j] {
			unix.Close(fd)
		}
		i = j
	}
}

// OpenFDs returns the open descriptors, sorted, read from
// /proc/self/fd with raw system calls (package os would initialize the
// runtime's poller).
func OpenFDs() ([]int, error) {
	d, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(d)
	var fds []int
	buf := make([]byte, 4096)
	for {
		n, err := unix.Getdents(d, buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			if fd, err := strconv.Atoi(name); err == nil && fd != d {
				fds = append(fds, fd)
			}
		}
	}
	slices.Sort(fds)
	return fds, nil
}

// Target is what /proc/self/fd/N links to ("" if it cannot be read).
func Target(fd int) string {
	var buf [256]byte
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf[:])
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// isRuntimeCgroupFile reports whether fd is one of the CPU limit files
// the Go runtime keeps open (internal/runtime/cgroup: cpu.max for cgroup
// v2, cpu.cfs_quota_us and cpu.cfs_period_us for v1).
func isRuntimeCgroupFile(fd int) bool {
	var st unix.Statfs_t
	if unix.Fstatfs(fd, &st) != nil || (st.Type != unix.CGROUP_SUPER_MAGIC && st.Type != unix.CGROUP2_SUPER_MAGIC) {
		return false
	}
	switch path.Base(Target(fd)) {
	case "cpu.max", "cpu.cfs_quota_us", "cpu.cfs_period_us":
		return true
	}
	return false
}

// probeNofile returns the RLIMIT_NOFILE this process was started with.
// Go's syscall package raises the soft limit before main and keeps the
// original only in an unexported variable, which it restores in every
// child it starts (exec_linux.go). So probeNofile starts a child: a tiny
// static x86-64 program, written to a memfd, that reads its own limit
// with prlimit64 and writes the 16 bytes of struct rlimit64 to its
// stdout. A Go child would not do: its own syscall package would raise
// the limit again before it could report it.
func probeNofile() (unix.Rlimit, error) {
	var rl unix.Rlimit
	mfd, err := unix.MemfdCreate("minemu-nofile-probe", unix.MFD_CLOEXEC|unix.MFD_EXEC)
	if err == unix.EINVAL { // MFD_EXEC is Linux 6.3+
		mfd, err = unix.MemfdCreate("minemu-nofile-probe", unix.MFD_CLOEXEC)
	}
	if err != nil {
		return rl, fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(mfd)
	if _, err := unix.Write(mfd, nofileProbeELF()); err != nil {
		return rl, fmt.Errorf("writing the probe: %w", err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return rl, fmt.Errorf("pipe2: %w", err)
	}
	defer unix.Close(p[0])
	none := ^uintptr(0) // closed in the child
	pid, err := syscall.ForkExec("/proc/self/fd/"+strconv.Itoa(mfd), []string{"minemu-nofile-probe"},
		&syscall.ProcAttr{Env: []string{}, Files: []uintptr{none, uintptr(p[1]), none}})
	unix.Close(p[1])
	if err != nil {
		return rl, fmt.Errorf("starting the probe: %w", err)
	}
	var out [17]byte
	n := 0
	for n < len(out) {
		m, err := unix.Read(p[0], out[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || m == 0 {
			break
		}
		n += m
	}
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return rl, fmt.Errorf("waiting for the probe: %w", err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 || n != 16 {
		return rl, fmt.Errorf("the probe failed (status %v, %d bytes)", ws, n)
	}
	rl.Cur, rl.Max = binary.LittleEndian.Uint64(out[0:]), binary.LittleEndian.Uint64(out[8:])
	return rl, nil
}

// nofileProbeCode is the probe's machine code:
//
//	sub  rsp, 16
//	mov  eax, 302        ; prlimit64(0, RLIMIT_NOFILE, NULL, rsp)
//	xor  edi, edi
//	mov  esi, 7
//	xor  edx, edx
//	mov  r10, rsp
//	syscall
//	mov  edi, 1          ; exit status 1 if it failed
//	test eax, eax
//	jnz  exit
//	mov  eax, 1          ; write(1, rsp, 16)
//	mov  rsi, rsp
//	mov  edx, 16
//	syscall
//	xor  edi, edi
//	cmp  eax, 16
//	setne dil            ; exit status 1 on a short write
//	exit: mov eax, 231   ; exit_group(edi)
//	syscall
var nofileProbeCode = []byte{
	0x48, 0x83, 0xec, 0x10,
	0xb8, 0x2e, 0x01, 0x00, 0x00,
	0x31, 0xff,
	0xbe, 0x07, 0x00, 0x00, 0x00,
	0x31, 0xd2,
	0x49, 0x89, 0xe2,
	0x0f, 0x05,
	0xbf, 0x01, 0x00, 0x00, 0x00,
	0x85, 0xc0,
	0x75, 0x18,
	0xb8, 0x01, 0x00, 0x00, 0x00,
	0x48, 0x89, 0xe6,
	0xba, 0x10, 0x00, 0x00, 0x00,
	0x0f, 0x05,
	0x31, 0xff,
	0x83, 0xf8, 0x10,
	0x40, 0x0f, 0x95, 0xc7,
	0xb8, 0xe7, 0x00, 0x00, 0x00,
	0x0f, 0x05,
}

// nofileProbeELF builds the probe executable: an ELF header, one
// read-and-execute PT_LOAD segment covering the whole file at 0x10000,
// and the code right after the program header.
func nofileProbeELF() []byte {
	const base = 0x10000
	ehsize, phsize := binary.Size(elf.Header64{}), binary.Size(elf.Prog64{})
	size := uint64(ehsize + phsize + len(nofileProbeCode))
	h := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Entry: base + uint64(ehsize+phsize), Phoff: uint64(ehsize),
		Ehsize: uint16(ehsize), Phentsize: uint16(phsize), Phnum: 1,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	p := elf.Prog64{
		Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Vaddr: base, Paddr: base, Filesz: size, Memsz: size, Align: 0x1000,
	}
	var w bytes.Buffer
	binary.Write(&w, binary.LittleEndian, &h)
	binary.Write(&w, binary.LittleEndian, &p)
	w.Write(nofileProbeCode)
	return w.Bytes()
}
