// SPDX-License-Identifier: GPL-2.0
/* Syscalls family: calls and errors per syscall number from sys_exit, and
 * (when latency is on) sampled entry-to-exit latency from a start time that
 * sys_enter keeps per thread.
 *
 * sys_exit runs on every syscall of the machine, so with no comm filter and
 * latency off it touches one per-CPU array element and nothing else: no
 * hash lookup, no atomics.  Unused paths are pruned by the verifier through
 * the rodata knobs. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ebs_core_fixes.bpf.h"
#include "ebs_hist.h"
#include "ebs_hook.bpf.h"
#include "syscalls.h"

#define EBS_CG_WANT_SYS
#include "ebs_cgroup.bpf.h"

_Static_assert((EBS_SYS_MAX & (EBS_SYS_MAX - 1)) == 0,
	       "io_mask indexing masks nr with EBS_SYS_MAX - 1");

/* Knobs, set through the skeleton's rodata before load. */
const volatile bool latency = false;	 /* sys_enter records start times */
const volatile bool task_local = true;	 /* starts in sys_tstart, else sys_start */
const volatile bool has_include = false; /* sys_comms holds EBS_COMM_INCLUDE entries */
const volatile bool has_exclude = false; /* sys_comms holds EBS_COMM_EXCLUDE entries */
const volatile __u32 sample_rate = 100;	 /* percent of entries timed */
/* File I/O view: sys_exit adds the return value of the syscalls whose bit
 * is set (read/write family, arch numbers from user space) to sys_bytes.
 * Off: the verifier drops the code, and no syscall pays for it. */
const volatile bool file_io = false;
const volatile __u64 io_mask[EBS_SYS_MASK_WORDS] = {};
/* exit and exit_group never reach sys_exit, so their start would never be
 * consumed.  Arch numbers come from user space; the default matches none. */
const volatile __u32 nr_exit = (__u32)-1;
const volatile __u32 nr_exit_group = (__u32)-1;
/* rt_sigreturn leaves sys_exit with nr -1 (it restores orig_ax/syscallno
 * from the signal frame); counted under this nr instead. */
const volatile __u32 nr_sigreturn = (__u32)-1;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EBS_SYS_MAX);
	__type(key, __u32);
	__type(value, struct ebs_sys_val);
} sys_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EBS_SYS_NCTR);
	__type(key, __u32);
	__type(value, __u64);
} sys_ctr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EBS_SYS_MAX + 1);
	__type(key, __u32);
	__type(value, __u64);
} sys_bytes SEC(".maps");

/* Per-syscall latency histograms and this CPU's nr -> row (syscalls.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EBS_SYS_MAX + 1);
	__type(key, __u32);
	__type(value, __u32);
} sys_row SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EBS_SYS_HIST_ROWS);
	__type(key, __u32);
	__type(value, struct ebs_sys_hist);
} sys_hist SEC(".maps");

/* Start times, one of two maps (user space creates only the one in use).
 * Task storage (5.11+): a cached per-task slot, freed with the task, bound
 * by the number of tasks; about 60 ns per syscall cheaper than the hash
 * and immune to stale entries.  The hash (tid -> start, sized from
 * max_threads) is for older kernels. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ebs_sys_start);
} sys_tstart SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct ebs_sys_start);
} sys_start SEC(".maps");

/* comm -> EBS_COMM_INCLUDE / EBS_COMM_EXCLUDE, written once after load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * EBS_MAX_COMMS);
	__type(key, struct ebs_comm);
	__type(value, __u8);
} sys_comms SEC(".maps");

static __always_inline void ctr_inc(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&sys_ctr, &idx);

	/* per-CPU slot and syscall tracepoints run with preemption off */
	if (c)
		*c += 1;
}

/* Whether the current task passes the include/exclude lists.  A comm on
 * both lists is stored as EXCLUDE, so exclusion wins. */
static __always_inline bool comm_wanted(void)
{
	struct ebs_comm key = {};
	__u8 *v;

	if (!has_include && !has_exclude)
		return true;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	v = bpf_map_lookup_elem(&sys_comms, &key);
	if (has_include && (!v || *v != EBS_COMM_INCLUDE))
		return false;
	if (has_exclude && v && *v == EBS_COMM_EXCLUDE)
		return false;
	return true;
}

/* Adds a latency sample to this CPU's row for nr (nr < EBS_SYS_MAX),
 * handing out the next free row on the syscall's first sample here. */
static __always_inline void hist_add(__u32 nr, __u64 b)
{
	__u32 used_key = EBS_SYS_ROWS_USED, row;
	__u32 *slot = bpf_map_lookup_elem(&sys_row, &nr), *used;
	struct ebs_sys_hist *h;
	bool fresh = false;

	if (!slot)
		return;
	row = *slot;
	if (!row) {
		used = bpf_map_lookup_elem(&sys_row, &used_key);
		if (!used)
			return;
		if (*used < EBS_SYS_HIST_OTHER) {
			row = ++*used;
			*slot = row;
			fresh = true;
		}
	}
	if (row) {
		row--;
	} else {
		row = EBS_SYS_HIST_OTHER;
		ctr_inc(EBS_SYS_C_HIST_OTHER);
	}
	h = bpf_map_lookup_elem(&sys_hist, &row);
	if (!h)
		return;
	if (fresh)
		h->nr = (__u64)nr + 1;
	h->slot[b]++;
}

static __always_inline int on_enter(__u32 nr)
{
	if (nr == nr_exit || nr == nr_exit_group)
		return 0;
	if (!comm_wanted())
		return 0;
	if (sample_rate < 100 && bpf_get_prandom_u32() % 100 >= sample_rate)
		return 0;
	if (task_local) {
		struct ebs_sys_start *st = bpf_task_storage_get(
			&sys_tstart, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

		/* NULL: out of memory, or the storage lock was busy on this CPU */
		if (!st) {
			ctr_inc(EBS_SYS_C_INFLIGHT_OVERFLOW);
			return 0;
		}
		st->ts = bpf_ktime_get_ns();
	} else {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct ebs_sys_start st = {.ts = bpf_ktime_get_ns()};

		/* BPF_ANY replaces a start whose exit we missed; fails when the
		 * table is full (or re-entered on this CPU) */
		if (bpf_map_update_elem(&sys_start, &tid, &st, BPF_ANY))
			ctr_inc(EBS_SYS_C_INFLIGHT_OVERFLOW);
	}
	return 0;
}

/* Takes the start sys_enter left for this thread; 0 when there is none
 * (sampled out, filtered, or entered before the programs attached). */
static __always_inline __u64 take_start(void)
{
	__u64 ts = 0;

	if (task_local) {
		struct ebs_sys_start *st =
			bpf_task_storage_get(&sys_tstart, bpf_get_current_task_btf(), 0, 0);

		if (st) {
			ts = st->ts;
			st->ts = 0;
		}
	} else {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct ebs_sys_start *st = bpf_map_lookup_elem(&sys_start, &tid);

		if (st) {
			ts = st->ts;
			bpf_map_delete_elem(&sys_start, &tid);
		}
	}
	return ts;
}

static __always_inline int on_exit(__u32 nr, long ret)
{
	struct ebs_sys_val *v;
	bool timed = false, sigreturn = false, error;
	__u64 lat = 0, b = 0;

	/* Before the comm filter: a task that execs under another comm must
	 * not leave its execve start behind.  Also keeps the filter's own cost
	 * out of the sample. */
	if (latency) {
		__u64 ts = take_start();

		if (ts) {
			__u64 now = bpf_ktime_get_ns();

			if (now >= ts) {
				lat = now - ts;
				timed = true;
			}
		}
	}
	if (!comm_wanted()) {
		ctr_inc(EBS_SYS_C_FILTERED);
		return 0;
	}
	/* A tracer that skips a syscall also sets nr -1; that rare case is
	 * counted as rt_sigreturn too. */
	if (nr == (__u32)-1 && nr_sigreturn != (__u32)-1) {
		nr = nr_sigreturn;
		sigreturn = true; /* ret is the interrupted code's register */
	}
	if (nr >= EBS_SYS_MAX) {
		ctr_inc(EBS_SYS_C_OUT_OF_RANGE);
		return 0;
	}
	v = bpf_map_lookup_elem(&sys_stats, &nr);
	if (!v)
		return 0;
	v->calls++;
	/* the kernel's IS_ERR_VALUE(): fcntl(F_GETOWN) may return a negative
	 * process group that is no error */
	error = !sigreturn && (unsigned long)ret >= (unsigned long)-4095;
	if (error)
		v->errors++;
	if (timed) {
		v->lat_ns += lat;
		b = ebs_hist_bucket(lat);
		hist_add(nr, b);
	}
	ebs_cg_syscall(error, timed, lat, b);
	/* one bit test for every other syscall; a read or write that moved
	 * bytes pays one more per-CPU lookup */
	/* nr < EBS_SYS_MAX here, but it comes back from the stack without
	 * its bound; the mask (a power of two) restores it for the verifier */
	if (file_io && ret > 0 && (io_mask[(nr & (EBS_SYS_MAX - 1)) / 64] >> (nr % 64)) & 1) {
		__u64 *b = bpf_map_lookup_elem(&sys_bytes, &nr);

		if (b)
			*b += (__u64)ret;
	}
	return 0;
}

/* tp_btf and raw_tp: the nr from regs (see exit_nr()). */
static __always_inline int exit_from_args(bool btf, struct pt_regs *regs, long ret)
{
	__u32 nr;

	if (!exit_nr(btf, regs, &nr))
		return 0;
	return on_exit(nr, ret);
}

/* Not clang-formatted: it reads the parameter list "(struct x *p)" as a
 * multiplication and writes "struct x * p". */
/* clang-format off */
EBS_HOOK(raw_syscalls, sys_enter, (struct pt_regs *regs, long id),
	 on_enter((__u32)id),
	 struct trace_event_raw_sys_enter *, on_enter((__u32)ctx->id))

/* User space offers the tp_btf and raw_tp programs only on architectures
 * that exit_nr() knows; elsewhere the classic tracepoint supplies the nr. */
EBS_HOOK(raw_syscalls, sys_exit, (struct pt_regs *regs, long ret),
	 exit_from_args(btf, regs, ret),
	 struct trace_event_raw_sys_exit *, on_exit((__u32)ctx->id, ctx->ret))

/* clang-format on */

/* collect_cgroups only: a moved task's cached row is stale
 * (ebs_cgroup.bpf.h). */
/* clang-format off */
EBS_HOOK(cgroup, cgroup_attach_task,
	 (struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup),
	 ebs_cg_moved(), void *, ebs_cg_moved())
/* clang-format on */

char LICENSE[] SEC("license") = "GPL";
