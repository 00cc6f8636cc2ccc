package isa

import (
	"golang.org/x/arch/x86/x86asm"

	v "github.com/minemu/minemu/guest/isa/vec"
)

// The VEX semantics table: each VEX mnemonic and the guest/isa/vec
// functions that compute it, adapted to VexIn by the helpers below. The
// helpers apply a 128-bit operation to the low lane only for VL 16 (the
// upper lane of the result zero) and to both lanes for VL 32, merging the
// floating-point flags of the lanes the way the hardware reports them.

type (
	vX = v.X
	vY = v.Y
)

// lo128 is x as a 256-bit result with the upper lane zero (VEX.128).
func lo128(x vX) vY { return vY{x[0], x[1]} }

// byVL is lo for VL 16 and y for VL 32.
func byVL(in *VexIn, lo func() vX, y func() vY) vY {
	if in.VL == 16 {
		return lo128(lo())
	}
	return y()
}

func vi2(f func(a, b vX) vX) func(*VexIn) vY {
	return func(in *VexIn) vY {
		if in.VL == 16 {
			return lo128(f(in.A.Lo(), in.B.Lo()))
		}
		return v.Lanes2(f, in.A, in.B)
	}
}

func vi2i(f func(a, b vX, imm uint8) vX) func(*VexIn) vY {
	return func(in *VexIn) vY {
		if in.VL == 16 {
			return lo128(f(in.A.Lo(), in.B.Lo(), in.Imm))
		}
		return v.Lanes2I(f, in.A, in.B, in.Imm)
	}
}

// vi3 is a per-lane operation of A, B and the is4 register D (blendv).
func vi3(f func(a, b, c vX) vX) func(*VexIn) vY {
	return func(in *VexIn) vY {
		lo := f(in.A.Lo(), in.B.Lo(), in.D.Lo())
		if in.VL == 16 {
			return lo128(lo)
		}
		return v.YOf(lo, f(in.A.Hi(), in.B.Hi(), in.D.Hi()))
	}
}

func vi1(f func(a vX) vX) func(*VexIn) vY {
	return func(in *VexIn) vY {
		lo := f(in.A.Lo())
		if in.VL == 16 {
			return lo128(lo)
		}
		return v.YOf(lo, f(in.A.Hi()))
	}
}

func vi1i(f func(a vX, imm uint8) vX) func(*VexIn) vY {
	return func(in *VexIn) vY {
		if in.VL == 16 {
			return lo128(f(in.A.Lo(), in.Imm))
		}
		return v.Lanes1I(f, in.A, in.Imm)
	}
}

// vshift is a shift by an xmm count (A data, B count) or, with one
// source, by the immediate (A data).
func vshift(byX func(a, c vX) vX, byImm func(a vX, n uint8) vX) func(*VexIn) vY {
	return func(in *VexIn) vY {
		if in.N == 1 {
			return vi1i(byImm)(in)
		}
		if in.VL == 16 {
			return lo128(byX(in.A.Lo(), in.B.Lo()))
		}
		return v.LanesC(byX, in.A, in.B.Lo())
	}
}

// widen is pmovsx/pmovzx: n source bytes per 128-bit result lane.
func widen(f func(a vX) vX, n uint) func(*VexIn) vY {
	return func(in *VexIn) vY {
		if in.VL == 16 {
			return lo128(f(in.A.Lo()))
		}
		return v.Widen2(f, in.A.Lo(), n)
	}
}

type ff2 = func(a, b vX, mx uint32) (vX, uint32)

func vf2(f ff2) func(*VexIn) vY {
	return func(in *VexIn) vY {
		if in.VL == 16 {
			r, fl := f(in.A.Lo(), in.B.Lo(), in.MX)
			in.FL = fl
			return lo128(r)
		}
		r, fl := v.Lanes2F(f, in.A, in.B, in.MX)
		in.FL = fl
		return r
	}
}

// vs2 is a scalar operation: A (VEX.vvvv) supplies bits 127:N.
func vs2(f ff2) func(*VexIn) vY {
	return func(in *VexIn) vY {
		r, fl := f(in.A.Lo(), in.B.Lo(), in.MX)
		in.FL = fl
		return lo128(r)
	}
}

func vf1(f func(a vX, mx uint32) (vX, uint32)) func(*VexIn) vY {
	return vf2(func(a, _ vX, mx uint32) (vX, uint32) { return f(a, mx) })
}

// vf1 with the source in A: vf2 reads A and B; B is unused.
func vf1i(f func(a vX, imm uint8, mx uint32) (vX, uint32)) func(*VexIn) vY {
	return func(in *VexIn) vY {
		imm := in.Imm
		return vf1(func(a vX, mx uint32) (vX, uint32) { return f(a, imm, mx) })(in)
	}
}

func vf2i(f func(a, b vX, imm uint8, mx uint32) (vX, uint32)) func(*VexIn) vY {
	return func(in *VexIn) vY {
		imm := in.Imm
		return vf2(func(a, b vX, mx uint32) (vX, uint32) { return f(a, b, imm, mx) })(in)
	}
}

// vy is a 256-bit-only operation of A and B.
func vy(f func(a, b vY) vY) func(*VexIn) vY { return func(in *VexIn) vY { return f(in.A, in.B) } }

func fmaPacked(op v.FMAOp, form int, pd bool) func(*VexIn) vY {
	return func(in *VexIn) vY {
		a, b, c := fmaOrder(in, form)
		var r vY
		switch {
		case in.VL == 16 && pd:
			x, fl := v.FMAPD(op, a.Lo(), b.Lo(), c.Lo(), in.MX)
			r, in.FL = lo128(x), fl
		case in.VL == 16:
			x, fl := v.FMAPS(op, a.Lo(), b.Lo(), c.Lo(), in.MX)
			r, in.FL = lo128(x), fl
		case pd:
			r, in.FL = v.FMAPDY(op, a, b, c, in.MX)
		default:
			r, in.FL = v.FMAPSY(op, a, b, c, in.MX)
		}
		return r
	}
}

// fmaScalar: the low element of the fused operation, bits 127:N from the
// destination.
func fmaScalar(op v.FMAOp, form int, sd bool) func(*VexIn) vY {
	return func(in *VexIn) vY {
		a, b, c := fmaOrder(in, form)
		r := in.C.Lo()
		if sd {
			r[0], in.FL = v.FMA64(op, 0, a[0], b[0], c[0], in.MX)
		} else {
			x, fl := v.FMA32(op, 0, a.D(0), b.D(0), c.D(0), in.MX)
			r.SetD(0, x)
			in.FL = fl
		}
		return lo128(r)
	}
}

// fmaOrder maps the operands (C the destination, A VEX.vvvv, B ModRM.rm)
// to the multiplicands and the addend of form 132, 213 or 231.
func fmaOrder(in *VexIn, form int) (a, b, c vY) {
	switch form {
	case 132:
		return in.C, in.B, in.A
	case 213:
		return in.A, in.C, in.B
	}
	return in.A, in.B, in.C
}

func init() {
	w := func(f func(*VexIn) vY, ops ...x86asm.Op) {
		vexReg(VexSem{Kind: VexWrite, Name: ops[0].String(), F: f}, ops...)
	}
	al := func(f func(*VexIn) vY, ops ...x86asm.Op) {
		vexReg(VexSem{Kind: VexWrite, Name: ops[0].String(), F: f, Aligned: true}, ops...)
	}

	// Moves.
	mov := func(in *VexIn) vY {
		if in.VL == 16 {
			return lo128(in.A.Lo())
		}
		return in.A
	}
	for _, op := range []x86asm.Op{x86asm.VMOVAPS, x86asm.VMOVAPD, x86asm.VMOVDQA, x86asm.VMOVNTPS, x86asm.VMOVNTPD,
		x86asm.VMOVNTDQ, x86asm.VMOVNTDQA} {
		al(mov, op)
	}
	for _, op := range []x86asm.Op{x86asm.VMOVUPS, x86asm.VMOVUPD, x86asm.VMOVDQU, x86asm.VLDDQU} {
		w(mov, op)
	}
	// movss/movsd: a load or store with one source, the merge with two.
	scalarMov := func(merge func(a, b vX) vX) func(*VexIn) vY {
		return func(in *VexIn) vY {
			if in.N == 1 {
				return vY{in.A[0]} // zero-extended from memory, or the register stored
			}
			return lo128(merge(in.A.Lo(), in.B.Lo()))
		}
	}
	w(scalarMov(v.MovSS), x86asm.VMOVSS)
	w(scalarMov(v.MovSD), x86asm.VMOVSD)
	w(func(in *VexIn) vY { return vY{in.A[0]} }, x86asm.VMOVQ)
	w(func(in *VexIn) vY { return vY{in.A[0] & 0xffffffff} }, x86asm.VMOVD)
	half := func(hi bool) func(*VexIn) vY {
		return func(in *VexIn) vY {
			switch {
			case in.N == 1 && hi:
				return vY{in.A[1]} // the store of the high half
			case in.N == 1:
				return vY{in.A[0]}
			case hi:
				return vY{in.A[0], in.B[0]}
			}
			return vY{in.B[0], in.A[1]}
		}
	}
	w(half(true), x86asm.VMOVHPS, x86asm.VMOVHPD)
	w(half(false), x86asm.VMOVLPS, x86asm.VMOVLPD)
	w(vi2(v.MovHLPS), x86asm.VMOVHLPS)
	w(vi2(v.MovLHPS), x86asm.VMOVLHPS)
	w(vi1(v.MovDDup), x86asm.VMOVDDUP)
	w(vi1(v.MovSLDup), x86asm.VMOVSLDUP)
	w(vi1(v.MovSHDup), x86asm.VMOVSHDUP)
	w(func(in *VexIn) vY { return vY{uint64(in.MX)} }, x86asm.VSTMXCSR)
	vexReg(VexSem{Kind: VexLdmxcsr, Name: "VLDMXCSR"}, x86asm.VLDMXCSR)
	vexReg(VexSem{Kind: VexZeroUpper, Name: "VZEROUPPER"}, x86asm.VZEROUPPER)
	vexReg(VexSem{Kind: VexZeroAll, Name: "VZEROALL"}, x86asm.VZEROALL)

	// Integer and bitwise, per 128-bit lane.
	for _, e := range []struct {
		f   func(a, b vX) vX
		ops []x86asm.Op
	}{
		{v.And, []x86asm.Op{x86asm.VPAND, x86asm.VANDPS, x86asm.VANDPD}},
		{v.AndN, []x86asm.Op{x86asm.VPANDN, x86asm.VANDNPS, x86asm.VANDNPD}},
		{v.Or, []x86asm.Op{x86asm.VPOR, x86asm.VORPS, x86asm.VORPD}},
		{v.Xor, []x86asm.Op{x86asm.VPXOR, x86asm.VXORPS, x86asm.VXORPD}},
		{v.PunpcklDQ, []x86asm.Op{x86asm.VPUNPCKLDQ, x86asm.VUNPCKLPS}},
		{v.PunpckhDQ, []x86asm.Op{x86asm.VPUNPCKHDQ, x86asm.VUNPCKHPS}},
		{v.PunpcklQDQ, []x86asm.Op{x86asm.VPUNPCKLQDQ, x86asm.VUNPCKLPD}},
		{v.PunpckhQDQ, []x86asm.Op{x86asm.VPUNPCKHQDQ, x86asm.VUNPCKHPD}},
	} {
		w(vi2(e.f), e.ops...)
	}
	for op, f := range map[x86asm.Op]func(a, b vX) vX{
		x86asm.VPADDB: v.PaddB, x86asm.VPADDW: v.PaddW, x86asm.VPADDD: v.PaddD, x86asm.VPADDQ: v.PaddQ,
		x86asm.VPSUBB: v.PsubB, x86asm.VPSUBW: v.PsubW, x86asm.VPSUBD: v.PsubD, x86asm.VPSUBQ: v.PsubQ,
		x86asm.VPADDSB: v.PaddSB, x86asm.VPADDSW: v.PaddSW, x86asm.VPADDUSB: v.PaddUSB, x86asm.VPADDUSW: v.PaddUSW,
		x86asm.VPSUBSB: v.PsubSB, x86asm.VPSUBSW: v.PsubSW, x86asm.VPSUBUSB: v.PsubUSB, x86asm.VPSUBUSW: v.PsubUSW,
		x86asm.VPAVGB: v.PavgB, x86asm.VPAVGW: v.PavgW, x86asm.VPMULLW: v.PmullW, x86asm.VPMULHW: v.PmulhW,
		x86asm.VPMULHUW: v.PmulhUW, x86asm.VPMULUDQ: v.PmulUDQ, x86asm.VPMADDWD: v.PmaddWD, x86asm.VPSADBW: v.PsadBW,
		x86asm.VPACKSSWB: v.PacksSWB, x86asm.VPACKSSDW: v.PacksSDW, x86asm.VPACKUSWB: v.PackUSWB,
		x86asm.VPACKUSDW: v.PackUSDW, x86asm.VPCMPEQB: v.PcmpeqB, x86asm.VPCMPEQW: v.PcmpeqW,
		x86asm.VPCMPEQD: v.PcmpeqD, x86asm.VPCMPEQQ: v.PcmpeqQ, x86asm.VPCMPGTB: v.PcmpgtB,
		x86asm.VPCMPGTW: v.PcmpgtW, x86asm.VPCMPGTD: v.PcmpgtD, x86asm.VPCMPGTQ: v.PcmpgtQ,
		x86asm.VPMINUB: v.PminUB, x86asm.VPMINUW: v.PminUW, x86asm.VPMINUD: v.PminUD, x86asm.VPMINSB: v.PminSB,
		x86asm.VPMINSW: v.PminSW, x86asm.VPMINSD: v.PminSD, x86asm.VPMAXUB: v.PmaxUB, x86asm.VPMAXUW: v.PmaxUW,
		x86asm.VPMAXUD: v.PmaxUD, x86asm.VPMAXSB: v.PmaxSB, x86asm.VPMAXSW: v.PmaxSW, x86asm.VPMAXSD: v.PmaxSD,
		x86asm.VPUNPCKLBW: v.PunpcklBW, x86asm.VPUNPCKLWD: v.PunpcklWD, x86asm.VPUNPCKHBW: v.PunpckhBW,
		x86asm.VPUNPCKHWD: v.PunpckhWD, x86asm.VPSHUFB: v.Pshufb, x86asm.VPSIGNB: v.PsignB,
		x86asm.VPSIGNW: v.PsignW, x86asm.VPSIGND: v.PsignD, x86asm.VPMADDUBSW: v.PmaddUBSW,
		x86asm.VPMULHRSW: v.PmulhRSW, x86asm.VPHADDW: v.PhaddW, x86asm.VPHADDD: v.PhaddD,
		x86asm.VPHADDSW: v.PhaddSW, x86asm.VPHSUBW: v.PhsubW, x86asm.VPHSUBD: v.PhsubD,
		x86asm.VPHSUBSW: v.PhsubSW, x86asm.VPMULLD: v.PmullD, x86asm.VPMULDQ: v.PmulDQ,
		x86asm.VAESENC: v.AesEnc, x86asm.VAESENCLAST: v.AesEncLast, x86asm.VAESDEC: v.AesDec,
		x86asm.VAESDECLAST: v.AesDecLast, x86asm.VPERMILPS: v.PermilPS, x86asm.VPERMILPD: v.PermilPD,
		x86asm.VPSLLVD: v.PsllvD, x86asm.VPSLLVQ: v.PsllvQ, x86asm.VPSRLVD: v.PsrlvD, x86asm.VPSRLVQ: v.PsrlvQ,
		x86asm.VPSRAVD: v.PsravD,
	} {
		switch op {
		case x86asm.VPERMILPS, x86asm.VPERMILPD:
			continue // below: they have immediate forms too
		}
		w(vi2(f), op)
	}
	// vpermilps/pd: a vector control (two sources) or an immediate.
	w(func(in *VexIn) vY {
		if in.N == 1 {
			return vi1i(v.Pshufd)(in)
		}
		return vi2(v.PermilPS)(in)
	}, x86asm.VPERMILPS)
	w(func(in *VexIn) vY {
		switch {
		case in.N == 2:
			return vi2(v.PermilPD)(in)
		case in.VL == 16:
			return lo128(v.PermilPDI(in.A.Lo(), in.Imm))
		}
		return v.PermilPDIY(in.A, in.Imm)
	}, x86asm.VPERMILPD)
	for op, f := range map[x86asm.Op]func(a vX) vX{
		x86asm.VPABSB: v.PabsB, x86asm.VPABSW: v.PabsW, x86asm.VPABSD: v.PabsD, x86asm.VPHMINPOSUW: v.PhminposUW,
		x86asm.VAESIMC: v.AesImc, x86asm.VRCPPS: v.RcpPS, x86asm.VRSQRTPS: v.RsqrtPS,
	} {
		w(vi1(f), op)
	}
	for op, f := range map[x86asm.Op]func(a vX, imm uint8) vX{
		x86asm.VPSHUFD: v.Pshufd, x86asm.VPSHUFHW: v.Pshufhw, x86asm.VPSHUFLW: v.Pshuflw,
		x86asm.VAESKEYGENASSIST: v.AesKeygenAssist, x86asm.VPSLLDQ: v.Pslldq, x86asm.VPSRLDQ: v.Psrldq,
	} {
		w(vi1i(f), op)
	}
	for op, f := range map[x86asm.Op]func(a, b vX, imm uint8) vX{
		x86asm.VPALIGNR: v.Palignr, x86asm.VPBLENDW: v.Pblendw, x86asm.VSHUFPS: v.ShufPS,
		x86asm.VPCLMULQDQ: v.Pclmulqdq,
	} {
		w(vi2i(f), op)
	}
	imm2Y := func(x func(a, b vX, imm uint8) vX, y func(a, b vY, imm uint8) vY) func(*VexIn) vY {
		return func(in *VexIn) vY {
			return byVL(in, func() vX { return x(in.A.Lo(), in.B.Lo(), in.Imm) }, func() vY { return y(in.A, in.B, in.Imm) })
		}
	}
	w(imm2Y(v.ShufPD, v.ShufPDY), x86asm.VSHUFPD)
	w(imm2Y(v.BlendPS, v.BlendPSY), x86asm.VBLENDPS)
	w(imm2Y(v.BlendPD, v.BlendPDY), x86asm.VBLENDPD)
	w(imm2Y(v.MpsadBW, v.MpsadBWY), x86asm.VMPSADBW)
	w(func(in *VexIn) vY {
		if in.VL == 16 {
			return lo128(v.PblendD(lo128(in.A.Lo()), lo128(in.B.Lo()), in.Imm&15).Lo())
		}
		return v.PblendD(in.A, in.B, in.Imm)
	}, x86asm.VPBLENDD)
	w(func(in *VexIn) vY {
		imm := in.Imm
		if in.Mem == 2 {
			imm &^= 0xc0 // the memory dword is the source
		}
		return lo128(v.InsertPS(in.A.Lo(), in.B.Lo(), imm))
	}, x86asm.VINSERTPS)
	w(vi3(v.PblendvB), x86asm.VPBLENDVB)
	w(vi3(v.BlendvPS), x86asm.VBLENDVPS)
	w(vi3(v.BlendvPD), x86asm.VBLENDVPD)

	// Shifts by an xmm count or an immediate.
	w(vshift(v.PsllW, v.PsllWI), x86asm.VPSLLW)
	w(vshift(v.PsllD, v.PsllDI), x86asm.VPSLLD)
	w(vshift(v.PsllQ, v.PsllQI), x86asm.VPSLLQ)
	w(vshift(v.PsrlW, v.PsrlWI), x86asm.VPSRLW)
	w(vshift(v.PsrlD, v.PsrlDI), x86asm.VPSRLD)
	w(vshift(v.PsrlQ, v.PsrlQI), x86asm.VPSRLQ)
	w(vshift(v.PsraW, v.PsraWI), x86asm.VPSRAW)
	w(vshift(v.PsraD, v.PsraDI), x86asm.VPSRAD)

	// pmovsx/pmovzx.
	for _, e := range []struct {
		op x86asm.Op
		f  func(vX) vX
		n  uint
	}{
		{x86asm.VPMOVSXBW, v.PmovsxBW, 8}, {x86asm.VPMOVSXBD, v.PmovsxBD, 4}, {x86asm.VPMOVSXBQ, v.PmovsxBQ, 2},
		{x86asm.VPMOVSXWD, v.PmovsxWD, 8}, {x86asm.VPMOVSXWQ, v.PmovsxWQ, 4}, {x86asm.VPMOVSXDQ, v.PmovsxDQ, 8},
		{x86asm.VPMOVZXBW, v.PmovzxBW, 8}, {x86asm.VPMOVZXBD, v.PmovzxBD, 4}, {x86asm.VPMOVZXBQ, v.PmovzxBQ, 2},
		{x86asm.VPMOVZXWD, v.PmovzxWD, 8}, {x86asm.VPMOVZXWQ, v.PmovzxWQ, 4}, {x86asm.VPMOVZXDQ, v.PmovzxDQ, 8},
	} {
		w(widen(e.f, e.n), e.op)
	}

	// Floating point.
	for op, f := range map[x86asm.Op]ff2{
		x86asm.VADDPS: v.AddPS, x86asm.VADDPD: v.AddPD, x86asm.VSUBPS: v.SubPS, x86asm.VSUBPD: v.SubPD,
		x86asm.VMULPS: v.MulPS, x86asm.VMULPD: v.MulPD, x86asm.VDIVPS: v.DivPS, x86asm.VDIVPD: v.DivPD,
		x86asm.VMINPS: v.MinPS, x86asm.VMINPD: v.MinPD, x86asm.VMAXPS: v.MaxPS, x86asm.VMAXPD: v.MaxPD,
		x86asm.VADDSUBPS: v.AddSubPS, x86asm.VADDSUBPD: v.AddSubPD, x86asm.VHADDPS: v.HaddPS,
		x86asm.VHADDPD: v.HaddPD, x86asm.VHSUBPS: v.HsubPS, x86asm.VHSUBPD: v.HsubPD,
	} {
		w(vf2(f), op)
	}
	for op, f := range map[x86asm.Op]ff2{
		x86asm.VADDSS: v.AddSS, x86asm.VADDSD: v.AddSD, x86asm.VSUBSS: v.SubSS, x86asm.VSUBSD: v.SubSD,
		x86asm.VMULSS: v.MulSS, x86asm.VMULSD: v.MulSD, x86asm.VDIVSS: v.DivSS, x86asm.VDIVSD: v.DivSD,
		x86asm.VMINSS: v.MinSS, x86asm.VMINSD: v.MinSD, x86asm.VMAXSS: v.MaxSS, x86asm.VMAXSD: v.MaxSD,
		x86asm.VSQRTSS: v.SqrtSS, x86asm.VSQRTSD: v.SqrtSD, x86asm.VCVTSS2SD: v.CvtSS2SD,
		x86asm.VCVTSD2SS: v.CvtSD2SS,
	} {
		w(vs2(f), op)
	}
	w(func(in *VexIn) vY { return lo128(v.RcpSS(in.A.Lo(), in.B.Lo())) }, x86asm.VRCPSS)
	w(func(in *VexIn) vY { return lo128(v.RsqrtSS(in.A.Lo(), in.B.Lo())) }, x86asm.VRSQRTSS)
	for op, f := range map[x86asm.Op]func(a vX, mx uint32) (vX, uint32){
		x86asm.VSQRTPS: v.SqrtPS, x86asm.VSQRTPD: v.SqrtPD, x86asm.VCVTPS2DQ: v.CvtPS2DQ,
		x86asm.VCVTTPS2DQ: v.CvttPS2DQ, x86asm.VCVTDQ2PS: v.CvtDQ2PS,
	} {
		w(vf1(f), op)
	}
	w(vf1i(v.RoundPS), x86asm.VROUNDPS)
	w(vf1i(v.RoundPD), x86asm.VROUNDPD)
	scalarImm := func(f func(a, b vX, imm uint8, mx uint32) (vX, uint32)) func(*VexIn) vY {
		return func(in *VexIn) vY {
			r, fl := f(in.A.Lo(), in.B.Lo(), in.Imm, in.MX)
			in.FL = fl
			return lo128(r)
		}
	}
	w(scalarImm(v.RoundSS), x86asm.VROUNDSS)
	w(scalarImm(v.RoundSD), x86asm.VROUNDSD)
	pred := func(f func(a, b vX, pred uint8, mx uint32) (vX, uint32)) func(a, b vX, imm uint8, mx uint32) (vX, uint32) {
		return func(a, b vX, imm uint8, mx uint32) (vX, uint32) { return f(a, b, imm&31, mx) }
	}
	w(vf2i(pred(v.CmpPS)), x86asm.VCMPPS)
	w(vf2i(pred(v.CmpPD)), x86asm.VCMPPD)
	w(scalarImm(pred(v.CmpSS)), x86asm.VCMPSS)
	w(scalarImm(pred(v.CmpSD)), x86asm.VCMPSD)
	w(func(in *VexIn) vY {
		if in.VL == 16 {
			r, fl := v.DPPS(in.A.Lo(), in.B.Lo(), in.Imm, in.MX)
			in.FL = fl
			return lo128(r)
		}
		r, fl := v.DPPSY(in.A, in.B, in.Imm, in.MX)
		in.FL = fl
		return r
	}, x86asm.VDPPS)
	w(scalarImm(v.DPPD), x86asm.VDPPD)
	flags := func(f func(a, b vX, mx uint32) (uint32, uint32), op x86asm.Op) {
		vexReg(VexSem{Kind: VexFlags, Name: op.String(), F: func(in *VexIn) vY {
			in.RF, in.FL = f(in.C.Lo(), in.A.Lo(), in.MX)
			return vY{}
		}}, op)
	}
	flags(v.ComiSS, x86asm.VCOMISS)
	flags(v.UcomiSS, x86asm.VUCOMISS)
	flags(v.ComiSD, x86asm.VCOMISD)
	flags(v.UcomiSD, x86asm.VUCOMISD)
	test := func(f func(a, b vY) uint32, op x86asm.Op) {
		vexReg(VexSem{Kind: VexFlags, Name: op.String(), F: func(in *VexIn) vY {
			a, b := in.C, in.A
			if in.VL == 16 {
				a, b = lo128(a.Lo()), lo128(b.Lo())
			}
			in.RF = f(a, b)
			return vY{}
		}}, op)
	}
	test(v.PtestY, x86asm.VPTEST)
	test(v.TestPS, x86asm.VTESTPS)
	test(v.TestPD, x86asm.VTESTPD)

	// Conversions.
	w(func(in *VexIn) vY {
		if in.VL == 16 {
			return lo128(v.CvtDQ2PD(in.A.Lo()))
		}
		return v.CvtDQ2PDY(in.A.Lo())
	}, x86asm.VCVTDQ2PD)
	w(func(in *VexIn) vY {
		if in.VL == 16 {
			r, fl := v.CvtPS2PD(in.A.Lo(), in.MX)
			in.FL = fl
			return lo128(r)
		}
		r, fl := v.CvtPS2PDY(in.A.Lo(), in.MX)
		in.FL = fl
		return r
	}, x86asm.VCVTPS2PD)
	narrow := func(x func(a vX, mx uint32) (vX, uint32), y func(a vY, mx uint32) (vX, uint32)) func(*VexIn) vY {
		return func(in *VexIn) vY {
			var r vX
			if in.VL == 16 {
				r, in.FL = x(in.A.Lo(), in.MX)
			} else {
				r, in.FL = y(in.A, in.MX)
			}
			return lo128(r)
		}
	}
	w(narrow(v.CvtPD2DQ, v.CvtPD2DQY), x86asm.VCVTPD2DQ)
	w(narrow(v.CvttPD2DQ, v.CvttPD2DQY), x86asm.VCVTTPD2DQ)
	w(narrow(v.CvtPD2PS, v.CvtPD2PSY), x86asm.VCVTPD2PS)
	w(func(in *VexIn) vY {
		if in.VL == 16 {
			r, fl := v.CvtPH2PS(in.A.Lo(), in.MX)
			in.FL = fl
			return lo128(r)
		}
		r, fl := v.CvtPH2PSY(in.A.Lo(), in.MX)
		in.FL = fl
		return r
	}, x86asm.VCVTPH2PS)
	w(func(in *VexIn) vY {
		if in.VL == 16 {
			r, fl := v.CvtPS2PH(in.A.Lo(), in.Imm, in.MX)
			in.FL = fl
			return vY{r}
		}
		r, fl := v.CvtPS2PHY(in.A, in.Imm, in.MX)
		in.FL = fl
		return lo128(r)
	}, x86asm.VCVTPS2PH)
	i2f := func(f func(a vX, x uint64, is64 bool, mx uint32) (vX, uint32)) func(*VexIn) vY {
		return func(in *VexIn) vY {
			r, fl := f(in.A.Lo(), in.B[0], in.SSize == 8, in.MX)
			in.FL = fl
			return lo128(r)
		}
	}
	w(i2f(v.CvtSI2SS), x86asm.VCVTSI2SS)
	w(i2f(v.CvtSI2SD), x86asm.VCVTSI2SD)
	f2i := func(f func(b vX, is64 bool, mx uint32) (uint64, uint32)) func(*VexIn) vY {
		return func(in *VexIn) vY {
			r, fl := f(in.A.Lo(), in.DSize == 8, in.MX)
			in.FL = fl
			return vY{r}
		}
	}
	w(f2i(v.CvtSS2SI), x86asm.VCVTSS2SI)
	w(f2i(v.CvtSD2SI), x86asm.VCVTSD2SI)
	w(f2i(v.CvttSS2SI), x86asm.VCVTTSS2SI)
	w(f2i(v.CvttSD2SI), x86asm.VCVTTSD2SI)

	// Masks, extracts and inserts with general registers.
	mask := func(x func(vX) uint32, y func(vY) uint32) func(*VexIn) vY {
		return func(in *VexIn) vY {
			if in.VL == 16 {
				return vY{uint64(x(in.A.Lo()))}
			}
			return vY{uint64(y(in.A))}
		}
	}
	w(mask(v.MovmskPS, v.MovmskPSY), x86asm.VMOVMSKPS)
	w(mask(v.MovmskPD, v.MovmskPDY), x86asm.VMOVMSKPD)
	w(mask(v.Pmovmskb, v.PmovmskbY), x86asm.VPMOVMSKB)
	w(func(in *VexIn) vY { return vY{uint64(v.Pextrb(in.A.Lo(), in.Imm))} }, x86asm.VPEXTRB)
	w(func(in *VexIn) vY { return vY{uint64(v.Pextrw(in.A.Lo(), in.Imm))} }, x86asm.VPEXTRW)
	w(func(in *VexIn) vY { return vY{uint64(v.Pextrd(in.A.Lo(), in.Imm))} }, x86asm.VPEXTRD, x86asm.VEXTRACTPS)
	w(func(in *VexIn) vY { return vY{v.Pextrq(in.A.Lo(), in.Imm)} }, x86asm.VPEXTRQ)
	w(func(in *VexIn) vY { return lo128(v.Pinsrb(in.A.Lo(), uint8(in.B[0]), in.Imm)) }, x86asm.VPINSRB)
	w(func(in *VexIn) vY { return lo128(v.Pinsrw(in.A.Lo(), uint16(in.B[0]), in.Imm)) }, x86asm.VPINSRW)
	w(func(in *VexIn) vY { return lo128(v.Pinsrd(in.A.Lo(), uint32(in.B[0]), in.Imm)) }, x86asm.VPINSRD)
	w(func(in *VexIn) vY { return lo128(v.Pinsrq(in.A.Lo(), in.B[0], in.Imm)) }, x86asm.VPINSRQ)

	// AVX and AVX2 across lanes.
	w(func(in *VexIn) vY { return v.Insert128(in.A, in.B.Lo(), in.Imm) }, x86asm.VINSERTF128, x86asm.VINSERTI128)
	w(func(in *VexIn) vY { return lo128(v.Extract128(in.A, in.Imm)) }, x86asm.VEXTRACTF128, x86asm.VEXTRACTI128)
	w(func(in *VexIn) vY { return v.Perm2x128(in.A, in.B, in.Imm) }, x86asm.VPERM2F128, x86asm.VPERM2I128)
	w(vy(v.PermD), x86asm.VPERMD, x86asm.VPERMPS)
	w(func(in *VexIn) vY { return v.PermQ(in.A, in.Imm) }, x86asm.VPERMQ, x86asm.VPERMPD)
	bcast := func(f func(in *VexIn) vY) func(*VexIn) vY {
		return func(in *VexIn) vY {
			r := f(in)
			if in.VL == 16 {
				return lo128(r.Lo())
			}
			return r
		}
	}
	w(bcast(func(in *VexIn) vY { return v.Broadcast8(uint8(in.A[0])) }), x86asm.VPBROADCASTB)
	w(bcast(func(in *VexIn) vY { return v.Broadcast16(uint16(in.A[0])) }), x86asm.VPBROADCASTW)
	w(bcast(func(in *VexIn) vY { return v.Broadcast32(uint32(in.A[0])) }), x86asm.VPBROADCASTD, x86asm.VBROADCASTSS)
	w(bcast(func(in *VexIn) vY { return v.Broadcast64(in.A[0]) }), x86asm.VPBROADCASTQ, x86asm.VBROADCASTSD)
	w(func(in *VexIn) vY { return v.Broadcast128(in.A.Lo()) }, x86asm.VBROADCASTF128, x86asm.VBROADCASTI128)

	// Masked moves and gathers (the engine does the accesses).
	vexReg(VexSem{Kind: VexMaskMov, Name: "VMASKMOVPS", Elem: 4}, x86asm.VMASKMOVPS)
	vexReg(VexSem{Kind: VexMaskMov, Name: "VMASKMOVPD", Elem: 8}, x86asm.VMASKMOVPD)
	vexReg(VexSem{Kind: VexMaskMov, Name: "VPMASKMOVD", Elem: 4}, x86asm.VPMASKMOVD)
	vexReg(VexSem{Kind: VexMaskMov, Name: "VPMASKMOVQ", Elem: 8}, x86asm.VPMASKMOVQ)
	vexReg(VexSem{Kind: VexMaskMovDQU, Name: "VMASKMOVDQU"}, x86asm.VMASKMOVDQU)
	for _, e := range []struct {
		op    x86asm.Op
		elem  uint8
		idx32 bool
	}{
		{x86asm.VGATHERDPS, 4, true}, {x86asm.VGATHERDPD, 8, true}, {x86asm.VGATHERQPS, 4, false},
		{x86asm.VGATHERQPD, 8, false}, {x86asm.VPGATHERDD, 4, true}, {x86asm.VPGATHERDQ, 8, true},
		{x86asm.VPGATHERQD, 4, false}, {x86asm.VPGATHERQQ, 8, false},
	} {
		vexReg(VexSem{Kind: VexGather, Name: e.op.String(), Elem: e.elem, Idx32: e.idx32}, e.op)
	}

	// FMA3.
	for _, e := range []struct {
		op       v.FMAOp
		ps, pd   [3]x86asm.Op
		ss, sd   [3]x86asm.Op
		noScalar bool
	}{
		{v.FMAdd, [3]x86asm.Op{x86asm.VFMADD132PS, x86asm.VFMADD213PS, x86asm.VFMADD231PS},
			[3]x86asm.Op{x86asm.VFMADD132PD, x86asm.VFMADD213PD, x86asm.VFMADD231PD},
			[3]x86asm.Op{x86asm.VFMADD132SS, x86asm.VFMADD213SS, x86asm.VFMADD231SS},
			[3]x86asm.Op{x86asm.VFMADD132SD, x86asm.VFMADD213SD, x86asm.VFMADD231SD}, false},
		{v.FMSub, [3]x86asm.Op{x86asm.VFMSUB132PS, x86asm.VFMSUB213PS, x86asm.VFMSUB231PS},
			[3]x86asm.Op{x86asm.VFMSUB132PD, x86asm.VFMSUB213PD, x86asm.VFMSUB231PD},
			[3]x86asm.Op{x86asm.VFMSUB132SS, x86asm.VFMSUB213SS, x86asm.VFMSUB231SS},
			[3]x86asm.Op{x86asm.VFMSUB132SD, x86asm.VFMSUB213SD, x86asm.VFMSUB231SD}, false},
		{v.FNMAdd, [3]x86asm.Op{x86asm.VFNMADD132PS, x86asm.VFNMADD213PS, x86asm.VFNMADD231PS},
			[3]x86asm.Op{x86asm.VFNMADD132PD, x86asm.VFNMADD213PD, x86asm.VFNMADD231PD},
			[3]x86asm.Op{x86asm.VFNMADD132SS, x86asm.VFNMADD213SS, x86asm.VFNMADD231SS},
			[3]x86asm.Op{x86asm.VFNMADD132SD, x86asm.VFNMADD213SD, x86asm.VFNMADD231SD}, false},
		{v.FNMSub, [3]x86asm.Op{x86asm.VFNMSUB132PS, x86asm.VFNMSUB213PS, x86asm.VFNMSUB231PS},
			[3]x86asm.Op{x86asm.VFNMSUB132PD, x86asm.VFNMSUB213PD, x86asm.VFNMSUB231PD},
			[3]x86asm.Op{x86asm.VFNMSUB132SS, x86asm.VFNMSUB213SS, x86asm.VFNMSUB231SS},
			[3]x86asm.Op{x86asm.VFNMSUB132SD, x86asm.VFNMSUB213SD, x86asm.VFNMSUB231SD}, false},
		{v.FMAddSub, [3]x86asm.Op{x86asm.VFMADDSUB132PS, x86asm.VFMADDSUB213PS, x86asm.VFMADDSUB231PS},
			[3]x86asm.Op{x86asm.VFMADDSUB132PD, x86asm.VFMADDSUB213PD, x86asm.VFMADDSUB231PD},
			[3]x86asm.Op{}, [3]x86asm.Op{}, true},
		{v.FMSubAdd, [3]x86asm.Op{x86asm.VFMSUBADD132PS, x86asm.VFMSUBADD213PS, x86asm.VFMSUBADD231PS},
			[3]x86asm.Op{x86asm.VFMSUBADD132PD, x86asm.VFMSUBADD213PD, x86asm.VFMSUBADD231PD},
			[3]x86asm.Op{}, [3]x86asm.Op{}, true},
	} {
		for i, form := range []int{132, 213, 231} {
			w(fmaPacked(e.op, form, false), e.ps[i])
			w(fmaPacked(e.op, form, true), e.pd[i])
			if !e.noScalar {
				w(fmaScalar(e.op, form, false), e.ss[i])
				w(fmaScalar(e.op, form, true), e.sd[i])
			}
		}
	}

	// SSE4.2 string compares.
	strI := func(op x86asm.Op, explicit bool) {
		vexReg(VexSem{Kind: VexStrI, Name: op.String(), Len64: op == x86asm.VPCMPESTRI64, F: func(in *VexIn) vY {
			var idx uint32
			if explicit {
				idx, in.RF = v.PcmpEstrI(in.C.Lo(), in.A.Lo(), in.G[0], in.G[1], in.Imm)
			} else {
				idx, in.RF = v.PcmpIstrI(in.C.Lo(), in.A.Lo(), in.Imm)
			}
			return vY{uint64(idx)}
		}}, op)
	}
	strM := func(op x86asm.Op, explicit bool) {
		vexReg(VexSem{Kind: VexStrM, Name: op.String(), Len64: op == x86asm.VPCMPESTRM64, F: func(in *VexIn) vY {
			var r vX
			if explicit {
				r, in.RF = v.PcmpEstrM(in.C.Lo(), in.A.Lo(), in.G[0], in.G[1], in.Imm)
			} else {
				r, in.RF = v.PcmpIstrM(in.C.Lo(), in.A.Lo(), in.Imm)
			}
			return lo128(r)
		}}, op)
	}
	strI(x86asm.VPCMPESTRI, true)
	strI(x86asm.VPCMPESTRI64, true)
	strI(x86asm.VPCMPISTRI, false)
	strI(x86asm.VPCMPISTRI64, false)
	strM(x86asm.VPCMPESTRM, true)
	strM(x86asm.VPCMPESTRM64, true)
	strM(x86asm.VPCMPISTRM, false)
}
