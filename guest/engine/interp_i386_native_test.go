package engine

import (
	"bufio"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// The i386-only differential test: forms that exist only in 32-bit mode
// (the short inc/dec, pusha/popa, the BCD adjusts, bound, les/lds, arpl,
// push and pop of the segment registers, address arithmetic that wraps at
// 4 GiB, far transfers within the 32-bit code selector) cannot run in the
// 64-bit harness of TestDifferentialNative. A
// small i386 program, testdata/native32 (source native32.asm, `make
// native32`), runs them natively in a 32-bit process: it reads the code,
// the registers, the flags and 64 bytes of scratch memory at
// i386Scratch, runs the code at i386Code and writes back what it left.
// The same state goes through the interpreter in Mode32, with the code
// and the scratch page at the same addresses in this process, and the two
// must agree
// except in the flags the architecture leaves undefined.

const (
	i386Scratch = 0x20000000
	i386Code    = 0x21000000 // where both runs put the code, so that far transfers can name it
	i386InLen   = 132
	i386OutLen  = 100
)

// i386Case is one code sequence; fix adjusts the random inputs (say,
// keeps bound in range, which would otherwise raise #BR) and returns
// false to skip them.
type i386Case struct {
	name  string
	code  []byte
	undef uint64
	fix   func(r *[8]uint32, flags *uint32, mem []byte) bool
}

func i386Cases() []i386Case {
	const (
		eax = iota
		ecx
		edx
		ebx
		esp
	)
	// The selector of a far pointer in the scratch memory: Linux's user
	// data segment or the null selector.
	sel := func(mem []byte, off int, r *[8]uint32) {
		s := uint16(0x2b)
		if r[edx]&1 == 0 {
			s = 0
		}
		binary.LittleEndian.PutUint16(mem[off:], s)
	}
	cs := []i386Case{
		{name: "inc-short", code: []byte{0x40, 0x41, 0x66, 0x42}},
		{name: "dec-short", code: []byte{0x48, 0x49, 0x66, 0x4a, 0x4f}},
		// pusha; pop eax (edi); pop ecx (esi); pop edx (ebp); pop esi
		// (the old esp); lea esp, [esp+16]
		{name: "pusha", code: []byte{0x60, 0x58, 0x59, 0x5a, 0x5e, 0x8d, 0x64, 0x24, 0x10}},
		{name: "pushaw", code: []byte{0x66, 0x60, 0x66, 0x58, 0x66, 0x59, 0x8d, 0x64, 0x24, 0x0c}},
		{name: "popa", code: []byte{0x61}},
		{name: "popaw", code: []byte{0x66, 0x61}},
		{name: "daa", code: []byte{0x27}, undef: cpu.FlagOF},
		{name: "das", code: []byte{0x2f}, undef: cpu.FlagOF},
		{name: "aaa", code: []byte{0x37}, undef: cpu.FlagOF | cpu.FlagSF | cpu.FlagZF | cpu.FlagPF},
		{name: "aas", code: []byte{0x3f}, undef: cpu.FlagOF | cpu.FlagSF | cpu.FlagZF | cpu.FlagPF},
		{name: "aam", code: []byte{0xd4, 0x0a}, undef: cpu.FlagOF | cpu.FlagAF | cpu.FlagCF},
		{name: "aam-16", code: []byte{0xd4, 0x10}, undef: cpu.FlagOF | cpu.FlagAF | cpu.FlagCF},
		{name: "aad", code: []byte{0xd5, 0x0a}, undef: cpu.FlagOF | cpu.FlagAF | cpu.FlagCF},
		{name: "aad-7", code: []byte{0xd5, 0x07}, undef: cpu.FlagOF | cpu.FlagAF | cpu.FlagCF},
		{name: "bound", code: []byte{0x62, 0x03}, fix: func(r *[8]uint32, _ *uint32, mem []byte) bool {
			lo, hi := int32(binary.LittleEndian.Uint32(mem)), int32(binary.LittleEndian.Uint32(mem[4:]))
			return int32(r[eax]) >= lo && int32(r[eax]) <= hi
		}},
		{name: "bound-16", code: []byte{0x66, 0x62, 0x03}, fix: func(r *[8]uint32, _ *uint32, mem []byte) bool {
			lo, hi := int16(binary.LittleEndian.Uint16(mem)), int16(binary.LittleEndian.Uint16(mem[2:]))
			return int16(r[eax]) >= lo && int16(r[eax]) <= hi
		}},
		{name: "les-lds", code: []byte{0xc4, 0x03, 0xc5, 0x4b, 0x08}, fix: func(r *[8]uint32, _ *uint32, mem []byte) bool {
			sel(mem, 4, r)
			sel(mem, 12, r)
			return true
		}},
		{name: "lds-16", code: []byte{0x66, 0xc5, 0x03}, fix: func(r *[8]uint32, _ *uint32, mem []byte) bool {
			sel(mem, 2, r)
			return true
		}},
		{name: "lss", code: []byte{0x0f, 0xb2, 0x0b, 0x8b, 0xe1}, fix: func(r *[8]uint32, _ *uint32, mem []byte) bool {
			binary.LittleEndian.PutUint16(mem[4:], 0x2b)
			return true
		}},
		{name: "arpl-reg", code: []byte{0x63, 0xc8}},
		{name: "arpl-mem", code: []byte{0x63, 0x0b}},
		{name: "push-pop-seg", code: []byte{0x0e, 0x58, 0x1e, 0x59, 0x06, 0x5a, 0x16, 0x5e, 0x1e, 0x1f, 0x06, 0x07}},
		{name: "pushw-seg", code: []byte{0x66, 0x0e, 0x66, 0x16, 0x66, 0x1e, 0x66, 0x06}},
		{name: "mov-from-seg", code: []byte{0x8c, 0xc8, 0x8c, 0xd1, 0x66, 0x8c, 0xda, 0x8c, 0xc6}},
		{name: "mov-ds-null", code: []byte{0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xc0}},
		{name: "lar-lsl-verw", code: []byte{0x66, 0xb9, 0x23, 0x00, 0x0f, 0x02, 0xc1, 0x0f, 0x03, 0xd1, 0x66, 0xb9, 0x2b, 0x00, 0x0f, 0x00, 0xe9}},
		{name: "lar-kernel", code: []byte{0x66, 0xb9, 0x10, 0x00, 0x0f, 0x02, 0xc1}},
		// Far transfers within 0x23, to targets in the code at i386Code.
		{name: "jmpf-direct", code: seq([]byte{0xea}, le32(i386Code+12), []byte{0x23, 0x00, 0xb8, 1, 0, 0, 0, 0x90})},
		{name: "jmpf-direct-rpl0", code: seq([]byte{0xea}, le32(i386Code+12), []byte{0x20, 0x00, 0xb8, 1, 0, 0, 0, 0x90})},
		{name: "jmpf-mem", code: []byte{0xff, 0x2b, 0xb8, 1, 0, 0, 0, 0x90}, fix: func(_ *[8]uint32, _ *uint32, mem []byte) bool {
			copy(mem, seq(le32(i386Code+7), []byte{0x23, 0}))
			return true
		}},
		// call far [ebx]; jmp done; f: retf; done: nop
		{name: "callf-mem-retf", code: []byte{0xff, 0x1b, 0xeb, 0x01, 0xcb, 0x90}, fix: func(_ *[8]uint32, _ *uint32, mem []byte) bool {
			copy(mem, seq(le32(i386Code+4), []byte{0x23, 0}))
			return true
		}},
		// push 5; call far 0x23:f; jmp done; f: retf 4; done: nop
		{name: "callf-direct-retf-imm", code: seq([]byte{0x6a, 0x05, 0x9a}, le32(i386Code+11), []byte{0x23, 0x00, 0xeb, 0x03, 0xca, 0x04, 0x00, 0x90})},
		// pushfd; push cs; push t; iretd; t: nop
		{name: "iretd", code: seq([]byte{0x9c, 0x0e, 0x68}, le32(i386Code+8), []byte{0xcf, 0x90})},
		// push cs; push t; retf; t: nop
		{name: "retf-pushed", code: seq([]byte{0x0e, 0x68}, le32(i386Code+7), []byte{0xcb, 0x90})},
		// VEX.W1 is ignored outside 64-bit mode: 32-bit BMI.
		{name: "andn-w1", code: []byte{0xc4, 0xe2, 0xf0, 0xf2, 0xc2}, undef: cpu.FlagAF | cpu.FlagPF},
		{name: "bextr-w1", code: []byte{0xc4, 0xe2, 0xe8, 0xf7, 0x03}, undef: cpu.FlagAF | cpu.FlagPF | cpu.FlagSF},
		{name: "shlx-w1", code: []byte{0xc4, 0xe2, 0xe9, 0xf7, 0xc1}},
		{name: "sarx-w1", code: []byte{0xc4, 0xe2, 0xea, 0xf7, 0xc1}},
		{name: "mulx-w1", code: []byte{0xc4, 0xe2, 0xf3, 0xf6, 0xc3}},
		{name: "pdep-w1", code: []byte{0xc4, 0xe2, 0xf3, 0xf5, 0x03}},
		{name: "rorx-w1", code: []byte{0xc4, 0xe3, 0xfb, 0xf0, 0xc1, 0x25}},
		{name: "blsr-w1", code: []byte{0xc4, 0xe2, 0xf0, 0xf3, 0x0b}, undef: cpu.FlagAF | cpu.FlagPF},
		{name: "adcx-adox", code: []byte{0x66, 0x0f, 0x38, 0xf6, 0xc1, 0xf3, 0x0f, 0x38, 0xf6, 0x13}},
		// Linux's UMIP emulation for a 32-bit process: 6-byte sgdt and
		// sidt images, smsw and str.
		{name: "sgdt-sidt", code: []byte{0x0f, 0x01, 0x03, 0x0f, 0x01, 0x4b, 0x08}},
		{name: "smsw-str", code: []byte{0x0f, 0x01, 0xe0, 0x66, 0x0f, 0x01, 0xe1, 0x0f, 0x01, 0x63, 0x10, 0x0f, 0x00, 0xca}},
		{name: "salc", code: []byte{0xd6}},
		{name: "into-clear", code: []byte{0xce}, fix: func(_ *[8]uint32, fl *uint32, _ []byte) bool {
			*fl &^= uint32(cpu.FlagOF)
			return true
		}},
		{name: "ret-imm16", code: []byte{0x68, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x58, 0x59, 0x8d, 0x64, 0x24, 0x00}},
		// Address arithmetic modulo 4 GiB: ebx + ecx*4 with ecx*4 past
		// 2^32, and lea with a displacement that wraps.
		{name: "wrap-load", code: []byte{0x8b, 0x44, 0x8b, 0x10}, fix: func(r *[8]uint32, _ *uint32, _ []byte) bool {
			r[ecx] = 0x40000000 | r[ecx]&7
			return true
		}},
		{name: "wrap-store", code: []byte{0x89, 0x54, 0x8b, 0x08}, fix: func(r *[8]uint32, _ *uint32, _ []byte) bool {
			r[ecx] = 0xc0000000 | r[ecx]&7
			return true
		}},
		{name: "wrap-lea", code: []byte{0x8d, 0x84, 0xcb, 0xff, 0xff, 0xff, 0x7f}},
		{name: "wrap-disp-neg", code: []byte{0x8b, 0x83, 0x00, 0x00, 0x00, 0x00, 0x8b, 0x53, 0xf8, 0x8b, 0x4b, 0x3c}, fix: func(r *[8]uint32, _ *uint32, _ []byte) bool {
			r[ebx] += 8
			return true
		}},
	}
	// The ret-imm16 case above pushes 0 and calls the next instruction
	// (e8 rel32 0), whose return address differs between the runs: pop
	// it into eax and clear it.
	for i := range cs {
		if cs[i].name == "ret-imm16" {
			cs[i].code = []byte{0x6a, 0x07, 0x6a, 0x09, 0xe8, 0x02, 0x00, 0x00, 0x00, 0xeb, 0x04, 0x8b, 0x04, 0x24, 0xc2, 0x08, 0x00,
				0x31, 0xc0, 0xc7, 0x44, 0x24, 0xf4, 0x00, 0x00, 0x00, 0x00}
			// push 7; push 9; call f; jmp done; f: mov eax,[esp]; ret 8;
			// done: xor eax,eax; mov dword [esp-12], 0 (the return address)
			cs[i].fix = nil
		}
	}
	return cs
}

// TestDifferentialI386 compares the interpreter with the host CPU in a
// 32-bit process on the forms only 32-bit mode has.
func TestDifferentialI386(t *testing.T) {
	cmd := exec.Command("testdata/native32")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the i386 helper: %v", err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("the i386 helper: %v", err)
		}
	}()
	in := bufio.NewWriter(stdin)
	native := func(code []byte, regs [8]uint32, flags uint32, mem []byte) ([8]uint32, uint32, []byte) {
		var rec [i386InLen]byte
		binary.LittleEndian.PutUint32(rec[0:], uint32(len(code)))
		copy(rec[4:32], code)
		for i, r := range regs {
			binary.LittleEndian.PutUint32(rec[32+4*i:], r)
		}
		binary.LittleEndian.PutUint32(rec[64:], flags)
		copy(rec[68:], mem)
		if _, err := in.Write(rec[:]); err != nil {
			t.Fatal(err)
		}
		if err := in.Flush(); err != nil {
			t.Fatal(err)
		}
		var res [i386OutLen]byte
		if _, err := io.ReadFull(stdout, res[:]); err != nil {
			t.Fatalf("% x: the i386 helper died: %v", code, err)
		}
		var out [8]uint32
		for i := range out {
			out[i] = binary.LittleEndian.Uint32(res[4*i:])
		}
		return out, binary.LittleEndian.Uint32(res[32:]), append([]byte(nil), res[36:]...)
	}

	if err := mapAnonAt(i386Scratch, mm.PageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		t.Fatalf("mapping the scratch page at %#x: %v", i386Scratch, err)
	}
	t.Cleanup(func() { unmapAnon(i386Scratch, mm.PageSize) })
	scratch := guestBytes(i386Scratch, 64)
	e := newEnvAt(t, mm.Mode32, i386Code)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range i386Cases() {
		t.Run(tc.name, func(t *testing.T) {
			e.load(seq(tc.code, []byte{0xcc}))
			fails, ran := 0, 0
			for it := 0; it < 300 && fails < 3; it++ {
				var regs [8]uint32
				for i := range regs {
					regs[i] = uint32(randValue(rng))
				}
				regs[cpu.RBX] = i386Scratch
				regs[cpu.RSP] = i386Scratch + 32 // pushes land in the compared bytes
				flags := uint32(cpu.FlagR1 | cpu.FlagIF | rng.Uint64()&cpu.StatusFlags)
				mem := make([]byte, 64)
				for i := range mem {
					mem[i] = byte(rng.Uint32())
				}
				if tc.fix != nil && !tc.fix(&regs, &flags, mem) {
					continue
				}
				ran++
				wantRegs, wantFlags, wantMem := native(tc.code, regs, flags, mem)

				copy(scratch, mem)
				e.c.Regs = [16]uint64{}
				for i, r := range regs {
					e.c.Regs[i] = uint64(r)
				}
				e.c.SetRFLAGS(uint64(flags))
				e.c.RIP = e.base
				ex := e.m.Run(e.c)
				if ex.Signal != unix.SIGTRAP {
					t.Fatalf("% x: interpreter stopped with %+v", tc.code, ex)
				}
				var gotRegs [8]uint32
				for i := range gotRegs {
					gotRegs[i] = uint32(e.c.Regs[i])
					if e.c.Regs[i]>>32 != 0 {
						t.Fatalf("% x: register %d is %#x: the upper half of a Mode32 register must stay zero", tc.code, i, e.c.Regs[i])
					}
				}
				gotFlags := uint32(e.c.RFLAGS())
				mask := uint32(cpu.StatusFlags &^ tc.undef)
				if gotRegs != wantRegs || gotFlags&mask != wantFlags&mask || string(scratch) != string(wantMem) {
					fails++
					t.Errorf("% x with regs %#x flags %#x:\n got regs %#x flags %#x\nwant regs %#x flags %#x (compared %#x)\n got mem % x\nwant mem % x",
						tc.code, regs, flags, gotRegs, gotFlags, wantRegs, wantFlags, mask, scratch, wantMem)
				}
			}
			if ran < 20 {
				t.Fatalf("only %d of the random inputs ran", ran)
			}
		})
	}
}
