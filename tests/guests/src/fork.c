/* Processes: fork, vfork, execve, wait4/waitpid/waitid, pipes between
 * parent and child, process groups. argv[1] picks the part; every line is
 * printed by one process at a time (the parent waits before it prints), so
 * the output does not depend on scheduling. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ENOEXEC: return "ENOEXEC";
	case ECHILD: return "ECHILD";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case 0: return "no error";
	}
	return "another errno";
}

static void report(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d%s\n", what, WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
	else
		printf("%s: status %#x\n", what, st);
}

static int wait_for(pid_t pid, const char *what)
{
	int st = 0;
	pid_t r = waitpid(pid, &st, 0);
	if (r != pid) {
		printf("%s: waitpid returned %d (errno %d)\n", what, (int)r, errno);
		return -1;
	}
	report(what, st);
	return st;
}

static int basic(void)
{
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		printf("fork failed: %d\n", errno);
		return 1;
	}
	if (pid == 0) {
		printf("child: own pid %s, parent is the forker %s\n", getpid() != parent ? "yes" : "no",
		       getppid() == parent ? "yes" : "no");
		fflush(stdout);
		_exit(7);
	}
	wait_for(pid, "child");
	/* No child is left. */
	int st;
	int r = waitpid(-1, &st, WNOHANG);
	printf("second waitpid: %d %s\n", r, errname(errno));
	return 0;
}

static int counter_global = 1;

static int memory(void)
{
	int *heap = malloc(1 << 20);
	for (int i = 0; i < (1 << 18); i++)
		heap[i] = i;
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int *private = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || private == MAP_FAILED || ro == MAP_FAILED) {
		printf("mmap failed\n");
		return 1;
	}
	ro[5] = 55;
	mprotect(ro, 4096, PROT_READ);
	*shared = 10;
	private[100] = 20;
#ifdef __GLIBC__
	char *brk0 = sbrk(0);
	char *grown = sbrk(8192);
#else
	/* musl's sbrk only reports the break. */
	static char grownbuf[8192];
	char *grown = grownbuf, *brk0 = (char *)sbrk(0) - 8192;
#endif
	grown[0] = 'b';
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		long long sum = 0;
		for (int i = 0; i < (1 << 18); i++)
			sum += heap[i];
		printf("child sees: global %d heap sum %lld shared %d private %d read-only %d brk byte %c break kept %s\n",
		       counter_global, sum, *shared, private[100], ro[5], grown[0], sbrk(0) == brk0 + 8192 ? "yes" : "no");
		counter_global = 2;
		heap[7] = -1;
		*shared = 11;
		private[100] = 21;
		grown[0] = 'c';
		/* The read-only page stays read-only in the child. */
		fflush(stdout);
		_exit(0);
	}
	wait_for(pid, "child");
	printf("parent sees: global %d heap[7] %d shared %d private %d brk byte %c\n", counter_global, heap[7], *shared,
	       private[100], grown[0]);
	return 0;
}

static int killed(void)
{
	/* No core files, natively or not: the status then says no core. */
	struct rlimit zero = {0, 0};
	setrlimit(RLIMIT_CORE, &zero);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		_exit(1);
	}
	wait_for(pid, "SIGTERM child");
	pid = fork();
	if (pid == 0) {
		*(volatile int *)0 = 1;
		_exit(1);
	}
	wait_for(pid, "SIGSEGV child");
	return 0;
}

static int pipes(void)
{
	int p[2], q[2];
	if (pipe(p) || pipe(q)) {
		printf("pipe failed\n");
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(q[1]);
		char buf[64];
		ssize_t n = read(q[0], buf, sizeof buf);
		char out[128];
		int m = snprintf(out, sizeof out, "child got %.*s", (int)n, buf);
		write(p[1], out, m);
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	write(q[1], "ping", 4);
	close(q[1]);
	char buf[128];
	ssize_t n, total = 0;
	while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	printf("parent read: %s\n", buf);
	wait_for(pid, "child");
	/* Close-on-exec descriptors are the child's until it execs. */
	int c[2];
	if (pipe2(c, O_CLOEXEC)) {
		printf("pipe2 failed\n");
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fl = fcntl(c[1], F_GETFD);
		char msg[64];
		int m = snprintf(msg, sizeof msg, "child's close-on-exec end: flags %d", fl);
		write(c[1], msg, m);
		_exit(0);
	}
	close(c[1]);
	total = 0;
	while ((n = read(c[0], buf + total, sizeof buf - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	printf("parent read: %s\n", buf);
	wait_for(pid, "child");
	return 0;
}

static int execs(const char *self)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {"renamed-argv0", "hello", "from exec", NULL};
		char *envp[] = {"ONLY=this", NULL};
		execve(self, argv, envp);
		printf("execve failed: %d\n", errno);
		_exit(127);
	}
	wait_for(pid, "exec'd child");
	const char *bad[] = {"/nonexistent/program", "/etc/passwd", "/", NULL};
	for (int i = 0; bad[i]; i++) {
		char *argv[] = {(char *)bad[i], NULL};
		errno = 0;
		execve(bad[i], argv, NULL);
		printf("execve %s: %s\n", bad[i], errname(errno));
	}
	/* A file that is executable but no program. */
	char path[64];
	snprintf(path, sizeof path, "/tmp/minemu-fork-noexec-%d", (int)getpid());
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	write(fd, "just text\n", 10);
	close(fd);
	char *argv[] = {path, NULL};
	execve(path, argv, NULL);
	printf("execve of a text file: %s\n", errname(errno));
	unlink(path);
	return 0;
}

static int printargs(int argc, char **argv)
{
	extern char **environ;
	/* The new program's descriptors are the kernel's: none of minemu's
	 * takes a number. */
	int fd = open("/dev/null", O_RDONLY);
	printf("exec'd: first open %d argc %d argv[0] %s", fd, argc, argv[0]);
	close(fd);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf(" env");
	for (char **e = environ; *e; e++)
		printf(" %s", *e);
	printf("\n");
	return 3;
}

static int script(const char *self)
{
	char real[4096];
	if (!realpath(self, real)) {
		printf("realpath failed\n");
		return 1;
	}
	char path[64];
	snprintf(path, sizeof path, "/tmp/minemu-fork-script-%d", (int)getpid());
	FILE *f = fopen(path, "w");
	fprintf(f, "#!%s interpmode\nthe rest is not read\n", real);
	fclose(f);
	chmod(path, 0755);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {path, "arg1", NULL};
		execve(path, argv, NULL);
		printf("execve of the script failed: %d\n", errno);
		_exit(127);
	}
	wait_for(pid, "script");
	unlink(path);
	return 0;
}

static int interp(int argc, char **argv)
{
	/* argv: interpreter, "interpmode", script path, arg1 */
	printf("interpreter: argc %d mode %s script is a /tmp file %s arg %s\n", argc, argv[1],
	       strncmp(argv[2], "/tmp/minemu-fork-script-", 24) == 0 ? "yes" : "no", argc > 3 ? argv[3] : "-");
	return 0;
}

static int waits(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(42);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, pid, &si, WEXITED) != 0) {
		printf("waitid failed: %d\n", errno);
		return 1;
	}
	printf("waitid: signo %s code %s pid matches %s status %d\n", si.si_signo == SIGCHLD ? "SIGCHLD" : "?",
	       si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_pid == pid ? "yes" : "no", si.si_status);
	pid = fork();
	if (pid == 0) {
		volatile unsigned long x = 0;
		for (unsigned long i = 0; i < 2000000; i++)
			x += i;
		_exit(5);
	}
	int st;
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	pid_t r = wait4(pid, &st, 0, &ru);
	printf("wait4: pid matches %s rusage times sane %s\n", r == pid ? "yes" : "no",
	       ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 ? "yes" : "no");
	report("wait4", st);
	printf("wait4 with bad options: %s\n", wait4(-1, &st, 0x00800000, NULL) < 0 ? errname(errno) : "ok");
	return 0;
}

static int vforks(void)
{
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0)
		_exit(3);
	wait_for(pid, "vfork child");
	return 0;
}

static int groups(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int r = setpgid(0, 0);
		printf("child: setpgid %d, own group %s\n", r, getpgid(0) == getpid() ? "yes" : "no");
		/* A group leader may not start a session (EPERM); its child may. */
		pid_t s = setsid();
		printf("child: setsid as a group leader: %s\n", s < 0 ? errname(errno) : "ok");
		fflush(stdout);
		pid_t g = fork();
		if (g == 0) {
			s = setsid();
			printf("grandchild: setsid %s, own session %s\n", s == getpid() ? "ok" : "failed",
			       getsid(0) == getpid() ? "yes" : "no");
			fflush(stdout);
			_exit(0);
		}
		wait_for(g, "grandchild");
		fflush(stdout);
		fflush(stdout);
		_exit(0);
	}
	wait_for(pid, "child");
	return 0;
}

static int spawns(const char *self)
{
	extern char **environ;
	pid_t pid;
	char *argv[] = {"spawned", "hello", NULL};
	int r = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, argv, environ);
	printf("posix_spawn of a missing program: %s\n", errname(r));
	fflush(stdout);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, self, &fa, NULL, argv, environ);
	printf("posix_spawn with stdout to /dev/null: %s\n", errname(r));
	fflush(stdout);
	if (r == 0)
		wait_for(pid, "spawned");
	r = posix_spawn(&pid, self, NULL, NULL, argv, environ);
	if (r == 0)
		wait_for(pid, "spawned");
	printf("parent's stdout still its own\n");
	return 0;
}

/* Another process's memory: a child's, through /proc/<pid>/mem and
 * process_vm_readv. Natively both work (a parent may trace its child);
 * under minemu the child is another minemu, whose memory holds minemu's, so
 * both are refused (tests/process_test.go checks it). */
static int peer(void)
{
	int p[2];
	if (pipe(p)) {
		printf("pipe failed\n");
		return 1;
	}
	static volatile int secret = 0x5ec7e7;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	int fd = open(path, O_RDONLY);
	int v = 0;
	if (fd < 0)
		printf("open child's mem: %s\n", errname(errno));
	else
		printf("open child's mem: ok, read %s\n", pread(fd, &v, sizeof v, (off_t)(unsigned long)&secret) == sizeof v && v == secret ? "the secret" : "something else");
	struct iovec l = {&v, sizeof v}, r = {(void *)&secret, sizeof v};
	v = 0;
	ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (n < 0)
		printf("process_vm_readv of the child: %s\n", errname(errno));
	else
		printf("process_vm_readv of the child: ok\n");
	close(p[1]);
	wait_for(pid, "child");
	return 0;
}

/* kill(0, sig) reaches the whole process group: the caller (here ignoring
 * it) and its child, which dies of it. The group is made first, so that
 * nothing outside the test is signalled. */
static int killpg0(void)
{
	if (setpgid(0, 0) != 0) {
		printf("setpgid failed\n");
		return 1;
	}
	signal(SIGUSR1, SIG_IGN);
	int p[2];
	if (pipe(p)) {
		printf("pipe failed\n");
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGUSR1, SIG_DFL);
		write(p[1], "r", 1);
		for (;;)
			pause();
	}
	char c;
	read(p[0], &c, 1);
	printf("kill(0, SIGUSR1): %d\n", kill(0, SIGUSR1));
	wait_for(pid, "child");
	printf("kill(-own group, SIGUSR1): %d\n", kill(-getpgrp(), SIGUSR1));
	printf("the caller ignored both\n");
	return 0;
}

static int many(void)
{
	int ok = 0;
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(i);
		int st;
		if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == i)
			ok++;
	}
	printf("20 forks: %d ok\n", ok);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	const char *mode = argc > 1 ? argv[1] : "basic";
	int r = 0;
	if (!strcmp(mode, "basic"))
		r = basic();
	else if (!strcmp(mode, "memory"))
		r = memory();
	else if (!strcmp(mode, "killed"))
		r = killed();
	else if (!strcmp(mode, "pipes"))
		r = pipes();
	else if (!strcmp(mode, "exec"))
		r = execs(argv[0]);
	else if (!strcmp(mode, "hello"))
		r = printargs(argc, argv);
	else if (!strcmp(mode, "script"))
		r = script(argv[0]);
	else if (!strcmp(mode, "interpmode"))
		r = interp(argc, argv);
	else if (!strcmp(mode, "waits"))
		r = waits();
	else if (!strcmp(mode, "vfork"))
		r = vforks();
	else if (!strcmp(mode, "groups"))
		r = groups();
	else if (!strcmp(mode, "spawn"))
		r = spawns(argv[0]);
	else if (!strcmp(mode, "peer"))
		r = peer();
	else if (!strcmp(mode, "killpg"))
		r = killpg0();
	else if (!strcmp(mode, "many"))
		r = many();
	else
		printf("unknown mode %s\n", mode);
	fflush(stdout);
	return r;
}
