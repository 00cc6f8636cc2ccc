package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/minemu/minemu/mm"
)

// warnIfImageLow writes a warning to w when minemu's own image (its file
// mappings and bss) lies below 4 GiB. A 32-bit guest owns [64 KiB, 4 GiB);
// a binary built the default way is linked at 0x400000, exactly where
// non-PIE i386 and x86-64 programs are linked, so their segments would
// collide with minemu itself. Built with -buildmode=pie the kernel places
// the image high and nothing of minemu's own is left below 4 GiB. It
// returns whether the image is low. `minemu mm replay` warns; `minemu run`
// refuses a 32-bit guest instead (checkWindowFree).
func warnIfImageLow(w io.Writer) (low bool) {
	low, image, err := mm.ImageBelow4G()
	if msg := imageWarning(low, image, err); msg != "" {
		fmt.Fprint(w, msg)
	}
	return err == nil && low
}

// imageWarning is the text warnIfImageLow prints, empty when all is well.
func imageWarning(low bool, image mm.AddrRange, err error) string {
	if err != nil {
		return fmt.Sprintf("minemu: warning: cannot check where minemu's own image lies: %v\n", err)
	}
	if !low {
		return ""
	}
	return fmt.Sprintf("minemu: warning: minemu's own image lies at %v, below 4 GiB, where 32-bit guests live;\n"+
		"minemu: warning: a guest mapped there will collide with it. Build minemu as a position-independent\n"+
		"minemu: warning: executable: go build -buildmode=pie ./cmd/minemu\n", image)
}

// checkWindowFree refuses a 32-bit guest while anything of minemu's own
// lies in the guest's window [0, 4 GiB): its image and bss (a binary built
// without -buildmode=pie is linked at 0x400000), the C heap the program
// break grows, or any other mapping. A 32-bit guest addresses that memory
// with plain loads and stores, so it could read and overwrite minemu
// itself; nothing short of the kernel placing minemu high makes that safe.
// It runs before anything of the session is built, so every mapping below
// 4 GiB is minemu's. An unreadable /proc/self/maps refuses too: the rule
// is checked, not assumed.
func checkWindowFree(path string) error {
	rep, err := mm.Audit(mm.AuditConfig{Mode: mm.Mode32})
	if err != nil {
		return fmt.Errorf("%s: cannot check that minemu's own memory lies above 4 GiB, as a 32-bit guest needs: %w", path, err)
	}
	if len(rep.Low) == 0 {
		return nil
	}
	return &windowTakenError{path: path, low: mergeSegments(rep.Low)}
}

// windowTakenError is checkWindowFree's refusal; low is what is in the way.
type windowTakenError struct {
	path string
	low  []mm.AuditSegment
}

func (e *windowTakenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: cannot run a 32-bit guest: minemu's own memory lies below 4 GiB, inside the guest's address space:\n", e.path)
	for _, s := range e.low {
		what := s.Class.String()
		switch s.Class {
		case mm.ClassImage:
			what = "minemu's image"
		case mm.ClassHostBrk:
			what = "minemu's C heap (program break)"
		}
		fmt.Fprintf(&b, "minemu:   %s %v", what, s.Range)
		if s.Path != "" {
			fmt.Fprintf(&b, " %s", s.Path)
		}
		b.WriteByte('\n')
	}
	b.WriteString("minemu: the guest could read and overwrite it. minemu was built without -buildmode=pie; build it as a\n" +
		"minemu: position-independent executable, which the kernel places above 4 GiB:\n" +
		"minemu:   go build -buildmode=pie ./cmd/minemu")
	return b.String()
}

// mergeSegments joins touching segments of one class (the image's text,
// rodata, data and bss) into one span each, keeping the first's path.
func mergeSegments(segs []mm.AuditSegment) []mm.AuditSegment {
	var out []mm.AuditSegment
	for _, s := range segs {
		if n := len(out); n > 0 && out[n-1].Class == s.Class && out[n-1].Range.End == s.Range.Start {
			out[n-1].Range.End = s.Range.End
			if out[n-1].Path == "" {
				out[n-1].Path = s.Path
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// onlyGoHeap reports whether everything below 4 GiB is the Go runtime's
// anonymous memory: the heap, whose base Go randomizes (GOEXPERIMENT
// randomizedheapbase64) over the whole address space, so that a process
// now and then draws one below 4 GiB.
func (e *windowTakenError) onlyGoHeap() bool {
	for _, s := range e.low {
		if s.Class != mm.ClassGoRuntime {
			return false
		}
	}
	return len(e.low) > 0
}

// maxLayoutTries bounds how often minemu starts anew for a Go heap below
// 4 GiB (one in several thousand starts draws one).
const maxLayoutTries = 3

// reexecLayout starts this minemu anew in this process with --layout-try
// set to try; it returns only when it cannot.
func reexecLayout(try int) error {
	return syscall.Exec("/proc/self/exe", runArgsWith("layout-try", try), os.Environ())
}
