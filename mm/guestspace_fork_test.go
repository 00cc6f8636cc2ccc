package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestForkImageRestore: the image of a space lists its guest mappings
// (protection and sharing as the guest asked), and a new space over the
// same window rebuilt from it area by area holds the same mappings and
// break, passes Check, and refuses areas that overlap, leave the window or
// are malformed.
func TestForkImageRestore(t *testing.T) {
	g, w := newTestSpace(t, 64<<20)
	anon, err := g.Mmap(0, 3*PageSize, gsRW, gsAnon, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := g.Mmap(0, PageSize, unix.PROT_READ, gsAnon, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := g.Mmap(0, 2*PageSize, gsRW, unix.MAP_SHARED|unix.MAP_ANONYMOUS, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SetBrkBase(w.Start + 8<<20); err != nil {
		t.Fatal(err)
	}
	brk := g.Brk(w.Start + 8<<20 + 5000)
	img := g.ForkImage()
	want := map[Addr]ForkArea{
		anon:   {Range: AddrRange{anon, anon + 3*PageSize}, Prot: gsRW, Flags: gsAnon},
		ro:     {Range: AddrRange{ro, ro + PageSize}, Prot: unix.PROT_READ, Flags: gsAnon},
		shared: {Range: AddrRange{shared, shared + 2*PageSize}, Prot: gsRW, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS},
	}
	found := 0
	for _, a := range img.Areas {
		if wa, ok := want[a.Range.Start]; ok {
			found++
			if a != wa {
				t.Fatalf("area %+v, want %+v", a, wa)
			}
		}
	}
	if found != 3 || img.BrkBase != w.Start+8<<20 || img.Brk != brk {
		t.Fatalf("image %+v: %d of 3 areas, break [%v, %v), want [%v, %v)", img, found, img.BrkBase, img.Brk, w.Start+8<<20, brk)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}

	g2, err := NewGuestSpace(GuestSpaceConfig{Mode: Mode32, Window: w, StackGap: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	mapAt := func(a ForkArea) func(r AddrRange) error {
		return func(r AddrRange) error {
			flags := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE
			if a.Shared() {
				flags = unix.MAP_SHARED | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE
			}
			_, err := sysMmap(r.Start, r.Length(), a.Prot, flags, -1, 0)
			return err
		}
	}
	for _, a := range img.Areas {
		if err := g2.RestoreArea(a, mapAt(a)); err != nil {
			t.Fatalf("RestoreArea(%+v): %v", a, err)
		}
	}
	if err := g2.RestoreBrk(img.BrkBase, img.Brk); err != nil {
		t.Fatal(err)
	}
	if err := g2.Check(); err != nil {
		t.Fatalf("Check after restore: %v", err)
	}
	for a, wa := range want {
		if p, ok := g2.Prot(a); !ok || p != wa.Prot || kernelProt(t, a) != wa.Prot {
			t.Fatalf("restored %v: prot %#x (kernel %#x), want %#x", a, p, kernelProt(t, a), wa.Prot)
		}
	}
	if got := g2.Brk(0); got != brk {
		t.Fatalf("restored break %v, want %v", got, brk)
	}
	bad := []ForkArea{
		want[anon], // already there
		{Range: AddrRange{w.End, w.End + PageSize}, Prot: gsRW, Flags: gsAnon},                 // outside the window
		{Range: AddrRange{0x1000, 0x2000}, Prot: gsRW, Flags: gsAnon},                          // below mmap_min_addr
		{Range: AddrRange{w.Start + 40<<20, w.Start + 40<<20 + 10}, Prot: gsRW, Flags: gsAnon}, // unaligned
		{Range: AddrRange{w.Start + 40<<20, w.Start + 41<<20}, Prot: 0x10, Flags: gsAnon},      // bad prot
		{Range: AddrRange{w.Start + 40<<20, w.Start + 41<<20}, Prot: gsRW, Flags: 0},           // no type
	}
	for _, a := range bad {
		called := false
		if err := g2.RestoreArea(a, func(AddrRange) error { called = true; return nil }); err == nil || called {
			t.Fatalf("RestoreArea(%+v) = %v (mapped: %v), want a refusal before mapping", a, err, called)
		}
	}
	if err := g2.RestoreBrk(w.End, w.End+PageSize); err == nil {
		t.Fatal("RestoreBrk outside the window accepted")
	}
	if err := g2.Check(); err != nil {
		t.Fatalf("Check after refusals: %v", err)
	}
}
