/* Per-cgroup rows (collect_cgroups): map keys and values shared by the
 * four kernel objects (bpf/ebs_cgroup.bpf.h) and user space (src/cgroups.c).
 * Changing a layout here means bumping EBS_PIN_LAYOUT.
 *
 * Each family keeps its own table, so the objects stay independent (own
 * pins, own reloads): rows of that family's columns in a per-CPU array, a
 * hash cgroup v2 id -> row index, an array row index -> owner id (0: free)
 * and a queue of free row indices, which user space fills at load and
 * refills by recycling rows (src/cgroups.c); user space merges the rows of
 * the four tables by id.  The id is that of the task's (or socket's)
 * ancestor cgroup_depth levels below the root, or its own cgroup when that
 * is shallower.
 *
 * Histograms per cgroup use a coarser variant of ebs_hist.h: 2^2 linear
 * sub-buckets per power of two instead of 2^4, so a bucket is at most 25 %
 * of its lower bound wide and a percentile within EBS_CG_HIST_MAX_ERROR
 * (11.5 %, src/hist.c) of the exact quantile; 125 slots, 1000 bytes.  With
 * the 465-slot layout a row would cost 3.7 KiB per CPU.  Memory arithmetic:
 * docs/cgroups.md. */
#ifndef EBS_CGROUP_H
#define EBS_CGROUP_H

#include "ebs_abi.h"

#define EBS_CG_HIST_SUB_BITS 2
#define EBS_CG_HIST_SUB (1u << EBS_CG_HIST_SUB_BITS)
/* 4 exact buckets + 30 octaves (2^2 .. 2^31) of 4 + the open one; the
 * literal matches src/ebpfstats.h's */
#define EBS_CG_HIST_SLOTS 125
_Static_assert(EBS_CG_HIST_SLOTS ==
		       ((EBS_HIST_TOP_BITS - EBS_CG_HIST_SUB_BITS + 1) << EBS_CG_HIST_SUB_BITS) + 1,
	       "EBS_CG_HIST_SLOTS does not match the bucket layout");

/* The bucket of v in the coarse layout: ebs_hist_bucket() with 2 sub-bits. */
EBS_HIST_INLINE __u64 ebs_cg_hist_bucket(__u64 v)
{
	__u64 h, b;

	EBS_HIST_OPAQUE(v);
	if (v < EBS_CG_HIST_SUB) {
		b = v;
	} else if (v >> EBS_HIST_TOP_BITS) {
		b = EBS_CG_HIST_SLOTS - 1;
	} else {
		h = ebs_log2_32((__u32)v);
		b = ((h - EBS_CG_HIST_SUB_BITS + 1) << EBS_CG_HIST_SUB_BITS) +
		    ((v >> (h - EBS_CG_HIST_SUB_BITS)) & (EBS_CG_HIST_SUB - 1));
	}
	EBS_HIST_OPAQUE(b);
	return b < EBS_CG_HIST_SLOTS ? b : EBS_CG_HIST_SLOTS - 1;
}

/* The same bucket from ebs_hist_bucket()'s (4 sub-bits) b: its top two
 * sub-bits, so that a path which has b already does not compute it twice
 * (tests/test_hist checks it against ebs_cg_hist_bucket()). */
EBS_HIST_INLINE __u64 ebs_cg_hist_of_fine(__u64 b)
{
	__u64 c;

	if (b < 8)
		c = b;
	else if (b < EBS_HIST_SUB)
		c = 8 + ((b - 8) >> 1);
	else
		c = (((b >> EBS_HIST_SUB_BITS) + 2) << EBS_CG_HIST_SUB_BITS) | ((b >> 2) & 3);
	return c < EBS_CG_HIST_SLOTS ? c : EBS_CG_HIST_SLOTS - 1;
}

/* cg_sys value (syscalls object): the calling task's cgroup. */
struct ebs_cg_sys {
	__u64 owner; /* this CPU's copy: the cgroup id holding the row, 0: none (ebs_cgroup.bpf.h) */
	__u64 calls;
	__u64 errors;
	__u64 lat_ns; /* sum over the sampled calls */
	__u64 hist[EBS_CG_HIST_SLOTS];
};

/* cg_sched value (sched object).  Switches and on-CPU time belong to the
 * task that switched out, a run-queue wait to the task that waited. */
struct ebs_cg_sched {
	__u64 owner; /* this CPU's copy: the cgroup id holding the row, 0: none (ebs_cgroup.bpf.h) */
	__u64 switches_vol;
	__u64 switches_invol;
	__u64 oncpu_ns;
	__u64 runq_ns; /* sum of the waits */
	__u64 runq_samples;
	__u64 runq[EBS_CG_HIST_SLOTS];
};

/* cg_tcp value (tcp object): the socket's cgroup (sk_cgrp_data), which for
 * an accepted socket is its listener's. */
struct ebs_cg_tcp {
	__u64 owner; /* this CPU's copy: the cgroup id holding the row, 0: none (ebs_cgroup.bpf.h) */
	__u64 active_opens;
	__u64 passive_opens;
	__u64 retransmits;
	__u64 resets; /* sent and received */
	__u64 bytes_in;
	__u64 bytes_out;
};

/* cg_mem value (memory object). */
struct ebs_cg_mem {
	__u64 owner; /* this CPU's copy: the cgroup id holding the row, 0: none (ebs_cgroup.bpf.h) */
	__u64 faults; /* user and kernel */
	__u64 oom_kills;
};

/* cg_ctr_<family>[i], per CPU: rows assigned in that family's table and
 * the events in no row (no free row, or the row changed hands while the
 * event looked it up).  User space: evictions = inserts - rows present
 * (only the readers free rows). */
enum ebs_cg_ctr {
	EBS_CG_C_INSERTS,
	EBS_CG_C_FAILED,
	EBS_CG_C_UNATTRIBUTED, /* events whose cgroup could not be read */
	EBS_CG_NCTR
};

/* sched only: in cg_cache_sched[0] (ebs_cgroup.bpf.h), per CPU: the task running now, whose switch-out
 * attributes its on-CPU time and the run-queue wait that ended when it
 * switched in (sched_switch runs in prev's context, so prev is current
 * there and needs no walk of another task's cgroup). */
struct ebs_cg_cpu {
	__u64 in_ns;   /* when the current task switched in; 0: unknown */
	__u64 wait_ns; /* its run-queue wait before that */
	__u64 waited;  /* wait_ns holds a sample */
};

#endif
