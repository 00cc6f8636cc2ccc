package main

import (
	"fmt"
	"io"

	"github.com/minemu/minemu/mm"
)

// warnIfImageLow writes a warning to w when minemu's own image (its file
// mappings and bss) lies below 4 GiB. A 32-bit guest owns [64 KiB, 4 GiB);
// a binary built the default way is linked at 0x400000, exactly where
// non-PIE i386 and x86-64 programs are linked, so their segments would
// collide with minemu itself. Built with -buildmode=pie the kernel places
// the image high and nothing of minemu's own is left below 4 GiB. It
// returns whether the image is low, so that the 4 GiB audit can tolerate
// what it has already warned about.
func warnIfImageLow(w io.Writer) (low bool) {
	low, image, err := mm.ImageBelow4G()
	if msg := imageWarning(low, image, err); msg != "" {
		fmt.Fprint(w, msg)
	}
	return err == nil && low
}

// imageWarning is the text warnIfImageLow prints, empty when all is well.
func imageWarning(low bool, image mm.AddrRange, err error) string {
	if err != nil {
		return fmt.Sprintf("minemu: warning: cannot check where minemu's own image lies: %v\n", err)
	}
	if !low {
		return ""
	}
	return fmt.Sprintf("minemu: warning: minemu's own image lies at %v, below 4 GiB, where 32-bit guests live;\n"+
		"minemu: warning: a guest mapped there will collide with it. Build minemu as a position-independent\n"+
		"minemu: warning: executable: go build -buildmode=pie ./cmd/minemu\n", image)
}
