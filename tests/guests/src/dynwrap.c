/* dynwrap: calls puts and getenv, which the LD_PRELOAD library of its case
 * (dynpreload) replaces. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	puts("through puts");
	const char *g = getenv("GREETING");
	printf("GREETING=%s\n", g ? g : "(unset)");
	const char *l = getenv("LC_ALL");
	printf("LC_ALL=%s\n", l ? l : "(unset)");
	return 0;
}
