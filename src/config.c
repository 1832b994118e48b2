/* The YAML configuration: an `integrations: ebpf:` section, the shape other
 * agents already use, so one file can configure several of them.  Only that
 * section is interpreted; everything around it is skipped unread.
 *
 * The file is walked with libyaml's event API rather than loaded as a
 * document: no tree is built, aliases are never expanded, and a skipped
 * subtree costs only a depth counter.  Every value is validated while it is
 * read and applied to a private copy, which replaces the caller's config
 * only when the whole stream parsed cleanly.  The loader is fuzzed
 * (tests/fuzz, `scripts/sanitize fuzz`): every length is bounded and every
 * libyaml return is checked.
 *
 * Which keys exist, their spellings, types, ranges and defaults are the
 * rows of the config schema (config_schema.c); this file only knows how
 * each type is read and what its messages say. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config_schema.h"
#include "ebpfstats.h"

#define CFG_MAX_BYTES (1024 * 1024) /* refused before parsing */
#define CFG_MAX_DEPTH 64	    /* nesting, counted from the document root */
#define KEY_MAX 64		    /* longer keys are unknown; no suggestion */
#define SHOW_LEN 48		    /* buffer for an offending value echoed back */
#define WHY_LEN 320

/* A key as one level names it: its schema row, and its spelling there
 * (aliases are kept apart so messages can name the key as written). */
struct key_def {
	const char *name;
	const struct ebs_config_option *opt;
};

/* Where keys are looked up: `ebpf:` itself (parent NULL), the mapping of a
 * mapping row (`map_sizes:`, parent that row), or ebs_config_set()'s flat
 * names, where a mapping's keys are dotted ("map_sizes.threads"). */
struct level {
	const struct ebs_config_option *parent;
	bool flat;
};

static const struct level ebpf_level = {NULL, false};
static const struct level set_level = {NULL, true};

/* Settings of the agent whose `integrations: ebpf:` shape we share.  They
 * are still errors, but a did-you-mean would point at an unrelated key. */
static const char *const foreign_keys[] = {
	"programs_path",    "collect_dns",	"collect_http",	    "container_filter",
	"namespace_filter", "ring_buffer_size", "perf_buffer_size", "max_stack_depth",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small helpers ------------------------------------------------------ */

static void copy_str(char *dst, size_t size, const char *src, size_t len)
{
	if (size == 0)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static bool is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* A value echoed in a message: control bytes masked, long input cut at a
 * UTF-8 character boundary, so a hostile value cannot flood a log line. */
static const char *show(char out[SHOW_LEN], const char *s, size_t len)
{
	const size_t keep = SHOW_LEN - 4; /* room for "..." and NUL */
	bool cut = len > SHOW_LEN - 1;
	size_t n = cut ? keep : len;

	if (cut)
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	for (size_t i = 0; i < n; i++)
		out[i] = is_ctl((unsigned char)s[i]) ? '?' : s[i];
	if (cut) {
		memcpy(out + n, "...", 4);
	} else {
		out[n] = '\0';
	}
	return out;
}

static bool eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static bool eq_nocase(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* The k-th spelling of a row (0: its key), NULL past the last. */
static const char *spelling(const struct ebs_config_option *o, size_t k)
{
	if (k == 0)
		return o->key;
	return k - 1 < EBS_OPT_ALIASES ? o->aliases[k - 1] : NULL;
}

/* A spelling as the level names it, or NULL when the level has no such key. */
static const char *name_at(const struct level *lv, const struct ebs_config_option *o,
			   const char *sp)
{
	if (lv->flat)
		return o->type == EBS_OPT_MAPPING ? NULL : sp;
	if (lv->parent) {
		size_t plen = strlen(lv->parent->key);

		if (strncmp(sp, lv->parent->key, plen) == 0 && sp[plen] == '.')
			return sp + plen + 1;
		return NULL;
	}
	return strchr(sp, '.') ? NULL : sp;
}

static bool find_key(const struct level *lv, const char *s, size_t len, struct key_def *def)
{
	size_t n;
	const struct ebs_config_option *opts = ebs_config_options(&n);

	for (size_t i = 0; i < n; i++) {
		const char *sp, *name;

		for (size_t k = 0; (sp = spelling(&opts[i], k)); k++) {
			name = name_at(lv, &opts[i], sp);
			if (name && eq(s, len, name)) {
				def->name = name;
				def->opt = &opts[i];
				return true;
			}
		}
	}
	return false;
}

/* The closest key of the level within two edits, or NULL. */
static const char *suggest(const struct level *lv, const char *s, size_t len)
{
	struct ebs_suggest sg;
	size_t n;
	const struct ebs_config_option *opts = ebs_config_options(&n);

	ebs_suggest_init(&sg, s, len, false);
	for (size_t i = 0; i < n; i++) {
		const char *sp, *name;

		for (size_t k = 0; (sp = spelling(&opts[i], k)); k++)
			if ((name = name_at(lv, &opts[i], sp)))
				ebs_suggest_try(&sg, name);
	}
	return sg.best;
}

static bool is_foreign(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_LEN(foreign_keys); i++)
		if (eq(s, len, foreign_keys[i]))
			return true;
	return false;
}

static void unknown_key_text(char *out, size_t outlen, const struct level *lv, const char *s,
			     size_t len, bool name_it)
{
	char shown[SHOW_LEN], what[SHOW_LEN + KEY_MAX + 16] = "unknown key";
	const char *hint = suggest(lv, s, len);
	size_t used = strlen(what);

	/* ebs_config_set() already names the key in its "key 'x': " prefix. */
	if (name_it)
		used += (size_t)snprintf(what + used, sizeof(what) - used, " '%s'",
					 show(shown, s, len));
	if (lv->parent && used < sizeof(what))
		snprintf(what + used, sizeof(what) - used, " in '%s'", lv->parent->key);
	if (is_foreign(s, len))
		snprintf(out, outlen, "%s (not supported by ebpfstats)", what);
	else if (hint)
		snprintf(out, outlen, "%s (did you mean '%s'?)", what, hint);
	else
		snprintf(out, outlen, "%s", what);
}

/* ---- value parsers: text in, value or -1 out ---------------------------- */

static int parse_bool(const char *s, size_t len, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};

	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (eq_nocase(s, len, yes[i])) {
			*out = true;
			return 0;
		}
		if (eq_nocase(s, len, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Leading decimal digits of s as a number; at most 10 digits so the
 * multiplications below cannot overflow. */
static size_t parse_digits(const char *s, size_t len, unsigned long long *out)
{
	size_t i = 0;
	unsigned long long v = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (i == 10)
			return 0;
		v = v * 10 + (unsigned long long)(s[i] - '0');
		i++;
	}
	*out = v;
	return i;
}

static int parse_uint(const char *s, size_t len, const struct ebs_config_option *o,
		      unsigned long *out)
{
	unsigned long long v;
	size_t n = parse_digits(s, len, &v);

	if (n == 0 || n != len || v < o->lo || v > o->hi)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

/* "15" (seconds), "500ms", "15s", "1m", "1h", within the row's range. */
static int parse_duration(const char *s, size_t len, const struct ebs_config_option *o,
			  unsigned *ms)
{
	unsigned long long v, mult;
	size_t n = parse_digits(s, len, &v);
	const char *unit = s + n;
	size_t ulen = len - n;

	if (n == 0)
		return -1;
	if (ulen == 0 || eq(unit, ulen, "s"))
		mult = 1000;
	else if (eq(unit, ulen, "ms"))
		mult = 1;
	else if (eq(unit, ulen, "m"))
		mult = 60000;
	else if (eq(unit, ulen, "h"))
		mult = 3600000;
	else
		return -1;
	v *= mult;
	if (v < o->lo || v > o->hi)
		return -1;
	*ms = (unsigned)v;
	return 0;
}

static const char *got_text(char *out, size_t outlen, const char *s, size_t len, bool null)
{
	char shown[SHOW_LEN];

	if (null)
		snprintf(out, outlen, "an empty value");
	else
		snprintf(out, outlen, "'%s'", show(shown, s, len));
	return out;
}

#define EXPECT_LEN 128

/* "must be ...": what a row's value must be, from its type and range. */
static const char *expect_text(const struct ebs_config_option *o, char out[EXPECT_LEN])
{
	char lo[24], hi[24];

	switch (o->type) {
	case EBS_OPT_BOOL: return "must be true or false";
	case EBS_OPT_UINT:
		snprintf(out, EXPECT_LEN, "must be an integer from %lu to %lu", o->lo, o->hi);
		return out;
	case EBS_OPT_DURATION:
		snprintf(out, EXPECT_LEN,
			 "must be a duration from %s to %s (e.g. 500ms, 15s, 1m; "
			 "a plain number means seconds)",
			 ebs_duration_text(o->lo, lo, sizeof(lo)),
			 ebs_duration_text(o->hi, hi, sizeof(hi)));
		return out;
	case EBS_OPT_PATH: return o->expect;
	case EBS_OPT_COMMS:
		snprintf(out, EXPECT_LEN, "must be a list of %ss", ebs_config_item(o));
		return out;
	case EBS_OPT_MAPPING:
	default: return "must be a mapping";
	}
}

static void *field_of(struct ebs_config *cfg, const struct ebs_config_option *o)
{
	return (char *)cfg + o->offset;
}

static int check_path(const struct ebs_config_option *o, const char *s, size_t len, char *why,
		      size_t whylen)
{
	char shown[SHOW_LEN];
	char expect[EXPECT_LEN];
	bool blank = true;

	if (len >= o->size) {
		snprintf(why, whylen, "is longer than %zu bytes", o->size - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0' || is_ctl((unsigned char)s[i])) {
			snprintf(why, whylen, "contains a control character: '%s'",
				 show(shown, s, len));
			return -1;
		}
		if (s[i] != ' ')
			blank = false;
	}
	/* " " would be tried as a file name; say so instead. */
	if ((len > 0 && blank) || (o->absolute && len > 0 && s[0] != '/')) {
		snprintf(why, whylen, "%s, got '%s'", expect_text(o, expect), show(shown, s, len));
		return -1;
	}
	return 0;
}

/* Applies one scalar setting (not a list, not a mapping) to cfg.  On error
 * why holds a predicate for the key: "must be ..., got '...'". */
static int apply_scalar(struct ebs_config *cfg, const struct ebs_config_option *o, const char *s,
			size_t len, bool null, char *why, size_t whylen)
{
	char expect[EXPECT_LEN], got[SHOW_LEN + 16];
	unsigned long u;
	unsigned ms;
	bool b;

	switch (o->type) {
	case EBS_OPT_BOOL:
		if (null || parse_bool(s, len, &b) != 0)
			goto bad;
		*(bool *)field_of(cfg, o) = b;
		return 0;
	case EBS_OPT_UINT:
		if (null || parse_uint(s, len, o, &u) != 0)
			goto bad;
		*(unsigned *)field_of(cfg, o) = (unsigned)u;
		return 0;
	case EBS_OPT_DURATION:
		if (null || parse_duration(s, len, o, &ms) != 0)
			goto bad;
		*(unsigned *)field_of(cfg, o) = ms;
		return 0;
	case EBS_OPT_PATH:
		/* A bare `btf_path:` reads as "nothing configured". */
		if (null)
			len = 0;
		if (check_path(o, s, len, why, whylen) != 0)
			return -1;
		copy_str(field_of(cfg, o), o->size, s, len);
		return 0;
	default: snprintf(why, whylen, "%s", expect_text(o, expect)); return -1;
	}
bad:
	snprintf(why, whylen, "%s, got %s", expect_text(o, expect),
		 got_text(got, sizeof(got), s, len, null));
	return -1;
}

/* A comms row's list (ebs_config_item_len() bytes per entry) and count. */
static char *comm_list(struct ebs_config *cfg, const struct ebs_config_option *o)
{
	return field_of(cfg, o);
}

static unsigned *comm_count(struct ebs_config *cfg, const struct ebs_config_option *o)
{
	return (unsigned *)((char *)cfg + o->count_offset);
}

/* Appends one comm to a comms row's list in cfg. */
static int add_comm(struct ebs_config *cfg, const struct ebs_config_option *o, const char *s,
		    size_t len, bool null, char *why, size_t whylen)
{
	char *list = comm_list(cfg, o);
	size_t elen = ebs_config_item_len(o);
	const char *item = ebs_config_item(o);
	unsigned *n = comm_count(cfg, o);
	char shown[SHOW_LEN];

	if (*n >= EBS_MAX_COMMS) {
		snprintf(why, whylen, "has more than %d entries", EBS_MAX_COMMS);
		return -1;
	}
	if (null || len == 0) {
		snprintf(why, whylen, "has an empty %s", item);
		return -1;
	}
	if (len > elen - 1) {
		snprintf(why, whylen, "has a %s longer than %zu characters: '%s'", item, elen - 1,
			 show(shown, s, len));
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0' || is_ctl((unsigned char)s[i])) {
			snprintf(why, whylen, "has a %s with a control character: '%s'", item,
				 show(shown, s, len));
			return -1;
		}
	}
	for (unsigned i = 0; i < *n; i++) {
		if (strnlen(list + i * elen, elen) == len && memcmp(list + i * elen, s, len) == 0) {
			snprintf(why, whylen, "lists '%s' twice", show(shown, s, len));
			return -1;
		}
	}
	/* Whole slot zeroed: ebs_cfg_digest() hashes whole slots, so stale
	 * bytes after the NUL would make equal configs look different. */
	memset(list + *n * elen, 0, elen);
	memcpy(list + *n * elen, s, len);
	(*n)++;
	return 0;
}

/* ---- public: defaults and single settings -------------------------------- */

void ebs_config_init(struct ebs_config *cfg)
{
	size_t n;
	const struct ebs_config_option *opts = ebs_config_options(&n);

	memset(cfg, 0, sizeof(*cfg));
	copy_str(cfg->source, sizeof(cfg->source), "<built-in defaults>",
		 strlen("<built-in defaults>"));
	/* lists start empty, mappings hold nothing of their own */
	for (size_t i = 0; i < n; i++) {
		const struct ebs_config_option *o = &opts[i];

		switch (o->type) {
		case EBS_OPT_BOOL: *(bool *)field_of(cfg, o) = o->def != 0; break;
		case EBS_OPT_UINT:
		case EBS_OPT_DURATION: *(unsigned *)field_of(cfg, o) = (unsigned)o->def; break;
		case EBS_OPT_PATH:
			copy_str(field_of(cfg, o), o->size, o->def_str, strlen(o->def_str));
			break;
		default: break;
		}
	}
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int ebs_config_set(struct ebs_config *cfg, const char *key, const char *value, char *err,
		   size_t errlen)
{
	char why[WHY_LEN], shown[SHOW_LEN];
	struct key_def def;
	struct ebs_config copy;
	size_t klen, vlen;
	int rc;

	if (!cfg || !key) {
		set_err(err, errlen, "ebs_config_set: no %s given", cfg ? "key" : "config");
		return -1;
	}
	klen = strlen(key);
	if (!find_key(&set_level, key, klen, &def)) {
		unknown_key_text(why, sizeof(why), &set_level, key, klen, false);
		set_err(err, errlen, "key '%s': %s", show(shown, key, klen), why);
		return -1;
	}
	if (!value) {
		set_err(err, errlen, "key '%s': no value given", def.name);
		return -1;
	}
	vlen = strlen(value);
	copy = *cfg;
	if (def.opt->type == EBS_OPT_COMMS)
		rc = add_comm(&copy, def.opt, value, vlen, false, why, sizeof(why));
	else
		rc = apply_scalar(&copy, def.opt, value, vlen, false, why, sizeof(why));
	if (rc != 0) {
		set_err(err, errlen, "key '%s': %s", def.name, why);
		return -1;
	}
	*cfg = copy;
	return 0;
}

/* ---- the YAML walk ------------------------------------------------------- */

struct walk {
	yaml_parser_t parser;
	yaml_event_t ev; /* the current event, owned here */
	const char *name;
	const unsigned char *buf;
	size_t len;
	char *err;
	size_t errlen;
	struct ebs_config *cfg; /* the private copy being filled */
	/* per schema row: the key that set it, for duplicates */
	const char *seen_key[EBS_CONFIG_OPTIONS_MAX];
	yaml_mark_t seen_mark[EBS_CONFIG_OPTIONS_MAX];
	yaml_mark_t key_mark; /* of the key whose value walk_outer() hands on */
};

static int fail_at(struct walk *w, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct walk *w, yaml_mark_t m, const char *fmt, ...)
{
	char msg[EBS_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(w->err, w->errlen, "%s:%zu:%zu: %s", w->name, m.line + 1, m.column + 1, msg);
	return -1;
}

static int yaml_fail(struct walk *w)
{
	const yaml_parser_t *p = &w->parser;
	const char *problem = p->problem ? p->problem : "invalid YAML";
	yaml_mark_t m = p->problem_mark;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		set_err(w->err, w->errlen, "%s: out of memory while parsing", w->name);
		return -1;
	case YAML_READER_ERROR: {
		/* The reader reports a byte offset, not a mark. */
		size_t off = p->problem_offset < w->len ? p->problem_offset : w->len;

		m.line = 0;
		m.column = 0;
		for (size_t i = 0; i < off; i++) {
			if (w->buf[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
		if (p->problem_value >= 0)
			return fail_at(w, m, "%s (byte 0x%02x)", problem,
				       (unsigned)p->problem_value);
		return fail_at(w, m, "%s", problem);
	}
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context)
			return fail_at(w, m, "%s (%s at line %zu, column %zu)", problem, p->context,
				       p->context_mark.line + 1, p->context_mark.column + 1);
		return fail_at(w, m, "%s", problem);
	default: return fail_at(w, m, "%s", problem);
	}
}

static int next(struct walk *w)
{
	yaml_event_delete(&w->ev);
	if (!yaml_parser_parse(&w->parser, &w->ev))
		return yaml_fail(w);
	return 0;
}

static bool is_null(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;

	if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return len == 0 || eq(s, len, "~") || eq(s, len, "null") || eq(s, len, "Null") ||
	       eq(s, len, "NULL");
}

static bool is_end(const yaml_event_t *ev)
{
	return ev->type == YAML_MAPPING_END_EVENT || ev->type == YAML_SEQUENCE_END_EVENT;
}

static bool is_start(const yaml_event_t *ev)
{
	return ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT;
}

/* What a node is, for "got ..." in messages. */
static const char *node_kind(const yaml_event_t *ev, char *out, size_t outlen)
{
	char shown[SHOW_LEN];

	switch (ev->type) {
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_ALIAS_EVENT: return "an alias";
	case YAML_SCALAR_EVENT:
		if (is_null(ev))
			return "an empty value";
		snprintf(out, outlen, "'%s'",
			 show(shown, (const char *)ev->data.scalar.value, ev->data.scalar.length));
		return out;
	default: return "something else";
	}
}

/* Anchors and aliases are refused wherever ebpfstats reads: an alias would
 * let one node stand for many, which nothing here needs. */
static int refuse_anchor(struct walk *w)
{
	const yaml_event_t *ev = &w->ev;
	const yaml_char_t *anchor = NULL;
	char shown[SHOW_LEN];

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		anchor = ev->data.alias.anchor;
		return fail_at(w, ev->start_mark,
			       "YAML aliases are not supported here (*%s); write the value out",
			       show(shown, (const char *)anchor, strlen((const char *)anchor)));
	case YAML_SCALAR_EVENT: anchor = ev->data.scalar.anchor; break;
	case YAML_MAPPING_START_EVENT: anchor = ev->data.mapping_start.anchor; break;
	case YAML_SEQUENCE_START_EVENT: anchor = ev->data.sequence_start.anchor; break;
	default: return 0;
	}
	if (anchor)
		return fail_at(w, ev->start_mark, "YAML anchors are not supported here (&%s)",
			       show(shown, (const char *)anchor, strlen((const char *)anchor)));
	return 0;
}

/* Skips the node that starts at the current event; depth is that of its
 * parent collection.  Leaves the node's last event current. */
static int skip_node(struct walk *w, unsigned depth)
{
	unsigned level = 0;

	do {
		if (is_start(&w->ev)) {
			level++;
			if (depth + level > CFG_MAX_DEPTH)
				return fail_at(w, w->ev.start_mark,
					       "nesting is deeper than %d levels", CFG_MAX_DEPTH);
		} else if (is_end(&w->ev)) {
			level--;
		} else if (w->ev.type != YAML_SCALAR_EVENT && w->ev.type != YAML_ALIAS_EVENT) {
			return fail_at(w, w->ev.start_mark, "unexpected YAML event");
		}
		if (level == 0)
			return 0;
		if (next(w) != 0)
			return -1;
	} while (true);
}

static int note_key(struct walk *w, const struct key_def *def, yaml_mark_t m)
{
	size_t n;
	size_t f = (size_t)(def->opt - ebs_config_options(&n));
	yaml_mark_t first = w->seen_mark[f];

	if (!w->seen_key[f]) {
		w->seen_key[f] = def->name;
		w->seen_mark[f] = m;
		return 0;
	}
	if (w->seen_key[f] == def->name)
		return fail_at(w, m, "duplicate key '%s' (first at line %zu, column %zu)",
			       def->name, first.line + 1, first.column + 1);
	return fail_at(w, m, "duplicate key '%s' (same setting as '%s' at line %zu, column %zu)",
		       def->name, w->seen_key[f], first.line + 1, first.column + 1);
}

/* Reads a key of a mapping whose every key must be known: `ebpf` itself or
 * a mapping row's, which messages then name. */
static int read_key(struct walk *w, const struct level *lv, struct key_def *def)
{
	const yaml_event_t *ev = &w->ev;
	char kind[SHOW_LEN + 2], why[WHY_LEN];
	const char *s;
	size_t len;

	if (refuse_anchor(w) != 0)
		return -1;
	if (ev->type != YAML_SCALAR_EVENT)
		return fail_at(w, ev->start_mark, "expected a key name, got %s",
			       node_kind(ev, kind, sizeof(kind)));
	s = (const char *)ev->data.scalar.value;
	len = ev->data.scalar.length;
	if (!find_key(lv, s, len, def)) {
		unknown_key_text(why, sizeof(why), lv, s, len, true);
		return fail_at(w, ev->start_mark, "%s", why);
	}
	return note_key(w, def, ev->start_mark);
}

static int walk_scalar(struct walk *w, const struct key_def *def)
{
	const yaml_event_t *ev = &w->ev;
	char why[WHY_LEN], expect[EXPECT_LEN], kind[SHOW_LEN + 2];

	if (refuse_anchor(w) != 0)
		return -1;
	if (ev->type != YAML_SCALAR_EVENT)
		return fail_at(w, ev->start_mark, "'%s' %s, got %s", def->name,
			       expect_text(def->opt, expect), node_kind(ev, kind, sizeof(kind)));
	if (apply_scalar(w->cfg, def->opt, (const char *)ev->data.scalar.value,
			 ev->data.scalar.length, is_null(ev), why, sizeof(why)) != 0)
		return fail_at(w, ev->start_mark, "'%s' %s", def->name, why);
	return 0;
}

static int walk_comms(struct walk *w, const struct key_def *def)
{
	char why[WHY_LEN], kind[SHOW_LEN + 2];

	if (refuse_anchor(w) != 0)
		return -1;
	/* The list replaces whatever the caller had. */
	*comm_count(w->cfg, def->opt) = 0;
	memset(comm_list(w->cfg, def->opt), 0, def->opt->size);
	if (is_null(&w->ev)) /* `process_filter:` with every entry commented out */
		return 0;
	if (w->ev.type != YAML_SEQUENCE_START_EVENT)
		return fail_at(w, w->ev.start_mark, "expected a list of %ss for '%s', got %s",
			       ebs_config_item(def->opt), def->name,
			       node_kind(&w->ev, kind, sizeof(kind)));
	while (true) {
		const yaml_event_t *ev = &w->ev;

		if (next(w) != 0)
			return -1;
		if (ev->type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (refuse_anchor(w) != 0)
			return -1;
		if (ev->type != YAML_SCALAR_EVENT)
			return fail_at(w, ev->start_mark,
				       "expected a list of %ss for '%s', got %s in it",
				       ebs_config_item(def->opt), def->name,
				       node_kind(ev, kind, sizeof(kind)));
		if (add_comm(w->cfg, def->opt, (const char *)ev->data.scalar.value,
			     ev->data.scalar.length, is_null(ev), why, sizeof(why)) != 0)
			return fail_at(w, ev->start_mark, "'%s' %s", def->name, why);
	}
}

/* `map_sizes:`: the rows named "map_sizes.<key>", all scalars. */
static int walk_mapping(struct walk *w, const struct key_def *def)
{
	const struct level lv = {def->opt, false};
	char kind[SHOW_LEN + 2];

	if (refuse_anchor(w) != 0)
		return -1;
	if (is_null(&w->ev))
		return 0;
	if (w->ev.type != YAML_MAPPING_START_EVENT)
		return fail_at(w, w->ev.start_mark, "expected a mapping for '%s', got %s",
			       def->name, node_kind(&w->ev, kind, sizeof(kind)));
	while (true) {
		struct key_def sub;

		if (next(w) != 0)
			return -1;
		if (w->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (read_key(w, &lv, &sub) != 0)
			return -1;
		if (next(w) != 0 || walk_scalar(w, &sub) != 0)
			return -1;
	}
}

static int walk_ebpf(struct walk *w)
{
	char kind[SHOW_LEN + 2];

	if (refuse_anchor(w) != 0)
		return -1;
	if (is_null(&w->ev)) /* `ebpf:` with every key commented out */
		return 0;
	if (w->ev.type != YAML_MAPPING_START_EVENT)
		return fail_at(w, w->ev.start_mark, "expected a mapping for 'ebpf', got %s",
			       node_kind(&w->ev, kind, sizeof(kind)));
	while (true) {
		struct key_def def;
		int rc;

		if (next(w) != 0)
			return -1;
		if (w->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (read_key(w, &ebpf_level, &def) != 0)
			return -1;
		if (next(w) != 0)
			return -1;
		if (def.opt->type == EBS_OPT_COMMS)
			rc = walk_comms(w, &def);
		else if (def.opt->type == EBS_OPT_MAPPING)
			rc = walk_mapping(w, &def);
		else
			rc = walk_scalar(w, &def);
		if (rc != 0)
			return -1;
	}
}

/* Walks a mapping that is not ours except for one key, `wanted`, whose
 * value walk_value() reads.  *found tells whether it was there. */
static int walk_outer(struct walk *w, unsigned depth, const char *wanted,
		      int (*walk_value)(struct walk *w, unsigned depth), bool *found,
		      yaml_mark_t *found_mark)
{
	*found = false;
	while (true) {
		const yaml_event_t *ev = &w->ev;
		char shown[SHOW_LEN];

		if (next(w) != 0)
			return -1;
		if (ev->type == YAML_MAPPING_END_EVENT)
			return 0;
		if (ev->type == YAML_ALIAS_EVENT)
			return fail_at(w, ev->start_mark,
				       "YAML aliases are not supported as keys (*%s)",
				       show(shown, (const char *)ev->data.alias.anchor,
					    strlen((const char *)ev->data.alias.anchor)));
		if (ev->type == YAML_SCALAR_EVENT &&
		    eq((const char *)ev->data.scalar.value, ev->data.scalar.length, wanted)) {
			if (*found)
				return fail_at(w, ev->start_mark,
					       "duplicate key '%s' (first at line %zu, column %zu)",
					       wanted, found_mark->line + 1,
					       found_mark->column + 1);
			if (refuse_anchor(w) != 0)
				return -1;
			*found = true;
			*found_mark = ev->start_mark;
			w->key_mark = ev->start_mark;
			if (next(w) != 0 || walk_value(w, depth + 1) != 0)
				return -1;
			continue;
		}
		/* Someone else's key (possibly a complex one) and its value. */
		if (skip_node(w, depth) != 0 || next(w) != 0 || skip_node(w, depth) != 0)
			return -1;
	}
}

static int walk_ebpf_at(struct walk *w, unsigned depth)
{
	(void)depth;
	return walk_ebpf(w);
}

static int walk_integrations(struct walk *w, unsigned depth)
{
	char kind[SHOW_LEN + 2];
	yaml_mark_t at = w->ev.start_mark, key = w->key_mark, ebpf_mark;
	bool found = false;

	if (refuse_anchor(w) != 0)
		return -1;
	if (w->ev.type == YAML_MAPPING_START_EVENT) {
		if (walk_outer(w, depth, "ebpf", walk_ebpf_at, &found, &ebpf_mark) != 0)
			return -1;
	} else if (!is_null(&w->ev)) {
		return fail_at(w, at, "expected a mapping for 'integrations', got %s",
			       node_kind(&w->ev, kind, sizeof(kind)));
	}
	if (!found)
		return fail_at(w, key, "'integrations' has no 'ebpf' section");
	return 0;
}

static int walk_root(struct walk *w)
{
	char kind[SHOW_LEN + 2];
	yaml_mark_t at = w->ev.start_mark, mark;
	bool found;

	if (refuse_anchor(w) != 0)
		return -1;
	if (is_null(&w->ev)) /* a document with nothing but comments */
		return 0;
	if (w->ev.type != YAML_MAPPING_START_EVENT)
		return fail_at(w, at, "expected a mapping at the top level, got %s",
			       node_kind(&w->ev, kind, sizeof(kind)));
	if (walk_outer(w, 1, "integrations", walk_integrations, &found, &mark) != 0)
		return -1;
	if (!found)
		return fail_at(w, at, "missing 'integrations:' section with 'ebpf:' settings");
	return 0;
}

static int walk_stream(struct walk *w)
{
	if (next(w) != 0)
		return -1;
	if (w->ev.type != YAML_STREAM_START_EVENT)
		return fail_at(w, w->ev.start_mark, "expected the start of a YAML stream");
	if (next(w) != 0)
		return -1;
	if (w->ev.type == YAML_STREAM_END_EVENT) /* empty file */
		return 0;
	if (w->ev.type != YAML_DOCUMENT_START_EVENT)
		return fail_at(w, w->ev.start_mark, "expected a YAML document");
	if (next(w) != 0 || walk_root(w) != 0 || next(w) != 0)
		return -1;
	if (w->ev.type != YAML_DOCUMENT_END_EVENT)
		return fail_at(w, w->ev.start_mark, "expected the end of the YAML document");
	if (next(w) != 0)
		return -1;
	if (w->ev.type == YAML_DOCUMENT_START_EVENT)
		return fail_at(w, w->ev.start_mark, "only one YAML document is allowed");
	if (w->ev.type != YAML_STREAM_END_EVENT)
		return fail_at(w, w->ev.start_mark, "expected the end of the YAML stream");
	return 0;
}

/* ---- public: whole files -------------------------------------------------- */

int ebs_config_parse(struct ebs_config *cfg, const char *name, const char *buf, size_t len,
		     char *err, size_t errlen)
{
	struct ebs_config copy;
	struct walk *w;
	int rc;

	if (!name)
		name = "<config>";
	if (!cfg || (!buf && len)) {
		set_err(err, errlen, "%s: no %s given", name, cfg ? "buffer" : "config");
		return -1;
	}
	if (len > CFG_MAX_BYTES) {
		set_err(err, errlen,
			"%s: config is larger than 1 MiB (%zu bytes); refusing to parse it", name,
			len);
		return -1;
	}
	/* yaml_parser_t is ~0.5 KiB; keep it off the caller's stack. */
	w = calloc(1, sizeof(*w));
	if (!w) {
		set_err(err, errlen, "%s: out of memory", name);
		return -1;
	}
	if (!yaml_parser_initialize(&w->parser)) {
		set_err(err, errlen, "%s: cannot initialise the YAML parser: out of memory", name);
		free(w);
		return -1;
	}
	copy = *cfg;
	w->name = name;
	w->buf = (const unsigned char *)(buf ? buf : "");
	w->len = len;
	w->err = err;
	w->errlen = errlen;
	w->cfg = &copy;
	yaml_parser_set_input_string(&w->parser, w->buf, len);

	rc = walk_stream(w);

	yaml_event_delete(&w->ev);
	yaml_parser_delete(&w->parser);
	free(w);
	if (rc != 0)
		return -1;
	copy_str(copy.source, sizeof(copy.source), name, strlen(name));
	*cfg = copy;
	return 0;
}

int ebs_config_load(struct ebs_config *cfg, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd, rc;

	if (!cfg || !path) {
		set_err(err, errlen, "ebs_config_load: no %s given", cfg ? "path" : "config");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		set_err(err, errlen, "%s: is a directory", path);
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_size > CFG_MAX_BYTES) {
		set_err(err, errlen,
			"%s: file is larger than 1 MiB (%lld bytes); refusing to parse it", path,
			(long long)st.st_size);
		close(fd);
		return -1;
	}
	/* One byte more than allowed tells a pipe or a growing file that is
	 * too large from one that fits exactly. */
	buf = malloc(CFG_MAX_BYTES + 1);
	if (!buf) {
		set_err(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (len < CFG_MAX_BYTES + 1) {
		ssize_t n = read(fd, buf + len, CFG_MAX_BYTES + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_err(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > CFG_MAX_BYTES) {
		set_err(err, errlen, "%s: file is larger than 1 MiB; refusing to parse it", path);
		free(buf);
		return -1;
	}
	rc = ebs_config_parse(cfg, path, buf, len, err, errlen);
	free(buf);
	return rc;
}
