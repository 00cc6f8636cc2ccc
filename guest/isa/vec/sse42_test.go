package vec

import "testing"

// strPrep fills xmm0 and xmm1 from a small alphabet (with zeros) and makes
// rax and rdx small signed lengths, mostly.
func strPrep(r *randT, s *hostState) {
	alpha := []uint8{0, 1, 2, 3, 0x80, 0xff, 0x7f, 'a', 'b'}
	for reg := 0; reg < 2; reg++ {
		if r.IntN(8) == 0 {
			continue // fully random
		}
		k := 2 + r.IntN(len(alpha)-1)
		for i := 0; i < 16; i++ {
			b := alpha[r.IntN(k)]
			if r.IntN(3) != 0 && b == 0 {
				b = alpha[1+r.IntN(k-1)]
			}
			setYB(s, reg, i, b)
		}
	}
	for _, g := range []int{0, 2} {
		switch r.IntN(4) {
		case 0:
		case 1:
			s.G[g] = uint64(int64(r.IntN(41) - 20))
		default:
			s.G[g] = uint64(r.IntN(18)) | s.G[g]&^0xffffffff*uint64(r.IntN(2))
		}
	}
}

func setYB(s *hostState, reg, i int, b uint8) {
	sh := uint(i%8) * 8
	s.Y[reg][i/8] = s.Y[reg][i/8]&^(0xff<<sh) | uint64(b)<<sh
}

func sse42StringCases() []icase {
	e32 := func(v uint64) int64 { return int64(int32(v)) }
	e64 := func(v uint64) int64 { return int64(v) }
	var cases []icase
	for _, w := range []struct {
		sfx, rex, vw string
		ext          func(uint64) int64
	}{{"", "", "W0", e32}, {"/64", "REX.W ", "W1", e64}} {
		ext := w.ext
		cases = append(cases,
			cs("pcmpestri"+w.sfx, "66 "+w.rex+"0F 3A 61", eInt, func(s *hostState, imm uint8) {
				c, fl := PcmpEstrI(xr(s, 0), xr(s, 1), ext(s.G[0]), ext(s.G[2]), imm)
				s.G[1], s.Flags = uint64(c), uint64(fl)
			}).withImm(imm8).prep(strPrep),
			cs("pcmpestrm"+w.sfx, "66 "+w.rex+"0F 3A 60", eInt, func(s *hostState, imm uint8) {
				m, fl := PcmpEstrM(xr(s, 0), xr(s, 1), ext(s.G[0]), ext(s.G[2]), imm)
				setX(s, 0, m)
				s.Flags = uint64(fl)
			}).withImm(imm8).prep(strPrep),
			cs("vpcmpestri"+w.sfx, "VEX.128.66.0F3A."+w.vw+" 61", eInt, func(s *hostState, imm uint8) {
				c, fl := PcmpEstrI(xr(s, 0), xr(s, 1), ext(s.G[0]), ext(s.G[2]), imm)
				s.G[1], s.Flags = uint64(c), uint64(fl)
			}).regs(0, 0, 1).withImm(imm8).prep(strPrep),
		)
	}
	cases = append(cases,
		cs("pcmpistri", "66 0F 3A 63", eInt, func(s *hostState, imm uint8) {
			c, fl := PcmpIstrI(xr(s, 0), xr(s, 1), imm)
			s.G[1], s.Flags = uint64(c), uint64(fl)
		}).withImm(imm8).prep(strPrep),
		cs("pcmpistrm", "66 0F 3A 62", eInt, func(s *hostState, imm uint8) {
			m, fl := PcmpIstrM(xr(s, 0), xr(s, 1), imm)
			setX(s, 0, m)
			s.Flags = uint64(fl)
		}).withImm(imm8).prep(strPrep),
		cs("vpcmpistrm", "VEX.128.66.0F3A.WIG 62", eInt, func(s *hostState, imm uint8) {
			m, fl := PcmpIstrM(xr(s, 0), xr(s, 1), imm)
			setXZ(s, 0, m)
			s.Flags = uint64(fl)
		}).regs(0, 0, 1).withImm(imm8).prep(strPrep),
	)
	for i := range cases {
		cases[i].iters = 30000
	}
	return cases
}

func TestSSE42String(t *testing.T) { runCases(t, sse42StringCases()) }

func crc32PopcntCases() []icase {
	return []icase{
		cs("crc32b", "F2 0F 38 F0", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(Crc32(uint32(s.G[0]), s.G[1], 1)) }),
		cs("crc32w", "66 F2 0F 38 F1", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(Crc32(uint32(s.G[0]), s.G[1], 2)) }),
		cs("crc32d", "F2 0F 38 F1", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(Crc32(uint32(s.G[0]), s.G[1], 4)) }),
		cs("crc32q", "F2 REX.W 0F 38 F1", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(Crc32(uint32(s.G[0]), s.G[1], 8)) }),
		cs("crc32b/64", "F2 REX.W 0F 38 F0", eInt, func(s *hostState, _ uint8) { s.G[0] = uint64(Crc32(uint32(s.G[0]), s.G[1], 1)) }),
		cs("popcnt16", "66 F3 0F B8", eInt, func(s *hostState, _ uint8) {
			v, fl := Popcnt(s.G[1], 2)
			s.G[0] = s.G[0]&^0xffff | v
			s.Flags = uint64(fl)
		}),
		cs("popcnt32", "F3 0F B8", eInt, func(s *hostState, _ uint8) {
			v, fl := Popcnt(s.G[1], 4)
			s.G[0], s.Flags = v, uint64(fl)
		}),
		cs("popcnt64", "F3 REX.W 0F B8", eInt, func(s *hostState, _ uint8) {
			v, fl := Popcnt(s.G[1], 8)
			s.G[0], s.Flags = v, uint64(fl)
		}),
	}
}

func TestCrc32Popcnt(t *testing.T) { runCases(t, crc32PopcntCases()) }
