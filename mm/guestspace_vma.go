package mm

import (
	"slices"

	"golang.org/x/sys/unix"
)

// vmaKind says who a mapping recorded by GuestSpace belongs to.
type vmaKind uint8

const (
	// vmaGuest: the guest's own mapping (mmap, brk, mremap); the guest may
	// unmap, protect and remap it.
	vmaGuest vmaKind = iota + 1
	// vmaHostHeap: a host-heap block handed out by MapBlock. The guest can
	// read and write it (it is guest-visible) but never unmap, protect or
	// replace it.
	vmaHostHeap
	// vmaTrampoline: minemu's own code mapped by MapTrampoline. The guest
	// can read and execute it but never write, unmap, protect or replace
	// it.
	vmaTrampoline
	numVMAKinds
)

// class is the audit class of memory of kind k.
func (k vmaKind) class() Class {
	switch k {
	case vmaHostHeap:
		return ClassHostHeap
	case vmaTrampoline:
		return ClassTrampoline
	}
	return ClassGuest
}

func (k vmaKind) String() string {
	switch k {
	case vmaGuest:
		return "guest"
	case vmaHostHeap:
		return "hostheap"
	case vmaTrampoline:
		return "trampoline"
	}
	return "invalid"
}

// vma is one mapping GuestSpace made, as it records it. The kernel may
// split or merge its own areas differently; what matters is that every
// page of r is mapped by the kernel with protection prot.
type vma struct {
	r     AddrRange // page-aligned, non-empty
	prot  int       // PROT_READ|PROT_WRITE|PROT_EXEC subset, as the guest asked
	flags int       // MAP_SHARED or MAP_PRIVATE, plus MAP_ANONYMOUS when not file-backed
	kind  vmaKind
}

// mergeable reports whether a and b (b directly after a) describe the same
// kind of memory and can be recorded as one vma. Only private anonymous
// guest memory merges: file mappings would need their offsets tracked, and
// host-heap blocks are unmapped whole, so each keeps its own record.
func (a vma) mergeable(b vma) bool {
	return a.r.End == b.r.Start && a.kind == vmaGuest && b.kind == vmaGuest &&
		a.prot == b.prot && a.flags == b.flags &&
		a.flags == unix.MAP_PRIVATE|unix.MAP_ANONYMOUS
}

// vmaSet is the sorted set of GuestSpace's mappings.
//
// Invariants: v is sorted by r.Start; ranges are disjoint and non-empty; no
// two neighbours are mergeable (they are merged on every change);
// pages[k] is the number of pages of kind k. Lookups are O(log n) binary
// searches; insertions and removals move the tail of the slice, O(n) in
// the worst case, which stays cheap because merging keeps n small (a
// typical process has tens to a few thousand areas, and the kernel caps it
// at 65,530). The owner's lock guards it.
type vmaSet struct {
	v     []vma
	pages [numVMAKinds]uint64 // indexed by vmaKind
	// merges counts the merges of neighbours ever made: each may have
	// joined two areas the kernel keeps apart (guestspace_mapcount.go).
	merges uint64
}

// lowerBound returns the index of the first vma whose end is above a.
func (s *vmaSet) lowerBound(a Addr) int {
	lo, hi := 0, len(s.v)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.v[m].r.End <= a {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// find returns the index of the vma containing a.
func (s *vmaSet) find(a Addr) (int, bool) {
	i := s.lowerBound(a)
	if i < len(s.v) && s.v[i].r.Start <= a {
		return i, true
	}
	return i, false
}

// span returns [i, j): the vmas that overlap r.
func (s *vmaSet) span(r AddrRange) (i, j int) {
	i = s.lowerBound(r.Start)
	j = i
	for j < len(s.v) && s.v[j].r.Start < r.End {
		j++
	}
	return i, j
}

// split makes sure that no vma straddles a: a vma containing a strictly
// inside is cut in two at a.
func (s *vmaSet) split(a Addr) {
	i, ok := s.find(a)
	if !ok || s.v[i].r.Start == a {
		return
	}
	tail := s.v[i]
	tail.r.Start = a
	s.v[i].r.End = a
	s.v = slices.Insert(s.v, i+1, tail)
}

// remove forgets every page of r (whatever its kind).
func (s *vmaSet) remove(r AddrRange) {
	if r.Start >= r.End {
		return
	}
	s.split(r.Start)
	s.split(r.End)
	i, j := s.span(r)
	for k := i; k < j; k++ {
		s.pages[s.v[k].kind] -= s.v[k].r.Pages()
	}
	s.v = slices.Delete(s.v, i, j)
}

// insert records v, whose range must not overlap any recorded vma, and
// merges it with its neighbours where possible.
func (s *vmaSet) insert(v vma) {
	i := s.lowerBound(v.r.Start)
	s.v = slices.Insert(s.v, i, v)
	s.pages[v.kind] += v.r.Pages()
	s.mergeAround(i, i+1)
}

// setProt changes the protection of every recorded page of r. A vma that
// straddles an end of r and already has prot is not cut, as the kernel
// leaves such an area whole (and the mapping count relies on it).
func (s *vmaSet) setProt(r AddrRange, prot int) {
	for _, a := range [2]Addr{r.Start, r.End} {
		if i, ok := s.find(a); ok && s.v[i].prot != prot {
			s.split(a)
		}
	}
	i, j := s.span(r)
	for k := i; k < j; k++ {
		s.v[k].prot = prot
	}
	s.mergeAround(i, j)
}

// mergeAround merges mergeable neighbours among v[i-1 .. j].
func (s *vmaSet) mergeAround(i, j int) {
	k := max(i-1, 0)
	end := min(j+1, len(s.v))
	for k+1 < end {
		if s.v[k].mergeable(s.v[k+1]) {
			s.v[k].r.End = s.v[k+1].r.End
			s.v = slices.Delete(s.v, k+1, k+2)
			s.merges++
			end--
			continue
		}
		k++
	}
}
