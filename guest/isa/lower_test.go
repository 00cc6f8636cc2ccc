package isa

import (
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/isa/decode"
	"github.com/minemu/minemu/mm"
)

// TestLoweringTableCoversDecoder: every one of minemu's own ops, which
// the decoder numbers after x86asm's, has a lowering.
func TestLoweringTableCoversDecoder(t *testing.T) {
	for op := decode.OpThunk; op < decode.NumOps; op++ {
		if table[op].fn == nil {
			t.Fatalf("minemu's instruction %d has no lowering", op)
		}
	}
}

// TestLowerRecords pins what lowering puts in the op record: opcode, the
// operand forms resolved once, sizes, the memory operand's parts, the
// immediate, the third operand, the lock bit and the vector length.
func TestLowerRecords(t *testing.T) {
	const pc = 0x1000
	for _, tc := range []struct {
		name string
		mode mm.Mode
		code []byte
		want Op // PC, Len and Form are filled in; M as given
	}{
		{"add-ri", mm.Mode64, []byte{0x83, 0xc0, 0x05},
			Op{Code: OpAdd, Size: 4, Dst: Arg{KindReg, 0}, Src: Arg{Kind: KindImm}, Imm: 5}},
		{"add-rr", mm.Mode64, []byte{0x48, 0x01, 0xd8},
			Op{Code: OpAdd, Size: 8, Dst: Arg{KindReg, 0}, Src: Arg{KindReg, 3}}},
		{"add-mr", mm.Mode64, []byte{0x01, 0x43, 0x08},
			Op{Code: OpAdd, Size: 4, Dst: Arg{Kind: KindMem}, Src: Arg{KindReg, 0},
				M: Mem{Base: 3, Index: NoReg, ASize: 8}, Disp: 8}},
		{"mov-mi-sib", mm.Mode32, []byte{0xc7, 0x44, 0x8e, 0xfc, 0x78, 0x56, 0x34, 0x12},
			Op{Code: OpMov, Size: 4, Dst: Arg{Kind: KindMem}, Src: Arg{Kind: KindImm},
				M: Mem{Base: 6, Index: 1, Scale: 2, ASize: 4}, Disp: ^uint64(3), Imm: 0x12345678}},
		{"lock-add", mm.Mode64, []byte{0xf0, 0x01, 0x08},
			Op{Code: OpAtomic, Cond: uint8(OpAdd), Size: 4, Dst: Arg{Kind: KindMem}, Src: Arg{KindReg, 1}, Flags: FlagLock,
				M: Mem{Base: 0, Index: NoReg, ASize: 8}}},
		{"add-unlocked", mm.Mode64, []byte{0x01, 0x08},
			Op{Code: OpAdd, Size: 4, Dst: Arg{Kind: KindMem}, Src: Arg{KindReg, 1},
				M: Mem{Base: 0, Index: NoReg, ASize: 8}}},
		{"xchg-mem-implicit-lock", mm.Mode32, []byte{0x87, 0x0b},
			Op{Code: OpAtomic, Cond: uint8(OpXchg), Size: 4, Dst: Arg{Kind: KindMem}, Src: Arg{KindReg, 1},
				M: Mem{Base: 3, Index: NoReg, ASize: 4}}},
		{"xchg-reg", mm.Mode64, []byte{0x87, 0xc8},
			Op{Code: OpXchg, Size: 4, Dst: Arg{KindReg, 0}, Src: Arg{KindReg, 1}}},
		{"lock-cmpxchg16b", mm.Mode64, []byte{0xf0, 0x48, 0x0f, 0xc7, 0x0e},
			Op{Code: OpAtomic, Cond: uint8(OpCmpxchg16b), Size: 16, Dst: Arg{Kind: KindMem}, Flags: FlagLock,
				M: Mem{Base: 6, Index: NoReg, ASize: 8}}},
		{"imul3", mm.Mode64, []byte{0x6b, 0xc1, 0x07},
			Op{Code: OpImul3, Size: 4, Dst: Arg{KindReg, 0}, Src: Arg{KindReg, 1}, Src2: Arg{Kind: KindImm}, Imm: 7}},
		{"shld-cl", mm.Mode64, []byte{0x0f, 0xa5, 0xd8},
			Op{Code: OpShld, Size: 4, Dst: Arg{KindReg, 0}, Src: Arg{KindReg, 3}, Src2: Arg{KindReg, uint8(cpu.RCX)}}},
		{"pxor", mm.Mode64, []byte{0x66, 0x0f, 0xef, 0xc1},
			Op{Code: OpSimd, Cond: SimdXor, Size: 16, VL: 16, Flags: FlagAligned, Dst: Arg{KindVec, 0}, Src: Arg{KindVec, 1}}},
		{"pshufd", mm.Mode64, []byte{0x66, 0x0f, 0x70, 0xc1, 0x1b},
			Op{Code: OpPshufd, Size: 16, VL: 16, Flags: FlagAligned, Dst: Arg{KindVec, 0}, Src: Arg{KindVec, 1},
				Src2: Arg{Kind: KindImm}, Imm: 0x1b}},
		{"mov-gs", mm.Mode32, []byte{0x8e, 0xe8},
			Op{Code: OpMovToSeg, Cond: 5, Size: 2, Src: Arg{KindReg, 0}}},
		{"jne", mm.Mode64, []byte{0x75, 0x10},
			Op{Code: OpJcc, Cond: cpu.CondNE, Dst: Arg{Kind: KindImm}, Imm: pc + 2 + 0x10}},
		{"enter", mm.Mode64, []byte{0xc8, 0x10, 0x00, 0x03},
			Op{Code: OpEnter, Size: 8, Cond: 3, Imm: 0x10}},
		{"rep-movsb-fs", mm.Mode64, []byte{0xf3, 0x64, 0xa4},
			Op{Code: OpMovs, Size: 1, Rep: RepE, Dst: Arg{Kind: KindMem}, M: Mem{Base: NoReg, Index: NoReg, Seg: SegFS, ASize: 8}}},
		{"fstp-st1", mm.Mode32, []byte{0xdd, 0xd9},
			Op{Code: OpX87, Cond: X87St, Rep: 1, Dst: Arg{KindSt, 1}}},
		{"endbr64", mm.Mode64, []byte{0xf3, 0x0f, 0x1e, 0xfa}, Op{Code: OpNop}},
		{"trap", mm.Mode32, []byte{0x0f, 0x3e}, Op{Code: OpTrap}},
		{"thunk", mm.Mode64, append([]byte{0x0f, 0x3f}, make([]byte, 32)...), Op{Code: OpThunk, Size: 8}},
		{"thunk32", mm.Mode32, append([]byte{0x0f, 0x3f}, make([]byte, 32)...), Op{Code: OpThunk, Size: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := decode.Decode(tc.code, pc, tc.mode)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got, err := Lower(&inst, pc, tc.mode)
			if err != nil {
				t.Fatalf("Lower: %v", err)
			}
			want := tc.want
			want.PC, want.Len = pc, uint8(len(tc.code))
			want.Form = FormOf(want.Dst.Kind, want.Src.Kind, want.Src2.Kind)
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestFuseTarget: a compare-and-branch pair fuses into one op whose Disp is
// the branch target and whose Imm stays the compare's immediate.
func TestFuseTarget(t *testing.T) {
	code := []byte{0x83, 0xf8, 0x03, 0x75, 0x05} // cmp eax, 3; jne +5
	var ops []Op
	pc := uint64(0x2000)
	for off := 0; off < len(code); {
		inst, err := decode.Decode(code[off:], pc+uint64(off), mm.Mode64)
		if err != nil {
			t.Fatal(err)
		}
		o, err := Lower(&inst, pc+uint64(off), mm.Mode64)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, o)
		off += inst.Len
	}
	if n := Fuse(ops); n != 1 {
		t.Fatalf("Fuse left %d ops, want 1", n)
	}
	if o := ops[0]; o.Code != OpCmpJcc || o.Imm != 3 || o.Disp != pc+5+5 || o.Cond != cpu.CondNE || o.Len != 5 || o.Form != FormRI {
		t.Fatalf("fused op %+v", o)
	}
}
