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

#define EBS_MIB_MAX_PATH 4

/* The arcs under ebsObjects of the node whose children are a metric's
 * objects: the scalar group of its family for EBS_T_GLOBAL, the table's
 * entry otherwise.  Returns how many arcs, 0 when the table is not in the
 * MIB. */
/* Not clang-formatted: one line per table reads as the table it is. */
/* clang-format off */
static inline unsigned ebs_mib_parent(enum ebs_table t, enum ebs_family fam,
				      uint32_t arcs[EBS_MIB_MAX_PATH])
{
	switch (t) {
	case EBS_T_GLOBAL:
		switch (fam) {
		case EBS_FAM_SYSCALLS: arcs[0] = EBS_ARC_SYSCALLS; return 1;
		case EBS_FAM_TCP: arcs[0] = EBS_ARC_TCP; return 1;
		case EBS_FAM_SCHED: arcs[0] = EBS_ARC_SCHED; return 1;
		case EBS_FAM_MEMORY: arcs[0] = EBS_ARC_MEMORY; return 1;
		default: arcs[0] = EBS_ARC_AGENT; return 1;
		}
	case EBS_T_MODULE: arcs[0] = EBS_ARC_MODULE_TABLE; arcs[1] = 1; return 2;
	case EBS_T_SYSCALL: arcs[0] = EBS_ARC_SYSCALLS; arcs[1] = 10; arcs[2] = 1; return 3;
	case EBS_T_TCP_STATE: arcs[0] = EBS_ARC_TCP; arcs[1] = 20; arcs[2] = 1; return 3;
	case EBS_T_TCP_PORT: arcs[0] = EBS_ARC_TCP; arcs[1] = 21; arcs[2] = 1; return 3;
	case EBS_T_CPU: arcs[0] = EBS_ARC_SCHED; arcs[1] = 20; arcs[2] = 1; return 3;
	case EBS_T_HIST: arcs[0] = EBS_ARC_HIST_TABLE; arcs[1] = 1; return 2;
	case EBS_T_FILEIO: arcs[0] = EBS_ARC_SYSCALLS; arcs[1] = 11; arcs[2] = 1; return 3;
	case EBS_T_TCP_PEER: arcs[0] = EBS_ARC_TCP; arcs[1] = 22; arcs[2] = 1; return 3;
	case EBS_T_PROC: arcs[0] = EBS_ARC_MEMORY; arcs[1] = 20; arcs[2] = 1; return 3;
	default: return 0;
	}
}
/* clang-format on */

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

#define EBS_MIB_NOTIFY_VARBINDS 6

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
				      {"ebsNotifyTime", NULL, EBS_NO_TIME}}},
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
