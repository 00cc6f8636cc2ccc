package mm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// This file holds the reference model of a Mode32 GuestSpace and the
// harness that drives a real GuestSpace and the model with the same random
// operations (TestGuestSpaceAgainstModel, FuzzGuestSpace). After every step
// the harness checks GuestSpace.Check (bookkeeping against a recount), the
// model (results, placement, protections, page contents), the kernel's own
// view (/proc/self/maps), and that the change hook saw every guest page
// that was unmapped, replaced, reprotected, moved or discarded.

// Page states of the model.
const (
	mFree  = 0
	mGuest = 1
	mHost  = 2
)

// gsModel is the simple reference: one record per page of the window, and
// linear scans for every search.
type gsModel struct {
	win     AddrRange
	baseIdx int // page index of the mmap base
	kind    []int8
	prot    []int8
	tag     []byte // expected first byte of the page
	brkBase Addr
	brk     Addr
	blocks  []AddrRange
	touched []bool // pages the current operation must report to the change hook
}

func newGSModel(win AddrRange, mmapBase Addr) *gsModel {
	n := int(win.Pages())
	return &gsModel{
		win: win, baseIdx: int((mmapBase - win.Start) >> PageShift),
		kind: make([]int8, n), prot: make([]int8, n), tag: make([]byte, n),
		touched: make([]bool, n),
	}
}

func (m *gsModel) n() int               { return len(m.kind) }
func (m *gsModel) addr(i int) Addr      { return m.win.Start + Addr(i)<<PageShift }
func (m *gsModel) idx(a Addr) int       { return int((a - m.win.Start) >> PageShift) }
func (m *gsModel) inWin(i, np int) bool { return i >= 0 && np > 0 && i+np <= m.n() }
func (m *gsModel) allKind(i, np int, k int8) bool {
	for p := i; p < i+np; p++ {
		if m.kind[p] != k {
			return false
		}
	}
	return true
}

func (m *gsModel) anyKind(i, np int, k int8) bool {
	for p := i; p < i+np; p++ {
		if m.kind[p] == k {
			return true
		}
	}
	return false
}

// set makes [i, i+np) the given kind, zero-filled; guest pages it replaces
// must be reported.
func (m *gsModel) set(i, np int, k int8, prot int) {
	for p := i; p < i+np; p++ {
		if m.kind[p] == mGuest {
			m.touched[p] = true
		}
		m.kind[p], m.prot[p], m.tag[p] = k, int8(prot), 0
	}
}

func (m *gsModel) free(i, np int) {
	for p := i; p < i+np; p++ {
		if m.kind[p] == mGuest {
			m.touched[p] = true
		}
		m.kind[p], m.prot[p], m.tag[p] = mFree, 0, 0
	}
}

// findDown and findUp are the naive searches the real bitmap must agree with.
func (m *gsModel) findDown(np, align, lo, hi int) (int, bool) {
	for s := hi - np; s >= lo; s-- {
		if int(m.addr(s)>>PageShift)%align == 0 && m.allKind(s, np, mFree) {
			return s, true
		}
	}
	return 0, false
}

func (m *gsModel) findUp(np, align, lo, hi int) (int, bool) {
	for s := lo; s+np <= hi; s++ {
		if int(m.addr(s)>>PageShift)%align == 0 && m.allKind(s, np, mFree) {
			return s, true
		}
	}
	return 0, false
}

// place is the placement policy: hint if free, top-down below the mmap
// base, bottom-up above it.
func (m *gsModel) place(np, align int, hint int) (int, bool) {
	if hint >= 0 && m.inWin(hint, np) && int(m.addr(hint)>>PageShift)%align == 0 && m.allKind(hint, np, mFree) {
		return hint, true
	}
	if s, ok := m.findDown(np, align, 0, m.baseIdx); ok {
		return s, true
	}
	return m.findUp(np, align, m.baseIdx, m.n())
}

// gsSource supplies the harness's choices: a PRNG, or a fuzzer's bytes.
type gsSource interface {
	intn(n int) int
	exhausted() bool
}

type randSource struct{ r *rand.Rand }

func (s randSource) intn(n int) int  { return s.r.IntN(n) }
func (s randSource) exhausted() bool { return false }

type byteSource struct{ b []byte }

func (s *byteSource) intn(n int) int {
	if len(s.b) < 2 {
		s.b = nil
		return 0
	}
	v := int(s.b[0])<<8 | int(s.b[1])
	s.b = s.b[2:]
	return v % n
}
func (s *byteSource) exhausted() bool { return len(s.b) == 0 }

// gsHarness drives one GuestSpace and its model.
type gsHarness struct {
	t      testing.TB
	g      *GuestSpace
	m      *gsModel
	mem    *os.File
	src    gsSource
	hooked []AddrRange
	last   string // description of the last operation, for failure messages
	steps  int
}

// freeTestWindow returns a size-aligned range below 4 GiB where the
// process has nothing mapped.
func freeTestWindow(t testing.TB, size uint64) AddrRange {
	t.Helper()
	es, err := ReadMaps()
	if err != nil {
		t.Fatalf("ReadMaps: %v", err)
	}
	for a := Addr(0x40000000); a+Addr(size) <= 0xe0000000; a += Addr(size) {
		w := AddrRange{Start: a, End: a + Addr(size)}
		free := true
		for _, e := range es {
			if e.Range.Overlaps(w) {
				free = false
				break
			}
		}
		if free {
			return w
		}
	}
	t.Fatalf("no free %#x-byte window below 4 GiB", size)
	return AddrRange{}
}

func openMem(t testing.TB) *os.File {
	t.Helper()
	f, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open /proc/self/mem: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func peek(t testing.TB, mem *os.File, a Addr) byte {
	t.Helper()
	var b [1]byte
	if _, err := mem.ReadAt(b[:], int64(a)); err != nil {
		t.Fatalf("read %v: %v", a, err)
	}
	return b[0]
}

func poke(t testing.TB, mem *os.File, a Addr, v byte) {
	t.Helper()
	if _, err := mem.WriteAt([]byte{v}, int64(a)); err != nil {
		t.Fatalf("write %v: %v", a, err)
	}
}

const harnessWindow = 16 << 20 // 4096 pages

func newGSHarness(t testing.TB, src gsSource) *gsHarness {
	t.Helper()
	w := freeTestWindow(t, harnessWindow)
	g, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode32, Window: w, StackGap: 4 << 20})
	if err != nil {
		t.Fatalf("NewGuestSpace: %v", err)
	}
	t.Cleanup(func() { g.Close() })
	if st := g.Stats(); st.ForeignBytes != 0 {
		t.Fatalf("fresh window %v has %d foreign bytes", w, st.ForeignBytes)
	}
	h := &gsHarness{t: t, g: g, m: newGSModel(w, g.MmapBase()), mem: openMem(t), src: src}
	g.SetChangeHook(func(r AddrRange) { h.hooked = append(h.hooked, r) })
	// The break starts a quarter into the window, as if an image sat below.
	base := w.Start + Addr(w.Length()/4)
	if err := g.SetBrkBase(base - 100); err != nil {
		t.Fatalf("SetBrkBase: %v", err)
	}
	h.m.brkBase, h.m.brk = base, base
	return h
}

func (h *gsHarness) fatalf(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf("step %d (%s): %s", h.steps, h.last, fmt.Sprintf(format, args...))
}

func errnoOf(err error) unix.Errno {
	if err == nil {
		return 0
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.Errno(^uintptr(0))
}

// pick returns a page index and length: mostly small ranges inside the
// window, sometimes ones that cross its end.
func (h *gsHarness) pickRange() (int, int) {
	n := h.m.n()
	np := 1 + h.src.intn(16)
	if h.src.intn(8) == 0 {
		np = 1 + h.src.intn(256)
	}
	var i int
	switch h.src.intn(4) {
	case 0: // near the mmap base, where top-down placement works
		i = h.m.baseIdx - 1 - h.src.intn(512)
	case 1: // near the break
		i = h.m.idx(h.m.brkBase) + h.src.intn(256)
	default:
		i = h.src.intn(n)
	}
	return min(max(i, 0), n-1), np
}

// guestPage returns a random guest page, or -1.
func (h *gsHarness) guestPage() int {
	n := h.m.n()
	start := h.src.intn(n)
	for k := 0; k < n; k++ {
		if p := (start + k) % n; h.m.kind[p] == mGuest {
			return p
		}
	}
	return -1
}

var harnessProts = [...]int{unix.PROT_NONE, unix.PROT_READ, unix.PROT_READ | unix.PROT_WRITE,
	unix.PROT_READ | unix.PROT_EXEC, unix.PROT_READ | unix.PROT_WRITE}

func (h *gsHarness) step() {
	h.steps++
	clear(h.m.touched)
	h.hooked = h.hooked[:0]
	m := h.m
	switch op := h.src.intn(15); op {
	case 0, 1: // mmap(0) or with a hint
		_, np := h.pickRange()
		prot := harnessProts[h.src.intn(len(harnessProts))]
		var hint Addr
		hi := -1
		if op == 1 {
			hi, _ = h.pickRange()
			hint = m.addr(hi) + Addr(h.src.intn(PageSize)) // unaligned hints round down
		}
		h.last = fmt.Sprintf("mmap(%v, %d pages, prot %d)", hint, np, prot)
		got, err := h.g.Mmap(hint, uint64(np)<<PageShift-uint64(h.src.intn(PageSize)), prot,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
		s, ok := m.place(np, 1, hi)
		if !ok {
			if errnoOf(err) != unix.ENOMEM {
				h.fatalf("got %v, %v; want ENOMEM", got, err)
			}
			break
		}
		if err != nil || got != m.addr(s) {
			h.fatalf("got %v, %v; want %v", got, err, m.addr(s))
		}
		m.set(s, np, mGuest, prot)
	case 2, 3: // MAP_FIXED or MAP_FIXED_NOREPLACE
		i, np := h.pickRange()
		prot := harnessProts[h.src.intn(len(harnessProts))]
		flags := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED
		if op == 3 {
			flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE
		}
		h.last = fmt.Sprintf("mmap(%v, %d pages, prot %d, flags %#x)", m.addr(i), np, prot, flags)
		got, err := h.g.Mmap(m.addr(i), uint64(np)<<PageShift, prot, flags, -1, 0)
		var want unix.Errno
		switch {
		case !m.inWin(i, np):
			want = unix.ENOMEM
		case op == 3 && !m.allKind(i, np, mFree):
			want = unix.EEXIST
		case m.anyKind(i, np, mHost):
			want = unix.ENOMEM
		}
		if errnoOf(err) != want || (want == 0 && got != m.addr(i)) {
			h.fatalf("got %v, %v; want errno %v", got, err, want)
		}
		if want == 0 {
			m.set(i, np, mGuest, prot)
		}
	case 4, 13, 14: // munmap
		i, np := h.pickRange()
		h.last = fmt.Sprintf("munmap(%v, %d pages)", m.addr(i), np)
		err := h.g.Munmap(m.addr(i), uint64(np)<<PageShift)
		end := min(i+np, m.n())
		var want unix.Errno
		if m.anyKind(i, end-i, mHost) {
			want = unix.EINVAL
		}
		if errnoOf(err) != want {
			h.fatalf("got %v, want errno %v", err, want)
		}
		if want == 0 {
			for p := i; p < end; p++ {
				if m.kind[p] == mGuest {
					m.free(p, 1)
				}
			}
		}
	case 5: // mprotect
		i, np := h.pickRange()
		if g := h.guestPage(); g >= 0 && h.src.intn(2) == 0 {
			i = g // mostly where there is something to protect
		}
		prot := harnessProts[h.src.intn(len(harnessProts))]
		h.last = fmt.Sprintf("mprotect(%v, %d pages, %d)", m.addr(i), np, prot)
		err := h.g.Mprotect(m.addr(i), uint64(np)<<PageShift, prot)
		var want unix.Errno
		if !m.inWin(i, np) || !m.allKind(i, np, mGuest) {
			want = unix.ENOMEM
		}
		if errnoOf(err) != want {
			h.fatalf("got %v, want errno %v", err, want)
		}
		if want == 0 {
			for p := i; p < i+np; p++ {
				m.prot[p] = int8(prot)
				m.touched[p] = true
			}
		}
	case 6: // madvise(DONTNEED)
		i, np := h.pickRange()
		h.last = fmt.Sprintf("madvise(%v, %d pages, DONTNEED)", m.addr(i), np)
		err := h.g.Madvise(m.addr(i), uint64(np)<<PageShift, unix.MADV_DONTNEED)
		end := min(i+np, m.n())
		var want unix.Errno
		if !m.inWin(i, np) || !m.allKind(i, np, mGuest) {
			want = unix.ENOMEM
		}
		if errnoOf(err) != want {
			h.fatalf("got %v, want errno %v", err, want)
		}
		for p := i; p < end; p++ {
			if m.kind[p] == mGuest {
				m.tag[p] = 0
				m.touched[p] = true
			}
		}
	case 7, 8: // mremap
		h.mremap(op == 8)
	case 9: // brk
		delta := (h.src.intn(64) - 24) * PageSize / 2
		req := m.brk + Addr(int64(delta))
		if h.src.intn(16) == 0 {
			req = 0
		}
		h.last = fmt.Sprintf("brk(%v) from %v", req, m.brk)
		got := h.g.Brk(req)
		want := h.modelBrk(req)
		if got != want {
			h.fatalf("got %v, want %v", got, want)
		}
	case 10: // MapBlock
		np := 1 << h.src.intn(6)
		align := 1 << h.src.intn(6)
		h.last = fmt.Sprintf("MapBlock(%d pages, align %d pages)", np, align)
		r, err := h.g.MapBlock(uint64(np)<<PageShift, uint64(align)<<PageShift)
		s, ok := m.place(np, align, -1)
		if !ok {
			if errnoOf(err) != unix.ENOMEM {
				h.fatalf("got %v, %v; want ENOMEM", r, err)
			}
			break
		}
		if err != nil || r.Start != m.addr(s) || r.Pages() != uint64(np) {
			h.fatalf("got %v, %v; want start %v", r, err, m.addr(s))
		}
		m.set(s, np, mHost, unix.PROT_READ|unix.PROT_WRITE)
		m.blocks = append(m.blocks, r)
	case 11: // UnmapBlock, sometimes of something that is not a block
		if len(m.blocks) == 0 {
			break
		}
		k := h.src.intn(len(m.blocks))
		r := m.blocks[k]
		if h.src.intn(4) == 0 {
			bad := AddrRange{Start: r.Start, End: r.End - PageSize}
			if bad.Start == bad.End {
				bad.End = r.End + PageSize
			}
			h.last = fmt.Sprintf("UnmapBlock(%v) (not a block)", bad)
			if err := h.g.UnmapBlock(bad); errnoOf(err) != unix.EINVAL {
				h.fatalf("got %v, want EINVAL", err)
			}
			break
		}
		h.last = fmt.Sprintf("UnmapBlock(%v)", r)
		if err := h.g.UnmapBlock(r); err != nil {
			h.fatalf("got %v", err)
		}
		m.free(m.idx(r.Start), int(r.Pages()))
		m.blocks = append(m.blocks[:k], m.blocks[k+1:]...)
	case 12: // write a tag into a readable guest page or a host-heap block
		p := h.guestPage()
		if len(m.blocks) > 0 && h.src.intn(2) == 0 {
			p = m.idx(m.blocks[h.src.intn(len(m.blocks))].Start)
		}
		if p < 0 || m.prot[p]&unix.PROT_READ == 0 {
			break
		}
		v := byte(1 + h.src.intn(255))
		h.last = fmt.Sprintf("poke(%v, %d)", m.addr(p), v)
		poke(h.t, h.mem, m.addr(p), v)
		m.tag[p] = v
	}
	h.verify(false)
}

func (h *gsHarness) mremap(fixed bool) {
	m := h.m
	g := h.guestPage()
	if g < 0 {
		return
	}
	// The old range: from g, as many pages of the same protection as the
	// choice allows.
	oldN := 1
	for oldN < 1+h.src.intn(12) && g+oldN < m.n() && m.kind[g+oldN] == mGuest && m.prot[g+oldN] == m.prot[g] {
		oldN++
	}
	newN := 1 + h.src.intn(24)
	flags := 0
	if h.src.intn(3) != 0 {
		flags = unix.MREMAP_MAYMOVE
	}
	var dest int
	if fixed {
		flags = unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED
		dest, _ = h.pickRange()
	}
	h.last = fmt.Sprintf("mremap(%v, %d pages, %d pages, %#x, %v)", m.addr(g), oldN, newN, flags, m.addr(dest))
	got, err := h.g.Mremap(m.addr(g), uint64(oldN)<<PageShift, uint64(newN)<<PageShift, flags, m.addr(dest))
	// The kernel may keep adjacent areas apart (different anon_vma) where
	// the bookkeeping merged them, and mremap then answers EFAULT without
	// changing anything. Accept that only when /proc/self/maps indeed
	// shows the old range split over several areas.
	if errnoOf(err) == unix.EFAULT {
		oldR := AddrRange{Start: m.addr(g), End: m.addr(g + oldN)}
		es, rerr := ReadMaps()
		if rerr != nil {
			h.fatalf("ReadMaps: %v", rerr)
		}
		for _, e := range es {
			if e.Range.IsSupersetOf(oldR) {
				h.fatalf("EFAULT, but the kernel has %v in one area %v", oldR, e)
			}
		}
		return
	}
	move := func(to int) {
		prot := int(m.prot[g])
		tags := append([]byte(nil), m.tag[g:g+oldN]...)
		m.free(g, oldN)
		m.set(to, newN, mGuest, prot)
		copy(m.tag[to:to+min(oldN, newN)], tags)
	}
	var want unix.Errno
	var wantAddr Addr
	switch {
	case fixed:
		switch {
		case dest < g+oldN && g < dest+newN:
			want = unix.EINVAL
		case !m.inWin(dest, newN):
			want = unix.ENOMEM
		case m.anyKind(dest, newN, mHost):
			want = unix.ENOMEM
		default:
			wantAddr = m.addr(dest)
			move(dest)
		}
	case newN <= oldN:
		wantAddr = m.addr(g)
		m.free(g+newN, oldN-newN)
	case m.inWin(g+oldN, newN-oldN) && m.allKind(g+oldN, newN-oldN, mFree):
		wantAddr = m.addr(g)
		m.set(g+oldN, newN-oldN, mGuest, int(m.prot[g]))
	case flags&unix.MREMAP_MAYMOVE == 0:
		want = unix.ENOMEM
	default:
		s, ok := m.place(newN, 1, -1)
		if !ok {
			want = unix.ENOMEM
			break
		}
		wantAddr = m.addr(s)
		move(s)
	}
	if errnoOf(err) != want || (want == 0 && got != wantAddr) {
		h.fatalf("got %v, %v; want %v, errno %v", got, err, wantAddr, want)
	}
}

// modelBrk is the kernel's brk on the model.
func (h *gsHarness) modelBrk(req Addr) Addr {
	m := h.m
	cur := m.brk
	if req < m.brkBase {
		return cur
	}
	newEnd, _ := req.RoundUp()
	oldEnd, _ := cur.RoundUp()
	switch {
	case newEnd < oldEnd:
		i, np := m.idx(newEnd), int((oldEnd-newEnd)>>PageShift)
		if m.anyKind(i, np, mHost) {
			return cur
		}
		for p := i; p < i+np; p++ {
			if m.kind[p] == mGuest {
				m.free(p, 1)
			}
		}
	case newEnd > oldEnd:
		i, np := m.idx(oldEnd), int((newEnd-oldEnd)>>PageShift)
		if !m.inWin(i, np) || !m.allKind(i, np, mFree) {
			return cur
		}
		if g := i + np; g < m.n() && m.kind[g] != mFree {
			return cur
		}
		m.set(i, np, mGuest, unix.PROT_READ|unix.PROT_WRITE)
	}
	m.brk = req
	return req
}

// verify compares GuestSpace with the model and the kernel. full also
// compares the contents of every readable page.
func (h *gsHarness) verify(full bool) {
	h.t.Helper()
	m := h.m
	if err := h.g.Check(); err != nil {
		h.fatalf("Check: %v", err)
	}
	// The kernel's view of the window, page by page.
	es, err := ReadMaps()
	if err != nil {
		h.fatalf("ReadMaps: %v", err)
	}
	kprot := make([]int8, m.n())
	for i := range kprot {
		kprot[i] = -1
	}
	for _, e := range es {
		r := e.Range.Intersect(m.win)
		for a := r.Start; a < r.End; a += PageSize {
			kprot[m.idx(a)] = int8(e.Prot)
			if e.Shared {
				h.fatalf("%v is shared in the kernel", a)
			}
		}
	}
	// GuestSpace's view, page by page, from its recorded ranges; Prot
	// itself is compared on a sample.
	gprot := make([]int8, m.n())
	for i := range gprot {
		gprot[i] = -1
	}
	h.g.mu.RLock()
	vs := slices.Clone(h.g.vmas.v)
	h.g.mu.RUnlock()
	for _, v := range vs {
		if !m.win.IsSupersetOf(v.r) {
			h.fatalf("recorded %v outside the window", v.r)
		}
		for a := v.r.Start; a < v.r.End; a += PageSize {
			if want := [3]vmaKind{0, vmaGuest, vmaHostHeap}[m.kind[m.idx(a)]]; v.kind != want {
				h.fatalf("page %v recorded as %v, model kind %d", a, v.kind, m.kind[m.idx(a)])
			}
			gprot[m.idx(a)] = int8(v.prot)
		}
	}
	for k := 0; k < 16; k++ {
		p := h.src.intn(m.n())
		prot, ok := h.g.Prot(m.addr(p))
		if !ok {
			prot = -1
		}
		if int8(prot) != gprot[p] {
			h.fatalf("Prot(%v) = %d, recorded %d", m.addr(p), prot, gprot[p])
		}
	}
	for p := 0; p < m.n(); p++ {
		a := m.addr(p)
		switch m.kind[p] {
		case mFree:
			if kprot[p] != -1 {
				h.fatalf("page %v: kernel has it mapped (prot %d), model free", a, kprot[p])
			}
			if gprot[p] != -1 {
				h.fatalf("page %v: GuestSpace has it mapped, model free", a)
			}
		default:
			if kprot[p] != m.prot[p] {
				h.fatalf("page %v: kernel prot %d, model %d (kind %d)", a, kprot[p], m.prot[p], m.kind[p])
			}
			if gprot[p] != m.prot[p] {
				h.fatalf("page %v: GuestSpace prot %d, model %d", a, gprot[p], m.prot[p])
			}
		}
		if m.touched[p] && !covered(h.hooked, a) {
			h.fatalf("page %v changed but the hook saw only %v", a, h.hooked)
		}
		if (full || h.src.intn(64) == 0) && m.kind[p] != mFree && m.prot[p]&unix.PROT_READ != 0 {
			if got := peek(h.t, h.mem, a); got != m.tag[p] {
				h.fatalf("page %v holds %d, model %d", a, got, m.tag[p])
			}
		}
	}
	if got := h.g.Brk(0); got != m.brk {
		h.fatalf("brk(0) = %v, model %v", got, m.brk)
	}
	st := h.g.Stats()
	var guest, host uint64
	for p := range m.kind {
		switch m.kind[p] {
		case mGuest:
			guest += PageSize
		case mHost:
			host += PageSize
		}
	}
	if st.GuestBytes != guest || st.HostHeapBytes != host {
		h.fatalf("stats: guest %d host %d bytes, model %d %d", st.GuestBytes, st.HostHeapBytes, guest, host)
	}
}

func covered(rs []AddrRange, a Addr) bool {
	for _, r := range rs {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

func TestGuestSpaceAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			h := newGSHarness(t, randSource{rand.New(rand.NewPCG(seed, 0x6d656d))})
			for i := 0; i < 1200; i++ {
				h.step()
			}
			h.verify(true)
			t.Logf("stats: %+v", h.g.Stats())
			if err := h.g.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			es, err := ReadMaps()
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				if e.Range.Overlaps(h.m.win) {
					t.Fatalf("after Close the window still holds %v", e)
				}
			}
		})
	}
}

// FuzzGuestSpace decodes the input into operations (two bytes per choice)
// and checks each step against the model and /proc/self/maps.
func FuzzGuestSpace(f *testing.F) {
	f.Add([]byte{0, 0, 0, 5, 0, 3, 0, 1, 0, 4, 0, 0, 0, 2})
	f.Add([]byte{0, 10, 0, 3, 0, 2, 0, 2, 0, 9, 0, 40, 0, 0, 0, 7, 0, 1, 0, 3})
	f.Add([]byte("\x00\x09\x00\x3f\x00\x00\x00\x09\x00\x30\x00\x01\x00\x04\x00\x02\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			data = data[:4096]
		}
		src := &byteSource{b: data}
		h := newGSHarness(t, src)
		for !src.exhausted() {
			h.step()
		}
		h.verify(true)
	})
}
