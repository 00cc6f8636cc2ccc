/* signalfd: a descriptor that reads the pending signals of its mask
 * (blocked for the process): EAGAIN when none, readable for poll and epoll
 * while one is pending, signalfd_siginfo fields for raise, sigqueue and
 * SIGCHLD, a new mask on the same descriptor, EINVAL for a short buffer. */
#include <sys/signalfd.h>
#include <signal.h>
#include <stdio.h>
#include <poll.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/epoll.h>
int main(void) {
	sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1); sigaddset(&m, SIGCHLD); sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, 0);
	int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("signalfd: %s\n", fd >= 0 ? "ok" : strerror(errno));
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof si);
	printf("read with nothing pending: %zd %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "?");
	struct pollfd p = {fd, POLLIN, 0};
	printf("poll before: %d\n", poll(&p, 1, 0));
	raise(SIGUSR1);
	int pr = poll(&p, 1, 0);
	printf("poll after raise: %d revents POLLIN %s\n", pr, p.revents & POLLIN ? "yes" : "no");
	n = read(fd, &si, sizeof si);
	printf("read: %zd signo %u code %d pid is mine %s\n", n, si.ssi_signo, si.ssi_code, si.ssi_pid == (unsigned)getpid() ? "yes" : "no");
	p.revents = 0; printf("poll after read: %d\n", poll(&p, 1, 0));
	union sigval v = {.sival_int = 42}; sigqueue(getpid(), SIGUSR2, v);
	int ep = epoll_create1(0); struct epoll_event ev = {EPOLLIN, {.fd = fd}}; epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	struct epoll_event out; printf("epoll_wait: %d\n", epoll_wait(ep, &out, 1, 1000));
	n = read(fd, &si, sizeof si);
	printf("sigqueue: signo %u code %d int %d\n", si.ssi_signo, si.ssi_code, si.ssi_int);
	fflush(stdout);
	pid_t c = fork(); if (c == 0) _exit(9);
	poll(&p, 1, 5000);
	n = read(fd, &si, sizeof si);
	printf("SIGCHLD: signo %u code %d pid is child %s status %d\n", si.ssi_signo, si.ssi_code, si.ssi_pid == (unsigned)c ? "yes" : "no", si.ssi_status);
	waitpid(c, 0, 0);
	sigset_t m2; sigemptyset(&m2); sigaddset(&m2, SIGUSR2);
	printf("new mask on the same fd: %d\n", signalfd(fd, &m2, 0) == fd);
	raise(SIGUSR1); raise(SIGUSR2);
	n = read(fd, &si, sizeof si);
	printf("read after the mask change: signo %u\n", si.ssi_signo);
	n = read(fd, &si, 10);
	printf("small buffer: %zd %s\n", n, n < 0 && errno == EINVAL ? "EINVAL" : "?");
	return 0;
}
