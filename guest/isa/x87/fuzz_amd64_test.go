package x87

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fuzzCW keeps the control-word bits that mean something: the masks,
// PC and RC (bit 6 reads as 1).
func fuzzCW(cw uint16) uint16 { return cw&0x0f3f | 0x40 }

// FuzzExact runs one of exactOps (op modulo their number) on fuzzed
// operands and compares it with the host FPU bit for bit.
func FuzzExact(f *testing.F) {
	f.Add(uint8(0), uint16(DefaultCW), uint16(0), uint64(intBit), uint16(expBias), uint64(intBit), uint16(expBias), []byte{})
	f.Fuzz(func(t *testing.T, op uint8, cw, sw0 uint16, am uint64, ase uint16, bm uint64, bse uint16, mem []byte) {
		o := exactOps[int(op)%len(exactOps)]
		m := make([]byte, 16)
		copy(m, mem)
		if d := o.check(fuzzCW(cw), sw0&CC, F80{am, ase}, F80{bm, bse}, m); d != "" {
			t.Fatal(d)
		}
	})
}

// FuzzTranscendental runs one of transOps on fuzzed operands: exact where
// the results are special, within 1 ulp of the host and of the exact
// value elsewhere.
func FuzzTranscendental(f *testing.F) {
	f.Add(uint8(0), uint16(DefaultCW), uint16(0), uint64(intBit), uint16(expBias), uint64(intBit), uint16(expBias))
	f.Fuzz(func(t *testing.T, op uint8, cw, sw0 uint16, am uint64, ase uint16, bm uint64, bse uint16) {
		o := transOps[int(op)%len(transOps)]
		if r := checkTrans(o, fuzzCW(cw), sw0&CC, F80{am, ase}, F80{bm, bse}); r.msg != "" {
			t.Fatal(r.msg)
		}
	})
}

// TestWriteCorpus writes the committed seed corpora (with -x87.gen):
// generated cases for every operation, biased as the differential tests
// are.
func TestWriteCorpus(t *testing.T) {
	if !*flagGen {
		return
	}
	write := func(name string, i int, lines ...string) {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s := "go test fuzz v1\n"
		for _, l := range lines {
			s += l + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%03d", i)), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g := newGen(4242)
	n := 0
	for i, op := range exactOps {
		for k := 0; k < 3; k++ {
			a, b, m := op.gen(g)
			write("FuzzExact", n, fmt.Sprintf("byte(%d)", i), fmt.Sprintf("uint16(%d)", g.cw()), fmt.Sprintf("uint16(%d)", g.sw0()),
				fmt.Sprintf("uint64(%d)", a.Mant), fmt.Sprintf("uint16(%d)", a.SE), fmt.Sprintf("uint64(%d)", b.Mant), fmt.Sprintf("uint16(%d)", b.SE),
				fmt.Sprintf("[]byte(%q)", m))
			n++
		}
	}
	n = 0
	for i, op := range transOps {
		for k := 0; k < 6; k++ {
			a, b := op.operands(g)
			write("FuzzTranscendental", n, fmt.Sprintf("byte(%d)", i), fmt.Sprintf("uint16(%d)", g.cw()), fmt.Sprintf("uint16(%d)", g.sw0()),
				fmt.Sprintf("uint64(%d)", a.Mant), fmt.Sprintf("uint16(%d)", a.SE), fmt.Sprintf("uint64(%d)", b.Mant), fmt.Sprintf("uint16(%d)", b.SE))
			n++
		}
	}
}
