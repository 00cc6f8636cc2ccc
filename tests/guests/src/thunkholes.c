/* thunkholes.c: the holes a new user found in the thunk layer (issue 13),
 * one section each, as a static libc program (glibc i386 and x86-64, musl
 * x86-64). Needs minemu (the stubs are 0F 3F).
 *
 *   thunkholes all      adoption cannot be bypassed; no string is cut
 *                       short; a program probing bad frees is answered,
 *                       counted, and its stderr stays its own; the last
 *                       lines are a tally of what minemu must count and
 *                       PASS (exit 0 only if every check passed)
 *   thunkholes nest N   frees a chain of N guest blocks whose free calls
 *                       minemu_free_any on the next one: N callbacks
 *                       nested; each level prints "level L" with write(2)
 *                       before it goes deeper, so the lines show what ran
 *                       even when minemu ends the guest at its bound
 *
 * tests/thunks_test.go compares stdout, the status and the --stats
 * counters exactly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "minemu.h"

static int fails;
static long want_host, want_guest, want_rejected, want_null, want_callbacks, want_free_any;
static long guest_frees; /* frees the registered guest free made */

static void check(const char *name, int ok)
{
	printf("%s: %s\n", name, ok ? "ok" : "FAIL");
	if (!ok)
		fails++;
}

/* ---- the guest heap minemu calls back ---- */

static void **chain;      /* nest: the blocks, chain[i+1] freed by chain[i]'s free */
static long chain_len;    /* nest: N */
static long level;        /* callbacks of this program's free in progress */
static long level_max;

static void say_level(long l)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "level %ld\n", l);
	if (write(1, buf, (size_t)n) != n)
		_exit(3);
}

static void *trap_ret; /* the return address of a callback: minemu's trap */

static void g_free(void *p)
{
	long i;
	trap_ret = __builtin_return_address(0);
	level++;
	if (level > level_max)
		level_max = level;
	for (i = 0; chain && i < chain_len; i++) {
		if (chain[i] != p)
			continue;
		say_level(level);
		if (i + 1 < chain_len && minemu_free_any(chain[i + 1]) != 0) {
			say_level(-1);
			_exit(4);
		}
		break;
	}
	guest_frees++;
	free(p);
	level--;
}

static int nest(long n)
{
	long i;
	if (minemu_register_guest_heap(malloc, g_free) != 0)
		return 1;
	chain = malloc(sizeof *chain * (size_t)n);
	for (i = 0; chain && i < n; i++)
		chain[i] = malloc(16);
	chain_len = n;
	if (!chain || minemu_free_any(chain[0]) != 0)
		return 2;
	printf("nested %ld deep, %ld freed\n", level_max, guest_frees);
	return level_max == n && guest_frees == n ? 0 : 1;
}

/* ---- checks ---- */

static int fa(void *p, int want) /* free_any, tallied; want: 0 host, 1 guest, 2 rejected, 3 null */
{
	int r = minemu_free_any(p);
	want_free_any++;
	switch (want) {
	case 0: want_host++; return r == 0;
	case 1: want_guest++; want_callbacks++; return r == 0;
	case 2: want_rejected++; return r == -EINVAL;
	default: want_null++; return r == 0;
	}
}

static int is_host(const void *p) { return minemu_is_host_heap_allocation(p) == 1; }

/* 1. An adopted block is released only by release_adopted. */
static void adoption(void)
{
	char *h = minemu_malloc(40), *o;
	char *g = malloc(40);
	long f0;
	strcpy(h, "adopted");
	check("adopt host block", minemu_adopt(h) == 0);
	check("adopt guest block", minemu_adopt(g) == 0);
	check("minemu_free(adopted) refused", minemu_free(h) == -EINVAL);
	check("realloc(adopted, 4000) refused", minemu_realloc(h, 4000) == 0);
	check("realloc(adopted, 8) refused", minemu_realloc(h, 8) == 0);
	check("realloc(adopted, 0) refused", minemu_realloc(h, 0) == 0);
	want_rejected += 4;
	check("free_any(adopted host) refused", fa(h, 2));
	f0 = guest_frees;
	check("free_any(adopted guest) refused", fa(g, 2) && guest_frees == f0);
	check("minemu_free(adopted guest) refused", minemu_free(g) == -EINVAL);
	want_rejected++;
	check("adopted block live and unchanged", is_host(h) && strcmp(h, "adopted") == 0);
	o = minemu_malloc(40);
	check("a new allocation gets another address", o && o != h && is_host(o));
	check("release_adopted frees both", minemu_release_adopted() == 2 && guest_frees == f0 + 1);
	want_host++;
	want_guest++;
	want_callbacks++;
	check("... and only them", !is_host(h) && is_host(o));
	check("the other block is freed normally", minemu_free(o) == 0 && !is_host(o));
	want_host++;
}

/* 4. One string bound for every function, inclusive, never a truncation. */
#define MAXS ((size_t)1 << 20)

static char *string_of(char *buf, size_t n)
{
	memset(buf, 'a', n);
	buf[n] = 0;
	return buf;
}

static void strings(void)
{
	char *buf = malloc(3 * MAXS + 1), *s, *r;
	uintptr_t slot[1];
	if (!buf) {
		check("3 MiB buffer", 0);
		return;
	}
	/* The case: 3 MiB string, strndup(s, 2 MiB) gave 1 MiB. */
	s = string_of(buf, 3 * MAXS);
	check("strdup(3 MiB) refused", minemu_strdup(s) == 0);
	check("strndup(3 MiB, 2 MiB) refused, not cut to 1 MiB", minemu_strndup(s, 2 * MAXS) == 0);
	check("strndup(3 MiB, 1 MiB + 1) refused", minemu_strndup(s, MAXS + 1) == 0);
	r = minemu_strndup(s, MAXS);
	check("strndup(3 MiB, 1 MiB) takes 1 MiB", r && strlen(r) == MAXS);
	check("free it", fa(r, 0));
	s = string_of(buf, MAXS + 1);
	check("strdup(1 MiB + 1) refused", minemu_strdup(s) == 0);
	check("split(1 MiB + 1) refused", minemu_split(s, ",") == 0);
	check("format(1 MiB + 1) refused", minemu_format_slots(s, slot, 0) == 0);
	slot[0] = (uintptr_t)s;
	check("format %s of 1 MiB + 1 refused", minemu_format_slots("%s", slot, 1) == 0);
	check("guest_strdup(1 MiB + 1) refused", minemu_guest_strdup(s) == 0);
	s = string_of(buf, MAXS);
	r = minemu_strdup(s);
	check("strdup(exactly 1 MiB) accepted", r && strlen(r) == MAXS);
	check("free it", fa(r, 0));
	r = minemu_format_slots("%s", slot, 1);
	check("format %s of exactly 1 MiB accepted", r && strlen(r) == MAXS);
	check("free it", fa(r, 0));
	r = minemu_guest_strdup(s);
	want_callbacks++;
	check("guest_strdup(exactly 1 MiB) accepted", r && strlen(r) == MAXS && !is_host(r));
	check("free it", fa(r, 1));
	free(buf);
}

/* Bad frees probed in bulk: every one refused and counted, nothing on
 * stderr at minemu's default log level. */
static void probes(void)
{
	int local = 0, i, ok = 1;
	char *h = minemu_malloc(64), *gone = minemu_strdup("gone");
	fa(gone, 0);
	for (i = 0; i < 100; i++) {
		ok &= fa(h + 16, 2);          /* interior */
		ok &= fa(gone, 2);            /* already freed */
		ok &= fa(&local, 2);          /* stack */
		ok &= fa((void *)(uintptr_t)0x1000, 2); /* wild */
		ok &= minemu_free(gone) == -EINVAL;
		want_rejected++;
	}
	check("500 bad frees refused", ok);
	check("free_any NULL", fa(0, 3));
	check("the live block survived them", fa(h, 0));
}

/* The callback return trap is minemu's own read-execute page in the guest
 * window (issue 13, item 2): neither free_any nor adopt may take an
 * address in it for a guest-heap pointer. */
static void trampoline(void)
{
	void *p = malloc(16);
	char *page;
	check("a guest free is called back", fa(p, 1));
	page = (char *)((unsigned long)trap_ret & ~4095ul);
	check("callback returned to a trap", trap_ret != 0);
	check("free_any(trap) rejected", fa(trap_ret, 2));
	check("free_any(trap page + 16) rejected", fa(page + 16, 2));
	check("adopt(trap page + 32) refused", minemu_adopt(page + 32) == -EINVAL);
}

static int all(void)
{
	if (minemu_register_guest_heap(malloc, g_free) != 0)
		return 1;
	adoption();
	strings();
	probes();
	trampoline();
	check("nothing adopted, host heap empty", minemu_release_adopted() == 0);
	printf("tally: frees_host=%ld frees_guest=%ld frees_rejected=%ld frees_null=%ld callbacks=%ld "
	       "callback_depth_max=%ld free_any=%ld\n",
	       want_host, want_guest, want_rejected, want_null, want_callbacks, level_max, want_free_any);
	printf(fails ? "FAILED\n" : "PASS\n");
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	int r;
	if (argc == 3 && strcmp(argv[1], "nest") == 0)
		r = nest(atol(argv[2]));
	else if (argc == 2 && strcmp(argv[1], "all") == 0)
		r = all();
	else
		r = 2;
	fflush(stdout);
	return r;
}
