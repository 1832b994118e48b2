/* EBPFSTATS-MIB handlers, generic over the metric catalog: each scalar group
 * and each table is one registration whose columns are the catalog metrics
 * (and the few objects in snmp/oids.h that only the agent knows) with that
 * table and sub-identifier.  Values come from the current snapshot only. */
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
	const struct ebs_metric *metric; /* a catalog metric, or */
	const struct ebs_mib_local *local; /* an object the agent knows itself */
};

/* One registration: a scalar group (table EBS_T_GLOBAL) or a table. */
struct node {
	const char *name;
	enum ebs_table table;
	enum ebs_family family; /* served while this module runs; COUNT: always */
	u_char index_type[2];
	unsigned nindex;
	oid oid[MAX_OID_LEN];
	size_t oid_len;
	unsigned first, last; /* served sub-identifiers (columns) */
	struct column col[MAX_COLS];
	/* tables: reg[0]; scalars: reg[subid], each scalar on its own */
	netsnmp_handler_registration *reg[MAX_COLS];
	netsnmp_iterator_info *iinfo; /* tables; owned by the registration */
	bool unsorted_logged;
};

static struct node nodes[] = {
	{.name = "ebsAgent", .table = EBS_T_GLOBAL, .family = EBS_FAM_COUNT},
	{.name = "ebsSyscalls", .table = EBS_T_GLOBAL, .family = EBS_FAM_SYSCALLS},
	{.name = "ebsTcp", .table = EBS_T_GLOBAL, .family = EBS_FAM_TCP},
	{.name = "ebsSched", .table = EBS_T_GLOBAL, .family = EBS_FAM_SCHED},
	{.name = "ebsMemory", .table = EBS_T_GLOBAL, .family = EBS_FAM_MEMORY},
	{.name = "ebsModuleTable", .table = EBS_T_MODULE, .family = EBS_FAM_COUNT,
	 .index_type = {ASN_UNSIGNED}, .nindex = 1},
	{.name = "ebsSyscallTable", .table = EBS_T_SYSCALL, .family = EBS_FAM_SYSCALLS,
	 .index_type = {ASN_UNSIGNED}, .nindex = 1},
	{.name = "ebsTcpStateTable", .table = EBS_T_TCP_STATE, .family = EBS_FAM_TCP,
	 .index_type = {ASN_INTEGER}, .nindex = 1},
	{.name = "ebsTcpPortTable", .table = EBS_T_TCP_PORT, .family = EBS_FAM_TCP,
	 .index_type = {ASN_UNSIGNED}, .nindex = 1},
	{.name = "ebsCpuTable", .table = EBS_T_CPU, .family = EBS_FAM_SCHED,
	 .index_type = {ASN_UNSIGNED}, .nindex = 1},
	/* rows only while the file I/O view is on: the module decides */
	{.name = "ebsFileIoTable", .table = EBS_T_FILEIO, .family = EBS_FAM_SYSCALLS,
	 .index_type = {ASN_UNSIGNED}, .nindex = 1},
	{.name = "ebsTcpPeerTable", .table = EBS_T_TCP_PEER, .family = EBS_FAM_TCP,
	 .index_type = {ASN_UNSIGNED}, .nindex = 1},
	{.name = "ebsProcTable", .table = EBS_T_PROC, .family = EBS_FAM_MEMORY,
	 .index_type = {ASN_UNSIGNED}, .nindex = 1},
	/* rows exist only for histograms of running modules: the core decides */
	{.name = "ebsHistTable", .table = EBS_T_HIST, .family = EBS_FAM_COUNT,
	 .index_type = {ASN_INTEGER, ASN_UNSIGNED}, .nindex = 2},
};
#define NNODES (sizeof(nodes) / sizeof(nodes[0]))

static const struct ebs_snapshot *snap;
static uint64_t start_unix_ms;

/* Whether a table's rows come in ascending index order (the core promises
 * it; checked, because the iterator's shortcut would hide rows otherwise). */
static bool ascending(const struct ebs_snapshot *s, enum ebs_table t)
{
	uint32_t prev[2] = {0, 0}, cur[2];
	size_t rows = ebs_table_rows(s, t);

	for (size_t i = 0; i < rows; i++) {
		const void *row = ebs_table_row(s, t, i);
		if (t == EBS_T_MODULE && !((const struct ebs_module_stat *)row)->name)
			return false;
		cur[1] = 0;
		ebs_snmp_index(t, row, cur);
		if (i > 0 && (cur[0] < prev[0] || (cur[0] == prev[0] && cur[1] <= prev[1])))
			return false;
		prev[0] = cur[0];
		prev[1] = cur[1];
	}
	return true;
}

void ebs_mib_set_snapshot(const struct ebs_snapshot *s)
{
	snap = s;
	/* Sorted rows let the iterator stop at the first row past the one
	 * asked for instead of comparing every row on each GETNEXT. */
	for (size_t i = 0; i < NNODES; i++) {
		struct node *n = &nodes[i];
		if (!n->iinfo)
			continue;
		if (s && ascending(s, n->table)) {
			n->iinfo->flags |= NETSNMP_ITERATOR_FLAG_SORTED;
		} else {
			if (s && !n->unsorted_logged) {
				snmp_log(LOG_WARNING, "ebpfstats-agentx: %s rows are not in index order; "
						      "serving them the slow way\n",
					 n->name);
				n->unsorted_logged = true;
			}
			n->iinfo->flags &= ~NETSNMP_ITERATOR_FLAG_SORTED;
		}
	}
}

static bool running(enum ebs_family fam)
{
	if (fam >= EBS_FAM_COUNT)
		return true;
	return snap && (snap->modules[fam].status == EBS_ST_OK ||
			snap->modules[fam].status == EBS_ST_DEGRADED);
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

static int set_metric(netsnmp_variable_list *var, const struct ebs_metric *m, const void *row)
{
	uint64_t v;

	switch (m->snmp_type) {
	case EBS_SNMP_COUNTER64: {
		struct counter64 c;
		v = ebs_metric_u64(m, row);
		c.high = (u_long)(v >> 32);
		c.low = (u_long)(v & 0xffffffffu);
		return snmp_set_var_typed_value(var, ASN_COUNTER64, &c, sizeof(c));
	}
	case EBS_SNMP_GAUGE32:
		return snmp_set_var_typed_integer(var, ASN_GAUGE, (long)clamp32(ebs_metric_u64(m, row)));
	case EBS_SNMP_UNSIGNED32:
		return snmp_set_var_typed_integer(var, ASN_UNSIGNED,
						  (long)clamp32(ebs_metric_u64(m, row)));
	case EBS_SNMP_INTEGER:
		v = ebs_metric_u64(m, row);
		return snmp_set_var_typed_integer(var, ASN_INTEGER,
						  v > INT32_MAX ? (long)INT32_MAX : (long)v);
	case EBS_SNMP_STRING:
		return set_string(var, ebs_metric_str(m, row));
	case EBS_SNMP_TIMESTAMP:
		return snmp_set_var_typed_integer(var, ASN_TIMETICKS,
						  (long)timestamp(ebs_metric_u64(m, row)));
	default:
		return -1;
	}
}

static int set_local(netsnmp_variable_list *var, const struct ebs_mib_local *l, const void *row)
{
	switch (l->id) {
	case EBS_L_AGENT_VERSION: return set_string(var, EBS_VERSION);
	case EBS_L_AGENT_START_TIME: return set_date_and_time(var, start_unix_ms);
	case EBS_L_HIST_NAME:
		return row ? set_string(var, ebs_hist_name(((const struct ebs_hist_row *)row)->hist))
			   : -1;
	case EBS_L_HIST_UNIT:
		return row ? set_string(var, ebs_hist_unit(((const struct ebs_hist_row *)row)->hist))
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
	/* the agent's own scalars answer even before the first snapshot */
	if (!row && !(c->local && n->table == EBS_T_GLOBAL)) {
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

/* The loop context is the position of the next row plus one, so it is
 * never NULL. */
static netsnmp_variable_list *row_at(void **loop, void **data, netsnmp_variable_list *index,
				     netsnmp_iterator_info *iinfo, size_t i)
{
	const struct node *n = iinfo->myvoid;
	size_t rows = snap && running(n->family) ? ebs_table_rows(snap, n->table) : 0;
	const void *row;
	uint32_t idx[2] = {0, 0};
	netsnmp_variable_list *vb = index;

	if (i >= rows)
		return NULL;
	row = ebs_table_row(snap, n->table, i);
	if (n->table == EBS_T_MODULE && !((const struct ebs_module_stat *)row)->name)
		idx[0] = (uint32_t)i + 1; /* modules[] is by family; name only for display */
	else if (ebs_snmp_index(n->table, row, idx) != n->nindex)
		return NULL;
	for (unsigned k = 0; k < n->nindex && vb; k++, vb = vb->next_variable)
		snmp_set_var_typed_integer(vb, n->index_type[k], (long)idx[k]);
	*loop = (void *)(uintptr_t)(i + 1);
	*data = (void *)(uintptr_t)row; /* read-only: the iterator's API is not const */
	return index;
}

static netsnmp_variable_list *first_row(void **loop, void **data, netsnmp_variable_list *index,
					netsnmp_iterator_info *iinfo)
{
	return row_at(loop, data, index, iinfo, 0);
}

static netsnmp_variable_list *next_row(void **loop, void **data, netsnmp_variable_list *index,
				       netsnmp_iterator_info *iinfo)
{
	return row_at(loop, data, index, iinfo, (size_t)(uintptr_t)*loop);
}

static int table_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
			 netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	const struct node *n = reginfo->my_reg_void;

	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR; /* the iterator turns GETNEXT into GET for us */
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_table_request_info *ti;

		if (r->processed)
			continue;
		ti = netsnmp_extract_table_info(r);
		if (!ti) {
			netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
			continue;
		}
		answer(reqinfo, r, n, ti->colnum, netsnmp_extract_iterator_context(r));
	}
	return SNMP_ERR_NOERROR;
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
		if (subid == 0 || subid >= MAX_COLS || n->col[subid].metric || n->col[subid].local) {
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
	netsnmp_table_registration_info *tinfo = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
	netsnmp_iterator_info *iinfo = SNMP_MALLOC_TYPEDEF(netsnmp_iterator_info);

	if (!tinfo || !iinfo)
		goto fail;
	for (unsigned k = 0; k < n->nindex; k++)
		netsnmp_table_helper_add_index(tinfo, n->index_type[k]);
	tinfo->min_column = n->first;
	tinfo->max_column = n->last;
	/* NETSNMP_ITERATOR_FLAG_SORTED is set per snapshot, once checked */
	iinfo->get_first_data_point = first_row;
	iinfo->get_next_data_point = next_row;
	iinfo->table_reginfo = tinfo;
	iinfo->myvoid = n;
	n->reg[0] = netsnmp_create_handler_registration(n->name, table_handler, n->oid,
							n->oid_len, HANDLER_CAN_RONLY);
	if (!n->reg[0])
		goto fail;
	n->reg[0]->my_reg_void = n;
	if (netsnmp_register_table_iterator2(n->reg[0], iinfo) != MIB_REGISTERED_OK) {
		n->reg[0] = NULL; /* the failed registration freed it, and iinfo */
		return -1;
	}
	n->iinfo = iinfo;
	return 0;
fail:
	if (tinfo)
		netsnmp_table_registration_info_free(tinfo);
	free(iinfo);
	return -1;
}

int ebs_mib_register(uint64_t start_ms)
{
	start_unix_ms = start_ms;
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
				nodes[i].iinfo = NULL;
			}
	snap = NULL;
}
