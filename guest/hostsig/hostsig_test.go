//go:build linux && amd64

package hostsig

import (
	"fmt"
	"os"
	"testing"
)

// testGuest is what the tests take for the guest: everything but SIGINT,
// which TestGoNotify leaves to os/signal.
const testGuest = DefaultGuestSignals &^ (1 << (SIGINT - 1))

func TestMain(m *testing.M) {
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child))
	}
	if err := Install(Config{Guest: testGuest}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// onThread runs f on a fresh goroutine registered as a guest thread and
// waits for it.
func onThread(t testing.TB, f func(th *Thread)) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		th, err := Register()
		if err != nil {
			done <- err
			return
		}
		defer func() {
			if err := th.Unregister(); err != nil {
				panic(err)
			}
			done <- nil
		}()
		f(th)
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLayout(t *testing.T) {
	var asm [25]uintptr
	asmLayout(&asm)
	if got := layoutOf(); got != asm {
		t.Fatalf("Go layout %v, want layout_amd64.h %v", got, asm)
	}
	size, st := rangeLayout()
	if size != 24 || st != [5]uintptr{0, 8, 16, 24, 32} {
		t.Fatalf("codeRange size %d, stats offsets %v; want 24, [0 8 16 24 32]", size, st)
	}
}
