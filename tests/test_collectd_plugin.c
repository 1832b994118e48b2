/* The collectd plugin without collectd: the plugin API is stubbed here, the
 * plugin source is included so its static functions can be driven directly.
 * Covers the <Plugin ebpf> options, value naming over a hand-built snapshot,
 * and ebpf.types.db against the metric catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../collectd/ebpf.c"

#ifndef EBS_TYPES_DB
#error "EBS_TYPES_DB must name collectd/ebpf.types.db"
#endif

/* ---- plugin API stubs ---------------------------------------------------- */

#define MAX_LOGS 64
#define MAX_VALUES 4096

struct sent {
	char id[4 * DATA_MAX_NAME_LEN + 4]; /* plugin/plugin_instance/type/type_instance */
	char type[DATA_MAX_NAME_LEN];
	value_t value;
	cdtime_t time;
	size_t values_len;
};

static char logs[MAX_LOGS][1024];
static int log_levels[MAX_LOGS];
static size_t n_logs;
static struct sent sent[MAX_VALUES];
static size_t n_sent;
static char registered[8][64];
static size_t n_registered;
static plugin_read_cb registered_read;
static cdtime_t registered_interval;
static int (*registered_config)(oconfig_item_t *);

void plugin_log(int level, const char *format, ...)
{
	va_list ap;

	if (n_logs >= MAX_LOGS)
		return;
	va_start(ap, format);
	vsnprintf(logs[n_logs], sizeof(logs[n_logs]), format, ap);
	va_end(ap);
	log_levels[n_logs++] = level;
}

static void note_registered(const char *what, const char *name)
{
	if (n_registered < 8)
		snprintf(registered[n_registered++], sizeof(registered[0]), "%s:%s", what, name);
}

int plugin_register_complex_config(const char *type, int (*callback)(oconfig_item_t *))
{
	note_registered("config", type);
	registered_config = callback;
	return 0;
}

int plugin_register_init(const char *name, plugin_init_cb callback)
{
	(void)callback;
	note_registered("init", name);
	return 0;
}

int plugin_register_shutdown(const char *name, plugin_shutdown_cb callback)
{
	(void)callback;
	note_registered("shutdown", name);
	return 0;
}

int plugin_register_complex_read(const char *group, const char *name, plugin_read_cb callback,
				 cdtime_t interval, user_data_t const *user_data)
{
	(void)group;
	(void)user_data;
	note_registered("read", name);
	registered_read = callback;
	registered_interval = interval;
	return 0;
}

cdtime_t plugin_get_interval(void)
{
	return TIME_T_TO_CDTIME_T(7);
}

int plugin_dispatch_values(value_list_t const *vl)
{
	struct sent *s;

	if (n_sent >= MAX_VALUES)
		return -1;
	s = &sent[n_sent++];
	snprintf(s->id, sizeof(s->id), "%s/%s/%s/%s", vl->plugin, vl->plugin_instance, vl->type,
		 vl->type_instance);
	snprintf(s->type, sizeof(s->type), "%s", vl->type);
	s->value = vl->values[0];
	s->values_len = vl->values_len;
	s->time = vl->time;
	return 0;
}

char *hostname_g = (char *)"testhost";

#define MAX_NOTIFS 64
static notification_t notifs[MAX_NOTIFS];
static size_t n_notifs;

/* the meta data of each notification, as "name=value;" text: the plugin
 * frees the list after dispatching */
static char notif_meta[MAX_NOTIFS][512];

int plugin_dispatch_notification(const notification_t *n)
{
	char *m;

	if (n_notifs >= MAX_NOTIFS)
		return -1;
	m = notif_meta[n_notifs];
	m[0] = '\0';
	for (const notification_meta_t *p = n->meta; p; p = p->next) {
		size_t at = strlen(m);

		if (p->type == NM_TYPE_STRING)
			snprintf(m + at, sizeof(notif_meta[0]) - at, "%s=%s;", p->name,
				 p->nm_value.nm_string);
		else
			snprintf(m + at, sizeof(notif_meta[0]) - at, "%s=%lld;", p->name,
				 (long long)p->nm_value.nm_signed_int);
	}
	notifs[n_notifs] = *n;
	notifs[n_notifs++].meta = NULL;
	return 0;
}

static int meta_add(notification_t *n, const char *name, enum notification_meta_type_e type,
		    const char *str, int64_t v)
{
	notification_meta_t *m = calloc(1, sizeof(*m)), **tail = &n->meta;

	if (!m)
		return -1;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->type = type;
	if (type == NM_TYPE_STRING) {
		m->nm_value.nm_string = strdup(str);
		if (!m->nm_value.nm_string) {
			free(m);
			return -1;
		}
	} else {
		m->nm_value.nm_signed_int = v;
	}
	while (*tail)
		tail = &(*tail)->next;
	*tail = m;
	return 0;
}

int plugin_notification_meta_add_string(notification_t *n, const char *name, const char *value)
{
	return meta_add(n, name, NM_TYPE_STRING, value, 0);
}

int plugin_notification_meta_add_signed_int(notification_t *n, const char *name, int64_t value)
{
	return meta_add(n, name, NM_TYPE_SIGNED_INT, NULL, value);
}

int plugin_notification_meta_free(notification_meta_t *n)
{
	while (n) {
		notification_meta_t *next = n->next;

		if (n->type == NM_TYPE_STRING)
			free((char *)n->nm_value.nm_string);
		free(n);
		n = next;
	}
	return 0;
}

char *sstrncpy(char *dest, const char *src, size_t n)
{
	if (n == 0)
		return dest;
	strncpy(dest, src, n - 1);
	dest[n - 1] = '\0';
	return dest;
}

/* ---- helpers --------------------------------------------------------------- */

static bool logged(const char *needle)
{
	for (size_t i = 0; i < n_logs; i++)
		if (strstr(logs[i], needle))
			return true;
	return false;
}

static size_t logged_count(const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < n_logs; i++)
		if (strstr(logs[i], needle))
			n++;
	return n;
}

static void dump_logs(void)
{
	for (size_t i = 0; i < n_logs; i++)
		print_message("log[%zu]: %s\n", i, logs[i]);
}

static const struct sent *find_sent(const char *id)
{
	for (size_t i = 0; i < n_sent; i++)
		if (strcmp(sent[i].id, id) == 0)
			return &sent[i];
	return NULL;
}

static size_t count_sent(const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < n_sent; i++)
		if (strstr(sent[i].id, needle))
			n++;
	return n;
}

static int reset(void **state)
{
	(void)state;
	n_logs = n_sent = n_registered = n_notifs = 0;
	ebs_events_init(&cd_events, EBS_EVENTS_LIMIT_DEFAULT);
	registered_read = NULL;
	registered_config = NULL;
	ebs_config_init(&cd_cfg);
	cd_config_file[0] = '\0';
	for (size_t k = 0; k < STATIC_ARRAY_SIZE(cd_pct_on); k++)
		cd_pct_on[k] = true;
	cd_n_pct_extra = 0;
	cd_pct_given = false;
	cd_config_failed = false;
	cd_ebs = NULL;
	memset(cd_logged, 0, sizeof(cd_logged));
	cd_rows_init();
	return 0;
}

static oconfig_value_t vs(const char *s)
{
	return (oconfig_value_t){.value.string = (char *)s, .type = OCONFIG_TYPE_STRING};
}

static oconfig_value_t vn(double d)
{
	return (oconfig_value_t){.value.number = d, .type = OCONFIG_TYPE_NUMBER};
}

static oconfig_value_t vb(bool b)
{
	return (oconfig_value_t){.value.boolean = b, .type = OCONFIG_TYPE_BOOLEAN};
}

#define ITEM(key_, ...)                                                                            \
	{                                                                                          \
		.key = (char *)(key_), .values = (oconfig_value_t[]){__VA_ARGS__},                 \
		.values_num =                                                                      \
			(int)(sizeof((oconfig_value_t[]){__VA_ARGS__}) / sizeof(oconfig_value_t))  \
	}

static int run_config(oconfig_item_t *children, int n)
{
	oconfig_item_t block = {
		.key = (char *)"Plugin",
		.values = (oconfig_value_t[]){vs("ebpf")},
		.values_num = 1,
		.children = children,
		.children_num = n,
	};
	return cd_config_parse(&block);
}

#define RUN_CONFIG(arr) run_config((arr), (int)(sizeof(arr) / sizeof((arr)[0])))

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/ebs-cd-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* ---- configuration ---------------------------------------------------------- */

static void test_register(void **state)
{
	(void)state;
	module_register();
	assert_int_equal(n_registered, 4);
	assert_string_equal(registered[0], "config:ebpf");
	assert_string_equal(registered[1], "init:ebpf");
	assert_string_equal(registered[2], "read:ebpf");
	assert_string_equal(registered[3], "shutdown:ebpf");
	assert_ptr_equal(registered_config, cd_config);
	assert_ptr_equal(registered_read, cd_read);
	assert_true(registered_interval == plugin_get_interval());
}

/* No <Plugin ebpf> block: the built-in defaults, every family on. */
static void test_defaults(void **state)
{
	struct ebs_config def;

	(void)state;
	module_register();
	ebs_config_init(&def);
	assert_memory_equal(&cd_cfg, &def, sizeof(def));
	assert_string_equal(cd_cfg.pin_path, "/sys/fs/bpf/ebpfstats");
}

static void test_every_option(void **state)
{
	oconfig_item_t c[] = {
		ITEM("CollectSyscalls", vb(false)),
		ITEM("CollectSyscallLatency", vb(false)),
		ITEM("CollectTCP", vb(false)),
		ITEM("CollectScheduler", vb(false)),
		ITEM("CollectMemory", vb(true)),
		ITEM("CollectFileIO", vb(true)),
		ITEM("CollectTCPPeers", vb(false)),
		ITEM("ProcessInclude", vs("nginx"), vs("postgres")),
		ITEM("ProcessExclude", vs("collectd")),
		ITEM("SampleRate", vn(25)),
		ITEM("BTFPath", vs("/boot/vmlinux.btf")),
		ITEM("PinPath", vs("")),
		ITEM("MaxThreads", vn(2048)),
		ITEM("MaxSockets", vn(4096)),
		ITEM("MaxPorts", vn(128)),
		ITEM("ReportPercentiles", vn(50), vn(99)),
	};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	if (n_logs)
		dump_logs();
	assert_int_equal(n_logs, 0);
	assert_false(cd_cfg.collect[EBS_FAM_SYSCALLS]);
	assert_false(cd_cfg.syscall_latency);
	assert_false(cd_cfg.collect[EBS_FAM_TCP]);
	assert_false(cd_cfg.collect[EBS_FAM_SCHED]);
	assert_true(cd_cfg.collect[EBS_FAM_MEMORY]);
	assert_true(cd_cfg.file_io);
	assert_false(cd_cfg.tcp_peers);
	assert_int_equal(cd_cfg.n_include, 2);
	assert_string_equal(cd_cfg.include[0], "nginx");
	assert_string_equal(cd_cfg.include[1], "postgres");
	assert_int_equal(cd_cfg.n_exclude, 1);
	assert_string_equal(cd_cfg.exclude[0], "collectd");
	assert_int_equal(cd_cfg.sample_rate, 25);
	assert_string_equal(cd_cfg.btf_path, "/boot/vmlinux.btf");
	assert_string_equal(cd_cfg.pin_path, "");
	assert_int_equal(cd_cfg.max_threads, 2048);
	assert_int_equal(cd_cfg.max_sockets, 4096);
	assert_int_equal(cd_cfg.max_ports, 128);
	assert_true(cd_pct_on[0]);
	assert_false(cd_pct_on[1]);
	assert_true(cd_pct_on[2]);
	assert_false(cd_config_failed);
	/* the core's "collect_tcp is false in ..." names where it was set */
	assert_string_equal(cd_cfg.source, "<Plugin ebpf>");
}

/* Option names are case-insensitive as everywhere in collectd; values may
 * be quoted strings, parsed by the core like the YAML file's. */
static void test_case_and_string_values(void **state)
{
	oconfig_item_t c[] = {
		ITEM("collecttcp", vs("off")),
		ITEM("SAMPLERATE", vs("40")),
	};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	assert_false(cd_cfg.collect[EBS_FAM_TCP]);
	assert_int_equal(cd_cfg.sample_rate, 40);
}

static void test_unknown_option(void **state)
{
	oconfig_item_t c[] = {
		ITEM("CollectSyscalls", vb(true)),
		ITEM("Frobnicate", vb(true)),
	};

	(void)state;
	oconfig_item_t block = {.key = (char *)"Plugin", .children = c, .children_num = 2};

	/* the callback collectd calls says "fine", or collectd would not
	 * start at all; the failure surfaces in init */
	assert_int_equal(cd_config(&block), 0);
	assert_true(logged("ebpf plugin: unknown option 'Frobnicate' in <Plugin ebpf>"));
	assert_int_equal(log_levels[0], LOG_ERR);
	assert_true(cd_config_failed);
	n_logs = 0;
	cd_config_failed = false;
	assert_int_equal(RUN_CONFIG(c), -1);
	assert_true(logged("ebpf plugin: unknown option 'Frobnicate' in <Plugin ebpf>"));
	assert_true(cd_config_failed);
	/* init refuses without touching the kernel; collectd goes on */
	assert_int_equal(cd_init(), -1);
	assert_null(cd_ebs);
	assert_true(logged("not started"));
}

static void test_unknown_option_suggestion(void **state)
{
	oconfig_item_t c[] = {ITEM("CollectTCPP", vb(true)), ITEM("ConfigFil", vs("/x"))};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), -1);
	assert_true(logged("unknown option 'CollectTCPP' in <Plugin ebpf> (did you mean "
			   "'CollectTCP'?)"));
	assert_true(logged("unknown option 'ConfigFil' in <Plugin ebpf> (did you mean "
			   "'ConfigFile'?)"));
}

static void test_bad_values(void **state)
{
	oconfig_item_t c[] = {
		ITEM("SampleRate", vn(250)),
		ITEM("MaxPorts", vn(12.5)),
		ITEM("CollectTCP", vs("maybe")),
		ITEM("PinPath", vs("relative/dir")),
		ITEM("ProcessInclude", vn(5)),
		ITEM("ProcessExclude", vs("averyverylongprocessname")),
		ITEM("SampleRate", vn(1), vn(2)),
		{.key = (char *)"CollectSyscalls", .values_num = 0},
	};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), -1);
	assert_true(logged("option 'SampleRate': must be an integer from 1 to 100, got '250'"));
	assert_true(logged("option 'MaxPorts': must be an integer from 16 to 65536, got '12.5'"));
	assert_true(logged("option 'CollectTCP': must be true or false, got 'maybe'"));
	assert_true(logged("option 'PinPath': "));
	assert_true(logged("option 'ProcessInclude': process names must be quoted strings"));
	assert_true(logged("option 'ProcessExclude': has a process name longer than 15"));
	assert_true(logged("option 'SampleRate' takes exactly one value"));
	assert_true(logged("option 'CollectSyscalls' takes exactly one value"));
	/* nothing applied */
	assert_int_equal(cd_cfg.sample_rate, 100);
	assert_true(cd_cfg.collect[EBS_FAM_TCP]);
	assert_true(cd_config_failed);
}

static void test_config_file(void **state)
{
	char *path = write_tmp("integrations:\n  ebpf:\n    collect_tcp: false\n"
			       "    sample_rate: 10\n    pin_path: \"\"\n");
	char file[64];
	oconfig_item_t c[] = {
		ITEM("ReportPercentiles", vn(99)),
		ITEM("ConfigFile", vs(path)),
	};

	(void)state;
	snprintf(file, sizeof(file), "%s", path);
	assert_int_equal(RUN_CONFIG(c), 0);
	unlink(file);
	assert_false(cd_cfg.collect[EBS_FAM_TCP]);
	assert_true(cd_cfg.collect[EBS_FAM_SCHED]);
	assert_int_equal(cd_cfg.sample_rate, 10);
	assert_string_equal(cd_cfg.pin_path, "");
	assert_string_equal(cd_cfg.source, file);
	assert_false(cd_pct_on[0]);
	assert_true(cd_pct_on[2]);
}

/* The core's "file:line:col: message" reaches the log unchanged. */
static void test_config_file_error(void **state)
{
	char *path = write_tmp("integrations:\n  ebpf:\n    colect_syscalls: true\n");
	char file[64], want[160];
	oconfig_item_t c[] = {ITEM("ConfigFile", vs(path))};

	(void)state;
	snprintf(file, sizeof(file), "%s", path);
	assert_int_equal(RUN_CONFIG(c), -1);
	unlink(file);
	snprintf(want, sizeof(want),
		 "ebpf plugin: %s:3:5: unknown key 'colect_syscalls' (did you mean "
		 "'collect_syscalls'?)",
		 file);
	if (!logged(want))
		dump_logs();
	assert_true(logged(want));
	assert_true(cd_config_failed);
	assert_int_equal(cd_init(), -1);
}

static void test_config_file_missing(void **state)
{
	oconfig_item_t c[] = {ITEM("ConfigFile", vs("/nonexistent/ebpfstats.yaml"))};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), -1);
	assert_true(logged("/nonexistent/ebpfstats.yaml"));
}

/* With ConfigFile the YAML is the single source: a core option beside it
 * is an error naming it, wherever it stands in the block. */
static void test_config_file_conflict(void **state)
{
	char *path = write_tmp("integrations:\n  ebpf:\n    collect_tcp: true\n");
	char file[64];
	oconfig_item_t c[] = {
		ITEM("CollectTCP", vb(false)),
		ITEM("ConfigFile", vs(path)),
		ITEM("PinPath", vs("")),
	};

	(void)state;
	snprintf(file, sizeof(file), "%s", path);
	assert_int_equal(RUN_CONFIG(c), -1);
	unlink(file);
	assert_true(logged("option 'CollectTCP' cannot be combined with ConfigFile: set "
			   "'collect_tcp' in"));
	assert_true(logged("option 'PinPath' cannot be combined with ConfigFile: set 'pin_path'"));
	assert_true(cd_cfg.collect[EBS_FAM_TCP]);
}

static void test_config_file_twice(void **state)
{
	char *path = write_tmp("integrations:\n  ebpf:\n    collect_tcp: true\n");
	char file[64];
	oconfig_item_t c[] = {ITEM("ConfigFile", vs(path)), ITEM("ConfigFile", vs(path))};

	(void)state;
	snprintf(file, sizeof(file), "%s", path);
	assert_int_equal(RUN_CONFIG(c), -1);
	unlink(file);
	assert_true(logged("option 'ConfigFile' given twice"));
}

static void test_percentile_options(void **state)
{
	oconfig_item_t zero[] = {ITEM("ReportPercentiles", vn(50), vn(0))};
	oconfig_item_t over[] = {ITEM("ReportPercentiles", vn(100.5))};
	oconfig_item_t text[] = {ITEM("ReportPercentiles", vs("p99"))};
	oconfig_item_t many[] = {ITEM("ReportPercentiles", vn(1), vn(2), vn(3), vn(4), vn(5), vn(6),
				      vn(7), vn(8), vn(9))};
	oconfig_item_t any[] = {ITEM("ReportPercentiles", vn(99.9), vn(50), vn(95)),
				ITEM("ReportPercentiles", vn(99.9), vn(100))};
	oconfig_item_t none[] = {ITEM("ReportPercentiles", vb(false))};
	oconfig_item_t two[] = {ITEM("ReportPercentiles", vn(90)),
				ITEM("ReportPercentiles", vn(50))};

	(void)state;
	assert_int_equal(RUN_CONFIG(zero), -1);
	assert_true(logged("option 'ReportPercentiles': '0' is not a percentile in (0, 100]"));
	reset(NULL);
	assert_int_equal(RUN_CONFIG(over), -1);
	assert_true(logged("'100.5' is not a percentile in (0, 100]"));
	reset(NULL);
	assert_int_equal(RUN_CONFIG(text), -1);
	assert_true(logged("'p99' is not a percentile in (0, 100]"));
	reset(NULL);
	assert_int_equal(RUN_CONFIG(many), -1);
	assert_true(logged("at most 8 percentiles besides 50, 90 and 99"));

	/* any value in (0, 100]; repeats count once, lines add up */
	reset(NULL);
	assert_int_equal(RUN_CONFIG(any), 0);
	assert_true(cd_pct_on[0]);
	assert_false(cd_pct_on[1] || cd_pct_on[2]);
	assert_int_equal(cd_n_pct_extra, 3);
	assert_true(cd_pct_extra[0] == 99.9 && cd_pct_extra[1] == 95 && cd_pct_extra[2] == 100);

	reset(NULL);
	assert_int_equal(RUN_CONFIG(none), 0);
	assert_false(cd_pct_on[0] || cd_pct_on[1] || cd_pct_on[2]);

	reset(NULL);
	assert_int_equal(RUN_CONFIG(two), 0);
	assert_true(cd_pct_on[0]);
	assert_true(cd_pct_on[1]);
	assert_false(cd_pct_on[2]);
}

/* ---- value naming over a hand-built snapshot ------------------------------ */

static struct ebs_syscall_row sys_rows[2];
static struct ebs_cpu_row cpu_rows[2];
static struct ebs_tcp_port_row port_rows[1];
static struct ebs_tcp_trans_row trans_rows[1];
static struct ebs_hist_row hist_rows[2];

static void fill_snapshot(struct ebs_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	/* as the core does: the views are the settings the programs run with */
	s->views = (struct ebs_views){.syscall_latency = cd_cfg.syscall_latency,
				      .file_io = cd_cfg.file_io,
				      .tcp_peers = cd_cfg.tcp_peers};
	memset(sys_rows, 0, sizeof(sys_rows));
	memset(cpu_rows, 0, sizeof(cpu_rows));
	s->taken_unix_ms = 1700000000123ULL;
	s->sequence = 2;
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		s->modules[f].name = ebs_family_name(f);
		s->modules[f].status = EBS_ST_OK;
		snprintf(s->modules[f].attach, sizeof(s->modules[f].attach), "tp_btf");
		s->modules[f].events = 1000 + (uint64_t)f;
		s->modules[f].overflows = 3;
		s->modules[f].run_time_ns = 555;
		s->modules[f].run_cnt = 66;
		s->modules[f].bpf_stats = true;
	}
	s->sys.calls = 5000;
	s->sys.pct = (struct ebs_pct){.p50 = 1.5, .p90 = 4, .p99 = 12, .samples = 100};

	sys_rows[0] = (struct ebs_syscall_row){.nr = 39, .name = "getpid", .calls = 1};
	sys_rows[1] = (struct ebs_syscall_row){
		.nr = 110,
		.name = "getppid",
		.calls = 4321,
		.errors = 2,
		.latency_ns = 987654,
		.pct = {.p50 = 0.25, .p90 = 0.5, .p99 = 2.75, .samples = 4321},
	};
	s->syscalls = sys_rows;
	s->n_syscalls = 2;

	cpu_rows[0] = (struct ebs_cpu_row){.cpu = 0, .switches_vol = 10};
	cpu_rows[1] = (struct ebs_cpu_row){
		.cpu = 1,
		.switches_vol = 77,
		.switches_invol = 8,
		.runq_pct = {.p50 = 3, .p90 = 9, .p99 = 27, .samples = 5},
	};
	s->cpus = cpu_rows;
	s->n_cpus = 2;

	s->tcp.active_opens = 17;
	s->tcp.established = 4;
	for (uint32_t st = 1; st <= EBS_TCP_NSTATES; st++) {
		s->tcp_states[st - 1].state = st;
		s->tcp_states[st - 1].name = ebs_tcp_state_name(st);
	}
	s->tcp_states[0].sockets = 4;
	s->tcp_states[0].trans_in = 21;
	port_rows[0] = (struct ebs_tcp_port_row){.port = 443, .accepts = 9, .bytes_in = 1234};
	s->tcp_ports = port_rows;
	s->n_tcp_ports = 1;
	trans_rows[0] = (struct ebs_tcp_trans_row){.old_state = 2, .new_state = 1, .count = 17};
	s->tcp_trans = trans_rows;
	s->n_tcp_trans = 1;

	hist_rows[0] = (struct ebs_hist_row){.hist = EBS_H_SYSCALL, .bucket = 1, .count = 3};
	hist_rows[1] = (struct ebs_hist_row){.hist = EBS_H_SYSCALL, .bucket = 2, .count = 4};
	s->hist_rows = hist_rows;
	s->n_hist_rows = 2;
}

static void assert_derive(const char *id, derive_t want)
{
	const struct sent *v = find_sent(id);

	if (!v)
		fail_msg("%s not dispatched", id);
	assert_int_equal(v->values_len, 1);
	assert_int_equal(v->value.derive, want);
}

static void assert_gauge(const char *id, double want)
{
	const struct sent *v = find_sent(id);

	if (!v)
		fail_msg("%s not dispatched", id);
	assert_int_equal(v->values_len, 1);
	assert_true(v->value.gauge == want);
}

static void test_naming(void **state)
{
	struct ebs_snapshot s;
	size_t n;

	(void)state;
	fill_snapshot(&s);
	n = cd_submit_snapshot(&s);
	assert_int_equal(n, n_sent);

	assert_derive("ebpf/syscall/ebpf_calls/getppid", 4321);
	assert_derive("ebpf/syscall/ebpf_errors/getppid", 2);
	assert_derive("ebpf/syscall/ebpf_time_ns/getppid", 987654);
	assert_gauge("ebpf/syscall/ebpf_latency/getppid-p50", 0.25);
	assert_gauge("ebpf/syscall/ebpf_latency/getppid-p99", 2.75);
	assert_derive("ebpf/syscall/ebpf_calls/total", 5000);
	assert_gauge("ebpf/syscall/ebpf_latency/total-p90", 4);

	assert_derive("ebpf/cpu1/ebpf_events/switches_voluntary", 77);
	assert_derive("ebpf/cpu0/ebpf_events/switches_voluntary", 10);
	assert_gauge("ebpf/cpu1/ebpf_latency/runq-p99", 27);

	assert_derive("ebpf/tcp/ebpf_events/active_opens", 17);
	/* tcp.established is SNMP only: collectd has the per-state row */
	assert_null(find_sent("ebpf/tcp/ebpf_sockets/established"));
	assert_gauge("ebpf/tcp/ebpf_sockets/ESTABLISHED", 4);
	assert_derive("ebpf/tcp/ebpf_transitions/ESTABLISHED-in", 21);
	assert_derive("ebpf/tcp/ebpf_transitions/SYN_SENT-ESTABLISHED", 17);
	assert_derive("ebpf/tcp_port/ebpf_events/443-accepts", 9);
	assert_derive("ebpf/tcp_port/ebpf_bytes/443-in", 1234);

	assert_gauge("ebpf/self/ebpf_status/syscalls", EBS_ST_OK);
	assert_derive("ebpf/self/ebpf_events/tcp", 1001);
	assert_derive("ebpf/self/ebpf_overflows/sched", 3);
	assert_derive("ebpf/self/ebpf_time_ns/syscalls", 555);
	assert_derive("ebpf/self/ebpf_events/syscalls-runs", 66);

	/* histograms and text go over SNMP only */
	assert_int_equal(count_sent("histogram"), 0);
	assert_int_equal(count_sent("syscall_latency"), 0);

	/* every value: plugin ebpf, one DERIVE or GAUGE, the snapshot's time */
	for (size_t i = 0; i < n_sent; i++) {
		assert_true(strncmp(sent[i].id, "ebpf/", 5) == 0);
		assert_true(sent[i].time == MS_TO_CDTIME_T(s.taken_unix_ms));
		assert_true(strncmp(sent[i].type, "ebpf_", 5) == 0);
	}
}

/* Percentile gauges with no samples in the interval are unknown (NaN),
 * not a latency of 0. */
static void test_empty_percentiles_are_nan(void **state)
{
	struct ebs_snapshot s;
	const struct sent *v;

	(void)state;
	fill_snapshot(&s);
	cd_submit_snapshot(&s);
	v = find_sent("ebpf/syscall/ebpf_latency/getpid-p50");
	assert_non_null(v);
	assert_true(isnan(v->value.gauge));
	v = find_sent("ebpf/cpu0/ebpf_latency/runq-p90");
	assert_non_null(v);
	assert_true(isnan(v->value.gauge));
	v = find_sent("ebpf/tcp/ebpf_latency/rtt-p50");
	assert_non_null(v);
	assert_true(isnan(v->value.gauge));
}

static void test_percentile_filter(void **state)
{
	struct ebs_snapshot s;
	oconfig_item_t c[] = {ITEM("ReportPercentiles", vn(50), vn(99))};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	fill_snapshot(&s);
	cd_submit_snapshot(&s);
	assert_non_null(find_sent("ebpf/syscall/ebpf_latency/getppid-p50"));
	assert_non_null(find_sent("ebpf/syscall/ebpf_latency/getppid-p99"));
	assert_non_null(find_sent("ebpf/tcp/ebpf_duration_ms/lifetime-p99"));
	assert_int_equal(count_sent("-p90"), 0);
	assert_int_equal(count_sent("/p90"), 0);
	assert_true(count_sent("p50") > 0);

	reset(NULL);
	oconfig_item_t none[] = {ITEM("ReportPercentiles", vb(false))};
	assert_int_equal(RUN_CONFIG(none), 0);
	cd_submit_snapshot(&s);
	assert_int_equal(count_sent("ebpf_latency"), 0);
	assert_int_equal(count_sent("ebpf_duration_ms"), 0);
	assert_true(count_sent("ebpf_calls") > 0);
}

/* A percentile besides 50, 90 and 99 comes from the same interval's
 * histogram, named after the p50 metric; unknown (NaN) without samples. */
static void test_percentile_any(void **state)
{
	static struct ebs_hist h;
	struct ebs_snapshot s;
	oconfig_item_t c[] = {ITEM("ReportPercentiles", vn(99.9), vn(50))};
	const struct sent *v;

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	fill_snapshot(&s);
	/* 1000 samples: 990 of 2 µs, 10 of 800 µs: p99.9 is 800 µs */
	memset(&h, 0, sizeof(h));
	h.slot[ebs_hist_bucket_of(2000)] = 990;
	h.slot[ebs_hist_bucket_of(800000)] = 10;
	ebs_hist_pct(&s.sys.pct, &h, NULL, 1000.0);
	cd_submit_snapshot(&s);
	v = find_sent("ebpf/syscall/ebpf_latency/total-p99.9");
	assert_non_null(v);
	assert_true(fabs(v->value.gauge - 800.0) <= 800.0 * EBS_HIST_MAX_ERROR);
	v = find_sent("ebpf/syscall/ebpf_latency/total-p50");
	assert_non_null(v);
	assert_true(fabs(v->value.gauge - 2.0) <= 2.0 * EBS_HIST_MAX_ERROR);
	/* every p50 metric gets its p99.9 twin, and only those */
	assert_int_equal(count_sent("-p99.9"), count_sent("-p50"));
	assert_int_equal(count_sent("-p99"), count_sent("-p99.9")); /* no p99 of its own */
	assert_int_equal(count_sent("-p90"), 0);
	v = find_sent("ebpf/syscall/ebpf_latency/getpid-p99.9");
	assert_non_null(v);
	assert_true(isnan(v->value.gauge));
	assert_non_null(find_sent("ebpf/tcp/ebpf_duration_ms/lifetime-p99.9"));
	assert_non_null(find_sent("ebpf/cpu1/ebpf_latency/runq-p99.9"));
}

/* A family that cannot run sends nothing but its status; the others go on,
 * and the reason is logged once, not every interval. */
static void test_unavailable_family(void **state)
{
	struct ebs_snapshot s;

	(void)state;
	fill_snapshot(&s);
	s.modules[EBS_FAM_TCP].status = EBS_ST_UNAVAILABLE;
	snprintf(s.modules[EBS_FAM_TCP].reason, sizeof(s.modules[EBS_FAM_TCP].reason),
		 "tracepoint sock:inet_sock_set_state not found");
	s.modules[EBS_FAM_SCHED].status = EBS_ST_DISABLED;
	for (int i = 0; i < 3; i++) {
		cd_log_modules(&s);
		cd_submit_snapshot(&s);
	}
	assert_int_equal(logged_count("module tcp unavailable"), 1);
	assert_true(logged("ebpf plugin: module tcp unavailable, its metrics are not reported: "
			   "tracepoint sock:inet_sock_set_state not found"));
	assert_int_equal(logged_count("module sched disabled"), 1);
	assert_int_equal(logged_count("module syscalls ok"), 1);

	n_sent = 0;
	cd_submit_snapshot(&s);
	assert_int_equal(count_sent("ebpf/tcp/"), 0);
	assert_int_equal(count_sent("ebpf/tcp_port/"), 0);
	assert_int_equal(count_sent("ebpf/sched/"), 0);
	assert_int_equal(count_sent("ebpf/cpu"), 0);
	assert_gauge("ebpf/self/ebpf_status/tcp", EBS_ST_UNAVAILABLE);
	assert_gauge("ebpf/self/ebpf_status/sched", EBS_ST_DISABLED);
	assert_null(find_sent("ebpf/self/ebpf_events/tcp"));
	assert_derive("ebpf/syscall/ebpf_calls/getppid", 4321);

	/* recovery is logged once too */
	s.modules[EBS_FAM_TCP].status = EBS_ST_OK;
	cd_log_modules(&s);
	cd_log_modules(&s);
	assert_int_equal(logged_count("module tcp ok"), 1);
}

static void test_run_time_needs_bpf_stats(void **state)
{
	struct ebs_snapshot s;

	(void)state;
	fill_snapshot(&s);
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		s.modules[f].bpf_stats = false;
	cd_submit_snapshot(&s);
	assert_int_equal(count_sent("ebpf/self/ebpf_time_ns/"), 0);
	assert_null(find_sent("ebpf/self/ebpf_events/syscalls-runs"));
	assert_non_null(find_sent("ebpf/self/ebpf_events/syscalls"));
}

static void test_latency_off(void **state)
{
	struct ebs_snapshot s;
	oconfig_item_t c[] = {ITEM("CollectSyscallLatency", vb(false))};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	fill_snapshot(&s);
	cd_submit_snapshot(&s);
	assert_int_equal(count_sent("ebpf/syscall/ebpf_latency/"), 0);
	assert_int_equal(count_sent("ebpf/syscall/ebpf_time_ns/"), 0);
	assert_derive("ebpf/syscall/ebpf_calls/getppid", 4321);
	/* other families keep their percentiles */
	assert_non_null(find_sent("ebpf/cpu1/ebpf_latency/runq-p50"));
}

static const notification_t *find_notif(const char *type_instance)
{
	for (size_t i = 0; i < n_notifs; i++)
		if (!strcmp(notifs[i].type_instance, type_instance))
			return &notifs[i];
	return NULL;
}

/* The core's events as notifications: severity by what happened, plugin
 * ebpf, the module as plugin_instance, type_instance naming the event. */
static void test_notifications(void **state)
{
	struct ebs_snapshot s;
	const notification_t *n;

	(void)state;
	fill_snapshot(&s);
	s.loaded_unix_ms = 1700000000000ULL;
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		s.modules[f].overflows = 0;
	cd_notify(&s);
	assert_int_equal(n_notifs, 1);
	n = find_notif("programs_loaded");
	assert_non_null(n);
	assert_int_equal(n->severity, NOTIF_OKAY);
	assert_string_equal(n->plugin, "ebpf");
	assert_string_equal(n->plugin_instance, "");
	assert_string_equal(n->host, "testhost");
	assert_int_equal(n->time, MS_TO_CDTIME_T(s.taken_unix_ms));
	assert_derive("ebpf/self/ebpf_events/notifications_suppressed", 0);

	n_notifs = 0;
	s.taken_ns += 10000000000ULL;
	s.mem.oom_kills = 1;
	s.mem.oom_last_pid = 321;
	snprintf(s.mem.oom_last_comm, sizeof(s.mem.oom_last_comm), "hog");
	snprintf(s.mem.oom_last_cgroup, sizeof(s.mem.oom_last_cgroup), "demo.slice/hog.service");
	s.modules[EBS_FAM_TCP].status = EBS_ST_DEGRADED;
	snprintf(s.modules[EBS_FAM_TCP].reason, EBS_REASON_LEN, "no tcp_probe");
	s.modules[EBS_FAM_SCHED].status = EBS_ST_UNAVAILABLE;
	s.modules[EBS_FAM_SYSCALLS].overflows = s.sys.inflight_overflows = 10;
	cd_notify(&s);
	assert_int_equal(n_notifs, 4);
	n = find_notif("oom_kill");
	assert_non_null(n);
	assert_int_equal(n->severity, NOTIF_FAILURE);
	assert_string_equal(n->plugin_instance, "memory");
	assert_string_equal(n->type, "ebpf_events");
	assert_string_equal(n->message, "OOM killer killed pid 321 (hog); 1 since load; cgroup "
					"demo.slice/hog.service");
	/* and whole in the meta data, which a 256-byte message may cut */
	assert_string_equal(notif_meta[n - notifs],
			    "pid=321;comm=hog;cgroup=demo.slice/hog.service;");
	n = find_notif("overflow");
	assert_non_null(n);
	assert_int_equal(n->severity, NOTIF_WARNING);
	assert_string_equal(n->plugin_instance, "syscalls");
	for (size_t i = 0; i < n_notifs; i++) {
		if (strcmp(notifs[i].type_instance, "module_status"))
			continue;
		if (!strcmp(notifs[i].plugin_instance, "tcp")) {
			assert_int_equal(notifs[i].severity, NOTIF_WARNING);
			assert_string_equal(notifs[i].message,
					    "module tcp: ok -> degraded: no tcp_probe");
		} else {
			assert_string_equal(notifs[i].plugin_instance, "sched");
			assert_int_equal(notifs[i].severity, NOTIF_FAILURE);
		}
	}

	/* back to ok is OKAY; over the limit is counted, not sent */
	n_notifs = n_sent = 0;
	cd_events.limit = 1;
	s.taken_ns += 10000000000ULL;
	s.modules[EBS_FAM_TCP].status = EBS_ST_OK;
	s.modules[EBS_FAM_SCHED].status = EBS_ST_OK;
	cd_notify(&s);
	assert_int_equal(n_notifs, 0); /* this minute's one was sent already */
	assert_derive("ebpf/self/ebpf_events/notifications_suppressed", 2);
}

static void test_notify_limit_option(void **state)
{
	oconfig_item_t c[] = {ITEM("NotifyLimit", vn(2))};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	assert_int_equal(cd_cfg.notify_limit, 2);
}

static void test_read_without_core(void **state)
{
	(void)state;
	assert_int_equal(cd_read(NULL), -1);
	assert_int_equal(cd_shutdown(), 0);
}

/* ---- bounded row tables: TopPorts, TopPeers, TopSyscalls, selections ------- */

static void test_rows_options(void **state)
{
	oconfig_item_t c[] = {
		ITEM("TopPorts", vn(5)),
		ITEM("TopPeers", vn(0)),
		ITEM("topsyscalls", vn(3)),
		ITEM("Port", vs("443"), vn(8080)),
		ITEM("Port", vs("22")),
		ITEM("Peer", vs("192.0.2.7"), vs("192.0.2.8:443"), vs("[2001:db8::1]:22"),
		     vs("2001:db8::2")),
		ITEM("Syscall", vs("read"), vs("sys_999")),
		ITEM("IgnoreSelected", vb(true)),
	};
	const struct cd_rows *pt = &cd_rows[EBS_T_TCP_PORT], *pe = &cd_rows[EBS_T_TCP_PEER];

	(void)state;
	/* the defaults keep a default configuration under 400 series */
	assert_int_equal(cd_rows[EBS_T_TCP_PORT].top, 10);
	assert_int_equal(cd_rows[EBS_T_TCP_PEER].top, 10);
	assert_int_equal(cd_rows[EBS_T_SYSCALL].top, 20);
	assert_false(cd_ignore_selected);
	assert_int_equal(RUN_CONFIG(c), 0);
	if (n_logs)
		dump_logs();
	assert_int_equal(n_logs, 0);
	assert_int_equal(pt->top, 5);
	assert_int_equal(pe->top, 0);
	assert_int_equal(cd_rows[EBS_T_SYSCALL].top, 3);
	assert_int_equal(pt->n_sel, 3);
	assert_int_equal(pt->sel[0].num, 443);
	assert_int_equal(pt->sel[1].num, 8080);
	assert_int_equal(pt->sel[2].num, 22);
	assert_int_equal(pe->n_sel, 4);
	assert_int_equal(pe->sel[0].addr_type, 1);
	assert_int_equal(pe->sel[0].port, 0);
	assert_memory_equal(pe->sel[0].addr, "\xc0\x00\x02\x07", 4);
	assert_int_equal(pe->sel[1].port, 443);
	assert_int_equal(pe->sel[2].addr_type, 2);
	assert_int_equal(pe->sel[2].port, 22);
	assert_int_equal(pe->sel[2].addr[15], 1);
	assert_int_equal(pe->sel[3].addr_type, 2);
	assert_int_equal(pe->sel[3].port, 0);
	assert_int_equal(cd_rows[EBS_T_SYSCALL].n_sel, 2);
	assert_string_equal(ebs_syscall_name(cd_rows[EBS_T_SYSCALL].sel[0].num), "read");
	assert_int_equal(cd_rows[EBS_T_SYSCALL].sel[1].num, 999);
	assert_true(cd_ignore_selected);
	/* front-end options: they may sit next to ConfigFile */
	reset(NULL);
	char *path = write_tmp("integrations:\n  ebpf:\n    collect_tcp: true\n");
	char file[64];
	oconfig_item_t f[] = {ITEM("ConfigFile", vs(path)), ITEM("TopPorts", vn(3)),
			      ITEM("Port", vs("443"))};

	snprintf(file, sizeof(file), "%s", path);
	assert_int_equal(RUN_CONFIG(f), 0);
	unlink(file);
	assert_int_equal(cd_rows[EBS_T_TCP_PORT].top, 3);
}

/* Each bad value is named, and the block's other errors are reported too. */
static void test_rows_bad_options(void **state)
{
	oconfig_item_t c[] = {
		ITEM("TopPorts", vn(-1)),
		ITEM("TopPeers", vn(12.5)),
		ITEM("TopSyscalls", vs("many")),
		ITEM("TopPorts", vn(70000)),
		ITEM("Port", vs("http")),
		ITEM("Port", vn(70000)),
		ITEM("Peer", vs("example.org")),
		ITEM("Peer", vs("192.0.2.7:0")),
		ITEM("Peer", vs("[2001:db8::1]")),
		ITEM("Peer", vn(5)),
		ITEM("Syscall", vs("reed")),
		ITEM("IgnoreSelected", vs("maybe")),
		{.key = (char *)"Port", .values_num = 0},
		ITEM("TopPort", vn(5)),
		ITEM("SampleRate", vn(250)),
	};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), -1);
	assert_true(logged("ebpf plugin: option 'TopPorts': must be an integer from 0 to 65536, "
			   "got '-1'"));
	assert_true(logged("option 'TopPeers': must be an integer from 0 to 65536, got '12.5'"));
	assert_true(logged("option 'TopSyscalls' takes one number of rows from 0 to 4096, got "
			   "'many'"));
	assert_true(logged("option 'TopPorts': must be an integer from 0 to 65536, got '70000'"));
	assert_true(logged("option 'Port': 'http' is not a port number from 1 to 65535"));
	assert_true(logged("option 'Port': '70000' is not a port number from 1 to 65535"));
	assert_true(logged("option 'Peer': 'example.org' is not an IPv4 or IPv6 address, "
			   "optionally with a port"));
	assert_true(logged("option 'Peer': '192.0.2.7:0' is not an IPv4"));
	assert_true(logged("option 'Peer': '[2001:db8::1]' is not an IPv4"));
	assert_true(logged("option 'Peer': '5' is not an IPv4"));
	assert_true(logged("option 'Syscall': 'reed' is not a syscall name"));
	assert_true(logged("option 'IgnoreSelected' takes one boolean (true or false)"));
	assert_true(logged("option 'Port' takes one or more values, each a port number"));
	assert_true(logged("unknown option 'TopPort' in <Plugin ebpf> (did you mean "
			   "'TopPorts'?)"));
	assert_true(logged("option 'SampleRate': must be an integer from 1 to 100, got '250'"));
	assert_true(cd_config_failed);
	assert_int_equal(cd_init(), -1);
}

#define N_ROWS 100
static struct ebs_tcp_port_row many_ports[N_ROWS];
static struct ebs_tcp_peer_row many_peers[N_ROWS];

/* 100 ports 1000..1099 and 100 outbound peers 192.0.2.0..99 port 443;
 * row i's counters total 1000 + i (the last rows are the biggest). */
static void fill_many(struct ebs_snapshot *s)
{
	fill_snapshot(s);
	for (uint32_t i = 0; i < N_ROWS; i++) {
		many_ports[i] =
			(struct ebs_tcp_port_row){.port = 1000 + i, .accepts = 1000, .bytes_in = i};
		many_peers[i] = (struct ebs_tcp_peer_row){.dir = EBS_PEER_OUT,
							  .addr_type = 1,
							  .port = 443,
							  .connects = 1000,
							  .bytes_out = i};
		many_peers[i].addr[0] = 192;
		many_peers[i].addr[2] = 2;
		many_peers[i].addr[3] = (uint8_t)i;
		snprintf(many_peers[i].addr_str, sizeof(many_peers[i].addr_str), "192.0.2.%u", i);
	}
	s->tcp_ports = many_ports;
	s->n_tcp_ports = N_ROWS;
	s->tcp_peers = many_peers;
	s->n_tcp_peers = N_ROWS;
}

static bool port_sent(uint32_t port)
{
	char id[128];

	snprintf(id, sizeof(id), "ebpf/tcp_port/ebpf_events/%u-accepts", port);
	return find_sent(id) != NULL;
}

static bool peer_sent(const char *key)
{
	char id[128];

	snprintf(id, sizeof(id), "ebpf/tcp_peer/ebpf_events/%s-connects", key);
	return find_sent(id) != NULL;
}

/* One read of s: the number of port rows sent, checked against the self
 * metrics (rows in the snapshot, and the ones left out). */
static size_t read_ports(const struct ebs_snapshot *s)
{
	size_t rows;

	n_sent = 0;
	cd_submit_snapshot(s);
	rows = count_sent("ebpf/tcp_port/ebpf_events/") / 3;
	/* every row sent has its seven values */
	assert_int_equal(count_sent("ebpf/tcp_port/"), rows * 7);
	assert_gauge("ebpf/self/ebpf_rows/tcp_port", s->n_tcp_ports);
	assert_gauge("ebpf/self/ebpf_rows/tcp_port-omitted", (double)(s->n_tcp_ports - rows));
	return rows;
}

static void test_top_ports(void **state)
{
	struct ebs_snapshot s;

	(void)state;
	cd_rows[EBS_T_TCP_PORT].top = 20;
	fill_many(&s);
	/* first read: a row first seen counts its whole value */
	assert_int_equal(read_ports(&s), 20);
	for (uint32_t p = 1000; p < 1100; p++)
		assert_int_equal(port_sent(p), p >= 1080);
	/* the totals are not bounded */
	assert_derive("ebpf/tcp/ebpf_events/active_opens", 17);

	/* the interval's activity ranks, not the totals: 1000..1019 get
	 * busy (different amounts, each counter counts), 1099 gets a little */
	for (uint32_t i = 0; i < 20; i++) {
		many_ports[i].accepts += 10 + i;
		many_ports[i].bytes_out += 100;
	}
	many_ports[3].resets += 1000;
	many_ports[4].retransmits += 1000;
	many_ports[99].accepts += 1;
	assert_int_equal(read_ports(&s), 20);
	for (uint32_t p = 1000; p < 1100; p++)
		assert_int_equal(port_sent(p), p < 1020);
	assert_derive("ebpf/tcp_port/ebpf_events/1003-resets", 1000);

	/* fewer busy rows than slots: the busy ones, then the quiet ones in
	 * port order, the same at every quiet read */
	many_ports[50].bytes_in += 5;
	many_ports[60].accepts += 7;
	assert_int_equal(read_ports(&s), 20);
	for (uint32_t p = 1000; p < 1100; p++)
		assert_int_equal(port_sent(p), p < 1018 || p == 1050 || p == 1060);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(read_ports(&s), 20);
		for (uint32_t p = 1000; p < 1100; p++)
			assert_int_equal(port_sent(p), p < 1020);
	}

	/* counters that went back (programs reloaded): the whole value */
	many_ports[90].accepts = 5000;
	many_ports[90].bytes_in = 0;
	many_ports[91].accepts = 1; /* 1091 went back to 1, less than any busy row */
	many_ports[91].bytes_in = 0;
	cd_rows[EBS_T_TCP_PORT].top = 1;
	assert_int_equal(read_ports(&s), 1);
	assert_true(port_sent(1090));

	/* TopPorts 0: no row by activity */
	cd_rows[EBS_T_TCP_PORT].top = 0;
	many_ports[7].accepts += 100;
	assert_int_equal(read_ports(&s), 0);
	assert_gauge("ebpf/self/ebpf_rows/tcp_port-omitted", N_ROWS);
}

/* Port "..." forces a quiet row in besides the top N; with IgnoreSelected
 * true a selected row is never sent, however busy. */
static void test_selected_ports(void **state)
{
	struct ebs_snapshot s;
	oconfig_item_t c[] = {ITEM("TopPorts", vn(20)), ITEM("Port", vs("1001"), vn(1099))};
	oconfig_item_t ign[] = {ITEM("TopPorts", vn(20)), ITEM("Port", vs("1099")),
				ITEM("IgnoreSelected", vb(true))};
	oconfig_item_t only[] = {ITEM("TopPorts", vn(0)), ITEM("Port", vs("1001"))};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	fill_many(&s);
	read_ports(&s);
	for (uint32_t i = 30; i < 50; i++)
		many_ports[i].accepts += 50;
	many_ports[99].accepts += 1000; /* selected: busy or not, it is sent */
	/* 1001 is selected and quiet: forced in; 20 others by activity */
	assert_int_equal(read_ports(&s), 22);
	for (uint32_t p = 1000; p < 1100; p++)
		assert_int_equal(port_sent(p), (p >= 1030 && p < 1050) || p == 1001 || p == 1099);
	assert_gauge("ebpf/self/ebpf_rows/tcp_port-omitted", 78);

	reset(NULL);
	assert_int_equal(RUN_CONFIG(ign), 0);
	fill_many(&s);
	/* 1099 is the biggest row, but ignored: 1079..1098 are sent */
	assert_int_equal(read_ports(&s), 20);
	for (uint32_t p = 1000; p < 1100; p++)
		assert_int_equal(port_sent(p), p >= 1079 && p < 1099);
	many_ports[99].accepts += 1000000;
	assert_int_equal(read_ports(&s), 20);
	assert_false(port_sent(1099));
	assert_gauge("ebpf/self/ebpf_rows/tcp_port-omitted", 80);

	reset(NULL);
	assert_int_equal(RUN_CONFIG(only), 0);
	fill_many(&s);
	assert_int_equal(read_ports(&s), 1);
	assert_true(port_sent(1001));
	/* the peers keep their own default */
	assert_int_equal(count_sent("ebpf/tcp_peer/ebpf_events/") / 3, 10);
}

static void test_top_peers(void **state)
{
	struct ebs_snapshot s;
	oconfig_item_t c[] = {ITEM("TopPeers", vn(20)), ITEM("Peer", vs("192.0.2.3")),
			      ITEM("Peer", vs("192.0.2.4:443"), vs("192.0.2.5:80"))};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	fill_many(&s);
	n_sent = 0;
	cd_submit_snapshot(&s);
	/* an address matches every port, addr:port that port only */
	assert_true(peer_sent("out-192.0.2.3-443"));
	assert_true(peer_sent("out-192.0.2.4-443"));
	assert_false(peer_sent("out-192.0.2.5-443"));
	assert_true(peer_sent("out-192.0.2.99-443"));
	assert_true(peer_sent("out-192.0.2.80-443"));
	assert_false(peer_sent("out-192.0.2.79-443"));
	assert_int_equal(count_sent("ebpf/tcp_peer/ebpf_events/") / 3, 22);
	assert_int_equal(count_sent("ebpf/tcp_peer/"), 22 * 7);
	assert_gauge("ebpf/self/ebpf_rows/tcp_peer", N_ROWS);
	assert_gauge("ebpf/self/ebpf_rows/tcp_peer-omitted", N_ROWS - 22);

	/* activity of a peer: connects, retransmits, resets and bytes */
	many_peers[10].retransmits += 3;
	many_peers[11].resets += 2;
	many_peers[12].bytes_in += 1;
	cd_rows[EBS_T_TCP_PEER].top = 3;
	n_sent = 0;
	cd_submit_snapshot(&s);
	assert_int_equal(count_sent("ebpf/tcp_peer/ebpf_events/") / 3, 5);
	assert_true(peer_sent("out-192.0.2.10-443"));
	assert_true(peer_sent("out-192.0.2.11-443"));
	assert_true(peer_sent("out-192.0.2.12-443"));
	assert_gauge("ebpf/self/ebpf_rows/tcp_peer-omitted", N_ROWS - 5);

	/* no peer rows or self metric for them without CollectTCPPeers (the
	 * core then says the view is off) */
	cd_cfg.tcp_peers = false;
	s.views.tcp_peers = false;
	n_sent = 0;
	s.n_tcp_peers = 0;
	cd_submit_snapshot(&s);
	assert_null(find_sent("ebpf/self/ebpf_rows/tcp_peer"));
	assert_non_null(find_sent("ebpf/self/ebpf_rows/tcp_port"));
}

static void test_top_syscalls(void **state)
{
	struct ebs_snapshot s;
	oconfig_item_t c[] = {ITEM("TopSyscalls", vn(1)), ITEM("Syscall", vs("getpid"))};

	(void)state;
	assert_int_equal(RUN_CONFIG(c), 0);
	fill_snapshot(&s);
	cd_submit_snapshot(&s);
	assert_derive("ebpf/syscall/ebpf_calls/getppid", 4321);
	assert_derive("ebpf/syscall/ebpf_calls/getpid", 1); /* selected */
	assert_gauge("ebpf/self/ebpf_rows/syscall", 2);
	assert_gauge("ebpf/self/ebpf_rows/syscall-omitted", 0);
	/* the totals stay exact */
	assert_derive("ebpf/syscall/ebpf_calls/total", 5000);

	reset(NULL);
	cd_rows[EBS_T_SYSCALL].top = 1;
	fill_snapshot(&s);
	cd_submit_snapshot(&s);
	sys_rows[0].calls += 10; /* getpid is the busier one now */
	n_sent = 0;
	cd_submit_snapshot(&s);
	assert_derive("ebpf/syscall/ebpf_calls/getpid", 11);
	assert_int_equal(count_sent("getppid"), 0);
	assert_gauge("ebpf/self/ebpf_rows/syscall-omitted", 1);
	/* no self metric for a family that does not run */
	s.modules[EBS_FAM_SYSCALLS].status = EBS_ST_DISABLED;
	n_sent = 0;
	cd_submit_snapshot(&s);
	assert_null(find_sent("ebpf/self/ebpf_rows/syscall"));
	assert_null(find_sent("ebpf/self/ebpf_rows/syscall-omitted"));
}

/* ---- ebpf.types.db against the catalog ----------------------------------------- */

struct tdb_entry {
	char type[DATA_MAX_NAME_LEN];
	char ds[64];
	bool used;
};

static size_t load_types_db(struct tdb_entry *e, size_t max)
{
	FILE *f = fopen(EBS_TYPES_DB, "r");
	char line[512];
	size_t n = 0;

	if (!f)
		fail_msg("cannot open %s", EBS_TYPES_DB);
	while (fgets(line, sizeof(line), f)) {
		char type[DATA_MAX_NAME_LEN], ds[64], extra[8];
		int k;

		if (line[0] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		k = sscanf(line, "%127s %63s %7s", type, ds, extra);
		if (k != 2)
			fail_msg("types.db line is not 'type ds': %s", line);
		assert_true(n < max);
		snprintf(e[n].type, sizeof(e[n].type), "%s", type);
		snprintf(e[n].ds, sizeof(e[n].ds), "%s", ds);
		e[n].used = false;
		for (size_t i = 0; i < n; i++)
			if (strcmp(e[i].type, type) == 0)
				fail_msg("%s listed twice in types.db", type);
		n++;
	}
	fclose(f);
	return n;
}

static void test_types_db_matches_catalog(void **state)
{
	struct tdb_entry e[64];
	size_t n = load_types_db(e, 64);

	(void)state;
	assert_true(n > 0);
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *m = &ebs_catalog[i];
		const char *want;
		bool found = false;

		if (!m->cd_type)
			continue;
		/* collectd rates counters itself: DERIVE; levels and percentiles GAUGE */
		want = m->kind == EBS_COUNTER ? "value:DERIVE:" : "value:GAUGE:";
		for (size_t j = 0; j < n; j++) {
			if (strcmp(e[j].type, m->cd_type) != 0)
				continue;
			found = e[j].used = true;
			if (strncmp(e[j].ds, want, strlen(want)) != 0)
				fail_msg("%s: type %s is %s, want %s...", m->id, m->cd_type,
					 e[j].ds, want);
		}
		if (!found)
			fail_msg("%s: type %s missing from ebpf.types.db", m->id, m->cd_type);
		assert_true(strlen(m->cd_type) < DATA_MAX_NAME_LEN);
	}
	/* the plugin's own values (rows of bounded tables) are levels */
	for (size_t j = 0; j < n; j++) {
		if (strcmp(e[j].type, CD_ROWS_TYPE) != 0)
			continue;
		if (strncmp(e[j].ds, "value:GAUGE:", 12) != 0)
			fail_msg("%s is %s, want value:GAUGE:...", CD_ROWS_TYPE, e[j].ds);
		e[j].used = true;
	}
	for (size_t j = 0; j < n; j++)
		if (!e[j].used)
			fail_msg("types.db lists %s, which no catalog metric uses", e[j].type);
}

/* Every dispatched type exists in the file, so collectd never drops a
 * value for an unknown data set. */
static void test_dispatched_types_known(void **state)
{
	struct tdb_entry e[64];
	size_t n = load_types_db(e, 64);
	struct ebs_snapshot s;

	(void)state;
	fill_snapshot(&s);
	cd_submit_snapshot(&s);
	for (size_t i = 0; i < n_sent; i++) {
		bool found = false;

		for (size_t j = 0; j < n && !found; j++)
			found = strcmp(e[j].type, sent[i].type) == 0;
		if (!found)
			fail_msg("%s dispatched with a type missing from types.db", sent[i].id);
	}
}

/* Whether the plugin dispatches m, with every module running. */
static bool wanted(const struct ebs_metric *m, const struct ebs_snapshot *s)
{
	const void *row = m->table == EBS_T_MODULE ? (const void *)&s->modules[0] : (const void *)s;

	return cd_metric_wanted(m, s) && cd_row_wanted(m, s, row);
}

/* ebs_metric_view(), the "view" of `ebpfstats catalog --json`, says what
 * this plugin decides: turning one setting off hides exactly the metrics
 * whose view names it. */
static void test_views_match_catalog(void **state)
{
	static const char *const knobs[] = {"syscall_latency", "file_io", "bpf_stats", "cgroups",
					    "page_allocs"};
	struct ebs_snapshot s;

	(void)state;
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *m = &ebs_catalog[i];
		const char *view = ebs_metric_view(m);

		/* the peer table is empty without tcp_peers (the core's doing) */
		assert_int_equal(strcmp(view, "tcp_peers") == 0, m->table == EBS_T_TCP_PEER);
		if (!m->cd_type || m->vtype == EBS_V_STR || m->vtype == EBS_V_STRPTR)
			continue; /* never dispatched */
		for (size_t k = 0; k <= STATIC_ARRAY_SIZE(knobs); k++) {
			bool want;

			fill_snapshot(&s);
			for (int f = 0; f < EBS_FAM_COUNT; f++) {
				s.modules[f].status = EBS_ST_OK;
				s.modules[f].bpf_stats = true;
			}
			s.views.syscall_latency = s.views.file_io = s.views.cgroups = true;
			s.views.page_allocs = true;
			/* k == the number of knobs: all on */
			if (k < STATIC_ARRAY_SIZE(knobs) && !strcmp(knobs[k], "syscall_latency"))
				s.views.syscall_latency = false;
			if (k < STATIC_ARRAY_SIZE(knobs) && !strcmp(knobs[k], "file_io"))
				s.views.file_io = false;
			if (k < STATIC_ARRAY_SIZE(knobs) && !strcmp(knobs[k], "cgroups"))
				s.views.cgroups = false;
			if (k < STATIC_ARRAY_SIZE(knobs) && !strcmp(knobs[k], "page_allocs"))
				s.views.page_allocs = false;
			if (k < STATIC_ARRAY_SIZE(knobs) && !strcmp(knobs[k], "bpf_stats"))
				for (int f = 0; f < EBS_FAM_COUNT; f++)
					s.modules[f].bpf_stats = false;
			want = k == STATIC_ARRAY_SIZE(knobs) || !strstr(view, knobs[k]);
			if (wanted(m, &s) != want)
				fail_msg("%s: view '%s', but with %s off the plugin %s it", m->id,
					 view, k < STATIC_ARRAY_SIZE(knobs) ? knobs[k] : "nothing",
					 want ? "drops" : "dispatches");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register, reset),
		cmocka_unit_test_setup(test_defaults, reset),
		cmocka_unit_test_setup(test_every_option, reset),
		cmocka_unit_test_setup(test_case_and_string_values, reset),
		cmocka_unit_test_setup(test_unknown_option, reset),
		cmocka_unit_test_setup(test_unknown_option_suggestion, reset),
		cmocka_unit_test_setup(test_bad_values, reset),
		cmocka_unit_test_setup(test_config_file, reset),
		cmocka_unit_test_setup(test_config_file_error, reset),
		cmocka_unit_test_setup(test_config_file_missing, reset),
		cmocka_unit_test_setup(test_config_file_conflict, reset),
		cmocka_unit_test_setup(test_config_file_twice, reset),
		cmocka_unit_test_setup(test_percentile_options, reset),
		cmocka_unit_test_setup(test_naming, reset),
		cmocka_unit_test_setup(test_empty_percentiles_are_nan, reset),
		cmocka_unit_test_setup(test_percentile_filter, reset),
		cmocka_unit_test_setup(test_percentile_any, reset),
		cmocka_unit_test_setup(test_unavailable_family, reset),
		cmocka_unit_test_setup(test_run_time_needs_bpf_stats, reset),
		cmocka_unit_test_setup(test_latency_off, reset),
		cmocka_unit_test_setup(test_read_without_core, reset),
		cmocka_unit_test_setup(test_rows_options, reset),
		cmocka_unit_test_setup(test_rows_bad_options, reset),
		cmocka_unit_test_setup(test_top_ports, reset),
		cmocka_unit_test_setup(test_selected_ports, reset),
		cmocka_unit_test_setup(test_top_peers, reset),
		cmocka_unit_test_setup(test_top_syscalls, reset),
		cmocka_unit_test_setup(test_notifications, reset),
		cmocka_unit_test_setup(test_notify_limit_option, reset),
		cmocka_unit_test_setup(test_types_db_matches_catalog, reset),
		cmocka_unit_test_setup(test_dispatched_types_known, reset),
		cmocka_unit_test_setup(test_views_match_catalog, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
