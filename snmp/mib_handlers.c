/* EBPFSTATS-MIB handlers, generic over the metric catalog: each scalar group
 * and each table is one registration whose columns are the catalog metrics
 * (and the few objects in snmp/oids.h that only the agent knows) with that
 * table and sub-identifier.  Values come from the current snapshot only.
 *
 * Tables answer GETNEXT themselves: the snapshot's rows come sorted by
 * index, so the next instance is a binary search away.  (net-snmp's table
 * iterator walks the rows from the first on every request and allocates
 * as it goes: O(rows) per varbind, O(rows^2) per walk.) */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "catalog.h"
#include "mib_handlers.h"
#include "oids.h"

#define MAX_COLS 32
#define DISPLAY_MAX 255 /* DisplayString's SIZE */

struct column {
	const struct ebs_metric *metric;   /* a catalog metric, or */
	const struct ebs_mib_local *local; /* an object the agent knows itself */
};

/* One registration: a scalar group (table EBS_T_GLOBAL) or a table. */
struct node {
	const char *name;
	enum ebs_table table;
	enum ebs_family family; /* served while this module runs; COUNT: always */
	unsigned nindex;	/* sub-identifiers of a row's index; 0: it varies */
	oid oid[MAX_OID_LEN];
	size_t oid_len;
	unsigned first, last; /* served sub-identifiers (columns) */
	struct column col[MAX_COLS];
	/* tables: reg[0]; scalars: reg[subid], each scalar on its own */
	netsnmp_handler_registration *reg[MAX_COLS];
	bool sorted; /* this snapshot's rows are in ascending index order */
	bool unsorted_logged;
};

/* A scalar group per family and the agent's, then every table the MIB
 * has (its descriptor's mib_table), in enum ebs_table order: filled by
 * ebs_mib_register(). */
static struct node nodes[EBS_FAM_COUNT + 1 + EBS_T_COUNT];
static size_t n_nodes;
#define NNODES n_nodes

/* The nodes from the families and the table descriptors. */
static void build_nodes(void)
{
	uint32_t arc;

	memset(nodes, 0, sizeof(nodes));
	n_nodes = 0;
	for (unsigned f = 0; f <= EBS_FAM_COUNT; f++) {
		/* the agent's group first */
		enum ebs_family fam = f == 0 ? EBS_FAM_COUNT : (enum ebs_family)(f - 1);

		nodes[n_nodes++] = (struct node){
			.name = ebs_mib_group(fam, &arc), .table = EBS_T_GLOBAL, .family = fam};
	}
	for (unsigned t = 0; t < EBS_T_COUNT; t++) {
		const struct ebs_table_desc *d = &ebs_tables[t];

		if (t == EBS_T_GLOBAL || !d->mib_table)
			continue;
		nodes[n_nodes++] = (struct node){.name = d->mib_table,
						 .table = (enum ebs_table)t,
						 .family = d->family,
						 .nindex = d->snmp_nindex};
	}
}

static const struct ebs_snapshot *snap;
static uint64_t start_unix_ms;
static uint64_t notify_suppressed;

/* A row's index: its sub-identifiers. */
struct row_arcs {
	unsigned n;
	uint32_t arc[EBS_SNMP_INDEX_MAX];
};

/* A table row's index; false when the row has none (it is not served). */
static bool row_index(const struct node *n, const struct ebs_snapshot *s, size_t i,
		      struct row_arcs *x)
{
	x->n = ebs_snmp_index(n->table, ebs_table_row(s, n->table, i), x->arc);
	return x->n > 0 && (n->nindex == 0 || x->n == n->nindex);
}

/* An index against the instance part of a requested name (any length, any
 * arc values), as OIDs compare: <0, 0, >0. */
static int index_cmp(const struct row_arcs *x, const oid *q, size_t qlen)
{
	for (size_t k = 0; k < x->n && k < qlen; k++)
		if ((oid)x->arc[k] != q[k])
			return (oid)x->arc[k] < q[k] ? -1 : 1;
	return x->n == qlen ? 0 : x->n < qlen ? -1 : 1;
}

/* Whether index a sorts before index b, as OIDs do. */
static bool idx_less(const struct row_arcs *a, const struct row_arcs *b)
{
	oid q[EBS_SNMP_INDEX_MAX];

	for (unsigned k = 0; k < b->n; k++)
		q[k] = b->arc[k];
	return index_cmp(a, q, b->n) < 0;
}

/* Whether a table's rows come in ascending index order (the core promises
 * it; checked, because the binary search would hide rows otherwise). */
static bool ascending(const struct node *n, const struct ebs_snapshot *s)
{
	struct row_arcs prev = {0}, cur;
	size_t rows = ebs_table_rows(s, n->table);

	for (size_t i = 0; i < rows; i++) {
		if (!row_index(n, s, i, &cur))
			return false;
		if (i > 0 && !idx_less(&prev, &cur))
			return false;
		prev = cur;
	}
	return true;
}

void ebs_mib_set_snapshot(const struct ebs_snapshot *s)
{
	/* EBPFSTATS_TEST_ROW_SEARCH=1: every table searched row by row, the
	 * path for rows out of order, which the core never hands over */
	const char *force = getenv("EBPFSTATS_TEST_ROW_SEARCH");
	bool row_search = force && !strcmp(force, "1");

	snap = s;
	for (size_t i = 0; i < NNODES; i++) {
		struct node *n = &nodes[i];
		if (n->table == EBS_T_GLOBAL)
			continue;
		if (row_search) {
			n->sorted = false;
			continue;
		}
		n->sorted = s && ascending(n, s);
		if (s && !n->sorted && !n->unsorted_logged) {
			snmp_log(LOG_WARNING,
				 "ebpfstats-agentx: %s rows are not in index order; "
				 "searching them row by row\n",
				 n->name);
			n->unsorted_logged = true;
		}
	}
}

static bool running(enum ebs_family fam)
{
	return fam >= EBS_FAM_COUNT || ebs_module_running(snap, fam);
}

/* ---- values ------------------------------------------------------------ */

static u_long clamp32(uint64_t v)
{
	return v > UINT32_MAX ? (u_long)UINT32_MAX : (u_long)v;
}

static int set_string(netsnmp_variable_list *var, const char *s)
{
	size_t len = strnlen(s, DISPLAY_MAX);

	return snmp_set_var_typed_value(var, ASN_OCTET_STR, s, len);
}

/* TimeStamp: the agent's uptime (centiseconds since it started) at a
 * wall-clock moment; 0 for moments before the start, as RFC 2579 wants for
 * events before the last re-initialisation. */
static u_long timestamp(uint64_t unix_ms)
{
	return unix_ms > start_unix_ms ? clamp32((unix_ms - start_unix_ms) / 10) : 0;
}

static int set_date_and_time(netsnmp_variable_list *var, uint64_t unix_ms)
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	u_char b[11];
	long off;

	if (!localtime_r(&t, &tm))
		return -1;
	off = tm.tm_gmtoff;
	b[0] = (u_char)((tm.tm_year + 1900) >> 8);
	b[1] = (u_char)((tm.tm_year + 1900) & 0xff);
	b[2] = (u_char)(tm.tm_mon + 1);
	b[3] = (u_char)tm.tm_mday;
	b[4] = (u_char)tm.tm_hour;
	b[5] = (u_char)tm.tm_min;
	b[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* no leap seconds in DateAndTime */
	b[7] = (u_char)(unix_ms % 1000 / 100);
	b[8] = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	b[9] = (u_char)(off / 3600);
	b[10] = (u_char)(off % 3600 / 60);
	return snmp_set_var_typed_value(var, ASN_OCTET_STR, b, sizeof(b));
}

static int set_counter64(netsnmp_variable_list *var, uint64_t v)
{
	struct counter64 c = {.high = (u_long)(v >> 32), .low = (u_long)(v & 0xffffffffu)};

	return snmp_set_var_typed_value(var, ASN_COUNTER64, &c, sizeof(c));
}

static int set_metric(netsnmp_variable_list *var, const struct ebs_metric *m, const void *row)
{
	uint64_t v;

	switch (m->snmp_type) {
	case EBS_SNMP_COUNTER64: return set_counter64(var, ebs_metric_u64(m, row));
	case EBS_SNMP_GAUGE32:
		return snmp_set_var_typed_integer(var, ASN_GAUGE,
						  (long)clamp32(ebs_metric_u64(m, row)));
	case EBS_SNMP_UNSIGNED32:
		return snmp_set_var_typed_integer(var, ASN_UNSIGNED,
						  (long)clamp32(ebs_metric_u64(m, row)));
	case EBS_SNMP_INTEGER:
		v = ebs_metric_u64(m, row);
		/* a flag is a TruthValue: true(1), false(2) */
		if (m->vtype == EBS_V_BOOL)
			v = v ? 1 : 2;
		return snmp_set_var_typed_integer(var, ASN_INTEGER,
						  v > INT32_MAX ? (long)INT32_MAX : (long)v);
	case EBS_SNMP_STRING: return set_string(var, ebs_metric_str(m, row));
	case EBS_SNMP_TIMESTAMP:
		return snmp_set_var_typed_integer(var, ASN_TIMETICKS,
						  (long)timestamp(ebs_metric_u64(m, row)));
	default: return -1;
	}
}

static int set_local(netsnmp_variable_list *var, const struct ebs_mib_local *l, const void *row)
{
	switch (l->id) {
	case EBS_L_NOTIFY_SUPPRESSED: return set_counter64(var, notify_suppressed);
	case EBS_L_AGENT_VERSION: return set_string(var, EBS_VERSION);
	case EBS_L_AGENT_START_TIME: return set_date_and_time(var, start_unix_ms);
	case EBS_L_HIST_NAME:
		return row ? set_string(var,
					ebs_hist_name(((const struct ebs_hist_row *)row)->hist))
			   : -1;
	case EBS_L_HIST_UNIT:
		return row ? set_string(var,
					ebs_hist_unit(((const struct ebs_hist_row *)row)->hist))
			   : -1;
	default: return -1;
	}
}

/* Answers one varbind from a row (the snapshot itself for scalars); NULL
 * row: the instance does not exist now. */
static void answer(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *req,
		   const struct node *n, unsigned subid, const void *row)
{
	const struct column *c = subid < MAX_COLS ? &n->col[subid] : NULL;
	int rc;

	if (!c || (!c->metric && !c->local)) {
		netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
		return;
	}
	/* the agent's own scalars answer even before the first snapshot; a
	 * metric that is not active (its family does not run, its view is
	 * off) has no instance, as collectd sends no value for it */
	if ((!row && !(c->local && n->table == EBS_T_GLOBAL)) ||
	    (row && c->metric && !ebs_metric_active(c->metric, snap, row))) {
		netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
		return;
	}
	rc = c->metric ? set_metric(req->requestvb, c->metric, row)
		       : set_local(req->requestvb, c->local, row);
	if (rc != 0)
		netsnmp_set_request_error(reqinfo, req, SNMP_ERR_GENERR);
}

/* ---- scalar groups ----------------------------------------------------- */

static int scalar_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
			  netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	const struct node *n = reginfo->my_reg_void;

	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_GENERR;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		const netsnmp_variable_list *vb = r->requestvb;
		/* the scalar helpers before us checked the name is group.subid.0 */
		unsigned subid = vb->name_length > n->oid_len ? (unsigned)vb->name[n->oid_len] : 0;

		if (r->processed)
			continue;
		answer(reqinfo, r, n, subid, running(n->family) ? snap : NULL);
	}
	return SNMP_ERR_NOERROR;
}

/* ---- tables ------------------------------------------------------------ */

/* Whether column m has a value in row i (local columns always do). */
static bool col_active(const struct node *n, const struct ebs_metric *m, size_t i)
{
	return !m || ebs_metric_active(m, snap, ebs_table_row(snap, n->table, i));
}

/* The row with the smallest index above q (exact: equal to q), its index
 * in *x; the row's position, or SIZE_MAX for none.  Not exact, only rows
 * where column m (NULL: any) has a value. */
static size_t find_row(const struct node *n, const oid *q, size_t qlen, bool exact,
		       const struct ebs_metric *m, struct row_arcs *x)
{
	size_t rows = snap && running(n->family) ? ebs_table_rows(snap, n->table) : 0;
	size_t best = SIZE_MAX;
	struct row_arcs cur;

	if (n->sorted) {
		size_t lo = 0, hi = rows; /* the first row above q (at or above: exact) */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c;
			row_index(n, snap, mid, &cur);
			c = index_cmp(&cur, q, qlen);
			if (c > 0 || (exact && c == 0))
				hi = mid;
			else
				lo = mid + 1;
		}
		while (!exact && lo < rows && !col_active(n, m, lo))
			lo++;
		if (lo == rows || !row_index(n, snap, lo, x))
			return SIZE_MAX;
		if (exact && index_cmp(x, q, qlen) != 0)
			return SIZE_MAX;
		return lo;
	}
	for (size_t i = 0; i < rows; i++) {
		int c;
		if (!row_index(n, snap, i, &cur))
			continue;
		c = index_cmp(&cur, q, qlen);
		if (exact ? c != 0 : c <= 0 || !col_active(n, m, i))
			continue;
		if (best != SIZE_MAX && !idx_less(&cur, x))
			continue; /* *x holds the best so far */
		best = i;
		*x = cur;
		if (exact)
			break;
	}
	return best;
}

/* GET: the name must be table.1.column.index exactly. */
static void table_get(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r,
		      const struct node *n)
{
	const netsnmp_variable_list *vb = r->requestvb;
	size_t e = n->oid_len + 1; /* the entry's length */
	size_t i = SIZE_MAX;
	struct row_arcs x;

	if (vb->name_length <= e || vb->name[n->oid_len] != 1 || vb->name[e] >= MAX_COLS) {
		netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
		return;
	}
	if (vb->name_length > e + 1)
		i = find_row(n, vb->name + e + 1, vb->name_length - e - 1, true, NULL, &x);
	answer(reqinfo, r, n, (unsigned)vb->name[e],
	       i == SIZE_MAX ? NULL : ebs_table_row(snap, n->table, i));
}

/* GETNEXT: the first instance after the name, column by column; none
 * leaves the varbind alone and the agent goes on to the next registration. */
static void table_getnext(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r,
			  const struct node *n)
{
	netsnmp_variable_list *vb = r->requestvb;
	size_t e = n->oid_len + 1, qlen = 0;
	const oid *q = NULL;
	unsigned col = n->first;
	int c = snmp_oid_ncompare(vb->name, vb->name_length, n->oid, n->oid_len, n->oid_len);
	oid name[MAX_OID_LEN];

	if (c > 0)
		return; /* past the table */
	if (c == 0 && vb->name_length > n->oid_len) {
		if (vb->name[n->oid_len] > 1)
			return; /* past the entry */
		if (vb->name[n->oid_len] == 1 && vb->name_length > e) {
			if (vb->name[e] > n->last)
				return;
			if (vb->name[e] >= n->first) {
				col = (unsigned)vb->name[e];
				q = vb->name + e + 1;
				qlen = vb->name_length - e - 1;
			}
		}
	}
	for (; col <= n->last; col++, q = NULL, qlen = 0) {
		struct row_arcs x;
		size_t i;

		if (!n->col[col].metric && !n->col[col].local)
			continue;
		i = find_row(n, q, qlen, false, n->col[col].metric, &x);
		if (i == SIZE_MAX)
			continue; /* none after q in this column (or none active) */
		memcpy(name, n->oid, n->oid_len * sizeof(oid));
		name[n->oid_len] = 1;
		name[e] = col;
		for (unsigned k = 0; k < x.n; k++)
			name[e + 1 + k] = x.arc[k];
		if (snmp_set_var_objid(vb, name, e + 1 + x.n) != 0) {
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_GENERR);
			return;
		}
		answer(reqinfo, r, n, col, ebs_table_row(snap, n->table, i));
		return;
	}
}

static int table_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
			 netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	const struct node *n = reginfo->my_reg_void;

	(void)handler;
	if (reqinfo->mode != MODE_GET && reqinfo->mode != MODE_GETNEXT)
		return SNMP_ERR_GENERR; /* read-only; GETBULK arrives as GETNEXT */
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		if (r->processed)
			continue;
		if (reqinfo->mode == MODE_GET)
			table_get(reqinfo, r, n);
		else
			table_getnext(reqinfo, r, n);
	}
	return SNMP_ERR_NOERROR;
}

/* ---- notifications ----------------------------------------------------- */

/* Appends one varbind of ev (name and value); -1 when it cannot. */
static int add_varbind(netsnmp_variable_list **vars, const struct ebs_mib_varbind *vb,
		       const struct ebs_event *ev, const struct ebs_snapshot *s)
{
	static const oid root[] = {EBS_OID_ROOT};
	oid name[MAX_OID_LEN];
	size_t len = EBS_OID_ROOT_LEN;
	netsnmp_variable_list *var;
	const void *row = s;
	uint32_t arcs[EBS_MIB_MAX_PATH];
	int rc;

	memcpy(name, root, sizeof(root));
	if (vb->metric) {
		const struct ebs_metric *m = ebs_metric_find(vb->metric);
		unsigned n = m ? ebs_mib_parent(m->table, m->family, arcs) : 0;

		if (!n || (m->table != EBS_T_GLOBAL && m->table != EBS_T_MODULE) ||
		    (m->table == EBS_T_MODULE && ev->family >= EBS_FAM_COUNT))
			return -1;
		name[len++] = EBS_ARC_OBJECTS;
		for (unsigned k = 0; k < n; k++)
			name[len++] = arcs[k];
		name[len++] = m->snmp_subid;
		if (m->table == EBS_T_MODULE) {
			row = &s->modules[ev->family];
			name[len++] = (oid)ev->family + 1; /* ebsModuleIndex */
		} else {
			name[len++] = 0;
		}
		var = snmp_varlist_add_variable(vars, name, len, ASN_NULL, NULL, 0);
		if (!var)
			return -1;
		/* module.name is NULL in rows of modules never opened */
		if (m->table == EBS_T_MODULE && m->vtype == EBS_V_STRPTR &&
		    !((const struct ebs_module_stat *)row)->name)
			return set_string(var, ebs_family_name(ev->family));
		return set_metric(var, m, row);
	}
	name[len++] = EBS_ARC_NOTIFICATIONS;
	name[len++] = EBS_ARC_NOTIFY_OBJECTS;
	name[len++] = vb->notify;
	name[len++] = 0;
	var = snmp_varlist_add_variable(vars, name, len, ASN_NULL, NULL, 0);
	if (!var)
		return -1;
	switch (vb->notify) {
	case EBS_NO_TIME: rc = set_date_and_time(var, ev->unix_ms); break;
	case EBS_NO_OLD_STATUS:
		rc = snmp_set_var_typed_integer(var, ASN_INTEGER, (long)ev->old_status);
		break;
	case EBS_NO_COUNT:
		rc = snmp_set_var_typed_integer(var, ASN_GAUGE, (long)clamp32(ev->count));
		break;
	case EBS_NO_MAP: rc = set_string(var, ev->map ? ev->map : ""); break;
	case EBS_NO_TOTAL:
		rc = snmp_set_var_typed_integer(var, ASN_UNSIGNED, (long)clamp32(ev->total));
		break;
	case EBS_NO_CGROUP: rc = set_string(var, ev->cgroup); break;
	default: rc = -1;
	}
	return rc;
}

void ebs_mib_notify(const struct ebs_events *st, const struct ebs_snapshot *s)
{
	static const oid trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */
	static const oid root[] = {EBS_OID_ROOT};

	notify_suppressed = st->suppressed_total;
	for (unsigned i = 0; i < st->n; i++) {
		const struct ebs_event *ev = &st->ev[i];
		const struct ebs_mib_notification *n = ebs_mib_notification(ev->type);
		netsnmp_variable_list *vars = NULL;
		oid id[MAX_OID_LEN];
		size_t len = EBS_OID_ROOT_LEN;
		char text[EBS_REASON_LEN + 128];
		bool ok = n != NULL;

		memcpy(id, root, sizeof(root));
		id[len++] = EBS_ARC_NOTIFICATIONS;
		id[len++] = EBS_ARC_NOTIFY_PREFIX;
		id[len++] = (oid)ev->type + 1;
		ebs_event_text(ev, text, sizeof(text));
		/* snmpTrapOID.0 first; send_v2trap() puts sysUpTime.0 before it */
		ok = ok && snmp_varlist_add_variable(&vars, trap_oid, OID_LENGTH(trap_oid),
						     ASN_OBJECT_ID, id, len * sizeof(oid));
		for (unsigned k = 0; ok && k < EBS_MIB_NOTIFY_VARBINDS && n->vb[k].name; k++)
			ok = add_varbind(&vars, &n->vb[k], ev, s) == 0;
		if (ok) {
			snmp_log(LOG_INFO, "ebpfstats-agentx: sending %s: %s\n", n->name, text);
			send_v2trap(vars);
		} else {
			snmp_log(LOG_ERR,
				 "ebpfstats-agentx: cannot build the notification for: %s\n", text);
		}
		snmp_free_varbind(vars);
	}
}

/* ---- registration ------------------------------------------------------ */

/* Fills a node's columns from the catalog and the local objects; -1 when
 * they do not fit or collide (a bug the unit test also catches). */
static int collect_columns(struct node *n)
{
	n->first = MAX_COLS;
	n->last = 0;
	memset(n->col, 0, sizeof(n->col));
	for (size_t i = 0; i < ebs_catalog_len + 32; i++) {
		const struct ebs_metric *m = i < ebs_catalog_len ? &ebs_catalog[i] : NULL;
		const struct ebs_mib_local *l = m ? NULL : ebs_mib_local_at(i - ebs_catalog_len);
		unsigned subid;

		if (m) {
			if (!ebs_mib_serves(m) || m->table != n->table ||
			    (n->table == EBS_T_GLOBAL && m->family != n->family))
				continue;
			subid = m->snmp_subid;
		} else if (l) {
			if (l->id == EBS_L_INDEX || l->table != n->table ||
			    (n->table == EBS_T_GLOBAL && l->family != n->family))
				continue;
			subid = l->subid;
		} else {
			break;
		}
		if (subid == 0 || subid >= MAX_COLS || n->col[subid].metric ||
		    n->col[subid].local) {
			snmp_log(LOG_ERR, "ebpfstats-agentx: %s: bad or duplicate sub-id %u (%s)\n",
				 n->name, subid, m ? m->snmp_name : l->name);
			return -1;
		}
		n->col[subid].metric = m;
		n->col[subid].local = l;
		if (subid < n->first)
			n->first = subid;
		if (subid > n->last)
			n->last = subid;
	}
	if (n->first > n->last) {
		snmp_log(LOG_ERR, "ebpfstats-agentx: %s: no objects\n", n->name);
		return -1;
	}
	return 0;
}

static int node_oid(struct node *n)
{
	static const oid root[] = {EBS_OID_ROOT};
	uint32_t arcs[EBS_MIB_MAX_PATH];
	unsigned narcs = ebs_mib_parent(n->table, n->family, arcs);

	if (narcs == 0)
		return -1;
	/* a table registers at the table, one arc above its entry */
	if (n->table != EBS_T_GLOBAL)
		narcs--;
	memcpy(n->oid, root, sizeof(root));
	n->oid_len = EBS_OID_ROOT_LEN;
	n->oid[n->oid_len++] = EBS_ARC_OBJECTS;
	for (unsigned k = 0; k < narcs; k++)
		n->oid[n->oid_len++] = arcs[k];
	return 0;
}

/* Each scalar is its own registration.  A registration of the whole group
 * would contain the group's table, and net-snmp then splits the group's
 * subtree around the table and re-sends every piece under the group's OID
 * on each (re)connect, which the master refuses as duplicates. */
static int register_scalars(struct node *n)
{
	for (unsigned subid = n->first; subid <= n->last; subid++) {
		const struct column *c = &n->col[subid];
		netsnmp_handler_registration *reg;
		oid name[MAX_OID_LEN];

		if (!c->metric && !c->local)
			continue;
		memcpy(name, n->oid, n->oid_len * sizeof(oid));
		name[n->oid_len] = subid;
		reg = netsnmp_create_handler_registration(
			c->metric ? c->metric->snmp_name : c->local->name, scalar_handler, name,
			n->oid_len + 1, HANDLER_CAN_RONLY);
		if (!reg)
			return -1;
		reg->my_reg_void = n;
		if (netsnmp_register_read_only_scalar(reg) != MIB_REGISTERED_OK)
			return -1; /* the failed registration freed reg */
		n->reg[subid] = reg;
	}
	return 0;
}

static int register_table(struct node *n)
{
	n->reg[0] = netsnmp_create_handler_registration(n->name, table_handler, n->oid, n->oid_len,
							HANDLER_CAN_RONLY);
	if (!n->reg[0])
		return -1;
	n->reg[0]->my_reg_void = n;
	/* read-only without GETBULK: net-snmp adds its bulk-to-next helper */
	if (netsnmp_register_handler(n->reg[0]) != MIB_REGISTERED_OK) {
		n->reg[0] = NULL; /* the failed registration freed it */
		return -1;
	}
	return 0;
}

int ebs_mib_register(uint64_t start_ms)
{
	start_unix_ms = start_ms;
	build_nodes();
	for (size_t i = 0; i < NNODES; i++) {
		struct node *n = &nodes[i];
		int rc;

		if (node_oid(n) < 0 || collect_columns(n) < 0)
			return -1;
		rc = n->table == EBS_T_GLOBAL ? register_scalars(n) : register_table(n);
		if (rc < 0) {
			snmp_log(LOG_ERR, "ebpfstats-agentx: cannot register %s\n", n->name);
			return -1;
		}
	}
	return 0;
}

void ebs_mib_unregister(void)
{
	for (size_t i = NNODES; i-- > 0;)
		for (unsigned k = 0; k < MAX_COLS; k++)
			if (nodes[i].reg[k]) {
				netsnmp_unregister_handler(nodes[i].reg[k]);
				nodes[i].reg[k] = NULL;
			}
	snap = NULL;
}
