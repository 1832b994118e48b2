/* Churn: 10 000 short-lived processes and 10 000 short TCP
 * connections, in 5 rounds, against programs loaded with the smallest map
 * sizes the config allows (threads 64, sockets 64, ports 16).  Bursts that
 * cannot fit (200 sockets open at once, 20 listening ports, 150 runnable
 * threads on 2 CPUs) must show up in the overflow counters; every bounded
 * map must have the configured size and never more entries; the per-task
 * and per-socket entries must be reclaimed once the churn stops; and the
 * memory of this process, of `ebpfstats show` and of the subagent reading
 * the same pins, and the kernel's map memory, must stay flat from round to
 * round.  The figures are printed for docs/reliability.md.
 *
 * The bounded tables are what this test is about.  Where sched runs as
 * tp_btf it keeps run-queue enqueue times in task storage instead, bounded
 * by the tasks themselves and freed with them; EBPFSTATS_TEST_HASH_STATE
 * puts them back into sched_wakets (the raw_tp / classic tracepoint
 * layout), so that table is exercised on any kernel.  test_kernel covers
 * the storage path. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ebpfstats.h"

/* ASan keeps freed memory in quarantine (up to 256 MB), so RSS grows by
 * design in an instrumented build: flatness is only asserted without it
 * (LeakSanitizer covers leaks there). */
#if defined(__SANITIZE_ADDRESS__)
#define EBS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EBS_ASAN 1
#endif
#endif

#define ROUNDS 5
#define PROCS_PER_ROUND 2000
#define PROC_BATCH 100 /* children alive at once: more than threads=64 */
#define CONNS_PER_ROUND 2000
#define CONCURRENT 100 /* connections open at once: 200 sockets */
#define LISTENERS 20   /* listening ports per round */
#define BUSY_THREADS 150
#define MAP_THREADS 64
#define MAP_SOCKETS 64
#define MAP_PORTS 16
#define MAP_PROCS 64
#define MAX_KMAPS 64

struct kmap {
	int fd;
	char name[BPF_OBJ_NAME_LEN];
	uint32_t type, max_entries, key_size;
	uint64_t peak, base;
};

static struct kmap kmaps[MAX_KMAPS];
static unsigned n_kmaps;
static char pin_root[128];
static struct ebs *ebs;
static struct ebs_config cfg;
static pid_t cli_pid = -1, agent_pid = -1;
/* removed by main() whatever the test's outcome */
static char cfgpath[256], tmpdir[] = "/tmp/ebs-rel-churn.XXXXXX";

/* ---- kernel maps of the pinned programs ---------------------------------- */

static bool is_hash(uint32_t t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static void add_map_id(uint32_t id)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd;

	for (unsigned i = 0; i < n_kmaps; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(kmaps[i].fd, &info, &len) == 0 && info.id == id)
			return;
	}
	if (n_kmaps == MAX_KMAPS)
		return;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		close(fd);
		return;
	}
	struct kmap *k = &kmaps[n_kmaps++];
	k->fd = fd;
	snprintf(k->name, sizeof(k->name), "%s", info.name);
	k->type = info.type;
	k->max_entries = info.max_entries;
	k->key_size = info.key_size;
}

/* Every map used by a program pinned under pin_root (all modules). */
static void discover_maps(void)
{
	char dir[512];
	static const char *const mods[] = {"syscalls", "tcp", "sched", "memory"};

	for (unsigned m = 0; m < sizeof(mods) / sizeof(mods[0]); m++) {
		snprintf(dir, sizeof(dir), "%s/v%d/%s/progs", pin_root, EBS_PIN_LAYOUT, mods[m]);
		DIR *d = opendir(dir);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char p[800];
			uint32_t ids[32];
			struct bpf_prog_info info;
			uint32_t len = sizeof(info);

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			int fd = bpf_obj_get(p);
			if (fd < 0)
				continue;
			memset(&info, 0, sizeof(info));
			info.nr_map_ids = 32;
			info.map_ids = (uint64_t)(uintptr_t)ids;
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
				for (uint32_t i = 0; i < info.nr_map_ids && i < 32; i++)
					add_map_id(ids[i]);
			close(fd);
		}
		if (d)
			closedir(d);
	}
}

static struct kmap *kmap(const char *name)
{
	for (unsigned i = 0; i < n_kmaps; i++)
		if (!strcmp(kmaps[i].name, name))
			return &kmaps[i];
	return NULL;
}

static uint64_t entries(const struct kmap *k)
{
	unsigned char key[256], next[256];
	uint64_t n = 0;
	int r = bpf_map_get_next_key(k->fd, NULL, next);

	/* bounded: a walk restarted by deletions cannot loop for ever */
	while (r == 0 && n < 4ULL * k->max_entries + 64) {
		n++;
		memcpy(key, next, k->key_size);
		r = bpf_map_get_next_key(k->fd, key, next);
	}
	return n;
}

/* Rows of a tid/tgid-keyed map whose task is gone, seen twice 300 ms
 * apart (a task exiting between the walk and the check is not a leak). */
static uint64_t stale_rows(const struct kmap *k)
{
	uint32_t key, next, dead[256];
	unsigned n = 0;
	uint64_t stale = 0, walked = 0;
	char path[64];
	int r = bpf_map_get_next_key(k->fd, NULL, &next);

	while (r == 0 && walked++ < 4ULL * k->max_entries + 64) {
		snprintf(path, sizeof(path), "/proc/%u", next);
		if (access(path, F_OK) != 0 && n < 256)
			dead[n++] = next;
		key = next;
		r = bpf_map_get_next_key(k->fd, &key, &next);
	}
	usleep(300 * 1000);
	for (unsigned i = 0; i < n; i++) {
		unsigned char val[512];
		snprintf(path, sizeof(path), "/proc/%u", dead[i]);
		if (access(path, F_OK) != 0 && bpf_map_lookup_elem(k->fd, &dead[i], val) == 0) {
			print_message("  %s: row for %u, which no longer exists\n", k->name,
				      dead[i]);
			stale++;
		}
	}
	return stale;
}

/* Samples every hash map; keeps the peak; fails on one above its size. */
static void sample_maps(const char *when)
{
	for (unsigned i = 0; i < n_kmaps; i++) {
		struct kmap *k = &kmaps[i];
		uint64_t n;

		if (!is_hash(k->type))
			continue;
		n = entries(k);
		/* a walk during churn restarts from the top when its current key
		 * is deleted under it (the hash map's get_next_key), so it can
		 * count a row twice: above the bound, walk again and keep the
		 * least; a map really above its bound stays above every time */
		for (int again = 0; again < 4 && n > k->max_entries; again++) {
			uint64_t m = entries(k);
			if (m < n)
				n = m;
		}
		if (n > k->peak)
			k->peak = n;
		if (n > k->max_entries)
			fail_msg("%s: %s holds %" PRIu64 " entries, above its %u", when, k->name, n,
				 k->max_entries);
	}
}

static uint64_t fdinfo_memlock(int fd)
{
	char path[64], line[128];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNu64, &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Kernel memory of all our maps (fdinfo memlock: the actual usage on
 * kernels with map_mem_usage, 6.4+). */
static uint64_t map_memory(void)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n_kmaps; i++)
		sum += fdinfo_memlock(kmaps[i].fd);
	return sum;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* ---- workloads --------------------------------------------------------------- */

static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* n processes, PROC_BATCH alive at a time: each touches a page and waits
 * until the maps were sampled with the whole batch alive, then exits */
static int churn_procs(unsigned n, const char *when)
{
	pid_t kids[PROC_BATCH];

	for (unsigned done = 0; done < n;) {
		int gate[2];
		unsigned k = 0;

		if (pipe(gate) < 0)
			return -1;
		for (; k < PROC_BATCH && done + k < n; k++) {
			kids[k] = fork();
			if (kids[k] < 0)
				return -1;
			if (kids[k] == 0) {
				volatile char *p = malloc(8192);
				char b;

				if (p)
					p[4096] = 1;
				close(gate[1]);
				_exit(read(gate[0], &b, 1) == 0 ? 0 : 1);
			}
		}
		close(gate[0]);
		usleep(20 * 1000);
		sample_maps(when);
		close(gate[1]); /* EOF: the batch exits */
		for (unsigned i = 0; i < k; i++)
			if (reap(kids[i]) < 0)
				return -1;
		done += k;
	}
	return 0;
}

static int listen_any(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, CONCURRENT + 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* n connections to LISTENERS fresh listening ports, CONCURRENT open at a
 * time (2 sockets each); the maps are sampled while a batch is open. */
static int churn_tcp(unsigned n, const char *when)
{
	int lfd[LISTENERS], cfd[CONCURRENT], sfd[CONCURRENT], rc = 0;
	uint16_t port[LISTENERS];

	for (unsigned l = 0; l < LISTENERS; l++)
		if ((lfd[l] = listen_any(&port[l])) < 0)
			return -1;
	for (unsigned done = 0; done < n && rc == 0; done += CONCURRENT) {
		unsigned k = 0;
		for (; k < CONCURRENT; k++) {
			unsigned l = (done + k) % LISTENERS;
			struct sockaddr_in a = {.sin_family = AF_INET,
						.sin_port = htons(port[l]),
						.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
			cfd[k] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (cfd[k] < 0 || connect(cfd[k], (struct sockaddr *)&a, sizeof(a)) < 0 ||
			    (sfd[k] = accept(lfd[l], NULL, NULL)) < 0) {
				if (cfd[k] >= 0)
					close(cfd[k]);
				rc = -1;
				break;
			}
		}
		sample_maps(when); /* 2 * CONCURRENT sockets open now */
		for (unsigned i = 0; i < k; i++) {
			close(cfd[i]);
			close(sfd[i]);
		}
	}
	for (unsigned l = 0; l < LISTENERS; l++)
		close(lfd[l]);
	return rc;
}

static void *spin(void *arg)
{
	const struct timespec *until = arg;
	struct timespec now;

	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while (now.tv_sec < until->tv_sec ||
	       (now.tv_sec == until->tv_sec && now.tv_nsec < until->tv_nsec));
	return NULL;
}

/* BUSY_THREADS runnable threads for ms milliseconds in a child: far more
 * tasks waiting on the run queues than the wakeup table holds */
static int busy_threads(unsigned ms, const char *when)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		pthread_t t[BUSY_THREADS];
		struct timespec until;
		unsigned n = 0;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)(ms % 1000) * 1000000L;
		until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		for (; n < BUSY_THREADS; n++)
			if (pthread_create(&t[n], NULL, spin, &until) != 0)
				break;
		for (unsigned i = 0; i < n; i++)
			pthread_join(t[i], NULL);
		_exit(n == BUSY_THREADS ? 0 : 1);
	}
	usleep(ms * 1000 / 2);
	sample_maps(when);
	return reap(pid);
}

/* ---- readers of the same pins ---------------------------------------------------- */

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	reap(*pid);
	*pid = -1;
}

static const struct ebs_snapshot *snap(void)
{
	char err[EBS_ERR_LEN];
	const struct ebs_snapshot *s = ebs_snapshot(ebs, err, sizeof(err));

	if (!s)
		fail_msg("ebs_snapshot: %s", err);
	return s;
}

static uint64_t overflows(const struct ebs_snapshot *s, const char *module)
{
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		if (s->modules[f].name && !strcmp(s->modules[f].name, module))
			return s->modules[f].overflows;
	return 0;
}

/* ---- the test ------------------------------------------------------------------------ */

static void test_churn(void **state)
{
	char err[EBS_ERR_LEN];
	const char *builddir = getenv("top_builddir");
	long rss_self[ROUNDS], rss_cli[ROUNDS], rss_agent[ROUNDS];
	uint64_t mapmem[ROUNDS];
	const struct ebs_snapshot *s;
	struct timespec t0, t1;

	(void)state;
	/* inherited by the CLI and the subagent started below */
	setenv("EBPFSTATS_TEST_HASH_STATE", "1", 1);
	ebs_config_init(&cfg);
	snprintf(cfg.pin_path, sizeof(cfg.pin_path), "%s", pin_root);
	assert_int_equal(ebs_config_set(&cfg, "map_sizes.threads", "64", err, sizeof(err)), 0);
	assert_int_equal(ebs_config_set(&cfg, "map_sizes.sockets", "64", err, sizeof(err)), 0);
	assert_int_equal(ebs_config_set(&cfg, "map_sizes.ports", "16", err, sizeof(err)), 0);
	/* the memory family (per-process rows) where this build has it */
	bool memory = ebs_config_set(&cfg, "collect_memory", "true", err, sizeof(err)) == 0;
	/* and sched's process table (on-CPU time) */
	bool procs = ebs_config_set(&cfg, "map_sizes.processes", "64", err, sizeof(err)) == 0;

	ebs = ebs_open(&cfg, err, sizeof(err));
	if (!ebs)
		fail_msg("ebs_open: %s", err);
	s = snap();
	for (int f = 0; f < EBS_FAM_COUNT; f++)
		if (s->modules[f].status != EBS_ST_DISABLED && s->modules[f].status != EBS_ST_OK)
			fail_msg("module %s is %s: %s", s->modules[f].name,
				 ebs_status_name(s->modules[f].status), s->modules[f].reason);
	discover_maps();
	print_message("kernel maps of the pinned programs (%u):\n", n_kmaps);
	for (unsigned i = 0; i < n_kmaps; i++)
		print_message("  %-16s type %2u max_entries %6u memlock %8" PRIu64 " B\n",
			      kmaps[i].name, kmaps[i].type, kmaps[i].max_entries,
			      fdinfo_memlock(kmaps[i].fd));

	/* map_sizes reached the kernel */
	struct kmap *socks = kmap("tcp_socks"), *wakets = kmap("sched_wakets"),
		    *ports = kmap("tcp_ports");
	assert_non_null(socks);
	assert_non_null(wakets);
	assert_non_null(ports);
	assert_int_equal(socks->max_entries, MAP_SOCKETS);
	assert_int_equal(wakets->max_entries, MAP_THREADS);
	assert_int_equal(ports->max_entries, MAP_PORTS);
	if (kmap("tcp_peers"))
		assert_int_equal(kmap("tcp_peers")->max_entries, MAP_PORTS);
	if (memory && kmap("mem_procs"))
		assert_int_equal(kmap("mem_procs")->max_entries, MAP_THREADS);
	if (kmap("sys_start"))
		assert_int_equal(kmap("sys_start")->max_entries, MAP_THREADS);
	if (procs) {
		assert_non_null(kmap("sched_procs"));
		assert_int_equal(kmap("sched_procs")->max_entries, MAP_PROCS);
	}
	for (unsigned i = 0; i < n_kmaps; i++)
		if (is_hash(kmaps[i].type))
			kmaps[i].base = entries(&kmaps[i]);

	/* the CLI and the subagent read the same pins all along */
	if (builddir && mkdtemp(tmpdir)) {
		char cli[512], agent[512], sock[300], yaml[600];
		FILE *f;

		snprintf(cfgpath, sizeof(cfgpath), "%s/churn.yaml", tmpdir);
		snprintf(yaml, sizeof(yaml),
			 "integrations:\n  ebpf:\n    pin_path: \"%s\"\n    interval: 200ms\n"
			 "    map_sizes: {threads: %d, sockets: %d, ports: %d%s}\n%s",
			 pin_root, MAP_THREADS, MAP_SOCKETS, MAP_PORTS,
			 procs ? ", processes: 64" : "",
			 memory ? "    collect_memory: true\n" : "");
		f = fopen(cfgpath, "we");
		assert_non_null(f);
		fputs(yaml, f);
		fclose(f);
		snprintf(cli, sizeof(cli), "%s/ebpfstats", builddir);
		snprintf(agent, sizeof(agent), "%s/ebpfstats-agentx", builddir);
		snprintf(sock, sizeof(sock), "%s/no-master.sock", tmpdir);
		char *cli_argv[] = {cli, "show", "-c", cfgpath, "-i", "0.2", NULL};
		cli_pid = spawn(cli_argv);
		if (access(agent, X_OK) == 0) {
			/* no master: it keeps trying, and refreshes its snapshot
			 * every interval all the same */
			char *agent_argv[] = {agent, "-f", "-x", sock, "-c", cfgpath, "-Le", NULL};
			agent_pid = spawn(agent_argv);
		}
		sleep(1);
	}

	uint64_t sock0 = s->tcp.socket_overflows, port0 = s->tcp.port_overflows,
		 wake0 = s->sched.wakeup_overflows;
	int64_t est0 = s->tcp_states[0].sockets;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int r = 0; r < ROUNDS; r++) {
		char when[64];
		uint64_t so = s->tcp.socket_overflows, po = s->tcp.port_overflows,
			 wo = s->sched.wakeup_overflows;

		snprintf(when, sizeof(when), "round %d", r + 1);
		assert_int_equal(churn_procs(PROCS_PER_ROUND, when), 0);
		sample_maps(when);
		assert_int_equal(churn_tcp(CONNS_PER_ROUND, when), 0);
		assert_int_equal(busy_threads(400, when), 0);
		usleep(200 * 1000);
		s = snap();
		sample_maps(when);
		/* what did not fit was counted, every round */
		assert_true(s->tcp.socket_overflows - so >= CONNS_PER_ROUND / 2);
		assert_true(s->tcp.port_overflows - po >= LISTENERS - MAP_PORTS);
		assert_true(s->sched.wakeup_overflows - wo > 0);
		rss_self[r] = rss_kb(getpid());
		rss_cli[r] = cli_pid > 0 ? rss_kb(cli_pid) : -1;
		rss_agent[r] = agent_pid > 0 ? rss_kb(agent_pid) : -1;
		mapmem[r] = map_memory();
		print_message("%s: overflows sockets +%" PRIu64 " ports +%" PRIu64
			      " wakeups +%" PRIu64 "; VmRSS kB: this process %ld, ebpfstats show "
			      "%ld, subagent %ld; kernel map memory %" PRIu64 " B\n",
			      when, s->tcp.socket_overflows - so, s->tcp.port_overflows - po,
			      s->sched.wakeup_overflows - wo, rss_self[r], rss_cli[r], rss_agent[r],
			      mapmem[r]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("%d processes and %d connections in %.1f s\n", ROUNDS * PROCS_PER_ROUND,
		      ROUNDS * CONNS_PER_ROUND,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	print_message("overflows in total: sockets %" PRIu64 ", ports %" PRIu64 ", wakeups %" PRIu64
		      "; module overflows: tcp %" PRIu64 ", sched %" PRIu64 ", memory %" PRIu64
		      "\n",
		      s->tcp.socket_overflows - sock0, s->tcp.port_overflows - port0,
		      s->sched.wakeup_overflows - wake0, overflows(s, "tcp"), overflows(s, "sched"),
		      overflows(s, "memory"));
	assert_true(overflows(s, "tcp") >= s->tcp.socket_overflows);
	assert_true(overflows(s, "sched") >= s->sched.wakeup_overflows);
	if (memory && kmap("mem_procs")) /* 100 live processes, 64 rows */
		assert_true(overflows(s, "memory") > 0);
	if (procs) /* the same against sched's 64 */
		assert_true(s->sched.proc_overflows > 0);

	/* reclaimed: once the churn is over, the per-socket and per-task
	 * entries are back to what they were before it */
	usleep(500 * 1000);
	for (unsigned i = 0; i < n_kmaps; i++) {
		struct kmap *k = &kmaps[i];
		if (!is_hash(k->type))
			continue;
		uint64_t now = entries(k);
		print_message("map %-16s entries: before %3" PRIu64 ", peak %3" PRIu64
			      ", after %3" PRIu64 " (max %u)\n",
			      k->name, k->base, k->peak, now, k->max_entries);
		if (!strcmp(k->name, "tcp_socks") || !strcmp(k->name, "sched_wakets") ||
		    !strcmp(k->name, "mem_procs") || !strcmp(k->name, "sys_start") ||
		    !strcmp(k->name, "sched_procs")) {
			/* the table was full while 200 sockets or 100 processes
			 * were alive (the run-queue table fills and drains too
			 * fast to be caught full: its overflows say it was) ... */
			if (!strcmp(k->name, "tcp_socks") || !strcmp(k->name, "mem_procs") ||
			    !strcmp(k->name, "sched_procs"))
				assert_int_equal(k->peak, k->max_entries);
			/* ... and holds nothing of the churn any more: no row of
			 * a task that is gone (rows of live tasks on the machine
			 * come and go with them), no socket beyond a few live */
			if (k->key_size == sizeof(uint32_t) && strcmp(k->name, "tcp_socks") != 0)
				assert_int_equal(stale_rows(k), 0);
			else
				assert_true(now <= k->base + 8);
		}
	}
	/* the live socket gauge did not drift with what overflowed */
	assert_true(s->tcp_states[0].sockets <= est0 + 2);

	/* flat from round 2 on (round 1 warms caches and the allocator) */
	for (int r = 2; r < ROUNDS; r++) {
#ifndef EBS_ASAN
		assert_true(rss_self[r] <= rss_self[1] + 512);
		if (rss_cli[1] > 0)
			assert_true(rss_cli[r] <= rss_cli[1] + 512);
		if (rss_agent[1] > 0)
			assert_true(rss_agent[r] <= rss_agent[1] + 512);
#endif
		assert_true(mapmem[r] <= mapmem[1] + 65536);
	}
#ifdef EBS_ASAN
	print_message("ASan build: VmRSS not compared (quarantine), leaks are LeakSanitizer's\n");
#endif
	if (cli_pid > 0)
		assert_true(kill(cli_pid, 0) == 0);
	if (agent_pid > 0)
		assert_true(kill(agent_pid, 0) == 0);
	stop(&cli_pid);
	stop(&agent_pid);
	ebs_close(ebs);
	ebs = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn),
	};
	char err[EBS_ERR_LEN];

	if (geteuid() != 0) {
		fprintf(stderr, "test_kernel_churn: needs root (loads BPF programs); skipped\n");
		return 77;
	}
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/ebs-rel-churn-%d", (int)getpid());
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	stop(&cli_pid);
	stop(&agent_pid);
	if (cfgpath[0]) {
		unlink(cfgpath);
		rmdir(tmpdir);
	}
	for (unsigned i = 0; i < n_kmaps; i++)
		close(kmaps[i].fd);
	ebs_unload(pin_root, err, sizeof(err));
	return rc;
}
