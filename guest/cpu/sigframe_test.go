package cpu

import (
	"testing"

	"github.com/minemu/minemu/mm"
)

// TestSigreturnHostile corrupts a kernel-built frame one field at a time:
// sigreturn refuses what the kernel's badframe path refuses (a frame it
// cannot read, CS or SS not the user selectors, MXCSR reserved bits, an
// XSAVE header XRSTOR faults on) and accepts what the kernel accepts (an
// FPU area without valid software bytes is a legacy FXSAVE image, whose
// AVX state is then initial; a null fpstate resets the FPU).
func TestSigreturnHostile(t *testing.T) {
	for _, tc := range []struct {
		bin  string
		mode mm.Mode
	}{{"framedump-x86_64", mm.Mode64}, {"framedump-i386", mm.Mode32}} {
		base, orig := nativeFrame(t, tc.bin)
		ia32 := tc.mode == mm.Mode32
		sc, fpField, csOff, ssOff := uint64(rtSC64), uint64(sc64FPState), uint64(sc64CS), uint64(sc64SS)
		if ia32 {
			sc, fpField, csOff, ssOff = rtSC32, sc32FPState, sc32CS, sc32SS
		}
		fp := uint64(le.Uint32(orig[sc+fpField:])) - base
		if !ia32 {
			fp = le.Uint64(orig[sc+fpField:]) - base
		}
		fx := fp
		if ia32 {
			fx += fsaveHeaderSize
		}
		fc := FrameConfig{XCR0: 7, XSaveSize: le.Uint32(orig[fx+464+16:]), MXCSRMask: le.Uint32(orig[fx+28:])}
		fc.XCR0 = le.Uint64(orig[fx+464+8:])
		for _, c := range []struct {
			name   string
			change func(b []byte)
			ok     bool
			check  func(t *testing.T, c *CPU)
		}{
			{"as built", func(b []byte) {}, true, nil},
			{"CS 0x10", func(b []byte) { b[sc+csOff] = 0x10 }, false, nil},
			{"SS 0x18", func(b []byte) { b[sc+ssOff] = 0x18 }, false, nil},
			{"MXCSR reserved bit", func(b []byte) { le.PutUint32(b[fx+24:], 1<<20) }, false, nil},
			{"XCOMP_BV set", func(b []byte) { le.PutUint64(b[fx+520:], 1<<63|3) }, false, nil},
			{"XSTATE_BV beyond XCR0", func(b []byte) { le.PutUint64(b[fx+512:], 1<<40|3) }, false, nil},
			{"flags: IF cleared, TF set, ID flipped", func(b []byte) {
				off := sc + sc64Flags
				if ia32 {
					off = sc + sc32Flags
				}
				b[off+1] = 0x01 // TF, IF clear
			}, true, func(t *testing.T, c *CPU) {
				if f := c.RFLAGS(); f&FlagIF == 0 || f&FlagTF != 0 {
					t.Errorf("flags %#x: IF must stay set and TF clear", f)
				}
			}},
			{"no magic1: a legacy FXSAVE image", func(b []byte) { le.PutUint32(b[fx+464:], 0) }, true, func(t *testing.T, c *CPU) {
				if c.X[0][2]|c.X[0][3] != 0 || c.X[3][0] != 0x3031323334353637 {
					t.Errorf("ymm0 upper %#x %#x, xmm3 %#x: want AVX initial and SSE restored", c.X[0][2], c.X[0][3], c.X[3][0])
				}
			}},
			{"null fpstate", func(b []byte) {
				for i := uint64(0); i < 4; i++ {
					b[sc+fpField+i] = 0
				}
				if !ia32 {
					le.PutUint64(b[sc+fpField:], 0)
				}
			}, true, func(t *testing.T, c *CPU) {
				if c.FCW != 0x37f || c.MXCSR != 0x1f80 || c.X[3][0] != 0 || c.FTAG != 0 {
					t.Errorf("fpu after a null fpstate: fcw %#x mxcsr %#x xmm3 %#x tags %#x, want the initial state", c.FCW, c.MXCSR, c.X[3][0], c.FTAG)
				}
			}},
			{"frame unreadable", func(b []byte) {}, false, nil},
		} {
			t.Run(tc.bin+"/"+c.name, func(t *testing.T) {
				img := append([]byte(nil), orig...)
				c.change(img)
				cp := NewCPU(tc.mode)
				cp.Regs[RSP] = base + 8
				if ia32 {
					cp.Regs[RSP] = base + 4
				}
				read := memReader(base, img)
				if c.name == "frame unreadable" {
					read = memReader(base+4096, img)
				}
				_, ok := fc.Sigreturn(cp, true, read, func(uint16) (uint64, bool) { return 0, true })
				if ok != c.ok {
					t.Fatalf("Sigreturn ok = %v, want %v", ok, c.ok)
				}
				if c.check != nil {
					c.check(t, cp)
				}
			})
		}
	}
}

// TestPlaceAltStack checks get_sigframe's stack choice: the red zone
// skipped on x86-64, SA_ONSTACK entering the alternate stack, a nested
// signal staying on it, and a frame that would overflow it refused.
func TestPlaceAltStack(t *testing.T) {
	fc := FrameConfig{XCR0: 7, XSaveSize: 832, MXCSRMask: 0xffff}
	for _, tc := range []struct {
		name    string
		mode    mm.Mode
		sp      uint64
		onstack bool
		alt     AltStack
		ok      bool // false: the frame does not fit
	}{
		{"x86-64 red zone", mm.Mode64, 0x10000, false, AltStack{Flags: SSDisable}, true},
		{"x86-64 enters the alternate stack", mm.Mode64, 0x10000, true, AltStack{SP: 0x20000, Size: 0x4000}, true},
		{"x86-64 nested on the alternate stack", mm.Mode64, 0x22000, true, AltStack{SP: 0x20000, Size: 0x4000}, true},
		{"x86-64 alternate stack too small", mm.Mode64, 0x10000, true, AltStack{SP: 0x20000, Size: 0x200}, false},
		{"i386 no red zone", mm.Mode32, 0x10000, false, AltStack{Flags: SSDisable}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCPU(tc.mode)
			c.Regs[RSP] = tc.sp
			f := Frame{Sig: 10, RT: true, OnStack: tc.onstack, Alt: tc.alt}
			p, ok := fc.Place(c, &f)
			if tc.mode == mm.Mode32 {
				// fx = (0x10000 - 836) &^ 63 = 0xfc80; fsave header 112 below;
				// rt frame 268 below, aligned so that (sp+4)%16 == 0.
				fp := uint64(0xfc80 - 112)
				want := (fp-rtFrameSize32+4)&^15 - 4
				if !ok || p.Addr != want || p.FPState != fp || (p.Addr+4)%16 != 0 {
					t.Fatalf("Place = %+v %v, want frame %#x fpstate %#x", p, ok, want, fp)
				}
				return
			}
			if !tc.ok {
				if ok {
					t.Fatalf("Place = %+v, want refused", p)
				}
				return
			}
			if !ok || (p.Addr+8)%16 != 0 || p.FX%64 != 0 {
				t.Fatalf("Place = %+v %v: want a frame at 16n-8 and a 64-byte aligned FPU area", p, ok)
			}
			top := tc.sp - 128
			if tc.onstack && !tc.alt.OnStack(tc.sp) {
				top = tc.alt.SP + tc.alt.Size
			}
			if p.FX != (top-836)&^63 || p.Addr != (p.FX-rtFrameSize64)&^15-8 {
				t.Fatalf("Place = %+v, want FX %#x", p, (top-836)&^63)
			}
		})
	}
}

// TestMinSigStkSz is AT_MINSIGSTKSZ for the AVX features minemu reports
// (x87|SSE|AVX, an 832-byte XSAVE area): the kernel's init_sigframe_size.
func TestMinSigStkSz(t *testing.T) {
	fc := FrameConfig{XCR0: 7, XSaveSize: 832}
	// 440 + 15 + (832 + 4 + 112) + 63 = 1466, rounded up to 1472.
	if got := fc.MinSigStkSz(); got != 1472 {
		t.Fatalf("MinSigStkSz = %d, want 1472", got)
	}
}

// FuzzSigreturn restores from arbitrary frame bytes in both ABIs: it must
// never panic, and whatever it accepts leaves the CPU consistent (IF set,
// TF clear, an i386 CPU's registers within 32 bits, the x87 top in 0..7).
func FuzzSigreturn(f *testing.F) {
	for _, bin := range []string{"framedump-x86_64", "framedump-i386"} {
		_, img := nativeFrame(f, bin)
		f.Add(img, bin == "framedump-i386")
	}
	f.Fuzz(func(t *testing.T, img []byte, ia32 bool) {
		mode := mm.Mode64
		if ia32 {
			mode = mm.Mode32
		}
		const base = 0x10000
		c := NewCPU(mode)
		c.Regs[RSP] = base + 8
		if ia32 {
			c.Regs[RSP] = base + 4
		}
		fc := FrameConfig{XCR0: 7, XSaveSize: 832, MXCSRMask: 0xffff}
		_, ok := fc.Sigreturn(c, true, memReader(base, img), func(sel uint16) (uint64, bool) { return uint64(sel) << 12, sel&4 == 0 })
		if !ok {
			return
		}
		if fl := c.RFLAGS(); fl&FlagIF == 0 || fl&FlagTF != 0 {
			t.Fatalf("flags %#x", fl)
		}
		if c.FTOP > 7 {
			t.Fatalf("x87 top %d", c.FTOP)
		}
		if ia32 {
			for r, v := range c.Regs {
				if v>>32 != 0 {
					t.Fatalf("i386 register %d = %#x", r, v)
				}
			}
			if c.RIP>>32 != 0 {
				t.Fatalf("i386 eip %#x", c.RIP)
			}
		}
	})
}
