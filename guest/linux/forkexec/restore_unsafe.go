package forkexec

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

// Restored is an image a new minemu has taken over: the memfd's contents
// mapped read-only and every shared area's object mapped at a temporary
// address, with no descriptor left open, so that the descriptor band can
// be set up afterwards as in any other start.
type Restored struct {
	Image *Image
	// data is the memfd's contents (nil for an image without memory).
	data []byte
	// temp[i] is the temporary mapping of shared area i (0 for a private
	// one, or once MapArea moved it).
	temp []uintptr
	// fds are the image's descriptor and the shared areas', kept open
	// until Release so that Reexec can hand them on again.
	fds []int
}

// Open takes over the image in descriptor fd and every descriptor it
// names; they stay open until Release (or Reexec).
func Open(fd int) (r *Restored, err error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("forkexec: image descriptor %d: %w", fd, err)
	}
	// The view must not take an address a guest area is to be restored
	// at: the areas are read first, from the header alone.
	var avoid []mm.AddrRange
	if hdr, err := readHeader(fd, st.Size); err == nil {
		if img, err := decodeHeader(hdr); err == nil {
			for _, a := range img.Areas {
				avoid = append(avoid, a.Range)
			}
		}
	}
	data, err := mapAvoiding(fd, uint64(st.Size), avoid)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("forkexec: mapping the image: %w", err)
	}
	r = &Restored{data: data, fds: []int{fd}}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if r.Image, err = Decode(data); err != nil {
		return nil, err
	}
	r.temp = make([]uintptr, len(r.Image.Areas))
	var openErr error
	for i, a := range r.Image.Areas {
		if !a.Shared() {
			continue
		}
		p, err := placeAvoiding(a.Range.Length(), avoid, func(at uintptr) (uintptr, error) {
			return mmapRaw(at, a.Range.Length(), a.Prot, unix.MAP_SHARED|unix.MAP_FIXED_NOREPLACE, a.FD, a.Off)
		})
		r.fds = append(r.fds, a.FD)
		if err != nil && openErr == nil {
			openErr = fmt.Errorf("forkexec: shared area %v: %w", a.Range, err)
		}
		r.temp[i] = p
	}
	return r, openErr
}

// MapArea maps area i at its address r (the area's own range), for
// mm.GuestSpace.RestoreArea: a private area as anonymous memory filled
// from the image and then given its protection, a shared one by moving
// the inherited object's mapping there. Nothing is replaced: a range the
// new process already uses is EEXIST.
func (r *Restored) MapArea(i int, at mm.AddrRange) error {
	a := r.Image.Areas[i]
	if at != a.Range {
		return fmt.Errorf("forkexec: area %d is %v, not %v", i, a.Range, at)
	}
	n := at.Length()
	if a.Shared() {
		// Claim the range first: mremap with MREMAP_FIXED would replace
		// whatever is there.
		if _, err := mmapRaw(uintptr(at.Start), n, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, -1, 0); err != nil {
			return err
		}
		_, _, e := unix.Syscall6(unix.SYS_MREMAP, r.temp[i], uintptr(n), uintptr(n),
			unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, uintptr(at.Start), 0)
		if e != 0 {
			unix.Syscall(unix.SYS_MUNMAP, uintptr(at.Start), uintptr(n), 0)
			return e
		}
		r.temp[i] = 0
		return nil
	}
	if _, err := mmapRaw(uintptr(at.Start), n, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, -1, 0); err != nil {
		return err
	}
	dst := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(at.Start))), n)
	src := r.data[a.Off : a.Off+int64(n)]
	// Pages left zero in the image need no copy (the fresh mapping is
	// zero), and skipping them keeps them unpopulated.
	for off := uint64(0); off < n; off += mm.PageSize {
		if pg := src[off : off+mm.PageSize]; !isZero(pg) {
			copy(dst[off:off+mm.PageSize], pg)
		}
	}
	if a.Prot != unix.PROT_READ|unix.PROT_WRITE {
		if _, _, e := unix.Syscall(unix.SYS_MPROTECT, uintptr(at.Start), uintptr(n), uintptr(a.Prot)); e != 0 {
			unix.Syscall(unix.SYS_MUNMAP, uintptr(at.Start), uintptr(n), 0)
			return e
		}
	}
	return nil
}

// Release closes the image's descriptors; the guest's memory is restored
// and nothing will need them again.
func (r *Restored) Release() {
	for _, fd := range r.fds {
		unix.Close(fd)
	}
	r.fds = nil
}

// Reexec starts this minemu again, in this process, on the same image,
// with args: the way out when a guest area cannot be restored because
// memory minemu itself mapped before it could (the Go runtime's, at the
// kernel's random places) lies there; a new process has another layout.
func (r *Restored) Reexec(args []string) error {
	if r.fds == nil {
		return fmt.Errorf("forkexec: the image's descriptors are released")
	}
	for _, fd := range r.fds {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return err
		}
	}
	return syscall.Exec("/proc/self/exe", args, os.Environ())
}

// Close releases the image's mapping and any shared mapping not moved.
func (r *Restored) Close() {
	r.Release()
	for i, p := range r.temp {
		if p != 0 {
			unix.Syscall(unix.SYS_MUNMAP, p, uintptr(r.Image.Areas[i].Range.Length()), 0)
			r.temp[i] = 0
		}
	}
	if r.data != nil {
		unix.Syscall(unix.SYS_MUNMAP, uintptr(unsafe.Pointer(&r.data[0])), uintptr(len(r.data)), 0)
		r.data = nil
	}
}

// isZero reports whether every byte of p is zero.
func isZero(p []byte) bool {
	for len(p) >= 8 {
		if *(*uint64)(unsafe.Pointer(&p[0])) != 0 {
			return false
		}
		p = p[8:]
	}
	for _, b := range p {
		if b != 0 {
			return false
		}
	}
	return true
}

func mmapRaw(addr uintptr, n uint64, prot, flags, fd int, off int64) (uintptr, error) {
	p, _, e := unix.Syscall6(unix.SYS_MMAP, addr, uintptr(n), uintptr(prot), uintptr(flags), uintptr(fd), uintptr(off))
	if e != 0 {
		return 0, e
	}
	return p, nil
}

// readHeader reads the magic, the length word and the encoded Image from
// the start of the image file.
func readHeader(fd int, size int64) ([]byte, error) {
	var w [headerLen]byte
	if n, err := unix.Pread(fd, w[:], 0); err != nil || n != headerLen {
		return nil, fmt.Errorf("forkexec: reading the image header: %v", err)
	}
	n := int64(binary.LittleEndian.Uint64(w[8:]))
	if n < 0 || n > size-headerLen || n > 1<<30 {
		return nil, fmt.Errorf("forkexec: image header of %d bytes in a file of %d", n, size)
	}
	b := make([]byte, headerLen+n)
	if m, err := unix.Pread(fd, b, 0); err != nil || int64(m) != headerLen+n {
		return nil, fmt.Errorf("forkexec: reading the image header: %v", err)
	}
	return b, nil
}

// placeSearch are the addresses from which placeAvoiding looks for room,
// above 4 GiB (never in a 32-bit guest's window) and below the 47-bit
// user limit.
var placeSearch = []uint64{0x200000000000, 0x300000000000, 0x100000000000, 0x500000000000}

// placeAvoiding maps n bytes with mapAt (which must use
// MAP_FIXED_NOREPLACE) at an address that overlaps none of avoid.
func placeAvoiding(n uint64, avoid []mm.AddrRange, mapAt func(at uintptr) (uintptr, error)) (uintptr, error) {
	n = (n + mm.PageSize - 1) &^ (mm.PageSize - 1)
	var last error = unix.ENOMEM
	for _, base := range placeSearch {
		at := base
	again:
		for tries := 0; tries < 64; tries++ {
			for _, a := range avoid {
				if at < uint64(a.End) && uint64(a.Start) < at+n {
					at = (uint64(a.End) + 1<<21 - 1) &^ (1<<21 - 1)
					continue again
				}
			}
			p, err := mapAt(uintptr(at))
			if err == nil {
				return p, nil
			}
			last = err
			if err != unix.EEXIST {
				return 0, err
			}
			at += 1 << 30
		}
	}
	return 0, last
}

// mapAvoiding maps the image file read-only, away from avoid.
func mapAvoiding(fd int, size uint64, avoid []mm.AddrRange) ([]byte, error) {
	if size == 0 {
		return nil, fmt.Errorf("forkexec: empty image")
	}
	p, err := placeAvoiding(size, avoid, func(at uintptr) (uintptr, error) {
		return mmapRaw(at, size, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_FIXED_NOREPLACE, fd, 0)
	})
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), p)), size), nil
}

// Changed calls yield with every page of the image's private writable
// areas whose contents now differ from the image (what a vfork child wrote
// to memory its parent shares natively), merged into runs, for the pages
// readable says are still there. The slice passed is guest memory, valid
// only during the call.
func (r *Restored) Changed(readable func(mm.AddrRange) bool, yield func(addr uint64, b []byte) error) error {
	if r.data == nil {
		return nil
	}
	for _, a := range r.Image.Areas {
		if a.Shared() || a.Prot&unix.PROT_WRITE == 0 {
			continue
		}
		n := a.Range.Length()
		orig := r.data[a.Off : a.Off+int64(n)]
		runStart := -1
		flush := func(end uint64) error {
			if runStart < 0 {
				return nil
			}
			start := uint64(runStart)
			runStart = -1
			at := uint64(a.Range.Start) + start
			return yield(at, unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(at))), end-start))
		}
		for off := uint64(0); off < n; off += mm.PageSize {
			pg := mm.AddrRange{Start: a.Range.Start + mm.Addr(off), End: a.Range.Start + mm.Addr(off+mm.PageSize)}
			if !readable(pg) {
				if err := flush(off); err != nil {
					return err
				}
				continue
			}
			cur := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(pg.Start))), mm.PageSize)
			if string(cur) != string(orig[off:off+mm.PageSize]) {
				if runStart < 0 {
					runStart = int(off)
				}
			} else if err := flush(off); err != nil {
				return err
			}
		}
		if err := flush(n); err != nil {
			return err
		}
	}
	return nil
}

// Cloexec returns the guest descriptors that were close-on-exec at the
// fork.
func (r *Restored) Cloexec() []int {
	if r.data == nil {
		return nil
	}
	return r.Image.Cloexec(r.data)
}
