package engine

import (
	"bytes"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestStringOps: before (memory, registers) → one string instruction →
// after (memory, registers), including the cases where the bulk path must
// not be taken (overlap, DF set) and where it is (long forward copies).
func TestStringOps(t *testing.T) {
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('A' + i%26)
		}
		return b
	}
	for _, tc := range []struct {
		name         string
		mode         mm.Mode
		code         []byte
		mem          []byte // initial data at data()
		si, di, cx   uint64 // offsets from data() for si/di; count
		ax           uint64 //
		want         []byte // data() afterwards (prefix)
		wantSI       uint64 // offset, as si
		wantDI       uint64 //
		wantCX       uint64 //
		wantAX       uint64 // checked when non-zero
		ignoreSIRegs bool   //
	}{
		{name: "movsb-overlap-replicates", mode: mm.Mode64, code: []byte{0xf3, 0xa4, 0xcc},
			mem: pattern(40), si: 0, di: 1, cx: 32,
			want: bytes.Repeat([]byte{'A'}, 33), wantSI: 32, wantDI: 33, wantCX: 0},
		{name: "movsb-bulk", mode: mm.Mode64, code: []byte{0xf3, 0xa4, 0xcc},
			mem: pattern(100), si: 0, di: 200, cx: 100,
			want: pattern(100), wantSI: 100, wantDI: 300, wantCX: 0},
		{name: "movsq-bulk", mode: mm.Mode64, code: []byte{0xf3, 0x48, 0xa5, 0xcc},
			mem: pattern(256), si: 0, di: 0x400, cx: 32,
			want: pattern(256), wantSI: 256, wantDI: 0x500, wantCX: 0},
		{name: "stosw-backward", mode: mm.Mode64, code: []byte{0xfd, 0xf3, 0x66, 0xab, 0xfc, 0xcc},
			mem: pattern(8), di: 6, cx: 3, ax: 0x7a79,
			want: []byte{'A', 'B', 'y', 'z', 'y', 'z', 'y', 'z'}, wantDI: 0, wantCX: 0, ignoreSIRegs: true},
		{name: "lodsd-backward", mode: mm.Mode32, code: []byte{0xfd, 0xad, 0xad, 0xfc, 0xcc},
			mem: []byte{1, 0, 0, 0, 2, 0, 0, 0}, si: 4,
			want: []byte{1, 0, 0, 0, 2, 0, 0, 0}, wantSI: ^uint64(3), wantAX: 1, ignoreSIRegs: false},
		{name: "stosb-32", mode: mm.Mode32, code: []byte{0xf3, 0xaa, 0xcc},
			mem: pattern(40), di: 4, cx: 20, ax: 'x',
			want: append(append([]byte("ABCD"), bytes.Repeat([]byte{'x'}, 20)...), 'Y'), wantDI: 24, wantCX: 0, ignoreSIRegs: true},
		{name: "rep-zero-count", mode: mm.Mode64, code: []byte{0xf3, 0xa4, 0xcc},
			mem: pattern(8), si: 0, di: 4, cx: 0,
			want: pattern(8), wantSI: 0, wantDI: 4, wantCX: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mode)
			d := e.data()
			copy(guestBytes(d, uint64(len(tc.mem))), tc.mem)
			e.load(tc.code)
			e.c.Regs[cpu.RSI], e.c.Regs[cpu.RDI], e.c.Regs[cpu.RCX], e.c.Regs[cpu.RAX] = d+tc.si, d+tc.di, tc.cx, tc.ax
			e.runTrap()
			if got := e.read(d, uint64(len(tc.want))); !bytes.Equal(got, tc.want) {
				t.Fatalf("memory %q, want %q", got, tc.want)
			}
			mask := ^uint64(0)
			if tc.mode == mm.Mode32 {
				mask = 0xffffffff
			}
			if !tc.ignoreSIRegs && e.c.Regs[cpu.RSI] != (d+tc.wantSI)&mask {
				t.Fatalf("rsi %#x, want %#x", e.c.Regs[cpu.RSI], (d+tc.wantSI)&mask)
			}
			if e.c.Regs[cpu.RDI] != (d+tc.wantDI)&mask && tc.name != "lodsd-backward" {
				t.Fatalf("rdi %#x, want %#x", e.c.Regs[cpu.RDI], (d+tc.wantDI)&mask)
			}
			if e.c.Regs[cpu.RCX] != tc.wantCX {
				t.Fatalf("rcx %d, want %d", e.c.Regs[cpu.RCX], tc.wantCX)
			}
			if tc.wantAX != 0 && e.c.Regs[cpu.RAX] != tc.wantAX {
				t.Fatalf("rax %#x, want %#x", e.c.Regs[cpu.RAX], tc.wantAX)
			}
			if e.c.RFLAGS()&cpu.FlagDF != 0 {
				t.Fatalf("DF left set")
			}
		})
	}
}

// TestAddressSize16 shows the 16-bit address-size form reducing the
// effective address modulo 2^16: [bx] with EBX = 0x12345678 touches 0x5678,
// which lies below the guest window and faults there.
func TestAddressSize16(t *testing.T) {
	e := newEnv(t, mm.Mode32)
	e.load([]byte{0x67, 0x8b, 0x07, 0xcc}) // mov eax, [bx]
	e.c.Regs[cpu.RBX] = 0x12345678
	ex := e.m.Run(e.c)
	if ex.Status() != 139 || !bytes.Contains([]byte(ex.Detail), []byte("0x5678 ")) {
		t.Fatalf("exit %+v, want SIGSEGV at 0x5678", ex)
	}
}

// TestStringBulkOverCode: a rep movsb or rep stosb long enough for the bulk
// path that overwrites a function already decoded makes the next call run
// the new bytes.
func TestStringBulkOverCode(t *testing.T) {
	le64 := func(v uint64) []byte { return append(le32(uint32(v)), le32(uint32(v>>32))...) }
	for _, tc := range []struct {
		name string
		op   []byte // the string instruction
		want uint64 // what fn returns afterwards
	}{
		{"rep movsb", []byte{0xf3, 0xa4}, 2},
		{"rep stosb", []byte{0xf3, 0xaa}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, mm.Mode64)
			fn, src := e.base+0x800, e.data()
			// fn: mov eax, 1; ret; then, after 32 bytes, mov eax, 3; ret.
			// rep stosb of 32 nops (al = 0x90) leaves the second return.
			e.write(fn, []byte{0xb8, 1, 0, 0, 0, 0xc3})
			e.write(fn+32, []byte{0xb8, 3, 0, 0, 0, 0xc3})
			// src: mov eax, 2; ret, padded to 32 bytes.
			e.write(src, append([]byte{0xb8, 2, 0, 0, 0, 0xc3}, make([]byte, 26)...))
			var prog []byte
			call := func() {
				next := e.base + uint64(len(prog)) + 5
				prog = seq(prog, []byte{0xe8}, le32(uint32(fn-next)))
			}
			call()
			prog = seq(prog,
				[]byte{0x89, 0xc3},            // mov ebx, eax
				[]byte{0x48, 0xbe}, le64(src), // mov rsi, src
				[]byte{0x48, 0xbf}, le64(fn), // mov rdi, fn
				[]byte{0xb9}, le32(32), // mov ecx, 32
				[]byte{0xb0, 0x90}, // mov al, 0x90
				tc.op,
			)
			call()
			prog = seq(prog, []byte{0xcc})
			e.load(prog)
			e.runTrap()
			if e.c.Regs[cpu.RBX] != 1 || e.c.Regs[cpu.RAX] != tc.want {
				t.Fatalf("fn returned %d then %d, want 1 then %d", e.c.Regs[cpu.RBX], e.c.Regs[cpu.RAX], tc.want)
			}
			if e.m.Stats().Invalidations == 0 {
				t.Fatalf("no invalidation counted")
			}
		})
	}
}
