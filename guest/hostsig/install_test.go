//go:build linux && amd64

package hostsig

import "testing"

// TestInstalledActions checks what Install left in the kernel: our handler
// for every wrapped signal, with the flags, mask and restorer Go had (for
// signals Go handled), so the kernel treats them exactly as before; SIGINT,
// not taken, still goes to Go's handler.
func TestInstalledActions(t *testing.T) {
	wrapped := FaultSignals | SigsetOf(SIGURG) | testGuest
	for sig := 1; sig <= 64; sig++ {
		if sig == SIGKILL || sig == SIGSTOP {
			continue
		}
		cur, err := getsig(sig)
		if err != nil {
			t.Fatal(err)
		}
		old := install.old[sig]
		if !wrapped.Has(sig) {
			if cur.handler == handlerAddr() {
				t.Errorf("signal %d: our handler installed, want it left alone", sig)
			}
			continue
		}
		if cur.handler != handlerAddr() {
			t.Errorf("signal %d: handler %#x, want ours %#x", sig, cur.handler, handlerAddr())
			continue
		}
		const need = saSiginfo | saOnstack | saRestorer | saRestart
		if cur.flags&need != need {
			t.Errorf("signal %d: flags %#x lack %#x", sig, cur.flags, need)
		}
		if old.handler > 1 && (cur.flags != old.flags || cur.mask != old.mask || cur.restorer != old.restorer) {
			t.Errorf("signal %d: flags/mask/restorer %#x/%#x/%#x, want Go's %#x/%#x/%#x",
				sig, cur.flags, cur.mask, cur.restorer, old.flags, old.mask, old.restorer)
		}
		if got := fwdHandler[sig]; got != old.handler {
			t.Errorf("signal %d: forwards to %#x, want Go's %#x", sig, got, old.handler)
		}
	}
	if got, want := GuestSignals(), testGuest; got != want {
		t.Fatalf("GuestSignals() = %v, want %v", got, want)
	}
	if err := Install(Config{}); err == nil {
		t.Fatal("second Install succeeded")
	}
}

func TestSafeSyscallWindowDecoded(t *testing.T) {
	// cmpl $0,(%r12); jne rel8; syscall
	if safeInsn != safeStart+7 {
		t.Fatalf("SYSCALL at window+%d, want +7", safeInsn-safeStart)
	}
	if got := codeBytes(safeInsn, 2); got[0] != 0x0f || got[1] != 0x05 {
		t.Fatalf("bytes at safeInsn % x, want 0f 05", got)
	}
}

func TestSigset(t *testing.T) {
	s := SigsetOf(SIGUSR1, SIGRTMAX, 0, 65)
	if !s.Has(SIGUSR1) || !s.Has(SIGRTMAX) || s.Has(SIGUSR2) || s.Has(0) || s.Has(65) {
		t.Fatalf("SigsetOf = %v", s)
	}
	if got := s.Lowest(); got != SIGUSR1 {
		t.Fatalf("Lowest = %d, want %d", got, SIGUSR1)
	}
	if got := s.String(); got != "{10,64}" {
		t.Fatalf("String = %q", got)
	}
	if DefaultGuestSignals.Has(SIGKILL) || DefaultGuestSignals.Has(SIGSTOP) || DefaultGuestSignals.Has(SIGPROF) ||
		!DefaultGuestSignals.Has(SIGQUIT) || !DefaultGuestSignals.Has(33) {
		t.Fatalf("DefaultGuestSignals = %v", DefaultGuestSignals)
	}
}
