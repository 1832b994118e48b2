/* The scheduler family's scalar counters, one line each: the u64 fields
 * of struct ebs_sched_cpu (bpf/sched.h, in this order), the snapshot's
 * sched totals (src/ebpfstats.h), their sum over the CPUs and the module's
 * events and overflows (src/module_sched.c) and their catalog rows
 * (src/catalog.c).  The per-CPU rows (struct ebs_cpu_row) are written by
 * hand.  Columns and roles as in tcp_counters.h.
 *
 * Switch and run-queue numbers belong to the CPU that switched; the other
 * counters to the CPU the event ran on, and are only read as totals. */
#ifndef EBS_SCHED_COUNTERS_H
#define EBS_SCHED_COUNTERS_H

#define EBS_SCHED_SWITCH_COUNTERS(X)                                                               \
	/* prev left the run queue (blocked or died) */                                            \
	X(switches_vol, "sched.switches_voluntary", EVENT, "switches", "ebpf_events",              \
	  "switches_voluntary", "ebsSchedSwitchesVoluntary", 1,                                    \
	  "Context switches where the task blocked (switches away from idle not counted).")        \
	/* prev stayed runnable (preempted, yielded) */                                            \
	X(switches_invol, "sched.switches_involuntary", EVENT, "switches", "ebpf_events",          \
	  "switches_involuntary", "ebsSchedSwitchesInvoluntary", 2,                                \
	  "Context switches where the task was preempted while runnable (switches away from idle not counted).")

/* sched_wakeup, sched_wakeup_new (first wakeup of a new task),
 * sched_process_fork (processes and threads), _exec (successful execs),
 * _exit (per thread) */
#define EBS_SCHED_TASK_COUNTERS(X)                                                                 \
	X(wakeups, "sched.wakeups", EVENT, "tasks", "ebpf_events", "wakeups", "ebsSchedWakeups",   \
	  4, "Task wakeups.")                                                                      \
	X(wakeups_new, "sched.wakeups_new", EVENT, "tasks", "ebpf_events", "wakeups_new",          \
	  "ebsSchedWakeupsNew", 5, "First wakeups of new tasks.")                                  \
	X(forks, "sched.forks", OTHER, "tasks", "ebpf_events", "forks", "ebsSchedForks", 6,        \
	  "Tasks forked.")                                                                         \
	X(execs, "sched.execs", OTHER, "tasks", "ebpf_events", "execs", "ebsSchedExecs", 7,        \
	  "Successful execs.")                                                                     \
	X(exits, "sched.exits", OTHER, "tasks", "ebpf_events", "exits", "ebsSchedExits", 8,        \
	  "Tasks exited.")

/* tasks switched in with a known enqueue time */
#define EBS_SCHED_SAMPLE_COUNTERS(X)                                                               \
	X(runq_samples, "sched.runq.samples", OTHER, "samples", "ebpf_events", "runq_samples",     \
	  "ebsSchedRunqSamples", 9,                                                                \
	  "Run-queue latency samples (tasks switched in after waiting).")

/* an enqueue time that did not fit sched_wakets (or that task storage
 * could not take: out of memory, or busy on this CPU): that task's next
 * run-queue wait goes unmeasured; a time slice of a process that found no
 * room in sched_procs: in no process row */
#define EBS_SCHED_OVERFLOW_COUNTERS(X)                                                             \
	X(wakeup_overflows, "sched.wakeup_overflows", OVERFLOW, "events", "ebpf_overflows",        \
	  "sched_wakeups", "ebsSchedWakeupOverflows", 12,                                          \
	  "Run-queue enqueues (wakeups or preemptions) not timed: no enqueue-time slot "           \
	  "(wakeup table full, or task storage allocation failed).")                               \
	X(proc_overflows, "sched.proc_overflows", OVERFLOW, "switches", "ebpf_overflows",          \
	  "sched_procs", "ebsSchedProcOverflows", 13,                                              \
	  "Time slices not added to a process row because the process table was full.")

/* All of them, in the kernel struct's order. */
#define EBS_SCHED_COUNTERS(X)                                                                      \
	EBS_SCHED_SWITCH_COUNTERS(X)                                                               \
	EBS_SCHED_TASK_COUNTERS(X)                                                                 \
	EBS_SCHED_SAMPLE_COUNTERS(X)                                                               \
	EBS_SCHED_OVERFLOW_COUNTERS(X)

#endif
