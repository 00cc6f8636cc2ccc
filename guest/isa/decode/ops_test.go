package decode

import (
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// TestOwnOpsFollowX86asm: every op x86asm can decode is below minemu's own
// (firstOp), so a newer x86asm with more ops cannot collide with OpThunk
// and friends in a table indexed by x86asm.Op.
func TestOwnOpsFollowX86asm(t *testing.T) {
	last := 0
	for i := 1; i < 4*firstOp; i++ {
		if !strings.HasPrefix(x86asm.Op(i).String(), "Op(") {
			last = i
		}
	}
	if last == 0 || last >= firstOp {
		t.Fatalf("x86asm's last op is %d (%v), want one below firstOp %d", last, x86asm.Op(last), firstOp)
	}
	if OpThunk != firstOp || NumOps <= OpThunk {
		t.Fatalf("got OpThunk %d, NumOps %d, want OpThunk at firstOp %d and NumOps after it", OpThunk, NumOps, firstOp)
	}
}
