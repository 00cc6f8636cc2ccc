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
