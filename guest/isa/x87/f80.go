package x87

// F80 is an 80-bit extended-precision value in its register encoding:
// Mant is the 64-bit significand with its explicit integer bit (bit 63),
// SE holds the sign (bit 15) and the biased exponent (bits 0-14, bias
// 16383). Every bit pattern is a valid F80; Class tells what it encodes.
type F80 struct {
	Mant uint64
	SE   uint16
}

// Class is the kind of value an F80 encodes.
type Class uint8

const (
	Zero           Class = iota // exponent 0, significand 0
	Denormal                    // exponent 0, integer bit 0, significand not 0
	PseudoDenormal              // exponent 0, integer bit 1: read as a denormal
	Normal                      // exponent 1..0x7ffe, integer bit 1
	Infinity                    // exponent 0x7fff, significand 0x8000000000000000
	QNaN                        // exponent 0x7fff, bits 63 and 62 set
	SNaN                        // exponent 0x7fff, bit 63 set, bit 62 clear, fraction not 0
	Unsupported                 // unnormal, pseudo-NaN, pseudo-infinity: invalid operands
)

const (
	expBias = 16383
	expMax  = 0x7fff
	intBit  = 1 << 63
	qBit    = 1 << 62
)

// Frequently used values.
var (
	// Indefinite is the QNaN floating-point indefinite, the masked response
	// to an invalid operation.
	Indefinite = F80{0xc000000000000000, 0xffff}
	One        = F80{intBit, expBias}
	PosZero    = F80{}
	NegZero    = F80{0, 0x8000}
	PosInf     = F80{intBit, expMax}
	NegInf     = F80{intBit, 0x8000 | expMax}
)

// Exp is the biased exponent.
func (x F80) Exp() int { return int(x.SE & expMax) }

// Neg reports whether the sign bit is set.
func (x F80) Neg() bool { return x.SE&0x8000 != 0 }

// Class classifies x.
func (x F80) Class() Class {
	e := x.SE & expMax
	switch {
	case e == 0:
		switch {
		case x.Mant == 0:
			return Zero
		case x.Mant&intBit != 0:
			return PseudoDenormal
		}
		return Denormal
	case x.Mant&intBit == 0:
		return Unsupported
	case e != expMax:
		return Normal
	case x.Mant == intBit:
		return Infinity
	case x.Mant&qBit != 0:
		return QNaN
	}
	return SNaN
}

// IsNaN reports whether x is a quiet or signalling NaN (not a pseudo-NaN).
func (x F80) IsNaN() bool {
	return x.SE&expMax == expMax && x.Mant&intBit != 0 && x.Mant<<1 != 0
}

func (x F80) isSNaN() bool { return x.IsNaN() && x.Mant&qBit == 0 }
func (x F80) isInf() bool  { return x.SE&expMax == expMax && x.Mant == intBit }
func (x F80) isZero() bool { return x.SE&expMax == 0 && x.Mant == 0 }

// isDenormal: denormals and pseudo-denormals, the operands that raise DE.
func (x F80) isDenormal() bool { return x.SE&expMax == 0 && x.Mant != 0 }

func (x F80) isUnsupported() bool { return x.SE&expMax != 0 && x.Mant&intBit == 0 }

// Abs is x with the sign cleared (fabs); it raises nothing.
func (x F80) Abs() F80 { return F80{x.Mant, x.SE &^ 0x8000} }

// Chs is x with the sign inverted (fchs); it raises nothing.
func (x F80) Chs() F80 { return F80{x.Mant, x.SE ^ 0x8000} }

func (x F80) quiet() F80 { return F80{x.Mant | qBit, x.SE} }

func zeroOf(neg bool) F80 { return F80{0, sgn(neg)} }
func infOf(neg bool) F80  { return F80{intBit, sgn(neg) | expMax} }

func sgn(neg bool) uint16 {
	if neg {
		return 0x8000
	}
	return 0
}

// unpack returns the significand and the unbiased exponent of a finite
// non-zero x such that |x| = m * 2^(e-63); denormals read with exponent
// -16382. m is not normalised.
func (x F80) unpack() (m uint64, e int) {
	be := int(x.SE & expMax)
	if be == 0 {
		be = 1
	}
	return x.Mant, be - expBias
}
