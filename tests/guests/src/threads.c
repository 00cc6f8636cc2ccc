/* POSIX threads under minemu: mutexes, condition variables, barriers,
 * read-write locks, thread-local storage, atomics, join values, detached
 * threads, robust mutexes whose owner dies, and the ways a process with
 * threads ends. The output never depends on scheduling: every line is a
 * total or a fact checked after the threads are joined.
 *
 *   threads            the tests, then exit status 0
 *   threads exitgroup  a thread calls exit(7) while main waits in
 *                      pthread_join and another thread spins: status 7
 *   threads segv       a thread faults while main waits: SIGSEGV (139)
 *   threads mainexit   main calls pthread_exit while a worker runs; the
 *                      worker prints and returns: status 0
 *   threads exitsleep  a thread calls exit(3) while main sleeps for 20
 *                      seconds: status 3, at once
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHECK(x)                                                          \
	do {                                                              \
		int e_ = (x);                                             \
		if (e_ != 0) {                                            \
			printf("FAIL %s: %s\n", #x, strerror(e_));        \
			exit(1);                                          \
		}                                                         \
	} while (0)

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* Mutex: 4 threads x 100,000 increments. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *mutex_worker(void *arg)
{
	for (int i = 0; i < 100000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return arg;
}

static void test_mutex(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, mutex_worker, NULL));
	for (int i = 0; i < 4; i++)
		CHECK(pthread_join(t[i], NULL));
	printf("mutex: %ld\n", counter);
}

/* Condition variable: a bounded queue, 2 producers, 2 consumers. */
#define QN 8
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;
static int q[QN], qhead, qlen;

static void *producer(void *arg)
{
	int base = (int)(long)arg;
	for (int i = 1; i <= 5000; i++) {
		pthread_mutex_lock(&qmu);
		while (qlen == QN)
			pthread_cond_wait(&notfull, &qmu);
		q[(qhead + qlen++) % QN] = base + i;
		pthread_cond_signal(&notempty);
		pthread_mutex_unlock(&qmu);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	long sum = 0;
	(void)arg;
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&qmu);
		while (qlen == 0)
			pthread_cond_wait(&notempty, &qmu);
		sum += q[qhead];
		qhead = (qhead + 1) % QN;
		qlen--;
		pthread_cond_signal(&notfull);
		pthread_mutex_unlock(&qmu);
	}
	return (void *)sum;
}

static void test_condvar(void)
{
	pthread_t p[2], c[2];
	CHECK(pthread_create(&p[0], NULL, producer, (void *)0L));
	CHECK(pthread_create(&p[1], NULL, producer, (void *)100000L));
	CHECK(pthread_create(&c[0], NULL, consumer, NULL));
	CHECK(pthread_create(&c[1], NULL, consumer, NULL));
	long total = 0;
	for (int i = 0; i < 2; i++) {
		void *r;
		CHECK(pthread_join(p[i], NULL));
		CHECK(pthread_join(c[i], &r));
		total += (long)r;
	}
	printf("condvar: %ld\n", total);
}

/* Barrier: 5 threads, 100 phases; each phase's slot is written by all. */
static pthread_barrier_t bar;
static int phase_count[100];

static void *barrier_worker(void *arg)
{
	int serial = 0;
	(void)arg;
	for (int i = 0; i < 100; i++) {
		__atomic_fetch_add(&phase_count[i], 1, __ATOMIC_SEQ_CST);
		int r = pthread_barrier_wait(&bar);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD)
			serial++;
		/* After the barrier every thread sees all 5 arrivals. */
		if (__atomic_load_n(&phase_count[i], __ATOMIC_SEQ_CST) != 5)
			return (void *)-1L;
	}
	return (void *)(long)serial;
}

static void test_barrier(void)
{
	pthread_t t[5];
	CHECK(pthread_barrier_init(&bar, NULL, 5));
	for (int i = 0; i < 5; i++)
		CHECK(pthread_create(&t[i], NULL, barrier_worker, NULL));
	long serials = 0, bad = 0;
	for (int i = 0; i < 5; i++) {
		void *r;
		CHECK(pthread_join(t[i], &r));
		if ((long)r < 0)
			bad++;
		else
			serials += (long)r;
	}
	printf("barrier: %ld serial, %ld bad\n", serials, bad);
}

/* Read-write lock: 2 writers add, 3 readers check an invariant. */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b; /* always equal under the lock */

static void *rw_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		pthread_rwlock_wrlock(&rw);
		rw_a++;
		rw_b++;
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

static void *rw_reader(void *arg)
{
	long bad = 0;
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		pthread_rwlock_rdlock(&rw);
		if (rw_a != rw_b)
			bad++;
		pthread_rwlock_unlock(&rw);
	}
	return (void *)bad;
}

static void test_rwlock(void)
{
	pthread_t w[2], r[3];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&w[i], NULL, rw_writer, NULL));
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&r[i], NULL, rw_reader, NULL));
	long bad = 0;
	for (int i = 0; i < 2; i++)
		CHECK(pthread_join(w[i], NULL));
	for (int i = 0; i < 3; i++) {
		void *v;
		CHECK(pthread_join(r[i], &v));
		bad += (long)v;
	}
	printf("rwlock: %ld %ld, %ld torn reads\n", rw_a, rw_b, bad);
}

/* Thread-local storage: each thread's copy is its own. */
static __thread long tls_value = 42;
static __thread char tls_buf[64];

static void *tls_worker(void *arg)
{
	long id = (long)arg;
	long before = tls_value; /* the initial value, not another thread's */
	tls_value = id * 1000;
	snprintf(tls_buf, sizeof tls_buf, "thread %ld", id);
	for (int i = 0; i < 10000; i++)
		tls_value++;
	long ok = before == 42 && tls_value == id * 1000 + 10000 && strcmp(tls_buf, "thread") > 0;
	return (void *)ok;
}

static void test_tls(void)
{
	pthread_t t[6];
	for (long i = 0; i < 6; i++)
		CHECK(pthread_create(&t[i], NULL, tls_worker, (void *)(i + 1)));
	long ok = 0;
	for (int i = 0; i < 6; i++) {
		void *v;
		CHECK(pthread_join(t[i], &v));
		ok += (long)v;
	}
	printf("tls: %ld of 6 threads kept their own, main's is %ld\n", ok, tls_value);
}

/* lock xadd: 8 threads x 1,000,000 increments, and a cmpxchg loop. */
static int xadd_total;
static long cas_total;

static void *xadd_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000000; i++)
		__atomic_fetch_add(&xadd_total, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 20000; i++) {
		long old = __atomic_load_n(&cas_total, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&cas_total, &old, old + 3, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
	}
	return NULL;
}

static void test_xadd(void)
{
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		CHECK(pthread_create(&t[i], NULL, xadd_worker, NULL));
	for (int i = 0; i < 8; i++)
		CHECK(pthread_join(t[i], NULL));
	printf("lock xadd: %d, cmpxchg: %ld\n", xadd_total, cas_total);
}

/* Join values, thread ids. */
static void *square(void *arg)
{
	long n = (long)arg;
	if (gettid_() == getpid())
		return (void *)-1L;
	return (void *)(n * n);
}

static void test_join(void)
{
	pthread_t t[10];
	for (long i = 0; i < 10; i++)
		CHECK(pthread_create(&t[i], NULL, square, (void *)i));
	printf("join:");
	for (int i = 0; i < 10; i++) {
		void *v;
		CHECK(pthread_join(t[i], &v));
		printf(" %ld", (long)v);
	}
	printf("\n");
	printf("main tid is pid: %s\n", gettid_() == getpid() ? "yes" : "no");
}

/* Detached threads. */
static sem_t done_sem;
static int detached_sum;

static void *detached_worker(void *arg)
{
	__atomic_fetch_add(&detached_sum, (int)(long)arg, __ATOMIC_SEQ_CST);
	sem_post(&done_sem);
	return NULL;
}

static void test_detached(void)
{
	pthread_attr_t a;
	CHECK(sem_init(&done_sem, 0, 0));
	CHECK(pthread_attr_init(&a));
	CHECK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
	for (long i = 1; i <= 20; i++) {
		pthread_t t;
		CHECK(pthread_create(&t, &a, detached_worker, (void *)i));
	}
	for (int i = 0; i < 20; i++)
		while (sem_wait(&done_sem) != 0)
			;
	printf("detached: %d\n", detached_sum);
}

/* A robust mutex whose owner exits holding it. */
static pthread_mutex_t robust;

static void *robust_owner(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return NULL; /* exits holding it */
}

static void test_robust(void)
{
	pthread_mutexattr_t a;
	pthread_t t;
	CHECK(pthread_mutexattr_init(&a));
	CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
	CHECK(pthread_mutex_init(&robust, &a));
	CHECK(pthread_create(&t, NULL, robust_owner, NULL));
	CHECK(pthread_join(t, NULL));
	int r = pthread_mutex_lock(&robust);
	printf("robust: lock after owner death: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
	if (r == EOWNERDEAD) {
		CHECK(pthread_mutex_consistent(&robust));
		CHECK(pthread_mutex_unlock(&robust));
		r = pthread_mutex_lock(&robust);
		printf("robust: after consistent: %s\n", r == 0 ? "locked" : strerror(r));
		pthread_mutex_unlock(&robust);
	}
}

/* A thread exits early (pthread_exit) while the others go on. */
static volatile int keep_going = 1;
static int spins_done;

static void *early_exit(void *arg)
{
	(void)arg;
	pthread_exit((void *)123L);
}

static void *spinner(void *arg)
{
	long n = 0;
	(void)arg;
	while (__atomic_load_n(&keep_going, __ATOMIC_SEQ_CST))
		n++;
	__atomic_fetch_add(&spins_done, 1, __ATOMIC_SEQ_CST);
	return (void *)(long)(n > 0);
}

static void test_early_exit(void)
{
	pthread_t s[2], e;
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&s[i], NULL, spinner, NULL));
	CHECK(pthread_create(&e, NULL, early_exit, NULL));
	void *v;
	CHECK(pthread_join(e, &v));
	__atomic_store_n(&keep_going, 0, __ATOMIC_SEQ_CST);
	long spun = 0;
	for (int i = 0; i < 2; i++) {
		void *r;
		CHECK(pthread_join(s[i], &r));
		spun += (long)r;
	}
	printf("early exit: %ld, %d spinners finished\n", (long)v, spins_done);
}

/* /proc/self/task lists the process's threads: main and three more. */
static pthread_barrier_t task_bar;

static void *task_waiter(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&task_bar); /* all started */
	pthread_barrier_wait(&task_bar); /* main has counted */
	return NULL;
}

static int count_tasks(int *has_self)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char me[32];
	int n = 0;
	if (d == NULL)
		return -1;
	snprintf(me, sizeof me, "%d", (int)gettid_());
	*has_self = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (strcmp(de->d_name, me) == 0)
			*has_self = 1;
	}
	closedir(d);
	return n;
}

static void test_task_dir(void)
{
	pthread_t t[3];
	int self = 0;
	CHECK(pthread_barrier_init(&task_bar, NULL, 4));
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&t[i], NULL, task_waiter, NULL));
	pthread_barrier_wait(&task_bar);
	int n = count_tasks(&self);
	pthread_barrier_wait(&task_bar);
	for (int i = 0; i < 3; i++)
		CHECK(pthread_join(t[i], NULL));
	printf("/proc/self/task: %d tasks, main among them: %s\n", n, self ? "yes" : "no");
}

/* Modes that end the process from a thread. */
static pthread_mutex_t never_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *blocked_forever(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&never_mu);
	for (;;)
		pthread_cond_wait(&never, &never_mu);
	return NULL;
}

static void *spin_forever(void *arg)
{
	(void)arg;
	for (;;)
		__atomic_fetch_add(&spins_done, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *exit_seven(void *arg)
{
	(void)arg;
	usleep(20000);
	printf("calling exit(7) from a thread\n");
	fflush(stdout);
	exit(7);
}

static void *fault(void *arg)
{
	(void)arg;
	usleep(20000);
	printf("faulting in a thread\n");
	fflush(stdout);
	*(volatile int *)(long)arg = 1;
	return NULL;
}

static void *exit_three(void *arg)
{
	(void)arg;
	usleep(20000);
	printf("calling exit(3) from a thread while main sleeps\n");
	fflush(stdout);
	exit(3);
}

static void *late_worker(void *arg)
{
	(void)arg;
	usleep(50000);
	printf("worker done after main's exit\n");
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		pthread_t b, s, x;
		if (strcmp(argv[1], "mainexit") == 0) {
			CHECK(pthread_create(&x, NULL, late_worker, NULL));
			printf("main calls pthread_exit\n");
			pthread_exit(NULL);
		}
		if (strcmp(argv[1], "exitsleep") == 0) {
			CHECK(pthread_create(&x, NULL, exit_three, NULL));
			sleep(20);
			printf("not reached\n");
			return 1;
		}
		CHECK(pthread_create(&b, NULL, blocked_forever, NULL));
		CHECK(pthread_create(&s, NULL, spin_forever, NULL));
		if (strcmp(argv[1], "exitgroup") == 0)
			CHECK(pthread_create(&x, NULL, exit_seven, NULL));
		else
			CHECK(pthread_create(&x, NULL, fault, NULL));
		pthread_join(b, NULL);
		printf("not reached\n");
		return 1;
	}
	test_mutex();
	test_condvar();
	test_barrier();
	test_rwlock();
	test_tls();
	test_xadd();
	test_join();
	test_detached();
	test_robust();
	test_early_exit();
	test_task_dir();
	return 0;
}
