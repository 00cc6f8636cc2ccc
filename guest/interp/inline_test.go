package interp

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRunIsNotBig: the compiler inlines only the smallest functions (cost
// 20 instead of 80) into a function it considers big (over 5,000 nodes),
// and the run loop's handlers rely on inlined helpers (eaFlat, codeFree,
// storeN, cpu.CPU.SetLazy): past the limit the sieve needs 15% more host
// instructions per guest instruction. Rare ops belong in functions of
// their own (flagsAndMoves, fusedJcc) so that run stays below it.
func TestRunIsNotBig(t *testing.T) {
	const pkg = "github.com/minemu/minemu/guest/interp"
	out, err := exec.Command("go", "build", "-gcflags="+pkg+"=-m=2", "-o", "/dev/null", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m=2: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "(*machine).run considered 'big'") {
			t.Fatalf("got %q, want run below the compiler's big-function size", l)
		}
	}
	for _, want := range []string{"inlining call to eaFlat", "inlining call to (*machine).codeFree", "inlining call to cpu.(*CPU).SetLazy"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("the compiler's inlining report has no %q", want)
		}
	}
}
