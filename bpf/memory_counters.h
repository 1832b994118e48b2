/* The memory family's scalar counters, one line each: the u64 fields of
 * struct ebs_mem_stats (bpf/memory.h, in this order), the snapshot's mem
 * fields (src/ebpfstats.h), their copy and the module's events and
 * overflows (src/module_memory.c) and their catalog rows (src/catalog.c).
 * Columns and roles as in tcp_counters.h. */
#ifndef EBS_MEMORY_COUNTERS_H
#define EBS_MEMORY_COUNTERS_H

#define EBS_MEM_EVENT_COUNTERS(X)                                                                  \
	X(faults_user, "memory.faults_user", EVENT, "faults", "ebpf_events", "page_faults_user",   \
	  "ebsMemoryFaultsUser", 1,                                                                \
	  "Page faults taken in user mode (exceptions:page_fault_user).")                          \
	X(faults_kernel, "memory.faults_kernel", EVENT, "faults", "ebpf_events",                   \
	  "page_faults_kernel", "ebsMemoryFaultsKernel", 2,                                        \
	  "Page faults taken in kernel mode (exceptions:page_fault_kernel).")                      \
	X(oom_kills, "memory.oom_kills", EVENT, "processes", "ebpf_events", "oom_kills",           \
	  "ebsMemoryOomKills", 3,                                                                  \
	  "Processes chosen as OOM victims (oom:mark_victim), global and cgroup OOMs.")

/* faults of a process that found no room in mem_procs */
#define EBS_MEM_OVERFLOW_COUNTERS(X)                                                               \
	X(proc_overflows, "memory.proc_overflows", OVERFLOW, "faults", "ebpf_overflows",           \
	  "mem_procs", "ebsMemoryProcOverflows", 6,                                                \
	  "Faults not attributed to a process because the process table was full.")

/* All of them, in the kernel struct's order. */
#define EBS_MEM_COUNTERS(X)                                                                        \
	EBS_MEM_EVENT_COUNTERS(X)                                                                  \
	EBS_MEM_OVERFLOW_COUNTERS(X)

#endif
