package cpu

import (
	"encoding/binary"

	"github.com/minemu/minemu/mm"
)

// Signal frames as the Linux kernel builds them on x86 (arch/x86/kernel
// signal.c, signal_64.c, signal_32.c and fpu/signal.c), for both ABIs:
// where a frame goes (FrameConfig.Place), its bytes (BuildFrame), the
// registers a handler starts with (EnterHandler) and the state sigreturn
// takes back (Sigreturn). These are pure functions of CPU state and the
// values the Linux layer passes in; the Linux layer decides when a signal
// is delivered, checks and writes guest memory, and keeps the dispositions,
// masks and alternate stacks.
//
// The floating-point part of a frame is what the kernel writes on a CPU
// whose features are those the guest is shown (FrameConfig): the FXSAVE
// image, and with XSAVE the software-reserved bytes (fpx_sw_bytes, magic
// FP_XSTATE_MAGIC1), the XSAVE header and the extended areas of XCR0 in
// the standard format, followed by FP_XSTATE_MAGIC2. An i386 frame puts
// the fsave header of struct _fpstate_32 (112 bytes) in front of it.

// Frame constants (uapi/asm/sigcontext.h, uapi/asm/ucontext.h).
const (
	FPXStateMagic1 = 0x46505853
	FPXStateMagic2 = 0x46505845

	UCFPXState         = 1
	UCSigcontextSS     = 2
	UCStrictRestoreSS  = 4
	fsaveHeaderSize    = 112 // struct fregs_state
	fxsaveSize         = 512
	xsaveHeaderEnd     = 576
	avxOffset          = 576 // YMM_Hi128 in the standard format
	xfeatureMaskFPSSE  = 3
	xfeatureAVX        = 4
	siginfoSize        = 128
	redZone            = 128
	SSOnStack          = 1
	SSDisable          = 2
	SSAutoDisarm       = 1 << 31
	fxsrMagic          = 0x0000
	userCS64, userCS32 = 0x33, 0x23
	userDS             = 0x2b
)

// FixEflags are the flags sigreturn takes from the frame (the kernel's
// FIX_EFLAGS without TF and RF, which minemu does not model); the others
// keep their values.
const FixEflags = FlagAC | FlagOF | FlagDF | FlagSF | FlagZF | FlagAF | FlagPF | FlagCF

// FrameConfig is what the guest's CPU model says about the state a signal
// frame holds.
type FrameConfig struct {
	// XCR0 is the XSAVE feature mask the guest is shown (x87|SSE|AVX = 7);
	// 0 when XSAVE is not reported, and the frame carries the FXSAVE image
	// only.
	XCR0 uint64
	// XSaveSize is the size of the standard-format XSAVE area for XCR0
	// (832 with AVX); unused when XCR0 is 0.
	XSaveSize uint32
	// MXCSRMask is the MXCSR_MASK that FXSAVE stores; sigreturn refuses
	// an MXCSR with other bits.
	MXCSRMask uint32
}

// userSize is the kernel's fpstate->user_size.
func (fc FrameConfig) userSize() uint64 {
	if fc.XCR0 == 0 {
		return fxsaveSize
	}
	return uint64(fc.XSaveSize)
}

// mathSize is xstate_sigframe_size: the FPU area without the fsave header.
func (fc FrameConfig) mathSize() uint64 {
	if fc.XCR0 == 0 {
		return fxsaveSize
	}
	return uint64(fc.XSaveSize) + 4
}

// MinSigStkSz is AT_MINSIGSTKSZ: the kernel's worst-case frame size
// (init_sigframe_size on a 64-bit kernel, which reports the same value to
// i386 tasks): the x86-64 rt_sigframe with its alignment padding, the FPU
// area with the fsave header, and the XSAVE alignment padding, rounded up
// to 16.
func (fc FrameConfig) MinSigStkSz() uint64 {
	n := uint64(rtFrameSize64) + 15 + fc.mathSize() + fsaveHeaderSize + 63
	return (n + 15) &^ 15
}

// AltStack is a thread's alternate signal stack as sigaltstack set it:
// Flags is the value the thread passed (0, SS_ONSTACK, SS_AUTODISARM,
// SS_DISABLE), what the kernel keeps in sas_ss_flags and writes to
// uc_stack.
type AltStack struct {
	SP, Size uint64
	Flags    uint32
}

// OnStack is the kernel's on_sig_stack: whether sp lies on the alternate
// stack (always false with SS_AUTODISARM).
func (a AltStack) OnStack(sp uint64) bool {
	if a.Flags&SSAutoDisarm != 0 {
		return false
	}
	return a.onStack(sp)
}

func (a AltStack) onStack(sp uint64) bool { return sp > a.SP && sp-a.SP <= a.Size }

// SSFlags is the kernel's sas_ss_flags: SS_DISABLE without a stack,
// SS_ONSTACK while sp is on it, 0 otherwise.
func (a AltStack) SSFlags(sp uint64) uint32 {
	if a.Size == 0 {
		return SSDisable
	}
	if a.OnStack(sp) {
		return SSOnStack
	}
	return 0
}

// Frame is one signal delivery: what the frame records besides the CPU
// state.
type Frame struct {
	// Sig is the signal number.
	Sig int
	// RT selects the rt_sigframe (SA_SIGINFO; always on x86-64). An i386
	// handler without SA_SIGINFO gets the legacy sigframe.
	RT bool
	// Info is the siginfo in the guest ABI's layout (compat_siginfo for
	// i386; the caller converts); WithInfo says whether the kernel copies
	// it (SA_SIGINFO): without, those bytes of the frame are left as the
	// stack held them.
	Info     [siginfoSize]byte
	WithInfo bool
	// Mask is the signal mask sigreturn restores (the mask before
	// delivery).
	Mask uint64
	// OnStack is SA_ONSTACK; Alt the thread's alternate stack.
	OnStack bool
	Alt     AltStack
	// Restorer is sa_restorer (pretcode); the caller resolves i386
	// handlers without SA_RESTORER to a sigreturn trampoline.
	Restorer uint64
	// Trapno, Err and CR2 are the thread's last exception (the kernel's
	// thread.trap_nr, error_code and cr2): the fault being delivered, or
	// an older one for an asynchronous signal.
	Trapno, Err, CR2 uint64
	// Resume is set for the signal of a fault (not a trap such as int3):
	// the flags saved in the frame have RF set, as the CPU pushes them
	// for a fault.
	Resume bool
}

// Placed is where a frame goes.
type Placed struct {
	// Addr is the frame's address: the handler's stack pointer.
	Addr uint64
	// FPState is the address of the FPU area (the fsave header on i386,
	// the FXSAVE image on x86-64); FX that of the FXSAVE image (64-byte
	// aligned).
	FPState, FX uint64
	// Size is the number of bytes from Addr to the end of the FPU area.
	Size uint64
}

// Place is the kernel's get_sigframe: the frame goes below the red zone
// (x86-64) or on the alternate stack (SA_ONSTACK while the thread is not
// on it), the FPU area 64-byte aligned below that, the frame aligned as the
// ABI's function entry expects below the area. ok is false when the frame
// would overflow the alternate stack it is on or enters (the kernel then
// kills with SIGSEGV).
func (fc FrameConfig) Place(c *CPU, f *Frame) (p Placed, ok bool) {
	sp := c.Regs[RSP]
	ia32 := !c.is64()
	nested := f.Alt.OnStack(sp)
	entering := false
	if !ia32 {
		sp -= redZone
	}
	if f.OnStack && f.Alt.SSFlags(sp) == 0 {
		sp = f.Alt.SP + f.Alt.Size
		entering = true
	}
	fx := (sp - fc.mathSize()) &^ 63
	fp := fx
	if ia32 {
		fp -= fsaveHeaderSize
	}
	var addr uint64
	if ia32 {
		n := uint64(sigFrameSize32)
		if f.RT {
			n = rtFrameSize32
		}
		addr = ((fp-n+4)&^15 - 4)
	} else {
		addr = (fp-rtFrameSize64)&^15 - 8
	}
	if ia32 {
		addr &= 0xffffffff
		fp &= 0xffffffff
		fx &= 0xffffffff
	}
	if (nested || entering) && !f.Alt.onStack(addr) {
		return Placed{}, false
	}
	return Placed{Addr: addr, FPState: fp, FX: fx, Size: fx + fc.mathSize() - addr}, true
}

// is64 reports a 64-bit CPU.
func (c *CPU) is64() bool { return c.Mode == mm.Mode64 }

// BuildFrame returns the bytes of f's frame for c at p (from p.Addr, p.Size
// long) and the range of the siginfo inside them, which the caller leaves
// unwritten when !f.WithInfo.
func (fc FrameConfig) BuildFrame(c *CPU, f *Frame, p Placed) (img []byte, infoOff int) {
	img = make([]byte, p.Size)
	fpu := img[p.FPState-p.Addr:]
	if c.is64() {
		fc.putFPU(c, fpu, false)
		return fc.buildFrame64(c, f, p, img), rtInfo64
	}
	fc.putFPU(c, fpu, true)
	if f.RT {
		return fc.buildRTFrame32(c, f, p, img), rtInfo32
	}
	return buildFrame32(c, f, p, img), -1
}

var le = binary.LittleEndian

// putFPU writes the FPU area: the fsave header (ia32), the FXSAVE image,
// the software bytes and, with XSAVE, the header, the extended areas and
// magic2.
func (fc FrameConfig) putFPU(c *CPU, b []byte, ia32 bool) {
	if ia32 {
		putFsaveHeader(c, b[:fsaveHeaderSize])
		b = b[fsaveHeaderSize:]
	}
	fc.putFXSave(c, b[:fxsaveSize])
	sw := b[464:512]
	le.PutUint32(sw[0:], FPXStateMagic1)
	ext := uint32(fc.mathSize())
	if ia32 {
		ext += fsaveHeaderSize
	}
	le.PutUint32(sw[4:], ext)
	le.PutUint64(sw[8:], fc.XCR0|xfeatureMaskFPSSE*boolU64(fc.XCR0 == 0))
	le.PutUint32(sw[16:], uint32(fc.userSize()))
	if fc.XCR0 == 0 {
		return
	}
	bv := uint64(xfeatureMaskFPSSE)
	if fc.XCR0&xfeatureAVX != 0 {
		n := 16
		if ia32 {
			n = 8
		}
		for i := 0; i < n; i++ {
			le.PutUint64(b[avxOffset+16*i:], c.X[i][2])
			le.PutUint64(b[avxOffset+8+16*i:], c.X[i][3])
			if c.X[i][2]|c.X[i][3] != 0 {
				bv |= xfeatureAVX
			}
		}
	}
	le.PutUint64(b[fxsaveSize:], bv)
	le.PutUint32(b[fc.XSaveSize:], FPXStateMagic2)
}

func boolU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// putFXSave writes the FXSAVE image as the kernel's XSAVE stores it
// (CPU.FXSave: the pointers and opcode as zeros, an i386 thread's XMM8-15
// absent) with the MXCSR_MASK of the frame configuration.
func (fc FrameConfig) putFXSave(c *CPU, b []byte) {
	c.FXSave(b)
	le.PutUint32(b[28:], fc.MXCSRMask)
}

// putFsaveHeader writes the i386 fsave header the kernel converts from the
// FXSAVE state (convert_from_fxsr): control and status words with the
// upper halves set, the full tag word, the x87 registers in stack order,
// status and the FXSR magic; CS and DS are the user selectors.
func putFsaveHeader(c *CPU, b []byte) {
	le.PutUint32(b[0:], uint32(c.FCW)|0xffff0000)
	le.PutUint32(b[4:], uint32(c.FSWord())|0xffff0000)
	le.PutUint32(b[8:], 0xffff0000|uint32(c.FullTag())) // twd_fxsr_to_i387
	le.PutUint32(b[12:], 0)                             // fip
	le.PutUint32(b[16:], userCS32)                      // fcs (fop 0 in the upper half)
	le.PutUint32(b[20:], 0)                             // foo
	le.PutUint32(b[24:], userDS|0xffff0000)
	for i := uint8(0); i < 8; i++ {
		st := c.STi(i)
		le.PutUint64(b[28+10*int(i):], st.Mant)
		le.PutUint16(b[36+10*int(i):], st.SE)
	}
	le.PutUint16(b[108:], c.FSWord())
	le.PutUint16(b[110:], fxsrMagic)
}

// abridgedTags is twd_i387_to_fxsr: a register is in use unless its full
// tag is empty (3).
func abridgedTags(twd uint16) uint8 {
	var t uint8
	for i := 0; i < 8; i++ {
		if (twd>>(2*i))&3 != 3 {
			t |= 1 << i
		}
	}
	return t
}

// ReadGuest reads guest memory at addr into b; false when any of it cannot
// be read.
type ReadGuest func(addr uint64, b []byte) bool

// fpuInit puts the x87, SSE and AVX state in their initial state
// (fpu__clear_user_states), as sigreturn does for a null fpstate.
func fpuInit(c *CPU) {
	c.FCW, c.FSW, c.FTOP, c.FTAG = 0x37f, 0, 0, 0
	c.ST = [8]F80{}
	c.MXCSR = 0x1f80
	c.X = [16][VecLanes]uint64{}
}

// restoreFPU is fpu__restore_sig: it loads the FPU state from the area at
// fp (the fsave header first on i386). It reports false for what the
// kernel refuses (an unreadable area, an MXCSR with reserved bits, an XSAVE
// header XRSTOR would fault on), after which the FPU state is the initial
// one and the caller kills the thread with SIGSEGV.
func (fc FrameConfig) restoreFPU(c *CPU, fp uint64, ia32 bool, read ReadGuest) bool {
	if fp == 0 {
		fpuInit(c)
		return true
	}
	var env [fsaveHeaderSize]byte
	fx := fp
	if ia32 {
		if !read(fp, env[:]) {
			fpuInit(c)
			return false
		}
		fx = (fp + fsaveHeaderSize) & 0xffffffff
	}
	var img [fxsaveSize]byte
	if !read(fx, img[:]) {
		fpuInit(c)
		return false
	}
	// check_xstate_in_sigframe: an area without valid software bytes and
	// magic2 is a legacy FXSAVE image.
	xsave := false
	size := le.Uint32(img[464+16:])
	if fc.XCR0 != 0 && le.Uint32(img[464:]) == FPXStateMagic1 && size >= xsaveHeaderEnd &&
		uint64(size) <= fc.userSize() && size <= le.Uint32(img[464+4:]) {
		var m [4]byte
		if !read(fx+uint64(size), m[:]) {
			fpuInit(c)
			return false
		}
		xsave = le.Uint32(m[:]) == FPXStateMagic2
	}
	mx := le.Uint32(img[24:])
	var hdr [64]byte
	var ext []byte
	features := uint64(xfeatureMaskFPSSE)
	if xsave {
		if !read(fx+fxsaveSize, hdr[:]) {
			fpuInit(c)
			return false
		}
		features = le.Uint64(img[464+8:]) & fc.XCR0
		bv, comp := le.Uint64(hdr[0:]), le.Uint64(hdr[8:])
		bad := bv&^fc.XCR0 != 0 || comp != 0 || le.Uint64(hdr[16:]) != 0
		if ia32 { // copy_uabi_to_xstate checks every reserved byte
			for _, x := range hdr[16:] {
				bad = bad || x != 0
			}
		}
		if bad {
			fpuInit(c)
			return false
		}
		if fc.XCR0&xfeatureAVX != 0 && features&xfeatureAVX != 0 && bv&xfeatureAVX != 0 {
			ext = make([]byte, 256)
			if !read(fx+avxOffset, ext) {
				fpuInit(c)
				return false
			}
		}
		// Components in the restore mask whose XSTATE_BV bit is clear
		// are loaded in their initial state, and so are those outside it.
		if bv&features&1 == 0 {
			img = initLegacyX87(img)
		}
		if bv&features&2 == 0 {
			for i := 160; i < 416; i++ {
				img[i] = 0
			}
		}
	}
	if mx&^fc.MXCSRMask != 0 {
		if !ia32 || xsave {
			fpuInit(c)
			return false
		}
		mx &= fc.MXCSRMask // the i386 path sanitizes a legacy image
	}
	c.MXCSR = mx
	if ia32 {
		// convert_to_fxsr: the x87 state is the fsave header's.
		c.FCW = uint16(le.Uint32(env[0:]))
		fsw := uint16(le.Uint32(env[4:]))
		c.FSW, c.FTOP = fsw&^(7<<11), uint8(fsw>>11&7)
		c.FTAG = abridgedTags(uint16(le.Uint32(env[8:])))
		for i := uint8(0); i < 8; i++ {
			*c.STi(i) = F80{Mant: le.Uint64(env[28+10*int(i):]), SE: le.Uint16(env[36+10*int(i):])}
		}
	} else {
		c.FCW = le.Uint16(img[0:])
		fsw := le.Uint16(img[2:])
		c.FSW, c.FTOP = fsw&^(7<<11), uint8(fsw>>11&7)
		c.FTAG = img[4]
		for i := uint8(0); i < 8; i++ {
			*c.STi(i) = F80{Mant: le.Uint64(img[32+16*int(i):]), SE: le.Uint16(img[40+16*int(i):])}
		}
	}
	n := 16
	if ia32 {
		n = 8
	}
	for i := 0; i < n; i++ {
		c.X[i][0], c.X[i][1] = le.Uint64(img[160+16*i:]), le.Uint64(img[168+16*i:])
		c.X[i][2], c.X[i][3] = 0, 0
		if ext != nil {
			c.X[i][2], c.X[i][3] = le.Uint64(ext[16*i:]), le.Uint64(ext[8+16*i:])
		}
	}
	return true
}

// initLegacyX87 is img with the x87 part in its initial state (XRSTOR of
// a clear XSTATE_BV bit 0).
func initLegacyX87(img [fxsaveSize]byte) [fxsaveSize]byte {
	le.PutUint16(img[0:], 0x37f)
	le.PutUint16(img[2:], 0)
	img[4] = 0
	for i := 6; i < 24; i++ {
		img[i] = 0
	}
	for i := 32; i < 160; i++ {
		img[i] = 0
	}
	return img
}
