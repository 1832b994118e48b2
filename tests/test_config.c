/* The YAML config loader: defaults, every key and alias, and the exact
 * "file:line:col: message" of every class of error. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ebpfstats.h"

#define NAME "t.yaml"
#define HDR "integrations:\n  ebpf:\n"
#define MIB (1024 * 1024)

/* ---- helpers -------------------------------------------------------------- */

static int parse_text(struct ebs_config *cfg, const char *text, char *err)
{
	return ebs_config_parse(cfg, NAME, text, strlen(text), err, EBS_ERR_LEN);
}

/* A config that differs from the defaults everywhere, so "left untouched"
 * cannot pass by accident. */
static void init_marked(struct ebs_config *cfg)
{
	ebs_config_init(cfg);
	cfg->enabled = false;
	cfg->collect[EBS_FAM_TCP] = false;
	cfg->sample_rate = 42;
	cfg->interval_ms = 1234;
	cfg->max_ports = 99;
	strcpy(cfg->include[0], "marker");
	cfg->n_include = 1;
	strcpy(cfg->btf_path, "/marker");
}

static void expect_error(const char *text, const char *msg)
{
	struct ebs_config cfg, before;
	char err[EBS_ERR_LEN] = "";

	init_marked(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	if (parse_text(&cfg, text, err) != -1)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, msg);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/* Errors whose wording is libyaml's: check the position and a fragment. */
static void expect_error_like(const char *text, const char *prefix, const char *fragment)
{
	struct ebs_config cfg, before;
	char err[EBS_ERR_LEN] = "";

	init_marked(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	if (parse_text(&cfg, text, err) != -1)
		fail_msg("accepted: %s", text);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, fragment))
		fail_msg("got '%s', want '%s...%s...'", err, prefix, fragment);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void expect_ok(struct ebs_config *cfg, const char *text)
{
	char err[EBS_ERR_LEN] = "";

	ebs_config_init(cfg);
	if (parse_text(cfg, text, err) != 0)
		fail_msg("rejected: %s\n-> %s", text, err);
}

/* tests/data/... and docs/... from the source tree: $top_srcdir under
 * `make check`, else next to this file. */
static void source_path(char *out, size_t len, const char *rel)
{
	const char *top = getenv("top_srcdir");

	if (top && *top) {
		snprintf(out, len, "%s/%s", top, rel);
	} else {
		const char *slash = strrchr(__FILE__, '/');
		int dir = slash ? (int)(slash - __FILE__) : 1;

		snprintf(out, len, "%.*s/../%s", dir, slash ? __FILE__ : ".", rel);
	}
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

static void write_temp(char *path, size_t pathlen, const char *data, size_t len)
{
	int fd;

	snprintf(path, pathlen, "/tmp/ebs-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		assert_true(n > 0);
		data += n;
		len -= (size_t)n;
	}
	assert_int_equal(close(fd), 0);
}

static void assert_defaults(const struct ebs_config *cfg)
{
	assert_true(cfg->enabled);
	for (int i = 0; i < EBS_FAM_COUNT; i++)
		assert_true(cfg->collect[i] == (i != EBS_FAM_MEMORY)); /* memory: off */
	assert_false(cfg->file_io);
	assert_true(cfg->tcp_peers);
	assert_false(cfg->bpf_stats);
	assert_true(cfg->syscall_latency);
	assert_int_equal(cfg->n_include, 0);
	assert_int_equal(cfg->n_exclude, 0);
	assert_int_equal(cfg->sample_rate, 100);
	assert_string_equal(cfg->btf_path, "");
	assert_string_equal(cfg->pin_path, "/sys/fs/bpf/ebpfstats");
	assert_int_equal(cfg->interval_ms, 10000);
	assert_int_equal(cfg->max_threads, 10240);
	assert_int_equal(cfg->max_sockets, 16384);
	assert_int_equal(cfg->max_ports, 1024);
}

/* ---- defaults and valid files ------------------------------------------- */

static void test_defaults(void **state)
{
	struct ebs_config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	ebs_config_init(&cfg);
	assert_string_equal(cfg.source, "<built-in defaults>");
	assert_defaults(&cfg);
}

static void test_empty_inputs_give_defaults(void **state)
{
	static const char *const texts[] = {
		"",
		"# nothing but a comment\n",
		"---\n",
		"--- ~\n...\n",
		"integrations: {ebpf: {}}\n",
		"integrations:\n  ebpf:\n",
		"integrations:\n  ebpf:\n    # enabled: false\n",
	};
	struct ebs_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		expect_ok(&cfg, texts[i]);
		assert_defaults(&cfg);
		assert_string_equal(cfg.source, NAME);
	}
}

static void test_full_file(void **state)
{
	char path[1024], err[EBS_ERR_LEN] = "";
	struct ebs_config cfg;

	(void)state;
	source_path(path, sizeof(path), "tests/data/config/full.yaml");
	ebs_config_init(&cfg);
	if (ebs_config_load(&cfg, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.source, path);
	assert_true(cfg.enabled);
	assert_true(cfg.collect[EBS_FAM_SYSCALLS]);
	assert_false(cfg.syscall_latency);
	assert_false(cfg.collect[EBS_FAM_TCP]);
	assert_true(cfg.collect[EBS_FAM_SCHED]);
	assert_true(cfg.collect[EBS_FAM_MEMORY]);
	assert_true(cfg.file_io);
	assert_false(cfg.tcp_peers);
	assert_int_equal(cfg.n_include, 2);
	assert_string_equal(cfg.include[0], "nginx");
	assert_string_equal(cfg.include[1], "postgres");
	assert_int_equal(cfg.n_exclude, 3);
	assert_string_equal(cfg.exclude[0], "systemd");
	assert_string_equal(cfg.exclude[1], "sshd");
	assert_string_equal(cfg.exclude[2], "collectd");
	assert_int_equal(cfg.sample_rate, 25);
	assert_string_equal(cfg.btf_path, "/boot/vmlinux-6.18.btf");
	assert_string_equal(cfg.pin_path, "/sys/fs/bpf/ebpfstats-test");
	assert_int_equal(cfg.interval_ms, 15000);
	assert_int_equal(cfg.notify_limit, 3);
	assert_int_equal(cfg.max_threads, 4096);
	assert_int_equal(cfg.max_sockets, 65536);
	assert_int_equal(cfg.max_ports, 256);
}

static void test_shared_file(void **state)
{
	char path[1024], err[EBS_ERR_LEN] = "";
	struct ebs_config cfg;

	(void)state;
	source_path(path, sizeof(path), "tests/data/config/shared.yaml");
	ebs_config_init(&cfg);
	if (ebs_config_load(&cfg, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.pin_path, "/sys/fs/bpf/tfo-agent");
	assert_int_equal(cfg.interval_ms, 15000);
	assert_true(cfg.collect[EBS_FAM_TCP]);
	assert_false(cfg.collect[EBS_FAM_SCHED]);
	assert_int_equal(cfg.n_include, 0);
	assert_int_equal(cfg.n_exclude, 2);
	assert_string_equal(cfg.exclude[0], "tfo-agent");
	assert_string_equal(cfg.exclude[1], "systemd");
	assert_string_equal(cfg.btf_path, "");

	source_path(path, sizeof(path), "tests/data/config/minimal.yaml");
	ebs_config_init(&cfg);
	if (ebs_config_load(&cfg, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_defaults(&cfg);
}

static void test_aliases(void **state)
{
	struct ebs_config cfg;

	(void)state;
	expect_ok(&cfg, HDR "    collect_network: false\n");
	assert_false(cfg.collect[EBS_FAM_TCP]);
	expect_ok(&cfg, HDR "    collect_tcp_events: off\n");
	assert_false(cfg.collect[EBS_FAM_TCP]);
	expect_ok(&cfg, HDR "    collect_tcp: no\n");
	assert_false(cfg.collect[EBS_FAM_TCP]);
	expect_ok(&cfg, HDR "    process_include: [bash, 'my prog']\n");
	assert_int_equal(cfg.n_include, 2);
	assert_string_equal(cfg.include[1], "my prog");
	expect_ok(&cfg, HDR "    process_exclude: [bash]\n");
	assert_int_equal(cfg.n_exclude, 1);
	assert_string_equal(cfg.exclude[0], "bash");
	expect_ok(&cfg, HDR "    scrape_interval: 1m\n");
	assert_int_equal(cfg.interval_ms, 60000);
	expect_ok(&cfg, HDR "    interval: 2\n");
	assert_int_equal(cfg.interval_ms, 2000);

	/* Two spellings of one setting are a duplicate, named as such. */
	expect_error(HDR "    collect_tcp: on\n    collect_network: off\n",
		     NAME ":4:5: duplicate key 'collect_network' (same setting as 'collect_tcp' "
			  "at line 3, column 5)");
	expect_error(HDR "    interval: 1s\n    scrape_interval: 2s\n",
		     NAME ":4:5: duplicate key 'scrape_interval' (same setting as 'interval' at "
			  "line 3, column 5)");
	expect_error(HDR "    process_filter: []\n    process_include: []\n",
		     NAME ":4:5: duplicate key 'process_include' (same setting as "
			  "'process_filter' at line 3, column 5)");
}

static void test_bools(void **state)
{
	static const struct {
		const char *text;
		bool value;
	} cases[] = {
		{"true", true}, {"false", false}, {"yes", true}, {"no", false},	 {"on", true},
		{"off", false}, {"TRUE", true},	  {"No", false}, {"'On'", true}, {"\"oFF\"", false},
	};
	char text[256];
	struct ebs_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), HDR "    collect_scheduler: %s\n", cases[i].text);
		expect_ok(&cfg, text);
		assert_int_equal(cfg.collect[EBS_FAM_SCHED], cases[i].value);
	}
	expect_ok(&cfg, HDR "    enabled: false\n    collect_syscall_latency: off\n"
			    "    collect_syscalls: no\n");
	assert_false(cfg.enabled);
	assert_false(cfg.syscall_latency);
	assert_false(cfg.collect[EBS_FAM_SYSCALLS]);

	expect_error(HDR "    collect_syscalls: yes please\n",
		     NAME ":3:23: 'collect_syscalls' must be true or false, got 'yes please'");
	expect_error(HDR "    enabled: 1\n",
		     NAME ":3:14: 'enabled' must be true or false, got '1'");
	expect_error(HDR "    enabled:\n",
		     NAME ":3:13: 'enabled' must be true or false, got an empty value");
	expect_error(HDR "    enabled: [true]\n",
		     NAME ":3:14: 'enabled' must be true or false, got a list");
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		unsigned ms;
	} good[] = {
		{"15", 15000},	 {"500ms", 500}, {"15s", 15000},    {"1m", 60000},
		{"1h", 3600000}, {"100ms", 100}, {"3600", 3600000}, {"'60m'", 3600000},
	};
	static const char *const bad[] = {
		"0",  "99ms", "61m", "2h",  "3601",	    "1.5s", "15 s",
		"-1", "5d",   "s",   "15S", "99999999999s", "0x10", "''",
	};
	char text[256], want[EBS_ERR_LEN];
	struct ebs_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), HDR "    interval: %s\n", good[i].text);
		expect_ok(&cfg, text);
		assert_int_equal(cfg.interval_ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *v = bad[i];
		int quoted = v[0] == '\'';

		snprintf(text, sizeof(text), HDR "    interval: %s\n", v);
		snprintf(want, sizeof(want),
			 NAME ":3:15: 'interval' must be a duration from 100ms to 1h (e.g. 500ms, "
			      "15s, 1m; a plain number means seconds), got '%.*s'",
			 (int)strlen(v) - 2 * quoted, v + quoted);
		expect_error(text, want);
	}
}

static void test_integers(void **state)
{
	struct ebs_config cfg;

	(void)state;
	expect_ok(&cfg, HDR "    sample_rate: 1\n    map_sizes:\n      threads: 64\n"
			    "      sockets: 1048576\n      ports: 16\n");
	assert_int_equal(cfg.sample_rate, 1);
	assert_int_equal(cfg.max_threads, 64);
	assert_int_equal(cfg.max_sockets, 1048576);
	assert_int_equal(cfg.max_ports, 16);
	expect_ok(&cfg, HDR "    map_sizes: {ports: 65536}\n");
	assert_int_equal(cfg.max_ports, 65536);
	assert_int_equal(cfg.max_threads, 10240);
	expect_ok(&cfg, HDR "    map_sizes:\n");
	assert_defaults(&cfg);

	expect_error(HDR "    sample_rate: 250\n",
		     NAME ":3:18: 'sample_rate' must be an integer from 1 to 100, got '250'");
	expect_error(HDR "    sample_rate: 0\n",
		     NAME ":3:18: 'sample_rate' must be an integer from 1 to 100, got '0'");
	expect_error(HDR "    sample_rate: -5\n",
		     NAME ":3:18: 'sample_rate' must be an integer from 1 to 100, got '-5'");
	expect_error(HDR "    sample_rate: 50%\n",
		     NAME ":3:18: 'sample_rate' must be an integer from 1 to 100, got '50%'");
	expect_error(HDR "    sample_rate: 18446744073709551617\n",
		     NAME ":3:18: 'sample_rate' must be an integer from 1 to 100, got "
			  "'18446744073709551617'");
	expect_error(HDR "    map_sizes:\n      threads: 63\n",
		     NAME ":4:16: 'threads' must be an integer from 64 to 1048576, got '63'");
	expect_error(HDR "    map_sizes:\n      sockets: 1048577\n",
		     NAME ":4:16: 'sockets' must be an integer from 64 to 1048576, got '1048577'");
	expect_error(HDR "    map_sizes: {ports: 65537}\n",
		     NAME ":3:24: 'ports' must be an integer from 16 to 65536, got '65537'");
	expect_error(HDR "    map_sizes: {ports: 8}\n",
		     NAME ":3:24: 'ports' must be an integer from 16 to 65536, got '8'");
}

static void test_paths(void **state)
{
	char text[1024], want[EBS_ERR_LEN];
	struct ebs_config cfg;

	(void)state;
	expect_ok(&cfg, HDR "    pin_path: \"\"\n    btf_path: ''\n");
	assert_string_equal(cfg.pin_path, "");
	assert_string_equal(cfg.btf_path, "");
	expect_ok(&cfg, HDR "    pin_path:\n    btf_path: ./vmlinux\n");
	assert_string_equal(cfg.pin_path, "");
	assert_string_equal(cfg.btf_path, "./vmlinux");

	expect_error(HDR "    pin_path: sys/fs/bpf\n", NAME
		     ":3:15: 'pin_path' must be an absolute path, or \"\" for private programs, "
		     "got 'sys/fs/bpf'");
	expect_error(HDR "    btf_path: \" \"\n",
		     NAME ":3:15: 'btf_path' must be a file path, or \"\" to use "
			  "/sys/kernel/btf/vmlinux, got ' '");
	expect_error(HDR "    btf_path: \"/a\\tb\"\n",
		     NAME ":3:15: 'btf_path' contains a control character: '/a?b'");
	expect_error(HDR "    btf_path: {a: b}\n",
		     NAME ":3:15: 'btf_path' must be a file path, or \"\" to use "
			  "/sys/kernel/btf/vmlinux, got a mapping");

	/* 255 bytes fit, 256 do not. */
	memset(want, 'p', 255);
	want[0] = '/';
	want[255] = '\0';
	snprintf(text, sizeof(text), HDR "    pin_path: %s\n", want);
	expect_ok(&cfg, text);
	assert_string_equal(cfg.pin_path, want);
	snprintf(text, sizeof(text), HDR "    pin_path: %sp\n", want);
	expect_error(text, NAME ":3:15: 'pin_path' is longer than 255 bytes");
}

static void test_comms(void **state)
{
	char text[2048];
	struct ebs_config cfg;
	size_t n;

	(void)state;
	expect_ok(&cfg, HDR "    process_filter:\n      - 123456789012345\n      - \"a b\"\n");
	assert_int_equal(cfg.n_include, 2);
	assert_string_equal(cfg.include[0], "123456789012345");
	expect_ok(&cfg, HDR "    exclude_processes:\n");
	assert_int_equal(cfg.n_exclude, 0);

	expect_error(HDR "    process_filter:\n      - 1234567890123456\n",
		     NAME ":4:9: 'process_filter' has a process name longer than 15 characters: "
			  "'1234567890123456'");
	expect_error(HDR "    process_filter: [ok, '']\n",
		     NAME ":3:26: 'process_filter' has an empty process name");
	expect_error(HDR "    exclude_processes: [sshd, cron, sshd]\n",
		     NAME ":3:37: 'exclude_processes' lists 'sshd' twice");
	expect_error(HDR "    process_filter: [\"a\\0b\"]\n",
		     NAME ":3:22: 'process_filter' has a process name with a control character: "
			  "'a?b'");
	expect_error(HDR "    process_filter: nginx\n",
		     NAME ":3:21: expected a list of process names for 'process_filter', got "
			  "'nginx'");
	expect_error(HDR "    process_exclude: {a: b}\n",
		     NAME ":3:22: expected a list of process names for 'process_exclude', got a "
			  "mapping");
	expect_error(HDR "    process_filter:\n      - [a]\n",
		     NAME ":4:9: expected a list of process names for 'process_filter', got a "
			  "list in it");

	/* EBS_MAX_COMMS fit; one more is refused at the extra entry. */
	n = (size_t)snprintf(text, sizeof(text), HDR "    process_filter:\n");
	for (int i = 0; i < EBS_MAX_COMMS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "      - p%d\n", i);
	expect_ok(&cfg, text);
	assert_int_equal(cfg.n_include, EBS_MAX_COMMS);
	assert_string_equal(cfg.include[EBS_MAX_COMMS - 1], "p15");
	snprintf(text + n, sizeof(text) - n, "      - extra\n");
	expect_error(text, NAME ":20:9: 'process_filter' has more than 16 entries");
}

/* ---- structural errors ----------------------------------------------------- */

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_error("integrations:\n  ebpf:\n    enabled: true\n    colect_syscalls: true\n",
		     NAME ":4:5: unknown key 'colect_syscalls' (did you mean 'collect_syscalls'?)");
	expect_error(HDR "    sample_rte: 5\n",
		     NAME ":3:5: unknown key 'sample_rte' (did you mean 'sample_rate'?)");
	expect_error(HDR "    scrape_intreval: 5\n",
		     NAME ":3:5: unknown key 'scrape_intreval' (did you mean 'scrape_interval'?)");
	expect_error(HDR "    frobnicate: 5\n", NAME ":3:5: unknown key 'frobnicate'");
	expect_error(HDR "    collect_dns: false\n",
		     NAME ":3:5: unknown key 'collect_dns' (not supported by ebpfstats)");
	expect_error(HDR "    map_sizes:\n      thread: 100\n",
		     NAME ":4:7: unknown key 'thread' in 'map_sizes' (did you mean 'threads'?)");
	expect_error(HDR "    Enabled: true\n",
		     NAME ":3:5: unknown key 'Enabled' (did you mean 'enabled'?)");
	expect_error(HDR "    ? [a]\n    : 1\n", NAME ":3:7: expected a key name, got a list");
	/* A hostile key is cut short and masked in the message. */
	expect_error(HDR
		     "    \"k\\x01yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\": 1\n",
		     NAME ":3:5: unknown key 'k?yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...'");
}

static void test_duplicates(void **state)
{
	(void)state;
	expect_error(HDR "    sample_rate: 5\n    enabled: true\n    sample_rate: 6\n",
		     NAME ":5:5: duplicate key 'sample_rate' (first at line 3, column 5)");
	expect_error(HDR "    map_sizes: {ports: 16, ports: 32}\n",
		     NAME ":3:28: duplicate key 'ports' (first at line 3, column 17)");
	expect_error("integrations:\n  ebpf: {}\n  ebpf: {}\n",
		     NAME ":3:3: duplicate key 'ebpf' (first at line 2, column 3)");
	expect_error("integrations:\n  ebpf: {}\nintegrations:\n  ebpf: {}\n",
		     NAME ":3:1: duplicate key 'integrations' (first at line 1, column 1)");
}

static void test_missing_sections(void **state)
{
	(void)state;
	expect_error("logging: {level: debug}\n",
		     NAME ":1:1: missing 'integrations:' section with 'ebpf:' settings");
	expect_error("# comment\nintegrations:\n  nginx: {}\n",
		     NAME ":2:1: 'integrations' has no 'ebpf' section");
	expect_error("integrations:\n", NAME ":1:1: 'integrations' has no 'ebpf' section");
	expect_error("integrations: 5\n",
		     NAME ":1:15: expected a mapping for 'integrations', got '5'");
	expect_error("integrations:\n  ebpf: [a]\n",
		     NAME ":2:9: expected a mapping for 'ebpf', got a list");
	expect_error("integrations:\n  ebpf: off\n",
		     NAME ":2:9: expected a mapping for 'ebpf', got 'off'");
	expect_error(HDR "    map_sizes: 5\n",
		     NAME ":3:16: expected a mapping for 'map_sizes', got '5'");
	expect_error("just a string\n",
		     NAME ":1:1: expected a mapping at the top level, got 'just a string'");
	expect_error("- integrations\n",
		     NAME ":1:1: expected a mapping at the top level, got a list");
}

static void test_yaml_syntax(void **state)
{
	(void)state;
	expect_error("integrations:\n\tebpf: {}\n",
		     NAME ":2:1: found character that cannot start any token (while scanning for "
			  "the next token at line 2, column 1)");
	expect_error_like("other: [a, b\nintegrations: {ebpf: {}}\n",
			  NAME ":2:13:", "did not find expected ',' or ']'");
	expect_error_like(HDR "    btf_path: \"/x\n",
			  NAME ":4:1:", "found unexpected end of stream");
	expect_error(HDR "    enabled: true\n   sample_rate: 5\n", NAME
		     ":4:4: did not find expected key (while parsing a block mapping at line 2, "
		     "column 3)");
	expect_error(HDR "    pin_path: \"\xff\"\n",
		     NAME ":3:16: invalid leading UTF-8 octet (byte 0xff)");
	expect_error_like("integrations: {ebpf: {}}\n\x01\n",
			  NAME ":2:1:", "control characters are not allowed");
	expect_error("integrations: {ebpf: {}}\n---\nother: 1\n",
		     NAME ":2:1: only one YAML document is allowed");
}

static void test_anchors_and_aliases(void **state)
{
	struct ebs_config cfg;

	(void)state;
	expect_error("x: &a 5\nintegrations:\n  ebpf:\n    sample_rate: *a\n",
		     NAME ":4:18: YAML aliases are not supported here (*a); write the value out");
	expect_error(HDR "    sample_rate: &r 5\n",
		     NAME ":3:18: YAML anchors are not supported here (&r)");
	expect_error("integrations:\n  ebpf: &e {}\n",
		     NAME ":2:9: YAML anchors are not supported here (&e)");
	expect_error("base: &b {ebpf: {}}\nintegrations: *b\n",
		     NAME ":2:15: YAML aliases are not supported here (*b); write the value out");
	expect_error("k: &k integrations\n*k : {ebpf: {}}\n",
		     NAME ":2:1: YAML aliases are not supported as keys (*k)");
	/* Someone else's sections may use them: they are skipped unread. */
	expect_ok(&cfg, "defaults: &d {a: 1}\nprod: *d\nintegrations:\n  other: *d\n  ebpf: {}\n");
	assert_defaults(&cfg);
}

static void test_nesting_depth(void **state)
{
	char text[512];
	struct ebs_config cfg;
	size_t n;

	(void)state;
	/* The root mapping is level 1: 63 brackets reach level 64. */
	n = (size_t)snprintf(text, sizeof(text), "x: ");
	memset(text + n, '[', 63);
	memset(text + n + 63, ']', 63);
	snprintf(text + n + 126, sizeof(text) - n - 126, "\nintegrations: {ebpf: {}}\n");
	expect_ok(&cfg, text);

	memset(text + n, '[', 64);
	memset(text + n + 64, ']', 64);
	snprintf(text + n + 128, sizeof(text) - n - 128, "\nintegrations: {ebpf: {}}\n");
	expect_error(text, NAME ":1:67: nesting is deeper than 64 levels");

	/* Deep nesting with an unterminated tail stops at the bound, not
	 * at the end of a very long input. */
	memset(text, '[', sizeof(text) - 1);
	text[0] = 'x';
	text[1] = ':';
	text[2] = ' ';
	text[sizeof(text) - 1] = '\0';
	expect_error(text, NAME ":1:67: nesting is deeper than 64 levels");
}

static void test_error_leaves_config_untouched(void **state)
{
	struct ebs_config cfg, before;
	char err[EBS_ERR_LEN] = "";
	const char *text = HDR "    enabled: true\n    sample_rate: 7\n    process_filter: [a, b]\n"
			       "    pin_path: \"\"\n    map_sizes: {threads: 128}\n"
			       "    interval: 1s\n    bogus: 1\n";

	(void)state;
	init_marked(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(parse_text(&cfg, text, err), -1);
	assert_string_equal(err, NAME ":9:5: unknown key 'bogus'");
	assert_memory_equal(&cfg, &before, sizeof(cfg));

	/* A file is applied over what the caller has: keys it does not name
	 * keep their value, a list it names replaces the old one. */
	assert_int_equal(parse_text(&cfg, HDR "    sample_rate: 7\n", err), 0);
	assert_int_equal(cfg.sample_rate, 7);
	assert_int_equal(cfg.max_ports, 99);
	assert_int_equal(cfg.n_include, 1);
	assert_string_equal(cfg.include[0], "marker");
	assert_int_equal(parse_text(&cfg, HDR "    process_filter: [x]\n", err), 0);
	assert_int_equal(cfg.n_include, 1);
	assert_string_equal(cfg.include[0], "x");
}

/* ---- ebs_config_set -------------------------------------------------------- */

static void set_ok(struct ebs_config *cfg, const char *key, const char *value)
{
	char err[EBS_ERR_LEN] = "";

	if (ebs_config_set(cfg, key, value, err, sizeof(err)) != 0)
		fail_msg("%s=%s rejected: %s", key, value, err);
}

static void set_fails(const char *key, const char *value, const char *msg)
{
	struct ebs_config cfg, before;
	char err[EBS_ERR_LEN] = "";

	init_marked(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(ebs_config_set(&cfg, key, value, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void test_set_valid(void **state)
{
	struct ebs_config cfg;

	(void)state;
	ebs_config_init(&cfg);
	set_ok(&cfg, "enabled", "no");
	set_ok(&cfg, "collect_syscalls", "off");
	set_ok(&cfg, "collect_syscall_latency", "FALSE");
	set_ok(&cfg, "collect_network", "false");
	set_ok(&cfg, "collect_scheduler", "no");
	set_ok(&cfg, "collect_memory", "yes");
	set_ok(&cfg, "collect_file_io", "true");
	assert_true(cfg.collect[EBS_FAM_MEMORY]);
	assert_true(cfg.file_io);
	set_ok(&cfg, "collect_tcp_peers", "off");
	assert_false(cfg.tcp_peers);
	set_ok(&cfg, "bpf_stats", "true");
	assert_true(cfg.bpf_stats);
	set_ok(&cfg, "sample_rate", "10");
	set_ok(&cfg, "btf_path", "/tmp/vmlinux");
	set_ok(&cfg, "pin_path", "");
	set_ok(&cfg, "interval", "250ms");
	set_ok(&cfg, "map_sizes.threads", "2048");
	set_ok(&cfg, "map_sizes.sockets", "4096");
	set_ok(&cfg, "map_sizes.ports", "64");
	set_ok(&cfg, "process_filter", "nginx");
	set_ok(&cfg, "process_include", "postgres");
	set_ok(&cfg, "exclude_processes", "sshd");
	set_ok(&cfg, "process_exclude", "cron");
	assert_false(cfg.enabled);
	assert_false(cfg.collect[EBS_FAM_SYSCALLS]);
	assert_false(cfg.syscall_latency);
	assert_false(cfg.collect[EBS_FAM_TCP]);
	assert_false(cfg.collect[EBS_FAM_SCHED]);
	assert_int_equal(cfg.sample_rate, 10);
	assert_string_equal(cfg.btf_path, "/tmp/vmlinux");
	assert_string_equal(cfg.pin_path, "");
	assert_int_equal(cfg.interval_ms, 250);
	assert_int_equal(cfg.max_threads, 2048);
	assert_int_equal(cfg.max_sockets, 4096);
	assert_int_equal(cfg.max_ports, 64);
	assert_int_equal(cfg.n_include, 2);
	assert_string_equal(cfg.include[0], "nginx");
	assert_string_equal(cfg.include[1], "postgres");
	assert_int_equal(cfg.n_exclude, 2);
	assert_string_equal(cfg.exclude[1], "cron");
	set_ok(&cfg, "collect_tcp_events", "on");
	assert_true(cfg.collect[EBS_FAM_TCP]);
	set_ok(&cfg, "scrape_interval", "15");
	assert_int_equal(cfg.interval_ms, 15000);
	assert_string_equal(cfg.source, "<built-in defaults>");
}

static void test_set_invalid(void **state)
{
	struct ebs_config cfg;
	char err[EBS_ERR_LEN] = "", name[8];

	(void)state;
	set_fails("sample_rate", "250",
		  "key 'sample_rate': must be an integer from 1 to 100, got '250'");
	set_fails("sample_rate", "", "key 'sample_rate': must be an integer from 1 to 100, got ''");
	set_fails("colect_syscalls", "true",
		  "key 'colect_syscalls': unknown key (did you mean 'collect_syscalls'?)");
	set_fails("map_sizes.thread", "100",
		  "key 'map_sizes.thread': unknown key (did you mean 'map_sizes.threads'?)");
	set_fails("map_sizes", "100", "key 'map_sizes': unknown key");
	set_fails("enabled", "yes please",
		  "key 'enabled': must be true or false, got 'yes please'");
	set_fails(
		"interval", "2h",
		"key 'interval': must be a duration from 100ms to 1h (e.g. 500ms, 15s, 1m; a plain "
		"number means seconds), got '2h'");
	set_fails("pin_path", "relative",
		  "key 'pin_path': must be an absolute path, or \"\" for private programs, got "
		  "'relative'");
	set_fails("process_filter", "averyveryverylongname",
		  "key 'process_filter': has a process name longer than 15 characters: "
		  "'averyveryverylongname'");
	set_fails("process_filter", "", "key 'process_filter': has an empty process name");
	set_fails("process_filter", "marker", "key 'process_filter': lists 'marker' twice");
	set_fails("exclude_processes", "a\nb",
		  "key 'exclude_processes': has a process name with a control character: 'a?b'");
	set_fails("sample_rate", NULL, "key 'sample_rate': no value given");
	set_fails(NULL, "1", "ebs_config_set: no key given");

	/* The list bound holds for appends too. */
	ebs_config_init(&cfg);
	for (int i = 0; i < EBS_MAX_COMMS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		set_ok(&cfg, "exclude_processes", name);
	}
	assert_int_equal(ebs_config_set(&cfg, "exclude_processes", "more", err, sizeof(err)), -1);
	assert_string_equal(err, "key 'exclude_processes': has more than 16 entries");
	assert_int_equal(cfg.n_exclude, EBS_MAX_COMMS);

	/* A NULL or empty err buffer is allowed. */
	assert_int_equal(ebs_config_set(&cfg, "sample_rate", "0", NULL, 0), -1);
	assert_int_equal(ebs_config_set(&cfg, "sample_rate", "0", err, 0), -1);
}

/* ---- files ------------------------------------------------------------------ */

static void test_file_too_large(void **state)
{
	char path[64], err[EBS_ERR_LEN] = "", want[EBS_ERR_LEN];
	struct ebs_config cfg, before;
	char *big = malloc(MIB + 1);

	(void)state;
	assert_non_null(big);
	/* Exactly 1 MiB is still read: a comment line and the section. */
	memset(big, '#', MIB);
	memcpy(big + MIB - 26, "\nintegrations: {ebpf: {}}\n", 26);
	write_temp(path, sizeof(path), big, MIB);
	ebs_config_init(&cfg);
	if (ebs_config_load(&cfg, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(unlink(path), 0);

	big[MIB] = '\n';
	write_temp(path, sizeof(path), big, MIB + 1);
	init_marked(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(ebs_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s: file is larger than 1 MiB (1048577 bytes); refusing to parse it", path);
	assert_string_equal(err, want);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	assert_int_equal(unlink(path), 0);

	assert_int_equal(ebs_config_parse(&cfg, "buf", big, MIB + 1, err, sizeof(err)), -1);
	assert_string_equal(err, "buf: config is larger than 1 MiB (1048577 bytes); refusing to "
				 "parse it");
	free(big);
}

static void test_unreadable_files(void **state)
{
	struct ebs_config cfg, before;
	char err[EBS_ERR_LEN] = "";

	(void)state;
	init_marked(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	assert_int_equal(ebs_config_load(&cfg, "/nonexistent-ebpfstats/ebpfstats.yaml", err,
					 sizeof(err)),
			 -1);
	assert_string_equal(err,
			    "/nonexistent-ebpfstats/ebpfstats.yaml: No such file or directory");
	assert_int_equal(ebs_config_load(&cfg, "/", err, sizeof(err)), -1);
	assert_string_equal(err, "/: is a directory");
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	assert_int_equal(ebs_config_load(NULL, "/x", err, sizeof(err)), -1);
	assert_int_equal(ebs_config_parse(&cfg, NULL, NULL, 3, err, sizeof(err)), -1);
	assert_string_equal(err, "<config>: no buffer given");
}

/* cgroup_filter: a list like process_filter's, of globs up to 255 bytes. */
static void test_cgroup_settings(void **state)
{
	char text[1024], glob[300];
	struct ebs_config cfg;

	(void)state;
	expect_ok(&cfg, HDR "    collect_cgroups: true\n    cgroup_depth: 3\n"
			    "    cgroup_filter: [\"system.slice/*\", \"kubepods.slice/*\"]\n"
			    "    map_sizes:\n      cgroups: 64\n");
	assert_true(cfg.cgroups);
	assert_int_equal(cfg.cgroup_depth, 3);
	assert_int_equal(cfg.max_cgroups, 64);
	assert_int_equal(cfg.n_cgroup_filter, 2);
	assert_string_equal(cfg.cgroup_filter[1], "kubepods.slice/*");
	memset(glob, 'g', 255);
	glob[255] = '\0';
	snprintf(text, sizeof(text), HDR "    cgroup_filter: [%s]\n", glob);
	expect_ok(&cfg, text);
	assert_int_equal(strlen(cfg.cgroup_filter[0]), 255);
	snprintf(text, sizeof(text), HDR "    cgroup_filter: [%sg]\n", glob);
	expect_error(text, NAME ":3:21: 'cgroup_filter' has a glob longer than 255 characters: "
				"'gggggggggggggggggggggggggggggggggggggggggggg...'");
	expect_error(HDR "    cgroup_filter: nginx\n",
		     NAME ":3:20: expected a list of globs for 'cgroup_filter', got 'nginx'");
	expect_error(HDR "    cgroup_depth: 17\n",
		     NAME ":3:19: 'cgroup_depth' must be an integer from 0 to 16, got '17'");
	expect_error(HDR "    map_sizes:\n      cgroups: 3\n",
		     NAME ":4:16: 'cgroups' must be an integer from 4 to 65536, got '3'");
	ebs_config_init(&cfg);
	set_ok(&cfg, "cgroup_filter", "system.slice/*");
	set_ok(&cfg, "cgroup_filter", "user.slice");
	assert_int_equal(cfg.n_cgroup_filter, 2);
}

static void test_load_error_names_file(void **state)
{
	static const char text[] = "integrations:\n  ebpf:\n    colect_syscalls: true\n";
	char path[64], err[EBS_ERR_LEN] = "", want[EBS_ERR_LEN];
	struct ebs_config cfg;

	(void)state;
	write_temp(path, sizeof(path), text, sizeof(text) - 1);
	ebs_config_init(&cfg);
	assert_int_equal(ebs_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s:3:5: unknown key 'colect_syscalls' (did you mean 'collect_syscalls'?)", path);
	assert_string_equal(err, want);
	assert_int_equal(unlink(path), 0);
}

/* The example in the reference must stay a valid file. */
static void test_docs_example(void **state)
{
	char path[1024], err[EBS_ERR_LEN] = "";
	struct ebs_config cfg;
	size_t len = 0;
	char *doc, *start, *end;

	(void)state;
	source_path(path, sizeof(path), "docs/config.md");
	doc = read_all(path, &len);
	if (!doc)
		skip();
	start = strstr(doc, "```yaml\n");
	assert_non_null(start);
	start += strlen("```yaml\n");
	end = strstr(start, "```");
	assert_non_null(end);
	ebs_config_init(&cfg);
	if (ebs_config_parse(&cfg, "docs/config.md", start, (size_t)(end - start), err,
			     sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.interval_ms, 15000);
	free(doc);
}

/* Every truncation and many single-byte corruptions of a full file either
 * parse or fail with a positioned message, never leaving a half-applied
 * config; valgrind watches the rest. */
static void test_mangled_inputs(void **state)
{
	static const char subst[] = {':',  '[',	   '{', '&', '*',  '\t',
				     '\0', '\xff', '-', '"', '\n', '!'};
	char path[1024], err[EBS_ERR_LEN];
	struct ebs_config cfg, before;
	size_t len = 0;
	char *text;

	(void)state;
	source_path(path, sizeof(path), "tests/data/config/full.yaml");
	text = read_all(path, &len);
	assert_non_null(text);
	init_marked(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	for (size_t n = 0; n <= len; n++) {
		err[0] = '\0';
		if (ebs_config_parse(&cfg, "m", text, n, err, sizeof(err)) == 0) {
			init_marked(&cfg);
			continue;
		}
		if (strncmp(err, "m:", 2) != 0)
			fail_msg("prefix %zu: '%s'", n, err);
		assert_memory_equal(&cfg, &before, sizeof(cfg));
	}
	for (size_t i = 0; i < len; i++) {
		char saved = text[i];

		for (size_t k = 0; k < sizeof(subst); k++) {
			text[i] = subst[k];
			err[0] = '\0';
			if (ebs_config_parse(&cfg, "m", text, len, err, sizeof(err)) == 0) {
				init_marked(&cfg);
				continue;
			}
			if (strncmp(err, "m:", 2) != 0 || strlen(err) < 4)
				fail_msg("byte %zu = 0x%02x: '%s'", i, (unsigned char)subst[k],
					 err);
			assert_memory_equal(&cfg, &before, sizeof(cfg));
		}
		text[i] = saved;
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_inputs_give_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_shared_file),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_comms),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_missing_sections),
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_anchors_and_aliases),
		cmocka_unit_test(test_nesting_depth),
		cmocka_unit_test(test_error_leaves_config_untouched),
		cmocka_unit_test(test_set_valid),
		cmocka_unit_test(test_set_invalid),
		cmocka_unit_test(test_file_too_large),
		cmocka_unit_test(test_unreadable_files),
		cmocka_unit_test(test_load_error_names_file),
		cmocka_unit_test(test_docs_example),
		cmocka_unit_test(test_mangled_inputs),
		cmocka_unit_test(test_cgroup_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
