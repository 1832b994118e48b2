/* Syscalls module: sys_exit counts calls and errors per syscall number;
 * with latency on, sys_enter stamps a start time per thread (sampled) and
 * sys_exit turns it into a latency sample.  read() sums the per-CPU rows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "module.h"
#include "syscalls.h"
#include "syscalls.skel.h"

_Static_assert(sizeof(struct ebs_sys_val) % sizeof(uint64_t) == 0,
	       "ebs_sys_val is summed as u64 words");
_Static_assert(sizeof(((struct ebs_sys_hist *)0)->slot) == sizeof(struct ebs_hist),
	       "kernel and snapshot histograms differ in size");

#define SYS_VAL_WORDS (sizeof(struct ebs_sys_val) / sizeof(uint64_t))

/* The file I/O view: which syscalls it shows and how their bytes count.
 * Numbers from this build's <sys/syscall.h>, i.e. the native ABI. */
enum io_kind { IO_READ, IO_WRITE, IO_OPEN };

static const struct {
	long nr;
	enum io_kind kind;
} io_syscalls[] = {
#ifdef SYS_read
	{SYS_read, IO_READ},
#endif
#ifdef SYS_write
	{SYS_write, IO_WRITE},
#endif
#ifdef SYS_pread64
	{SYS_pread64, IO_READ},
#endif
#ifdef SYS_pwrite64
	{SYS_pwrite64, IO_WRITE},
#endif
#ifdef SYS_readv
	{SYS_readv, IO_READ},
#endif
#ifdef SYS_writev
	{SYS_writev, IO_WRITE},
#endif
#ifdef SYS_preadv
	{SYS_preadv, IO_READ},
#endif
#ifdef SYS_pwritev
	{SYS_pwritev, IO_WRITE},
#endif
#ifdef SYS_preadv2
	{SYS_preadv2, IO_READ},
#endif
#ifdef SYS_pwritev2
	{SYS_pwritev2, IO_WRITE},
#endif
#ifdef SYS_open
	{SYS_open, IO_OPEN},
#endif
#ifdef SYS_openat
	{SYS_openat, IO_OPEN},
#endif
#ifdef SYS_openat2
	{SYS_openat2, IO_OPEN},
#endif
#ifdef SYS_creat
	{SYS_creat, IO_OPEN},
#endif
};
#define N_IO (sizeof(io_syscalls) / sizeof(io_syscalls[0]))

static bool io_nr(uint32_t nr, enum io_kind *kind)
{
	for (size_t i = 0; i < N_IO; i++)
		if (io_syscalls[i].nr == (long)nr) {
			*kind = io_syscalls[i].kind;
			return true;
		}
	return false;
}

/* Private state behind m->skel: the skeleton plus the comm lists, which can
 * only be written into sys_comms once the object is loaded. */
struct sys_priv {
	struct syscalls_bpf *skel;
	struct ebs_comm include[EBS_MAX_COMMS];
	unsigned n_include;
	struct ebs_comm exclude[EBS_MAX_COMMS];
	unsigned n_exclude;
};

/* The kernel truncates comm to 15 bytes and pads with NULs; a configured
 * name gets the same treatment so that it still matches. */
static void comm_key(struct ebs_comm *k, const char *name)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->comm, name, strnlen(name, EBS_COMM_LEN - 1));
}

/* Task storage from tracing programs: map type and helpers since 5.11.
 * The helper probe uses raw_tp, whose helper set tp_btf and the classic
 * tracepoint share. */
static bool task_storage_usable(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_task_storage_get,
				       NULL) == 1 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_get_current_task_btf,
				       NULL) == 1;
}

static void sys_destroy(struct ebs_module *m)
{
	struct sys_priv *p = m->skel;

	if (!p)
		return;
	syscalls_bpf__destroy(p->skel);
	free(p);
	m->skel = NULL;
}

static struct bpf_object *sys_open(struct ebs_module *m, const struct ebs_config *cfg, char *err,
				   size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .btf_custom_path = cfg->btf_path[0] ? cfg->btf_path : NULL);
	struct sys_priv *p = calloc(1, sizeof(*p));
	unsigned rate = cfg->sample_rate;
	bool task_local;
	int rc;

	if (!p) {
		snprintf(err, errlen, "syscalls: out of memory");
		return NULL;
	}
	p->skel = syscalls_bpf__open_opts(&opts);
	if (!p->skel) {
		snprintf(err, errlen, "opening the syscalls BPF object failed: %s",
			 strerror(errno));
		free(p);
		return NULL;
	}
	m->skel = p;

	if (rate < 1)
		rate = 1;
	if (rate > 100)
		rate = 100;
	p->skel->rodata->latency = cfg->syscall_latency;
	p->skel->rodata->has_include = cfg->n_include > 0;
	p->skel->rodata->has_exclude = cfg->n_exclude > 0;
	p->skel->rodata->sample_rate = rate;
	p->skel->rodata->file_io = cfg->file_io;
	for (size_t i = 0; i < N_IO; i++)
		if (io_syscalls[i].kind != IO_OPEN && io_syscalls[i].nr >= 0 &&
		    io_syscalls[i].nr < EBS_SYS_MAX)
			p->skel->rodata->io_mask[io_syscalls[i].nr / 64] |=
				1ULL << (io_syscalls[i].nr % 64);
#ifdef __NR_exit
	p->skel->rodata->nr_exit = __NR_exit;
#endif
#ifdef __NR_exit_group
	p->skel->rodata->nr_exit_group = __NR_exit_group;
#endif
#ifdef __NR_rt_sigreturn
	p->skel->rodata->nr_sigreturn = __NR_rt_sigreturn;
#endif

	/* Only the start-time map the programs use is created; the verifier
	 * prunes the code of the other one through the task_local knob. */
	task_local = cfg->syscall_latency && task_storage_usable();
	p->skel->rodata->task_local = task_local;
	rc = bpf_map__set_autocreate(p->skel->maps.sys_tstart, task_local);
	if (rc == 0)
		rc = bpf_map__set_autocreate(p->skel->maps.sys_start,
					     cfg->syscall_latency && !task_local);
	/* no latency, no samples: one row keeps the map (front-ends find it
	 * by name) at 3.7 KiB per CPU instead of 233 */
	if (rc == 0)
		rc = bpf_map__set_max_entries(p->skel->maps.sys_hist,
					      cfg->syscall_latency ? EBS_SYS_HIST_ROWS : 1);
	if (rc == 0 && cfg->syscall_latency && !task_local)
		rc = bpf_map__set_max_entries(p->skel->maps.sys_start,
					      cfg->max_threads ? cfg->max_threads : 1);
	if (rc < 0) {
		snprintf(err, errlen, "sizing the syscall latency maps failed: %s", strerror(-rc));
		sys_destroy(m);
		return NULL;
	}
	if (ebs_cg_setup(p->skel->obj, "sys", EBS_CG_KNOBS(p->skel->rodata), cfg, err, errlen) <
	    0) {
		sys_destroy(m);
		return NULL;
	}

	for (unsigned i = 0; i < cfg->n_include && i < EBS_MAX_COMMS; i++)
		comm_key(&p->include[p->n_include++], cfg->include[i]);
	for (unsigned i = 0; i < cfg->n_exclude && i < EBS_MAX_COMMS; i++)
		comm_key(&p->exclude[p->n_exclude++], cfg->exclude[i]);
	return p->skel->obj;
}

static int put_comms(struct bpf_map *map, const struct ebs_comm *c, unsigned n, __u8 val)
{
	for (unsigned i = 0; i < n; i++)
		if (bpf_map__update_elem(map, &c[i], sizeof(c[i]), &val, sizeof(val), BPF_ANY) < 0)
			return -1;
	return 0;
}

/* The lists go in before the core attaches, so no syscall is ever judged
 * against a half-written filter.  Excludes are written last: a comm on both
 * lists ends up excluded. */
static int sys_load(struct ebs_module *m)
{
	struct sys_priv *p = m->skel;
	struct bpf_map *comms;

	if (syscalls_bpf__load(p->skel) < 0 || ebs_cg_load(p->skel->obj, "sys") < 0)
		return -1;
	comms = p->skel->maps.sys_comms;
	if (put_comms(comms, p->include, p->n_include, EBS_COMM_INCLUDE) < 0 ||
	    put_comms(comms, p->exclude, p->n_exclude, EBS_COMM_EXCLUDE) < 0)
		return -1;
	if (p->skel->rodata->file_io) {
		__u32 key = EBS_SYS_BYTES_ON;
		uint64_t *on = calloc((size_t)m->ncpus, sizeof(*on));
		int rc;

		if (!on)
			return -1;
		on[0] = 1;
		rc = bpf_map__update_elem(p->skel->maps.sys_bytes, &key, sizeof(key), on,
					  sizeof(*on) * (size_t)m->ncpus, BPF_ANY);
		free(on);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void add_cpus(struct ebs_sys_val *dst, const unsigned char *percpu, int ncpus)
{
	uint64_t *d = (uint64_t *)dst;

	for (int c = 0; c < ncpus; c++) {
		const uint64_t *v =
			(const uint64_t *)(percpu + (size_t)c * ebs_round8(sizeof(*dst)));
		for (size_t w = 0; w < SYS_VAL_WORDS; w++)
			d[w] += v[w];
	}
}

/* sys_stats whole with batch lookups (3 system calls instead of 512 here),
 * straight into sum: an array's batch comes in index order.  1 when the
 * kernel has no batch operations for it (read it key by key), 0, -1. */
static int read_batch(int fd, int ncpus, struct ebs_sys_val *sum, char *err, size_t errlen)
{
	__u32 *keys = calloc(EBS_SYS_MAX, sizeof(*keys));
	int n, rc = -1;

	if (!keys) {
		snprintf(err, errlen, "out of memory reading sys_stats");
		return -1;
	}
	n = ebs_percpu_map_read(fd, sizeof(*keys), sizeof(*sum), ncpus, EBS_SYS_MAX, keys,
				(uint64_t *)sum, SYS_VAL_WORDS);
	if (n == -EOPNOTSUPP) {
		rc = 1;
	} else if (n < 0) {
		snprintf(err, errlen, "batch lookup in sys_stats failed: %s", strerror(-n));
	} else {
		rc = 0;
		for (int i = 0; i < n; i++)
			if (keys[i] != (__u32)i) {
				/* not index order: this kernel's batch is not what we
				 * know; the key-by-key read is */
				memset(sum, 0, EBS_SYS_MAX * sizeof(*sum));
				rc = 1;
				break;
			}
	}
	free(keys);
	return rc;
}

static int read_each(int fd, int ncpus, struct ebs_sys_val *sum, char *err, size_t errlen)
{
	unsigned char *vals = malloc((size_t)ncpus * ebs_round8(sizeof(*sum)));

	if (!vals) {
		snprintf(err, errlen, "out of memory reading sys_stats");
		return -1;
	}
	for (__u32 nr = 0; nr < EBS_SYS_MAX; nr++) {
		int rc = ebs_percpu_lookup(fd, &nr, vals, sizeof(*sum), ncpus);

		if (rc < 0) {
			snprintf(err, errlen, "reading sys_stats[%u] failed: %s", nr,
				 strerror(-rc));
			free(vals);
			return -1;
		}
		add_cpus(&sum[nr], vals, ncpus);
	}
	free(vals);
	return 0;
}

enum {
	MAP_STATS,
	MAP_CTR,
	MAP_BYTES,
	MAP_ROW,
	MAP_HIST,
	MAP_CG,
	MAP_CG_LAST = MAP_CG + EBS_CGM_COUNT - 1
};

/* The latency histograms: every CPU's rows of sys_hist, each added to the
 * row of the syscall it belongs to on that CPU (its nr field) and to the
 * total.  Only the rows some CPU has handed out are read.  row_of[nr] is
 * the index of nr's row in s->syscalls, or -1. */
static int read_hists(struct ebs_module *m, struct ebs_snapshot *s, const int *row_of, char *err,
		      size_t errlen)
{
	size_t stride = ebs_round8(sizeof(struct ebs_sys_hist));
	__u32 key = EBS_SYS_ROWS_USED, used = 0;
	unsigned char *buf;
	int rc;

	buf = malloc(stride * (size_t)m->ncpus);
	if (!buf) {
		snprintf(err, errlen, "out of memory reading sys_hist");
		return -1;
	}
	rc = ebs_percpu_lookup(m->map_fd[MAP_ROW], &key, buf, sizeof(__u32), m->ncpus);
	if (rc < 0) {
		snprintf(err, errlen, "reading sys_row[%u] failed: %s", key, strerror(-rc));
		goto out;
	}
	for (int c = 0; c < m->ncpus; c++) {
		__u32 u = *(const __u32 *)(buf + ebs_round8(sizeof(__u32)) * (size_t)c);
		if (u > used)
			used = u;
	}
	for (key = 0; key < EBS_SYS_HIST_ROWS; key++) {
		/* the other row fills only once a CPU has handed out all others */
		if (key >= used && !(key == EBS_SYS_HIST_OTHER && used >= EBS_SYS_HIST_OTHER))
			continue;
		rc = ebs_percpu_lookup(m->map_fd[MAP_HIST], &key, buf, sizeof(struct ebs_sys_hist),
				       m->ncpus);
		if (rc < 0) {
			snprintf(err, errlen, "reading sys_hist[%u] failed: %s", key,
				 strerror(-rc));
			goto out;
		}
		for (int c = 0; c < m->ncpus; c++) {
			const struct ebs_sys_hist *h =
				(const struct ebs_sys_hist *)(buf + stride * (size_t)c);

			ebs_hist_add(&s->sys.hist, h->slot);
			/* a syscall first sampled after sys_stats was read has
			 * no row in this snapshot yet: in the total only */
			if (h->nr >= 1 && h->nr <= EBS_SYS_MAX && row_of[h->nr - 1] >= 0)
				ebs_hist_add(&s->syscalls[row_of[h->nr - 1]].hist, h->slot);
		}
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* The file I/O rows: the read/write/open syscalls that were called, with
 * the bytes sys_exit added for them.  Called with s->syscalls filled. */
static int read_fileio(struct ebs_module *m, struct ebs_snapshot *s, char *err, size_t errlen)
{
	uint32_t n = 0;

	s->fileio = calloc(N_IO, sizeof(*s->fileio));
	if (!s->fileio) {
		snprintf(err, errlen, "out of memory for the file I/O rows");
		return -1;
	}
	for (uint32_t i = 0; i < s->n_syscalls; i++) {
		const struct ebs_syscall_row *r = &s->syscalls[i];
		struct ebs_fileio_row *f;
		enum io_kind kind;
		uint64_t bytes = 0;
		__u32 key = r->nr;
		int rc;

		if (!io_nr(r->nr, &kind) || n >= N_IO)
			continue;
		if (kind != IO_OPEN) {
			rc = ebs_percpu_sum(m->map_fd[MAP_BYTES], &key, sizeof(__u64), m->ncpus,
					    &bytes, 1);
			if (rc < 0) {
				snprintf(err, errlen, "reading sys_bytes[%u] failed: %s", key,
					 strerror(-rc));
				return -1;
			}
		}
		f = &s->fileio[n++];
		f->nr = r->nr;
		f->name = r->name;
		f->calls = r->calls;
		f->errors = r->errors;
		f->bytes = bytes;
		f->latency_ns = r->latency_ns;
		switch (kind) {
		case IO_READ:
			s->fio.read_bytes += bytes;
			s->fio.read_calls += r->calls;
			break;
		case IO_WRITE:
			s->fio.write_bytes += bytes;
			s->fio.write_calls += r->calls;
			break;
		case IO_OPEN:
			s->fio.opens += r->calls - r->errors;
			s->fio.open_errors += r->errors;
			break;
		}
	}
	s->n_fileio = n;
	return 0;
}

static int sys_read(struct ebs_module *m, struct ebs_snapshot *s, char *err, size_t errlen)
{
	struct ebs_sys_val *sum = calloc(EBS_SYS_MAX, sizeof(*sum));
	int *row_of = malloc(EBS_SYS_MAX * sizeof(*row_of));
	uint64_t ctr[EBS_SYS_NCTR];
	uint32_t n = 0;
	int rc = -1;

	if (!sum || !row_of) {
		snprintf(err, errlen, "out of memory reading sys_stats");
		goto out;
	}
	for (__u32 i = 0; i < EBS_SYS_NCTR; i++) {
		int r = ebs_percpu_sum(m->map_fd[MAP_CTR], &i, sizeof(__u64), m->ncpus, &ctr[i], 1);
		if (r < 0) {
			snprintf(err, errlen, "reading sys_ctr[%u] failed: %s", i, strerror(-r));
			goto out;
		}
	}
	rc = read_batch(m->map_fd[MAP_STATS], m->ncpus, sum, err, errlen);
	if (rc == 1)
		rc = read_each(m->map_fd[MAP_STATS], m->ncpus, sum, err, errlen);
	if (rc < 0)
		goto out;

	for (uint32_t nr = 0; nr < EBS_SYS_MAX; nr++)
		n += sum[nr].calls > 0;
	s->syscalls = n ? calloc(n, sizeof(*s->syscalls)) : NULL;
	if (n && !s->syscalls) {
		snprintf(err, errlen, "out of memory for %u syscall rows", n);
		rc = -1;
		goto out;
	}
	s->n_syscalls = n;
	n = 0;
	for (uint32_t nr = 0; nr < EBS_SYS_MAX; nr++) {
		const struct ebs_sys_val *v = &sum[nr];
		struct ebs_syscall_row *r;

		row_of[nr] = -1;
		if (!v->calls)
			continue;
		row_of[nr] = (int)n;
		r = &s->syscalls[n++];
		r->nr = nr;
		r->name = ebs_syscall_name(nr);
		r->calls = v->calls;
		r->errors = v->errors;
		r->latency_ns = v->lat_ns;
		s->sys.calls += v->calls;
		s->sys.errors += v->errors;
		s->sys.latency_ns += v->lat_ns;
	}
	if (read_hists(m, s, row_of, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	{
		__u32 on_key = EBS_SYS_BYTES_ON;
		uint64_t on = 0;
		int r = ebs_percpu_sum(m->map_fd[MAP_BYTES], &on_key, sizeof(__u64), m->ncpus, &on,
				       1);

		if (r < 0) {
			snprintf(err, errlen, "reading sys_bytes[%u] failed: %s", on_key,
				 strerror(-r));
			rc = -1;
			goto out;
		}
		if (on && read_fileio(m, s, err, errlen) < 0) {
			rc = -1;
			goto out;
		}
	}
#define COPY(f, idx, ...) s->sys.f = ctr[EBS_SYS_C_##idx];
	EBS_SYS_COUNTERS(COPY)
#undef COPY
	s->modules[EBS_FAM_SYSCALLS].events = s->sys.calls;
	/* the counter in no snapshot field is an overflow too; samples in the
	 * shared histogram row are not (kept in the totals: latency_other_row) */
#define OVERFLOWS(f, idx, id, role, ...) +(EBS_CTR_IS(role, OVERFLOW) ? s->sys.f : 0)
	s->modules[EBS_FAM_SYSCALLS].overflows =
		ctr[EBS_SYS_C_OUT_OF_RANGE] EBS_SYS_COUNTERS(OVERFLOWS);
#undef OVERFLOWS
	rc = ebs_cg_read(m, s, EBS_FAM_SYSCALLS, &m->map_fd[MAP_CG], err, errlen);
out:
	free(row_of);
	free(sum);
	return rc;
}

/* sys_exit's tp_btf/raw_tp programs find the nr in pt_regs, a field only
 * known for these architectures; elsewhere the classic tracepoint, which
 * carries the nr itself, is the only offer. */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
#define SYS_EXIT_BTF "sys_exit_btf"
#define SYS_EXIT_RAW "sys_exit_raw"
#else
#define SYS_EXIT_BTF NULL
#define SYS_EXIT_RAW NULL
#endif

/* The core attaches in this order.  The per-cgroup rows' move keeper
 * first, so no program caches a row across a move it missed.  sys_exit
 * before sys_enter, so every start that sys_enter
 * records has its exit seen (no stale start from the window between the
 * two attachments). */
static const struct ebs_hook sys_hooks[] = {
	{"cgroup", "cgroup_attach_task", "cgroup_attach_task_btf", "cgroup_attach_task_raw",
	 "cgroup_attach_task_tp", .optional = false, .cgroups = true},
	{"raw_syscalls", "sys_exit", SYS_EXIT_BTF, SYS_EXIT_RAW, "sys_exit_tp", .optional = false,
	 .latency = false},
	{"raw_syscalls", "sys_enter", "sys_enter_btf", "sys_enter_raw", "sys_enter_tp",
	 .optional = false, .latency = true},
};

/* clang-format off */
static const char *const sys_maps[] = {
	[MAP_STATS] = "sys_stats",
	[MAP_CTR] = "sys_ctr",
	[MAP_BYTES] = "sys_bytes",
	[MAP_ROW] = "sys_row",
	[MAP_HIST] = "sys_hist",
	[MAP_CG] = EBS_CG_MAP_NAMES(sys),
};
/* clang-format on */

const struct ebs_module_ops ebs_module_syscalls = {
	.name = "syscalls",
	.family = EBS_FAM_SYSCALLS,
	.hooks = sys_hooks,
	.n_hooks = sizeof(sys_hooks) / sizeof(sys_hooks[0]),
	.maps = sys_maps,
	.n_maps = sizeof(sys_maps) / sizeof(sys_maps[0]),
	.open = sys_open,
	.load = sys_load,
	.read = sys_read,
	.destroy = sys_destroy,
};
