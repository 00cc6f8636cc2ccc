package mm

import (
	"runtime/debug"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGuestSpaceTrampoline: MapTrampoline puts minemu's code into the guest
// window as a read-execute page holding exactly the bytes given; the
// kernel has it r-x, writing it faults, the guest can neither unmap,
// protect, remap nor replace it, the audit and ClassOf call it
// ClassTrampoline, and in Mode32 the audit accepts it below 4 GiB.
func TestGuestSpaceTrampoline(t *testing.T) {
	g, w := newTestSpace(t, 64<<20)
	code := []byte{0x0f, 0x3e, 0xcc}
	r, err := g.MapTrampoline(code)
	if err != nil {
		t.Fatalf("MapTrampoline: %v", err)
	}
	if r.Length() != PageSize || !w.IsSupersetOf(r) {
		t.Fatalf("MapTrampoline = %v, want one page inside %v", r, w)
	}
	if got := memView(r.Start, 3); string(got) != string(code) {
		t.Fatalf("trampoline holds % x, want % x", got, code)
	}
	const rx = unix.PROT_READ | unix.PROT_EXEC
	if p, ok := g.Prot(r.Start); !ok || p != rx || kernelProt(t, r.Start) != rx {
		t.Fatalf("trampoline protection %#x (ok %v), kernel %#x; want r-x", p, ok, kernelProt(t, r.Start))
	}
	if c, ok := g.ClassOf(r.Start + 100); !ok || c != ClassTrampoline {
		t.Fatalf("ClassOf = %v, %v; want trampoline", c, ok)
	}
	if !writeFaults(r.Start) {
		t.Fatalf("writing the trampoline did not fault")
	}
	if err := g.Munmap(r.Start, PageSize); err == nil || kernelProt(t, r.Start) != rx {
		t.Fatalf("guest munmap of the trampoline: %v (kernel prot %#x), want a refusal", err, kernelProt(t, r.Start))
	}
	if err := g.Mprotect(r.Start, PageSize, unix.PROT_READ|unix.PROT_WRITE); err == nil || kernelProt(t, r.Start) != rx {
		t.Fatalf("guest mprotect of the trampoline: %v, want a refusal", err)
	}
	if _, err := g.Mremap(r.Start, PageSize, 2*PageSize, unix.MREMAP_MAYMOVE, 0); err == nil {
		t.Fatalf("guest mremap of the trampoline succeeded")
	}
	if _, err := g.Mmap(r.Start, PageSize, unix.PROT_READ|unix.PROT_WRITE, gsAnon|unix.MAP_FIXED, -1, 0); err == nil || kernelProt(t, r.Start) != rx {
		t.Fatalf("guest MAP_FIXED over the trampoline: %v, want a refusal", err)
	}
	if got := memView(r.Start, 3); string(got) != string(code) {
		t.Fatalf("trampoline changed to % x", got)
	}
	classes := map[Class]int{}
	g.OwnedRanges(func(o AddrRange, c Class) {
		if o == r {
			classes[c]++
		}
	})
	if classes[ClassTrampoline] != 1 {
		t.Fatalf("OwnedRanges calls the trampoline %v", classes)
	}
	rep, err := Audit(AuditConfig{Mode: Mode32, Owners: []RangeOwner{g}, TolerateLowImage: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range rep.Segments {
		if s.Range.Overlaps(r) {
			found = s.Class == ClassTrampoline
		}
	}
	if !found {
		t.Fatalf("the audit does not classify the trampoline page as trampoline")
	}
	for _, v := range rep.Violations {
		t.Logf("audit: %s", v)
	}
	if st := g.Stats(); st.TrampolineBytes != PageSize {
		t.Fatalf("TrampolineBytes %d, want %d", st.TrampolineBytes, PageSize)
	}
	if err := g.Check(); err != nil {
		t.Fatal(err)
	}
	if err := g.UnmapTrampoline(AddrRange{Start: r.Start, End: r.End + PageSize}); err != unix.EINVAL {
		t.Fatalf("UnmapTrampoline of a wrong range: %v, want EINVAL", err)
	}
	if err := g.UnmapTrampoline(r); err != nil || kernelProt(t, r.Start) != -1 {
		t.Fatalf("UnmapTrampoline: %v (kernel prot %#x)", err, kernelProt(t, r.Start))
	}
}

// writeFaults reports whether a one-byte store at a faults.
func writeFaults(a Addr) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		faulted = recover() != nil
	}()
	memView(a, 1)[0] = 0x90
	return false
}
