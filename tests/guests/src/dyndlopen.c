/* dyndlopen: dlopen of a library built with the tests (LIBNAME, found
 * through LD_LIBRARY_PATH), dlsym of functions and data, a callback from
 * the library into the program, dlclose, and the errors of dlopen and
 * dlsym for what does not exist. Then qsort and bsearch through libc.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int square(int x)
{
	return x * x;
}

static int cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	if (dlopen("libdoes-not-exist.so", RTLD_NOW) == NULL)
		printf("missing library: dlopen fails, dlerror says so: %s\n", dlerror() != NULL ? "yes" : "no");
	void *h = dlopen(LIBNAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		printf("dlopen %s: %s\n", LIBNAME, dlerror());
		return 1;
	}
	printf("dlopen %s: ok\n", LIBNAME);
	const char *(*join)(const char *, int) = (const char *(*)(const char *, int))dlsym(h, "dynlib_join");
	int (*apply)(int (*)(int), const int *, int) = (int (*)(int (*)(int), const int *, int))dlsym(h, "dynlib_apply");
	int *counter = (int *)dlsym(h, "dynlib_counter");
	if (!join || !apply || !counter) {
		printf("dlsym failed\n");
		return 1;
	}
	printf("join: %s\n", join("abc", 42));
	printf("join: %s\n", join("second", -7));
	int v[] = {1, 2, 3, 4, 5};
	printf("apply square: %d\n", apply(square, v, 5));
	printf("counter: %d\n", *counter);
	*counter += 2;
	printf("counter: %d\n", *counter);
	printf("missing symbol: %s\n", dlsym(h, "no_such_symbol") == NULL ? "NULL" : "found");
	Dl_info info;
	if (dladdr((void *)join, &info) && info.dli_sname)
		printf("dladdr: %s in %s\n", info.dli_sname, strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname);
	fflush(stdout);
	if (dlclose(h) != 0) {
		printf("dlclose: %s\n", dlerror());
		return 1;
	}
	fflush(stdout);

	int a[64];
	unsigned s = 7;
	for (int i = 0; i < 64; i++) {
		s = s * 1103515245u + 12345u;
		a[i] = (int)(s >> 16) % 1000;
	}
	qsort(a, 64, sizeof a[0], cmp);
	int ok = 1;
	for (int i = 1; i < 64; i++)
		ok &= a[i - 1] <= a[i];
	int key = a[17];
	int *hit = bsearch(&key, a, 64, sizeof a[0], cmp);
	printf("qsort sorted %s, first %d last %d, bsearch %s\n", ok ? "yes" : "no", a[0], a[63], hit && *hit == key ? "found" : "lost");
	return 0;
}
