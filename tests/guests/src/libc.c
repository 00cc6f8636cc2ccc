/* libc: a multi-call guest built -static against glibc and musl.
 * argv[1] names the test: hello, printf, malloc, qsort, strings, args,
 * fileio, segv, fpe, exit N. Integer-only: no floating point anywhere,
 * and output that is the same natively and under minemu. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ctype.h>

static unsigned lcg_state = 12345;
static unsigned lcg(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return lcg_state >> 8;
}

static int t_hello(void)
{
	puts("hello, world");
	return 0;
}

static int t_printf(void)
{
	printf("%d %d %d %d\n", 0, 1, -1, 42);
	printf("%d %d\n", INT_MAX, INT_MIN);
	printf("%u %x %X %o\n", 3000000000u, 0xdeadbeefu, 0xcafeu, 0755u);
	printf("%ld %ld\n", LONG_MAX, LONG_MIN);
	printf("%lld %lld %llu\n", LLONG_MAX, LLONG_MIN, ULLONG_MAX);
	printf("[%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42);
	printf("[%#x] [%#o] [%.3d] [%8.3d]\n", 255u, 8u, 7, 7);
	printf("%zu %c%c %s [%.3s] [%10s] [%-10s]\n", sizeof(int), 'o', 'k', "str", "abcdef", "right", "left");
	printf("%hhd %hd %jd\n", (signed char)200, (short)70000, (intmax_t)-123456789012LL);
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%d-%s-%x", 17, "x", 255u);
	printf("snprintf %d %s\n", n, buf);
	const char *volatile longstr = "truncated";
	n = snprintf(buf, 5, "%s", longstr);
	printf("snprintf-trunc %d %s\n", n, buf);
	return 0;
}

static int t_malloc(void)
{
	enum { N = 500 };
	static unsigned char *p[N];
	static size_t sz[N];
	unsigned long sum = 0;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < N; i++) {
			if (p[i] && (lcg() & 1)) {
				for (size_t k = 0; k < sz[i]; k++)
					if (p[i][k] != (unsigned char)(i + k)) {
						printf("corrupt block %d\n", i);
						return 1;
					}
				free(p[i]);
				p[i] = NULL;
			}
			if (!p[i]) {
				sz[i] = 1 + lcg() % (round == 3 ? 100000 : 600);
				p[i] = malloc(sz[i]);
				if (!p[i]) {
					printf("malloc failed\n");
					return 1;
				}
				for (size_t k = 0; k < sz[i]; k++)
					p[i][k] = (unsigned char)(i + k);
				sum += sz[i];
			}
		}
	}
	for (int i = 0; i < N; i += 7) {
		unsigned char *q = realloc(p[i], sz[i] * 2 + 10);
		if (!q)
			return 1;
		for (size_t k = 0; k < sz[i]; k++)
			if (q[k] != (unsigned char)(i + k)) {
				printf("realloc lost data %d\n", i);
				return 1;
			}
		p[i] = q;
	}
	for (int i = 0; i < N; i++)
		free(p[i]);
	unsigned *z = calloc(1000, sizeof *z);
	unsigned nz = 0;
	for (int i = 0; i < 1000; i++)
		nz += z[i] != 0;
	free(z);
	char *big = malloc(8 << 20);
	memset(big, 'x', 8 << 20);
	printf("bytes allocated %lu, calloc nonzero %u, big ok %d\n", sum, nz, big[(8 << 20) - 1] == 'x');
	free(big);
	return 0;
}

static int cmpint(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int t_qsort(void)
{
	enum { N = 2000 };
	static int v[N];
	long sum = 0;
	for (int i = 0; i < N; i++)
		v[i] = (int)(lcg() % 100000) - 50000, sum += v[i];
	qsort(v, N, sizeof v[0], cmpint);
	int sorted = 1;
	for (int i = 1; i < N; i++)
		if (v[i - 1] > v[i])
			sorted = 0;
	printf("sorted %d min %d max %d median %d sum %ld\n", sorted, v[0], v[N - 1], v[N / 2], sum);
	const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "elderberry", "grape"};
	qsort(words, 8, sizeof words[0], cmpstr);
	for (int i = 0; i < 8; i++)
		printf("%s%c", words[i], i == 7 ? '\n' : ' ');
	int key = v[1234];
	int *hit = bsearch(&key, v, N, sizeof v[0], cmpint);
	printf("bsearch found %d\n", hit && *hit == key);
	return 0;
}

static int t_strings(void)
{
	char a[64], b[64];
	strcpy(a, "Hello");
	strcat(a, ", world");
	printf("strlen %zu [%s]\n", strlen(a), a);
	printf("strcmp %d %d %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0, strcmp("same", "same"));
	printf("strncmp %d\n", strncmp("abcdef", "abcxyz", 3));
	printf("strchr %s strrchr %s\n", strchr(a, 'o'), strrchr(a, 'o'));
	printf("strstr %s\n", strstr(a, "wor"));
	memcpy(b, a, strlen(a) + 1);
	memmove(b + 2, b, 5);
	printf("memmove [%s]\n", b);
	memset(b, '-', 4);
	printf("memset [%s] memcmp %d\n", b, memcmp(a, b, 4) > 0);
	char t[] = "one,two,,three";
	for (char *tok = strtok(t, ","); tok; tok = strtok(NULL, ","))
		printf("tok %s\n", tok);
	char *end;
	printf("strtol %ld %ld %lu\n", strtol("-1234xyz", &end, 10), strtol("ff", NULL, 16), strtoul("0777", NULL, 0));
	printf("rest [%s] atoi %d\n", end, atoi("  56"));
	char *d = strdup("dup me");
	for (char *p = d; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	printf("%s\n", d);
	free(d);
	static char longbuf[5000];
	for (int i = 0; i < 4999; i++)
		longbuf[i] = (char)('a' + i % 26);
	printf("long strlen %zu last %c\n", strlen(longbuf), longbuf[4998]);
	return 0;
}

static int t_args(int argc, char **argv, char **envp)
{
	printf("argc %d\n", argc);
	for (int i = 2; i < argc; i++)
		printf("argv[%d] %s\n", i, argv[i]);
	for (char **e = envp; *e; e++)
		printf("env %s\n", *e);
	const char *g = getenv("GREETING");
	printf("getenv GREETING=%s\n", g ? g : "(unset)");
	printf("pagesz %lu\n", getauxval(AT_PAGESZ));
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	printf("platform %s\n", plat ? plat : "(none)");
	const char *fn = (const char *)getauxval(AT_EXECFN);
	printf("execfn==argv0 %d\n", fn && strcmp(fn, argv[0]) == 0);
	printf("random %d\n", getauxval(AT_RANDOM) != 0);
	printf("uid-match %d\n", getauxval(AT_UID) == getuid());
	return 0;
}

static int t_fileio(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/minemu-guest-%d", (int)getpid());
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0) {
		printf("open failed\n");
		return 1;
	}
	const char msg[] = "line one\nline two\n";
	printf("write %zd\n", write(fd, msg, sizeof msg - 1));
	printf("lseek %ld\n", (long)lseek(fd, 5, SEEK_SET));
	char buf[32] = {0};
	ssize_t got = read(fd, buf, 3);
	printf("read %zd [%.3s]\n", got, buf);
	struct stat st;
	int rc = fstat(fd, &st);
	printf("fstat %d size %ld mode %o\n", rc, (long)st.st_size, (unsigned)(st.st_mode & 0777));
	close(fd);
	FILE *f = fopen(path, "a+");
	fprintf(f, "line %d\n", 3);
	fclose(f);
	f = fopen(path, "r");
	int n = 0;
	while (fgets(buf, sizeof buf, f))
		printf("%d: %s", ++n, buf);
	fclose(f);
	rc = stat(path, &st);
	printf("stat %d size %ld\n", rc, (long)st.st_size);
	printf("unlink %d\n", unlink(path));
	errno = 0;
	rc = open(path, O_RDONLY);
	printf("reopen %d errno-is-ENOENT %d\n", rc, errno == ENOENT);
	printf("dup2 %d\n", dup2(1, 9));
	fflush(stdout);
	write(9, "via fd 9\n", 9);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	const char *t = argc > 1 ? argv[1] : "hello";
	if (!strcmp(t, "hello"))
		return t_hello();
	if (!strcmp(t, "printf"))
		return t_printf();
	if (!strcmp(t, "malloc"))
		return t_malloc();
	if (!strcmp(t, "qsort"))
		return t_qsort();
	if (!strcmp(t, "strings"))
		return t_strings();
	if (!strcmp(t, "args"))
		return t_args(argc, argv, envp);
	if (!strcmp(t, "fileio")) {
		int r = t_fileio();
		fflush(stdout);
		return r;
	}
	if (!strcmp(t, "segv")) {
		printf("about to fault\n");
		fflush(stdout);
		int *volatile bad = (int *)(uintptr_t)16;
		*bad = 1;
		return 1;
	}
	if (!strcmp(t, "fpe")) {
		printf("about to divide by zero\n");
		fflush(stdout);
		volatile int z = 0;
		return 10 / z;
	}
	if (!strcmp(t, "exit")) {
		int code = argc > 2 ? atoi(argv[2]) : 0;
		printf("exit(%d)\n", code);
		exit(code);
	}
	fprintf(stderr, "unknown test %s\n", t);
	return 2;
}
