/* Scheduler family: map keys and values shared by bpf/sched.bpf.c and
 * src/module_sched.c.  Changing a layout here means bumping
 * EBS_PIN_LAYOUT, since front-ends read pinned maps of other builds. */
#ifndef EBS_SCHED_H
#define EBS_SCHED_H

#include "ebs_abi.h"

/* sched_cpu[0], per CPU: each CPU's copy is that CPU's row, so the hot
 * paths add to plain words (tracepoints run with preemption off).
 * Switch and run-queue numbers belong to the CPU that switched; the other
 * counters to the CPU the event ran on, and are only read as totals. */
struct ebs_sched_cpu {
	__u64 switches_vol;	/* prev left the run queue (blocked or died) */
	__u64 switches_invol;	/* prev stayed runnable (preempted, yielded) */
	__u64 wakeups;		/* sched_wakeup */
	__u64 wakeups_new;	/* sched_wakeup_new: first wakeup of a new task */
	__u64 forks;		/* sched_process_fork: processes and threads */
	__u64 execs;		/* sched_process_exec: successful execs */
	__u64 exits;		/* sched_process_exit: per thread */
	__u64 runq_samples;	/* tasks switched in with a known enqueue time */
	/* an enqueue time that did not fit sched_wakets (or that task
	 * storage could not take: out of memory, or busy on this CPU): that
	 * task's next run-queue wait goes unmeasured */
	__u64 wakeup_overflows;
	__u64 runq[EBS_HIST_SLOTS]; /* enqueue -> switched in, ns, log2 slots */
};

/* sched_migr[dest_cpu]: sched_migrate_task events, global (not per CPU). */
struct ebs_sched_migr {
	__u64 migrations;
};

/* sched_wakets value, keyed by the kernel tid (__u32), and the value of
 * the task storage sched_twakets: when the task was last put on a run
 * queue (woken, or preempted while runnable); 0 in task storage when no
 * wait is open. */
struct ebs_sched_wakets {
	__u64 ts; /* bpf_ktime_get_ns() */
};

#endif
