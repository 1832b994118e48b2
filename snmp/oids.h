/* Where EBPFSTATS-MIB's objects sit.  The subagent registers from these
 * arcs and tests/test_mib_catalog.c checks them against mibs/EBPFSTATS-MIB.txt,
 * so the MIB file and the code cannot drift apart.  Plain integers only: no
 * net-snmp types, the unit test includes this without the agent SDK. */
#ifndef EBS_SNMP_OIDS_H
#define EBS_SNMP_OIDS_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

/* The only place in the code naming the root arc; scripts and tests ask
 * `ebpfstats catalog --oid-root`.  A placeholder under net-snmp's
 * experimental netSnmpPlaypen (1.3.6.1.4.1.8072.9999.9999); moving to a
 * registered enterprise number changes this line and the MODULE-IDENTITY's
 * "::=" line in the MIB, then the shipped files make check lists
 * (docs/snmp.md). */
#define EBS_OID_ROOT 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 42
#define EBS_OID_ROOT_LEN 10

/* Arcs under the root. */
#define EBS_ARC_OBJECTS 1
#define EBS_ARC_CONFORMANCE 2
#define EBS_ARC_NOTIFICATIONS 3

/* Arcs under ebsNotifications: the notifications themselves under .0 (as
 * SNMPv1 traps translate), the objects only they carry under .1. */
#define EBS_ARC_NOTIFY_PREFIX 0
#define EBS_ARC_NOTIFY_OBJECTS 1

/* Arcs under ebsObjects. */
#define EBS_ARC_AGENT 1
#define EBS_ARC_MODULE_TABLE 2
#define EBS_ARC_SYSCALLS 3
#define EBS_ARC_TCP 4
#define EBS_ARC_SCHED 5
#define EBS_ARC_HIST_TABLE 6
#define EBS_ARC_MEMORY 7
#define EBS_ARC_CGROUP_TABLE 8

#define EBS_MIB_MAX_PATH 4
_Static_assert(EBS_TABLE_ENTRY_ARCS <= EBS_MIB_MAX_PATH, "a table entry's arcs fit a path");

/* A family's scalar group: its descriptor and its arc under ebsObjects;
 * EBS_FAM_COUNT: the agent's own. */
static inline const char *ebs_mib_group(enum ebs_family fam, uint32_t *arc)
{
	static const struct {
		const char *name;
		uint32_t arc;
	} g[EBS_FAM_COUNT + 1] = {
		[EBS_FAM_SYSCALLS] = {"ebsSyscalls", EBS_ARC_SYSCALLS},
		[EBS_FAM_TCP] = {"ebsTcp", EBS_ARC_TCP},
		[EBS_FAM_SCHED] = {"ebsSched", EBS_ARC_SCHED},
		[EBS_FAM_MEMORY] = {"ebsMemory", EBS_ARC_MEMORY},
		[EBS_FAM_COUNT] = {"ebsAgent", EBS_ARC_AGENT},
	};
	unsigned f = (unsigned)fam < EBS_FAM_COUNT ? (unsigned)fam : EBS_FAM_COUNT;

	*arc = g[f].arc;
	return g[f].name;
}

/* The arcs under ebsObjects of the node whose children are a metric's
 * objects: the scalar group of its family for EBS_T_GLOBAL, the table's
 * entry otherwise (its descriptor's mib_entry).  Returns how many arcs, 0
 * when the table is not in the MIB. */
static inline unsigned ebs_mib_parent(enum ebs_table t, enum ebs_family fam,
				      uint32_t arcs[EBS_MIB_MAX_PATH])
{
	const struct ebs_table_desc *d;

	if (t == EBS_T_GLOBAL) {
		(void)ebs_mib_group(fam, &arcs[0]);
		return 1;
	}
	if ((unsigned)t >= EBS_T_COUNT)
		return 0;
	d = &ebs_tables[t];
	if (!d->mib_table)
		return 0;
	for (unsigned k = 0; k < d->mib_entry_len; k++)
		arcs[k] = d->mib_entry[k];
	return d->mib_entry_len;
}

/* Objects of the MIB that are not catalog metrics: what the agent knows by
 * itself, and the index columns (not-accessible, never served). */
enum ebs_mib_local_id {
	EBS_L_AGENT_VERSION,
	EBS_L_AGENT_START_TIME,
	EBS_L_HIST_NAME,
	EBS_L_HIST_UNIT,
	EBS_L_NOTIFY_SUPPRESSED, /* notifications the rate limit held back */
	EBS_L_INDEX,		 /* index columns */
};

struct ebs_mib_local {
	const char *name; /* MIB descriptor */
	enum ebs_mib_local_id id;
	enum ebs_table table;
	enum ebs_family family; /* for EBS_T_GLOBAL: whose scalar group */
	unsigned subid;
	const char *syntax; /* SYNTAX as written in the MIB */
};

/* i-th local object, NULL past the end. */
static inline const struct ebs_mib_local *ebs_mib_local_at(size_t i)
{
	static const struct ebs_mib_local objs[] = {
		{"ebsAgentVersion", EBS_L_AGENT_VERSION, EBS_T_GLOBAL, EBS_FAM_COUNT, 1,
		 "DisplayString"},
		{"ebsAgentStartTime", EBS_L_AGENT_START_TIME, EBS_T_GLOBAL, EBS_FAM_COUNT, 2,
		 "DateAndTime"},
		{"ebsAgentNotificationsSuppressed", EBS_L_NOTIFY_SUPPRESSED, EBS_T_GLOBAL,
		 EBS_FAM_COUNT, 4, "Counter64"},
		{"ebsHistName", EBS_L_HIST_NAME, EBS_T_HIST, EBS_FAM_COUNT, 3, "DisplayString"},
		{"ebsHistUnit", EBS_L_HIST_UNIT, EBS_T_HIST, EBS_FAM_COUNT, 6, "DisplayString"},
		{"ebsModuleIndex", EBS_L_INDEX, EBS_T_MODULE, EBS_FAM_COUNT, 1, "Unsigned32"},
		{"ebsSyscallIndex", EBS_L_INDEX, EBS_T_SYSCALL, EBS_FAM_COUNT, 1, "Unsigned32"},
		{"ebsTcpStateIndex", EBS_L_INDEX, EBS_T_TCP_STATE, EBS_FAM_COUNT, 1, "EbsTcpState"},
		{"ebsTcpPortNumber", EBS_L_INDEX, EBS_T_TCP_PORT, EBS_FAM_COUNT, 1, "Unsigned32"},
		{"ebsCpuIndex", EBS_L_INDEX, EBS_T_CPU, EBS_FAM_COUNT, 1, "Unsigned32"},
		{"ebsFileIoIndex", EBS_L_INDEX, EBS_T_FILEIO, EBS_FAM_COUNT, 1, "Unsigned32"},
		{"ebsTcpPeerDirection", EBS_L_INDEX, EBS_T_TCP_PEER, EBS_FAM_COUNT, 1, "INTEGER"},
		{"ebsTcpPeerAddressType", EBS_L_INDEX, EBS_T_TCP_PEER, EBS_FAM_COUNT, 2, "INTEGER"},
		{"ebsTcpPeerAddressOctets", EBS_L_INDEX, EBS_T_TCP_PEER, EBS_FAM_COUNT, 3,
		 "EbsPeerAddress"},
		{"ebsTcpPeerPort", EBS_L_INDEX, EBS_T_TCP_PEER, EBS_FAM_COUNT, 4, "Unsigned32"},
		{"ebsProcPid", EBS_L_INDEX, EBS_T_PROC, EBS_FAM_COUNT, 1, "Unsigned32"},
		{"ebsCgroupIndex", EBS_L_INDEX, EBS_T_CGROUP, EBS_FAM_COUNT, 1, "Unsigned32"},
		{"ebsHistId", EBS_L_INDEX, EBS_T_HIST, EBS_FAM_COUNT, 1, "EbsHistogramId"},
		{"ebsHistBucket", EBS_L_INDEX, EBS_T_HIST, EBS_FAM_COUNT, 2, "Unsigned32"},
	};
	return i < sizeof(objs) / sizeof(objs[0]) ? &objs[i] : NULL;
}

/* ---- notifications ------------------------------------------------------ */

/* Objects only notifications carry (accessible-for-notify), under
 * ebsNotifyObjects; their instance is .0. */
enum ebs_mib_notify_obj {
	EBS_NO_TIME = 1,       /* DateAndTime of the snapshot that saw the event */
	EBS_NO_OLD_STATUS = 2, /* EbsStatus before the change */
	EBS_NO_COUNT = 3,      /* Gauge32: OOM kills / overflows in the interval */
	EBS_NO_MAP = 4,	       /* DisplayString: the map that was full */
	EBS_NO_TOTAL = 5,      /* Unsigned32: OOM kills / overflows since load */
	EBS_NO_CGROUP = 6,     /* DisplayString: the OOM victim's cgroup v2 path */
};

struct ebs_mib_notify_object {
	const char *name;
	enum ebs_mib_notify_obj subid;
	const char *syntax;
};

static inline const struct ebs_mib_notify_object *ebs_mib_notify_object_at(size_t i)
{
	static const struct ebs_mib_notify_object objs[] = {
		{"ebsNotifyTime", EBS_NO_TIME, "DateAndTime"},
		{"ebsNotifyOldStatus", EBS_NO_OLD_STATUS, "EbsStatus"},
		{"ebsNotifyCount", EBS_NO_COUNT, "Gauge32"},
		{"ebsNotifyMap", EBS_NO_MAP, "DisplayString"},
		{"ebsNotifyTotal", EBS_NO_TOTAL, "Unsigned32"},
		{"ebsNotifyCgroup", EBS_NO_CGROUP, "DisplayString"},
	};
	return i < sizeof(objs) / sizeof(objs[0]) ? &objs[i] : NULL;
}

/* One varbind of a notification: a catalog metric (instance .0 for a
 * scalar, the module's index for a module column) or a notify object.
 * No Counter64: net-snmp cannot turn a notification with one into an
 * SNMPv1 trap, and logs that it failed for every notification sent, even
 * with no v1 destination (agent_trap.c converts each one up front). */
struct ebs_mib_varbind {
	const char *name;		/* MIB descriptor */
	const char *metric;		/* catalog id, or NULL */
	enum ebs_mib_notify_obj notify; /* when metric is NULL */
};

#define EBS_MIB_NOTIFY_VARBINDS 7

/* NOTIFICATION-TYPE per enum ebs_event_type, at ebsNotifications.0.<type + 1>,
 * with its OBJECTS in this order. */
struct ebs_mib_notification {
	const char *name;
	struct ebs_mib_varbind vb[EBS_MIB_NOTIFY_VARBINDS]; /* ends at a NULL name */
};

static inline const struct ebs_mib_notification *ebs_mib_notification(enum ebs_event_type t)
{
	static const struct ebs_mib_notification n[EBS_EV_COUNT] = {
		[EBS_EV_OOM_KILL] = {"ebsOomKill",
				     {{"ebsMemoryOomLastPid", "memory.oom_last_pid", 0},
				      {"ebsMemoryOomLastComm", "memory.oom_last_comm", 0},
				      {"ebsNotifyCount", NULL, EBS_NO_COUNT},
				      {"ebsNotifyTotal", NULL, EBS_NO_TOTAL},
				      {"ebsNotifyTime", NULL, EBS_NO_TIME},
				      {"ebsNotifyCgroup", NULL, EBS_NO_CGROUP}}},
		[EBS_EV_MODULE_STATUS] = {"ebsModuleStatusChange",
					  {{"ebsModuleName", "module.name", 0},
					   {"ebsNotifyOldStatus", NULL, EBS_NO_OLD_STATUS},
					   {"ebsModuleStatus", "module.status", 0},
					   {"ebsModuleReason", "module.reason", 0},
					   {"ebsNotifyTime", NULL, EBS_NO_TIME}}},
		[EBS_EV_OVERFLOW] = {"ebsOverflow",
				     {{"ebsModuleName", "module.name", 0},
				      {"ebsNotifyMap", NULL, EBS_NO_MAP},
				      {"ebsNotifyCount", NULL, EBS_NO_COUNT},
				      {"ebsNotifyTotal", NULL, EBS_NO_TOTAL},
				      {"ebsNotifyTime", NULL, EBS_NO_TIME}}},
		[EBS_EV_PROGRAMS_LOADED] = {"ebsProgramsLoaded",
					    {{"ebsAgentProgramsLoaded", "agent.loaded_unix_ms", 0},
					     {"ebsNotifyTime", NULL, EBS_NO_TIME}}},
	};
	return (unsigned)t < EBS_EV_COUNT ? &n[t] : NULL;
}

/* Whether a catalog metric is served: it has an SNMP type and its table
 * is in the MIB. */
static inline bool ebs_mib_serves(const struct ebs_metric *m)
{
	uint32_t arcs[EBS_MIB_MAX_PATH];

	return m->snmp_type != EBS_SNMP_NONE && m->snmp_name &&
	       ebs_mib_parent(m->table, m->family, arcs) > 0;
}

#endif
