package interp

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa/cpuid"
)

// TestSaveAreaLayoutIsCPUID: the XSAVE layout guest/cpu saves in is the
// one the CPU model reports (leaf 0xD) and XCR0's components are the same
// bits.
func TestSaveAreaLayoutIsCPUID(t *testing.T) {
	for _, c := range []struct {
		what      string
		got, want uint64
	}{
		{"legacy region", cpu.FXSaveSize, cpuid.XSaveLegacySize},
		{"header", cpu.XSaveHeader, cpuid.XSaveLegacySize},
		{"AVX offset", cpu.XSaveAVX, cpuid.XSaveAVXOffset},
		{"area size", cpu.XSaveSize, cpuid.XSaveAVXOffset + cpuid.XSaveAVXSize},
		{"x87 bit", cpu.XStateX87, cpuid.XCR0X87},
		{"SSE bit", cpu.XStateSSE, cpuid.XCR0SSE},
		{"AVX bit", cpu.XStateAVX, cpuid.XCR0AVX},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.what, c.got, c.want)
		}
	}
}
