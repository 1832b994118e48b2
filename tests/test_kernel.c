/* Integration tests against the real kernel: load the real programs, run a
 * known workload, assert the numbers it must produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "catalog.h"
#include "module.h"
#include "workload.h"

#define COMM "ebs-kt-wl"

static char pin_root[128];

static struct ebs *open_cfg(struct ebs_config *cfg)
{
	char err[EBS_ERR_LEN];
	struct ebs *e = ebs_open(cfg, err, sizeof(err));

	if (!e)
		fail_msg("ebs_open: %s", err);
	return e;
}

static struct ebs *open_private(void)
{
	struct ebs_config cfg;

	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	return open_cfg(&cfg);
}

static const struct ebs_snapshot *snap(struct ebs *e)
{
	char err[EBS_ERR_LEN];
	const struct ebs_snapshot *s = ebs_snapshot(e, err, sizeof(err));

	if (!s)
		fail_msg("ebs_snapshot: %s", err);
	return s;
}

static const struct ebs_syscall_row *sysrow(const struct ebs_snapshot *s, uint32_t nr)
{
	for (uint32_t i = 0; i < s->n_syscalls; i++)
		if (s->syscalls[i].nr == nr)
			return &s->syscalls[i];
	return NULL;
}

static uint64_t calls(const struct ebs_snapshot *s, uint32_t nr)
{
	const struct ebs_syscall_row *r = sysrow(s, nr);
	return r ? r->calls : 0;
}

static uint64_t hist_sum(const struct ebs_hist *h)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < EBS_HIST_SLOTS; i++)
		n += h->slot[i];
	return n;
}

static void assert_running(const struct ebs_snapshot *s, enum ebs_family f)
{
	if (s->modules[f].status != EBS_ST_OK)
		fail_msg("module %s is %s: %s", s->modules[f].name,
			 ebs_status_name(s->modules[f].status), s->modules[f].reason);
}

/* N getppid calls from a child whose comm is the only one included: the
 * syscall row must advance by exactly N, with N latency samples. */
static void test_getppid_exact(void **state)
{
	struct ebs_config cfg;
	const unsigned N = 5000;
	struct ebs *e;
	uint64_t before, lat_before;

	(void)state;
	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	snprintf(cfg.include[0], EBS_COMM_LEN, "%s", COMM);
	cfg.n_include = 1;
	e = open_cfg(&cfg);
	const struct ebs_snapshot *s = snap(e);
	assert_running(s, EBS_FAM_SYSCALLS);
	before = calls(s, SYS_getppid);
	lat_before = sysrow(s, SYS_getppid) ? hist_sum(&sysrow(s, SYS_getppid)->hist) : 0;

	assert_int_equal(wl_getppid(COMM, N), 0);
	s = snap(e);
	assert_non_null(sysrow(s, SYS_getppid));
	assert_int_equal(calls(s, SYS_getppid) - before, N);
	assert_int_equal(sysrow(s, SYS_getppid)->errors, 0);
	assert_int_equal(hist_sum(&sysrow(s, SYS_getppid)->hist) - lat_before, N);
	assert_string_equal(sysrow(s, SYS_getppid)->name, "getppid");
	/* the filter saw other processes' calls and skipped them */
	assert_true(s->sys.filtered > 0);
	ebs_close(e);
}

/* Without a filter the global count includes everybody: at least N. */
static void test_getppid_global_and_errors(void **state)
{
	const unsigned N = 3000, E = 700;
	struct ebs *e = open_private();
	const struct ebs_snapshot *s = snap(e);
	uint64_t g0 = calls(s, SYS_getppid), f0 = calls(s, SYS_flock);
	uint64_t fe0 = sysrow(s, SYS_flock) ? sysrow(s, SYS_flock)->errors : 0;
	uint64_t tot0 = s->sys.calls, err0 = s->sys.errors;

	(void)state;
	assert_int_equal(wl_getppid(COMM, N), 0);
	assert_int_equal(wl_errors(COMM, E), 0);
	s = snap(e);
	assert_true(calls(s, SYS_getppid) - g0 >= N);
	assert_true(calls(s, SYS_flock) - f0 >= E);
	assert_true(sysrow(s, SYS_flock)->errors - fe0 >= E);
	assert_true(s->sys.calls - tot0 >= N + E);
	assert_true(s->sys.errors - err0 >= E);
	/* percentiles over this interval exist and are ordered */
	assert_true(s->sys.pct.samples >= N);
	assert_true(s->sys.pct.p50 <= s->sys.pct.p90);
	assert_true(s->sys.pct.p90 <= s->sys.pct.p99);
	ebs_close(e);
}

/* Latency off: one hook, counts and errors still exact, no latency samples. */
static void test_latency_off(void **state)
{
	struct ebs_config cfg;
	const unsigned N = 2000;

	(void)state;
	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	cfg.syscall_latency = false;
	snprintf(cfg.include[0], EBS_COMM_LEN, "%s", COMM);
	cfg.n_include = 1;
	struct ebs *e = open_cfg(&cfg);
	const struct ebs_snapshot *s = snap(e);
	uint64_t before = calls(s, SYS_getppid);

	assert_int_equal(wl_getppid(COMM, N), 0);
	assert_int_equal(wl_errors(COMM, 10), 0);
	s = snap(e);
	assert_int_equal(calls(s, SYS_getppid) - before, N);
	assert_int_equal(sysrow(s, SYS_flock)->errors, 10);
	assert_int_equal(hist_sum(&s->sys.hist), 0);
	ebs_close(e);
}

static const struct ebs_tcp_port_row *portrow(const struct ebs_snapshot *s, uint16_t port)
{
	for (uint32_t i = 0; i < s->n_tcp_ports; i++)
		if (s->tcp_ports[i].port == port)
			return &s->tcp_ports[i];
	return NULL;
}

static uint64_t trans(const struct ebs_snapshot *s, uint32_t from, uint32_t to)
{
	for (uint32_t i = 0; i < s->n_tcp_trans; i++)
		if (s->tcp_trans[i].old_state == from && s->tcp_trans[i].new_state == to)
			return s->tcp_trans[i].count;
	return 0;
}

/* M loopback connects: M active opens, M passive opens, M accepts on the
 * listener's port, M SYN_SENT->ESTABLISHED transitions. */
static void test_tcp_connects(void **state)
{
	const unsigned M = 40;
	struct ebs *e = open_private();
	const struct ebs_snapshot *s = snap(e);
	uint16_t port = 0;

	(void)state;
	assert_running(s, EBS_FAM_TCP);
	uint64_t a0 = s->tcp.active_opens, p0 = s->tcp.passive_opens;
	uint64_t t0 = trans(s, 2 /* SYN_SENT */, 1 /* ESTABLISHED */);
	uint64_t c0 = s->tcp.closes, rs0 = s->tcp.resets_sent, rr0 = s->tcp.resets_received;
	int64_t est0 = s->tcp_states[0].sockets;

	assert_int_equal(wl_tcp(M, &port), 0);
	assert_int_equal(wl_tcp_refused(), 0);
	usleep(100 * 1000); /* let FIN/TIME_WAIT transitions settle */
	s = snap(e);
	assert_true(s->tcp.active_opens - a0 >= M);
	assert_true(s->tcp.passive_opens - p0 >= M);
	assert_true(trans(s, 2, 1) - t0 >= M);
	assert_true(s->tcp.closes - c0 >= 2 * M);
	/* the refused connect: our stack sent a RST and the client got it */
	assert_true(s->tcp.resets_sent - rs0 >= 1);
	(void)rr0;
	const struct ebs_tcp_port_row *pr = portrow(s, port);
	assert_non_null(pr);
	assert_int_equal(pr->accepts, M);
	/* every connection was closed again: no leak in the live gauge */
	assert_true(s->tcp_states[0].sockets <= est0 + 2);
	assert_true(s->tcp.connect_pct.samples >= M);
	ebs_close(e);
}

/* K ping-pong round trips: each side blocks K times, so at least K
 * voluntary switches and K run-queue samples; F forks counted. */
static void test_sched_pingpong(void **state)
{
	const unsigned K = 3000, F = 25;
	struct ebs *e = open_private();
	const struct ebs_snapshot *s = snap(e);

	(void)state;
	assert_running(s, EBS_FAM_SCHED);
	assert_int_equal(s->n_cpus, (uint32_t)sysconf(_SC_NPROCESSORS_CONF));
	uint64_t vol0 = s->sched.switches_vol, rq0 = s->sched.runq_samples;
	uint64_t fk0 = s->sched.forks, wk0 = s->sched.wakeups, cpu_vol0 = 0;
	for (uint32_t i = 0; i < s->n_cpus; i++)
		cpu_vol0 += s->cpus[i].switches_vol;

	assert_int_equal(wl_pingpong(K), 0);
	assert_int_equal(wl_forks(F), 0);
	s = snap(e);
	assert_true(s->sched.switches_vol - vol0 >= K);
	assert_true(s->sched.runq_samples - rq0 >= K);
	assert_true(s->sched.wakeups - wk0 >= K);
	assert_true(s->sched.forks - fk0 >= F);
	uint64_t cpu_vol = 0;
	for (uint32_t i = 0; i < s->n_cpus; i++)
		cpu_vol += s->cpus[i].switches_vol;
	/* per-CPU rows add up to the totals */
	assert_int_equal(cpu_vol, s->sched.switches_vol);
	assert_true(cpu_vol - cpu_vol0 >= K);
	assert_true(s->sched.runq_pct.samples >= K);
	ebs_close(e);
}

/* Pinning: a second handle reuses the first one's programs and sees the same
 * counters; they survive both handles closing; unload removes them. */
static void test_pins_shared_and_survive(void **state)
{
	struct ebs_config cfg;
	const unsigned N = 1000;
	char err[EBS_ERR_LEN];
	struct stat st;

	(void)state;
	ebs_config_init(&cfg);
	snprintf(cfg.pin_path, sizeof(cfg.pin_path), "%s", pin_root);
	struct ebs *a = open_cfg(&cfg);
	const struct ebs_snapshot *sa = snap(a);
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		assert_running(sa, f);
		assert_false(sa->modules[f].reused_pins);
	}
	struct ebs *b = open_cfg(&cfg);
	const struct ebs_snapshot *sb = snap(b);
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		assert_true(sb->modules[f].reused_pins);
	assert_int_equal(sa->loaded_unix_ms, sb->loaded_unix_ms);

	uint64_t a0 = calls(sa, SYS_getppid);
	assert_int_equal(wl_getppid(COMM, N), 0);
	sa = snap(a);
	uint64_t a1 = calls(sa, SYS_getppid);
	ebs_close(a);
	sb = snap(b);
	assert_true(a1 - a0 >= N);
	assert_true(calls(sb, SYS_getppid) >= a1); /* same maps, not a second load */
	ebs_close(b);

	/* nobody holds them now: the pinned links keep counting */
	assert_int_equal(wl_getppid(COMM, N), 0);
	struct ebs *c = open_cfg(&cfg);
	const struct ebs_snapshot *sc = snap(c);
	assert_true(sc->modules[EBS_FAM_SYSCALLS].reused_pins);
	assert_true(calls(sc, SYS_getppid) >= a1 + N);
	ebs_close(c);

	assert_true(ebs_unload(cfg.pin_path, err, sizeof(err)) > 0);
	assert_int_equal(stat(cfg.pin_path, &st), -1);
	struct ebs *d = open_cfg(&cfg);
	const struct ebs_snapshot *sd = snap(d);
	assert_false(sd->modules[EBS_FAM_SYSCALLS].reused_pins);
	assert_true(calls(sd, SYS_getppid) < a1); /* fresh programs, fresh counters */
	ebs_close(d);
	assert_true(ebs_unload(cfg.pin_path, err, sizeof(err)) > 0);
}

/* A required tracepoint that is missing makes its module unavailable with a
 * reason; the other families keep counting.  A missing optional one only
 * degrades its module. */
static void test_degradation(void **state)
{
	const unsigned N = 500;

	(void)state;
	setenv("EBPFSTATS_TEST_HIDE_TRACEPOINT", "sched:sched_switch,tcp:tcp_probe", 1);
	struct ebs *e = open_private();
	unsetenv("EBPFSTATS_TEST_HIDE_TRACEPOINT");
	const struct ebs_snapshot *s = snap(e);

	assert_int_equal(s->modules[EBS_FAM_SCHED].status, EBS_ST_UNAVAILABLE);
	assert_non_null(strstr(s->modules[EBS_FAM_SCHED].reason, "sched:sched_switch"));
	assert_int_equal(s->modules[EBS_FAM_TCP].status, EBS_ST_DEGRADED);
	assert_non_null(strstr(s->modules[EBS_FAM_TCP].reason, "tcp:tcp_probe"));
	assert_running(s, EBS_FAM_SYSCALLS);
	assert_int_equal(s->n_cpus, 0);
	uint64_t g0 = calls(s, SYS_getppid);
	assert_int_equal(wl_getppid(COMM, N), 0);
	s = snap(e);
	assert_true(calls(s, SYS_getppid) - g0 >= N);
	ebs_close(e);
}

/* No BTF: every family says so, the handle still opens. */
static void test_missing_btf(void **state)
{
	struct ebs_config cfg;

	(void)state;
	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	snprintf(cfg.btf_path, sizeof(cfg.btf_path), "/nonexistent/vmlinux.btf");
	struct ebs *e = open_cfg(&cfg);
	const struct ebs_snapshot *s = snap(e);
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		assert_int_equal(s->modules[f].status, EBS_ST_UNAVAILABLE);
		assert_non_null(strstr(s->modules[f].reason, "/nonexistent/vmlinux.btf"));
	}
	assert_int_equal(s->n_syscalls, 0);
	ebs_close(e);
}

/* A family switched off in the config says which key did it. */
static void test_disabled_family(void **state)
{
	struct ebs_config cfg;

	(void)state;
	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	cfg.collect[EBS_FAM_TCP] = false;
	struct ebs *e = open_cfg(&cfg);
	const struct ebs_snapshot *s = snap(e);
	assert_int_equal(s->modules[EBS_FAM_TCP].status, EBS_ST_DISABLED);
	assert_non_null(strstr(s->modules[EBS_FAM_TCP].reason, "collect_tcp"));
	assert_running(s, EBS_FAM_SYSCALLS);
	ebs_close(e);
}

/* Per-CPU values are summed word by word over every possible CPU. */
static void test_percpu_sum(void **state)
{
	struct val {
		uint64_t a, b;
	};
	int ncpus = libbpf_num_possible_cpus();
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ebs_t_sum", 4, sizeof(struct val), 2,
				NULL);
	uint32_t key = 1;
	uint64_t out[2];

	(void)state;
	assert_true(ncpus > 0);
	assert_true(fd >= 0);
	struct val *v = calloc((size_t)ncpus, sizeof(*v));
	assert_non_null(v);
	for (int c = 0; c < ncpus; c++)
		v[c] = (struct val){.a = (uint64_t)c + 1, .b = 1000};
	assert_int_equal(bpf_map_update_elem(fd, &key, v, BPF_ANY), 0);
	assert_int_equal(ebs_percpu_sum(fd, &key, sizeof(struct val), ncpus, out, 2), 0);
	assert_int_equal(out[0], (uint64_t)ncpus * (ncpus + 1) / 2);
	assert_int_equal(out[1], 1000u * (uint64_t)ncpus);
	key = 0; /* never written: zeros */
	assert_int_equal(ebs_percpu_sum(fd, &key, sizeof(struct val), ncpus, out, 2), 0);
	assert_int_equal(out[0] + out[1], 0);
	key = 7; /* out of range: an error, and zeros */
	assert_true(ebs_percpu_sum(fd, &key, sizeof(struct val), ncpus, out, 2) < 0);
	assert_int_equal(out[0] + out[1], 0);
	free(v);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percpu_sum),
		cmocka_unit_test(test_getppid_exact),
		cmocka_unit_test(test_getppid_global_and_errors),
		cmocka_unit_test(test_latency_off),
		cmocka_unit_test(test_tcp_connects),
		cmocka_unit_test(test_sched_pingpong),
		cmocka_unit_test(test_pins_shared_and_survive),
		cmocka_unit_test(test_degradation),
		cmocka_unit_test(test_missing_btf),
		cmocka_unit_test(test_disabled_family),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_kernel: needs root (CAP_BPF+CAP_PERFMON); skipped\n");
		return 77;
	}
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/ebs-test-%d", (int)getpid());
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char err[EBS_ERR_LEN];
	ebs_unload(pin_root, err, sizeof(err));
	return rc;
}
