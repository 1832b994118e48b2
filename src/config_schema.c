/* The configuration schema (config_schema.h): every setting once. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_schema.h"

#define FIELD(m)                                                                                   \
	.offset = offsetof(struct ebs_config, m), .size = sizeof(((struct ebs_config *)0)->m)
#define COLLECT(fam) FIELD(collect[fam])

/* Rows whose type stores an unsigned are read and written as one. */
_Static_assert(_Generic((uint32_t)0, unsigned : 1, default : 0), "uint32_t is not unsigned");

/* The order is that of suggestions on a tie, and that in which
 * ebs_cfg_digest() hashes a family's values: collect_tcp_peers stays after
 * map_sizes.ports so that the digests, and so pins of earlier versions,
 * keep their value (tests/test_config_schema.c holds them). */
static const struct ebs_config_option options[] = {
	{.key = "enabled",
	 .type = EBS_OPT_BOOL,
	 FIELD(enabled),
	 .def = true,
	 .help = "Master switch: false reports every family as disabled and loads nothing."},
	{.key = "collect_syscalls",
	 .collectd = "CollectSyscalls",
	 .type = EBS_OPT_BOOL,
	 COLLECT(EBS_FAM_SYSCALLS),
	 .def = true,
	 .help = "Syscall counts, errors and latency per syscall (syscalls family)."},
	{.key = "collect_syscall_latency",
	 .collectd = "CollectSyscallLatency",
	 .type = EBS_OPT_BOOL,
	 FIELD(syscall_latency),
	 .def = true,
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS),
	 .help = "Time each syscall; false keeps counts and errors with one hook."},
	{.key = "collect_tcp",
	 .aliases = {"collect_network", "collect_tcp_events"},
	 .collectd = "CollectTCP",
	 .type = EBS_OPT_BOOL,
	 COLLECT(EBS_FAM_TCP),
	 .def = true,
	 .help = "TCP states, opens, resets, retransmits, bytes, latencies, ports (tcp family)."},
	{.key = "collect_scheduler",
	 .collectd = "CollectScheduler",
	 .type = EBS_OPT_BOOL,
	 COLLECT(EBS_FAM_SCHED),
	 .def = true,
	 .help = "Context switches, migrations, run-queue latency, wake-ups (sched family)."},
	/* a page fault is far more frequent than the other families' events */
	{.key = "collect_memory",
	 .collectd = "CollectMemory",
	 .type = EBS_OPT_BOOL,
	 COLLECT(EBS_FAM_MEMORY),
	 .def = false,
	 .help = "Page faults in total and per process, OOM kills (memory family)."},
	{.key = "collect_file_io",
	 .collectd = "CollectFileIO",
	 .type = EBS_OPT_BOOL,
	 FIELD(file_io),
	 .def = false,
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS),
	 .help = "Bytes, calls, errors and latency of read/write and open syscalls."},
	{.key = "bpf_stats",
	 .collectd = "BPFStats",
	 .type = EBS_OPT_BOOL,
	 FIELD(bpf_stats),
	 .def = false,
	 .help = "Kernel run-time statistics of every BPF program while open."},
	{.key = "process_filter",
	 .aliases = {"process_include"},
	 .collectd = "ProcessInclude",
	 .type = EBS_OPT_COMMS,
	 FIELD(include),
	 .count_offset = offsetof(struct ebs_config, n_include),
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS),
	 .help = "Count syscalls only from these process names (empty: all)."},
	{.key = "exclude_processes",
	 .aliases = {"process_exclude"},
	 .collectd = "ProcessExclude",
	 .type = EBS_OPT_COMMS,
	 FIELD(exclude),
	 .count_offset = offsetof(struct ebs_config, n_exclude),
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS),
	 .help = "Never count syscalls from these process names."},
	{.key = "sample_rate",
	 .collectd = "SampleRate",
	 .type = EBS_OPT_UINT,
	 FIELD(sample_rate),
	 .lo = 1,
	 .hi = 100,
	 .def = 100,
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS) | EBS_DIGEST(EBS_FAM_TCP),
	 .help = "Percent of latency samples kept; counts stay exact."},
	{.key = "btf_path",
	 .collectd = "BTFPath",
	 .type = EBS_OPT_PATH,
	 FIELD(btf_path),
	 .def_str = "",
	 .expect = "must be a file path, or \"\" to use /sys/kernel/btf/vmlinux",
	 .help = "Kernel BTF for CO-RE relocation (\"\": /sys/kernel/btf/vmlinux)."},
	{.key = "pin_path",
	 .collectd = "PinPath",
	 .type = EBS_OPT_PATH,
	 FIELD(pin_path),
	 .def_str = "/sys/fs/bpf/ebpfstats",
	 .absolute = true,
	 .expect = "must be an absolute path, or \"\" for private programs",
	 .help = "bpffs directory where programs and maps are pinned and shared."},
	{.key = "interval",
	 .aliases = {"scrape_interval"},
	 .type = EBS_OPT_DURATION,
	 FIELD(interval_ms),
	 .lo = 100,
	 .hi = 3600000,
	 .def = 10000,
	 .help = "Refresh interval of the CLI and the AgentX subagent."},
	{.key = "notify_limit",
	 .collectd = "NotifyLimit",
	 .type = EBS_OPT_UINT,
	 FIELD(notify_limit),
	 .lo = 0,
	 .hi = 1000,
	 .def = EBS_EVENTS_LIMIT_DEFAULT,
	 .help = "Notifications of one type sent per minute at most; the rest are counted."},
	{.key = "map_sizes",
	 .type = EBS_OPT_MAPPING,
	 .help = "Bounds of the kernel tables, in entries."},
	{.key = "map_sizes.threads",
	 .collectd = "MaxThreads",
	 .type = EBS_OPT_UINT,
	 FIELD(max_threads),
	 .lo = 64,
	 .hi = 1048576,
	 .def = 10240,
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS) | EBS_DIGEST(EBS_FAM_SCHED) |
		   EBS_DIGEST(EBS_FAM_MEMORY),
	 .help = "In-flight syscall and wake-up table entries, memory's process table."},
	{.key = "map_sizes.sockets",
	 .collectd = "MaxSockets",
	 .type = EBS_OPT_UINT,
	 FIELD(max_sockets),
	 .lo = 64,
	 .hi = 1048576,
	 .def = 16384,
	 .digest = EBS_DIGEST(EBS_FAM_TCP),
	 .help = "TCP sockets tracked at once."},
	{.key = "map_sizes.ports",
	 .collectd = "MaxPorts",
	 .type = EBS_OPT_UINT,
	 FIELD(max_ports),
	 .lo = 16,
	 .hi = 65536,
	 .def = 1024,
	 .digest = EBS_DIGEST(EBS_FAM_TCP),
	 .help = "Rows of the per-port TCP table, and of the TCP peer table."},
	{.key = "collect_tcp_peers",
	 .collectd = "CollectTCPPeers",
	 .type = EBS_OPT_BOOL,
	 FIELD(tcp_peers),
	 .def = true,
	 .digest = EBS_DIGEST(EBS_FAM_TCP),
	 .help = "A TCP peer row per remote endpoint and direction, in the tcp module."},
	/* per-cgroup rows: every family's programs count into their table */
	{.key = "collect_cgroups",
	 .collectd = "CollectCgroups",
	 .type = EBS_OPT_BOOL,
	 FIELD(cgroups),
	 .def = true,
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS) | EBS_DIGEST(EBS_FAM_TCP) |
		   EBS_DIGEST(EBS_FAM_SCHED) | EBS_DIGEST(EBS_FAM_MEMORY),
	 .help = "A row per cgroup v2 (service, container) with what its tasks and sockets did."},
	{.key = "cgroup_depth",
	 .collectd = "CgroupDepth",
	 .type = EBS_OPT_UINT,
	 FIELD(cgroup_depth),
	 .lo = 0,
	 .hi = 16,
	 .def = 2,
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS) | EBS_DIGEST(EBS_FAM_TCP) |
		   EBS_DIGEST(EBS_FAM_SCHED) | EBS_DIGEST(EBS_FAM_MEMORY),
	 .help = "Levels below the root a cgroup row stands for (2: system.slice/nginx.service)."},
	{.key = "map_sizes.cgroups",
	 .collectd = "MaxCgroups",
	 .type = EBS_OPT_UINT,
	 FIELD(max_cgroups),
	 .lo = 4,
	 .hi = 65536,
	 .def = 512,
	 .digest = EBS_DIGEST(EBS_FAM_SYSCALLS) | EBS_DIGEST(EBS_FAM_TCP) |
		   EBS_DIGEST(EBS_FAM_SCHED) | EBS_DIGEST(EBS_FAM_MEMORY),
	 .help = "Rows of each family's per-cgroup table (snapshots recycle removed, then idle rows)."},
	/* user space only: the kernel counts every cgroup */
	{.key = "cgroup_filter",
	 .collectd = "CgroupFilter",
	 .type = EBS_OPT_COMMS,
	 .item = "glob",
	 FIELD(cgroup_filter),
	 .count_offset = offsetof(struct ebs_config, n_cgroup_filter),
	 .help = "Report only the cgroups whose path matches one of these globs (empty: all)."},
	/* the front-end's view only: no digest, the kernel side is the same */
	{.key = "tcp_row_idle_timeout",
	 .collectd = "TCPRowIdleTimeout",
	 .type = EBS_OPT_DURATION,
	 FIELD(tcp_row_idle_ms),
	 .lo = 0,
	 .hi = 604800000,
	 .def = 3600000,
	 .help = "TCP port rows of ports nothing serves, and peer rows that did not move, leave the "
		 "snapshots after this long; 0: never."},
	/* one hash lookup and an atomic add per context switch (bench/RESULTS.md) */
	{.key = "collect_process_cpu",
	 .collectd = "CollectProcessCPU",
	 .type = EBS_OPT_BOOL,
	 FIELD(proc_cpu),
	 .def = true,
	 .digest = EBS_DIGEST(EBS_FAM_SCHED),
	 .help = "On-CPU time per process (the process table), in the sched module."},
	{.key = "map_sizes.processes",
	 .collectd = "MaxProcesses",
	 .type = EBS_OPT_UINT,
	 FIELD(max_procs),
	 .lo = 64,
	 .hi = 1048576,
	 .def = 10240,
	 .digest = EBS_DIGEST(EBS_FAM_SCHED),
	 .help = "Rows of the sched module's process table (on-CPU time)."},
	/* two hooks that fire on every page allocation and free */
	{.key = "collect_page_allocs",
	 .collectd = "CollectPageAllocs",
	 .type = EBS_OPT_BOOL,
	 FIELD(page_allocs),
	 .def = false,
	 .digest = EBS_DIGEST(EBS_FAM_MEMORY),
	 .help = "Pages allocated and freed by the page allocator, in the memory module."},
	/* tcp_probe runs on every segment received: off, RTT is sampled per
	 * connection instead (bench/RESULTS.md, "TCP RTT per connection") */
	{.key = "tcp_rtt_per_segment",
	 .collectd = "TCPRTTPerSegment",
	 .type = EBS_OPT_BOOL,
	 FIELD(tcp_rtt_seg),
	 .def = false,
	 .digest = EBS_DIGEST(EBS_FAM_TCP),
	 .help = "TCP RTT sampled on every received segment (tcp_probe) rather than per connection."},
};

_Static_assert(sizeof(options) / sizeof(options[0]) <= EBS_CONFIG_OPTIONS_MAX,
	       "raise EBS_CONFIG_OPTIONS_MAX");

const struct ebs_config_option *ebs_config_options(size_t *n)
{
	*n = sizeof(options) / sizeof(options[0]);
	return options;
}

const char *ebs_config_item(const struct ebs_config_option *o)
{
	return o->item ? o->item : "process name";
}

size_t ebs_config_item_len(const struct ebs_config_option *o)
{
	return o->size / EBS_MAX_COMMS;
}

_Static_assert(EBS_CG_FILTERS == EBS_MAX_COMMS, "list rows hold EBS_MAX_COMMS entries");

const struct ebs_config_option *ebs_config_option_by_collectd(const char *name)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].collectd && strcasecmp(options[i].collectd, name) == 0)
			return &options[i];
	return NULL;
}

const char *ebs_config_family_key(enum ebs_family fam)
{
	size_t off = offsetof(struct ebs_config, collect) + (size_t)fam * sizeof(bool);

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].type == EBS_OPT_BOOL && options[i].offset == off)
			return options[i].key;
	return "enabled"; /* every family has its row (tests/test_config_schema) */
}

uint32_t ebs_config_option_uint(const struct ebs_config *cfg, const struct ebs_config_option *o)
{
	const char *field = (const char *)cfg + o->offset;

	switch (o->type) {
	case EBS_OPT_BOOL: return *(const bool *)field;
	case EBS_OPT_UINT:
	case EBS_OPT_DURATION: return *(const unsigned *)field;
	default: return 0;
	}
}

const char *ebs_duration_text(unsigned long ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%luh", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%lum", ms / 60000);
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%lus", ms / 1000);
	else
		snprintf(buf, len, "%lums", ms);
	return buf;
}

/* ---- did you mean -------------------------------------------------------- */

#define SUGGEST_MAX 64 /* longer words or candidates get no suggestion */

static bool same(char a, char b, bool nocase)
{
	return nocase ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb, bool nocase)
{
	size_t row[SUGGEST_MAX + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + !same(a[i - 1], b[j - 1], nocase);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

void ebs_suggest_init(struct ebs_suggest *sg, const char *word, size_t len, bool nocase)
{
	sg->word = word;
	sg->len = len;
	sg->nocase = nocase;
	sg->best = NULL;
	sg->best_d = 3; /* two edits at most */
}

void ebs_suggest_try(struct ebs_suggest *sg, const char *cand)
{
	size_t lb = strlen(cand);
	size_t d;

	if (sg->len == 0 || sg->len > SUGGEST_MAX || lb > SUGGEST_MAX)
		return;
	d = edit_distance(sg->word, sg->len, cand, lb, sg->nocase);
	if (d < sg->best_d && d < sg->len) {
		sg->best_d = d;
		sg->best = cand;
	}
}
