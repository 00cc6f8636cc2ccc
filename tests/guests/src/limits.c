/* limits: descriptors and resource limits, the way a hostile guest probes
 * them. argv[1] names the test:
 *   fds     descriptor numbering (first open is 3, lowest free), listing
 *           /proc/self/fd by every name, scanning every number for open
 *           descriptors (fcntl, close, readlink, stat of fdinfo), dup2,
 *           dup3 and F_DUPFD against RLIMIT_NOFILE
 *   nofile  RLIMIT_NOFILE 5: opening until EMFILE, EMFILE without side
 *           effects, pipe, dup, F_DUPFD
 *   as      RLIMIT_AS: malloc, mmap, mremap, sbrk fail with ENOMEM; the
 *           program goes on
 *   data    RLIMIT_DATA: brk, private writable mappings, mprotect; a soft
 *           limit of 0
 *   memlock RLIMIT_MEMLOCK's argument checks: mlock, mlock2, mlockall
 *   priv    what depends on the capabilities: raising hard limits, mlock,
 *           mlock2, mlockall and MAP_LOCKED against RLIMIT_MEMLOCK
 *   fsize   RLIMIT_FSIZE with SIGXFSZ ignored: a short write, then EFBIG
 *   get     getrlimit, setrlimit, prlimit64 and (i386) the old getrlimit
 *           and ugetrlimit as raw system calls: values, clamping, errors
 * Only values the program set itself are printed, so the output is the
 * same on every host. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *err(long r)
{
	static char buf[32];
	if (r >= 0) {
		snprintf(buf, sizeof buf, "%ld", r);
		return buf;
	}
	switch (errno) {
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	case ENOENT: return "ENOENT";
	case EAGAIN: return "EAGAIN";
	case EFBIG: return "EFBIG";
	case ESRCH: return "ESRCH";
	}
	snprintf(buf, sizeof buf, "errno %d", errno);
	return buf;
}

static void setlim(int res, unsigned long cur, unsigned long max, const char *what)
{
	struct rlimit r = {cur, max};
	int e = setrlimit(res, &r);
	printf("setrlimit(%s, %lu, %lu) = %s\n", what, cur, max, err(e));
}

static void list(const char *label, const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("%s: opendir %s\n", label, err(-1));
		return;
	}
	printf("%s:", label);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf(" %s", e->d_name);
	printf("\n");
	closedir(d);
}

enum { SCAN = 1 << 15 };

static int t_fds(void)
{
	int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);
	printf("first open %d, second %d\n", a, b);
	close(a);
	int c = open("/dev/null", O_RDONLY);
	printf("after closing %d: %d\n", a, c);
	int p[2];
	pipe(p);
	printf("pipe %d %d\n", p[0], p[1]);
	close(p[0]), close(p[1]), close(b), close(c);

	char path[64];
	list("/proc/self/fd", "/proc/self/fd");
	list("/proc/self/fdinfo", "/proc/self/fdinfo");
	list("/proc/thread-self/fd", "/proc/thread-self/fd");
	list("/dev/fd", "/dev/fd");
	snprintf(path, sizeof path, "/proc/%d/fd", getpid());
	list("/proc/PID/fd", path);
	snprintf(path, sizeof path, "/proc/self/task/%ld/fdinfo", (long)syscall(SYS_gettid));
	list("/proc/self/task/TID/fdinfo", path);
	if (chdir("/proc/self/fd") == 0) {
		list("chdir /proc/self/fd, .", ".");
		chdir("/");
	}

	printf("open by fcntl(F_GETFD):");
	for (int n = 0; n < SCAN; n++)
		if (fcntl(n, F_GETFD) >= 0)
			printf(" %d", n);
	printf("\n");
	int found = 0;
	for (int n = 0; n < SCAN; n++) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", n);
		char buf[256];
		struct stat st;
		if (readlink(path, buf, sizeof buf) >= 0 || stat(path, &st) == 0 || access(path, F_OK) == 0)
			found++;
		snprintf(path, sizeof path, "/proc/self/fdinfo/%d", n);
		if (stat(path, &st) == 0)
			found++;
	}
	printf("found through /proc/self/fd and fdinfo: %d\n", found);
	int closed = 0;
	for (int n = 3; n < SCAN; n++)
		if (close(n) == 0)
			closed++;
	printf("closed: %d\n", closed);

	setlim(RLIMIT_NOFILE, 64, 64, "NOFILE");
	printf("dup2(0, 63) = %s\n", err(dup2(0, 63)));
	close(63);
	printf("dup2(0, 64) = %s\n", err(dup2(0, 64)));
	printf("dup2(0, 1<<20) = %s\n", err(dup2(0, 1 << 20)));
	printf("dup2(0, -1) = %s\n", err(dup2(0, -1)));
	printf("dup2(-1, 5) = %s\n", err(dup2(-1, 5)));
	printf("dup2(1, 1) = %s\n", err(dup2(1, 1)));
	printf("dup3(0, 64, 0) = %s\n", err(dup3(0, 64, 0)));
	printf("dup3(0, 0, 0) = %s\n", err(dup3(0, 0, 0)));
	printf("dup3(0, 5, 0x1234) = %s\n", err(dup3(0, 5, 0x1234)));
	printf("F_DUPFD 64 = %s\n", err(fcntl(0, F_DUPFD, 64)));
	printf("F_DUPFD -1 = %s\n", err(fcntl(0, F_DUPFD, -1)));
	printf("F_DUPFD 63 = %s\n", err(fcntl(0, F_DUPFD, 63)));
	printf("F_DUPFD_CLOEXEC 63 = %s\n", err(fcntl(0, F_DUPFD_CLOEXEC, 63)));
	printf("F_DUPFD 60 = %s\n", err(fcntl(0, F_DUPFD, 60)));
	return 0;
}

static int t_nofile(void)
{
	setlim(RLIMIT_NOFILE, 5, 64, "NOFILE");
	struct rlimit r;
	getrlimit(RLIMIT_NOFILE, &r);
	printf("getrlimit(NOFILE) = %lu %lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
	int n = 0, fd;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		printf("open %d\n", fd), n++;
	printf("opened %d, then %s\n", n, err(fd));
	const char *tmp = "/tmp/minemu-limits-nofile-creat";
	unlink(tmp);
	printf("open(O_CREAT) = %s\n", err(open(tmp, O_CREAT | O_WRONLY, 0600)));
	printf("access after = %s\n", err(access(tmp, F_OK)));
	printf("open(missing) = %s\n", err(open("/nonexistent/file", O_RDONLY)));
	int p[2] = {-7, -7};
	printf("pipe = %s, %d %d\n", err(pipe(p)), p[0], p[1]);
	printf("dup = %s\n", err(dup(0)));
	printf("F_DUPFD 0 = %s\n", err(fcntl(0, F_DUPFD, 0)));
	close(4);
	printf("pipe with one free = %s, %d %d\n", err(pipe(p)), p[0], p[1]);
	printf("dup = %s\n", err(dup(0)));
	printf("dup2(0, 4) = %s\n", err(dup2(0, 4)));
	setlim(RLIMIT_NOFILE, 3, 64, "NOFILE");
	printf("fcntl(4, F_GETFD) above the limit = %s\n", err(fcntl(4, F_GETFD)));
	printf("dup2(0, 3) = %s\n", err(dup2(0, 3)));
	close(3), close(4);
	printf("open = %s\n", err(open("/dev/null", O_RDONLY)));
	setlim(RLIMIT_NOFILE, 65, 64, "NOFILE");
	setlim(RLIMIT_NOFILE, 4, 64, "NOFILE");
	printf("open = %s\n", err(open("/dev/null", O_RDONLY)));
	printf("open = %s\n", err(open("/dev/null", O_RDONLY)));
	return 0;
}

static int t_as(void)
{
	setlim(RLIMIT_AS, 64 << 20, RLIM_INFINITY, "AS");
	errno = 0;
	void *p = malloc(256 << 20);
	printf("malloc(256 MiB) = %s, errno %s\n", p ? "ok" : "NULL", err(-1));
	p = malloc(1 << 20);
	printf("malloc(1 MiB) = %s\n", p ? "ok" : "NULL");
	free(p);
	void *m = mmap(0, 256 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap(256 MiB, PROT_NONE) = %s\n", m == MAP_FAILED ? err(-1) : "ok");
	m = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap(1 MiB) = %s\n", m == MAP_FAILED ? err(-1) : "ok");
	void *g = mremap(m, 1 << 20, 256 << 20, MREMAP_MAYMOVE);
	printf("mremap to 256 MiB = %s\n", g == MAP_FAILED ? err(-1) : "ok");
	munmap(m, 1 << 20);
	void *old = sbrk(0);
	void *s = sbrk(128 << 20);
	printf("sbrk(128 MiB) = %s, break %s\n", s == (void *)-1 ? err(-1) : "ok", sbrk(0) == old ? "unchanged" : "moved");
	setlim(RLIMIT_AS, 128 << 20, 96 << 20, "AS");
	setlim(RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY, "AS");
	p = malloc(256 << 20);
	printf("malloc(256 MiB) = %s\n", p ? "ok" : "NULL");
	free(p);
	struct rlimit r;
	getrlimit(RLIMIT_AS, &r);
	printf("getrlimit(AS) = %s %s\n", r.rlim_cur == RLIM_INFINITY ? "inf" : "finite", r.rlim_max == RLIM_INFINITY ? "inf" : "finite");
	return 0;
}

static int t_data(void)
{
	setlim(RLIMIT_DATA, 1 << 20, RLIM_INFINITY, "DATA");
	void *old = sbrk(0);
	printf("sbrk(2 MiB) = %s\n", sbrk(2 << 20) == (void *)-1 ? err(-1) : "ok");
	printf("sbrk(4 KiB) = %s\n", sbrk(4096) == (void *)-1 ? err(-1) : "ok");
	printf("break moved by %ld\n", (long)((char *)sbrk(0) - (char *)old));
	sbrk(-4096);
	void *m = mmap(0, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap(2 MiB, rw, private) = %s\n", m == MAP_FAILED ? err(-1) : "ok");
	m = mmap(0, 2 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap(2 MiB, r, private) = %s\n", m == MAP_FAILED ? err(-1) : "ok");
	printf("mprotect(rw) = %s\n", err(mprotect(m, 2 << 20, PROT_READ | PROT_WRITE)));
	printf("mprotect(4 KiB rw) = %s\n", err(mprotect(m, 4096, PROT_READ | PROT_WRITE)));
	munmap(m, 2 << 20);
	m = mmap(0, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	printf("mmap(2 MiB, rw, shared) = %s\n", m == MAP_FAILED ? err(-1) : "ok");
	munmap(m, 2 << 20);
	errno = 0;
	void *p = malloc(2 << 20);
	printf("malloc(2 MiB) = %s, errno %s\n", p ? "ok" : "NULL", err(-1));
	setlim(RLIMIT_DATA, 0, 64 << 20, "DATA");
	m = mmap(0, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("soft 0: mmap(2 MiB, rw) = %s\n", m == MAP_FAILED ? err(-1) : "ok");
	void *m2 = mmap(0, 128 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("soft 0: mmap(128 MiB, rw) = %s\n", m2 == MAP_FAILED ? err(-1) : "ok");
	old = sbrk(0);
	printf("soft 0: sbrk(4 KiB) = %s\n", sbrk(4096) == (void *)-1 ? err(-1) : "ok");
	setlim(RLIMIT_DATA, 64 << 20, 64 << 20, "DATA");
	printf("sbrk(4 KiB) = %s\n", sbrk(4096) == (void *)-1 ? err(-1) : "ok");
	return 0;
}

/* memlock: what does not depend on CAP_IPC_LOCK (priv does the rest). */
static int t_memlock(void)
{
	long pg = 4096;
	char *m = mmap(0, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	setlim(RLIMIT_MEMLOCK, 2 * pg, 8 << 20, "MEMLOCK");
	printf("mlock2(flags 0x10) = %s\n", err(syscall(SYS_mlock2, m, pg, 0x10)));
	printf("mlock(unmapped) = %s\n", err(mlock((void *)0x10000, pg)));
	printf("mlock(length 0) = %s\n", err(mlock(m, 0)));
	printf("munlock = %s\n", err(munlock(m, 16 * pg)));
	printf("munlock(unmapped) = %s\n", err(munlock((void *)0x10000, pg)));
	printf("mlockall(0) = %s\n", err(mlockall(0)));
	printf("mlockall(ONFAULT) = %s\n", err(mlockall(MCL_ONFAULT)));
	printf("mlockall(8) = %s\n", err(mlockall(8)));
	printf("munlockall = %s\n", err(munlockall()));
	return 0;
}

/* priv: results that depend on CAP_SYS_RESOURCE and CAP_IPC_LOCK; tests
 * compare them with a native run under the same credentials rather than
 * with a golden file. */
static int t_priv(void)
{
	long pg = 4096;
	setlim(RLIMIT_NOFILE, 64, 64, "NOFILE");
	setlim(RLIMIT_NOFILE, 64, 65, "NOFILE");
	setlim(RLIMIT_STACK, 1 << 20, 64 << 20, "STACK");
	setlim(RLIMIT_STACK, 1 << 20, RLIM_INFINITY, "STACK");
#ifdef __i386__
	uint32_t inf[2] = {0xffffffffu, 0xffffffffu};
	printf("setrlimit(STACK, compat inf) = %s\n", err(syscall(75, RLIMIT_STACK, inf)));
#endif
	char *m = mmap(0, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	setlim(RLIMIT_MEMLOCK, 0, 8 << 20, "MEMLOCK");
	printf("mlock(3 pages) = %s\n", err(mlock(m, 3 * pg)));
	printf("mlock(unmapped) = %s\n", err(mlock((void *)0x10000, pg)));
	printf("mlockall(FUTURE) = %s\n", err(mlockall(MCL_FUTURE)));
	printf("munlock = %s\n", err(munlock(m, 3 * pg)));
	setlim(RLIMIT_MEMLOCK, 2 * pg, 8 << 20, "MEMLOCK");
	printf("mlock(3 pages) = %s\n", err(mlock(m, 3 * pg)));
	printf("mlock(1 page) = %s\n", err(mlock(m, pg)));
	printf("mlock2(1 page, ONFAULT) = %s\n", err(syscall(SYS_mlock2, m + pg, pg, 1)));
	printf("mlock(same 2 pages) = %s\n", err(mlock(m, 2 * pg)));
	printf("mlock2(huge length) = %s\n", err(syscall(SYS_mlock2, m, ~0ul, 0)));
	printf("munlock = %s\n", err(munlock(m, 16 * pg)));
	printf("mlockall(CURRENT) = %s\n", err(mlockall(MCL_CURRENT)));
	printf("munlockall = %s\n", err(munlockall()));
	printf("mlockall(FUTURE) = %s\n", err(mlockall(MCL_FUTURE)));
	void *f = mmap(0, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap(4 pages) after FUTURE = %s\n", f == MAP_FAILED ? err(-1) : "ok");
	f = mmap(0, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap(1 page) after FUTURE = %s\n", f == MAP_FAILED ? err(-1) : "ok");
	printf("munlockall = %s\n", err(munlockall()));
	void *l = mmap(0, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	printf("mmap(MAP_LOCKED 4 pages) = %s\n", l == MAP_FAILED ? err(-1) : "ok");
	l = mmap(0, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	printf("mmap(MAP_LOCKED 1 page) = %s\n", l == MAP_FAILED ? err(-1) : "ok");
	return 0;
}

static int t_fsize(void)
{
	signal(SIGXFSZ, SIG_IGN);
	char path[64];
	snprintf(path, sizeof path, "/tmp/minemu-limits-fsize-%d", getpid());
	setlim(RLIMIT_FSIZE, 100, RLIM_INFINITY, "FSIZE");
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	char buf[200];
	memset(buf, 'x', sizeof buf);
	printf("write(200) = %s\n", err(write(fd, buf, sizeof buf)));
	printf("write(10) = %s\n", err(write(fd, buf, 10)));
	close(fd);
	unlink(path);
	return 0;
}

static void getraw(long nr, const char *name, int res)
{
#ifdef __i386__
	uint32_t v[2] = {0, 0};
	long r = syscall(nr, res, v);
	printf("%s(%d) = %s: %#x %#x\n", name, res, err(r), v[0], v[1]);
#else
	uint64_t v[2] = {0, 0};
	long r = syscall(nr, res, v);
	printf("%s(%d) = %s: %#llx %#llx\n", name, res, err(r), (unsigned long long)v[0], (unsigned long long)v[1]);
#endif
}

static int t_get(void)
{
	/* Hard values no lower than the defaults (unlimited for STACK,
	 * NPROC, CPU and MSGQUEUE's cap), so that only root's raising is
	 * needed where the program raises. */
	setlim(RLIMIT_NOFILE, 5, 64, "NOFILE");
	setlim(RLIMIT_STACK, 1 << 20, 64 << 20, "STACK");
	setlim(RLIMIT_CORE, 0, 0, "CORE");
	struct rlimit r;
	getrlimit(RLIMIT_NPROC, &r);
	r.rlim_cur = 1;
	printf("setrlimit(NPROC, 1) = %s\n", err(setrlimit(RLIMIT_NPROC, &r)));
	setlim(RLIMIT_CPU, 1000, 2000, "CPU");
#ifdef __i386__
	getraw(76, "old getrlimit", RLIMIT_NOFILE);
	getraw(191, "ugetrlimit", RLIMIT_NOFILE);
	getraw(76, "old getrlimit", RLIMIT_STACK);
	getraw(191, "ugetrlimit", RLIMIT_STACK);
	getraw(191, "ugetrlimit", RLIMIT_CPU);
	uint32_t big[2] = {0xffffffffu, 0xffffffffu};
	uint32_t two[2] = {3000000000u, 0xffffffffu};
	printf("setrlimit(DATA, 3e9) = %s\n", err(syscall(75, RLIMIT_DATA, two)));
	getraw(76, "old getrlimit", RLIMIT_DATA);
	getraw(191, "ugetrlimit", RLIMIT_DATA);
	getraw(76, "old getrlimit", 99);
	getraw(191, "ugetrlimit", 99);
	printf("setrlimit raw(99) = %s\n", err(syscall(75, 99, big)));
	printf("setrlimit raw(bad pointer) = %s\n", err(syscall(75, RLIMIT_NOFILE, 1)));
	printf("ugetrlimit raw(bad pointer) = %s\n", err(syscall(191, RLIMIT_NOFILE, 1)));
#else
	getraw(SYS_getrlimit, "getrlimit", RLIMIT_NOFILE);
	getraw(SYS_getrlimit, "getrlimit", RLIMIT_STACK);
	getraw(SYS_getrlimit, "getrlimit", RLIMIT_CPU);
	getraw(SYS_getrlimit, "getrlimit", 99);
	uint64_t big[2] = {~0ull, ~0ull};
	printf("setrlimit raw(99) = %s\n", err(syscall(SYS_setrlimit, 99, big)));
	printf("setrlimit raw(bad pointer) = %s\n", err(syscall(SYS_setrlimit, RLIMIT_NOFILE, 1)));
	printf("getrlimit raw(bad pointer) = %s\n", err(syscall(SYS_getrlimit, RLIMIT_NOFILE, 1)));
#endif
	const int res[] = {RLIMIT_NOFILE, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_CPU};
	const char *names[] = {"NOFILE", "STACK", "CORE", "CPU"};
	for (int i = 0; i < 4; i++) {
		uint64_t v[2];
		long e = syscall(SYS_prlimit64, 0, res[i], 0, v);
		printf("prlimit64(0, %s) = %s: %llu %llu\n", names[i], err(e), (unsigned long long)v[0], (unsigned long long)v[1]);
	}
	getrlimit(RLIMIT_NPROC, &r);
	printf("getrlimit(NPROC) cur = %lu\n", (unsigned long)r.rlim_cur);
	uint64_t v[2] = {4, 64}, o[2];
	printf("prlimit64(getpid, NOFILE, 4/64) = %s", err(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, v, o)));
	printf(", old %llu %llu\n", (unsigned long long)o[0], (unsigned long long)o[1]);
	printf("prlimit64(gettid, NOFILE) = %s", err(syscall(SYS_prlimit64, syscall(SYS_gettid), RLIMIT_NOFILE, 0, o)));
	printf(": %llu %llu\n", (unsigned long long)o[0], (unsigned long long)o[1]);
	printf("prlimit64(0, 99) = %s\n", err(syscall(SYS_prlimit64, 0, 99, 0, o)));
	printf("prlimit64(-5) = %s\n", err(syscall(SYS_prlimit64, -5, RLIMIT_NOFILE, 0, o)));
	uint64_t bad[2] = {10, 5};
	printf("prlimit64(cur > max) = %s\n", err(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, bad, 0)));
	printf("prlimit64(new bad pointer) = %s\n", err(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 1, 0)));
	uint64_t n3[2] = {3, 64};
	printf("prlimit64(old bad pointer) = %s", err(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, n3, 1)));
	getrlimit(RLIMIT_NOFILE, &r);
	printf(", now %lu\n", (unsigned long)r.rlim_cur);
	setlim(RLIMIT_NOFILE, 64, 64, "NOFILE");
	getrlimit(RLIMIT_NOFILE, &r);
	printf("getrlimit(NOFILE) = %lu %lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *t = argc > 1 ? argv[1] : "";
	if (!strcmp(t, "fds"))
		return t_fds();
	if (!strcmp(t, "nofile"))
		return t_nofile();
	if (!strcmp(t, "as"))
		return t_as();
	if (!strcmp(t, "data"))
		return t_data();
	if (!strcmp(t, "memlock"))
		return t_memlock();
	if (!strcmp(t, "priv"))
		return t_priv();
	if (!strcmp(t, "fsize"))
		return t_fsize();
	if (!strcmp(t, "get"))
		return t_get();
	fprintf(stderr, "usage: limits fds|nofile|as|data|memlock|priv|fsize|get\n");
	return 2;
}
