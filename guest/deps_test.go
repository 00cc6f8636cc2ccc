package guest_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/minemu/minemu/"

// importRules says, for each guest package, which of the project's packages
// it may depend on (directly or not). A package of the project that is not
// listed is forbidden; the standard library and other modules are allowed.
var importRules = map[string][]string{
	"guest/cpu":               {"mm"},
	"guest/isa":               {"guest/cpu", "guest/isa/decode", "guest/isa/vec", "mm"},
	"guest/isa/decode":        {"mm"},
	"guest/isa/alu":           {"guest/cpu", "mm"},
	"guest/isa/vec":           {},
	"guest/isa/x87":           {},
	"guest/isa/cpuid":         {},
	"guest/hostsig":           {},
	"guest/engine":            {"guest/cpu", "guest/isa", "guest/isa/decode", "guest/isa/vec", "guest/isa/cpuid", "mm"},
	"guest/interp":            {"guest/cpu", "guest/isa", "guest/isa/alu", "guest/isa/decode", "guest/isa/vec", "guest/isa/x87", "guest/isa/cpuid", "guest/engine", "guest/interp/locked", "mm"},
	"guest/interp/locked":     {"guest/cpu", "guest/isa", "guest/isa/decode", "guest/isa/vec", "guest/isa/x87", "guest/isa/cpuid", "guest/engine", "mm"},
	"guest/linux":             {"guest/cpu", "guest/hostsig", "guest/linux/fdband", "guest/linux/filecall", "guest/linux/forkexec", "guest/linux/futex", "guest/linux/hostcall", "guest/linux/ldt", "guest/linux/memcall", "guest/linux/procfs", "guest/linux/signal", "mm"},
	"guest/linux/hostcall":    {"guest/cpu", "mm"},
	"guest/linux/filecall":    {"guest/cpu", "guest/linux/hostcall", "mm"},
	"guest/linux/memcall":     {"guest/cpu", "guest/linux/hostcall", "mm"},
	"guest/linux/fdband":      {},
	"guest/linux/forkexec":    {"mm"},
	"guest/linux/futex":       {},
	"guest/linux/ldt":         {},
	"guest/linux/procfs":      {"mm"},
	"guest/linux/signal":      {"guest/cpu", "mm"},
	"guest/engine/enginetest": {"guest/cpu", "guest/isa", "guest/isa/alu", "guest/isa/decode", "guest/engine", "guest/interp", "guest/interp/locked", "guest/isa/vec", "guest/isa/x87", "guest/isa/cpuid", "mm"},
}

// TestEveryPackageRuled: a guest package without a rule would escape
// TestImportRules, so every directory under guest/ holding non-test Go
// (internal tools excepted) must have one.
func TestEveryPackageRuled(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || path == "." {
			return err
		}
		if d.Name() == "internal" || d.Name() == "testdata" {
			return filepath.SkipDir
		}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				if _, ok := importRules["guest/"+path]; !ok {
					t.Errorf("guest/%s has no import rule in importRules", path)
				}
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestImportRules checks the rules of the package documentation with
// `go list -deps`: the ISA knows nothing of Linux or engines, the Linux
// personality nothing of how guest code runs, and nothing imports upward.
func TestImportRules(t *testing.T) {
	for pkg, allowed := range importRules {
		if _, err := os.Stat(filepath.Join("..", pkg)); err != nil {
			continue // a package that does not exist yet
		}
		out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		ok := map[string]bool{pkg: true}
		for _, a := range allowed {
			ok[a] = true
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			dep, found := strings.CutPrefix(sc.Text(), module)
			if found && !ok[dep] {
				t.Errorf("%s imports %s (directly or not); allowed: %v", pkg, dep, allowed)
			}
		}
	}
}

// oversized are the packages allowed past the size limit for now, each
// with the most it may have. guest/linux is being split by families, as
// guest/linux/hostcall, filecall and memcall already are (their handlers
// reach the thread through a Task interface), and must not grow meanwhile.
var oversized = map[string]int{"linux": 7900}

// TestPackageSize keeps every guest package under about 4,000 lines of
// non-test Go (generated code not counted).
func TestPackageSize(t *testing.T) {
	const limit = 4300
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		n := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if bytes.HasPrefix(b, []byte("// Code generated ")) {
				continue
			}
			n += bytes.Count(b, []byte("\n"))
		}
		max := limit
		if m, ok := oversized[path]; ok {
			max = m
		}
		if n > max {
			t.Errorf("guest/%s has %d lines of non-test Go, more than %d: split it", path, n, max)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
