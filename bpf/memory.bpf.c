// SPDX-License-Identifier: GPL-2.0
/* Memory family: user and kernel page faults (exceptions:page_fault_user /
 * page_fault_kernel, x86 only) in total and per process, OOM kills
 * (oom:mark_victim) with the last victim, and the removal of a process's
 * row when its last thread exits (sched:sched_process_exit).
 *
 * Page faults are the hottest of these hooks: one per-CPU increment and one
 * hash lookup per fault (a fault itself costs a microsecond or more).  A
 * process's first fault inserts its row; when the table is full the fault
 * is still counted in the totals and in proc_overflows.
 *
 * With collect_page_allocs, kmem:mm_page_alloc and mm_page_free add
 * 1 << order to per-CPU page counters, one add per allocation or free.
 * mm_page_free fires in free_pages_prepare(), which every way of freeing
 * pages goes through, before /proc/vmstat's pgfree counts them;
 * mm_page_free_batched fires for some of the same pages a second time
 * (free_unref_folios()), so it is not hooked. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ebs_core_fixes.bpf.h"
#include "ebs_hook.bpf.h"
#include "memory.h"

#define EBS_CG_WANT_MEM
#include "ebs_cgroup.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebs_mem_stats);
} mem_stats SEC(".maps");

/* tgid -> faults; sized from max_threads.  A hash, not an LRU: rows leave
 * when the process ends, and a full table must be visible as overflows
 * rather than silently dropping a live process's counts. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct ebs_mem_proc);
} mem_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebs_mem_oom);
} mem_oom SEC(".maps");

static __always_inline struct ebs_mem_stats *stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&mem_stats, &zero);
}

static __always_inline int on_fault(bool user)
{
	struct ebs_mem_stats *st = stats();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ebs_mem_proc *p;

	if (!st)
		return 0;
	if (user)
		st->faults_user++;
	else
		st->faults_kernel++;
	ebs_cg_fault();
	p = bpf_map_lookup_elem(&mem_procs, &tgid);
	if (!p) {
		struct ebs_mem_proc n = {};
		long err;

		bpf_get_current_comm(n.comm, sizeof(n.comm));
		err = bpf_map_update_elem(&mem_procs, &tgid, &n, BPF_NOEXIST);
		if (err && err != -EBS_EEXIST) {
			st->proc_overflows++;
			return 0;
		}
		p = bpf_map_lookup_elem(&mem_procs, &tgid);
		if (!p)
			return 0;
	}
	if (user)
		__sync_fetch_and_add(&p->faults_user, 1);
	else
		__sync_fetch_and_add(&p->faults_kernel, 1);
	return 0;
}

static __always_inline int on_victim(__u32 tgid, const char *comm, bool comm_kernel, __u64 cgid)
{
	struct ebs_mem_stats *st = stats();
	struct ebs_mem_oom *o;
	__u32 zero = 0;

	if (!st)
		return 0;
	st->oom_kills++;
	o = bpf_map_lookup_elem(&mem_oom, &zero);
	if (!o)
		return 0;
	o->pid = tgid;
	__builtin_memset(o->comm, 0, sizeof(o->comm));
	if (comm && comm_kernel)
		bpf_probe_read_kernel_str(o->comm, sizeof(o->comm), comm);
	o->cgroup_id = cgid;
	o->seq++;
	return 0;
}

static __always_inline int victim_from_task(struct task_struct *t)
{
	ebs_cg_oom(t);
	/* the victim's own cgroup, whatever collect_cgroups says: the
	 * notification names it (user space resolves the path) */
	return on_victim(BPF_CORE_READ(t, tgid), t ? t->comm : NULL, t != NULL,
			 t ? BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id) : 0);
}

/* order is below MAX_PAGE_ORDER (10 or so); the bound keeps a bad read
 * from shifting past 63. */
static __always_inline int on_pages(bool alloc, bool ok, unsigned int order)
{
	struct ebs_mem_stats *st = stats();

	if (!st || !ok || order >= 32)
		return 0;
	if (alloc)
		st->pages_alloc += 1ULL << order;
	else
		st->pages_free += 1ULL << order;
	return 0;
}

/* The last thread of a process is leaving: signal->live already dropped
 * to 0 when the tracepoint fires (do_exit decrements it first). */
static __always_inline int on_exit(struct task_struct *t)
{
	struct ebs_mem_stats *st;
	__u32 tgid;

	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	tgid = BPF_CORE_READ(t, tgid);
	if (bpf_map_delete_elem(&mem_procs, &tgid) == 0) {
		st = stats();
		if (st)
			st->proc_exits++;
	}
	return 0;
}

/* ---- exceptions:page_fault_user / page_fault_kernel (x86) ------------- */

EBS_HOOK(exceptions, page_fault_user, (), on_fault(true), void *, on_fault(true))

EBS_HOOK(exceptions, page_fault_kernel, (), on_fault(false), void *, on_fault(false))

/* ---- oom:mark_victim -------------------------------------------------- */

/* tp_btf and raw_tp: the task since 6.8, the pid before. */
static __always_inline int victim_from_args(unsigned long long *ctx)
{
	if (victim_is_task())
		return victim_from_task((struct task_struct *)ctx[0]);
	return on_victim((__u32)ctx[0], NULL, false, 0);
}

/* The record has the pid only (its comm is a __data_loc string). */
static __always_inline int victim_from_record(void *ctx)
{
	return on_victim((__u32)BPF_CORE_READ((struct trace_event_raw_mark_victim___ebs *)ctx, pid),
			 NULL, false, 0);
}

EBS_HOOK(oom, mark_victim, (), victim_from_args(ctx), void *, victim_from_record(ctx))

/* ---- kmem:mm_page_alloc, mm_page_free (collect_page_allocs) ----------- */

/* A failed allocation fires too, with no page (the record: pfn -1). */
/* clang-format off */
EBS_HOOK(kmem, mm_page_alloc, (struct page *page, unsigned int order),
	 on_pages(true, page != NULL, order), struct trace_event_raw_mm_page_alloc *,
	 on_pages(true, ctx->pfn != ~0UL, ctx->order))

EBS_HOOK(kmem, mm_page_free, (struct page *page, unsigned int order),
	 on_pages(false, true, order), struct trace_event_raw_mm_page_free *,
	 on_pages(false, true, ctx->order))
/* clang-format on */

/* ---- sched:sched_process_exit ----------------------------------------- */

/* Not clang-formatted: it reads the parameter list "(struct x *p)" as a
 * multiplication and writes "struct x * p". */
/* clang-format off */
EBS_HOOK(sched, sched_process_exit, (struct task_struct *t), on_exit(t),
	 void *, on_exit(bpf_get_current_task_btf()))
/* clang-format on */

/* collect_cgroups only: a moved task's cached row is stale
 * (ebs_cgroup.bpf.h). */
/* clang-format off */
EBS_HOOK(cgroup, cgroup_attach_task,
	 (struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup),
	 ebs_cg_moved(), void *, ebs_cg_moved())
/* clang-format on */

char LICENSE[] SEC("license") = "GPL";
