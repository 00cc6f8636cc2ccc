package interp

import (
	"testing"

	"github.com/minemu/minemu/guest/isa"
	"github.com/minemu/minemu/guest/isa/decode"
	"github.com/minemu/minemu/mm"
)

// TestExecOf pins which instructions get a specialised handler: the
// common forms do (so that the differential tests, which run real
// instructions through the engine, exercise the handlers), and the forms
// a handler does not cover (narrow sizes, segment overrides, lock) take
// the general path.
func TestExecOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode mm.Mode
		code []byte // one instruction, or cmp/test and a jcc to fuse
		want uint16
	}{
		{"mov-rr", mm.Mode64, []byte{0x48, 0x89, 0xd8}, execMovRR},
		{"mov-rr16", mm.Mode64, []byte{0x66, 0x89, 0xd8}, execGeneral},
		{"mov-ri", mm.Mode32, []byte{0xb8, 1, 0, 0, 0}, execMovRI},
		{"mov-rm", mm.Mode64, []byte{0x8b, 0x43, 0x08}, execMovRM},
		{"mov-rm8", mm.Mode64, []byte{0x8a, 0x43, 0x08}, execGeneral},
		{"mov-rm-fs", mm.Mode64, []byte{0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0}, execGeneral},
		{"mov-mr8", mm.Mode32, []byte{0x88, 0x43, 0x08}, execMovMR},
		{"mov-mi", mm.Mode64, []byte{0xc6, 0x04, 0x07, 0x00}, execMovMI},
		{"mov-ah", mm.Mode64, []byte{0x88, 0xe1}, execGeneral},
		{"movzx", mm.Mode64, []byte{0x0f, 0xb6, 0x14, 0x0f}, execMovzxRM},
		{"movzx-rr", mm.Mode64, []byte{0x0f, 0xb6, 0xd1}, execGeneral},
		{"movsxd", mm.Mode64, []byte{0x48, 0x63, 0x03}, execMovsxRM},
		{"lea", mm.Mode64, []byte{0x48, 0x8d, 0x04, 0x00}, execLea},
		{"add-rr", mm.Mode64, []byte{0x48, 0x01, 0xd8}, execAddRR},
		{"add-ri", mm.Mode32, []byte{0x83, 0xc0, 0x05}, execAddRI},
		{"add-rm", mm.Mode64, []byte{0x03, 0x43, 0x08}, execAddRM},
		{"add-mr", mm.Mode64, []byte{0x01, 0x43, 0x08}, execGeneral},
		{"lock-add", mm.Mode64, []byte{0xf0, 0x01, 0x08}, execGeneral},
		{"add-rr8", mm.Mode64, []byte{0x00, 0xd8}, execGeneral},
		{"sub-ri", mm.Mode64, []byte{0x48, 0x83, 0xe8, 0x08}, execSubRI},
		{"and-ri", mm.Mode64, []byte{0x83, 0xe0, 0x01}, execAndRI},
		{"or-rr", mm.Mode64, []byte{0x09, 0xd8}, execOrRR},
		{"xor-rr", mm.Mode32, []byte{0x31, 0xc0}, execXorRR},
		{"cmp-rm", mm.Mode64, []byte{0x3b, 0x43, 0x08}, execCmpRM},
		{"cmp-mi8", mm.Mode64, []byte{0x80, 0x3c, 0x1f, 0x00}, execCmpMI},
		{"cmp-mr", mm.Mode64, []byte{0x39, 0x43, 0x08}, execCmpMR},
		{"test-rr", mm.Mode64, []byte{0x85, 0xc0}, execTestRR},
		{"inc", mm.Mode64, []byte{0x48, 0xff, 0xc3}, execInc},
		{"dec", mm.Mode32, []byte{0x4f}, execDec},
		{"inc-mem", mm.Mode64, []byte{0xff, 0x03}, execGeneral},
		{"push", mm.Mode64, []byte{0x53}, execPush},
		{"push16", mm.Mode64, []byte{0x66, 0x53}, execGeneral},
		{"push-imm", mm.Mode64, []byte{0x6a, 0x01}, execGeneral},
		{"pop", mm.Mode32, []byte{0x5b}, execPop},
		{"jmp", mm.Mode64, []byte{0xeb, 0x00}, execJmp},
		{"jcc", mm.Mode64, []byte{0x75, 0x00}, execJcc},
		{"call", mm.Mode64, []byte{0xe8, 0, 0, 0, 0}, execCall},
		{"ret", mm.Mode32, []byte{0xc3}, execRet},
		{"cmp-jb", mm.Mode64, []byte{0x48, 0x39, 0xf0, 0x72, 0xf4}, execCmpJccB},
		{"cmp-jg", mm.Mode64, []byte{0x81, 0xf9, 0x3f, 0x42, 0x0f, 0x00, 0x7f, 0x0c}, execCmpJccG},
		{"cmp8-jle", mm.Mode32, []byte{0x3c, 0x09, 0x7e, 0x00}, execCmpJccLE},
		{"cmp-js", mm.Mode64, []byte{0x39, 0xc8, 0x78, 0x00}, execCmpJcc},
		{"test-jne", mm.Mode64, []byte{0x85, 0xc0, 0x75, 0x00}, execTestJccNE},
		{"test-jns", mm.Mode64, []byte{0x85, 0xc0, 0x79, 0x00}, execTestJcc},
		{"shl", mm.Mode64, []byte{0xd1, 0xe0}, execGeneral},
	} {
		var ops []isa.Op
		for pc := uint64(0x1000); pc-0x1000 < uint64(len(tc.code)); {
			inst, err := decode.Decode(tc.code[pc-0x1000:], pc, tc.mode)
			if err != nil {
				t.Fatalf("%s: decode: %v", tc.name, err)
			}
			o, err := isa.Lower(&inst, pc, tc.mode)
			if err != nil {
				t.Fatalf("%s: lower: %v", tc.name, err)
			}
			ops = append(ops, o)
			pc += uint64(inst.Len)
		}
		ops = ops[:isa.Fuse(ops)]
		if len(ops) != 1 {
			t.Fatalf("%s: got %d ops, want 1", tc.name, len(ops))
		}
		Engine{}.Prepare(ops)
		if got := ops[0].Exec; got != tc.want {
			t.Fatalf("%s: got Exec %d, want %d", tc.name, got, tc.want)
		}
	}
}
