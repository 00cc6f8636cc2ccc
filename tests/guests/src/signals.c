/* Guest signal delivery: handlers, siginfo, masks, frames, sigreturn.
 * Each step prints one line in a fixed order; "die SIG" raises SIG with
 * its default action (the exit status is the test). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int got, gotcode, nodefer_blocked, depth;
static volatile long gotval;
static volatile void *gotaddr;
static sigjmp_buf jb;
static int order[8], norder;

static void plain(int s) { got = s; }
static void info(int s, siginfo_t *si, void *uc) {
	got = s;
	gotcode = si->si_code;
	gotaddr = si->si_addr;
	gotval = si->si_value.sival_int;
	if (si->si_code == SI_USER || si->si_code == SI_TKILL || si->si_code == SI_QUEUE)
		gotaddr = (void *)(long)(si->si_pid == getpid());
}
static void jump(int s, siginfo_t *si, void *uc) {
	got = s;
	gotcode = si->si_code;
	gotaddr = si->si_addr;
	siglongjmp(jb, 1);
}
static void skip2(int s, siginfo_t *si, void *ucv) {
	ucontext_t *uc = ucv;
	got = s;
	gotcode = si->si_code;
#ifdef __x86_64__
	gotaddr = (void *)(long)(si->si_addr == (void *)uc->uc_mcontext.gregs[REG_RIP]);
	uc->uc_mcontext.gregs[REG_RIP] += 2;
#else
	gotaddr = (void *)(long)(si->si_addr == (void *)uc->uc_mcontext.gregs[REG_EIP]);
	uc->uc_mcontext.gregs[REG_EIP] += 2;
#endif
}
static void trap(int s, siginfo_t *si, void *uc) { got = s; gotcode = si->si_code; }
static void blockcheck(int s) {
	sigset_t m;
	sigprocmask(SIG_BLOCK, 0, &m);
	nodefer_blocked = sigismember(&m, s);
}
static void record(int s, siginfo_t *si, void *uc) { order[norder++] = si->si_value.sival_int; }
static volatile int eperm;
static void onstack(int s) {
	stack_t ss, n = {.ss_sp = 0, .ss_size = 65536, .ss_flags = 0};
	sigaltstack(0, &ss);
	got = s;
	gotcode = ss.ss_flags;
	eperm = sigaltstack(&n, 0) < 0 && errno == EPERM;
	siglongjmp(jb, 1);
}
static char *altbase;
static volatile int disarmed_flags, on_alt;
static void disarmed(int s) {
	stack_t ss;
	char here;
	sigaltstack(0, &ss);
	disarmed_flags = ss.ss_flags;
	on_alt = &here >= altbase && &here < altbase + 65536;
}
static int recurse(int n) {
	volatile char buf[512];
	buf[0] = n;
	depth++;
	return recurse(n + 1) + buf[0];
}

static void set(int sig, void *h, int flags) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	if (flags & SA_SIGINFO)
		sa.sa_sigaction = h;
	else
		sa.sa_handler = h;
	sa.sa_flags = flags;
	sigaction(sig, &sa, 0);
}

static int pipefd[2];
static void wrote(int s) {
	got = s;
	char c = 'x';
	write(pipefd[1], &c, 1);
}

/* wait MODE: prints "ready", then blocks reading a pipe until a signal
 * from outside comes. MODE "eintr": handlers without SA_RESTART for
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR1; the read fails with EINTR.
 * "restart": a SIGUSR1 handler with SA_RESTART that writes a byte into the
 * pipe; the restarted read returns it. "default": no handler; the signal's
 * default action ends the process. "sleep": a SIGUSR1 handler interrupts a
 * 30-second nanosleep, which fails with EINTR and the time left. */
static int waitmode(const char *mode) {
	pipe(pipefd);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1};
	if (strcmp(mode, "eintr") == 0)
		for (int i = 0; i < 5; i++)
			set(sigs[i], plain, 0);
	else if (strcmp(mode, "restart") == 0)
		set(SIGUSR1, wrote, SA_RESTART);
	if (strcmp(mode, "sleep") == 0) {
		set(SIGUSR1, plain, SA_RESTART); /* nanosleep is never restarted after a handler */
		printf("ready\n");
		fflush(stdout);
		struct timespec req = {30, 0}, rem = {0, 0};
		int r = nanosleep(&req, &rem);
		printf("nanosleep %d (%s) after handler for %d, time left %d\n", r, r < 0 && errno == EINTR ? "EINTR" : "?", got,
		       rem.tv_sec > 20 && rem.tv_sec < 30);
		return 0;
	}
	printf("ready\n");
	fflush(stdout);
	char c;
	got = 0;
	long n = read(pipefd[0], &c, 1);
	int e = n < 0 ? errno : 0;
	printf("read %ld (%s) after handler for %d\n", n, e == EINTR ? "EINTR" : e ? "error" : "data", got);
	return 0;
}

int main(int argc, char **argv) {
	if (argc > 2 && strcmp(argv[1], "wait") == 0)
		return waitmode(argv[2]);
	if (argc > 1 && strcmp(argv[1], "blockedsegv") == 0) {
		/* A fault whose signal is blocked kills, handler or not. */
		set(SIGSEGV, plain, 0);
		sigset_t m;
		sigemptyset(&m);
		sigaddset(&m, SIGSEGV);
		sigprocmask(SIG_BLOCK, &m, 0);
		printf("faulting\n");
		fflush(stdout);
		*(volatile int *)8 = 1;
		printf("survived\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "pipedie") == 0) {
		/* SIGPIPE's default action from a write to a pipe without readers. */
		int p[2];
		pipe(p);
		close(p[0]);
		printf("writing\n");
		fflush(stdout);
		write(p[1], "x", 1);
		printf("survived the write\n");
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "die") == 0) {
		int sig = atoi(argv[2]);
		printf("raising %d\n", sig);
		fflush(stdout);
		if (sig == SIGSEGV)
			*(volatile int *)8 = 1;
		raise(sig);
		printf("survived %d\n", sig);
		return 0;
	}
	signal(SIGUSR1, plain);
	raise(SIGUSR1);
	printf("raise: handler got %d\n", got);

	set(SIGUSR2, info, SA_SIGINFO);
	got = 0;
	kill(getpid(), SIGUSR2);
	printf("kill: sig %d code %d own pid %d\n", got, gotcode, (int)(long)gotaddr);
	got = 0;
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
	printf("tgkill: sig %d code %d own pid %d\n", got, gotcode, (int)(long)gotaddr);

	set(SIGSEGV, jump, SA_SIGINFO);
	if (!sigsetjmp(jb, 1))
		*(volatile int *)16 = 1;
	printf("segv unmapped: code %d addr %p\n", gotcode, gotaddr);
	char *ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!sigsetjmp(jb, 1))
		ro[100] = 1;
	printf("segv read-only: code %d addr ok %d\n", gotcode, gotaddr == ro + 100);

	set(SIGFPE, jump, SA_SIGINFO);
	volatile int zero = 0;
	if (!sigsetjmp(jb, 1))
		zero = 1 / zero;
	printf("fpe: code %d\n", gotcode);

	set(SIGILL, skip2, SA_SIGINFO);
	got = 0;
	__asm__ volatile("ud2");
	printf("ill skipped: sig %d code %d addr is rip %d\n", got, gotcode, (int)(long)gotaddr);

	set(SIGTRAP, trap, SA_SIGINFO);
	got = 0;
	__asm__ volatile("int3");
	printf("trap: sig %d code %d\n", got, gotcode);

#ifndef __x86_64__
	/* into with OF set: #OF, a trap (SIGSEGV SI_KERNEL, returning past it). */
	set(SIGSEGV, trap, SA_SIGINFO);
	got = 0;
	__asm__ volatile("mov $0x7f, %%al\n add $1, %%al\n into\n" ::: "eax", "cc");
	printf("into: sig %d code %d\n", got, gotcode);
#endif

	sigset_t m, old, pend;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, &old);
	got = 0;
	raise(SIGUSR1);
	sigpending(&pend);
	printf("blocked: handler %d pending %d\n", got, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, 0);
	printf("unblocked: handler %d\n", got);

	sigprocmask(SIG_BLOCK, &m, 0);
	got = 0;
	raise(SIGUSR1);
	sigset_t empty;
	sigemptyset(&empty);
	int r = sigsuspend(&empty);
	sigprocmask(SIG_BLOCK, 0, &old);
	printf("sigsuspend: %d handler %d mask restored %d\n", r, got, sigismember(&old, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &m, 0);

	set(SIGUSR1, plain, SA_RESETHAND);
	raise(SIGUSR1);
	struct sigaction q;
	sigaction(SIGUSR1, 0, &q);
	printf("resethand: now default %d\n", q.sa_handler == SIG_DFL);

	set(SIGUSR1, blockcheck, 0);
	raise(SIGUSR1);
	printf("no nodefer: blocked in handler %d\n", nodefer_blocked);
	set(SIGUSR1, blockcheck, SA_NODEFER);
	raise(SIGUSR1);
	printf("nodefer: blocked in handler %d\n", nodefer_blocked);

	set(SIGRTMIN, info, SA_SIGINFO);
	union sigval v = {.sival_int = 42};
	sigqueue(getpid(), SIGRTMIN, v);
	printf("sigqueue: code %d value %ld own pid %d\n", gotcode, gotval, (int)(long)gotaddr);
	set(SIGRTMIN + 1, record, SA_SIGINFO);
	sigemptyset(&m);
	sigaddset(&m, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &m, 0);
	for (int i = 1; i <= 3; i++) {
		v.sival_int = i;
		sigqueue(getpid(), SIGRTMIN + 1, v);
	}
	sigprocmask(SIG_UNBLOCK, &m, 0);
	printf("rt queue: %d signals, order %d %d %d\n", norder, order[0], order[1], order[2]);

	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, 0);
	raise(SIGUSR2);
	siginfo_t si;
	struct timespec ts = {0, 0};
	int w = sigtimedwait(&m, &si, &ts);
	int w2 = sigtimedwait(&m, &si, &ts);
	printf("sigtimedwait: %d code %d, then %d\n", w, si.si_code, w2);
	sigprocmask(SIG_UNBLOCK, &m, 0);

	int pp[2];
	pipe(pp);
	close(pp[0]);
	set(SIGPIPE, plain, 0);
	got = 0;
	long wn = write(pp[1], "x", 1);
	printf("sigpipe: write %ld (%s) handler %d\n", wn, wn < 0 && errno == EPIPE ? "EPIPE" : "?", got);
	close(pp[1]);

	signal(SIGCHLD, SIG_DFL);
	raise(SIGCHLD);
	raise(SIGCONT);
	printf("default-ignored signals: still here\n");

	stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
	sigaltstack(&ss, 0);
	set(SIGSEGV, onstack, SA_ONSTACK);
	got = 0;
	if (!sigsetjmp(jb, 1))
		recurse(0);
	printf("stack overflow: caught %d on the alternate stack %d, changing it refused %d\n", got, gotcode == SS_ONSTACK, eperm);

	/* SS_AUTODISARM: disabled while the handler runs, back after it. */
	altbase = malloc(65536);
	stack_t ad = {.ss_sp = altbase, .ss_size = 65536, .ss_flags = (int)(1U << 31)};
	int ar = sigaltstack(&ad, 0);
	set(SIGUSR2, disarmed, SA_ONSTACK);
	raise(SIGUSR2);
	stack_t after;
	sigaltstack(0, &after);
	printf("autodisarm: set %d, in handler flags %#x on it %d, after %#x\n", ar, disarmed_flags, on_alt, (unsigned)after.ss_flags);
	stack_t small = {.ss_sp = altbase, .ss_size = 1024, .ss_flags = 0};
	int sr = sigaltstack(&small, 0);
	printf("sigaltstack of 1 KiB: %d %s\n", sr, sr < 0 && errno == ENOMEM ? "ENOMEM" : "?");
	return 0;
}
