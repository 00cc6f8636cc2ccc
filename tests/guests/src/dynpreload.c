/* dynpreload: the LD_PRELOAD library of the dynwrap case. It wraps puts
 * and getenv: each calls the real one (dlsym RTLD_NEXT) and marks what it
 * did, so the program's output shows the wrapper ran. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int puts(const char *s)
{
	static int (*real)(const char *);
	if (!real)
		real = (int (*)(const char *))dlsym(RTLD_NEXT, "puts");
	fputs("[wrapped] ", stdout);
	return real(s);
}

char *getenv(const char *name)
{
	static char *(*real)(const char *);
	if (!real)
		real = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");
	if (strcmp(name, "GREETING") == 0)
		return "hello from the preloaded getenv";
	return real(name);
}
