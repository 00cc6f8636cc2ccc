package vec

import "testing"

func sse3Cases() []icase {
	var cases []icase
	for _, c := range []struct {
		name, pp, op string
		elem         elemKind
		f            f2
	}{
		{"addsubps", "F2", "D0", eF32, AddSubPS}, {"addsubpd", "66", "D0", eF64, AddSubPD},
		{"haddps", "F2", "7C", eF32, HaddPS}, {"hsubps", "F2", "7D", eF32, HsubPS},
		{"haddpd", "66", "7C", eF64, HaddPD}, {"hsubpd", "66", "7D", eF64, HsubPD},
	} {
		cases = append(cases, fcases(c.name, c.pp, "0F "+c.op, c.elem, c.f, false)...)
	}
	one := func(f func(X) X) func(*hostState, uint8) {
		return func(s *hostState, _ uint8) { setX(s, 0, f(xr(s, 1))) }
	}
	cases = append(cases,
		cs("movsldup", "F3 0F 12", eInt, one(MovSLDup)),
		cs("movshdup", "F3 0F 16", eInt, one(MovSHDup)),
		cs("movddup", "F2 0F 12", eInt, one(MovDDup)),
		cs("vmovshdup/256", "VEX.256.F3.0F.WIG 16", eInt, func(s *hostState, _ uint8) {
			setY(s, 0, YOf(MovSHDup(xr(s, 2)), MovSHDup(X{s.Y[2][2], s.Y[2][3]})))
		}).regs(0, 0, 2),
		cs("vmovddup/256", "VEX.256.F2.0F.WIG 12", eInt, func(s *hostState, _ uint8) {
			setY(s, 0, YOf(MovDDup(xr(s, 2)), MovDDup(X{s.Y[2][2], s.Y[2][3]})))
		}).regs(0, 0, 2),
	)
	return cases
}

func TestSSE3(t *testing.T) { runCases(t, sse3Cases()) }

// one-source integer adapters: legacy xmm0 = f(xmm1), VEX xmm0 = f(xmm2).
func legI1(f func(X) X) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) { setX(s, 0, f(xr(s, 1))) }
}
func vexI1(f func(X) X) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) { setXZ(s, 0, f(xr(s, 2))) }
}
func vex256I1(f func(X) X) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) { setY(s, 0, YOf(f(xr(s, 2)), f(X{s.Y[2][2], s.Y[2][3]}))) }
}

func ssse3SSE41IntCases() []icase {
	var cases []icase
	for _, c := range []struct {
		name, op string
		f        i2
	}{
		{"pshufb", "00", Pshufb}, {"phaddw", "01", PhaddW}, {"phaddd", "02", PhaddD}, {"phaddsw", "03", PhaddSW},
		{"pmaddubsw", "04", PmaddUBSW}, {"phsubw", "05", PhsubW}, {"phsubd", "06", PhsubD}, {"phsubsw", "07", PhsubSW},
		{"psignb", "08", PsignB}, {"psignw", "09", PsignW}, {"psignd", "0A", PsignD}, {"pmulhrsw", "0B", PmulhRSW},
		{"pmuldq", "28", PmulDQ}, {"pcmpeqq", "29", PcmpeqQ}, {"packusdw", "2B", PackUSDW}, {"pcmpgtq", "37", PcmpgtQ},
		{"pminsb", "38", PminSB}, {"pminsd", "39", PminSD}, {"pminuw", "3A", PminUW}, {"pminud", "3B", PminUD},
		{"pmaxsb", "3C", PmaxSB}, {"pmaxsd", "3D", PmaxSD}, {"pmaxuw", "3E", PmaxUW}, {"pmaxud", "3F", PmaxUD},
		{"pmulld", "40", PmullD},
	} {
		cases = append(cases, icases(c.name, "66", "0F 38", c.op, c.f)...)
	}
	for _, c := range []struct {
		name, op string
		f        func(X) X
	}{{"pabsb", "1C", PabsB}, {"pabsw", "1D", PabsW}, {"pabsd", "1E", PabsD}} {
		cases = append(cases,
			cs(c.name, "66 0F 38 "+c.op, eInt, legI1(c.f)),
			cs("v"+c.name+"/256", "VEX.256.66.0F38.WIG "+c.op, eInt, vex256I1(c.f)).regs(0, 0, 2))
	}
	for _, c := range []struct {
		name, op string
		n        uint
		f        func(X) X
	}{
		{"pmovsxbw", "20", 8, PmovsxBW}, {"pmovsxbd", "21", 4, PmovsxBD}, {"pmovsxbq", "22", 2, PmovsxBQ},
		{"pmovsxwd", "23", 8, PmovsxWD}, {"pmovsxwq", "24", 4, PmovsxWQ}, {"pmovsxdq", "25", 8, PmovsxDQ},
		{"pmovzxbw", "30", 8, PmovzxBW}, {"pmovzxbd", "31", 4, PmovzxBD}, {"pmovzxbq", "32", 2, PmovzxBQ},
		{"pmovzxwd", "33", 8, PmovzxWD}, {"pmovzxwq", "34", 4, PmovzxWQ}, {"pmovzxdq", "35", 8, PmovzxDQ},
	} {
		f, n := c.f, c.n
		cases = append(cases,
			cs(c.name, "66 0F 38 "+c.op, eInt, legI1(f)),
			cs("v"+c.name, "VEX.128.66.0F38.WIG "+c.op, eInt, vexI1(f)).regs(0, 0, 2),
			cs("v"+c.name+"/256", "VEX.256.66.0F38.WIG "+c.op, eInt, func(s *hostState, _ uint8) {
				setY(s, 0, Widen2(f, xr(s, 2), n))
			}).regs(0, 0, 2))
	}
	cases = append(cases,
		cs("phminposuw", "66 0F 38 41", eInt, legI1(PhminposUW)),
		cs("vphminposuw", "VEX.128.66.0F38.WIG 41", eInt, vexI1(PhminposUW)).regs(0, 0, 2),
		cs("ptest", "66 0F 38 17", eInt, func(s *hostState, _ uint8) { s.Flags = uint64(Ptest(xr(s, 0), xr(s, 1))) }),
		cs("vptest/256", "VEX.256.66.0F38.WIG 17", eInt, func(s *hostState, _ uint8) { s.Flags = uint64(PtestY(yr(s, 0), yr(s, 1))) }).regs(0, 0, 1),
		cs("vtestps", "VEX.128.66.0F38.W0 0E", eInt, func(s *hostState, _ uint8) {
			s.Flags = uint64(TestPS(Y{s.Y[0][0], s.Y[0][1]}, Y{s.Y[1][0], s.Y[1][1]}))
		}).regs(0, 0, 1),
		cs("vtestps/256", "VEX.256.66.0F38.W0 0E", eInt, func(s *hostState, _ uint8) { s.Flags = uint64(TestPS(yr(s, 0), yr(s, 1))) }).regs(0, 0, 1),
		cs("vtestpd/256", "VEX.256.66.0F38.W0 0F", eInt, func(s *hostState, _ uint8) { s.Flags = uint64(TestPD(yr(s, 0), yr(s, 1))) }).regs(0, 0, 1),

		// Blends with the implicit xmm0 mask: destination xmm2, source xmm1.
		cs("pblendvb", "66 0F 38 10", eInt, func(s *hostState, _ uint8) { setX(s, 2, PblendvB(xr(s, 2), xr(s, 1), xr(s, 0))) }).regs(2, 0, 1),
		cs("blendvps", "66 0F 38 14", eInt, func(s *hostState, _ uint8) { setX(s, 2, BlendvPS(xr(s, 2), xr(s, 1), xr(s, 0))) }).regs(2, 0, 1),
		cs("blendvpd", "66 0F 38 15", eInt, func(s *hostState, _ uint8) { setX(s, 2, BlendvPD(xr(s, 2), xr(s, 1), xr(s, 0))) }).regs(2, 0, 1),
		cs("vpblendvb/256", "VEX.256.66.0F3A.W0 4C", eInt, func(s *hostState, _ uint8) {
			setY(s, 0, YOf(PblendvB(xr(s, 1), xr(s, 2), xr(s, 3)), PblendvB(X{s.Y[1][2], s.Y[1][3]}, X{s.Y[2][2], s.Y[2][3]}, X{s.Y[3][2], s.Y[3][3]})))
		}).withImm(is4Imm),
		cs("vblendvps", "VEX.128.66.0F3A.W0 4A", eInt, func(s *hostState, _ uint8) { setXZ(s, 0, BlendvPS(xr(s, 1), xr(s, 2), xr(s, 3))) }).withImm(is4Imm),
		cs("vblendvpd", "VEX.128.66.0F3A.W0 4B", eInt, func(s *hostState, _ uint8) { setXZ(s, 0, BlendvPD(xr(s, 1), xr(s, 2), xr(s, 3))) }).withImm(is4Imm),
	)
	cases = append(cases, iicases("palignr", "66", "0F 3A", "0F", Palignr)...)
	cases = append(cases, iicases("pblendw", "66", "0F 3A", "0E", Pblendw)...)
	cases = append(cases,
		cs("blendps", "66 0F 3A 0C", eInt, legII(BlendPS)).withImm(imm8),
		cs("vblendps/256", "VEX.256.66.0F3A.WIG 0C", eInt, func(s *hostState, imm uint8) { setY(s, 0, BlendPSY(yr(s, 1), yr(s, 2), imm)) }).withImm(imm8),
		cs("vblendpd/256", "VEX.256.66.0F3A.WIG 0D", eInt, func(s *hostState, imm uint8) { setY(s, 0, BlendPDY(yr(s, 1), yr(s, 2), imm)) }).withImm(imm8),
		cs("blendpd", "66 0F 3A 0D", eInt, legII(BlendPD)).withImm(imm8),
		cs("mpsadbw", "66 0F 3A 42", eInt, legII(MpsadBW)).withImm(imm8),
		cs("vmpsadbw/256", "VEX.256.66.0F3A.WIG 42", eInt, func(s *hostState, imm uint8) { setY(s, 0, MpsadBWY(yr(s, 1), yr(s, 2), imm)) }).withImm(imm8),
		cs("insertps", "66 0F 3A 21", eInt, legII(InsertPS)).withImm(imm8),
		cs("vinsertps", "VEX.128.66.0F3A.WIG 21", eInt, vexII(InsertPS)).withImm(imm8),

		// Extracts: ModRM.reg is the xmm source (xmm0), ModRM.rm the GPR (rcx).
		cs("pextrb", "66 0F 3A 14", eInt, func(s *hostState, imm uint8) { s.G[1] = uint64(Pextrb(xr(s, 0), imm)) }).withImm(imm8),
		cs("pextrw/mr", "66 0F 3A 15", eInt, func(s *hostState, imm uint8) { s.G[1] = uint64(Pextrw(xr(s, 0), imm)) }).withImm(imm8),
		cs("pextrd", "66 0F 3A 16", eInt, func(s *hostState, imm uint8) { s.G[1] = uint64(Pextrd(xr(s, 0), imm)) }).withImm(imm8),
		cs("pextrq", "66 REX.W 0F 3A 16", eInt, func(s *hostState, imm uint8) { s.G[1] = Pextrq(xr(s, 0), imm) }).withImm(imm8),
		cs("extractps", "66 0F 3A 17", eInt, func(s *hostState, imm uint8) { s.G[1] = uint64(Pextrd(xr(s, 0), imm)) }).withImm(imm8),
		cs("vpextrq", "VEX.128.66.0F3A.W1 16", eInt, func(s *hostState, imm uint8) { s.G[1] = Pextrq(xr(s, 0), imm) }).regs(0, 0, 1).withImm(imm8),
		cs("pinsrb", "66 0F 3A 20", eInt, func(s *hostState, imm uint8) { setX(s, 0, Pinsrb(xr(s, 0), uint8(s.G[1]), imm)) }).withImm(imm8),
		cs("pinsrd", "66 0F 3A 22", eInt, func(s *hostState, imm uint8) { setX(s, 0, Pinsrd(xr(s, 0), uint32(s.G[1]), imm)) }).withImm(imm8),
		cs("pinsrq", "66 REX.W 0F 3A 22", eInt, func(s *hostState, imm uint8) { setX(s, 0, Pinsrq(xr(s, 0), s.G[1], imm)) }).withImm(imm8),
		cs("vpinsrb", "VEX.128.66.0F3A.W0 20", eInt, func(s *hostState, imm uint8) { setXZ(s, 0, Pinsrb(xr(s, 1), uint8(s.G[2]), imm)) }).withImm(imm8),
		cs("vpinsrq", "VEX.128.66.0F3A.W1 22", eInt, func(s *hostState, imm uint8) { setXZ(s, 0, Pinsrq(xr(s, 1), s.G[2], imm)) }).withImm(imm8),
	)
	return cases
}

func TestSSSE3SSE41Int(t *testing.T) { runCases(t, ssse3SSE41IntCases()) }

func sse41FloatCases() []icase {
	r1 := func(f func(a X, imm uint8, mx uint32) (X, uint32)) fimm {
		return func(_, b X, imm uint8, mx uint32) (X, uint32) { return f(b, imm, mx) }
	}
	cases := []icase{
		cs("roundps", "66 0F 3A 08", eF32, legFI(r1(RoundPS))).withImm(imm8Lo4),
		cs("roundpd", "66 0F 3A 09", eF64, legFI(r1(RoundPD))).withImm(imm8Lo4),
		cs("roundss", "66 0F 3A 0A", eF32, legFI(RoundSS)).withImm(imm8Lo4),
		cs("roundsd", "66 0F 3A 0B", eF64, legFI(RoundSD)).withImm(imm8Lo4),
		cs("vroundps/256", "VEX.256.66.0F3A.WIG 08", eF32, vex256FI(r1(RoundPS))).regs(0, 0, 2).withImm(imm8Lo4),
		cs("vroundpd", "VEX.128.66.0F3A.WIG 09", eF64, vexFI(r1(RoundPD))).regs(0, 0, 2).withImm(imm8Lo4),
		cs("vroundsd", "VEX.LIG.66.0F3A.WIG 0B", eF64, vexFI(RoundSD)).withImm(imm8Lo4),
		cs("dpps", "66 0F 3A 40", eF32, legFI(DPPS)).withImm(imm8),
		cs("vdpps/256", "VEX.256.66.0F3A.WIG 40", eF32, func(s *hostState, imm uint8) {
			r, fl := DPPSY(yr(s, 1), yr(s, 2), imm, s.MXCSR)
			fpResult(s, fl, func() { setY(s, 0, r) })
		}).withImm(imm8),
		cs("dppd", "66 0F 3A 41", eF64, legFI(DPPD)).withImm(imm8),
	}
	return cases
}

func TestSSE41Float(t *testing.T) { runCases(t, sse41FloatCases()) }
