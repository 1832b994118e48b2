/* The metric catalog: every metric named once.  The CLI, the collectd plugin,
 * the AgentX subagent and the MIB consistency test all read this table.
 *
 * A family's scalar counters are not written here: each is one line of the
 * family's field list (bpf/<family>_counters.h), from which come its row
 * here, its kernel field, its snapshot field and the module's copy.  Adding
 * one is that line, its increment in bpf/<family>.bpf.c, its MIB object
 * (and an EBS_PIN_LAYOUT bump, since the kernel struct grows; for syscalls
 * also its index in enum ebs_sys_ctr).  Every other metric (gauges,
 * percentiles, table columns, counters the module computes) is a row in
 * catalog.c plus the snapshot field its module fills.
 *
 * A table (ports, peers, CPUs, ...) is one descriptor in tables.c, struct
 * ebs_table_desc below: where its rows sit in the snapshot, its key, its
 * SNMP entry and index, its collectd naming and bounds.  The catalog
 * helpers, the subagent, the collectd plugin and the CLI read it.  Adding
 * a table is: its row struct (ebpfstats.h), its array in struct
 * ebs_snapshot filled by its module, its enum ebs_table value, its
 * descriptor, its columns as catalog rows, and its MIB objects (the MIB
 * file, and the index columns in snmp/oids.h). */
#ifndef EBS_CATALOG_H
#define EBS_CATALOG_H

#include "ebpfstats.h"

/* Settings have a table of their own, the config schema (config_schema.h,
 * config_schema.c), as metrics have this one.  Adding a setting costs:
 *   - its field in struct ebs_config (ebpfstats.h);
 *   - one schema row: YAML key and aliases, collectd option or none, type,
 *     range, default, which families' pin digests it enters, a line of help;
 *   - the code that acts on it (a module's load, usually);
 *   - its row in docs/config.md's key table, and in docs/collectd.md's
 *     options table when it has a collectd option (tests/test_config_schema
 *     fails without them).
 * The YAML loader, ebs_config_set(), the defaults, range checks, messages,
 * did-you-mean, the collectd option and the pin digest follow from the row. */

enum ebs_kind {
	EBS_COUNTER, /* monotonic since the programs were loaded */
	EBS_GAUGE,   /* a level, or a percentile over the last interval */
	EBS_INFO,    /* text or enum */
};

/* Where a metric's rows come from.  Each table has one row struct. */
enum ebs_table {
	EBS_T_GLOBAL,	 /* one row: struct ebs_snapshot itself */
	EBS_T_MODULE,	 /* struct ebs_module_stat, index family + 1 */
	EBS_T_SYSCALL,	 /* struct ebs_syscall_row, index nr + 1 */
	EBS_T_CPU,	 /* struct ebs_cpu_row, index cpu + 1 */
	EBS_T_TCP_STATE, /* struct ebs_tcp_state_row, index state (1..12) */
	EBS_T_TCP_TRANS, /* struct ebs_tcp_trans_row, collectd only */
	EBS_T_TCP_PORT,	 /* struct ebs_tcp_port_row, index port */
	EBS_T_HIST,	 /* struct ebs_hist_row, index hist id, bucket */
	EBS_T_FILEIO,	 /* struct ebs_fileio_row, index nr + 1 */
	EBS_T_TCP_PEER,	 /* struct ebs_tcp_peer_row, index the endpoint (ebs_snmp_index) */
	EBS_T_PROC,	 /* struct ebs_proc_row, index pid */
	EBS_T_CGROUP,	 /* struct ebs_cgroup_row, index ebs_cgroup_row.index */
	EBS_T_COUNT
};

/* Where a table's rows sit in struct ebs_snapshot. */
enum ebs_rows_at {
	EBS_ROWS_SELF,	/* one row, the snapshot itself (EBS_T_GLOBAL) */
	EBS_ROWS_ARRAY, /* an array inside the snapshot, every row always there */
	EBS_ROWS_PTR,	/* a pointer to rows and a uint32_t count of them */
};

#define EBS_SNMP_INDEX_MAX 20
#define EBS_TABLE_ENTRY_ARCS 3

/* One selection of a bounded table's rows (collectd's Syscall, Port, Peer
 * options): what the table's select_parse() makes of the text. */
struct ebs_row_sel {
	uint32_t num;	    /* syscall nr, port */
	uint32_t addr_type; /* peer: 1 ipv4, 2 ipv6, as in the row */
	uint8_t addr[16];
	uint32_t port;		       /* peer: 0 any */
	char pattern[EBS_CG_NAME_LEN]; /* cgroup: an fnmatch(3) glob of the path */
};

struct ebs_table_desc {
	/* "tcp_port": catalog --json's "table"; collectd's ebpf_rows-<name> */
	const char *name;
	/* the module that fills it (its rows are served while it runs);
	 * EBS_FAM_COUNT: the core, always */
	enum ebs_family family;
	/* the view (ebs_metric_view()) every column needs; NULL: none */
	const char *view;
	/* the rows: offsets into struct ebs_snapshot (tables.c's ROWS_PTR,
	 * ROWS_ARRAY) */
	enum ebs_rows_at rows_at;
	size_t rows_off, count_off, row_size;
	uint32_t fixed_rows; /* EBS_ROWS_ARRAY */
	/* ebs_row_key(); NULL: no key (the global row) */
	void (*key)(const void *row, char *buf, size_t len);
	/* the catalog metric (a const char * column) that is the row's key when
	 * set, so the CLI leaves it out of a row's JSON; NULL: none */
	const char *key_metric;
	/* SNMP: the table's descriptor and its entry's arcs under ebsObjects;
	 * NULL mib_table: not in the MIB */
	const char *mib_table;
	uint32_t mib_entry[EBS_TABLE_ENTRY_ARCS];
	unsigned mib_entry_len;
	/* sub-identifiers of every row's index; 0: it varies with the row */
	unsigned snmp_nindex;
	unsigned (*snmp_index)(const void *row, uint32_t idx[EBS_SNMP_INDEX_MAX]);
	/* collectd: the plugin_instance of every column; NULL: the family's
	 * ("syscall", "tcp", ...) */
	const char *cd_plugin_instance;
	/* the row's key is the plugin_instance ("cpu0"), not in the
	 * type_instance */
	bool cd_instance_is_key;
	/* with cd_instance_is_key: the plugin_instance, when it is not the
	 * row's key ("cgroup-system.slice_nginx.service"); NULL: the key */
	void (*cd_key)(const void *row, char *buf, size_t len);
	/* collectd bounded tables: only the cd_top (the option cd_top_option,
	 * default cd_top_default, at most cd_top_max) most active rows by
	 * activity() since the previous read, plus the rows the option
	 * cd_select_option selects (select_what says what a value is).
	 * NULL cd_top_option: every row is sent. */
	const char *cd_top_option;
	unsigned cd_top_default, cd_top_max;
	const char *cd_select_option;
	const char *select_what;
	uint64_t (*activity)(const void *row);
	int (*select_parse)(const char *text, struct ebs_row_sel *sel);
	bool (*select_match)(const struct ebs_row_sel *sel, const void *row);
};

extern const struct ebs_table_desc ebs_tables[EBS_T_COUNT];

enum ebs_vtype {
	EBS_V_U64,
	EBS_V_I64,
	EBS_V_U32,
	EBS_V_DOUBLE,
	EBS_V_STR,    /* char array inside the row */
	EBS_V_STRPTR, /* const char * inside the row */
	EBS_V_STATUS, /* enum ebs_status */
	EBS_V_BOOL,
};

/* SNMP syntax of the object serving a metric. */
enum ebs_snmp_type {
	EBS_SNMP_NONE, /* not served over SNMP */
	EBS_SNMP_COUNTER64,
	EBS_SNMP_GAUGE32,
	EBS_SNMP_UNSIGNED32,
	EBS_SNMP_INTEGER, /* enums and signed levels */
	EBS_SNMP_STRING,  /* DisplayString */
	EBS_SNMP_TIMESTAMP,
};

struct ebs_metric {
	const char *id;		/* stable dotted name: "syscall.calls" */
	enum ebs_family family; /* EBS_FAM_COUNT for agent-wide metrics */
	enum ebs_kind kind;
	enum ebs_table table;
	enum ebs_vtype vtype;
	size_t offset; /* of the value inside the table's row struct */
	const char *unit;
	const char *help;
	/* collectd: type from ebpf.types.db and, for one-row tables, the fixed
	 * type_instance.  NULL cd_type: not dispatched to collectd. */
	const char *cd_type;
	const char *cd_type_instance;
	/* SNMP: MIB object descriptor and its sub-identifier: the column inside
	 * the table entry, or the scalar's arc under its group. */
	const char *snmp_name;
	unsigned snmp_subid;
	enum ebs_snmp_type snmp_type;
	unsigned pct; /* 50/90/99 for percentile gauges, 0 otherwise */
};

extern const struct ebs_metric ebs_catalog[];
extern const size_t ebs_catalog_len;

const struct ebs_metric *ebs_metric_find(const char *id);

/* Generic table access over a snapshot. */
size_t ebs_table_rows(const struct ebs_snapshot *s, enum ebs_table t);
const void *ebs_table_row(const struct ebs_snapshot *s, enum ebs_table t, size_t i);
/* Human key of a row: "getppid", "cpu0", "ESTABLISHED", "SYN_SENT-ESTABLISHED",
 * "443", "syscalls", "out-192.0.2.1-443", "1234-nginx"; "" for the global row. */
void ebs_row_key(enum ebs_table t, const void *row, char *buf, size_t len);
/* Value of a metric in a row, converted to double / unsigned / text. */
double ebs_metric_double(const struct ebs_metric *m, const void *row);
uint64_t ebs_metric_u64(const struct ebs_metric *m, const void *row);
const char *ebs_metric_str(const struct ebs_metric *m, const void *row);
/* A percentile whose interval had no samples: unknown (collectd NaN), not 0.
 * False for every other metric. */
bool ebs_metric_unknown(const struct ebs_metric *m, const void *row);
/* The distribution behind a percentile metric's row, from which
 * ebs_pct_at() gives any other percentile of the same interval; NULL for
 * every other metric. */
const struct ebs_pct *ebs_metric_pct(const struct ebs_metric *m, const void *row);

const char *ebs_table_name(enum ebs_table t);
/* Histogram name ("runq_latency") and unit ("ns", "ms") by enum ebs_hist_id. */
const char *ebs_hist_name(uint32_t id);
const char *ebs_hist_unit(uint32_t id);

/* collectd naming: plugin "ebpf", this plugin_instance ("syscall", "tcp",
 * "tcp_port", "tcp_peer", "sched", "cpu0", "memory", "file_io" (metrics whose
 * id starts with "file_io."), "self"), m->cd_type, and a type_instance of
 * the row key, m->cd_type_instance, or "<key>-<cd_type_instance>". */
void ebs_cd_plugin_instance(const struct ebs_metric *m, const void *row, char *buf, size_t len);
void ebs_cd_type_instance(const struct ebs_metric *m, const void *row, char *buf, size_t len);

/* The configuration switch a metric needs, besides its module running, to
 * be reported: "always", "syscall_latency", "file_io",
 * "file_io+syscall_latency" (both), "tcp_peers", "process_cpu",
 * "page_allocs" or "bpf_stats" (fields of
 * struct ebs_config; collect_<view> and bpf_stats in the YAML).  This is
 * what collectd/ebpf.c's cd_metric_wanted() and cd_row_wanted() decide;
 * the peer table has no rows without tcp_peers.  SNMP serves the object
 * whatever the view (zeros, or no rows). */
const char *ebs_metric_view(const struct ebs_metric *m);
/* Whether m has a value in this row of s, the policy of every front-end:
 * the family runs (a module row: that module runs; its status, name,
 * reason and attach always), and the view ebs_metric_view() names is on
 * (s->views; bpf_stats: the row's run-time statistics are live).  row NULL:
 * whether any row can have one.  collectd sends no value, SNMP answers
 * noSuchInstance, for a metric that is not active. */
bool ebs_metric_active(const struct ebs_metric *m, const struct ebs_snapshot *s, const void *row);
/* Whether some column of table t is active in s (its family runs, its view
 * is on): whether its rows are reported at all. */
bool ebs_table_active(enum ebs_table t, const struct ebs_snapshot *s);

/* SNMP: the row's index sub-identifiers; returns how many (at most
 * EBS_SNMP_INDEX_MAX, 0 for a table without SNMP rows).  Most tables have
 * one; histogram buckets two; a TCP peer 8 (IPv4) or 20 (IPv6): direction,
 * address type, address length and octets, port.  It is also the row's
 * identity from one snapshot to the next. */
unsigned ebs_snmp_index(enum ebs_table t, const void *row, uint32_t idx[EBS_SNMP_INDEX_MAX]);

#endif
