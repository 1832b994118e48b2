/* Workloads for bench/run.  Each timed workload runs CHUNKS chunks of ITERS
 * operations, times each chunk with CLOCK_MONOTONIC and prints the 10th
 * percentile, the median and the minimum ns per operation.  bench/run
 * compares the 10th percentile: a chunk that another task or an interrupt
 * got in the way of only ever gets slower, so the fast end of many short
 * chunks is the workload's own cost, and one lucky chunk cannot set it
 * alone.  The fill workloads hold kernel state (sleeping processes, open
 * sockets) until stdin closes.
 *
 *   bench-work getppid ITERS CHUNKS    one syscall per op
 *   bench-work pingpong ITERS CHUNKS   pipe round trip with a child (2 switches)
 *   bench-work tcp ITERS CHUNKS        loopback connect/send/recv/close
 *   bench-work rr ITERS CHUNKS         1-byte request/response over one open
 *                                      loopback connection (TCP_NODELAY), the
 *                                      server a child on the same CPU
 *   bench-work stream ITERS CHUNKS     64 KiB writes over one open loopback
 *                                      connection, a child reading them
 *   bench-work pagealloc ITERS CHUNKS  one anonymous page faulted in
 *                                      (allocated) and unmapped (freed): a
 *                                      1 MiB mapping touched page by page
 *   bench-work procs N                 N sleeping processes, forked now
 *   bench-work socks N LISTENERS       N open loopback connections and
 *                                      LISTENERS listening ports
 *
 * Single-threaded on purpose: bench/run pins it to one CPU and leaves the
 * other to the tracer's user space. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHUNKS 1000

static void die(const char *what)
{
	fprintf(stderr, "bench-work: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static unsigned long parse_count(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max) {
		fprintf(stderr, "bench-work: %s must be 1..%lu, got '%s'\n", what, max, s);
		exit(2);
	}
	return v;
}

/* ---- timed workloads -------------------------------------------------- */

typedef void (*op_fn)(void *ctx, unsigned long iters);

static void report(double *per_op, unsigned long chunks)
{
	qsort(per_op, chunks, sizeof(*per_op), cmp_double);
	printf("%.2f %.2f %.2f\n", per_op[chunks / 10], per_op[chunks / 2], per_op[0]);
}

static void run_chunks(op_fn op, void *ctx, unsigned long iters, unsigned long chunks)
{
	double per_op[MAX_CHUNKS];

	op(ctx, iters / 10 + 1); /* warm caches and the branch predictor */
	for (unsigned long c = 0; c < chunks; c++) {
		uint64_t t0 = now_ns();

		op(ctx, iters);
		per_op[c] = (double)(now_ns() - t0) / (double)iters;
	}
	report(per_op, chunks);
}

static void op_getppid(void *ctx, unsigned long iters)
{
	(void)ctx;
	for (unsigned long i = 0; i < iters; i++)
		syscall(SYS_getppid);
}

/* Pages per mapping of the pagealloc workload: 1 MiB, below a huge page. */
#define PA_PAGES 256

static void op_pagealloc(void *ctx, unsigned long iters)
{
	size_t pg = *(const size_t *)ctx, len = PA_PAGES * pg;

	for (unsigned long i = 0; i < iters;) {
		unsigned long n = iters - i < PA_PAGES ? iters - i : PA_PAGES;
		volatile char *p =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("pagealloc mmap");
		for (unsigned long k = 0; k < n; k++)
			p[k * pg] = 1;
		if (munmap((void *)p, len) < 0)
			die("pagealloc munmap");
		i += n;
	}
}

struct pingpong {
	int to_child, from_child;
};

static void op_pingpong(void *ctx, unsigned long iters)
{
	struct pingpong *pp = ctx;
	char b = 'x';

	for (unsigned long i = 0; i < iters; i++) {
		if (write(pp->to_child, &b, 1) != 1)
			die("pingpong write");
		if (read(pp->from_child, &b, 1) != 1)
			die("pingpong read");
	}
}

/* The child echoes every byte until its pipe closes. */
static void pingpong(unsigned long iters, unsigned long chunks)
{
	int down[2], up[2];
	struct pingpong pp;
	pid_t pid;
	char b;

	if (pipe(down) < 0 || pipe(up) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		while (read(down[0], &b, 1) == 1)
			if (write(up[1], &b, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	pp.to_child = down[1];
	pp.from_child = up[0];
	run_chunks(op_pingpong, &pp, iters, chunks);
	close(down[1]);
	close(up[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int listen_loopback(uint16_t *port, int backlog)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		die("listen on 127.0.0.1");
	*port = ntohs(a.sin_port);
	return fd;
}

static int connect_loopback(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	/* on loopback the handshake completes in softirq before connect()
	 * returns, so one thread can play both ends */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect to 127.0.0.1");
	return fd;
}

struct tcp_ctx {
	int lfd;
	uint16_t port;
};

/* One short connection: the server closes first, so TIME_WAIT lands on the
 * listener's port and the client's ephemeral ports are free at once. */
static void op_tcp(void *ctx, unsigned long iters)
{
	struct tcp_ctx *t = ctx;
	char b = 'x';

	for (unsigned long i = 0; i < iters; i++) {
		int c = connect_loopback(t->port);
		int s = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (s < 0)
			die("accept");
		if (send(c, &b, 1, 0) != 1 || recv(s, &b, 1, 0) != 1)
			die("send/recv on loopback");
		close(s);
		if (recv(c, &b, 1, 0) != 0) /* the server's FIN */
			die("recv FIN");
		close(c);
	}
}

static void tcp(unsigned long iters, unsigned long chunks)
{
	struct tcp_ctx t;

	t.lfd = listen_loopback(&t.port, 128);
	run_chunks(op_tcp, &t, iters, chunks);
	close(t.lfd);
}

/* ---- fill workloads --------------------------------------------------- */

/* Blocks until bench/run closes our stdin (or sends a line). */
static void hold(void)
{
	char line[64];

	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin) && ferror(stdin))
		die("reading stdin");
}

static void procs(unsigned long n)
{
	int p[2];
	pid_t *pids = calloc(n, sizeof(*pids));
	char b;

	if (!pids)
		die("calloc");
	if (pipe(p) < 0)
		die("pipe");
	for (unsigned long i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0) {
			close(p[1]);
			/* EOF when the parent closes its end */
			while (read(p[0], &b, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	close(p[0]);
	printf("ready %lu\n", n);
	hold();
	close(p[1]);
	for (unsigned long i = 0; i < n; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	free(pids);
}

static void raise_nofile(unsigned long need)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) < 0)
		die("getrlimit");
	if (r.rlim_cur >= need)
		return;
	r.rlim_cur = need;
	if (r.rlim_max < need)
		r.rlim_max = need; /* root may raise the hard limit up to fs.nr_open */
	if (setrlimit(RLIMIT_NOFILE, &r) < 0)
		die("setrlimit RLIMIT_NOFILE (needs root for this many sockets)");
}

static void socks(unsigned long n, unsigned long listeners)
{
	uint16_t port, lport;
	int lfd;

	raise_nofile(2 * n + listeners + 64);
	lfd = listen_loopback(&port, 4096);
	for (unsigned long i = 0; i < n; i++) {
		connect_loopback(port);
		if (accept4(lfd, NULL, NULL, SOCK_CLOEXEC) < 0)
			die("accept");
	}
	for (unsigned long i = 0; i < listeners; i++)
		listen_loopback(&lport, 1);
	printf("ready %lu %lu\n", n, listeners);
	hold();
	/* exit closes every socket */
}

/* ---- persistent connections: what servers mostly do --------------------- */

#define STREAM_WRITE (64 * 1024)

struct conn_ctx {
	int fd;
	char *buf;
};

static void op_rr(void *ctx, unsigned long iters)
{
	struct conn_ctx *c = ctx;
	char b = 'q';

	for (unsigned long i = 0; i < iters; i++) {
		if (write(c->fd, &b, 1) != 1)
			die("rr write");
		if (read(c->fd, &b, 1) != 1)
			die("rr read");
	}
}

static void op_stream(void *ctx, unsigned long iters)
{
	struct conn_ctx *c = ctx;

	for (unsigned long i = 0; i < iters; i++) {
		size_t done = 0;

		while (done < STREAM_WRITE) {
			ssize_t n = write(c->fd, c->buf + done, STREAM_WRITE - done);

			if (n <= 0)
				die("stream write");
			done += (size_t)n;
		}
	}
}

/* One connection, accepted by a forked child that echoes each byte (rr)
 * or reads everything (stream) until the parent closes; the child inherits
 * the parent's CPU (bench/run pins the workload), so both ends share it,
 * as a server and its client on one busy CPU would. */
static void persistent(int stream, unsigned long iters, unsigned long chunks)
{
	uint16_t port;
	int lfd = listen_loopback(&port, 1), one = 1;
	struct conn_ctx c = {.fd = -1};
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		static char rbuf[STREAM_WRITE];
		int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n;

		if (s < 0)
			_exit(1);
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((n = read(s, rbuf, stream ? sizeof(rbuf) : 1)) > 0)
			if (!stream && write(s, rbuf, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(lfd);
	c.fd = connect_loopback(port);
	if (setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		die("TCP_NODELAY");
	if (stream) {
		c.buf = calloc(1, STREAM_WRITE);
		if (!c.buf)
			die("calloc");
	}
	run_chunks(stream ? op_stream : op_rr, &c, iters, chunks);
	close(c.fd);
	free(c.buf);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-work getppid|pingpong|tcp|rr|stream|pagealloc ITERS CHUNKS\n"
			"       bench-work procs N\n"
			"       bench-work socks N LISTENERS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "procs") && argc == 3) {
		procs(parse_count(argv[2], "N", 30000));
	} else if (!strcmp(argv[1], "socks") && argc == 4) {
		socks(parse_count(argv[2], "N", 100000),
		      strcmp(argv[3], "0") ? parse_count(argv[3], "LISTENERS", 28000) : 0);
	} else if (argc == 4) {
		unsigned long iters = parse_count(argv[2], "ITERS", 1ul << 40);
		unsigned long chunks = parse_count(argv[3], "CHUNKS", MAX_CHUNKS);

		if (!strcmp(argv[1], "getppid"))
			run_chunks(op_getppid, NULL, iters, chunks);
		else if (!strcmp(argv[1], "pingpong"))
			pingpong(iters, chunks);
		else if (!strcmp(argv[1], "tcp"))
			tcp(iters, chunks);
		else if (!strcmp(argv[1], "rr"))
			persistent(0, iters, chunks);
		else if (!strcmp(argv[1], "stream"))
			persistent(1, iters, chunks);
		else if (!strcmp(argv[1], "pagealloc")) {
			size_t pg = (size_t)sysconf(_SC_PAGESIZE);

			run_chunks(op_pagealloc, &pg, iters, chunks);
		} else
			usage();
	} else {
		usage();
	}
	return 0;
}
