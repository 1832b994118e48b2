/* Per-cgroup rows (collect_cgroups, bpf/cgroup.h), the kernel side: the
 * knobs, a family's maps, the cgroup id of the current task, of another
 * task and of a socket, and the row assignment that counts inserts and
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
/* bpf_get_current_task_btf() (5.11): the current task's start time is a
 * plain load; else a probe read. */
const volatile bool cg_task_btf = false;

/* A family's table (bpf/cgroup.h): its rows in a per-CPU array, the
 * cgroup id -> row index map that assigns them, the index -> id map that
 * says which cgroup holds a row now (0: free), the free row indices (user
 * space fills the queue at load and pushes back the rows it recycles),
 * the counters, and this CPU's cache.  User space sizes the first four
 * from map_sizes.cgroups (1 row when collect_cgroups is off). */
#define EBS_CG_MAPS(fam, vtype)                                                                    \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, 512);                                                          \
		__type(key, __u32);                                                                \
		__type(value, vtype);                                                              \
	} cg_##fam SEC(".maps");                                                                   \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, 512);                                                          \
		__type(key, __u64);                                                                \
		__type(value, __u32);                                                              \
	} cg_ids_##fam SEC(".maps");                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, 512);                                                          \
		__type(key, __u32);                                                                \
		__type(value, __u64);                                                              \
	} cg_rid_##fam SEC(".maps");                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_QUEUE);                                                  \
		__uint(max_entries, 512);                                                          \
		__type(value, __u32);                                                              \
	} cg_free_##fam SEC(".maps");                                                              \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, EBS_CG_NCTR);                                                  \
		__type(key, __u32);                                                                \
		__type(value, __u64);                                                              \
	} cg_ctr_##fam SEC(".maps");                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, struct ebs_cg_cache);                                                \
	} cg_cache_##fam SEC(".maps")

/* The maps of one family, as the helpers below take them. */
#define EBS_CG_T(fam)                                                                              \
	(&cg_##fam), (&cg_cache_##fam), (&cg_ids_##fam), (&cg_rid_##fam), (&cg_free_##fam),        \
		(&cg_ctr_##fam)

/* This CPU's cache in front of the id -> index hash: which row a task
 * (its thread id and start time, and the move generation cg_gen) or a
 * socket's cgroup (its id) had last, direct-mapped.  A hit costs this
 * CPU's cache line and the row: no helper but the task's, no hash, no
 * ancestor walk, and no page the event does not touch anyway (a context
 * switch is where every further page costs a TLB miss).  A row names its
 * owner in each CPU's copy (owner, bpf/cgroup.h): a row user space
 * recycled has none there, so an entry naming it misses.  tag is written
 * last and covers the entry, so one that a nested program (a softirq's
 * TCP event) half overwrote reads as a miss. */
#define EBS_CG_CACHE 16

struct ebs_cg_cache {
	struct ebs_cg_cpu cpu; /* the sched object's per-CPU state */
	struct {
		__u64 k1, k2, k3;
		__u64 rid; /* the row's owner when cached */
		__u64 tag;
		__u32 idx;
		__u32 pad;
	} e[EBS_CG_CACHE];
};

static __always_inline __u64 ebs_cg_tag(__u64 k1, __u64 k2, __u64 k3, __u64 rid, __u32 idx)
{
	return ((k1 ^ k2 ^ k3) * 0x9e3779b97f4a7c15ULL) ^ (rid * 0xff51afd7ed558ccdULL) ^ idx;
}

static __always_inline void ebs_cg_ctr(void *ctr, __u32 i)
{
	__u64 *c = bpf_map_lookup_elem(ctr, &i);

	if (c)
		*c += 1;
}

/* The row index of cgroup id, assigned on first use from the free queue;
 * -1 when the id is unknown (0) or no row is free, both counted. */
static __always_inline long ebs_cg_index(void *ids, void *rid, void *free, void *ctr, __u64 id)
{
	__u32 *p, i;
	__u64 *r;
	long err;

	if (!id) {
		ebs_cg_ctr(ctr, EBS_CG_C_UNATTRIBUTED);
		return -1;
	}
	p = bpf_map_lookup_elem(ids, &id);
	if (p)
		return *p;
	if (bpf_map_pop_elem(free, &i)) {
		ebs_cg_ctr(ctr, EBS_CG_C_FAILED);
		return -1;
	}
	/* the row's owner first: a task cache checks it, and user space
	 * names rows by it */
	r = bpf_map_lookup_elem(rid, &i);
	if (r)
		*r = id;
	err = bpf_map_update_elem(ids, &id, &i, BPF_NOEXIST);
	if (!err) {
		ebs_cg_ctr(ctr, EBS_CG_C_INSERTS);
		return i;
	}
	/* another CPU assigned id a row meanwhile: ours goes back (a
	 * reader that saw cg_rid name id here finds the hash disagree and
	 * leaves the row alone); a push that fails loses the row until
	 * user space notices the failures and recycles */
	if (r)
		*r = 0;
	if (bpf_map_push_elem(free, &i, 0))
		ebs_cg_ctr(ctr, EBS_CG_C_FAILED);
	p = err == -EBS_EEXIST ? bpf_map_lookup_elem(ids, &id) : NULL;
	if (p)
		return *p;
	ebs_cg_ctr(ctr, EBS_CG_C_FAILED);
	return -1;
}

/* The current task's row id: two helper calls at most, no reads. */
static __always_inline __u64 ebs_cg_current(void)
{
	__u64 id = bpf_get_current_ancestor_cgroup_id(cg_depth);

	/* 0: the task's cgroup is shallower than cg_depth, it is its own row */
	return id ? id : bpf_get_current_cgroup_id();
}

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

/* Moves: cgroup_attach_task bumps it (for any task moved, maybe one
 * running on another CPU, maybe a whole thread group: every entry of a
 * task is stale).  The programs read it before they look a row up, so a
 * move in between leaves the entry stale-marked, never a stale row marked
 * fresh. */
static __u64 cg_gen;

static __always_inline int ebs_cg_moved(void)
{
	if (cg_on)
		__sync_fetch_and_add(&cg_gen, 1);
	return 0;
}

/* Row idx of cgroup id on this CPU, its owner there set: the row is id's
 * (cg_rid) unless user space recycled it since the hash said so.  The
 * owner is written before cg_rid is read again: user space clears cg_rid
 * before it zeroes the row, so a recycling in between either zeroes our
 * owner afterwards or shows here, and no CPU's copy of a freed row keeps
 * naming its old cgroup.  NULL (no row: the row changed hands) is counted
 * in the insert failures. */
static __always_inline __u64 *ebs_cg_owned(void *rows, void *rid, void *ctr, __u32 idx, __u64 id)
{
	__u64 *o = bpf_map_lookup_elem(rows, &idx), *r;

	if (!o || *o == id)
		return o;
	r = bpf_map_lookup_elem(rid, &idx);
	if (!r || *r != id)
		goto lost;
	*o = id;
	/* a locked add (x86): the store above is visible before the load */
	__sync_fetch_and_add(o, 0);
	if (*(volatile __u64 *)r == id)
		return o;
	*o = 0;
lost:
	ebs_cg_ctr(ctr, EBS_CG_C_FAILED);
	return NULL;
}

/* The row of the cache's keys k1..k3 (slot: their entry), on this CPU:
 * the entry's row when it is still its owner's, else the row of cg's
 * ancestor (the current task's when cg is NULL) through the hash, cached.
 * NULL: no row (counted). */
static __always_inline void *ebs_cg_cached(void *rows, void *cache, void *ids, void *rid,
					   void *free, void *ctr, __u32 slot, __u64 k1, __u64 k2,
					   __u64 k3, struct cgroup *cg)
{
	struct ebs_cg_cache *c;
	__u64 *o = NULL, id;
	__u32 zero = 0, i;
	long x;

	slot &= EBS_CG_CACHE - 1;
	c = bpf_map_lookup_elem(cache, &zero);
	if (c && c->e[slot].k1 == k1 && c->e[slot].k2 == k2 && c->e[slot].k3 == k3) {
		i = c->e[slot].idx;
		id = c->e[slot].rid;
		o = bpf_map_lookup_elem(rows, &i);
		if (o && *o == id && c->e[slot].tag == ebs_cg_tag(k1, k2, k3, id, i))
			return o;
	}
	id = cg ? ebs_cg_of(cg) : ebs_cg_current();
	x = ebs_cg_index(ids, rid, free, ctr, id);
	o = x < 0 ? NULL : ebs_cg_owned(rows, rid, ctr, (__u32)x, id);
	if (o && c) {
		c->e[slot].k1 = k1;
		c->e[slot].k2 = k2;
		c->e[slot].k3 = k3;
		c->e[slot].rid = id;
		c->e[slot].idx = (__u32)x;
		c->e[slot].tag = ebs_cg_tag(k1, k2, k3, id, (__u32)x);
	}
	return o;
}

/* The current task's row on this CPU: the task is its thread id and
 * start time (no other task has both); its entry is its thread id's low
 * bits, distinct for the tasks of a pool or a pipeline, which the kernel
 * numbers one after the other. */
static __always_inline void *ebs_cg_task_row(void *rows, void *cache, void *ids, void *rid,
					     void *free, void *ctr)
{
	__u64 gen = *(volatile __u64 *)&cg_gen, start;
	__u32 tid;

	if (cg_task_btf) {
		struct task_struct *task = bpf_get_current_task_btf();

		tid = task->pid;
		start = task->start_time;
	} else {
		tid = (__u32)bpf_get_current_pid_tgid();
		start = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), start_time);
	}
	return ebs_cg_cached(rows, cache, ids, rid, free, ctr, tid, tid, start, gen, NULL);
}

/* A socket's row on this CPU: the cgroup of the task that created it
 * (5.15+ keeps a plain pointer in sk_cgrp_data; earlier packed layouts are
 * not read, their events are unattributed).  btf: sk is a trusted pointer
 * (tp_btf, the iterator), its cgroup's id plain loads; else probe reads. */
static __always_inline void *ebs_cg_sock_row(void *rows, void *cache, void *ids, void *rid,
					     void *free, void *ctr, bool btf, const struct sock *sk)
{
	struct cgroup *cg;
	__u64 own;

	if (!sk || !bpf_core_field_exists(struct sock_cgroup_data, cgroup)) {
		ebs_cg_ctr(ctr, EBS_CG_C_UNATTRIBUTED);
		return NULL;
	}
	cg = RD(btf, sk, sk_cgrp_data.cgroup);
	own = !cg ? 0 : btf ? cg->kn->id : BPF_CORE_READ(cg, kn, id);
	if (!own) {
		ebs_cg_ctr(ctr, EBS_CG_C_UNATTRIBUTED);
		return NULL;
	}
	return ebs_cg_cached(rows, cache, ids, rid, free, ctr, (__u32)own, own, 0, 0, cg);
}

/* ---- the families' helpers: each object defines its EBS_CG_WANT_* ---- */

#ifdef EBS_CG_WANT_SYS
EBS_CG_MAPS(sys, struct ebs_cg_sys);

/* sys_exit: one call of the current task; lat and its bucket in the
 * host-wide histograms, b, only when timed. */
static __always_inline void ebs_cg_syscall(bool error, bool timed, __u64 lat, __u64 b)
{
	struct ebs_cg_sys *r;

	if (!cg_on)
		return;
	r = ebs_cg_task_row(EBS_CG_T(sys));
	if (!r)
		return;
	r->calls++;
	if (error)
		r->errors++;
	if (timed) {
		r->lat_ns += lat;
		r->hist[ebs_cg_hist_of_fine(b)]++;
	}
}
#endif

#ifdef EBS_CG_WANT_SCHED
EBS_CG_MAPS(sched, struct ebs_cg_sched);

/* sched_switch, before anything else: prev (the current task) leaves the
 * CPU, so its on-CPU time since it switched in, the run-queue wait that
 * preceded that, and this switch go to its row; next starts its turn. */
static __always_inline void ebs_cg_switch(bool vol, __u32 prev_pid, __u32 next_pid, __u64 now)
{
	struct ebs_cg_sched *r;
	struct ebs_cg_cache *cc;
	struct ebs_cg_cpu *c;
	__u32 zero = 0;

	if (!cg_on)
		return;
	cc = bpf_map_lookup_elem(&cg_cache_sched, &zero);
	if (!cc)
		return;
	c = &cc->cpu;
	if (prev_pid) {
		r = ebs_cg_task_row(EBS_CG_T(sched));
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
	struct ebs_cg_cache *c;
	__u32 zero = 0;

	if (!cg_on)
		return;
	c = bpf_map_lookup_elem(&cg_cache_sched, &zero);
	if (!c)
		return;
	c->cpu.wait_ns = wait;
	c->cpu.waited = 1;
}
#endif

#ifdef EBS_CG_WANT_TCP
EBS_CG_MAPS(tcp, struct ebs_cg_tcp);

/* TCP events run in softirq as often as in the socket's task: the row is
 * the socket's cgroup, never the current task's. */
static __always_inline struct ebs_cg_tcp *ebs_cg_tcp_row(bool btf, const struct sock *sk)
{
	if (!cg_on)
		return NULL;
	return ebs_cg_sock_row(EBS_CG_T(tcp), btf, sk);
}

static __always_inline void ebs_cg_tcp_open(bool btf, const struct sock *sk, bool passive)
{
	struct ebs_cg_tcp *r = ebs_cg_tcp_row(btf, sk);

	if (r && passive)
		r->passive_opens++;
	else if (r)
		r->active_opens++;
}

static __always_inline void ebs_cg_tcp_bytes(bool btf, const struct sock *sk, __u64 in, __u64 out)
{
	struct ebs_cg_tcp *r = ebs_cg_tcp_row(btf, sk);

	/* atomic: the TCP socket iterator adds here in process context,
	 * where a softirq's CLOSE on this CPU can interrupt it */
	if (r) {
		__sync_fetch_and_add(&r->bytes_in, in);
		__sync_fetch_and_add(&r->bytes_out, out);
	}
}

static __always_inline void ebs_cg_tcp_retransmit(bool btf, const struct sock *sk)
{
	struct ebs_cg_tcp *r = ebs_cg_tcp_row(btf, sk);

	if (r)
		r->retransmits++;
}

/* sk NULL (a reset answering no socket): no row */
static __always_inline void ebs_cg_tcp_reset(bool btf, const struct sock *sk)
{
	struct ebs_cg_tcp *r = sk ? ebs_cg_tcp_row(btf, sk) : NULL;

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
	r = ebs_cg_task_row(EBS_CG_T(mem));
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
	{
		__u64 id = ebs_cg_of_task(t);
		long i = ebs_cg_index(&cg_ids_mem, &cg_rid_mem, &cg_free_mem, &cg_ctr_mem, id);

		r = i < 0 ? NULL
			  : (void *)ebs_cg_owned(&cg_mem, &cg_rid_mem, &cg_ctr_mem, (__u32)i, id);
	}
	if (r)
		r->oom_kills++;
}
#endif

#endif
