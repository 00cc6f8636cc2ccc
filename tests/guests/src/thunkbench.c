/* thunkbench.c: the guest loop of the thunk benchmarks (freestanding).
 *
 *   thunkbench call N       N calls of minemu_is_host_heap_allocation(NULL),
 *                           the most trivial host function: N thunk round
 *                           trips
 *   thunkbench callback N   N times: gh_malloc in the guest, then
 *                           minemu_free_any of it, which calls gh_free back:
 *                           N round trips each with one callback
 *
 * Prints the number of iterations and exits 0 when every call gave the
 * expected result. Needs minemu (the stubs are 0F 3F).
 */
#include "rt.h"
#include <stddef.h>
#include <stdint.h>

static void say(const char *s) { puts_(s); }
static void say_dec(long v) { putdec(v); }

#ifdef __x86_64__
#define NR_brk 12
#else
#define NR_brk 45
#endif

/* The guest heap of the callback loop is one 64-byte chunk from brk,
 * reused: each iteration frees what it allocated. (A chunk in the image or
 * on the stack would be refused by free_any.) */
static uintptr_t bench_base;
static int chunk_busy;

static void *raw_alloc(size_t n)
{
	if (chunk_busy || !bench_base || n > 64)
		return 0;
	chunk_busy = 1;
	return (void *)bench_base;
}

static void raw_free(void *p) { chunk_busy = 0; }

#include "thunkcheck.h"

int main(int argc, char **argv, char **envp)
{
	long n, i, bad = 0;
	if (argc != 3) {
		say("usage: thunkbench call|callback N\n");
		return 2;
	}
	n = atoi_(argv[2]);
	if (t_streq(argv[1], "call")) {
		for (i = 0; i < n; i++)
			bad += minemu_is_host_heap_allocation(0) != 0;
	} else if (t_streq(argv[1], "callback")) {
		uintptr_t base = (uintptr_t)sys3(NR_brk, 0, 0, 0);
		if ((uintptr_t)sys3(NR_brk, (long)(base + 4096), 0, 0) != base + 4096) {
			say("brk failed\n");
			return 1;
		}
		if (minemu_register_guest_heap(gh_malloc, gh_free) != 0) {
			say("register failed\n");
			return 1;
		}
		bench_base = (base + 15) & ~(uintptr_t)15;
		for (i = 0; i < n; i++) {
			void *p = gh_malloc(16);
			bad += !p || minemu_free_any(p) != 0;
		}
		bad += gh_frees != n || gh_live != 0;
	} else {
		say("unknown loop\n");
		return 2;
	}
	say(argv[1]);
	say(" ");
	say_dec(n);
	say(bad ? " FAILED\n" : " ok\n");
	return bad != 0;
}
