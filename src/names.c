/* Names of families, states and syscalls. */
#include <stddef.h>

#include "ebpfstats.h"

extern const char *const ebs_syscall_names[];
extern const uint32_t ebs_syscall_names_len;

const char *ebs_family_name(enum ebs_family fam)
{
	static const char *const names[EBS_FAM_COUNT] = {
		[EBS_FAM_SYSCALLS] = "syscalls",
		[EBS_FAM_TCP] = "tcp",
		[EBS_FAM_SCHED] = "sched",
		[EBS_FAM_MEMORY] = "memory",
	};
	return (unsigned)fam < EBS_FAM_COUNT ? names[fam] : "?";
}

const char *ebs_status_name(enum ebs_status st)
{
	switch (st) {
	case EBS_ST_OK: return "ok";
	case EBS_ST_DEGRADED: return "degraded";
	case EBS_ST_UNAVAILABLE: return "unavailable";
	case EBS_ST_DISABLED: return "disabled";
	}
	return "?";
}

const char *ebs_syscall_name(uint32_t nr)
{
	return nr < ebs_syscall_names_len ? ebs_syscall_names[nr] : NULL;
}

uint32_t ebs_syscall_max(void)
{
	return ebs_syscall_names_len;
}

/* Linux numbering (include/net/tcp_states.h), which the kernel programs see. */
const char *ebs_tcp_state_name(uint32_t state)
{
	static const char *const names[EBS_TCP_NSTATES + 1] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT",	[3] = "SYN_RECV", [4] = "FIN_WAIT1",
		[5] = "FIN_WAIT2",   [6] = "TIME_WAIT", [7] = "CLOSE",	  [8] = "CLOSE_WAIT",
		[9] = "LAST_ACK",    [10] = "LISTEN",	[11] = "CLOSING", [12] = "NEW_SYN_RECV",
	};
	return state >= 1 && state <= EBS_TCP_NSTATES ? names[state] : "UNKNOWN";
}

bool ebs_module_running(const struct ebs_snapshot *s, enum ebs_family fam)
{
	return s && (unsigned)fam < EBS_FAM_COUNT &&
	       (s->modules[fam].status == EBS_ST_OK || s->modules[fam].status == EBS_ST_DEGRADED);
}
