// SPDX-License-Identifier: GPL-2.0
/* Scheduler family: context switches per CPU split by whether the task
 * left the run queue, run-queue latency per CPU (enqueue to switched in),
 * wakeups, migrations per destination CPU, fork/exec/exit counts, and
 * on-CPU time per process.
 *
 * sched_switch runs on every context switch of the machine: one per-CPU
 * array element for the counters and the histogram, and the run-queue
 * bookkeeping runqlat does: with tp_btf, a task storage slot of next (and
 * of a preempted prev), no hashing and no lock; else one hash lookup for
 * next, an update for a preempted prev, a delete when next had an enqueue
 * time.  tp_btf's task pointers are trusted and read with plain loads;
 * raw_tp's with probe reads (a helper call per field).  On-CPU time adds
 * one hash lookup and an atomic add for the task leaving (proc_cpu). */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ebs_core_fixes.bpf.h"
#include "ebs_hist.h"
#include "ebs_hook.bpf.h"
#include "sched.h"

#define EBS_CG_WANT_SCHED
#include "ebs_cgroup.bpf.h"

/* Knob, set through the skeleton's rodata before load: enqueue times in
 * sched_twakets (true, tp_btf programs only) or in sched_wakets. */
const volatile bool task_local = false;
/* Knob: on-CPU time per process in sched_procs. */
const volatile bool proc_cpu = true;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebs_sched_cpu);
} sched_cpu SEC(".maps");

/* When a task was put on a run queue, in one of two maps (user space
 * creates only the one in use).  Task storage (tp_btf, 5.11+): a slot of
 * the task itself, reached from the trusted task pointers sched_switch and
 * sched_wakeup hand over, freed with the task, so bounded by the tasks
 * that exist; ts 0 means no wait open.  Its elements come from the BPF
 * memory allocator's per-CPU caches, which is safe under the run-queue
 * lock these tracepoints run with. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ebs_sched_wakets);
} sched_twakets SEC(".maps");

/* tid -> enqueue time, for raw_tp and the classic tracepoint; sized from
 * max_threads by user space.  Preallocated (the default): no allocation
 * inside the scheduler.  An entry lives from the wakeup (or preemption) to
 * the switch-in that consumes it; the last switch-out of a dying task
 * removes a leftover. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct ebs_sched_wakets);
} sched_wakets SEC(".maps");

/* Indexed by destination CPU; user space sets max_entries to the number
 * of possible CPUs.  A plain array with an atomic add rather than a
 * per-CPU array: a per-CPU copy of a CPU-indexed array costs ncpus^2
 * words, and migrations are rare next to switches (at most one per
 * wakeup, usually far fewer), so the contended add is cheap here. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebs_sched_migr);
} sched_migr SEC(".maps");

/* tgid -> on-CPU time; sized from map_sizes.processes by user space.  A
 * hash, not an LRU, as memory's mem_procs: a row leaves when its process
 * ends, and a full table shows as proc_overflows instead of a live
 * process's counter silently starting again from 0. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct ebs_sched_proc);
} sched_procs SEC(".maps");

static __always_inline struct ebs_sched_cpu *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sched_cpu, &zero);
}

/* Opens a run-queue wait for task t (pid; t only with btf). */
static __always_inline void enqueued(bool btf, struct ebs_sched_cpu *c, struct task_struct *t,
				     __u32 pid, __u64 now)
{
	struct ebs_sched_wakets v = {.ts = now}, *w;

	/* The idle tasks all have pid 0 and are never queued. */
	if (!pid)
		return;
	if (btf && task_local) {
		/* NULL: out of memory, or the storage busy on this CPU */
		w = bpf_task_storage_get(&sched_twakets, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (w)
			w->ts = now;
		else
			c->wakeup_overflows++;
		return;
	}
	/* BPF_ANY: an older time is stale (the task was woken while still
	 * running and never switched in since).  Fails when the table is full
	 * or its bucket lock is taken on this CPU. */
	if (bpf_map_update_elem(&sched_wakets, &pid, &v, BPF_ANY))
		c->wakeup_overflows++;
}

/* The task leaving the CPU ran from this CPU's previous switch to now: add
 * that to its process's row.  sched_switch runs in the context of prev
 * (current is still prev in __schedule()), so current gives its tgid and
 * comm with every flavour.  The last thread of a process leaving for good
 * (dead, and signal->live already 0: do_exit() dropped it before) removes
 * the row instead: that switch is the process's last event, so no later
 * slice can bring the row back. */
static __always_inline void account_prev(struct ebs_sched_cpu *c, __u32 prev_pid, bool dead,
					 __u64 now)
{
	__u64 since = c->switched_ns;
	__u32 tgid;
	struct ebs_sched_proc *p;

	c->switched_ns = now;
	/* idle (pid 0) is no process; since 0: the first switch seen here */
	if (!proc_cpu || !prev_pid || !since || now < since)
		return;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (dead) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		if (BPF_CORE_READ(t, signal, live.counter) == 0) {
			bpf_map_delete_elem(&sched_procs, &tgid);
			return;
		}
	}
	p = bpf_map_lookup_elem(&sched_procs, &tgid);
	if (!p) {
		struct ebs_sched_proc n = {.oncpu_ns = now - since};
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		struct task_struct *leader = BPF_CORE_READ(t, group_leader);
		long err;

		/* the process's name, as ps shows it: its leader's, not that
		 * of the thread that happened to leave a CPU first */
		if (!leader || bpf_probe_read_kernel_str(n.comm, sizeof(n.comm), leader->comm) < 0)
			bpf_get_current_comm(n.comm, sizeof(n.comm));
		err = bpf_map_update_elem(&sched_procs, &tgid, &n, BPF_NOEXIST);
		if (!err)
			return;
		if (err != -EBS_EEXIST) {
			c->proc_overflows++;
			return;
		}
		/* another CPU inserted it meanwhile */
		p = bpf_map_lookup_elem(&sched_procs, &tgid);
		if (!p)
			return;
	}
	__sync_fetch_and_add(&p->oncpu_ns, now - since);
}

/* vol: prev left the run queue; dead: and it will never run again.  The
 * task pointers are only used with btf. */
static __always_inline int on_switch(bool btf, bool vol, bool dead, __u32 prev_pid, __u32 next_pid,
				     struct task_struct *prev, struct task_struct *next)
{
	struct ebs_sched_cpu *c = this_cpu();
	struct ebs_sched_wakets *w;
	__u64 now;

	if (!c)
		return 0;
	now = bpf_ktime_get_ns();
	ebs_cg_switch(vol, prev_pid, next_pid, now);
	account_prev(c, prev_pid, dead, now);
	/* Leaving idle is neither blocking nor a task being preempted: not
	 * counted, so vol + invol is /proc/stat's ctxt minus idle's switches. */
	if (prev_pid) {
		if (vol) {
			c->switches_vol++;
			/* A wakeup that found the task still running leaves an
			 * entry nothing consumes; drop it with the task (task
			 * storage goes with the task by itself).  The lock-free
			 * lookup keeps the common miss cheap. */
			if (!(btf && task_local) && dead &&
			    bpf_map_lookup_elem(&sched_wakets, &prev_pid))
				bpf_map_delete_elem(&sched_wakets, &prev_pid);
		} else {
			c->switches_invol++;
			/* Still runnable: its run-queue wait starts now, with
			 * no wakeup to mark it (runqlat does the same). */
			enqueued(btf, c, prev, prev_pid, now);
		}
	}
	if (!next_pid)
		return 0;
	if (btf && task_local) {
		w = bpf_task_storage_get(&sched_twakets, next, 0, 0);
		if (!w || !w->ts)
			return 0; /* queued before the programs attached, or overflowed */
	} else {
		w = bpf_map_lookup_elem(&sched_wakets, &next_pid);
		if (!w)
			return 0;
	}
	/* another CPU's clock may run a little ahead of ours */
	if (now >= w->ts) {
		c->runq[ebs_hist_bucket(now - w->ts)]++;
		c->runq_samples++;
		ebs_cg_waited(now - w->ts);
	}
	if (btf && task_local)
		w->ts = 0;
	else
		bpf_map_delete_elem(&sched_wakets, &next_pid);
	return 0;
}

/* tp_btf and raw_tp: preempt is the tracepoint's own argument (4.4+), so
 * a task preempted after setting a sleeping state, which stays queued, is
 * involuntary here (runqlat's state-only test calls it blocked).
 * prev_state, the fourth argument, only exists since 5.18; a raw_tp that
 * read it would not attach on older kernels, and __state, read now, holds
 * the same value after __schedule() decided to block or not. */
static __always_inline int switch_task(bool btf, bool preempt, struct task_struct *prev,
				       struct task_struct *next)
{
	bool vol = !preempt && task_state(btf, prev) != 0;
	/* the hash must drop a dying task's leftover itself, and a dying
	 * process's last thread takes its sched_procs row along */
	bool dead = vol && (proc_cpu || !(btf && task_local)) && RD(btf, prev, exit_state) != 0;

	return on_switch(btf, vol, dead, (__u32)RD(btf, prev, pid), (__u32)RD(btf, next, pid), prev,
			 next);
}

static __always_inline int on_wakeup(bool btf, struct task_struct *p, __u32 pid, bool new_task)
{
	struct ebs_sched_cpu *c = this_cpu();

	if (!c)
		return 0;
	if (new_task)
		c->wakeups_new++;
	else
		c->wakeups++;
	enqueued(btf, c, p, pid, bpf_ktime_get_ns());
	return 0;
}

static __always_inline int on_migrate(int dest_cpu)
{
	__u32 key = (__u32)dest_cpu;
	struct ebs_sched_migr *v = bpf_map_lookup_elem(&sched_migr, &key);

	if (v)
		__sync_fetch_and_add(&v->migrations, 1);
	return 0;
}

enum ebs_proc_ev { PROC_FORK, PROC_EXEC, PROC_EXIT };

/* An exec changed the process's comm: the row created by its first slice
 * has the name of the parent that forked it. */
static __always_inline void renew_comm(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ebs_sched_proc *p;

	if (!proc_cpu)
		return;
	p = bpf_map_lookup_elem(&sched_procs, &tgid);
	if (p)
		bpf_get_current_comm(p->comm, sizeof(p->comm));
}

static __always_inline int on_proc(enum ebs_proc_ev ev)
{
	struct ebs_sched_cpu *c = this_cpu();

	if (!c)
		return 0;
	if (ev == PROC_FORK)
		c->forks++;
	else if (ev == PROC_EXEC) {
		c->execs++;
		renew_comm();
	} else
		c->exits++;
	return 0;
}

/* ---- sched_switch ---- */

/* The record has no task pointers, only pids and the reported state (see
 * EBS_REPORT_MAX in ebs_core_fixes.bpf.h): "R" and "R+" stayed queued,
 * anything else blocked, and X/Z is a dying task's last switch. */
static __always_inline int switch_from_record(struct trace_event_raw_sched_switch *ctx)
{
	long st = ctx->prev_state;
	bool vol = (st & (EBS_REPORT_MAX - 1)) && !(st & EBS_REPORT_MAX);
	bool dead = vol && (st & EBS_REPORT_EXIT);

	return on_switch(false, vol, dead, (__u32)ctx->prev_pid, (__u32)ctx->next_pid, NULL, NULL);
}

EBS_HOOK(sched, sched_switch, (bool preempt, struct task_struct *prev, struct task_struct *next),
	 switch_task(btf, preempt, prev, next), struct trace_event_raw_sched_switch *,
	 switch_from_record(ctx))

/* ---- sched_wakeup, sched_wakeup_new ---- */

/* Not clang-formatted: it reads the parameter list "(struct x *p)" as a
 * multiplication and writes "struct x * p". */
/* clang-format off */
EBS_HOOK(sched, sched_wakeup, (struct task_struct *p),
	 on_wakeup(btf, p, (__u32)RD(btf, p, pid), false),
	 struct trace_event_raw_sched_wakeup_template *,
	 on_wakeup(false, NULL, (__u32)ctx->pid, false))

EBS_HOOK(sched, sched_wakeup_new, (struct task_struct *p),
	 on_wakeup(btf, p, (__u32)RD(btf, p, pid), true),
	 struct trace_event_raw_sched_wakeup_template *,
	 on_wakeup(false, NULL, (__u32)ctx->pid, true))

/* ---- sched_migrate_task ---- */

EBS_HOOK(sched, sched_migrate_task, (struct task_struct *p, int dest_cpu),
	 on_migrate(dest_cpu),
	 struct trace_event_raw_sched_migrate_task *, on_migrate(ctx->dest_cpu))
/* clang-format on */

/* ---- sched_process_fork, _exec, _exit ---- */

EBS_HOOK(sched, sched_process_fork, (), on_proc(PROC_FORK), void *, on_proc(PROC_FORK))

EBS_HOOK(sched, sched_process_exec, (), on_proc(PROC_EXEC), void *, on_proc(PROC_EXEC))

/* Counting only: sched_wakets entries of exiting threads go at their last
 * switch-out, which every exit has, hook or not (sched_twakets slots with
 * the task). */
EBS_HOOK(sched, sched_process_exit, (), on_proc(PROC_EXIT), void *, on_proc(PROC_EXIT))

/* collect_cgroups only: a moved task's cached row is stale
 * (ebs_cgroup.bpf.h). */
/* clang-format off */
EBS_HOOK(cgroup, cgroup_attach_task,
	 (struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup),
	 ebs_cg_moved(), void *, ebs_cg_moved())
/* clang-format on */

char LICENSE[] SEC("license") = "GPL";
