package linux

// A guest continued in a new minemu: what a fork's child or an exec'd
// program takes over from the image its predecessor left
// (guest/linux/forkexec).

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minemu/minemu/guest/cpu"
	"github.com/minemu/minemu/guest/linux/forkexec"
	"github.com/minemu/minemu/guest/linux/signal"
	"github.com/minemu/minemu/mm"
)

// RestoreMemory rebuilds a fork image's guest mappings at their addresses
// and the program break in space, a new GuestSpace: first thing after the
// space exists, before minemu's own later mappings could take a guest
// range (in Mode64 the kernel places those anywhere).
func RestoreMemory(space *mm.GuestSpace, r *forkexec.Restored) error {
	img := r.Image
	if img.Kind != forkexec.KindFork {
		return nil
	}
	for i, a := range img.Areas {
		if err := space.RestoreArea(a.ForkArea, func(at mm.AddrRange) error { return r.MapArea(i, at) }); err != nil {
			return fmt.Errorf("%w%s", err, occupants(a.Range))
		}
	}
	return space.RestoreBrk(mm.Addr(img.BrkBase), mm.Addr(img.Brk))
}

// Continue applies the image r to this Process, which was made for it and
// has run nothing yet. For a fork (whose memory RestoreMemory rebuilt) it
// sets the thread's signal state and TLS entries, and c, the CPU the child
// runs on, as fork returns 0 in it; for
// an exec it keeps what execve keeps (ignored signals, the mask, the
// resource limits). Either way the guest's resource limits come back.
func (k *Process) Continue(r *forkexec.Restored, c *cpu.CPU) error {
	img := r.Image
	if img.Kind == forkexec.KindFork && img.Mode != k.mode {
		return fmt.Errorf("linux: an image of mode %d for a mode-%d process", img.Mode, k.mode)
	}
	t := k.main
	k.sigMu.Lock()
	t.sigMask = img.SigMask &^ unblockable
	switch img.Kind {
	case forkexec.KindFork:
		for i, a := range img.Actions {
			k.sigActions[i] = signal.Action{Handler: a.Handler, Flags: a.Flags, Restorer: a.Restorer, Mask: signal.Set(a.Mask)}
		}
	case forkexec.KindExec:
		for i := range k.sigActions {
			if img.Ignored&(1<<i) != 0 {
				k.sigActions[i] = signal.Action{Handler: sigIgn}
			}
		}
	}
	k.sigMu.Unlock()
	k.limMu.Lock()
	for res := range k.rlim {
		if rlimKinds[res] == rlimHost {
			continue // the process's own, inherited
		}
		rl := img.Rlimits[res]
		if rl.Cur > rl.Max {
			k.limMu.Unlock()
			return fmt.Errorf("linux: image limit %d has soft %d over hard %d", res, rl.Cur, rl.Max)
		}
		if res == unix.RLIMIT_NOFILE {
			start := uint64(k.band.Start())
			rl.Cur, rl.Max = min(rl.Cur, start), min(rl.Max, start)
		}
		k.rlim[res] = rl
	}
	k.space.SetLimits(k.spaceLimits())
	k.limMu.Unlock()
	if img.Kind != forkexec.KindFork {
		return nil
	}
	if img.AltFlags != 0 || img.AltSize != 0 {
		t.sig.alt = cpu.AltStack{SP: img.AltSP, Size: img.AltSize, Flags: uint32(img.AltFlags)}
	}
	for i, d := range img.GDT {
		t.gdt[i] = tlsDesc{used: d.Used, base: d.Base, limit: d.Limit, flags: d.Flags}
	}
	k.SetExecImage(ExecImage{ArgStart: img.ArgStart, ArgEnd: img.ArgEnd, EnvStart: img.EnvStart, EnvEnd: img.EnvEnd, Auxv: img.Auxv})
	if img.Comm != "" {
		if err := SetHostComm(img.Comm); err != nil {
			k.log.Info().Err(err).Msg("naming minemu's threads after the guest")
		}
	}
	if err := c.UnmarshalState(img.CPU); err != nil {
		return err
	}
	c.Regs[cpu.RAX] = 0 // fork's result in the child
	if img.NewSP != 0 {
		c.Regs[cpu.RSP] = img.NewSP
	}
	t.clearChildTID = img.ChildClearTID
	if img.Vfork {
		k.vfork.Store(&vforkChild{fd: img.VforkFD, img: r})
	}
	// The guest's close-on-exec descriptors, which the exec of minemu
	// would have closed, had the flag cleared; it comes back.
	for _, fd := range r.Cloexec() {
		unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
	}
	if img.ChildSetTID != 0 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(t.tid))
		k.copyOut(img.ChildSetTID, b[:]) // a bad address is ignored, as by the kernel
	}
	return nil
}

// occupants describes what of the process lies in r, for an error.
func occupants(r mm.AddrRange) string {
	es, err := mm.ReadMaps()
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, e := range es {
		if e.Range.Start < r.End && r.Start < e.Range.End {
			fmt.Fprintf(&b, "; %v is taken by %v %q", r, e.Range, e.Path)
		}
	}
	return b.String()
}
