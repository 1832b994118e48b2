#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int wl_getppid(const char *comm, unsigned n)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0) < 0)
			_exit(1);
		for (unsigned i = 0; i < n; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	return reap(pid);
}

int wl_errors(const char *comm, unsigned n)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0) < 0)
			_exit(1);
		for (unsigned i = 0; i < n; i++)
			if (syscall(SYS_flock, -1, LOCK_SH) != -1 || errno != EBADF)
				_exit(1);
		_exit(0);
	}
	return reap(pid);
}

static int listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

int wl_tcp(unsigned m, uint16_t *port)
{
	uint16_t p;
	int lfd = listener(&p);

	if (lfd < 0)
		return -1;
	if (port)
		*port = p;
	for (unsigned i = 0; i < m; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons(p),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s;
		char b = 'x';

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0) {
			if (c >= 0)
				close(c);
			close(lfd);
			return -1;
		}
		s = accept(lfd, NULL, NULL);
		if (s < 0 || write(c, &b, 1) != 1 || read(s, &b, 1) != 1) {
			close(c);
			if (s >= 0)
				close(s);
			close(lfd);
			return -1;
		}
		close(c);
		close(s);
	}
	close(lfd);
	return 0;
}

int wl_tcp_refused(void)
{
	uint16_t p;
	int lfd = listener(&p), c;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	if (lfd < 0)
		return -1;
	close(lfd); /* the port is now closed: a SYN to it gets a RST */
	a.sin_port = htons(p);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -1;
	int rc = connect(c, (struct sockaddr *)&a, sizeof(a));
	int saved = errno;
	close(c);
	return rc < 0 && saved == ECONNREFUSED ? 0 : -1;
}

int wl_syn_retransmits(unsigned n, unsigned hold_ms, uint64_t *retrans)
{
	uint16_t p;
	int lfd = listener(&p), rc = 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int *fds = calloc(n, sizeof(*fds));
	struct timespec hold = {.tv_sec = hold_ms / 1000, .tv_nsec = hold_ms % 1000 * 1000000L};
	unsigned k = 0;

	*retrans = 0;
	/* a second listen() on a listening socket only sets its backlog */
	if (lfd < 0 || !fds || listen(lfd, 0) < 0) {
		rc = -1;
		goto out;
	}
	a.sin_port = htons(p);
	for (; k < n; k++) {
		fds[k] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fds[k] < 0) {
			rc = -1;
			break;
		}
		if (connect(fds[k], (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
			rc = -1;
			k++;
			break;
		}
	}
	while (rc == 0 && nanosleep(&hold, &hold) < 0 && errno == EINTR)
		;
	for (unsigned i = 0; i < k; i++) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
			*retrans += ti.tcpi_total_retrans;
		else
			rc = -1;
		close(fds[i]);
	}
out:
	free(fds);
	if (lfd >= 0)
		close(lfd);
	return rc;
}

int wl_pingpong(unsigned k)
{
	int ab[2], ba[2];
	pid_t pid;
	char b = 0;

	if (pipe(ab) < 0 || pipe(ba) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (unsigned i = 0; i < k; i++)
			if (read(ab[0], &b, 1) != 1 || write(ba[1], &b, 1) != 1)
				_exit(1);
		_exit(0);
	}
	for (unsigned i = 0; i < k; i++)
		if (write(ab[1], &b, 1) != 1 || read(ba[0], &b, 1) != 1) {
			kill(pid, SIGKILL);
			break;
		}
	close(ab[0]);
	close(ab[1]);
	close(ba[0]);
	close(ba[1]);
	return reap(pid);
}

int wl_forks(unsigned f)
{
	for (unsigned i = 0; i < f; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0)
			_exit(0);
		if (reap(pid) < 0)
			return -1;
	}
	return 0;
}

static pthread_t spin_main;

static void *spin(void *arg)
{
	uint64_t until_ns = (uint64_t)(uintptr_t)arg * 1000000u;
	struct timespec ts;
	volatile uint64_t x = 0;

	/* the extra threads have a name of their own, the process's rows
	 * must not take it */
	if (!pthread_equal(pthread_self(), spin_main))
		prctl(PR_SET_NAME, "ebs-spin");
	do {
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
		if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
			return NULL;
	} while ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec < until_ns);
	return NULL;
}

#define SPIN_THREADS_MAX 16

int wl_spin(unsigned ms, unsigned threads)
{
	pthread_t t[SPIN_THREADS_MAX];
	unsigned n = 0;
	int rc = 0;

	if (threads < 1 || threads > SPIN_THREADS_MAX)
		return -1;
	spin_main = pthread_self();
	for (; n + 1 < threads; n++)
		if (pthread_create(&t[n], NULL, spin, (void *)(uintptr_t)ms) != 0) {
			rc = -1;
			break;
		}
	spin((void *)(uintptr_t)ms);
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return rc;
}

int wl_pages(unsigned mib, unsigned reps)
{
	size_t len = (size_t)mib << 20;
	long pg = sysconf(_SC_PAGESIZE);

	if (pg <= 0)
		return -1;
	for (unsigned r = 0; r < reps; r++) {
		volatile unsigned char *p =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -1;
		for (size_t off = 0; off < len; off += (size_t)pg)
			p[off] = 1;
		if (munmap((void *)p, len) < 0)
			return -1;
	}
	return 0;
}

static uint64_t elapsed_ns(const struct timespec *t0, const struct timespec *t1)
{
	return (uint64_t)(t1->tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)t1->tv_nsec -
	       (uint64_t)t0->tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define NULL_CALLS 1001

int wl_sleeps(const char *comm, unsigned n, uint64_t lo_ns, uint64_t hi_ns, uint64_t *out_ns,
	      uint64_t *null_ns)
{
	size_t len = ((size_t)n + NULL_CALLS) * sizeof(uint64_t);
	uint64_t *shared =
		mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int rc;

	if (shared == MAP_FAILED)
		return -1;
	pid = fork();
	if (pid < 0) {
		munmap(shared, len);
		return -1;
	}
	if (pid == 0) {
		uint64_t x = 88172645463325252u; /* xorshift: the same delays every run */

		if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0) < 0)
			_exit(1);
		/* the default 50 µs slack would add its own spread to every sleep */
		if (prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0) < 0)
			_exit(1);
		for (unsigned i = 0; i < NULL_CALLS; i++) {
			struct timespec t0, t1;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			syscall(SYS_getppid);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			shared[n + i] = elapsed_ns(&t0, &t1);
		}
		for (unsigned i = 0; i < n; i++) {
			struct timespec t0, t1, d;
			uint64_t ns = lo_ns;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (hi_ns > lo_ns)
				ns += x % (hi_ns - lo_ns + 1);
			d.tv_sec = (time_t)(ns / 1000000000u);
			d.tv_nsec = (long)(ns % 1000000000u);
			/* clock_gettime is the vDSO: no system call of its own */
			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL) != 0)
				_exit(1);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			shared[i] = elapsed_ns(&t0, &t1);
		}
		_exit(0);
	}
	rc = reap(pid);
	if (rc == 0) {
		memcpy(out_ns, shared, (size_t)n * sizeof(uint64_t));
		qsort(shared + n, NULL_CALLS, sizeof(uint64_t), cmp_u64);
		*null_ns = shared[n + NULL_CALLS / 2];
	}
	munmap(shared, len);
	return rc;
}

/* System calls that, called with (-1, 0, 0, 0, 0, 0), fail at once or
 * only read: no signal sent, no memory, file or process changed. */
static const long harmless[] = {
#define H(n) SYS_##n,
	H(read) H(write) H(close) H(fstat) H(lseek) H(mmap) H(mprotect) H(munmap) H(rt_sigaction) H(
		rt_sigprocmask) H(ioctl) H(pread64) H(pwrite64) H(readv) H(writev) H(access) H(pipe)
		H(select) H(sched_yield) H(mremap) H(msync) H(mincore) H(madvise) H(dup) H(dup2) H(
			nanosleep) H(getpid) H(socket) H(connect) H(accept) H(sendto) H(recvfrom)
			H(shutdown) H(bind) H(listen) H(getsockname) H(getpeername) H(setsockopt) H(
				getsockopt) H(uname) H(fcntl) H(flock) H(fsync) H(fdatasync)
				H(truncate) H(ftruncate) H(getdents64) H(getcwd) H(chdir) H(fchdir) H(
					rename) H(mkdir) H(rmdir) H(link) H(unlink) H(symlink) H(readlink)
					H(chmod) H(fchmod) H(chown) H(fchown) H(gettimeofday) H(
						getrlimit) H(getrusage) H(sysinfo) H(times)
						H(getuid) H(getgid) H(geteuid) H(getegid) H(
							getppid) H(getpgrp) H(getgroups) H(getpgid)
							H(getsid) H(statfs) H(fstatfs) H(getpriority) H(
								sched_getparam) H(sched_getscheduler)
								H(sched_get_priority_max) H(
									sched_get_priority_min) H(gettid)
									H(futex) H(epoll_ctl) H(epoll_wait) H(
										openat) H(newfstatat)
										H(faccessat) H(dup3) H(
											pipe2) H(clock_gettime)
											H(clock_getres)
												H(statx)
#undef H
};

int wl_distinct_syscalls(const char *comm)
{
	const int n = (int)(sizeof(harmless) / sizeof(harmless[0]));
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* by system call: -I bpf makes <sched.h> the project's own */
		unsigned long mask[16] = {0};
		unsigned cpu = 0;

		if (syscall(SYS_getcpu, &cpu, NULL, NULL) < 0 || cpu >= 16 * 8 * sizeof(mask[0]))
			cpu = 0;
		mask[cpu / (8 * sizeof(mask[0]))] = 1UL << (cpu % (8 * sizeof(mask[0])));
		if (syscall(SYS_sched_setaffinity, 0, sizeof(mask), mask) < 0)
			_exit(1);
		if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0) < 0)
			_exit(1);
		for (int i = 0; i < n; i++)
			syscall(harmless[i], -1L, 0L, 0L, 0L, 0L, 0L);
		_exit(0);
	}
	return reap(pid) == 0 ? n : -1;
}
