package x87

// Compares and classification: fcom and fucom (C0 C2 C3), fcomi and
// fucomi (ZF PF CF), ftst and fxam.

// Compare compares x with y (x is ST(0) of fcom, fucom, fcomi, fucomi)
// and returns the condition codes: C0 for x < y, C3 for x = y, none for
// x > y, and C3 C2 C0 for unordered; it also writes them into SW (and
// clears C1). The ordered compare (quiet false: fcom, fcomi) raises IE on
// any NaN, the unordered one (fucom, fucomi) only on an SNaN;
// unsupported encodings raise IE either way, and denormals DE. The
// condition codes are written even when IE or DE is unmasked; the popping
// forms then do not pop (Aborted tells).
func (e *Env) Compare(x, y F80, quiet bool) uint16 {
	e.begin()
	cc := e.compare(x, y, quiet)
	e.setC1(false)
	e.setCC(cc)
	return cc
}

func (e *Env) compare(x, y F80, quiet bool) uint16 {
	const unordered = C3 | C2 | C0
	switch {
	case x.isUnsupported() || y.isUnsupported():
		e.raise(IE)
		return unordered
	case x.IsNaN() || y.IsNaN():
		if !quiet || x.isSNaN() || y.isSNaN() {
			e.raise(IE)
		}
		return unordered
	}
	if x.isDenormal() || y.isDenormal() || e.opDE {
		e.raise(DE)
	}
	switch c := cmpVal(x, y); {
	case c < 0:
		return C0
	case c == 0:
		return C3
	}
	return 0
}

// cmpVal orders two values that are not NaNs or unsupported.
func cmpVal(x, y F80) int {
	if x.isZero() && y.isZero() {
		return 0
	}
	xn, yn := x.Neg(), y.Neg()
	if xn != yn {
		if xn {
			return -1
		}
		return 1
	}
	c := cmpMag(x, y)
	if xn {
		return -c
	}
	return c
}

// cmpMag orders |x| and |y|.
func cmpMag(x, y F80) int {
	ex, ey := x.SE&expMax, y.SE&expMax
	// A pseudo-denormal reads with exponent 1; it has the integer bit, so
	// the significands order it correctly against exponent-1 normals.
	if ex == 0 {
		ex = 1
	}
	if ey == 0 {
		ey = 1
	}
	switch {
	case x.isZero():
		if y.isZero() {
			return 0
		}
		return -1
	case y.isZero():
		return 1
	case ex != ey:
		if ex < ey {
			return -1
		}
		return 1
	case x.Mant != y.Mant:
		if x.Mant < y.Mant {
			return -1
		}
		return 1
	}
	return 0
}

// EFLAGS bits set by CompareFlags.
const (
	FlagCF = 1 << 0
	FlagPF = 1 << 2
	FlagZF = 1 << 6
)

// CompareFlags is Compare for fcomi and fucomi: it returns ZF PF CF (CF
// for x < y, ZF for equal, none for greater, all three for unordered) to
// be written into EFLAGS, with OF, SF and AF cleared. SW gets C1 cleared
// and its C0 C2 C3 are left alone.
func (e *Env) CompareFlags(x, y F80, quiet bool) uint32 {
	e.begin()
	cc := e.compare(x, y, quiet)
	e.setC1(false)
	var f uint32
	if cc&C0 != 0 {
		f |= FlagCF
	}
	if cc&C2 != 0 {
		f |= FlagPF
	}
	if cc&C3 != 0 {
		f |= FlagZF
	}
	return f
}

// Test compares x with +0 (ftst), an ordered compare.
func (e *Env) Test(x F80) uint16 { return e.Compare(x, PosZero, false) }

// Examine classifies x (fxam) and returns the condition codes it writes
// into SW: C1 is the sign, and C3 C2 C0 are 000 unsupported, 001 NaN, 010
// normal, 011 infinity, 100 zero, 101 empty, 110 denormal (also a
// pseudo-denormal). empty is whether ST(0) is tagged empty; x is still
// the register's contents, whose sign C1 reports. It raises nothing.
func (e *Env) Examine(x F80, empty bool) uint16 {
	e.begin()
	var cc uint16
	switch c := x.Class(); {
	case empty:
		cc = C3 | C0
	case c == Unsupported:
	case c == QNaN || c == SNaN:
		cc = C0
	case c == Normal:
		cc = C2
	case c == Infinity:
		cc = C2 | C0
	case c == Zero:
		cc = C3
	default:
		cc = C3 | C2
	}
	if x.Neg() {
		cc |= C1
	}
	e.SW = e.SW&^CC | cc
	return cc
}

// Abs is fabs: x with the sign cleared, C1 cleared, nothing raised (not
// even for an SNaN).
func (e *Env) Abs(x F80) F80 {
	e.begin()
	e.setC1(false)
	return x.Abs()
}

// Chs is fchs: x with the sign inverted, C1 cleared, nothing raised.
func (e *Env) Chs(x F80) F80 {
	e.begin()
	e.setC1(false)
	return x.Chs()
}
