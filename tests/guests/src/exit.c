/* exit: exits with the status given as argv[1] (0 without one); the kernel
 * keeps its low 8 bits. */
#include "rt.h"

int main(int argc, char **argv, char **envp)
{
	int code = argc > 1 ? atoi_(argv[1]) : 0;
	puts_("exiting with "), putdec(code), nl();
	return code;
}
