package forkexec

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/mm"
)

func area(start, end uint64, flags int) Area {
	return Area{ForkArea: mm.ForkArea{Range: mm.AddrRange{Start: mm.Addr(start), End: mm.Addr(end)}, Prot: unix.PROT_READ, Flags: flags}, FD: -1}
}

// image is a fork image with two private areas and a shared one, laid out
// and encoded into a whole memfd's contents.
func image(t *testing.T) (*Image, []byte) {
	img := &Image{Kind: KindFork, Mode: mm.Mode32, CPU: []byte{1, 2, 3}, ExePath: "/bin/x",
		Areas: []Area{area(0x10000, 0x12000, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS), area(0x20000, 0x21000, unix.MAP_SHARED), area(0x30000, 0x31000, unix.MAP_PRIVATE)}}
	img.Areas[1].FD, img.Areas[1].Off = 7, 0x3000
	total := img.Layout(16 * mm.PageSize)
	hdr, need, err := img.Encode()
	if err != nil || need > 16*mm.PageSize {
		t.Fatalf("Encode: %v (needs %d)", err, need)
	}
	b := make([]byte, total)
	copy(b, hdr)
	return img, b
}

// TestImageRoundTrip: an encoded image decodes to the same image, private
// areas placed back to back after the header, the shared one keeping its
// object offset.
func TestImageRoundTrip(t *testing.T) {
	img, b := image(t)
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExePath != img.ExePath || len(got.Areas) != 3 || string(got.CPU) != string(img.CPU) {
		t.Fatalf("got %+v, want %+v", got, img)
	}
	if got.Areas[0].Off != 16*mm.PageSize || got.Areas[2].Off != 16*mm.PageSize+0x2000 {
		t.Fatalf("private offsets %#x %#x, want %#x %#x", got.Areas[0].Off, got.Areas[2].Off, 16*mm.PageSize, 16*mm.PageSize+0x2000)
	}
	if got.Areas[1].Off != 0x3000 || got.Areas[1].FD != 7 {
		t.Fatalf("shared area %+v, want offset 0x3000 and descriptor 7", got.Areas[1])
	}
}

// TestDecodeRejects: images that do not describe memory inside themselves
// are refused.
func TestDecodeRejects(t *testing.T) {
	cases := []struct {
		name string
		edit func(img *Image, b []byte) []byte
	}{
		{"empty", func(_ *Image, b []byte) []byte { return nil }},
		{"magic", func(_ *Image, b []byte) []byte { b[0] ^= 1; return b }},
		{"header length past the end", func(_ *Image, b []byte) []byte {
			binary.LittleEndian.PutUint64(b[8:], uint64(len(b)))
			return b
		}},
		{"truncated data", func(_ *Image, b []byte) []byte { return b[:len(b)-1] }},
		{"garbage header", func(_ *Image, b []byte) []byte {
			for i := 16; i < 64; i++ {
				b[i] = 0xff
			}
			return b
		}},
	}
	for _, tc := range cases {
		img, b := image(t)
		if _, err := Decode(tc.edit(img, b)); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	reencode := []struct {
		name string
		edit func(img *Image)
	}{
		{"unsorted areas", func(img *Image) { img.Areas[0], img.Areas[2] = img.Areas[2], img.Areas[0] }},
		{"overlapping areas", func(img *Image) { img.Areas[2].Range.Start = 0x11000 }},
		{"unaligned area", func(img *Image) { img.Areas[0].Range.End = 0x12001 }},
		{"contents outside", func(img *Image) { img.Areas[2].Off = 1 << 40 }},
		{"contents in the header", func(img *Image) { img.Areas[0].Off = 0 }},
		{"shared without descriptor", func(img *Image) { img.Areas[1].FD = -1 }},
		{"unknown kind", func(img *Image) { img.Kind = 9 }},
		{"unknown mode", func(img *Image) { img.Mode = 3 }},
	}
	for _, tc := range reencode {
		img, b := image(t)
		tc.edit(img)
		hdr, _, err := img.Encode()
		if err != nil {
			t.Fatal(err)
		}
		copy(b, hdr)
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// FuzzDecode: any bytes decode without a panic, and what decodes has its
// private areas inside the bytes.
func FuzzDecode(f *testing.F) {
	_, b := image(&testing.T{})
	f.Add(b)
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := Decode(b)
		if err != nil {
			return
		}
		for _, a := range img.Areas {
			if !a.Shared() && a.Off+int64(a.Range.Length()) > int64(len(b)) {
				t.Fatalf("area %v's contents at %#x past the end %#x", a.Range, a.Off, len(b))
			}
		}
	})
}
