/* Internal: one module per metric family (PCP pmdabpf's pattern).  The core
 * (core.c) does everything generic: probing each hook, picking tp_btf /
 * raw_tp / tracepoint per hook, attaching, pinning and reusing pins, BPF
 * stats.  A module only says which hooks and maps it has, sets its knobs
 * before load and turns its maps into snapshot fields. */
#ifndef EBS_MODULE_H
#define EBS_MODULE_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ebpfstats.h"

#define EBS_MAX_HOOKS 12
#define EBS_MAX_MAPS 12

/* One tracepoint and up to three programs implementing it.  The core keeps
 * exactly one of them autoloaded: tp_btf when vmlinux BTF has the
 * btf_trace_<event> typedef, else raw_tp, else the classic tracepoint (needs
 * tracefs).  A NULL program name means that flavour does not exist.  A hook
 * may have a second set of programs (alt_*), which the core takes instead
 * when the module's open() sets m->alt. */
struct ebs_hook {
	const char *category, *event;
	const char *prog_btf, *prog_raw, *prog_tp;
	bool optional;	  /* the module runs DEGRADED without it */
	bool latency;	  /* only wanted when cfg->syscall_latency */
	bool cgroups;	  /* only wanted when cfg->cgroups */
	bool page_allocs; /* only wanted when cfg->page_allocs */
	bool rtt_seg;	  /* only wanted when cfg->tcp_rtt_seg */
	const char *alt_btf, *alt_raw, *alt_tp;
};

enum ebs_attach_kind { EBS_ATT_NONE, EBS_ATT_BTF, EBS_ATT_RAW, EBS_ATT_TP };

/* Whether a hook is wanted with these settings: those of a view that is
 * off are neither probed nor attached. */
static inline bool ebs_hook_wanted(const struct ebs_hook *hk, const struct ebs_config *cfg)
{
	return (!hk->latency || cfg->syscall_latency) && (!hk->cgroups || cfg->cgroups) &&
	       (!hk->page_allocs || cfg->page_allocs) && (!hk->rtt_seg || cfg->tcp_rtt_seg);
}

struct ebs_module;

struct ebs_module_ops {
	const char *name; /* also the pin sub-directory */
	enum ebs_family family;
	const struct ebs_hook *hooks;
	unsigned n_hooks;
	/* Maps read by read(); resolved to map_fd[] by name from the loaded
	 * object or from the pins. */
	const char *const *maps;
	unsigned n_maps;
	/* Opens the skeleton, applies cfg to rodata and map sizes, returns the
	 * bpf_object (owned by the module) or NULL with err. */
	struct bpf_object *(*open)(struct ebs_module *m, const struct ebs_config *cfg, char *err,
				   size_t errlen);
	/* Loads the opened skeleton (autoload already decided by the core). */
	int (*load)(struct ebs_module *m);
	/* Adds this module's numbers to the snapshot; m->map_fd[] are valid. */
	int (*read)(struct ebs_module *m, struct ebs_snapshot *s, char *err, size_t errlen);
	/* Frees the skeleton (NULL-safe on m->skel). */
	void (*destroy)(struct ebs_module *m);
	/* A BPF iterator read() runs at each snapshot (m->iter_fd), or NULL.
	 * iter_prog (iter_prog_alt when m->alt) is loaded where vmlinux BTF
	 * has the context struct iter_btf; the core attaches it, pins its link
	 * (links/iter) and hands readers of the pins the pinned link.  Where
	 * it cannot load the module runs DEGRADED, its reason naming iter_name
	 * and saying what iter_fallback says. */
	const char *iter_prog, *iter_prog_alt, *iter_btf, *iter_name, *iter_fallback;
};

struct ebs_module {
	const struct ebs_module_ops *ops;
	struct ebs_module_stat *stat; /* lives in the core, copied into snapshots */
	void *skel;		      /* module private: its skeleton */
	struct bpf_object *obj;	      /* NULL when the programs are reused pins */
	bool alt;		      /* set by open(): load the hooks' alt_* programs */
	enum ebs_attach_kind chosen[EBS_MAX_HOOKS];
	int map_fd[EBS_MAX_MAPS];
	int prog_fd[EBS_MAX_HOOKS * 3];
	unsigned n_prog_fd;
	struct bpf_link *links[EBS_MAX_HOOKS];
	bool iter_on;		    /* load and attach ops->iter_prog */
	struct bpf_link *iter_link; /* ours, when we loaded it */
	int iter_fd;		    /* its fd, -1: none */
	/* a reader of pins: the pinned link, opened at each run (so that
	 * 'ebpfstats unload' leaves no link behind while we run); "": none */
	char iter_pin[EBS_PATH_LEN * 2];
	bool iter_failed;	      /* a run failed; said once in the reason */
	const struct ebs_config *cfg; /* the handle's, for read() */
	void *priv;		      /* read()'s own state across snapshots */
	struct ebs_cg_lru *cg_lru;    /* ebs_cg_read()'s, likewise */
	/* ebs_cg_read() recycles rows (not in a probe: it leaves the host as
	 * it found it), under an flock of cg_lock when the tables are pinned
	 * ("": private maps, this reader alone) */
	bool cg_recycle;
	const char *cg_lock;
	int ncpus; /* libbpf_num_possible_cpus() */
};

extern const struct ebs_module_ops ebs_module_syscalls;
extern const struct ebs_module_ops ebs_module_tcp;
extern const struct ebs_module_ops ebs_module_sched;
extern const struct ebs_module_ops ebs_module_memory;

/* The role column of a family's counter list (bpf/<family>_counters.h):
 * EBS_CTR_IS(role, EVENT) is a constant, so a sum over a list folds to the
 * counters of that role. */
enum { EBS_CTR_EVENT = 1, EBS_CTR_OVERFLOW, EBS_CTR_OTHER };
#define EBS_CTR_IS(role, want) (EBS_CTR_##role == EBS_CTR_##want)

/* Per-CPU map helpers for modules (core.c). */
/* Looks up key in a per-CPU map and sums the u64 words of each CPU's value:
 * out has nwords words.  Returns 0, or -errno. */
int ebs_percpu_sum(int fd, const void *key, size_t value_size, int ncpus, uint64_t *out,
		   size_t nwords);
/* Looks up key and copies every CPU's value into buf (ncpus * round8(value_size)). */
int ebs_percpu_lookup(int fd, const void *key, void *buf, size_t value_size, int ncpus);
/* Reads a whole per-CPU hash or array map with batch lookups (one system
 * call per chunk of keys instead of one or two per key), each value summed
 * over the CPUs: up to cap keys of key_size into keys, their nwords-word
 * sums into sums, in the kernel's order (index order for arrays).  Returns
 * the number of entries, -EOPNOTSUPP when the kernel has no batch
 * operations for this map (read it key by key instead; the test variable
 * EBPFSTATS_TEST_NO_BATCH=1 forces that), or another -errno. */
int ebs_percpu_map_read(int fd, size_t key_size, size_t value_size, int ncpus, uint32_t cap,
			void *keys, uint64_t *sums, size_t nwords);
/* Every entry of map fd by batch lookups of chunk keys (doubled while one
 * hash bucket holds more), each handed to each(ctx, key, value) until it
 * returns nonzero.  A batch walks a hash bucket by bucket, so an entry is
 * seen at most once even while the map changes.  Returns the entries
 * handed over, -EOPNOTSUPP when the kernel has no batch operations for
 * this map (or EBPFSTATS_TEST_NO_BATCH=1), or another -errno. */
int ebs_map_batch_each(int fd, size_t key_size, size_t value_size, uint32_t chunk,
		       int (*each)(void *ctx, const void *key, const void *value), void *ctx);
size_t ebs_round8(size_t n);
/* Runs the module's iterator once (m->iter_fd, or the pinned link): creates
 * an iterator from the link and reads it to its end, handing what the
 * programs print to sink (NULL: dropped).  1 when it ran, 0 when there is
 * none, or -errno.  A failure is said once in the module's reason. */
int ebs_iter_run(struct ebs_module *m, void (*sink)(void *ctx, const void *buf, size_t n),
		 void *ctx);
/* dst += one kernel histogram (EBS_HIST_SLOTS counters), hist.c. */
void ebs_hist_add(struct ebs_hist *dst, const __u64 *slots);

/* cgroups.c: the per-cgroup rows.  A module's open() applies the config
 * to its table and knobs; its read() adds its table's partial rows;
 * the core's snapshot merges and names them, with the state kept in the
 * handle between snapshots. */
/* A family's cgroup maps, in this order in its map list from its first:
 * cg_<fam>, cg_ctr_<fam>, cg_ids_<fam>, cg_rid_<fam>, cg_free_<fam>. */
enum { EBS_CGM_ROWS, EBS_CGM_CTR, EBS_CGM_IDS, EBS_CGM_RID, EBS_CGM_FREE, EBS_CGM_COUNT };
/* Those five maps' names in that order, as EBS_CG_MAPS(fam) names them in
 * bpf/ebs_cgroup.bpf.h: a module's map list has [MAP_CG] = EBS_CG_MAP_NAMES(fam). */
#define EBS_CG_MAP_NAMES(fam)                                                                      \
	"cg_" #fam, "cg_ctr_" #fam, "cg_ids_" #fam, "cg_rid_" #fam, "cg_free_" #fam
/* The rodata knobs of ebs_cgroup.bpf.h in a family's skeleton. */
struct ebs_cg_knobs {
	bool *on, *task_btf;
	uint32_t *depth;
};
#define EBS_CG_KNOBS(rodata)                                                                       \
	((struct ebs_cg_knobs){&(rodata)->cg_on, &(rodata)->cg_task_btf, &(rodata)->cg_depth})
int ebs_cg_setup(struct bpf_object *obj, const char *fam, struct ebs_cg_knobs k,
		 const struct ebs_config *cfg, char *err, size_t errlen);
/* After the object's load (not for reused pins): fills the free rows. */
int ebs_cg_load(struct bpf_object *obj, const char *fam);
/* fd: the family's EBS_CGM_COUNT map fds. */
int ebs_cg_read(struct ebs_module *m, struct ebs_snapshot *s, enum ebs_family fam, const int *fd,
		char *err, size_t errlen);
struct ebs_cg_lru;
void ebs_cg_lru_free(struct ebs_cg_lru *l);
struct ebs_cg_state;
struct ebs_cg_state *ebs_cg_state_new(void);
void ebs_cg_state_free(struct ebs_cg_state *st);
void ebs_cg_finish(struct ebs_cg_state *st, const struct ebs_config *cfg, struct ebs_snapshot *s,
		   const struct ebs_snapshot *prev);
/* The path of cgroup v2 id below the cgroup2 mount, as a row's name
 * ("/" the root), searched in the whole tree: 0, or -1 with buf "" when
 * there is no mount or no such directory (removed meanwhile). */
int ebs_cg_path_of(uint64_t id, char *buf, size_t len);
/* The SNMP index of a cgroup id (docs/cgroups.md). */
uint32_t ebs_cg_index(uint64_t id);

/* The process table (procs.c): walks a hash map of tgid (__u32) -> value
 * of value_size bytes (at most EBS_PROC_VALUE_MAX), fill() copying a
 * value's columns into its row, and merges the rows into s->procs by pid
 * (ascending), next to those of the modules read before.  map names the
 * map in err. */
#define EBS_PROC_VALUE_MAX 64
int ebs_procs_read(int fd, const char *map, size_t value_size,
		   void (*fill)(struct ebs_proc_row *row, const void *value),
		   struct ebs_snapshot *s, char *err, size_t errlen);

/* Whether the test variable name is set to something other than "" or "0"
 * (EBPFSTATS_TEST_HASH_STATE, EBPFSTATS_TEST_NO_BATCH: the paths of other
 * kernels, taken here by tests). */
bool ebs_test_flag(const char *name);

#endif
