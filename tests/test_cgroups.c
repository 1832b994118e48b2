/* Per-cgroup rows against the real kernel: the test makes its own child
 * cgroups under the cgroup2 mount of /proc/mounts, moves its own workload
 * processes into them (cgroup.procs) and asserts the numbers those
 * workloads must produce in their rows, and nowhere else.  The cgroups are
 * removed at the end of each test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <mntent.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "module.h"

static char mount_dir[256];
static char base[512]; /* <mount>/ebs-cgt-<pid> */
static char base_rel[64];

/* ---- cgroups of our own --------------------------------------------------- */

static bool find_mount(void)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *me;

	if (!f)
		return false;
	while ((me = getmntent(f)))
		if (strcmp(me->mnt_type, "cgroup2") == 0) {
			snprintf(mount_dir, sizeof(mount_dir), "%s", me->mnt_dir);
			break;
		}
	endmntent(f);
	return mount_dir[0] != '\0';
}

static void cg_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", base, rel);
}

static void cg_mkdir(const char *rel)
{
	char p[600];

	cg_path(p, sizeof(p), rel);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
}

static void cg_rmdir(const char *rel)
{
	char p[600];

	cg_path(p, sizeof(p), rel);
	/* the last task of a cgroup may still be leaving after its reap */
	for (int i = 0; i < 200 && rmdir(p) < 0 && errno == EBUSY; i++)
		usleep(10000);
}

static uint64_t cg_id(const char *rel)
{
	char p[600];
	struct stat st;

	cg_path(p, sizeof(p), rel);
	if (stat(p, &st) < 0)
		fail_msg("stat %s: %s", p, strerror(errno));
	return (uint64_t)st.st_ino;
}

/* ---- gated children: forked, moved into a cgroup, then let go ------------ */

enum job { JOB_GETPPID, JOB_HOG, JOB_SERVE, JOB_CONNECT, JOB_MOVE_SELF, JOB_SPIN };

struct child {
	pid_t pid;
	int gate; /* write end: one byte lets it run */
};

static unsigned job_n;
static uint16_t job_port;
static int job_lfd = -1;
static unsigned job_ms, job_bytes;
static int job_report = -1; /* JOB_SERVE writes its port here */
static char job_procs[640]; /* JOB_MOVE_SELF: the cgroup.procs it writes */
/* JOB_SPIN: shared with the parent; getppid until moved is set, counting
 * them in before, then job_n more */
static struct spin {
	volatile unsigned long before;
	volatile int moved;
} * job_spin;

static uint64_t job_sum; /* TCP_INFO bytes, reported at the end */

static struct tcp_info tcp_info_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		_exit(8);
	return ti;
}

static void run_job(enum job j)
{
	char buf[4096];

	switch (j) {
	case JOB_GETPPID:
		for (unsigned i = 0; i < job_n; i++)
			syscall(SYS_getppid);
		break;
	case JOB_MOVE_SELF: {
		/* raw calls only: getpid and openat here, write and close in
		 * the new cgroup, then getppid without a pause that would
		 * switch out */
		char pid[32];
		long fd = syscall(SYS_openat, AT_FDCWD, job_procs, O_WRONLY | O_CLOEXEC);

		snprintf(pid, sizeof(pid), "%ld", syscall(SYS_getpid));
		if (fd < 0 || syscall(SYS_write, fd, pid, strlen(pid)) != (long)strlen(pid))
			_exit(9);
		syscall(SYS_close, fd);
		for (unsigned i = 0; i < job_n; i++)
			syscall(SYS_getppid);
		break;
	}
	case JOB_SPIN:
		while (!job_spin->moved) {
			syscall(SYS_getppid);
			job_spin->before++;
		}
		for (unsigned i = 0; i < job_n; i++)
			syscall(SYS_getppid);
		break;
	case JOB_HOG: {
		struct timespec t0, t;
		volatile uint64_t x = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			for (int i = 0; i < 100000; i++)
				x += (uint64_t)i;
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 <
			 (long)job_ms);
		break;
	}
	case JOB_SERVE: {
		/* made here, after the move: a socket belongs to the cgroup of
		 * the task that creates it */
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t alen = sizeof(a);

		job_lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (job_lfd < 0 || bind(job_lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(job_lfd, 64) < 0 ||
		    getsockname(job_lfd, (struct sockaddr *)&a, &alen) < 0)
			_exit(5);
		job_port = ntohs(a.sin_port);
		if (write(job_report, &job_port, sizeof(job_port)) != sizeof(job_port))
			_exit(6);
		for (unsigned i = 0; i < job_n; i++) {
			int s = accept(job_lfd, NULL, NULL);
			ssize_t r;

			if (s < 0)
				_exit(2);
			while ((r = read(s, buf, sizeof(buf))) > 0)
				;
			job_sum += tcp_info_of(s).tcpi_bytes_received;
			close(s);
		}
		if (write(job_report, &job_sum, sizeof(job_sum)) != sizeof(job_sum))
			_exit(7);
		break;
	}
	case JOB_CONNECT:
		for (unsigned i = 0; i < job_n; i++) {
			struct sockaddr_in a = {.sin_family = AF_INET,
						.sin_port = htons(job_port),
						.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
			int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			memset(buf, 'x', sizeof(buf));
			if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
				_exit(3);
			if (write(c, buf, job_bytes) != (ssize_t)job_bytes)
				_exit(4);
			shutdown(c, SHUT_WR);
			while (read(c, buf, sizeof(buf)) > 0)
				;
			/* the peer's FIN is in: everything we sent is acked */
			job_sum += tcp_info_of(c).tcpi_bytes_acked;
			close(c);
		}
		if (write(job_report, &job_sum, sizeof(job_sum)) != sizeof(job_sum))
			_exit(7);
		break;
	}
}

/* Until pid sleeps in read() (its gate): moved before that, its return
 * from fork and the libc work after it would count in the new cgroup. */
static void wait_in_read(pid_t pid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (int i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "r");
		long nr = -2;

		if (f) {
			if (fgets(buf, sizeof(buf), f))
				nr = strtol(buf, NULL, 10);
			fclose(f);
		}
		if (nr == SYS_read && strncmp(buf, "running", 7) != 0)
			return;
		usleep(1000);
	}
	fail_msg("child %d never blocked in read()", (int)pid);
}

/* isolated (open_cg): only the syscalls family, and only the calls of
 * processes named JOB_COMM, which start() names its children: the
 * tables hold the test's cgroups and its own, and nothing of the host */
#define JOB_COMM "ebscgjob"
static bool isolated;
static char self_comm[16];
static char pin_root[128]; /* open_cg's pin_path; "": private programs */

/* Forks a child that waits at its gate, moves it into cgroup rel, opens
 * the gate.  Its one system call after the move is the read() that
 * returns from the gate; then only the job's, then exit_group (which
 * never returns, so it is never counted). */
static struct child start(const char *rel, enum job j)
{
	int p[2];
	struct child c;
	char path[640], pid[32];
	int fd;

	if (pipe(p) < 0)
		fail_msg("pipe: %s", strerror(errno));
	/* isolated: the child is born with the comm process_filter lets
	 * through; the parent's prctl and fork returns count, in the
	 * parent's own cgroup's row (it has the table's first row) */
	if (isolated && prctl(PR_SET_NAME, JOB_COMM) < 0)
		fail_msg("prctl: %s", strerror(errno));
	c.pid = fork();
	if (isolated && c.pid != 0)
		prctl(PR_SET_NAME, self_comm);
	if (c.pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (c.pid == 0) {
		char b;

		close(p[1]);
		if (syscall(SYS_read, p[0], &b, 1) != 1)
			syscall(SYS_exit_group, 1);
		run_job(j);
		syscall(SYS_exit_group, 0);
	}
	close(p[0]);
	wait_in_read(c.pid);
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", base, rel);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(pid, sizeof(pid), "%d", (int)c.pid);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		fail_msg("moving %d into %s: %s", (int)c.pid, path, strerror(errno));
	close(fd);
	c.gate = p[1];
	return c;
}

static void go(struct child *c)
{
	if (write(c->gate, "g", 1) != 1)
		fail_msg("gate: %s", strerror(errno));
	close(c->gate);
}

/* Waits for the child's exit; with cpu_ns, its utime + stime from
 * /proc/PID/stat, read while it is a zombie (final, not yet reaped). */
static void finish(struct child *c, uint64_t *cpu_ns)
{
	siginfo_t si;
	int st;

	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOWAIT) < 0)
		fail_msg("waitid: %s", strerror(errno));
	if (cpu_ns) {
		char path[64], buf[1024], *p;
		unsigned long ut = 0, stime = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->pid);
		f = fopen(path, "r");
		if (!f || !fgets(buf, sizeof(buf), f))
			fail_msg("reading %s", path);
		fclose(f);
		p = strrchr(buf, ')');
		/* fields 14 and 15: after ") S" come fields 4..13 */
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
				 &stime) != 2)
			fail_msg("parsing %s", path);
		*cpu_ns = (uint64_t)(ut + stime) * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK));
	}
	if (waitpid(c->pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child %d failed (status %d)", (int)c->pid, st);
}

/* ---- the library ---------------------------------------------------------- */

static const char *filter; /* cgroup_filter's one glob, or NULL */

static struct ebs *open_how(unsigned max_rows, bool probe)
{
	struct ebs_config cfg;
	char err[EBS_ERR_LEN];
	struct ebs *e;

	ebs_config_init(&cfg);
	snprintf(cfg.pin_path, sizeof(cfg.pin_path), "%s", pin_root);
	cfg.cgroups = true;
	cfg.cgroup_depth = 2;
	if (max_rows)
		cfg.max_cgroups = max_rows;
	if (filter && ebs_config_set(&cfg, "cgroup_filter", filter, err, sizeof(err)) < 0)
		fail_msg("cgroup_filter: %s", err);
	if (isolated) {
		cfg.collect[EBS_FAM_TCP] = cfg.collect[EBS_FAM_SCHED] = false;
		cfg.collect[EBS_FAM_MEMORY] = false;
		if (ebs_config_set(&cfg, "process_filter", JOB_COMM, err, sizeof(err)) < 0)
			fail_msg("process_filter: %s", err);
	}
	e = probe ? ebs_open_probe(&cfg, err, sizeof(err)) : ebs_open(&cfg, err, sizeof(err));
	if (!e)
		fail_msg("ebs_open: %s", err);
	return e;
}

static struct ebs *open_cg(unsigned max_rows)
{
	return open_how(max_rows, false);
}

static const struct ebs_snapshot *snap(struct ebs *e)
{
	char err[EBS_ERR_LEN];
	const struct ebs_snapshot *s = ebs_snapshot(e, err, sizeof(err));

	if (!s)
		fail_msg("ebs_snapshot: %s", err);
	if (s->cg.status != EBS_ST_OK)
		fail_msg("cgroup view %s: %s", ebs_status_name(s->cg.status), s->cg.reason);
	return s;
}

static const struct ebs_cgroup_row *row(const struct ebs_snapshot *s, uint64_t id)
{
	for (uint32_t i = 0; i < s->n_cgroups; i++)
		if (s->cgroups[i].id == id)
			return &s->cgroups[i];
	return NULL;
}

static void need_running(const struct ebs_snapshot *s, enum ebs_family f)
{
	if (s->modules[f].status != EBS_ST_OK && s->modules[f].status != EBS_ST_DEGRADED)
		fail_msg("module %s is %s: %s", s->modules[f].name,
			 ebs_status_name(s->modules[f].status), s->modules[f].reason);
}

static int setup(void **state)
{
	(void)state;
	isolated = false;
	pin_root[0] = '\0';
	snprintf(base_rel, sizeof(base_rel), "ebs-cgt-%d", (int)getpid());
	snprintf(base, sizeof(base), "%s/%s", mount_dir, base_rel);
	if (mkdir(base, 0755) < 0)
		fail_msg("mkdir %s: %s", base, strerror(errno));
	return 0;
}

static int teardown(void **state)
{
	static const char *const dirs[] = {"a/c/d", "a/c", "a",	 "b",  "r0", "r1", "r2",
					   "r3",    "r4",  "r5", "r6", "r7", "r8", "r9"};

	(void)state;
	if (pin_root[0]) {
		char err[EBS_ERR_LEN];

		ebs_unload(pin_root, err, sizeof(err));
		pin_root[0] = '\0';
	}
	isolated = false;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		cg_rmdir(dirs[i]);
	/* test_recycle's */
	for (int i = 0; i < 30; i++) {
		char rel[16];

		snprintf(rel, sizeof(rel), "g%d", i);
		cg_rmdir(rel);
		snprintf(rel, sizeof(rel), "k%d", i);
		cg_rmdir(rel);
		snprintf(rel, sizeof(rel), "p%d", i);
		cg_rmdir(rel);
	}
	rmdir(base);
	return 0;
}

/* ---- tests ---------------------------------------------------------------- */

/* N getppid calls in a, 2N in b: each row counts its own, plus the one
 * read() that opened the gate. */
static void test_syscalls(void **state)
{
	const unsigned n = 5000;
	struct ebs *e = open_cg(0);
	const struct ebs_snapshot *s;
	const struct ebs_cgroup_row *ra, *rb;
	struct child a, b;
	char name[128];

	(void)state;
	cg_mkdir("a");
	cg_mkdir("b");
	job_n = n;
	a = start("a", JOB_GETPPID);
	go(&a);
	finish(&a, NULL);
	job_n = 2 * n;
	b = start("b", JOB_GETPPID);
	go(&b);
	finish(&b, NULL);
	s = snap(e);
	need_running(s, EBS_FAM_SYSCALLS);
	ra = row(s, cg_id("a"));
	rb = row(s, cg_id("b"));
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(ra->sys_calls, n + 1);
	assert_int_equal(rb->sys_calls, 2 * n + 1);
	assert_int_equal(ra->sys_errors, 0);
	snprintf(name, sizeof(name), "%s/a", base_rel);
	assert_string_equal(ra->name, name);
	assert_false(ra->gone);
	assert_int_equal(ra->index, (uint32_t)cg_id("a"));
	ebs_close(e);
}

/* A task that moves itself and goes on with system calls without a pause:
 * the row it cached in a before the move must not keep counting in a.  a: the gate's read(), the openat of b's
 * cgroup.procs and getpid; b: the write() that moved it (it returns in b), the
 * close() and the n getppid calls. */
static void test_move_self(void **state)
{
	const unsigned n = 20000;
	struct ebs *e = open_cg(0);
	const struct ebs_snapshot *s;
	const struct ebs_cgroup_row *ra, *rb;
	struct child c;

	(void)state;
	cg_mkdir("a");
	cg_mkdir("b");
	job_n = n;
	snprintf(job_procs, sizeof(job_procs), "%s/b/cgroup.procs", base);
	c = start("a", JOB_MOVE_SELF);
	go(&c);
	finish(&c, NULL);
	s = snap(e);
	need_running(s, EBS_FAM_SYSCALLS);
	ra = row(s, cg_id("a"));
	rb = row(s, cg_id("b"));
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(ra->sys_calls, 3);
	assert_int_equal(rb->sys_calls, n + 2);
	assert_int_equal(ra->sys_errors + rb->sys_errors, 0);
	ebs_close(e);
}

/* A task moved by another while it runs on the other CPU, never leaving
 * it: once the mover's write() returned, all its calls are in b.  The one
 * or two calls that race with the move may land on either side. */
static void test_move_running(void **state)
{
	const unsigned n = 20000;
	struct ebs *e = open_cg(0);
	const struct ebs_snapshot *s;
	const struct ebs_cgroup_row *ra, *rb;
	unsigned long all = 0, cpu0 = 0, cpu1 = 0, before;
	char path[640], pid[32];
	struct child c;
	int fd;

	(void)state;
	/* the first two CPUs this process may use (of the first 64) */
	if (syscall(SYS_sched_getaffinity, 0, sizeof(all), &all) < 0)
		fail_msg("sched_getaffinity: %s", strerror(errno));
	cpu0 = all & -all;
	cpu1 = (all & ~cpu0) & -(all & ~cpu0);
	if (!cpu0 || !cpu1)
		skip();
	job_spin = mmap(NULL, sizeof(*job_spin), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);
	assert_true(job_spin != MAP_FAILED);
	job_spin->before = 0;
	job_spin->moved = 0;
	cg_mkdir("a");
	cg_mkdir("b");
	job_n = n;
	c = start("a", JOB_SPIN);
	if (syscall(SYS_sched_setaffinity, c.pid, sizeof(cpu1), &cpu1) < 0 ||
	    syscall(SYS_sched_setaffinity, 0, sizeof(cpu0), &cpu0) < 0)
		fail_msg("sched_setaffinity: %s", strerror(errno));
	go(&c);
	while (job_spin->before < 1000)
		;
	snprintf(path, sizeof(path), "%s/b/cgroup.procs", base);
	snprintf(pid, sizeof(pid), "%d", (int)c.pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		fail_msg("moving %d into %s: %s", (int)c.pid, path, strerror(errno));
	close(fd);
	job_spin->moved = 1;
	finish(&c, NULL);
	syscall(SYS_sched_setaffinity, 0, sizeof(all), &all);
	before = job_spin->before;
	munmap((void *)job_spin, sizeof(*job_spin));
	s = snap(e);
	need_running(s, EBS_FAM_SYSCALLS);
	ra = row(s, cg_id("a"));
	rb = row(s, cg_id("b"));
	assert_non_null(ra);
	assert_non_null(rb);
	print_message("spun %lu calls in a before the move was seen, %u after; rows a %" PRIu64
		      " b %" PRIu64 "\n",
		      before, n, ra->sys_calls, rb->sys_calls);
	/* the gate's read(), the spin, then n */
	assert_int_equal(ra->sys_calls + rb->sys_calls, 1 + before + n);
	assert_true(rb->sys_calls >= n);
	assert_true(ra->sys_calls >= 1000);
	ebs_close(e);
}

/* depth 2: a task in a/c is counted in a's row. */
static void test_depth_folds(void **state)
{
	const unsigned n = 3000;
	struct ebs *e = open_cg(0);
	const struct ebs_snapshot *s;
	struct child c;
	uint64_t a_id;

	(void)state;
	cg_mkdir("a");
	cg_mkdir("a/c");
	a_id = cg_id("a");
	job_n = n;
	c = start("a/c", JOB_GETPPID);
	go(&c);
	finish(&c, NULL);
	s = snap(e);
	assert_non_null(row(s, a_id));
	assert_int_equal(row(s, a_id)->sys_calls, n + 1);
	assert_null(row(s, cg_id("a/c")));
	ebs_close(e);
}

/* M loopback connects from a to a listener in b: M active opens and the
 * client's bytes out in a, M passive opens and those bytes in in b (an
 * accepted socket belongs to its listener's cgroup, whichever task runs
 * the softirq that completes the handshake). */
static void test_tcp(void **state)
{
	const unsigned m = 20, bytes = 1000;
	struct ebs *e;
	const struct ebs_snapshot *s;
	const struct ebs_cgroup_row *ra, *rb;
	struct child srv, cli;
	uint64_t acked, received;
	int rep[2], srv_rep;

	(void)state;
	cg_mkdir("a");
	cg_mkdir("b");
	e = open_cg(0);
	job_n = m;
	job_bytes = bytes;
	if (pipe(rep) < 0)
		fail_msg("pipe: %s", strerror(errno));
	job_report = rep[1];
	srv = start("b", JOB_SERVE);
	go(&srv);
	close(rep[1]);
	job_report = -1;
	if (read(rep[0], &job_port, sizeof(job_port)) != sizeof(job_port))
		fail_msg("the server did not report its port");
	srv_rep = rep[0];
	if (pipe(rep) < 0)
		fail_msg("pipe: %s", strerror(errno));
	job_report = rep[1];
	cli = start("a", JOB_CONNECT);
	go(&cli);
	close(rep[1]);
	job_report = -1;
	if (read(rep[0], &acked, sizeof(acked)) != sizeof(acked))
		fail_msg("the client did not report its bytes");
	close(rep[0]);
	if (read(srv_rep, &received, sizeof(received)) != sizeof(received))
		fail_msg("the server did not report its bytes");
	close(srv_rep);
	finish(&cli, NULL);
	finish(&srv, NULL);
	s = snap(e);
	need_running(s, EBS_FAM_TCP);
	ra = row(s, cg_id("a"));
	rb = row(s, cg_id("b"));
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(ra->tcp_active_opens, m);
	assert_int_equal(ra->tcp_passive_opens, 0);
	assert_int_equal(rb->tcp_passive_opens, m);
	assert_int_equal(rb->tcp_active_opens, 0);
	/* the kernel's own counts (TCP_INFO), which the byte counters
	 * read: bytes_acked also counts the SYN and the FIN */
	print_message("client bytes_acked %" PRIu64 ", server bytes_received %" PRIu64 "\n", acked,
		      received);
	assert_true(received >= (uint64_t)m * bytes);
	assert_int_equal(ra->tcp_bytes_out, acked);
	assert_int_equal(rb->tcp_bytes_in, received);
	ebs_close(e);
}

/* All CPUs' steal time so far (/proc/stat), in ns; 0 when unknown. */
static uint64_t steal_ns(void)
{
	unsigned long long v[8] = {0};
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n = 0;

	if (f) {
		n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]);
		fclose(f);
	}
	return n == 8 && hz > 0 ? (uint64_t)(v[7] * (1000000000ULL / (unsigned long long)hz)) : 0;
}

/* Two CPU hogs in a: a's on-CPU time within 5 % of their utime + stime,
 * and their run-queue waits (two hogs, two CPUs, other work) in a's row.
 * The programs time a slice by the clock, utime + stime leave out the
 * hypervisor's steal (CONFIG_PARAVIRT_TIME_ACCOUNTING): the upper bound
 * allows the steal /proc/stat counts meanwhile. */
static void test_oncpu(void **state)
{
	struct ebs *e;
	const struct ebs_snapshot *s;
	const struct ebs_cgroup_row *r0, *r1;
	struct child h[2];
	uint64_t cpu[2], used, on0 = 0, runq0 = 0, steal;
	double rel, srel;

	(void)state;
	cg_mkdir("a");
	e = open_cg(0);
	s = snap(e);
	need_running(s, EBS_FAM_SCHED);
	r0 = row(s, cg_id("a"));
	if (r0) {
		on0 = r0->oncpu_ns;
		runq0 = r0->runq_samples;
	}
	job_ms = 1500;
	steal = steal_ns();
	for (int i = 0; i < 2; i++)
		h[i] = start("a", JOB_HOG);
	for (int i = 0; i < 2; i++)
		go(&h[i]);
	for (int i = 0; i < 2; i++)
		finish(&h[i], &cpu[i]);
	steal = steal_ns() - steal;
	s = snap(e);
	r1 = row(s, cg_id("a"));
	assert_non_null(r1);
	used = cpu[0] + cpu[1];
	rel = ((double)(r1->oncpu_ns - on0) - (double)used) / (double)used;
	srel = (double)steal / (double)used;
	print_message("hogs: utime+stime %.3f s, cgroup on-CPU %.3f s (%+.2f %%), "
		      "steal %.3f s, %" PRIu64 " run-queue samples, p99 %.1f us\n",
		      (double)used / 1e9, (double)(r1->oncpu_ns - on0) / 1e9, rel * 100,
		      (double)steal / 1e9, r1->runq_samples - runq0, r1->runq_pct.p99);
	assert_true(used > 300000000ULL); /* 2 CPUs shared with other work */
	assert_true(rel > -0.05 && rel < 0.05 + srel);
	assert_true(r1->runq_samples - runq0 >= 2);
	assert_true(r1->switches_vol + r1->switches_invol >= 2);
	ebs_close(e);
}

/* A removed cgroup's row stays one snapshot, named and marked gone, and
 * is not in the next. */
static void test_removed(void **state)
{
	struct ebs *e = open_cg(0);
	const struct ebs_snapshot *s;
	struct child c;
	uint64_t id;
	char name[128];

	(void)state;
	cg_mkdir("a");
	id = cg_id("a");
	job_n = 100;
	c = start("a", JOB_GETPPID);
	go(&c);
	finish(&c, NULL);
	s = snap(e);
	assert_non_null(row(s, id));
	assert_false(row(s, id)->gone);
	cg_rmdir("a");
	s = snap(e);
	assert_non_null(row(s, id));
	assert_true(row(s, id)->gone);
	snprintf(name, sizeof(name), "%s/a", base_rel);
	assert_string_equal(row(s, id)->name, name);
	s = snap(e);
	assert_null(row(s, id));
	ebs_close(e);
}

/* map_sizes.cgroups 4 and ten cgroups making system calls: at least six
 * rows are evicted, and counted. */
static void test_overflow(void **state)
{
	struct ebs *e = open_cg(4);
	const struct ebs_snapshot *s;
	uint64_t ev0;

	(void)state;
	s = snap(e);
	ev0 = s->cg.evictions + s->cg.failed;
	for (int i = 0; i < 10; i++) {
		char rel[8];
		struct child c;

		snprintf(rel, sizeof(rel), "r%d", i);
		cg_mkdir(rel);
		job_n = 10;
		c = start(rel, JOB_GETPPID);
		go(&c);
		finish(&c, NULL);
	}
	s = snap(e);
	print_message("evictions %" PRIu64 ", failed inserts %" PRIu64 ", inserts %" PRIu64 "\n",
		      s->cg.evictions, s->cg.failed, s->cg.inserts);
	assert_true(s->cg.evictions + s->cg.failed - ev0 >= 6);
	/* each family's table holds 4 rows at most */
	assert_true(s->n_cgroups <= 4 * EBS_FAM_COUNT);
	ebs_close(e);
}

/* One child in rel making n getppid calls between two snapshots, the
 * tables isolated: its row holds exactly its n + 1 calls, or it has no
 * row and exactly those n + 1 are the insert failures between the two.
 * Returns the snapshot after it; *got: whether it has a row. */
static const struct ebs_snapshot *calls_in(struct ebs *e, const char *rel, unsigned n, bool *got)
{
	const struct ebs_snapshot *s = snap(e);
	uint64_t failed0 = s->cg.failed;
	const struct ebs_cgroup_row *r;
	struct child c;

	assert_true(isolated);
	job_n = n;
	c = start(rel, JOB_GETPPID);
	go(&c);
	finish(&c, NULL);
	s = snap(e);
	r = row(s, cg_id(rel));
	*got = r && r->sys_calls;
	if (*got)
		assert_int_equal(r->sys_calls, n + 1);
	assert_int_equal(s->cg.failed - failed0, *got ? 0 : n + 1);
	return s;
}

/* One child in rel making n getppid calls, no snapshot. */
static void calls_only(const char *rel, unsigned n)
{
	struct child c;

	job_n = n;
	c = start(rel, JOB_GETPPID);
	go(&c);
	finish(&c, NULL);
}

/* ---- the pinned tables, read through their pins ------------------------ */

static void new_pin(void)
{
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/ebs-cgt-%d", (int)getpid());
}

/* An isolated test's handle on pins of its own, with rows cgroup rows,
 * and its first snapshot in *s (skipped without the syscalls module). */
static struct ebs *open_isolated(unsigned rows, const struct ebs_snapshot **s)
{
	struct ebs *e;

	isolated = true;
	new_pin();
	e = open_cg(rows);
	*s = snap(e);
	need_running(*s, EBS_FAM_SYSCALLS);
	return e;
}

static int cg_map(const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/v%d/syscalls/maps/%s", pin_root, EBS_PIN_LAYOUT, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	return fd;
}

/* cg_rid_sys whole (n rows) */
static void rids(uint64_t *rid, uint32_t n)
{
	int fd = cg_map("cg_rid_sys");

	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_lookup_elem(fd, &i, &rid[i]) < 0)
			fail_msg("cg_rid_sys[%u]: %s", i, strerror(errno));
	close(fd);
}

static uint32_t rid_index(uint64_t id, uint32_t n)
{
	uint64_t rid[64];

	assert_true(n <= 64);
	rids(rid, n);
	for (uint32_t i = 0; i < n; i++)
		if (rid[i] == id)
			return i;
	return n;
}

/* The tables' invariant, the kernel quiet (isolated, no child running):
 * each row is either owned (the hash maps cg_rid's id to it, and maps no
 * id elsewhere) or queued free, once.  Empties the queue. */
static void check_rows(uint32_t n)
{
	int ids = cg_map("cg_ids_sys"), fq = cg_map("cg_free_sys");
	unsigned seen[64] = {0}, owned = 0, queued = 0, hashed = 0;
	uint64_t rid[64], key, next;
	uint32_t idx;
	bool first = true;

	assert_true(n <= 64);
	rids(rid, n);
	for (uint32_t i = 0; i < n; i++)
		if (rid[i] && bpf_map_lookup_elem(ids, &rid[i], &idx) == 0 && idx == i) {
			seen[i]++;
			owned++;
		}
	while (bpf_map_get_next_key(ids, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(ids, &key, &idx) < 0)
			fail_msg("cg_ids_sys: %s", strerror(errno));
		assert_true(idx < n);
		if (rid[idx] != key)
			fail_msg("cg_ids_sys[%" PRIu64 "] = %u, whose owner is %" PRIu64, key, idx,
				 rid[idx]);
		hashed++;
	}
	while (bpf_map_lookup_and_delete_elem(fq, NULL, &idx) == 0) {
		assert_true(idx < n);
		seen[idx]++;
		queued++;
		if (rid[idx])
			fail_msg("row %u is queued free and owned by %" PRIu64, idx, rid[idx]);
	}
	print_message("%u rows: %u owned, %u queued free\n", n, owned, queued);
	for (uint32_t i = 0; i < n; i++)
		if (seen[i] != 1)
			fail_msg("row %u is owned or queued %u times, not once", i, seen[i]);
	assert_int_equal(hashed, owned);
	close(ids);
	close(fq);
}

/* map_sizes.cgroups 8 and a stream of new cgroups keep the syscalls
 * table full, isolated: each snapshot that finds it full recycles a row
 * (8 / 16 < 1: one kept free), a removed cgroup's before any other, then
 * the least recently active.  k is older than g: plain LRU would take
 * k's row first; the first recycled row must be g's, the next k's.  Every
 * new cgroup's calls are in its row (one is always free). */
static void test_recycle(void **state)
{
	const unsigned n = 200, rows = 8;
	struct ebs *e;
	const struct ebs_snapshot *s;
	uint64_t kid, gid, ev0, rid[8];
	uint32_t gi, ki;
	bool got;
	int i, phase = 0;

	(void)state;
	e = open_isolated(rows, &s);
	cg_mkdir("k0");
	cg_mkdir("g0");
	kid = cg_id("k0");
	gid = cg_id("g0");
	s = calls_in(e, "k0", n, &got);
	assert_true(got);
	s = calls_in(e, "g0", n, &got);
	assert_true(got);
	gi = rid_index(gid, rows);
	ki = rid_index(kid, rows);
	assert_true(gi < rows && ki < rows);
	ev0 = s->cg.evictions;
	cg_rmdir("g0");
	for (i = 0; i < 20 && phase < 3; i++) {
		char rel[16];
		uint32_t at;

		snprintf(rel, sizeof(rel), "p%d", i);
		cg_mkdir(rel);
		s = calls_in(e, rel, n, &got);
		assert_true(got); /* one row is always free */
		at = rid_index(cg_id(rel), rows);
		rids(rid, rows);
		switch (phase) {
		case 0: /* until the table is full: nothing freed */
			if (s->cg.evictions == ev0)
				break;
			/* full: g's row freed, though k's is older; this
			 * snapshot, read before, still lists k */
			assert_int_equal(s->cg.evictions - ev0, 1);
			assert_int_equal(rid[gi], 0);
			assert_non_null(row(s, kid));
			phase = 1;
			break;
		case 1: /* the next new cgroup takes g's row; k's goes next */
			assert_int_equal(at, gi);
			assert_int_equal(s->cg.evictions - ev0, 2);
			assert_int_equal(rid[ki], 0);
			assert_non_null(row(s, kid)); /* read before it was freed */
			phase = 2;
			break;
		case 2: /* and the next takes k's; k is in no row */
			assert_int_equal(at, ki);
			assert_null(row(s, kid));
			phase = 3;
			break;
		}
	}
	print_message("evictions %" PRIu64 ", failed inserts %" PRIu64 ", inserts %" PRIu64
		      " after %d new cgroups\n",
		      s->cg.evictions, s->cg.failed, s->cg.inserts, i);
	assert_int_equal(phase, 3);
	check_rows(rows);
	ebs_close(e);
}

/* A row that changed hands between the hash lookup and the owner check
 * (user space recycled it meanwhile): made by hand through the pins, a's
 * row owned by another id and zeroed on every CPU while the hash still
 * maps a to it.  Every one of a's calls then finds no row of its own:
 * each is an insert failure, none is lost and none lands in the row. */
static void test_row_changed_hands(void **state)
{
	const unsigned n = 100, rows = 8;
	struct bpf_map_info info;
	uint32_t len = sizeof(info), idx;
	uint64_t other = UINT64_C(1) << 62, failed0; /* no cgroup's id */
	struct ebs *e;
	const struct ebs_snapshot *s;
	int rid, cg, ncpus = libbpf_num_possible_cpus();
	void *zeros;
	bool got;

	(void)state;
	e = open_isolated(rows, &s);
	cg_mkdir("a");
	s = calls_in(e, "a", n, &got);
	assert_true(got);
	idx = rid_index(cg_id("a"), rows);
	assert_true(idx < rows);
	rid = cg_map("cg_rid_sys");
	cg = cg_map("cg_sys");
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(cg, &info, &len), 0);
	assert_true(ncpus > 0);
	zeros = calloc((size_t)ncpus, (info.value_size + 7) & ~7U);
	assert_non_null(zeros);
	assert_int_equal(bpf_map_update_elem(rid, &idx, &other, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(cg, &idx, zeros, BPF_ANY), 0);
	free(zeros);
	close(rid);
	close(cg);
	failed0 = s->cg.failed;
	calls_only("a", n);
	s = snap(e);
	print_message("failed inserts %" PRIu64 "\n", s->cg.failed - failed0);
	assert_int_equal(s->cg.failed - failed0, n + 1);
	assert_null(row(s, cg_id("a")));
	assert_non_null(row(s, other));
	assert_int_equal(row(s, other)->sys_calls, 0);
	ebs_close(e);
}

/* map_sizes.cgroups 4, isolated: the parent's cgroup and three new ones
 * take the four rows; two more, run before the next snapshot, find none:
 * every one of their calls is an insert failure, and nothing else is. */
static void test_insert_failures(void **state)
{
	const unsigned n = 100;
	struct ebs *e;
	const struct ebs_snapshot *s;
	uint64_t failed0;
	const char *const rel[] = {"r0", "r1", "r2", "r3", "r4"};

	(void)state;
	isolated = true;
	e = open_cg(4);
	s = snap(e);
	need_running(s, EBS_FAM_SYSCALLS);
	failed0 = s->cg.failed;
	for (int i = 0; i < 5; i++) {
		struct child c;

		cg_mkdir(rel[i]);
		job_n = n;
		c = start(rel[i], JOB_GETPPID);
		go(&c);
		finish(&c, NULL);
	}
	s = snap(e);
	print_message("failed inserts %" PRIu64 ", inserts %" PRIu64 "\n", s->cg.failed - failed0,
		      s->cg.inserts);
	for (int i = 0; i < 3; i++) {
		assert_non_null(row(s, cg_id(rel[i])));
		assert_int_equal(row(s, cg_id(rel[i]))->sys_calls, n + 1);
	}
	assert_null(row(s, cg_id(rel[3])));
	assert_null(row(s, cg_id(rel[4])));
	assert_int_equal(s->cg.failed - failed0, 2 * (n + 1));
	assert_int_equal(s->cg.inserts, 4);
	ebs_close(e);
}

/* Two readers of one set of pins, in two processes, both snapshotting
 * (and so recycling) while cgroups come and go on a table of 8 rows:
 * afterwards every row is owned or free, once, and the hash agrees with
 * the owners.  Without the lock both readers would free the same rows. */
static void test_two_readers(void **state)
{
	const uint32_t rows = 8;
	struct ebs *e;
	const struct ebs_snapshot *s;
	int stop[2];
	pid_t reader;
	int st;

	(void)state;
	e = open_isolated(rows, &s);
	if (pipe(stop) < 0)
		fail_msg("pipe: %s", strerror(errno));
	reader = fork();
	if (reader < 0)
		fail_msg("fork: %s", strerror(errno));
	if (reader == 0) {
		struct ebs *b;
		char err[EBS_ERR_LEN];
		struct ebs_config cfg;
		char c;

		close(stop[1]);
		fcntl(stop[0], F_SETFL, O_NONBLOCK);
		ebs_config_init(&cfg);
		snprintf(cfg.pin_path, sizeof(cfg.pin_path), "%s", pin_root);
		cfg.cgroups = true;
		cfg.max_cgroups = rows;
		cfg.collect[EBS_FAM_TCP] = cfg.collect[EBS_FAM_SCHED] = false;
		cfg.collect[EBS_FAM_MEMORY] = false;
		if (ebs_config_set(&cfg, "process_filter", JOB_COMM, err, sizeof(err)) < 0 ||
		    !(b = ebs_open(&cfg, err, sizeof(err))))
			_exit(2);
		/* until told to stop, or the parent failed: 5 minutes at most */
		for (time_t end = time(NULL) + 300;
		     read(stop[0], &c, 1) < 0 && errno == EAGAIN && time(NULL) < end;)
			if (!ebs_snapshot(b, err, sizeof(err)))
				_exit(3);
		ebs_close(b);
		_exit(0);
	}
	close(stop[0]);
	for (int i = 0; i < 24; i++) {
		char rel[16];

		snprintf(rel, sizeof(rel), "p%d", i);
		cg_mkdir(rel);
		calls_only(rel, 50);
		s = snap(e);
		/* half of them removed: the readers race to free their rows */
		if (i % 2)
			cg_rmdir(rel);
	}
	if (write(stop[1], "s", 1) != 1)
		fail_msg("stop: %s", strerror(errno));
	close(stop[1]);
	if (waitpid(reader, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the second reader failed (status %d)", st);
	s = snap(e);
	print_message("evictions %" PRIu64 ", failed inserts %" PRIu64 ", inserts %" PRIu64 "\n",
		      s->cg.evictions, s->cg.failed, s->cg.inserts);
	/* 24 cgroups and the parent's through 8 rows: recycled, again and
	 * again (17 when no insert failed; the unlocked readers jammed the
	 * table at 3 or 4, every later call an insert failure) */
	assert_true(s->cg.evictions >= 10);
	check_rows(rows);
	ebs_close(e);
}

/* 'ebpfstats check' opens a probe handle: on pinned tables due for a
 * refill (full, a removed cgroup's row among them) its snapshots change
 * no row; a reader's first snapshot then frees the removed cgroup's. */
static void test_probe_unchanged(void **state)
{
	const uint32_t rows = 4;
	uint64_t before[4], after[4];
	struct ebs *e, *p;
	const struct ebs_snapshot *s;
	uint32_t gi;

	(void)state;
	e = open_isolated(rows, &s);
	/* the parent's row, then r0..r2, no snapshot in between: full;
	 * then r0 removed */
	for (int i = 0; i < 3; i++) {
		char rel[8];

		snprintf(rel, sizeof(rel), "r%d", i);
		cg_mkdir(rel);
		calls_only(rel, 10);
	}
	gi = rid_index(cg_id("r0"), rows);
	assert_true(gi < rows);
	ebs_close(e); /* the pins stay */
	cg_rmdir("r0");
	rids(before, rows);
	for (uint32_t i = 0; i < rows; i++)
		assert_true(before[i] != 0);
	p = open_how(rows, true);
	s = snap(p);
	s = snap(p);
	assert_true(s->modules[EBS_FAM_SYSCALLS].reused_pins);
	ebs_close(p);
	rids(after, rows);
	assert_memory_equal(before, after, sizeof(before));
	e = open_cg(rows);
	s = snap(e);
	rids(after, rows);
	assert_int_equal(after[gi], 0);
	ebs_close(e);
}

/* The programs' path without bpf_get_current_task_btf() (before 5.11):
 * the same exact counts. */
static void test_syscalls_no_task_btf(void **state)
{
	setenv("EBPFSTATS_TEST_NO_TASK_BTF", "1", 1);
	test_syscalls(state);
	test_move_self(state);
	unsetenv("EBPFSTATS_TEST_NO_TASK_BTF");
}

/* cgroup_filter: the glob's row, and no other. */
static void test_filter(void **state)
{
	char glob[128];
	struct ebs *e;
	const struct ebs_snapshot *s;
	struct child a, b;

	(void)state;
	cg_mkdir("a");
	cg_mkdir("b");
	snprintf(glob, sizeof(glob), "ebs-cgt-*/a");
	filter = glob;
	e = open_cg(0);
	filter = NULL;
	job_n = 10;
	a = start("a", JOB_GETPPID);
	go(&a);
	finish(&a, NULL);
	b = start("b", JOB_GETPPID);
	go(&b);
	finish(&b, NULL);
	s = snap(e);
	assert_non_null(row(s, cg_id("a")));
	assert_int_equal(row(s, cg_id("a"))->sys_calls, 11);
	assert_null(row(s, cg_id("b")));
	for (uint32_t i = 0; i < s->n_cgroups; i++)
		assert_int_equal(fnmatch(glob, s->cgroups[i].name, 0), 0);
	assert_true(s->cg.filtered >= 1);
	ebs_close(e);
}

/* No cgroup2 mount: the view is degraded with its reason, rows are named
 * by id only, and the families keep running. */
static void test_no_mount(void **state)
{
	struct ebs *e;
	const struct ebs_snapshot *s;
	char err[EBS_ERR_LEN];

	(void)state;
	setenv("EBPFSTATS_TEST_CGROUP_MOUNT", "none", 1);
	e = open_cg(0);
	s = ebs_snapshot(e, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->cg.status, EBS_ST_DEGRADED);
	assert_non_null(strstr(s->cg.reason, "no cgroup2"));
	need_running(s, EBS_FAM_SYSCALLS);
	assert_true(s->n_cgroups > 0);
	assert_string_equal(s->cgroups[0].name, "");
	unsetenv("EBPFSTATS_TEST_CGROUP_MOUNT");
	ebs_close(e);
}

/* The OOM victim's cgroup is named by a search of the whole tree, below
 * cgroup_depth too: a deep cgroup, the root, a removed one, no mount. */
static void test_path_of(void **state)
{
	char buf[EBS_CG_NAME_LEN], want[EBS_CG_NAME_LEN];
	struct stat st;
	uint64_t id;

	(void)state;
	cg_mkdir("a");
	cg_mkdir("a/c");
	cg_mkdir("a/c/d");
	id = cg_id("a/c/d");
	assert_int_equal(ebs_cg_path_of(id, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/a/c/d", base_rel);
	assert_string_equal(buf, want);
	assert_int_equal(ebs_cg_path_of(cg_id("a"), buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/a", base_rel);
	assert_string_equal(buf, want);
	assert_int_equal(stat(mount_dir, &st), 0);
	assert_int_equal(ebs_cg_path_of((uint64_t)st.st_ino, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/");
	cg_rmdir("a/c/d");
	assert_int_equal(ebs_cg_path_of(id, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(ebs_cg_path_of(0, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	setenv("EBPFSTATS_TEST_CGROUP_MOUNT", "none", 1);
	assert_int_equal(ebs_cg_path_of(cg_id("a/c"), buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	unsetenv("EBPFSTATS_TEST_CGROUP_MOUNT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syscalls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_self, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_folds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oncpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_changed_hands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_readers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syscalls_no_task_btf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_mount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_of, setup, teardown),
	};

	/* the children run under valgrind too: their own system calls would
	 * land in the rows whose exact counts are asserted */
	if (getenv("EBS_UNDER_VALGRIND") && strcmp(getenv("EBS_UNDER_VALGRIND"), "1") == 0) {
		fprintf(stderr, "test_cgroups: exact counts, not under valgrind; skipped\n");
		return 77;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "test_cgroups: needs root; skipped\n");
		return 77;
	}
	if (!find_mount()) {
		fprintf(stderr, "test_cgroups: no cgroup2 mount in /proc/mounts; skipped\n");
		return 77;
	}
	if (prctl(PR_GET_NAME, self_comm) < 0)
		self_comm[0] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
