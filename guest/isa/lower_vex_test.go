package isa

import (
	"testing"

	"github.com/minemu/minemu/guest/isa/decode"
	"github.com/minemu/minemu/mm"
)

// TestLowerVex: VEX instructions lower to OpVex with the vector length
// VEX.L gives, the operands in Intel order, and the register numbers a
// 32-bit guest can name; EVEX encodings and 64-bit registers in a 32-bit
// guest are refused.
func TestLowerVex(t *testing.T) {
	vec := func(r uint8) Arg { return Arg{Kind: KindVec, Reg: r} }
	for _, tc := range []struct {
		name string
		code []byte
		mode mm.Mode
		vl   uint8
		dst  Arg
		src  Arg
		src2 Arg
		imm  uint64
	}{
		{"vpxor ymm0, ymm0, ymm1", []byte{0xc5, 0xfd, 0xef, 0xc1}, mm.Mode64, 32, vec(0), vec(0), vec(1), 0},
		{"vpxor xmm2, xmm3, xmm9", []byte{0xc4, 0xc1, 0x61, 0xef, 0xd1}, mm.Mode64, 16, vec(2), vec(3), vec(9), 0},
		// In 32-bit mode VEX.B is ignored: the same bytes name xmm1.
		{"vpxor xmm2, xmm3, xmm1 (32-bit)", []byte{0xc4, 0xc1, 0x61, 0xef, 0xd1}, mm.Mode32, 16, vec(2), vec(3), vec(1), 0},
		{"vblendvps ymm0, ymm1, ymm2, ymm3", []byte{0xc4, 0xe3, 0x75, 0x4a, 0xc2, 0x30}, mm.Mode64, 32, vec(0), vec(1), vec(2), 0x30},
		{"vpsrld ymm1, ymm2, 5", []byte{0xc5, 0xf5, 0x72, 0xd2, 0x05}, mm.Mode64, 32, vec(1), vec(2), Arg{Kind: KindImm}, 5},
		{"vmovups ymm0, [rax]", []byte{0xc5, 0xfc, 0x10, 0x00}, mm.Mode64, 32, vec(0), Arg{Kind: KindMem}, Arg{}, 0},
		{"vmovups ymm0, [rip+0x10]", []byte{0xc5, 0xfc, 0x10, 0x05, 0x10, 0, 0, 0}, mm.Mode64, 32, vec(0), Arg{Kind: KindMem}, Arg{}, 0},
		{"vmovups ymm0, [0x10]", []byte{0xc5, 0xfc, 0x10, 0x04, 0x25, 0x10, 0, 0, 0}, mm.Mode64, 32, vec(0), Arg{Kind: KindMem}, Arg{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := decode.Decode(tc.code, 0, tc.mode)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			o, err := Lower(&inst, 0, tc.mode)
			if err != nil {
				t.Fatalf("Lower: %v", err)
			}
			if o.Code != OpVex || o.VL != tc.vl || o.Dst != tc.dst || o.Src != tc.src || o.Src2 != tc.src2 || o.Imm != tc.imm {
				t.Fatalf("got %+v, want OpVex VL %d %v, %v, %v imm %#x", o, tc.vl, tc.dst, tc.src, tc.src2, tc.imm)
			}
			if o.Src.Kind == KindMem && o.SSize != 32 {
				t.Fatalf("got memory size %d, want 32", o.SSize)
			}
			if o.Src.Kind == KindMem && len(tc.code) > 4 {
				// [rip+0x10] is 0x10 past the instruction's end, [0x10] absolute.
				want := uint64(0x10)
				if len(tc.code) == 8 {
					want += 8
				}
				if o.Disp != want || o.M.Base != NoReg || o.M.ASize != 8 {
					t.Fatalf("got address %+v disp %#x, want disp %#x, no base, 64-bit", o.M, o.Disp, want)
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		code []byte
		mode mm.Mode
	}{
		{"vpxord zmm0, zmm0, zmm1 (EVEX)", []byte{0x62, 0xf1, 0x7d, 0x48, 0xef, 0xc1}, mm.Mode64},
		{"vaddps xmm0, xmm0, xmm1 (EVEX.128)", []byte{0x62, 0xf1, 0x7c, 0x08, 0x58, 0xc1}, mm.Mode64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := decode.Decode(tc.code, 0, tc.mode)
			if err != nil {
				return // refused by the decoder: fine
			}
			if o, err := Lower(&inst, 0, tc.mode); err == nil {
				t.Fatalf("got %+v, want an unsupported instruction", o)
			}
		})
	}
}

// TestVexOps: every VexOps entry that computes has its function, and the
// ones the engine does itself have none.
func TestVexOps(t *testing.T) {
	for i, s := range VexOps[1:] {
		switch s.Kind {
		case VexWrite, VexFlags, VexStrI, VexStrM:
			if s.F == nil {
				t.Errorf("VexOps[%d] %s: kind %d without its function", i+1, s.Name, s.Kind)
			}
		default:
			if s.F != nil {
				t.Errorf("VexOps[%d] %s: kind %d has a function the engine would not call", i+1, s.Name, s.Kind)
			}
		}
	}
	if len(VexOps) < 256 {
		t.Fatalf("got %d VEX forms; the 16-bit index (Cond, Rep) is exercised only past 255", len(VexOps))
	}
}

// TestLowerVexFields: a form without a VEX.vvvv operand whose field is
// not 1111 is refused (#UD); in a 32-bit guest VEX.W1 is ignored, so
// vmovq with a general register is vmovd and vpextrq is vpextrd.
func TestLowerVexFields(t *testing.T) {
	lower := func(code []byte, mode mm.Mode) (Op, error) {
		inst, err := decode.Decode(code, 0, mode)
		if err != nil {
			t.Fatalf("% x: Decode: %v", code, err)
		}
		return Lower(&inst, 0, mode)
	}
	for _, code := range [][]byte{
		{0xc5, 0xf0, 0x28, 0xc2},       // vmovaps xmm0, xmm2 with vvvv = xmm1
		{0xc5, 0xf1, 0x70, 0xc2, 0x1b}, // vpshufd xmm0, xmm2, 0x1b with vvvv = xmm1
		{0xc5, 0xf0, 0x77},             // vzeroupper with vvvv = xmm1
	} {
		if o, err := lower(code, mm.Mode64); err == nil {
			t.Errorf("% x: got %+v, want an invalid opcode", code, o)
		}
	}
	for _, code := range [][]byte{
		{0xc5, 0xf1, 0x72, 0xd2, 0x05}, // vpsrld xmm1, xmm2, 5: vvvv is the destination
		{0xc5, 0xf8, 0x28, 0xc2},       // vmovaps xmm0, xmm2
	} {
		if _, err := lower(code, mm.Mode64); err != nil {
			t.Errorf("% x: %v", code, err)
		}
	}
	for _, tc := range []struct {
		code  []byte
		name  string
		size  uint8 // general-register width
		ssize uint8
	}{
		{[]byte{0xc4, 0xe1, 0xf9, 0x6e, 0xc1}, "VMOVD", 0, 4},      // vmovq xmm0, rcx
		{[]byte{0xc4, 0xe1, 0xf9, 0x6e, 0x03}, "VMOVD", 0, 4},      // vmovq xmm0, [rbx]
		{[]byte{0xc4, 0xe3, 0xf9, 0x16, 0xc1, 1}, "VPEXTRD", 4, 0}, // vpextrq rcx, xmm0, 1
		{[]byte{0xc4, 0xe1, 0xfa, 0x2d, 0xc1}, "VCVTSS2SI", 4, 0},  // vcvtss2si rax, xmm1
		{[]byte{0xc4, 0xe1, 0xf2, 0x2a, 0x03}, "VCVTSI2SS", 0, 4},  // vcvtsi2ss xmm0, xmm1, qword [rbx]
		{[]byte{0xc4, 0xe3, 0xf1, 0x22, 0xc1, 1}, "VPINSRD", 0, 4}, // vpinsrq xmm0, xmm1, rcx, 1
	} {
		o, err := lower(tc.code, mm.Mode32)
		if err != nil {
			t.Errorf("% x: %v", tc.code, err)
			continue
		}
		if got := VexOps[VexIndex(&o)].Name; got != tc.name || o.Size != tc.size || o.SSize != tc.ssize {
			t.Errorf("% x: got %s size %d ssize %d, want %s size %d ssize %d", tc.code, got, o.Size, o.SSize, tc.name, tc.size, tc.ssize)
		}
	}
}
