/* The tables: one descriptor each (enum ebs_table), read by the catalog
 * helpers, the subagent's registration and index handling, the collectd
 * plugin's row loop and the CLI.  A table's rows are its row struct in
 * ebpfstats.h, its array in struct ebs_snapshot, its descriptor here, its
 * catalog rows (catalog.c) and its MIB objects (mibs/, snmp/oids.h's index
 * columns). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
/* the MIB's arcs; plain C, as the CLI includes it */
#include "../snmp/oids.h"

/* ---- keys: ebs_row_key() ------------------------------------------------- */

static void key_module(const void *row, char *buf, size_t len)
{
	snprintf(buf, len, "%s", ((const struct ebs_module_stat *)row)->name);
}

static void key_syscall(const void *row, char *buf, size_t len)
{
	const struct ebs_syscall_row *r = row;

	if (r->name)
		snprintf(buf, len, "%s", r->name);
	else
		snprintf(buf, len, "sys_%" PRIu32, r->nr);
}

static void key_cpu(const void *row, char *buf, size_t len)
{
	snprintf(buf, len, "cpu%" PRIu32, ((const struct ebs_cpu_row *)row)->cpu);
}

static void key_tcp_state(const void *row, char *buf, size_t len)
{
	snprintf(buf, len, "%s", ((const struct ebs_tcp_state_row *)row)->name);
}

static void key_tcp_trans(const void *row, char *buf, size_t len)
{
	const struct ebs_tcp_trans_row *r = row;

	snprintf(buf, len, "%s-%s", ebs_tcp_state_name(r->old_state),
		 ebs_tcp_state_name(r->new_state));
}

static void key_tcp_port(const void *row, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu32, ((const struct ebs_tcp_port_row *)row)->port);
}

static void key_hist(const void *row, char *buf, size_t len)
{
	const struct ebs_hist_row *r = row;

	snprintf(buf, len, "%s-%" PRIu32, ebs_hist_name(r->hist), r->bucket);
}

static void key_fileio(const void *row, char *buf, size_t len)
{
	const struct ebs_fileio_row *r = row;

	if (r->name)
		snprintf(buf, len, "%s", r->name);
	else
		snprintf(buf, len, "sys_%" PRIu32, r->nr);
}

static void key_tcp_peer(const void *row, char *buf, size_t len)
{
	const struct ebs_tcp_peer_row *r = row;

	snprintf(buf, len, "%s-%s-%" PRIu32, r->dir == EBS_PEER_IN ? "in" : "out", r->addr_str,
		 r->port);
}

static void key_proc(const void *row, char *buf, size_t len)
{
	const struct ebs_proc_row *r = row;

	snprintf(buf, len, "%" PRIu32 "-%s", r->pid, r->comm);
}

/* ---- SNMP indexes: ebs_snmp_index() -------------------------------------- */

/* family + 1; the core names every module it has (a row without a name
 * has no index) */
static unsigned index_module(const void *row, uint32_t *idx)
{
	const struct ebs_module_stat *r = row;

	for (unsigned f = 0; r->name && f < EBS_FAM_COUNT; f++)
		if (strcmp(ebs_family_name(f), r->name) == 0) {
			idx[0] = f + 1;
			return 1;
		}
	return 0;
}

static unsigned index_syscall(const void *row, uint32_t *idx)
{
	idx[0] = ((const struct ebs_syscall_row *)row)->nr + 1;
	return 1;
}

static unsigned index_cpu(const void *row, uint32_t *idx)
{
	idx[0] = ((const struct ebs_cpu_row *)row)->cpu + 1;
	return 1;
}

static unsigned index_tcp_state(const void *row, uint32_t *idx)
{
	idx[0] = ((const struct ebs_tcp_state_row *)row)->state;
	return 1;
}

static unsigned index_tcp_port(const void *row, uint32_t *idx)
{
	idx[0] = ((const struct ebs_tcp_port_row *)row)->port;
	return 1;
}

static unsigned index_hist(const void *row, uint32_t *idx)
{
	idx[0] = ((const struct ebs_hist_row *)row)->hist;
	idx[1] = ((const struct ebs_hist_row *)row)->bucket;
	return 2;
}

static unsigned index_fileio(const void *row, uint32_t *idx)
{
	idx[0] = ((const struct ebs_fileio_row *)row)->nr + 1;
	return 1;
}

/* INDEX { direction, address type, address (an OCTET STRING: its length,
 * then its octets), port } */
static unsigned index_tcp_peer(const void *row, uint32_t *idx)
{
	const struct ebs_tcp_peer_row *r = row;
	unsigned len = r->addr_type == 2 ? 16 : 4, n = 0;

	idx[n++] = r->dir;
	idx[n++] = r->addr_type;
	idx[n++] = len;
	for (unsigned k = 0; k < len; k++)
		idx[n++] = r->addr[k];
	idx[n++] = r->port;
	return n;
}

static unsigned index_proc(const void *row, uint32_t *idx)
{
	idx[0] = ((const struct ebs_proc_row *)row)->pid;
	return 1;
}

/* a cgroup's path below the mount; "idN" without a cgroup2 mount */
static void key_cgroup(const void *row, char *buf, size_t len)
{
	const struct ebs_cgroup_row *r = row;

	if (r->name[0])
		snprintf(buf, len, "%s", r->name);
	else
		snprintf(buf, len, "id%" PRIu64, r->id);
}

/* collectd: "cgroup-" and the path with '/' as '_' (collectd's identifiers
 * take no '/'), "cgroup-root" for the root, "cgroup-idN" without a name */
static void cd_key_cgroup(const void *row, char *buf, size_t len)
{
	const struct ebs_cgroup_row *r = row;

	if (strcmp(r->name, "/") == 0)
		snprintf(buf, len, "cgroup-root");
	else if (!r->name[0])
		snprintf(buf, len, "cgroup-id%" PRIu64, r->id);
	else
		snprintf(buf, len, "cgroup-%s", r->name);
	for (char *c = buf; *c; c++)
		if (*c == '/')
			*c = '_';
}

static unsigned index_cgroup(const void *row, uint32_t *idx)
{
	idx[0] = ((const struct ebs_cgroup_row *)row)->index;
	return 1;
}

/* ---- bounded tables: activity and selections ------------------------------ */

/* calls */
static uint64_t activity_syscall(const void *row)
{
	return ((const struct ebs_syscall_row *)row)->calls;
}

/* accepts, resets, retransmits, bytes and segments both ways */
static uint64_t activity_tcp_port(const void *row)
{
	const struct ebs_tcp_port_row *p = row;

	return p->accepts + p->resets + p->retransmits + p->bytes_in + p->bytes_out + p->segs_in +
	       p->segs_out;
}

/* connects, retransmits, resets, bytes and segments both ways */
static uint64_t activity_tcp_peer(const void *row)
{
	const struct ebs_tcp_peer_row *p = row;

	return p->connects + p->retransmits + p->resets + p->bytes_in + p->bytes_out + p->segs_in +
	       p->segs_out;
}

/* "443" */
static int parse_port(const char *text, uint32_t *port)
{
	char *end;
	unsigned long p;

	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	p = strtoul(text, &end, 10);
	if (errno || *end || p < 1 || p > 65535)
		return -1;
	*port = (uint32_t)p;
	return 0;
}

/* "read", or "sys_NNN" as the row key names a syscall without a name */
static int select_parse_syscall(const char *name, struct ebs_row_sel *sel)
{
	char *end;

	memset(sel, 0, sizeof(*sel));
	for (uint32_t i = 0; i < ebs_syscall_max(); i++) {
		const char *n = ebs_syscall_name(i);

		if (n && strcmp(n, name) == 0) {
			sel->num = i;
			return 0;
		}
	}
	if (strncmp(name, "sys_", 4) == 0 && isdigit((unsigned char)name[4])) {
		unsigned long v;

		errno = 0;
		v = strtoul(name + 4, &end, 10);
		if (!errno && !*end && v < 65536) {
			sel->num = (uint32_t)v;
			return 0;
		}
	}
	return -1;
}

static bool select_match_syscall(const struct ebs_row_sel *sel, const void *row)
{
	return sel->num == ((const struct ebs_syscall_row *)row)->nr;
}

static int select_parse_tcp_port(const char *text, struct ebs_row_sel *sel)
{
	memset(sel, 0, sizeof(*sel));
	return parse_port(text, &sel->num);
}

static bool select_match_tcp_port(const struct ebs_row_sel *sel, const void *row)
{
	return sel->num == ((const struct ebs_tcp_port_row *)row)->port;
}

/* events: system calls, switches, run-queue waits, TCP events, faults */
static uint64_t activity_cgroup(const void *row)
{
	const struct ebs_cgroup_row *r = row;

	return r->sys_calls + r->switches_vol + r->switches_invol + r->runq_samples +
	       r->tcp_active_opens + r->tcp_passive_opens + r->tcp_retransmits + r->tcp_resets +
	       r->faults + r->oom_kills;
}

/* a glob of the path below the mount, as cgroup_filter's */
static int select_parse_cgroup(const char *text, struct ebs_row_sel *sel)
{
	memset(sel, 0, sizeof(*sel));
	if (!*text || strlen(text) >= sizeof(sel->pattern))
		return -1;
	snprintf(sel->pattern, sizeof(sel->pattern), "%s", text);
	return 0;
}

static bool select_match_cgroup(const struct ebs_row_sel *sel, const void *row)
{
	return fnmatch(sel->pattern, ((const struct ebs_cgroup_row *)row)->name, 0) == 0;
}

/* "192.0.2.7", "192.0.2.7:443", "2001:db8::1", "[2001:db8::1]:443" */
static int select_parse_tcp_peer(const char *text, struct ebs_row_sel *sel)
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
		snprintf(addr, sizeof(addr), "%s", text);
	}
	if (inet_pton(AF_INET, addr, sel->addr) == 1)
		sel->addr_type = 1;
	else if (inet_pton(AF_INET6, addr, sel->addr) == 1)
		sel->addr_type = 2;
	else
		return -1;
	return port ? parse_port(port, &sel->port) : 0;
}

/* the address, and the port unless the selection has none */
static bool select_match_tcp_peer(const struct ebs_row_sel *sel, const void *row)
{
	const struct ebs_tcp_peer_row *p = row;

	return p->addr_type == sel->addr_type && (!sel->port || sel->port == p->port) &&
	       memcmp(p->addr, sel->addr, sel->addr_type == 2 ? 16 : 4) == 0;
}

/* ---- the descriptors ------------------------------------------------------ */

#define SNAP_FIELD(f_) (((const struct ebs_snapshot *)0)->f_)
/* A compile-time check inside an initialiser: 0, or an error. */
#define MUST(c_) (0 * sizeof(char[(c_) ? 1 : -1]))
/* Rows behind a pointer, counted by a uint32_t beside it. */
#define ROWS_PTR(f_, n_)                                                                           \
	.rows_at = EBS_ROWS_PTR, .rows_off = offsetof(struct ebs_snapshot, f_),                    \
	.count_off = offsetof(struct ebs_snapshot, n_) + MUST(sizeof(SNAP_FIELD(n_)) == 4),        \
	.row_size = sizeof(*SNAP_FIELD(f_))
/* Rows in an array inside the snapshot, all of them always there. */
#define ROWS_ARRAY(f_)                                                                             \
	.rows_at = EBS_ROWS_ARRAY, .rows_off = offsetof(struct ebs_snapshot, f_),                  \
	.fixed_rows = sizeof(SNAP_FIELD(f_)) / sizeof(SNAP_FIELD(f_)[0]),                          \
	.row_size = sizeof(SNAP_FIELD(f_)[0])

/* TopSyscalls 20, TopPorts 10, TopPeers 10 keep a default configuration
 * under 400 series on a host with up to 10 CPUs (docs/collectd.md). */
/* Not clang-formatted: version 14 puts each table's opening brace on a line
 * of its own below "[EBS_T_...] =". */
/* clang-format off */
const struct ebs_table_desc ebs_tables[EBS_T_COUNT] = {
	[EBS_T_GLOBAL] = {
		.name = "global",
		.family = EBS_FAM_COUNT,
		.rows_at = EBS_ROWS_SELF,
		.row_size = sizeof(struct ebs_snapshot),
	},
	[EBS_T_MODULE] = {
		.name = "module",
		.family = EBS_FAM_COUNT,
		ROWS_ARRAY(modules),
		.key = key_module,
		.key_metric = "module.name",
		.mib_table = "ebsModuleTable",
		.mib_entry = {EBS_ARC_MODULE_TABLE, 1},
		.mib_entry_len = 2,
		.snmp_nindex = 1,
		.snmp_index = index_module,
		.cd_plugin_instance = "self",
	},
	[EBS_T_SYSCALL] = {
		.name = "syscall",
		.family = EBS_FAM_SYSCALLS,
		ROWS_PTR(syscalls, n_syscalls),
		.key = key_syscall,
		.key_metric = "syscall.name",
		.mib_table = "ebsSyscallTable",
		.mib_entry = {EBS_ARC_SYSCALLS, 10, 1},
		.mib_entry_len = 3,
		.snmp_nindex = 1,
		.snmp_index = index_syscall,
		.cd_top_option = "TopSyscalls",
		.cd_top_default = 20,
		.cd_top_max = 4096,
		.cd_select_option = "Syscall",
		.select_what = "a syscall name (e.g. \"read\")",
		.activity = activity_syscall,
		.select_parse = select_parse_syscall,
		.select_match = select_match_syscall,
	},
	[EBS_T_CPU] = {
		.name = "cpu",
		.family = EBS_FAM_SCHED,
		ROWS_PTR(cpus, n_cpus),
		.key = key_cpu,
		.mib_table = "ebsCpuTable",
		.mib_entry = {EBS_ARC_SCHED, 20, 1},
		.mib_entry_len = 3,
		.snmp_nindex = 1,
		.snmp_index = index_cpu,
		.cd_instance_is_key = true,
	},
	[EBS_T_TCP_STATE] = {
		.name = "tcp_state",
		.family = EBS_FAM_TCP,
		ROWS_ARRAY(tcp_states),
		.key = key_tcp_state,
		.key_metric = "tcp.state.name",
		.mib_table = "ebsTcpStateTable",
		.mib_entry = {EBS_ARC_TCP, 20, 1},
		.mib_entry_len = 3,
		.snmp_nindex = 1,
		.snmp_index = index_tcp_state,
	},
	/* collectd only */
	[EBS_T_TCP_TRANS] = {
		.name = "tcp_transition",
		.family = EBS_FAM_TCP,
		ROWS_PTR(tcp_trans, n_tcp_trans),
		.key = key_tcp_trans,
	},
	[EBS_T_TCP_PORT] = {
		.name = "tcp_port",
		.family = EBS_FAM_TCP,
		ROWS_PTR(tcp_ports, n_tcp_ports),
		.key = key_tcp_port,
		.mib_table = "ebsTcpPortTable",
		.mib_entry = {EBS_ARC_TCP, 21, 1},
		.mib_entry_len = 3,
		.snmp_nindex = 1,
		.snmp_index = index_tcp_port,
		.cd_plugin_instance = "tcp_port",
		.cd_top_option = "TopPorts",
		.cd_top_default = 10,
		.cd_top_max = 65536,
		.cd_select_option = "Port",
		.select_what = "a port number from 1 to 65535",
		.activity = activity_tcp_port,
		.select_parse = select_parse_tcp_port,
		.select_match = select_match_tcp_port,
	},
	/* rows exist only for histograms of running modules: the core decides */
	[EBS_T_HIST] = {
		.name = "histogram",
		.family = EBS_FAM_COUNT,
		ROWS_PTR(hist_rows, n_hist_rows),
		.key = key_hist,
		.mib_table = "ebsHistTable",
		.mib_entry = {EBS_ARC_HIST_TABLE, 1},
		.mib_entry_len = 2,
		.snmp_nindex = 2,
		.snmp_index = index_hist,
	},
	/* rows only while the file I/O view is on: the module decides */
	[EBS_T_FILEIO] = {
		.name = "file_io",
		.family = EBS_FAM_SYSCALLS,
		ROWS_PTR(fileio, n_fileio),
		.key = key_fileio,
		.key_metric = "file_io.name",
		.mib_table = "ebsFileIoTable",
		.mib_entry = {EBS_ARC_SYSCALLS, 11, 1},
		.mib_entry_len = 3,
		.snmp_nindex = 1,
		.snmp_index = index_fileio,
		.cd_plugin_instance = "file_io",
	},
	/* indexed by the endpoint: 8 sub-identifiers for IPv4, 20 for IPv6 */
	[EBS_T_TCP_PEER] = {
		.name = "tcp_peer",
		.family = EBS_FAM_TCP,
		ROWS_PTR(tcp_peers, n_tcp_peers),
		.view = "tcp_peers",
		.key = key_tcp_peer,
		.mib_table = "ebsTcpPeerTable",
		.mib_entry = {EBS_ARC_TCP, 22, 1},
		.mib_entry_len = 3,
		.snmp_nindex = 0,
		.snmp_index = index_tcp_peer,
		.cd_plugin_instance = "tcp_peer",
		.cd_top_option = "TopPeers",
		.cd_top_default = 10,
		.cd_top_max = 65536,
		.cd_select_option = "Peer",
		.select_what = "an IPv4 or IPv6 address, optionally with a port "
			       "(\"192.0.2.7\", \"192.0.2.7:443\", \"[2001:db8::1]:443\")",
		.activity = activity_tcp_peer,
		.select_parse = select_parse_tcp_peer,
		.select_match = select_match_tcp_peer,
	},
	/* rows of the sched module (on-CPU time) and of the memory module
	 * (page faults) merged by pid (procs.c): served while either runs,
	 * each column while its own module does */
	[EBS_T_PROC] = {
		.name = "process",
		.family = EBS_FAM_COUNT,
		ROWS_PTR(procs, n_procs),
		.key = key_proc,
		.mib_table = "ebsProcTable",
		.mib_entry = {EBS_ARC_MEMORY, 20, 1},
		.mib_entry_len = 3,
		.snmp_nindex = 1,
		.snmp_index = index_proc,
	},
	/* rows from every family: each column's own family decides */
	[EBS_T_CGROUP] = {
		.name = "cgroup",
		.family = EBS_FAM_COUNT,
		.view = "cgroups",
		ROWS_PTR(cgroups, n_cgroups),
		.key = key_cgroup,
		.mib_table = "ebsCgroupTable",
		.mib_entry = {EBS_ARC_CGROUP_TABLE, 1},
		.mib_entry_len = 2,
		.snmp_nindex = 1,
		.snmp_index = index_cgroup,
		.cd_instance_is_key = true,
		.cd_key = cd_key_cgroup,
		.cd_top_option = "TopCgroups",
		.cd_top_default = 0,
		.cd_top_max = 65536,
		.cd_select_option = "Cgroup",
		.select_what = "a glob of a cgroup's path below the cgroup2 mount "
			       "(\"system.slice/*\")",
		.activity = activity_cgroup,
		.select_parse = select_parse_cgroup,
		.select_match = select_match_cgroup,
	},
};
/* clang-format on */

/* ---- access ---------------------------------------------------------------- */

const char *ebs_table_name(enum ebs_table t)
{
	return (unsigned)t < EBS_T_COUNT ? ebs_tables[t].name : "?";
}

size_t ebs_table_rows(const struct ebs_snapshot *s, enum ebs_table t)
{
	const struct ebs_table_desc *d;

	if ((unsigned)t >= EBS_T_COUNT)
		return 0;
	d = &ebs_tables[t];
	switch (d->rows_at) {
	case EBS_ROWS_SELF: return 1;
	case EBS_ROWS_ARRAY: return d->fixed_rows;
	case EBS_ROWS_PTR: return *(const uint32_t *)((const char *)s + d->count_off);
	default: return 0;
	}
}

const void *ebs_table_row(const struct ebs_snapshot *s, enum ebs_table t, size_t i)
{
	const struct ebs_table_desc *d;
	const char *base;

	if (i >= ebs_table_rows(s, t))
		return NULL;
	d = &ebs_tables[t];
	switch (d->rows_at) {
	case EBS_ROWS_SELF: return s;
	case EBS_ROWS_ARRAY: base = (const char *)s + d->rows_off; break;
	case EBS_ROWS_PTR: base = *(const char *const *)((const char *)s + d->rows_off); break;
	default: return NULL;
	}
	return base + i * d->row_size;
}

void ebs_row_key(enum ebs_table t, const void *row, char *buf, size_t len)
{
	if ((unsigned)t < EBS_T_COUNT && ebs_tables[t].key)
		ebs_tables[t].key(row, buf, len);
	else if (len)
		buf[0] = '\0';
}

unsigned ebs_snmp_index(enum ebs_table t, const void *row, uint32_t idx[EBS_SNMP_INDEX_MAX])
{
	if ((unsigned)t < EBS_T_COUNT && ebs_tables[t].snmp_index)
		return ebs_tables[t].snmp_index(row, idx);
	return 0;
}

bool ebs_table_active(enum ebs_table t, const struct ebs_snapshot *s)
{
	for (size_t i = 0; i < ebs_catalog_len; i++)
		if (ebs_catalog[i].table == t && ebs_metric_active(&ebs_catalog[i], s, NULL))
			return true;
	return false;
}
