/* Syscalls family: map keys and values shared by bpf/syscalls.bpf.c and
 * src/module_syscalls.c.  Changing a layout here means bumping
 * EBS_PIN_LAYOUT, since front-ends read pinned maps of other builds.
 * A counter added to enum ebs_sys_ctr changes a layout too. */
#ifndef EBS_SYSCALLS_H
#define EBS_SYSCALLS_H

#include "ebs_abi.h"
#include "syscalls_counters.h"

/* Syscall numbers with their own row; every table in use today (x86_64,
 * arm64 and the compat ones) stays below it.  A larger nr only bumps
 * EBS_SYS_C_OUT_OF_RANGE. */
#define EBS_SYS_MAX 512

/* sys_stats[nr], per CPU. */
struct ebs_sys_val {
	__u64 calls;
	__u64 errors; /* returned -4095..-1, the kernel's own test */
	__u64 lat_ns; /* sum over the sampled calls */
};

/* Latency histograms per syscall.  A log-linear histogram is 3.6 KiB, too
 * much for each of EBS_SYS_MAX numbers on every CPU, and a host uses few
 * syscalls (about 50 on a quiet one).  So each CPU hands out rows of
 * sys_hist on first use: sys_row[nr] on that CPU is the row + 1 (0: none
 * yet) and sys_row[EBS_SYS_ROWS_USED] counts the rows handed out there.
 * Per CPU, so no atomics: tracepoints run with preemption off.  When a
 * CPU's rows are gone, a syscall without one adds its samples to the last
 * row (EBS_SYS_HIST_OTHER), still in the totals, and bumps
 * EBS_SYS_C_HIST_OTHER.  Map memory: EBS_SYS_HIST_ROWS x 3720 bytes per
 * CPU (docs/percentiles.md). */
#define EBS_SYS_HIST_ROWS 64
#define EBS_SYS_HIST_OTHER (EBS_SYS_HIST_ROWS - 1)
#define EBS_SYS_ROWS_USED EBS_SYS_MAX

/* sys_hist[row], per CPU: sampled latencies, ns (ebs_hist.h buckets).  nr
 * tells user space whose row it is on this CPU without reading sys_row. */
struct ebs_sys_hist {
	__u64 nr; /* syscall nr + 1; 0 for a row not handed out, and the other row */
	__u64 slot[EBS_HIST_SLOTS];
};

/* sys_ctr[i], per CPU.  The ones user space reports one to one are in
 * syscalls_counters.h, named by their index here. */
enum ebs_sys_ctr {
	EBS_SYS_C_INFLIGHT_OVERFLOW, /* entry not timed: no room for its start time */
	EBS_SYS_C_OUT_OF_RANGE,	     /* nr >= EBS_SYS_MAX (x32, ...): not in sys_stats */
	EBS_SYS_C_FILTERED,	     /* exits skipped by the comm include/exclude lists */
	EBS_SYS_C_HIST_OTHER,	     /* samples in the other row: no histogram row free */
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
