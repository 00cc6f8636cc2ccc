/* atomic: xadd, cmpxchg (equal and not equal) at every size, cmpxchg8b,
 * cmpxchg16b, lock-prefixed arithmetic and xchg with memory. */
#include "rt.h"

#define PRE "push %[fl]\n\tpopf\n\t"
#define POST "\n\tpushf\n\tpop %[fl]"

static void rep(const char *op, int bits, u64 m, u64 r, u64 a, ulong fl)
{
	int d = bits / 4;
	puts_(op);
	putudec(bits);
	puts_(" mem=");
	puthex(m, d);
	puts_(" reg=");
	puthex(r, d);
	puts_(" acc=");
	puthex(a, d);
	putflags(fl);
	nl();
}

#define SIZE(T, C, bits, sfx)                                                        \
	static T m##bits;                                                            \
	static void ops_##bits(T init, T v)                                          \
	{                                                                            \
		ulong fl = 0x202;                                                    \
		T r = v;                                                             \
		m##bits = init;                                                      \
		__asm__ volatile(PRE "lock xadd" sfx " %[r], %[m]" POST              \
				 : [r] "+" C(r), [m] "+m"(m##bits), [fl] "+r"(fl)    \
				 :                                                   \
				 : "cc", "memory");                                  \
		rep("lock-xadd", bits, m##bits, r, 0, fl & F_ALL);                   \
		T rr = v, x = 3;                                                     \
		__asm__ volatile("xadd" sfx " %[r], %[x]" : [r] "+" C(rr), [x] "+" C(x) : : "cc"); \
		rep("xadd-reg", bits, x, rr, 0, 0);                                  \
		/* cmpxchg that succeeds, then one that fails */                    \
		T acc = init;                                                        \
		m##bits = init;                                                      \
		fl = 0x202;                                                          \
		__asm__ volatile(PRE "lock cmpxchg" sfx " %[n], %[m]" POST           \
				 : "+a"(acc), [m] "+m"(m##bits), [fl] "+r"(fl)       \
				 : [n] C(v)                                          \
				 : "cc", "memory");                                  \
		rep("cmpxchg-eq", bits, m##bits, v, acc, fl & F_ALL);                \
		acc = (T)(init + 1);                                                 \
		fl = 0x202;                                                          \
		__asm__ volatile(PRE "lock cmpxchg" sfx " %[n], %[m]" POST           \
				 : "+a"(acc), [m] "+m"(m##bits), [fl] "+r"(fl)       \
				 : [n] C(init)                                       \
				 : "cc", "memory");                                  \
		rep("cmpxchg-ne", bits, m##bits, init, acc, fl & F_ALL);             \
		r = v;                                                               \
		__asm__ volatile("xchg" sfx " %[r], %[m]" : [r] "+" C(r), [m] "+m"(m##bits) : : "memory"); \
		rep("xchg-mem", bits, m##bits, r, 0, 0);                             \
		fl = 0x202;                                                          \
		__asm__ volatile(PRE "lock add" sfx " %[n], %[m]\n\tlock inc" sfx " %[m]\n\tlock neg" sfx " %[m]" POST \
				 : [m] "+m"(m##bits), [fl] "+r"(fl)                  \
				 : [n] C(v)                                          \
				 : "cc", "memory");                                  \
		rep("lock-add-inc-neg", bits, m##bits, v, 0, fl & F_ALL);            \
	}

SIZE(u8, "q", 8, "b")
SIZE(u16, "r", 16, "w")
SIZE(u32, "r", 32, "l")
#ifdef __x86_64__
SIZE(u64, "r", 64, "q")
#endif

static u64 m64b __attribute__((aligned(8)));
#ifdef __x86_64__
static unsigned __int128 m128 __attribute__((aligned(16)));
#endif

static void cx8(u64 init, u64 expect, u64 repl)
{
	u32 lo = (u32)expect, hi = (u32)(expect >> 32);
	ulong fl = 0x202;
	m64b = init;
	__asm__ volatile(PRE "lock cmpxchg8b %[m]" POST
			 : "+a"(lo), "+d"(hi), [m] "+m"(m64b), [fl] "+r"(fl)
			 : "b"((u32)repl), "c"((u32)(repl >> 32))
			 : "cc", "memory");
	rep("cmpxchg8b", 64, m64b, repl, ((u64)hi << 32) | lo, fl & F_ZF);
}

#ifdef __x86_64__
static void cx16(u64 initlo, u64 inithi, u64 explo, u64 exphi, u64 rlo, u64 rhi)
{
	ulong fl = 0x202;
	m128 = ((unsigned __int128)inithi << 64) | initlo;
	__asm__ volatile(PRE "lock cmpxchg16b %[m]" POST
			 : "+a"(explo), "+d"(exphi), [m] "+m"(m128), [fl] "+r"(fl)
			 : "b"(rlo), "c"(rhi)
			 : "cc", "memory");
	rep("cmpxchg16b-lo", 64, (u64)m128, rlo, explo, fl & F_ZF);
	rep("cmpxchg16b-hi", 64, (u64)(m128 >> 64), rhi, exphi, fl & F_ZF);
}
#endif

static const u64 vals[] = {0, 1, 0x7f, 0x80, 0xffffffffffffffffull, 0x8000000000000000ull, 0x123456789abcdef0ull};

int main(int argc, char **argv, char **envp)
{
	for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++)
		for (unsigned j = 0; j < sizeof vals / sizeof vals[0]; j++) {
			ops_8((u8)vals[i], (u8)vals[j]);
			ops_16((u16)vals[i], (u16)vals[j]);
			ops_32((u32)vals[i], (u32)vals[j]);
#ifdef __x86_64__
			ops_64(vals[i], vals[j]);
#endif
		}
	cx8(0x1122334455667788ull, 0x1122334455667788ull, 0xdeadbeefcafef00dull);
	cx8(0x1122334455667788ull, 0x1122334455667789ull, 0xdeadbeefcafef00dull);
	cx8(0, 0, 0xffffffffffffffffull);
#ifdef __x86_64__
	cx16(1, 2, 1, 2, 0xaaaa, 0xbbbb);
	cx16(1, 2, 1, 3, 0xaaaa, 0xbbbb);
	cx16(0xffffffffffffffffull, 0, 0xffffffffffffffffull, 0, 5, 6);
#endif
	return 0;
}
