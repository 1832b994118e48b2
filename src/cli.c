/* ebpfstats: the operator's view of the core.
 *   ebpfstats [show] [-c FILE] [-i SEC] [-n COUNT] [--json]
 *   ebpfstats check [-c FILE] [--pin-path DIR]
 *   ebpfstats unload [-c FILE] [--pin-path DIR]
 *   ebpfstats catalog [--json | --oid-root]
 *   ebpfstats top [-c FILE] [-i SEC] [-n COUNT] [--by runq|syscalls] [--rows N]
 * Exit codes of check: 0 every enabled module ok, 1 some degraded,
 * 2 some enabled module unavailable; 3 usage or config error (all commands).
 * check changes nothing: it reads existing pins and loads private programs
 * where there are none, gone when it exits (ebs_open_probe). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "oids.h"

#define EXIT_USAGE 3

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ebpfstats [show] [-c FILE] [-i SECONDS] [-n COUNT] [--json]\n"
		"       ebpfstats check [-c FILE] [--pin-path DIR]\n"
		"       ebpfstats unload [-c FILE] [--pin-path DIR]\n"
		"       ebpfstats catalog [--json | --oid-root]\n"
		"       ebpfstats top [-c FILE] [-i SECONDS] [-n COUNT] [--by runq|syscalls] "
		"[--rows N]\n"
		"options:\n"
		"  -c, --config FILE   YAML config (default: built-in defaults)\n"
		"  -i, --interval SEC  refresh interval (default: the config's, 10 s)\n"
		"  -n, --count N       stop after N refreshes\n"
		"  -j, --json          show: print one snapshot as JSON, taken after one interval;\n"
		"                      catalog: every metric's names (collectd, MIB object, OID)\n"
		"      --oid-root      catalog: print the MIB's root OID\n"
		"  -p, --pin-path DIR  override pin_path (\"\" = private programs)\n"
		"      --by KEY        top: order by run-queue p99 (runq, the default) or\n"
		"                      by system calls per second (syscalls)\n"
		"      --rows N        top: cgroups listed per refresh (default 20)\n"
		"  -V, --version       print the version\n"
		"commands:\n"
		"  show     print snapshots; loads the programs (or reuses pinned ones) and\n"
		"           pins them under pin_path: they stay attached for the other\n"
		"           front-ends until 'unload'\n"
		"  check    what a front-end started now would get, per module; changes\n"
		"           nothing: reads existing pins (and says what is wrong with them),\n"
		"           loads private programs where there are none and unloads them\n"
		"           before it exits, never pins, creates or removes anything;\n"
		"           exit 0 ok, 1 degraded, 2 unavailable, 3 usage or config error\n"
		"  unload   remove every pin under pin_path (the programs detach)\n"
		"  catalog  the metric catalog\n"
		"  top      cgroups (services, containers) by run-queue latency or system\n"
		"           calls, refreshed every interval; turns collect_cgroups on\n");
}

static int sleep_interval(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return stop ? -1 : 0;
}

/* ---- rows without data: what a metric's value is made of ---------------- */

/* An empty row of table t whose key column, when it has one, is "<key>";
 * free() it.  Out of memory: the CLI stops. */
static void *key_row(enum ebs_table t)
{
	const struct ebs_table_desc *d = &ebs_tables[t];
	const struct ebs_metric *k = d->key_metric ? ebs_metric_find(d->key_metric) : NULL;
	char *row = calloc(1, d->row_size);

	if (!row) {
		fprintf(stderr, "ebpfstats: out of memory\n");
		exit(1);
	}
	if (k && k->vtype == EBS_V_STRPTR)
		*(const char **)(row + k->offset) = "<key>";
	return row;
}

/* A text metric that is its row's key (module.name, syscall.name,
 * file_io.name, tcp.state.name: the descriptors' key_metric): in JSON it
 * would only repeat the key, {"tcp": "tcp"}, so show --json leaves it out.
 * Decided by metric, so that a snapshot's data never changes the schema. */
static bool is_row_key(const struct ebs_metric *m)
{
	const char *k = ebs_tables[m->table].key_metric;

	return k && strcmp(k, m->id) == 0;
}

/* ---- JSON ----------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_value(FILE *f, const struct ebs_metric *m, const void *row)
{
	switch (m->vtype) {
	case EBS_V_STR:
	case EBS_V_STRPTR:
	case EBS_V_STATUS: json_str(f, ebs_metric_str(m, row)); break;
	case EBS_V_DOUBLE:
	case EBS_V_I64: {
		double v = ebs_metric_double(m, row);

		/* JSON has no NaN or infinity: null, as docs/json.md says */
		if (!isfinite(v))
			fputs("null", f);
		else
			fprintf(f, m->vtype == EBS_V_I64 ? "%.0f" : "%.3f", v);
		break;
	}
	default: fprintf(f, "%" PRIu64, ebs_metric_u64(m, row));
	}
}

/* The events of this snapshot against the one before (src/events.c), as
 * the subagent and the collectd plugin send them. */
static void json_events(FILE *f, const struct ebs_events *ev)
{
	fputs(",\"events\":[", f);
	for (unsigned i = 0; i < ev->n; i++) {
		char text[EBS_REASON_LEN + 128];

		ebs_event_text(&ev->ev[i], text, sizeof(text));
		fprintf(f, "%s{\"type\":", i ? "," : "");
		json_str(f, ebs_event_name(ev->ev[i].type));
		fputs(",\"module\":", f);
		json_str(f,
			 ev->ev[i].family < EBS_FAM_COUNT ? ebs_family_name(ev->ev[i].family) : "");
		if (ev->ev[i].type == EBS_EV_OOM_KILL) {
			fprintf(f, ",\"pid\":%" PRIu32 ",\"comm\":", ev->ev[i].pid);
			json_str(f, ev->ev[i].comm);
			fputs(",\"cgroup\":", f);
			json_str(f, ev->ev[i].cgroup);
		}
		fputs(",\"text\":", f);
		json_str(f, text);
		fputc('}', f);
	}
	fprintf(f, "],\"notifications_suppressed\":%" PRIu64, ev->suppressed_total);
}

/* docs/json.md describes this output */
static void print_json(FILE *f, const struct ebs_snapshot *s, const struct ebs_events *ev)
{
	bool first = true;

	fprintf(f,
		"{\"version\":\"%s\",\"taken_unix_ms\":%" PRIu64 ",\"interval_ns\":%" PRIu64
		",\"loaded_unix_ms\":%" PRIu64 ",\"metrics\":{",
		EBS_VERSION, s->taken_unix_ms, s->interval_ns, s->loaded_unix_ms);
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *m = &ebs_catalog[i];
		size_t rows = ebs_table_rows(s, m->table);

		if (is_row_key(m))
			continue;
		fprintf(f, "%s\n", first ? "" : ",");
		first = false;
		json_str(f, m->id);
		if (m->table == EBS_T_GLOBAL) {
			fputc(':', f);
			json_value(f, m, s);
			continue;
		}
		fputs(":{", f);
		for (size_t r = 0; r < rows; r++) {
			const void *row = ebs_table_row(s, m->table, r);
			char key[EBS_CG_NAME_LEN + 32];
			ebs_row_key(m->table, row, key, sizeof(key));
			fprintf(f, "%s", r ? "," : "");
			json_str(f, key);
			fputc(':', f);
			json_value(f, m, row);
		}
		fputc('}', f);
	}
	fputc('}', f);
	json_events(f, ev);
	fputs("}\n", f);
}

/* ---- human summary ----------------------------------------------------- */

/* The five processes with the most on-CPU time since load (sched's rows
 * of the process table), on one line. */
static void print_top_cpu(const struct ebs_snapshot *s)
{
	const struct ebs_proc_row *top[5] = {0};
	char key[64];

	for (uint32_t i = 0; i < s->n_procs; i++) {
		const struct ebs_proc_row *p = &s->procs[i];

		for (unsigned k = 0; k < 5; k++)
			if (p->oncpu_ns && (!top[k] || p->oncpu_ns > top[k]->oncpu_ns)) {
				memmove(&top[k + 1], &top[k], (4 - k) * sizeof(top[0]));
				top[k] = p;
				break;
			}
	}
	printf("  on-CPU since load (%" PRIu32 " processes):", s->n_procs);
	for (unsigned k = 0; k < 5 && top[k]; k++) {
		ebs_row_key(EBS_T_PROC, top[k], key, sizeof(key));
		printf(" %s %.2f s", key, (double)top[k]->oncpu_ns / 1e9);
	}
	printf("\n");
}

struct rates {
	uint64_t *calls, *errors; /* by syscall nr, previous values */
	uint32_t n;
	uint64_t *cpu_vol, *cpu_invol;
	uint32_t ncpu;
	uint64_t tcp[6];
	uint64_t sys_calls, sys_errors;
	bool have;
};

static double per_s(uint64_t now, uint64_t before, double secs)
{
	return secs > 0 && now >= before ? (double)(now - before) / secs : 0.0;
}

struct top {
	uint32_t i;
	double rate;
};

static int top_cmp(const void *a, const void *b)
{
	double x = ((const struct top *)a)->rate, y = ((const struct top *)b)->rate;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void print_modules(const struct ebs_snapshot *s)
{
	printf("modules:");
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		const struct ebs_module_stat *m = &s->modules[f];
		printf("  %s %s", m->name, ebs_status_name(m->status));
		if (m->attach[0] && ebs_module_running(s, f))
			printf(" (%s%s)", m->attach,
			       m->reused_pins ? ", pinned by another process" : "");
	}
	printf("\n");
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		if (s->modules[f].reason[0] && s->modules[f].status != EBS_ST_DISABLED)
			printf("  %s: %s\n", s->modules[f].name, s->modules[f].reason);
}

static void print_human(const struct ebs_snapshot *s, struct rates *r)
{
	double secs = (double)s->interval_ns / 1e9;
	const uint64_t tcp_now[6] = {s->tcp.active_opens,    s->tcp.passive_opens,
				     s->tcp.retransmits,     s->tcp.resets_sent,
				     s->tcp.resets_received, s->tcp.closes};
	time_t t = (time_t)(s->taken_unix_ms / 1000);
	char when[32];

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	printf("\n== ebpfstats %s  %s  interval %.1f s\n", EBS_VERSION, when, secs);
	print_modules(s);
	if (s->interval_ns == 0) {
		printf("(first snapshot: rates and percentiles follow after one interval)\n");
		goto remember;
	}

	if (ebs_module_running(s, EBS_FAM_SYSCALLS)) {
		struct top *top = calloc(s->n_syscalls ? s->n_syscalls : 1, sizeof(*top));
		uint32_t n = 0;
		printf("syscalls: %.0f/s, errors %.0f/s, p50 %.1f us, p99 %.1f us\n",
		       r->have ? per_s(s->sys.calls, r->sys_calls, secs) : 0.0,
		       r->have ? per_s(s->sys.errors, r->sys_errors, secs) : 0.0, s->sys.pct.p50,
		       s->sys.pct.p99);
		for (uint32_t i = 0; top && i < s->n_syscalls; i++) {
			uint32_t nr = s->syscalls[i].nr;
			uint64_t before = r->have && nr < r->n ? r->calls[nr]
							       : s->syscalls[i].calls;
			top[n].i = i;
			top[n++].rate = per_s(s->syscalls[i].calls, before, secs);
		}
		if (top)
			qsort(top, n, sizeof(*top), top_cmp);
		printf("  %-20s %12s %10s %10s %10s\n", "top syscall", "calls/s", "errors/s",
		       "p50 us", "p99 us");
		for (uint32_t k = 0; top && k < n && k < 10 && r->have; k++) {
			const struct ebs_syscall_row *row = &s->syscalls[top[k].i];
			char name[32];
			uint64_t eb = row->nr < r->n ? r->errors[row->nr] : row->errors;
			ebs_row_key(EBS_T_SYSCALL, row, name, sizeof(name));
			printf("  %-20s %12.1f %10.1f %10.1f %10.1f\n", name, top[k].rate,
			       per_s(row->errors, eb, secs), row->pct.p50, row->pct.p99);
		}
		free(top);
	}
	if (ebs_module_running(s, EBS_FAM_TCP)) {
		printf("tcp: established %" PRIu64 "  opens/s active %.1f passive %.1f  "
		       "retransmits/s %.1f  resets/s sent %.1f recv %.1f  closes/s %.1f\n",
		       s->tcp.established, per_s(tcp_now[0], r->tcp[0], secs),
		       per_s(tcp_now[1], r->tcp[1], secs), per_s(tcp_now[2], r->tcp[2], secs),
		       per_s(tcp_now[3], r->tcp[3], secs), per_s(tcp_now[4], r->tcp[4], secs),
		       per_s(tcp_now[5], r->tcp[5], secs));
		printf("     connect p50 %.1f us p99 %.1f us  rtt p50 %.1f us p99 %.1f us\n",
		       s->tcp.connect_pct.p50, s->tcp.connect_pct.p99, s->tcp.rtt_pct.p50,
		       s->tcp.rtt_pct.p99);
		printf("     states:");
		for (int i = 0; i < EBS_TCP_NSTATES; i++)
			if (s->tcp_states[i].sockets > 0)
				printf(" %s=%" PRId64, s->tcp_states[i].name,
				       s->tcp_states[i].sockets);
		printf("\n");
	}
	if (ebs_module_running(s, EBS_FAM_SYSCALLS) && s->n_fileio)
		printf("file I/O since load: read %" PRIu64 " B in %" PRIu64
		       " calls, written %" PRIu64 " B in %" PRIu64 " calls, opens %" PRIu64
		       " (+%" PRIu64 " failed)\n",
		       s->fio.read_bytes, s->fio.read_calls, s->fio.write_bytes, s->fio.write_calls,
		       s->fio.opens, s->fio.open_errors);
	if (ebs_module_running(s, EBS_FAM_TCP) && s->n_tcp_peers) {
		const struct ebs_tcp_peer_row *best[5] = {NULL};

		/* the five peers with most connections, since load */
		for (uint32_t i = 0; i < s->n_tcp_peers; i++) {
			const struct ebs_tcp_peer_row *p = &s->tcp_peers[i];
			for (int k = 0; k < 5; k++)
				if (!best[k] || p->connects > best[k]->connects) {
					memmove(&best[k + 1], &best[k],
						(size_t)(4 - k) * sizeof(best[0]));
					best[k] = p;
					break;
				}
		}
		printf("     peers: %" PRIu32 " rows, most connections since load:",
		       s->n_tcp_peers);
		for (int k = 0; k < 5 && best[k]; k++) {
			char key[80];
			ebs_row_key(EBS_T_TCP_PEER, best[k], key, sizeof(key));
			printf(" %s=%" PRIu64, key, best[k]->connects);
		}
		printf("\n");
	}
	if (ebs_module_running(s, EBS_FAM_MEMORY)) {
		printf("memory since load: page faults user %" PRIu64 " kernel %" PRIu64
		       "  OOM kills %" PRIu64,
		       s->mem.faults_user, s->mem.faults_kernel, s->mem.oom_kills);
		if (s->mem.oom_last_pid)
			printf(" (last pid %" PRIu32 " %s)", s->mem.oom_last_pid,
			       s->mem.oom_last_comm);
		uint32_t faulted = 0;
		for (uint32_t i = 0; i < s->n_procs; i++)
			faulted += s->procs[i].faults_user || s->procs[i].faults_kernel;
		printf("  processes %" PRIu32 "\n", faulted);
	}
	if (ebs_module_running(s, EBS_FAM_SCHED)) {
		printf("sched: runq p50 %.1f us p99 %.1f us  forks %" PRIu64 " execs %" PRIu64
		       " exits %" PRIu64 "\n",
		       s->sched.runq_pct.p50, s->sched.runq_pct.p99, s->sched.forks, s->sched.execs,
		       s->sched.exits);
		printf("  %-6s %14s %14s %10s %10s\n", "cpu", "vol switch/s", "invol/s", "runq p50",
		       "runq p99");
		for (uint32_t i = 0; i < s->n_cpus; i++) {
			const struct ebs_cpu_row *c = &s->cpus[i];
			uint64_t bv = r->have && i < r->ncpu ? r->cpu_vol[i] : c->switches_vol;
			uint64_t bi = r->have && i < r->ncpu ? r->cpu_invol[i] : c->switches_invol;
			printf("  cpu%-3" PRIu32 " %14.1f %14.1f %10.1f %10.1f\n", c->cpu,
			       per_s(c->switches_vol, bv, secs), per_s(c->switches_invol, bi, secs),
			       c->runq_pct.p50, c->runq_pct.p99);
		}
		if (s->views.proc_cpu && s->n_procs)
			print_top_cpu(s);
	}
remember:
	fflush(stdout);

	/* remember counters for the next rates */
	uint32_t max = ebs_syscall_max() > 1024 ? ebs_syscall_max() : 1024;
	if (!r->calls) {
		r->n = max;
		r->calls = calloc(max, sizeof(uint64_t));
		r->errors = calloc(max, sizeof(uint64_t));
	}
	for (uint32_t i = 0; r->calls && r->errors && i < s->n_syscalls; i++)
		if (s->syscalls[i].nr < r->n) {
			r->calls[s->syscalls[i].nr] = s->syscalls[i].calls;
			r->errors[s->syscalls[i].nr] = s->syscalls[i].errors;
		}
	if (r->ncpu != s->n_cpus || !r->cpu_vol) {
		free(r->cpu_vol);
		free(r->cpu_invol);
		r->ncpu = s->n_cpus;
		r->cpu_vol = calloc(s->n_cpus + 1, sizeof(uint64_t));
		r->cpu_invol = calloc(s->n_cpus + 1, sizeof(uint64_t));
	}
	for (uint32_t i = 0; r->cpu_vol && r->cpu_invol && i < s->n_cpus; i++) {
		r->cpu_vol[i] = s->cpus[i].switches_vol;
		r->cpu_invol[i] = s->cpus[i].switches_invol;
	}
	memcpy(r->tcp, tcp_now, sizeof(r->tcp));
	r->sys_calls = s->sys.calls;
	r->sys_errors = s->sys.errors;
	r->have = r->calls && r->errors && r->cpu_vol && r->cpu_invol;
}

/* ---- commands ------------------------------------------------------------ */

static void print_events(const struct ebs_events *ev)
{
	for (unsigned i = 0; i < ev->n; i++) {
		char text[EBS_REASON_LEN + 128];

		ebs_event_text(&ev->ev[i], text, sizeof(text));
		printf("event %s: %s\n", ebs_event_name(ev->ev[i].type), text);
	}
	fflush(stdout);
}

static int cmd_show(const struct ebs_config *cfg, unsigned interval_ms, long count, bool json)
{
	char err[EBS_ERR_LEN];
	struct ebs *e = ebs_open(cfg, err, sizeof(err));
	struct rates r = {0};
	struct ebs_events ev;
	const struct ebs_snapshot *s;
	int rc = 0;

	ebs_events_init(&ev, cfg->notify_limit);
	if (!e) {
		fprintf(stderr, "ebpfstats: %s\n", err);
		return 2;
	}
	/* show never loads again: nothing to keep for later */
	if (ebs_drop_caps_all(err, sizeof(err)) < 0)
		fprintf(stderr, "ebpfstats: warning: %s\n", err);
	s = ebs_snapshot(e, err, sizeof(err));
	if (s)
		ebs_events_update(&ev, s);
	if (s && !json) {
		print_human(s, &r);
		print_events(&ev);
	}
	for (long i = 0; s && !stop && (count <= 0 || i < count); i++) {
		if (sleep_interval(interval_ms) < 0)
			break;
		s = ebs_snapshot(e, err, sizeof(err));
		if (!s)
			break;
		ebs_events_update(&ev, s);
		if (json) {
			print_json(stdout, s, &ev);
			break;
		}
		print_human(s, &r);
		print_events(&ev);
	}
	if (!s) {
		fprintf(stderr, "ebpfstats: snapshot failed: %s\n", err);
		rc = 2;
	}
	free(r.calls);
	free(r.errors);
	free(r.cpu_vol);
	free(r.cpu_invol);
	ebs_close(e);
	return rc;
}

/* ---- top: cgroups ------------------------------------------------------- */

struct cg_top {
	const struct ebs_cgroup_row *r;
	double key;
};

static int cg_top_cmp(const void *a, const void *b)
{
	const struct cg_top *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return x->r->id < y->r->id ? -1 : x->r->id > y->r->id;
}

/* One table per interval: the rows with activity in it, by the chosen key. */
static void print_top(const struct ebs_snapshot *s, const struct ebs_snapshot *p, bool by_syscalls,
		      unsigned rows)
{
	struct cg_top *t = calloc(s->n_cgroups ? s->n_cgroups : 1, sizeof(*t));
	double secs = (double)s->interval_ns / 1e9;
	uint32_t n = 0, j = 0;

	if (!t)
		return;
	printf("\n%u cgroups (depth %u, %s%s%s), %.1f s; by %s\n", s->n_cgroups, s->cg.depth,
	       ebs_status_name(s->cg.status), s->cg.reason[0] ? ": " : "", s->cg.reason, secs,
	       by_syscalls ? "system calls per second" : "run-queue p99");
	printf("%-40s %12s %10s %10s %10s %7s %9s\n", "CGROUP", "SYSCALLS/S", "SYS_P99us",
	       "RUNQ_P99us", "RUNQ_WAITS", "CPU%", "TCP_OPENS");
	for (uint32_t i = 0; i < s->n_cgroups; i++) {
		const struct ebs_cgroup_row *r = &s->cgroups[i];

		t[n].r = r;
		t[n].key = by_syscalls ? r->sys_rate : r->runq_pct.p99;
		n++;
	}
	qsort(t, n, sizeof(*t), cg_top_cmp);
	for (uint32_t i = 0; i < n && i < rows; i++) {
		const struct ebs_cgroup_row *r = t[i].r, *q = NULL;
		char name[EBS_CG_NAME_LEN + 16];

		/* both snapshots' rows ascend by id */
		for (j = 0; p && j < p->n_cgroups && p->cgroups[j].id < r->id; j++)
			;
		if (p && j < p->n_cgroups && p->cgroups[j].id == r->id)
			q = &p->cgroups[j];
		ebs_row_key(EBS_T_CGROUP, r, name, sizeof(name));
		if (r->gone)
			strcat(name, " (gone)");
		printf("%-40s %12.1f %10.1f %10.1f %10.0f %7.1f %9.0f\n", name, r->sys_rate,
		       r->sys_pct.p99, r->runq_pct.p99,
		       q ? per_s(r->runq_samples, q->runq_samples, 1) : 0.0,
		       q && secs > 0 ? per_s(r->oncpu_ns, q->oncpu_ns, secs) / 1e7 : 0.0,
		       q ? per_s(r->tcp_active_opens + r->tcp_passive_opens,
				 q->tcp_active_opens + q->tcp_passive_opens, 1)
			 : 0.0);
	}
	free(t);
	fflush(stdout);
}

static int cmd_top(const struct ebs_config *cfg0, unsigned interval_ms, long count,
		   bool by_syscalls, unsigned rows)
{
	struct ebs_config cfg = *cfg0;
	char err[EBS_ERR_LEN];
	struct ebs *e;
	const struct ebs_snapshot *s;
	struct ebs_snapshot prev = {0};
	int rc = 0;

	cfg.cgroups = true;
	e = ebs_open(&cfg, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "ebpfstats: %s\n", err);
		return 2;
	}
	if (ebs_drop_caps_all(err, sizeof(err)) < 0)
		fprintf(stderr, "ebpfstats: warning: %s\n", err);
	s = ebs_snapshot(e, err, sizeof(err));
	for (long i = 0; s && !stop && (count <= 0 || i < count); i++) {
		/* the rows of the snapshot before, for the per-interval columns */
		free(prev.cgroups);
		prev.n_cgroups = s->n_cgroups;
		prev.cgroups = s->n_cgroups ? malloc(s->n_cgroups * sizeof(*prev.cgroups)) : NULL;
		if (prev.cgroups)
			memcpy(prev.cgroups, s->cgroups, s->n_cgroups * sizeof(*prev.cgroups));
		else
			prev.n_cgroups = 0;
		if (sleep_interval(interval_ms) < 0)
			break;
		s = ebs_snapshot(e, err, sizeof(err));
		if (!s)
			break;
		print_top(s, &prev, by_syscalls, rows);
	}
	if (!s) {
		fprintf(stderr, "ebpfstats: snapshot failed: %s\n", err);
		rc = 2;
	}
	free(prev.cgroups);
	ebs_close(e);
	return rc;
}

static int cmd_check(const struct ebs_config *cfg)
{
	char err[EBS_ERR_LEN];
	struct ebs *e;
	const struct ebs_snapshot *s;
	int rc = 0;

	printf("config: %s\n", cfg->source);
	e = ebs_open_probe(cfg, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "ebpfstats: %s\n", err);
		return 2;
	}
	s = ebs_snapshot(e, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "ebpfstats: snapshot failed: %s\n", err);
		ebs_close(e);
		return 2;
	}
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		const struct ebs_module_stat *m = &s->modules[f];
		printf("%-9s %-11s", m->name, ebs_status_name(m->status));
		if (ebs_module_running(s, f))
			printf(" attach=%s%s bpf_stats=%s", m->attach,
			       m->reused_pins ? " (pinned by another process)" : "",
			       m->bpf_stats ? "on" : "off");
		if (m->reason[0])
			printf(" reason: %s", m->reason);
		printf("\n");
		if (m->status == EBS_ST_UNAVAILABLE)
			rc = 2;
		else if (m->status == EBS_ST_DEGRADED && rc < 1)
			rc = 1;
	}
	ebs_close(e);
	return rc;
}

static int cmd_unload(const struct ebs_config *cfg)
{
	char err[EBS_ERR_LEN];
	int n = ebs_unload(cfg->pin_path, err, sizeof(err));

	if (n < 0) {
		fprintf(stderr, "ebpfstats: %s\n", err);
		return 2;
	}
	printf("removed %d pins under %s\n", n, cfg->pin_path);
	return 0;
}

static const char *const kind_names[] = {"counter", "gauge", "info"};

static int cmd_catalog(void)
{
	printf("%-30s %-8s %-10s %-12s %-18s %-30s %s\n", "id", "kind", "table", "unit",
	       "collectd type", "MIB object", "help");
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *m = &ebs_catalog[i];
		printf("%-30s %-8s %-10s %-12s %-18s %-30s %s\n", m->id, kind_names[m->kind],
		       ebs_table_name(m->table), m->unit[0] ? m->unit : "-",
		       m->cd_type ? m->cd_type : "-", m->snmp_name ? m->snmp_name : "-", m->help);
	}
	return 0;
}

/* ---- catalog --json: the names every integration reads --------------------- */

static void print_oid(FILE *f, const uint32_t *arcs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fprintf(f, ".%" PRIu32, arcs[i]);
}

static void print_oid_root(FILE *f)
{
	static const uint32_t root[] = {EBS_OID_ROOT};

	print_oid(f, root, EBS_OID_ROOT_LEN);
}

/* A per-row name with the row's key as "<key>": the helpers collectd uses,
 * applied to an empty row, then the key they put in swapped out (first,
 * or after a prefix: "cgroup-<key>"). */
static void cd_pattern(char *out, size_t len, const char *name, const char *key)
{
	size_t k = strlen(key);
	const char *at = k ? strstr(name, key) : NULL;

	if (at)
		snprintf(out, len, "%.*s<key>%s", (int)(at - name), name, at + k);
	else
		snprintf(out, len, "%s", name);
}

static void print_catalog_collectd(FILE *f, const struct ebs_metric *m)
{
	/* an empty row of the table; a row that carries its name is "<key>" */
	void *row;
	char key[96] = "", raw[128], pi[128], ti[128];

	/* what collectd/ebpf.c dispatches: a type, and not text */
	if (!m->cd_type || m->vtype == EBS_V_STR || m->vtype == EBS_V_STRPTR) {
		fputs("null", f);
		return;
	}
	row = key_row(m->table);
	ebs_row_key(m->table, row, key, sizeof(key));
	ebs_cd_plugin_instance(m, row, raw, sizeof(raw));
	cd_pattern(pi, sizeof(pi), raw, key);
	ebs_cd_type_instance(m, row, raw, sizeof(raw));
	cd_pattern(ti, sizeof(ti), raw, key);
	free(row);
	fputs("{\"plugin\": \"ebpf\", \"plugin_instance\": ", f);
	json_str(f, pi);
	fputs(", \"type\": ", f);
	json_str(f, m->cd_type);
	fputs(", \"type_instance\": ", f);
	json_str(f, ti);
	fputc('}', f);
}

static void print_catalog_snmp(FILE *f, const struct ebs_metric *m)
{
	static const char *const syntax[] = {
		[EBS_SNMP_COUNTER64] = "Counter64",   [EBS_SNMP_GAUGE32] = "Gauge32",
		[EBS_SNMP_UNSIGNED32] = "Unsigned32", [EBS_SNMP_INTEGER] = "INTEGER",
		[EBS_SNMP_STRING] = "DisplayString",  [EBS_SNMP_TIMESTAMP] = "TimeStamp",
	};
	uint32_t arcs[EBS_MIB_MAX_PATH];
	unsigned n;

	if (!ebs_mib_serves(m)) {
		fputs("null", f);
		return;
	}
	n = ebs_mib_parent(m->table, m->family, arcs);
	fputs("{\"object\": ", f);
	json_str(f, m->snmp_name);
	/* a column without its index; a scalar's instance is .0 */
	fputs(", \"oid\": \"", f);
	print_oid_root(f);
	fprintf(f, ".%u", (unsigned)EBS_ARC_OBJECTS);
	print_oid(f, arcs, n);
	fprintf(f, ".%u%s\", \"type\": ", m->snmp_subid, m->table == EBS_T_GLOBAL ? ".0" : "");
	json_str(f, syntax[m->snmp_type]);
	fputc('}', f);
}

/* A few lines per metric, in catalog order: tests/data/catalog.json is
 * this output, so a name that changes shows in `make check` as a diff. */
static int cmd_catalog_json(void)
{
	fputs("[", stdout);
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *m = &ebs_catalog[i];

		printf("%s\n  {\n    \"id\": ", i ? "," : "");
		json_str(stdout, m->id);
		fputs(",\n    \"family\": ", stdout);
		json_str(stdout, m->family < EBS_FAM_COUNT ? ebs_family_name(m->family) : "agent");
		printf(",\n    \"kind\": \"%s\",\n    \"unit\": ", kind_names[m->kind]);
		json_str(stdout, m->unit);
		fputs(",\n    \"table\": ", stdout);
		json_str(stdout, ebs_table_name(m->table));
		fputs(",\n    \"view\": ", stdout);
		json_str(stdout, ebs_metric_view(m));
		fputs(",\n    \"collectd\": ", stdout);
		print_catalog_collectd(stdout, m);
		fputs(",\n    \"snmp\": ", stdout);
		print_catalog_snmp(stdout, m);
		fputs("\n  }", stdout);
	}
	fputs("\n]\n", stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"pin-path", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"oid-root", no_argument, NULL, 'O'},
		{"by", required_argument, NULL, 'B'},
		{"rows", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct ebs_config cfg;
	const char *config = NULL, *pin = NULL, *cmd = "show";
	double interval = 0;
	long count = 0;
	bool json = false, oid_root = false, by_syscalls = false;
	long top_rows = 20;
	char err[EBS_ERR_LEN], *end;
	int c;

	ebs_config_init(&cfg);
	while ((c = getopt_long(argc, argv, "c:i:n:jp:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0.1 && interval <= 3600)) {
				fprintf(stderr,
					"ebpfstats: -i takes seconds from 0.1 to 3600, got '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "ebpfstats: -n takes a positive count, got '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': json = true; break;
		case 'p': pin = optarg; break;
		case 'O': oid_root = true; break;
		case 'B':
			if (strcmp(optarg, "runq") != 0 && strcmp(optarg, "syscalls") != 0) {
				fprintf(stderr,
					"ebpfstats: --by takes runq or syscalls, got '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			by_syscalls = strcmp(optarg, "syscalls") == 0;
			break;
		case 'R':
			top_rows = strtol(optarg, &end, 10);
			if (*end || top_rows < 1 || top_rows > 100000) {
				fprintf(stderr, "ebpfstats: --rows takes 1 to 100000, got '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'V': printf("ebpfstats %s\n", EBS_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "ebpfstats: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	/* the catalog is compiled in: no config, no kernel */
	if (!strcmp(cmd, "catalog")) {
		if (json && oid_root) {
			fprintf(stderr,
				"ebpfstats: catalog takes --json or --oid-root, not both\n");
			return EXIT_USAGE;
		}
		if (oid_root) {
			print_oid_root(stdout);
			putchar('\n');
			return 0;
		}
		return json ? cmd_catalog_json() : cmd_catalog();
	}
	if (oid_root) {
		fprintf(stderr, "ebpfstats: --oid-root is an option of catalog\n");
		return EXIT_USAGE;
	}
	if (config && ebs_config_load(&cfg, config, err, sizeof(err)) < 0) {
		fprintf(stderr, "ebpfstats: %s\n", err);
		return EXIT_USAGE;
	}
	if (pin && ebs_config_set(&cfg, "pin_path", pin, err, sizeof(err)) < 0) {
		fprintf(stderr, "ebpfstats: --pin-path: %s\n", err);
		return EXIT_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	unsigned ms = interval > 0 ? (unsigned)lround(interval * 1000) : cfg.interval_ms;

	if (!strcmp(cmd, "show"))
		return cmd_show(&cfg, ms, count, json);
	if (!strcmp(cmd, "check"))
		return cmd_check(&cfg);
	if (!strcmp(cmd, "unload"))
		return cmd_unload(&cfg);
	if (!strcmp(cmd, "top"))
		return cmd_top(&cfg, ms, count, by_syscalls, (unsigned)top_rows);
	fprintf(stderr, "ebpfstats: unknown command '%s' (show, check, top, unload, catalog)\n",
		cmd);
	return EXIT_USAGE;
}
