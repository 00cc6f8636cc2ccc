package thunks

import (
	"errors"

	"github.com/minemu/minemu/mm"
	"golang.org/x/sys/unix"
)

// Memory is the guest address space as the thunk layer sees it: which
// ranges host code may read or write on the guest's behalf. *mm.GuestSpace
// satisfies it. Host-heap blocks must count as mapped read-write, since
// the guest reads and writes the memory the host hands it.
type Memory interface {
	// IsMapped reports whether every page of r is mapped with at least
	// prot.
	IsMapped(r mm.AddrRange, prot int) bool
}

const (
	protR  = unix.PROT_READ
	protRW = unix.PROT_READ | unix.PROT_WRITE
)

// errFault is what a host function reports (as -EFAULT or NULL) when a
// guest pointer does not lead to mapped memory.
var errFault = unix.EFAULT

// MaxString bounds every C string the host library reads from the guest
// or makes for it: a string of at most MaxString bytes, not counting its
// NUL, is accepted (the bound is inclusive); a longer one is refused by
// every function the same way (NULL, or -EINVAL for an int result), never
// truncated. It keeps a missing terminator from making the host walk the
// whole window.
const MaxString = 1 << 20

// maxCString is MaxString for the readers in this package.
const maxCString = MaxString

// errTooLong is returned for strings longer than the bound.
var errTooLong = errors.New("string longer than MaxString (1,048,576 bytes)")

// guestMem is checked access to guest memory. Every method validates the
// range with NewRange and Memory.IsMapped before the raw access in
// mem_unsafe.go touches it; in Mode32 it also refuses anything at or above
// 4 GiB, which a 32-bit guest cannot name.
type guestMem struct {
	// m is the guest address space; immutable.
	m Memory
	// mode is the guest bitness; immutable.
	mode mm.Mode
}

// ok reports whether r may be accessed with prot.
func (g guestMem) ok(r mm.AddrRange, prot int) bool {
	if g.mode == mm.Mode32 && r.End > mm.Limit32 {
		return false
	}
	if r.Length() == 0 {
		return true
	}
	return g.m.IsMapped(r, prot)
}

// loadWord reads one guest-width word at a (checked by the caller).
func (g guestMem) loadWord(a mm.Addr) uint64 {
	if g.mode == mm.Mode32 {
		return uint64(load32(a))
	}
	return load64(a)
}

// storeWord writes one guest-width word at a (checked by the caller),
// truncating v to the width.
func (g guestMem) storeWord(a mm.Addr, v uint64) {
	if g.mode == mm.Mode32 {
		store32(a, uint32(v))
		return
	}
	store64(a, v)
}

// readWord is the checked form of loadWord.
func (g guestMem) readWord(a mm.Addr) (uint64, error) {
	r, ok := mm.NewRange(a, WordWidth(g.mode))
	if !ok || !g.ok(r, protR) {
		return 0, errFault
	}
	return g.loadWord(a), nil
}

// writeWord is the checked form of storeWord.
func (g guestMem) writeWord(a mm.Addr, v uint64) error {
	r, ok := mm.NewRange(a, WordWidth(g.mode))
	if !ok || !g.ok(r, protRW) {
		return errFault
	}
	g.storeWord(a, v)
	return nil
}

// read copies n guest bytes at a into a new slice.
func (g guestMem) read(a mm.Addr, n uint64) ([]byte, error) {
	r, ok := mm.NewRange(a, n)
	if !ok || !g.ok(r, protR) {
		return nil, errFault
	}
	out := make([]byte, n)
	copyFromGuest(out, a)
	return out, nil
}

// write copies b to guest memory at a.
func (g guestMem) write(a mm.Addr, b []byte) error {
	r, ok := mm.NewRange(a, uint64(len(b)))
	if !ok || !g.ok(r, protRW) {
		return errFault
	}
	copyToGuest(a, b)
	return nil
}

// strlen returns the length of the C string at a if it is at most max
// bytes (the NUL not counted), scanning at most max+1 bytes. It fails with
// EFAULT on an unmapped page and errTooLong when the first max+1 bytes
// hold no NUL.
func (g guestMem) strlen(a mm.Addr, max uint64) (uint64, error) {
	n, found, err := g.scanNUL(a, max+1)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errTooLong
	}
	return n, nil
}

// scanNUL looks for a NUL in the limit bytes at a, checking each page
// before touching it: the index of the first NUL, or found false when the
// limit bytes hold none. It fails with EFAULT on an unmapped page.
func (g guestMem) scanNUL(a mm.Addr, limit uint64) (n uint64, found bool, err error) {
	p := a
	for n < limit {
		chunk := uint64(mm.PageSize - p&mm.PageMask)
		if chunk > limit-n {
			chunk = limit - n
		}
		r, ok := mm.NewRange(p, chunk)
		if !ok || !g.ok(r, protR) {
			return 0, false, errFault
		}
		if i := indexZero(p, chunk); i >= 0 {
			return n + uint64(i), true, nil
		}
		n += chunk
		p = r.End
	}
	return n, false, nil
}

// cstring reads the C string at a (at most max bytes before the NUL;
// errTooLong for a longer one).
func (g guestMem) cstring(a mm.Addr, max uint64) (string, error) {
	n, err := g.strlen(a, max)
	if err != nil {
		return "", err
	}
	b, err := g.read(a, n)
	return string(b), err
}
