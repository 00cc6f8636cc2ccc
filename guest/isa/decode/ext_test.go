package decode_test

import (
	"errors"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/guest/isa/decode"
	"github.com/minemu/minemu/mm"
)

// TestDecodeExt: the encodings ext.go decodes before x86asm →
// minemu's op and length, or the refusal (#UD) a CPU without AVX-512 or
// with the bytes malformed gives.
func TestDecodeExt(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode mm.Mode
		code []byte
		op   x86asm.Op // 0: a decode.DecodeError
		n    int
		size int // DataSize
	}{
		{"adcx", mm.Mode64, []byte{0x66, 0x0f, 0x38, 0xf6, 0xc1}, decode.OpAdcx, 5, 32},
		{"adcx64", mm.Mode64, []byte{0x66, 0x48, 0x0f, 0x38, 0xf6, 0xc1}, decode.OpAdcx, 6, 64},
		{"adcx-mem-disp32", mm.Mode64, []byte{0x66, 0x4c, 0x0f, 0x38, 0xf6, 0x84, 0x24, 0x78, 0x56, 0x34, 0x12}, decode.OpAdcx, 11, 64},
		{"adcx-fs", mm.Mode32, []byte{0x64, 0x66, 0x0f, 0x38, 0xf6, 0x03}, decode.OpAdcx, 6, 32},
		{"adox", mm.Mode32, []byte{0xf3, 0x0f, 0x38, 0xf6, 0xc1}, decode.OpAdox, 5, 32},
		{"adox64", mm.Mode64, []byte{0xf3, 0x49, 0x0f, 0x38, 0xf6, 0xc1}, decode.OpAdox, 6, 64},
		{"adox-66", mm.Mode64, []byte{0x66, 0xf3, 0x0f, 0x38, 0xf6, 0xc1}, decode.OpAdox, 6, 32},
		{"adox-66-after", mm.Mode32, []byte{0xf3, 0x66, 0x0f, 0x38, 0xf6, 0x03}, decode.OpAdox, 6, 32},
		{"adcx-f2", mm.Mode64, []byte{0x66, 0xf2, 0x0f, 0x38, 0xf6, 0xc1}, 0, 0, 0},
		{"adcx-lock", mm.Mode64, []byte{0xf0, 0x66, 0x0f, 0x38, 0xf6, 0x03}, 0, 0, 0},
		{"rdseed", mm.Mode32, []byte{0x0f, 0xc7, 0xf8}, decode.OpRdseed, 3, 32},
		{"rdseed16", mm.Mode32, []byte{0x66, 0x0f, 0xc7, 0xf9}, decode.OpRdseed, 4, 16},
		{"rdseed64", mm.Mode64, []byte{0x49, 0x0f, 0xc7, 0xf8}, decode.OpRdseed, 4, 64},
		{"rdpid32", mm.Mode32, []byte{0xf3, 0x0f, 0xc7, 0xf9}, decode.OpRdpid, 4, 32},
		{"rdpid64", mm.Mode64, []byte{0xf3, 0x41, 0x0f, 0xc7, 0xf9}, decode.OpRdpid, 5, 64},
		{"rdpid-f2", mm.Mode64, []byte{0xf2, 0x0f, 0xc7, 0xf9}, 0, 0, 0},
		{"evex64", mm.Mode64, []byte{0x62, 0xf1, 0xfd, 0x48, 0x58, 0xc1}, 0, 0, 0},
		{"evex64-mem-form", mm.Mode64, []byte{0x62, 0x71, 0x7c, 0x48, 0x10, 0x00}, 0, 0, 0},
		{"evex32", mm.Mode32, []byte{0x62, 0xf1, 0xfd, 0x48, 0x58, 0xc1}, 0, 0, 0},
		{"clwb", mm.Mode64, []byte{0x66, 0x0f, 0xae, 0x34, 0x24}, x86asm.NOP, 5, 16},
		{"salc", mm.Mode32, []byte{0xd6}, decode.OpSalc, 1, 32},
		{"salc64", mm.Mode64, []byte{0xd6}, 0, 0, 0},
		{"bound32", mm.Mode32, []byte{0x62, 0x03}, x86asm.BOUND, 2, 32},
		{"hint-nop-19", mm.Mode64, []byte{0x0f, 0x19, 0x84, 0x24, 0x78, 0x56, 0x34, 0x12}, x86asm.NOP, 8, 32},
		{"bndmov-nop", mm.Mode64, []byte{0x66, 0x0f, 0x1b, 0x04, 0x24}, x86asm.NOP, 5, 16},
		{"hint-nop-1e", mm.Mode32, []byte{0x0f, 0x1e, 0xc0}, x86asm.NOP, 3, 32},
		{"prefetch-reserved", mm.Mode64, []byte{0x0f, 0x18, 0x20}, x86asm.NOP, 3, 32},
		{"prefetch-amd", mm.Mode64, []byte{0x0f, 0x0d, 0x00}, x86asm.NOP, 3, 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := decode.Decode(tc.code, 0x1000, tc.mode)
			if tc.op == 0 {
				var de *decode.DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("got %v (err %v), want a decode.DecodeError", inst, err)
				}
				return
			}
			if err != nil || inst.Op != tc.op || inst.Len != tc.n || inst.DataSize != tc.size {
				t.Fatalf("got op %v len %d size %d err %v, want %v len %d size %d", inst.Op, inst.Len, inst.DataSize, err, tc.op, tc.n, tc.size)
			}
			if _, err := isa.Lower(&inst, 0x1000, tc.mode); err != nil {
				t.Fatalf("lowering: %v", err)
			}
			// Cut short, the same bytes are truncated, not something else.
			if _, err := decode.Decode(tc.code[:tc.n-1], 0x1000, tc.mode); err != decode.ErrTruncated {
				t.Fatalf("got %v for the first %d bytes, want decode.ErrTruncated", err, tc.n-1)
			}
		})
	}
}

// TestVexAddrSize: x86asm leaves AddrSize 0 for VEX instructions and
// refuses them after 67 or a segment override; Decode gives them the
// mode's address size or, with 67, the other one, and the segment, which
// lowering needs for the memory operand.
func TestVexAddrSize(t *testing.T) {
	for _, tc := range []struct {
		mode  mm.Mode
		code  []byte
		asize uint8
	}{
		{mm.Mode64, []byte{0xc4, 0xe2, 0x78, 0xf2, 0x03}, 8},
		{mm.Mode64, []byte{0x67, 0xc4, 0xe2, 0x78, 0xf2, 0x03}, 4},
		{mm.Mode64, []byte{0x64, 0x67, 0xc4, 0xe2, 0x78, 0xf2, 0x44, 0x8b, 0x10}, 4},
		{mm.Mode32, []byte{0xc4, 0xe2, 0x78, 0xf2, 0x03}, 4},
		{mm.Mode32, []byte{0x65, 0xc4, 0xe2, 0x78, 0xf2, 0x03}, 4},
	} {
		inst, err := decode.Decode(tc.code, 0x1000, tc.mode)
		if err != nil {
			t.Fatalf("% x: %v", tc.code, err)
		}
		o, err := isa.Lower(&inst, 0x1000, tc.mode)
		seg := isa.SegNone
		switch tc.code[0] {
		case 0x64:
			seg = isa.SegFS
		case 0x65:
			seg = isa.SegGS
		}
		if err != nil || o.Src.Kind != isa.KindMem || o.M.ASize != tc.asize || o.M.Seg != seg || int(o.Len) != len(tc.code) {
			t.Fatalf("% x in %v: got op %+v err %v, want a memory source with address size %d, segment %d", tc.code, tc.mode, o, err, tc.asize, seg)
		}
	}
}
