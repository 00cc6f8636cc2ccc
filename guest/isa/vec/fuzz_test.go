package vec

import "testing"

// The fuzz targets run one case of the differential tables on a register
// image built from the fuzzer's words (and, for the float target, its
// MXCSR), comparing host and model as the tests do.

func floatFuzzCases() []icase {
	var c []icase
	for _, f := range []func() []icase{floatArithCases, floatMiscCases, floatConvertCases, sse3Cases, sse41FloatCases, fmaCases, f16cCases} {
		c = append(c, f()...)
	}
	return c
}

func intFuzzCases() []icase {
	var c []icase
	for _, f := range []func() []icase{sse2IntCases, ssse3SSE41IntCases, avx2PermCases, cryptoCases, bitOpsCases, crc32PopcntCases, sse42StringCases, rcpRsqrtCases} {
		c = append(c, f()...)
	}
	return c
}

func fuzzState(a, b, c, d uint64) hostState {
	var s hostState
	s.Y[0] = [4]uint64{a, b, c, d}
	s.Y[1] = [4]uint64{b, c, d, a}
	s.Y[2] = [4]uint64{c, d, a, b}
	s.Y[3] = [4]uint64{d, a, b, c}
	s.G = [8]uint64{a, b, c, d, a ^ b, b ^ c, c ^ d, d ^ a}
	s.Flags = (a ^ d) & StatusFlags
	s.MXCSR = MXCSRDefault
	return s
}

func fuzzOne(t *testing.T, j *jit, c *icase, in hostState, imm uint8) {
	switch c.imm {
	case imm8Lo4:
		imm &= 15
	case noImm, is4Imm:
		imm = 0
	}
	host, model := in, in
	j.run(c.code(imm), &host)
	host.Flags &= StatusFlags
	c.model(&model, imm)
	if host != model {
		t.Fatalf("%s imm %#x\n in    %v\n%s", c.name, imm, &in, stateDiff(&host, &model))
	}
}

func FuzzFloat(f *testing.F) {
	f.Add(uint16(0), uint64(0x3f8000003f800001), uint64(0x7fc00001ff800000), uint64(0x0000000180000000), uint64(0x4000000000000000), uint32(MXCSRDefault), uint8(0))
	f.Add(uint16(7), uint64(0x0010000000000001), uint64(0x3fefffffffffffff), uint64(0x7ff0000000000001), uint64(0x8000000000000000), uint32(MXCSRDefault|FTZ|DAZ|RoundUp<<RCShift), uint8(0x13))
	cases := floatFuzzCases()
	j := newJIT(f)
	catchXM(f)
	f.Fuzz(func(t *testing.T, which uint16, a, b, c, d uint64, mx uint32, imm uint8) {
		in := fuzzState(a, b, c, d)
		in.MXCSR = mx & 0xffff // the upper half is reserved (#GP)
		fuzzOne(t, j, &cases[int(which)%len(cases)], in, imm)
	})
}

func FuzzInt(f *testing.F) {
	f.Add(uint16(0), uint64(0x0102030405060708), uint64(0x8000800080008000), uint64(0xffffffffffffffff), uint64(0), uint8(0))
	f.Add(uint16(300), uint64(0x0061626300000000), uint64(0x6162630061626364), uint64(5), uint64(0xfffffffffffffffd), uint8(0x0c))
	cases := intFuzzCases()
	j := newJIT(f)
	f.Fuzz(func(t *testing.T, which uint16, a, b, c, d uint64, imm uint8) {
		fuzzOne(t, j, &cases[int(which)%len(cases)], fuzzState(a, b, c, d), imm)
	})
}

// FuzzFastPaths compares the round-to-nearest fast paths with the exact
// path (no host involved).
func FuzzFastPaths(f *testing.F) {
	f.Add(uint64(0x3ff0000000000001), uint64(0x3ca0000000000000), uint32(MXCSRDefault))
	f.Add(uint64(0x00800001), uint64(0x3f7ffffe), uint32(MXCSRDefault&^(UE<<MaskShift)))
	f.Fuzz(func(t *testing.T, x, y uint64, mx uint32) {
		mx &^= RCMask
		for _, fm := range []*format{f32, f64} {
			m := uint64(1)<<fm.width() - 1
			if fm.width() == 64 {
				m = ^uint64(0)
			}
			x, y := x&m, y&m
			type res struct {
				r  uint64
				fl uint32
			}
			pairs := [][2]res{}
			add := func(r1 uint64, f1 uint32, r2 uint64, f2 uint32) { pairs = append(pairs, [2]res{{r1, f1}, {r2, f2}}) }
			r1, f1 := fm.add(x, y, false, mx)
			r2, f2 := fm.addExact(x, y, false, mx)
			add(r1, f1, r2, f2)
			r1, f1 = fm.mul(x, y, mx)
			r2, f2 = fm.mulExact(x, y, mx)
			add(r1, f1, r2, f2)
			r1, f1 = fm.div(x, y, mx)
			r2, f2 = fm.divExact(x, y, mx)
			add(r1, f1, r2, f2)
			r1, f1 = fm.sqrt(x, mx)
			r2, f2 = fm.sqrtExact(x, mx)
			add(r1, f1, r2, f2)
			for i, p := range pairs {
				if p[0] != p[1] {
					t.Fatalf("op %d p=%d %#x %#x: fast %#x/%#x exact %#x/%#x", i, fm.p, x, y, p[0].r, p[0].fl, p[1].r, p[1].fl)
				}
			}
		}
	})
}
