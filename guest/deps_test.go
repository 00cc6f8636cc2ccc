package guest_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The layering of the guest packages (docs/architecture.md): the CPU
// vocabulary at the bottom, the ISA above it, the engines above that, and
// the Linux personality beside the engines, knowing nothing of how guest
// code is executed. Nothing imports upward.

const module = "github.com/minemu/minemu/"

// layerRules says, for each guest package (relative to the module), which
// packages of the project it may import directly; a package it depends on
// (transitively) that is listed in forbid is an error too. A rule for a
// package that does not exist yet (guest/linux) is checked once it does.
var layerRules = []struct {
	pkg    string
	allow  []string
	forbid []string
}{
	{pkg: "guest/cpu", allow: []string{"mm"}},
	{pkg: "guest/isa", allow: []string{"guest/cpu", "mm"}},
	{pkg: "guest/engine", allow: []string{"guest/cpu", "guest/isa", "mm"}},
	{pkg: "guest/interp", allow: []string{"guest/cpu", "guest/isa", "guest/engine", "mm"}},
	{pkg: "guest/engine/enginetest", allow: []string{"guest/cpu", "guest/engine", "guest/interp", "mm"}},
	// The Linux personality sees CPU state and guest memory, never an
	// engine: today the package guest itself, tomorrow guest/linux.
	{pkg: "guest", allow: []string{"guest/cpu", "mm"},
		forbid: []string{"guest/isa", "guest/engine", "guest/interp"}},
	{pkg: "guest/linux", allow: []string{"guest/cpu", "mm"},
		forbid: []string{"guest/isa", "guest/engine", "guest/interp"}},
}

// maxLines is the size above which a guest package should be split
// (non-test lines, comments included).
const maxLines = 4000

// tooBig lists the packages allowed over maxLines for now, and why.
var tooBig = map[string]string{
	"guest": "the Linux personality, until it moves to guest/linux and splits (issue 9)",
}

type listedPkg struct {
	imports, deps []string
	dir           string
	goFiles       []string
}

// listPackages runs go list over the module.
func listPackages(t *testing.T) map[string]listedPkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \",\"}}|{{join .Deps \",\"}}|{{.Dir}}|{{join .GoFiles \",\"}}", module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	pkgs := map[string]listedPkg{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) != 5 {
			t.Fatalf("go list line %q", sc.Text())
		}
		rel := func(list string) []string {
			var r []string
			for _, p := range strings.Split(list, ",") {
				if strings.HasPrefix(p, module) {
					r = append(r, strings.TrimPrefix(p, module))
				}
			}
			return r
		}
		pkgs[strings.TrimPrefix(f[0], module)] = listedPkg{imports: rel(f[1]), deps: rel(f[2]), dir: f[3],
			goFiles: strings.Split(f[4], ",")}
	}
	return pkgs
}

// TestLayering fails naming every import that breaks the rules.
func TestLayering(t *testing.T) {
	pkgs := listPackages(t)
	checked := 0
	for _, r := range layerRules {
		p, ok := pkgs[r.pkg]
		if !ok {
			continue // not yet in the tree
		}
		checked++
		for _, imp := range p.imports {
			if !contains(r.allow, imp) {
				t.Errorf("%s imports %s (allowed: %s)", r.pkg, imp, strings.Join(r.allow, ", "))
			}
		}
		for _, dep := range p.deps {
			if contains(r.forbid, dep) {
				t.Errorf("%s depends on %s, which it must not know", r.pkg, dep)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d of the rule table's packages were found: the table is stale", checked)
	}
	// Nothing below the personality and the engines imports them, thunks,
	// loader or the command.
	for name, p := range pkgs {
		if !strings.HasPrefix(name, "guest/") {
			continue
		}
		for _, imp := range p.imports {
			if imp == "guest" || strings.HasPrefix(imp, "guest/linux") || imp == "thunks" || imp == "loader" || strings.HasPrefix(imp, "cmd/") {
				t.Errorf("%s imports %s: nothing under guest/ imports the Linux personality, thunks, loader or the command", name, imp)
			}
		}
	}
}

// TestPackageSize: no guest package grows past maxLines non-test lines
// without an entry in tooBig.
func TestPackageSize(t *testing.T) {
	pkgs := listPackages(t)
	var names []string
	for name := range pkgs {
		if name == "guest" || strings.HasPrefix(name, "guest/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		p := pkgs[name]
		n := 0
		for _, f := range p.goFiles {
			if f == "" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(p.dir, f))
			if err != nil {
				t.Fatal(err)
			}
			n += bytes.Count(b, []byte("\n"))
		}
		t.Logf("%-26s %5d lines", name, n)
		if why, ok := tooBig[name]; n > maxLines && !ok {
			t.Errorf("%s has %d lines of non-test code, more than %d: split it", name, n, maxLines)
		} else if ok && n <= maxLines {
			t.Errorf("%s has %d lines, within %d: drop its tooBig entry (%s)", name, n, maxLines, why)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
