/* args: argc, argv, envp and the auxiliary vector as the kernel lays them
 * out on the initial stack. Prints only what is the same natively and
 * under minemu: argv[1..], the (fixed) environment, the layout of the
 * strings, and auxv values checked against what they must be. */
#include "rt.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31

extern char _start[];

static int len(const char *s)
{
	int n = 0;
	while (s[n])
		n++;
	return n;
}

static int eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void show(const char *what, long v)
{
	puts_(what);
	putch(' ');
	putdec(v);
	nl();
}

int main(int argc, char **argv, char **envp)
{
	show("argc", argc);
	show("sp%16", (long)(entry_sp % 16));
	for (int i = 1; i < argc; i++)
		puts_("argv: "), puts_(argv[i]), nl();
	int nenv = 0;
	for (char **e = envp; *e; e++, nenv++)
		puts_("env: "), puts_(*e), nl();
	/* strings are contiguous: argv[0..], then envp[0..], then execfn */
	int contiguous = 1;
	for (int i = 0; i + 1 < argc; i++)
		if (argv[i] + len(argv[i]) + 1 != argv[i + 1])
			contiguous = 0;
	if (nenv && argv[argc - 1] + len(argv[argc - 1]) + 1 != envp[0])
		contiguous = 0;
	for (int i = 0; i + 1 < nenv; i++)
		if (envp[i] + len(envp[i]) + 1 != envp[i + 1])
			contiguous = 0;
	show("strings-contiguous", contiguous);
	ulong *auxv = (ulong *)(envp + nenv + 1);
	ulong val[64] = {0};
	int seen[64] = {0};
	for (ulong *a = auxv; a[0] != AT_NULL; a += 2)
		if (a[0] < 64)
			val[a[0]] = a[1], seen[a[0]] = 1;
	char *last = nenv ? envp[nenv - 1] : argv[argc - 1];
	char *execfn = (char *)val[AT_EXECFN];
	show("execfn-after-strings", execfn == last + len(last) + 1);
	show("execfn==argv0", seen[AT_EXECFN] && eq(execfn, argv[0]));
	show("pagesz", (long)val[AT_PAGESZ]);
	show("clktck", (long)val[AT_CLKTCK]);
	show("phent", (long)val[AT_PHENT]);
	show("phnum>0", val[AT_PHNUM] > 0);
	show("entry==_start", val[AT_ENTRY] == (ulong)_start);
	show("base", (long)val[AT_BASE]);
	show("flags", (long)val[AT_FLAGS]);
	show("secure", (long)val[AT_SECURE]);
	show("uid-match", seen[AT_UID] && val[AT_UID] == (ulong)sys3(NR_getuid, 0, 0, 0));
	show("ids-present", seen[AT_EUID] && seen[AT_GID] && seen[AT_EGID]);
	show("hwcap-present", seen[AT_HWCAP]);
	show("random-present", seen[AT_RANDOM] && val[AT_RANDOM] != 0);
	puts_("platform "), puts_(seen[AT_PLATFORM] ? (char *)val[AT_PLATFORM] : "(none)"), nl();
	/* AT_PHDR must point at this file's program headers: print types */
	if (val[AT_PHDR]) {
		u32 *ph = (u32 *)val[AT_PHDR];
		puts_("phdr-types");
		for (ulong i = 0; i < val[AT_PHNUM]; i++) {
			putch(' ');
			puthex(*(u32 *)((char *)ph + i * val[AT_PHENT]), 8);
		}
		nl();
	}
	return argc - 1;
}
