/* Per-cgroup rows (collect_cgroups).  Each family's kernel object keeps a
 * per-CPU LRU table keyed by cgroup id (bpf/cgroup.h); a module's read()
 * hands its table to ebs_cg_read(), which appends one partial row per id
 * with that family's columns.  After the modules, ebs_cg_finish() merges
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
 * and is left out after that (its kernel rows stay until the LRU evicts
 * them: nothing but the LRU deletes, which keeps evictions exact). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "internal.h"

_Static_assert(EBS_CG_HIST_SLOTS == sizeof(((struct ebs_cg_sys *)0)->hist) / sizeof(__u64),
	       "kernel and snapshot cgroup histograms differ in size");

/* ---- load -------------------------------------------------------------- */

int ebs_cg_setup(struct bpf_map *map, bool *on, uint32_t *depth, const struct ebs_config *cfg,
		 char *err, size_t errlen)
{
	uint32_t n = cfg->cgroups && cfg->max_cgroups ? cfg->max_cgroups : 1;
	int rc;

	*on = cfg->cgroups;
	*depth = cfg->cgroup_depth;
	rc = bpf_map__set_max_entries(map, n);
	if (rc < 0)
		snprintf(err, errlen, "sizing %s to map_sizes.cgroups %u failed: %s",
			 bpf_map__name(map), n, strerror(-rc));
	return rc;
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

/* Key by key, for kernels without batch lookups on this map type. */
static int read_by_key(int fd, size_t vsize, int ncpus, uint32_t cap, uint64_t *keys,
		       uint64_t *sums, size_t nwords)
{
	uint64_t key, next;
	uint32_t n = 0;
	bool first = true;

	while (n < cap && bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (ebs_percpu_sum(fd, &key, vsize, ncpus, sums + (size_t)n * nwords, nwords) < 0)
			continue; /* evicted since */
		keys[n++] = key;
	}
	return (int)n;
}

int ebs_cg_read(struct ebs_module *m, struct ebs_snapshot *s, enum ebs_family fam, int map_fd,
		int ctr_fd, char *err, size_t errlen)
{
	size_t vsize = value_size(fam), nwords = vsize / sizeof(uint64_t);
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	uint64_t ctr[EBS_CG_NCTR] = {0}, *keys = NULL, *sums = NULL;
	int n, rc = -1;

	if (!s->views.cgroups)
		return 0;
	for (uint32_t i = 0; i < EBS_CG_NCTR; i++)
		if (ebs_percpu_sum(ctr_fd, &i, sizeof(uint64_t), m->ncpus, &ctr[i], 1) < 0) {
			snprintf(err, errlen, "reading the cgroup counters failed: %s",
				 strerror(errno));
			return -1;
		}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len) < 0) {
		snprintf(err, errlen, "inspecting the cgroup table failed: %s", strerror(errno));
		return -1;
	}
	keys = calloc(info.max_entries, sizeof(*keys));
	sums = calloc((size_t)info.max_entries * nwords, sizeof(*sums));
	if (!keys || !sums) {
		snprintf(err, errlen, "out of memory for %u cgroup rows", info.max_entries);
		goto out;
	}
	n = ebs_percpu_map_read(map_fd, sizeof(uint64_t), vsize, m->ncpus, info.max_entries, keys,
				sums, nwords);
	if (n == -EOPNOTSUPP)
		n = read_by_key(map_fd, vsize, m->ncpus, info.max_entries, keys, sums, nwords);
	if (n < 0) {
		snprintf(err, errlen, "reading the cgroup table failed: %s", strerror(-n));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct ebs_cgroup_row *r = row_append(s, keys[i]);

		if (!r) {
			snprintf(err, errlen, "out of memory for cgroup rows");
			goto out;
		}
		fill(fam, r, sums + (size_t)i * nwords);
	}
	s->cg.inserts += ctr[EBS_CG_C_INSERTS];
	/* nothing but the LRU removes rows */
	if (ctr[EBS_CG_C_INSERTS] > (uint64_t)n)
		s->cg.evictions += ctr[EBS_CG_C_INSERTS] - (uint64_t)n;
	s->cg.failed += ctr[EBS_CG_C_FAILED];
	s->cg.unattributed += ctr[EBS_CG_C_UNATTRIBUTED];
	rc = 0;
out:
	free(keys);
	free(sums);
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
	mounted = find_mount(s->cg.mount, sizeof(s->cg.mount), s->cg.reason, sizeof(s->cg.reason));
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
