package filecall

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestStatxSize: statx's buffer, which the kernel writes for both ABIs, is
// x/sys's Statx_t.
func TestStatxSize(t *testing.T) {
	if got, want := uintptr(sizeofStatx), unsafe.Sizeof(unix.Statx_t{}); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}
