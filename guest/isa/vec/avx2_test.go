package vec

import "testing"

func avx2PermCases() []icase {
	hi := func(s *hostState, i int) X { return X{s.Y[i][2], s.Y[i][3]} }
	cases := []icase{
		cs("vpermd", "VEX.256.66.0F38.W0 36", eInt, func(s *hostState, _ uint8) { setY(s, 0, PermD(yr(s, 1), yr(s, 2))) }),
		cs("vpermps", "VEX.256.66.0F38.W0 16", eInt, func(s *hostState, _ uint8) { setY(s, 0, PermD(yr(s, 1), yr(s, 2))) }),
		cs("vpermq", "VEX.256.66.0F3A.W1 00", eInt, func(s *hostState, imm uint8) { setY(s, 0, PermQ(yr(s, 2), imm)) }).regs(0, 0, 2).withImm(imm8),
		cs("vpermpd", "VEX.256.66.0F3A.W1 01", eInt, func(s *hostState, imm uint8) { setY(s, 0, PermQ(yr(s, 2), imm)) }).regs(0, 0, 2).withImm(imm8),
		cs("vperm2i128", "VEX.256.66.0F3A.W0 46", eInt, func(s *hostState, imm uint8) { setY(s, 0, Perm2x128(yr(s, 1), yr(s, 2), imm)) }).withImm(imm8),
		cs("vperm2f128", "VEX.256.66.0F3A.W0 06", eInt, func(s *hostState, imm uint8) { setY(s, 0, Perm2x128(yr(s, 1), yr(s, 2), imm)) }).withImm(imm8),
		cs("vpermilps", "VEX.128.66.0F38.W0 0C", eInt, vexI(PermilPS)),
		cs("vpermilps/256", "VEX.256.66.0F38.W0 0C", eInt, vex256I(PermilPS)),
		cs("vpermilpd/256", "VEX.256.66.0F38.W0 0D", eInt, vex256I(PermilPD)),
		cs("vpermilps/imm/256", "VEX.256.66.0F3A.W0 04", eInt, func(s *hostState, imm uint8) { setY(s, 0, Lanes1I(Pshufd, yr(s, 2), imm)) }).regs(0, 0, 2).withImm(imm8),
		cs("vpermilpd/imm", "VEX.128.66.0F3A.W0 05", eInt, func(s *hostState, imm uint8) { setXZ(s, 0, PermilPDI(xr(s, 2), imm)) }).regs(0, 0, 2).withImm(imm8),
		cs("vpermilpd/imm/256", "VEX.256.66.0F3A.W0 05", eInt, func(s *hostState, imm uint8) { setY(s, 0, PermilPDIY(yr(s, 2), imm)) }).regs(0, 0, 2).withImm(imm8),
		cs("vpbroadcastb", "VEX.128.66.0F38.W0 78", eInt, func(s *hostState, _ uint8) { setXZ(s, 0, Broadcast8(uint8(s.Y[2][0])).Lo()) }).regs(0, 0, 2),
		cs("vpbroadcastb/256", "VEX.256.66.0F38.W0 78", eInt, func(s *hostState, _ uint8) { setY(s, 0, Broadcast8(uint8(s.Y[2][0]))) }).regs(0, 0, 2),
		cs("vpbroadcastw/256", "VEX.256.66.0F38.W0 79", eInt, func(s *hostState, _ uint8) { setY(s, 0, Broadcast16(uint16(s.Y[2][0]))) }).regs(0, 0, 2),
		cs("vpbroadcastd/256", "VEX.256.66.0F38.W0 58", eInt, func(s *hostState, _ uint8) { setY(s, 0, Broadcast32(uint32(s.Y[2][0]))) }).regs(0, 0, 2),
		cs("vpbroadcastq", "VEX.128.66.0F38.W0 59", eInt, func(s *hostState, _ uint8) { setXZ(s, 0, Broadcast64(s.Y[2][0]).Lo()) }).regs(0, 0, 2),
		cs("vpbroadcastq/256", "VEX.256.66.0F38.W0 59", eInt, func(s *hostState, _ uint8) { setY(s, 0, Broadcast64(s.Y[2][0])) }).regs(0, 0, 2),
		cs("vbroadcastss", "VEX.128.66.0F38.W0 18", eInt, func(s *hostState, _ uint8) { setXZ(s, 0, Broadcast32(uint32(s.Y[2][0])).Lo()) }).regs(0, 0, 2),
		cs("vbroadcastss/256", "VEX.256.66.0F38.W0 18", eInt, func(s *hostState, _ uint8) { setY(s, 0, Broadcast32(uint32(s.Y[2][0]))) }).regs(0, 0, 2),
		cs("vbroadcastsd/256", "VEX.256.66.0F38.W0 19", eInt, func(s *hostState, _ uint8) { setY(s, 0, Broadcast64(s.Y[2][0])) }).regs(0, 0, 2),
		cs("vinserti128", "VEX.256.66.0F3A.W0 38", eInt, func(s *hostState, imm uint8) { setY(s, 0, Insert128(yr(s, 1), xr(s, 2), imm)) }).withImm(imm8),
		cs("vinsertf128", "VEX.256.66.0F3A.W0 18", eInt, func(s *hostState, imm uint8) { setY(s, 0, Insert128(yr(s, 1), xr(s, 2), imm)) }).withImm(imm8),
		// vextracti128 xmm1(rm), ymm0(reg).
		cs("vextracti128", "VEX.256.66.0F3A.W0 39", eInt, func(s *hostState, imm uint8) { setXZ(s, 1, Extract128(yr(s, 0), imm)) }).regs(0, 0, 1).withImm(imm8),
		cs("vextractf128", "VEX.256.66.0F3A.W0 19", eInt, func(s *hostState, imm uint8) { setXZ(s, 1, Extract128(yr(s, 0), imm)) }).regs(0, 0, 1).withImm(imm8),
		cs("vpblendd", "VEX.128.66.0F3A.W0 02", eInt, func(s *hostState, imm uint8) {
			setXZ(s, 0, PblendD(Y{s.Y[1][0], s.Y[1][1]}, Y{s.Y[2][0], s.Y[2][1]}, imm&15).Lo())
		}).withImm(imm8),
		cs("vpblendd/256", "VEX.256.66.0F3A.W0 02", eInt, func(s *hostState, imm uint8) { setY(s, 0, PblendD(yr(s, 1), yr(s, 2), imm)) }).withImm(imm8),
	}
	for _, c := range []struct {
		name, enc string
		f         i2
	}{
		{"vpsllvd", "66.0F38.W0 47", PsllvD}, {"vpsllvq", "66.0F38.W1 47", PsllvQ},
		{"vpsrlvd", "66.0F38.W0 45", PsrlvD}, {"vpsrlvq", "66.0F38.W1 45", PsrlvQ},
		{"vpsravd", "66.0F38.W0 46", PsravD},
	} {
		f := c.f
		prep := func(r *randT, s *hostState) {
			for i := 0; i < 4; i++ {
				if r.IntN(2) == 0 {
					s.Y[2][i] = uint64(r.IntN(70)) | uint64(r.IntN(70))<<32
				}
			}
		}
		cases = append(cases,
			cs(c.name, "VEX.128."+c.enc, eInt, vexI(f)).prep(prep),
			cs(c.name+"/256", "VEX.256."+c.enc, eInt, vex256I(f)).prep(prep))
		_ = hi
	}
	return cases
}

func TestAVX2Perm(t *testing.T) { runCases(t, avx2PermCases()) }

// TestAVX2Memory runs the forms that only take memory operands (masked
// moves, gathers, broadcasts from m128) on a buffer in the instruction
// page that the test fills with random bytes.
func TestAVX2Memory(t *testing.T) {
	j := newJIT(t)
	const buf = 2048 + 1024 // base of the buffer; indices reach ±1024
	page := j.page
	mem := func(off int64, size int) uint64 {
		var v uint64
		for k := size - 1; k >= 0; k-- {
			v = v<<8 | uint64(page[buf+off+int64(k)])
		}
		return v
	}
	memY := func(off int64) Y { return Y{mem(off, 8), mem(off+8, 8), mem(off+16, 8), mem(off+24, 8)} }
	// seq is lea rsi, [rip+buf]; insn; mov esi, 0.
	seq := func(insn ...byte) []byte {
		code := []byte{0x48, 0x8D, 0x35}
		d := int32(buf - (len(code) + 4))
		code = append(code, byte(d), byte(d>>8), byte(d>>16), byte(d>>24))
		code = append(code, insn...)
		return append(code, 0xBE, 0, 0, 0, 0)
	}
	vex := func(l, w byte, mmmmm, pp byte, vvvv int, op byte, modrm byte, tail ...byte) []byte {
		b := []byte{0xC4, 0xE0 | mmmmm, w<<7 | byte(^vvvv&15)<<3 | l<<2 | pp, op, modrm}
		return append(b, tail...)
	}
	type mcase struct {
		name  string
		code  []byte
		model func(s *hostState)
		prep  func(r *randT, s *hostState)
	}
	// Gather indices: small signed dwords or qwords so that
	// index*scale stays within ±1024.
	idxPrep := func(idx32 bool) func(r *randT, s *hostState) {
		return func(r *randT, s *hostState) {
			for i := 0; i < 8; i++ {
				setYD(s, 2, i, uint32(int32(r.IntN(256)-128)))
			}
			if !idx32 {
				for i := 0; i < 4; i++ {
					s.Y[2][i] = uint64(int64(r.IntN(256) - 128))
				}
			}
		}
	}
	gather := func(name string, l, w byte, op byte, idx32 bool, elem, vlen int) mcase {
		// vpgather ymm0, [rsi + ymm2*4 + 8], ymm1: ModRM 01 000 100, SIB 10 010 110, disp8 8.
		code := seq(vex(l, w, 2, 1, 1, op, 0x44, 0x96, 0x08)...)
		return mcase{name, code, func(s *hostState) {
			g := PlanGather(yr(s, 2), yr(s, 1), idx32, elem, vlen, 4, 8)
			for i := 0; i < g.N; i++ {
				if g.Load>>i&1 != 0 {
					g.Vals[i] = mem(g.Addr[i], elem)
				}
			}
			d, m := GatherDone(yr(s, 0), &g)
			setY(s, 0, d)
			setY(s, 1, m)
		}, idxPrep(idx32)}
	}
	cases := []mcase{
		gather("vpgatherdd", 0, 0, 0x90, true, 4, 16),
		gather("vpgatherdd/256", 1, 0, 0x90, true, 4, 32),
		gather("vpgatherdq", 0, 1, 0x90, true, 8, 16),
		gather("vpgatherdq/256", 1, 1, 0x90, true, 8, 32),
		gather("vpgatherqd", 0, 0, 0x91, false, 4, 16),
		gather("vpgatherqd/256", 1, 0, 0x91, false, 4, 32),
		gather("vpgatherqq/256", 1, 1, 0x91, false, 8, 32),
		gather("vgatherdps/256", 1, 0, 0x92, true, 4, 32),
		gather("vgatherqpd", 0, 1, 0x93, false, 8, 16),
		gather("vgatherdpd/256", 1, 1, 0x92, true, 8, 32),
		gather("vgatherqps", 0, 0, 0x93, false, 4, 16),
		gather("vgatherqps/256", 1, 0, 0x93, false, 4, 32),
		// vpmaskmovd ymm0, ymm1, [rsi]: ModRM 00 000 110.
		{"vpmaskmovd/load", seq(vex(1, 0, 2, 1, 1, 0x8C, 0x06)...), func(s *hostState) { setY(s, 0, MaskedD(memY(0), yr(s, 1))) }, nil},
		{"vpmaskmovq/load", seq(vex(0, 1, 2, 1, 1, 0x8C, 0x06)...), func(s *hostState) { setXZ(s, 0, MaskedQ(memY(0), yr(s, 1)).Lo()) }, nil},
		{"vmaskmovps/load", seq(vex(1, 0, 2, 1, 1, 0x2C, 0x06)...), func(s *hostState) { setY(s, 0, MaskedD(memY(0), yr(s, 1))) }, nil},
		{"vbroadcasti128", seq(vex(1, 0, 2, 1, 0, 0x5A, 0x06)...), func(s *hostState) { setY(s, 0, Broadcast128(memY(0).Lo())) }, nil},
		{"vbroadcastf128", seq(vex(1, 0, 2, 1, 0, 0x1A, 0x06)...), func(s *hostState) { setY(s, 0, Broadcast128(memY(0).Lo())) }, nil},
		{"vmaskmovpd/store", seq(append(vex(1, 0, 2, 1, 1, 0x2F, 0x06), vex(1, 0, 1, 2, 0, 0x6F, 0x1E)...)...), func(s *hostState) {
			r, m := memY(0), MaskQ(yr(s, 1))
			for i := 0; i < 4; i++ {
				if m>>i&1 != 0 {
					r[i] = s.Y[0][i]
				}
			}
			setY(s, 3, r)
		}, nil},
		// vpmaskmovd/q [rsi], ymm1, ymm0; vmovdqu ymm3, [rsi].
		{"vpmaskmovd/store", seq(append(vex(1, 0, 2, 1, 1, 0x8E, 0x06), vex(1, 0, 1, 2, 0, 0x6F, 0x1E)...)...), func(s *hostState) {
			r, m := memY(0), MaskD(yr(s, 1))
			for i := 0; i < 8; i++ {
				if m>>i&1 != 0 {
					r.SetD(i, yr(s, 0).D(i))
				}
			}
			setY(s, 3, r)
		}, nil},
		{"vpmaskmovq/store", seq(append(vex(1, 1, 2, 1, 1, 0x8E, 0x06), vex(1, 0, 1, 2, 0, 0x6F, 0x1E)...)...), func(s *hostState) {
			r, m := memY(0), MaskQ(yr(s, 1))
			for i := 0; i < 4; i++ {
				if m>>i&1 != 0 {
					r[i] = s.Y[0][i]
				}
			}
			setY(s, 3, r)
		}, nil},
	}
	r := newRand(99)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k := 0; k < 5000; k++ {
				for i := 2048; i < 4096; i++ {
					page[i] = byte(r.Uint32())
				}
				in := randState(r, &icase{elem: eInt})
				if c.prep != nil {
					c.prep(r, &in)
				}
				host, model := in, in
				j.run(c.code, &host)
				host.Flags &= StatusFlags
				c.model(&model)
				model.G[4] = 0
				if host != model {
					t.Fatalf("in %v\n%s", &in, stateDiff(&host, &model))
				}
			}
		})
	}
}

func setYD(s *hostState, reg, i int, v uint32) {
	sh := uint(i%2) * 32
	s.Y[reg][i/2] = s.Y[reg][i/2]&^(0xffffffff<<sh) | uint64(v)<<sh
}

func fmaCases() []icase {
	var cases []icase
	ops := []struct {
		name string
		op   FMAOp
		base byte // the 132 ps/pd opcode
	}{
		{"vfmadd", FMAdd, 0x98}, {"vfmsub", FMSub, 0x9A}, {"vfnmadd", FNMAdd, 0x9C}, {"vfnmsub", FNMSub, 0x9E},
		{"vfmaddsub", FMAddSub, 0x96}, {"vfmsubadd", FMSubAdd, 0x97},
	}
	orders := []struct {
		name string
		off  byte
		abc  [3]int // registers of a, b, c: dst=0, src2=1, src3=2
	}{{"132", 0x00, [3]int{0, 2, 1}}, {"213", 0x10, [3]int{1, 0, 2}}, {"231", 0x20, [3]int{1, 2, 0}}}
	for _, o := range ops {
		for _, ord := range orders {
			op, abc := o.op, ord.abc
			code := o.base + ord.off
			hexop := hexStr(code)
			cases = append(cases,
				cs(o.name+ord.name+"ps", "VEX.128.66.0F38.W0 "+hexop, eF32, func(s *hostState, _ uint8) {
					r, fl := FMAPS(op, xr(s, abc[0]), xr(s, abc[1]), xr(s, abc[2]), s.MXCSR)
					fpResult(s, fl, func() { setXZ(s, 0, r) })
				}),
				cs(o.name+ord.name+"ps/256", "VEX.256.66.0F38.W0 "+hexop, eF32, func(s *hostState, _ uint8) {
					r, fl := FMAPSY(op, yr(s, abc[0]), yr(s, abc[1]), yr(s, abc[2]), s.MXCSR)
					fpResult(s, fl, func() { setY(s, 0, r) })
				}),
				cs(o.name+ord.name+"pd/256", "VEX.256.66.0F38.W1 "+hexop, eF64, func(s *hostState, _ uint8) {
					r, fl := FMAPDY(op, yr(s, abc[0]), yr(s, abc[1]), yr(s, abc[2]), s.MXCSR)
					fpResult(s, fl, func() { setY(s, 0, r) })
				}),
			)
			if op >= FMAddSub {
				continue
			}
			hexss := hexStr(code + 1)
			cases = append(cases,
				cs(o.name+ord.name+"ss", "VEX.LIG.66.0F38.W0 "+hexss, eF32, func(s *hostState, _ uint8) {
					v, fl := FMA32(op, 0, uint32(s.Y[abc[0]][0]), uint32(s.Y[abc[1]][0]), uint32(s.Y[abc[2]][0]), s.MXCSR)
					fpResult(s, fl, func() {
						d := xr(s, 0)
						d.SetD(0, v)
						setXZ(s, 0, d)
					})
				}),
				cs(o.name+ord.name+"sd", "VEX.LIG.66.0F38.W1 "+hexss, eF64, func(s *hostState, _ uint8) {
					v, fl := FMA64(op, 0, s.Y[abc[0]][0], s.Y[abc[1]][0], s.Y[abc[2]][0], s.MXCSR)
					fpResult(s, fl, func() { setXZ(s, 0, X{v, s.Y[0][1]}) })
				}),
			)
		}
	}
	return cases
}

func TestFMA(t *testing.T) { runCases(t, fmaCases()) }

func hexStr(b byte) string {
	const h = "0123456789ABCDEF"
	return string([]byte{h[b>>4], h[b&15]})
}

func f16cCases() []icase {
	return []icase{
		cs("vcvtph2ps", "VEX.128.66.0F38.W0 13", eF16, func(s *hostState, _ uint8) {
			r, fl := CvtPH2PS(xr(s, 2), s.MXCSR)
			fpResult(s, fl, func() { setXZ(s, 0, r) })
		}).regs(0, 0, 2),
		cs("vcvtph2ps/256", "VEX.256.66.0F38.W0 13", eF16, func(s *hostState, _ uint8) {
			r, fl := CvtPH2PSY(xr(s, 2), s.MXCSR)
			fpResult(s, fl, func() { setY(s, 0, r) })
		}).regs(0, 0, 2),
		// vcvtps2ph xmm1(rm), xmm0(reg), imm.
		cs("vcvtps2ph", "VEX.128.66.0F3A.W0 1D", eF32, func(s *hostState, imm uint8) {
			r, fl := CvtPS2PH(xr(s, 0), imm, s.MXCSR)
			fpResult(s, fl, func() { setXZ(s, 1, X{r, 0}) })
		}).regs(0, 0, 1).withImm(imm8Lo4),
		cs("vcvtps2ph/256", "VEX.256.66.0F3A.W0 1D", eF32, func(s *hostState, imm uint8) {
			r, fl := CvtPS2PHY(yr(s, 0), imm, s.MXCSR)
			fpResult(s, fl, func() { setXZ(s, 1, r) })
		}).regs(0, 0, 1).withImm(imm8Lo4),
	}
}

func TestF16C(t *testing.T) { runCases(t, f16cCases()) }
