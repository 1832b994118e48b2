/* EBPFSTATS-MIB against the catalog and the subagent's OID layout: every
 * metric the agent serves has its MIB object at the OID the agent registers,
 * with a matching SYNTAX, in an OBJECT-GROUP; every MIB object is served (or
 * is a table, an entry, or one of the index columns listed in snmp/oids.h);
 * the textual conventions' labels match the core's names.
 *
 * Reads mibs/EBPFSTATS-MIB.txt with a small SMIv2 tokenizer, so it needs no
 * base MIBs and runs offline (smilint and snmptranslate run in tests/snmp.sh
 * when the base MIBs can be fetched).  EBS_MIB_FILE overrides the path. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "oids.h"

#ifndef EBS_MIB_FILE
#define EBS_MIB_FILE "mibs/EBPFSTATS-MIB.txt"
#endif

#define MAX_TOKENS 40000
#define MAX_DEFS 400
#define MAX_MEMBERS 64
#define MAX_ENUMS 16

struct def {
	char name[64];
	char kind[24]; /* OBJECT-TYPE, OBJECT-IDENTIFIER, MODULE-IDENTITY, OBJECT-GROUP,
			      TEXTUAL-CONVENTION, MODULE-COMPLIANCE, NOTIFICATION-TYPE,
			      NOTIFICATION-GROUP */
	char parent[64];
	unsigned subid;
	char syntax[64]; /* first word of SYNTAX: "Counter64", "SEQUENCE", "EbsStatus" */
	char access[24];
	char members[MAX_MEMBERS][64]; /* INDEX (objects), OBJECTS (groups, notifications)
					  or NOTIFICATIONS (notification groups) */
	unsigned nmembers;
	char enum_label[MAX_ENUMS][32]; /* SYNTAX INTEGER { label(n), ... } */
	unsigned enum_value[MAX_ENUMS];
	unsigned nenums;
};

static char *tok[MAX_TOKENS];
static size_t ntok;
static struct def defs[MAX_DEFS];
static size_t ndefs;

/* ---- tokenizer ---------------------------------------------------------- */

static void add_token(const char *s, size_t len)
{
	if (ntok >= MAX_TOKENS)
		fail_msg("MIB too large for the test's tokenizer");
	tok[ntok] = strndup(s, len);
	assert_non_null(tok[ntok]);
	ntok++;
}

static void tokenize(const char *p)
{
	while (*p) {
		if (isspace((unsigned char)*p)) {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			/* ASN.1 comment: to the next "--" or the end of the line */
			p += 2;
			while (*p && *p != '\n' && !(p[0] == '-' && p[1] == '-'))
				p++;
			if (*p == '-')
				p += 2;
		} else if (*p == '"') {
			const char *e = strchr(p + 1, '"');
			assert_non_null(e);
			add_token(p, (size_t)(e - p + 1));
			p = e + 1;
		} else if (!strncmp(p, "::=", 3)) {
			add_token(p, 3);
			p += 3;
		} else if (!strncmp(p, "..", 2)) {
			add_token(p, 2);
			p += 2;
		} else if (isalnum((unsigned char)*p)) {
			const char *s = p;
			while (isalnum((unsigned char)*p) || (*p == '-' && p[1] != '-'))
				p++;
			add_token(s, (size_t)(p - s));
		} else {
			add_token(p, 1);
			p++;
		}
	}
}

/* ---- parser ------------------------------------------------------------- */

static bool is(size_t i, const char *s)
{
	return i < ntok && !strcmp(tok[i], s);
}

static struct def *find(const char *name)
{
	for (size_t i = 0; i < ndefs; i++)
		if (!strcmp(defs[i].name, name))
			return &defs[i];
	return NULL;
}

static struct def *new_def(const char *name, const char *kind)
{
	struct def *d;

	assert_true(ndefs < MAX_DEFS);
	if (find(name))
		fail_msg("MIB defines %s twice", name);
	d = &defs[ndefs++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->kind, sizeof(d->kind), "%s", kind);
	return d;
}

/* { a, b, c } starting at i (the "{"); returns the index after "}". */
static size_t parse_list(size_t i, struct def *d)
{
	assert_true(is(i, "{"));
	for (i++; i < ntok && !is(i, "}"); i++) {
		if (is(i, ","))
			continue;
		assert_true(d->nmembers < MAX_MEMBERS);
		snprintf(d->members[d->nmembers++], sizeof(d->members[0]), "%s", tok[i]);
	}
	return i + 1;
}

/* INTEGER { label(n), ... } starting at i (the "{"). */
static size_t parse_enums(size_t i, struct def *d)
{
	assert_true(is(i, "{"));
	for (i++; i < ntok && !is(i, "}"); i++) {
		if (is(i + 1, "(")) {
			assert_true(d->nenums < MAX_ENUMS);
			snprintf(d->enum_label[d->nenums], sizeof(d->enum_label[0]), "%s", tok[i]);
			d->enum_value[d->nenums++] = (unsigned)strtoul(tok[i + 2], NULL, 10);
			i += 3;
		}
	}
	return i + 1;
}

/* Clauses of a macro invocation from i to its "::=": SYNTAX, MAX-ACCESS,
 * INDEX, OBJECTS.  Returns the index of "::=". */
static size_t parse_clauses(size_t i, struct def *d)
{
	for (; i < ntok && !is(i, "::="); i++) {
		if (is(i, "SYNTAX")) {
			snprintf(d->syntax, sizeof(d->syntax), "%s", tok[i + 1]);
			if (is(i + 1, "INTEGER") && is(i + 2, "{"))
				i = parse_enums(i + 2, d) - 1;
		} else if (is(i, "MAX-ACCESS")) {
			snprintf(d->access, sizeof(d->access), "%s", tok[i + 1]);
		} else if (is(i, "INDEX") || is(i, "OBJECTS") || is(i, "NOTIFICATIONS")) {
			i = parse_list(i + 1, d) - 1;
		}
	}
	return i;
}

/* "::= { parent n }" at i. */
static void parse_value(size_t i, struct def *d)
{
	assert_true(is(i, "::=") && is(i + 1, "{") && is(i + 4, "}"));
	snprintf(d->parent, sizeof(d->parent), "%s", tok[i + 2]);
	d->subid = (unsigned)strtoul(tok[i + 3], NULL, 10);
	if (d->subid == 0 && strcmp(tok[i + 3], "0"))
		fail_msg("%s: value { %s %s } is not { parent number }", d->name, tok[i + 2],
			 tok[i + 3]);
}

static void parse_mib(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;
	size_t i;

	if (!f)
		fail_msg("cannot open %s (set EBS_MIB_FILE)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	tokenize(buf);
	free(buf);

	/* skip the IMPORTS clause: it names macros without defining them */
	for (i = 0; i < ntok && !is(i, ";"); i++)
		;
	for (; i + 1 < ntok; i++) {
		static const char *const macros[] = {"OBJECT-TYPE",	  "MODULE-IDENTITY",
						     "OBJECT-GROUP",	  "MODULE-COMPLIANCE",
						     "NOTIFICATION-TYPE", "NOTIFICATION-GROUP"};
		bool done = false;

		for (size_t m = 0; m < sizeof(macros) / sizeof(macros[0]); m++)
			if (is(i + 1, macros[m])) {
				struct def *d = new_def(tok[i], macros[m]);
				i = parse_clauses(i + 2, d);
				parse_value(i, d);
				i += 4;
				done = true;
				break;
			}
		if (done)
			continue;
		if (is(i + 1, "OBJECT") && is(i + 2, "IDENTIFIER") && is(i + 3, "::=")) {
			struct def *d = new_def(tok[i], "OBJECT-IDENTIFIER");
			parse_value(i + 3, d);
			i += 7;
		} else if (is(i + 1, "::=") && is(i + 2, "TEXTUAL-CONVENTION")) {
			struct def *d = new_def(tok[i], "TEXTUAL-CONVENTION");
			/* a TC has no "::=" value: its clauses end with SYNTAX's type */
			for (i += 3; i < ntok && !is(i, "SYNTAX"); i++)
				;
			snprintf(d->syntax, sizeof(d->syntax), "%s", tok[i + 1]);
			if (is(i + 1, "INTEGER") && is(i + 2, "{"))
				i = parse_enums(i + 2, d) - 1;
		}
	}
}

/* ---- helpers ------------------------------------------------------------ */

/* Nodes the module imports, by their OIDs in SNMPv2-SMI and NET-SNMP-MIB. */
static const struct {
	const char *name;
	uint32_t oid[9];
	unsigned len;
} imported[] = {
	{"netSnmpPlaypen", {1, 3, 6, 1, 4, 1, 8072, 9999, 9999}, 9},
	{"enterprises", {1, 3, 6, 1, 4, 1}, 6},
};

/* Full OID of a MIB node; returns its length. */
static unsigned resolve(const char *name, uint32_t *out)
{
	uint32_t rev[64];
	unsigned n = 0;

	for (;;) {
		const struct def *d;

		for (size_t i = 0; i < sizeof(imported) / sizeof(imported[0]); i++)
			if (!strcmp(name, imported[i].name)) {
				unsigned len = imported[i].len;
				memcpy(out, imported[i].oid, len * sizeof(uint32_t));
				for (unsigned k = 0; k < n; k++)
					out[len + k] = rev[n - 1 - k];
				return len + n;
			}
		d = find(name);
		if (!d)
			fail_msg("MIB node %s has no definition in the module", name);
		assert_true(n < 48);
		rev[n++] = d->subid;
		name = d->parent;
	}
}

/* The OID the agent serves an object at: root, ebsObjects, parent, subid. */
static unsigned agent_oid(enum ebs_table t, enum ebs_family fam, unsigned subid, uint32_t *out)
{
	static const uint32_t root[] = {EBS_OID_ROOT};
	uint32_t arcs[EBS_MIB_MAX_PATH];
	unsigned n = ebs_mib_parent(t, fam, arcs), len = 0;

	assert_true(n > 0);
	for (unsigned k = 0; k < EBS_OID_ROOT_LEN; k++)
		out[len++] = root[k];
	out[len++] = EBS_ARC_OBJECTS;
	for (unsigned k = 0; k < n; k++)
		out[len++] = arcs[k];
	out[len++] = subid;
	return len;
}

static void oid_str(const uint32_t *o, unsigned n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < n && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, ".%u", (unsigned)o[k]);
}

static void check_at(const char *name, enum ebs_table t, enum ebs_family fam, unsigned subid)
{
	uint32_t want[64], got[64];
	unsigned nw = agent_oid(t, fam, subid, want), ng = resolve(name, got);
	char ws[512], gs[512];

	oid_str(want, nw, ws, sizeof(ws));
	oid_str(got, ng, gs, sizeof(gs));
	if (strcmp(ws, gs))
		fail_msg("%s: the agent serves it at %s, the MIB puts it at %s", name, ws, gs);
}

/* Base type of a SYNTAX, through the module's own textual conventions. */
static const char *base_syntax(const char *syntax)
{
	const struct def *tc = find(syntax);
	return tc && !strcmp(tc->kind, "TEXTUAL-CONVENTION") ? tc->syntax : syntax;
}

static bool syntax_fits(enum ebs_snmp_type t, const char *syntax)
{
	switch (t) {
	case EBS_SNMP_COUNTER64: return !strcmp(syntax, "Counter64");
	case EBS_SNMP_GAUGE32: return !strcmp(syntax, "Gauge32");
	case EBS_SNMP_UNSIGNED32: return !strcmp(syntax, "Unsigned32");
	case EBS_SNMP_INTEGER:
		/* TruthValue (SNMPv2-TC): INTEGER { true(1), false(2) } */
		return !strcmp(base_syntax(syntax), "INTEGER") || !strcmp(syntax, "Integer32") ||
		       !strcmp(syntax, "TruthValue");
	case EBS_SNMP_STRING: return !strcmp(syntax, "DisplayString");
	case EBS_SNMP_TIMESTAMP: return !strcmp(syntax, "TimeStamp");
	default: return false;
	}
}

static bool in_a_group(const char *name)
{
	unsigned groups = 0;

	for (size_t i = 0; i < ndefs; i++)
		if (!strcmp(defs[i].kind, "OBJECT-GROUP"))
			for (unsigned k = 0; k < defs[i].nmembers; k++)
				groups += !strcmp(defs[i].members[k], name);
	return groups == 1;
}

static const struct ebs_mib_local *local_by_name(const char *name)
{
	const struct ebs_mib_local *l;

	for (size_t i = 0; (l = ebs_mib_local_at(i)); i++)
		if (!strcmp(l->name, name))
			return l;
	return NULL;
}

static const struct ebs_mib_notify_object *notify_object_by_name(const char *name)
{
	const struct ebs_mib_notify_object *o;

	for (size_t i = 0; (o = ebs_mib_notify_object_at(i)); i++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static const struct ebs_metric *metric_by_name(const char *name)
{
	for (size_t i = 0; i < ebs_catalog_len; i++)
		if (ebs_catalog[i].snmp_name && !strcmp(ebs_catalog[i].snmp_name, name))
			return &ebs_catalog[i];
	return NULL;
}

/* "SYN_SENT" / "syscall_latency" -> "synSent" / "syscallLatency" */
static void camel(const char *s, char *out, size_t len)
{
	size_t n = 0;
	bool up = false;

	for (; *s && n + 1 < len; s++) {
		if (*s == '_') {
			up = true;
			continue;
		}
		out[n++] = (char)(up ? toupper((unsigned char)*s) : tolower((unsigned char)*s));
		up = false;
	}
	out[n] = '\0';
}

static void check_enum(const char *tc_name, unsigned lo, unsigned hi, const char *(*name)(uint32_t))
{
	const struct def *tc = find(tc_name);
	char want[64];

	assert_non_null(tc);
	assert_string_equal(tc->kind, "TEXTUAL-CONVENTION");
	assert_int_equal(tc->nenums, hi - lo + 1);
	for (unsigned k = 0; k < tc->nenums; k++) {
		assert_int_equal(tc->enum_value[k], lo + k);
		camel(name(lo + k), want, sizeof(want));
		if (strcmp(tc->enum_label[k], want))
			fail_msg("%s: value %u is labelled %s in the MIB, the core calls it %s",
				 tc_name, lo + k, tc->enum_label[k], want);
	}
}

static const char *status_name(uint32_t v)
{
	return ebs_status_name((enum ebs_status)v);
}

/* ---- tests -------------------------------------------------------------- */

static int setup(void **state)
{
	const char *path = getenv("EBS_MIB_FILE");

	(void)state;
	parse_mib(path && *path ? path : EBS_MIB_FILE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntok; i++)
		free(tok[i]);
	return 0;
}

static void test_root(void **state)
{
	static const uint32_t want[] = {EBS_OID_ROOT};
	const struct def *m = find("ebpfstatsMIB");
	uint32_t got[64];
	unsigned n;

	(void)state;
	assert_non_null(m);
	assert_string_equal(m->kind, "MODULE-IDENTITY");
	n = resolve("ebpfstatsMIB", got);
	assert_int_equal(n, EBS_OID_ROOT_LEN);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(find("ebsObjects")->subid, EBS_ARC_OBJECTS);
	assert_int_equal(find("ebsConformance")->subid, EBS_ARC_CONFORMANCE);
	/* conformance exists */
	assert_non_null(find("ebsCompliance"));
	assert_string_equal(find("ebsCompliance")->kind, "MODULE-COMPLIANCE");
}

/* Every metric the agent serves has its object, where the agent puts it. */
static void test_catalog_metrics_in_mib(void **state)
{
	unsigned served = 0;

	(void)state;
	for (size_t i = 0; i < ebs_catalog_len; i++) {
		const struct ebs_metric *m = &ebs_catalog[i];
		const struct def *d;

		if (!ebs_mib_serves(m)) {
			if (m->snmp_name)
				fail_msg("%s names %s but the agent cannot serve it", m->id,
					 m->snmp_name);
			continue;
		}
		served++;
		d = find(m->snmp_name);
		if (!d || strcmp(d->kind, "OBJECT-TYPE"))
			fail_msg("%s: the MIB has no OBJECT-TYPE %s", m->id, m->snmp_name);
		check_at(m->snmp_name, m->table, m->family, m->snmp_subid);
		if (!syntax_fits(m->snmp_type, d->syntax))
			fail_msg("%s: SYNTAX %s does not carry the catalog's type %d", m->snmp_name,
				 d->syntax, (int)m->snmp_type);
		if (strcmp(d->access, "read-only"))
			fail_msg("%s: MAX-ACCESS %s, want read-only", m->snmp_name, d->access);
		if (!in_a_group(m->snmp_name))
			fail_msg("%s: not in exactly one OBJECT-GROUP", m->snmp_name);
	}
	assert_true(served > 60);
}

/* The agent's own objects and the index columns. */
static void test_local_objects_in_mib(void **state)
{
	const struct ebs_mib_local *l;

	(void)state;
	for (size_t i = 0; (l = ebs_mib_local_at(i)); i++) {
		const struct def *d = find(l->name);

		if (!d || strcmp(d->kind, "OBJECT-TYPE"))
			fail_msg("the MIB has no OBJECT-TYPE %s", l->name);
		if (metric_by_name(l->name))
			fail_msg("%s is both a catalog metric and agent-side", l->name);
		check_at(l->name, l->table, l->family, l->subid);
		if (strcmp(d->syntax, l->syntax))
			fail_msg("%s: SYNTAX %s in the MIB, %s in snmp/oids.h", l->name, d->syntax,
				 l->syntax);
		if (l->id == EBS_L_INDEX) {
			if (strcmp(d->access, "not-accessible"))
				fail_msg("index %s: MAX-ACCESS %s, want not-accessible", l->name,
					 d->access);
		} else {
			if (strcmp(d->access, "read-only"))
				fail_msg("%s: MAX-ACCESS %s, want read-only", l->name, d->access);
			if (!in_a_group(l->name))
				fail_msg("%s: not in exactly one OBJECT-GROUP", l->name);
		}
	}
}

/* Every object of the MIB is served, or structure (tables, entries,
 * indexes); every group member is a served object. */
static void test_mib_objects_served(void **state)
{
	(void)state;
	for (size_t i = 0; i < ndefs; i++) {
		const struct def *d = &defs[i];
		const struct ebs_metric *m;

		if (!strcmp(d->kind, "OBJECT-GROUP")) {
			for (unsigned k = 0; k < d->nmembers; k++) {
				const struct def *o = find(d->members[k]);
				/* the objects only notifications carry: test_notifications */
				if (o && !strcmp(o->access, "accessible-for-notify") &&
				    notify_object_by_name(o->name))
					continue;
				if (!o || strcmp(o->access, "read-only"))
					fail_msg("group %s lists %s, not a read-only object",
						 d->name, d->members[k]);
			}
			continue;
		}
		if (strcmp(d->kind, "OBJECT-TYPE"))
			continue;
		if (!strcmp(d->syntax, "SEQUENCE"))
			continue; /* a table */
		if (d->nmembers) {
			/* an entry: its INDEX is the table's index columns, in order */
			const struct def *first = find(d->members[0]);
			assert_non_null(first);
			for (unsigned k = 0; k < d->nmembers; k++) {
				const struct ebs_mib_local *l = local_by_name(d->members[k]);
				if (!l || l->id != EBS_L_INDEX || l->subid != k + 1)
					fail_msg("%s: INDEX element %s is not index column %u in "
						 "snmp/oids.h",
						 d->name, d->members[k], k + 1);
				if (strcmp(find(d->members[k])->parent, d->name))
					fail_msg("%s: INDEX element %s is not one of its columns",
						 d->name, d->members[k]);
			}
			continue;
		}
		m = metric_by_name(d->name);
		if (m && ebs_mib_serves(m))
			continue;
		if (local_by_name(d->name))
			continue;
		if (notify_object_by_name(d->name))
			continue; /* test_notifications */
		fail_msg("MIB object %s is neither a catalog metric nor in snmp/oids.h: the agent "
			 "does not serve it",
			 d->name);
	}
}

/* Each registration's sub-identifiers are contiguous after the index
 * columns, as the agent's iterator registrations assume.  A group's
 * scalars are registered one by one, around the group's tables: an arc
 * taken by one of its tables is no hole, and no scalar may take it (a
 * group that is full up to its tables continues after them, like ebsTcp
 * 23 after the tables at 20..22). */
static void test_columns_contiguous(void **state)
{
	(void)state;
	for (int t = 0; t < EBS_T_COUNT; t++)
		for (int fam = 0; fam <= EBS_FAM_COUNT; fam++) {
			bool used[64] = {false}, table[64] = {false};
			unsigned nindex = 0, hi = 0;
			uint32_t arcs[EBS_MIB_MAX_PATH];
			const struct ebs_mib_local *l;

			if (!ebs_mib_parent((enum ebs_table)t, (enum ebs_family)fam, arcs))
				continue;
			if (t != EBS_T_GLOBAL && fam != EBS_FAM_COUNT)
				continue; /* tables are one registration whatever the family */
			for (size_t i = 0; i < ebs_catalog_len; i++) {
				const struct ebs_metric *m = &ebs_catalog[i];
				if (!ebs_mib_serves(m) || (int)m->table != t ||
				    (t == EBS_T_GLOBAL && (int)m->family != fam))
					continue;
				assert_true(m->snmp_subid < 64);
				if (used[m->snmp_subid])
					fail_msg("%s: sub-id %u used twice", m->snmp_name,
						 m->snmp_subid);
				used[m->snmp_subid] = true;
			}
			for (size_t i = 0; (l = ebs_mib_local_at(i)); i++) {
				if ((int)l->table != t ||
				    (t == EBS_T_GLOBAL && (int)l->family != fam))
					continue;
				if (used[l->subid])
					fail_msg("%s: sub-id %u used twice", l->name, l->subid);
				used[l->subid] = true;
				nindex += l->id == EBS_L_INDEX;
			}
			for (int tt = 0; t == EBS_T_GLOBAL && tt < EBS_T_COUNT; tt++) {
				uint32_t tarcs[EBS_MIB_MAX_PATH];

				if (tt == EBS_T_GLOBAL ||
				    ebs_mib_parent((enum ebs_table)tt, EBS_FAM_COUNT, tarcs) != 3 ||
				    tarcs[0] != arcs[0])
					continue;
				assert_true(tarcs[1] < 64);
				if (used[tarcs[1]])
					fail_msg(
						"a scalar of group %u takes sub-id %u, the %s table's",
						arcs[0], tarcs[1],
						ebs_table_name((enum ebs_table)tt));
				table[tarcs[1]] = true;
			}
			for (unsigned s = 1; s < 64; s++)
				if (used[s])
					hi = s;
			for (unsigned s = 1; s <= hi; s++)
				if (!used[s] && !table[s])
					fail_msg("%s table %s: sub-id %u missing between 1 and %u",
						 ebs_table_name((enum ebs_table)t),
						 fam < EBS_FAM_COUNT
							 ? ebs_family_name((enum ebs_family)fam)
							 : "",
						 s, hi);
			if (t != EBS_T_GLOBAL)
				assert_true(nindex >= 1 && hi > nindex);
		}
}

static void test_textual_conventions(void **state)
{
	(void)state;
	check_enum("EbsStatus", EBS_ST_OK, EBS_ST_DISABLED, status_name);
	check_enum("EbsHistogramId", 1, EBS_H_COUNT, ebs_hist_name);
	check_enum("EbsTcpState", 1, EBS_TCP_NSTATES, ebs_tcp_state_name);
	assert_string_equal(find("ebsModuleStatus")->syntax, "EbsStatus");
	assert_string_equal(find("ebsHistId")->syntax, "EbsHistogramId");
	assert_string_equal(find("ebsTcpStateIndex")->syntax, "EbsTcpState");
}

/* Every family has objects in the MIB, and every table of the catalog
 * (but the collectd-only transition pairs) is in it. */
static void test_every_family_and_table_served(void **state)
{
	(void)state;
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		unsigned n = 0;
		for (size_t i = 0; i < ebs_catalog_len; i++)
			n += (int)ebs_catalog[i].family == f && ebs_mib_serves(&ebs_catalog[i]);
		if (!n)
			fail_msg("family %s has no object in the MIB",
				 ebs_family_name((enum ebs_family)f));
	}
	for (int t = 0; t < EBS_T_COUNT; t++) {
		uint32_t arcs[EBS_MIB_MAX_PATH];
		if (t == EBS_T_TCP_TRANS)
			continue;
		if (!ebs_mib_parent((enum ebs_table)t, EBS_FAM_COUNT, arcs))
			fail_msg("table %s has no place in the MIB",
				 ebs_table_name((enum ebs_table)t));
	}
	assert_non_null(find("ebsMemoryOomLastPid"));
	assert_non_null(find("ebsTcpPeerTable"));
	assert_non_null(find("ebsFileIoTable"));
}

/* The OID under ebsObjects of a node, as text. */
static void objects_oid(const uint32_t *arcs, unsigned n, char *buf, size_t len)
{
	static const uint32_t root[] = {EBS_OID_ROOT};
	uint32_t o[64];
	unsigned k = 0;

	for (unsigned i = 0; i < EBS_OID_ROOT_LEN; i++)
		o[k++] = root[i];
	o[k++] = EBS_ARC_OBJECTS;
	for (unsigned i = 0; i < n; i++)
		o[k++] = arcs[i];
	oid_str(o, k, buf, len);
}

/* Each table descriptor's MIB table sits where the subagent registers it,
 * its entry one arc below, with as many INDEX objects as the descriptor's
 * fixed index length; each scalar group's name sits at its arc. */
static void test_table_descriptors_in_mib(void **state)
{
	(void)state;
	for (int t = 0; t < EBS_T_COUNT; t++) {
		const struct ebs_table_desc *d = &ebs_tables[t];
		uint32_t arcs[EBS_MIB_MAX_PATH], got[64];
		unsigned n, ng;
		char ws[512], gs[512];
		const struct def *entry;

		if (t == EBS_T_GLOBAL || !d->mib_table)
			continue;
		n = ebs_mib_parent((enum ebs_table)t, EBS_FAM_COUNT, arcs);
		assert_true(n >= 2);
		objects_oid(arcs, n - 1, ws, sizeof(ws));
		ng = resolve(d->mib_table, got);
		oid_str(got, ng, gs, sizeof(gs));
		if (strcmp(ws, gs))
			fail_msg(
				"%s (table %s): the agent registers it at %s, the MIB puts it at %s",
				d->mib_table, d->name, ws, gs);
		entry = NULL;
		for (size_t i = 0; i < ndefs; i++)
			if (!strcmp(defs[i].parent, d->mib_table) && defs[i].subid == 1)
				entry = &defs[i];
		if (!entry)
			fail_msg("%s has no entry", d->mib_table);
		if (d->snmp_nindex && entry->nmembers != d->snmp_nindex)
			fail_msg("%s: INDEX has %u objects, the descriptor of %s %u", entry->name,
				 entry->nmembers, d->name, d->snmp_nindex);
		if (!d->snmp_index || d->family > EBS_FAM_COUNT)
			fail_msg("table %s: no index function or a bad family", d->name);
	}
	for (int f = 0; f <= EBS_FAM_COUNT; f++) {
		uint32_t arc, got[64];
		const char *name = ebs_mib_group((enum ebs_family)f, &arc);
		unsigned ng = resolve(name, got);
		char ws[512], gs[512];

		objects_oid(&arc, 1, ws, sizeof(ws));
		oid_str(got, ng, gs, sizeof(gs));
		if (strcmp(ws, gs))
			fail_msg("group %s: the agent serves it at %s, the MIB puts it at %s", name,
				 ws, gs);
	}
}

/* The OID of a node under ebsNotifications. */
static void check_notify_at(const char *name, unsigned arc, unsigned subid)
{
	static const uint32_t root[] = {EBS_OID_ROOT};
	uint32_t want[64], got[64];
	unsigned nw = 0, ng = resolve(name, got);
	char ws[512], gs[512];

	for (unsigned k = 0; k < EBS_OID_ROOT_LEN; k++)
		want[nw++] = root[k];
	want[nw++] = EBS_ARC_NOTIFICATIONS;
	want[nw++] = arc;
	want[nw++] = subid;
	oid_str(want, nw, ws, sizeof(ws));
	oid_str(got, ng, gs, sizeof(gs));
	if (strcmp(ws, gs))
		fail_msg("%s: the agent sends it as %s, the MIB puts it at %s", name, ws, gs);
}

/* Every event type is a NOTIFICATION-TYPE where the agent sends it, with
 * the varbinds the agent sends in that order; each varbind is a served
 * catalog object or one of the accessible-for-notify objects of
 * snmp/oids.h; all of them are in the notification group. */
static void test_notifications(void **state)
{
	const struct ebs_mib_notify_object *o;
	const struct def *grp = find("ebsNotificationGroup");

	(void)state;
	assert_non_null(grp);
	assert_string_equal(grp->kind, "NOTIFICATION-GROUP");
	assert_int_equal(grp->nmembers, EBS_EV_COUNT);
	for (int t = 0; t < EBS_EV_COUNT; t++) {
		const struct ebs_mib_notification *n = ebs_mib_notification((enum ebs_event_type)t);
		const struct def *d;
		unsigned nvb = 0, in_group = 0;

		assert_non_null(n);
		d = find(n->name);
		if (!d || strcmp(d->kind, "NOTIFICATION-TYPE"))
			fail_msg("the MIB has no NOTIFICATION-TYPE %s", n->name);
		check_notify_at(n->name, EBS_ARC_NOTIFY_PREFIX, (unsigned)t + 1);
		for (; nvb < EBS_MIB_NOTIFY_VARBINDS && n->vb[nvb].name; nvb++) {
			const struct ebs_mib_varbind *vb = &n->vb[nvb];

			if (nvb >= d->nmembers || strcmp(d->members[nvb], vb->name))
				fail_msg(
					"%s: OBJECTS element %u is %s in the MIB, the agent sends %s",
					n->name, nvb + 1,
					nvb < d->nmembers ? d->members[nvb] : "none", vb->name);
			if (vb->metric) {
				const struct ebs_metric *m = ebs_metric_find(vb->metric);
				if (!m || !ebs_mib_serves(m) || strcmp(m->snmp_name, vb->name))
					fail_msg("%s: varbind %s is not served catalog metric %s",
						 n->name, vb->name, vb->metric);
				/* the agent knows the instance of scalars and module columns */
				assert_true(m->table == EBS_T_GLOBAL || m->table == EBS_T_MODULE);
			} else {
				o = notify_object_by_name(vb->name);
				if (!o || o->subid != vb->notify)
					fail_msg("%s: varbind %s is not notify object %u", n->name,
						 vb->name, (unsigned)vb->notify);
			}
		}
		assert_int_equal(d->nmembers, nvb);
		for (unsigned k = 0; k < grp->nmembers; k++)
			in_group += !strcmp(grp->members[k], n->name);
		if (in_group != 1)
			fail_msg("%s: not in ebsNotificationGroup", n->name);
	}
	for (size_t i = 0; (o = ebs_mib_notify_object_at(i)); i++) {
		const struct def *d = find(o->name);

		if (!d || strcmp(d->kind, "OBJECT-TYPE"))
			fail_msg("the MIB has no OBJECT-TYPE %s", o->name);
		check_notify_at(o->name, EBS_ARC_NOTIFY_OBJECTS, o->subid);
		if (strcmp(d->access, "accessible-for-notify"))
			fail_msg("%s: MAX-ACCESS %s, want accessible-for-notify", o->name,
				 d->access);
		if (strcmp(d->syntax, o->syntax))
			fail_msg("%s: SYNTAX %s in the MIB, %s in snmp/oids.h", o->name, d->syntax,
				 o->syntax);
		if (!in_a_group(o->name))
			fail_msg("%s: not in exactly one OBJECT-GROUP", o->name);
	}
	/* and every accessible-for-notify object of the MIB is one of those */
	for (size_t i = 0; i < ndefs; i++)
		if (!strcmp(defs[i].access, "accessible-for-notify") &&
		    !notify_object_by_name(defs[i].name))
			fail_msg("%s is accessible-for-notify but not in snmp/oids.h",
				 defs[i].name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_catalog_metrics_in_mib),
		cmocka_unit_test(test_local_objects_in_mib),
		cmocka_unit_test(test_mib_objects_served),
		cmocka_unit_test(test_columns_contiguous),
		cmocka_unit_test(test_textual_conventions),
		cmocka_unit_test(test_every_family_and_table_served),
		cmocka_unit_test(test_table_descriptors_in_mib),
		cmocka_unit_test(test_notifications),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
