package cpu

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/minemu/minemu/mm"
)

// nativeFrame runs a testdata/framedump binary natively: the frame the
// host kernel built for its SIGILL handler, at addr.
func nativeFrame(t testing.TB, bin string, args ...string) (addr uint64, img []byte) {
	t.Helper()
	out, err := exec.Command("testdata/"+bin, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	f := strings.Fields(string(out))
	if len(f) != 3 || f[0] != "frame" {
		t.Fatalf("%s printed %q", bin, out)
	}
	if addr, err = strconv.ParseUint(f[1], 16, 64); err != nil {
		t.Fatal(err)
	}
	if img, err = hex.DecodeString(f[2]); err != nil {
		t.Fatal(err)
	}
	return addr, img
}

// memReader reads from img as guest memory at base.
func memReader(base uint64, img []byte) ReadGuest {
	return func(a uint64, b []byte) bool {
		if a < base || a-base+uint64(len(b)) > uint64(len(img)) {
			return false
		}
		copy(b, img[a-base:])
		return true
	}
}

// TestFramesMatchKernel takes a frame the host kernel built (a SIGILL
// handler interrupting ud2 with known registers), restores a CPU from it
// with Sigreturn, checks the registers the program set, and rebuilds the
// frame with BuildFrame at the place Place computes for the restored
// stack pointer: every byte the kernel defines must come out the same
// (not compared: sigcontext's reserved words and the x87 instruction and
// operand pointers, which minemu does not track, and the extended XSAVE
// areas beyond AVX, which minemu does not model).
func TestFramesMatchKernel(t *testing.T) {
	for _, tc := range []struct {
		bin  string
		mode mm.Mode
	}{{"framedump-x86_64", mm.Mode64}, {"framedump-i386", mm.Mode32}} {
		t.Run(tc.bin, func(t *testing.T) {
			addr, img := nativeFrame(t, tc.bin)
			ia32 := tc.mode == mm.Mode32
			c := NewCPU(tc.mode)
			var fpOff, infoOff uint64
			if ia32 {
				c.Regs[RSP] = addr + 4
				fpOff, infoOff = uint64(le.Uint32(img[rtSC32+sc32FPState:]))-addr, rtInfo32
			} else {
				c.Regs[RSP] = addr + 8
				fpOff, infoOff = le.Uint64(img[rtSC64+sc64FPState:])-addr, rtInfo64
			}
			fx := fpOff
			if ia32 {
				fx += fsaveHeaderSize
			}
			sw := img[fx+464:]
			fc := FrameConfig{XCR0: le.Uint64(sw[8:]), XSaveSize: le.Uint32(sw[16:]), MXCSRMask: le.Uint32(img[fx+28:])}
			if fc.XCR0&7 != 7 || le.Uint32(sw[0:]) != FPXStateMagic1 {
				t.Fatalf("native frame without x87|SSE|AVX XSAVE state: xfeatures %#x magic1 %#x", fc.XCR0, le.Uint32(sw[0:]))
			}
			r, ok := fc.Sigreturn(c, true, memReader(addr, img), func(sel uint16) (uint64, bool) { return 0, true })
			if !ok {
				t.Fatalf("Sigreturn refused the kernel's frame")
			}
			info := img[infoOff : infoOff+siginfoSize]
			siAddr := le.Uint64(info[16:])
			if ia32 {
				siAddr = uint64(le.Uint32(info[12:]))
			}
			want := map[Reg]uint64{RAX: 0x1111111111111111, RCX: 0x2222222222222222, RDX: 0x4444444444444444,
				RBX: 0x3333333333333333, RBP: 0x5555555555555555, RSI: 0x6666666666666666, RDI: 0x7777777777777777,
				R8: 0x8888888888888888, R9: 0x9999999999999999, R10: 0xaaaaaaaaaaaaaaaa, R11: 0xbbbbbbbbbbbbbbbb,
				R12: 0xcccccccccccccccc, R13: 0xdddddddddddddddd, R14: 0xeeeeeeeeeeeeeeee, R15: 0xffffffffffffffff}
			for r, v := range want {
				if ia32 {
					if r >= R8 {
						continue
					}
					v &= 0xffffffff
				}
				if c.Regs[r] != v {
					t.Errorf("register %d = %#x, want %#x", r, c.Regs[r], v)
				}
			}
			if c.RIP != siAddr || !c.Carry() {
				t.Errorf("rip %#x (si_addr %#x), CF %v; want rip at the ud2 and CF set", c.RIP, siAddr, c.Carry())
			}
			if x := c.X[3][0]; x != 0x3031323334353637 {
				t.Errorf("xmm3 low %#x", x)
			}
			if st := *c.STi(1); st != (F80{Mant: 1 << 63, SE: 0x3fff}) || c.FTAG != 0xc0 {
				t.Errorf("st(1) %+v tags %#x, want 1.0 and two registers in use", st, c.FTAG)
			}
			// Rebuild at the place Place computes for the restored state.
			f := Frame{Sig: 4, RT: true, WithInfo: true, Mask: r.Mask, Alt: r.Alt,
				Restorer: uint64(le.Uint32(img[0:])), Trapno: 6, Resume: true}
			if !ia32 {
				f.Restorer = le.Uint64(img[0:])
			}
			copy(f.Info[:], info)
			if ia32 {
				f.Trapno, f.Err, f.CR2 = uint64(le.Uint32(img[rtSC32+sc32Trapno:])), uint64(le.Uint32(img[rtSC32+sc32Err:])), uint64(le.Uint32(img[rtSC32+sc32CR2:]))
			} else {
				f.Trapno, f.Err, f.CR2 = le.Uint64(img[rtSC64+sc64Trapno:]), le.Uint64(img[rtSC64+sc64Err:]), le.Uint64(img[rtSC64+sc64CR2:])
			}
			if f.Trapno != 6 {
				t.Errorf("native trapno %d, want 6 (#UD)", f.Trapno)
			}
			p, ok := fc.Place(c, &f)
			if !ok || p.Addr != addr || p.FPState != addr+fpOff {
				t.Fatalf("Place = %+v %v, want the frame at %#x and its FPU area at %#x", p, ok, addr, addr+fpOff)
			}
			got, _ := fc.BuildFrame(c, &f, p)
			if len(got) != len(img) {
				t.Fatalf("frame of %d bytes, the kernel's %d", len(got), len(img))
			}
			type span struct{ from, to uint64 }
			var skip []span
			if ia32 {
				skip = append(skip, span{fpOff + 12, fpOff + 24}, span{fx + 6, fx + 24}) // fip, fcs|fop, foo; fop, fip, fdp
			} else {
				skip = append(skip, span{rtSC64 + 192, rtSC64 + sc64Size}, span{fx + 6, fx + 24})
			}
			skip = append(skip, span{fx + 416, fx + 464}) // reserved bytes of the FXSAVE image
			skip = append(skip, span{fx + 512, fx + 520}) // XSTATE_BV: compared below for the modelled features
			if g, k := le.Uint64(got[fx+512:])&7, le.Uint64(img[fx+512:])&7; g != k {
				t.Errorf("XSTATE_BV x87|SSE|AVX bits %#x, kernel %#x", g, k)
			}
			if fc.XSaveSize > 832 {
				skip = append(skip, span{fx + 832, fx + uint64(fc.XSaveSize)}) // AVX-512 and later areas
			}
			if !ia32 {
				skip = append(skip, span{fx + 160 + 16*16, fx + 416}) // none: 16 XMM registers fill it
			} else {
				skip = append(skip, span{fx + 160 + 8*16, fx + 416}) // XMM8-15: not the i386 thread's
			}
			for i := range got {
				skipped := false
				for _, s := range skip {
					skipped = skipped || uint64(i) >= s.from && uint64(i) < s.to
				}
				if !skipped && got[i] != img[i] {
					t.Errorf("byte %#x (frame+%d): got %#02x, kernel %#02x; got % x, kernel % x", i, i, got[i], img[i],
						got[i&^7:min(len(got), i&^7+16)], img[i&^7:min(len(img), i&^7+16)])
					break
				}
			}
			if !bytes.Equal(got[fx+uint64(fc.XSaveSize):], img[fx+uint64(fc.XSaveSize):]) {
				t.Errorf("magic2 % x, kernel % x", got[fx+uint64(fc.XSaveSize):], img[fx+uint64(fc.XSaveSize):])
			}
		})
	}
}

// TestLegacyFrameMatchesKernel is TestFramesMatchKernel for the i386
// sigframe of a handler without SA_SIGINFO, returned from with sigreturn
// (its fpstate_unused area, which the kernel never writes, not compared).
func TestLegacyFrameMatchesKernel(t *testing.T) {
	addr, img := nativeFrame(t, "framedump-i386", "legacy")
	c := NewCPU(mm.Mode32)
	c.Regs[RSP] = addr + 8 // the restorer popped the return address and the signal number
	fp := uint64(le.Uint32(img[sigSC32+sc32FPState:])) - addr
	fx := fp + fsaveHeaderSize
	fc := FrameConfig{XCR0: le.Uint64(img[fx+464+8:]), XSaveSize: le.Uint32(img[fx+464+16:]), MXCSRMask: le.Uint32(img[fx+28:])}
	r, ok := fc.Sigreturn(c, false, memReader(addr, img), func(uint16) (uint64, bool) { return 0, true })
	if !ok {
		t.Fatalf("sigreturn refused the kernel's legacy frame")
	}
	if c.Regs[RAX] != 0x11111111 || c.Regs[RSI] != 0x66666666 || !c.Carry() {
		t.Fatalf("eax %#x esi %#x CF %v", c.Regs[RAX], c.Regs[RSI], c.Carry())
	}
	f := Frame{Sig: 4, Mask: r.Mask, Restorer: uint64(le.Uint32(img[0:])), Resume: true,
		Trapno: uint64(le.Uint32(img[sigSC32+sc32Trapno:])), Err: uint64(le.Uint32(img[sigSC32+sc32Err:])), CR2: uint64(le.Uint32(img[sigSC32+sc32CR2:]))}
	p, ok := fc.Place(c, &f)
	if !ok || p.Addr != addr || p.FPState != addr+fp {
		t.Fatalf("Place = %+v %v, want the frame at %#x, fpstate at %#x", p, ok, addr, addr+fp)
	}
	got, _ := fc.BuildFrame(c, &f, p)
	skip := [][2]uint64{{sigSC32 + sc32Size, sigExtra32}, {fp + 12, fp + 24}, {fx + 6, fx + 24}, {fx + 160 + 8*16, fx + 464},
		{fx + 512, fx + 520}}
	if fc.XSaveSize > 832 {
		skip = append(skip, [2]uint64{fx + 832, fx + uint64(fc.XSaveSize)})
	}
	for i := range got {
		skipped := false
		for _, s := range skip {
			skipped = skipped || uint64(i) >= s[0] && uint64(i) < s[1]
		}
		if !skipped && got[i] != img[i] {
			t.Fatalf("byte %d: got %#02x, kernel %#02x", i, got[i], img[i])
		}
	}
}
