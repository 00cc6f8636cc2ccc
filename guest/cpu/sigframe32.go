package cpu

// The i386 frames a 64-bit kernel builds for a compat task
// (arch/x86/include/asm/sigframe.h): rt_sigframe_ia32 for SA_SIGINFO
// handlers (pretcode, sig, pinfo, puc, the compat siginfo, ucontext_ia32,
// retcode) and the legacy sigframe_ia32 for the others (pretcode, sig,
// sigcontext_32, the unused _fpstate_32, extramask, retcode), with the FPU
// area (fsave header, then the XSAVE image) above.

const (
	rtFrameSize32  = 268
	rtInfo32       = 16
	rtUC32         = 144
	rtStack32      = rtUC32 + 8
	rtSC32         = rtUC32 + 20
	rtMask32       = rtUC32 + 108
	rtRetcode32    = 260
	sigFrameSize32 = 732
	sigSC32        = 8
	sigExtra32     = 720
	sigRetcode32   = 724

	sc32Size = 88

	nrSigreturn32   = 119
	nrRtSigreturn32 = 173
)

// sigcontext_32 offsets of the general registers.
var sc32Regs = [...]struct {
	off int
	r   Reg
}{
	{16, RDI}, {20, RSI}, {24, RBP}, {28, RSP}, {32, RBX}, {36, RDX}, {40, RCX}, {44, RAX},
}

const (
	sc32GS, sc32FS, sc32ES, sc32DS = 0, 4, 8, 12
	sc32Trapno                     = 48
	sc32Err                        = 52
	sc32IP                         = 56
	sc32CS                         = 60
	sc32Flags                      = 64
	sc32SPAtSignal                 = 68
	sc32SS                         = 72
	sc32FPState                    = 76
	sc32Oldmask                    = 80
	sc32CR2                        = 84
)

// RtRetcode32 and SigRetcode32 are the retcode bytes of the i386 frames:
// `movl $173,%eax; int $0x80` and `popl %eax; movl $119,%eax; int $0x80`,
// the sequences a sigreturn trampoline holds.
var (
	RtRetcode32  = [8]byte{0xb8, nrRtSigreturn32, 0, 0, 0, 0xcd, 0x80, 0}
	SigRetcode32 = [8]byte{0x58, 0xb8, nrSigreturn32, 0, 0, 0, 0xcd, 0x80}
)

func putSigcontext32(c *CPU, f *Frame, p Placed, sc []byte) {
	le.PutUint32(sc[sc32GS:], uint32(c.GS))
	le.PutUint32(sc[sc32FS:], uint32(c.FS))
	le.PutUint32(sc[sc32ES:], userDS)
	le.PutUint32(sc[sc32DS:], userDS)
	for _, x := range sc32Regs {
		le.PutUint32(sc[x.off:], uint32(c.Regs[x.r]))
	}
	le.PutUint32(sc[sc32Trapno:], uint32(f.Trapno))
	le.PutUint32(sc[sc32Err:], uint32(f.Err))
	le.PutUint32(sc[sc32IP:], uint32(c.RIP))
	le.PutUint32(sc[sc32CS:], userCS32)
	le.PutUint32(sc[sc32Flags:], uint32(c.RFLAGS()|FlagRF*boolU64(f.Resume)))
	le.PutUint32(sc[sc32SPAtSignal:], uint32(c.Regs[RSP]))
	le.PutUint32(sc[sc32SS:], userDS)
	le.PutUint32(sc[sc32FPState:], uint32(p.FPState))
	le.PutUint32(sc[sc32Oldmask:], uint32(f.Mask))
	le.PutUint32(sc[sc32CR2:], uint32(f.CR2))
}

func (fc FrameConfig) buildRTFrame32(c *CPU, f *Frame, p Placed, img []byte) []byte {
	le.PutUint32(img[0:], uint32(f.Restorer))
	le.PutUint32(img[4:], uint32(f.Sig))
	le.PutUint32(img[8:], uint32(p.Addr+rtInfo32))
	le.PutUint32(img[12:], uint32(p.Addr+rtUC32))
	copy(img[rtInfo32:rtInfo32+siginfoSize], f.Info[:])
	le.PutUint32(img[rtUC32:], uint32(UCFPXState*boolU64(fc.XCR0 != 0)))
	le.PutUint32(img[rtStack32:], uint32(f.Alt.SP))
	le.PutUint32(img[rtStack32+4:], f.Alt.Flags)
	le.PutUint32(img[rtStack32+8:], uint32(f.Alt.Size))
	putSigcontext32(c, f, p, img[rtSC32:rtSC32+sc32Size])
	le.PutUint64(img[rtMask32:], f.Mask)
	copy(img[rtRetcode32:], RtRetcode32[:])
	return img
}

func buildFrame32(c *CPU, f *Frame, p Placed, img []byte) []byte {
	le.PutUint32(img[0:], uint32(f.Restorer))
	le.PutUint32(img[4:], uint32(f.Sig))
	putSigcontext32(c, f, p, img[sigSC32:sigSC32+sc32Size])
	le.PutUint32(img[sigExtra32:], uint32(f.Mask>>32))
	copy(img[sigRetcode32:], SigRetcode32[:])
	return img
}

func (fc FrameConfig) sigreturn32(c *CPU, rt bool, read ReadGuest, seg func(sel uint16) (uint64, bool)) (Restored, bool) {
	var r Restored
	var sc [sc32Size]byte
	esp := c.Regs[RSP] & 0xffffffff
	if rt {
		frame := (esp - 4) & 0xffffffff
		var uc [rtRetcode32 - rtUC32]byte
		if !read(frame+rtUC32, uc[:]) {
			return r, false
		}
		copy(sc[:], uc[rtSC32-rtUC32:])
		r.Mask = le.Uint64(uc[rtMask32-rtUC32:])
		r.Alt = AltStack{SP: uint64(le.Uint32(uc[8:])), Flags: le.Uint32(uc[12:]), Size: uint64(le.Uint32(uc[16:]))}
		r.HasAlt = true
	} else {
		frame := (esp - 8) & 0xffffffff
		var b [sigExtra32 + 4 - sigSC32]byte
		if !read(frame+sigSC32, b[:]) {
			return r, false
		}
		copy(sc[:], b[:sc32Size])
		r.Mask = uint64(le.Uint32(sc[sc32Oldmask:])) | uint64(le.Uint32(b[sigExtra32-sigSC32:]))<<32
	}
	if uint16(le.Uint32(sc[sc32CS:]))|3 != userCS32 || uint16(le.Uint32(sc[sc32SS:]))|3 != userDS {
		return r, false
	}
	for _, x := range sc32Regs {
		c.Regs[x.r] = uint64(le.Uint32(sc[x.off:]))
	}
	c.RIP = uint64(le.Uint32(sc[sc32IP:]))
	c.SetRFLAGS(c.RFLAGS()&^FixEflags | uint64(le.Uint32(sc[sc32Flags:]))&FixEflags)
	// reload_segments: a selector that changed is loaded, one the CPU
	// refuses becomes the null selector.
	for _, s := range [...]struct {
		off  int
		sel  *uint16
		base *uint64
	}{{sc32GS, &c.GS, &c.GSBase}, {sc32FS, &c.FS, &c.FSBase}} {
		sel := uint16(le.Uint32(sc[s.off:])) | 3
		if sel == *s.sel|3 && *s.sel != 0 {
			continue
		}
		if sel == 3 && *s.sel == 0 {
			continue
		}
		base, ok := uint64(0), false
		if seg != nil {
			base, ok = seg(sel)
		}
		if !ok {
			sel, base = 0, 0
		}
		*s.sel, *s.base = sel, base
	}
	if !fc.restoreFPU(c, uint64(le.Uint32(sc[sc32FPState:])), true, read) {
		return r, false
	}
	return r, true
}
