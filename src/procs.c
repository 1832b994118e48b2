/* The process table of a snapshot (struct ebs_proc_row): one row per pid,
 * merged from the modules that keep a kernel table keyed by tgid (sched:
 * on-CPU time, memory: page faults).  Each module walks its own map; a
 * pid in both gets one row with both modules' columns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

static int cmp_proc(const void *a, const void *b)
{
	uint32_t x = ((const struct ebs_proc_row *)a)->pid;
	uint32_t y = ((const struct ebs_proc_row *)b)->pid;

	return x < y ? -1 : x > y;
}

/* dst gets src's columns: each module fills only its own, so adding them
 * is copying them.  The comm of the module read first (sched, renewed at
 * exec) wins over a later one. */
static void add_row(struct ebs_proc_row *dst, const struct ebs_proc_row *src)
{
	if (!dst->comm[0])
		memcpy(dst->comm, src->comm, sizeof(dst->comm));
	dst->oncpu_ns += src->oncpu_ns;
	dst->faults_user += src->faults_user;
	dst->faults_kernel += src->faults_kernel;
}

/* s->procs (ascending pid) and rows (ascending, no duplicates) into one
 * ascending table; rows is consumed. */
static int merge(struct ebs_snapshot *s, struct ebs_proc_row *rows, uint32_t n, char *err,
		 size_t errlen)
{
	struct ebs_proc_row *out;
	uint32_t i = 0, j = 0, k = 0;

	if (!s->n_procs) {
		free(s->procs);
		s->procs = rows;
		s->n_procs = n;
		return 0;
	}
	out = calloc((size_t)s->n_procs + n + 1, sizeof(*out));
	if (!out) {
		snprintf(err, errlen, "out of memory for %u process rows", s->n_procs + n);
		free(rows);
		return -1;
	}
	while (i < s->n_procs || j < n) {
		if (j == n || (i < s->n_procs && s->procs[i].pid < rows[j].pid)) {
			out[k++] = s->procs[i++];
		} else if (i == s->n_procs || rows[j].pid < s->procs[i].pid) {
			out[k++] = rows[j++];
		} else {
			out[k] = s->procs[i++];
			add_row(&out[k++], &rows[j++]);
		}
	}
	free(s->procs);
	free(rows);
	s->procs = out;
	s->n_procs = k;
	return 0;
}

/* Rows of a batch: 256 x (4 + at most EBS_PROC_VALUE_MAX bytes). */
#define PROC_BATCH 256

/* read_batch's state between entries of ebs_map_batch_each */
struct proc_read {
	void (*fill)(struct ebs_proc_row *row, const void *value);
	struct ebs_proc_row *rows;
	uint32_t cap, *n;
};

static int proc_read_one(void *ctx, const void *key, const void *value)
{
	struct proc_read *r = ctx;
	struct ebs_proc_row *row = &r->rows[(*r->n)++];

	memcpy(&row->pid, key, sizeof(row->pid));
	r->fill(row, value);
	row->comm[sizeof(row->comm) - 1] = '\0';
	return *r->n >= r->cap;
}

/* Every entry of the tgid-keyed hash fd into rows (at most cap), by
 * batches: >= 0 when done, -EOPNOTSUPP where the kernel has no batch
 * lookup for the map (or a test says so), another -errno on error. */
static int read_batch(int fd, size_t value_size,
		      void (*fill)(struct ebs_proc_row *row, const void *value),
		      struct ebs_proc_row *rows, uint32_t cap, uint32_t *n)
{
	struct proc_read r = {.fill = fill, .rows = rows, .cap = cap, .n = n};

	if (*n >= cap)
		return 0;
	return ebs_map_batch_each(fd, sizeof(__u32), value_size, PROC_BATCH, proc_read_one, &r);
}

int ebs_procs_read(int fd, const char *map, size_t value_size,
		   void (*fill)(struct ebs_proc_row *row, const void *value),
		   struct ebs_snapshot *s, char *err, size_t errlen)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info), cap, n = 0, walked = 0;
	struct ebs_proc_row *rows;
	unsigned char v[EBS_PROC_VALUE_MAX];
	__u32 key, next;
	int r;

	if (value_size > sizeof(v)) {
		snprintf(err, errlen, "%s: values of %zu bytes, at most %zu expected", map,
			 value_size, sizeof(v));
		return -1;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		snprintf(err, errlen, "inspecting %s failed: %s", map, strerror(errno));
		return -1;
	}
	cap = info.max_entries ? info.max_entries : 1;
	rows = calloc(cap, sizeof(*rows));
	if (!rows) {
		snprintf(err, errlen, "out of memory for %u process rows", cap);
		return -1;
	}
	/* Batches first (5.6+, hash maps): a system call per PROC_BATCH
	 * rows instead of two per row, which a host with thousands of
	 * processes feels at every snapshot. */
	r = read_batch(fd, value_size, fill, rows, cap, &n);
	if (r == -EOPNOTSUPP) {
		/* The table changes while we walk it: get_next_key restarts
		 * from the first key when ours was deleted meanwhile, so the
		 * walk is bounded by twice the table size and duplicates are
		 * dropped after sorting. */
		n = 0;
		r = bpf_map_get_next_key(fd, NULL, &next);
		while (r == 0 && n < cap && walked++ < 2 * cap) {
			key = next;
			if (bpf_map_lookup_elem(fd, &key, v) == 0) {
				struct ebs_proc_row *row = &rows[n++];

				row->pid = key;
				fill(row, v);
				row->comm[sizeof(row->comm) - 1] = '\0';
			}
			r = bpf_map_get_next_key(fd, &key, &next);
		}
	}
	if (r < 0 && r != -ENOENT) {
		snprintf(err, errlen, "walking %s failed: %s", map, strerror(-r));
		free(rows);
		return -1;
	}
	qsort(rows, n, sizeof(*rows), cmp_proc);
	{
		uint32_t w = 0;

		for (uint32_t i = 0; i < n; i++)
			if (w == 0 || rows[w - 1].pid != rows[i].pid)
				rows[w++] = rows[i];
		n = w;
	}
	return merge(s, rows, n, err, errlen);
}
