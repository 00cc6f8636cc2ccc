/* dynproc: a dynamically linked guest that looks at itself the way
 * programs do: /proc/self/exe, cmdline, auxv, comm and status, and the
 * auxiliary vector through getauxval. It prints only what is the same on
 * every machine and in every run (no addresses, no absolute paths): the
 * facts are compared instead ("same file", "matches"). */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#if UINTPTR_MAX == 0xffffffffu
typedef Elf32_auxv_t auxv_t;
typedef Elf32_Phdr phdr_t;
#else
typedef Elf64_auxv_t auxv_t;
typedef Elf64_Phdr phdr_t;
#endif

static ssize_t slurp(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t got = 0, r;
	while (got < (ssize_t)n && (r = read(fd, buf + got, n - got)) > 0)
		got += r;
	close(fd);
	return got;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int sameFile(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	char exe[PATH_MAX];

	/* /proc/self/exe: an absolute link to this very file. */
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0) {
		puts("readlink /proc/self/exe failed");
		return 1;
	}
	exe[n] = 0;
	printf("exe: absolute %s, name %s, same file as argv[0] %s\n", exe[0] == '/' ? "yes" : "no", base(exe),
	       sameFile(exe, argv[0]) ? "yes" : "no");
	printf("open /proc/self/exe: same file %s\n", sameFile("/proc/self/exe", argv[0]) ? "yes" : "no");

	/* /proc/self/cmdline: argv, each NUL-terminated. */
	n = slurp("/proc/self/cmdline", buf, sizeof buf);
	int k = 0, ok = 1;
	for (char *p = buf; p < buf + n; p += strlen(p) + 1, k++)
		if (k >= argc || strcmp(p, argv[k]) != 0)
			ok = 0;
	printf("cmdline: %d strings, matches argv %s\n", k, ok && k == argc ? "yes" : "no");
	for (int i = 0; i < argc; i++)
		printf("  argv[%d] = \"%s\"\n", i, argv[i]);

	/* /proc/self/auxv: the vector getauxval reads. */
	n = slurp("/proc/self/auxv", buf, sizeof buf);
	int entries = 0, mismatch = 0, sawNull = 0;
	for (auxv_t *a = (auxv_t *)buf; (char *)(a + 1) <= buf + n; a++) {
		entries++;
		if (a->a_type == AT_NULL) {
			sawNull = 1;
			break;
		}
		/* glibc's getauxval answers AT_HWCAP and AT_HWCAP2 from its own
		 * copies, which its CPU feature code rewrites. */
		if (a->a_type != AT_HWCAP && a->a_type != AT_HWCAP2 && getauxval(a->a_type) != a->a_un.a_val) {
			fprintf(stderr, "auxv %lu: %#lx, getauxval %#lx\n", (unsigned long)a->a_type,
				(unsigned long)a->a_un.a_val, getauxval(a->a_type));
			mismatch++;
		}
	}
	printf("auxv: ends with AT_NULL %s, every entry matches getauxval %s\n", sawNull ? "yes" : "no",
	       entries > 10 && mismatch == 0 ? "yes" : "no");

	/* The values a dynamic loader and libc take from it. */
	printf("AT_PAGESZ %lu AT_SECURE %lu AT_FLAGS %lu\n", getauxval(AT_PAGESZ), getauxval(AT_SECURE),
	       getauxval(AT_FLAGS));
	printf("AT_PLATFORM %s\n", (const char *)getauxval(AT_PLATFORM));
	printf("AT_EXECFN %s\n", (const char *)getauxval(AT_EXECFN));
	printf("AT_BASE set %s, AT_RANDOM set %s\n", getauxval(AT_BASE) ? "yes" : "no", getauxval(AT_RANDOM) ? "yes" : "no");
	printf("AT_ENTRY is _start's page %s\n", (getauxval(AT_ENTRY) & ~0xfffUL) != 0 ? "yes" : "no");
	printf("AT_PHENT %lu, AT_PHNUM is this file's %s\n", getauxval(AT_PHENT),
	       getauxval(AT_PHNUM) == (unsigned long)((ElfW(Ehdr) *)((uintptr_t)getauxval(AT_PHDR) & ~0xfffUL))->e_phnum ? "yes" : "no");
	const phdr_t *ph = (const phdr_t *)getauxval(AT_PHDR);
	int interp = 0;
	for (unsigned long i = 0; i < getauxval(AT_PHNUM); i++)
		if (ph[i].p_type == PT_INTERP)
			interp = 1;
	printf("AT_PHDR shows PT_INTERP %s\n", interp ? "yes" : "no");

	/* The program break starts after the program, not after ld.so. */
	char *brk0 = sbrk(0);
	printf("brk above the program %s\n", (uintptr_t)brk0 > (uintptr_t)&main ? "yes" : "no");

	/* comm and status: the program's basename, 15 characters at most. */
	n = slurp("/proc/self/comm", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("comm: %s", buf);
	n = slurp("/proc/self/status", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		nl[1] = 0;
	printf("status: %s", buf);
	return 0;
}
