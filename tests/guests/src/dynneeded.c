/* dynneeded: linked against the test library libdynlib (DT_NEEDED), which
 * the dynamic loader finds through LD_LIBRARY_PATH natively and in the
 * sysroot's /lib under minemu --sysroot. */
#include <stdio.h>

const char *dynlib_join(const char *a, int b);
int dynlib_apply(int (*f)(int), const int *v, int n);
extern int dynlib_counter;

static int twice(int x)
{
	return 2 * x;
}

int main(void)
{
	int v[] = {3, 4, 5};
	printf("join: %s\n", dynlib_join("needed", 12));
	printf("apply twice: %d\n", dynlib_apply(twice, v, 3));
	printf("counter: %d\n", dynlib_counter);
	return 0;
}
