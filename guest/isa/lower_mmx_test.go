package isa

import (
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/mm"
)

// TestLowerMMX checks that the MMX forms lower to OpMmx with their
// operands, and that their XMM forms do not.
func TestLowerMMX(t *testing.T) {
	for _, tc := range []struct {
		name     string
		code     []byte
		mmx      bool
		dst, src Kind
		size     uint8
	}{
		{"pmuludq mm, mm", []byte{0x0f, 0xf4, 0xc1}, true, KindMM, KindMM, 0},
		{"pmuludq xmm, xmm", []byte{0x66, 0x0f, 0xf4, 0xc1}, false, KindVec, KindVec, 0},
		{"pshufb mm, m64", []byte{0x0f, 0x38, 0x00, 0x03}, true, KindMM, KindMem, 0},
		{"psllw mm, imm", []byte{0x0f, 0x71, 0xf0, 0x03}, true, KindMM, KindImm, 0},
		{"movd mm, eax", []byte{0x0f, 0x6e, 0xc0}, true, KindMM, KindReg, 4},
		{"movq rax, mm", []byte{0x48, 0x0f, 0x7e, 0xc0}, true, KindReg, KindMM, 8},
		{"movq mm, m64", []byte{0x0f, 0x6f, 0x03}, true, KindMM, KindMem, 8},
		{"movq xmm, m64", []byte{0xf3, 0x0f, 0x7e, 0x03}, false, KindVec, KindMem, 0},
		{"cvtpi2ps xmm, m64", []byte{0x0f, 0x2a, 0x03}, true, KindVec, KindMem, 0},
		{"movq2dq xmm, mm", []byte{0xf3, 0x0f, 0xd6, 0xc1}, true, KindVec, KindMM, 0},
		{"emms", []byte{0x0f, 0x77}, true, KindNone, KindNone, 0},
	} {
		inst, err := x86asm.Decode(tc.code, 64)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		o, err := Lower(&inst, 0x1000, mm.Mode64)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (o.Code == OpMmx) != tc.mmx || o.Dst.Kind != tc.dst || o.Src.Kind != tc.src || tc.size != 0 && o.Size != tc.size {
			t.Errorf("%s: got code %d dst %d src %d size %d, want mmx %v dst %d src %d size %d",
				tc.name, o.Code, o.Dst.Kind, o.Src.Kind, o.Size, tc.mmx, tc.dst, tc.src, tc.size)
		}
	}
}
