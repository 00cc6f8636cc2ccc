/* thunkexample.c: the guest of the example thunk library (thunks/libs/
 * example, docs/thunks.md): host functions called through the stubs of
 * include/minemu_example.h, two of which call the program's own functions
 * back through the pointers it passes: a comparator (qsort-style) and a
 * tree visitor, nested and re-entrant. Static libc: glibc i386 and x86-64,
 * musl x86-64; linked with include/minemu_example.c. Needs a minemu built
 * with the library (minemu thunks build ./thunks/libs/example).
 *
 * It checks itself ("NAME: ok"), prints a tally of the callbacks minemu
 * must have counted and PASS; tests/thunklibs_test.go compares both with
 * --stats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "minemu_example.h"

static int fails;
static long callbacks, depth, depth_max;

static void check(const char *name, int ok)
{
	printf("%s: %s\n", name, ok ? "ok" : "FAIL");
	if (!ok)
		fails++;
}

static void enter(void)
{
	callbacks++;
	if (++depth > depth_max)
		depth_max = depth;
}

/* ---- sort ---- */

struct rec {
	int key;
	char name[12];
};

static int by_key(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	enter();
	depth--;
	return (x->key > y->key) - (x->key < y->key);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	enter();
	depth--;
	return (x > y) - (x < y);
}

/* A comparator that sorts something else on the host while the outer sort
 * is running: re-entrant, and nested one level deeper. */
static int inner_sorted;
static int by_key_resorting(const void *a, const void *b)
{
	int v[3] = {3, 1, 2};
	int r;
	enter();
	if (example_sort(v, 3, sizeof v[0], cmp_int) == 0 && v[0] == 1 && v[1] == 2 && v[2] == 3)
		inner_sorted++;
	r = by_key(a, b);
	callbacks--; /* by_key counted itself once more */
	depth--;
	return r;
}

/* ---- visit ---- */

#define NODES 15
static struct example_node tree[NODES]; /* a complete binary tree, heap order */

static void build_tree(void)
{
	int i;
	for (i = 0; i < NODES; i++) {
		tree[i].value = i;
		tree[i].child[0] = 2 * i + 1 < NODES ? &tree[2 * i + 1] : 0;
		tree[i].child[1] = 2 * i + 2 < NODES ? &tree[2 * i + 2] : 0;
	}
}

struct walk {
	long sum, visits, order[NODES];
	int stop_at;
};

static int collect(void *ctx, const struct example_node *n, int d)
{
	struct walk *w = ctx;
	enter();
	if (w->visits < NODES)
		w->order[w->visits] = n->value;
	w->visits++;
	w->sum += n->value;
	depth--;
	return n->value == w->stop_at;
}

/* A visitor that walks each node's subtrees again from inside the walk:
 * the callbacks nest as deep as the tree is. */
static long nested_visits, nested_bad;
static int deep(void *ctx, const struct example_node *n, int d)
{
	long r;
	enter();
	nested_visits++;
	r = n->child[0] ? example_visit(n->child[0], deep, ctx) : 0;
	if (r != (n->child[0] ? 1 : 0))
		nested_bad++;
	depth--;
	return 1; /* stop: each walk visits its root only */
}

static int tree_ok(void)
{
	static const long preorder[NODES] = {0, 1, 3, 7, 8, 4, 9, 10, 2, 5, 11, 12, 6, 13, 14};
	struct walk w = {0, 0, {0}, -1};
	long n = example_visit(&tree[0], collect, &w);
	return n == NODES && w.visits == NODES && w.sum == NODES * (NODES - 1) / 2 &&
	       memcmp(w.order, preorder, sizeof preorder) == 0;
}

int main(void)
{
	int v[8] = {5, -3, 12, 0, 7, 7, -100, 42};
	static const int sorted[8] = {-100, -3, 0, 5, 7, 7, 12, 42};
	struct rec r[6] = {{3, "c1"}, {1, "a"}, {3, "c2"}, {2, "b"}, {3, "c3"}, {0, "z"}};
	static const char *stable[6] = {"z", "a", "b", "c1", "c2", "c3"};
	struct walk w;
	long before, n;
	int i, ok;

	/* A plain host function. */
	check("sum", example_sum(v, 8) == 5 - 3 + 12 + 0 + 7 + 7 - 100 + 42);
	check("sum of nothing", example_sum(v, 0) == 0);
	check("sum of unmapped memory: -EFAULT", example_sum((const int *)(uintptr_t)0x1000, 4) == -EFAULT);

	/* qsort-style: the host calls the comparator back. */
	before = callbacks;
	check("sort ints", example_sort(v, 8, sizeof v[0], cmp_int) == 0 && memcmp(v, sorted, sizeof v) == 0);
	check("the comparator ran", callbacks > before && depth == 0 && depth_max == 1);
	check("sort is stable", example_sort(r, 6, sizeof r[0], by_key) == 0);
	for (ok = 1, i = 0; i < 6; i++)
		ok &= strcmp(r[i].name, stable[i]) == 0;
	check("... records in key order, equal keys as they came", ok);
	check("sort with a comparator that sorts too", example_sort(r, 6, sizeof r[0], by_key_resorting) == 0 &&
								inner_sorted > 0 && depth_max == 2);
	check("sort of 1 element calls nothing", example_sort(v, 1, sizeof v[0], (example_cmp_fn)0) == 0);
	check("sort with a data pointer as comparator: -EINVAL",
	      example_sort(v, 8, sizeof v[0], (example_cmp_fn)(void *)v) == -EINVAL);
	check("sort of unmapped memory: -EFAULT",
	      example_sort((void *)(uintptr_t)0x1000, 8, 4, cmp_int) == -EFAULT);
	check("sort of size 0: -EINVAL", example_sort(v, 8, 0, cmp_int) == -EINVAL);

	/* A visitor, called for each node; it may stop the walk. */
	build_tree();
	check("visit walks the tree depth first", tree_ok());
	memset(&w, 0, sizeof w);
	w.stop_at = 4;
	check("visit stops where the visitor says",
	      example_visit(&tree[0], collect, &w) == 6 && w.visits == 6);
	n = example_visit(&tree[0], deep, 0);
	check("a visitor that visits again: nested 4 deep", n == 1 && nested_visits == 4 && nested_bad == 0 && depth_max == 4);
	tree[14].child[0] = &tree[0]; /* a cycle */
	memset(&w, 0, sizeof w);
	w.stop_at = -1;
	check("visit of a cycle: -ELOOP", example_visit(&tree[0], collect, &w) == -ELOOP);
	tree[14].child[0] = (struct example_node *)(uintptr_t)0x1000;
	memset(&w, 0, sizeof w);
	w.stop_at = -1;
	check("visit of an unmapped node: -EFAULT", example_visit(&tree[0], collect, &w) == -EFAULT && w.visits == NODES);
	check("visit with a NULL visitor: -EINVAL", example_visit(&tree[0], (example_visit_fn)0, 0) == -EINVAL);

	printf("tally: callbacks=%ld callback_depth_max=%ld\n", callbacks, depth_max);
	printf(fails ? "FAILED\n" : "PASS\n");
	fflush(stdout);
	return fails ? 1 : 0;
}
