/* AVX, AVX2, FMA3 and F16C through the compiler's intrinsics: the forms
 * gcc's vectorizer rarely picks on its own (gathers, masked loads and
 * stores, permutes across lanes, broadcasts, 128-bit inserts and
 * extracts, variable shifts, blends, vtestps, every FMA form, half-precision
 * conversions with each rounding mode, and the VEX.128 forms of the SSE4
 * string compares), on data that covers signs, zeros, denormals, infinities
 * and NaNs. Every result is printed as a checksum, so the output depends
 * only on the instructions' semantics. Built at -march=x86-64-v3 without
 * BMI for glibc i386, glibc x86-64 and musl x86-64. */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t seed = 2463534242u;
static uint32_t rnd(void) { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; return seed; }

static uint64_t h = 1469598103934665603ull;
static void mix(const void *p, size_t n) {
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
}
static void report(const char *name) {
	printf("%-14s %016llx\n", name, (unsigned long long)h);
	h = 1469598103934665603ull;
}

#define NF 512
static float f[NF] __attribute__((aligned(32)));
static double d[NF] __attribute__((aligned(32)));
static int32_t iv[NF] __attribute__((aligned(32)));
static int64_t qv[NF] __attribute__((aligned(32)));

static float special(uint32_t r) {
	static const uint32_t bits[] = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x00000001,
	                                0x007fffff, 0x3f800000, 0xbf800000, 0x7f7fffff, 0x00800000, 0x3effffff};
	float x;
	uint32_t b = bits[r % (sizeof bits / sizeof bits[0])];
	memcpy(&x, &b, 4);
	return x;
}

static void fill(void) {
	for (int i = 0; i < NF; i++) {
		uint32_t r = rnd();
		f[i] = (r & 7) == 0 ? special(r >> 3) : (float)((int32_t)r) / (float)(1 << (r % 31));
		d[i] = (r & 7) == 1 ? (double)special(r >> 3) : (double)((int32_t)rnd()) * 1e-5;
		iv[i] = (int32_t)rnd();
		qv[i] = (int64_t)rnd() << 32 | rnd();
	}
}

__attribute__((noinline)) static void fma_forms(void) {
	for (int i = 0; i + 24 <= NF; i += 8) {
		__m256 a = _mm256_load_ps(f + i), b = _mm256_loadu_ps(f + i + 8), c = _mm256_loadu_ps(f + i + 16);
		__m256 r[] = {_mm256_fmadd_ps(a, b, c), _mm256_fmsub_ps(a, b, c), _mm256_fnmadd_ps(a, b, c),
		              _mm256_fnmsub_ps(a, b, c), _mm256_fmaddsub_ps(a, b, c), _mm256_fmsubadd_ps(a, b, c)};
		mix(r, sizeof r);
		__m128 s = _mm_fmadd_ss(_mm256_castps256_ps128(a), _mm256_castps256_ps128(b), _mm256_castps256_ps128(c));
		mix(&s, sizeof s);
	}
	for (int i = 0; i + 12 <= NF; i += 4) {
		__m256d a = _mm256_load_pd(d + i), b = _mm256_loadu_pd(d + i + 4), c = _mm256_loadu_pd(d + i + 8);
		__m256d r[] = {_mm256_fmadd_pd(a, b, c), _mm256_fnmsub_pd(a, b, c), _mm256_fmaddsub_pd(a, b, c)};
		mix(r, sizeof r);
		__m128d s = _mm_fnmadd_sd(_mm256_castpd256_pd128(a), _mm256_castpd256_pd128(b), _mm256_castpd256_pd128(c));
		mix(&s, sizeof s);
	}
	report("fma");
}

__attribute__((noinline)) static void f16c_forms(void) {
	for (int i = 0; i + 8 <= NF; i += 8) {
		__m256 a = _mm256_loadu_ps(f + i);
		__m128i h0 = _mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT);
		__m128i h1 = _mm256_cvtps_ph(a, _MM_FROUND_TO_NEG_INF);
		__m128i h2 = _mm256_cvtps_ph(a, _MM_FROUND_TO_POS_INF);
		__m128i h3 = _mm256_cvtps_ph(a, _MM_FROUND_TO_ZERO);
		__m128i h4 = _mm_cvtps_ph(_mm256_castps256_ps128(a), _MM_FROUND_CUR_DIRECTION);
		__m256 back = _mm256_cvtph_ps(h1);
		__m128 back4 = _mm_cvtph_ps(h4);
		mix(&h0, 16), mix(&h1, 16), mix(&h2, 16), mix(&h3, 16), mix(&h4, 16);
		mix(&back, 32), mix(&back4, 16);
	}
	report("f16c");
}

__attribute__((noinline)) static void gathers(void) {
	for (int i = 0; i + 8 <= NF; i += 8) {
		__m256i idx = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(iv + i)), _mm256_set1_epi32(NF / 2 - 1));
		__m128i idx4 = _mm256_castsi256_si128(idx);
		__m256i qidx = _mm256_cvtepi32_epi64(idx4);
		__m256 mask = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(iv + (i + 8 < NF ? i + 8 : 0))));
		__m256 g0 = _mm256_i32gather_ps(f, idx, 4);
		__m256 g1 = _mm256_mask_i32gather_ps(_mm256_set1_ps(-1.0f), f, idx, mask, 4);
		__m256d g2 = _mm256_i32gather_pd(d, idx4, 8);
		__m128 g3 = _mm256_i64gather_ps(f, qidx, 4);
		__m256d g4 = _mm256_i64gather_pd(d, qidx, 8);
		__m256i g5 = _mm256_i32gather_epi32(iv, idx, 4);
		__m256i g6 = _mm256_i64gather_epi64((const long long *)qv, qidx, 8);
		__m128i g7 = _mm_i32gather_epi32(iv, idx4, 4);
		__m128i g8 = _mm256_i64gather_epi32(iv, qidx, 4);
		__m256i g9 = _mm256_i32gather_epi64((const long long *)qv, idx4, 8);
		mix(&g0, 32), mix(&g1, 32), mix(&g2, 32), mix(&g3, 16), mix(&g4, 32);
		mix(&g5, 32), mix(&g6, 32), mix(&g7, 16), mix(&g8, 16), mix(&g9, 32);
	}
	report("gather");
}

__attribute__((noinline)) static void masked(void) {
	static float out[NF + 8] __attribute__((aligned(32)));
	static int64_t qout[NF + 4] __attribute__((aligned(32)));
	for (int i = 0; i + 8 <= NF; i += 8) {
		__m256i m = _mm256_loadu_si256((const __m256i *)(iv + i));
		__m256 a = _mm256_maskload_ps(f + i, m);
		__m128 b = _mm_maskload_ps(f + i, _mm256_castsi256_si128(m));
		__m256d c = _mm256_maskload_pd(d + i, m);
		__m256i e = _mm256_maskload_epi32(iv + i, m);
		__m256i q = _mm256_maskload_epi64((const long long *)qv + i, m);
		_mm256_maskstore_ps(out + i, m, a);
		_mm256_maskstore_epi64((long long *)qout + i / 2, m, q);
		mix(&a, 32), mix(&b, 16), mix(&c, 32), mix(&e, 32), mix(&q, 32);
	}
	mix(out, sizeof out);
	mix(qout, sizeof qout);
	report("maskmov");
}

__attribute__((noinline)) static void permutes(void) {
	for (int i = 0; i + 16 <= NF; i += 8) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(iv + i)), b = _mm256_loadu_si256((const __m256i *)(iv + i + 8));
		__m256 fa = _mm256_loadu_ps(f + i), fb = _mm256_loadu_ps(f + i + 8);
		__m256i r[] = {
			_mm256_permutevar8x32_epi32(a, b), _mm256_permute4x64_epi64(a, 0x4e), _mm256_permute2x128_si256(a, b, 0x21),
			_mm256_inserti128_si256(a, _mm256_castsi256_si128(b), 1), _mm256_blend_epi32(a, b, 0xa5),
			_mm256_sllv_epi32(a, _mm256_and_si256(b, _mm256_set1_epi32(63))),
			_mm256_srav_epi32(a, _mm256_and_si256(b, _mm256_set1_epi32(63))),
			_mm256_srlv_epi64(a, _mm256_and_si256(b, _mm256_set1_epi64x(127))),
			_mm256_broadcastb_epi8(_mm256_castsi256_si128(a)), _mm256_broadcastw_epi16(_mm256_castsi256_si128(b)),
			_mm256_broadcastq_epi64(_mm256_castsi256_si128(a)), _mm256_shuffle_epi8(a, b), _mm256_alignr_epi8(a, b, 5),
			_mm256_mpsadbw_epu8(a, b, 0x2d), _mm256_packus_epi32(a, b), _mm256_mulhrs_epi16(a, b),
		};
		__m256 s[] = {
			_mm256_permutevar8x32_ps(fa, b), _mm256_permute2f128_ps(fa, fb, 0x13), _mm256_insertf128_ps(fa, _mm256_castps256_ps128(fb), 0),
			_mm256_permutevar_ps(fa, a), _mm256_permute_ps(fa, 0x1b), _mm256_blendv_ps(fa, fb, fa), _mm256_dp_ps(fa, fb, 0xf1),
			_mm256_broadcast_ss(f + i), _mm256_round_ps(fa, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
			_mm256_cmp_ps(fa, fb, _CMP_NGE_UQ), _mm256_cmp_ps(fa, fb, _CMP_EQ_OS), _mm256_hadd_ps(fa, fb),
		};
		__m128i x = _mm256_extracti128_si256(a, 1);
		int t = _mm256_testc_ps(fa, fb) | _mm256_testz_ps(fa, fb) << 1 | _mm256_testnzc_si256(a, b) << 2 | _mm_testz_pd(_mm256_castpd256_pd128(_mm256_castps_pd(fa)), _mm256_castpd256_pd128(_mm256_castps_pd(fb))) << 3;
		int mm = _mm256_movemask_ps(fa) | _mm256_movemask_epi8(a) << 8;
		mix(r, sizeof r), mix(s, sizeof s), mix(&x, 16), mix(&t, sizeof t), mix(&mm, sizeof mm);
	}
	report("permute");
}

__attribute__((noinline)) static void strings(void) {
	static const char text[] = "The quick brown fox jumps over the lazy dog; 0123456789 {}[]()<>!?";
	const __m128i set = _mm_setr_epi8('a', 'e', 'i', 'o', 'u', 'y', '0', '9', 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i range = _mm_setr_epi8('a', 'z', 'A', 'Z', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	for (size_t i = 0; i + 16 <= sizeof text; i++) {
		__m128i s = _mm_loadu_si128((const __m128i *)(text + i));
		int r[] = {_mm_cmpistri(set, s, _SIDD_CMP_EQUAL_ANY), _mm_cmpistri(range, s, _SIDD_CMP_RANGES | _SIDD_NEGATIVE_POLARITY),
		           _mm_cmpestri(set, 6, s, 16, _SIDD_CMP_EQUAL_ANY | _SIDD_MOST_SIGNIFICANT), _mm_cmpistrz(range, s, _SIDD_CMP_RANGES)};
		__m128i m = _mm_cmpistrm(set, s, _SIDD_CMP_EQUAL_ANY | _SIDD_UNIT_MASK);
		mix(r, sizeof r), mix(&m, 16);
	}
	report("strings");
}

int main(void) {
	fill();
	fma_forms();
	f16c_forms();
	gathers();
	masked();
	permutes();
	strings();
	_mm256_zeroall();
	return 0;
}
