/* Per-cgroup rows (collect_cgroups, bpf/cgroup.h), the kernel side: the
 * knobs, a family's two maps, the cgroup id of the current task, of
 * another task and of a socket, and the row lookup that counts inserts and
 * failures.  Each family's object includes this once and calls its small
 * helpers from its existing hooks; with cg_on false the verifier prunes
 * every one of them. */
#ifndef EBS_CGROUP_BPF_H
#define EBS_CGROUP_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "cgroup.h"
#include "ebs_core_fixes.bpf.h"

/* Knobs, set through the skeleton's rodata before load. */
const volatile bool cg_on = false;
/* Rows are the ancestors this many levels below the root (the root is
 * level 0, system.slice level 1, system.slice/nginx.service level 2). */
const volatile __u32 cg_depth = 2;

/* A family's table: cgroup id -> vtype, per CPU, LRU; user space sizes it
 * from map_sizes.cgroups (1 entry when collect_cgroups is off).  The zero
 * value an insert copies lives in .bss: a value is too large for the
 * stack. */
#define EBS_CG_MAPS(fam, vtype)                                                                    \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);                                        \
		__uint(max_entries, 512);                                                          \
		__type(key, __u64);                                                                \
		__type(value, vtype);                                                              \
	} cg_##fam SEC(".maps");                                                                   \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, EBS_CG_NCTR);                                                  \
		__type(key, __u32);                                                                \
		__type(value, __u64);                                                              \
	} cg_ctr_##fam SEC(".maps");                                                               \
	static vtype cg_zero_##fam

static __always_inline void ebs_cg_ctr(void *ctr, __u32 i)
{
	__u64 *c = bpf_map_lookup_elem(ctr, &i);

	if (c)
		*c += 1;
}

/* This CPU's value of id's row in map, inserted on first use; NULL when
 * the id is unknown (0) or the insert failed, both counted. */
static __always_inline void *ebs_cg_row(void *map, void *ctr, __u64 id, void *zero)
{
	void *v;
	long err;

	if (!id) {
		ebs_cg_ctr(ctr, EBS_CG_C_UNATTRIBUTED);
		return NULL;
	}
	v = bpf_map_lookup_elem(map, &id);
	if (v)
		return v;
	/* an LRU insert evicts the least recently used row when full; it
	 * fails only when no row could be freed on this CPU */
	err = bpf_map_update_elem(map, &id, zero, BPF_NOEXIST);
	if (err && err != -EBS_EEXIST) {
		ebs_cg_ctr(ctr, EBS_CG_C_FAILED);
		return NULL;
	}
	if (!err)
		ebs_cg_ctr(ctr, EBS_CG_C_INSERTS);
	return bpf_map_lookup_elem(map, &id);
}

/* The current task's row id: two helper calls at most, no reads. */
static __always_inline __u64 ebs_cg_current(void)
{
	__u64 id = bpf_get_current_ancestor_cgroup_id(cg_depth);

	/* 0: the task's cgroup is shallower than cg_depth, it is its own row */
	return id ? id : bpf_get_current_cgroup_id();
}

#ifdef EBS_CG_WANT_SLOT
/* The current task's row id, kept per CPU with the task it belongs to, so
 * that a family whose events come from the current task (a system call)
 * pays the ancestor lookup once per task turn instead of once per event:
 * valid while task is the current task and gen is cg_gen.  The object's
 * cgroup_attach_task program bumps cg_gen after a move (of any task, maybe
 * one running on another CPU: every slot is stale), and so does its
 * sched_process_fork program: a new task may reuse a freed task's address
 * (and start in another cgroup with CLONE_INTO_CGROUP), and it is created
 * before it first runs.  The next event recomputes. */
struct ebs_cg_slot {
	__u64 gen;
	__u64 task;
	__u64 id;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebs_cg_slot);
} cg_slot SEC(".maps");

static __u64 cg_gen;

/* cgroup_attach_task and sched_process_fork. */
static __always_inline int ebs_cg_slot_stale(void)
{
	if (cg_on)
		__sync_fetch_and_add(&cg_gen, 1);
	return 0;
}

static __always_inline __u64 ebs_cg_current_slot(void)
{
	struct ebs_cg_slot *s;
	__u32 zero = 0;
	__u64 gen, task;

	s = bpf_map_lookup_elem(&cg_slot, &zero);
	if (!s)
		return ebs_cg_current();
	/* gen before the lookup: a move between the two leaves the slot
	 * stale-marked, never a stale id marked fresh */
	gen = *(volatile __u64 *)&cg_gen;
	task = bpf_get_current_task();
	if (s->task == task && s->gen == gen && s->id)
		return s->id;
	s->id = ebs_cg_current();
	s->task = task;
	s->gen = gen;
	return s->id;
}
#define EBS_CG_CURRENT() ebs_cg_current_slot()
#else
#define EBS_CG_CURRENT() ebs_cg_current()
#endif

/* struct cgroup before 6.1 kept the ancestors' ids, since then pointers to
 * the ancestors (cgroup->ancestors[level]->kn->id). */
struct cgroup___ebs_ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

struct cgroup___ebs_ptrs {
	int level;
	struct cgroup *ancestors[];
} __attribute__((preserve_access_index));

/* The row id of cgroup cg (any pointer: probe reads). */
static __always_inline __u64 ebs_cg_of(struct cgroup *cg)
{
	__u32 level, at;

	if (!cg)
		return 0;
	level = (__u32)BPF_CORE_READ(cg, level);
	at = level > cg_depth ? cg_depth : level;
	if (bpf_core_field_exists(struct cgroup___ebs_ids, ancestor_ids)) {
		struct cgroup___ebs_ids *o = (void *)cg;
		__u64 *ids = __builtin_preserve_access_index(&o->ancestor_ids[0]);
		__u64 id = 0;

		if (at > 255 || bpf_probe_read_kernel(&id, sizeof(id), ids + at))
			return 0;
		return id;
	}
	if (bpf_core_field_exists(struct cgroup___ebs_ptrs, ancestors) && level > cg_depth) {
		struct cgroup___ebs_ptrs *n = (void *)cg;
		struct cgroup **anc = __builtin_preserve_access_index(&n->ancestors[0]);

		if (bpf_probe_read_kernel(&cg, sizeof(cg), anc + cg_depth) || !cg)
			return 0;
	}
	return BPF_CORE_READ(cg, kn, id);
}

/* Another task's row id (the OOM victim). */
static __always_inline __u64 ebs_cg_of_task(struct task_struct *t)
{
	return t ? ebs_cg_of(BPF_CORE_READ(t, cgroups, dfl_cgrp)) : 0;
}

/* A socket's row id: the cgroup of the task that created it (5.15+ keeps
 * a plain pointer in sk_cgrp_data; earlier packed layouts are not read). */
static __always_inline __u64 ebs_cg_of_sock(const struct sock *sk)
{
	if (!sk || !bpf_core_field_exists(struct sock_cgroup_data, cgroup))
		return 0;
	return ebs_cg_of(BPF_CORE_READ(sk, sk_cgrp_data.cgroup));
}

/* ---- the families' helpers: each object defines its EBS_CG_WANT_* ---- */

#ifdef EBS_CG_WANT_SYS
EBS_CG_MAPS(sys, struct ebs_cg_sys);

/* sys_exit: one call of the current task; lat only when timed. */
static __always_inline void ebs_cg_syscall(bool error, bool timed, __u64 lat)
{
	struct ebs_cg_sys *r;

	if (!cg_on)
		return;
	r = ebs_cg_row(&cg_sys, &cg_ctr_sys, EBS_CG_CURRENT(), &cg_zero_sys);
	if (!r)
		return;
	r->calls++;
	if (error)
		r->errors++;
	if (timed) {
		r->lat_ns += lat;
		r->hist[ebs_cg_hist_bucket(lat)]++;
	}
}
#endif

#ifdef EBS_CG_WANT_SCHED
EBS_CG_MAPS(sched, struct ebs_cg_sched);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ebs_cg_cpu);
} cg_cpu SEC(".maps");

/* sched_switch, before anything else: prev (the current task) leaves the
 * CPU, so its on-CPU time since it switched in, the run-queue wait that
 * preceded that, and this switch go to its row; next starts its turn. */
static __always_inline void ebs_cg_switch(bool vol, __u32 prev_pid, __u32 next_pid, __u64 now)
{
	struct ebs_cg_sched *r;
	struct ebs_cg_cpu *c;
	__u32 zero = 0;

	if (!cg_on)
		return;
	c = bpf_map_lookup_elem(&cg_cpu, &zero);
	if (!c)
		return;
	if (prev_pid) {
		r = ebs_cg_row(&cg_sched, &cg_ctr_sched, ebs_cg_current(), &cg_zero_sched);
		if (r) {
			if (vol)
				r->switches_vol++;
			else
				r->switches_invol++;
			if (c->in_ns && now > c->in_ns)
				r->oncpu_ns += now - c->in_ns;
			if (c->waited) {
				r->runq_ns += c->wait_ns;
				r->runq_samples++;
				r->runq[ebs_cg_hist_bucket(c->wait_ns)]++;
			}
		}
	}
	/* the idle task (pid 0) has no row */
	c->in_ns = next_pid ? now : 0;
	c->waited = 0;
}

/* sched_switch: next waited this long on the run queue; counted in its
 * row at its switch-out. */
static __always_inline void ebs_cg_waited(__u64 wait)
{
	struct ebs_cg_cpu *c;
	__u32 zero = 0;

	if (!cg_on)
		return;
	c = bpf_map_lookup_elem(&cg_cpu, &zero);
	if (!c)
		return;
	c->wait_ns = wait;
	c->waited = 1;
}
#endif

#ifdef EBS_CG_WANT_TCP
EBS_CG_MAPS(tcp, struct ebs_cg_tcp);

/* TCP events run in softirq as often as in the socket's task: the row is
 * the socket's cgroup, never the current task's. */
static __always_inline struct ebs_cg_tcp *ebs_cg_tcp_row(const struct sock *sk)
{
	if (!cg_on)
		return NULL;
	return ebs_cg_row(&cg_tcp, &cg_ctr_tcp, ebs_cg_of_sock(sk), &cg_zero_tcp);
}

static __always_inline void ebs_cg_tcp_open(const struct sock *sk, bool passive)
{
	struct ebs_cg_tcp *r = ebs_cg_tcp_row(sk);

	if (r && passive)
		r->passive_opens++;
	else if (r)
		r->active_opens++;
}

static __always_inline void ebs_cg_tcp_bytes(const struct sock *sk, __u64 in, __u64 out)
{
	struct ebs_cg_tcp *r = ebs_cg_tcp_row(sk);

	/* atomic: the TCP socket iterator adds here in process context,
	 * where a softirq's CLOSE on this CPU can interrupt it */
	if (r) {
		__sync_fetch_and_add(&r->bytes_in, in);
		__sync_fetch_and_add(&r->bytes_out, out);
	}
}

static __always_inline void ebs_cg_tcp_retransmit(const struct sock *sk)
{
	struct ebs_cg_tcp *r = ebs_cg_tcp_row(sk);

	if (r)
		r->retransmits++;
}

/* sk NULL (a reset answering no socket): no row */
static __always_inline void ebs_cg_tcp_reset(const struct sock *sk)
{
	struct ebs_cg_tcp *r = sk ? ebs_cg_tcp_row(sk) : NULL;

	if (r)
		r->resets++;
}
#endif

#ifdef EBS_CG_WANT_MEM
EBS_CG_MAPS(mem, struct ebs_cg_mem);

static __always_inline void ebs_cg_fault(void)
{
	struct ebs_cg_mem *r;

	if (!cg_on)
		return;
	r = ebs_cg_row(&cg_mem, &cg_ctr_mem, EBS_CG_CURRENT(), &cg_zero_mem);
	if (r)
		r->faults++;
}

/* t: the victim, NULL when the kernel passes only its pid (before 6.8):
 * then the kill is unattributed. */
static __always_inline void ebs_cg_oom(struct task_struct *t)
{
	struct ebs_cg_mem *r;

	if (!cg_on)
		return;
	r = ebs_cg_row(&cg_mem, &cg_ctr_mem, ebs_cg_of_task(t), &cg_zero_mem);
	if (r)
		r->oom_kills++;
}
#endif

#endif
