package cpuid

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// recorded is a host read from an InstLatx64 dump in testdata: lines
// "CPUID LLLLLLLL: EAX-EBX-ECX-EDX [SL nn] ...". A leaf listed without
// subleaf tags answers the same for every subleaf; a subleaf not listed of
// a tagged leaf, or a leaf not listed, answers zeros.
type recorded struct {
	answers map[uint64]Regs
	tagged  map[uint32]bool
}

// loadDump reads testdata/name.txt as a host whose OS enabled xcr0.
func loadDump(t testing.TB, name string, xcr0 uint64) Host {
	t.Helper()
	f, err := os.Open("testdata/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec := recorded{answers: map[uint64]Regs{}, tagged: map[uint32]bool{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		var leaf uint32
		var r Regs
		if _, err := fmt.Sscanf(line, "CPUID %08X: %08X-%08X-%08X-%08X", &leaf, &r.EAX, &r.EBX, &r.ECX, &r.EDX); err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		sub := uint32(0)
		if i := strings.Index(line, "[SL "); i >= 0 {
			v, err := strconv.ParseUint(line[i+4:i+6], 16, 32)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, n, err)
			}
			sub = uint32(v)
			rec.tagged[leaf] = true
		}
		rec.answers[key(leaf, sub)] = r
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return Host{
		Query: func(leaf, sub uint32) Regs {
			if !rec.tagged[leaf] {
				sub = 0
			}
			return rec.answers[key(leaf, sub)]
		},
		XCR0: xcr0,
	}
}

// hosts are the CPUs the tests build models on: this machine and three
// recorded ones (two Intel, one AMD, with the XCR0 their OS would enable).
func hosts(t testing.TB) map[string]Host {
	return map[string]Host{
		"native":     HostCPU(),
		"coffeelake": loadDump(t, "coffeelake", 0x1f),
		"alderlake":  loadDump(t, "alderlake", 0x207),
		"genoa":      loadDump(t, "genoa", 0x2e7),
	}
}

// TestRecordedHosts checks the dumps decode to the CPUs they are.
func TestRecordedHosts(t *testing.T) {
	hs := hosts(t)
	for _, c := range []struct {
		host, vendor string
		has, lacks   Features
	}{
		{"coffeelake", "GenuineIntel", AVX2 | FMA | BMI2 | ADX | RDSEED | XSAVEC | MOVBE, SHA | RDPID | FSRM | MMXEXT},
		{"alderlake", "GenuineIntel", AVX2 | SHA | RDPID | FSRM | CLWB, MMXEXT},
		{"genoa", "AuthenticAMD", AVX2 | SHA | RDPID | FSRM | MMXEXT | CLWB, 0},
	} {
		h := hs[c.host]
		if v := vendorString(h.Query(0, 0)); v != c.vendor {
			t.Fatalf("%s: vendor %q, want %q", c.host, v, c.vendor)
		}
		f := hostFeatures(h)
		if !f.Has(c.has) || f&c.lacks != 0 {
			t.Fatalf("%s: host features %v, want all of %v and none of %v", c.host, f, c.has, c.lacks)
		}
	}
}
