/* Live TCP bytes and segments (issue 20) against the real kernel: the
 * socket iterator counts an open connection's traffic at each snapshot, and
 * its CLOSE adds exactly the rest, whatever runs at the same time.  The
 * reference is the kernel's TCP_INFO of the test's own sockets, on a port
 * of its own (the totals are host-wide: other traffic only adds to them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/sched.h> /* CLONE_NEWNET (-I bpf shadows <sched.h>) */
#include <linux/tcp.h>	 /* struct tcp_info, as tcp_pair.c */
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ebpfstats.h"
#include "ebs_test.h"
#include "tcp_pair.h"

#define BIG 50000000ULL

static char pin_root[128];

/* What the test reads of a snapshot: the totals, its port's row and its
 * two peer rows (127.0.0.1:port out, and in), zeros for a missing row. */
struct view {
	struct tp_traffic total, port, out, in;
	bool has_port, has_out, has_in;
};

static void take(const struct ebs_snapshot *s, uint16_t port, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->total = (struct tp_traffic){s->tcp.bytes_sent, s->tcp.bytes_received, s->tcp.segs_out,
				       s->tcp.segs_in};
	for (uint32_t i = 0; i < s->n_tcp_ports; i++) {
		const struct ebs_tcp_port_row *r = &s->tcp_ports[i];

		if (r->port != port)
			continue;
		v->port = (struct tp_traffic){r->bytes_out, r->bytes_in, r->segs_out, r->segs_in};
		v->has_port = true;
	}
	for (uint32_t i = 0; i < s->n_tcp_peers; i++) {
		const struct ebs_tcp_peer_row *r = &s->tcp_peers[i];
		struct tp_traffic t = {r->bytes_out, r->bytes_in, r->segs_out, r->segs_in};

		if (r->port != port || strcmp(r->addr_str, "127.0.0.1") != 0)
			continue;
		if (r->dir == EBS_PEER_OUT) {
			v->out = t;
			v->has_out = true;
		} else {
			v->in = t;
			v->has_in = true;
		}
	}
}

static struct tp_traffic minus(struct tp_traffic a, struct tp_traffic b)
{
	return (struct tp_traffic){a.sent - b.sent, a.rcvd - b.rcvd, a.segs_out - b.segs_out,
				   a.segs_in - b.segs_in};
}

static void assert_traffic(const char *what, struct tp_traffic got, struct tp_traffic want)
{
	if (got.sent != want.sent || got.rcvd != want.rcvd || got.segs_out != want.segs_out ||
	    got.segs_in != want.segs_in)
		fail_msg("%s: counted sent %llu rcvd %llu segs out %llu in %llu, TCP_INFO says "
			 "%llu %llu %llu %llu",
			 what, (unsigned long long)got.sent, (unsigned long long)got.rcvd,
			 (unsigned long long)got.segs_out, (unsigned long long)got.segs_in,
			 (unsigned long long)want.sent, (unsigned long long)want.rcvd,
			 (unsigned long long)want.segs_out, (unsigned long long)want.segs_in);
}

/* 50,000,000 bytes over one connection kept open: the next snapshot has
 * them in the totals, the port row (server side) and both peer rows; after
 * the close every row has grown by exactly what TCP_INFO says each end
 * moved (its SYN and FIN included), and the totals not by a second 50 MB.
 * live: whether the iterator runs (else nothing moves until the close). */
static void live_bytes(struct ebs *e, bool live)
{
	uint16_t port = 0;
	int l = tp_listen(&port), c, a;
	struct tp_traffic ct = {0}, at = {0};
	struct view v0, v1, v2;

	assert_true(l >= 0);
	take(snap(e), port, &v0); /* the port row exists from the listen */
	assert_int_equal(tp_connect(l, port, &c, &a), 0);
	assert_int_equal(tp_transfer(c, a, BIG), 0);
	/* "after the send completes": the receiver's last ACK processed */
	assert_int_equal(tp_wait_acked(c, BIG + 1), 0);
	take(snap(e), port, &v1);
	assert_true(v1.has_port && v1.has_out && v1.has_in);
	if (live) {
		assert_true(v1.total.sent - v0.total.sent >= BIG);
		assert_true(v1.total.rcvd - v0.total.rcvd >= BIG);
		assert_true(v1.port.rcvd - v0.port.rcvd >= BIG);
		assert_true(v1.out.sent - v0.out.sent >= BIG);
		assert_true(v1.in.rcvd - v0.in.rcvd >= BIG);
		/* segments move too: 50 MB are hundreds of them at least */
		assert_true(v1.out.segs_out - v0.out.segs_out >= BIG / 65536);
		assert_true(v1.in.segs_in - v0.in.segs_in >= BIG / 65536);
	} else {
		assert_int_equal(v1.port.rcvd - v0.port.rcvd, 0);
		assert_int_equal(v1.out.sent - v0.out.sent, 0);
	}
	assert_int_equal(tp_finish(c, a, &ct, &at), 0);
	close(l);
	take(snap(e), port, &v2);
	/* SYN + data + FIN acked, and the same received on the other end */
	assert_int_equal(ct.sent, BIG + 2);
	assert_int_equal(at.rcvd, BIG + 1);
	assert_traffic("port row", minus(v2.port, v0.port), at);
	assert_traffic("peer row out", minus(v2.out, v0.out), ct);
	assert_traffic("peer row in", minus(v2.in, v0.in), at);
	assert_true(v2.total.sent - v0.total.sent >= ct.sent + at.sent);
	assert_true(v2.total.segs_out - v0.total.segs_out >= ct.segs_out + at.segs_out);
	if (live) /* the close added the rest, not the 50 MB again */
		assert_true(v2.total.sent - v1.total.sent < BIG);
}

static void assert_ok(const struct ebs_snapshot *s)
{
	if (s->modules[EBS_FAM_TCP].status != EBS_ST_OK)
		fail_msg("tcp is %s: %s", ebs_status_name(s->modules[EBS_FAM_TCP].status),
			 s->modules[EBS_FAM_TCP].reason);
}

static void test_live_bytes(void **state)
{
	struct ebs *e = open_private();

	(void)state;
	assert_ok(snap(e));
	live_bytes(e, true);
	ebs_close(e);
}

/* The same with the hash tracker of kernels without BPF compare-and-swap,
 * and its iterator twin (no atomics). */
static void test_live_bytes_hash(void **state)
{
	(void)state;
	setenv("EBPFSTATS_TEST_HASH_STATE", "1", 1);
	struct ebs *e = open_private();
	assert_ok(snap(e));
	live_bytes(e, true);
	ebs_close(e);
	unsetenv("EBPFSTATS_TEST_HASH_STATE");
}

/* Without iter/tcp (a kernel without it, played by the test variable):
 * the module runs degraded, says why, and counts at close, exactly. */
static void test_live_bytes_fallback(void **state)
{
	(void)state;
	setenv("EBPFSTATS_TEST_NO_ITER", "1", 1);
	struct ebs *e = open_private();
	const struct ebs_snapshot *s = snap(e);
	assert_int_equal(s->modules[EBS_FAM_TCP].status, EBS_ST_DEGRADED);
	assert_non_null(strstr(s->modules[EBS_FAM_TCP].reason, "iter/tcp"));
	assert_non_null(strstr(s->modules[EBS_FAM_TCP].reason, "counted when they close"));
	live_bytes(e, false);
	ebs_close(e);
	unsetenv("EBPFSTATS_TEST_NO_ITER");
}

/* A second front-end that reuses the pins runs the pinned iterator: its
 * snapshots count the open connection too, and the loader's see the same
 * maps. */
static void test_live_bytes_pinned(void **state)
{
	struct ebs_config cfg;

	(void)state;
	ebs_config_init(&cfg);
	snprintf(cfg.pin_path, sizeof(cfg.pin_path), "%s", pin_root);
	struct ebs *loader = open_cfg(&cfg);
	assert_ok(snap(loader));
	struct ebs *reader = open_cfg(&cfg);
	const struct ebs_snapshot *s = snap(reader);
	assert_true(s->modules[EBS_FAM_TCP].reused_pins);
	assert_ok(s);
	live_bytes(reader, true);
	ebs_close(reader);
	ebs_close(loader);
}

/* A second front-end on the same pins, in a process of its own: takes
 * snapshots (runs the pinned iterator) until stop reads EOF, then exits
 * with 0 if it took at least two. */
/* The second reader: snapshots (iterator runs) in a loop until stop is
 * closed; a byte on ready after its first, so that the connections start
 * only once it runs (its open takes long under ASan or valgrind). */
static void reader_child(int stop, int ready)
{
	struct ebs_config cfg;
	char err[EBS_ERR_LEN], c;
	unsigned n = 0;
	struct ebs *e;

	ebs_config_init(&cfg);
	snprintf(cfg.pin_path, sizeof(cfg.pin_path), "%s", pin_root);
	e = ebs_open(&cfg, err, sizeof(err));
	if (!e)
		_exit(3);
	fcntl(stop, F_SETFL, O_NONBLOCK);
	while (read(stop, &c, 1) != 0) {
		if (!ebs_snapshot(e, err, sizeof(err)))
			_exit(4);
		if (n++ == 0 && write(ready, "r", 1) != 1)
			_exit(6);
	}
	ebs_close(e);
	_exit(n >= 2 ? 0 : 5);
}

/* Connections that close while snapshots (each one an iterator run) go on
 * in a loop: every byte and segment is counted once, none twice, none
 * lost.  The child makes the connections and reports TCP_INFO sums.  At
 * each third of them it waits for a snapshot the parent finished (a byte
 * on gfd each), so that a slow snapshot (ASan, a loaded host) still falls
 * among the connections instead of after them.
 * two_readers: the programs are pinned, and a second process runs the
 * same iterator in a loop at the same time (two front-ends). */
static void churn(bool two_readers)
{
	const unsigned M = 60;
	const uint64_t K = 1000000;
	struct ebs_config cfg;
	uint16_t port = 0;
	int l = tp_listen(&port), pfd[2], gfd[2], sfd[2] = {-1, -1}, status;
	struct tp_traffic sums[2] = {{0}};
	struct view v0, v1;
	unsigned snaps = 0;
	pid_t pid, rpid = -1;

	ebs_config_init(&cfg);
	if (two_readers)
		snprintf(cfg.pin_path, sizeof(cfg.pin_path), "%s", pin_root);
	else
		cfg.pin_path[0] = '\0';
	struct ebs *e = open_cfg(&cfg);
	assert_true(l >= 0);
	assert_ok(snap(e));
	take(snap(e), port, &v0);
	if (two_readers) {
		int rfd[2];
		char r;

		assert_int_equal(pipe(sfd), 0);
		assert_int_equal(pipe(rfd), 0);
		rpid = fork();
		assert_true(rpid >= 0);
		if (rpid == 0) {
			close(sfd[1]);
			close(rfd[0]);
			reader_child(sfd[0], rfd[1]);
		}
		close(sfd[0]);
		close(rfd[1]);
		/* EOF instead: the reader failed, which waitpid reports below */
		(void)!read(rfd[0], &r, 1);
		close(rfd[0]);
	}
	assert_int_equal(pipe(pfd), 0);
	/* the parent's end never blocks: bytes beyond what the child reads
	 * are snapshots it need not wait for */
	assert_int_equal(pipe(gfd), 0);
	assert_int_equal(fcntl(gfd[1], F_SETFL, O_NONBLOCK), 0);
	/* a byte written after the child exited: EPIPE, not the signal */
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tp_traffic t[2] = {{0}};
		char g;

		close(pfd[0]);
		close(gfd[1]);
		for (unsigned i = 0; i < M; i++) {
			int c, a;

			if (i && i % (M / 3) == 0 && read(gfd[0], &g, 1) != 1)
				_exit(1);

			/* sizes differ, so that a byte counted twice or lost
			 * cannot hide in a multiple */
			if (tp_connect(l, port, &c, &a) < 0 || tp_transfer(c, a, K + i) < 0 ||
			    tp_transfer(a, c, i) < 0 || tp_finish(c, a, &t[0], &t[1]) < 0)
				_exit(1);
		}
		_exit(write(pfd[1], t, sizeof(t)) == sizeof(t) ? 0 : 1);
	}
	close(pfd[1]);
	close(gfd[0]);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		assert_true(w >= 0);
		if (w == pid) {
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			break;
		}
		snap(e);
		snaps++;
		(void)!write(gfd[1], "s", 1);
	}
	close(gfd[1]);
	if (two_readers) {
		close(sfd[1]);
		assert_int_equal(waitpid(rpid, &status, 0), rpid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("the second reader failed (status %#x)", status);
	}
	assert_int_equal(read(pfd[0], sums, sizeof(sums)), sizeof(sums));
	close(pfd[0]);
	close(l);
	take(snap(e), port, &v1);
	fprintf(stderr, "# %u snapshots during %u connections%s\n", snaps, M,
		two_readers ? ", a second reader's beside them" : "");
	assert_true(snaps >= 2);
	assert_int_equal(sums[1].rcvd, M * (K + 1) + (uint64_t)M * (M - 1) / 2);
	assert_traffic("port row", minus(v1.port, v0.port), sums[1]);
	assert_traffic("peer row out", minus(v1.out, v0.out), sums[0]);
	assert_traffic("peer row in", minus(v1.in, v0.in), sums[1]);
	ebs_close(e);
}

static void test_live_churn(void **state)
{
	(void)state;
	churn(false);
}

static void test_live_churn_two_readers(void **state)
{
	(void)state;
	churn(true);
}

/* Tcp: OutSegs and InSegs from /proc/net/snmp (of this process's network
 * namespace). */
static int proc_segs(uint64_t *out, uint64_t *in)
{
	char names[1024], values[1024], *sn, *sv;
	FILE *f = fopen("/proc/net/snmp", "re");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *n = strtok_r(names, " \n", &sn), *x = strtok_r(values, " \n", &sv);

		if (!n || strcmp(n, "Tcp:") != 0)
			continue;
		while ((n = strtok_r(NULL, " \n", &sn)) && (x = strtok_r(NULL, " \n", &sv))) {
			if (strcmp(n, "OutSegs") == 0) {
				*out = strtoull(x, NULL, 10);
				found++;
			} else if (strcmp(n, "InSegs") == 0) {
				*in = strtoull(x, NULL, 10);
				found++;
			}
		}
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

/* A loopback workload in a network namespace of its own (lo up), so that
 * its /proc/net/snmp counts nothing else: 4 connections of 4000 one-byte
 * round trips each, TCP_NODELAY.  Reports the namespace's OutSegs and
 * InSegs moves and the sockets' own TCP_INFO sums over the pipe. */
static void segs_child(int wfd)
{
	struct ifreq ifr = {0};
	uint64_t o0, i0, o1, i1, r[6] = {0};
	struct tp_traffic t[2] = {{0}};
	uint16_t port = 0;
	int s, l, one = 1;

	if (syscall(SYS_unshare, CLONE_NEWNET) < 0)
		_exit(2);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		_exit(11);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		_exit(12);
	close(s);
	if (proc_segs(&o0, &i0) < 0 || (l = tp_listen(&port)) < 0)
		_exit(13);
	for (int k = 0; k < 4; k++) {
		int c, a;
		char b = 'x';

		if (tp_connect(l, port, &c, &a) < 0 ||
		    setsockopt(c, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one)) < 0 ||
		    setsockopt(a, IPPROTO_TCP, 1, &one, sizeof(one)) < 0)
			_exit(14);
		for (int i = 0; i < 4000; i++)
			if (write(c, &b, 1) != 1 || read(a, &b, 1) != 1 || write(a, &b, 1) != 1 ||
			    read(c, &b, 1) != 1)
				_exit(15);
		if (tp_finish(c, a, &t[0], &t[1]) < 0)
			_exit(16);
	}
	close(l);
	if (proc_segs(&o1, &i1) < 0)
		_exit(17);
	r[0] = o1 - o0;
	r[1] = i1 - i0;
	r[2] = t[0].segs_out + t[1].segs_out;
	r[3] = t[0].segs_in + t[1].segs_in;
	_exit(write(wfd, r, sizeof(r)) == sizeof(r) ? 0 : 1);
}

/* tcp.segs_out / segs_in move as the kernel's OutSegs / InSegs do over a
 * loopback workload, within 1 %.  The workload runs in its own network
 * namespace, whose /proc/net/snmp counts it alone; the module counts every
 * namespace, so the host's own traffic meanwhile (init namespace's
 * /proc/net/snmp) is allowed on top, and a run that other namespaces
 * disturbed (other test suites on a shared host: never in CI, which runs
 * alone) is retried.  The namespace's counters also hold segments no
 * socket sends or receives (a listener's SYN, the SYN-ACK of a request
 * socket): a few per connection, well inside 1 % of ~32,000. */
static void test_segs_vs_proc(void **state)
{
	struct ebs *e = open_private();
	int tries = 0;

	(void)state;
	for (;;) {
		uint64_t ho0, hi0, ho1, hi1, r[6];
		int pfd[2], status;
		pid_t pid;

		const struct ebs_snapshot *s = snap(e);
		uint64_t so0 = s->tcp.segs_out, si0 = s->tcp.segs_in;

		assert_int_equal(proc_segs(&ho0, &hi0), 0);
		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(pfd[0]);
			segs_child(pfd[1]);
		}
		close(pfd[1]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
			close(pfd[0]);
			skip(); /* no network namespaces here */
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("the namespace's workload failed (status %#x: exit codes 11.. "
				 "name the step)",
				 status);
		assert_int_equal(read(pfd[0], r, sizeof(r)), sizeof(r));
		close(pfd[0]);
		s = snap(e);
		assert_int_equal(proc_segs(&ho1, &hi1), 0);
		uint64_t dout = s->tcp.segs_out - so0, din = s->tcp.segs_in - si0;
		uint64_t host_out = ho1 - ho0, host_in = hi1 - hi0;

		fprintf(stderr,
			"# namespace OutSegs +%llu InSegs +%llu, its sockets %llu / %llu; "
			"tcp.segs_out +%llu segs_in +%llu; init namespace +%llu / +%llu\n",
			(unsigned long long)r[0], (unsigned long long)r[1],
			(unsigned long long)r[2], (unsigned long long)r[3],
			(unsigned long long)dout, (unsigned long long)din,
			(unsigned long long)host_out, (unsigned long long)host_in);
		assert_true(r[0] >= 32000 && r[1] >= 32000);
		/* never fewer than the namespace's, less 1 % */
		assert_true(dout * 100 >= r[0] * 99);
		assert_true(din * 100 >= r[1] * 99);
		if (dout * 100 <= (r[0] + host_out) * 101 && din * 100 <= (r[1] + host_in) * 101)
			break;
		if (++tries == 3)
			fail_msg("tcp.segs_out/in beyond OutSegs/InSegs + 1 %% three times");
		fprintf(stderr, "# other namespaces were busy: again\n");
	}
	ebs_close(e);
}

/* tcp_row_idle_timeout (issue 18): with 1 s, a port row whose listener
 * closed and a peer row whose connection ended leave the snapshot a second
 * later; the kernel keeps them, so a listener on the same port brings the
 * port row back with its counters, and new traffic the peer rows, never
 * lower than before.  no_iter: without iter/tcp nothing says whether a port
 * is still served, so port rows stay (peer rows still leave). */
static void stale_rows(bool no_iter)
{
	struct ebs_config cfg;
	struct tp_traffic ct = {0}, at = {0};
	struct view v0, v1, v2, v3;
	uint16_t port = 0;
	int l, c, a;

	if (no_iter)
		setenv("EBPFSTATS_TEST_NO_ITER", "1", 1);
	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	cfg.tcp_row_idle_ms = 1000;
	struct ebs *e = open_cfg(&cfg);
	l = tp_listen(&port);
	assert_true(l >= 0);
	assert_int_equal(tp_connect(l, port, &c, &a), 0);
	assert_int_equal(tp_transfer(c, a, 100000), 0);
	assert_int_equal(tp_finish(c, a, &ct, &at), 0);
	take(snap(e), port, &v0);
	assert_true(v0.has_port && v0.has_out && v0.has_in);
	assert_true(v0.port.rcvd >= 100000);
	close(l);
	take(snap(e), port, &v1); /* just closed: still there */
	assert_true(v1.has_port && v1.has_out && v1.has_in);
	usleep(1300 * 1000);
	take(snap(e), port, &v2);
	assert_false(v2.has_out);
	assert_false(v2.has_in);
	if (no_iter) {
		assert_true(v2.has_port);
	} else {
		assert_false(v2.has_port);
		/* a listener on the port again: the row is back, continued */
		l = tp_listen(&port);
		assert_true(l >= 0);
		take(snap(e), port, &v3);
		assert_true(v3.has_port);
		assert_traffic("port row back", v3.port, v1.port);
		assert_int_equal(tp_connect(l, port, &c, &a), 0);
		assert_int_equal(tp_transfer(c, a, 1000), 0);
		assert_int_equal(tp_finish(c, a, &ct, &at), 0);
		close(l);
		take(snap(e), port, &v3);
		assert_true(v3.has_port && v3.has_out && v3.has_in);
		assert_true(v3.port.rcvd >= v1.port.rcvd + 1000);
		assert_true(v3.out.sent >= v1.out.sent + 1000);
		assert_true(v3.in.rcvd >= v1.in.rcvd + 1000);
	}
	/* totals are not rows: they never drop */
	assert_true(v2.total.sent >= v1.total.sent && v2.total.segs_in >= v1.total.segs_in);
	ebs_close(e);
	unsetenv("EBPFSTATS_TEST_NO_ITER");
}

static void test_stale_rows(void **state)
{
	(void)state;
	stale_rows(false);
}

static void test_stale_rows_no_iter(void **state)
{
	(void)state;
	stale_rows(true);
}

/* ---- RTT per connection (issue 19) ------------------------------------ */

/* RTT_N loopback connections whose smoothed RTTs stand apart from other
 * loopback traffic's (tens of µs): RTT_ROUNDS 1-byte requests, each
 * answered RTT_DELAY_US later, so that the client's RTT samples are the
 * server's delay (its ACK rides on the answer) and its srtt ends near
 * 16 ms; the server's comes from the client's delayed ACKs (a few ms).
 * Then idle: no segment moves, and every srtt stays what TCP_INFO says. */
#define RTT_N 4
#define RTT_ROUNDS 12
#define RTT_DELAY_US 20000

struct rtt_conns {
	int l, fd[2 * RTT_N]; /* clients, then their servers' ends */
	uint32_t rtt_us[2 * RTT_N];
	struct tcp_info ti[2 * RTT_N];
};

static void tcp_info_of(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len), 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rtt_open(struct rtt_conns *k)
{
	uint16_t port = 0;
	char b;

	k->l = tp_listen(&port);
	assert_true(k->l >= 0);
	for (int i = 0; i < RTT_N; i++)
		assert_int_equal(tp_connect(k->l, port, &k->fd[i], &k->fd[RTT_N + i]), 0);
	for (int r = 0; r < RTT_ROUNDS; r++) {
		for (int i = 0; i < RTT_N; i++)
			assert_int_equal(write(k->fd[i], "q", 1), 1);
		usleep(RTT_DELAY_US);
		for (int i = 0; i < RTT_N; i++) {
			assert_int_equal(read(k->fd[RTT_N + i], &b, 1), 1);
			assert_int_equal(write(k->fd[RTT_N + i], "a", 1), 1);
			assert_int_equal(read(k->fd[i], &b, 1), 1);
		}
	}
	/* the clients' delayed ACKs of the last answers (40 ms) */
	usleep(300000);
	for (int i = 0; i < 2 * RTT_N; i++) {
		tcp_info_of(k->fd[i], &k->ti[i]);
		k->rtt_us[i] = k->ti[i].tcpi_rtt;
	}
}

/* The RTTs have not moved since rtt_open() (no segment since): what the
 * test expects of the histogram rests on it. */
static void rtt_still(const struct rtt_conns *k)
{
	struct tcp_info ti;

	for (int i = 0; i < 2 * RTT_N; i++) {
		tcp_info_of(k->fd[i], &ti);
		if (ti.tcpi_rtt != k->rtt_us[i])
			fail_msg("socket %d: srtt moved from %u to %u µs while idle", i,
				 k->rtt_us[i], ti.tcpi_rtt);
	}
}

/* Distinct histogram buckets of the sockets' RTTs (ns, as the module
 * records them), with how many sockets each holds; the count. */
static int rtt_buckets(const struct rtt_conns *k, unsigned *b, unsigned *socks)
{
	int n = 0;

	for (int i = 0; i < 2 * RTT_N; i++) {
		unsigned x = ebs_hist_bucket_of((uint64_t)k->rtt_us[i] * 1000), j;

		/* the loopback noise sits in far lower buckets */
		assert_true(k->rtt_us[i] >= 1000);
		for (j = 0; j < (unsigned)n && b[j] != x; j++)
			;
		if (j == (unsigned)n) {
			b[n] = x;
			socks[n++] = 0;
		}
		socks[j]++;
	}
	return n;
}

/* What the snapshot's RTT histogram holds in those buckets. */
static void rtt_take(const struct ebs_snapshot *s, const unsigned *b, int n, uint64_t *out)
{
	for (int j = 0; j < n; j++)
		out[j] = s->tcp.rtt.slot[b[j]];
}

/* Default (per connection): RTT_N connections held idle for `hold`
 * seconds while two readers on the same pins (or one, private) take
 * snapshots every 100 ms between them.  Each socket gets one sample at the
 * first iterator run, then one at the first run a second or more after
 * its last.  Snapshot i runs from s_i to e_i (its iterator visits the
 * socket in between), so two visits are at most G = max(e_i - s_(i-1))
 * apart, and the k samples after the first snapshot's satisfy
 * floor((s_last - e_0) / (1 + G)) <= k <= floor(e_last - s_0): a sample
 * comes at most 1 + G after the one before, and never less than 1.  Then
 * each socket gives exactly one more as it leaves ESTABLISHED.  Every
 * sample falls in the bucket of its socket's TCP_INFO srtt (the
 * histogram's bound: 1/16 of the value). */
static void rtt_live(struct ebs *e1, struct ebs *e2)
{
	const double hold = 4.0;
	struct rtt_conns k;
	unsigned b[2 * RTT_N], socks[2 * RTT_N];
	uint64_t h0[2 * RTT_N], h1[2 * RTT_N], h2[2 * RTT_N], n0, n1;
	double s0, e0, sl, el, gap = 0;
	int n, turn = 0;

	rtt_open(&k);
	n = rtt_buckets(&k, b, socks);
	/* the first snapshot takes one sample of each socket */
	s0 = now_s();
	const struct ebs_snapshot *s = snap(e1);
	e0 = el = now_s();
	rtt_take(s, b, n, h0);
	n0 = s->tcp.rtt_samples;
	sl = s0;
	do {
		double ps = sl; /* the last snapshot's start */

		usleep(100000);
		sl = now_s();
		s = snap(turn++ % 2 && e2 ? e2 : e1);
		el = now_s();
		if (el - ps > gap)
			gap = el - ps;
	} while (el - s0 < hold);
	rtt_take(s, b, n, h1);
	n1 = s->tcp.rtt_samples;
	rtt_still(&k);

	uint64_t kmin = (uint64_t)((sl - e0) / (1 + gap)), kmax = (uint64_t)(el - s0);
	fprintf(stderr,
		"# rtt: client %u µs, server %u µs; %d snapshots over %.2f s, visits %.3f s apart "
		"at most: %llu..%llu samples a socket\n",
		k.rtt_us[0], k.rtt_us[RTT_N], turn + 1, el - s0, gap, (unsigned long long)kmin,
		(unsigned long long)kmax);
	assert_true(n1 - n0 >= 2 * RTT_N * kmin);
	for (int j = 0; j < n; j++) {
		uint64_t d = h1[j] - h0[j];

		fprintf(stderr, "# bucket %u (%.0f..%.0f µs): %u sockets, %llu samples\n", b[j],
			ebs_hist_lower(b[j]) / 1e3, ebs_hist_upper(b[j]) / 1e3, socks[j],
			(unsigned long long)d);
		if (d < socks[j] * kmin || d > socks[j] * kmax)
			fail_msg("bucket %u: %llu samples while held, want %llu..%llu", b[j],
				 (unsigned long long)d, (unsigned long long)(socks[j] * kmin),
				 (unsigned long long)(socks[j] * kmax));
	}
	/* the close: each end leaves ESTABLISHED once (FIN_WAIT1, CLOSE_WAIT) */
	for (int i = 0; i < 2 * RTT_N; i++)
		close(k.fd[i]);
	close(k.l);
	usleep(100000);
	s = snap(e1);
	rtt_take(s, b, n, h2);
	for (int j = 0; j < n; j++)
		if (h2[j] - h1[j] != socks[j])
			fail_msg("bucket %u: %llu samples at close, want %u (one a socket)", b[j],
				 (unsigned long long)(h2[j] - h1[j]), socks[j]);
}

static void test_rtt_live(void **state)
{
	struct ebs_config cfg;

	(void)state;
	ebs_config_init(&cfg);
	snprintf(cfg.pin_path, sizeof(cfg.pin_path), "%s", pin_root);
	struct ebs *loader = open_cfg(&cfg);
	assert_ok(snap(loader));
	struct ebs *reader = open_cfg(&cfg);
	assert_true(snap(reader)->modules[EBS_FAM_TCP].reused_pins);
	rtt_live(loader, reader);
	ebs_close(reader);
	ebs_close(loader);
}

/* The hash tracker's programs (no atomics): the same numbers. */
static void test_rtt_live_hash(void **state)
{
	(void)state;
	setenv("EBPFSTATS_TEST_HASH_STATE", "1", 1);
	struct ebs *e = open_private();
	assert_ok(snap(e));
	rtt_live(e, NULL);
	ebs_close(e);
	unsetenv("EBPFSTATS_TEST_HASH_STATE");
}

/* The state programs' raw_tp and classic tracepoint twins (forced with
 * EBPFSTATS_TEST_ATTACH) read srtt_us at the end of a connection alike. */
static void test_rtt_live_flavours(void **state)
{
	static const char *const kinds[] = {"raw_tp", "tracepoint"};

	(void)state;
	for (int i = 0; i < 2; i++) {
		setenv("EBPFSTATS_TEST_ATTACH", kinds[i], 1);
		struct ebs *e = open_private();
		const struct ebs_snapshot *s = snap(e);
		assert_ok(s);
		assert_string_equal(s->modules[EBS_FAM_TCP].attach, kinds[i]);
		rtt_live(e, NULL);
		ebs_close(e);
	}
	unsetenv("EBPFSTATS_TEST_ATTACH");
}

/* tcp_rtt_per_segment: tcp_probe samples every segment an established
 * socket receives (sample_rate 100), at least what TCP_INFO's segs_in of
 * the test's sockets says they received (the counter is host-wide); an
 * idle connection gives none, and neither does the iterator.  In each of
 * the three flavours of the tcp_probe program. */
static void rtt_per_segment(const char *kind)
{
	struct ebs_config cfg;
	struct rtt_conns k;
	unsigned b[2 * RTT_N], socks[2 * RTT_N];
	uint64_t h0[2 * RTT_N], h1[2 * RTT_N], n0, segs = 0;
	int n;

	if (kind)
		setenv("EBPFSTATS_TEST_ATTACH", kind, 1);
	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	cfg.tcp_rtt_seg = true;
	struct ebs *e = open_cfg(&cfg);
	assert_ok(snap(e));
	assert_string_equal(snap(e)->modules[EBS_FAM_TCP].attach, kind ? kind : "tp_btf");
	n0 = snap(e)->tcp.rtt_samples;
	rtt_open(&k);
	const struct ebs_snapshot *s = snap(e);
	/* every segment received but the handshake's (the client gets its
	 * one in SYN_SENT, the server its two before the child is
	 * ESTABLISHED): all through tcp_rcv_established(), one skb each */
	for (int i = 0; i < 2 * RTT_N; i++)
		segs += k.ti[i].tcpi_segs_in - (i < RTT_N ? 1 : 2);
	fprintf(stderr, "# rtt per segment (%s): %llu samples, the test's sockets received %llu\n",
		kind ? kind : "tp_btf", (unsigned long long)(s->tcp.rtt_samples - n0),
		(unsigned long long)segs);
	assert_true(s->tcp.rtt_samples - n0 >= segs);
	n = rtt_buckets(&k, b, socks);
	rtt_take(s, b, n, h0);
	for (int i = 0; i < 15; i++) {
		usleep(100000);
		s = snap(e);
	}
	rtt_take(s, b, n, h1);
	rtt_still(&k);
	for (int j = 0; j < n; j++)
		if (h1[j] != h0[j])
			fail_msg("bucket %u: %llu samples of idle connections", b[j],
				 (unsigned long long)(h1[j] - h0[j]));
	for (int i = 0; i < 2 * RTT_N; i++)
		close(k.fd[i]);
	close(k.l);
	ebs_close(e);
	unsetenv("EBPFSTATS_TEST_ATTACH");
}

static void test_rtt_per_segment(void **state)
{
	(void)state;
	rtt_per_segment(NULL);
	rtt_per_segment("raw_tp");
	rtt_per_segment("tracepoint");
}

static int clear_test_env(void **state)
{
	(void)state;
	unsetenv("EBPFSTATS_TEST_HASH_STATE");
	unsetenv("EBPFSTATS_TEST_NO_ITER");
	unsetenv("EBPFSTATS_TEST_ATTACH");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_live_bytes, clear_test_env),
		cmocka_unit_test_teardown(test_live_bytes_hash, clear_test_env),
		cmocka_unit_test_teardown(test_live_bytes_fallback, clear_test_env),
		cmocka_unit_test_teardown(test_live_bytes_pinned, clear_test_env),
		cmocka_unit_test_teardown(test_live_churn, clear_test_env),
		cmocka_unit_test_teardown(test_live_churn_two_readers, clear_test_env),
		cmocka_unit_test_teardown(test_segs_vs_proc, clear_test_env),
		cmocka_unit_test_teardown(test_stale_rows, clear_test_env),
		cmocka_unit_test_teardown(test_stale_rows_no_iter, clear_test_env),
		cmocka_unit_test_teardown(test_rtt_live, clear_test_env),
		cmocka_unit_test_teardown(test_rtt_live_hash, clear_test_env),
		cmocka_unit_test_teardown(test_rtt_live_flavours, clear_test_env),
		cmocka_unit_test_teardown(test_rtt_per_segment, clear_test_env),
	};
	char err[EBS_ERR_LEN];
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "test_tcp_live: needs root (CAP_BPF+CAP_PERFMON); skipped\n");
		return 77;
	}
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/ebs-tcplive-%d", (int)getpid());
	/* EBS_TEST_FILTER=test_stale_rows: one test (a glob) */
	if (getenv("EBS_TEST_FILTER"))
		cmocka_set_test_filter(getenv("EBS_TEST_FILTER"));
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ebs_unload(pin_root, err, sizeof(err));
	return rc;
}
