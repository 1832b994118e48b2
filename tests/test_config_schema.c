/* The config schema (src/config_schema.c): its rows are consistent, the
 * pin digests it drives keep their values, and docs/config.md's key table
 * and docs/collectd.md's options table say what it says, so a setting
 * added without docs fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "config_schema.h"
#include "internal.h"

#ifndef EBS_DOCS_DIR
#define EBS_DOCS_DIR "docs"
#endif

#define CELLS 6
#define CELL_LEN 2048

/* One row of a markdown table: its cells, trimmed. */
struct md_row {
	char cell[CELLS][CELL_LEN];
	int n;
	int line;
};

/* The rows of the table whose header line starts with header. */
static struct md_row *md_table(const char *file, const char *header, size_t *n_rows)
{
	char path[512], line[8192];
	struct md_row *rows = NULL;
	size_t n = 0;
	int lineno = 0;
	bool in = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", EBS_DOCS_DIR, file);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!in) {
			in = strncmp(line, header, strlen(header)) == 0;
			continue;
		}
		if (line[0] != '|')
			break;
		if (strncmp(line, "|---", 4) == 0)
			continue;
		rows = realloc(rows, (n + 1) * sizeof(*rows));
		assert_non_null(rows);
		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].line = lineno;
		/* "| a | b |\n": the cells between the bars */
		char *p = line + 1;
		for (char *bar; (bar = strchr(p, '|')) && rows[n].n < CELLS; p = bar + 1) {
			char *s = p, *e = bar;

			while (s < e && *s == ' ')
				s++;
			while (e > s && e[-1] == ' ')
				e--;
			snprintf(rows[n].cell[rows[n].n++], CELL_LEN, "%.*s", (int)(e - s), s);
		}
		n++;
	}
	fclose(f);
	if (!in)
		fail_msg("%s: no table with header '%s'", path, header);
	*n_rows = n;
	return rows;
}

/* "`name`" -> "name"; NULL when the cell is not one backticked word. */
static const char *unquote(const char *cell, char *buf, size_t len)
{
	size_t l = strlen(cell);

	if (l < 2 || cell[0] != '`' || cell[l - 1] != '`' || memchr(cell + 1, '`', l - 2))
		return NULL;
	snprintf(buf, len, "%.*s", (int)(l - 2), cell + 1);
	return buf;
}

static const char *spelling(const struct ebs_config_option *o, size_t k)
{
	if (k == 0)
		return o->key;
	return k - 1 < EBS_OPT_ALIASES ? o->aliases[k - 1] : NULL;
}

/* The row any spelling (dotted for a mapping's keys) belongs to. */
static const struct ebs_config_option *by_name(const char *name, bool *alias)
{
	size_t n;
	const struct ebs_config_option *opts = ebs_config_options(&n);

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; spelling(&opts[i], k); k++)
			if (strcmp(spelling(&opts[i], k), name) == 0) {
				*alias = k > 0;
				return &opts[i];
			}
	return NULL;
}

/* A row's default as the docs write it, without the backticks. */
static const char *default_text(const struct ebs_config_option *o, char *buf, size_t len)
{
	switch (o->type) {
	case EBS_OPT_BOOL: return o->def ? "true" : "false";
	case EBS_OPT_UINT: snprintf(buf, len, "%lu", o->def); return buf;
	case EBS_OPT_DURATION: return ebs_duration_text(o->def, buf, len);
	case EBS_OPT_PATH: return o->def_str[0] ? o->def_str : "\"\"";
	case EBS_OPT_COMMS: return "[]";
	default: return "";
	}
}

static const char *type_text(const struct ebs_config_option *o)
{
	static char list[64];
	static const char *const names[] = {
		[EBS_OPT_BOOL] = "bool",
		[EBS_OPT_UINT] = "integer",
		[EBS_OPT_DURATION] = "duration",
		[EBS_OPT_PATH] = "string",
		[EBS_OPT_COMMS] = "list of process names",
		[EBS_OPT_MAPPING] = "mapping",
	};
	if (o->type == EBS_OPT_COMMS) {
		snprintf(list, sizeof(list), "list of %ss", ebs_config_item(o));
		return list;
	}
	return names[o->type];
}

/* docs/config.md's Range column ("–" is an en dash there). */
static const char *range_text(const struct ebs_config_option *o, char *buf, size_t len)
{
	char lo[24], hi[24];

	switch (o->type) {
	case EBS_OPT_UINT: snprintf(buf, len, "%lu\u2013%lu", o->lo, o->hi); return buf;
	case EBS_OPT_DURATION:
		snprintf(buf, len, "%s\u2013%s", ebs_duration_text(o->lo, lo, sizeof(lo)),
			 ebs_duration_text(o->hi, hi, sizeof(hi)));
		return buf;
	case EBS_OPT_PATH:
		snprintf(buf, len, "%sup to %zu bytes",
			 o->absolute ? "`\"\"` or an absolute path, " : "", o->size - 1);
		return buf;
	case EBS_OPT_COMMS:
		snprintf(buf, len, "0\u2013%d entries, each 1\u2013%zu characters", EBS_MAX_COMMS,
			 ebs_config_item_len(o) - 1);
		return buf;
	default: return "";
	}
}

/* ---- the table itself ---------------------------------------------------- */

static void test_rows_consistent(void **state)
{
	size_t n;
	const struct ebs_config_option *opts = ebs_config_options(&n);
	bool family_row[EBS_FAM_COUNT] = {false};

	(void)state;
	assert_true(n <= EBS_CONFIG_OPTIONS_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct ebs_config_option *o = &opts[i];
		const char *dot = strchr(o->key, '.');

		assert_non_null(o->help);
		assert_true(strlen(o->help) > 0 && !strchr(o->help, '\n'));
		assert_true(o->digest < (1u << EBS_FAM_COUNT));
		/* every spelling, and every collectd name, names one row */
		for (size_t j = 0; j < i; j++) {
			for (size_t k = 0; spelling(o, k); k++)
				for (size_t l = 0; spelling(&opts[j], l); l++)
					assert_string_not_equal(spelling(o, k),
								spelling(&opts[j], l));
			if (o->collectd && opts[j].collectd)
				assert_int_not_equal(strcasecmp(o->collectd, opts[j].collectd), 0);
		}
		/* a dotted key belongs to a mapping row and is a plain value */
		if (dot) {
			char parent[64];
			bool alias;
			const struct ebs_config_option *p;

			snprintf(parent, sizeof(parent), "%.*s", (int)(dot - o->key), o->key);
			p = by_name(parent, &alias);
			assert_non_null(p);
			assert_int_equal(p->type, EBS_OPT_MAPPING);
			assert_true(o->type != EBS_OPT_COMMS && o->type != EBS_OPT_MAPPING);
		}
		switch (o->type) {
		case EBS_OPT_BOOL:
			assert_int_equal(o->size, sizeof(bool));
			for (int f = 0; f < EBS_FAM_COUNT; f++)
				if (o->offset ==
				    offsetof(struct ebs_config, collect) + (size_t)f * sizeof(bool))
					family_row[f] = true;
			break;
		case EBS_OPT_UINT:
		case EBS_OPT_DURATION:
			assert_int_equal(o->size, sizeof(unsigned));
			assert_true(o->lo <= o->def && o->def <= o->hi);
			break;
		case EBS_OPT_PATH:
			assert_int_equal(o->size, EBS_PATH_LEN);
			assert_non_null(o->def_str);
			assert_non_null(o->expect);
			assert_true(strlen(o->def_str) < o->size);
			break;
		case EBS_OPT_COMMS:
			/* EBS_MAX_COMMS entries of a process name's or a glob's length */
			assert_true(o->size == sizeof(((struct ebs_config *)0)->include) ||
				    o->size == sizeof(((struct ebs_config *)0)->cgroup_filter));
			assert_int_equal(o->size % EBS_MAX_COMMS, 0);
			break;
		case EBS_OPT_MAPPING:
			assert_int_equal(o->digest, 0);
			assert_null(o->collectd);
			break;
		}
	}
	/* ebs_config_init() turns on only the families that have a row, and
	 * a disabled family's reason names it */
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		assert_true(family_row[f]);
	assert_string_equal(ebs_config_family_key(EBS_FAM_SYSCALLS), "collect_syscalls");
	assert_string_equal(ebs_config_family_key(EBS_FAM_TCP), "collect_tcp");
	assert_string_equal(ebs_config_family_key(EBS_FAM_SCHED), "collect_scheduler");
	assert_string_equal(ebs_config_family_key(EBS_FAM_MEMORY), "collect_memory");
}

/* Setting each row to the default it documents changes nothing. */
static void test_defaults_round_trip(void **state)
{
	size_t n;
	const struct ebs_config_option *opts = ebs_config_options(&n);
	struct ebs_config a, b;
	char buf[64], err[EBS_ERR_LEN];

	(void)state;
	ebs_config_init(&a);
	for (size_t i = 0; i < n; i++) {
		const struct ebs_config_option *o = &opts[i];
		const char *text = default_text(o, buf, sizeof(buf));

		if (o->type == EBS_OPT_COMMS || o->type == EBS_OPT_MAPPING)
			continue;
		if (o->type == EBS_OPT_PATH && !o->def_str[0])
			text = "";
		b = a;
		if (ebs_config_set(&b, o->key, text, err, sizeof(err)) != 0)
			fail_msg("%s=%s: %s", o->key, text, err);
		assert_memory_equal(&a, &b, sizeof(a));
		if (o->type == EBS_OPT_BOOL || o->type == EBS_OPT_UINT ||
		    o->type == EBS_OPT_DURATION)
			assert_int_equal(ebs_config_option_uint(&a, o), o->def);
	}
}

/* The digests pins carry: the values the hand-written lists gave before
 * the schema.  A change makes every pin of an earlier version report
 * "loaded with other settings"; if one is meant, say so and update these.
 * Every family's changed with the cgroup settings (EBS_PIN_LAYOUT 5),
 * sched's again with collect_process_cpu and map_sizes.processes,
 * memory's with collect_page_allocs, along with their map layouts
 * (EBS_PIN_LAYOUT 8), tcp's with tcp_rtt_per_segment (its programs'
 * RTT samples changed meaning: pins of before must not be reused).
 * Every family's changed again when collect_cgroups became true by
 * default, with no layout change: earlier defaults are collect_cgroups:
 * false (old_defaults), and pins loaded with them keep the cgroup rows
 * off, saying so, until 'ebpfstats unload'. */
static void test_digests_unchanged(void **state)
{
	static const uint64_t defaults[EBS_FAM_COUNT] = {0x5db3707048191017ULL,
							 0xe6b594f9cfe8c693ULL,
							 0xd6876e1b2a731357ULL,
							 0x0c2bb0ffec51040eULL};
	static const uint64_t old_defaults[EBS_FAM_COUNT] = {0x8b15d8d000ead212ULL,
							     0xad016d5b0422f9beULL,
							     0x6ccf840c40a2852aULL,
							     0x45dfd89eb816d0e3ULL};
	static const uint64_t changed[EBS_FAM_COUNT] = {0x9ea669e9fc73178dULL,
							0xafb697fdb63e0c90ULL,
							0xa2cb49ad464fe88fULL,
							0x1efa1960d4054b56ULL};
	static const char *const set[][2] = {
		{"sample_rate", "37"},		 {"collect_syscall_latency", "false"},
		{"collect_file_io", "true"},	 {"collect_tcp_peers", "false"},
		{"process_filter", "nginx"},	 {"process_filter", "postgres"},
		{"exclude_processes", "snmpd"},	 {"map_sizes.threads", "4096"},
		{"map_sizes.sockets", "2048"},	 {"map_sizes.ports", "512"},
		{"tcp_rtt_per_segment", "true"},
	};
	struct ebs_config cfg;
	char err[EBS_ERR_LEN];

	(void)state;
	ebs_config_init(&cfg);
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		assert_true(ebs_cfg_digest(&cfg, f) == defaults[f]);
	assert_int_equal(ebs_config_set(&cfg, "collect_cgroups", "false", err, sizeof(err)), 0);
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		assert_true(ebs_cfg_digest(&cfg, f) == old_defaults[f]);
	assert_int_equal(ebs_config_set(&cfg, "collect_cgroups", "true", err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		assert_int_equal(ebs_config_set(&cfg, set[i][0], set[i][1], err, sizeof(err)), 0);
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		assert_true(ebs_cfg_digest(&cfg, f) == changed[f]);
	/* settings outside a family's mask leave its digest alone */
	assert_int_equal(ebs_config_set(&cfg, "pin_path", "/sys/fs/bpf/other", err, sizeof(err)),
			 0);
	assert_int_equal(ebs_config_set(&cfg, "interval", "1m", err, sizeof(err)), 0);
	assert_int_equal(ebs_config_set(&cfg, "collect_memory", "true", err, sizeof(err)), 0);
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		assert_true(ebs_cfg_digest(&cfg, f) == changed[f]);
}

static void test_suggest(void **state)
{
	struct ebs_suggest sg;

	(void)state;
	ebs_suggest_init(&sg, "colect_tcp", 10, false);
	ebs_suggest_try(&sg, "collect_tcp_peers");
	ebs_suggest_try(&sg, "collect_tcp");
	assert_string_equal(sg.best, "collect_tcp");
	/* case counts only when asked not to */
	ebs_suggest_init(&sg, "COLLECTTCP", 10, false);
	ebs_suggest_try(&sg, "CollectTCP");
	assert_null(sg.best);
	ebs_suggest_init(&sg, "COLLECTTCP", 10, true);
	ebs_suggest_try(&sg, "CollectTCP");
	assert_string_equal(sg.best, "CollectTCP");
	/* at most two edits, and fewer than the word has characters */
	ebs_suggest_init(&sg, "ab", 2, false);
	ebs_suggest_try(&sg, "xy");
	assert_null(sg.best);
	/* a tie goes to the first candidate */
	ebs_suggest_init(&sg, "Port", 4, true);
	ebs_suggest_try(&sg, "Peer");
	ebs_suggest_try(&sg, "Ports");
	ebs_suggest_try(&sg, "Pert");
	assert_string_equal(sg.best, "Ports");
}

/* ---- the docs ------------------------------------------------------------ */

static void test_config_md(void **state)
{
	size_t n_rows, n;
	struct md_row *rows = md_table("config.md", "| Key | Type | Default | Range |", &n_rows);
	const struct ebs_config_option *opts = ebs_config_options(&n);
	char name[128], buf[128], want[160];

	(void)state;
	/* every row names a spelling of the schema, and says what its row says */
	for (size_t r = 0; r < n_rows; r++) {
		const struct md_row *m = &rows[r];
		const struct ebs_config_option *o;
		bool alias;

		if (m->n != 5 || !unquote(m->cell[0], name, sizeof(name)))
			fail_msg("docs/config.md:%d: expected | `key` | type | default | range | "
				 "meaning |",
				 m->line);
		o = by_name(name, &alias);
		if (!o)
			fail_msg("docs/config.md:%d: '%s' is not a key of the schema", m->line,
				 name);
		if (alias) {
			snprintf(want, sizeof(want), "Another spelling of `%s`.", o->key);
			if (strcmp(m->cell[4], want) != 0)
				fail_msg("docs/config.md:%d: '%s' should say: %s", m->line, name,
					 want);
			continue;
		}
		if (strcmp(m->cell[1], type_text(o)) != 0)
			fail_msg("docs/config.md:%d: '%s' has type '%s', the schema '%s'", m->line,
				 name, m->cell[1], type_text(o));
		snprintf(want, sizeof(want), "`%s`", default_text(o, buf, sizeof(buf)));
		if (o->type == EBS_OPT_MAPPING)
			want[0] = '\0';
		if (o->type == EBS_OPT_COMMS ? strncmp(m->cell[2], want, strlen(want)) != 0
					     : strcmp(m->cell[2], want) != 0)
			fail_msg("docs/config.md:%d: '%s' defaults to '%s', the schema '%s'",
				 m->line, name, m->cell[2], want);
		if (strcmp(m->cell[3], range_text(o, buf, sizeof(buf))) != 0)
			fail_msg("docs/config.md:%d: '%s' has range '%s', the schema '%s'", m->line,
				 name, m->cell[3], buf);
	}
	/* every spelling of the schema has its row */
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; spelling(&opts[i], k); k++) {
			bool found = false;

			snprintf(want, sizeof(want), "`%s`", spelling(&opts[i], k));
			for (size_t r = 0; r < n_rows && !found; r++)
				found = strcmp(rows[r].cell[0], want) == 0;
			if (!found)
				fail_msg("docs/config.md: the key table has no row for %s", want);
		}
	}
	free(rows);
}

static void test_collectd_md(void **state)
{
	size_t n_rows, n;
	struct md_row *rows =
		md_table("collectd.md", "| Option | YAML key | Default | Meaning |", &n_rows);
	const struct ebs_config_option *opts = ebs_config_options(&n);
	char key[128], option[128], buf[128], want[160];

	(void)state;
	for (size_t r = 0; r < n_rows; r++) {
		const struct md_row *m = &rows[r];
		const struct ebs_config_option *o;
		bool alias;

		if (m->n != 4 || m->cell[0][0] != '`')
			fail_msg(
				"docs/collectd.md:%d: expected | `Option args` | `key` | default | "
				"meaning |",
				m->line);
		/* "`SampleRate n`": the option is the first word */
		snprintf(option, sizeof(option), "%s", m->cell[0] + 1);
		option[strcspn(option, " `")] = '\0';
		if (!unquote(m->cell[1], key, sizeof(key))) {
			/* "-" or "- (plugin only)": not the core's */
			if (ebs_config_option_by_collectd(option))
				fail_msg("docs/collectd.md:%d: %s is a core option (YAML key '%s')",
					 m->line, option,
					 ebs_config_option_by_collectd(option)->key);
			continue;
		}
		o = by_name(key, &alias);
		if (!o || alias)
			fail_msg("docs/collectd.md:%d: '%s' is not a key of the schema", m->line,
				 key);
		if (!o->collectd || strcmp(o->collectd, option) != 0)
			fail_msg("docs/collectd.md:%d: the schema's option for '%s' is %s, not %s",
				 m->line, key, o->collectd ? o->collectd : "none", option);
		if (o->type != EBS_OPT_COMMS) {
			snprintf(want, sizeof(want), "`%s`", default_text(o, buf, sizeof(buf)));
			if (strcmp(m->cell[2], want) != 0)
				fail_msg(
					"docs/collectd.md:%d: %s defaults to '%s', the schema '%s'",
					m->line, option, m->cell[2], want);
		}
		if (o->type == EBS_OPT_UINT) {
			snprintf(want, sizeof(want), "%lu-%lu", o->lo, o->hi);
			if (!strstr(m->cell[3], want))
				fail_msg("docs/collectd.md:%d: %s should give its range, %s",
					 m->line, option, want);
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		if (!opts[i].collectd)
			continue;
		snprintf(want, sizeof(want), "`%s", opts[i].collectd);
		for (size_t r = 0; r < n_rows && !found; r++)
			found = strncmp(rows[r].cell[0], want, strlen(want)) == 0 &&
				strchr(" `", rows[r].cell[0][strlen(want)]);
		if (!found)
			fail_msg("docs/collectd.md: the options table has no row for %s",
				 opts[i].collectd);
	}
	free(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_consistent),
		cmocka_unit_test(test_defaults_round_trip),
		cmocka_unit_test(test_digests_unchanged),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_config_md),
		cmocka_unit_test(test_collectd_md),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
