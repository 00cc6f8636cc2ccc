/* fault: dies the way argv[1] says: segv (load from an unmapped page),
 * segvw (store to read-only data), fpe (divide by zero), fpeovf (the
 * quotient of INT_MIN / -1 overflows), ill (ud2), hlt (privileged:
 * SIGSEGV), int3 (SIGTRAP). Prints a line first, which must reach stdout
 * before the guest dies. */
#include "rt.h"

static const int ro = 7;

static int eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int main(int argc, char **argv, char **envp)
{
	const char *what = argc > 1 ? argv[1] : "";
	puts_("about to "), puts_(what), nl();
	flush();
	if (eq(what, "segv")) {
		int *volatile p = (int *)0x10;
		return *(volatile int *)p;
	}
	if (eq(what, "segvw")) {
		*(volatile int *)&ro = 8;
		return 1;
	}
	if (eq(what, "fpe")) {
		u32 q = 1, r = 0;
		__asm__ volatile("divl %2" : "+a"(q), "+d"(r) : "r"(0));
		return (int)q;
	}
	if (eq(what, "fpeovf")) {
		u32 q = 0x80000000u, r = 0xffffffffu;
		__asm__ volatile("idivl %2" : "+a"(q), "+d"(r) : "r"(-1));
		return (int)q;
	}
	if (eq(what, "ill"))
		__asm__ volatile("ud2");
	if (eq(what, "hlt"))
		__asm__ volatile("hlt");
	if (eq(what, "int3"))
		__asm__ volatile("int3");
	puts_("no fault\n");
	return 2;
}
