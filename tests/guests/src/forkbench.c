/* The process benchmarks' guest: `touch MIB N` touches MIB MiB and then
 * forks N children that exit at once, waiting for each; `spawn N PROG`
 * forks N children that exec PROG (its output to /dev/null), waiting for
 * each. Prints how many children ended as expected. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: forkbench touch MIB N | spawn N PROG\n");
		return 2;
	}
	int ok = 0;
	if (strcmp(argv[1], "touch") == 0) {
		size_t n = (size_t)atoi(argv[2]) << 20;
		int iters = atoi(argv[3]);
		char *p = malloc(n);
		for (size_t i = 0; i < n; i += 4096)
			p[i] = (char)i;
		for (int i = 0; i < iters; i++) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(p[4096] == (char)4096 ? 0 : 1);
			int st;
			if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
				ok++;
		}
	} else {
		int iters = atoi(argv[2]);
		for (int i = 0; i < iters; i++) {
			pid_t pid = fork();
			if (pid == 0) {
				int fd = open("/dev/null", O_WRONLY);
				dup2(fd, 1);
				execl(argv[3], argv[3], (char *)NULL);
				_exit(127);
			}
			int st;
			if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
				ok++;
		}
	}
	printf("%d ok\n", ok);
	return 0;
}
