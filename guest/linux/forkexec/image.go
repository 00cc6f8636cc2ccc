// Package forkexec carries a guest process across a host process boundary:
// from a forking guest to the new minemu that continues it as the child,
// and from a guest's execve to the new minemu that runs the new program.
//
// # Why a new minemu
//
// A guest's fork must give a real child process (its own pid, wait4, kill,
// process groups), but the Go runtime cannot go on in a forked child: only
// the forking thread exists there, and the runtime's other threads, locks
// and scheduler state are gone (Go's own fork, in package syscall, lets the
// child run only raw system calls before it execs). So the child does what
// Go's does: it makes raw system calls only, prepared by the parent, and
// execs minemu again, which restores the guest and runs it on.
//
// # The image
//
// Before it forks, the parent writes an Image — everything of the guest
// that is not in guest memory: its CPU, the list of its mappings, the
// program break, signal dispositions and mask, i386 TLS entries, resource
// limits — into a memfd: a magic word, the length of the encoded Image,
// the Image (gob), and page-aligned room for the contents of every private
// mapping. The child, right after the raw fork, copies its own view of
// each private mapping into that room with pwrite (its copy-on-write
// memory is an exact snapshot of the parent's at the instant of the fork,
// whatever other guest threads were doing), so the parent pays nothing for
// memory and the copy is made once. Shared mappings are not copied: the
// parent opens each through /proc/self/map_files and the child inherits
// the descriptor, so parent and child keep sharing the pages.
//
// The new minemu maps the memfd read-only before it sets up anything else
// (Open), takes its descriptors out of the guest's numbering, and, once
// its guest address space exists, rebuilds each mapping at its address:
// private ones as anonymous memory filled from the image (so that
// MADV_DONTNEED and friends behave as on anonymous memory), shared ones by
// moving the inherited object's mapping there.
//
// An execve uses the same Image without memory or CPU: the options of the
// new program's start that the command line cannot say (the guest's
// argv[0] and AT_EXECFN, its resource limits, signal mask and ignored
// signals, which the kernel keeps across execve).
//
// # Trust
//
// Only minemu processes hold the memfd (its descriptor lives in minemu's
// descriptor band, which the guest cannot name), but the new minemu still
// checks everything it reads: sizes and offsets against the memfd's
// length, areas against the guest window (mm.GuestSpace.RestoreArea), the
// CPU state against what a CPU can hold (cpu.UnmarshalState).
package forkexec

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// Kind says what an Image continues.
type Kind uint8

const (
	// KindFork: a forked child continues the guest where fork returned.
	KindFork Kind = iota + 1
	// KindExec: a new program starts, with what execve keeps.
	KindExec
)

// Area is one guest mapping of a fork image.
type Area struct {
	mm.ForkArea
	// Off is where a private area's contents start in the memfd
	// (page-aligned), or a shared area's offset in its object (the
	// mapping's file offset).
	Off int64
	// FD is the descriptor of a shared area's object in the child (the
	// parent's, inherited); -1 for a private area.
	FD int
}

// TLS is one i386 TLS descriptor (set_thread_area's user_desc, decoded).
type TLS struct {
	Used               bool
	Base, Limit, Flags uint32
}

// SigAction is one signal's disposition, in the guest's terms.
type SigAction struct {
	Handler, Flags, Restorer, Mask uint64
}

// Image is what a new minemu needs of the guest beyond guest memory.
type Image struct {
	Kind Kind
	Mode mm.Mode
	// CPU is cpu.CPU.MarshalState of the forking thread (fork only; its
	// RAX is the parent's, the child sets 0).
	CPU []byte
	// Areas are the guest's mappings, sorted (fork only).
	Areas []Area
	// BrkBase and Brk are the program break (fork only).
	BrkBase, Brk uint64
	// ExePath is the guest's /proc/self/exe (fork only: an exec names its
	// program on the command line).
	ExePath string
	// Actions are the signal dispositions, signal n at n-1 (fork: all;
	// exec: only SIG_IGN survives, which Ignored says).
	Actions [64]SigAction
	// Ignored is the set of signals the guest ignores (bit n-1), which
	// execve keeps.
	Ignored uint64
	// SigMask is the thread's blocked set (kept by fork and execve).
	SigMask uint64
	// AltStack is the alternate signal stack (fork only; execve clears it).
	AltSP, AltSize uint64
	AltFlags       int32
	// GDT are the thread's i386 TLS entries (fork only).
	GDT [3]TLS
	// Rlimits are the guest's resource limits (kept by fork and execve).
	Rlimits [16]unix.Rlimit
	// Env is the exec'd program's environment (exec only): carried here,
	// not as the new minemu's own environment, so that the host's
	// dynamic loader never acts on the guest's LD_ variables.
	Env []string
	// Argv0 and ExecFn are what an exec'd program sees as argv[0] and
	// AT_EXECFN (exec only).
	Argv0, ExecFn string
	// NewSP is the child's stack pointer when clone gave one (fork only).
	NewSP uint64
	// ChildSetTID and ChildClearTID are clone's CLONE_CHILD_SETTID and
	// CLONE_CHILD_CLEARTID addresses (fork only, 0 for none): the child
	// writes its tid at the first and keeps the second as its
	// clear_child_tid.
	ChildSetTID, ChildClearTID uint64
	// ArgStart, ArgEnd, EnvStart, EnvEnd and Auxv are where the guest's
	// initial stack holds its arguments and environment and its
	// auxiliary vector (key, value pairs), for /proc/self (fork only).
	ArgStart, ArgEnd, EnvStart, EnvEnd uint64
	Auxv                               []uint64
	// Comm is the thread's name, which the child inherits (fork only).
	Comm string
	// GuestFDs is how many descriptor numbers are the guest's (those
	// below minemu's band); the child records which of them were
	// close-on-exec, a bitmap of one bit per number at CloexecOff in the
	// memfd, since its exec of minemu clears the flag on them (fork only).
	GuestFDs   int
	CloexecOff int64
	// Vfork is set for the child of a vfork: its parent waits until the
	// child execs or exits, told through the descriptor VforkFD.
	Vfork   bool
	VforkFD int
}

// magic opens an image; the digit is the layout version.
const magic = "minemuF1"

// headerLen is the magic and the length word.
const headerLen = 16

// Encode returns the image's header (magic, length, encoded Image) and the
// offset at which the first private area's contents may start.
func (img *Image) Encode() (hdr []byte, dataStart int64, err error) {
	var b bytes.Buffer
	b.WriteString(magic)
	b.Write(make([]byte, 8))
	if err := gob.NewEncoder(&b).Encode(img); err != nil {
		return nil, 0, err
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint64(out[8:], uint64(len(out)-headerLen))
	return out, roundPage(int64(len(out))), nil
}

// Layout assigns the private areas their offsets from dataStart on and
// returns the memfd's total length.
func (img *Image) Layout(dataStart int64) int64 {
	off := dataStart
	for i := range img.Areas {
		a := &img.Areas[i]
		if a.Shared() {
			continue // Off is the object's file offset
		}
		a.FD, a.Off = -1, off
		off += int64(a.Range.Length())
	}
	return off
}

// Build lays the image out — the header first, then the close-on-exec
// bitmap (CloexecOff) and every private area's contents at page-aligned
// offsets — and returns the encoded header and the memfd's length. The
// header's length depends on the offsets it holds, so the data start is
// found by trying.
func (img *Image) Build() (hdr []byte, total int64, err error) {
	start := int64(16 * mm.PageSize)
	for range 8 {
		img.CloexecOff = start
		total = img.Layout(start + roundPage(int64(CloexecLen(img.GuestFDs))))
		hdr, need, err := img.Encode()
		if err != nil {
			return nil, 0, err
		}
		if need <= start {
			return hdr, total, nil
		}
		start = need + 4*mm.PageSize
	}
	return nil, 0, errors.New("forkexec: the image header does not settle")
}

// Decode parses an image from the start of the memfd's contents b (the
// whole file) and checks it against b: every private area's contents must
// lie inside b.
func Decode(b []byte) (*Image, error) {
	if len(b) < headerLen || string(b[:8]) != magic {
		return nil, errors.New("forkexec: not a minemu image")
	}
	n := binary.LittleEndian.Uint64(b[8:])
	if n > uint64(len(b)-headerLen) {
		return nil, fmt.Errorf("forkexec: image header of %d bytes in a file of %d", n, len(b))
	}
	img, err := decodeHeader(b[:headerLen+n])
	if err != nil {
		return nil, err
	}
	if img.Kind != KindFork && img.Kind != KindExec {
		return nil, fmt.Errorf("forkexec: image of unknown kind %d", img.Kind)
	}
	if img.Mode != mm.Mode32 && img.Mode != mm.Mode64 {
		return nil, fmt.Errorf("forkexec: image of mode %d", img.Mode)
	}
	if img.GuestFDs < 0 || img.GuestFDs > 1<<20 || img.GuestFDs > 0 &&
		(img.CloexecOff < headerLen || img.CloexecOff+int64(CloexecLen(img.GuestFDs)) > int64(len(b))) {
		return nil, fmt.Errorf("forkexec: close-on-exec bitmap of %d descriptors at %#x outside the image", img.GuestFDs, img.CloexecOff)
	}
	var prev mm.Addr
	for i, a := range img.Areas {
		r := a.Range
		if !r.IsPageAligned() || r.Start >= r.End || r.Start < prev {
			return nil, fmt.Errorf("forkexec: area %d %v is not page-aligned, sorted and disjoint", i, r)
		}
		prev = r.End
		if a.Shared() {
			if a.FD < 0 {
				return nil, fmt.Errorf("forkexec: shared area %v has no descriptor", r)
			}
			continue
		}
		end := a.Off + int64(r.Length())
		if a.Off < headerLen || a.Off%mm.PageSize != 0 || end < a.Off || end > int64(len(b)) {
			return nil, fmt.Errorf("forkexec: area %v's contents at %#x lie outside the image", r, a.Off)
		}
	}
	return img, nil
}

// decodeHeader decodes the Image of a header (magic, length, encoding).
func decodeHeader(b []byte) (*Image, error) {
	var img Image
	if err := gob.NewDecoder(bytes.NewReader(b[headerLen:])).Decode(&img); err != nil {
		return nil, fmt.Errorf("forkexec: decoding the image: %w", err)
	}
	return &img, nil
}

func roundPage(n int64) int64 { return (n + mm.PageSize - 1) &^ (mm.PageSize - 1) }

// CloexecLen is the length of the close-on-exec bitmap for n descriptors.
func CloexecLen(n int) int { return (n + 63) / 64 * 8 }

// Cloexec returns the descriptors the bitmap in b (the whole image) marks
// close-on-exec.
func (img *Image) Cloexec(b []byte) []int {
	var fds []int
	if img.GuestFDs == 0 {
		return nil
	}
	bm := b[img.CloexecOff : img.CloexecOff+int64(CloexecLen(img.GuestFDs))]
	for fd := 0; fd < img.GuestFDs; fd++ {
		if bm[fd/8]&(1<<(fd%8)) != 0 {
			fds = append(fds, fd)
		}
	}
	return fds
}
