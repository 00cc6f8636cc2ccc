package engine

import (
	"strings"
	"testing"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestVecFaults: a legacy SSE instruction with a 16-byte memory operand
// needs it 16-byte aligned (#GP, SIGSEGV) unless it is one of the
// unaligned forms or its operand is smaller; an unmasked SIMD
// floating-point exception raises #XM (SIGFPE), sets its flag in MXCSR
// and leaves the destination unwritten.
func TestVecFaults(t *testing.T) {
	nan := [2]uint64{0x7fc000007fc00000, 0x7fc000007fc00000}
	for _, tc := range []struct {
		name   string
		code   []byte
		off    uint64 // rbx = data + off
		mxcsr  uint32
		xmm0   [2]uint64
		status int
		want   uint32 // MXCSR afterwards
	}{
		{"pmuludq-aligned", []byte{0x66, 0x0f, 0xf4, 0x03, 0xcc}, 0, 0x1f80, nan, 133, 0x1f80},
		{"pmuludq-misaligned", []byte{0x66, 0x0f, 0xf4, 0x03, 0xcc}, 8, 0x1f80, nan, 139, 0x1f80},
		{"pshufhw-misaligned", []byte{0xf3, 0x0f, 0x70, 0x03, 0x1b, 0xcc}, 4, 0x1f80, nan, 139, 0x1f80},
		{"pmovzxbw-m64-misaligned", []byte{0x66, 0x0f, 0x38, 0x30, 0x03, 0xcc}, 1, 0x1f80, nan, 133, 0x1f80},
		{"pcmpistri-misaligned", []byte{0x66, 0x0f, 0x3a, 0x63, 0x03, 0x0c, 0xcc}, 1, 0x1f80, nan, 133, 0x1f80},
		{"cvtps2dq-nan-masked", []byte{0x66, 0x0f, 0x5b, 0xc0, 0xcc}, 0, 0x1f80, nan, 133, 0x1f81},
		{"cvtps2dq-nan-unmasked", []byte{0x66, 0x0f, 0x5b, 0xc0, 0xcc}, 0, 0x1f00, nan, 136, 0x1f01},
	} {
		for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t, mode)
				e.load(tc.code)
				e.c.Regs[cpu.RBX] = e.data() + tc.off
				e.c.MXCSR = tc.mxcsr
				*e.c.XMM(0) = tc.xmm0
				ex := e.m.Run(e.c)
				if ex.Status() != tc.status {
					t.Fatalf("status %d (%+v), want %d", ex.Status(), ex, tc.status)
				}
				if e.c.MXCSR != tc.want {
					t.Errorf("mxcsr %#x, want %#x", e.c.MXCSR, tc.want)
				}
				if tc.status == 136 {
					if *e.c.XMM(0) != tc.xmm0 {
						t.Errorf("xmm0 %#x written, want %#x kept", *e.c.XMM(0), tc.xmm0)
					}
					if !strings.Contains(ex.Detail, "SIGFPE") {
						t.Errorf("detail %q, want SIGFPE", ex.Detail)
					}
				}
			})
		}
	}
}

// TestFxsave: fxsave stores FCW, FSW with TOP, the abridged tags, MXCSR and
// the host's MXCSR_MASK (0x2ffff, measured with fxsave on this host), the
// x87 registers in stack order and the XMM registers (16 in 64-bit mode, 8
// in 32-bit mode); fxrstor brings them back; a misaligned area or an
// MXCSR with reserved bits set is #GP (SIGSEGV).
func TestFxsave(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			// fld1; fxsave [rbx]; int3
			e.load([]byte{0xd9, 0xe8, 0x0f, 0xae, 0x03, 0xcc})
			e.c.Regs[cpu.RBX] = e.data()
			e.c.MXCSR = 0x1fa0
			for i := uint8(0); i < 16; i++ {
				*e.c.XMM(i) = [2]uint64{uint64(i) * 0x0101010101010101, ^uint64(i)}
			}
			img := guestBytes(e.data(), 512)
			for i := range img {
				img[i] = 0xaa
			}
			e.runTrap()
			le := func(off, n int) uint64 {
				var v uint64
				for i := n - 1; i >= 0; i-- {
					v = v<<8 | uint64(img[off+i])
				}
				return v
			}
			nx := 8
			if mode == mm.Mode64 {
				nx = 16
			}
			for _, c := range []struct {
				what      string
				off, n    int
				got, want uint64
			}{
				{"fcw", 0, 2, le(0, 2), 0x37f},
				{"fsw (top 7)", 2, 2, le(2, 2), 7 << 11},
				{"abridged tags", 4, 1, le(4, 1), 0x80},
				{"mxcsr", 24, 4, le(24, 4), 0x1fa0},
				{"mxcsr_mask", 28, 4, le(28, 4), 0x2ffff},
				{"st0 significand", 32, 8, le(32, 8), 1 << 63},
				{"st0 exponent", 40, 2, le(40, 2), 0x3fff},
				{"last xmm", 160 + 16*(nx-1), 8, le(160+16*(nx-1), 8), uint64(nx-1) * 0x0101010101010101},
				{"software area", 464, 8, le(464, 8), 0xaaaaaaaaaaaaaaaa},
			} {
				if c.got != c.want {
					t.Errorf("%s: got %#x, want %#x", c.what, c.got, c.want)
				}
			}
			// fxrstor [rbx] restores what fxsave stored.
			e.c.MXCSR = 0x1f80
			*e.c.XMM(3) = [2]uint64{}
			e.load([]byte{0x0f, 0xae, 0x0b, 0xcc})
			e.c.Regs[cpu.RBX] = e.data()
			e.runTrap()
			if e.c.MXCSR != 0x1fa0 || *e.c.XMM(3) != [2]uint64{0x0303030303030303, ^uint64(3)} || e.c.FTOP != 7 || e.c.FTAG != 0x80 {
				t.Errorf("after fxrstor: mxcsr %#x xmm3 %#x top %d tags %#x", e.c.MXCSR, *e.c.XMM(3), e.c.FTOP, e.c.FTAG)
			}
			for _, c := range []struct {
				name string
				off  uint64
				mx   uint32
			}{{"misaligned", 8, 0x1f80}, {"reserved-mxcsr", 0, 0x41f80}} {
				e.load([]byte{0x0f, 0xae, 0x0b, 0xcc})
				e.c.Regs[cpu.RBX] = e.data() + c.off
				copy(guestBytes(e.data()+24, 4), []byte{byte(c.mx), byte(c.mx >> 8), byte(c.mx >> 16), byte(c.mx >> 24)})
				if ex := e.m.Run(e.c); ex.Status() != 139 {
					t.Errorf("fxrstor %s: status %d (%+v), want 139", c.name, ex.Status(), ex)
				}
			}
		})
	}
}

// TestRdrandRdtscp: rdrand always succeeds (CF=1, the other status flags
// clear) with random bits of its operand size; rdtscp reads the time
// stamp counter and TSC_AUX 0 (one modelled processor, node 0).
func TestRdrandRdtscp(t *testing.T) {
	e := newEnv(t, mm.Mode64)
	seen := map[uint64]bool{}
	for i := 0; i < 4; i++ {
		// rdrand eax; rdrand rcx; rdrand r9; int3
		e.load([]byte{0x0f, 0xc7, 0xf0, 0x48, 0x0f, 0xc7, 0xf1, 0x49, 0x0f, 0xc7, 0xf1, 0xcc})
		e.c.Regs[cpu.R9] = 0
		e.c.Regs[cpu.RAX] = ^uint64(0)
		e.c.SetRFLAGS(cpu.FlagR1 | cpu.StatusFlags)
		e.runTrap()
		if e.c.Regs[cpu.RAX]>>32 != 0 || e.c.RFLAGS()&cpu.StatusFlags != cpu.FlagCF {
			t.Fatalf("rdrand: rax %#x flags %#x", e.c.Regs[cpu.RAX], e.c.RFLAGS())
		}
		seen[e.c.Regs[cpu.RCX]] = true
		seen[e.c.Regs[cpu.R9]] = true
	}
	if len(seen) < 8 {
		t.Errorf("rdrand rcx repeated: %v", seen)
	}
	e.load([]byte{0x0f, 0x01, 0xf9, 0xcc}) // rdtscp
	e.c.Regs[cpu.RCX] = 77
	e.runTrap()
	if e.c.Regs[cpu.RCX] != 0 || e.c.Regs[cpu.RAX]>>32 != 0 || e.c.Regs[cpu.RAX]|e.c.Regs[cpu.RDX] == 0 {
		t.Errorf("rdtscp: eax %#x edx %#x ecx %#x", e.c.Regs[cpu.RAX], e.c.Regs[cpu.RDX], e.c.Regs[cpu.RCX])
	}
}
