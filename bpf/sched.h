/* Scheduler family: map keys and values shared by bpf/sched.bpf.c and
 * src/module_sched.c.  Changing a layout here means bumping
 * EBS_PIN_LAYOUT, since front-ends read pinned maps of other builds.
 * A line added to sched_counters.h changes a layout too. */
#ifndef EBS_SCHED_H
#define EBS_SCHED_H

#include "ebs_abi.h"
#include "sched_counters.h"

/* sched_cpu[0], per CPU: each CPU's copy is that CPU's row, so the hot
 * paths add to plain words (tracepoints run with preemption off).
 * Switch and run-queue numbers belong to the CPU that switched; the other
 * counters to the CPU the event ran on, and are only read as totals. */
struct ebs_sched_cpu {
	EBS_SCHED_COUNTERS(EBS_CTR_KFIELD) /* sched_counters.h */
	__u64 runq[EBS_HIST_SLOTS];	   /* enqueue -> switched in, ns */
	/* not a counter: when this CPU last switched, so the start of the
	 * running task's slice (0: no switch seen since load) */
	__u64 switched_ns;
};

/* sched_migr[dest_cpu]: sched_migrate_task events, global (not per CPU). */
struct ebs_sched_migr {
	__u64 migrations;
};

/* sched_procs value, keyed by tgid (__u32): the bounded process table of
 * on-CPU time.  A row is created when a thread of the process first
 * leaves a CPU and removed when its last thread leaves a CPU for good. */
struct ebs_sched_proc {
	__u64 oncpu_ns;		 /* atomic adds: a process's threads run on many CPUs */
	char comm[EBS_COMM_LEN]; /* the thread group leader's, renewed at each exec */
};

/* sched_wakets value, keyed by the kernel tid (__u32), and the value of
 * the task storage sched_twakets: when the task was last put on a run
 * queue (woken, or preempted while runnable); 0 in task storage when no
 * wait is open. */
struct ebs_sched_wakets {
	__u64 ts; /* bpf_ktime_get_ns() */
};

#endif
