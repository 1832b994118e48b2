/* Startup probe: BTF, tracefs, bpffs, capabilities, and per hook which
 * flavour (tp_btf, raw_tp, tracepoint) this kernel can take. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "config_schema.h"
#include "internal.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static _Thread_local char libbpf_last[EBS_REASON_LEN];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static int debug = -1;
	char line[EBS_REASON_LEN];

	if (debug < 0)
		debug = getenv("EBPFSTATS_DEBUG") != NULL;
	if (level == LIBBPF_DEBUG && !debug)
		return 0;
	va_list ap2;
	va_copy(ap2, ap);
	vsnprintf(line, sizeof(line), fmt, ap2);
	va_end(ap2);
	line[strcspn(line, "\n")] = '\0';
	/* keep the last warning to explain a failed load in a module reason */
	if (level == LIBBPF_WARN && line[0])
		snprintf(libbpf_last, sizeof(libbpf_last), "%s", line);
	if (debug)
		fprintf(stderr, "%s\n", line);
	return 0;
}

const char *ebs_libbpf_last(void)
{
	return libbpf_last;
}

void ebs_libbpf_reset(void)
{
	libbpf_last[0] = '\0';
	libbpf_set_print(libbpf_print);
}

uint64_t ebs_now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ebs_now_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing/events",
	"/sys/kernel/debug/tracing/events",
};

int ebs_host_probe(struct ebs_host *h, const struct ebs_config *cfg)
{
	struct stat st;
	struct statfs sfs;

	memset(h, 0, sizeof(*h));
	ebs_libbpf_reset();

	snprintf(h->btf_path, sizeof(h->btf_path), "%s",
		 cfg->btf_path[0] ? cfg->btf_path : "/sys/kernel/btf/vmlinux");
	if (access(h->btf_path, R_OK) < 0) {
		snprintf(h->btf_err, sizeof(h->btf_err),
			 "no BTF at %s (%s): the kernel needs CONFIG_DEBUG_INFO_BTF, or point "
			 "btf_path at a BTF file for this kernel",
			 h->btf_path, strerror(errno));
	} else {
		h->btf = btf__parse(h->btf_path, NULL);
		if (!h->btf) {
			snprintf(h->btf_err, sizeof(h->btf_err), "cannot parse BTF %s: %s",
				 h->btf_path, strerror(errno));
		}
	}

	for (size_t i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++)
		if (stat(tracefs_dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(h->tracefs, sizeof(h->tracefs), "%s", tracefs_dirs[i]);
			break;
		}

	h->caps_ok = ebs_caps_sufficient(h->caps_err, sizeof(h->caps_err));

	if (cfg->pin_path[0]) {
		/* the pin dir may not exist yet: check the closest existing parent */
		char dir[EBS_PATH_LEN];
		snprintf(dir, sizeof(dir), "%s", cfg->pin_path);
		while (statfs(dir, &sfs) < 0) {
			char *slash = strrchr(dir, '/');
			if (!slash || slash == dir) {
				snprintf(dir, sizeof(dir), "/");
				statfs(dir, &sfs);
				break;
			}
			*slash = '\0';
		}
		if ((unsigned long)sfs.f_type == BPF_FS_MAGIC)
			h->bpffs_ok = true;
		else
			snprintf(h->bpffs_err, sizeof(h->bpffs_err),
				 "pin_path %s is not on a bpf filesystem (mount -t bpf bpf "
				 "/sys/fs/bpf): programs are private to this process and counters "
				 "restart with it",
				 cfg->pin_path);
	}
	return 0;
}

void ebs_host_free(struct ebs_host *h)
{
	btf__free(h->btf);
	h->btf = NULL;
}

bool ebs_hook_hidden(const struct ebs_hook *hk)
{
	const char *env = getenv("EBPFSTATS_TEST_HIDE_TRACEPOINT");
	char want[128];
	size_t n;

	if (!env || !*env)
		return false;
	n = (size_t)snprintf(want, sizeof(want), "%s:%s", hk->category, hk->event);
	for (const char *p = env; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, want, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

enum ebs_attach_kind ebs_hook_choose(const struct ebs_host *h, const struct ebs_hook *hk, char *why,
				     size_t len)
{
	char name[128], path[256];
	bool in_btf = false, in_tracefs = false;

	if (ebs_hook_hidden(hk)) {
		snprintf(why, len, "tracepoint %s:%s hidden by EBPFSTATS_TEST_HIDE_TRACEPOINT",
			 hk->category, hk->event);
		return EBS_ATT_NONE;
	}
	if (h->btf) {
		snprintf(name, sizeof(name), "btf_trace_%s", hk->event);
		in_btf = btf__find_by_name_kind(h->btf, name, BTF_KIND_TYPEDEF) > 0;
	}
	if (h->tracefs[0]) {
		snprintf(path, sizeof(path), "%s/%s/%s", h->tracefs, hk->category, hk->event);
		in_tracefs = access(path, F_OK) == 0;
	}
	/* EBPFSTATS_TEST_ATTACH=raw_tp or tracepoint: the flavours a kernel
	 * without btf_trace typedefs (or without BTF for raw_tp's
	 * arguments) would get, so that tests load them here too */
	const char *force = getenv("EBPFSTATS_TEST_ATTACH");
	bool no_btf = force && (!strcmp(force, "raw_tp") || !strcmp(force, "tracepoint"));
	bool no_raw = force && !strcmp(force, "tracepoint");

	if (in_btf && hk->prog_btf && !no_btf)
		return EBS_ATT_BTF;
	/* A raw tracepoint needs only that the tracepoint exists. */
	if ((in_btf || in_tracefs) && hk->prog_raw && !no_raw)
		return EBS_ATT_RAW;
	if (in_tracefs && hk->prog_tp)
		return EBS_ATT_TP;
	if (!h->tracefs[0] && !in_btf)
		snprintf(why, len,
			 "tracepoint %s:%s not in vmlinux BTF, and tracefs is not mounted to look "
			 "further (mount -t tracefs tracefs /sys/kernel/tracing)",
			 hk->category, hk->event);
	else
		snprintf(why, len, "tracepoint %s:%s does not exist on this kernel", hk->category,
			 hk->event);
	return EBS_ATT_NONE;
}

/* FNV-1a over the settings a module's kernel side depends on (the schema
 * rows marked with its EBS_DIGEST() bit), so a process reusing pins can
 * tell whether they were loaded with other settings.  Lists go first, as
 * whole slots, then the other values as uint32, each in table order. */
uint64_t ebs_cfg_digest(const struct ebs_config *cfg, enum ebs_family fam)
{
	uint64_t h = 1469598103934665603ULL;
	uint32_t vals[EBS_CONFIG_OPTIONS_MAX];
	unsigned n = 0;
	size_t n_opts;
	const struct ebs_config_option *opts = ebs_config_options(&n_opts);

#define MIX(p, len)                                                                                \
	for (size_t _i = 0; _i < (len); _i++) {                                                    \
		h ^= ((const unsigned char *)(p))[_i];                                             \
		h *= 1099511628211ULL;                                                             \
	}
	for (size_t i = 0; i < n_opts; i++) {
		const struct ebs_config_option *o = &opts[i];
		const char *field = (const char *)cfg + o->offset;

		if (!(o->digest & EBS_DIGEST(fam)))
			continue;
		if (o->type == EBS_OPT_COMMS) {
			unsigned count = *(const unsigned *)((const char *)cfg + o->count_offset);

			MIX(field, ebs_config_item_len(o) * count);
		} else if (o->type == EBS_OPT_PATH) {
			MIX(field, strnlen(field, o->size));
		}
	}
	for (size_t i = 0; i < n_opts; i++) {
		const struct ebs_config_option *o = &opts[i];

		if ((o->digest & EBS_DIGEST(fam)) && o->type != EBS_OPT_COMMS &&
		    o->type != EBS_OPT_PATH && o->type != EBS_OPT_MAPPING)
			vals[n++] = ebs_config_option_uint(cfg, o);
	}
	MIX(vals, sizeof(vals[0]) * n);
#undef MIX
	return h;
}
