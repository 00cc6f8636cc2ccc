package vec

import "testing"

// Crafted cases that decide a rule the random tests could miss, each run
// on the host and on the model.
func TestPinnedFloat(t *testing.T) {
	j := newJIT(t)
	mulss := parseEncoding("F3 0F 59").encode(0, 0, 1)
	cases := []struct {
		name string
		a, b uint32
		mx   uint32
		want uint32 // the result lane
		fl   uint32
	}{
		// (1-2^-23)(1+2^-23)·2^-126 = 2^-126(1-2^-46): below the smallest
		// normal before rounding, equal to it after: not tiny (no UE), and
		// FTZ does not flush it.
		{"tiny-after-rounding", 0x3f7ffffe, 0x00800001, MXCSRDefault, 0x00800000, PE},
		{"tiny-after-rounding-ftz", 0x3f7ffffe, 0x00800001, MXCSRDefault | FTZ, 0x00800000, PE},
		// Rounded down it stays below: tiny, inexact.
		{"tiny-rz", 0x3f7ffffe, 0x00800001, MXCSRDefault | RoundZero<<RCShift, 0x007fffff, UE | PE},
		{"tiny-rz-ftz", 0x3f7ffffe, 0x00800001, MXCSRDefault | RoundZero<<RCShift | FTZ, 0, UE | PE},
		// An exact subnormal result: no UE when masked, but FTZ flushes it.
		{"exact-subnormal", 0x3f000000, 0x00800000, MXCSRDefault, 0x00400000, 0},
		{"exact-subnormal-ftz", 0x3f000000, 0x00800000, MXCSRDefault | FTZ, 0, UE | PE},
	}
	for _, c := range cases {
		s := hostState{MXCSR: c.mx}
		s.Y[0][0], s.Y[1][0] = uint64(c.a), uint64(c.b)
		j.run(mulss, &s)
		got, fl := MulSS(X{uint64(c.a)}, X{uint64(c.b)}, c.mx)
		if uint32(s.Y[0][0]) != c.want || s.MXCSR&ExceptionFlags != c.fl {
			t.Errorf("%s: host %#x flags %#x, want %#x flags %#x", c.name, uint32(s.Y[0][0]), s.MXCSR&ExceptionFlags, c.want, c.fl)
		}
		if uint32(got[0]) != c.want || fl != c.fl {
			t.Errorf("%s: model %#x flags %#x, want %#x flags %#x", c.name, uint32(got[0]), fl, c.want, c.fl)
		}
	}
}

func TestCatchXM(t *testing.T) {
	catchXM(t)
	j := newJIT(t)
	s := hostState{MXCSR: MXCSRDefault &^ (ZE << MaskShift)}
	s.Y[0][0], s.Y[1][0] = 0x3f800000, 0 // 1/0
	j.run(parseEncoding("F3 0F 5E").encode(0, 0, 1), &s)
	if s.Trapped != 1 || s.MXCSR&ExceptionFlags != ZE || s.Y[0][0] != 0x3f800000 {
		t.Fatalf("got trapped %d mxcsr %#x xmm0 %#x", s.Trapped, s.MXCSR, s.Y[0][0])
	}
	s = hostState{MXCSR: MXCSRDefault}
	s.Y[0][0], s.Y[1][0] = 0x3f800000, 0
	j.run(parseEncoding("F3 0F 5E").encode(0, 0, 1), &s)
	if s.Trapped != 0 || s.Y[0][0] != 0x7f800000 {
		t.Fatalf("masked: got trapped %d xmm0 %#x", s.Trapped, s.Y[0][0])
	}
}
