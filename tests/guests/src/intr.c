/* Blocking calls a guest signal interrupts: waitpid, readv and a futex wait
 * (a condition variable) with a handler without SA_RESTART, and waitpid
 * restarted with it; pselect and ppoll letting a blocked signal in through
 * their mask, its handler run before the old mask comes back. */
#define _GNU_SOURCE
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/select.h>
#include <stdio.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <pthread.h>
#include <sys/uio.h>
static volatile int got;
static void h(int s) { got++; }
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
	/* An open of a FIFO waits for the other end. */
	sa.sa_flags = 0; sigaction(SIGALRM, &sa, 0);
	char fifo[64]; snprintf(fifo, sizeof fifo, "/tmp/minemu-intr-fifo-%d", (int)getpid());
	mkfifo(fifo, 0600);
	alarm(1); r = open(fifo, O_RDONLY);
	printf("open of a FIFO: %d %s\n", r, r < 0 && errno == EINTR ? "EINTR" : "other");
	unlink(fifo);
	sigset_t blk, none, now;
	sigemptyset(&blk); sigaddset(&blk, SIGALRM); sigprocmask(SIG_BLOCK, &blk, 0); sigemptyset(&none);
	got = 0;
	alarm(1); r = pselect(0, 0, 0, 0, 0, &none);
	printf("pselect: %d %s, handler ran %d times\n", r, r < 0 && errno == EINTR ? "EINTR" : "other", got);
	sigprocmask(SIG_BLOCK, 0, &now);
	printf("SIGALRM blocked again: %s\n", sigismember(&now, SIGALRM) ? "yes" : "no");
	alarm(1); r = ppoll(0, 0, 0, &none);
	printf("ppoll: %d %s, handler ran %d times\n", r, r < 0 && errno == EINTR ? "EINTR" : "other", got);
	return 0;
}
