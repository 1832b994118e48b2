/* The metric catalog: names unique, naming rules hold, accessors read the
 * right fields of a hand-built snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"

static void test_ids_unique_and_documented(void **state)
{
	(void)state;
	assert_true(ebs_catalog_len > 40);
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *m = &ebs_catalog[i];
		assert_non_null(m->id);
		assert_true(strlen(m->help) > 10);
		assert_ptr_equal(ebs_metric_find(m->id), m);
		for (size_t j = i + 1; j < ebs_catalog_len; j++)
			assert_string_not_equal(m->id, ebs_catalog[j].id);
	}
	assert_null(ebs_metric_find("no.such.metric"));
}

/* One SNMP object per (table, sub-id) and per descriptor. */
static void test_snmp_objects_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *a = &ebs_catalog[i];
		if (a->snmp_type == EBS_SNMP_NONE) {
			assert_null(a->snmp_name);
			continue;
		}
		assert_non_null(a->snmp_name);
		assert_true(a->snmp_subid > 0);
		assert_true(strncmp(a->snmp_name, "ebs", 3) == 0);
		for (size_t j = i + 1; j < ebs_catalog_len; j++) {
			const struct ebs_metric *b = &ebs_catalog[j];
			if (b->snmp_type == EBS_SNMP_NONE)
				continue;
			assert_string_not_equal(a->snmp_name, b->snmp_name);
			/* scalars of different families live under different groups */
			bool same_group = a->table == b->table &&
					  (a->table != EBS_T_GLOBAL || a->family == b->family);
			if (same_group && a->snmp_subid == b->snmp_subid)
				fail_msg("%s and %s share sub-id %u", a->id, b->id, a->snmp_subid);
		}
		/* counters are Counter64, percentiles integer gauges */
		if (a->kind == EBS_COUNTER && a->table != EBS_T_HIST)
			assert_int_equal(a->snmp_type, EBS_SNMP_COUNTER64);
		if (a->pct)
			assert_int_equal(a->snmp_type, EBS_SNMP_GAUGE32);
	}
}

/* collectd's types.db gives each type one data-source kind: a type is used
 * only by counters (DERIVE) or only by gauges (GAUGE). */
static void test_collectd_types_consistent(void **state)
{
	(void)state;
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *a = &ebs_catalog[i];
		if (!a->cd_type)
			continue;
		assert_true(strncmp(a->cd_type, "ebpf_", 5) == 0);
		for (size_t j = 0; j < ebs_catalog_len; j++) {
			const struct ebs_metric *b = &ebs_catalog[j];
			if (!b->cd_type || strcmp(a->cd_type, b->cd_type))
				continue;
			if ((a->kind == EBS_COUNTER) != (b->kind == EBS_COUNTER))
				fail_msg("collectd type %s used by counter and gauge (%s, %s)",
					 a->cd_type, a->id, b->id);
		}
	}
}

static void test_accessors_and_naming(void **state)
{
	struct ebs_snapshot s;
	struct ebs_syscall_row sys[2];
	struct ebs_cpu_row cpus[2];
	struct ebs_tcp_port_row ports[1];
	struct ebs_tcp_trans_row tr[1];
	struct ebs_hist_row hr[1];
	char buf[64];
	uint32_t idx[EBS_SNMP_INDEX_MAX];

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(sys, 0, sizeof(sys));
	memset(cpus, 0, sizeof(cpus));
	sys[0] = (struct ebs_syscall_row){.nr = 110, .name = "getppid", .calls = 42, .errors = 1};
	sys[0].pct.p99 = 12.6;
	sys[0].pct.samples = 3;
	sys[1] = (struct ebs_syscall_row){.nr = 999, .name = NULL, .calls = 7};
	s.syscalls = sys;
	s.n_syscalls = 2;
	cpus[1] = (struct ebs_cpu_row){.cpu = 1, .switches_vol = 5};
	s.cpus = cpus;
	s.n_cpus = 2;
	ports[0] = (struct ebs_tcp_port_row){.port = 443, .accepts = 3};
	s.tcp_ports = ports;
	s.n_tcp_ports = 1;
	tr[0] = (struct ebs_tcp_trans_row){.old_state = 2, .new_state = 1, .count = 9};
	s.tcp_trans = tr;
	s.n_tcp_trans = 1;
	hr[0] = (struct ebs_hist_row){.hist = EBS_H_RUNQ, .bucket = 3, .upper = 7, .count = 11};
	s.hist_rows = hr;
	s.n_hist_rows = 1;
	s.tcp.active_opens = 77;
	s.modules[EBS_FAM_TCP] = (struct ebs_module_stat){.name = "tcp", .status = EBS_ST_DEGRADED};
	for (uint32_t st = 1; st <= EBS_TCP_NSTATES; st++) {
		s.tcp_states[st - 1].state = st;
		s.tcp_states[st - 1].name = ebs_tcp_state_name(st);
	}
	s.tcp_states[0].sockets = -3; /* a gauge never reads below zero */

	const struct ebs_metric *m = ebs_metric_find("syscall.calls");
	assert_int_equal(ebs_table_rows(&s, m->table), 2);
	const void *row = ebs_table_row(&s, m->table, 0);
	assert_int_equal(ebs_metric_u64(m, row), 42);
	ebs_cd_plugin_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "syscall");
	ebs_cd_type_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "getppid");
	assert_int_equal(ebs_snmp_index(m->table, row, idx), 1);
	assert_int_equal(idx[0], 111);
	ebs_row_key(m->table, ebs_table_row(&s, m->table, 1), buf, sizeof(buf));
	assert_string_equal(buf, "sys_999");
	assert_null(ebs_table_row(&s, m->table, 2));

	m = ebs_metric_find("syscall.p99_us");
	assert_int_equal(ebs_metric_u64(m, row), 13); /* rounded, not truncated */
	assert_float_equal(ebs_metric_double(m, row), 12.6, 1e-9);
	ebs_cd_type_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "getppid-p99");
	assert_false(ebs_metric_unknown(m, row));
	assert_true(ebs_metric_unknown(m, ebs_table_row(&s, m->table, 1))); /* no samples */
	assert_false(ebs_metric_unknown(ebs_metric_find("syscall.calls"),
					ebs_table_row(&s, m->table, 1)));

	m = ebs_metric_find("cpu.switches_voluntary");
	row = ebs_table_row(&s, m->table, 1);
	assert_int_equal(ebs_metric_u64(m, row), 5);
	ebs_cd_plugin_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "cpu1");
	ebs_cd_type_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "switches_voluntary");
	ebs_snmp_index(m->table, row, idx);
	assert_int_equal(idx[0], 2);

	m = ebs_metric_find("tcp.active_opens");
	row = ebs_table_row(&s, m->table, 0);
	assert_int_equal(ebs_metric_u64(m, row), 77);
	ebs_cd_plugin_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "tcp");
	ebs_cd_type_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "active_opens");

	m = ebs_metric_find("tcp.state.sockets");
	row = ebs_table_row(&s, m->table, 0);
	assert_int_equal(ebs_metric_u64(m, row), 0);
	ebs_cd_type_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "ESTABLISHED");

	m = ebs_metric_find("tcp.transition");
	ebs_cd_type_instance(m, ebs_table_row(&s, m->table, 0), buf, sizeof(buf));
	assert_string_equal(buf, "SYN_SENT-ESTABLISHED");

	m = ebs_metric_find("tcp.port.accepts");
	row = ebs_table_row(&s, m->table, 0);
	ebs_cd_plugin_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "tcp_port");
	ebs_cd_type_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "443-accepts");
	ebs_snmp_index(m->table, row, idx);
	assert_int_equal(idx[0], 443);

	m = ebs_metric_find("module.status");
	row = ebs_table_row(&s, m->table, EBS_FAM_TCP);
	assert_int_equal(ebs_metric_u64(m, row), 2);
	assert_string_equal(ebs_metric_str(m, row), "degraded");
	ebs_cd_plugin_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "self");
	ebs_snmp_index(m->table, row, idx);
	assert_int_equal(idx[0], EBS_FAM_TCP + 1);

	m = ebs_metric_find("hist.count");
	row = ebs_table_row(&s, m->table, 0);
	assert_int_equal(ebs_snmp_index(m->table, row, idx), 2);
	assert_int_equal(idx[0], EBS_H_RUNQ);
	assert_int_equal(idx[1], 3);
	assert_int_equal(ebs_metric_u64(m, row), 11);
	assert_string_equal(ebs_hist_name(EBS_H_RUNQ), "runq_latency");
	assert_string_equal(ebs_hist_unit(EBS_H_TCP_LIFETIME), "ms");
}

/* The memory, file I/O and TCP peer rows: names a collectd user and an
 * SNMP manager see. */
static void test_new_families_naming(void **state)
{
	struct ebs_snapshot s;
	struct ebs_fileio_row fio[1];
	struct ebs_tcp_peer_row peers[2];
	struct ebs_proc_row procs[1];
	char buf[96];
	uint32_t idx[EBS_SNMP_INDEX_MAX];

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(peers, 0, sizeof(peers));
	fio[0] = (struct ebs_fileio_row){.nr = 1, .name = "write", .calls = 3, .bytes = 4096};
	s.fileio = fio;
	s.n_fileio = 1;
	s.fio.write_bytes = 4096;
	peers[0] = (struct ebs_tcp_peer_row){.dir = EBS_PEER_OUT,
					     .addr_type = 1,
					     .addr = {192, 0, 2, 7},
					     .addr_str = "192.0.2.7",
					     .port = 443,
					     .connects = 2};
	peers[1] = (struct ebs_tcp_peer_row){.dir = EBS_PEER_IN,
					     .addr_type = 2,
					     .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
					     .addr_str = "2001:db8::1",
					     .port = 22};
	s.tcp_peers = peers;
	s.n_tcp_peers = 2;
	procs[0] = (struct ebs_proc_row){.pid = 4242, .comm = "nginx", .faults_user = 9};
	s.procs = procs;
	s.n_procs = 1;
	s.mem.oom_last_pid = 77;
	snprintf(s.mem.oom_last_comm, sizeof(s.mem.oom_last_comm), "hog");

	const struct ebs_metric *m = ebs_metric_find("file_io.bytes");
	const void *row = ebs_table_row(&s, m->table, 0);
	assert_int_equal(ebs_metric_u64(m, row), 4096);
	ebs_cd_plugin_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "file_io");
	ebs_cd_type_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "write");
	ebs_snmp_index(m->table, row, idx);
	assert_int_equal(idx[0], 2);

	m = ebs_metric_find("file_io.write_bytes");
	ebs_cd_plugin_instance(m, &s, buf, sizeof(buf));
	assert_string_equal(buf, "file_io");
	ebs_cd_type_instance(m, &s, buf, sizeof(buf));
	assert_string_equal(buf, "total_write"); /* never the write row's name */

	m = ebs_metric_find("tcp.peer.connects");
	row = ebs_table_row(&s, m->table, 0);
	ebs_cd_plugin_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "tcp_peer");
	ebs_cd_type_instance(m, row, buf, sizeof(buf));
	assert_string_equal(buf, "out-192.0.2.7-443-connects");
	ebs_row_key(m->table, ebs_table_row(&s, m->table, 1), buf, sizeof(buf));
	assert_string_equal(buf, "in-2001:db8::1-22");
	/* the index is the endpoint: direction, type, length, octets, port */
	assert_int_equal(ebs_snmp_index(m->table, ebs_table_row(&s, m->table, 0), idx), 8);
	assert_memory_equal(idx, ((uint32_t[]){1, 1, 4, 192, 0, 2, 7, 443}), 8 * sizeof(uint32_t));
	assert_int_equal(ebs_snmp_index(m->table, ebs_table_row(&s, m->table, 1), idx), 20);
	assert_memory_equal(idx, ((uint32_t[]){2, 2, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
					       0, 0, 0,	 0,    0,    0,	   0,	 0, 1, 22}),
			    20 * sizeof(uint32_t));
	m = ebs_metric_find("tcp.peer.address");
	assert_string_equal(ebs_metric_str(m, ebs_table_row(&s, m->table, 1)), "2001:db8::1");

	m = ebs_metric_find("memory.proc.faults_user");
	row = ebs_table_row(&s, m->table, 0);
	assert_int_equal(ebs_metric_u64(m, row), 9);
	assert_null(m->cd_type); /* one series per pid would churn collectd */
	ebs_snmp_index(m->table, row, idx);
	assert_int_equal(idx[0], 4242);
	m = ebs_metric_find("memory.oom_last_pid");
	assert_int_equal(ebs_metric_u64(m, &s), 77);
	ebs_cd_plugin_instance(m, &s, buf, sizeof(buf));
	assert_string_equal(buf, "memory");
	assert_string_equal(ebs_metric_str(ebs_metric_find("memory.oom_last_comm"), &s), "hog");
	assert_string_equal(ebs_family_name(EBS_FAM_MEMORY), "memory");
}

/* The one policy of the front-ends: a metric is active while its family
 * runs and its view is on; a module row's counters while that module
 * runs, its status always. */
static void test_metric_active(void **state)
{
	struct ebs_snapshot s;
	const struct ebs_metric *calls = ebs_metric_find("syscall.calls");
	const struct ebs_metric *p99 = ebs_metric_find("syscall.p99_us");
	const struct ebs_metric *rbytes = ebs_metric_find("file_io.read_bytes");
	const struct ebs_metric *peer = ebs_metric_find("tcp.peer.connects");
	const struct ebs_metric *status = ebs_metric_find("module.status");
	const struct ebs_metric *events = ebs_metric_find("module.events");
	const struct ebs_metric *runtime = ebs_metric_find("module.run_time_ns");

	(void)state;
	assert_non_null(calls);
	assert_non_null(p99);
	assert_non_null(rbytes);
	assert_non_null(peer);
	assert_non_null(status);
	assert_non_null(events);
	assert_non_null(runtime);
	memset(&s, 0, sizeof(s));
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		s.modules[f].name = ebs_family_name(f);
		s.modules[f].status = EBS_ST_OK;
	}
	s.modules[EBS_FAM_TCP].status = EBS_ST_DEGRADED;
	s.modules[EBS_FAM_MEMORY].status = EBS_ST_DISABLED;
	s.views = (struct ebs_views){.syscall_latency = true};

	assert_true(ebs_module_running(&s, EBS_FAM_TCP));
	assert_false(ebs_module_running(&s, EBS_FAM_MEMORY));
	assert_false(ebs_module_running(NULL, EBS_FAM_TCP));
	assert_true(ebs_metric_active(calls, &s, NULL));
	assert_true(ebs_metric_active(p99, &s, NULL));
	assert_false(ebs_metric_active(rbytes, &s, &s)); /* file I/O off */
	assert_false(ebs_metric_active(peer, &s, NULL)); /* peers off */
	s.views.file_io = s.views.tcp_peers = true;
	s.views.syscall_latency = false;
	assert_true(ebs_metric_active(rbytes, &s, &s));
	assert_true(ebs_metric_active(peer, &s, NULL));
	assert_false(ebs_metric_active(p99, &s, NULL)); /* latency off */
	assert_true(ebs_metric_active(calls, &s, NULL));
	s.modules[EBS_FAM_SYSCALLS].status = EBS_ST_UNAVAILABLE;
	assert_false(ebs_metric_active(calls, &s, NULL));

	/* module rows: status always, counters while running, run time with
	 * BPF stats live */
	assert_true(ebs_metric_active(status, &s, &s.modules[EBS_FAM_MEMORY]));
	assert_false(ebs_metric_active(events, &s, &s.modules[EBS_FAM_MEMORY]));
	assert_true(ebs_metric_active(events, &s, &s.modules[EBS_FAM_TCP]));
	assert_false(ebs_metric_active(runtime, &s, &s.modules[EBS_FAM_TCP]));
	s.modules[EBS_FAM_TCP].bpf_stats = true;
	assert_true(ebs_metric_active(runtime, &s, &s.modules[EBS_FAM_TCP]));
}

/* Every table descriptor: its rows are the snapshot's array (checked by
 * address, so a wrong offset or row size shows), its index has the length
 * it announces, its key column is a text column of its own, and a bounded
 * table has what the collectd plugin calls. */
/* The cgroup table: its key, collectd's name for a row ('/' is '_'), its
 * SNMP index, its Cgroup globs, and the view its columns need. */
static void test_cgroup_rows(void **state)
{
	const struct ebs_table_desc *d = &ebs_tables[EBS_T_CGROUP];
	const struct ebs_metric *calls = ebs_metric_find("cgroup.syscalls");
	const struct ebs_metric *p99 = ebs_metric_find("cgroup.syscall_p99_us");
	struct ebs_cgroup_row r;
	struct ebs_snapshot s;
	struct ebs_row_sel sel;
	uint32_t idx[EBS_SNMP_INDEX_MAX];
	char buf[EBS_CG_NAME_LEN + 16];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = 4242;
	r.index = 4242;
	r.sys_calls = 7;
	snprintf(r.name, sizeof(r.name), "system.slice/nginx.service");
	ebs_row_key(EBS_T_CGROUP, &r, buf, sizeof(buf));
	assert_string_equal(buf, "system.slice/nginx.service");
	ebs_cd_plugin_instance(calls, &r, buf, sizeof(buf));
	assert_string_equal(buf, "cgroup-system.slice_nginx.service");
	ebs_cd_type_instance(calls, &r, buf, sizeof(buf));
	assert_string_equal(buf, "syscalls");
	assert_int_equal(ebs_snmp_index(EBS_T_CGROUP, &r, idx), 1);
	assert_int_equal(idx[0], 4242);
	assert_int_equal(d->select_parse("system.slice/*", &sel), 0);
	assert_true(d->select_match(&sel, &r));
	assert_int_equal(d->select_parse("user.slice/*", &sel), 0);
	assert_false(d->select_match(&sel, &r));
	assert_int_equal(d->select_parse("", &sel), -1);
	assert_int_equal(d->activity(&r), 7);
	snprintf(r.name, sizeof(r.name), "/");
	ebs_cd_plugin_instance(calls, &r, buf, sizeof(buf));
	assert_string_equal(buf, "cgroup-root");
	r.name[0] = '\0';
	ebs_row_key(EBS_T_CGROUP, &r, buf, sizeof(buf));
	assert_string_equal(buf, "id4242");
	ebs_cd_plugin_instance(calls, &r, buf, sizeof(buf));
	assert_string_equal(buf, "cgroup-id4242");
	/* the columns need collect_cgroups, the latency ones latency too */
	assert_string_equal(ebs_metric_view(calls), "cgroups");
	assert_string_equal(ebs_metric_view(p99), "cgroups+syscall_latency");
	memset(&s, 0, sizeof(s));
	s.modules[EBS_FAM_SYSCALLS].status = EBS_ST_OK;
	s.views.syscall_latency = true;
	assert_false(ebs_metric_active(calls, &s, &r));
	s.views.cgroups = true;
	assert_true(ebs_metric_active(calls, &s, &r));
	assert_true(ebs_metric_active(ebs_metric_find("cgroup.view.status"), &s, &s));
	s.views.cgroups = false;
	assert_true(ebs_metric_active(ebs_metric_find("cgroup.view.status"), &s, &s));
}

static void test_table_descriptors(void **state)
{
	static struct ebs_snapshot s;
	struct ebs_syscall_row sys[3] = {{.nr = 0, .name = "read"}, {.nr = 1}, {.nr = 2}};
	struct ebs_cpu_row cpus[2] = {{.cpu = 0}, {.cpu = 1}};
	struct ebs_tcp_trans_row tr[2] = {{.old_state = 1, .new_state = 2}};
	struct ebs_tcp_port_row ports[2] = {{.port = 22}, {.port = 443}};
	struct ebs_hist_row hr[2] = {{.hist = 1, .bucket = 1}, {.hist = 1, .bucket = 2}};
	struct ebs_fileio_row fio[2] = {{.nr = 0, .name = "read"}, {.nr = 1}};
	struct ebs_tcp_peer_row peers[2] = {{.dir = 1, .addr_type = 1, .port = 80},
					    {.dir = 1, .addr_type = 2, .port = 80}};
	struct ebs_proc_row procs[2] = {{.pid = 1}, {.pid = 2}};
	const void *want[EBS_T_COUNT][2] = {
		[EBS_T_GLOBAL] = {&s, NULL},
		[EBS_T_MODULE] = {&s.modules[0], &s.modules[1]},
		[EBS_T_SYSCALL] = {&sys[0], &sys[1]},
		[EBS_T_CPU] = {&cpus[0], &cpus[1]},
		[EBS_T_TCP_STATE] = {&s.tcp_states[0], &s.tcp_states[1]},
		[EBS_T_TCP_TRANS] = {&tr[0], &tr[1]},
		[EBS_T_TCP_PORT] = {&ports[0], &ports[1]},
		[EBS_T_HIST] = {&hr[0], &hr[1]},
		[EBS_T_FILEIO] = {&fio[0], &fio[1]},
		[EBS_T_TCP_PEER] = {&peers[0], &peers[1]},
		[EBS_T_PROC] = {&procs[0], &procs[1]},
	};
	const size_t nrows[EBS_T_COUNT] = {
		[EBS_T_GLOBAL] = 1,
		[EBS_T_MODULE] = EBS_FAM_COUNT,
		[EBS_T_SYSCALL] = 3,
		[EBS_T_CPU] = 2,
		[EBS_T_TCP_STATE] = EBS_TCP_NSTATES,
		[EBS_T_TCP_TRANS] = 1,
		[EBS_T_TCP_PORT] = 2,
		[EBS_T_HIST] = 2,
		[EBS_T_FILEIO] = 2,
		[EBS_T_TCP_PEER] = 2,
		[EBS_T_PROC] = 2,
	};

	(void)state;
	memset(&s, 0, sizeof(s));
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		s.modules[f].name = ebs_family_name((enum ebs_family)f);
	for (uint32_t st = 1; st <= EBS_TCP_NSTATES; st++) {
		s.tcp_states[st - 1].state = st;
		s.tcp_states[st - 1].name = ebs_tcp_state_name(st);
	}
	s.syscalls = sys;
	s.n_syscalls = 3;
	s.cpus = cpus;
	s.n_cpus = 2;
	s.tcp_trans = tr;
	s.n_tcp_trans = 1;
	s.tcp_ports = ports;
	s.n_tcp_ports = 2;
	s.hist_rows = hr;
	s.n_hist_rows = 2;
	s.fileio = fio;
	s.n_fileio = 2;
	s.tcp_peers = peers;
	s.n_tcp_peers = 2;
	s.procs = procs;
	s.n_procs = 2;

	for (int t = 0; t < EBS_T_COUNT; t++) {
		const struct ebs_table_desc *d = &ebs_tables[t];
		size_t n = ebs_table_rows(&s, (enum ebs_table)t);

		assert_non_null(d->name);
		for (int u = 0; u < t; u++)
			assert_string_not_equal(d->name, ebs_tables[u].name);
		assert_string_equal(ebs_table_name((enum ebs_table)t), d->name);
		assert_true((unsigned)d->family <= EBS_FAM_COUNT);
		assert_int_equal(n, nrows[t]);
		assert_ptr_equal(ebs_table_row(&s, (enum ebs_table)t, 0), want[t][0]);
		if (n > 1)
			assert_ptr_equal(ebs_table_row(&s, (enum ebs_table)t, 1), want[t][1]);
		assert_null(ebs_table_row(&s, (enum ebs_table)t, n));
		assert_true(t == EBS_T_GLOBAL || d->key);
		if (d->mib_table) {
			uint32_t idx[EBS_SNMP_INDEX_MAX];

			assert_non_null(d->snmp_index);
			for (size_t r = 0; r < n && r < 2; r++) {
				unsigned k = ebs_snmp_index((enum ebs_table)t, want[t][r], idx);

				assert_true(k > 0);
				if (d->snmp_nindex)
					assert_int_equal(k, d->snmp_nindex);
			}
		}
		if (d->key_metric) {
			const struct ebs_metric *k = ebs_metric_find(d->key_metric);
			char key[96];

			assert_non_null(k);
			assert_int_equal(k->table, t);
			assert_int_equal(k->vtype, EBS_V_STRPTR);
			ebs_row_key((enum ebs_table)t, want[t][0], key, sizeof(key));
			assert_string_equal(ebs_metric_str(k, want[t][0]), key);
		}
		if (d->cd_top_option) {
			struct ebs_row_sel sel;

			assert_non_null(d->cd_select_option);
			assert_non_null(d->select_what);
			assert_non_null(d->activity);
			assert_non_null(d->select_parse);
			assert_non_null(d->select_match);
			assert_true(d->cd_top_default <= d->cd_top_max);
			assert_int_equal(d->select_parse("", &sel), -1);
		}
	}
	/* the selections' texts */
	struct ebs_row_sel sel;
	const struct ebs_table_desc *p = &ebs_tables[EBS_T_TCP_PORT];
	const struct ebs_table_desc *q = &ebs_tables[EBS_T_TCP_PEER];

	assert_int_equal(p->select_parse("443", &sel), 0);
	assert_true(p->select_match(&sel, &ports[1]));
	assert_false(p->select_match(&sel, &ports[0]));
	assert_int_equal(p->select_parse("65536", &sel), -1);
	assert_int_equal(p->select_parse("0", &sel), -1);
	assert_int_equal(p->select_parse("44x", &sel), -1);
	assert_int_equal(q->select_parse("0.0.0.0:80", &sel), 0);
	assert_true(q->select_match(&sel, &peers[0]));
	assert_false(q->select_match(&sel, &peers[1])); /* IPv6 :: is not 0.0.0.0 */
	assert_int_equal(q->select_parse("[::]:81", &sel), 0);
	assert_false(q->select_match(&sel, &peers[1])); /* another port */
	assert_int_equal(q->select_parse("::", &sel), 0);
	assert_true(q->select_match(&sel, &peers[1]));
	assert_int_equal(q->select_parse("192.0.2.1:", &sel), -1);
	assert_int_equal(ebs_tables[EBS_T_SYSCALL].select_parse("sys_2", &sel), 0);
	assert_true(ebs_tables[EBS_T_SYSCALL].select_match(&sel, &sys[2]));
	assert_int_equal(ebs_tables[EBS_T_SYSCALL].select_parse("no_such_call", &sel), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_unique_and_documented),
		cmocka_unit_test(test_snmp_objects_unique),
		cmocka_unit_test(test_collectd_types_consistent),
		cmocka_unit_test(test_accessors_and_naming),
		cmocka_unit_test(test_new_families_naming),
		cmocka_unit_test(test_metric_active),
		cmocka_unit_test(test_table_descriptors),
		cmocka_unit_test(test_cgroup_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
