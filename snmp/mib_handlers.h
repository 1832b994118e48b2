/* EBPFSTATS-MIB served from a core snapshot.  Handlers only read the
 * snapshot pointer given here; they never touch kernel maps, so every
 * answer is immediate (the AgentX master gives a subagent one second). */
#ifndef EBS_SNMP_MIB_HANDLERS_H
#define EBS_SNMP_MIB_HANDLERS_H

#include <stdint.h>

#include "ebpfstats.h"

/* Registers the scalar groups and tables with the agent; as a subagent the
 * registrations reach the master once the AgentX session is up, and again
 * after every reconnect.  start_unix_ms is the wall-clock time the process
 * started: ebsAgentStartTime, and the zero of ebsAgentProgramsLoaded.
 * 0, or -1 after logging why. */
int ebs_mib_register(uint64_t start_unix_ms);
void ebs_mib_unregister(void);

/* The snapshot to answer from, NULL for none (only the agent's own
 * objects are served then).  Not copied: the caller keeps it valid until
 * it passes another one. */
void ebs_mib_set_snapshot(const struct ebs_snapshot *s);

/* Sends the events of the last ebs_events_update() (of snapshot s) as
 * EBPFSTATS-MIB notifications through the master, which passes them to its
 * trap2sink/informsink/trapsess destinations; keeps st's suppressed count
 * for ebsAgentNotificationsSuppressed. */
void ebs_mib_notify(const struct ebs_events *st, const struct ebs_snapshot *s);

#endif
