/* Blocking calls a guest signal interrupts: waitpid, readv and a futex wait
 * (a condition variable) with a handler without SA_RESTART, and waitpid
 * restarted with it. */
#include <signal.h>
#include <stdio.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <pthread.h>
#include <sys/uio.h>
static void h(int s) {}
int main(void) {
	struct sigaction sa = {0}; sa.sa_handler = h; sigaction(SIGALRM, &sa, 0);
	pid_t p = fork(); if (p == 0) { sleep(3); _exit(0); }
	alarm(1);
	int st; int r = waitpid(p, &st, 0);
	printf("waitpid: %d %s\n", r, r < 0 && errno == EINTR ? "EINTR" : "other");
	int fds[2]; pipe(fds); char b[4]; struct iovec v = {b, 4};
	alarm(1); r = readv(fds[0], &v, 1);
	printf("readv: %d %s\n", r, r < 0 && errno == EINTR ? "EINTR" : "other");
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER; pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	alarm(1); pthread_mutex_lock(&m); struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts); ts.tv_sec += 2;
	r = pthread_cond_timedwait(&c, &m, &ts); printf("condwait: %d (110 = ETIMEDOUT: the handler ran and the wait went on)\n", r);
	sa.sa_flags = SA_RESTART; sigaction(SIGALRM, &sa, 0);
	alarm(1); r = waitpid(p, &st, 0); printf("waitpid with SA_RESTART: %s\n", r == p ? "child" : "other");
	return 0;
}
