/* Memory module: page faults (user and kernel) in total and per process,
 * OOM kills with the last victim, and with collect_page_allocs the pages
 * the page allocator hands out and takes back.  The page-fault tracepoints exist on x86
 * only; elsewhere the module runs degraded with the reason naming them, and
 * OOM kills are still counted.  read() sums the per-CPU counters and walks
 * the process table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "memory.skel.h"
#include "module.h"

_Static_assert(sizeof(struct ebs_mem_stats) % sizeof(uint64_t) == 0,
	       "ebs_mem_stats is summed as u64 words");

#define MEM_STATS_WORDS (sizeof(struct ebs_mem_stats) / sizeof(uint64_t))

enum { MAP_STATS, MAP_PROCS, MAP_OOM, MAP_CG, MAP_CG_LAST = MAP_CG + EBS_CGM_COUNT - 1 };

/* read()'s state: the last victim's cgroup, resolved once per victim. */
struct mem_priv {
	uint64_t seq; /* mem_oom's seq when resolved */
	char cgroup[EBS_CG_NAME_LEN];
};

static void mem_destroy(struct ebs_module *m)
{
	memory_bpf__destroy(m->skel);
	m->skel = NULL;
	free(m->priv);
	m->priv = NULL;
}

static struct bpf_object *mem_open(struct ebs_module *m, const struct ebs_config *cfg, char *err,
				   size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = cfg->btf_path[0] ? cfg->btf_path : NULL);
	struct memory_bpf *skel = memory_bpf__open_opts(&opts);
	int rc;

	if (!skel) {
		snprintf(err, errlen, "opening the memory BPF object failed: %s", strerror(errno));
		return NULL;
	}
	m->skel = skel;
	rc = bpf_map__set_max_entries(skel->maps.mem_procs,
				      cfg->max_threads ? cfg->max_threads : 1);
	if (rc < 0) {
		snprintf(err, errlen, "sizing mem_procs to max_threads %u failed: %s",
			 cfg->max_threads, strerror(-rc));
		mem_destroy(m);
		return NULL;
	}
	if (ebs_cg_setup(skel->obj, "mem", EBS_CG_KNOBS(skel->rodata), cfg, err, errlen) < 0) {
		mem_destroy(m);
		return NULL;
	}
	return skel->obj;
}

static int mem_load(struct ebs_module *m)
{
	struct memory_bpf *skel = m->skel;

	if (memory_bpf__load(skel) < 0)
		return -1;
	return ebs_cg_load(skel->obj, "mem");
}

static void fill_proc(struct ebs_proc_row *row, const void *value)
{
	const struct ebs_mem_proc *v = value;

	memcpy(row->comm, v->comm, sizeof(row->comm));
	row->faults_user = v->faults_user;
	row->faults_kernel = v->faults_kernel;
}

/* The last victim's cgroup path, looked up in the cgroup2 mount once per
 * victim: at the first snapshot after the kill, while the cgroup most
 * likely still exists (a walk of the tree, for a rare event).  Whatever
 * collect_cgroups says. */
static void oom_cgroup(struct ebs_module *m, const struct ebs_mem_oom *oom, char *buf, size_t len)
{
	struct mem_priv *p = m->priv;

	if (!p) {
		p = m->priv = calloc(1, sizeof(*p));
		if (!p) {
			buf[0] = '\0';
			return;
		}
	}
	if (p->seq != oom->seq) {
		p->seq = oom->seq;
		ebs_cg_path_of(oom->cgroup_id, p->cgroup, sizeof(p->cgroup));
	}
	snprintf(buf, len, "%s", oom->seq ? p->cgroup : "");
}

static int mem_read(struct ebs_module *m, struct ebs_snapshot *s, char *err, size_t errlen)
{
	struct ebs_mem_stats st;
	struct ebs_mem_oom oom;
	uint32_t zero = 0;
	int r;

	r = ebs_percpu_sum(m->map_fd[MAP_STATS], &zero, sizeof(st), m->ncpus, (uint64_t *)&st,
			   MEM_STATS_WORDS);
	if (r < 0) {
		snprintf(err, errlen, "reading mem_stats failed: %s", strerror(-r));
		return -1;
	}
	memset(&oom, 0, sizeof(oom));
	if (bpf_map_lookup_elem(m->map_fd[MAP_OOM], &zero, &oom) < 0) {
		snprintf(err, errlen, "reading mem_oom failed: %s", strerror(errno));
		return -1;
	}
	if (ebs_procs_read(m->map_fd[MAP_PROCS], "mem_procs", sizeof(struct ebs_mem_proc),
			   fill_proc, s, err, errlen) < 0)
		return -1;
#define COPY(f, ...) s->mem.f = st.f;
	EBS_MEM_COUNTERS(COPY)
#undef COPY
	s->mem.oom_last_pid = oom.seq ? oom.pid : 0;
	memcpy(s->mem.oom_last_comm, oom.comm, sizeof(s->mem.oom_last_comm));
	s->mem.oom_last_comm[sizeof(s->mem.oom_last_comm) - 1] = '\0';
	s->mem.oom_last_cgroup_id = oom.seq ? oom.cgroup_id : 0;
	oom_cgroup(m, &oom, s->mem.oom_last_cgroup, sizeof(s->mem.oom_last_cgroup));
#define EVENTS(f, id, role, ...) +(EBS_CTR_IS(role, EVENT) ? st.f : 0)
#define OVERFLOWS(f, id, role, ...) +(EBS_CTR_IS(role, OVERFLOW) ? st.f : 0)
	s->modules[EBS_FAM_MEMORY].events = 0 EBS_MEM_COUNTERS(EVENTS);
	s->modules[EBS_FAM_MEMORY].overflows = 0 EBS_MEM_COUNTERS(OVERFLOWS);
#undef EVENTS
#undef OVERFLOWS
	return ebs_cg_read(m, s, EBS_FAM_MEMORY, &m->map_fd[MAP_CG], err, errlen);
}

/* All optional: without the x86-only fault tracepoints the module still
 * counts OOM kills, and says in its reason which hooks are missing. */
static const struct ebs_hook mem_hooks[] = {
	{"cgroup", "cgroup_attach_task", "cgroup_attach_task_btf", "cgroup_attach_task_raw",
	 "cgroup_attach_task_tp", .optional = false, .cgroups = true},
	{"exceptions", "page_fault_user", "page_fault_user_btf", "page_fault_user_raw",
	 "page_fault_user_tp", .optional = true},
	{"exceptions", "page_fault_kernel", "page_fault_kernel_btf", "page_fault_kernel_raw",
	 "page_fault_kernel_tp", .optional = true},
	{"oom", "mark_victim", "mark_victim_btf", "mark_victim_raw", "mark_victim_tp",
	 .optional = true},
	{"sched", "sched_process_exit", "sched_process_exit_btf", "sched_process_exit_raw",
	 "sched_process_exit_tp", .optional = true},
	{"kmem", "mm_page_alloc", "mm_page_alloc_btf", "mm_page_alloc_raw", "mm_page_alloc_tp",
	 .optional = true, .page_allocs = true},
	{"kmem", "mm_page_free", "mm_page_free_btf", "mm_page_free_raw", "mm_page_free_tp",
	 .optional = true, .page_allocs = true},
};

static const char *const mem_maps[] = {
	[MAP_STATS] = "mem_stats",
	[MAP_PROCS] = "mem_procs",
	[MAP_OOM] = "mem_oom",
	[MAP_CG] = EBS_CG_MAP_NAMES(mem),
};

const struct ebs_module_ops ebs_module_memory = {
	.name = "memory",
	.family = EBS_FAM_MEMORY,
	.hooks = mem_hooks,
	.n_hooks = sizeof(mem_hooks) / sizeof(mem_hooks[0]),
	.maps = mem_maps,
	.n_maps = sizeof(mem_maps) / sizeof(mem_maps[0]),
	.open = mem_open,
	.load = mem_load,
	.read = mem_read,
	.destroy = mem_destroy,
};
