package mm

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Forked guests.
//
// A guest's fork continues in a new minemu process (see the Linux layer),
// whose GuestSpace must hold the parent's mappings at the same addresses.
// ForkImage describes them as the parent has them; RestoreArea and
// RestoreBrk rebuild them in a fresh GuestSpace, one area at a time, with
// the same checks a guest's own MAP_FIXED_NOREPLACE would meet (inside the
// window, not over a foreign mapping, within the map-count budget), so a
// forged or stale image can place nothing where a guest mapping could not
// be.

// ForkArea is one guest mapping as a forked child recreates it.
type ForkArea struct {
	// Range is page-aligned and non-empty.
	Range AddrRange
	// Prot is the guest's protection (PROT_READ|PROT_WRITE|PROT_EXEC
	// subset).
	Prot int
	// Flags is MAP_PRIVATE or MAP_SHARED, with MAP_ANONYMOUS when the
	// mapping is not of a file, and MAP_GROWSDOWN for a stack.
	Flags int
	// HostHeap marks a host-heap block: guest-visible memory whose
	// allocator lives in the parent. The child gets its contents as
	// guest memory.
	HostHeap bool
}

// Shared reports whether the area is a MAP_SHARED mapping.
func (a ForkArea) Shared() bool { return a.Flags&unix.MAP_TYPE == unix.MAP_SHARED }

// ForkImage is what a forked child needs of its parent's GuestSpace.
type ForkImage struct {
	// Areas are the guest's mappings (host-heap blocks included, minemu's
	// trampoline page not), sorted and disjoint.
	Areas []ForkArea
	// BrkBase and Brk are the program break's start and current end.
	BrkBase, Brk Addr
}

// ForkImage returns the image of g's mappings as they are now.
func (g *GuestSpace) ForkImage() ForkImage {
	g.mu.RLock()
	defer g.mu.RUnlock()
	img := ForkImage{BrkBase: g.brkBase, Brk: g.brk, Areas: make([]ForkArea, 0, len(g.vmas.v))}
	for _, v := range g.vmas.v {
		if v.kind == vmaTrampoline {
			continue
		}
		img.Areas = append(img.Areas, ForkArea{Range: v.r, Prot: v.prot, Flags: v.flags, HostHeap: v.kind == vmaHostHeap})
	}
	return img
}

// RestoreArea makes a.Range guest memory of g, exactly where the image
// says, by calling mapAt, which must map the whole range with
// MAP_FIXED_NOREPLACE (or fail). The range must be free as far as g knows,
// inside the window and clear of foreign mappings. A host-heap area
// becomes a private anonymous guest mapping. The protection recorded is
// a.Prot; mapAt is responsible for leaving the pages with it.
func (g *GuestSpace) RestoreArea(a ForkArea, mapAt func(r AddrRange) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errClosed
	}
	r := a.Range
	if !r.IsPageAligned() || r.Start >= r.End || a.Prot&^protRWX != 0 {
		return fmt.Errorf("mm: restore: invalid area %v prot %#x", r, a.Prot)
	}
	flags := a.Flags &^ (unix.MAP_ANONYMOUS | unix.MAP_GROWSDOWN)
	if flags != unix.MAP_PRIVATE && flags != unix.MAP_SHARED {
		return fmt.Errorf("mm: restore: area %v has flags %#x", r, a.Flags)
	}
	if err := g.checkFixed(r, unix.ENOMEM); err != nil {
		return fmt.Errorf("mm: restore: area %v outside the guest's range: %w", r, err)
	}
	if !g.knownFreeLocked(r) || !g.gapsFreeLocked(r) {
		return fmt.Errorf("mm: restore: area %v is not free", r)
	}
	if err := g.mapRoomLocked("restore", 1, unix.ENOMEM); err != nil {
		return err
	}
	if err := mapAt(r); err != nil {
		if err == unix.EEXIST {
			g.collideLocked(r)
		}
		return fmt.Errorf("mm: restore: mapping %v: %w", r, err)
	}
	v := vma{r: r, prot: a.Prot, flags: a.Flags, kind: vmaGuest}
	if a.HostHeap {
		v.flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	}
	g.recordLocked(v)
	return nil
}

// RestoreBrk sets the program break of a restored space: base and brk as
// ForkImage reported them, whose pages RestoreArea has restored.
func (g *GuestSpace) RestoreBrk(base, brk Addr) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errClosed
	}
	if base == 0 && brk == 0 {
		return nil
	}
	if !base.IsPageAligned() || brk < base || base < g.window.Start || brk > g.window.End {
		return fmt.Errorf("mm: restore: break [%v, %v) outside the window", base, brk)
	}
	g.brkBase, g.brk = base, brk
	return nil
}
