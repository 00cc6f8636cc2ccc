/* userbuf: system calls whose buffer is only partly accessible. The
 * kernel copies what it can and returns a short count, or EFAULT when
 * nothing could be copied; the exact answer depends on the call and on
 * the file (a pipe buffer is copied whole or not at all). Prints one line
 * per call with its result. The buffers: a page followed by an unmapped
 * page (A), a page followed by a PROT_NONE page (B), and a shared mapping
 * of a 100-byte file whose second page lies past the end of the file (E:
 * touching it is SIGBUS, handing it to the kernel is EFAULT). */
#include "rt.h"

#ifdef __x86_64__
#define NR_read 0
#define NR_open 2
#define NR_close 3
#define NR_fstat 5
#define NR_lseek 8
#define NR_mmap 9
#define NR_mprotect 10
#define NR_munmap 11
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_readv 19
#define NR_writev 20
#define NR_pipe 22
#define NR_ftruncate 77
#define NR_getcwd 79
#define NR_chdir 80
#define NR_mkdir 83
#define NR_rmdir 84
#define NR_readlink 89
#define NR_getdents64 217
#define NR_clock_gettime 228
#define NR_getrandom 318
#else
#define NR_read 3
#define NR_open 5
#define NR_close 6
#define NR_fstat 108
#define NR_lseek 19
#define NR_mmap 192 /* mmap2 */
#define NR_mprotect 125
#define NR_munmap 91
#define NR_pread64 180
#define NR_pwrite64 181
#define NR_readv 145
#define NR_writev 146
#define NR_pipe 42
#define NR_ftruncate 93
#define NR_getcwd 183
#define NR_chdir 12
#define NR_mkdir 39
#define NR_rmdir 40
#define NR_readlink 85
#define NR_getdents64 220
#define NR_clock_gettime 265
#define NR_getrandom 355
#endif

#define PAGE 4096

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
#ifdef __x86_64__
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
#else
	long blk[2] = {a, f};
	long *bp = blk;
	__asm__ volatile("push %%ebp\n\t"
			 "mov 4(%%ebx), %%ebp\n\t"
			 "mov 0(%%ebx), %%ebx\n\t"
			 "int $0x80\n\t"
			 "pop %%ebp"
			 : "=a"(r), "+b"(bp)
			 : "a"(n), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
#endif
	return r;
}

static void show(const char *what, long r)
{
	puts_(what), puts_(": ");
	if (r < 0 && r > -4096)
		puts_("-"), putdec(-r);
	else
		putdec(r);
	nl();
	flush(); /* what was shown survives a death on the next line */
}

static long mmap_(ulong a, ulong len, int prot, int flags, int fd)
{
	return sys6(NR_mmap, (long)a, (long)len, prot, flags, fd, 0);
}

static int failed(long r) { return r < 0 && r > -4096; }

static char pat[3 * PAGE];

/* tmpfile returns a new unnamed file in /tmp holding size bytes of pat. */
static int tmpfile_(long size)
{
	long fd = sys3(NR_open, (long)"/tmp", 020200002 /* O_TMPFILE|O_RDWR */, 0600);
	if (fd < 0) {
		show("open O_TMPFILE", fd);
		exit_(1);
	}
	if (size && sys3(NR_write, fd, (long)pat, size) != size) {
		puts_("write failed\n");
		exit_(1);
	}
	sys3(NR_lseek, fd, 0, 0);
	return (int)fd;
}

/* An i386 iovec and an x86-64 one are both {pointer, size_t}. */
struct iov {
	char *base;
	ulong len;
};

int main(int argc, char **argv, char **envp)
{
	for (int i = 0; i < (int)sizeof pat; i++)
		pat[i] = 'a' + i % 26;
	long a = mmap_(0, 2 * PAGE, 3, 0x22, -1), b = mmap_(0, 2 * PAGE, 3, 0x22, -1);
	if (failed(a) || failed(b)) {
		puts_("mmap failed\n");
		return 1;
	}
	sys3(NR_munmap, a + PAGE, PAGE, 0);
	sys3(NR_mprotect, b + PAGE, PAGE, 0);
	char *A = (char *)a, *B = (char *)b;
	char *Aend = A + PAGE, *Bend = B + PAGE;

	int f = tmpfile_(sizeof pat);
	show("read, tail unmapped", sys3(NR_read, f, (long)A, 2 * PAGE));
	sys3(NR_lseek, f, 0, 0);
	show("read, 100 bytes before the hole", sys3(NR_read, f, (long)(Aend - 100), 2 * PAGE));
	show("read, all in the hole", sys3(NR_read, f, (long)Aend, 10));
	show("read, zero bytes in the hole", sys3(NR_read, f, (long)Aend, 0));
	sys3(NR_lseek, f, 0, 0);
	show("read, tail PROT_NONE", sys3(NR_read, f, (long)B, 2 * PAGE));
	show("read, 100 bytes before PROT_NONE", sys3(NR_read, f, (long)(Bend - 100), 2 * PAGE));
	show("file position after the reads", sys3(NR_lseek, f, 0, 1));
	show("pread64, 100 bytes before the hole", sys6(NR_pread64, f, (long)(Aend - 100), 2 * PAGE, 0, 0, 0));
	show("read, bad descriptor, buffer in the hole", sys3(NR_read, 1000, (long)Aend, 10));

	long p[2];
	int pfd[2];
#ifdef __x86_64__
	int pi[2];
	sys3(NR_pipe, (long)pi, 0, 0);
	pfd[0] = pi[0], pfd[1] = pi[1];
	(void)p;
#else
	sys3(NR_pipe, (long)p, 0, 0); /* int[2] on i386 too; long is 32 bits */
	pfd[0] = (int)p[0], pfd[1] = (int)p[1];
#endif
	sys3(NR_write, pfd[1], (long)pat, PAGE);
	show("pipe read, 100 bytes before the hole", sys3(NR_read, pfd[0], (long)(Aend - 100), 2 * PAGE));
	show("pipe read, tail unmapped", sys3(NR_read, pfd[0], (long)A, 2 * PAGE));
	sys3(NR_write, pfd[1], (long)pat, 2 * PAGE);
	show("pipe read of two pages, tail unmapped", sys3(NR_read, pfd[0], (long)A, 2 * PAGE));
	show("pipe read, tail PROT_NONE", sys3(NR_read, pfd[0], (long)B, 2 * PAGE));
	show("pipe write, 100 bytes before the hole", sys3(NR_write, pfd[1], (long)(Aend - 100), 2 * PAGE));
	show("pipe write, tail unmapped", sys3(NR_write, pfd[1], (long)A, 2 * PAGE));
	show("pipe read back", sys3(NR_read, pfd[0], (long)pat, 2 * PAGE));

	int g = tmpfile_(0);
	show("write, 100 bytes before the hole", sys3(NR_write, g, (long)(Aend - 100), 2 * PAGE));
	show("write, 100 bytes before PROT_NONE", sys3(NR_write, g, (long)(Bend - 100), 2 * PAGE));
	show("write, all in the hole", sys3(NR_write, g, (long)Aend, 10));
	show("pwrite64, 100 bytes before the hole", sys6(NR_pwrite64, g, (long)(Aend - 100), 2 * PAGE, 0, 0, 0));

	struct iov v1[2] = {{A, 100}, {Aend - 50, 200}};
	struct iov v2[3] = {{A, 100}, {Aend, 10}, {A + 200, 10}};
	struct iov v3[2] = {{Aend, 10}, {A, 10}};
	sys3(NR_lseek, f, 0, 0);
	show("readv, second buffer half in the hole", sys3(NR_readv, f, (long)v1, 2));
	show("readv, second buffer in the hole", sys3(NR_readv, f, (long)v2, 3));
	show("readv, first buffer in the hole", sys3(NR_readv, f, (long)v3, 2));
	show("writev, second buffer half in the hole", sys3(NR_writev, g, (long)v1, 2));
	show("writev, second buffer in the hole", sys3(NR_writev, g, (long)v2, 3));
	show("writev, first buffer in the hole", sys3(NR_writev, g, (long)v3, 2));
	show("writev, iovec array in the hole", sys3(NR_writev, g, (long)Aend, 1));

	show("getrandom, 100 bytes before the hole", sys3(NR_getrandom, (long)(Aend - 100), 200, 0));
	show("getrandom, all in the hole", sys3(NR_getrandom, (long)Aend, 200, 0));

	int null = (int)sys3(NR_open, (long)"/dev/null", 0, 0);
	char link[32] = "/proc/self/fd/";
	int n = 14;
	if (null >= 10)
		link[n++] = '0' + null / 10;
	link[n++] = '0' + null % 10;
	show("readlink, 20 bytes before the hole", sys3(NR_readlink, (long)link, (long)(Aend - 20), 100));
	show("readlink, 5 bytes before the hole", sys3(NR_readlink, (long)link, (long)(Aend - 5), 100));

	char dir[32] = "/tmp/minemu-userbuf-";
	n = 20;
	for (ulong v = (ulong)sys3(NR_getpid, 0, 0, 0); v; v /= 10)
		dir[n++] = '0' + v % 10;
	sys3(NR_mkdir, (long)dir, 0700, 0);
	int d = (int)sys3(NR_open, (long)dir, 0200000 /* O_DIRECTORY */, 0);
	show("getdents64, one record before the hole", sys3(NR_getdents64, d, (long)(Aend - 30), PAGE));
	show("getdents64, the rest, 8 bytes before the hole", sys3(NR_getdents64, d, (long)(Aend - 8), PAGE));
	show("getdents64, the rest", sys3(NR_getdents64, d, (long)A, PAGE));
	sys3(NR_close, d, 0, 0);
	sys3(NR_rmdir, (long)dir, 0, 0);

	/* The file mapping past its end. */
	int h = tmpfile_(100);
	long e = mmap_(0, 2 * PAGE, 3, 1 /* MAP_SHARED */, h);
	if (failed(e)) {
		show("mmap of the file", e);
		return 1;
	}
	char *E = (char *)e, *Eend = E + PAGE;
	show("read into the page past EOF", sys3(NR_read, f, (long)(Eend - 100), 200));
	show("fstat into the page past EOF", sys3(NR_fstat, f, (long)Eend, 0));
	show("clock_gettime into the page past EOF", sys3(NR_clock_gettime, 1, (long)Eend, 0));
	show("open of a path in the page past EOF", sys3(NR_open, (long)Eend, 0, 0));
	show("writev, iovec array past EOF", sys3(NR_writev, g, (long)Eend, 1));

#ifndef __x86_64__
	/* A buffer crossing TASK_SIZE (0xffffe000) and 4 GiB: the kernel
	 * copies up to TASK_SIZE. The page below it is mapped here, or it is
	 * the top of the stack (which the kernel puts there when it does not
	 * randomize, as minemu does): its last 100 bytes hold only the
	 * environment strings, no longer needed. */
	ulong top = 0xffffe000UL;
	long m = mmap_(top - PAGE, PAGE, 3, 0x22 | 0x100000 /* MAP_FIXED_NOREPLACE */, -1);
	if (failed(m) && m != -17) {
		show("mmap below TASK_SIZE", m);
		return 1;
	}
	sys3(NR_lseek, f, 0, 0);
	show("read across TASK_SIZE", sys3(NR_read, f, (long)(top - 100), 3 * PAGE));
	show("write across TASK_SIZE", sys3(NR_write, g, (long)(top - 100), 3 * PAGE));
	show("read at TASK_SIZE", sys3(NR_read, f, (long)top, 10));
	show("read in the last page", sys3(NR_read, f, (long)0xfffff000UL, 10));
#endif

	sys3(NR_chdir, (long)"/", 0, 0);
	show("getcwd, 2 bytes before the hole", sys3(NR_getcwd, (long)(Aend - 2), 100, 0));
	show("getcwd, 1 byte before the hole", sys3(NR_getcwd, (long)(Aend - 1), 100, 0));
	return 0;
}
