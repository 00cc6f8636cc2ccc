package isa

import (
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/mm"
)

// TestVecOps checks that every OpVec sub-operation has the function its
// kind calls (the interpreter calls it without a nil check).
func TestVecOps(t *testing.T) {
	for i, s := range VecOps[1:] {
		var ok bool
		switch s.Kind {
		case Vec2:
			ok = s.F2 != nil
		case Vec2I:
			ok = s.F2I != nil
		case Vec1:
			ok = s.F1 != nil
		case Vec1I:
			ok = s.F1I != nil
		case VecF2:
			ok = s.FF2 != nil
		case VecF1:
			ok = s.FF1 != nil
		case VecF2I:
			ok = s.FF2I != nil
		case VecF1I:
			ok = s.FF1I != nil
		case Vec3X0:
			ok = s.F3 != nil
		case VecExtr:
			ok = s.Ext != nil
		case VecInsr:
			ok = s.Ins != nil
		case VecPtest:
			ok = s.Flag != nil
		case VecStrI:
			ok = s.StrI != nil
		case VecStrM:
			ok = s.StrM != nil
		case VecComi:
			ok = s.Comi != nil
		case VecCvtI2F:
			ok = s.CvtI != nil
		case VecCvtF2I:
			ok = s.CvtF != nil
		case VecMaskMov, VecCrc32, VecFxsave, VecFxrstor, VecRdrand, VecRdtscp, VecMovbe, VecXsave, VecXsavec, VecXrstor, VecXgetbv:
			ok = true
		}
		if !ok {
			t.Errorf("VecOps[%d] %s: kind %d without its function", i+1, s.Name, s.Kind)
		}
	}
}

// TestLowerVec checks the operand forms lowering gives OpVec: the 16-byte
// legacy memory operands that must be aligned, the smaller and the
// unaligned ones that need not (the MMX forms are OpMmx: lower_mmx_test.go).
func TestLowerVec(t *testing.T) {
	for _, tc := range []struct {
		name    string
		code    []byte
		ok      bool
		aligned bool
		ssize   uint8
	}{
		{"pmuludq xmm, m128", []byte{0x66, 0x0f, 0xf4, 0x03}, true, true, 16},
		{"pmuludq xmm, xmm", []byte{0x66, 0x0f, 0xf4, 0xc1}, true, false, 0},
		{"pmovzxbw xmm, m64", []byte{0x66, 0x0f, 0x38, 0x30, 0x03}, true, false, 8},
		{"pcmpistri xmm, m128, imm", []byte{0x66, 0x0f, 0x3a, 0x63, 0x03, 0x0c}, true, false, 16},
		{"addss xmm, m32", []byte{0xf3, 0x0f, 0x58, 0x03}, true, false, 4},
		{"addps xmm, m128", []byte{0x0f, 0x58, 0x03}, true, true, 16},
		{"pinsrw xmm, m16, imm", []byte{0x66, 0x0f, 0xc4, 0x03, 0x01}, true, false, 2},
	} {
		inst, err := x86asm.Decode(tc.code, 64)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		o, err := Lower(&inst, 0x1000, mm.Mode64)
		if (err == nil) != tc.ok {
			t.Errorf("%s: lowering error %v, want ok %v", tc.name, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if o.Code != OpVec || (o.Flags&FlagAligned != 0) != tc.aligned || o.SSize != tc.ssize {
			t.Errorf("%s: code %d aligned %v ssize %d, want OpVec %v %d", tc.name, o.Code, o.Flags&FlagAligned != 0, o.SSize, tc.aligned, tc.ssize)
		}
	}
}
