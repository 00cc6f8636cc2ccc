/* thunklibc.c: the static libc (glibc or musl) thunk test program. Its
 * guest heap is the C library's malloc behind gh_malloc/gh_free's
 * accounting; the checks are in thunkcheck.h. Needs minemu (the stubs are
 * 0F 3F).
 */
#include <stdio.h>
#include <stdlib.h>

static void say(const char *s) { fputs(s, stdout); }
static void say_dec(long v) { printf("%ld", v); }
static void *raw_alloc(size_t n) { return malloc(n); }
static void raw_free(void *p) { free(p); }

#include "thunkcheck.h"

int main(void)
{
#ifdef __x86_64__
	say("thunk libc x86_64\n");
#else
	say("thunk libc i386\n");
#endif
	int r = thunk_main();
	fflush(stdout);
	return r;
}
