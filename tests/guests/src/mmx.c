/* MMX: every MMX instruction (and the SSE, SSE2 and SSSE3 forms on MMX
 * registers) in inline assembly on MMX registers ("y"), whose results are
 * hashed over pseudo-random operands, the MMX intrinsics of <mmintrin.h>
 * and <xmmintrin.h> (on i386 they compile to MMX; gcc may give x86-64
 * SSE code for them), and the aliasing onto the x87 state: TOP, the tag
 * word and the exponent bits after an MMX write, emms, an x87 push onto
 * a register MMX left valid. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <mmintrin.h>
#include <xmmintrin.h>

static uint32_t seed = 777;
static uint32_t rnd32(void) { seed = seed * 1103515245u + 12345u; return seed >> 8 | (seed & 0xff) << 24; }

static uint64_t rnd64(void) {
	uint64_t x = (uint64_t)rnd32() << 32 | rnd32();
	switch (rnd32() % 5) {
	case 0: return x % 70; /* a shift count */
	case 1: /* saturation edges in every byte */
		for (int i = 0; i < 8; i++) {
			static const uint8_t e[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe};
			x = x << 8 | e[rnd32() % 6];
		}
		return x;
	}
	return x;
}

static uint64_t hash = 1469598103934665603ull;
static void mix(uint64_t v) {
	for (int i = 0; i < 8; i++) hash = (hash ^ (v >> (8 * i) & 0xff)) * 1099511628211ull;
}

typedef uint64_t (*op2)(uint64_t, uint64_t);

#define M(x) ((__m64)(x))
#define U(x) ((uint64_t)(x))
#define OP2(mn)                                                                  \
	static uint64_t f_##mn(uint64_t a, uint64_t b) {                          \
		__m64 x = M(a);                                                   \
		__asm__(#mn " %1, %0" : "+y"(x) : "y"(M(b)));                     \
		return U(x);                                                      \
	}
#define OP2M(mn)                                                                 \
	static uint64_t m_##mn(uint64_t a, uint64_t b) {                          \
		__m64 x = M(a);                                                   \
		__asm__(#mn " %1, %0" : "+y"(x) : "m"(b));                        \
		return U(x);                                                      \
	}
#define BOTH(mn) OP2(mn) OP2M(mn)

BOTH(paddb) BOTH(paddw) BOTH(paddd) BOTH(paddq) BOTH(paddsb) BOTH(paddsw) BOTH(paddusb) BOTH(paddusw)
BOTH(psubb) BOTH(psubw) BOTH(psubd) BOTH(psubq) BOTH(psubsb) BOTH(psubsw) BOTH(psubusb) BOTH(psubusw)
BOTH(pcmpeqb) BOTH(pcmpeqw) BOTH(pcmpeqd) BOTH(pcmpgtb) BOTH(pcmpgtw) BOTH(pcmpgtd)
BOTH(pmullw) BOTH(pmulhw) BOTH(pmulhuw) BOTH(pmuludq) BOTH(pmaddwd)
BOTH(pand) BOTH(pandn) BOTH(por) BOTH(pxor)
BOTH(pavgb) BOTH(pavgw) BOTH(pmaxub) BOTH(pminub) BOTH(pmaxsw) BOTH(pminsw) BOTH(psadbw)
BOTH(packsswb) BOTH(packssdw) BOTH(packuswb)
BOTH(punpcklbw) BOTH(punpcklwd) BOTH(punpckldq) BOTH(punpckhbw) BOTH(punpckhwd) BOTH(punpckhdq)
BOTH(psllw) BOTH(pslld) BOTH(psllq) BOTH(psrlw) BOTH(psrld) BOTH(psrlq) BOTH(psraw) BOTH(psrad)
BOTH(pshufb) BOTH(phaddw) BOTH(phaddd) BOTH(phaddsw) BOTH(phsubw) BOTH(phsubd) BOTH(phsubsw)
BOTH(pabsb) BOTH(pabsw) BOTH(pabsd) BOTH(psignb) BOTH(psignw) BOTH(psignd) BOTH(pmaddubsw) BOTH(pmulhrsw)

#define E(mn) {#mn, f_##mn, m_##mn}
static const struct {
	const char *name;
	op2 reg, mem;
} ops[] = {
	E(paddb), E(paddw), E(paddd), E(paddq), E(paddsb), E(paddsw), E(paddusb), E(paddusw),
	E(psubb), E(psubw), E(psubd), E(psubq), E(psubsb), E(psubsw), E(psubusb), E(psubusw),
	E(pcmpeqb), E(pcmpeqw), E(pcmpeqd), E(pcmpgtb), E(pcmpgtw), E(pcmpgtd),
	E(pmullw), E(pmulhw), E(pmulhuw), E(pmuludq), E(pmaddwd),
	E(pand), E(pandn), E(por), E(pxor),
	E(pavgb), E(pavgw), E(pmaxub), E(pminub), E(pmaxsw), E(pminsw), E(psadbw),
	E(packsswb), E(packssdw), E(packuswb),
	E(punpcklbw), E(punpcklwd), E(punpckldq), E(punpckhbw), E(punpckhwd), E(punpckhdq),
	E(psllw), E(pslld), E(psllq), E(psrlw), E(psrld), E(psrlq), E(psraw), E(psrad),
	E(pshufb), E(phaddw), E(phaddd), E(phaddsw), E(phsubw), E(phsubd), E(phsubsw),
	E(pabsb), E(pabsw), E(pabsd), E(psignb), E(psignw), E(psignd), E(pmaddubsw), E(pmulhrsw),
};

/* The immediate forms, a few immediates each. */
#define SHI(mn, n)                                                               \
	static uint64_t i_##mn##_##n(uint64_t a) {                                \
		__m64 x = M(a);                                                   \
		__asm__(#mn " $" #n ", %0" : "+y"(x));                            \
		return U(x);                                                      \
	}
#define SH3(mn) SHI(mn, 1) SHI(mn, 15) SHI(mn, 33)
SH3(psllw) SH3(pslld) SH3(psllq) SH3(psrlw) SH3(psrld) SH3(psrlq) SH3(psraw) SH3(psrad)
#define I3(mn) i_##mn##_1, i_##mn##_15, i_##mn##_33
static uint64_t (*const shifts[])(uint64_t) = {I3(psllw), I3(pslld), I3(psllq), I3(psrlw), I3(psrld), I3(psrlq),
	I3(psraw), I3(psrad)};

static uint64_t pshufw(uint64_t a, int which) {
	__m64 x;
	switch (which) {
	case 0: __asm__("pshufw $0x1b, %1, %0" : "=y"(x) : "y"(M(a))); break;
	case 1: __asm__("pshufw $0xe4, %1, %0" : "=y"(x) : "m"(a)); break;
	default: __asm__("pshufw $0x9c, %1, %0" : "=y"(x) : "y"(M(a))); break;
	}
	return U(x);
}

static uint64_t palignr(uint64_t a, uint64_t b, int which) {
	__m64 x = M(a);
	switch (which) {
	case 0: __asm__("palignr $3, %1, %0" : "+y"(x) : "y"(M(b))); break;
	case 1: __asm__("palignr $8, %1, %0" : "+y"(x) : "m"(b)); break;
	case 2: __asm__("palignr $13, %1, %0" : "+y"(x) : "y"(M(b))); break;
	default: __asm__("palignr $17, %1, %0" : "+y"(x) : "y"(M(b))); break;
	}
	return U(x);
}

static void moves(uint64_t a, uint64_t b) {
	__m64 x = M(a);
	uint32_t r32, m32 = (uint32_t)b;
	uint64_t m64;
	__asm__("pinsrw $2, %1, %0" : "+y"(x) : "r"((uint32_t)b));
	mix(U(x));
	uint16_t m16 = (uint16_t)(b >> 40);
	__asm__("pinsrw $3, %1, %0" : "+y"(x) : "m"(m16));
	mix(U(x));
	__asm__("pextrw $1, %1, %0" : "=r"(r32) : "y"(x));
	mix(r32);
	__asm__("pmovmskb %1, %0" : "=r"(r32) : "y"(M(b)));
	mix(r32);
	__asm__("movd %1, %0" : "=y"(x) : "r"((uint32_t)a));
	mix(U(x));
	__asm__("movd %1, %0" : "=r"(r32) : "y"(M(b)));
	mix(r32);
	__asm__("movd %1, %0" : "=y"(x) : "m"(m32));
	mix(U(x));
	__asm__("movntq %1, %0" : "=m"(m64) : "y"(M(a)));
	mix(m64);
	uint8_t buf[8];
	memset(buf, 0x55, sizeof buf);
	__asm__("maskmovq %1, %0" : : "y"(M(a)), "y"(M(b)), "D"(buf) : "memory");
	memcpy(&m64, buf, 8);
	mix(m64);
	__m128 xmm;
	__asm__("movq2dq %1, %0" : "=x"(xmm) : "y"(M(a)));
	memcpy(&m64, &xmm, 8);
	mix(m64);
	__asm__("movdq2q %1, %0" : "=y"(x) : "x"(xmm));
	mix(U(x));
}

static void convs(void) {
	static const float fs[] = {1.5f, -2.5f, 3.49f, -0.5f, 1e10f, -3e9f, 123456.7f, 0.0f};
	static const double ds[] = {2.5, -7.5, 1e12, -2147483648.0, 0.49999999, 2147483647.4};
	for (int i = 0; i < 8; i += 2) {
		__m128 v;
		float f2[4] = {fs[i], fs[i + 1], 0, 0};
		memcpy(&v, f2, 16);
		__m64 r, t;
		__asm__("cvtps2pi %1, %0" : "=y"(r) : "x"(v));
		__asm__("cvttps2pi %1, %0" : "=y"(t) : "x"(v));
		__asm__ volatile("emms");
		printf("cvtps2pi(%g, %g) = %016llx cvttps2pi = %016llx\n", fs[i], fs[i + 1], (unsigned long long)U(r), (unsigned long long)U(t));
	}
	for (int i = 0; i < 6; i += 2) {
		__m128d v;
		double d2[2] = {ds[i], ds[i + 1]};
		memcpy(&v, d2, 16);
		__m64 r, t;
		__asm__("cvtpd2pi %1, %0" : "=y"(r) : "x"(v));
		__asm__("cvttpd2pi %1, %0" : "=y"(t) : "x"(v));
		__asm__ volatile("emms");
		printf("cvtpd2pi(%g, %g) = %016llx cvttpd2pi = %016llx\n", ds[i], ds[i + 1], (unsigned long long)U(r), (unsigned long long)U(t));
	}
	uint64_t pi = (uint64_t)(uint32_t)-123456789 << 32 | 987654321u;
	__m128 ps;
	__m128d pd;
	memset(&ps, 0, sizeof ps);
	__asm__("cvtpi2ps %1, %0" : "+x"(ps) : "y"(M(pi)));
	float f[4];
	memcpy(f, &ps, 16);
	__asm__("cvtpi2pd %1, %0" : "=x"(pd) : "m"(pi));
	double d[2];
	memcpy(d, &pd, 16);
	__asm__ volatile("emms");
	printf("cvtpi2ps %a %a cvtpi2pd %a %a\n", f[0], f[1], d[0], d[1]);
}

/* The x87 state around MMX. */
static void alias(void) {
	uint16_t env[14];
	long double st;
	__asm__ volatile("fninit; fld1; fld1; fnstenv %0" : "=m"(env));
	printf("x87: sw=%04x tw=%04x\n", env[2], env[4]);
	__asm__ volatile("fninit; fld1; fld1; movq %1, %%mm3; fnstenv %0" : "=m"(env) : "m"(hash) : "mm3");
	__asm__ volatile("emms");
	printf("after movq to mm3: sw=%04x tw=%04x\n", env[2], env[4]);
	unsigned char sv[108];
	__asm__ volatile("fnsave %0" : "=m"(sv));
	printf("fnsave registers (st0..st7 exponents):");
	for (int i = 0; i < 8; i++) printf(" %02x%02x", sv[28 + 10 * i + 9], sv[28 + 10 * i + 8]);
	printf("\n");
	__asm__ volatile("frstor %0; emms; fnstenv %1" : : "m"(sv), "m"(env) : "memory");
	printf("after emms: sw=%04x tw=%04x\n", env[2], env[4]);
	uint16_t sw;
	__asm__ volatile("fninit; pxor %%mm0, %%mm0; fld1; fnstsw %1; fstpt %0; emms" : "=m"(st), "=m"(sw) : : "mm0");
	printf("fld1 after pxor: %Lg sw=%04x\n", st, sw);
	__asm__ volatile("fninit; pxor %%mm0, %%mm0; emms; fld1; fnstsw %1; fstpt %0" : "=m"(st), "=m"(sw) : : "mm0");
	printf("fld1 after emms: %Lg sw=%04x\n", st, sw);
}

/* The intrinsics. */
static void intrinsics(void) {
	uint64_t h = 0;
	for (int i = 0; i < 500; i++) {
		__m64 a = M(rnd64()), b = M(rnd64());
		__m64 r = _mm_add_pi8(a, b);
		r = _mm_xor_si64(r, _mm_mulhi_pi16(a, b));
		r = _mm_adds_pu16(r, _mm_unpackhi_pi8(a, b));
		r = _mm_sub_pi32(r, _mm_packs_pi16(a, b));
		r = _mm_or_si64(r, _mm_cmpgt_pi16(a, b));
		r = _mm_add_pi16(r, _mm_madd_pi16(a, b));
		r = _mm_xor_si64(r, _mm_srli_pi16(a, 3));
		r = _mm_add_pi32(r, _mm_sll_pi32(b, M((uint64_t)(i % 40))));
		r = _mm_xor_si64(r, _mm_max_pi16(a, b));
		r = _mm_add_pi8(r, _mm_avg_pu8(a, b));
		r = _mm_xor_si64(r, _mm_sad_pu8(a, b));
		r = _mm_add_pi16(r, _mm_shuffle_pi16(a, 0x4e));
		h = h * 31 + U(r) + (uint64_t)_mm_movemask_pi8(b);
	}
	_mm_empty();
	printf("intrinsics %016llx\n", (unsigned long long)h);
}

int main(void) {
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		hash = 1469598103934665603ull;
		for (int i = 0; i < 300; i++) {
			uint64_t a = rnd64(), b = rnd64();
			mix(ops[k].reg(a, b));
			mix(ops[k].mem(a, b));
		}
		__asm__ volatile("emms");
		printf("%-10s %016llx\n", ops[k].name, (unsigned long long)hash);
	}
	hash = 1469598103934665603ull;
	for (int i = 0; i < 300; i++) {
		uint64_t a = rnd64(), b = rnd64();
		for (size_t k = 0; k < sizeof shifts / sizeof shifts[0]; k++) mix(shifts[k](a));
		for (int w = 0; w < 3; w++) mix(pshufw(a, w));
		for (int w = 0; w < 4; w++) mix(palignr(a, b, w));
		moves(a, b);
	}
	__asm__ volatile("emms");
	printf("imm and moves %016llx\n", (unsigned long long)hash);
	convs();
	__asm__ volatile("emms");
	alias();
	intrinsics();
	return 0;
}
