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

/* kmem:mm_page_alloc / mm_page_free, 1 << order pages each: what
 * /proc/vmstat counts as pgalloc_* (summed) and pgfree.  Only with
 * collect_page_allocs; pages, not events, so not in the module's events. */
#define EBS_MEM_PAGE_COUNTERS(X)                                                                   \
	X(pages_alloc, "memory.pages_allocated", OTHER, "pages", "ebpf_events", "pages_allocated", \
	  "ebsMemoryPagesAllocated", 7,                                                            \
	  "Pages handed out by the page allocator (kmem:mm_page_alloc, 1 << order each), as "      \
	  "/proc/vmstat pgalloc_* summed.")                                                        \
	X(pages_free, "memory.pages_freed", OTHER, "pages", "ebpf_events", "pages_freed",          \
	  "ebsMemoryPagesFreed", 8,                                                                \
	  "Pages given back to the page allocator (kmem:mm_page_free, 1 << order each), as "       \
	  "/proc/vmstat pgfree.")

/* All of them, in the kernel struct's order. */
#define EBS_MEM_COUNTERS(X)                                                                        \
	EBS_MEM_EVENT_COUNTERS(X)                                                                  \
	EBS_MEM_OVERFLOW_COUNTERS(X)                                                               \
	EBS_MEM_PAGE_COUNTERS(X)

#endif
