package vec

import "testing"

// legF1 and vexF1 adapt one-source operations (sqrtps, conversions).
func legF1(f func(b X, mx uint32) (X, uint32)) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) {
		r, fl := f(xr(s, 1), s.MXCSR)
		fpResult(s, fl, func() { setX(s, 0, r) })
	}
}

func vexF1(f func(b X, mx uint32) (X, uint32)) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) {
		r, fl := f(xr(s, 2), s.MXCSR)
		fpResult(s, fl, func() { setXZ(s, 0, r) })
	}
}

func vex256F1(f func(b X, mx uint32) (X, uint32)) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) {
		lo, f0 := f(xr(s, 2), s.MXCSR)
		hi, f1 := f(X{s.Y[2][2], s.Y[2][3]}, s.MXCSR)
		fpResult(s, mergeFlags(f0|f1, s.MXCSR), func() { setY(s, 0, YOf(lo, hi)) })
	}
}

type fimm = func(a, b X, imm uint8, mx uint32) (X, uint32)

func legFI(f fimm) func(*hostState, uint8) {
	return func(s *hostState, imm uint8) {
		r, fl := f(xr(s, 0), xr(s, 1), imm, s.MXCSR)
		fpResult(s, fl, func() { setX(s, 0, r) })
	}
}

func vexFI(f fimm) func(*hostState, uint8) {
	return func(s *hostState, imm uint8) {
		r, fl := f(xr(s, 1), xr(s, 2), imm, s.MXCSR)
		fpResult(s, fl, func() { setXZ(s, 0, r) })
	}
}

func vex256FI(f fimm) func(*hostState, uint8) {
	return func(s *hostState, imm uint8) {
		lo, f0 := f(xr(s, 1), xr(s, 2), imm, s.MXCSR)
		hi, f1 := f(X{s.Y[1][2], s.Y[1][3]}, X{s.Y[2][2], s.Y[2][3]}, imm, s.MXCSR)
		fpResult(s, mergeFlags(f0|f1, s.MXCSR), func() { setY(s, 0, YOf(lo, hi)) })
	}
}

func legacyCmp(f fimm) fimm {
	return func(a, b X, imm uint8, mx uint32) (X, uint32) { return f(a, b, imm&7, mx) }
}

func floatMiscCases() []icase {
	sqrtss := func(a, b X, mx uint32) (X, uint32) { return SqrtSS(a, b, mx) }
	sqrtsd := func(a, b X, mx uint32) (X, uint32) { return SqrtSD(a, b, mx) }
	cases := []icase{
		cs("sqrtps", "0F 51", eF32, legF1(SqrtPS)),
		cs("vsqrtps", "VEX.128.0F.WIG 51", eF32, vexF1(SqrtPS)).regs(0, 0, 2),
		cs("vsqrtps/256", "VEX.256.0F.WIG 51", eF32, vex256F1(SqrtPS)).regs(0, 0, 2),
		cs("sqrtpd", "66 0F 51", eF64, legF1(SqrtPD)),
		cs("vsqrtpd/256", "VEX.256.66.0F.WIG 51", eF64, vex256F1(SqrtPD)).regs(0, 0, 2),
		cs("sqrtss", "F3 0F 51", eF32, legF(sqrtss)),
		cs("vsqrtss", "VEX.LIG.F3.0F.WIG 51", eF32, vexF(sqrtss)),
		cs("sqrtsd", "F2 0F 51", eF64, legF(sqrtsd)),
		cs("vsqrtsd", "VEX.LIG.F2.0F.WIG 51", eF64, vexF(sqrtsd)),

		cs("cmpps", "0F C2", eF32, legFI(legacyCmp(CmpPS))).withImm(imm8),
		cs("vcmpps", "VEX.128.0F.WIG C2", eF32, vexFI(CmpPS)).withImm(imm8),
		cs("vcmpps/256", "VEX.256.0F.WIG C2", eF32, vex256FI(CmpPS)).withImm(imm8),
		cs("cmppd", "66 0F C2", eF64, legFI(legacyCmp(CmpPD))).withImm(imm8),
		cs("vcmppd/256", "VEX.256.66.0F.WIG C2", eF64, vex256FI(CmpPD)).withImm(imm8),
		cs("cmpss", "F3 0F C2", eF32, legFI(legacyCmp(CmpSS))).withImm(imm8),
		cs("vcmpss", "VEX.LIG.F3.0F.WIG C2", eF32, vexFI(CmpSS)).withImm(imm8),
		cs("cmpsd", "F2 0F C2", eF64, legFI(legacyCmp(CmpSD))).withImm(imm8),
		cs("vcmpsd", "VEX.LIG.F2.0F.WIG C2", eF64, vexFI(CmpSD)).withImm(imm8),

		cs("comiss", "0F 2F", eF32, comiModel(ComiSS, 0, 1)),
		cs("ucomiss", "0F 2E", eF32, comiModel(UcomiSS, 0, 1)),
		cs("comisd", "66 0F 2F", eF64, comiModel(ComiSD, 0, 1)),
		cs("ucomisd", "66 0F 2E", eF64, comiModel(UcomiSD, 0, 1)),
		cs("vcomiss", "VEX.LIG.0F.WIG 2F", eF32, comiModel(ComiSS, 0, 2)).regs(0, 0, 2),
		cs("vucomisd", "VEX.LIG.66.0F.WIG 2E", eF64, comiModel(UcomiSD, 0, 2)).regs(0, 0, 2),
	}
	return cases
}

func TestFloatMisc(t *testing.T) { runCases(t, floatMiscCases()) }

func comiModel(f func(a, b X, mx uint32) (uint32, uint32), ra, rb int) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) {
		rf, fl := f(xr(s, ra), xr(s, rb), s.MXCSR)
		fpResult(s, fl, func() { s.Flags = uint64(rf) })
	}
}

// gpr results: 32-bit destinations are zero-extended.
func setG(s *hostState, i int, v uint64, is64 bool) {
	if !is64 {
		v = uint64(uint32(v))
	}
	s.G[i] = v
}

func floatConvertCases() []icase {
	var cases []icase
	vexOnly := func(name, enc string, e elemKind, m func(*hostState, uint8)) {
		cases = append(cases, cs(name, enc, e, m).regs(0, 0, 2))
	}
	cases = append(cases,
		cs("cvtdq2ps", "0F 5B", eInt, legF1(CvtDQ2PS)),
		cs("cvtps2dq", "66 0F 5B", eF32, legF1(CvtPS2DQ)),
		cs("cvttps2dq", "F3 0F 5B", eF32, legF1(CvttPS2DQ)),
		cs("cvtpd2dq", "F2 0F E6", eF64, legF1(CvtPD2DQ)),
		cs("cvttpd2dq", "66 0F E6", eF64, legF1(CvttPD2DQ)),
		cs("cvtdq2pd", "F3 0F E6", eInt, legF1(func(b X, _ uint32) (X, uint32) { return CvtDQ2PD(b), 0 })),
		cs("cvtps2pd", "0F 5A", eF32, legF1(CvtPS2PD)),
		cs("cvtpd2ps", "66 0F 5A", eF64, legF1(CvtPD2PS)),
		cs("cvtss2sd", "F3 0F 5A", eF32, legF(CvtSS2SD)),
		cs("cvtsd2ss", "F2 0F 5A", eF64, legF(CvtSD2SS)),
		cs("vcvtss2sd", "VEX.LIG.F3.0F.WIG 5A", eF32, vexF(CvtSS2SD)),
		cs("vcvtsd2ss", "VEX.LIG.F2.0F.WIG 5A", eF64, vexF(CvtSD2SS)),
	)
	vexOnly("vcvtdq2ps/256", "VEX.256.0F.WIG 5B", eInt, vex256F1(CvtDQ2PS))
	vexOnly("vcvtps2dq/256", "VEX.256.66.0F.WIG 5B", eF32, vex256F1(CvtPS2DQ))
	vexOnly("vcvttps2dq/256", "VEX.256.F3.0F.WIG 5B", eF32, vex256F1(CvttPS2DQ))
	vexOnly("vcvtpd2dq", "VEX.128.F2.0F.WIG E6", eF64, vexF1(CvtPD2DQ))
	y2x := func(f func(Y, uint32) (X, uint32)) func(*hostState, uint8) {
		return func(s *hostState, _ uint8) {
			r, fl := f(yr(s, 2), s.MXCSR)
			fpResult(s, fl, func() { setXZ(s, 0, r) })
		}
	}
	x2y := func(f func(X, uint32) (Y, uint32)) func(*hostState, uint8) {
		return func(s *hostState, _ uint8) {
			r, fl := f(xr(s, 2), s.MXCSR)
			fpResult(s, fl, func() { setY(s, 0, r) })
		}
	}
	vexOnly("vcvtpd2dq/256", "VEX.256.F2.0F.WIG E6", eF64, y2x(CvtPD2DQY))
	vexOnly("vcvttpd2dq/256", "VEX.256.66.0F.WIG E6", eF64, y2x(CvttPD2DQY))
	vexOnly("vcvtpd2ps/256", "VEX.256.66.0F.WIG 5A", eF64, y2x(CvtPD2PSY))
	vexOnly("vcvtps2pd/256", "VEX.256.0F.WIG 5A", eF32, x2y(CvtPS2PDY))
	vexOnly("vcvtdq2pd/256", "VEX.256.F3.0F.WIG E6", eInt, x2y(func(a X, _ uint32) (Y, uint32) { return CvtDQ2PDY(a), 0 }))

	si2f := func(f func(a X, v uint64, is64 bool, mx uint32) (X, uint32), is64, vex bool) func(*hostState, uint8) {
		return func(s *hostState, _ uint8) {
			if vex {
				r, fl := f(xr(s, 1), s.G[2], is64, s.MXCSR)
				fpResult(s, fl, func() { setXZ(s, 0, r) })
				return
			}
			r, fl := f(xr(s, 0), s.G[1], is64, s.MXCSR)
			fpResult(s, fl, func() { setX(s, 0, r) })
		}
	}
	f2si := func(f func(b X, is64 bool, mx uint32) (uint64, uint32), is64, vex bool) func(*hostState, uint8) {
		return func(s *hostState, _ uint8) {
			src := 1
			if vex {
				src = 2
			}
			v, fl := f(xr(s, src), is64, s.MXCSR)
			fpResult(s, fl, func() { setG(s, 0, v, is64) })
		}
	}
	for _, w := range []struct {
		rex, vw, sfx string
		is64         bool
	}{{"", "W0", "/32", false}, {"REX.W ", "W1", "/64", true}} {
		cases = append(cases,
			cs("cvtsi2ss"+w.sfx, "F3 "+w.rex+"0F 2A", eF32, si2f(CvtSI2SS, w.is64, false)),
			cs("cvtsi2sd"+w.sfx, "F2 "+w.rex+"0F 2A", eF64, si2f(CvtSI2SD, w.is64, false)),
			cs("vcvtsi2ss"+w.sfx, "VEX.LIG.F3.0F."+w.vw+" 2A", eF32, si2f(CvtSI2SS, w.is64, true)),
			cs("vcvtsi2sd"+w.sfx, "VEX.LIG.F2.0F."+w.vw+" 2A", eF64, si2f(CvtSI2SD, w.is64, true)),
			cs("cvtss2si"+w.sfx, "F3 "+w.rex+"0F 2D", eF32, f2si(CvtSS2SI, w.is64, false)),
			cs("cvttss2si"+w.sfx, "F3 "+w.rex+"0F 2C", eF32, f2si(CvttSS2SI, w.is64, false)),
			cs("cvtsd2si"+w.sfx, "F2 "+w.rex+"0F 2D", eF64, f2si(CvtSD2SI, w.is64, false)),
			cs("cvttsd2si"+w.sfx, "F2 "+w.rex+"0F 2C", eF64, f2si(CvttSD2SI, w.is64, false)),
			cs("vcvtss2si"+w.sfx, "VEX.LIG.F3.0F."+w.vw+" 2D", eF32, f2si(CvtSS2SI, w.is64, true)).regs(0, 0, 2),
			cs("vcvttsd2si"+w.sfx, "VEX.LIG.F2.0F."+w.vw+" 2C", eF64, f2si(CvttSD2SI, w.is64, true)).regs(0, 0, 2),
		)
	}
	return cases
}

func TestFloatConvert(t *testing.T) { runCases(t, floatConvertCases()) }

// TestMMXConvert runs the conversions with an MMX operand as
// movq mm0, rax; movq mm1, rcx; <op>; movq rax, mm0; emms.
func TestMMXConvert(t *testing.T) {
	seq := func(op ...byte) []byte {
		code := []byte{0x48, 0x0F, 0x6E, 0xC0, 0x48, 0x0F, 0x6E, 0xC9}
		code = append(code, op...)
		return append(code, 0x48, 0x0F, 0x7E, 0xC0, 0x0F, 0x77)
	}
	toMM := func(f func(b X, mx uint32) (uint64, uint32)) func(*hostState, uint8) {
		return func(s *hostState, _ uint8) {
			v, fl := f(xr(s, 1), s.MXCSR)
			fpResult(s, fl, func() { s.G[0] = v })
		}
	}
	for _, c := range []struct {
		name string
		code []byte
		elem elemKind
		m    func(*hostState, uint8)
	}{
		{"cvtpi2ps", seq(0x0F, 0x2A, 0xC1), eInt, func(s *hostState, _ uint8) {
			r, fl := CvtPI2PS(xr(s, 0), s.G[1], s.MXCSR)
			fpResult(s, fl, func() { setX(s, 0, r) })
		}},
		{"cvtpi2pd", seq(0x66, 0x0F, 0x2A, 0xC1), eInt, func(s *hostState, _ uint8) { setX(s, 0, CvtPI2PD(s.G[1])) }},
		{"cvtps2pi", seq(0x0F, 0x2D, 0xC1), eF32, toMM(CvtPS2PI)},
		{"cvttps2pi", seq(0x0F, 0x2C, 0xC1), eF32, toMM(CvttPS2PI)},
		{"cvtpd2pi", seq(0x66, 0x0F, 0x2D, 0xC1), eF64, toMM(CvtPD2PI)},
		{"cvttpd2pi", seq(0x66, 0x0F, 0x2C, 0xC1), eF64, toMM(CvttPD2PI)},
	} {
		t.Run(c.name, func(t *testing.T) {
			catchXM(t)
			ic := icase{name: c.name, elem: c.elem, float: true, model: c.m}
			runCode(t, &ic, c.code)
		})
	}
}

func rcpRsqrtCases() []icase {
	one := func(f func(X) X) func(*hostState, uint8) {
		return func(s *hostState, _ uint8) { setX(s, 0, f(xr(s, 1))) }
	}
	return []icase{
		cs("rcpps", "0F 53", eF32, one(RcpPS)),
		cs("rcpss", "F3 0F 53", eF32, legI(RcpSS)),
		cs("rsqrtps", "0F 52", eF32, one(RsqrtPS)),
		cs("rsqrtss", "F3 0F 52", eF32, legI(RsqrtSS)),
		cs("vrcpps/256", "VEX.256.0F.WIG 53", eF32, func(s *hostState, _ uint8) {
			setY(s, 0, YOf(RcpPS(xr(s, 2)), RcpPS(X{s.Y[2][2], s.Y[2][3]})))
		}).regs(0, 0, 2),
		cs("vrsqrtss", "VEX.LIG.F3.0F.WIG 52", eF32, vexI(RsqrtSS)),
	}
}

func TestRcpRsqrt(t *testing.T) { runCases(t, rcpRsqrtCases()) }

// TestRcpRsqrtSweep compares every 12-bit mantissa prefix at every
// exponent and sign (with random low bits) with the host.
func TestRcpRsqrtSweep(t *testing.T) {
	j := newJIT(t)
	for _, c := range []struct {
		enc string
		f   func(X) X
	}{{"0F 53", RcpPS}, {"0F 52", RsqrtPS}} {
		code := parseEncoding(c.enc).encode(0, 0, 1)
		low := uint32(0x2a5)
		for x := uint64(0); x < 1<<21; x += 4 {
			var in X
			for k := uint64(0); k < 4; k++ {
				low = low*1103515245 + 12345
				in.SetD(int(k), uint32(x+k)<<11|low>>5&0x7ff)
			}
			s := hostState{MXCSR: MXCSRDefault}
			s.Y[1] = [4]uint64{in[0], in[1]}
			j.run(code, &s)
			if got := c.f(in); got != xr(&s, 0) {
				t.Fatalf("%s %x: host %x model %x", c.enc, in, xr(&s, 0), got)
			}
		}
	}
}
