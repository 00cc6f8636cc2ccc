#define _GNU_SOURCE
/* The x87 unit through static glibc's long double functions: sinl, cosl,
 * tanl, atanl, atan2l, expl, exp2l, expm1l, logl, log2l, log10l, log1pl,
 * powl (fsin fcos fptan fpatan f2xm1 fyl2x fyl2xp1 fscale fxtract
 * frndint), fmodl and remainderl (fprem, fprem1), sqrtl, rintl under
 * the four rounding modes, frexpl/ldexpl, long double printf and strtold
 * (fbstp-free decimal conversion, fild/fistp), fegetenv/fesetenv
 * (fnstenv/fldenv), feraiseexcept/fetestexcept, and the packed decimal
 * loads and stores in inline assembly.
 *
 * The transcendentals are within 1 ulp of the exact value, not always
 * the host FPU's bit pattern, so they are printed to 14 significant
 * digits; the exact operations are printed in full (%La).
 *
 * argv[1] "fpe": unmask the zero-divide exception (feenableexcept, or
 * fldcw where musl lacks it) and divide by zero: the process dies of
 * SIGFPE at the next waiting x87 instruction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <math.h>
#include <fenv.h>

static uint32_t seed = 4242;
static uint32_t rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 8; }

/* A pseudo-random long double in [-range, range]. */
static long double rld(long double range) { return ((long double)rnd() / (1 << 24) * 2 - 1) * range; }

static const char *excepts(int e) {
	static char buf[64];
	buf[0] = 0;
	if (e & FE_INVALID) strcat(buf, " invalid");
	if (e & FE_DIVBYZERO) strcat(buf, " divbyzero");
	if (e & FE_OVERFLOW) strcat(buf, " overflow");
	if (e & FE_UNDERFLOW) strcat(buf, " underflow");
	if (e & FE_INEXACT) strcat(buf, " inexact");
	return buf[0] ? buf : " none";
}

static void trig(void) {
	static const long double xs[] = {0.0L, -0.0L, 0.5L, 1.0L, -1.0L, 3.14159265358979323846L, 1e-10L, 100.0L,
		-1234.5678L, 1e6L, 0.785398163397448309616L, 1.5707963267948966L, 1e18L};
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
		long double x = xs[i];
		printf("x=%.14Lg sin=%.14Lg cos=%.14Lg tan=%.14Lg atan=%.14Lg\n", x, sinl(x), cosl(x), tanl(x), atanl(x));
	}
	long double s = 0;
	for (int i = 0; i < 2000; i++) {
		long double x = rld(50);
		s += sinl(x) * cosl(x) + atan2l(x, rld(10)) + tanl(x / 64);
	}
	printf("trig sum %.12Lg\n", s);
	printf("specials: sin(inf)=%Lg cos(nan)=%Lg atan2(0,-0)=%.14Lg atan2(-0,-1)=%.14Lg atan(inf)=%.14Lg\n",
		sinl(INFINITY), cosl(NAN), atan2l(0.0L, -0.0L), atan2l(-0.0L, -1.0L), atanl(INFINITY));
}

static void explog(void) {
	static const long double xs[] = {0.0L, 1.0L, -1.0L, 0.5L, 10.0L, -10.0L, 100.5L, 1e-8L, 11356.0L, -11400.0L, 2.5L};
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
		long double x = xs[i];
		printf("x=%.14Lg exp=%.14Lg exp2=%.14Lg expm1=%.14Lg\n", x, expl(x), exp2l(x), expm1l(x));
	}
	static const long double ys[] = {1.0L, 2.0L, 10.0L, 0.5L, 1e-300L, 1e300L, 3.0L, 1e4000L, 1.0000001L};
	for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++) {
		long double y = ys[i];
		printf("y=%.14Lg log=%.14Lg log2=%.14Lg log10=%.14Lg log1p=%.14Lg\n", y, logl(y), log2l(y), log10l(y), log1pl(y - 1));
	}
	printf("pow: %.14Lg %.14Lg %.14Lg %.14Lg %.14Lg %Lg\n", powl(2, 0.5L), powl(10, -3), powl(-8, 1.0L / 3),
		powl(1.0001L, 10000), powl(3, 40), powl(0, -1));
	long double s = 0;
	for (int i = 0; i < 2000; i++) {
		long double x = rld(20);
		s += expl(x) / (1 + expl(x)) + logl(1 + x * x) + powl(1 + x * x, 0.25L);
	}
	printf("explog sum %.12Lg\n", s);
	printf("logs of specials: log(0)=%Lg log(-1)=%Lg exp(-inf)=%Lg exp(inf)=%Lg\n", logl(0), logl(-1), expl(-INFINITY), expl(INFINITY));
}

static void exact(void) {
	/* fprem, fprem1, fsqrt, frndint, fxtract, fscale: exact results. */
	static const long double xs[] = {10.0L, -10.0L, 1e30L, 5.5L, 7.0L, 1e-20L, 123456789.123456789L, 1e4000L};
	static const long double ys[] = {3.0L, 0.7L, -2.5L, 1e-5L, 3.14159265358979323846L};
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
		for (size_t j = 0; j < sizeof ys / sizeof ys[0]; j++)
			printf("fmod(%Lg,%Lg)=%La remainder=%La\n", xs[i], ys[j], fmodl(xs[i], ys[j]), remainderl(xs[i], ys[j]));
	uint64_t h = 0;
	for (int i = 0; i < 3000; i++) {
		long double x = rld(1e6) * (1 + (rnd() & 7)), y = rld(100) + 0.001L;
		long double r[6] = {fmodl(x, y), remainderl(x, y), sqrtl(x * x), x * y + x / y, rintl(x), ldexpl(x, (int)(rnd() % 200) - 100)};
		int e;
		long double m = frexpl(x, &e);
		for (int k = 0; k < 6; k++) {
			uint64_t b;
			memcpy(&b, &r[k], 8);
			h = h * 31 + b;
		}
		uint64_t mb;
		memcpy(&mb, &m, 8);
		h = h * 31 + mb + (uint64_t)e;
	}
	printf("exact hash %016llx\n", (unsigned long long)h);
	static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
	static const char *names[] = {"nearest", "down", "up", "zero"};
	for (int k = 0; k < 4; k++) {
		fesetround(modes[k]);
		printf("%s: rint(2.5)=%Lg rint(-2.5)=%Lg rint(3.7)=%Lg 1/3=%La sqrt2=%La llrint(-7.5)=%lld\n", names[k],
			rintl(2.5L), rintl(-2.5L), rintl(3.7L), 1.0L / 3, sqrtl(2.0L), llrintl(-7.5L));
	}
	fesetround(FE_TONEAREST);
}

static void conv(void) {
	static const long double vs[] = {0.1L, 1.0L / 3, 6.02214076e23L, -1.602176634e-19L, 1.18973149535723176502e+4932L,
		3.64519953188247460253e-4951L, 18446744073709551615.0L, -9223372036854775808.0L};
	for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
		printf("%.21Lg %La %Le %.3Lf\n", vs[i], vs[i], vs[i], vs[i] < 1e30L && vs[i] > -1e30L ? vs[i] : 0);
	const char *ss[] = {"3.14159265358979323846264338327950288", "1e-4945", "-0x1.fffffffffffffffep+16383", "nan", "-inf", "123456789012345678901234567890"};
	for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++) {
		long double v = strtold(ss[i], NULL);
		printf("strtold(%s) = %La\n", ss[i], v);
	}
	long long ll = (long long)(-12345678901234.75L);
	unsigned long long ull = (unsigned long long)1.8e19L;
	short sh = (short)-300.9L;
	printf("casts %lld %llu %d %Lg %Lg\n", ll, ull, sh, (long double)ll, (long double)ull);
	/* fbld / fbstp through inline assembly. */
	unsigned char bcd[10];
	long double in = -987654321012345678.0L, out;
	__asm__ volatile("fbstp %0" : "=m"(bcd) : "t"(in) : "st");
	printf("fbstp:");
	for (int i = 0; i < 10; i++) printf(" %02x", bcd[i]);
	__asm__ volatile("fbld %1" : "=t"(out) : "m"(bcd));
	printf(" fbld: %.21Lg\n", out);
}

static void env(void) {
	fenv_t e;
	feclearexcept(FE_ALL_EXCEPT);
	volatile long double z = 0, one = 1;
	volatile long double r = one / z;
	printf("1/0=%Lg flags:%s\n", r, excepts(fetestexcept(FE_ALL_EXCEPT)));
	fegetenv(&e);
	feclearexcept(FE_ALL_EXCEPT);
	printf("cleared:%s\n", excepts(fetestexcept(FE_ALL_EXCEPT)));
	fesetenv(&e);
	printf("restored:%s\n", excepts(fetestexcept(FE_ALL_EXCEPT)));
	feclearexcept(FE_ALL_EXCEPT);
	feraiseexcept(FE_OVERFLOW | FE_INEXACT);
	printf("raised:%s\n", excepts(fetestexcept(FE_ALL_EXCEPT)));
	feclearexcept(FE_ALL_EXCEPT);
	r = sqrtl(-one);
	printf("sqrt(-1)=%Lg flags:%s\n", r, excepts(fetestexcept(FE_ALL_EXCEPT)));
	feclearexcept(FE_ALL_EXCEPT);
	r = 1e-4940L * 1e-10L;
	printf("tiny=%La flags:%s\n", r, excepts(fetestexcept(FE_ALL_EXCEPT)));
	fesetenv(FE_DFL_ENV);
	printf("default:%s round %d\n", excepts(fetestexcept(FE_ALL_EXCEPT)), fegetround());
	/* The stack: more pushes than registers is an invalid operation. */
	long double st;
	unsigned short sw;
	feclearexcept(FE_ALL_EXCEPT);
	__asm__ volatile("fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fnstsw %1; fstpt %0; fninit"
		: "=m"(st), "=m"(sw));
	printf("overflow: %Lg sw=%04x\n", st, sw);
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "fpe") == 0) {
#ifdef __GLIBC__
		feenableexcept(FE_DIVBYZERO);
#else
		unsigned short cw;
		__asm__ volatile("fnstcw %0" : "=m"(cw));
		cw &= ~FE_DIVBYZERO;
		__asm__ volatile("fldcw %0" : : "m"(cw));
#endif
		volatile long double z = 0, one = 1;
		volatile long double r = one / z;
		printf("not reached %Lg\n", r);
		return 0;
	}
	trig();
	explog();
	exact();
	conv();
	env();
	return 0;
}
