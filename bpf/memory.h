/* Memory family: map keys and values shared by bpf/memory.bpf.c and
 * src/module_memory.c.  Changing a layout here means bumping
 * EBS_PIN_LAYOUT, since front-ends read pinned maps of other builds.
 * A line added to memory_counters.h changes a layout too. */
#ifndef EBS_MEMORY_H
#define EBS_MEMORY_H

#include "ebs_abi.h"
#include "memory_counters.h"

/* mem_stats[0], per CPU. */
struct ebs_mem_stats {
	EBS_MEM_COUNTERS(EBS_CTR_KFIELD) /* memory_counters.h */
	__u64 proc_exits;		 /* mem_procs rows removed when their process ended */
};

/* mem_procs value, keyed by tgid (__u32): the bounded process table.  A
 * row is created at the process's first fault and removed when its last
 * thread exits. */
struct ebs_mem_proc {
	__u64 faults_user; /* atomic adds: a process's threads fault on many CPUs */
	__u64 faults_kernel;
	char comm[EBS_COMM_LEN]; /* of the thread that made the first fault */
};

/* mem_oom[0]: the last OOM victim.  OOM kills are rare and serialised by
 * the kernel's oom_lock, so a plain array element is enough. */
struct ebs_mem_oom {
	__u64 seq; /* victims recorded */
	__u32 pid; /* tgid */
	__u32 pad;
	char comm[EBS_COMM_LEN];
	/* its own cgroup v2's id (task->cgroups->dfl_cgrp, not the row's
	 * ancestor at cgroup_depth): 0 when the kernel passes only the pid */
	__u64 cgroup_id;
};

#endif
