/* control: jmp, jcc, call/ret (direct, indirect through a register and
 * through memory), ret imm, loop/loope/loopne, jecxz/jrcxz, enter/leave,
 * recursion and a switch compiled to a jump table. */
#include "rt.h"

static void show(const char *what, i64 v)
{
	puts_(what);
	putch(' ');
	putdec(v);
	nl();
}

#ifdef __x86_64__
__asm__(".text\nretimm:\n\tmov 8(%rsp), %rax\n\tadd 16(%rsp), %rax\n\tret $16\n"
	"enter0:\n\tenter $40, $0\n\tmov %rbp, %rax\n\tsub %rsp, %rax\n\tleave\n\tret\n"
	"enter1:\n\tpush %rbp\n\tmov %rsp, %rbp\n\tenter $24, $1\n\tmov %rbp, %rax\n\tsub %rsp, %rax\n\tleave\n\tpop %rbp\n\tret\n");
#define AX "rax"
#else
__asm__(".text\nretimm:\n\tmov 4(%esp), %eax\n\tadd 8(%esp), %eax\n\tret $8\n"
	"enter0:\n\tenter $40, $0\n\tmov %ebp, %eax\n\tsub %esp, %eax\n\tleave\n\tret\n"
	"enter1:\n\tpush %ebp\n\tmov %esp, %ebp\n\tenter $24, $1\n\tmov %ebp, %eax\n\tsub %esp, %eax\n\tleave\n\tpop %ebp\n\tret\n");
#endif

static __attribute__((noinline)) int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static __attribute__((noinline)) long twice(long x) { return 2 * x; }
static __attribute__((noinline)) long square(long x) { return x * x; }
static __attribute__((noinline)) long minus(long x) { return -x; }
static long (*volatile fns[3])(long) = {twice, square, minus};

static __attribute__((noinline)) const char *name(int k)
{
	switch (k) {
	case 0: return "zero";
	case 1: return "one";
	case 2: return "two";
	case 3: return "three";
	case 4: return "four";
	case 5: return "five";
	case 6: return "six";
	case 7: return "seven";
	case 8: return "eight";
	case 9: return "nine";
	}
	return "many";
}

int main(int argc, char **argv, char **envp)
{
	show("fib(20)", fib(20));
	for (int i = 0; i < 3; i++)
		show("fnptr", fns[i](7 + i));
	long r;
	__asm__ volatile("call *%1" : "=a"(r) : "r"(fns[1]),
#ifdef __x86_64__
			 "D"((long)12)
			 : "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
#else
			 "a"((long)12)
			 : "ecx", "edx", "memory", "cc");
	/* i386 passes the argument on the stack; redo through memory */
	__asm__ volatile("push $12\n\tcall *%1\n\tadd $4, %%esp" : "=a"(r) : "m"(fns[1]) : "ecx", "edx", "memory", "cc");
#endif
	show("call-indirect", r);
#ifdef __x86_64__
	__asm__ volatile("mov $12, %%rdi\n\tcall *%1" : "=a"(r) : "m"(fns[0]) : "rdi", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
	show("call-mem", r);
#endif
	ulong sp0, sp1;
	__asm__ volatile("mov %%" SPREG ", %1\n\tpush $30\n\tpush $12\n\tcall retimm\n\tmov %%" SPREG ", %2"
			 : "=a"(r), "=&r"(sp0), "=&r"(sp1) : : "memory", "cc");
	show("ret-imm", r);
	show("ret-imm-sp", (long)(sp1 - sp0));
	__asm__ volatile("call enter0" : "=a"(r) : : "memory", "cc");
	show("enter0", r);
	__asm__ volatile("call enter1" : "=a"(r) : : "memory", "cc");
	show("enter1", r);
	for (int k = 0; k < 12; k += 1) {
		puts_(name(k));
		putch(k == 11 ? '\n' : ' ');
	}
	/* loop: sum 1..n */
	ulong n = 10, sum = 0;
	__asm__ volatile("1:\n\tadd %%" "ecx" ", %k0\n\tloop 1b" : "+r"(sum), "+c"(n) : : "cc");
	show("loop-sum", sum);
	/* loopne: find the first zero byte within 16 bytes */
	static const u8 s[16] = {5, 4, 3, 2, 1, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
	ulong cnt = 16;
	const u8 *p = s;
	__asm__ volatile("1:\n\tcmpb $0, (%1)\n\tlea 1(%1), %1\n\tloopne 1b" : "+c"(cnt), "+r"(p) : : "cc");
	show("loopne-left", cnt);
	static const u8 t[8] = {7, 7, 7, 7, 3, 7, 7, 7};
	cnt = 8, p = t;
	__asm__ volatile("1:\n\tcmpb $7, (%1)\n\tlea 1(%1), %1\n\tloope 1b" : "+c"(cnt), "+r"(p) : : "cc");
	show("loope-left", cnt);
	/* jecxz / jrcxz */
	for (ulong c = 0; c < 2; c++) {
		long taken;
#ifdef __x86_64__
		__asm__ volatile("mov $1, %0\n\tjrcxz 1f\n\tmov $0, %0\n1:" : "=&r"(taken) : "c"(c));
		show("jrcxz", taken);
#endif
		__asm__ volatile("mov $1, %0\n\tjecxz 1f\n\tmov $0, %0\n1:" : "=&r"(taken) : "c"(c));
		show("jecxz", taken);
	}
	/* jcc signed vs unsigned over a range */
	int lt = 0, below = 0;
	for (int i = -5; i <= 5; i++) {
		volatile int v = i;
		if (v < 2)
			lt++;
		if ((unsigned)v < 2u)
			below++;
	}
	show("jl-count", lt);
	show("jb-count", below);
	return 0;
}
