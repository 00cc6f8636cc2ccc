package vec

import "testing"

var (
	sinkX  X
	sinkY  Y
	sinkU  uint64
	sinkFl uint32
)

var (
	benchA = X{0x3fc000003f800000, 0x40490fdb42c80000} // 1, 1.5, 100, π
	benchB = X{0x3eaaaaab40400000, 0x3f3504f3c1200000}
	benchD = X{0x3ff5555555555555, 0x400921fb54442d18}
	benchE = X{0x3fe6a09e667f3bcd, 0xc024000000000000}
)

func BenchmarkAddPS(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX, sinkFl = AddPS(benchA, benchB, MXCSRDefault)
	}
}

func BenchmarkAddSD(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX, sinkFl = AddSD(benchD, benchE, MXCSRDefault)
	}
}

func BenchmarkMulSD(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX, sinkFl = MulSD(benchD, benchE, MXCSRDefault|RoundUp<<RCShift)
	}
}

func BenchmarkDivPD(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX, sinkFl = DivPD(benchD, benchE, MXCSRDefault)
	}
}

func BenchmarkSqrtSD(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX, sinkFl = SqrtSD(benchD, benchD, MXCSRDefault)
	}
}

func BenchmarkFMAPDY(b *testing.B) {
	b.ReportAllocs()
	a, c := YOf(benchD, benchE), YOf(benchE, benchD)
	for range b.N {
		sinkY, sinkFl = FMAPDY(FMAdd, a, c, a, MXCSRDefault)
	}
}

func BenchmarkCvtSD2SI(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkU, sinkFl = CvtSD2SI(benchE, true, MXCSRDefault)
	}
}

func BenchmarkCmpPS(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX, sinkFl = CmpPS(benchA, benchB, CmpLE_OS, MXCSRDefault)
	}
}

func BenchmarkPaddB(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX = PaddB(benchA, benchB)
	}
}

func BenchmarkPshufb(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX = Pshufb(benchA, benchB)
	}
}

func BenchmarkPmaddWD(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX = PmaddWD(benchA, benchB)
	}
}

func BenchmarkPcmpIstrI(b *testing.B) {
	b.ReportAllocs()
	hay := X{0x6f77206f6c6c6568, 0x0021646c72}
	needle := X{0x646c72, 0}
	for range b.N {
		var c uint32
		c, sinkFl = PcmpIstrI(needle, hay, StrEqualOrdered)
		sinkU = uint64(c)
	}
}

func BenchmarkCrc32Q(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkU = uint64(Crc32(uint32(sinkU), 0x0123456789abcdef, 8))
	}
}

func BenchmarkAesEnc(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX = AesEnc(benchA, benchB)
	}
}

func BenchmarkPclmulqdq(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX = Pclmulqdq(benchA, benchB, 0x11)
	}
}

func BenchmarkSha256Rnds2(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkX = Sha256Rnds2(benchA, benchB, benchD)
	}
}

func BenchmarkPdep(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		sinkU = Pdep(0x123456789, 0xf0f0f0f0f0f0f0f0, 8)
	}
}
