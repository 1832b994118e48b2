/* libebpfstats core: open (probe, load or reuse pins, attach), snapshot
 * (read maps, BPF stats, percentiles over deltas), close. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "config_schema.h"
#include "internal.h"

static const struct ebs_module_ops *const module_ops[EBS_FAM_COUNT] = {
	[EBS_FAM_SYSCALLS] = &ebs_module_syscalls,
	[EBS_FAM_TCP] = &ebs_module_tcp,
	[EBS_FAM_SCHED] = &ebs_module_sched,
	[EBS_FAM_MEMORY] = &ebs_module_memory,
};

struct ebs {
	struct ebs_config cfg;
	struct ebs_host host;
	struct ebs_module mods[EBS_FAM_COUNT];
	struct ebs_module_stat stats[EBS_FAM_COUNT];
	bool running[EBS_FAM_COUNT];
	bool owns_pins[EBS_FAM_COUNT]; /* we loaded them, links pinned */
	bool probe;		       /* ebs_open_probe(): change nothing outside */
	uint64_t loaded_unix_ms[EBS_FAM_COUNT];
	int stats_fd;
	bool bpf_stats;
	struct ebs_snapshot snaps[2];
	struct ebs_cg_state *cg; /* names and removals of the cgroup rows */
	int cur;		 /* index of the newest snapshot, -1 before the first */
	uint64_t seq;
	int ncpus;
};

/* ---- small helpers ---------------------------------------------------- */

/* Keys per batch lookup: at most 256, and no more than fit in 256 KiB of
 * per-CPU values, so that machines with many CPUs keep the buffer small. */
#define BATCH_KEYS_MAX 256U
#define BATCH_BYTES (256U * 1024U)

size_t ebs_round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int ebs_percpu_lookup(int fd, const void *key, void *buf, size_t value_size, int ncpus)
{
	memset(buf, 0, ebs_round8(value_size) * (size_t)ncpus);
	return bpf_map_lookup_elem(fd, key, buf) < 0 ? -errno : 0;
}

bool ebs_test_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

int ebs_map_batch_each(int fd, size_t key_size, size_t value_size, uint32_t chunk,
		       int (*each)(void *ctx, const void *key, const void *value), void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	/* the batch position: a u32 bucket (hash maps) or index (arrays) */
	uint64_t in = 0, out = 0;
	unsigned char *kbuf = NULL, *vbuf = NULL;
	uint32_t n = 0;
	bool first = true;
	int rc;

	/* tests take the key-by-key path of older kernels this way */
	if (ebs_test_flag("EBPFSTATS_TEST_NO_BATCH"))
		return -EOPNOTSUPP;
	if (chunk == 0)
		chunk = 1;
	for (;;) {
		__u32 count = chunk;
		bool stop = false;

		if (!kbuf) {
			/* zeroed: valgrind does not model BPF_MAP_LOOKUP_BATCH's writes */
			kbuf = calloc(chunk, key_size);
			vbuf = calloc(chunk, value_size);
			if (!kbuf || !vbuf) {
				rc = -ENOMEM;
				break;
			}
		}
		rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, kbuf, vbuf, &count, &opts);
		if (rc < 0 && rc != -ENOENT) {
			if (rc == -ENOSPC && chunk < (1U << 20)) {
				/* one bucket holds more keys than a chunk: a bigger one */
				chunk *= 2;
				free(kbuf);
				free(vbuf);
				kbuf = vbuf = NULL;
				continue;
			}
			if (first &&
			    (rc == -EINVAL || rc == -EOPNOTSUPP || rc == -524 /* ENOTSUPP */))
				rc = -EOPNOTSUPP;
			break;
		}
		for (__u32 i = 0; i < count && i < chunk && !stop; i++, n++)
			stop = each(ctx, kbuf + (size_t)i * key_size,
				    vbuf + (size_t)i * value_size);
		if (rc == -ENOENT || stop) {
			rc = (int)n;
			break;
		}
		in = out;
		first = false;
	}
	free(kbuf);
	free(vbuf);
	return rc;
}

/* ebs_percpu_map_read's state between entries of ebs_map_batch_each */
struct percpu_read {
	size_t key_size, stride, nwords;
	int ncpus;
	uint32_t n, cap;
	void *keys;
	uint64_t *sums;
};

static int percpu_read_one(void *ctx, const void *key, const void *value)
{
	struct percpu_read *r = ctx;
	uint64_t *sum = r->sums + (size_t)r->n * r->nwords;

	memcpy((unsigned char *)r->keys + (size_t)r->n * r->key_size, key, r->key_size);
	memset(sum, 0, r->nwords * sizeof(uint64_t));
	for (int c = 0; c < r->ncpus; c++) {
		const uint64_t *v =
			(const uint64_t *)((const unsigned char *)value + r->stride * (size_t)c);
		for (size_t w = 0; w < r->nwords; w++)
			sum[w] += v[w];
	}
	return ++r->n >= r->cap;
}

int ebs_percpu_map_read(int fd, size_t key_size, size_t value_size, int ncpus, uint32_t cap,
			void *keys, uint64_t *sums, size_t nwords)
{
	size_t stride = ebs_round8(value_size), vsize = stride * (size_t)ncpus;
	uint32_t chunk = vsize ? (uint32_t)(BATCH_BYTES / vsize) : BATCH_KEYS_MAX;
	struct percpu_read r = {.key_size = key_size,
				.stride = stride,
				.nwords = nwords,
				.ncpus = ncpus,
				.cap = cap,
				.keys = keys,
				.sums = sums};
	int rc;

	if (chunk > BATCH_KEYS_MAX)
		chunk = BATCH_KEYS_MAX;
	if (cap == 0)
		return 0;
	rc = ebs_map_batch_each(fd, key_size, vsize, chunk, percpu_read_one, &r);
	return rc < 0 ? rc : (int)r.n;
}

int ebs_percpu_sum(int fd, const void *key, size_t value_size, int ncpus, uint64_t *out,
		   size_t nwords)
{
	size_t stride = ebs_round8(value_size);
	unsigned char *buf = malloc(stride * (size_t)ncpus);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = ebs_percpu_lookup(fd, key, buf, value_size, ncpus);
	memset(out, 0, nwords * sizeof(uint64_t));
	if (rc == 0)
		for (int c = 0; c < ncpus; c++) {
			const uint64_t *v = (const uint64_t *)(buf + stride * (size_t)c);
			for (size_t w = 0; w < nwords; w++)
				out[w] += v[w];
		}
	free(buf);
	return rc;
}

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 3 >= len)
		return;
	if (used) {
		buf[used++] = ';';
		buf[used++] = ' ';
		buf[used] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

int ebs_iter_run(struct ebs_module *m, void (*sink)(void *ctx, const void *buf, size_t n),
		 void *ctx)
{
	char buf[4096];
	int link = m->iter_fd, fd = -1, rc = 0;
	ssize_t n;

	if (link < 0 && m->iter_pin[0]) {
		link = bpf_obj_get(m->iter_pin);
		/* gone: 'ebpfstats unload' took the pins (and the programs) */
		if (link < 0 && errno == ENOENT)
			return 0;
		if (link < 0)
			rc = -errno;
	}
	if (link < 0)
		goto out;
	rc = 1;
	fd = bpf_iter_create(link);
	if (fd < 0)
		rc = -errno;
	/* each read walks objects until the buffer is full, the end (0) or
	 * a bound on objects per read (EAGAIN: read on) */
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (n > 0 && sink)
			sink(ctx, buf, (size_t)n);
	}
	if (fd >= 0)
		close(fd);
	if (link != m->iter_fd)
		close(link);
out:
	if (rc < 0 && !m->iter_failed) {
		m->iter_failed = true;
		snprintf(buf, sizeof(buf), "%s run failed (%s): %s", m->ops->iter_name,
			 strerror(-rc), m->ops->iter_fallback);
		append(m->stat->reason, sizeof(m->stat->reason), "%s", buf);
		if (m->stat->status == EBS_ST_OK)
			m->stat->status = EBS_ST_DEGRADED;
	}
	return rc;
}

static void set_status(struct ebs_module_stat *st, enum ebs_status s, const char *fmt, ...)
{
	va_list ap;

	st->status = s;
	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	va_end(ap);
}

static const char *kind_name(enum ebs_attach_kind k)
{
	switch (k) {
	case EBS_ATT_BTF: return "tp_btf";
	case EBS_ATT_RAW: return "raw_tp";
	case EBS_ATT_TP: return "tracepoint";
	default: return "";
	}
}

static const char *hook_prog(const struct ebs_module *m, const struct ebs_hook *hk,
			     enum ebs_attach_kind k)
{
	bool alt = m->alt && (hk->alt_btf || hk->alt_raw || hk->alt_tp);

	switch (k) {
	case EBS_ATT_BTF: return alt ? hk->alt_btf : hk->prog_btf;
	case EBS_ATT_RAW: return alt ? hk->alt_raw : hk->prog_raw;
	case EBS_ATT_TP: return alt ? hk->alt_tp : hk->prog_tp;
	default: return NULL;
	}
}

static void describe_attach(struct ebs_module *m)
{
	enum ebs_attach_kind seen = EBS_ATT_NONE;
	bool mixed = false;

	for (unsigned i = 0; i < m->ops->n_hooks; i++) {
		if (m->chosen[i] == EBS_ATT_NONE)
			continue;
		if (seen != EBS_ATT_NONE && seen != m->chosen[i])
			mixed = true;
		seen = m->chosen[i];
	}
	snprintf(m->stat->attach, sizeof(m->stat->attach), "%s", mixed ? "mixed" : kind_name(seen));
}

/* ---- loading ---------------------------------------------------------- */

static void module_unload(struct ebs_module *m, bool close_fds)
{
	for (unsigned i = 0; i < EBS_MAX_HOOKS; i++) {
		bpf_link__destroy(m->links[i]); /* a pinned link stays attached */
		m->links[i] = NULL;
	}
	bpf_link__destroy(m->iter_link); /* its fd is iter_fd; a pinned link stays */
	m->iter_link = NULL;
	m->iter_fd = -1;
	m->iter_pin[0] = '\0';
	if (m->ops && m->ops->destroy)
		m->ops->destroy(m);
	m->skel = NULL;
	if (!m->obj && close_fds) {
		/* fds from pins are ours; fds of a loaded object belong to it */
		for (unsigned i = 0; i < EBS_MAX_MAPS; i++)
			if (m->map_fd[i] >= 0)
				close(m->map_fd[i]);
		for (unsigned i = 0; i < m->n_prog_fd; i++)
			if (m->prog_fd[i] >= 0)
				close(m->prog_fd[i]);
	}
	m->obj = NULL;
	for (unsigned i = 0; i < EBS_MAX_MAPS; i++)
		m->map_fd[i] = -1;
	m->n_prog_fd = 0;
	ebs_cg_lru_free(m->cg_lru);
	m->cg_lru = NULL;
}

/* Opens, loads and attaches with the flavours in m->chosen.  Optional hooks
 * that fail to attach are dropped into note. */
static int module_load(struct ebs *e, struct ebs_module *m, char *note, size_t notelen, char *err,
		       size_t errlen)
{
	const struct ebs_module_ops *ops = m->ops;
	struct bpf_program *prog;

	ebs_libbpf_reset();
	m->obj = ops->open(m, &e->cfg, err, errlen);
	if (!m->obj)
		return -1;
	bpf_object__for_each_program(prog, m->obj) bpf_program__set_autoload(prog, false);
	for (unsigned i = 0; i < ops->n_hooks; i++) {
		const char *name = hook_prog(m, &ops->hooks[i], m->chosen[i]);
		if (!name)
			continue;
		prog = bpf_object__find_program_by_name(m->obj, name);
		if (!prog) {
			snprintf(err, errlen, "program %s missing from the %s object", name,
				 ops->name);
			return -1;
		}
		bpf_program__set_autoload(prog, true);
	}
	if (m->iter_on) {
		const char *name = m->alt ? ops->iter_prog_alt : ops->iter_prog;

		prog = bpf_object__find_program_by_name(m->obj, name);
		if (!prog) {
			snprintf(err, errlen, "program %s missing from the %s object", name,
				 ops->name);
			return -1;
		}
		bpf_program__set_autoload(prog, true);
	}
	if (ops->load(m) < 0) {
		snprintf(err, errlen, "loading the %s programs failed: %s", ops->name,
			 ebs_libbpf_last()[0] ? ebs_libbpf_last() : strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < ops->n_hooks; i++) {
		const struct ebs_hook *hk = &ops->hooks[i];
		const char *name = hook_prog(m, hk, m->chosen[i]);
		if (!name)
			continue;
		prog = bpf_object__find_program_by_name(m->obj, name);
		m->links[i] = bpf_program__attach(prog);
		if (!m->links[i]) {
			int saved = errno;
			m->links[i] = NULL;
			if (!hk->optional) {
				snprintf(err, errlen, "attaching %s to %s:%s failed: %s", name,
					 hk->category, hk->event, strerror(saved));
				return -1;
			}
			append(note, notelen, "%s:%s not attached (%s)", hk->category, hk->event,
			       strerror(saved));
			m->chosen[i] = EBS_ATT_NONE;
			continue;
		}
		if (m->n_prog_fd < EBS_MAX_HOOKS * 3)
			m->prog_fd[m->n_prog_fd++] = bpf_program__fd(prog);
	}
	if (m->iter_on) {
		prog = bpf_object__find_program_by_name(m->obj, m->alt ? ops->iter_prog_alt
								       : ops->iter_prog);
		m->iter_link = bpf_program__attach_iter(prog, NULL);
		if (!m->iter_link) {
			append(note, notelen, "%s not attached (%s): %s", ops->iter_name,
			       strerror(errno), ops->iter_fallback);
			m->iter_on = false;
		} else {
			m->iter_fd = bpf_link__fd(m->iter_link);
		}
	}
	for (unsigned i = 0; i < ops->n_maps; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(m->obj, ops->maps[i]);
		if (!map) {
			snprintf(err, errlen, "map %s missing from the %s object", ops->maps[i],
				 ops->name);
			return -1;
		}
		m->map_fd[i] = bpf_map__fd(map);
	}
	return 0;
}

/* Pins of our layout number can still hold maps of another shape (a layout
 * bump forgotten, a hand-made pin); a per-CPU value or a key larger than
 * ours would overflow the buffers read() passes to the kernel.  Every pinned
 * map must have the type, key and value size this build's object declares. */
static int pins_fit(struct ebs *e, struct ebs_module *m, const char *dir, char *err, size_t errlen)
{
	struct bpf_object *obj;
	int rc = 0;

	ebs_libbpf_reset();
	obj = m->ops->open(m, &e->cfg, err, errlen);
	if (!obj)
		return -1;
	for (unsigned i = 0; i < m->ops->n_maps && rc == 0; i++) {
		const struct bpf_map *map = bpf_object__find_map_by_name(obj, m->ops->maps[i]);
		struct bpf_map_info info;
		uint32_t len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!map || bpf_obj_get_info_by_fd(m->map_fd[i], &info, &len) < 0) {
			snprintf(err, errlen, "cannot inspect pinned map %s at %s: %s",
				 m->ops->maps[i], dir, map ? strerror(errno) : "not in this build");
			rc = -1;
		} else if (info.type != (uint32_t)bpf_map__type(map) ||
			   info.key_size != bpf_map__key_size(map) ||
			   info.value_size != bpf_map__value_size(map)) {
			snprintf(
				err, errlen,
				"incompatible pins at %s: map %s is type %u, key %u B, value %u B, "
				"this build's is type %u, %u B, %u B; run 'ebpfstats unload' to "
				"remove them",
				dir, m->ops->maps[i], info.type, info.key_size, info.value_size,
				(unsigned)bpf_map__type(map), bpf_map__key_size(map),
				bpf_map__value_size(map));
			rc = -1;
		}
	}
	m->ops->destroy(m);
	m->skel = NULL;
	return rc;
}

static void module_start(struct ebs *e, enum ebs_family fam)
{
	struct ebs_module *m = &e->mods[fam];
	struct ebs_module_stat *st = &e->stats[fam];
	const struct ebs_config *cfg = &e->cfg;
	char note[EBS_REASON_LEN] = "", err[EBS_ERR_LEN] = "", dir[EBS_PATH_LEN * 2];
	char leftover[EBS_ERR_LEN] = "";
	bool pinned, any_btf = false;
	int lock = -1;

	if (!cfg->enabled) {
		set_status(st, EBS_ST_DISABLED, "enabled is false in %s", cfg->source);
		return;
	}
	if (!cfg->collect[fam]) {
		set_status(st, EBS_ST_DISABLED, "%s is false in %s", ebs_config_family_key(fam),
			   cfg->source);
		return;
	}
	if (!e->host.btf) {
		set_status(st, EBS_ST_UNAVAILABLE, "%s", e->host.btf_err);
		return;
	}
	for (unsigned i = 0; i < m->ops->n_hooks; i++) {
		const struct ebs_hook *hk = &m->ops->hooks[i];
		char why[EBS_REASON_LEN];

		m->chosen[i] = EBS_ATT_NONE;
		if (!ebs_hook_wanted(hk, cfg))
			continue;
		m->chosen[i] = ebs_hook_choose(&e->host, hk, why, sizeof(why));
		if (m->chosen[i] == EBS_ATT_NONE) {
			if (!hk->optional) {
				set_status(st, EBS_ST_UNAVAILABLE, "%s", why);
				return;
			}
			append(note, sizeof(note), "%s", why);
		}
		any_btf |= m->chosen[i] == EBS_ATT_BTF;
	}

	pinned = cfg->pin_path[0] && e->host.bpffs_ok;
	if (cfg->pin_path[0] && !e->host.bpffs_ok)
		append(note, sizeof(note), "%s", e->host.bpffs_err);
	/* A pin directory this process may not create or lock (a service uid
	 * under systemd's bpffs, mounted 0700) is taken like no bpffs at all:
	 * private programs and a degraded status saying why. */
	if (pinned && (ebs_pin_dir(cfg, m->ops->name, dir, sizeof(dir)) < 0 ||
		       (e->probe ? ebs_pin_lockable(cfg->pin_path, err, sizeof(err))
				 : (lock = ebs_pin_lock(cfg->pin_path, err, sizeof(err)))) < 0)) {
		append(note, sizeof(note), "%s: programs are private to this process",
		       err[0] ? err : "pin path too long");
		err[0] = '\0';
		pinned = false;
	}
	if (pinned) {
		struct ebs_pin_meta meta;
		int rc;

		/* a probe reads pins as any reader does, lock-free: the meta,
		 * pinned last, says whether a loader has finished */
		rc = ebs_pin_reuse(m, dir, e->probe, &meta, err, sizeof(err));
		if (rc == 1 && pins_fit(e, m, dir, err, sizeof(err)) < 0)
			rc = -1;
		if (rc < 0) {
			module_unload(m, true);
			set_status(st, EBS_ST_UNAVAILABLE, "%s", err);
			ebs_pin_unlock(lock);
			return;
		}
		if (rc == 1) {
			st->reused_pins = true;
			e->loaded_unix_ms[fam] = meta.loaded_unix_ms;
			snprintf(st->attach, sizeof(st->attach), "%s", meta.attach);
			set_status(st, (enum ebs_status)meta.status, "%s", meta.reason);
			if (meta.cfg_digest != ebs_cfg_digest(cfg, fam))
				append(st->reason, sizeof(st->reason),
				       "pinned programs were loaded with other settings, which stay "
				       "in force until 'ebpfstats unload'");
			e->running[fam] = true;
			m->cg_lock = cfg->pin_path;
			ebs_pin_unlock(lock);
			return;
		}
		/* nothing usable pinned: a probe loads private programs, pins nothing */
		if (e->probe) {
			snprintf(leftover, sizeof(leftover), "%s", err);
			err[0] = '\0';
			pinned = false;
		}
	}

	if (!e->host.caps_ok) {
		set_status(st, EBS_ST_UNAVAILABLE, "%s", e->host.caps_err);
		ebs_pin_unlock(lock);
		return;
	}
	/* The module's iterator, where this kernel has its kind: else, and
	 * where it does not load, the module runs without it (degraded). */
	m->iter_on = false;
	if (m->ops->iter_prog) {
		int kind = btf__find_by_name_kind(e->host.btf, m->ops->iter_btf, BTF_KIND_STRUCT);

		if (ebs_test_flag("EBPFSTATS_TEST_NO_ITER"))
			append(note, sizeof(note), "%s hidden by EBPFSTATS_TEST_NO_ITER: %s",
			       m->ops->iter_name, m->ops->iter_fallback);
		else if (kind <= 0)
			append(note, sizeof(note), "%s not in this kernel (no %s in its BTF): %s",
			       m->ops->iter_name, m->ops->iter_btf, m->ops->iter_fallback);
		else
			m->iter_on = true;
	}
	if (m->iter_on && module_load(e, m, note, sizeof(note), err, sizeof(err)) < 0) {
		char first[EBS_ERR_LEN];

		module_unload(m, true);
		snprintf(first, sizeof(first), "%s", err);
		err[0] = '\0';
		m->iter_on = false;
		append(note, sizeof(note), "loading with %s failed (%.160s): %s", m->ops->iter_name,
		       first, m->ops->iter_fallback);
	}
	if (!m->obj && module_load(e, m, note, sizeof(note), err, sizeof(err)) < 0) {
		module_unload(m, true);
		if (!any_btf) {
			set_status(st, EBS_ST_UNAVAILABLE, "%s", err);
			ebs_pin_unlock(lock);
			return;
		}
		/* tp_btf was rejected (verifier, BTF mismatch): the raw_tp twin
		 * reads the same arguments through probe reads. */
		char first[EBS_ERR_LEN];
		snprintf(first, sizeof(first), "%s", err);
		for (unsigned i = 0; i < m->ops->n_hooks; i++)
			if (m->chosen[i] == EBS_ATT_BTF && m->ops->hooks[i].prog_raw)
				m->chosen[i] = EBS_ATT_RAW;
		if (module_load(e, m, note, sizeof(note), err, sizeof(err)) < 0) {
			module_unload(m, true);
			set_status(st, EBS_ST_UNAVAILABLE, "%s", err);
			ebs_pin_unlock(lock);
			return;
		}
		append(note, sizeof(note), "tp_btf failed (%.120s), using raw_tp", first);
	}
	describe_attach(m);
	e->loaded_unix_ms[fam] = ebs_now_unix_ms();
	set_status(st, note[0] ? EBS_ST_DEGRADED : EBS_ST_OK, "%s", note);
	/* half-written pins do not degrade: the next loader clears them */
	if (leftover[0])
		append(st->reason, sizeof(st->reason), "%s", leftover);
	e->running[fam] = true;

	if (pinned) {
		struct ebs_pin_meta meta = {
			.layout = EBS_PIN_LAYOUT,
			.status = st->status,
			.loaded_unix_ms = e->loaded_unix_ms[fam],
			.cfg_digest = ebs_cfg_digest(cfg, fam),
		};
		snprintf(meta.attach, sizeof(meta.attach), "%s", st->attach);
		snprintf(meta.reason, sizeof(meta.reason), "%s", st->reason);
		if (ebs_pin_save(m, dir, &meta, err, sizeof(err)) < 0) {
			ebs_rm_rf(dir);
			set_status(st, EBS_ST_DEGRADED, "%s; programs are private to this process",
				   err);
		} else {
			e->owns_pins[fam] = true;
			m->cg_lock = cfg->pin_path;
		}
	}
	ebs_pin_unlock(lock);
}

static struct ebs *open_modules(const struct ebs_config *cfg, bool probe, char *err, size_t errlen)
{
	struct ebs *e = calloc(1, sizeof(*e));
	char note[EBS_REASON_LEN] = "";

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->probe = probe;
	e->cur = -1;
	e->stats_fd = -1;
	e->ncpus = libbpf_num_possible_cpus();
	if (e->ncpus <= 0) {
		snprintf(err, errlen, "cannot count possible CPUs: %s", strerror(-e->ncpus));
		free(e);
		return NULL;
	}
	ebs_host_probe(&e->host, cfg);
	if (cfg->pin_path[0] && e->host.bpffs_ok)
		ebs_pin_other_layouts(cfg->pin_path, note, sizeof(note));

	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		struct ebs_module *m = &e->mods[f];
		m->ops = module_ops[f];
		m->stat = &e->stats[f];
		m->ncpus = e->ncpus;
		m->iter_fd = -1;
		m->cfg = &e->cfg;
		m->cg_recycle = !probe;
		m->cg_lock = "";
		for (unsigned i = 0; i < EBS_MAX_MAPS; i++)
			m->map_fd[i] = -1;
		e->stats[f].name = ebs_family_name(f);
		module_start(e, f);
		if (note[0] && e->running[f])
			append(e->stats[f].reason, sizeof(e->stats[f].reason), "%s", note);
	}
	/* The kernel's BTF, parsed (~5 MB), only chooses and loads programs:
	 * a long-running front-end has no use for it after this. */
	ebs_host_free(&e->host);

	/* Kernel-measured run time per program: two clock reads around every
	 * run of every BPF program on the host while on (bench/RESULTS.md), so
	 * only when asked (bpf_stats: true; needs CAP_SYS_ADMIN), or reported
	 * when the kernel.bpf_stats_enabled sysctl is on anyway. */
	if (cfg->bpf_stats)
		e->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (e->stats_fd >= 0) {
		e->bpf_stats = true;
	} else {
		int err_no = errno, on = 0;
		FILE *sysctl = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");

		if (sysctl) {
			if (fscanf(sysctl, "%d", &on) != 1)
				on = 0;
			fclose(sysctl);
		}
		e->bpf_stats = on == 1;
		if (cfg->bpf_stats && !e->bpf_stats)
			for (int f = 0; f < EBS_FAM_COUNT; f++)
				if (e->running[f])
					append(e->stats[f].reason, sizeof(e->stats[f].reason),
					       "bpf_stats: cannot enable kernel BPF statistics (%s%s)",
					       strerror(err_no),
					       err_no == EPERM ? ": needs CAP_SYS_ADMIN, or sysctl "
								 "kernel.bpf_stats_enabled=1"
							       : "");
	}
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		e->stats[f].bpf_stats = e->bpf_stats && e->running[f];

	return e;
}

struct ebs *ebs_open(const struct ebs_config *cfg, char *err, size_t errlen)
{
	return open_modules(cfg, false, err, errlen);
}

struct ebs *ebs_open_probe(const struct ebs_config *cfg, char *err, size_t errlen)
{
	return open_modules(cfg, true, err, errlen);
}

/* ---- snapshots -------------------------------------------------------- */

static void snapshot_free(struct ebs_snapshot *s)
{
	free(s->syscalls);
	free(s->cpus);
	free(s->tcp_trans);
	free(s->tcp_ports);
	free(s->tcp_peers);
	free(s->fileio);
	free(s->procs);
	free(s->cgroups);
	free(s->hist_rows);
	memset(s, 0, sizeof(*s));
}

static void fill_hist_rows(struct ebs_snapshot *s)
{
	const struct ebs_hist *h[EBS_H_COUNT + 1] = {
		[EBS_H_SYSCALL] = &s->sys.hist,		 [EBS_H_RUNQ] = &s->sched.runq,
		[EBS_H_TCP_CONNECT] = &s->tcp.connect,	 [EBS_H_TCP_RTT] = &s->tcp.rtt,
		[EBS_H_TCP_LIFETIME] = &s->tcp.lifetime,
	};
	const enum ebs_family fam[EBS_H_COUNT + 1] = {
		[EBS_H_SYSCALL] = EBS_FAM_SYSCALLS, [EBS_H_RUNQ] = EBS_FAM_SCHED,
		[EBS_H_TCP_CONNECT] = EBS_FAM_TCP,  [EBS_H_TCP_RTT] = EBS_FAM_TCP,
		[EBS_H_TCP_LIFETIME] = EBS_FAM_TCP,
	};
	uint32_t n = 0;

	s->hist_rows = calloc((size_t)EBS_H_COUNT * EBS_HIST_SLOTS, sizeof(*s->hist_rows));
	if (!s->hist_rows)
		return;
	for (uint32_t id = 1; id <= EBS_H_COUNT; id++) {
		if (!ebs_module_running(s, fam[id]))
			continue;
		for (uint32_t b = 0; b < EBS_HIST_SLOTS; b++) {
			struct ebs_hist_row *r;

			/* 465 buckets each: only those that ever had a sample
			 * (counts only grow, so a row, once there, stays) */
			if (!h[id]->slot[b])
				continue;
			r = &s->hist_rows[n++];
			r->hist = id;
			r->bucket = b + 1;
			r->upper = ebs_hist_upper(b);
			r->count = h[id]->slot[b];
		}
	}
	s->n_hist_rows = n;
}

static void fill_percentiles(struct ebs_snapshot *s, const struct ebs_snapshot *p)
{
	uint32_t j = 0;

	ebs_hist_pct(&s->sys.pct, &s->sys.hist, p ? &p->sys.hist : NULL, 1000.0);
	ebs_hist_pct(&s->sched.runq_pct, &s->sched.runq, p ? &p->sched.runq : NULL, 1000.0);
	ebs_hist_pct(&s->tcp.connect_pct, &s->tcp.connect, p ? &p->tcp.connect : NULL, 1000.0);
	ebs_hist_pct(&s->tcp.rtt_pct, &s->tcp.rtt, p ? &p->tcp.rtt : NULL, 1000.0);
	ebs_hist_pct(&s->tcp.lifetime_pct, &s->tcp.lifetime, p ? &p->tcp.lifetime : NULL, 1.0);
	/* rows are ascending by nr in both snapshots: merge */
	for (uint32_t i = 0; i < s->n_syscalls; i++) {
		const struct ebs_hist *prev = NULL;
		while (p && j < p->n_syscalls && p->syscalls[j].nr < s->syscalls[i].nr)
			j++;
		if (p && j < p->n_syscalls && p->syscalls[j].nr == s->syscalls[i].nr)
			prev = &p->syscalls[j].hist;
		ebs_hist_pct(&s->syscalls[i].pct, &s->syscalls[i].hist, prev, 1000.0);
	}
	for (uint32_t i = 0; i < s->n_cpus; i++) {
		const struct ebs_hist *prev = NULL;
		if (p && i < p->n_cpus && p->cpus[i].cpu == s->cpus[i].cpu)
			prev = &p->cpus[i].runq;
		ebs_hist_pct(&s->cpus[i].runq_pct, &s->cpus[i].runq, prev, 1000.0);
	}
	/* the file I/O rows are a view of syscall rows: same percentiles */
	j = 0;
	for (uint32_t i = 0; i < s->n_fileio; i++) {
		while (j < s->n_syscalls && s->syscalls[j].nr < s->fileio[i].nr)
			j++;
		if (j < s->n_syscalls && s->syscalls[j].nr == s->fileio[i].nr)
			s->fileio[i].pct = s->syscalls[j].pct;
	}
}

/* Counters as per-second levels over the interval, for threshold engines
 * that compare levels only (snmpd's monitor: see ebsTcpRetransmitRate). */
static uint64_t per_second(uint64_t now, uint64_t before, uint64_t interval_ns)
{
	if (!interval_ns || now < before)
		return 0;
	return (uint64_t)llround((double)(now - before) * 1e9 / (double)interval_ns);
}

static void fill_rates(struct ebs_snapshot *s, const struct ebs_snapshot *p)
{
	s->tcp.retransmit_rate =
		p ? per_second(s->tcp.retransmits, p->tcp.retransmits, s->interval_ns) : 0;
}

static void read_bpf_stats(struct ebs_module *m, struct ebs_module_stat *st)
{
	st->run_time_ns = st->run_cnt = 0;
	for (unsigned i = 0; i < m->n_prog_fd; i++) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(m->prog_fd[i], &info, &len) == 0) {
			st->run_time_ns += info.run_time_ns;
			st->run_cnt += info.run_cnt;
		}
	}
}

const struct ebs_snapshot *ebs_snapshot(struct ebs *e, char *err, size_t errlen)
{
	int next = e->cur < 0 ? 0 : e->cur ^ 1;
	struct ebs_snapshot *s = &e->snaps[next];
	const struct ebs_snapshot *prev = e->cur < 0 ? NULL : &e->snaps[e->cur];

	snapshot_free(s);
	s->taken_ns = ebs_now_mono_ns();
	s->taken_unix_ms = ebs_now_unix_ms();
	s->sequence = ++e->seq;
	s->views = (struct ebs_views){.syscall_latency = e->cfg.syscall_latency,
				      .file_io = e->cfg.file_io,
				      .tcp_peers = e->cfg.tcp_peers,
				      .cgroups = e->cfg.cgroups,
				      .proc_cpu = e->cfg.proc_cpu,
				      .page_allocs = e->cfg.page_allocs};
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		struct ebs_module *m = &e->mods[f];
		char rerr[EBS_ERR_LEN] = "";

		s->modules[f] = e->stats[f];
		if (!e->running[f])
			continue;
		if (e->loaded_unix_ms[f] > s->loaded_unix_ms)
			s->loaded_unix_ms = e->loaded_unix_ms[f];
		if (m->ops->read(m, s, rerr, sizeof(rerr)) < 0) {
			/* keep serving the other families; say why this one is empty */
			s->modules[f].status = EBS_ST_UNAVAILABLE;
			snprintf(s->modules[f].reason, sizeof(s->modules[f].reason),
				 "reading maps failed: %s", rerr);
		}
		read_bpf_stats(m, &s->modules[f]);
	}
	for (uint32_t st = 1; st <= EBS_TCP_NSTATES; st++) {
		struct ebs_tcp_state_row *r = &s->tcp_states[st - 1];
		r->state = st;
		r->name = ebs_tcp_state_name(st);
	}
	/* percentiles need the previous snapshot of the same programs */
	if (prev && prev->loaded_unix_ms != s->loaded_unix_ms)
		prev = NULL;
	if (prev)
		s->interval_ns = s->taken_ns - prev->taken_ns;
	fill_percentiles(s, prev);
	fill_rates(s, prev);
	if (!e->cg)
		e->cg = ebs_cg_state_new();
	if (e->cg)
		ebs_cg_finish(e->cg, &e->cfg, s, prev);
	fill_hist_rows(s);
	if (!s->hist_rows) {
		snprintf(err, errlen, "out of memory building the histogram rows");
		snapshot_free(s);
		return NULL;
	}
	e->cur = next;
	return s;
}

void ebs_close(struct ebs *e)
{
	if (!e)
		return;
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		if (e->mods[f].ops)
			module_unload(&e->mods[f], true);
	if (e->stats_fd >= 0)
		close(e->stats_fd);
	snapshot_free(&e->snaps[0]);
	snapshot_free(&e->snaps[1]);
	ebs_cg_state_free(e->cg);
	ebs_host_free(&e->host);
	free(e);
}

enum ebs_status ebs_check(const struct ebs_config *cfg, enum ebs_family fam, char *reason,
			  size_t len)
{
	const struct ebs_module_ops *ops = module_ops[fam];
	struct ebs_host h;
	enum ebs_status st = EBS_ST_OK;

	reason[0] = '\0';
	if (!cfg->enabled || !cfg->collect[fam]) {
		snprintf(reason, len, "%s is false",
			 cfg->enabled ? ebs_config_family_key(fam) : "enabled");
		return EBS_ST_DISABLED;
	}
	ebs_host_probe(&h, cfg);
	if (!h.btf) {
		snprintf(reason, len, "%s", h.btf_err);
		st = EBS_ST_UNAVAILABLE;
	} else if (!h.caps_ok) {
		snprintf(reason, len, "%s", h.caps_err);
		st = EBS_ST_UNAVAILABLE;
	} else {
		for (unsigned i = 0; i < ops->n_hooks; i++) {
			char why[EBS_REASON_LEN];
			if (!ebs_hook_wanted(&ops->hooks[i], cfg))
				continue;
			if (ebs_hook_choose(&h, &ops->hooks[i], why, sizeof(why)) != EBS_ATT_NONE)
				continue;
			append(reason, len, "%s", why);
			if (!ops->hooks[i].optional) {
				st = EBS_ST_UNAVAILABLE;
				snprintf(reason, len, "%s", why);
				break;
			}
			st = EBS_ST_DEGRADED;
		}
	}
	ebs_host_free(&h);
	return st;
}
