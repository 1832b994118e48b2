/* The syscalls family's scalar counters, one line each: entries of the
 * per-CPU array sys_ctr (bpf/syscalls.bpf.c), the snapshot's sys fields
 * (src/ebpfstats.h), their copy and the module's overflows
 * (src/module_syscalls.c) and their catalog rows (src/catalog.c).
 *
 * X(field, its index in sys_ctr: EBS_SYS_C_<this>, then the columns of
 *   tcp_counters.h: catalog id, role, unit, collectd type, collectd
 *   type_instance, MIB object, its sub-identifier under ebsSyscalls, help)
 *
 * Unlike the other families' structs, sys_ctr is indexed by enum
 * ebs_sys_ctr (bpf/syscalls.h), which also holds a counter the module only
 * adds to its overflows (out of range): a new counter
 * is a line here and its index appended to that enum, its ctr_inc() in
 * bpf/syscalls.bpf.c, its MIB object, a test and an EBS_PIN_LAYOUT bump
 * (sys_ctr grows). */
#ifndef EBS_SYSCALLS_COUNTERS_H
#define EBS_SYSCALLS_COUNTERS_H

#define EBS_SYS_COUNTERS(X)                                                                        \
	X(inflight_overflows, INFLIGHT_OVERFLOW, "syscall.inflight_overflows", OVERFLOW, "events", \
	  "ebpf_overflows", "syscall_inflight", "ebsSyscallsInflightOverflows", 6,                 \
	  "Syscall entries not timed: no start-time slot (in-flight table full or task storage "   \
	  "allocation failed).")                                                                   \
	X(filtered, FILTERED, "syscall.filtered", OTHER, "calls", "ebpf_calls", "filtered",        \
	  "ebsSyscallsFiltered", 7, "System calls skipped by the process include/exclude lists.")  \
	X(latency_other_row, HIST_OTHER, "syscall.latency_other_row", OTHER, "samples",            \
	  "ebpf_events", "latency_other_row", "ebsSyscallsLatencyOtherRow", 12,                    \
	  "Latency samples of system calls that found no free histogram row on their CPU (more than 63 distinct ones there): in the totals, not in their own percentiles.")

#endif
