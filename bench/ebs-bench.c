/* The tracer side of bench/run: holds one configuration of kernel programs
 * attached while bench/run drives a workload, and times snapshots.
 *
 *   ebs-bench open [-f FAM[,FAM]] [-l] [-P] [-A] [-R] [-S] [-C] [-m THREADS,SOCKETS,PORTS]
 *       libebpfstats with only the named families (syscalls, tcp, sched,
 *       memory; default the built-in defaults'), private programs
 *       (pin_path ""), latency on with -l, collect_tcp_peers off with -P,
 *       collect_page_allocs on with -A, collect_cgroups on with -C (off
 *       otherwise, although on by default: a module's cases price it
 *       without the rows, and the rows on their own), tcp_rtt_per_segment
 *       on with -R.
 *       -S turns the kernel's BPF run-time statistics off again after
 *       ebs_open() turned them on, to measure what they cost.
 *   ebs-bench floor OBJ HOOK[,HOOK] [-b]
 *       the empty programs of bench/floor.bpf.o for those hooks; -b turns
 *       BPF run-time statistics on as ebs_open() does.
 *   ebs-bench obj OBJ PROG[,PROG] [-b]
 *       any object's programs by name, for A/B tests of a variant of a
 *       module's BPF code (its knobs keep their compiled-in defaults).
 *
 * Prints "ready ..." once attached, then answers commands read from stdin,
 * one line each:
 *   snap N   time N ebs_snapshot() calls: "snap N median_us p90_us min_us max_us"
 *   stats    one line per family (or for the floor): status, attach, events,
 *            overflows, BPF run time and count
 *   walk MAP N  read every entry of the map named MAP N times, once key by
 *            key (get_next_key + lookup, 2 syscalls a key) and once with
 *            batch lookups: "walk MAP entries each_us batch_us" (medians)
 *   quit     (or EOF) detach and exit
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ebpfstats.h"

#define MAX_FLOOR_PROGS 16
#define MAX_SNAPS 100000

static int vlog(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !getenv("EBPFSTATS_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ebs-bench open [-f FAM[,FAM]] [-l] [-P] [-A] [-R] [-S] [-C] [-m THREADS,SOCKETS,PORTS]\n"
		"       ebs-bench floor OBJ HOOK[,HOOK] [-b]\n"
		"       ebs-bench obj OBJ PROG[,PROG] [-b]\n");
	exit(2);
}

/* ---- libebpfstats --------------------------------------------------------- */

static int parse_family(struct ebs_config *cfg, char *list)
{
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		cfg->collect[f] = false;
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		int f;

		for (f = 0; f < EBS_FAM_COUNT; f++)
			if (!strcmp(tok, ebs_family_name(f)))
				break;
		if (f == EBS_FAM_COUNT) {
			fprintf(stderr, "ebs-bench: unknown family '%s'\n", tok);
			return -1;
		}
		cfg->collect[f] = true;
	}
	return 0;
}

static void snap_cmd(struct ebs *e, unsigned long n)
{
	static uint64_t t[MAX_SNAPS];
	char err[EBS_ERR_LEN];
	const struct ebs_snapshot *s = NULL;

	if (n == 0 || n > MAX_SNAPS) {
		printf("error snap count 1..%d\n", MAX_SNAPS);
		return;
	}
	/* first one allocates and has no previous snapshot: not timed */
	if (!ebs_snapshot(e, err, sizeof(err))) {
		printf("error %s\n", err);
		return;
	}
	for (unsigned long i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		s = ebs_snapshot(e, err, sizeof(err));
		t[i] = now_ns() - t0;
		if (!s) {
			printf("error %s\n", err);
			return;
		}
	}
	qsort(t, n, sizeof(t[0]), cmp_u64);
	printf("snap %lu %.1f %.1f %.1f %.1f rows=%u/%u/%u/%u\n", n, t[n / 2] / 1e3,
	       t[n * 9 / 10] / 1e3, t[0] / 1e3, t[n - 1] / 1e3, s->n_syscalls, s->n_cpus,
	       s->n_tcp_ports, s->n_hist_rows);
}

/* One of our own map fds by map name: the library keeps them private. */
static int own_map_fd(const char *name, struct bpf_map_info *info)
{
	for (int fd = 3; fd < 4096; fd++) {
		__u32 len = sizeof(*info);

		memset(info, 0, sizeof(*info));
		if (bpf_obj_get_info_by_fd(fd, info, &len) == 0 && !strcmp(info->name, name) &&
		    info->key_size > 0)
			return fd;
	}
	return -1;
}

static bool percpu_type(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* Key by key, the way a simple reader walks a hash map. */
static long walk_each(int fd, __u32 ksz, void *key, void *next, void *val)
{
	long n = 0;
	int r = bpf_map_get_next_key(fd, NULL, next);

	while (r == 0) {
		memcpy(key, next, ksz);
		if (bpf_map_lookup_elem(fd, key, val) == 0)
			n++;
		r = bpf_map_get_next_key(fd, key, next);
	}
	return n;
}

#define WALK_BATCH 256

/* in/out are the kernel's batch cursor: a key for arrays, a bucket index
 * (u32) for hashes, so room for either. */
static long walk_batch(int fd, void *keys, void *vals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 in = 0, out = 0;
	bool first = true;
	long n = 0;

	for (;;) {
		__u32 count = WALK_BATCH;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count,
					     &opts);

		if (r < 0 && r != -ENOENT)
			return r;
		n += count;
		if (r == -ENOENT)
			return n;
		in = out;
		first = false;
	}
}

static void walk_cmd(const char *name, unsigned long n)
{
	struct bpf_map_info info;
	int fd = own_map_fd(name, &info);
	int ncpus = libbpf_num_possible_cpus();
	size_t vsz;
	uint64_t *te, *tb;
	unsigned char *keys, *vals, *k1, *k2;
	long entries = 0, eb = 0;

	if (fd < 0 || n == 0 || n > MAX_SNAPS || ncpus <= 0) {
		printf("error no map %s among ours (or bad count)\n", name);
		return;
	}
	vsz = ((size_t)info.value_size + 7) / 8 * 8 * (percpu_type(info.type) ? (size_t)ncpus : 1);
	te = calloc(n, sizeof(*te));
	tb = calloc(n, sizeof(*tb));
	keys = malloc((size_t)info.key_size * WALK_BATCH);
	vals = malloc(vsz * WALK_BATCH);
	k1 = malloc(info.key_size);
	k2 = malloc(info.key_size);
	if (!te || !tb || !keys || !vals || !k1 || !k2) {
		printf("error out of memory\n");
		goto out;
	}
	for (unsigned long i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		entries = walk_each(fd, info.key_size, k1, k2, vals);
		te[i] = now_ns() - t0;
		t0 = now_ns();
		eb = walk_batch(fd, keys, vals);
		tb[i] = now_ns() - t0;
		if (eb < 0) {
			printf("error batch lookup on %s: %s\n", name, strerror((int)-eb));
			goto out;
		}
	}
	qsort(te, n, sizeof(*te), cmp_u64);
	qsort(tb, n, sizeof(*tb), cmp_u64);
	printf("walk %s %ld %.1f %.1f batch_entries=%ld\n", name, entries, te[n / 2] / 1e3,
	       tb[n / 2] / 1e3, eb);
out:
	free(te);
	free(tb);
	free(keys);
	free(vals);
	free(k1);
	free(k2);
}

static void stats_cmd(struct ebs *e)
{
	char err[EBS_ERR_LEN];
	const struct ebs_snapshot *s = ebs_snapshot(e, err, sizeof(err));

	if (!s) {
		printf("error %s\n", err);
		return;
	}
	for (int f = 0; f < EBS_FAM_COUNT; f++) {
		const struct ebs_module_stat *m = &s->modules[f];

		if (m->status == EBS_ST_DISABLED)
			continue;
		printf("stats %s status=%s attach=%s events=%llu overflows=%llu "
		       "run_time_ns=%llu run_cnt=%llu bpf_stats=%d\n",
		       m->name, ebs_status_name(m->status), m->attach[0] ? m->attach : "-",
		       (unsigned long long)m->events, (unsigned long long)m->overflows,
		       (unsigned long long)m->run_time_ns, (unsigned long long)m->run_cnt,
		       m->bpf_stats);
	}
	printf("stats end\n");
}

static int run_open(int argc, char **argv)
{
	struct ebs_config cfg;
	char err[EBS_ERR_LEN], line[128];
	bool no_stats = false;
	struct ebs *e;
	int c;

	ebs_config_init(&cfg);
	cfg.pin_path[0] = '\0';
	cfg.syscall_latency = false;
	cfg.cgroups = false;
	while ((c = getopt(argc, argv, "f:lPARSCm:")) != -1) {
		switch (c) {
		case 'f':
			if (parse_family(&cfg, optarg) < 0)
				return 2;
			break;
		case 'l': cfg.syscall_latency = true; break;
		case 'P': cfg.tcp_peers = false; break;
		case 'C': cfg.cgroups = true; break;
		case 'A': cfg.page_allocs = true; break;
		case 'R': cfg.tcp_rtt_seg = true; break;
		case 'S': no_stats = true; break;
		case 'm':
			if (sscanf(optarg, "%u,%u,%u", &cfg.max_threads, &cfg.max_sockets,
				   &cfg.max_ports) != 3) {
				fprintf(stderr, "ebs-bench: -m wants THREADS,SOCKETS,PORTS\n");
				return 2;
			}
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	/* the kernel's run-time statistics, for the "kernel ns/run" column,
	 * unless -S: the shipped default (bpf_stats: false) */
	cfg.bpf_stats = !no_stats;
	e = ebs_open(&cfg, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "ebs-bench: %s\n", err);
		return 1;
	}
	{
		const struct ebs_snapshot *s = ebs_snapshot(e, err, sizeof(err));
		bool bad = !s;

		printf("ready");
		for (int f = 0; s && f < EBS_FAM_COUNT; f++) {
			const struct ebs_module_stat *m = &s->modules[f];

			if (m->status == EBS_ST_DISABLED)
				continue;
			printf(" %s=%s", m->name, ebs_status_name(m->status));
			if (m->status != EBS_ST_OK && m->status != EBS_ST_DEGRADED) {
				bad = true;
				fprintf(stderr, "ebs-bench: %s: %s\n", m->name, m->reason);
			}
		}
		printf("%s\n", bad ? " FAILED" : "");
		fflush(stdout);
		if (bad) {
			ebs_close(e);
			return 1;
		}
	}
	while (fgets(line, sizeof(line), stdin)) {
		char map[BPF_OBJ_NAME_LEN];
		unsigned long n;

		if (sscanf(line, "snap %lu", &n) == 1)
			snap_cmd(e, n);
		else if (sscanf(line, "walk %15s %lu", map, &n) == 2)
			walk_cmd(map, n);
		else if (!strncmp(line, "stats", 5))
			stats_cmd(e);
		else if (!strncmp(line, "quit", 4))
			break;
		else
			printf("error unknown command\n");
		fflush(stdout);
	}
	ebs_close(e);
	return 0;
}

/* ---- the floor ------------------------------------------------------------ */

/* prefix: "floor_" names programs by hook, "" by program name. */
static int run_floor(int argc, char **argv, const char *prefix)
{
	struct bpf_link *links[MAX_FLOOR_PROGS];
	int fds[MAX_FLOOR_PROGS], nprog = 0, stats_fd = -1, c;
	struct bpf_object *obj;
	struct bpf_program *p;
	bool want_stats = false;
	char *names, line[128];

	if (argc < 3)
		usage();
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "ebs-bench: opening %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	names = argv[2];
	optind = 3;
	while ((c = getopt(argc, argv, "b")) != -1) {
		if (c == 'b')
			want_stats = true;
		else
			usage();
	}
	bpf_object__for_each_program(p, obj) bpf_program__set_autoload(p, false);
	for (char *tok = strtok(names, ","); tok; tok = strtok(NULL, ",")) {
		char full[64];

		snprintf(full, sizeof(full), "%s%s", prefix, tok);
		p = bpf_object__find_program_by_name(obj, full);
		if (!p || nprog == MAX_FLOOR_PROGS) {
			fprintf(stderr, "ebs-bench: no program %s in %s\n", full, argv[1]);
			return 1;
		}
		bpf_program__set_autoload(p, true);
		nprog++;
	}
	if (bpf_object__load(obj) < 0) {
		fprintf(stderr, "ebs-bench: loading %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	nprog = 0;
	bpf_object__for_each_program(p, obj)
	{
		if (!bpf_program__autoload(p))
			continue;
		links[nprog] = bpf_program__attach(p);
		if (!links[nprog]) {
			fprintf(stderr, "ebs-bench: attaching %s: %s\n", bpf_program__name(p),
				strerror(errno));
			return 1;
		}
		fds[nprog++] = bpf_program__fd(p);
	}
	if (want_stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			fprintf(stderr, "ebs-bench: enabling BPF stats: %s\n", strerror(-stats_fd));
			return 1;
		}
	}
	printf("ready %s=%d\n", *prefix ? "floor" : "obj", nprog);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "stats", 5)) {
			unsigned long long rt = 0, cnt = 0;

			for (int i = 0; i < nprog; i++) {
				struct bpf_prog_info info;
				__u32 len = sizeof(info);

				memset(&info, 0, sizeof(info));
				if (bpf_obj_get_info_by_fd(fds[i], &info, &len) == 0) {
					rt += info.run_time_ns;
					cnt += info.run_cnt;
				}
			}
			printf("stats %s status=ok attach=tp_btf events=%llu overflows=0 "
			       "run_time_ns=%llu run_cnt=%llu bpf_stats=%d\n",
			       *prefix ? "floor" : "obj", cnt, rt, cnt, stats_fd >= 0);
			printf("stats end\n");
		} else if (!strncmp(line, "quit", 4)) {
			break;
		} else {
			printf("error unknown command\n");
		}
		fflush(stdout);
	}
	for (int i = 0; i < nprog; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	if (stats_fd >= 0)
		close(stats_fd);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(vlog);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "open"))
		return run_open(argc - 1, argv + 1);
	if (!strcmp(argv[1], "floor"))
		return run_floor(argc - 1, argv + 1, "floor_");
	if (!strcmp(argv[1], "obj"))
		return run_floor(argc - 1, argv + 1, "");
	usage();
	return 2;
}
