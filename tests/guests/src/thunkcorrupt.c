/* thunkcorrupt.c: a hostile thunk guest (freestanding). Host-heap blocks
 * lie in the guest's memory, so a guest can overwrite the heap's chunk
 * headers. This program does: it takes a host-heap allocation from
 * minemu_malloc, writes 0x7ffffff1 over the next mark of its chunk header
 * (the 32-bit word 12 bytes before the pointer: an offset far past the
 * block) and frees it. minemu must refuse that free with -EINVAL,
 * quarantine the block, and carry on: later allocations work and never
 * come from the quarantined block, an allocation left in it is released
 * by minemu_free and moved out by minemu_realloc, and the program exits 0.
 * Needs minemu (the stubs are 0F 3F).
 */
#include "rt.h"
#include <stddef.h>
#include <stdint.h>
#include "minemu.h"

#define EINVAL 22
/* Host-heap LIST blocks are 512 KiB, aligned to their size. */
#define BLOCK_MASK (~(uintptr_t)(512 * 1024 - 1))

static int fails;

static void check(const char *name, int ok)
{
	puts_(name);
	puts_(ok ? ": ok\n" : ": FAIL\n");
	fails += !ok;
}

static void fill(char *p, int n, char c)
{
	for (int i = 0; i < n; i++)
		p[i] = c;
}

static int filled(const char *p, int n, char c)
{
	for (int i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

int main(int argc, char **argv, char **envp)
{
	char *p = minemu_malloc(1000); /* a LIST chunk: above the MAP slice sizes */
	char *keep = minemu_malloc(2000);
	check("malloc", p && keep && ((uintptr_t)p & BLOCK_MASK) == ((uintptr_t)keep & BLOCK_MASK));
	if (!p || !keep)
		return 1;
	fill(keep, 2000, 'k');
	uintptr_t bad = (uintptr_t)p & BLOCK_MASK;

	*(volatile uint32_t *)(p - 12) = 0x7ffffff1;
	check("free of the corrupted chunk is refused with -EINVAL", minemu_free(p) == -EINVAL);

	int apart = 1;
	for (int i = 0; i < 64; i++) {
		char *q = minemu_malloc(1000 + 16 * i);
		if (!q || ((uintptr_t)q & BLOCK_MASK) == bad)
			apart = 0;
		if (q) {
			fill(q, 1000 + 16 * i, 'q');
			apart &= minemu_free(q) == 0;
		}
	}
	check("later allocations work, outside the quarantined block", apart);

	char *s = minemu_strdup("still here");
	check("strdup after the corruption", s && s[0] == 's' && s[9] == 'e' && !s[10]);
	check("free of the copy", minemu_free(s) == 0);

	char *moved = minemu_realloc(keep, 3000);
	check("realloc moves an allocation out of the quarantined block",
	      moved && ((uintptr_t)moved & BLOCK_MASK) != bad && filled(moved, 2000, 'k'));
	check("free of the moved allocation", moved && minemu_free(moved) == 0);

	/* The refused allocation is still live; in the quarantined block it
	 * is released from the heap's own records, and the block goes. */
	check("second free of the corrupted chunk", minemu_free(p) == 0);
	check("a third free is rejected", minemu_free(p) == -EINVAL);

	puts_(fails ? "FAIL\n" : "PASS\n");
	return fails != 0;
}
