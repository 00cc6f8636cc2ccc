/* Vectorizable kernels for the SIMD lowering: built with plain -O2
 * (SSE2), -march=x86-64-v2 (SSE4.2, POPCNT) and, on i386, -msse2; gcc's
 * vectorizer turns the loops into pmuludq, pmaddwd, psadbw, packs,
 * saturating and averaging ops, shuffles, packed conversions and, at v2,
 * pmulld, pminsd, pmovzx, ptest, pshufb, crc32, popcnt. Every result is
 * printed as a checksum. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <fenv.h>

#define N 64
static uint32_t a32[N * N], b32[N * N];
static uint64_t c64[N * N];
static int32_t i32[N * N];
static int16_t s16a[1024], s16b[1024];
static uint8_t u8a[4096], u8b[4096];
static float fa[1024], fb[1024];
static double da[1024];

static uint32_t seed = 12345;
static uint32_t rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 8; }

static uint64_t fnv(const void *p, size_t n) {
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

__attribute__((noinline)) static void matmul64(void) {
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			uint64_t s = 0;
			for (int k = 0; k < N; k++) s += (uint64_t)a32[i * N + k] * b32[j * N + k];
			c64[i * N + j] = s;
		}
}

__attribute__((noinline)) static void matmul32(void) {
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			int32_t s = 0;
			for (int k = 0; k < N; k++) s += (int32_t)a32[i * N + k] * (int32_t)b32[j * N + k];
			i32[i * N + j] = s;
		}
}

__attribute__((noinline)) static int64_t dot16(void) {
	int32_t s = 0;
	for (int i = 0; i < 1024; i++) s += s16a[i] * s16b[i];
	return s;
}

__attribute__((noinline)) static uint32_t sad(void) {
	uint32_t s = 0;
	for (int i = 0; i < 4096; i++) s += u8a[i] > u8b[i] ? u8a[i] - u8b[i] : u8b[i] - u8a[i];
	return s;
}

__attribute__((noinline)) static void satavg(uint8_t *out) {
	for (int i = 0; i < 4096; i++) {
		unsigned s = u8a[i] + u8b[i];
		out[i] = s > 255 ? 255 : s;
		out[i] ^= (u8a[i] + u8b[i] + 1) >> 1;
	}
}

__attribute__((noinline)) static void pack16(int16_t *o) {
	for (int i = 0; i < 1024; i++) {
		int v = s16a[i] * 3;
		o[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
	}
}

__attribute__((noinline)) static void minmax(int16_t *o, int32_t *o2) {
	for (int i = 0; i < 1024; i++) {
		o[i] = s16a[i] < s16b[i] ? s16a[i] : s16b[i];
		o2[i] = i32[i] > (int32_t)a32[i] ? i32[i] : (int32_t)a32[i];
	}
}

__attribute__((noinline)) static void widen(int32_t *o) {
	for (int i = 0; i < 1024; i++) o[i] = u8a[i] + s16a[i];
}

__attribute__((noinline)) static void conv(int32_t *oi, double *od) {
	for (int i = 0; i < 1024; i++) {
		fa[i] = (float)i32[i] * 0.5f + fb[i];
		oi[i] = (int32_t)(fa[i] / 3.0f);
		od[i] = (double)fa[i] * da[i];
	}
}

static uint32_t crc_table[256];
static uint32_t crc32b(const uint8_t *p, size_t n) {
	uint32_t c = ~0u;
	for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

__attribute__((noinline)) static int popsum(void) {
	int s = 0;
	for (int i = 0; i < N * N; i++) s += __builtin_popcount(a32[i]);
	return s;
}

int main(void) {
	for (int i = 0; i < N * N; i++) { a32[i] = rnd(); b32[i] = rnd(); }
	for (int i = 0; i < 1024; i++) {
		s16a[i] = rnd(); s16b[i] = rnd();
		fb[i] = (float)(int32_t)rnd() / 1024.0f; da[i] = (double)rnd() / 7.0;
	}
	for (int i = 0; i < 4096; i++) { u8a[i] = rnd(); u8b[i] = rnd(); }
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	matmul64();
	printf("matmul64 %016llx\n", (unsigned long long)fnv(c64, sizeof c64));
	matmul32();
	printf("matmul32 %016llx\n", (unsigned long long)fnv(i32, sizeof i32));
	printf("dot16 %lld\n", (long long)dot16());
	printf("sad %u\n", sad());
	static uint8_t o8[4096];
	satavg(o8);
	printf("satavg %016llx\n", (unsigned long long)fnv(o8, sizeof o8));
	static int16_t o16[1024];
	pack16(o16);
	printf("pack16 %016llx\n", (unsigned long long)fnv(o16, sizeof o16));
	static int32_t o32[1024];
	minmax(o16, o32);
	printf("minmax %016llx %016llx\n", (unsigned long long)fnv(o16, sizeof o16), (unsigned long long)fnv(o32, sizeof o32));
	widen(o32);
	printf("widen %016llx\n", (unsigned long long)fnv(o32, sizeof o32));
	static double od[1024];
	const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
	for (int m = 0; m < 4; m++) {
		fesetround(modes[m]);
		conv(o32, od);
		printf("conv%d %016llx %016llx %016llx\n", m, (unsigned long long)fnv(fa, sizeof fa),
		       (unsigned long long)fnv(o32, sizeof o32), (unsigned long long)fnv(od, sizeof od));
	}
	fesetround(FE_TONEAREST);
	/* MXCSR's sticky flags, read and cleared directly (feclearexcept
	 * also touches the x87 environment). */
	__builtin_ia32_ldmxcsr(0x1f80);
	volatile float z = 0.0f, one = 1.0f, third = 3.0f;
	volatile float q = one / z;
	unsigned f1 = __builtin_ia32_stmxcsr();
	volatile float r = one / third;
	unsigned f2 = __builtin_ia32_stmxcsr();
	printf("mxcsr %g %g %#x %#x\n", q, r, f1, f2);
	double s = 0;
	for (int i = 0; i < 1024; i++) s += sqrt(da[i]) + floor(fb[i]) + rint(fb[i] * 3.3);
	printf("math %.17g\n", s);
	printf("crc %08x %08x\n", crc32b(u8a, sizeof u8a), crc32b((const uint8_t *)c64, sizeof c64));
	printf("popcount %d\n", popsum());
	char buf[256];
	memset(buf, 'x', sizeof buf);
	buf[200] = 0;
	printf("strlen %zu strchr %td memcmp %d\n", strlen(buf), strchr(buf, 0) - buf, memcmp(u8a, u8b, 64) > 0);
	return 0;
}
