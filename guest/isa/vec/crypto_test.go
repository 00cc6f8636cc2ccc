package vec

import (
	"crypto/aes"
	"encoding/binary"
	"testing"
)

func cryptoCases() []icase {
	cases := []icase{}
	for _, c := range []struct {
		name, op string
		f        i2
	}{{"aesenc", "DC", AesEnc}, {"aesenclast", "DD", AesEncLast}, {"aesdec", "DE", AesDec}, {"aesdeclast", "DF", AesDecLast}} {
		cases = append(cases,
			cs(c.name, "66 0F 38 "+c.op, eInt, legI(c.f)),
			cs("v"+c.name, "VEX.128.66.0F38.WIG "+c.op, eInt, vexI(c.f)))
	}
	cases = append(cases,
		cs("aesimc", "66 0F 38 DB", eInt, legI1(AesImc)),
		cs("aeskeygenassist", "66 0F 3A DF", eInt, func(s *hostState, imm uint8) { setX(s, 0, AesKeygenAssist(xr(s, 1), imm)) }).withImm(imm8),
		cs("pclmulqdq", "66 0F 3A 44", eInt, legII(Pclmulqdq)).withImm(imm8),
		cs("vpclmulqdq", "VEX.128.66.0F3A.WIG 44", eInt, vexII(Pclmulqdq)).withImm(imm8),
		cs("sha1rnds4", "0F 3A CC", eInt, legII(Sha1Rnds4)).withImm(imm8),
		cs("sha1nexte", "0F 38 C8", eInt, legI(Sha1Nexte)),
		cs("sha1msg1", "0F 38 C9", eInt, legI(Sha1Msg1)),
		cs("sha1msg2", "0F 38 CA", eInt, legI(Sha1Msg2)),
		// sha256rnds2 xmm2, xmm1, <xmm0>.
		cs("sha256rnds2", "0F 38 CB", eInt, func(s *hostState, _ uint8) { setX(s, 2, Sha256Rnds2(xr(s, 2), xr(s, 1), xr(s, 0))) }).regs(2, 0, 1),
		cs("sha256msg1", "0F 38 CC", eInt, legI(Sha256Msg1)),
		cs("sha256msg2", "0F 38 CD", eInt, legI(Sha256Msg2)),
	)
	return cases
}

func TestCrypto(t *testing.T) { runCases(t, cryptoCases()) }

// TestAESKnownAnswer checks the round functions against crypto/aes: a
// full AES-128 encryption of one block built from AesEnc/AesEncLast and
// the key schedule from AesKeygenAssist.
func TestAESKnownAnswer(t *testing.T) {
	key := []byte("0123456789abcdef")
	pt := []byte("minemu vector!!!")
	load := func(b []byte) X { return X{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])} }
	rk := []X{load(key)}
	rcon := []uint8{1, 2, 4, 8, 16, 32, 64, 128, 0x1b, 0x36}
	for i := 0; i < 10; i++ {
		prev := rk[i]
		t := AesKeygenAssist(prev, rcon[i])
		w := t.D(3)
		var k X
		k.SetD(0, prev.D(0)^w)
		k.SetD(1, prev.D(1)^k.D(0))
		k.SetD(2, prev.D(2)^k.D(1))
		k.SetD(3, prev.D(3)^k.D(2))
		rk = append(rk, k)
	}
	s := Xor(load(pt), rk[0])
	for i := 1; i < 10; i++ {
		s = AesEnc(s, rk[i])
	}
	s = AesEncLast(s, rk[10])
	c, _ := aes.NewCipher(key)
	want := make([]byte, 16)
	c.Encrypt(want, pt)
	if s != load(want) {
		t.Fatalf("got %x, want %x", s, load(want))
	}
	// And back with the equivalent inverse cipher.
	d := Xor(s, rk[10])
	for i := 9; i >= 1; i-- {
		d = AesDec(d, AesImc(rk[i]))
	}
	d = AesDecLast(d, rk[0])
	if d != load(pt) {
		t.Fatalf("decrypt: got %x, want %x", d, load(pt))
	}
}
