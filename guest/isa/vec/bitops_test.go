package vec

import (
	"encoding/binary"
	"testing"
)

// setGR writes a size-byte result into GPR i: 2 merges, 4 zero-extends.
func setGR(s *hostState, i int, v uint64, size int) {
	switch size {
	case 2:
		s.G[i] = s.G[i]&^0xffff | v&0xffff
	case 4:
		s.G[i] = v & 0xffffffff
	default:
		s.G[i] = v
	}
}

// bitPrep biases GPR inputs towards small counts and sparse masks.
func bitPrep(r *randT, s *hostState) {
	for i := range s.G {
		switch r.IntN(5) {
		case 0:
			s.G[i] = uint64(r.IntN(80))
		case 1:
			s.G[i] = uint64(r.IntN(80)) | uint64(r.IntN(80))<<8
		case 2:
			s.G[i] = 1 << r.IntN(64)
		}
	}
}

func bitOpsCases() []icase {
	type fl3 = func(v uint64, size int, fl uint32) (uint64, uint32)
	var cases []icase
	for _, sz := range []struct {
		sfx, pre string
		size     int
	}{{"16", "66 ", 2}, {"32", "", 4}, {"64", "REX.W ", 8}} {
		size := sz.size
		for _, c := range []struct {
			name, op string
			f        fl3
		}{{"lzcnt", "BD", Lzcnt}, {"tzcnt", "BC", Tzcnt}} {
			f := c.f
			enc := "F3 " + sz.pre + "0F " + c.op
			if size == 2 {
				enc = "66 F3 0F " + c.op
			}
			cases = append(cases, cs(c.name+sz.sfx, enc, eInt, func(s *hostState, _ uint8) {
				v, fl := f(s.G[1], size, uint32(s.Flags))
				setGR(s, 0, v, size)
				s.Flags = uint64(fl)
			}).prep(bitPrep))
		}
	}
	for _, w := range []struct {
		sfx, vw string
		size    int
	}{{"32", "W0", 4}, {"64", "W1", 8}} {
		size := w.size
		vex := func(pp, m string) string { return "VEX.LZ." + pp + m + "." + w.vw }
		cases = append(cases,
			// andn rax, rdx, rcx; bextr rax, rcx, rdx; bzhi rax, rcx, rdx.
			cs("andn"+w.sfx, vex("", "0F38")+" F2", eInt, func(s *hostState, _ uint8) {
				v, fl := Andn(s.G[2], s.G[1], size)
				setGR(s, 0, v, size)
				s.Flags = uint64(fl)
			}).regs(0, 2, 1).prep(bitPrep),
			cs("bextr"+w.sfx, vex("", "0F38")+" F7", eInt, func(s *hostState, _ uint8) {
				v, fl := Bextr(s.G[1], s.G[2], size)
				setGR(s, 0, v, size)
				s.Flags = uint64(fl)
			}).regs(0, 2, 1).prep(bitPrep),
			cs("bzhi"+w.sfx, vex("", "0F38")+" F5", eInt, func(s *hostState, _ uint8) {
				v, fl := Bzhi(s.G[1], s.G[2], size)
				setGR(s, 0, v, size)
				s.Flags = uint64(fl)
			}).regs(0, 2, 1).prep(bitPrep),
			// mulx rax, rbx, rcx (rdx implicit).
			cs("mulx"+w.sfx, vex("F2.", "0F38")+" F6", eInt, func(s *hostState, _ uint8) {
				hi, lo := Mulx(s.G[2], s.G[1], size)
				setGR(s, 3, lo, size)
				setGR(s, 0, hi, size)
			}).regs(0, 3, 1),
			cs("mulx-same"+w.sfx, vex("F2.", "0F38")+" F6", eInt, func(s *hostState, _ uint8) {
				hi, _ := Mulx(s.G[2], s.G[1], size)
				setGR(s, 0, hi, size)
			}).regs(0, 0, 1),
			cs("pdep"+w.sfx, vex("F2.", "0F38")+" F5", eInt, func(s *hostState, _ uint8) { setGR(s, 0, Pdep(s.G[2], s.G[1], size), size) }).regs(0, 2, 1).prep(bitPrep),
			cs("pext"+w.sfx, vex("F3.", "0F38")+" F5", eInt, func(s *hostState, _ uint8) { setGR(s, 0, Pext(s.G[2], s.G[1], size), size) }).regs(0, 2, 1).prep(bitPrep),
			cs("rorx"+w.sfx, vex("F2.", "0F3A")+" F0", eInt, func(s *hostState, imm uint8) { setGR(s, 0, Rorx(s.G[1], imm, size), size) }).regs(0, 0, 1).withImm(imm8),
			cs("sarx"+w.sfx, vex("F3.", "0F38")+" F7", eInt, func(s *hostState, _ uint8) { setGR(s, 0, Sarx(s.G[1], s.G[2], size), size) }).regs(0, 2, 1).prep(bitPrep),
			cs("shlx"+w.sfx, vex("66.", "0F38")+" F7", eInt, func(s *hostState, _ uint8) { setGR(s, 0, Shlx(s.G[1], s.G[2], size), size) }).regs(0, 2, 1).prep(bitPrep),
			cs("shrx"+w.sfx, vex("F2.", "0F38")+" F7", eInt, func(s *hostState, _ uint8) { setGR(s, 0, Shrx(s.G[1], s.G[2], size), size) }).regs(0, 2, 1).prep(bitPrep),
		)
		// blsr /1, blsmsk /2, blsi /3: the destination is vvvv (rdx).
		for _, c := range []struct {
			name string
			ext  int
			f    func(v uint64, size int) (uint64, uint32)
		}{{"blsr", 1, Blsr}, {"blsmsk", 2, Blsmsk}, {"blsi", 3, Blsi}} {
			f := c.f
			cases = append(cases, cs(c.name+w.sfx, vex("", "0F38")+" F3", eInt, func(s *hostState, _ uint8) {
				v, fl := f(s.G[1], size)
				setGR(s, 2, v, size)
				s.Flags = uint64(fl)
			}).regs(c.ext, 2, 1).prep(bitPrep))
		}
		rex := ""
		if size == 8 {
			rex = "REX.W "
		}
		cases = append(cases,
			cs("adcx"+w.sfx, "66 "+rex+"0F 38 F6", eInt, func(s *hostState, _ uint8) {
				v, c := Adcx(s.G[0], s.G[1], s.Flags&CF != 0, size)
				setGR(s, 0, v, size)
				s.Flags &^= CF
				if c {
					s.Flags |= CF
				}
			}),
			cs("adox"+w.sfx, "F3 "+rex+"0F 38 F6", eInt, func(s *hostState, _ uint8) {
				v, c := Adcx(s.G[0], s.G[1], s.Flags&OF != 0, size)
				setGR(s, 0, v, size)
				s.Flags &^= OF
				if c {
					s.Flags |= OF
				}
			}),
		)
	}
	return cases
}

func TestBitOps(t *testing.T) { runCases(t, bitOpsCases()) }

// TestMovbe stores rcx to a buffer in the instruction page and loads it
// with movbe: mov [buf], rcx; movbe rax/eax/ax, [buf].
func TestMovbe(t *testing.T) {
	const buf = 2048
	for _, c := range []struct {
		name   string
		prefix []byte
		size   int
	}{{"movbe16", []byte{0x66}, 2}, {"movbe32", nil, 4}, {"movbe64", []byte{0x48}, 8}} {
		var code []byte
		ripRel := func(p ...byte) {
			code = append(code, p...)
			code = binary.LittleEndian.AppendUint32(code, uint32(int32(buf-(len(code)+4))))
		}
		ripRel(0x48, 0x89, 0x0D)                            // mov [rip+buf], rcx
		ripRel(append(c.prefix, 0x0F, 0x38, 0xF0, 0x05)...) // movbe rax, [rip+buf]
		size := c.size
		ic := icase{name: c.name, elem: eInt, model: func(s *hostState, _ uint8) { setGR(s, 0, Movbe(s.G[1], size), size) }}
		runCode(t, &ic, code)
	}
}
