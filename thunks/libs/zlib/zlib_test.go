package zlib

import (
	"bytes"
	"compress/zlib"
	"math/rand"
	"testing"

	"github.com/minemu/minemu/thunks"
)

// TestGuestSideIsGenerated fails when the committed guest side differs
// from the declaration: run `go generate ./thunks/libs/zlib`.
func TestGuestSideIsGenerated(t *testing.T) {
	if err := thunks.CheckGenerated(Library, "../../../tests/guests/include/minemu_zlib.h",
		"../../../tests/guests/include/minemu_zlib.c"); err != nil {
		t.Fatal(err)
	}
}

// TestCompressBoundHolds: what Go's compressor makes of incompressible
// data, at every level and many sizes, fits compressBound, so a guest
// that sizes dest with it never gets Z_BUF_ERROR from compress2.
func TestCompressBoundHolds(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	sizes := []int{0, 1, 2, 13, 100, 4095, 4096, 65534, 65535, 65536, 65537, 131070, 1 << 20}
	for _, n := range sizes {
		in := make([]byte, n)
		r.Read(in)
		for _, lvl := range []int{-1, 0, 1, 2, 5, 6, 9} {
			var out bytes.Buffer
			w, _ := zlib.NewWriterLevel(&out, lvl)
			w.Write(in)
			w.Close()
			if uint64(out.Len()) > boundOf(uint64(n)) {
				t.Errorf("n=%d level %d: %d bytes, bound %d", n, lvl, out.Len(), boundOf(uint64(n)))
			}
		}
	}
}
