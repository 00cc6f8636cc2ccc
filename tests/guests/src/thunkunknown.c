/* thunkunknown.c: calls a thunk stub whose hash no host library provides
 * (SHA-256 of "nolib:frobnicate"). minemu must kill the guest with SIGILL
 * and name the hash and, since this binary keeps its symbol table (it is
 * built without -s), the stub's symbol. Freestanding; needs minemu.
 */
#include "rt.h"
#include "minemu.h"

struct nolib_args_frobnicate {
	uintptr_t ret;
};

MINEMU_STUB nolib_stub_frobnicate(struct nolib_args_frobnicate *args __attribute__((unused)))
{
	__asm__(".byte 0x0f, 0x3f\n\t"
		".byte 0xff, 0x9c, 0xd5, 0x5d, 0x11, 0x78, 0x93, 0x79\n\t"
		".byte 0x1b, 0xde, 0x71, 0xf1, 0x3f, 0xb0, 0xe3, 0xb3\n\t"
		".byte 0x1d, 0x51, 0xee, 0x5e, 0xe2, 0xbd, 0x43, 0xac\n\t"
		".byte 0xe5, 0xf0, 0x55, 0x48, 0x33, 0x3e, 0xe6, 0x37");
}

int main(int argc, char **argv, char **envp)
{
	struct nolib_args_frobnicate a = {0};
	(void)argc, (void)argv, (void)envp;
	puts_("calling nolib:frobnicate\n");
	flush();
	MINEMU_CLOBBER(&a);
	nolib_stub_frobnicate(&a);
	MINEMU_CLOBBER(&a);
	puts_("returned\n");
	return 1;
}
