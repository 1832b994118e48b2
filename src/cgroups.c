/* Per-cgroup rows (collect_cgroups).  Each family's kernel object keeps a
 * table of rows assigned by cgroup id from a queue of free rows
 * (bpf/cgroup.h); a module's read() hands its table to ebs_cg_read(),
 * which appends one partial row per owned row with that family's columns
 * and keeps the queue stocked by recycling rows (refill()).  After the modules, ebs_cg_finish() merges
 * the partial rows by id, names them from the cgroup2 mount, marks the
 * removed ones, applies cgroup_filter and computes rates and percentiles
 * against the previous snapshot.
 *
 * Names: the cgroup2 mount is the first cgroup2 entry of /proc/mounts
 * (/sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid
 * one); a cgroup's id is its directory's inode number (64-bit kernfs), so
 * walking the mount down to cgroup_depth names every row.  The walk runs
 * at every snapshot: it is also how a removal is seen.  A row whose
 * directory is gone keeps its last name, is marked gone for one snapshot
 * and is left out after that (its kernel rows stay until a reader's
 * refill() frees them, first of all rows: only the readers free rows,
 * which keeps evictions = inserts - rows present). */
#define _GNU_SOURCE /* open_by_handle_at */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "internal.h"

static bool find_mount(char *buf, size_t len, char *why, size_t whylen);

_Static_assert(EBS_CG_HIST_SLOTS == sizeof(((struct ebs_cg_sys *)0)->hist) / sizeof(__u64),
	       "kernel and snapshot cgroup histograms differ in size");

/* ---- load -------------------------------------------------------------- */

static struct bpf_map *fam_map(struct bpf_object *obj, const char *what, const char *fam)
{
	char name[32];

	snprintf(name, sizeof(name), "cg%s_%s", what, fam);
	return bpf_object__find_map_by_name(obj, name);
}

int ebs_cg_setup(struct bpf_object *obj, const char *fam, struct ebs_cg_knobs k,
		 const struct ebs_config *cfg, char *err, size_t errlen)
{
	static const char *const sized[] = {"", "_ids", "_rid", "_free"};
	uint32_t n = cfg->cgroups && cfg->max_cgroups ? cfg->max_cgroups : 1;
	int rc = 0;

	*k.on = cfg->cgroups;
	*k.depth = cfg->cgroup_depth;
	/* the helper probe uses raw_tp, whose helper set tp_btf and the
	 * classic tracepoint share for this one */
	*k.task_btf = cfg->cgroups && !ebs_test_flag("EBPFSTATS_TEST_NO_TASK_BTF") &&
		      libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT,
					      BPF_FUNC_get_current_task_btf, NULL) == 1;
	for (size_t i = 0; i < sizeof(sized) / sizeof(sized[0]) && rc == 0; i++) {
		struct bpf_map *map = fam_map(obj, sized[i], fam);

		rc = map ? bpf_map__set_max_entries(map, n) : -ENOENT;
		if (rc < 0)
			snprintf(err, errlen, "sizing cg%s_%s to map_sizes.cgroups %u failed: %s",
				 sized[i], fam, n, strerror(-rc));
	}
	return rc;
}

/* After load: every row is free. */
int ebs_cg_load(struct bpf_object *obj, const char *fam)
{
	struct bpf_map *free_map = fam_map(obj, "_free", fam);
	uint32_t n;

	if (!free_map)
		return -1;
	n = bpf_map__max_entries(free_map);
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_update_elem(bpf_map__fd(free_map), NULL, &i, BPF_ANY) < 0)
			return -1;
	return 0;
}

/* ---- read: one family's table into partial rows ------------------------ */

static struct ebs_cgroup_row *row_append(struct ebs_snapshot *s, uint64_t id)
{
	struct ebs_cgroup_row *r;

	if (s->n_cgroups == s->cg_cap) {
		uint32_t cap = s->cg_cap ? 2 * s->cg_cap : 64;
		struct ebs_cgroup_row *n = realloc(s->cgroups, (size_t)cap * sizeof(*n));

		if (!n)
			return NULL;
		s->cgroups = n;
		s->cg_cap = cap;
	}
	r = &s->cgroups[s->n_cgroups++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	return r;
}

static void fill(enum ebs_family fam, struct ebs_cgroup_row *r, const uint64_t *w)
{
	switch (fam) {
	case EBS_FAM_SYSCALLS: {
		const struct ebs_cg_sys *v = (const void *)w;

		r->sys_calls = v->calls;
		r->sys_errors = v->errors;
		r->sys_latency_ns = v->lat_ns;
		memcpy(r->sys_hist, v->hist, sizeof(r->sys_hist));
		break;
	}
	case EBS_FAM_SCHED: {
		const struct ebs_cg_sched *v = (const void *)w;

		r->switches_vol = v->switches_vol;
		r->switches_invol = v->switches_invol;
		r->oncpu_ns = v->oncpu_ns;
		r->runq_ns = v->runq_ns;
		r->runq_samples = v->runq_samples;
		memcpy(r->runq_hist, v->runq, sizeof(r->runq_hist));
		break;
	}
	case EBS_FAM_TCP: {
		const struct ebs_cg_tcp *v = (const void *)w;

		r->tcp_active_opens = v->active_opens;
		r->tcp_passive_opens = v->passive_opens;
		r->tcp_retransmits = v->retransmits;
		r->tcp_resets = v->resets;
		r->tcp_bytes_in = v->bytes_in;
		r->tcp_bytes_out = v->bytes_out;
		break;
	}
	case EBS_FAM_MEMORY: {
		const struct ebs_cg_mem *v = (const void *)w;

		r->faults = v->faults;
		r->oom_kills = v->oom_kills;
		break;
	}
	default: break;
	}
}

static size_t value_size(enum ebs_family fam)
{
	switch (fam) {
	case EBS_FAM_SYSCALLS: return sizeof(struct ebs_cg_sys);
	case EBS_FAM_SCHED: return sizeof(struct ebs_cg_sched);
	case EBS_FAM_TCP: return sizeof(struct ebs_cg_tcp);
	case EBS_FAM_MEMORY: return sizeof(struct ebs_cg_mem);
	default: return 0;
	}
}

/* The recycling state of one family's table, kept by the reader between
 * snapshots: per row, its id and word sum at the last read, the read that
 * last saw it change and the first read that saw its id there; and the
 * table's insert failures at the last read. */
struct ebs_cg_lru {
	uint32_t n;
	uint64_t seq, failed;
	uint64_t *id, *sum, *last, *first;
};

void ebs_cg_lru_free(struct ebs_cg_lru *l)
{
	if (!l)
		return;
	free(l->id);
	free(l->sum);
	free(l->last);
	free(l->first);
	free(l);
}

static struct ebs_cg_lru *lru_of(struct ebs_module *m, uint32_t n)
{
	struct ebs_cg_lru *l = m->cg_lru;

	if (l && l->n == n)
		return l;
	ebs_cg_lru_free(l);
	m->cg_lru = l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->n = n;
	l->id = calloc(n, sizeof(uint64_t));
	l->sum = calloc(n, sizeof(uint64_t));
	l->last = calloc(n, sizeof(uint64_t));
	l->first = calloc(n, sizeof(uint64_t));
	if (!l->id || !l->sum || !l->last || !l->first) {
		ebs_cg_lru_free(l);
		m->cg_lru = l = NULL;
	}
	return l;
}

/* cg_rid whole: index -> the id of the cgroup holding the row, 0 free. */
static int read_rids(int fd, uint32_t n, uint64_t *rid)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t out = 0, count = n, *keys = calloc(n, sizeof(*keys));
	int rc;

	if (!keys)
		return -ENOMEM;
	rc = bpf_map_lookup_batch(fd, NULL, &out, keys, rid, &count, &opts);
	if ((rc == 0 || errno == ENOENT) && count == n) {
		free(keys);
		return 0;
	}
	free(keys);
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_lookup_elem(fd, &i, &rid[i]) < 0)
			return -errno;
	return 0;
}

/* cg_rid, index -> owner id (0: none), read where the id -> row hash
 * says rows are: the hash has the assigned rows only, so its batch read
 * and a lookup of each of those rows' owner copy a few dozen entries
 * where a batch read of cg_rid copies all n, one by one (512 x 3
 * families took 0.75 ms a snapshot).  The owner is cg_rid's, as the
 * kernel's programs and the recycling judge it.  A row is in the hash
 * once the kernel gave it out and until a reader recycles it: a row
 * being given out right now shows at the next snapshot.  A large share of
 * rows assigned, or kernels without batch reads of hashes (before 5.6):
 * cg_rid whole. */
static int read_owners(const int *fd, uint32_t n, uint64_t *rid)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t *ids = calloc(n, sizeof(*ids));
	uint32_t *at = calloc(n, sizeof(*at)), out = 0, count = n;
	int rc;

	if (!ids || !at) {
		free(ids);
		free(at);
		return -ENOMEM;
	}
	memset(rid, 0, (size_t)n * sizeof(*rid));
	/* all of them in one call (count: room for every entry), ENOENT:
	 * that was the last bucket; the owners of more than a quarter of
	 * the rows are cheaper from cg_rid whole than one by one */
	rc = bpf_map_lookup_batch(fd[EBS_CGM_IDS], NULL, &out, ids, at, &count, &opts);
	if ((rc == 0 || errno == ENOENT) && count * 4 <= n) {
		rc = 0;
		for (uint32_t i = 0; i < count && i < n && rc == 0; i++)
			if (at[i] < n &&
			    bpf_map_lookup_elem(fd[EBS_CGM_RID], &at[i], &rid[at[i]]) < 0)
				rc = -errno;
	} else {
		rc = -1;
	}
	if (rc < 0)
		rc = read_rids(fd[EBS_CGM_RID], n, rid);
	free(ids);
	free(at);
	return rc;
}

/* Whether the cgroup with this id is gone: its kernfs file handle no
 * longer opens (ESTALE).  Anything else (no mount, no capability) says
 * it is there. */
static bool cg_gone(int mfd, uint64_t id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	int fd;

	if (mfd < 0)
		return false;
	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = 0xfe; /* FILEID_KERNFS */
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == ESTALE;
}

/* Whether row idx is cgroup id's: the hash maps id to it.  cg_rid alone
 * does not say so: the kernel names the owner there before it inserts id
 * into the hash, and names one briefly in a row it then gives back. */
static bool owned(const int *fd, uint32_t idx, uint64_t id)
{
	uint32_t at;

	return id && bpf_map_lookup_elem(fd[EBS_CGM_IDS], &id, &at) == 0 && at == idx;
}

/* Frees row idx of cgroup id (owned(), under the lock): no longer found
 * by id, no longer its owner's, zeroed on every CPU, back in the free
 * queue, in that order.  The kernel takes a row from the queue only, and
 * assumes it zero; cg_rid is cleared before the row is zeroed
 * (ebs_cg_owned() relies on it).  A step that fails undoes the ones
 * before it where it can: the row stays its cgroup's.  Only a failed push
 * (the queue full: it cannot be while the rows are consistent) loses the
 * row; the insert failures it causes trigger a refill. */
static int recycle(const int *fd, uint32_t idx, uint64_t id, const void *zeros)
{
	uint64_t none = 0;
	int rc;

	if (bpf_map_delete_elem(fd[EBS_CGM_IDS], &id) < 0)
		return -errno;
	if (bpf_map_update_elem(fd[EBS_CGM_RID], &idx, &none, BPF_ANY) < 0) {
		rc = -errno;
		goto undo;
	}
	if (bpf_map_update_elem(fd[EBS_CGM_ROWS], &idx, zeros, BPF_ANY) < 0) {
		rc = -errno;
		bpf_map_update_elem(fd[EBS_CGM_RID], &idx, &id, BPF_ANY);
		goto undo;
	}
	if (bpf_map_update_elem(fd[EBS_CGM_FREE], NULL, &idx, BPF_ANY) < 0)
		return -errno;
	return 0;
undo:
	/* the kernel may have given id another row meanwhile: then this
	 * one is lost, as a failed push loses it */
	bpf_map_update_elem(fd[EBS_CGM_IDS], &id, &idx, BPF_NOEXIST);
	return rc;
}

/* An exclusive flock of the pin directory, not waiting: the readers of
 * one set of pinned tables (collectd, the SNMP subagent, the CLI) recycle
 * one at a time, each from cg_rid as it is under the lock.  -1: another
 * reader holds it (it refills this time) or the directory is gone. */
static int refill_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Keeps max(1, rows / 16) rows free for the cgroups that appear before
 * the next snapshot (a whole reserve more when inserts failed since the
 * last read: rows were lost, or the reserve was too small): the rows of
 * gone cgroups first, then the least recently active ones (unchanged for
 * the most snapshots) among those this reader has watched for two reads
 * at least (a new reader knows nothing of their activity yet).  Returns
 * the rows recycled, or -1 with err. */
static int refill(struct ebs_module *m, const int *fd, struct ebs_cg_lru *l, uint32_t present,
		  bool failures, size_t vsize, char *err, size_t errlen)
{
	uint32_t n = l->n, want = n / 16 ? n / 16 : 1, done = 0;
	char mount[EBS_PATH_LEN], why[EBS_REASON_LEN];
	uint64_t *rid = NULL;
	void *zeros = NULL;
	int mfd = -1, lfd = -1, rc = 0;

	if (!m->cg_recycle || (n - present >= want && !failures))
		return 0;
	if (n - present < want)
		want -= n - present;
	if (m->cg_lock[0] && (lfd = refill_lock(m->cg_lock)) < 0)
		return 0;
	zeros = calloc((size_t)m->ncpus, ebs_round8(vsize));
	rid = calloc(n, sizeof(*rid));
	if (!zeros || !rid || read_rids(fd[EBS_CGM_RID], n, rid) < 0)
		goto out;
	if (find_mount(mount, sizeof(mount), why, sizeof(why)))
		mfd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (uint32_t i = 0; i < n && done < want && rc == 0; i++) {
		if (!rid[i] || !cg_gone(mfd, rid[i]) || !owned(fd, i, rid[i]))
			continue;
		rc = recycle(fd, i, rid[i], zeros);
		if (rc == 0)
			done++;
		else
			snprintf(err, errlen, "recycling cgroup row %u failed: %s", i,
				 strerror(-rc));
		rid[i] = 0;
	}
	while (done < want && rc == 0) {
		uint32_t best = n;

		for (uint32_t i = 0; i < n; i++)
			if (rid[i] && rid[i] == l->id[i] && l->first[i] < l->seq &&
			    (best == n || l->last[i] < l->last[best]))
				best = i;
		if (best == n)
			break;
		if (owned(fd, best, rid[best])) {
			rc = recycle(fd, best, rid[best], zeros);
			if (rc == 0)
				done++;
			else
				snprintf(err, errlen, "recycling cgroup row %u failed: %s", best,
					 strerror(-rc));
		}
		rid[best] = 0;
	}
out:
	if (mfd >= 0)
		close(mfd);
	if (lfd >= 0)
		ebs_pin_unlock(lfd);
	free(zeros);
	free(rid);
	return rc < 0 ? -1 : (int)done;
}

int ebs_cg_read(struct ebs_module *m, struct ebs_snapshot *s, enum ebs_family fam, const int *fd,
		char *err, size_t errlen)
{
	size_t vsize = value_size(fam), nwords = vsize / sizeof(uint64_t);
	struct bpf_map_info info;
	uint32_t len = sizeof(info), n, present = 0, assigned = 0, left;
	uint64_t ctr[EBS_CG_NCTR] = {0}, *rid = NULL, *sums = NULL;
	uint32_t *pos = NULL; /* row i's sums at sums + pos[i] * nwords */
	bool sparse;
	char rerr[EBS_ERR_LEN] = "";
	struct ebs_cg_lru *l;
	int got, rc = -1;

	if (!s->views.cgroups)
		return 0;
	for (uint32_t i = 0; i < EBS_CG_NCTR; i++)
		if (ebs_percpu_sum(fd[EBS_CGM_CTR], &i, sizeof(uint64_t), m->ncpus, &ctr[i], 1) <
		    0) {
			snprintf(err, errlen, "reading the cgroup counters failed: %s",
				 strerror(errno));
			return -1;
		}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd[EBS_CGM_ROWS], &info, &len) < 0) {
		snprintf(err, errlen, "inspecting the cgroup table failed: %s", strerror(errno));
		return -1;
	}
	n = info.max_entries;
	l = lru_of(m, n);
	rid = calloc(n, sizeof(*rid));
	pos = calloc(n, sizeof(*pos));
	if (!l || !rid || !pos) {
		snprintf(err, errlen, "out of memory for %u cgroup rows", n);
		goto out;
	}
	/* owners before rows: a row assigned in between reads as zero */
	got = read_owners(fd, n, rid);
	for (uint32_t i = 0; i < n; i++)
		assigned += rid[i] != 0;
	/* A few rows of a large table (a quiet host, the 512 default): those
	 * rows alone, a lookup each, instead of copying every CPU's copy of
	 * every row (1 MiB a family on 2 CPUs, 1.7 ms a snapshot).  Rows
	 * without an owner are zero but for an event racing with a recycling
	 * (counted as an insert failure), and are not reported either way. */
	sparse = assigned * 4 <= n;
	for (uint32_t i = 0, k = 0; i < n; i++)
		pos[i] = !sparse ? i : rid[i] ? k++ : 0;
	/* (the sums of the assigned rows only, when read one by one) */
	if (got == 0) {
		sums = calloc((size_t)(sparse ? (assigned ? assigned : 1) : n) * nwords,
			      sizeof(*sums));
		if (!sums) {
			snprintf(err, errlen, "out of memory for %u cgroup rows", n);
			goto out;
		}
	}
	if (got == 0 && sparse) {
		for (uint32_t i = 0; i < n && got == 0; i++)
			if (rid[i])
				got = ebs_percpu_sum(fd[EBS_CGM_ROWS], &i, vsize, m->ncpus,
						     sums + (size_t)pos[i] * nwords, nwords);
	} else if (got == 0) {
		uint32_t *keys = calloc(n, sizeof(*keys));

		got = keys ? ebs_percpu_map_read(fd[EBS_CGM_ROWS], sizeof(uint32_t), vsize,
						 m->ncpus, n, keys, sums, nwords)
			   : -ENOMEM;
		free(keys);
		for (uint32_t i = 0; got == -EOPNOTSUPP && i < n; i++)
			if (ebs_percpu_sum(fd[EBS_CGM_ROWS], &i, vsize, m->ncpus,
					   sums + (size_t)i * nwords, nwords) < 0)
				got = -errno;
		if (got == -EOPNOTSUPP || got == (int)n)
			got = 0;
	}
	if (got < 0) {
		snprintf(err, errlen, "reading the cgroup table failed: %s", strerror(-got));
		goto out;
	}
	l->seq++;
	for (uint32_t i = 0; i < n; i++) {
		const uint64_t *w = sums + (size_t)pos[i] * nwords;
		uint64_t sum = 0;
		struct ebs_cgroup_row *r;

		/* a row without an owner is never a recycling candidate: its
		 * activity does not matter */
		for (size_t k = 0; rid[i] && k < nwords; k++)
			sum += w[k];
		if (rid[i] != l->id[i])
			l->first[i] = l->seq;
		if (rid[i] != l->id[i] || sum != l->sum[i])
			l->last[i] = l->seq;
		l->id[i] = rid[i];
		l->sum[i] = sum;
		if (!rid[i])
			continue;
		present++;
		r = row_append(s, rid[i]);
		if (!r) {
			snprintf(err, errlen, "out of memory for cgroup rows");
			goto out;
		}
		fill(fam, r, w);
	}
	got = refill(m, fd, l, present, ctr[EBS_CG_C_FAILED] != l->failed, vsize, rerr,
		     sizeof(rerr));
	l->failed = ctr[EBS_CG_C_FAILED];
	if (got < 0) {
		struct ebs_module_stat *ms = &s->modules[fam];
		size_t at = strlen(ms->reason);

		/* the rows read stay right; say why fewer are free */
		if (ms->status == EBS_ST_OK)
			ms->status = EBS_ST_DEGRADED;
		snprintf(ms->reason + at, sizeof(ms->reason) - at, "%s%s", at ? "; " : "", rerr);
		got = 0;
	}
	s->cg.inserts += ctr[EBS_CG_C_INSERTS];
	/* rows freed (by any reader) = inserts - rows present at the read;
	 * the rows this read recycled are among those present */
	left = (uint32_t)got < present ? present - (uint32_t)got : 0;
	if (ctr[EBS_CG_C_INSERTS] > left)
		s->cg.evictions += ctr[EBS_CG_C_INSERTS] - left;
	s->cg.failed += ctr[EBS_CG_C_FAILED];
	s->cg.unattributed += ctr[EBS_CG_C_UNATTRIBUTED];
	rc = 0;
out:
	free(rid);
	free(sums);
	free(pos);
	return rc;
}

/* ---- names ------------------------------------------------------------- */

struct cg_name {
	uint64_t id;
	uint64_t gone_seq; /* the snapshot that first missed it; 0: present */
	char name[EBS_CG_NAME_LEN];
};

struct ebs_cg_state {
	struct cg_name *known; /* ascending id: the rows of the last snapshot */
	size_t n_known;
	/* the cgroup2 mount as /proc/mounts said at mount_ns (CLOCK_MONOTONIC) */
	uint64_t mount_ns;
	bool mounted;
	char mount[EBS_PATH_LEN], why[EBS_REASON_LEN];
};

struct ebs_cg_state *ebs_cg_state_new(void)
{
	return calloc(1, sizeof(struct ebs_cg_state));
}

void ebs_cg_state_free(struct ebs_cg_state *st)
{
	if (!st)
		return;
	free(st->known);
	free(st);
}

/* The first cgroup2 mount in /proc/mounts; EBPFSTATS_TEST_CGROUP_MOUNT
 * replaces it in tests ("" or "none": no mount). */
static bool find_mount(char *buf, size_t len, char *why, size_t whylen)
{
	const char *t = getenv("EBPFSTATS_TEST_CGROUP_MOUNT");
	struct mntent *me;
	FILE *f;

	if (t) {
		if (!*t || strcmp(t, "none") == 0) {
			snprintf(why, whylen, "no cgroup2 filesystem mounted (test)");
			return false;
		}
		snprintf(buf, len, "%s", t);
		return true;
	}
	f = setmntent("/proc/mounts", "r");
	if (!f) {
		snprintf(why, whylen, "cannot read /proc/mounts: %s", strerror(errno));
		return false;
	}
	while ((me = getmntent(f)))
		if (strcmp(me->mnt_type, "cgroup2") == 0) {
			snprintf(buf, len, "%s", me->mnt_dir);
			endmntent(f);
			return true;
		}
	endmntent(f);
	snprintf(why, whylen, "no cgroup2 filesystem in /proc/mounts");
	return false;
}

/* find_mount() at most every 10 s: /proc/mounts lists every mount, and
 * reading it was 5 % of a snapshot's time.  A cgroup2 mount made or
 * removed meanwhile is seen within 10 s. */
static bool cached_mount(struct ebs_cg_state *st, char *buf, size_t len, char *why, size_t whylen)
{
	struct timespec ts;
	uint64_t now;

	if (getenv("EBPFSTATS_TEST_CGROUP_MOUNT") || clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return find_mount(buf, len, why, whylen);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (!st->mount_ns || now - st->mount_ns >= 10000000000ULL) {
		st->mount[0] = st->why[0] = '\0';
		st->mounted = find_mount(st->mount, sizeof(st->mount), st->why, sizeof(st->why));
		st->mount_ns = now;
	}
	snprintf(buf, len, "%s", st->mount);
	snprintf(why, whylen, "%s", st->why);
	return st->mounted;
}

struct walk {
	struct cg_name *v;
	size_t n, cap;
};

static int walk_add(struct walk *w, uint64_t id, const char *name)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 128;
		struct cg_name *n = realloc(w->v, cap * sizeof(*n));

		if (!n)
			return -1;
		w->v = n;
		w->cap = cap;
	}
	w->v[w->n].id = id;
	w->v[w->n].gone_seq = 0;
	snprintf(w->v[w->n].name, sizeof(w->v[w->n].name), "%s", name);
	w->n++;
	return 0;
}

/* The directories below dirfd (path rel, "" at the mount) down to level
 * max; closes dirfd.  A directory that vanishes meanwhile is skipped. */
static int walk_dir(struct walk *w, int dirfd, const char *rel, unsigned level, unsigned max)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dirfd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d))) {
		char path[EBS_CG_NAME_LEN];
		struct stat st;
		int fd;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
				     de->d_name) >= sizeof(path))
			continue; /* deeper than a name can say: its ancestor's row */
		rc = walk_add(w, (uint64_t)st.st_ino, path);
		if (rc == 0 && level < max) {
			fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				rc = walk_dir(w, fd, path, level + 1, max);
		}
	}
	closedir(d);
	return rc;
}

/* Depth first below dirfd (path rel) for the directory whose inode is id,
 * its path into out; closes dirfd.  1: found.  The path's length bounds
 * the depth. */
static int search_dir(int dirfd, const char *rel, uint64_t id, char *out, size_t len)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int found = 0;

	if (!d) {
		close(dirfd);
		return 0;
	}
	while (!found && (de = readdir(d))) {
		char path[EBS_CG_NAME_LEN];
		struct stat st;
		int fd;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
				     de->d_name) >= sizeof(path))
			continue;
		if ((uint64_t)st.st_ino == id) {
			snprintf(out, len, "%s", path);
			found = 1;
			break;
		}
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			found = search_dir(fd, path, id, out, len);
	}
	closedir(d);
	return found;
}

int ebs_cg_path_of(uint64_t id, char *buf, size_t len)
{
	char mount[EBS_PATH_LEN], why[EBS_REASON_LEN];
	struct stat sb;
	int fd, found = 0;

	if (len)
		buf[0] = '\0';
	if (!id || !len || !find_mount(mount, sizeof(mount), why, sizeof(why)))
		return -1;
	fd = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) == 0 && (uint64_t)sb.st_ino == id) {
		snprintf(buf, len, "/");
		close(fd);
		return 0;
	}
	found = search_dir(fd, "", id, buf, len); /* closes fd */
	if (!found)
		buf[0] = '\0';
	return found ? 0 : -1;
}

static int cmp_name(const void *a, const void *b)
{
	uint64_t x = ((const struct cg_name *)a)->id, y = ((const struct cg_name *)b)->id;

	return x < y ? -1 : x > y;
}

static const struct cg_name *find(const struct cg_name *v, size_t n, uint64_t id)
{
	struct cg_name key = {.id = id};

	return n ? bsearch(&key, v, n, sizeof(*v), cmp_name) : NULL;
}

static int cmp_row(const void *a, const void *b)
{
	uint64_t x = ((const struct ebs_cgroup_row *)a)->id;
	uint64_t y = ((const struct ebs_cgroup_row *)b)->id;

	return x < y ? -1 : x > y;
}

/* Two partial rows of one id: each family filled only its own columns. */
static void merge(struct ebs_cgroup_row *d, const struct ebs_cgroup_row *r)
{
	d->sys_calls += r->sys_calls;
	d->sys_errors += r->sys_errors;
	d->sys_latency_ns += r->sys_latency_ns;
	d->switches_vol += r->switches_vol;
	d->switches_invol += r->switches_invol;
	d->oncpu_ns += r->oncpu_ns;
	d->runq_ns += r->runq_ns;
	d->runq_samples += r->runq_samples;
	for (unsigned b = 0; b < EBS_CG_HIST_SLOTS; b++) {
		d->sys_hist[b] += r->sys_hist[b];
		d->runq_hist[b] += r->runq_hist[b];
	}
	d->tcp_active_opens += r->tcp_active_opens;
	d->tcp_passive_opens += r->tcp_passive_opens;
	d->tcp_retransmits += r->tcp_retransmits;
	d->tcp_resets += r->tcp_resets;
	d->tcp_bytes_in += r->tcp_bytes_in;
	d->tcp_bytes_out += r->tcp_bytes_out;
	d->faults += r->faults;
	d->oom_kills += r->oom_kills;
}

static bool wanted(const struct ebs_config *cfg, const char *name)
{
	if (cfg->n_cgroup_filter == 0)
		return true;
	for (unsigned i = 0; i < cfg->n_cgroup_filter && i < EBS_CG_FILTERS; i++)
		if (fnmatch(cfg->cgroup_filter[i], name, 0) == 0)
			return true;
	return false;
}

uint32_t ebs_cg_index(uint64_t id)
{
	/* kernfs ids are below 2^31 until the kernel has made 2^31 of
	 * them since boot (then the upper 32 bits count the wraps) */
	if (id < (UINT64_C(1) << 31))
		return (uint32_t)id;
	return (uint32_t)(UINT64_C(0x80000000) | (id & 0x7fffffff));
}

static const struct ebs_cgroup_row *prev_row(const struct ebs_snapshot *p, uint64_t id)
{
	struct ebs_cgroup_row key;

	if (!p || !p->n_cgroups)
		return NULL;
	key.id = id;
	return bsearch(&key, p->cgroups, p->n_cgroups, sizeof(key), cmp_row);
}

void ebs_cg_finish(struct ebs_cg_state *st, const struct ebs_config *cfg, struct ebs_snapshot *s,
		   const struct ebs_snapshot *p)
{
	struct walk w = {0};
	struct cg_name *known = NULL;
	size_t n_known = 0;
	bool mounted;
	uint32_t n = 0;

	s->cg.depth = cfg->cgroup_depth;
	if (!s->views.cgroups) {
		s->cg.status = EBS_ST_DISABLED;
		snprintf(s->cg.reason, sizeof(s->cg.reason), "collect_cgroups is false");
		return;
	}
	s->cg.status = EBS_ST_OK;
	mounted = cached_mount(st, s->cg.mount, sizeof(s->cg.mount), s->cg.reason,
			       sizeof(s->cg.reason));
	if (mounted) {
		struct stat sb;
		int fd = open(s->cg.mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

		if (fd >= 0 && fstat(fd, &sb) == 0 && walk_add(&w, (uint64_t)sb.st_ino, "/") == 0) {
			rc = walk_dir(&w, fd, "", 1, cfg->cgroup_depth); /* closes fd */
			fd = -1;
		}
		if (rc < 0) {
			snprintf(s->cg.reason, sizeof(s->cg.reason), "cannot read %s: %s",
				 s->cg.mount, fd < 0 && errno ? strerror(errno) : "out of memory");
			mounted = false;
		}
		if (fd >= 0)
			close(fd);
		qsort(w.v, w.n, sizeof(*w.v), cmp_name);
	}
	if (!mounted) {
		s->cg.status = EBS_ST_DEGRADED;
		snprintf(s->cg.reason + strlen(s->cg.reason),
			 sizeof(s->cg.reason) - strlen(s->cg.reason),
			 ": rows are named by id only");
	}

	if (s->n_cgroups) /* qsort(NULL, 0) is undefined */
		qsort(s->cgroups, s->n_cgroups, sizeof(*s->cgroups), cmp_row);
	if (s->n_cgroups)
		known = calloc(s->n_cgroups, sizeof(*known));
	for (uint32_t i = 0; i < s->n_cgroups; i++) {
		struct ebs_cgroup_row *r = &s->cgroups[i];
		const struct cg_name *c;

		if (n && s->cgroups[n - 1].id == r->id) {
			merge(&s->cgroups[n - 1], r);
			continue;
		}
		if (n != i)
			s->cgroups[n] = *r;
		r = &s->cgroups[n++];
		if (!mounted)
			continue;
		c = find(w.v, w.n, r->id);
		if (c) {
			snprintf(r->name, sizeof(r->name), "%s", c->name);
			if (known)
				known[n_known++] = *c;
			continue;
		}
		/* not under the mount (any more): gone, for one snapshot */
		c = find(st->known, st->n_known, r->id);
		if (known) {
			struct cg_name *k = &known[n_known++];

			k->id = r->id;
			k->gone_seq = c && c->gone_seq ? c->gone_seq : s->sequence;
			snprintf(k->name, sizeof(k->name), "%s", c ? c->name : "");
			snprintf(r->name, sizeof(r->name), "%s", k->name);
			if (k->gone_seq < s->sequence) {
				n--; /* marked gone in an earlier snapshot: out */
				continue;
			}
		}
		r->gone = true;
	}
	s->n_cgroups = n;
	free(w.v);
	free(st->known);
	st->known = known;
	st->n_known = n_known;

	/* cgroup_filter, then the derived columns */
	n = 0;
	for (uint32_t i = 0; i < s->n_cgroups; i++) {
		struct ebs_cgroup_row *r = &s->cgroups[i];
		const struct ebs_cgroup_row *q;

		if (!wanted(cfg, r->name)) {
			s->cg.filtered++;
			continue;
		}
		if (n != i)
			s->cgroups[n] = *r;
		r = &s->cgroups[n++];
		r->index = ebs_cg_index(r->id);
		snprintf(r->id_text, sizeof(r->id_text), "%" PRIu64, r->id);
		q = prev_row(p, r->id);
		if (q && s->interval_ns && r->sys_calls >= q->sys_calls)
			r->sys_rate = (double)(r->sys_calls - q->sys_calls) * 1e9 /
				      (double)s->interval_ns;
		ebs_cg_hist_pct(&r->sys_pct, r->sys_hist, q ? q->sys_hist : NULL, 1000.0);
		ebs_cg_hist_pct(&r->runq_pct, r->runq_hist, q ? q->runq_hist : NULL, 1000.0);
	}
	s->n_cgroups = n;
}
