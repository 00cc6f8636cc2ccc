package isa

import (
	"testing"

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
			inst, err := Decode(tc.code, 0, tc.mode)
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
			inst, err := Decode(tc.code, 0, tc.mode)
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
