/* Syscalls family: map keys and values shared by bpf/syscalls.bpf.c and
 * src/module_syscalls.c.  Changing a layout here means bumping
 * EBS_PIN_LAYOUT, since front-ends read pinned maps of other builds. */
#ifndef EBS_SYSCALLS_H
#define EBS_SYSCALLS_H

#include "ebs_abi.h"

/* Syscall numbers with their own row; every table in use today (x86_64,
 * arm64 and the compat ones) stays below it.  A larger nr only bumps
 * EBS_SYS_C_OUT_OF_RANGE. */
#define EBS_SYS_MAX 512

/* sys_stats[nr], per CPU. */
struct ebs_sys_val {
	__u64 calls;
	__u64 errors;			/* returned -4095..-1, the kernel's own test */
	__u64 lat_ns;			/* sum over the sampled calls */
	__u64 hist[EBS_HIST_SLOTS];	/* sampled latencies, ns, log2 slots */
};

/* sys_ctr[i], per CPU. */
enum ebs_sys_ctr {
	EBS_SYS_C_INFLIGHT_OVERFLOW, /* entry not timed: no room for its start time */
	EBS_SYS_C_OUT_OF_RANGE,	     /* nr >= EBS_SYS_MAX (x32, ...): not in sys_stats */
	EBS_SYS_C_FILTERED,	     /* exits skipped by the comm include/exclude lists */
	EBS_SYS_NCTR
};

/* sys_bytes[nr], per CPU: bytes (positive return values) of the syscalls
 * whose bit is set in the io_mask knob; only with file_io on.  One more
 * entry, EBS_SYS_BYTES_ON, is set by the loader when file_io is on, so a
 * front-end reading pinned maps knows whether bytes are counted. */
#define EBS_SYS_MASK_WORDS (EBS_SYS_MAX / 64)
#define EBS_SYS_BYTES_ON EBS_SYS_MAX

/* When the sampled syscall in flight on a thread began: the value of the
 * task storage sys_tstart, or of sys_start[tid] on kernels without it.
 * ts 0 means none. */
struct ebs_sys_start {
	__u64 ts; /* bpf_ktime_get_ns() */
};

/* sys_comms key: the task comm, NUL-padded to the full length so that the
 * kernel's bpf_get_current_comm() and user space build identical keys. */
struct ebs_comm {
	char comm[EBS_COMM_LEN];
};

#endif
