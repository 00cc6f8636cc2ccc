/* datamov: mov at every size (including the high byte registers), movzx,
 * movsx, movsxd, lea with base+index*scale+disp, xchg, push/pop,
 * pushf/popf, and memory operands with every addressing form. */
#include "rt.h"

static void show(const char *what, u64 v, int digits)
{
	puts_(what);
	putch(' ');
	puthex(v, digits);
	nl();
}

static u8 tab[64];

int main(int argc, char **argv, char **envp)
{
	for (int i = 0; i < 64; i++)
		tab[i] = (u8)(i * 37 + 11);
	ulong a = 0x8091a2b3, r;
	/* high byte registers */
	__asm__ volatile("mov %%eax, %%ebx\n\tmovb %%ah, %%bl\n\tmovb $0x7e, %%bh\n\tmov %%ebx, %k0" : "=r"(r) : "a"(a) : "ebx");
	show("movb-ah-bh", (u32)r, 8);
	__asm__ volatile("mov $0x11223344, %0\n\tmovw $0xbeef, %w0" : "=r"(r));
	show("movw-preserves-upper", (u32)r, 8);
	__asm__ volatile("mov $0x11223344, %0\n\tmovb $0xab, %b0" : "=q"(r));
	show("movb-preserves-upper", (u32)r, 8);
	/* movzx / movsx */
	for (int i = 0; i < 64; i += 9) {
		u32 z8, s8, z16, s16;
		__asm__ volatile("movzbl (%1), %0" : "=r"(z8) : "r"(&tab[i]));
		__asm__ volatile("movsbl (%1), %0" : "=r"(s8) : "r"(&tab[i]));
		__asm__ volatile("movzwl (%1), %0" : "=r"(z16) : "r"(&tab[i]));
		__asm__ volatile("movswl (%1), %0" : "=r"(s16) : "r"(&tab[i]));
		puts_("movzx/movsx ");
		puthex(z8, 8), putch(' '), puthex(s8, 8), putch(' '), puthex(z16, 8), putch(' '), puthex(s16, 8);
		nl();
		u16 w;
		__asm__ volatile("movsbw (%1), %0" : "=r"(w) : "r"(&tab[i]));
		show("movsbw", w, 4);
#ifdef __x86_64__
		u64 q1, q2, q3;
		__asm__ volatile("movslq (%1), %0" : "=r"(q1) : "r"(&tab[i]));
		__asm__ volatile("movsbq (%1), %0" : "=r"(q2) : "r"(&tab[i]));
		__asm__ volatile("movzwq (%1), %0" : "=r"(q3) : "r"(&tab[i]));
		puts_("movsxd/movsbq/movzwq ");
		puthex(q1, 16), putch(' '), puthex(q2, 16), putch(' '), puthex(q3, 16);
		nl();
		u64 m32 = 0xffffffff00000000ull;
		__asm__ volatile("movl $0x12345678, %k0" : "+r"(m32));
		show("mov32-zero-extends", m32, 16);
		u64 imm;
		__asm__ volatile("movabs $0xfedcba9876543210, %0" : "=r"(imm));
		show("movabs", imm, 16);
#endif
	}
	/* lea and addressing forms */
	for (long i = -3; i < 4; i++) {
		ulong b = 0x1000, l1, l2, l3;
		__asm__ volatile("lea 0x10(%1,%2,4), %0" : "=r"(l1) : "r"(b), "r"(i));
		__asm__ volatile("lea -8(,%1,8), %0" : "=r"(l2) : "r"(i));
		__asm__ volatile("leal 0x7fffffff(%1,%2,2), %k0" : "=r"(l3) : "r"(b), "r"(i));
		puts_("lea ");
		puthex(l1, sizeof(ulong) * 2), putch(' '), puthex(l2, sizeof(ulong) * 2), putch(' '), puthex((u32)l3, 8);
		nl();
		u8 v1, v2;
		__asm__ volatile("movb 8(%1,%2,2), %0" : "=q"(v1) : "r"(tab), "r"(i + 3));
		__asm__ volatile("movb (%1,%2), %0" : "=q"(v2) : "r"(tab + 20), "r"(i));
		puts_("sib ");
		puthex(v1, 2), putch(' '), puthex(v2, 2);
		nl();
	}
	/* xchg */
	ulong x = 0x1234, y = 0x5678;
	__asm__ volatile("xchg %0, %1" : "+r"(x), "+r"(y));
	show("xchg-x", x, 8);
	static ulong mword;
	mword = 0xaaaa;
	__asm__ volatile("xchg %0, %1" : "+r"(x), "+m"(mword));
	show("xchg-mem", mword, 8);
	u16 hw = 0x1122, hw2 = 0x3344;
	__asm__ volatile("xchgw %0, %1" : "+r"(hw), "+r"(hw2));
	show("xchgw", hw, 4);
	u8 b1 = 0x12, b2 = 0x34;
	__asm__ volatile("xchgb %0, %1" : "+q"(b1), "+q"(b2));
	show("xchgb", b1, 2);
	/* push/pop, including 16-bit and memory forms */
	ulong p1, p2, sp0, sp1;
	__asm__ volatile("mov %%" SPREG ", %[s0]\n\t"
			 "push $-2\n\tpush %[m]\n\tpop %[p1]\n\tpop %[p2]\n\t"
			 "mov %%" SPREG ", %[s1]"
			 : [p1] "=r"(p1), [p2] "=r"(p2), [s0] "=&r"(sp0), [s1] "=&r"(sp1)
			 : [m] "m"(mword));
	show("push-pop", p1, 8);
	show("push-imm", p2, sizeof(ulong) * 2);
	show("sp-balanced", sp0 == sp1, 1);
	u16 w16;
	__asm__ volatile("pushw $0x4321\n\tpopw %0" : "=r"(w16));
	show("pushw-popw", w16, 4);
	/* pushf/popf round trip of the arithmetic flags and DF */
	ulong fl;
	__asm__ volatile("pushf\n\tpop %0\n\tor $0x8d5, %0\n\tpush %0\n\tpopf\n\tpushf\n\tpop %0\n\tcld" : "=&r"(fl) : : "cc");
	show("popf-all", fl & 0xcd5, 4);
	__asm__ volatile("xor %0, %0\n\tpush %0\n\tpopf\n\tpushf\n\tpop %0" : "=&r"(fl) : : "cc");
	show("popf-none", fl & 0xcd5, 4);
	/* sahf / lahf */
	u32 ah = 0xd5 << 8;
	__asm__ volatile("sahf\n\tmov $0, %%ah\n\tlahf" : "+a"(ah) : : "cc");
	show("sahf-lahf", (ah >> 8) & 0xd5, 2);
	return 0;
}
