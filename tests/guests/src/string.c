/* string: movs stos lods cmps scas at every element size, with rep, repe
 * and repne, forward (cld) and backward (std), and a zero count. */
#include "rt.h"

static u8 src[256], dst[256];

static void dump(const char *what, const u8 *p, int n)
{
	puts_(what);
	for (int i = 0; i < n; i++) {
		putch(' ');
		puthex(p[i], 2);
	}
	nl();
}

static void reset(void)
{
	for (int i = 0; i < 256; i++)
		src[i] = (u8)(i * 7 + 1), dst[i] = 0xee;
}

static void regs(const char *what, ulong c, const void *si, const void *di, const u8 *base)
{
	puts_(what);
	puts_(" c=");
	putdec((long)c);
	puts_(" si=");
	putdec((const u8 *)si - base);
	puts_(" di=");
	putdec((const u8 *)di - dst);
	nl();
}

int main(int argc, char **argv, char **envp)
{
	ulong c;
	void *si, *di;
	reset();
	c = 13, si = src + 1, di = dst + 2;
	__asm__ volatile("cld\n\trep movsb" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
	regs("rep-movsb", c, si, di, src), dump("dst", dst, 18);
	reset();
	c = 5, si = src, di = dst + 1;
	__asm__ volatile("cld\n\trep movsw" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
	regs("rep-movsw", c, si, di, src), dump("dst", dst, 12);
	reset();
	c = 3, si = src + 4, di = dst;
	__asm__ volatile("cld\n\trep movsl" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
	regs("rep-movsl", c, si, di, src), dump("dst", dst, 14);
#ifdef __x86_64__
	reset();
	c = 2, si = src + 3, di = dst + 1;
	__asm__ volatile("cld\n\trep movsq" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
	regs("rep-movsq", c, si, di, src), dump("dst", dst, 18);
#endif
	/* backward overlapping copy */
	reset();
	c = 8, si = src + 15, di = dst + 20;
	__asm__ volatile("std\n\trep movsb\n\tcld" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
	regs("std-rep-movsb", c, si, di, src), dump("dst", dst + 10, 12);
	reset();
	c = 3, si = src + 8, di = dst + 12;
	__asm__ volatile("std\n\trep movsl\n\tcld" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
	regs("std-rep-movsl", c, si, di, src), dump("dst", dst, 18);
	/* zero count does nothing */
	reset();
	c = 0, si = src, di = dst;
	__asm__ volatile("cld\n\trep movsb" : "+c"(c), "+S"(si), "+D"(di) : : "memory");
	regs("rep-movsb-0", c, si, di, src), dump("dst", dst, 4);
	/* stos */
	reset();
	c = 7, di = dst + 1;
	__asm__ volatile("cld\n\trep stosb" : "+c"(c), "+D"(di) : "a"(0x41) : "memory");
	regs("rep-stosb", c, src, di, src), dump("dst", dst, 10);
	reset();
	c = 3, di = dst;
	__asm__ volatile("cld\n\trep stosw" : "+c"(c), "+D"(di) : "a"(0x4142) : "memory");
	regs("rep-stosw", c, src, di, src), dump("dst", dst, 8);
	reset();
	c = 2, di = dst + 8;
	__asm__ volatile("std\n\trep stosl\n\tcld" : "+c"(c), "+D"(di) : "a"(0x31323334) : "memory");
	regs("std-rep-stosl", c, src, di, src), dump("dst", dst, 14);
#ifdef __x86_64__
	reset();
	c = 2, di = dst;
	__asm__ volatile("cld\n\trep stosq" : "+c"(c), "+D"(di) : "a"(0x0102030405060708ull) : "memory");
	regs("rep-stosq", c, src, di, src), dump("dst", dst, 17);
#endif
	/* lods */
	reset();
	ulong a = 0;
	si = src + 5;
	__asm__ volatile("cld\n\tlodsb\n\tlodsb" : "+a"(a), "+S"(si) : : "memory");
	puts_("lodsb "), puthex(a & 0xff, 2), nl();
	si = src + 5;
	__asm__ volatile("cld\n\tlodsw" : "+a"(a), "+S"(si) : : "memory");
	puts_("lodsw "), puthex(a & 0xffff, 4), nl();
	si = src + 9;
	__asm__ volatile("std\n\tlodsl\n\tcld" : "+a"(a), "+S"(si) : : "memory");
	puts_("std-lodsl "), puthex((u32)a, 8), putch(' '), putdec((u8 *)si - src), nl();
	/* cmps / scas with repe / repne */
	static const char s1[] = "hello, world", s2[] = "hello, there";
	ulong fl;
	c = sizeof s1, si = (void *)s1, di = (void *)s2;
	__asm__ volatile("cld\n\trepe cmpsb\n\tpushf\n\tpop %3" : "+c"(c), "+S"(si), "+D"(di), "=r"(fl) : : "memory", "cc");
	puts_("repe-cmpsb c="), putdec((long)c), puts_(" at="), putdec((const char *)si - s1), putflags(fl & F_ALL), nl();
	c = 3, si = (void *)s1, di = (void *)s2;
	__asm__ volatile("cld\n\trepe cmpsw\n\tpushf\n\tpop %3" : "+c"(c), "+S"(si), "+D"(di), "=r"(fl) : : "memory", "cc");
	puts_("repe-cmpsw c="), putdec((long)c), puts_(" at="), putdec((const char *)si - s1), putflags(fl & F_ALL), nl();
	c = sizeof s1, di = (void *)s1;
	__asm__ volatile("cld\n\trepne scasb\n\tpushf\n\tpop %2" : "+c"(c), "+D"(di), "=r"(fl) : "a"('w') : "memory", "cc");
	puts_("repne-scasb c="), putdec((long)c), puts_(" at="), putdec((const char *)di - s1), putflags(fl & F_ALL), nl();
	c = sizeof s1, di = (void *)s1;
	__asm__ volatile("cld\n\trepne scasb\n\tpushf\n\tpop %2" : "+c"(c), "+D"(di), "=r"(fl) : "a"('Q') : "memory", "cc");
	puts_("repne-scasb-miss c="), putdec((long)c), puts_(" at="), putdec((const char *)di - s1), putflags(fl & F_ALL), nl();
	static const u32 words[6] = {9, 9, 9, 4, 9, 9};
	c = 6, di = (void *)words;
	__asm__ volatile("cld\n\trepe scasl\n\tpushf\n\tpop %2" : "+c"(c), "+D"(di), "=r"(fl) : "a"(9) : "memory", "cc");
	puts_("repe-scasl c="), putdec((long)c), puts_(" at="), putdec((const char *)di - (const char *)words), putflags(fl & F_ALL), nl();
	/* single cmpsb without rep */
	si = (void *)"b", di = (void *)"a";
	__asm__ volatile("cld\n\tcmpsb\n\tpushf\n\tpop %2" : "+S"(si), "+D"(di), "=r"(fl) : : "memory", "cc");
	puts_("cmpsb"), putflags(fl & F_ALL), nl();
	return 0;
}
