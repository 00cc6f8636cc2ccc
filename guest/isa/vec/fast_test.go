package vec

import "testing"

// TestFastPaths checks the round-to-nearest fast paths against the exact
// integer path on edge-biased random operands (the host tests cover both
// against the hardware; this covers many more inputs cheaply).
func TestFastPaths(t *testing.T) {
	r := newRand(3)
	for _, f := range []*format{f32, f64} {
		for k := 0; k < 1_000_000; k++ {
			x, y := randFloat(r, f), randFloat(r, f)
			if r.IntN(4) == 0 { // nearby operands: cancellation, exact quotients
				y = x ^ uint64(r.IntN(8))
			}
			mx := uint32(MXCSRDefault)
			if r.IntN(2) == 0 {
				mx &^= uint32(r.IntN(64)) << MaskShift
			}
			check := func(op string, fast func() (uint64, uint32), exact func() (uint64, uint32)) {
				gr, gf := fast()
				wr, wf := exact()
				if gr != wr || gf != wf {
					t.Fatalf("%s p=%d %#x %#x mx %#x: fast %#x flags %#x, exact %#x flags %#x", op, f.p, x, y, mx, gr, gf, wr, wf)
				}
			}
			check("add", func() (uint64, uint32) { return f.add(x, y, false, mx) }, func() (uint64, uint32) { return f.addExact(x, y, false, mx) })
			check("sub", func() (uint64, uint32) { return f.add(x, y, true, mx) }, func() (uint64, uint32) { return f.addExact(x, y, true, mx) })
			check("mul", func() (uint64, uint32) { return f.mul(x, y, mx) }, func() (uint64, uint32) { return f.mulExact(x, y, mx) })
			check("div", func() (uint64, uint32) { return f.div(x, y, mx) }, func() (uint64, uint32) { return f.divExact(x, y, mx) })
			check("sqrt", func() (uint64, uint32) { return f.sqrt(x, mx) }, func() (uint64, uint32) { return f.sqrtExact(x, mx) })
		}
	}
}
