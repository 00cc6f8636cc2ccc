package engine

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/mm"
)

// TestVexFaults: a VEX memory operand need not be aligned, except for
// vmovaps/vmovapd/vmovdqa and the non-temporal moves, which need it
// aligned to the vector length (#GP, SIGSEGV); an unmasked SIMD exception
// raises #XM (SIGFPE) and leaves the destination alone; a masked move
// touches only the elements its mask selects, so that a zero mask on an
// unmapped address does not fault.
func TestVexFaults(t *testing.T) {
	nan := [4]uint64{0x7fc000007fc00000, 0x7fc000007fc00000, 0x7fc000007fc00000, 0x7fc000007fc00000}
	neg := [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	const unmapped = 0x100 // below mmap_min_addr
	for _, tc := range []struct {
		name   string
		code   []byte
		off    uint64 // rbx = data + off (unmapped: rbx = unmapped)
		mxcsr  uint32
		ymm1   [4]uint64
		status int
	}{
		{"vmovaps-256-aligned", []byte{0xc5, 0xfc, 0x28, 0x03}, 0, 0x1f80, nan, 133},
		{"vmovaps-256-16", []byte{0xc5, 0xfc, 0x28, 0x03}, 16, 0x1f80, nan, 139},
		{"vmovaps-128-16", []byte{0xc5, 0xf8, 0x28, 0x03}, 16, 0x1f80, nan, 133},
		{"vmovaps-128-8", []byte{0xc5, 0xf8, 0x28, 0x03}, 8, 0x1f80, nan, 139},
		{"vmovdqa-store-256-16", []byte{0xc5, 0xfd, 0x7f, 0x03}, 16, 0x1f80, nan, 139},
		{"vmovntps-256-16", []byte{0xc5, 0xfc, 0x2b, 0x03}, 16, 0x1f80, nan, 139},
		{"vmovups-256-1", []byte{0xc5, 0xfc, 0x10, 0x03}, 1, 0x1f80, nan, 133},
		{"vpaddd-256-4", []byte{0xc5, 0xf5, 0xfe, 0x03}, 4, 0x1f80, nan, 133},
		{"vaddps-128-8", []byte{0xc5, 0xf0, 0x58, 0x03}, 8, 0x1f80, nan, 133},
		{"vcvtps2dq-nan-masked", []byte{0xc5, 0xfd, 0x5b, 0xc1}, 0, 0x1f80, nan, 133},
		{"vcvtps2dq-nan-unmasked", []byte{0xc5, 0xfd, 0x5b, 0xc1}, 0, 0x1f00, nan, 136},
		{"vmaskmovps-load-zero-mask", []byte{0xc4, 0xe2, 0x75, 0x2c, 0x03}, unmapped, 0x1f80, [4]uint64{}, 133},
		{"vmaskmovps-store-zero-mask", []byte{0xc4, 0xe2, 0x75, 0x2e, 0x03}, unmapped, 0x1f80, [4]uint64{}, 133},
		{"vmaskmovps-load-mask", []byte{0xc4, 0xe2, 0x75, 0x2c, 0x03}, unmapped, 0x1f80, neg, 139},
		{"vmovups-unmapped", []byte{0xc5, 0xfc, 0x10, 0x03}, unmapped, 0x1f80, nan, 139},
	} {
		for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t, mode)
				e.load(append(append([]byte(nil), tc.code...), 0xcc))
				e.c.Regs[cpu.RBX] = e.data() + tc.off
				if tc.off == unmapped {
					e.c.Regs[cpu.RBX] = unmapped
				}
				e.c.MXCSR = tc.mxcsr
				e.c.X[1] = tc.ymm1
				e.c.X[0] = [4]uint64{1, 2, 3, 4}
				ex := e.m.Run(e.c)
				if ex.Status() != tc.status {
					t.Fatalf("status %d (%+v), want %d", ex.Status(), ex, tc.status)
				}
				if tc.status != 133 && e.c.X[0] != [4]uint64{1, 2, 3, 4} {
					t.Fatalf("ymm0 %#x written by a faulting instruction", e.c.X[0])
				}
			})
		}
	}
}

// TestVexUnsupported: VEX instructions minemu does not implement (AVX-VNNI,
// here vpdpbusd) and EVEX encodings are invalid opcodes (SIGILL), not
// executed.
func TestVexUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []byte
	}{
		{"vpdpbusd", []byte{0xc4, 0xe2, 0x71, 0x50, 0xc2}},
		{"evex-vaddps", []byte{0x62, 0xf1, 0x74, 0x48, 0x58, 0xc2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, mm.Mode64)
			e.load(append(append([]byte(nil), tc.code...), 0xcc))
			if ex := e.m.Run(e.c); ex.Status() != 132 {
				t.Fatalf("status %d (%+v), want 132 (SIGILL)", ex.Status(), ex)
			}
		})
	}
}

// TestGatherFault: a gather whose third element faults leaves the first
// two loaded into the destination with their mask elements cleared, and
// the rest of the destination and mask as they were (the progress the
// hardware records), and the guest gets SIGSEGV.
func TestGatherFault(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			// vpgatherdd xmm0, [rbx + xmm2*4], xmm1
			e.load([]byte{0xc4, 0xe2, 0x71, 0x90, 0x04, 0x93, 0xcc})
			base := e.data()
			e.c.Regs[cpu.RBX] = base
			for i := uint64(0); i < 4; i++ {
				storeN(base+4*i, 4, 0x11111111*(i+1))
			}
			bad := uint32(int32((0x100 - int64(base)) / 4)) // [rbx + bad*4] is 0x100: unmapped
			e.c.X[2] = [4]uint64{0 | 1<<32, uint64(bad) | 3<<32}
			e.c.X[1] = [4]uint64{^uint64(0), ^uint64(0), 7, 7}
			e.c.X[0] = [4]uint64{0xaaaaaaaaaaaaaaaa, 0xbbbbbbbbbbbbbbbb, 5, 6}
			ex := e.m.Run(e.c)
			if ex.Status() != 139 {
				t.Fatalf("status %d (%+v), want 139", ex.Status(), ex)
			}
			if want := [4]uint64{0x22222222_11111111, 0xbbbbbbbbbbbbbbbb, 5, 6}; e.c.X[0] != want {
				t.Fatalf("ymm0 %#x, want %#x", e.c.X[0], want)
			}
			if want := [4]uint64{0, ^uint64(0), 7, 7}; e.c.X[1] != want {
				t.Fatalf("mask %#x, want %#x", e.c.X[1], want)
			}
		})
	}
}

// TestVexStoreAllOrNothing: a 32-byte store that runs into an unmapped
// page, or starts in one, faults without writing the part in the mapped
// page.
func TestVexStoreAllOrNothing(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		t.Run(mode.String()+"/into", func(t *testing.T) {
			e := newEnv(t, mode)
			end := e.base + envSize // the first byte past the guest's memory
			if err := unix.Mprotect(guestBytes(end-mm.PageSize, mm.PageSize), unix.PROT_NONE); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				unix.Mprotect(guestBytes(end-mm.PageSize, mm.PageSize), unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
			})
			at := end - mm.PageSize - 16 // 16 bytes mapped, 16 not
			for i := uint64(0); i < 16; i++ {
				storeN(at+i, 1, 0x5a)
			}
			e.load([]byte{0xc5, 0xfc, 0x11, 0x03, 0xcc}) // vmovups [rbx], ymm0
			e.c.Regs[cpu.RBX] = at
			e.c.X[0] = [4]uint64{1, 2, 3, 4}
			if ex := e.m.Run(e.c); ex.Status() != 139 {
				t.Fatalf("status %d (%+v), want 139", ex.Status(), ex)
			}
			for i := uint64(0); i < 16; i++ {
				if b := loadN(at+i, 1); b != 0x5a {
					t.Fatalf("byte %d written (%#x) by a store that faulted", i, b)
				}
			}
		})
	}
}

func TestVexStoreAllOrNothingFrom(t *testing.T) {
	for _, mode := range []mm.Mode{mm.Mode64, mm.Mode32} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, mode)
			pg := e.base + envSize - 2*mm.PageSize // PROT_NONE, the page after it mapped
			if err := unix.Mprotect(guestBytes(pg, mm.PageSize), unix.PROT_NONE); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Mprotect(guestBytes(pg, mm.PageSize), unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC) })
			at := pg + mm.PageSize - 16 // 16 bytes unmapped, 16 mapped
			for i := uint64(16); i < 32; i++ {
				storeN(at+i, 1, 0x5a)
			}
			e.load([]byte{0xc5, 0xfc, 0x11, 0x03, 0xcc}) // vmovups [rbx], ymm0
			e.c.Regs[cpu.RBX] = at
			e.c.X[0] = [4]uint64{1, 2, 3, 4}
			if ex := e.m.Run(e.c); ex.Status() != 139 {
				t.Fatalf("status %d (%+v), want 139", ex.Status(), ex)
			}
			for i := uint64(16); i < 32; i++ {
				if b := loadN(at+i, 1); b != 0x5a {
					t.Fatalf("byte %d written (%#x) by a store that faulted", i, b)
				}
			}
		})
	}
}
