/* Scheduler module: sched_switch counts switches per CPU, closes
 * run-queue waits that sched_wakeup/_new (or a preemption) opened and adds
 * the slice that ended to its process's on-CPU time; sched_migrate_task
 * counts arrivals per CPU; fork/exec/exit are counted.  read() turns each
 * CPU's copy of sched_cpu into that CPU's row, sums the rows into the
 * totals and walks the process table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "sched.h"
#include "sched.skel.h"

_Static_assert(sizeof(struct ebs_sched_cpu) % sizeof(uint64_t) == 0,
	       "ebs_sched_cpu is read as u64 words");
_Static_assert(EBS_HIST_SLOTS == sizeof(((struct ebs_hist *)0)->slot) / sizeof(uint64_t),
	       "kernel and snapshot histograms differ in size");

enum { MAP_CPU, MAP_MIGR, MAP_PROCS, MAP_CG, MAP_CG_LAST = MAP_CG + EBS_CGM_COUNT - 1 };
/* Indexes into sched_hooks[]: the hooks that open and close run-queue
 * waits. */
enum { HOOK_CG_ATTACH, HOOK_SWITCH, HOOK_WAKEUP, HOOK_WAKEUP_NEW };

/* Enqueue times in task storage: the tp_btf programs only (their task
 * pointers are what bpf_task_storage_get() takes), on all three hooks that
 * share them, and task storage with its helper (5.11).  The helper probe
 * uses raw_tp, whose helper set tp_btf shares for this one.
 * EBPFSTATS_TEST_HASH_STATE forces the hash, so tests can run the bounded
 * table on any kernel. */
static bool task_storage_usable(const struct ebs_module *m)
{
	if (ebs_test_flag("EBPFSTATS_TEST_HASH_STATE"))
		return false;
	if (m->chosen[HOOK_SWITCH] != EBS_ATT_BTF || m->chosen[HOOK_WAKEUP] != EBS_ATT_BTF ||
	    m->chosen[HOOK_WAKEUP_NEW] != EBS_ATT_BTF)
		return false;
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_task_storage_get,
				       NULL) == 1;
}

static void sched_destroy(struct ebs_module *m)
{
	sched_bpf__destroy(m->skel);
	m->skel = NULL;
}

static struct bpf_object *sched_open(struct ebs_module *m, const struct ebs_config *cfg, char *err,
				     size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = cfg->btf_path[0] ? cfg->btf_path : NULL);
	struct sched_bpf *skel;
	int ncpus = m->ncpus > 0 ? m->ncpus : libbpf_num_possible_cpus();
	bool task_local;
	int rc;

	if (ncpus <= 0) {
		snprintf(err, errlen, "sched: cannot count possible CPUs: %s", strerror(-ncpus));
		return NULL;
	}
	skel = sched_bpf__open_opts(&opts);
	if (!skel) {
		snprintf(err, errlen, "opening the sched BPF object failed: %s", strerror(errno));
		return NULL;
	}
	m->skel = skel;

	/* Only the enqueue-time map the programs use is created; the verifier
	 * prunes the code of the other one through the task_local knob. */
	task_local = task_storage_usable(m);
	skel->rodata->task_local = task_local;
	rc = bpf_map__set_autocreate(skel->maps.sched_twakets, task_local);
	if (rc == 0)
		rc = bpf_map__set_autocreate(skel->maps.sched_wakets, !task_local);
	if (rc < 0) {
		snprintf(err, errlen, "setting up the sched enqueue-time map failed: %s",
			 strerror(-rc));
		sched_destroy(m);
		return NULL;
	}
	rc = bpf_map__set_max_entries(skel->maps.sched_wakets,
				      cfg->max_threads ? cfg->max_threads : 1);
	if (rc < 0) {
		snprintf(err, errlen, "sizing sched_wakets to %u entries failed: %s",
			 cfg->max_threads, strerror(-rc));
		sched_destroy(m);
		return NULL;
	}
	/* collect_process_cpu off: the code is pruned, the map keeps one entry */
	skel->rodata->proc_cpu = cfg->proc_cpu;
	rc = bpf_map__set_max_entries(skel->maps.sched_procs,
				      cfg->proc_cpu && cfg->max_procs ? cfg->max_procs : 1);
	if (rc < 0) {
		snprintf(err, errlen, "sizing sched_procs to %u entries failed: %s", cfg->max_procs,
			 strerror(-rc));
		sched_destroy(m);
		return NULL;
	}
	rc = bpf_map__set_max_entries(skel->maps.sched_migr, (__u32)ncpus);
	if (rc < 0) {
		snprintf(err, errlen, "sizing sched_migr to %d CPUs failed: %s", ncpus,
			 strerror(-rc));
		sched_destroy(m);
		return NULL;
	}
	if (ebs_cg_setup(skel->obj, "sched", EBS_CG_KNOBS(skel->rodata), cfg, err, errlen) < 0) {
		sched_destroy(m);
		return NULL;
	}
	return skel->obj;
}

static int sched_load(struct ebs_module *m)
{
	struct sched_bpf *skel = m->skel;

	if (sched_bpf__load(skel) < 0)
		return -1;
	return ebs_cg_load(skel->obj, "sched");
}

static void fill_proc(struct ebs_proc_row *row, const void *value)
{
	const struct ebs_sched_proc *v = value;

	memcpy(row->comm, v->comm, sizeof(row->comm));
	row->oncpu_ns = v->oncpu_ns;
}

/* Per-CPU map values come in possible-CPU order, which is the CPU number
 * wherever the possible mask has no holes (every architecture Linux
 * numbers CPUs densely on); sched_migr is indexed by CPU number.  The
 * maps are read before the snapshot is touched, so a failed read leaves
 * it without sched numbers rather than with half of them. */
static int sched_read(struct ebs_module *m, struct ebs_snapshot *s, char *err, size_t errlen)
{
	const size_t stride = ebs_round8(sizeof(struct ebs_sched_cpu));
	const int ncpus = m->ncpus;
	struct ebs_sched_migr *migr = NULL;
	struct ebs_cpu_row *rows = NULL;
	unsigned char *buf = NULL;
	__u32 zero = 0;
	int rc = -1;

	if (ncpus <= 0) {
		snprintf(err, errlen, "sched: no CPU count");
		return -1;
	}
	buf = malloc(stride * (size_t)ncpus);
	migr = calloc((size_t)ncpus, sizeof(*migr));
	rows = calloc((size_t)ncpus, sizeof(*rows));
	if (!buf || !migr || !rows) {
		snprintf(err, errlen, "out of memory for %d CPU rows", ncpus);
		goto out;
	}
	rc = ebs_percpu_lookup(m->map_fd[MAP_CPU], &zero, buf, sizeof(struct ebs_sched_cpu), ncpus);
	if (rc < 0) {
		snprintf(err, errlen, "reading sched_cpu failed: %s", strerror(-rc));
		rc = -1;
		goto out;
	}
	for (__u32 c = 0; c < (__u32)ncpus; c++)
		/* ENOENT: pins loaded on a boot with fewer possible CPUs */
		if (bpf_map_lookup_elem(m->map_fd[MAP_MIGR], &c, &migr[c]) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "reading sched_migr[%u] failed: %s", c,
				 strerror(errno));
			rc = -1;
			goto out;
		}
	/* the last read: it leaves s->procs as it was when it fails */
	if (s->views.proc_cpu &&
	    ebs_procs_read(m->map_fd[MAP_PROCS], "sched_procs", sizeof(struct ebs_sched_proc),
			   fill_proc, s, err, errlen) < 0) {
		rc = -1;
		goto out;
	}

	for (int c = 0; c < ncpus; c++) {
		const struct ebs_sched_cpu *v =
			(const struct ebs_sched_cpu *)(buf + stride * (size_t)c);
		struct ebs_cpu_row *r = &rows[c];

		r->cpu = (uint32_t)c;
		r->switches_vol = v->switches_vol;
		r->switches_invol = v->switches_invol;
		r->migrations = migr[c].migrations;
		r->runq_samples = v->runq_samples;
		ebs_hist_add(&r->runq, v->runq);

#define ADD(f, ...) s->sched.f += v->f;
		EBS_SCHED_COUNTERS(ADD)
#undef ADD
		s->sched.migrations += migr[c].migrations;
		ebs_hist_add(&s->sched.runq, v->runq);
	}
	s->cpus = rows;
	s->n_cpus = (uint32_t)ncpus;
	rows = NULL;

#define EVENTS(f, id, role, ...) +(EBS_CTR_IS(role, EVENT) ? s->sched.f : 0)
#define OVERFLOWS(f, id, role, ...) +(EBS_CTR_IS(role, OVERFLOW) ? s->sched.f : 0)
	s->modules[EBS_FAM_SCHED].events = 0 EBS_SCHED_COUNTERS(EVENTS);
	s->modules[EBS_FAM_SCHED].overflows = 0 EBS_SCHED_COUNTERS(OVERFLOWS);
#undef EVENTS
#undef OVERFLOWS
	rc = ebs_cg_read(m, s, EBS_FAM_SCHED, &m->map_fd[MAP_CG], err, errlen);
out:
	free(buf);
	free(migr);
	free(rows);
	return rc;
}

/* The core attaches in this order: the per-cgroup rows' move keeper first
 * (no program caches a row across a move it missed), then sched_switch,
 * so the consumer of enqueue times is in place before the producers
 * start. */
static const struct ebs_hook sched_hooks[] = {
	[HOOK_CG_ATTACH] = {"cgroup", "cgroup_attach_task", "cgroup_attach_task_btf",
			    "cgroup_attach_task_raw", "cgroup_attach_task_tp", .optional = false,
			    .cgroups = true},
	[HOOK_SWITCH] = {"sched", "sched_switch", "sched_switch_btf", "sched_switch_raw",
			 "sched_switch_tp", .optional = false},
	[HOOK_WAKEUP] = {"sched", "sched_wakeup", "sched_wakeup_btf", "sched_wakeup_raw",
			 "sched_wakeup_tp", .optional = false},
	[HOOK_WAKEUP_NEW] = {"sched", "sched_wakeup_new", "sched_wakeup_new_btf",
			     "sched_wakeup_new_raw", "sched_wakeup_new_tp", .optional = false},
	{"sched", "sched_migrate_task", "sched_migrate_task_btf", "sched_migrate_task_raw",
	 "sched_migrate_task_tp", .optional = true},
	{"sched", "sched_process_fork", "sched_process_fork_btf", "sched_process_fork_raw",
	 "sched_process_fork_tp", .optional = true},
	{"sched", "sched_process_exec", "sched_process_exec_btf", "sched_process_exec_raw",
	 "sched_process_exec_tp", .optional = true},
	{"sched", "sched_process_exit", "sched_process_exit_btf", "sched_process_exit_raw",
	 "sched_process_exit_tp", .optional = true},
};

static const char *const sched_maps[] = {
	[MAP_CPU] = "sched_cpu",
	[MAP_MIGR] = "sched_migr",
	[MAP_PROCS] = "sched_procs",
	[MAP_CG] = EBS_CG_MAP_NAMES(sched),
};

const struct ebs_module_ops ebs_module_sched = {
	.name = "sched",
	.family = EBS_FAM_SCHED,
	.hooks = sched_hooks,
	.n_hooks = sizeof(sched_hooks) / sizeof(sched_hooks[0]),
	.maps = sched_maps,
	.n_maps = sizeof(sched_maps) / sizeof(sched_maps[0]),
	.open = sched_open,
	.load = sched_load,
	.read = sched_read,
	.destroy = sched_destroy,
};
