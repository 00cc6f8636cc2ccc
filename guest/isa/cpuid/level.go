package cpuid

import "fmt"

// Level is an x86-64 micro-architecture level of the psABI ("x86-64",
// "x86-64-v2", "x86-64-v3"), the sets compilers target with -march and
// glibc checks before it loads a library built for one.
type Level int

// The levels. Their feature sets nest: Baseline ⊂ V2 ⊂ V3.
const (
	Baseline Level = 1 + iota // x86-64
	V2                        // x86-64-v2
	V3                        // x86-64-v3
)

// MaxLevel is the highest level the package knows. x86-64-v4 (AVX-512) is
// not modelled: minemu does not implement AVX-512 and never reports it.
const MaxLevel = V3

// Levels' own features, each on top of the level below. Baseline is the
// psABI's list (CMOV, CX8, FPU, FXSR, MMX, OSFXSR, SCE, SSE, SSE2) plus
// long mode, which makes it x86-64; V2 and V3 are the psABI's lists, with
// XSAVE standing for the OSXSAVE the psABI names (OSXSAVE is derived from
// XSAVE here).
const (
	baselineFeatures = FPU | CX8 | CMOV | MMX | FXSR | SSE | SSE2 | SYSCALL | LM
	v2Features       = CX16 | LAHF | POPCNT | SSE3 | SSSE3 | SSE41 | SSE42
	v3Features       = AVX | AVX2 | BMI1 | BMI2 | F16C | FMA | LZCNT | MOVBE | XSAVE | OSXSAVE
)

// levelFeatures is the union of all levels' own features: what a level
// may withhold. Every other feature is an extra that is reported at every
// level (when implemented and present): no -march level makes a compiler
// emit AES, SHA, RDRAND, RDTSCP, ... by itself, so programs only use them
// after checking CPUID, and reporting them at a lower level changes no
// program's choice of code that the level governs.
const levelFeatures = baselineFeatures | v2Features | v3Features

// only64 are the level features that exist in 64-bit mode only: a 32-bit
// guest is complete at a level without them.
const only64 = SYSCALL | LM | CX16

// Features returns the features the level requires, its own and those of
// the levels below. An unknown level has none.
func (l Level) Features() Features {
	var f Features
	switch l {
	case V3:
		f |= v3Features
		fallthrough
	case V2:
		f |= v2Features
		fallthrough
	case Baseline:
		f |= baselineFeatures
	}
	return f
}

// allows returns the features a model at level l may report: the level's
// own and every extra (levelFeatures ∖ l.Features() is withheld).
func (l Level) allows() Features { return All&^levelFeatures | l.Features() }

// String returns the psABI name.
func (l Level) String() string {
	switch l {
	case Baseline:
		return "x86-64"
	case V2:
		return "x86-64-v2"
	case V3:
		return "x86-64-v3"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel parses a level name as `minemu run --cpu` takes it: x86-64
// (or x86-64-v1), x86-64-v2 or x86-64-v3.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "x86-64", "x86-64-v1":
		return Baseline, nil
	case "x86-64-v2":
		return V2, nil
	case "x86-64-v3":
		return V3, nil
	case "x86-64-v4":
		return 0, fmt.Errorf("CPU level %q needs AVX-512, which minemu does not implement; want x86-64, x86-64-v2 or x86-64-v3", s)
	}
	return 0, fmt.Errorf("unknown CPU level %q; want x86-64, x86-64-v2 or x86-64-v3", s)
}

// required returns the features a guest in the given mode needs for level
// l to be complete.
func (l Level) required(mode64 bool) Features {
	f := l.Features()
	if !mode64 {
		f &^= only64
	}
	return f &^ derived
}

// Highest returns the highest level whose every feature is both
// implemented and present on host, for a guest in the given mode, and
// false when not even x86-64 is complete (then the default is Baseline,
// reported incomplete).
func Highest(implemented Features, host Host, mode64 bool) (Level, bool) {
	have := implemented & hostFeatures(host)
	for l := MaxLevel; l >= Baseline; l-- {
		if have.Has(l.required(mode64)) {
			return l, true
		}
	}
	return Baseline, false
}
