/* collectd read plugin over libebpfstats (`LoadPlugin ebpf`).
 *
 * A thin translation layer: <Plugin ebpf> options become a struct
 * ebs_config, init opens the core (which loads the kernel programs or reuses
 * the pinned ones another front-end loaded), and every read takes one core
 * snapshot and dispatches each catalog metric that has a collectd type,
 * per-syscall, per-port and per-peer rows only for a bounded set of them.
 * Nothing here talks to libbpf; naming comes from the catalog helpers. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include <arpa/inet.h>
#include <math.h>

#include "catalog.h"
#include "config_schema.h"
#include "ebpfstats.h"

#define CD_PLUGIN "ebpf"
#define CD_VALUE_LEN 1024 /* one option value as text; the core bounds it further */

/* Options of the plugin itself, not of the core.  The core's options
 * (CollectTCP, SampleRate, ...) are the config schema's rows that name one:
 * ebs_config_option_by_collectd() maps each to its YAML key, whose value
 * ebs_config_set() checks. */
static const char *const cd_own_options[] = {
	"ConfigFile", "ReportPercentiles", "IgnoreSelected",
	/* and each bounded table's cd_top_option and cd_select_option */
};

/* Percentiles the catalog serves as metrics of their own; any other one
 * (ReportPercentiles 99.9) is computed from the same interval's histogram
 * and named after the metric's p50: "getppid-p99.9". */
static const unsigned cd_pct_known[] = {50, 90, 99};
#define CD_PCT_EXTRA_MAX 8

static struct ebs_config cd_cfg;
static char cd_config_file[EBS_PATH_LEN];
static bool cd_pct_on[STATIC_ARRAY_SIZE(cd_pct_known)] = {true, true, true};
static double cd_pct_extra[CD_PCT_EXTRA_MAX];
static size_t cd_n_pct_extra;
static bool cd_pct_given; /* ReportPercentiles seen: it replaces the default set */
/* A bad <Plugin ebpf> block must not stop collectd: the error is logged
 * where it is found and init then refuses to start this plugin only. */
static bool cd_config_failed;

/* ---- bounded row tables -------------------------------------------------
 * Per-syscall, per-port and per-peer rows grow with what the host does (a
 * busy host has thousands of ports and peers), so collectd gets a bounded
 * set of them at each read: the Top* rows by activity in the interval plus
 * the selected ones (Syscall, Port, Peer with IgnoreSelected, collectd's
 * utils_ignorelist convention), and a count of what was left out.  Totals
 * are separate metrics and stay exact. */

#define CD_SEL_MAX 64 /* selections per option */

/* A row's identity across reads: its SNMP index (nr + 1, port, or
 * direction, address type, length, address, port). */
struct cd_rowkey {
	uint32_t n;
	uint32_t arc[EBS_SNMP_INDEX_MAX];
};

struct cd_prev {
	struct cd_rowkey key;
	uint64_t total; /* the row's activity at that read */
};

/* The state of one bounded table (ebs_tables[t].cd_top_option set). */
struct cd_rows {
	unsigned top; /* rows sent by activity */
	/* Selections: the table's select_parse() of each value. */
	struct ebs_row_sel sel[CD_SEL_MAX];
	size_t n_sel;
	/* the previous read's totals, ascending key */
	struct cd_prev *prev;
	size_t n_prev;
	/* this read: which rows are sent, how many rows there are */
	bool *send;
	size_t cap, rows, sent;
};

/* The one type of the plugin's own values, not a catalog metric's. */
#define CD_ROWS_TYPE "ebpf_rows"

/* by table, used for the bounded ones; top and the rest: cd_rows_init(),
 * from module_register */
static struct cd_rows cd_rows[EBS_T_COUNT];

static bool cd_rows_bounded(enum ebs_table t)
{
	return ebs_tables[t].cd_top_option != NULL;
}

/* with false the selected rows are sent besides the top ones; with true
 * they are never sent (and take no top slot) */
static bool cd_ignore_selected;

/* Only the read callback and shutdown use the handle, and collectd stops
 * its read threads before it runs shutdown callbacks: no lock needed. */
static struct ebs *cd_ebs;
/* Status last logged per family (0: none yet), so a module that cannot run
 * is logged once, not at every interval. */
static enum ebs_status cd_logged[EBS_FAM_COUNT];
/* what the last read saw, for the events of the next one */
static struct ebs_events cd_events;

/* ---- configuration ------------------------------------------------------ */

/* The known option closest to a misspelt one (two edits at most), or NULL. */
static const char *cd_option_suggest(const char *name)
{
	struct ebs_suggest sg;
	size_t n;
	const struct ebs_config_option *opts = ebs_config_options(&n);

	ebs_suggest_init(&sg, name, strlen(name), true);
	for (size_t i = 0; i < n; i++)
		if (opts[i].collectd)
			ebs_suggest_try(&sg, opts[i].collectd);
	for (size_t i = 0; i < STATIC_ARRAY_SIZE(cd_own_options); i++)
		ebs_suggest_try(&sg, cd_own_options[i]);
	for (int t = 0; t < EBS_T_COUNT; t++)
		if (cd_rows_bounded(t)) {
			ebs_suggest_try(&sg, ebs_tables[t].cd_top_option);
			ebs_suggest_try(&sg, ebs_tables[t].cd_select_option);
		}
	return sg.best;
}

/* One option value as the text ebs_config_set() parses, so the core's
 * validation and messages apply to collectd options too. */
static int cd_value_text(const oconfig_value_t *v, char *buf, size_t len)
{
	int n;

	switch (v->type) {
	case OCONFIG_TYPE_STRING: n = snprintf(buf, len, "%s", v->value.string); break;
	case OCONFIG_TYPE_BOOLEAN:
		n = snprintf(buf, len, "%s", v->value.boolean ? "true" : "false");
		break;
	case OCONFIG_TYPE_NUMBER: {
		double d = v->value.number;

		/* 50 is written "50", not "50.000000"; 12.5 stays visible in
		 * the core's "must be an integer" message. */
		if (isfinite(d) && d == floor(d) && fabs(d) < 1e15)
			n = snprintf(buf, len, "%.0f", d);
		else
			n = snprintf(buf, len, "%g", d);
		break;
	}
	default: return -1;
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ebs_config_set() says "key 'sample_rate': must be ..."; the option name
 * is already in our prefix, so keep only what follows. */
static const char *cd_strip_key(const char *err, const char *key)
{
	char prefix[80];
	int n = snprintf(prefix, sizeof(prefix), "key '%s': ", key);

	if (n > 0 && (size_t)n < sizeof(prefix) && strncmp(err, prefix, (size_t)n) == 0)
		return err + n;
	return err;
}

static int cd_apply_option(struct ebs_config *cfg, const oconfig_item_t *ci,
			   const struct ebs_config_option *opt)
{
	char text[CD_VALUE_LEN], err[EBS_ERR_LEN];
	bool list = opt->type == EBS_OPT_COMMS; /* each value is one more entry */

	if (ci->values_num < 1 || (!list && ci->values_num != 1)) {
		ERROR("ebpf plugin: option '%s' takes %s%s%s", ci->key,
		      list ? "one or more " : "exactly one value", list ? ebs_config_item(opt) : "",
		      list ? "s" : "");
		return -1;
	}
	for (int i = 0; i < ci->values_num; i++) {
		if (list && ci->values[i].type != OCONFIG_TYPE_STRING) {
			ERROR("ebpf plugin: option '%s': process names must be quoted strings",
			      ci->key);
			return -1;
		}
		if (cd_value_text(&ci->values[i], text, sizeof(text)) != 0) {
			ERROR("ebpf plugin: option '%s': value longer than %d bytes", ci->key,
			      CD_VALUE_LEN - 1);
			return -1;
		}
		err[0] = '\0';
		if (ebs_config_set(cfg, opt->key, text, err, sizeof(err)) != 0) {
			ERROR("ebpf plugin: option '%s': %s", ci->key, cd_strip_key(err, opt->key));
			return -1;
		}
	}
	return 0;
}

static int cd_config_percentiles(const oconfig_item_t *ci)
{
	bool on[STATIC_ARRAY_SIZE(cd_pct_known)] = {false};
	double extra[CD_PCT_EXTRA_MAX];
	size_t n_extra = 0;

	if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_BOOLEAN &&
	    !ci->values[0].value.boolean) {
		/* `ReportPercentiles false`: no percentile gauges at all */
		memset(cd_pct_on, 0, sizeof(cd_pct_on));
		cd_n_pct_extra = 0;
		cd_pct_given = true;
		return 0;
	}
	if (ci->values_num < 1) {
		ERROR("ebpf plugin: option '%s' takes one or more percentiles in (0, 100], "
		      "e.g. 50 99 99.9 (or false)",
		      ci->key);
		return -1;
	}
	if (cd_pct_given)
		for (size_t k = 0; k < cd_n_pct_extra; k++)
			extra[n_extra++] = cd_pct_extra[k];
	for (int i = 0; i < ci->values_num; i++) {
		const oconfig_value_t *v = &ci->values[i];
		bool found = false;

		if (v->type != OCONFIG_TYPE_NUMBER || !(v->value.number > 0) ||
		    v->value.number > 100) {
			char text[CD_VALUE_LEN];

			if (cd_value_text(v, text, sizeof(text)) != 0)
				sstrncpy(text, "?", sizeof(text));
			ERROR("ebpf plugin: option '%s': '%s' is not a percentile in (0, 100]",
			      ci->key, text);
			return -1;
		}
		for (size_t k = 0; k < STATIC_ARRAY_SIZE(on); k++)
			if (v->value.number == (double)cd_pct_known[k])
				on[k] = found = true;
		for (size_t k = 0; !found && k < n_extra; k++)
			found = extra[k] == v->value.number;
		if (found)
			continue;
		if (n_extra == CD_PCT_EXTRA_MAX) {
			ERROR("ebpf plugin: option '%s': at most %d percentiles besides 50, 90 "
			      "and 99",
			      ci->key, CD_PCT_EXTRA_MAX);
			return -1;
		}
		extra[n_extra++] = v->value.number;
	}
	/* Several ReportPercentiles lines add up; the first replaces the default. */
	for (size_t k = 0; k < STATIC_ARRAY_SIZE(on); k++)
		cd_pct_on[k] = (cd_pct_given && cd_pct_on[k]) || on[k];
	memcpy(cd_pct_extra, extra, n_extra * sizeof(extra[0]));
	cd_n_pct_extra = n_extra;
	cd_pct_given = true;
	return 0;
}

/* TopSyscalls/TopPorts/TopPeers n */
static int cd_config_top(const oconfig_item_t *ci, enum ebs_table tbl)
{
	struct cd_rows *t = &cd_rows[tbl];
	unsigned top_max = ebs_tables[tbl].cd_top_max;
	char text[CD_VALUE_LEN];
	double d;

	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
		if (ci->values_num != 1 || cd_value_text(&ci->values[0], text, sizeof(text)) != 0)
			sstrncpy(text, "?", sizeof(text));
		ERROR("ebpf plugin: option '%s' takes one number of rows from 0 to %u, got '%s'",
		      ci->key, top_max, ci->values_num == 1 ? text : "none or several");
		return -1;
	}
	d = ci->values[0].value.number;
	if (!(d >= 0) || d > (double)top_max || d != floor(d)) {
		(void)cd_value_text(&ci->values[0], text, sizeof(text));
		ERROR("ebpf plugin: option '%s': must be an integer from 0 to %u, got '%s'",
		      ci->key, top_max, text);
		return -1;
	}
	t->top = (unsigned)d;
	return 0;
}

/* Syscall "read" ..., Port "443" ..., Peer "192.0.2.7[:443]" ...: each
 * value is one more selection, as in collectd's ignorelists. */
static int cd_config_select(const oconfig_item_t *ci, enum ebs_table tbl)
{
	const struct ebs_table_desc *d = &ebs_tables[tbl];
	struct cd_rows *t = &cd_rows[tbl];

	if (ci->values_num < 1) {
		ERROR("ebpf plugin: option '%s' takes one or more values, each %s", ci->key,
		      d->select_what);
		return -1;
	}
	for (int i = 0; i < ci->values_num; i++) {
		const oconfig_value_t *v = &ci->values[i];
		char text[CD_VALUE_LEN];

		if (t->n_sel == CD_SEL_MAX) {
			ERROR("ebpf plugin: option '%s': at most %d selections", ci->key,
			      CD_SEL_MAX);
			return -1;
		}
		/* a number is its text: Port 443 is Port "443" */
		if (cd_value_text(v, text, sizeof(text)) != 0 ||
		    d->select_parse(text, &t->sel[t->n_sel]) != 0) {
			if (cd_value_text(v, text, sizeof(text)) != 0)
				sstrncpy(text, "?", sizeof(text));
			ERROR("ebpf plugin: option '%s': '%s' is not %s", ci->key, text,
			      d->select_what);
			return -1;
		}
		t->n_sel++;
	}
	return 0;
}

/* The plugin's row options; 1: ci is none of them. */
static int cd_config_rows(const oconfig_item_t *ci)
{
	for (int t = 0; t < EBS_T_COUNT; t++) {
		if (!cd_rows_bounded(t))
			continue;
		if (strcasecmp(ci->key, ebs_tables[t].cd_top_option) == 0)
			return cd_config_top(ci, t);
		if (strcasecmp(ci->key, ebs_tables[t].cd_select_option) == 0)
			return cd_config_select(ci, t);
	}
	if (strcasecmp(ci->key, "IgnoreSelected") != 0)
		return 1;
	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_BOOLEAN) {
		ERROR("ebpf plugin: option '%s' takes one boolean (true or false)", ci->key);
		return -1;
	}
	cd_ignore_selected = ci->values[0].value.boolean;
	return 0;
}

/* Forgets what earlier reads saw. */
static void cd_rows_free(void)
{
	for (int i = 0; i < EBS_T_COUNT; i++) {
		struct cd_rows *t = &cd_rows[i];

		free(t->prev);
		free(t->send);
		t->prev = NULL;
		t->send = NULL;
		t->n_prev = t->cap = t->rows = t->sent = 0;
	}
}

/* Defaults and no state: at load, and for every test. */
static void cd_rows_init(void)
{
	cd_rows_free();
	for (int i = 0; i < EBS_T_COUNT; i++) {
		cd_rows[i].top = ebs_tables[i].cd_top_default;
		cd_rows[i].n_sel = 0;
	}
	cd_ignore_selected = false;
}

/* Precedence: with ConfigFile the YAML file is the single source of the
 * core's settings, so a core option beside it is an error rather than a
 * silent override; only the plugin's own options (ReportPercentiles, the
 * Top* options and the row selections) may sit next to it.  Without
 * ConfigFile, options apply over the built-in defaults.  Two passes make
 * this independent of the order of lines.
 * Returns -1 after logging every problem found. */
static int cd_config_parse(const oconfig_item_t *ci)
{
	struct ebs_config cfg = cd_cfg;
	const oconfig_item_t *file_item = NULL;
	int errors = 0, rc;

	for (int i = 0; i < ci->children_num; i++) {
		const oconfig_item_t *c = &ci->children[i];

		if (strcasecmp(c->key, "ConfigFile") == 0) {
			if (file_item || cd_config_file[0]) {
				ERROR("ebpf plugin: option '%s' given twice", c->key);
				errors++;
			} else if (c->values_num != 1 || c->values[0].type != OCONFIG_TYPE_STRING ||
				   c->values[0].value.string[0] == '\0') {
				ERROR("ebpf plugin: option '%s' takes one quoted file name",
				      c->key);
				errors++;
			} else {
				file_item = c;
			}
		} else if (strcasecmp(c->key, "ReportPercentiles") == 0) {
			if (cd_config_percentiles(c) != 0)
				errors++;
		} else if ((rc = cd_config_rows(c)) != 1) {
			if (rc != 0)
				errors++;
		} else if (!ebs_config_option_by_collectd(c->key)) {
			const char *hint = cd_option_suggest(c->key);

			if (hint)
				ERROR("ebpf plugin: unknown option '%s' in <Plugin ebpf> "
				      "(did you mean '%s'?)",
				      c->key, hint);
			else
				ERROR("ebpf plugin: unknown option '%s' in <Plugin ebpf>", c->key);
			errors++;
		} else if (c->children_num > 0) {
			ERROR("ebpf plugin: option '%s' is not a block", c->key);
			errors++;
		}
	}

	if (file_item) {
		const char *path = file_item->values[0].value.string;
		char err[EBS_ERR_LEN] = "";

		if (ebs_config_load(&cfg, path, err, sizeof(err)) != 0) {
			/* already "file:line:col: message" */
			ERROR("ebpf plugin: %s", err[0] ? err : path);
			errors++;
		}
		sstrncpy(cd_config_file, path, sizeof(cd_config_file));
	}

	for (int i = 0; i < ci->children_num; i++) {
		const oconfig_item_t *c = &ci->children[i];
		const struct ebs_config_option *opt = ebs_config_option_by_collectd(c->key);

		if (!opt || c->children_num > 0)
			continue;
		if (cd_config_file[0]) {
			ERROR("ebpf plugin: option '%s' cannot be combined with ConfigFile: "
			      "set '%s' in %s, which is the single source of these settings",
			      c->key, opt->key, cd_config_file);
			errors++;
			continue;
		}
		if (cd_apply_option(&cfg, c, opt) != 0)
			errors++;
		/* module reasons name the source: "collect_tcp is false in ..." */
		sstrncpy(cfg.source, "<Plugin ebpf>", sizeof(cfg.source));
	}

	if (errors) {
		cd_config_failed = true;
		return -1;
	}
	cd_cfg = cfg;
	return 0;
}

static int cd_config(oconfig_item_t *ci)
{
	/* collectd 5 refuses to start at all when a config callback fails,
	 * whichever plugin it belongs to.  A mistake in this block must only
	 * keep this plugin from starting: the errors are logged now, and init
	 * fails so collectd unloads us and runs its other plugins. */
	(void)cd_config_parse(ci);
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

static void cd_log_modules(const struct ebs_snapshot *s)
{
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		const struct ebs_module_stat *m = &s->modules[f];
		const char *name = m->name ? m->name : ebs_family_name(f);

		if (m->status == cd_logged[f])
			continue;
		cd_logged[f] = m->status;
		switch (m->status) {
		case EBS_ST_OK:
			INFO("ebpf plugin: module %s ok (%s%s)", name, m->attach,
			     m->reused_pins ? ", reusing pinned programs" : "");
			break;
		case EBS_ST_DEGRADED:
			WARNING("ebpf plugin: module %s degraded (%s%s): %s", name, m->attach,
				m->reused_pins ? ", reusing pinned programs" : "", m->reason);
			break;
		case EBS_ST_UNAVAILABLE:
			WARNING("ebpf plugin: module %s unavailable, its metrics are not "
				"reported: %s",
				name, m->reason);
			break;
		case EBS_ST_DISABLED:
			INFO("ebpf plugin: module %s disabled: %s", name, m->reason);
			break;
		}
	}
}

static bool cd_pct_wanted(unsigned pct)
{
	for (size_t k = 0; k < STATIC_ARRAY_SIZE(cd_pct_known); k++)
		if (cd_pct_known[k] == pct)
			return cd_pct_on[k];
	return false;
}

/* Whether m has values to send in this snapshot, whatever percentiles
 * were asked for: a collectd type, a number, and active by the core's
 * policy (a family that does not run, a view that is off: no series). */
static bool cd_metric_served(const struct ebs_metric *m, const struct ebs_snapshot *s)
{
	if (!m->cd_type || m->vtype == EBS_V_STR || m->vtype == EBS_V_STRPTR)
		return false;
	return ebs_metric_active(m, s, NULL);
}

static bool cd_metric_wanted(const struct ebs_metric *m, const struct ebs_snapshot *s)
{
	return (!m->pct || cd_pct_wanted(m->pct)) && cd_metric_served(m, s);
}

static bool cd_row_wanted(const struct ebs_metric *m, const struct ebs_snapshot *s, const void *row)
{
	/* a module's status is reported for every module, so a dashboard sees
	 * why one is silent; its counters only while it runs */
	return ebs_metric_active(m, s, row);
}

/* One value of m's row; pct > 0: the pct-th percentile of the p50 metric
 * m, named by its type_instance with "p50" turned into "p<pct>". */
static int cd_dispatch(const struct ebs_metric *m, const void *row, cdtime_t when, double pct)
{
	value_list_t vl = VALUE_LIST_INIT;
	value_t value;

	if (pct > 0) {
		const struct ebs_pct *p = ebs_metric_pct(m, row);

		value.gauge = p && p->samples ? ebs_pct_at(p, pct / 100.0) : NAN;
	} else if (m->kind == EBS_COUNTER) {
		uint64_t u = ebs_metric_u64(m, row);

		value.derive = u > (uint64_t)INT64_MAX ? INT64_MAX : (derive_t)u;
	} else if (ebs_metric_unknown(m, row)) {
		value.gauge = NAN; /* no samples in the interval: unknown, not 0 */
	} else {
		value.gauge = ebs_metric_double(m, row);
	}
	vl.values = &value;
	vl.values_len = 1;
	vl.time = when;
	sstrncpy(vl.plugin, CD_PLUGIN, sizeof(vl.plugin));
	ebs_cd_plugin_instance(m, row, vl.plugin_instance, sizeof(vl.plugin_instance));
	sstrncpy(vl.type, m->cd_type, sizeof(vl.type));
	ebs_cd_type_instance(m, row, vl.type_instance, sizeof(vl.type_instance));
	if (pct > 0) {
		size_t len = strlen(vl.type_instance);

		/* every p50 metric's type_instance ends in "p50" (test_collectd_plugin) */
		if (len >= 3 && strcmp(vl.type_instance + len - 3, "p50") == 0)
			snprintf(vl.type_instance + len - 2, sizeof(vl.type_instance) - (len - 2),
				 "%g", pct);
	}
	return plugin_dispatch_values(&vl);
}

/* ---- choosing the rows of bounded tables ------------------------------- */

static void cd_rows_key(enum ebs_table tbl, const void *row, struct cd_rowkey *k)
{
	memset(k, 0, sizeof(*k));
	k->n = ebs_snmp_index(tbl, row, k->arc);
}

static bool cd_rows_selected(const struct cd_rows *t, enum ebs_table tbl, const void *row)
{
	for (size_t i = 0; i < t->n_sel; i++)
		if (ebs_tables[tbl].select_match(&t->sel[i], row))
			return true;
	return false;
}

static int cd_cmp_prev(const void *a, const void *b)
{
	return memcmp(&((const struct cd_prev *)a)->key, &((const struct cd_prev *)b)->key,
		      sizeof(struct cd_rowkey));
}

struct cd_rank {
	uint64_t activity;
	size_t row;
};

/* Most active first; among equals the table's order (ascending port,
 * syscall number, endpoint), so the choice is the same from read to read. */
static int cd_cmp_rank(const void *a, const void *b)
{
	const struct cd_rank *x = a, *y = b;

	if (x->activity != y->activity)
		return x->activity > y->activity ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Chooses this read's rows of one table: the selected ones (unless
 * IgnoreSelected), then the `top` most active of the others, activity
 * being the increase of the table's activity() since the previous read (the whole
 * value for a row not seen then, or whose counters went back: reloaded
 * programs, a row evicted and inserted again). */
static void cd_rows_decide(enum ebs_table tbl, const struct ebs_snapshot *s)
{
	struct cd_rows *t = &cd_rows[tbl];
	const struct ebs_table_desc *d = &ebs_tables[tbl];
	size_t n = ebs_table_rows(s, tbl), cand = 0;
	struct cd_prev *next;
	struct cd_rank *rank;

	t->rows = n;
	t->sent = 0;
	if (n > t->cap) {
		bool *send = realloc(t->send, n * sizeof(*send));

		if (!send) {
			ERROR("ebpf plugin: out of memory choosing %zu %s rows: none sent", n,
			      d->name);
			t->cap = 0;
			return;
		}
		t->send = send;
		t->cap = n;
	}
	if (t->cap) /* memset(NULL, 0, 0) is undefined: UBSan says so */
		memset(t->send, 0, t->cap * sizeof(*t->send));
	next = calloc(n ? n : 1, sizeof(*next));
	rank = calloc(n ? n : 1, sizeof(*rank));
	if (!next || !rank) {
		ERROR("ebpf plugin: out of memory choosing %zu %s rows: none sent", n, d->name);
		free(next);
		free(rank);
		return;
	}
	for (size_t r = 0; r < n; r++) {
		const void *row = ebs_table_row(s, tbl, r);
		const struct cd_prev *old;
		uint64_t activity;

		cd_rows_key(tbl, row, &next[r].key);
		next[r].total = d->activity(row);
		old = t->n_prev
			      ? bsearch(&next[r], t->prev, t->n_prev, sizeof(*t->prev), cd_cmp_prev)
			      : NULL;
		activity = old && old->total <= next[r].total ? next[r].total - old->total
							      : next[r].total;
		if (cd_rows_selected(t, tbl, row)) {
			t->send[r] = !cd_ignore_selected;
			continue;
		}
		rank[cand++] = (struct cd_rank){.activity = activity, .row = r};
	}
	qsort(rank, cand, sizeof(*rank), cd_cmp_rank);
	for (size_t i = 0; i < cand && i < t->top; i++)
		t->send[rank[i].row] = true;
	for (size_t r = 0; r < n; r++)
		t->sent += t->send[r];
	qsort(next, n, sizeof(*next), cd_cmp_prev);
	free(t->prev);
	t->prev = next;
	t->n_prev = n;
	free(rank);
}

/* Whether row r of table tbl goes to collectd in this read. */
static bool cd_rows_send(enum ebs_table tbl, size_t r)
{
	if (!cd_rows_bounded(tbl))
		return true;
	return r < cd_rows[tbl].cap && cd_rows[tbl].send[r];
}

static int cd_dispatch_gauge(const char *type_instance, double v, cdtime_t when)
{
	value_list_t vl = VALUE_LIST_INIT;
	value_t value = {.gauge = v};

	vl.values = &value;
	vl.values_len = 1;
	vl.time = when;
	sstrncpy(vl.plugin, CD_PLUGIN, sizeof(vl.plugin));
	sstrncpy(vl.plugin_instance, "self", sizeof(vl.plugin_instance));
	sstrncpy(vl.type, CD_ROWS_TYPE, sizeof(vl.type));
	sstrncpy(vl.type_instance, type_instance, sizeof(vl.type_instance));
	return plugin_dispatch_values(&vl);
}

/* ebpf-self/ebpf_rows-NAME (rows in the snapshot) and -NAME-omitted (rows
 * not sent in this read), for each bounded table whose family runs. */
static size_t cd_rows_submit(const struct ebs_snapshot *s, cdtime_t when, size_t *failed)
{
	size_t sent = 0;

	for (int i = 0; i < EBS_T_COUNT; i++) {
		const struct cd_rows *t = &cd_rows[i];
		const char *name = ebs_tables[i].name;
		char ti[DATA_MAX_NAME_LEN];

		if (!cd_rows_bounded(i) || !ebs_table_active(i, s))
			continue;
		if (cd_dispatch_gauge(name, (double)t->rows, when) != 0)
			(*failed)++;
		else
			sent++;
		snprintf(ti, sizeof(ti), "%s-omitted", name);
		if (cd_dispatch_gauge(ti, (double)(t->rows - t->sent), when) != 0)
			(*failed)++;
		else
			sent++;
	}
	return sent;
}

/* Dispatches every wanted catalog metric of one snapshot; returns how many
 * values were dispatched. */
static size_t cd_submit_snapshot(const struct ebs_snapshot *s)
{
	/* all values carry the snapshot's time: they describe one instant */
	cdtime_t when = s->taken_unix_ms ? MS_TO_CDTIME_T(s->taken_unix_ms) : 0;
	size_t sent = 0, failed = 0;

	for (int i = 0; i < EBS_T_COUNT; i++)
		if (cd_rows_bounded(i))
			cd_rows_decide(i, s);
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *m = &ebs_catalog[i];
		size_t rows;

		bool extra = m->pct == 50 && cd_n_pct_extra > 0 && cd_metric_served(m, s);

		if (!extra && !cd_metric_wanted(m, s))
			continue;
		rows = ebs_table_rows(s, m->table);
		for (size_t r = 0; r < rows; r++) {
			const void *row = ebs_table_row(s, m->table, r);
			int rc = 0;

			if (!row || !cd_row_wanted(m, s, row) || !cd_rows_send(m->table, r))
				continue;
			if (cd_metric_wanted(m, s))
				rc |= cd_dispatch(m, row, when, 0);
			for (size_t k = 0; extra && k < cd_n_pct_extra; k++)
				rc |= cd_dispatch(m, row, when, cd_pct_extra[k]);
			if (rc != 0)
				failed++;
			else
				sent++;
		}
	}
	sent += cd_rows_submit(s, when, &failed);
	if (failed)
		WARNING("ebpf plugin: %zu of %zu values were not dispatched", failed,
			failed + sent);
	return sent;
}

/* ---- notifications -------------------------------------------------------
 * The core's events as collectd notifications, for notify_nagios,
 * notify_email, exec and logfile.  type_instance names the event. */

static int cd_event_severity(const struct ebs_event *ev)
{
	switch (ev->type) {
	case EBS_EV_OOM_KILL: return NOTIF_FAILURE;
	case EBS_EV_OVERFLOW: return NOTIF_WARNING;
	case EBS_EV_PROGRAMS_LOADED: return NOTIF_OKAY;
	case EBS_EV_MODULE_STATUS:
		switch (ev->new_status) {
		case EBS_ST_OK: return NOTIF_OKAY;
		case EBS_ST_DEGRADED: return NOTIF_WARNING;
		case EBS_ST_DISABLED: return NOTIF_OKAY; /* the administrator's choice */
		default: return NOTIF_FAILURE;
		}
	default: return NOTIF_WARNING;
	}
}

static void cd_notify(const struct ebs_snapshot *s)
{
	cdtime_t when = MS_TO_CDTIME_T(s->taken_unix_ms);
	value_list_t vl = VALUE_LIST_INIT;
	value_t value;

	ebs_events_update(&cd_events, s);
	for (unsigned i = 0; i < cd_events.n; i++) {
		const struct ebs_event *ev = &cd_events.ev[i];
		notification_t n = {.severity = cd_event_severity(ev), .time = when};

		sstrncpy(n.host, hostname_g, sizeof(n.host));
		sstrncpy(n.plugin, CD_PLUGIN, sizeof(n.plugin));
		/* the module, as the self-metrics name it; "" for a load */
		if (ev->family < EBS_FAM_COUNT)
			sstrncpy(n.plugin_instance, ebs_family_name(ev->family),
				 sizeof(n.plugin_instance));
		sstrncpy(n.type, "ebpf_events", sizeof(n.type));
		sstrncpy(n.type_instance, ebs_event_name(ev->type), sizeof(n.type_instance));
		ebs_event_text(ev, n.message, sizeof(n.message));
		/* the message keeps 256 bytes, a path as many: whole here */
		if (ev->type == EBS_EV_OOM_KILL &&
		    (plugin_notification_meta_add_signed_int(&n, "pid", ev->pid) != 0 ||
		     plugin_notification_meta_add_string(&n, "comm", ev->comm) != 0 ||
		     plugin_notification_meta_add_string(&n, "cgroup", ev->cgroup) != 0))
			WARNING("ebpf plugin: out of memory for the OOM notification's meta data");
		if (plugin_dispatch_notification(&n) != 0)
			WARNING("ebpf plugin: dispatching the notification \"%s\" failed",
				n.message);
		plugin_notification_meta_free(n.meta);
	}
	/* what the rate limit held back (NotifyLimit) */
	value.derive = (derive_t)cd_events.suppressed_total;
	vl.values = &value;
	vl.values_len = 1;
	vl.time = when;
	sstrncpy(vl.plugin, CD_PLUGIN, sizeof(vl.plugin));
	sstrncpy(vl.plugin_instance, "self", sizeof(vl.plugin_instance));
	sstrncpy(vl.type, "ebpf_events", sizeof(vl.type));
	sstrncpy(vl.type_instance, "notifications_suppressed", sizeof(vl.type_instance));
	plugin_dispatch_values(&vl);
}

static int cd_read(user_data_t *ud)
{
	char err[EBS_ERR_LEN] = "";
	const struct ebs_snapshot *s;

	(void)ud;
	if (!cd_ebs)
		return -1;
	s = ebs_snapshot(cd_ebs, err, sizeof(err));
	if (!s) {
		ERROR("ebpf plugin: taking a snapshot failed: %s", err[0] ? err : "unknown error");
		return -1;
	}
	cd_log_modules(s);
	cd_submit_snapshot(s);
	cd_notify(s);
	/* 0 also when a module is unavailable: the others' values are good and
	 * collectd must not back off the whole plugin for it */
	return 0;
}

/* ---- lifecycle ---------------------------------------------------------- */

static int cd_init(void)
{
	char err[EBS_ERR_LEN] = "";

	if (cd_config_failed) {
		ERROR("ebpf plugin: not started: the <Plugin ebpf> block has errors (logged above)");
		return -1;
	}
	if (cd_ebs)
		return 0;
	cd_ebs = ebs_open(&cd_cfg, err, sizeof(err));
	if (!cd_ebs) {
		ERROR("ebpf plugin: opening the eBPF core failed: %s",
		      err[0] ? err : "unknown error");
		return -1;
	}
	memset(cd_logged, 0, sizeof(cd_logged));
	ebs_events_init(&cd_events, cd_cfg.notify_limit);
	return 0;
}

static int cd_shutdown(void)
{
	/* private programs detach here; pinned ones stay for the next start
	 * and the other front-ends, so counters continue across restarts */
	ebs_close(cd_ebs);
	cd_ebs = NULL;
	cd_rows_free();
	return 0;
}

void module_register(void)
{
	ebs_config_init(&cd_cfg);
	cd_rows_init();
	plugin_register_complex_config(CD_PLUGIN, cd_config);
	plugin_register_init(CD_PLUGIN, cd_init);
	/* The interval of the <LoadPlugin ebpf> block, else the global one:
	 * collectd sets this plugin's context while module_register runs.  If
	 * init fails collectd unregisters the read callback itself. */
	plugin_register_complex_read(NULL, CD_PLUGIN, cd_read, plugin_get_interval(), NULL);
	plugin_register_shutdown(CD_PLUGIN, cd_shutdown);
}
