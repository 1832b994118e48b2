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
	"ConfigFile", "ReportPercentiles", "TopSyscalls", "TopPorts", "TopPeers", "Syscall", "Port",
	"Peer",	      "IgnoreSelected",
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

enum cd_rows_id { CD_R_SYSCALL, CD_R_PORT, CD_R_PEER, CD_R_COUNT };

#define CD_SEL_MAX 64 /* selections per option */

/* A row's identity across reads: nr, port, or (direction, address type,
 * address, port). */
struct cd_rowkey {
	uint32_t w[7];
};

struct cd_prev {
	struct cd_rowkey key;
	uint64_t total; /* the row's activity counters summed at that read */
};

/* One Peer selection: an address, and a port unless 0 (any). */
struct cd_peer_sel {
	uint32_t addr_type; /* 1 ipv4, 2 ipv6, as in the row */
	uint8_t addr[16];
	uint32_t port;
};

struct cd_rows {
	const char *name;	/* "tcp_port": type_instance of its self metrics */
	const char *top_option; /* "TopPorts" */
	enum ebs_table table;
	unsigned top; /* rows sent by activity */
	unsigned top_max;
	/* Selections: numbers (syscall nr, port) or peers. */
	uint32_t sel[CD_SEL_MAX];
	struct cd_peer_sel peer_sel[CD_SEL_MAX];
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

/* TopSyscalls 20, TopPorts 10, TopPeers 10 keep a default configuration
 * under 400 series on a host with up to 10 CPUs (docs/collectd.md). */
#define CD_TOP_SYSCALLS 20
#define CD_TOP_PORTS 10
#define CD_TOP_PEERS 10

/* top and the rest: cd_rows_init(), from module_register */
static struct cd_rows cd_rows[CD_R_COUNT] = {
	[CD_R_SYSCALL] = {.name = "syscall",
			  .top_option = "TopSyscalls",
			  .table = EBS_T_SYSCALL,
			  .top_max = 4096},
	[CD_R_PORT] = {.name = "tcp_port",
		       .top_option = "TopPorts",
		       .table = EBS_T_TCP_PORT,
		       .top_max = 65536},
	[CD_R_PEER] = {.name = "tcp_peer",
		       .top_option = "TopPeers",
		       .table = EBS_T_TCP_PEER,
		       .top_max = 65536},
};
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
		ERROR("ebpf plugin: option '%s' takes %s", ci->key,
		      list ? "one or more process names" : "exactly one value");
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

static struct cd_rows *cd_rows_by_top_option(const char *key)
{
	for (int i = 0; i < CD_R_COUNT; i++)
		if (strcasecmp(cd_rows[i].top_option, key) == 0)
			return &cd_rows[i];
	return NULL;
}

/* TopSyscalls/TopPorts/TopPeers n */
static int cd_config_top(const oconfig_item_t *ci, struct cd_rows *t)
{
	char text[CD_VALUE_LEN];
	double d;

	if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
		if (ci->values_num != 1 || cd_value_text(&ci->values[0], text, sizeof(text)) != 0)
			sstrncpy(text, "?", sizeof(text));
		ERROR("ebpf plugin: option '%s' takes one number of rows from 0 to %u, got '%s'",
		      ci->key, t->top_max, ci->values_num == 1 ? text : "none or several");
		return -1;
	}
	d = ci->values[0].value.number;
	if (!(d >= 0) || d > (double)t->top_max || d != floor(d)) {
		(void)cd_value_text(&ci->values[0], text, sizeof(text));
		ERROR("ebpf plugin: option '%s': must be an integer from 0 to %u, got '%s'",
		      ci->key, t->top_max, text);
		return -1;
	}
	t->top = (unsigned)d;
	return 0;
}

/* "443" or 443 */
static int cd_parse_port(const oconfig_value_t *v, uint32_t *port)
{
	char *end;
	unsigned long p;

	if (v->type == OCONFIG_TYPE_NUMBER) {
		if (v->value.number != floor(v->value.number) || v->value.number < 1 ||
		    v->value.number > 65535)
			return -1;
		*port = (uint32_t)v->value.number;
		return 0;
	}
	if (v->type != OCONFIG_TYPE_STRING || !isdigit((unsigned char)v->value.string[0]))
		return -1;
	errno = 0;
	p = strtoul(v->value.string, &end, 10);
	if (errno || *end || p < 1 || p > 65535)
		return -1;
	*port = (uint32_t)p;
	return 0;
}

/* "192.0.2.7", "192.0.2.7:443", "2001:db8::1", "[2001:db8::1]:443" */
static int cd_parse_peer(const char *text, struct cd_peer_sel *sel)
{
	char addr[64];
	const char *colon = strchr(text, ':');
	const char *port = NULL;
	size_t len;

	memset(sel, 0, sizeof(*sel));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':' || close[2] == '\0')
			return -1;
		len = (size_t)(close - text - 1);
		if (len >= sizeof(addr))
			return -1;
		memcpy(addr, text + 1, len);
		addr[len] = '\0';
		port = close + 2;
	} else if (colon && !strchr(colon + 1, ':')) {
		/* one colon: IPv4 address and port */
		len = (size_t)(colon - text);
		if (len >= sizeof(addr) || colon[1] == '\0')
			return -1;
		memcpy(addr, text, len);
		addr[len] = '\0';
		port = colon + 1;
	} else {
		if (strlen(text) >= sizeof(addr))
			return -1;
		sstrncpy(addr, text, sizeof(addr));
	}
	if (inet_pton(AF_INET, addr, sel->addr) == 1)
		sel->addr_type = 1;
	else if (inet_pton(AF_INET6, addr, sel->addr) == 1)
		sel->addr_type = 2;
	else
		return -1;
	if (port) {
		oconfig_value_t v = {.value.string = (char *)port, .type = OCONFIG_TYPE_STRING};

		if (cd_parse_port(&v, &sel->port) != 0)
			return -1;
	}
	return 0;
}

/* "read", or "sys_NNN" as the row key names a syscall without a name */
static int cd_parse_syscall(const char *name, uint32_t *nr)
{
	char *end;

	for (uint32_t i = 0; i < ebs_syscall_max(); i++) {
		const char *n = ebs_syscall_name(i);

		if (n && strcmp(n, name) == 0) {
			*nr = i;
			return 0;
		}
	}
	if (strncmp(name, "sys_", 4) == 0 && isdigit((unsigned char)name[4])) {
		unsigned long v;

		errno = 0;
		v = strtoul(name + 4, &end, 10);
		if (!errno && !*end && v < 65536) {
			*nr = (uint32_t)v;
			return 0;
		}
	}
	return -1;
}

/* Syscall "read" ..., Port "443" ..., Peer "192.0.2.7[:443]" ...: each
 * value is one more selection, as in collectd's ignorelists. */
static int cd_config_select(const oconfig_item_t *ci, struct cd_rows *t)
{
	static const char *const what[CD_R_COUNT] = {
		[CD_R_SYSCALL] = "a syscall name (e.g. \"read\")",
		[CD_R_PORT] = "a port number from 1 to 65535",
		[CD_R_PEER] = "an IPv4 or IPv6 address, optionally with a port "
			      "(\"192.0.2.7\", \"192.0.2.7:443\", \"[2001:db8::1]:443\")",
	};
	enum cd_rows_id id = (enum cd_rows_id)(t - cd_rows);

	if (ci->values_num < 1) {
		ERROR("ebpf plugin: option '%s' takes one or more values, each %s", ci->key,
		      what[id]);
		return -1;
	}
	for (int i = 0; i < ci->values_num; i++) {
		const oconfig_value_t *v = &ci->values[i];
		char text[CD_VALUE_LEN];
		int rc = -1;

		if (t->n_sel == CD_SEL_MAX) {
			ERROR("ebpf plugin: option '%s': at most %d selections", ci->key,
			      CD_SEL_MAX);
			return -1;
		}
		if (id == CD_R_PORT)
			rc = cd_parse_port(v, &t->sel[t->n_sel]);
		else if (v->type == OCONFIG_TYPE_STRING && id == CD_R_SYSCALL)
			rc = cd_parse_syscall(v->value.string, &t->sel[t->n_sel]);
		else if (v->type == OCONFIG_TYPE_STRING)
			rc = cd_parse_peer(v->value.string, &t->peer_sel[t->n_sel]);
		if (rc != 0) {
			if (cd_value_text(v, text, sizeof(text)) != 0)
				sstrncpy(text, "?", sizeof(text));
			ERROR("ebpf plugin: option '%s': '%s' is not %s", ci->key, text, what[id]);
			return -1;
		}
		t->n_sel++;
	}
	return 0;
}

/* The plugin's row options; 1: ci is none of them. */
static int cd_config_rows(const oconfig_item_t *ci)
{
	static const char *const select[CD_R_COUNT] = {
		[CD_R_SYSCALL] = "Syscall", [CD_R_PORT] = "Port", [CD_R_PEER] = "Peer"};
	struct cd_rows *t = cd_rows_by_top_option(ci->key);

	if (t)
		return cd_config_top(ci, t);
	for (int i = 0; i < CD_R_COUNT; i++)
		if (strcasecmp(ci->key, select[i]) == 0)
			return cd_config_select(ci, &cd_rows[i]);
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
	for (int i = 0; i < CD_R_COUNT; i++) {
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
	static const unsigned top[CD_R_COUNT] = {[CD_R_SYSCALL] = CD_TOP_SYSCALLS,
						 [CD_R_PORT] = CD_TOP_PORTS,
						 [CD_R_PEER] = CD_TOP_PEERS};

	cd_rows_free();
	for (int i = 0; i < CD_R_COUNT; i++) {
		cd_rows[i].top = top[i];
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

static void cd_rows_key(enum cd_rows_id id, const void *row, struct cd_rowkey *k)
{
	memset(k, 0, sizeof(*k));
	switch (id) {
	case CD_R_SYSCALL: k->w[0] = ((const struct ebs_syscall_row *)row)->nr; break;
	case CD_R_PORT: k->w[0] = ((const struct ebs_tcp_port_row *)row)->port; break;
	default: {
		const struct ebs_tcp_peer_row *p = row;

		k->w[0] = p->dir;
		k->w[1] = p->addr_type;
		memcpy(&k->w[2], p->addr, sizeof(p->addr));
		k->w[6] = p->port;
	}
	}
}

/* What a row's activity is the increase of: calls for a syscall; accepts,
 * resets, retransmits and bytes both ways for a port; connects,
 * retransmits, resets and bytes both ways for a peer. */
static uint64_t cd_rows_total(enum cd_rows_id id, const void *row)
{
	switch (id) {
	case CD_R_SYSCALL: return ((const struct ebs_syscall_row *)row)->calls;
	case CD_R_PORT: {
		const struct ebs_tcp_port_row *p = row;

		return p->accepts + p->resets + p->retransmits + p->bytes_in + p->bytes_out;
	}
	default: {
		const struct ebs_tcp_peer_row *p = row;

		return p->connects + p->retransmits + p->resets + p->bytes_in + p->bytes_out;
	}
	}
}

static bool cd_rows_selected(const struct cd_rows *t, enum cd_rows_id id, const void *row)
{
	for (size_t i = 0; i < t->n_sel; i++) {
		if (id == CD_R_SYSCALL && t->sel[i] == ((const struct ebs_syscall_row *)row)->nr)
			return true;
		if (id == CD_R_PORT && t->sel[i] == ((const struct ebs_tcp_port_row *)row)->port)
			return true;
		if (id == CD_R_PEER) {
			const struct ebs_tcp_peer_row *p = row;
			const struct cd_peer_sel *q = &t->peer_sel[i];

			if (p->addr_type == q->addr_type && (!q->port || q->port == p->port) &&
			    memcmp(p->addr, q->addr, q->addr_type == 2 ? 16 : 4) == 0)
				return true;
		}
	}
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
 * being the increase of cd_rows_total() since the previous read (the whole
 * value for a row not seen then, or whose counters went back: reloaded
 * programs, a row evicted and inserted again). */
static void cd_rows_decide(struct cd_rows *t, const struct ebs_snapshot *s)
{
	enum cd_rows_id id = (enum cd_rows_id)(t - cd_rows);
	size_t n = ebs_table_rows(s, t->table), cand = 0;
	struct cd_prev *next;
	struct cd_rank *rank;

	t->rows = n;
	t->sent = 0;
	if (n > t->cap) {
		bool *send = realloc(t->send, n * sizeof(*send));

		if (!send) {
			ERROR("ebpf plugin: out of memory choosing %zu %s rows: none sent", n,
			      t->name);
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
		ERROR("ebpf plugin: out of memory choosing %zu %s rows: none sent", n, t->name);
		free(next);
		free(rank);
		return;
	}
	for (size_t r = 0; r < n; r++) {
		const void *row = ebs_table_row(s, t->table, r);
		const struct cd_prev *old;
		uint64_t activity;

		cd_rows_key(id, row, &next[r].key);
		next[r].total = cd_rows_total(id, row);
		old = t->n_prev
			      ? bsearch(&next[r], t->prev, t->n_prev, sizeof(*t->prev), cd_cmp_prev)
			      : NULL;
		activity = old && old->total <= next[r].total ? next[r].total - old->total
							      : next[r].total;
		if (cd_rows_selected(t, id, row)) {
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
	for (int i = 0; i < CD_R_COUNT; i++)
		if (cd_rows[i].table == tbl)
			return r < cd_rows[i].cap && cd_rows[i].send[r];
	return true;
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

	for (int i = 0; i < CD_R_COUNT; i++) {
		const struct cd_rows *t = &cd_rows[i];
		enum ebs_family fam = i == CD_R_SYSCALL ? EBS_FAM_SYSCALLS : EBS_FAM_TCP;
		char ti[DATA_MAX_NAME_LEN];

		if (!ebs_module_running(s, fam) || (i == CD_R_PEER && !s->views.tcp_peers))
			continue;
		if (cd_dispatch_gauge(t->name, (double)t->rows, when) != 0)
			(*failed)++;
		else
			sent++;
		snprintf(ti, sizeof(ti), "%s-omitted", t->name);
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

	for (int i = 0; i < CD_R_COUNT; i++)
		cd_rows_decide(&cd_rows[i], s);
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
		if (plugin_dispatch_notification(&n) != 0)
			WARNING("ebpf plugin: dispatching the notification \"%s\" failed",
				n.message);
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
