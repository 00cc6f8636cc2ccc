/*
 * Waiting on descriptors, sockets, timers and the smaller system calls,
 * through the C library as programs use them: poll, select, pselect,
 * epoll, eventfd, timerfd, socketpair with SCM_RIGHTS and SCM_CREDENTIALS,
 * a loopback TCP echo, UDP with sendmmsg/recvmmsg, socket options, the
 * interval and POSIX timers, getrusage, prctl, statfs, xattrs, memfd,
 * mincore and the file calls without a structure of their own.
 *
 * One part per argument (io poll, io sock, ...). Every line printed is
 * what the kernel answers natively for any run on the same machine: counts,
 * flags, values round-tripped, errno names; never times, pids or ports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* Values the compiler must not see through (bad pointers, bad sizes). */
static volatile uintptr_t bad_addr = 8;
static volatile int minus_one = -1;

static const char *ename(int e)
{
	switch (e) {
	case 0: return "OK";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	case ENOTSUP: return "ENOTSUP";
	case ENODATA: return "ENODATA";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ERANGE: return "ERANGE";
	case EAGAIN: return "EAGAIN";
	case ENOENT: return "ENOENT";
	case ENOSYS: return "ENOSYS";
	case EEXIST: return "EEXIST";
	case ENOTCONN: return "ENOTCONN";
	case EMSGSIZE: return "EMSGSIZE";
	}
	return "E?";
}

/* r: the call's result; prints the result, or -1 and the errno's name. */
#define SHOW(label, expr) do { \
	errno = 0; \
	long r_ = (long)(expr); \
	printf("%s = %ld %s\n", label, r_ < 0 ? -1L : r_, r_ < 0 ? ename(errno) : ""); \
} while (0)

static void part_poll(void)
{
	int p[2];
	pipe(p);
	struct pollfd fds[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0}};
	SHOW("poll empty", poll(fds, 1, 0));
	printf("revents %#x\n", fds[0].revents);
	write(p[1], "x", 1);
	SHOW("poll ready", poll(fds, 3, 1000));
	printf("revents %#x %#x %#x\n", fds[0].revents, fds[1].revents, fds[2].revents);
	struct pollfd bad = {999, POLLIN, 0};
	SHOW("poll closed", poll(&bad, 1, 1000));
	printf("revents %#x\n", bad.revents);
	struct timespec ts = {1, 0};
	SHOW("ppoll", ppoll(fds, 2, &ts, NULL));
	printf("ppoll left <= 1s: %d\n", ts.tv_sec <= 1);
	SHOW("poll efault", poll((struct pollfd *)bad_addr, 1, 0));

	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	struct timeval tv = {2, 0};
	SHOW("select", select(p[1] + 1, &r, &w, NULL, &tv));
	printf("isset %d %d\n", !!FD_ISSET(p[0], &r), !!FD_ISSET(p[1], &w));
	printf("select left <= 2s: %d\n", tv.tv_sec <= 2);
	char c;
	read(p[0], &c, 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 0;
	tv.tv_usec = 1000;
	SHOW("select timeout", select(p[0] + 1, &r, NULL, NULL, &tv));
	printf("isset %d, left %ld.%06ld\n", !!FD_ISSET(p[0], &r), (long)tv.tv_sec, (long)tv.tv_usec);
	FD_ZERO(&r);
	FD_SET(100, &r);
	tv.tv_sec = 0;
	SHOW("select closed", select(101, &r, NULL, NULL, &tv));
	tv.tv_usec = -1;
	SHOW("select bad timeout", select(1, NULL, NULL, NULL, &tv));

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	SHOW("pselect", pselect(p[1] + 1, NULL, &w, NULL, &ts, &mask));
	printf("isset %d\n", !!FD_ISSET(p[1], &w));
	ts.tv_nsec = 1000000000;
	SHOW("pselect bad timeout", pselect(1, NULL, NULL, NULL, &ts, NULL));
}

static void part_epoll(void)
{
	int p[2];
	pipe(p);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	printf("epoll_create1 ok %d\n", ep >= 0);
	SHOW("epoll_create 0", epoll_create(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull};
	SHOW("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	SHOW("epoll_ctl add again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	SHOW("epoll_ctl bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
	struct epoll_event out[4];
	memset(out, 0, sizeof out);
	SHOW("epoll_wait empty", epoll_wait(ep, out, 4, 0));
	write(p[1], "ab", 2);
	SHOW("epoll_wait", epoll_wait(ep, out, 4, 1000));
	printf("event %#x data %#llx\n", out[0].events, (unsigned long long)out[0].data.u64);
	ev.events = EPOLLOUT;
	ev.data.fd = p[1];
	SHOW("epoll_ctl add out", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
	sigset_t mask;
	sigemptyset(&mask);
	SHOW("epoll_pwait", epoll_pwait(ep, out, 4, 1000, &mask));
	int in = 0, outs = 0;
	for (int i = 0; i < 2; i++) {
		if (out[i].events & EPOLLIN)
			in++;
		if (out[i].events & EPOLLOUT)
			outs++;
	}
	printf("in %d out %d\n", in, outs);
	SHOW("epoll_wait maxevents 0", epoll_wait(ep, out, 0, 0));
	SHOW("epoll_ctl del", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	SHOW("epoll_wait after del", epoll_wait(ep, out, 4, 0));
	close(ep);

	/* epoll and poll over a socket pair: readable after a send, hung up
	 * after the peer closes. */
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	ep = epoll_create1(0);
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.u32 = 77;
	SHOW("epoll_ctl socket", epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
	SHOW("epoll_wait socket empty", epoll_wait(ep, out, 4, 0));
	send(sv[0], "s", 1, 0);
	SHOW("epoll_wait socket", epoll_wait(ep, out, 4, 1000));
	printf("event %#x data %u\n", out[0].events, out[0].data.u32);
	close(sv[0]);
	SHOW("epoll_wait hangup", epoll_wait(ep, out, 4, 1000));
	printf("event %#x\n", out[0].events);
	struct pollfd spf = {sv[1], POLLIN | POLLRDHUP, 0};
	SHOW("poll socket hangup", poll(&spf, 1, 1000));
	printf("revents %#x\n", spf.revents);
	close(sv[1]);
	close(ep);

	int efd = eventfd(3, 0);
	uint64_t v = 4;
	write(efd, &v, 8);
	read(efd, &v, 8);
	printf("eventfd sum %llu\n", (unsigned long long)v);
	SHOW("eventfd empty nonblock", ({ int f = eventfd(0, EFD_NONBLOCK); read(f, &v, 8); }));
	int sem = eventfd(2, EFD_SEMAPHORE);
	read(sem, &v, 8);
	printf("semaphore read %llu\n", (unsigned long long)v);

	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = {{0, 0}, {0, 20000000}}, old;
	SHOW("timerfd_settime", timerfd_settime(tfd, 0, &its, NULL));
	uint64_t exp = 0;
	read(tfd, &exp, 8);
	printf("timerfd expirations %llu\n", (unsigned long long)exp);
	its.it_value.tv_sec = 100;
	its.it_interval.tv_sec = 7;
	timerfd_settime(tfd, 0, &its, NULL);
	SHOW("timerfd_gettime", timerfd_gettime(tfd, &its));
	printf("interval %ld.%09ld value in (98,100]: %d\n", (long)its.it_interval.tv_sec,
	       (long)its.it_interval.tv_nsec, its.it_value.tv_sec >= 98 && its.it_value.tv_sec <= 100);
	memset(&its, 0, sizeof its);
	SHOW("timerfd disarm", timerfd_settime(tfd, 0, &its, &old));
	printf("old interval %ld\n", (long)old.it_interval.tv_sec);
	its.it_value.tv_nsec = -1;
	SHOW("timerfd bad", timerfd_settime(tfd, 0, &its, NULL));
}

static void part_unix(void)
{
	int sv[2];
	SHOW("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	SHOW("send", send(sv[0], "hello", 5, 0));
	char buf[64] = {0};
	SHOW("recv", recv(sv[1], buf, sizeof buf, 0));
	printf("got %s\n", buf);

	/* SCM_RIGHTS: a pipe's write end crosses the socket. */
	int p[2];
	pipe(p);
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {"F", 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE(sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	SHOW("sendmsg rights", sendmsg(sv[0], &m, 0));
	close(p[1]);
	char rb[4];
	struct iovec riov = {rb, sizeof rb};
	char rc[256];
	struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rc, .msg_controllen = sizeof rc};
	SHOW("recvmsg rights", recvmsg(sv[1], &rm, 0));
	c = CMSG_FIRSTHDR(&rm);
	int got = -1;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		memcpy(&got, CMSG_DATA(c), sizeof(int));
		printf("cmsg len %d controllen %d flags %#x\n", (int)c->cmsg_len, (int)rm.msg_controllen, rm.msg_flags);
	}
	printf("byte %c\n", rb[0]);
	SHOW("write through passed fd", write(got, "via", 3));
	close(got);
	memset(buf, 0, sizeof buf);
	SHOW("read pipe", read(p[0], buf, sizeof buf));
	printf("pipe got %s\n", buf);

	/* Two descriptors, room for one: MSG_CTRUNC. */
	pipe(p);
	m.msg_controllen = CMSG_SPACE(2 * sizeof(int));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), p, 2 * sizeof(int));
	SHOW("sendmsg two", sendmsg(sv[0], &m, 0));
	rm.msg_controllen = CMSG_SPACE(sizeof(int));
	SHOW("recvmsg one room", recvmsg(sv[1], &rm, 0));
	printf("flags ctrunc %d\n", !!(rm.msg_flags & MSG_CTRUNC));

	/* SCM_CREDENTIALS. */
	int on = 1;
	SHOW("SO_PASSCRED", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
	struct ucred cr = {getpid(), getuid(), getgid()};
	m.msg_controllen = CMSG_SPACE(sizeof cr);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof cr);
	memcpy(CMSG_DATA(c), &cr, sizeof cr);
	SHOW("sendmsg creds", sendmsg(sv[0], &m, 0));
	rm.msg_controllen = sizeof rc;
	SHOW("recvmsg creds", recvmsg(sv[1], &rm, 0));
	c = CMSG_FIRSTHDR(&rm);
	if (c && c->cmsg_type == SCM_CREDENTIALS) {
		struct ucred rcr;
		memcpy(&rcr, CMSG_DATA(c), sizeof rcr);
		printf("creds pid %d uid %d gid %d\n", rcr.pid == getpid(), rcr.uid == getuid(), rcr.gid == getgid());
	}
	struct ucred peer;
	socklen_t len = sizeof peer;
	SHOW("SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &len));
	printf("peer pid %d len %d\n", peer.pid == getpid(), (int)len);
	SHOW("shutdown", shutdown(sv[0], SHUT_WR));
	SHOW("recv eof", recv(sv[1], buf, sizeof buf, 0));
	SHOW("recv bad fd", recv(999, buf, 1, 0));
}

static void part_tcp(void)
{
	int srv = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	SHOW("SO_REUSEADDR", setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	SHOW("bind", bind(srv, (struct sockaddr *)&a, sizeof a));
	SHOW("listen", listen(srv, 4));
	socklen_t len = sizeof a;
	SHOW("getsockname", getsockname(srv, (struct sockaddr *)&a, &len));
	printf("family %d port set %d len %d\n", a.sin_family, a.sin_port != 0, (int)len);
	int cl = socket(AF_INET, SOCK_STREAM, 0);
	SHOW("connect", connect(cl, (struct sockaddr *)&a, sizeof a));
	struct sockaddr_in peer;
	socklen_t plen = 4; /* shorter than the address: truncated, full length back */
	memset(&peer, 0, sizeof peer);
	int s = accept4(srv, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	printf("accept4 ok %d plen %d family %d\n", s >= 0, (int)plen, peer.sin_family);
	struct pollfd pf = {s, POLLIN, 0};
	SHOW("poll before", poll(&pf, 1, 0));
	SHOW("send", send(cl, "echo me", 7, 0));
	SHOW("poll after", poll(&pf, 1, 1000));
	char buf[32] = {0};
	SHOW("recv", recv(s, buf, sizeof buf, 0));
	SHOW("send back", send(s, buf, strlen(buf), 0));
	memset(buf, 0, sizeof buf);
	SHOW("recv echo", recv(cl, buf, 7, MSG_WAITALL));
	printf("echo %s\n", buf);
	len = sizeof peer;
	SHOW("getpeername", getpeername(cl, (struct sockaddr *)&peer, &len));
	printf("peer is server %d\n", peer.sin_port == a.sin_port);

	struct timeval tv = {1, 500000}, tv2;
	SHOW("SO_RCVTIMEO", setsockopt(cl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	len = sizeof tv2;
	SHOW("get SO_RCVTIMEO", getsockopt(cl, SOL_SOCKET, SO_RCVTIMEO, &tv2, &len));
	printf("rcvtimeo %ld.%06ld len %d\n", (long)tv2.tv_sec, (long)tv2.tv_usec, (int)len);
	tv.tv_sec = 0;
	tv.tv_usec = 100000;
	setsockopt(cl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	SHOW("recv timeout", recv(cl, buf, sizeof buf, 0));
	struct linger lg = {1, 5}, lg2;
	SHOW("SO_LINGER", setsockopt(cl, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	len = sizeof lg2;
	SHOW("get SO_LINGER", getsockopt(cl, SOL_SOCKET, SO_LINGER, &lg2, &len));
	printf("linger %d %d len %d\n", lg2.l_onoff, lg2.l_linger, (int)len);
	int v = 0;
	len = sizeof v;
	SHOW("get TCP_NODELAY", getsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	printf("nodelay %d\n", v);
	len = sizeof v;
	SHOW("get SO_TYPE", getsockopt(cl, SOL_SOCKET, SO_TYPE, &v, &len));
	printf("type %d\n", v);
	SHOW("setsockopt bad len", setsockopt(cl, SOL_SOCKET, SO_RCVTIMEO, &tv, 3));
	close(cl);
	SHOW("recv closed peer", recv(s, buf, sizeof buf, 0));
	close(s);
	close(srv);
}

static void part_udp(void)
{
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, sb = sa;
	socklen_t len = sizeof sa;
	bind(a, (struct sockaddr *)&sa, sizeof sa);
	getsockname(a, (struct sockaddr *)&sa, &len);
	bind(b, (struct sockaddr *)&sb, sizeof sb);
	len = sizeof sb;
	getsockname(b, (struct sockaddr *)&sb, &len);
	SHOW("sendto", sendto(b, "dgram", 5, 0, (struct sockaddr *)&sa, sizeof sa));
	char buf[32] = {0};
	struct sockaddr_in from;
	len = sizeof from;
	SHOW("recvfrom", recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &len));
	printf("from b %d len %d data %s\n", from.sin_port == sb.sin_port, (int)len, buf);
	SHOW("recvfrom empty", recvfrom(a, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
	SHOW("sendto bad len", sendto(b, "x", 1, 0, (struct sockaddr *)&sa, 200));

	/* Two gathered messages each way. */
	struct mmsghdr mm[2];
	struct iovec iov[2][2] = {{{"one-", 4}, {"a", 1}}, {{"two-", 4}, {"bb", 2}}};
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_iov = iov[i];
		mm[i].msg_hdr.msg_iovlen = 2;
		mm[i].msg_hdr.msg_name = &sa;
		mm[i].msg_hdr.msg_namelen = sizeof sa;
	}
	SHOW("sendmmsg", sendmmsg(b, mm, 2, 0));
	printf("lens %u %u\n", mm[0].msg_len, mm[1].msg_len);
	char r[2][16];
	struct iovec riov[2] = {{r[0], sizeof r[0]}, {r[1], sizeof r[1]}};
	struct sockaddr_in names[2];
	struct mmsghdr rm[2];
	memset(rm, 0, sizeof rm);
	memset(r, 0, sizeof r);
	for (int i = 0; i < 2; i++) {
		rm[i].msg_hdr.msg_iov = &riov[i];
		rm[i].msg_hdr.msg_iovlen = 1;
		rm[i].msg_hdr.msg_name = &names[i];
		rm[i].msg_hdr.msg_namelen = sizeof names[i];
	}
	struct timespec ts = {1, 0};
	SHOW("recvmmsg", recvmmsg(a, rm, 2, MSG_WAITFORONE, &ts));
	printf("got %s/%u %s/%u namelen %d\n", r[0], rm[0].msg_len, r[1], rm[1].msg_len, (int)rm[0].msg_hdr.msg_namelen);

	/* recvmsg with a name shorter than the address: namelen says the full. */
	sendto(b, "z", 1, 0, (struct sockaddr *)&sa, sizeof sa);
	struct iovec one = {buf, sizeof buf};
	struct msghdr m = {.msg_name = &from, .msg_namelen = 2, .msg_iov = &one, .msg_iovlen = 1};
	SHOW("recvmsg short name", recvmsg(a, &m, 0));
	printf("namelen %d flags %#x\n", (int)m.msg_namelen, m.msg_flags);
	/* Truncated datagram. */
	sendto(b, "0123456789", 10, 0, (struct sockaddr *)&sa, sizeof sa);
	one.iov_len = 4;
	m.msg_namelen = sizeof from;
	SHOW("recvmsg trunc", recvmsg(a, &m, 0));
	printf("flags trunc %d\n", !!(m.msg_flags & MSG_TRUNC));
	/* SO_TIMESTAMP: a control message with a timeval. */
	int on = 1;
	setsockopt(a, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on);
	sendto(b, "t", 1, 0, (struct sockaddr *)&sa, sizeof sa);
	char cbuf[128];
	m.msg_control = cbuf;
	m.msg_controllen = sizeof cbuf;
	one.iov_len = sizeof buf;
	SHOW("recvmsg timestamp", recvmsg(a, &m, 0));
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	struct timeval now;
	gettimeofday(&now, NULL);
	if (c) {
		struct timeval tv;
		memcpy(&tv, CMSG_DATA(c), sizeof tv);
		printf("cmsg type %d len %d controllen %d recent %d\n", c->cmsg_type, (int)c->cmsg_len,
		       (int)m.msg_controllen, now.tv_sec - tv.tv_sec <= 2 && tv.tv_usec < 1000000);
	}
	close(a);
	close(b);
}

static void part_time(void)
{
	struct itimerval it = {{0, 0}, {100, 0}}, old;
	SHOW("setitimer", setitimer(ITIMER_REAL, &it, NULL));
	SHOW("getitimer", getitimer(ITIMER_REAL, &old));
	printf("value in (98,100]: %d interval %ld\n", old.it_value.tv_sec >= 98 && old.it_value.tv_sec <= 100,
	       (long)old.it_interval.tv_sec);
	memset(&it, 0, sizeof it);
	SHOW("setitimer disarm", setitimer(ITIMER_REAL, &it, &old));
	printf("old value set %d\n", old.it_value.tv_sec > 0 || old.it_value.tv_usec > 0);
	SHOW("setitimer bad which", setitimer(99, &it, NULL));
	SHOW("alarm", alarm(100));
	printf("alarm left > 90: %d\n", alarm(0) > 90);

	timer_t t;
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};
	SHOW("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &t));
	struct itimerspec its = {{3, 0}, {50, 0}}, cur;
	SHOW("timer_settime", timer_settime(t, 0, &its, NULL));
	SHOW("timer_gettime", timer_gettime(t, &cur));
	printf("interval %ld value in (48,50]: %d\n", (long)cur.it_interval.tv_sec,
	       cur.it_value.tv_sec >= 48 && cur.it_value.tv_sec <= 50);
	SHOW("timer_getoverrun", timer_getoverrun(t));
	SHOW("timer_delete", timer_delete(t));
	SHOW("timer_delete again", timer_delete(t));

	struct timespec res;
	SHOW("clock_getres", clock_getres(CLOCK_MONOTONIC, &res));
	printf("res positive %d\n", res.tv_sec > 0 || res.tv_nsec > 0);

	struct rusage ru;
	SHOW("getrusage self", getrusage(RUSAGE_SELF, &ru));
	printf("maxrss positive %d usec valid %d\n", ru.ru_maxrss > 0, ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000);
	SHOW("getrusage children", getrusage(RUSAGE_CHILDREN, &ru));
	/* The children's figures are inherited across exec: not the program's. */
	printf("children usec valid %d\n", ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000);
	SHOW("getrusage bad", getrusage(99, &ru));
	struct tms tm;
	clock_t c = times(&tm);
	printf("times ok %d self %d\n", c != (clock_t)-1, tm.tms_utime >= 0 && tm.tms_stime >= 0);
}

static void part_misc(void)
{
	char name[32] = {0};
	SHOW("PR_SET_NAME", prctl(PR_SET_NAME, "minemu-io-test-long-name"));
	SHOW("PR_GET_NAME", prctl(PR_GET_NAME, name));
	printf("name %s\n", name);
	SHOW("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
	SHOW("PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	SHOW("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	int sig = -1;
	SHOW("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &sig));
	printf("pdeathsig %d\n", sig);
	SHOW("prctl unknown", prctl(9999));

	int n = getgroups(0, NULL);
	gid_t g[256];
	printf("getgroups match %d\n", n >= 0 && getgroups(256, g) == n);
	printf("getgroups small einval %d\n", n < 2 || (getgroups(n - 1, g) < 0 && errno == EINVAL));
	SHOW("getgroups negative", getgroups(minus_one, g));
	uid_t ru, eu, su;
	SHOW("getresuid", getresuid(&ru, &eu, &su));
	printf("resuid match %d\n", ru == getuid() && eu == geteuid());

	struct statfs sf;
	SHOW("statfs /", statfs("/", &sf));
	printf("bsize positive %d namelen positive %d\n", sf.f_bsize > 0, sf.f_namelen > 0);
	SHOW("statfs missing", statfs("/nonexistent", &sf));
	int fd = open("/", O_RDONLY);
	struct statfs sf2;
	SHOW("fstatfs", fstatfs(fd, &sf2));
	printf("same type %d\n", sf.f_type == sf2.f_type);
	close(fd);

	int mf = memfd_create("minemu-memfd", MFD_CLOEXEC);
	printf("memfd ok %d\n", mf >= 0);
	SHOW("memfd write", write(mf, "in memory", 9));
	struct stat st;
	fstat(mf, &st);
	printf("memfd size %ld\n", (long)st.st_size);
	lseek(mf, 3, SEEK_SET);
	char buf[32] = {0};
	SHOW("memfd read", read(mf, buf, sizeof buf));
	printf("memfd got %s\n", buf);
	close(mf);

	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	p[2 * pg] = 1;
	unsigned char vec[4];
	SHOW("mincore", mincore(p, 4 * pg, vec));
	printf("resident %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
	SHOW("mincore unaligned", mincore(p + 1, pg, vec));
	munmap(p + 2 * pg, 2 * pg);
	SHOW("mincore unmapped", mincore(p, 4 * pg, vec));
	SHOW("msync", msync(p, pg, MS_SYNC));
	SHOW("msync unmapped", msync(p + 2 * pg, pg, MS_SYNC));
	SHOW("msync bad flags", msync(p, pg, MS_SYNC | MS_ASYNC));

	printf("sched_getscheduler %d\n", sched_getscheduler(0));
	printf("max fifo prio %d\n", sched_get_priority_max(SCHED_FIFO));
	printf("getcpu ok %d\n", sched_getcpu() >= 0);
	SHOW("getpriority", getpriority(PRIO_PROCESS, 0));
	SHOW("personality query", personality(0xffffffff));
}

static void part_fs(void)
{
	char dir[] = "/tmp/minemu-io-XXXXXX";
	if (!mkdtemp(dir))
		return;
	char f[64], l[64], h[64], g[64];
	snprintf(f, sizeof f, "%s/file", dir);
	snprintf(l, sizeof l, "%s/link", dir);
	snprintf(h, sizeof h, "%s/hard", dir);
	snprintf(g, sizeof g, "%s/copy", dir);
	int in = inotify_init1(IN_NONBLOCK);
	SHOW("inotify_add_watch", inotify_add_watch(in, dir, IN_CREATE) > 0 ? 1 : -1);
	int fd = creat(f, 0644);
	printf("creat ok %d\n", fd >= 0);
	char ev[256];
	ssize_t n = read(in, ev, sizeof ev);
	if (n > 0) {
		struct inotify_event *ie = (struct inotify_event *)ev;
		printf("inotify mask %#x name %s\n", ie->mask, ie->name);
	}
	SHOW("write", write(fd, "0123456789", 10));
	SHOW("flock", flock(fd, LOCK_EX | LOCK_NB));
	SHOW("fadvise", posix_fadvise(fd, 0, 10, POSIX_FADV_SEQUENTIAL));
	SHOW("fallocate", fallocate(fd, 0, 0, 4096) == 0 ? 0 : -1);
	SHOW("ftruncate", ftruncate(fd, 10));
	close(fd);
	SHOW("symlink", symlink("file", l));
	char t[64] = {0};
	SHOW("readlink", readlink(l, t, sizeof t));
	printf("target %s\n", t);
	SHOW("symlink exists", symlink("file", l));
	SHOW("link", link(f, h));
	struct stat st;
	stat(h, &st);
	printf("nlink %d\n", (int)st.st_nlink);

	SHOW("setxattr", setxattr(f, "user.minemu", "v1", 2, 0));
	char val[16] = {0};
	SHOW("getxattr", getxattr(f, "user.minemu", val, sizeof val));
	printf("value %s\n", val);
	SHOW("getxattr size", getxattr(f, "user.minemu", NULL, 0));
	SHOW("getxattr small", getxattr(f, "user.minemu", val, 1));
	SHOW("getxattr missing", getxattr(f, "user.none", val, sizeof val));
	char list[64] = {0};
	SHOW("listxattr", listxattr(f, list, sizeof list));
	printf("list %s\n", list);
	SHOW("lgetxattr link", lgetxattr(l, "user.minemu", val, sizeof val));
	SHOW("removexattr", removexattr(f, "user.minemu"));
	SHOW("removexattr again", removexattr(f, "user.minemu"));

	struct timespec ts[2] = {{1000000000, 5}, {1200000000, 7}};
	SHOW("utimensat", utimensat(AT_FDCWD, f, ts, 0));
	stat(f, &st);
	printf("mtime %ld.%09ld atime %ld\n", (long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (long)st.st_atim.tv_sec);
	struct timeval tv[2] = {{1300000000, 1}, {1400000000, 2}};
	SHOW("utimes", utimes(f, tv));
	stat(f, &st);
	printf("mtime %ld.%09ld\n", (long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	tv[0].tv_usec = 1000000;
	SHOW("utimes bad", utimes(f, tv));

	int src = open(f, O_RDONLY), dst = open(g, O_WRONLY | O_CREAT, 0644);
	off_t off = 2;
	SHOW("sendfile", sendfile(dst, src, &off, 5));
	printf("offset %ld\n", (long)off);
	loff_t oi = 0, oo = 5;
	SHOW("copy_file_range", copy_file_range(src, &oi, dst, &oo, 3, 0));
	printf("offsets %ld %ld\n", (long)oi, (long)oo);
	close(dst);
	dst = open(g, O_RDONLY);
	memset(t, 0, sizeof t);
	read(dst, t, sizeof t);
	printf("copy %s\n", t);
	int p[2];
	pipe(p);
	lseek(src, 0, SEEK_SET);
	SHOW("splice", splice(src, NULL, p[1], NULL, 4, 0));
	int q[2];
	pipe(q);
	SHOW("tee", tee(p[0], q[1], 4, 0));
	memset(t, 0, sizeof t);
	read(q[0], t, sizeof t);
	printf("tee %s\n", t);
	close(src);
	close(dst);
	SHOW("syncfs", syncfs(p[0]) == 0 ? 0 : -1);
	sync();

	unlink(g);
	unlink(h);
	unlink(l);
	unlink(f);
	SHOW("rmdir", rmdir(dir));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *p = argc > 1 ? argv[1] : "";
	if (!strcmp(p, "poll"))
		part_poll();
	else if (!strcmp(p, "epoll"))
		part_epoll();
	else if (!strcmp(p, "unix"))
		part_unix();
	else if (!strcmp(p, "tcp"))
		part_tcp();
	else if (!strcmp(p, "udp"))
		part_udp();
	else if (!strcmp(p, "time"))
		part_time();
	else if (!strcmp(p, "misc"))
		part_misc();
	else if (!strcmp(p, "fs"))
		part_fs();
	else {
		fprintf(stderr, "usage: io poll|epoll|unix|tcp|udp|time|misc|fs\n");
		return 2;
	}
	return 0;
}
