/* traps: executes the instruction argv[1] names, each one the CPU or the
 * kernel refuses in user mode, and so dies the way Linux kills a process
 * for it. The exit status is the golden: 128 + the signal.
 *
 *   lockreg   lock add %ebx,%eax (LOCK on a register operand: #UD, SIGILL)
 *   lockmov   lock mov %eax,(mem) (LOCK on an instruction without it: #UD)
 *   lockok    lock add %eax,(mem) (allowed: no fault)
 *   cli sti   #GP: SIGSEGV
 *   in out    in $0x80,%al / out %al,$0x80: #GP (IOPL 0): SIGSEGV
 *   indx      in (%dx),%al: #GP: SIGSEGV
 *   hlt       #GP: SIGSEGV
 *   rdmsr wrmsr movcr wbinvd   privileged: #GP: SIGSEGV
 *   int10     int $0x10: #GP (DPL 0 gate): SIGSEGV
 *   long15    14 operand-size prefixes and a NOP: 15 bytes, runs
 *   long16    15 prefixes and a NOP: 16 bytes, #GP: SIGSEGV
 *   long15add 13 prefixes and add %bx,%ax: 15 bytes, runs
 *   long16add 14 prefixes and add %bx,%ax: 16 bytes, #GP: SIGSEGV
 *   lockxchg  lock xchg %ebx,%eax (register operands): #UD, SIGILL
 *   lockload  lock add (mem),%eax (memory source only): #UD, SIGILL
 *   rdpmc     #GP unless the kernel allows it: SIGSEGV
 *   aam0      aam $0 (i386): #DE, SIGFPE; x86-64: #UD, SIGILL
 *   aam       aam $10 and aad $10 (i386): print AX and SF ZF PF; x86-64:
 *             SIGILL
 *   into      into with OF=1 (i386): #OF, SIGSEGV; x86-64: #UD, SIGILL
 *   intono    into with OF=0 (i386): no fault; x86-64: #UD, SIGILL
 *   bound     bound with an index out of range (i386): #BR, SIGSEGV;
 *             x86-64: 62 is EVEX, SIGILL
 *   boundok   bound with indexes in range, both ends included (i386):
 *             runs
 *   busfile   a file mapping of two pages over a one-page file: touching
 *             the second page is SIGBUS
 *   bustrunc  a two-page file mapped, truncated to one page, second page
 *             touched: SIGBUS
 *   busw      as busfile, a store: SIGBUS
 *   busro     as busfile, read-only and private: SIGBUS
 *   busmovs   rep movsb from the page past the end of the file: SIGBUS
 *   busexec   a call into an executable file mapping past the end of the
 *             file: SIGBUS
 * Prints a line first, which must reach stdout before the guest dies. */
#include "rt.h"

#ifdef __x86_64__
#define NR_open 2
#define NR_ftruncate 77
#define NR_mmap 9
#else
#define NR_open 5
#define NR_ftruncate 93
#define NR_mmap 192 /* mmap2: offset in pages */
#endif

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
	/* ebp is the frame pointer under -Os; pass the sixth argument through
	 * a block: push ebp, load it, call, pop. */
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

static int eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static volatile int word;

/* tmpfile returns a descriptor of a new unnamed file in /tmp of size
 * bytes, or exits. */
static int tmpfile_(long size)
{
	long fd = sys3(NR_open, (long)"/tmp", 020200002 /* O_TMPFILE|O_RDWR */, 0600);
	if (fd < 0) {
		puts_("open O_TMPFILE failed: "), putdec(fd), nl();
		exit_(1);
	}
	if (sys3(NR_ftruncate, fd, size, 0) != 0) {
		puts_("ftruncate failed\n");
		exit_(1);
	}
	return (int)fd;
}

static volatile char *mapfile(int fd, long len, int prot)
{
	long p = sys6(NR_mmap, 0, len, prot, 1 /* MAP_SHARED */, fd, 0);
	if ((unsigned long)p > -4096UL) {
		puts_("mmap failed: "), putdec(p), nl();
		exit_(1);
	}
	return (volatile char *)p;
}

int main(int argc, char **argv, char **envp)
{
	const char *what = argc > 1 ? argv[1] : "";
	puts_("about to "), puts_(what), nl();
	flush();
	if (eq(what, "lockreg"))
		__asm__ volatile(".byte 0xf0, 0x01, 0xd8" ::: "eax", "cc"); /* lock add %ebx,%eax */
	else if (eq(what, "lockmov"))
		__asm__ volatile("lock; .byte 0x89, 0x03" ::"b"(&word), "a"(1) : "memory"); /* lock mov %eax,(%ebx/%rbx) */
	else if (eq(what, "lockok")) {
		__asm__ volatile("lock addl %1, %0" : "+m"(word) : "r"(5) : "cc");
		puts_("word "), putdec(word), nl();
	} else if (eq(what, "cli"))
		__asm__ volatile("cli");
	else if (eq(what, "sti"))
		__asm__ volatile("sti");
	else if (eq(what, "in"))
		__asm__ volatile("inb $0x80, %%al" ::: "eax");
	else if (eq(what, "out"))
		__asm__ volatile("outb %%al, $0x80" ::"a"(0));
	else if (eq(what, "indx"))
		__asm__ volatile("inb %%dx, %%al" ::"d"(0x80) : "eax");
	else if (eq(what, "hlt"))
		__asm__ volatile("hlt");
	else if (eq(what, "rdmsr"))
		__asm__ volatile("rdmsr" ::"c"(0x10) : "eax", "edx");
	else if (eq(what, "wrmsr"))
		__asm__ volatile("wrmsr" ::"c"(0x10), "a"(0), "d"(0));
	else if (eq(what, "movcr"))
		__asm__ volatile(".byte 0x0f, 0x20, 0xc0" ::: "eax"); /* mov %cr0,%eax */
	else if (eq(what, "wbinvd"))
		__asm__ volatile("wbinvd");
	else if (eq(what, "int10"))
		__asm__ volatile("int $0x10");
	else if (eq(what, "long15")) {
		__asm__ volatile(".byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66, 0x90");
		puts_("15 bytes ran\n");
	} else if (eq(what, "long16"))
		__asm__ volatile(".byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66, 0x90");
	else if (eq(what, "long15add")) {
		__asm__ volatile(".byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66, 0x01,0xd8" ::: "eax", "cc");
		puts_("15 bytes ran\n");
	} else if (eq(what, "long16add"))
		__asm__ volatile(".byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66, 0x01,0xd8" ::: "eax", "cc");
	else if (eq(what, "lockxchg"))
		__asm__ volatile(".byte 0xf0, 0x87, 0xd8" ::: "eax", "ebx");
	else if (eq(what, "lockload"))
		__asm__ volatile(".byte 0xf0, 0x03, 0x03" ::"b"(&word) : "eax", "cc"); /* lock add (%ebx/%rbx),%eax */
	else if (eq(what, "rdpmc"))
		__asm__ volatile("rdpmc" ::"c"(0) : "eax", "edx");
	else if (eq(what, "aam")) {
		ulong ax = 123, f;
		__asm__ volatile(".byte 0xd4, 0x0a\n\tpushf\n\tpop %1" : "+a"(ax), "=r"(f) : : "cc");
		puts_("aam 10 of 123: ax "), puthex(ax & 0xffff, 4), putflags(f & (F_SF | F_ZF | F_PF)), nl();
		ax = 0x0500;
		__asm__ volatile(".byte 0xd4, 0x0a\n\tpushf\n\tpop %1" : "+a"(ax), "=r"(f) : : "cc");
		puts_("aam 10 of 0: ax "), puthex(ax & 0xffff, 4), putflags(f & (F_SF | F_ZF | F_PF)), nl();
		ax = 0x0907;
		__asm__ volatile(".byte 0xd5, 0x0a\n\tpushf\n\tpop %1" : "+a"(ax), "=r"(f) : : "cc");
		puts_("aad 10 of 9,7: ax "), puthex(ax & 0xffff, 4), putflags(f & (F_SF | F_ZF | F_PF)), nl();
		ax = 0x1f0f;
		__asm__ volatile(".byte 0xd5, 0x10\n\tpushf\n\tpop %1" : "+a"(ax), "=r"(f) : : "cc");
		puts_("aad 16 of 31,15: ax "), puthex(ax & 0xffff, 4), putflags(f & (F_SF | F_ZF | F_PF)), nl();
		ax = 0xff00;
		__asm__ volatile(".byte 0xd5, 0x00\n\tpushf\n\tpop %1" : "+a"(ax), "=r"(f) : : "cc");
		puts_("aad 0 of 255,0: ax "), puthex(ax & 0xffff, 4), putflags(f & (F_SF | F_ZF | F_PF)), nl();
	} else if (eq(what, "aam0"))
		__asm__ volatile(".byte 0xd4, 0x00" ::"a"(7) : "cc");
	else if (eq(what, "into"))
		/* 0x7fffffff + 1 sets OF */
		__asm__ volatile("add %0, %0\n\t.byte 0xce" ::"r"(0x40000000) : "cc");
	else if (eq(what, "intono")) {
		__asm__ volatile("xor %%eax, %%eax\n\t.byte 0xce" ::: "eax", "cc");
		puts_("into with OF=0 ran\n");
	} else if (eq(what, "bound")) {
		static int bounds[2] = {0, 9};
		/* bound %eax,(bounds) with eax = 10 > 9 */
		__asm__ volatile(".byte 0x62, 0x03" ::"a"(10), "b"(bounds) : "memory");
	} else if (eq(what, "boundok")) {
		static int bounds[2] = {-5, 9};
		static short wbounds[2] = {-5, 9};
		__asm__ volatile(".byte 0x62, 0x03" ::"a"(-5), "b"(bounds) : "memory");
		__asm__ volatile(".byte 0x62, 0x03" ::"a"(9), "b"(bounds) : "memory");
		__asm__ volatile(".byte 0x66, 0x62, 0x03" ::"a"(0xfffb), "b"(wbounds) : "memory"); /* bound %ax: -5 */
		puts_("in bounds\n");
	} else if (eq(what, "busfile")) {
		int fd = tmpfile_(4096);
		volatile char *p = mapfile(fd, 8192, 1);
		puts_("first page: "), putdec(p[100]), nl();
		flush();
		return p[4096 + 100];
	} else if (eq(what, "bustrunc")) {
		int fd = tmpfile_(8192);
		volatile char *p = mapfile(fd, 8192, 3);
		p[5000] = 1;
		puts_("before truncation: "), putdec(p[5000]), nl();
		flush();
		sys3(NR_ftruncate, fd, 4096, 0);
		return p[5000];
	} else if (eq(what, "busw")) {
		int fd = tmpfile_(4096);
		volatile char *p = mapfile(fd, 8192, 3);
		p[4096 + 8] = 1;
		return 1;
	} else if (eq(what, "busro")) {
		int fd = tmpfile_(100);
		volatile char *p = (volatile char *)sys6(NR_mmap, 0, 8192, 1, 2 /* MAP_PRIVATE */, fd, 0);
		return p[4096 + 8];
	} else if (eq(what, "busmovs")) {
		int fd = tmpfile_(4096);
		char *p = (char *)mapfile(fd, 8192, 3), buf[64];
		char *s = p + 4096 + 16, *d = buf;
		ulong n = sizeof buf;
		__asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
		return buf[0];
	} else if (eq(what, "busexec")) {
		int fd = tmpfile_(100);
		char *p = (char *)sys6(NR_mmap, 0, 8192, 5 /* PROT_READ|PROT_EXEC */, 2, fd, 0);
		((void (*)(void))(p + 4096))();
		return 1;
	}
	puts_("no fault\n");
	return 2;
}
