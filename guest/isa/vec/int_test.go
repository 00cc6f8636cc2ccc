package vec

import (
	"encoding/binary"
	"testing"
)

type i2 = func(a, b X) X
type i1i = func(a X, imm uint8) X
type i2i = func(a, b X, imm uint8) X

func legI(f i2) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) { setX(s, 0, f(xr(s, 0), xr(s, 1))) }
}
func vexI(f i2) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) { setXZ(s, 0, f(xr(s, 1), xr(s, 2))) }
}
func vex256I(f i2) func(*hostState, uint8) {
	return func(s *hostState, _ uint8) { setY(s, 0, Lanes2(f, yr(s, 1), yr(s, 2))) }
}
func legII(f i2i) func(*hostState, uint8) {
	return func(s *hostState, imm uint8) { setX(s, 0, f(xr(s, 0), xr(s, 1), imm)) }
}
func vexII(f i2i) func(*hostState, uint8) {
	return func(s *hostState, imm uint8) { setXZ(s, 0, f(xr(s, 1), xr(s, 2), imm)) }
}
func vex256II(f i2i) func(*hostState, uint8) {
	return func(s *hostState, imm uint8) { setY(s, 0, Lanes2I(f, yr(s, 1), yr(s, 2), imm)) }
}

// icases returns the legacy (pp 0F op), VEX.128 and VEX.256 cases of a
// two-source integer instruction; opmap is "0F", "0F 38" or "0F 3A".
func icases(name, pp, opmap, op string, f i2) []icase {
	leg := opmap + " " + op
	if pp != "" {
		leg = pp + " " + leg
	}
	vmap := stringsReplaceAll(opmap, " ", "")
	vpp := ""
	if pp != "" {
		vpp = pp + "."
	}
	return []icase{
		cs(name, leg, eInt, legI(f)),
		cs("v"+name, "VEX.128."+vpp+vmap+".WIG "+op, eInt, vexI(f)),
		cs("v"+name+"/256", "VEX.256."+vpp+vmap+".WIG "+op, eInt, vex256I(f)),
	}
}

func iicases(name, pp, opmap, op string, f i2i) []icase {
	leg := opmap + " " + op
	if pp != "" {
		leg = pp + " " + leg
	}
	vmap := stringsReplaceAll(opmap, " ", "")
	vpp := ""
	if pp != "" {
		vpp = pp + "."
	}
	return []icase{
		cs(name, leg, eInt, legII(f)).withImm(imm8),
		cs("v"+name, "VEX.128."+vpp+vmap+".WIG "+op, eInt, vexII(f)).withImm(imm8),
		cs("v"+name+"/256", "VEX.256."+vpp+vmap+".WIG "+op, eInt, vex256II(f)).withImm(imm8),
	}
}

func stringsReplaceAll(s, old, new string) string {
	out := ""
	for i := 0; i < len(s); i++ {
		if i+len(old) <= len(s) && s[i:i+len(old)] == old {
			out += new
			i += len(old) - 1
			continue
		}
		out += s[i : i+1]
	}
	return out
}

// countPrep makes shift counts small most of the time.
func countPrep(reg int) func(r *randT, s *hostState) {
	return func(r *randT, s *hostState) {
		if r.IntN(4) != 0 {
			s.Y[reg][0] = uint64(r.IntN(70))
		}
	}
}

func sse2IntCases() []icase {
	var cases []icase
	for _, c := range []struct {
		name, op string
		f        i2
	}{
		{"paddb", "FC", PaddB}, {"paddw", "FD", PaddW}, {"paddd", "FE", PaddD}, {"paddq", "D4", PaddQ},
		{"psubb", "F8", PsubB}, {"psubw", "F9", PsubW}, {"psubd", "FA", PsubD}, {"psubq", "FB", PsubQ},
		{"paddsb", "EC", PaddSB}, {"paddsw", "ED", PaddSW}, {"paddusb", "DC", PaddUSB}, {"paddusw", "DD", PaddUSW},
		{"psubsb", "E8", PsubSB}, {"psubsw", "E9", PsubSW}, {"psubusb", "D8", PsubUSB}, {"psubusw", "D9", PsubUSW},
		{"pmullw", "D5", PmullW}, {"pmulhw", "E5", PmulhW}, {"pmulhuw", "E4", PmulhUW}, {"pmuludq", "F4", PmulUDQ},
		{"pmaddwd", "F5", PmaddWD}, {"psadbw", "F6", PsadBW}, {"pavgb", "E0", PavgB}, {"pavgw", "E3", PavgW},
		{"pminub", "DA", PminUB}, {"pmaxub", "DE", PmaxUB}, {"pminsw", "EA", PminSW}, {"pmaxsw", "EE", PmaxSW},
		{"pcmpeqb", "74", PcmpeqB}, {"pcmpeqw", "75", PcmpeqW}, {"pcmpeqd", "76", PcmpeqD},
		{"pcmpgtb", "64", PcmpgtB}, {"pcmpgtw", "65", PcmpgtW}, {"pcmpgtd", "66", PcmpgtD},
		{"pand", "DB", And}, {"pandn", "DF", AndN}, {"por", "EB", Or}, {"pxor", "EF", Xor},
		{"packsswb", "63", PacksSWB}, {"packssdw", "6B", PacksSDW}, {"packuswb", "67", PackUSWB},
		{"punpcklbw", "60", PunpcklBW}, {"punpcklwd", "61", PunpcklWD}, {"punpckldq", "62", PunpcklDQ},
		{"punpcklqdq", "6C", PunpcklQDQ}, {"punpckhbw", "68", PunpckhBW}, {"punpckhwd", "69", PunpckhWD},
		{"punpckhdq", "6A", PunpckhDQ}, {"punpckhqdq", "6D", PunpckhQDQ},
	} {
		cases = append(cases, icases(c.name, "66", "0F", c.op, c.f)...)
	}
	// Float-domain logic, unpacks and shuffles.
	for _, c := range []struct {
		name, pp, op string
		f            i2
	}{
		{"andps", "", "54", And}, {"andnps", "", "55", AndN}, {"orps", "", "56", Or}, {"xorps", "", "57", Xor},
		{"andpd", "66", "54", And}, {"andnpd", "66", "55", AndN}, {"orpd", "66", "56", Or}, {"xorpd", "66", "57", Xor},
		{"unpcklps", "", "14", PunpcklDQ}, {"unpckhps", "", "15", PunpckhDQ},
		{"unpcklpd", "66", "14", PunpcklQDQ}, {"unpckhpd", "66", "15", PunpckhQDQ},
	} {
		cases = append(cases, icases(c.name, c.pp, "0F", c.op, c.f)...)
	}
	cases = append(cases, iicases("shufps", "", "0F", "C6", ShufPS)...)
	cases = append(cases,
		cs("shufpd", "66 0F C6", eInt, legII(ShufPD)).withImm(imm8),
		cs("vshufpd/256", "VEX.256.66.0F.WIG C6", eInt, func(s *hostState, imm uint8) {
			setY(s, 0, ShufPDY(yr(s, 1), yr(s, 2), imm))
		}).withImm(imm8),
		cs("movss", "F3 0F 10", eInt, legI(MovSS)),
		cs("vmovss", "VEX.LIG.F3.0F.WIG 10", eInt, vexI(MovSS)),
		cs("movsd", "F2 0F 10", eInt, legI(MovSD)),
		cs("movhlps", "0F 12", eInt, legI(MovHLPS)),
		cs("movlhps", "0F 16", eInt, legI(MovLHPS)),
		cs("vmovhlps", "VEX.128.0F.WIG 12", eInt, vexI(MovHLPS)),
	)

	// Shifts by an xmm count.
	for _, c := range []struct {
		name, op string
		f        i2
	}{
		{"psllw", "F1", PsllW}, {"pslld", "F2", PsllD}, {"psllq", "F3", PsllQ},
		{"psrlw", "D1", PsrlW}, {"psrld", "D2", PsrlD}, {"psrlq", "D3", PsrlQ},
		{"psraw", "E1", PsraW}, {"psrad", "E2", PsraD},
	} {
		cases = append(cases,
			cs(c.name, "66 0F "+c.op, eInt, legI(c.f)).prep(countPrep(1)),
			cs("v"+c.name, "VEX.128.66.0F.WIG "+c.op, eInt, vexI(c.f)).prep(countPrep(2)),
			cs("v"+c.name+"/256", "VEX.256.66.0F.WIG "+c.op, eInt, func(f i2) func(*hostState, uint8) {
				return func(s *hostState, _ uint8) { setY(s, 0, LanesC(f, yr(s, 1), xr(s, 2))) }
			}(c.f)).prep(countPrep(2)),
		)
	}
	// Shifts by an immediate: ModRM.reg is the opcode extension.
	for _, c := range []struct {
		name, op string
		ext      int
		f        i1i
	}{
		{"psllw", "71", 6, PsllWI}, {"psrlw", "71", 2, PsrlWI}, {"psraw", "71", 4, PsraWI},
		{"pslld", "72", 6, PsllDI}, {"psrld", "72", 2, PsrlDI}, {"psrad", "72", 4, PsraDI},
		{"psllq", "73", 6, PsllQI}, {"psrlq", "73", 2, PsrlQI}, {"pslldq", "73", 7, Pslldq}, {"psrldq", "73", 3, Psrldq},
	} {
		f := c.f
		cases = append(cases,
			cs(c.name+"/imm", "66 0F "+c.op, eInt, func(s *hostState, imm uint8) { setX(s, 0, f(xr(s, 0), imm)) }).
				regs(c.ext, 0, 0).withImm(imm8),
			cs("v"+c.name+"/imm", "VEX.128.66.0F.WIG "+c.op, eInt, func(s *hostState, imm uint8) { setXZ(s, 0, f(xr(s, 2), imm)) }).
				regs(c.ext, 0, 2).withImm(imm8),
			cs("v"+c.name+"/imm/256", "VEX.256.66.0F.WIG "+c.op, eInt, func(s *hostState, imm uint8) {
				setY(s, 0, Lanes1I(f, yr(s, 2), imm))
			}).regs(c.ext, 0, 2).withImm(imm8),
		)
	}
	for _, c := range []struct {
		name, pp string
		f        i1i
	}{{"pshufd", "66", Pshufd}, {"pshuflw", "F2", Pshuflw}, {"pshufhw", "F3", Pshufhw}} {
		f := c.f
		cases = append(cases,
			cs(c.name, c.pp+" 0F 70", eInt, func(s *hostState, imm uint8) { setX(s, 0, f(xr(s, 1), imm)) }).withImm(imm8),
			cs("v"+c.name+"/256", "VEX.256."+c.pp+".0F.WIG 70", eInt, func(s *hostState, imm uint8) {
				setY(s, 0, Lanes1I(f, yr(s, 2), imm))
			}).regs(0, 0, 2).withImm(imm8),
		)
	}
	cases = append(cases,
		cs("pmovmskb", "66 0F D7", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(Pmovmskb(xr(s, 1))) }),
		cs("vpmovmskb/256", "VEX.256.66.0F.WIG D7", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(PmovmskbY(yr(s, 2))) }).regs(0, 0, 2),
		cs("movmskps", "0F 50", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(MovmskPS(xr(s, 1))) }),
		cs("movmskpd", "66 0F 50", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(MovmskPD(xr(s, 1))) }),
		cs("vmovmskps/256", "VEX.256.0F.WIG 50", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(MovmskPSY(yr(s, 2))) }).regs(0, 0, 2),
		cs("vmovmskpd/256", "VEX.256.66.0F.WIG 50", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(MovmskPDY(yr(s, 2))) }).regs(0, 0, 2),
		cs("pinsrw", "66 0F C4", eInt, func(s *hostState, imm uint8) { setX(s, 0, Pinsrw(xr(s, 0), uint16(s.G[1]), imm)) }).withImm(imm8),
		cs("vpinsrw", "VEX.128.66.0F.W0 C4", eInt, func(s *hostState, imm uint8) { setXZ(s, 0, Pinsrw(xr(s, 1), uint16(s.G[2]), imm)) }).withImm(imm8),
		cs("pextrw", "66 0F C5", eInt, func(s *hostState, imm uint8) { s.G[0] = uint64(Pextrw(xr(s, 1), imm)) }).withImm(imm8),
		cs("vpextrw", "VEX.128.66.0F.W0 C5", eInt, func(s *hostState, imm uint8) { s.G[0] = uint64(Pextrw(xr(s, 2), imm)) }).regs(0, 0, 2).withImm(imm8),
	)
	return cases
}

func TestSSE2Int(t *testing.T) { runCases(t, sse2IntCases()) }

// TestMaskMovDQU runs maskmovdqu on a buffer in the instruction page:
// movdqu [buf], xmm3; mov r8, rdi; lea rdi, [buf]; maskmovdqu xmm0, xmm1;
// movdqu xmm2, [buf]; mov rdi, r8.
func TestMaskMovDQU(t *testing.T) {
	const buf = 2048
	var code []byte
	ripRel := func(prefix []byte) { // prefix ends with the ModRM byte
		code = append(code, prefix...)
		disp := int32(buf - (len(code) + 4))
		code = binary.LittleEndian.AppendUint32(code, uint32(disp))
	}
	ripRel([]byte{0xF3, 0x0F, 0x7F, 0x1D})
	code = append(code, 0x49, 0x89, 0xF8)
	ripRel([]byte{0x48, 0x8D, 0x3D})
	code = append(code, 0x66, 0x0F, 0xF7, 0xC1)
	ripRel([]byte{0xF3, 0x0F, 0x6F, 0x15})
	code = append(code, 0x4C, 0x89, 0xC7)
	c := icase{name: "maskmovdqu", elem: eInt, model: func(s *hostState, _ uint8) {
		m := MaskMovDQU(xr(s, 1))
		mem := xr(s, 3)
		data := xr(s, 0)
		for i := 0; i < 16; i++ {
			if m>>i&1 != 0 {
				mem.SetB(i, data.B(i))
			}
		}
		setX(s, 2, mem)
		s.G[6] = s.G[5]
	}}
	runCode(t, &c, code)
}
