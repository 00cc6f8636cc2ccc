/* thunkcheck.h: the body of the thunk test programs (thunk.c, freestanding;
 * thunklibc.c, static libc), shared so that every variant makes the same
 * calls and prints the same lines.
 *
 * The including file provides:
 *   say(s), say_dec(v)     print a string, a signed decimal
 *   raw_alloc(n)           n bytes of writable guest memory, 16-aligned,
 *                          NULL when exhausted
 *   raw_free(p)            give them back
 *
 * On top of raw_alloc this file builds the guest heap that the host learns
 * about through minemu_register_guest_heap: gh_malloc/gh_free put a header
 * in front of each allocation (a magic word, the size, and a "link" that
 * gh_free releases through minemu_free_any, which is how the frees nest),
 * and keep their own accounting (live allocations, frees, refused frees,
 * nesting depth). The checks compare that accounting, the host's answers
 * (is_host_heap_allocation) and every result with what must happen, print
 * "NAME: ok" or "NAME: FAIL", and keep a tally of the frees, rejections and
 * callbacks minemu must have counted; the last line prints that tally, and
 * tests/thunks_test.go compares it with minemu's --stats.
 *
 * The programs are deterministic: no addresses are printed. Run natively
 * they die of SIGILL at the first stub (0F 3F is not an instruction), so
 * their golden outputs are recorded under minemu and reviewed.
 */
#ifndef THUNKCHECK_H
#define THUNKCHECK_H

#include "minemu.h"

#define T_EINVAL 22
#define T_EEXIST 17

/* ---- small string helpers (no libc in the freestanding variant) ---- */

static int t_streq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void t_fill(void *p, int c, size_t n)
{
	volatile unsigned char *q = p;
	while (n--)
		*q++ = (unsigned char)c;
}

static int t_all(const void *p, int c, size_t n)
{
	const unsigned char *q = p;
	while (n--)
		if (*q++ != (unsigned char)c)
			return 0;
	return 1;
}

/* ---- the guest heap ---- */

#define GH_LIVE ((uintptr_t)0x6c697665u) /* "live" */
#define GH_DEAD ((uintptr_t)0x64656164u) /* "dead" */

/* struct gh_hdr precedes every guest-heap allocation; its size is a
 * multiple of 16 on both ABIs so the payload stays 16-aligned. */
struct gh_hdr {
	uintptr_t magic; /* GH_LIVE while allocated, GH_DEAD once freed */
	uintptr_t size;  /* the size asked for */
	void *link;      /* freed with minemu_free_any when this one is freed */
	uintptr_t pad;
};

static long gh_mallocs;    /* successful gh_malloc calls */
static long gh_frees;      /* allocations gh_free released */
static long gh_bad;        /* pointers gh_free refused (no live header) */
static long gh_live;       /* gh_mallocs - gh_frees */
static long gh_depth;      /* gh_free calls currently running */
static long gh_depth_max;  /* deepest gh_free nesting seen */
static long gh_link_fails; /* links minemu_free_any refused */

static void *gh_malloc(size_t n)
{
	struct gh_hdr *h = raw_alloc(sizeof *h + n);
	if (!h)
		return 0;
	h->magic = GH_LIVE;
	h->size = n;
	h->link = 0;
	h->pad = 0;
	gh_mallocs++;
	gh_live++;
	return h + 1;
}

static void gh_free(void *p)
{
	struct gh_hdr *h;
	void *link;
	if (!p)
		return;
	h = (struct gh_hdr *)p - 1;
	if (h->magic != GH_LIVE) {
		/* Not the start of a live allocation: the guest heap's own
		 * judgement, which minemu cannot make for it. */
		gh_bad++;
		return;
	}
	gh_depth++;
	if (gh_depth > gh_depth_max)
		gh_depth_max = gh_depth;
	h->magic = GH_DEAD;
	link = h->link;
	h->link = 0;
	gh_frees++;
	gh_live--;
	/* A guest free that calls a thunk that may call back: nesting. */
	if (link && minemu_free_any(link) != 0)
		gh_link_fails++;
	raw_free(h);
	gh_depth--;
}

static void gh_set_link(void *p, void *link) { ((struct gh_hdr *)p - 1)->link = link; }

/* ---- checks and the tally of what minemu must count ---- */

static int fails;
static long want_host, want_guest, want_rejected, want_null, want_callbacks, want_free_any;

static void check(const char *name, int ok)
{
	say(name);
	say(ok ? ": ok\n" : ": FAIL\n");
	if (!ok)
		fails++;
}

enum { K_NULL, K_HOST, K_GUEST, K_REJECT };

/* fa calls minemu_free_any(p), expecting the decision k, and tallies it. */
static int fa(void *p, int k)
{
	int r = minemu_free_any(p);
	want_free_any++;
	switch (k) {
	case K_NULL: want_null++; return r == 0;
	case K_HOST: want_host++; return r == 0;
	case K_GUEST: want_guest++; want_callbacks++; return r == 0;
	default: want_rejected++; return r == -T_EINVAL;
	}
}

static int is_host(const void *p) { return minemu_is_host_heap_allocation(p) == 1; }

/* Every host pointer the program received, to check none is live at the
 * end. */
static void *host_seen[64];
static int nhost_seen;

static void *seen(void *p)
{
	if (p && nhost_seen < (int)(sizeof host_seen / sizeof host_seen[0]))
		host_seen[nhost_seen++] = p;
	return p;
}

static int image_word = 1; /* an address in the image (.data) */
static const char image_text[] = "read-only image data";

static int thunk_main(void)
{
	uintptr_t local = 0;
	long f0, b0;

	/* 1. Before the guest registers its heap, a guest pointer has no
	 * owner minemu knows: rejected, and the guest heap is untouched. */
	{
		char *g = gh_malloc(24);
		f0 = gh_frees;
		check("unregistered guest pointer rejected", fa(g, K_REJECT) && gh_frees == f0 && gh_live == 1);
		gh_free(g);
		check("guest frees it itself", gh_live == 0 && gh_frees == f0 + 1);
	}

	/* 2. Registration. */
	check("register: one NULL function refused", minemu_register_guest_heap(gh_malloc, 0) == -T_EINVAL);
	check("register: data address refused",
	      minemu_register_guest_heap((minemu_malloc_fn)(void *)&image_word, gh_free) == -T_EINVAL);
	check("register guest heap", minemu_register_guest_heap(gh_malloc, gh_free) == 0);

	/* 3. Host heap: strdup, strndup, memdup. */
	{
		char *h = seen(minemu_strdup("hello, host"));
		char *n = seen(minemu_strndup("abcdef", 3));
		char *m;
		unsigned char buf[40];
		t_fill(buf, 0xa5, sizeof buf);
		m = seen(minemu_memdup(buf, sizeof buf));
		check("strdup copies", t_streq(h, "hello, host") && is_host(h));
		check("strndup stops at n", t_streq(n, "abc") && is_host(n));
		check("memdup copies", m && t_all(m, 0xa5, sizeof buf) && is_host(m));
		check("free_any strdup", fa(h, K_HOST) && !is_host(h));
		check("free_any strndup", fa(n, K_HOST) && !is_host(n));
		check("free_any memdup", fa(m, K_HOST) && !is_host(m));
	}

	/* 4. malloc, calloc, realloc, free. */
	{
		char *p = seen(minemu_malloc(100)), *q;
		unsigned char *z = seen(minemu_calloc(10, 8));
		int i, ok = 1;
		check("malloc", p && is_host(p));
		for (i = 0; i < 100; i++)
			p[i] = (char)i;
		q = seen(minemu_realloc(p, 4000));
		for (i = 0; q && i < 100; i++)
			ok &= q[i] == (char)i;
		check("realloc grows and keeps the bytes", q && ok && is_host(q));
		check("realloc: only the result is live", q == p ? is_host(p) : !is_host(p));
		check("calloc zeroes", z && t_all(z, 0, 80) && is_host(z));
		check("calloc overflow gives NULL", minemu_calloc(((size_t)-1) / 2, 4) == 0);
		check("minemu_free host pointer", minemu_free(z) == 0 && !is_host(z));
		want_host++;
		q = minemu_realloc(q, 0);
		want_host++;
		check("realloc to 0 frees", q == 0);
		p = seen(minemu_realloc(0, 16));
		check("realloc(NULL) allocates", p && is_host(p));
		check("free_any realloc(NULL)", fa(p, K_HOST) && !is_host(p));
	}

	/* 5. split: an array and its strings, every one a host allocation. */
	{
		char **parts = seen(minemu_split("a,b,,cd", ",")), **pp;
		int n = 0, ok = 1;
		for (pp = parts; parts && *pp; pp++)
			n++, seen(*pp), ok &= is_host(*pp);
		ok = ok && parts && n == 4 && t_streq(parts[0], "a") && t_streq(parts[1], "b") &&
		     t_streq(parts[2], "") && t_streq(parts[3], "cd") && is_host(parts) && is_host(parts[3]);
		check("split", ok);
		for (pp = parts; parts && *pp; pp++)
			ok &= fa(*pp, K_HOST) && !is_host(*pp);
		check("free_any every piece", ok);
		check("free_any the array", fa(parts, K_HOST) && !is_host(parts));
		check("split with empty separator gives NULL", minemu_split("abc", "") == 0);
	}

	/* 6. format. */
	{
		char *s = seen(minemu_format("%s=%d %x %c %u%%", "k", -42, 0xbeefu, 'z', 7u));
		uintptr_t none[1] = {0};
		check("format", t_streq(s, "k=-42 beef z 7%") && is_host(s));
		check("free_any format", fa(s, K_HOST));
		check("format refuses %q", minemu_format_slots("%q", none, 1) == 0);
	}

	/* 7. The guest heap through the host: free_any calls gh_free back. */
	{
		char *g = gh_malloc(32);
		f0 = gh_frees;
		check("guest pointer is not on the host heap", g && !is_host(g));
		check("free_any guest pointer calls the guest free", fa(g, K_GUEST) && gh_frees == f0 + 1 && gh_live == 0);
	}
	{
		long m0 = gh_mallocs;
		char *g = minemu_guest_strdup("made by the guest malloc");
		want_callbacks++;
		check("guest_strdup calls the guest malloc back",
		      t_streq(g, "made by the guest malloc") && gh_mallocs == m0 + 1 && gh_live == 1 && !is_host(g));
		f0 = gh_frees;
		check("free_any guest_strdup", fa(g, K_GUEST) && gh_frees == f0 + 1 && gh_live == 0);
	}

	/* 8. minemu_free and realloc are host-heap only. */
	{
		char *g = gh_malloc(8);
		char *h = seen(minemu_strdup("x"));
		f0 = gh_frees;
		check("minemu_free refuses a guest pointer", minemu_free(g) == -T_EINVAL && gh_frees == f0 && gh_live == 1);
		want_rejected++;
		check("realloc refuses a guest pointer", minemu_realloc(g, 64) == 0 && gh_frees == f0 && gh_live == 1);
		want_rejected++;
		check("free_any it after all", fa(g, K_GUEST) && gh_live == 0);
		check("minemu_free host pointer twice",
		      minemu_free(h) == 0 && minemu_free(h) == -T_EINVAL && !is_host(h));
		want_host++;
		want_rejected++;
	}

	/* 9. Adoption: pointers handed to the host in both directions. */
	{
		char *g = gh_malloc(40);
		char *h = seen(minemu_strdup("adopted host string"));
		f0 = gh_frees;
		check("adopt guest pointer", minemu_adopt(g) == 0);
		check("adopt it again: EEXIST", minemu_adopt(g) == -T_EEXIST);
		check("adopt host pointer", minemu_adopt(h) == 0);
		check("adopt stack address refused", minemu_adopt(&local) == -T_EINVAL);
		check("adopt NULL refused", minemu_adopt(0) == -T_EINVAL);
		check("free_any adopted guest pointer rejected", fa(g, K_REJECT) && gh_frees == f0 && gh_live == 1);
		check("free_any adopted host pointer rejected", fa(h, K_REJECT) && is_host(h));
		check("release_adopted frees both", minemu_release_adopted() == 2);
		want_host++;
		want_guest++;
		want_callbacks++;
		check("adopted guest pointer freed by the guest free", gh_frees == f0 + 1 && gh_live == 0);
		check("adopted host pointer freed by the host", !is_host(h));
		check("release_adopted again frees nothing", minemu_release_adopted() == 0);
	}

	/* 10. Nested callbacks: a guest free that calls free_any on a guest
	 * pointer (which calls the guest free back), three deep, the last one
	 * holding a host pointer. */
	{
		char *a = gh_malloc(16), *b = gh_malloc(16), *c = gh_malloc(16);
		char *h = seen(minemu_strdup("end of the chain"));
		gh_set_link(a, b);
		gh_set_link(b, c);
		gh_set_link(c, h);
		f0 = gh_frees;
		check("nested free chain", fa(a, K_GUEST) && gh_frees == f0 + 3 && gh_live == 0 && !is_host(h));
		want_guest += 2;
		want_callbacks += 2;
		want_host++;
		want_free_any += 3;
		check("nested depth 3", gh_depth_max == 3 && gh_depth == 0 && gh_link_fails == 0);
	}

	/* 11. Bad frees: each is rejected and nothing changes. */
	{
		char *anchor = seen(minemu_strdup("anchor keeps the block"));
		char *gone = seen(minemu_strdup("freed once, then again"));
		char *big = seen(minemu_malloc(64));
		char *g = gh_malloc(64);
		f0 = gh_frees;
		b0 = gh_bad;
		t_fill(g, 0, 64);
		check("free_any stack address", fa(&local, K_REJECT));
		check("free_any interior host pointer", fa(big + 16, K_REJECT) && is_host(big));
		check("free_any misaligned host pointer", fa(big + 1, K_REJECT) && is_host(big));
		check("free_any host pointer", fa(gone, K_HOST) && !is_host(gone));
		check("free_any host pointer already freed", fa(gone, K_REJECT) && is_host(anchor));
		{
			/* A large allocation has a mapping of its own, which the
			 * free gives back: the stale pointer then points at
			 * unmapped memory and must still never reach gh_free. */
			char *large = seen(minemu_malloc((size_t)5 << 20));
			check("large host allocation", large && is_host(large));
			large[((size_t)5 << 20) - 1] = 1;
			check("free_any large host pointer", fa(large, K_HOST) && !is_host(large));
			check("free_any large host pointer already freed", fa(large, K_REJECT) && gh_bad == b0);
		}
		check("free_any image data address", fa(&image_word, K_REJECT));
		check("free_any image rodata address", fa((void *)image_text, K_REJECT));
		check("free_any image code address", fa((void *)(uintptr_t)&gh_free, K_REJECT));
		check("free_any wild low address", fa((void *)(uintptr_t)0x1000, K_REJECT));
		check("free_any wild address", fa((void *)(uintptr_t)0x5a5a0000u, K_REJECT));
		check("free_any misaligned guest pointer", fa(g + 1, K_REJECT) && gh_bad == b0);
		check("guest heap untouched by the rejections", gh_frees == f0 && gh_live == 1);
		/* An interior pointer of a guest allocation reaches the guest's
		 * free (minemu cannot see inside the guest heap), which refuses
		 * it. */
		check("free_any interior guest pointer: the guest free judges",
		      fa(g + 32, K_GUEST) && gh_bad == b0 + 1 && gh_frees == f0 && gh_live == 1);
		check("free_any NULL", fa(0, K_NULL));
		check("program carries on", fa(g, K_GUEST) && fa(big, K_HOST) && fa(anchor, K_HOST) && gh_live == 0);
	}

	/* 12. Unregistering: guest pointers are rejected again. */
	{
		char *g = gh_malloc(8);
		check("unregister", minemu_register_guest_heap(0, 0) == 0);
		check("free_any after unregister rejected", fa(g, K_REJECT) && gh_live == 1);
		gh_free(g);
	}

	/* 13. The end: every host pointer is dead, the guest heap is empty. */
	{
		int i, live = 0;
		for (i = 0; i < nhost_seen; i++)
			live += is_host(host_seen[i]);
		check("no host pointer live", live == 0 && nhost_seen == 20);
		check("guest heap empty", gh_live == 0 && gh_mallocs == gh_frees && gh_bad == 1);
	}

	say("tally: frees_host=");
	say_dec(want_host);
	say(" frees_guest=");
	say_dec(want_guest);
	say(" frees_rejected=");
	say_dec(want_rejected);
	say(" frees_null=");
	say_dec(want_null);
	say(" callbacks=");
	say_dec(want_callbacks);
	say(" callback_depth_max=");
	say_dec(gh_depth_max);
	say(" free_any=");
	say_dec(want_free_any);
	say("\n");
	say(fails ? "FAILED\n" : "PASS\n");
	return fails ? 1 : 0;
}

#endif
