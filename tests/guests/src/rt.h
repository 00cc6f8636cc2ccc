/* rt.h: the freestanding runtime of minemu's guest test programs.
 *
 * Raw system calls (int $0x80 on i386, syscall on x86-64), a buffered
 * stdout writer and number formatting, and _start. Programs define
 * main(argc, argv, envp). Everything is static inline in this header so
 * each program is one translation unit built with -nostdlib.
 */
#ifndef RT_H
#define RT_H

typedef unsigned long ulong;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#ifdef __x86_64__
#define NR_write 1
#define NR_getuid 102
#define NR_getpid 39
#define NR_exit_group 231
#define ARCH "x86_64"
#define SPREG "rsp"
#else
#define NR_write 4
#define NR_getuid 199 /* getuid32 */
#define NR_getpid 20
#define NR_exit_group 252
#define ARCH "i386"
#define SPREG "esp"
#endif

static long sys3(long n, long a, long b, long c)
{
	long r;
#ifdef __x86_64__
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
#else
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
#endif
	return r;
}

static char obuf[4096];
static int olen;

static void flush(void)
{
	int off = 0;
	while (off < olen) {
		long n = sys3(NR_write, 1, (long)(obuf + off), olen - off);
		if (n <= 0)
			break;
		off += n;
	}
	olen = 0;
}

static void putch(char c)
{
	if (olen == sizeof obuf)
		flush();
	obuf[olen++] = c;
}

static void puts_(const char *s)
{
	while (*s)
		putch(*s++);
}

static void puthex(u64 v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		putch("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void putudec(u64 v)
{
	char b[24];
	int n = 0;
	do {
		b[n++] = '0' + (char)(v % 10);
		v /= 10;
	} while (v);
	while (n)
		putch(b[--n]);
}

static void putdec(i64 v)
{
	if (v < 0) {
		putch('-');
		putudec(-(u64)v);
	} else
		putudec((u64)v);
}

static void nl(void) { putch('\n'); }

static __attribute__((noreturn)) void exit_(int code)
{
	flush();
	for (;;)
		sys3(NR_exit_group, code, 0, 0);
}

static int atoi_(const char *s)
{
	int v = 0, neg = 0;
	if (*s == '-')
		neg = 1, s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}

int main(int argc, char **argv, char **envp);

/* The stack pointer at entry, for the alignment check of args.c. */
static ulong entry_sp;

__attribute__((used)) static void cstart(ulong *sp)
{
	entry_sp = (ulong)sp;
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	exit_(main(argc, argv, envp));
}

#ifdef __x86_64__
__asm__(".text\n.globl _start\n_start:\n"
	"\txor %ebp, %ebp\n"
	"\tmov %rsp, %rdi\n"
	"\tand $-16, %rsp\n"
	"\tcall cstart\n"
	"\thlt\n");
#else
__asm__(".text\n.globl _start\n_start:\n"
	"\txor %ebp, %ebp\n"
	"\tmov %esp, %eax\n"
	"\tand $-16, %esp\n"
	"\tsub $12, %esp\n"
	"\tpush %eax\n"
	"\tcall cstart\n"
	"\thlt\n");
#endif

/* Arithmetic flags: CF PF AF ZF SF OF. */
#define F_CF 0x001
#define F_PF 0x004
#define F_AF 0x010
#define F_ZF 0x040
#define F_SF 0x080
#define F_OF 0x800
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

static void putflags(ulong f)
{
	puts_(" [");
	putch(f & F_OF ? 'O' : '-');
	putch(f & F_SF ? 'S' : '-');
	putch(f & F_ZF ? 'Z' : '-');
	putch(f & F_AF ? 'A' : '-');
	putch(f & F_PF ? 'P' : '-');
	putch(f & F_CF ? 'C' : '-');
	putch(']');
}

#endif
