package x87

import "testing"

func TestCompareHost(t *testing.T) {
	const flagMask = 0x8d5 // CF PF AF ZF SF OF
	for _, tc := range []struct {
		name  string
		host  func(*hostState)
		quiet bool
		flags bool
		pop   bool
	}{
		{"fcom", hostFcom, false, false, false}, {"fucom", hostFucom, true, false, false},
		{"fcomi", hostFcomi, false, true, false}, {"fucomi", hostFucomi, true, true, false},
		{"fcomp", hostFcomp, false, false, true}, {"fcomip", hostFcomip, false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGen(*flagSeed + 4)
			bad := 0
			for i := 0; i < *flagIters && bad < 20; i++ {
				a, b := g.pair()
				if g.r.IntN(8) == 0 {
					b = a
				}
				cw := g.cw()
				sw0 := g.sw0()
				o := hostSW(tc.host, cw, sw0, a, b, nil)
				e := Env{CW: cw, SW: sw0}
				var ok bool
				if tc.flags {
					// The host's flags before fcomi: whatever the Go code left;
					// only an aborted compare keeps them, so compare the
					// flags only when it did not abort.
					f := e.CompareFlags(b, a, tc.quiet)
					ok = o.sw&^topMask == e.SW && o.flags&flagMask == f
				} else {
					e.Compare(b, a, tc.quiet)
					ok = o.sw&^topMask == e.SW
				}
				wantTop := uint16(6)
				if tc.pop && !e.Aborted() {
					wantTop = 7
				}
				if o.sw>>11&7 != wantTop {
					ok = false
				}
				if !ok {
					t.Errorf("%s cw=%04x st0=%v st1=%v: host sw=%04x top=%d flags=%03x, engine sw=%04x aborted=%v",
						tc.name, cw, b, a, o.sw&^topMask, o.sw>>11&7, o.flags&flagMask, e.SW, e.Aborted())
					bad++
				}
			}
		})
	}
}

func TestUnaryHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		host func(*hostState)
		eng  func(e *Env, x F80) F80
	}{
		{"frndint", hostFrndint, (*Env).Round},
		{"fabs", hostFabs, (*Env).Abs},
		{"fchs", hostFchs, (*Env).Chs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGen(*flagSeed + 5)
			bad := 0
			for i := 0; i < *flagIters && bad < 20; i++ {
				x := g.storeOperand()
				cw := g.cw()
				sw0 := g.sw0()
				o := hostSW(tc.host, cw, sw0, One, x, nil)
				e := Env{CW: cw, SW: sw0}
				r := tc.eng(&e, x)
				want := r
				if e.Aborted() {
					want = x
				}
				if o.r0 != want || o.r1 != One || o.sw&^topMask != e.SW {
					t.Errorf("%s cw=%04x x=%v: host %v sw=%04x, engine %v sw=%04x", tc.name, cw, x, o.r0, o.sw&^topMask, r, e.SW)
					bad++
				}
			}
		})
	}
}

func TestExamineHost(t *testing.T) {
	g := newGen(*flagSeed + 6)
	bad := 0
	for i := 0; i < *flagIters && bad < 20; i++ {
		x := g.f80()
		empty := i%5 == 0
		h := hostFxam
		if empty {
			h = hostFxamEmpty
		}
		sw0 := g.sw0()
		o := hostSW(h, DefaultCW, sw0, One, x, nil)
		e := Env{CW: DefaultCW, SW: sw0}
		e.Examine(x, empty)
		if o.sw&^topMask != e.SW {
			t.Errorf("fxam x=%v empty=%v: host sw=%04x, engine sw=%04x", x, empty, o.sw&^topMask, e.SW)
			bad++
		}
	}
}

// premOperands draws x and y for fprem: exponent differences around 0,
// 63/64 and the partial-remainder steps.
func (g *gen) premOperands() (x, y F80) {
	x, y = g.pair()
	if g.r.IntN(2) == 0 && x.SE&expMax != 0 && x.SE&expMax != expMax {
		d := [...]int{-2, -1, 0, 1, 2, 31, 32, 33, 62, 63, 64, 65, 95, 96, 100, 1000}[g.r.IntN(16)]
		ex := int(x.SE&expMax) - d
		if ex > 0 && ex < 0x7fff {
			y = F80{g.mant(), g.sign() | uint16(ex)}
		}
	}
	return x, y
}

func TestPremScaleHost(t *testing.T) {
	for _, tc := range []struct {
		name string
		host func(*hostState)
		eng  func(e *Env, x, y F80) F80
	}{
		{"fprem", hostFprem, func(e *Env, x, y F80) F80 { return e.Prem(x, y, false) }},
		{"fprem1", hostFprem1, func(e *Env, x, y F80) F80 { return e.Prem(x, y, true) }},
		{"fscale", hostFscale, (*Env).Scale},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGen(*flagSeed + 7)
			bad := 0
			for i := 0; i < *flagIters && bad < 20; i++ {
				x, y := g.premOperands()
				if tc.name == "fscale" && g.r.IntN(2) == 0 {
					y = fromInt(int64(1+g.r.IntN(70000)), g.sign())
					if g.r.IntN(2) == 0 {
						y = F80{g.mant(), g.sign() | uint16(expBias+g.r.IntN(20))}
					}
				}
				cw := g.cw()
				sw0 := g.sw0()
				o := hostSW(tc.host, cw, sw0, y, x, nil)
				e := Env{CW: cw, SW: sw0}
				r := tc.eng(&e, x, y)
				want := r
				if e.Aborted() {
					want = x
				}
				if o.r0 != want || o.r1 != y || o.sw&^topMask != e.SW {
					t.Errorf("%s cw=%04x sw0=%04x x=%v y=%v: host %v sw=%04x, engine %v sw=%04x", tc.name, cw, sw0, x, y, o.r0, o.sw&^topMask, r, e.SW)
					bad++
				}
			}
		})
	}
}

func TestExtractHost(t *testing.T) {
	g := newGen(*flagSeed + 8)
	bad := 0
	for i := 0; i < *flagIters && bad < 20; i++ {
		x := g.f80()
		cw := g.cw()
		sw0 := g.sw0()
		o := hostSW(hostFxtract, cw, sw0, One, x, nil)
		e := Env{CW: cw, SW: sw0}
		ex, sig := e.Extract(x)
		w0, w1 := sig, ex
		if e.Aborted() {
			w0, w1 = x, One
		}
		if o.r0 != w0 || o.r1 != w1 || o.sw&^topMask != e.SW {
			t.Errorf("fxtract cw=%04x x=%v: host %v %v sw=%04x, engine %v %v sw=%04x", cw, x, o.r0, o.r1, o.sw&^topMask, sig, ex, e.SW)
			bad++
		}
	}
}
