/* procmem: a hostile guest that looks for minemu's memory through the
 * kernel (/proc/self/mem in every spelling, process_vm_readv and
 * process_vm_writev, /proc/self/maps) and checks that its own memory is
 * reachable the same ways. Built -static against glibc for i386 and
 * x86-64. argv[1] picks the part: mem, paths, self, pvm, maps.
 *
 * Natively nothing is mapped at the probe addresses (64 GiB, where
 * minemu's Regions arenas go, the Go heap at 0xc000000000, ...), so the
 * kernel answers EIO (mem) and EFAULT (process_vm_*): the output is the
 * same natively and under minemu only if minemu's memory stays out of
 * the guest's reach. Nothing printed depends on an address. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* Addresses where a 32-bit or 64-bit process natively has nothing and
 * minemu has something: 4 GiB (just above a 32-bit guest's window), the
 * first Regions arena (64 GiB) and a page inside it, the Go heap, the
 * second arena zone. */
static const uint64_t probes[] = {
	0x100000000ull, 0x1000000000ull, 0x1000001000ull, 0xc000000000ull, 0xe000000000ull,
};
#define NPROBES (sizeof probes / sizeof probes[0])

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EIO: return "EIO";
	case EFAULT: return "EFAULT";
	case ESRCH: return "ESRCH";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOSYS: return "ENOSYS";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

/* res formats a call's result: the count, or the errno's name. */
static const char *res(long r)
{
	static char b[2][48];
	static int i;
	i ^= 1;
	if (r < 0)
		snprintf(b[i], sizeof b[i], "-1 %s", ename(errno));
	else
		snprintf(b[i], sizeof b[i], "%ld", r);
	return b[i];
}

static char page[4096];

/* probe reads and writes back one page at each probe address through fd
 * and prints what the kernel said, under the name what. Writing back
 * what was read keeps a broken minemu alive long enough to print. */
static void probe(const char *what, int fd)
{
	for (unsigned i = 0; i < NPROBES; i++) {
		memset(page, 0, sizeof page);
		long r = pread64(fd, page, sizeof page, (off64_t)probes[i]);
		const char *rs = res(r);
		long w = pwrite64(fd, page, sizeof page, (off64_t)probes[i]);
		printf("%s @%#llx: pread %s pwrite %s\n", what, (unsigned long long)probes[i], rs, res(w));
	}
}

/* probeQuiet returns the number of probe addresses at which fd read or
 * wrote anything. */
static int probeQuiet(int fd)
{
	int n = 0;
	for (unsigned i = 0; i < NPROBES; i++) {
		if (pread64(fd, page, sizeof page, (off64_t)probes[i]) >= 0)
			n++;
		if (pwrite64(fd, page, sizeof page, (off64_t)probes[i]) >= 0)
			n++;
	}
	return n;
}

/* A pattern the guest reads back through each descriptor. */
static char own[256];

/* selfCheck reads own through fd and says whether it came back equal. */
static const char *selfCheck(int fd)
{
	static char b[sizeof own];
	memset(b, 0, sizeof b);
	long r = pread64(fd, b, sizeof b, (off64_t)(uintptr_t)own);
	if (r != (long)sizeof b)
		return res(r);
	return memcmp(b, own, sizeof b) == 0 ? "equal" : "different";
}

/* check opens nothing: it reports one descriptor's probes and own read. */
static void check(const char *what, int fd)
{
	if (fd < 0) {
		printf("%s: open %s\n", what, res(fd));
		return;
	}
	printf("%s: probes reached %d, own %s\n", what, probeQuiet(fd), selfCheck(fd));
}

static int openCheck(const char *what, const char *path, int flags)
{
	int fd = open(path, flags);
	check(what, fd);
	return fd;
}

static long gettid_(void) { return syscall(SYS_gettid); }

/* forTasks calls f with every thread id listed in /proc/self/task. */
static int forTasks(int (*f)(long tid))
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int bad = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		bad += f(strtol(e->d_name, NULL, 10));
	}
	closedir(d);
	return bad;
}

static int taskMem(long tid)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/self/task/%ld/mem", tid);
	int fd = open(p, O_RDWR);
	if (fd < 0)
		return 1;
	int n = probeQuiet(fd);
	close(fd);
	return n;
}

static int t_mem(void)
{
	int fd = open("/proc/self/mem", O_RDWR);
	if (fd < 0) {
		printf("open: %s\n", res(fd));
		return 1;
	}
	probe("mem", fd);

	/* The file position: lseek there, then read and readv. */
	for (unsigned i = 1; i < NPROBES; i += 2) {
		off64_t o = lseek64(fd, (off64_t)probes[i], SEEK_SET);
		printf("lseek %#llx: %s", (unsigned long long)probes[i],
		       o == (off64_t)probes[i] ? "at" : res((long)o));
		printf(", read %s", res(read(fd, page, sizeof page)));
		struct iovec v[2] = {{page, 100}, {page + 100, 200}};
		printf(", readv %s", res(readv(fd, v, 2)));
		printf(", write %s", res(write(fd, page, 16)));
		printf(", writev %s\n", res(writev(fd, v, 2)));
	}

	/* Guest memory that ends: a read running into an unmapped page is
	 * short, one starting there fails. */
	char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 'x', 4096);
	munmap(m + 4096, 4096);
	static char big[3 * 4096];
	printf("short pread %s", res(pread64(fd, big, sizeof big, (off64_t)(uintptr_t)(m + 100))));
	printf(", at the hole %s", res(pread64(fd, big, 100, (off64_t)(uintptr_t)(m + 4096))));
	lseek64(fd, (off64_t)(uintptr_t)(m + 4000), SEEK_SET);
	struct iovec v[2] = {{big, 50}, {big + 50, 4096}};
	printf(", short readv %s", res(readv(fd, v, 2)));
	printf(", now at +%lld\n", (long long)(lseek64(fd, 0, SEEK_CUR) - (off64_t)(uintptr_t)m));
	/* PROT_NONE memory is still the process's: the kernel forces it. */
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("PROT_NONE pread %s\n", res(pread64(fd, big, 4096, (off64_t)(uintptr_t)none)));

#ifndef __x86_64__
	/* Whatever /proc/self/maps shows at or above 4 GiB: a 32-bit
	 * process natively has nothing there. */
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int lines = 0, reached = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long long s = strtoull(line, NULL, 16);
		if (s >> 32 == 0)
			continue;
		lines++;
		if (pread64(fd, page, 64, (off64_t)s) > 0)
			reached++;
	}
	if (f)
		fclose(f);
	printf("maps lines at or above 4 GiB: %d, readable: %d\n", lines, reached);
#endif
	/* Every thread of the process reads the same memory. */
	printf("task mem files reaching a probe: %d\n", forTasks(taskMem));
	return 0;
}

static int t_paths(void)
{
	char p[128];
	int fd;
	openCheck("/proc/self/mem", "/proc/self/mem", O_RDWR);
	snprintf(p, sizeof p, "/proc/%d/mem", getpid());
	openCheck("/proc/<pid>/mem", p, O_RDWR);
	openCheck("/proc/thread-self/mem", "/proc/thread-self/mem", O_RDWR);
	snprintf(p, sizeof p, "/proc/self/task/%ld/mem", gettid_());
	openCheck("/proc/self/task/<tid>/mem", p, O_RDWR);
	snprintf(p, sizeof p, "/proc/%d/task/%ld/mem", getpid(), gettid_());
	openCheck("/proc/<pid>/task/<tid>/mem", p, O_RDWR);
	openCheck("symlink", "self-mem", O_RDWR);
	openCheck("/proc/self/root/proc/self/mem", "/proc/self/root/proc/self/mem", O_RDWR);
	openCheck("/proc/self/./mem", "/proc/self/./mem", O_RDWR);
	openCheck("read-only", "/proc/self/mem", O_RDONLY);
	fd = open("/proc/self/mem", O_WRONLY);
	printf("write-only: probes reached %d\n", fd < 0 ? -1 : probeQuiet(fd));

	int proc = open("/proc", O_RDONLY | O_DIRECTORY);
	check("openat(/proc, self/mem)", openat(proc, "self/mem", O_RDWR));
	int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
	check("openat(/proc/self, mem)", openat(self, "mem", O_RDWR));
	snprintf(p, sizeof p, "task/%ld", gettid_());
	int task = openat(self, p, O_RDONLY | O_DIRECTORY);
	check("openat(/proc/self/task/<tid>, mem)", openat(task, "mem", O_RDWR));
	check("openat(/proc/self/task/<tid>, ../../mem)", openat(task, "../../mem", O_RDWR));

	fd = open("/proc/self/mem", O_RDWR);
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	openCheck("/proc/self/fd/N", p, O_RDWR);
	snprintf(p, sizeof p, "/dev/fd/%d", fd);
	openCheck("/dev/fd/N", p, O_RDWR);
	check("dup", dup(fd));
	check("dup2", dup2(fd, 40));
	check("dup3", dup3(fd, 41, O_CLOEXEC));
	check("F_DUPFD", fcntl(fd, F_DUPFD, 50));
	check("F_DUPFD_CLOEXEC", fcntl(fd, F_DUPFD_CLOEXEC, 60));
	/* A descriptor reused for another file is that file again. */
	close(40);
	int other = open("/dev/zero", O_RDONLY);
	dup2(other, 40);
	printf("reused: read %s\n", res(read(40, page, 16)));
	/* dup2 over a mem descriptor makes it the other file. */
	dup2(other, 41);
	printf("replaced: read %s\n", res(read(41, page, 16)));
	return 0;
}

/* patchme returns 1 until its immediate is rewritten through
 * /proc/self/mem. */
__asm__(".text\n.globl patchme\npatchme:\n\tmov $1, %eax\n\tret\n");
int patchme(void);

static int t_self(void)
{
	int fd = open("/proc/self/mem", O_RDWR);
	printf("own read: %s\n", selfCheck(fd));
	static char dst[64];
	long w = pwrite64(fd, "written through mem", 20, (off64_t)(uintptr_t)dst);
	printf("own write: %s %s\n", res(w), dst);
	/* Read-only memory is written as the kernel forces it (FOLL_FORCE),
	 * and the code that runs afterwards is the new code. */
	int before = patchme();
	unsigned char two = 2;
	w = pwrite64(fd, &two, 1, (off64_t)(uintptr_t)((char *)patchme + 1));
	printf("patch: %d, pwrite %s, after: %d\n", before, res(w), patchme());
	/* The stack, the heap (brk) and an mmap are all the guest's. */
	char local[32] = "on the stack";
	char *heap = malloc(100000);
	strcpy(heap, "on the heap");
	char b[32];
	printf("stack read: %s", res(pread64(fd, b, 13, (off64_t)(uintptr_t)local)));
	printf(" %s\n", b);
	printf("heap read: %s", res(pread64(fd, b, 12, (off64_t)(uintptr_t)heap)));
	printf(" %s\n", b);
	return 0;
}

static long pvm(int write, long pid, void *local, size_t llen, uint64_t remote, size_t rlen)
{
	struct iovec l = {local, llen};
	struct iovec r = {(void *)(uintptr_t)remote, rlen};
	return write ? process_vm_writev(pid, &l, 1, &r, 1, 0) : process_vm_readv(pid, &l, 1, &r, 1, 0);
}

static int taskPVM(long tid)
{
	int n = 0;
	for (unsigned i = 0; i < NPROBES; i++)
		if (pvm(0, tid, page, sizeof page, probes[i], sizeof page) >= 0)
			n++;
	return n;
}

static int t_pvm(void)
{
	pid_t me = getpid();
	for (unsigned i = 0; i < NPROBES; i++) {
		long r = pvm(0, me, page, sizeof page, probes[i], sizeof page);
		const char *rs = res(r);
		long w = pvm(1, me, page, sizeof page, probes[i], sizeof page);
		printf("pvm @%#llx: readv %s writev %s\n", (unsigned long long)probes[i], rs, res(w));
	}
	static char b[sizeof own];
	long r = pvm(0, me, b, sizeof b, (uintptr_t)own, sizeof own);
	printf("own readv: %s %s\n", res(r), memcmp(b, own, sizeof b) == 0 ? "equal" : "different");
	static char dst[32];
	r = pvm(1, me, "written by writev", 18, (uintptr_t)dst, 18);
	printf("own writev: %s %s\n", res(r), dst);

	/* Partial: a remote range that runs into unmapped memory, and a
	 * second remote iovec that is not the guest's. */
	char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 4096, 4096);
	static char big[3 * 4096];
	printf("short readv: %s\n", res(pvm(0, me, big, sizeof big, (uintptr_t)(m + 8), 8192)));
	struct iovec l = {big, sizeof big};
	struct iovec rv[3] = {{own, 16}, {(void *)(uintptr_t)probes[1], 16}, {own, 16}};
	printf("second remote iovec not ours: %s\n", res(process_vm_readv(me, &l, 1, rv, 3, 0)));
	struct iovec rz[2] = {{(void *)(uintptr_t)probes[1], 0}, {own, 16}};
	printf("empty remote iovec not ours: %s\n", res(process_vm_readv(me, &l, 1, rz, 2, 0)));
	struct iovec l0 = {big, 0};
	printf("no local space: %s\n", res(process_vm_readv(me, &l0, 1, rv + 1, 1, 0)));
	/* Protection counts (no FOLL_FORCE): read-only code is not written. */
	unsigned char two = 2;
	printf("writev to code: %s\n", res(pvm(1, me, &two, 1, (uintptr_t)((char *)patchme + 1), 1)));
	printf("pid 0: %s\n", res(pvm(0, 0, page, 16, (uintptr_t)own, 16)));
	printf("flags: %s\n", res(process_vm_readv(me, &l, 1, rv, 1, 1)));
	printf("tasks reaching a probe: %d\n", forTasks(taskPVM));
	return 0;
}

/* lineOf finds the /proc/self/maps line whose range holds a and copies
 * its permissions; returns 0 if there is none. */
static int lineOf(const char *text, uintptr_t a, char perms[5], char name[64])
{
	for (const char *l = text; *l; ) {
		unsigned long long s, e;
		char pr[5];
		int n = 0;
		if (sscanf(l, "%llx-%llx %4s %*s %*s %*s%n", &s, &e, pr, &n) >= 3 && s <= a && a < e) {
			memcpy(perms, pr, 5);
			const char *p = l + n;
			while (*p == ' ')
				p++;
			int k = 0;
			while (*p && *p != '\n' && k < 63)
				name[k++] = *p++;
			name[k] = 0;
			return 1;
		}
		const char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	return 0;
}

static char text[1 << 16];

static int readAll(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	int n = 0;
	long r;
	while (n < (int)sizeof text - 1 && (r = read(fd, text + n, sizeof text - 1 - n)) > 0)
		n += r;
	text[n] = 0;
	close(fd);
	return n;
}

static void showMaps(const char *what, const char *path)
{
	if (readAll(path) < 0) {
		printf("%s: open failed\n", what);
		return;
	}
	int high = 0, lines = 0, headers = 0;
	for (const char *l = text; *l; ) {
		unsigned long long s, e;
		lines++;
		if (sscanf(l, "%llx-%llx ", &s, &e) == 2) {
			headers++;
			if (e > 0xffffffffull + 1)
				high++;
		}
		const char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	char perms[5], name[64];
	char local = 0;
	printf("%s: %s", what, headers > 0 ? "has mappings" : "no mappings");
#ifndef __x86_64__
	printf(", above 4 GiB: %d", high);
#endif
	/* Under minemu a 64-bit guest sees the real maps, minemu's lines and
	 * labels included: only a 32-bit guest's are its own. */
	if (lineOf(text, (uintptr_t)&local, perms, name))
#ifdef __x86_64__
		printf(", stack %s", perms);
#else
		printf(", stack %s %s", perms, name);
#endif
	else
		printf(", stack missing");
	if (lineOf(text, (uintptr_t)patchme, perms, name))
		printf(", code %s", perms);
	else
		printf(", code missing");
	if (lineOf(text, (uintptr_t)own, perms, name))
		printf(", data %s", perms);
	else
		printf(", data missing");
	printf("\n");
}

static int t_maps(void)
{
	/* A brk heap exists from the first malloc of this size. */
	char *h = malloc(1000);
	h[0] = 1;
	char p[64];
	showMaps("/proc/self/maps", "/proc/self/maps");
	snprintf(p, sizeof p, "/proc/%d/maps", getpid());
	showMaps("/proc/<pid>/maps", p);
	showMaps("/proc/thread-self/maps", "/proc/thread-self/maps");
	snprintf(p, sizeof p, "/proc/self/task/%ld/maps", gettid_());
	showMaps("/proc/self/task/<tid>/maps", p);
	showMaps("/proc/self/smaps", "/proc/self/smaps");
	char perms[5], name[64];
	readAll("/proc/self/maps");
#ifndef __x86_64__
	printf("heap %s\n", lineOf(text, (uintptr_t)h, perms, name) ? name : "missing");
	readAll("/proc/self/smaps_rollup");
	unsigned long long s = 0, e = 0;
	sscanf(text, "%llx-%llx", &s, &e);
	printf("smaps_rollup: below 4 GiB %s, %s\n", e <= 0x100000000ull ? "yes" : "no",
	       strstr(text, "Rss:") ? "has Rss" : "no Rss");
	readAll("/proc/self/numa_maps");
	int high = 0;
	for (const char *l = text; *l; ) {
		if (strtoull(l, NULL, 16) >> 32)
			high++;
		const char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	printf("numa_maps above 4 GiB: %d\n", high);
#endif
	return 0;
}

int main(int argc, char **argv)
{
	for (unsigned i = 0; i < sizeof own; i++)
		own[i] = (char)(i * 7 + 3);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "mem"))
		return t_mem();
	if (!strcmp(argv[1], "paths"))
		return t_paths();
	if (!strcmp(argv[1], "self"))
		return t_self();
	if (!strcmp(argv[1], "pvm"))
		return t_pvm();
	if (!strcmp(argv[1], "maps"))
		return t_maps();
	return 2;
}
