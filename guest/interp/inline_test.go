package interp

import (
	"go/ast"
	"go/parser"
	"go/token"
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

// TestGeneralPathNeverContinues: a continue in a case of the run loop's
// general switch would run the same op again forever (the step to the next
// op follows the switch).
func TestGeneralPathNeverContinues(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "interp.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		fd, ok := n.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "run" || fd.Recv == nil {
			return true
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			if sel, ok := sw.Tag.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Code" {
				return true
			}
			found = true
			ast.Inspect(sw.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ForStmt, *ast.RangeStmt, *ast.FuncLit:
					return false // a continue in there is the inner loop's
				case *ast.BranchStmt:
					if n.Tok == token.CONTINUE {
						t.Errorf("%v: got continue in the general path, want break", fset.Position(n.Pos()))
					}
				}
				return true
			})
			return false
		})
		return false
	})
	if !found {
		t.Fatalf("no switch over o.Code in (*machine).run")
	}
}
