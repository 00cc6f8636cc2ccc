package cpu

// The x86-64 rt_sigframe (arch/x86/include/asm/sigframe.h): pretcode, the
// ucontext (uc_flags, uc_link, uc_stack, uc_mcontext = struct sigcontext,
// uc_sigmask) and the siginfo, with the FPU area above it.

const (
	rtFrameSize64 = 440
	rtUC64        = 8
	rtStack64     = rtUC64 + 16
	rtSC64        = rtUC64 + 40
	rtMask64      = rtUC64 + 296
	rtInfo64      = 312
)

// sigcontext64 field offsets (struct sigcontext), in the order the kernel
// lays out the general registers.
var sc64Regs = [...]struct {
	off int
	r   Reg
}{
	{0, R8}, {8, R9}, {16, R10}, {24, R11}, {32, R12}, {40, R13}, {48, R14}, {56, R15},
	{64, RDI}, {72, RSI}, {80, RBP}, {88, RBX}, {96, RDX}, {104, RAX}, {112, RCX}, {120, RSP},
}

const (
	sc64RIP     = 128
	sc64Flags   = 136
	sc64CS      = 144
	sc64SS      = 150
	sc64Err     = 152
	sc64Trapno  = 160
	sc64Oldmask = 168
	sc64CR2     = 176
	sc64FPState = 184
	sc64Size    = 256
)

func (fc FrameConfig) buildFrame64(c *CPU, f *Frame, p Placed, img []byte) []byte {
	le.PutUint64(img[0:], f.Restorer)
	le.PutUint64(img[rtUC64:], UCFPXState*boolU64(fc.XCR0 != 0)|UCSigcontextSS|UCStrictRestoreSS)
	le.PutUint64(img[rtStack64:], f.Alt.SP)
	le.PutUint32(img[rtStack64+8:], f.Alt.Flags)
	le.PutUint64(img[rtStack64+16:], f.Alt.Size)
	sc := img[rtSC64 : rtSC64+sc64Size]
	for _, x := range sc64Regs {
		le.PutUint64(sc[x.off:], c.Regs[x.r])
	}
	le.PutUint64(sc[sc64RIP:], c.RIP)
	le.PutUint64(sc[sc64Flags:], c.RFLAGS()|FlagRF*boolU64(f.Resume))
	le.PutUint16(sc[sc64CS:], userCS64)
	le.PutUint16(sc[sc64SS:], userDS)
	le.PutUint64(sc[sc64Err:], f.Err)
	le.PutUint64(sc[sc64Trapno:], f.Trapno)
	le.PutUint64(sc[sc64Oldmask:], f.Mask)
	le.PutUint64(sc[sc64CR2:], f.CR2)
	le.PutUint64(sc[sc64FPState:], p.FPState)
	le.PutUint64(img[rtMask64:], f.Mask)
	copy(img[rtInfo64:rtInfo64+siginfoSize], f.Info[:])
	return img
}

// EnterHandler sets the registers a handler starts with, as the kernel's
// setup_rt_frame does: the stack pointer at the frame, RIP at the handler,
// and the arguments (x86-64: RDI the signal, RSI the siginfo, RDX the
// ucontext, RAX 0; i386, for -mregparm=3: EAX the signal, EDX and ECX the
// siginfo and ucontext of an rt frame, 0 for a legacy one). DF is cleared
// (the kernel clears DF, TF and RF).
func (fc FrameConfig) EnterHandler(c *CPU, f *Frame, p Placed, handler uint64) {
	c.Regs[RSP] = p.Addr
	if c.is64() {
		c.Regs[RDI] = uint64(f.Sig)
		c.Regs[RAX] = 0
		c.Regs[RSI] = p.Addr + rtInfo64
		c.Regs[RDX] = p.Addr + rtUC64
		c.RIP = handler
	} else {
		c.Regs[RAX] = uint64(f.Sig)
		if f.RT {
			c.Regs[RDX] = p.Addr + rtInfo32
			c.Regs[RCX] = p.Addr + rtUC32
		} else {
			c.Regs[RDX], c.Regs[RCX] = 0, 0
		}
		c.RIP = handler & 0xffffffff
	}
	c.SetDF(false)
}

// Restored is what sigreturn takes back besides the CPU state.
type Restored struct {
	// Mask is the signal mask to restore (uc_sigmask; oldmask and
	// extramask for the legacy i386 frame).
	Mask uint64
	// Alt is uc_stack (rt frames only: HasAlt), which rt_sigreturn passes
	// to sigaltstack, ignoring any error but a fault.
	Alt    AltStack
	HasAlt bool
}

// Sigreturn restores c from the frame rt_sigreturn (rt true) or the i386
// sigreturn finds at the stack pointer, the frame whose pretcode (and, for
// the legacy frame, signal number) the handler's return and the restorer
// popped. Every value is read through read and checked: the flags outside
// FixEflags keep their values, CS and SS must be the user selectors
// (anything else would make the return to user mode fault), i386 FS and GS
// selectors go through seg (a selector it refuses loads the null selector,
// as the kernel's fixup does), and the FPU area must be one the kernel
// accepts. ok false is the kernel's badframe: the caller kills with
// SIGSEGV; c may then be partly restored.
func (fc FrameConfig) Sigreturn(c *CPU, rt bool, read ReadGuest, seg func(sel uint16) (uint64, bool)) (r Restored, ok bool) {
	if c.is64() {
		return fc.sigreturn64(c, read)
	}
	return fc.sigreturn32(c, rt, read, seg)
}

func (fc FrameConfig) sigreturn64(c *CPU, read ReadGuest) (Restored, bool) {
	frame := c.Regs[RSP] - 8
	var img [rtInfo64 - rtUC64]byte
	if !read(frame+rtUC64, img[:]) {
		return Restored{}, false
	}
	uc := img[:]
	ucFlags := le.Uint64(uc[0:])
	sc := uc[rtSC64-rtUC64:]
	if le.Uint16(sc[sc64CS:])|3 != userCS64 {
		return Restored{}, false
	}
	if ucFlags&UCStrictRestoreSS != 0 && le.Uint16(sc[sc64SS:])|3 != userDS {
		return Restored{}, false
	}
	for _, x := range sc64Regs {
		c.Regs[x.r] = le.Uint64(sc[x.off:])
	}
	c.RIP = le.Uint64(sc[sc64RIP:])
	c.SetRFLAGS(c.RFLAGS()&^FixEflags | le.Uint64(sc[sc64Flags:])&FixEflags)
	r := Restored{
		Mask:   le.Uint64(uc[rtMask64-rtUC64:]),
		Alt:    AltStack{SP: le.Uint64(uc[16:]), Flags: le.Uint32(uc[24:]), Size: le.Uint64(uc[32:])},
		HasAlt: true,
	}
	if !fc.restoreFPU(c, le.Uint64(sc[sc64FPState:]), false, read) {
		return r, false
	}
	return r, true
}
