/* dynlib: the shared library dyndlopen loads with dlopen (found through
 * LD_LIBRARY_PATH). Its constructor and destructor print, it keeps state
 * across calls and calls back into the C library and into its caller. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int calls;
static char *saved;

__attribute__((constructor)) static void dynlib_init(void)
{
	printf("dynlib: constructor\n");
}

__attribute__((destructor)) static void dynlib_fini(void)
{
	printf("dynlib: destructor after %d calls\n", calls);
	free(saved);
}

/* dynlib_join formats a and b with snprintf into a malloc'd buffer the
 * library keeps (freed on the next call and at unload). */
const char *dynlib_join(const char *a, int b)
{
	calls++;
	free(saved);
	size_t n = strlen(a) + 16;
	saved = malloc(n);
	snprintf(saved, n, "%s-%d", a, b);
	return saved;
}

/* dynlib_apply calls f on every element: a callback into the program. */
int dynlib_apply(int (*f)(int), const int *v, int n)
{
	int sum = 0;
	for (int i = 0; i < n; i++)
		sum += f(v[i]);
	return sum;
}

int dynlib_counter = 40;
