/* Dumps the signal frame the host kernel builds for a SIGILL handler
 * (SA_SIGINFO) interrupting a ud2 executed with known register values,
 * for guest/cpu's TestFramesMatchKernel: one line "frame ADDR HEX", the
 * frame from its first byte (pretcode) to the end of its FPU area. The
 * handler then steps over the ud2. Built by the Makefile next to it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static void handler(int sig, siginfo_t *si, void *ucv) {
	ucontext_t *uc = ucv;
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
#ifdef __x86_64__
	unsigned char *frame = (unsigned char *)uc - 8, *fx = fp;
#else
	unsigned char *frame = (unsigned char *)si - 16, *fx = fp + 112;
#endif
	uint32_t ext;
	memcpy(&ext, fx + 464 + 4, 4);
	size_t n = (size_t)(fp - frame) + ext;
	printf("frame %lx ", (unsigned long)(uintptr_t)frame);
	for (size_t i = 0; i < n; i++)
		printf("%02x", frame[i]);
	printf("\n");
#ifdef __x86_64__
	uc->uc_mcontext.gregs[REG_RIP] += 2;
#else
	uc->uc_mcontext.gregs[REG_EIP] += 2;
#endif
}

#ifndef __x86_64__
/* The legacy i386 frame of a handler without SA_SIGINFO: the frame starts
 * at the return address below the signal number. */
static void legacy(int sig) {
	unsigned char *frame = (unsigned char *)&sig - 4;
	__asm__("" : "+r"(frame)); /* the frame, not the argument object */
	unsigned char *fp = *(unsigned char **)(frame + 8 + 76);
	uint32_t ext;
	memcpy(&ext, fp + 112 + 464 + 4, 4);
	size_t n = (size_t)(fp - frame) + ext;
	printf("frame %lx ", (unsigned long)(uintptr_t)frame);
	for (size_t i = 0; i < n; i++)
		printf("%02x", frame[i]);
	printf("\n");
	*(uint32_t *)(frame + 8 + 56) += 2; /* sigcontext.ip past the ud2 */
}
#endif

int main(int argc, char **argv) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
#ifndef __x86_64__
	if (argc > 1 && strcmp(argv[1], "legacy") == 0) {
		sa.sa_handler = legacy;
		sa.sa_flags = 0;
	}
#endif
	sigaction(SIGILL, &sa, 0);
	static const uint64_t x[16][2] = {
		{0x0001020304050607, 0x08090a0b0c0d0e0f}, {0x1011121314151617, 0x18191a1b1c1d1e1f},
		{0x2021222324252627, 0x28292a2b2c2d2e2f}, {0x3031323334353637, 0x38393a3b3c3d3e3f},
		{0x4041424344454647, 0x48494a4b4c4d4e4f}, {0x5051525354555657, 0x58595a5b5c5d5e5f},
		{0x6061626364656667, 0x68696a6b6c6d6e6f}, {0x7071727374757677, 0x78797a7b7c7d7e7f},
		{0x8081828384858687, 0x88898a8b8c8d8e8f}, {0x9091929394959697, 0x98999a9b9c9d9e9f},
		{0xa0a1a2a3a4a5a6a7, 0xa8a9aaabacadaeaf}, {0xb0b1b2b3b4b5b6b7, 0xb8b9babbbcbdbebf},
		{0xc0c1c2c3c4c5c6c7, 0xc8c9cacbcccdcecf}, {0xd0d1d2d3d4d5d6d7, 0xd8d9dadbdcdddedf},
		{0xe0e1e2e3e4e5e6e7, 0xe8e9eaebecedeeef}, {0xf0f1f2f3f4f5f6f7, 0xf8f9fafbfcfdfeff},
	};
	fflush(stdout);
#ifdef __x86_64__
	__asm__ volatile(
		"movdqu 0(%0), %%xmm0\n movdqu 16(%0), %%xmm1\n movdqu 32(%0), %%xmm2\n movdqu 48(%0), %%xmm3\n"
		"movdqu 64(%0), %%xmm4\n movdqu 80(%0), %%xmm5\n movdqu 96(%0), %%xmm6\n movdqu 112(%0), %%xmm7\n"
		"movdqu 128(%0), %%xmm8\n movdqu 144(%0), %%xmm9\n movdqu 160(%0), %%xmm10\n movdqu 176(%0), %%xmm11\n"
		"movdqu 192(%0), %%xmm12\n movdqu 208(%0), %%xmm13\n movdqu 224(%0), %%xmm14\n movdqu 240(%0), %%xmm15\n"
		"vzeroupper\n fninit\n fld1\n fldpi\n"
		"push %%rbx\n push %%rbp\n"
		"mov $0x1111111111111111, %%rax\n mov $0x3333333333333333, %%rbx\n mov $0x2222222222222222, %%rcx\n"
		"mov $0x4444444444444444, %%rdx\n mov $0x6666666666666666, %%rsi\n mov $0x7777777777777777, %%rdi\n"
		"mov $0x5555555555555555, %%rbp\n"
		"mov $0x8888888888888888, %%r8\n mov $0x9999999999999999, %%r9\n mov $0xaaaaaaaaaaaaaaaa, %%r10\n"
		"mov $0xbbbbbbbbbbbbbbbb, %%r11\n mov $0xcccccccccccccccc, %%r12\n mov $0xdddddddddddddddd, %%r13\n"
		"mov $0xeeeeeeeeeeeeeeee, %%r14\n mov $0xffffffffffffffff, %%r15\n"
		"stc\n ud2\n"
		"pop %%rbp\n pop %%rbx\n fstp %%st(0)\n fstp %%st(0)\n"
		:
		: "r"(x)
		: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory", "cc",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
		  "xmm12", "xmm13", "xmm14", "xmm15");
#else
	__asm__ volatile(
		"movdqu 0(%0), %%xmm0\n movdqu 16(%0), %%xmm1\n movdqu 32(%0), %%xmm2\n movdqu 48(%0), %%xmm3\n"
		"movdqu 64(%0), %%xmm4\n movdqu 80(%0), %%xmm5\n movdqu 96(%0), %%xmm6\n movdqu 112(%0), %%xmm7\n"
		"vzeroupper\n fninit\n fld1\n fldpi\n"
		"push %%ebx\n push %%ebp\n push %%esi\n push %%edi\n"
		"mov $0x11111111, %%eax\n mov $0x33333333, %%ebx\n mov $0x22222222, %%ecx\n mov $0x44444444, %%edx\n"
		"mov $0x66666666, %%esi\n mov $0x77777777, %%edi\n mov $0x55555555, %%ebp\n"
		"stc\n ud2\n"
		"pop %%edi\n pop %%esi\n pop %%ebp\n pop %%ebx\n fstp %%st(0)\n fstp %%st(0)\n"
		:
		: "r"(x)
		: "eax", "ecx", "edx", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
#endif
	return 0;
}
