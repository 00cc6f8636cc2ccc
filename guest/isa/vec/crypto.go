package vec

import "math/bits"

// AES-NI, PCLMULQDQ and SHA. The AES state is the 16 bytes of an X in
// column-major order (byte 4c+r is row r of column c), as the instructions
// use it.

// gfMul multiplies in GF(2^8) modulo x^8+x^4+x^3+x+1.
func gfMul(a, b uint8) uint8 {
	var p uint8
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

// sbox and invSbox are computed from the definition: the multiplicative
// inverse followed by the affine transformation.
var sbox, invSbox = func() (s, inv [256]uint8) {
	for i := 0; i < 256; i++ {
		var x uint8
		if i != 0 {
			for y := 1; y < 256; y++ {
				if gfMul(uint8(i), uint8(y)) == 1 {
					x = uint8(y)
					break
				}
			}
		}
		v := x ^ bits.RotateLeft8(x, 1) ^ bits.RotateLeft8(x, 2) ^ bits.RotateLeft8(x, 3) ^ bits.RotateLeft8(x, 4) ^ 0x63
		s[i] = v
		inv[v] = uint8(i)
	}
	return s, inv
}()

func shiftRows(a X, inverse bool) X {
	var r X
	for c := 0; c < 4; c++ {
		for row := 0; row < 4; row++ {
			src := (c + row) % 4
			if inverse {
				src = (c - row + 4) % 4
			}
			r.SetB(4*c+row, a.B(4*src+row))
		}
	}
	return r
}

func subBytes(a X, t *[256]uint8) X {
	var r X
	for i := 0; i < 16; i++ {
		r.SetB(i, t[a.B(i)])
	}
	return r
}

// mulTab[k][x] is x times 2, 3, 9, 11, 13, 14 (k = 0..5) in GF(2^8).
var mulTab = func() (t [6][256]uint8) {
	for k, m := range [6]uint8{2, 3, 9, 11, 13, 14} {
		for x := range 256 {
			t[k][x] = gfMul(m, uint8(x))
		}
	}
	return t
}()

func mixColumns(a X, inverse bool) X {
	var r X
	for c := 0; c < 4; c++ {
		b0, b1, b2, b3 := a.B(4*c), a.B(4*c+1), a.B(4*c+2), a.B(4*c+3)
		if inverse {
			m9, m11, m13, m14 := &mulTab[2], &mulTab[3], &mulTab[4], &mulTab[5]
			r.SetB(4*c, m14[b0]^m11[b1]^m13[b2]^m9[b3])
			r.SetB(4*c+1, m9[b0]^m14[b1]^m11[b2]^m13[b3])
			r.SetB(4*c+2, m13[b0]^m9[b1]^m14[b2]^m11[b3])
			r.SetB(4*c+3, m11[b0]^m13[b1]^m9[b2]^m14[b3])
			continue
		}
		m2, m3 := &mulTab[0], &mulTab[1]
		r.SetB(4*c, m2[b0]^m3[b1]^b2^b3)
		r.SetB(4*c+1, b0^m2[b1]^m3[b2]^b3)
		r.SetB(4*c+2, b0^b1^m2[b2]^m3[b3])
		r.SetB(4*c+3, m3[b0]^b1^b2^m2[b3])
	}
	return r
}

// AesEnc is aesenc: one encryption round of state with round key k.
func AesEnc(state, k X) X {
	return Xor(mixColumns(subBytes(shiftRows(state, false), &sbox), false), k)
}

// AesEncLast is aesenclast: the last encryption round (no MixColumns).
func AesEncLast(state, k X) X { return Xor(subBytes(shiftRows(state, false), &sbox), k) }

// AesDec is aesdec: one decryption round (the equivalent inverse cipher).
func AesDec(state, k X) X {
	return Xor(mixColumns(subBytes(shiftRows(state, true), &invSbox), true), k)
}

// AesDecLast is aesdeclast.
func AesDecLast(state, k X) X { return Xor(subBytes(shiftRows(state, true), &invSbox), k) }

// AesImc is aesimc: InvMixColumns of a round key.
func AesImc(k X) X { return mixColumns(k, true) }

func subWord(w uint32) uint32 {
	return uint32(sbox[w&0xff]) | uint32(sbox[w>>8&0xff])<<8 | uint32(sbox[w>>16&0xff])<<16 | uint32(sbox[w>>24])<<24
}

// AesKeygenAssist is aeskeygenassist with round constant imm.
func AesKeygenAssist(a X, imm uint8) X {
	x1, x3 := subWord(a.D(1)), subWord(a.D(3))
	rcon := uint32(imm)
	var r X
	r.SetD(0, x1)
	r.SetD(1, bits.RotateLeft32(x1, -8)^rcon)
	r.SetD(2, x3)
	r.SetD(3, bits.RotateLeft32(x3, -8)^rcon)
	return r
}

// Pclmulqdq is pclmulqdq: the carry-less product of a's quadword imm[0]
// and b's quadword imm[4].
func Pclmulqdq(a, b X, imm uint8) X {
	x, y := a[imm&1], b[imm>>4&1]
	var lo, hi uint64
	for i := uint(0); i < 64; i++ {
		if y>>i&1 != 0 {
			lo ^= x << i
			if i > 0 {
				hi ^= x >> (64 - i)
			}
		}
	}
	return X{lo, hi}
}

// Sha1Rnds4 is sha1rnds4: four SHA-1 rounds on the state A:B:C:D (a's
// dwords 3..0) with the message words plus E in b, using the round
// function and constant imm[1:0].
func Sha1Rnds4(a, b X, imm uint8) X {
	A, B, C, D := a.D(3), a.D(2), a.D(1), a.D(0)
	W := [4]uint32{b.D(3), b.D(2), b.D(1), b.D(0)}
	K := [4]uint32{0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6}[imm&3]
	f := func(b, c, d uint32) uint32 {
		switch imm & 3 {
		case 0:
			return b&c ^ ^b&d
		case 2:
			return b&c ^ b&d ^ c&d
		}
		return b ^ c ^ d
	}
	var E uint32
	for i := 0; i < 4; i++ {
		nA := f(B, C, D) + bits.RotateLeft32(A, 5) + W[i] + E + K
		A, B, C, D, E = nA, A, bits.RotateLeft32(B, 30), C, D
	}
	var r X
	r.SetD(3, A)
	r.SetD(2, B)
	r.SetD(1, C)
	r.SetD(0, D)
	return r
}

// Sha1Nexte is sha1nexte: E (a's dword 3 rotated left by 30) added to
// b's dword 3.
func Sha1Nexte(a, b X) X {
	b.SetD(3, b.D(3)+bits.RotateLeft32(a.D(3), 30))
	return b
}

// Sha1Msg1 is sha1msg1.
func Sha1Msg1(a, b X) X {
	w0, w1, w2, w3 := a.D(3), a.D(2), a.D(1), a.D(0)
	w4, w5 := b.D(3), b.D(2)
	var r X
	r.SetD(3, w2^w0)
	r.SetD(2, w3^w1)
	r.SetD(1, w4^w2)
	r.SetD(0, w5^w3)
	return r
}

// Sha1Msg2 is sha1msg2.
func Sha1Msg2(a, b X) X {
	w13, w14, w15 := b.D(2), b.D(1), b.D(0)
	w16 := bits.RotateLeft32(a.D(3)^w13, 1)
	w17 := bits.RotateLeft32(a.D(2)^w14, 1)
	w18 := bits.RotateLeft32(a.D(1)^w15, 1)
	w19 := bits.RotateLeft32(a.D(0)^w16, 1)
	var r X
	r.SetD(3, w16)
	r.SetD(2, w17)
	r.SetD(1, w18)
	r.SetD(0, w19)
	return r
}

func ror(x uint32, n int) uint32 { return bits.RotateLeft32(x, -n) }

// Sha256Rnds2 is sha256rnds2: two SHA-256 rounds; a holds C D G H, b holds
// A B E F (dwords 3..0), wk the two message-plus-constant words (the
// implicit xmm0's dwords 0 and 1).
func Sha256Rnds2(a, b, wk X) X {
	A, B, C, D := b.D(3), b.D(2), a.D(3), a.D(2)
	E, F, G, H := b.D(1), b.D(0), a.D(1), a.D(0)
	for i := 0; i < 2; i++ {
		ch := E&F ^ ^E&G
		maj := A&B ^ A&C ^ B&C
		s0 := ror(A, 2) ^ ror(A, 13) ^ ror(A, 22)
		s1 := ror(E, 6) ^ ror(E, 11) ^ ror(E, 25)
		t := ch + s1 + wk.D(i) + H
		A, B, C, D, E, F, G, H = t+maj+s0, A, B, C, t+D, E, F, G
	}
	var r X
	r.SetD(3, A)
	r.SetD(2, B)
	r.SetD(1, E)
	r.SetD(0, F)
	return r
}

func sigma0(x uint32) uint32 { return ror(x, 7) ^ ror(x, 18) ^ x>>3 }
func sigma1(x uint32) uint32 { return ror(x, 17) ^ ror(x, 19) ^ x>>10 }

// Sha256Msg1 is sha256msg1.
func Sha256Msg1(a, b X) X {
	w4 := b.D(0)
	var r X
	r.SetD(3, a.D(3)+sigma0(w4))
	r.SetD(2, a.D(2)+sigma0(a.D(3)))
	r.SetD(1, a.D(1)+sigma0(a.D(2)))
	r.SetD(0, a.D(0)+sigma0(a.D(1)))
	return r
}

// Sha256Msg2 is sha256msg2.
func Sha256Msg2(a, b X) X {
	w14, w15 := b.D(2), b.D(3)
	w16 := a.D(0) + sigma1(w14)
	w17 := a.D(1) + sigma1(w15)
	w18 := a.D(2) + sigma1(w16)
	w19 := a.D(3) + sigma1(w17)
	var r X
	r.SetD(3, w19)
	r.SetD(2, w18)
	r.SetD(1, w17)
	r.SetD(0, w16)
	return r
}
